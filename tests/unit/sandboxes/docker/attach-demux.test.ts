import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxAttachStream } from '../../../../src/sandboxes/docker/attach-demux.ts';

function frame(type: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function collect(stream: PassThrough): Promise<string> {
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  return new Promise((resolve) => stream.on('end', () => resolve(Buffer.concat(parts).toString())));
}

describe('demuxAttachStream', () => {
  it('splits frames across arbitrary chunk boundaries, byte by byte included', async () => {
    const wire = Buffer.concat([
      frame(1, 'hello '),
      frame(2, 'log line\n'),
      frame(1, ''),
      frame(1, 'world\n'),
    ]);
    for (const size of [1, 3, 8, 9, wire.length]) {
      const source = new PassThrough();
      const out = new PassThrough();
      const err = new PassThrough();
      demuxAttachStream(source, out, err);
      const [o, e] = [collect(out), collect(err)];
      for (let i = 0; i < wire.length; i += size) source.write(wire.subarray(i, i + size));
      source.end();
      expect(await o).toBe('hello world\n');
      expect(await e).toBe('log line\n');
    }
  });

  it('pauses the source while a consumer is full and resumes when it drains', async () => {
    const source = new PassThrough();
    const written: string[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _e, callback) {
        written.push(chunk.toString());
        release = callback;
      },
    });
    const err = new PassThrough();
    demuxAttachStream(source, slow, err);
    source.write(frame(1, 'aaaaaaaa'));
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    release?.();
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(false);
    expect(written).toEqual(['aaaaaaaa']);
  });

  it('an unknown stream type destroys the source with an error', async () => {
    const source = new PassThrough();
    const failed = new Promise<Error>((resolve) => source.on('error', resolve));
    demuxAttachStream(source, new PassThrough(), new PassThrough());
    source.write(frame(7, 'x'));
    expect((await failed).message).toMatch(/unknown stream type 7/);
  });
});
