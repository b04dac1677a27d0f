// The unit project shares its workers between files (vitest.config.ts, `isolate: false`): a module mock,
// a stubbed global or env variable, fake timers or a spy left by one file would reach the files after it
// in the same worker. Such files run in their own project, and this keeps its list complete.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MOCKING_UNIT_TESTS } from '../../vitest.config.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** vitest APIs whose effect outlives the file unless it undoes them. */
const SHARED_STATE_APIS = /\bvi\.(mock|doMock|hoisted|stubGlobal|stubEnv|useFakeTimers|spyOn)\s*\(/;

function testFiles(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => path.posix.join(dir, name.split(path.sep).join('/')));
}

describe('vitest projects', () => {
  const shared = [...testFiles('tests/unit'), ...testFiles('tests/pins')];

  it('runs every unit test that mocks or stubs in its own module graph', () => {
    const users = shared.filter((file) =>
      SHARED_STATE_APIS.test(readFileSync(path.join(REPO, file), 'utf8')),
    );
    expect(users.sort()).toEqual([...MOCKING_UNIT_TESTS].sort());
  });

  it('lists only files that exist', () => {
    for (const file of MOCKING_UNIT_TESTS) expect(shared).toContain(file);
  });
});
