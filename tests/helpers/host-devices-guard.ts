// vitest setupFiles: no test file may change the owner or mode of the host's device nodes. A changed
// /dev/null breaks every later non-root bwrap session in ways that point nowhere near the cause (once in
// a CI run: this runsc chowns a container's stdin to its user, and a `docker run` without -i beside the
// run gave it the host's /dev/null). This names the file(s) running when it happened (two run side by
// side, vitest.config.ts maxWorkers), at the end of the file that saw it.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { HOST_DEVICE_NODES } from './host-devices-start.ts';

function snapshot(): string[] {
  return HOST_DEVICE_NODES.map((node) => {
    try {
      const stat = statSync(node);
      return `${node} ${stat.uid}:${stat.gid} ${(stat.mode & 0o7777).toString(8)}`;
    } catch (error) {
      return `${node} ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`;
    }
  });
}

let before: string[] = [];
beforeAll(() => {
  before = snapshot();
});
afterAll(() => {
  const after = snapshot();
  const changed = after.filter((line, i) => line !== before[i]);
  if (changed.length === 0) return;
  const file = expect.getState().testPath ?? 'this test file';
  throw new Error(
    `the host's device nodes changed while ${file} ran (or a file running beside it):\n` +
      `before: ${before.filter((line) => !after.includes(line)).join('; ')}\nafter:  ${changed.join('; ')}`,
  );
});
