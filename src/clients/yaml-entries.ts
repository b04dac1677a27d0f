import { type Pair, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { WardenError } from '../errors.ts';
import type { DocEntry, Edit } from './config-document.ts';
import { markerLine, readMarker } from './wrap-marker.ts';

/**
 * The `extensions:` of a Goose config.yaml. An entry spans from its key to the end of its mapping;
 * wrapping replaces the `cmd` and `args` values and adds one comment line holding the entry's original
 * text, so comments and layout everywhere else stay byte for byte.
 */
export function findYamlEntries(text: string, file: string): DocEntry[] {
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const [line, col] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [0, 0];
    throw new WardenError(
      'config',
      `${file}:${line}:${col}: not valid YAML (${error.message.split('\n')[0]})`,
      {
        hint: 'fix the file (or restore its backup) and run again',
      },
    );
  }
  const extensions = doc.get('extensions', true);
  if (!isMap(extensions)) return [];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const entries: DocEntry[] = [];
  for (const pair of extensions.items as Pair[]) {
    const key = pair.key;
    const value = pair.value;
    if (!isScalar(key) || !key.range) continue;
    const name = String(key.value);
    const plain = isMap(value) || isSeq(value) || isScalar(value) ? value.toJSON() : value;
    if (!isMap(value) || !value.range || value.flow) {
      entries.push({
        name,
        value: plain,
        offset: key.range[0],
        length: 0,
        unsupported: 'not a block mapping; write the extension as an indented block to wrap it',
        wrapEdits: () => [],
      });
      continue;
    }
    const offset = key.range[0];
    const end = value.range[2];
    const original = text.slice(offset, end);
    const marker = readMarker(original, '#');
    const first = value.range[0];
    const indent = text.slice(text.lastIndexOf('\n', first - 1) + 1, first);
    const find = (name: string): Pair | undefined =>
      (value.items as Pair[]).find((item) => isScalar(item.key) && item.key.value === name);
    entries.push({
      name,
      value: plain,
      offset,
      length: end - offset,
      ...(marker === undefined ? {} : { original: marker }),
      wrapEdits: (launch) => {
        const cmd = find('cmd');
        if (!cmd || !isScalar(cmd.value) || !cmd.value.range) return [];
        const edits: Edit[] = [
          { offset: first, length: 0, text: `${markerLine('#', original)}${eol}${indent}` },
          {
            offset: cmd.value.range[0],
            length: cmd.value.range[1] - cmd.value.range[0],
            text: JSON.stringify(launch.command),
          },
        ];
        const flow = `[${launch.args.map((a) => JSON.stringify(a)).join(', ')}]`;
        const args = find('args');
        const node = args?.value;
        if (args && isSeq(node) && node.range && !node.flow && isScalar(args.key) && args.key.range) {
          // A block sequence: from after the key to the end of its last item, newline included.
          const stop = node.range[1];
          const newline = text.slice(stop - 1, stop) === '\n' ? eol : '';
          edits.push({
            offset: args.key.range[1],
            length: stop - args.key.range[1],
            text: `: ${flow}${newline}`,
          });
        } else if (args && (isSeq(node) || isScalar(node)) && node.range) {
          edits.push({ offset: node.range[0], length: node.range[1] - node.range[0], text: flow });
        } else if (!args) {
          const lineEnd = text.indexOf('\n', cmd.value.range[1]);
          const at = lineEnd < 0 ? text.length : lineEnd + 1;
          edits.push({
            offset: at,
            length: 0,
            text: `${lineEnd < 0 ? eol : ''}${indent}args: ${flow}${eol}`,
          });
        } else return [];
        return edits;
      },
    });
  }
  return entries;
}

/** The entry value a stored original text (`NAME:` and its indented mapping) describes. */
export function parseYamlEntry(original: string, name: string): unknown {
  const doc = parseDocument(original);
  const value = doc.toJSON() as Record<string, unknown> | null;
  return value?.[name];
}
