import { withEgressSocket } from '../network/egress-launch.ts';
import { withLoopbackEntry } from '../network/loopback-launch.ts';
import { proxySocketPath } from '../network/egress-settings.ts';
import { type SessionEgress, startSessionEgress } from '../network/session-egress.ts';
import type { Sandbox, SandboxPlan } from '../sandboxes/types.ts';
import type { PreparedServer } from './prepare-servers.ts';

/** One launched sandbox of a gateway server, with what its session needs alongside it. */
export interface ServerSandbox {
  sandbox: Sandbox;
  /** The plan it was launched from: the session relaunches this one (onServerBreach "restart"). */
  plan: SandboxPlan;
  /** Its own egress proxy, listening before the sandbox started; undefined without an allowlist. */
  egress: SessionEgress | undefined;
}

/**
 * Launch one sandbox of `server`. With an allowlist, a proxy of its own is started first on a fresh
 * socket (private 0700 directory) and the prepared spec is re-planned with the relay pointed at it:
 * sessions share no proxy, no socket and no caps. If the launch fails the proxy is closed again.
 */
export async function launchServerSandbox(server: PreparedServer): Promise<ServerSandbox> {
  const { backend, spec, plan, egress } = server.prepared;
  if (egress.mode.kind !== 'proxy') return { sandbox: await backend.launch(plan), plan, egress: undefined };
  const socketPath = proxySocketPath();
  const proxy = await startSessionEgress(egress.mode, socketPath, plan.runAs, {
    loopback: egress.loopback === true,
  });
  try {
    const moved = withEgressSocket(spec, socketPath);
    // seatbelt: the sandbox's one network rule names this proxy's own port on 127.0.0.1.
    const own = backend.plan(proxy.loopback === undefined ? moved : withLoopbackEntry(moved, proxy.loopback));
    return { sandbox: await backend.launch(own), plan: own, egress: proxy };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

/** Stop a sandbox that never served a session (at once), then its proxy. */
export async function discardServerSandbox(launched: ServerSandbox): Promise<void> {
  await launched.sandbox.stop({ graceful: false });
  await launched.egress?.close();
}
