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
