// `scan` against the poisoned fixture and the real npm servers, the lock file life cycle, and the same
// rules live in `run`: poisoned and changed tools are withheld, a list_changed is re-checked at once.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, WARDEN_ENTRY, startWarden } from '../helpers/warden.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const POISONED = path.join(PROJECT_ROOT, 'tests/fixtures/poisoned-server.mjs');
const npmServer = (name: string): string =>
  path.join(PROJECT_ROOT, `node_modules/@modelcontextprotocol/server-${name}/dist/index.js`);

interface ScanJson {
  counts: { tools: number; prompts: number; resources: number };
  findings: { name: string; detector: string; severity: string; where: string }[];
  lock: { file: string; outcome: string };
  exitCode: number;
}

function scan(args: string[], command: string[]): { code: number | null; json: ScanJson; stderr: string } {
  const out = spawnSync(
    process.execPath,
    [WARDEN_ENTRY, 'scan', '--profile', PROFILE, '--json', ...args, '--', process.execPath, ...command],
    { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 60_000 },
  );
  let json: ScanJson;
  try {
    json = JSON.parse(out.stdout) as ScanJson;
  } catch {
    throw new Error(`scan printed no JSON (exit ${out.status}): ${out.stdout}\n${out.stderr}`);
  }
  return { code: out.status, json, stderr: out.stderr };
}

describe(`scan (profile ${PROFILE})`, () => {
  it('flags a server whose tool description hides instructions, and writes no lock', () => {
    const dir = tmpRoot('scan');
    const lock = path.join(dir, 'lock.json');
    const { code, json } = scan(['--lock', lock], [POISONED, 'poisoned']);
    expect(code).toBe(1);
    expect(json.findings.filter((f) => f.name === 'add').map((f) => f.detector)).toEqual(
      expect.arrayContaining(['hidden-instructions', 'secret-access', 'instruction-override']),
    );
    expect(json.findings.filter((f) => f.name === 'echo')).toEqual([]);
    expect(json.lock.outcome).toBe('not-written');
  });

  it('catches a definition changed between two listings (rug pull)', () => {
    const { code, json } = scan(['--lock', path.join(tmpRoot('scan'), 'l.json')], [POISONED, 'rug-pull']);
    expect(code).toBe(1);
    expect(json.findings).toContainEqual(
      expect.objectContaining({ name: 'add', detector: 'definition-changed', where: 'second listing' }),
    );
  });

  it('reports escapes, bidi and zero-width characters', () => {
    const { json } = scan(['--lock', path.join(tmpRoot('scan'), 'l.json')], [POISONED, 'escapes']);
    expect(json.findings.map((f) => f.detector).sort()).toEqual([
      'ansi-escape',
      'bidi-control',
      'invisible-characters',
    ]);
  });

  it.each([
    ['filesystem', (root: string) => [npmServer('filesystem'), root]],
    ['memory', () => [npmServer('memory')]],
    ['everything', () => [npmServer('everything')]],
  ])('passes the real %s server without a single finding (--fail-on low)', (_name, command) => {
    const dir = tmpRoot('scan-real');
    const { code, json, stderr } = scan(
      ['--lock', path.join(dir, 'lock.json'), '--root', dir, '--fail-on', 'low'],
      command(dir),
    );
    expect(json.findings, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(json.counts.tools).toBeGreaterThan(3);
    expect(json.lock.outcome).toBe('created');
  });

  it('lock life cycle: created, a changed definition fails until --update approves it', () => {
    const lock = path.join(tmpRoot('scan'), 'lock.json');
    expect(scan(['--lock', lock], [POISONED, 'clean']).json.lock.outcome).toBe('created');
    const first = readFileSync(lock, 'utf8');
    expect(scan(['--lock', lock], [POISONED, 'clean']).json.lock.outcome).toBe('unchanged');

    const changed = scan(['--lock', lock], [POISONED, 'clean-v2']);
    expect(changed.code).toBe(1);
    expect(changed.json.lock.outcome).toBe('mismatch');
    expect(changed.json.findings).toEqual([
      expect.objectContaining({
        name: 'echo',
        detector: 'definition-changed',
        severity: 'critical',
        where: 'lock file',
      }),
    ]);
    expect(readFileSync(lock, 'utf8')).toBe(first);

    const approved = scan(['--lock', lock, '--update'], [POISONED, 'clean-v2']);
    expect(approved.code).toBe(0);
    expect(approved.json.lock.outcome).toBe('updated');
    expect(scan(['--lock', lock], [POISONED, 'clean-v2']).code).toBe(0);
  });

  it('human output by default', () => {
    const out = spawnSync(
      process.execPath,
      [
        WARDEN_ENTRY,
        'scan',
        '--profile',
        PROFILE,
        '--lock',
        path.join(tmpRoot('scan'), 'l.json'),
        '--',
        process.execPath,
        POISONED,
        'poisoned',
      ],
      { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 60_000 },
    );
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/SEVERITY\s+KIND\s+NAME\s+DETECTOR\s+WHERE/);
    expect(out.stdout).toMatch(/critical\s+tool\s+add\s+hidden-instructions\s+description/);
    expect(out.stdout).toMatch(/FAIL: \d+ finding/);
  });
});

async function expectDenied(promise: Promise<unknown>, rule: string): Promise<void> {
  const error = await promise.then(
    (value) => new Error(`expected a denial, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  expect({
    code: (error as McpError).code,
    rule: ((error as McpError).data as { rule?: string }).rule,
  }).toEqual({
    code: -32001,
    rule,
  });
}

describe(`run: tool pinning and poison checks live (profile ${PROFILE})`, () => {
  it('withholds a poisoned tool: left out of tools/list, its calls denied', async () => {
    const warden = await startWarden({ profile: PROFILE, command: [process.execPath, POISONED, 'poisoned'] });
    expect((await warden.client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    await expectDenied(
      warden.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }),
      'tool.description-poisoned',
    );
    const echo = (await warden.client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as {
      content: { text: string }[];
    };
    expect(echo.content[0]?.text).toBe('hi');
    await warden.close();
  });

  it('a list_changed triggers a re-listing checked against the pins; the changed tool is withheld', async () => {
    const audit = path.join(tmpRoot('pin'), 'audit.jsonl');
    const warden = await startWarden({
      profile: PROFILE,
      auditLog: audit,
      command: [process.execPath, POISONED, 'rug-pull'],
    });
    expect((await warden.client.listTools()).tools.map((t) => t.name)).toEqual(['add', 'echo']);
    // The first call makes the fixture change `add` and send notifications/tools/list_changed.
    const sum = (await warden.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })) as {
      content: { text: string }[];
    };
    expect(sum.content[0]?.text).toBe('3');
    // The warden re-lists on its own; wait until the audit log shows the tool withheld.
    const deadline = Date.now() + 5000;
    while (!readFileSync(audit, 'utf8').includes('"tool.withheld"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // Even with its stale list the client cannot call the changed tool.
    await expectDenied(
      warden.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }),
      'tool.definition-changed',
    );
    expect((await warden.client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    await warden.close();
    const events = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; tool?: string; rule?: string });
    expect(events.filter((e) => e.event === 'tool.pinned').map((e) => e.tool)).toEqual(['add', 'echo']);
    expect(events.filter((e) => e.event === 'tool.withheld')).toEqual([
      expect.objectContaining({ tool: 'add', rule: 'tool.definition-changed' }),
    ]);
  });

  it('--lock: a tool that differs from the lock is withheld from the first listing', async () => {
    const lock = path.join(tmpRoot('pin'), 'lock.json');
    expect(scan(['--lock', lock], [POISONED, 'clean']).code).toBe(0);
    const warden = await startWarden({
      profile: PROFILE,
      extraArgs: ['--lock', lock],
      command: [process.execPath, POISONED, 'clean-v2'],
    });
    expect((await warden.client.listTools()).tools.map((t) => t.name)).toEqual(['add']);
    await expectDenied(
      warden.client.callTool({ name: 'echo', arguments: { text: 'x' } }),
      'tool.definition-changed',
    );
    await warden.close();
  });

  it('--lock with a missing file is a config error (exit 2)', () => {
    const missing = path.join(tmpRoot('pin'), 'nope.json');
    writeFileSync(path.join(path.dirname(missing), 'other'), '');
    const out = spawnSync(
      process.execPath,
      [WARDEN_ENTRY, 'run', '--profile', 'none', '--lock', missing, '--', 'node', POISONED],
      {
        encoding: 'utf8',
        input: '',
        timeout: 20_000,
      },
    );
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/lock file .* does not exist/);
  });
});
