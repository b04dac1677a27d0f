import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach } from 'vitest';
import { PROJECT_ROOT, WARDEN_ENTRY } from '../../helpers/warden.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

// Shared with bench/gateway.ts, which cannot import this vitest-bound module.
export { metricValue } from '../../helpers/metric-value.ts';

export const CONFORMANCE_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/conformance-server.mjs');

export interface StartedGateway {
  /** http://127.0.0.1:PORT */
  base: string;
  /** The MCP endpoint of server `name`. */
  url(name: string): string;
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit status. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
let inTest = false;
const perTest = new Set<ChildProcess>();
afterEach(async () => {
  inTest = false;
  await Promise.all([...perTest].map(kill));
  perTest.clear();
});
afterAll(async () => {
  await Promise.all([...running].map(kill));
});

async function kill(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Mark the start of a test: gateways started from now on die at its end. */
export function gatewayPerTest(): void {
  inTest = true;
}

/** Write `config` (listen forced to 127.0.0.1:0 unless given) and start `mcp-warden gateway` on it. */
export async function startGateway(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<StartedGateway> {
  const dir = tmpRoot('gateway');
  const file = path.join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, ...config }));
  const child = spawn(process.execPath, [WARDEN_ENTRY, 'gateway', '--config', file], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  if (inTest) perTest.add(child);
  let stderr = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${stderr}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /gateway listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    base,
    url: (name) => `${base}/servers/${name}/mcp`,
    child,
    stderr: () => stderr,
    exit,
    stop: async () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

/** An SDK client connected to `url` over Streamable HTTP (initialize done). */
export async function connectClient(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'mcp-warden-gateway-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** Server command that runs the conformance fixture. */
export function conformanceServer(
  profile: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { profile, command: ['node', CONFORMANCE_SERVER], ...extra };
}
