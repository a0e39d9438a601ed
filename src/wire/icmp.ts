/**
 * ICMP for IPv4 (RFC 792): echo request and reply, destination unreachable (with
 * the next-hop MTU of RFC 1191), time exceeded, and every other type kept raw.
 * Errors quote the offending datagram; parseIcmpQuote reads the quote back, and
 * icmpErrorPacket builds an error the way Linux __icmp_send (net/ipv4/icmp.c) does.
 */

import {
  formatEndpoint,
  formatIpv4Address,
  IPV4_BROADCAST,
  type Ipv4Address,
  isIpv4Multicast,
} from './address.js';
import { EMPTY_BYTES, get16, get32, get32i, put16, put32 } from './bytes.js';
import { internetChecksum, sumWords } from './checksum.js';
import { type ChecksumReport, checksumExpected, checksumVerifies } from './checksum-report.js';
import { assertRoom, type EmitMode } from './emit.js';
import {
  buildIpv4,
  formatIpv4Header,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPTOS_PREC_INTERNETCONTROL,
  IPV4_HEADER_LEN,
  type Ipv4Packet,
  parseIpv4,
  type ReceivedIpv4Packet,
} from './ipv4.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';
import { type Seq, seq } from './seq.js';

/** Type, code, checksum and one 32-bit word (RFC 792; Linux: sizeof(struct icmphdr)). */
export const ICMP_HEADER_LEN = 8;

// Types (RFC 792, RFC 950; Linux: include/uapi/linux/icmp.h).
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMPREPLY = 14;
export const ICMP_INFO_REQUEST = 15;
export const ICMP_INFO_REPLY = 16;
export const ICMP_ADDRESS = 17;
export const ICMP_ADDRESSREPLY = 18;
/** The highest type Linux knows (NR_ICMP_TYPES). */
export const NR_ICMP_TYPES = 18;

// Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1;
// Linux names).
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
/** Fragmentation needed and DF set; bytes 6-7 carry the next-hop MTU (RFC 1191 4). */
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_HOST_ISOLATED = 8;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_NET_UNR_TOS = 11;
export const ICMP_HOST_UNR_TOS = 12;
/** Communication administratively prohibited (RFC 1812; iptables --reject-with icmp-admin-prohibited). */
export const ICMP_PKT_FILTERED = 13;
export const ICMP_PREC_VIOLATION = 14;
export const ICMP_PREC_CUTOFF = 15;
/** The highest unreachable code (Linux: NR_ICMP_UNREACH). */
export const NR_ICMP_UNREACH = 15;

// Time exceeded codes (RFC 792).
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

/**
 * RFC 1812 4.3.2.3: an error "SHOULD contain as much of the original datagram as
 * possible without the length of the ICMP datagram exceeding 576 bytes". Linux
 * __icmp_send: room = min(route MTU, 576) - sizeof(iphdr) - options - sizeof(icmphdr).
 */
export const ICMP_ERROR_MAX_LEN = 576;

const F = {
  type: 0,
  code: 1,
  checksum: 2,
  rest: 4,
  id: 4,
  sequence: 6,
  nextHopMtu: 6,
  body: 8,
} as const;

/** An ICMP header in place. After check() succeeds no accessor reads out of bounds. */
export class IcmpView {
  constructor(readonly bytes: Uint8Array) {}

  check(): ParseFailure | undefined {
    const n = this.bytes.length;
    // Linux icmp_rcv: pskb_pull(skb, sizeof(*icmph)) must succeed, whatever the type.
    if (n < ICMP_HEADER_LEN) return fail('icmp', `truncated header: ${n} of 8 bytes`, n);
    return undefined;
  }

  get type(): number {
    return this.bytes[F.type]!;
  }
  get code(): number {
    return this.bytes[F.code]!;
  }
  get checksum(): number {
    return get16(this.bytes, F.checksum);
  }
  /** The 32-bit word after the checksum ("rest of header"). */
  get rest(): number {
    return get32(this.bytes, F.rest);
  }
  get id(): number {
    return get16(this.bytes, F.id);
  }
  get sequence(): number {
    return get16(this.bytes, F.sequence);
  }
  /** Echo data, or the quoted datagram of an error. */
  get body(): Uint8Array {
    return this.bytes.subarray(F.body);
  }
}

export interface IcmpEcho {
  readonly kind: 'echoRequest' | 'echoReply';
  /** Always 0 from a conforming sender (RFC 792); kept when not. */
  readonly code?: number;
  readonly id: number;
  readonly sequence: number;
  readonly data: Uint8Array;
  readonly checksum?: number;
}

export interface IcmpDestUnreachable {
  readonly kind: 'destUnreachable';
  /** ICMP_NET_UNREACH … ICMP_PREC_CUTOFF (0-15), or any other value received. */
  readonly code: number;
  /** Bytes 4-5, unused (RFC 792); RFC 4884 puts a length in byte 5. Default 0. */
  readonly unused?: number;
  /** Bytes 6-7: the next-hop MTU for ICMP_FRAG_NEEDED (RFC 1191 4), else unused. Default 0. */
  readonly nextHopMtu?: number;
  /** The offending datagram's IP header and first bytes (see parseIcmpQuote). */
  readonly quote: Uint8Array;
  readonly checksum?: number;
}

export interface IcmpTimeExceeded {
  readonly kind: 'timeExceeded';
  /** ICMP_EXC_TTL or ICMP_EXC_FRAGTIME. */
  readonly code: number;
  /** Bytes 4-7, unused (RFC 792). Default 0. */
  readonly unused?: number;
  readonly quote: Uint8Array;
  readonly checksum?: number;
}

/** Any other type; `bytes` is everything after the checksum (from byte 4). */
export interface IcmpUnknown {
  readonly kind: 'unknown';
  readonly type: number;
  readonly code: number;
  readonly bytes: Uint8Array;
  readonly checksum?: number;
}

export type IcmpMessage = IcmpEcho | IcmpDestUnreachable | IcmpTimeExceeded | IcmpUnknown;

export type ReceivedIcmpMessage = IcmpMessage & ChecksumReport;

/** Decodes a message (the IPv4 payload); data and quotes are views into `bytes`. */
export function parseIcmp(bytes: Uint8Array): Parsed<ReceivedIcmpMessage> {
  const v = new IcmpView(bytes);
  const bad = v.check();
  if (bad) return bad;
  const checksum = v.checksum;
  const sum = sumWords(bytes, 0, bytes.length);
  const report = {
    checksum,
    checksumOk: checksumVerifies(sum),
    checksumExpected: checksumExpected(sum, checksum),
  };
  const type = v.type;
  const code = v.code;
  switch (type) {
    case ICMP_ECHO:
    case ICMP_ECHOREPLY:
      return ok({
        kind: type === ICMP_ECHO ? 'echoRequest' : 'echoReply',
        code,
        id: v.id,
        sequence: v.sequence,
        data: v.body,
        ...report,
      });
    case ICMP_DEST_UNREACH:
      return ok({
        kind: 'destUnreachable',
        code,
        unused: get16(bytes, F.rest),
        nextHopMtu: get16(bytes, F.nextHopMtu),
        quote: v.body,
        ...report,
      });
    case ICMP_TIME_EXCEEDED:
      return ok({ kind: 'timeExceeded', code, unused: v.rest, quote: v.body, ...report });
    default:
      return ok({ kind: 'unknown', type, code, bytes: bytes.subarray(F.rest), ...report });
  }
}

function icmpTypeOf(msg: IcmpMessage): number {
  switch (msg.kind) {
    case 'echoRequest':
      return ICMP_ECHO;
    case 'echoReply':
      return ICMP_ECHOREPLY;
    case 'destUnreachable':
      return ICMP_DEST_UNREACH;
    case 'timeExceeded':
      return ICMP_TIME_EXCEEDED;
    case 'unknown':
      return msg.type;
  }
}

/** The whole message: 8 bytes and the data or quote (4 + bytes for unknown types). */
export function icmpLength(msg: IcmpMessage): number {
  switch (msg.kind) {
    case 'echoRequest':
    case 'echoReply':
      return ICMP_HEADER_LEN + msg.data.length;
    case 'destUnreachable':
    case 'timeExceeded':
      return ICMP_HEADER_LEN + msg.quote.length;
    case 'unknown':
      return F.rest + msg.bytes.length;
  }
}

export function icmpHeaderLength(msg: IcmpMessage): number {
  return msg.kind === 'unknown' ? F.rest : ICMP_HEADER_LEN;
}

/**
 * Writes the message into `out[0, icmpLength(msg))`, the checksum (RFC 792: over the
 * whole message, field at zero) last unless 'verbatim' and the message has one.
 */
export function emitIcmp(msg: IcmpMessage, out: Uint8Array, mode: EmitMode = 'compute'): void {
  const total = icmpLength(msg);
  assertRoom(out, total, 'emitIcmp');
  out[F.type] = icmpTypeOf(msg);
  put16(out, F.checksum, 0);
  switch (msg.kind) {
    case 'echoRequest':
    case 'echoReply':
      out[F.code] = msg.code ?? 0;
      put16(out, F.id, msg.id);
      put16(out, F.sequence, msg.sequence);
      out.set(msg.data, F.body);
      break;
    case 'destUnreachable':
      out[F.code] = msg.code;
      put16(out, F.rest, msg.unused ?? 0);
      put16(out, F.nextHopMtu, msg.nextHopMtu ?? 0);
      out.set(msg.quote, F.body);
      break;
    case 'timeExceeded':
      out[F.code] = msg.code;
      put32(out, F.rest, msg.unused ?? 0);
      out.set(msg.quote, F.body);
      break;
    case 'unknown':
      out[F.code] = msg.code;
      out.set(msg.bytes, F.rest);
      break;
  }
  const checksum =
    mode === 'verbatim' && msg.checksum !== undefined
      ? msg.checksum
      : internetChecksum(out, 0, total);
  put16(out, F.checksum, checksum);
}

export function buildIcmp(msg: IcmpMessage, mode: EmitMode = 'compute'): Uint8Array {
  const out = new Uint8Array(icmpLength(msg));
  emitIcmp(msg, out, mode);
  return out;
}

/** What an ICMP error says about the datagram it quotes. */
export interface IcmpQuote {
  /** The quoted IPv4 header; its payload is the quoted part only. */
  readonly ip: ReceivedIpv4Packet;
  /** Bytes 0-1 of the quoted transport header (the source port for TCP and UDP). */
  readonly srcPort: number;
  /** Bytes 2-3 (the destination port for TCP and UDP). */
  readonly dstPort: number;
  /** Bytes 4-7: the sequence number of a quoted TCP segment (Linux tcp_v4_err reads it). */
  readonly seq: Seq;
}

/**
 * Reads the quote of an error: an IPv4 header and at least 8 bytes after it, which
 * is all RFC 792 promises and all Linux needs (icmp_socket_deliver drops an error
 * with less: pskb_may_pull(skb, iph->ihl * 4 + 8)). Offsets are into `quote`.
 */
export function parseIcmpQuote(quote: Uint8Array): Parsed<IcmpQuote> {
  const ip = parseIpv4(quote, { allowTruncated: true });
  if (!ip.ok) return ip;
  const hl = IPV4_HEADER_LEN + ip.value.options.length;
  const t = ip.value.payload;
  if (t.length < 8) {
    return fail(
      'icmp',
      `quote of ${quote.length} bytes lacks 8 bytes after its ${hl}-byte IP header`,
      quote.length,
    );
  }
  return ok({ ip: ip.value, srcPort: get16(t, 0), dstPort: get16(t, 2), seq: seq(get32i(t, 4)) });
}

/**
 * The quoted datagram as tcpdump -v shows it under an error, on one line:
 * `(tos 0x0, ttl 64, …, length 60) 192.168.0.21.40001 > 192.168.0.22.80`.
 */
export function formatIcmpQuote(q: IcmpQuote): string {
  const { ip } = q;
  const ports = ip.protocol === IPPROTO_TCP || ip.protocol === IPPROTO_UDP;
  const from = ports ? formatEndpoint(ip.src, q.srcPort) : formatIpv4Address(ip.src);
  const to = ports ? formatEndpoint(ip.dst, q.dstPort) : formatIpv4Address(ip.dst);
  return `${formatIpv4Header(ip)} ${from} > ${to}`;
}

/** True for the types Linux flags as errors in icmp_pointers[] (.error = 1). */
export function isIcmpErrorType(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_SOURCE_QUENCH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETERPROB
  );
}

/**
 * Why Linux would send no ICMP error about `offending`, or undefined if it would
 * (__icmp_send, following RFC 1122 3.2.2): not about a fragment other than the
 * first, nor about a datagram to a multicast or broadcast address, nor about an
 * ICMP error (or an ICMP type it does not know). Whether the destination is a
 * subnet broadcast address needs the host's routes and is not judged here.
 */
export function icmpErrorForbidden(offending: Ipv4Packet): string | undefined {
  if (offending.fragmentOffset !== 0) return 'not the first fragment';
  if (isIpv4Multicast(offending.dst)) return 'multicast destination';
  if (offending.dst === IPV4_BROADCAST) return 'broadcast destination';
  if (offending.protocol === IPPROTO_ICMP) {
    const innerType = offending.payload[0];
    if (innerType === undefined) return 'ICMP type unreadable';
    if (innerType > NR_ICMP_TYPES || isIcmpErrorType(innerType)) return 'about an ICMP error';
  }
  return undefined;
}

export interface IcmpErrorParams {
  /** ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB, … */
  readonly type: number;
  readonly code: number;
  /** The address the error comes from (Linux: the offending datagram's destination if local). */
  readonly src: Ipv4Address;
  /**
   * IP identification. The error goes out without DF, so Linux picks it with
   * ip_select_ident (a hash that looks random): the caller's seeded generator.
   */
  readonly id: number;
  /** Default 64 (net.ipv4.ip_default_ttl). */
  readonly ttl?: number;
  /**
   * MTU of the route back to the offender (Linux: dst_mtu); only matters below 576.
   * Default 1500, Ethernet's (RFC 894).
   */
  readonly mtu?: number;
  /** The word after the checksum (Linux's `info`): the next-hop MTU for ICMP_FRAG_NEEDED. */
  readonly info?: number;
}

/**
 * The IPv4 packet Linux __icmp_send makes about `offending` (the raw IPv4 datagram
 * as received): TOS the original's TOS bits with precedence 0xc0
 * (RT_TOS(tos) | IPTOS_PREC_INTERNETCONTROL), no DF (the ICMP socket does not do
 * path MTU discovery), TTL 64, to the offender's source; the ICMP body quotes the
 * datagram from its IP header on, as much as fits in min(MTU, 576) bytes in all.
 * The reject-icmp reference trace shows it: tos 0xc0, flags [none], length 88,
 * quoting the whole 60-byte SYN.
 *
 * DEVIATION(linux): IP options of the offending datagram are not echoed back
 * (Linux __ip_options_echo reverses source routes and record-route); none of the
 * labs sends IP options.
 */
export function icmpErrorPacket(offending: Uint8Array, p: IcmpErrorParams): Parsed<Ipv4Packet> {
  const orig = parseIpv4(offending, { allowTruncated: true });
  if (!orig.ok) return orig;
  const o = orig.value;
  const room = Math.min(p.mtu ?? 1500, ICMP_ERROR_MAX_LEN) - IPV4_HEADER_LEN - ICMP_HEADER_LEN;
  // Linux: "Guard against tiny mtu. We need to include at least one IP network
  // header for this message to make any sense."
  if (room <= IPV4_HEADER_LEN)
    return fail('icmp', `MTU ${p.mtu} leaves no room to quote a header`, 0);
  // Linux quotes skb_in->len bytes from the network header: the datagram trimmed
  // to its Total Length by ip_rcv_core.
  const quoteLen = Math.min(o.totalLength, offending.length, room);
  const quote = offending.subarray(0, quoteLen);
  const info = p.info ?? 0;
  const msg: IcmpMessage =
    p.type === ICMP_DEST_UNREACH
      ? {
          kind: 'destUnreachable',
          code: p.code,
          unused: info >>> 16,
          nextHopMtu: info & 0xffff,
          quote,
        }
      : p.type === ICMP_TIME_EXCEEDED
        ? { kind: 'timeExceeded', code: p.code, unused: info >>> 0, quote }
        : { kind: 'unknown', type: p.type, code: p.code, bytes: withInfo(info, quote) };
  // RT_TOS keeps the RFC 1349 TOS bits (IPTOS_TOS_MASK 0x1e); the lowest of them
  // is now an ECN bit, so it lands in `ecn`.
  const tos = (((o.dscp << 2) | o.ecn) & 0x1e) | IPTOS_PREC_INTERNETCONTROL;
  return ok({
    dscp: tos >>> 2,
    ecn: tos & 3,
    id: p.id,
    dontFragment: false,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: p.ttl ?? 64,
    protocol: IPPROTO_ICMP,
    src: p.src,
    dst: o.src,
    options: EMPTY_BYTES,
    payload: buildIcmp(msg),
  });
}

function withInfo(info: number, quote: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 + quote.length);
  put32(bytes, 0, info);
  bytes.set(quote, 4);
  return bytes;
}

/** icmpErrorPacket, emitted: the bytes of the IPv4 packet. */
export function buildIcmpError(offending: Uint8Array, p: IcmpErrorParams): Parsed<Uint8Array> {
  const pkt = icmpErrorPacket(offending, p);
  return pkt.ok ? ok(buildIpv4(pkt.value)) : pkt;
}

/** A destination unreachable of `code` about `offending`, as Linux sends it. */
export function buildIcmpUnreachable(
  offending: Uint8Array,
  code: number,
  p: Omit<IcmpErrorParams, 'type' | 'code'>,
): Parsed<Uint8Array> {
  return buildIcmpError(offending, { ...p, type: ICMP_DEST_UNREACH, code });
}

/** The quoted destination address, protocol and destination port, as far as the quote goes. */
function quoteFacts(quote: Uint8Array): { dst?: string; proto?: number; dport?: number } {
  const facts: { dst?: string; proto?: number; dport?: number } = {};
  if (quote.length >= 20) facts.dst = formatIpv4Address(get32(quote, 16));
  if (quote.length >= 10) facts.proto = quote[9]!;
  const hl = quote.length > 0 ? (quote[0]! & 15) * 4 : 0;
  if (quote.length >= hl + 4) facts.dport = get16(quote, hl + 2);
  return facts;
}

const UNREACH_TEXT: readonly string[] = [
  // tcpdump print-icmp.c wording for codes 0-15 (%s: the quoted destination).
  'net %s unreachable',
  'host %s unreachable',
  '%s protocol %p unreachable',
  '%s port unreachable',
  '%s unreachable - need to frag',
  '%s unreachable - source route failed',
  'net %s unreachable - unknown',
  'host %s unreachable - unknown',
  '%s unreachable - source host isolated',
  'net %s unreachable - admin prohibited',
  'host %s unreachable - admin prohibited',
  'net %s unreachable - tos prohibited',
  'host %s unreachable - tos prohibited',
  'host %s unreachable - admin prohibited filter',
  'host %s unreachable - host precedence violation',
  'host %s unreachable - precedence cutoff',
];

function formatUnreachable(msg: IcmpDestUnreachable): string {
  const q = quoteFacts(msg.quote);
  if (q.dst === undefined) return '[|icmp]';
  if (msg.code === ICMP_PORT_UNREACH) {
    if (q.dport === undefined || q.proto === undefined) return '[|icmp]';
    if (q.proto === IPPROTO_TCP) return `${q.dst} tcp port ${q.dport} unreachable`;
    if (q.proto === IPPROTO_UDP) return `${q.dst} udp port ${q.dport} unreachable`;
    return `${q.dst} protocol ${q.proto} port ${q.dport} unreachable`;
  }
  if (msg.code === ICMP_FRAG_NEEDED && (msg.nextHopMtu ?? 0) !== 0) {
    return `${q.dst} unreachable - need to frag (mtu ${msg.nextHopMtu})`;
  }
  const text = UNREACH_TEXT[msg.code];
  if (text === undefined) return `${q.dst} unreachable - #${msg.code}`;
  return text.replace('%s', q.dst).replace('%p', String(q.proto ?? 0));
}

function formatUnknown(msg: IcmpUnknown): string {
  const b = msg.bytes;
  switch (msg.type) {
    case ICMP_SOURCE_QUENCH:
      return 'source quench';
    case ICMP_REDIRECT: {
      const q = quoteFacts(b.subarray(4));
      if (q.dst === undefined || b.length < 4) return '[|icmp]';
      const gw = formatIpv4Address(get32(b, 0));
      const to = ['net', 'host', 'net', 'host'][msg.code];
      const what = msg.code < 2 ? 'redirect' : 'redirect-tos';
      return to === undefined
        ? `redirect-#${msg.code} ${q.dst} to ${gw}`
        : `${what} ${q.dst} to ${to} ${gw}`;
    }
    case ICMP_PARAMETERPROB:
      return msg.code !== 0
        ? `parameter problem - code ${msg.code}`
        : `parameter problem - octet ${b[0] ?? 0}`;
    case 10:
      return 'router solicitation';
    case ICMP_TIMESTAMP:
      if (b.length < 4) return '[|icmp]';
      return `time stamp query id ${get16(b, 0)} seq ${get16(b, 2)}`;
    case ICMP_INFO_REQUEST:
      return 'information request';
    case ICMP_INFO_REPLY:
      return 'information reply';
    case ICMP_ADDRESS:
      return 'address mask request';
    default:
      return `type-#${msg.type}`;
  }
}

/**
 * One line as tcpdump prints an ICMP message (print-icmp.c):
 * `ICMP echo request, id 1, seq 2, length 64`,
 * `ICMP 192.168.0.22 tcp port 80 unreachable, length 68`, with
 * ` (wrong icmp cksum 1234 (->abcd)!)` when a decoded checksum is wrong.
 */
export function formatIcmp(msg: IcmpMessage): string {
  let text: string;
  switch (msg.kind) {
    case 'echoRequest':
    case 'echoReply':
      text = `echo ${msg.kind === 'echoRequest' ? 'request' : 'reply'}, id ${msg.id}, seq ${msg.sequence}`;
      break;
    case 'destUnreachable':
      text = formatUnreachable(msg);
      break;
    case 'timeExceeded':
      text =
        msg.code === ICMP_EXC_TTL
          ? 'time exceeded in-transit'
          : msg.code === ICMP_EXC_FRAGTIME
            ? 'ip reassembly time exceeded'
            : `time exceeded-#${msg.code}`;
      break;
    case 'unknown':
      text = formatUnknown(msg);
      break;
  }
  let s = `ICMP ${text}, length ${icmpLength(msg)}`;
  const r = msg as Partial<ChecksumReport>;
  if (r.checksumOk === false && r.checksum !== undefined) {
    s += ` (wrong icmp cksum ${r.checksum.toString(16)} (->${(r.checksumExpected ?? 0).toString(16)})!)`;
  }
  return s;
}
