import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent } from '../audit/events.ts';

/** MCP methods counted by name; anything else (client-chosen strings) is `other`, so labels stay bounded. */
const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/roots/list_changed',
  'notifications/tools/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
  'notifications/prompts/list_changed',
]);

/** A bounded label for a JSON-RPC method (`response` for results and errors). */
export function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'response';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/**
 * The gateway's Prometheus metrics, one registry per gateway instance (tests run several in one process).
 * Every name starts with mcp_warden_.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly sessionsActive: Gauge<'server'>;
  readonly warmIdle: Gauge<'server'>;
  readonly sessionsTotal: Counter<'server'>;
  readonly sessionsEnded: Counter<'server' | 'reason'>;
  readonly messages: Counter<'server' | 'direction' | 'method'>;
  readonly verdicts: Counter<'server' | 'direction' | 'action' | 'rule'>;
  readonly sandboxStarts: Counter<'server' | 'backend'>;
  readonly sandboxStops: Counter<'server' | 'kind'>;
  readonly requestDuration: Histogram<'server' | 'method'>;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly authFailures: Counter<'reason'>;
  readonly rateLimited: Counter<'principal'>;
  readonly authRateLimited: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'mcp_warden_process_' });
    this.sessionsActive = new Gauge({
      name: 'mcp_warden_sessions_active',
      help: 'Open MCP sessions (each with its sandbox).',
      labelNames: ['server'],
      registers,
    });
    this.warmIdle = new Gauge({
      name: 'mcp_warden_warm_sandboxes_idle',
      help: 'Sandboxes launched ahead (servers with warm > 0) and waiting for a session.',
      labelNames: ['server'],
      registers,
    });
    this.sessionsTotal = new Counter({
      name: 'mcp_warden_sessions_total',
      help: 'MCP sessions started.',
      labelNames: ['server'],
      registers,
    });
    this.sessionsEnded = new Counter({
      name: 'mcp_warden_sessions_ended_total',
      help: 'MCP sessions ended, by why: delete, idle, unused, revoked, expired, breach, shutdown, exited.',
      labelNames: ['server', 'reason'],
      registers,
    });
    this.messages = new Counter({
      name: 'mcp_warden_messages_total',
      help: 'JSON-RPC messages through the gateway, by direction (client: to the server; server: to the client) and method.',
      labelNames: ['server', 'direction', 'method'],
      registers,
    });
    this.verdicts = new Counter({
      name: 'mcp_warden_verdicts_total',
      help: 'Policy verdicts other than allow, by rule.',
      labelNames: ['server', 'direction', 'action', 'rule'],
      registers,
    });
    this.sandboxStarts = new Counter({
      name: 'mcp_warden_sandbox_starts_total',
      help: 'Sandboxes launched.',
      labelNames: ['server', 'backend'],
      registers,
    });
    this.sandboxStops = new Counter({
      name: 'mcp_warden_sandbox_stops_total',
      help: 'Sandboxes stopped, by kind: killed (by the warden: breach, session end), exited (on its own), limit.',
      labelNames: ['server', 'kind'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'mcp_warden_request_duration_seconds',
      help: 'Time from a client request entering the gateway to its answer leaving it.',
      labelNames: ['server', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'mcp_warden_http_requests_total',
      help: 'HTTP requests, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'mcp_warden_auth_failures_total',
      help: 'Requests refused by authentication or authorization, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'mcp_warden_rate_limited_total',
      help: 'Requests refused with 429, by principal: its kind (api-key, jwt, anonymous), or its id with metrics.principalLabels.',
      labelNames: ['principal'],
      registers,
    });
    this.authRateLimited = new Counter({
      name: 'mcp_warden_auth_rate_limited_total',
      help: 'Requests refused with 429 before authentication: their client address failed authentication too often (limits.authFailuresPerMinute).',
      registers,
    });
  }

  /** Feed one session's audit events (verdicts, sandbox lifecycle) into the counters. */
  observeAudit(server: string, event: AuditEvent): void {
    switch (event.event) {
      case 'verdict':
        // A server that died (killed from outside, crashed) is no policy verdict: sandbox_stops{kind=
        // "exited"} and sessions_ended{reason="exited"} count it.
        if (event.rule === 'sandbox.exited') break;
        this.verdicts.inc({ server, direction: event.direction, action: event.action, rule: event.rule });
        break;
      case 'sandbox.start':
        this.sandboxStarts.inc({ server, backend: event.backend });
        break;
      case 'sandbox.stop': {
        const kind = event.limit
          ? 'limit'
          : event.reason === 'the server exited on its own'
            ? 'exited'
            : 'killed';
        this.sandboxStops.inc({ server, kind });
        break;
      }
      default:
        break;
    }
  }
}
