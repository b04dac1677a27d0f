import { guardContent } from '../guards/guard-message.ts';
import { redactSecrets } from '../guards/redact-secrets.ts';
import { redactionMarker } from '../guards/secret-patterns.ts';
import { isRecord } from '../util/is-record.ts';

/**
 * What a record may keep of one message (docs/least-privilege.md, "record and replay"):
 * - secrets: every string of `params`, `result` and `error` (keys too, at any depth) goes through the
 *   content guards' secret redaction (src/guards, the same that cleans what servers send), and every
 *   value given to the server with `--env` (MIN_ENV_VALUE characters or more) is replaced wherever it
 *   appears, whether or not it looks like a credential;
 * - file contents (unless --record-contents): see dropContents.
 */
export interface RecordRedaction {
  /** `--env` values given to the server (name, value): replaced by a marker wherever they appear. */
  envValues: ReadonlyArray<{ name: string; value: string }>;
  /** true: keep file contents (`--record-contents`). */
  contents: boolean;
}

/** Shorter `--env` values are not replaced on their own ("1", "true" would match everywhere). */
export const MIN_ENV_VALUE = 8;

/** The marker that stands for a dropped body: its size only, never a hash (a hash confirms a guess). */
export function droppedMarker(bytes: number): string {
  return `[contents dropped by mcp-warden record: ${bytes} bytes]`;
}

/** Methods whose results carry file contents (see dropContents). */
export const CONTENT_METHODS: ReadonlySet<string> = new Set(['tools/call', 'resources/read', 'prompts/get']);

export interface RedactedMessage {
  message: Record<string, unknown>;
  /** Secret pattern (or `env:NAME`) → number replaced. Empty: none. */
  secrets: Record<string, number>;
  /** Number of content bodies replaced by droppedMarker. */
  dropped: number;
}

/**
 * The message as a record may keep it. `answers` is the method of the request a result answers
 * (undefined for anything else). Pure; `message` is not mutated.
 */
export function redactForRecord(
  message: Readonly<Record<string, unknown>>,
  answers: string | undefined,
  options: RecordRedaction,
): RedactedMessage {
  let out: Record<string, unknown> = { ...message };
  let dropped = 0;
  if (!options.contents && answers !== undefined && CONTENT_METHODS.has(answers) && 'result' in out) {
    const cut = dropContents(out.result);
    out = { ...out, result: cut.value };
    dropped = cut.dropped;
  }
  const secrets: Record<string, number> = {};
  const guarded = guardContent<never>(out, { redactSecrets: true, stripControls: false });
  if (guarded?.kind === 'changed') {
    out = guarded.message;
    Object.assign(secrets, guarded.secrets);
  } else if (guarded?.kind === 'clash') {
    // Two keys became one once redacted: keep neither rather than guess which to keep.
    out = withoutContent(out);
    secrets['key-clash'] = 1;
  }
  const env = options.envValues.filter((entry) => entry.value.length >= MIN_ENV_VALUE);
  if (env.length > 0) out = replaceEnvValues(out, env, secrets);
  return { message: out, secrets, dropped };
}

/**
 * Redact one free-standing string (a header's command word) the same way: secret patterns, then
 * `--env` values.
 */
export function redactText(text: string, options: Pick<RecordRedaction, 'envValues'>): string {
  let out = redactSecrets(text)?.text ?? text;
  for (const { name, value } of options.envValues) {
    if (value.length >= MIN_ENV_VALUE) out = out.split(value).join(redactionMarker(`env:${name}`));
  }
  return out;
}

/**
 * File contents, as a record defines them: the bodies a server returns for a read, whichever tool or
 * resource it is (the warden cannot tell a file's text from any other text). In a result of
 * - `tools/call`: each `content[i].text` (type text), `.data` (image, audio), `.resource.text` and
 *   `.resource.blob` (embedded resources), and every string inside `structuredContent`;
 * - `resources/read`: each `contents[i].text` and `contents[i].blob`;
 * - `prompts/get`: the same fields of each `messages[i].content`.
 * Each is replaced by droppedMarker(its UTF-8 length). URIs, names, MIME types, `isError` and the
 * shape of the result stay, so replay still checks links and the record still shows what was read.
 */
export function dropContents(result: unknown): { value: unknown; dropped: number } {
  if (!isRecord(result)) return { value: result, dropped: 0 };
  let dropped = 0;
  const drop = (text: string): string => {
    dropped++;
    return droppedMarker(Buffer.byteLength(text, 'utf8'));
  };
  const out: Record<string, unknown> = { ...result };
  if (Array.isArray(out.content)) out.content = out.content.map((block) => dropBlock(block, drop));
  if (Array.isArray(out.contents)) out.contents = out.contents.map((item) => dropResource(item, drop));
  if (Array.isArray(out.messages)) {
    out.messages = out.messages.map((m) =>
      isRecord(m) && 'content' in m ? { ...m, content: dropBlock(m.content, drop) } : m,
    );
  }
  if ('structuredContent' in out) out.structuredContent = dropStrings(out.structuredContent, drop);
  return { value: out, dropped };
}

function dropBlock(block: unknown, drop: (text: string) => string): unknown {
  if (!isRecord(block)) return block;
  const out: Record<string, unknown> = { ...block };
  if (typeof out.text === 'string') out.text = drop(out.text);
  if (typeof out.data === 'string') out.data = drop(out.data);
  if ('resource' in out) out.resource = dropResource(out.resource, drop);
  return out;
}

function dropResource(item: unknown, drop: (text: string) => string): unknown {
  if (!isRecord(item)) return item;
  const out: Record<string, unknown> = { ...item };
  if (typeof out.text === 'string') out.text = drop(out.text);
  if (typeof out.blob === 'string') out.blob = drop(out.blob);
  return out;
}

function dropStrings(value: unknown, drop: (text: string) => string): unknown {
  if (typeof value === 'string') return drop(value);
  if (Array.isArray(value)) return value.map((item) => dropStrings(item, drop));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(out, key, {
      value: dropStrings(item, drop),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Only these members carry content (as in the content guards); `jsonrpc`, `id`, `method` stay. */
const CONTENT_KEYS = ['params', 'result', 'error'] as const;

function withoutContent(message: Record<string, unknown>): Record<string, unknown> {
  const out = { ...message };
  for (const key of CONTENT_KEYS) if (key in out) out[key] = '[not recorded: keys collide once redacted]';
  return out;
}

function replaceEnvValues(
  message: Record<string, unknown>,
  env: ReadonlyArray<{ name: string; value: string }>,
  counts: Record<string, number>,
): Record<string, unknown> {
  const text = (value: string): string => {
    let out = value;
    for (const { name, value: secret } of env) {
      if (!out.includes(secret)) continue;
      const parts = out.split(secret);
      const id = `env:${name}`;
      counts[id] = (counts[id] ?? 0) + parts.length - 1;
      out = parts.join(redactionMarker(id));
    }
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(walk);
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // Data properties only, so a "__proto__" key stays a key.
      Object.defineProperty(out, text(key), {
        value: walk(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  const out = { ...message };
  for (const key of CONTENT_KEYS) if (key in out) out[key] = walk(out[key]);
  return out;
}
