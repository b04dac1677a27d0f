import { renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { pathFacts } from '../../../../src/cli/fast-start/path-facts.ts';

const temp = (): string => tmpRoot('fast-start-unit');
const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('the facts of a host path', () => {
  it('are the same until something about it changes', () => {
    const dir = temp();
    const file = path.join(dir, 'lib.so');
    writeFileSync(file, 'one');
    expect(pathFacts(file, true)).toBe(pathFacts(file, true));
    expect(pathFacts(file, true)).toContain(`real=${file}`);
    expect(pathFacts(path.join(dir, 'nothing'), true)).toBe('missing');
  });

  it('see a file rewritten in place only with content; a replaced file always', async () => {
    const dir = temp();
    const file = path.join(dir, 'lib.so');
    writeFileSync(file, 'one');
    const [identity, content] = [pathFacts(file, false), pathFacts(file, true)];
    await later();
    writeFileSync(file, 'two');
    expect(pathFacts(file, false)).toBe(identity);
    expect(pathFacts(file, true)).not.toBe(content);
    const other = path.join(dir, 'other');
    writeFileSync(other, 'two');
    renameSync(other, file);
    expect(pathFacts(file, false)).not.toBe(identity);
  });

  it('see a directory whose entries changed (content) and a symlink that points elsewhere', async () => {
    const dir = temp();
    const content = pathFacts(dir, true);
    await later();
    writeFileSync(path.join(dir, '.env'), 'x');
    expect(pathFacts(dir, true)).not.toBe(content);
    const [a, b] = [temp(), temp()];
    const link = path.join(dir, 'link');
    symlinkSync(a, link);
    const before = pathFacts(link, false);
    unlinkSync(link);
    symlinkSync(b, link);
    expect(pathFacts(link, false)).not.toBe(before);
  });

  it('see a directory replaced by a symlink to it', () => {
    const parent = temp();
    const dir = path.join(parent, 'root');
    const elsewhere = temp();
    renameSync(elsewhere, dir);
    const before = pathFacts(dir, false);
    renameSync(dir, elsewhere);
    symlinkSync(elsewhere, dir);
    expect(pathFacts(dir, false)).not.toBe(before);
  });
});
