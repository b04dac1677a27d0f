// The isolate probe (issue 19): a session start trusts a recent success for the same addon files
// instead of loading isolated-vm's addon into the warden; anything else is probed live.
import { describe, expect, it } from 'vitest';
import {
  addonIdentity,
  probeCacheKey,
  probeIsolatedVm,
} from '../../../../src/sandboxes/isolate/isolate-probe.ts';
import { readCached, writeCached } from '../../../../src/util/disk-cache.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';

describe('probeIsolatedVm', () => {
  it('names isolated-vm and the addon files it may load, each with inode, size and mtime', () => {
    const identity = addonIdentity() as string;
    expect(identity.split('\n')[0]).toMatch(/isolated-vm\/package\.json:\d+:\d+:[\d.]+$/);
    expect(identity).toMatch(/\.node:\d+:\d+:[\d.]+$/m);
  });

  it('probes live and caches a success; a start then trusts it for the same addon files', async () => {
    const cache = tmpRoot('isolate-probe');
    const key = probeCacheKey(addonIdentity() as string);
    expect(await probeIsolatedVm(cache)).toEqual({ available: true, version: '6' });
    expect(readCached(cache, key)).toEqual({ available: true, version: '6' });
    // A marked entry shows which answer came from the cache.
    writeCached(cache, key, { available: true, version: 'from-cache' });
    expect(await probeIsolatedVm(cache)).toEqual({ available: true, version: 'from-cache' });
  });

  it('probes live when the addon files differ, when the cached answer is a failure, and without a cache', async () => {
    const cache = tmpRoot('isolate-probe');
    const identity = addonIdentity() as string;
    // Cached for other files (a rebuilt addon has another inode, size or mtime): not this probe's.
    writeCached(cache, probeCacheKey(identity.replace(/:\d+:([\d.]+)$/m, ':1:$1')), {
      available: true,
      version: 'stale',
    });
    expect(await probeIsolatedVm(cache)).toEqual({ available: true, version: '6' });
    writeCached(cache, probeCacheKey(identity), { available: false, reason: 'old', fix: 'x' });
    expect(await probeIsolatedVm(cache)).toEqual({ available: true, version: '6' });
    writeCached(cache, probeCacheKey(identity), { available: true, version: 'from-cache' });
    expect(await probeIsolatedVm()).toEqual({ available: true, version: '6' });
  });
});
