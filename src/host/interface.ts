/**
 * Network interfaces: the loopback `lo` and Ethernet NICs attached to a simulated
 * link, with Linux's interface indexes (lo is 1, then 2, 3, … in the order the
 * devices are made, as `ip link` shows them), names, MAC addresses, MTUs, IPv4
 * addresses and the counters `ip -s link` prints. An interface holds state; the
 * host (host.ts) moves the frames.
 */

import type { LinkEndpoint } from '../sim/link.js';
import { type Ipv4Address, ipv4Address, type MacAddress } from '../wire/address.js';
import type { NeighbourTable } from './neighbour.js';

/** Ethernet's MTU (RFC 894; Linux: ETH_DATA_LEN). */
export const ETH_DATA_LEN = 1500;
/** Linux drivers/net/loopback.c: LOOPBACK_MTU = 64 * 1024. */
export const LOOPBACK_MTU = 65536;
/** lo's index: the loopback device is registered first in every namespace (net/core/dev.c). */
export const LOOPBACK_IFINDEX = 1;

// ARPHRD_* (include/uapi/linux/if_arp.h), the device types packet sockets report.
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

/** An IPv4 address on an interface, as `ip addr` lists it. */
export interface InterfaceAddress {
  readonly address: Ipv4Address;
  readonly prefixLength: number;
  /** The subnet's broadcast address (`brd`); none for /31 and /32 (RFC 3021). */
  readonly broadcast: Ipv4Address | undefined;
}

/** The device counters of `ip -s link` (struct rtnl_link_stats64). */
export interface InterfaceStats {
  rxPackets: number;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  /** Frames with an EtherType no protocol handles (rx_nohandler). */
  rxNohandler: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
}

function emptyStats(): InterfaceStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxErrors: 0,
    rxDropped: 0,
    rxNohandler: 0,
    txPackets: 0,
    txBytes: 0,
    txErrors: 0,
    txDropped: 0,
  };
}

/** The netmask of a prefix length: 24 → 255.255.255.0. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0;
}

/** True if `addr` is in `prefix/prefixLength`. */
export function inPrefix(addr: Ipv4Address, prefix: Ipv4Address, prefixLength: number): boolean {
  const mask = prefixMask(prefixLength);
  return (addr & mask) >>> 0 === (prefix & mask) >>> 0;
}

/** 127.0.0.0/8 (RFC 1122 3.2.1.3 (g); Linux: ipv4_is_loopback). */
export function isLoopbackAddress(addr: Ipv4Address): boolean {
  return addr >>> 24 === 127;
}

/** 0.0.0.0/8, "this network" (RFC 1122 3.2.1.3 (a); Linux: ipv4_is_zeronet). */
export function isZeronet(addr: Ipv4Address): boolean {
  return addr >>> 24 === 0;
}

/** What every interface has. */
export abstract class NetInterface {
  abstract readonly kind: 'ethernet' | 'loopback';
  /** ARPHRD_ETHER or ARPHRD_LOOPBACK, for packet sockets and `any` captures. */
  abstract readonly arphrd: number;
  readonly index: number;
  readonly name: string;
  readonly mac: MacAddress;
  /** The IP MTU (`ip link` mtu): the largest datagram sent without fragmenting. */
  mtu: number;
  /** IFF_UP: a down interface neither sends nor receives. */
  up = true;
  /**
   * IFF_PROMISC: receive frames addressed to other MACs too (they reach packet
   * sockets, and IP drops them as OTHERHOST). Off: the NIC filters them out.
   */
  promiscuous = false;
  readonly addresses: InterfaceAddress[] = [];
  readonly stats: InterfaceStats = emptyStats();

  constructor(index: number, name: string, mac: MacAddress, mtu: number) {
    this.index = index;
    this.name = name;
    this.mac = mac;
    this.mtu = mtu;
  }

  /** The first address, Linux's primary address of the device (`ip addr` order). */
  get primaryAddress(): Ipv4Address | undefined {
    return this.addresses[0]?.address;
  }
}

/** `lo`: 127.0.0.1/8, MTU 65536, no link-layer addresses, no ARP. */
export class LoopbackInterface extends NetInterface {
  readonly kind = 'loopback' as const;
  readonly arphrd = ARPHRD_LOOPBACK;

  constructor() {
    super(LOOPBACK_IFINDEX, 'lo', 0, LOOPBACK_MTU);
  }
}

/** An Ethernet NIC; `endpoint` is its end of a simulated link, once attached. */
export class EthernetInterface extends NetInterface {
  readonly kind = 'ethernet' as const;
  readonly arphrd = ARPHRD_ETHER;
  endpoint: LinkEndpoint | undefined;
  /** The device's ARP cache (its `neigh_parms` and entries). */
  neigh!: NeighbourTable;
}

/** 127.0.0.1 (RFC 1122 3.2.1.3 (g)). */
export const LOCALHOST: Ipv4Address = ipv4Address(127, 0, 0, 1);
