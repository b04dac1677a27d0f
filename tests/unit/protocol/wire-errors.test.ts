import { describe, it, expect } from 'vitest';
import {
  encodeLine,
  policyError,
  POLICY_ERROR_CODE,
  sanitizeReason,
  terminatedError,
  TERMINATED_ERROR_CODE,
} from '../../../src/protocol/wire-errors.ts';
import { JsonRpcErrorResponseSchema } from '../../../src/protocol/json-rpc-schemas.ts';

describe('wire errors', () => {
  it('builds the policy error of DESIGN.md', () => {
    expect(encodeLine(policyError(3, 'path.outside-root', 'no')).toString()).toBe(
      '{"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"mcp-warden: no","data":{"rule":"path.outside-root"}}}\n',
    );
    expect(POLICY_ERROR_CODE).toBe(-32001);
  });

  it('builds the terminated error with id null when unknown', () => {
    const error = terminatedError(null, 'sandbox.exited', 'exit 1');
    expect(error).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: TERMINATED_ERROR_CODE,
        message: 'mcp-warden: sandbox terminated: exit 1',
        data: { rule: 'sandbox.exited' },
      },
    });
    expect(TERMINATED_ERROR_CODE).toBe(-32002);
    expect(JsonRpcErrorResponseSchema.safeParse(error).success).toBe(true);
  });

  it.each([
    { input: 'a\u001b[31mred', output: 'a\\u001b[31mred' },
    { input: 'nul\u0000 tab\t nl\n', output: 'nul\\u0000 tab\\u0009 nl\\u000a' },
    { input: 'c1\u009b del\u007f', output: 'c1\\u009b del\\u007f' },
    { input: 'bidi\u202eevil\u2066x\u2069', output: 'bidi\\u202eevil\\u2066x\\u2069' },
    { input: 'plain ünïcödé ✓', output: 'plain ünïcödé ✓' },
  ])('makes control characters visible: $output', ({ input, output }) => {
    expect(sanitizeReason(input)).toBe(output);
    expect(policyError('x', 'r', input).error.message).toBe(`mcp-warden: ${output}`);
  });

  it('caps reasons at 300 characters, escapes included', () => {
    expect(sanitizeReason('a'.repeat(10_000))).toHaveLength(300);
    expect(sanitizeReason('\u001b'.repeat(10_000))).toHaveLength(300);
    const pairs = sanitizeReason('😀'.repeat(1000));
    expect(pairs.length).toBeLessThanOrEqual(300);
    expect(pairs.endsWith('😀…')).toBe(true);
  });

  it('encodes a value as one line', () => {
    const line = encodeLine({ s: 'a\nb\u2028' });
    expect(line.toString()).toBe('{"s":"a\\nb\u2028"}\n');
    expect(line.indexOf(0x0a)).toBe(line.length - 1);
    expect(() => encodeLine(undefined)).toThrow(TypeError);
  });
});
