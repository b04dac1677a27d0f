import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unexpectedDeviceNodes } from '../helpers/host-devices-start.ts';

describe('the start-of-run check of the host device nodes (tests/helpers/host-devices-start.ts)', () => {
  it('passes on this host', () => {
    expect(unexpectedDeviceNodes()).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'names a node that is not root’s or not mode 0666, with its owner, mode and change time',
    () => {
      // Copies of the host's nodes (cp recreates device nodes): one handed to nobody, as a runtime did.
      const dir = mkdtempSync(path.join(tmpdir(), 'mcp-warden-fake-dev-'));
      try {
        execFileSync('cp', ['-R', '-p', '/dev/null', '/dev/zero', '/dev/full', dir]);
        const file = (name: string): string => path.join(dir, name);
        chownSync(file('null'), 65534, 65534);
        chmodSync(file('zero'), 0o600);
        writeFileSync(file('plain'), '');
        const found = unexpectedDeviceNodes(['null', 'zero', 'full', 'plain', 'missing'].map(file));
        expect(found).toHaveLength(2);
        expect(found[0]).toMatch(/null: owner 65534:65534, mode 666 \(changed at \d{4}-/);
        expect(found[1]).toMatch(/zero: owner 0:0, mode 600 /);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
