import { readFileSync } from 'node:fs';
import { collectDescendants, readProcSnapshot } from '../sandboxes/process/proc-snapshot.ts';
import type { PeakObservation } from './observations.ts';

/** How often the sandbox's process tree is sampled while learning. */
const SAMPLE_MS = 250;

/** Backends whose whole sandbox is a process tree under the launched pid on this host. */
const SAMPLED_BACKENDS: ReadonlySet<string> = new Set(['none', 'bwrap']);

/**
 * Samples the resident memory and thread count of a sandbox's process tree (the launched pid and its
 * descendants, from /proc) and keeps the peaks. Backends whose server runs elsewhere (a container
 * engine, an isolate inside the warden) are not observable this way: `peak()` says so.
 */
export class PeakSampler {
  #timer: NodeJS.Timeout | undefined;
  #memory = 0;
  #threads = 0;
  #samples = 0;
  readonly #backend: string;

  constructor(backend: string) {
    this.#backend = backend;
  }

  /** Start sampling the tree under `pid` (a new sandbox generation replaces the previous one). */
  watch(pid: number): void {
    if (!SAMPLED_BACKENDS.has(this.#backend)) return;
    this.stop();
    const sample = (): void => {
      let memory = 0;
      let threads = 0;
      const snapshot = readProcSnapshot();
      const tree = [snapshot.get(pid), ...collectDescendants(snapshot, pid)];
      for (const entry of tree) {
        if (entry === undefined) continue;
        const status = readStatus(entry.pid);
        memory += status.rssBytes;
        threads += status.threads;
      }
      if (threads === 0) return;
      this.#samples++;
      this.#memory = Math.max(this.#memory, memory);
      this.#threads = Math.max(this.#threads, threads);
    };
    sample();
    this.#timer = setInterval(sample, SAMPLE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The peaks so far, as a learn event. */
  peak(): PeakObservation {
    if (!SAMPLED_BACKENDS.has(this.#backend)) {
      return {
        event: 'learn.peak',
        how: `not observable on the ${this.#backend} backend from the host's /proc`,
      };
    }
    if (this.#samples === 0) return { event: 'learn.peak', how: 'no sample of the sandbox was taken' };
    return {
      event: 'learn.peak',
      memoryBytes: this.#memory,
      processes: this.#threads,
      how: `${this.#samples} samples of /proc every ${SAMPLE_MS} ms over the sandbox's process tree`,
    };
  }
}

function readStatus(pid: number): { rssBytes: number; threads: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
    const threads = /^Threads:\s+(\d+)/m.exec(text);
    return { rssBytes: rss ? Number(rss[1]) * 1024 : 0, threads: threads ? Number(threads[1]) : 0 };
  } catch {
    return { rssBytes: 0, threads: 0 };
  }
}
