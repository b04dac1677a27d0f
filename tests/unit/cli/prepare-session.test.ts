import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../../src/cli/args.ts';
import { prepareSession } from '../../../src/cli/prepare-session.ts';
import { readRwRoots } from '../../../src/config/rw-root-record.ts';

const temp = (): string => realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-prepare-')));

function args(extra: string[]) {
  const parsed = parseRunArgs(['--profile', 'none', ...extra, '--', 'node', '-e', '0']);
  if (!parsed) throw new Error('no args');
  return parsed;
}

describe('prepareSession: roots across sessions', () => {
  it('records rw roots (not ro ones, not on a dry run) and refuses a link planted in one later', async () => {
    const state = temp();
    const hostEnv = { ...process.env, MCP_WARDEN_STATE_DIR: state };
    const rw = temp();
    const ro = temp();
    await prepareSession(args(['--root', rw, '--root', `${ro}:ro`]), { hostEnv, record: false });
    expect(readRwRoots(state)).toEqual([]);
    await prepareSession(args(['--root', rw, '--root', `${ro}:ro`]), { hostEnv });
    expect(readRwRoots(state)).toEqual([rw]);

    // What a sandboxed server could do to its rw root: plant a link to a directory beside it.
    mkdirSync(path.join(ro, 'secret'));
    const future = path.join(rw, 'future');
    symlinkSync(path.join(ro, 'secret'), future);
    await expect(prepareSession(args(['--root', future]), { hostEnv })).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining(`symlink ${future} → ${path.join(ro, 'secret')}`),
    });
    const confirmed = await prepareSession(args(['--root', future, '--allow-root-symlink', future]), {
      hostEnv,
    });
    expect(confirmed.roots).toEqual([{ path: future, realPath: path.join(ro, 'secret'), readOnly: false }]);
    expect(confirmed.warnings.join('\n')).toContain(`--root ${future} → ${path.join(ro, 'secret')}`);
    // The confirmed root is recorded by its real path: links planted in it are refused in turn.
    expect(readRwRoots(state)).toEqual([rw, path.join(ro, 'secret')]);
  });

  it('a root through a link nobody recorded is accepted with a warning', async () => {
    const hostEnv = { ...process.env, MCP_WARDEN_STATE_DIR: temp() };
    const dir = temp();
    const link = path.join(temp(), 'link');
    symlinkSync(dir, link);
    const prepared = await prepareSession(args(['--root', `${link}:ro`]), { hostEnv });
    expect(prepared.rootResolutions[0]).toMatchObject({
      path: link,
      realPath: dir,
      links: [{ link, target: dir }],
    });
    expect(prepared.warnings).toContain(
      `--root ${link} → ${dir} (through the symlink ${link} → ${dir}): the server gets ${dir}`,
    );
  });
});
