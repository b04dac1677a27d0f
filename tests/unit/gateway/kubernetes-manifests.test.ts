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

  it('limits ingress to the gateway port and egress to DNS, the other replicas and the identity provider', () => {
    const policy = find('NetworkPolicy').spec;
    const labels = find('Deployment').spec.selector.matchLabels;
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.podSelector.matchLabels).toEqual(labels);
    expect(policy.ingress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port))).toEqual([8080, 8080]);
    expect(policy.egress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port)).sort()).toEqual([
      443, 53, 53, 8080,
    ]);
    // Replica to replica (forwarded requests): only the gateway pods, only the gateway port.
    const peers = (rules: Doc[], side: 'from' | 'to'): Doc[] =>
      rules.filter((r) => r[side].some((s: Doc) => s.podSelector?.matchLabels?.['app.kubernetes.io/name']));
    for (const [rules, side] of [
      [policy.ingress, 'from'],
      [policy.egress, 'to'],
    ] as const) {
      const rule = peers(rules, side)[0]!;
      expect(rule[side]).toEqual([{ podSelector: { matchLabels: labels } }]);
      expect(rule.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    }
  });

  it('lets the replicas share sessions: a headless peer Service, the pod IP, the key from a Secret', () => {
    const raw = JSON.parse(find('ConfigMap', 'mcp-warden-gateway').data['gateway.json']) as unknown;
    const cluster = GatewayConfigSchema.parse(raw).cluster!;
    const peers = find('Service', cluster.peersDns!.name).spec;
    const pod = find('Deployment').spec.template.spec;
    const [container] = pod.containers;
    expect(peers.clusterIP).toBe('None');
    expect(peers.publishNotReadyAddresses).toBe(true);
    expect(peers.selector).toEqual(find('Deployment').spec.selector.matchLabels);
    expect(peers.ports[0].port).toBe(cluster.peersDns!.port);
    expect(cluster.self).toBe(`http://\${POD_IP}:${cluster.peersDns!.port}`);
    expect(container.env.find((e: Doc) => e.name === 'POD_IP').valueFrom.fieldRef.fieldPath).toBe(
      'status.podIP',
    );
    const mount = container.volumeMounts.find((m: Doc) => cluster.keyFile.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
    expect(volume.secret).toMatchObject({ secretName: 'mcp-warden-cluster-key', defaultMode: 0o440 });
    // Secret files belong to root and fsGroup: the gateway's group must be that group to read the key.
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
    expect(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')).toContain('service-peers.yaml');
  });

  it('ships an example gateway config that the schema accepts, with auth (it binds 0.0.0.0)', () => {
    const raw = JSON.parse(find('ConfigMap', 'mcp-warden-gateway').data['gateway.json']) as unknown;
    const config = GatewayConfigSchema.parse(raw);
    expect(config.auth?.revocationFile).toBe('/etc/mcp-warden/revocation/revoked.txt');
    expect(find('Deployment').spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      config.limits.shutdownGraceMs,
    );
    expect(find('Service', 'mcp-warden-gateway').spec.ports[0].targetPort).toBe('http');
  });
});
