import { createHash } from 'node:crypto';
import type ivmModule from 'isolated-vm';
import type { CachedDataResult, ExternalCopy } from 'isolated-vm';
import { readOwnFile, writeAtomic } from './cache-file.ts';
import { bundleScript } from './guest-script.ts';

type Ivm = typeof ivmModule;
/** What compileScript's result carries besides the Script (isolated-vm's typings leave it out). */
type CompileResult = CachedDataResult & { cachedDataRejected?: boolean };

/** Bump when what goes into the cache or how it is used changes in a way the binding below cannot see. */
const RECIPE = 'isolate-code-cache-2';
const MAGIC = Buffer.from('mcp-warden v8 code cache\n', 'latin1');
const HASH_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 2 * HASH_BYTES;

/** What a cache file is valid for: the exact script (the bundle in its wrapper), V8 and isolated-vm. */
export interface CodeCacheBinding {
  /** The bundle's bytes (UTF-8); the script compiled is bundleScript() of their text. */
  bundle: Uint8Array;
  /** isolated-vm's version (its V8 flags and how it compiles may change with it). */
  isolatedVm: string;
}

const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();

/**
 * The binding hash: the recipe, Node, V8 and isolated-vm versions, the architecture, the script wrapper
 * and the bundle (its bytes: hashing them costs a third of hashing the script string).
 * V8 itself checks only its version, its flags and the source's *length*: a cache made for another
 * source of the same length would be accepted and run that other code, so the source is bound here.
 */
export function codeCacheBinding({ bundle, isolatedVm }: CodeCacheBinding): Buffer {
  const context = [RECIPE, process.version, process.versions.v8, process.arch, isolatedVm, bundleScript('')];
  return createHash('sha256').update(context.join('\0')).update('\0').update(bundle).digest();
}

/**
 * A cache file: MAGIC, the binding hash, the payload's sha256, then V8's code cache. A file that is not
 * ours (readOwnFile), shorter than the header, for another binding, or whose payload does not match its
 * hash is a miss; V8 still checks the payload's own header (version, flags) and may reject it.
 */
export function encodeCodeCache(binding: Buffer, payload: Uint8Array): Buffer {
  return Buffer.concat([MAGIC, binding, sha256(payload), payload]);
}

/** The payload of `file` when it is a valid cache file for `binding`, else undefined. */
export function decodeCodeCache(file: Buffer, binding: Buffer): Buffer | undefined {
  if (file.length <= HEADER_BYTES) return undefined;
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!file.subarray(MAGIC.length, MAGIC.length + HASH_BYTES).equals(binding)) return undefined;
  const payload = file.subarray(HEADER_BYTES);
  if (!sha256(payload).equals(file.subarray(MAGIC.length + HASH_BYTES, HEADER_BYTES))) return undefined;
  return payload;
}

/**
 * V8's code cache for the guest script, on disk next to the bundle. A hit skips nearly all of the
 * compile; a miss (none yet, or invalid, or rejected by V8) compiles from source, and the host then
 * calls `produce` once the server is running, so the cache also holds the functions the start-up
 * compiled lazily (V8 serialises whatever has been compiled by then).
 */
export class CodeCache {
  readonly #file: string | undefined;
  readonly #binding: Buffer | undefined;
  #payload: Buffer | undefined;
  #wanted: boolean;

  /** `file` undefined: no cache (a read-only or absent cache directory). */
  constructor(file: string | undefined, binding: CodeCacheBinding) {
    this.#file = file;
    this.#binding = file === undefined ? undefined : codeCacheBinding(binding);
    const bytes = file === undefined ? undefined : readOwnFile(file);
    this.#payload = bytes && this.#binding && decodeCodeCache(bytes, this.#binding);
    this.#wanted = file !== undefined && this.#payload === undefined;
  }

  /** True when a valid cache file was found (V8 may still reject it: see `compiled`). */
  get found(): boolean {
    return this.#payload !== undefined;
  }

  /** True when the cache should be (re)written: none was found, or V8 rejected it. */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** compileScript options: the cached data when there is some (handed over: once). */
  options(ivm: Ivm): { cachedData?: ExternalCopy<ArrayBuffer> } {
    const payload = this.#payload;
    if (payload === undefined) return {};
    const bytes = payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength);
    // Moved, not copied again: the payload is ~1 MB.
    return { cachedData: new ivm.ExternalCopy(bytes as ArrayBuffer, { transferOut: true }) };
  }

  /** After the compile: when V8 rejected the cached data, it is wanted again. */
  compiled(script: object): void {
    if (this.#payload !== undefined && (script as CompileResult).cachedDataRejected === true)
      this.#wanted = true;
    this.#payload = undefined;
  }

  /**
   * Store the cache `compile` produces (the same source compiled again with produceCachedData: V8 finds
   * the compiled script in its own cache and serialises it with every function compiled so far). Once;
   * failures only cost speed.
   */
  async produce(compile: () => Promise<object>): Promise<void> {
    if (!this.#wanted || this.#file === undefined || this.#binding === undefined) return;
    this.#wanted = false;
    try {
      const { cachedData } = (await compile()) as CompileResult;
      if (cachedData === undefined) return;
      writeAtomic(this.#file, encodeCodeCache(this.#binding, new Uint8Array(cachedData.copy())));
    } catch {
      // Only costs speed.
    }
  }
}
