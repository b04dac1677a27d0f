// Guest shim for node:buffer: the npm `buffer` package (a Uint8Array-based Buffer written in JS),
// resolved by the bundler under the private specifier below.
// @ts-expect-error -- a bundler-only specifier, see bundle-plugin.ts
import { Buffer as BufferImpl } from 'warden-buffer-impl';

/** Node's Buffer (JS implementation). */
export const Buffer = BufferImpl as typeof globalThis.Buffer;
export const kMaxLength = 2 ** 31 - 1;
export const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 };
export const atob = (data: string): string => Buffer.from(String(data), 'base64').toString('latin1');
export const btoa = (data: string): string => Buffer.from(String(data), 'latin1').toString('base64');
export default { Buffer, kMaxLength, constants, atob, btoa };
