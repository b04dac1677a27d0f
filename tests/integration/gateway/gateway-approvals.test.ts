// policy.approve through the gateway: the session's client is the HTTP client. The warden's
// elicitation/create goes out on the tools/call's POST stream like any server→client request, the
// SDK client answers it with a POST, and the answer comes back to the warden, never to the server.
// The real server-filesystem in bwrap; a declined call never writes its file.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOW_ONCE,
  ALLOW_SESSION,
  approvalEvents,
  expectDeclined,
  scriptUser,
} from '../../helpers/approval-user.ts';
import { BWRAP_PROFILE } from '../../helpers/containers.ts';
import { expectNoProcesses } from '../../helpers/processes.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';
import { type StartedGateway, startGateway } from './gateway-helpers.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const TIMEOUT_MS = 1500;

async function connect(url: string, capabilities: ClientCapabilities): Promise<Client> {
  const client = new Client({ name: 'approvals-gateway-test', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe.runIf(BWRAP_PROFILE.enabled)(`approvals through the gateway (${BWRAP_PROFILE.status})`, () => {
  let ROOT: string;
  let DOCS: string;
  let auditDir: string;
  let gw: StartedGateway;
  let client: Client;
  let user: ReturnType<typeof scriptUser>;

  beforeAll(async () => {
    ROOT = tmpRoot('approve-gw');
    DOCS = path.join(ROOT, 'docs');
    mkdirSync(DOCS);
    auditDir = tmpRoot('approve-gw-audit');
    gw = await startGateway({
      auditDir,
      servers: {
        fs: {
          profile: 'bwrap',
          roots: [ROOT],
          command: ['node', FS_SERVER, ROOT],
          policy: {
            approve: [{ tool: 'write_file', paths: [`${DOCS}/**`] }],
            approveTimeoutMs: TIMEOUT_MS,
          },
        },
      },
    });
    client = await connect(gw.url('fs'), { elicitation: {} });
    user = scriptUser(client);
    await client.listTools();
  });

  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    if (ROOT) await expectNoProcesses(ROOT);
  });

  const write = (c: Client, file: string) =>
    c.callTool({ name: 'write_file', arguments: { path: file, content: 'x' } });

  it('"allow once" forwards the call; the prompt names the gateway server, the tool and its arguments', async () => {
    user.will(ALLOW_ONCE);
    await write(client, path.join(DOCS, 'once.txt'));
    expect(existsSync(path.join(DOCS, 'once.txt'))).toBe(true);
    const { message } = user.asked.at(-1)!;
    expect(message).toContain('Server: fs (gateway server)');
    expect(message).toContain('Tool: write_file');
    expect(message).toContain(JSON.stringify(path.join(DOCS, 'once.txt')));
  });

  it('decline, cancel and timeout answer -32001 approval.declined; nothing is written', async () => {
    user.will({ action: 'decline' });
    await expectDeclined(write(client, path.join(DOCS, 'declined.txt')));
    user.will({ action: 'cancel' });
    await expectDeclined(write(client, path.join(DOCS, 'cancelled.txt')));
    user.will('hang');
    const message = await expectDeclined(write(client, path.join(DOCS, 'late.txt')));
    expect(message).toContain(`${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(user.asked.at(-1)?.aborted).toBe(true);
    for (const name of ['declined.txt', 'cancelled.txt', 'late.txt']) {
      expect(existsSync(path.join(DOCS, name))).toBe(false);
    }
  });

  it('"allow for this session" is not asked again in that session', async () => {
    user.will(ALLOW_SESSION);
    const asked = user.asked.length;
    await write(client, path.join(DOCS, 's1.txt'));
    await write(client, path.join(DOCS, 's2.txt'));
    expect(user.asked).toHaveLength(asked + 1);
    expect(existsSync(path.join(DOCS, 's2.txt'))).toBe(true);
  });

  it('a client without elicitation is told how to approve; the server never writes', async () => {
    const plain = await connect(gw.url('fs'), {});
    try {
      await plain.listTools();
      const message = await expectDeclined(write(plain, path.join(DOCS, 'plain.txt')));
      expect(message).toContain('elicitation');
      expect(message).toContain('approveFallback');
      expect(existsSync(path.join(DOCS, 'plain.txt'))).toBe(false);
    } finally {
      await plain.close();
    }
  });

  it("audits every decision in each session's log", async () => {
    // Session logs are written as events happen; the two sessions are still open.
    const logs = readdirSync(auditDir).map((f) => readFileSync(path.join(auditDir, f), 'utf8'));
    const events = logs.map(approvalEvents).sort((a, b) => b.length - a.length);
    expect(events).toEqual([
      [
        ['requested', 'write_file'],
        ['allowed-once', 'write_file'],
        ['requested', 'write_file'],
        ['declined', 'write_file'],
        ['requested', 'write_file'],
        ['cancelled', 'write_file'],
        ['requested', 'write_file'],
        ['timed-out', 'write_file'],
        ['requested', 'write_file'],
        ['allowed-session', 'write_file'],
        ['allowed-by-session', 'write_file'],
      ],
      [['unavailable', 'write_file']],
    ]);
  });
});
