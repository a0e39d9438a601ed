/**
 * A minimal UDP (RFC 768) as Linux's net/ipv4/udp.c runs it, enough to drive
 * ICMP and the protocol demultiplexer end to end: bind a port (or let the host
 * pick one), connect, send, receive, and the errors Linux reports.
 *
 * - A datagram for a port nobody bound is answered with ICMP port unreachable
 *   (UdpNoPorts, NO_SOCKET), unless it was a broadcast (UdpIgnoredMulti).
 * - Short datagrams and bad checksums are dropped (UdpInErrors,
 *   UdpInCsumErrors); a full receive buffer drops (UdpRcvbufErrors).
 * - An ICMP error reaches a connected socket as a pending error (sk_err:
 *   ECONNREFUSED for a port unreachable); an unconnected one ignores it, as Linux
 *   does without IP_RECVERR.
 * - Sending: DF by path MTU discovery; a connected socket numbers its
 *   datagrams from a random start, an unconnected one sends id 0 with DF
 *   (ipid.ts).
 *
 * DEVIATION(linux): the checksum is verified on arrival, not when the
 * application reads; a datagram larger than the path MTU is refused with
 * EMSGSIZE instead of being fragmented; a free ephemeral port is searched from
 * a random start upwards instead of udp_lib_get_port's hash-chain walk.
 */

import type { Random } from '../sim/random.js';
import type { Time } from '../sim/time.js';
import type { Ipv4Address } from '../wire/address.js';
import type { IcmpQuote } from '../wire/icmp.js';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH } from '../wire/icmp.js';
import { IPPROTO_UDP } from '../wire/ipv4.js';
import { buildUdp, parseUdp, UDP_HEADER_LEN, UdpView } from '../wire/udp.js';
import type { Host } from './host.js';
import type { NetInterface } from './interface.js';
import { SocketIpId } from './ipid.js';
import { skbTruesize } from './neighbour.js';
import type {
  Errno,
  IcmpErrorReport,
  InboundDatagram,
  InboundPacket,
  ProtocolHandler,
  SendResult,
} from './protocol.js';

/** A datagram a socket received. */
export interface UdpMessage {
  readonly time: Time;
  readonly from: Ipv4Address;
  readonly fromPort: number;
  /** The address it was sent to (ours, or a broadcast address). */
  readonly to: Ipv4Address;
  readonly payload: Uint8Array;
}

export type UdpResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errno: Errno };

/** A UDP socket (SOCK_DGRAM). */
export class UdpSocket {
  readonly #udp: Udp;
  localAddress: Ipv4Address;
  localPort: number;
  remoteAddress: Ipv4Address | undefined;
  remotePort: number | undefined;
  /** Received datagrams not yet read. */
  readonly queue: UdpMessage[] = [];
  #queueBytes = 0;
  /** The pending error (SO_ERROR), set by an ICMP error on a connected socket. */
  error: Errno | undefined;
  /** Called for each datagram as it arrives (after it is queued). */
  onMessage: ((msg: UdpMessage) => void) | undefined;
  /** Called when an error becomes pending. */
  onError: ((errno: Errno, report: IcmpErrorReport) => void) | undefined;
  closed = false;
  ipId: SocketIpId | undefined;

  constructor(udp: Udp, address: Ipv4Address, port: number) {
    this.#udp = udp;
    this.localAddress = address;
    this.localPort = port;
  }

  /** Reads the oldest datagram (recvmsg), or undefined if none waits. */
  recv(): UdpMessage | undefined {
    const m = this.queue.shift();
    if (m !== undefined) this.#queueBytes -= skbTruesize(m.payload.length + UDP_HEADER_LEN);
    return m;
  }

  /** Bytes of receive buffer in use, as sk_rmem_alloc counts them. */
  get rmemAlloc(): number {
    return this.#queueBytes;
  }

  /** @internal */
  enqueue(m: UdpMessage, rcvbuf: number): boolean {
    const size = skbTruesize(m.payload.length + UDP_HEADER_LEN);
    if (this.#queueBytes + size > rcvbuf) return false;
    this.queue.push(m);
    this.#queueBytes += size;
    return true;
  }

  /** connect(): fixes the peer; the socket then gets its own IP id counter. */
  connect(address: Ipv4Address, port: number): UdpResult<void> {
    return this.#udp.connect(this, address, port);
  }

  /** send() on a connected socket. */
  send(payload: Uint8Array): SendResult {
    if (this.remoteAddress === undefined || this.remotePort === undefined) {
      return { ok: false, errno: 'EDESTADDRREQ', reason: 'NOT_SPECIFIED' };
    }
    return this.#udp.sendFrom(this, this.remoteAddress, this.remotePort, payload);
  }

  /** sendto(). */
  sendTo(address: Ipv4Address, port: number, payload: Uint8Array): SendResult {
    return this.#udp.sendFrom(this, address, port, payload);
  }

  close(): void {
    this.#udp.close(this);
  }
}

export class Udp implements ProtocolHandler {
  readonly #host: Host;
  readonly #sockets: UdpSocket[] = [];
  readonly #portRandom: Random;
  readonly #idRandom: Random;

  constructor(host: Host) {
    this.#host = host;
    this.#portRandom = host.random.stream('udp/port');
    this.#idRandom = host.random.stream('udp/ip-id');
  }

  get sockets(): readonly UdpSocket[] {
    return this.#sockets;
  }

  /**
   * socket() + bind(). Port 0 picks an ephemeral port from
   * net.ipv4.ip_local_port_range. A port in use on an overlapping address is
   * EADDRINUSE; an address that is not ours EADDRNOTAVAIL.
   */
  bind(port: number, address: Ipv4Address = 0): UdpResult<UdpSocket> {
    const host = this.#host;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return { ok: false, errno: 'EINVAL' };
    if (address !== 0 && address !== 0xffff_ffff && !host.isLocalAddress(address)) {
      return { ok: false, errno: 'EADDRNOTAVAIL' };
    }
    let p = port;
    if (p === 0) {
      const found = this.#ephemeral(address);
      if (found === undefined) return { ok: false, errno: 'EADDRINUSE' };
      p = found;
    } else if (this.#inUse(p, address)) return { ok: false, errno: 'EADDRINUSE' };
    const s = new UdpSocket(this, address, p);
    this.#sockets.push(s);
    return { ok: true, value: s };
  }

  #inUse(port: number, address: Ipv4Address): boolean {
    return this.#sockets.some(
      (s) =>
        s.localPort === port &&
        (s.localAddress === 0 || address === 0 || s.localAddress === address),
    );
  }

  #ephemeral(address: Ipv4Address): number | undefined {
    const [low, high] = this.#host.sysctl.ints('net.ipv4.ip_local_port_range') as [number, number];
    const remaining = high - low + 1;
    // reciprocal_scale(get_random_u32(), remaining) + low: a random start.
    const first = low + Math.floor((this.#portRandom.uint32() * remaining) / 0x1_0000_0000);
    for (let i = 0; i < remaining; i++) {
      const p = low + ((first - low + i) % remaining);
      if (!this.#inUse(p, address)) return p;
    }
    return undefined;
  }

  /** @internal ip4_datagram_connect. */
  connect(s: UdpSocket, address: Ipv4Address, port: number): UdpResult<void> {
    const r = this.#host.ip.routeOutput(
      address,
      s.localAddress !== 0 ? { src: s.localAddress } : {},
    );
    if (!r.ok) {
      if (r.errno === 'ENETUNREACH') this.#host.counters.count('IpOutNoRoutes');
      return { ok: false, errno: r.errno };
    }
    if (s.localAddress === 0) s.localAddress = r.src;
    s.remoteAddress = address;
    s.remotePort = port;
    // __ip4_datagram_connect: "inet->inet_id = get_random_u16()".
    s.ipId = new SocketIpId(this.#idRandom);
    return { ok: true, value: undefined };
  }

  /** @internal udp_sendmsg. */
  sendFrom(s: UdpSocket, dst: Ipv4Address, dstPort: number, payload: Uint8Array): SendResult {
    const host = this.#host;
    if (s.closed) return { ok: false, errno: 'EINVAL', reason: 'NOT_SPECIFIED' };
    if (s.error !== undefined) {
      // sock_error: a pending error is reported (and cleared) by the next call.
      const errno = s.error;
      s.error = undefined;
      return { ok: false, errno, reason: 'NOT_SPECIFIED' };
    }
    if (UDP_HEADER_LEN + payload.length > 0xffff - 20) {
      return { ok: false, errno: 'EMSGSIZE', reason: 'PKT_TOO_BIG' };
    }
    const r = host.ip.routeOutput(
      dst,
      s.localAddress !== 0 && s.localAddress !== 0xffff_ffff ? { src: s.localAddress } : {},
    );
    if (!r.ok) {
      if (r.errno === 'ENETUNREACH') {
        host.counters.count('IpOutNoRoutes');
        host.drop('IP_OUTNOROUTES', 'udp_sendmsg', undefined, payload);
        return { ok: false, errno: r.errno, reason: 'IP_OUTNOROUTES' };
      }
      return { ok: false, errno: r.errno, reason: 'NOT_SPECIFIED' };
    }
    if (r.type === 'broadcast' || dst === 0xffff_ffff) {
      // udp_sendmsg: "if (rt->rt_flags & RTCF_BROADCAST && !sock_flag(sk, SOCK_BROADCAST)) goto out; (-EACCES)".
      return { ok: false, errno: 'EACCES', reason: 'NOT_SPECIFIED' };
    }
    if (20 + UDP_HEADER_LEN + payload.length > r.mtu) {
      return { ok: false, errno: 'EMSGSIZE', reason: 'PKT_TOO_BIG' };
    }
    const datagram = buildUdp(
      { srcPort: s.localPort, dstPort, payload },
      { src: r.src, dst, protocol: IPPROTO_UDP, length: UDP_HEADER_LEN + payload.length },
    );
    const connected = s.remoteAddress !== undefined && s.ipId !== undefined;
    const result = host.ip.output({
      dst,
      src: r.src,
      protocol: IPPROTO_UDP,
      payload: datagram,
      ...(connected ? { id: s.ipId!.nextDatagram() } : {}),
    });
    if (result.ok) host.counters.count('UdpOutDatagrams');
    return result;
  }

  /** @internal */
  close(s: UdpSocket): void {
    s.closed = true;
    const i = this.#sockets.indexOf(s);
    if (i >= 0) this.#sockets.splice(i, 1);
  }

  /** __udp4_lib_rcv. */
  receive(now: Time, skb: InboundDatagram): void {
    const { ip, iface } = skb;
    const host = this.#host;
    const c = host.counters;
    const bytes = ip.payload;
    const inError = (reason: 'PKT_TOO_SMALL' | 'UDP_CSUM'): void => {
      if (reason === 'UDP_CSUM') c.count('UdpInCsumErrors');
      c.count('UdpInErrors');
      host.drop(reason, '__udp4_lib_rcv', iface, skb.datagram);
    };
    // "No space for header", then "if (ulen > skb->len) goto short_packet", and a
    // length below the header is as short.
    const v = new UdpView(bytes);
    if (v.check() !== undefined) {
      inError('PKT_TOO_SMALL');
      return;
    }
    const d = parseUdp(bytes, {
      src: ip.src,
      dst: ip.dst,
      protocol: IPPROTO_UDP,
      length: v.length,
    });
    if (!d.ok) {
      inError('PKT_TOO_SMALL');
      return;
    }
    // RFC 1122 4.1.3.4: a datagram with a bad checksum MUST be discarded silently.
    if (!d.value.checksumOk) {
      inError('UDP_CSUM');
      return;
    }
    const { srcPort, dstPort, payload } = d.value;
    const msg: UdpMessage = {
      time: now,
      from: ip.src,
      fromPort: srcPort,
      to: ip.dst,
      payload: payload.slice(),
    };
    if (skb.delivery === 'broadcast') {
      // __udp4_lib_mcast_deliver: every socket bound to the port gets a copy.
      const targets = this.#sockets.filter(
        (s) =>
          s.localPort === dstPort &&
          (s.localAddress === 0 || s.localAddress === ip.dst) &&
          s.remoteAddress === undefined,
      );
      if (targets.length === 0) {
        c.count('UdpIgnoredMulti');
        return;
      }
      for (const s of targets) this.#deliver(s, msg, skb, iface);
      return;
    }
    const s = this.#lookup(ip.src, srcPort, ip.dst, dstPort);
    if (s === undefined) {
      c.count('UdpNoPorts');
      host.icmpSend(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
      host.drop('NO_SOCKET', '__udp4_lib_rcv', iface, skb.datagram);
      return;
    }
    this.#deliver(s, msg, skb, iface);
  }

  #deliver(s: UdpSocket, msg: UdpMessage, skb: InboundPacket, iface: NetInterface): void {
    const host = this.#host;
    if (!s.enqueue(msg, host.sysctl.int('net.core.rmem_default'))) {
      host.counters.count('UdpRcvbufErrors');
      host.counters.count('UdpInErrors');
      host.drop('SOCKET_RCVBUFF', '__udp_queue_rcv_skb', iface, skb.datagram);
      return;
    }
    host.counters.count('UdpInDatagrams');
    s.onMessage?.(msg);
  }

  /** __udp4_lib_lookup: the best match, a connected socket scoring above a bound one. */
  #lookup(
    saddr: Ipv4Address,
    sport: number,
    daddr: Ipv4Address,
    dport: number,
  ): UdpSocket | undefined {
    let best: UdpSocket | undefined;
    let bestScore = -1;
    for (const s of this.#sockets) {
      if (s.localPort !== dport) continue;
      let score = 0;
      if (s.localAddress !== 0) {
        if (s.localAddress !== daddr) continue;
        score += 4;
      }
      if (s.remoteAddress !== undefined) {
        if (s.remoteAddress !== saddr || s.remotePort !== sport) continue;
        score += 4;
      }
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * udp_err: the socket that sent the quoted datagram; a connected one takes a
   * hard error (port or protocol unreachable) as pending, others ignore it.
   */
  error(_now: Time, report: IcmpErrorReport, quoted: IcmpQuote): void {
    const s = this.#lookup(quoted.ip.dst, quoted.dstPort, quoted.ip.src, quoted.srcPort);
    if (s === undefined || s.remoteAddress === undefined) return;
    if (!report.fatal || report.errno === undefined) return;
    s.error = report.errno;
    s.onError?.(s.error, report);
  }
}
