import type { Isolate } from 'isolated-vm';
import type { LimitKind } from '../types.ts';
import { LIMIT_LINE_PREFIX, LIMIT_SIGNALS } from './isolate-exit.ts';

/** How long an ending host waits for the isolate's thread to stop before it kills itself outright. */
const SETTLE_MS = 2000;
/** Pause between the isolate's disposal and the exit (see #maybeExit). */
const EXIT_PAUSE_MS = 50;

/**
 * Ends the host process. For an ordinary exit (the guest called process.exit, or threw), exiting while the
 * isolate's thread still runs guest code crashes Node's teardown (SIGSEGV), so every entry into the
 * isolate is counted, and the host first disposes the isolate (which terminates running guest code),
 * then exits once no entry is left in flight. A limit ends the process at once with a signal.
 */
export class HostLifecycle {
  #isolate: Isolate | undefined;
  #inflight = 0;
  #status: number | undefined;
  #exiting = false;

  attach(isolate: Isolate): void {
    this.#isolate = isolate;
  }

  /** True once an exit has been decided; later failures are consequences, not causes. */
  get ending(): boolean {
    return this.#status !== undefined;
  }

  /** Count `promise` as an entry into the isolate until it settles. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight++;
    return promise.finally(() => {
      this.#inflight--;
      this.#maybeExit();
    });
  }

  /**
   * A limit ended the guest: one stderr line (for humans; stderr is synchronous on a pipe), then the
   * signal the backend maps to ExitInfo.limit. Immediate: the isolate may be spinning or broken.
   */
  limit(kind: LimitKind, detail: string): void {
    if (this.ending) return;
    this.#status = -1;
    process.stderr.write(`${LIMIT_LINE_PREFIX}${kind}: ${detail}\n`);
    process.kill(process.pid, LIMIT_SIGNALS[kind]);
  }

  /** Exit with `status` as soon as the isolate is quiet (the first decision wins). */
  exit(status: number): void {
    if (this.ending) return;
    this.#status = status;
    // Deferred: exit() may be called from inside a host callback, while the guest waits for its answer.
    setImmediate(() => {
      try {
        if (this.#isolate && !this.#isolate.isDisposed) this.#isolate.dispose();
      } catch {
        // Already disposed.
      }
      this.#maybeExit();
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), SETTLE_MS).unref();
    });
  }

  #maybeExit(): void {
    if (this.#status === undefined || this.#inflight > 0 || this.#exiting) return;
    if (this.#isolate && !this.#isolate.isDisposed) return;
    this.#exiting = true;
    const status = this.#status;
    // isolated-vm finishes disposing on its own thread: exiting before that races its teardown and
    // crashes (SIGSEGV in about a third of runs without this pause, none in our trials with it).
    // process.exit() would also run Node's environment teardown over isolated-vm's handles;
    // reallyExit ends the process without it (stdio on pipes and files is synchronous: nothing is lost).
    setTimeout(
      () => (process as unknown as { reallyExit(code: number): never }).reallyExit(status),
      EXIT_PAUSE_MS,
    );
  }
}
