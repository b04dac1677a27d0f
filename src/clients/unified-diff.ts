/**
 * A unified diff of two texts, line by line (Myers' O(ND) algorithm on the lines between the common
 * head and tail, so a small change to a large config costs little). Pure; '' when the texts are equal.
 */
export function unifiedDiff(
  before: string,
  after: string,
  fromFile: string,
  toFile: string,
  context = 3,
): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const hunks = groupHunks(ops, context);
  const out = [`--- ${fromFile}`, `+++ ${toFile}`];
  for (const hunk of hunks) {
    const first = hunk[0];
    if (!first) continue;
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    const aStart = aCount === 0 ? first.aIndex : first.aIndex + 1;
    const bStart = bCount === 0 ? first.bIndex : first.bIndex + 1;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const op of hunk) {
      out.push(`${op.kind === '=' ? ' ' : op.kind}${op.line.replace(/\r?\n$/, '')}`);
      if (!op.line.endsWith('\n')) out.push('\\ No newline at end of file');
    }
  }
  return `${out.join('\n')}\n`;
}

interface Op {
  kind: '=' | '-' | '+';
  line: string;
  /** Index of the line in `a` (for '=' and '-') or where it would be (for '+'); likewise for b. */
  aIndex: number;
  bIndex: number;
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: '=', line: a[i] ?? '', aIndex: i, bIndex: i });
  for (const op of middle) ops.push({ ...op, aIndex: op.aIndex + head, bIndex: op.bIndex + head });
  for (let i = 0; i < tail; i++) {
    const ai = a.length - tail + i;
    ops.push({ kind: '=', line: a[ai] ?? '', aIndex: ai, bIndex: b.length - tail + i });
  }
  return ops;
}

/** Myers' shortest edit script, recovered from the saved frontier of each step. */
function myers(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Array<number>(2 * max + 3).fill(0);
  const trace: number[][] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push([...v]);
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))
          ? (v[offset + k + 1] ?? 0)
          : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const frontier = trace[d] ?? [];
    const k = x - y;
    const down = k === -d || (k !== d && (frontier[offset + k - 1] ?? 0) < (frontier[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = frontier[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: '=', line: a[x] ?? '', aIndex: x, bIndex: y });
    }
    if (d > 0) {
      if (down) {
        y--;
        ops.push({ kind: '+', line: b[y] ?? '', aIndex: x, bIndex: y });
      } else {
        x--;
        ops.push({ kind: '-', line: a[x] ?? '', aIndex: x, bIndex: y });
      }
    }
  }
  return ops.reverse();
}

/** Changed lines with `context` lines around them; overlapping or touching hunks are merged. */
function groupHunks(ops: readonly Op[], context: number): Op[][] {
  const ranges: [number, number][] = [];
  ops.forEach((op, index) => {
    if (op.kind === '=') return;
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length - 1, index + context);
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  });
  return ranges.map(([start, end]) => ops.slice(start, end + 1));
}
