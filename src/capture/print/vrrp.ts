/**
 * VRRP as tcpdump 4.99.3 prints it (print-vrrp.c vrrp_print): RFC 3768 (v2)
 * and RFC 5798 (v3) advertisements.
 */

import { finishChecksum, sumWords } from '../../wire/checksum.js';
import { DONE, type Flow, fnPrintChar, hex, type PacketContext, TRUNCATED } from './context.js';
import { nextProto4Checksum } from './ip.js';

/** RFC 5798 5.2.2: the only VRRP message type. */
const VRRP_TYPE_ADVERTISEMENT = 1;
/** RFC 2338 5.3.6 authentication types (print-vrrp.c auth2str). */
const AUTH_NAMES: readonly string[] = ['none', 'simple', 'ah'];
const VRRP_AUTH_SIMPLE = 1;
/** IANA protocol number of VRRP. */
const IPPROTO_VRRP = 112;

/** vrrp_print: the message at `off`, `len` bytes, in the datagram at `ipOff`. */
export function vrrpPrint(c: PacketContext, off: number, len: number, ipOff: number): Flow {
  c.proto = 'vrrp';
  c.out += 'VRRP';
  if (!c.has(off, 1)) return TRUNCATED;
  const version = c.u8(off) >> 4;
  const type = c.u8(off) & 0x0f;
  c.out += `v${version}, ${type === VRRP_TYPE_ADVERTISEMENT ? 'Advertisement' : `unknown type (${type})`}`;
  // RFC 5798 5.1.1.3: advertisements are sent with TTL 255.
  const ttl = c.u8(ipOff + 8);
  if (ttl !== 255) c.out += `, (ttl ${ttl})`;
  if (version < 2 || version > 3 || type !== VRRP_TYPE_ADVERTISEMENT) return DONE;
  if (!c.has(off + 1, 2)) return TRUNCATED;
  c.out += `, vrid ${c.u8(off + 1)}, prio ${c.u8(off + 2)}`;
  let authType = 0;
  if (version === 2) {
    if (!c.has(off + 4, 1)) return TRUNCATED;
    authType = c.u8(off + 4);
    c.out += `, authtype ${AUTH_NAMES[authType] ?? `#${authType}`}`;
    if (!c.has(off + 5, 1)) return TRUNCATED;
    c.out += `, intvl ${c.u8(off + 5)}s, length ${len}`;
  } else {
    if (!c.has(off + 4, 2)) return TRUNCATED;
    const intvl = ((c.u8(off + 4) & 0x0f) << 8) | c.u8(off + 5);
    c.out += `, intvl ${intvl}cs, length ${len}`;
  }
  if (!c.flags.vflag) return DONE;
  if (!c.has(off + 3, 1)) return TRUNCATED;
  const naddrs = c.u8(off + 3);
  if (c.has(off, len)) {
    const bad =
      version === 2
        ? finishChecksum(sumWords(c.b, off, off + len)) !== 0
        : nextProto4Checksum(c, ipOff, off, len, IPPROTO_VRRP) !== 0;
    if (bad) {
      if (!c.has(off + 6, 2)) return TRUNCATED;
      c.out += `, (bad vrrp cksum ${hex(c.be16(off + 6))})`;
    }
  }
  c.out += ', addrs';
  if (naddrs > 1) c.out += `(${naddrs})`;
  c.out += ':';
  let sep = ' ';
  let p = off + 8;
  for (let i = 0; i < naddrs; i++) {
    if (!c.has(p, 4)) return TRUNCATED;
    c.out += sep + c.ip(p);
    sep = ',';
    p += 4;
  }
  if (version === 2 && authType === VRRP_AUTH_SIMPLE) {
    // RFC 2338 5.3.10: up to 8 bytes, zero-filled.
    c.out += ' auth "';
    for (let i = 0; i < 8; i++) {
      if (!c.has(p + i, 1)) return TRUNCATED;
      const ch = c.u8(p + i);
      if (ch === 0) break;
      c.out += fnPrintChar(ch);
    }
    c.out += '"';
  }
  return DONE;
}
