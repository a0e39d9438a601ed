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
/**
 * The array of an empty queue, shared by every idle connection and never
 * written: a queue makes its own on the first push (an idle connection then
 * costs no arrays).
 */
const NO_CHUNKS: Uint8Array[] = [];
const NO_BLOCKS: OfoBlock[] = [];

/**
 * Small writes are copied into slices of a shared slab rather than arrays of
 * their own: allocating an ArrayBuffer costs far more than copying 100 bytes
 * (it was the largest single cost of a short connection). A slab is freed when
 * no chunk in it is held any more.
 */
const SLAB_BYTES = 64 * 1024;
const SMALL_WRITE_BYTES = 2048;
let slab: Uint8Array = EMPTY;
let slabUsed = 0;

/** A private copy of `data`, never changed afterwards. */
function copyOf(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n > SMALL_WRITE_BYTES) return data.slice();
  if (slabUsed + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  out.set(data);
  slabUsed += (n + 7) & ~7;
  return out;
}

/**
 * Bytes from `seq` on, as the chunks the application wrote, each copied once
 * when written and never changed after: a segment's payload is a view into a
 * chunk (no copy per segment sent or retransmitted), and stays valid however
 * long the host keeps the segment. A chunk is dropped once all its bytes are
 * acknowledged; an idle connection holds none.
 */
export class SendBuffer {
  #chunks: Uint8Array[] = NO_CHUNKS;
  /** The first chunk still held, and how many of its bytes are acknowledged. */
  #head = 0;
  #offset = 0;
  #length = 0;
  /** A cursor for slice(): a chunk index and the sequence number of its first byte (held as int32). */
  #cursor = 0;
  #cursorSeq: number;
  /** The sequence number of the first byte held. */
  seq: Seq;

  constructor(seq: Seq) {
    this.seq = seq;
    this.#cursorSeq = seq | 0;
  }

  /** Frees what is left of the array of chunks when nothing is held (a connection that is done). */
  release(): void {
    if (this.#length === 0) this.#reset();
  }

  get length(): number {
    return this.#length;
  }

  /** The sequence number after the last byte held. */
  get endSeq(): Seq {
    return seqAdd(this.seq, this.#length);
  }

  /** Takes a copy of `data` (the caller may reuse its array). */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    this.#chunks.push(copyOf(data));
    this.#length += data.length;
  }

  /** `len` bytes from `from` (which must be held): a view when one chunk holds them, else a copy. */
  slice(from: Seq, len: number): Uint8Array {
    if (len === 0) return EMPTY;
    const off = seqDiff(from, this.seq);
    if (off < 0 || off + len > this.#length) {
      throw new RangeError(`SendBuffer.slice: [${off}, ${off + len}) outside [0, ${this.#length})`);
    }
    // Find the chunk holding `from`: from the cursor when `from` is at or after
    // it (new data is sent in order), else from the head (a retransmission).
    let i = this.#cursor;
    let at = (this.#cursorSeq >>> 0) as Seq;
    if (seqLt(from, at)) {
      i = this.#head;
      at = seqAdd(this.seq, -this.#offset);
    }
    const chunks = this.#chunks;
    while (seqDiff(from, at) >= chunks[i]!.length) {
      at = seqAdd(at, chunks[i]!.length);
      i++;
    }
    this.#cursor = i;
    this.#cursorSeq = at | 0;
    const start = seqDiff(from, at);
    const first = chunks[i]!;
    if (start + len <= first.length) return first.subarray(start, start + len);
    const out = new Uint8Array(len);
    let got = 0;
    let pos = start;
    while (got < len) {
      const c = chunks[i++]!;
      const take = Math.min(c.length - pos, len - got);
      out.set(c.subarray(pos, pos + take), got);
      got += take;
      pos = 0;
    }
    return out;
  }

  /** Forgets the bytes before `upTo` (acknowledged). */
  consumeTo(upTo: Seq): void {
    let n = Math.min(Math.max(0, seqDiff(upTo, this.seq)), this.#length);
    if (n === 0) return;
    this.seq = seqAdd(this.seq, n);
    this.#length -= n;
    const chunks = this.#chunks;
    while (n > 0) {
      const left = chunks[this.#head]!.length - this.#offset;
      if (n < left) {
        this.#offset += n;
        break;
      }
      n -= left;
      chunks[this.#head] = EMPTY;
      this.#head++;
      this.#offset = 0;
    }
    if (this.#length === 0) {
      this.#reset();
      return;
    }
    if (this.#cursor < this.#head) {
      this.#cursor = this.#head;
      this.#cursorSeq = seqAdd(this.seq, -this.#offset) | 0;
    }
    if (this.#head > 32 && this.#head * 2 > chunks.length) {
      chunks.splice(0, this.#head);
      this.#cursor -= this.#head;
      this.#head = 0;
    }
  }

  #reset(): void {
    this.#chunks = NO_CHUNKS;
    this.#head = 0;
    this.#offset = 0;
    this.#cursor = 0;
    this.#cursorSeq = this.seq | 0;
  }
}

/** In-order bytes waiting for the application, as the chunks they arrived in. */
export class ReceiveQueue {
  #chunks: Uint8Array[] = NO_CHUNKS;
  #head = 0;
  #offset = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    this.#chunks.push(data);
    this.#length += data.length;
  }

  /** Takes up to `max` bytes off the front. */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.#length);
    if (n === 0) return EMPTY;
    const first = this.#chunks[this.#head]!;
    if (first.length - this.#offset >= n) {
      // One chunk holds it all: hand out a view rather than a copy (the segment
      // that brought it is gone; nothing else reads these bytes).
      const view = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) {
        this.#head++;
        this.#offset = 0;
      }
      this.#length -= n;
      if (this.#length === 0) {
        this.#chunks = NO_CHUNKS;
        this.#head = 0;
      }
      return view;
    }
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
    if (this.#length === 0) {
      this.#chunks = NO_CHUNKS;
      this.#head = 0;
      this.#offset = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
    return out;
  }

  clear(): number {
    const n = this.#length;
    this.#chunks = NO_CHUNKS;
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
  #blocks: OfoBlock[] = NO_BLOCKS;
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
    if (this.#blocks === NO_BLOCKS) this.#blocks = [];
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
    this.#blocks = NO_BLOCKS;
    this.#bytes = 0;
  }
}

function blockEnd(b: OfoBlock): Seq {
  return seqAdd(b.seq, b.data.length);
}
