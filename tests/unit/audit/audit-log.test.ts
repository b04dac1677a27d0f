import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.ts';
import { GENESIS_HASH, HashChain, hashLine } from '../../../src/audit/hash-chain.ts';
import { verifyAuditLog } from '../../../src/audit/verify.ts';

const dirs: string[] = [];
function tmpFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-audit-'));
  dirs.push(dir);
  return path.join(dir, 'audit.log');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function writeSession(file: string, session: string): void {
  const log = new AuditLog(session, file);
  log.write({
    event: 'session.start',
    profile: 'none',
    backend: 'none',
    roots: ['/data'],
    command: ['node', 's.js'],
  });
  log.write({
    event: 'verdict',
    direction: 'client',
    action: 'deny',
    rule: 'path.outside-root',
    reason: 'outside',
    tool: 'read_file',
    detail: '/etc/\u001b[31mpasswd',
  });
  log.write({ event: 'session.end', reason: 'client closed its input', exitCode: 0 });
}

describe('HashChain', () => {
  it('puts prev first and chains the hash of each written line', () => {
    const chain = new HashChain();
    const first = chain.link('{"a":1}\n');
    expect(first).toBe(`{"prev":"${GENESIS_HASH}","a":1}\n`);
    const second = chain.link('{}');
    expect(second).toBe(`{"prev":"${hashLine(first.slice(0, -1))}"}\n`);
  });
});

describe('AuditLog and verify', () => {
  it('writes a verifiable chain with redacted, escape-free detail', () => {
    const file = tmpFile();
    writeSession(file, 's1');
    const text = readFileSync(file, 'utf8');
    expect(verifyAuditLog(text)).toEqual({ ok: true, events: 3, sessions: 1 });
    const verdict = JSON.parse(text.split('\n')[1] ?? '') as Record<string, unknown>;
    expect(verdict).toMatchObject({
      session: 's1',
      event: 'verdict',
      rule: 'path.outside-root',
      action: 'deny',
    });
    expect(String(verdict.detail)).not.toContain('\u001b');
    expect(typeof verdict.time).toBe('string');
  });

  it('continues the chain when a second session appends to the same file', () => {
    const file = tmpFile();
    writeSession(file, 's1');
    writeSession(file, 's2');
    expect(verifyAuditLog(readFileSync(file, 'utf8'))).toEqual({ ok: true, events: 6, sessions: 2 });
  });

  it('detects an edited byte, a deleted line, a cut tail and a missing head', () => {
    const file = tmpFile();
    writeSession(file, 's1');
    writeSession(file, 's2');
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const edited = text.replace('outside', 'outsidE');
    expect(verifyAuditLog(edited)).toMatchObject({ ok: false, line: 3 });
    const deleted = [...lines.slice(0, 3), ...lines.slice(4)].join('\n');
    expect(verifyAuditLog(deleted)).toMatchObject({ ok: false, line: 4 });
    const cut = `${lines.slice(0, 4).join('\n')}\n`;
    expect(verifyAuditLog(cut)).toMatchObject({ ok: false, problem: expect.stringContaining('cut short') });
    const partial = text.slice(0, -5);
    expect(verifyAuditLog(partial)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('incomplete'),
    });
    const headless = `${lines.slice(3).join('\n')}`;
    expect(verifyAuditLog(headless)).toMatchObject({ ok: false, line: 1 });
  });

  it('refuses to append to a log that ends in a partial line', () => {
    const file = tmpFile();
    writeFileSync(file, '{"prev":"x"');
    expect(() => new AuditLog('s', file)).toThrow(/partial line/);
  });
});
