/**
 * The send buffer (buffers.ts) against a model: any interleaving of writes,
 * acknowledgements and slices gives back exactly the bytes written, across the
 * 2^32 wrap; a slice inside one write is a view, not a copy, and stays valid
 * after more writes and acknowledgements (segments are values).
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SendBuffer } from '../../src/tcp/buffers.js';
import { seq, seqAdd } from '../../src/wire/seq.js';

const op = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({
    kind: fc.constant('ack' as const),
    frac: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('slice' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    len: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

describe('SendBuffer', () => {
  test('writes, acknowledgements and slices agree with a model, across the wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(op, { maxLength: 80 }),
        (base, ops) => {
          const sb = new SendBuffer(seq(base));
          let model: number[] = [];
          let first = seq(base);
          let written = 0;
          for (const o of ops) {
            if (o.kind === 'write') {
              const d = new Uint8Array(o.n).map((_, i) => (written + i) & 0xff);
              written += o.n;
              sb.append(d);
              d.fill(0); // the caller may reuse its array
              for (let i = 0; i < o.n; i++) model.push((written - o.n + i) & 0xff);
            } else if (o.kind === 'ack') {
              const k = Math.floor(o.frac * model.length);
              sb.consumeTo(seqAdd(first, k));
              model = model.slice(k);
              first = seqAdd(first, k);
            } else if (model.length > 0) {
              const at = Math.floor(o.at * model.length);
              const len = Math.floor(o.len * (model.length - at));
              expect(Array.from(sb.slice(seqAdd(first, at), len))).toEqual(
                model.slice(at, at + len),
              );
            }
            expect(sb.length).toBe(model.length);
            expect(sb.seq).toBe(first);
          }
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  test('a slice is a view of the write that stays valid', () => {
    const sb = new SendBuffer(seq(100));
    sb.append(new Uint8Array([1, 2, 3, 4]));
    const view = sb.slice(seq(101), 2);
    sb.consumeTo(seq(102));
    sb.append(new Uint8Array([9, 9, 9, 9]));
    expect(Array.from(view)).toEqual([2, 3]);
    // Across two writes: a copy.
    expect(Array.from(sb.slice(seq(103), 3))).toEqual([4, 9, 9]);
  });

  test('large writes go into one block: a segment across two writes is still a view', () => {
    const sb = new SendBuffer(seq(0));
    const a = new Uint8Array(3000).fill(1);
    const b = new Uint8Array(3000).fill(2);
    sb.append(a);
    sb.append(b);
    const seg = sb.slice(seq(2900), 200);
    // A view into the same memory as the rest of the block, not a copy of its own.
    expect(seg.buffer).toBe(sb.slice(seq(0), 1).buffer);
    expect(seg.byteOffset).toBe(sb.slice(seq(0), 1).byteOffset + 2900);
    expect(Array.from(seg)).toEqual([...new Array(100).fill(1), ...new Array(100).fill(2)]);
    // Later writes and acknowledgements never change bytes already handed out.
    sb.consumeTo(seq(6000));
    for (let i = 0; i < 40; i++) sb.append(new Uint8Array(5000).fill(3));
    expect(Array.from(seg)).toEqual([...new Array(100).fill(1), ...new Array(100).fill(2)]);
    // Writes far larger than a block are held whole, across blocks.
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    sb.append(big);
    big.fill(0);
    const start = seqAdd(seq(6000), 200_000);
    const got = sb.slice(start, 100_000);
    expect(got.every((v, i) => v === i % 251)).toBe(true);
  });
});
