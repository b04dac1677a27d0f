import { isRecord } from './rules/shared.ts';
import type { ToolInfo } from './types.ts';

/** Property-name segments that mark a tool argument as a filesystem path. */
const PATH_WORDS = new Set([
  'path',
  'paths',
  'file',
  'files',
  'filename',
  'filenames',
  'filepath',
  'filepaths',
  'dir',
  'dirs',
  'directory',
  'directories',
  'folder',
  'folders',
  'root',
  'roots',
  'uri',
  'uris',
  'source',
  'sources',
  'destination',
  'destinations',
  'dest',
  'src',
  'target',
  'targets',
]);

const PATH_DESCRIPTION = /\b(?:file)?paths?\b|\bdirector(?:y|ies)\b/i;

/** Property-name segments that mark a tool argument as a glob pattern (brace groups get expanded). */
const GLOB_WORDS = new Set([
  'pattern',
  'patterns',
  'glob',
  'globs',
  'include',
  'includes',
  'exclude',
  'excludes',
  'wildcard',
  'wildcards',
]);

const GLOB_DESCRIPTION = /\bglob|\bwildcards?\b|\bpatterns?\b/i;

/**
 * Learn which arguments of each tool are paths, and which are glob patterns, from a tools/list result.
 * A tool listed twice keeps the union of its path and glob parameters (the stricter reading).
 * Tools without a string name are skipped; a tool without a usable inputSchema is known with no params.
 */
export function learnTools(result: Record<string, unknown>): Map<string, ToolInfo> {
  const paths = new Map<string, Set<string>>();
  const others = new Map<string, Set<string>>();
  const globs = new Map<string, Set<string>>();
  const tools = Array.isArray(result.tools) ? result.tools : [];
  for (const tool of tools) {
    if (!isRecord(tool) || typeof tool.name !== 'string') continue;
    const pathSet = getOrCreate(paths, tool.name);
    const otherSet = getOrCreate(others, tool.name);
    const globSet = getOrCreate(globs, tool.name);
    const schema = isRecord(tool.inputSchema) ? tool.inputSchema : undefined;
    const properties = schema && isRecord(schema.properties) ? schema.properties : {};
    for (const [key, spec] of Object.entries(properties)) {
      if (isPathProperty(key, spec)) pathSet.add(key);
      else otherSet.add(key);
      if (isGlobProperty(key, spec)) globSet.add(key);
    }
  }
  const out = new Map<string, ToolInfo>();
  for (const [name, pathParams] of paths) {
    const otherParams = new Set([...(others.get(name) ?? [])].filter((key) => !pathParams.has(key)));
    out.set(name, { pathParams, otherParams, globParams: globs.get(name) ?? new Set() });
  }
  return out;
}

/**
 * True when an argument named `key` is a glob pattern by its name alone (`pattern`,
 * `excludePatterns`, `glob`, `include`...): how the policy reads arguments no schema describes.
 */
export function isGlobName(key: string): boolean {
  return nameSegments(key).some((segment) => GLOB_WORDS.has(segment));
}

function isGlobProperty(key: string, spec: unknown): boolean {
  if (isGlobName(key)) return true;
  const description = isRecord(spec) ? spec.description : undefined;
  return typeof description === 'string' && GLOB_DESCRIPTION.test(description);
}

function isPathProperty(key: string, spec: unknown): boolean {
  if (nameSegments(key).some((segment) => PATH_WORDS.has(segment))) return true;
  const description = isRecord(spec) ? spec.description : undefined;
  return typeof description === 'string' && PATH_DESCRIPTION.test(description);
}

/** "sourcePath" → [source, path]; "file_name" → [file, name]; "XMLFile" → [xml, file]. */
function nameSegments(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((segment) => segment !== '')
    .map((segment) => segment.toLowerCase());
}

function getOrCreate(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
