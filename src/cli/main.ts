#!/usr/bin/env node
// The mcp-warden executable. Deliberately tiny: it turns on V8's on-disk compile cache before the rest
// of the CLI is loaded, because start-up time is part of every MCP session's cold start.
import module from 'node:module';
import path from 'node:path';
import { closeInheritedFds } from '../sandboxes/process/close-inherited-fds.ts';
import { leanJit } from './lean-warden.ts';
import { cacheDir } from '../util/cache-dir.ts';

// 22.12: require() of ES modules without a flag (the message schemas load that way, on demand).
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `mcp-warden: Node ${process.versions.node} is too old: mcp-warden needs Node 22.12 or newer.\n`,
  );
  process.exit(69);
}
// `run` idles next to its server for hours, so its memory is paid once per configured server: no
// top-tier JIT until traffic needs it (lean-warden.ts, issue 19).
if (process.argv[2] === 'run') leanJit();
// First, before anything can spawn: a descriptor inherited from whoever started the warden (and not
// close-on-exec) would reach every child, and through bwrap the sandbox (issue 20, item 2).
closeInheritedFds();
try {
  module.enableCompileCache?.(path.join(cacheDir(), 'v8'));
} catch {
  // A read-only home only costs speed.
}
const { hideEnvValuesFromCmdline } = await import('./hide-env-values.ts');
hideEnvValuesFromCmdline(process.argv.slice(2));
// A repeated start of the same configuration spawns its cached launch now, before the rest of the
// warden loads; run.ts adopts it only once its own plan confirms it (src/cli/fast-start, issue 19).
if (process.argv[2] === 'run') {
  const { startEarly } = await import('./fast-start/early-start.ts');
  await startEarly(process.argv.slice(3), process.env);
}
const { runCli } = await import('./commands.ts');
runCli(process.argv.slice(2));
