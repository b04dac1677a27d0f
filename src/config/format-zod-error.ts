import type { z } from 'zod';

/**
 * Render a zod error as lines naming the exact location, e.g. `policy.tools.allow[1]: expected string`.
 * `prefix` is the root name of the document (e.g. the file name).
 */
export function formatZodError(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      let where = prefix;
      for (const key of issue.path) {
        where += typeof key === 'number' ? `[${key}]` : where === '' ? String(key) : `.${String(key)}`;
      }
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${where || '(root)'}: ${issue.message}${keys}`;
    })
    .join('\n');
}
