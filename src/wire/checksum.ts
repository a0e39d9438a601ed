/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement
 * sum of 16-bit big-endian words. Used by IPv4, ICMP, TCP and UDP; TCP and UDP add
 * the pseudo-header (RFC 9293 3.1, RFC 768).
 */

/**
 * Adds `bytes[start, end)` to a running 32-bit sum of 16-bit words, without
 * folding. An odd final byte is padded with a zero on the right (RFC 1071 4.1).
 */
export function sumWords(bytes: Uint8Array, start: number, end: number, sum = 0): number {
  if (end - start >= WIDE_MIN_BYTES && LITTLE_ENDIAN && ((bytes.byteOffset + start) & 1) === 0) {
    return sumWordsWide(bytes, start, end, sum);
  }
  return sumWordsBytes(bytes, start, end, sum);
}

/** Two bytes at a time: short spans, and spans at an odd address. */
function sumWordsBytes(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  // Sum up to 0xffff per word; 32-bit doubles cannot overflow before 2^37 words.
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Whether this machine stores a Uint32Array element's low byte first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this a Uint32Array view costs more than it saves. */
const WIDE_MIN_BYTES = 64;

/**
 * sumWords over a span at an even address, four bytes per load: a payload's
 * checksum was the largest cost of a bulk transfer. The result is exactly what
 * the bytewise loop gives (the running sum is unfolded, and callers subtract a
 * field from it). A little-endian load `w` holds the big-endian words (b0, b1)
 * and (b2, b3) of the span as b0 | b1 << 8 | b2 << 16 | b3 << 24: the high
 * bytes b0 and b2 are the 0x00ff00ff lanes of w, the low bytes those of w >>> 8.
 * Each 16-bit lane sums at most 256 bytes of 255 before it is emptied, so it
 * never carries into the next.
 */
function sumWordsWide(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  if (((bytes.byteOffset + i) & 2) !== 0) {
    sum += (bytes[i]! << 8) | bytes[i + 1]!;
    i += 2;
  }
  const words = (end - i) >>> 2;
  const u = wordsOf(bytes.buffer);
  const first = (bytes.byteOffset + i) >>> 2;
  let high = 0;
  let low = 0;
  const last = first + words;
  for (let k = first; k < last; ) {
    const stop = Math.min(last, k + 256);
    let h = 0;
    let l = 0;
    // Two words a step (a quarter less loop overhead, measured).
    for (; k + 1 < stop; k += 2) {
      const w = u[k]!;
      const x = u[k + 1]!;
      h += (w & 0x00ff00ff) + (x & 0x00ff00ff);
      l += ((w >>> 8) & 0x00ff00ff) + ((x >>> 8) & 0x00ff00ff);
    }
    if (k < stop) {
      const w = u[k++]!;
      h += w & 0x00ff00ff;
      l += (w >>> 8) & 0x00ff00ff;
    }
    high += (h & 0xffff) + (h >>> 16);
    low += (l & 0xffff) + (l >>> 16);
  }
  return sumWordsBytes(bytes, i + words * 4, end, sum + high * 256 + low);
}

/**
 * A Uint32Array over the whole of `buffer`, the last one made kept: frames are
 * built in shared slabs (bytes.ts freshBytes), so the segment summed next is
 * nearly always in the same buffer, and a view per checksum cost more than
 * the summing of a short segment.
 */
function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return lastWords;
}

let lastBuffer: ArrayBufferLike | undefined;
let lastWords: Uint32Array = new Uint32Array(0);

/** Folds a running sum to 16 bits and complements it. */
export function finishChecksum(sum: number): number {
  // Sums of 2^32 and more (datagrams near 64 KiB) fold by division first; the
  // rest, nearly every packet's, by shifts (`& 0xffff` keeps the low 16 bits
  // of any integer below 2^53).
  while (sum > 0xffffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The checksum of `bytes[start, end)`. Over a region that holds a correct checksum it is 0. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sumWords(bytes, start, end));
}

/** The TCP/UDP pseudo-header for IPv4 (RFC 9293 3.1): addresses, protocol, length. */
export interface PseudoHeader {
  /** IPv4 source address as an unsigned 32-bit number. */
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  /** Length of the transport header plus payload, in bytes. */
  readonly length: number;
}

export function pseudoHeaderSum(ph: PseudoHeader): number {
  return (
    (ph.src >>> 16) +
    (ph.src & 0xffff) +
    (ph.dst >>> 16) +
    (ph.dst & 0xffff) +
    ph.protocol +
    ph.length
  );
}

/** Checksum of a transport segment `bytes[start, end)` including the IPv4 pseudo-header. */
export function transportChecksum(
  bytes: Uint8Array,
  start: number,
  end: number,
  ph: PseudoHeader,
): number {
  return finishChecksum(sumWords(bytes, start, end, pseudoHeaderSum(ph)));
}
