#!/usr/bin/env node
// Prepare the build context of the top-level Dockerfile without any registry: compile src/ into
// OUT/stage/dist, copy profiles/, package.json and exactly the production dependencies installed in
// node_modules (`npm ls --omit=dev`; native addons come as built on this machine), and the Dockerfile.
//   node deploy/docker/stage-context.mjs --out DIR [--dist DIR]   (--dist: reuse an existing build)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, dist: { type: 'string' } } });
if (!values.out) {
  process.stderr.write('usage: stage-context.mjs --out DIR [--dist DIR]\n');
  process.exit(2);
}
const out = path.resolve(values.out);
const stage = path.join(out, 'stage');
rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

if (values.dist) {
  cpSync(path.resolve(values.dist), path.join(stage, 'dist'), { recursive: true });
} else {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // Emits even if some file has a type error elsewhere in the tree (typecheck is CI's job).
  spawnSync(
    process.execPath,
    [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')],
    {
      stdio: 'inherit',
    },
  );
  if (!existsSync(path.join(stage, 'dist', 'cli', 'main.js')))
    throw new Error('tsc produced no dist/cli/main.js');
}
for (const name of ['profiles', 'package.json', 'policy.sb']) {
  if (existsSync(path.join(root, name)))
    cpSync(path.join(root, name), path.join(stage, name), { recursive: true });
}

// Production dependency folders (each without its nested node_modules: those are listed on their own).
const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
  cwd: root,
  encoding: 'utf8',
});
const modules = path.join(root, 'node_modules');
const packages = listed.stdout
  .split('\n')
  .map((line) => line.trim())
  .filter((p) => p.startsWith(modules + path.sep));
if (packages.length === 0) throw new Error(`npm ls listed no production dependencies:\n${listed.stderr}`);
for (const dir of packages) {
  const rel = path.relative(root, dir);
  cpSync(dir, path.join(stage, rel), {
    recursive: true,
    dereference: true,
    filter: (src) => src === dir || !path.relative(dir, src).split(path.sep).includes('node_modules'),
  });
}
cpSync(path.join(root, 'Dockerfile'), path.join(out, 'Dockerfile'));
const size = execFileSync('du', ['-sh', stage], { encoding: 'utf8' }).split('\t')[0];
process.stderr.write(`staged ${packages.length} production packages, ${size} in ${stage}\n`);
