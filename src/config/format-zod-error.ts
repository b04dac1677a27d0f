import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/**
 * Render a zod error as lines naming the exact location, e.g. `policy.tools.allow[1]: expected string`.
 * `prefix` is the root name of the document (e.g. the file name).
 */
export function formatZodError(error: z.ZodError, prefix: string): string {
  return error.issues
    .flatMap((issue) => expandUnion(issue, []))
    .map(({ path, issue }) => {
      let where = prefix;
      for (const key of path) {
        where += typeof key === 'number' ? `[${key}]` : where === '' ? String(key) : `.${String(key)}`;
      }
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${where || '(root)'}: ${issue.message}${keys}`;
    })
    .join('\n');
}

/**
 * A union's bare "Invalid input" says nothing: when exactly one branch took the value's type (e.g. the
 * object form of `network: boolean | {...}`), its own issues are what is wrong; when none did, the
 * types the value could have had.
 */
function expandUnion(issue: Issue, base: readonly PathKey[]): Array<{ path: PathKey[]; issue: Issue }> {
  const path = [...base, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ path, issue }];
  const typeMismatch = (branch: Issue[]): boolean =>
    branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0);
  const matched = issue.errors.filter((branch) => !typeMismatch(branch));
  if (matched.length === 1) return matched[0]!.flatMap((inner) => expandUnion(inner, path));
  if (matched.length > 0) return [{ path, issue }];
  const expected = issue.errors.flatMap((branch) =>
    branch.flatMap((inner) => (inner.code === 'invalid_type' ? [inner.expected] : [])),
  );
  return [
    { path, issue: { ...issue, message: `Invalid input: expected ${[...new Set(expected)].join(' or ')}` } },
  ];
}
