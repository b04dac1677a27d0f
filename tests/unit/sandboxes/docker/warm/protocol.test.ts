import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { POOL_PROTOCOL_VERSION } from '../../../../../src/sandboxes/docker/warm/pool-wire.ts';
import {
  ContainerBodySchema,
  ReplySchema,
  RequestSchema,
} from '../../../../../src/sandboxes/docker/warm/protocol.ts';
import { parseReply } from '../../../../../src/sandboxes/docker/warm/reply-check.ts';
import { planBody, planFiles } from './plan-body.ts';

const files = planFiles();
const body = planBody(files);
afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

describe('the pool protocol', () => {
  it("accepts the planner's body, and a take of it", () => {
    expect(ContainerBodySchema.safeParse(body).success).toBe(true);
    const take = {
      type: 'take',
      version: POOL_PROTOCOL_VERSION,
      engine: '',
      body,
      taker: { pid: 42, startTime: '123' },
    };
    expect(RequestSchema.safeParse(take).success).toBe(true);
    expect(RequestSchema.safeParse({ ...take, version: 2 }).success).toBe(false);
    expect(RequestSchema.safeParse({ ...take, extra: 1 }).success).toBe(false);
  });

  it('refuses a body the warden would never plan: the pool creates nothing weaker', () => {
    const weaker = [
      { ...body, User: '0:0' },
      { ...body, HostConfig: { ...body.HostConfig, Privileged: true } },
      { ...body, HostConfig: { ...body.HostConfig, CapAdd: ['SYS_ADMIN'] } },
      { ...body, HostConfig: { ...body.HostConfig, CapDrop: [] } },
      { ...body, HostConfig: { ...body.HostConfig, ReadonlyRootfs: false } },
      { ...body, HostConfig: { ...body.HostConfig, SecurityOpt: [] } },
      { ...body, HostConfig: { ...body.HostConfig, PidMode: 'host' } },
      { ...body, HostConfig: { ...body.HostConfig, Devices: [{ PathOnHost: '/dev/kmsg' }] } },
      { ...body, HostConfig: { ...body.HostConfig, Binds: ['/:/host'] } },
      { ...body, HostConfig: { ...body.HostConfig, LogConfig: { Type: 'json-file', Config: {} } } },
      { ...body, Tty: true },
    ];
    for (const candidate of weaker) expect(ContainerBodySchema.safeParse(candidate).success).toBe(false);
  });

  it("the warden's hand-written reply check agrees with the schema", () => {
    const id = 'a'.repeat(64);
    const lines = [
      {
        type: 'hit',
        id,
        name: 'mcp-warden-taken-1-2-ab',
        stderr: Buffer.from('booted\n').toString('base64'),
      },
      { type: 'hit', id, name: 'n', stderr: '' },
      { type: 'hit', id: 'A'.repeat(64), name: 'n', stderr: '' },
      { type: 'hit', id: id.slice(1), name: 'n', stderr: '' },
      { type: 'hit', id, name: '', stderr: '' },
      { type: 'hit', id, name: 'n', stderr: 'not base64!' },
      { type: 'hit', id, name: 'n', stderr: 'abc' },
      { type: 'hit', id, name: 'n', stderr: '', more: 1 },
      { type: 'hit', id, name: 'n' },
      { type: 'miss', reason: 'no ready container' },
      { type: 'miss', reason: 7 },
      { type: 'miss' },
      { type: 'error', reason: 'bad' },
      { type: 'ok' },
      { type: 'ok', extra: true },
      { type: 'nope' },
      [],
      null,
      'text',
    ];
    for (const value of lines) {
      const schema = ReplySchema.safeParse(value);
      const expected = schema.success && schema.data.type !== 'status' ? schema.data : undefined;
      expect(parseReply(JSON.stringify(value)), JSON.stringify(value)).toEqual(expected);
    }
    expect(parseReply('{not json')).toBeUndefined();
  });
});
