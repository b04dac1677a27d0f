import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Start-up time is part of every MCP session's cold start. `run` spawns the sandbox first and then
// loads the session's modules while the server boots; zod alone costs ~25 ms there, so it must only
// ever load when a message fails the hand-written fast path (src/protocol/json-rpc.ts). This walks
// the static (non-type) imports the way scripts/check-cycles.ts does.
const SRC = path.resolve(import.meta.dirname, '..', '..', '..', 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]/g;

function importsReachable(entries: string[]): { packages: Map<string, string>; builtins: Set<string> } {
  const seen = new Set<string>();
  const packages = new Map<string, string>(); // package → first importer
  const builtins = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] as string;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (spec.startsWith('node:')) builtins.add(spec);
      else if (!packages.has(spec)) packages.set(spec, path.relative(SRC, file));
    }
  };
  for (const entry of entries) visit(path.join(SRC, entry));
  return { packages, builtins };
}

describe('modules loaded on the session start-up path', () => {
  it('the session, audit and logger modules do not import zod', () => {
    const { packages } = importsReachable(['supervisor/session.ts', 'audit/audit-log.ts', 'audit/logger.ts']);
    expect(packages.get('zod')).toBeUndefined();
    expect([...packages.keys()].sort()).toEqual(['pino']);
  });

  it('the run command loads no package, and only cheap built-ins, before it spawns the sandbox', () => {
    const { packages, builtins } = importsReachable(['cli/main.ts', 'cli/commands.ts', 'cli/run.ts']);
    expect([...packages.keys()]).toEqual([]);
    // node:crypto (~4 ms), node:os and node:url load later or never (process.getBuiltinModule).
    expect([...builtins].sort()).toEqual([
      'node:child_process',
      'node:fs',
      'node:module',
      // isIP for network patterns; node:child_process loads node:net internally anyway.
      'node:net',
      'node:path',
      'node:util',
    ]);
  });

  it('the fast start loads no package, and only what spawning needs, before it spawns a cached launch', () => {
    // src/cli/fast-start: it runs before the rest of the warden has loaded, to spawn early.
    const { packages, builtins } = importsReachable(['cli/fast-start/early-start.ts']);
    expect([...packages.keys()]).toEqual([]);
    expect([...builtins].sort()).toEqual(['node:child_process', 'node:fs', 'node:net', 'node:path']);
  });

  it('handing a server home over to another uid loads no package, not even lazily', () => {
    // Every start that alternates a server between a container backend (its container user) and
    // bwrap, none or isolate (root) hands the home over; importing execa for the chown cost each such
    // start ~60 ms of CPU (isolate after gvisor: +58 to +91 ms over direct, instead of -15).
    const file = path.join(SRC, 'sandboxes/launch-spec/state-home.ts');
    const dynamic = [...readFileSync(file, 'utf8').matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
      (match) => match[1],
    );
    const { packages } = importsReachable(['sandboxes/launch-spec/state-home.ts']);
    expect([...packages.keys(), ...dynamic.filter((spec) => !spec?.startsWith('.'))]).toEqual([]);
  });
});
