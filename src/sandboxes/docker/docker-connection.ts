import module from 'node:module';
import type Docker from 'dockerode';

let connection: Promise<Docker> | undefined;

/**
 * The engine client, created on first use: only sessions that use a container backend load dockerode.
 * DOCKER_HOST is honoured (dockerode's default), else the local socket.
 */
export function dockerConnection(): Promise<Docker> {
  connection ??= loadDockerode().then((DockerClient) => new DockerClient());
  return connection;
}

/**
 * Modules dockerode and docker-modem load eagerly for features the warden never uses: image builds
 * with BuildKit sessions (gRPC), build contexts (tar-fs, dockerignore) and the ssh transport. They
 * are more than half of dockerode's ~85 ms load time, paid on every container session's cold start.
 */
const UNUSED = ['@grpc/grpc-js', '@grpc/proto-loader', 'tar-fs', '@balena/dockerignore', 'ssh2'];
const STUB_SCHEME = 'mcp-warden-unused:';

/**
 * Load dockerode with its unused heavy dependencies replaced by stubs that throw a clear error if
 * ever called. An ssh:// DOCKER_HOST keeps ssh2. Node without module.registerHooks loads it plainly.
 */
async function loadDockerode(): Promise<typeof Docker> {
  const unused = new Set(
    UNUSED.filter((name) => name !== 'ssh2' || !process.env.DOCKER_HOST?.startsWith('ssh:')),
  );
  const hooks =
    typeof module.registerHooks === 'function'
      ? module.registerHooks({
          resolve(specifier, context, next) {
            if (
              unused.has(specifier) &&
              /node_modules[\\/](dockerode|docker-modem)[\\/]/.test(context.parentURL ?? '')
            ) {
              return { url: `${STUB_SCHEME}${specifier}`, format: 'commonjs', shortCircuit: true };
            }
            return next(specifier, context);
          },
          load(url, context, next) {
            if (!url.startsWith(STUB_SCHEME)) return next(url, context);
            const name = JSON.stringify(url.slice(STUB_SCHEME.length));
            return {
              format: 'commonjs',
              shortCircuit: true,
              source:
                `const fail = () => { throw new Error(${name} + ' is not loaded by mcp-warden (a docker feature the warden does not use)'); };\n` +
                `module.exports = new Proxy(function () {}, { get: (_, key) => (key === '__esModule' ? false : fail), apply: fail, construct: fail });\n`,
            };
          },
        })
      : undefined;
  try {
    return (await import('dockerode')).default;
  } finally {
    hooks?.deregister();
  }
}

/** Reject after `ms` with a message naming `what`; for engine calls that may hang on a stuck daemon. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
