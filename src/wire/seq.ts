/**
 * TCP sequence numbers live in a circle of 2^32 (RFC 9293 3.4). They are not
 * numbers: never compare or subtract two of them with `<` or `-`; use these.
 */
export type Seq = number & { readonly __seq: true };

/** A uint32 as a sequence number. */
export function seq(n: number): Seq {
  return (n >>> 0) as Seq;
}

export function seqAdd(a: Seq, n: number): Seq {
  return ((a + n) >>> 0) as Seq;
}

/** The signed distance from b to a, in (-2^31, 2^31]. */
export function seqDiff(a: Seq, b: Seq): number {
  return (a - b) | 0;
}

export function seqLt(a: Seq, b: Seq): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: Seq, b: Seq): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqGt(a: Seq, b: Seq): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: Seq, b: Seq): boolean {
  return seqDiff(a, b) >= 0;
}

/** start <= x < start + size, on the circle. A zero-size window holds nothing. */
export function seqInWindow(x: Seq, start: Seq, size: number): boolean {
  return (x - start) >>> 0 < size;
}
