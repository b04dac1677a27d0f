import { describe, expect, it } from 'vitest';
import { describeLocation, guardContent, guardServerMessage } from '../../../src/guards/guard-message.ts';
import type { StringSite } from '../../../src/guards/guard-message.ts';
import { AWS_ACCESS_KEY_ID, PEM_PRIVATE_KEY } from './secrets.ts';

const ON = { redactSecrets: true, stripControls: true };

function guard(message: Record<string, unknown>, settings = ON) {
  return guardServerMessage(JSON.stringify(message), message, settings);
}

describe('guardServerMessage', () => {
  it('leaves an ordinary message untouched (undefined: forward the original bytes)', () => {
    const message = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello world' }] } };
    expect(guard(message)).toBeUndefined();
  });

  it('redacts inside string values only and keeps the MCP result shape', () => {
    const text = `key: ${AWS_ACCESS_KEY_ID}\n${PEM_PRIVATE_KEY}tail`;
    const message = {
      jsonrpc: '2.0',
      id: 'r1',
      result: {
        content: [{ type: 'text', text }],
        structuredContent: { n: 1, ok: true, list: [null] },
        isError: false,
      },
    };
    const out = guard(message);
    expect(out?.message).toEqual({
      jsonrpc: '2.0',
      id: 'r1',
      result: {
        content: [
          {
            type: 'text',
            text: 'key: [REDACTED by mcp-warden: aws-access-key-id]\n[REDACTED by mcp-warden: private-key]\ntail',
          },
        ],
        structuredContent: { n: 1, ok: true, list: [null] },
        isError: false,
      },
    });
    expect(out?.secrets).toEqual({ 'aws-access-key-id': 1, 'private-key': 1 });
    expect(message.result.content[0]?.text).toBe(text); // not mutated
  });

  it('pre-checks the decoded line: raw (unescaped) C1 and bidi characters alone are caught', () => {
    // JSON.stringify leaves these characters raw, so the line has no `\\u` escape to trip the pre-check.
    for (const control of ['\u0085', '\u009b2J', '\u202e', '\u2067']) {
      const message = {
        jsonrpc: '2.0',
        id: 1,
        result: { content: [{ type: 'text', text: `a${control}b` }] },
      };
      expect(JSON.stringify(message)).not.toContain('\\u');
      const out = guard(message);
      expect(out?.controls, JSON.stringify(control)).toBe(1);
    }
  });

  it('strips escapes from tool descriptions, notifications and errors, never from ids or methods', () => {
    const id = 'id-\u001b[31m';
    const out = guard({ jsonrpc: '2.0', id, error: { code: 1, message: 'bad\u001b[2J', data: ['\u202ex'] } });
    expect(out?.message).toEqual({ jsonrpc: '2.0', id, error: { code: 1, message: 'bad', data: ['x'] } });
    expect(out?.controls).toBe(2);
    const note = guard({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: '\u001b[1mhi' },
    });
    expect(note?.message).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: 'hi' },
    });
  });

  it('does nothing when both guards are off', () => {
    expect(
      guard(
        { jsonrpc: '2.0', id: 1, result: { t: `\u001b[31m${AWS_ACCESS_KEY_ID}` } },
        { redactSecrets: false, stripControls: false },
      ),
    ).toBeUndefined();
  });

  it('keeps a "__proto__" key a plain key when copying', () => {
    const message = JSON.parse(
      `{"jsonrpc":"2.0","id":1,"result":{"__proto__":{"x":"\\u001b[1m"},"t":"a"}}`,
    ) as Record<string, unknown>;
    const out = guard(message);
    const result = out?.message.result as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['__proto__', 't']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});

describe('guardContent: one walk over every string, keys included (issue 20 item 14)', () => {
  const rules = { stripControls: true, redactSecrets: true };

  it('strips escapes and invisible characters from object keys at any depth', () => {
    const message = {
      jsonrpc: '2.0',
      id: 1,
      result: { structuredContent: { 'a\u001b[31m': { ['b\u{e0041}\u{e0042}']: 'v' }, c: 1 } },
    };
    const out = guardContent(message, rules);
    expect(out?.kind).toBe('changed');
    if (out?.kind !== 'changed') return;
    expect(out.message.result).toEqual({ structuredContent: { a: { b: 'v' }, c: 1 } });
    expect(Object.keys((out.message.result as { structuredContent: object }).structuredContent)).toEqual([
      'a',
      'c',
    ]);
    expect(out.controls).toBe(3);
  });

  it('redacts a credential used as a key', () => {
    const out = guardContent({ jsonrpc: '2.0', id: 1, result: { [AWS_ACCESS_KEY_ID]: true } }, rules);
    expect(out?.kind === 'changed' && Object.keys(out.message.result as object)).toEqual([
      '[REDACTED by mcp-warden: aws-access-key-id]',
    ]);
  });

  it('reports keys that collide once sanitised, instead of silently merging them', () => {
    const out = guardContent({ jsonrpc: '2.0', id: 1, result: { x: { a: 1, 'a\u200b': 2 } } }, rules);
    expect(out?.kind).toBe('clash');
    if (out?.kind === 'clash') expect(describeLocation(out.at, true)).toBe('key of result.x.a');
  });

  it('lets a check judge every string as the client will see it, with its place', () => {
    const seen: string[] = [];
    const check = (value: string, site: StringSite): string | undefined => {
      seen.push(`${describeLocation(site.at, site.isKey)}=${value}`);
      return value === 'stop' ? `stopped at ${describeLocation(site.at, site.isKey)}` : undefined;
    };
    const message = {
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { data: ['x\u001b[1m', { 'k\u200b': 'stop' }], after: 'never' },
    };
    const out = guardContent(message, { ...rules, check });
    expect(out).toEqual({ kind: 'objection', objection: 'stopped at params.data[1].k' });
    expect(seen).toEqual([
      'key of params.data=data',
      'params.data[0]=x',
      'key of params.data[1].k=k',
      'params.data[1].k=stop',
    ]);
  });

  it('gives the check the object holding each value', () => {
    const holders: unknown[] = [];
    guardContent(
      { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 't' }] } },
      {
        stripControls: false,
        redactSecrets: false,
        check: (value, site) => {
          if (value === 't') holders.push(site.holder);
          return undefined;
        },
      },
    );
    expect(holders).toEqual([{ type: 'text', text: 't' }]);
  });

  it('returns undefined when nothing changed and nothing objected', () => {
    const message = { jsonrpc: '2.0', id: 1, result: { a: ['b', { c: 'd' }], n: 1 } };
    expect(guardContent(message, { ...rules, check: () => undefined })).toBeUndefined();
  });
});
