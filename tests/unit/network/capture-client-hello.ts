import net from 'node:net';
import tls from 'node:tls';

/** The ClientHello Node's TLS sends for `servername` (undefined: no SNI), captured on a loopback socket. */
export async function captureClientHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const captured = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        // Wait a moment for the whole hello (one write in practice).
        setTimeout(() => {
          socket.destroy();
          resolve(data);
        }, 50);
      });
    });
  });
  const client = tls.connect({
    host: '127.0.0.1',
    port,
    ...(servername === undefined ? {} : { servername }),
  });
  client.on('error', () => undefined);
  const hello = await captured;
  client.destroy();
  server.close();
  return hello;
}
