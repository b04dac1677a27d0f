import { describe, expect, it } from 'vitest';
import { planNone } from '../../../../src/sandboxes/none/none-plan.ts';
import type { LaunchSpec } from '../../../../src/sandboxes/types.ts';

const spec: LaunchSpec = {
  executable: '/usr/bin/node',
  args: ['/srv/server.js'],
  env: { PATH: '/usr/bin', A: '1' },
  roots: [],
  readOnlyPaths: ['/usr/bin/node'],
  runtimePaths: ['/usr/bin/node'],
  cwd: '/tmp',
  limits: { memoryMb: 128 },
  network: false,
};

describe('planNone', () => {
  it('wraps the command in setpriv --pdeathsig KILL when setpriv exists', () => {
    const plan = planNone(spec, '/usr/bin/setpriv');
    expect(plan.argv).toEqual([
      '/usr/bin/setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/usr/bin/node',
      '/srv/server.js',
    ]);
    expect(plan.env).toEqual({ PATH: '/usr/bin', A: '1' });
    expect(plan.env).not.toBe(spec.env);
    expect(plan.notes[0]).toBe('no isolation: policy layer only');
    expect(plan.unenforced).toEqual(['memory 128 MB']);
  });

  it('runs the bare command without setpriv', () => {
    expect(planNone(spec, undefined).argv).toEqual(['/usr/bin/node', '/srv/server.js']);
  });
});
