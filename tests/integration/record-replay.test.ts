// run --record and mcp-warden replay (issue 18): a real session of @modelcontextprotocol/server-filesystem
// behind the warden, driven by the real SDK client, is recorded; replay decides it again with the real
// policy engine under the same profile (nothing changes, exit 0) and under a tightened one (exactly the
// calls the tighter rules deny are reported, exit 1). The record holds no secret and, unless asked, no
// file contents.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/replay/replay-decide.ts';
import { BWRAP_PROFILE, NONE_PROFILE } from '../helpers/containers.ts';
import { expectNoProcesses } from '../helpers/processes.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, type StartedWarden, WARDEN_ENTRY, startWarden } from '../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);

// Canaries: none may appear in a record (the file body only with --record-contents).
const FILE_BODY = 'FILE-BODY-CANARY-4b7e1c';
const GITHUB_TOKEN = `ghp_${'Zq8'.repeat(12)}`; // matches the github-token pattern
const ENV_VALUE = 'local-credential-value-8842'; // no pattern: redacted because it was given with --env

// bwrap when it works here (the real sandbox), else the policy-only backend: replay needs neither.
const TEST_PROFILE = BWRAP_PROFILE.enabled ? BWRAP_PROFILE : NONE_PROFILE;

interface Replay {
  status: number | null;
  stdout: string;
  stderr: string;
}

function replay(args: string[]): Replay {
  const out = spawnSync(process.execPath, [WARDEN_ENTRY, 'replay', ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

async function call(warden: StartedWarden, name: string, args: Record<string, unknown>): Promise<string> {
  const result = (await warden.client.callTool({ name, arguments: args })) as {
    content?: Array<{ text?: string }>;
    isError?: boolean;
  };
  expect(result.isError ?? false, `${name} failed: ${JSON.stringify(result).slice(0, 300)}`).toBe(false);
  return result.content?.[0]?.text ?? '';
}

async function expectDenied(promise: Promise<unknown>, rule: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(McpError);
  expect(((error as McpError).data as { rule?: string }).rule).toBe(rule);
}

/** One recorded session: reads, writes, listings, a search, a denied read; returns the record's path. */
async function recordSession(work: string, docs: string, extra: string[]): Promise<string> {
  const record = path.join(tmpRoot('record'), 'session.jsonl');
  const warden = await startWarden({
    profile: TEST_PROFILE.profile,
    roots: [work, docs],
    env: [`MY_API_KEY=${ENV_VALUE}`],
    extraArgs: ['--record', record, ...extra],
    command: [process.execPath, FS_SERVER, work, docs],
  });
  try {
    await warden.client.listTools();
    expect(await call(warden, 'list_directory', { path: work })).toContain('hello.txt');
    expect(await call(warden, 'read_text_file', { path: path.join(work, 'hello.txt') })).toContain(FILE_BODY);
    await call(warden, 'write_file', {
      path: path.join(work, 'token.txt'),
      content: `token ${GITHUB_TOKEN}\n`,
    });
    await call(warden, 'write_file', { path: path.join(work, 'env.txt'), content: `key ${ENV_VALUE}\n` });
    await call(warden, 'write_file', { path: path.join(docs, 'new.txt'), content: 'a new note\n' });
    await call(warden, 'edit_file', {
      path: path.join(docs, 'notes.txt'),
      edits: [{ oldText: 'draft', newText: 'final' }],
    });
    expect(await call(warden, 'read_text_file', { path: path.join(docs, 'notes.txt') })).toContain('final');
    await call(warden, 'search_files', { path: work, pattern: '*.txt' });
    await call(warden, 'get_file_info', { path: path.join(work, 'hello.txt') });
    await expectDenied(
      warden.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/passwd' } }),
      'path.outside-root',
    );
  } finally {
    await warden.close();
  }
  await expectNoProcesses(work);
  // The warden writes the end line after the session is over; wait for it (bounded).
  for (let i = 0; i < 100 && !readFileSync(record, 'utf8').includes('"type":"end"'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return record;
}

describe.runIf(TEST_PROFILE.enabled)(`run --record and replay (${TEST_PROFILE.profile})`, () => {
  let work: string;
  let docs: string;
  let record: string;
  let withContents: string;

  beforeAll(async () => {
    work = tmpRoot('rec-work');
    docs = tmpRoot('rec-docs');
    writeFileSync(path.join(work, 'hello.txt'), `${FILE_BODY}\nsecond line\n`);
    writeFileSync(path.join(docs, 'notes.txt'), 'a draft note\n');
    record = await recordSession(work, docs, []);
    writeFileSync(path.join(docs, 'notes.txt'), 'a draft note\n');
    withContents = await recordSession(work, docs, ['--record-contents']);
  }, 120_000);

  it('writes a private JSONL record: a header, then messages both ways with their verdicts', () => {
    expect(statSync(record).mode & 0o777).toBe(0o600);
    const lines = readFileSync(record, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const header = lines[0];
    expect(header).toMatchObject({
      type: 'header',
      format: 'mcp-warden-record',
      version: 1,
      profile: { name: TEST_PROFILE.profile, backend: TEST_PROFILE.profile },
      roots: [
        { path: work, readOnly: false },
        { path: docs, readOnly: false },
      ],
      contents: false,
    });
    expect(header.profile.sha256).toMatch(/^[0-9a-f]{64}$/);
    const messages = lines.filter((line) => line.type === 'message');
    expect(messages.some((m) => m.direction === 'client' && m.message.method === 'initialize')).toBe(true);
    expect(messages.some((m) => m.direction === 'server' && m.message.result?.tools)).toBe(true);
    // The denied read: recorded with its verdict, and the warden's own -32001 answer.
    const denied = messages.find((m) => m.message.params?.arguments?.path === '/etc/passwd');
    expect(denied.verdict).toMatchObject({ action: 'deny', rule: 'path.outside-root' });
    expect(
      lines.some(
        (line) =>
          line.type === 'own' &&
          line.to === 'client' &&
          line.message.error?.data?.rule === 'path.outside-root',
      ),
    ).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'end', exitCode: 0 });
  });

  it('never holds a secret-looking argument or an --env value', () => {
    for (const file of [record, withContents]) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(GITHUB_TOKEN);
      expect(text).not.toContain(ENV_VALUE);
      expect(text).toContain('[REDACTED by mcp-warden: github-token]');
      expect(text).toContain('[REDACTED by mcp-warden: env:MY_API_KEY]');
    }
    // The files were really written with the secrets: the record redacts, the session does not.
    expect(readFileSync(path.join(work, 'token.txt'), 'utf8')).toContain(GITHUB_TOKEN);
  });

  it('drops file contents unless --record-contents', () => {
    const without = readFileSync(record, 'utf8');
    expect(without).not.toContain(FILE_BODY);
    expect(without).toMatch(/\[contents dropped by mcp-warden record: \d+ bytes\]/);
    const kept = readFileSync(withContents, 'utf8');
    expect(kept).toContain(FILE_BODY);
    expect(JSON.parse(kept.split('\n')[0] as string).contents).toBe(true);
  });

  it('replays under the same profile: nothing changes, exit 0', () => {
    const out = replay(['--profile', TEST_PROFILE.profile, record]);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^no changes: \d+ messages/);
    expect(out.status).toBe(0);
    const json = replay(['--profile', TEST_PROFILE.profile, '--json', record, withContents]);
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ changed: false, changes: [], totals: { sessions: 2 } });
    expect(report.totals.messages).toBeGreaterThan(20);
  });

  it('replays under a tightened profile: exactly the calls the tighter rules deny, exit 1', () => {
    const dir = tmpRoot('rec-profile');
    const tight = path.join(dir, 'tight.json');
    // search_files removed from the allowlist; the docs root made read-only (replay --root).
    writeFileSync(
      tight,
      JSON.stringify({
        name: 'tight',
        backend: TEST_PROFILE.profile,
        policy: {
          tools: {
            allow: [
              'list_directory',
              'read_text_file',
              'write_file',
              'edit_file',
              'get_file_info',
              'list_allowed_directories',
            ],
          },
        },
      }),
    );
    const out = replay(['--profile', tight, '--root', work, '--root', `${docs}:ro`, '--json', record]);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1);
    const report = JSON.parse(out.stdout);
    const changes = report.changes.map((c: Change) => ({
      kind: c.kind,
      tool: c.tool,
      rule: c.after.allowed ? undefined : c.after.rule,
      path: /path="([^"]*)"/.exec(c.summary)?.[1],
    }));
    expect(changes).toEqual([
      {
        kind: 'allowed → denied',
        tool: 'write_file',
        rule: 'path.read-only',
        path: path.join(docs, 'new.txt'),
      },
      {
        kind: 'allowed → denied',
        tool: 'edit_file',
        rule: 'path.read-only',
        path: path.join(docs, 'notes.txt'),
      },
      { kind: 'allowed → denied', tool: 'search_files', rule: 'tool.not-allowed', path: work },
    ]);
    // Their recorded answers were never asked for under the tight profile: skipped, not decided.
    expect(report.totals.skipped).toBe(3);
    // The human report names the line, the tool, the arguments and the rule.
    const text = replay(['--profile', tight, '--root', work, '--root', `${docs}:ro`, record]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('ALLOWED → DENIED  client tools/call search_files');
    expect(text.stdout).toContain('[allowed → denied by tool.not-allowed]');
    expect(text.stdout).toMatch(/3 changes \(3 allowed → denied\)/);
  });
});
