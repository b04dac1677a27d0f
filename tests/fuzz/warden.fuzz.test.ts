// End-to-end fuzzing through a real `mcp-warden run --profile none` with the hostile fixture (its echo
// tool and its request log): random text in both directions, random outside paths. A request the
// policy must deny never reaches the server; an allowed one reaches it byte-for-byte as the same JSON
// value and its echo comes back as the same value; every answer carries the id that was sent.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripControls } from '../../src/guards/strip-controls.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { HOSTILE_SERVER, initializeRaw, type RawWarden, runArgs, spawnWardenRaw } from '../helpers/warden.ts';
import { MessageCounter, settings, TIMEOUT } from './fuzz-settings.ts';

const counter = new MessageCounter();
let warden: RawWarden;
let ROOT: string;
let LOG: string;
let seq = 0;

beforeAll(async () => {
  ROOT = tmpRoot('fuzz-e2e');
  LOG = path.join(ROOT, 'requests.log');
  writeFileSync(LOG, '');
  warden = spawnWardenRaw(
    runArgs({
      profile: 'none',
      roots: [ROOT],
      command: [process.execPath, HOSTILE_SERVER, '--root', ROOT, '--log', LOG],
    }),
  );
  await initializeRaw(warden);
  await warden.request('list', 'tools/list', {});
});

afterAll(async () => {
  warden?.endInput();
  await warden?.exit;
  console.log(`warden fuzz: ${counter.count} messages`);
  expect(counter.count).toBeGreaterThanOrEqual(300);
});

/** The log lines the server received, parsed. */
function serverReceived(): Array<Record<string, unknown>> {
  return readFileSync(LOG, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const OUTSIDE = [
  '/etc/passwd',
  '../../etc/shadow',
  'file:///root/.ssh/id_rsa',
  '~/.aws/credentials',
  'C:\\x',
];

describe('fuzz: a real warden (profile none) under random traffic', () => {
  it(
    'denied requests never reach the server; allowed ones arrive and return as the same values, under their own ids',
    async () => {
      const unicode = fc
        .string({ unit: 'binary', maxLength: 40 })
        .filter((s) => !s.includes('\n') && !s.includes('\r'));
      await fc.assert(
        fc.asyncProperty(
          unicode,
          fc.option(fc.constantFrom(...OUTSIDE), { freq: 3 }),
          async (text, outside) => {
            counter.add(2); // the request and its answer
            const id = `fz-${seq++}`;
            const args = outside === null ? { text } : { text, extra: { where: outside } };
            const sent = {
              jsonrpc: '2.0',
              id,
              method: 'tools/call',
              params: { name: 'echo', arguments: args },
            };
            const reply = await warden.request(id, 'tools/call', sent.params, 20_000);
            expect(reply.id).toBe(id);
            const seen = serverReceived().filter((m) => m.id === id);
            if (outside !== null) {
              expect(reply.error?.code).toBe(-32001);
              expect(seen).toEqual([]);
              return;
            }
            // Single-line text may itself be path-like (".." or "/x"): then a denial is right too.
            if (reply.error?.code === -32001) {
              expect(reply.error.data?.rule).toMatch(/^path\./);
              expect(seen).toEqual([]);
              return;
            }
            expect(seen).toEqual([JSON.parse(JSON.stringify(sent))]);
            const echoed = (reply.result as { content: Array<{ text: string }> }).content[0]?.text;
            // The content guards strip escapes and invisible characters from what reaches the client.
            const plain = JSON.parse(JSON.stringify(text)) as string;
            expect(echoed).toBe(stripControls(plain)?.text ?? plain);
          },
        ),
        settings(200),
      );
    },
    TIMEOUT,
  );
});
