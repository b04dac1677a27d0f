// Fails (exit 1) when src/ has an import cycle: STYLE.md forbids them. Type-only imports are erased at
// run time and do not count. Dependency-free on purpose (see the commit that added it).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

// Static `import ... from './x.ts'` (not `import type`), re-exports, and dynamic `import('./x.ts')`.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

const graph = new Map<string, string[]>();
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8');
  const edges: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (spec) edges.push(path.resolve(path.dirname(file), spec));
  }
  graph.set(file, edges);
}

// Tarjan's strongly connected components: any component with more than one file is a cycle.
let index = 0;
const indices = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
function visit(node: string): void {
  indices.set(node, index);
  low.set(node, index++);
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    if (!indices.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node) ?? 0, indices.get(next) ?? 0));
    }
  }
  if (low.get(node) === indices.get(node)) {
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(path.relative(root, member));
    } while (member !== node);
    if (component.length > 1) cycles.push(component);
  }
}
for (const node of graph.keys()) if (!indices.has(node)) visit(node);

if (cycles.length > 0) {
  for (const cycle of cycles) process.stderr.write(`import cycle: ${cycle.join(' <-> ')}\n`);
  process.exit(1);
}
process.stderr.write(`no import cycles in ${graph.size} files\n`);
