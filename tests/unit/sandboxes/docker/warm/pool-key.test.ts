import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OWNER_LABEL } from '../../../../../src/sandboxes/docker/owner.ts';
import { canonicalJson, hostStat, poolKey } from '../../../../../src/sandboxes/docker/warm/pool-key.ts';
import { planBody, planFiles } from './plan-body.ts';

const files = planFiles();
afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

const key = (body = planBody(files)): string => poolKey(body, '', hostStat);

describe('poolKey: only an identical plan shares a key', () => {
  it('is stable, and ignores the owner label (the one per-warden field) and key order', () => {
    const body = planBody(files);
    const other = { ...body, Labels: { ...body.Labels, [OWNER_LABEL]: 'host/boot/999/12345' } };
    expect(key(other)).toBe(key(body));
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it('changes with every other field: env value, argument, root, limits, image, runtime, engine', () => {
    const base = key();
    const variants = [
      planBody(files, { env: { PATH: '/usr/bin', TOKEN: 'a' } }),
      planBody(files, { env: { PATH: '/usr/bin', TOKEN: 'b' } }),
      planBody(files, { args: [files.script, '--flag'] }),
      planBody(files, { roots: [{ path: files.root, realPath: files.root, readOnly: true }] }),
      planBody(files, { limits: { memoryMb: 300 } }),
      { ...planBody(files), Image: 'mcp-warden/node:def-1' },
      { ...planBody(files), HostConfig: { ...planBody(files).HostConfig, Runtime: 'runsc' as const } },
      { ...planBody(files), Labels: { ...planBody(files).Labels, 'dev.mcp-warden.backend': 'gvisor' } },
    ].map((body) => key(body));
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(poolKey(planBody(files), 'tcp://other:2375', hostStat)).not.toBe(base);
  });

  it('changes when a mounted directory is replaced (deleted and made again, or moved away)', () => {
    const before = key();
    renameSync(files.root, `${files.root}-old`);
    mkdirSync(files.root);
    expect(key()).not.toBe(before);
    rmSync(files.root, { recursive: true });
    renameSync(`${files.root}-old`, files.root);
    expect(key()).toBe(before);
  });

  it("changes when the server's code changes (the script, or a read-only mount), not with writes to a rw root", () => {
    const before = key();
    writeFileSync(path.join(files.root, 'written-by-the-server.txt'), 'x');
    expect(key()).toBe(before);
    writeFileSync(files.script, 'console.error("booted, version 2")\n');
    const edited = key();
    expect(edited).not.toBe(before);
    writeFileSync(path.join(files.pkg, 'new-module.js'), '');
    expect(key()).not.toBe(edited);
    const touched = key();
    const later = new Date(Date.now() + 60_000);
    utimesSync(files.docs, later, later);
    expect(key()).not.toBe(touched);
  });
});
