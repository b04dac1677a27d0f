import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];

/** Remove every directory made by this module (and any path passed to {@link trackForCleanup}). */
export function cleanupTmp(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// Registered at import time on the importing test file's root suite.
afterAll(cleanupTmp);

/** Remove `target` (file or directory) when the test file ends. */
export function trackForCleanup(target: string): string {
  created.push(target);
  return target;
}

/** A fresh empty directory under os.tmpdir(), realpath'd (so it equals what the kernel resolves). */
export function tmpRoot(prefix = 'root'): string {
  return trackForCleanup(realpathSync(mkdtempSync(path.join(tmpdir(), `mcp-warden-e2e-${prefix}-`))));
}

/** A secret file in its own temp directory that is never passed as a root. */
export interface OutsideSecret {
  dir: string;
  file: string;
  /** A random canary string: if it ever shows up in a response or log, the boundary failed. */
  content: string;
}

/** Make a secret file outside every root, holding a random canary. */
export function outsideSecret(): OutsideSecret {
  const dir = tmpRoot('outside');
  const file = path.join(dir, 'id_rsa');
  const content = `SECRET-${randomBytes(12).toString('hex')}`;
  writeFileSync(file, `${content}\n`);
  return { dir, file, content };
}
