import type { Readable, Writable } from 'node:stream';

const HEADER = 8;

/**
 * Split the engine's multiplexed attach stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian payload length) into `stdout` and `stderr`, with backpressure: when either consumer
 * signals a full buffer the source is paused until it drains, so a flooding server is slowed down
 * by the kernel instead of growing the warden's memory. Partial headers and payloads across chunk
 * boundaries are reassembled without re-copying what was already received. An unknown stream type
 * (a corrupt or non-multiplexed stream) destroys `source` with an error; the container's exit is
 * then reported as usual. Both outputs end when `source` ends.
 */
export function demuxAttachStream(source: Readable, stdout: Writable, stderr: Writable): void {
  let header = Buffer.alloc(0);
  let target: Writable | undefined;
  let remaining = 0;
  let waiting = 0;

  const push = (out: Writable, data: Buffer): void => {
    if (!out.write(data)) {
      waiting++;
      source.pause();
      out.once('drain', () => {
        waiting--;
        if (waiting === 0 && !source.destroyed) source.resume();
      });
    }
  };

  source.on('data', (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (target === undefined) {
        const need = HEADER - header.length;
        header = Buffer.concat([header, chunk.subarray(offset, offset + need)]);
        offset += Math.min(need, chunk.length - offset);
        if (header.length < HEADER) return;
        const type = header[0];
        remaining = header.readUInt32BE(4);
        header = Buffer.alloc(0);
        if (type === 1) target = stdout;
        else if (type === 2) target = stderr;
        else {
          source.destroy(new Error(`corrupt attach stream: frame of unknown stream type ${type}`));
          return;
        }
        if (remaining === 0) target = undefined;
        continue;
      }
      const take = Math.min(remaining, chunk.length - offset);
      push(target, chunk.subarray(offset, offset + take));
      offset += take;
      remaining -= take;
      if (remaining === 0) target = undefined;
    }
  });
  const finish = (): void => {
    stdout.end();
    stderr.end();
  };
  source.once('end', finish);
  source.once('close', finish);
}
