/**
 * What `netstat -s` and `nstat` show about a host's IP layer: the SNMP counters
 * of /proc/net/snmp (Ip, Icmp, IcmpMsg, Udp) and the IpExt counters of
 * /proc/net/netstat, under nstat's names, in the order nstat lists them (the
 * reference traces' nstat-*.txt); and the drop log, every packet the host threw
 * away with its Linux drop reason (include/net/dropreason-core.h).
 */

import type { Time } from '../sim/time.js';
import { view } from '../wire/bytes.js';

/** nstat's names for /proc/net/snmp "Ip:" (Linux: net/ipv4/proc.c snmp4_ipstats_list). */
export const IP_COUNTERS = [
  'IpInReceives',
  'IpInHdrErrors',
  'IpInAddrErrors',
  'IpForwDatagrams',
  'IpInUnknownProtos',
  'IpInDiscards',
  'IpInDelivers',
  'IpOutRequests',
  'IpOutDiscards',
  'IpOutNoRoutes',
  'IpReasmTimeout',
  'IpReasmReqds',
  'IpReasmOKs',
  'IpReasmFails',
  'IpFragOKs',
  'IpFragFails',
  'IpFragCreates',
  'IpOutTransmits',
] as const;

/**
 * "Icmp:" (net/ipv4/proc.c icmp_put). The per-type columns (IcmpInEchos, …) are
 * the IcmpMsg counters of their type, as the kernel prints them.
 */
export const ICMP_COUNTERS = [
  'IcmpInMsgs',
  'IcmpInErrors',
  'IcmpInCsumErrors',
  'IcmpInDestUnreachs',
  'IcmpInTimeExcds',
  'IcmpInParmProbs',
  'IcmpInSrcQuenchs',
  'IcmpInRedirects',
  'IcmpInEchos',
  'IcmpInEchoReps',
  'IcmpInTimestamps',
  'IcmpInTimestampReps',
  'IcmpInAddrMasks',
  'IcmpInAddrMaskReps',
  'IcmpOutMsgs',
  'IcmpOutErrors',
  'IcmpOutRateLimitGlobal',
  'IcmpOutRateLimitHost',
  'IcmpOutDestUnreachs',
  'IcmpOutTimeExcds',
  'IcmpOutParmProbs',
  'IcmpOutSrcQuenchs',
  'IcmpOutRedirects',
  'IcmpOutEchos',
  'IcmpOutEchoReps',
  'IcmpOutTimestamps',
  'IcmpOutTimestampReps',
  'IcmpOutAddrMasks',
  'IcmpOutAddrMaskReps',
] as const;

/** The ICMP type behind each per-type column of "Icmp:" (net/ipv4/proc.c icmpmibmap). */
const ICMP_TYPE_COLUMNS: readonly (readonly [string, number])[] = [
  ['DestUnreachs', 3],
  ['TimeExcds', 11],
  ['ParmProbs', 12],
  ['SrcQuenchs', 4],
  ['Redirects', 5],
  ['Echos', 8],
  ['EchoReps', 0],
  ['Timestamps', 13],
  ['TimestampReps', 14],
  ['AddrMasks', 17],
  ['AddrMaskReps', 18],
];

/** "Udp:" (net/ipv4/proc.c snmp4_udp_list). */
export const UDP_COUNTERS = [
  'UdpInDatagrams',
  'UdpNoPorts',
  'UdpInErrors',
  'UdpOutDatagrams',
  'UdpRcvbufErrors',
  'UdpSndbufErrors',
  'UdpInCsumErrors',
  'UdpIgnoredMulti',
  'UdpMemErrors',
] as const;

/** "IpExt:" of /proc/net/netstat (net/ipv4/proc.c snmp4_ipextstats_list). */
export const IPEXT_COUNTERS = [
  'IpExtInNoRoutes',
  'IpExtInTruncatedPkts',
  'IpExtInMcastPkts',
  'IpExtOutMcastPkts',
  'IpExtInBcastPkts',
  'IpExtOutBcastPkts',
  'IpExtInOctets',
  'IpExtOutOctets',
  'IpExtInMcastOctets',
  'IpExtOutMcastOctets',
  'IpExtInBcastOctets',
  'IpExtOutBcastOctets',
  'IpExtInCsumErrors',
  'IpExtInNoECTPkts',
  'IpExtInECT1Pkts',
  'IpExtInECT0Pkts',
  'IpExtInCEPkts',
  'IpExtReasmOverlaps',
] as const;

export type IpCounter = (typeof IP_COUNTERS)[number];
export type UdpCounter = (typeof UDP_COUNTERS)[number];
export type IpExtCounter = (typeof IPEXT_COUNTERS)[number];
/** The ICMP counters kept directly; the per-type ones come from IcmpMsg. */
export type IcmpCounter =
  | 'IcmpInMsgs'
  | 'IcmpInErrors'
  | 'IcmpInCsumErrors'
  | 'IcmpOutMsgs'
  | 'IcmpOutErrors'
  | 'IcmpOutRateLimitGlobal'
  | 'IcmpOutRateLimitHost';

export type HostCounter = IpCounter | UdpCounter | IpExtCounter | IcmpCounter;

/** The host's SNMP counters. */
export class SnmpCounters {
  /**
   * Every counter kept directly, by name, from 0: one object of a fixed shape,
   * so that the IP layer's per-packet counts are plain field increments
   * (`counters.values.IpInReceives++`), not string-keyed map updates.
   */
  readonly values: Record<HostCounter, number> = zeroCounters();
  /** IcmpMsg: In and Out per ICMP type (net/ipv4/proc.c icmpmsg_put). */
  readonly #icmpIn = new Map<number, number>();
  readonly #icmpOut = new Map<number, number>();

  count(name: HostCounter, n = 1): void {
    this.values[name] += n;
  }

  /** ICMPMSGIN_INC_STATS: one message of `type` received. */
  icmpIn(type: number): void {
    this.#icmpIn.set(type, (this.#icmpIn.get(type) ?? 0) + 1);
  }

  /** icmp_out_count: one message of `type` sent (IcmpOutMsgs and IcmpMsgOutType<type>). */
  icmpOut(type: number): void {
    this.#icmpOut.set(type, (this.#icmpOut.get(type) ?? 0) + 1);
    this.count('IcmpOutMsgs');
  }

  /** Any counter by its nstat name, 0 if it never moved (IcmpMsgInType3 included). */
  get(name: string): number {
    if (Object.hasOwn(this.values, name)) return this.values[name as HostCounter];
    let m = /^IcmpMsg(In|Out)Type(\d+)$/.exec(name);
    if (m !== null) {
      const map = m[1] === 'In' ? this.#icmpIn : this.#icmpOut;
      return map.get(Number(m[2])) ?? 0;
    }
    m = /^Icmp(In|Out)(\w+)$/.exec(name);
    if (m !== null) {
      const column = ICMP_TYPE_COLUMNS.find(([c]) => c === m![2]);
      if (column !== undefined) {
        return (m[1] === 'In' ? this.#icmpIn : this.#icmpOut).get(column[1]) ?? 0;
      }
    }
    return 0;
  }

  /**
   * Every counter, as `nstat -az` lists the kernel's: Ip, Icmp, IcmpMsg (only the
   * types seen, as /proc/net/snmp prints them), Udp, then IpExt.
   */
  snapshot(): [string, number][] {
    const out: [string, number][] = [];
    for (const n of IP_COUNTERS) out.push([n, this.get(n)]);
    for (const n of ICMP_COUNTERS) out.push([n, this.get(n)]);
    for (const t of [...this.#icmpIn.keys()].sort((a, b) => a - b)) {
      out.push([`IcmpMsgInType${t}`, this.#icmpIn.get(t)!]);
    }
    for (const t of [...this.#icmpOut.keys()].sort((a, b) => a - b)) {
      out.push([`IcmpMsgOutType${t}`, this.#icmpOut.get(t)!]);
    }
    for (const n of UDP_COUNTERS) out.push([n, this.get(n)]);
    for (const n of IPEXT_COUNTERS) out.push([n, this.get(n)]);
    return out;
  }
}

/**
 * The counters SnmpCounters keeps directly, all 0. An object given its 52
 * properties one by one becomes a hash table in V8 ("dictionary mode"), and
 * every count a hash lookup; a copy made by spreading it has a fixed layout
 * (as tcp/counters.ts does).
 */
function zeroCounters(): Record<HostCounter, number> {
  const v: Partial<Record<HostCounter, number>> = {};
  for (const n of IP_COUNTERS) v[n] = 0;
  for (const n of DIRECT_ICMP_COUNTERS) v[n] = 0;
  for (const n of UDP_COUNTERS) v[n] = 0;
  for (const n of IPEXT_COUNTERS) v[n] = 0;
  return { ...v } as Record<HostCounter, number>;
}

const DIRECT_ICMP_COUNTERS: readonly IcmpCounter[] = [
  'IcmpInMsgs',
  'IcmpInErrors',
  'IcmpInCsumErrors',
  'IcmpOutMsgs',
  'IcmpOutErrors',
  'IcmpOutRateLimitGlobal',
  'IcmpOutRateLimitHost',
];

/**
 * Why the host dropped a packet: Linux's skb_drop_reason names
 * (include/net/dropreason-core.h, without the SKB_DROP_REASON_ prefix), as
 * `perf trace -e skb:kfree_skb` and dropwatch print them.
 */
export type HostDropReason =
  /** ip_rcv_core: a frame for another host's MAC, seen in promiscuous mode. */
  | 'OTHERHOST'
  /** Shorter than its header, or than its own length field says. */
  | 'PKT_TOO_SMALL'
  /** Larger than the MTU (a received frame past the device's MTU; a forwarded DF packet). */
  | 'PKT_TOO_BIG'
  /** ip_rcv_core: bad IP header checksum. */
  | 'IP_CSUM'
  /** ip_rcv_core: bad version, IHL or length; ip_forward: TTL expired. */
  | 'IP_INHDR'
  /** ip_route_input_slow: martian source (multicast, broadcast, 0.0.0.0/8, loopback, own). */
  | 'IP_INVALID_SOURCE'
  /** ip_route_input_slow: martian destination (0.0.0.0/8, loopback from outside). */
  | 'IP_INVALID_DEST'
  /** ip_error: not for this host, which does not forward (IpInAddrErrors). */
  | 'IP_INADDRERRORS'
  /** ip_error: no route to forward it (IpExtInNoRoutes). */
  | 'IP_INNOROUTES'
  /** ip_local_deliver_finish: no handler for the protocol (IpInUnknownProtos). */
  | 'IP_NOPROTO'
  /** ip_queue_xmit / ip_route_output: no route to the destination (IpOutNoRoutes). */
  | 'IP_OUTNOROUTES'
  /** __udp4_lib_rcv: no socket bound to the port. */
  | 'NO_SOCKET'
  | 'UDP_CSUM'
  | 'ICMP_CSUM'
  /** A socket's receive buffer is full. */
  | 'SOCKET_RCVBUFF'
  /** __netif_receive_skb_core: an EtherType nobody handles; icmp_rcv: an unknown ICMP type. */
  | 'UNHANDLED_PROTO'
  /** icmp_rcv: a type the host ignores when sent to a broadcast or multicast address. */
  | 'INVALID_PROTO'
  /** __neigh_event_send / neigh_invalidate: the neighbour could not be resolved. */
  | 'NEIGH_FAILED'
  /** __neigh_event_send: the oldest packet waiting for resolution, pushed out. */
  | 'NEIGH_QUEUEFULL'
  /** neigh_alloc: the neighbour table is full (gc_thresh3). */
  | 'NEIGH_CREATEFAIL'
  /** A netfilter hook said DROP. */
  | 'NETFILTER_DROP'
  /** The device is down or not attached to a link. */
  | 'DEV_READY'
  /**
   * A fragment: tcplab does not reassemble (DEVIATION: Linux queues it and drops
   * it with this reason when `ipfrag_time` runs out without the other pieces).
   */
  | 'FRAG_REASM_TIMEOUT'
  /** Anything else (a multicast datagram for a group the host did not join). */
  | 'NOT_SPECIFIED';

/** One dropped packet. */
export interface DropRecord {
  readonly time: Time;
  readonly reason: HostDropReason;
  /** The Linux function that dropped it, for the curious: `ip_rcv_core`. */
  readonly where: string;
  /** The interface it came in on or was going out of, if any. */
  readonly ifname: string | undefined;
  /** The bytes dropped: a frame or an IP datagram. */
  readonly bytes: Uint8Array;
}

/** The most recent drops kept in the log; counts per reason are never lost. */
export const DROP_LOG_SIZE = 4096;

/**
 * Every drop of a host: counts per reason, the most recent records, and observers.
 * The records are a ring of parallel arrays, filled in place: a host dropping
 * every packet of a flood makes no object per drop (a record is built when it is
 * read, or for an observer).
 */
export class DropLog {
  readonly #counts = new Map<HostDropReason, number>();
  readonly #time: Time[] = [];
  readonly #reason: HostDropReason[] = [];
  readonly #where: string[] = [];
  readonly #ifname: (string | undefined)[] = [];
  readonly #bytes: Uint8Array[] = [];
  /** The dropped bytes are `#bytes[i]` from `#start[i]` to `#end[i]` (a view made when read). */
  readonly #start: number[] = [];
  readonly #end: number[] = [];
  /** Where the next record goes once the ring is full (its oldest). */
  #head = 0;
  #total = 0;
  /** Called for every drop (tracing only; must not call back into the host). */
  observer: ((d: DropRecord) => void) | undefined;

  record(d: DropRecord): void {
    this.add(d.time, d.reason, d.where, d.ifname, d.bytes);
  }

  /**
   * record() without a DropRecord to build; the bytes dropped are
   * `bytes[start, end)` (a datagram read in place in its frame: no view of it is
   * made unless the record is read).
   */
  add(
    time: Time,
    reason: HostDropReason,
    where: string,
    ifname: string | undefined,
    bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    this.#total++;
    if (this.#time.length < DROP_LOG_SIZE) {
      this.#time.push(time);
      this.#reason.push(reason);
      this.#where.push(where);
      this.#ifname.push(ifname);
      this.#bytes.push(bytes);
      this.#start.push(start);
      this.#end.push(end);
    } else {
      const i = this.#head;
      this.#time[i] = time;
      this.#reason[i] = reason;
      this.#where[i] = where;
      this.#ifname[i] = ifname;
      this.#bytes[i] = bytes;
      this.#start[i] = start;
      this.#end[i] = end;
      this.#head = i + 1 === DROP_LOG_SIZE ? 0 : i + 1;
    }
    const o = this.observer;
    if (o !== undefined) o({ time, reason, where, ifname, bytes: slice(bytes, start, end) });
  }

  /** Drops with `reason` so far. */
  count(reason: HostDropReason): number {
    return this.#counts.get(reason) ?? 0;
  }

  get total(): number {
    return this.#total;
  }

  /** The most recent records, oldest first (at most DROP_LOG_SIZE). */
  get records(): readonly DropRecord[] {
    const n = this.#time.length;
    const out: DropRecord[] = [];
    for (let k = 0; k < n; k++) {
      const i = (this.#head + k) % n;
      out.push({
        time: this.#time[i]!,
        reason: this.#reason[i]!,
        where: this.#where[i]!,
        ifname: this.#ifname[i],
        bytes: slice(this.#bytes[i]!, this.#start[i]!, this.#end[i]!),
      });
    }
    return out;
  }

  /** Counts per reason, reasons sorted. */
  counts(): [HostDropReason, number][] {
    return [...this.#counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
}

/** `bytes[start, end)`: `bytes` itself when that is all of it. */
function slice(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return start === 0 && end === bytes.length ? bytes : view(bytes, start, end);
}
