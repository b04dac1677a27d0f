import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BWRAP_DEV_NODES, devicesOwnedBy } from '../../../../src/sandboxes/bwrap/private-devices.ts';

describe('devicesOwnedBy', () => {
  it('names the host nodes --dev would bind that the given uid owns, with their device numbers', () => {
    const owner = statSync('/dev/null').uid;
    const owned = devicesOwnedBy(owner);
    expect(owned).toContainEqual({ name: 'null', rdev: statSync('/dev/null').rdev });
    for (const node of owned) expect(BWRAP_DEV_NODES).toContain(node.name);
  });

  it.runIf(process.getuid?.() === 0)(
    'for root, every node --dev would bind, whoever owns it now (root may chown it back before the sandbox uses it)',
    () => {
      // A /dev of copies (cp recreates device nodes), /dev/null's handed to nobody as a bug once did.
      const dir = mkdtempSync(path.join(tmpdir(), 'mcp-warden-fake-dev-'));
      try {
        execFileSync('cp', ['-R', '-p', '/dev/null', '/dev/zero', dir]);
        chownSync(path.join(dir, 'null'), 65534, 65534);
        expect(devicesOwnedBy(0, dir).map((node) => node.name)).toEqual(['null', 'zero']);
        expect(devicesOwnedBy(65534, dir).map((node) => node.name)).toEqual(['null']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('is empty for a uid that owns none (a non-root warden: the host’s nodes stay, no private copies)', () => {
    expect(devicesOwnedBy(4_000_000_123)).toEqual([]);
    expect(devicesOwnedBy(undefined)).toEqual([]);
  });

  it('leaves out missing nodes and anything not a character device', () => {
    // /tmp has no "null"; / is a directory owned by root.
    expect(devicesOwnedBy(statSync('/').uid, '/tmp/no-such-dev-dir')).toEqual([]);
    expect(devicesOwnedBy(statSync('/').uid, '/')).toEqual([]);
  });
});
