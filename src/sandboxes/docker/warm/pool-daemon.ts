import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { errorMessage } from '../../../errors.ts';
import type { ContainerCreateBody } from '../container-plan.ts';
import { OWNER_LABEL } from '../owner.ts';
import { hostStat, poolKey } from './pool-key.ts';
import { readLines, writeLine } from './pool-wire.ts';
import { parseRequest, type PoolReply, type PoolRequest, PrepareRequestSchema } from './protocol.ts';
import { type ReadyContainer, startReadyContainer } from './ready-container.ts';
import { readyName, takenName, takerOf } from './taken-name.ts';

export interface PoolDaemonOptions {
  docker: Docker;
  /** The daemon's owner label value (owner.ts formatOwner): the reaper removes its containers once it is gone. */
  owner: string;
  /** The engine it serves (DOCKER_HOST, "" for the local socket); a warden of another engine misses. */
  engine: string;
  /** A ready container not taken for this long is removed; the daemon exits once it holds nothing for as long. */
  idleMs: number;
  /** Plans kept ready at most; the least recently used one gives way. */
  maxKeys: number;
  /** Wait after a warden's start before starting a replacement, so the two do not compete. */
  refillDelayMs: number;
  log: Logger;
  /** Called once when shutdown begins: stop accepting wardens. */
  onStop: () => void;
  /** Called once, after shutdown removed every ready container. */
  onExit: () => void;
}

/** One plan the pool keeps ready. */
interface Entry {
  key: string;
  body: ContainerCreateBody;
  lastUsed: number;
  ready?: ReadyContainer;
  filling: boolean;
  /** Why this plan is never pooled again by this daemon; undefined: it is. */
  unpoolable?: string;
  /** Ready containers of this plan that exited while waiting, in a row. */
  idleExits: number;
  /** Times in a row the plan's key changed under a fill (a mount source changed): see #rekey. */
  rekeys: number;
  /** Why the last attempt to have one ready failed. */
  lastFailure?: string;
}

/** One warden connection. */
interface Client {
  socket: Socket;
  /** The container handed to it: removed when the connection closes (the warden ended or died). */
  handed?: string;
  /** The plan to refill once the warden says its sandbox is up (attached or launched). */
  refill?: Entry;
}

/** Ready containers that exited on their own, in a row, before a plan stops being pooled. */
const MAX_IDLE_EXITS = 2;
/** Key changes under fills, in a row, before the daemon stops refilling a plan (until a warden asks again). */
const MAX_REKEYS = 3;
const NO_STDOUT =
  'the server writes on stdout before its first message: such a server is never kept ready (run audits that output; a pool could not)';

/**
 * The per-user warm pool for `run --warm` (docs/performance.md). It keeps one started container per
 * plan (the exact create body a warden would send), up to `maxKeys` plans, and hands each to one
 * warden only: a container never returns to the pool. It is the watchdog of what it created: a
 * ready container is labelled with the daemon as owner (the reaper removes it if the daemon dies); a
 * handed-over one is renamed after its warden and removed by the daemon when that warden's connection
 * closes (the warden dies, even by SIGKILL). Each request is parsed with protocol.ts's schemas.
 */
export class PoolDaemon {
  readonly #o: PoolDaemonOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #clients = new Set<Client>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #removals = new Set<Promise<boolean>>();
  #fills: Promise<void> = Promise.resolve();
  #pendingFills = 0;
  #idle: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(options: PoolDaemonOptions) {
    this.#o = options;
    this.#touch();
  }

  /** Serve one warden connection. */
  connection(socket: Socket): void {
    const client: Client = { socket };
    this.#clients.add(client);
    this.#touch();
    socket.on('error', () => undefined);
    // A connection that says nothing for the idle time is dropped, unless it holds a container: a
    // stuck client must not keep the daemon (and its ready containers) alive forever.
    socket.setTimeout(this.#o.idleMs);
    socket.on('timeout', () => {
      if (client.handed === undefined) socket.destroy();
    });
    readLines(socket, (line) => {
      void this.#handle(client, line).then((reply) => reply && writeLine(socket, reply));
    });
    socket.once('close', () => {
      this.#clients.delete(client);
      if (client.handed !== undefined) void this.#removeHanded(client.handed);
      this.#touch();
    });
  }

  /** Remove every ready container, stop serving, then onExit. Handed-over containers stay their wardens'. */
  async shutdown(reason: string): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#o.log.info({ reason }, 'pool daemon exiting');
    this.#o.onStop();
    clearTimeout(this.#idle);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#pendingFills = 0;
    await this.#fills;
    await Promise.all([...this.#entries.values()].map((entry) => this.#drop(entry)));
    this.#entries.clear();
    // A create the engine finished after its fill gave up: anything of ours not handed over goes.
    try {
      const left = await this.#o.docker.listContainers({
        all: true,
        filters: { label: [`${OWNER_LABEL}=${this.#o.owner}`] },
      });
      await Promise.all(
        left.filter((info) => takerOf(info.Names ?? []) === undefined).map((info) => this.#remove(info.Id)),
      );
    } catch {
      // The engine is gone: the reaper of the next warden start removes them.
    }
    // Exiting with a removal under way would cut its request short, and the engine may abandon it.
    await Promise.all(this.#removals);
    this.#o.onExit();
  }

  async #handle(client: Client, line: string): Promise<PoolReply | undefined> {
    const parsed = parseRequest(line);
    if (!parsed.ok) return { type: 'error', reason: parsed.reason };
    const { request } = parsed;
    this.#touch();
    switch (request.type) {
      case 'take':
        return this.#take(client, request);
      case 'prepare':
        return this.#prepare(request);
      case 'attached':
      case 'launched':
        if (client.refill !== undefined) this.#refillLater(client.refill);
        client.refill = undefined;
        return undefined;
      case 'status':
        return {
          type: 'status',
          pid: process.pid,
          ready: [...this.#entries.values()].flatMap((entry) =>
            entry.ready
              ? [{ key: entry.key, id: entry.ready.id, stderrBytes: entry.ready.stderrBytes() }]
              : [],
          ),
          unpoolable: [...this.#entries.values()].flatMap((entry) =>
            entry.unpoolable === undefined ? [] : [{ key: entry.key, reason: entry.unpoolable }],
          ),
          handedOut: [...this.#clients].filter((c) => c.handed !== undefined).length,
        };
    }
  }

  /** Keep the plan of a `prepare` line ready from now on (the daemon's stdin: the warden that started it). */
  prepare(line: string): PoolReply {
    const parsed = parseRequest(line, PrepareRequestSchema);
    if (!parsed.ok) return { type: 'error', reason: parsed.reason };
    return parsed.request.type === 'prepare'
      ? this.#prepare(parsed.request)
      : { type: 'error', reason: 'not a prepare request' };
  }

  #prepare(request: Extract<PoolRequest, { type: 'prepare' }>): PoolReply {
    if (request.engine !== this.#o.engine) return { type: 'miss', reason: 'another docker engine' };
    const entry = this.#entry(request.body);
    if (entry !== undefined) this.#refillLater(entry);
    return { type: 'ok' };
  }

  async #take(client: Client, request: Extract<PoolRequest, { type: 'take' }>): Promise<PoolReply> {
    if (client.handed !== undefined || client.refill !== undefined) {
      return { type: 'error', reason: 'one take per connection' };
    }
    if (request.engine !== this.#o.engine) {
      return { type: 'miss', reason: 'the pool daemon serves another docker engine (DOCKER_HOST)' };
    }
    const entry = this.#entry(request.body);
    if (entry === undefined) return { type: 'miss', reason: 'the pool daemon is exiting' };
    client.refill = entry;
    const ready = entry.ready;
    if (ready === undefined) {
      const reason =
        entry.unpoolable ??
        (entry.filling
          ? 'the ready container of this plan is still starting'
          : (entry.lastFailure ?? 'no ready container of this plan yet'));
      return { type: 'miss', reason };
    }
    // From here it is this warden's: if the connection closes, even during the hand-over, it goes.
    entry.ready = undefined;
    client.handed = ready.id;
    client.socket.setTimeout(0); // held for the whole session
    const name = takenName(request.taker, randomBytes(4).toString('hex'));
    try {
      const [image] = await Promise.all([
        this.#o.docker.getImage(request.body.Image).inspect(),
        ready.container.rename({ name }),
      ]);
      if (image.Id !== ready.imageId) throw new Error('its image was replaced since it started');
    } catch (error) {
      client.handed = undefined;
      void this.#removeReady(ready);
      return { type: 'miss', reason: `the ready container could not be handed over: ${errorMessage(error)}` };
    }
    // Listened to until now, so that the stderr handed over ends as late as it can: what the server
    // writes between this and the warden's attach (milliseconds) is lost, never duplicated.
    ready.detach();
    entry.idleExits = 0;
    this.#o.log.info({ id: ready.id.slice(0, 12), warden: request.taker.pid }, 'handed over');
    return { type: 'hit', id: ready.id, name, stderr: ready.stderrTail().toString('base64') };
  }

  /** The entry of `body`'s plan, made (evicting the least recently used past maxKeys) when new. */
  #entry(body: ContainerCreateBody): Entry | undefined {
    if (this.#closing) return undefined;
    const key = this.#keyOf(body);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.#o.maxKeys) {
        const oldest = [...this.#entries.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
        if (oldest !== undefined) {
          this.#entries.delete(oldest.key);
          void this.#drop(oldest);
        }
      }
      entry = { key, body, lastUsed: Date.now(), filling: false, idleExits: 0, rekeys: 0 };
      this.#entries.set(key, entry);
    }
    entry.lastUsed = Date.now();
    return entry;
  }

  #keyOf(body: ContainerCreateBody): string {
    return poolKey(body, this.#o.engine, hostStat);
  }

  #refillLater(entry: Entry): void {
    if (this.#closing || entry.unpoolable !== undefined) return;
    this.#pendingFills++;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#fills = this.#fills.then(() => this.#fill(entry)).finally(() => this.#touch());
    }, this.#o.refillDelayMs);
    this.#timers.add(timer);
  }

  /** Start one ready container of `entry`'s plan, unless it has one or is gone. One fill at a time. */
  async #fill(entry: Entry): Promise<void> {
    this.#pendingFills = Math.max(0, this.#pendingFills - 1);
    const current = (): boolean => !this.#closing && this.#entries.get(entry.key) === entry;
    if (!current() || entry.ready !== undefined || entry.unpoolable !== undefined) return;
    if (!this.#rekey(entry)) return;
    entry.filling = true;
    let ready: ReadyContainer | undefined;
    let wroteStdout = false;
    try {
      const name = readyName(process.pid, randomBytes(4).toString('hex'));
      ready = await startReadyContainer(this.#o.docker, entry.body, this.#o.owner, name, () => {
        wroteStdout = true;
        entry.unpoolable = NO_STDOUT;
        if (entry.ready !== undefined && entry.ready === ready) void this.#drop(entry);
      });
      if (!current() || wroteStdout || this.#keyOf(entry.body) !== entry.key) {
        void this.#removeReady(ready);
        // What it mounts changed while it started: it booted from what may be gone. Try again later,
        // under the new key (#rekey bounds how often).
        if (current() && !wroteStdout) this.#refillLater(entry);
        return;
      }
      entry.ready = ready;
      entry.rekeys = 0;
      entry.lastFailure = undefined;
      const mine = ready;
      void mine.exited.then((code) => this.#readyExited(entry, mine, code));
      this.#o.log.info({ id: ready.id.slice(0, 12), key: entry.key.slice(0, 12) }, 'ready');
    } catch (error) {
      entry.lastFailure = `the pool could not start one: ${errorMessage(error)}`;
      this.#o.log.warn({ key: entry.key.slice(0, 12), error: errorMessage(error) }, 'fill failed');
    } finally {
      entry.filling = false;
    }
  }

  /**
   * Bring `entry` to the key its plan has now. A mount source's identity is part of the key
   * (pool-key.ts), and it may change between a warden's request and the fill (the server's code or
   * runtime updated, an entry added to a mounted directory): the old key can never be taken again,
   * and a take now computes the new one, so the plan is kept ready as it is now. False when it is not
   * to be filled: another entry already stands for the plan as it is now, or its key changed
   * MAX_REKEYS fills in a row (a source that keeps changing; the next warden's take asks again).
   */
  #rekey(entry: Entry): boolean {
    const key = this.#keyOf(entry.body);
    if (key === entry.key) return true;
    this.#entries.delete(entry.key);
    if (this.#entries.has(key) || entry.rekeys >= MAX_REKEYS) {
      void this.#drop(entry);
      return false;
    }
    this.#o.log.info(
      { from: entry.key.slice(0, 12), to: key.slice(0, 12) },
      'what the plan mounts changed: kept ready as it is now',
    );
    entry.key = key;
    entry.rekeys++;
    this.#entries.set(key, entry);
    return true;
  }

  /** A ready container stopped before anyone took it: never handed out; twice in a row, the plan is not pooled. */
  #readyExited(entry: Entry, ready: ReadyContainer, code: number | null): void {
    if (entry.ready !== ready) return; // taken (its warden's now) or dropped already
    entry.ready = undefined;
    entry.idleExits++;
    entry.lastFailure = `the ready container exited while it waited (exit code ${code ?? 'unknown'})`;
    if (entry.idleExits >= MAX_IDLE_EXITS) entry.unpoolable = entry.lastFailure;
    void this.#removeReady(ready);
  }

  async #drop(entry: Entry): Promise<void> {
    const ready = entry.ready;
    entry.ready = undefined;
    if (ready !== undefined) await this.#removeReady(ready);
  }

  async #removeReady(ready: ReadyContainer): Promise<void> {
    ready.detach();
    await this.#remove(ready.id);
  }

  /** The connection of the warden it was handed to closed: remove it (gone already when the warden ended well). */
  async #removeHanded(id: string): Promise<void> {
    if (await this.#remove(id))
      this.#o.log.info({ id: id.slice(0, 12) }, 'removed the container of a warden that went away');
  }

  /** Remove a container whatever its state; true if it was there. Never throws. Shutdown waits for it. */
  #remove(id: string): Promise<boolean> {
    const removal = this.#o.docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .then(
        () => true,
        () => false, // 404: gone already. Anything else: the reaper tries at the next warden start.
      );
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
    return removal;
  }

  /**
   * Activity: (re)arm the idle check. When it fires, ready containers idle for idleMs go; once nothing
   * is ready, starting or handed over and no warden is connected, the daemon exits.
   */
  #touch(): void {
    if (this.#closing) return;
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#idleCheck(), this.#o.idleMs);
  }

  #idleCheck(): void {
    const now = Date.now();
    for (const entry of [...this.#entries.values()]) {
      if (now - entry.lastUsed >= this.#o.idleMs && !entry.filling) {
        this.#entries.delete(entry.key);
        void this.#drop(entry);
      }
    }
    const busy = this.#clients.size > 0 || this.#pendingFills > 0;
    if (this.#entries.size === 0 && !busy) return void this.shutdown(`idle for ${this.#o.idleMs} ms`);
    const next = Math.min(...[...this.#entries.values()].map((entry) => entry.lastUsed + this.#o.idleMs));
    clearTimeout(this.#idle);
    this.#idle = setTimeout(
      () => this.#idleCheck(),
      Number.isFinite(next) ? Math.max(next - now, 100) : this.#o.idleMs,
    );
  }
}
