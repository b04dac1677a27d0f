import {
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import path from 'node:path';

/** A Python virtual environment (venv, virtualenv, pipx, uv), found from its interpreter's path. */
export interface Venv {
  /** The venv directory (real path): the one holding pyvenv.cfg, sys.prefix when it is active. */
  dir: string;
  /** pyvenv.cfg, keys lower-cased. */
  config: Record<string, string>;
  /** `include-system-site-packages = true`: the base interpreter's site-packages are on sys.path too. */
  systemSitePackages: boolean;
  /** Which tool made it, from pyvenv.cfg: `uv = ...`, `virtualenv = ...`, else the stdlib venv module. */
  madeBy: 'uv' | 'virtualenv' | 'venv';
}

/**
 * Pure: pyvenv.cfg as key → value (keys lower-cased and trimmed, `=` splits once). Lines without `=`
 * and comments are skipped, as CPython's own reader does.
 */
export function parsePyvenvCfg(text: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0 || line.trimStart().startsWith('#')) continue;
    config[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return config;
}

/**
 * The venv an interpreter path belongs to, found the way CPython finds it at start-up: a pyvenv.cfg
 * next to the executable (its path as run, not its link target) or one directory up. Undefined for
 * an interpreter outside any venv.
 */
export function findVenv(python: string): Venv | undefined {
  const binDir = path.dirname(python);
  for (const candidate of [binDir, path.dirname(binDir)]) {
    const cfg = path.join(candidate, 'pyvenv.cfg');
    let text: string;
    try {
      text = readFileSync(cfg, 'utf8');
    } catch {
      continue;
    }
    const config = parsePyvenvCfg(text);
    return {
      dir: realpathSync(candidate),
      config,
      systemSitePackages: config['include-system-site-packages']?.toLowerCase() === 'true',
      madeBy: 'uv' in config ? 'uv' : 'virtualenv' in config ? 'virtualenv' : 'venv',
    };
  }
  return undefined;
}

/**
 * The path to run a Python interpreter by: inside a venv, the venv's own name for it (bin/python, a
 * link) with only its directory resolved, so that CPython finds pyvenv.cfg and activates the venv;
 * anywhere else, the real path. `found` must be an absolute path to an existing file.
 */
export function pythonRunPath(found: string): string {
  const inVenv = findVenv(found);
  if (inVenv === undefined) return realpathSync(found);
  return path.join(realpathSync(path.dirname(found)), path.basename(found));
}

/**
 * The venv's site-packages directories, from its layout (lib/pythonX.Y/site-packages, lib64, PyPy's
 * lib/pypyX.Y): no interpreter is run to find them (see baseInterpreter for why).
 */
export function venvSitePackages(venv: Venv): string[] {
  const found: string[] = [];
  for (const lib of ['lib', 'lib64']) {
    const libDir = path.join(venv.dir, lib);
    for (const name of safeList(libDir)) {
      if (!/^(python|pypy)\d/.test(name)) continue;
      const site = path.join(libDir, name, 'site-packages');
      if (isDirectory(site)) found.push(realpathSync(site));
    }
  }
  return [...new Set(found)];
}

/**
 * The base interpreter of a venv: the real path of its python when that lies outside the venv (the
 * usual link to the base binary), else (a copied binary, `venv --copies`) the interpreter of the same
 * name in pyvenv.cfg's `home`. This is the binary the warden asks for the standard library, never
 * the venv's own: code in the venv (a package's .pth file, a planted bin/python) must not run on the
 * host. Undefined when no base interpreter can be found.
 */
export function baseInterpreter(venv: Venv, python: string): string | undefined {
  const real = realpathSync(python);
  if (!isInside(real, venv.dir)) return real;
  const home = venv.config.home;
  if (home === undefined || !path.isAbsolute(home)) return undefined;
  const version = /^(\d+)\.(\d+)/.exec(venv.config.version_info ?? venv.config.version ?? '');
  const names = [path.basename(python), ...(version ? [`python${version[1]}.${version[2]}`] : []), 'python3'];
  for (const name of names) {
    const candidate = path.join(home, name);
    if (!existsSync(candidate)) continue;
    const resolved = realpathSync(candidate);
    if (!isInside(resolved, venv.dir)) return resolved;
  }
  return undefined;
}

/** Links followed at most, as the kernel does (ELOOP past 40). */
const MAX_LINKS = 40;

/**
 * The symbolic links met on the way from `file` to its target, each as an absolute path (not the
 * target itself): a venv's bin/python3 → python → /usr/bin/python3 → python3.11 passes through
 * /usr/bin/python3, which must exist in the sandbox for the venv's interpreter to start.
 */
export function linkChain(file: string): string[] {
  const links: string[] = [];
  let current = path.resolve(file);
  for (let hop = 0; hop < MAX_LINKS; hop += 1) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      break;
    }
    if (!isLink) break;
    links.push(current);
    current = path.resolve(path.dirname(current), readlinkSync(current));
  }
  return links;
}

/** True when `file` is `dir` or lies below it (both real paths). */
export function isInside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
