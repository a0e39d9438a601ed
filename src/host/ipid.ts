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
 * net/ipv4/route.c ip_idents_reserve: "if one generator is seldom used", a
 * random perturbation of up to the jiffies since its last use is added.
 * DEVIATION(linux): Linux hashes (daddr, saddr, protocol) with a secret key
 * into 2048+ shared buckets; tcplab keeps one generator per triple, so two flows
 * never share one.
 */
export class IpIdents {
  readonly #random: Random;
  readonly #buckets = new Map<string, { id: number; stamp: number }>();

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
    const key = `${dst}/${src}/${protocol}`;
    let b = this.#buckets.get(key);
    if (b === undefined) {
      // ip_rt_init fills ip_idents with random bytes; ip_tstamps starts at 0.
      b = { id: this.#random.uint32(), stamp: 0 };
      this.#buckets.set(key, b);
    }
    let delta = 0;
    if (b.stamp !== nowJiffies) {
      const idle = (nowJiffies - b.stamp) >>> 0;
      b.stamp = nowJiffies;
      // get_random_u32_below(now - old).
      if (idle > 0) delta = this.#random.int(0, idle - 1);
    }
    b.id = (b.id + segs + delta) >>> 0;
    return (b.id - segs) & 0xffff;
  }
}

/**
 * A connected socket's own counter (inet->inet_id), starting at a random 16-bit
 * value (get_random_u16). The transport that owns the socket keeps one and hands
 * its values to the IP layer.
 */
export class SocketIpId {
  #next: number;

  constructor(random: Random) {
    this.#next = random.int(0, 0xffff);
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
