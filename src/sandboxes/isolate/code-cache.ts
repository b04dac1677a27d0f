import { readFileSync, statSync } from 'node:fs';
import type ivmModule from 'isolated-vm';
import type { ExternalCopy, Module } from 'isolated-vm';
import { writeAtomic } from './bundle.ts';

type Ivm = typeof ivmModule;

/** V8's code cache for the bundle, on disk next to it: a warm start skips most of the parse and compile. */
export class CodeCache {
  readonly #file: string | undefined;
  #data: Buffer | undefined;
  constructor(file: string | undefined) {
    this.#file = file;
    try {
      if (file !== undefined && statSync(file).size > 0) this.#data = readFileSync(file);
    } catch {
      this.#data = undefined;
    }
  }
  /** compileModule options: consume the cache when there is one, else produce it. */
  options(ivm: Ivm): { cachedData?: ExternalCopy<ArrayBuffer>; produceCachedData?: boolean } {
    if (this.#data === undefined) return this.#file === undefined ? {} : { produceCachedData: true };
    const bytes = this.#data.buffer.slice(
      this.#data.byteOffset,
      this.#data.byteOffset + this.#data.byteLength,
    );
    return { cachedData: new ivm.ExternalCopy(bytes as ArrayBuffer) };
  }
  /** Save newly produced cache data; when V8 rejected the old data, empty the file so the next start produces it. */
  store(module: Module): void {
    const result = module as unknown as {
      cachedData?: ExternalCopy<ArrayBuffer>;
      cachedDataRejected?: boolean;
    };
    if (this.#file === undefined) return;
    try {
      if (result.cachedDataRejected === true) writeAtomic(this.#file, '');
      else if (this.#data === undefined && result.cachedData !== undefined)
        writeAtomic(this.#file, new Uint8Array(result.cachedData.copy()));
    } catch {
      // Only costs speed.
    }
  }
}
