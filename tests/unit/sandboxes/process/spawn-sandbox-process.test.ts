// The launcher's extra input descriptors: each input reaches the child on its own pipe (fd 3, 4...),
// closed after writing, and the child inherits no other descriptor above 2.
import { describe, expect, it } from 'vitest';
import { spawnSandboxProcess } from '../../../../src/sandboxes/process/spawn-sandbox-process.ts';

const CHILD = `
const fs = require('node:fs');
const read = (fd) => { const chunks = []; const b = Buffer.alloc(65536); let n;
  while ((n = fs.readSync(fd, b)) > 0) chunks.push(Buffer.from(b.subarray(0, n))); return Buffer.concat(chunks); };
const three = read(3).toString('base64');
const four = read(4).toString('base64');
fs.closeSync(3); fs.closeSync(4);
const inherited = fs.readdirSync('/proc/self/fd').filter((name) => {
  if (Number(name) <= 2) return false;
  try { return (parseInt(/flags:\\s*([0-7]+)/.exec(fs.readFileSync('/proc/self/fdinfo/' + name, 'utf8'))[1], 8) & 0o2000000) === 0; }
  catch { return false; }
});
process.stdout.write(JSON.stringify({ three, four, inherited }));
`;

async function output(sandbox: Awaited<ReturnType<typeof spawnSandboxProcess>>): Promise<string> {
  let text = '';
  sandbox.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  await sandbox.exited;
  return text;
}

describe.runIf(process.platform === 'linux')('spawnSandboxProcess inputs', () => {
  it('writes each input to its own pipe at fd 3 and up and closes it (the child reads to EOF)', async () => {
    const big = Buffer.alloc(200_000, 7); // more than a pipe buffer holds
    const sandbox = await spawnSandboxProcess([process.execPath, '-e', CHILD], {}, '/', {
      inputs: [Buffer.from('--setenv\0A\0b\0'), big],
    });
    const out = JSON.parse(await output(sandbox)) as { three: string; four: string; inherited: string[] };
    expect(Buffer.from(out.three, 'base64').toString()).toBe('--setenv\0A\0b\0');
    expect(Buffer.from(out.four, 'base64').equals(big)).toBe(true);
    expect(out.inherited).toEqual([]);
    await expect(sandbox.inputsDelivered).resolves.toBeUndefined();
    await sandbox.stop();
  });

  it('reports the inputs delivered even when the child exits without reading them', async () => {
    const big = Buffer.alloc(2_000_000, 7); // the write cannot complete before the child is gone
    const sandbox = await spawnSandboxProcess([process.execPath, '-e', 'process.exit(0)'], {}, '/', {
      inputs: [big],
    });
    await sandbox.exited;
    await expect(sandbox.inputsDelivered).resolves.toBeUndefined();
    await sandbox.stop();
  });

  it('gives no extra descriptor without inputs', async () => {
    const sandbox = await spawnSandboxProcess(
      [
        process.execPath,
        '-e',
        "process.stdout.write(JSON.stringify(require('fs').existsSync('/proc/self/fd/3') && require('fs').readlinkSync('/proc/self/fd/3')))",
      ],
      {},
      '/',
    );
    // fd 3, if present, is Node's own (an epoll or the like), never a pipe from the launcher.
    expect(await output(sandbox)).not.toMatch(/pipe:|socket:/);
    await sandbox.stop();
  });
});
