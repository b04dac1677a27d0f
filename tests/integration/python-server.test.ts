// A Python MCP server (standard library only) behind the warden: the interpreter's standard library,
// site-packages and the libraries its extension modules link are mounted read-only, so it runs under
// every OS-level backend like a node server does.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  NONE_PROFILE,
  ourContainers,
  isContainer,
  shareWithSandbox,
} from '../helpers/containers.ts';
import { outsideSecret, tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, type StartedWarden, startWarden } from '../helpers/warden.ts';

const PYTHON = '/usr/bin/python3';
const SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/python-server.py');
const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

describe.each([NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE])(
  'a Python server, profile $profile',
  ({ profile, enabled, status }) => {
    describe.runIf(enabled && existsSync(PYTHON))(
      `(${existsSync(PYTHON) ? status : `SKIPPED: no ${PYTHON}`})`,
      () => {
        let ROOT: string;
        let warden: StartedWarden;

        beforeAll(async () => {
          ROOT = tmpRoot(`python-${profile}`);
          writeFileSync(path.join(ROOT, 'note.txt'), 'from the root\n');
          shareWithSandbox(ROOT, profile);
          warden = await startWarden({ profile, roots: [ROOT], command: [PYTHON, SERVER] });
        });

        afterAll(async () => {
          await warden?.close();
          if (isContainer(profile)) expect(await ourContainers()).toEqual([]);
        });

        it('starts, lists its tools and answers', async () => {
          const { tools } = await warden.client.listTools();
          expect(tools.map((t) => t.name)).toEqual(['echo', 'read_file', 'modules']);
          expect(
            text(await warden.client.callTool({ name: 'echo', arguments: { text: 'hi from python' } })),
          ).toBe('hi from python');
        });

        it('reads inside its root; the policy refuses an outside path', async () => {
          expect(
            text(
              await warden.client.callTool({
                name: 'read_file',
                arguments: { path: path.join(ROOT, 'note.txt') },
              }),
            ),
          ).toBe('from the root\n');
          const secret = outsideSecret();
          await expect(
            warden.client.callTool({ name: 'read_file', arguments: { path: secret.file } }),
          ).rejects.toMatchObject({ code: -32001 });
        });

        it('extension modules that link their own libraries load (ssl, sqlite3, ctypes, hashlib)', async () => {
          const loaded = JSON.parse(
            text(await warden.client.callTool({ name: 'modules', arguments: {} })),
          ) as Record<string, unknown>;
          expect(loaded).toEqual({ ssl: true, sqlite3: true, ctypes: true, hashlib: true });
        });
      },
    );
  },
);
