import { describe, expect, it } from 'vitest';
import { readyName, takenName, takerOf } from '../../../../../src/sandboxes/docker/warm/taken-name.ts';

describe('warm pool container names', () => {
  it('name the warden a container was handed to, and nobody for a ready one or a warden’s own', () => {
    const taker = { pid: 4242, startTime: '987654' };
    expect(takerOf([`/${takenName(taker, 'ab12cd34')}`])).toEqual(taker);
    expect(takerOf([takenName(taker, 'ab12cd34')])).toEqual(taker);
    expect(takerOf([`/${readyName(7, 'ab12cd34')}`])).toBeUndefined();
    expect(takerOf(['/mcp-warden-4242-ab12cd34'])).toBeUndefined();
    expect(takerOf(['/mcp-warden-taken-x-1-ab'])).toBeUndefined();
    expect(takerOf([])).toBeUndefined();
  });
});
