import { describe, expect, it } from 'vitest';
import { parseEnvArg, parseRootArg, parseRunArgs } from '../../../src/cli/args.ts';
import { WardenError } from '../../../src/errors.ts';

function usage(argv: string[]): string {
  try {
    parseRunArgs(argv);
  } catch (error) {
    expect((error as WardenError).code).toBe('usage');
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseRunArgs', () => {
  it('collects --allow-root-symlink values (repeatable; none by default)', () => {
    const args = parseRunArgs(['--root', '/a/l', '--allow-root-symlink', '/a/l', '--', 'node', 's.js']);
    expect(args?.allowRootSymlink).toEqual(['/a/l']);
    expect(parseRunArgs(['--', 'node'])?.allowRootSymlink).toEqual([]);
    expect(parseRunArgs(['--allow-root-symlink', '/x', 'node', 's.js'])?.command).toEqual(['node', 's.js']);
  });

  it('--warm: off by default, a flag without a value', () => {
    expect(parseRunArgs(['--', 'node'])?.warm).toBe(false);
    expect(parseRunArgs(['--warm', '--profile', 'gvisor', 'node', 's.js'])).toMatchObject({
      warm: true,
      profile: 'gvisor',
      command: ['node', 's.js'],
    });
    expect(usage(['--warm=yes', '--', 'node'])).toMatch(/warm/);
  });

  it('splits at -- and passes the command through untouched', () => {
    const args = parseRunArgs([
      '--profile',
      'bwrap',
      '--root',
      '/a',
      '--root',
      '/b:ro',
      '--',
      'node',
      's.js',
      '--root',
      'x',
    ]);
    expect(args).toMatchObject({
      profile: 'bwrap',
      roots: ['/a', '/b:ro'],
      command: ['node', 's.js', '--root', 'x'],
    });
  });

  it('without --, the command starts at the first non-option word', () => {
    expect(parseRunArgs(['--root', '/a', 'node', 's.js', '--flag'])?.command).toEqual([
      'node',
      's.js',
      '--flag',
    ]);
  });

  it('defaults to the auto profile', () => {
    expect(parseRunArgs(['--', 'x'])?.profile).toBe('auto');
  });

  it('returns undefined for --help', () => {
    expect(parseRunArgs(['--help'])).toBeUndefined();
  });

  it('rejects unknown flags, a missing command, bad numbers and bad --on-breach', () => {
    expect(usage(['--rooot', '/a', '--', 'x'])).toMatch(/rooot/);
    expect(usage(['--root', '/a'])).toMatch(/no server command/);
    expect(usage(['--timeout', 'soon', '--', 'x'])).toMatch(/--timeout must be a whole number/);
    expect(usage(['--cpus', '-1', '--', 'x'])).toMatch(/--cpus/);
    expect(usage(['--on-breach', 'ignore', '--', 'x'])).toMatch(/kill or restart/);
  });
});

describe('parseRootArg / parseEnvArg', () => {
  it('reads :ro and :rw suffixes', () => {
    expect(parseRootArg('/data:ro')).toEqual({ path: '/data', readOnly: true });
    expect(parseRootArg('/data:rw')).toEqual({ path: '/data', readOnly: false });
    expect(parseRootArg('/data')).toEqual({ path: '/data', readOnly: false });
  });

  it('reads NAME and NAME=VALUE, and rejects invalid names', () => {
    expect(parseEnvArg('TOKEN')).toEqual({ name: 'TOKEN', value: undefined });
    expect(parseEnvArg('A=b=c')).toEqual({ name: 'A', value: 'b=c' });
    expect(() => parseEnvArg('1BAD=x')).toThrow(WardenError);
    expect(() => parseEnvArg('A B=x')).toThrow(/not a valid environment variable name/);
  });
});
