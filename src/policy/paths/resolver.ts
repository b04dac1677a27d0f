/** Lookups one message may cost; far above any real request, low enough to bound the CPU a message can burn. */
const DEFAULT_BUDGET = 50_000;

/**
 * ctx.realpath, readlink and exists, memoised for one message and metered. Once the budget is spent every lookup
 * fails and `exhausted` is set; callers must then refuse rather than trust a partial answer.
 * Never reused across messages, so the cache cannot go stale.
 */
export interface Resolver {
  realpath: (p: string) => string | undefined;
  readlink: (p: string) => string | undefined;
  /** lstat: does anything exist at `p`? (see PolicyContext.exists) */
  exists: (p: string) => boolean;
  readonly exhausted: boolean;
}

/** `exists` defaults to asking readlink, then realpath (slower: a missing path throws inside realpath). */
export function createResolver(
  realpath: (p: string) => string | undefined,
  readlink: (p: string) => string | undefined,
  budget: number = DEFAULT_BUDGET,
  exists?: (p: string) => boolean,
): Resolver {
  let left = budget;
  const fallback = (p: string): boolean => readlink(p) !== undefined || realpath(p) !== undefined;
  const resolver: { -readonly [K in keyof Resolver]: Resolver[K] } = {
    exhausted: false,
    realpath: metered(realpath),
    readlink: metered(readlink),
    exists: metered(exists ?? fallback),
  };
  function metered<T>(lookup: (p: string) => T): (p: string) => T {
    const cache = new Map<string, T>();
    return (p) => {
      if (cache.has(p)) return cache.get(p) as T;
      if (left <= 0) {
        resolver.exhausted = true;
        return undefined as T; // a refusal follows: callers check `exhausted`
      }
      left--;
      const result = lookup(p);
      cache.set(p, result);
      return result;
    };
  }
  return resolver;
}
