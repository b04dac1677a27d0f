// Issue 15 item 6: unwrap refuses to drop edits made after wrapping; --dry-run shows a unified diff.
// Item 5: the default warden command is this warden's absolute path; npx only pinned.
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/clients/unified-diff.ts';
import {
  runningWardenCommand,
  transientWardenNote,
  wardenCommandProblem,
} from '../../../src/clients/warden-self.ts';
import { unwrapConfig, wrapConfig } from '../../../src/clients/wrap-config.ts';

const options = { wardenCommand: ['/usr/bin/node', '/opt/w/main.js'], isDirectory: () => false };

describe('unwrap after edits to the wrapped entry', () => {
  const cases: [string, string, (wrapped: string) => string, RegExp][] = [
    [
      'an env value added (JSON)',
      '/p/.mcp.json',
      (w) => w.replace('"KEY": "v"', '"KEY": "v", "NEW_TOKEN": "t"'),
      /env\.NEW_TOKEN \(added\)/,
    ],
    [
      'a key changed (JSON)',
      '/p/.mcp.json',
      (w) => w.replace('"cwd": "/w"', '"cwd": "/other"'),
      /cwd \(changed\)/,
    ],
    [
      'the server arguments after -- changed (JSON)',
      '/p/.mcp.json',
      (w) => w.replace('"--", "srv", "a"', '"--", "srv", "b"'),
      /server command or its arguments/,
    ],
    [
      'the warden removed from the command (JSON)',
      '/p/.mcp.json',
      (w) => w.replace(/"args": \[[^\]]*\]/, '"args": ["a"]'),
      /command and args/,
    ],
  ];
  const text = '{"mcpServers": {"s": {"command": "srv", "args": ["a"], "cwd": "/w", "env": {"KEY": "v"}}}}';
  it.each(cases)(
    '%s: kept, with what would be lost; --force restores the original',
    (_name, file, edit, lost) => {
      const wrapped = edit(wrapConfig(text, file, options).text);
      const kept = unwrapConfig(wrapped, file);
      expect(kept.text).toBe(wrapped);
      expect(kept.changes[0]).toMatchObject({ action: 'kept' });
      expect(kept.changes[0]?.edited?.join()).toMatch(lost);
      const forced = unwrapConfig(wrapped, file, undefined, { force: true });
      expect(forced.text).toBe(text);
      expect(forced.changes[0]?.note).toMatch(/lost edits/);
    },
  );

  it('changes to the warden options alone are not edits (they go with the warden)', () => {
    const wrapped = wrapConfig(text, '/p/.mcp.json', options).text.replace('"auto"', '"bwrap"');
    expect(unwrapConfig(wrapped, '/p/.mcp.json').text).toBe(text);
  });

  it('TOML and YAML: an env entry added after wrapping is detected', () => {
    const toml = '[mcp_servers.s]\ncommand = "srv"\nargs = ["a"]\n\n[mcp_servers.s.env]\nKEY = "v"\n';
    const wrappedToml = wrapConfig(toml, '/h/.codex/config.toml', options).text + 'NEW = "x"\n';
    expect(unwrapConfig(wrappedToml, '/h/.codex/config.toml').changes[0]?.edited).toEqual([
      'env.NEW (added)',
    ]);
    const yaml = 'extensions:\n  s:\n    cmd: srv\n    args: [a]\n    envs:\n      KEY: v\n    type: stdio\n';
    const wrappedYaml = wrapConfig(yaml, '/h/goose/config.yaml', options).text.replace('KEY: v', 'KEY: w');
    expect(unwrapConfig(wrappedYaml, '/h/goose/config.yaml').changes[0]?.edited).toEqual([
      'envs.KEY (changed)',
    ]);
  });
});

describe('unifiedDiff', () => {
  /** Apply a unified diff (as `patch` would) to check it describes the change exactly. */
  function apply(before: string, diff: string): string {
    const lines = before.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    const out: string[] = [];
    let at = 0;
    const body = diff.split('\n').slice(2);
    for (let i = 0; i < body.length; i++) {
      const header = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(body[i] ?? '');
      if (!header) continue;
      const start = Number(header[1]) - (Number(header[2]) === 0 ? 0 : 1);
      while (at < start) out.push(lines[at++] ?? '');
      for (i++; i < body.length && !(body[i] ?? '').startsWith('@@'); i++) {
        const line = body[i] ?? '';
        const noNewline = body[i + 1] === '\\ No newline at end of file';
        const text = line.slice(1) + (noNewline ? '' : '\n');
        if (line.startsWith(' ')) {
          out.push(text);
          at++;
        } else if (line.startsWith('-')) at++;
        else if (line.startsWith('+')) out.push(text);
        if (noNewline) i++;
      }
      i--;
    }
    while (at < lines.length) out.push(lines[at++] ?? '');
    return out.join('');
  }

  it('prints hunks with three lines of context and applies back exactly', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n';
    const b = 'a\nb\nX\nd\ne\nf\ng\nh\ni\nY\nk\n';
    expect(unifiedDiff(a, b, 'f', 'g')).toBe(
      '--- f\n+++ g\n@@ -1,11 +1,11 @@\n a\n b\n-c\n+X\n d\n e\n f\n g\n h\n i\n-j\n+Y\n k\n',
    );
    expect(unifiedDiff(a, a, 'f', 'g')).toBe('');
  });

  it('round-trips random edits, with and without final newlines', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const make = () =>
      Array.from({ length: random(14) }, () => `${'abcde'[random(5)]}\n`).join('') +
      (random(5) === 0 ? 'z' : '');
    for (let round = 0; round < 400; round++) {
      const a = make();
      const b = make();
      expect(apply(a, unifiedDiff(a, b, 'a', 'b'))).toBe(b);
    }
  });
});

describe('the warden command a wrapped entry runs', () => {
  it('defaults to the absolute node binary and CLI script of the running warden', () => {
    expect(runningWardenCommand('/opt/node/bin/node', 'dist/cli/main.js', '/srv/mcp-warden')).toEqual([
      '/opt/node/bin/node',
      '/srv/mcp-warden/dist/cli/main.js',
    ]);
    expect(runningWardenCommand('/usr/bin/node', '/usr/local/bin/mcp-warden', '/')).toEqual([
      '/usr/bin/node',
      '/usr/local/bin/mcp-warden',
    ]);
  });

  it("warns when the running warden lives in npx's cache", () => {
    expect(
      transientWardenNote(['/usr/bin/node', '/home/u/.npm/_npx/1a2b/node_modules/.bin/mcp-warden']),
    ).toMatch(/npx's cache/);
    expect(transientWardenNote(['/usr/bin/node', '/usr/local/bin/mcp-warden'])).toBeUndefined();
  });

  it('an entry an older wrap pointed at "npx -y mcp-warden" is flagged', () => {
    const text = '{"mcpServers": {"s": {"command": "srv"}}}';
    const old = wrapConfig(text, '/p/.mcp.json', {
      ...options,
      wardenCommand: ['npx', '-y', 'mcp-warden'],
    }).text;
    expect(wrapConfig(old, '/p/.mcp.json', options).changes[0]).toMatchObject({
      action: 'already-wrapped',
      note: expect.stringMatching(/unpinned "npx -y mcp-warden".*unwrap, then wrap again/),
    });
    expect(
      wrapConfig(wrapConfig(text, '/p/.mcp.json', options).text, '/p/.mcp.json', options).changes[0],
    ).toEqual({
      server: 's',
      action: 'already-wrapped',
    });
  });

  it('a package runner must pin mcp-warden to an exact version', () => {
    expect(wardenCommandProblem(['npx', '-y', 'mcp-warden'])).toMatch(/not pinned/);
    expect(wardenCommandProblem(['npx', '-y', 'mcp-warden@latest'])).toMatch(/not pinned/);
    expect(wardenCommandProblem(['npx', '-y', 'mcp-warden@^0.1.0'])).toMatch(/not pinned/);
    expect(wardenCommandProblem(['pnpm', 'dlx', 'mcp-warden'])).toMatch(/not pinned/);
    expect(wardenCommandProblem(['/usr/bin/bunx', 'mcp-warden'])).toMatch(/not pinned/);
    expect(wardenCommandProblem(['npx', '-y', 'mcp-warden@0.1.0'])).toBeUndefined();
    expect(wardenCommandProblem(['/usr/bin/node', '/opt/mcp-warden/dist/cli/main.js'])).toBeUndefined();
    expect(wardenCommandProblem(['mcp-warden'])).toBeUndefined();
  });
});
