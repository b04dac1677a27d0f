// The real @modelcontextprotocol/server-memory keeps its knowledge graph across sessions when its
// MEMORY_FILE_PATH lies in a root. Without the variable it writes next to its own script
// (dist/memory.jsonl, not in HOME), which is read-only in every sandbox: the server's HOME cannot fix
// that, so `run` warns about a MEMORY_FILE_PATH outside the roots and `wrap` makes its directory a root.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  ISOLATE_PROFILE,
  NONE_PROFILE,
  isContainer,
  ourContainers,
  shareWithSandbox,
} from '../helpers/containers.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, startWarden } from '../helpers/warden.ts';

const PACKAGE = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-memory');
const MEMORY_SERVER = path.join(PACKAGE, 'dist/index.js');
const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

describe.each([NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE, ISOLATE_PROFILE])(
  'server-memory remembers across two sessions, profile $profile',
  ({ profile, enabled, status }) => {
    describe.runIf(enabled)(`(${status})`, () => {
      let ROOT: string;
      let STATE: string;
      let memoryFile: string;
      const session = (): ReturnType<typeof startWarden> =>
        startWarden({
          profile,
          roots: [ROOT],
          env: [`MEMORY_FILE_PATH=${memoryFile}`],
          command: [process.execPath, MEMORY_SERVER],
          wardenEnv: { ...process.env, MCP_WARDEN_STATE_DIR: STATE },
        });

      beforeAll(() => {
        ROOT = shareWithSandbox(tmpRoot(`memory-sessions-${profile}`), profile);
        STATE = tmpRoot(`memory-state-${profile}`);
        memoryFile = path.join(ROOT, 'claude-memory.jsonl');
      });

      afterAll(async () => {
        if (isContainer(profile)) expect(await ourContainers()).toEqual([]);
      });

      it('session 1 creates entities; session 2 finds them', async () => {
        const first = await session();
        try {
          const created = await first.client.callTool({
            name: 'create_entities',
            arguments: {
              entities: [
                { name: 'Grace_Hopper', entityType: 'person', observations: ['found the first bug'] },
              ],
            },
          });
          expect(created.isError ?? false, JSON.stringify(created)).toBe(false);
        } finally {
          await first.close();
        }
        expect(readFileSync(memoryFile, 'utf8')).toContain('Grace_Hopper');
        const second = await session();
        try {
          const found = await second.client.callTool({ name: 'search_nodes', arguments: { query: 'bug' } });
          const graph = JSON.parse(text(found)) as { entities: Array<{ name: string }> };
          expect(graph.entities.map((e) => e.name)).toEqual(['Grace_Hopper']);
        } finally {
          await second.close();
        }
      });
    });
  },
);

describe.runIf(BWRAP_PROFILE.enabled)('server-memory without MEMORY_FILE_PATH (bwrap)', () => {
  it('writes next to its own script, which is read-only: HOME does not help, the package stays untouched', async () => {
    const defaultFile = path.join(PACKAGE, 'dist/memory.jsonl');
    const before = existsSync(defaultFile);
    const warden = await startWarden({
      profile: 'bwrap',
      command: [process.execPath, MEMORY_SERVER],
      wardenEnv: { ...process.env, MCP_WARDEN_STATE_DIR: tmpRoot('memory-state-default') },
    });
    try {
      const result = await warden.client.callTool({
        name: 'create_entities',
        arguments: { entities: [{ name: 'Nobody', entityType: 'person', observations: [] }] },
      });
      expect(result.isError, JSON.stringify(result)).toBe(true);
      expect(text(result)).toMatch(/EROFS|read-only/i);
    } finally {
      await warden.close();
    }
    expect(existsSync(defaultFile)).toBe(before);
  });
});
