import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';

/**
 * Call `poke` soon after `file` may have changed: on any event in its directory (fs.watch), and every
 * `pollMs` regardless. The directory is watched, not the file: editors and Kubernetes ConfigMap
 * updates replace the file (or the `..data` symlink it resolves through) instead of writing it, and
 * a watch on the old inode would go silent. The poll covers what watching misses (network file
 * systems, a directory created later or removed and recreated). `poke` should be cheap and
 * idempotent (a stat); it is never called after the returned stop function.
 */
export function pokeOnChange(file: string, poke: () => void, pollMs = 250): () => void {
  let stopped = false;
  const safePoke = (): void => {
    if (!stopped) poke();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, safePoke);
    // Directory removed or watch limit hit: the poll carries on alone.
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  const timer = setInterval(safePoke, pollMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
}
