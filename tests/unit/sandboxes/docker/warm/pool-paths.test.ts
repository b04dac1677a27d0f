import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poolPaths, preparePoolDir } from '../../../../../src/sandboxes/docker/warm/pool-paths.ts';

const base = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-unit-pool-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the pool directory', () => {
  it('is STATE/pool, created mode 0700', () => {
    const paths = poolPaths({ MCP_WARDEN_STATE_DIR: path.join(base, 'state') });
    expect(paths).toEqual({
      dir: path.join(base, 'state', 'pool'),
      socket: path.join(base, 'state', 'pool', 'pool.sock'),
      log: path.join(base, 'state', 'pool', 'daemon.log'),
    });
    expect(preparePoolDir(paths)).toBeUndefined();
    expect(lstatSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(preparePoolDir(paths)).toBeUndefined();
  });

  it('is refused when wider than 0700, a symlink, or too deep for a socket path', () => {
    const wide = poolPaths({ MCP_WARDEN_STATE_DIR: path.join(base, 'wide') });
    mkdirSync(wide.dir, { recursive: true });
    chmodSync(wide.dir, 0o755);
    expect(preparePoolDir(wide)).toMatch(/mode 755, not 700/);

    const elsewhere = path.join(base, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    mkdirSync(path.join(base, 'linked'));
    symlinkSync(elsewhere, path.join(base, 'linked', 'pool'));
    expect(preparePoolDir(poolPaths({ MCP_WARDEN_STATE_DIR: path.join(base, 'linked') }))).toMatch(
      /not a directory/,
    );

    const deep = poolPaths({ MCP_WARDEN_STATE_DIR: path.join(base, 'd'.repeat(120)) });
    expect(preparePoolDir(deep)).toMatch(/longer than 107 bytes/);
  });
});
