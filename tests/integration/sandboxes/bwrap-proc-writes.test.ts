// A bwrap sandbox cannot write the host's sysctls. procfs lets uid 0 write every sysctl whose mode has
// the owner's write bit, whatever its capabilities; a root warden's sandbox user maps to host uid 0, and
// bwrap skips its read-only cover of /proc/sys in that mapping: the server could set
// /proc/sys/kernel/core_pattern to a program in a rw root, which the kernel then runs as host root on
// the next crash. A root warden's sandbox now gets /proc read-only. The server only opens the files for
// writing and writes nothing, so a failing run changes nothing.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../../../src/sandboxes/registry.ts';
import { runNode } from './helpers/sandbox-helpers.ts';

const bwrap = getBackend('bwrap');
const available = await bwrap.probe().then((availability) => availability.available);
const uid = process.getuid?.() ?? -1;

/** Writable by root on the host: the escalation vector, a harmless sysctl, a write-only one, the SysRq trigger. */
const TARGETS = [
  '/proc/sys/kernel/core_pattern',
  '/proc/sys/kernel/printk_ratelimit',
  '/proc/sys/vm/drop_caches',
  '/proc/sysrq-trigger',
].filter((file) => existsSync(file));

const SERVER = `
const fs = require('node:fs');
const outcome = {};
for (const file of ${JSON.stringify(TARGETS)}) {
  try { fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY)); outcome[file] = 'opened for writing'; }
  catch (error) { outcome[file] = error.code; }
}
let ownProc;
try { ownProc = fs.readFileSync('/proc/self/status', 'utf8').startsWith('Name:') ? 'readable' : 'odd'; } catch (error) { ownProc = error.code; }
process.stdout.write(JSON.stringify({ outcome, ownProc }));
`;

describe.runIf(available)(`bwrap and the host's sysctls (real bubblewrap, warden uid ${uid})`, () => {
  it('a server cannot open a sysctl or /proc/sysrq-trigger for writing; /proc stays readable', async () => {
    expect(TARGETS).toContain('/proc/sys/kernel/core_pattern');
    const { stdout, stderr, exit } = await runNode(bwrap, SERVER);
    expect(exit.code, stderr).toBe(0);
    const { outcome, ownProc } = JSON.parse(stdout) as { outcome: Record<string, string>; ownProc: string };
    // Root: the read-only /proc (EROFS). Any other uid: the files are root's (EACCES).
    const refused = uid === 0 ? 'EROFS' : 'EACCES';
    expect(outcome).toEqual(Object.fromEntries(TARGETS.map((file) => [file, refused])));
    expect(ownProc).toBe('readable');
  });
});
