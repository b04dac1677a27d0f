import { describe, expect, it } from 'vitest';
import { parsePythonTool } from '../../../../src/sandboxes/launch-spec/parse-python-tool.ts';

describe('parsePythonTool', () => {
  it.each([
    [
      'uvx',
      ['mcp-server-time', '--local-timezone', 'UTC'],
      {
        tool: 'uv',
        requirement: 'mcp-server-time',
        name: 'mcp-server-time',
        command: 'mcp-server-time',
        args: ['--local-timezone', 'UTC'],
      },
    ],
    [
      '/usr/local/bin/uvx',
      ['mcp-server-time@2025.1.0'],
      { requirement: 'mcp-server-time==2025.1.0', command: 'mcp-server-time' },
    ],
    ['uvx', ['mcp-server-time@latest'], { requirement: 'mcp-server-time', command: 'mcp-server-time' }],
    [
      'uvx',
      [
        '--from',
        'mcp-server-git==0.6',
        '--with',
        'gitpython',
        '-p',
        '3.12',
        '-q',
        'mcp-server-git',
        '-r',
        '.',
      ],
      {
        requirement: 'mcp-server-git==0.6',
        with: ['gitpython'],
        python: '3.12',
        name: 'mcp-server-git',
        command: 'mcp-server-git',
        args: ['-r', '.'],
      },
    ],
    [
      'uv',
      ['tool', 'run', '--from=pkg[extra]>=1,<2', 'cmd'],
      { tool: 'uv', requirement: 'pkg[extra]>=1,<2', name: 'pkg', command: 'cmd' },
    ],
    [
      'pipx',
      ['run', 'mcp-server-fetch'],
      { tool: 'pipx', requirement: 'mcp-server-fetch', command: 'mcp-server-fetch', args: [] },
    ],
    [
      'pipx',
      ['run', '--spec', 'mcp-server-fetch==1.0', '--python', 'python3.11', '--', 'mcp-server-fetch', '--x'],
      {
        tool: 'pipx',
        requirement: 'mcp-server-fetch==1.0',
        python: 'python3.11',
        command: 'mcp-server-fetch',
        args: ['--x'],
      },
    ],
  ])('%s %j', (program, args, expected) => {
    expect(parsePythonTool(program, args)).toMatchObject(expected);
  });

  it('leaves other commands alone', () => {
    expect(parsePythonTool('uv', ['run', 'server.py'])).toBeUndefined();
    expect(parsePythonTool('pipx', ['install', 'x'])).toBeUndefined();
    expect(parsePythonTool('python3', ['-m', 'x'])).toBeUndefined();
  });

  it('refuses what it would not install safely or cannot honour, saying what to do', () => {
    expect(() => parsePythonTool('uvx', ['git+https://github.com/a/b'])).toThrow(
      /not a package index requirement/,
    );
    expect(() => parsePythonTool('uvx', ['--from', './local', 'x'])).toThrow(
      /not a package index requirement/,
    );
    expect(() => parsePythonTool('pipx', ['run', '--pip-args=--pre', 'x'])).toThrow(
      /option --pip-args is not supported/,
    );
    expect(() => parsePythonTool('uvx', ['--index-url', 'http://x', 'pkg'])).toThrow(/not supported/);
    expect(() => parsePythonTool('uvx', ['--from'])).toThrow(/needs a value/);
    expect(() => parsePythonTool('uvx', [])).toThrow(/names no command/);
    expect(() => parsePythonTool('uvx', ['--from', 'pkg', '../bin/sh'])).toThrow(/must be a name/);
  });
});
