import type { Duplex } from 'node:stream';

export type ReadOutcome<T> =
  { result: T; buffer: Buffer } | { result: { status: 'closed' | 'timeout' }; buffer: Buffer };

/**
 * Read from `socket` until `parse(buffer)` returns something other than `{status: 'more'}`, the peer
 * closes, or `timeoutMs` passes. The socket is paused afterwards with nothing consumed beyond
 * `buffer`, so the caller can forward exactly what was read.
 */
export function readUntil<T extends { status: string }>(
  socket: Duplex,
  initial: Buffer,
  parse: (data: Buffer) => T,
  timeoutMs: number,
): Promise<ReadOutcome<T>> {
  return new Promise((resolve) => {
    let buffer = initial;
    const first = parse(buffer);
    if (first.status !== 'more') {
      resolve({ result: first, buffer });
      return;
    }
    const finish = (outcome: ReadOutcome<T>): void => {
      socket.off('data', onData);
      socket.off('end', onClosed);
      socket.off('close', onClosed);
      socket.off('error', onClosed);
      clearTimeout(timer);
      socket.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const result = parse(buffer);
      if (result.status !== 'more') finish({ result, buffer });
    };
    const onClosed = (): void => finish({ result: { status: 'closed' }, buffer });
    const timer = setTimeout(() => finish({ result: { status: 'timeout' }, buffer }), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('end', onClosed);
    socket.once('close', onClosed);
    socket.once('error', onClosed);
    socket.resume();
  });
}
