/** Where a string sits in a walked value: a chain of keys up to the root. Spelt out by {@link describeSite}. */
export interface Location {
  readonly key: string | number;
  readonly parent: Location | undefined;
}

interface Frame {
  value: unknown;
  at: Location | undefined;
  argument: string | undefined;
}

/**
 * Called for each string met by {@link walkStrings}: an object key (`isKey`; `at` is the location
 * that key names) or a string value (`at` is its location, undefined when the root itself is a
 * string). `argument`: for tools/call params, the top-level key under `arguments` this string sits
 * in, if any. Returning anything but undefined stops the walk, which then returns that value.
 */
export type StringVisitor<T> = (
  value: string,
  isKey: boolean,
  argument: string | undefined,
  at: Location | undefined,
) => T | undefined;

/**
 * Visit every string value and object key anywhere in `root`, depth-first, without recursion
 * (framing already capped the depth, but an explicit stack cannot overflow either way). An
 * object's keys are visited (last key first) when the object is reached, then its values in
 * order. When `toolArguments` is true, strings below `root.arguments.<key>` report `<key>` as
 * their argument. Returns the first non-undefined result of `visit`, or undefined.
 * Walks are hot (every string of every request): no object or closure per string, and a
 * location is spelt out only when a caller asks `describeSite` (to report a violation).
 */
export function walkStrings<T>(
  root: unknown,
  toolArguments: boolean,
  visit: StringVisitor<T>,
): T | undefined {
  const stack: Frame[] = [{ value: root, at: undefined, argument: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { value, at, argument } = frame;
    if (typeof value === 'string') {
      const stop = visit(value, false, argument, at);
      if (stop !== undefined) return stop;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], at: { key: i, parent: at }, argument });
      }
    } else if (typeof value === 'object' && value !== null) {
      const isArgs = toolArguments && at !== undefined && at.parent === undefined && at.key === 'arguments';
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const here: Location = { key, parent: at };
        const stop = visit(key, true, argument, here);
        if (stop !== undefined) return stop;
        stack.push({ value: record[key], at: here, argument: isArgs ? key : argument });
      }
    }
  }
  return undefined;
}

/** Where a visited string sits, e.g. "arguments.files[2]" or "key of arguments.path"; "params" for the root. */
export function describeSite(at: Location | undefined, isKey: boolean): string {
  return isKey ? `key of ${describe(at)}` : describe(at);
}

function describe(at: Location | undefined): string {
  const keys: (string | number)[] = [];
  for (let l = at; l !== undefined; l = l.parent) keys.push(l.key);
  let text = '';
  for (const key of keys.reverse()) {
    text += typeof key === 'number' ? `[${key}]` : text === '' ? key : `.${key}`;
  }
  return text === '' ? 'params' : text;
}
