import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../../src/replay/read-record.ts';
import { RecordWriter } from '../../../src/replay/record-writer.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const REDACTION = { envValues: [], contents: false };
const FACTS = {
  warden: '0.1.0',
  session: 's1',
  profile: { name: 'none', backend: 'none', sha256: 'b'.repeat(64) },
  roots: [{ path: '/data', realPath: '/data', readOnly: false }],
  allowHost: [],
  command: ['node', 'server.js'],
};

describe('RecordWriter', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpRoot('writer');
  });

  it('creates the record with mode 0600 and makes an existing one private too', () => {
    const fresh = path.join(dir, 'fresh.jsonl');
    RecordWriter.open(fresh, REDACTION, () => undefined).close();
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    const existing = path.join(dir, 'existing.jsonl');
    writeFileSync(existing, '');
    chmodSync(existing, 0o644);
    RecordWriter.open(existing, REDACTION, () => undefined).close();
    expect(statSync(existing).mode & 0o777).toBe(0o600);
  });

  it('writes a record the reader accepts: header, messages with verdicts, own answers, end', () => {
    const file = path.join(dir, 'round.jsonl');
    const writer = RecordWriter.open(file, REDACTION, () => undefined);
    writer.start(FACTS);
    writer.message(
      'client',
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'read_file', arguments: { path: '/data/a' } },
      },
      90,
      { action: 'allow' },
    );
    writer.message(
      'server',
      { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'BODY' }] } },
      70,
      { action: 'allow' },
    );
    writer.message(
      'client',
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'x', arguments: { path: '/etc/passwd' } },
      },
      90,
      {
        action: 'deny',
        rule: 'path.outside-root',
        reason: 'arguments.path is outside the allowed roots',
      },
    );
    writer.own(
      'client',
      Buffer.from(
        '{"jsonrpc":"2.0","id":2,"error":{"code":-32001,"message":"no","data":{"rule":"path.outside-root"}}}\n',
      ),
    );
    writer.invalid('client', 'protocol.invalid-json', 'invalid JSON: syntax error at character 3');
    writer.end(0);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('BODY');
    const parsed = parseRecord(text, file);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [session] = parsed.sessions;
    expect(session?.header).toMatchObject({ ...FACTS, type: 'header', version: 1, contents: false });
    expect(session?.entries.map(({ entry }) => [entry.type, 'seq' in entry ? entry.seq : undefined])).toEqual(
      [
        ['message', 1],
        ['message', 2],
        ['message', 3],
        ['own', 4],
        ['invalid', 5],
        ['end', undefined],
      ],
    );
    expect(session?.entries[1]?.entry).toMatchObject({ dropped: 1 });
  });

  it('appends a second session after the first (a client that starts the server again)', () => {
    const file = path.join(dir, 'twice.jsonl');
    for (const session of ['one', 'two']) {
      const writer = RecordWriter.open(file, REDACTION, () => undefined);
      writer.start({ ...FACTS, session });
      writer.end(0);
    }
    const parsed = parseRecord(readFileSync(file, 'utf8'), file);
    expect(parsed.ok && parsed.sessions.map((s) => s.header.session)).toEqual(['one', 'two']);
  });

  it('refuses a symlink, a directory and a path in a missing directory, saying why', () => {
    const target = path.join(dir, 'target.jsonl');
    writeFileSync(target, '');
    const link = path.join(dir, 'link.jsonl');
    symlinkSync(target, link);
    expect(() => RecordWriter.open(link, REDACTION, () => undefined)).toThrow(
      /--record .*link\.jsonl: it is a symbolic link/,
    );
    const sub = path.join(dir, 'a-dir');
    mkdirSync(sub);
    expect(() => RecordWriter.open(sub, REDACTION, () => undefined)).toThrow(
      /--record .*a-dir: cannot open it for writing: EISDIR/,
    );
    expect(() => RecordWriter.open(path.join(dir, 'no', 'x.jsonl'), REDACTION, () => undefined)).toThrow(
      /ENOENT/,
    );
  });

  it('refuses a character device such as /dev/null or the terminal: only a regular file is a record', () => {
    expect(() => RecordWriter.open('/dev/null', REDACTION, () => undefined)).toThrow(
      /--record \/dev\/null: it is not a regular file/,
    );
  });
});
