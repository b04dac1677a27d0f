// How a network case is judged: what reached the lab's targets while it ran (counters before and
// after), and what the proxy answered. "Contained" means the targets received nothing the allowlist
// does not allow, never merely that the probe failed.
import type { AttackContext, Check } from '../types.ts';
import type { LabStats, SeenRequest } from './lab.ts';

type Result = Record<string, unknown>;

const baselines = new WeakMap<AttackContext, Promise<LabStats>>();

/**
 * Take the counters now, before the probe is sent. Await it: the lab answers in its own time, and a
 * datagram the probe sent before the lab read the request would count in the baseline (the `none`
 * control network.udp then read as contained, twice in CI).
 */
export async function takeBaseline(ctx: AttackContext): Promise<void> {
  const lab = ctx.net?.lab;
  if (!lab) return;
  const stats = lab.stats();
  baselines.set(ctx, stats);
  await stats;
}

/** What reached the lab since the baseline: new origin requests, and every counter that moved. */
export interface Reach {
  originRequests: SeenRequest[];
  tlsRequests: SeenRequest[];
  originBytes: number;
  /** One line per counter that moved (empty: nothing reached anything). */
  moved: string[];
}

export async function reachSinceBaseline(ctx: AttackContext): Promise<Reach> {
  const lab = ctx.net?.lab;
  const before = await baselines.get(ctx);
  if (!lab || !before) throw new Error('no network lab baseline (the lab did not start)');
  // What was sent just before the probe returned may still be on its way through the proxy.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await lab.stats();
  const moved: string[] = [];
  const originRequests = after.origin.requests.slice(before.origin.requests.length);
  const tlsRequests = after.tls.requests.slice(before.tls.requests.length);
  const originConnections = after.origin.connections - before.origin.connections;
  if (originConnections > 0 || originRequests.length > 0)
    moved.push(
      `origin: ${originConnections} connection(s), requests ${JSON.stringify(originRequests).slice(0, 300)}`,
    );
  const tlsConnections = after.tls.connections - before.tls.connections;
  if (tlsConnections > 0) moved.push(`tls origin: ${tlsConnections} connection(s)`);
  for (const [key, now] of Object.entries(after.raw)) {
    const then = before.raw[key] ?? { connections: 0, bytes: 0 };
    if (now.connections > then.connections)
      moved.push(
        `${key}: ${now.connections - then.connections} connection(s), ${now.bytes - then.bytes} bytes`,
      );
  }
  if (after.udp > before.udp) moved.push(`udp: ${after.udp - before.udp} datagram(s)`);
  return {
    originRequests,
    tlsRequests,
    originBytes: after.origin.bytes - before.origin.bytes,
    moved,
  };
}

/** The text a probe got back (the proxy's answer, a fetch body, an error). */
export function answerText(r: Result): string {
  return [r.response, r.text, r.head, r.body, r.message, r.error, r.code]
    .filter((v) => v !== undefined)
    .map(String)
    .join(' | ');
}

/** Nothing reached any target, and `answer` (if given) accepts what the probe got. */
export function nothingReached(answer?: (r: Result) => string | undefined): Check<Result> {
  return async (r, ctx) => {
    const reach = await reachSinceBaseline(ctx);
    if (reach.moved.length > 0) return `reached: ${reach.moved.join('; ')}`;
    return answer?.(r);
  };
}

/** The proxy refused with `rule` (its 403 names the rule). */
export const refusedBy =
  (rule: string) =>
  (r: Result): string | undefined =>
    answerText(r).includes(rule)
      ? undefined
      : `no ${rule} refusal from the proxy: ${JSON.stringify(r).slice(0, 300)}`;

/** The proxy answered 400 (a request it will not parse or forward). */
export const badRequest = (r: Result): string | undefined =>
  /^HTTP\/1\.[01] 400/.test(String(r.response ?? '')) ||
  /HTTP\/1\.1 200 Connection[^]*400 Bad/.test(String(r.response ?? ''))
    ? undefined
    : `the proxy did not answer 400: ${JSON.stringify(r).slice(0, 300)}`;

/** A SOCKS5 reply other than success (and the proxy did answer). */
export const socksRefused = (r: Result): string | undefined => {
  const bytes = Buffer.from(String(r.response ?? ''), 'latin1');
  // Greeting answer [5, 0], then the request's reply [5, code, ...].
  if (bytes.length >= 4 && bytes[2] === 5 && bytes[3] !== 0) return undefined;
  return `no SOCKS5 refusal: ${JSON.stringify([...bytes.subarray(0, 12)])}`;
};

/** Only requests for `host` reached the origin, at most `max` of them. */
export function onlyHost(
  host: string,
  max: number,
  answer?: (r: Result) => string | undefined,
): Check<Result> {
  return async (r, ctx) => {
    const reach = await reachSinceBaseline(ctx);
    const foreign = reach.originRequests.filter((q) => q.host.split(':')[0]?.toLowerCase() !== host);
    if (foreign.length > 0) return `the origin got a request for another host: ${JSON.stringify(foreign)}`;
    if (reach.originRequests.length > max)
      return `the origin got ${reach.originRequests.length} requests (at most ${max} allowed): ${JSON.stringify(reach.originRequests)}`;
    const elsewhere = reach.moved.filter((line) => !line.startsWith('origin:'));
    if (elsewhere.length > 0) return `reached: ${elsewhere.join('; ')}`;
    return answer?.(r);
  };
}

/** A control: the allowed target WAS reached (so the refusals above are the policy's, not broken plumbing). */
export function reached(what: (reach: Reach, r: Result) => string | undefined): Check<Result> {
  return async (r, ctx) => what(await reachSinceBaseline(ctx), r);
}
