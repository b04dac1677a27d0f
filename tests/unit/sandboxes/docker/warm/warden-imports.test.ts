import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// `run --warm` takes a container on the warden's start-up path: what it loads there adds to every warm
// start. zod (~40 ms here) is the daemon's business only; the warden checks replies by hand
// (reply-check.ts). Static (non-type) imports, walked as tests/unit/supervisor/startup-imports.test.ts does.
const SRC = path.resolve(import.meta.dirname, '..', '..', '..', '..', '..', 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]/g;

function reachable(entry: string): { packages: Set<string>; builtins: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] as string;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (spec.startsWith('node:')) builtins.add(spec);
      else packages.add(spec);
    }
  };
  visit(path.join(SRC, entry));
  return { packages, builtins };
}

describe('modules the warden loads for run --warm', () => {
  it('no package (dockerode loads lazily, while the daemon answers, so no zod) and no built-in the backend lacks but node:net', () => {
    const { packages, builtins } = reachable('sandboxes/docker/warm/warm-launch.ts');
    expect([...packages]).toEqual([]);
    const backend = reachable('sandboxes/docker/docker-backend.ts').builtins;
    expect([...builtins].filter((name) => !backend.has(name))).toEqual(['node:net']);
  });

  it('the daemon parses every request with the protocol schemas', () => {
    expect(reachable('sandboxes/docker/warm/pool-daemon.ts').packages.has('zod')).toBe(true);
  });
});
