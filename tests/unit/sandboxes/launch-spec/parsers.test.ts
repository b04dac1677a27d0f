import { describe, expect, it } from 'vitest';
import { packageBin } from '../../../../src/sandboxes/launch-spec/npx-install.ts';
import { parseLddOutput } from '../../../../src/sandboxes/launch-spec/runtime-libraries.ts';
import { parseNpx } from '../../../../src/sandboxes/launch-spec/parse-npx.ts';
import { parseExecTrampoline, parseShebang } from '../../../../src/sandboxes/launch-spec/parse-shebang.ts';
import { nodeModulesChain } from '../../../../src/sandboxes/launch-spec/node-modules-chain.ts';

describe('parseShebang', () => {
  it.each([
    ['#!/usr/bin/node', { interpreter: '/usr/bin/node', args: [], viaEnv: false }],
    ['#! /usr/bin/python3 -u -B', { interpreter: '/usr/bin/python3', args: ['-u -B'], viaEnv: false }],
    ['#!/usr/bin/env node', { interpreter: 'node', args: [], viaEnv: true }],
    [
      '#!/usr/bin/env -S node --flag  --x=1\r',
      { interpreter: 'node', args: ['--flag', '--x=1'], viaEnv: true },
    ],
  ])('%s', (line, expected) => {
    expect(parseShebang(line)).toEqual(expected);
  });

  it('returns undefined without #!', () => expect(parseShebang('console.log(1)')).toBeUndefined());
  it('rejects env with several words and no -S, as Linux would fail it', () => {
    expect(() => parseShebang('#!/usr/bin/env node --flag')).toThrow(/env -S node --flag/);
  });
  it('rejects env options other than -S', () =>
    expect(() => parseShebang('#!/usr/bin/env -i node')).toThrow());
});

describe('parseExecTrampoline (pip and uv launchers for long interpreter paths)', () => {
  it('reads the interpreter of the /bin/sh launcher, double- or single-quoted', () => {
    expect(parseExecTrampoline('#!/bin/sh', `'''exec' "/very/long/venv path/bin/python" "$0" "$@"`)).toBe(
      '/very/long/venv path/bin/python',
    );
    expect(parseExecTrampoline('#!/bin/sh\r', `'''exec' '/v/bin/python3' "$0" "$@"\r`)).toBe(
      '/v/bin/python3',
    );
  });

  it('ignores anything else: another shell script, a relative or shell-expanded interpreter', () => {
    expect(parseExecTrampoline('#!/bin/sh', 'exec python3 "$@"')).toBeUndefined();
    expect(parseExecTrampoline('#!/bin/bash', `'''exec' "/v/bin/python" "$0" "$@"`)).toBeUndefined();
    expect(parseExecTrampoline('#!/bin/sh', `'''exec' "python" "$0" "$@"`)).toBeUndefined();
    expect(
      parseExecTrampoline('#!/bin/sh', `'''exec' "$(dirname -- "$0")/python" "$0" "$@"`),
    ).toBeUndefined();
  });
});

describe('parseNpx', () => {
  it.each([
    [['-y', 'pkg', 'a'], { spec: 'pkg', name: 'pkg', args: ['a'] }],
    [
      ['--yes', '@scope/pkg@1.2.3', '/data'],
      { spec: '@scope/pkg@1.2.3', name: '@scope/pkg', args: ['/data'] },
    ],
    [['-y', '--', 'pkg@latest', '--x'], { spec: 'pkg@latest', name: 'pkg', args: ['--x'] }],
  ])('%j', (args, expected) => expect(parseNpx(args)).toEqual(expected));

  it('requires -y and says so', () => expect(() => parseNpx(['pkg'])).toThrow(/add -y/));
  it('refuses other npx options', () =>
    expect(() => parseNpx(['-y', '-p', 'x', 'y'])).toThrow(/not supported/));
  it('refuses non-registry specs', () => expect(() => parseNpx(['-y', 'github:a/b'])).toThrow(/registry/));
});

describe('packageBin', () => {
  it('takes a string bin, the entry named like the package, or the only entry', () => {
    expect(packageBin({ bin: 'cli.js' }, 'x')).toBe('cli.js');
    expect(packageBin({ bin: { other: 'o.js', srv: 's.js' } }, '@scope/srv')).toBe('s.js');
    expect(packageBin({ bin: { only: 'o.js' } }, 'x')).toBe('o.js');
    expect(packageBin({ bin: { a: 'a.js', b: 'b.js' } }, 'x')).toBeUndefined();
    expect(packageBin({}, 'x')).toBeUndefined();
  });
});

describe('parseLddOutput', () => {
  it('keeps "=> /path" libraries and the loader, skips vdso and missing ones', () => {
    const text = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f06)',
      '\tlibgone.so => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f07)',
    ].join('\n');
    expect(parseLddOutput(text)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
    expect(parseLddOutput('\tstatically linked\n')).toEqual([]);
  });
});

describe('nodeModulesChain', () => {
  it('lists every ancestor node_modules, skipping node_modules dirs themselves', () => {
    expect(nodeModulesChain('/a/node_modules/@s/p/dist')).toEqual([
      '/a/node_modules/@s/p/dist/node_modules',
      '/a/node_modules/@s/p/node_modules',
      '/a/node_modules/@s/node_modules',
      '/a/node_modules',
      '/node_modules',
    ]);
  });
});
