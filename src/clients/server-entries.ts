import { type Node, type ParseError, getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';
import { WardenError } from '../errors.ts';
import { CLIENT_FORMATS, type ClientFormat, type ServerMapPath, detectFormat } from './client-formats.ts';

/** One server entry of a client config, located in the original text. */
export interface ServerEntry {
  /** The server's name (its key), prefixed with the project for ~/.claude.json project entries. */
  name: string;
  /** The entry's value as parsed. */
  value: unknown;
  /** Offset and length of the entry's value (the `{...}`) in the text. */
  offset: number;
  length: number;
  /** The whitespace before the entry's key on its line (to indent a rewritten entry alike). */
  indent: string;
}

/** A parsed config: its format and every server entry, in file order. */
export interface ConfigEntries {
  format: ClientFormat;
  entries: ServerEntry[];
}

/**
 * Find the server entries of a client config, keeping the offsets of each in the original text so an
 * edit touches that entry's bytes only. Throws a config error (with line and column) when the text is
 * not JSON/JSONC.
 */
export function findServerEntries(text: string, file: string, forced?: ClientFormat): ConfigEntries {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !root) {
    const first = errors[0];
    const where = first ? lineCol(text, first.offset) : '';
    throw new WardenError(
      'config',
      `${file}${where}: not valid JSON${first ? ` (${printParseErrorCode(first.error)})` : ''}`,
      { hint: 'fix the file (or restore its backup) and run again' },
    );
  }
  if (root.type !== 'object') throw new WardenError('config', `${file}: the top level must be a JSON object`);
  const topKeys = (root.children ?? []).map((p) => String(p.children?.[0]?.value));
  const format = forced ?? detectFormat(file, topKeys);
  const entries: ServerEntry[] = [];
  for (const mapPath of CLIENT_FORMATS[format].serverMaps) {
    for (const { node, prefix } of resolveMaps(root, mapPath, '')) {
      if (node.type !== 'object') continue;
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (!key || !value) continue;
        entries.push({
          name: `${prefix}${String(key.value)}`,
          value: getNodeValue(value),
          offset: value.offset,
          length: value.length,
          indent: indentBefore(text, property.offset),
        });
      }
    }
  }
  return { format, entries };
}

function resolveMaps(node: Node, path: ServerMapPath, prefix: string): { node: Node; prefix: string }[] {
  if (path.length === 0) return [{ node, prefix }];
  const [head, ...rest] = path;
  if (node.type !== 'object') return [];
  const out: { node: Node; prefix: string }[] = [];
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (!key || !value) continue;
    if (head === '*') out.push(...resolveMaps(value, rest, `${prefix}${String(key.value)}:`));
    else if (key.value === head) out.push(...resolveMaps(value, rest, prefix));
  }
  return out;
}

function indentBefore(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : '';
}

/** `:line:column` of an offset, for messages. */
export function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `:${line}:${offset - before.lastIndexOf('\n')}`;
}
