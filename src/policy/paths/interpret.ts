import type { ResolvedRoot } from '../../config/root.ts';
import { readFileUri } from './file-uri.ts';
import type { Reading } from './file-uri.ts';
import { FILE_SCHEME, surfaceForms, WINDOWS_PATH } from './forms.ts';

/** `~user` or `~user/...` as a shell expands it; "~ approximately" is a relative name, not a home. */
const TILDE_USER = /^~[^\s/]*(?:\/|$)/;

/** Longer than PATH_MAX: no kernel would accept it, and it bounds the work per value. */
const MAX_PATH_BYTES = 4096;

export interface InterpretContext {
  roots: readonly ResolvedRoot[];
  home: string;
}

/**
 * Every absolute, not yet normalised path that `value` may denote: each surface form (as given,
 * NFC, NFKC, trimmed, URL-cleaned), `file:` URIs decoded, `~` expanded against home, relative
 * paths joined to the first root, and `\` read both as a character and as a separator.
 * Refused outright: NUL, lone surrogates, Windows forms, `~user`, remote or malformed URIs,
 * relative paths when there are no roots, and over-long paths.
 */
export function interpretValue(value: string, ctx: InterpretContext): Reading {
  if (!value.isWellFormed()) return { ok: false, why: 'contains a lone surrogate' };
  return interpretForms(surfaceForms(value), [], ctx, false);
}

/**
 * The readings of spellings already derived from one value (see siteReading), as interpretValue
 * reads each one. With `everyRoot`, a relative spelling is also joined to every other root (in
 * `alsoAt`): a server with several roots may resolve it against any of them. `names` are relative
 * names that matter only if they reach an existing entry: paired with every root, in `entries`.
 */
export function interpretForms(
  forms: Iterable<string>,
  names: Iterable<string>,
  ctx: InterpretContext,
  everyRoot: boolean,
): Reading {
  const out = new Set<string>();
  const also = new Set<string>();
  for (const form of forms) {
    if (FILE_SCHEME.test(form)) {
      const uri = readFileUri(form);
      if (!uri.ok) return uri;
      for (const decoded of uri.paths) {
        for (const decodedForm of surfaceForms(decoded)) {
          const failure = addPlainPath(decodedForm, ctx, out, everyRoot ? also : undefined);
          if (failure) return failure;
        }
      }
    } else {
      const failure = addPlainPath(form, ctx, out, everyRoot ? also : undefined);
      if (failure) return failure;
    }
  }
  const entries: Array<readonly [string, string]> = [];
  for (const name of names) {
    for (const spelling of new Set([name, name.replaceAll('\\', '/')])) {
      for (const root of ctx.roots) {
        if (root.path.startsWith('/')) entries.push([root.path, spelling]);
      }
    }
  }
  return {
    ok: true,
    paths: [...out],
    ...(also.size === 0 ? {} : { alsoAt: [...also] }),
    ...(entries.length === 0 ? {} : { entries }),
  };
}

function addPlainPath(
  form: string,
  ctx: InterpretContext,
  out: Set<string>,
  also: Set<string> | undefined,
): Reading | undefined {
  if (form.includes('\0')) return { ok: false, why: 'contains a NUL byte' };
  if (!form.isWellFormed()) return { ok: false, why: 'contains a lone surrogate' };
  if (WINDOWS_PATH.test(form)) return { ok: false, why: 'is a Windows path' };
  for (const spelling of new Set([form, form.replaceAll('\\', '/')])) {
    let absolute: string;
    if (spelling === '~' || spelling.startsWith('~/')) {
      absolute = ctx.home + spelling.slice(1);
    } else if (TILDE_USER.test(spelling)) {
      return { ok: false, why: 'names another user’s home (~user)' };
    } else if (spelling.startsWith('/')) {
      absolute = spelling;
    } else {
      const first = ctx.roots[0];
      if (!first) return { ok: false, why: 'is relative and no root is configured' };
      absolute = `${first.path}/${spelling}`;
      for (let i = 1; also !== undefined && i < ctx.roots.length; i++) {
        const joined = `${(ctx.roots[i] as ResolvedRoot).path}/${spelling}`;
        if (!joined.startsWith('/')) return { ok: false, why: 'does not resolve to an absolute path' };
        if (Buffer.byteLength(joined, 'utf8') > MAX_PATH_BYTES) return { ok: false, why: 'is too long' };
        also.add(joined);
      }
    }
    if (!absolute.startsWith('/')) return { ok: false, why: 'does not resolve to an absolute path' };
    if (Buffer.byteLength(absolute, 'utf8') > MAX_PATH_BYTES) return { ok: false, why: 'is too long' };
    out.add(absolute);
  }
  return undefined;
}
