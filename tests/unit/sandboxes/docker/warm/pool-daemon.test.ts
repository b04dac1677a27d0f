// The pool daemon's bookkeeping against a fake engine (the real one: tests/integration/sandboxes/
// warm-pool.test.ts): one ready container per plan, at most maxKeys plans, a refill only once the warden
// says it is up, a plan whose ready containers keep dying is dropped, a handed container goes when its
// warden's connection closes.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerCreateBody } from '../../../../../src/sandboxes/docker/container-plan.ts';
import { PoolDaemon } from '../../../../../src/sandboxes/docker/warm/pool-daemon.ts';
import { POOL_PROTOCOL_VERSION } from '../../../../../src/sandboxes/docker/warm/pool-wire.ts';
import { planBody, planFiles } from './plan-body.ts';

const files = planFiles();
afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

/** A fake engine: containers run until removed or told to exit; `onCreate` runs as each is created. */
function fakeEngine(onCreate: (count: number) => void = () => undefined) {
  let next = 0;
  const containers = new Map<string, { exit: (code: number) => void; name: string; running: boolean }>();
  const removed: string[] = [];
  const container = (id: string) => ({
    id,
    attach: async () => new PassThrough(),
    wait: () =>
      new Promise((resolve) => {
        const entry = containers.get(id);
        if (entry) entry.exit = (code) => ((entry.running = false), resolve({ StatusCode: code }));
      }),
    start: async () => undefined,
    inspect: async () => ({
      State: { Running: containers.get(id)?.running ?? false, ExitCode: 0 },
      Image: 'sha256:img',
    }),
    rename: async ({ name }: { name: string }) => {
      const entry = containers.get(id);
      if (!entry) throw new Error('no such container');
      entry.name = name;
    },
    remove: async () => {
      if (!containers.delete(id)) throw new Error('404');
      removed.push(id);
    },
  });
  const docker = {
    createContainer: async (options: { name: string }) => {
      const id = (++next).toString(16).padStart(64, '0');
      onCreate(next);
      containers.set(id, { exit: () => undefined, name: options.name, running: true });
      return container(id);
    },
    getContainer: (id: string) => container(id),
    getImage: () => ({ inspect: async () => ({ Id: 'sha256:img' }) }),
    listContainers: async () => [],
  };
  return { docker: docker as unknown as Docker, containers, removed };
}

/** A fake connection: what the daemon writes, and a way to send it lines. */
function fakeSocket() {
  const socket = new PassThrough() as unknown as Socket & PassThrough;
  const replies: Array<Record<string, unknown>> = [];
  const out = new PassThrough();
  (socket as unknown as { write: (text: string) => boolean }).write = (text: string) => {
    for (const line of text.split('\n').filter(Boolean))
      replies.push(JSON.parse(line) as Record<string, unknown>);
    return out.write(text);
  };
  (socket as unknown as { setTimeout: () => void }).setTimeout = () => undefined;
  const send = (message: object): void =>
    void socket.emit('data', Buffer.from(`${JSON.stringify(message)}\n`));
  const close = (): void => void socket.emit('close');
  return { socket, replies, send, close };
}

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await tick();
  expect(check()).toBe(true);
}

function daemon(maxKeys = 8, refillDelayMs = 1, onCreate?: (count: number) => void) {
  const engine = fakeEngine(onCreate);
  let exited = false;
  const pool = new PoolDaemon({
    docker: engine.docker,
    owner: 'host/boot/1/2',
    engine: '',
    idleMs: 60_000,
    maxKeys,
    refillDelayMs,
    log: pino({ level: 'silent' }),
    onStop: () => undefined,
    onExit: () => (exited = true),
  });
  return { pool, engine, exited: () => exited };
}

const prepare = (body: ContainerCreateBody) => ({
  type: 'prepare',
  version: POOL_PROTOCOL_VERSION,
  engine: '',
  body,
});
const take = (body: ContainerCreateBody, engine = '') => ({
  type: 'take',
  version: POOL_PROTOCOL_VERSION,
  engine,
  body,
  taker: { pid: 99, startTime: '1' },
});

/** A warden's take of `body` gets the ready container `id`. */
async function expectHit(pool: PoolDaemon, body: ContainerCreateBody, id: string | undefined): Promise<void> {
  const warden = fakeSocket();
  pool.connection(warden.socket);
  warden.send(take(body));
  await until(() => warden.replies.length === 1);
  expect(warden.replies[0]).toMatchObject({ type: 'hit', id });
}

describe('PoolDaemon', () => {
  it('hands one ready container per plan to one warden, refills after it attached, removes it when the warden goes', async () => {
    const { pool, engine } = daemon();
    const body = planBody(files);
    expect(pool.prepare(JSON.stringify(prepare(body)))).toEqual({ type: 'ok' });
    await until(() => engine.containers.size === 1);
    const [readyId] = engine.containers.keys();

    const warden = fakeSocket();
    pool.connection(warden.socket);
    warden.send(take(body));
    await until(() => warden.replies.length === 1);
    expect(warden.replies[0]).toMatchObject({
      type: 'hit',
      id: readyId,
      name: expect.stringMatching(/^mcp-warden-taken-99-1-/),
    });
    warden.send(take(body));
    await until(() => warden.replies.length === 2);
    expect(warden.replies[1]).toEqual({ type: 'error', reason: 'one take per connection' });
    // No refill before the warden is up; one after.
    await tick(30);
    expect(engine.containers.size).toBe(1);
    warden.send({ type: 'attached' });
    await until(() => engine.containers.size === 2);
    // Another warden of the same plan gets the new one; a warden of another plan or engine misses.
    const second = fakeSocket();
    pool.connection(second.socket);
    second.send(take(body));
    await until(() => second.replies.length === 1);
    expect(second.replies[0]).toMatchObject({ type: 'hit' });
    expect(second.replies[0]?.id).not.toBe(readyId);
    const other = fakeSocket();
    pool.connection(other.socket);
    other.send(take(planBody(files, { env: { PATH: '/usr/bin', X: '1' } })));
    other.send(take(body, 'tcp://elsewhere:2375'));
    await until(() => other.replies.length === 2);
    expect(other.replies.map((r) => r.type)).toEqual(['miss', 'error']);
    // The first warden's connection closes (it ended, or died): its container goes.
    warden.close();
    await until(() => engine.removed.includes(readyId as string));
  });

  it('keeps at most maxKeys plans, dropping the least recently used with its container', async () => {
    const { pool, engine } = daemon(2);
    const bodies = ['1', '2', '3'].map((n) => planBody(files, { env: { PATH: '/usr/bin', N: n } }));
    pool.prepare(JSON.stringify(prepare(bodies[0] as ContainerCreateBody)));
    await until(() => engine.containers.size === 1);
    const [first] = engine.containers.keys();
    pool.prepare(JSON.stringify(prepare(bodies[1] as ContainerCreateBody)));
    await until(() => engine.containers.size === 2);
    pool.prepare(JSON.stringify(prepare(bodies[2] as ContainerCreateBody)));
    await until(() => engine.removed.includes(first as string) && engine.containers.size === 2);
  });

  it('stops keeping a plan whose ready containers die while they wait, and exits cleanly', async () => {
    const { pool, engine, exited } = daemon();
    const body = planBody(files);
    for (let round = 0; round < 2; round++) {
      pool.prepare(JSON.stringify(prepare(body)));
      await until(() => engine.containers.size === 1);
      const [id, entry] = [...engine.containers.entries()][0] as [string, { exit: (code: number) => void }];
      entry.exit(1);
      await until(() => engine.removed.includes(id));
    }
    pool.prepare(JSON.stringify(prepare(body)));
    const warden = fakeSocket();
    pool.connection(warden.socket);
    warden.send(take(body));
    await until(() => warden.replies.length === 1);
    expect(warden.replies[0]).toEqual({
      type: 'miss',
      reason: 'the ready container exited while it waited (exit code 1)',
    });
    await tick(30);
    expect(engine.containers.size).toBe(0);
    await pool.shutdown('test');
    expect(exited()).toBe(true);
  });
  // A mount source's identity is part of the key (pool-key.ts): an entry added to the server's package
  // directory (npm writing node_modules/.cache, say) between the request and the fill changes it.
  it('keeps a plan ready under its new key when what it mounts changed before the fill', async () => {
    const { pool, engine } = daemon(8, 50);
    const body = planBody(files);
    pool.prepare(JSON.stringify(prepare(body)));
    writeFileSync(path.join(files.pkg, `added-before-${Date.now()}`), 'x');
    await until(() => engine.containers.size === 1);
    await expectHit(pool, body, [...engine.containers.keys()][0]);
    await pool.shutdown('test');
  });

  it('starts the plan again under its new key when what it mounts changed while it started', async () => {
    const { pool, engine } = daemon(8, 1, (count) => {
      if (count === 1) writeFileSync(path.join(files.pkg, `added-during-${Date.now()}`), 'x');
    });
    const body = planBody(files);
    pool.prepare(JSON.stringify(prepare(body)));
    await until(() => engine.removed.length === 1 && engine.containers.size === 1);
    await expectHit(pool, body, [...engine.containers.keys()][0]);
    await pool.shutdown('test');
  });

  it('stops refilling a plan whose mounts change at every fill, until a warden asks again', async () => {
    const { pool, engine } = daemon(8, 1, (count) =>
      writeFileSync(path.join(files.pkg, `added-${count}-${Date.now()}`), 'x'),
    );
    pool.prepare(JSON.stringify(prepare(planBody(files))));
    await until(() => engine.removed.length === 4);
    await tick(50);
    expect(engine.containers.size).toBe(0);
    expect(engine.removed).toHaveLength(4);
    await pool.shutdown('test');
  });
});
