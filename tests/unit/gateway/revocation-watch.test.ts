import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';
import { Authenticator } from '../../../src/gateway/authenticator.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const KEY = `mwk_${randomBytes(16).toString('hex')}`;

function authenticator(revocationFile: string): Authenticator {
  const config = GatewayConfigSchema.parse({
    auth: {
      apiKeys: [{ id: 'victim', sha256: createHash('sha256').update(KEY).digest('hex') }],
      revocationFile,
    },
    servers: { s: { command: ['x'] } },
  });
  return new Authenticator(config.auth!);
}

/** A Kubernetes ConfigMap volume: FILE → ..data/FILE, ..data → ..TIMESTAMP/ (swapped atomically on update). */
function configMapVolume(dir: string, content: string): { file: string; update: (content: string) => void } {
  let generation = 0;
  const publish = (text: string): void => {
    const target = `..gen_${generation++}`;
    mkdirSync(path.join(dir, target));
    writeFileSync(path.join(dir, target, 'revoked.txt'), text);
    symlinkSync(target, path.join(dir, '..data_tmp'));
    renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  };
  publish(content);
  symlinkSync('..data/revoked.txt', path.join(dir, 'revoked.txt'));
  return { file: path.join(dir, 'revoked.txt'), update: publish };
}

describe('revocation watch', () => {
  it('hears of a ConfigMap-style update (the ..data symlink swapped) within a second, and stops', async () => {
    const volume = configMapVolume(tmpRoot('configmap'), '# nothing revoked\n');
    const auth = authenticator(volume.file);
    const result = await auth.authenticate(`Bearer ${KEY}`);
    if (!result.ok) throw new Error(result.description);
    const { principal } = result;
    expect(principal.revoked?.()).toBe(false);

    let changes = 0;
    let heard: () => void = () => undefined;
    const stop = auth.watchRevocations(() => {
      changes++;
      heard();
    }, 5000); // a poll far too slow to matter: the directory watch must catch it
    const start = Date.now();
    const changed = new Promise<void>((resolve) => (heard = resolve));
    volume.update('key:victim\n');
    await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    expect(changes).toBeGreaterThanOrEqual(1);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(principal.revoked?.()).toBe(true);

    stop();
    const after = changes;
    volume.update('# nothing revoked\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changes).toBe(after);
  });

  it('falls back to polling when the directory cannot be watched (it does not exist yet)', async () => {
    const dir = path.join(tmpRoot('late'), 'not-yet');
    const file = path.join(dir, 'revoked.txt');
    const auth = authenticator(file);
    let changes = 0;
    const stop = auth.watchRevocations(() => changes++, 100);
    mkdirSync(dir);
    writeFileSync(file, 'key:victim\n');
    const deadline = Date.now() + 1000;
    while (changes === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    stop();
    expect(changes).toBe(1);
    expect((await auth.authenticate(`Bearer ${KEY}`)).ok).toBe(false);
  });
});
