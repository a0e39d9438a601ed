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
  let i = start;
  // Sum up to 0xffff per word; 32-bit doubles cannot overflow before 2^37 words.
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
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
