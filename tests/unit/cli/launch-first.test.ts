// Issue 15, item 9: `auto` falls back to the next backend when the one it picked cannot launch for
// want of the backend; an explicit profile, or any other failure, stays the session's to report.
import { describe, expect, it } from 'vitest';
import { launchFirst } from '../../../src/cli/launch-first.ts';
import type { PreparedSession } from '../../../src/cli/prepare-session.ts';
import { WardenError } from '../../../src/errors.ts';
import type { BackendName, Sandbox } from '../../../src/sandboxes/types.ts';

const ORDER: BackendName[] = ['gvisor', 'docker', 'bwrap'];
const prepared = (name: BackendName) => ({ backend: { name } }) as unknown as PreparedSession;
const sandbox = { pid: 1 } as unknown as Sandbox;
const refused = (name: string) =>
  new WardenError(
    'backend-unavailable',
    `the ${name} backend cannot reach the docker engine: connect EACCES`,
  );

function harness(fail: (name: BackendName) => Error | undefined, auto = true) {
  const launched: BackendName[] = [];
  const warned: string[] = [];
  const options = {
    auto,
    prepare: async (skip: ReadonlyMap<BackendName, string>) => {
      const next = ORDER.find((name) => !skip.has(name));
      if (next === undefined) throw new WardenError('backend-unavailable', 'no sandbox backend works here');
      return prepared(next);
    },
    launch: async (p: PreparedSession) => {
      launched.push(p.backend.name);
      const error = fail(p.backend.name);
      if (error) throw error;
      return sandbox;
    },
    onFallback: ({ from, to }: { from: string; to: string }) => void warned.push(`${from}->${to}`),
  };
  return { launched, warned, options };
}

describe('launchFirst', () => {
  it('auto: a backend-unavailable launch moves on down the auto order, with a warning each time', async () => {
    const { launched, warned, options } = harness((name) => (name === 'bwrap' ? undefined : refused(name)));
    const result = await launchFirst(prepared('gvisor'), options);
    expect(result.prepared.backend.name).toBe('bwrap');
    expect(await result.sandbox).toBe(sandbox);
    expect(launched).toEqual(['gvisor', 'docker', 'bwrap']);
    expect(warned).toEqual(['gvisor->docker', 'docker->bwrap']);
    expect(result.fallbacks.map((f) => f.reason)).toEqual([
      refused('gvisor').message,
      refused('docker').message,
    ]);
  });

  it('auto: any other launch failure is not a fallback (the session reports it)', async () => {
    const broken = new WardenError('launch-failed', 'cannot start the sandbox container: bad mount');
    const { launched, options } = harness(() => broken);
    const result = await launchFirst(prepared('gvisor'), options);
    expect(launched).toEqual(['gvisor']);
    await expect(result.sandbox).rejects.toBe(broken);
  });

  it('an explicit profile never falls back', async () => {
    const { launched, options } = harness((name) => refused(name), false);
    const result = await launchFirst(prepared('docker'), options);
    await expect(result.sandbox).rejects.toMatchObject({ code: 'backend-unavailable' });
    expect(launched).toEqual(['docker']);
    expect(result.fallbacks).toEqual([]);
  });

  it('auto with nothing left: the error of prepare (backend-unavailable)', async () => {
    const { options } = harness((name) => refused(name));
    await expect(launchFirst(prepared('gvisor'), options)).rejects.toThrow(/no sandbox backend works here/);
  });
});
