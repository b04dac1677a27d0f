// Policy-layer path bypasses found by the red team (issue 20 item 7).
// Issue: the policy checked a string only in the spelling it arrived in, plus a few: a line break
// anywhere in a non-path argument skipped it; relative names reached a symlink leaving the root when
// nothing marked them as paths; URIs of any scheme but file: were never read as paths; glob braces
// hid an absolute or ".." alternative. Each read the secret under `--profile none`.
// Fix: src/policy/paths/site-reading.ts derives every spelling a consumer might act on (trimmed,
// CR/LF/tab-removed, percent-decoded, the path parts of a URI of any scheme, brace expansions of
// glob-like values) and anchors it; relative names are resolved against every root. Controls prove
// prose, code, web URLs and glob patterns inside the roots still pass.
import path from 'node:path';
import type { RuleId } from '../../../src/policy/types.ts';
import { initializeRaw } from '../../helpers/warden.ts';
import type { AttackCase, AttackContext } from '../types.ts';

const OUT: RuleId = 'path.outside-root';

const base = (ctx: AttackContext): string => path.basename(ctx.secret.dir);

/** echo's `text` is a declared, non-path argument: the server treats it as text. */
function echo(id: string, title: string, args: (ctx: AttackContext) => Record<string, unknown>): AttackCase {
  return {
    id: `paths.${id}`,
    family: 'paths',
    title,
    layer: 'policy',
    action: {
      kind: 'request',
      method: 'tools/call',
      params: (ctx) => ({ name: 'echo', arguments: args(ctx) }),
    },
    expect: { kind: 'denied', rule: OUT },
  };
}

function text(id: string, title: string, value: (ctx: AttackContext) => string): AttackCase {
  return echo(id, title, (ctx) => ({ text: value(ctx) }));
}

function resource(id: string, title: string, uri: (ctx: AttackContext) => string): AttackCase {
  return {
    id: `paths.${id}`,
    family: 'paths',
    title,
    layer: 'policy',
    action: { kind: 'request', method: 'resources/read', params: (ctx) => ({ uri: uri(ctx) }) },
    expect: { kind: 'denied', rule: OUT },
  };
}

/** A control: echo must forward `args` and the server must answer with the text. */
function allowed(
  id: string,
  title: string,
  args: (ctx: AttackContext) => Record<string, unknown>,
): AttackCase {
  return {
    ...echo(id, title, args),
    expect: {
      kind: 'allowed',
      check: (reply) => (reply.error ? `unexpected ${JSON.stringify(reply).slice(0, 200)}` : undefined),
    },
  };
}

export const PATH_BYPASS_CASES: AttackCase[] = [
  // ---- (a) line breaks, tabs and stripped ends in a non-path argument ----
  text(
    'bypass-newline-file-uri',
    'a file: URI with a trailing "\\n" in echo text',
    (c) => `file://${c.secret.file}\n`,
  ),
  text(
    'bypass-crlf-absolute',
    'an absolute path with a trailing CRLF in echo text',
    (c) => `${c.secret.file}\r\n`,
  ),
  text(
    'bypass-newline-in-scheme',
    '"fi\\nle:" (URL parsers drop the newline)',
    (c) => `fi\nle://${c.secret.file}`,
  ),
  text('bypass-cr-in-path', 'a CR inside a file: URI path', (c) => `file://${c.secret.dir}/\rid_rsa`),
  text(
    'bypass-tab-and-newline',
    'a tab inside "file:" and a newline at the end',
    (c) => `fi\tle://${c.secret.file}\n`,
  ),
  text(
    'bypass-c0-ends-newline',
    'C0 controls and spaces around a file: URI, with a newline',
    (c) => `\x01 \x1ffile://${c.secret.file}\x1f\n`,
  ),
  text('bypass-newline-dotdot', 'a relative "../" with a trailing newline', (c) => `../${base(c)}/id_rsa\n`),

  // ---- (b) relative names through a symlink that leaves the root ----
  text(
    'bypass-relative-link-dir',
    'a relative "link-out-dir/id_rsa" in echo text',
    () => 'link-out-dir/id_rsa',
  ),
  text('bypass-relative-link-chain', 'a relative symlink chain in echo text', () => 'link-chain-a/id_rsa'),
  text(
    'bypass-relative-link-parent',
    'a relative "link-parent/…" in echo text',
    (c) => `link-parent/${base(c)}/id_rsa`,
  ),
  echo('bypass-relative-undeclared', 'a relative link path in an undeclared argument', () => ({
    text: 'hi',
    where: 'link-out-dir/id_rsa',
  })),
  {
    id: 'paths.bypass-relative-before-tools-list',
    family: 'paths',
    title: 'read_file of a relative link path before tools/list (no schema marks it a path)',
    layer: 'policy',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const warden = await api.warden({ handshake: false });
        await initializeRaw(warden);
        const reply = await warden.request(
          'before-list',
          'tools/call',
          { name: 'read_file', arguments: { path: 'link-out-dir/id_rsa' } },
          20_000,
        );
        if (JSON.stringify(reply).includes(ctx.secret.content)) return 'the secret reached the client';
        if (reply.error?.code !== -32001 || reply.error.data?.rule !== OUT)
          return `not denied: ${JSON.stringify(reply).slice(0, 200)}`;
        return undefined;
      },
    },
    expect: { kind: 'contained', what: 'denied path.outside-root' },
  },

  // ---- (c) URIs of any scheme ----
  resource(
    'bypass-scheme-dotdot',
    'resources/read of "notes://../outside/id_rsa"',
    (c) => `notes://../${base(c)}/id_rsa`,
  ),
  text(
    'bypass-scheme-dotdot-text',
    '"notes://../outside/id_rsa" in echo text',
    (c) => `notes://../${base(c)}/id_rsa`,
  ),
  resource(
    'bypass-scheme-encoded-slash',
    '"notes://..%2Foutside%2Fid_rsa" (encoded slashes in the host)',
    (c) => `notes://..%2F${base(c)}%2Fid_rsa`,
  ),
  resource(
    'bypass-scheme-encoded-dots',
    '"notes://%2E%2E/outside/id_rsa" (encoded dots)',
    (c) => `notes://%2E%2E/${base(c)}/id_rsa`,
  ),
  resource(
    'bypass-scheme-absolute',
    '"notes:///outside/id_rsa" (empty host, absolute path)',
    (c) => `notes://${c.secret.file}`,
  ),
  resource(
    'bypass-scheme-opaque',
    '"notes:../outside/id_rsa" (no authority)',
    (c) => `notes:../${base(c)}/id_rsa`,
  ),
  resource(
    'bypass-scheme-link',
    '"notes://link-out-dir/id_rsa" (host is a symlink out)',
    () => 'notes://link-out-dir/id_rsa',
  ),
  text(
    'bypass-percent-relative',
    'a percent-encoded "..%2F" relative path in echo text',
    (c) => `%2E%2E%2F${base(c)}%2Fid_rsa`,
  ),

  // ---- (d) glob braces ----
  text(
    'bypass-brace-absolute',
    'a brace alternative that is an absolute path',
    (c) => `{${c.secret.dir},x}/*`,
  ),
  echo('bypass-brace-dotdot-pattern', 'a "{..,x}" alternative in a pattern argument', (c) => ({
    text: 'hi',
    pattern: `{..,x}/${base(c)}/id_rsa`,
  })),
  echo('bypass-brace-nested', 'nested braces hiding "/"', (c) => ({
    text: 'hi',
    pattern: `{a,{b,${c.secret.dir}}}/*`,
  })),
  echo('bypass-brace-bomb', 'a brace pattern with too many expansions to check', () => ({
    text: 'hi',
    pattern: '{a,b}'.repeat(16),
  })),

  // ---- controls: prose, code, web URLs, globs and relative names inside still pass ----
  allowed('control-bypass-prose', 'control: prose with a colon and a slash', () => ({
    text: 'see notes: 1/2 done',
  })),
  allowed('control-bypass-code', 'control: multi-line code starting with a comment', () => ({
    text: '/* header */\nint main(void) { return a/b; }\n',
  })),
  allowed('control-bypass-multiline-dotdot', 'control: multi-line text mentioning ../', () => ({
    text: 'line one\nsee ../notes and ./x\nkey: value',
  })),
  allowed('control-bypass-web-url', 'control: a web URL with a ".." segment', () => ({
    text: 'https://example.com/a/../b?q=1#f',
  })),
  allowed('control-bypass-scheme-inside', 'control: a custom-scheme URI naming an inside file', () => ({
    text: 'notes://sub/inner.txt',
  })),
  allowed('control-bypass-relative-inside', 'control: relative names inside the root', () => ({
    text: 'ok.txt',
    where: 'link-inside-dir/inner.txt',
  })),
  allowed('control-bypass-glob', 'control: a glob pattern inside the root', () => ({
    text: 'hi',
    pattern: '**/*.{ts,js}',
  })),
  allowed('control-bypass-json', 'control: minified JSON with braces and slashes', () => ({
    text: JSON.stringify({
      a: [
        { p: 'x/y', q: 1 },
        { p: 'z', q: 2 },
      ],
      b: 'c',
    }),
  })),
  allowed('control-bypass-version', 'control: a version and a domain name', () => ({
    text: 'v1.2.3 example.com',
  })),
];
