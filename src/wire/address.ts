/**
 * IPv4 and Ethernet (MAC-48) addresses as plain numbers: an IPv4 address is its
 * uint32 value in network order (192.168.0.21 is 0xc0a80015), a MAC address its
 * 48-bit value (02:00:00:00:00:21 is 0x020000000021; 2^48 < 2^53, so it is exact).
 * Numbers compare with `===`, key a Map, and cost no allocation.
 */

import { get16, get32, hex, put16, put32 } from './bytes.js';
import { fail, ok, type Parsed } from './parsed.js';

/** An IPv4 address as an unsigned 32-bit number. */
export type Ipv4Address = number;

/** A MAC-48 address as a number in [0, 2^48). */
export type MacAddress = number;

/** ff:ff:ff:ff:ff:ff (IEEE 802-2014 8.2.3; Linux: eth_broadcast_addr). */
export const MAC_BROADCAST: MacAddress = 0xffff_ffff_ffff;

/** 00:00:00:00:00:00, the unknown target hardware address of an ARP request (RFC 826). */
export const MAC_ZERO: MacAddress = 0;

/** 0.0.0.0 (RFC 1122 3.2.1.3 (a): "this host on this network"; INADDR_ANY). */
export const IPV4_ANY: Ipv4Address = 0;

/** 255.255.255.255, the limited broadcast address (RFC 919 7; INADDR_BROADCAST). */
export const IPV4_BROADCAST: Ipv4Address = 0xffff_ffff;

const TWO_32 = 0x1_0000_0000;

/** The address a.b.c.d (each octet taken modulo 256). */
export function ipv4Address(a: number, b: number, c: number, d: number): Ipv4Address {
  return (((a & 255) << 24) | ((b & 255) << 16) | ((c & 255) << 8) | (d & 255)) >>> 0;
}

/** Dotted quad, as tcpdump -n and inet_ntoa print it: `192.168.0.21`. */
export function formatIpv4Address(addr: Ipv4Address): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/**
 * Parses a dotted quad the way inet_pton(AF_INET) does (POSIX): exactly four
 * decimal parts in 0..255, no leading zeros, no spaces, nothing after. The error
 * offset is the index of the offending character in `text`.
 */
export function parseIpv4Address(text: string): Parsed<Ipv4Address> {
  let value = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text[i] !== '.') {
        return fail('ipv4', `bad IPv4 address "${text}": expected "."`, i);
      }
      i++;
    }
    const start = i;
    let octet = 0;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) {
      octet = octet * 10 + (text.charCodeAt(i) - 48);
      i++;
      if (octet > 255) return fail('ipv4', `bad IPv4 address "${text}": octet above 255`, start);
    }
    if (i === start) return fail('ipv4', `bad IPv4 address "${text}": expected a digit`, i);
    // inet_pton refuses "01": a leading zero would be octal to inet_aton.
    if (i - start > 1 && text[start] === '0') {
      return fail('ipv4', `bad IPv4 address "${text}": leading zero`, start);
    }
    value = value * 256 + octet;
  }
  if (i !== text.length) {
    return fail('ipv4', `bad IPv4 address "${text}": trailing characters`, i);
  }
  return ok(value);
}

/** `port`, or `a.b.c.d.port` as tcpdump -n joins an address and a port. */
export function formatEndpoint(addr: Ipv4Address | undefined, port: number): string {
  return addr === undefined ? `${port}` : `${formatIpv4Address(addr)}.${port}`;
}

/** Lower-case, colon-separated, two digits per octet, as tcpdump -e prints it. */
export function formatMacAddress(mac: MacAddress): string {
  const hi = Math.floor(mac / TWO_32);
  const lo = mac >>> 0;
  return (
    `${hex(hi >>> 8, 2)}:${hex(hi & 255, 2)}:` +
    `${hex(lo >>> 24, 2)}:${hex((lo >>> 16) & 255, 2)}:${hex((lo >>> 8) & 255, 2)}:${hex(lo & 255, 2)}`
  );
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses `02:00:00:00:00:21` as glibc ether_aton does: six groups of one or two
 * hex digits (either case) separated by colons, nothing after.
 */
export function parseMacAddress(text: string): Parsed<MacAddress> {
  let value = 0;
  let i = 0;
  for (let group = 0; group < 6; group++) {
    if (group > 0) {
      if (text[i] !== ':') return fail('ethernet', `bad MAC address "${text}": expected ":"`, i);
      i++;
    }
    const d1 = hexDigit(text.charCodeAt(i));
    if (d1 < 0) return fail('ethernet', `bad MAC address "${text}": expected a hex digit`, i);
    i++;
    let octet = d1;
    const d2 = hexDigit(text.charCodeAt(i));
    if (d2 >= 0) {
      octet = octet * 16 + d2;
      i++;
    }
    value = value * 256 + octet;
  }
  if (i !== text.length) {
    return fail('ethernet', `bad MAC address "${text}": trailing characters`, i);
  }
  return ok(value);
}

/** The 4-byte address at `o`. */
export function readIpv4Address(b: Uint8Array, o: number): Ipv4Address {
  return get32(b, o);
}

export function writeIpv4Address(b: Uint8Array, o: number, addr: Ipv4Address): void {
  put32(b, o, addr);
}

/** The 6-byte address at `o`. */
export function readMacAddress(b: Uint8Array, o: number): MacAddress {
  return get16(b, o) * TWO_32 + get32(b, o + 2);
}

export function writeMacAddress(b: Uint8Array, o: number, mac: MacAddress): void {
  put16(b, o, Math.floor(mac / TWO_32));
  put32(b, o + 2, mac >>> 0);
}

/** 224.0.0.0/4 (RFC 5771). */
export function isIpv4Multicast(addr: Ipv4Address): boolean {
  return addr >>> 28 === 0xe;
}

/** The group bit, the least significant bit of the first octet (IEEE 802-2014 8.2.2). */
export function isMacMulticast(mac: MacAddress): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}
