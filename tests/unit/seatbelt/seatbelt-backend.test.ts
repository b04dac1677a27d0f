// The thin executor around planSeatbelt: probe off macOS, and launch's private work directory (created
// 0700 with the profile 0600, removed when the sandbox exits or cannot start). The launch tests swap
// sandbox-exec for /bin/sh, which only looks at the files: the real sandbox runs only on a Mac.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBasePolicy } from '../../../src/sandboxes/seatbelt/base-policy.ts';
import { seatbeltBackend } from '../../../src/sandboxes/seatbelt/seatbelt-backend.ts';
import { type SeatbeltDetails, planSeatbelt } from '../../../src/sandboxes/seatbelt/seatbelt-plan.ts';
import type { LaunchSpec, SandboxPlan } from '../../../src/sandboxes/types.ts';

const spec: LaunchSpec = {
  executable: '/bin/sh',
  args: [],
  env: { PATH: '/usr/bin:/bin' },
  roots: [],
  readOnlyPaths: [],
  runtimePaths: [],
  cwd: '/tmp',
  limits: {},
  network: false,
};

describe.runIf(process.platform !== 'darwin')('seatbelt probe off macOS', () => {
  it('is unavailable with the macOS-only reason and a fix', async () => {
    expect(await seatbeltBackend.probe()).toEqual({
      available: false,
      reason: `Seatbelt (sandbox-exec) is macOS only; this is ${process.platform}`,
      fix: 'use --profile bwrap on Linux',
    });
  });
});

describe('seatbelt backend plan', () => {
  it('uses policy.sb and a fresh unguessable work directory per plan', () => {
    const a = seatbeltBackend.plan(spec).details as unknown as SeatbeltDetails;
    const b = seatbeltBackend.plan(spec).details as unknown as SeatbeltDetails;
    expect(a.profile.startsWith(readBasePolicy().trimEnd())).toBe(true);
    expect(a.workDir).toMatch(/\/mcp-warden-seatbelt-[0-9a-f]{16}$/);
    expect(a.workDir).not.toBe(b.workDir);
    expect(existsSync(a.workDir)).toBe(false);
  });
});

// /dev/shm: a Linux directory that canonicalMacPath leaves alone (unlike /tmp → /private/tmp).
describe.runIf(existsSync('/dev/shm'))('seatbelt launch (work directory lifecycle)', () => {
  const parent = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/mcp-warden-test-') : '';
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  const planIn = (name: string): { plan: SandboxPlan; details: SeatbeltDetails } => {
    const plan = planSeatbelt(spec, {
      basePolicy: readBasePolicy(),
      home: '/home/u',
      workDir: path.join(parent, name),
    });
    return { plan, details: plan.details as unknown as SeatbeltDetails };
  };

  it('writes the profile 0600 in a 0700 directory, and removes it when the sandbox exits', async () => {
    const { plan, details } = planIn('ok');
    const probe = [
      '/bin/sh',
      '-c',
      'stat -c %a "$0" "$1" "$2"; head -n 1 "$1"',
      details.workDir,
      details.profileFile,
      details.tmpDir,
    ];
    const sandbox = await seatbeltBackend.launch({ ...plan, argv: probe });
    let out = '';
    sandbox.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await sandbox.exited).toMatchObject({ code: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(out).toBe(`700\n600\n700\n${readBasePolicy().split('\n')[0]}\n`);
    expect(existsSync(details.workDir)).toBe(false);
  });

  it('removes the directory when the program cannot start, and reports launch-failed', async () => {
    const { plan, details } = planIn('missing');
    await expect(
      seatbeltBackend.launch({ ...plan, argv: ['/nonexistent/sandbox-exec'] }),
    ).rejects.toMatchObject({
      code: 'launch-failed',
    });
    expect(existsSync(details.workDir)).toBe(false);
  });

  it('never reuses a directory that already exists', async () => {
    const { plan, details } = planIn('taken');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(details.workDir);
    await expect(seatbeltBackend.launch(plan)).rejects.toMatchObject({ code: 'launch-failed' });
    expect(existsSync(details.workDir)).toBe(true);
  });
});
