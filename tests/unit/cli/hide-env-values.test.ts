import { describe, expect, it } from 'vitest';
import { argvWithoutEnvValues } from '../../../src/cli/hide-env-values.ts';

describe('argvWithoutEnvValues', () => {
  it('hides the value of every --env NAME=VALUE and --env=NAME=VALUE before --', () => {
    expect(
      argvWithoutEnvValues([
        'run',
        '--env',
        'TOKEN=ghp_secret',
        '--env=KEY=a=b',
        '--env',
        'PLAIN',
        '--',
        'server',
        '--env',
        'X=server-arg',
      ]),
    ).toEqual([
      'run',
      '--env',
      'TOKEN=<hidden>',
      '--env=KEY=<hidden>',
      '--env',
      'PLAIN',
      '--',
      'server',
      '--env',
      'X=server-arg',
    ]);
  });

  it('returns undefined when no value is given on the command line', () => {
    expect(argvWithoutEnvValues(['run', '--env', 'TOKEN', '--', 'node', 's.js'])).toBeUndefined();
    expect(argvWithoutEnvValues(['run', '--', 'node', '--env', 'A=1'])).toBeUndefined();
  });
});
