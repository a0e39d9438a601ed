/**
 * UDP datagrams (RFC 768): ports, length, checksum over the IPv4 pseudo-header, in
 * which zero means "no checksum". Small, but ICMP errors quote UDP headers and the
 * printer shows them.
 */

import { formatEndpoint, type Ipv4Address } from './address.js';
import { get16, hex, put16 } from './bytes.js';
import { type PseudoHeader, pseudoHeaderSum, sumWords } from './checksum.js';
import { type ChecksumReport, checksumExpected, checksumVerifies } from './checksum-report.js';
import { assertRoom, type EmitMode } from './emit.js';
import { IPPROTO_UDP } from './ipv4.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';

/** Ports, length, checksum (RFC 768; Linux: sizeof(struct udphdr)). */
export const UDP_HEADER_LEN = 8;

const F = { srcPort: 0, dstPort: 2, length: 4, checksum: 6, payload: 8 } as const;

/** A UDP header in place. After check() succeeds no accessor reads out of bounds. */
export class UdpView {
  constructor(readonly bytes: Uint8Array) {}

  check(): ParseFailure | undefined {
    const n = this.bytes.length;
    if (n < UDP_HEADER_LEN) return fail('udp', `truncated header: ${n} of 8 bytes`, n);
    const len = this.length;
    // Linux __udp4_lib_rcv: "if (ulen > skb->len) goto short_packet;" and a length
    // below the header is as short.
    if (len < UDP_HEADER_LEN) return fail('udp', `length ${len} below header length 8`, F.length);
    if (len > n) return fail('udp', `length ${len} beyond datagram of ${n}`, F.length);
    return undefined;
  }

  get srcPort(): number {
    return get16(this.bytes, F.srcPort);
  }
  get dstPort(): number {
    return get16(this.bytes, F.dstPort);
  }
  /** Header plus data, as the sender wrote it. */
  get length(): number {
    return get16(this.bytes, F.length);
  }
  get checksum(): number {
    return get16(this.bytes, F.checksum);
  }
  /** Data up to `length` (bytes past it are not part of the datagram). */
  get payload(): Uint8Array {
    return this.bytes.subarray(F.payload, Math.min(this.length, this.bytes.length));
  }
}

/** A UDP datagram; `length` and `checksum` are derived by emit unless given (see EmitMode). */
export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length?: number;
  /** 0 means the sender computed none (RFC 768). */
  readonly checksum?: number;
  readonly payload: Uint8Array;
}

export type ReceivedUdpDatagram = UdpDatagram & ChecksumReport & { readonly length: number };

/**
 * Decodes a datagram. Bytes after the UDP length are dropped, as Linux
 * __udp4_lib_rcv trims to it. The checksum covers `bytes[0, length)` with `ph` as
 * given; a zero checksum field counts as correct (RFC 768: "An all zero transmitted
 * checksum value means that the transmitter generated no checksum").
 */
export function parseUdp(bytes: Uint8Array, ph: PseudoHeader): Parsed<ReceivedUdpDatagram> {
  const v = new UdpView(bytes);
  const bad = v.check();
  if (bad) return bad;
  const length = v.length;
  const checksum = v.checksum;
  const sum = sumWords(bytes, 0, length, pseudoHeaderSum(ph));
  return ok({
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    length,
    checksum,
    checksumOk: checksum === 0 || checksumVerifies(sum),
    checksumExpected: udpChecksumValue(checksumExpected(sum, checksum)),
    payload: v.payload,
  });
}

/** RFC 768: "If the computed checksum is zero, it is transmitted as all ones". */
function udpChecksumValue(computed: number): number {
  return computed === 0 ? 0xffff : computed;
}

export function udpHeaderLength(_d: UdpDatagram): number {
  return UDP_HEADER_LEN;
}

/** The pseudo-header to send `d` from `src` to `dst` with. */
export function udpPseudoHeader(src: number, dst: number, d: UdpDatagram): PseudoHeader {
  return { src, dst, protocol: IPPROTO_UDP, length: UDP_HEADER_LEN + d.payload.length };
}

/**
 * Writes header and payload into `out[0, 8 + payload.length)`, checksum last. In
 * 'compute' mode `ph.length` must be 8 + payload length (else a caller bug: throws).
 */
export function emitUdp(
  d: UdpDatagram,
  out: Uint8Array,
  ph: PseudoHeader,
  mode: EmitMode = 'compute',
): void {
  const total = UDP_HEADER_LEN + d.payload.length;
  if (total > 0xffff) throw new RangeError(`emitUdp: length ${total} above 65535`);
  assertRoom(out, total, 'emitUdp');
  if (mode === 'compute' && ph.length !== total) {
    throw new RangeError(`emitUdp: pseudo-header length ${ph.length}, datagram is ${total}`);
  }
  const verbatim = mode === 'verbatim';
  put16(out, F.srcPort, d.srcPort);
  put16(out, F.dstPort, d.dstPort);
  put16(out, F.length, verbatim && d.length !== undefined ? d.length : total);
  put16(out, F.checksum, 0);
  out.set(d.payload, F.payload);
  const checksum =
    verbatim && d.checksum !== undefined
      ? d.checksum
      : udpChecksumValue(checksumExpected(sumWords(out, 0, total, pseudoHeaderSum(ph)), 0));
  put16(out, F.checksum, checksum);
}

export function buildUdp(d: UdpDatagram, ph: PseudoHeader, mode: EmitMode = 'compute'): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_LEN + d.payload.length);
  emitUdp(d, out, ph, mode);
  return out;
}

/**
 * tcpdump -vv style: `40001 > 9999: [udp sum ok] UDP, length 5`, or with the
 * addresses, `192.168.0.21.40001 > 192.168.0.22.9999: …`. The checksum note is
 * for decoded datagrams (tcpdump shows it from -vv on).
 */
export function formatUdp(d: UdpDatagram, src?: Ipv4Address, dst?: Ipv4Address): string {
  let s = `${formatEndpoint(src, d.srcPort)} > ${formatEndpoint(dst, d.dstPort)}: `;
  const r = d as Partial<ChecksumReport>;
  if (r.checksumOk !== undefined && r.checksum !== undefined) {
    if (r.checksum === 0) s += '[no cksum] ';
    else if (!r.checksumOk) {
      s += `[bad udp cksum 0x${hex(r.checksum, 4)} -> 0x${hex(r.checksumExpected ?? 0, 4)}!] `;
    } else s += '[udp sum ok] ';
  }
  return `${s}UDP, length ${d.payload.length}`;
}
