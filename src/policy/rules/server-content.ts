import { describeLocation, guardContent, sanitisersFor } from '../../guards/guard-message.ts';
import type { JsonRpcMessage } from '../../protocol/json-rpc.ts';
import type { PolicyContext, Verdict } from '../types.ts';
import { linkRule, mayHoldLink } from './response-uris.ts';
import { isRecord, reject } from './shared.ts';

type Allow = Extract<Verdict, { action: 'allow' }>;
type Message = JsonRpcMessage['message'];

/**
 * Every server→client message, after its structure was allowed: one walk over every string the server
 * sent, keys included, wherever it sits — results, errors and their data, notifications, server
 * requests, `_meta`, annotations, structured content, cursors, listings. Each string is sanitised
 * (content guards: escapes and invisible characters stripped, credentials redacted) and then judged by
 * the link rule (rules/response-uris.ts): a link outside the roots kills the server
 * (`path.outside-root`), as does an object whose keys collide once sanitised (`protocol.invalid-message`,
 * like a duplicate key). The cuts the structural rules made (`verdict.rewrite`: denied or withheld
 * tools, withheld prompts, resources, templates, instructions) are then made in the sanitised message,
 * which travels as the verdict's `rewrite`, with counts for the audit in `guarded`.
 *
 * `line` (the decoded line and its length in bytes) lets each rule be skipped when the line cannot
 * hold what it looks for; without it every rule walks. Pure but for ctx.realpath.
 */
export function guardServerContent(
  verdict: Allow,
  input: Message,
  ctx: PolicyContext,
  line: { text: string; bytes: number } | undefined,
): Verdict {
  const text = line?.text;
  const guards = ctx.policy.guards;
  const sanitisers =
    text === undefined
      ? { stripControls: guards.stripControls, redactSecrets: guards.redactSecrets }
      : sanitisersFor(text, guards);
  const links = line === undefined || mayHoldLink(line.text, line.bytes);
  if (!sanitisers.stripControls && !sanitisers.redactSecrets && !links) return verdict;
  // The message as the server sent it, withheld and filtered-out entries included: the link rule holds
  // for every string a server sends, and a withheld item must not spare a server that breached.
  const original = input as unknown as Record<string, unknown>;
  const outcome = guardContent(original, { ...sanitisers, ...(links ? { check: linkRule(ctx) } : {}) });
  if (!outcome) return verdict;
  if (outcome.kind === 'objection') return outcome.objection;
  if (outcome.kind === 'clash') {
    const where = describeLocation(outcome.at, true);
    return reject(
      'kill',
      'protocol.invalid-message',
      `server sent an object whose keys collide once control characters are removed (${where})`,
    );
  }
  const { secrets, controls } = outcome;
  const rewrite = verdict.rewrite ? applyCuts(original, verdict.rewrite, outcome.message) : outcome.message;
  return { ...verdict, rewrite, guarded: { secrets, controls } };
}

/**
 * Make in `sanitised` (the walked original) the cuts the structural rules made in `rewrite`: result
 * members left out (withheld instructions) and items of result arrays left out (denied and withheld
 * tools, withheld prompts, resources and templates; kept items are the original objects, so identity
 * tells which). The walk keeps keys in order (renaming at most), so members pair up by position.
 */
function applyCuts(
  original: Record<string, unknown>,
  rewrite: Record<string, unknown>,
  sanitised: Record<string, unknown>,
): Record<string, unknown> {
  const from = original.result;
  const cut = rewrite.result;
  const clean = sanitised.result;
  if (!isRecord(from) || !isRecord(cut) || !isRecord(clean) || cut === from) return sanitised;
  const fromKeys = Object.keys(from);
  const cleanKeys = Object.keys(clean);
  const result: Record<string, unknown> = {};
  fromKeys.forEach((key, i) => {
    if (!Object.hasOwn(cut, key)) return;
    const cleanKey = cleanKeys[i] as string;
    let value = clean[cleanKey];
    const items = from[key];
    const kept = cut[key];
    if (kept !== items && Array.isArray(items) && Array.isArray(kept) && Array.isArray(value)) {
      const keep = new Set(kept);
      value = value.filter((_, j) => keep.has(items[j]));
    }
    // Data properties only, so a "__proto__" key stays a key.
    Object.defineProperty(result, cleanKey, { value, enumerable: true, writable: true, configurable: true });
  });
  return { ...sanitised, result };
}
