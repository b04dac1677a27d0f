import { statSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedRoot } from '../config/root.ts';
import { isWithin } from '../policy/paths/anchor.ts';
import { kernelResolve } from '../policy/paths/kernel.ts';
import { hostPaths } from '../util/host-paths.ts';
import type { ConfigPathObservation } from './observations.ts';

/** A configured path and what it looked like before the launch. */
interface Watched {
  source: string;
  real: string;
  before: string | undefined;
}

/**
 * Watches the paths strictly inside a root that the server's command arguments and environment
 * values name (absolute paths only). A value naming a root itself is a declaration of where the
 * server may work, which the requests then narrow: it is not watched. `finish()` reports each with
 * whether it was created or changed meanwhile (size or mtime).
 */
export class ConfigPaths {
  readonly #watched: Watched[] = [];

  constructor(
    sources: ReadonlyArray<readonly [source: string, value: string]>,
    roots: readonly ResolvedRoot[],
  ) {
    for (const [source, value] of sources) {
      if (!value.startsWith('/') || value.includes('\0')) continue;
      const real = kernelResolve(path.posix.resolve(value), hostPaths.readlink);
      const root = roots.find((r) => isWithin(real, r.realPath));
      if (root === undefined || real === root.realPath) continue;
      this.#watched.push({ source, real, before: fingerprint(real) });
    }
  }

  /** Each watched path, the directory it needs, and whether the session wrote it. */
  finish(): ConfigPathObservation[] {
    return this.#watched.map(({ source, real, before }) => {
      const after = fingerprint(real);
      return {
        event: 'learn.config-path',
        source,
        real,
        dir: neededDirectory(real),
        written: after !== before,
      };
    });
  }
}

/** Size and mtime, or undefined when nothing is there. */
function fingerprint(file: string): string | undefined {
  try {
    const stat = statSync(file, { bigint: true });
    return stat.isDirectory() ? `dir:${stat.mtimeNs}` : `${stat.size}:${stat.mtimeNs}`;
  } catch {
    return undefined;
  }
}

function neededDirectory(real: string): string {
  for (let dir = real; ; dir = path.posix.dirname(dir)) {
    try {
      if (statSync(dir).isDirectory()) return dir;
    } catch {
      // Not there (yet): its parent, then.
    }
    if (dir === '/') return dir;
  }
}
