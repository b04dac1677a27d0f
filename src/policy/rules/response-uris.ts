/* eslint-disable no-control-regex -- a consumer skips leading C0 controls: the patterns must too */
import { describeLocation } from '../../guards/guard-message.ts';
import type { StringSite } from '../../guards/guard-message.ts';
import type { PolicyContext } from '../types.ts';
import { anchorValue } from '../paths/anchor.ts';
import { hasFileScheme, isPathLike } from '../paths/forms.ts';
import { createResolver } from '../paths/resolver.ts';
import { uriPathParts } from '../paths/uri-parts.ts';
import type { Resolver } from '../paths/resolver.ts';
import { reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/** `file:` with JSON-escaped tabs or line breaks anywhere in the scheme (a URL parser drops them). */
const ESCAPED_FILE_SCHEME = /[fF](?:\\[tnr])*[iI](?:\\[tnr])*[lL](?:\\[tnr])*[eE](?:\\[tnr])*:/;

/**
 * Pre-check on a server message's decoded line (`bytes`: its length in UTF-8): without one of these,
 * no string in it can be a link the rule below checks. A `file:` scheme may hide behind JSON-escaped
 * tabs and newlines, `\u` escapes, or non-ASCII look-alikes (NFKC); bare paths only count under `uri`
 * keys. A line is pure ASCII exactly when its UTF-8 length is its length in UTF-16 units, which costs
 * nothing to ask; the rest are substring searches and one linear regex (~0.5 ms per MB).
 */
export function mayHoldLink(text: string, bytes: number): boolean {
  return (
    bytes !== text.length || text.includes('\\u') || text.includes('"uri') || ESCAPED_FILE_SCHEME.test(text)
  );
}

/**
 * The link rule, applied by the content walk (guards/guard-message.ts) to every string of every server
 * message, keys included, as the client will receive it: a string that is a `file:` URI (in any
 * surface form a consumer might read: leading blanks, tabs or newlines inside the scheme, NFKC
 * look-alikes, or behind other schemes such as `jar:file:`), and under a `uri`/`uriTemplate` key a
 * bare path (absolute, `~`, `..`) or a URI of another scheme whose path is absolute or climbs, must lie
 * inside the roots; otherwise the server is killed with `path.outside-root`. The text of a text content block and the text/blob of resource contents are
 * prose or file data, never dereferenced, and are left alone: a file may mention `file:///etc/passwd`.
 * Returns a checker holding one filesystem resolver per message (its lookup budget bounds the work).
 */
export function linkRule(ctx: PolicyContext): (value: string, site: StringSite) => Rejection | undefined {
  let resolver: Resolver | undefined; // made when the first link needs anchoring
  return (value, site) => {
    for (const target of linkTargets(value, site)) {
      resolver ??= createResolver(ctx.realpath, ctx.readlink);
      const anchoring = anchorValue(target, ctx, resolver);
      if (anchoring.inside) continue;
      const where = describeLocation(site.at, site.isKey);
      return reject('kill', 'path.outside-root', `server sent ${where} that ${anchoring.why}`, value);
    }
    return undefined;
  };
}

/** `jar:file:…`, `view-source:file:…`: a file URI behind other schemes (bounded, so linear). */
const NESTED_FILE = /^[\x00-\x20]*(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:){1,4}(?=file:)/i;
/** A URI scheme of two letters or more (one letter is a Windows drive, which is a path). */
const HAS_SCHEME = /^[\x00-\x20]*[A-Za-z][A-Za-z0-9+.-]{1,31}:/;
const LEADING_BLANKS = /^[\x00-\x20]+/;
/** A `..` component, with / and \\ both read as separators. */
const DOT_DOT = /(?:^|[\\/])\.\.(?:[\\/]|$)/;

/**
 * What to anchor for `value` (nothing when it is not a link): a `file:` URI itself, the `file:` URI
 * behind other schemes, and under a `uri`/`uriTemplate` key a bare path, or the path parts of a URI of
 * another scheme that are absolute or climb with `..` (`notes:///etc/x`, `notes://../x`: what the
 * request side refuses to let a client read, paths/uri-parts.ts); plain names (`demo://docs/a.md`) stay.
 */
function linkTargets(value: string, site: StringSite): string[] {
  if (isPayloadText(site)) return [];
  if (hasFileScheme(significantHead(value))) return [value];
  const nested = NESTED_FILE.exec(value);
  if (nested) return [value.slice(nested[0].length)];
  const key = site.at.key;
  if (site.isKey || (key !== 'uri' && key !== 'uriTemplate')) return [];
  if (!HAS_SCHEME.test(value)) return isPathLike(value) ? [value] : [];
  return uriPathParts(value.replace(LEADING_BLANKS, '')).filter(
    (part) => part.startsWith('/') || part.startsWith('~') || DOT_DOT.test(part),
  );
}

/** The text of a text content block, or the text/blob of resource contents (which carry a `uri`). */
function isPayloadText(site: StringSite): boolean {
  const { holder, at } = site;
  if (site.isKey || !holder) return false;
  if (at.key === 'text') return holder.type === 'text' || typeof holder.uri === 'string';
  return at.key === 'blob' && typeof holder.uri === 'string';
}

/** Enough of a string's start to tell whether any surface form of it begins with `file:`. */
const HEAD_CHARS = 64;

/**
 * The first characters of `value` that a consumer could read as its start: leading blanks and C0
 * controls skipped (trim, URL parsing), tabs and newlines dropped (URL parsing). Whether some surface
 * form starts with `file:` depends on nothing else, so hasFileScheme (which normalises whole strings)
 * is asked about this head only: a 16 MB result costs no copy, and at worst the leading blanks.
 */
function significantHead(value: string): string {
  let i = 0;
  while (i < value.length && isLeadingBlank(value.charCodeAt(i))) i++;
  let head = '';
  for (; i < value.length && head.length < HEAD_CHARS; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x09 && c !== 0x0a && c !== 0x0d) head += value[i];
  }
  // A cut surrogate pair would make the head ill-formed, and an ill-formed string is not normalised.
  const last = head.charCodeAt(head.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? head.slice(0, -1) : head;
}

/** C0 controls, space, and what String.prototype.trim removes. */
function isLeadingBlank(c: number): boolean {
  return (
    c <= 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
