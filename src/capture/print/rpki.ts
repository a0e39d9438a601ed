/**
 * The RPKI-to-Router protocol (RFC 6810, TCP port 323) as tcpdump 4.99.3
 * prints it (print-rpki-rtr.c rpki_rtr_print, rpki_rtr_pdu_print): `, RPKI-RTR`
 * without -v; with -v each PDU on its own lines, and with -vv a hex dump of it.
 * The file longjmps on every short read (ND_LONGJMP_FROM_TCHECK): -1 below.
 */

import {
  DONE,
  type Flow,
  fnPrintChar,
  HEX2,
  hex4,
  type PacketContext,
  TRUNCATED,
  tok,
} from './context.js';
import { hexOnly } from './hexdump.js';
import { ip6String } from './mptcp.js';

/** RFC 6810 5: PDU types (print-rpki-rtr.c rpki_rtr_pdu_values). */
const PDU_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Serial Notify'],
  [1, 'Serial Query'],
  [2, 'Reset Query'],
  [3, 'Cache Response'],
  [4, 'IPV4 Prefix'],
  [6, 'IPV6 Prefix'],
  [7, 'End of Data'],
  [8, 'Cache Reset'],
  [10, 'Error Report'],
]);
/** RFC 6810 10: error codes. */
const ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [0, 'Corrupt Data'],
  [1, 'Internal Error'],
  [2, 'No Data Available'],
  [3, 'Invalid Request'],
  [4, 'Unsupported Protocol Version'],
  [5, 'Unsupported PDU Type'],
  [6, 'Withdrawal of Unknown Record'],
  [7, 'Duplicate Announcement Received'],
]);
/** sizeof(rpki_rtr_pdu): version, type, session id or error code, length. */
const PDU_HEADER = 8;
const IPV4_PREFIX_PDU = 20;
const IPV6_PREFIX_PDU = 32;

/** print-rpki-rtr.c indent_string: a newline, a tab per 8, spaces for the rest. */
function indent(n: number): string {
  return `\n${'\t'.repeat(n >> 3)}${' '.repeat(n & 7)}`;
}

/** rpki_rtr_print. */
export function rpkiRtrPrint(c: PacketContext, p: number, len: number): Flow {
  c.proto = 'rpki_rtr';
  if (!c.flags.vflag) {
    c.out += ', RPKI-RTR';
    return DONE;
  }
  while (len) {
    const pduLen = pdu(c, p, len, true, 8);
    if (pduLen < 0) return TRUNCATED;
    len -= pduLen;
    p += pduLen;
  }
  return DONE;
}

/**
 * rpki_rtr_pdu_print: one PDU of at most `len` bytes at `p`; the bytes it
 * used, or -1 for a longjmp.
 */
function pdu(c: PacketContext, p: number, len: number, recurse: boolean, ind: number): number {
  if (!c.has(p, 1)) return -1;
  const version = c.u8(p);
  if (version !== 0) {
    // A version tcpdump does not know cannot be skipped: the rest goes with it.
    c.out += `${indent(8)}RPKI-RTRv${version} (unknown)`;
    return len;
  }
  if (len < PDU_HEADER) {
    c.out += `(${len} bytes is too few to decode)`;
    return invalid(c, p, len);
  }
  if (!c.has(p, PDU_HEADER)) return -1;
  const type = c.u8(p + 1);
  const pduLen = c.be32(p + 4);
  c.out += `${indent(8)}RPKI-RTRv${version}, ${tok(PDU_NAMES, type, 'Unknown')} PDU (${type}), length: ${pduLen}`;
  if (pduLen < PDU_HEADER || pduLen > len) return invalid(c, p, len);
  let hexdump = false;
  switch (type) {
    case 0: // Serial Notify
    case 1: // Serial Query
    case 7: // End of Data
      if (pduLen !== PDU_HEADER + 4) return invalid(c, p, len);
      if (!c.has(p + 8, 4)) return -1;
      c.out += `${indent(ind + 2)}Session ID: 0x${hex4(c.be16(p + 2))}, Serial: ${c.be32(p + 8)}`;
      break;
    case 2: // Reset Query
    case 8: // Cache Reset
      if (pduLen !== PDU_HEADER) return invalid(c, p, len);
      break;
    case 3: // Cache Response
      if (pduLen !== PDU_HEADER) return invalid(c, p, len);
      c.out += `${indent(ind + 2)}Session ID: 0x${hex4(c.be16(p + 2))}`;
      break;
    case 4: // IPv4 Prefix
      if (pduLen !== IPV4_PREFIX_PDU) return invalid(c, p, len);
      if (!c.has(p + 8, 12)) return -1;
      c.out +=
        `${indent(ind + 2)}IPv4 Prefix ${c.ip(p + 12)}/${c.u8(p + 9)}-${c.u8(p + 10)}, ` +
        `origin-as ${c.be32(p + 16)}, flags 0x${HEX2[c.u8(p + 8)]}`;
      break;
    case 6: // IPv6 Prefix
      if (pduLen !== IPV6_PREFIX_PDU) return invalid(c, p, len);
      if (!c.has(p + 8, 24)) return -1;
      c.out +=
        `${indent(ind + 2)}IPv6 Prefix ${ip6String(c, p + 12)}/${c.u8(p + 9)}-${c.u8(p + 10)}, ` +
        `origin-as ${c.be32(p + 28)}, flags 0x${HEX2[c.u8(p + 8)]}`;
      break;
    case 10: {
      // Error Report (RFC 6810 5.10).
      let tlen = PDU_HEADER;
      if (pduLen < tlen + 4) return invalid(c, p, len);
      if (!c.has(p, tlen + 4)) return -1;
      const encapsulated = c.be32(p + 8);
      tlen += 4;
      const code = c.be16(p + 2);
      c.out += `${indent(ind + 2)}Error code: ${tok(ERROR_CODES, code, 'Unknown')} (${code}), Encapsulated PDU length: ${encapsulated}`;
      if (encapsulated) {
        if (pduLen < tlen + encapsulated) return invalid(c, p, len);
        if (!recurse) {
          if (!c.has(p, tlen + encapsulated)) return -1;
        } else {
          c.out += `${indent(ind + 4)}-----encapsulated PDU-----`;
          if (pdu(c, p + tlen, encapsulated, false, ind + 2) < 0) return -1;
        }
        tlen += encapsulated;
      }
      if (pduLen < tlen + 4) return invalid(c, p, len);
      if (!c.has(p, tlen + 4)) return -1;
      const textLength = c.be32(p + tlen);
      tlen += 4;
      if (textLength) {
        if (pduLen < tlen + textLength) return invalid(c, p, len);
        c.out += `${indent(ind + 2)}Error text: `;
        for (let i = 0; i < textLength; i++) {
          if (!c.has(p + tlen + i, 1)) return -1;
          c.out += fnPrintChar(c.u8(p + tlen + i));
        }
      }
      break;
    }
    default:
      if (!c.has(p, pduLen)) return -1;
      hexdump = true;
  }
  if (c.flags.vflag > 1 || (c.flags.vflag && hexdump)) {
    c.out += hexOnly('\n\t  ', c.b, p, Math.min(pduLen, c.end - p));
  }
  return pduLen;
}

/** rpki_rtr_pdu_print's `invalid:` label: the rest of the data is given up. */
function invalid(c: PacketContext, p: number, len: number): number {
  c.invalid();
  return c.has(p, len) ? len : -1;
}
