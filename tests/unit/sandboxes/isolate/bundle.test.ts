// The bundle step: keyed by the entry, its code paths and the import rules, verified on every hit by the
// inputs' mtimes and sizes; and (issue 20 item 1) nothing outside the server's code paths is ever read
// into a bundle or the cache.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleKey, codeScope, loadBundle } from '../../../../src/sandboxes/isolate/bundle.ts';
import { outsideSecret, tmpRoot } from '../../../helpers/tmp-root.ts';

/** A package directory with package.json and `files`; returns its path. */
function pkg(files: Record<string, string>): string {
  const dir = tmpRoot('bundle-src');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', type: 'module' }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The WardenError loadBundle rejects with. */
async function refusal(
  entry: string,
  cache: string,
  codePaths: string[],
): Promise<Error & { code?: string }> {
  return loadBundle(entry, cache, codePaths).then(
    () => {
      throw new Error('bundled');
    },
    (error: Error & { code?: string }) => error,
  );
}

const cacheHolds = (cache: string, needle: string): boolean =>
  readdirSync(cache, { recursive: true, encoding: 'utf8' }).some((name) => {
    try {
      return readFileSync(path.join(cache, name), 'latin1').includes(needle);
    } catch {
      return false; // a directory
    }
  });

describe('loadBundle', () => {
  it('builds once, reuses while inputs are unchanged, rebuilds when one changes', async () => {
    const dir = pkg({
      'helper.mjs': "export const word = 'one';\n",
      'server.mjs':
        "import { word } from './helper.mjs';\nimport { spawn } from 'node:child_process';\nimport fs from 'fs';\n" +
        'globalThis.probe = [word, spawn, fs];\n',
    });
    const cache = tmpRoot('bundle-cache');
    const entry = path.join(dir, 'server.mjs');
    const first = await loadBundle(entry, cache, [dir]);
    expect(first.cached).toBe(false);
    // Built-ins are replaced: child_process by a stand-in that throws, fs by the guest shim.
    expect(first.code).toContain('not available under --profile isolate');
    expect(first.code).toContain('fs.readFile');
    expect(first.code).not.toMatch(/from ["']node:/);
    const second = await loadBundle(entry, cache, [dir]);
    expect(second).toMatchObject({ cached: true, code: first.code });

    writeFileSync(path.join(dir, 'helper.mjs'), "export const word = 'two';\n");
    utimesSync(path.join(dir, 'helper.mjs'), new Date(), new Date(Date.now() + 5000));
    const third = await loadBundle(entry, cache, [dir]);
    expect(third.cached).toBe(false);
    expect(third.code).toContain('"two"');
  });

  it.each([
    {
      how: "with { type: 'text' }",
      line: (f: string) => `import s from ${JSON.stringify(f)} with { type: 'text' };`,
    },
    { how: 'a plain .txt import', line: (f: string) => `import s from ${JSON.stringify(`${f}.txt`)};` },
    { how: 'a plain .json import', line: (f: string) => `import s from ${JSON.stringify(`${f}.json`)};` },
    {
      how: 'a require() from CommonJS',
      line: (f: string) => `const s = require(${JSON.stringify(`${f}.json`)});`,
    },
  ])(
    'refuses a host file outside the code paths ($how), naming the import and its file',
    async ({ line }) => {
      const secret = outsideSecret();
      writeFileSync(`${secret.file}.txt`, secret.content);
      writeFileSync(`${secret.file}.json`, JSON.stringify({ token: secret.content }));
      const cjs = line(secret.file).startsWith('const');
      const dir = pkg({
        'server.mjs': cjs
          ? "import s from './lib.cjs';\nconsole.log(s);\n"
          : `${line(secret.file)}\nconsole.log(s);\n`,
        ...(cjs ? { 'lib.cjs': `${line(secret.file)}\nmodule.exports = s;\n` } : {}),
      });
      const cache = tmpRoot('bundle-cache');
      const error = await refusal(path.join(dir, 'server.mjs'), cache, [dir]);
      expect(error.code).toBe('launch-failed');
      expect(error.message).toContain(secret.file);
      expect(error.message).toContain(path.join(dir, cjs ? 'lib.cjs' : 'server.mjs'));
      expect(error.message).not.toContain(secret.content);
      expect(cacheHolds(cache, secret.content)).toBe(false);
    },
  );

  it('refuses text and bytes attributes even inside the package, and files that are not code or JSON', async () => {
    const dir = pkg({
      'notes.txt': 'notes',
      'a.mjs': "import n from './notes.txt' with { type: 'text' };\nconsole.log(n);\n",
      'b.mjs': "import n from './notes.txt';\nconsole.log(n);\n",
      'c.mjs': "import n from './notes.txt' with { type: 'bytes' };\nconsole.log(n);\n",
    });
    for (const entry of ['a.mjs', 'b.mjs', 'c.mjs']) {
      const error = await refusal(path.join(dir, entry), tmpRoot('bundle-cache'), [dir]);
      expect(error.message, entry).toMatch(/not allowed|not JavaScript, TypeScript or JSON/);
      expect(error.message, entry).toContain('./notes.txt');
    }
  });

  it('refuses symlinks that leave the code paths (files and node_modules packages), and glob imports out', async () => {
    const secret = outsideSecret();
    writeFileSync(path.join(secret.dir, 'evil.mjs'), `export default ${JSON.stringify(secret.content)};\n`);
    writeFileSync(path.join(secret.dir, 'package.json'), JSON.stringify({ name: 'evil', main: 'evil.mjs' }));
    writeFileSync(path.join(secret.dir, 'x.json'), JSON.stringify({ token: secret.content }));
    const dir = pkg({
      'a.mjs': "import s from './linked.mjs';\nconsole.log(s);\n",
      'b.mjs': "import s from 'evil';\nconsole.log(s);\n",
      'c.mjs': `const s = await import(\`../${path.basename(secret.dir)}/\${process.argv[2]}.json\`);\nconsole.log(s);\n`,
    });
    symlinkSync(path.join(secret.dir, 'evil.mjs'), path.join(dir, 'linked.mjs'));
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(secret.dir, path.join(dir, 'node_modules', 'evil'));
    for (const entry of ['a.mjs', 'b.mjs', 'c.mjs']) {
      const cache = tmpRoot('bundle-cache');
      const error = await refusal(path.join(dir, entry), cache, [dir, path.join(dir, 'node_modules')]);
      expect(error.message, entry).toContain('outside the server');
      expect(error.message, entry).not.toContain(secret.content);
      expect(cacheHolds(cache, secret.content), entry).toBe(false);
    }
  });

  it('reads no tsconfig.json (an `extends` could name any host file)', async () => {
    const secret = outsideSecret();
    writeFileSync(
      `${secret.file}.json`,
      JSON.stringify({ compilerOptions: { jsxFactory: 'LEAKED_FACTORY' } }),
    );
    const dir = pkg({
      'tsconfig.json': JSON.stringify({ extends: `${secret.file}.json` }),
      'view.tsx': 'export const view = () => <div />;\n',
      'server.mjs': "import { view } from './view.tsx';\nconsole.log(view);\n",
    });
    const bundle = await loadBundle(path.join(dir, 'server.mjs'), undefined, [dir]);
    expect(bundle.code).not.toContain('LEAKED_FACTORY');
  });

  it('never serves a cache entry built under older import rules', async () => {
    const dir = pkg({ 'server.mjs': "console.log('fresh');\n" });
    const entry = path.join(dir, 'server.mjs');
    const cache = tmpRoot('bundle-cache');
    mkdirSync(path.join(cache, 'isolate'));
    const esbuild = (
      JSON.parse(readFileSync('node_modules/esbuild/package.json', 'utf8')) as { version: string }
    ).version;
    // The key and manifest of the recipe before issue 20 (entry, Node and esbuild versions only).
    const oldKey = createHash('sha256')
      .update(`isolate-bundle-2\0${entry}\0${process.version}\0${esbuild}`)
      .digest('hex')
      .slice(0, 32);
    const newKey = bundleKey(codeScope(entry, [dir]), esbuild);
    for (const [key, manifest] of [
      [oldKey, { recipe: 'isolate-bundle-2', inputs: {} }],
      [newKey, { recipe: 'isolate-bundle-3', inputs: {} }], // no import rules recorded
    ] as const) {
      writeFileSync(path.join(cache, 'isolate', `${key}.mjs`), "console.log('STALE');\n");
      writeFileSync(path.join(cache, 'isolate', `${key}.json`), JSON.stringify(manifest));
    }
    const bundle = await loadBundle(entry, cache, [dir]);
    expect(bundle.cached).toBe(false);
    expect(bundle.code).toContain('fresh');
    expect(bundle.code).not.toContain('STALE');
  });

  it('keys the cache by the code paths too', () => {
    const a = bundleKey({ entry: '/p/s.js', code: ['/p'] }, '1');
    expect(bundleKey({ entry: '/p/s.js', code: ['/p', '/etc'] }, '1')).not.toBe(a);
  });
});
