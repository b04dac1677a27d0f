import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Fails the run if any process the tests started is still alive at the end.
    globalSetup: ['tests/helpers/leak-check.ts'],
    // Integration tests spawn real sandboxes and servers; give them room on a shared 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
