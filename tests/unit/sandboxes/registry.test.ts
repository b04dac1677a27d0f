import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.ts';
import { BACKEND_NAMES, getBackend, pickAuto } from '../../../src/sandboxes/registry.ts';
import type { BackendName } from '../../../src/sandboxes/types.ts';

describe('registry', () => {
  it('lists every backend of the design, strongest first', () => {
    expect(BACKEND_NAMES).toEqual(['gvisor', 'docker', 'seatbelt', 'bwrap', 'isolate', 'none']);
  });

  it('returns the implemented backends by name', () => {
    expect(getBackend('none').name).toBe('none');
    expect(getBackend('bwrap').name).toBe('bwrap');
  });

  it.each(['docker', 'gvisor', 'seatbelt', 'isolate'] as BackendName[])(
    'refuses %s with backend-unavailable and a hint',
    (name) => {
      const error = (() => {
        try {
          getBackend(name);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(WardenError);
      expect((error as WardenError).code).toBe('backend-unavailable');
      expect((error as WardenError).hint).toContain('arrives in a later release');
    },
  );

  it('auto picks bwrap when it works, and never none', async () => {
    const bwrapWorks = (await getBackend('bwrap').probe()).available;
    if (bwrapWorks) {
      expect((await pickAuto()).name).toBe('bwrap');
    } else {
      await expect(pickAuto()).rejects.toMatchObject({ code: 'backend-unavailable' });
    }
  });

  it('none is always available', async () => {
    expect(await getBackend('none').probe()).toEqual({ available: true });
  });
});
