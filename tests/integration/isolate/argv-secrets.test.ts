// Issue 20 item 11: `--env` values must never reach a command line. /proc/PID/cmdline is readable by every
// local user; the isolate host used to get its whole configuration, the guest's environment included,
// as one JSON argument. Now it travels in the host's own environment (readable by its user only), or, for
// the host `run` starts ahead of its plan (prestart, issue 19), on the host's stdin: not even there.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_ON_STDIN, HOST_CONFIG_ENV } from '../../../src/sandboxes/isolate/host-config.ts';
import { ISOLATE_PROFILE } from '../../helpers/containers.ts';
import { hostProcesses } from '../../helpers/host-processes.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  HOSTILE_SERVER,
  initializeRaw,
  type RawWarden,
  runArgs,
  spawnWardenRaw,
} from '../../helpers/warden.ts';

/** Every process on this host whose command line contains `needle`, with that command line. */
function cmdlinesContaining(needle: string): { pid: number; cmdline: string }[] {
  return hostProcesses((proc) => proc.cmdline.includes(needle)).map((proc) => ({
    pid: proc.pid,
    cmdline: proc.cmdline.replaceAll('\0', ' '),
  }));
}

async function session(envArgs: string[], wardenEnv: Record<string, string> = {}): Promise<RawWarden> {
  const root = tmpRoot('isolate-argv');
  const warden = spawnWardenRaw(
    runArgs({
      profile: 'isolate',
      roots: [root],
      extraArgs: envArgs,
      command: [process.execPath, HOSTILE_SERVER, '--root', root],
    }),
    { env: { ...process.env, ...wardenEnv } },
  );
  await initializeRaw(warden);
  return warden;
}

/** The isolate host of `warden`: its child running host-main. */
function hostOf(warden: RawWarden): number {
  const hosts = hostProcesses((proc) => proc.ppid === warden.child.pid && proc.cmdline.includes('host-main'));
  expect(hosts).toHaveLength(1);
  return (hosts[0] as { pid: number }).pid;
}

async function readEnv(warden: RawWarden): Promise<Record<string, string>> {
  const reply = await warden.request('env', 'tools/call', { name: 'env', arguments: {} }, 20_000);
  const text = (reply.result as { content: Array<{ text: string }> }).content[0]?.text ?? '{}';
  return (JSON.parse(text) as { env: Record<string, string> }).env;
}

describe.runIf(ISOLATE_PROFILE.enabled)(`--env values and argv (${ISOLATE_PROFILE.status})`, () => {
  it('--env SECRET_TOKEN=<canary>: no command line holds it (the warden overwrites its own)', async () => {
    const canary = `argv-canary-${randomBytes(8).toString('hex')}`;
    const warden = await session(['--env', `SECRET_TOKEN=${canary}`]);
    try {
      expect(await readEnv(warden)).toMatchObject({ SECRET_TOKEN: canary });
      expect(cmdlinesContaining(canary)).toEqual([]);
    } finally {
      warden.endInput();
      await warden.exit;
    }
  });

  it('--env SECRET_TOKEN (value from the warden’s environment): no process on the host has it in argv', async () => {
    const canary = `argv-canary-${randomBytes(8).toString('hex')}`;
    const warden = await session(['--env', 'SECRET_TOKEN'], { SECRET_TOKEN: canary });
    try {
      expect(await readEnv(warden)).toMatchObject({ SECRET_TOKEN: canary });
      expect(cmdlinesContaining(canary)).toEqual([]);
    } finally {
      warden.endInput();
      await warden.exit;
    }
  });

  it('the host run starts ahead got its configuration on stdin: its environment holds only the marker', async () => {
    const canary = `argv-canary-${randomBytes(8).toString('hex')}`;
    const warden = await session(['--env', `SECRET_TOKEN=${canary}`]);
    try {
      expect(await readEnv(warden)).toMatchObject({ SECRET_TOKEN: canary });
      const environ = readFileSync(path.join('/proc', String(hostOf(warden)), 'environ'), 'latin1');
      expect(environ).toBe(`${HOST_CONFIG_ENV}=${CONFIG_ON_STDIN}\0`);
    } finally {
      warden.endInput();
      await warden.exit;
    }
  });
});
