// Guest shim for node:crypto: randomness and hashing computed by the host on copied bytes.
import { host } from './bridge.ts';
import { Buffer } from './buffer.ts';

type Data = string | Uint8Array;
const toBytes = (data: Data, encoding?: string): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, (encoding ?? 'utf8') as BufferEncoding) : data;
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** crypto.randomBytes (synchronous form, and callback form). */
export function randomBytes(size: number, callback?: (error: Error | null, bytes: Buffer) => void): Buffer {
  const bytes = asBuffer(host<Uint8Array>('crypto.randomBytes', size));
  if (callback) queueMicrotask(() => callback(null, bytes));
  return bytes;
}
export const randomUUID = (): string => host<string>('crypto.randomUUID');
export const randomInt = (min: number, max?: number): number => host<number>('crypto.randomInt', min, max);
export function getRandomValues<T extends ArrayBufferView>(array: T): T {
  const bytes = host<Uint8Array>('crypto.randomBytes', array.byteLength);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
  return array;
}

/** Hash/Hmac: updates are buffered in the guest; digest() hashes them on the host in one call. */
class Digest {
  #parts: Uint8Array[] = [];
  readonly #algorithm: string;
  readonly #key: Uint8Array | undefined;
  constructor(algorithm: string, key?: Data) {
    this.#algorithm = algorithm;
    this.#key = key === undefined ? undefined : toBytes(key);
    host('crypto.checkHash', algorithm);
  }
  update(data: Data, encoding?: string): this {
    this.#parts.push(toBytes(data, encoding));
    return this;
  }
  digest(encoding?: string): Buffer | string {
    const bytes = asBuffer(
      host<Uint8Array>('crypto.digest', this.#algorithm, this.#key, Buffer.concat(this.#parts)),
    );
    return encoding === undefined ? bytes : bytes.toString(encoding as BufferEncoding);
  }
  copy(): Digest {
    const copy = new Digest(this.#algorithm, this.#key);
    copy.#parts = [...this.#parts];
    return copy;
  }
}

export const createHash = (algorithm: string): Digest => new Digest(algorithm);
export const createHmac = (algorithm: string, key: Data): Digest => new Digest(algorithm, key);
export const getHashes = (): string[] => ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) throw new RangeError('Input buffers must have the same byte length');
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
/** The Web Crypto subset: getRandomValues and randomUUID (no subtle). */
export const webcrypto = { getRandomValues, randomUUID };
export default {
  randomBytes,
  randomUUID,
  randomInt,
  getRandomValues,
  createHash,
  createHmac,
  getHashes,
  timingSafeEqual,
  webcrypto,
};
