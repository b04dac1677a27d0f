// The policy engine alone, in this process: framing-level parse + decide() + the session bookkeeping
// the supervisor does, over a realistic mix of traffic in both directions. No I/O but the realpath
// and readlink calls path anchoring makes against a real directory tree.
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicySchema } from '../../src/config/policy-schema.ts';
import { decide } from '../../src/policy/decide.ts';
import { learnTools } from '../../src/policy/tool-info.ts';
import type { PolicyContext } from '../../src/policy/types.ts';
import { parseLine } from '../../src/protocol/parse-line.ts';
import { SessionState } from '../../src/supervisor/session-state.ts';
import { hostPaths } from '../../src/util/host-paths.ts';

const TOOLS = {
  tools: [
    {
      name: 'read_text_file',
      description: 'Read a file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
    },
    {
      name: 'write_file',
      description: 'Write a file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
    },
  ],
};

/** One round of the mix: [direction, line]; ids are rewritten per round. */
function mix(root: string, round: number): Array<['client' | 'server', Buffer]> {
  const id = round * 10;
  const line = (value: object): Buffer => Buffer.from(JSON.stringify(value));
  const body = 'lorem ipsum dolor sit amet '.repeat(80);
  return [
    [
      'client',
      line({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: {
          name: 'read_text_file',
          arguments: { path: path.join(root, 'docs', `file-${round % 8}.txt`) },
        },
      }),
    ],
    ['server', line({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: body }] } })],
    [
      'client',
      line({
        jsonrpc: '2.0',
        id: id + 1,
        method: 'tools/call',
        params: {
          name: 'write_file',
          arguments: { path: path.join(root, 'out', `note-${round % 8}.md`), content: `# Note\n\n${body}\n` },
        },
      }),
    ],
    [
      'server',
      line({
        jsonrpc: '2.0',
        id: id + 1,
        result: { content: [{ type: 'text', text: 'Successfully wrote the file' }] },
      }),
    ],
    [
      'server',
      line({
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: 'progress 50%' },
      }),
    ],
    ['client', line({ jsonrpc: '2.0', id: id + 2, method: 'ping' })],
    ['server', line({ jsonrpc: '2.0', id: id + 2, result: {} })],
  ];
}

/** Messages per second over `durationMs`, after a warm-up. */
export function policyThroughput(durationMs: number): number {
  const root = realpathSync(os.tmpdir());
  const dir = path.join(root, `mcp-warden-bench-policy-${process.pid}`);
  mkdirSync(path.join(dir, 'docs'), { recursive: true });
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  for (let i = 0; i < 8; i++) writeFileSync(path.join(dir, 'docs', `file-${i}.txt`), 'x');
  const policy = PolicySchema.parse({});
  const ctx: PolicyContext = {
    policy,
    roots: [{ path: dir, realPath: dir, readOnly: false }],
    home: os.homedir(),
    realpath: hostPaths.realpath,
    readlink: hostPaths.readlink,
    exists: hostPaths.exists, // as prepare-session.ts gives it
  };
  const state = new SessionState();
  state.learnTools(learnTools(TOOLS));
  const rounds = Array.from({ length: 64 }, (_, i) => mix(dir, i));
  const run = (until: number): number => {
    let count = 0;
    for (let r = 0; performance.now() < until; r++) {
      for (const [direction, line] of rounds[r % rounds.length] as Array<['client' | 'server', Buffer]>) {
        const parsed = parseLine(line, { maxDepth: policy.limits.maxDepth });
        if (!parsed.ok) throw new Error('the benchmark mix must parse');
        // As the session calls it (supervisor/session.ts): with the decoded line, which the server-message
        // content rules pre-check before walking.
        const verdict = decide(
          { direction, message: parsed.message, bytes: line.length, text: parsed.text },
          state,
          ctx,
        );
        if (verdict.action !== 'allow')
          throw new Error(`the benchmark mix must be allowed: ${JSON.stringify(verdict)}`);
        const message = parsed.message;
        if (direction === 'client' && message.kind === 'request') {
          state.trackClientRequest({
            id: message.message.id,
            method: message.message.method,
            deadline: performance.now() + 60_000,
          });
        } else if (direction === 'server' && message.kind === 'result') {
          state.settleClientRequest(message.message.id);
        }
        count++;
      }
    }
    return count;
  };
  run(performance.now() + 300);
  const start = performance.now();
  const count = run(start + durationMs);
  return count / ((performance.now() - start) / 1000);
}
