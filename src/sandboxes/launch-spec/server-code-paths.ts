import { realpathSync } from 'node:fs';
import path from 'node:path';
import { homeDir } from '../../util/home-dir.ts';
import { type CodePaths, MountList } from './code-mounts.ts';
import { mountLinkedPackages, mountNodeModules } from './linked-packages.ts';
import { mountPackageFiles } from './package-files.ts';
import { type CodeLanguage, findCodeHome } from './package-root.ts';
import { scriptImports } from './script-imports.ts';

/**
 * The smallest set of host paths a server script needs read-only, each with the reason:
 * - its package (see findCodeHome: the nearest manifest upward, never a workspace root, never a
 *   shared or home directory), minus dotfiles and other packages' sources (see mountPackageFiles);
 * - without a package (a lone script), the script itself and the code files it imports by relative
 *   path below its own directory — never the directory, whose other files are not the server's;
 * - for Node, every node_modules on the resolution path, and the workspace packages it depends on
 *   through links in them (see mountLinkedPackages).
 * Paths that are links are mounted at their real path too. `script` must be an absolute, real path to
 * an existing file. Paths deliberately not mounted come back in `leftOut`.
 */
export function serverCodePaths(
  script: string,
  options: { home?: string; language?: CodeLanguage } = {},
): CodePaths {
  const home = options.home ?? homeDir();
  const language = options.language ?? 'node';
  const dir = path.dirname(script);
  const mounts = new MountList();
  // node_modules first: a package installed inside one (npx, a global install) is mounted with it.
  if (language === 'node') mountNodeModules(dir, mounts, `module resolution for ${script}`);
  const codeHome = findCodeHome(dir, language, home);
  if (codeHome.kind === 'package') {
    if (!mounts.covers(codeHome.dir)) mountPackageFiles(codeHome.dir, script, mounts, codeHome.why);
    if (language === 'node') mountLinkedPackages(codeHome.dir, mounts, home);
  } else {
    mounts.add(script, `the server script, not in a package (${codeHome.why}): its directory is not mounted`);
    mounts.leaveOut(dir, 'the lone script’s directory: only the script and the code it imports are mounted');
    for (const found of scriptImports(script, language)) {
      const why = `imported by ${found.importer}`;
      if (found.kind === 'package')
        mountPackageFiles(found.path, path.join(found.path, '__init__.py'), mounts, why);
      else mounts.add(found.path, why);
    }
  }
  const result = mounts.result();
  return { ...result, mounts: withRealPaths(result.mounts) };
}

/** Each mount, then its realpath when that differs (a bind of a link shows the target at the link). */
function withRealPaths(mounts: CodePaths['mounts']): CodePaths['mounts'] {
  const out = new Map<string, string>();
  for (const { path: file, why } of mounts) {
    if (!out.has(file)) out.set(file, why);
    let real: string | undefined;
    try {
      real = realpathSync(file);
    } catch {
      real = undefined;
    }
    if (real !== undefined && !out.has(real)) out.set(real, `${why} (the real path of ${file})`);
  }
  return [...out].map(([file, why]) => ({ path: file, why }));
}
