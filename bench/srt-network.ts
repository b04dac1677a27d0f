// The network attack family (tests/attacks/cases/network.ts) run side by side against mcp-warden
// (bwrap backend) and Anthropic's sandbox-runtime (srt, a devDependency) with the same allowlist, the
// same hostile server (tests/fixtures/hostile-server.mjs, spoken to over stdio) and the same loopback
// lab counting what reaches each target. Writes bench/srt-network-results.md and prints it.
//
//   node bench/srt-network.ts        (Linux, as root: bwrap, socat and ripgrep on PATH)
//
// Not part of `npm test`: it grades a third-party tool (its verdicts are findings, not regressions
// of ours), needs srt's own dependencies (socat, ripgrep), and takes about two minutes. Every target
// lives in a network namespace of its own (tests/attacks/network/lab.ts); names are given to srt by a
// private /etc/hosts bound in a mount namespace of its own (srt has no `resolve` map), so nothing is
// ever dialled outside that namespace.
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { NETWORK_CASES } from '../tests/attacks/cases/network.ts';
import { type NetworkSettingsInput, sharedNetwork } from '../tests/attacks/network/allowlist.ts';
import { startNetworkLab } from '../tests/attacks/network/lab.ts';
import type { NetworkFixture } from '../tests/attacks/network/session.ts';
import type { AttackCase, AttackContext } from '../tests/attacks/types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOSTILE = path.join(root, 'tests/fixtures/hostile-server.mjs');
const SRT = path.join(root, 'node_modules/.bin/srt');
const OUT = path.join(root, 'bench/srt-network-results.md');

for (const tool of ['bwrap', 'socat', 'rg', 'unshare', 'nsenter']) {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is not on PATH: apt-get install bubblewrap socat ripgrep util-linux`);
  }
}
if (process.getuid?.() !== 0) throw new Error('run as root: the lab needs a network namespace of its own');

/** One stdio JSON-RPC peer (the warden, or srt running the hostile server directly). */
class Peer {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #waiting = new Map<string, (message: Record<string, unknown>) => void>();
  stderr = '';
  #seq = 0;

  constructor(argv: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on(
      'data',
      (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)),
    );
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        this.#waiting.get(String(message.id))?.(message);
      } catch {
        // not JSON-RPC: ignore
      }
    });
  }

  request(method: string, params: object, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = `r${this.#seq++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to ${method}; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.#waiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  async start(): Promise<void> {
    await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'srt-network', version: '1' },
    });
    this.child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  }

  async probe(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const b64 = Buffer.from(JSON.stringify(request)).toString('base64');
    const reply = await this.request('tools/call', { name: 'probe', arguments: { b64 } }, 60_000);
    const text = (reply.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
    return text === undefined
      ? { ok: false, rpcError: reply.error }
      : (JSON.parse(text) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await new Promise((resolve) => this.child.once('exit', resolve));
    clearTimeout(timer);
  }
}

/** srt's allowlist for the same targets: srt has no CIDR entries, so the one 127.0.0.0/8 entry becomes 127.0.0.3. */
function srtSettings(network: NetworkSettingsInput, spelledPort: number, writable: string): object {
  const allow = (network.allow ?? []).map((entry) =>
    entry === `127.0.0.0/8:${spelledPort}` ? `127.0.0.3:${spelledPort}` : entry,
  );
  return {
    network: { allowedDomains: allow, deniedDomains: network.deny ?? [] },
    filesystem: { denyRead: [], allowWrite: [writable], denyWrite: [] },
  };
}

const work = mkdtempSync(path.join(tmpdir(), 'mcp-warden-srt-'));
const lab = await startNetworkLab(work);
const caDir = mkdtempSync(path.join(tmpdir(), 'mcp-warden-srt-ca-'));
const caFile = lab.caFile ? path.join(caDir, 'ca.pem') : undefined;
if (lab.caFile && caFile) copyFileSync(lab.caFile, caFile);
const fixture: NetworkFixture = { lab, caDir, caFile, close: () => lab.close() };
const ctx = { backend: 'bwrap', net: fixture, mark: () => `m${Date.now()}` } as unknown as AttackContext;
const network = sharedNetwork(lab.ports);
const serverRoot = mkdtempSync(path.join(tmpdir(), 'mcp-warden-srt-root-'));
const serverArgs = ['node', HOSTILE, '--root', serverRoot];
const caEnv = caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {};

// mcp-warden: the bwrap profile plus the allowlist, the warden in the lab's namespace.
const profile = path.join(work, 'profile.json');
const bwrapProfile = JSON.parse(readFileSync(path.join(root, 'profiles/bwrap.json'), 'utf8')) as Record<
  string,
  unknown
>;
delete bwrapProfile.$schema;
writeFileSync(profile, JSON.stringify({ ...bwrapProfile, name: 'srt-compare', network }));
const warden = new Peer(
  [
    ...lab.prefix,
    process.execPath,
    path.join(root, 'src/cli/main.ts'),
    'run',
    '--profile',
    profile,
    '--root',
    serverRoot,
    '--root',
    `${caDir}:ro`,
    ...(caFile ? ['--env', `NODE_EXTRA_CA_CERTS=${caFile}`] : []),
    '--',
    process.execPath,
    HOSTILE,
    '--root',
    serverRoot,
  ],
  process.env,
);

// srt: the same server under srt, in the lab's namespace, with a private /etc/hosts for the names.
const hosts = path.join(work, 'hosts');
writeFileSync(
  hosts,
  `127.0.0.1 localhost\n::1 localhost\n${Object.entries(network.resolve ?? {})
    .map(([name, address]) => `${address} ${name}`)
    .join('\n')}\n`,
);
const settings = path.join(work, 'srt-settings.json');
writeFileSync(settings, JSON.stringify(srtSettings(network, lab.ports.spelledPort, serverRoot)));
const bindHosts = `require('child_process').execFileSync('mount',['--bind',${JSON.stringify(hosts)},'/etc/hosts']);const c=require('child_process').spawn(process.argv[1],process.argv.slice(2),{stdio:'inherit'});c.on('exit',(code,signal)=>process.exit(code??1))`;
const srt = new Peer(
  [
    ...lab.prefix,
    'unshare',
    '-m',
    '--',
    process.execPath,
    '-e',
    bindHosts,
    SRT,
    '--settings',
    settings,
    '--',
    ...serverArgs.map((arg) => (arg === 'node' ? process.execPath : arg)),
  ],
  // NODE_USE_ENV_PROXY: Node's fetch follows srt's proxy variables only with it (mcp-warden sets it).
  { ...process.env, ...caEnv, NODE_USE_ENV_PROXY: '1' },
);

type Cell = {
  status:
    | 'contained'
    | 'contained, refused its own way'
    | 'contained, forwarded with the allowed Host'
    | 'FAILED'
    | 'n/a';
  note?: string;
};

/** A check's failure that is about the answer's wording (mcp-warden's rule names), not about reach. */
const reachFailure =
  /^(reached|the origin got|connected|the probe succeeded|the TLS handshake completed|not reached|the allowed)/;

async function runOn(peer: Peer, c: AttackCase, tool: 'warden' | 'srt'): Promise<Cell> {
  if (c.action.kind !== 'probe' || c.expect.kind !== 'contained') return { status: 'n/a' };
  const unmet = c.requires?.(ctx);
  if (unmet) return { status: 'n/a', note: unmet };
  if (tool === 'srt' && c.id === 'network.dns-lookup')
    return {
      status: 'n/a',
      note: 'the name is in the /etc/hosts this comparison binds for srt (it has no resolve map)',
    };
  try {
    const result = await peer.probe(await c.action.probe(ctx));
    const failure = await c.expect.check?.(result, ctx);
    if (!failure) return { status: 'contained' };
    // srt answers refusals its own way (403 with its own text, 407, a closed tunnel): judged by reach.
    if (tool === 'srt' && !c.id.includes('.control-') && !reachFailure.test(failure))
      return { status: 'contained, refused its own way', note: answerOf(result) };
    // Forwarded, but only ever with the allowed Host (srt rewrites the head from the URL): neutralised.
    if (
      tool === 'srt' &&
      /^reached: origin: \d+ connection\(s\), requests \[/.test(failure) &&
      !/evil|smuggled|;/.test(failure)
    )
      return { status: 'contained, forwarded with the allowed Host', note: failure };
    return { status: 'FAILED', note: failure };
  } catch (error) {
    return { status: 'FAILED', note: `runner: ${(error as Error).message.slice(0, 200)}` };
  }
}

/** The first line of what the proxy answered (or the error). */
function answerOf(result: Record<string, unknown>): string {
  const text = String(result.response ?? result.head ?? result.message ?? result.error ?? result.stage ?? '');
  return text.split('\r\n')[0]?.slice(0, 80) || JSON.stringify(result).slice(0, 80);
}

const rows: string[] = [];
const srtVersion = execFileSync(SRT, ['--version'], { encoding: 'utf8' }).trim();
try {
  await warden.start();
  await srt.start();
  for (const c of NETWORK_CASES) {
    if (c.notApplicable?.bwrap) continue;
    const ours = await runOn(warden, c, 'warden');
    const theirs = await runOn(srt, c, 'srt');
    const note = (cell: Cell) =>
      cell.note ? ` (${cell.note.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 160)})` : '';
    rows.push(`| \`${c.id}\` | ${ours.status}${note(ours)} | ${theirs.status}${note(theirs)} |`);
    process.stderr.write(`${c.id}: mcp-warden ${ours.status}, srt ${theirs.status}\n`);
  }
} finally {
  await Promise.allSettled([warden.close(), srt.close()]);
  await lab.close();
  for (const dir of [work, caDir, serverRoot]) rmSync(dir, { recursive: true, force: true });
}

const controls = rows.filter((row) => row.includes('`network.control-'));
const text = [
  '# Network attack family: mcp-warden vs srt',
  '',
  `Generated by \`node bench/srt-network.ts\` (srt ${srtVersion}, mcp-warden on bwrap; same hostile server, same loopback lab, equivalent allowlists).`,
  '"contained" means the lab\'s targets received nothing the allowlist does not allow; for `control-*` rows it means the allowed target WAS reached.',
  '',
  '| case | mcp-warden (bwrap) | srt |',
  '|---|---|---|',
  ...rows,
  '',
  `${rows.length} cases, ${controls.length} of them controls.`,
  '',
].join('\n');
// Formatted as `prettier --check` expects.
const formatted = await format(text, { ...(await resolveConfig(OUT)), parser: 'markdown' });
writeFileSync(OUT, formatted);
process.stdout.write(formatted);
