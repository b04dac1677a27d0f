/**
 * A fast, NON-cryptographic 64-bit hash (two FNV-1a lanes over UTF-16 code units) as 16 hex digits.
 * Only for naming cache entries whose full key is stored and compared on read, so a collision costs a
 * cache miss and never a wrong answer. Loading node:crypto for sha256 cost ~4 ms of every cold start.
 */
export function fastHashHex(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
