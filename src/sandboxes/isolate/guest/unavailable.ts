// Stand-ins for what a V8 isolate cannot offer (child_process, net, http, worker_threads, vm, native
// addons...). Importing them works, so a server that uses them only in some tools still starts; calling
// or constructing anything throws an error naming the module and the profile to use instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** The message of every "not available" error (tests match on it). */
export function unavailableMessage(module: string, name?: string): string {
  const what = name === undefined ? `node:${module}` : `node:${module}.${name}`;
  return (
    `mcp-warden: ${what} is not available under --profile isolate (a V8 isolate has no processes, ` +
    `network, threads or native code); run this server with --profile bwrap or --profile docker instead`
  );
}

/** The "not available" error (code ERR_WARDEN_UNAVAILABLE). */
export function unavailableError(module: string, name?: string): Error {
  return Object.assign(new Error(unavailableMessage(module, name)), { code: 'ERR_WARDEN_UNAVAILABLE' });
}

/** A function (also usable with `new`) that throws the "not available" error. */
export function unavailable(module: string, name?: string): (...args: any[]) => never {
  const fail = function (): never {
    throw unavailableError(module, name);
  };
  return fail;
}

/** A module object whose every property is an `unavailable` function (for default/namespace imports). */
export function unavailableModule(module: string): Record<string, unknown> {
  return new Proxy(
    {},
    {
      get: (_target, key) =>
        key === '__esModule' || typeof key === 'symbol' ? undefined : unavailable(module, String(key)),
    },
  );
}
