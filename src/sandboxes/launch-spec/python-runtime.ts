import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../../errors.ts';
import { readCached, writeCached } from '../../util/disk-cache.ts';
import { homeDir } from '../../util/home-dir.ts';
import { type CodeMount, MountList } from './code-mounts.ts';
import { type ExtensionLibraries, extensionLibraries } from './extension-libraries.ts';
import { mountPackageFiles } from './package-files.ts';
import { tooBroadReason } from './package-root.ts';
import { findSharedObjects, pthDirectories } from './python-site.ts';
import {
  baseInterpreter,
  findVenv,
  isInside,
  linkChain,
  type Venv,
  venvSitePackages,
} from './python-venv.ts';

const PYTHON = /^(python|pypy)[0-9.]*$/;
const QUERY_TIMEOUT_MS = 10_000;
/**
 * Asked of the base interpreter in isolated mode without the site module (-I -S): nothing from a
 * venv, a user site or a .pth file runs on the host. site.getsitepackages() only computes paths.
 */
const QUERY = [
  'import json, site, sys',
  'get = getattr(site, "getsitepackages", None)',
  'print(json.dumps({"path": sys.path, "site": get() if get else []}))',
].join('\n');

/** True when `executable` is a Python interpreter by name (python, python3, python3.12, pypy3...). */
export function isPython(executable: string): boolean {
  return PYTHON.test(path.basename(executable));
}

/**
 * Pure: the entries of an interpreter's `sys.path` worth mounting: absolute, existing (checked by
 * `exists`), deduplicated; the script directory entry ('') is left out (the server's own package is
 * mounted separately).
 */
export function usefulSysPath(entries: readonly string[], exists: (p: string) => boolean): string[] {
  return [...new Set(entries.filter((entry) => entry.startsWith('/') && exists(entry)))];
}

/** One read-only mount for the Python runtime, and whether it is runtime (interpreter, stdlib, libraries). */
export interface PythonMount extends CodeMount {
  runtime: boolean;
}

/** What a Python interpreter needs in the sandbox besides its binary and the libraries it links. */
export interface PythonRuntime {
  /** The venv the interpreter belongs to; undefined for a plain interpreter. */
  venv: Venv | undefined;
  /** Read-only mounts in order, each with its reason; none lies inside an earlier directory mount. */
  mounts: PythonMount[];
  /** Paths deliberately not mounted (a .pth entry naming the home directory...), and why. */
  leftOut: CodeMount[];
  /** Things the user should know (an extension whose library is missing on the host...). */
  warnings: string[];
}

/**
 * The Python runtime of `executable` (the path the sandbox runs it by, see pythonRunPath):
 * - in a venv: the venv directory, whole and read-only (so it is active: sys.prefix is the venv),
 *   its base interpreter's standard library, and with include-system-site-packages the base's
 *   site-packages;
 * - otherwise: the interpreter's standard library and site-packages;
 * - the directories the site-packages' .pth files add (editable installs), as server code: without
 *   dotfiles, never the home directory or a shared directory;
 * - the shared libraries of every extension module in lib-dynload, the site-packages and those
 *   directories (extensionLibraries), cached by the directories' mtimes.
 * Nothing of the venv is executed on the host: only the base interpreter runs, with -I -S.
 * Throws WardenError('resolve-failed') when a venv's base interpreter cannot be found, or a venv is
 * the home directory or a shared directory.
 */
export async function pythonRuntime(
  executable: string,
  options: { cacheDir?: string; home?: string } = {},
): Promise<PythonRuntime> {
  const home = options.home ?? homeDir();
  const venv = findVenv(executable);
  const base = venv === undefined ? realpathSync(executable) : baseInterpreter(venv, executable);
  if (venv !== undefined && base === undefined) {
    throw new WardenError(
      'resolve-failed',
      `cannot find the base interpreter of the virtualenv ${venv.dir} (pyvenv.cfg home = ${venv.config.home ?? '(none)'})`,
      { hint: 'recreate the virtualenv (its base Python was moved or removed)' },
    );
  }
  const broadVenv = venv === undefined ? undefined : tooBroadReason(venv.dir, home);
  if (venv !== undefined && broadVenv !== undefined) {
    throw new WardenError(
      'resolve-failed',
      `the virtualenv of ${executable} is ${venv.dir}, ${broadVenv}: it cannot be mounted whole`,
      { hint: 'create the virtualenv in a directory of its own (python3 -m venv ~/.venvs/NAME)' },
    );
  }
  const facts = await queryInterpreter(base as string, options.cacheDir);
  const stdlib = usefulSysPath(facts.path, existsSync).map((entry) => realpathSync(entry));
  const baseSite = usefulSysPath(facts.site, existsSync).map((entry) => realpathSync(entry));
  const siteDirs =
    venv === undefined ? baseSite : [...venvSitePackages(venv), ...(venv.systemSitePackages ? baseSite : [])];

  const mounts: PythonMount[] = [];
  const dirs: string[] = [];
  const add = (file: string, why: string, runtime: boolean): void => {
    if (mounts.some((m) => m.path === file) || dirs.some((dir) => isInside(file, dir))) return;
    mounts.push({ path: file, why, runtime });
    if (isDirectoryPath(file)) dirs.push(file);
  };
  if (venv !== undefined) {
    add(
      venv.dir,
      `the virtualenv of ${executable} (made by ${venv.madeBy}), whole and read-only, so that it is active (sys.prefix)`,
      false,
    );
  }
  // The links from the venv's interpreter to the base binary outside it (Debian: /usr/bin/python3).
  for (const link of linkChain(executable)) {
    if (venv === undefined || !isInside(link, venv.dir))
      add(link, `link on the way from ${executable} to ${base}`, true);
  }
  for (const entry of stdlib) add(entry, `standard library of ${base} (sys.path)`, true);
  for (const entry of siteDirs) add(entry, `site-packages of ${base}`, false);

  // Paths the .pth files add: the user's own code (editable installs) or shared tool libraries.
  const code = new MountList();
  const pthDirs: string[] = [];
  for (const site of siteDirs) {
    for (const dir of pthDirectories(site)) {
      if (dirs.some((mounted) => isInside(dir, mounted))) continue;
      const broad = tooBroadReason(dir, home);
      if (broad !== undefined) {
        code.leaveOut(dir, `named by a .pth file in ${site}, but ${broad}`);
        continue;
      }
      pthDirs.push(dir);
      mountPackageFiles(dir, undefined, code, `on sys.path through a .pth file in ${site}`);
    }
  }
  const codeResult = code.result();
  for (const mount of codeResult.mounts) add(mount.path, mount.why, false);

  const scanDirs = [
    ...stdlib.filter((entry) => path.basename(entry) === 'lib-dynload'),
    ...siteDirs,
    ...pthDirs,
  ];
  const libraries = await librariesOf(scanDirs, base as string, options.cacheDir);
  for (const library of libraries.libraries)
    add(library, 'shared library of Python extension modules (ldd)', true);

  const warnings = [...codeResult.warnings];
  if (libraries.truncated) {
    warnings.push(
      `the Python site-packages of ${executable} hold too many files to scan for extension modules fully; an extension that fails to import may need its libraries added with the profile's readOnlyPaths`,
    );
  }
  for (const { file, sonames } of libraries.missing) {
    warnings.push(
      `Python extension ${file} links ${sonames.join(', ')}, which ldd cannot find on this host: importing it fails in the sandbox as it would outside`,
    );
  }
  return { venv, mounts, leftOut: codeResult.leftOut, warnings };
}

/** The base interpreter's sys.path and site-packages (with -I -S), cached per binary. */
async function queryInterpreter(
  base: string,
  cacheDir: string | undefined,
): Promise<{ path: string[]; site: string[] }> {
  const stat = statSync(base);
  const key = `python-query\0${base}\0${stat.mtimeMs}\0${stat.size}`;
  const cached =
    cacheDir === undefined ? undefined : readCached<{ path: string[]; site: string[] }>(cacheDir, key);
  if (cached !== undefined) return cached;
  const { execa } = await import('execa');
  const result = await execa(base, ['-I', '-S', '-c', QUERY], {
    reject: false,
    timeout: QUERY_TIMEOUT_MS,
    env: {},
    extendEnv: false,
    stdin: 'ignore',
  });
  const facts = parseQuery(result.stdout);
  if (cacheDir !== undefined && result.exitCode === 0) writeCached(cacheDir, key, facts);
  return facts;
}

/**
 * The libraries of the extension modules under `dirs`, cached by the base binary and each directory's
 * mtime (installing or removing a package changes its site-packages directory's mtime): a cached
 * start-up neither walks the site-packages nor runs ldd. A cached list whose files no longer all
 * exist is recomputed.
 */
async function librariesOf(
  dirs: readonly string[],
  base: string,
  cacheDir: string | undefined,
): Promise<ExtensionLibraries & { truncated: boolean }> {
  const stamp = dirs.map((dir) => `${dir}\0${mtimeOf(dir)}`).join('\0');
  const key = `python-extension-libraries\0${base}\0${mtimeOf(base)}\0${stamp}`;
  type Entry = ExtensionLibraries & { truncated: boolean };
  const cached = cacheDir === undefined ? undefined : readCached<Entry>(cacheDir, key);
  if (cached !== undefined && cached.libraries.every((file) => existsSync(file))) return cached;
  const scanned = findSharedObjects(dirs);
  const found = await extensionLibraries(scanned.files);
  const entry: Entry = {
    // Libraries inside the scanned directories (a wheel's bundled .libs) are mounted with them.
    libraries: found.libraries.filter((library) => !dirs.some((dir) => isInside(library, dir))),
    missing: found.missing,
    truncated: scanned.truncated,
  };
  if (cacheDir !== undefined) writeCached(cacheDir, key, entry);
  return entry;
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function isDirectoryPath(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The interpreter's answer; a non-CPython-like one yields nothing (only its binary and libraries get mounted). */
function parseQuery(stdout: string): { path: string[]; site: string[] } {
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
  try {
    const value = JSON.parse(stdout) as { path?: unknown; site?: unknown };
    return { path: strings(value.path), site: strings(value.site) };
  } catch {
    return { path: [], site: [] };
  }
}
