import { type Server, type Socket, createServer } from 'node:net';
import { WardenError, errorMessage } from '../errors.ts';
import { newProxyCredential } from './proxy-auth.ts';

/** Where a sandbox without a network of its own (seatbelt) reaches its proxy: the host's loopback. */
export interface LoopbackEntry {
  /** The port on 127.0.0.1, chosen by the kernel (listen on port 0). */
  port: number;
  /** The credential a client must present (proxy-auth.ts); fresh per listener. */
  credential: string;
}

/** A listening LoopbackEntry. */
export interface LoopbackListener extends LoopbackEntry {
  /** Stop accepting; connections already handed to `serve` are the caller's to end. Idempotent. */
  close(): Promise<void>;
}

/**
 * Listen on 127.0.0.1 on a port the kernel picks, with a fresh credential, and hand every connection
 * to `serve` with it. 127.0.0.1 is shared by every local process, hence the credential: `serve` (the
 * proxy) must refuse a client that does not present it. Throws WardenError('launch-failed').
 */
export async function listenLoopback(
  serve: (socket: Socket, credential: string) => void,
): Promise<LoopbackListener> {
  const credential = newProxyCredential();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
    serve(socket, credential),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new WardenError(
          'launch-failed',
          `cannot listen on 127.0.0.1 for the egress proxy: ${errorMessage(error)}`,
          {
            hint: 'the seatbelt backend reaches the proxy over the loopback interface: check that lo0 is up and that no firewall refuses local listeners',
            cause: error,
          },
        ),
      ),
    );
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    port,
    credential,
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}
