import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  seq,
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
} from '../../src/wire/seq.js';

describe('sequence arithmetic modulo 2^32 (RFC 9293 3.4)', () => {
  test('adding crosses the 2^32 wrap', () => {
    expect(seqAdd(seq(0xffff_fff0), 0x20)).toBe(0x10);
    expect(seqAdd(seq(5), -10)).toBe(0xffff_fffb);
  });

  test('comparison across the wrap: 0xfffffff0 comes before 0x10', () => {
    const a = seq(0xffff_fff0);
    const b = seq(0x10);
    expect(seqLt(a, b)).toBe(true);
    expect(seqGt(b, a)).toBe(true);
    expect(seqDiff(b, a)).toBe(0x20);
    expect(seqDiff(a, b)).toBe(-0x20);
  });

  test('comparison across the 2^31 half-way point', () => {
    expect(seqLt(seq(0), seq(0x7fff_ffff))).toBe(true);
    expect(seqLt(seq(0x7fff_ffff), seq(0x8000_0000))).toBe(true);
    expect(seqLt(seq(0x8000_0000), seq(0xffff_ffff))).toBe(true);
    expect(seqLt(seq(0xffff_ffff), seq(0))).toBe(true);
  });

  test('a window that wraps holds its edges correctly', () => {
    const start = seq(0xffff_ff00);
    expect(seqInWindow(seq(0xffff_ff00), start, 0x200)).toBe(true);
    expect(seqInWindow(seq(0xff), start, 0x200)).toBe(true);
    expect(seqInWindow(seq(0x100), start, 0x200)).toBe(false);
    expect(seqInWindow(seq(0xffff_feff), start, 0x200)).toBe(false);
    expect(seqInWindow(start, start, 0)).toBe(false);
  });

  test('properties: a + n - a = n, ordering agrees with the distance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: -0x7fff_ffff, max: 0x7fff_ffff }),
        (x, n) => {
          const a = seq(x);
          const b = seqAdd(a, n);
          expect(seqDiff(b, a)).toBe(n);
          expect(seqLt(a, b)).toBe(n > 0);
          expect(seqLe(a, b)).toBe(n >= 0);
          expect(seqGe(b, a)).toBe(n >= 0);
        },
      ),
      { seed: 1, numRuns: 2000 },
    );
  });
});
