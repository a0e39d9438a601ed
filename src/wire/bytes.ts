/**
 * Big-endian ("network byte order", RFC 791 Appendix B) reads and writes on byte
 * arrays, shared by the codecs. Callers check bounds first: these helpers do not.
 */

/** The 16-bit big-endian word at `o`. */
export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** The 32-bit big-endian word at `o`, as an unsigned number. */
export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * The 32-bit big-endian word at `o`, as a signed int32: the same 32 bits, kept
 * a small integer to V8 (see Seq in seq.ts); `>>> 0` gives the unsigned number.
 */
export function get32i(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** Writes the low 16 bits of `v` at `o` (a Uint8Array store keeps the low 8 bits of each byte). */
export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

/** Writes the low 32 bits of `v` at `o`. */
export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

const HEX = '0123456789abcdef';

/** Lower-case hex of `bytes`, no separators: `0a1b`. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const v = bytes[i]!;
    s += HEX[v >>> 4]! + HEX[v & 15]!;
  }
  return s;
}

/** `n` as lower-case hex, zero-padded to `width` digits: `hex(0x2a, 4)` is `002a`. */
export function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** An empty byte array, shared so that empty payloads and options do not allocate. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Fresh bytes for a frame or segment being built: like `new Uint8Array(n)`
 * (zeroed, and never handed out twice), but small arrays are views into a
 * shared slab. Allocating an ArrayBuffer of its own costs far more than
 * building a segment (most of the time of a short connection sent as bytes);
 * Linux too builds skbs in slab caches and page fragments. A slab is freed when
 * no view into it is held any more. Use `.byteOffset` with `.buffer`.
 */
export function freshBytes(n: number): Uint8Array {
  if (n > FRESH_MAX_BYTES) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  // The next view starts 8-aligned, so that word-wise checksums can use it.
  slabUsed += (n + 7) & ~7;
  return out;
}

/** A slab's size, and the largest request served from one (an MTU-sized frame). */
const SLAB_BYTES = 64 * 1024;
const FRESH_MAX_BYTES = 2048;
/** The slab being carved, full at first (an ArrayBuffer, not a view: one less load per frame). */
let slab: ArrayBuffer = new ArrayBuffer(0);
let slabUsed = SLAB_BYTES;

/**
 * `b.subarray(start, end)` (clamped the same way) as a plain Uint8Array made
 * directly: subarray's species lookup makes it about twice as slow, and the
 * codecs make a view per layer of every packet.
 */
export function view(b: Uint8Array, start: number, end: number = b.length): Uint8Array {
  const n = b.length;
  const s = start < n ? start : n;
  const e = end < s ? s : end < n ? end : n;
  return new Uint8Array(b.buffer, b.byteOffset + s, e - s);
}
