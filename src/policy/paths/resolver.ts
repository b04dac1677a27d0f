/** Lookups one message may cost; far above any real request, low enough to bound the CPU a message can burn. */
const DEFAULT_BUDGET = 50_000;

/**
 * ctx.realpath, memoised for one message and metered. Once the budget is spent every lookup
 * fails and `exhausted` is set; callers must then refuse rather than trust a partial answer.
 * Never reused across messages, so the cache cannot go stale.
 */
export interface Resolver {
  realpath: (p: string) => string | undefined;
  readlink: (p: string) => string | undefined;
  readonly exhausted: boolean;
}

export function createResolver(
  realpath: (p: string) => string | undefined,
  readlink: (p: string) => string | undefined,
  budget: number = DEFAULT_BUDGET,
): Resolver {
  let left = budget;
  const resolver = {
    exhausted: false,
    realpath: metered(realpath),
    readlink: metered(readlink),
  };
  function metered(lookup: (p: string) => string | undefined): (p: string) => string | undefined {
    const cache = new Map<string, string | undefined>();
    return (p) => {
      if (cache.has(p)) return cache.get(p);
      if (left <= 0) {
        resolver.exhausted = true;
        return undefined;
      }
      left--;
      const result = lookup(p);
      cache.set(p, result);
      return result;
    };
  }
  return resolver;
}
