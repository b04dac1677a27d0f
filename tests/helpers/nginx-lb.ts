// nginx as a plain round-robin load balancer on loopback, for the replica test and the gateway bench.
// Imports nothing from vitest, so bench/ can use it too.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** The nginx binary from the distribution's package, or undefined when it is not installed. */
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(
  (file) => spawnSync(file, ['-v'], { stdio: 'ignore' }).status === 0,
);

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Lb {
  /** http://127.0.0.1:PORT */
  url: string;
  child: ChildProcess;
  /** SIGTERM and wait for the master to exit. */
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** events.worker_connections (each proxied request holds two: client and upstream). Default 512. */
  workerConnections?: number;
}

/**
 * nginx on loopback, round-robin over `origins`, streaming both ways (no buffering), not sticky.
 * `dir` is an empty directory the caller owns (and removes): config, pid file, logs and temp paths go
 * there. Resolves once nginx answers `/healthz` through to a replica; throws with nginx's stderr if
 * it does not start.
 */
export async function startNginx(origins: string[], dir: string, options: NginxOptions = {}): Promise<Lb> {
  if (NGINX === undefined) throw new Error('nginx not found: apt-get install -y nginx');
  // Workers run as nobody when the master is root: let them reach the temp paths.
  chmodSync(dir, 0o755);
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, sub));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${options.workerConnections ?? 512}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream wardens {
${origins.map((o) => `    server ${new URL(o).host} max_fails=1 fail_timeout=30s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://wardens;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 120s;
      # A replica that refuses connections is skipped, for POST too (nothing reached it).
      proxy_next_upstream error timeout non_idempotent;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
