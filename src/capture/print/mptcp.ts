/**
 * The Multipath TCP option (kind 30) as tcpdump 4.99.3 prints it inside
 * `options [...]` (print-mptcp.c mptcp_print). RFC 8684 (v1) and RFC 6824
 * (v0) define the subtypes; the length checks below are tcpdump's, and a
 * failed one makes tcp_print end the list with `[bad opt]`.
 */

import { DONE, type Flow, type PacketContext, TRUNCATED } from './context.js';
import { MPTCP_BAD } from './tcp.js';

const TH_SYN = 0x02;
const TH_ACK = 0x10;

/** RFC 8684 3.1 MP_CAPABLE flag bits. */
const MP_CAPABLE_C = 0x80;
/** RFC 8684 3.2 MP_JOIN backup bit. */
const MP_JOIN_B = 0x01;
/** RFC 8684 3.3 DSS flags. */
const MP_DSS_F = 0x10;
const MP_DSS_m = 0x08;
const MP_DSS_M = 0x04;
const MP_DSS_a = 0x02;
const MP_DSS_A = 0x01;
/** RFC 8684 3.3.8 MP_PRIO backup bit. */
const MP_PRIO_B = 0x01;

/** print-mptcp.c mptcp_addr_subecho_bits. */
const ADD_ADDR_VERSIONS: ReadonlyMap<number, string> = new Map([
  [0x6, 'v0-ip6'],
  [0x4, 'v0-ip4'],
  [0x1, 'v1-echo'],
  [0x0, 'v1'],
]);

const SUBTYPE_NAMES = [
  'capable',
  'join',
  'dss',
  'add-addr',
  'rem-addr',
  'prio',
  'fail',
  'fast-close',
  'unknown',
] as const;

/** Subprinter result: printed, malformed (`return 0`), or a longjmp. */
type Result = Flow | typeof MPTCP_BAD;

function be64(c: PacketContext, off: number): bigint {
  return (BigInt(c.be32(off)) << 32n) | BigInt(c.be32(off + 4));
}

/**
 * mptcp_print: the option of `len` bytes at `off` (kind and length included).
 * The caller has limited the captured end to the option.
 */
export function mptcpPrint(c: PacketContext, off: number, len: number, flags: number): Result {
  c.proto = 'mptcp';
  if (len < 3) return MPTCP_BAD;
  if (!c.has(off + 2, 1)) return TRUNCATED;
  const subtype = Math.min((c.u8(off + 2) >> 4) & 0xf, 8);
  c.out += ` ${len} ${SUBTYPE_NAMES[subtype]}`;
  switch (subtype) {
    case 0:
      return capable(c, off, len, flags);
    case 1:
      return join(c, off, len, flags);
    case 2:
      return dss(c, off, len, flags);
    case 3:
      return addAddr(c, off, len);
    case 4: {
      if (len < 4) return MPTCP_BAD;
      c.out += ' id';
      for (let i = 0; i < len - 3; i++) {
        if (!c.has(off + 3 + i, 1)) return TRUNCATED;
        c.out += ` ${c.u8(off + 3 + i)}`;
      }
      return DONE;
    }
    case 5: {
      if (len !== 3 && len !== 4) return MPTCP_BAD;
      if (!c.has(off + 2, 1)) return TRUNCATED;
      c.out += c.u8(off + 2) & MP_PRIO_B ? ' backup' : ' non-backup';
      if (len === 4) {
        if (!c.has(off + 3, 1)) return TRUNCATED;
        c.out += ` id ${c.u8(off + 3)}`;
      }
      return DONE;
    }
    case 6:
      if (len !== 12) return MPTCP_BAD;
      if (!c.has(off + 4, 8)) return TRUNCATED;
      c.out += ` seq ${be64(c, off + 4)}`;
      return DONE;
    case 7:
      if (len !== 12) return MPTCP_BAD;
      if (!c.has(off + 4, 8)) return TRUNCATED;
      c.out += ` key 0x${be64(c, off + 4).toString(16)}`;
      return DONE;
    default:
      return DONE;
  }
}

/** mp_capable_print (RFC 8684 3.1). */
function capable(c: PacketContext, off: number, len: number, flags: number): Result {
  if (
    !((len === 12 || len === 4) && flags & TH_SYN) &&
    !((len === 20 || len === 22) && (flags & (TH_SYN | TH_ACK)) === TH_ACK)
  ) {
    return MPTCP_BAD;
  }
  if (!c.has(off + 2, 1)) return TRUNCATED;
  const version = c.u8(off + 2) & 0xf;
  if (version > 1) {
    c.out += ` Unknown Version (${version})`;
    return DONE;
  }
  c.out += ` v${version}`;
  if (!c.has(off + 3, 1)) return TRUNCATED;
  if (c.u8(off + 3) & MP_CAPABLE_C) c.out += ' csum';
  if (len === 12 || len >= 20) {
    if (!c.has(off + 4, 8)) return TRUNCATED;
    c.out += ` {0x${be64(c, off + 4).toString(16)}`;
    if (len >= 20) {
      if (!c.has(off + 12, 8)) return TRUNCATED;
      c.out += `,0x${be64(c, off + 12).toString(16)}`;
    }
    c.out += '}';
  }
  return DONE;
}

/** mp_join_print (RFC 8684 3.2). */
function join(c: PacketContext, off: number, len: number, flags: number): Result {
  if (
    !(len === 12 && flags & TH_SYN) &&
    !(len === 16 && (flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) &&
    !(len === 24 && flags & TH_ACK)
  ) {
    return MPTCP_BAD;
  }
  if (len !== 24) {
    if (!c.has(off + 2, 2)) return TRUNCATED;
    if (c.u8(off + 2) & MP_JOIN_B) c.out += ' backup';
    c.out += ` id ${c.u8(off + 3)}`;
  }
  switch (len) {
    case 12:
      if (!c.has(off + 4, 8)) return TRUNCATED;
      c.out += ` token 0x${c.be32(off + 4).toString(16)} nonce 0x${c.be32(off + 8).toString(16)}`;
      break;
    case 16:
      if (!c.has(off + 4, 12)) return TRUNCATED;
      c.out += ` hmac 0x${be64(c, off + 4).toString(16)} nonce 0x${c.be32(off + 12).toString(16)}`;
      break;
    case 24: {
      // tcpdump reads the 20 MAC bytes without a bounds check; tcp_print
      // has made sure the whole option is captured.
      let s = ' hmac 0x';
      for (let i = 0; i < 20; i++)
        s += c
          .u8(off + 4 + i)
          .toString(16)
          .padStart(2, '0');
      c.out += s;
      break;
    }
  }
  return DONE;
}

/** mp_dss_print (RFC 8684 3.3). */
function dss(c: PacketContext, off: number, len: number, flags: number): Result {
  if (len < 4) return MPTCP_BAD;
  if (flags & TH_SYN) return MPTCP_BAD;
  if (!c.has(off + 3, 1)) return TRUNCATED;
  const f = c.u8(off + 3);
  if (f & MP_DSS_F) c.out += ' fin';
  let p = off + 4;
  let left = len - 4;
  if (f & MP_DSS_A) {
    c.out += ' ack ';
    if (f & MP_DSS_a) {
      if (left < 8) return MPTCP_BAD;
      if (!c.has(p, 8)) return TRUNCATED;
      c.out += String(be64(c, p));
      p += 8;
      left -= 8;
    } else {
      if (left < 4) return MPTCP_BAD;
      if (!c.has(p, 4)) return TRUNCATED;
      c.out += String(c.be32(p));
      p += 4;
      left -= 4;
    }
  }
  if (f & MP_DSS_M) {
    c.out += ' seq ';
    if (f & MP_DSS_m) {
      if (left < 8) return MPTCP_BAD;
      if (!c.has(p, 8)) return TRUNCATED;
      c.out += String(be64(c, p));
      p += 8;
      left -= 8;
    } else {
      if (left < 4) return MPTCP_BAD;
      if (!c.has(p, 4)) return TRUNCATED;
      c.out += String(c.be32(p));
      p += 4;
      left -= 4;
    }
    if (left < 4) return MPTCP_BAD;
    if (!c.has(p, 4)) return TRUNCATED;
    c.out += ` subseq ${c.be32(p)}`;
    p += 4;
    left -= 4;
    if (left < 2) return MPTCP_BAD;
    if (!c.has(p, 2)) return TRUNCATED;
    c.out += ` len ${c.be16(p)}`;
    p += 2;
    left -= 2;
    // The checksum is there only if it was negotiated.
    if (left >= 2) {
      if (!c.has(p, 2)) return TRUNCATED;
      c.out += ` csum 0x${c.be16(p).toString(16)}`;
      left -= 2;
    }
  }
  return left !== 0 ? MPTCP_BAD : DONE;
}

/** add_addr_print (RFC 8684 3.4.1). */
function addAddr(c: PacketContext, off: number, len: number): Result {
  if (![8, 10, 16, 18, 20, 22, 28, 30].includes(len)) return MPTCP_BAD;
  if (!c.has(off + 2, 2)) return TRUNCATED;
  c.out += ` ${ADD_ADDR_VERSIONS.get(c.u8(off + 2) & 0xf) ?? '[bad version/echo]'}`;
  c.out += ` id ${c.u8(off + 3)}`;
  if (len <= 18) {
    if (!c.has(off + 4, 4)) return TRUNCATED;
    c.out += ` ${c.ip(off + 4)}`;
    if (len === 10 || len === 18) {
      if (!c.has(off + 8, 2)) return TRUNCATED;
      c.out += `:${c.be16(off + 8)}`;
    }
    if (len === 16) {
      if (!c.has(off + 8, 8)) return TRUNCATED;
      c.out += ` hmac 0x${be64(c, off + 8).toString(16)}`;
    }
    if (len === 18) {
      if (!c.has(off + 10, 8)) return TRUNCATED;
      c.out += ` hmac 0x${be64(c, off + 10).toString(16)}`;
    }
    return DONE;
  }
  if (!c.has(off + 4, 16)) return TRUNCATED;
  c.out += ` ${ip6String(c, off + 4)}`;
  if (len === 22 || len === 30) {
    if (!c.has(off + 20, 2)) return TRUNCATED;
    c.out += `:${c.be16(off + 20)}`;
  }
  if (len === 28) {
    if (!c.has(off + 20, 8)) return TRUNCATED;
    c.out += ` hmac 0x${be64(c, off + 20).toString(16)}`;
  }
  if (len === 30) {
    if (!c.has(off + 22, 8)) return TRUNCATED;
    c.out += ` hmac 0x${be64(c, off + 22).toString(16)}`;
  }
  return DONE;
}

/**
 * addrtostr6 (RFC 5952 text form): lowercase hex groups, the longest run of
 * two or more zero groups (the first if tied) as `::`, a dotted quad for
 * IPv4-mapped and IPv4-compatible addresses as inet_ntop writes them.
 */
export function ip6String(c: PacketContext, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(c.be16(off + 2 * i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const v4 = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff)) && g[6] !== 0;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (v4 && i === 6) {
      s += `${c.u8(off + 12)}.${c.u8(off + 13)}.${c.u8(off + 14)}.${c.u8(off + 15)}`;
      break;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += g[i]!.toString(16);
  }
  return s;
}
