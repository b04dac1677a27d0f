// deploy/kubernetes/: no cluster is available here, so the manifests are checked as data: they parse,
// the hardening the docs promise is really there, and the example gateway config is valid.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type GatewayConfig, GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';
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
const gatewayConfig = (): GatewayConfig =>
  GatewayConfigSchema.parse(JSON.parse(find('ConfigMap', 'mcp-warden-gateway').data['gateway.json']));

/** A Kubernetes memory quantity (Ki, Mi, Gi or plain bytes) in MiB. */
function mib(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported quantity ${quantity}`);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[match[2] ?? ''] ?? 1 / (1024 * 1024);
  return Number(match[1]) * unit;
}

/** Whether an Ingress path would route `request` (Prefix: whole path elements; Exact: equality). */
function routes(rule: Doc, request: string): boolean {
  if (rule.pathType === 'Exact') return rule.path === request;
  if (rule.pathType === 'ImplementationSpecific') return request.startsWith(rule.path);
  const want = (rule.path as string).split('/').filter(Boolean);
  const got = request.split('/').filter(Boolean);
  return want.every((element, i) => got[i] === element);
}

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
    expect(policy.ingress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port))).toEqual([8080, 8080, 8080]);
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

  it('stops gracefully: a preStop sleep (no shell in the image) that leaves the drain its grace', () => {
    const pod = find('Deployment').spec.template.spec;
    const [container] = pod.containers;
    const { shutdownGraceMs } = gatewayConfig().limits;
    expect(Object.keys(container.lifecycle.preStop)).toEqual(['sleep']);
    const sleep: number = container.lifecycle.preStop.sleep.seconds;
    expect(sleep).toBeGreaterThan(0);
    // The grace period runs from the preStop hook: sleep, then SIGTERM and the drain, then the sandboxes' stop.
    expect(sleep).toBeLessThan(pod.terminationGracePeriodSeconds - shutdownGraceMs / 1000);
  });

  it('sizes the memory limit from the measured per-session RSS times maxSessions', () => {
    const deployment = find('Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    const { maxSessions } = gatewayConfig().limits;
    const session = mib(deployment.metadata.annotations['mcp-warden/measured-session-rss']);
    const idle = mib(deployment.metadata.annotations['mcp-warden/measured-gateway-idle-rss']);
    // The in-memory /tmp is charged to the same limit.
    const tmpfs = pod.volumes
      .filter((v: Doc) => v.emptyDir?.medium === 'Memory')
      .reduce((sum: number, v: Doc) => sum + mib(v.emptyDir.sizeLimit), 0);
    expect(session).toBeGreaterThan(0);
    expect(mib(container.resources.limits.memory)).toBeGreaterThanOrEqual(
      idle + session * maxSessions + tmpfs,
    );
    expect(mib(container.resources.requests.memory)).toBeLessThanOrEqual(
      mib(container.resources.limits.memory),
    );
    // The number the annotation states is the one docs/gateway.md reports, with the command that measured it.
    const docs = readFileSync(path.join(PROJECT_ROOT, 'docs/gateway.md'), 'utf8');
    expect(docs).toContain('node bench/gateway-memory.ts');
    expect(docs).toContain(
      `${deployment.metadata.annotations['mcp-warden/measured-session-rss']} per session`,
    );
  });

  it('is ready only with capacity left: /readyz on the gateway port, out at the first 503', () => {
    const [container] = find('Deployment').spec.template.spec.containers;
    const config = gatewayConfig();
    const probe = container.readinessProbe;
    expect(probe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.ports.find((p: Doc) => p.name === 'http').containerPort).toBe(config.listen.port);
    expect(probe.failureThreshold * probe.periodSeconds).toBeLessThanOrEqual(10);
    expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds);
    // /readyz is Host-checked: the probe must send a Host the config accepts, not the pod IP.
    if (config.allowedHosts.length > 0) {
      const host = probe.httpGet.httpHeaders?.find((h: Doc) => h.name.toLowerCase() === 'host')?.value;
      expect(config.allowedHosts).toContain(host);
    }
  });

  it('lets Prometheus scrape /metrics on the pods while no Ingress routes it', () => {
    const policy = find('NetworkPolicy').spec;
    const config = gatewayConfig();
    const prometheus = policy.ingress.filter((r: Doc) =>
      r.from.some((s: Doc) => s.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus'),
    );
    expect(prometheus).toHaveLength(1);
    expect(prometheus[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ]);
    expect(prometheus[0].ports).toEqual([{ port: config.listen.port, protocol: 'TCP' }]);
    const annotations = find('Deployment').spec.template.metadata.annotations;
    expect(annotations).toMatchObject({
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': String(config.listen.port),
    });

    const ingresses = docs.filter((d) => d.kind === 'Ingress');
    expect(ingresses.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')).toContain('ingress.yaml');
    for (const ingress of ingresses) {
      expect(ingress.spec.defaultBackend).toBeUndefined();
      const paths: Doc[] = ingress.spec.rules.flatMap((r: Doc) => r.http.paths);
      expect(paths.length).toBeGreaterThan(0);
      for (const rule of paths) {
        for (const hidden of ['/metrics', '/readyz', '/healthz', '/'])
          expect(routes(rule, hidden), `${rule.path} routes ${hidden}`).toBe(false);
        expect(['/servers/', '/.well-known/oauth-protected-resource']).toContain(rule.path);
        expect(rule.backend.service).toEqual({ name: 'mcp-warden-gateway', port: { name: 'http' } });
      }
      expect(
        routes(paths[0]!, '/servers/everything/mcp') || routes(paths[1]!, '/servers/everything/mcp'),
      ).toBe(true);
      expect(
        ingress.spec.rules.map((r: Doc) => r.host).every((h: string) => config.allowedHosts.includes(h)),
      ).toBe(true);
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
