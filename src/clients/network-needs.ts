import path from 'node:path';
import { type KnownNetworkServers, type KnownServer, packageKey } from '../config/known-servers-schema.ts';
import { parseHostPattern } from '../network/host-pattern.ts';
import type { ServerLaunch } from './warden-entry.ts';

/** Why `wrap` thinks a server needs the network, and which hosts it can suggest (never applies). */
export interface NetworkNeeds {
  /** The signs, by name only (never a value): `known package X`, `env A, B (credential or URL names)`. */
  reasons: string[];
  /** The reviewed-table entry the server matched; undefined: none. */
  known?: Pick<KnownServer, 'package' | 'registry' | 'otherHosts'>;
  /**
   * --allow-host values from the reviewed table: the entry's hosts, plus those of its `whenEnv` entries
   * whose variable the server entry sets. Empty: the table has none for it.
   */
  tableHosts: string[];
  /**
   * Hosts of http(s) URLs among the entry's env values and arguments: read from the user's own config,
   * NOT reviewed, shown as "you may need", never applied. `from` names where (`env GITLAB_API_URL`,
   * `argument 2`), never the value.
   */
  urlHosts: Array<{ host: string; from: string }>;
}

/** Env names that usually mean a remote service: `*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*_URL`. */
const NETWORK_ENV_NAME = /(?:^|_)(?:API_?KEY|TOKEN|SECRET|URL)$/i;

/**
 * Pure: the signs that a server needs the network: a package of the reviewed table (found in the
 * command, its arguments or a node_modules path), env names like `*_API_KEY`, `*_TOKEN`, `*_SECRET`,
 * `*_URL`, and http(s) URL values (env or arguments). Undefined when there is no sign at all.
 */
export function detectNetworkNeeds(
  launch: ServerLaunch,
  table: KnownNetworkServers,
): NetworkNeeds | undefined {
  const reasons: string[] = [];
  const entry = findKnownServer(launch, table);
  const tableHosts: string[] = [];
  if (entry) {
    reasons.push(`known package ${entry.package}`);
    tableHosts.push(...entry.hosts);
    for (const extra of entry.whenEnv) {
      if (launch.envNames.includes(extra.env)) tableHosts.push(...extra.hosts);
    }
  }
  const names = launch.envNames.filter((name) => NETWORK_ENV_NAME.test(name));
  if (names.length > 0) reasons.push(`env ${names.join(', ')}`);
  const urlHosts = urlHostsOf(launch);
  const fromArgs = urlHosts.filter((u) => u.from.startsWith('argument'));
  if (fromArgs.length > 0) reasons.push('a URL in its arguments');
  const fromEnv = urlHosts.filter((u) => u.from.startsWith('env ')).map((u) => u.from.slice(4));
  const unnamed = fromEnv.filter((name) => !names.includes(name));
  if (unnamed.length > 0) reasons.push(`a URL in env ${unnamed.join(', ')}`);
  if (reasons.length === 0) return undefined;
  return {
    reasons,
    ...(entry
      ? {
          known: {
            package: entry.package,
            registry: entry.registry,
            ...(entry.otherHosts === undefined ? {} : { otherHosts: entry.otherHosts }),
          },
        }
      : {}),
    tableHosts: [...new Set(tableHosts)],
    urlHosts,
  };
}

/**
 * Pure: the reviewed-table entry a launch runs, if any. Looked for in the command's name (an installed
 * executable), every argument with its version or extras stripped (`npx -y PKG@1.2`, `uvx PKG==1.0`,
 * `pipx run PKG`, `uv tool run --from PKG`), `python -m MODULE`, and `node_modules/PKG` in a path.
 */
export function findKnownServer(
  launch: Pick<ServerLaunch, 'command' | 'args'>,
  table: KnownNetworkServers,
): KnownServer | undefined {
  const index = new Map<string, KnownServer>();
  for (const entry of table.servers) {
    for (const name of [entry.package, ...entry.aliases]) index.set(packageKey(name), entry);
  }
  for (const word of [launch.command, ...launch.args]) {
    for (const name of candidateNames(word)) {
      const found = index.get(packageKey(name));
      if (found) return found;
    }
  }
  return undefined;
}

/** The package names a word of a command line may stand for. */
function candidateNames(word: string): string[] {
  const names: string[] = [];
  const modules = word.replaceAll('\\', '/').split('/node_modules/');
  if (modules.length > 1) {
    const rest = (modules.at(-1) ?? '').split('/');
    names.push(rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? ''));
  }
  // An executable given by path: its file name (`/venv/bin/mcp-server-fetch`, `mcp-server-github.cmd`).
  names.push(path.basename(word.replaceAll('\\', '/')).replace(/\.(?:cmd|exe|bat|ps1)$/i, ''));
  names.push(bareName(word));
  return names.filter((name) => name !== '');
}

/** A package spec without its version, extras or registry prefix: `@a/b@1` → `@a/b`, `x[y]==2` → `x`. */
function bareName(word: string): string {
  let name = word.trim().replace(/^npm:/i, '');
  const at = name.indexOf('@', 1);
  if (at > 0) name = name.slice(0, at);
  return name.replace(/\[.*$/, '').replace(/[=<>~!; ].*$/, '');
}

/** The hosts of http(s) URL values in env and arguments, in order, each once; never the value itself. */
function urlHostsOf(launch: ServerLaunch): Array<{ host: string; from: string }> {
  const found: Array<{ host: string; from: string }> = [];
  const add = (value: string, from: string): void => {
    const host = urlHost(value);
    if (host !== undefined && !found.some((f) => f.host === host)) found.push({ host, from });
  };
  for (const [name, value] of Object.entries(launch.env ?? {})) add(value, `env ${name}`);
  launch.args.forEach((arg, i) => {
    // `--url=https://...` as well as a bare URL argument.
    const eq = /^--?[\w-]+=(.*)$/.exec(arg);
    add(eq?.[1] ?? arg, `argument ${i + 1}`);
  });
  return found;
}

/**
 * Pure: the --allow-host value that covers an http(s) URL: its host, with the port when it is not 80 or
 * 443 (an entry without a port allows those two). Undefined for anything else, for a URL still holding
 * a client variable, and for a host that is not a valid pattern.
 */
export function urlHost(value: string): string | undefined {
  const text = value.trim();
  if (!/^https?:\/\//i.test(text) || /[${}]/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const port = url.port === '' || url.port === '80' || url.port === '443' ? '' : `:${url.port}`;
  const host = `${url.hostname}${port}`;
  return parseHostPattern(host).ok ? host : undefined;
}
