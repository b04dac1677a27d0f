import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { WardenError, errorMessage } from '../errors.ts';
import { redactDetail, type AuditEvent } from './events.ts';
import { GENESIS_HASH, HashChain, hashLine } from './hash-chain.ts';

/**
 * The audit log: one JSON line per non-allow verdict and per session/sandbox lifecycle event, hash-chained.
 * Writes are synchronous (pino sync destination): an event is on disk (or fd 2) before the warden acts
 * on the verdict, and nothing is ever dropped — a slow disk slows the warden instead.
 */
export class AuditLog {
  readonly #logger: Logger;
  readonly #chain: HashChain;
  readonly #listeners: Array<(event: AuditEvent) => void> = [];

  /** `file` undefined means stderr. Appending to an existing file continues its chain. */
  constructor(session: string, file?: string) {
    this.#chain = new HashChain(file === undefined ? GENESIS_HASH : lastLineHash(file));
    let destination;
    try {
      destination = pino.destination({ dest: file ?? 2, sync: true, append: true, mkdir: true });
    } catch (error) {
      throw new WardenError('audit', `cannot open audit log ${file}: ${errorMessage(error)}`);
    }
    this.#logger = pino(
      {
        base: { session },
        messageKey: 'msg',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: () => ({}) },
        hooks: { streamWrite: (line: string) => this.#chain.link(line) },
      },
      destination,
    );
  }

  /** Write one event. Redacts `detail` and `reason` to single-line, escape-free text. */
  write(event: AuditEvent): void {
    const safe: Record<string, unknown> = { ...event };
    if (typeof safe.detail === 'string') safe.detail = redactDetail(safe.detail);
    if (typeof safe.reason === 'string') safe.reason = redactDetail(safe.reason, 300);
    this.#logger.info(safe);
    for (const listener of this.#listeners) listener(event);
  }

  /** Also hand every event written from now on to `listener`, after it is logged (`mcp-warden learn`). */
  onEvent(listener: (event: AuditEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Hash of the last line written (for tests). */
  get head(): string {
    return this.#chain.head;
  }
}

/** Hash of the last complete line of an existing log, or GENESIS_HASH if the file is new or empty. */
function lastLineHash(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return GENESIS_HASH;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return GENESIS_HASH;
    const length = Math.min(size, 1024 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    const lines = text.split('\n').filter((l) => l.length > 0);
    const last = lines.at(-1);
    if (last === undefined || !text.endsWith('\n')) {
      throw new WardenError(
        'audit',
        `audit log ${file} ends in a partial line; run "mcp-warden audit verify"`,
      );
    }
    return hashLine(last);
  } finally {
    closeSync(fd);
  }
}
