import { describe, expect, test } from 'vitest';
import type { TxSegment } from '../../src/tcp/connection.js';
import { RtxQueue } from '../../src/tcp/rtx-queue.js';
import { type Seq, seq } from '../../src/wire/seq.js';

function segment(start: number, len: number): TxSegment {
  return {
    seq: seq(start),
    end: seq(start + len) as Seq,
    flags: 0,
    sentAt: start,
    everRetransmitted: false,
    lost: false,
    retrans: false,
    sacked: false,
    txDelivered: 0,
    txDeliveredUs: 0,
    txFirstTxUs: 0,
    txAppLimited: false,
  };
}

/** Everything a reader of the queue can see, by every way of reading it. */
function view(q: RtxQueue) {
  const byIndex: TxSegment[] = [];
  for (let i = 0; i < q.length; i++) byIndex.push(q.at(i));
  return {
    length: q.length,
    head: q.head,
    tail: q.tail,
    byIndex,
    array: q.toArray(),
    iterated: [...q],
  };
}

describe('the retransmit queue', () => {
  test('made of one segment (RtxQueue.of) reads as the queue made of an array of it, through pushes and drops', () => {
    const segs = Array.from({ length: 200 }, (_, i) => segment(1000 + 100 * i, 100));
    const one = RtxQueue.of(segs[0]!);
    const arr = new RtxQueue([segs[0]!]);
    expect(view(one)).toEqual(view(arr));
    expect(view(one).head).toBe(segs[0]);
    // One drop empties both; then they grow again from nothing.
    one.dropHead(1);
    arr.dropHead(1);
    expect(view(one)).toEqual(view(arr));
    expect(one.length).toBe(0);
    expect(one.head).toBeUndefined();
    expect(one.tail).toBeUndefined();
    // Pushes and drops in a pattern that crosses the one-segment form both ways
    // and the compaction at 64 dropped.
    const steps: [number, number][] = [
      [1, 0],
      [1, 1],
      [1, 0],
      [1, 0],
      [0, 2],
      [3, 1],
      [0, 2],
      [1, 1],
      [100, 70],
      [0, 29],
      [0, 1],
      [1, 0],
      [0, 1],
      [0, 1],
    ];
    let next = 1;
    for (const [pushes, drops] of steps) {
      for (let k = 0; k < pushes; k++) {
        one.push(segs[next]!);
        arr.push(segs[next]!);
        next++;
      }
      one.dropHead(drops);
      arr.dropHead(drops);
      const v = view(one);
      expect(v).toEqual(view(arr));
      for (let i = 0; i < v.length; i++) expect(v.byIndex[i]).toBe(view(arr).byIndex[i]);
    }
    expect(one.length).toBe(0);
  });

  test('a segment pushed while the one-segment queue is read by index is seen', () => {
    const a = segment(1, 10);
    const b = segment(11, 10);
    const q = RtxQueue.of(a);
    const seen: TxSegment[] = [];
    for (let i = 0; i < q.length; i++) {
      seen.push(q.at(i));
      if (i === 0) q.push(b);
    }
    expect(seen).toEqual([a, b]);
  });
});
