// npm run bench (warm-pool part) — how long a new gateway session waits for its sandbox, without and
// with a warm pool (`warm` in the server's gateway config), for each container-grade backend that works
// here. One session at a time, with a pause between sessions so the pool can refill (a steady trickle of
// new sessions, the case a pool is for). Writes bench/gateway-warm-results.md.
// Options: --sessions N (default 8), --profiles a,b,c (default bwrap,docker,gvisor), --pause MS (1500).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, runLoad } from '../tests/integration/gateway/load-driver.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '8' },
    profiles: { type: 'string', default: 'bwrap,docker,gvisor' },
    pause: { type: 'string', default: '1500' },
  },
});
const SESSIONS = Number(values.sessions);
const PAUSE = Number(values.pause);
const ENTRY = path.join(REPO, 'dist/cli/main.js');
const SERVER = path.join(REPO, 'tests/fixtures/conformance-server.mjs');

/** Session-start times (connect → initialize result) of SESSIONS sequential sessions, or the failure. */
async function sessionStarts(profile: string, warm: number): Promise<number[] | string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-bench-warm-'));
  const config = path.join(dir, 'gateway.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      servers: { conf: { profile, command: ['node', SERVER], warm } },
      limits: { ratePerMinute: 1_000_000 },
    }),
  );
  const child = spawn(process.execPath, [ENTRY, 'gateway', '--config', config], {
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        const match = /gateway listening on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`gateway exited ${code}: ${stderr.split('\n')[0]}`)));
    });
    const starts: number[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE)); // the pool fills (or would)
      const result = await runLoad(`${base}/servers/conf/mcp`, 1, 1);
      if (result.errors.length > 0) return `session failed: ${result.errors[0]}`;
      starts.push(...result.connects);
    }
    return starts;
  } catch (error) {
    return (error as Error).message.slice(0, 160);
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (v: number): string => v.toFixed(1);
const rows: string[] = [];
for (const profile of String(values.profiles).split(',').filter(Boolean)) {
  process.stderr.write(`gateway warm-pool bench: ${profile}...\n`);
  const cold = await sessionStarts(profile, 0);
  const warm = await sessionStarts(profile, 2);
  if (typeof cold === 'string' || typeof warm === 'string') {
    rows.push(`| ${profile} | not run here: ${typeof cold === 'string' ? cold : warm} | | |`);
    continue;
  }
  const [c, w] = [cold, warm].map((list) => ({
    median: quantile(list, 0.5),
    min: Math.min(...list),
    max: Math.max(...list),
  })) as [{ median: number; min: number; max: number }, { median: number; min: number; max: number }];
  rows.push(
    `| ${profile} | ${f(c.median)} (${f(c.min)}–${f(c.max)}) | ${f(w.median)} (${f(w.min)}–${f(w.max)}) | ${f(c.median / w.median)}× |`,
  );
}
const text = [
  `## Gateway session start with a warm pool (${SESSIONS} sequential sessions, ${PAUSE} ms apart, ${os.cpus().length} CPUs, node ${process.version})`,
  '',
  'Session start: the client connects until its `initialize` result arrives (sandbox launch and server boot included). Medians, min–max.',
  '',
  '| profile | warm 0 (launch on demand), ms | warm 2, ms | faster |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
].join('\n');
writeFileSync(path.join(REPO, 'bench/gateway-warm-results.md'), text);
process.stdout.write(`${text}\n`);
