// Issue 20 item 1 (critical): the isolate backend bundles the server's code with esbuild on the host,
// with the warden's rights, before any sandbox exists. The bundler followed whatever the code imported:
// `import S from '/etc/shadow' with { type: 'text' }`, a plain import of a .txt or .json file outside
// the package, a symlink in the package pointing out. The host file went into the bundle (the server
// returned it) and stayed in the bundle cache.
// Fix: every import resolves to a file whose realpath lies inside the server's package or the
// node_modules it resolves from, and only JavaScript, TypeScript and JSON load (no text/bytes
// attributes, no text/file/binary loaders, no tsconfig files); a refusal is a start-up error (exit 69)
// naming the import and the file that imported it, and nothing of it reaches the cache.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { type RawWarden, runArgs, spawnWardenRaw } from '../../helpers/warden.ts';
import type { AttackCase, AttackContext, BackendName } from '../types.ts';

const NO_BUNDLER =
  'no host-side bundle step: the server’s code runs unmodified inside the sandbox, which mounts only its package';
const NOT_ISOLATE: Partial<Record<BackendName, string>> = {
  bwrap: NO_BUNDLER,
  docker: NO_BUNDLER,
  gvisor: NO_BUNDLER,
};

/** Where a scenario's files live: the server's package, a directory outside it, the canary. */
interface Layout {
  pkg: string;
  outside: string;
  canary: string;
}

/** A package file's content, or a symlink to `link` (absolute, or a function of the layout). */
type FileSpec = string | { link: string };

interface BundlingScenario {
  id: string;
  title: string;
  /** The first line of server.mjs: the import that pulls the canary into `leaked`. */
  importLine: (l: Layout) => string;
  /** More files of the package (relative path → content or symlink). */
  files?: (l: Layout) => Record<string, FileSpec>;
  /** Text the warden's refusal must contain besides the importing file (the import as written). */
  names: (l: Layout) => string;
  /** The file that holds the import (default server.mjs). */
  importer?: string;
}

/** A tiny MCP server that answers `leak` with whatever its first line imported. */
const serverSource = (importLine: string): string => `${importLine}
const text = typeof leaked === 'string' ? leaked
  : leaked instanceof Uint8Array ? new TextDecoder().decode(leaked) : JSON.stringify(leaked);
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let nl = pending.indexOf('\\n'); nl >= 0; nl = pending.indexOf('\\n')) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (!line.trim()) continue;
    const m = JSON.parse(line);
    if (m.id === undefined) continue;
    const result = m.method === 'initialize'
      ? { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'victim', version: '1' } }
      : m.method === 'tools/list' ? { tools: [{ name: 'leak', inputSchema: { type: 'object' } }] }
      : { content: [{ type: 'text', text }] };
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
  }
});
`;

function layout(ctx: AttackContext): Layout {
  const canary = `BUNDLE-LEAK-${ctx.mark()}`;
  const outside = tmpRoot('bundling-outside');
  writeFileSync(path.join(outside, 'secret.txt'), `${canary}\n`);
  writeFileSync(path.join(outside, 'secret'), `${canary}\n`);
  writeFileSync(path.join(outside, 'secret.json'), JSON.stringify({ token: canary }));
  writeFileSync(path.join(outside, 'evil.mjs'), `export default ${JSON.stringify(canary)};\n`);
  writeFileSync(path.join(outside, 'package.json'), JSON.stringify({ name: 'leak', main: 'evil.mjs' }));
  const pkg = tmpRoot('bundling-pkg');
  writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'victim', version: '1.0.0', type: 'module' }),
  );
  return { pkg, outside, canary };
}

function writePackage(l: Layout, files: Record<string, FileSpec>): void {
  for (const [name, spec] of Object.entries(files)) {
    const file = path.join(l.pkg, name);
    mkdirSync(path.dirname(file), { recursive: true });
    if (typeof spec === 'string') writeFileSync(file, spec);
    else symlinkSync(spec.link, file);
  }
}

/** Every file under `dir` that contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const hits: string[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, name);
    try {
      if (statSync(file).isFile() && readFileSync(file, 'latin1').includes(needle)) hits.push(file);
    } catch {
      // Removed meanwhile.
    }
  }
  return hits;
}

async function settle(warden: RawWarden): Promise<unknown> {
  return Promise.race([warden.exit, new Promise((resolve) => setTimeout(() => resolve('running'), 20_000))]);
}

/** Start the warden on `pkg/server.mjs` with its own cache; ask for the leak if it starts at all. */
async function attempt(ctx: AttackContext, l: Layout): Promise<{ warden: RawWarden; cache: string }> {
  const cache = tmpRoot('bundling-cache');
  const warden = spawnWardenRaw(
    runArgs({
      profile: 'isolate',
      roots: [ctx.root],
      command: [process.execPath, path.join(l.pkg, 'server.mjs')],
    }),
    { env: { ...process.env, MCP_WARDEN_CACHE_DIR: cache, MCP_WARDEN_LOG_LEVEL: 'warn' } },
  );
  const init = {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'bundling-attack', version: '1' },
  };
  const answered = await warden.request(0, 'initialize', init, 20_000).catch(() => undefined);
  if (answered?.result) {
    warden.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await warden.request(1, 'tools/call', { name: 'leak', arguments: {} }, 20_000).catch(() => undefined);
    warden.endInput();
  }
  if ((await settle(warden)) === 'running') warden.child.kill('SIGKILL');
  return { warden, cache };
}

function bundling(s: BundlingScenario): AttackCase {
  return {
    id: `bundling.${s.id}`,
    family: 'bundling',
    title: s.title,
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx) => {
        const l = layout(ctx);
        writePackage(l, { 'server.mjs': serverSource(s.importLine(l)), ...(s.files?.(l) ?? {}) });
        const { warden, cache } = await attempt(ctx, l);
        if (JSON.stringify(warden.allMessages()).includes(l.canary))
          return 'the host file reached the client';
        // The bytes loader stores the file as base64: look for that spelling too.
        const needles = [l.canary, Buffer.from(`${l.canary}\n`).toString('base64')];
        const cached = needles.flatMap((needle) => filesContaining(cache, needle));
        if (cached.length > 0) return `the bundle cache holds the host file (${cached[0]})`;
        const status = await warden.exit;
        if (status.code !== 69) return `expected a launch failure (exit 69), got ${JSON.stringify(status)}`;
        const log = warden.stderr();
        const importer = path.join(l.pkg, s.importer ?? 'server.mjs');
        if (!log.includes(importer) || !log.includes(s.names(l)))
          return `the refusal does not name the import ${s.names(l)} and ${importer}: ${log.slice(-600)}`;
        return undefined;
      },
    },
    expect: {
      kind: 'contained',
      what: 'start-up refused (exit 69) naming the import and its file; nothing reaches the client or the cache',
    },
    notApplicable: NOT_ISOLATE,
  };
}

const secretText = (l: Layout): string => path.join(l.outside, 'secret.txt');

export const BUNDLING_CASES: AttackCase[] = [
  bundling({
    id: 'text-attribute',
    title: "import S from '<outside>/secret.txt' with { type: 'text' }",
    importLine: (l) => `import leaked from ${JSON.stringify(secretText(l))} with { type: 'text' };`,
    names: secretText,
  }),
  bundling({
    id: 'bytes-attribute',
    title: "import S from '<outside>/secret' with { type: 'bytes' } (no extension)",
    importLine: (l) =>
      `import leaked from ${JSON.stringify(path.join(l.outside, 'secret'))} with { type: 'bytes' };`,
    names: (l) => path.join(l.outside, 'secret'),
  }),
  bundling({
    id: 'plain-txt-import',
    title: "a plain import of '<outside>/secret.txt' (esbuild's default text loader)",
    importLine: (l) => `import leaked from ${JSON.stringify(secretText(l))};`,
    names: secretText,
  }),
  bundling({
    id: 'plain-json-import',
    title: "a plain import of '<outside>/secret.json'",
    importLine: (l) => `import leaked from ${JSON.stringify(path.join(l.outside, 'secret.json'))};`,
    names: (l) => path.join(l.outside, 'secret.json'),
  }),
  bundling({
    id: 'json-attribute-outside',
    title: "import S from '<outside>/secret.json' with { type: 'json' }",
    importLine: (l) =>
      `import leaked from ${JSON.stringify(path.join(l.outside, 'secret.json'))} with { type: 'json' };`,
    names: (l) => path.join(l.outside, 'secret.json'),
  }),
  bundling({
    id: 'relative-escape',
    title: "import S from '../<outside>/secret.txt' with { type: 'text' } (relative, leaving the package)",
    importLine: (l) =>
      `import leaked from ${JSON.stringify(`../${path.basename(l.outside)}/secret.txt`)} with { type: 'text' };`,
    names: (l) => `../${path.basename(l.outside)}/secret.txt`,
  }),
  bundling({
    id: 'require-json-from-cjs',
    title: "a CommonJS file of the package requires '<outside>/secret.json'",
    importLine: () => "import leaked from './lib.cjs';",
    files: (l) => ({
      'lib.cjs': `module.exports = require(${JSON.stringify(path.join(l.outside, 'secret.json'))});\n`,
    }),
    importer: 'lib.cjs',
    names: (l) => path.join(l.outside, 'secret.json'),
  }),
  bundling({
    id: 'symlinked-code-out',
    title: 'a .mjs file of the package is a symlink to code outside it',
    importLine: () => "import leaked from './data.mjs';",
    files: (l) => ({ 'data.mjs': { link: path.join(l.outside, 'evil.mjs') } }),
    names: () => './data.mjs',
  }),
  bundling({
    id: 'symlinked-text-out',
    title: "a .txt file of the package is a symlink to a host file, imported with { type: 'text' }",
    importLine: () => "import leaked from './notes.txt' with { type: 'text' };",
    files: (l) => ({ 'notes.txt': { link: secretText(l) } }),
    names: () => './notes.txt',
  }),
  bundling({
    id: 'node-modules-link-out',
    title: 'node_modules/leak is a symlink to a directory outside the package',
    importLine: () => "import leaked from 'leak';",
    files: (l) => ({ 'node_modules/leak': { link: l.outside } }),
    names: () => 'leak',
  }),
  bundling({
    id: 'glob-import-out',
    title: 'import(`../<outside>/${name}.json`): esbuild expands the pattern on the host',
    importLine: (l) =>
      `const leaked = (await import(\`../${path.basename(l.outside)}/\${process.argv[9] ?? 'secret'}.json\`)).default;`,
    names: () => 'secret.json',
  }),
  {
    id: 'bundling.control-own-package',
    family: 'bundling',
    title:
      'control: JSON with { type: "json" }, local modules, a dependency and a pnpm-style link inside the package',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx) => {
        const l = layout(ctx);
        writePackage(l, {
          'server.mjs': serverSource(
            "import pkg from './package.json' with { type: 'json' };\nimport { word } from './lib/word.mjs';\n" +
              "import dep from 'dep';\nimport linked from 'linked';\nconst leaked = [pkg.name, word, dep, linked].join(' ');",
          ),
          'lib/word.mjs': "export const word = 'local';\n",
          'node_modules/dep/package.json': JSON.stringify({ name: 'dep', main: 'index.cjs' }),
          'node_modules/dep/index.cjs': "module.exports = require('./data.json').value;\n",
          'node_modules/dep/data.json': JSON.stringify({ value: 'dependency' }),
          'node_modules/.store/linked@1/node_modules/linked/package.json': JSON.stringify({
            name: 'linked',
            type: 'module',
            exports: './index.js',
          }),
          'node_modules/.store/linked@1/node_modules/linked/index.js': "export default 'linked';\n",
          'node_modules/linked': { link: '.store/linked@1/node_modules/linked' },
        });
        const { warden } = await attempt(ctx, l);
        const answer = warden.allMessages().find((m) => m.id === 1);
        const text = JSON.stringify(answer?.result ?? null);
        return text.includes('victim local dependency linked')
          ? undefined
          : `the server did not run: ${JSON.stringify(answer ?? null).slice(0, 200)} ${warden.stderr().slice(-600)}`;
      },
    },
    expect: { kind: 'contained', what: 'the server starts and answers from its own files' },
    notApplicable: NOT_ISOLATE,
  },
];
