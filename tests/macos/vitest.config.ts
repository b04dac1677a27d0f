// `npm run test:macos`: the real Seatbelt containment tests. A separate config because the main one's
// leak check reads /proc, which macOS does not have; these tests check their own leftovers with ps.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/macos/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
