/**
 * Finds PEM private-key blocks (`-----BEGIN … PRIVATE KEY-----` … `-----END … PRIVATE KEY-----`) by hand,
 * in time linear in the text. A regex for this shape needs a repetition over alternatives that overlap
 * (base64 letters are also header-name letters), and V8's backtracking engine makes that exponential:
 * a 562-byte line of `aaaa:` header look-alikes froze the warden (issue 20, item 6).
 *
 * The body between the two labels is a sequence of units: base64 characters and whitespace, the
 * two-character escapes `\n`/`\r` of a key pasted into JSON or code, and header lines (`Proc-Type: …`)
 * running to the next newline (real or escaped). At least {@link MIN_BODY_UNITS} units are required so
 * that a bare `"-----BEGIN PRIVATE KEY-----"` string constant is left alone.
 */
const MIN_BODY_UNITS = 32;
const BEGIN = '-----BEGIN ';
const END = '-----END ';
/** The label after BEGIN/END: a few upper-case words, then PRIVATE KEY. Bounded, so one try is O(1). */
const LABEL = /(?:[A-Z0-9]{1,32} ){0,8}PRIVATE KEY(?: BLOCK)?-----/y;

/** The [start, end) ranges of every private-key block in `text`, in order, never overlapping. */
export function findPrivateKeys(text: string): [number, number][] {
  const found: [number, number][] = [];
  let from = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, from);
    if (begin < 0) return found;
    const bodyStart = labelEnd(text, begin + BEGIN.length);
    if (bodyStart < 0) {
      from = begin + 1;
      continue;
    }
    const body = scanBody(text, bodyStart);
    if (body.end >= 0) {
      found.push([begin, body.end]);
      from = body.end;
    } else {
      // Every position before `stop` was read as body text, which a BEGIN marker cannot be (short of
      // the value of a header line), so resuming there scans each character once: linear overall.
      from = Math.max(begin + 1, body.stop);
    }
  }
}

/** The index just after a label starting at `at`, or -1. */
function labelEnd(text: string, at: number): number {
  LABEL.lastIndex = at;
  return LABEL.test(text) ? LABEL.lastIndex : -1;
}

/**
 * Read body units from `at`: `end` is the index after the END label when the body is well formed and
 * long enough (else -1), `stop` where reading stopped.
 */
function scanBody(text: string, at: number): { end: number; stop: number } {
  let units = 0;
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isBodyChar(c)) {
      units++;
      i++;
      continue;
    }
    if (c === BACKSLASH && i + 1 < text.length && isEscapedBreak(text.charCodeAt(i + 1))) {
      units++;
      i += 2;
      continue;
    }
    if (c === DASH && text.startsWith(END, i)) {
      const end = labelEnd(text, i + END.length);
      if (end >= 0 && units >= MIN_BODY_UNITS) return { end, stop: end };
    }
    // A header line: a name of letters and dashes (its letters were read as base64 already), a colon,
    // and anything up to the next line break.
    let j = i;
    while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
    const named = j > i || (i > at && isNameChar(text.charCodeAt(i - 1)));
    if (!named || text.charCodeAt(j) !== COLON) return { end: -1, stop: i };
    const next = lineBreakAfter(text, j + 1);
    if (next < 0) return { end: -1, stop: text.length };
    units++;
    i = next;
  }
  return { end: -1, stop: text.length };
}

/** The index after the first real or escaped line break at or after `from`, or -1. */
function lineBreakAfter(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) return i + 1;
    if (c === BACKSLASH && i + 1 < text.length && text.charCodeAt(i + 1) === LOWER_N) return i + 2;
  }
  return -1;
}

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const DASH = 0x2d;
const COLON = 0x3a;
const LOWER_N = 0x6e;
const LOWER_R = 0x72;

function isEscapedBreak(c: number): boolean {
  return c === LOWER_N || c === LOWER_R;
}

/** [A-Za-z0-9+/=] and whitespace. */
function isBodyChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2b ||
    c === 0x2f ||
    c === 0x3d ||
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0xfeff ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** [A-Za-z-] */
function isNameChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === DASH;
}
