// The bundle cache: keyed by the entry, verified on every hit by the inputs' mtimes and sizes.
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../../../src/sandboxes/isolate/bundle.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';

describe('loadBundle', () => {
  it('builds once, reuses while inputs are unchanged, rebuilds when one changes', async () => {
    const dir = tmpRoot('bundle-src');
    const cache = tmpRoot('bundle-cache');
    const entry = path.join(dir, 'server.mjs');
    const helper = path.join(dir, 'helper.mjs');
    writeFileSync(helper, "export const word = 'one';\n");
    writeFileSync(
      entry,
      "import { word } from './helper.mjs';\nimport { spawn } from 'node:child_process';\nimport fs from 'fs';\n" +
        'globalThis.probe = [word, spawn, fs];\n',
    );
    const first = await loadBundle(entry, cache);
    expect(first.cached).toBe(false);
    // Built-ins are replaced: child_process by a stand-in that throws, fs by the guest shim.
    expect(first.code).toContain('not available under --profile isolate');
    expect(first.code).toContain('fs.readFile');
    expect(first.code).not.toMatch(/from ["']node:/);
    const second = await loadBundle(entry, cache);
    expect(second).toMatchObject({ cached: true, code: first.code });

    writeFileSync(helper, "export const word = 'two';\n");
    utimesSync(helper, new Date(), new Date(Date.now() + 5000));
    const third = await loadBundle(entry, cache);
    expect(third.cached).toBe(false);
    expect(third.code).toContain('"two"');
  });
});
