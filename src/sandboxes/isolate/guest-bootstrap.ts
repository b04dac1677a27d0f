/**
 * Runs in the fresh context before the server bundle: defines `__wardenOn(kind, handler)` (taken and
 * deleted by the guest's bridge module) and returns the dispatcher the host keeps a Reference to.
 * Errors a handler throws go to the 'uncaught' handler, as Node does with uncaught exceptions.
 */
export const BOOTSTRAP_SOURCE = `(() => {
  const handlers = new Map();
  Object.defineProperty(globalThis, '__wardenOn', {
    value: (kind, handler) => { handlers.set(kind, handler); },
    configurable: true, writable: true, enumerable: false,
  });
  return function dispatch(kind, payload) {
    const handler = handlers.get(kind);
    if (handler === undefined) return;
    try {
      handler(payload);
    } catch (error) {
      const uncaught = handlers.get('uncaught');
      if (uncaught === undefined) throw error;
      uncaught(error);
    }
  };
})()`;
