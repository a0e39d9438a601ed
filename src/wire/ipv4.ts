/**
 * IPv4 headers (RFC 791 3.1), with the TOS byte split as DSCP (RFC 2474) and ECN
 * (RFC 3168 5). Options are kept as raw bytes. Read RFC 791 3.1 first; the checks
 * follow Linux ip_rcv_core (net/ipv4/ip_input.c), which drops what is rejected here.
 */

import {
  formatIpv4Address,
  type Ipv4Address,
  readIpv4Address,
  writeIpv4Address,
} from './address.js';
import { EMPTY_BYTES, freshBytes, get16, put16, view } from './bytes.js';
import { finishChecksum, internetChecksum, type PseudoHeader, sumWords } from './checksum.js';
import { type ChecksumReport, checksumExpected, checksumVerifies } from './checksum-report.js';
import { assertRoom, type EmitMode } from './emit.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';

/** IHL 5 (RFC 791 3.1; Linux: sizeof(struct iphdr)). */
export const IPV4_HEADER_LEN = 20;
/** IHL is 4 bits of 32-bit words: at most 15 * 4 bytes. */
export const IPV4_MAX_HEADER_LEN = 60;
/** Total Length is 16 bits (RFC 791 3.1). */
export const IPV4_MAX_TOTAL_LEN = 0xffff;

// Protocol numbers (IANA; Linux: IPPROTO_* in include/uapi/linux/in.h).
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

// The flags/fragment-offset word (RFC 791 3.1; Linux: include/net/ip.h, where the
// reserved bit is IP_CE).
export const IP_RF = 0x8000;
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;

/** TOS precedence 110, "Internetwork Control" (RFC 791 3.1; Linux: IPTOS_PREC_INTERNETCONTROL). */
export const IPTOS_PREC_INTERNETCONTROL = 0xc0;

// ECN codepoints, the low two bits of the TOS byte (RFC 3168 5).
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

const F = {
  versionIhl: 0,
  tos: 1,
  totalLength: 2,
  id: 4,
  flagsFragment: 6,
  ttl: 8,
  protocol: 9,
  checksum: 10,
  src: 12,
  dst: 16,
  options: 20,
} as const;

export interface Ipv4ParseOptions {
  /**
   * Accept a packet whose Total Length runs past the buffer (a capture cut by its
   * snap length, or the quote inside an ICMP error) and give the bytes there are:
   * `payload` is then shorter than `totalLength - header length`. By default such a
   * packet is an error, as it is for Linux ip_rcv_core (IPSTATS_MIB_INTRUNCATEDPKTS).
   */
  readonly allowTruncated?: boolean;
}

/**
 * An IPv4 header in place, at `bytes[at]` (a received frame is read where it
 * lies, behind its link-level header, without a view of its own). After check()
 * succeeds no accessor reads out of bounds; its offsets count from `at`. A
 * receive path may re-point one view at each datagram (set `bytes` and `at`)
 * rather than make one per datagram.
 */
export class Ipv4View {
  constructor(
    public bytes: Uint8Array,
    public at = 0,
  ) {}

  check(opts?: Ipv4ParseOptions): ParseFailure | undefined {
    const n = this.bytes.length - this.at;
    if (n === 0) return fail('ipv4', 'truncated header: 0 of 20 bytes', 0);
    // Linux ip_rcv_core: "if (iph->ihl < 5 || iph->version != 4) goto inhdr_error",
    // then pskb_may_pull(iph->ihl * 4); then a Total Length past the data is
    // IPSTATS_MIB_INTRUNCATEDPKTS and one below the header length inhdr_error.
    if (this.version !== 4) return fail('ipv4', `version ${this.version}, not 4`, F.versionIhl);
    if (this.ihl < 5) return fail('ipv4', `bad IHL ${this.ihl}`, F.versionIhl);
    if (n < IPV4_HEADER_LEN) return fail('ipv4', `truncated header: ${n} of 20 bytes`, n);
    const hl = this.headerLength;
    if (hl > n) {
      return fail(
        'ipv4',
        `header length ${hl} (IHL ${this.ihl}) beyond buffer of ${n}`,
        F.versionIhl,
      );
    }
    const total = this.totalLength;
    if (total < hl) {
      return fail('ipv4', `total length ${total} below header length ${hl}`, F.totalLength);
    }
    if (total > n && !opts?.allowTruncated) {
      return fail('ipv4', `total length ${total} beyond buffer of ${n}`, F.totalLength);
    }
    return undefined;
  }

  get version(): number {
    return this.bytes[this.at + F.versionIhl]! >>> 4;
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return this.bytes[this.at + F.versionIhl]! & 15;
  }
  get headerLength(): number {
    return this.ihl * 4;
  }
  get tos(): number {
    return this.bytes[this.at + F.tos]!;
  }
  get dscp(): number {
    return this.bytes[this.at + F.tos]! >>> 2;
  }
  get ecn(): number {
    return this.bytes[this.at + F.tos]! & 3;
  }
  get totalLength(): number {
    return get16(this.bytes, this.at + F.totalLength);
  }
  get id(): number {
    return get16(this.bytes, this.at + F.id);
  }
  get reservedFlag(): boolean {
    return (this.bytes[this.at + F.flagsFragment]! & (IP_RF >>> 8)) !== 0;
  }
  get dontFragment(): boolean {
    return (this.bytes[this.at + F.flagsFragment]! & (IP_DF >>> 8)) !== 0;
  }
  get moreFragments(): boolean {
    return (this.bytes[this.at + F.flagsFragment]! & (IP_MF >>> 8)) !== 0;
  }
  /** In units of 8 bytes, as on the wire. */
  get fragmentOffset(): number {
    return get16(this.bytes, this.at + F.flagsFragment) & IP_OFFSET;
  }
  get ttl(): number {
    return this.bytes[this.at + F.ttl]!;
  }
  get protocol(): number {
    return this.bytes[this.at + F.protocol]!;
  }
  get checksum(): number {
    return get16(this.bytes, this.at + F.checksum);
  }
  get src(): Ipv4Address {
    return readIpv4Address(this.bytes, this.at + F.src);
  }
  get dst(): Ipv4Address {
    return readIpv4Address(this.bytes, this.at + F.dst);
  }
  get options(): Uint8Array {
    const hl = this.headerLength;
    // Almost every header has none: no view to make.
    const at = this.at;
    return hl === IPV4_HEADER_LEN ? EMPTY_BYTES : this.bytes.subarray(at + F.options, at + hl);
  }
  /** From the header's end to Total Length, or to the buffer's end if that comes first. */
  get payload(): Uint8Array {
    const at = this.at;
    const end = Math.min(at + this.totalLength, this.bytes.length);
    return view(this.bytes, at + this.headerLength, end);
  }
}

/**
 * An IPv4 packet. Decoded packets carry every field; a packet built by tcplab may
 * leave out `totalLength`, `checksum` and `reservedFlag`, which emit derives (see
 * `EmitMode`) or writes as zero.
 */
export interface Ipv4Packet {
  /** Differentiated Services codepoint, the high 6 bits of the TOS byte (RFC 2474 3). */
  readonly dscp: number;
  /** The low 2 bits of the TOS byte (RFC 3168 5): ECN_NOT_ECT, ECN_ECT1, ECN_ECT0, ECN_CE. */
  readonly ecn: number;
  /** As received; may exceed 20 + options + payload when the packet was truncated. */
  readonly totalLength?: number;
  readonly id: number;
  /** The reserved flag bit, "must be zero" (RFC 791 3.1; RFC 3514 in jest). */
  readonly reservedFlag?: boolean;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In units of 8 bytes (RFC 791 3.1): tcpdump prints this times 8. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum?: number;
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  /** Raw option bytes, a multiple of 4 long, at most 40 (IHL 15). */
  readonly options: Uint8Array;
  readonly payload: Uint8Array;
}

/** What parseIpv4 returns: every field, and what the header checksum turned out to be. */
export type ReceivedIpv4Packet = Ipv4Packet &
  ChecksumReport & { readonly totalLength: number; readonly reservedFlag: boolean };

/**
 * Decodes an IPv4 packet. `options` and `payload` are views into `bytes`. Bytes
 * after Total Length (Ethernet padding) are not part of the packet, as Linux
 * ip_rcv_core trims them (pskb_trim_rcsum). A wrong header checksum is reported in
 * `checksumOk`, not refused.
 */
export function parseIpv4(bytes: Uint8Array, opts?: Ipv4ParseOptions): Parsed<ReceivedIpv4Packet> {
  const v = new Ipv4View(bytes);
  const bad = v.check(opts);
  if (bad) return bad;
  return ok(decodeIpv4(v, sumWords(bytes, 0, v.headerLength)));
}

/**
 * The packet parseIpv4 gives, from a view whose check() passed and the
 * unfolded sum of its header (`sumWords` over it): for a receive path that has
 * made ip_rcv_core's checks and summed the header itself, so that neither is
 * done twice.
 */
export function decodeIpv4(v: Ipv4View, headerSum: number): ReceivedIpv4Packet {
  const sum = headerSum;
  const checksum = v.checksum;
  return {
    dscp: v.dscp,
    ecn: v.ecn,
    totalLength: v.totalLength,
    id: v.id,
    reservedFlag: v.reservedFlag,
    dontFragment: v.dontFragment,
    moreFragments: v.moreFragments,
    fragmentOffset: v.fragmentOffset,
    ttl: v.ttl,
    protocol: v.protocol,
    checksum,
    checksumOk: checksumVerifies(sum),
    checksumExpected: checksumExpected(sum, checksum),
    src: v.src,
    dst: v.dst,
    options: v.options,
    payload: v.payload,
  };
}

/**
 * decodeIpv4 for a receive path that reads the datagram where it lies: the
 * same fields, read from the header when asked for (a transport reads two or
 * three of them; a datagram dropped early, none), and `payload` made the
 * first time it is asked for. The view `v` is not kept; the bytes are, which
 * a received frame allows (link.ts: nobody modifies a frame once sent).
 */
export function decodeIpv4InPlace(v: Ipv4View, headerSum: number): ReceivedIpv4Packet {
  return new ReceivedIpv4(v.bytes, v.at, headerSum);
}

/**
 * What decodeIpv4InPlace gives: decodeIpv4's fields as getters over a header
 * whose check() passed, so that making one costs three stores, not seventeen.
 */
class ReceivedIpv4 implements ReceivedIpv4Packet {
  readonly #bytes: Uint8Array;
  readonly #at: number;
  readonly #headerSum: number;
  #payload: Uint8Array | undefined = undefined;

  constructor(bytes: Uint8Array, at: number, headerSum: number) {
    this.#bytes = bytes;
    this.#at = at;
    this.#headerSum = headerSum;
  }

  get dscp(): number {
    return this.#bytes[this.#at + F.tos]! >>> 2;
  }
  get ecn(): number {
    return this.#bytes[this.#at + F.tos]! & 3;
  }
  get totalLength(): number {
    return get16(this.#bytes, this.#at + F.totalLength);
  }
  get id(): number {
    return get16(this.#bytes, this.#at + F.id);
  }
  get reservedFlag(): boolean {
    return (this.#bytes[this.#at + F.flagsFragment]! & (IP_RF >>> 8)) !== 0;
  }
  get dontFragment(): boolean {
    return (this.#bytes[this.#at + F.flagsFragment]! & (IP_DF >>> 8)) !== 0;
  }
  get moreFragments(): boolean {
    return (this.#bytes[this.#at + F.flagsFragment]! & (IP_MF >>> 8)) !== 0;
  }
  get fragmentOffset(): number {
    return get16(this.#bytes, this.#at + F.flagsFragment) & IP_OFFSET;
  }
  get ttl(): number {
    return this.#bytes[this.#at + F.ttl]!;
  }
  get protocol(): number {
    return this.#bytes[this.#at + F.protocol]!;
  }
  get checksum(): number {
    return get16(this.#bytes, this.#at + F.checksum);
  }
  get checksumOk(): boolean {
    return checksumVerifies(this.#headerSum);
  }
  get checksumExpected(): number {
    return checksumExpected(this.#headerSum, this.checksum);
  }
  get src(): Ipv4Address {
    return readIpv4Address(this.#bytes, this.#at + F.src);
  }
  get dst(): Ipv4Address {
    return readIpv4Address(this.#bytes, this.#at + F.dst);
  }
  /** Ipv4View.options: the same bytes (a fresh view each time only when there are options). */
  get options(): Uint8Array {
    const at = this.#at;
    const hl = (this.#bytes[at + F.versionIhl]! & 15) * 4;
    return hl === IPV4_HEADER_LEN ? EMPTY_BYTES : this.#bytes.subarray(at + F.options, at + hl);
  }
  /** Ipv4View.payload: from the header's end to Total Length, or to the buffer's end. */
  get payload(): Uint8Array {
    if (this.#payload === undefined) {
      const bytes = this.#bytes;
      const at = this.#at;
      const hl = (bytes[at + F.versionIhl]! & 15) * 4;
      const end = Math.min(at + get16(bytes, at + F.totalLength), bytes.length);
      this.#payload = view(bytes, at + hl, end);
    }
    return this.#payload;
  }
}

export function ipv4HeaderLength(pkt: Ipv4Packet): number {
  return IPV4_HEADER_LEN + pkt.options.length;
}

/**
 * Writes the header alone into `out[0, header length)`, for a payload of
 * `payloadLength` bytes that the caller puts (or has put) right after it. The
 * checksum is computed last unless `mode` is 'verbatim' and the packet has one.
 */
export function emitIpv4Header(
  pkt: Ipv4Packet,
  out: Uint8Array,
  payloadLength: number,
  mode: EmitMode = 'compute',
): void {
  const optLen = pkt.options.length;
  if (optLen % 4 !== 0 || optLen > IPV4_MAX_HEADER_LEN - IPV4_HEADER_LEN) {
    throw new RangeError(`emitIpv4: ${optLen} option bytes (need a multiple of 4, at most 40)`);
  }
  const hl = IPV4_HEADER_LEN + optLen;
  const computedTotal = hl + payloadLength;
  if (computedTotal > IPV4_MAX_TOTAL_LEN) {
    throw new RangeError(`emitIpv4: total length ${computedTotal} above 65535`);
  }
  assertRoom(out, hl, 'emitIpv4');
  const verbatim = mode === 'verbatim';
  out[F.versionIhl] = 0x40 | (hl >>> 2);
  out[F.tos] = ((pkt.dscp & 0x3f) << 2) | (pkt.ecn & 3);
  put16(
    out,
    F.totalLength,
    verbatim && pkt.totalLength !== undefined ? pkt.totalLength : computedTotal,
  );
  put16(out, F.id, pkt.id);
  put16(
    out,
    F.flagsFragment,
    (pkt.reservedFlag ? IP_RF : 0) |
      (pkt.dontFragment ? IP_DF : 0) |
      (pkt.moreFragments ? IP_MF : 0) |
      (pkt.fragmentOffset & IP_OFFSET),
  );
  out[F.ttl] = pkt.ttl;
  out[F.protocol] = pkt.protocol;
  put16(out, F.checksum, 0);
  writeIpv4Address(out, F.src, pkt.src);
  writeIpv4Address(out, F.dst, pkt.dst);
  if (optLen > 0) out.set(pkt.options, F.options);
  // RFC 791 3.1: the checksum field is zero while the header checksum is computed.
  const checksum =
    verbatim && pkt.checksum !== undefined ? pkt.checksum : internetChecksum(out, 0, hl);
  put16(out, F.checksum, checksum);
}

/**
 * Writes a 20-byte header without options into `out[at, at + 20)` for a payload
 * of `payloadLength` bytes already in place after it: what emitIpv4Header writes
 * for such a packet (no reserved flag, no fragment), with no packet object to
 * build. The header checksum is summed from the fields (RFC 1071) rather than
 * read back from the bytes.
 */
export function emitIpv4BasicHeader(
  out: Uint8Array,
  tos: number,
  id: number,
  dontFragment: boolean,
  ttl: number,
  protocol: number,
  src: Ipv4Address,
  dst: Ipv4Address,
  payloadLength: number,
  at = 0,
): void {
  const total = IPV4_HEADER_LEN + payloadLength;
  if (total > IPV4_MAX_TOTAL_LEN) {
    throw new RangeError(`emitIpv4: total length ${total} above 65535`);
  }
  assertRoom(out, at + IPV4_HEADER_LEN, 'emitIpv4');
  const w0 = 0x4500 | (tos & 0xff);
  const flags = dontFragment ? IP_DF : 0;
  const w4 = ((ttl & 0xff) << 8) | (protocol & 0xff);
  out[at + F.versionIhl] = 0x45;
  out[at + F.tos] = tos;
  put16(out, at + F.totalLength, total);
  put16(out, at + F.id, id);
  put16(out, at + F.flagsFragment, flags);
  out[at + F.ttl] = ttl;
  out[at + F.protocol] = protocol;
  writeIpv4Address(out, at + F.src, src);
  writeIpv4Address(out, at + F.dst, dst);
  const sum =
    w0 +
    total +
    (id & 0xffff) +
    flags +
    w4 +
    (src >>> 16) +
    (src & 0xffff) +
    (dst >>> 16) +
    (dst & 0xffff);
  put16(out, at + F.checksum, finishChecksum(sum));
}

/** Writes header and payload into `out[0, header length + payload length)`. */
export function emitIpv4(pkt: Ipv4Packet, out: Uint8Array, mode: EmitMode = 'compute'): void {
  const hl = ipv4HeaderLength(pkt);
  assertRoom(out, hl + pkt.payload.length, 'emitIpv4');
  emitIpv4Header(pkt, out, pkt.payload.length, mode);
  out.set(pkt.payload, hl);
}

export function buildIpv4(pkt: Ipv4Packet, mode: EmitMode = 'compute'): Uint8Array {
  const out = freshBytes(ipv4HeaderLength(pkt) + pkt.payload.length);
  emitIpv4(pkt, out, mode);
  return out;
}

/** The TCP/UDP pseudo-header (RFC 9293 3.1, RFC 768) for the payload this packet carries. */
export function ipv4PseudoHeader(pkt: Ipv4Packet): PseudoHeader {
  return { src: pkt.src, dst: pkt.dst, protocol: pkt.protocol, length: pkt.payload.length };
}

/** A fragment of a larger datagram: more follow, or this one is not the first (RFC 791 3.2). */
export function ipv4IsFragment(pkt: Ipv4Packet): boolean {
  return pkt.moreFragments || pkt.fragmentOffset !== 0;
}

/** The packet was decoded with `allowTruncated` and lacks some of its payload. */
export function ipv4IsTruncated(pkt: Ipv4Packet): boolean {
  return (
    pkt.totalLength !== undefined && pkt.payload.length < pkt.totalLength - ipv4HeaderLength(pkt)
  );
}

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  // tcpdump: ipproto_values in ipproto.c, for the protocols a lab meets.
  [0, 'Options'],
  [IPPROTO_ICMP, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [IPPROTO_TCP, 'TCP'],
  [IPPROTO_UDP, 'UDP'],
  [41, 'IPv6'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [89, 'OSPF'],
  [132, 'SCTP'],
]);

/** `TCP (6)`, as tcpdump -v names a protocol (`unknown (253)` otherwise). */
export function formatIpProtocol(protocol: number): string {
  return `${PROTOCOL_NAMES.get(protocol) ?? 'unknown'} (${protocol})`;
}

const IP_OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  // RFC 791 3.1, RFC 2113 (RA), RFC 1393 (traceroute); names as tcpdump's ip_option_values.
  [0, 'EOL'],
  [1, 'NOP'],
  [7, 'RR'],
  [68, 'timestamp'],
  [130, 'security'],
  [131, 'LSRR'],
  [137, 'SSRR'],
  [148, 'RA'],
  [82, 'traceroute'],
]);

/**
 * A light decode of IPv4 option bytes for display: option names separated by
 * commas (`NOP,NOP,RA`). A broken length ends the list with `[bad length N]`.
 */
export function formatIpv4Options(options: Uint8Array): string {
  const names: string[] = [];
  let i = 0;
  while (i < options.length) {
    const type = options[i]!;
    const name = IP_OPTION_NAMES.get(type) ?? `unknown ${type}`;
    if (type === 0 || type === 1) {
      names.push(name);
      i += 1;
      if (type === 0) break;
      continue;
    }
    const len = options[i + 1];
    if (len === undefined || len < 2 || i + len > options.length) {
      names.push(`${name} [bad length ${len ?? 0}]`);
      break;
    }
    names.push(name);
    i += len;
  }
  return names.join(',');
}

/** `[DF]`, `[+, DF]`, `[none]`: the flags as tcpdump -v lists them (print-ip.c ip_frag_values). */
function formatIpv4Flags(pkt: Ipv4Packet): string {
  const parts: string[] = [];
  if (pkt.moreFragments) parts.push('+');
  if (pkt.dontFragment) parts.push('DF');
  if (pkt.reservedFlag) parts.push('rsvd');
  return parts.length === 0 ? 'none' : parts.join(', ');
}

const ECN_SUFFIX = ['', ',ECT(1)', ',ECT(0)', ',CE'] as const;

/**
 * The header as tcpdump -v prints it before the addresses:
 * `(tos 0x0, ttl 64, id 12875, offset 0, flags [DF], proto TCP (6), length 60)`.
 */
export function formatIpv4Header(pkt: Ipv4Packet): string {
  const tos = ((pkt.dscp & 0x3f) << 2) | (pkt.ecn & 3);
  const total = pkt.totalLength ?? ipv4HeaderLength(pkt) + pkt.payload.length;
  let s = `(tos 0x${tos.toString(16)}${ECN_SUFFIX[pkt.ecn & 3]}`;
  // tcpdump omits a zero TTL.
  if (pkt.ttl >= 1) s += `, ttl ${pkt.ttl}`;
  s += `, id ${pkt.id}, offset ${(pkt.fragmentOffset & IP_OFFSET) * 8}`;
  s += `, flags [${formatIpv4Flags(pkt)}], proto ${formatIpProtocol(pkt.protocol)}, length ${total}`;
  if (pkt.options.length > 0) s += `, options (${formatIpv4Options(pkt.options)})`;
  return `${s})`;
}

/** One line: the -v header, then `192.168.0.21 > 192.168.0.22`. */
export function formatIpv4(pkt: Ipv4Packet): string {
  return `${formatIpv4Header(pkt)} ${formatIpv4Address(pkt.src)} > ${formatIpv4Address(pkt.dst)}`;
}
