import { WardenError } from '../errors.ts';
import type { RootResolution } from './resolve-root.ts';

/**
 * Pure: the roots of a session whose profile limits roots (`profile.roots`, e.g. written by
 * `mcp-warden learn`). Without --root (`given` empty) the profile's roots are the roots. Otherwise
 * each --root is intersected with each profile root by real path, component-wise: where one contains
 * the other the deeper one is kept, read-only when either is. A --root that meets no profile root is
 * refused (WardenError 'usage'), so a profile learned for /data/project cannot be widened to /data
 * nor pointed at /elsewhere by a client config. `limits` undefined: `given` unchanged.
 */
export function narrowRoots(
  given: readonly RootResolution[],
  limits: readonly RootResolution[] | undefined,
  profileName: string,
): RootResolution[] {
  if (limits === undefined) return [...given];
  if (given.length === 0) return [...limits];
  const out: RootResolution[] = [];
  const seen = new Set<string>();
  const add = (root: RootResolution, readOnly: boolean): void => {
    const key = `${root.realPath}:${readOnly ? 'ro' : 'rw'}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ ...root, readOnly });
  };
  for (const root of given) {
    let met = false;
    for (const limit of limits) {
      const readOnly = root.readOnly || limit.readOnly;
      if (within(limit.realPath, root.realPath)) {
        add(limit, readOnly);
        met = true;
      } else if (within(root.realPath, limit.realPath)) {
        add(root, readOnly);
        met = true;
      }
    }
    if (!met) {
      throw new WardenError(
        'usage',
        `--root ${root.path}: outside the roots profile "${profileName}" limits the server to (${limits
          .map((l) => `${l.path}${l.readOnly ? ':ro' : ''}`)
          .join(', ')})`,
        {
          hint: 'drop this --root, or use a profile whose roots include it (mcp-warden learn writes them; edit "roots" in the profile)',
        },
      );
    }
  }
  return out;
}

function within(candidate: string, dir: string): boolean {
  if (dir === '/') return true;
  return candidate === dir || candidate.startsWith(`${dir}/`);
}
