// The isolate host's start-up report on stderr: launch() waits for it (a refused bundle is a launch
// failure), and everything else the host writes still reaches the session's log, in order.
import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  formatStartStatus,
  parseStartStatus,
  readStartStatus,
} from '../../../../src/sandboxes/isolate/start-status.ts';

async function drain(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('start status', () => {
  it('round-trips ok and failure reports, and ignores lines that only look alike', () => {
    expect(parseStartStatus(formatStartStatus({ ok: true }).trimEnd())).toEqual({ ok: true });
    const failed = { ok: false as const, message: 'refused "/etc/shadow"', hint: 'use bwrap' };
    expect(parseStartStatus(formatStartStatus(failed).trimEnd())).toEqual(failed);
    expect(parseStartStatus('mcp-warden isolate start: {"ok":false}')).toBeUndefined();
    expect(parseStartStatus('some server log line')).toBeUndefined();
  });

  it('takes the report out of the stream, split across chunks, and passes the rest through in order', async () => {
    const source = new PassThrough();
    const reading = readStartStatus(source, 5000);
    const line = formatStartStatus({ ok: true });
    source.write('(node) a warning\n');
    source.write(line.slice(0, 10));
    source.write(`${line.slice(10)}server log 1\n`);
    const { status, stderr } = await reading;
    expect(status).toEqual({ ok: true });
    source.end('server log 2\n');
    expect(await drain(stderr)).toBe('(node) a warning\nserver log 1\nserver log 2\n');
  });

  it('resolves undefined when the host ends without a report, keeping what it wrote (its crash)', async () => {
    const source = new PassThrough();
    const reading = readStartStatus(source, 5000);
    source.end('Error: cannot load isolated-vm\n');
    const { status, stderr } = await reading;
    expect(status).toBeUndefined();
    expect(await drain(stderr)).toBe('Error: cannot load isolated-vm\n');
  });

  it('times out when no report comes', async () => {
    const source = new PassThrough();
    const { status } = await readStartStatus(source, 20);
    expect(status).toBe('timeout');
    source.end();
  });
});
