// A small reader for the Seatbelt profile language (SBPL, a TinyScheme dialect), for tests only: it
// proves that a generated profile is well formed and uses only operations and filters we know, without
// a Mac. It is stricter than sandbox-exec (no define/import/lambda), on purpose: our profiles need none.

/** A parsed SBPL datum. */
export type SExpr =
  | { kind: 'list'; items: SExpr[]; offset: number }
  | { kind: 'symbol'; name: string; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'regex'; source: string; offset: number }
  | { kind: 'number'; value: number; offset: number };

/** One allow/deny rule of a profile. */
export interface SbplRule {
  action: 'allow' | 'deny';
  operations: string[];
  filters: SExpr[];
  /** The rule's index among the profile's rules (0 is `(deny default)`). */
  index: number;
}

export interface SbplProfile {
  rules: SbplRule[];
  /** Every `(param "NAME")` the profile reads. */
  params: Set<string>;
}

export class SbplError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.offset = offset;
  }
}

/** Operations the generator and policy.sb may use (Apple's names; `*` forms are Apple's wildcards). */
export const KNOWN_OPERATIONS = new Set([
  'default',
  'file*',
  'file-read*',
  'file-read-data',
  'file-read-metadata',
  'file-read-xattr',
  'file-write*',
  'file-write-data',
  'file-write-create',
  'file-write-unlink',
  'file-ioctl',
  'file-map-executable',
  'file-test-existence',
  'process*',
  'process-exec',
  'process-fork',
  'process-info*',
  'signal',
  'sysctl-read',
  'mach-lookup',
  'mach-host*',
  'ipc-posix-shm',
  'ipc-posix-sem',
  'network*',
  'network-outbound',
  'network-inbound',
  'network-bind',
  'system-socket',
]);

/** Filters and their argument shapes. */
const PATH_FILTERS = new Set(['literal', 'subpath', 'prefix', 'path-ancestors']);
const NAME_FILTERS = new Set(['global-name', 'sysctl-name', 'sysctl-name-prefix']);
const COMBINATORS = new Set(['require-all', 'require-any', 'require-not']);
export const KNOWN_FILTERS = new Set([
  ...PATH_FILTERS,
  ...NAME_FILTERS,
  ...COMBINATORS,
  'regex',
  'target',
  'remote',
  'local',
  'vnode-type',
]);
const TARGETS = new Set(['self', 'same-sandbox', 'children']);
const ADDRESS_KINDS = new Set(['ip', 'tcp', 'udp']);
const STRING_ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', t: '\t', r: '\r' };

/** Parse `text` into top-level data. Throws SbplError for unbalanced parens, bad strings or escapes. */
export function parseSbpl(text: string): SExpr[] {
  let i = 0;
  const stack: { items: SExpr[]; offset: number }[] = [{ items: [], offset: 0 }];
  const push = (expr: SExpr): void => {
    (stack.at(-1) as { items: SExpr[] }).items.push(expr);
  };
  const readString = (start: number, raw: boolean): string => {
    let value = '';
    let j = start;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new SbplError('unterminated string', start);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === undefined) throw new SbplError('unterminated string', start);
        if (raw) {
          // Regex literals hand the backslash to the regex engine; only \" needs care.
          value += c + next;
        } else {
          const decoded = STRING_ESCAPES[next];
          if (decoded === undefined) throw new SbplError(`invalid string escape \\${next}`, j);
          value += decoded;
        }
        j += 2;
        continue;
      }
      if (c === '\n' || c === '\r' || c === '\0') throw new SbplError('raw control character in a string', j);
      value += c;
      j += 1;
    }
    i = j + 1;
    return value;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(') {
      stack.push({ items: [], offset: i });
      i += 1;
    } else if (c === ')') {
      if (stack.length === 1) throw new SbplError('unbalanced ")"', i);
      const done = stack.pop() as { items: SExpr[]; offset: number };
      push({ kind: 'list', items: done.items, offset: done.offset });
      i += 1;
    } else if (c === '"') {
      const offset = i;
      push({ kind: 'string', value: readString(i + 1, false), offset });
    } else if (c === '#' && text[i + 1] === '"') {
      const offset = i;
      const source = readString(i + 2, true);
      try {
        new RegExp(source);
      } catch {
        throw new SbplError(`invalid regex ${JSON.stringify(source)}`, offset);
      }
      push({ kind: 'regex', source, offset });
    } else {
      const offset = i;
      let j = i;
      while (j < text.length && !/[\s()";]/.test(text[j] as string)) j += 1;
      const atom = text.slice(i, j);
      i = j;
      if (/^-?\d+$/.test(atom)) push({ kind: 'number', value: Number(atom), offset });
      else if (/^[a-z][a-z0-9*_-]*$/i.test(atom)) push({ kind: 'symbol', name: atom, offset });
      else throw new SbplError(`unexpected token ${JSON.stringify(atom)}`, offset);
    }
  }
  if (stack.length > 1)
    throw new SbplError('unbalanced "(": missing ")"', (stack.at(-1) as { offset: number }).offset);
  return (stack[0] as { items: SExpr[] }).items;
}

const isSymbol = (e: SExpr | undefined, name?: string): e is Extract<SExpr, { kind: 'symbol' }> =>
  e?.kind === 'symbol' && (name === undefined || e.name === name);

/**
 * Parse and check a whole profile: `(version 1)` first, `(deny default)` as the first rule, then only
 * allow/deny rules with known operations and well-formed known filters. Throws SbplError.
 */
export function readSbplProfile(text: string): SbplProfile {
  const forms = parseSbpl(text);
  const params = new Set<string>();
  const [version, ...rest] = forms;
  if (
    version?.kind !== 'list' ||
    version.items.length !== 2 ||
    !isSymbol(version.items[0], 'version') ||
    version.items[1]?.kind !== 'number' ||
    version.items[1].value !== 1
  ) {
    throw new SbplError('the profile must start with (version 1)', version?.offset ?? 0);
  }
  const rules: SbplRule[] = rest.map((form, index) => checkRule(form, index, params));
  const first = rules[0];
  if (
    first === undefined ||
    first.action !== 'deny' ||
    first.operations.join(' ') !== 'default' ||
    first.filters.length > 0
  ) {
    throw new SbplError('the first rule must be (deny default)', rest[0]?.offset ?? 0);
  }
  return { rules, params };
}

function checkRule(form: SExpr, index: number, params: Set<string>): SbplRule {
  if (form.kind !== 'list') throw new SbplError('a top-level form must be a list', form.offset);
  const [head, ...tail] = form.items;
  if (!isSymbol(head) || (head.name !== 'allow' && head.name !== 'deny')) {
    throw new SbplError('a top-level form must be (allow ...) or (deny ...)', form.offset);
  }
  const operations: string[] = [];
  let k = 0;
  for (; k < tail.length && isSymbol(tail[k]); k += 1) {
    const name = (tail[k] as { name: string }).name;
    if (!KNOWN_OPERATIONS.has(name))
      throw new SbplError(`unknown operation ${name}`, (tail[k] as SExpr).offset);
    operations.push(name);
  }
  if (operations.length === 0) throw new SbplError(`(${head.name}) names no operation`, form.offset);
  const filters = tail.slice(k);
  for (const filter of filters) checkFilter(filter, params);
  return { action: head.name, operations, filters, index };
}

function checkFilter(filter: SExpr, params: Set<string>): void {
  if (filter.kind !== 'list' || !isSymbol(filter.items[0])) {
    throw new SbplError('a filter must be a list such as (subpath "...")', filter.offset);
  }
  const name = filter.items[0].name;
  const args = filter.items.slice(1);
  const fail = (why: string): never => {
    throw new SbplError(`(${name}): ${why}`, filter.offset);
  };
  if (!KNOWN_FILTERS.has(name)) fail('unknown filter');
  if (PATH_FILTERS.has(name)) {
    if (args.length !== 1) fail('takes one path');
    const value = checkStringExpr(args[0] as SExpr, params);
    if (value !== undefined && !value.startsWith('/')) fail(`path ${JSON.stringify(value)} is not absolute`);
  } else if (NAME_FILTERS.has(name)) {
    if (args.length !== 1 || args[0]?.kind !== 'string') fail('takes one string');
  } else if (COMBINATORS.has(name)) {
    if (args.length === 0 || (name === 'require-not' && args.length !== 1)) fail('wrong number of filters');
    for (const arg of args) checkFilter(arg, params);
  } else if (name === 'regex') {
    if (args.length !== 1 || args[0]?.kind !== 'regex') fail('takes one #"regex"');
  } else if (name === 'target') {
    if (args.length !== 1 || !isSymbol(args[0]) || !TARGETS.has(args[0].name)) fail('unknown target');
  } else if (name === 'remote' || name === 'local') {
    if (
      args.length !== 2 ||
      !isSymbol(args[0]) ||
      !ADDRESS_KINDS.has(args[0].name) ||
      args[1]?.kind !== 'string'
    ) {
      fail('takes an address kind and a "host:port" string');
    }
  } else if (name === 'vnode-type') {
    if (args.length !== 1 || !isSymbol(args[0])) fail('takes one vnode type');
  }
}

/** A string, (param "NAME") or (string-append ...): returns the literal value when it is one. */
function checkStringExpr(expr: SExpr, params: Set<string>): string | undefined {
  if (expr.kind === 'string') return expr.value;
  if (expr.kind === 'list' && isSymbol(expr.items[0], 'param')) {
    const name = expr.items[1];
    if (expr.items.length !== 2 || name?.kind !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(name.value)) {
      throw new SbplError('(param "NAME") takes one upper-case name', expr.offset);
    }
    params.add(name.value);
    return undefined;
  }
  if (expr.kind === 'list' && isSymbol(expr.items[0], 'string-append') && expr.items.length > 1) {
    for (const part of expr.items.slice(1)) checkStringExpr(part, params);
    return undefined;
  }
  throw new SbplError('expected a string, (param ...) or (string-append ...)', expr.offset);
}
