// V8's code cache for the guest script (issue 19): bound to the exact source, isolated-vm and Node;
// a file that is not ours, corrupt, or for another source is a miss and is rebuilt; V8 rejecting one is
// a miss too; the script behaves the same with the cache and without it. Real isolated-vm throughout.
import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ivm from 'isolated-vm';
import { describe, expect, it } from 'vitest';
import { readOwnFile } from '../../../../src/sandboxes/isolate/cache-file.ts';
import {
  CodeCache,
  codeCacheBinding,
  decodeCodeCache,
  encodeCodeCache,
} from '../../../../src/sandboxes/isolate/code-cache.ts';
import { bundleScript, SCRIPT_LINE_OFFSET } from '../../../../src/sandboxes/isolate/guest-script.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';

/** A bundle-like module body: top-level await, lazily compiled functions, a stack trace. */
const BODY = [
  'const double = (n) => n * 2;',
  'function later() { return [1, 2, 3].map(double).join(","); }',
  'await null;',
  "globalThis.result = JSON.stringify({ later: later(), self: typeof this, strict: (function () { return this; })() === undefined, line: new Error('x').stack.split('\\n')[1].trim() });",
].join('\n');

const ORIGIN = { filename: 'file:///srv/server.mjs', lineOffset: SCRIPT_LINE_OFFSET };

/** Compile `source` in a fresh isolate with `cache`, run it, and report what V8 did and what the guest saw. */
async function runWith(
  source: string,
  cache: CodeCache,
): Promise<{ rejected: boolean | undefined; result: unknown; produced: () => Promise<void> }> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  const script = await isolate.compileScript(source, { ...ORIGIN, ...cache.options(ivm) });
  const rejected = (script as { cachedDataRejected?: boolean }).cachedDataRejected;
  cache.compiled(script);
  await script.run(context, { promise: true });
  const result = JSON.parse((await context.eval('globalThis.result')) as string) as unknown;
  return {
    rejected,
    result,
    produced: async () => {
      await cache.produce(() => isolate.compileScript(source, { ...ORIGIN, produceCachedData: true }));
      isolate.dispose();
    },
  };
}

/** The binding of a bundle `body` (the script compiled is bundleScript(body)). */
const binding = (body: string, isolatedVm = '6.2.0') => ({ bundle: Buffer.from(body), isolatedVm });

describe('the guest script', () => {
  it('keeps the module semantics the bundle relies on: top-level await, strict, this undefined, line numbers', async () => {
    const file = path.join(tmpRoot('code-cache'), 'x.v8cache');
    const { result, produced } = await runWith(bundleScript(BODY), new CodeCache(file, binding('')));
    await produced();
    expect(result).toEqual({
      later: '2,4,6',
      self: 'undefined',
      strict: true,
      // Line 4 of the body, as in the module: the wrapper's own first line does not count.
      line: expect.stringMatching(/^at file:\/\/\/srv\/server\.mjs:4:\d+$/),
    });
  });
});

describe('CodeCache', () => {
  it('is produced after a run, then used (V8 accepts it) with the same behaviour as without it', async () => {
    const file = path.join(tmpRoot('code-cache'), 'x.v8cache');
    const source = bundleScript(BODY);
    const first = new CodeCache(file, binding(BODY));
    expect([first.found, first.wanted]).toEqual([false, true]);
    const cold = await runWith(source, first);
    await cold.produced();
    expect(readFileSync(file).subarray(0, 24).toString()).toBe('mcp-warden v8 code cache');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = new CodeCache(file, binding(BODY));
    expect([second.found, second.wanted]).toEqual([true, false]);
    const warm = await runWith(source, second);
    expect(warm.rejected).toBe(false);
    expect(second.wanted).toBe(false);
    expect(warm.result).toEqual(cold.result);
    const before = readFileSync(file);
    await warm.produced(); // nothing wanted: the file stays as it was
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('is a miss for another source of the same length (V8 alone checks only the length)', async () => {
    const file = path.join(tmpRoot('code-cache'), 'x.v8cache');
    const source = bundleScript(BODY);
    const cold = await runWith(source, new CodeCache(file, binding(BODY)));
    await cold.produced();
    const otherBody = BODY.replace('n * 2', 'n * 3');
    const other = bundleScript(otherBody);
    expect(other.length).toBe(source.length);
    // Why the binding exists: fed straight to V8, the payload is accepted and the *old* code runs.
    const payload = decodeCodeCache(readFileSync(file), codeCacheBinding(binding(BODY))) as Buffer;
    const isolate = new ivm.Isolate({ memoryLimit: 32 });
    const context = await isolate.createContext();
    const raw = await isolate.compileScript(other, {
      ...ORIGIN,
      cachedData: new ivm.ExternalCopy(
        payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length) as ArrayBuffer,
      ),
    });
    await raw.run(context, { promise: true });
    expect((raw as { cachedDataRejected?: boolean }).cachedDataRejected).toBe(false);
    expect(JSON.parse((await context.eval('globalThis.result')) as string)).toMatchObject({ later: '2,4,6' });
    isolate.dispose();

    const cache = new CodeCache(file, binding(otherBody));
    expect([cache.found, cache.wanted]).toEqual([false, true]);
    const run = await runWith(other, cache);
    // Compiled from its own source: the other code's bytecode never ran.
    expect(run.result).toMatchObject({ later: '3,6,9' });
    await run.produced();
    expect(new CodeCache(file, binding(otherBody)).found).toBe(true);
    expect(new CodeCache(file, binding(BODY)).found).toBe(false);
  });

  it('is a miss when isolated-vm changes', async () => {
    const file = path.join(tmpRoot('code-cache'), 'x.v8cache');
    const source = bundleScript(BODY);
    await (await runWith(source, new CodeCache(file, binding(BODY, '6.2.0')))).produced();
    expect(new CodeCache(file, binding(BODY, '6.2.0')).found).toBe(true);
    expect(new CodeCache(file, binding(BODY, '6.3.0')).found).toBe(false);
  });

  it('rejects a corrupt file (one byte flipped, truncated, empty, foreign) and rebuilds it', async () => {
    const file = path.join(tmpRoot('code-cache'), 'x.v8cache');
    const source = bundleScript(BODY);
    await (await runWith(source, new CodeCache(file, binding(BODY)))).produced();
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    const at = flipped.length - 100;
    flipped[at] = (flipped[at] as number) ^ 0xff;
    for (const bad of [flipped, good.subarray(0, good.length - 1), Buffer.alloc(0), Buffer.from('{"x":1}')]) {
      writeFileSync(file, bad);
      const cache = new CodeCache(file, binding(BODY));
      expect(cache.found).toBe(false);
      const run = await runWith(source, cache);
      expect(run.result).toMatchObject({ later: '2,4,6' });
      await run.produced();
      expect(readFileSync(file).equals(good)).toBe(true);
    }
  });

  it('when V8 rejects a well-formed file (not its format), compiles from source and rewrites it', async () => {
    const file = path.join(tmpRoot('code-cache'), 'x.v8cache');
    const source = bundleScript(BODY);
    // Our header is valid (we hash whatever payload), V8's is not: the sanity check V8 does itself.
    writeFileSync(file, encodeCodeCache(codeCacheBinding(binding(BODY)), Buffer.alloc(4096, 7)), {
      mode: 0o600,
    });
    const cache = new CodeCache(file, binding(BODY));
    expect(cache.found).toBe(true);
    const run = await runWith(source, cache);
    expect(run.rejected).toBe(true);
    expect(cache.wanted).toBe(true);
    expect(run.result).toMatchObject({ later: '2,4,6' });
    await run.produced();
    const again = new CodeCache(file, binding(BODY));
    expect(again.found).toBe(true);
    expect((await runWith(source, again)).rejected).toBe(false);
  });

  it('without a file (no cache directory) compiles from source and writes nothing', async () => {
    const cache = new CodeCache(undefined, binding(''));
    expect([cache.found, cache.wanted]).toEqual([false, false]);
    expect(cache.options(ivm)).toEqual({});
  });
});

describe('decodeCodeCache', () => {
  const bind = codeCacheBinding(binding('source'));
  const payload = Buffer.from('payload bytes');
  it('returns the payload only for the binding it was made for', () => {
    const file = encodeCodeCache(bind, payload);
    expect(decodeCodeCache(file, bind)?.equals(payload)).toBe(true);
    expect(decodeCodeCache(file, codeCacheBinding(binding('sourcf')))).toBeUndefined();
    expect(decodeCodeCache(file.subarray(0, 40), bind)).toBeUndefined();
  });
});

describe('readOwnFile', () => {
  it('reads a private regular file of ours', () => {
    const file = path.join(tmpRoot('own-file'), 'f');
    writeFileSync(file, 'data', { mode: 0o600 });
    expect(readOwnFile(file)?.toString()).toBe('data');
  });
  it('refuses a symlink (even to a file of ours), a file others may write, and a missing file', () => {
    const dir = tmpRoot('own-file');
    const target = path.join(dir, 'target');
    writeFileSync(target, 'data', { mode: 0o600 });
    symlinkSync(target, path.join(dir, 'link'));
    expect(readOwnFile(path.join(dir, 'link'))).toBeUndefined();
    const shared = path.join(dir, 'shared');
    writeFileSync(shared, 'data');
    chmodSync(shared, 0o666);
    expect(readOwnFile(shared)).toBeUndefined();
    chmodSync(shared, 0o620);
    expect(readOwnFile(shared)).toBeUndefined();
    expect(readOwnFile(path.join(dir, 'missing'))).toBeUndefined();
    expect(readOwnFile(dir)).toBeUndefined(); // a directory
  });
  it.runIf(process.getuid?.() === 0)(
    'refuses a file owned by another user (run as root: chown)',
    async () => {
      const { chownSync } = await import('node:fs');
      const file = path.join(tmpRoot('own-file'), 'foreign');
      writeFileSync(file, 'data', { mode: 0o600 });
      chownSync(file, 12345, 12345);
      expect(readOwnFile(file)).toBeUndefined();
    },
  );
});
