import { lookup as dnsLookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { PeerSource } from './cluster-settings.ts';
import { replicaId } from './session-id.ts';

/** Resolves a name to every address it has (the default uses the system resolver, like any client). */
export type ResolveAll = (name: string) => Promise<string[]>;

const systemResolve: ResolveAll = async (name) =>
  (await dnsLookup(name, { all: true, verbatim: true })).map((a) => a.address);

/** A forced refresh (for an owner missing from the last answer) at most this often. */
const MIN_FORCED_REFRESH_MS = 1000;

/**
 * The replicas this one may forward to, by replica id. Static peers never change; DNS peers are
 * resolved every `refreshMs`, and once early (rate-limited) when asked for an id it does not know, so a
 * replica that started since the last answer is found. This replica is always a member.
 */
export class PeerSet {
  readonly #key: Buffer;
  readonly #self: string;
  readonly #source: PeerSource;
  readonly #resolve: ResolveAll;
  readonly #logger: Logger;
  #byId = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #lastRefresh = 0;

  constructor(key: Buffer, self: string, source: PeerSource, logger: Logger, resolve = systemResolve) {
    this.#key = key;
    this.#self = self;
    this.#source = source;
    this.#resolve = resolve;
    this.#logger = logger;
    this.#set(source.kind === 'static' ? source.origins : []);
    if (source.kind === 'dns') {
      void this.refresh();
      this.#timer = setInterval(() => void this.refresh(), source.refreshMs);
      this.#timer.unref();
    }
  }

  /** Number of known replicas, this one included. */
  get size(): number {
    return this.#byId.size;
  }

  /** Every known replica's origin. */
  get origins(): string[] {
    return [...this.#byId.values()];
  }

  /** The origin of replica `id`, or undefined when no known replica has that id (it is gone). */
  async origin(id: string): Promise<string | undefined> {
    const known = this.#byId.get(id);
    if (known !== undefined || this.#source.kind === 'static') return known;
    if (Date.now() - this.#lastRefresh >= MIN_FORCED_REFRESH_MS) await this.refresh();
    else await this.#refreshing;
    return this.#byId.get(id);
  }

  /** Resolve the DNS name again (one at a time); on failure the last answer stays. */
  refresh(): Promise<void> {
    const source = this.#source;
    if (source.kind !== 'dns') return Promise.resolve();
    this.#refreshing ??= (async () => {
      this.#lastRefresh = Date.now();
      try {
        const addresses = await this.#resolve(source.name);
        this.#set(
          addresses.map(
            (a) => new URL(`${source.scheme}://${a.includes(':') ? `[${a}]` : a}:${source.port}`).origin,
          ),
        );
      } catch (error) {
        this.#logger.warn(
          { err: error, name: source.name },
          'cluster: peer DNS lookup failed; keeping the last answer',
        );
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #set(origins: string[]): void {
    const next = new Map<string, string>();
    for (const origin of [this.#self, ...origins]) next.set(replicaId(this.#key, origin), origin);
    this.#byId = next;
  }
}
