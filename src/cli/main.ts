#!/usr/bin/env node
// The mcp-warden executable. Deliberately tiny: it turns on V8's on-disk compile cache before the rest
// of the CLI is loaded, because start-up time is part of every MCP session's cold start.
import module from 'node:module';
import path from 'node:path';
import { cacheDir } from '../util/cache-dir.ts';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `mcp-warden: Node ${process.versions.node} is too old: mcp-warden needs Node 22 or newer.\n`,
  );
  process.exit(69);
}
try {
  module.enableCompileCache?.(path.join(cacheDir(), 'v8'));
} catch {
  // A read-only home only costs speed.
}
const { runCli } = await import('./commands.ts');
runCli(process.argv.slice(2));
