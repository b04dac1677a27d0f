import { describe, expect, it } from 'vitest';
import { SessionState } from '../../../src/supervisor/session-state.ts';

describe('SessionState', () => {
  it('an abandoned id stays reserved while its sandbox lives, and is freed when the sandbox is gone', () => {
    const state = new SessionState();
    state.trackClientRequest({ id: 7, method: 'tools/call' });
    state.abandon(7);
    expect(state.abandoned.size).toBe(1);
    expect(state.clientInFlight.size).toBe(0);
    state.trackClientRequest({ id: 8, method: 'ping' });
    expect(state.drainInFlight().map((r) => r.id)).toEqual([8]);
    // After a breach or restart no late answer to 7 can arrive: the client may use 7 again.
    expect(state.abandoned.size).toBe(0);
  });
});
