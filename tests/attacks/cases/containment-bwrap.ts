// bwrap-specific containment (issue 20 items 11, 13), and the argv check every spawning backend shares.
//
// Issue (item 11): bwrap got the server's environment as `--setenv NAME VALUE` in its argv, and
// /proc/PID/cmdline is readable by every local user: an API token given with --env was world-readable
// for the whole session. Fix: the --setenv arguments reach bwrap on a pipe (`--args 3`, written and
// closed by src/sandboxes/process/spawn-sandbox-process.ts), which bwrap closes before it runs the
// server; none and seatbelt pass the environment as the environment (readable only by the same user).
// `explain` shows `--args 3` in argv and the names it carries in details.descriptors, values redacted.
//
// Issue (item 13): bwrap's /dev (and so /dev/shm, a directory in it) was an uncapped tmpfs: 1 GiB
// written to /dev/shm was 1 GiB of host shared memory. Fix: a capped tmpfs at /dev/shm (64 MiB, or the
// /tmp cap when smaller: DEV_SHM_MB in src/sandboxes/bwrap/bwrap-plan.ts) and /dev remounted read-only
// (its device nodes are bind mounts and keep working).
import { readFileSync } from 'node:fs';
import {
  HOSTILE_SERVER,
  initializeRaw,
  type RawWarden,
  runArgs,
  spawnWardenRaw,
} from '../../helpers/warden.ts';
import { hostProcesses } from '../../helpers/host-processes.ts';
import type { AttackCase, AttackContext } from '../types.ts';

type Result = Record<string, unknown>;

const MiB = 1024 * 1024;
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const BWRAP_ONLY = {
  docker: 'the container engine sizes /dev/shm itself (ShmSize, 64 MiB by default) inside the memory cgroup',
  gvisor: 'the container engine sizes /dev/shm itself (ShmSize, 64 MiB by default) inside the memory cgroup',
  isolate: 'a V8 isolate has no /dev: every fs call is anchored to the roots',
};

async function callProbe(warden: RawWarden, request: Result, id: string): Promise<Result> {
  const reply = await warden.request(
    id,
    'tools/call',
    { name: 'probe', arguments: { b64: b64(JSON.stringify(request)) } },
    120_000,
  );
  const text = (reply.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
  if (text === undefined) throw new Error(`the probe got no result: ${JSON.stringify(reply).slice(0, 300)}`);
  return JSON.parse(text) as Result;
}

/** The host's shared memory (tmpfs pages included), in bytes. */
function hostShmem(): number {
  const match = /^Shmem:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

/** Every host process whose command line contains `needle`, as "pid: argv[0..]" with it masked. */
function cmdlinesWith(needle: string): string[] {
  return hostProcesses((proc) => proc.cmdline.includes(needle)).map(
    (proc) =>
      `${proc.pid}: ${proc.cmdline.replaceAll(needle, '<canary>').replaceAll('\0', ' ').slice(0, 160)}`,
  );
}

/**
 * /dev/shm of the bwrap sandbox: DEV_SHM_MB (64, pinned in tests/pins), or the /tmp cap of
 * profiles/bwrap.json (256) when smaller. A literal, so the case also runs against the code before it.
 */
const SHM_CAP_BYTES = 64 * MiB;

export const BWRAP_CONTAINMENT_CASES: AttackCase[] = [
  {
    id: 'containment.env-value-not-in-argv',
    family: 'containment',
    title:
      '--env SECRET_TOKEN (value from the warden’s environment): no host process has the value in its command line',
    // The launcher of every backend, `none` included.
    layer: 'policy',
    action: {
      kind: 'custom',
      run: async (ctx: AttackContext) => {
        const canary = `tok-${ctx.mark()}-${ctx.mark()}`;
        const warden = spawnWardenRaw(
          runArgs({
            profile: ctx.backend,
            roots: [ctx.root],
            env: ['SECRET_TOKEN'],
            command: [process.execPath, HOSTILE_SERVER, '--root', ctx.root],
          }),
          { env: { ...process.env, SECRET_TOKEN: canary } },
        );
        try {
          await initializeRaw(warden);
          // While the session runs: the warden, setpriv, bwrap, the server and anything else on the host.
          const exposed = cmdlinesWith(canary);
          const reply = await warden.request(`env-${ctx.mark()}`, 'tools/call', {
            name: 'env',
            arguments: {},
          });
          if (!JSON.stringify(reply).includes(canary))
            return 'control failed: the server did not receive SECRET_TOKEN';
          const after = cmdlinesWith(canary);
          const all = [...new Set([...exposed, ...after])];
          return all.length === 0 ? undefined : `the value is in argv: ${all.join(' ; ')}`;
        } finally {
          warden.endInput();
          await Promise.race([warden.exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        }
      },
    },
    expect: { kind: 'contained', what: 'in no /proc/*/cmdline (only in the server’s own environ)' },
  },
  {
    id: 'containment.dev-shm-cap',
    family: 'containment',
    title:
      'fill /dev/shm with 128 MiB more than its cap and keep it: the host’s shared memory must not follow',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const cap = SHM_CAP_BYTES;
        const mb = cap / MiB + 128;
        const warden = await api.warden();
        try {
          const before = hostShmem();
          const r = await callProbe(
            warden,
            { op: 'fill', path: `/dev/shm/fill-${ctx.mark()}`, mb, keep: true },
            `shm-${ctx.mark()}`,
          );
          const grown = hostShmem() - before;
          const problems: string[] = [];
          if (r.ok === false) problems.push(`the probe failed: ${JSON.stringify(r)}`);
          if (Number(r.bytes) > cap)
            problems.push(`${Number(r.bytes) / MiB} MiB written (cap ${cap / MiB} MiB)`);
          if (r.code !== 'ENOSPC') problems.push(`the write ended with ${String(r.code)}, not ENOSPC`);
          // Slack for other processes on the host; unbounded, the growth is the full 128 MiB over.
          if (grown > cap + 32 * MiB) problems.push(`host Shmem grew by ${Math.round(grown / MiB)} MiB`);
          return problems.length === 0 ? undefined : problems.join('; ');
        } finally {
          warden.endInput();
          await Promise.race([warden.exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        }
      },
    },
    expect: { kind: 'contained', what: 'ENOSPC at the cap; host shared memory grows by at most the cap' },
    notApplicable: BWRAP_ONLY,
  },
  {
    id: 'containment.dev-readonly',
    family: 'containment',
    title: 'write a file into /dev itself (an uncapped tmpfs before)',
    layer: 'os',
    action: { kind: 'probe', probe: (ctx) => ({ op: 'fill', path: `/dev/planted-${ctx.mark()}`, mb: 4 }) },
    expect: {
      kind: 'contained',
      what: 'EROFS: /dev is read-only',
      check: (r) =>
        r.ok !== false && Number(r.bytes) === 0 && ['EROFS', 'EACCES'].includes(String(r.code))
          ? undefined
          : `wrote into /dev: ${JSON.stringify(r)}`,
    },
    notApplicable: BWRAP_ONLY,
  },
  {
    id: 'containment.dev-nodes-work',
    family: 'containment',
    title: 'control: /dev/null, /dev/zero and /dev/urandom still work in the read-only /dev',
    layer: 'os',
    action: {
      kind: 'probe',
      probe: () => ({
        op: 'exec',
        file: process.execPath,
        args: [
          '-e',
          "const fs=require('fs');fs.writeFileSync('/dev/null','x');const b=Buffer.alloc(8,1);" +
            "const z=fs.openSync('/dev/zero','r');fs.readSync(z,b);const u=fs.openSync('/dev/urandom','r');" +
            'const r=Buffer.alloc(16);fs.readSync(u,r);process.stdout.write(JSON.stringify({zero:b.every(x=>x===0),random:r.some(x=>x!==0)}))',
        ],
      }),
    },
    expect: {
      kind: 'contained',
      what: 'writes to /dev/null succeed, /dev/zero reads zeros, /dev/urandom random bytes',
      check: (r) =>
        r.ok !== false && r.status === 0 && String(r.stdout) === '{"zero":true,"random":true}'
          ? undefined
          : `device nodes broken: ${JSON.stringify(r).slice(0, 300)}`,
    },
    notApplicable: BWRAP_ONLY,
  },
];
