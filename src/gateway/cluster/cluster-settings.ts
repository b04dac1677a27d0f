import { replicaOrigin, type ClusterConfig } from '../../config/cluster-schema.ts';
import { WardenError } from '../../errors.ts';
import { readClusterKey } from './cluster-key.ts';

/** Where the replicas are: a fixed list, or a DNS name resolved again and again. */
export type PeerSource =
  | { kind: 'static'; origins: string[] }
  | { kind: 'dns'; name: string; port: number; scheme: 'http' | 'https'; refreshMs: number };

/** The cluster section made ready to use: env expanded, URLs normalised, the key read. */
export interface ClusterSettings {
  /** This replica's origin, as its peers reach it. */
  self: string;
  key: Buffer;
  peers: PeerSource;
  connectTimeoutMs: number;
  maxClockSkewMs: number;
}

/**
 * Check and complete `cluster`: `${NAME}` in `self` from `env`, every URL an origin, `self` among the
 * static peers, the key file readable and long enough. Throws WardenError('config') naming the field.
 */
export function resolveClusterSettings(config: ClusterConfig, env: NodeJS.ProcessEnv): ClusterSettings {
  const expanded = config.self.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new WardenError('config', `cluster.self: the environment variable ${name} is not set`, {
        hint: 'in Kubernetes, set it from the downward API (env: POD_IP from status.podIP)',
      });
    }
    return value.includes(':') && !value.startsWith('[') ? `[${value}]` : value;
  });
  const self = replicaOrigin(expanded);
  if (!self.ok) throw new WardenError('config', `cluster.self: ${self.reason}`);
  let peers: PeerSource;
  if (config.peers !== undefined) {
    const origins = [...new Set(config.peers.map((p) => (replicaOrigin(p) as { origin: string }).origin))];
    if (!origins.includes(self.origin)) {
      throw new WardenError(
        'config',
        `cluster.self: ${self.origin} is not one of cluster.peers (${origins.join(', ')})`,
        {
          hint: 'list every replica, this one included, spelt the same way in every replica’s config',
        },
      );
    }
    peers = { kind: 'static', origins };
  } else {
    const dns = config.peersDns!;
    peers = { kind: 'dns', name: dns.name, port: dns.port, scheme: dns.scheme, refreshMs: dns.refreshMs };
  }
  return {
    self: self.origin,
    key: readClusterKey(config.keyFile),
    peers,
    connectTimeoutMs: config.connectTimeoutMs,
    maxClockSkewMs: config.maxClockSkewMs,
  };
}
