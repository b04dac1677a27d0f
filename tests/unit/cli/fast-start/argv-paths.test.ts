import { describe, expect, it } from 'vitest';
import { argvPaths } from '../../../../src/cli/fast-start/build-entry.ts';
import type { SandboxPlan } from '../../../../src/sandboxes/types.ts';

const base = { env: {}, cwd: '/', notes: [], unenforced: [] };

describe('the host paths of a plan', () => {
  it('are the programs and every bind source of bwrap, writable binds apart', () => {
    const plan: SandboxPlan = {
      ...base,
      backend: 'bwrap',
      argv: [
        '/usr/bin/setpriv',
        '--pdeathsig',
        'KILL',
        '--',
        '/usr/bin/bwrap',
        '--unshare-user',
        '--proc',
        '/proc',
        '--dev-bind',
        '/cache/bwrap-dev/null',
        '/dev/null',
        '--size',
        '1024',
        '--tmpfs',
        '/tmp',
        '--bind',
        '/data',
        '/data',
        '--ro-bind',
        '/usr/bin/node',
        '/usr/bin/node',
        '--ro-bind-try',
        '/etc/resolv.conf',
        '/etc/resolv.conf',
        '--chdir',
        '/data',
        '--',
        '/usr/bin/node',
        '/srv/server.js',
        // The server's own arguments are not bwrap's.
        '--bind',
        '/etc',
        '/x',
      ],
    };
    expect(argvPaths(plan)).toEqual({
      programs: ['/usr/bin/setpriv', '/usr/bin/bwrap'],
      sources: ['/cache/bwrap-dev/null', '/data', '/usr/bin/node', '/etc/resolv.conf'],
      writable: ['/cache/bwrap-dev/null', '/data'],
    });
  });

  it('are the programs of a none plan, with or without setpriv', () => {
    const wrapped = [
      '/usr/bin/setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/usr/bin/node',
      '/srv/s.js',
      '--bind',
      '/x',
      '/y',
    ];
    expect(argvPaths({ ...base, backend: 'none', argv: wrapped })).toEqual({
      programs: ['/usr/bin/setpriv', '/usr/bin/node'],
      sources: [],
      writable: [],
    });
    expect(argvPaths({ ...base, backend: 'none', argv: ['/usr/bin/node', '/srv/s.js'] }).programs).toEqual([
      '/usr/bin/node',
      '/usr/bin/node',
    ]);
  });
});
