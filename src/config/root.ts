/** A root directory the server may use. Mounted at the same absolute path inside every sandbox. */
export interface Root {
  /** Absolute host path as given by the user (after ~ expansion and normalisation). */
  path: string;
  /** true for PATH:ro roots. */
  readOnly: boolean;
}

/** A root after start-up resolution: `realPath` is the host realpath of `path` (symlinks followed). */
export interface ResolvedRoot extends Root {
  realPath: string;
}
