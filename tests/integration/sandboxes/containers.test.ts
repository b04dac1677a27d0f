// What only the container backends (docker = runc, gvisor = runsc) promise: the runtime is really the
// one named, resource limits end a session with exit 70 and an audit event, the host stays unharmed,
// and no container outlives its warden — not even one killed with SIGKILL (its watchdog removes the
// container; if the watchdog dies too, the next start reaps it).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execaSync } from 'execa';
import type { ContainerCreateBody } from '../../../src/sandboxes/docker/container-plan.ts';
import { dockerConnection } from '../../../src/sandboxes/docker/docker-connection.ts';
import { currentOwner, formatOwner, OWNER_LABEL } from '../../../src/sandboxes/docker/owner.ts';
import { reapOrphans } from '../../../src/sandboxes/docker/reap.ts';
import { nodeImageRef } from '../../../src/sandboxes/docker/image/node-image.ts';
import {
  CONTAINER_PROFILES,
  ourContainers,
  shareWithSandbox,
  watchdogPids,
} from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  ECHO_SERVER,
  exitWithin,
  HOSTILE_SERVER,
  initializeRaw,
  type RawMessage,
  runArgs,
  spawnWardenRaw,
  startWarden,
  WARDEN_ENTRY,
} from '../../helpers/warden.ts';

const isReply = (id: number) => (m: RawMessage) => m.id === id && ('result' in m || 'error' in m);

function auditEvents(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(CONTAINER_PROFILES)('container backend $profile', ({ profile, enabled, status }) => {
  describe.runIf(enabled)(`(${status})`, () => {
    afterAll(async () => {
      expect(await ourContainers()).toEqual([]);
    });

    it('the server runs in the named runtime, as a non-root user, from the offline image', async () => {
      const ROOT = shareWithSandbox(tmpRoot(`containers-sysinfo-${profile}`), profile);
      const warden = await startWarden({
        profile,
        roots: [ROOT],
        command: [process.execPath, HOSTILE_SERVER, '--root', ROOT],
      });
      const result = await warden.client.callTool({ name: 'sysinfo', arguments: {} });
      const info = JSON.parse(
        (result as { content: Array<{ text: string }> }).content[0]?.text ?? '{}',
      ) as Record<string, unknown>;
      await warden.close();
      expect(info.inContainer).toBe(true);
      expect(info.hostname).toBe('mcp-warden');
      expect(info.uid).not.toBe(0);
      expect(info.execPath).toBe('/usr/local/bin/node');
      if (profile === 'gvisor') {
        // gVisor's Sentry reports its own kernel release, never the host's.
        expect(info.release).not.toBe(os.release());
        expect(info.release).toBe('4.4.0');
      } else {
        expect(info.release).toBe(os.release());
      }
      expect(await ourContainers()).toEqual([]);
    });

    it('no capabilities, not even bounding ones; the seccomp filter active (runc: and no-new-privileges)', async () => {
      const ROOT = shareWithSandbox(tmpRoot(`containers-caps-${profile}`), profile);
      const warden = await startWarden({
        profile,
        roots: [ROOT],
        command: [process.execPath, HOSTILE_SERVER, '--root', ROOT],
      });
      const result = await warden.client.callTool({ name: 'caps', arguments: {} });
      const caps = JSON.parse(
        (result as { content: Array<{ text: string }> }).content[0]?.text ?? '{}',
      ) as Record<string, string>;
      await warden.close();
      expect(caps).toMatchObject({
        CapEff: '0000000000000000',
        CapPrm: '0000000000000000',
        CapBnd: '0000000000000000',
      });
      // Filter mode: the warden's profile is active. Under gVisor the Sentry enforces it (runsc runs
      // with --oci-seccomp, or the backend is unavailable), and runsc itself runs under its own filter.
      expect(caps.Seccomp).toBe('2');
      // gVisor implements no no_new_privs for its guests (there is no setuid path to the host anyway).
      if (profile === 'docker') expect(caps.NoNewPrivs).toBe('1');
    });

    it.each([
      { mode: 'fork-bomb', limit: 'pids', extra: ['--memory', '2048'] },
      { mode: 'memory-hog', limit: 'memory', extra: ['--memory', '128'] },
    ])(
      '$mode is stopped by the $limit limit: -32002 sandbox.limit, exit 70, an audit event, the host unharmed',
      async ({ mode, limit, extra }) => {
        const ROOT = shareWithSandbox(tmpRoot(`containers-${mode}-${profile}`), profile);
        const audit = path.join(tmpRoot(`containers-audit-${profile}`), 'audit.jsonl');
        const warden = spawnWardenRaw(
          runArgs({
            profile,
            roots: [ROOT],
            auditLog: audit,
            extraArgs: extra,
            command: [process.execPath, HOSTILE_SERVER, '--root', ROOT],
          }),
        );
        await initializeRaw(warden);
        warden.send({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'misbehave', arguments: { mode } },
        });
        const reply = await warden.waitFor(isReply(7), 60_000);
        expect(reply.error, JSON.stringify(reply)).toMatchObject({
          code: -32002,
          data: { rule: 'sandbox.limit' },
        });
        expect(reply.error?.message).toContain(`${limit} limit`);
        expect(await exitWithin(warden, 20_000)).toEqual({ code: 70, signal: null });
        const stop = auditEvents(audit).find((e) => e.event === 'sandbox.stop');
        expect(stop).toMatchObject({ limit });
        expect(auditEvents(audit).at(-1)).toMatchObject({ event: 'session.end', exitCode: 70 });
        // The host is unharmed: it still starts processes, and nothing of the sandbox is left.
        expect(execaSync(process.execPath, ['-e', 'process.stdout.write("alive")']).stdout).toBe('alive');
        expect(await ourContainers()).toEqual([]);
      },
      120_000,
    );

    /** A warden whose server ignores the end of its stdin, once its container runs; and its pid. */
    async function stubbornWarden(): Promise<{ warden: ReturnType<typeof spawnWardenRaw>; pid: number }> {
      const warden = spawnWardenRaw(
        runArgs({ profile, command: [process.execPath, '-e', 'setInterval(() => {}, 1e9)'] }),
      );
      const pid = warden.child.pid as number;
      // Running, not just created: the scenario is a warden killed while its server runs.
      await expect
        .poll(
          async () =>
            (await ourContainers()).filter((c) => c.includes(`mcp-warden-${pid}-`) && c.endsWith(' running'))
              .length,
          {
            timeout: 20_000,
          },
        )
        .toBe(1);
      return { warden, pid };
    }

    it('a warden killed with SIGKILL: its watchdog removes the container within seconds, then exits', async () => {
      const { warden, pid } = await stubbornWarden();
      const watchdogs = watchdogPids(pid);
      expect(watchdogs, 'one watchdog per warden').toHaveLength(1);
      warden.child.kill('SIGKILL');
      const killed = Date.now();
      await exitWithin(warden, 5_000);
      await expect
        .poll(async () => (await ourContainers()).filter((c) => c.includes(`mcp-warden-${pid}-`)), {
          timeout: 5_000,
          interval: 100,
        })
        .toEqual([]);
      const elapsed = Date.now() - killed;
      expect(elapsed).toBeLessThan(5_000);
      // The watchdog is not left behind either (it makes a second pass 2 s later, for a create in flight).
      await expect.poll(() => watchdogPids(pid), { timeout: 5_000, interval: 100 }).toEqual([]);
    }, 60_000);

    it('a warden that ends normally: its watchdog exits as well, without touching the engine', async () => {
      const warden = await startWarden({ profile, command: [process.execPath, ECHO_SERVER] });
      expect(watchdogPids(warden.pid)).toHaveLength(1);
      await warden.close();
      await expect.poll(() => watchdogPids(warden.pid), { timeout: 3_000, interval: 50 }).toEqual([]);
      expect(await ourContainers()).toEqual([]);
    }, 60_000);

    it('a warden and its watchdog both SIGKILLed leave the container; the next warden start reaps it', async () => {
      const { warden, pid } = await stubbornWarden();
      const watchdogs = watchdogPids(pid);
      expect(watchdogs).toHaveLength(1);
      for (const watchdog of watchdogs) process.kill(watchdog, 'SIGKILL');
      await expect.poll(() => watchdogPids(pid), { timeout: 2_000, interval: 20 }).toEqual([]);
      warden.child.kill('SIGKILL');
      await exitWithin(warden, 5_000);
      const left = (await ourContainers()).filter((c) => c.includes(`mcp-warden-${pid}-`));
      // Other test files share this engine: a warden of theirs starting now reaps the orphan first.
      if (left.length === 0) return;
      expect(left[0]).toContain('running');
      // Any later session of a container backend reaps it before its own container starts.
      const next = await startWarden({ profile, command: [process.execPath, ECHO_SERVER] });
      const names = await ourContainers();
      expect(
        names.some((n) => n.includes(`mcp-warden-${pid}-`)),
        names.join('\n'),
      ).toBe(false);
      await next.close();
      expect(await ourContainers()).toEqual([]);
    }, 60_000);

    it('the reaper removes a dead warden’s container in any state (created, never started) and spares live ones', async () => {
      const engine = await dockerConnection();
      const image = nodeImageRef(undefined).tag;
      const self = currentOwner();
      const dead = formatOwner({ ...self, pid: self.pid, startTime: `${self.startTime}0` }); // same pid, other start: gone
      const alive = formatOwner(self);
      const make = (owner: string) =>
        engine.createContainer({
          Image: image,
          Cmd: ['/usr/local/bin/node', '-e', '0'],
          Labels: { [OWNER_LABEL]: owner },
        });
      const mine = await make(alive);
      try {
        // Every warden start reaps, and other test files start wardens beside this one: one of them
        // may take the orphan first. That orphan is gone all the same; a fresh one is made, three times at
        // most, until this call is the one that removes it.
        let reapedHere = false;
        for (let attempt = 0; attempt < 3 && !reapedHere; attempt++) {
          const orphan = await make(dead);
          try {
            const removed = await reapOrphans(engine);
            expect(removed).not.toContain(mine.id);
            await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
            reapedHere = removed.includes(orphan.id);
          } finally {
            await orphan.remove({ force: true }).catch(() => undefined);
          }
        }
        expect(reapedHere).toBe(true);
        expect((await mine.inspect()).State.Status).toBe('created');
      } finally {
        await mine.remove({ force: true }).catch(() => undefined);
      }
    });

    it("a profile's own image: used when present, a clear exit 69 when the engine lacks it", async () => {
      const dir = tmpRoot(`containers-image-${profile}`);
      const offline = nodeImageRef(undefined);
      const tag = `mcp-warden-test/custom-${profile}:1`;
      const engine = await dockerConnection();
      await engine.getImage(offline.tag).tag({ repo: tag.split(':')[0] as string, tag: '1' });
      try {
        const write = (name: string, image: string): string => {
          const file = path.join(dir, name);
          writeFileSync(
            file,
            JSON.stringify({
              name: 'custom',
              backend: profile,
              container: { image, runtime: '/usr/local/bin/node' },
            }),
          );
          return file;
        };
        const warden = await startWarden({
          profile: write('ok.json', tag) as 'docker',
          command: [process.execPath, ECHO_SERVER],
        });
        const echoed = await warden.client.callTool({
          name: 'echo',
          arguments: { text: 'from the custom image' },
        });
        expect(JSON.stringify(echoed)).toContain('from the custom image');
        await warden.close();
        const missing = spawnWardenRaw(
          runArgs({
            profile: write('missing.json', 'mcp-warden-test/absent:9') as 'docker',
            command: [process.execPath, ECHO_SERVER],
          }),
        );
        expect((await exitWithin(missing, 20_000)).code).toBe(69);
        expect(missing.stderr()).toMatch(
          /mcp-warden-test\/absent:9 is not in the docker engine[\s\S]*docker build/,
        );
      } finally {
        await engine
          .getImage(tag)
          .remove()
          .catch(() => undefined);
      }
      expect(await ourContainers()).toEqual([]);
    });

    it('explain prints the full hardened container spec without starting anything', () => {
      const ROOT = tmpRoot(`containers-explain-${profile}`);
      const out = execaSync(process.execPath, [
        WARDEN_ENTRY,
        'explain',
        '--profile',
        profile,
        '--root',
        `${ROOT}:ro`,
        '--',
        process.execPath,
        ECHO_SERVER,
      ]);
      const explained = JSON.parse(out.stdout) as { details: { container: ContainerCreateBody } };
      const body = explained.details.container;
      expect(body.HostConfig).toMatchObject({
        Runtime: profile === 'gvisor' ? 'runsc' : 'runc',
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        Privileged: false,
        Init: true,
      });
      // no-new-privileges, and the warden's seccomp profile in place of the engine's default.
      expect(body.HostConfig.SecurityOpt[0]).toBe('no-new-privileges:true');
      expect(body.HostConfig.SecurityOpt[1]).toMatch(/^seccomp=\{"defaultAction":"SCMP_ACT_ERRNO"/);
      expect(body.HostConfig.SecurityOpt).toHaveLength(2);
      expect(body.HostConfig.Mounts).toContainEqual(
        expect.objectContaining({ Source: ROOT, Target: ROOT, ReadOnly: true }),
      );
      expect(body.User).not.toMatch(/^0:/);
      expect(JSON.stringify(body)).not.toContain('docker.sock');
    });
  });
});
