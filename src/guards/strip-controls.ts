/* eslint-disable no-control-regex, no-misleading-character-class -- matching control characters, joiners
   and variation selectors one by one is the point of this file */
/**
 * What a server can use to hide or reorder what a human or a model sees, removed from its text:
 * - terminal escapes: ANSI CSI/OSC and other ESC sequences (7-bit and their C1 forms), lone ESC/C1;
 * - bidi embedding, override and isolate characters (Trojan Source);
 * - invisible characters that carry text nobody sees: Unicode tag characters (U+E0000–U+E007F, "ASCII
 *   smuggling"), zero-width space, word joiner and invisible operators, BOM, the Mongolian vowel
 *   separator, deprecated format characters, interlinear annotations, blank Hangul fillers, Khmer
 *   invisible vowels, shorthand and musical format controls, and the other default-ignorable code
 *   points of the tag block's plane;
 * - runs of joiners or variation selectors, which could encode a payload one invisible character at a
 *   time: each run keeps its first character only, so emoji sequences (👩‍💻, ❤️) and ideographic
 *   variants stay as they are.
 * Ordinary marks (LRM/RLM/ALM), tabs and newlines stay. Every pattern here is a single character or a
 * sequence whose repetitions are disjoint classes, so one pass is linear in the text.
 */
const ESCAPES =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?|[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Invisible characters removed outright (see the list above). */
const INVISIBLE =
  /[\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u2060-\u2065\u206a-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb]|\ud82f[\udca0-\udca3]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udcff\uddf0-\udfff]|[\udb41-\udb43][\udc00-\udfff]/g;

/** A joiner (ZWNJ/ZWJ) or variation selector (U+FE00–FE0F, U+E0100–E01EF) following another one. */
const INVISIBLE_RUN =
  /(?<=[\u200c\u200d])[\u200c\u200d]+|(?<=[\ufe00-\ufe0f]|\udb40[\udd00-\uddef])(?:[\ufe00-\ufe0f]|\udb40[\udd00-\uddef])+/g;

/** Any character that starts something removed here; no match means nothing to do. */
export const ANY_CONTROL =
  /[\u001b\u0080-\u009f\u202a-\u202e\u2066-\u2069\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2065\u206a-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ud82f\ud834\udb40-\udb43]/;

/** The text without terminal escapes, bidi controls and invisible characters, and how many were removed; undefined when none. */
export function stripControls(text: string): { text: string; removed: number } | undefined {
  if (!ANY_CONTROL.test(text)) return undefined;
  let removed = 0;
  const drop = (): string => {
    removed++;
    return '';
  };
  // Runs are collapsed last: removing what sat between two joiners must not leave a run behind.
  const out = text
    .replace(ESCAPES, drop)
    .replace(INVISIBLE, drop)
    .replace(INVISIBLE_RUN, (run) => {
      for (let i = 0; i < run.length; i++) if (!isLowSurrogate(run.charCodeAt(i))) removed++;
      return '';
    });
  return removed > 0 ? { text: out, removed } : undefined;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Pre-check on a decoded JSON line: a character {@link stripControls} may remove, or any JSON `\u` escape
 * (which could encode one; JSON forbids a raw ESC inside strings, so it always arrives escaped).
 */
export const CONTROL_CANDIDATE = new RegExp(`${ANY_CONTROL.source}|\\\\u`);
