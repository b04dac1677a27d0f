// Issue 20, item 11: an `--env NAME=VALUE` value must not be readable by other local users in
// /proc/PID/cmdline of the warden or of anything it starts (bwrap, the server, helpers).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { hostProcesses } from '../helpers/host-processes.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, ECHO_SERVER, type StartedWarden, startWarden } from '../helpers/warden.ts';

// This test's own process holds the needle in its memory, not its argv: hostProcesses skips it.
function cmdlinesHolding(needle: string): string[] {
  return hostProcesses((proc) => proc.cmdline.includes(needle)).map((proc) => String(proc.pid));
}

const profiles = [
  { profile: 'none' as const, available: true },
  { profile: 'bwrap' as const, available: BWRAP_AVAILABLE },
];

describe.each(profiles)('--env values on $profile', ({ profile, available }) => {
  let warden: StartedWarden | undefined;
  afterEach(async () => {
    await warden?.close();
    warden = undefined;
  });

  it.runIf(available)('appear in no process command line while the session runs', async () => {
    const canary = `envcanary-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    warden = await startWarden({
      profile,
      roots: [tmpRoot('env-argv')],
      env: [`SECRET_TOKEN=${canary}`],
      command: [process.execPath, ECHO_SERVER],
    });
    // The session is up: warden, launcher and server all exist now.
    await warden.client.listTools();
    const holders = cmdlinesHolding(canary);
    expect(holders).toEqual([]);
    // Control: the value did reach the server's environment (it was passed, just not in argv).
    const environs = hostProcesses((proc) =>
      readFileSync(`/proc/${proc.pid}/environ`, 'latin1').includes(canary),
    );
    expect(environs.length).toBeGreaterThan(0);
  });
});
