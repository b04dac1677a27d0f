import { defineConfig } from 'vitest/config';

/**
 * Unit tests that replace modules or globals (vi.mock, stubs, fake timers, spies): they need a fresh module
 * graph of their own. tests/unit/vitest-projects.test.ts keeps this list complete.
 */
export const MOCKING_UNIT_TESTS = [
  'tests/unit/sandboxes/docker/docker-probe.test.ts',
  'tests/unit/sandboxes/docker/watchdog.test.ts',
  'tests/unit/gateway/session-clock.test.ts',
];

export default defineConfig({
  test: {
    // Fails the run at once if the host's device nodes are not as a host keeps them, or if the tests
    // would spawn a dist/ older than the sources; fails it if any process the tests started is still
    // alive at the end.
    globalSetup: [
      'tests/helpers/host-devices-start.ts',
      'tests/helpers/built-entry-start.ts',
      'tests/helpers/leak-check.ts',
    ],
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
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/pins/**/*.test.ts'],
          exclude: MOCKING_UNIT_TESTS,
          // Pure in-process tests: one worker runs file after file without a fresh process and module
          // graph for each (`/usr/bin/time npx vitest run tests/unit tests/pins`, 2026-12-04: 82 s wall and
          // 130 s CPU isolated, 52 s and 70 s shared). Each file restores what it changes (process.env, cwd).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/unit/**', 'tests/pins/**'],
        },
      },
      {
        extends: true,
        test: { name: 'unit-mocked', include: MOCKING_UNIT_TESTS },
      },
    ],
  },
});
