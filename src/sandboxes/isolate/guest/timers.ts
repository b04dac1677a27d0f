// Guest shim for timers: each guest timer is a real timer in the host process that fires an event back
// into the isolate, so ref/unref keep or release the host's event loop exactly as in Node.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { host, onHostEvent } from './bridge.ts';

type Callback = (...args: any[]) => void;
interface Entry {
  callback: Callback;
  args: any[];
  repeat: boolean;
}

const entries = new Map<number, Entry>();
let nextId = 1;

/** The object setTimeout/setInterval/setImmediate return; a number-like handle with ref/unref. */
export class Timeout {
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
  ref(): this {
    if (entries.has(this.id)) host('timer.ref', this.id, true);
    return this;
  }
  unref(): this {
    if (entries.has(this.id)) host('timer.ref', this.id, false);
    return this;
  }
  hasRef(): boolean {
    return entries.has(this.id);
  }
  refresh(): this {
    if (entries.has(this.id)) host('timer.refresh', this.id);
    return this;
  }
  close(): this {
    clear(this);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

function start(
  kind: 'timeout' | 'interval' | 'immediate',
  callback: Callback,
  ms: unknown,
  args: any[],
): Timeout {
  if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  const id = nextId++;
  entries.set(id, { callback, args, repeat: kind === 'interval' });
  const delay = Math.max(1, Math.min(2 ** 31 - 1, Number(ms) || 1));
  host('timer.set', id, kind, delay);
  return new Timeout(id);
}

function clear(handle: unknown): void {
  const id = handle instanceof Timeout ? handle.id : Number(handle);
  if (entries.delete(id)) host('timer.clear', id);
}

onHostEvent('timer', (id: number) => {
  const entry = entries.get(id);
  if (!entry) return;
  if (!entry.repeat) entries.delete(id);
  entry.callback(...entry.args);
});

export const setTimeout = (callback: Callback, ms?: number, ...args: any[]): Timeout =>
  start('timeout', callback, ms, args);
export const setInterval = (callback: Callback, ms?: number, ...args: any[]): Timeout =>
  start('interval', callback, ms, args);
export const setImmediate = (callback: Callback, ...args: any[]): Timeout =>
  start('immediate', callback, 0, args);
export const clearTimeout = clear;
export const clearInterval = clear;
export const clearImmediate = clear;

/** timers/promises. */
export const promises = {
  setTimeout: <T>(ms?: number, value?: T): Promise<T | undefined> =>
    new Promise((resolve) => setTimeout(() => resolve(value), ms)),
  setImmediate: <T>(value?: T): Promise<T | undefined> =>
    new Promise((resolve) => setImmediate(() => resolve(value))),
};

export default {
  setTimeout,
  setInterval,
  setImmediate,
  clearTimeout,
  clearInterval,
  clearImmediate,
  promises,
};
