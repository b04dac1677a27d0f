// Egress by allowlist for a Python server on the real `mcp` SDK (FastMCP), reaching the network with
// the standard library (urllib.request) and with httpx, the SDK's own HTTP client: an allowed host
// answers over HTTP and over HTTPS (CONNECT, test CA via SSL_CERT_FILE, which both honour), a refused
// host never receives a byte and the Python error the server returns carries the proxy's explanation.
// Loopback only: every name is *.test mapped with network.resolve to 127.0.0.1.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipVenv } from '../../helpers/python-venvs.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, type StartedWarden, startWarden } from '../../helpers/warden.ts';
import {
  type CountingServer,
  OPENSSL_AVAILABLE,
  httpServer,
  httpsServer,
  makeCertificates,
} from './loopback-servers.ts';
import { toolText } from '../../helpers/tool-text.ts';

const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/python-fetch-server.py');
const venv = pipVenv();
const LIBRARIES = ['urllib', 'httpx'] as const;

describe.each([
  ['none', true],
  ['bwrap', BWRAP_AVAILABLE],
] as const)('egress by allowlist, Python server (%s)', (backend, available) => {
  const enabled = available && OPENSSL_AVAILABLE && venv.ok;
  let plain: CountingServer;
  let tls: CountingServer;
  let warden: StartedWarden;
  const fetchWith = async (library: (typeof LIBRARIES)[number], url: string) =>
    toolText(await warden.client.callTool({ name: `fetch_${library}`, arguments: { url } }));

  beforeAll(async () => {
    if (!enabled) return;
    const dir = tmpRoot('net-py');
    const certs = makeCertificates(dir, ['api.example.test']);
    plain = await httpServer();
    tls = await httpsServer(certs.key, certs.cert);
    const profile = path.join(dir, 'profile.json');
    writeFileSync(
      profile,
      JSON.stringify({
        name: `net-py-${backend}`,
        backend,
        network: {
          allow: [`api.example.test:${plain.port}`, `api.example.test:${tls.port}`],
          allowPrivate: true,
          resolve: { 'api.example.test': '127.0.0.1', 'evil.example.test': '127.0.0.1' },
        },
      }),
    );
    warden = await startWarden({
      profile: profile as 'none',
      roots: [`${dir}:ro`],
      env: [`SSL_CERT_FILE=${certs.caFile}`],
      command: [venv.ok ? venv.python : 'python3', FETCH_SERVER],
    });
  }, 180_000);

  afterAll(async () => {
    await warden?.close();
    await plain?.close();
    await tls?.close();
  });

  it.runIf(enabled)(`(${venv.status}) sees the proxy variables and the test CA`, async () => {
    const env = JSON.parse(
      toolText(await warden.client.callTool({ name: 'proxy_env', arguments: {} })),
    ) as Record<string, string | null>;
    expect(env.HTTP_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.HTTPS_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.NO_PROXY).toBe('');
    expect(env.SSL_CERT_FILE).toMatch(/ca\.pem$/);
  });

  describe.each(LIBRARIES)('with %s', (library) => {
    it.runIf(enabled)('reaches an allowed host over HTTP', async () => {
      const before = plain.hits();
      expect(await fetchWith(library, `http://api.example.test:${plain.port}/py`)).toBe(
        `200 hello from api.example.test:${plain.port}/py`,
      );
      expect(plain.hits()).toBe(before + 1);
    });

    it.runIf(enabled)(
      'reaches an allowed host over HTTPS through CONNECT, trusting SSL_CERT_FILE',
      async () => {
        const before = tls.hits();
        expect(await fetchWith(library, `https://api.example.test:${tls.port}/tls`)).toBe(
          `200 hello from api.example.test:${tls.port}/tls`,
        );
        expect(tls.hits()).toBe(before + 1);
      },
    );

    it.runIf(enabled)(
      'refuses a host not allowed over HTTP: no byte reaches it, the error says which rule and how to allow it',
      async () => {
        const before = plain.hits();
        const reply = await fetchWith(library, `http://evil.example.test:${plain.port}/`);
        expect(reply).toContain('403');
        expect(reply).toContain('network.host-not-allowed');
        expect(reply).toContain(`--allow-host evil.example.test:${plain.port}`);
        expect(plain.hits()).toBe(before);
      },
    );

    it.runIf(enabled)(
      'refuses a host not allowed over HTTPS: nothing reaches it, the error says which rule and how to allow it',
      async () => {
        const before = tls.hits();
        // On another port than 443 the proxy accepts the tunnel (Node's fetch tunnels http:// too) and
        // ends it at the ClientHello: the library sees the connection closed, the host nothing.
        expect(await fetchWith(library, `https://evil.example.test:${tls.port}/`)).toMatch(/^error: /);
        expect(tls.hits()).toBe(before);
        // On 443 the CONNECT itself is answered 403; the library quotes its status line, which names
        // the rule and the fix.
        const reply = await fetchWith(library, 'https://evil.example.test/');
        expect(reply).toMatch(/^error: /);
        expect(reply).toContain('403 Forbidden by mcp-warden (network.host-not-allowed)');
        expect(reply).toContain('--allow-host evil.example.test');
      },
    );
  });
});
