// Guest shim for node:os: harmless constants only (no host name, users, interfaces or load). The home
// directory is HOME as the guest's environment has it (the server's state home), like node's own.
import process from './process.ts';

export const EOL = '\n';
export const devNull = '/dev/null';
export const platform = (): string => 'linux';
export const type = (): string => 'Linux';
export const arch = (): string => 'x64';
export const release = (): string => '0.0.0-isolate';
export const version = (): string => 'mcp-warden isolate';
export const machine = (): string => 'x86_64';
export const hostname = (): string => 'mcp-warden';
export const homedir = (): string => process.env.HOME || '/nonexistent';
export const tmpdir = (): string => '/tmp';
export const endianness = (): string => 'LE';
export const cpus = (): unknown[] => [];
export const availableParallelism = (): number => 1;
export const totalmem = (): number => 0;
export const freemem = (): number => 0;
export const loadavg = (): number[] => [0, 0, 0];
export const uptime = (): number => 0;
export const networkInterfaces = (): Record<string, unknown> => ({});
export const userInfo = (): Record<string, unknown> => ({
  uid: 65534,
  gid: 65534,
  username: 'nobody',
  homedir: homedir(),
  shell: null,
});
export const constants = { signals: {}, errno: {}, priority: {} };
export default {
  EOL,
  devNull,
  platform,
  type,
  arch,
  release,
  version,
  machine,
  hostname,
  homedir,
  tmpdir,
  endianness,
  cpus,
  availableParallelism,
  totalmem,
  freemem,
  loadavg,
  uptime,
  networkInterfaces,
  userInfo,
  constants,
};
