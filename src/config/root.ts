import { z } from 'zod';

/** A root directory the server may use. Mounted at the same absolute path inside every sandbox. */
export const RootSchema = z
  .object({
    path: z.string().min(1).describe('Absolute host path as given by the user'),
    readOnly: z.boolean().describe('true for PATH:ro roots'),
  })
  .strict();
export type Root = z.infer<typeof RootSchema>;

/** A root after start-up resolution: `realPath` is the host realpath of `path` (symlinks followed). */
export interface ResolvedRoot extends Root {
  realPath: string;
}
