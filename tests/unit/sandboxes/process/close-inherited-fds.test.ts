// Real processes: a child given descriptors the way a shell's `exec 200</` would (no close-on-exec)
// finds and closes exactly those, and Node's own descriptors (all O_CLOEXEC) stay open.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const MODULE = path.resolve(here, '../../../../src/sandboxes/process/close-inherited-fds.ts');

/** Run `body` in a fresh Node with `fds` (child fd → fd here) inherited; its stdout as JSON. */
function inChild(body: string, fds: Record<number, number>): unknown {
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'];
  for (const [at, fd] of Object.entries(fds)) {
    while (stdio.length <= Number(at)) stdio.push('ignore');
    stdio[Number(at)] = fd;
  }
  const script = `import { closeInheritedFds, findInheritedFds } from ${JSON.stringify(MODULE)};\n${body}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe.runIf(process.platform === 'linux')('closeInheritedFds', () => {
  it('finds the inherited descriptors (directory and file), closes them, and nothing else', () => {
    const dir = openSync('/', 'r');
    const file = openSync(MODULE, 'r');
    try {
      const out = inChild(
        `const before = findInheritedFds().filter((e) => e.fd === 200 || e.fd === 201);
const closed = closeInheritedFds().map((e) => e.fd);
const fs = await import('node:fs');
// Node itself still works: its own descriptors were close-on-exec and stay open.
const stillReads = fs.readFileSync(${JSON.stringify(MODULE)}, 'utf8').length > 0;
console.log(JSON.stringify({ before, closed, after: findInheritedFds(), stillReads,
  open200: fs.existsSync('/proc/self/fd/200') }));`,
        { 200: dir, 201: file },
      ) as Record<string, unknown>;
      expect(out.before).toEqual([
        { fd: 200, target: '/' },
        { fd: 201, target: MODULE },
      ]);
      expect(out.closed).toEqual(expect.arrayContaining([200, 201]));
      expect(out.after).toEqual([]);
      expect(out.stillReads).toBe(true);
      expect(out.open200).toBe(false);
    } finally {
      closeSync(dir);
      closeSync(file);
    }
  });

  it('ignores stdin, stdout and stderr and reports nothing when nothing was inherited', () => {
    const out = inChild('console.log(JSON.stringify(findInheritedFds()));', {});
    // A test runner may itself have been started with stray descriptors; none of ours are below 3.
    expect((out as Array<{ fd: number }>).every((e) => e.fd > 2)).toBe(true);
  });

  it('reads nothing where there is no /proc (macOS: libuv spawns with POSIX_SPAWN_CLOEXEC_DEFAULT)', async () => {
    const { findInheritedFds } = await import('../../../../src/sandboxes/process/close-inherited-fds.ts');
    expect(findInheritedFds('/nonexistent/fd', '/nonexistent/fdinfo')).toEqual([]);
  });
});
