import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../../src/supervisor/client-writer.ts';

/** A destination that records each batch the stream hands to it (one batch = one system call). */
function recorder(): { out: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      batches.push([chunk.toString()]);
      callback();
    },
    writev(chunks, callback) {
      batches.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      callback();
    },
  });
  return { out, batches };
}

describe('LineWriter', () => {
  it('the first line of a tick leaves at once, the rest of the tick together in one batch (one writev)', async () => {
    const { out, batches } = recorder();
    const writer = new LineWriter(out);
    for (let i = 0; i < 5; i++) writer.write(Buffer.from(`line ${i}\n`));
    await new Promise((resolve) => setImmediate(resolve));
    writer.write(Buffer.from('later\n'));
    await writer.flush();
    expect(batches[0]).toEqual(['line 0\n']);
    expect(batches[1]).toEqual(['line 1\n', 'line 2\n', 'line 3\n', 'line 4\n']);
    expect(batches.flat()).toEqual([
      'line 0\n',
      'line 1\n',
      'line 2\n',
      'line 3\n',
      'line 4\n',
      'later\n',
      '',
    ]);
  });

  it('a lone line is handed to the destination at once, not held until the next tick (issue 19)', () => {
    const { out, batches } = recorder();
    const writer = new LineWriter(out);
    writer.write(Buffer.from('only\n'));
    expect(batches).toEqual([['only\n']]);
  });

  it('pauses the source while the destination is full and resumes on drain', async () => {
    const source = new PassThrough();
    source.resume();
    let release: (() => void) | undefined;
    const out = new Writable({
      highWaterMark: 4,
      write(_chunk, _encoding, callback) {
        release = callback;
      },
    });
    const writer = new LineWriter(out);
    writer.setSource(source);
    writer.write(Buffer.from('a long line\n'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    release?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(false);
  });

  it("pauses the client past maxBytes of the warden's own unread lines, never for lines passing through", async () => {
    const server = new PassThrough();
    const client = new PassThrough();
    server.resume();
    client.resume();
    const held: Array<() => void> = [];
    const out = new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, callback) {
        held.push(callback);
      },
    });
    const writer = new LineWriter(out);
    writer.setSource(server);
    writer.holdOwnWrites(client, 100);
    // A flood passing through fills the destination: the server is paused, the client is not.
    for (let i = 0; i < 20; i++) writer.write(Buffer.from(`server line ${i}\n`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.isPaused()).toBe(true);
    expect(client.isPaused()).toBe(false);
    // The warden's own answers: up to 100 bytes may wait, then the client is paused too.
    for (let i = 0; i < 3; i++) writer.writeOwn(Buffer.from(`answer ${i}`.padEnd(29, '.') + '\n'));
    expect(client.isPaused()).toBe(false);
    writer.writeOwn(Buffer.from('answer 3 ..........\n'));
    expect(client.isPaused()).toBe(true);
    // Once everything drains, both flow again.
    while (held.length > 0) {
      held.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.isPaused()).toBe(false);
    expect(client.isPaused()).toBe(false);
  });

  it('end() while corked still delivers everything', async () => {
    const { out, batches } = recorder();
    const finished = new Promise((resolve) => out.on('finish', resolve));
    const writer = new LineWriter(out);
    writer.write(Buffer.from('last words\n'));
    writer.end();
    await finished;
    expect(batches.flat()).toEqual(['last words\n']);
  });
});
