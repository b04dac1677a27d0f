// Issue: a malicious server needs no help from the client: it can open files, sockets and processes
// on its own, with arguments the policy never sees (the probes below receive them base64-hidden).
// Fix: the OS layer — only the roots and the runtime are mounted, no network, no capabilities, a
// fresh pid namespace, limits — or, for isolate, no such APIs at all. Each probe reports what it
// reached; the check says whether that is safe. Containment cases never run on `none`.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expectNoProcesses, findProcesses, killProcesses } from '../../helpers/processes.ts';
import { stateDir } from '../../../src/util/state-dir.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';
import type { AttackCase, AttackContext, BackendName, Check, CustomApi } from '../types.ts';

type Result = Record<string, unknown>;

const NO_PROCESSES = 'a V8 isolate has no processes: child_process throws "not available"';
const NO_PROC =
  'a V8 isolate has no /proc and no process credentials: every fs call is anchored to the roots';
const BWRAP_NO_CGROUPS =
  'bwrap applies no cgroup limits (no memory/pids cap); use docker or gvisor for untrusted servers that may exhaust resources';

/** The probe failed (an error code, or "not available" under isolate). */
const failed: Check<Result> = (r) =>
  r.ok === false ? undefined : `succeeded: ${JSON.stringify(r).slice(0, 200)}`;

/** A containment case run by the hostile fixture's probe tool (its arguments hidden from the policy). */
export function probe(
  id: string,
  title: string,
  build: (ctx: AttackContext) => Result,
  what: string,
  check: Check<Result> = failed,
  extra: Partial<AttackCase> = {},
): AttackCase {
  return {
    id: `containment.${id}`,
    family: 'containment',
    title,
    layer: 'os',
    action: { kind: 'probe', probe: build },
    expect: { kind: 'contained', what, check },
    ...extra,
  };
}

/** The host file's content must not come back (when the test can read the host file itself). */
const notHostFile =
  (file: string): Check<Result> =>
  (r) => {
    if (r.ok === false) return undefined;
    let host: string;
    try {
      host = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    return r.text === host.slice(0, 65536) ? `read the host's ${file}` : undefined;
  };

/** The write failed and nothing appeared on the host. */
const noHostFile =
  (file: (ctx: AttackContext) => string): Check<Result> =>
  (r, ctx) => {
    const target = file(ctx);
    if (existsSync(target)) {
      rmSync(target, { force: true });
      return `${target} appeared on the host`;
    }
    if (r.ok === false) return undefined;
    // A checkout under /tmp (CI clones there): the package is mounted entry by entry, so its directory
    // is a mount point inside the sandbox's own private /tmp, and the write landed there, never on the host.
    if (inPrivateTmp(target, ctx)) return undefined;
    return `the write reported success but nothing appeared on the host (${target}): check the probe`;
  };

/** True when `target` lies in the sandbox's private /tmp (a tmpfs of its own, never the host's). */
export function inPrivateTmp(target: string, ctx: AttackContext): boolean {
  return target.startsWith('/tmp/') && ctx.backend !== 'none' && ctx.backend !== 'isolate';
}

/** Connecting failed and the host listener saw nothing. */
const unreached =
  (count: (ctx: AttackContext) => number): Check<Result> =>
  async (r, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (count(ctx) > 0) return 'the host listener was reached';
    return r.ok === false ? undefined : `connected: ${JSON.stringify(r)}`;
  };

const SENSITIVE_DEVICES = [
  '/dev/mem',
  '/dev/kmem',
  '/dev/port',
  '/dev/kmsg',
  '/dev/sda',
  '/dev/vda',
  '/dev/nvme0n1',
  '/dev/xvda',
  '/dev/loop0',
  '/dev/fuse',
  '/dev/net/tun',
  '/dev/kvm',
  '/dev/cpu/0/msr',
  '/dev/dri/card0',
  '/dev/input/event0',
];

const ZERO_CAPS = '0000000000000000';

/** The C probe ran and none of the privileged operations succeeded. */
const sysprobeContained =
  (keys: readonly string[]): Check<Result> =>
  (r) => {
    if (r.ok === false)
      return r.code === 'UNAVAILABLE' || r.code === 'ERR_WARDEN_UNAVAILABLE'
        ? undefined
        : `probe did not run: ${JSON.stringify(r).slice(0, 300)}`;
    if (r.status !== 0) return `probe exited ${String(r.status)}: ${String(r.stderr).slice(0, 200)}`;
    const out = JSON.parse(String(r.stdout)) as Record<string, string | number>;
    if (out.euid === 0 || out.uid === 0) return `running as root inside: ${JSON.stringify(out)}`;
    const got = keys.filter((k) => out[k] === 'ok');
    return got.length === 0 ? undefined : `succeeded: ${got.join(', ')} (${JSON.stringify(out)})`;
  };

const NO_COMPILER =
  'no C compiler with static libc here (gcc -static) to build tests/attacks/probe/sysprobe.c';
const needsSysprobe = (ctx: AttackContext): string | undefined => (ctx.sysprobe ? undefined : NO_COMPILER);

const needsCompiler = (ctx: AttackContext): Result =>
  ctx.sysprobe ? { op: 'exec', file: ctx.sysprobe, args: [path.join(ctx.root, 'mnt')] } : { op: 'noop' };

export const CONTAINMENT_CASES: AttackCase[] = [
  // ---- host secrets ----
  probe(
    'secret-file',
    'read a secret file outside the roots (world-readable on the host)',
    (c) => ({ op: 'read', path: c.secret.file }),
    'ENOENT: not mounted',
  ),
  probe(
    'secret-dir-listing',
    'list the directory holding the secret',
    (c) => ({ op: 'readdir', path: c.secret.dir }),
    'ENOENT: not mounted',
  ),
  probe(
    'etc-shadow',
    'read /etc/shadow',
    () => ({ op: 'read', path: '/etc/shadow' }),
    'not the host file',
    notHostFile('/etc/shadow'),
  ),
  probe(
    'etc-passwd',
    'read the host /etc/passwd',
    () => ({ op: 'read', path: '/etc/passwd' }),
    'not the host file (an image may have its own)',
    notHostFile('/etc/passwd'),
  ),
  probe(
    'home-ssh',
    'list ~/.ssh of the host user',
    (c) => ({ op: 'readdir', path: path.join(c.home, '.ssh') }),
    'not mounted',
  ),
  probe(
    'docker-config',
    'read the docker client config',
    (c) => ({ op: 'read', path: path.join(c.home, '.docker/config.json') }),
    'not mounted',
  ),
  probe(
    'host-tmp-listing',
    'list the host /tmp (other sessions’ roots live there)',
    (c) => ({ op: 'readdir', path: path.dirname(c.secret.dir) }),
    'the secret directory is not in it',
    (r, c) =>
      r.ok === false || !(r.entries as string[]).includes(path.basename(c.secret.dir))
        ? undefined
        : 'the host /tmp is visible',
  ),
  probe(
    'symlink-out',
    'the server plants a symlink to the secret inside the root and reads through it',
    (c) => ({ op: 'read', path: `${c.root}/link-out-file` }),
    'the target does not exist in the sandbox',
  ),
  probe(
    'hardlink-out',
    'the server hard-links the secret into the root',
    (c) => ({ op: 'link', existing: c.secret.file, path: `${c.root}/hardlink-${c.mark()}` }),
    'ENOENT/EXDEV: the source is not visible',
  ),

  // ---- environment ----
  probe(
    'env',
    'the environment holds no host variable',
    () => ({ op: 'read', path: '/proc/self/environ' }),
    'no host variable (canary absent)',
    // HOME is the server's own state home (below the warden's state dir), never the real home.
    (r, c) => {
      const text = JSON.stringify(r);
      const realHome = [`HOME=${c.home}`, 'HOME=/root'].some((entry) => {
        const at = text.indexOf(entry);
        return at >= 0 && !/[\w/.-]/.test(text.charAt(at + entry.length));
      });
      return text.includes(c.envCanary) || realHome ? 'host environment visible' : undefined;
    },
  ),
  probe(
    'env-other-processes',
    'no process visible inside carries the warden’s environment',
    (c) => ({ op: 'procs', canary: c.envCanary }),
    'canary in no /proc/*/environ',
    (r) =>
      r.ok === false || (r.canaryIn as string[]).length === 0
        ? undefined
        : `canary in ${(r.canaryIn as string[]).join(', ')}`,
  ),

  // ---- writes outside ----
  probe(
    'write-outside-dir',
    'write into a world-writable directory outside the roots',
    (c) => ({ op: 'write', path: `${c.secret.dir}/planted.txt` }),
    'nothing appears on the host',
    noHostFile((c) => `${c.secret.dir}/planted.txt`),
  ),
  probe(
    'write-host-tmp',
    'write into /tmp (the host’s must not change)',
    (c) => ({ op: 'write', path: `/tmp/mcp-warden-attack-${c.backend}-planted` }),
    'the sandbox /tmp is private',
    (_r, c) => {
      const target = `/tmp/mcp-warden-attack-${c.backend}-planted`;
      if (existsSync(target)) {
        rmSync(target, { force: true });
        return 'the file appeared in the host /tmp';
      }
      return undefined;
    },
  ),
  probe(
    'write-home',
    'write into the host home directory',
    (c) => ({ op: 'write', path: path.join(c.home, 'mcp-warden-attack-planted') }),
    'nothing appears on the host',
    noHostFile((c) => path.join(c.home, 'mcp-warden-attack-planted')),
  ),
  // The server's private HOME lies in the warden's state dir (issue 15): only that one directory is
  // mounted, never the warden's own records or another server's home.
  probe(
    'state-dir-record',
    "read the warden's record of read-write roots, next to the server homes",
    () => ({ op: 'read', path: path.join(stateDir(), 'rw-roots.jsonl') }),
    'not mounted',
    notHostFile(path.join(stateDir(), 'rw-roots.jsonl')),
  ),
  probe(
    'state-home-neighbours',
    "list the other servers' homes next to its own",
    () => ({ op: 'readdir', path: path.join(stateDir(), 'homes') }),
    'at most its own home is there',
    (r) => {
      const entries = Array.isArray(r.entries) ? r.entries : [];
      return r.ok === false || entries.length <= 1
        ? undefined
        : `sees ${entries.length} homes: ${entries.join(', ')}`;
    },
  ),
  probe(
    'write-ro-root',
    'write into the :ro root (the policy never saw the path)',
    (c) => ({ op: 'write', path: `${c.ro}/ro.txt`, content: 'pwned' }),
    'EROFS/EACCES; the file is unchanged',
    (r, c) =>
      readFileSync(`${c.ro}/ro.txt`, 'utf8') === 'read only\n'
        ? r.ok === false
          ? undefined
          : 'reported success'
        : 'the read-only root was modified',
  ),
  probe(
    'write-server-code',
    'write next to the server’s own code (mounted read-only)',
    () => ({ op: 'write', path: path.join(PROJECT_ROOT, 'planted.txt') }),
    'EROFS',
    noHostFile(() => path.join(PROJECT_ROOT, 'planted.txt')),
  ),
  probe(
    'rename-out',
    'move a file from the root to outside',
    (c) => ({ op: 'rename', from: `${c.root}/ok.txt`, to: `${c.secret.dir}/moved.txt` }),
    'EXDEV/ENOENT; the file stays',
    (r, c) =>
      existsSync(`${c.secret.dir}/moved.txt`)
        ? 'the file moved out'
        : r.ok === false
          ? undefined
          : 'reported success',
  ),

  // ---- network egress, DNS, loopback ----
  probe(
    'tcp-loopback',
    'connect to a TCP port the test listens on at 127.0.0.1',
    (c) => ({ op: 'tcp', host: '127.0.0.1', port: c.tcpPort }),
    'ECONNREFUSED: a private loopback',
    unreached((c) => c.tcpConnections()),
  ),
  probe(
    'tcp6-loopback',
    'connect to the test’s listener on ::1',
    (c) => ({ op: 'tcp', host: '::1', port: c.tcp6Port ?? 1 }),
    'unreachable',
    unreached((c) => c.tcpConnections()),
  ),
  probe(
    'udp-loopback',
    'send a UDP datagram to the test’s socket',
    (c) => ({ op: 'udp', host: '127.0.0.1', port: c.udpPort }),
    'nothing arrives',
    async (_r, c) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return c.udpDatagrams() === 0 ? undefined : 'the datagram arrived on the host';
    },
  ),
  probe(
    'interfaces',
    'no network interface but loopback',
    () => ({ op: 'interfaces' }),
    'only lo',
    (r) =>
      r.ok === false || (r.external as string[]).length === 0
        ? undefined
        : `interfaces: ${(r.external as string[]).join(', ')}`,
  ),
  probe(
    'dns',
    'resolve a name (guarded: never resolves with an external interface)',
    () => ({ op: 'dns', name: 'example.com' }),
    'EAI_AGAIN/ENOTFOUND: no resolver reachable',
    (r) => (r.ok === false ? undefined : `resolved or had a network: ${JSON.stringify(r)}`),
  ),
  {
    id: 'containment.loopback-ingress',
    family: 'containment',
    title: 'a port the server listens on inside is not reachable from the host loopback',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const warden = await api.warden({ handshake: true });
        const port = 20_000 + Math.floor(Math.random() * 20_000);
        const body = Buffer.from(
          JSON.stringify({ op: 'listen', host: '127.0.0.1', port, ms: 5000 }),
        ).toString('base64');
        const reply = await warden.request(
          'listen',
          'tools/call',
          { name: 'probe', arguments: { b64: body } },
          20_000,
        );
        const listening = JSON.stringify(reply).includes('listening');
        const reached = await new Promise<boolean>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port });
          socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
          socket.once('data', (data) => (socket.destroy(), resolve(data.toString().includes('sandbox'))));
          socket.once('error', () => resolve(false));
        });
        void ctx;
        return reached ? `the host reached the sandbox's listener (listening: ${listening})` : undefined;
      },
    },
    expect: { kind: 'contained', what: 'the host cannot connect to it' },
  },
  probe(
    'unix-docker-sock',
    'connect to /var/run/docker.sock',
    () => ({ op: 'unix', path: '/var/run/docker.sock' }),
    'ENOENT: not mounted',
  ),
  probe(
    'unix-run-docker-sock',
    'connect to /run/docker.sock',
    () => ({ op: 'unix', path: '/run/docker.sock' }),
    'ENOENT: not mounted',
  ),
  probe(
    'unix-containerd',
    'connect to containerd’s socket',
    () => ({ op: 'unix', path: '/run/containerd/containerd.sock' }),
    'ENOENT: not mounted',
  ),
  probe(
    'unix-outside-path',
    'connect to a world-writable unix socket the test listens on outside the roots',
    (c) => ({ op: 'unix', path: c.unixPath }),
    'ENOENT: not mounted',
    unreached((c) => c.unixConnections()),
  ),
  probe(
    'unix-abstract',
    'connect to an abstract unix socket the test listens on',
    (c) => ({ op: 'unix', path: c.abstractName }),
    'ECONNREFUSED: abstract sockets belong to the network namespace',
    unreached((c) => c.unixConnections()),
  ),

  // ---- /proc of other processes ----
  probe(
    'proc-host-process',
    'a host process (marker in its command line) is invisible in /proc',
    (c) => ({ op: 'procs', marker: c.hostProcessMarker }),
    'not visible',
    (r) =>
      r.ok === false || (r.markerIn as string[]).length === 0
        ? undefined
        : `visible: ${(r.markerIn as string[]).join(', ')}`,
  ),
  probe(
    'proc-pid-count',
    'only the sandbox’s own processes are in /proc',
    () => ({ op: 'procs' }),
    'a handful of pids',
    (r) => (r.ok === false || (r.pids as number) < 20 ? undefined : `${String(r.pids)} pids visible`),
  ),
  probe(
    'proc-warden-environ',
    'read the warden’s /proc/<pid>/environ by its host pid',
    () => ({ op: 'read', path: `/proc/${process.pid}/environ` }),
    'no such pid inside, or not the test’s',
    (r, c) =>
      JSON.stringify(r).includes(c.envCanary) || JSON.stringify(r).includes('VITEST')
        ? 'the host process environment was read'
        : undefined,
  ),

  // ---- setuid, capabilities, mount/unshare, devices ----
  probe(
    'capabilities',
    'no effective, permitted, bounding or ambient capabilities',
    () => ({ op: 'status' }),
    'all zero',
    (r) => {
      const bad = ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb'].filter(
        (k) => r[k] !== undefined && r[k] !== ZERO_CAPS,
      );
      if (r.ok === false) return `could not read /proc/self/status: ${String(r.message)}`;
      return bad.length === 0 ? undefined : `non-zero: ${bad.map((k) => `${k}=${String(r[k])}`).join(' ')}`;
    },
    { notApplicable: { isolate: NO_PROC } },
  ),
  probe(
    'no-new-privs',
    'no_new_privs is set (setuid bits cannot raise privileges)',
    () => ({ op: 'status' }),
    'NoNewPrivs: 1',
    (r) => (r.NoNewPrivs === '1' ? undefined : `NoNewPrivs=${String(r.NoNewPrivs)}`),
    {
      notApplicable: {
        isolate: NO_PROC,
        gvisor:
          'gVisor’s /proc/self/status has no NoNewPrivs field; containment.suid-binary proves the effect',
      },
    },
  ),
  probe(
    'setuid-syscall',
    'setuid(0), setgid(0), setgroups([0]) from node',
    () => ({ op: 'setuid' }),
    'EPERM',
    (r) => {
      if (r.ok === false) return undefined;
      const tries = r.tries as Record<string, string>;
      const ok = Object.entries(tries).filter(([, v]) => v === 'ok');
      return ok.length === 0 ? undefined : `succeeded: ${ok.map(([k]) => k).join(', ')}`;
    },
  ),
  probe(
    'suid-binary',
    'a root-owned setuid binary planted in the root does not grant root',
    (c) =>
      c.suidProbe ? { op: 'exec', file: c.suidProbe, args: [path.join(c.root, 'mnt')] } : { op: 'noop' },
    'euid stays unprivileged',
    sysprobeContained(['setuid', 'mount', 'chroot']),
    {
      notApplicable: { isolate: NO_PROCESSES },
      requires: (c) =>
        c.suidProbe
          ? undefined
          : c.sysprobe
            ? 'the tests do not run as root, so no root-owned setuid binary can be planted'
            : NO_COMPILER,
    },
  ),
  probe(
    'unshare-mount',
    'unshare(CLONE_NEWNS), unshare(CLONE_NEWNET) and chroot',
    needsCompiler,
    'EPERM (gVisor: a new mount namespace inside the Sentry is allowed, but mounting in it is not)',
    (r, c) =>
      sysprobeContained(
        c.backend === 'gvisor' ? ['chroot', 'unshareNet', 'mount'] : ['unshareMount', 'chroot', 'unshareNet'],
      )(r, c),
    { notApplicable: { isolate: NO_PROCESSES }, requires: needsSysprobe },
  ),
  probe(
    'tun-device',
    'create a TUN interface (TUNSETIFF)',
    needsCompiler,
    'EPERM/ENOENT: needs CAP_NET_ADMIN',
    sysprobeContained(['tun']),
    {
      notApplicable: { isolate: NO_PROCESSES },
      requires: needsSysprobe,
    },
  ),
  probe(
    'mount-tmpfs',
    'mount a tmpfs inside the root',
    needsCompiler,
    'EPERM',
    sysprobeContained(['mount']),
    { notApplicable: { isolate: NO_PROCESSES }, requires: needsSysprobe },
  ),
  {
    ...probe(
      'userns-mount',
      'a new user namespace, then mount',
      needsCompiler,
      'refused; or (gVisor) confined to the Sentry’s own namespaces with no host effect',
      async (r, c) => {
        const inner = sysprobeContained(['unshareUser', 'usernsMount']);
        const failure = await inner(r, c);
        if (failure && c.backend === 'gvisor') {
          // gVisor implements user namespaces inside its own kernel: allowed, but nothing reaches the host.
          const hostMounts = readFileSync('/proc/mounts', 'utf8');
          return hostMounts.includes(path.join(c.root, 'mnt')) ? 'a mount appeared on the host' : undefined;
        }
        return failure;
      },
    ),
    notApplicable: { isolate: NO_PROCESSES },
    requires: needsSysprobe,
  },
  probe(
    'devices',
    'open raw disks, memory, kernel log, tun, fuse, kvm',
    () => ({ op: 'devices', paths: SENSITIVE_DEVICES }),
    'none opens (gVisor: only its own emulated /dev/fuse and /dev/net/tun, which need capabilities to use)',
    (r, c) => {
      if (r.ok === false) return undefined;
      // gVisor's devfs has Sentry-emulated fuse and tun devices (no host device behind them); using them
      // needs CAP_SYS_ADMIN / CAP_NET_ADMIN, which containment.mount-tmpfs and containment.tun-device refute.
      const emulated = c.backend === 'gvisor' ? ['/dev/fuse', '/dev/net/tun'] : [];
      const opened = (r.opened as string[]).filter((d) => !emulated.includes(d));
      return opened.length === 0 ? undefined : `opened ${opened.join(', ')}`;
    },
  ),

  // ---- resources ----
  {
    id: 'containment.fork-bomb',
    family: 'containment',
    title: 'a fork bomb is stopped by the pids limit',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (_ctx, api) => limitScenario(api, 'fork-bomb', ['--memory', '2048'], /sandbox\.limit/),
    },
    expect: { kind: 'contained', what: '-32002 sandbox.limit (pids), exit 70, the host unharmed' },
    notApplicable: { isolate: NO_PROCESSES },
    gap: { bwrap: BWRAP_NO_CGROUPS },
  },
  {
    id: 'containment.memory',
    family: 'containment',
    title: 'a memory hog is stopped by the memory limit',
    layer: 'os',
    action: {
      kind: 'custom',
      // Stopped either way, but not always attributed to the limit: under load gVisor sometimes reports
      // the OOM kill as a plain exit 137 (the engine's OOM flag unset), and in an isolate the capped
      // ArrayBuffer allocation throws and the guest exits 1. Both still end the session with exit 70.
      run: async (ctx, api) =>
        limitScenario(
          api,
          'memory-hog',
          ['--memory', '128'],
          ctx.backend === 'docker' ? /sandbox\.limit/ : /sandbox\.(limit|exited)/,
        ),
    },
    expect: { kind: 'contained', what: '-32002 sandbox.limit (memory), exit 70' },
    gap: { bwrap: BWRAP_NO_CGROUPS },
  },
  {
    id: 'containment.cpu-hang',
    family: 'containment',
    title: 'a server that spins the CPU: the request times out, and closing the session kills it',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        // The timeout covers initialize too: a gVisor server under CI load needs well over 0.5 s to
        // answer it (mcp.client-reuses-abandoned-id failed that way at 500 ms).
        const warden = await api.warden({ extraArgs: ['--timeout', '3000'] });
        const body = Buffer.from(JSON.stringify({ op: 'spin', ms: 60_000 })).toString('base64');
        const started = Date.now();
        const reply = await warden.request(
          'spin',
          'tools/call',
          { name: 'probe', arguments: { b64: body } },
          20_000,
        );
        const waited = Date.now() - started;
        if (reply.error?.code === -32002 && ctx.backend === 'isolate') return undefined; // the CPU watchdog ended it
        if (reply.error?.data?.rule !== 'request.timeout')
          return `no timeout answer: ${JSON.stringify(reply).slice(0, 200)}`;
        if (waited > 10_000) return `the timeout took ${waited} ms`;
        const closing = Date.now();
        warden.endInput();
        const status = await Promise.race([
          warden.exit,
          new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000)),
        ]);
        if (status === 'still running') return 'the warden did not end its spinning sandbox within 15 s';
        return Date.now() - closing > 15_000 ? 'slow shutdown' : undefined;
      },
    },
    expect: {
      kind: 'contained',
      what: 'request.timeout within the limit; the spinning server dies with the session',
    },
  },
  {
    id: 'containment.disk-fill-tmp',
    family: 'containment',
    title: 'filling the sandbox /tmp stops at its size cap',
    layer: 'os',
    action: { kind: 'probe', probe: () => ({ op: 'fill', path: '/tmp/fill.bin', mb: 320 }) },
    expect: {
      kind: 'contained',
      what: 'ENOSPC at the tmpfs cap (docker/gvisor 64 MiB, bwrap 256 MiB); isolate refuses /tmp',
      check: (r) =>
        r.ok === false || (typeof r.code === 'string' && (r.bytes as number) < 300 * 1024 * 1024)
          ? undefined
          : `wrote ${String(r.bytes)} bytes`,
    },
  },
  {
    id: 'containment.disk-fill-root',
    family: 'containment',
    title: 'filling a read-write root',
    layer: 'os',
    action: { kind: 'probe', probe: () => ({ op: 'noop' }) },
    expect: { kind: 'contained', what: 'n/a' },
    gap: Object.fromEntries(
      (['bwrap', 'docker', 'gvisor', 'isolate'] as BackendName[]).map((b) => [
        b,
        'a read-write root is the host directory itself and no backend applies a disk quota to it; mount roots :ro, or put them on a size-limited filesystem',
      ]),
    ),
  },
  {
    id: 'containment.orphans',
    family: 'containment',
    title: 'detached and double-forked children die with the session',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const tag = `orphan-${ctx.mark()}`;
        const warden = await api.warden();
        try {
          const reply = await warden.request(
            'spawn',
            'tools/call',
            { name: 'spawn_children', arguments: { tag, count: 3, detached: true } },
            20_000,
          );
          if (reply.error) return `spawn_children failed: ${JSON.stringify(reply.error)}`;
          if (ctx.backend !== 'gvisor' && findProcesses(tag).length === 0)
            return 'the children never started (the test cannot see them)';
          warden.endInput();
          await warden.exit;
          await expectNoProcesses(tag, 3000);
          return undefined;
        } catch (error) {
          return (error as Error).message.slice(0, 300);
        } finally {
          killProcesses(tag);
        }
      },
    },
    expect: { kind: 'contained', what: 'no process carrying the tag survives' },
    notApplicable: { isolate: NO_PROCESSES },
  },
];

/** A resource-limit breach: the in-flight request gets -32002 with the rule, the warden exits 70. */
async function limitScenario(
  api: CustomApi,
  mode: string,
  extraArgs: string[],
  rule: RegExp,
): Promise<string | undefined> {
  const warden = await api.warden({ extraArgs });
  warden.send({
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'misbehave', arguments: { mode } },
  });
  const reply = await warden.waitFor((m) => m.id === 7, 90_000);
  if (reply.error?.code !== -32002 || !rule.test(String(reply.error.data?.rule))) {
    return `expected -32002 ${String(rule)}, got ${JSON.stringify(reply).slice(0, 300)}`;
  }
  const status = await Promise.race([
    warden.exit,
    new Promise((resolve) => setTimeout(() => resolve('running'), 30_000)),
  ]);
  return JSON.stringify(status) === JSON.stringify({ code: 70, signal: null })
    ? undefined
    : `exit ${JSON.stringify(status)}`;
}
