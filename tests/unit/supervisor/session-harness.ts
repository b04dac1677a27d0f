// The in-memory sandbox and session harness shared by the session unit tests: the test plays the server.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll } from 'vitest';
import type { AuditLog } from '../../../src/audit/audit-log.ts';
import type { AuditEvent } from '../../../src/audit/events.ts';
import { ProfileSchema, type ProfileInput } from '../../../src/config/profile-schema.ts';
import type { Backend, ExitInfo, Sandbox, SandboxPlan } from '../../../src/sandboxes/types.ts';
import { Session } from '../../../src/supervisor/session.ts';
import { hostPaths } from '../../../src/util/host-paths.ts';

export const rootDir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-session-')));
afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

/** A sandbox made of pipes: the test plays the server. */
export class FakeSandbox implements Sandbox {
  readonly pid: number;
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<ExitInfo>;
  received: Record<string, unknown>[] = [];
  stopped = false;
  #exit!: (info: ExitInfo) => void;
  #pending = '';

  constructor(pid: number) {
    this.pid = pid;
    this.exited = new Promise((resolve) => (this.#exit = resolve));
    this.stdin.on('data', (chunk: Buffer) => {
      this.#pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.#pending.indexOf('\n')) >= 0) {
        this.received.push(JSON.parse(this.#pending.slice(0, nl)) as Record<string, unknown>);
        this.#pending = this.#pending.slice(nl + 1);
      }
    });
  }

  send(value: unknown): void {
    this.stdout.write(typeof value === 'string' ? value : `${JSON.stringify(value)}\n`);
  }

  /** The server stops reading its stdin: what the warden writes piles up in the pipe. */
  stopReading(): void {
    this.stdin.pause();
  }

  /** The server exits with `code`, after writing `stderr` (if any) to its stderr. */
  crash(code = 3, stderr?: string): void {
    if (stderr !== undefined) this.stderr.write(stderr);
    this.stderr.end();
    this.stdout.end();
    this.#exit({ code, signal: null });
  }

  stop(): Promise<ExitInfo> {
    if (!this.stopped) {
      this.stopped = true;
      this.stderr.end();
      this.stdout.end();
      this.#exit({ code: null, signal: 'SIGKILL' });
    }
    return this.exited;
  }
}

export const plan: SandboxPlan = {
  backend: 'none',
  argv: ['server'],
  env: {},
  cwd: '/',
  notes: [],
  unenforced: [],
};

export function harness(profile: Partial<ProfileInput> = {}) {
  const sandboxes: FakeSandbox[] = [];
  const backend: Backend = {
    name: 'none',
    probe: () => Promise.resolve({ available: true }),
    plan: () => plan,
    launch: () => {
      const sandbox = new FakeSandbox(1000 + sandboxes.length);
      sandboxes.push(sandbox);
      return Promise.resolve(sandbox);
    },
  };
  const events: AuditEvent[] = [];
  const audit = { write: (e: AuditEvent) => events.push(e) } as unknown as AuditLog;
  const clientIn = new PassThrough();
  const clientOut = new PassThrough();
  const toClient: Record<string, unknown>[] = [];
  let pending = '';
  clientOut.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      toClient.push(JSON.parse(pending.slice(0, nl)) as Record<string, unknown>);
      pending = pending.slice(nl + 1);
    }
  });
  const serverLog = new PassThrough();
  let serverLogText = '';
  serverLog.on('data', (chunk: Buffer) => (serverLogText += chunk.toString('utf8')));
  let logText = '';
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logText += chunk.toString('utf8');
      callback();
    },
  });
  const session = new Session({
    sessionId: 'test',
    profile: ProfileSchema.parse({ name: 't', backend: 'none', ...profile }),
    backend,
    plan,
    command: ['server'],
    policy: {
      policy: ProfileSchema.parse({ name: 't', backend: 'none', ...profile }).policy,
      roots: [{ path: rootDir, realPath: rootDir, readOnly: false }],
      home: '/nonexistent-home',
      realpath: hostPaths.realpath,
      readlink: hostPaths.readlink,
    },
    audit,
    logger: pino({ level: 'info' }, logStream),
    clientIn,
    clientOut,
    serverLog,
  });
  const done = session.run();
  const send = (value: unknown): void => {
    clientIn.write(typeof value === 'string' ? value : `${JSON.stringify(value)}\n`);
  };
  return {
    session,
    done,
    sandboxes,
    events,
    toClient,
    send,
    clientIn,
    /** What the warden wrote to its stderr besides the diagnostic log (server stderr, notices). */
    serverLog: () => serverLogText,
    /** The diagnostic log (pino JSON lines). */
    log: () => logText,
  };
}

export const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const call = (id: number, name: string, args: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
