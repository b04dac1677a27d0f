// Content guards live: the real server-filesystem reads a file holding an AWS key pair and a PEM key;
// the client gets the rest of the file with both redacted, the audit log counts them (and never holds
// them), and ordinary source files come through byte for byte.
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, startWarden } from '../helpers/warden.ts';
import { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, PEM_PRIVATE_KEY } from '../unit/guards/secrets.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const POISONED = path.join(PROJECT_ROOT, 'tests/fixtures/poisoned-server.mjs');

type Text = { content: { type: string; text: string }[] };

describe(`secret redaction through the warden (profile ${PROFILE})`, () => {
  it('server-filesystem: the AWS key pair and the PEM key are redacted, the rest of the file is intact', async () => {
    const root = tmpRoot('redact');
    const audit = path.join(tmpRoot('redact-audit'), 'audit.jsonl');
    const pem = PEM_PRIVATE_KEY.trimEnd();
    const file = path.join(root, 'deploy-notes.md');
    writeFileSync(
      file,
      [
        '# Deploy notes',
        '',
        'Credentials for the staging bucket:',
        '',
        '```ini',
        '[default]',
        `aws_access_key_id = ${AWS_ACCESS_KEY_ID}`,
        `aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}`,
        'region = eu-west-1',
        '```',
        '',
        'Deploy key:',
        '',
        pem,
        '',
        'Run `make deploy` afterwards.',
        '',
      ].join('\n'),
    );
    const warden = await startWarden({
      profile: PROFILE,
      roots: [root],
      auditLog: audit,
      command: ['node', FS_SERVER, root],
    });
    const result = (await warden.client.callTool({
      name: 'read_text_file',
      arguments: { path: file },
    })) as Text;
    await warden.close();
    expect(JSON.stringify(result)).not.toContain(AWS_SECRET_ACCESS_KEY);
    expect(JSON.stringify(result)).not.toContain('PRIVATE KEY-----');
    expect(result.content[0]?.text).toBe(
      [
        '# Deploy notes',
        '',
        'Credentials for the staging bucket:',
        '',
        '```ini',
        '[default]',
        'aws_access_key_id = [REDACTED by mcp-warden: aws-access-key-id]',
        'aws_secret_access_key = [REDACTED by mcp-warden: aws-secret-access-key]',
        'region = eu-west-1',
        '```',
        '',
        'Deploy key:',
        '',
        '[REDACTED by mcp-warden: private-key]',
        '',
        'Run `make deploy` afterwards.',
        '',
      ].join('\n'),
    );
    const log = readFileSync(audit, 'utf8');
    const events = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.event === 'redaction')).toEqual([
      expect.objectContaining({
        direction: 'server',
        // server-filesystem sends the text twice: in content and in structuredContent.
        secrets: { 'aws-access-key-id': 2, 'aws-secret-access-key': 2, 'private-key': 2 },
        controls: 0,
      }),
    ]);
    expect(log).not.toContain(AWS_SECRET_ACCESS_KEY);
    expect(log).not.toContain(AWS_ACCESS_KEY_ID);
    expect(log).not.toContain(pem.split('\n')[1]);
  });

  it('no false redaction: ordinary source files are returned byte for byte', async () => {
    const root = tmpRoot('corpus');
    const picks: string[] = [];
    const sources = [
      'node_modules/zod/README.md',
      'node_modules/pino/README.md',
      'node_modules/execa/readme.md',
      'node_modules/jsonc-parser/lib/esm/main.js',
      'node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js',
      'node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.js',
      'node_modules/@modelcontextprotocol/sdk/dist/esm/server/auth/router.js',
      'node_modules/@modelcontextprotocol/server-filesystem/dist/lib.js',
      'src/policy/decide.ts',
      'src/supervisor/session.ts',
      'docs/design.md',
    ];
    for (const rel of sources) {
      const from = path.join(PROJECT_ROOT, rel);
      try {
        const to = path.join(root, `${picks.length}-${path.basename(rel)}`);
        copyFileSync(from, to);
        picks.push(to);
      } catch {
        // A file another version of a package does not ship; the rest is corpus enough.
      }
    }
    expect(picks.length).toBeGreaterThan(6);
    const audit = path.join(tmpRoot('corpus-audit'), 'audit.jsonl');
    const warden = await startWarden({
      profile: PROFILE,
      roots: [root],
      auditLog: audit,
      command: ['node', FS_SERVER, root],
    });
    for (const file of readdirSync(root).map((name) => path.join(root, name))) {
      const result = (await warden.client.callTool({
        name: 'read_text_file',
        arguments: { path: file },
      })) as Text;
      expect(result.content[0]?.text, file).toBe(readFileSync(file, 'utf8'));
    }
    await warden.close();
    expect(readFileSync(audit, 'utf8')).not.toContain('"redaction"');
  });

  it('terminal escapes are stripped from tool results; secrets in them redacted', async () => {
    const warden = await startWarden({ profile: PROFILE, command: [process.execPath, POISONED, 'secrets'] });
    const result = (await warden.client.callTool({ name: 'read', arguments: {} })) as Text;
    await warden.close();
    expect(result.content[0]?.text).toBe(
      '[default]\naws_access_key_id = [REDACTED by mcp-warden: aws-access-key-id]\naws_secret_access_key = [REDACTED by mcp-warden: aws-secret-access-key]\nred\n',
    );
  });
});
