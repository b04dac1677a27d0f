import type { PoolReply } from './protocol.ts';

/**
 * Pure: the daemon's reply on one line, or undefined when it is not a valid reply. The same verdict
 * as protocol.ts ReplySchema (a unit test holds them together), written by hand because the warden
 * reads it on its start-up path, where loading zod would cost more than the pool saves on docker.
 */
export function parseReply(line: string): PoolReply | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const reply = value as Record<string, unknown>;
  const only = (...keys: string[]): boolean =>
    Object.keys(reply).every((key) => key === 'type' || keys.includes(key));
  switch (reply.type) {
    case 'hit':
      return only('id', 'name', 'stderr') &&
        typeof reply.id === 'string' &&
        /^[0-9a-f]{64}$/.test(reply.id) &&
        typeof reply.name === 'string' &&
        reply.name.length > 0 &&
        typeof reply.stderr === 'string' &&
        isBase64(reply.stderr)
        ? { type: 'hit', id: reply.id, name: reply.name, stderr: reply.stderr }
        : undefined;
    case 'miss':
    case 'error':
      return only('reason') && typeof reply.reason === 'string'
        ? { type: reply.type, reason: reply.reason }
        : undefined;
    case 'ok':
      return only() ? { type: 'ok' } : undefined;
    default:
      // `status` is for tests and the benchmark, which parse it with the schema.
      return undefined;
  }
}

function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}
