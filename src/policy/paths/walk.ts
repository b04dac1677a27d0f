/** One string met while walking a JSON value: an object key or a string value. */
export interface StringSite {
  value: string;
  isKey: boolean;
  /** For tools/call params: the top-level key under `arguments` this string sits in, if any. */
  argument: string | undefined;
  /** Where it sits, e.g. "arguments.files[2]" (built on demand; walks are hot). */
  where: () => string;
}

interface Location {
  key: string | number;
  parent: Location | undefined;
}

interface Frame {
  value: unknown;
  at: Location | undefined;
  argument: string | undefined;
}

/**
 * Every string value and object key anywhere in `root`, depth-first, without recursion (framing
 * already capped the depth, but an explicit stack cannot overflow either way). When
 * `toolArguments` is true, strings below `root.arguments.<key>` report `<key>` as their argument.
 */
export function* walkStrings(root: unknown, toolArguments: boolean): Generator<StringSite> {
  const stack: Frame[] = [{ value: root, at: undefined, argument: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { value, at, argument } = frame;
    if (typeof value === 'string') {
      yield { value, isKey: false, argument, where: () => describe(at) };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], at: { key: i, parent: at }, argument });
      }
    } else if (typeof value === 'object' && value !== null) {
      const isArgs = toolArguments && at !== undefined && at.parent === undefined && at.key === 'arguments';
      for (const [key, child] of Object.entries(value).reverse()) {
        const here: Location = { key, parent: at };
        yield { value: key, isKey: true, argument, where: () => `key of ${describe(here)}` };
        stack.push({ value: child, at: here, argument: isArgs ? key : argument });
      }
    }
  }
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
