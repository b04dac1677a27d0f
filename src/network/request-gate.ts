import { type BodyFraming, type RequestHead, bodyFraming, parseRequestHead } from './http-head.ts';

/** Longest chunk-size or trailer line the gate reads (a chunk size with its extensions). */
const MAX_CHUNK_LINE = 4096;

type MeterStep = { used: number; done: boolean } | { bad: string };

/**
 * Where the body of one request ends, fed in pieces: `take(data)` says how many bytes of `data` still
 * belong to the body and whether it ended there. Chunked coding is followed chunk by chunk (sizes,
 * data, trailers), so the first byte after the body is known exactly.
 */
export class BodyMeter {
  #state: 'length' | 'size' | 'data' | 'data-end' | 'trailer' | 'done';
  #left: number;
  #line = '';

  constructor(framing: BodyFraming) {
    this.#state = framing.kind === 'length' ? 'length' : framing.kind === 'chunked' ? 'size' : 'done';
    this.#left = framing.kind === 'length' ? framing.length : 0;
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  take(data: Buffer): MeterStep {
    let at = 0;
    while (this.#state !== 'done' && at < data.length) {
      if (this.#state === 'length' || this.#state === 'data') {
        const n = Math.min(this.#left, data.length - at);
        at += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = this.#state === 'length' ? 'done' : 'data-end';
        continue;
      }
      // A CRLF-ended line: a chunk size, the CRLF after chunk data, or a trailer line.
      const newline = data.indexOf(10, at);
      const end = newline < 0 ? data.length : newline + 1;
      this.#line += data.subarray(at, end).toString('latin1');
      at = end;
      if (this.#line.length > MAX_CHUNK_LINE) return { bad: 'chunk line too long' };
      if (newline < 0) break;
      const line = this.#line;
      this.#line = '';
      if (!line.endsWith('\r\n')) return { bad: 'bare LF in chunked body' };
      const text = line.slice(0, -2);
      if (this.#state === 'data-end') {
        if (text !== '') return { bad: 'chunk data longer than its size' };
        this.#state = 'size';
      } else if (this.#state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:[ \t]*;[^\r\n]*)?$/.exec(text);
        if (!size) return { bad: 'malformed chunk size' };
        this.#left = Number.parseInt(size[1]!, 16);
        this.#state = this.#left === 0 ? 'trailer' : 'data';
      } else if (text === '') this.#state = 'done';
    }
    return { used: at, done: this.#state === 'done' };
  }
}

export interface RequestGateOptions {
  /** Why a request head may not go upstream (a Host naming another host), else undefined. */
  checkHead: (head: RequestHead) => string | undefined;
  /** Requests let through on this connection; later bytes are dropped. Undefined: no limit. */
  maxRequests?: number;
  /** The connection starts inside the body of a request already forwarded (with this framing). */
  inBody?: BodyFraming;
}

export type GateResult = { forward: Buffer } | { refuse: string };

/**
 * The client → upstream side of a plain-HTTP connection, request by request: each request head is
 * parsed (strictly, ambiguous framing refused) and checked before it goes upstream, and its body is
 * measured so the next head is found where the origin will find it. Bytes that would be a request
 * the proxy did not check never reach the origin: on a connection forwarded for one request, what
 * follows it is dropped; in a tunnel, each further request is checked like the first.
 */
export class RequestGate {
  readonly #options: RequestGateOptions;
  #pending = Buffer.alloc(0);
  #meter: BodyMeter | undefined;
  #requests = 0;

  constructor(options: RequestGateOptions) {
    this.#options = options;
    if (options.inBody) {
      this.#requests = 1;
      const meter = new BodyMeter(options.inBody);
      if (!meter.done) this.#meter = meter;
    }
  }

  /** The part of `chunk` to send upstream now, or why the connection must be refused. */
  push(chunk: Buffer): GateResult {
    let input = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    const out: Buffer[] = [];
    while (input.length > 0) {
      if (this.#meter) {
        const step = this.#meter.take(input);
        if ('bad' in step) return { refuse: `${step.bad} (request smuggling)` };
        out.push(input.subarray(0, step.used));
        input = input.subarray(step.used);
        if (!step.done) break;
        this.#meter = undefined;
        continue;
      }
      const { maxRequests } = this.#options;
      if (maxRequests !== undefined && this.#requests >= maxRequests) break; // dropped
      const parsed = parseRequestHead(input);
      if (parsed.status === 'more') {
        this.#pending = Buffer.from(input);
        break;
      }
      if (parsed.status === 'bad') return { refuse: parsed.reason };
      const refusal = this.#options.checkHead(parsed.head);
      if (refusal) return { refuse: refusal };
      this.#requests++;
      out.push(input.subarray(0, parsed.head.length));
      input = input.subarray(parsed.head.length);
      const framing = bodyFraming(parsed.head);
      const meter = new BodyMeter(framing.kind === 'bad' ? { kind: 'none' } : framing);
      if (!meter.done) this.#meter = meter;
    }
    return { forward: out.length === 1 ? out[0]! : Buffer.concat(out) };
  }
}
