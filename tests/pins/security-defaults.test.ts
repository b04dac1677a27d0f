// Security defaults pinned as literals: widening one must be a visible, deliberate diff.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/load-profile.ts';
import {
  DEFAULT_CLIENT_METHODS,
  DEFAULT_SERVER_NOTIFICATIONS,
  DEFAULT_SERVER_REQUESTS,
  DEFAULT_WRITE_TOOLS,
  PolicySchema,
} from '../../src/config/policy-schema.ts';

describe('pinned security defaults', () => {
  it('client method allowlist', () => {
    expect([...DEFAULT_CLIENT_METHODS]).toEqual([
      'initialize',
      'ping',
      'tools/list',
      'tools/call',
      'resources/list',
      'resources/templates/list',
      'resources/read',
      'resources/subscribe',
      'resources/unsubscribe',
      'prompts/list',
      'prompts/get',
      'completion/complete',
      'logging/setLevel',
      'notifications/initialized',
      'notifications/cancelled',
      'notifications/progress',
      'notifications/roots/list_changed',
    ]);
  });

  it('server requests: only ping (no sampling, elicitation or roots)', () => {
    expect([...DEFAULT_SERVER_REQUESTS]).toEqual(['ping']);
  });

  it('server notifications', () => {
    expect([...DEFAULT_SERVER_NOTIFICATIONS]).toEqual([
      'notifications/message',
      'notifications/progress',
      'notifications/cancelled',
      'notifications/resources/updated',
      'notifications/resources/list_changed',
      'notifications/tools/list_changed',
      'notifications/prompts/list_changed',
    ]);
  });

  it('write-tool globs', () => {
    expect([...DEFAULT_WRITE_TOOLS]).toEqual([
      'write_*',
      'edit_*',
      'create_*',
      'move_*',
      'delete_*',
      'remove_*',
      'rename_*',
      'append_*',
      'upload_*',
      'patch_*',
      'mkdir*',
    ]);
  });

  it('size and time caps', () => {
    expect(PolicySchema.parse({}).limits).toEqual({
      clientMessageBytes: 4 * 1024 * 1024,
      serverMessageBytes: 32 * 1024 * 1024,
      argumentBytes: 1024 * 1024,
      maxDepth: 64,
      requestTimeoutMs: 600_000,
    });
  });

  it('built-in profiles: no network, kill on server breach, deny on client breach', () => {
    for (const name of ['bwrap', 'none']) {
      const profile = loadProfile(name);
      expect({
        network: profile.network,
        server: profile.onServerBreach,
        client: profile.onClientBreach,
      }).toEqual({
        network: false,
        server: 'kill',
        client: 'deny',
      });
    }
  });
});
