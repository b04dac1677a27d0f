import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import {
  fastStartDir,
  privateDirProblem,
  pruneEntries,
  readPrivateFile,
  writePrivateFile,
} from '../../../../src/cli/fast-start/cache-file.ts';

const temp = (): string => tmpRoot('fast-start-unit');

describe('the fast start cache files', () => {
  it('are written private (0600 in a 0700 directory) and read back', () => {
    const dir = fastStartDir(temp());
    expect(writePrivateFile(dir, 'a.json', 'text')).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'a.json')).mode & 0o777).toBe(0o600);
    expect(readPrivateFile(path.join(dir, 'a.json'))).toEqual({ text: 'text' });
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(readPrivateFile(path.join(dir, 'b.json'))).toEqual({ problem: 'no cached launch' });
  });

  it('are not read when open to others, through a symlink, or from a directory open to others', () => {
    const dir = fastStartDir(temp());
    writePrivateFile(dir, 'a.json', 'text');
    const file = path.join(dir, 'a.json');
    chmodSync(file, 0o604);
    expect(readPrivateFile(file)).toEqual({ problem: `${file} has mode 604, not 600` });
    const link = path.join(dir, 'link.json');
    symlinkSync(file, link);
    expect('problem' in readPrivateFile(link)).toBe(true);
    expect(privateDirProblem(dir)).toBeUndefined();
    chmodSync(dir, 0o750);
    expect(privateDirProblem(dir)).toBe(`${dir} has mode 750, not 700`);
    expect(writePrivateFile(dir, 'b.json', 'text')).toBe(`${dir} has mode 750, not 700`);
  });

  it('replace whatever was at the name, and never write through a symlinked directory', () => {
    const base = temp();
    const dir = fastStartDir(base);
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(path.join(dir, 'a.json'), 'old', { mode: 0o666 });
    chmodSync(path.join(dir, 'a.json'), 0o666);
    expect(writePrivateFile(dir, 'a.json', 'new')).toBeUndefined();
    expect(readPrivateFile(path.join(dir, 'a.json'))).toEqual({ text: 'new' });
    const other = temp();
    const linked = path.join(temp(), 'fast-start');
    symlinkSync(other, linked);
    expect(writePrivateFile(linked, 'a.json', 'x')).toBe(`${linked} is not a directory`);
    expect(readdirSync(other)).toEqual([]);
    expect(lstatSync(linked).isSymbolicLink()).toBe(true);
  });

  it('keep only the most recently used entries', () => {
    const dir = fastStartDir(temp());
    for (let i = 0; i < 5; i++) {
      writePrivateFile(dir, `${i}.json`, String(i));
      utimesSync(path.join(dir, `${i}.json`), 1000 + i, 1000 + i);
    }
    pruneEntries(dir, 3);
    expect(readdirSync(dir).sort()).toEqual(['2.json', '3.json', '4.json']);
  });
});
