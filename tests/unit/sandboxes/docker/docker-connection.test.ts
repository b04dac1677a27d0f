import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dockerConnection } from '../../../../src/sandboxes/docker/docker-connection.ts';

describe('dockerConnection', () => {
  it('loads dockerode without the gRPC, ssh, tar-fs and dockerignore modules (they cost half its load time)', async () => {
    const docker = await dockerConnection();
    expect(typeof docker.createContainer).toBe('function');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((file) => file.includes('/node_modules/dockerode/'))).toBe(true);
    for (const name of ['@grpc/grpc-js', '@grpc/proto-loader', 'ssh2', 'tar-fs', '@balena/dockerignore']) {
      expect(
        loaded.filter((file) => file.includes(`/node_modules/${name}/`)),
        name,
      ).toEqual([]);
    }
  });
});
