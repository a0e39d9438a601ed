/**
 * IPv4 input, forwarding and output, as Linux's net/ipv4/ip_input.c,
 * ip_forward.c, ip_output.c and route.c do them. Read ip_rcv_core first: its
 * checks, their order and their counters are followed one by one.
 *
 * Input: ip_rcv (validation, PREROUTING) → route input (local, broadcast,
 * forward, or an error) → ip_local_deliver (INPUT, then the protocol's handler,
 * or ICMP protocol unreachable) or ip_forward (TTL, MTU, FORWARD).
 * Output: route → header (id, TTL, DF) → OUTPUT → POSTROUTING → MTU →
 * neighbour → device.
 *
 * DEVIATION(linux): no fragmentation and no reassembly. A fragment received is
 * dropped (FRAG_REASM_TIMEOUT, IpReasmReqds and IpReasmFails, as if its siblings
 * never came); a datagram too big for the MTU is refused (EMSGSIZE), with ICMP
 * "fragmentation needed" if it has DF, as Linux does. IP options are carried but
 * not interpreted, and ICMP redirects are never sent. A "fragmentation needed"
 * received is passed to the transport but no path MTU is cached on the route.
 * Multicast is not joined: a datagram to a group is dropped. A broadcast the host
 * sends is not looped back to itself (Linux's ip_mc_output delivers a copy
 * locally). Reverse-path filtering (rp_filter) is off, as in the traces' meta.json.
 */

import { HZ, jiffies } from '../sim/jiffies.js';
import type { Time } from '../sim/time.js';
import { type Ipv4Address, isIpv4Multicast } from '../wire/address.js';
import { EMPTY_BYTES, freshBytes, get16, put16, view } from '../wire/bytes.js';
import { internetChecksum, sumWords } from '../wire/checksum.js';
import { checksumVerifies } from '../wire/checksum-report.js';
import {
  buildEthernet,
  ETHERNET_HEADER_LEN,
  ETHERTYPE_IPV4,
  emitEthernetHeader,
} from '../wire/ethernet.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
  ICMP_PROT_UNREACH,
  ICMP_TIME_EXCEEDED,
} from '../wire/icmp.js';
import {
  decodeIpv4InPlace,
  emitIpv4BasicHeader,
  IP_DF,
  IP_MF,
  IP_OFFSET,
  IPV4_HEADER_LEN,
  IPV4_MAX_TOTAL_LEN,
  Ipv4View,
  parseIpv4,
  type ReceivedIpv4Packet,
} from '../wire/ipv4.js';
import type { Host } from './host.js';
import { isLoopbackAddress, isZeronet, type NetInterface } from './interface.js';
import { IpIdents } from './ipid.js';
import { type Neighbour, type NeighbourPacket, skbTruesize } from './neighbour.js';
import type { Errno, InboundDatagram, PacketType, SendResult } from './protocol.js';
import type { Route } from './route.js';

export interface RouteOutputOptions {
  /** A source address the socket is bound to; it must be one of ours. */
  readonly src?: Ipv4Address;
  /** A device the socket is bound to (SO_BINDTODEVICE). */
  readonly oif?: NetInterface;
}

/** Where a datagram to `dst` goes, as ip_route_output_key finds it. */
export interface OutputRoute {
  readonly route: Route;
  /** RTN type: sent to ourselves over lo, to a broadcast address, or unicast. */
  readonly type: 'local' | 'broadcast' | 'unicast';
  readonly dev: NetInterface;
  /** The source address to use (the bound one, or the route's preferred source). */
  readonly src: Ipv4Address;
  /** The address to resolve on the link: the gateway, or the destination itself. */
  readonly nexthop: Ipv4Address;
  /** The path MTU (the device's). */
  readonly mtu: number;
}

export type RouteOutputResult =
  | ({ readonly ok: true } & OutputRoute)
  | { readonly ok: false; readonly errno: Errno };

/** A datagram a transport hands to IP (what ip_queue_xmit and ip_make_skb get). */
export interface IpOutput {
  readonly dst: Ipv4Address;
  /** The source; omitted, the route chooses (a transport with a pseudo-header sets it). */
  readonly src?: Ipv4Address;
  readonly protocol: number;
  /** The transport header and data, checksums computed. */
  readonly payload: Uint8Array;
  /** The whole TOS byte (DSCP and ECN). Default 0. */
  readonly tos?: number;
  /** Default net.ipv4.ip_default_ttl. */
  readonly ttl?: number;
  /** Default: set, as path MTU discovery does (IP_PMTUDISC_WANT, ip_no_pmtu_disc 0). */
  readonly df?: boolean;
  /**
   * The connected socket's id (see ipid.ts SocketIpId). Without one, Linux's rule
   * for unconnected sockets: 0 with DF, else the per-destination generator.
   */
  readonly id?: number;
  readonly oif?: NetInterface;
  /** The sender confirms the next hop is reachable (TCP after forward progress; MSG_CONFIRM). */
  readonly confirmNeighbour?: boolean;
  /**
   * The buffer `payload` was built in, with headroom (as an skb has): `payload`
   * is its view from byte IP_HEADROOM to its end, and IP and the device write their
   * headers in front of it. Without one, IP copies the payload once into such a
   * buffer.
   */
  readonly frame?: Uint8Array | undefined;
}

/**
 * Room for the Ethernet and IPv4 headers before a transport's segment (Linux's
 * MAX_TCP_HEADER reserve): the segment is written once and never copied again.
 */
export const IP_HEADROOM = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN;

/**
 * A datagram received (the skb ip_rcv passes up): `frame[at, at + length)`,
 * checked by ip_rcv_core. What the IP layer itself reads of the header (the
 * addresses, the protocol, the fragment bits) is read once into fields; the
 * decoded header (`ip`) and `datagram`, a view of the bytes, are made the first
 * time they are asked for: TCP reads neither on its way in (it parses its
 * segment in place), and only a hook, a drop, UDP, ICMP or an ICMP error needs
 * them. The IP layer reuses one for datagram after datagram (see
 * IpLayer.#spareSkb): a handler keeps what it needs of it (`ip` and `datagram`
 * are objects of their own), never the skb itself.
 */
class ReceivedDatagram implements InboundDatagram {
  // Set by reuse(), which the constructor calls.
  frame!: Uint8Array;
  at!: number;
  length!: number;
  iface!: NetInterface;
  pktType!: PacketType;
  src!: Ipv4Address;
  dst!: Ipv4Address;
  protocol!: number;
  /** The header's length (IHL × 4): the transport's bytes start at `at` + this. */
  headerLength!: number;
  /** The ones' complement sum of the header, for the decoded header's checksum fields. */
  #headerSum!: number;
  /** Set by the input route before the datagram goes up. */
  delivery: 'local' | 'broadcast' = 'local';
  #ip: ReceivedIpv4Packet | undefined;
  #datagram: Uint8Array | undefined = undefined;

  /**
   * `v` is the header at `frame[at]` (read now only), with addresses `src` and
   * `dst` (read already); `ip` its decoding, if made already.
   */
  constructor(
    frame: Uint8Array,
    at: number,
    length: number,
    v: Ipv4View,
    src: Ipv4Address,
    dst: Ipv4Address,
    headerSum: number,
    iface: NetInterface,
    pktType: PacketType,
    ip: ReceivedIpv4Packet | undefined,
  ) {
    this.reuse(frame, at, length, v, src, dst, headerSum, iface, pktType);
    this.#ip = ip;
  }

  /** Made anew for the next datagram (the constructor's arguments, nothing decoded yet). */
  reuse(
    frame: Uint8Array,
    at: number,
    length: number,
    v: Ipv4View,
    src: Ipv4Address,
    dst: Ipv4Address,
    headerSum: number,
    iface: NetInterface,
    pktType: PacketType,
  ): void {
    this.frame = frame;
    this.at = at;
    this.length = length;
    this.iface = iface;
    this.pktType = pktType;
    this.src = src;
    this.dst = dst;
    this.protocol = v.protocol;
    this.headerLength = v.headerLength;
    this.#headerSum = headerSum;
    this.delivery = 'local';
    this.#ip = undefined;
    this.#datagram = undefined;
  }

  /** Done with: it holds on to nothing of the datagram (its frame may be freed). */
  release(): void {
    this.frame = EMPTY_BYTES;
    this.#ip = undefined;
    this.#datagram = undefined;
  }

  get ip(): ReceivedIpv4Packet {
    this.#ip ??= decodeIpv4InPlace(new Ipv4View(this.frame, this.at), this.#headerSum);
    return this.#ip;
  }

  /** MF set or a fragment offset: a fragment of a larger datagram. */
  get isFragment(): boolean {
    return (get16(this.frame, this.at + 6) & (IP_MF | IP_OFFSET)) !== 0;
  }

  get datagram(): Uint8Array {
    this.#datagram ??= view(this.frame, this.at, this.at + this.length);
    return this.#datagram;
  }
}

/** ip_route_input_slow's verdict on a received datagram. */
type InputRoute =
  | { readonly kind: 'local' | 'broadcast' }
  | { readonly kind: 'forward'; readonly out: OutputRoute }
  | { readonly kind: 'error'; readonly err: 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES' | 'EINVAL' }
  | {
      readonly kind: 'martian';
      readonly reason: 'IP_INVALID_SOURCE' | 'IP_INVALID_DEST' | 'NOT_SPECIFIED';
    };

/** How many output routes IpLayer keeps (see #routeOutputCached). */
const ROUTE_CACHE_ENTRIES = 4;

/** A datagram handed on (one object: results are only read). */
const SENT: SendResult = { ok: true };

/** The input route of a datagram for this host (one object: it is only read). */
const INPUT_LOCAL: InputRoute = { kind: 'local' };
/** The other verdicts that carry nothing of the datagram's, one object each. */
const INPUT_BROADCAST: InputRoute = { kind: 'broadcast' };
const INPUT_EHOSTUNREACH: InputRoute = { kind: 'error', err: 'EHOSTUNREACH' };
const INPUT_ENETUNREACH: InputRoute = { kind: 'error', err: 'ENETUNREACH' };
const INPUT_EACCES: InputRoute = { kind: 'error', err: 'EACCES' };
const INPUT_EINVAL: InputRoute = { kind: 'error', err: 'EINVAL' };
const MARTIAN_SOURCE: InputRoute = { kind: 'martian', reason: 'IP_INVALID_SOURCE' };
const MARTIAN_DEST: InputRoute = { kind: 'martian', reason: 'IP_INVALID_DEST' };
const MARTIAN_OTHER: InputRoute = { kind: 'martian', reason: 'NOT_SPECIFIED' };

/** net/ipv4/route.c: ip_rt_error_cost = HZ (net.ipv4.route.error_cost), in jiffies. */
const IP_RT_ERROR_COST = HZ;
/** net/ipv4/route.c: ip_rt_error_burst = 5 * HZ (net.ipv4.route.error_burst). */
const IP_RT_ERROR_BURST = 5 * HZ;

/** The IP layer of a host. */
export class IpLayer {
  readonly #host: Host;
  readonly idents: IpIdents;

  /** net.ipv4.ip_default_ttl, kept up to date: read for every datagram sent. */
  #defaultTtl: number;
  /** net.ipv4.ip_forward non-zero, kept up to date: read for every datagram not ours. */
  #forwarding: boolean;
  /**
   * The header of the datagram ip_rcv is checking, re-pointed at each one: it is
   * read only before the datagram goes anywhere (decodeIpv4InPlace keeps nothing of it).
   */
  readonly #rcvView = new Ipv4View(EMPTY_BYTES, 0);
  /** The skb ip_rcv hands up next (see ReceivedDatagram); undefined while it is in use. */
  #spareSkb: ReceivedDatagram | undefined = undefined;

  constructor(host: Host) {
    this.#host = host;
    this.idents = new IpIdents(host.random.stream('ip-idents'));
    const ttl = 'net.ipv4.ip_default_ttl';
    this.#defaultTtl = host.sysctl.int(ttl);
    host.sysctl.onChange(ttl, (v) => {
      this.#defaultTtl = v as number;
    });
    const forward = 'net.ipv4.ip_forward';
    this.#forwarding = host.sysctl.int(forward) !== 0;
    host.sysctl.onChange(forward, (v) => {
      this.#forwarding = v !== 0;
    });
  }

  // ---- input ---------------------------------------------------------------

  /**
   * ip_rcv: the IPv4 datagram of a frame received on `iface`, from `frame[at]`
   * on (behind the link-level header). It is read in place: a view of the
   * datagram is made only for whoever keeps or reports it.
   */
  rcv(now: Time, iface: NetInterface, frame: Uint8Array, pktType: PacketType, at = 0): void {
    const host = this.#host;
    const c = host.counters;
    const length = frame.length - at;
    // "When the interface is in promisc. mode, drop all the crap that it
    // receives, do not try to analyse it."
    if (pktType === 'otherhost') {
      host.drop('OTHERHOST', 'ip_rcv_core', iface, view(frame, at));
      return;
    }
    const cv = c.values;
    cv.IpInReceives++;
    cv.IpExtInOctets += length;
    if (length < IPV4_HEADER_LEN) {
      this.#inhdrError(iface, view(frame, at));
      return;
    }
    const v = this.#rcvView;
    v.bytes = frame;
    v.at = at;
    // "if (iph->ihl < 5 || iph->version != 4) goto inhdr_error".
    if (v.ihl < 5 || v.version !== 4) {
      this.#inhdrError(iface, view(frame, at));
      return;
    }
    // ip_rcv_core's __IP_ADD_STATS by ECN codepoint (named increments: a
    // computed key costs a lookup per packet).
    switch (v.ecn) {
      case 0:
        cv.IpExtInNoECTPkts++;
        break;
      case 1:
        cv.IpExtInECT1Pkts++;
        break;
      case 2:
        cv.IpExtInECT0Pkts++;
        break;
      default:
        cv.IpExtInCEPkts++;
    }
    const hl = v.headerLength;
    if (length < hl) {
      this.#inhdrError(iface, view(frame, at));
      return;
    }
    // RFC 1122 3.2.1.2: "MUST silently discard any IP frame that fails the checksum".
    const headerSum = sumWords(frame, at, at + hl);
    if (!checksumVerifies(headerSum)) {
      c.count('IpExtInCsumErrors');
      c.count('IpInHdrErrors');
      host.drop('IP_CSUM', 'ip_rcv_core', iface, view(frame, at));
      return;
    }
    const total = v.totalLength;
    if (length < total) {
      c.count('IpExtInTruncatedPkts');
      host.drop('PKT_TOO_SMALL', 'ip_rcv_core', iface, view(frame, at));
      return;
    }
    if (total < hl) {
      this.#inhdrError(iface, view(frame, at));
      return;
    }
    // "Our transport medium may have padded the buffer out. Now we know it is IP
    // we can trim to the true length of the frame": the datagram is
    // frame[at, at + total). The checks above are parseIpv4's: decode without
    // making them again.
    if (!host.hasHooks('PREROUTING')) {
      // No hook to hand the decoded datagram to: the input route comes first
      // (it reads the addresses alone), and a datagram it refuses (no route, a
      // martian) is dropped without being decoded.
      const src = v.src;
      const dst = v.dst;
      const r = this.#routeInput(iface, src, dst);
      if (r.kind === 'error') {
        this.#ipError(now, iface, frame, at, total, src, pktType, r.err);
        return;
      }
      if (r.kind === 'martian') {
        host.drop(r.reason, 'ip_route_input_slow', iface, view(frame, at, at + total));
        return;
      }
      // The spare skb when it is free (it is not while a datagram received
      // during the delivery of another is handled): no object per datagram.
      let skb = this.#spareSkb;
      if (skb === undefined) {
        skb = new ReceivedDatagram(
          frame,
          at,
          total,
          v,
          src,
          dst,
          headerSum,
          iface,
          pktType,
          undefined,
        );
      } else {
        this.#spareSkb = undefined;
        skb.reuse(frame, at, total, v, src, dst, headerSum, iface, pktType);
      }
      this.#rcvFinish(now, skb, r);
      skb.release();
      this.#spareSkb = skb;
      return;
    }
    const ip = decodeIpv4InPlace(v, headerSum);
    const skb = new ReceivedDatagram(
      frame,
      at,
      total,
      v,
      ip.src,
      ip.dst,
      headerSum,
      iface,
      pktType,
      ip,
    );
    if (
      host.runHook('PREROUTING', {
        datagram: skb.datagram,
        ip,
        inIface: iface,
        outIface: undefined,
      }) === 'DROP'
    ) {
      host.drop('NETFILTER_DROP', 'nf_hook PREROUTING', iface, skb.datagram);
      return;
    }
    this.#rcvFinish(now, skb, this.#routeInput(iface, skb.src, skb.dst));
  }

  /** ip_rcv_core's inhdr_error (a method: a closure would be made per packet). */
  #inhdrError(iface: NetInterface, bytes: Uint8Array): void {
    this.#host.counters.count('IpInHdrErrors');
    this.#host.drop('IP_INHDR', 'ip_rcv_core', iface, bytes);
  }

  /** ip_rcv_finish: the route `r` (ip_route_input_noref's) decides. */
  #rcvFinish(now: Time, skb: ReceivedDatagram, r: InputRoute): void {
    const host = this.#host;
    const { iface, pktType } = skb;
    switch (r.kind) {
      case 'local':
      case 'broadcast': {
        if (r.kind === 'broadcast') {
          host.counters.count('IpExtInBcastPkts');
          host.counters.count('IpExtInBcastOctets', skb.length);
        }
        skb.delivery = r.kind;
        this.#localDeliver(now, skb);
        return;
      }
      case 'forward':
        this.#forward(now, iface, skb.datagram, skb.ip, pktType, r.out);
        return;
      case 'error':
        this.#ipError(now, iface, skb.frame, skb.at, skb.length, skb.src, pktType, r.err);
        return;
      case 'martian':
        host.drop(r.reason, 'ip_route_input_slow', iface, skb.datagram);
        return;
    }
  }

  #inputLocalDst: Ipv4Address = 0;
  #inputLocalSrc: Ipv4Address = 0;
  #inputLocalIface: NetInterface | undefined = undefined;
  #inputLocalGeneration = -1;

  /**
   * ip_route_input_noref → ip_route_input_slow. Packets on lo were routed when
   * they were sent (the skb keeps its dst): they are ours.
   */
  #routeInput(iface: NetInterface, src: Ipv4Address, dst: Ipv4Address): InputRoute {
    const host = this.#host;
    // The last datagram's verdict, when it was ours and came the same way (a
    // host mostly hears from the peer it heard from last): what follows reads
    // the routing tables only, whose generation says whether they moved. It
    // comes first: the checks below depend on the addresses and the device
    // alone, and passed when the verdict was kept (never one for lo).
    const generation = host.routes.generation;
    if (
      this.#inputLocalDst === dst &&
      this.#inputLocalSrc === src &&
      this.#inputLocalIface === iface &&
      this.#inputLocalGeneration === generation
    ) {
      return INPUT_LOCAL;
    }
    if (iface.kind === 'loopback') {
      return host.addressType(iface, dst) === 'broadcast' ? INPUT_BROADCAST : INPUT_LOCAL;
    }
    if (isIpv4Multicast(dst)) {
      // ip_route_input_rcu: only groups the host joined; it joins none.
      return MARTIAN_OTHER;
    }
    if (isIpv4Multicast(src) || src === 0xffff_ffff) return MARTIAN_SOURCE;
    // "Accept zero addresses only to limited broadcast".
    if (dst === 0xffff_ffff || (src === 0 && dst === 0)) return INPUT_BROADCAST;
    if (isZeronet(src)) return MARTIAN_SOURCE;
    if (isZeronet(dst)) return MARTIAN_DEST;
    // route_localnet is 0: loopback addresses never come from outside.
    if (isLoopbackAddress(dst)) return MARTIAN_DEST;
    if (isLoopbackAddress(src)) return MARTIAN_SOURCE;
    const forwarding = this.#forwarding;
    const route = host.routes.lookup(dst);
    if (route === undefined) return forwarding ? INPUT_ENETUNREACH : INPUT_EHOSTUNREACH;
    switch (route.type) {
      case 'broadcast':
        return INPUT_BROADCAST;
      case 'local':
        // fib_validate_source with rp_filter 0: our own address as the source of
        // a packet from the wire is a martian.
        if (host.isLocalAddress(src)) return MARTIAN_SOURCE;
        this.#inputLocalDst = dst;
        this.#inputLocalSrc = src;
        this.#inputLocalIface = iface;
        this.#inputLocalGeneration = generation;
        return INPUT_LOCAL;
      // fib_lookup fails on these types with their fib_props error; "if
      // (!IN_DEV_FORWARD(in_dev)) err = -EHOSTUNREACH".
      case 'unreachable':
        return INPUT_EHOSTUNREACH;
      case 'prohibit':
        return forwarding ? INPUT_EACCES : INPUT_EHOSTUNREACH;
      case 'blackhole':
        return forwarding ? INPUT_EINVAL : INPUT_EHOSTUNREACH;
      case 'unicast': {
        if (!forwarding) return INPUT_EHOSTUNREACH;
        const out = this.#outputRoute(route, dst, undefined);
        return { kind: 'forward', out };
      }
    }
  }

  /**
   * ip_error: the input route was an error. A host that does not forward counts
   * it (IpInAddrErrors, or IpExtInNoRoutes) and says nothing; a router answers
   * with ICMP destination unreachable, at most one per second per source after
   * a burst of five (ip_rt_error_cost, ip_rt_error_burst).
   */
  #ipError(
    now: Time,
    iface: NetInterface,
    frame: Uint8Array,
    at: number,
    length: number,
    src: Ipv4Address,
    pktType: PacketType,
    err: 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES' | 'EINVAL',
  ): void {
    const host = this.#host;
    const c = host.counters;
    if (!this.#forwarding) {
      // The datagram is `frame[at, at + length)`: dropped without a view of it.
      if (err === 'ENETUNREACH') {
        c.count('IpExtInNoRoutes');
        host.dropIn('IP_INNOROUTES', 'ip_error', iface, frame, at, at + length);
      } else {
        c.count('IpInAddrErrors');
        host.dropIn('IP_INADDRERRORS', 'ip_error', iface, frame, at, at + length);
      }
      return;
    }
    const datagram = view(frame, at, at + length);
    let code: number;
    let reason: 'IP_INNOROUTES' | 'NOT_SPECIFIED' = 'NOT_SPECIFIED';
    switch (err) {
      case 'EINVAL':
        host.drop('NOT_SPECIFIED', 'ip_error', iface, datagram);
        return;
      case 'EHOSTUNREACH':
        code = ICMP_HOST_UNREACH;
        break;
      case 'ENETUNREACH':
        code = ICMP_NET_UNREACH;
        reason = 'IP_INNOROUTES';
        c.count('IpExtInNoRoutes');
        break;
      case 'EACCES':
        code = ICMP_PKT_FILTERED;
        break;
    }
    // The source's inet_peer: the same bucket icmp_send's per-destination limit
    // draws from next (both use peer->rate_tokens).
    const peer = host.icmp.peer(src);
    const j = jiffies(now);
    peer.rateTokens += j - peer.rateLast;
    if (peer.rateTokens > IP_RT_ERROR_BURST) peer.rateTokens = IP_RT_ERROR_BURST;
    peer.rateLast = j;
    let send = true;
    if (peer.rateTokens >= IP_RT_ERROR_COST) peer.rateTokens -= IP_RT_ERROR_COST;
    else send = false;
    if (send) {
      host.icmp.send(
        { datagram, pktType, inIface: iface, local: false, broadcast: false },
        ICMP_DEST_UNREACH,
        code,
        0,
      );
    }
    host.drop(reason, 'ip_error', iface, datagram);
  }

  /** ip_local_deliver and ip_local_deliver_finish. */
  #localDeliver(now: Time, skb: ReceivedDatagram): void {
    const host = this.#host;
    const c = host.counters;
    const iface = skb.iface;
    if (skb.isFragment) {
      // DEVIATION(linux): no reassembly; see the module comment.
      c.count('IpReasmReqds');
      c.count('IpReasmFails');
      host.drop('FRAG_REASM_TIMEOUT', 'ip_defrag', iface, skb.datagram);
      return;
    }
    if (
      host.hasHooks('INPUT') &&
      host.runHook('INPUT', {
        datagram: skb.datagram,
        ip: skb.ip,
        inIface: iface,
        outIface: undefined,
      }) === 'DROP'
    ) {
      host.drop('NETFILTER_DROP', 'nf_hook INPUT', iface, skb.datagram);
      return;
    }
    const handler = host.protocol(skb.protocol);
    if (handler === undefined) {
      c.count('IpInUnknownProtos');
      host.icmp.send(
        {
          datagram: skb.datagram,
          pktType: skb.pktType,
          inIface: iface,
          local: skb.delivery === 'local',
          broadcast: skb.delivery === 'broadcast',
        },
        ICMP_DEST_UNREACH,
        ICMP_PROT_UNREACH,
        0,
      );
      host.drop('IP_NOPROTO', 'ip_local_deliver_finish', iface, skb.datagram);
      return;
    }
    c.values.IpInDelivers++;
    handler.receive(now, skb);
  }

  /** ip_forward. */
  #forward(
    now: Time,
    iface: NetInterface,
    datagram: Uint8Array,
    ip: ReceivedIpv4Packet,
    pktType: PacketType,
    out: OutputRoute,
  ): void {
    const host = this.#host;
    // The datagram goes on as bytes: a checksum its sender left pending is
    // finished (offload.ts; Linux keeps CHECKSUM_PARTIAL for the next device).
    host.completePending();
    const c = host.counters;
    if (pktType !== 'host') {
      host.drop('OTHERHOST', 'ip_forward', iface, datagram);
      return;
    }
    // "According to the RFC, we must first decrease the TTL field. If that
    // reaches zero, we must reply an ICMP control message telling that the
    // packet's lifetime expired."
    if (ip.ttl <= 1) {
      c.count('IpInHdrErrors');
      host.icmp.send(
        { datagram, pktType, inIface: iface, local: false, broadcast: false },
        ICMP_TIME_EXCEEDED,
        ICMP_EXC_TTL,
        0,
      );
      host.drop('IP_INHDR', 'ip_forward', iface, datagram);
      return;
    }
    // ip_exceeds_mtu: only a DF datagram is refused; others would be fragmented.
    if (datagram.length > out.mtu) {
      c.count('IpFragFails');
      if (ip.dontFragment) {
        host.icmp.send(
          { datagram, pktType, inIface: iface, local: false, broadcast: false },
          ICMP_DEST_UNREACH,
          ICMP_FRAG_NEEDED,
          out.mtu,
        );
      }
      host.drop('PKT_TOO_BIG', 'ip_forward', iface, datagram);
      return;
    }
    // skb_cow, then ip_decrease_ttl (an incremental checksum update; recomputing
    // gives the same field).
    const copy = datagram.slice();
    copy[8] = ip.ttl - 1;
    put16(copy, 10, 0);
    put16(copy, 10, internetChecksum(copy, 0, ip.options.length + IPV4_HEADER_LEN));
    const fwd = parseIpv4(copy);
    if (!fwd.ok) return;
    if (
      host.runHook('FORWARD', {
        datagram: copy,
        ip: fwd.value,
        inIface: iface,
        outIface: out.dev,
      }) === 'DROP'
    ) {
      host.drop('NETFILTER_DROP', 'nf_hook FORWARD', iface, copy);
      return;
    }
    // ip_forward_finish.
    c.count('IpForwDatagrams');
    this.#postRouting(now, copy, undefined, fwd.value, out, false);
  }

  // ---- output --------------------------------------------------------------

  /**
   * ip_route_output_key: the route for `dst`. ENETUNREACH when nothing matches
   * (the connect() error), EHOSTUNREACH / EACCES / EINVAL for unreachable,
   * prohibit and blackhole routes (fib_props), EINVAL for a source address that
   * is not ours.
   */
  routeOutput(dst: Ipv4Address, options: RouteOutputOptions = {}): RouteOutputResult {
    return this.#routeOutputCached(dst, options.src, options.oif);
  }

  /** routeOutput(dst, { src }) without an options object (TCP's connect()). */
  routeOutputFrom(dst: Ipv4Address, src: Ipv4Address | undefined): RouteOutputResult {
    return this.#routeOutputCached(dst, src, undefined);
  }

  /**
   * routeOutput through a small cache: a host mostly sends to the few peers it
   * sent to last, and the lookup (two tables scanned, an object per datagram)
   * was a tenth of a short connection's cost. Linux keeps the dst on the socket
   * (sk_dst_cache) and checks it against the fib's generation; this checks the
   * routing table's generation (which also moves when addresses do) and the
   * device's MTU. connect() asks without a source and the segments with one:
   * two entries at least.
   */
  #routeOutputCached(
    dst: Ipv4Address,
    src: Ipv4Address | undefined,
    oif: NetInterface | undefined,
  ): RouteOutputResult {
    const generation = this.#host.routes.generation;
    const cache = this.#routeCache;
    for (let i = 0; i < cache.length; i++) {
      const e = cache[i]!;
      const r = e.result;
      if (
        e.dst === dst &&
        e.src === src &&
        e.oif === oif &&
        e.generation === generation &&
        (!r.ok || r.mtu === r.dev.mtu)
      ) {
        return r;
      }
    }
    const result = this.#routeOutputSlow(dst, src, oif, generation);
    // A miss (a SYN-ACK to each spoofed source of a flood) rewrites the oldest
    // entry in place: no object per miss.
    if (cache.length < ROUTE_CACHE_ENTRIES) cache.push({ dst, src, oif, generation, result });
    else {
      const e = cache[this.#routeCacheNext++ % ROUTE_CACHE_ENTRIES]!;
      e.dst = dst;
      e.src = src;
      e.oif = oif;
      e.generation = generation;
      e.result = result;
    }
    return result;
  }

  readonly #routeCache: {
    dst: Ipv4Address;
    src: Ipv4Address | undefined;
    oif: NetInterface | undefined;
    generation: number;
    result: RouteOutputResult;
  }[] = [];
  #routeCacheNext = 0;

  /**
   * The last output route through a gateway, for any destination behind it: the
   * device, next hop, source and MTU come from the route and the gateway alone
   * (Linux shares one nexthop's dst the same way, fib_nh's nh_pcpu_rth_output).
   */
  #gatewayRoute: Route | undefined = undefined;
  #gatewaySrc: Ipv4Address | undefined = undefined;
  #gatewayGeneration = -1;
  #gatewayResult: RouteOutputResult | undefined = undefined;

  #routeOutputSlow(
    dst: Ipv4Address,
    src: Ipv4Address | undefined,
    oif: NetInterface | undefined,
    generation: number,
  ): RouteOutputResult {
    const host = this.#host;
    if (src !== undefined && src !== 0) {
      if (
        isIpv4Multicast(src) ||
        src === 0xffff_ffff ||
        isZeronet(src) ||
        !host.isLocalAddress(src)
      ) {
        return { ok: false, errno: 'EINVAL' };
      }
    }
    // The limited broadcast goes out of the bound device, or the source's.
    if (dst === 0xffff_ffff && (oif !== undefined || (src !== undefined && src !== 0))) {
      const dev = oif ?? host.interfaces.find((i) => i.addresses.some((a) => a.address === src));
      if (dev !== undefined) {
        const route: Route = {
          table: 'local',
          type: 'broadcast',
          dst,
          prefixLength: 32,
          dev,
          gateway: undefined,
          prefsrc: undefined,
          scope: 'link',
          protocol: 'kernel',
          metric: 0,
          initcwnd: 0,
        };
        const s = src !== undefined && src !== 0 ? src : host.selectAddress(dev, dst);
        return { ok: true, route, type: 'broadcast', dev, src: s, nexthop: dst, mtu: dev.mtu };
      }
    }
    const route = host.routes.lookup(dst, oif);
    if (route === undefined) return { ok: false, errno: 'ENETUNREACH' };
    switch (route.type) {
      case 'unreachable':
        return { ok: false, errno: 'EHOSTUNREACH' };
      case 'prohibit':
        return { ok: false, errno: 'EACCES' };
      case 'blackhole':
        return { ok: false, errno: 'EINVAL' };
      default: {
        const viaGateway = route.gateway !== undefined && route.type === 'unicast';
        if (
          viaGateway &&
          this.#gatewayRoute === route &&
          this.#gatewaySrc === src &&
          this.#gatewayGeneration === generation
        ) {
          const r = this.#gatewayResult!;
          if (r.ok && r.mtu === r.dev.mtu) return r;
        }
        const out = this.#outputRoute(route, dst, src);
        const result: RouteOutputResult = { ok: true, ...out };
        if (viaGateway) {
          this.#gatewayRoute = route;
          this.#gatewaySrc = src;
          this.#gatewayGeneration = generation;
          this.#gatewayResult = result;
        }
        return result;
      }
    }
  }

  #outputRoute(route: Route, dst: Ipv4Address, src: Ipv4Address | undefined): OutputRoute {
    const host = this.#host;
    // "if (res->type == RTN_LOCAL) … dev_out = net->loopback_dev": traffic to
    // ourselves goes through lo.
    if (route.type === 'local') {
      const s = src !== undefined && src !== 0 ? src : (route.prefsrc ?? dst);
      return { route, type: 'local', dev: host.lo, src: s, nexthop: dst, mtu: host.lo.mtu };
    }
    const dev = route.dev!;
    const nexthop = route.gateway ?? dst;
    const s =
      src !== undefined && src !== 0
        ? src
        : (route.prefsrc ?? host.selectAddress(dev, route.gateway ?? dst));
    const type = route.type === 'broadcast' ? 'broadcast' : 'unicast';
    return { route, type, dev, src: s, nexthop, mtu: dev.mtu };
  }

  /**
   * A transport's datagram (ip_queue_xmit, ip_make_skb): routed, given a header,
   * sent through OUTPUT and POSTROUTING to the neighbour layer.
   */
  output(o: IpOutput): SendResult {
    const frame = o.frame;
    return this.#output(
      frame,
      frame === undefined ? o.payload : undefined,
      o.payload.length,
      o.dst,
      o.src,
      o.protocol,
      o.tos ?? 0,
      o.ttl ?? this.#defaultTtl,
      o.df,
      o.id,
      o.oif,
      o.confirmNeighbour ?? false,
    );
  }

  /**
   * output() for a segment a transport wrote into `frame` from IP_HEADROOM to its
   * end (see IpOutput.frame), default TOS and TTL, no bound device: what TCP
   * sends, given as arguments so that no IpOutput is built per segment.
   */
  outputFrame(
    frame: Uint8Array,
    src: Ipv4Address,
    dst: Ipv4Address,
    protocol: number,
    df: boolean,
    id: number | undefined,
    confirmNeighbour: boolean,
  ): SendResult {
    return this.#output(
      frame,
      undefined,
      frame.length - IP_HEADROOM,
      dst,
      src,
      protocol,
      0,
      this.#defaultTtl,
      df,
      id,
      undefined,
      confirmNeighbour,
    );
  }

  /**
   * output(): the transport's bytes are in `frame` from IP_HEADROOM on, or, when
   * there is no frame, in `payload` (copied into a new frame once routed).
   */
  #output(
    frame: Uint8Array | undefined,
    payload: Uint8Array | undefined,
    payloadLength: number,
    dst: Ipv4Address,
    source: Ipv4Address | undefined,
    protocol: number,
    tos: number,
    ttl: number,
    dontFragment: boolean | undefined,
    ident: number | undefined,
    oif: NetInterface | undefined,
    confirm: boolean,
  ): SendResult {
    const host = this.#host;
    const now = host.events.now;
    const r = this.#routeOutputCached(dst, source, oif);
    if (!r.ok) {
      const bytes = payload ?? view(frame!, IP_HEADROOM);
      if (r.errno === 'ENETUNREACH') {
        host.counters.count('IpOutNoRoutes');
        host.drop('IP_OUTNOROUTES', 'ip_route_output_key', undefined, bytes);
        return { ok: false, errno: r.errno, reason: 'IP_OUTNOROUTES' };
      }
      host.drop('NOT_SPECIFIED', 'ip_route_output_key', undefined, bytes);
      return { ok: false, errno: r.errno, reason: 'NOT_SPECIFIED' };
    }
    const total = IPV4_HEADER_LEN + payloadLength;
    if (total > IPV4_MAX_TOTAL_LEN) {
      host.drop('PKT_TOO_BIG', 'ip_append_data', r.dev, payload ?? view(frame!, IP_HEADROOM));
      return { ok: false, errno: 'EMSGSIZE', reason: 'PKT_TOO_BIG' };
    }
    // ip_dont_fragment: DF unless the socket or ip_no_pmtu_disc says otherwise.
    const df = dontFragment ?? host.sysctl.int('net.ipv4.ip_no_pmtu_disc') === 0;
    const src = r.src;
    // ip_select_ident_segs.
    const id =
      ident !== undefined
        ? ident & 0xffff
        : df
          ? 0
          : this.idents.reserve(jiffies(now), dst, src, protocol);
    // One buffer for the frame: the transport's segment is already in it (or
    // is copied in once), the IP header goes in front of it, and the Ethernet
    // header in front of that (ip_queue_xmit's skb_push, then the device's).
    if (frame === undefined) {
      frame = freshBytes(IP_HEADROOM + payloadLength);
      frame.set(payload!, IP_HEADROOM);
    }
    emitIpv4BasicHeader(
      frame,
      tos,
      id,
      df,
      ttl,
      protocol,
      src,
      dst,
      payloadLength,
      ETHERNET_HEADER_LEN,
    );
    const dev = r.dev;
    if (
      dev.kind !== 'loopback' &&
      total <= r.mtu &&
      !host.hasHooks('OUTPUT') &&
      !host.hasHooks('POSTROUTING')
    ) {
      return this.#outputDirect(now, frame, total, r, confirm);
    }
    return this.#localOut(now, view(frame, ETHERNET_HEADER_LEN), frame, r, confirm);
  }

  /**
   * ip_local_out → ip_finish_output2 for the usual datagram, which no hook
   * wants to see, fits the MTU and leaves by an Ethernet device: the same
   * counters and the same neighbour step as #localOut's way, without making a
   * view of the datagram unless the neighbour must queue it.
   */
  #outputDirect(
    now: Time,
    frame: Uint8Array,
    total: number,
    out: OutputRoute,
    confirm: boolean,
  ): SendResult {
    const host = this.#host;
    const c = host.counters.values;
    c.IpOutRequests++;
    c.IpOutTransmits++;
    c.IpExtOutOctets += total;
    if (out.type === 'broadcast') {
      c.IpExtOutBcastPkts++;
      c.IpExtOutBcastOctets += total;
    }
    const dev = out.dev;
    const neigh = host.neigh;
    const n = neigh.lookupOrCreate(now, dev, out.nexthop);
    if (n === undefined) {
      host.drop('NEIGH_CREATEFAIL', 'ip_finish_output2', dev, view(frame, ETHERNET_HEADER_LEN));
      return { ok: false, errno: 'ENOBUFS', reason: 'NEIGH_CREATEFAIL' };
    }
    if (neigh.outputConnected(now, n, confirm)) {
      // neighTransmit.
      n.writeHardHeader(frame);
      host.devXmit(n.dev, frame);
    } else {
      const datagram = view(frame, ETHERNET_HEADER_LEN);
      neigh.output(now, n, { datagram, truesize: skbTruesize(total), frame }, confirm);
    }
    return SENT;
  }

  /**
   * A whole datagram from a raw socket with IP_HDRINCL (raw_send_hdrinc): routed
   * by its destination; a zero id is chosen (ip_select_ident) and the header
   * checksum and total length are filled in.
   */
  outputRaw(bytes: Uint8Array): SendResult {
    const host = this.#host;
    const now = host.events.now;
    if (bytes.length < IPV4_HEADER_LEN || bytes.length > IPV4_MAX_TOTAL_LEN) {
      return { ok: false, errno: 'EINVAL', reason: 'NOT_SPECIFIED' };
    }
    // Copied once, behind room for the Ethernet header (see IpOutput.frame).
    const frame = freshBytes(ETHERNET_HEADER_LEN + bytes.length);
    frame.set(bytes, ETHERNET_HEADER_LEN);
    const datagram = view(frame, ETHERNET_HEADER_LEN);
    const v = new Ipv4View(datagram);
    if (v.version !== 4 || v.ihl < 5 || v.headerLength > datagram.length) {
      return { ok: false, errno: 'EINVAL', reason: 'NOT_SPECIFIED' };
    }
    put16(datagram, 2, datagram.length);
    const r = this.routeOutput(v.dst);
    if (!r.ok) {
      if (r.errno === 'ENETUNREACH') host.counters.count('IpOutNoRoutes');
      return { ok: false, errno: r.errno, reason: 'IP_OUTNOROUTES' };
    }
    if (v.id === 0) {
      const df = (get16(datagram, 6) & IP_DF) !== 0;
      if (!df) put16(datagram, 4, this.idents.reserve(jiffies(now), v.dst, v.src, v.protocol));
    }
    put16(datagram, 10, 0);
    put16(datagram, 10, internetChecksum(datagram, 0, v.headerLength));
    return this.#localOut(now, datagram, frame, r, false);
  }

  /**
   * ip_local_out: OUTPUT, then ip_output. `frame`, when there is one, holds
   * `datagram` from byte 14 (see IpOutput.frame).
   */
  #localOut(
    now: Time,
    datagram: Uint8Array,
    frame: Uint8Array | undefined,
    out: OutputRoute,
    confirm: boolean,
  ): SendResult {
    const host = this.#host;
    host.counters.values.IpOutRequests++;
    // The hooks are handed the decoded packet: decode only for them.
    if (!host.hasHooks('OUTPUT') && !host.hasHooks('POSTROUTING')) {
      return this.#postRouting(now, datagram, frame, undefined, out, confirm);
    }
    const parsed = parseIpv4(datagram);
    if (!parsed.ok) return { ok: false, errno: 'EINVAL', reason: 'NOT_SPECIFIED' };
    if (
      host.runHook('OUTPUT', {
        datagram,
        ip: parsed.value,
        inIface: undefined,
        outIface: out.dev,
      }) === 'DROP'
    ) {
      host.drop('NETFILTER_DROP', 'nf_hook OUTPUT', out.dev, datagram);
      // The sender learns of it: net_xmit_errno(NET_XMIT_DROP) is -ENOBUFS, and
      // nf_hook's NF_DROP gives -EPERM.
      return { ok: false, errno: 'EPERM', reason: 'NETFILTER_DROP' };
    }
    return this.#postRouting(now, datagram, frame, parsed.value, out, confirm);
  }

  /**
   * ip_output → POSTROUTING → ip_finish_output (MTU) → ip_finish_output2. `ip`
   * is the decoded datagram, undefined when no hook is there to be handed it.
   */
  #postRouting(
    now: Time,
    datagram: Uint8Array,
    frame: Uint8Array | undefined,
    ip: ReceivedIpv4Packet | undefined,
    out: OutputRoute,
    confirm: boolean,
  ): SendResult {
    const host = this.#host;
    if (
      ip !== undefined &&
      host.runHook('POSTROUTING', { datagram, ip, inIface: undefined, outIface: out.dev }) ===
        'DROP'
    ) {
      host.drop('NETFILTER_DROP', 'nf_hook POSTROUTING', out.dev, datagram);
      return { ok: false, errno: 'EPERM', reason: 'NETFILTER_DROP' };
    }
    if (datagram.length > out.mtu) {
      // ip_fragment: with DF, "fragmentation needed" to the sender (ourselves)
      // and EMSGSIZE; without, Linux would fragment (see the module comment).
      host.counters.count('IpFragFails');
      if ((get16(datagram, 6) & IP_DF) !== 0) {
        host.icmp.send(
          { datagram, pktType: 'host', inIface: out.dev, local: false, broadcast: false },
          ICMP_DEST_UNREACH,
          ICMP_FRAG_NEEDED,
          out.mtu,
        );
      }
      host.drop('PKT_TOO_BIG', 'ip_fragment', out.dev, datagram);
      return { ok: false, errno: 'EMSGSIZE', reason: 'PKT_TOO_BIG' };
    }
    return this.#finishOutput2(now, datagram, frame, out, confirm);
  }

  /** ip_finish_output2: count, find the neighbour, hand over. */
  #finishOutput2(
    now: Time,
    datagram: Uint8Array,
    frame: Uint8Array | undefined,
    out: OutputRoute,
    confirm: boolean,
  ): SendResult {
    const host = this.#host;
    const c = host.counters.values;
    c.IpOutTransmits++;
    c.IpExtOutOctets += datagram.length;
    if (out.type === 'broadcast') {
      c.IpExtOutBcastPkts++;
      c.IpExtOutBcastOctets += datagram.length;
    }
    const dev = out.dev;
    if (dev.kind === 'loopback') {
      return host.devXmit(dev, frameFor(0, 0, datagram, frame));
    }
    const n = host.neigh.lookupOrCreate(now, dev, out.nexthop);
    if (n === undefined) {
      host.drop('NEIGH_CREATEFAIL', 'ip_finish_output2', dev, datagram);
      return { ok: false, errno: 'ENOBUFS', reason: 'NEIGH_CREATEFAIL' };
    }
    host.neigh.output(now, n, { datagram, truesize: skbTruesize(datagram.length), frame }, confirm);
    return SENT;
  }

  /** The neighbour layer sends a datagram: the Ethernet header, then the device. */
  neighTransmit(_now: Time, n: Neighbour, pkt: NeighbourPacket): void {
    this.#host.devXmit(n.dev, frameFor(n.ha, n.dev.mac, pkt.datagram, pkt.frame));
  }

  /**
   * arp_error_report → ipv4_link_failure → ICMP host unreachable about `pkt`,
   * to its source: a router tells the sender; a host tells itself, over lo, and
   * the transport that sent it learns EHOSTUNREACH.
   */
  neighErrorReport(_now: Time, n: Neighbour, pkt: NeighbourPacket): void {
    this.#host.icmp.send(
      { datagram: pkt.datagram, pktType: 'host', inIface: n.dev, local: false, broadcast: false },
      ICMP_DEST_UNREACH,
      ICMP_HOST_UNREACH,
      0,
    );
  }
}

/**
 * An Ethernet II frame carrying an IPv4 datagram (lo's frames have zero
 * addresses): the header written into `frame`'s headroom when the datagram was
 * built in one, else a new frame with a copy of the datagram.
 */
function frameFor(
  dst: number,
  src: number,
  datagram: Uint8Array,
  frame: Uint8Array | undefined,
): Uint8Array {
  if (frame === undefined) {
    return buildEthernet({ dst, src, ethertype: ETHERTYPE_IPV4, payload: datagram });
  }
  emitEthernetHeader(frame, dst, src, ETHERTYPE_IPV4);
  return frame;
}
