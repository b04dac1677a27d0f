// Item 9 of issue 15: a container probe cached by a session with Docker access must not be trusted by
// one without it (same user, other groups, a socket it cannot open).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ProbeIdentity,
  probeCacheKey,
  probeIdentity,
} from '../../../../src/sandboxes/docker/probe-cache-key.ts';

const base: ProbeIdentity = {
  uid: 1000,
  groups: [999, 1000],
  dockerHost: '',
  socket: '/var/run/docker.sock',
  socketStat: '12/1.5/140660/0:999',
  socketAccess: true,
  config: '7/2.5',
};

describe('probeCacheKey', () => {
  it('differs whenever who asks or the socket as they see it differs', () => {
    const key = probeCacheKey('gvisor', base);
    expect(probeCacheKey('gvisor', { ...base })).toBe(key);
    const changes: Array<Partial<ProbeIdentity>> = [
      { uid: 0 },
      { groups: [1000] }, // the same user logged in without the docker group
      { dockerHost: 'unix:///run/user/1000/docker.sock', socket: '/run/user/1000/docker.sock' },
      { socketStat: '13/1.5/140660/0:999' }, // a restarted engine
      { socketStat: '12/1.5/140600/0:999' }, // another mode
      { socketStat: '12/1.5/140660/0:0' }, // another group owns it
      { socketAccess: false },
      { config: '7/3.5' },
    ];
    for (const change of changes)
      expect(probeCacheKey('gvisor', { ...base, ...change }), JSON.stringify(change)).not.toBe(key);
    expect(probeCacheKey('docker', base)).not.toBe(key);
  });
});

describe('probeIdentity', () => {
  it('reads uid, sorted groups and the socket from DOCKER_HOST, including whether it can be opened', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'probe-identity-'));
    const socket = path.join(dir, 'docker.sock');
    writeFileSync(socket, '');
    const identity = probeIdentity({ DOCKER_HOST: `unix://${socket}` }, path.join(dir, 'daemon.json'));
    expect(identity.uid).toBe(process.getuid?.());
    expect(identity.groups).toEqual([...process.getgroups!()].sort((a, b) => a - b));
    expect(identity.socket).toBe(socket);
    expect(identity.socketStat).toMatch(/^\d+\/[\d.]+\/\d+\/\d+:\d+$/);
    expect(identity.socketAccess).toBe(true);
    expect(identity.config).toBe('');
    chmodSync(socket, 0o600);
    expect(probeIdentity({ DOCKER_HOST: `unix://${socket}` }, '/nonexistent').socketStat).not.toBe(
      identity.socketStat,
    );
    expect(probeIdentity({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, '/nonexistent')).toMatchObject({
      socket: '',
      socketAccess: false,
    });
  });
});

describe('engineUnreachable', () => {
  it('a connect EACCES/ECONNREFUSED/ENOENT, also as a cause, is the backend missing; other errors are not', async () => {
    const { engineUnreachable } = await import('../../../../src/sandboxes/docker/docker-backend.ts');
    const refused = Object.assign(new Error('connect EACCES /var/run/docker.sock'), {
      code: 'EACCES',
      syscall: 'connect',
    });
    expect(engineUnreachable(refused)).toBe(true);
    expect(engineUnreachable(new Error('cannot inspect image x', { cause: refused }))).toBe(true);
    expect(
      engineUnreachable(new Error('cannot inspect image x: connect ECONNREFUSED /var/run/docker.sock')),
    ).toBe(true);
    expect(engineUnreachable(new Error('(HTTP code 400) bad parameter - invalid mount config'))).toBe(false);
    expect(
      engineUnreachable(Object.assign(new Error('open EACCES /x'), { code: 'EACCES', syscall: 'open' })),
    ).toBe(false);
  });
});
