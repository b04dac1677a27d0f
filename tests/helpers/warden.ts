import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of the project root. */
export const PROJECT_ROOT = path.resolve(here, '../..');
/**
 * Absolute path of the CLI entry point the tests spawn: MCP_WARDEN_ENTRY when set, else the TypeScript
 * sources, run with Node's type stripping. `npm test` builds and sets dist/cli/main.js: what users run,
 * and each process started from JavaScript skips loading the type stripper (~0.19 s of CPU per warden
 * here), which the suite pays thousands of times.
 */
export const WARDEN_ENTRY = process.env.MCP_WARDEN_ENTRY
  ? path.resolve(process.env.MCP_WARDEN_ENTRY)
  : path.join(PROJECT_ROOT, 'src/cli/main.ts');
/** Absolute paths of the fixture servers. */
export const HOSTILE_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/hostile-server.mjs');
export const ECHO_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/echo-server.mjs');

/** True when bubblewrap is on PATH and can actually create namespaces here. */
export const BWRAP_AVAILABLE = ((): boolean => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, 'bwrap'), constants.X_OK);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
})();

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

/**
 * Pids of every warden this test file started (never cleared): the containers a warden creates are
 * labelled with its pid, so a test can tell its own containers from those of test files running in
 * parallel (tests/helpers/containers.ts).
 */
export const wardenPids = new Set<number>();

// ---- cleanup of every warden a helper started -------------------------------------------------

interface Tracked {
  child: ChildProcess | undefined;
  pid: () => number | null | undefined;
  perTest: boolean;
}
const tracked = new Set<Tracked>();

// True between a test's beforeEach and afterEach: processes started then belong to that test.
let insideTest = false;
function inTest(): boolean {
  return insideTest;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killTracked(entry: Tracked): Promise<void> {
  tracked.delete(entry);
  const pid = entry.pid();
  if (!pid || !isAlive(pid)) return;
  if (entry.child && entry.child.exitCode !== null) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 1000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Kill every warden started by these helpers (those started inside a test, or all with `all`). */
export async function killWardens(all = false): Promise<void> {
  await Promise.all([...tracked].filter((t) => all || t.perTest).map(killTracked));
}

// Registered at import time on the importing test file's root suite: processes started inside a
// test die after that test, processes started in beforeAll die after the file.
beforeEach(() => {
  insideTest = true;
});
afterEach(async () => {
  insideTest = false;
  await killWardens(false);
});
afterAll(() => killWardens(true));

// ---- argv ----------------------------------------------------------------------------------------

export interface WardenOptions {
  profile: 'none' | 'bwrap' | 'docker' | 'gvisor' | 'isolate' | 'seatbelt';
  /** `--root` values, `PATH` or `PATH:ro`. */
  roots?: string[];
  /** `--env` values, `NAME` or `NAME=VALUE`. */
  env?: string[];
  /** Extra `run` options placed before `--`. */
  extraArgs?: string[];
  /** The server command (after `--`). */
  command: string[];
  auditLog?: string;
  /** Environment of the warden process itself (default: this process's environment). */
  wardenEnv?: NodeJS.ProcessEnv;
  /** Capabilities the SDK client declares in initialize (startWarden; default: none). */
  clientCapabilities?: ClientCapabilities;
}

/** `run` argv (without node and the entry) for these options. */
export function runArgs(opts: WardenOptions): string[] {
  const args = ['run', '--profile', opts.profile];
  for (const root of opts.roots ?? []) args.push('--root', root);
  for (const env of opts.env ?? []) args.push('--env', env);
  if (opts.auditLog) args.push('--audit-log', opts.auditLog);
  args.push(...(opts.extraArgs ?? []), '--', ...opts.command);
  return args;
}

// ---- SDK client through the warden ---------------------------------------------------------------

export interface StartedWarden {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the warden wrote to stderr so far. */
  stderr(): string;
  /** Pid of the warden process. */
  pid: number;
  close(): Promise<void>;
}

/** Start `mcp-warden run` with the real MCP SDK client connected to it (initialize done). */
export async function startWarden(opts: WardenOptions): Promise<StartedWarden> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts.wardenEnv ?? process.env)) {
    if (value !== undefined) env[key] = value;
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_ENTRY, ...runArgs(opts)],
    env,
    stderr: 'pipe',
    cwd: PROJECT_ROOT,
  });
  let stderrText = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderrText += chunk.toString('utf8');
  });
  const entry: Tracked = { child: undefined, pid: () => transport.pid, perTest: inTest() };
  tracked.add(entry);
  const client = new Client(
    { name: 'mcp-warden-e2e', version: '1.0.0' },
    opts.clientCapabilities ? { capabilities: opts.clientCapabilities } : undefined,
  );
  try {
    await client.connect(transport);
  } catch (error) {
    if (transport.pid) wardenPids.add(transport.pid);
    await killTracked(entry);
    throw new Error(`warden did not start: ${(error as Error).message}\nstderr:\n${stderrText}`, {
      cause: error,
    });
  }
  if (transport.pid) wardenPids.add(transport.pid);
  return {
    client,
    transport,
    stderr: () => stderrText,
    pid: transport.pid ?? -1,
    close: async () => {
      await client.close();
      tracked.delete(entry);
    },
  };
}

// ---- raw stdio -----------------------------------------------------------------------------------

/** One parsed stdout line, or the raw text when it was not JSON (which is itself a bug in `run`). */
export type RawMessage = Record<string, unknown> & {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: { rule?: string } };
  method?: string;
};

export interface RawWarden {
  child: ChildProcess;
  /** Write one line: an object is JSON-encoded; a string is written as given plus "\n". */
  send(message: object | string): void;
  /** The next stdout message not yet consumed; rejects after `timeoutMs`. */
  nextMessage(timeoutMs?: number): Promise<RawMessage>;
  /** Wait for (and consume) the first message matching `predicate`, skipping nothing else. */
  waitFor(predicate: (m: RawMessage) => boolean, timeoutMs?: number): Promise<RawMessage>;
  /** Send a request and wait for the response with its id. */
  request(id: number | string, method: string, params?: object, timeoutMs?: number): Promise<RawMessage>;
  /** Every message seen on stdout so far (consumed or not). */
  allMessages(): RawMessage[];
  /** Lines on stdout that were not JSON objects. */
  nonJsonLines(): string[];
  stdoutBytes(): number;
  stderr(): string;
  exit: Promise<ExitStatus>;
  /** Close the warden's stdin (client EOF). */
  endInput(): void;
}

/**
 * Spawn `node src/cli/main.ts ARGS...` with raw pipes (after `prefix`, when given). `inheritFds` maps a descriptor number of the
 * warden to one of this process that it inherits there (not close-on-exec), like a shell's `exec 200</`.
 */
export function spawnWardenRaw(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; inheritFds?: Record<number, number>; prefix?: string[] } = {},
): RawWarden {
  const extra = Object.entries(options.inheritFds ?? {}).map(([at, fd]) => [Number(at), fd] as const);
  const stdio: Array<'pipe' | 'ignore' | number> = ['pipe', 'pipe', 'pipe'];
  for (const [at, fd] of extra) {
    while (stdio.length <= at) stdio.push('ignore');
    stdio[at] = fd;
  }
  // `prefix`: a command that execs the warden (nsenter into a test network namespace); the pid stays the warden's.
  const [file, ...before] = [...(options.prefix ?? []), process.execPath];
  const child = spawn(file as string, [...before, WARDEN_ENTRY, ...args], {
    cwd: PROJECT_ROOT,
    env: options.env ?? process.env,
    stdio: stdio as ['pipe', 'pipe', 'pipe', ...Array<'ignore' | number>],
  }) as ChildProcessByStdio<Writable, Readable, Readable>;
  const entry: Tracked = { child, pid: () => child.pid, perTest: inTest() };
  tracked.add(entry);
  if (child.pid) wardenPids.add(child.pid);
  const exit = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      tracked.delete(entry);
      resolve({ code, signal });
    });
  });
  child.stdin.on('error', () => {}); // EPIPE after the warden exits is expected in breach tests

  let stderrText = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderrText.length < 2_000_000) stderrText += chunk.toString('utf8');
  });

  const all: RawMessage[] = [];
  const queue: RawMessage[] = [];
  const nonJson: string[] = [];
  const waiters = new Set<() => void>();
  let pending: Buffer[] = [];
  let bytes = 0;
  let closed = false;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      start = nl + 1;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          all.push(parsed as RawMessage);
          queue.push(parsed as RawMessage);
        } else nonJson.push(line.slice(0, 200));
      } catch {
        nonJson.push(line.slice(0, 200));
      }
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    for (const wake of [...waiters]) wake();
  });
  child.stdout.on('close', () => {
    closed = true;
    for (const wake of [...waiters]) wake();
  });

  const waitFor = (predicate: (m: RawMessage) => boolean, timeoutMs = 10_000): Promise<RawMessage> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = queue.findIndex(predicate);
        if (index >= 0) {
          const [found] = queue.splice(index, 1);
          finish();
          resolve(found as RawMessage);
          return true;
        }
        if (closed) {
          finish();
          reject(
            new Error(
              `warden stdout closed before the expected message; unconsumed: ${JSON.stringify(queue).slice(0, 500)}; stderr: ${stderrText.slice(-2000)}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `no expected message within ${timeoutMs} ms; unconsumed: ${JSON.stringify(queue).slice(0, 500)}; stderr: ${stderrText.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const wake = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      if (!check()) waiters.add(wake);
    });

  const send = (message: object | string): void => {
    child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  };

  return {
    child,
    send,
    nextMessage: (timeoutMs) => waitFor(() => true, timeoutMs),
    waitFor,
    request: (id, method, params, timeoutMs) => {
      send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
      return waitFor((m) => m.id === id && ('result' in m || 'error' in m), timeoutMs);
    },
    allMessages: () => [...all],
    nonJsonLines: () => [...nonJson],
    stdoutBytes: () => bytes,
    stderr: () => stderrText,
    exit,
    endInput: () => child.stdin.end(),
  };
}

/** Perform the MCP handshake over a raw warden; returns the initialize result. */
export async function initializeRaw(warden: RawWarden, id: number | string = 0): Promise<RawMessage> {
  const response = await warden.request(id, 'initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'mcp-warden-e2e-raw', version: '1.0.0' },
  });
  // The error first: reports that keep only the start of the message (the attack matrix) still say why.
  expect(
    response.error,
    `initialize failed: ${JSON.stringify(response.error)}; stderr: ${warden.stderr()}`,
  ).toBeUndefined();
  warden.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return response;
}

/** Resolve with the exit status, or reject when the process is still running after `timeoutMs`. */
export function exitWithin(warden: RawWarden, timeoutMs: number): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`warden still running after ${timeoutMs} ms; stderr: ${warden.stderr().slice(-2000)}`),
        ),
      timeoutMs,
    );
    void warden.exit.then((status) => {
      clearTimeout(timer);
      resolve(status);
    });
  });
}
