/**
 * The byte queues of a connection: what the application wrote and the peer has
 * not acknowledged (the send buffer, Linux's write and retransmit queues as
 * bytes), what arrived in order and the application has not read (the receive
 * queue), and what arrived out of order (the out-of-order queue, Linux's
 * out_of_order_queue). Sequence numbers are `Seq`; every offset into a buffer is
 * a `seqDiff` from its base.
 *
 * DEVIATION(linux): Linux charges buffers by skb truesize (payload plus
 * overhead, tcp_rmem/tcp_wmem are truesize budgets); tcplab charges payload bytes.
 */

import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../wire/seq.js';
import type { SackBlock } from '../wire/tcp-options.js';

const EMPTY = new Uint8Array(0);

/** Bytes from `seq` on, in a growable array that is compacted as the front is consumed. */
export class SendBuffer {
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  /** The sequence number of the first byte held. */
  seq: Seq;

  constructor(seq: Seq, capacity = 4096) {
    this.seq = seq;
    this.#buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.#end - this.#start;
  }

  /** The sequence number after the last byte held. */
  get endSeq(): Seq {
    return seqAdd(this.seq, this.length);
  }

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#end + data.length > this.#buf.length) this.#makeRoom(data.length);
    this.#buf.set(data, this.#end);
    this.#end += data.length;
  }

  /** A copy of `len` bytes from `from` (which must be held). */
  slice(from: Seq, len: number): Uint8Array {
    if (len === 0) return EMPTY;
    const off = seqDiff(from, this.seq);
    if (off < 0 || off + len > this.length) {
      throw new RangeError(`SendBuffer.slice: [${off}, ${off + len}) outside [0, ${this.length})`);
    }
    return this.#buf.slice(this.#start + off, this.#start + off + len);
  }

  /** Forgets the bytes before `upTo` (acknowledged). */
  consumeTo(upTo: Seq): void {
    const n = Math.min(Math.max(0, seqDiff(upTo, this.seq)), this.length);
    if (n === 0) return;
    this.#start += n;
    this.seq = seqAdd(this.seq, n);
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
  }

  #makeRoom(extra: number): void {
    const used = this.length;
    let cap = this.#buf.length;
    while (cap < used + extra) cap *= 2;
    if (cap === this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(this.#start, this.#end), 0);
      this.#buf = next;
    }
    this.#start = 0;
    this.#end = used;
  }
}

/** In-order bytes waiting for the application, as the chunks they arrived in. */
export class ReceiveQueue {
  readonly #chunks: Uint8Array[] = [];
  #head = 0;
  #offset = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#length += data.length;
  }

  /** Takes up to `max` bytes off the front. */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.#length);
    if (n === 0) return EMPTY;
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const chunk = this.#chunks[this.#head]!;
      const take = Math.min(chunk.length - this.#offset, n - got);
      out.set(chunk.subarray(this.#offset, this.#offset + take), got);
      got += take;
      this.#offset += take;
      if (this.#offset === chunk.length) {
        this.#head++;
        this.#offset = 0;
      }
    }
    this.#length -= n;
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
    return out;
  }

  clear(): number {
    const n = this.#length;
    this.#chunks.length = 0;
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
    return n;
  }
}

/** A run of contiguous out-of-order bytes. */
interface OfoBlock {
  seq: Seq;
  data: Uint8Array;
}

/** What inserting into the out-of-order queue found. */
export interface OfoInsert {
  /** Every byte was already held (Linux: TCP_OFOMERGE drop). */
  readonly duplicate: boolean;
  /** The first range of bytes that were already held, for a D-SACK (RFC 2883). */
  readonly overlap: SackBlock | undefined;
  /** The contiguous block the data now belongs to, for a SACK block. */
  readonly block: SackBlock;
}

/**
 * Out-of-order data as disjoint, sorted, non-adjacent blocks: a new segment fills
 * the gaps it covers and joins the blocks it touches, so the queue never holds a
 * byte twice and its blocks are exactly the SACK blocks to report.
 */
export class OutOfOrderQueue {
  readonly #blocks: OfoBlock[] = [];
  #bytes = 0;

  get bytes(): number {
    return this.#bytes;
  }

  get empty(): boolean {
    return this.#blocks.length === 0;
  }

  get blockCount(): number {
    return this.#blocks.length;
  }

  /** The blocks as [left, right) ranges, in sequence order. */
  ranges(): SackBlock[] {
    return this.#blocks.map((b) => ({ left: b.seq, right: seqAdd(b.seq, b.data.length) }));
  }

  /** Adds `data` at `seq` (which must be after the caller's RCV.NXT). */
  insert(seq: Seq, data: Uint8Array): OfoInsert {
    const end = seqAdd(seq, data.length);
    const blocks = this.#blocks;
    // Blocks that overlap or touch [seq, end) are merged with it.
    let first = 0;
    while (first < blocks.length && seqLt(blockEnd(blocks[first]!), seq)) first++;
    let last = first;
    while (last < blocks.length && seqLe(blocks[last]!.seq, end)) last++;
    const touching = blocks.slice(first, last);
    let overlap: SackBlock | undefined;
    for (const b of touching) {
      const l = seqGt(b.seq, seq) ? b.seq : seq;
      const r = seqLt(blockEnd(b), end) ? blockEnd(b) : end;
      if (seqLt(l, r)) {
        overlap = { left: l, right: r };
        break;
      }
    }
    const covering = touching.find((b) => seqLe(b.seq, seq) && seqGe(blockEnd(b), end));
    if (covering !== undefined) {
      return {
        duplicate: true,
        overlap: { left: seq, right: end },
        block: { left: covering.seq, right: blockEnd(covering) },
      };
    }
    let lo = seq;
    let hi = end;
    for (const b of touching) {
      if (seqLt(b.seq, lo)) lo = b.seq;
      if (seqGt(blockEnd(b), hi)) hi = blockEnd(b);
    }
    const merged = new Uint8Array(seqDiff(hi, lo));
    merged.set(data, seqDiff(seq, lo));
    // Bytes already held win over the new copy (they were checked the same way).
    for (const b of touching) merged.set(b.data, seqDiff(b.seq, lo));
    let removed = 0;
    for (const b of touching) removed += b.data.length;
    blocks.splice(first, touching.length, { seq: lo, data: merged });
    this.#bytes += merged.length - removed;
    return { duplicate: false, overlap, block: { left: lo, right: hi } };
  }

  /**
   * Removes and returns the bytes from `rcvNxt` on if the first block reaches it;
   * bytes before `rcvNxt` are discarded.
   */
  takeFrom(rcvNxt: Seq): Uint8Array | undefined {
    const b = this.#blocks[0];
    if (b === undefined || seqGt(b.seq, rcvNxt)) return undefined;
    this.#blocks.shift();
    this.#bytes -= b.data.length;
    const skip = seqDiff(rcvNxt, b.seq);
    if (skip >= b.data.length) return this.takeFrom(rcvNxt);
    return b.data.subarray(skip);
  }

  clear(): void {
    this.#blocks.length = 0;
    this.#bytes = 0;
  }
}

function blockEnd(b: OfoBlock): Seq {
  return seqAdd(b.seq, b.data.length);
}
