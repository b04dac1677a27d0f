import { z } from 'zod';

/**
 * policy.approve and its two settings (docs/least-privilege.md, "approvals"): tool calls the user
 * approves in their own client (MCP elicitation) before the warden forwards them.
 */

const toolGlob = z
  .string()
  .min(1)
  .max(256)
  .describe('A tool-name glob: * matches any run of characters, ? one character');

/**
 * A path glob: absolute (`/srv/data/**`) or in the user's home (`~/Documents/**`). `**` matches any
 * number of path components (none too), `*` and `?` match within one component.
 */
export const ApprovePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((value) => value.startsWith('/') || value === '~' || value.startsWith('~/'), {
    message: 'must be an absolute path glob ("/srv/data/**") or start with "~/" ("~/Documents/**")',
  })
  .refine((value) => !value.includes('\0'), { message: 'must not contain a NUL character' })
  .refine((value) => !value.split('/').some((part) => part === '..' || part === '.'), {
    message: 'must not contain "." or ".." components (write the normalised path)',
  })
  .describe(
    'A path glob, absolute or starting with "~/": ** matches any number of path components, * and ? match within one',
  );

export const ApproveEntrySchema = z
  .union([
    toolGlob,
    z
      .object({
        tool: toolGlob,
        paths: z
          .array(ApprovePathSchema)
          .min(1, 'must name at least one path glob (leave "paths" out to approve every call of the tool)')
          .optional()
          .describe(
            'Ask only when some path argument lies under one of these globs (symlinks followed); unset: every call of the tool',
          ),
      })
      .strict(),
  ])
  .describe(
    'A tool-name glob ("delete_*"), or {"tool": GLOB, "paths": [PATH_GLOB...]} to ask only for calls touching those paths',
  );

export type ApproveEntry = z.infer<typeof ApproveEntrySchema>;

export const ApproveListSchema = z
  .array(ApproveEntrySchema)
  .max(256)
  .default([])
  .describe(
    'Tool calls the user must approve in their client (MCP elicitation) before they are forwarded; decline, cancel or timeout answers -32001 approval.declined',
  );

export const ApproveFallbackSchema = z
  .enum(['deny', 'allow'])
  .default('deny')
  .describe(
    'A call that needs approval when the client cannot ask the user (it did not declare the elicitation capability): deny (rule approval.declined, with how to approve it) or allow (forwarded, audited)',
  );

export const ApproveTimeoutSchema = z
  .number()
  .int()
  .min(100)
  .max(24 * 3600 * 1000)
  .default(120_000)
  .describe('How long the warden waits for the user to answer an approval; then the call is declined');
