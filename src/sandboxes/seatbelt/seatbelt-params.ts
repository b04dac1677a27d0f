import type { LaunchSpec } from '../types.ts';
import { canonicalMacPath } from './mac-path.ts';

/** One `sandbox-exec -D NAME=VALUE` parameter; `value` is a canonical absolute path. */
export interface SeatbeltParam {
  name: string;
  value: string;
}

/** A root's parameter: ROOT_n is its path as given, ROOT_n_REAL its realpath when that differs. */
export interface RootParam extends SeatbeltParam {
  readOnly: boolean;
}

/** The session's parameters, grouped by the rules that use them. */
export interface SeatbeltParams {
  /** EXECUTABLE: the program sandbox-exec runs (policy.sb allows reading and executing it). */
  executable: SeatbeltParam;
  /** TMPDIR: the private temp directory (policy.sb allows read/write). */
  tmpDir: SeatbeltParam;
  /** HOME: the warden user's home, whose secrets the final rules deny. */
  home: SeatbeltParam;
  /**
   * ROOT_n (and ROOT_n_REAL for a symlinked root), in --root order, then STATE_HOME (the server's
   * private, persistent HOME, read-write) when it has one.
   */
  roots: RootParam[];
  /** RUNTIME_n: the runtime's files (binary realpath, libraries): read, map and exec. */
  runtime: SeatbeltParam[];
  /** READ_n: other read-only paths (the server's package, the profile's readOnlyPaths). */
  reads: SeatbeltParam[];
}

/**
 * Pure: every path the session's profile needs, canonicalised (see canonicalMacPath) and named.
 * Roots keep their index on the command line (ROOT_0 is the first --root); a root whose realpath
 * differs (a symlinked root) gets both its given path and ROOT_n_REAL, since the server may use
 * either. Runtime and read paths already covered by an earlier parameter of the same kind are left
 * out. Throws WardenError('config') for a path that cannot be represented safely.
 */
export function collectSeatbeltParams(spec: LaunchSpec, home: string, tmpDir: string): SeatbeltParams {
  const executable = {
    name: 'EXECUTABLE',
    value: canonicalMacPath(spec.executable, 'the server executable'),
  };
  const roots: RootParam[] = [];
  spec.roots.forEach((root, index) => {
    const { readOnly } = root;
    const given = canonicalMacPath(root.path, `root ${root.path}`);
    const real = canonicalMacPath(root.realPath, `root ${root.path} (realpath)`);
    roots.push({ name: `ROOT_${index}`, value: given, readOnly });
    if (real !== given) roots.push({ name: `ROOT_${index}_REAL`, value: real, readOnly });
  });
  if (spec.stateHome !== undefined) {
    roots.push({
      name: 'STATE_HOME',
      value: canonicalMacPath(spec.stateHome.path, "the server's home"),
      readOnly: false,
    });
  }
  const seen = new Set([executable.value]);
  const numbered = (prefix: string, paths: readonly string[], what: string): SeatbeltParam[] => {
    const params: SeatbeltParam[] = [];
    for (const file of paths) {
      const value = canonicalMacPath(file, what);
      if (seen.has(value)) continue;
      seen.add(value);
      params.push({ name: `${prefix}_${params.length}`, value });
    }
    return params;
  };
  const runtime = numbered('RUNTIME', spec.runtimePaths, 'runtime path');
  const runtimeSet = new Set(spec.runtimePaths);
  const reads = numbered(
    'READ',
    spec.readOnlyPaths.filter((file) => !runtimeSet.has(file)),
    'read-only path',
  );
  return {
    executable,
    tmpDir: { name: 'TMPDIR', value: canonicalMacPath(tmpDir, 'the sandbox temp directory') },
    home: { name: 'HOME', value: canonicalMacPath(home, 'the home directory') },
    roots,
    runtime,
    reads,
  };
}

/** Pure: the parameters in command-line order. */
export function paramList(params: SeatbeltParams): SeatbeltParam[] {
  return [
    params.executable,
    params.tmpDir,
    params.home,
    ...params.roots.map(({ name, value }) => ({ name, value })),
    ...params.runtime,
    ...params.reads,
  ];
}
