/**
 * TCP segments (RFC 9293 3.1): the fixed header, the nine control bits as a bit
 * set, options (tcp-options.ts) and payload, with the checksum over the IPv4
 * pseudo-header. Read RFC 9293 3.1 first. Decoding refuses only what cannot be
 * walked (Linux tcp_v4_rcv drops a data offset below 5 or past the segment); a
 * wrong checksum is reported, not refused.
 */

import { formatEndpoint, type Ipv4Address } from './address.js';
import { EMPTY_BYTES, freshBytes, get16, get32i, hex, put16, put32, view } from './bytes.js';
import { finishChecksum, type PseudoHeader, pseudoHeaderSum, sumWords } from './checksum.js';
import { type ChecksumReport, checksumExpected, checksumVerifies } from './checksum-report.js';
import { assertRoom, type EmitMode } from './emit.js';
import { IPPROTO_TCP } from './ipv4.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';
import { type Seq, seq, seqAdd, seqU32 } from './seq.js';
import {
  emitTcpOptions,
  formatTcpOptions,
  parseTcpOptions,
  readTcpOptionsLinux,
  TCP_MAX_OPTIONS_LEN,
  type TcpOption,
  type TcpOptionsMode,
  tcpOptionsLength,
} from './tcp-options.js';

/** Data offset 5 (RFC 9293 3.1; Linux: sizeof(struct tcphdr)). */
export const TCP_HEADER_LEN = 20;

/**
 * The control bits as one 9-bit set: bits 0-7 are byte 13 of the header, AE is the
 * low bit of byte 12. Names and values as Linux TCPHDR_* (include/net/tcp.h).
 */
export type TcpFlags = number;
export const FIN = 0x001;
export const SYN = 0x002;
export const RST = 0x004;
export const PSH = 0x008;
export const ACK = 0x010;
export const URG = 0x020;
/** ECN-Echo (RFC 3168 6.1). */
export const ECE = 0x040;
/** Congestion Window Reduced (RFC 3168 6.1). */
export const CWR = 0x080;
/**
 * AccECN's AE (RFC 9768), the reserved bit RFC 3540 had given the ECN-nonce (NS):
 * the low bit of byte 12, just before CWR (Linux: TCPHDR_AE).
 */
export const AE = 0x100;
/** All nine. */
export const TCP_FLAGS_MASK = 0x1ff;

const F = {
  srcPort: 0,
  dstPort: 2,
  seq: 4,
  ack: 8,
  dataOffset: 12,
  flags: 13,
  window: 14,
  checksum: 16,
  urgentPointer: 18,
  options: 20,
} as const;

/**
 * A TCP header in place, the segment being `bytes[at, end)` (a received frame is
 * read where it lies). After check() succeeds no accessor reads out of bounds;
 * check()'s offsets count from `at`.
 */
export class TcpView {
  constructor(
    readonly bytes: Uint8Array,
    readonly at = 0,
    readonly end = bytes.length,
  ) {}

  check(): ParseFailure | undefined {
    const n = this.end - this.at;
    // Linux tcp_v4_rcv: pskb_may_pull(sizeof(struct tcphdr)), then "th->doff <
    // sizeof(struct tcphdr) / 4" is a bad packet, then pskb_may_pull(th->doff * 4).
    if (n < TCP_HEADER_LEN) return fail('tcp', `truncated header: ${n} of 20 bytes`, n);
    const doff = this.dataOffset;
    if (doff < 5) return fail('tcp', `bad data offset ${doff}`, F.dataOffset);
    if (doff * 4 > n) {
      return fail(
        'tcp',
        `data offset ${doff} (${doff * 4} bytes) beyond segment of ${n}`,
        F.dataOffset,
      );
    }
    return undefined;
  }

  get srcPort(): number {
    return get16(this.bytes, this.at + F.srcPort);
  }
  get dstPort(): number {
    return get16(this.bytes, this.at + F.dstPort);
  }
  get seq(): Seq {
    return seq(get32i(this.bytes, this.at + F.seq));
  }
  get ack(): Seq {
    return seq(get32i(this.bytes, this.at + F.ack));
  }
  /** Header length in 32-bit words. */
  get dataOffset(): number {
    return this.bytes[this.at + F.dataOffset]! >>> 4;
  }
  get headerLength(): number {
    return this.dataOffset * 4;
  }
  /** The three bits between data offset and AE, reserved "for future use" (RFC 9293 3.1). */
  get reserved(): number {
    return (this.bytes[this.at + F.dataOffset]! >>> 1) & 7;
  }
  get flags(): TcpFlags {
    const at = this.at;
    return ((this.bytes[at + F.dataOffset]! & 1) << 8) | this.bytes[at + F.flags]!;
  }
  /** Unscaled, as on the wire. */
  get window(): number {
    return get16(this.bytes, this.at + F.window);
  }
  get checksum(): number {
    return get16(this.bytes, this.at + F.checksum);
  }
  get urgentPointer(): number {
    return get16(this.bytes, this.at + F.urgentPointer);
  }
  get options(): Uint8Array {
    const at = this.at;
    return this.bytes.subarray(at + F.options, at + this.headerLength);
  }
  get payload(): Uint8Array {
    const start = this.at + this.headerLength;
    // A bare ACK (most segments) carries nothing: no view to make.
    return start >= this.end ? EMPTY_BYTES : view(this.bytes, start, this.end);
  }
}

/**
 * A TCP segment. Decoded segments carry every field; one built by tcplab may leave
 * out `reserved` (written as zero) and `checksum` (computed; see `EmitMode`).
 */
export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: Seq;
  readonly ack: Seq;
  readonly flags: TcpFlags;
  /** The 3 reserved bits (0..7), kept so that emit(parse(x)) is x. */
  readonly reserved?: number;
  /** Unscaled (RFC 7323 2.2: the scale applies outside SYN segments, by the receiver). */
  readonly window: number;
  readonly checksum?: number;
  readonly urgentPointer: number;
  readonly options: readonly TcpOption[];
  readonly payload: Uint8Array;
}

/** What parseTcp returns: every field, and what the checksum turned out to be. */
export type ReceivedTcpSegment = TcpSegment & ChecksumReport & { readonly reserved: number };

export interface TcpParseOptions {
  /** Option lists that cannot be walked: an error (default) or kept as Linux does. */
  readonly options?: TcpOptionsMode;
}

/**
 * Decodes a segment; `payload` is a view into `bytes`. The checksum is checked over
 * `bytes` with `ph` as given (RFC 9293 3.1); ipv4PseudoHeader(ip) gives the one
 * the IPv4 header implies.
 */
export function parseTcp(
  bytes: Uint8Array,
  ph: PseudoHeader,
  opts?: TcpParseOptions,
): Parsed<ReceivedTcpSegment> {
  return parseTcpIn(bytes, 0, bytes.length, ph, opts);
}

/**
 * parseTcp of the segment `bytes[start, end)`, read where it lies (a received
 * frame, without a view of the datagram's payload). The header's errors count
 * offsets from `start`, the options' from the start of `bytes`.
 */
export function parseTcpIn(
  bytes: Uint8Array,
  start: number,
  end: number,
  ph: PseudoHeader,
  opts?: TcpParseOptions,
): Parsed<ReceivedTcpSegment> {
  const bad = new TcpView(bytes, start, end).check();
  if (bad) return bad;
  const options = parseTcpOptions(
    bytes,
    start + TCP_HEADER_LEN,
    start + tcpDataOffset(bytes, start) * 4,
    opts?.options,
  );
  if (!options.ok) return options;
  return ok(decodeTcp(bytes, start, end, ph, options.value));
}

/**
 * parseTcpIn for a receive path that only needs to know whether the segment
 * could be walked, with the options read as Linux reads them (`'linux'`, which
 * never fails): the segment, or undefined where parseTcpIn gives an error (a
 * data offset below 5 or past the segment, a segment shorter than 20 bytes). No
 * result wrapper and no view of the header are made.
 */
export function decodeTcpIn(
  bytes: Uint8Array,
  start: number,
  end: number,
  ph: PseudoHeader,
  checksumUnnecessary = false,
  payload?: Uint8Array,
): ReceivedTcpSegment | undefined {
  // TcpView.check's conditions.
  if (end - start < TCP_HEADER_LEN) return undefined;
  const doff = tcpDataOffset(bytes, start);
  if (doff < 5 || start + doff * 4 > end) return undefined;
  const options = readTcpOptionsLinux(bytes, start + TCP_HEADER_LEN, start + doff * 4);
  return decodeTcp(bytes, start, end, ph, options, checksumUnnecessary, payload);
}

function tcpDataOffset(bytes: Uint8Array, start: number): number {
  return bytes[start + F.dataOffset]! >>> 4;
}

/**
 * The fields of a segment whose header was checked, in TcpView's terms, read
 * directly. `checksumUnnecessary` (Linux CHECKSUM_UNNECESSARY: the sender's own
 * stack built the bytes and nothing changed them since) takes the checksum as
 * correct without summing the segment: the field is reported as it came.
 * `payload`, when given, is the segment's payload where its sender left it
 * (scatter-gather: the bytes are not in `bytes`); it must be as long as the
 * segment's payload is.
 */
function decodeTcp(
  bytes: Uint8Array,
  start: number,
  end: number,
  ph: PseudoHeader,
  options: readonly TcpOption[],
  checksumUnnecessary = false,
  payload?: Uint8Array,
): ReceivedTcpSegment {
  const checksum = get16(bytes, start + F.checksum);
  let checksumOk = true;
  let expected = checksum;
  if (!checksumUnnecessary) {
    const sum = sumWords(bytes, start, end, pseudoHeaderSum(ph));
    checksumOk = checksumVerifies(sum);
    expected = checksumExpected(sum, checksum);
  }
  const offsetByte = bytes[start + F.dataOffset]!;
  const payloadStart = start + (offsetByte >>> 4) * 4;
  return {
    srcPort: get16(bytes, start + F.srcPort),
    dstPort: get16(bytes, start + F.dstPort),
    seq: seq(get32i(bytes, start + F.seq)),
    ack: seq(get32i(bytes, start + F.ack)),
    flags: ((offsetByte & 1) << 8) | bytes[start + F.flags]!,
    reserved: (offsetByte >>> 1) & 7,
    window: get16(bytes, start + F.window),
    checksum,
    checksumOk,
    checksumExpected: expected,
    urgentPointer: get16(bytes, start + F.urgentPointer),
    options,
    // A bare ACK (most segments) carries nothing: no view to make.
    payload:
      payloadStart >= end
        ? EMPTY_BYTES
        : payload !== undefined
          ? payload
          : view(bytes, payloadStart, end),
  };
}

/** 20 bytes plus the options, padded with zeros (EOL) to a multiple of 4 (RFC 9293 3.1). */
export function tcpHeaderLength(seg: TcpSegment): number {
  return TCP_HEADER_LEN + ((tcpOptionsLength(seg.options) + 3) & ~3);
}

/** Header plus payload: the `length` a pseudo-header for this segment needs. */
export function tcpLength(seg: TcpSegment): number {
  return tcpHeaderLength(seg) + seg.payload.length;
}

/** The pseudo-header to send `seg` from `src` to `dst` with (RFC 9293 3.1). */
export function tcpPseudoHeader(src: number, dst: number, seg: TcpSegment): PseudoHeader {
  return { src, dst, protocol: IPPROTO_TCP, length: tcpLength(seg) };
}

/** SEG.LEN (RFC 9293 3.4): the sequence space the segment occupies, SYN and FIN counting one each. */
export function tcpSegmentLength(seg: TcpSegment): number {
  return seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}

/**
 * How emitTcp fills the checksum: EmitMode's two ways, or `'partial'`, Linux's
 * CHECKSUM_PARTIAL for a device that offloads it (tcp_v4_send_check,
 * __tcp_v4_send_check): the field holds the folded pseudo-header sum only, and
 * completeTcpChecksum finishes it before anyone reads the bytes as they would
 * be on a wire; `'gather'` is 'partial' with the payload not written either
 * (a device with scatter-gather takes it from where it lies: the caller copies
 * it in before anyone reads the bytes).
 */
export type TcpEmitMode = EmitMode | 'partial' | 'gather';

/**
 * Writes header and payload into `out[at, at + tcpLength(seg))`, checksum last
 * (the payload not in 'gather' mode). Outside 'verbatim' mode `ph.length` must be tcpLength(seg) (a
 * mismatch is a caller bug and throws); 'verbatim' writes the segment's own
 * checksum when it has one. `at` lets a sender write the segment behind room
 * for lower headers without a view of its own per segment.
 */
export function emitTcp(
  seg: TcpSegment,
  out: Uint8Array,
  ph: PseudoHeader,
  mode: TcpEmitMode = 'compute',
  at = 0,
): void {
  const optLen = tcpOptionsLength(seg.options);
  if (optLen > TCP_MAX_OPTIONS_LEN) {
    throw new RangeError(`emitTcp: ${optLen} option bytes, at most 40 fit`);
  }
  const hl = TCP_HEADER_LEN + ((optLen + 3) & ~3);
  const total = hl + seg.payload.length;
  assertRoom(out, at + total, 'emitTcp');
  if (mode !== 'verbatim' && ph.length !== total) {
    throw new RangeError(`emitTcp: pseudo-header length ${ph.length}, segment is ${total}`);
  }
  put16(out, at + F.srcPort, seg.srcPort);
  put16(out, at + F.dstPort, seg.dstPort);
  put32(out, at + F.seq, seg.seq);
  put32(out, at + F.ack, seg.ack);
  out[at + F.dataOffset] =
    ((hl >>> 2) << 4) | (((seg.reserved ?? 0) & 7) << 1) | ((seg.flags >>> 8) & 1);
  out[at + F.flags] = seg.flags & 0xff;
  put16(out, at + F.window, seg.window);
  put16(out, at + F.checksum, 0);
  put16(out, at + F.urgentPointer, seg.urgentPointer);
  const end = emitTcpOptions(seg.options, out, at + F.options);
  // RFC 9293 3.1: "The TCP header padding is used to ensure that the TCP header
  // ends ... on a 32-bit boundary. The padding is composed of zeros."
  // (Both builtins cost a call even with nothing to do: most headers need no
  // padding, and most segments carry no data.)
  if (end < at + hl) out.fill(0, end, at + hl);
  if (seg.payload.length > 0 && mode !== 'gather') out.set(seg.payload, at + hl);
  let checksum: number;
  if (mode === 'partial' || mode === 'gather')
    checksum = ~finishChecksum(pseudoHeaderSum(ph)) & 0xffff;
  else if (mode === 'verbatim' && seg.checksum !== undefined) checksum = seg.checksum;
  else checksum = checksumExpected(sumWords(out, at, at + total, pseudoHeaderSum(ph)), 0);
  put16(out, at + F.checksum, checksum);
}

/**
 * Finishes the checksum of a segment emitted in 'partial' mode, in place
 * (Linux skb_checksum_help, what a device without checksum offload has done for
 * it): the segment is `bytes[start, end)`, its field holding the folded
 * pseudo-header sum. The result is what 'compute' would have written. Called
 * once: on a finished checksum it would compute a wrong one.
 */
export function completeTcpChecksum(bytes: Uint8Array, start: number, end: number): void {
  put16(bytes, start + F.checksum, finishChecksum(sumWords(bytes, start, end)));
}

export function buildTcp(
  seg: TcpSegment,
  ph: PseudoHeader,
  mode: EmitMode = 'compute',
): Uint8Array {
  const out = freshBytes(tcpLength(seg));
  emitTcp(seg, out, ph, mode);
  return out;
}

/**
 * The flags as tcpdump prints them between brackets: `S`, `S.`, `P.`, `R.`,
 * `SEW`, `none`. tcpdump 4.99 (print-tcp.c tcp_flag_values) lists F S R P . U E W
 * in that order and reads only byte 13, so AE does not show; later tcpdump adds it
 * as `e`, which `withAe` reproduces.
 */
export function formatTcpFlags(flags: TcpFlags, withAe = false): string {
  let s = '';
  if (flags & FIN) s += 'F';
  if (flags & SYN) s += 'S';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & ACK) s += '.';
  if (flags & URG) s += 'U';
  if (flags & ECE) s += 'E';
  if (flags & CWR) s += 'W';
  if (withAe && flags & AE) s += 'e';
  return s === '' ? 'none' : s;
}

function hasChecksumReport(seg: TcpSegment): seg is TcpSegment & ChecksumReport {
  return (seg as Partial<ChecksumReport>).checksumOk !== undefined;
}

/**
 * One line in tcpdump -v -S form: `40001 > 80: Flags [S], cksum 0xef80 (correct),
 * seq 2919683495, win 64240, options [mss 1460,...], length 0`, or with the
 * addresses, `192.168.0.21.40001 > 192.168.0.22.80: …`. The checksum part appears
 * for decoded segments (tcpdump -v). Application data is not described.
 */
export function formatTcp(seg: TcpSegment, src?: Ipv4Address, dst?: Ipv4Address): string {
  const len = seg.payload.length;
  let s = `${formatEndpoint(src, seg.srcPort)} > ${formatEndpoint(dst, seg.dstPort)}: Flags [${formatTcpFlags(seg.flags)}]`;
  if (hasChecksumReport(seg)) {
    s += `, cksum 0x${hex(seg.checksum, 4)}`;
    s += seg.checksumOk ? ' (correct)' : ` (incorrect -> 0x${hex(seg.checksumExpected, 4)})`;
  }
  // print-tcp.c: the sequence number shows when there is data or SYN, FIN or RST.
  if (len > 0 || seg.flags & (SYN | FIN | RST)) {
    s += `, seq ${seqU32(seg.seq)}`;
    if (len > 0) s += `:${seqU32(seqAdd(seg.seq, len))}`;
  }
  if (seg.flags & ACK) s += `, ack ${seqU32(seg.ack)}`;
  s += `, win ${seg.window}`;
  if (seg.flags & URG) s += `, urg ${seg.urgentPointer}`;
  if (seg.options.length > 0) s += `, options ${formatTcpOptions(seg.options)}`;
  return `${s}, length ${len}`;
}
