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

export class RtxQueue {
  #items: TxSegment[];
  /** The index of the oldest segment still queued. */
  #head = 0;

  /** A queue of `items` (a frozen array makes a queue that cannot grow). */
  constructor(items: TxSegment[] = []) {
    this.#items = items;
  }

  /** Segments queued (Linux packets_out). */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The oldest segment (tcp_rtx_queue_head), or undefined. */
  get head(): TxSegment | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** The newest segment (tcp_rtx_queue_tail), or undefined. */
  get tail(): TxSegment | undefined {
    const items = this.#items;
    return this.#head < items.length ? items[items.length - 1] : undefined;
  }

  /** The segment `i` places after the oldest (0 <= i < length). */
  at(i: number): TxSegment {
    return this.#items[this.#head + i]!;
  }

  push(s: TxSegment): void {
    this.#items.push(s);
  }

  /** Forgets the `n` oldest segments (0 <= n <= length). */
  dropHead(n: number): void {
    if (n === 0) return;
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
    return this.#items.slice(this.#head);
  }

  *[Symbol.iterator](): IterableIterator<TxSegment> {
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) yield items[i]!;
  }
}
