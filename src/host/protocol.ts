/**
 * What the host hands to the transport protocols above it, and what it takes
 * from them: Linux's `struct net_protocol` (a handler and an error handler per IP
 * protocol number, net/ipv4/protocol.c), the parts of an `sk_buff` a handler
 * needs, the ICMP error report, and the results of sending.
 */

import type { Time } from '../sim/time.js';
import type { Ipv4Address } from '../wire/address.js';
import type { IcmpMessage, IcmpQuote } from '../wire/icmp.js';
import type { ReceivedIpv4Packet } from '../wire/ipv4.js';
import type { HostDropReason } from './counters.js';
import type { NetInterface } from './interface.js';

/**
 * Where a frame was going, as the NIC saw it (skb->pkt_type, the PACKET_* of
 * include/uapi/linux/if_packet.h): to this host's MAC, to broadcast, to a
 * multicast group, to another host (promiscuous mode only), or sent by this host.
 */
export type PacketType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing';

/** A datagram delivered to this host, with what the IP layer learned about it. */
export interface InboundPacket {
  /** The IPv4 datagram, header included, cut to its Total Length. */
  readonly datagram: Uint8Array;
  readonly ip: ReceivedIpv4Packet;
  /** The interface it came in on (lo for the host's own traffic). */
  readonly iface: NetInterface;
  readonly pktType: PacketType;
  /** The route input found: addressed to one of our addresses, or a broadcast. */
  readonly delivery: 'local' | 'broadcast';
  /**
   * Where `datagram` lies, when IP read it in place: `frame[at, at + length)`. A
   * transport may parse its header there rather than from `ip.payload` (a view
   * made on demand).
   */
  readonly frame?: Uint8Array;
  readonly at?: number;
  readonly length?: number;
}

/**
 * A datagram the IP layer hands to a protocol's handler: an InboundPacket read
 * in place in its frame, `frame[at, at + length)`, with the header fields IP
 * read itself. `ip` (the decoded header) and `datagram` are made when first
 * asked for: TCP parses its segment at `at + headerLength` and needs neither.
 */
export interface InboundDatagram extends InboundPacket {
  readonly frame: Uint8Array;
  readonly at: number;
  readonly length: number;
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly protocol: number;
  /** IHL × 4: the transport's bytes are `frame[at + headerLength, at + length)`. */
  readonly headerLength: number;
}

/** An ICMP error about a datagram this host sent, for the protocol that sent it. */
export interface IcmpErrorReport {
  /** ICMP type: 3 destination unreachable, 11 time exceeded, 12 parameter problem, 4 source quench. */
  readonly type: number;
  readonly code: number;
  /**
   * What icmp_unreach passes as `info`: the next-hop MTU of a "fragmentation
   * needed", the pointer of a parameter problem, else 0.
   */
  readonly info: number;
  /**
   * The errno Linux maps a destination unreachable to (net/ipv4/icmp.c
   * icmp_err_convert: port → ECONNREFUSED, host → EHOSTUNREACH, net →
   * ENETUNREACH, protocol → ENOPROTOOPT, …); undefined for the other types,
   * which each protocol maps itself.
   */
  readonly errno: Errno | undefined;
  /** icmp_err_convert's `fatal`: a hard error (port, protocol unreachable) or a soft one. */
  readonly fatal: boolean;
  /** Who sent the error (a router on the path, the destination, or this host). */
  readonly from: Ipv4Address;
  readonly message: IcmpMessage;
  readonly iface: NetInterface;
}

/**
 * A transport protocol registered with `host.registerProtocol(number, handler)`
 * (Linux: inet_add_protocol). TCP registers itself the same way UDP and ICMP do.
 */
export interface ProtocolHandler {
  /** A datagram for this protocol, addressed to this host (net_protocol.handler, given the skb). */
  receive(now: Time, skb: InboundDatagram): void;
  /**
   * An ICMP error quoting a datagram of this protocol (net_protocol.err_handler):
   * `quoted` holds the quoted IP header, the ports and the TCP sequence number.
   */
  error?(now: Time, icmpError: IcmpErrorReport, quoted: IcmpQuote): void;
}

/** A Linux errno name, as Node's `code` (`ENETUNREACH`, `EHOSTUNREACH`, `EMSGSIZE`, …). */
export type Errno =
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'EACCES'
  | 'EINVAL'
  | 'EMSGSIZE'
  | 'EPERM'
  | 'ENOBUFS'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EAFNOSUPPORT'
  | 'EDESTADDRREQ'
  | 'ENOTCONN'
  | 'ECONNREFUSED'
  | 'ENETDOWN'
  | 'ENOPROTOOPT'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EOPNOTSUPP';

/** The result of handing a datagram to the IP layer. */
export type SendResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly errno: Errno; readonly reason: HostDropReason };

/** The netfilter hooks (include/uapi/linux/netfilter.h NF_INET_*), where a firewall sits. */
export type NetfilterHook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export type HookVerdict = 'ACCEPT' | 'DROP';

/** What a hook sees: the datagram, decoded, and the interfaces it moves between. */
export interface HookPacket {
  readonly hook: NetfilterHook;
  readonly datagram: Uint8Array;
  readonly ip: ReceivedIpv4Packet;
  /** PREROUTING, INPUT, FORWARD. */
  readonly inIface: NetInterface | undefined;
  /** FORWARD, OUTPUT, POSTROUTING. */
  readonly outIface: NetInterface | undefined;
}

/**
 * A hook function. It may send (a REJECT answers with an ICMP error or a RST
 * through the host) and then return DROP; it must not change the datagram.
 */
export type HookFunction = (now: Time, pkt: HookPacket) => HookVerdict;
