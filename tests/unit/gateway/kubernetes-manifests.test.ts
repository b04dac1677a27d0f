// deploy/kubernetes/: no cluster is available here, so the manifests are checked as data: they parse,
// the hardening the docs promise is really there, and the example gateway config is valid.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';

const dir = path.join(PROJECT_ROOT, 'deploy/kubernetes');
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifest JSON
const docs: Doc[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJSON() as Doc;
    }),
  );
const find = (kind: string, name?: string): Doc => {
  const doc = docs.find((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  if (!doc) throw new Error(`no ${kind} ${name ?? ''}`);
  return doc;
};

describe('deploy/kubernetes', () => {
  it('runs the gateway hardened under gVisor with probes and resources', () => {
    const pod = find('Deployment').spec.template.spec;
    expect(pod.runtimeClassName).toBe('gvisor');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(pod.volumes.find((v: Doc) => v.name === 'tmp').emptyDir.medium).toBe('Memory');
    // The revocation list must be mounted as a directory: subPath mounts never see updates.
    expect(container.volumeMounts.find((m: Doc) => m.name === 'revocation').subPath).toBeUndefined();
  });

  it('limits ingress to the gateway port and egress to DNS and the identity provider', () => {
    const policy = find('NetworkPolicy').spec;
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.podSelector.matchLabels).toEqual(find('Deployment').spec.selector.matchLabels);
    expect(policy.ingress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port))).toEqual([8080]);
    expect(policy.egress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port)).sort()).toEqual([443, 53, 53]);
  });

  it('ships an example gateway config that the schema accepts, with auth (it binds 0.0.0.0)', () => {
    const raw = JSON.parse(find('ConfigMap', 'mcp-warden-gateway').data['gateway.json']) as unknown;
    const config = GatewayConfigSchema.parse(raw);
    expect(config.auth?.revocationFile).toBe('/etc/mcp-warden/revocation/revoked.txt');
    expect(find('Deployment').spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      config.limits.shutdownGraceMs,
    );
    expect(find('Service').spec.ports[0].targetPort).toBe('http');
  });
});
