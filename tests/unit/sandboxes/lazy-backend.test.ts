import { describe, expect, it } from 'vitest';
import { lazyBackend } from '../../../src/sandboxes/lazy-backend.ts';
import type { Backend, LaunchSpec } from '../../../src/sandboxes/types.ts';

describe('lazyBackend', () => {
  it('loads the module once, on first probe/launch/load; plan before loading is an internal error', async () => {
    let loads = 0;
    const real: Backend = {
      name: 'docker',
      probe: async () => ({ available: true }),
      plan: () => ({ backend: 'docker', argv: ['x'], env: {}, cwd: '/', notes: [], unenforced: [] }),
      launch: async () => {
        throw new Error('not in this test');
      },
    };
    const backend = lazyBackend('docker', async () => {
      loads++;
      return real;
    });
    expect(loads).toBe(0);
    expect(() => backend.plan({} as LaunchSpec)).toThrow(/must be loaded/);
    expect(await backend.probe()).toEqual({ available: true });
    await backend.load?.();
    expect(backend.plan({} as LaunchSpec).argv).toEqual(['x']);
    expect(loads).toBe(1);
  });

  it('forwards prestart only once the module is loaded (starting ahead never costs a load)', async () => {
    let loads = 0;
    let prestarts = 0;
    const real: Backend = {
      name: 'isolate',
      probe: async () => ({ available: true }),
      prestart: () => void prestarts++,
      plan: () => ({ backend: 'isolate', argv: ['x'], env: {}, cwd: '/', notes: [], unenforced: [] }),
      launch: async () => {
        throw new Error('not in this test');
      },
    };
    const backend = lazyBackend('isolate', async () => {
      loads++;
      return real;
    });
    backend.prestart?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect([loads, prestarts]).toEqual([0, 0]);
    await backend.probe();
    backend.prestart?.();
    expect([loads, prestarts]).toEqual([1, 1]);
  });

  it('the registry imports no container, seatbelt or isolate module statically (they load on first use)', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../../../src/sandboxes/registry.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^import (?!type ).*\/(docker|seatbelt|isolate)\//m);
    expect(source).toMatch(/import\('\.\/docker\/docker-backend\.ts'\)/);
  });
});
