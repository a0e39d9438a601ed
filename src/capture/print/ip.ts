/**
 * IPv4 as tcpdump 4.99.3 prints it (print-ip.c ip_print, ip_optprint,
 * ip_printts, ip_printroute, nextproto4_cksum; print-ip-demux.c
 * ip_demux_print; print-ip.c ipN_print for the raw-IP link types).
 *
 * The order of the checks is tcpdump's and matters for damaged headers: the
 * version is tested on the first byte alone, then the 20-byte header must be
 * captured (`IP  [|ip]`), then the link-layer length must hold it
 * (`truncated-ip N`), then the header length (`bad-hlen N`), then the total
 * length (`truncated-ip - N bytes missing!` is printed and printing goes on;
 * `bad-len N` stops). This build of tcpdump has no GUESS_TSO, so a total
 * length of 0 is `bad-len 0`. The captured end is then pulled in to the end of
 * the datagram (nd_push_snaplen) so trailing link padding is never decoded.
 */

import { finishChecksum, sumWords } from '../../wire/checksum.js';
import {
  cksumShouldBe,
  DONE,
  type Flow,
  hex,
  type PacketContext,
  TRUNCATED,
  tok,
} from './context.js';
import { icmpPrint } from './icmp.js';
import { IPPROTO_NAMES, NETDB_PROTOCOL_NAMES } from './names.js';
import { tcpPrint } from './tcp.js';
import { udpPrint } from './udp.js';
import { vrrpPrint } from './vrrp.js';

/** RFC 791 protocol numbers (netinet/in.h, ipproto.h). */
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPV4 = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
const IPPROTO_DCCP = 33;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_NONE = 59;
const IPPROTO_ND = 77;
const IPPROTO_VRRP = 112;
const IPPROTO_SCTP = 132;
const IPPROTO_ETHERNET = 143;

/** Protocols tcpdump hands to a decoder tcplab does not have (see docs/tcpdump-differences.md). */
const UNDECODED_PROTOCOLS = new Set([
  2, // IGMP: igmp_print
  8, // EGP: egp_print
  9, // IGRP: igrp_print
  IPPROTO_DCCP, // dccp_print
  41, // IPv6 in IPv4: ip6_print
  46, // RSVP: rsvp_print
  47, // GRE: gre_print
  50, // ESP: esp_print
  51, // AH: ah_print
  55, // MOBILE: mobile_print
  88, // EIGRP: eigrp_print
  89, // OSPF: ospf_print
  103, // PIM: pim_print
  108, // IPCOMP: ipcomp_print
  113, // PGM: pgm_print
  IPPROTO_SCTP, // sctp_print
]);

/** RFC 791 3.1 option types (ip.h IPOPT_*). */
const IPOPT_EOL = 0;
const IPOPT_NOP = 1;
const IPOPT_RR = 7;
const IPOPT_TS = 68;
const IPOPT_LSRR = 131;
const IPOPT_SSRR = 137;
const IPOPT_RA = 148;

/** print-ip.c ip_option_values. */
const IP_OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [IPOPT_EOL, 'EOL'],
  [IPOPT_NOP, 'NOP'],
  [IPOPT_TS, 'timestamp'],
  [130, 'security'],
  [IPOPT_RR, 'RR'],
  [IPOPT_SSRR, 'SSRR'],
  [IPOPT_LSRR, 'LSRR'],
  [IPOPT_RA, 'RA'],
  [82, 'traceroute'],
]);

/** RFC 791 fragment-offset field bits (ip.h). */
const IP_RES = 0x8000;
const IP_DF = 0x4000;
const IP_MF = 0x2000;
const IP_OFFMASK = 0x1fff;

/** print-ip.c ip_frag_values through bittok2str (`, ` separated, `none` when empty). */
function fragFlags(off: number): string {
  let s = '';
  if (off & IP_MF) s = '+';
  if (off & IP_DF) s += s ? ', DF' : 'DF';
  if (off & IP_RES) s += s ? ', rsvd' : 'rsvd';
  return s || 'none';
}

/**
 * ip_print: an IPv4 datagram at `off` whose link layer says it is `length`
 * bytes long.
 */
export function ipPrint(c: PacketContext, off: number, length: number): Flow {
  c.proto = 'ip';
  if (!c.has(off, 1)) return TRUNCATED;
  const vhl = c.u8(off);
  if (vhl >> 4 !== 4) {
    // print-ip.c: print the version and give up.
    c.out += vhl >> 4 === 6 ? 'IP6, wrong link-layer encapsulation' : `IP${vhl >> 4}`;
    c.invalid();
    return DONE;
  }
  if (!c.flags.eflag) c.out += 'IP ';
  if (!c.has(off, 20)) {
    c.trunc();
    return DONE;
  }
  if (length < 20) {
    c.out += `truncated-ip ${length}`;
    return DONE;
  }
  const hlen = (vhl & 0x0f) * 4;
  if (hlen < 20) {
    c.out += `bad-hlen ${hlen}`;
    return DONE;
  }
  const totalLength = c.be16(off + 2);
  if (length < totalLength) c.out += `truncated-ip - ${totalLength - length} bytes missing! `;
  if (totalLength < hlen) {
    c.out += `bad-len ${totalLength}`;
    return DONE;
  }
  // nd_push_snaplen: the captured end never goes past the datagram.
  const savedEnd = c.end;
  if (off + totalLength < c.end) c.end = off + totalLength;
  const flow = ipBody(c, off, hlen, totalLength);
  c.end = savedEnd;
  return flow;
}

function ipBody(c: PacketContext, off: number, hlen: number, totalLength: number): Flow {
  const payloadLength = totalLength - hlen;
  const fragOff = c.be16(off + 6);
  const proto = c.u8(off + 9);
  if (c.flags.vflag) {
    const tos = c.u8(off + 1);
    let s = `(tos 0x${hex(tos)}`;
    // RFC 3168 5: the ECN field.
    switch (tos & 0x03) {
      case 1:
        s += ',ECT(1)';
        break;
      case 2:
        s += ',ECT(0)';
        break;
      case 3:
        s += ',CE';
        break;
    }
    const ttl = c.u8(off + 8);
    if (ttl >= 1) s += `, ttl ${ttl}`;
    s +=
      `, id ${c.be16(off + 4)}, offset ${(fragOff & IP_OFFMASK) * 8}, flags [${fragFlags(fragOff)}]` +
      `, proto ${tok(IPPROTO_NAMES, proto, 'unknown')} (${proto}), length ${totalLength}`;
    c.out += s;
    let optionsTruncated = false;
    if (hlen > 20) {
      c.out += ', options (';
      const r = ipOptions(c, off + 20, hlen - 20);
      if (r === TRUNCATED) return TRUNCATED;
      if (r === OPTIONS_TRUNCATED) {
        c.out += ' [truncated-option]';
        optionsTruncated = true;
      }
      c.out += ')';
    }
    if (c.has(off, hlen)) {
      const sum = finishChecksum(sumWords(c.b, off, off + hlen));
      if (sum !== 0) {
        const field = c.be16(off + 10);
        c.out += `, bad cksum ${hex(field)} (->${hex(cksumShouldBe(field, sum))})!`;
      }
    }
    c.out += ')\n    ';
    if (optionsTruncated) {
      c.out += `${c.ip(off + 12)} > ${c.ip(off + 16)}: `;
      c.trunc();
      return DONE;
    }
  }
  if ((fragOff & IP_OFFMASK) === 0) {
    if (
      proto !== IPPROTO_TCP &&
      proto !== IPPROTO_UDP &&
      proto !== IPPROTO_SCTP &&
      proto !== IPPROTO_DCCP
    ) {
      c.out += `${c.ip(off + 12)} > ${c.ip(off + 16)}: `;
    }
    if (!c.has(off, hlen)) {
      c.out += ` [remaining caplen(${c.end - off}) < header length(${hlen})]`;
      return TRUNCATED;
    }
    return ipDemux(c, off + hlen, payloadLength, fragOff & IP_MF, proto, off);
  }
  // Not the first fragment: no transport header to decode.
  c.out += `${c.ip(off + 12)} > ${c.ip(off + 16)}:`;
  const name = c.flags.nflag === 0 ? NETDB_PROTOCOL_NAMES.get(proto) : undefined;
  c.out += name !== undefined ? ` ${name}` : ` ip-proto-${proto}`;
  return DONE;
}

/**
 * print-ip-demux.c ip_demux_print for IPv4: hands the payload at `off` to the
 * transport decoder. `mf` is the More Fragments bit (checksums are not checked
 * on a fragment).
 */
function ipDemux(
  c: PacketContext,
  off: number,
  length: number,
  mf: number,
  proto: number,
  ipOff: number,
): Flow {
  switch (proto) {
    case IPPROTO_TCP:
      return tcpPrint(c, off, length, ipOff, mf !== 0);
    case IPPROTO_UDP:
      return udpPrint(c, off, length, ipOff, mf !== 0);
    case IPPROTO_ICMP:
      return icmpPrint(c, off, length, ipOff, mf !== 0);
    case IPPROTO_IPV4:
      return ipPrint(c, off, length);
    case IPPROTO_ND:
      c.out += ` nd ${length}`;
      return DONE;
    case IPPROTO_ICMPV6:
    case IPPROTO_ETHERNET:
      c.out += `[${tok(IPPROTO_NAMES, proto, 'unknown')} requires IPv6]`;
      c.invalid();
      return DONE;
    case IPPROTO_NONE:
      c.out += 'no next header';
      return DONE;
    case IPPROTO_VRRP:
      return vrrpPrint(c, off, length, ipOff);
    default: {
      if (UNDECODED_PROTOCOLS.has(proto)) return DONE;
      const name = c.flags.nflag === 0 ? NETDB_PROTOCOL_NAMES.get(proto) : undefined;
      c.out += `${name !== undefined ? ` ${name}` : ` ip-proto-${proto}`} ${length}`;
      return DONE;
    }
  }
}

/** ip_optprint's `return -1`: an option ran past the captured bytes. */
const OPTIONS_TRUNCATED = 2;

/**
 * ip_optprint: the options of `length` bytes at `off`. Returns DONE,
 * OPTIONS_TRUNCATED (its local `trunc:`), or TRUNCATED (a GET_U_1 longjmp).
 */
function ipOptions(c: PacketContext, off: number, length: number): Flow | typeof OPTIONS_TRUNCATED {
  let sep = '';
  while (length > 0) {
    c.out += sep;
    sep = ',';
    if (!c.has(off, 1)) return TRUNCATED;
    const code = c.u8(off);
    c.out += tok(IP_OPTION_NAMES, code, `unknown ${code}`);
    let optLen = 1;
    if (code !== IPOPT_NOP && code !== IPOPT_EOL) {
      if (!c.has(off + 1, 1)) return TRUNCATED;
      optLen = c.u8(off + 1);
      if (optLen < 2) {
        c.out += ` [bad length ${optLen}]`;
        return DONE;
      }
    }
    if (optLen > length) {
      c.out += ` [bad length ${optLen}]`;
      return DONE;
    }
    if (!c.has(off, optLen)) return OPTIONS_TRUNCATED;
    switch (code) {
      case IPOPT_EOL:
        return DONE;
      case IPOPT_TS:
        if (!ipTimestampOption(c, off, optLen)) return OPTIONS_TRUNCATED;
        break;
      case IPOPT_RR:
      case IPOPT_SSRR:
      case IPOPT_LSRR:
        if (!ipRouteOption(c, off, optLen)) return OPTIONS_TRUNCATED;
        break;
      case IPOPT_RA:
        if (optLen < 4) {
          c.out += ` [bad length ${optLen}]`;
          break;
        }
        if (c.be16(off + 2) !== 0) c.out += ` value ${c.be16(off + 2)}`;
        break;
    }
    off += optLen;
    length -= optLen;
  }
  return DONE;
}

/** ip_printroute (RFC 791 3.1 record/source route); false: truncated. */
function ipRouteOption(c: PacketContext, off: number, length: number): boolean {
  if (length < 3) {
    c.out += ` [bad length ${length}]`;
    return true;
  }
  if ((length + 1) & 3) c.out += ` [bad length ${length}]`;
  const ptr = (c.u8(off + 2) - 1) >>> 0;
  if (ptr < 3 || (ptr + 1) & 3 || ptr > length + 1) c.out += ` [bad ptr ${c.u8(off + 2)}]`;
  for (let len = 3; len < length; len += 4) {
    if (!c.has(off + len, 4)) return false;
    c.out += ` ${c.ip(off + len)}`;
    if (ptr > len) c.out += ',';
  }
  return true;
}

/** RFC 791 3.1 internet timestamp flags (ip.h IPOPT_TS_*). */
const IPOPT_TS_TSONLY = 0;
const IPOPT_TS_TSANDADDR = 1;
const IPOPT_TS_PRESPEC = 3;

/** ip_printts; false: truncated. */
function ipTimestampOption(c: PacketContext, off: number, length: number): boolean {
  if (length < 4) {
    c.out += `[bad length ${length}]`;
    return true;
  }
  c.out += ' TS{';
  const flags = c.u8(off + 3);
  const hoplen = (flags & 0x0f) !== IPOPT_TS_TSONLY ? 8 : 4;
  if ((length - 4) & (hoplen - 1)) c.out += `[bad length ${length}]`;
  const ptr = (c.u8(off + 2) - 1) >>> 0;
  let len = 0;
  if (ptr < 4 || (ptr - 4) & (hoplen - 1) || ptr > length + 1) {
    c.out += `[bad ptr ${c.u8(off + 2)}]`;
  }
  let known = true;
  switch (flags & 0x0f) {
    case IPOPT_TS_TSONLY:
      c.out += 'TSONLY';
      break;
    case IPOPT_TS_TSANDADDR:
      c.out += 'TS+ADDR';
      break;
    case IPOPT_TS_PRESPEC:
      c.out += 'PRESPEC';
      break;
    default:
      c.out += `[bad ts type ${flags & 0x0f}]`;
      known = false;
  }
  if (known) {
    let type = ' ';
    for (len = 4; len < length; len += hoplen) {
      if (ptr === len) type = ' ^ ';
      if (!c.has(off + len, hoplen)) return false;
      c.out += `${type}${c.be32(off + len + hoplen - 4)}@${hoplen !== 8 ? '' : c.ip(off + len)}`;
      type = ' ';
    }
  }
  c.out += ptr === len ? ' ^ ' : '';
  c.out += flags >> 4 ? ` [${flags >> 4} hops not recorded]} ` : '}';
  return true;
}

/**
 * print-ip.c ip_finddst: the destination the TCP/UDP pseudo-header uses — the
 * last hop of a source route option if there is one, else the header's.
 */
function ipFinalDestination(c: PacketContext, ipOff: number): number {
  let length = (c.u8(ipOff) & 0x0f) * 4 - 20;
  let off = ipOff + 20;
  while (length > 0) {
    if (!c.has(off, 1)) break;
    const tt = c.u8(off);
    let len = 1;
    if (tt === IPOPT_EOL) break;
    if (tt !== IPOPT_NOP) {
      if (!c.has(off + 1, 1)) break;
      len = c.u8(off + 1);
      if (len < 2) break;
    }
    if (length < len || !c.has(off, len)) break;
    if ((tt === IPOPT_SSRR || tt === IPOPT_LSRR) && len >= 7) return c.be32(off + len - 4);
    off += len;
    length -= len;
  }
  return c.be32(ipOff + 16);
}

/**
 * nextproto4_cksum: the checksum of `len` bytes at `off` with the IPv4
 * pseudo-header (RFC 9293 3.1, RFC 768) of the datagram at `ipOff`; 0 when the
 * checksum field is right.
 */
export function nextProto4Checksum(
  c: PacketContext,
  ipOff: number,
  off: number,
  len: number,
  proto: number,
): number {
  const src = c.be32(ipOff + 12);
  const dst = (c.u8(ipOff) & 0x0f) === 5 ? c.be32(ipOff + 16) : ipFinalDestination(c, ipOff);
  const pseudo =
    (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + (len & 0xffff);
  return finishChecksum(sumWords(c.b, off, off + len, pseudo));
}

/**
 * print-ip.c ipN_print: the raw-IP link types, where the first nibble picks
 * IPv4 or IPv6.
 */
export function ipNPrint(c: PacketContext, off: number, length: number): Flow {
  c.proto = 'ipN';
  if (length < 1) {
    c.out += `truncated-ip ${length}`;
    return DONE;
  }
  if (!c.has(off, 1)) return TRUNCATED;
  switch (c.u8(off) & 0xf0) {
    case 0x40:
      return ipPrint(c, off, length);
    case 0x60:
      // ip6_print: tcplab has no IPv6 decoder (docs/tcpdump-differences.md).
      return DONE;
    default:
      c.out += `unknown ip ${(c.u8(off) & 0xf0) >> 4}`;
      return DONE;
  }
}
