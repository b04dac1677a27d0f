// The red-team runner: every case of the corpus (tests/attacks/cases) against every backend available
// here. Policy cases run on none and every sandbox; containment cases only on sandboxes. Cases that
// do not apply say why; the matrix (family × backend) is printed after the run and written to
// tests/attacks/last-matrix.md for docs/security.md.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVAILABILITY } from './backends.ts';
import { CONTAINMENT_CASES } from './cases/containment.ts';
import { BUNDLING_CASES } from './cases/bundling.ts';
import { BWRAP_CONTAINMENT_CASES } from './cases/containment-bwrap.ts';
import { CONTAINER_CONTAINMENT_CASES } from './cases/containment-containers.ts';
import { ISOLATE_CONTAINMENT_CASES } from './cases/containment-isolate.ts';
import { LAUNCH_CONTAINMENT_CASES } from './cases/containment-launch.ts';
import { DESCRIPTOR_CASES } from './cases/descriptors.ts';
import { KEYRING_CASES } from './cases/keyrings.ts';
import { MCP_CONTENT_CASES } from './cases/mcp-content.ts';
import { PATH_BYPASS_CASES } from './cases/paths-bypass.ts';
import { REDOS_CASES } from './cases/redos.ts';
import { SETUID_CASES } from './cases/setuid.ts';
import { FRAMING_CASES } from './cases/framing.ts';
import { MCP_CASES } from './cases/mcp.ts';
import { NETWORK_CASES } from './cases/network.ts';
import { NETWORK_SESSION_CASES } from './cases/network-sessions.ts';
import { PATH_CASES } from './cases/paths.ts';
import { type BackendFixtures, createFixtures } from './context.ts';
import { renderMatrix } from './matrix.ts';
import { BackendSessions, runCase } from './runner.ts';
import { type AttackCase, type BackendName, BACKENDS, type CaseResult, FAMILIES } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export const CASES: AttackCase[] = [
  ...PATH_CASES,
  ...FRAMING_CASES,
  ...MCP_CASES,
  ...CONTAINMENT_CASES,
  ...DESCRIPTOR_CASES,
  ...SETUID_CASES,
  ...KEYRING_CASES,
  ...BUNDLING_CASES,
  ...REDOS_CASES,
  ...PATH_BYPASS_CASES,
  ...MCP_CONTENT_CASES,
  ...ISOLATE_CONTAINMENT_CASES,
  ...BWRAP_CONTAINMENT_CASES,
  ...CONTAINER_CONTAINMENT_CASES,
  ...LAUNCH_CONTAINMENT_CASES,
  ...NETWORK_CASES,
  ...NETWORK_SESSION_CASES,
];

const NO_OS_LAYER =
  'containment needs an OS layer; `none` has none (policy-only, never used for untrusted servers)';

const results: CaseResult[] = [];
const started = Date.now();

/** Static reason a case does not run on `backend`, if any. */
function staticSkip(c: AttackCase, backend: BackendName): CaseResult | undefined {
  const base = { id: c.id, family: c.family, backend };
  if (!AVAILABILITY[backend].available)
    return {
      ...base,
      status: 'not-applicable',
      note: `backend unavailable here: ${AVAILABILITY[backend].reason}`,
    };
  if (c.layer === 'os' && backend === 'none') return { ...base, status: 'not-applicable', note: NO_OS_LAYER };
  const na = c.notApplicable?.[backend];
  if (na) return { ...base, status: 'not-applicable', note: na };
  const gap = c.gap?.[backend];
  if (gap) return { ...base, status: 'gap', note: gap };
  return undefined;
}

it('the corpus has unique ids and at least 150 cases', () => {
  const ids = CASES.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(CASES.length).toBeGreaterThanOrEqual(150);
  for (const c of CASES) expect(c.id.startsWith(`${c.family}.`), c.id).toBe(true);
});

afterAll(async () => {
  const seconds = (Date.now() - started) / 1000;
  // The file has no timing so that an unchanged result leaves it unchanged, and is formatted as
  // `prettier --check` expects; a partial run (a filtered test name) must not overwrite the full matrix.
  if (results.length === CASES.length * BACKENDS.length) {
    const file = path.join(here, 'last-matrix.md');
    const text = renderMatrix(results, AVAILABILITY, { cases: CASES.length });
    writeFileSync(file, await format(text, { ...(await resolveConfig(file)), parser: 'markdown' }));
  }
  console.log(`\n${renderMatrix(results, AVAILABILITY, { cases: CASES.length, seconds })}`);
});

describe.each(BACKENDS.map((backend) => ({ backend })))('attacks on $backend', ({ backend }) => {
  const available = AVAILABILITY[backend].available;
  let fixtures: BackendFixtures | undefined;
  let sessions: BackendSessions | undefined;

  beforeAll(async () => {
    if (!available) return;
    fixtures = await createFixtures(backend);
    sessions = new BackendSessions(fixtures.ctx);
    // Shared sessions start here, not inside a test: the warden helpers kill whatever a test started
    // once that test ends.
    const clientFamilies = FAMILIES.filter((family) =>
      CASES.some((c) => c.family === family && (c.action.kind === 'request' || c.action.kind === 'raw')),
    );
    const names = [...clientFamilies.map((family) => `client:${family}`), 'server', 'probe'];
    await Promise.all(names.map((name) => sessions?.shared(name)));
    // The egress session may be refused by a backend without allowlist support: its cases say so
    // (pending), the others run.
    if (CASES.some((c) => c.action.kind === 'probe' && c.action.session === 'network'))
      await sessions.shared('network').catch((error: Error) => {
        if (fixtures?.ctx.net) fixtures.ctx.net.sessionError = error.message;
      });
  }, 120_000);

  afterAll(async () => {
    await sessions?.close();
    await fixtures?.close();
  }, 60_000);

  for (const family of FAMILIES) {
    describe(family, () => {
      for (const c of CASES.filter((x) => x.family === family)) {
        const skip = staticSkip(c, backend);
        if (skip) {
          it(`${c.id} — ${skip.status === 'gap' ? 'KNOWN GAP' : 'not applicable'}: ${skip.note}`, () => {
            results.push(skip);
          });
          continue;
        }
        it(`${c.id}: ${c.title}`, async () => {
          const ctx = fixtures?.ctx;
          if (!ctx || !sessions) throw new Error('fixtures failed to start');
          const unmet = c.requires?.(ctx);
          if (unmet) {
            results.push({ id: c.id, family, backend, status: 'not-applicable', note: unmet });
            return;
          }
          const pending = c.pending?.(ctx);
          if (pending) {
            results.push({ id: c.id, family, backend, status: 'not-yet', note: pending });
            return;
          }
          let failure: string | undefined;
          try {
            failure = await runCase(c, sessions);
          } catch (error) {
            failure = `runner error: ${(error as Error).message.slice(0, 500)}`;
          }
          if (failure && c.pendingFeature) {
            results.push({
              id: c.id,
              family,
              backend,
              status: 'not-yet',
              note: `${c.pendingFeature}: ${failure}`,
            });
            return;
          }
          results.push({
            id: c.id,
            family,
            backend,
            status: failure ? 'failed' : 'contained',
            ...(failure ? { note: failure } : {}),
          });
          expect(failure, `${c.id} on ${backend}: expected ${c.expect.kind}`).toBeUndefined();
        }, 120_000);
      }
    });
  }

  if (backend === 'none') {
    // Controls for the probes: without an OS layer each of these attacks works, so a "contained" cell
    // on a sandbox is the sandbox's doing, not a probe that cannot reach anything.
    describe('probe controls: on none these containment probes DO reach the host', () => {
      it.each(PROBE_CONTROLS)('%s', async (id) => {
        const c = CASES.find((x) => x.id === id);
        if (!c || !sessions) throw new Error(`no case ${id}`);
        const failure = await runCase(c, sessions);
        expect(failure, `${id} reported contained on none: the probe proves nothing`).toBeDefined();
      });
    });
  }
});

const PROBE_CONTROLS = [
  'containment.secret-file',
  'containment.secret-dir-listing',
  'containment.host-tmp-listing',
  'containment.write-outside-dir',
  'containment.tcp-loopback',
  'containment.udp-loopback',
  'containment.unix-outside-path',
  'containment.unix-abstract',
  'containment.interfaces',
  'containment.proc-host-process',
  'containment.proc-pid-count',
  'network.raw-tcp-allowed-origin',
  'network.raw-tcp-loopback',
  'network.udp',
];
