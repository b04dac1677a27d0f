// The isolate host's V8 code cache end to end (issue 19): the real host process runs a small server
// twice from the same cache directory; the first start writes the cache, the second uses it without
// rewriting it; a corrupt or foreign (symlinked) cache file and a changed server are misses that are
// rebuilt; the answers are the same with the cache, without it, and under plain Node.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheBinding, encodeCodeCache } from '../../../../src/sandboxes/isolate/code-cache.ts';
import { HOST_CONFIG_ENV, type HostConfig } from '../../../../src/sandboxes/isolate/host-config.ts';
import { isolatedVmVersion } from '../../../../src/sandboxes/isolate/isolated-vm-version.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../../helpers/warden.ts';

const HOST_MAIN = path.join(PROJECT_ROOT, 'src/sandboxes/isolate/host-main.ts');
const MAGIC = 'mcp-warden v8 code cache\n';

/** A server that answers each stdin line with facts computed by lazily compiled functions; ends on EOF. */
const server = (factor: number): string => `
const scale = (n) => n * ${factor};
function answer(line) {
  return JSON.stringify({ line, scaled: [1, 2, 3].map(scale), at: new Error('x').stack.split('\\n')[1].trim().replace(/^at (\\S+ )?\\(?/, '').replace(/\\)$/, '') });
}
await Promise.resolve();
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  for (const line of chunk.split('\\n').filter(Boolean)) process.stdout.write(answer(line) + '\\n');
});
`;

function setup(): { dir: string; entry: string; cache: string; config: HostConfig } {
  const dir = tmpRoot('host-code-cache');
  const entry = path.join(dir, 'server.mjs');
  writeFileSync(entry, server(2));
  const cache = tmpRoot('host-code-cache-dir');
  const config: HostConfig = {
    entry,
    argv: [process.execPath, entry],
    env: {},
    cwd: dir,
    roots: [{ path: dir, realPath: dir, readOnly: false }],
    readOnlyPaths: [dir],
    memoryMb: 64,
    cpuMs: 5000,
    cacheDir: cache,
  };
  return { dir, entry, cache, config };
}

/** The code cache file in `cache` (there is one server, so one). */
function cacheFile(cache: string): string {
  const name = readdirSync(path.join(cache, 'isolate')).find((f) => f.endsWith('.v8cache'));
  if (name === undefined) throw new Error('no code cache file');
  return path.join(cache, 'isolate', name);
}

const valid = (file: string): boolean =>
  readFileSync(file).subarray(0, MAGIC.length).toString() === MAGIC && statSync(file).size > 1000;

/** Wait until `check()` holds (polling), or fail after 10 s. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Start the host, send one line, return its answer; then, when `until` is given, wait for it before
 * closing stdin (the cache is written after the first answer), and wait for the exit.
 */
async function session(config: HostConfig, until?: () => boolean): Promise<unknown> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [HOST_MAIN], {
    env: { [HOST_CONFIG_ENV]: JSON.stringify(config) },
    cwd: config.cwd,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdin.write('hello\n');
  await eventually(() => out.includes('\n'), `an answer (stderr: ${err})`);
  if (until) await eventually(until, 'the code cache');
  child.stdin.end();
  expect(await exited).toBe(0);
  return JSON.parse(out.split('\n')[0] as string);
}

describe('the isolate host code cache', () => {
  it('is written after the first answer, then used unchanged; answers match plain Node', async () => {
    const { entry, cache, config } = setup();
    const first = await session(config, () => {
      try {
        return valid(cacheFile(cache));
      } catch {
        return false;
      }
    });
    const file = cacheFile(cache);
    const { ino } = statSync(file);
    const second = await session(config);
    expect(second).toEqual(first);
    // Used, not rewritten: a rejected or invalid cache would have been replaced (a new inode).
    expect(statSync(file).ino).toBe(ino);
    // Plain Node: the same answer, bar the stack position (the guest's is in the bundle, not the file).
    const direct = spawnSync(process.execPath, [entry], { input: 'hello\n', encoding: 'utf8' });
    const { at, ...rest } = first as { at: string };
    expect(JSON.parse(direct.stdout.split('\n')[0] as string)).toMatchObject(rest);
    expect(rest).toEqual({ line: 'hello', scaled: [2, 4, 6] });
    expect(at).toMatch(new RegExp(`^file://${entry}:\\d+:\\d+$`));
  });

  it('hands the cache to V8, rebuilds a corrupt or rejected file, and replaces a symlink with a file of its own', async () => {
    const { cache, config } = setup();
    const expected = await session(config, () => {
      try {
        return valid(cacheFile(cache));
      } catch {
        return false;
      }
    });
    const file = cacheFile(cache);
    const bytes = readFileSync(file);
    bytes[bytes.length - 50] = (bytes[bytes.length - 50] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const { ino } = statSync(file);
    expect(await session(config, () => statSync(file).ino !== ino && valid(file))).toEqual(expected);

    // Well-formed for us but not for V8: proves the host hands the cache to V8 (a module compile
    // ignores cached data, and nothing would be rejected or rewritten), which rejects it; rewritten.
    const bundle = readFileSync(file.replace(/\.v8cache$/, '.mjs'));
    const binding = codeCacheBinding({ bundle, isolatedVm: isolatedVmVersion() });
    writeFileSync(file, encodeCodeCache(binding, Buffer.alloc(4096, 7)), { mode: 0o600 });
    const planted = statSync(file).ino;
    expect(await session(config, () => statSync(file).ino !== planted && valid(file))).toEqual(expected);

    // A symlink to a valid cache is not ours to trust: a miss, replaced by a regular file.
    const elsewhere = path.join(tmpRoot('host-code-cache-link'), 'planted.v8cache');
    renameSync(file, elsewhere);
    symlinkSync(elsewhere, file);
    expect(
      await session(
        config,
        () => !statSync(file, { throwIfNoEntry: false })?.isSymbolicLink() && valid(file),
      ),
    ).toEqual(expected);
    expect(statSync(file).isFile()).toBe(true);
  });

  it('is rebuilt when the server changes (the bundle is rebuilt and its cache emptied)', async () => {
    const { entry, cache, config } = setup();
    await session(config, () => {
      try {
        return valid(cacheFile(cache));
      } catch {
        return false;
      }
    });
    const file = cacheFile(cache);
    const { ino } = statSync(file);
    writeFileSync(entry, server(3));
    const changed = await session(config, () => statSync(file).ino !== ino && valid(file));
    expect(changed).toMatchObject({ scaled: [3, 6, 9] });
    expect(await session(config)).toEqual(changed);
  });
});
