import { describe, expect, it } from 'vitest';
import {
  envValuesHash,
  keyDifference,
  keyedEnv,
  keyFileName,
  startKey,
} from '../../../../src/cli/fast-start/start-key.ts';

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

  it('holds only the environment the session depends on: a client’s per-session variables do not count', () => {
    // What Claude Code 2.1 sets, new at every start, for every server it launches.
    const claude = (id: string) => ({
      ...env,
      CLAUDE_CODE_SESSION_ID: id,
      CLAUDE_CODE_LAUNCHED_BY_SESSION_IDS: id,
      CLAUDE_CODE_CHILD_NOTES_DIR: `/tmp/claude-0/p/${id}/started`,
    });
    expect(startKey(argv, claude('9c01b6f2'), '/w')).toEqual(startKey(argv, claude('9e05e3ea'), '/w'));
    // The warden's own variables, by name and prefix (proxies in any case), and --env names do.
    for (const [name, value] of [
      ['PATH', '/bin'],
      ['MCP_WARDEN_CACHE_DIR', '/c'],
      ['DOCKER_HOST', 'unix:///d.sock'],
      ['XDG_STATE_HOME', '/s'],
      ['NODE_OPTIONS', '--max-old-space-size=64'],
      ['https_proxy', 'http://127.0.0.1:1'],
      ['TOKEN', 'other'],
    ] as const) {
      const changed = startKey(argv, { ...env, [name]: value }, '/w');
      expect(keyDifference(startKey(argv, env, '/w'), changed), name).toBe('environment');
    }
    expect(
      Object.keys(
        keyedEnv(['--env=TOKEN', '--env', 'OTHER=1', '--', '--env', 'LATE'], {
          TOKEN: 'a',
          OTHER: 'b',
          LATE: 'c',
          UNRELATED: 'd',
        }),
      ),
    ).toEqual(['TOKEN', 'OTHER']);
  });

  it('hashes the values of passed variables, an unset one apart from an empty one', () => {
    const hash = envValuesHash(['API_TOKEN'], { API_TOKEN: 'a', NOISE: '1' });
    expect(envValuesHash(['API_TOKEN'], { API_TOKEN: 'a', NOISE: '2' })).toBe(hash);
    expect(envValuesHash(['API_TOKEN'], { API_TOKEN: 'b' })).not.toBe(hash);
    expect(envValuesHash(['API_TOKEN'], {})).not.toBe(envValuesHash(['API_TOKEN'], { API_TOKEN: '' }));
  });
});
