import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const REPLICA_BYTES = 8;
const RANDOM_BYTES = 16;
const MAC_BYTES = 16;
const TOTAL = 1 + REPLICA_BYTES + RANDOM_BYTES + MAC_BYTES;

/**
 * The id of a replica inside session ids: 8 bytes of HMAC(key, its origin), hex. Keyed, so a session id
 * does not show which address owns it; every replica computes the same id for the same origin.
 */
export function replicaId(key: Buffer, origin: string): string {
  return createHmac('sha256', key)
    .update(`mcp-warden replica v1\0${origin}`)
    .digest()
    .subarray(0, REPLICA_BYTES)
    .toString('hex');
}

/**
 * Mcp-Session-Id values that name their owner replica and cannot be chosen or forged by a client:
 * base64url(version 1 ‖ replica id (8) ‖ random (16) ‖ HMAC-SHA256(key, the 25 bytes before) truncated
 * to 16). 55 visible ASCII characters.
 */
export class SessionIdCodec {
  readonly #key: Buffer;
  readonly #self: Buffer;

  /** `selfReplica`: this replica's id ({@link replicaId}), put in every id it mints. */
  constructor(key: Buffer, selfReplica: string) {
    this.#key = key;
    this.#self = Buffer.from(selfReplica, 'hex');
    if (this.#self.length !== REPLICA_BYTES) throw new Error('replica ids are 8 bytes of hex');
  }

  /** A new session id owned by this replica. */
  mint(): string {
    const body = Buffer.concat([Buffer.from([VERSION]), this.#self, randomBytes(RANDOM_BYTES)]);
    return Buffer.concat([body, this.#mac(body)]).toString('base64url');
  }

  /**
   * The owner replica of `id`, or undefined when the id was not minted with this key (a forged,
   * tampered, truncated or foreign id): such an id is an unknown session, never forwarded.
   */
  owner(id: string): string | undefined {
    if (id.length > 64 || !/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
    const raw = Buffer.from(id, 'base64url');
    // Exactly one spelling per id: base64url decoding ignores stray trailing bits.
    if (raw.length !== TOTAL || raw.toString('base64url') !== id || raw[0] !== VERSION) return undefined;
    const body = raw.subarray(0, TOTAL - MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(TOTAL - MAC_BYTES), this.#mac(body))) return undefined;
    return raw.subarray(1, 1 + REPLICA_BYTES).toString('hex');
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#key)
      .update('mcp-warden session v1\0')
      .update(body)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
