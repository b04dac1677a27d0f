/**
 * The warden's own tools/list after notifications/tools/list_changed, so a changed definition is
 * checked against the pins (and the tool withheld) even if the client never lists again. At most one
 * is in flight: notices that come meanwhile are coalesced into one more after it, so a server flooding
 * list_changed (and not reading its stdin) cannot queue requests without end.
 */
export class ToolsRelist {
  /** None in flight (`idle`), one in flight, or one in flight and another due when it settles (`again`). */
  #state: 'idle' | 'in-flight' | 'again' = 'idle';
  #count = 0;
  readonly #send: (id: string) => void;

  /** `send` writes a tools/list request with `id` to the server and tracks it as internal. */
  constructor(send: (id: string) => void) {
    this.#send = send;
  }

  /** The server said its tools changed. */
  notice(): void {
    if (this.#state !== 'idle') {
      this.#state = 'again';
      return;
    }
    this.#sendOne();
  }

  /** The re-list in flight was answered or timed out: send the one asked for meanwhile, if `mayResend`. */
  settled(mayResend: boolean): void {
    const again = this.#state === 'again';
    this.#state = 'idle';
    if (again && mayResend) this.#sendOne();
  }

  /** The sandbox died: the re-list in flight, if any, died with it. */
  reset(): void {
    this.#state = 'idle';
  }

  #sendOne(): void {
    this.#state = 'in-flight';
    this.#send(`mcp-warden-relist-${++this.#count}`);
  }
}
