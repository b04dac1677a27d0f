import { describe, expect, it } from 'vitest';
import { keyDifference, keyFileName, startKey } from '../../../../src/cli/fast-start/start-key.ts';

describe('the key of a start', () => {
  const argv = ['--profile', 'bwrap', '--env', 'TOKEN=abc', '--', 'node', 'server.js'];
  const env = { PATH: '/usr/bin', HOME: '/home/u', AWS_SECRET_ACCESS_KEY: 'very-secret-value' };

  it('is the same for the same start, and names what differs otherwise', () => {
    const key = startKey(argv, env, '/work');
    expect(startKey(argv, { ...env }, '/work')).toEqual(key);
    expect(keyFileName(startKey(argv, env, '/work'))).toBe(keyFileName(key));
    expect(keyDifference(key, startKey([...argv, 'x'], env, '/work'))).toBe('arguments');
    expect(keyDifference(key, startKey(argv, env, '/elsewhere'))).toBe('working directory');
    const other = startKey(argv, { ...env, HOME: '/home/v' }, '/work');
    expect(keyDifference(key, other)).toBe('environment');
    expect(keyFileName(other)).not.toBe(keyFileName(key));
    expect(keyDifference(key, { ...key, warden: 'another build' })).toBe('mcp-warden version');
    expect(keyDifference(key, { ...key, node: 'another node' })).toBe('node binary or version');
  });

  it('holds the environment only as a hash', () => {
    const text = JSON.stringify(startKey(argv, env, '/work'));
    expect(text).not.toContain('very-secret-value');
    expect(text).not.toContain('/home/u');
  });
});
