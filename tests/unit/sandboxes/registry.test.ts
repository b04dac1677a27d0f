import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, getBackend, pickAuto } from '../../../src/sandboxes/registry.ts';
import type { BackendName } from '../../../src/sandboxes/types.ts';

describe('registry', () => {
  it('lists every backend of the design, strongest first', () => {
    expect(BACKEND_NAMES).toEqual(['gvisor', 'docker', 'seatbelt', 'bwrap', 'isolate', 'none']);
  });

  it('returns the implemented backends by name', () => {
    expect(getBackend('none').name).toBe('none');
    expect(getBackend('bwrap').name).toBe('bwrap');
    expect(getBackend('seatbelt').name).toBe('seatbelt');
    expect(getBackend('docker').name).toBe('docker');
    expect(getBackend('gvisor').name).toBe('gvisor');
    expect(getBackend('isolate').name).toBe('isolate');
  });

  it('auto picks the strongest backend that works (gvisor > docker > bwrap on Linux), and never none', async () => {
    let expected: BackendName | undefined;
    for (const name of ['gvisor', 'docker', 'bwrap'] as BackendName[]) {
      if ((await getBackend(name).probe()).available) {
        expected = name;
        break;
      }
    }
    if (expected) {
      expect((await pickAuto()).name).toBe(expected);
    } else {
      await expect(pickAuto()).rejects.toMatchObject({ code: 'backend-unavailable' });
    }
  });

  it('none is always available', async () => {
    expect(await getBackend('none').probe()).toEqual({ available: true });
  });

  it('auto passes over backends that failed to launch, and names them when none is left', async () => {
    const working: BackendName[] = [];
    for (const name of ['gvisor', 'docker', 'bwrap'] as BackendName[]) {
      if ((await getBackend(name).probe()).available) working.push(name);
    }
    const skip = new Map<BackendName, string>(working.slice(0, -1).map((name) => [name, 'connect EACCES']));
    if (working.length > 0) expect((await pickAuto({}, skip)).name).toBe(working.at(-1));
    const all = new Map<BackendName, string>(working.map((name) => [name, 'connect EACCES']));
    await expect(pickAuto({}, all)).rejects.toMatchObject({ code: 'backend-unavailable' });
    if (working.length > 0) await expect(pickAuto({}, all)).rejects.toThrow(/connect EACCES/);
  });
});
