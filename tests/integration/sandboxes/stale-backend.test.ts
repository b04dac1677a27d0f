// Issue 15, item 9: a backend choice cached by a session with Docker access must not be reused by one
// without it (same machine, other uid or groups). The group change is simulated by running the warden
// as a uid that cannot open the docker socket, with a cache that already holds root's probe results.
import { chownSync, cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BWRAP_AVAILABLE, ECHO_SERVER, PROJECT_ROOT, WARDEN_ENTRY } from '../../helpers/warden.ts';
import { DOCKER_PROFILE } from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const NOBODY = 65534;
const SETPRIV = ['/usr/bin/setpriv', '--reuid', `${NOBODY}`, '--regid', `${NOBODY}`, '--clear-groups'];
const canDrop = process.getuid?.() === 0 && existsSync(SETPRIV[0]!);

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(child, uid);
    else chownSync(child, uid, uid);
  }
}

describe.runIf(canDrop && DOCKER_PROFILE.enabled && BWRAP_AVAILABLE)(
  'stale backend choice (root, docker, bwrap)',
  () => {
    it("a login without docker access ignores root's cached probe: auto picks bwrap and the session works", async () => {
      // Root's session: auto probes the container backends and caches their success.
      const rootCache = tmpRoot('stale-root-cache');
      const rootState = tmpRoot('stale-root-state');
      const asRoot = await execa(
        process.execPath,
        [WARDEN_ENTRY, 'explain', '--profile', 'auto', '--', process.execPath, ECHO_SERVER],
        {
          env: { MCP_WARDEN_CACHE_DIR: rootCache, MCP_WARDEN_STATE_DIR: rootState },
          cwd: PROJECT_ROOT,
          reject: false,
        },
      );
      expect(asRoot.exitCode, asRoot.stderr).toBe(0);
      const rootPick = (JSON.parse(asRoot.stdout) as { backend: string }).backend;
      expect(['gvisor', 'docker']).toContain(rootPick);

      // The same cache, as a user that cannot open the docker socket (the docker group dropped).
      const cache = tmpRoot('stale-user-cache');
      const state = tmpRoot('stale-user-state');
      cpSync(path.join(rootCache, 'facts'), path.join(cache, 'facts'), { recursive: true });
      chownTree(cache, NOBODY);
      chownTree(state, NOBODY);
      const env = {
        MCP_WARDEN_CACHE_DIR: cache,
        MCP_WARDEN_STATE_DIR: state,
        HOME: state,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
      };

      const explained = await execa(
        SETPRIV[0]!,
        [
          ...SETPRIV.slice(1),
          process.execPath,
          WARDEN_ENTRY,
          'explain',
          '--profile',
          'auto',
          '--',
          process.execPath,
          ECHO_SERVER,
        ],
        {
          env,
          extendEnv: false,
          cwd: PROJECT_ROOT,
          reject: false,
        },
      );
      expect(explained.exitCode, explained.stderr).toBe(0);
      expect((JSON.parse(explained.stdout) as { backend: string }).backend).toBe('bwrap');

      const transport = new StdioClientTransport({
        command: SETPRIV[0]!,
        args: [
          ...SETPRIV.slice(1),
          process.execPath,
          WARDEN_ENTRY,
          'run',
          '--profile',
          'auto',
          '--',
          process.execPath,
          ECHO_SERVER,
        ],
        env,
        cwd: PROJECT_ROOT,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const client = new Client({ name: 'stale-backend', version: '1.0.0' });
      try {
        await client.connect(transport);
        const result = (await client.callTool({ name: 'echo', arguments: { text: 'still works' } })) as {
          content: Array<{ text: string }>;
        };
        expect(result.content[0]?.text, stderr).toContain('still works');
        expect(stderr).not.toMatch(/EACCES/);
      } finally {
        await client.close();
      }
    });
  },
);
