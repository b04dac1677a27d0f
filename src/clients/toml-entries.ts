import { TomlError, parse } from 'smol-toml';
import { WardenError, errorMessage } from '../errors.ts';
import { isRecord } from '../util/is-record.ts';
import { type TomlStatement, scanToml, tomlString } from './toml-scan.ts';
import type { DocEntry, Edit } from './config-document.ts';
import { MARKER_PREFIX, markerLine, readMarker } from './wrap-marker.ts';

/**
 * The `[mcp_servers.NAME]` tables of a Codex CLI config.toml. Each entry spans from its header line to
 * the next table that is not one of its own subtables (`[mcp_servers.NAME.env]` belongs to it). Wrapping
 * edits only the `command` and `args` values and adds one comment line holding the table's original
 * text, so comments and formatting everywhere else stay byte for byte.
 */
export function findTomlEntries(text: string, file: string): DocEntry[] {
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(text) as Record<string, unknown>;
  } catch (error) {
    const where = error instanceof TomlError ? `:${error.line}:${error.column}` : '';
    throw new WardenError('config', `${file}${where}: not valid TOML (${firstLine(errorMessage(error))})`, {
      hint: 'fix the file (or restore its backup) and run again',
    });
  }
  const servers = isRecord(parsed.mcp_servers) ? parsed.mcp_servers : {};
  const statements = scanToml(text);
  const entries: DocEntry[] = [];
  const seen = new Set<string>();
  statements.forEach((statement, index) => {
    if (statement.kind !== 'header' || statement.array) return;
    const [head, name, ...rest] = statement.path;
    if (head !== 'mcp_servers' || name === undefined || rest.length > 0) return;
    seen.add(name);
    entries.push(tableEntry(text, statements, index, name, servers[name]));
  });
  for (const [name, value] of Object.entries(servers)) {
    if (seen.has(name)) continue;
    entries.push({
      name,
      value,
      offset: 0,
      length: 0,
      unsupported: `written as an inline table or dotted keys; rewrite it as a [mcp_servers.${name}] table to wrap it`,
      wrapEdits: () => [],
    });
  }
  return entries;
}

function tableEntry(
  text: string,
  statements: TomlStatement[],
  index: number,
  name: string,
  value: unknown,
): DocEntry {
  const header = statements[index];
  if (!header || header.kind !== 'header') throw new Error('tableEntry: not a header');
  const own: TomlStatement[] = [];
  let inOwnTable = true;
  // The entry ends after its last header or key line: comment and blank lines before the next table
  // describe that table and stay outside.
  let end = header.end;
  for (const statement of statements.slice(index + 1)) {
    if (statement.kind === 'header') {
      const [head, owner] = statement.path;
      if (head !== 'mcp_servers' || owner !== name) break;
      inOwnTable = false;
    } else if (inOwnTable) own.push(statement);
    if (statement.kind !== 'comment') end = statement.end;
  }
  const original = text.slice(header.start, end);
  const marker = readMarker(original, '#');
  const pairs = own.filter((s) => s.kind === 'pair');
  const command = pairs.find((p) => p.path.length === 1 && p.path[0] === 'command');
  const args = pairs.find((p) => p.path.length === 1 && p.path[0] === 'args');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return {
    name,
    value,
    offset: header.start,
    length: end - header.start,
    ...(marker === undefined ? {} : { original: marker }),
    wrapEdits: (launch) => {
      if (!command || command.kind !== 'pair') return [];
      const edits: Edit[] = [
        { offset: header.end, length: 0, text: `${markerLine('#', original)}${eol}` },
        {
          offset: command.valueStart,
          length: command.valueEnd - command.valueStart,
          text: tomlString(launch.command),
        },
      ];
      const array = `[${launch.args.map(tomlString).join(', ')}]`;
      if (args && args.kind === 'pair') {
        edits.push({ offset: args.valueStart, length: args.valueEnd - args.valueStart, text: array });
      } else {
        const indent = /^[ \t]*/.exec(text.slice(command.start))?.[0] ?? '';
        const after = text.endsWith('\n', command.end) ? '' : eol;
        edits.push({ offset: command.end, length: 0, text: `${after}${indent}args = ${array}${eol}` });
      }
      return edits;
    },
  };
}

/** The entry value a stored original table text describes. */
export function parseTomlEntry(original: string, name: string): unknown {
  const parsed = parse(
    original
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith(MARKER_PREFIX('#')))
      .join('\n'),
  ) as Record<string, unknown>;
  return isRecord(parsed.mcp_servers) ? parsed.mcp_servers[name] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
