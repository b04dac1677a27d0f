import { GENESIS_HASH, hashLine } from './hash-chain.ts';

export type VerifyResult =
  | { ok: true; events: number; sessions: number }
  | { ok: false; line: number; problem: string; events: number };

/**
 * Check an audit log's hash chain. Detects edited, inserted, reordered or deleted lines, a missing
 * beginning, a partial last line, and a log cut short after a session started (no session.end).
 */
export function verifyAuditLog(text: string): VerifyResult {
  if (text.length === 0) return { ok: true, events: 0, sessions: 0 };
  if (!text.endsWith('\n')) {
    return {
      ok: false,
      line: text.split('\n').length,
      problem: 'the last line is incomplete (truncated)',
      events: 0,
    };
  }
  const lines = text.slice(0, -1).split('\n');
  let expected = GENESIS_HASH;
  const open = new Set<string>();
  let sessions = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, line: i + 1, problem: 'not valid JSON', events: i };
    }
    const event = value as { prev?: unknown; event?: unknown; session?: unknown };
    if (event.prev !== expected) {
      const problem =
        i === 0
          ? 'the first event does not start the chain (lines missing at the beginning?)'
          : 'hash chain broken: this line or the one before it was edited, inserted or removed';
      return { ok: false, line: i + 1, problem, events: i };
    }
    expected = hashLine(line);
    const session = String(event.session);
    if (event.event === 'session.start') {
      open.add(session);
      sessions++;
    } else if (event.event === 'session.end') {
      open.delete(session);
    }
  }
  if (open.size > 0) {
    return {
      ok: false,
      line: lines.length,
      problem: `no session.end for session ${[...open].join(', ')}: the log was cut short (or the session is still running)`,
      events: lines.length,
    };
  }
  return { ok: true, events: lines.length, sessions };
}
