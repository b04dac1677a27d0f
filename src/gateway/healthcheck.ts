// The container's HEALTHCHECK (the image has no shell and no curl): exit 0 when the gateway's /healthz
// answers 200 within two seconds. The URL follows the gateway config's `listen` (health-url.ts):
// MCP_WARDEN_HEALTH_URL overrides; else `--config FILE` given here, else the running gateway's
// `--config` (PID 1's command line), else /etc/mcp-warden/gateway.json. Why it is unhealthy goes to
// stderr, which `docker inspect` shows under State.Health.Log.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { healthUrl } from './health-url.ts';

function pid1Argv(): string[] | undefined {
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

const target = healthUrl({
  envUrl: process.env.MCP_WARDEN_HEALTH_URL,
  ownArgv: process.argv.slice(2),
  pid1Argv: pid1Argv(),
  readFile: (file) => readFileSync(file, 'utf8'),
  cwd: process.cwd(),
});
if (!target.ok) {
  process.stderr.write(`mcp-warden healthcheck: ${target.reason}\n  hint: ${target.hint}\n`);
  process.exitCode = 1;
} else {
  try {
    const res = await fetch(target.url, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200)
      process.stderr.write(`mcp-warden healthcheck: ${target.url} answered ${res.status}\n`);
    process.exitCode = res.status === 200 ? 0 : 1;
  } catch (error) {
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a timeout).
    const { message, cause } = error as Error;
    const why = cause instanceof Error ? `${message}: ${cause.message}` : message;
    process.stderr.write(`mcp-warden healthcheck: ${target.url} (from ${target.source}): ${why}\n`);
    process.exitCode = 1;
  }
}
