import { createReadStream } from 'node:fs';
import type { Header, Pack } from 'tar-stream';
import type { ImageEntry } from './image-entries.ts';

/**
 * A tar stream of `entries` (names are absolute image paths; tar stores them relative), every entry
 * owned by root with a fixed mtime so the same inputs give the same archive. `onBytes` reports file
 * bytes as they are written, for a progress line. Errors (a file that vanished) destroy the stream.
 */
export async function imageTar(
  entries: readonly ImageEntry[],
  onBytes?: (bytes: number) => void,
): Promise<Pack> {
  const { pack: createPack } = await import('tar-stream');
  const pack = createPack();
  void writeAll(pack, entries, onBytes).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error as Error),
  );
  return pack;
}

const MTIME = new Date(0);

async function writeAll(
  pack: Pack,
  entries: readonly ImageEntry[],
  onBytes: ((bytes: number) => void) | undefined,
): Promise<void> {
  for (const entry of entries) {
    const name = entry.name.replace(/^\/+/, '');
    const common = { name, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: MTIME };
    switch (entry.type) {
      case 'directory':
        await add(pack, { ...common, type: 'directory', mode: entry.mode });
        break;
      case 'symlink':
        await add(pack, { ...common, type: 'symlink', linkname: entry.target, mode: 0o777 });
        break;
      case 'link':
        await add(pack, { ...common, type: 'link', linkname: entry.target.replace(/^\/+/, ''), mode: 0o755 });
        break;
      case 'content': {
        const body = Buffer.from(entry.content);
        await add(pack, { ...common, type: 'file', mode: entry.mode, size: body.length }, body);
        break;
      }
      case 'file': {
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...common, type: 'file', mode: entry.mode, size: entry.size }, (error) =>
            error ? reject(error) : resolve(),
          );
          const source = createReadStream(entry.source);
          source.on('error', (error) => {
            sink.destroy(error);
            reject(error);
          });
          if (onBytes) source.on('data', (chunk) => onBytes(chunk.length));
          // tar-stream's entry is a streamx stream: piped by hand rather than through node's pipeline.
          source.pipe(sink as unknown as NodeJS.WritableStream);
        });
        break;
      }
    }
  }
}

function add(pack: Pack, header: Partial<Header> & { name: string }, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (body === undefined) pack.entry(header, done);
    else pack.entry(header, body, done);
  });
}
