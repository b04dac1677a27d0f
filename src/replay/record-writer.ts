import { closeSync, constants, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';
import { WardenError, errorMessage } from '../errors.ts';
import type { ConnectionEvent } from '../network/connection-event.ts';
import type { Direction, RuleId, Verdict } from '../policy/types.ts';
import { idKey } from '../protocol/json-rpc.ts';
import type { SessionTap } from '../supervisor/session-tap.ts';
import { RECORD_FORMAT, RECORD_VERSION } from './record-format.ts';
import type { BodyLine, RecordHeader, RecordedVerdict } from './record-format.ts';
import { type RecordRedaction, redactForRecord, redactText } from './record-redact.ts';

/** Most requests remembered while they await an answer (their method decides what is dropped). */
const MAX_PENDING = 65_536;

/** What the header says besides what the writer fills in itself (format, version, time). */
export type HeaderFacts = Omit<RecordHeader, 'type' | 'format' | 'version' | 'time' | 'contents'>;

/**
 * `run --record FILE`: appends one session to a JSONL record (record-format.ts), mode 0600, every line
 * redacted (record-redact.ts) and written synchronously, so the record is complete up to the moment
 * the warden stops. A write that fails stops recording with one message on `onError` (the session goes
 * on: the record is a tool, not a guard). Never writes to stdout (the MCP channel).
 */
export class RecordWriter implements SessionTap {
  readonly #fd: number;
  readonly #redaction: RecordRedaction;
  readonly #onError: (message: string) => void;
  readonly #file: string;
  /** Allowed requests awaiting an answer: id key → method. */
  readonly #pending = new Map<string, string>();
  #seq = 0;
  #start = performance.now();
  #failed = false;
  #closed = false;

  private constructor(fd: number, file: string, redaction: RecordRedaction, onError: (m: string) => void) {
    this.#fd = fd;
    this.#file = file;
    this.#redaction = redaction;
    this.#onError = onError;
  }

  /**
   * Open (create or append to) `file` with mode 0600. Refuses a symlink, anything but a regular file,
   * and the warden's own stdout. Throws WardenError('usage') saying how to fix it.
   */
  static open(file: string, redaction: RecordRedaction, onError: (message: string) => void): RecordWriter {
    let fd: number;
    try {
      fd = openSync(
        file,
        constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (error) {
      // O_NOFOLLOW: a link (such as /dev/stdout, or one planted in a root) is never followed.
      const problem =
        (error as NodeJS.ErrnoException).code === 'ELOOP'
          ? 'it is a symbolic link, which a record is never written through'
          : `cannot open it for writing: ${errorMessage(error)}`;
      throw new WardenError('usage', `--record ${file}: ${problem}`, {
        hint: 'give a writable regular file path (not a symlink) in an existing directory',
      });
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error('it is not a regular file');
      const out = stdoutIdentity();
      if (out !== undefined && out.dev === stat.dev && out.ino === stat.ino) {
        throw new Error("it is the warden's stdout, which carries the MCP protocol only");
      }
      // An existing file keeps its mode on open: the record holds session traffic, so it is private.
      fchmodSync(fd, 0o600);
    } catch (error) {
      closeSync(fd);
      throw new WardenError('usage', `--record ${file}: ${errorMessage(error)}`, {
        hint: 'give a path to a regular file the warden may create or own',
      });
    }
    return new RecordWriter(fd, file, redaction, onError);
  }

  /** Write the session's header; the clock of every later line starts now. */
  start(facts: HeaderFacts): void {
    this.#start = performance.now();
    const header: RecordHeader = {
      type: 'header',
      format: RECORD_FORMAT,
      version: RECORD_VERSION,
      time: new Date().toISOString(),
      warden: facts.warden,
      session: facts.session,
      profile: facts.profile,
      roots: facts.roots,
      allowHost: facts.allowHost,
      contents: this.#redaction.contents,
      command: facts.command.map((word) => redactText(word, this.#redaction)),
    };
    this.#write(header);
  }

  message(
    direction: Direction,
    value: Readonly<Record<string, unknown>>,
    bytes: number,
    verdict: Verdict,
  ): void {
    if (this.#failed || this.#closed) return;
    const answers = direction === 'server' ? this.#answered(value) : undefined;
    if (direction === 'client' && verdict.action === 'allow') this.#remember(value);
    const redacted = redactForRecord(value, answers, this.#redaction);
    this.#body({
      type: 'message',
      seq: 0,
      t: 0,
      direction,
      bytes,
      message: redacted.message,
      verdict: this.#verdict(verdict),
      ...(Object.keys(redacted.secrets).length > 0 ? { secrets: redacted.secrets } : {}),
      ...(redacted.dropped > 0 ? { dropped: redacted.dropped } : {}),
    });
  }

  invalid(direction: Direction, rule: RuleId, reason: string): void {
    this.#body({
      type: 'invalid',
      seq: 0,
      t: 0,
      direction,
      rule,
      reason: redactText(reason, this.#redaction),
    });
  }

  own(to: 'client' | 'server', line: Buffer): void {
    if (this.#failed || this.#closed) return;
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return; // the warden encodes its own lines: cannot happen
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const message = value as Record<string, unknown>;
    if (to === 'server') this.#remember(message);
    this.#body({
      type: 'own',
      seq: 0,
      t: 0,
      to,
      message: redactForRecord(message, undefined, this.#redaction).message,
    });
  }

  /** One connection through the egress proxy, when it ends. */
  network(event: ConnectionEvent): void {
    const { event: _kind, reason, ...rest } = event;
    this.#body({
      type: 'network',
      seq: 0,
      t: 0,
      connection: {
        ...rest,
        ...(reason === undefined ? {} : { reason: redactText(reason, this.#redaction) }),
      },
    });
  }

  /** The session ended with `exitCode`; the file is closed. Idempotent. */
  end(exitCode: number): void {
    if (this.#closed) return;
    this.#write({ type: 'end', t: this.#elapsed(), exitCode });
    this.close();
  }

  /** Close the file without an end line (the warden is going down). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      closeSync(this.#fd);
    } catch {
      // Already gone: nothing more to write.
    }
  }

  #verdict(verdict: Verdict): RecordedVerdict {
    if (verdict.action === 'allow') return { action: 'allow' };
    return {
      action: verdict.action,
      rule: verdict.rule,
      reason: redactText(verdict.reason, this.#redaction),
    };
  }

  /** A request that will reach the server: remember its method until the answer comes. */
  #remember(value: Readonly<Record<string, unknown>>): void {
    if (typeof value.method !== 'string' || !('id' in value)) return;
    const id = value.id;
    if (typeof id !== 'string' && typeof id !== 'number') return;
    if (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    this.#pending.set(idKey(id), value.method);
  }

  /** The method of the request a server answer settles (undefined for anything but an answer). */
  #answered(value: Readonly<Record<string, unknown>>): string | undefined {
    if ('method' in value || !('id' in value)) return undefined;
    const id = value.id;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    const key = idKey(id);
    const method = this.#pending.get(key);
    this.#pending.delete(key);
    return method;
  }

  #body(line: BodyLine): void {
    if (line.type !== 'end') {
      line.seq = ++this.#seq;
      line.t = this.#elapsed();
    }
    this.#write(line);
  }

  #elapsed(): number {
    return Math.round((performance.now() - this.#start) * 1000) / 1000;
  }

  #write(line: RecordHeader | BodyLine): void {
    if (this.#failed || this.#closed) return;
    try {
      const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
      for (let at = 0; at < bytes.length;) at += writeSync(this.#fd, bytes, at);
    } catch (error) {
      this.#failed = true;
      this.#onError(`--record ${this.#file}: writing failed, recording stopped: ${errorMessage(error)}`);
    }
  }
}

/** dev and inode of fd 1, when it is a file (to refuse recording into the MCP channel itself). */
function stdoutIdentity(): { dev: number; ino: number } | undefined {
  try {
    const stat = fstatSync(1);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return undefined;
  }
}
