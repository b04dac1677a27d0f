import { encodeLine } from '../protocol/wire-errors.ts';

/**
 * What a restarted sandbox needs to continue the client's session: the client's initialize request as
 * forwarded (replayed under an id the client never used, its answer swallowed), whether the client
 * sent notifications/initialized, and the client lines that arrive while the new sandbox starts and
 * answers the replay (held, then written in order).
 */
export class HandshakeReplay {
  #initialize: Buffer | undefined;
  #sawInitialized = false;
  #held: Buffer[] = [];
  #holding = false;

  /** The client's initialize request, as it was forwarded. */
  noteInitialize(line: Buffer): void {
    this.#initialize = line;
  }

  /** The client sent notifications/initialized. */
  noteInitialized(): void {
    this.#sawInitialized = true;
  }

  /** True while client lines must wait for a restarting sandbox. */
  get holding(): boolean {
    return this.#holding;
  }

  /** A new sandbox is starting: hold client lines until finish() or abort(). */
  startHolding(): void {
    this.#holding = true;
  }

  hold(line: Buffer): void {
    this.#held.push(line);
  }

  /**
   * The initialize request to replay to sandbox `generation`, under an id of its own; undefined when
   * the client never initialized (then call finish() at once).
   */
  replay(generation: number): { id: string; line: Buffer } | undefined {
    if (!this.#initialize) return undefined;
    const request = JSON.parse(this.#initialize.toString('utf8')) as Record<string, unknown>;
    const id = `mcp-warden-replay-${generation}`;
    return { id, line: encodeLine({ ...request, id }) };
  }

  /** The new sandbox is ready: the lines to write to it, in order (initialized first, if the client sent it). */
  finish(): Buffer[] {
    const lines =
      this.#initialize && this.#sawInitialized
        ? [encodeLine({ jsonrpc: '2.0', method: 'notifications/initialized' }), ...this.#held]
        : this.#held;
    this.#release();
    return lines;
  }

  /** The new sandbox did not start: the held lines, to be answered. */
  abort(): Buffer[] {
    const lines = this.#held;
    this.#release();
    return lines;
  }

  #release(): void {
    this.#held = [];
    this.#holding = false;
  }
}
