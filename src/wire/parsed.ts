/**
 * The result of decoding untrusted bytes. Decoders never throw: a packet that is
 * truncated or inconsistent comes back as a `WireError` saying what is wrong and at
 * which byte offset (relative to the start of the buffer handed to the decoder).
 */
export type Parsed<T> = { readonly ok: true; readonly value: T } | ParseFailure;

export interface ParseFailure {
  readonly ok: false;
  readonly error: WireError;
}

export type WireLayer = 'ethernet' | 'arp' | 'ipv4' | 'tcp' | 'udp' | 'icmp' | 'sll' | 'sll2';

export interface WireError {
  readonly layer: WireLayer;
  /** What is wrong, in a few words: `bad IHL 3`, `total length 1500 beyond buffer of 60`. */
  readonly reason: string;
  /** Offset of the offending byte or field in the buffer given to the decoder. */
  readonly offset: number;
}

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail(layer: WireLayer, reason: string, offset: number): ParseFailure {
  return { ok: false, error: { layer, reason, offset } };
}

/** `ipv4 at 0: bad IHL 3` */
export function formatWireError(e: WireError): string {
  return `${e.layer} at ${e.offset}: ${e.reason}`;
}
