// A CommonJS server (a .cjs entry, or .js in a "type": "commonjs" package) runs in the isolate as it
// runs under Node. Regression: once the host ran the bundle as a script (guest-script.ts), a .cjs
// entry's bundle ended in `export default`, a syntax error, so every such server failed to start
// (`doctor`'s egress shims check among them).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_CONFIG_ENV, type HostConfig } from '../../../../src/sandboxes/isolate/host-config.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../../helpers/warden.ts';

const HOST_MAIN = path.join(PROJECT_ROOT, 'src/sandboxes/isolate/host-main.ts');

const SCRIPT = `'use strict';
const path = require('node:path');
const helper = require('./helper.cjs');
module.exports = { ok: true };
process.stdout.write(JSON.stringify({ joined: path.join('a', 'b'), helper: helper.name, self: typeof module.exports }) + '\\n');
`;

function runBoth(entry: string, root: string): { isolated: string; direct: string; stderr: string } {
  const config: HostConfig = {
    entry,
    argv: [process.execPath, entry],
    env: {},
    cwd: root,
    roots: [{ path: root, realPath: root, readOnly: false }],
    readOnlyPaths: [root],
    memoryMb: 64,
    cpuMs: 5000,
    cacheDir: tmpRoot('isolate-cjs-cache'),
  };
  const isolated = spawnSync(process.execPath, [HOST_MAIN], {
    encoding: 'utf8',
    env: { [HOST_CONFIG_ENV]: JSON.stringify(config) },
    timeout: 30_000,
  });
  const direct = spawnSync(process.execPath, [entry], { encoding: 'utf8', env: {}, timeout: 30_000 });
  return { isolated: isolated.stdout, direct: direct.stdout, stderr: isolated.stderr };
}

describe('isolate: CommonJS entries', () => {
  it.each([
    ['a .cjs entry', 'server.cjs', undefined],
    ['a .js entry in a "type": "commonjs" package', 'server.js', 'commonjs'],
  ])('%s runs as under Node', (_name, file, type) => {
    const root = tmpRoot('isolate-cjs');
    mkdirSync(root, { recursive: true });
    if (type !== undefined) writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type }));
    writeFileSync(path.join(root, 'helper.cjs'), "module.exports = { name: 'helper' };\n");
    writeFileSync(path.join(root, file), SCRIPT);
    const { isolated, direct, stderr } = runBoth(path.join(root, file), root);
    expect(stderr).not.toMatch(/SyntaxError/);
    expect(direct).toBe('{"joined":"a/b","helper":"helper","self":"object"}\n');
    expect(isolated).toBe(direct);
  });
});
