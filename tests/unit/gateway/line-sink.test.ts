import { describe, expect, it } from 'vitest';
import { LineSink } from '../../../src/gateway/line-sink.ts';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A sink whose client is backlogged until `ready()` is called. */
function backloggedSink(maxQueuedBytes?: number) {
  const lines: string[] = [];
  const overflows: number[] = [];
  let backlogged = true;
  let wake: (() => void) | undefined;
  const sink = new LineSink({
    onLine: (line) => lines.push(line.toString()),
    clientBacklogged: () => backlogged,
    clientReady: () => new Promise<void>((resolve) => (wake = resolve)),
    maxQueuedBytes,
    onOverflow: (bytes) => overflows.push(bytes),
  });
  const ready = (): void => {
    backlogged = false;
    wake?.();
  };
  return { sink, lines, overflows, ready };
}

describe('LineSink', () => {
  it('cuts lines, joining a line written in pieces', async () => {
    const lines: string[] = [];
    const sink = new LineSink({ onLine: (line) => lines.push(line.toString()) });
    sink.write('one\ntw');
    sink.write('o\nthree\n');
    await tick();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('holds a write while the client is backlogged, so the writer sees a full stream, and lets go when it is ready', async () => {
    const { sink, lines, ready } = backloggedSink();
    let done = false;
    sink.write('first\n', () => (done = true));
    sink.write('x'.repeat(70_000) + '\n');
    await tick();
    // The first line went out (it was handed over before the client was found backlogged); the
    // second waits, and the stream reports itself full.
    expect(lines).toEqual(['first']);
    expect(done).toBe(false);
    expect(sink.holding).toBe(true);
    expect(sink.writableNeedDrain).toBe(true);
    const drained = new Promise((resolve) => sink.once('drain', resolve));
    ready();
    await drained;
    expect(done).toBe(true);
    expect(lines).toHaveLength(2);
  });

  it('past maxQueuedBytes behind a held write: reports the overflow once and drops every line after', async () => {
    const { sink, lines, overflows } = backloggedSink(4096);
    sink.write('held\n');
    await tick();
    for (let i = 0; i < 10; i++) sink.write(`${'y'.repeat(1000)}\n`);
    expect(overflows).toHaveLength(1);
    expect(overflows[0]).toBeGreaterThan(4096);
    sink.write('after\n');
    await tick();
    expect(lines).toEqual(['held']);
    expect(sink.dropped).toBeGreaterThan(0);
    expect(sink.writableLength).toBe(0);
  });

  it('after release(): never holds, drops lines for a backlogged client, delivers to a reading one', async () => {
    const { sink, lines, ready } = backloggedSink();
    sink.write('held\n');
    sink.write('queued\n');
    await tick();
    expect(sink.holding).toBe(true);
    sink.release();
    await tick();
    expect(sink.holding).toBe(false);
    expect(lines).toEqual(['held']);
    expect(sink.dropped).toBe(1);
    ready();
    sink.write('read\n');
    await tick();
    expect(lines).toEqual(['held', 'read']);
  });
});
