import { StringDecoder } from 'node:string_decoder';
import { redactDetail } from '../audit/events.ts';
import { redactSecrets } from '../guards/redact-secrets.ts';

/** How much of a server's stderr is kept to explain a failed start: the last lines, and bytes. */
export const TAIL_LINES = 20;
export const TAIL_BYTES = 4096;

/**
 * The last lines a server wrote to stderr, in bounded memory (about TAIL_BYTES whatever it writes),
 * so a start-up failure can be reported with its cause. Output goes on to the warden's stderr as
 * before; this only remembers the end of it.
 */
export class StderrTail {
  readonly #decoder = new StringDecoder('utf8');
  #text = '';
  /** True once older text was dropped: the first kept line may be cut. */
  #cut = false;

  push(chunk: Buffer): void {
    this.#text += this.#decoder.write(chunk);
    if (this.#text.length > 2 * TAIL_BYTES) this.#trim();
  }

  /**
   * The last lines (at most TAIL_LINES, together at most TAIL_BYTES characters), oldest first, each
   * escaped to a single line and with credentials redacted: they go to the audit log and to stderr.
   * Blank lines are left out.
   */
  lines(): string[] {
    this.#trim();
    const lines = this.#text.split('\n').map((line) => line.replace(/\r$/, ''));
    if (this.#cut) lines.shift();
    const kept: string[] = [];
    let size = 0;
    for (let i = lines.length - 1; i >= 0 && kept.length < TAIL_LINES; i--) {
      const raw = lines[i] ?? '';
      if (raw.trim() === '') continue;
      const line = redactDetail(redactSecrets(raw)?.text ?? raw, 512);
      if (size + line.length > TAIL_BYTES) break;
      size += line.length + 1;
      kept.push(line);
    }
    return kept.reverse();
  }

  #trim(): void {
    if (this.#text.length <= TAIL_BYTES) return;
    this.#text = this.#text.slice(-TAIL_BYTES);
    this.#cut = true;
  }
}
