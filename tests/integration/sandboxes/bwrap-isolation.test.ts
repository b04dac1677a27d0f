import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../../../src/sandboxes/registry.ts';
import { root, runNode, tempDir } from './helpers/sandbox-helpers.ts';

const bwrap = getBackend('bwrap');
const backendAvailable = bwrap.probe().then((availability) => availability.available);

describe.runIf(await backendAvailable)('bwrap isolation (real bubblewrap)', () => {
  it('cannot read a host file outside the roots, nor /etc/shadow', async () => {
    const secretDir = tempDir('secret');
    const secret = path.join(secretDir, 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET');
    const probe = await runNode(
      bwrap,
      `const fs=require('node:fs');for(const f of [${JSON.stringify(secret)},'/etc/shadow','/etc/passwd']){try{fs.readFileSync(f);console.log(f,'READ')}catch(e){console.log(f,e.code)}}`,
      { roots: [root(tempDir('root'))] },
    );
    expect(probe.stdout).toContain(`${secret} ENOENT`);
    expect(probe.stdout).toContain('/etc/shadow ENOENT');
    expect(probe.stdout).toContain('/etc/passwd ENOENT');
    expect(probe.stdout).not.toContain('READ');
  });

  it('writes inside a rw root only; a :ro root and everything else are not writable', async () => {
    const rw = tempDir('rw');
    const ro = tempDir('ro');
    const outside = tempDir('outside');
    const targets = [
      path.join(rw, 'ok.txt'),
      path.join(ro, 'no.txt'),
      path.join(outside, 'no.txt'),
      '/usr/no.txt',
    ];
    const code = `const fs=require('node:fs');for(const f of ${JSON.stringify(targets)}){try{fs.writeFileSync(f,'x');console.log(f,'WROTE')}catch(e){console.log(f,e.code)}}`;
    const { stdout } = await runNode(bwrap, code, { roots: [root(rw), root(ro, true)] });
    expect(stdout).toContain(`${targets[0]} WROTE`);
    expect(existsSync(targets[0] as string)).toBe(true);
    expect(stdout).toMatch(new RegExp(`${targets[1]} EROFS`));
    expect(existsSync(targets[1] as string)).toBe(false);
    // outside: not mounted, so its parent is bwrap's private /tmp (writable but not the host's):
    // the write may "succeed" in the sandbox yet nothing reaches the host.
    expect(existsSync(targets[2] as string)).toBe(false);
    // The skeleton root is remounted read-only.
    expect(stdout).toContain('/usr/no.txt EROFS');
    expect(existsSync('/usr/no.txt')).toBe(false);
  });

  it('sees exactly the given env (a canary in the warden’s env is absent)', async () => {
    process.env.MCP_WARDEN_CANARY = 'canary-value-7f3a';
    try {
      const { stdout } = await runNode(bwrap, 'console.log(JSON.stringify(process.env))', {
        env: { GIVEN: 'yes' },
      });
      // PWD is set by bwrap itself after --chdir (not configurable in bwrap 0.8); it is just the cwd.
      expect(JSON.parse(stdout)).toEqual({ GIVEN: 'yes', PATH: '/usr/local/bin:/usr/bin:/bin', PWD: '/tmp' });
    } finally {
      delete process.env.MCP_WARDEN_CANARY;
    }
  });

  describe('network', () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('cannot connect to a TCP server on the host loopback', async () => {
      const { port } = server.address() as AddressInfo;
      const code = `const s=require('node:net').connect(${port},'127.0.0.1');s.on('connect',()=>{console.log('CONNECTED');s.destroy()});s.on('error',e=>console.log('ERR',e.code));`;
      const { stdout } = await runNode(bwrap, code);
      expect(stdout).toMatch(/^ERR (ECONNREFUSED|ENETUNREACH)/);
      expect(connections).toBe(0);
    });
  });

  it('has no effective capabilities', async () => {
    const { stdout } = await runNode(
      bwrap,
      `console.log(require('node:fs').readFileSync('/proc/self/status','utf8').split('\\n').filter(l=>l.startsWith('Cap')).join('\\n'))`,
    );
    expect(stdout).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(stdout).toMatch(/^CapPrm:\s+0000000000000000$/m);
  });

  it('/proc shows no host processes', async () => {
    const { stdout } = await runNode(
      bwrap,
      `console.log(JSON.stringify(require('node:fs').readdirSync('/proc').filter(n=>/^\\d+$/.test(n)).map(Number)))`,
    );
    const pids = JSON.parse(stdout) as number[];
    expect(pids.length).toBeLessThanOrEqual(3); // bwrap's init, the server, maybe a helper thread group
    expect(Math.max(...pids)).toBeLessThan(10);
    expect(pids).not.toContain(process.pid);
  });
});
