import { expandBraces } from './braces.ts';
import type { ExpansionBudget } from './braces.ts';
import type { Reading } from './file-uri.ts';
import { FILE_SCHEME, looksLikePath, surfaceForms } from './forms.ts';
import { interpretForms } from './interpret.ts';
import type { InterpretContext } from './interpret.ts';
import { percentDecodeOnce, URI_SCHEME, uriPathParts } from './uri-parts.ts';

/**
 * What a request argument is to the server, as far as the policy knows:
 * - `path`: the tool's input schema marks it as a path: every spelling is anchored, relative too;
 * - `text`: the schema declares it and does not mark it as a path (a message, file contents);
 * - `unknown`: anything else (keys, params outside a known tool's declared arguments, every
 *   argument before tools/list has been seen).
 */
export type Role = 'path' | 'text' | 'unknown';

/** Where a string sits in a request: its role, whether a consumer may expand it as a glob, and the message's expansion meter. */
export interface Site {
  role: Role;
  /**
   * True when the argument is a glob pattern (by name or schema), or a path: brace groups are
   * expanded whatever the spelling looks like. Asked only of values holding a brace.
   */
  isGlob: () => boolean;
  budget: ExpansionBudget;
}

/** Spellings one value may have before it is refused as too costly to check (only braces get near it). */
const MAX_SPELLINGS = 1024;
/** Brace expansions of one spelling; far above any real glob (`**\/*.{ts,tsx,js,jsx}` has 4). */
const MAX_EXPANSIONS = 256;
/** Longer than PATH_MAX: such a name cannot reach an entry. */
const MAX_NAME_LENGTH = 4096;
/** NAME_MAX: a component longer than this cannot name an entry. */
const MAX_COMPONENT_LENGTH = 255;

/**
 * Plain text: ASCII without a control character, `.`, `/`, `\`, `:`, `{`, `~` or `%`. No spelling of
 * it (trimmed, URL-cleaned, decoded, expanded) can be absolute, a URI, contain a separator or a dot,
 * so it cannot leave a root; outside path arguments such strings are not looked at any further.
 */
// eslint-disable-next-line no-control-regex
const MAY_NAME_FILE = /[\x00-\x1f\x7f./:{~%\\\u0080-\uffff]/;

const LINE_BREAK = /[\n\r]/;
/**
 * False only when no surface form of the value can start with a scheme: the URL parser drops tabs
 * and line breaks and strips C0 controls and spaces at the start, and any non-ASCII character is
 * taken as one NFKC might fold into a letter, a colon or a space.
 */
const MAY_START_WITH_SCHEME =
  // eslint-disable-next-line no-control-regex
  /^[\x00-\x20\u0080-\uffff]*[A-Za-z\u0080-\uffff][A-Za-z0-9+.\-\t\n\r\u0080-\uffff]*[:\u0080-\uffff]/;
// eslint-disable-next-line no-control-regex
const SPACE_OR_CONTROL = /[\s\x00-\x1f\x7f]/;
/** A URI with an authority: `scheme://`. */
const HIERARCHICAL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** A spelling a glob library would take for a pattern: braces, and neither whitespace nor JSON quotes. */
const NOT_A_PATTERN = /[\s"]/;

/** False for plain text that cannot name a file in any spelling (see MAY_NAME_FILE): the fast path. */
export function mayNameFile(value: string): boolean {
  return MAY_NAME_FILE.test(value);
}

/**
 * The readings of a request string at `site`, or undefined when nothing in it needs anchoring.
 * Every spelling a consumer might act on is derived (surfaceForms; each percent-decoded once; brace
 * expansions for glob-like sites; the path parts of a URI of any scheme, see uriPathParts), then:
 * - at a `path` site, every spelling is anchored, relative ones against every root;
 * - elsewhere, spellings that look like paths are anchored the same way, and relative names that
 *   could name an entry (no whitespace, a `.`, `/` or `\`) must not reach outside through a symlink
 *   from any root (`link-out/secret`, `secret.txt` when it is a link);
 * - in `text`, a spelling that still holds a line break is text, not a path (file contents,
 *   messages): only the trimmed value counts, and for a multi-line value only a URL parser's
 *   reading (tabs and line breaks dropped) when that reads as a URI (`fi\nle:///x`, see consumerForms).
 */
export function siteReading(value: string, site: Site, ctx: InterpretContext): Reading | undefined {
  if (site.role !== 'path' && !MAY_NAME_FILE.test(value)) return undefined;
  // File contents: every spelling but the URL parser's keeps a line break, and that one has no scheme.
  if (site.role === 'text' && !MAY_START_WITH_SCHEME.test(value) && LINE_BREAK.test(value.trim())) {
    return undefined;
  }
  const spellings = deriveSpellings(value, site);
  if (!spellings.ok) return spellings;
  if (site.role === 'path') return interpretForms(spellings.forms, [], ctx, true);
  const paths: string[] = [];
  const names: string[] = [];
  for (const form of spellings.forms) {
    if (form.includes('\0') || looksLikePath(form)) paths.push(form);
    else if (isName(form)) names.push(form);
  }
  if (paths.length === 0 && names.length === 0) return undefined;
  return interpretForms(paths, names, ctx, true);
}

type Spellings = { ok: true; forms: Set<string> } | { ok: false; why: string };

function deriveSpellings(value: string, site: Site): Spellings {
  const forms = new Set<string>();
  for (const form of consumerForms(value, site.role)) {
    forms.add(form);
    // file: URIs are decoded by readFileUri, which also refuses what decodes twice.
    if (form.includes('%') && !FILE_SCHEME.test(form)) {
      for (const decoded of consumerForms(percentDecodeOnce(form), site.role)) forms.add(decoded);
    }
  }
  for (const form of [...forms]) {
    if (!form.includes('{')) continue;
    if (NOT_A_PATTERN.test(form) && !site.isGlob()) continue; // prose or JSON, not a pattern
    const expansion = expandBraces(form, MAX_EXPANSIONS, site.budget);
    if (!expansion.ok) return expansion;
    for (const expanded of expansion.forms) forms.add(expanded);
    if (forms.size > MAX_SPELLINGS) return { ok: false, why: 'has too many spellings to check' };
  }
  for (const form of [...forms]) {
    if (FILE_SCHEME.test(form) || !URI_SCHEME.test(form)) continue;
    // As the URL parser hands them over: not trimmed (`re: ../x` is prose, its part " ../x" harmless).
    for (const part of uriPathParts(form)) {
      for (const partForm of normalForms(part)) forms.add(partForm);
    }
    if (forms.size > MAX_SPELLINGS) return { ok: false, why: 'has too many spellings to check' };
  }
  return { ok: true, forms };
}

/**
 * surfaceForms, less (in `text`) the spellings that are text rather than a path: those still holding
 * a line break, and for a multi-line value the URL parser's joined lines unless they read as a URI
 * (one token with a scheme, or `scheme://...`, or `file:`): "re:\n/etc is" joins into
 * "re:/etc is", prose; "fi\nle:///a b" joins into a file: URI.
 */
function consumerForms(text: string, role: Role): string[] {
  const forms = surfaceForms(text);
  if (role !== 'text') return forms;
  const multiLine = LINE_BREAK.test(text.trim());
  return forms.filter(
    (form) =>
      !LINE_BREAK.test(form) &&
      (!multiLine ||
        (URI_SCHEME.test(form) &&
          (!SPACE_OR_CONTROL.test(form) || FILE_SCHEME.test(form) || HIERARCHICAL.test(form)))),
  );
}

/** `text` with its NFC and NFKC forms (NFKC folds "．．／" into "../"). */
function normalForms(text: string): string[] {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text) || !text.isWellFormed()) return [text];
  return [text, text.normalize('NFC'), text.normalize('NFKC')];
}

/** A relative name that could name an entry: one token with a `.`, `/` or `\`, not a URI, each component short enough. */
function isName(form: string): boolean {
  if (form.length > MAX_NAME_LENGTH || form === '.' || !/[./\\]/.test(form)) return false;
  if (SPACE_OR_CONTROL.test(form) || URI_SCHEME.test(form)) return false;
  return form.split(/[/\\]/).every((component) => component.length <= MAX_COMPONENT_LENGTH);
}
