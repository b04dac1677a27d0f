// Guest shim for node:process: argv and env as the host passed them (env is exactly the --env allowlist),
// stdin/stdout as the JSON-RPC channel, stderr as the server log, exit().
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, host, onHostEvent, setUncaughtHandler } from './bridge.ts';
import { Buffer } from './buffer.ts';
import { EventEmitter } from './events.ts';

interface Boot {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  execPath: string;
  version: string;
  versions: Record<string, string>;
  arch: string;
  pid: number;
}
const boot = host<Boot>('process.boot');

/** process.stdin: emits 'data' (Buffer or string after setEncoding) and 'end', as a flowing stream. */
class Stdin extends EventEmitter {
  #encoding: string | undefined;
  #paused = true;
  #queue: Uint8Array[] = [];
  #ended = false;
  readonly fd = 0;
  readable = true;
  isTTY = false;
  constructor() {
    super();
    onHostEvent('stdin', (chunk: Uint8Array) => {
      this.#queue.push(chunk);
      this.#flush();
    });
    onHostEvent('stdin-end', () => {
      this.#ended = true;
      this.#flush();
    });
  }
  override on(name: string | symbol, listener: (...args: any[]) => void): this {
    super.on(name, listener);
    if (name === 'data') this.resume();
    return this;
  }
  setEncoding(encoding: string): this {
    this.#encoding = encoding;
    return this;
  }
  resume(): this {
    if (this.#paused) {
      this.#paused = false;
      host('stdin.flow', true);
      queueMicrotask(() => this.#flush());
    }
    return this;
  }
  pause(): this {
    if (!this.#paused) {
      this.#paused = true;
      host('stdin.flow', false);
    }
    return this;
  }
  isPaused(): boolean {
    return this.#paused;
  }
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  destroy(): this {
    this.pause();
    return this;
  }
  #flush(): void {
    while (!this.#paused && this.#queue.length > 0) {
      const chunk = this.#queue.shift() as Uint8Array;
      const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.emit(
        'data',
        this.#encoding === undefined ? buffer : buffer.toString(this.#encoding as BufferEncoding),
      );
    }
    if (this.#ended && this.#queue.length === 0 && !this.#paused) {
      this.#ended = false;
      this.readable = false;
      this.emit('end');
      this.emit('close');
    }
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    const chunks: unknown[] = [];
    let done = false;
    let wake: (() => void) | undefined;
    this.on('data', (chunk) => {
      chunks.push(chunk);
      wake?.();
    });
    this.on('end', () => {
      done = true;
      wake?.();
    });
    for (;;) {
      if (chunks.length > 0) yield chunks.shift();
      else if (done) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}

/**
 * process.stdout / process.stderr: write() copies the bytes to the host's fd 1 / fd 2 and returns false
 * while the host holds more than it could pass on, until 'drain'. A writer that ignores that is ended by
 * the host once its unread output reaches the memory limit.
 */
class Output extends EventEmitter {
  readonly fd: number;
  writable = true;
  isTTY = false;
  #needDrain = false;
  constructor(fd: number) {
    super();
    this.fd = fd;
  }
  /** The host's pipe drained: writers that saw write() return false may go on. */
  drained(): void {
    this.#needDrain = false;
    this.emit('drain');
  }
  write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    const data =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
          : String(chunk);
    const ok = host<boolean>('stdio.write', this.fd, data);
    if (!ok) this.#needDrain = true;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return ok;
  }
  end(chunk?: unknown): this {
    if (chunk !== undefined) this.write(chunk);
    return this;
  }
  get writableNeedDrain(): boolean {
    return this.#needDrain;
  }
}

class GuestProcess extends EventEmitter {
  readonly argv = boot.argv;
  readonly argv0 = 'node';
  readonly execArgv: string[] = [];
  readonly execPath = boot.execPath;
  readonly env: Record<string, string> = { ...boot.env };
  readonly platform = 'linux';
  readonly arch = boot.arch;
  readonly version = boot.version;
  readonly versions = boot.versions;
  readonly release = { name: 'node' };
  readonly pid = boot.pid;
  readonly ppid = 1;
  readonly title = 'node';
  readonly stdin = new Stdin();
  readonly stdout = new Output(1);
  readonly stderr = new Output(2);
  readonly features = {};
  readonly config = { variables: {} };
  exitCode: number | undefined = undefined;
  cwd(): string {
    return boot.cwd;
  }
  chdir(): void {
    throw new Error('process.chdir() is not supported under the isolate profile');
  }
  exit(code?: number): never {
    const status = Number(code ?? this.exitCode ?? 0) | 0;
    try {
      this.emit('exit', status);
    } finally {
      host('exit', status);
    }
    // The host disposes the isolate right after this call returns; nothing after exit() may run.
    for (;;) {
      // Wait to be terminated.
    }
  }
  abort(): never {
    return this.exit(134);
  }
  kill(): boolean {
    throw new Error('process.kill() is not available under the isolate profile');
  }
  nextTick(callback: (...args: any[]) => void, ...args: any[]): void {
    queueMicrotask(() => callback(...args));
  }
  hrtime = Object.assign(
    (previous?: [number, number]): [number, number] => {
      const ns = host<bigint>('clock.hrtime');
      let seconds = Number(ns / 1_000_000_000n);
      let nanos = Number(ns % 1_000_000_000n);
      if (previous) {
        seconds -= previous[0];
        nanos -= previous[1];
        if (nanos < 0) {
          seconds -= 1;
          nanos += 1_000_000_000;
        }
      }
      return [seconds, nanos];
    },
    { bigint: (): bigint => host<bigint>('clock.hrtime') },
  );
  uptime(): number {
    return host<number>('clock.uptime');
  }
  memoryUsage(): Record<string, number> {
    return host<Record<string, number>>('process.memory');
  }
  cpuUsage(): { user: number; system: number } {
    return { user: 0, system: 0 };
  }
  umask(): number {
    return 0o022;
  }
  getuid(): number {
    return 65534;
  }
  getgid(): number {
    return 65534;
  }
  geteuid(): number {
    return 65534;
  }
  getegid(): number {
    return 65534;
  }
  emitWarning(warning: unknown): void {
    this.stderr.write(`(node) Warning: ${warning instanceof Error ? warning.message : String(warning)}\n`);
  }
  /** Set by globals.ts (the built-in table imports this module, so it cannot be imported here). */
  getBuiltinModule: (id: string) => unknown = () => undefined;
  binding(name: string): never {
    throw new Error(`process.binding('${name}') is not available under the isolate profile`);
  }
}

/** The guest's process object. */
const process = new GuestProcess();
onHostEvent('drain', (fd: number | undefined) => (fd === 2 ? process.stderr : process.stdout).drained());

setUncaughtHandler((error) => {
  if (process.listenerCount('uncaughtException') > 0) process.emit('uncaughtException', error);
  else {
    host('exit.uncaught', describe(error));
    for (;;) {
      // The host ends the process; nothing may run after an uncaught exception.
    }
  }
});

export default process;
export const { argv, env, platform, arch, version, versions, pid, stdin, stdout, stderr } = process;
export const cwd = (): string => process.cwd();
export const exit = (code?: number): never => process.exit(code);
export const nextTick = (callback: (...args: any[]) => void, ...args: any[]): void =>
  process.nextTick(callback, ...args);
export const hrtime = process.hrtime;
export const emitWarning = (warning: unknown): void => process.emitWarning(warning);
export const memoryUsage = (): Record<string, number> => process.memoryUsage();
export const uptime = (): number => process.uptime();
export const on = (name: string, listener: (...args: any[]) => void): unknown => process.on(name, listener);
export const once = (name: string, listener: (...args: any[]) => void): unknown =>
  process.once(name, listener);
export { process };
