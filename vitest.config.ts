import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Fails the run if any process the tests started is still alive at the end.
    globalSetup: ['tests/helpers/leak-check.ts'],
    // Fails a file during which the host's device nodes changed owner or mode.
    setupFiles: ['tests/helpers/host-devices-guard.ts'],
    // Integration tests spawn real sandboxes and servers; give them room on a shared 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most of the suite waits on sandboxes, engines and servers rather than computing: two files side by
    // side (vitest's default here would be one, CPUs - 1) roughly halve the run on the 2-CPU CI machine.
    // The attack corpus is one file per backend (tests/attacks/attacks-*.test.ts) so it spreads too.
    // VITEST_MAX_WORKERS overrides.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
