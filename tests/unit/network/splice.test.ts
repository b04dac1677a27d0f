import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connectUpstream, splice, UPSTREAM_READ_BYTES } from '../../../src/network/splice.ts';

// Loopback only. An upstream from connectUpstream() reads into one reused buffer and splice() writes
// views of it: these check that no byte is overwritten while a write still holds it, under a reader
// slow enough that the proxy's writes queue (the case the reuse could corrupt).

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

/** An origin that answers the first bytes it gets (or their end, with `afterEnd`) with `payload`. */
function origin(payload: Buffer, afterEnd = false): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const answer = (): void => void socket.end(payload);
    if (afterEnd) socket.once('end', answer);
    else socket.once('data', answer);
    socket.resume();
    socket.on('error', () => undefined);
  });
  return listen(server);
}

type Dial = (options: net.NetConnectOpts) => net.Socket;
/** The two kinds of upstream splice() reads: the proxy's own (reused buffer) and any other socket. */
const DIALS: Array<[string, Dial]> = [
  ['connectUpstream', connectUpstream],
  ['net.connect', (options) => net.connect(options)],
];

/** A front end splicing each client to the origin; resolves each splice's counts and outcome. */
async function front(originPort: number, dial: Dial = connectUpstream) {
  const results: Array<Promise<{ cut: boolean; out: number; in: number }>> = [];
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = dial({ host: '127.0.0.1', port: originPort, allowHalfOpen: true });
    const counts = { out: 0, in: 0 };
    results.push(
      new Promise((resolve) =>
        upstream.once(
          'connect',
          () =>
            void splice(client, upstream, counts, () => true).then(({ cut }) => resolve({ cut, ...counts })),
        ),
      ),
    );
  });
  return { port: await listen(server), results };
}

/**
 * Send `request` (ending the writing side after it with `halfClose`), read nothing for a while, so
 * the kernel's buffers fill and the splice's writes queue, then read slowly to the end.
 */
function slowRead(port: number, request: string, halfClose = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.pause();
    setTimeout(() => socket.resume(), 300);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      socket.pause();
      setTimeout(() => socket.resume(), 1);
    });
    socket.once('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', reject);
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

describe('splice', () => {
  it.each(DIALS)(
    'delivers every byte intact to a slow reader, and counts them (%s)',
    async (_name, dial) => {
      const payload = randomBytes(40 * UPSTREAM_READ_BYTES + 12345);
      const f = await front(await origin(payload), dial);
      const got = await slowRead(f.port, 'hello');
      expect(got.length).toBe(payload.length);
      expect(sha(got)).toBe(sha(payload));
      expect(await f.results[0]).toEqual({ cut: false, out: 5, in: payload.length });
    },
    20_000,
  );

  it('keeps each connection intact when several run at once and read buffers are reused', async () => {
    const payloads = [0, 1, 2, 3].map(() => randomBytes(24 * UPSTREAM_READ_BYTES + 999));
    const ports = await Promise.all(payloads.map((p) => origin(p)));
    const fronts = await Promise.all(ports.map((p) => front(p)));
    // Two rounds: the second round's connections get the first round's buffers back.
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(fronts.map((f) => slowRead(f.port, 'go')));
      got.forEach((data, i) => expect(sha(data)).toBe(sha(payloads[i]!)));
    }
  }, 30_000);

  it.each(DIALS)(
    'lets a client that closed its writing side first read the whole answer (%s)',
    async (_name, dial) => {
      const payload = randomBytes(40 * UPSTREAM_READ_BYTES);
      const f = await front(await origin(payload, true), dial);
      const got = await slowRead(f.port, 'request then FIN', true);
      expect(got.length).toBe(payload.length);
      expect(sha(got)).toBe(sha(payload));
    },
    20_000,
  );

  it('hands a client that is not a socket copies, not views of the reused buffer', async () => {
    const payload = randomBytes(5 * UPSTREAM_READ_BYTES + 7);
    const port = await origin(payload);
    // An in-process client that keeps the chunks it is given, as a stream pair would.
    const kept: Buffer[] = [];
    let finish!: () => void;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    const client = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        kept.push(chunk);
        done();
      },
      final(done) {
        finish();
        done();
      },
    });
    const upstream = connectUpstream({ host: '127.0.0.1', port, allowHalfOpen: true });
    await new Promise((resolve) => upstream.once('connect', resolve));
    const counts = { out: 0, in: 0 };
    const spliced = splice(client, upstream, counts, () => true);
    client.push('hello');
    await ended;
    expect(sha(Buffer.concat(kept))).toBe(sha(payload));
    expect(counts.in).toBe(payload.length);
    client.destroy();
    await spliced;
  }, 20_000);

  it.each(DIALS)(
    'finishes writing to a slow client after the upstream has closed (%s)',
    async (_name, dial) => {
      const payload = randomBytes(100_000);
      const port = await origin(payload);
      // Each write takes a while to complete: the whole answer and the upstream's close arrive while
      // most of it is still queued towards the client.
      const kept: Buffer[] = [];
      let finish!: () => void;
      const ended = new Promise<void>((resolve) => (finish = resolve));
      const client = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, done) {
          kept.push(Buffer.from(chunk));
          setTimeout(done, 5);
        },
        final(done) {
          finish();
          done();
        },
      });
      const upstream = dial({ host: '127.0.0.1', port, allowHalfOpen: true });
      await new Promise((resolve) => upstream.once('connect', resolve));
      const spliced = splice(client, upstream, { out: 0, in: 0 }, () => true);
      client.push('hello');
      client.push(null);
      await ended;
      expect(sha(Buffer.concat(kept))).toBe(sha(payload));
      await spliced;
    },
    20_000,
  );

  it('still cuts the connection when the byte cap refuses bytes towards upstream', async () => {
    let received = 0;
    const sink = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('end', () => socket.end());
      socket.on('error', () => undefined);
    });
    const port = await listen(sink);
    const done = new Promise<{ cut: boolean; out: number }>((resolve) => {
      const server = net.createServer({ allowHalfOpen: true }, (client) => {
        const upstream = connectUpstream({ host: '127.0.0.1', port, allowHalfOpen: true });
        const counts = { out: 0, in: 0 };
        let budget = 100_000;
        const allowOut = (n: number): boolean => (budget -= n) >= 0;
        upstream.once(
          'connect',
          () =>
            void splice(client, upstream, counts, allowOut).then(({ cut }) =>
              resolve({ cut, out: counts.out }),
            ),
        );
      });
      void listen(server).then((frontPort) => {
        const socket = net.connect({ host: '127.0.0.1', port: frontPort });
        closers.push(() => socket.destroy());
        socket.on('error', () => undefined);
        socket.write(randomBytes(1_000_000));
      });
    });
    const result = await done;
    expect(result.cut).toBe(true);
    expect(result.out).toBeLessThanOrEqual(100_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBeLessThanOrEqual(100_000);
  }, 20_000);
});
