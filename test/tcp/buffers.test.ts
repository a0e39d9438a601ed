/**
 * The send buffer (buffers.ts) against a model: any interleaving of writes,
 * acknowledgements and slices gives back exactly the bytes written, across the
 * 2^32 wrap; a slice inside one write is a view, not a copy, and stays valid
 * after more writes and acknowledgements (segments are values). The
 * out-of-order queue against a model: bytes held first win, its blocks, D-SACK
 * ranges, truesize and what it hands to the receive queue.
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  OutOfOrderQueue,
  ReceiveQueue,
  SendBuffer,
  SKB_RX_OVERHEAD,
} from '../../src/tcp/buffers.js';
import { type Seq, seq, seqAdd, seqDiff } from '../../src/wire/seq.js';

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

/**
 * The out-of-order queue's model: which offsets hold a byte (the first copy
 * wins), and the truesize (every new byte, plus SKB_RX_OVERHEAD for each
 * segment that touched no block).
 */
class OfoModel {
  held = new Map<number, number>();
  truesize = 0;
  /** The maximal run of held offsets around `o`. */
  run(o: number): [number, number] {
    let l = o;
    let r = o;
    while (this.held.has(l - 1)) l--;
    while (this.held.has(r)) r++;
    return [l, r];
  }
}

describe('OutOfOrderQueue', () => {
  test('any sequence of segments and deliveries agrees with a byte model, across the wrap', () => {
    const segment = fc.record({
      off: fc.integer({ min: 1, max: 300 }),
      len: fc.integer({ min: 1, max: 60 }),
      deliver: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(segment, { maxLength: 60 }),
        (base, segs) => {
          const b = seq(base);
          const at = (o: number): Seq => seqAdd(b, o);
          const ofo = new OutOfOrderQueue();
          const rq = new ReceiveQueue();
          const m = new OfoModel();
          let rcvNxt = 0;
          const got: number[] = [];
          const want: number[] = [];
          segs.forEach((s, k) => {
            if (s.off <= rcvNxt) return;
            // Each segment's bytes say which segment and offset they came from.
            const data = new Uint8Array(s.len).map((_, i) => (k * 31 + s.off + i) & 0xff);
            let firstHeld: [number, number] | undefined;
            let touched = false;
            let fresh = 0;
            for (let i = 0; i < s.len; i++) {
              const o = s.off + i;
              if (m.held.has(o)) {
                if (firstHeld === undefined) firstHeld = [o, o + 1];
                else if (firstHeld[1] === o) firstHeld[1] = o + 1;
              }
            }
            if (m.held.has(s.off - 1) || m.held.has(s.off + s.len)) touched = true;
            for (let i = 0; i < s.len; i++) {
              const o = s.off + i;
              if (m.held.has(o)) touched = true;
              else {
                m.held.set(o, data[i]!);
                fresh++;
              }
            }
            const r = ofo.insert(at(s.off), data);
            expect(r.duplicate).toBe(fresh === 0);
            expect(r.overlap).toEqual(
              firstHeld && { left: at(firstHeld[0]), right: at(firstHeld[1]) },
            );
            const [l, rr] = m.run(s.off);
            expect(r.block).toEqual({ left: at(l), right: at(rr) });
            if (fresh > 0) m.truesize += fresh + (touched ? 0 : SKB_RX_OVERHEAD);
            expect(ofo.truesize).toBe(m.truesize);
            expect(ofo.bytes).toBe(m.held.size);
            if (s.deliver) {
              // The gap below the first block filled: RCV.NXT moves into or past it.
              rcvNxt = Math.max(rcvNxt, Math.min(...m.held.keys()) + Math.floor(s.len / 3));
              // Blocks wholly below RCV.NXT are dropped; the first one holding
              // bytes from RCV.NXT on moves to the receive queue (tcp_ofo_queue).
              let moved = 0;
              let removed = 0;
              for (;;) {
                const first = Math.min(...m.held.keys());
                if (!(first <= rcvNxt)) break;
                const [, end] = m.run(first);
                for (let o = first; o < end; o++) {
                  if (o >= rcvNxt) want.push(m.held.get(o)!);
                  m.held.delete(o);
                  removed++;
                }
                if (end > rcvNxt) {
                  moved = end - rcvNxt;
                  break;
                }
              }
              const before = rq.truesize;
              expect(ofo.moveTo(at(rcvNxt), rq)).toBe(moved);
              // The moved bytes are one skb charged at least their length.
              expect(rq.truesize - before).toBeGreaterThanOrEqual(moved);
              got.push(...rq.read(moved));
              rcvNxt += moved;
              // The blocks removed take their charge with them (their bytes at least).
              expect(m.truesize - ofo.truesize).toBeGreaterThanOrEqual(removed);
              m.truesize = ofo.truesize;
              expect(ofo.bytes).toBe(m.held.size);
            }
          });
          expect(got).toEqual(want);
          expect(ofo.ranges().map((x) => seqDiff(x.left, b))).toEqual(
            [...m.held.keys()].sort((x, y) => x - y).filter((o) => !m.held.has(o - 1)),
          );
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  test('a block grown one segment at a time holds the segments, not copies; delivery hands them over', () => {
    const ofo = new OutOfOrderQueue();
    const segs = [0, 1, 2, 3].map((k) => new Uint8Array(1448).fill(k + 1));
    for (const [k, d] of segs.entries()) ofo.insert(seq(1000 + 1448 * k), d);
    expect(ofo.blockCount).toBe(1);
    expect(ofo.truesize).toBe(4 * 1448 + SKB_RX_OVERHEAD);
    const rq = new ReceiveQueue();
    expect(ofo.moveTo(seq(1000 + 100), rq)).toBe(4 * 1448 - 100);
    expect(ofo.empty).toBe(true);
    // One skb of the block's charge less the 100 bytes already received.
    expect(rq.truesize).toBe(4 * 1448 + SKB_RX_OVERHEAD - 100);
    // The second segment is read as a view of the array it arrived in.
    rq.read(1348);
    const second = rq.read(1448);
    expect(second.buffer).toBe(segs[1]!.buffer);
    expect(Array.from(second.subarray(0, 2))).toEqual([2, 2]);
    // The skb stays charged until all of it is read.
    expect(rq.truesize).toBe(4 * 1448 + SKB_RX_OVERHEAD - 100);
    expect(rq.read(3000)).toHaveLength(2 * 1448);
    expect(rq.truesize).toBe(0);
  });
});
