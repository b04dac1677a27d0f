import type Docker from 'dockerode';

let connection: Promise<Docker> | undefined;

/**
 * The engine client, created on first use: dockerode takes ~80 ms to load, so only sessions that use
 * a container backend pay for it. DOCKER_HOST is honoured (dockerode's default), else the local socket.
 */
export function dockerConnection(): Promise<Docker> {
  connection ??= import('dockerode').then(({ default: DockerClient }) => new DockerClient());
  return connection;
}

/** Reject after `ms` with a message naming `what`; for engine calls that may hang on a stuck daemon. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
