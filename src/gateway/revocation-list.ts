import { readFileSync, statSync } from 'node:fs';

/**
 * Revoked credentials from a text file: one JWT `jti`, `sub` or API key id per line, `#` comments.
 * The file is re-read whenever its identity, size or mtime changes (checked at most every
 * `checkEveryMs`), so an edit takes effect without a restart. A missing file revokes nothing.
 */
export class RevocationList {
  readonly #file: string | undefined;
  readonly #checkEveryMs: number;
  #entries = new Set<string>();
  #stamp = '';
  #checkedAt = 0;

  constructor(file: string | undefined, checkEveryMs = 100) {
    this.#file = file;
    this.#checkEveryMs = checkEveryMs;
    this.#refresh();
  }

  /** True when any of the given identifiers (undefined ones ignored) is revoked. */
  has(...ids: Array<string | undefined>): boolean {
    if (this.#file === undefined) return false;
    if (Date.now() - this.#checkedAt >= this.#checkEveryMs) this.#refresh();
    return ids.some((id) => id !== undefined && this.#entries.has(id));
  }

  get size(): number {
    return this.#entries.size;
  }

  #refresh(): void {
    this.#checkedAt = Date.now();
    if (this.#file === undefined) return;
    let stamp: string;
    try {
      const st = statSync(this.#file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      this.#entries = new Set();
      this.#stamp = '';
      return;
    }
    if (stamp === this.#stamp) return;
    try {
      const text = readFileSync(this.#file, 'utf8');
      this.#entries = new Set(
        text
          .split('\n')
          .map((line) => line.replace(/#.*$/, '').trim())
          .filter((line) => line.length > 0),
      );
      this.#stamp = stamp;
    } catch {
      // Unreadable for a moment (being replaced): keep the previous list, try again next time.
    }
  }
}
