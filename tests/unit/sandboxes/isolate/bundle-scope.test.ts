// The rules of the host-side bundle step (issue 20 item 1): where a file may come from, how it may load.
import { describe, expect, it } from 'vitest';
import {
  attributeRefusal,
  isWithin,
  loaderFor,
  placeOf,
} from '../../../../src/sandboxes/isolate/bundle-scope.ts';

const scope = {
  entry: '/srv/pkg/bin/server',
  code: ['/srv/pkg', '/srv/node_modules'],
  warden: ['/opt/warden/guest'],
};

describe('bundle scope', () => {
  it('compares paths by components, never by string prefix', () => {
    expect(isWithin('/srv/pkg/a.js', '/srv/pkg')).toBe(true);
    expect(isWithin('/srv/pkg', '/srv/pkg')).toBe(true);
    expect(isWithin('/srv/pkg-evil/a.js', '/srv/pkg')).toBe(false);
    expect(placeOf(scope, '/srv/node_modules/dep/index.js')).toBe('code');
    expect(placeOf(scope, '/opt/warden/guest/fs.ts')).toBe('warden');
    expect(placeOf(scope, '/etc/shadow')).toBe('outside');
    expect(placeOf(scope, '/srv/pkg-evil/a.js')).toBe('outside');
  });

  it('loads code and JSON only; the extensionless entry as JavaScript', () => {
    expect(loaderFor(scope, '/srv/pkg/a.mjs', {})).toEqual({ loader: 'js' });
    expect(loaderFor(scope, '/srv/pkg/a.cts', {})).toEqual({ loader: 'ts' });
    expect(loaderFor(scope, '/srv/pkg/data.json', {})).toEqual({ loader: 'json' });
    expect(loaderFor(scope, '/srv/pkg/data.geo', { type: 'json' })).toEqual({ loader: 'json' });
    expect(loaderFor(scope, '/srv/pkg/bin/server', {})).toEqual({ loader: 'js' });
    for (const file of ['/srv/pkg/notes.txt', '/srv/pkg/logo.png', '/srv/pkg/a.wasm', '/srv/pkg/a.css'])
      expect(loaderFor(scope, file, {}), file).toHaveProperty('refusal');
  });

  it('refuses every import attribute but { type: "json" }', () => {
    expect(attributeRefusal(undefined)).toBeUndefined();
    expect(attributeRefusal({ type: 'json' })).toBeUndefined();
    for (const attributes of [
      { type: 'text' },
      { type: 'bytes' },
      { type: 'file' },
      { loader: 'text' },
    ] as Record<string, string>[])
      expect(attributeRefusal(attributes), JSON.stringify(attributes)).toMatch(/not allowed/);
    expect(loaderFor(scope, '/srv/pkg/a.js', { type: 'text' })).toHaveProperty('refusal');
  });
});
