import { readFileSync, statSync } from 'node:fs';
import { WardenError } from '../errors.ts';
import { type RevocationContext, type RevocationProblem, parseRevocations } from './revocation-entries.ts';

/** How a RevocationList judges and reports its file's lines (see revocation-entries.ts). */
export interface RevocationOptions {
  /** Configured key ids and issuer: lines that can never match are reported as warnings. */
  context?: RevocationContext;
  /** Told about every problem line each time the file is (re-)read; default: nobody. */
  onProblem?: (problem: RevocationProblem & { file: string }) => void;
}

/**
 * Revoked credentials from a text file: one namespaced id per line (`key:ID`, `jwt:ISSUER:SUBJECT`,
 * `jti:ID`), `#` comments. The file is re-read whenever its identity, size or mtime changes (checked
 * at most every `checkEveryMs`), so an edit takes effect without a restart. A missing file revokes
 * nothing. A line that does not name its namespace makes the constructor throw (the gateway does not
 * start); after start-up such a line is ignored and reported through `onProblem`, the others apply.
 */
export class RevocationList {
  readonly #file: string | undefined;
  readonly #checkEveryMs: number;
  #entries = new Set<string>();
  #stamp = '';
  #checkedAt = 0;
  readonly #listeners: Array<() => void> = [];

  readonly #options: RevocationOptions;

  constructor(file: string | undefined, checkEveryMs = 100, options: RevocationOptions = {}) {
    this.#file = file;
    this.#checkEveryMs = checkEveryMs;
    this.#options = options;
    const errors: string[] = [];
    this.#refresh((problem) => {
      if (problem.severity === 'error') errors.push(`${file}:${problem.line}: ${problem.message}`);
      else options.onProblem?.({ ...problem, file: file ?? '' });
    });
    if (errors.length > 0) {
      throw new WardenError('config', `auth.revocationFile: ${errors.join('\n')}`, {
        hint: 'each line names what it revokes: key:ID, jwt:ISSUER:SUBJECT or jti:ID',
      });
    }
  }

  /** True when any of the given identifiers (undefined ones ignored) is revoked. */
  has(...ids: Array<string | undefined>): boolean {
    if (this.#file === undefined) return false;
    if (Date.now() - this.#checkedAt >= this.#checkEveryMs) this.#refresh();
    return ids.some((id) => id !== undefined && this.#entries.has(id));
  }

  /** The revocation file; undefined: none configured (nothing is ever revoked). */
  get file(): string | undefined {
    return this.#file;
  }

  /** Re-read the file now if its identity, size or mtime changed (a watcher's poke). */
  reload(): void {
    this.#refresh();
  }

  /** Call `listener` after every re-read that loaded new contents, whatever triggered it. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  get size(): number {
    return this.#entries.size;
  }

  readonly #report = (problem: RevocationProblem): void => {
    this.#options.onProblem?.({ ...problem, file: this.#file ?? '' });
  };

  #refresh(report = this.#report): void {
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
      const parsed = parseRevocations(text, this.#options.context);
      for (const problem of parsed.problems) report(problem);
      this.#entries = parsed.entries;
      this.#stamp = stamp;
      for (const listener of this.#listeners) listener();
    } catch {
      // Unreadable for a moment (being replaced): keep the previous list, try again next time.
    }
  }
}
