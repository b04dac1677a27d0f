import type { Socket } from 'node:net';

// The pool's wire (protocol.ts holds the message schemas): newline-delimited JSON over a unix socket.
// Nothing here loads zod: the warden uses this on its start-up path.

/** Bumped on any incompatible change; a daemon answers a request of another version with an error. */
export const POOL_PROTOCOL_VERSION = 1;
/** The longest line either side accepts (a create body with its seccomp profile is ~20 KB). */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Call `onLine` with each newline-terminated line `socket` receives (without the newline). A line
 * longer than `max` bytes destroys the socket: neither side of the pool ever buffers past it.
 */
export function readLines(socket: Socket, onLine: (line: string) => void, max = MAX_LINE_BYTES): void {
  let pending: Buffer[] = [];
  let size = 0;
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (size + nl - start > max) return void socket.destroy(new Error(`a line longer than ${max} bytes`));
      pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      size = 0;
      start = nl + 1;
      onLine(line);
      if (socket.destroyed) return;
    }
    size += chunk.length - start;
    if (size > max) return void socket.destroy(new Error(`a line longer than ${max} bytes`));
    if (start < chunk.length) pending.push(chunk.subarray(start));
  });
}

/** Send one message as a JSON line; a socket already closed is left alone. */
export function writeLine(socket: Socket, message: object): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}
