// docker/gvisor containment (issue 20 items 3, 5 and 15).
//
// Issue (item 15): a warden killed with SIGKILL cannot remove its container, and a server that ignores
// the end of its stdin runs on (writing into its roots) until another warden starts and reaps it.
// Fix: a host watchdog per warden (src/sandboxes/docker/container-watchdog.ts) holds the read end of a
// lifeline pipe only the warden writes to; when the warden dies the pipe closes and the watchdog removes
// the warden's containers through the engine, whatever the server does.
//
// Issue (item 3): the container user could set setuid/setgid/sticky bits on files in a rw root, and the
// host sees them (setuid-nobody today, setuid-<owner of the roots> once containers run as that owner).
// Fix: the containers' seccomp profile (src/sandboxes/seccomp/docker-profile.ts) refuses such modes in
// chmod/fchmod/fchmodat/fchmodat2, creat/open/openat with O_CREAT or O_TMPFILE, mkdir, mknod; gVisor
// enforces it with runsc --oci-seccomp (the gvisor backend is unavailable without it).
import { chownSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dockerConnection } from '../../../src/sandboxes/docker/docker-connection.ts';
import { OWNER_LABEL, parseOwner } from '../../../src/sandboxes/docker/owner.ts';
import { watchdogPids } from '../../helpers/containers.ts';
import type { AttackCase, AttackContext, BackendName, Check } from '../types.ts';

type Result = Record<string, unknown>;

/** Seconds within which a SIGKILLed warden's container must be gone. */
const WATCHDOG_DEADLINE_S = 5;

const PROCESS_BACKENDS =
  'the sandbox is a child process of the warden that dies with it (bwrap --die-with-parent, the isolate host’s parent-death signal): tests/integration/sandboxes/lifecycle.test.ts';
const SETUID_ELSEWHERE = 'cases for this backend are in setuid.ts';
const CONTAINERS_ONLY: Partial<Record<BackendName, string>> = {
  bwrap: SETUID_ELSEWHERE,
  isolate: SETUID_ELSEWHERE,
};

/** Names and states of the containers the warden with `pid` still has in the engine. */
async function containersOf(pid: number): Promise<Array<{ id: string; label: string }>> {
  const engine = await dockerConnection();
  const list = await engine.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  return list
    .filter((info) => parseOwner(info.Labels[OWNER_LABEL] ?? '')?.pid === pid)
    .map((info) => ({ id: info.Id, label: `${info.Names.join(',')} ${info.State}` }));
}

async function removeAll(ids: string[]): Promise<void> {
  const engine = await dockerConnection();
  await Promise.all(
    ids.map((id) =>
      engine
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A file in the rw root owned by the container user, for the server to change the mode of. */
function plantTarget(ctx: AttackContext, name: string): string {
  const file = path.join(ctx.root, name);
  rmSync(file, { force: true });
  writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  if (process.getuid?.() === 0) chownSync(file, 65534, 65534);
  return file;
}

/** The chmod was refused with EPERM and the host sees no setuid/setgid/sticky bit on the file. */
const noSpecialBits =
  (name: string): Check<Result> =>
  (r, ctx) => {
    const mode = statSync(path.join(ctx.root, name)).mode & 0o7777;
    if ((mode & 0o7000) !== 0) return `the host sees mode ${mode.toString(8)} on ${name}`;
    if (r.ok !== false) return `the chmod reported success: ${JSON.stringify(r).slice(0, 200)}`;
    return r.code === 'EPERM' ? undefined : `refused with ${String(r.code)}, expected EPERM`;
  };

function chmodCase(id: string, mode: number, what: string): AttackCase {
  const name = `setuid-target-${id}`;
  return {
    id: `setuid.container-chmod-${id}`,
    family: 'setuid',
    title: `chmod ${mode.toString(8)} (${what}) on a file the server owns in a rw root`,
    layer: 'os',
    action: {
      kind: 'probe',
      probe: (ctx) => ({ op: 'chmod', path: plantTarget(ctx, name), mode }),
    },
    expect: {
      kind: 'contained',
      what: 'EPERM from the seccomp profile; the host sees no special bit',
      check: noSpecialBits(name),
    },
    notApplicable: CONTAINERS_ONLY,
  };
}

export const CONTAINER_CONTAINMENT_CASES: AttackCase[] = [
  chmodCase('setuid', 0o4755, 'setuid'),
  chmodCase('setgid', 0o2755, 'setgid'),
  chmodCase('sticky', 0o1777, 'sticky'),
  {
    id: 'containment.container-outlives-sigkilled-warden',
    family: 'containment',
    title: `a server that ignores stdin EOF keeps no container alive ${WATCHDOG_DEADLINE_S} s after its warden is SIGKILLed`,
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (_ctx, api) => {
        const warden = await api.warden();
        const pid = warden.child.pid as number;
        // The server's event loop spins, so it never sees the end of its stdin: a stubborn server.
        const spin = Buffer.from(JSON.stringify({ op: 'spin', ms: 60_000 })).toString('base64');
        warden.send({
          jsonrpc: '2.0',
          id: 'spin',
          method: 'tools/call',
          params: { name: 'probe', arguments: { b64: spin } },
        });
        await sleep(500);
        const running = await containersOf(pid);
        if (running.length !== 1) return `expected one container of warden ${pid}, found ${running.length}`;
        warden.child.kill('SIGKILL');
        const killed = Date.now();
        let left = running;
        while (left.length > 0 && Date.now() - killed < WATCHDOG_DEADLINE_S * 1000) {
          await sleep(100);
          left = await containersOf(pid);
        }
        if (left.length === 0) {
          // The watchdog ends too (after a second pass for a create in flight): nothing is left.
          const until = Date.now() + 5000;
          while (watchdogPids(pid).length > 0 && Date.now() < until) await sleep(100);
          const lingering = watchdogPids(pid);
          return lingering.length === 0 ? undefined : `the watchdog ${lingering.join(', ')} did not exit`;
        }
        await removeAll(left.map((c) => c.id)); // Leave nothing behind for the rest of the run.
        return `${WATCHDOG_DEADLINE_S} s after warden ${pid} was SIGKILLed its container still existed: ${left.map((c) => c.label).join('; ')}`;
      },
    },
    expect: { kind: 'contained', what: 'the watchdog removes the container within seconds' },
    notApplicable: { bwrap: PROCESS_BACKENDS, isolate: PROCESS_BACKENDS },
  },
];
