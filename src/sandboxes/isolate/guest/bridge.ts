// Guest side of the host bridge. Runs inside the V8 isolate, bundled before the server's code.
// The host installs one synchronous callback (`__wardenHost`); it is captured here and deleted from the
// global, so server code never sees it by name. It is an isolated-vm Callback: arguments and results are
// copied, and walking it only ever reaches this isolate's own Function.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** What the host returns for every call: a copied value, or a copied error description. */
type Envelope =
  | { ok: true; value: unknown }
  | { ok: false; error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } };

const g = globalThis as any;
const raw = g.__wardenHost as (op: string, ...args: unknown[]) => Envelope;
delete g.__wardenHost;

/** Call host operation `op`; throws an Error carrying the host's code/errno/syscall/path on failure. */
export function host<T = unknown>(op: string, ...args: unknown[]): T {
  const reply = raw(op, ...args);
  if (reply.ok) return reply.value as T;
  const { message, ...fields } = reply.error;
  throw Object.assign(new Error(message), fields);
}

type Handler = (payload: any) => void;
// Installed by the host's bootstrap script before this module runs, so events that arrive while the
// server's top-level code is still running are queued rather than lost.
const register = g.__wardenOn as (kind: string, handler: Handler) => void;
delete g.__wardenOn;

/** Register the guest handler for host event `kind` (stdin data, timers, drain...). */
export function onHostEvent(kind: string, handler: Handler): void {
  register(kind, handler);
}

let uncaught: (error: unknown) => void = (error) => {
  host('exit.uncaught', describe(error));
  for (;;) {
    // The host ends the process; nothing may run after an uncaught exception.
  }
};
register('uncaught', (error: unknown) => uncaught(error));

/** Replace what happens on an uncaught exception (process.ts installs 'uncaughtException' support). */
export function setUncaughtHandler(handler: (error: unknown) => void): void {
  uncaught = handler;
}

/** Report an exception no guest code caught: by default the host prints it and exits 1, as Node does. */
export function reportUncaught(error: unknown): void {
  uncaught(error);
}

/** A stack (or message) for an error value, for the host's stderr. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return `Uncaught ${String(error)}`;
  } catch {
    return 'Uncaught exception';
  }
}
