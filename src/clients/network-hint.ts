import { decideTarget, compileEgressPolicy, type Target } from '../network/egress-policy.ts';
import { NETWORK_DEFAULTS, type NetworkValue } from '../network/egress-settings.ts';
import { parseHostPattern } from '../network/host-pattern.ts';
import type { NetworkNeeds } from './network-needs.ts';

/** Where the reviewed table lives, as messages name it. */
export const TABLE_NAME = 'profiles/known-network-servers.json';

/** What `wrap` knows about one wrapped server's network besides what its entry shows. */
export interface HintContext {
  file: string;
  server: string;
  /** The --allow-host values wrap wrote into the entry (empty: none). */
  allowHosts: readonly string[];
  /** The profile's `network` (auto and every built-in profile: false). */
  network: NetworkValue;
  /** True for `wrap --dry-run`: nothing was written, so there is nothing to unwrap first. */
  dryRun?: boolean;
}

/**
 * Pure: what `wrap` says on stderr about one wrapped server's network, one string per line; empty when
 * there is nothing to say (no sign it needs the network and no --allow-host, or the profile gives the
 * unfiltered network, which `run` warns about itself). Suggested --allow-host values come from the
 * reviewed table only; hosts read from the entry's URL values are marked as not reviewed. Nothing here
 * is applied.
 */
export function networkHintLines(needs: NetworkNeeds | undefined, ctx: HintContext): string[] {
  if (ctx.network === true) return [];
  const profileAllow = typeof ctx.network === 'object' ? ctx.network.allow : [];
  const allowed = [...profileAllow, ...ctx.allowHosts];
  const covered = coverage(allowed, typeof ctx.network === 'object' ? ctx.network.deny : []);
  const name = ctx.server;
  if (needs === undefined) {
    return ctx.allowHosts.length > 0
      ? [
          `${name}: gets --allow-host ${ctx.allowHosts.join(', ')} although nothing in its entry suggests it needs the network; if that was not meant, unwrap it and wrap it again without --allow-host`,
        ]
      : [];
  }
  const missingTable = needs.tableHosts.filter((host) => !covered(host));
  const missingUrls = needs.urlHosts.filter((u) => !covered(u.host));
  const signs = needs.reasons.join('; ');
  const lines: string[] = [];
  if (allowed.length === 0) {
    lines.push(
      `${name}: probably needs the network (${signs}), but under the warden it has none: its requests will fail until you allow the hosts it needs`,
    );
  } else {
    lines.push(
      `${name}: probably needs the network (${signs}); under the warden it reaches only ${allowed.join(', ')}`,
    );
  }
  const where = `the reviewed table (${TABLE_NAME}, ${needs.known?.package ?? ''})`;
  if (needs.known === undefined) {
    lines.push(
      `  it is not in the reviewed table (${TABLE_NAME}): look up the hosts it needs in its documentation`,
    );
  } else if (needs.tableHosts.length === 0) {
    lines.push(`  ${where} lists no fixed hosts: ${needs.known.otherHosts ?? 'none'}`);
  } else {
    lines.push(
      missingTable.length > 0
        ? `  ${where} says it needs: ${allowFlags(missingTable)}`
        : `  ${where} lists ${needs.tableHosts.join(', ')}: all allowed`,
    );
    if (needs.known.otherHosts !== undefined)
      lines.push(`  the reviewed table also says: ${needs.known.otherHosts}`);
  }
  for (const { host, from } of missingUrls) {
    lines.push(
      `  NOT from the reviewed table: ${from} is a URL on ${host}; you may need --allow-host ${host}${localNote(host)} (check that you trust that host before allowing it)`,
    );
  }
  if (missingTable.length > 0 || missingUrls.length > 0 || allowed.length === 0) {
    const hosts = missingTable.length > 0 ? allowFlags(missingTable) : '--allow-host HOST';
    const again = `--server ${shellWord(name)} ${hosts}`;
    lines.push(
      ctx.dryRun === true
        ? `  to allow: run this wrap with ${again}`
        : `  to allow: mcp-warden unwrap --config ${shellWord(ctx.file)} --server ${shellWord(name)}, then this wrap again with ${again} (or add "--allow-host", "HOST" to its args before "--")`,
    );
  }
  return lines;
}

function allowFlags(hosts: readonly string[]): string {
  return hosts.map((host) => `--allow-host ${host}`).join(' ');
}

/** `localhost` passes the name check but resolves to loopback, which the proxy refuses without an IP entry. */
function localNote(host: string): string {
  const [name, port] = host.split(':');
  if (name !== 'localhost' && !name?.endsWith('.localhost')) return '';
  return ` and --allow-host 127.0.0.1${port ? `:${port}` : ''} (loopback addresses are refused without an IP entry)`;
}

/**
 * Pure: a predicate telling whether `allow` (with `deny`) already lets the server reach a suggested
 * pattern: a name or address on its port (443 for an entry without one); a `*.x` suggestion only when an
 * allowed `*.y` covers it.
 */
function coverage(allow: readonly string[], deny: readonly string[]): (pattern: string) => boolean {
  const compiled = compileEgressPolicy({ ...NETWORK_DEFAULTS, allow, deny });
  if (!compiled.ok) return () => false;
  const { policy } = compiled;
  return (text) => {
    const parsed = parseHostPattern(text);
    if (!parsed.ok) return false;
    const p = parsed.pattern;
    const port = p.ports.includes(443) ? 443 : (p.ports[0] ?? 443);
    let target: Target;
    if (p.kind === 'address') target = { kind: 'address', ip: p.base };
    else if (!p.subdomains) target = { kind: 'name', name: p.name };
    else {
      return policy.allow.some(
        (a) =>
          a.kind === 'name' &&
          a.subdomains &&
          (a.name === p.name || p.name.endsWith(`.${a.name}`)) &&
          a.ports.includes(port),
      );
    }
    return decideTarget(policy, target, port).allow;
  };
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
