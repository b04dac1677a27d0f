// Issue 15, item 3: who a container runs as when the warden is root. Never uid 0; the owner of the
// first rw root, so a file the server creates in the user's folder belongs to that user, and no advice
// ever hands the user's files to someone else (chown).
import { chownSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTAINER_PROFILES, ourContainers } from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { HOSTILE_SERVER, PROJECT_ROOT, startWarden } from '../../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
/** A normal user's uid, as the owner of a folder (no account needed: a numeric owner is enough). */
const USER = 1000;
const asRoot = process.getuid?.() === 0;

type CallResult = { content?: Array<{ text?: string }>; isError?: boolean };

describe.each(CONTAINER_PROFILES)('container user as root, $profile', ({ profile, enabled, status }) => {
  describe.runIf(enabled && asRoot)(`(${status}, running as root)`, () => {
    afterAll(async () => {
      expect(await ourContainers()).toEqual([]);
    });

    it("a rw root owned by a normal user: server-filesystem writes there, and the file is that user's", async () => {
      const root = tmpRoot(`container-user-${profile}`);
      mkdirSync(path.join(root, 'docs'));
      for (const dir of [root, path.join(root, 'docs')]) chownSync(dir, USER, USER);
      const warden = await startWarden({
        profile,
        roots: [root],
        command: [process.execPath, FS_SERVER, root],
      });
      try {
        const file = path.join(root, 'docs', 'note.txt');
        const result = (await warden.client.callTool({
          name: 'write_file',
          arguments: { path: file, content: 'written through the sandbox\n' },
        })) as CallResult;
        expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
        const stat = statSync(file);
        expect({ uid: stat.uid, gid: stat.gid }).toEqual({ uid: USER, gid: USER });
        // Nothing in the user's folder changed owner.
        expect(statSync(root).uid).toBe(USER);
        expect(warden.stderr()).not.toMatch(/chown/);
      } finally {
        await warden.close();
      }
    });

    it('a rw root owned by root: the container still does not run as 0 (nobody), and the warning never says chown', async () => {
      const root = tmpRoot(`container-user-root-${profile}`); // root-owned, 0700
      const warden = await startWarden({
        profile,
        roots: [root],
        command: [process.execPath, HOSTILE_SERVER, '--root', root],
      });
      try {
        const result = (await warden.client.callTool({ name: 'sysinfo', arguments: {} })) as CallResult;
        const info = JSON.parse(result.content?.[0]?.text ?? '{}') as { uid?: number; inContainer?: boolean };
        expect(info.inContainer).toBe(true);
        expect(info.uid).toBe(65534);
        expect(warden.stderr()).toMatch(
          new RegExp(
            `--root ${root}: the sandbox user 65534:65534 cannot read it \\(owner 0, mode 700\\); a container never runs as root`,
          ),
        );
        expect(warden.stderr()).not.toMatch(/chown/);
        expect(statSync(root).uid).toBe(0);
      } finally {
        await warden.close();
      }
    });
  });
});
