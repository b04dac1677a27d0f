import { parseArgs } from 'node:util';
import { WardenError } from '../errors.ts';
import { killAllNow } from '../sandboxes/registry.ts';
import { EXIT } from './exit-codes.ts';
import { say, warn } from './output.ts';

export const GATEWAY_HELP = `Usage: mcp-warden gateway --config FILE

Serves the configured MCP servers over Streamable HTTP at /servers/NAME/mcp. Every HTTP session gets
its own sandbox, launched and mediated exactly as by "mcp-warden run". Also serves /healthz, /readyz,
/metrics (Prometheus) and, with auth, /.well-known/oauth-protected-resource. SIGTERM drains: no new
connections, in-flight requests get limits.shutdownGraceMs, then every sandbox is stopped; exit 0.

Options:
  --config FILE   the gateway config (JSON; see docs/gateway.md)
  -h, --help      this help`;

/** `mcp-warden gateway --config FILE`: resolves with the exit status after a SIGTERM/SIGINT drain. */
export async function gatewayCommand(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new WardenError('usage', (error as Error).message, { hint: 'see mcp-warden gateway --help' });
  }
  if (values.help) {
    say(GATEWAY_HELP);
    return EXIT.ok;
  }
  if (values.config === undefined) {
    throw new WardenError('usage', 'gateway needs --config FILE', { hint: 'see mcp-warden gateway --help' });
  }
  const [
    { loadGatewayConfig },
    { prepareServers },
    { Gateway },
    { createLogger },
    { resolveClusterSettings },
  ] = await Promise.all([
    import('../config/gateway-schema.ts'),
    import('../gateway/prepare-servers.ts'),
    import('../gateway/gateway.ts'),
    import('../audit/logger.ts'),
    import('../gateway/cluster/cluster-settings.ts'),
  ]);
  const config = loadGatewayConfig(values.config);
  // Before the servers are prepared (slow): a bad cluster section fails at once, exit 2.
  const cluster = config.cluster && resolveClusterSettings(config.cluster, process.env);
  const servers = await prepareServers(config, (line) => warn(line));
  const logger = createLogger().child({ component: 'gateway' });
  const gateway = new Gateway({ config, servers, logger, cluster });
  process.on('exit', killAllNow);
  let address;
  try {
    address = await gateway.listen();
  } catch (error) {
    throw new WardenError(
      'usage',
      `cannot listen on ${config.listen.host}:${config.listen.port}: ${(error as Error).message}`,
    );
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (!config.auth) warn(`no auth section: serving loopback only, every local process may connect`);
  // One machine-readable line so scripts and tests learn the port (listen.port 0 picks one).
  warn(`gateway listening on http://${host}:${address.port}`);
  if (cluster) warn(`cluster: this replica is ${cluster.self}`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: no more grace.
        killAllNow();
        resolve(EXIT.interrupted);
        return;
      }
      stopping = true;
      warn(`received ${signal}: draining (up to ${config.limits.shutdownGraceMs} ms)`);
      void gateway.shutdown(config.limits.shutdownGraceMs).then(() => {
        warn('gateway stopped');
        resolve(EXIT.ok);
      });
    };
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, stop);
  });
}
