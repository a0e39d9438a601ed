/**
 * The byte queues of a connection: what the application wrote and the peer has
 * not acknowledged (the send buffer, Linux's write and retransmit queues as
 * bytes), what arrived in order and the application has not read (the receive
 * queue), and what arrived out of order (the out-of-order queue, Linux's
 * out_of_order_queue). Sequence numbers are `Seq`; every offset into a buffer is
 * a `seqDiff` from its base.
 *
 * Linux charges buffers by skb truesize (payload plus overhead; tcp_rmem and
 * tcp_wmem are truesize budgets). The send side follows it (Connection.skbs and
 * wmemQueued: each skb's payload plus SKB_TX_OVERHEAD); the receive side charges
 * each arriving segment SKB_RX_OVERHEAD more than its payload unless it joins
 * the skb before it (tcp_try_coalesce), which the window computations read as
 * sk_rmem_alloc (ReceiveQueue.truesize, OutOfOrderQueue.truesize).
 */

import { freshBytes, view as viewOf } from '../wire/bytes.js';
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
 * Small writes are copied into slices of a shared slab (freshBytes) rather than
 * arrays of their own: allocating an ArrayBuffer costs far more than copying
 * 100 bytes (it was the largest single cost of a short connection).
 */
const SMALL_WRITE_BYTES = 2048;

/**
 * Larger writes are copied into a block of the buffer's own, filled in order
 * and never rewritten, as Linux's tcp_sendmsg copies into the socket's page
 * fragment (sk_page_frag, a 32 KiB page: SKB_FRAG_PAGE_ORDER) whatever the size
 * of each write: consecutive writes are then contiguous, and a segment is a
 * view into one block but where it crosses from one block to the next. (With
 * an array per write, a sender whose writes follow the ACKs, a few KiB each,
 * had almost every segment straddle two writes and be copied.)
 */
const BLOCK_BYTES = 32 * 1024;
/**
 * A sender that keeps writing gets larger blocks, up to this: allocating an
 * ArrayBuffer costs per call more than per byte (a 256 KiB one about three
 * times less per byte than a 32 KiB one).
 */
const MAX_BLOCK_BYTES = 256 * 1024;

/**
 * Bytes from `seq` on, as chunks: runs of consecutive writes copied into the
 * buffer's block, or small writes in the shared slab. Each byte is copied once
 * when written and never changed after: a segment's payload is a view into a
 * chunk (no copy per segment sent or retransmitted), and stays valid however
 * long the host keeps the segment. A chunk is dropped once all its bytes are
 * acknowledged; an idle connection holds none (a connection that wrote large
 * writes keeps its block for the next ones until it is done, as Linux keeps
 * sk_frag).
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
  /** The block appends are copied into, and how much of it is written. */
  #block: Uint8Array = EMPTY;
  #blockUsed = 0;
  /** The last chunk is `#block[#tailStart, #blockUsed)`: the next append may extend it. */
  #tailInBlock = false;
  #tailStart = 0;
  /** The sequence number of the first byte held. */
  seq: Seq;

  constructor(seq: Seq) {
    this.seq = seq;
    this.#cursorSeq = seq | 0;
  }

  /** Frees what is left of the array of chunks when nothing is held (a connection that is done). */
  release(): void {
    if (this.#length === 0) {
      this.#reset();
      this.#block = EMPTY;
      this.#blockUsed = 0;
    }
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
    const n = data.length;
    if (n === 0) return;
    this.#length += n;
    if (n <= SMALL_WRITE_BYTES && this.#blockUsed + n > this.#block.length) {
      // A small write with no room in a block (a short connection's request):
      // the shared slab, no block of its own.
      const copy = freshBytes(n);
      copy.set(data);
      // The first chunk makes an array of one (push would reserve 17 slots).
      if (this.#chunks === NO_CHUNKS) this.#chunks = [copy];
      else this.#chunks.push(copy);
      this.#tailInBlock = false;
      return;
    }
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    let off = 0;
    while (off < n) {
      if (this.#blockUsed === this.#block.length) {
        const size = this.#block.length === 0 ? BLOCK_BYTES : 2 * this.#block.length;
        this.#block = new Uint8Array(Math.min(size, MAX_BLOCK_BYTES));
        this.#blockUsed = 0;
        this.#tailInBlock = false;
      }
      const take = Math.min(n - off, this.#block.length - this.#blockUsed);
      const at = this.#blockUsed;
      this.#block.set(off === 0 && take === n ? data : data.subarray(off, off + take), at);
      this.#blockUsed = at + take;
      off += take;
      const chunks = this.#chunks;
      if (this.#tailInBlock && chunks.length > this.#head) {
        // The bytes follow the last chunk's in the same block: one longer view.
        chunks[chunks.length - 1] = viewOf(this.#block, this.#tailStart, this.#blockUsed);
      } else {
        chunks.push(viewOf(this.#block, at, this.#blockUsed));
        this.#tailInBlock = true;
        this.#tailStart = at;
      }
    }
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
    let at = this.#cursorSeq as Seq;
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
    // A whole chunk (a small write sent in one segment) is its own view: no new one.
    if (start === 0 && len === first.length) return first;
    if (start + len <= first.length) return viewOf(first, start, start + len);
    // Across chunks: a copy, from the slab when it is segment-sized.
    const out = freshBytes(len);
    let got = 0;
    let pos = start;
    while (got < len) {
      const c = chunks[i++]!;
      const take = Math.min(c.length - pos, len - got);
      out.set(pos === 0 && take === c.length ? c : c.subarray(pos, pos + take), got);
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
    this.#tailInBlock = false;
    this.#head = 0;
    this.#offset = 0;
    this.#cursor = 0;
    this.#cursorSeq = this.seq | 0;
  }
}

/**
 * What a received segment costs beyond its payload (skb->truesize - len) on a
 * veth pair with offloads off, as the reference traces were taken: 832 bytes,
 * SKB_TRUESIZE of the sender's 256-byte small head (256 + sizeof(struct
 * sk_buff) 256 + sizeof(struct skb_shared_info) 320). Observed on Linux 6.18.44:
 * after a 849-byte segment the receiver's TCP_WINDOW_CLAMP was 66048 =
 * 131072 × 129 / 256 and rcv_ssthresh 65200 = (131072 − 1681) × 129 / 256
 * (scaling_ratio = 849 × 256 / 1681 = 129); after a 1448-byte one the clamp was
 * 82944 (ratio 162 = 1448 × 256 / 2280).
 */
export const SKB_RX_OVERHEAD = 832;
/**
 * TCP_RMEM_TO_WIN_SCALE and TCP_DEFAULT_SCALING_RATIO (include/net/tcp.h, Linux
 * 6.6+): the window is the buffer × scaling_ratio / 256, and the ratio starts at
 * one half (tcp_rmem[1] 128 KiB offers 64 KiB).
 */
export const TCP_RMEM_TO_WIN_SCALE = 8;
export const TCP_DEFAULT_SCALING_RATIO = 1 << (TCP_RMEM_TO_WIN_SCALE - 1);
/**
 * SOCK_MIN_RCVBUF (include/net/sock.h): TCP_SKB_MIN_TRUESIZE, 2048 +
 * SKB_DATA_ALIGN(sizeof(struct sk_buff)); half of it is the smallest window clamp.
 */
export const SOCK_MIN_RCVBUF = 2304;
/** MAX_SKB_FRAGS (include/linux/skbuff.h): how many segments one skb can absorb. */
const MAX_SKB_FRAGS = 17;
const NO_NUMBERS: number[] = [];

/**
 * In-order bytes waiting for the application, as the chunks they arrived in,
 * and the skbs they are charged as: a segment that follows one still unread
 * joins its skb (tcp_queue_rcv's tcp_try_coalesce) and is charged its payload
 * only, up to MAX_SKB_FRAGS; an skb's charge is freed once all of it is read.
 * DEVIATION(linux): a segment small enough for the tail skb's head room (a copy
 * with no charge at all) is charged its payload as any other.
 */
export class ReceiveQueue {
  #chunks: Uint8Array[] = NO_CHUNKS;
  #head = 0;
  #offset = 0;
  #length = 0;
  /**
   * The skbs, three numbers each from #skbHead on: unread bytes, truesize
   * charged, segments joined.
   */
  #skbs: number[] = NO_NUMBERS;
  #skbHead = 0;
  #truesize = 0;

  get length(): number {
    return this.#length;
  }

  /** The truesize charged for what is queued (its part of sk_rmem_alloc). */
  get truesize(): number {
    return this.#truesize;
  }

  /**
   * Queues `data` arrived as one segment of truesize `data.length + overhead`,
   * joining the last skb when it can (`coalesce`).
   */
  push(data: Uint8Array, overhead = SKB_RX_OVERHEAD, coalesce = true): void {
    const n = data.length;
    if (n === 0) return;
    // First items make arrays of their size (push would reserve 17 slots).
    if (this.#chunks === NO_CHUNKS) this.#chunks = [data];
    else this.#chunks.push(data);
    this.#length += n;
    const skbs = this.#skbs;
    const last = skbs.length - 3;
    if (coalesce && last >= this.#skbHead && skbs[last + 2]! < MAX_SKB_FRAGS) {
      skbs[last]! += n;
      skbs[last + 1]! += n;
      skbs[last + 2]!++;
      this.#truesize += n;
      return;
    }
    if (skbs === NO_NUMBERS) this.#skbs = [n, n + overhead, 1];
    else skbs.push(n, n + overhead, 1);
    this.#truesize += n + overhead;
  }

  /**
   * Queues the bytes of `chunks` from `skip` on (`length` of them) as one skb of
   * truesize `truesize` that later segments do not join (tcp_ofo_queue's skbs).
   */
  pushSkb(chunks: readonly Uint8Array[], skip: number, length: number, truesize: number): void {
    if (length === 0) return;
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    for (const c of chunks) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      this.#chunks.push(skip === 0 ? c : c.subarray(skip));
      skip = 0;
    }
    this.#length += length;
    if (this.#skbs === NO_NUMBERS) this.#skbs = [];
    this.#skbs.push(length, truesize, 1);
    this.#truesize += truesize;
  }

  /** Frees the charge of the skbs the `n` bytes just read emptied. */
  #consumeSkbs(n: number): void {
    const skbs = this.#skbs;
    while (n > 0) {
      const i = this.#skbHead;
      const take = Math.min(n, skbs[i]!);
      skbs[i]! -= take;
      n -= take;
      if (skbs[i] === 0) {
        this.#truesize -= skbs[i + 1]!;
        this.#skbHead += 3;
      }
    }
    if (this.#skbHead === skbs.length) {
      // Kept for the next segments (a request/response connection would make
      // one per response); emptied, it holds no backing store.
      skbs.length = 0;
      this.#skbHead = 0;
      this.#truesize = 0;
    } else if (this.#skbHead > 192 && this.#skbHead * 2 > skbs.length) {
      skbs.splice(0, this.#skbHead);
      this.#skbHead = 0;
    }
  }

  /** Takes up to `max` bytes off the front. */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.#length);
    if (n === 0) return EMPTY;
    const first = this.#chunks[this.#head]!;
    if (first.length - this.#offset >= n) {
      // One chunk holds it all: hand out a view rather than a copy (the segment
      // that brought it is gone; nothing else reads these bytes), the chunk
      // itself when it is read whole (a bulk receiver reads segment by segment).
      const view =
        this.#offset === 0 && n === first.length
          ? first
          : viewOf(first, this.#offset, this.#offset + n);
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
      this.#consumeSkbs(n);
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
    this.#consumeSkbs(n);
    return out;
  }

  clear(): number {
    const n = this.#length;
    this.#chunks = NO_CHUNKS;
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
    this.#skbs = NO_NUMBERS;
    this.#skbHead = 0;
    this.#truesize = 0;
    return n;
  }
}

/**
 * A run of contiguous out-of-order bytes, as the segments' payloads that filled
 * it (views, in sequence order, never overlapping): a segment that extends a
 * block adds a view rather than copying the block (a block that grows one
 * segment at a time cost a copy of all of it per segment).
 */
interface OfoBlock {
  seq: Seq;
  length: number;
  pieces: Uint8Array[];
  /** The truesize its segments are charged (tcp_data_queue_ofo's coalescing included). */
  charge: number;
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

  /**
   * The truesize charged for what is held: a segment that starts a block costs
   * SKB_RX_OVERHEAD beyond its new bytes, one that extends a block only its new
   * bytes (tcp_ooo_try_coalesce).
   */
  get truesize(): number {
    let t = 0;
    for (const b of this.#blocks) t += b.charge;
    return t;
  }

  get empty(): boolean {
    return this.#blocks.length === 0;
  }

  get blockCount(): number {
    return this.#blocks.length;
  }

  /** The blocks as [left, right) ranges, in sequence order. */
  ranges(): SackBlock[] {
    return this.#blocks.map((b) => ({ left: b.seq, right: blockEnd(b) }));
  }

  /**
   * Adds `data` at `seq` (which must be after the caller's RCV.NXT). The queue
   * keeps `data` (a view), which must not change afterwards, as the receive
   * queue keeps in-order payloads.
   */
  insert(seq: Seq, data: Uint8Array): OfoInsert {
    const n = data.length;
    const end = seqAdd(seq, n);
    if (this.#blocks === NO_BLOCKS) this.#blocks = [];
    const blocks = this.#blocks;
    // Blocks [first, last) overlap or touch [seq, end): they are merged with it.
    let first = 0;
    while (first < blocks.length && seqLt(blockEnd(blocks[first]!), seq)) first++;
    let last = first;
    while (last < blocks.length && seqLe(blocks[last]!.seq, end)) last++;
    if (first === last) {
      blocks.splice(first, 0, { seq, length: n, pieces: [data], charge: n + SKB_RX_OVERHEAD });
      this.#bytes += n;
      return { duplicate: false, overlap: undefined, block: { left: seq, right: end } };
    }
    let overlap: SackBlock | undefined;
    for (let i = first; i < last; i++) {
      const b = blocks[i]!;
      const bEnd = blockEnd(b);
      const l = seqGt(b.seq, seq) ? b.seq : seq;
      const r = seqLt(bEnd, end) ? bEnd : end;
      if (seqLt(l, r)) {
        overlap = { left: l, right: r };
        break;
      }
    }
    for (let i = first; i < last; i++) {
      const b = blocks[i]!;
      if (seqLe(b.seq, seq) && seqGe(blockEnd(b), end)) {
        return {
          duplicate: true,
          overlap: { left: seq, right: end },
          block: { left: b.seq, right: blockEnd(b) },
        };
      }
    }
    // Bytes already held win over the new copy (they were checked the same way):
    // the new segment contributes the gaps between the blocks it touches.
    const head = blocks[first]!;
    const tail = blocks[last - 1]!;
    const tailEnd = blockEnd(tail);
    let added = 0;
    if (first + 1 === last && seqLe(head.seq, seq)) {
      // It extends one block at its end (the common case: the hole's far side
      // growing one segment at a time).
      const piece = data.subarray(seqDiff(tailEnd, seq));
      head.pieces.push(piece);
      added = piece.length;
      head.length += added;
      head.charge += added;
      this.#bytes += added;
      return { duplicate: false, overlap, block: { left: head.seq, right: blockEnd(head) } };
    }
    const pieces: Uint8Array[] = [];
    let charge = 0;
    if (seqLt(seq, head.seq)) {
      const piece = data.subarray(0, seqDiff(head.seq, seq));
      pieces.push(piece);
      added += piece.length;
    }
    for (let i = first; i < last; i++) {
      const b = blocks[i]!;
      for (const p of b.pieces) pieces.push(p);
      charge += b.charge;
      if (i + 1 < last) {
        const piece = data.subarray(seqDiff(blockEnd(b), seq), seqDiff(blocks[i + 1]!.seq, seq));
        pieces.push(piece);
        added += piece.length;
      }
    }
    if (seqGt(end, tailEnd)) {
      const piece = data.subarray(seqDiff(tailEnd, seq));
      pieces.push(piece);
      added += piece.length;
    }
    const lo = seqLt(seq, head.seq) ? seq : head.seq;
    const hi = seqGt(end, tailEnd) ? end : tailEnd;
    blocks.splice(first, last - first, {
      seq: lo,
      length: seqDiff(hi, lo),
      pieces,
      charge: charge + added,
    });
    this.#bytes += added;
    return { duplicate: false, overlap, block: { left: lo, right: hi } };
  }

  /**
   * Removes and returns the bytes from `rcvNxt` on if the first block reaches it,
   * with the truesize they were charged; bytes before `rcvNxt` are discarded.
   * The bytes are copied into one array when they arrived as several segments
   * (moveTo hands them over without copying).
   */
  takeFrom(rcvNxt: Seq): { readonly data: Uint8Array; readonly truesize: number } | undefined {
    const b = this.#takeBlock(rcvNxt);
    if (b === undefined) return undefined;
    const skip = seqDiff(rcvNxt, b.seq);
    const pieces = b.pieces;
    if (pieces.length === 1) return { data: pieces[0]!.subarray(skip), truesize: b.charge - skip };
    const data = new Uint8Array(b.length - skip);
    let at = -skip;
    for (const p of pieces) {
      if (at >= 0) data.set(p, at);
      else if (at + p.length > 0) data.set(p.subarray(-at), 0);
      at += p.length;
    }
    return { data, truesize: b.charge - skip };
  }

  /**
   * Linux tcp_ofo_queue's move of one skb: if the first block reaches `rcvNxt`,
   * its bytes from `rcvNxt` on go to `queue` as one skb of the truesize they were
   * charged (views, no copy); returns how many, 0 if none.
   */
  moveTo(rcvNxt: Seq, queue: ReceiveQueue): number {
    const b = this.#takeBlock(rcvNxt);
    if (b === undefined) return 0;
    const skip = seqDiff(rcvNxt, b.seq);
    queue.pushSkb(b.pieces, skip, b.length - skip, b.charge - skip);
    return b.length - skip;
  }

  /** The first block if it reaches `rcvNxt` and holds bytes from it on, removed; blocks entirely before it are dropped. */
  #takeBlock(rcvNxt: Seq): OfoBlock | undefined {
    for (;;) {
      const b = this.#blocks[0];
      if (b === undefined || seqGt(b.seq, rcvNxt)) return undefined;
      this.#blocks.shift();
      this.#bytes -= b.length;
      if (seqDiff(rcvNxt, b.seq) < b.length) return b;
    }
  }

  clear(): void {
    this.#blocks = NO_BLOCKS;
    this.#bytes = 0;
  }
}

function blockEnd(b: OfoBlock): Seq {
  return seqAdd(b.seq, b.length);
}
