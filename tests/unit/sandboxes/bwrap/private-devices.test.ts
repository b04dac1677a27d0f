import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BWRAP_DEV_NODES,
  devicesOwnedBy,
  ensurePrivateDevices,
} from '../../../../src/sandboxes/bwrap/private-devices.ts';

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

describe('ensurePrivateDevices', () => {
  it.runIf(process.getuid?.() === 0)(
    'a /dev name that is a symlink is refused, and what it points to keeps its owner and mode',
    () => {
      // Where a host's /dev/null is a link, cp copies the link: the mode and owner change must not
      // follow it to the host's own node (here a file standing in for it).
      const source = mkdtempSync(path.join(tmpdir(), 'mcp-warden-linked-dev-'));
      const cache = mkdtempSync(path.join(tmpdir(), 'mcp-warden-dev-cache-'));
      try {
        const target = path.join(source, 'host-node');
        writeFileSync(target, '', { mode: 0o600 });
        symlinkSync(target, path.join(source, 'null'));
        const devices = {
          dir: path.join(cache, 'bwrap-dev'),
          nodes: [{ name: 'null', rdev: statSync('/dev/null').rdev }],
        };
        expect(() => ensurePrivateDevices(devices, source)).toThrow(
          /null was not copied as a character device/,
        );
        const after = statSync(target);
        expect({ uid: after.uid, gid: after.gid, mode: (after.mode & 0o777).toString(8) }).toEqual({
          uid: 0,
          gid: 0,
          mode: '600',
        });
        expect(readdirSync(cache)).toEqual([]); // no staging directory left behind
      } finally {
        rmSync(source, { recursive: true, force: true });
        rmSync(cache, { recursive: true, force: true });
      }
    },
  );
});
