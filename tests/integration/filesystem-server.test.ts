// The real @modelcontextprotocol/server-filesystem behind the warden, driven by the real SDK client.
// Inside the roots every tool works with real effects; outside, the policy answers -32001 first.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  ISOLATE_PROFILE,
  NONE_PROFILE,
  shareWithSandbox,
} from '../helpers/containers.ts';
import { expectNoProcesses } from '../helpers/processes.ts';
import { type OutsideSecret, outsideSecret, tmpRoot, trackForCleanup } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, type StartedWarden, startWarden } from '../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);

// A 1×1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

// Source code whose *contents* look path-like: must not trip the path rules.
const SOURCE = [
  '/**',
  ' * Loads ../config and ../../etc/passwd-looking strings are just text here.',
  ' */',
  "import { helper } from '../lib/helper.ts';",
  "const p = '/etc/shadow';",
  'export const up = `../${p}`;',
  '',
].join('\n');

type CallResult = { content?: Array<Record<string, unknown>>; isError?: boolean };

async function call(warden: StartedWarden, name: string, args: Record<string, unknown>): Promise<CallResult> {
  return (await warden.client.callTool({ name, arguments: args })) as CallResult;
}

/** Call a tool that must succeed; returns the text of its first content block. */
async function text(warden: StartedWarden, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(warden, name, args);
  const first = result.content?.[0];
  expect(result.isError ?? false, `${name} failed: ${JSON.stringify(result).slice(0, 500)}`).toBe(false);
  return typeof first?.text === 'string' ? first.text : '';
}

/** The call must be rejected by the warden's policy with -32001 and `rule`. */
async function expectDenied(
  promise: Promise<unknown>,
  rule: string,
  mustNotContain?: string,
): Promise<McpError> {
  let caught: unknown;
  try {
    const value = await promise;
    caught = new Error(
      `expected a -32001 denial (${rule}), got a result: ${JSON.stringify(value).slice(0, 500)}`,
    );
  } catch (error) {
    caught = error;
  }
  expect(caught, String(caught)).toBeInstanceOf(McpError);
  const error = caught as McpError;
  expect({ code: error.code, rule: (error.data as { rule?: string } | undefined)?.rule }).toEqual({
    code: -32001,
    rule,
  });
  if (mustNotContain) expect(error.message).not.toContain(mustNotContain);
  return error;
}

describe.each([NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE, ISOLATE_PROFILE])(
  'server-filesystem through the warden, profile $profile',
  ({ profile, enabled, status }) => {
    describe.runIf(enabled)(`(${status})`, () => {
      let ROOT: string;
      let RO: string;
      let SIBLING: string;
      let secret: OutsideSecret;
      let warden: StartedWarden;

      beforeAll(async () => {
        ROOT = tmpRoot(`fs-${profile}`);
        RO = tmpRoot(`fs-ro-${profile}`);
        SIBLING = trackForCleanup(`${ROOT}-evil`);
        secret = outsideSecret();
        mkdirSync(SIBLING);
        writeFileSync(path.join(SIBLING, 'loot.txt'), 'sibling loot\n');
        writeFileSync(path.join(ROOT, 'hello.txt'), 'line1\nline2\nline3\nline4\nline5\n');
        writeFileSync(path.join(ROOT, 'other.txt'), 'other content\n');
        writeFileSync(path.join(ROOT, 'pixel.png'), PNG);
        mkdirSync(path.join(ROOT, 'sub'));
        writeFileSync(path.join(ROOT, 'sub', 'deep.txt'), 'deep\n');
        symlinkSync(secret.file, path.join(ROOT, 'link-out'));
        writeFileSync(path.join(RO, 'ro.txt'), 'read only\n');
        shareWithSandbox(ROOT, profile);
        shareWithSandbox(RO, profile);
        warden = await startWarden({
          profile,
          roots: [ROOT, `${RO}:ro`],
          command: [process.execPath, FS_SERVER, ROOT, RO],
        });
      });

      afterAll(async () => {
        await warden?.close();
        if (ROOT) await expectNoProcesses(ROOT);
      });

      describe('inside the roots every tool works', () => {
        it('lists the tools and the allowed directories', async () => {
          const { tools } = await warden.client.listTools();
          const names = tools.map((t) => t.name);
          for (const name of [
            'read_file',
            'read_text_file',
            'read_media_file',
            'read_multiple_files',
            'write_file',
            'edit_file',
            'create_directory',
            'list_directory',
            'list_directory_with_sizes',
            'directory_tree',
            'move_file',
            'search_files',
            'get_file_info',
            'list_allowed_directories',
          ]) {
            expect(names).toContain(name);
          }
          const dirs = await text(warden, 'list_allowed_directories', {});
          expect(dirs).toContain(ROOT);
          expect(dirs).toContain(RO);
        });

        it('write_file writes source code containing "/**" and "../" (no false positive on contents)', async () => {
          const target = path.join(ROOT, 'code.ts');
          await text(warden, 'write_file', { path: target, content: SOURCE });
          expect(readFileSync(target, 'utf8')).toBe(SOURCE);
        });

        it('read_text_file reads whole files, head and tail', async () => {
          const file = path.join(ROOT, 'hello.txt');
          expect(await text(warden, 'read_text_file', { path: file })).toBe(
            'line1\nline2\nline3\nline4\nline5\n',
          );
          expect(await text(warden, 'read_text_file', { path: file, head: 2 })).toBe('line1\nline2');
          // The file ends in "\n", so its last "line" is empty: tail 3 is the last two lines of text.
          expect(await text(warden, 'read_text_file', { path: file, tail: 3 })).toBe('line4\nline5\n');
          expect(await text(warden, 'read_text_file', { path: path.join(ROOT, 'code.ts') })).toBe(SOURCE);
        });

        it('read_file (deprecated) reads a file', async () => {
          expect(await text(warden, 'read_file', { path: path.join(ROOT, 'other.txt') })).toBe(
            'other content\n',
          );
        });

        it('read_media_file returns the image as base64', async () => {
          const result = await call(warden, 'read_media_file', { path: path.join(ROOT, 'pixel.png') });
          expect(result.isError ?? false).toBe(false);
          expect(result.content?.[0]).toMatchObject({
            type: 'image',
            mimeType: 'image/png',
            data: PNG.toString('base64'),
          });
        });

        it('read_multiple_files reads several files', async () => {
          const out = await text(warden, 'read_multiple_files', {
            paths: [path.join(ROOT, 'hello.txt'), path.join(ROOT, 'sub', 'deep.txt')],
          });
          expect(out).toContain('line3');
          expect(out).toContain('deep');
          expect(out).not.toContain('Error -');
        });

        it('edit_file previews with dryRun, then edits', async () => {
          const file = path.join(ROOT, 'other.txt');
          const edits = [{ oldText: 'other content', newText: 'edited content' }];
          const diff = await text(warden, 'edit_file', { path: file, edits, dryRun: true });
          expect(diff).toContain('-other content');
          expect(diff).toContain('+edited content');
          expect(readFileSync(file, 'utf8')).toBe('other content\n');
          await text(warden, 'edit_file', { path: file, edits });
          expect(readFileSync(file, 'utf8')).toBe('edited content\n');
        });

        it('create_directory creates nested directories', async () => {
          const dir = path.join(ROOT, 'made', 'nested', 'deeper');
          await text(warden, 'create_directory', { path: dir });
          expect(existsSync(dir)).toBe(true);
        });

        it('list_directory and list_directory_with_sizes list entries', async () => {
          const listing = await text(warden, 'list_directory', { path: ROOT });
          expect(listing).toContain('[FILE] hello.txt');
          expect(listing).toContain('[DIR] sub');
          const sized = await text(warden, 'list_directory_with_sizes', { path: ROOT, sortBy: 'size' });
          expect(sized).toMatch(/\[FILE\] hello\.txt\s+30 B/);
          expect(sized).toContain('[DIR] sub');
          expect(sized).toMatch(/Total: \d+ files, \d+ directories/);
        });

        it('directory_tree returns the recursive structure', async () => {
          const tree = JSON.parse(
            await text(warden, 'directory_tree', { path: path.join(ROOT, 'sub') }),
          ) as unknown;
          expect(tree).toEqual([{ name: 'deep.txt', type: 'file' }]);
          const whole = await text(warden, 'directory_tree', { path: ROOT, excludePatterns: ['link-out'] });
          expect(whole).toContain('"deeper"');
        });

        it('move_file renames a file', async () => {
          const from = path.join(ROOT, 'to-move.txt');
          const to = path.join(ROOT, 'sub', 'moved.txt');
          writeFileSync(from, 'moving\n');
          await text(warden, 'move_file', { source: from, destination: to });
          expect(existsSync(from)).toBe(false);
          expect(readFileSync(to, 'utf8')).toBe('moving\n');
        });

        it('search_files finds files by glob', async () => {
          const found = await text(warden, 'search_files', { path: ROOT, pattern: '**/*.txt' });
          expect(found).toContain(path.join(ROOT, 'sub', 'deep.txt'));
          expect(found).toContain(path.join(ROOT, 'hello.txt'));
        });

        it('get_file_info reports metadata', async () => {
          const info = await text(warden, 'get_file_info', { path: path.join(ROOT, 'hello.txt') });
          expect(info).toMatch(/^size: 30$/m);
          expect(info).toMatch(/^isFile: true$/m);
        });

        it('reads from a :ro root work', async () => {
          expect(await text(warden, 'read_text_file', { path: path.join(RO, 'ro.txt') })).toBe('read only\n');
        });
      });

      describe('outside the roots the policy denies with -32001', () => {
        it('read_text_file of a secret outside', async () => {
          await expectDenied(
            warden.client.callTool({ name: 'read_text_file', arguments: { path: secret.file } }),
            'path.outside-root',
            secret.content,
          );
        });

        it('"../" traversal out of the root', async () => {
          const traversal = `${ROOT}/../${path.basename(secret.dir)}/id_rsa`;
          await expectDenied(
            warden.client.callTool({ name: 'read_text_file', arguments: { path: traversal } }),
            'path.outside-root',
            secret.content,
          );
          await expectDenied(
            warden.client.callTool({
              name: 'read_text_file',
              arguments: { path: `../${path.basename(secret.dir)}/id_rsa` },
            }),
            'path.outside-root',
            secret.content,
          );
        });

        it('a sibling directory sharing the root as a string prefix', async () => {
          await expectDenied(
            warden.client.callTool({
              name: 'read_text_file',
              arguments: { path: path.join(SIBLING, 'loot.txt') },
            }),
            'path.outside-root',
            'sibling loot',
          );
          await expectDenied(
            warden.client.callTool({ name: 'list_directory', arguments: { path: SIBLING } }),
            'path.outside-root',
          );
        });

        it('a symlink inside the root that points outside', async () => {
          await expectDenied(
            warden.client.callTool({
              name: 'read_text_file',
              arguments: { path: path.join(ROOT, 'link-out') },
            }),
            'path.outside-root',
            secret.content,
          );
        });

        it('read_multiple_files with one outside path', async () => {
          await expectDenied(
            warden.client.callTool({
              name: 'read_multiple_files',
              arguments: { paths: [path.join(ROOT, 'hello.txt'), secret.file] },
            }),
            'path.outside-root',
            secret.content,
          );
        });

        it('write_file outside is denied and the file is not created', async () => {
          const target = path.join(secret.dir, 'planted.txt');
          await expectDenied(
            warden.client.callTool({ name: 'write_file', arguments: { path: target, content: 'pwned' } }),
            'path.outside-root',
          );
          const viaDots = `${ROOT}/../${path.basename(secret.dir)}/planted-dots.txt`;
          await expectDenied(
            warden.client.callTool({ name: 'write_file', arguments: { path: viaDots, content: 'pwned' } }),
            'path.outside-root',
          );
          const viaLink = path.join(ROOT, 'link-out');
          await expectDenied(
            warden.client.callTool({ name: 'write_file', arguments: { path: viaLink, content: 'pwned' } }),
            'path.outside-root',
          );
          expect(existsSync(target)).toBe(false);
          expect(existsSync(path.join(secret.dir, 'planted-dots.txt'))).toBe(false);
          expect(readFileSync(secret.file, 'utf8')).toBe(`${secret.content}\n`);
        });

        it('move_file out of the root is denied and nothing moves', async () => {
          const source = path.join(ROOT, 'hello.txt');
          const destination = path.join(secret.dir, 'exfil.txt');
          await expectDenied(
            warden.client.callTool({ name: 'move_file', arguments: { source, destination } }),
            'path.outside-root',
          );
          expect(existsSync(source)).toBe(true);
          expect(existsSync(destination)).toBe(false);
        });

        it('write_file into a :ro root is denied with path.read-only and the file is unchanged', async () => {
          const file = path.join(RO, 'ro.txt');
          await expectDenied(
            warden.client.callTool({ name: 'write_file', arguments: { path: file, content: 'overwritten' } }),
            'path.read-only',
          );
          await expectDenied(
            warden.client.callTool({
              name: 'edit_file',
              arguments: { path: file, edits: [{ oldText: 'read only', newText: 'changed' }] },
            }),
            'path.read-only',
          );
          await expectDenied(
            warden.client.callTool({
              name: 'write_file',
              arguments: { path: path.join(RO, 'new.txt'), content: 'x' },
            }),
            'path.read-only',
          );
          expect(readFileSync(file, 'utf8')).toBe('read only\n');
          expect(existsSync(path.join(RO, 'new.txt'))).toBe(false);
        });

        it('the session is still usable after the denials', async () => {
          expect(await text(warden, 'read_text_file', { path: path.join(ROOT, 'hello.txt'), head: 1 })).toBe(
            'line1',
          );
        });
      });
    });
  },
);
