// Executes one attack case on one backend. Client-side families share one warden per (backend,
// family); server misbehaviour shares one warden per backend running with --on-breach restart (each
// breach kills that sandbox, the next request starts a fresh one); containment probes share one
// warden per backend; custom scenarios start their own.
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { RuleId } from '../../src/policy/types.ts';
import { isContainer } from '../helpers/containers.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import {
  HOSTILE_SERVER,
  initializeRaw,
  type RawMessage,
  type RawWarden,
  runArgs,
  spawnWardenRaw,
  type WardenOptions,
} from '../helpers/warden.ts';
import { sharedNetwork } from './network/allowlist.ts';
import { networkWardenOptions } from './network/session.ts';
import type { AttackCase, AttackContext, CustomApi, Family } from './types.ts';

/** The policy of the client-side sessions: a few tools are denied so the allowlist can be attacked. */
export const CLIENT_POLICY = { tools: { deny: ['env', 'spawn_children', 'sysinfo', 'probe*'] } };
export const DENIED_TOOLS = ['env', 'spawn_children', 'sysinfo', 'probe'];

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const isReply = (id: unknown) => (m: RawMessage) => m.id === id && ('result' in m || 'error' in m);
const asList = (rule: RuleId | readonly RuleId[]): readonly RuleId[] =>
  typeof rule === 'string' ? [rule] : rule;

/** Sessions of one backend, started on first use and closed together. */
export class BackendSessions {
  readonly #ctx: AttackContext;
  readonly #sessions = new Map<string, Promise<RawWarden>>();
  readonly #logs = new Map<string, string>();
  readonly #owned: RawWarden[] = [];
  #seq = 0;

  constructor(ctx: AttackContext) {
    this.#ctx = ctx;
  }

  get ctx(): AttackContext {
    return this.#ctx;
  }

  /** The warden's environment: the host's, plus a canary the server must never see. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, ATTACK_ENV_CANARY: this.#ctx.envCanary };
  }

  /** Start a warden with the hostile fixture on this backend (not shared). */
  async start(
    options: {
      extraArgs?: string[];
      fixtureArgs?: string[];
      handshake?: boolean;
      policy?: object;
      log?: string;
      profile?: string;
      prefix?: string[];
    } = {},
  ): Promise<RawWarden> {
    const { ctx } = this;
    const extra = [...(options.extraArgs ?? [])];
    if (options.policy) {
      const file = path.join(tmpRoot(`attacks-policy-${ctx.backend}`), 'policy.json');
      writeFileSync(file, JSON.stringify(options.policy));
      extra.push('--policy', file);
    }
    const command = [
      process.execPath,
      HOSTILE_SERVER,
      '--root',
      ctx.root,
      ...(options.log ? ['--log', options.log] : []),
      ...(options.fixtureArgs ?? []),
    ];
    const profile = (options.profile ?? ctx.backend) as WardenOptions['profile'];
    const warden = spawnWardenRaw(
      runArgs({ profile, roots: [ctx.root, `${ctx.ro}:ro`], extraArgs: extra, command }),
      { env: this.env(), ...(options.prefix ? { prefix: options.prefix } : {}) },
    );
    this.#owned.push(warden);
    if (options.handshake !== false) {
      await initializeRaw(warden);
      await warden.request(`tools-${this.#seq++}`, 'tools/list', {}, 30_000);
    }
    return warden;
  }

  /** The shared session `name` (client:<family>, server, probe, network). */
  shared(name: string): Promise<RawWarden> {
    let session = this.#sessions.get(name);
    if (!session) {
      // Inside the root: the only place every sandbox lets the server write.
      const log = path.join(this.#ctx.root, `requests-${name.replace(':', '-')}.log`);
      writeFileSync(log, '');
      if (isContainer(this.#ctx.backend) && process.getuid?.() === 0) chownSync(log, 65534, 65534);
      this.#logs.set(name, log);
      const options =
        name === 'server'
          ? { extraArgs: ['--on-breach', 'restart'] }
          : name === 'probe'
            ? {}
            : name === 'network'
              ? this.#networkOptions()
              : { policy: CLIENT_POLICY };
      session = this.start({ ...options, log });
      this.#sessions.set(name, session);
    }
    return session;
  }

  /** The shared network session: the egress allowlist of tests/attacks/network/session.ts. */
  #networkOptions(): { profile: string; prefix: string[]; extraArgs: string[] } {
    const net = this.#ctx.net;
    if (!net) throw new Error('the network lab did not start');
    return networkWardenOptions(this.#ctx.backend, net, sharedNetwork(net.lab.ports));
  }

  /** True when the server of shared session `name` received a line containing `marker`. */
  serverSaw(name: string, marker: string): boolean {
    const log = this.#logs.get(name);
    return log !== undefined && existsSync(log) && readFileSync(log, 'utf8').includes(marker);
  }

  nextId(prefix: string): string {
    return `${prefix}-${this.#seq++}-${this.#ctx.mark()}`;
  }

  async close(): Promise<void> {
    for (const warden of this.#owned) {
      if (warden.child.exitCode === null && warden.child.signalCode === null) warden.endInput();
    }
    await Promise.all(
      this.#owned.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              w.child.kill('SIGKILL');
              resolve();
            }, 15_000);
            void w.exit.then(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}

/** Round-trip a ping on `warden`: every answer to lines sent before it has arrived once it returns. */
async function sync(warden: RawWarden, sessions: BackendSessions): Promise<string | undefined> {
  const id = sessions.nextId('sync');
  const reply = await warden.request(id, 'ping', {}, 20_000).catch((error: Error) => error);
  if (reply instanceof Error) return `the session stopped answering: ${reply.message.slice(0, 300)}`;
  return reply.error ? `ping failed: ${JSON.stringify(reply.error)}` : undefined;
}

function sessionFor(family: Family): string {
  return `client:${family}`;
}

/** Run `c` on the backend of `sessions`; undefined when the outcome was the expected safe one. */
export async function runCase(c: AttackCase, sessions: BackendSessions): Promise<string | undefined> {
  const { ctx } = sessions;
  const { action, expect } = c;
  switch (action.kind) {
    case 'request':
    case 'raw': {
      const name = sessionFor(c.family);
      const warden = await sessions.shared(name);
      const marker = ctx.mark();
      const before = warden.allMessages().length;
      let id: string | undefined;
      if (action.kind === 'request') {
        id = `atk-${marker}`;
        const params = action.params?.(ctx);
        warden.send({
          jsonrpc: '2.0',
          id,
          method: action.method,
          ...(params === undefined ? {} : { params }),
        });
      } else {
        const line = action.line(ctx, marker);
        warden.child.stdin?.write(Buffer.concat([Buffer.from(line), Buffer.from('\n')]));
      }
      if (expect.kind === 'allowed') {
        const reply = await warden.waitFor(isReply(id), 20_000);
        if (reply.error && [-32001, -32002].includes(reply.error.code))
          return `the warden refused a control: ${JSON.stringify(reply.error)}`;
        if (!sessions.serverSaw(name, marker)) return 'the server never received the control request';
        return expect.check ? await expect.check(reply, ctx) : undefined;
      }
      const broken = await sync(warden, sessions);
      if (broken) return broken;
      const answers = warden
        .allMessages()
        .slice(before)
        .filter((m) => m.error?.code === -32001 && (id === undefined || m.id === id || m.id === null));
      if (sessions.serverSaw(name, marker)) return 'the server received it';
      if (expect.kind === 'ignored') {
        return answers.length === 0 ? undefined : `unexpected answer ${JSON.stringify(answers[0])}`;
      }
      if (expect.kind !== 'denied') return `runner: ${expect.kind} is not a client-side expectation`;
      const answer = answers[0];
      if (!answer) {
        const got = warden.allMessages().slice(before, before + 3);
        return `no -32001 denial; got ${JSON.stringify(got).slice(0, 400)}`;
      }
      const rule = answer.error?.data?.rule as RuleId | undefined;
      if (!rule || !asList(expect.rule).includes(rule)) {
        return `denied with rule ${rule}, expected ${asList(expect.rule).join(' or ')}`;
      }
      if (!answer.error?.message.startsWith('mcp-warden: ')) return `bad message ${answer.error?.message}`;
      return undefined;
    }
    case 'server':
    case 'server-mode': {
      if (expect.kind !== 'killed') return 'runner: server misbehaviour expects "killed"';
      const warden = await sessions.shared('server');
      const bystander = sessions.nextId('bystander');
      const breaching = sessions.nextId('breach');
      const before = warden.allMessages().length;
      const call = (id: string, name: string, args: object): object => ({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name, arguments: args },
      });
      warden.send(call(bystander, 'misbehave', { mode: 'hang' }));
      warden.send(
        action.kind === 'server'
          ? call(breaching, 'emit', { b64: b64(action.emit(ctx, breaching)) })
          : call(breaching, 'misbehave', { mode: action.mode }),
      );
      let replies: RawMessage[];
      try {
        replies = [
          await warden.waitFor(isReply(breaching), 30_000),
          await warden.waitFor(isReply(bystander), 30_000),
        ];
      } catch (error) {
        return (error as Error).message.slice(0, 500);
      }
      for (const reply of replies) {
        const rule = reply.error?.data?.rule as RuleId | undefined;
        if (reply.error?.code !== -32002 || !rule || !asList(expect.rule).includes(rule)) {
          return `expected -32002 ${asList(expect.rule).join('|')}, got ${JSON.stringify(reply).slice(0, 300)}`;
        }
      }
      const leaked = warden
        .allMessages()
        .slice(before)
        .filter((m) => typeof m.method === 'string' || (m.id !== bystander && m.id !== breaching));
      if (leaked.length > 0) return `reached the client: ${JSON.stringify(leaked[0]).slice(0, 300)}`;
      if (warden.nonJsonLines().length > 0) return `non-JSON reached the client: ${warden.nonJsonLines()[0]}`;
      return undefined;
    }
    case 'probe': {
      if (expect.kind !== 'contained') return 'runner: a probe expects "contained"';
      const warden = await sessions.shared(action.session ?? 'probe');
      const id = sessions.nextId('probe');
      const probe = await action.probe(ctx);
      const reply = await warden.request(
        id,
        'tools/call',
        { name: 'probe', arguments: { b64: b64(JSON.stringify(probe)) } },
        60_000,
      );
      const text = (reply.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
      if (text === undefined) return `the probe got no result: ${JSON.stringify(reply).slice(0, 300)}`;
      if (text.includes(ctx.secret.content)) return 'the secret canary reached the client';
      if (text.includes(ctx.envCanary)) return 'the environment canary reached the client';
      const result = JSON.parse(text) as Record<string, unknown>;
      if (expect.check) return expect.check(result, ctx);
      return result.ok === false ? undefined : `the probe succeeded: ${text.slice(0, 300)}`;
    }
    case 'custom': {
      const api: CustomApi = {
        warden: (options) => sessions.start(options),
        shared: () => sessions.shared(sessionFor(c.family)),
        serverSaw: (marker) => sessions.serverSaw(sessionFor(c.family), marker),
      };
      return action.run(ctx, api);
    }
  }
}

/** Does `a` re-parse to the same value as `b`? (used by checks of forwarded messages) */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}
