/**
 * The IPv4 Identification field as Linux chooses it (include/net/ip.h
 * ip_select_ident_segs, net/ipv4/route.c __ip_select_ident):
 * - a connected socket numbers its packets itself, from a random start
 *   (`inet_id`, set by tcp_v4_connect, tcp_v4_syn_recv_sock and
 *   __ip4_datagram_connect): the reference traces show the client's SYN, ACK and
 *   FIN with ids 19541, 19542, 19543, and the server's connection starting at
 *   19876 after a SYN-ACK with id 0 (`SocketIpId`);
 * - otherwise a packet with DF gets id 0 (the RST of a closed port and the SYN-ACK
 *   of a request sock in the traces: "id 0, DF");
 * - otherwise (no DF: ICMP errors, echo replies) the id comes from a generator
 *   per (destination, source, protocol) that adds a random jump when it was idle
 *   (`IpIdents`), which looks random: the ICMP port unreachable of reject-icmp has
 *   id 57569.
 */

import type { Random } from '../sim/random.js';
import type { Ipv4Address } from '../wire/address.js';

/**
 * How many generators a host has: Linux sizes ip_idents by memory
 * (alloc_large_system_hash in ip_rt_init), 2048 at the least; tcplab takes that
 * least, so that a flood from spoofed sources costs no memory here.
 */
export const IP_IDENTS_BUCKETS = 2048;

/**
 * The generators of net/ipv4/route.c __ip_select_ident and ip_idents_reserve: a
 * fixed table of IP_IDENTS_BUCKETS (id, stamp) pairs; (destination, source,
 * protocol) picks one, and flows that hash alike share it, as in Linux. "If one
 * generator is seldom used", a random perturbation of up to the jiffies since its
 * last use is added.
 * DEVIATION(linux): Linux hashes with siphash under a per-namespace random key;
 * tcplab mixes the three with a fixed function (deterministic runs). ip_rt_init
 * fills ip_idents with random bytes at boot; tcplab draws a bucket's start the
 * first time it is used.
 */
export class IpIdents {
  readonly #random: Random;
  /** ip_idents, ip_tstamps, and which buckets have drawn their start; made at first use. */
  #table: { ids: Uint32Array; stamps: Float64Array; drawn: Uint8Array } | undefined;

  constructor(random: Random) {
    this.#random = random;
  }

  /** Reserves `segs` ids at jiffy `now`; returns the first (16 bits). */
  reserve(
    nowJiffies: number,
    dst: Ipv4Address,
    src: Ipv4Address,
    protocol: number,
    segs = 1,
  ): number {
    if (this.#table === undefined) {
      this.#table = {
        ids: new Uint32Array(IP_IDENTS_BUCKETS),
        stamps: new Float64Array(IP_IDENTS_BUCKETS),
        drawn: new Uint8Array(IP_IDENTS_BUCKETS),
      };
    }
    const { ids, stamps, drawn } = this.#table;
    const bucket = ipIdentsBucket(dst, src, protocol);
    if (drawn[bucket] === 0) {
      drawn[bucket] = 1;
      ids[bucket] = this.#random.uint32();
    }
    let delta = 0;
    const old = stamps[bucket]!;
    if (old !== nowJiffies) {
      const idle = (nowJiffies - old) >>> 0;
      stamps[bucket] = nowJiffies;
      // get_random_u32_below(now - old).
      if (idle > 0) delta = this.#random.int(0, idle - 1);
    }
    const id = (ids[bucket]! + segs + delta) >>> 0;
    ids[bucket] = id;
    return (id - segs) & 0xffff;
  }
}

/**
 * The generator of (daddr, saddr, protocol): a 32-bit mix of the three, as
 * siphash_3u32 (without its key) spreads them, "& ip_idents_mask".
 */
export function ipIdentsBucket(dst: Ipv4Address, src: Ipv4Address, protocol: number): number {
  let h = Math.imul(dst ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ src, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ protocol, 0x85ebca6b);
  return (h ^ (h >>> 15)) & (IP_IDENTS_BUCKETS - 1);
}

/** inet_id's random start (get_random_u16). */
export function drawSocketIpId(random: Random): number {
  return random.int(0, 0xffff);
}

/**
 * A connected socket's own counter (inet->inet_id), starting at a random 16-bit
 * value (get_random_u16). The transport that owns the socket keeps one and hands
 * its values to the IP layer. TCP keeps the same counter as a number in its
 * sock (host/tcp.ts TcpSock.nextIpId), no object per connection.
 */
export class SocketIpId {
  #next: number;

  constructor(random: Random) {
    this.#next = drawSocketIpId(random);
  }

  /** The value the next packet will carry under TCP's rule. */
  get current(): number {
    return this.#next;
  }

  /**
   * TCP: the id is the counter, then the counter moves on by `segs` (ip.h: "avoid
   * atomic operations for TCP": val = inet_id; inet_id = val + segs).
   */
  nextTcp(segs = 1): number {
    const id = this.#next;
    this.#next = (this.#next + segs) & 0xffff;
    return id;
  }

  /** Other protocols: atomic_add_return, so the id is the counter after the increment. */
  nextDatagram(segs = 1): number {
    this.#next = (this.#next + segs) & 0xffff;
    return this.#next;
  }
}
