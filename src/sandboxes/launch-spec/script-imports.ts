import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CodeLanguage } from './package-root.ts';

/** At most this many files are followed from a lone script (the script itself included). */
export const MAX_IMPORTED_FILES = 64;
/** Only the first bytes of each file are scanned for imports. */
const MAX_SCAN_BYTES = 2 * 1024 * 1024;

// TypeScript too: Node runs .ts/.mts/.cts files by stripping their types.
const JS_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
// Relative specifiers only ("./x", "../x"): bare ones resolve from node_modules, which is mounted anyway.
// Each pattern starts with a literal keyword and scans one quoted string: linear time.
const JS_PATTERNS = [
  /\bfrom\s*(['"])(\.\.?\/[^'"\n]*)\1/g,
  /\bimport\s*\(?\s*(['"])(\.\.?\/[^'"\n]*)\1/g,
  /\brequire\s*\(\s*(['"])(\.\.?\/[^'"\n]*)\1/g,
];
const PY_FROM = /^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b/gm;
const PY_IMPORT = /^[ \t]*import[ \t]+([^\n#;]+)/gm;

/** A file or directory a lone script imports from its own directory. */
export interface ImportedPath {
  path: string;
  /** The file whose import named it. */
  importer: string;
  /** 'file' for a module file, 'package' for a Python package directory. */
  kind: 'file' | 'package';
}

/**
 * Pure-ish (reads files): the code a lone script statically imports by relative path, transitively,
 * restricted to JavaScript and TypeScript files (.js/.mjs/.cjs/.ts/.mts/.cts) — or for Python, sibling modules and package
 * directories — whose realpath lies below the script's own directory with no dot-named component.
 * Data files (JSON, text) are never followed: the script is untrusted and must not choose host files
 * to be mounted. Bounded by MAX_IMPORTED_FILES. `script` is a real absolute path; it is not returned.
 */
export function scriptImports(script: string, language: CodeLanguage): ImportedPath[] {
  const base = path.dirname(script);
  const found: ImportedPath[] = [];
  const seen = new Set<string>([script]);
  const queue = [script];
  while (queue.length > 0 && seen.size < MAX_IMPORTED_FILES) {
    const file = queue.shift() as string;
    const text = readHead(file);
    const candidates = language === 'node' ? jsCandidates(file, text) : pyCandidates(base, text);
    for (const candidate of candidates) {
      const real = safeRealpath(candidate.path);
      if (real === undefined || seen.has(real) || seen.size >= MAX_IMPORTED_FILES) continue;
      // Both the name imported and the file it really is must pass: a link named ./lib.js that
      // points at ../.env.js or ./notes.txt is not followed.
      const names = [...new Set([candidate.path, real])];
      if (!names.every((name) => isBelow(name, base) && hasCodeExtension(name, candidate.kind, language)))
        continue;
      seen.add(real);
      for (const name of names) found.push({ path: name, importer: file, kind: candidate.kind });
      if (candidate.kind === 'file') queue.push(real);
    }
  }
  return found;
}

function jsCandidates(file: string, text: string): Array<{ path: string; kind: 'file' }> {
  const out: Array<{ path: string; kind: 'file' }> = [];
  for (const pattern of JS_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const target = path.resolve(path.dirname(file), (match[2] as string).replace(/[?#].*$/, ''));
      const hit = [
        target,
        ...JS_EXTENSIONS.map((ext) => target + ext),
        ...JS_EXTENSIONS.map((ext) => path.join(target, `index${ext}`)),
      ].find((option) => JS_EXTENSIONS.includes(path.extname(option)) && isFile(option));
      if (hit !== undefined) out.push({ path: hit, kind: 'file' });
    }
  }
  return out;
}

function pyCandidates(base: string, text: string): Array<{ path: string; kind: 'file' | 'package' }> {
  const names = new Set<string>();
  for (const match of text.matchAll(PY_FROM)) names.add(match[1] as string);
  for (const match of text.matchAll(PY_IMPORT)) {
    for (const part of (match[1] as string).split(',')) {
      const name = part.trim().split(/\s+/)[0];
      if (name !== undefined && /^[A-Za-z_][\w.]*$/.test(name)) names.add(name);
    }
  }
  const out: Array<{ path: string; kind: 'file' | 'package' }> = [];
  for (const name of names) {
    // sys.path[0] is the script's directory: a top-level module there shadows everything else.
    const top = name.split('.')[0] as string;
    const file = path.join(base, `${top}.py`);
    const pkg = path.join(base, top);
    if (isFile(file)) out.push({ path: file, kind: 'file' });
    else if (isFile(path.join(pkg, '__init__.py'))) out.push({ path: pkg, kind: 'package' });
  }
  return out;
}

function hasCodeExtension(file: string, kind: 'file' | 'package', language: CodeLanguage): boolean {
  if (kind === 'package') return true;
  return language === 'node' ? JS_EXTENSIONS.includes(path.extname(file)) : path.extname(file) === '.py';
}

/** Below `base` (a real path) with no component, below it, that starts with a dot. */
function isBelow(real: string, base: string): boolean {
  if (!real.startsWith(`${base}/`)) return false;
  return !real
    .slice(base.length + 1)
    .split('/')
    .some((part) => part.startsWith('.'));
}

function readHead(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(Math.min(MAX_SCAN_BYTES, statSync(file).size));
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function safeRealpath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
