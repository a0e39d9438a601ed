/**
 * Raw IPv4 for packet crafters (hping3): what a program gets from
 * `socket(AF_INET, SOCK_RAW, IPPROTO_RAW)` with IP_HDRINCL to send, and from
 * libpcap on the routed interface to receive.
 *
 * Sending: the whole datagram, source address included, is handed to
 * `Host.sendRawIp` (raw_send_hdrinc): routed by its destination, its source
 * not checked (any address may be spoofed), the total length and header
 * checksum filled in, a zero id chosen by the kernel unless DF is set. It
 * never goes through the host's TCP: a SYN sent this way creates no socket,
 * so the host's kernel answers the SYN-ACK that comes back with RST, as
 * Linux does to hping3's SYNs.
 *
 * Receiving: every IPv4 datagram of one protocol that comes *in* on the
 * host's interfaces, seen by a tap as a packet socket sees it
 * (__netif_receive_skb_core), before the host's own stack handles it. Replies
 * addressed to a spoofed source are not for this host and never arrive.
 */

import type { Time } from '../sim/time.js';
import type { Ipv4Address } from '../wire/address.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4, IPPROTO_TCP, parseIpv4, type ReceivedIpv4Packet } from '../wire/ipv4.js';
import { seq } from '../wire/seq.js';
import { buildTcp, type TcpFlags, type TcpSegment, tcpPseudoHeader } from '../wire/tcp.js';
import type { Host } from './host.js';
import type { SendResult } from './protocol.js';
import { Pending } from './socket.js';

/** A datagram a raw socket received. */
export interface RawPacket {
  readonly time: Time;
  /** The interface it came in on. */
  readonly ifname: string;
  readonly ip: ReceivedIpv4Packet;
}

/** Raw IPv4 for one protocol on one host (see the file's comment). */
export class RawIpSocket {
  readonly host: Host;
  readonly protocol: number;
  readonly #queue: RawPacket[] = [];
  #waiting: Pending<RawPacket> | undefined;
  readonly #removeTap: () => void;
  #closed = false;

  constructor(host: Host, protocol: number) {
    this.host = host;
    this.protocol = protocol;
    this.#removeTap = host.addTap((p) => {
      if (this.#closed || p.direction !== 'In') return;
      const f = p.frame;
      if (f.length < ETHERNET_HEADER_LEN + 20) return;
      if (((f[12]! << 8) | f[13]!) !== ETHERTYPE_IPV4) return;
      if (f[ETHERNET_HEADER_LEN + 9] !== protocol) return;
      const ip = parseIpv4(f.subarray(ETHERNET_HEADER_LEN));
      if (!ip.ok) return;
      this.#push({ time: p.time, ifname: p.ifname, ip: ip.value });
    });
  }

  /** Sends a whole datagram (IP_HDRINCL). */
  send(datagram: Uint8Array): SendResult {
    if (this.#closed) return { ok: false, errno: 'EINVAL', reason: 'NOT_SPECIFIED' };
    return this.host.sendRawIp(datagram);
  }

  /** The next datagram: at once if one is queued, else a Pending settled when one comes. */
  recv(): Pending<RawPacket> {
    const p = new Pending<RawPacket>();
    const e = this.#queue.shift();
    if (e !== undefined) p.settle(e);
    else this.#waiting = p;
    return p;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#removeTap();
    this.#queue.length = 0;
  }

  #push(e: RawPacket): void {
    const w = this.#waiting;
    if (w !== undefined) {
      this.#waiting = undefined;
      w.settle(e);
    } else {
      this.#queue.push(e);
    }
  }
}

/** What a crafted TCP/IPv4 datagram carries (the rest: no IP or TCP options, no URG). */
export interface RawTcpFields {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly id: number;
  readonly ttl: number;
  readonly dontFragment: boolean;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: TcpFlags;
  readonly window: number;
  readonly payload: Uint8Array;
}

/** A whole TCP/IPv4 datagram with both checksums right, ready for `RawIpSocket.send`. */
export function buildRawTcp(f: RawTcpFields): Uint8Array {
  const seg: TcpSegment = {
    srcPort: f.srcPort & 0xffff,
    dstPort: f.dstPort & 0xffff,
    seq: seq(f.seq >>> 0),
    ack: seq(f.ack >>> 0),
    flags: f.flags,
    window: f.window & 0xffff,
    urgentPointer: 0,
    options: [],
    payload: f.payload,
  };
  const tcp = buildTcp(seg, tcpPseudoHeader(f.src, f.dst, seg));
  return buildIpv4({
    dscp: 0,
    ecn: 0,
    id: f.id & 0xffff,
    dontFragment: f.dontFragment,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: f.ttl,
    protocol: IPPROTO_TCP,
    src: f.src,
    dst: f.dst,
    options: new Uint8Array(0),
    payload: tcp,
  });
}
