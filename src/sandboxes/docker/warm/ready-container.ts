import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { demuxAttachStream } from '../attach-demux.ts';
import type { ContainerCreateBody } from '../container-plan.ts';
import { OWNER_LABEL } from '../owner.ts';

/** How much of a waiting server's stderr is kept for the warden that takes it (the end of it). */
const STDERR_KEEP = 64 * 1024;

/** A container of the pool, started and waiting for its first client message; nobody attached stdin. */
export interface ReadyContainer {
  readonly id: string;
  /** The image id it was created from: a take compares it with the tag's current id. */
  readonly imageId: string;
  readonly container: Docker.Container;
  /** Bytes the server wrote on stdout while it waited (anything at all disqualifies it: see the daemon). */
  stdoutBytes(): number;
  /** The last STDERR_KEEP bytes the server wrote on stderr while it waited. */
  stderrTail(): Buffer;
  /** How many bytes it wrote on stderr while it waited. */
  stderrBytes(): number;
  /** Resolves with the exit code when the container stops (null: the engine went away). */
  readonly exited: Promise<number | null>;
  /** Stop listening to its output; the warden that takes it attaches itself. */
  detach(): void;
}

/**
 * Create and start a container of `body` for the pool: labelled as owned by the daemon (`owner`) and
 * named `name`, its stdout and stderr listened to (not its stdin: the engine then keeps the server's
 * stdin open and unread, and StdinOnce closes it when the warden that takes it detaches). On a failure
 * the half-made container is removed and the error thrown. `onStdout` is called at its first stdout byte.
 */
export async function startReadyContainer(
  docker: Docker,
  body: ContainerCreateBody,
  owner: string,
  name: string,
  onStdout: () => void,
): Promise<ReadyContainer> {
  const options = { ...body, Labels: { ...body.Labels, [OWNER_LABEL]: owner }, name };
  const container = await docker.createContainer(options as unknown as Docker.ContainerCreateOptions);
  try {
    const stream = (await container.attach({
      stream: true,
      stdin: false,
      stdout: true,
      stderr: true,
    })) as unknown as Readable;
    let stdoutBytes = 0;
    let stderr: Buffer = Buffer.alloc(0);
    let stderrBytes = 0;
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (stdoutBytes === 0) onStdout();
        stdoutBytes += chunk.length;
        callback();
      },
    });
    const stderrSink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        stderrBytes += chunk.length;
        stderr = Buffer.concat([stderr, chunk]);
        if (stderr.length > STDERR_KEEP) stderr = stderr.subarray(stderr.length - STDERR_KEEP);
        callback();
      },
    });
    stream.on('error', () => undefined);
    demuxAttachStream(stream, stdout, stderrSink);
    const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    const exited = waited.then(
      (result) => result.StatusCode,
      () => null,
    );
    await container.start();
    const info = await container.inspect();
    if (!info.State.Running) throw new Error(`it stopped at once (exit code ${info.State.ExitCode})`);
    return {
      id: container.id,
      imageId: info.Image,
      container,
      stdoutBytes: () => stdoutBytes,
      stderrTail: () => stderr,
      stderrBytes: () => stderrBytes,
      exited,
      detach: () => stream.destroy(),
    };
  } catch (error) {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    throw error;
  }
}
