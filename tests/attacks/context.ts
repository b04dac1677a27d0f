// Per-backend fixtures for the attack runner: roots with the symlinks the path cases use, a secret
// outside them, host listeners the sandbox must not reach, a host process it must not see, and the
// static probe binary. Everything is torn down by close().
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shareWithSandbox } from '../helpers/containers.ts';
import { outsideSecret, tmpRoot, trackForCleanup } from '../helpers/tmp-root.ts';
import { type NetworkFixture, startNetworkFixture } from './network/session.ts';
import type { AttackContext, BackendName } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Build the static C probe once per test file; undefined when no C compiler (or static libc) exists. */
let built: string | undefined | null = null;
function sysprobeBinary(): string | undefined {
  if (built !== null) return built;
  const dir = tmpRoot('sysprobe-build');
  const out = path.join(dir, 'sysprobe');
  try {
    execFileSync('gcc', ['-static', '-O1', '-o', out, path.join(here, 'probe/sysprobe.c')], {
      stdio: 'pipe',
    });
    built = out;
  } catch {
    built = undefined;
  }
  return built;
}

export interface BackendFixtures {
  ctx: AttackContext;
  close(): Promise<void>;
}

export async function createFixtures(backend: BackendName): Promise<BackendFixtures> {
  const mark = (): string => `m${randomBytes(6).toString('hex')}`;
  const root = tmpRoot(`attacks-${backend}`);
  const ro = tmpRoot(`attacks-ro-${backend}`);
  const secret = outsideSecret();
  // Host permissions must not be what stops the sandbox: the outside directory is open to everyone,
  // so only the sandbox's mounts can keep the server out of it.
  chmodSync(secret.dir, 0o777);
  chmodSync(secret.file, 0o666);

  writeFileSync(path.join(root, 'ok.txt'), 'fine\n');
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'sub', 'inner.txt'), 'inner\n');
  mkdirSync(path.join(root, 'mnt'));
  writeFileSync(path.join(ro, 'ro.txt'), 'read only\n');
  mkdirSync(trackForCleanup(`${root}-evil`));
  writeFileSync(`${root}-evil/x`, 'evil\n');
  // Symlinks the path cases read through (the policy must follow them on the host).
  const link = (target: string, name: string): void => symlinkSync(target, path.join(root, name));
  link(secret.file, 'link-out-file');
  link(secret.dir, 'link-out-dir');
  link(path.join(root, 'link-chain-b'), 'link-chain-a');
  link(secret.dir, 'link-chain-b');
  link(`../${path.basename(secret.dir)}/id_rsa`, 'link-relative-out');
  link('/', 'link-to-slash');
  link('..', 'link-parent');
  link(path.join(secret.dir, 'created-through-dangling-link'), 'dangling-out');
  link('ok.txt', 'link-inside');
  link(path.join(root, 'sub'), 'link-inside-dir');
  shareWithSandbox(root, backend);
  shareWithSandbox(ro, backend);
  if (backend === 'docker' || backend === 'gvisor') {
    if (process.getuid?.() === 0) chownSync(path.join(root, 'mnt'), 65534, 65534);
  }
  chmodSync(path.join(root, 'mnt'), 0o777);

  // The C probe inside the root; a root-owned setuid copy when we are root (it must not grant root).
  let sysprobe: string | undefined;
  let suidProbe: string | undefined;
  const binary = sysprobeBinary();
  if (binary) {
    sysprobe = path.join(root, 'sysprobe');
    copyFileSync(binary, sysprobe);
    chmodSync(sysprobe, 0o755);
    if (process.getuid?.() === 0) {
      suidProbe = path.join(root, 'suid-sysprobe');
      copyFileSync(binary, suidProbe);
      chownSync(suidProbe, 0, 0);
      chmodSync(suidProbe, 0o4755);
    }
  }

  // Host listeners: the sandbox must reach none of them.
  let tcp = 0;
  const tcpServer = net.createServer((s) => {
    tcp++;
    s.destroy();
  });
  await new Promise<void>((resolve) => tcpServer.listen(0, '127.0.0.1', resolve));
  let tcp6Server: net.Server | undefined = net.createServer((s) => {
    tcp++;
    s.destroy();
  });
  const tcp6Port = await new Promise<number | undefined>((resolve) => {
    tcp6Server?.once('error', () => resolve(undefined));
    tcp6Server?.listen(0, '::1', () => resolve((tcp6Server?.address() as net.AddressInfo).port));
  });
  if (tcp6Port === undefined) tcp6Server = undefined;
  let udp = 0;
  const udpSocket = dgram.createSocket('udp4');
  udpSocket.on('message', () => udp++);
  await new Promise<void>((resolve) => udpSocket.bind(0, '127.0.0.1', resolve));
  let unix = 0;
  const unixPath = path.join(secret.dir, 'agent.sock');
  const abstractName = `\0mcp-warden-attack-${mark()}`;
  const unixServers = [unixPath, abstractName].map((where) => {
    const server = net.createServer((s) => {
      unix++;
      s.destroy();
    });
    server.listen(where);
    return server;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (existsSync(unixPath)) chmodSync(unixPath, 0o777);

  // A host process whose command line carries a marker: /proc inside must not show it.
  const hostProcessMarker = `hostproc-${mark()}`;
  const hostProcess: ChildProcess = spawn(
    process.execPath,
    ['-e', 'setInterval(()=>{},1e9)', hostProcessMarker],
    {
      stdio: 'ignore',
    },
  );

  // The network family's targets: a failure to start them leaves those cases failing, not the others.
  const netLab: NetworkFixture | undefined = await startNetworkFixture(backend).catch((error: Error) => {
    process.stderr.write(`attacks: the network lab did not start: ${error.message}\n`);
    return undefined;
  });

  const ctx: AttackContext = {
    backend,
    root,
    ro,
    secret,
    home: os.homedir(),
    mark,
    tcpPort: (tcpServer.address() as net.AddressInfo).port,
    tcpConnections: () => tcp,
    tcp6Port,
    udpPort: udpSocket.address().port,
    udpDatagrams: () => udp,
    unixPath,
    abstractName,
    unixConnections: () => unix,
    hostProcessMarker,
    envCanary: `envcanary-${mark()}`,
    sysprobe,
    suidProbe,
    net: netLab,
  };
  return {
    ctx,
    close: async () => {
      hostProcess.kill('SIGKILL');
      await netLab?.close();
      udpSocket.close();
      await Promise.all(
        [tcpServer, tcp6Server, ...unixServers].map(
          (server) => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))),
        ),
      );
      rmSync(unixPath, { force: true });
    },
  };
}
