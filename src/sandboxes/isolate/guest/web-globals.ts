// Web platform globals a bare V8 context lacks but Node provides: Event/EventTarget, AbortController,
// DOMException, performance.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { host } from './bridge.ts';

/** DOMException (name + message). */
export class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(message);
    this.name = name;
  }
}

/** A minimal DOM Event. */
export class Event {
  readonly type: string;
  defaultPrevented = false;
  target: unknown = null;
  constructor(type: string) {
    this.type = type;
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
  stopPropagation(): void {}
  stopImmediatePropagation(): void {}
}

type Listener = ((event: any) => void) | { handleEvent(event: any): void };

/** A minimal EventTarget (once supported). */
export class EventTarget {
  #listeners = new Map<string, { listener: Listener; once: boolean }[]>();
  addEventListener(type: string, listener: Listener | null, options?: boolean | { once?: boolean }): void {
    if (!listener) return;
    const list = this.#listeners.get(type) ?? [];
    if (list.some((entry) => entry.listener === listener)) return;
    list.push({ listener, once: typeof options === 'object' && Boolean(options.once) });
    this.#listeners.set(type, list);
  }
  removeEventListener(type: string, listener: Listener | null): void {
    const list = this.#listeners.get(type);
    if (list)
      this.#listeners.set(
        type,
        list.filter((entry) => entry.listener !== listener),
      );
  }
  dispatchEvent(event: Event): boolean {
    event.target = this;
    const handler = (this as any)[`on${event.type}`];
    if (typeof handler === 'function') handler.call(this, event);
    for (const entry of [...(this.#listeners.get(event.type) ?? [])]) {
      if (entry.once) this.removeEventListener(event.type, entry.listener);
      if (typeof entry.listener === 'function') entry.listener.call(this, event);
      else entry.listener.handleEvent(event);
    }
    return !event.defaultPrevented;
  }
}

/** AbortSignal. */
export class AbortSignal extends EventTarget {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((event: Event) => void) | null = null;
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
  static abort(reason?: unknown): AbortSignal {
    const controller = new AbortController();
    controller.abort(reason);
    return controller.signal;
  }
  static timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    setTimeout(
      () => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')),
      ms,
    ).unref?.();
    return controller.signal;
  }
  static any(signals: AbortSignal[]): AbortSignal {
    const controller = new AbortController();
    for (const signal of signals) {
      if (signal.aborted) controller.abort(signal.reason);
      else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    }
    return controller.signal;
  }
}

/** AbortController. */
export class AbortController {
  readonly signal = new AbortSignal();
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.signal.aborted) return;
    this.signal.aborted = true;
    this.signal.reason = reason;
    this.signal.dispatchEvent(new Event('abort'));
  }
}

const origin = host<number>('clock.now');
/** performance: now() and timeOrigin; marks and measures are accepted and dropped. */
export const performance = {
  timeOrigin: origin,
  now: (): number => host<number>('clock.now') - origin,
  mark: (): void => undefined,
  measure: (): void => undefined,
  clearMarks: (): void => undefined,
  clearMeasures: (): void => undefined,
  getEntriesByName: (): unknown[] => [],
  toJSON: (): Record<string, number> => ({ timeOrigin: origin }),
};
