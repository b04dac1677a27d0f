import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { writeFileAtomic } from '../../../src/util/atomic-write.ts';

describe('writeFileAtomic', () => {
  const tempDir = (): string => tmpRoot('atomic-write');
  const mode = (file: string): number => statSync(file).mode & 0o777;

  it('writes a new file with the given mode, and keeps an existing file’s mode by default', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    writeFileAtomic(file, 'one', { mode: 0o640 });
    expect([readFileSync(file, 'utf8'), mode(file)]).toEqual(['one', 0o640]);
    chmodSync(file, 0o604);
    writeFileAtomic(file, Buffer.from('two'));
    expect([readFileSync(file, 'utf8'), mode(file)]).toEqual(['two', 0o604]);
    writeFileAtomic(file, 'three', { keepMode: false, durable: false });
    expect([readFileSync(file, 'utf8'), mode(file)]).toEqual(['three', 0o600]);
    expect(readdirSync(dir)).toEqual(['config.json']); // no temporary file left
  });

  it('never writes through a link planted where its temporary file goes', () => {
    const dir = tempDir();
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    // The temporary names of this process: .NAME.PID.SEQUENCE.tmp, for the next few sequence numbers.
    for (let n = 0; n < 64; n++) symlinkSync(victim, path.join(dir, `.entry.${process.pid}.${n}.tmp`));
    writeFileAtomic(path.join(dir, 'entry'), 'new', { keepMode: false, durable: false });
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(readFileSync(path.join(dir, 'entry'), 'utf8')).toBe('new');
  });

  it('throws when the rename fails, and leaves no temporary file', () => {
    const dir = tempDir();
    const target = path.join(dir, 'taken');
    mkdirSync(path.join(target, 'inside'), { recursive: true }); // a non-empty directory cannot be replaced
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
