// Issue 20 item 6: guards that a crafted message could make slow. The private-key redaction pattern
// backtracked exponentially: one 562-byte server line (`-----BEGIN PRIVATE KEY-----` and 24 lines of
// `aaaaaaaaaaaaaaaa:`) froze the warden at 100% CPU — no pings, no timeouts, SIGTERM ignored. Other
// guard patterns were quadratic on pumped input (a JWT prefix repeated, HTML comments never closed).
// Fix: every pattern applied to server text is linear (the PEM block is scanned by hand; no pattern can
// restart inside a run another start already read), so the work per message is bounded by its size
// and the event loop turns between messages; tests/unit/guards/linear-time.test.ts pumps each pattern.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RawWarden } from '../../helpers/warden.ts';
import type { AttackCase, CustomApi } from '../types.ts';

/** Generous: a linear pass over a MiB takes milliseconds; the frozen warden never answered. */
const PING_WITHIN_MS = 15_000;
const MiB = 1024 * 1024;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** `unit` repeated to about `bytes`. */
const pump = (unit: string, bytes: number): string => unit.repeat(Math.ceil(bytes / unit.length));

/** A ping sent after the hostile line must be answered in time, and the session must go on. */
async function answersPing(warden: RawWarden, id: string): Promise<string | undefined> {
  const started = Date.now();
  const pong = await warden.request(`ping-${id}`, 'ping', {}, PING_WITHIN_MS).catch((e: Error) => e);
  if (pong instanceof Error) {
    return `no answer to a ping within ${PING_WITHIN_MS} ms after the line: the warden is stuck in a guard`;
  }
  if (pong.error) return `ping failed: ${JSON.stringify(pong.error).slice(0, 200)}`;
  return Date.now() - started > PING_WITHIN_MS ? 'the ping came too late' : undefined;
}

/** The server answers a tools/call with a text result holding `text`; then a ping must come back. */
function slowText(id: string, title: string, text: () => string): AttackCase {
  return {
    id: `redos.${id}`,
    family: 'redos',
    title,
    layer: 'policy',
    action: {
      kind: 'custom',
      run: async (_ctx, api) => {
        // The emit call carries the line as base64 in one argument: allow it past the 1 MiB default.
        const warden = await api.warden({ policy: { limits: { argumentBytes: 4 * MiB } } });
        const emitId = `emit-${id}`;
        const line = `${JSON.stringify({ jsonrpc: '2.0', id: emitId, result: { content: [{ type: 'text', text: text() }] } })}\n`;
        warden.send({
          jsonrpc: '2.0',
          id: emitId,
          method: 'tools/call',
          params: { name: 'emit', arguments: { b64: b64(line) } },
        });
        return answersPing(warden, id);
      },
    },
    expect: { kind: 'contained', what: 'the ping after the line is answered in time' },
  };
}

/** The server lists a tool whose description is `description` (the poison detectors read it). */
function slowDefinition(id: string, title: string, description: () => string): AttackCase {
  return {
    id: `redos.${id}`,
    family: 'redos',
    title,
    layer: 'policy',
    action: {
      kind: 'custom',
      run: async (ctx, api: CustomApi) => {
        const tool = {
          name: 'slow',
          description: description(),
          inputSchema: { type: 'object', properties: {} },
        };
        // In the root (the one place every sandbox lets the server see), too large for an argv string.
        const answers = path.join(ctx.root, `answers-${id}-${ctx.mark()}.json`);
        writeFileSync(answers, JSON.stringify({ 'tools/list': { tools: [tool] } }), { mode: 0o644 });
        const warden = await api.warden({ fixtureArgs: ['--answers-file', answers], handshake: false });
        const init = await warden.request(
          'init',
          'initialize',
          { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attacks', version: '1' } },
          30_000,
        );
        if (init.error) return `initialize failed: ${JSON.stringify(init.error).slice(0, 200)}`;
        warden.send({ jsonrpc: '2.0', id: 'list', method: 'tools/list', params: {} });
        return answersPing(warden, id);
      },
    },
    expect: { kind: 'contained', what: 'the ping after the listing is answered in time' },
  };
}

const HEADER_LINE = 'aaaaaaaaaaaaaaaa:';

export const REDOS_CASES: AttackCase[] = [
  slowText(
    'pem-header-lines',
    'the red team’s 562-byte line: a PEM BEGIN marker and 24 lines of "aaaaaaaaaaaaaaaa:"',
    () => `-----BEGIN PRIVATE KEY-----\n${`${HEADER_LINE}\n`.repeat(24)}`,
  ),
  slowText(
    'pem-header-lines-escaped',
    'the same with the escaped line breaks of a key pasted into JSON (literal \\n)',
    () => `-----BEGIN PRIVATE KEY-----\\n${`${HEADER_LINE}\\n`.repeat(32)}`,
  ),
  slowText(
    'pem-header-lines-mib',
    'a PEM BEGIN marker and a MiB of header look-alikes, no END',
    () => `-----BEGIN RSA PRIVATE KEY-----\n${pump(`${HEADER_LINE}\n`, MiB)}`,
  ),
  slowText('pem-begin-pumped', 'a MiB of PEM BEGIN markers with short bodies, never an END', () =>
    pump('-----BEGIN PRIVATE KEY-----\nMIIE:a\n', MiB),
  ),
  slowText('jwt-prefix-pumped', 'a MiB of "eyJ-": every start could rescan the rest', () =>
    pump('eyJ-', MiB),
  ),
  slowText('connection-string-pumped', 'a MiB of connection-string look-alikes without the @', () =>
    pump('a://user:p', MiB),
  ),
  slowText('ansi-pumped', 'a MiB of unterminated CSI and OSC sequences', () =>
    pump('\u001b[0;0;0\u001b]8;;x', MiB),
  ),
  slowText(
    'file-link-pumped',
    'a MiB of blanks before a colon (file: link surface forms)',
    () => `${' '.repeat(MiB)}:x`,
  ),
  slowDefinition('poison-comment-pumped', 'a tool description of a MiB of unclosed "<!--"', () =>
    pump('<!--', MiB),
  ),
  slowDefinition('poison-tag-pumped', 'a tool description of a MiB of "<important " never closed', () =>
    pump('<important ', MiB),
  ),
  slowDefinition(
    'poison-blank-tag-pumped',
    'a tool description of "<" and a MiB of blanks',
    () => `<${' '.repeat(MiB)}`,
  ),
];
