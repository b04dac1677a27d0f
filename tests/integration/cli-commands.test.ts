// The non-session commands: explain (a dry run that prints the exact sandbox), doctor, help/version.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BWRAP_AVAILABLE, ECHO_SERVER, WARDEN_ENTRY } from '../helpers/warden.ts';
import { DOCKER_PROFILE, GVISOR_PROFILE } from '../helpers/containers.ts';
import { findProcesses } from '../helpers/processes.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [WARDEN_ENTRY, ...args], {
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.runIf(BWRAP_AVAILABLE)('explain --profile bwrap', () => {
  it('prints the exact hardened bwrap argv, the server env and the policy, and launches nothing', () => {
    const root = tmpRoot('explain');
    const ro = tmpRoot('explain-ro');
    const { code, stdout } = cli([
      'explain',
      '--profile',
      'bwrap',
      '--root',
      root,
      '--root',
      `${ro}:ro`,
      '--env',
      'TOKEN=t0k',
      '--',
      process.execPath,
      ECHO_SERVER,
      root,
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      backend: string;
      argv: string[];
      serverEnv: Record<string, string>;
      roots: { path: string; readOnly: boolean }[];
      policy: { tools: { allow: string[] } };
    };
    expect(plan.backend).toBe('bwrap');
    const argv = plan.argv;
    for (const flag of [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--unshare-uts',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--disable-userns',
    ]) {
      expect(argv).toContain(flag);
    }
    expect(argv.slice(argv.indexOf('--cap-drop'), argv.indexOf('--cap-drop') + 2)).toEqual([
      '--cap-drop',
      'ALL',
    ]);
    const pairs = (flag: string): string[] =>
      argv.flatMap((a, i) => (a === flag ? [`${argv[i + 1]} -> ${argv[i + 2]}`] : []));
    expect(pairs('--bind')).toContain(`${root} -> ${root}`);
    expect(pairs('--ro-bind')).toContain(`${ro} -> ${ro}`);
    expect(pairs('--bind')).not.toContain(`${ro} -> ${ro}`);
    // Only what the server needs is bound: never /etc, the home directory, or a root's parent.
    const sources = argv.flatMap((a, i) => (a === '--bind' || a === '--ro-bind' ? [argv[i + 1] ?? ''] : []));
    for (const forbidden of ['/etc', os.homedir(), path.dirname(root), '/']) {
      expect(sources).not.toContain(forbidden);
    }
    expect(sources.some((s) => s.startsWith('/etc/'))).toBe(false);
    expect(argv.slice(argv.lastIndexOf('--') + 1)).toEqual([process.execPath, ECHO_SERVER, root]);
    // Names only: values (often tokens) are never printed (issue 20, item 11).
    // HOME: the server's private state home (issue 15).
    expect(plan.serverEnv).toEqual({ HOME: '<redacted>', PATH: '<redacted>', TOKEN: '<redacted>' });
    expect(stdout).not.toContain('t0k');
    expect(plan.roots).toEqual([
      expect.objectContaining({ path: root, readOnly: false }),
      expect.objectContaining({ path: ro, readOnly: true }),
    ]);
    expect(plan.policy.tools.allow).toEqual(['*']);
    // A dry run: no server was started.
    expect(findProcesses(root)).toEqual([]);
  });
});

describe('explain and doctor', () => {
  it('explain --profile none warns loudly that nothing is isolated', () => {
    const root = tmpRoot('explain-none');
    const { code, stdout } = cli([
      'explain',
      '--profile',
      'none',
      '--root',
      root,
      '--',
      process.execPath,
      ECHO_SERVER,
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as { warnings: string[]; notes: string[] };
    expect(plan.warnings.join('\n')).toMatch(/WITHOUT any isolation/);
    expect(plan.notes).toContain('no isolation: policy layer only');
  });

  it('doctor --json reports every designed backend, and auto picks the strongest that works', () => {
    const { code, stdout } = cli(['doctor', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      auto: string | null;
      backends: { backend: string; available: boolean; fix?: string }[];
    };
    expect(report.backends.map((b) => b.backend).sort()).toEqual([
      'bwrap',
      'docker',
      'gvisor',
      'isolate',
      'none',
      'seatbelt',
    ]);
    expect(report.backends.find((b) => b.backend === 'bwrap')?.available).toBe(BWRAP_AVAILABLE);
    const works = (name: string): boolean =>
      report.backends.find((b) => b.backend === name)?.available === true;
    // gvisor > docker > bwrap here (no seatbelt on Linux); never none.
    const expected = ['gvisor', 'docker', 'bwrap'].find(works) ?? null;
    expect(report.auto).toBe(expected);
    expect(report.auto).toBe(
      GVISOR_PROFILE.enabled
        ? 'gvisor'
        : DOCKER_PROFILE.enabled
          ? 'docker'
          : BWRAP_AVAILABLE
            ? 'bwrap'
            : null,
    );
    // The container backends show what they checked, each with a verdict.
    for (const name of ['docker', 'gvisor']) {
      const checks = (
        report.backends.find((b) => b.backend === name) as { checks?: Array<{ name: string; ok: boolean }> }
      ).checks;
      if (works(name)) expect(checks?.map((c) => c.name)).toContain('engine');
    }
    if (works('gvisor')) {
      const checks = (
        report.backends.find((b) => b.backend === 'gvisor') as unknown as {
          checks: Array<{ name: string; ok: boolean; detail: string }>;
        }
      ).checks;
      expect(checks.find((c) => c.name === 'runsc')).toMatchObject({
        ok: true,
        detail: expect.stringContaining('trial container ran'),
      });
    }
    for (const backend of report.backends.filter((b) => !b.available)) expect(backend.fix).toBeTruthy();
  });

  it('doctor prints a readable table with the fix for what is missing', () => {
    const { code, stdout } = cli(['doctor']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+bwrap\s+/m);
    expect(stdout).toMatch(/BACKEND\s+STATUS\s+VERSION\s+WHAT IS MISSING\s+FIX/);
    // The fix column is never wrapped: each missing backend's exact fix command is there in full.
    const report = JSON.parse(cli(['doctor', '--json']).stdout) as {
      backends: { available: boolean; fix?: string }[];
    };
    for (const backend of report.backends.filter((b) => !b.available)) expect(stdout).toContain(backend.fix);
  });

  it('image build: present image reported, unknown runtime and subcommand are usage errors', () => {
    if (DOCKER_PROFILE.enabled) {
      const built = cli(['image', 'build']);
      expect(built.code, built.stderr).toBe(0);
      expect(built.stdout).toMatch(/mcp-warden\/node:[0-9a-f]{16}-\d+/);
      // A forced rebuild shows its progress on stderr and lands on the same content-addressed tag.
      const forced = cli(['image', 'build', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      const tag = /mcp-warden\/node:[0-9a-f]{16}-\d+/.exec(built.stdout)?.[0] ?? 'no tag';
      expect(forced.stdout).toBe(`built ${tag}\n`);
      expect(forced.stderr).toMatch(/building sandbox image \S+ from \S+ \(\d+ MB, once per node version\)/);
      expect(forced.stderr).toMatch(/building sandbox image… (25|50|75)%/);
      expect(forced.stderr).toMatch(/built sandbox image \S+ in [\d.]+ s/);
    }
    expect(cli(['image', 'build', '--runtime', 'python'])).toMatchObject({ code: 2, stdout: '' });
    expect(cli(['image', 'frob'])).toMatchObject({ code: 2, stdout: '' });
    expect(cli(['image', 'build', '--bogus'])).toMatchObject({ code: 2, stdout: '' });
  });

  it('help and version exit 0; no command and unknown commands exit 2 on stderr only', () => {
    expect(cli(['--help']).code).toBe(0);
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(cli([])).toMatchObject({ code: 2 });
    const unknown = cli(['frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect(cli(['audit', 'check', 'x'])).toMatchObject({ code: 2, stdout: '' });
  });
});
