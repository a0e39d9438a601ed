/**
 * TCP sequence numbers live in a circle of 2^32 (RFC 9293 3.4). They are not
 * numbers: never compare or subtract two of them with `<` or `-`; use these.
 *
 * A Seq holds the 32 bits of the wire's unsigned number as a signed int32
 * (0xffffffff is -1): every value is then a small integer to V8, where an
 * unsigned one of 2^31 or more would be a heap number, boxed at each store and
 * at each call that does not inline. The arithmetic below is the same modulo
 * 2^32 either way; only printing needs the unsigned value (`seqU32`).
 */
export type Seq = number & { readonly __seq: true };

/** A number's low 32 bits (a uint32 from the wire, say) as a sequence number. */
export function seq(n: number): Seq {
  return (n | 0) as Seq;
}

export function seqAdd(a: Seq, n: number): Seq {
  return ((a + n) | 0) as Seq;
}

/** The unsigned number a Seq stands for, as the wire carries it and tools print it. */
export function seqU32(s: Seq): number {
  return s >>> 0;
}

/** The signed distance from b to a, in [-2^31, 2^31). */
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
