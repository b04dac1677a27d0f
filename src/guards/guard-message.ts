import { redactSecrets } from './redact-secrets.ts';
import { SECRET_CANDIDATE } from './secret-patterns.ts';
import { CONTROL_CANDIDATE, stripControls } from './strip-controls.ts';

/** Which content guards are on (policy.guards). */
export interface GuardSettings {
  redactSecrets: boolean;
  stripControls: boolean;
}

/** A server message the guards changed, with what they did (for the audit event; never the content). */
export interface GuardedMessage {
  message: Record<string, unknown>;
  /** Secret pattern id → number redacted. */
  secrets: Record<string, number>;
  /** Number of terminal escapes and bidi controls removed. */
  controls: number;
}

/** Only these members carry content; `jsonrpc`, `id` and `method` are never touched. */
const CONTENT_KEYS = ['result', 'params', 'error'] as const;

/**
 * Apply the content guards to one server→client message: credentials in any string value are replaced
 * by a visible marker and terminal escapes and bidi controls are removed. Object keys, numbers and the
 * message's shape are never changed, so the MCP result stays valid.
 *
 * `text` is the line as received, decoded (parseLine's `text`): a cheap pre-check on it skips the walk
 * for the common message. No copy of the line is made for it (a 16 MB result stays 16 MB).
 * Returns undefined when nothing changed — the caller then forwards the original bytes untouched.
 * Pure: `message` is not mutated; changed branches are copied.
 */
export function guardServerMessage(
  text: string,
  message: Record<string, unknown>,
  settings: GuardSettings,
): GuardedMessage | undefined {
  if (!settings.redactSecrets && !settings.stripControls) return undefined;
  const secrets = settings.redactSecrets && SECRET_CANDIDATE.test(text);
  const controls = settings.stripControls && CONTROL_CANDIDATE.test(text);
  if (!secrets && !controls) return undefined;
  const tally: GuardedMessage = { message, secrets: {}, controls: 0 };
  const guardString = (text: string): string => {
    let out = text;
    if (controls) {
      const stripped = stripControls(out);
      if (stripped) {
        out = stripped.text;
        tally.controls += stripped.removed;
      }
    }
    if (secrets) {
      const redacted = redactSecrets(out);
      if (redacted) {
        out = redacted.text;
        for (const [id, n] of Object.entries(redacted.counts))
          tally.secrets[id] = (tally.secrets[id] ?? 0) + n;
      }
    }
    return out;
  };
  let changed: Record<string, unknown> | undefined;
  for (const key of CONTENT_KEYS) {
    if (!(key in message)) continue;
    const value = message[key];
    const next = walk(value, guardString);
    if (next !== value) {
      changed ??= { ...message };
      changed[key] = next;
    }
  }
  if (!changed) return undefined;
  tally.message = changed;
  return tally;
}

/** Map every string value (not keys) through `fn`; returns the same object when nothing changed. */
function walk(value: unknown, fn: (text: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = walk(value[i], fn);
      if (next !== value[i]) {
        copy ??= [...value];
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      const next = walk(record[key], fn);
      if (next !== record[key]) {
        if (!copy) {
          // Data properties only, so a "__proto__" key stays a key.
          copy = {};
          for (const k of Object.keys(record)) {
            Object.defineProperty(copy, k, {
              value: record[k],
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
        }
        Object.defineProperty(copy, key, {
          value: next,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return copy ?? value;
  }
  return value;
}
