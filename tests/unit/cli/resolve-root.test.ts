import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfirmations, describeResolution, resolveRoot } from '../../../src/cli/resolve-root.ts';
import type { WardenError } from '../../../src/errors.ts';

/** base/root (an earlier rw root) holding future → ../secret; base/secret. */
function planted(): { base: string; root: string; secret: string; future: string } {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-rootlink-')));
  const root = path.join(base, 'root');
  const secret = path.join(base, 'secret');
  mkdirSync(root);
  mkdirSync(secret);
  const future = path.join(root, 'future');
  symlinkSync('../secret', future);
  return { base, root, secret, future };
}

function usageError(run: () => unknown): WardenError {
  try {
    run();
  } catch (error) {
    expect((error as WardenError).code).toBe('usage');
    return error as WardenError;
  }
  throw new Error('expected a usage error');
}

describe('resolveRoot', () => {
  it('resolves a plain directory to itself, with no links', () => {
    const { root } = planted();
    const resolved = resolveRoot(`${root}:ro`);
    expect(resolved).toEqual({ path: root, realPath: root, readOnly: true, links: [] });
    expect(describeResolution(resolved)).toBeUndefined();
  });

  it('reports the real path and the links of a root given through a symlink', () => {
    const { future, secret } = planted();
    const resolved = resolveRoot(future);
    expect(resolved.realPath).toBe(secret);
    expect(resolved.links).toEqual([{ link: future, target: '../secret' }]);
    expect(describeResolution(resolved)).toBe(
      `--root ${future} → ${secret} (through the symlink ${future} → ../secret): the server gets ${secret}`,
    );
  });

  it('refuses a root through a symlink inside a recorded rw root, saying how to confirm it', () => {
    const { root, future, secret } = planted();
    const error = usageError(() => resolveRoot(future, { recordedRw: [root], allowSymlink: [] }));
    expect(error.message).toContain(`symlink ${future} → ../secret`);
    expect(error.message).toContain(`inside ${root}, a read-write root of an earlier mcp-warden session`);
    expect(error.hint).toContain(`--allow-root-symlink ${future}`);
    expect(error.hint).toContain(`--root ${secret}`);
    // A record of an unrelated directory, or of the link's target, changes nothing.
    expect(resolveRoot(future, { recordedRw: [secret, '/elsewhere'], allowSymlink: [] }).realPath).toBe(
      secret,
    );
  });

  it('refuses a link below a recorded root too, and a read-only root as well', () => {
    const { root, base } = planted();
    mkdirSync(path.join(root, 'deeper'));
    symlinkSync(base, path.join(root, 'deeper', 'up'));
    usageError(() =>
      resolveRoot(`${path.join(root, 'deeper', 'up', 'secret')}:ro`, {
        recordedRw: [root],
        allowSymlink: [],
      }),
    );
  });

  it('accepts a confirmed root (given as in --root, :ro or not) and says it was confirmed', () => {
    const { root, future } = planted();
    const resolved = resolveRoot(`${future}:ro`, { recordedRw: [root], allowSymlink: [`${future}/`] });
    expect(resolved.confirmedPlanted).toBe(root);
    expect(describeResolution(resolved)).toMatch(/confirmed with --allow-root-symlink/);
    expect(resolveRoot(future, { recordedRw: [root], allowSymlink: [`${future}:ro`] }).confirmedPlanted).toBe(
      root,
    );
  });

  it('refuses a confirmation that names no root', () => {
    const { future, secret } = planted();
    const roots = [resolveRoot(future)];
    expect(() => checkConfirmations([future], roots)).not.toThrow();
    expect(usageError(() => checkConfirmations([secret], roots)).message).toMatch(
      /names none of the --root paths/,
    );
  });

  it('still refuses relative and missing roots', () => {
    expect(usageError(() => resolveRoot('relative/dir')).message).toMatch(/must be absolute/);
    expect(usageError(() => resolveRoot('/nonexistent-root-xyz')).hint).toMatch(/existing directory/);
  });
});
