// The MCP conformance suite (@modelcontextprotocol/conformance, server mode, every scenario of the
// installed version: --suite all) against the fixture served directly by the SDK's Streamable HTTP
// transport (the baseline, no warden) and through `mcp-warden gateway` (fixture in a bwrap sandbox, or
// profile none without bwrap). Every scenario that passes directly must pass through the gateway.
// Everything runs on loopback; the suite needs no network beyond the URL it is given.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT } from '../helpers/warden.ts';
import {
  CONFORMANCE_SERVER,
  conformanceServer,
  startGateway,
} from '../integration/gateway/gateway-helpers.ts';

const SUITE_CLI = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

/**
 * Scenarios allowed to differ, with the reason. Empty: none is known to. (With the warden's default
 * policy the sampling and elicitation scenarios fail by design — server requests are denied and the
 * sandbox killed — so the gateway under test allows exactly those two server requests.)
 */
const EXCEPTIONS: Record<string, string> = {};

interface ScenarioResult {
  passed: number;
  failed: number;
  ok: boolean;
}

/** Run the suite (or one scenario of it) against `url`; its whole output. */
function runCli(url: string, scenario?: string): Promise<string> {
  const cwd = tmpRoot('conformance'); // the CLI writes results/ into its working directory
  const which = scenario === undefined ? ['--suite', 'all'] : ['--scenario', scenario];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SUITE_CLI, 'server', ...which, '--url', url], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

/** Run the whole suite against `url`; returns scenario → result, parsed from the CLI's summary. */
async function runSuite(url: string): Promise<{ results: Map<string, ScenarioResult>; output: string }> {
  const output = await runCli(url);
  const results = new Map<string, ScenarioResult>();
  const summary = output.slice(output.indexOf('=== SUMMARY ==='));
  for (const match of summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gmu)) {
    results.set(match[2]!, { ok: match[1] === '✓', passed: Number(match[3]), failed: Number(match[4]) });
  }
  return { results, output };
}

/** Run one scenario against `url`, parsed from the CLI's "Passed: P/T, F failed" line. */
async function runScenario(url: string, scenario: string): Promise<ScenarioResult | undefined> {
  const match = /^Passed: (\d+)\/(\d+), (\d+) failed/m.exec(await runCli(url, scenario));
  if (match === null) return undefined;
  const [passed, total, failed] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { ok: failed === 0 && passed === total && total > 0, passed, failed };
}

/**
 * The reference fixture served directly once failed a scenario that passed before and after (the SDK's
 * elicitation round trip, once in the CI dry runs of issue 19; 60 runs of it alone all passed). A
 * scenario the baseline fails is left out of the comparison, so each one is run again on its own, up to
 * twice: the test can only grow stricter by it. The gateway's results are taken as they are.
 */
async function confirmDirectFailures(url: string, results: Map<string, ScenarioResult>): Promise<string[]> {
  const rerun: string[] = [];
  for (const [name, first] of results) {
    if (first.ok) continue;
    for (let attempt = 0; attempt < 2; attempt++) {
      const again = await runScenario(url, name);
      if (again?.ok) {
        results.set(name, again);
        rerun.push(name);
        break;
      }
    }
  }
  return rerun;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

/** The fixture on the SDK's own HTTP transport, on a free loopback port. */
async function startDirect(): Promise<string> {
  const child = spawn(process.execPath, [CONFORMANCE_SERVER, '--http', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`fixture did not start: ${err}`)), 15_000);
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(err);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(`${match[1]}/mcp`);
      }
    });
  });
}

describe('MCP conformance suite: direct vs through the gateway', () => {
  it('every scenario that passes against the fixture directly passes through the gateway', async () => {
    const directUrl = await startDirect();
    const direct = await runSuite(directUrl);
    expect(direct.results.size, direct.output.slice(-3000)).toBeGreaterThanOrEqual(30);
    const rerun = await confirmDirectFailures(directUrl, direct.results);

    const profile = BWRAP_AVAILABLE ? 'bwrap' : 'none';
    const gw = await startGateway({
      servers: {
        conformance: conformanceServer(profile, {
          policy: { methods: { serverRequests: ['ping', 'sampling/createMessage', 'elicitation/create'] } },
        }),
      },
      limits: { ratePerMinute: 100_000 },
    });
    const gateway = await runSuite(gw.url('conformance'));
    expect(await gw.stop()).toEqual({ code: 0, signal: null });

    const table = [...direct.results].map(([name, d]) => {
      const g = gateway.results.get(name);
      return `${name}: direct ${d.ok ? 'pass' : 'FAIL'} (${d.passed}/${d.passed + d.failed}), gateway ${g === undefined ? 'missing' : g.ok ? 'pass' : 'FAIL'} (${g?.passed ?? 0}/${(g?.passed ?? 0) + (g?.failed ?? 0)})`;
    });
    const reruns = rerun.length === 0 ? '' : `\n  passed directly only when run again: ${rerun.join(', ')}`;
    process.stderr.write(`conformance (${profile}):\n  ${table.join('\n  ')}${reruns}\n`);
    const regressions = [...direct.results]
      .filter(([name, d]) => d.ok && !gateway.results.get(name)?.ok && EXCEPTIONS[name] === undefined)
      .map(([name]) => name);
    expect(regressions, gateway.output.slice(-4000)).toEqual([]);
  }, 300_000);
});
