// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Import cycles are checked by scripts/check-cycles.ts (part of npm run lint).
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // stdout of `mcp-warden run` is the MCP channel; commands that print use src/cli/output.ts.
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Use explicit named exports, not export *.' },
      ],
    },
  },
  {
    // Only the registry may import concrete backends (and launch-host-plan.ts, which starts a cached
    // bwrap or none plan without loading the backend: src/cli/fast-start).
    files: ['src/**/*.ts'],
    ignores: ['src/sandboxes/registry.ts', 'src/sandboxes/launch-host-plan.ts', 'src/sandboxes/*/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/sandboxes/none/**', '**/sandboxes/bwrap/**', '**/sandboxes/docker/**'],
              message: 'Import backends through src/sandboxes/registry.ts only.',
            },
          ],
        },
      ],
    },
  },
  {
    // policy/ is pure: no I/O.
    files: ['src/policy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'node:fs',
            'node:fs/promises',
            'node:child_process',
            'node:net',
            'fs',
            'child_process',
            'execa',
          ],
        },
      ],
    },
  },
);
