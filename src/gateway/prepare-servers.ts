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
          command: server.command,
        },
        { hostEnv: process.env, onProgress: onWarning },
      );
      for (const warning of prepared.warnings) onWarning(`servers.${name}: ${warning}`);
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
