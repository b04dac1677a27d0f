// Every Node built-in the guest can name at run time (createRequire): shims, or unavailable stand-ins.
import * as buffer from './buffer.ts';
import * as crypto from './crypto.ts';
import * as events from './events.ts';
import * as fsPromises from './fs-promises.ts';
import * as fs from './fs.ts';
import * as http from './http.ts';
import * as https from './https.ts';
import * as os from './os.ts';
import * as path from './path.ts';
import * as processModule from './process.ts';
import * as stringDecoder from './string-decoder.ts';
import * as timersPromises from './timers-promises.ts';
import * as timers from './timers.ts';
import { unavailableModule } from './unavailable.ts';
import * as url from './url.ts';
import * as util from './util.ts';

const SHIMS: Record<string, { default?: unknown }> = {
  buffer,
  crypto,
  events,
  fs,
  'fs/promises': fsPromises,
  http,
  https,
  os,
  path,
  'path/posix': path,
  process: processModule,
  string_decoder: stringDecoder,
  timers,
  'timers/promises': timersPromises,
  url,
  util,
};

/** The CommonJS view of built-in `id` (with or without `node:`), or undefined for a non-built-in. */
export function builtin(id: string): unknown {
  const name = id.startsWith('node:') ? id.slice(5) : id;
  const shim = SHIMS[name];
  if (shim !== undefined) return shim.default ?? shim;
  if (
    /^(child_process|net|http2|tls|dgram|dns|cluster|worker_threads|vm|v8|inspector|repl|readline|tty|stream|zlib|perf_hooks|async_hooks|diagnostics_channel|wasi|module|assert|querystring|punycode|trace_events|domain|sqlite|test)(\/.*)?$/.test(
      name,
    )
  )
    return unavailableModule(name);
  return undefined;
}
