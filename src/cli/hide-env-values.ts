// `--env NAME=VALUE` puts a value (often an API token) into the warden's own argv, which every local
// user can read in /proc/PID/cmdline. The warden never passes it on in argv (issue 20, item 11), and
// here it also overwrites its own: process.title rewrites the argv area the kernel shows.

const HIDDEN = '<hidden>';

/**
 * Pure: `argv` (the arguments after the script) with the value of every `--env NAME=VALUE` and
 * `--env=NAME=VALUE` before `--` replaced by HIDDEN; undefined when there is nothing to hide.
 */
export function argvWithoutEnvValues(argv: readonly string[]): string[] | undefined {
  const out = [...argv];
  let changed = false;
  for (let i = 0; i < out.length; i += 1) {
    const arg = out[i] as string;
    if (arg === '--') break;
    if (arg === '--env' && i + 1 < out.length) {
      const hidden = hideValue(out[i + 1] as string);
      if (hidden !== undefined) {
        out[i + 1] = hidden;
        changed = true;
      }
      i += 1;
    } else if (arg.startsWith('--env=')) {
      const hidden = hideValue(arg.slice('--env='.length));
      if (hidden !== undefined) {
        out[i] = `--env=${hidden}`;
        changed = true;
      }
    }
  }
  return changed ? out : undefined;
}

function hideValue(spec: string): string | undefined {
  const eq = spec.indexOf('=');
  return eq < 0 ? undefined : `${spec.slice(0, eq)}=${HIDDEN}`;
}

/** Overwrite this process's command line when it carries `--env` values. Best effort; never throws. */
export function hideEnvValuesFromCmdline(argv: readonly string[]): void {
  const hidden = argvWithoutEnvValues(argv);
  if (hidden === undefined) return;
  try {
    process.title = ['mcp-warden', ...hidden].join(' ');
  } catch {
    // A platform without settable titles: nothing more can be done from inside the process.
  }
}
