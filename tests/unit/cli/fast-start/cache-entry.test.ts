import { describe, expect, it } from 'vitest';
import {
  ENTRY_VERSION,
  type FastStartEntry,
  parseEntry,
  planDifference,
  planOf,
  serializeEntry,
  storedPlan,
} from '../../../../src/cli/fast-start/cache-entry.ts';
import type { SandboxPlan } from '../../../../src/sandboxes/types.ts';

const plan: SandboxPlan = {
  backend: 'bwrap',
  argv: ['/usr/bin/bwrap', '--args', '3', '--', '/usr/bin/node', '/srv/server.js'],
  env: {},
  inputs: [new Uint8Array([1, 2, 0, 255]), new TextEncoder().encode('--setenv\0TOKEN\0secret\0')],
  cwd: '/srv',
  notes: ['not stored'],
  unenforced: [],
  details: { privateDevices: { dir: '/cache/bwrap-dev', nodes: [{ name: 'null', rdev: 259 }] } },
};

function entry(): FastStartEntry {
  return {
    version: ENTRY_VERSION,
    key: { argv: ['--profile', 'bwrap'], cwd: '/', node: 'n', warden: 'w', env: 'e' },
    plan: storedPlan(plan) as NonNullable<ReturnType<typeof storedPlan>>,
    profiles: [{ file: '/p.json', text: '{}' }],
    roots: [],
    paths: [{ path: '/usr/bin/node', content: true, facts: 'real=/usr/bin/node' }],
    lookups: [{ name: 'node', found: '/usr/bin/node', real: '/usr/bin/node' }],
    passedEnv: { names: ['API_TOKEN'], hash: 'h' },
  };
}

describe('a cached launch', () => {
  it('stores exactly what a launch reads, and gives it back byte for byte', () => {
    const stored = storedPlan(plan);
    expect(stored).toBeDefined();
    const back = planOf(stored as NonNullable<typeof stored>);
    expect(back.argv).toEqual(plan.argv);
    expect(back.cwd).toBe(plan.cwd);
    expect(back.inputs).toEqual(plan.inputs);
    expect(back.details).toEqual(plan.details);
    expect(back.notes).toEqual([]);
  });

  it('is only made of plain host-process plans', () => {
    expect(storedPlan({ ...plan, backend: 'docker' })).toBeUndefined();
    expect(storedPlan({ ...plan, handoff: { socketPath: '/run/proxy.sock' } })).toBeUndefined();
    expect(
      storedPlan({ ...plan, backend: 'none', inputs: undefined, details: undefined })?.details,
    ).toBeNull();
  });

  it('stores an isolate host plan: its configuration travels in env and details', () => {
    const config = { entry: '/srv/server.js', env: { TOKEN: 'secret' }, memoryMb: 256, cpuMs: 30_000 };
    const isolate: SandboxPlan = {
      backend: 'isolate',
      argv: ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', '/usr/bin/node', '/w/host-main.js'],
      env: { MCP_WARDEN_ISOLATE_CONFIG: JSON.stringify(config) },
      cwd: '/srv',
      notes: [],
      unenforced: [],
      details: { host: config },
    };
    const stored = storedPlan(isolate);
    expect(stored?.backend).toBe('isolate');
    const back = planOf(stored as NonNullable<typeof stored>);
    expect(back).toMatchObject({
      argv: isolate.argv,
      env: isolate.env,
      cwd: '/srv',
      details: { host: config },
    });
    const text = serializeEntry({ ...entry(), plan: stored as NonNullable<typeof stored> });
    expect(parseEntry(text)?.plan).toEqual(stored);
    // A backend the early launch cannot start is never read back as a plan.
    const foreign = { ...entry(), plan: { ...entry().plan, backend: 'docker' } } as unknown as FastStartEntry;
    expect(parseEntry(serializeEntry(foreign))).toBeUndefined();
  });

  it('names the first launch-relevant difference', () => {
    const a = storedPlan(plan) as NonNullable<ReturnType<typeof storedPlan>>;
    expect(planDifference(a, storedPlan({ ...plan, notes: ['other'] }) as typeof a)).toBeUndefined();
    expect(planDifference(a, storedPlan({ ...plan, argv: [...plan.argv, 'x'] }) as typeof a)).toBe('argv');
    expect(planDifference(a, storedPlan({ ...plan, cwd: '/tmp' }) as typeof a)).toBe('cwd');
    const inputs = [new Uint8Array([1, 2, 0, 254]), ...(plan.inputs ?? []).slice(1)];
    expect(planDifference(a, storedPlan({ ...plan, inputs }) as typeof a)).toBe('inputs');
    expect(planDifference(a, storedPlan({ ...plan, details: {} }) as typeof a)).toBe('details');
    expect(planDifference(a, storedPlan({ ...plan, env: { A: '1' } }) as typeof a)).toBe('env');
  });

  it('round-trips through its file text, and refuses a torn, edited or foreign one', () => {
    const text = serializeEntry(entry());
    expect(parseEntry(text)).toEqual(entry());
    expect(parseEntry(text.slice(0, -1))).toBeUndefined();
    expect(parseEntry(text.replace('/srv/server.js', '/bin/sh'))).toBeUndefined();
    expect(parseEntry(text.slice(text.indexOf('\n') + 1))).toBeUndefined();
    expect(parseEntry('')).toBeUndefined();
    // A valid checksum over the wrong shape or version is still no entry.
    const other = { ...entry(), version: ENTRY_VERSION + 1 };
    expect(parseEntry(serializeEntry(other))).toBeUndefined();
    const bad = { ...entry(), plan: { ...entry().plan, argv: [1] } } as unknown as FastStartEntry;
    expect(parseEntry(serializeEntry(bad))).toBeUndefined();
    const empty = { ...entry(), plan: { ...entry().plan, argv: [] } };
    expect(parseEntry(serializeEntry(empty))).toBeUndefined();
    const { passedEnv: _dropped, ...withoutEnv } = entry();
    expect(parseEntry(serializeEntry(withoutEnv as FastStartEntry))).toBeUndefined();
  });
});
