// Guest TextEncoder/TextDecoder (UTF-8), on top of the Buffer shim.
import { Buffer } from './buffer.ts';
import { StringDecoder } from './string-decoder.ts';

/** WHATWG TextEncoder (UTF-8 only, as in Node). */
export class TextEncoder {
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    const bytes = Buffer.from(String(input), 'utf8');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    const bytes = this.encode(input);
    if (bytes.byteLength > dest.byteLength) throw new RangeError('encodeInto: destination too small');
    dest.set(bytes);
    return { read: input.length, written: bytes.byteLength };
  }
}

/** WHATWG TextDecoder for utf-8 (and latin1/utf-16le), with `stream` support. */
export class TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  #decoder: StringDecoder;
  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const lower = String(label).toLowerCase();
    this.encoding = lower === 'utf8' ? 'utf-8' : lower;
    this.fatal = options.fatal ?? false;
    this.ignoreBOM = options.ignoreBOM ?? false;
    this.#decoder = new StringDecoder(
      this.encoding === 'utf-16le' ? 'utf16le' : this.encoding === 'utf-8' ? 'utf8' : 'latin1',
    );
  }
  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    const bytes =
      input === undefined
        ? new Uint8Array(0)
        : input instanceof ArrayBuffer
          ? new Uint8Array(input)
          : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const text = options.stream ? this.#decoder.write(bytes) : this.#decoder.end(bytes);
    return !this.ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}
