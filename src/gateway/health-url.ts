import path from 'node:path';
import { errorMessage } from '../errors.ts';
import { GatewayConfigSchema } from '../config/gateway-schema.ts';
import { formatZodError } from '../config/format-zod-error.ts';

/** The config path the image's CMD passes (`--config /etc/mcp-warden/gateway.json`, Dockerfile). */
export const IMAGE_CONFIG_PATH = '/etc/mcp-warden/gateway.json';

/** Where the healthcheck's URL came from, or why there is none. */
export type HealthUrl =
  { ok: true; url: string; source: string } | { ok: false; reason: string; hint: string };

export interface HealthUrlInputs {
  /** MCP_WARDEN_HEALTH_URL: when set it wins over any config. */
  envUrl: string | undefined;
  /** The healthcheck's own arguments (`--config FILE` names the config explicitly). */
  ownArgv: readonly string[];
  /** argv of the container's PID 1 (the gateway, or docker-init in front of it); undefined: unreadable. */
  pid1Argv: readonly string[] | undefined;
  /** Reads a config file as text; throws when it cannot. */
  readFile: (file: string) => string;
  /** Base for a relative --config (the healthcheck runs in the image's WORKDIR, as the gateway does). */
  cwd: string;
}

/**
 * The value of `--config` in a gateway command line (`... gateway --config FILE` or `--config=FILE`),
 * or undefined when argv is not a gateway command or names no config. Only arguments after the
 * `gateway` word count, so PID 1 being something else (an init, a shell) is not misread.
 */
export function configFromGatewayArgv(argv: readonly string[]): string | undefined {
  const start = argv.indexOf('gateway');
  return start === -1 ? undefined : configFromArgv(argv.slice(start + 1));
}

function configFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

/** The address to reach a server bound to `host` from inside the same network namespace. */
export function loopbackFor(host: string): string {
  // A wildcard bind (Node's '::' is dual-stack) is reachable on IPv4 loopback.
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  if (host.includes(':') && !host.startsWith('[')) return `[${host}]`;
  return host;
}

/**
 * The URL the container HEALTHCHECK asks: MCP_WARDEN_HEALTH_URL if set; else `/healthz` on the
 * `listen` address of the gateway config, found as the healthcheck's own `--config FILE`, else the
 * `--config` of the gateway running as PID 1, else the image's default path. Pure apart from
 * `readFile`; an unusable config is a reason (printed by the healthcheck), never a guessed port.
 */
export function healthUrl(inputs: HealthUrlInputs): HealthUrl {
  if (inputs.envUrl !== undefined && inputs.envUrl !== '') {
    return { ok: true, url: inputs.envUrl, source: 'MCP_WARDEN_HEALTH_URL' };
  }
  const own = configFromArgv(inputs.ownArgv);
  const fromPid1 = inputs.pid1Argv && configFromGatewayArgv(inputs.pid1Argv);
  const named = own ?? fromPid1 ?? IMAGE_CONFIG_PATH;
  const file = path.resolve(inputs.cwd, named);
  const where =
    own !== undefined ? '--config' : fromPid1 !== undefined ? "the gateway's --config" : 'the image default';
  const hint = 'mount the gateway config there, or set MCP_WARDEN_HEALTH_URL=http://HOST:PORT/healthz';
  let raw: unknown;
  try {
    raw = JSON.parse(inputs.readFile(file));
  } catch (error) {
    return {
      ok: false,
      reason: `cannot read gateway config ${file} (${where}): ${errorMessage(error)}`,
      hint,
    };
  }
  const listenRaw =
    typeof raw === 'object' && raw !== null ? (raw as { listen?: unknown }).listen : undefined;
  // The schema's own listen field: same defaults (127.0.0.1:8080) and checks as the gateway.
  const listen = GatewayConfigSchema.shape.listen.safeParse(listenRaw);
  if (!listen.success) {
    return {
      ok: false,
      reason: `invalid listen section in ${file}:\n${formatZodError(listen.error, 'listen')}`,
      hint: 'fix the config (the gateway refuses it too)',
    };
  }
  const { host, port } = listen.data;
  if (port === 0) {
    return {
      ok: false,
      reason: `${file}: listen.port is 0 (a free port picked at start), so the healthcheck cannot know it`,
      hint: 'give listen.port a fixed port, or set MCP_WARDEN_HEALTH_URL',
    };
  }
  return { ok: true, url: `http://${loopbackFor(host)}:${port}/healthz`, source: `${file} (${where})` };
}
