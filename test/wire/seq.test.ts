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
  seqU32,
} from '../../src/wire/seq.js';

describe('sequence arithmetic modulo 2^32 (RFC 9293 3.4)', () => {
  test('adding crosses the 2^32 wrap', () => {
    expect(seqAdd(seq(0xffff_fff0), 0x20)).toBe(0x10);
    expect(seqU32(seqAdd(seq(5), -10))).toBe(0xffff_fffb);
  });

  test('a Seq is the wire number as an int32 (a small integer to V8), and seqU32 gives the number back', () => {
    expect(seq(0xffff_ffff)).toBe(-1);
    expect(seq(0x8000_0000)).toBe(-0x8000_0000);
    fc.assert(
      fc.property(fc.nat(0xffff_ffff), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), (n, k) => {
        const s = seqAdd(seq(n), k);
        expect(s).toBe(s | 0);
        expect(seqU32(s)).toBe((n + k + 2 ** 32) % 2 ** 32);
        expect(seqDiff(s, seq(n))).toBe(k === 2 ** 31 ? -(2 ** 31) : k);
      }),
    );
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
