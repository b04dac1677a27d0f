import { isRecord } from '../util/is-record.ts';

/** The file's indentation step: the leading whitespace of its first indented line (default two spaces). */
export function indentUnit(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  return match?.[1] ?? '  ';
}

/** An object as multi-line JSON at `indent`; arrays of scalars stay on one line. */
export function formatObject(
  entries: readonly [string, unknown][],
  indent: string,
  unit: string,
  eol: string,
): string {
  if (entries.length === 0) return '{}';
  const inner = indent + unit;
  const lines = entries.map(
    ([key, value]) => `${inner}${JSON.stringify(key)}: ${formatValue(value, inner, unit, eol)}`,
  );
  return `{${eol}${lines.join(`,${eol}`)}${eol}${indent}}`;
}

function formatValue(value: unknown, indent: string, unit: string, eol: string): string {
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    }
    const inner = indent + unit;
    return `[${eol}${value.map((item) => inner + formatValue(item, inner, unit, eol)).join(`,${eol}`)}${eol}${indent}]`;
  }
  if (isRecord(value)) return formatObject(Object.entries(value), indent, unit, eol);
  return JSON.stringify(value) ?? 'null';
}
