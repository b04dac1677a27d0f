import { describe, expect, it } from 'vitest';
import {
  dropContents,
  droppedMarker,
  redactForRecord,
  redactText,
} from '../../../src/replay/record-redact.ts';

const TOKEN = `ghp_${'a1B2'.repeat(9)}`;
const ENV = { envValues: [{ name: 'API_KEY', value: 'plain-looking-value-123' }], contents: false };

describe('redactForRecord: secrets', () => {
  it('redacts credentials anywhere in params, keys included, with the content guards’ markers', () => {
    const out = redactForRecord(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'write_file', arguments: { content: `x ${TOKEN} y`, [TOKEN]: [`deep ${TOKEN}`] } },
      },
      undefined,
      ENV,
    );
    const text = JSON.stringify(out.message);
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('[REDACTED by mcp-warden: github-token]');
    expect(out.secrets).toEqual({ 'github-token': 3 });
    // Method, id and the message's shape are kept.
    expect(out.message).toMatchObject({ jsonrpc: '2.0', id: 1, method: 'tools/call' });
  });

  it('replaces every --env value given to the server, whether or not it looks like a secret', () => {
    const out = redactForRecord(
      {
        jsonrpc: '2.0',
        id: 2,
        result: { content: [{ type: 'text', text: 'got plain-looking-value-123!' }] },
      },
      'tools/list', // not a content method: only redaction applies
      ENV,
    );
    expect(JSON.stringify(out.message)).not.toContain('plain-looking-value-123');
    expect(JSON.stringify(out.message)).toContain('[REDACTED by mcp-warden: env:API_KEY]');
    expect(out.secrets).toEqual({ 'env:API_KEY': 1 });
  });

  it('leaves short --env values alone (they would match everywhere) and redacts the header’s words', () => {
    const short = { envValues: [{ name: 'DEBUG', value: '1' }], contents: false };
    const out = redactForRecord(
      { jsonrpc: '2.0', id: 1, method: 'ping', params: { n: '1' } },
      undefined,
      short,
    );
    expect(out.message).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping', params: { n: '1' } });
    expect(redactText(`--token=${TOKEN}`, ENV)).toBe('--token=[REDACTED by mcp-warden: github-token]');
    expect(redactText('--key=plain-looking-value-123', ENV)).toBe(
      '--key=[REDACTED by mcp-warden: env:API_KEY]',
    );
  });
});

describe('redactForRecord: file contents', () => {
  const readResult = {
    jsonrpc: '2.0',
    id: 3,
    result: {
      content: [
        { type: 'text', text: 'FILE BODY' },
        { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///data/a.txt', text: 'EMBEDDED BODY' } },
        { type: 'resource_link', uri: 'file:///data/b.txt', name: 'b.txt' },
      ],
      structuredContent: { content: 'FILE BODY', nested: ['FILE BODY'], size: 9 },
      isError: false,
    },
  };

  it('drops the bodies of tools/call results, keeping URIs, names, types and the shape', () => {
    const out = redactForRecord(readResult, 'tools/call', ENV);
    const text = JSON.stringify(out.message);
    expect(text).not.toContain('BODY');
    expect(out.dropped).toBe(5);
    expect(out.message.result).toEqual({
      content: [
        { type: 'text', text: droppedMarker(9) },
        { type: 'image', data: droppedMarker(12), mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///data/a.txt', text: droppedMarker(13) } },
        { type: 'resource_link', uri: 'file:///data/b.txt', name: 'b.txt' },
      ],
      structuredContent: { content: droppedMarker(9), nested: [droppedMarker(9)], size: 9 },
      isError: false,
    });
  });

  it('drops resources/read contents and prompts/get message bodies', () => {
    const read = dropContents({
      contents: [
        { uri: 'file:///d/x', text: 'T' },
        { uri: 'file:///d/y', blob: 'QkI=' },
      ],
    });
    expect(read).toEqual({
      value: {
        contents: [
          { uri: 'file:///d/x', text: droppedMarker(1) },
          { uri: 'file:///d/y', blob: droppedMarker(4) },
        ],
      },
      dropped: 2,
    });
    const prompt = dropContents({ messages: [{ role: 'user', content: { type: 'text', text: 'PROMPT' } }] });
    expect(prompt.value).toEqual({
      messages: [{ role: 'user', content: { type: 'text', text: droppedMarker(6) } }],
    });
  });

  it('keeps contents with --record-contents, and never drops from requests or other results', () => {
    expect(redactForRecord(readResult, 'tools/call', { ...ENV, contents: true }).message).toEqual(readResult);
    expect(redactForRecord(readResult, 'tools/list', ENV).dropped).toBe(0);
    expect(redactForRecord(readResult, undefined, ENV).dropped).toBe(0);
  });
});
