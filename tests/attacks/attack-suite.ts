// One backend's attack suite: every case of the corpus (./corpus.ts) as a test on `backend`. Policy
// cases run on none and every sandbox; containment cases only on sandboxes. Cases that do not apply say
// why. Each backend has its own test file (attacks-BACKEND.test.ts), so vitest runs them side by side;
// each writes its cells to .results/, and the one that completes the set renders the matrix (family ×
// backend) into last-matrix.md for docs/security.md.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVAILABILITY, type BackendAvailability } from './backends.ts';
import { type BackendFixtures, createFixtures } from './context.ts';
import { CASES } from './corpus.ts';
import { renderMatrix } from './matrix.ts';
import { BackendSessions, runCase } from './runner.ts';
import { type AttackCase, type BackendName, BACKENDS, type CaseResult, FAMILIES } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARTS = path.join(here, '.results');

const NO_OS_LAYER =
  'containment needs an OS layer; `none` has none (policy-only, never used for untrusted servers)';

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

/** One backend's cells of a run, as its suite wrote them. */
interface Part {
  /** The vitest process that ran the suites (their workers' parent): parts of one run share it. */
  run: number;
  backend: BackendName;
  availability: BackendAvailability;
  results: CaseResult[];
  seconds: number;
}

/**
 * Write this backend's cells; when every backend's part of this run is there and complete, render the
 * matrix. A partial run (one file, or a filtered test name) never overwrites the full matrix. The file
 * has no timing, so an unchanged result leaves it unchanged, and is formatted as `prettier --check`
 * expects.
 */
async function recordPart(backend: BackendName, results: CaseResult[], seconds: number): Promise<void> {
  mkdirSync(PARTS, { recursive: true });
  const part: Part = { run: process.ppid, backend, availability: AVAILABILITY[backend], results, seconds };
  writeFileSync(path.join(PARTS, `${backend}.json`), JSON.stringify(part));
  const parts = readdirSync(PARTS)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name): Part[] => {
      try {
        return [JSON.parse(readFileSync(path.join(PARTS, name), 'utf8')) as Part];
      } catch {
        return [];
      }
    })
    .filter((p) => p.run === part.run && p.results.length === CASES.length);
  console.log(`\n${renderMatrix(results, AVAILABILITY, { cases: CASES.length, seconds })}`);
  if (!BACKENDS.every((b) => parts.some((p) => p.backend === b))) return;
  const availability = Object.fromEntries(parts.map((p) => [p.backend, p.availability])) as Record<
    BackendName,
    BackendAvailability
  >;
  const all = BACKENDS.flatMap((b) => parts.find((p) => p.backend === b)?.results ?? []);
  const file = path.join(here, 'last-matrix.md');
  const text = renderMatrix(all, availability, { cases: CASES.length });
  writeFileSync(file, await format(text, { ...(await resolveConfig(file)), parser: 'markdown' }));
}

export function defineAttackSuite(backend: BackendName): void {
  const results: CaseResult[] = [];
  const started = Date.now();

  afterAll(async () => {
    await recordPart(backend, results, (Date.now() - started) / 1000);
  });

  describe(`attacks on ${backend}`, () => {
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
}

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
  // Run by root, these probes own the host's device nodes and may write its sysctls; any other user
  // reaches neither.
  ...(process.getuid?.() === 0 ? ['containment.chmod-host-device', 'containment.sysctl-core-pattern'] : []),
  'network.raw-tcp-allowed-origin',
  'network.raw-tcp-loopback',
  'network.udp',
];
