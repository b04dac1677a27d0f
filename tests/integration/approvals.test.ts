// policy.approve under `mcp-warden run`: the real server-filesystem in bwrap, the real SDK client
// answering the warden's elicitation/create as the user. A declined call never reaches the server:
// its file is never written (or moved).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOW_ONCE,
  ALLOW_SESSION,
  approvalEvents,
  expectDeclined,
  scriptUser,
} from '../helpers/approval-user.ts';
import { BWRAP_PROFILE } from '../helpers/containers.ts';
import { expectNoProcesses } from '../helpers/processes.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, type StartedWarden, startWarden } from '../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const TIMEOUT_MS = 1500;

describe.runIf(BWRAP_PROFILE.enabled)(`approvals under run (${BWRAP_PROFILE.status})`, () => {
  let ROOT: string;
  let DOCS: string;
  let policyFile: string;
  let auditLog: string;
  let warden: StartedWarden;
  let user: ReturnType<typeof scriptUser>;

  beforeAll(async () => {
    ROOT = tmpRoot('approve-run');
    DOCS = path.join(ROOT, 'docs');
    const dir = tmpRoot('approve-run-cfg');
    policyFile = path.join(dir, 'policy.json');
    auditLog = path.join(dir, 'audit.jsonl');
    writeFileSync(
      policyFile,
      JSON.stringify({
        approve: ['move_file', { tool: 'write_file', paths: [`${DOCS}/**`] }],
        approveTimeoutMs: TIMEOUT_MS,
      }),
    );
    mkdirSync(DOCS);
    warden = await startWarden({
      profile: 'bwrap',
      roots: [ROOT],
      extraArgs: ['--policy', policyFile],
      auditLog,
      command: [process.execPath, FS_SERVER, ROOT],
      clientCapabilities: { elicitation: {} },
    });
    user = scriptUser(warden.client);
    await warden.client.listTools(); // the path arguments of each tool are learned from its schema
  });

  afterAll(async () => {
    await warden?.close();
    if (ROOT) await expectNoProcesses(ROOT);
  });

  const write = (file: string, content = 'x') =>
    warden.client.callTool({ name: 'write_file', arguments: { path: file, content } });

  it('"allow once" forwards the call after asking with the server, tool and arguments', async () => {
    user.will(ALLOW_ONCE);
    const asked = user.asked.length;
    await write(path.join(DOCS, 'once.txt'), 'approved');
    expect(readFileSync(path.join(DOCS, 'once.txt'), 'utf8')).toBe('approved');
    expect(user.asked).toHaveLength(asked + 1);
    const { message } = user.asked.at(-1)!;
    expect(message).toContain(FS_SERVER); // the server as the user configured it
    expect(message).toContain('Tool: write_file');
    expect(message).toContain(`path: ${JSON.stringify(path.join(DOCS, 'once.txt'))}`);
    expect(message).toContain('content: "approved"');
  });

  it('asks nothing for a call no entry covers', async () => {
    const asked = user.asked.length;
    await write(path.join(ROOT, 'plain.txt'));
    expect(existsSync(path.join(ROOT, 'plain.txt'))).toBe(true);
    expect(user.asked).toHaveLength(asked);
  });

  it('decline and cancel answer -32001 approval.declined, and the server never writes', async () => {
    user.will({ action: 'decline' });
    await expectDeclined(write(path.join(DOCS, 'declined.txt')));
    user.will({ action: 'cancel' });
    await expectDeclined(write(path.join(DOCS, 'cancelled.txt')));
    expect(existsSync(path.join(DOCS, 'declined.txt'))).toBe(false);
    expect(existsSync(path.join(DOCS, 'cancelled.txt'))).toBe(false);
  });

  it('an unanswered approval is declined after approveTimeoutMs and the question withdrawn', async () => {
    user.will('hang');
    const started = Date.now();
    const message = await expectDeclined(write(path.join(DOCS, 'late.txt')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(message).toContain(`${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(user.asked.at(-1)?.aborted).toBe(true);
    expect(existsSync(path.join(DOCS, 'late.txt'))).toBe(false);
  });

  it('"allow for this session" is not asked again for that tool', async () => {
    writeFileSync(path.join(ROOT, 'm1.txt'), '1');
    writeFileSync(path.join(ROOT, 'm2.txt'), '2');
    user.will(ALLOW_SESSION);
    const asked = user.asked.length;
    const move = (from: string, to: string) =>
      warden.client.callTool({
        name: 'move_file',
        arguments: { source: path.join(ROOT, from), destination: path.join(ROOT, to) },
      });
    await move('m1.txt', 'm1-moved.txt');
    await move('m2.txt', 'm2-moved.txt');
    expect(user.asked).toHaveLength(asked + 1);
    expect(existsSync(path.join(ROOT, 'm1-moved.txt'))).toBe(true);
    expect(existsSync(path.join(ROOT, 'm2-moved.txt'))).toBe(true);
  });

  it('audits every question and decision', () => {
    expect(approvalEvents(readFileSync(auditLog, 'utf8'))).toEqual([
      ['requested', 'write_file'],
      ['allowed-once', 'write_file'],
      ['requested', 'write_file'],
      ['declined', 'write_file'],
      ['requested', 'write_file'],
      ['cancelled', 'write_file'],
      ['requested', 'write_file'],
      ['timed-out', 'write_file'],
      ['requested', 'move_file'],
      ['allowed-session', 'move_file'],
      ['allowed-by-session', 'move_file'],
    ]);
    const denials = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"rule":"approval.declined"'));
    expect(denials).toHaveLength(3);
  });
});

describe.runIf(BWRAP_PROFILE.enabled)(
  `approvals with a client without elicitation (${BWRAP_PROFILE.status})`,
  () => {
    it('denies the call with how to approve it; the server never writes', async () => {
      const ROOT = tmpRoot('approve-nocap');
      const dir = tmpRoot('approve-nocap-cfg');
      const policyFile = path.join(dir, 'policy.json');
      const auditLog = path.join(dir, 'audit.jsonl');
      writeFileSync(policyFile, JSON.stringify({ approve: ['write_*'] }));
      const warden = await startWarden({
        profile: 'bwrap',
        roots: [ROOT],
        extraArgs: ['--policy', policyFile],
        auditLog,
        command: [process.execPath, FS_SERVER, ROOT],
      });
      try {
        const message = await expectDeclined(
          warden.client.callTool({
            name: 'write_file',
            arguments: { path: path.join(ROOT, 'x.txt'), content: 'x' },
          }),
        );
        expect(message).toContain('did not declare the MCP elicitation capability');
        expect(message).toContain('approveFallback');
        expect(existsSync(path.join(ROOT, 'x.txt'))).toBe(false);
        expect(approvalEvents(readFileSync(auditLog, 'utf8'))).toEqual([['unavailable', 'write_file']]);
      } finally {
        await warden.close();
      }
    });
  },
);

const COUNTING_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/counting-server.mjs');

describe.runIf(BWRAP_PROFILE.enabled)(
  `approval answers go to the warden only (${BWRAP_PROFILE.status})`,
  () => {
    it('the server never sees a declined call nor any answer to the warden, while its own question is answered to it', async () => {
      const ROOT = tmpRoot('approve-route');
      const policyFile = path.join(tmpRoot('approve-route-cfg'), 'policy.json');
      // The server may ask the user itself: its elicitation and the warden's share the client's id space.
      writeFileSync(
        policyFile,
        JSON.stringify({
          approve: ['delete_*'],
          methods: { serverRequests: ['ping', 'elicitation/create'] },
        }),
      );
      const warden = await startWarden({
        profile: 'bwrap',
        roots: [ROOT],
        extraArgs: ['--policy', policyFile],
        command: [process.execPath, COUNTING_SERVER],
        clientCapabilities: { elicitation: {} },
      });
      try {
        const user = scriptUser(warden.client, { action: 'accept', content: { answer: 'to the server' } });
        const callText = async (name: string): Promise<string> => {
          const result = (await warden.client.callTool({ name, arguments: {} })) as {
            content: Array<{ text: string }>;
          };
          return result.content[0]?.text ?? '';
        };
        user.will({ action: 'decline' });
        await expectDeclined(warden.client.callTool({ name: 'delete_thing', arguments: {} }));
        // Both questions open at once: each answer must reach the one that asked.
        user.will(ALLOW_ONCE);
        const [asked, deleted] = await Promise.all([callText('ask_user'), callText('delete_thing')]);
        expect(JSON.parse(asked)).toEqual({ action: 'accept', content: { answer: 'to the server' } });
        expect(deleted).toBe('delete_thing done');
        const stats = JSON.parse(await callText('stats')) as {
          calls: Record<string, number>;
          responses: unknown[];
        };
        expect(stats.calls.delete_thing).toBe(1); // the declined one never arrived
        expect(stats.responses).toEqual(['server-ask-1']); // the answers to the warden never did either
        expect(user.asked).toHaveLength(2);
      } finally {
        await warden.close();
      }
    });
  },
);
