// Guest shim for node:events: the EventEmitter subset servers and their libraries use.
/* eslint-disable @typescript-eslint/no-explicit-any */

type Listener = (...args: any[]) => void;

/** Node's EventEmitter: on/once/off/emit/prepend, listener counts, 'error' without a listener throws. */
export class EventEmitter {
  static defaultMaxListeners = 10;
  #events = new Map<string | symbol, Listener[]>();

  on(name: string | symbol, listener: Listener): this {
    this.emit('newListener', name, listener);
    this.#events.set(name, [...(this.#events.get(name) ?? []), listener]);
    return this;
  }
  addListener(name: string | symbol, listener: Listener): this {
    return this.on(name, listener);
  }
  prependListener(name: string | symbol, listener: Listener): this {
    this.#events.set(name, [listener, ...(this.#events.get(name) ?? [])]);
    return this;
  }
  once(name: string | symbol, listener: Listener): this {
    const wrapper: Listener & { listener?: Listener } = (...args) => {
      this.off(name, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(name, wrapper);
  }
  prependOnceListener(name: string | symbol, listener: Listener): this {
    const wrapper: Listener & { listener?: Listener } = (...args) => {
      this.off(name, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.prependListener(name, wrapper);
  }
  off(name: string | symbol, listener: Listener): this {
    const list = this.#events.get(name);
    if (!list) return this;
    const index = list.findIndex(
      (l) => l === listener || (l as { listener?: Listener }).listener === listener,
    );
    if (index >= 0) {
      const next = [...list.slice(0, index), ...list.slice(index + 1)];
      if (next.length === 0) this.#events.delete(name);
      else this.#events.set(name, next);
      this.emit('removeListener', name, listener);
    }
    return this;
  }
  removeListener(name: string | symbol, listener: Listener): this {
    return this.off(name, listener);
  }
  removeAllListeners(name?: string | symbol): this {
    if (name === undefined) this.#events.clear();
    else this.#events.delete(name);
    return this;
  }
  emit(name: string | symbol, ...args: any[]): boolean {
    const list = this.#events.get(name);
    if (!list || list.length === 0) {
      if (name === 'error')
        throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    for (const listener of list) listener.apply(this, args);
    return true;
  }
  listenerCount(name: string | symbol): number {
    return this.#events.get(name)?.length ?? 0;
  }
  listeners(name: string | symbol): Listener[] {
    return (this.#events.get(name) ?? []).map((l) => (l as { listener?: Listener }).listener ?? l);
  }
  rawListeners(name: string | symbol): Listener[] {
    return [...(this.#events.get(name) ?? [])];
  }
  eventNames(): (string | symbol)[] {
    return [...this.#events.keys()];
  }
  setMaxListeners(): this {
    return this;
  }
  getMaxListeners(): number {
    return EventEmitter.defaultMaxListeners;
  }
}

/** events.once: resolves with the arguments of the next `name` event, rejects on 'error'. */
export function once(emitter: EventEmitter, name: string | symbol): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown): void => {
      emitter.off(name, onEvent);
      reject(error);
    };
    const onEvent = (...args: any[]): void => {
      if (name !== 'error') emitter.off('error', onError);
      resolve(args);
    };
    emitter.once(name, onEvent);
    if (name !== 'error') emitter.once('error', onError);
  });
}

export const errorMonitor = Symbol('events.errorMonitor');
export default Object.assign(EventEmitter, { EventEmitter, once, errorMonitor });
