import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffLines, MAX_DIFF_EDITS, unifiedDiff } from '../../src/lab/diff.js';

/** Length of a longest common subsequence, by dynamic programming. */
function lcs(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 30 });

describe('diffLines (Myers)', () => {
  test('the edit script turns a into b, keeping a longest common subsequence', () => {
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const ops = diffLines(a, b);
        const fromA = ops.flatMap((o) => (o.op === 'add' ? [] : [o.a]));
        const fromB = ops.flatMap((o) => (o.op === 'del' ? [] : [o.b]));
        expect(fromA).toEqual(a.map((_, i) => i));
        expect(fromB).toEqual(b.map((_, i) => i));
        for (const o of ops) if (o.op === 'same') expect(a[o.a]).toBe(b[o.b]);
        expect(ops.filter((o) => o.op === 'same')).toHaveLength(lcs(a, b));
      }),
    );
  });
});

describe('diffLines on outputs far apart', () => {
  /** The script is an edit script from a to b, whatever its length. */
  function checkScript(a: readonly string[], b: readonly string[]): ReturnType<typeof diffLines> {
    const ops = diffLines(a, b);
    expect(ops.flatMap((o) => (o.op === 'add' ? [] : [o.a]))).toEqual(a.map((_, i) => i));
    expect(ops.flatMap((o) => (o.op === 'del' ? [] : [o.b]))).toEqual(b.map((_, i) => i));
    for (const o of ops) if (o.op === 'same') expect(a[o.a]).toBe(b[o.b]);
    return ops;
  }

  test('30 000 lines against none: every line added, in milliseconds', () => {
    const b = Array.from({ length: 30_000 }, (_, i) => String(i));
    const ops = checkScript([], b);
    expect(ops.every((o) => o.op === 'add')).toBe(true);
  });

  test('past MAX_DIFF_EDITS differences the middle is all removed, then all added', () => {
    const n = MAX_DIFF_EDITS + 10;
    const a = ['head', ...Array.from({ length: n }, (_, i) => `a${i}`), 'tail'];
    const b = ['head', ...Array.from({ length: n }, (_, i) => `b${i}`), 'tail'];
    const ops = checkScript(a, b);
    expect(ops.map((o) => o.op).join(',')).toBe(
      ['same', ...Array(n).fill('del'), ...Array(n).fill('add'), 'same'].join(','),
    );
  });

  test('below it the diff stays minimal', () => {
    const n = MAX_DIFF_EDITS / 4;
    const a = Array.from({ length: 2 * n }, (_, i) => `x${i}`);
    const b = a.map((l, i) => (i % 2 === 0 ? l : `changed ${i}`));
    const ops = checkScript(a, b);
    expect(ops.filter((o) => o.op === 'same')).toHaveLength(n);
  });
});

describe('unifiedDiff', () => {
  test('nothing for equal texts', () => {
    expect(unifiedDiff('x.lab', ['a', 'b'], ['a', 'b'])).toBe('');
  });

  test('hunks with three lines of context, FILE:LINE of the first change, diff -u ranges', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14'];
    const b = [...a];
    b[1] = 'two';
    b.splice(12, 0, 'new');
    expect(unifiedDiff('x.lab', a, b)).toBe(
      [
        '--- x.lab (expected)',
        '+++ x.lab (actual)',
        'x.lab:2:',
        '@@ -1,5 +1,5 @@',
        ' 1',
        '-2',
        '+two',
        ' 3',
        ' 4',
        ' 5',
        'x.lab:13:',
        '@@ -10,5 +10,6 @@',
        ' 10',
        ' 11',
        ' 12',
        '+new',
        ' 13',
        ' 14',
        '',
      ].join('\n'),
    );
  });

  test('lines missing at the end; lines added to an empty text', () => {
    expect(unifiedDiff('x', ['a', 'b'], ['a'])).toBe(
      '--- x (expected)\n+++ x (actual)\nx:2:\n@@ -1,2 +1 @@\n a\n-b\n',
    );
    expect(unifiedDiff('x', [], ['a'])).toBe(
      '--- x (expected)\n+++ x (actual)\nx:1:\n@@ -0,0 +1 @@\n+a\n',
    );
  });
});
