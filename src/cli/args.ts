import { parseArgs } from 'node:util';
import { WardenError } from '../errors.ts';

/** Options shared by `run` and `explain` (DESIGN.md, CLI). */
export interface RunArgs {
  profile: string;
  roots: string[];
  env: string[];
  policy: string | undefined;
  auditLog: string | undefined;
  onBreach: 'kill' | 'restart' | undefined;
  memoryMb: number | undefined;
  cpus: number | undefined;
  timeoutMs: number | undefined;
  /** `--lock FILE`: tool pins written by `mcp-warden scan` (overrides policy.guards.lockFile). */
  lock: string | undefined;
  /**
   * `--allow-root-symlink PATH` (repeatable): roots the user confirms although their path passes through
   * a symlink inside an earlier session's read-write root. Undefined: none.
   */
  allowRootSymlink?: string[];
  /** `--allow-host PATTERN` (repeatable): hosts added to the profile's network allowlist. Undefined: none. */
  allowHost?: string[];
  /**
   * `--name NAME`: the server's name, which keys its private state home (HOME). Undefined: derived
   * from the command (see launch-spec/state-home.ts).
   */
  name?: string | undefined;
  /** `--strict-protocol`: any non-JSON line on the server stdout is a breach (policy.strayOutput.strict). */
  strictProtocol?: boolean;
  /**
   * `--learn FILE` (`mcp-warden learn --out FILE`): observe the session and write a least-privilege
   * profile to FILE and its report beside it (src/learn). Undefined: no learning.
   */
  learn?: string | undefined;
  /**
   * `--learn-network` (with --learn only): while learning, the egress proxy lets the server reach any
   * public host (private addresses still need allowPrivate) and records each one. Undefined/false:
   * only the hosts the profile and --allow-host allow; the others are reported as "would need".
   */
  learnNetwork?: boolean;
  /** `--record FILE`: append the session's messages and verdicts to FILE (src/replay). Undefined: none. */
  record?: string | undefined;
  /** `--record-contents` (with --record only): keep file contents in the record (dropped by default). */
  recordContents?: boolean;
  /**
   * `--warm`: take a ready container of the same plan from the per-user warm pool, which keeps one
   * ready per plan (docker and gvisor; no effect on other backends). Undefined/false: launch on demand.
   */
  warm?: boolean;
  /** The server command: COMMAND [ARGS...], never empty. */
  command: string[];
}

const RUN_OPTIONS = {
  profile: { type: 'string' },
  root: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  policy: { type: 'string' },
  'audit-log': { type: 'string' },
  'on-breach': { type: 'string' },
  memory: { type: 'string' },
  cpus: { type: 'string' },
  timeout: { type: 'string' },
  lock: { type: 'string' },
  'allow-root-symlink': { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  name: { type: 'string' },
  'strict-protocol': { type: 'boolean' },
  learn: { type: 'string' },
  'learn-network': { type: 'boolean' },
  record: { type: 'string' },
  'record-contents': { type: 'boolean' },
  warm: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parse `run`/`explain` arguments. Everything after `--` (or from the first non-option word on) is the
 * server command, passed through untouched. Returns undefined when --help was asked for.
 */
export function parseRunArgs(argv: readonly string[]): RunArgs | undefined {
  const split = argv.indexOf('--');
  let own: string[];
  let command: string[];
  if (split >= 0) {
    own = argv.slice(0, split);
    command = argv.slice(split + 1);
  } else {
    // No `--`: the command starts at the first word that is not an option or an option's value.
    const start = firstPositional(argv);
    own = argv.slice(0, start);
    command = argv.slice(start);
  }
  let values;
  try {
    ({ values } = parseArgs({ args: own, options: RUN_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new WardenError('usage', (error as Error).message.replace(/\. To specify.*$/s, ''), {
      hint: 'see mcp-warden run --help',
    });
  }
  if (values.help) return undefined;
  if (command.length === 0 || command[0] === '') {
    throw new WardenError('usage', 'no server command given', {
      hint: 'put the server command after --, e.g. mcp-warden run --root /data -- npx -y @modelcontextprotocol/server-filesystem /data',
    });
  }
  const onBreach = values['on-breach'];
  if (onBreach !== undefined && onBreach !== 'kill' && onBreach !== 'restart') {
    throw new WardenError('usage', `--on-breach must be kill or restart, not "${onBreach}"`);
  }
  return {
    profile: values.profile ?? 'auto',
    roots: values.root ?? [],
    env: values.env ?? [],
    policy: values.policy,
    auditLog: values['audit-log'],
    onBreach,
    memoryMb: number('--memory', values.memory, { integer: true, min: 16 }),
    cpus: number('--cpus', values.cpus, { integer: false, min: 0.05 }),
    timeoutMs: number('--timeout', values.timeout, { integer: true, min: 100 }),
    lock: values.lock,
    allowRootSymlink: values['allow-root-symlink'] ?? [],
    allowHost: values['allow-host'] ?? [],
    name: values.name,
    strictProtocol: values['strict-protocol'] ?? false,
    ...learnArgs(values.learn, values['learn-network'] ?? false),
    ...recordArgs(values.record, values['record-contents'] ?? false),
    warm: values.warm ?? false,
    command,
  };
}

function learnArgs(file: string | undefined, network: boolean): Pick<RunArgs, 'learn' | 'learnNetwork'> {
  if (file === undefined) {
    if (network) {
      throw new WardenError('usage', '--learn-network only applies while learning', {
        hint: 'use mcp-warden learn --out PROFILE.json --learn-network -- COMMAND (or run --learn PROFILE.json)',
      });
    }
    return {};
  }
  if (file === '' || file.endsWith('/')) {
    throw new WardenError('usage', `--learn/--out "${file}": must name the profile file to write`, {
      hint: 'e.g. --out ./my-server.profile.json',
    });
  }
  return { learn: file, learnNetwork: network };
}

function recordArgs(file: string | undefined, contents: boolean): Pick<RunArgs, 'record' | 'recordContents'> {
  if (file === undefined) {
    if (contents) {
      throw new WardenError('usage', '--record-contents only applies with --record FILE', {
        hint: 'add --record FILE, or leave out --record-contents',
      });
    }
    return {};
  }
  if (file === '' || file.endsWith('/')) {
    throw new WardenError('usage', `--record "${file}": must name the file to write the record to`, {
      hint: 'e.g. --record ./session.jsonl',
    });
  }
  return { record: file, recordContents: contents };
}

function firstPositional(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('-')) return i;
    const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
    const spec = (RUN_OPTIONS as Record<string, { type: string }>)[name];
    if (spec?.type === 'string' && !arg.includes('=')) i++; // skip the option's value
  }
  return argv.length;
}

function number(
  flag: string,
  raw: string | undefined,
  rule: { integer: boolean; min: number },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min) {
    throw new WardenError(
      'usage',
      `${flag} must be ${rule.integer ? 'a whole number' : 'a number'} ≥ ${rule.min}, not "${raw}"`,
    );
  }
  return value;
}

/** Parse one `--root PATH[:ro|:rw]` value into its path and mode (the path is checked later). */
export function parseRootArg(value: string): { path: string; readOnly: boolean } {
  if (value.endsWith(':ro')) return { path: value.slice(0, -3), readOnly: true };
  if (value.endsWith(':rw')) return { path: value.slice(0, -3), readOnly: false };
  return { path: value, readOnly: false };
}

/** Parse one `--env NAME[=VALUE]`. NAME alone takes the value from the warden's own environment. */
export function parseEnvArg(value: string): { name: string; value: string | undefined } {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new WardenError('usage', `--env ${value}: "${name}" is not a valid environment variable name`);
  }
  return { name, value: eq < 0 ? undefined : value.slice(eq + 1) };
}
