import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { policyContext, prepareSession, type PreparedSession } from '../cli/prepare-session.ts';
import type { GatewayConfig, GatewayServerConfig } from '../config/gateway-schema.ts';
import type { PolicyContext } from '../policy/types.ts';

/** One configured server, resolved once at start-up: every session of it launches this plan. */
export interface PreparedServer {
  name: string;
  config: GatewayServerConfig;
  prepared: PreparedSession;
  policy: PolicyContext;
}

/**
 * Resolve every configured server exactly as `run` would (same profile loading, policy merge, launch
 * spec, backend probe), so a config or backend problem stops the gateway at start-up with the same
 * message and exit status as `run`. An inline policy object is validated through the same path as a
 * `--policy` file (written to a private temporary file named after its config location).
 */
export async function prepareServers(
  config: GatewayConfig,
  onWarning: (line: string) => void,
): Promise<Map<string, PreparedServer>> {
  const servers = new Map<string, PreparedServer>();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-gateway-'));
  try {
    for (const [name, server] of Object.entries(config.servers)) {
      let policyFile: string | undefined;
      if (typeof server.policy === 'string') policyFile = server.policy;
      else if (server.policy !== undefined) {
        policyFile = path.join(scratch, `servers.${name}.policy.json`);
        writeFileSync(policyFile, JSON.stringify(server.policy), { mode: 0o600 });
      }
      const prepared = await prepareSession(
        {
          profile: server.profile,
          roots: server.roots,
          allowRootSymlink: server.allowRootSymlink,
          env: server.env,
          policy: policyFile,
          auditLog: undefined,
          onBreach: undefined,
          memoryMb: server.memoryMb,
          cpus: server.cpus,
          timeoutMs: server.timeoutMs,
          lock: undefined,
          allowHost: server.allowHost,
          command: server.command,
        },
        {
          hostEnv: process.env,
          onProgress: onWarning,
          ...(server.network === undefined ? {} : { network: server.network }),
        },
      );
      for (const warning of prepared.warnings) onWarning(`servers.${name}: ${warning}`);
      const egress = egressNote(prepared);
      if (egress !== undefined) onWarning(`servers.${name}: ${egress}`);
      servers.set(name, {
        name,
        config: server,
        prepared,
        policy: await policyContext(prepared),
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return servers;
}

/** What `explain` would say of a server's egress, in one line, when it has an allowlist. */
function egressNote(prepared: PreparedSession): string | undefined {
  const { mode } = prepared.egress;
  if (mode.kind !== 'proxy') return undefined;
  const { allow, deny, onDeny } = mode.settings;
  return [
    `network: egress by allowlist: ${allow.join(', ')}`,
    deny.length > 0 ? `; deny ${deny.join(', ')}` : '',
    `; a refusal ${onDeny === 'kill' ? 'ends the session (onDeny kill)' : 'is answered 403'}`,
    '; each session (and warm sandbox) gets its own egress proxy on a unix socket in a private directory under the temp dir, removed when the session ends',
  ].join('');
}
