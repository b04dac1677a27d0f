// The proxy's socket belongs to whoever the sandbox runs as: a container started by root runs as
// another user (the owner of the first rw root, or nobody), which must be able to connect, and no
// other user may. Real processes under real uids (spawned as root); loopback and unix sockets only.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileEgressPolicy } from '../../../src/network/egress-policy.ts';
import { EgressProxy } from '../../../src/network/egress-proxy.ts';
import { NETWORK_DEFAULTS, proxySocketPath } from '../../../src/network/egress-settings.ts';

const ROOT = process.getuid?.() === 0;
const SANDBOX = { uid: 65534, gid: 65534 };
const OTHER = { uid: 65533, gid: 65533 };

// Connects to the socket, sends a request for a host the (empty) allowlist refuses, prints what came back.
const CLIENT = `
const socket = require('node:net').connect(process.argv[1]);
let text = '';
socket.on('connect', () => socket.write('GET http://x.example.test/ HTTP/1.1\\r\\nHost: x.example.test\\r\\n\\r\\n'));
socket.on('data', (d) => { text += d; if (text.includes('\\r\\n')) { console.log(text.split('\\r\\n')[0]); process.exit(0); } });
socket.on('error', (e) => { console.log(e.code); process.exit(0); });
`;

/** Run the client as `user` (asynchronously: the proxy answers from this very process). */
function connectAs(user: { uid: number; gid: number }, socketPath: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', CLIENT, socketPath],
      { ...user, encoding: 'utf8', timeout: 10_000, cwd: '/' },
      (_error, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()),
    );
  });
}

const proxies: EgressProxy[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.close();
});

function newProxy(): EgressProxy {
  const compiled = compileEgressPolicy(NETWORK_DEFAULTS);
  if (!compiled.ok) throw new Error('default settings do not compile');
  const proxy = new EgressProxy({ policy: compiled.policy, onEvent: () => undefined });
  proxies.push(proxy);
  return proxy;
}

describe.runIf(ROOT)(
  `egress proxy socket ownership (${ROOT ? 'run as root' : 'SKIPPED: needs root'})`,
  () => {
    it('given an owner: the directory (0700) and the socket (0600) are its, it connects, another user cannot', async () => {
      const socketPath = proxySocketPath();
      await newProxy().listen(socketPath, SANDBOX);
      const dir = statSync(path.dirname(socketPath));
      const socket = statSync(socketPath);
      expect([dir.uid, dir.gid, dir.mode & 0o7777]).toEqual([SANDBOX.uid, SANDBOX.gid, 0o700]);
      expect([socket.uid, socket.gid, socket.mode & 0o7777]).toEqual([SANDBOX.uid, SANDBOX.gid, 0o600]);
      expect(await connectAs(SANDBOX, socketPath)).toMatch(/^HTTP\/1\.1 403/);
      expect(await connectAs(OTHER, socketPath)).toBe('EACCES');
    });

    it("without an owner: the warden's alone (the sandbox's user is refused)", async () => {
      const socketPath = proxySocketPath();
      await newProxy().listen(socketPath);
      expect(statSync(socketPath).uid).toBe(0);
      expect(await connectAs(SANDBOX, socketPath)).toBe('EACCES');
    });

    it('close() removes the socket and its directory whoever owns them', async () => {
      const socketPath = proxySocketPath();
      const proxy = newProxy();
      await proxy.listen(socketPath, SANDBOX);
      await proxy.close();
      expect(existsSync(path.dirname(socketPath))).toBe(false);
    });
  },
);
