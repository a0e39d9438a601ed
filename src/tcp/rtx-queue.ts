/**
 * The retransmit queue (Linux tp->tcp_rtx_queue): the segments sent and not
 * yet cumulatively acknowledged, oldest first. output.ts queues and resends
 * them, sack.ts and rack.ts mark them, input.ts (tcp_clean_rtx_queue) forgets
 * what an ACK covers.
 *
 * An array read from a head index, so that forgetting costs what was
 * acknowledged: Array.prototype.shift moves the whole array whenever V8 cannot
 * trim its start, and a bulk sender's queue holds thousands of segments. The
 * array is compacted once the forgotten part is half of it (and 64 or more).
 */

import type { TxSegment } from './connection.js';

/** The array of a queue in its one-segment form (frozen: never pushed onto). */
const NO_ITEMS = Object.freeze([]) as unknown as TxSegment[];

export class RtxQueue {
  /**
   * The only segment, while the queue holds one and was made by `of`: a short
   * connection's queue holds one segment at a time (its SYN, its request, its
   * FIN), and an array for it was two more allocations each time.
   */
  #one: TxSegment | undefined;
  #items: TxSegment[];
  /** The index of the oldest segment still queued. */
  #head = 0;

  /** A queue of `items` (a frozen array makes a queue that cannot grow). */
  constructor(items: TxSegment[] = []) {
    this.#items = items;
  }

  /** A queue holding just `s`. */
  static of(s: TxSegment): RtxQueue {
    const q = new RtxQueue(NO_ITEMS);
    q.#one = s;
    return q;
  }

  /** Segments queued (Linux packets_out). */
  get length(): number {
    return this.#one !== undefined ? 1 : this.#items.length - this.#head;
  }

  /** The oldest segment (tcp_rtx_queue_head), or undefined. */
  get head(): TxSegment | undefined {
    if (this.#one !== undefined) return this.#one;
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** The newest segment (tcp_rtx_queue_tail), or undefined. */
  get tail(): TxSegment | undefined {
    if (this.#one !== undefined) return this.#one;
    const items = this.#items;
    return this.#head < items.length ? items[items.length - 1] : undefined;
  }

  /** The segment `i` places after the oldest (0 <= i < length). */
  at(i: number): TxSegment {
    if (this.#one !== undefined) return this.#one;
    return this.#items[this.#head + i]!;
  }

  push(s: TxSegment): void {
    const one = this.#one;
    if (one !== undefined) {
      // The second segment: the queue becomes an array.
      this.#items = [one, s];
      this.#one = undefined;
    } else if (this.#items === NO_ITEMS) {
      this.#one = s;
    } else {
      this.#items.push(s);
    }
  }

  /** Forgets the `n` oldest segments (0 <= n <= length). */
  dropHead(n: number): void {
    if (n === 0) return;
    if (this.#one !== undefined) {
      this.#one = undefined;
      return;
    }
    const items = this.#items;
    let head = this.#head + n;
    if (head === items.length) {
      items.length = 0;
      head = 0;
    } else if (head >= 64 && 2 * head >= items.length) {
      items.copyWithin(0, head);
      items.length -= head;
      head = 0;
    }
    this.#head = head;
  }

  /** The segments, oldest first (a copy). */
  toArray(): TxSegment[] {
    if (this.#one !== undefined) return [this.#one];
    return this.#items.slice(this.#head);
  }

  *[Symbol.iterator](): IterableIterator<TxSegment> {
    if (this.#one !== undefined) {
      yield this.#one;
      return;
    }
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) yield items[i]!;
  }
}
