/**
 * The link layers tcplab captures and reads: Ethernet (print-ether.c
 * ether_common_print, ethertype_print), Linux cooked v1 and v2 (print-sll.c
 * sll_if_print, sll2_if_print), raw IPv4 (print-raw.c raw_if_print,
 * print-ip.c ipN_print), and what Ethernet carries besides IP: ARP
 * (print-arp.c), 802.1Q tags, and 802.2 LLC (print-llc.c) for 802.3 frames.
 *
 * Each top-level printer sets `llHdrLen` (ndo_ll_hdr_len), which -x/-X/-A use
 * to leave the link header out of the dump.
 */

import { cfmPrint } from './cfm.js';
import { DONE, type Flow, HEX2, hex4, type PacketContext, TRUNCATED, tok } from './context.js';
import { hexAndAscii } from './hexdump.js';
import { ipNPrint, ipPrint } from './ip.js';
import { ETHERTYPES } from './names.js';

/** ethertype.h values the printers below dispatch on. */
const ETHERTYPE_IP = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_REVARP = 0x8035;
const ETHERTYPE_TRAIL = 0x1000;
const ETHERTYPE_8021Q = 0x8100;
const ETHERTYPE_8021Q9100 = 0x9100;
const ETHERTYPE_8021Q9200 = 0x9200;
const ETHERTYPE_8021QINQ = 0x88a8;
const ETHERTYPE_JUMBO = 0x8870;
const ETHERTYPE_CFM = 0x8902;
const ETHERTYPE_CFM_OLD = 0xabcd;
/** ethertype.h MAX_ETHERNET_LENGTH_VAL: at most this, the field is an 802.3 length. */
const MAX_ETHERNET_LENGTH_VAL = 1500;
/** print-ether.c ETHER_HDRLEN. */
const ETHER_HDRLEN = 14;
/** print-sll.c SLL_HDR_LEN and SLL2_HDR_LEN. */
const SLL_HDR_LEN = 16;
const SLL2_HDR_LEN = 20;
/** print-sll.c LINUX_SLL_P_802_3 and LINUX_SLL_P_802_2 (linux/if_ether.h ETH_P_*). */
const LINUX_SLL_P_802_3 = 0x0001;
const LINUX_SLL_P_802_2 = 0x0004;
/** if_arp.h ARPHRD_IEEE80211_RADIOTAP: a radiotap header follows (tcplab has no 802.11). */
const ARPHRD_IEEE80211_RADIOTAP = 803;

/**
 * Ethertypes ethertype_print hands to a decoder tcplab does not have (found
 * by running tcpdump 4.99.3 on every type): nothing more is printed for them.
 * Types outside this list and not decoded here get the raw-data fallback.
 */
const UNDECODED_ETHERTYPES: ReadonlySet<number> = new Set([
  0x0707, 0x1111, 0x3c12, 0x3c13, 0x6003, 0x809b, 0x80f3, 0x8137, 0x86dd, 0x8808, 0x8809, 0x880b,
  0x8847, 0x8848, 0x8863, 0x8864, 0x886f, 0x888e, 0x8899, 0x88a2, 0x88ca, 0x88cc, 0x88e5, 0x88f7,
  0x8947, 0x894f, 0x9000, 0xd28b, 0xfefe,
]);

/** print-sll.c sll_pkttype_values (linux/if_packet.h PACKET_*). */
const SLL_PKTTYPES: readonly string[] = ['In', 'B', 'M', 'P', 'Out'];

function pad(s: string, width: number, right: boolean): string {
  if (s.length >= width) return s;
  const fill = ' '.repeat(width - s.length);
  return right ? fill + s : s + fill;
}

/** print-ether.c ether_type_print. */
function etherTypeText(c: PacketContext, type: number): string {
  if (!c.flags.qflag) return `ethertype ${tok(ETHERTYPES, type, 'Unknown')} (0x${hex4(type)})`;
  return tok(ETHERTYPES, type, `Unknown Ethertype (0x${hex4(type)})`);
}

/**
 * `if (!ndo->ndo_suppress_default_print) ND_DEFAULTPRINT(...)`: the unknown
 * payload as hex and ASCII, unless -x or -X will dump it anyway.
 */
function defaultPrint(c: PacketContext, off: number, caplen: number): void {
  if (!c.flags.suppressDefaultPrint) dumpAlways(c, off, caplen);
}

/** A bare ND_DEFAULTPRINT, which some truncation paths call even with -x. */
function dumpAlways(c: PacketContext, off: number, caplen: number): void {
  c.out += hexAndAscii('\n\t', c.b, off, Math.max(0, Math.min(caplen, c.end - off)));
}

/** ieee8021q_tci_string (IEEE 802.1Q-2018 9.6): `vlan V, p P[, DEI]`. */
function tciText(tci: number): string {
  return `vlan ${tci & 0xfff}, p ${tci >> 13}${tci & 0x1000 ? ', DEI' : ''}`;
}

/** ether_if_print for one frame. */
export function etherIfPrint(c: PacketContext, length: number): Flow {
  c.proto = 'ether';
  const caplen = c.b.length;
  if (length < caplen) {
    c.out += `[length ${length} < caplen ${caplen}]`;
    c.invalid();
    c.llHdrLen = length;
    return DONE;
  }
  if (caplen < ETHER_HDRLEN) {
    c.trunc();
    c.llHdrLen = caplen;
    return DONE;
  }
  return etherCommon(c, 0, length, caplen);
}

/** ether_common_print: the frame at `start`; sets `llHdrLen`. */
function etherCommon(c: PacketContext, start: number, length: number, caplen: number): Flow {
  const origLength = length;
  const src = start + 6;
  const dst = start;
  length -= 12;
  caplen -= 12;
  let p = start + 12;
  let hdrlen = 12;
  if (c.flags.eflag) c.out += `${c.mac(src)} > ${c.mac(dst)}, `;
  let printedLength = false;
  if (!c.has(p, 2)) return TRUNCATED;
  let lengthType = c.be16(p);
  length -= 2;
  caplen -= 2;
  p += 2;
  hdrlen += 2;
  while (
    lengthType === ETHERTYPE_8021Q ||
    lengthType === ETHERTYPE_8021Q9100 ||
    lengthType === ETHERTYPE_8021Q9200 ||
    lengthType === ETHERTYPE_8021QINQ
  ) {
    if (caplen < 4 || length < 4) {
      c.proto = 'vlan';
      c.trunc();
      c.llHdrLen = hdrlen + Math.min(caplen, length);
      return DONE;
    }
    if (c.flags.eflag) {
      c.out += etherTypeText(c, lengthType);
      c.out += printedLength ? ', ' : `, length ${origLength}: `;
      printedLength = true;
      c.out += `${tciText(c.be16(p))}, `;
    }
    lengthType = c.be16(p + 2);
    p += 4;
    length -= 4;
    caplen -= 4;
    hdrlen += 4;
  }
  if (lengthType <= MAX_ETHERNET_LENGTH_VAL) {
    // An 802.3 length: the payload is that long, and LLC follows.
    if (lengthType < length) {
      length = lengthType;
      if (caplen > length) caplen = length;
    }
    const savedEnd = c.end;
    if (p + length < c.end) c.end = p + length;
    if (c.flags.eflag) {
      c.out += '802.3';
      if (!printedLength) c.out += `, length ${length}: `;
    }
    const r = llcPrint(c, p, length, caplen, src, dst);
    c.end = savedEnd;
    if (r === undefined) return TRUNCATED;
    if (r < 0) defaultPrint(c, p, caplen);
    c.llHdrLen = hdrlen + Math.abs(r);
    return DONE;
  }
  if (lengthType === ETHERTYPE_JUMBO) {
    const r = llcPrint(c, p, length, caplen, src, dst);
    if (r === undefined) return TRUNCATED;
    if (r < 0) defaultPrint(c, p, caplen);
    c.llHdrLen = hdrlen + Math.abs(r);
    return DONE;
  }
  if (c.flags.eflag) {
    c.out += etherTypeText(c, lengthType);
    c.out += printedLength ? ', ' : `, length ${origLength}: `;
  }
  c.llHdrLen = hdrlen;
  const known = ethertypePrint(c, lengthType, p, length, caplen);
  if (known === undefined) return TRUNCATED;
  if (!known) {
    if (!c.flags.eflag) {
      c.out += `${c.mac(src)} > ${c.mac(dst)}, ${etherTypeText(c, lengthType)}, length ${origLength}: `;
    }
    defaultPrint(c, p, caplen);
  }
  return DONE;
}

/**
 * ethertype_print: true when the type has a decoder, false for the raw-data
 * fallback, undefined for a longjmp.
 */
function ethertypePrint(
  c: PacketContext,
  type: number,
  p: number,
  length: number,
  caplen: number,
): boolean | undefined {
  switch (type) {
    case ETHERTYPE_IP:
      return ipPrint(c, p, length) ? true : undefined;
    case ETHERTYPE_ARP:
    case ETHERTYPE_REVARP:
      return arpPrint(c, p, length, caplen) ? true : undefined;
    case ETHERTYPE_CFM:
    case ETHERTYPE_CFM_OLD:
      return cfmPrint(c, p, length) ? true : undefined;
    default:
      return UNDECODED_ETHERTYPES.has(type);
  }
}

/** print-sll.c sll_print: the -e part of a cooked v1 header. */
function sllHeader(c: PacketContext, length: number): void {
  c.proto = 'sll';
  const pkttype = c.be16(0);
  c.out += `${pad(SLL_PKTTYPES[pkttype] ?? '?', 3, true)} `;
  // XXX in tcpdump too: any 6-byte address is taken to be a MAC.
  if (c.be16(4) === 6) c.out += `${c.mac(6)} `;
  if (!c.flags.qflag) {
    const type = c.be16(14);
    c.out += cookedTypeText(type);
    c.out += `, length ${length}: `;
  }
}

function cookedTypeText(type: number): string {
  if (type > MAX_ETHERNET_LENGTH_VAL) {
    return `ethertype ${tok(ETHERTYPES, type, 'Unknown')} (0x${hex4(type)})`;
  }
  if (type === LINUX_SLL_P_802_3) return '802.3';
  if (type === LINUX_SLL_P_802_2) return '802.2';
  return `ethertype Unknown (0x${hex4(type)})`;
}

/** print-sll.c sll_if_print (LINKTYPE_LINUX_SLL). */
export function sllIfPrint(c: PacketContext, length: number): Flow {
  c.proto = 'sll';
  if (!c.has(0, SLL_HDR_LEN)) return TRUNCATED;
  if (c.flags.eflag) sllHeader(c, length);
  return cookedPayload(c, SLL_HDR_LEN, length, c.be16(2), c.be16(14));
}

/** print-sll.c sll2_print: the -e part of a cooked v2 header. */
function sll2Header(c: PacketContext, length: number): void {
  c.proto = 'sll2';
  c.out += `ifindex ${c.be32(4)} `;
  if (c.u8(11) === 6) c.out += `${c.mac(12)} `;
  if (!c.flags.qflag) {
    c.out += cookedTypeText(c.be16(0));
    c.out += `, length ${length}: `;
  }
}

/**
 * print-sll.c sll2_if_print (LINKTYPE_LINUX_SLL2, `-i any`): every line starts
 * with the interface name (if_indextoname on the reading host, `?` if it has
 * none) padded to 5 and the direction padded to 3.
 */
export function sll2IfPrint(
  c: PacketContext,
  length: number,
  interfaceName: (ifIndex: number) => string | undefined,
): Flow {
  c.proto = 'sll2';
  if (!c.has(0, SLL2_HDR_LEN)) return TRUNCATED;
  const name = interfaceName(c.be32(4)) ?? '?';
  c.out += `${pad(name, 5, false)} ${pad(SLL_PKTTYPES[c.u8(10)] ?? '?', 3, false)} `;
  if (c.flags.eflag) sll2Header(c, length);
  return cookedPayload(c, SLL2_HDR_LEN, length, c.be16(8), c.be16(0));
}

/**
 * The part sll_if_print and sll2_if_print share, after the cooked header of
 * `hdr` bytes (SLL_HDR_LEN or SLL2_HDR_LEN, which also says which one it is).
 */
function cookedPayload(
  c: PacketContext,
  hdr: number,
  length: number,
  hatype: number,
  etherType: number,
): Flow {
  length -= hdr;
  let caplen = c.b.length - hdr;
  let p = hdr;
  let hdrlen = hdr;
  if (hatype === ARPHRD_IEEE80211_RADIOTAP) {
    // ieee802_11_radio_print: not decoded by tcplab.
    c.llHdrLen = hdr;
    return DONE;
  }
  for (;;) {
    if (etherType <= MAX_ETHERNET_LENGTH_VAL) {
      if (etherType === LINUX_SLL_P_802_2) {
        const r = llcPrint(c, p, length, caplen, -1, -1);
        if (r === undefined) return TRUNCATED;
        if (r < 0) defaultPrint(c, p, caplen);
        else hdrlen += r;
      } else if (etherType !== LINUX_SLL_P_802_3) {
        defaultPrint(c, p, caplen);
      }
      // LINUX_SLL_P_802_3 is Novell IPX: ipx_print, not decoded by tcplab.
      break;
    }
    if (etherType === ETHERTYPE_8021Q) {
      if (caplen < 4) {
        c.proto = 'vlan';
        c.trunc();
        c.llHdrLen = hdrlen + caplen;
        return DONE;
      }
      if (c.flags.eflag) c.out += `${tciText(c.be16(p))}, `;
      etherType = c.be16(p + 2);
      if (etherType <= MAX_ETHERNET_LENGTH_VAL) etherType = LINUX_SLL_P_802_2;
      if (!c.flags.qflag) c.out += `ethertype ${tok(ETHERTYPES, etherType, 'Unknown')}, `;
      p += 4;
      length -= 4;
      caplen -= 4;
      hdrlen += 4;
      continue;
    }
    c.llHdrLen = hdrlen;
    const known = ethertypePrint(c, etherType, p, length, caplen);
    if (known === undefined) return TRUNCATED;
    if (!known) {
      // The unknown type: print the header -e left out, then the data.
      if (!c.flags.eflag) {
        if (hdr === SLL_HDR_LEN) sllHeader(c, length + hdr);
        else sll2Header(c, length + hdr);
      }
      defaultPrint(c, p, caplen);
    }
    return DONE;
  }
  c.llHdrLen = hdrlen;
  return DONE;
}

/** print-raw.c raw_if_print (LINKTYPE_RAW, LINKTYPE_IPV4): `ip: ` with -e. */
export function rawIfPrint(c: PacketContext, length: number): Flow {
  if (c.flags.eflag) c.out += 'ip: ';
  return ipNPrint(c, 0, length);
}

/** RFC 826 / print-arp.c: operation codes and hardware types. */
const ARP_OPS: ReadonlyMap<number, string> = new Map([
  [1, 'Request'],
  [2, 'Reply'],
  [3, 'Reverse Request'],
  [4, 'Reverse Reply'],
  [8, 'Inverse Request'],
  [9, 'Inverse Reply'],
  [10, 'NACK Reply'],
]);
const ARP_HARDWARE: ReadonlyMap<number, string> = new Map([
  [1, 'Ethernet'],
  [6, 'TokenRing'],
  [7, 'ArcNet'],
  [15, 'FrameRelay'],
  [23, 'Strip'],
  [24, 'IEEE 1394'],
  [19, 'ATM'],
  [32, 'InfiniBand'],
]);
/** print-arp.c ARPHRD_ATM2225: RFC 2225 ATMARP, a different layout (not decoded here). */
const ARPHRD_ATM2225 = 19;
/** ARPHRD_FRELAY: addresses are Frame Relay DLCIs (LINKADDR_FRELAY). */
const ARPHRD_FRELAY = 15;

/**
 * addrtoname.c GET_LINKADDR_STRING for LINKADDR_ETHER: a 6-byte address as a
 * MAC; any other length as colon-separated hex, `<empty>` for none.
 */
function linkAddr(c: PacketContext, off: number, len: number, frameRelay: boolean): string {
  if (len === 0) return '<empty>';
  if (frameRelay) return q922String(c, off, len);
  if (len === 6) return c.mac(off);
  let s = HEX2[c.u8(off)]!;
  for (let i = 1; i < len; i++) s += `:${HEX2[c.u8(off + i)]}`;
  return s;
}

/** ITU-T Q.922 3.2: the address-extension bit, set in the last address byte. */
const FR_EA_BIT = 0x01;

/**
 * print-fr.c q922_string / parse_q922_addr: the DLCI of a 2 to 4 byte Q.922
 * address (RFC 2427), `<Truncated>` when the bytes end before the EA bit,
 * `<Invalid DLCI>` when it comes too early or too late.
 */
function q922String(c: PacketContext, p: number, length: number): string {
  if (length < 1) return '<Truncated>';
  const b0 = c.u8(p);
  if (b0 & FR_EA_BIT) return '<Invalid DLCI>';
  if (length < 2) return '<Truncated>';
  const b1 = c.u8(p + 1);
  let dlci = ((b0 & 0xfc) << 2) | ((b1 & 0xf0) >> 4);
  if (b1 & FR_EA_BIT) return `DLCI ${dlci}`;
  p += 2;
  length -= 2;
  if (length < 1) return '<Truncated>';
  if ((c.u8(p) & FR_EA_BIT) === 0) {
    dlci = (dlci << 7) | (c.u8(p) >> 1);
    p++;
    length--;
  }
  if (length < 1) return '<Truncated>';
  if ((c.u8(p) & FR_EA_BIT) === 0) return '<Invalid DLCI>';
  dlci = (dlci << 6) | (c.u8(p) >> 2);
  return `DLCI ${dlci >>> 0}`;
}

/** print-arp.c arp_print; false: longjmp. */
function arpPrint(c: PacketContext, off: number, length: number, caplen: number): Flow {
  c.proto = 'arp';
  // print-arp.c longjmps (ND_LONGJMP_FROM_TCHECK) when the header is short.
  if (!c.has(off, 8)) return TRUNCATED;
  const hrd = c.be16(off);
  const pro = c.be16(off + 2);
  const hln = c.u8(off + 4);
  const pln = c.u8(off + 5);
  const op = c.be16(off + 6);
  if (hrd === ARPHRD_ATM2225) return DONE;
  const frameRelay = hrd === ARPHRD_FRELAY;
  const sha = off + 8;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  if (!c.has(tpa, pln)) return TRUNCATED;
  if (!c.flags.eflag) c.out += 'ARP, ';
  const ipLike = pro === ETHERTYPE_IP || pro === ETHERTYPE_TRAIL;
  if (!ipLike || pln !== 4 || hln === 0 || c.flags.vflag) {
    c.out +=
      `${tok(ARP_HARDWARE, hrd, `Unknown Hardware (${hrd})`)} (len ${hln}), ` +
      `${tok(ETHERTYPES, pro, `Unknown Protocol (0x${hex4(pro)})`)} (len ${pln})`;
    if (!c.flags.vflag) {
      c.out += `, length ${length}`;
      return DONE;
    }
  }
  c.out += `${c.flags.vflag ? ', ' : ''}${tok(ARP_OPS, op, `Unknown (${op})`)} `;
  const protoAddr = (at: number) =>
    !ipLike ? '<wrong proto type>' : pln !== 4 ? '<wrong len>' : c.ip(at);
  switch (op) {
    case 1: {
      c.out += `who-has ${protoAddr(tpa)}`;
      let nonzero = false;
      for (let i = 0; i < hln; i++) {
        if (!c.has(tha + i, 1)) return TRUNCATED;
        if (c.u8(tha + i) !== 0) {
          nonzero = true;
          break;
        }
      }
      if (nonzero) c.out += ` (${linkAddr(c, tha, hln, frameRelay)})`;
      c.out += ` tell ${protoAddr(spa)}`;
      break;
    }
    case 2:
      c.out += `${protoAddr(spa)} is-at ${linkAddr(c, sha, hln, frameRelay)}`;
      break;
    case 3:
    case 8:
      c.out += `who-is ${linkAddr(c, tha, hln, frameRelay)} tell ${linkAddr(c, sha, hln, frameRelay)}`;
      break;
    case 4:
      c.out += `${linkAddr(c, tha, hln, frameRelay)} at ${protoAddr(tpa)}`;
      break;
    case 9:
      c.out += `${linkAddr(c, sha, hln, frameRelay)} at ${protoAddr(spa)}`;
      break;
    default:
      dumpAlways(c, off, caplen);
      return DONE;
  }
  c.out += `, length ${length}`;
  return DONE;
}

/** llc.h service access points and control-field values. */
const LLCSAP_GLOBAL = 0xff;
const LLCSAP_IP = 0x06;
const LLCSAP_SNAP = 0xaa;
const LLC_IG = 0x01;
const LLC_GSAP = 0x01;
const LLC_U_FMT = 0x03;
const LLC_S_FMT = 0x01;
const LLC_U_POLL = 0x10;
const LLC_IS_POLL = 0x0100;
const LLC_UI = 0x03;
const LLC_XID = 0xaf;
const LLC_XID_FI = 0x81;

/** print-llc.c llc_values. */
const LLC_SAPS: ReadonlyMap<number, string> = new Map([
  [0x00, 'Null'],
  [LLCSAP_GLOBAL, 'Global'],
  [0x02, '802.1B I'],
  [0x03, '802.1B G'],
  [LLCSAP_IP, 'IP'],
  [0x04, 'SNA'],
  [0x0e, 'ProWay NM'],
  [0x42, 'STP'],
  [0x4e, 'RS511'],
  [0x7e, 'ISO8208'],
  [0x8e, 'ProWay'],
  [LLCSAP_SNAP, 'SNAP'],
  [0xe0, 'IPX'],
  [0xf0, 'NetBeui'],
  [0xfe, 'OSI'],
]);
/** print-llc.c llc_cmd_values (U-format commands). */
const LLC_COMMANDS: ReadonlyMap<number, string> = new Map([
  [LLC_UI, 'ui'],
  [0xe3, 'test'],
  [LLC_XID, 'xid'],
  [0x63, 'ua'],
  [0x43, 'disc'],
  [0x0f, 'dm'],
  [0x6f, 'sabme'],
  [0x87, 'frmr'],
]);
/** print-llc.c llc_flag_values. */
const LLC_FLAGS: ReadonlyMap<number, string> = new Map([
  [0, 'Command'],
  [LLC_GSAP, 'Response'],
  [LLC_U_POLL, 'Poll'],
  [LLC_GSAP | LLC_U_POLL, 'Final'],
  [LLC_IS_POLL, 'Poll'],
  [LLC_GSAP | LLC_IS_POLL, 'Final'],
]);
const LLC_SUPERVISORY: readonly string[] = ['Receiver Ready', 'Receiver not Ready', 'Reject'];

/**
 * print-llc.c llc_print (IEEE 802.2): the LLC header at `p`. Returns the
 * header length when the payload was decoded, its negative when the caller
 * should dump the payload, or undefined for a longjmp. `src`/`dst` are the
 * MAC offsets, -1 when the link layer has none.
 */
function llcPrint(
  c: PacketContext,
  p: number,
  length: number,
  caplen: number,
  src: number,
  dst: number,
): number | undefined {
  c.proto = 'llc';
  if (caplen < 3 || length < 3) {
    c.trunc();
    dumpAlways(c, p, caplen);
    return Math.min(caplen, length);
  }
  if (!c.has(p, 3)) return undefined;
  const dsapField = c.u8(p);
  const ssapField = c.u8(p + 1);
  let control = c.u8(p + 2);
  let hdrlen: number;
  const isU = (control & LLC_U_FMT) === LLC_U_FMT;
  if (isU) {
    hdrlen = 3;
  } else {
    if (caplen < 4 || length < 4) {
      c.trunc();
      dumpAlways(c, p, caplen);
      return Math.min(caplen, length);
    }
    if (!c.has(p + 3, 1)) return undefined;
    // I and S frames: a 2-byte control field, little-endian.
    control = c.u8(p + 2) | (c.u8(p + 3) << 8);
    hdrlen = 4;
  }
  if (ssapField === LLCSAP_GLOBAL && dsapField === LLCSAP_GLOBAL) {
    // Novell "raw" 802.3 IPX: ipx_print, not decoded by tcplab.
    if (c.flags.eflag) c.out += 'IPX 802.3: ';
    return 0;
  }
  const dsap = dsapField & ~LLC_IG;
  const ssap = ssapField & ~LLC_GSAP;
  if (c.flags.eflag) {
    c.out +=
      `LLC, dsap ${tok(LLC_SAPS, dsap, 'Unknown')} (0x${HEX2[dsap]}) ${dsapField & LLC_IG ? 'Group' : 'Individual'}, ` +
      `ssap ${tok(LLC_SAPS, ssap, 'Unknown')} (0x${HEX2[ssap]}) ${tok(LLC_FLAGS, ssapField & LLC_GSAP, 'Unknown')}`;
    c.out += isU ? `, ctrl 0x${HEX2[control]}: ` : `, ctrl 0x${hex4(control)}: `;
  }
  p += hdrlen;
  length -= hdrlen;
  caplen -= hdrlen;
  if (ssap === LLCSAP_IP && dsap === LLCSAP_IP && control === LLC_UI) {
    // RFC 948: IP over 802.3 with an 802.2 header.
    return ipPrint(c, p, length) ? hdrlen : undefined;
  }
  if (
    (ssap === LLCSAP_SNAP && dsap === LLCSAP_SNAP && control === LLC_UI) ||
    (ssap === 0x42 && dsap === 0x42 && control === LLC_UI) ||
    (ssap === 0xe0 && dsap === 0xe0 && control === LLC_UI) ||
    (ssap === 0xfe && dsap === 0xfe && control === LLC_UI)
  ) {
    // SNAP, STP, IPX and OSI payloads: decoders tcplab does not have.
    return ssap === LLCSAP_SNAP ? hdrlen + 5 : hdrlen;
  }
  if (!c.flags.eflag) {
    const dsapName = tok(LLC_SAPS, dsap, `Unknown DSAP 0x${HEX2[dsap]}`);
    if (ssap === dsap) {
      c.out += src < 0 ? `${dsapName} ` : `${c.mac(src)} > ${c.mac(dst)} ${dsapName} `;
    } else {
      const ssapName = tok(LLC_SAPS, ssap, `Unknown SSAP 0x${HEX2[ssap]}`);
      c.out +=
        src < 0
          ? `${ssapName} > ${dsapName} `
          : `${c.mac(src)} ${ssapName} > ${c.mac(dst)} ${dsapName} `;
    }
  }
  if (isU) {
    const cmd = control & 0xef;
    c.out +=
      `Unnumbered, ${tok(LLC_COMMANDS, cmd, HEX2[cmd]!)}, ` +
      `Flags [${tok(LLC_FLAGS, (ssapField & LLC_GSAP) | (control & LLC_U_POLL), '?')}], length ${length + hdrlen}`;
    if ((control & ~LLC_U_POLL) === LLC_XID) {
      if (length === 0) return hdrlen;
      if (caplen < 1) {
        c.trunc();
        return hdrlen;
      }
      if (c.u8(p) === LLC_XID_FI) {
        if (caplen < 3 || length < 3) {
          c.trunc();
          dumpAlways(c, p, caplen);
        } else {
          c.out += `: ${HEX2[c.u8(p + 1)]} ${HEX2[c.u8(p + 2)]}`;
        }
        return hdrlen;
      }
    }
  } else if ((control & LLC_S_FMT) === LLC_S_FMT) {
    c.out +=
      `Supervisory, ${LLC_SUPERVISORY[(control >> 2) & 3] ?? '?'}, rcv seq ${(control >> 9) & 0x7f}, ` +
      `Flags [${tok(LLC_FLAGS, (ssapField & LLC_GSAP) | (control & LLC_IS_POLL), '?')}], length ${length + hdrlen}`;
    return hdrlen;
  } else {
    c.out +=
      `Information, send seq ${(control >> 1) & 0x7f}, rcv seq ${(control >> 9) & 0x7f}, ` +
      `Flags [${tok(LLC_FLAGS, (ssapField & LLC_GSAP) | (control & LLC_IS_POLL), '?')}], length ${length + hdrlen}`;
  }
  return -hdrlen;
}
