/* eslint-disable no-control-regex -- matching control characters is the point of this file */
/**
 * Terminal escapes and bidi controls that let a server hide or reorder what a human sees: ANSI CSI/OSC
 * and other ESC sequences (7-bit and their C1 forms), lone ESC/C1 controls, and the bidi embedding,
 * override and isolate characters (Trojan Source). Ordinary marks (LRM/RLM), tabs and newlines stay.
 */
const CONTROLS =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?|[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g;

const ANY_CONTROL = /[\u001b\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;

/** The text without terminal escapes and bidi controls, and how many were removed; undefined when none. */
export function stripControls(text: string): { text: string; removed: number } | undefined {
  if (!ANY_CONTROL.test(text)) return undefined;
  let removed = 0;
  const out = text.replace(CONTROLS, () => {
    removed++;
    return '';
  });
  return removed > 0 ? { text: out, removed } : undefined;
}

/**
 * Pre-check on a decoded JSON line: a control {@link stripControls} removes, or any JSON `\u` escape
 * (which could encode one; JSON forbids a raw ESC inside strings, so it always arrives escaped).
 */
export const CONTROL_CANDIDATE = /[\u001b\u0080-\u009f\u202a-\u202e\u2066-\u2069]|\\u/;
