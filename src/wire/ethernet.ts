/**
 * Ethernet II frames (IEEE 802.3-2018 3.1.1, with the Type interpretation of the
 * Length/Type field, 3.2.6): destination, source, EtherType, payload. No preamble
 * and no FCS: frames are what a Linux packet socket and a pcap file hold.
 */

import { formatMacAddress, type MacAddress, readMacAddress, writeMacAddress } from './address.js';
import { freshBytes, get16, hex, put16, view } from './bytes.js';
import { assertRoom } from './emit.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';

/** Destination, source, type (Linux: ETH_HLEN in include/uapi/linux/if_ether.h). */
export const ETHERNET_HEADER_LEN = 14;
/**
 * Minimum frame length without FCS (Linux: ETH_ZLEN). Real NICs pad shorter frames
 * with zeros; veth does not, so the reference traces hold 42-byte ARP frames.
 */
export const ETH_ZLEN = 60;

// EtherTypes (IEEE registry; Linux: ETH_P_* in include/uapi/linux/if_ether.h).
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Values below this are an IEEE 802.3 length, not a type (802.3-2018 3.2.6). */
export const ETHERTYPE_MIN = 0x0600;

const F = { dst: 0, src: 6, ethertype: 12, payload: 14 } as const;

/** An Ethernet header in place. After check() succeeds no accessor reads out of bounds. */
export class EthernetView {
  constructor(readonly bytes: Uint8Array) {}

  check(): ParseFailure | undefined {
    const n = this.bytes.length;
    if (n < ETHERNET_HEADER_LEN) return fail('ethernet', `truncated header: ${n} of 14 bytes`, n);
    return undefined;
  }

  get dst(): MacAddress {
    return readMacAddress(this.bytes, F.dst);
  }
  get src(): MacAddress {
    return readMacAddress(this.bytes, F.src);
  }
  get ethertype(): number {
    return get16(this.bytes, F.ethertype);
  }
  /** Everything after the header, Ethernet padding included (the frame cannot tell). */
  get payload(): Uint8Array {
    return view(this.bytes, F.payload);
  }
}

/** An Ethernet II frame. `payload` keeps any trailing padding. */
export interface EthernetFrame {
  readonly dst: MacAddress;
  readonly src: MacAddress;
  readonly ethertype: number;
  readonly payload: Uint8Array;
}

/** Decodes a frame; `payload` is a view into `bytes`, not a copy. */
export function parseEthernet(bytes: Uint8Array): Parsed<EthernetFrame> {
  const v = new EthernetView(bytes);
  const bad = v.check();
  if (bad) return bad;
  return ok({ dst: v.dst, src: v.src, ethertype: v.ethertype, payload: v.payload });
}

export function ethernetHeaderLength(_frame: EthernetFrame): number {
  return ETHERNET_HEADER_LEN;
}

/** Writes header and payload into `out[0, 14 + payload.length)`. */
export function emitEthernet(frame: EthernetFrame, out: Uint8Array): void {
  assertRoom(out, ETHERNET_HEADER_LEN + frame.payload.length, 'emitEthernet');
  writeMacAddress(out, F.dst, frame.dst);
  writeMacAddress(out, F.src, frame.src);
  put16(out, F.ethertype, frame.ethertype);
  out.set(frame.payload, F.payload);
}

/**
 * Writes the 14-byte header alone into `out[0, 14)`, in front of a payload
 * already in place (built with headroom, as an skb is): no copy of the payload.
 */
export function emitEthernetHeader(
  out: Uint8Array,
  dst: MacAddress,
  src: MacAddress,
  ethertype: number,
): void {
  assertRoom(out, ETHERNET_HEADER_LEN, 'emitEthernetHeader');
  writeMacAddress(out, F.dst, dst);
  writeMacAddress(out, F.src, src);
  put16(out, F.ethertype, ethertype);
}

export function buildEthernet(frame: EthernetFrame): Uint8Array {
  const out = freshBytes(ETHERNET_HEADER_LEN + frame.payload.length);
  emitEthernet(frame, out);
  return out;
}

const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  // tcpdump: ethertype_values in ethertype.c, for the types a lab meets.
  [ETHERTYPE_IPV4, 'IPv4'],
  [ETHERTYPE_ARP, 'ARP'],
  [ETHERTYPE_VLAN, '802.1Q'],
  [ETHERTYPE_IPV6, 'IPv6'],
  [0x8035, 'Reverse ARP'],
  [0x88cc, 'LLDP'],
]);

/** `IPv4 (0x0800)`, as tcpdump -e names an EtherType. */
export function formatEthertype(ethertype: number): string {
  return `${ETHERTYPE_NAMES.get(ethertype) ?? 'Unknown'} (0x${hex(ethertype, 4)})`;
}

/**
 * The link-level part of a tcpdump -e line:
 * `02:00:00:00:00:21 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42`.
 */
export function formatEthernet(frame: EthernetFrame): string {
  const length = ETHERNET_HEADER_LEN + frame.payload.length;
  const addrs = `${formatMacAddress(frame.src)} > ${formatMacAddress(frame.dst)}`;
  if (frame.ethertype < ETHERTYPE_MIN) return `${addrs}, 802.3, length ${length}`;
  return `${addrs}, ethertype ${formatEthertype(frame.ethertype)}, length ${length}`;
}
