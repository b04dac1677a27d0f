import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PeerSet } from '../../../../src/gateway/cluster/peer-set.ts';
import { replicaId } from '../../../../src/gateway/cluster/session-id.ts';

const key = randomBytes(32);
const logger = pino({ level: 'silent' });
const self = 'http://10.0.0.1:8080';
const dns = {
  kind: 'dns' as const,
  name: 'peers.ns.svc',
  port: 8080,
  scheme: 'http' as const,
  refreshMs: 60_000,
};

describe('peer set', () => {
  it('maps static peers, this replica included, by replica id', async () => {
    const set = new PeerSet(key, self, { kind: 'static', origins: ['http://10.0.0.2:8080'] }, logger);
    expect(await set.origin(replicaId(key, 'http://10.0.0.2:8080'))).toBe('http://10.0.0.2:8080');
    expect(await set.origin(replicaId(key, self))).toBe(self);
    expect(await set.origin(replicaId(key, 'http://10.0.0.3:8080'))).toBeUndefined();
    expect(set.size).toBe(2);
  });

  it('resolves DNS peers, refreshes early (at most once a second) for an unknown owner, keeps the last answer on failure', async () => {
    let answer: string[] | Error = ['10.0.0.1', '10.0.0.2', 'fd00::3'];
    const asked: string[] = [];
    const set = new PeerSet(key, self, dns, logger, async (name) => {
      asked.push(name);
      if (answer instanceof Error) throw answer;
      return answer;
    });
    await set.refresh();
    expect(set.origins.sort()).toEqual([
      'http://10.0.0.1:8080',
      'http://10.0.0.2:8080',
      'http://[fd00::3]:8080',
    ]);
    const late = 'http://10.0.0.4:8080';
    answer = ['10.0.0.1', '10.0.0.2', '10.0.0.4'];
    // Within a second of the last lookup: no new lookup, so the new replica is not known yet.
    const before = asked.length;
    expect(await set.origin(replicaId(key, late))).toBeUndefined();
    expect(asked.length).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect(await set.origin(replicaId(key, late))).toBe(late);
    expect(asked.length).toBe(before + 1);
    answer = new Error('SERVFAIL');
    await set.refresh();
    expect(await set.origin(replicaId(key, late))).toBe(late);
    // This replica is a member even when DNS does not list it (not yet published).
    answer = ['10.0.0.2'];
    await set.refresh();
    expect(set.origins.sort()).toEqual([self, 'http://10.0.0.2:8080']);
    set.close();
  });
});
