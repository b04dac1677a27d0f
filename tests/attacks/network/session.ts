// The network family's fixture (the lab, the test CA where the sandbox can read it) and the profile
// its wardens run with: the backend's built-in profile plus an allowlist naming only lab targets.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { shareWithSandbox } from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';
import type { BackendName } from '../types.ts';
import type { NetworkSettingsInput } from './allowlist.ts';
import { type NetworkLab, startNetworkLab } from './lab.ts';

export interface NetworkFixture {
  lab: NetworkLab;
  /** A read-only root holding only the test CA (ca.pem). */
  caDir: string;
  /** The CA's path, when openssl made one. */
  caFile: string | undefined;
  /** Why the shared network session did not start (set by the runner), else undefined. */
  sessionError?: string;
  close(): Promise<void>;
}

export async function startNetworkFixture(backend: BackendName): Promise<NetworkFixture> {
  const work = tmpRoot(`attacks-net-${backend}`);
  const lab = await startNetworkLab(work);
  const caDir = tmpRoot(`attacks-net-ca-${backend}`);
  let caFile: string | undefined;
  if (lab.caFile) {
    caFile = path.join(caDir, 'ca.pem');
    copyFileSync(lab.caFile, caFile);
  }
  shareWithSandbox(caDir, backend);
  return { lab, caDir, caFile, close: () => lab.close() };
}

/** Write the backend's built-in profile with `network` to a temp file; returns its path. */
export function networkProfileFile(backend: BackendName, network: NetworkSettingsInput): string {
  const builtIn = JSON.parse(
    readFileSync(path.join(PROJECT_ROOT, 'profiles', `${backend}.json`), 'utf8'),
  ) as {
    $schema?: string;
  };
  delete builtIn.$schema;
  const file = path.join(tmpRoot(`attacks-net-profile-${backend}`), 'profile.json');
  writeFileSync(file, JSON.stringify({ ...builtIn, name: `attacks-net-${backend}`, network }));
  return file;
}

/** What runner.start() needs for a network warden: the profile, the namespace, the CA root and env. */
export function networkWardenOptions(
  backend: BackendName,
  fixture: NetworkFixture,
  network: NetworkSettingsInput,
): { profile: string; prefix: string[]; extraArgs: string[] } {
  return {
    profile: networkProfileFile(backend, network),
    prefix: fixture.lab.prefix,
    extraArgs: [
      '--root',
      `${fixture.caDir}:ro`,
      ...(fixture.caFile ? ['--env', `NODE_EXTRA_CA_CERTS=${fixture.caFile}`] : []),
    ],
  };
}
