// `uvx PKG`, `uv tool run PKG` and `pipx run PKG` behind the warden: the package is installed on the
// host into a venv in the warden's cache (wheels only: no package code runs on the host), then its
// console script runs in the sandbox with the venv active, like `npx -y`. No network inside.
// uv cannot be installed on this machine: a fake `uv` (tests/fixtures/fake-uv.mjs) answers the two
// commands the warden runs and makes uv's venv layout; real uv was not run. `pipx run` needs no pipx:
// the warden does what pipx does (a venv and pip), with the real pip and the real `mcp` SDK.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BWRAP_PROFILE, GVISOR_PROFILE, isContainer, ourContainers } from '../helpers/containers.ts';
import { fixtureWheels, pipVenv, QUICK_PIP_ENV, uvLayoutVenv } from '../helpers/python-venvs.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, WARDEN_ENTRY, startWarden } from '../helpers/warden.ts';

const FAKE_UV = path.join(PROJECT_ROOT, 'tests/fixtures/fake-uv.mjs');
const pip = pipVenv();
const uv = uvLayoutVenv();
const wheels = fixtureWheels();
const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

/** `mcp-warden explain ARGS`: its exit code, stdout and stderr (installs happen here, before any session). */
function explain(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WARDEN_ENTRY, 'explain', ...args], { env, cwd: PROJECT_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(pip.ok && uv.ok && wheels !== undefined)(
  `uvx, uv tool run and pipx run (${pip.ok ? 'real pip, fake uv' : pip.status})`,
  () => {
    let CACHE: string;
    let LOG: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(() => {
      const bin = tmpRoot('fake-uv-bin');
      writeFileSync(path.join(bin, 'uv'), `#!/bin/sh\nexec '${process.execPath}' '${FAKE_UV}' "$@"\n`);
      chmodSync(path.join(bin, 'uv'), 0o755);
      CACHE = tmpRoot('python-tools-cache');
      LOG = path.join(tmpRoot('fake-uv-log'), 'uv.log');
      env = {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        ...QUICK_PIP_ENV,
        MCP_WARDEN_CACHE_DIR: CACHE,
        MCP_WARDEN_STATE_DIR: tmpRoot('python-tools-state'),
        // The fixture is not on any index: pip finds its wheel here (besides the machine's own settings).
        PIP_FIND_LINKS: `${wheels} ${process.env.PIP_FIND_LINKS ?? ''}`.trim(),
        FAKE_UV_PYTHON: uv.ok ? uv.base : '',
        FAKE_UV_PIP: pip.ok ? path.join(pip.dir, 'bin', 'pip') : '',
        FAKE_UV_LOG: LOG,
      };
    });

    afterAll(async () => {
      expect(await ourContainers()).toEqual([]);
    });

    it('uvx PKG: installs once with `uv venv` and `uv pip install --no-build` into the cache', async () => {
      const result = await explain(['--profile', 'bwrap', '--', 'uvx', 'mcp-warden-fixture'], env);
      expect(result.code, result.stderr).toBe(0);
      const plan = JSON.parse(result.stdout) as { argv: string[]; stateHome: { name: string } };
      const calls = readFileSync(LOG, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as string[]);
      const venv = calls[0]?.at(-1) as string;
      expect(path.dirname(venv)).toBe(path.join(CACHE, 'py'));
      expect(calls).toEqual([
        ['venv', '--quiet', venv],
        [
          'pip',
          'install',
          '--quiet',
          '--no-build',
          '--python',
          path.join(venv, 'bin', 'python'),
          'mcp-warden-fixture',
        ],
      ]);
      expect(readFileSync(path.join(venv, 'pyvenv.cfg'), 'utf8')).toMatch(/^uv = /m);
      expect(plan.argv.slice(-2)).toEqual([
        path.join(venv, 'bin', 'python'),
        path.join(venv, 'bin', 'mcp-warden-fixture'),
      ]);
      expect(plan.stateHome.name).toBe('pypi-mcp-warden-fixture');
    }, 300_000);

    describe.each([BWRAP_PROFILE, GVISOR_PROFILE])(
      'in the sandbox, profile $profile',
      ({ profile, enabled, status }) => {
        describe.runIf(enabled)(`(${status})`, () => {
          it.each([
            ['uvx PKG', ['uvx', 'mcp-warden-fixture']],
            [
              'uv tool run --from PKG CMD',
              ['uv', 'tool', 'run', '--from', 'mcp-warden-fixture', 'mcp-warden-fixture'],
            ],
            [
              'pipx run --spec PKG CMD',
              ['pipx', 'run', '--spec', 'mcp-warden-fixture', 'mcp-warden-fixture'],
            ],
          ])(
            '%s: the tools answer from the cached venv, which is active',
            async (_name, command) => {
              // Installs (pipx's first time) happen in explain, outside the client's initialize timeout.
              const prepared = await explain(['--profile', profile, '--', ...command], env);
              expect(prepared.code, prepared.stderr).toBe(0);
              const warden = await startWarden({ profile, command, wardenEnv: env });
              try {
                const where = JSON.parse(
                  text(await warden.client.callTool({ name: 'python_prefix', arguments: {} })),
                ) as {
                  prefix: string;
                };
                expect(path.dirname(where.prefix)).toBe(path.join(CACHE, 'py'));
                const loaded = JSON.parse(
                  text(await warden.client.callTool({ name: 'native_modules', arguments: {} })),
                );
                expect(
                  Object.values(loaded as object).every((value) => value === true),
                  JSON.stringify(loaded),
                ).toBe(true);
              } finally {
                await warden.close();
              }
              if (isContainer(profile)) expect(await ourContainers()).toEqual([]);
            },
            300_000,
          );
        });
      },
    );

    it('uvx and uv tool run share one install; pipx run has its own, made by the venv module', () => {
      const calls = readFileSync(LOG, 'utf8').trim().split('\n');
      expect(calls.filter((line) => line.startsWith('["venv"'))).toHaveLength(1);
      const made = readdirSync(path.join(CACHE, 'py')).map((name) =>
        /^uv = /m.test(readFileSync(path.join(CACHE, 'py', name, 'pyvenv.cfg'), 'utf8')) ? 'uv' : 'venv',
      );
      expect(made.sort()).toEqual(['uv', 'venv']);
    });

    it('without uv on PATH, uvx is a resolve error that says so', async () => {
      const result = await explain(['--profile', 'bwrap', '--', 'uvx', 'some-other-package'], {
        ...env,
        PATH: '/usr/bin:/bin',
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/uvx needs uv on the host/);
      expect(existsSync(path.join(CACHE, 'py'))).toBe(true);
    });
  },
);
