// seatbelt through the CLI on any OS: explain prints the generated profile and argv without probing;
// off macOS, run refuses with exit 69 and says why.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { readSbplProfile } from '../helpers/sbpl-reader.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { ECHO_SERVER, WARDEN_ENTRY } from '../helpers/warden.ts';

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [WARDEN_ENTRY, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const seatbeltDirs = (): string[] =>
  readdirSync(os.tmpdir()).filter((name) => name.startsWith('mcp-warden-seatbelt-'));

describe('explain --profile seatbelt (any OS)', () => {
  it('prints the sandbox-exec argv and the generated profile, and creates nothing', () => {
    const root = tmpRoot('seatbelt-explain');
    const ro = tmpRoot('seatbelt-explain-ro');
    const before = seatbeltDirs();
    const { code, stdout, stderr } = cli([
      'explain',
      '--profile',
      'seatbelt',
      '--root',
      root,
      '--root',
      `${ro}:ro`,
      '--',
      process.execPath,
      ECHO_SERVER,
    ]);
    expect(code, stderr).toBe(0);
    const plan = JSON.parse(stdout) as {
      backend: string;
      argv: string[];
      env: Record<string, string>;
      details: { profile: string; profileFile: string; params: Record<string, string> };
    };
    expect(plan.backend).toBe('seatbelt');
    expect(plan.argv.slice(0, 3)).toEqual(['/usr/bin/sandbox-exec', '-f', plan.details.profileFile]);
    expect(plan.argv.slice(plan.argv.indexOf('--'))).toEqual(['--', process.execPath, ECHO_SERVER]);
    const canonical = (p: string): string => p.replace(/^\/(tmp|var|etc)(\/|$)/, '/private/$1$2');
    expect(plan.argv).toContain(`ROOT_0=${canonical(root)}`);
    expect(plan.argv).toContain(`ROOT_1=${canonical(ro)}`);
    const profile = readSbplProfile(plan.details.profile);
    expect(profile.rules[0]).toMatchObject({ action: 'deny', operations: ['default'] });
    expect([...profile.params].sort()).toEqual(Object.keys(plan.details.params).sort());
    expect(plan.details.profile).toContain('(deny network*)');
    expect(plan.env.TMPDIR).toBe(plan.details.params.TMPDIR);
    // A dry run: no work directory was created.
    expect(seatbeltDirs()).toEqual(before);
  });
});

describe('explain --profile seatbelt --allow-host (any OS)', () => {
  it('says how the sandbox reaches the proxy (loopback port, credential), and plans no network until run', () => {
    const root = tmpRoot('seatbelt-explain-net');
    const { code, stdout, stderr } = cli([
      'explain',
      '--profile',
      'seatbelt',
      '--allow-host',
      'api.example.test',
      '--root',
      root,
      '--',
      process.execPath,
      ECHO_SERVER,
    ]);
    expect(code, stderr).toBe(0);
    const plan = JSON.parse(stdout) as {
      env: Record<string, string>;
      notes: string[];
      network: { mode: string; allow: string[]; how: string };
      details: { profile: string; egress?: Record<string, unknown> };
    };
    expect(plan.network).toMatchObject({ mode: 'allowlist', allow: ['api.example.test'] });
    expect(plan.network.how).toContain('(remote tcp "localhost:PORT")');
    expect(plan.network.how).toContain('http://warden:CREDENTIAL@127.0.0.1:PORT');
    expect(plan.notes.join('\n')).toContain("network-outbound to the warden's proxy at localhost:PORT");
    // The dry run started no proxy: no port, no credential, no network rule and no proxy variables yet.
    expect(plan.details.egress).toEqual({});
    const { rules } = readSbplProfile(plan.details.profile);
    expect(
      rules.filter((r) => r.action === 'allow' && r.operations.some((o) => o.startsWith('network'))),
    ).toEqual([]);
    expect(rules.at(-1)).toMatchObject({ action: 'deny', operations: ['network*'] });
    expect(Object.keys(plan.env).filter((name) => /proxy/i.test(name))).toEqual([]);
  });
});

describe.runIf(process.platform !== 'darwin')('run --profile seatbelt off macOS', () => {
  it('exits 69 with the macOS-only message and the fix, before launching anything', () => {
    const root = tmpRoot('seatbelt-run');
    const { code, stdout, stderr } = cli([
      'run',
      '--profile',
      'seatbelt',
      '--root',
      root,
      '--',
      process.execPath,
      ECHO_SERVER,
    ]);
    expect(code).toBe(69);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Seatbelt \(sandbox-exec\) is macOS only; this is linux|macOS only/);
    expect(stderr).toContain('use --profile bwrap on Linux');
  });

  it('doctor says seatbelt is macOS only', () => {
    const { code, stdout } = cli(['doctor', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      backends: { backend: string; available: boolean; reason?: string }[];
    };
    expect(report.backends.find((b) => b.backend === 'seatbelt')).toMatchObject({
      available: false,
      reason: expect.stringContaining('macOS only') as string,
    });
  });
});
