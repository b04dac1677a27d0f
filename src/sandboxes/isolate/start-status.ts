import { PassThrough, type Readable } from 'node:stream';

/**
 * The isolate host's start-up report: one line on its stderr once the server is bundled, before any
 * server code runs (so the guest cannot forge or precede it). The backend's launch() waits for it, so
 * that a bundle refused by the import rules is a launch failure (WardenError, exit 69) and not a
 * server that "died".
 */
export type StartStatus = { ok: true } | { ok: false; message: string; hint?: string };

const PREFIX = 'mcp-warden isolate start: ';
/** Bytes of other stderr output (Node warnings) tolerated before the report; past it, stop looking. */
const MAX_SCAN_BYTES = 1 << 20;

/** The report line (with its newline) for `status`. */
export function formatStartStatus(status: StartStatus): string {
  return `${PREFIX}${JSON.stringify(status)}\n`;
}

/** The report in `line` (without its newline), or undefined when the line is not one. */
export function parseStartStatus(line: string): StartStatus | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  try {
    const value = JSON.parse(line.slice(PREFIX.length)) as Partial<{
      ok: boolean;
      message: string;
      hint: string;
    }>;
    if (value.ok === true) return { ok: true };
    if (value.ok === false && typeof value.message === 'string')
      return {
        ok: false,
        message: value.message,
        ...(typeof value.hint === 'string' ? { hint: value.hint } : {}),
      };
  } catch {
    // Not a report.
  }
  return undefined;
}

/**
 * Read `source` (the host's stderr) up to its start-up report. Resolves with the report (undefined when
 * the stream ended first or carried too much else; 'timeout' after `timeoutMs`) and a stream that
 * carries everything else `source` writes, in order, without the report line.
 */
export function readStartStatus(
  source: Readable,
  timeoutMs: number,
): Promise<{ status: StartStatus | 'timeout' | undefined; stderr: Readable }> {
  const rest = new PassThrough();
  const chunks: Buffer[] = [];
  let scanned = 0;
  return new Promise((resolve) => {
    const finish = (status: StartStatus | 'timeout' | undefined, before: Buffer, after: Buffer): void => {
      clearTimeout(timer);
      source.off('data', onData);
      source.off('end', onEnd);
      if (before.length > 0) rest.write(before);
      if (after.length > 0) rest.write(after);
      if (source.readableEnded) rest.end();
      else source.pipe(rest);
      resolve({ status, stderr: rest });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      scanned += chunk.length;
      const all = Buffer.concat(chunks);
      for (let start = 0, nl = all.indexOf(10); nl >= 0; start = nl + 1, nl = all.indexOf(10, start)) {
        const status = parseStartStatus(all.subarray(start, nl).toString('utf8'));
        if (status) return finish(status, all.subarray(0, start), all.subarray(nl + 1));
      }
      if (scanned > MAX_SCAN_BYTES) finish(undefined, all, Buffer.alloc(0));
    };
    const onEnd = (): void => finish(undefined, Buffer.concat(chunks), Buffer.alloc(0));
    const timer = setTimeout(() => finish('timeout', Buffer.concat(chunks), Buffer.alloc(0)), timeoutMs);
    timer.unref();
    source.on('data', onData);
    source.once('end', onEnd);
  });
}
