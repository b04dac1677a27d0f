// Issue: a client (or a prompt-injected model) names a file outside the roots in some spelling the
// policy reads differently from the server. Fix: every spelling any consumer might act on is anchored
// (docs/design.md "Every interpretation must be inside"). Each case must be denied before the server
// sees it; a few controls prove that honest paths still pass.
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleId } from '../../../src/policy/types.ts';
import type { AttackCase, AttackContext } from '../types.ts';

const OUT: RuleId = 'path.outside-root';

function read(
  id: string,
  title: string,
  value: (ctx: AttackContext) => string,
  rule: RuleId = OUT,
): AttackCase {
  return {
    id: `paths.${id}`,
    family: 'paths',
    title,
    layer: 'policy',
    action: {
      kind: 'request',
      method: 'tools/call',
      params: (ctx) => ({ name: 'read_file', arguments: { path: value(ctx) } }),
    },
    expect: { kind: 'denied', rule },
  };
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

function control(id: string, title: string, value: (ctx: AttackContext) => string): AttackCase {
  return {
    id: `paths.${id}`,
    family: 'paths',
    title,
    layer: 'policy',
    action: {
      kind: 'request',
      method: 'tools/call',
      params: (ctx) => ({ name: 'read_file', arguments: { path: value(ctx) } }),
    },
    expect: {
      kind: 'allowed',
      check: (reply) =>
        JSON.stringify(reply.result).includes('fine')
          ? undefined
          : `unexpected ${JSON.stringify(reply).slice(0, 200)}`,
    },
  };
}

function params(
  id: string,
  title: string,
  method: string,
  build: (ctx: AttackContext) => unknown,
  rule: RuleId = OUT,
): AttackCase {
  return {
    id: `paths.${id}`,
    family: 'paths',
    title,
    layer: 'policy',
    action: { kind: 'request', method, params: build },
    expect: { kind: 'denied', rule },
  };
}

const base = (ctx: AttackContext): string => path.basename(ctx.secret.dir);

export const PATH_CASES: AttackCase[] = [
  // ---- controls ----
  control('control-absolute', 'control: an absolute path inside the root', (c) => `${c.root}/ok.txt`),
  control('control-relative', 'control: a relative path (resolved against the first root)', () => 'ok.txt'),
  control('control-dotdot-inside', 'control: a ".." that stays inside', (c) => `${c.root}/sub/../ok.txt`),
  control('control-link-inside', 'control: a symlink inside pointing inside', (c) => `${c.root}/link-inside`),
  {
    ...control('control-file-uri', 'control: resources/read of a file: URI inside', () => ''),
    action: {
      kind: 'request',
      method: 'resources/read',
      params: (c) => ({ uri: `file://${c.root}/ok.txt` }),
    },
  },

  // ---- traversal ----
  read('traversal-absolute', 'an absolute path outside the roots', (c) => c.secret.file),
  read('traversal-dotdot', '"root/../" out of the root', (c) => `${c.root}/../${base(c)}/id_rsa`),
  read(
    'traversal-deep',
    'many ".." up to /etc/passwd',
    (c) => `${c.root}/../../../../../../../../etc/passwd`,
  ),
  read('traversal-sub-dotdot', '"root/sub/../../"', (c) => `${c.root}/sub/../../${base(c)}/id_rsa`),
  read('traversal-dot-dotdot', '"root/./../"', (c) => `${c.root}/./../${base(c)}/id_rsa`),
  read(
    'traversal-double-slash',
    '"root//..//" with doubled separators',
    (c) => `${c.root}//..//${base(c)}//id_rsa`,
  ),
  read(
    'traversal-relative',
    'a relative "../" (resolved against the first root)',
    (c) => `../${base(c)}/id_rsa`,
  ),
  read('traversal-relative-nested', 'a relative "a/../../"', (c) => `sub/../../${base(c)}/id_rsa`),
  read('traversal-bare-dotdot', 'a bare ".."', () => '..'),
  read('traversal-root-dotdot', '"root/.."', (c) => `${c.root}/..`),
  read('traversal-backslash', 'backslash traversal "..\\..\\"', () => '..\\..\\..\\etc\\passwd'),
  read(
    'traversal-mixed-separators',
    'mixed separators "root\\..\\x"',
    (c) => `${c.root}\\..\\${base(c)}\\id_rsa`,
  ),
  read('traversal-slash', 'the filesystem root "/"', () => '/'),
  read('traversal-ro-escape', 'out of the read-only root', (c) => `${c.ro}/../${base(c)}/id_rsa`),
  read('traversal-trailing-dotdot', '"root/sub/.." then sibling via "../"', (c) => `${c.root}/sub/../../`),

  // ---- sibling prefix ----
  read(
    'sibling-dash',
    'a sibling sharing the root as a string prefix ("root-evil")',
    (c) => `${c.root}-evil/x`,
  ),
  read('sibling-suffix', 'the root name with a suffix ("rootevil")', (c) => `${c.root}evil`),
  read('sibling-dot', 'the root name with ".bak"', (c) => `${c.root}.bak/x`),
  read('sibling-space', 'the root name with a trailing space component', (c) => `${c.root} /x`),
  read('sibling-ro-prefix', 'a sibling of the read-only root', (c) => `${c.ro}-evil/x`),

  // ---- symlinks ----
  read('symlink-file', 'a symlink inside pointing to a file outside', (c) => `${c.root}/link-out-file`),
  read(
    'symlink-dir',
    'a path below a symlinked directory that points outside',
    (c) => `${c.root}/link-out-dir/id_rsa`,
  ),
  read('symlink-chain', 'a chain of symlinks ending outside', (c) => `${c.root}/link-chain-a/id_rsa`),
  read('symlink-relative', 'a relative symlink "../outside/id_rsa"', (c) => `${c.root}/link-relative-out`),
  read('symlink-to-slash', 'a symlink to "/" then /etc/passwd', (c) => `${c.root}/link-to-slash/etc/passwd`),
  read(
    'symlink-parent',
    'a symlink to ".." (symlinked parent)',
    (c) => `${c.root}/link-parent/${base(c)}/id_rsa`,
  ),
  read(
    'symlink-then-dotdot',
    'a symlinked dir followed by ".." (kernel resolves the link first)',
    (c) => `${c.root}/link-out-dir/../${base(c)}/id_rsa`,
  ),
  read(
    'symlink-inside-dir-dotdot',
    'an inside symlinked dir then "../.." out',
    (c) => `${c.root}/link-inside-dir/../../${base(c)}/id_rsa`,
  ),
  {
    id: 'paths.symlink-dangling-write',
    family: 'paths',
    title: 'writing through a dangling symlink whose target is outside',
    layer: 'policy',
    action: {
      kind: 'request',
      method: 'tools/call',
      params: (c) => ({
        name: 'write_file',
        arguments: { path: `${c.root}/dangling-out`, content: 'pwned' },
      }),
    },
    expect: { kind: 'denied', rule: OUT },
  },
  read(
    'symlink-file-uri',
    'a file: URI through an outside symlink',
    (c) => `file://${c.root}/link-out-dir/id_rsa`,
  ),
  {
    id: 'paths.symlink-planted-later',
    family: 'paths',
    title: 'a symlink planted in the root after the tools were listed',
    layer: 'policy',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const warden = await api.shared();
        const name = `planted-${ctx.mark()}`;
        symlinkSync(ctx.secret.file, path.join(ctx.root, name));
        try {
          const reply = await warden.request(
            `atk-${name}`,
            'tools/call',
            { name: 'read_file', arguments: { path: path.join(ctx.root, name) } },
            20_000,
          );
          if (reply.error?.code !== -32001 || reply.error.data?.rule !== OUT)
            return `not denied: ${JSON.stringify(reply).slice(0, 200)}`;
          return api.serverSaw(name) ? 'the server received it' : undefined;
        } finally {
          rmSync(path.join(ctx.root, name), { force: true });
        }
      },
    },
    expect: { kind: 'contained', what: 'denied path.outside-root' },
  },

  // ---- TOCTOU (OS layer only: the policy checked a file that is swapped before the server opens it) ----
  {
    id: 'paths.toctou-swap',
    family: 'paths',
    title: 'TOCTOU: an inside file swapped for a symlink to the secret between check and use',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const warden = await api.warden();
        const name = `swap-${ctx.mark()}.txt`;
        const file = path.join(ctx.root, name);
        writeFileSync(file, 'inside\n');
        warden.send({
          jsonrpc: '2.0',
          id: 'toctou',
          method: 'tools/call',
          params: { name: 'read_file_slow', arguments: { path: file, delayMs: 800 } },
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        rmSync(file);
        symlinkSync(ctx.secret.file, file);
        const reply = await warden.waitFor((m) => m.id === 'toctou', 20_000);
        const text = JSON.stringify(reply);
        if (text.includes(ctx.secret.content)) return 'the secret was read through the swapped symlink';
        return /ENOENT|EACCES/.test(text) ? undefined : `unexpected ${text.slice(0, 200)}`;
      },
    },
    expect: { kind: 'contained', what: 'the swapped symlink leads nowhere inside the sandbox' },
    notApplicable: {
      none: 'the policy checks before the server acts; only an OS layer can stop a swap after the check (see bwrap/docker/gvisor/isolate)',
    },
  },

  // ---- percent and double encoding (file: URIs) ----
  resource('percent-dotdot', 'file: URI with %2e%2e', (c) => `file://${c.root}/%2e%2e/${base(c)}/id_rsa`),
  resource(
    'percent-double',
    'file: URI double-encoded %252e%252e',
    (c) => `file://${c.root}/%252e%252e/${base(c)}/id_rsa`,
  ),
  resource(
    'percent-slash',
    'file: URI with an encoded slash %2F..%2F',
    (c) => `file://${c.root}%2F..%2F${base(c)}%2Fid_rsa`,
  ),
  resource(
    'percent-all',
    'file: URI fully percent-encoded',
    () => `file://${[...'/etc/passwd'].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('')}`,
  ),
  resource(
    'percent-malformed',
    'file: URI with malformed %zz',
    (c) => `file://${c.root}/%zz/../../etc/passwd`,
  ),
  resource(
    'percent-overlong',
    'file: URI with an overlong UTF-8 dot %c0%ae',
    (c) => `file://${c.root}/%c0%ae%c0%ae/${base(c)}/id_rsa`,
  ),
  resource(
    'percent-unicode-escape',
    'file: URI with %u002e (IIS-style)',
    (c) => `file://${c.root}/%u002e%u002e/${base(c)}`,
  ),
  resource('percent-nul', 'file: URI with %00', (c) => `file://${c.root}/ok.txt%00/../../etc/passwd`),
  read(
    'percent-in-tool-arg',
    'a double-encoded file: URI as a tool argument',
    (c) => `file://${c.root}/%252e%252e/x`,
  ),

  // ---- overlong UTF-8, full-width and look-alike dots and slashes ----
  read(
    'fullwidth-dots',
    'full-width "．．／" (NFKC folds to "../")',
    (c) => `${c.root}/．．/${base(c)}/id_rsa`,
  ),
  read('fullwidth-slash', 'full-width solidus "／..／"', (c) => `${c.root}／..／${base(c)}／id_rsa`),
  read('fullwidth-relative', 'relative full-width "．．／．．／etc"', () => '．．／．．／．．／etc／passwd'),
  read('two-dot-leader', 'two-dot leader "‥" (NFKC "..")', (c) => `${c.root}/‥/${base(c)}/id_rsa`),
  read('one-dot-leaders', 'two one-dot leaders "․․"', (c) => `${c.root}/\u2024\u2024/${base(c)}/id_rsa`),
  read('small-full-stop', 'small full stops "﹒﹒"', (c) => `${c.root}/\ufe52\ufe52/${base(c)}/id_rsa`),
  read(
    'nfd-dotdot',
    'NFC-changing text around ".." (composed and decomposed forms)',
    (c) => `${c.root}/e\u0301/../../${base(c)}/id_rsa`,
  ),
  read('leading-whitespace', 'leading whitespace before an outside absolute path', () => '  /etc/passwd'),
  read('tab-in-uri', 'a tab inside "file:" (URL parsers drop it)', () => 'fi\tle:///etc/passwd'),

  // ---- lone surrogates, NUL ----
  read(
    'surrogate-high',
    'a lone high surrogate in an inside path',
    (c) => `${c.root}/\ud800/../../${base(c)}`,
  ),
  read('surrogate-low', 'a lone low surrogate in /etc', () => '/etc/\udc00passwd'),
  read(
    'surrogate-inside',
    'a lone surrogate alone (refused: no consumer agrees on it)',
    (c) => `${c.root}/\ud83d.txt`,
  ),
  read(
    'nul-truncation',
    'NUL truncation "ok.txt\\0/../../"',
    (c) => `${c.root}/ok.txt\u0000/../../etc/passwd`,
  ),
  read('nul-suffix', 'NUL before an innocent suffix', () => '/etc/passwd\u0000.txt'),
  read('nul-alone', 'NUL in an inside path', (c) => `${c.root}/\u0000`),
  params('nul-non-path-key', 'NUL in a value under a non-path argument', 'tools/call', (c) => ({
    name: 'echo',
    arguments: { text: `${c.root}/ok\u0000` },
  })),

  // ---- Windows forms ----
  read('windows-drive', 'a Windows drive path', () => 'C:\\Windows\\win.ini'),
  read('windows-drive-slash', 'a Windows drive path with slashes', () => 'c:/Users/x/.ssh/id_rsa'),
  read('windows-unc', 'a UNC path', () => '\\\\server\\share\\secret'),
  read('windows-device', 'a Win32 device namespace path', () => '\\\\?\\C:\\secret'),
  read('windows-pipe', 'a named pipe', () => '\\\\.\\pipe\\docker_engine'),

  // ---- file: URI tricks ----
  read('uri-plain', 'file:///etc/passwd', () => 'file:///etc/passwd'),
  read('uri-uppercase', 'FILE:///etc/passwd (scheme case)', () => 'FILE:///etc/passwd'),
  read('uri-one-slash', 'file:/etc/passwd', () => 'file:/etc/passwd'),
  read('uri-localhost', 'file://localhost/etc/passwd', () => 'file://localhost/etc/passwd'),
  read(
    'uri-remote-host',
    'file://attacker.invalid/etc/passwd (remote host)',
    () => 'file://attacker.invalid/etc/passwd',
  ),
  read('uri-ip-host', 'file://127.0.0.1/etc/passwd', () => 'file://127.0.0.1/etc/passwd'),
  read('uri-dotdot', 'file://root/../outside', (c) => `file://${c.root}/../${base(c)}/id_rsa`),
  read(
    'uri-query',
    'file://root/ok.txt?/../../etc/passwd (query read as path)',
    (c) => `file://${c.root}/ok.txt?/../../../../etc/passwd`,
  ),
  read(
    'uri-fragment',
    'file://root/x#/../../etc (fragment read as path)',
    (c) => `file://${c.root}/x#/../../../../etc/passwd`,
  ),
  read('uri-no-slashes-relative', 'file:../outside (relative URI)', (c) => `file:../${base(c)}/id_rsa`),
  read('uri-backslash', 'file:\\\\etc\\passwd', () => 'file:\\\\etc\\passwd'),
  read('uri-leading-space', 'a file: URI behind a leading space', () => ' file:///etc/passwd'),
  resource('uri-resource-read', 'resources/read of file:///etc/passwd', () => 'file:///etc/passwd'),
  params('uri-subscribe', 'resources/subscribe to an outside URI', 'resources/subscribe', () => ({
    uri: 'file:///etc/shadow',
  })),

  // ---- relative bases and home ----
  read('home-tilde', '"~/.ssh/id_rsa" (home is not a root)', () => '~/.ssh/id_rsa'),
  read('home-bare', 'a bare "~"', () => '~'),
  read('home-other-user', '"~root/.ssh"', () => '~root/.ssh/id_rsa'),
  read('home-dotdot', '"~/../../etc/passwd"', () => '~/../../etc/passwd'),
  read('relative-dot-dotdot', 'relative "./../"', (c) => `./../${base(c)}/id_rsa`),
  {
    id: 'paths.readonly-write',
    family: 'paths',
    title: 'a write tool into the :ro root',
    layer: 'policy',
    action: {
      kind: 'request',
      method: 'tools/call',
      params: (c) => ({ name: 'write_file', arguments: { path: `${c.ro}/ro.txt`, content: 'x' } }),
    },
    expect: { kind: 'denied', rule: 'path.read-only' },
  },

  // ---- paths nested in arrays and objects ----
  params('nested-deep-object', 'a path deep in an object under a non-path key', 'tools/call', () => ({
    name: 'echo',
    arguments: { text: 'hi', extra: { a: { b: { c: '/etc/passwd' } } } },
  })),
  params('nested-array', 'an outside path second in an array', 'tools/call', (c) => ({
    name: 'echo',
    arguments: { text: 'hi', files: [`${c.root}/ok.txt`, '/etc/passwd'] },
  })),
  params('nested-array-of-objects', 'inside an array of objects', 'tools/call', () => ({
    name: 'echo',
    arguments: { text: 'hi', items: [{ x: 1 }, { p: ['~/.aws/credentials'] }] },
  })),
  params('nested-key', 'a path used as an object key', 'tools/call', () => ({
    name: 'echo',
    arguments: { text: 'hi', map: { '/etc/passwd': true } },
  })),
  params('nested-meta', 'a path in _meta', 'tools/call', () => ({
    name: 'echo',
    arguments: { text: 'hi' },
    _meta: { progressToken: '/etc/passwd' },
  })),
  params('nested-prompt-args', 'a path in prompts/get arguments', 'prompts/get', () => ({
    name: 'p',
    arguments: { file: '../../../etc/passwd' },
  })),
  params('nested-completion', 'a path in completion/complete', 'completion/complete', () => ({
    ref: { type: 'ref/resource', uri: 'file:///etc/' },
    argument: { name: 'x', value: 'y' },
  })),
  params('nested-array-params', 'params given as an array', 'resources/read', () => ['file:///etc/passwd']),
  params('nested-very-deep', 'a path 40 levels deep', 'tools/call', () => {
    let value: unknown = '/etc/passwd';
    for (let i = 0; i < 40; i++) value = { v: value };
    return { name: 'echo', arguments: { text: 'hi', deep: value } };
  }),
  params(
    'nested-multiline-path-arg',
    'a multi-line value under a path-marked argument is still a path',
    'tools/call',
    () => ({ name: 'read_file', arguments: { path: '/etc/passwd\nok' } }),
  ),
  params(
    'nested-write-content-path',
    'write_file with an outside path hidden in an extra field',
    'tools/call',
    (c) => ({
      name: 'write_file',
      arguments: { path: `${c.root}/w.txt`, content: 'x', backup: { to: `${c.secret.dir}/w.txt` } },
    }),
  ),
];
