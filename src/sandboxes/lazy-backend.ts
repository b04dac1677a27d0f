import { WardenError } from '../errors.ts';
import type { Backend, BackendName } from './types.ts';

/**
 * A backend whose module loads on first use. `probe`, `launch` and `load` load it; `plan` is pure and
 * synchronous, so it needs the module loaded already (prepareSession calls `load` first).
 */
export function lazyBackend(name: BackendName, load: () => Promise<Backend>): Backend {
  let loaded: Backend | undefined;
  let loading: Promise<Backend> | undefined;
  const get = (): Promise<Backend> => {
    loading ??= load().then((backend) => (loaded = backend));
    return loading;
  };
  return {
    name,
    load: async () => {
      await get();
    },
    probe: async (options) => (await get()).probe(options),
    // Only once loaded (probe loads it): starting ahead must not cost a module load of its own.
    prestart: () => loaded?.prestart?.(),
    plan(spec) {
      if (loaded === undefined) {
        throw new WardenError(
          'internal',
          `the ${name} backend must be loaded (await backend.load()) before plan()`,
        );
      }
      return loaded.plan(spec);
    },
    launch: async (plan, options) => (await get()).launch(plan, options),
  };
}
