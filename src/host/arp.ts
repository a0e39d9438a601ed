/**
 * ARP for IPv4 over Ethernet as Linux's net/ipv4/arp.c does it: answering
 * requests for the host's addresses, learning from them, taking replies, and
 * asking (arp_solicit) for the neighbour cache (neighbour.ts). With stock
 * settings (arp_ignore 0, arp_announce 0, arp_accept 0, arp_filter 0):
 *
 * - a request for any of the host's addresses, on any interface, is answered,
 *   and the sender gets a STALE entry (neigh_event_ns);
 * - other packets only update entries that already exist: a reply addressed to
 *   us makes the entry REACHABLE, a request or a broadcast reply makes it STALE;
 *   unsolicited ARP never creates an entry;
 * - a request carries the source address of the packet waiting for the answer,
 *   if it is ours, else the device's address on the target's subnet.
 *
 * Frames are not padded to 60 bytes: the reference traces (veth) hold 42-byte
 * ARP frames, and tcplab's are byte for byte the same.
 */

import { jiffies } from '../sim/jiffies.js';
import type { Time } from '../sim/time.js';
import {
  type Ipv4Address,
  isIpv4Multicast,
  MAC_BROADCAST,
  MAC_ZERO,
  type MacAddress,
} from '../wire/address.js';
import { ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST, ArpView, buildArp } from '../wire/arp.js';
import { buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { IPV4_HEADER_LEN } from '../wire/ipv4.js';
import type { Host } from './host.js';
import { isLoopbackAddress, isZeronet, type NetInterface } from './interface.js';
import type { Neighbour, NeighbourPacket } from './neighbour.js';
import type { PacketType } from './protocol.js';

/** Hardware type, protocol type, lengths, operation, and two address pairs of 6 + 4 bytes. */
const ARP_ETHER_LEN = 28;

export class Arp {
  readonly #host: Host;

  constructor(host: Host) {
    this.#host = host;
  }

  /** arp_rcv and arp_process: an ARP packet received on `iface`. */
  rcv(
    now: Time,
    iface: NetInterface,
    payload: Uint8Array,
    pktType: PacketType,
    frame: Uint8Array,
  ): void {
    const host = this.#host;
    // "do not tweak dropwatch on an ARP we will ignore": consumed, not dropped.
    if (iface.kind === 'loopback' || pktType === 'otherhost') return;
    if (payload.length < ARP_ETHER_LEN) {
      host.drop('PKT_TOO_SMALL', 'arp_rcv', iface, frame);
      return;
    }
    const v = new ArpView(payload);
    if (v.hardwareLength !== 6 || v.protocolLength !== 4) {
      host.drop('NOT_SPECIFIED', 'arp_rcv', iface, frame);
      return;
    }
    // arp_process: only Ethernet/IPv4, only requests and replies.
    if (v.protocolType !== ETHERTYPE_IPV4 || v.hardwareType !== ARPHRD_ETHER) {
      host.drop('NOT_SPECIFIED', 'arp_process', iface, frame);
      return;
    }
    const op = v.operation;
    if (op !== ARPOP_REQUEST && op !== ARPOP_REPLY) {
      host.drop('NOT_SPECIFIED', 'arp_process', iface, frame);
      return;
    }
    const sha = v.senderMac;
    const sip = v.senderIp;
    const tha = v.targetMac;
    const tip = v.targetIp;
    // "Check for bad requests for 127.x.x.x and requests for multicast addresses."
    if (isIpv4Multicast(tip) || isLoopbackAddress(tip)) {
      host.drop('NOT_SPECIFIED', 'arp_process', iface, frame);
      return;
    }
    // RFC 2131 duplicate address detection: a probe from 0.0.0.0 for our address.
    if (sip === 0) {
      if (op === ARPOP_REQUEST && host.isLocalAddress(tip)) {
        this.send(iface, ARPOP_REPLY, sha, iface.mac, tip, sha, sip);
      }
      return;
    }
    if (op === ARPOP_REQUEST && this.#routeInputLocal(sip, tip)) {
      // arp_ignore 0: any local address, on any interface, is answered.
      host.neigh.eventNs(now, iface, sip, sha);
      this.send(iface, ARPOP_REPLY, sha, iface.mac, tip, sha, sip);
      return;
    }
    // "Update our ARP tables": only an existing entry (arp_accept 0).
    const n = host.neigh.lookup(iface, sip);
    if (n === undefined) return;
    const isGarp =
      sip === tip &&
      (op !== ARPOP_REPLY || tha === sha) &&
      host.addressType(iface, sip) === 'unicast';
    // "If several different ARP replies follows back-to-back, use the FIRST one."
    const locktime = host.neigh.parms(iface).data.locktime;
    const override = jiffies(now) > n.updated + locktime || isGarp;
    // "Broadcast replies and request packets do not assert neighbour reachability."
    const state = op !== ARPOP_REPLY || pktType !== 'host' ? 'STALE' : 'REACHABLE';
    host.neigh.update(now, n, sha, state, { override });
  }

  /**
   * ip_route_input_noref(skb, tip, sip) == 0 with RTN_LOCAL: the target is one of
   * our addresses and the sender a plausible unicast source (the martian checks
   * of ip_route_input_slow, and fib_validate_source's "not our own address").
   */
  #routeInputLocal(sip: Ipv4Address, tip: Ipv4Address): boolean {
    const host = this.#host;
    if (isIpv4Multicast(sip) || sip === 0xffff_ffff || isZeronet(sip) || isLoopbackAddress(sip)) {
      return false;
    }
    if (isZeronet(tip) || !host.isLocalAddress(tip)) return false;
    return !host.isLocalAddress(sip);
  }

  /**
   * arp_solicit: "who has n.key?" Broadcast while resolving; unicast to the known
   * address for the first `ucast_solicit` probes of a PROBE round.
   */
  solicit(_now: Time, n: Neighbour, last: NeighbourPacket | undefined): void {
    const host = this.#host;
    const dev = n.dev;
    let saddr = 0;
    // arp_announce 0: "By default announce any local IP" — the waiting packet's source.
    if (last !== undefined && last.datagram.length >= IPV4_HEADER_LEN) {
      const src =
        ((last.datagram[12]! << 24) |
          (last.datagram[13]! << 16) |
          (last.datagram[14]! << 8) |
          last.datagram[15]!) >>>
        0;
      if (host.isLocalAddress(src)) saddr = src;
    }
    if (saddr === 0) saddr = host.selectAddress(dev, n.key);
    const parms = host.neigh.parms(dev).data;
    let dstHw: MacAddress = MAC_BROADCAST;
    const probes = n.probes - parms.ucast_solicit;
    if (probes < 0) dstHw = n.ha;
    else if (probes - parms.app_solicit < 0) return; // neigh_app_ns: a user-space daemon's job
    this.send(dev, ARPOP_REQUEST, dstHw, dev.mac, saddr, MAC_ZERO, n.key);
  }

  /** arp_send_dst / arp_create: an ARP packet in an Ethernet frame, out of `dev`. */
  send(
    dev: NetInterface,
    operation: number,
    ethDst: MacAddress,
    senderMac: MacAddress,
    senderIp: Ipv4Address,
    targetMac: MacAddress,
    targetIp: Ipv4Address,
  ): void {
    const payload = buildArp({ operation, senderMac, senderIp, targetMac, targetIp });
    this.#host.devXmit(
      dev,
      buildEthernet({ dst: ethDst, src: dev.mac, ethertype: ETHERTYPE_ARP, payload }),
    );
  }
}
