// Which client request a server's message belongs to (src/gateway/in-flight-requests.ts).
import { describe, expect, it } from 'vitest';
import { InFlightRequests } from '../../../src/gateway/in-flight-requests.ts';

describe('InFlightRequests', () => {
  it('relates a progress notification to the request that carried its token', () => {
    const requests = new InFlightRequests();
    requests.track(1, 'tools/call', { _meta: { progressToken: 'tok' } });
    requests.track(2, 'tools/call', {});
    expect(requests.relatedTo({ method: 'notifications/progress', params: { progressToken: 'tok' } })).toBe(
      1,
    );
  });

  it('relates anything else to the most recent request still in flight, or to none', () => {
    const requests = new InFlightRequests();
    expect(requests.relatedTo({ method: 'notifications/message' })).toBeUndefined();
    requests.track('a', 'tools/call', undefined);
    requests.track('b', 'tools/list', undefined);
    expect(requests.relatedTo({ method: 'sampling/createMessage' })).toBe('b');
    requests.settle('b');
    expect(requests.relatedTo({ method: 'sampling/createMessage' })).toBe('a');
  });

  it('keeps numeric and string ids apart', () => {
    const requests = new InFlightRequests();
    requests.track(7, 'tools/call', undefined);
    expect(requests.settle('7')).toBeUndefined();
    expect(requests.settle(7)?.method).toBe('tools/call');
    expect(requests.size).toBe(0);
  });

  it("forgets a settled request's progress token: a late notification goes to the latest request", () => {
    const requests = new InFlightRequests();
    requests.track(1, 'tools/call', { _meta: { progressToken: 5 } });
    requests.track(2, 'tools/call', undefined);
    requests.settle(1);
    expect(requests.relatedTo({ method: 'notifications/progress', params: { progressToken: 5 } })).toBe(2);
    expect(requests.list().map((r) => r.id)).toEqual([2]);
  });
});
