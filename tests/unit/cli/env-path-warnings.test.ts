import { describe, expect, it } from 'vitest';
import { type VisibleHost, envPathWarnings } from '../../../src/cli/env-path-warnings.ts';

const host: VisibleHost = {
  roots: [{ path: '/home/u/proj', realPath: '/data/proj', readOnly: false }],
  stateHome: '/home/u/.local/state/mcp-warden/homes/memory',
  readOnlyPaths: ['/usr/lib/python3.11', '/usr/bin/git'],
  realpath: (file) => file.replace(/^\/home\/u\/proj-link/, '/data/proj'),
  isDirectory: (file) => ['/home/u/data', '/home/u/proj'].includes(file),
};

describe('envPathWarnings', () => {
  it('says nothing for paths the sandbox sees: in a root (given or real, or through a link), the home, a read-only mount', () => {
    expect(
      envPathWarnings(
        {
          A: '/home/u/proj/memory.json',
          B: '/data/proj/x',
          C: '/home/u/proj-link/y',
          D: '/home/u/.local/state/mcp-warden/homes/memory/db.sqlite',
          E: '/usr/bin/git',
          F: '/dev/null',
          G: 'https://api.example.com/v1',
          H: 'relative/path',
          I: '/home/u/proj:/usr/lib/python3.11',
        },
        host,
      ),
    ).toEqual([]);
  });

  it('names the --root that would show a path: the directory itself, or the directory of a file', () => {
    expect(
      envPathWarnings(
        {
          MEMORY_FILE_PATH: '/home/u/.local/share/claude-memory.json',
          DATA_DIR: '/home/u/data',
          SCRATCH: '/tmp/x.json',
          LIST: '/home/u/proj:/srv/models',
        },
        host,
      ),
    ).toEqual([
      "--env MEMORY_FILE_PATH: /home/u/.local/share/claude-memory.json is not visible inside the sandbox (under no --root, not in the server's home); --root /home/u/.local/share would make it visible",
      "--env DATA_DIR: /home/u/data is not visible inside the sandbox (under no --root, not in the server's home); --root /home/u/data would make it visible",
      "--env SCRATCH: /tmp/x.json is not visible inside the sandbox (under no --root, not in the server's home); --root /tmp would make it visible",
      "--env LIST: /srv/models is not visible inside the sandbox (under no --root, not in the server's home); --root /srv would make it visible",
    ]);
  });

  it('does not take /data-evil for /data (components, not string prefixes)', () => {
    expect(envPathWarnings({ X: '/data/proj-evil/x' }, host)).toHaveLength(1);
  });
});
