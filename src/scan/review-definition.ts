import { detectInText } from './poison-detectors.ts';
import type { Severity } from './severity.ts';

/** What a definition is. */
export type DefinitionKind = 'tool' | 'prompt' | 'resource' | 'resource-template';

/** One problem in one definition. */
export interface Finding {
  kind: DefinitionKind;
  /** Tool/prompt name or resource URI. */
  name: string;
  detector: string;
  severity: Severity;
  message: string;
  /** Where in the definition, e.g. `description` or `inputSchema.properties.path.description`. */
  where: string;
  excerpt?: string;
}

/** The name a definition is known by: a resource's `uri`/`uriTemplate` (its identity), else `name`. */
export function definitionName(definition: Record<string, unknown>, kind: DefinitionKind = 'tool'): string {
  const keys =
    kind === 'resource' || kind === 'resource-template'
      ? (['uri', 'uriTemplate', 'name'] as const)
      : (['name', 'uri', 'uriTemplate'] as const);
  for (const key of keys) {
    const value = definition[key];
    if (typeof value === 'string') return value;
  }
  return '(unnamed)';
}

/**
 * Run the poison detectors on every string of a definition (name, title, description, every schema
 * description, enum value and default, annotation). Pure.
 */
export function reviewDefinition(kind: DefinitionKind, definition: Record<string, unknown>): Finding[] {
  const name = definitionName(definition, kind);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  visit(definition, '', (text, where) => {
    for (const found of detectInText(text)) {
      // One finding per detector and place is enough; a listing can repeat the same text.
      const key = `${found.detector}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({ kind, name, where, ...found });
    }
  });
  return findings;
}

function visit(
  value: unknown,
  where: string,
  onText: (text: string, where: string) => void,
  depth = 0,
): void {
  if (depth > 32) return;
  if (typeof value === 'string') {
    onText(value, where || '(value)');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => visit(item, `${where}[${i}]`, onText, depth + 1));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      // Keys are text the model reads too (property names of a schema).
      onText(key, where ? `${where} (key)` : '(key)');
      visit(item, where ? `${where}.${key}` : key, onText, depth + 1);
    }
  }
}
