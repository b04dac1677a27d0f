import { redactSecrets } from './redact-secrets.ts';
import { SECRET_CANDIDATE } from './secret-patterns.ts';
import { CONTROL_CANDIDATE, stripControls } from './strip-controls.ts';

/** Which content guards are on (policy.guards). */
export interface GuardSettings {
  redactSecrets: boolean;
  stripControls: boolean;
}

/** Where a string sits: the chain of keys and indexes up to the message member (`result`, `params`, `error`). */
export interface Location {
  readonly key: string | number;
  readonly parent: Location | undefined;
}

/** One string met by the walk, as a check sees it. */
export interface StringSite {
  /** For a key, the location it names; for a value, its own location. */
  at: Location;
  isKey: boolean;
  /** The object holding this key or property value, as the server sent it; undefined for array items. */
  holder: Readonly<Record<string, unknown>> | undefined;
}

/** What one walk applies to every string, keys included. */
export interface ContentRules<T> {
  /** Remove terminal escapes, bidi controls and invisible characters (strip-controls.ts). */
  stripControls: boolean;
  /** Replace credentials by a marker (redact-secrets.ts). */
  redactSecrets: boolean;
  /**
   * Judge each string as the client will receive it (after the two above). Anything but undefined
   * stops the walk and is returned as the objection.
   */
  check?: (value: string, site: StringSite) => T | undefined;
}

/**
 * - `objection`: a check objected (the walk stopped there);
 * - `clash`: two keys of one object became the same key once sanitised (`at` names the second);
 * - `changed`: the sanitised message and what was removed (counts only, never the content);
 * - undefined: nothing to object to and nothing changed — forward the original bytes.
 */
export type ContentOutcome<T> =
  | { kind: 'objection'; objection: T }
  | { kind: 'clash'; at: Location }
  | { kind: 'changed'; message: Record<string, unknown>; secrets: Record<string, number>; controls: number }
  | undefined;

/** Only these members carry content; `jsonrpc`, `id` and `method` are never touched. */
const CONTENT_KEYS = ['result', 'params', 'error'] as const;

/**
 * The sanitisers worth running on a message, from its decoded line (parseLine's `text`): a cheap
 * pre-check on the whole line skips the walk for the common message without copying anything.
 */
export function sanitisersFor(text: string, settings: GuardSettings): Omit<ContentRules<never>, 'check'> {
  return {
    stripControls: settings.stripControls && CONTROL_CANDIDATE.test(text),
    redactSecrets: settings.redactSecrets && SECRET_CANDIDATE.test(text),
  };
}

/**
 * The one walk over a server→client message: every string value and every object key of its content
 * members, at any depth, is sanitised (escapes and invisible characters removed, credentials replaced)
 * and then judged by `rules.check`. Numbers, booleans, ids, methods and the message's shape are never
 * changed, so the MCP message stays valid.
 *
 * Linear in the size of the message: each string is visited once and every sanitiser and check is
 * linear in its string (tests/unit/guards/linear-time.test.ts), so the work a message can cost is
 * bounded by the server message cap and never starves the event loop beyond one message.
 * Pure: `message` is not mutated; changed branches are copied.
 */
export function guardContent<T>(message: Record<string, unknown>, rules: ContentRules<T>): ContentOutcome<T> {
  const walker = new Walker(rules);
  let changed: Record<string, unknown> | undefined;
  for (const key of CONTENT_KEYS) {
    if (!(key in message)) continue;
    const value = message[key];
    const next = walker.value(value, { key, parent: undefined }, undefined);
    if (walker.stop) return walker.stop;
    if (next !== value) {
      changed ??= { ...message };
      changed[key] = next;
    }
  }
  if (!changed) return undefined;
  return { kind: 'changed', message: changed, secrets: walker.secrets, controls: walker.controls };
}

/**
 * The content guards alone (no check): the sanitised message and what was removed, or undefined when
 * nothing changed. Kept for callers that only sanitise; `text` is the decoded line for the pre-check.
 */
export function guardServerMessage(
  text: string,
  message: Record<string, unknown>,
  settings: GuardSettings,
): { message: Record<string, unknown>; secrets: Record<string, number>; controls: number } | undefined {
  const rules = sanitisersFor(text, settings);
  if (!rules.stripControls && !rules.redactSecrets) return undefined;
  const outcome = guardContent<never>(message, rules);
  return outcome?.kind === 'changed' ? outcome : undefined;
}

/** Spell a location: `result.content[0].uri`, or `key of result.structuredContent` for a key. */
export function describeLocation(at: Location, isKey: boolean): string {
  const keys: (string | number)[] = [];
  for (let l: Location | undefined = at; l !== undefined; l = l.parent) keys.push(l.key);
  let text = '';
  for (const key of keys.reverse()) {
    text += typeof key === 'number' ? `[${key}]` : text === '' ? key : `.${key}`;
  }
  return isKey ? `key of ${text}` : text;
}

class Walker<T> {
  readonly #rules: ContentRules<T>;
  readonly secrets: Record<string, number> = {};
  controls = 0;
  stop: Exclude<ContentOutcome<T>, { kind: 'changed' } | undefined> | undefined;

  constructor(rules: ContentRules<T>) {
    this.#rules = rules;
  }

  /** `value` with every string in it guarded; the same value when nothing changed. */
  value(value: unknown, at: Location, holder: Readonly<Record<string, unknown>> | undefined): unknown {
    if (typeof value === 'string') return this.#text(value, { at, isKey: false, holder });
    if (Array.isArray(value)) return this.#array(value, at);
    if (value !== null && typeof value === 'object')
      return this.#record(value as Record<string, unknown>, at);
    return value;
  }

  #text(value: string, site: StringSite): string {
    const out = this.#sanitise(value);
    this.#judge(out, site);
    return out;
  }

  #judge(value: string, site: StringSite): void {
    const objection = this.#rules.check?.(value, site);
    if (objection !== undefined) this.stop = { kind: 'objection', objection };
  }

  #sanitise(value: string): string {
    let out = value;
    if (this.#rules.stripControls) {
      const stripped = stripControls(out);
      if (stripped) {
        out = stripped.text;
        this.controls += stripped.removed;
      }
    }
    if (this.#rules.redactSecrets) {
      const redacted = redactSecrets(out);
      if (redacted) {
        out = redacted.text;
        for (const [id, n] of Object.entries(redacted.counts)) this.secrets[id] = (this.secrets[id] ?? 0) + n;
      }
    }
    return out;
  }

  #array(list: readonly unknown[], at: Location): unknown {
    let copy: unknown[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const next = this.value(list[i], { key: i, parent: at }, undefined);
      if (this.stop) return list;
      if (next !== list[i]) {
        copy ??= [...list];
        copy[i] = next;
      }
    }
    return copy ?? list;
  }

  #record(record: Record<string, unknown>, at: Location): unknown {
    const keys = Object.keys(record);
    let entries: [string, unknown][] | undefined;
    let renamed = false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const newKey = this.#sanitise(key);
      // Places are spelt as the client sees them: with the sanitised key.
      const here: Location = { key: newKey, parent: at };
      this.#judge(newKey, { at: here, isKey: true, holder: record });
      if (this.stop) return record;
      const next = this.value(record[key], here, record);
      if (this.stop) return record;
      if (newKey !== key || next !== record[key]) {
        entries ??= keys.slice(0, i).map((k) => [k, record[k]]);
        renamed ||= newKey !== key;
      }
      entries?.push([newKey, next]);
    }
    if (!entries) return record;
    // Data properties only, so a "__proto__" key stays a key.
    const copy: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      if (renamed && Object.hasOwn(copy, key)) {
        this.stop = { kind: 'clash', at: { key, parent: at } };
        return record;
      }
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
}
