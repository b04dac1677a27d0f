import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionIdCodec, replicaId } from '../../../../src/gateway/cluster/session-id.ts';

const key = randomBytes(32);
const a = replicaId(key, 'http://127.0.0.1:8081');
const b = replicaId(key, 'http://127.0.0.1:8082');

describe('cluster session ids', () => {
  it('name their owner replica, are visible ASCII and never repeat', () => {
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    const codec = new SessionIdCodec(key, a);
    const ids = new Set(Array.from({ length: 1000 }, () => codec.mint()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{55}$/);
      expect(codec.owner(id)).toBe(a);
      // Any replica with the key reads the owner.
      expect(new SessionIdCodec(key, b).owner(id)).toBe(a);
    }
  });

  it('refuse every tampered byte, another key, and a client-chosen owner', () => {
    const codec = new SessionIdCodec(key, a);
    const id = codec.mint();
    const raw = Buffer.from(id, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const bad = Buffer.from(raw);
      bad[i] = bad[i]! ^ 0x01;
      expect(codec.owner(bad.toString('base64url')), `byte ${i}`).toBeUndefined();
    }
    // Minted with another key: the same replica id, a valid shape, no valid MAC.
    const other = randomBytes(32);
    expect(codec.owner(new SessionIdCodec(other, a).mint())).toBeUndefined();
    // A client that rewrites the owner bytes to point at replica b.
    const moved = Buffer.from(raw);
    Buffer.from(b, 'hex').copy(moved, 1);
    expect(codec.owner(moved.toString('base64url'))).toBeUndefined();
  });

  it('refuse ids of the wrong shape', () => {
    const codec = new SessionIdCodec(key, a);
    const id = codec.mint();
    for (const bad of [
      '',
      id.slice(0, -1),
      `${id}A`,
      `${id.slice(0, 10)}+${id.slice(11)}`,
      '550e8400-e29b-41d4-a716-446655440000',
      'x'.repeat(10_000),
      `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`,
    ]) {
      expect(codec.owner(bad), bad.slice(0, 60)).toBeUndefined();
    }
  });
});
