import { describe, expect, it } from 'vitest';
import { isPython, usefulSysPath } from '../../../../src/sandboxes/launch-spec/python-runtime.ts';

describe('python runtime', () => {
  it('recognises interpreters by name only', () => {
    for (const name of ['/usr/bin/python3', '/usr/bin/python3.11', '/opt/py/bin/python', '/usr/bin/pypy3']) {
      expect(isPython(name), name).toBe(true);
    }
    for (const name of ['/usr/bin/node', '/usr/bin/python3-config', '/usr/bin/pythonista']) {
      expect(isPython(name), name).toBe(false);
    }
  });

  it('mounts the absolute, existing sys.path entries once; never the script directory ("")', () => {
    const exists = (p: string): boolean => p !== '/usr/lib/python311.zip';
    expect(
      usefulSysPath(
        ['', '/usr/lib/python311.zip', '/usr/lib/python3.11', '/usr/lib/python3.11', 'relative'],
        exists,
      ),
    ).toEqual(['/usr/lib/python3.11']);
  });
});
