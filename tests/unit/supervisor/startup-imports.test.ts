import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Start-up time is part of every MCP session's cold start. `run` spawns the sandbox first and then
// loads the session's modules while the server boots; zod alone costs ~25 ms there, so it must only
// ever load when a message fails the hand-written fast path (src/protocol/json-rpc.ts). This walks
// the static (non-type) imports the way scripts/check-cycles.ts does.
const SRC = path.resolve(import.meta.dirname, '..', '..', '..', 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]/g;

function packagesReachable(entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>(); // package → first importer
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] as string;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:') && !packages.has(spec)) packages.set(spec, path.relative(SRC, file));
    }
  };
  for (const entry of entries) visit(path.join(SRC, entry));
  return packages;
}

describe('modules loaded on the session start-up path', () => {
  it('the session, audit and logger modules do not import zod', () => {
    const packages = packagesReachable(['supervisor/session.ts', 'audit/audit-log.ts', 'audit/logger.ts']);
    expect(packages.get('zod')).toBeUndefined();
    expect([...packages.keys()].sort()).toEqual(['pino']);
  });

  it('the run command loads nothing but node built-ins before it spawns the sandbox', () => {
    expect([...packagesReachable(['cli/run.ts']).keys()]).toEqual([]);
  });
});
