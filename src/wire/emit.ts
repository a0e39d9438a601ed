/**
 * What emitters share. Emitting is given trusted values (built by tcplab itself),
 * so a value that cannot be encoded (options longer than a header can hold, an
 * output buffer too small) is a bug in the caller and throws (STYLE.md 8).
 */

/**
 * How an emitter treats the fields a sender derives from the rest of the value
 * (IPv4 total length and header checksum, UDP length, TCP/UDP/ICMP checksums):
 * - `'compute'` (the default) derives them, checksums last, as a sender would;
 * - `'verbatim'` writes the value's own field where it has one, so that a parsed
 *   packet with a wrong checksum or a lying length comes back byte for byte; a
 *   field the value lacks is still computed.
 */
export type EmitMode = 'compute' | 'verbatim';

/** Throws when `out` cannot hold `need` bytes: a caller sized its buffer wrong. */
export function assertRoom(out: Uint8Array, need: number, what: string): void {
  if (out.length < need) {
    throw new RangeError(`${what}: output buffer of ${out.length} bytes, need ${need}`);
  }
}
