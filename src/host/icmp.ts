/**
 * ICMP as Linux's net/ipv4/icmp.c does it (read icmp_rcv, __icmp_send and
 * icmp_unreach first):
 *
 * - receiving: the checksum, the counters per type (IcmpMsgInType*), echo
 *   requests answered (icmp_echo), timestamp requests answered, errors parsed
 *   and handed to the transport protocol whose datagram they quote (the
 *   protocol's `error` handler, Linux's err_handler), echo replies to whoever
 *   listens for their id (a ping socket);
 * - sending errors (`send`, Linux's icmp_send), with RFC 1122 3.2.2's
 *   restrictions (never about an ICMP error, a broadcast or multicast, or a
 *   fragment other than the first; never to a frame that was link-layer
 *   broadcast) and Linux's two rate limits: a host-wide token bucket
 *   (`icmp_msgs_per_sec`, `icmp_msgs_burst`) and one per destination
 *   (`icmp_ratelimit`, inet_peer_xrlim_allow), both only for the types in
 *   `icmp_ratemask` (destination unreachable but "fragmentation needed", source
 *   quench, time exceeded, parameter problem), and neither on loopback.
 *
 * An error goes out with TOS precedence 0xc0, no DF, TTL 64, quoting as much of
 * the offending datagram as fits in 576 bytes: the reject-icmp reference trace's
 * "tos 0xc0, flags [none], length 88" (wire/icmp.ts icmpErrorPacket builds it).
 */

import { HZ, jiffies } from '../sim/jiffies.js';
import type { Random } from '../sim/random.js';
import type { Time } from '../sim/time.js';
import type { Ipv4Address } from '../wire/address.js';
import { EMPTY_BYTES, get16, get32, put32 } from '../wire/bytes.js';
import { internetChecksum } from '../wire/checksum.js';
import {
  buildIcmp,
  ICMP_ADDRESS,
  ICMP_ADDRESSREPLY,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_EXC_FRAGTIME,
  ICMP_FRAG_NEEDED,
  ICMP_PARAMETERPROB,
  ICMP_REDIRECT,
  ICMP_SOURCE_QUENCH,
  ICMP_TIME_EXCEEDED,
  ICMP_TIMESTAMP,
  ICMP_TIMESTAMPREPLY,
  type IcmpMessage,
  type IcmpQuote,
  icmpErrorForbidden,
  icmpErrorPacket,
  NR_ICMP_TYPES,
  NR_ICMP_UNREACH,
  parseIcmp,
  parseIcmpQuote,
} from '../wire/icmp.js';
import { IPPROTO_ICMP, IPV4_HEADER_LEN, parseIpv4, type ReceivedIpv4Packet } from '../wire/ipv4.js';
import type { Host } from './host.js';
import type { NetInterface } from './interface.js';
import { pingErr } from './ping.js';
import type {
  Errno,
  IcmpErrorReport,
  InboundDatagram,
  InboundPacket,
  PacketType,
  ProtocolHandler,
  SendResult,
} from './protocol.js';

/**
 * net/ipv4/icmp.c icmp_err_convert: the errno of each destination unreachable
 * code, and whether it is fatal ("RFC 1122: 3.2.2.1 States that NET_UNREACH,
 * HOST_UNREACH and SR_FAILED MUST be considered 'transient errs'").
 */
export const ICMP_ERR_CONVERT: readonly (readonly [Errno, boolean])[] = [
  ['ENETUNREACH', false], // ICMP_NET_UNREACH
  ['EHOSTUNREACH', false], // ICMP_HOST_UNREACH
  ['ENOPROTOOPT', true], // ICMP_PROT_UNREACH
  ['ECONNREFUSED', true], // ICMP_PORT_UNREACH
  ['EMSGSIZE', false], // ICMP_FRAG_NEEDED
  ['EOPNOTSUPP', false], // ICMP_SR_FAILED
  ['ENETUNREACH', true], // ICMP_NET_UNKNOWN
  ['EHOSTDOWN', true], // ICMP_HOST_UNKNOWN
  ['ENONET', true], // ICMP_HOST_ISOLATED
  ['ENETUNREACH', true], // ICMP_NET_ANO
  ['EHOSTUNREACH', true], // ICMP_HOST_ANO
  ['ENETUNREACH', false], // ICMP_NET_UNR_TOS
  ['EHOSTUNREACH', false], // ICMP_HOST_UNR_TOS
  ['EHOSTUNREACH', true], // ICMP_PKT_FILTERED
  ['EHOSTUNREACH', true], // ICMP_PREC_VIOLATION
  ['EHOSTUNREACH', true], // ICMP_PREC_CUTOFF
];

/** net/ipv4/inetpeer.c: XRLIM_BURST_FACTOR, the burst of the per-destination bucket. */
const XRLIM_BURST_FACTOR = 6;

/** The types Linux flags as errors in icmp_pointers[] (.error = 1). */
const ERROR_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);

/** What icmp_send needs to know about the datagram it complains about. */
export interface IcmpOffender {
  /** The offending datagram, from its IP header. */
  readonly datagram: Uint8Array;
  /** How its frame arrived: errors answer only frames addressed to this host's MAC. */
  readonly pktType: PacketType;
  /** skb->dev: the interface it came in on (or was going out of, for the host's own). */
  readonly inIface: NetInterface | undefined;
  /** RTCF_LOCAL: it was addressed to one of our addresses (the error then comes from that one). */
  readonly local: boolean;
  /** RTCF_BROADCAST or RTCF_MULTICAST: it was a broadcast (no error about it). */
  readonly broadcast: boolean;
}

/** Linux struct inet_peer's ICMP rate state, per remote address. */
export interface InetPeer {
  /** Jiffies of credit. */
  rateTokens: number;
  /** Jiffies of the last update. */
  rateLast: number;
}

/** Someone waiting for echo replies with an identifier (a ping socket). */
export type EchoListener = (
  now: Time,
  reply: {
    from: Ipv4Address;
    id: number;
    sequence: number;
    data: Uint8Array;
    ip: ReceivedIpv4Packet;
  },
) => void;

export class Icmp implements ProtocolHandler {
  readonly #host: Host;
  readonly #peers = new Map<Ipv4Address, InetPeer>();
  readonly #consume: Random;
  /** net->ipv4.icmp_global_credit and icmp_global_stamp (jiffies). */
  #globalCredit = 0;
  /**
   * A booted kernel's jiffies are far from the bucket's zeroed stamp; starting a
   * second back lets the first error of a lab through, as on a real host.
   */
  #globalStamp = -HZ;
  readonly #echoListeners = new Map<number, EchoListener>();

  constructor(host: Host) {
    this.#host = host;
    this.#consume = host.random.stream('icmp-global');
  }

  /** inet_getpeer_v4: the rate state of `addr`, made on first use. */
  peer(addr: Ipv4Address): InetPeer {
    let p = this.#peers.get(addr);
    if (p === undefined) {
      // inet_getpeer: "60*HZ is arbitrary, but chosen enough high so that the
      // first calculation of tokens is at its maximum."
      p = { rateTokens: 0, rateLast: jiffies(this.#host.events.now) - 60 * HZ };
      this.#peers.set(addr, p);
    }
    return p;
  }

  /** Listens for echo replies with identifier `id` (one listener per id). Returns the remover. */
  listenEcho(id: number, listener: EchoListener): () => void {
    this.#echoListeners.set(id, listener);
    return () => {
      if (this.#echoListeners.get(id) === listener) this.#echoListeners.delete(id);
    };
  }

  /**
   * Sends an echo request as a ping socket would (ping_v4_sendmsg): DF per path
   * MTU discovery and, unconnected, IP id 0, unless `ipId` is given.
   */
  sendEcho(o: {
    readonly dst: Ipv4Address;
    readonly id: number;
    readonly sequence: number;
    readonly data?: Uint8Array;
    readonly src?: Ipv4Address;
    readonly ttl?: number;
    readonly tos?: number;
    readonly ipId?: number;
  }): SendResult {
    const host = this.#host;
    const payload = buildIcmp({
      kind: 'echoRequest',
      id: o.id,
      sequence: o.sequence,
      data: o.data ?? EMPTY_BYTES,
    });
    host.counters.icmpOut(ICMP_ECHO);
    return host.ip.output({
      dst: o.dst,
      protocol: IPPROTO_ICMP,
      payload,
      ...(o.src !== undefined ? { src: o.src } : {}),
      ...(o.ttl !== undefined ? { ttl: o.ttl } : {}),
      ...(o.tos !== undefined ? { tos: o.tos } : {}),
      ...(o.ipId !== undefined ? { id: o.ipId } : {}),
    });
  }

  /**
   * The error handler of IPPROTO_ICMP (icmp_protocol.err_handler, ping_err):
   * an error quoting one of our echo requests goes to its ping socket (ping.ts).
   */
  error(now: Time, report: IcmpErrorReport, quoted: IcmpQuote): void {
    pingErr(this.#host, now, report, quoted);
  }

  /** icmp_rcv. */
  receive(now: Time, skb: InboundDatagram): void {
    const { ip, iface } = skb;
    const host = this.#host;
    const c = host.counters;
    const bytes = ip.payload;
    c.count('IcmpInMsgs');
    // skb_checksum_simple_validate: over the whole message.
    if (internetChecksum(bytes) !== 0) {
      c.count('IcmpInCsumErrors');
      c.count('IcmpInErrors');
      host.drop('ICMP_CSUM', 'icmp_rcv', iface, skb.datagram);
      return;
    }
    const parsed = parseIcmp(bytes);
    if (!parsed.ok) {
      c.count('IcmpInErrors');
      host.drop('NOT_SPECIFIED', 'icmp_rcv', iface, skb.datagram);
      return;
    }
    const type = bytes[0]!;
    c.icmpIn(type);
    // "RFC 1122: 3.2.2 Unknown ICMP messages types MUST be silently discarded."
    if (type > NR_ICMP_TYPES) {
      c.count('IcmpInErrors');
      host.drop('UNHANDLED_PROTO', 'icmp_rcv', iface, skb.datagram);
      return;
    }
    if (skb.delivery === 'broadcast') {
      // RFC 1122 3.2.2.6 and 3.2.2.8: echo and timestamp to a broadcast MAY be
      // ignored (icmp_echo_ignore_broadcasts); errors to one are nonsense.
      const ignoreEcho = host.sysctl.int('net.ipv4.icmp_echo_ignore_broadcasts') !== 0;
      const queries = [ICMP_ECHO, ICMP_TIMESTAMP, ICMP_ADDRESS, ICMP_ADDRESSREPLY];
      if (
        ((type === ICMP_ECHO || type === ICMP_TIMESTAMP) && ignoreEcho) ||
        !queries.includes(type)
      ) {
        c.count('IcmpInErrors');
        host.drop('INVALID_PROTO', 'icmp_rcv', iface, skb.datagram);
        return;
      }
    }
    const msg = parsed.value;
    switch (type) {
      case ICMP_ECHO:
        this.#echo(now, skb, msg);
        return;
      case ICMP_ECHOREPLY:
        this.#pingRcv(now, skb, msg);
        return;
      case ICMP_TIMESTAMP:
        this.#timestamp(now, skb);
        return;
      case ICMP_DEST_UNREACH:
      case ICMP_SOURCE_QUENCH:
      case ICMP_TIME_EXCEEDED:
      case ICMP_PARAMETERPROB:
      case ICMP_REDIRECT:
        this.#unreach(now, skb, msg);
        return;
      default:
        // icmp_discard: "pretend it was a success".
        return;
    }
  }

  /** icmp_echo → icmp_reply: the same identifier, sequence and data back. */
  #echo(now: Time, skb: InboundPacket, msg: IcmpMessage): void {
    const host = this.#host;
    if (host.sysctl.int('net.ipv4.icmp_echo_ignore_all') !== 0) return;
    if (msg.kind !== 'echoRequest') return;
    const payload = buildIcmp({
      kind: 'echoReply',
      code: msg.code ?? 0,
      id: msg.id,
      sequence: msg.sequence,
      data: msg.data,
    });
    this.#reply(now, skb, ICMP_ECHOREPLY, payload);
  }

  /**
   * icmp_timestamp: the originate timestamp back, with receive and transmit times
   * in milliseconds since midnight UT (inet_current_timestamp); virtual time 0 is
   * midnight.
   */
  #timestamp(now: Time, skb: InboundPacket): void {
    const host = this.#host;
    const body = skb.ip.payload;
    if (body.length < 12) {
      // "if (skb->len < 4) goto out_err": four bytes after the 8-byte header.
      host.counters.count('IcmpInErrors');
      host.drop('PKT_TOO_SMALL', 'icmp_timestamp', skb.iface, skb.datagram);
      return;
    }
    const ms = Math.floor(now / 1_000_000) % 86_400_000;
    const rest = new Uint8Array(16);
    rest.set(body.subarray(4, 8), 0); // identifier and sequence
    rest.set(body.subarray(8, 12), 4); // originate
    put32(rest, 8, ms);
    put32(rest, 12, ms);
    const payload = buildIcmp({ kind: 'unknown', type: ICMP_TIMESTAMPREPLY, code: 0, bytes: rest });
    this.#reply(now, skb, ICMP_TIMESTAMPREPLY, payload);
  }

  /**
   * icmp_reply: to the request's source, from the address it was sent to
   * (fib_compute_spec_dst), with its TOS, no DF (the ICMP socket does not do path
   * MTU discovery), and an id from the per-destination generator. Replies are not
   * rate limited: their types are not in icmp_ratemask.
   */
  #reply(now: Time, skb: InboundPacket, type: number, payload: Uint8Array): void {
    const host = this.#host;
    const ip = skb.ip;
    const spec = skb.delivery === 'local' ? ip.dst : host.selectAddress(skb.iface, ip.src);
    const r = host.ip.routeOutput(ip.src, { src: spec });
    if (!r.ok) return;
    host.counters.icmpOut(type);
    host.ip.output({
      dst: ip.src,
      src: r.src,
      protocol: IPPROTO_ICMP,
      payload,
      tos: (ip.dscp << 2) | ip.ecn,
      df: false,
      id: host.ip.idents.reserve(jiffies(now), ip.src, r.src, IPPROTO_ICMP),
    });
  }

  /** ping_rcv: an echo reply for a listening identifier, else NO_SOCKET. */
  #pingRcv(now: Time, skb: InboundPacket, msg: IcmpMessage): void {
    if (msg.kind !== 'echoReply') return;
    const listener = this.#echoListeners.get(msg.id);
    if (listener === undefined) {
      this.#host.drop('NO_SOCKET', 'ping_rcv', skb.iface, skb.datagram);
      return;
    }
    listener(now, {
      from: skb.ip.src,
      id: msg.id,
      sequence: msg.sequence,
      data: msg.data,
      ip: skb.ip,
    });
  }

  /**
   * icmp_unreach (and icmp_redirect): check the quote, then icmp_socket_deliver
   * hands the error to the quoted protocol's error handler.
   */
  #unreach(now: Time, skb: InboundPacket, msg: IcmpMessage): void {
    const host = this.#host;
    const c = host.counters;
    const body = skb.ip.payload;
    const type = body[0]!;
    const code = body[1]!;
    const quote = body.subarray(8);
    // "Incomplete header ? Only checks for the IP header".
    if (quote.length < IPV4_HEADER_LEN) {
      c.count('IcmpInErrors');
      host.drop('NOT_SPECIFIED', 'icmp_unreach', skb.iface, skb.datagram);
      return;
    }
    if ((quote[0]! & 15) < 5) {
      c.count('IcmpInErrors');
      host.drop('IP_INHDR', 'icmp_unreach', skb.iface, skb.datagram);
      return;
    }
    let info = 0;
    if (type === ICMP_DEST_UNREACH) {
      // ip_no_pmtu_disc 0: the next-hop MTU goes up to the transport.
      if ((code & 15) === ICMP_FRAG_NEEDED && host.sysctl.int('net.ipv4.ip_no_pmtu_disc') === 0) {
        info = get16(body, 6);
      }
      if (code > NR_ICMP_UNREACH) return;
    } else if (type === ICMP_PARAMETERPROB) {
      info = get32(body, 4) >>> 24;
    } else if (type === ICMP_TIME_EXCEEDED) {
      if (code === ICMP_EXC_FRAGTIME) return;
    } else if (type === ICMP_REDIRECT) {
      info = get32(body, 4);
    }
    // With icmp_ignore_bogus_error_responses off, an error quoting a datagram to
    // a broadcast address is "an invalid ICMP type … error to a broadcast".
    if (
      host.sysctl.int('net.ipv4.icmp_ignore_bogus_error_responses') === 0 &&
      host.addressType(skb.iface, get32(quote, 16)) === 'broadcast'
    ) {
      return;
    }
    // icmp_socket_deliver: "Checkin full IP header plus 8 bytes of protocol".
    const q = parseIcmpQuote(quote);
    if (!q.ok) {
      c.count('IcmpInErrors');
      return;
    }
    const handler = host.protocol(q.value.ip.protocol);
    if (handler?.error === undefined) return;
    const convert = type === ICMP_DEST_UNREACH ? ICMP_ERR_CONVERT[code] : undefined;
    const report: IcmpErrorReport = {
      type,
      code,
      info,
      errno: convert?.[0],
      fatal: convert?.[1] ?? false,
      from: skb.ip.src,
      message: msg,
      iface: skb.iface,
    };
    handler.error(now, report, q.value);
  }

  /**
   * __icmp_send: an error of `type`/`code` about `o` (info: the next-hop MTU of
   * "fragmentation needed", the pointer of a parameter problem).
   */
  send(o: IcmpOffender, type: number, code: number, info: number): void {
    const host = this.#host;
    // The error quotes the offender's bytes: a pending checksum is finished first (offload.ts).
    host.completePending();
    const c = host.counters;
    const now = host.events.now;
    // "No replies to physical multicast/broadcast".
    if (o.pktType !== 'host') return;
    // "Now check at the protocol level": not about a broadcast or multicast.
    if (o.broadcast) return;
    const parsed = parseIpv4(o.datagram, { allowTruncated: true });
    if (!parsed.ok) return;
    const ip = parsed.value;
    // RFC 1122 3.2.2: only the first fragment, never about an ICMP error (wire
    // icmpErrorForbidden), never about a datagram to a broadcast address.
    if (ERROR_TYPES.has(type) && icmpErrorForbidden(ip) !== undefined) return;
    if (host.addressType(o.inIface ?? host.lo, ip.dst) === 'broadcast') return;
    // icmpv4_global_allow, skipped for packets that came in on lo.
    const masked = this.#ratemasked(type, code);
    let applyRatelimit = false;
    if (!(o.inIface?.kind === 'loopback')) {
      if (masked) {
        if (!this.#globalAllow(now)) {
          c.count('IcmpOutRateLimitGlobal');
          return;
        }
        applyRatelimit = true;
      }
    }
    // "Construct source address": the address it was sent to, if it was ours.
    let saddr = 0;
    if (o.local) saddr = ip.dst;
    else if (
      o.inIface !== undefined &&
      host.sysctl.int('net.ipv4.icmp_errors_use_inbound_ifaddr') !== 0
    ) {
      saddr = host.selectAddress(o.inIface, ip.src);
    }
    const r = host.ip.routeOutput(ip.src, saddr !== 0 ? { src: saddr } : {});
    if (!r.ok) return;
    // icmpv4_xrlim_allow: per destination, not on loopback; then the global
    // credit is spent.
    if (applyRatelimit) {
      if (r.dev.kind !== 'loopback') {
        const timeout = host.sysctl.jiffies('net.ipv4.icmp_ratelimit');
        if (timeout !== 0 && !this.#xrlimAllow(now, this.peer(ip.src), timeout)) {
          c.count('IcmpOutRateLimitHost');
          return;
        }
      }
      this.#globalConsume();
    }
    const pkt = icmpErrorPacket(o.datagram, {
      type,
      code,
      src: r.src,
      id: host.ip.idents.reserve(jiffies(now), ip.src, r.src, IPPROTO_ICMP),
      ttl: host.sysctl.int('net.ipv4.ip_default_ttl'),
      mtu: r.mtu,
      info,
    });
    if (!pkt.ok) return;
    c.icmpOut(type);
    host.ip.output({
      dst: ip.src,
      src: r.src,
      protocol: IPPROTO_ICMP,
      payload: pkt.value.payload,
      tos: (pkt.value.dscp << 2) | pkt.value.ecn,
      df: false,
      id: pkt.value.id,
      ttl: pkt.value.ttl,
    });
  }

  /** icmpv4_mask_allow, inverted: this type is subject to the rate limits. */
  #ratemasked(type: number, code: number): boolean {
    if (type > NR_ICMP_TYPES) return false;
    // "Don't limit PMTU discovery."
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) return false;
    return ((1 << type) & this.#host.sysctl.int('net.ipv4.icmp_ratemask')) !== 0;
  }

  /**
   * icmp_global_allow (Linux 6.12): any credit left allows; otherwise, after at
   * least HZ/50, the bucket is refilled with icmp_msgs_per_sec per second of
   * absence (at most a second's worth), up to icmp_msgs_burst.
   */
  #globalAllow(now: Time): boolean {
    if (this.#globalCredit > 0) return true;
    const j = jiffies(now);
    const delta = Math.min(j - this.#globalStamp, HZ);
    if (delta < HZ / 50) return false;
    const incr = Math.floor((this.#host.sysctl.int('net.ipv4.icmp_msgs_per_sec') * delta) / HZ);
    if (incr === 0) return false;
    this.#globalStamp = j;
    this.#globalCredit = Math.min(
      this.#globalCredit + incr,
      this.#host.sysctl.int('net.ipv4.icmp_msgs_burst'),
    );
    return true;
  }

  /** icmp_global_consume: "We want to use a credit of one in average, but need to randomize it for security reasons." */
  #globalConsume(): void {
    this.#globalCredit -= this.#consume.int(0, 2);
  }

  /** inet_peer_xrlim_allow: a bucket of jiffies, `timeout` per message, burst of six. */
  #xrlimAllow(now: Time, peer: InetPeer, timeout: number): boolean {
    const j = jiffies(now);
    let token = peer.rateTokens;
    const delta = j - peer.rateLast;
    if (delta !== 0) {
      peer.rateLast = j;
      token += delta;
      if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
    }
    let rc = false;
    if (token >= timeout) {
      token -= timeout;
      rc = true;
    }
    peer.rateTokens = token;
    return rc;
  }
}
