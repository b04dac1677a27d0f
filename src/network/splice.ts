import type { Duplex } from 'node:stream';

/** Byte counts of one spliced connection. */
export interface SpliceCounts {
  out: number;
  in: number;
}

/**
 * Copy bytes both ways between `client` and `upstream` with backpressure until both sides are done.
 * `allowOut(n)` is asked before each chunk towards upstream: false cuts the connection (a byte cap).
 * Resolves `cut: true` when that happened.
 */
export function splice(
  client: Duplex,
  upstream: Duplex,
  counts: SpliceCounts,
  allowOut: (bytes: number) => boolean,
): Promise<{ cut: boolean }> {
  return new Promise((resolve) => {
    let cut = false;
    let open = 2;
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const closed = (): void => {
      if (--open === 0) resolve({ cut });
    };
    client.on('data', (chunk: Buffer) => {
      if (!allowOut(chunk.length)) {
        cut = true;
        destroyBoth();
        return;
      }
      counts.out += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.in += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    client.once('close', () => {
      upstream.destroy();
      closed();
    });
    upstream.once('close', () => {
      client.destroy();
      closed();
    });
    client.resume();
    upstream.resume();
  });
}
