// The container's HEALTHCHECK (the image has no shell and no curl): exit 0 when the gateway's /healthz
// answers 200 within two seconds. URL from MCP_WARDEN_HEALTH_URL, default http://127.0.0.1:8080/healthz.
const url = process.env.MCP_WARDEN_HEALTH_URL ?? 'http://127.0.0.1:8080/healthz';
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  process.exitCode = res.status === 200 ? 0 : 1;
} catch {
  process.exitCode = 1;
}
