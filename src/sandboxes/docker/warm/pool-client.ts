import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { PoolPaths } from './pool-paths.ts';
import { readLines, writeLine } from './pool-wire.ts';
import type { PoolReply } from './protocol.ts';
import { parseReply } from './reply-check.ts';

/** pool-daemon-main next to this file, with this file's extension (.ts under type stripping, .js in dist). */
const DAEMON_ENTRY = path.join(import.meta.dirname, `pool-daemon-main${path.extname(import.meta.filename)}`);
/** The daemon's scheduling priority (nice): below the wardens and their servers. */
const DAEMON_NICE = 10;
/** A daemon log past this size is started afresh. */
const LOG_MAX_BYTES = 1024 * 1024;
/** What of the warden's environment the daemon keeps: how to reach the engine, and the warden's dirs. */
const DAEMON_ENV = /^(PATH|HOME|USER|LOGNAME|DOCKER_[A-Z_]+|MCP_WARDEN_[A-Z_]+|XDG_[A-Z_]+)$/;

/** One connection to the pool daemon. Replies come in order; one request is outstanding at a time. */
export interface PoolConnection {
  /** Send `message`; the next valid reply, or undefined (no answer within `timeoutMs`, nonsense, closed). */
  request(message: object, timeoutMs: number): Promise<PoolReply | undefined>;
  /** Send `message` without waiting for an answer. */
  send(message: object): void;
  /** Close it (the daemon then removes the container it handed over, if any is left). */
  end(): void;
  /** Let the warden exit with the connection still open (it closes with the process). */
  unref(): void;
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>;
}

/** Connect to the daemon's socket; undefined when no daemon answers there within `timeoutMs`. */
export function connectPool(socketPath: string, timeoutMs: number): Promise<PoolConnection | undefined> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(connection(socket));
    });
  });
}

function connection(socket: net.Socket): PoolConnection {
  let waiting: ((reply: PoolReply | undefined) => void) | undefined;
  const answer = (reply: PoolReply | undefined): void => {
    const resolve = waiting;
    waiting = undefined;
    resolve?.(reply);
  };
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      answer(undefined);
      resolve();
    }),
  );
  readLines(socket, (line) => answer(parseReply(line)));
  return {
    request(message, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => answer(undefined), timeoutMs);
        timer.unref();
        waiting = (reply) => {
          clearTimeout(timer);
          resolve(reply);
        };
        writeLine(socket, message);
      });
    },
    send: (message) => writeLine(socket, message),
    end: () => socket.end(),
    unref: () => socket.unref(),
    closed,
  };
}

/**
 * Start the pool daemon in the background: detached (its own session: a Ctrl-C to the warden's group
 * does not reach it), stdout closed (stdout of `run` is the MCP channel), its stderr to its log in the
 * pool directory, niced. Its stdin carries one `prepare` request, the plan to keep ready: written into
 * the pipe at once, so a warden that ends right away still primes the pool. If another warden starts
 * one at the same moment, the second daemon finds the first listening, hands it its request and exits.
 * Never throws: without a daemon the warden launches on demand as usual.
 */
export function startDaemon(paths: PoolPaths, prepare: object): void {
  let log: number | undefined;
  try {
    let size = 0;
    try {
      size = statSync(paths.log).size;
    } catch {
      // No log yet.
    }
    log = openSync(paths.log, size > LOG_MAX_BYTES ? 'w' : 'a', 0o600);
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => DAEMON_ENV.test(name)));
    // A small young generation: the daemon idles between rare requests (~6 MB less resident).
    const child = spawn(process.execPath, ['--max-semi-space-size=1', DAEMON_ENTRY], {
      detached: true,
      stdio: ['pipe', 'ignore', log],
      cwd: '/',
      env,
    });
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${JSON.stringify(prepare)}\n`);
    (child.stdin as net.Socket | null)?.unref();
    try {
      if (child.pid !== undefined) os.setPriority(child.pid, DAEMON_NICE);
    } catch {
      // Exited already (another daemon answered).
    }
    child.unref();
  } catch {
    // No daemon this time: the next warden tries again.
  } finally {
    if (log !== undefined) closeSync(log);
  }
}
