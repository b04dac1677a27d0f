// Installs the globals Node code expects (process, Buffer, timers, console, URL, TextEncoder,
// AbortController, crypto...) in the isolate. Bundled first, before any server module runs.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { host, reportUncaught } from './bridge.ts';
import { atob, btoa, Buffer } from './buffer.ts';
import { builtin } from './builtins.ts';
import { getRandomValues, randomUUID } from './crypto.ts';
import { Headers, Request, Response, fetch } from './fetch.ts';
import process from './process.ts';
import { TextDecoder, TextEncoder } from './text.ts';
import * as timers from './timers.ts';
import { unavailable } from './unavailable.ts';
import { URL, URLSearchParams } from './url.ts';
import { format } from './util.ts';
import {
  AbortController,
  AbortSignal,
  DOMException,
  Event,
  EventTarget,
  performance,
} from './web-globals.ts';

const g = globalThis as any;

process.getBuiltinModule = builtin;

const define = (name: string, value: unknown): void => {
  Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
};

if (typeof g.queueMicrotask !== 'function') {
  define('queueMicrotask', (callback: () => void) => {
    void Promise.resolve().then(() => {
      try {
        callback();
      } catch (error) {
        reportUncaught(error);
      }
    });
  });
}

const out =
  (fd: 1 | 2) =>
  (...args: unknown[]): void => {
    host('stdio.write', fd, `${format(...args)}\n`);
  };
/** console: log/info/debug to stdout and warn/error/trace to stderr, as in Node. */
const console = {
  log: out(1),
  info: out(1),
  debug: out(1),
  dir: out(1),
  table: out(1),
  warn: out(2),
  error: out(2),
  trace: out(2),
  assert: (condition: unknown, ...args: unknown[]): void => {
    if (!condition) out(2)('Assertion failed', ...args);
  },
  time: (): void => undefined,
  timeEnd: (): void => undefined,
  timeLog: (): void => undefined,
  count: (): void => undefined,
  group: (): void => undefined,
  groupEnd: (): void => undefined,
};

for (const [name, value] of Object.entries({
  global: g,
  process,
  Buffer,
  console,
  setTimeout: timers.setTimeout,
  setInterval: timers.setInterval,
  setImmediate: timers.setImmediate,
  clearTimeout: timers.clearTimeout,
  clearInterval: timers.clearInterval,
  clearImmediate: timers.clearImmediate,
  TextEncoder,
  TextDecoder,
  URL,
  URLSearchParams,
  AbortController,
  AbortSignal,
  Event,
  EventTarget,
  DOMException,
  performance,
  atob,
  btoa,
  crypto: { getRandomValues, randomUUID },
  structuredClone: (value: unknown): unknown => host('clone', value),
  // Through the warden's egress proxy with an allowlist; otherwise it rejects as "not available".
  fetch,
  Headers,
  Request,
  Response,
  WebSocket: unavailable('net', 'WebSocket'),
})) {
  define(name, value);
}

// Promise rejections nobody handles end the server as in Node (the host prints the reason and exits 1).
// isolated-vm has no unhandled-rejection hook, so this is best effort: see docs/isolate.md.
export {};
