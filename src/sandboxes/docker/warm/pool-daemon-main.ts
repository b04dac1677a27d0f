// The warm pool daemon of one user (pool-daemon.ts), started in the background by the first
// `run --warm` that finds none (pool-client.ts startDaemon). Its stdout is closed and its stderr is its
// log (STATE/pool/daemon.log): nothing it does reaches a warden's MCP channel. One per pool directory:
// a second one started at the same moment finds the first listening and exits; one whose socket was
// taken over or removed exits too, so at most one is ever reachable.
import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { createLogger } from '../../../audit/logger.ts';
import { errorMessage } from '../../../errors.ts';
import { dockerConnection } from '../docker-connection.ts';
import { currentOwner, formatOwner } from '../owner.ts';
import { reapOrphans } from '../reap.ts';
import { PoolDaemon } from './pool-daemon.ts';
import { poolPaths, preparePoolDir } from './pool-paths.ts';
import { MAX_LINE_BYTES } from './pool-wire.ts';

/** Default idle time (MCP_WARDEN_POOL_IDLE_MS overrides it): 10 minutes. */
const DEFAULT_IDLE_MS = 10 * 60_000;
/** Plans kept ready at most. */
const MAX_KEYS = 8;
/** Wait after a warden's start before starting its replacement. */
const REFILL_DELAY_MS = 1000;
/** How often the daemon checks that its socket is still its own. */
const OWNERSHIP_CHECK_MS = 1000;

const log = createLogger().child({ pool: process.pid });
const paths = poolPaths();

function idleMs(): number {
  const raw = process.env.MCP_WARDEN_POOL_IDLE_MS;
  const value = raw === undefined ? DEFAULT_IDLE_MS : Number(raw);
  if (Number.isInteger(value) && value >= 100) return value;
  log.warn({ MCP_WARDEN_POOL_IDLE_MS: raw }, `not a whole number of ms >= 100: using ${DEFAULT_IDLE_MS}`);
  return DEFAULT_IDLE_MS;
}

function listen(server: net.Server, socket: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen(socket, () => resolve(undefined));
  });
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socket);
    const done = (result: boolean): void => {
      probe.destroy();
      resolve(result);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}

/** Listen on the socket unless another daemon answers there; a dead daemon's socket file is replaced. */
async function listenAlone(server: net.Server, socket: string): Promise<boolean> {
  let error = await listen(server, socket);
  if (error?.code === 'EADDRINUSE') {
    if (await answers(socket)) return false;
    try {
      if (lstatSync(socket).isSocket()) unlinkSync(socket);
    } catch {
      // Removed meanwhile by another daemon starting: whoever binds first wins below.
    }
    error = await listen(server, socket);
    if (error?.code === 'EADDRINUSE') return false;
  }
  if (error !== undefined) throw error;
  return true;
}

function inodeOf(file: string): bigint | undefined {
  try {
    return statSync(file, { bigint: true }).ino;
  } catch {
    return undefined;
  }
}

/** The `prepare` request the starting warden wrote to stdin ('' when none), read to its end. */
function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdin.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_LINE_BYTES) chunks.push(chunk);
    });
    process.stdin.once('end', () =>
      resolve(size <= MAX_LINE_BYTES ? Buffer.concat(chunks).toString('utf8').trim() : ''),
    );
    process.stdin.once('error', () => resolve(''));
  });
}

/** Give the daemon that won the race the plan this one was started with, then leave. */
async function handOver(request: string): Promise<void> {
  if (request === '') return;
  await new Promise<void>((resolve) => {
    const socket = net.createConnection(paths.socket, () => socket.end(`${request}\n`));
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
    socket.resume();
  });
}

async function main(): Promise<void> {
  const problem = preparePoolDir(paths);
  if (problem !== undefined) {
    log.error({ problem }, 'cannot serve a warm pool');
    process.exit(1);
  }
  const [request, docker] = await Promise.all([readStdin(), dockerConnection()]);
  const server = net.createServer();
  if (!(await listenAlone(server, paths.socket))) {
    log.info('another pool daemon answers on the socket: exiting');
    await handOver(request);
    process.exit(0);
  }
  chmodSync(paths.socket, 0o600);
  const inode = inodeOf(paths.socket);
  // Stop serving at once when shutting down: a warden coming meanwhile starts a new daemon.
  const unlisten = (): void => {
    server.close();
    if (inode !== undefined && inodeOf(paths.socket) === inode) {
      try {
        unlinkSync(paths.socket);
      } catch {
        // Gone already.
      }
    }
  };
  const daemon = new PoolDaemon({
    docker,
    owner: formatOwner(currentOwner()),
    engine: process.env.DOCKER_HOST ?? '',
    idleMs: idleMs(),
    maxKeys: MAX_KEYS,
    refillDelayMs: REFILL_DELAY_MS,
    log,
    onStop: unlisten,
    onExit: () => process.exit(0),
  });
  server.on('connection', (socket) => daemon.connection(socket));
  log.info({ socket: paths.socket }, 'pool daemon listening');
  if (request !== '') {
    const reply = daemon.prepare(request);
    if (reply.type !== 'ok') log.warn({ reply }, 'the starting warden gave no plan to keep ready');
  }
  const stop = (reason: string): void => void daemon.shutdown(reason);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  setInterval(() => {
    if (inodeOf(paths.socket) !== inode) stop('its socket was removed or replaced by another daemon');
  }, OWNERSHIP_CHECK_MS).unref();
  // Containers of wardens (and daemons) that died: the pool's engine is theirs too.
  void reapOrphans(docker);
}

main().catch((error: unknown) => {
  log.error({ error: errorMessage(error) }, 'pool daemon failed');
  process.exit(1);
});
