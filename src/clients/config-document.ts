import { parse as parseJsonc } from 'jsonc-parser';
import path from 'node:path';
import { isRecord } from '../util/is-record.ts';
import { CLIENT_FORMATS, type ClientFormat, detectFormat } from './client-formats.ts';
import { findServerEntries } from './server-entries.ts';
import { wrappedJsonPairs } from './server-shape.ts';
import { findTomlEntries, parseTomlEntry } from './toml-entries.ts';
import { findYamlEntries, parseYamlEntry } from './yaml-entries.ts';
import { formatObject, indentUnit } from './json-format.ts';

/** A replacement of `length` bytes at `offset`. */
export interface Edit {
  offset: number;
  length: number;
  text: string;
}

/** One server entry of a client config, located in the text. */
export interface DocEntry {
  /** The server's name (its key), prefixed with the project for ~/.claude.json project entries. */
  name: string;
  /** The entry's value as parsed. */
  value: unknown;
  /** Offset and length of the whole entry in the text (what unwrap replaces). */
  offset: number;
  length: number;
  /** The original text a previous wrap kept, when the entry is wrapped. */
  original?: string;
  /** Why this entry's layout cannot be edited (it is left alone with this note). */
  unsupported?: string;
  /** The edits that wrap the entry: new command and args, plus the marker holding its original text. */
  wrapEdits: (launch: { command: string; args: string[] }) => Edit[];
}

/** A parsed client config. */
export interface ConfigDocument {
  format: ClientFormat;
  entries: DocEntry[];
  /** The entry value a kept original text describes (for unwrap's check of later edits). */
  parseOriginal: (original: string, name: string) => unknown;
}

/** The reserved key inside a wrapped JSON entry that holds the original entry's exact text. */
export const WRAP_KEY = 'x-mcp-warden';

/**
 * Parse a client config of any supported syntax into its server entries. `format` overrides detection.
 * Throws a config error (with line and column) when the text does not parse.
 */
export function openDocument(text: string, file: string, format?: ClientFormat): ConfigDocument {
  const detected = format ?? detectFormat(file);
  const syntax = CLIENT_FORMATS[detected].syntax;
  if (syntax === 'toml') {
    return { format: detected, entries: findTomlEntries(text, file), parseOriginal: parseTomlEntry };
  }
  if (syntax === 'yaml') {
    return { format: detected, entries: findYamlEntries(text, file), parseOriginal: parseYamlEntry };
  }
  // JSON: the format may still depend on the top-level keys when the file name says nothing.
  const json = findServerEntries(text, file, format ?? jsonFormatByName(file));
  const info = CLIENT_FORMATS[json.format];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const unit = indentUnit(text);
  return {
    format: json.format,
    entries: json.entries.map((entry) => {
      const original = jsonOriginal(entry.value);
      return {
        name: entry.name,
        value: entry.value,
        offset: entry.offset,
        length: entry.length,
        ...(original === undefined ? {} : { original }),
        wrapEdits: (launch) => {
          if (!isRecord(entry.value)) return [];
          const pairs = wrappedJsonPairs(entry.value, info.shape, launch);
          pairs.push([WRAP_KEY, { original: text.slice(entry.offset, entry.offset + entry.length) }]);
          return [
            {
              offset: entry.offset,
              length: entry.length,
              text: formatObject(pairs, entry.indent, unit, eol),
            },
          ];
        },
      };
    }),
    parseOriginal: (original) => parseJsonc(original, [], { allowTrailingComma: true }) as unknown,
  };
}

/** A JSON format the file name alone decides; undefined when the top-level keys must say. */
function jsonFormatByName(file: string): ClientFormat | undefined {
  const byName = detectFormat(file);
  const base = path.basename(file);
  // A bare mcp.json or settings.json outside a known folder: look at the keys.
  return byName === 'claude-code' && base !== '.mcp.json' ? undefined : byName;
}

function jsonOriginal(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const marker = value[WRAP_KEY];
  return isRecord(marker) && typeof marker.original === 'string' ? marker.original : undefined;
}

/** Apply non-overlapping edits to `text`. Pure. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.offset - a.offset)) {
    out = out.slice(0, edit.offset) + edit.text + out.slice(edit.offset + edit.length);
  }
  return out;
}
