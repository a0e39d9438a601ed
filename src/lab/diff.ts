/**
 * Line diffs for failed labs: Myers' O(ND) algorithm ("An O(ND) Difference
 * Algorithm and Its Variations", 1986), as GNU diff and git use, and the unified
 * format (`diff -u`) with three lines of context. Each hunk is preceded by a
 * `FILE:LINE:` line so that editors and terminals can jump to it.
 */

export type DiffOp =
  | { readonly op: 'same'; readonly a: number; readonly b: number }
  | { readonly op: 'del'; readonly a: number }
  | { readonly op: 'add'; readonly b: number };

/** The edit script turning `a` into `b` (indices into each), shortest first found. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  // Common prefix and suffix are cheap to strip and make the search small.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const middle = myers(a.slice(start, endA), b.slice(start, endB)).map(
    (op): DiffOp =>
      op.op === 'same'
        ? { op: 'same', a: op.a + start, b: op.b + start }
        : op.op === 'del'
          ? { op: 'del', a: op.a + start }
          : { op: 'add', b: op.b + start },
  );
  const ops: DiffOp[] = [];
  for (let i = 0; i < start; i++) ops.push({ op: 'same', a: i, b: i });
  ops.push(...middle);
  for (let i = 0; endA + i < a.length; i++) ops.push({ op: 'same', a: endA + i, b: endB + i });
  return ops;
}

/**
 * Beyond this many differing lines the search stops (as GNU diff's heuristic
 * stops a search too expensive): the middle is shown as all removed, then all
 * added. Each step costs the length of both sides and keeps 2d + 3 numbers, so
 * a lab whose output is 100 000 lines off takes milliseconds, not minutes and
 * gigabytes.
 */
export const MAX_DIFF_EDITS = 1000;

function myers(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_DIFF_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d]: v before step d, for diagonals -(d+1)..d+1 (all that step reads).
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))) {
        x = v[offset + k + 1] as number;
      } else {
        x = (v[offset + k - 1] as number) + 1;
      }
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
  if (!found) {
    const ops: DiffOp[] = [];
    for (let i = 0; i < n; i++) ops.push({ op: 'del', a: i });
    for (let j = 0; j < m; j++) ops.push({ op: 'add', b: j });
    return ops;
  }
  // Walk the trace back from (n, m).
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Int32Array;
    const o = d + 1;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && (vd[o + k - 1] as number) < (vd[o + k + 1] as number))) {
      prevK = k + 1;
    } else {
      prevK = k - 1;
    }
    const prevX = d === 0 ? 0 : (vd[o + prevK] as number);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ op: 'same', a: x, b: y });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ op: 'add', b: y - 1 });
      else ops.push({ op: 'del', a: x - 1 });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/**
 * `diff -u`-style text of the differences, or '' when there are none. Line
 * numbers are 1-based; `path` heads the diff and each hunk's `PATH:LINE:` line
 * (the first line of the expected side that differs).
 */
export function unifiedDiff(
  path: string,
  expected: readonly string[],
  actual: readonly string[],
  context = 3,
): string {
  const ops = diffLines(expected, actual);
  if (ops.every((o) => o.op === 'same')) return '';
  let out = `--- ${path} (expected)\n+++ ${path} (actual)\n`;
  // Group the changes into hunks with `context` lines around them.
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]!.op === 'same') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    // Extend the hunk while the next change is within 2 * context lines.
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.op !== 'same') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === 'same') next++;
      if (next < ops.length && next - end <= 2 * context) {
        end = next;
        continue;
      }
      break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    // Positions: the line in each file where the hunk starts.
    const aStart = firstLine(ops, start, 'a');
    const bStart = firstLine(ops, start, 'b');
    const aCount = hunk.filter((o) => o.op !== 'add').length;
    const bCount = hunk.filter((o) => o.op !== 'del').length;
    const firstChange = ops[i]!;
    const changeLine = firstChange.op === 'add' ? firstLine(ops, i, 'a') : firstChange.a + 1;
    out += `${path}:${changeLine}:\n`;
    out += `@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@\n`;
    for (const o of hunk) {
      if (o.op === 'same') out += ` ${expected[o.a]}\n`;
      else if (o.op === 'del') out += `-${expected[o.a]}\n`;
      else out += `+${actual[o.b]}\n`;
    }
    i = stop;
  }
  return out;
}

/** The 1-based line of side `side` where the op at `index` sits (for an add on a, the next line). */
function firstLine(ops: readonly DiffOp[], index: number, side: 'a' | 'b'): number {
  for (let j = index; j < ops.length; j++) {
    const o = ops[j]!;
    if (side === 'a' && o.op !== 'add') return o.a + 1;
    if (side === 'b' && o.op !== 'del') return o.b + 1;
  }
  // Only adds (or dels) follow: the position after the last line of that side.
  let count = 0;
  for (const o of ops) if (side === 'a' ? o.op !== 'add' : o.op !== 'del') count++;
  return count + 1;
}

function range(start: number, count: number): string {
  // diff -u: an empty range is written with the line before it.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
