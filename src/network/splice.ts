import { type NetConnectOpts, Socket, connect } from 'node:net';
import type { Duplex } from 'node:stream';

/** Byte counts of one spliced connection. */
export interface SpliceCounts {
  out: number;
  in: number;
}

/** Bytes one read from an upstream made by connectUpstream() may bring (its one reused buffer). */
export const UPSTREAM_READ_BYTES = 256 * 1024;
/**
 * Bytes queued in user space towards one side before reading from the other pauses. A socket's own
 * highWaterMark (16 KiB) is below one read (64 KiB), so honouring write()'s return value would stop
 * and restart reading (two epoll_ctl calls) for every chunk even when the kernel took it at once.
 */
const MAX_QUEUED_BYTES = 256 * 1024;

/** Reads of an upstream socket made by connectUpstream(), before and after splice() takes them. */
interface UpstreamReads {
  /** Set by splice(): gets a view of the read buffer, valid until it returns; false stops reading. */
  sink: ((view: Buffer) => boolean) | undefined;
  /** Bytes read before splice() (copies); reading stops at the first. */
  early: Buffer[];
  /** Writes elsewhere still holding a view of the read buffer. */
  pending: number;
  closed: boolean;
  /** Give the read buffer back to the spares once the socket is closed and no write holds it. */
  release: () => void;
}
const upstreamReads = new WeakMap<Socket, UpstreamReads>();

/**
 * Read buffers of finished upstreams, for the next ones: a new 256 KiB buffer per connection makes
 * garbage-collector work that shows in the latency of short requests. A buffer returns here only
 * when its socket is closed (no more reads into it) and no queued write still refers to it.
 */
const spareReadBuffers: Buffer[] = [];
const MAX_SPARE_READ_BUFFERS = 8;

/**
 * `net.connect(options)` for the upstream side of a splice: the socket reads into one reused
 * UPSTREAM_READ_BYTES buffer instead of a new allocation per read, and splice() forwards from that
 * buffer without copying (downloads are the bulk of egress traffic). It emits no 'data' events.
 */
export function connectUpstream(options: NetConnectOpts): Socket {
  const buffer = spareReadBuffers.pop() ?? Buffer.allocUnsafe(UPSTREAM_READ_BYTES);
  const reads: UpstreamReads = {
    sink: undefined,
    early: [],
    pending: 0,
    closed: false,
    release: () => {
      if (!reads.closed || reads.pending > 0) return;
      reads.release = () => undefined;
      if (spareReadBuffers.length < MAX_SPARE_READ_BUFFERS) spareReadBuffers.push(buffer);
    },
  };
  const socket = connect({
    ...options,
    onread: {
      buffer,
      callback: (length) => {
        const view = buffer.subarray(0, length);
        if (reads.sink) return reads.sink(view);
        reads.early.push(Buffer.from(view));
        return false;
      },
    },
  });
  socket.once('close', () => {
    reads.closed = true;
    reads.release();
  });
  upstreamReads.set(socket, reads);
  return socket;
}

/**
 * Copy bytes both ways between `client` and `upstream` with backpressure until both sides are done.
 * `allowOut(n)` is asked before each chunk towards upstream: false cuts the connection (a byte cap).
 * Resolves `cut: true` when that happened. `filterOut(chunk)`, when given, decides first what of each
 * chunk goes upstream (a plain-HTTP request gate); `{refuse}` ends both sides and resolves `refused`.
 * An upstream from connectUpstream() is read without copying; any other Duplex through 'data' events.
 */
export function splice(
  client: Duplex,
  upstream: Duplex,
  counts: SpliceCounts,
  allowOut: (bytes: number) => boolean,
  filterOut?: (chunk: Buffer) => Buffer | { refuse: string },
): Promise<{ cut: boolean; refused?: string }> {
  return new Promise((resolve) => {
    let cut = false;
    let refused: string | undefined;
    let open = 2;
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const closed = (): void => {
      if (--open === 0) resolve(refused === undefined ? { cut } : { cut, refused });
    };
    client.on('data', (data: Buffer) => {
      let chunk = data;
      if (filterOut) {
        const filtered = filterOut(data);
        if (!Buffer.isBuffer(filtered)) {
          refused = filtered.refuse;
          destroyBoth();
          return;
        }
        if (filtered.length === 0) return;
        chunk = filtered;
      }
      if (!allowOut(chunk.length)) {
        cut = true;
        destroyBoth();
        return;
      }
      counts.out += chunk.length;
      upstream.write(chunk);
      if (upstream.writableLength > MAX_QUEUED_BYTES) client.pause();
    });
    // 'drain' follows every write that found the queue at or above highWaterMark, so it comes after
    // any pause above (MAX_QUEUED_BYTES is above both sides' highWaterMark).
    upstream.on('drain', () => client.resume());
    const reads = upstream instanceof Socket ? upstreamReads.get(upstream) : undefined;
    if (reads) forwardReads(reads, upstream as Socket, client, counts);
    else {
      upstream.on('data', (chunk: Buffer) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        counts.in += chunk.length;
        client.write(chunk);
        if (client.writableLength > MAX_QUEUED_BYTES) upstream.pause();
      });
      client.on('drain', () => upstream.resume());
    }
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    // One side closing after its 'end' leaves the other to finish writing what is queued (the tail of
    // a download to a client that closed its writing side first); closing without one ends both.
    const settle = (other: Duplex): void => {
      if (!other.writableEnded) other.destroy();
    };
    client.once('close', () => {
      settle(upstream);
      closed();
    });
    upstream.once('close', () => {
      settle(client);
      closed();
    });
    client.resume();
    upstream.resume();
  });
}

/**
 * Upstream → client from the upstream's reused read buffer. A net.Socket is done with written bytes
 * once the write completes (they are in the kernel), so its writes take the buffer itself and, when a
 * write cannot complete at once, reading stops until it has: the next read would overwrite the bytes
 * still queued. Any other Duplex (an in-process pair may keep the chunk it was given) gets a copy.
 */
function forwardReads(reads: UpstreamReads, upstream: Socket, client: Duplex, counts: SpliceCounts): void {
  const direct = client instanceof Socket;
  let writes = 0;
  let waitingFor = -1;
  reads.sink = (view) => {
    if (client.destroyed) {
      upstream.destroy();
      return false;
    }
    counts.in += view.length;
    const id = ++writes;
    if (direct) reads.pending++;
    client.write(direct ? view : Buffer.from(view), () => {
      if (direct && --reads.pending === 0) reads.release();
      if (waitingFor !== id) return;
      waitingFor = -1;
      upstream.resume();
    });
    if (client.writableLength > (direct ? 0 : MAX_QUEUED_BYTES)) {
      waitingFor = id;
      return false;
    }
    return true;
  };
  for (const chunk of reads.early.splice(0)) {
    counts.in += chunk.length;
    client.write(chunk);
  }
}
