// Worker thread of bench/egress.ts: the reference hop for the floor of two Node processes in the path.
// Listens on each unix socket in workerData.routes and pipes every connection as-is (no parsing, no
// policy, no accounting) to its loopback port. Posts 'ready' once listening; closes on 'close'.
import { connect, createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const routes = (workerData as { routes: Array<[string, number]> }).routes;
const servers = await Promise.all(
  routes.map(async ([socketPath, port]) => {
    const server = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = connect({ host: '127.0.0.1', port, allowHalfOpen: true, noDelay: true });
      client.pipe(upstream).pipe(client);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
      }
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return server;
  }),
);
parentPort?.postMessage('ready');
parentPort?.on('message', (message) => {
  if (message !== 'close') return;
  for (const server of servers) server.close();
  parentPort?.close();
});
