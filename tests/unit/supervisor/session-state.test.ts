import { describe, expect, it } from 'vitest';
import { SessionState } from '../../../src/supervisor/session-state.ts';

describe('SessionState', () => {
  it('lists expired requests oldest first and stops at the first one still in time', () => {
    const state = new SessionState();
    state.trackClientRequest({ id: 1, method: 'a', deadline: 100 });
    state.trackClientRequest({ id: 2, method: 'b', deadline: 200 });
    state.trackClientRequest({ id: 3, method: 'c', deadline: 300 });
    expect(state.nextDeadline()).toBe(100);
    expect([...state.expired(99)]).toEqual([]);
    expect([...state.expired(200)].map((r) => r.id)).toEqual([1, 2]);
    state.settleClientRequest(1);
    expect(state.nextDeadline()).toBe(200);
    state.drainInFlight();
    expect(state.nextDeadline()).toBeUndefined();
  });

  it('an abandoned id stays reserved while its sandbox lives, and is freed when the sandbox is gone', () => {
    const state = new SessionState();
    state.trackClientRequest({ id: 7, method: 'tools/call', deadline: 0 });
    state.abandon(7);
    expect(state.abandoned.size).toBe(1);
    expect(state.clientInFlight.size).toBe(0);
    state.trackClientRequest({ id: 8, method: 'ping', deadline: 0 });
    expect(state.drainInFlight().map((r) => r.id)).toEqual([8]);
    // After a breach or restart no late answer to 7 can arrive: the client may use 7 again.
    expect(state.abandoned.size).toBe(0);
  });
});
