// When an HTTP session ends by itself (src/gateway/session-clock.ts): idle, unused, credential expiry.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionClock } from '../../../src/gateway/session-clock.ts';

const IDLE = 1_000;
const UNUSED = 100;

function clock(expiresAt?: number) {
  const fired: string[] = [];
  const c = new SessionClock(
    {
      idleTimeoutMs: IDLE,
      unusedTtlMs: UNUSED,
      onIdle: () => fired.push('idle'),
      onUnused: () => fired.push('unused'),
      onExpired: () => fired.push('expired'),
    },
    expiresAt,
  );
  return { c, fired };
}

describe('SessionClock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends a session nobody used after its handshake within the unused TTL, before the idle timeout', () => {
    const { fired } = clock();
    vi.advanceTimersByTime(UNUSED);
    expect(fired).toEqual(['unused']);
  });

  it('once used, only the idle timeout applies', () => {
    const { c, fired } = clock();
    c.markUsed();
    vi.advanceTimersByTime(IDLE - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['idle']);
  });

  it('a request in progress holds both clocks, and its end starts them again', () => {
    const { c, fired } = clock();
    c.requestOpened();
    vi.advanceTimersByTime(IDLE * 5);
    expect(fired).toEqual([]);
    c.requestClosed();
    vi.advanceTimersByTime(UNUSED);
    expect(fired).toEqual(['unused']);
  });

  it('an open GET stream keeps an unused session but is not activity', () => {
    const { c, fired } = clock();
    c.streamOpened();
    vi.advanceTimersByTime(IDLE - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['idle']);
    c.streamClosed();
    vi.advanceTimersByTime(UNUSED);
    expect(fired).toEqual(['idle', 'unused']);
  });

  it('fires at the credential expiry, and a renewed credential moves it', () => {
    const now = Date.now();
    const { c, fired } = clock(now + 50);
    c.markUsed();
    c.expireAt(now + 500);
    vi.advanceTimersByTime(499);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['expired']);
  });

  it('an expiry past what setTimeout can wait is re-armed on the way, not fired early', () => {
    const far = Date.now() + 2 ** 31 + 5_000;
    const { c, fired } = clock(far);
    c.markUsed();
    c.requestOpened(); // no idle timeout meanwhile
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(5_001);
    expect(fired).toEqual(['expired']);
  });

  it('fires nothing once stopped, whatever happens after', () => {
    const { c, fired } = clock(Date.now() + 10);
    c.stop();
    c.requestOpened();
    c.requestClosed();
    c.expireAt(Date.now() + 10);
    vi.advanceTimersByTime(IDLE * 10);
    expect(fired).toEqual([]);
  });
});
