/**
 * ICMP as tcpdump 4.99.3 prints it (print-icmp.c icmp_print): the one-line
 * summary, the checksum with -v, and with -v for error messages (RFC 792
 * destination unreachable, source quench, redirect, time exceeded, parameter
 * problem) the quoted datagram decoded again as IP on its own line, followed
 * by RFC 4884 multi-part extensions.
 *
 * The summary is built before anything is printed, as tcpdump builds it in a
 * buffer: a field beyond the capture ends the line right after the addresses.
 */

import { finishChecksum, sumWords } from '../../wire/checksum.js';
import {
  cksumShouldBe,
  DONE,
  type Flow,
  hex,
  hex4,
  type PacketContext,
  TRUNCATED,
  tok,
} from './context.js';
import { hexOnly } from './hexdump.js';
import { IPPROTO_TCP, IPPROTO_UDP, ipPrint } from './ip.js';

/** RFC 792 types (ip_icmp.h ICMP_*). */
const ICMP_ECHOREPLY = 0;
const ICMP_UNREACH = 3;
const ICMP_SOURCEQUENCH = 4;
const ICMP_REDIRECT = 5;
const ICMP_ECHO = 8;
const ICMP_ROUTERADVERT = 9;
const ICMP_TIMXCEED = 11;
const ICMP_PARAMPROB = 12;
const ICMP_TSTAMP = 13;
const ICMP_TSTAMPREPLY = 14;
const ICMP_MASKREPLY = 18;

/** print-icmp.c icmp2str: types without their own format. */
const ICMP_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [ICMP_ECHOREPLY, 'echo reply'],
  [ICMP_SOURCEQUENCH, 'source quench'],
  [ICMP_ECHO, 'echo request'],
  [10, 'router solicitation'],
  [ICMP_TSTAMP, 'time stamp request'],
  [ICMP_TSTAMPREPLY, 'time stamp reply'],
  [15, 'information request'],
  [16, 'information reply'],
  [17, 'address mask request'],
]);

/**
 * Destination-unreachable codes other than port (3) and need-frag (4), as
 * `[before address, after address]` (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1).
 */
const UNREACH_TEXT: ReadonlyMap<number, readonly [string, string]> = new Map([
  [0, ['net ', ' unreachable']],
  [1, ['host ', ' unreachable']],
  [5, ['', ' unreachable - source route failed']],
  [6, ['net ', ' unreachable - unknown']],
  [7, ['host ', ' unreachable - unknown']],
  [8, ['', ' unreachable - source host isolated']],
  [9, ['net ', ' unreachable - admin prohibited']],
  [10, ['host ', ' unreachable - admin prohibited']],
  [11, ['net ', ' unreachable - tos prohibited']],
  [12, ['host ', ' unreachable - tos prohibited']],
  [13, ['host ', ' unreachable - admin prohibited filter']],
  [14, ['host ', ' unreachable - host precedence violation']],
  [15, ['host ', ' unreachable - precedence cutoff']],
]);

/** print-icmp.c ICMP_EXTD_MINLEN: 156 bytes minus the IP header (RFC 4884 5). */
const ICMP_EXTD_MINLEN = 136;
/** sizeof(struct icmp_ext_t): the fixed part up to the first object. */
const ICMP_EXT_HEADER_SIZE = 141;
/** RFC 4884 7: the extension structure's version. */
const ICMP_EXT_VERSION = 2;
/** RFC 4950: MPLS label stack object class. */
const MPLS_STACK_ENTRY_OBJECT_CLASS = 1;
const MULTIPART_OBJECT_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'MPLS Stack Entry'],
  [2, 'Interface Identification'],
]);

const PAD2 = (n: number) => String(n).padStart(2, '0');

/** icmp_tstamp_print: milliseconds since midnight UTC as HH:MM:SS.mmm. */
function tstamp(t: number): string {
  const msec = t % 1000;
  let sec = Math.floor(t / 1000);
  let min = Math.floor(sec / 60);
  sec -= min * 60;
  const hrs = Math.floor(min / 60);
  min -= hrs * 60;
  return `${PAD2(hrs)}:${PAD2(min)}:${PAD2(sec)}.${String(msec).padStart(3, '0')}`;
}

/** The summary text, or undefined for a GET_* past the capture (longjmp). */
type Summary = string | undefined | typeof LOCAL_TRUNC;
/** An ND_TCHECK that jumps to icmp_print's own `trunc:` label. */
const LOCAL_TRUNC = 0;

/**
 * icmp_print: the message at `off`, `plen` bytes long according to IP, in the
 * datagram at `ipOff`.
 */
export function icmpPrint(
  c: PacketContext,
  off: number,
  plen: number,
  _ipOff: number,
  fragmented: boolean,
): Flow {
  c.proto = 'icmp';
  if (!c.has(off, 2)) return TRUNCATED;
  const type = c.u8(off);
  const code = c.u8(off + 1);
  const text = summary(c, off, type, code);
  if (text === undefined) return TRUNCATED;
  if (text === LOCAL_TRUNC) {
    c.trunc();
    return DONE;
  }
  c.out += `ICMP ${text}, length ${plen}`;
  if (c.flags.vflag && !fragmented && c.has(off, plen)) {
    const sum = finishChecksum(sumWords(c.b, off, off + plen));
    if (sum !== 0) {
      if (!c.has(off + 2, 2)) return TRUNCATED;
      const field = c.be16(off + 2);
      c.out += ` (wrong icmp cksum ${hex(field)} (->${hex(cksumShouldBe(field, sum))})!)`;
    }
  }
  const isError =
    type === ICMP_UNREACH ||
    type === ICMP_SOURCEQUENCH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIMXCEED ||
    type === ICMP_PARAMPROB;
  if (c.flags.vflag >= 1 && isError) {
    const inner = off + 8;
    c.out += '\n\t';
    if (!c.has(inner + 2, 2)) return TRUNCATED;
    const innerLength = c.be16(inner + 2);
    // The quoted datagram ends where its own header says, or at the capture.
    const savedEnd = c.end;
    c.end = Math.min(inner + innerLength, c.end);
    // tcpdump reads the length a second time, against the end it has just
    // moved: a quoted length below 4 ends the line here, as ICMP.
    if (!c.has(inner + 2, 2)) return TRUNCATED;
    const r = ipPrint(c, inner, innerLength);
    c.end = savedEnd;
    if (r === TRUNCATED) return TRUNCATED;
  }
  c.proto = 'icmp';
  if (
    c.flags.vflag >= 1 &&
    plen > ICMP_EXTD_MINLEN &&
    (type === ICMP_UNREACH || type === ICMP_TIMXCEED || type === ICMP_PARAMPROB)
  ) {
    return multipartExtensions(c, off, plen);
  }
  return DONE;
}

/** The text after `ICMP ` (the switch of icmp_print that fills its buffer). */
function summary(c: PacketContext, off: number, type: number, code: number): Summary {
  // The quoted IP header starts 8 bytes in; its destination is at +16.
  const quotedDst = off + 8 + 16;
  switch (type) {
    case ICMP_ECHO:
    case ICMP_ECHOREPLY:
      if (!c.has(off + 4, 4)) return undefined;
      return `echo ${type === ICMP_ECHO ? 'request' : 'reply'}, id ${c.be16(off + 4)}, seq ${c.be16(off + 6)}`;
    case ICMP_UNREACH: {
      if (code === 3) {
        // ND_TCHECK_1 of the quoted protocol: icmp_print's own trunc label.
        if (!c.has(off + 8 + 9, 1)) return LOCAL_TRUNC;
        const hlen = (c.u8(off + 8) & 0x0f) * 4;
        const portOff = off + 8 + hlen + 2;
        if (!c.has(portOff, 2)) return undefined;
        const dport = c.be16(portOff);
        const proto = c.u8(off + 8 + 9);
        if (!c.has(quotedDst, 4)) return undefined;
        const dst = c.ip(quotedDst);
        if (proto === IPPROTO_TCP) return `${dst} tcp port ${c.tcpPort(dport)} unreachable`;
        if (proto === IPPROTO_UDP) return `${dst} udp port ${c.udpPort(dport)} unreachable`;
        return `${dst} protocol ${proto} port ${dport} unreachable`;
      }
      if (code === 4) {
        if (!c.has(off + 6, 2)) return undefined;
        const mtu = c.be16(off + 6);
        if (!c.has(quotedDst, 4)) return undefined;
        const dst = c.ip(quotedDst);
        return mtu
          ? `${dst} unreachable - need to frag (mtu ${mtu})`
          : `${dst} unreachable - need to frag`;
      }
      if (code === 2) {
        if (!c.has(quotedDst, 4)) return undefined;
        const dst = c.ip(quotedDst);
        if (!c.has(off + 8 + 9, 1)) return undefined;
        return `${dst} protocol ${c.u8(off + 8 + 9)} unreachable`;
      }
      if (!c.has(quotedDst, 4)) return undefined;
      const words = UNREACH_TEXT.get(code);
      return words !== undefined
        ? `${words[0]}${c.ip(quotedDst)}${words[1]}`
        : `${c.ip(quotedDst)} unreachable - #${code}`;
    }
    case ICMP_REDIRECT: {
      if (!c.has(quotedDst, 4)) return undefined;
      const dst = c.ip(quotedDst);
      if (!c.has(off + 4, 4)) return undefined;
      const gw = c.ip(off + 4);
      switch (code) {
        case 0:
          return `redirect ${dst} to net ${gw}`;
        case 1:
          return `redirect ${dst} to host ${gw}`;
        case 2:
          return `redirect-tos ${dst} to net ${gw}`;
        case 3:
          return `redirect-tos ${dst} to host ${gw}`;
        default:
          return `redirect-#${code} ${dst} to ${gw}`;
      }
    }
    case ICMP_ROUTERADVERT:
      return routerAdvert(c, off);
    case ICMP_TIMXCEED:
      if (!c.has(quotedDst, 4)) return LOCAL_TRUNC;
      if (code === 0) return 'time exceeded in-transit';
      if (code === 1) return 'ip reassembly time exceeded';
      return `time exceeded-#${code}`;
    case ICMP_PARAMPROB:
      if (code) return `parameter problem - code ${code}`;
      if (!c.has(off + 4, 1)) return undefined;
      return `parameter problem - octet ${c.u8(off + 4)}`;
    case ICMP_MASKREPLY:
      if (!c.has(off + 8, 4)) return undefined;
      return `address mask is 0x${c
        .be32(off + 8)
        .toString(16)
        .padStart(8, '0')}`;
    case ICMP_TSTAMP:
      if (!c.has(off + 4, 4)) return undefined;
      return `time stamp query id ${c.be16(off + 4)} seq ${c.be16(off + 6)}`;
    case ICMP_TSTAMPREPLY:
      if (!c.has(off + 16, 4)) return LOCAL_TRUNC;
      return (
        `time stamp reply id ${c.be16(off + 4)} seq ${c.be16(off + 6)}: org ${tstamp(c.be32(off + 8))}` +
        `, recv ${tstamp(c.be32(off + 12))}, xmit ${tstamp(c.be32(off + 16))}`
      );
    default:
      return tok(ICMP_TYPE_NAMES, type, `type-#${type}`);
  }
}

/** The router advertisement case of icmp_print (RFC 1256 3.1). */
function routerAdvert(c: PacketContext, off: number): Summary {
  let s = 'router advertisement';
  if (!c.has(off + 4, 4)) return LOCAL_TRUNC;
  s += ' lifetime ';
  const lifetime = c.be16(off + 6);
  if (lifetime < 60) s += String(lifetime);
  else if (lifetime < 3600) s += `${Math.floor(lifetime / 60)}:${PAD2(lifetime % 60)}`;
  else
    s += `${Math.floor(lifetime / 3600)}:${PAD2(Math.floor((lifetime % 3600) / 60))}:${PAD2(lifetime % 60)}`;
  let num = c.u8(off + 4);
  s += ` ${num}:`;
  const size = c.u8(off + 5);
  if (size !== 2) return `${s} [size ${size}]`;
  let p = off + 8;
  while (num > 0) {
    if (!c.has(p, 8)) return LOCAL_TRUNC;
    s += ` {${c.ip(p)} ${c.be32(p + 4)}}`;
    p += 8;
    num--;
  }
  return s;
}

/** The RFC 4884 part of icmp_print: extension header and objects. */
function multipartExtensions(c: PacketContext, off: number, plen: number): Flow {
  if (!c.has(off, ICMP_EXT_HEADER_SIZE)) {
    c.trunc();
    return DONE;
  }
  const ext = off + 8 + 128;
  const extLength = plen - ICMP_EXTD_MINLEN;
  // A zero length field: only a valid extension checksum says there is one.
  if (c.u8(off + 5) === 0 && c.has(ext, extLength)) {
    if (finishChecksum(sumWords(c.b, ext, ext + extLength)) !== 0) return DONE;
  }
  const version = c.u8(ext) >> 4;
  c.out += `\n\tICMP Multi-Part extension v${version}`;
  if (version !== ICMP_EXT_VERSION) {
    c.out += ' packet not supported';
    return DONE;
  }
  let hlen = extLength;
  if (c.has(ext, hlen)) {
    const bad = finishChecksum(sumWords(c.b, ext, ext + hlen)) !== 0;
    c.out += `, checksum 0x${hex4(c.be16(ext + 2))} (${bad ? 'in' : ''}correct), length ${hlen}`;
  }
  hlen -= 4;
  let p = ext + 4;
  while (hlen > 4) {
    if (!c.has(p, 4)) {
      c.trunc();
      return DONE;
    }
    let objLength = c.be16(p);
    const classNum = c.u8(p + 2);
    const ctype = c.u8(p + 3);
    p += 4;
    c.out += `\n\t  ${tok(MULTIPART_OBJECT_NAMES, classNum, 'unknown')} Object (${classNum}), Class-Type: ${ctype}, length ${objLength}`;
    hlen -= 4;
    if (classNum === 0 || objLength < 4) return DONE;
    objLength -= 4;
    if (classNum === MPLS_STACK_ENTRY_OBJECT_CLASS && ctype === 1) {
      if (!c.has(p, 4)) return TRUNCATED;
      // RFC 4950 fig. 2 / RFC 3032: label 20 bits, TC 3, S 1, TTL 8.
      const raw = c.be32(p);
      c.out += `\n\t    label ${raw >>> 12}, tc ${(raw >> 9) & 7}`;
      if ((raw >> 8) & 1) c.out += ', [S]';
      c.out += `, ttl ${raw & 0xff}`;
    } else {
      unknownData(c, p, objLength);
    }
    if (hlen < objLength) break;
    hlen -= objLength;
    p += objLength;
  }
  return DONE;
}

/** util-print.c print_unknown_data with the `\n\t    ` indent. */
function unknownData(c: PacketContext, p: number, len: number): void {
  if (p > c.end) {
    c.out += '\n\t    Dissector error: print_unknown_data() called with pointer past end of packet';
    return;
  }
  c.out += hexOnly('\n\t    ', c.b, p, Math.min(len, c.end - p));
}
