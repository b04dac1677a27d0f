// The real @modelcontextprotocol/server-memory behind the warden: its knowledge graph file lives
// inside the root and is named through `--env MEMORY_FILE_PATH=...`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  ISOLATE_PROFILE,
  NONE_PROFILE,
  shareWithSandbox,
} from '../helpers/containers.ts';
import { expectNoProcesses } from '../helpers/processes.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, type StartedWarden, startWarden } from '../helpers/warden.ts';

const MEMORY_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);

function text(result: unknown): string {
  const first = (result as { content?: Array<{ text?: string }> }).content?.[0];
  return first?.text ?? '';
}

describe.each([NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE, ISOLATE_PROFILE])(
  'server-memory through the warden, profile $profile',
  ({ profile, enabled, status }) => {
    describe.runIf(enabled)(`(${status})`, () => {
      let ROOT: string;
      let MEMORY_FILE: string;
      let warden: StartedWarden;

      beforeAll(async () => {
        ROOT = shareWithSandbox(tmpRoot(`memory-${profile}`), profile);
        MEMORY_FILE = path.join(ROOT, 'memory.jsonl');
        warden = await startWarden({
          profile,
          roots: [ROOT],
          env: [`MEMORY_FILE_PATH=${MEMORY_FILE}`],
          command: [process.execPath, MEMORY_SERVER, ROOT],
        });
      });

      afterAll(async () => {
        await warden?.close();
        if (ROOT) await expectNoProcesses(ROOT);
      });

      it('create_entities stores entities in the memory file inside the root', async () => {
        const result = await warden.client.callTool({
          name: 'create_entities',
          arguments: {
            entities: [
              { name: 'Ada_Lovelace', entityType: 'person', observations: ['wrote the first program'] },
              { name: 'Analytical_Engine', entityType: 'machine', observations: ['designed by Babbage'] },
            ],
          },
        });
        expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
        expect(text(result)).toContain('Ada_Lovelace');
        expect(existsSync(MEMORY_FILE)).toBe(true);
        const stored = readFileSync(MEMORY_FILE, 'utf8');
        expect(stored).toContain('Ada_Lovelace');
        expect(stored).toContain('wrote the first program');
      });

      it('read_graph returns what was stored', async () => {
        const result = await warden.client.callTool({ name: 'read_graph', arguments: {} });
        const graph = JSON.parse(text(result)) as { entities: Array<{ name: string }> };
        expect(graph.entities.map((e) => e.name).sort()).toEqual(['Ada_Lovelace', 'Analytical_Engine']);
      });

      it('search_nodes finds by observation text', async () => {
        const result = await warden.client.callTool({
          name: 'search_nodes',
          arguments: { query: 'Babbage' },
        });
        const graph = JSON.parse(text(result)) as { entities: Array<{ name: string }> };
        expect(graph.entities.map((e) => e.name)).toEqual(['Analytical_Engine']);
      });
    });
  },
);
