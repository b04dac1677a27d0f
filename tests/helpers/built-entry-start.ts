// vitest globalSetup: when the tests spawn the built warden (MCP_WARDEN_ENTRY under dist/, as `npm test`
// sets it), dist/ must have been built from the sources as they are now. `npm test` builds first; a
// developer who sets the variable by hand and edits a source without building would otherwise test the
// old program while the in-process tests import the new one. This fails the run at once instead, naming
// the first source that is newer than its build, and how to fix it.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// Not from ./warden.ts: that module imports vitest, which a globalSetup must not.
const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');

/** The first source under `srcDir` whose JavaScript under `distDir` is missing or older, described. */
export function staleBuild(srcDir: string, distDir: string): string | undefined {
  for (const entry of readdirSync(srcDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = path.join(entry.parentPath, entry.name);
    const relative = path.relative(srcDir, source);
    const built = path.join(distDir, relative.replace(/\.ts$/, '.js'));
    const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs;
    if (builtAt === undefined)
      return `${relative} has no build (${path.relative(PROJECT_ROOT, built)} is missing)`;
    if (statSync(source).mtimeMs > builtAt)
      return `${relative} changed after it was built into ${path.relative(PROJECT_ROOT, built)}`;
  }
  return undefined;
}

export default function setup(): void {
  const entry = process.env.MCP_WARDEN_ENTRY;
  const dist = path.join(PROJECT_ROOT, 'dist');
  if (!entry || !path.resolve(entry).startsWith(`${dist}${path.sep}`)) return;
  const stale = staleBuild(path.join(PROJECT_ROOT, 'src'), dist);
  if (stale === undefined) return;
  throw new Error(
    `the tests would spawn the built warden (MCP_WARDEN_ENTRY=${entry}), but dist/ is older ` +
      `than the sources: ${stale}. Run \`npm run build\` first (\`npm test\` does), or unset MCP_WARDEN_ENTRY to ` +
      'spawn the sources.',
  );
}
