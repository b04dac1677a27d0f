import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/guards/redact-secrets.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';
import {
  AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY,
  GITHUB_TOKEN,
  JWT,
  PEM_PRIVATE_KEY,
  RSA_PRIVATE_KEY,
} from './secrets.ts';

describe('redactSecrets', () => {
  it('redacts an AWS key pair in a credentials file and keeps the rest', () => {
    const text = `[default]\naws_access_key_id = ${AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\nregion = eu-west-1\n`;
    const out = redactSecrets(text);
    expect(out?.text).toBe(
      '[default]\naws_access_key_id = [REDACTED by mcp-warden: aws-access-key-id]\naws_secret_access_key = [REDACTED by mcp-warden: aws-secret-access-key]\nregion = eu-west-1\n',
    );
    expect(out?.counts).toEqual({ 'aws-access-key-id': 1, 'aws-secret-access-key': 1 });
  });

  it.each([
    ['env file', `AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}`],
    ['JSON', `{"SecretAccessKey": "${AWS_SECRET_ACCESS_KEY}"}`],
    ['YAML', `aws_secret_access_key: '${AWS_SECRET_ACCESS_KEY}'`],
  ])('AWS secret in %s', (_label, text) => {
    const out = redactSecrets(text);
    expect(out?.counts).toEqual({ 'aws-secret-access-key': 1 });
    expect(out?.text).not.toContain(AWS_SECRET_ACCESS_KEY);
  });

  it.each([
    ['PKCS#8', PEM_PRIVATE_KEY],
    ['RSA', RSA_PRIVATE_KEY],
    ['JSON-escaped', JSON.stringify(PEM_PRIVATE_KEY.trimEnd()).slice(1, -1)],
  ])('redacts a %s private key as one block', (_label, key) => {
    const out = redactSecrets(`before\n${key.trimEnd()}\nafter`);
    expect(out?.text).toBe('before\n[REDACTED by mcp-warden: private-key]\nafter');
  });

  it.each([
    ['github-token', `token: ${GITHUB_TOKEN}`],
    [
      'github-token',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV',
    ],
    ['gitlab-token', 'glpat-abcdefghij0123456789'],
    ['slack-token', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['google-api-key', 'AIzaSyA1234567890abcdefghijklmnopqrstuv'],
    ['stripe-key', `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`],
    ['anthropic-api-key', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789'],
    ['npm-token', 'npm_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['jwt', `Authorization: Bearer ${JWT}`],
    ['connection-string-password', 'DATABASE_URL=postgres://app:s3cr3t-P4ss@db.internal:5432/app'],
    ['connection-string-password', 'mongodb+srv://admin:hunter2x@cluster0.example.net/test'],
  ])('%s', (id, text) => {
    const out = redactSecrets(text);
    expect(out?.counts).toEqual({ [id]: 1 });
    expect(out?.text).toContain(`[REDACTED by mcp-warden: ${id}]`);
  });

  it('keeps the user and host of a connection string, only the password goes', () => {
    expect(redactSecrets('postgres://app:s3cr3t-P4ss@db:5432/app')?.text).toBe(
      'postgres://app:[REDACTED by mcp-warden: connection-string-password]@db:5432/app',
    );
  });

  it.each([
    'postgres://user:${DB_PASSWORD}@localhost/db',
    'postgres://user:<password>@localhost/db',
    'mongodb://user:password@localhost:27017',
    'https://user@example.com/path',
    'https://example.com:8080/x@y',
    'const header = "-----BEGIN PRIVATE KEY-----";',
    'the key id AKIA is a prefix',
    'aws_secret_access_key = YOUR_SECRET_ACCESS_KEY_GOES_HERE_XXXXXXXX',
    'sha1: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12, eyJ is base64 for {"',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactSecrets(text)).toBeUndefined();
  });
});

/** Ordinary source files: code, type declarations, docs, package manifests. None holds a secret. */
function corpus(): string[] {
  const files: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (files.length >= 400 || depth > 4) return;
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) {
        if (name !== 'test' && name !== 'tests' && name !== '__tests__' && name !== 'fixtures')
          walk(full, depth + 1);
      } else if (/\.(?:[cm]?js|ts|md|json)$/.test(name) && stat.size < 400_000) files.push(full);
      if (files.length >= 400) return;
    }
  };
  for (const pkg of [
    'zod',
    'pino',
    '@modelcontextprotocol/sdk',
    'execa',
    'dockerode',
    'tar-stream',
    'jsonc-parser',
  ]) {
    walk(path.join(PROJECT_ROOT, 'node_modules', pkg), 0);
  }
  walk(path.join(PROJECT_ROOT, 'src'), 0);
  walk(path.join(PROJECT_ROOT, 'docs'), 0);
  return files;
}

describe('no false redaction on ordinary source files', () => {
  const files = corpus();

  it('has a corpus worth the name', () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it('redacts nothing in any of them', () => {
    const hits: string[] = [];
    for (const file of files) {
      // The guards' own pattern file names its prefixes; it is the one file expected to look secret-ish.
      if (file.includes(`${path.sep}guards${path.sep}`)) continue;
      const out = redactSecrets(readFileSync(file, 'utf8'));
      if (out) hits.push(`${path.relative(PROJECT_ROOT, file)}: ${JSON.stringify(out.counts)}`);
    }
    expect(hits).toEqual([]);
  });
});

// The PEM block is scanned by hand since issue 20 item 6 (the regex backtracked exponentially).
describe('private keys (hand-written scanner)', () => {
  const body = PEM_PRIVATE_KEY.split('\n').slice(1, -2).join('\n');
  const marker = '[REDACTED by mcp-warden: private-key]';

  it('an encrypted PEM with its header lines, as a file and pasted into JSON', () => {
    const key = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\n${body}\n-----END RSA PRIVATE KEY-----`;
    expect(redactSecrets(`x ${key} y`)?.text).toBe(`x ${marker} y`);
    const escaped = JSON.stringify(key).slice(1, -1);
    expect(redactSecrets(`"${escaped}"`)?.text).toBe(`"${marker}"`);
  });

  it('two keys in one string, each replaced on its own', () => {
    const key = PEM_PRIVATE_KEY.trimEnd();
    expect(redactSecrets(`${key}\nand\n${key}`)).toEqual({
      text: `${marker}\nand\n${marker}`,
      counts: { 'private-key': 2 },
    });
  });

  it('an OpenSSH key and a PRIVATE KEY BLOCK (PGP) label', () => {
    for (const label of ['OPENSSH PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      const key = `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
      expect(redactSecrets(key)?.text, label).toBe(marker);
    }
  });

  it.each([
    ['a BEGIN marker with no END (cut-off output)', `-----BEGIN PRIVATE KEY-----\n${body}`],
    ['a body too short to be a key', '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----'],
    ['a public key', PEM_PRIVATE_KEY.replaceAll('PRIVATE', 'PUBLIC')],
    [
      'prose between the markers',
      `-----BEGIN PRIVATE KEY----- is how it starts; see RFC 7468, then -----END PRIVATE KEY-----`,
    ],
  ])('leaves alone %s', (_label, text) => {
    expect(redactSecrets(text)).toBeUndefined();
  });

  it('a key after an unterminated BEGIN is still found', () => {
    const key = PEM_PRIVATE_KEY.trimEnd();
    expect(redactSecrets(`-----BEGIN PRIVATE KEY-----\nnot, a key\n${key}`)?.text).toBe(
      `-----BEGIN PRIVATE KEY-----\nnot, a key\n${marker}`,
    );
  });
});
