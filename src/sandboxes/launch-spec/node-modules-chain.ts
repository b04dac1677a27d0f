import path from 'node:path';

/**
 * Pure: the directories Node searches for packages when resolving from a file in `dir`: every
 * ancestor's node_modules, skipping ancestors that are themselves node_modules directories (Node's
 * own rule), nearest first.
 */
export function nodeModulesChain(dir: string): string[] {
  const chain: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    if (path.basename(current) !== 'node_modules') chain.push(path.join(current, 'node_modules'));
    if (path.dirname(current) === current) return chain;
  }
}
