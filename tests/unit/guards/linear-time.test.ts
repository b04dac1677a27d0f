// Issue 20 item 6: every pattern the warden applies to server text must take time linear in it. One
// private-key pattern backtracked exponentially (a 562-byte line froze the warden); others were
// quadratic on pumped input. Each subject below is pumped with strings built from its own prefixes,
// characters and separators — systematic ones and random ones (fast-check, fixed seed) — to 64 KiB and
// 256 KiB and 1 MiB: the 1 MiB run must stay within a generous budget per MiB, and one MiB at once must
// cost about what the same MiB costs in 64 KiB or 256 KiB pieces (within a constant factor: quadratic code
// would take 16× or 4× longer; exponential never finishes). Times are this thread's CPU time, the best of
// up to three tries, so a busy machine does not fail the test.
import fc from 'fast-check';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPrivateKeys } from '../../../src/guards/private-key-scanner.ts';
import { SECRET_CANDIDATE, SECRET_PATTERNS } from '../../../src/guards/secret-patterns.ts';
import type { SecretPattern } from '../../../src/guards/secret-patterns.ts';
import { CONTROL_CANDIDATE, stripControls } from '../../../src/guards/strip-controls.ts';
import { PolicySchema } from '../../../src/config/policy-schema.ts';
import { hasFileScheme, isPathLike } from '../../../src/policy/paths/forms.ts';
import { linkRule, mayHoldLink } from '../../../src/policy/rules/response-uris.ts';
import { guardServerContent } from '../../../src/policy/rules/server-content.ts';
import type { PolicyContext } from '../../../src/policy/types.ts';
import { detectInText } from '../../../src/scan/poison-detectors.ts';
import { hostPaths } from '../../../src/util/host-paths.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Generous (machines here are shared and noisy): the point is to catch blow-ups, not to benchmark. */
const BUDGET_MS_PER_MIB = 2000;
/** One MiB at once may cost at most this many times 16 runs on 64 KiB (linear: 1×; quadratic: 16×). */
const MAX_GROWTH = 4;
/** … and at most this many times 4 runs on 256 KiB (linear: 1×; quadratic: 4×). */
const MAX_STEP = 3;
/** The thread CPU clock ticks coarsely: below this a total is noise, and is compared as this. */
const FLOOR_MS = 8;

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-linear-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ctx: PolicyContext = {
  policy: PolicySchema.parse({}),
  roots: [{ path: root, realPath: root, readOnly: false }],
  home: root,
  realpath: hostPaths.realpath,
  readlink: hostPaths.readlink,
};

/** What a subject's pumps are made of. */
interface Atoms {
  prefixes: string[];
  chars: string[];
  separators: string[];
}

interface Subject {
  name: string;
  run: (text: string) => unknown;
  atoms: Atoms;
}

function secretSubject(pattern: SecretPattern, atoms: Atoms): Subject {
  const run =
    'find' in pattern
      ? (text: string) => pattern.find(text)
      : (text: string) =>
          text.replace(pattern.regex, (...args: unknown[]) => {
            const groups = args[args.length - 1] as Record<string, string | undefined> | undefined;
            pattern.ignore?.((typeof groups === 'object' && groups?.secret) || (args[0] as string));
            return '';
          });
  return { name: `secret pattern ${pattern.id}`, run, atoms };
}

const SECRET_ATOMS: Record<string, Atoms> = {
  'private-key': {
    prefixes: [
      '-----BEGIN PRIVATE KEY-----',
      '-----BEGIN ',
      '-----END PRIVATE KEY-----',
      '-----BEGIN A B PRIVATE KEY BLOCK-----',
    ],
    chars: ['a', 'Z', '+', ' ', '\n', '\\n', '-'],
    separators: [
      ':',
      'aaaaaaaaaaaaaaaa:\n',
      'aaaa:\\n',
      'Proc-Type: 4\\n',
      '-----END ',
      '-----END X',
      '\\x',
      ',',
    ],
  },
  'aws-access-key-id': {
    prefixes: ['AKIA', 'ASIA', 'ABIA'],
    chars: ['A', '0'],
    separators: [' ', '_', 'a', '-'],
  },
  'aws-secret-access-key': {
    prefixes: ['aws_secret_access_key', 'secret', 'aws', 'SecretAccessKey', 'aws_key_id'],
    chars: [' ', '=', '"', 'A', 'a', '1', '/'],
    separators: ['=>', '=', ':', '"', "'", 'x'],
  },
  'github-token': {
    prefixes: ['ghp_', 'github_pat_', 'gho_'],
    chars: ['A', '_', '0'],
    separators: [' ', '-', '.'],
  },
  'gitlab-token': { prefixes: ['glpat-'], chars: ['a', '-', '_'], separators: ['.', ' '] },
  'slack-token': { prefixes: ['xoxb-', 'xoxp-'], chars: ['a', '-'], separators: [' ', '.'] },
  'google-api-key': { prefixes: ['AIza'], chars: ['A', '-', '_'], separators: [' ', '.'] },
  'stripe-key': { prefixes: ['sk_live_', 'rk_live_'], chars: ['a', '0'], separators: ['_', ' ', '-'] },
  'anthropic-api-key': { prefixes: ['sk-ant-'], chars: ['a', '-', '_'], separators: ['.', ' '] },
  'openai-api-key': {
    prefixes: ['sk-', 'sk-proj-', 'sk-svcacct-'],
    chars: ['a', '-', '_', '0'],
    separators: [' ', '.'],
  },
  'npm-token': { prefixes: ['npm_'], chars: ['a', '0'], separators: ['_', ' '] },
  jwt: {
    prefixes: ['eyJ', 'eyJaaaaaaaa.eyJ', '-eyJ'],
    chars: ['a', '-', '_'],
    separators: ['.', '-', ' ', '.eyJ'],
  },
  'connection-string-password': {
    prefixes: ['a://', 'postgres://', 'x://u:', 'a:', 'a.b+c-d://'],
    chars: ['a', '.', '+', '-', ':', 'p', '$', '<'],
    separators: ['@', '/', ' ', ':', '://', '"'],
  },
};

const CONTROL_ATOMS: Atoms = {
  prefixes: [
    '\u001b[',
    '\u001b]',
    '\u009b',
    '\u009d',
    '\u001bP',
    '\u001b',
    '\u200d',
    '\ufe0f',
    '\u{e0041}',
    '\u{e0100}',
  ],
  chars: ['0', ';', ' ', '!', 'a', '\u200c', '\ufe0e', '\u001b', '\u200b'],
  separators: ['\u0007', '\u001b\\', 'm', '\u009c', '~'],
};

const POISON_ATOMS: Atoms = {
  prefixes: [
    '<',
    '<important',
    '< / important',
    '<!--',
    '[INST',
    '<|im_start',
    'ignore',
    'ignore all the',
    'do not',
    'never tell',
    'without telling',
    'read',
    'read private',
    'send api',
    'before using',
    'must call the',
    'when the',
    'all other',
    '~/.ssh',
  ],
  chars: [' ', 'a', '/', '-', '`', '.'],
  separators: ['>', '<', '-->', '--', 'user', 'tool', 'key', 'instructions'],
};

const LINK_ATOMS: Atoms = {
  prefixes: ['file:', 'fi\tle:', 'FILE:', 'ｆｉｌｅ:', 'jar:', 'a:', '~', '/', '..', ' '],
  chars: [' ', '\t', '\n', '/', '.', '%2e', '\u0000', 'é', ':', '\u3000'],
  separators: [':', '/..', '~', '{', '}', '\\'],
};

const check = linkRule(ctx);
const message = (text: string): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text }], structuredContent: { [text.slice(0, 4096)]: text } },
});

const SUBJECTS: Subject[] = [
  ...SECRET_PATTERNS.map((pattern) => {
    const atoms = SECRET_ATOMS[pattern.id];
    if (!atoms) throw new Error(`no pump atoms for secret pattern ${pattern.id}: add them here`);
    return secretSubject(pattern, atoms);
  }),
  { name: 'secret pre-check', run: (t) => SECRET_CANDIDATE.test(t), atoms: SECRET_ATOMS.jwt as Atoms },
  { name: 'controls and invisible characters', run: (t) => stripControls(t), atoms: CONTROL_ATOMS },
  { name: 'controls pre-check', run: (t) => CONTROL_CANDIDATE.test(t), atoms: CONTROL_ATOMS },
  { name: 'poison detectors', run: (t) => detectInText(t), atoms: POISON_ATOMS },
  {
    name: 'link rule under a uri key',
    run: (t) => check(t, { at: { key: 'uri', parent: undefined }, isKey: false, holder: {} }),
    atoms: LINK_ATOMS,
  },
  {
    name: 'link rule on a key',
    run: (t) => check(t, { at: { key: t, parent: undefined }, isKey: true, holder: {} }),
    atoms: LINK_ATOMS,
  },
  { name: 'file: surface forms', run: (t) => hasFileScheme(t) || isPathLike(t), atoms: LINK_ATOMS },
  {
    name: 'link pre-check',
    run: (t) => {
      const line = JSON.stringify(t);
      return mayHoldLink(line, Buffer.byteLength(line));
    },
    atoms: LINK_ATOMS,
  },
  {
    name: 'the whole server-content pass (every rule, keys too)',
    run: (t) => {
      const m = message(t);
      const text = JSON.stringify(m);
      return guardServerContent({ action: 'allow' }, m as never, ctx, {
        text,
        bytes: Buffer.byteLength(text),
      });
    },
    atoms: {
      prefixes: [
        ...(SECRET_ATOMS['private-key'] as Atoms).prefixes,
        ...CONTROL_ATOMS.prefixes,
        'file:',
        'eyJ',
      ],
      chars: ['a', ' ', '\n', '-', '\u001b'],
      separators: [':', '.', '@', '\u0007'],
    },
  },
];

/** The pump units of a subject: each prefix, prefix+separator, and runs of each character between. */
function systematicUnits({ prefixes, chars, separators }: Atoms): string[] {
  const units = new Set<string>();
  for (const p of prefixes) {
    units.add(p);
    for (const s of separators) units.add(p + s);
    for (const c of chars) units.add(p + c.repeat(40) + (separators[0] ?? ''));
  }
  for (const c of chars) for (const s of separators) units.add(c + s);
  return [...units];
}

/** At most `max` items of `list`, evenly spread (the run time of the test stays bounded). */
function spread<T>(list: readonly T[], max: number): T[] {
  if (list.length <= max) return [...list];
  return Array.from({ length: max }, (_, i) => list[Math.floor((i * list.length) / max)] as T);
}

/** Random units from the same atoms (fixed seed: reproducible). */
function randomUnits(atoms: Atoms, count: number, seed: number): string[] {
  const atom = fc.oneof(
    fc.constantFrom(...atoms.prefixes),
    fc.tuple(fc.constantFrom(...atoms.chars), fc.integer({ min: 1, max: 48 })).map(([c, n]) => c.repeat(n)),
    fc.constantFrom(...atoms.separators),
  );
  return fc.sample(
    fc.array(atom, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
    { numRuns: count, seed },
  );
}

/** `unit` repeated to at least `size` characters; with `lead`, that text once in front. */
function pumped(unit: string, size: number, lead = ''): string {
  return lead + unit.repeat(Math.max(1, Math.ceil(size / unit.length)));
}

/** CPU time of this thread, in ms: unlike wall time, not inflated by other processes on a busy machine. */
function cpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

/** The two clocks a pump is judged by, in ms. */
interface Times {
  /** This thread's CPU time: not inflated by other processes, but it ticks in steps of 4 ms here. */
  cpu: number;
  /** Wall time: fine-grained, but inflated when the machine is busy. */
  wall: number;
}

/** Both clocks' time of running `run` on `text` `times` times. */
function time(run: (text: string) => unknown, text: string, times: number): Times {
  const [cpu, wall] = [cpuMs(), performance.now()];
  for (let i = 0; i < times; i++) run(text);
  return { cpu: cpuMs() - cpu, wall: performance.now() - wall };
}

/** The better of two timings, clock by clock. */
function best(a: Times, b: Times): Times {
  return { cpu: Math.min(a.cpu, b.cpu), wall: Math.min(a.wall, b.wall) };
}

/** What is wrong with one clock's readings, or undefined when they look linear. */
function verdict(
  clock: keyof Times,
  small: Times,
  medium: Times,
  large: Times,
  budget: number,
): string | undefined {
  const growth = large[clock] / Math.max(small[clock], FLOOR_MS);
  const step = large[clock] / Math.max(medium[clock], FLOOR_MS);
  if (large[clock] <= budget && growth <= MAX_GROWTH && step <= MAX_STEP) return undefined;
  return `${clock}: ${small[clock].toFixed(1)} / ${medium[clock].toFixed(1)} / ${large[clock].toFixed(1)} ms (${growth.toFixed(1)}× ≤ ${MAX_GROWTH}× and ${step.toFixed(1)}× ≤ ${MAX_STEP}× wanted)`;
}

/**
 * Undefined when `unit` scales linearly on `subject`, else what went wrong. The same 1 MiB of work is
 * timed three ways: 16 runs on 64 KiB, 4 runs on 256 KiB, 1 run on 1 MiB. Linear code takes about the
 * same time for each; quadratic code takes 16× (and 4×) longer on the single MiB.
 *
 * Each reading is taken on two clocks, and a pump fails only when both say so: quadratic code's 16×
 * shows on both. Linear code failed on CPU time alone in CI: its 4 ms ticks made 7.7 / 34.6 ms read as
 * 4.3×. Wall time alone fails linear code when other processes steal the CPU.
 */
function judge(subject: Subject, unit: string, lead: string): string | undefined {
  const small = pumped(unit, 64 * KiB, lead);
  const medium = pumped(unit, 256 * KiB, lead);
  const large = pumped(unit, MiB, lead);
  subject.run(small); // warm up: the first run of a regex compiles it
  const never: Times = { cpu: Infinity, wall: Infinity };
  let [tSmall, tMedium, tLarge] = [never, never, never];
  const budget = (BUDGET_MS_PER_MIB * large.length) / MiB;
  let worst: string | undefined;
  // A noisy machine can stall any one run: a pump fails only when three tries all fail, each size
  // judged by its best time on each clock.
  for (let attempt = 0; attempt < 3; attempt++) {
    tSmall = best(tSmall, time(subject.run, small, 16));
    tMedium = best(tMedium, time(subject.run, medium, 4));
    tLarge = best(tLarge, time(subject.run, large, 1));
    const cpu = verdict('cpu', tSmall, tMedium, tLarge, budget);
    const wall = verdict('wall', tSmall, tMedium, tLarge, budget);
    if (cpu === undefined || wall === undefined) return undefined;
    worst = `${JSON.stringify(lead + unit).slice(0, 80)}: 1 MiB of work as 16×64 KiB / 4×256 KiB / 1×1 MiB (budget ${budget.toFixed(0)} ms) took ${cpu}; ${wall}`;
  }
  return worst;
}

describe('every pattern applied to server text is linear (pumped to 64 KiB and 1 MiB)', () => {
  it.each(SUBJECTS.map((s, i) => [s.name, s, i] as const))(
    '%s',
    (_name, subject, i) => {
      const failures: string[] = [];
      const units = [
        ...spread(systematicUnits(subject.atoms), 18),
        ...randomUnits(subject.atoms, 6, 20_261_120 + i),
      ];
      for (const unit of units) {
        const failure = judge(subject, unit, '');
        if (failure) failures.push(failure);
      }
      // A prefix once, then a pumped body (what the 562-byte line was: a BEGIN marker and header lines).
      const leads = subject.atoms.prefixes.flatMap((lead) =>
        [...subject.atoms.chars, ...subject.atoms.separators].map((unit) => [lead, unit] as const),
      );
      for (const [lead, unit] of spread(leads, 10)) {
        const failure = judge(subject, unit, lead);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    },
    300_000,
  );

  // The judge itself: a check that cannot fail is no check. 256 scans from evenly spaced starts to the
  // end of the text: quadratic, and (about 13 / 47 / 180 ms here) clear of the floor and the budget.
  it('the judge fails quadratic code and passes linear code on the same text', () => {
    const atoms: Atoms = { prefixes: [], chars: ['a'], separators: [] };
    const scanTo = (text: string, from: number): number => {
      let sum = 0;
      for (let j = from; j < text.length; j++) sum += text.charCodeAt(j);
      return sum;
    };
    const quadratic: Subject = {
      name: 'scan from every 4096th character',
      run: (text) => {
        let sum = 0;
        for (let i = 0; i < text.length; i += 4096) sum += scanTo(text, i);
        return sum;
      },
      atoms,
    };
    const linear: Subject = {
      name: 'one scan, 256 times',
      atoms,
      run: (text) => {
        let sum = 0;
        for (let k = 0; k < 256; k++) sum += scanTo(text, 0);
        return sum;
      },
    };
    expect(judge(quadratic, 'a', '')).toMatch(/cpu: .*; wall: /);
    expect(judge(linear, 'a', '')).toBeUndefined();
  });

  it('the red team’s 562-byte line and the private-key scanner agree with what a key is', () => {
    const line = `-----BEGIN PRIVATE KEY-----\n${'aaaaaaaaaaaaaaaa:\n'.repeat(24)}`;
    const started = performance.now();
    expect(findPrivateKeys(line)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
