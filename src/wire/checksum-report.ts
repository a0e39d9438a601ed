/**
 * How decoders report a received checksum: the field as it came, whether it
 * verifies, and what it should have been. A wrong checksum is not a parse error
 * (the bytes are still well-formed): callers decide, as Linux counts `InCsumErrors`
 * and drops while tcpdump prints `(incorrect -> 0x1234)` and goes on.
 */

import { finishChecksum } from './checksum.js';

export interface ChecksumReport {
  /** The checksum field as received. */
  readonly checksum: number;
  /**
   * The receiver's check passes: the ones' complement sum over the covered bytes,
   * the field included, is all ones (RFC 1071 1, "(3) To check a checksum").
   */
  readonly checksumOk: boolean;
  /** The value a correct sender would have written into the field. */
  readonly checksumExpected: number;
}

/**
 * The check over a running, unfolded sum that includes the field (see `sumWords`).
 * Both ones'-complement zeros verify: a field of 0x0000 or 0xffff where the other
 * is expected still sums to all ones.
 */
export function checksumVerifies(sumWithField: number): boolean {
  return finishChecksum(sumWithField) === 0;
}

/** The field value a sender computes: the checksum of everything but the field. */
export function checksumExpected(sumWithField: number, field: number): number {
  return finishChecksum(sumWithField - field);
}
