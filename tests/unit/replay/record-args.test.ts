import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../../src/cli/args.ts';

describe('run --record / --record-contents arguments', () => {
  it('takes the record file and the contents switch', () => {
    expect(parseRunArgs(['--record', 's.jsonl', '--', 'node', 'x.js'])).toMatchObject({
      record: 's.jsonl',
      recordContents: false,
      command: ['node', 'x.js'],
    });
    expect(parseRunArgs(['--record', 's.jsonl', '--record-contents', '--', 'node'])).toMatchObject({
      record: 's.jsonl',
      recordContents: true,
    });
    expect(parseRunArgs(['--', 'node'])?.record).toBeUndefined();
  });

  it('refuses --record-contents alone and a record path that names no file', () => {
    expect(() => parseRunArgs(['--record-contents', '--', 'node'])).toThrow(
      /--record-contents only applies with --record FILE/,
    );
    expect(() => parseRunArgs(['--record', '', '--', 'node'])).toThrow(/--record "": must name the file/);
    expect(() => parseRunArgs(['--record', 'dir/', '--', 'node'])).toThrow(/must name the file/);
  });
});
