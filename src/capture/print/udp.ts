/**
 * UDP as tcpdump 4.99.3 prints it (print-udp.c udp_print, udpipaddr_print).
 * tcplab prints the generic `UDP, length N` form; for ports tcpdump hands to
 * one of its many application decoders (DNS, DHCP, NTP, SNMP, …) it prints the
 * addresses and stops, so its line is a prefix of tcpdump's (the list is in
 * docs/tcpdump-differences.md).
 */

import { cksumShouldBe, DONE, type Flow, hex4, type PacketContext } from './context.js';
import { IPPROTO_UDP, nextProto4Checksum } from './ip.js';

/**
 * Ports for which tcpdump 4.99.3 calls an application decoder when the port
 * is the source or the destination, found by running it on a datagram to and
 * from every port (print-udp.c: the *_PORT tests of udp_print).
 */
const DECODED_EITHER: ReadonlySet<number> = new Set([
  53, 67, 68, 69, 88, 123, 161, 162, 319, 320, 496, 500, 514, 520, 521, 525, 546, 547, 646, 654,
  698, 701, 750, 921, 1589, 1645, 1646, 1700, 1701, 1812, 1813, 2103, 2104, 3503, 3799, 4342, 4500,
  4789, 4790, 5060, 5353, 5359, 6081, 6343, 6635, 6696, 6697, 7000, 7001, 7002, 7003, 7004, 7005,
  7006, 7007, 7008, 7009, 7500, 8231, 8472, 8500, 12222, 12223, 17754, 30490,
]);
/** Decoded only as the destination port (VAT, HSRP, BFD, WB, …). */
const DECODED_DST: ReadonlySet<number> = new Set([1985, 3456, 3784, 3785, 4567, 4784, 6784]);
/** Decoded only as the source port (Broadcom LI). */
const DECODED_SRC: ReadonlySet<number> = new Set([49152]);
/** RFC 1094 NFS, recognised from the ONC RPC direction word (RFC 5531 9). */
const NFS_PORT = 2049;

/** udpipaddr_print: `a.b.c.d.port > e.f.g.h.port: `. */
function addresses(c: PacketContext, ipOff: number, sport: number, dport: number): void {
  if (c.u8(ipOff + 9) === IPPROTO_UDP) {
    c.out +=
      sport < 0
        ? `${c.ip(ipOff + 12)} > ${c.ip(ipOff + 16)}: `
        : `${c.ip(ipOff + 12)}.${c.udpPort(sport)} > ${c.ip(ipOff + 16)}.${c.udpPort(dport)}: `;
  } else if (sport >= 0) {
    c.out += `${c.udpPort(sport)} > ${c.udpPort(dport)}: `;
  }
}

/** udp_print: the datagram at `off`, `length` bytes according to IP. */
export function udpPrint(
  c: PacketContext,
  off: number,
  length: number,
  ipOff: number,
  fragmented: boolean,
): Flow {
  c.proto = 'udp';
  if (!c.has(off + 2, 2)) {
    addresses(c, ipOff, -1, -1);
    c.trunc();
    return DONE;
  }
  const sport = c.be16(off);
  const dport = c.be16(off + 2);
  if (length < 8) {
    addresses(c, ipOff, sport, dport);
    c.out += `truncated-udp ${length}`;
    return DONE;
  }
  if (!c.has(off + 4, 2)) {
    addresses(c, ipOff, sport, dport);
    c.trunc();
    return DONE;
  }
  let ulen = c.be16(off + 4);
  // RFC 2675 jumbograms: a zero length means "look at the IP length".
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) {
    addresses(c, ipOff, sport, dport);
    c.out += `truncated-udplength ${ulen}`;
    return DONE;
  }
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  const cp = off + 8;
  if (cp > c.end) {
    addresses(c, ipOff, sport, dport);
    c.trunc();
    return DONE;
  }
  addresses(c, ipOff, sport, dport);
  if (!c.flags.qflag && c.has(cp + 4, 4)) {
    // ONC RPC call to, or reply from, the NFS port: nfs_print's business.
    const direction = c.be32(cp + 4);
    if ((dport === NFS_PORT && direction === 0) || (sport === NFS_PORT && direction === 1)) {
      return DONE;
    }
  }
  if (c.flags.vflag > 1 && !fragmented) {
    // print-udp.c checks IPv4 UDP checksums only from -vv on.
    const field = c.be16(off + 6);
    if (field === 0) {
      c.out += '[no cksum] ';
    } else if (c.has(cp, length)) {
      const sum = nextProto4Checksum(c, ipOff, off, length + 8, IPPROTO_UDP);
      c.out +=
        sum !== 0
          ? `[bad udp cksum 0x${hex4(field)} -> 0x${hex4(cksumShouldBe(field, sum))}!] `
          : '[udp sum ok] ';
    }
  }
  if (
    !c.flags.qflag &&
    (DECODED_EITHER.has(sport) ||
      DECODED_EITHER.has(dport) ||
      DECODED_DST.has(dport) ||
      DECODED_SRC.has(sport))
  ) {
    return DONE;
  }
  c.out +=
    ulen > length && !fragmented ? `UDP, bad length ${ulen} > ${length}` : `UDP, length ${ulen}`;
  return DONE;
}
