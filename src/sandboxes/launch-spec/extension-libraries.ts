import { realpathSync } from 'node:fs';
import { findOnPath } from '../process/find-on-path.ts';
import { parseLddOutput } from './runtime-libraries.ts';

/** Files per ldd run: one process for many files, with argv far below the kernel's limit. */
const LDD_BATCH = 64;
const LDD_TIMEOUT_MS = 60_000;

/** The libraries a set of shared objects links, and what ldd could not find. */
export interface ExtensionLibraries {
  /** Absolute paths (each as ldd printed it, then its real path when that differs). */
  libraries: string[];
  /** `missing[i]`: a shared object and the sonames ldd found no file for (it fails on the host too). */
  missing: Array<{ file: string; sonames: string[] }>;
}

/**
 * Pure: split the output of `ldd FILE1 FILE2...` (each file's list follows a "FILE:" line) into the
 * libraries found and the sonames ldd reports as "not found", per file. With a single file ldd prints
 * no header: everything belongs to `files[0]`.
 */
export function parseLddSections(
  text: string,
  files: readonly string[],
): Map<string, { libraries: string[]; missing: string[] }> {
  const result = new Map<string, { libraries: string[]; missing: string[] }>();
  const headers = new Set(files.map((file) => `${file}:`));
  let current = files.length === 1 ? files[0] : undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (current === undefined) return;
    const body = lines.join('\n');
    const missing = [...body.matchAll(/^\s*(\S+)\s+=>\s+not found\s*$/gm)].map((m) => m[1] as string);
    result.set(current, { libraries: parseLddOutput(body), missing });
  };
  for (const line of text.split('\n')) {
    if (headers.has(line)) {
      flush();
      current = line.slice(0, -1);
      lines = [];
    } else lines.push(line);
  }
  flush();
  return result;
}

/**
 * The shared libraries that `files` (extension modules) link, transitively, as ldd resolves them on
 * this host: these must be mounted for the modules to import in the sandbox (pydantic-core needs
 * libgcc_s and librt...). ldd traces through the system's loader (glibc's ldd never executes the file
 * itself), many files per run. No ldd (macOS, some minimal hosts): nothing is found.
 */
export async function extensionLibraries(files: readonly string[]): Promise<ExtensionLibraries> {
  const ldd = findOnPath('ldd', process.env.PATH);
  const found = new Set<string>();
  const missing: ExtensionLibraries['missing'] = [];
  if (ldd !== undefined && files.length > 0) {
    const { execa } = await import('execa');
    for (let start = 0; start < files.length; start += LDD_BATCH) {
      const batch = files.slice(start, start + LDD_BATCH);
      const output = await execa(ldd, ['--', ...batch], {
        reject: false,
        timeout: LDD_TIMEOUT_MS,
        stdin: 'ignore',
        stderr: 'ignore',
      });
      for (const [file, section] of parseLddSections(output.stdout, batch)) {
        for (const library of section.libraries) {
          found.add(library);
          try {
            found.add(realpathSync(library));
          } catch {
            // Listed but unreadable: the import fails in the sandbox as it would on the host.
          }
        }
        if (section.missing.length > 0) missing.push({ file, sonames: section.missing });
      }
    }
  }
  return { libraries: [...found], missing };
}
