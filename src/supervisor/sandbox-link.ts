import type { Readable, Writable } from 'node:stream';
import { LineFramer } from '../protocol/line-framer.ts';
import type { Backend, ExitInfo, Sandbox, SandboxPlan } from '../sandboxes/types.ts';
import { LineWriter } from './client-writer.ts';
import { StderrTail } from './stderr-tail.ts';

export interface SandboxLinkOptions {
  backend: Backend;
  plan: SandboxPlan;
  /** An already launched sandbox to attach to instead of launching one (the warden's fast start). */
  sandbox?: Promise<Sandbox>;
  maxServerBytes: number;
  serverLog: Writable;
  onLine: (line: Buffer, terminated: Buffer) => void;
  /** The server crossed the message cap; called once, as soon as the cap is crossed. */
  onOversize: (maxBytes: number) => void;
  onExit: (info: ExitInfo) => void;
}

/** One running sandbox (one generation) wired to framing: its stdout in lines, its stdin as a LineWriter. */
export class SandboxLink {
  readonly #sandbox: Sandbox;
  readonly #stdin: LineWriter;
  readonly #stderrTail = new StderrTail();
  #resolveReported!: () => void;
  /** Resolves once onExit has been called (after the server's last output line was delivered). */
  readonly reported = new Promise<void>((resolve) => (this.#resolveReported = resolve));

  private constructor(sandbox: Sandbox, options: SandboxLinkOptions) {
    this.#sandbox = sandbox;
    this.#stdin = new LineWriter(sandbox.stdin);
    const framer = new LineFramer(options.maxServerBytes, {
      onLine: options.onLine,
      onOversizeStart: () => options.onOversize(options.maxServerBytes),
      onOversizeEnd: () => undefined,
    });
    sandbox.stdout.on('data', (chunk: Buffer) => framer.push(chunk));
    sandbox.stdout.on('error', () => undefined);
    sandbox.stderr.on('error', () => undefined);
    // Forwarded by hand rather than pipe(): every pipe() adds five listeners to the destination, and
    // the gateway's sessions all write to the one process.stderr (Node warned of a leak past ten).
    // The same back-pressure: the server's stderr pauses while the log does not take more.
    const log = options.serverLog;
    sandbox.stderr.on('data', (chunk: Buffer) => {
      this.#stderrTail.push(chunk);
      if (log.write(chunk) || sandbox.stderr.isPaused()) return;
      sandbox.stderr.pause();
      log.once('drain', () => sandbox.stderr.resume());
    });
    void sandbox.exited.then((info) => {
      // Deliver every line the server wrote before it died (and keep the end of its stderr, which
      // explains a failed start), then report the exit. A leftover child holding a pipe open must not
      // delay the report forever, hence the short fallback.
      let reported = false;
      const report = (): void => {
        if (!reported) {
          options.onExit(info);
          this.#resolveReported();
        }
        reported = true;
      };
      const open = [sandbox.stdout, sandbox.stderr].filter((s) => !(s.readableEnded || s.destroyed));
      if (open.length === 0) return report();
      let left = open.length;
      for (const stream of open) stream.once('close', () => --left === 0 && report());
      setTimeout(report, 250);
    });
  }

  static async start(options: SandboxLinkOptions): Promise<SandboxLink> {
    const sandbox = await (options.sandbox ?? options.backend.launch(options.plan));
    return new SandboxLink(sandbox, options);
  }

  get pid(): number {
    return this.#sandbox.pid;
  }

  get stdout(): Readable {
    return this.#sandbox.stdout;
  }

  /** The last lines the server wrote to stderr (bounded, escaped, secrets redacted). */
  stderrTail(): string[] {
    return this.#stderrTail.lines();
  }

  /** The client stream to pause while the sandbox's stdin is full. */
  setSource(source: Readable): void {
    this.#stdin.setSource(source);
  }

  write(line: Buffer): void {
    this.#stdin.write(line);
  }

  /** Bytes waiting for the server to read its stdin. */
  get pendingBytes(): number {
    return this.#stdin.pendingBytes;
  }

  /** True while the server's stdin is full (it is not reading, or slower than what is sent). */
  get backedUp(): boolean {
    return this.#stdin.backedUp;
  }

  /** Lifecycle ladder (graceful) or immediate SIGKILL; resolves when the sandbox and its children are gone. */
  stop(graceful: boolean): Promise<ExitInfo> {
    return this.#sandbox.stop({ graceful });
  }
}
