// A real container create body from the planner, for the warm pool's unit tests.
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type ContainerCreateBody,
  planContainer,
} from '../../../../../src/sandboxes/docker/container-plan.ts';
import type { LaunchSpec } from '../../../../../src/sandboxes/types.ts';

/** Host paths the body mounts: a rw root, a ro root, and the server's package with its script. */
export interface PlanFiles {
  dir: string;
  root: string;
  docs: string;
  pkg: string;
  script: string;
}

export function planFiles(): PlanFiles {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-unit-warm-')));
  const root = path.join(dir, 'root');
  const docs = path.join(dir, 'docs');
  const pkg = path.join(dir, 'pkg');
  for (const d of [root, docs, pkg]) mkdirSync(d);
  const script = path.join(pkg, 'index.js');
  writeFileSync(script, 'console.error("booted")\n');
  return { dir, root, docs, pkg, script };
}

export function planBody(files: PlanFiles, change: Partial<LaunchSpec> = {}): ContainerCreateBody {
  const spec: LaunchSpec = {
    executable: process.execPath,
    args: [files.script],
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    roots: [
      { path: files.root, realPath: files.root, readOnly: false },
      { path: files.docs, realPath: files.docs, readOnly: true },
    ],
    readOnlyPaths: [files.pkg],
    runtimePaths: [],
    cwd: files.root,
    limits: {},
    network: false,
    ...change,
  };
  const plan = planContainer(spec, {
    backend: 'docker',
    image: { tag: 'mcp-warden/node:abc-1', nodeRealPath: process.execPath },
    executableRealPath: process.execPath,
    user: { uid: 1000, gid: 1000 },
    owner: 'host/boot/1/2',
  });
  return plan.details?.container as ContainerCreateBody;
}
