import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordLookup } from '../../../../src/cli/fast-start/record-lookup.ts';
import { recordedParent } from '../../../../src/config/root-links.ts';
import { RECORD_FILE, readRwRoots } from '../../../../src/config/rw-root-record.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';

const DIRS = [
  '/',
  '/data',
  '/data/x',
  '/data-evil/y',
  '/srv/a b/c',
  '/srv/a',
  '/home/u/.cache',
  '/quote"d/in',
];

/** The lookup agrees with recordedParent over readRwRoots on whether each directory is covered. */
function expectSameAnswers(text: string): void {
  const state = tmpRoot('record-lookup');
  writeFileSync(path.join(state, RECORD_FILE), text);
  const lookup = recordLookup(state);
  const recorded = readRwRoots(state);
  for (const dir of DIRS) {
    const expected = recordedParent(dir, recorded);
    expect(lookup(dir) === undefined, `${dir} in ${JSON.stringify(text)}`).toBe(expected === undefined);
    if (expected !== undefined) expect(recordedParent(dir, [lookup(dir) as string])).toBeDefined();
  }
}

describe('the fast start’s lookup in the record of read-write roots', () => {
  it('answers as recordedParent over the parsed record', () => {
    expectSameAnswers('\n"/data"\n');
    expectSameAnswers('"/data/x"\n"/srv/a b"\n');
    expectSameAnswers('\n"/data"\n\n"/data"\n"/torn');
    expectSameAnswers('"/"\n');
    expectSameAnswers('"/datax"\n"/dat"\n"data"\n');
  });

  it('parses a record with escapes or space around a line', () => {
    expectSameAnswers('\n"\\/data"\n');
    expectSameAnswers(' "/data"\n');
    expectSameAnswers('"/data" \n');
    expectSameAnswers('"/quote\\"d"\n');
  });

  it('holds nothing when there is no record', () => {
    expect(recordLookup(tmpRoot('record-lookup'))('/data')).toBeUndefined();
  });
});
