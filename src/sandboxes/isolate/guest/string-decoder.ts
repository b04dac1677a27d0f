// Guest shim for node:string_decoder: decodes byte chunks without splitting multi-byte characters.
import { Buffer } from './buffer.ts';

/** StringDecoder for utf8 (the default), utf16le, base64, hex and latin1. */
export class StringDecoder {
  readonly encoding: BufferEncoding;
  #pending: Uint8Array = new Uint8Array(0);
  constructor(encoding = 'utf8') {
    const lower = String(encoding).toLowerCase();
    this.encoding = (lower === 'utf-8' ? 'utf8' : lower) as BufferEncoding;
  }
  write(chunk: Uint8Array | string): string {
    if (typeof chunk === 'string') return chunk;
    const bytes = Buffer.concat([this.#pending, chunk]);
    const keep = this.#incompleteTail(bytes);
    this.#pending = bytes.subarray(bytes.length - keep);
    return bytes.subarray(0, bytes.length - keep).toString(this.encoding);
  }
  end(chunk?: Uint8Array | string): string {
    const text = chunk === undefined ? '' : this.write(chunk);
    const rest = Buffer.from(this.#pending).toString(this.encoding);
    this.#pending = new Uint8Array(0);
    return text + rest;
  }
  /** Bytes at the end that cannot be decoded yet. */
  #incompleteTail(bytes: Uint8Array): number {
    const n = bytes.length;
    if (this.encoding === 'utf8') {
      for (let back = 1; back <= Math.min(3, n); back++) {
        const byte = bytes[n - back] as number;
        if ((byte & 0xc0) === 0x80) continue; // continuation byte
        const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        return need > back ? back : 0;
      }
      return 0;
    }
    if (this.encoding === 'utf16le' || this.encoding === 'ucs2') return n % 2;
    if (this.encoding === 'base64') return n % 3;
    return 0;
  }
}
export default { StringDecoder };
