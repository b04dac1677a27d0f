// Issue 15 items 2 and 4: the roots `wrap` gives a server — client variables in args per client, and the
// directory of absolute host paths in env.
import { describe, expect, it } from 'vitest';
import { type VariableSyntax } from '../../../src/clients/client-formats.ts';
import { expandClientVariables } from '../../../src/clients/client-variables.ts';
import { findServerEntries } from '../../../src/clients/server-entries.ts';
import { wrapConfig } from '../../../src/clients/wrap-config.ts';
import { type PathKind, planRoots } from '../../../src/clients/wrap-roots.ts';

const HOME = '/home/u';
const WORKSPACE = '/home/u/src/app';
const FILES: Record<string, PathKind> = {
  [WORKSPACE]: 'directory',
  [`${WORKSPACE}/data`]: 'directory',
  '/home/u/.local/share': 'directory',
  '/home/u/.local/share/claude-memory.json': 'file',
  '/srv/data': 'directory',
  '/srv/data/db.sqlite': 'file',
  [HOME]: 'directory',
  '/tmp': 'directory',
};
const pathKind = (p: string): PathKind => FILES[p] ?? 'missing';
const context = { env: { DATA_DIR: '/srv/data', API_TOKEN: 'sk-123' }, home: HOME };

function roots(syntax: VariableSyntax, args: string[], env: Record<string, string> = {}, workspace?: string) {
  return planRoots({ args, env }, undefined, {
    pathKind,
    variables: syntax,
    context: { ...context, ...(workspace ? { workspaceFolder: workspace } : {}) },
  });
}

describe('client variables in args become roots, kept unexpanded for the client (item 4)', () => {
  const cases: [string, VariableSyntax, string[], string[]][] = [
    ['VS Code ${workspaceFolder}', 'vscode', ['${workspaceFolder}'], ['${workspaceFolder}']],
    ['VS Code ${userHome}', 'vscode', ['${userHome}'], ['${userHome}']],
    ['VS Code ${env:NAME}', 'vscode', ['${env:DATA_DIR}'], ['${env:DATA_DIR}']],
    [
      'VS Code ${workspaceFolder}/sub (resolvable in a project)',
      'vscode',
      ['${workspaceFolder}/data'],
      ['${workspaceFolder}/data'],
    ],
    ['Cursor ${workspaceFolder}', 'cursor', ['${workspaceFolder}'], ['${workspaceFolder}']],
    ['Cursor ${userHome}', 'cursor', ['${userHome}/src/app'], ['${userHome}/src/app']],
    ['Cursor ${env:NAME}', 'cursor', ['${env:DATA_DIR}'], ['${env:DATA_DIR}']],
    ['Windsurf ${env:NAME}', 'windsurf', ['${env:DATA_DIR}'], ['${env:DATA_DIR}']],
    ['Claude Code ${PWD}', 'claude-code', ['${PWD}'], ['${PWD}']],
    ['Claude Code ${VAR}', 'claude-code', ['${DATA_DIR}'], ['${DATA_DIR}']],
    ['Claude Code ${VAR:-default}', 'claude-code', ['${UNSET_DIR:-/srv/data}'], ['${UNSET_DIR:-/srv/data}']],
    ['Claude Code ${HOME}', 'claude-code', ['${HOME}/src/app'], ['${HOME}/src/app']],
    ['Gemini $VAR', 'gemini', ['$DATA_DIR'], ['$DATA_DIR']],
    ['Gemini ${VAR}', 'gemini', ['${DATA_DIR}'], ['${DATA_DIR}']],
    ['Gemini ${PWD}', 'gemini', ['${PWD}'], ['${PWD}']],
  ];
  it.each(cases)('%s', (_name, syntax, args, expected) => {
    expect(roots(syntax, ['-y', 'server', ...args], {}, WORKSPACE).roots).toEqual(expected);
  });

  it('a bare directory variable is a root even where it cannot be resolved now (user-level config)', () => {
    expect(roots('vscode', ['${workspaceFolder}']).roots).toEqual(['${workspaceFolder}']);
    expect(roots('claude-code', ['${PWD}']).roots).toEqual(['${PWD}']);
    expect(roots('cursor', ['${workspaceFolder}/']).roots).toEqual(['${workspaceFolder}/']);
  });

  it('an unresolvable variable path with a suffix is not guessed at, and the summary says how to add it', () => {
    const plan = roots('vscode', ['${workspaceFolder}/data']);
    expect(plan.roots).toEqual([]);
    expect(plan.notes.join()).toMatch(/add --root '\$\{workspaceFolder\}\/data'/);
  });

  it('variables that are not directories, and clients that expand nothing, give no root', () => {
    expect(roots('vscode', ['--token', '${env:API_TOKEN}', '${input:key}']).roots).toEqual([]);
    // Claude Desktop, Codex, Zed, Cline and Goose pass strings as they are.
    expect(roots('none', ['${PWD}', '${workspaceFolder}', '$HOME'], {}, WORKSPACE).roots).toEqual([]);
    // VS Code syntax means nothing to Claude Code, and the other way round.
    expect(roots('claude-code', ['${workspaceFolder}'], {}, WORKSPACE).roots).toEqual([]);
    expect(roots('vscode', ['${PWD}'], {}, WORKSPACE).roots).toEqual([]);
  });

  it('a ~ argument is not made a root (no client expands it) and the summary says to write the absolute path', () => {
    const plan = roots('claude-code', ['~/src/app']);
    expect(plan.roots).toEqual([]);
    expect(plan.notes.join()).toMatch(/write the absolute path \(\/home\/u\/src\/app\)/);
  });
});

describe('absolute paths in env become roots (item 2)', () => {
  it('a data file: its directory, read-write; the summary says so', () => {
    const plan = roots('none', ['-y', '@modelcontextprotocol/server-memory'], {
      MEMORY_FILE_PATH: '/home/u/.local/share/claude-memory.json',
    });
    expect(plan.roots).toEqual(['/home/u/.local/share']);
    expect(plan.notes.join()).toMatch(/MEMORY_FILE_PATH: \/home\/u\/.local\/share made a read-write root/);
  });

  it('a file that does not exist yet: its existing directory; a missing directory: a note with the fix', () => {
    expect(roots('none', [], { DB: '/srv/data/new.sqlite' }).roots).toEqual(['/srv/data']);
    const missing = roots('none', [], { DB: '/srv/nowhere/db.sqlite' });
    expect(missing.roots).toEqual([]);
    expect(missing.notes.join()).toMatch(/\/srv\/nowhere does not exist.*mkdir -p '\/srv\/nowhere'/);
  });

  it('a directory value is the root itself; a path inside an existing root adds nothing', () => {
    expect(roots('none', [], { DATA: '/srv/data' }).roots).toEqual(['/srv/data']);
    expect(roots('none', ['/srv/data'], { DB: '/srv/data/db.sqlite' }).roots).toEqual(['/srv/data']);
  });

  it('values that are not single absolute paths are left alone', () => {
    const plan = roots('none', [], {
      TOKEN: 'ghp_abc',
      URL: 'https://example.com/x',
      PG: 'postgresql://localhost/app',
      REL: 'data/file.json',
      PATH_LIST: '/usr/bin:/bin',
      MULTI: '/srv/data\n/etc',
    });
    expect(plan.roots).toEqual([]);
    expect(plan.notes).toEqual([]);
  });

  it('system paths and directories too broad to share are refused with a note', () => {
    const plan = roots('none', [], {
      GIT: '/usr/bin/git',
      CA: '/etc/ssl/certs/ca.pem',
      AT_HOME: '/home/u/.memory.json',
      IN_TMP: '/tmp/memory.json',
    });
    expect(plan.roots).toEqual([]);
    expect(plan.notes.join('\n')).toMatch(/GIT=\/usr\/bin\/git is a system path/);
    expect(plan.notes.join('\n')).toMatch(/AT_HOME.*too broad/);
    expect(plan.notes.join('\n')).toMatch(/IN_TMP.*too broad/);
  });

  it('env values with client variables: resolved now when possible, kept unexpanded in the root', () => {
    expect(roots('vscode', [], { MEMORY_FILE_PATH: '${workspaceFolder}/.memory.json' }).roots).toEqual([
      '${workspaceFolder}',
    ]);
    expect(roots('claude-code', [], { DB: '${DATA_DIR}/db.sqlite' }).roots).toEqual(['${DATA_DIR}']);
    expect(roots('cursor', [], { DB: '${env:DATA_DIR}/db.sqlite' }).roots).toEqual(['${env:DATA_DIR}']);
  });

  it('env roots are added to explicit --root values too', () => {
    const plan = planRoots(
      { args: [], env: { MEMORY_FILE_PATH: '/home/u/.local/share/claude-memory.json' } },
      ['/srv/data:ro'],
      { pathKind, variables: 'none', context },
    );
    expect(plan.roots).toEqual(['/srv/data:ro', '/home/u/.local/share']);
  });
});

describe('wrapConfig with the client variables of the file format', () => {
  const options = {
    wardenCommand: ['/usr/bin/node', '/opt/w/main.js'],
    isDirectory: (p: string) => pathKind(p) === 'directory',
    pathKind,
    variableContext: { ...context, workspaceFolder: WORKSPACE },
  };
  const servers = (key: string) =>
    `{"${key}": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "ARG"]}}}`;
  const cases: [string, string, string, string | undefined][] = [
    ['/p/.vscode/mcp.json', 'servers', '${workspaceFolder}', '${workspaceFolder}'],
    ['/p/.cursor/mcp.json', 'mcpServers', '${workspaceFolder}', '${workspaceFolder}'],
    ['/p/.mcp.json', 'mcpServers', '${PWD}', '${PWD}'],
    ['/home/u/.gemini/settings.json', 'mcpServers', '$DATA_DIR', '$DATA_DIR'],
    ['/home/u/.codeium/windsurf/mcp_config.json', 'mcpServers', '${env:DATA_DIR}', '${env:DATA_DIR}'],
    ['/cfg/Claude/claude_desktop_config.json', 'mcpServers', '${PWD}', undefined],
  ];
  it.each(cases)('%s: %s', (file, key, arg, root) => {
    const text = servers(key).replace('ARG', arg);
    const result = wrapConfig(text, file, options);
    expect(result.changes[0]?.roots).toEqual(root ? [root] : []);
    const value = findServerEntries(result.text, file).entries[0]?.value as { args: string[] };
    if (root) expect(value.args.slice(0, value.args.indexOf('--'))).toContain(root);
  });
});

describe('expandClientVariables', () => {
  it('follows each client: VS Code empties an unset ${env:X}, Claude Code and Gemini keep it unknown', () => {
    expect(expandClientVariables('a${env:NOPE}b', 'vscode', context).value).toBe('ab');
    expect(expandClientVariables('a${NOPE}b', 'claude-code', context).value).toBeUndefined();
    expect(expandClientVariables('${NOPE:-x}', 'claude-code', context).value).toBe('x');
    expect(expandClientVariables('$DATA_DIR/x', 'gemini', context).value).toBe('/srv/data/x');
    expect(expandClientVariables('$DATA_DIR/x', 'claude-code', context)).toEqual({
      hasVariables: false,
      value: '$DATA_DIR/x',
    });
    expect(expandClientVariables('${/}', 'cursor', context).value).toBe('/');
  });
});
