import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_FILE, readRwRoots, recordRwRoots } from '../../../src/config/rw-root-record.ts';

const temp = (): string => realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-record-')));

describe('the record of read-write roots', () => {
  it('starts empty, appends new roots once, and keeps them private', () => {
    const state = path.join(temp(), 'state');
    expect(readRwRoots(state)).toEqual([]);
    recordRwRoots(state, ['/a', '/b', '/a'], []);
    recordRwRoots(state, ['/b', '/c'], readRwRoots(state));
    expect(readRwRoots(state)).toEqual(['/a', '/b', '/c']);
    const file = path.join(state, RECORD_FILE);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(state).mode & 0o777).toBe(0o700);
  });

  it('keeps paths with newlines intact and skips torn or foreign lines', () => {
    const state = temp();
    writeFileSync(path.join(state, RECORD_FILE), `"/ok"\n{"x":1}\n"relative"\n"/torn`);
    recordRwRoots(state, ['/with\nnewline'], readRwRoots(state));
    expect(readRwRoots(state)).toEqual(['/ok', '/with\nnewline']);
  });

  it('reads every kind of line as JSON.parse does (plain lines take a fast path)', () => {
    const state = temp();
    const lines = [
      '',
      '"/plain"',
      '"/tab\\there"',
      '"/quote\\"d"',
      '"/raw\ttab"',
      '"/\\u0041"',
      '"/é"',
      ' "/space"',
      '"/unterminated',
      '"rel"',
      '""',
      '"/dup"',
      '"/dup"',
    ];
    writeFileSync(path.join(state, RECORD_FILE), lines.join('\n'));
    const parsed = lines.flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'string' && value.startsWith('/') ? [value] : [];
      } catch {
        return [];
      }
    });
    expect(readRwRoots(state)).toEqual([...new Set(parsed)]);
    expect(readRwRoots(state)).toEqual(['/plain', '/tab\there', '/quote"d', '/A', '/é', '/space', '/dup']);
    rmSync(state, { recursive: true });
  });

  it('compacts a large record, dropping directories that no longer exist', () => {
    const state = temp();
    const alive = temp();
    const gone = Array.from({ length: 5000 }, (_, i) => `/nonexistent/${'x'.repeat(40)}/${i}`);
    writeFileSync(path.join(state, RECORD_FILE), gone.map((p) => `${JSON.stringify(p)}\n`).join(''));
    recordRwRoots(state, [alive], readRwRoots(state));
    expect(readRwRoots(state)).toEqual([alive]);
  });

  it('reports a record it cannot write as a warning, never an error', () => {
    const file = path.join(temp(), 'a-file');
    writeFileSync(file, '');
    const warnings: string[] = [];
    recordRwRoots(path.join(file, 'state'), ['/a'], [], (w) => warnings.push(w));
    expect(warnings[0]).toMatch(/cannot record the read-write roots/);
  });
});
