// Python servers installed in a virtualenv (pip, pipx and `uv tool` layouts), on the real `mcp` Python
// SDK, driven by the TypeScript SDK client through `mcp-warden run`: the venv is mounted read-only at
// its own path and active (sys.prefix is the venv), its base interpreter and standard library are
// there, and the native extensions of its dependencies (pydantic-core, rpds, cffi, cryptography) load
// because the libraries they link are mounted too.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  NONE_PROFILE,
  isContainer,
  ourContainers,
  shareWithSandbox,
} from '../helpers/containers.ts';
import { FIXTURE_SCRIPT, pipVenv, uvLayoutVenv } from '../helpers/python-venvs.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { type StartedWarden, startWarden } from '../helpers/warden.ts';

const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

const pip = pipVenv();
const uv = uvLayoutVenv();

/** How the server is started: each resolves to the venv's interpreter with the venv active. */
const FORMS = [
  {
    name: 'pip venv console script (shebang into the venv)',
    venv: pip,
    command: () => (pip.ok ? [pip.script] : []),
  },
  {
    name: 'pip venv: python -m PKG with the venv interpreter',
    venv: pip,
    command: () => (pip.ok ? [pip.python, '-m', 'mcp_warden_fixture'] : []),
  },
  {
    name: "pip venv: the venv's python running a script outside the venv",
    venv: pip,
    command: () => (pip.ok ? [pip.python, FIXTURE_SCRIPT] : []),
  },
  {
    name: 'uv layout: console script through a link in a bin dir (uv tool install)',
    venv: uv,
    command: () => (uv.ok ? [uv.entry] : []),
  },
] as const;

describe.each([NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE])(
  'a Python server in a virtualenv, profile $profile',
  ({ profile, enabled, status }) => {
    describe.each(FORMS)('$name', ({ venv, command }) => {
      describe.runIf(enabled && venv.ok)(`(${enabled ? venv.status : status})`, () => {
        let ROOT: string;
        let warden: StartedWarden;

        beforeAll(async () => {
          ROOT = shareWithSandbox(tmpRoot(`python-venv-${profile}`), profile);
          warden = await startWarden({ profile, roots: [ROOT], command: command() });
        }, 120_000);

        afterAll(async () => {
          await warden?.close();
          if (isContainer(profile)) expect(await ourContainers()).toEqual([]);
        });

        it('starts, and sys.prefix is the venv (it is active)', async () => {
          const { tools } = await warden.client.listTools();
          expect(tools.map((t) => t.name).sort()).toEqual([
            'native_modules',
            'python_prefix',
            'remember',
            'write_file',
          ]);
          const where = JSON.parse(
            text(await warden.client.callTool({ name: 'python_prefix', arguments: {} })),
          ) as { prefix: string; base_prefix: string };
          expect(venv.ok && where.prefix).toBe(venv.ok && venv.dir);
          expect(where.base_prefix).not.toBe(where.prefix);
        });

        it('the native extensions of its dependencies load', async () => {
          const loaded = JSON.parse(
            text(await warden.client.callTool({ name: 'native_modules', arguments: {} })),
          ) as Record<string, unknown>;
          expect(loaded).toEqual({
            'pydantic_core._pydantic_core': true,
            'rpds.rpds': true,
            _cffi_backend: true,
            'cryptography.hazmat.bindings._rust': true,
          });
        });

        it('writes a file in its root', async () => {
          const file = path.join(ROOT, 'from-python.txt');
          const result = await warden.client.callTool({
            name: 'write_file',
            arguments: { path: file, text: 'written from the venv' },
          });
          expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
          expect(existsSync(file) && readFileSync(file, 'utf8')).toBe('written from the venv');
        });
      });
    });
  },
);
