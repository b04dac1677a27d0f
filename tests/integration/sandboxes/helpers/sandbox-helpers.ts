import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ResolvedRoot } from '../../../../src/config/root.ts';
import { buildLaunchSpec } from '../../../../src/sandboxes/launch-spec/build-launch-spec.ts';
import type { Backend, ExitInfo, Sandbox } from '../../../../src/sandboxes/types.ts';

/** A fresh real directory under the OS temp dir. */
export function tempDir(prefix: string): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), `mcp-warden-${prefix}-`)));
}

/** A root as the config layer would resolve it. */
export function root(dir: string, readOnly = false): ResolvedRoot {
  return { path: dir, realPath: realpathSync(dir), readOnly };
}

/** Launch `node -e code ...args` (the current Node) through `backend` with the given roots and env. */
export async function launchNode(
  backend: Backend,
  code: string,
  options: { roots?: ResolvedRoot[]; env?: Record<string, string>; args?: string[] } = {},
): Promise<Sandbox> {
  const spec = await buildLaunchSpec({
    command: [process.execPath, '-e', code, ...(options.args ?? [])],
    roots: options.roots ?? [],
    env: options.env ?? {},
    limits: {},
    network: false,
    cacheDir: tempDir('cache'),
    hostPath: process.env.PATH ?? '',
  });
  return backend.launch(backend.plan(spec));
}

/** Run `node -e code` to completion; stdout, stderr and the exit. */
export async function runNode(
  backend: Backend,
  code: string,
  options: { roots?: ResolvedRoot[]; env?: Record<string, string> } = {},
): Promise<{ stdout: string; stderr: string; exit: ExitInfo }> {
  const sandbox = await launchNode(backend, code, options);
  sandbox.stdin.end();
  let stdout = '';
  let stderr = '';
  sandbox.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  sandbox.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = Promise.all([
    new Promise((resolve) => sandbox.stdout.once('close', resolve)),
    new Promise((resolve) => sandbox.stderr.once('close', resolve)),
  ]);
  const exit = await sandbox.exited;
  await closed;
  return { stdout, stderr, exit };
}

/** Poll `check` every 20 ms until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
