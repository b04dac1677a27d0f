import { existsSync, mkdirSync, mkdtempSync, realpathSync, statSync, symlinkSync } from 'node:fs';
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
    // The server homes are recorded too: a server writes what it likes there (issue 15).
    const homes = path.join(state, 'homes');
    expect(readRwRoots(state)).toEqual([rw, homes]);

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
    expect(readRwRoots(state)).toEqual([rw, homes, path.join(ro, 'secret')]);
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

  it('creates the server home (0700) on a run, not on a dry run; it is HOME', async () => {
    const state = temp();
    const hostEnv = { ...process.env, MCP_WARDEN_STATE_DIR: state };
    const dry = await prepareSession(args(['--name', 'probe']), { hostEnv, record: false });
    const home = path.join(state, 'homes', 'probe');
    expect(dry.spec.stateHome?.path).toBe(home);
    expect(existsSync(home)).toBe(false);
    const real = await prepareSession(args(['--name', 'probe']), { hostEnv });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(real.spec.env.HOME).toBe(home);
  });

  it('warns about --env paths the sandbox cannot see, except without isolation (none)', async () => {
    const hostEnv = { ...process.env, MCP_WARDEN_STATE_DIR: temp() };
    const outside = path.join(temp(), 'memory.json');
    const parse = (profile: string) =>
      parseRunArgs(['--profile', profile, '--env', `MEMORY_FILE_PATH=${outside}`, '--', 'node', '-e', '0']);
    const none = await prepareSession(parse('none') as NonNullable<ReturnType<typeof parse>>, {
      hostEnv,
      record: false,
    });
    expect(none.warnings.filter((w) => w.startsWith('--env'))).toEqual([]);
    const bwrap = await prepareSession(parse('bwrap') as NonNullable<ReturnType<typeof parse>>, {
      hostEnv,
      record: false,
      probe: false,
    });
    expect(bwrap.warnings.filter((w) => w.startsWith('--env'))).toEqual([
      `--env MEMORY_FILE_PATH: ${outside} is not visible inside the sandbox (under no --root, not in the server's home); --root ${path.dirname(outside)} would make it visible`,
    ]);
  });
});
