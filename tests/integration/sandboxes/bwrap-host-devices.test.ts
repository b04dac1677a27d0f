// A bwrap sandbox never changes the host's device nodes. Run by root, the warden's sandbox user maps to
// host uid 0, the owner of /dev/null, /dev/zero...; with bwrap's `--dev /dev` binding the host's nodes,
// the server's chmod, chown and utimes reached them (`chmod 600 /dev/null` broke the host). A root
// warden's sandbox now gets private copies owned by a uid it is not mapped to (private-devices.ts).
// Compared: owner, group, mode and ctime of the host's nodes (a chmod or chown to the same values, or
// utimes, still moves ctime); the server only ever sets the values a node already has, so a failing run
// does no harm beyond ctime.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MASKED_PROC_FILES } from '../../../src/sandboxes/bwrap/bwrap-plan.ts';
import {
  BWRAP_DEV_NODES,
  PRIVATE_DEVICE_OWNER,
  type PrivateDevices,
  devicesOwnedBy,
  ensurePrivateDevices,
} from '../../../src/sandboxes/bwrap/private-devices.ts';
import { getBackend } from '../../../src/sandboxes/registry.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';
import { runNode, tempDir } from './helpers/sandbox-helpers.ts';

const bwrap = getBackend('bwrap');
const available = await bwrap.probe().then((availability) => availability.available);
const uid = process.getuid?.() ?? -1;
const ROOT = uid === 0;
const DEVICES = BWRAP_DEV_NODES.map((name) => `/dev/${name}`).filter((file) => existsSync(file));
const MASKED = MASKED_PROC_FILES.filter((file) => existsSync(file));

/** Owner, group, mode and ctime of each file, one readable line each (a diff names the file). */
function snapshot(files: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    files.map((file) => {
      const stat = statSync(file, { bigint: true });
      return [file, `${stat.uid}:${stat.gid} mode ${stat.mode.toString(8)} ctime ${stat.ctimeNs}`];
    }),
  );
}

const identity = (stat: { dev: number; ino: number }): string => `${stat.dev}:${stat.ino}`;

// Each path's identity, then chmod, chown and utimes to the values it has, and fchmod through a
// descriptor; then the nodes' ordinary use. The outcome as JSON on stdout.
const SERVER = `
const fs = require('node:fs');
const nodes = {};
for (const file of ${JSON.stringify([...DEVICES, ...MASKED])}) {
  const stat = fs.statSync(file);
  const tried = { dev: stat.dev, ino: stat.ino };
  const call = (name, fn) => { try { fn(); tried[name] = 'ok'; } catch (error) { tried[name] = error.code; } };
  call('chmod', () => fs.chmodSync(file, stat.mode & 0o7777));
  call('chown', () => fs.chownSync(file, stat.uid, stat.gid));
  call('utimes', () => fs.utimesSync(file, stat.atime, stat.mtime));
  call('fchmod', () => { const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); try { fs.fchmodSync(fd, stat.mode & 0o7777); } finally { fs.closeSync(fd); } });
  nodes[file] = tried;
}
const read = (file) => { const fd = fs.openSync(file, 'r'); const bytes = Buffer.alloc(64, 1); fs.readSync(fd, bytes); fs.closeSync(fd); return bytes; };
fs.writeFileSync('/dev/null', 'discarded');
let full;
try { fs.writeFileSync('/dev/full', 'x'); full = 'written'; } catch (error) { full = error.code; }
const use = { zero: read('/dev/zero').every((b) => b === 0), urandom: read('/dev/urandom').some((b) => b !== 1), full };
process.stdout.write(JSON.stringify({ nodes, use }));
`;

describe.runIf(available)(`bwrap and the host's device nodes (real bubblewrap, warden uid ${uid})`, () => {
  it("a server that chmods, chowns and touches every device node leaves the host's as they were (owner, mode, ctime)", async () => {
    const before = snapshot(DEVICES);
    const { stdout, stderr, exit } = await runNode(bwrap, SERVER);
    expect(exit.code, stderr).toBe(0);
    const out = JSON.parse(stdout) as {
      nodes: Record<string, Record<string, string | number>>;
      use: Record<string, unknown>;
    };
    expect(snapshot(DEVICES)).toEqual(before);
    for (const file of DEVICES) {
      const tried = out.nodes[file] as Record<string, string | number>;
      // Root owns the host's nodes: the sandbox must be looking at other inodes. (Any other uid owns
      // none, and the host's are refused to it.)
      if (ROOT)
        expect(identity(tried as { dev: number; ino: number }), file).not.toBe(identity(statSync(file)));
      expect({ file, chmod: tried.chmod, chown: tried.chown, utimes: tried.utimes }).toEqual({
        file,
        chmod: 'EPERM',
        chown: 'EPERM',
        utimes: 'EPERM',
      });
      // /dev/tty opens only with a controlling terminal, which the sandbox (a new session) has not.
      expect(tried.fchmod, file).toBe(file === '/dev/tty' ? 'ENXIO' : 'EPERM');
    }
    // The masked /proc files are read-only binds of /dev/null: refused before ownership is considered.
    for (const file of MASKED) {
      const tried = out.nodes[file] as Record<string, string | number>;
      expect({ file, chmod: tried.chmod, chown: tried.chown, utimes: tried.utimes }).toEqual({
        file,
        chmod: 'EROFS',
        chown: 'EROFS',
        utimes: 'EROFS',
      });
    }
    expect(out.use).toEqual({ zero: true, urandom: true, full: 'ENOSPC' });
  });

  it.runIf(ROOT)(
    'as root: every node --dev binds from the host is covered by a private copy, the /proc masks too',
    () => {
      const plan = bwrap.plan({
        executable: process.execPath,
        args: [],
        env: {},
        roots: [],
        readOnlyPaths: [],
        runtimePaths: [],
        cwd: '/tmp',
        limits: {},
        network: false,
      });
      expect(plan.details?.privateDevices, 'the plan has no private device nodes').toBeDefined();
      const devices = plan.details?.privateDevices as PrivateDevices;
      expect(devices.nodes.map((node) => `/dev/${node.name}`)).toEqual(DEVICES);
      const binds = plan.argv.flatMap((arg, i) =>
        arg === '--dev-bind' || arg === '--ro-bind' ? [`${arg} ${plan.argv[i + 1]} ${plan.argv[i + 2]}`] : [],
      );
      for (const file of DEVICES)
        expect(binds).toContain(`--dev-bind ${devices.dir}${file.slice(4)} ${file}`);
      for (const file of MASKED) expect(binds).toContain(`--ro-bind ${devices.dir}/null ${file}`);
      expect(binds.join('\n')).not.toMatch(/ \/dev\/(null|zero|full|random|urandom|tty) /);
    },
  );
});

/** The entries of `dir` other than `keep` (staging or stale directories left behind). */
const leftovers = (dir: string, keep: string): string[] =>
  readdirSync(dir).filter((name) => name !== path.basename(keep));

interface ChildOutcome {
  code?: string;
  message?: string;
  hint?: string;
  /** What the directory's parent held afterwards, as the child saw it. */
  left: string[];
}

/**
 * ensurePrivateDevices for `dir` in a child node started through `prefix` (a mount namespace, fewer
 * capabilities); the error it threw, if any.
 */
function ensureInChild(prefix: string[], dir: string): ChildOutcome {
  const module = path.join(PROJECT_ROOT, 'src/sandboxes/bwrap/private-devices.ts');
  const code = `
const { readdirSync } = await import('node:fs');
const { devicesOwnedBy, ensurePrivateDevices } = await import(${JSON.stringify(module)});
let outcome = {};
try { ensurePrivateDevices({ dir: ${JSON.stringify(dir)}, nodes: devicesOwnedBy(0) }); }
catch (error) { outcome = { code: error.code, message: error.message, hint: error.hint }; }
process.stdout.write(JSON.stringify({ ...outcome, left: readdirSync(${JSON.stringify(path.dirname(dir))}) }));`;
  const [program, ...args] = [...prefix, process.execPath, '--input-type=module', '-e', code];
  const run = spawnSync(program as string, args, { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`the child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildOutcome;
}

describe.runIf(ROOT)('private device nodes (root: mknod needs CAP_MKNOD)', () => {
  const nodes = devicesOwnedBy(0);

  it('creates each node once: host device number, mode 0666, owned by nobody, in a 0700 directory', () => {
    const parent = tempDir('private-dev');
    const dir = path.join(parent, 'bwrap-dev');
    ensurePrivateDevices({ dir, nodes });
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(dir).uid).toBe(0);
    const made = nodes.map((node) => {
      const stat = lstatSync(path.join(dir, node.name));
      return {
        name: node.name,
        char: stat.isCharacterDevice(),
        rdev: stat.rdev,
        uid: stat.uid,
        gid: stat.gid,
        mode: stat.mode & 0o7777,
      };
    });
    expect(made).toEqual(
      nodes.map((node) => ({
        name: node.name,
        char: true,
        rdev: statSync(`/dev/${node.name}`).rdev,
        uid: PRIVATE_DEVICE_OWNER,
        gid: PRIVATE_DEVICE_OWNER,
        mode: 0o666,
      })),
    );
    // Verified, not remade, on the next launch.
    const inodes = nodes.map((node) => lstatSync(path.join(dir, node.name)).ino);
    ensurePrivateDevices({ dir, nodes });
    expect(nodes.map((node) => lstatSync(path.join(dir, node.name)).ino)).toEqual(inodes);
    expect(leftovers(parent, dir)).toEqual([]);
    rmSync(parent, { recursive: true, force: true });
  });

  it('replaces a tampered set (a node chmodded, a node swapped for a file, the directory opened up)', () => {
    const parent = tempDir('private-dev');
    const dir = path.join(parent, 'bwrap-dev');
    ensurePrivateDevices({ dir, nodes });
    chmodSync(path.join(dir, 'null'), 0o600);
    rmSync(path.join(dir, 'zero'));
    writeFileSync(path.join(dir, 'zero'), 'not a device');
    chmodSync(dir, 0o755);
    ensurePrivateDevices({ dir, nodes });
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(path.join(dir, 'null')).mode & 0o7777).toBe(0o666);
    expect(lstatSync(path.join(dir, 'zero')).isCharacterDevice()).toBe(true);
    expect(leftovers(parent, dir)).toEqual([]);
    rmSync(parent, { recursive: true, force: true });
  });

  it.runIf(available)('on a nodev filesystem: a clear error, and nothing left behind', () => {
    const parent = tempDir('private-dev-nodev');
    // bwrap's --tmpfs is mounted nodev; the child stays root with its capabilities (no --unshare-user).
    const error = ensureInChild(
      ['bwrap', '--dev-bind', '/', '/', '--tmpfs', parent],
      path.join(parent, 'bwrap-dev'),
    );
    expect(error.code).toBe('backend-unavailable');
    expect(error.message).toContain(`private device nodes in ${parent}/bwrap-dev`);
    expect(error.message).toContain('EACCES');
    expect(error.hint).toContain('MCP_WARDEN_CACHE_DIR');
    expect(error.left).toEqual([]);
    rmSync(parent, { recursive: true, force: true });
  });

  it('without CAP_MKNOD: a clear error, and nothing left behind', () => {
    const parent = tempDir('private-dev-nomknod');
    const error = ensureInChild(
      ['setpriv', '--inh-caps=-mknod', '--bounding-set=-mknod', '--'],
      path.join(parent, 'bwrap-dev'),
    );
    expect(error.code).toBe('backend-unavailable');
    expect(error.message).toMatch(/cp -R -p failed: .*Operation not permitted/);
    expect(error.hint).toContain('--profile docker or gvisor');
    expect(error.left).toEqual([]);
    rmSync(parent, { recursive: true, force: true });
  });
});
