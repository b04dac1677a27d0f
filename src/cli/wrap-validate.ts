import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { loadProfile } from '../config/load-profile.ts';
import { WardenError } from '../errors.ts';
import { type NetworkValue, egressMode } from '../network/egress-settings.ts';
import { cacheDir } from '../util/cache-dir.ts';
import { wardenCommandProblem } from '../clients/warden-self.ts';
import type { EntryChange } from '../clients/wrap-config.ts';
import type { BackendName } from '../sandboxes/types.ts';
import { parseEnvArg, parseRunArgs } from './args.ts';
import { resolveRoot } from './resolve-root.ts';
import { loadToolLock } from './tool-lock.ts';

/**
 * Check the options `wrap` writes into every entry against what `run` accepts, before anything is
 * written, reusing run's own parser and loaders: every --allow-host must be a pattern run takes (the
 * same message and exit status 2), the profile must load (and its backend work here, and take a network
 * allowlist when --allow-host is given: with `auto`, the backend auto picks here), every --root must be
 * an existing directory, --lock must exist, --warm needs a backend with a warm pool (docker or gvisor,
 * or what auto picks here). Throws WardenError (exit 2, or 69 for a backend that cannot
 * run here) naming the option and the fix. Returns the profile's `network` (auto without --allow-host:
 * false, as in every built-in profile).
 */
export async function validateWrapOptions(options: {
  profile: string | undefined;
  roots: readonly string[];
  lock: string | undefined;
  allowHosts?: readonly string[];
  warm?: boolean;
}): Promise<{ network: NetworkValue }> {
  const profile = options.profile ?? 'auto';
  const allowHosts = options.allowHosts ?? [];
  // run's own check first, so a bad pattern reads exactly as run would say it.
  egressMode(false, allowHosts);
  let network: NetworkValue = false;
  if (profile !== 'auto') {
    const { getBackend } = await import('../sandboxes/registry.ts');
    const loaded = loadProfile(profile);
    const backend = getBackend(loaded.backend);
    const availability = await backend.probe({ cacheDir: cacheDir() });
    if (!availability.available) {
      throw new WardenError(
        'backend-unavailable',
        `--profile ${profile}: the ${backend.name} backend cannot run here (${availability.reason}), so every wrapped server would fail`,
        { hint: availability.fix },
      );
    }
    network = loaded.network;
    await checkAllowlist(network, allowHosts, backend.name, '');
    if (options.warm === true) checkWarm(backend.name, `--profile ${profile}`);
  } else if (allowHosts.length > 0 || options.warm === true) {
    const { pickAuto } = await import('../sandboxes/registry.ts');
    const backend = await pickAuto({ cacheDir: cacheDir() });
    network = loadProfile(backend.name).network;
    await checkAllowlist(network, allowHosts, backend.name, ` (--profile auto picks ${backend.name} here)`);
    if (options.warm === true) checkWarm(backend.name, `--profile auto (which picks ${backend.name} here)`);
  }
  for (const root of options.roots) {
    // A root with client variables is expanded by the client; it can only be checked when it starts.
    if (!root.includes('$')) resolveRoot(root);
  }
  if (options.lock !== undefined) loadToolLock(path.resolve(options.lock));
  return { network };
}

/**
 * --warm keeps ready containers: run only notes that it has no effect on another backend, but a config
 * written with it there would never be what its author asked for.
 */
function checkWarm(backend: BackendName, chosen: string): void {
  if (backend === 'docker' || backend === 'gvisor') return;
  throw new WardenError(
    'usage',
    `--warm: ${chosen} runs the servers on the ${backend} backend, which has no warm pool (docker and gvisor only); nothing was written`,
    { hint: 'leave out --warm, or wrap with --profile gvisor or --profile docker' },
  );
}

/** run's own egress planning, so a backend that cannot take an allowlist is refused now, not at start. */
async function checkAllowlist(
  network: NetworkValue,
  allowHosts: readonly string[],
  backend: BackendName,
  picked: string,
): Promise<void> {
  if (allowHosts.length === 0) return;
  const { planEgress } = await import('../network/prepare-egress.ts');
  try {
    planEgress(network, allowHosts, backend, []);
  } catch (error) {
    if (!(error instanceof WardenError) || error.code === 'usage') throw error;
    throw new WardenError(
      error.code,
      `--allow-host: ${error.message}${picked}, so every wrapped server would fail to start; nothing was written`,
      { cause: error, ...(error.hint === undefined ? {} : { hint: error.hint }) },
    );
  }
}

/** Check what `wrap` wrote for one server with run's parser: every --env name must be one run takes. */
export function validateWrappedEntry(file: string, change: EntryChange): void {
  if (!change.runArgs) return;
  try {
    const parsed = parseRunArgs([...change.runArgs, '--', 'server']);
    for (const env of parsed?.env ?? []) parseEnvArg(env);
  } catch (error) {
    if (!(error instanceof WardenError)) throw error;
    throw new WardenError(
      'usage',
      `${file}: server "${change.server}": ${error.message}; nothing was written`,
      {
        hint: `fix that entry of the config (run would refuse it), or leave it out with --server`,
      },
    );
  }
}

/**
 * Check an explicit warden command: a package runner must pin mcp-warden to an exact version, and the
 * program must exist (absolute, or on PATH).
 */
export function validateWardenCommand(words: readonly string[], version: string): void {
  const problem = wardenCommandProblem(words);
  if (problem) {
    throw new WardenError('usage', `--warden-command "${words.join(' ')}": ${problem}`, {
      hint: `pin it (--warden-command "npx -y mcp-warden@${version}"), or leave --warden-command out to write the path of this warden`,
    });
  }
  const program = words[0] ?? '';
  if (!findProgram(program)) {
    throw new WardenError(
      'usage',
      `--warden-command "${words.join(' ')}": ${program} is not an executable ${path.isAbsolute(program) ? 'file' : 'on PATH'}`,
      {
        hint: 'give the absolute path of the program the client should start',
      },
    );
  }
}

function findProgram(program: string): boolean {
  const candidates = program.includes('/')
    ? [path.resolve(program)]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, program));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
