import { PolicySchema, type Policy } from '../config/policy-schema.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { ResolvedRoot } from '../config/root.ts';
import type { ConnectionEvent } from '../network/connection-event.ts';
import { classifyAddress } from '../network/address-class.ts';
import { parseIpLiteral } from '../network/ip-literal.ts';
import { isWithin } from '../policy/paths/anchor.ts';
import type { BackendName } from '../sandboxes/types.ts';
import { coverDirectories, type DirectoryNeed } from './cover-directories.ts';
import { type EnforcedLimits, learnedLimits } from './learned-limits.ts';
import type { LearnEvent, PeakObservation, RequestObservation } from './observations.ts';

/** What the learning session ran with: the starting point the learned profile narrows. */
export interface LearnBase {
  /** The profile the session ran under (parsed, command-line overrides applied). */
  profile: Profile;
  /** The backend that really ran the session (auto resolved). */
  backend: BackendName;
  /** The session's roots. */
  roots: readonly ResolvedRoot[];
  /** Names of the environment variables the server was given (--env and the profile's env). */
  env: readonly string[];
  /** The learned profile's name. */
  name: string;
  /** The server command, for the description and the report. */
  command: readonly string[];
  /** True when the proxy let any host through while learning (--learn-network). */
  learnNetwork: boolean;
  /** Which learnable limits the backend enforces (learned-limits.ts). Undefined: none. */
  enforced?: EnforcedLimits;
  /** `$schema` of the written profile (an editor hint). Undefined: none. */
  schema?: string;
}

/** One setting of the learned profile, or one it lacks, with the requests or connections behind it. */
export interface ReportEntry {
  /** Where it goes in the profile: `roots`, `policy.tools.allow`, `network.allow`, `env`, `limits.memoryMb`... */
  setting: string;
  value: string;
  because: string[];
}

/** The companion report: why each generated setting is there, and what learning had to refuse. */
export interface LearnReport {
  name: string;
  backend: BackendName;
  command: string[];
  /** Every generated setting with its justification. */
  granted: ReportEntry[];
  /** What the sandbox or policy blocked while learning: settings the server would need to do it. */
  wouldNeed: ReportEntry[];
  /** How things were decided (network mode, what could not be observed). */
  notes: string[];
  counts: { requests: number; toolCalls: number; denied: number; connections: number };
}

export interface LearnResult {
  /** The profile as written (valid against ProfileSchema; defaults left out). */
  profile: Record<string, unknown>;
  report: LearnReport;
}

/** Calls named per justification before "and N more". */
const MAX_REASONS = 6;

/**
 * Pure: derive a least-privilege profile from what a learning session observed. Roots are narrowed
 * to the directories allowed requests named (cover-directories.ts; `:ro` unless a writing tool
 * named a path there); `policy.tools.allow` is exactly the tools called and allowed; `network.allow`
 * exactly the `host:port` pairs the proxy carried (network false when none); `env` the names given;
 * memory and process limits from the sampled peaks with the margin of learned-limits.ts. Everything
 * else is the base profile's. What the policy, the proxy or the sandbox refused is reported in
 * `wouldNeed`, never granted.
 */
export function learnProfile(events: readonly LearnEvent[], base: LearnBase): LearnResult {
  const requests = events.filter((e): e is RequestObservation => e.event === 'learn.request');
  const connections = events.filter((e): e is ConnectionEvent => e.event === 'network.connection');
  const granted: ReportEntry[] = [];
  const wouldNeed: ReportEntry[] = [];
  const notes: string[] = [];

  granted.push({
    setting: 'backend',
    value: base.backend,
    because: [`the backend the learning session ran in (profile "${base.profile.name}")`],
  });

  // ---- roots
  const needs: DirectoryNeed[] = [];
  for (const request of requests) {
    const label = describeRequest(request);
    for (const p of request.paths) {
      const inside = base.roots.some(
        (root) => isWithin(p.real, root.realPath) || isWithin(p.real, root.path),
      );
      if (request.verdict === 'allow') {
        needs.push({ dir: p.dir, write: request.writes, why: `${label}: ${p.real}` });
      } else if (request.rule === 'path.outside-root' && !inside) {
        wouldNeed.push({
          setting: 'roots',
          value: p.dir,
          because: [`${label}: ${p.real} (denied: path.outside-root)`],
        });
      } else if (request.rule === 'path.read-only' && inside) {
        wouldNeed.push({
          setting: 'roots',
          value: `${p.dir} (read-write)`,
          because: [`${label}: ${p.real} (denied: path.read-only)`],
        });
      }
    }
  }
  for (const event of events) {
    if (event.event !== 'learn.config-path') continue;
    const how = event.written ? ' (written during the session)' : ' (not written)';
    needs.push({ dir: event.dir, write: event.written, why: `${event.source} names ${event.real}${how}` });
  }
  const roots = coverDirectories(needs, base.roots);
  for (const root of roots) {
    granted.push({ setting: 'roots', value: rootText(root), because: clipReasons(root.because) });
  }

  // ---- tools
  const calls = requests.filter((r) => r.method === 'tools/call' && r.tool !== undefined);
  const tools = new Map<string, string[]>();
  for (const call of calls) {
    const tool = call.tool as string;
    if (call.verdict === 'allow') {
      tools.set(tool, [...(tools.get(tool) ?? []), describeCall(call)]);
    } else if (call.rule === 'tool.not-allowed') {
      wouldNeed.push({
        setting: 'policy.tools.allow',
        value: tool,
        because: [`${describeRequest(call)} (denied: tool.not-allowed)`],
      });
    }
  }
  const allowedTools = [...tools.keys()].sort();
  for (const tool of allowedTools) {
    const list = tools.get(tool) ?? [];
    granted.push({
      setting: 'policy.tools.allow',
      value: tool,
      because: clipReasons([`called ${list.length} time${list.length === 1 ? '' : 's'}`, ...list]),
    });
  }
  for (const request of requests) {
    if (request.verdict === 'allow' || request.rule === undefined) continue;
    if (request.rule.startsWith('path.') || request.rule === 'tool.not-allowed') continue;
    wouldNeed.push({
      setting: settingForRule(request.rule),
      value: request.tool ?? request.method,
      because: [`${describeRequest(request)} (denied: ${request.rule}: ${request.reason ?? ''})`],
    });
  }

  // ---- network
  const network = learnNetwork(connections, base, granted, wouldNeed, notes);

  // ---- env
  for (const name of [...new Set(base.env)].sort()) {
    granted.push({
      setting: 'env',
      value: name,
      because: [
        `given to the server while learning (--env ${name} or the profile); whether it read it cannot be observed`,
      ],
    });
  }

  // ---- everything the server or the sandbox ran into
  for (const event of events) {
    if (event.event === 'verdict' && event.direction === 'server') {
      wouldNeed.push({
        setting: settingForRule(event.rule),
        value: event.method ?? event.rule,
        because: [`the server was stopped: ${event.rule}: ${event.reason}`],
      });
    } else if (
      event.event === 'verdict' &&
      event.direction === 'client' &&
      event.rule === 'request.timeout'
    ) {
      wouldNeed.push({
        setting: 'policy.limits.requestTimeoutMs',
        value: event.tool ?? event.method ?? 'a request',
        because: [event.reason],
      });
    } else if (event.event === 'tool.withheld' || event.event === 'definition.withheld') {
      const name = event.event === 'tool.withheld' ? event.tool : event.name;
      wouldNeed.push({
        setting: 'review',
        value: name,
        because: [`withheld from the client: ${event.rule}: ${event.reason} (check it with mcp-warden scan)`],
      });
    } else if (event.event === 'sandbox.startup-failed') {
      notes.push(
        `the server failed to start (code ${event.code}, signal ${event.signal}): ${event.hint ?? 'see its stderr'}`,
      );
    }
  }

  // ---- limits
  const peaks = events.filter((e): e is PeakObservation => e.event === 'learn.peak').at(-1);
  const stops = events.flatMap((e) => (e.event === 'sandbox.stop' && e.limit !== undefined ? [e] : []));
  for (const stop of stops) {
    wouldNeed.push({
      setting: `limits (${stop.limit})`,
      value: stop.detail ?? stop.limit ?? '',
      because: ['the sandbox was stopped by this limit while learning'],
    });
  }
  const enforced = base.enforced ?? { memoryMb: false, pids: false };
  const limits = learnedLimits(base.profile.limits, peaks, enforced, granted, notes);

  const profile = buildProfile(base, {
    roots: roots.map(rootText),
    tools: allowedTools,
    network,
    limits,
  });
  return {
    profile,
    report: {
      name: base.name,
      backend: base.backend,
      command: [...base.command],
      granted,
      wouldNeed: mergeEntries(wouldNeed),
      notes,
      counts: {
        requests: requests.length,
        toolCalls: calls.length,
        denied: requests.filter((r) => r.verdict !== 'allow').length,
        connections: connections.length,
      },
    },
  };
}

function learnNetwork(
  connections: readonly ConnectionEvent[],
  base: LearnBase,
  granted: ReportEntry[],
  wouldNeed: ReportEntry[],
  notes: string[],
): Profile['network'] {
  const carried = new Map<string, ConnectionEvent[]>();
  for (const c of connections) {
    const entry = hostEntry(c.host, c.port);
    if (c.verdict === 'deny') {
      const setting = c.rule === 'network.private-address' ? 'network.allowPrivate' : 'network.allow';
      wouldNeed.push({
        setting,
        value: setting === 'network.allow' ? entry : `${entry} (${c.address ?? 'private address'})`,
        because: [`${c.protocol.toUpperCase()} ${entry} (refused: ${c.rule ?? 'denied'}: ${c.reason ?? ''})`],
      });
      continue;
    }
    carried.set(entry, [...(carried.get(entry) ?? []), c]);
  }
  if (base.learnNetwork) {
    notes.push(
      'network: learned with --learn-network: the proxy let the server reach any host (deny entries and the private-address checks still applied) and recorded each one',
    );
  } else {
    notes.push(
      'network: learned without --learn-network: only hosts the profile and --allow-host allowed could be reached; the others are listed under "would need"',
    );
  }
  if (carried.size === 0) {
    granted.push({
      setting: 'network',
      value: 'false',
      because: ['no connection went through the egress proxy'],
    });
    return false;
  }
  const settings = typeof base.profile.network === 'object' ? base.profile.network : undefined;
  const allow = [...carried.keys()].sort();
  let needsPrivate = false;
  for (const entry of allow) {
    const list = carried.get(entry) ?? [];
    const out = list.reduce((n, c) => n + c.bytesOut, 0);
    const into = list.reduce((n, c) => n + c.bytesIn, 0);
    const verdicts = [...new Set(list.map((c) => c.verdict))].join(', ');
    granted.push({
      setting: 'network.allow',
      value: entry,
      because: [
        `${list.length} connection${list.length === 1 ? '' : 's'} (${[...new Set(list.map((c) => c.protocol.toUpperCase()))].join(', ')}; ${verdicts}; ${out} bytes out, ${into} in)`,
      ],
    });
    if (list.some((c) => isPrivate(c.address))) needsPrivate = true;
  }
  const resolve = Object.fromEntries(
    Object.entries(settings?.resolve ?? {}).filter(([name]) =>
      allow.some((entry) => entry === name.toLowerCase() || entry.startsWith(`${name.toLowerCase()}:`)),
    ),
  );
  const allowPrivate = needsPrivate && (settings?.allowPrivate ?? false);
  if (allowPrivate) {
    granted.push({
      setting: 'network.allowPrivate',
      value: 'true',
      because: ['a host carried resolved to a loopback or private address, and the profile allowed that'],
    });
  }
  return {
    allow,
    deny: settings?.deny ?? [],
    allowPrivate,
    maxConnections: settings?.maxConnections ?? 32,
    ...(settings?.maxBytesOut === undefined ? {} : { maxBytesOut: settings.maxBytesOut }),
    onDeny: settings?.onDeny ?? 'deny',
    resolve,
  };
}

/** The allowlist entry for one host and port: `host:port`, IPv6 in brackets. */
function hostEntry(host: string, port: number): string {
  const lower = host.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]:${port}` : `${lower}:${port}`;
}

function isPrivate(address: string | undefined): boolean {
  const ip = address === undefined ? undefined : parseIpLiteral(address);
  return ip !== undefined && classifyAddress(ip) !== 'public';
}

function buildProfile(
  base: LearnBase,
  learned: {
    roots: string[];
    tools: string[];
    network: Profile['network'];
    limits: Profile['limits'];
  },
): Record<string, unknown> {
  const { profile } = base;
  const policy = policyChanges(profile.policy);
  const tools = (policy.tools ?? {}) as Record<string, unknown>;
  policy.tools = { ...tools, allow: learned.tools };
  const description =
    `Learned by mcp-warden learn for: ${base.command.join(' ')}`.slice(0, 900) +
    ` (base profile "${profile.name}"; see the companion report for why each setting is here)`;
  return {
    ...(base.schema === undefined ? {} : { $schema: base.schema }),
    name: base.name,
    description: description.slice(0, 1000),
    backend: base.backend,
    roots: learned.roots,
    env: [...new Set(base.env)].sort(),
    network: learned.network,
    limits: learned.limits,
    onClientBreach: profile.onClientBreach,
    onServerBreach: profile.onServerBreach,
    ...(profile.readOnlyPaths.length === 0 ? {} : { readOnlyPaths: profile.readOnlyPaths }),
    ...(profile.container === undefined ? {} : { container: profile.container }),
    policy,
  };
}

/**
 * The parts of `policy` that differ from the defaults (the defaults stay implicit): sections that are
 * objects key by key, anything else (lists, scalars) as a whole.
 */
function policyChanges(policy: Policy): Record<string, unknown> {
  const defaults = PolicySchema.parse({}) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [section, value] of Object.entries(policy as unknown as Record<string, unknown>)) {
    const fallback = defaults[section];
    if (isPlainObject(value) && isPlainObject(fallback)) {
      const changed = Object.entries(value).filter(([key, v]) => !sameJson(v, fallback[key]));
      if (changed.length > 0) out[section] = Object.fromEntries(changed);
    } else if (!sameJson(value, fallback)) {
      out[section] = value;
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function rootText(root: { path: string; readOnly: boolean }): string {
  return `${root.path}${root.readOnly ? ':ro' : ''}`;
}

/** The tool (or method) of a request, marked when the policy treats it as writing. */
function describeRequest(request: RequestObservation): string {
  const what = request.tool ?? request.method;
  const mode = request.writes ? ' (writes)' : '';
  return `${what}${mode}`;
}

/** One call as a justification: the tool and the paths it named (`read_file /data/a.txt`). */
function describeCall(request: RequestObservation): string {
  const paths = request.paths.map((p) => p.real);
  const shown = paths.slice(0, 3).join(', ') + (paths.length > 3 ? `, +${paths.length - 3}` : '');
  return paths.length === 0
    ? `${describeRequest(request)} (no path)`
    : `${describeRequest(request)} ${shown}`;
}

/** The profile setting a rule points at, for "would need" entries. */
function settingForRule(rule: string): string {
  if (rule === 'server.request-not-allowed') return 'policy.methods.serverRequests';
  if (rule === 'method.not-allowed') return 'policy.methods';
  if (rule.startsWith('size.')) return 'policy.limits';
  if (rule === 'sandbox.limit') return 'limits';
  return rule;
}

function clipReasons(reasons: readonly string[]): string[] {
  const unique = [...new Set(reasons)];
  if (unique.length <= MAX_REASONS) return unique;
  return [...unique.slice(0, MAX_REASONS), `and ${unique.length - MAX_REASONS} more`];
}

/** One entry per setting and value, its reasons merged. */
function mergeEntries(entries: readonly ReportEntry[]): ReportEntry[] {
  const merged = new Map<string, ReportEntry>();
  for (const entry of entries) {
    const key = `${entry.setting}\u0000${entry.value}`;
    const seen = merged.get(key);
    if (seen) seen.because = [...seen.because, ...entry.because];
    else merged.set(key, { ...entry, because: [...entry.because] });
  }
  return [...merged.values()].map((entry) => ({ ...entry, because: clipReasons(entry.because) }));
}
