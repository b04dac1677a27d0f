import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../../errors.ts';
import { findOnPath } from '../process/find-on-path.ts';
import type { NpxCommand } from './parse-npx.ts';

const INSTALL_TIMEOUT_MS = 5 * 60 * 1000;

/** Where an npx package lives after installation. */
export interface NpxInstall {
  /** The install prefix (`<cacheDir>/npx/<sha256 of the spec>`), mounted read-only. */
  dir: string;
  /** Absolute real path of the package's bin script. */
  bin: string;
}

/**
 * Pure: the bin script of a package, relative to its directory, from its package.json: `bin` as a
 * string, else the entry named like the unscoped package name, else the only entry. Undefined when
 * none of these applies (no bin, or several with no obvious one).
 */
export function packageBin(packageJson: unknown, name: string): string | undefined {
  const bin = (packageJson as { bin?: unknown } | null)?.bin;
  if (typeof bin === 'string') return bin;
  if (bin === null || typeof bin !== 'object') return undefined;
  const entries = Object.entries(bin as Record<string, unknown>).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  const unscoped = name.replace(/^@[^/]+\//, '');
  return (
    entries.find(([key]) => key === unscoped)?.[1] ?? (entries.length === 1 ? entries[0]?.[1] : undefined)
  );
}

/** The install prefix for `spec` under `cacheDir`: one directory per exact spec string. */
export function npxInstallDir(cacheDir: string, spec: string): string {
  return path.join(
    cacheDir,
    'npx',
    process.getBuiltinModule('node:crypto').createHash('sha256').update(spec).digest('hex'),
  );
}

/**
 * Install `npx.spec` on the host (install scripts disabled) unless already installed, and find its
 * bin. npm runs with the warden's environment: it is host-side and trusted, and needs the user's
 * registry and proxy configuration. Throws WardenError('resolve-failed') with npm's last stderr lines.
 */
export async function installNpxPackage(
  npx: NpxCommand,
  cacheDir: string,
  onProgress?: (line: string) => void,
): Promise<NpxInstall> {
  const dir = npxInstallDir(cacheDir, npx.spec);
  const packageDir = path.join(dir, 'node_modules', ...npx.name.split('/'));
  const manifest = path.join(packageDir, 'package.json');
  if (!existsSync(manifest)) {
    onProgress?.(`installing ${npx.spec} into ${dir} (install scripts disabled)`);
    const npm = findNpm();
    const { execa } = await import('execa'); // only on an install: execa is slow to load
    const result = await execa(
      npm,
      ['install', '--prefix', dir, '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', npx.spec],
      { reject: false, timeout: INSTALL_TIMEOUT_MS, stdin: 'ignore' },
    );
    if (result.exitCode !== 0 || !existsSync(manifest)) {
      const tail = result.stderr.trim().split('\n').slice(-8).join('\n');
      throw new WardenError(
        'resolve-failed',
        `npm could not install ${npx.spec}${tail ? `:\n${tail}` : ''}`,
        {
          hint: 'check the package name and the npm registry settings, or install it yourself and run node on its bin',
          exitCode: result.exitCode,
          timedOut: result.timedOut,
        },
      );
    }
  }
  const packageJson: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  const bin = packageBin(packageJson, npx.name);
  if (bin === undefined) {
    throw new WardenError('resolve-failed', `package ${npx.name} has no single bin to run`, {
      hint: `run one of its scripts explicitly: node ${packageDir}/<script>`,
    });
  }
  const binPath = path.resolve(packageDir, bin);
  if (!binPath.startsWith(packageDir + path.sep) || !existsSync(binPath)) {
    throw new WardenError('resolve-failed', `package ${npx.name} names a missing bin: ${bin}`);
  }
  return { dir, bin: realpathSync(binPath) };
}

/** npm next to the running Node first (same version family), else the first on PATH. */
function findNpm(): string {
  const beside = path.join(path.dirname(process.execPath), 'npm');
  const npm = existsSync(beside) ? beside : findOnPath('npm', process.env.PATH);
  if (npm === undefined)
    throw new WardenError('resolve-failed', 'npx needs npm on the host, and npm is not on PATH');
  return npm;
}
