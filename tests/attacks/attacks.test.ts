// The attack corpus itself: unique ids, each under its family. The cases run per backend, one test
// file each (attacks-BACKEND.test.ts, see attack-suite.ts), so that vitest runs the backends side by side.
import { expect, it } from 'vitest';
import { CASES } from './corpus.ts';

it('the corpus has unique ids and at least 150 cases', () => {
  const ids = CASES.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(CASES.length).toBeGreaterThanOrEqual(150);
  for (const c of CASES) expect(c.id.startsWith(`${c.family}.`), c.id).toBe(true);
});
