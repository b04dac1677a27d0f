import { Writable } from 'node:stream';

/**
 * A Writable that cuts what is written into newline-terminated lines and hands each one over. The
 * supervisor writes whole lines (possibly several per writev), so a partial line only ever waits for
 * the rest of itself.
 */
export class LineSink extends Writable {
  #partial: Buffer[] = [];
  readonly #onLine: (line: Buffer) => void;

  constructor(onLine: (line: Buffer) => void) {
    super({ decodeStrings: true });
    this.#onLine = onLine;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.#partial.length > 0 ? Buffer.concat([...this.#partial, piece]) : piece;
      this.#partial = [];
      start = nl + 1;
      try {
        this.#onLine(line);
      } catch (error) {
        callback(error as Error);
        return;
      }
    }
    if (start < chunk.length) this.#partial.push(chunk.subarray(start));
    callback();
  }
}
