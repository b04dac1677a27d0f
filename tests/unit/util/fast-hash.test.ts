import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCached, writeCached } from '../../../src/util/disk-cache.ts';
import { fastHashHex } from '../../../src/util/fast-hash.ts';
import { homeDir } from '../../../src/util/home-dir.ts';

describe('fastHashHex', () => {
  it('is 16 hex digits, deterministic, and spreads similar keys', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const hash = fastHashHex(`bwrap-probe\0/usr/bin/bwrap\0${i}`);
      expect(hash).toMatch(/^[0-9a-f]{16}$/);
      seen.add(hash);
    }
    expect(seen.size).toBe(20_000);
    expect(fastHashHex('a')).toBe(fastHashHex('a'));
    expect(fastHashHex('')).not.toBe(fastHashHex('\0'));
  });
});

describe('disk cache', () => {
  it('a file holding another key (a name collision) is a miss, never that key’s value', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-cache-'));
    try {
      writeCached(dir, 'key A', { answer: 'A' });
      expect(readCached(dir, 'key A')).toEqual({ answer: 'A' });
      // Put key A's entry where key B's would be, as a hash collision would.
      const [file] = readdirSync(path.join(dir, 'facts'));
      const entry = JSON.stringify({ key: 'key A', at: Date.now(), value: { answer: 'A' } });
      writeFileSync(path.join(dir, 'facts', `${fastHashHex('key B')}.json`), entry);
      expect(file).toBe(`${fastHashHex('key A')}.json`);
      expect(readCached(dir, 'key B')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('homeDir', () => {
  it('is $HOME when set, else what os.homedir() finds without it', () => {
    expect(homeDir({ HOME: '/home/someone' })).toBe('/home/someone');
    const saved = process.env.HOME;
    try {
      delete process.env.HOME;
      expect(homeDir({})).toBe(os.homedir());
    } finally {
      process.env.HOME = saved;
    }
  });
});
