// The allowlist the network cases run under (vitest-free: bench/srt-network.ts uses it too).
import type { LabPorts } from './lab.ts';

/** A profile's `network` object. */
export interface NetworkSettingsInput {
  allow?: string[];
  deny?: string[];
  allowPrivate?: boolean;
  maxConnections?: number;
  maxBytesOut?: number;
  onDeny?: 'deny' | 'kill';
  resolve?: Record<string, string>;
}

/**
 * The allowlist of the shared network session. Allowed: api.example.test (the origin and the TLS
 * origin, on 127.0.0.2, whose address is allowed explicitly), subdomains of wild.example.test but not
 * blocked.wild.example.test, names mapped to loopback/private/metadata addresses (allowed by name,
 * to be refused by address), 127.0.0.0/8 on the "spelled" port except 127.0.0.1 and ::1 (so every
 * spelling of 127.0.0.1 must hit the deny entry). Every name is mapped by `resolve`: no DNS.
 */
export function sharedNetwork(ports: LabPorts): NetworkSettingsInput {
  const { originPort, tlsPort, forbiddenPort, spelledPort, foreign } = ports;
  const lab = '127.0.0.2';
  return {
    allow: [
      `api.example.test:${originPort}`,
      `api.example.test:${tlsPort}`,
      `${lab}:${originPort}`,
      `${lab}:${tlsPort}`,
      `*.wild.example.test:${originPort}`,
      `*.wild.example.test:${tlsPort}`,
      `internal.example.test:${forbiddenPort}`,
      ...(foreign.length > 0
        ? [`metadata.example.test:${forbiddenPort}`, `ten.example.test:${forbiddenPort}`]
        : []),
      `127.0.0.0/8:${spelledPort}`,
      `denied-address.example.test:${spelledPort}`,
    ],
    deny: [`blocked.wild.example.test:${originPort}`, `127.0.0.1:${spelledPort}`, `[::1]:${spelledPort}`],
    allowPrivate: false,
    maxConnections: 64,
    resolve: {
      'api.example.test': lab,
      'evil.example.test': lab,
      'api.example.test.evil.test': lab,
      'xn--pi-6kc.example.test': lab,
      'wild.example.test': lab,
      'ok.wild.example.test': lab,
      'blocked.wild.example.test': lab,
      'internal.example.test': '127.0.0.1',
      'denied-address.example.test': '127.0.0.1',
      ...(foreign.length > 0
        ? { 'metadata.example.test': '169.254.169.254', 'ten.example.test': '10.0.0.1' }
        : {}),
    },
  };
}
