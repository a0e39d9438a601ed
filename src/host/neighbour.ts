/**
 * The neighbour cache (Linux's `arp_tbl`, net/core/neighbour.c): which MAC
 * address an on-link IPv4 address has, how sure the host is of it, and the
 * packets waiting until it knows. Read net/core/neighbour.c (__neigh_event_send,
 * __neigh_update, neigh_timer_handler) and Documentation/networking/ip-sysctl.rst
 * ("neigh/default/*") first; the states and their timing are Linux's, on kernel
 * timers (jiffies.ts):
 *
 * - NONE → INCOMPLETE when a packet needs the address: the packet waits in the
 *   entry's queue (at most `unres_qlen_bytes`), a broadcast ARP request leaves at
 *   once and again every `retrans_time_ms`; after `mcast_solicit` requests without
 *   an answer the entry is FAILED and every waiting packet is reported
 *   unreachable (ICMP host unreachable, to a local sender too).
 * - a reply makes it REACHABLE for the device's `reachable_time`, a random value
 *   in [½, 1½) × `base_reachable_time_ms`, redrawn every 300 s;
 * - then STALE, or DELAY if it was used in the last `delay_first_probe_time`;
 *   a packet sent while STALE moves it to DELAY (and goes out);
 * - DELAY → REACHABLE if the upper layer confirmed reachability meanwhile (TCP
 *   does, when an ACK makes progress), else PROBE: `ucast_solicit` unicast
 *   requests `retrans_time_ms` apart, then FAILED.
 * - an ARP request for one of the host's addresses creates or refreshes the
 *   sender's entry as STALE (neigh_event_ns), which is how the server in the
 *   reference traces answers the client's SYN without asking who has it.
 *
 * The table is the host's (Linux keeps one per protocol; entries are per device
 * and address); the parameters are per device, with the `default` set that new
 * devices copy, as net.ipv4.neigh.default.* and net.ipv4.neigh.eth0.* are.
 */

import type { EventQueue, Timer } from '../sim/events.js';
import { HZ, jiffies, jiffyTime, kernelTimerFireTime } from '../sim/jiffies.js';
import type { Random } from '../sim/random.js';
import type { Time } from '../sim/time.js';
import type { Ipv4Address, MacAddress } from '../wire/address.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, emitEthernetHeader } from '../wire/ethernet.js';
import type { HostDropReason } from './counters.js';
import type { NetInterface } from './interface.js';
import type { SysctlTable, SysctlValue } from './sysctl.js';

/** NUD_* states (include/uapi/linux/neighbour.h), as `ip neigh` prints them. */
export type NudState =
  | 'NONE'
  | 'INCOMPLETE'
  | 'REACHABLE'
  | 'STALE'
  | 'DELAY'
  | 'PROBE'
  | 'FAILED'
  | 'NOARP'
  | 'PERMANENT';

// The state groups of include/net/neighbour.h.
const NUD_IN_TIMER: ReadonlySet<NudState> = new Set(['INCOMPLETE', 'REACHABLE', 'DELAY', 'PROBE']);
const NUD_VALID: ReadonlySet<NudState> = new Set([
  'PERMANENT',
  'NOARP',
  'REACHABLE',
  'PROBE',
  'STALE',
  'DELAY',
]);
const NUD_CONNECTED: ReadonlySet<NudState> = new Set(['PERMANENT', 'NOARP', 'REACHABLE']);

/** NUD_CONNECTED.has(s), asked for every packet sent: three comparisons, not a set lookup. */
function nudConnected(s: NudState): boolean {
  return s === 'REACHABLE' || s === 'PERMANENT' || s === 'NOARP';
}

export function nudValid(s: NudState): boolean {
  return NUD_VALID.has(s);
}

/**
 * Linux SKB_TRUESIZE(X): X plus the aligned sizes of struct sk_buff (256) and
 * struct skb_shared_info (320) on x86-64; the queue limit counts packets by it.
 * DEVIATION(linux): a real skb's data area is rounded up by the allocator, so
 * its truesize is a little larger; this is the figure the kernel uses to derive
 * `unres_qlen` (101) from `unres_qlen_bytes`.
 */
export function skbTruesize(len: number): number {
  return len + 576;
}

/** Linux ETH_FRAME_LEN, the frame size unres_qlen is counted in. */
const ETH_FRAME_LEN = 1514;

/** A packet waiting for its next hop's MAC address: an IPv4 datagram. */
export interface NeighbourPacket {
  readonly datagram: Uint8Array;
  readonly truesize: number;
  /**
   * The buffer `datagram` was built in, with room for the link-layer header
   * before it (an skb's headroom): `datagram` is its view from byte 14. The
   * device writes its header there instead of copying the datagram.
   */
  readonly frame?: Uint8Array | undefined;
}

/** One neighbour: an on-link address on a device. */
export class Neighbour {
  readonly dev: NetInterface;
  readonly key: Ipv4Address;
  state: NudState = 'NONE';
  /** The hardware address, once known (or broadcast for NOARP). */
  ha: MacAddress = 0;
  /** Jiffies of the last reachability confirmation. */
  confirmed: number;
  /** Jiffies of the last state or address change. */
  updated: number;
  /** Jiffies of the last use on the slow path (neigh_event_send). */
  used: number;
  /** Solicitations sent in this round (Linux's `probes`). */
  probes = 0;
  readonly queue: NeighbourPacket[] = [];
  queueBytes = 0;
  /** Whether the entry is held by something other than the table (a pending timer). */
  readonly timer: Timer;
  /**
   * The Ethernet header of an IPv4 frame to `ha` from the device (Linux's
   * hh_cache, which neigh_hh_output copies in front of each packet), and the
   * `ha` it was made for: made again when the address changes.
   */
  #hh: Uint8Array | undefined = undefined;
  #hhFor: MacAddress = -1;

  constructor(dev: NetInterface, key: Ipv4Address, j: number, timer: Timer, baseReachable: number) {
    this.dev = dev;
    this.key = key;
    // ___neigh_create: "n->confirmed = jiffies - (BASE_REACHABLE_TIME << 1)".
    this.confirmed = j - 2 * baseReachable;
    this.updated = j;
    this.used = j;
    this.timer = timer;
  }

  /**
   * Writes the Ethernet header of an IPv4 frame to `ha` into `frame[0, 14)`
   * (neigh_hh_output): a copy of the cached header, rather than the two 48-bit
   * addresses written out for every frame.
   */
  writeHardHeader(frame: Uint8Array): void {
    let hh = this.#hh;
    if (hh === undefined || this.#hhFor !== this.ha) {
      hh = new Uint8Array(ETHERNET_HEADER_LEN);
      emitEthernetHeader(hh, this.ha, this.dev.mac, ETHERTYPE_IPV4);
      this.#hh = hh;
      this.#hhFor = this.ha;
    }
    for (let i = 0; i < ETHERNET_HEADER_LEN; i++) frame[i] = hh[i]!;
  }
}

/**
 * The per-device variables of struct neigh_parms that the cache reads, under their
 * sysctl names, with arp_tbl's defaults (net/ipv4/arp.c) and the handler of each
 * (net/core/neighbour.c neigh_sysctl_template).
 */
export const NEIGH_VARS = {
  mcast_solicit: { kind: 'count', default: 3 },
  ucast_solicit: { kind: 'count', default: 3 },
  app_solicit: { kind: 'count', default: 0 },
  mcast_resolicit: { kind: 'count', default: 0 },
  retrans_time_ms: { kind: 'ms_jiffies', default: 1000 },
  base_reachable_time_ms: { kind: 'ms_jiffies', default: 30_000 },
  delay_first_probe_time: { kind: 'jiffies', default: 5 },
  gc_stale_time: { kind: 'jiffies', default: 60 },
  locktime: { kind: 'userhz_jiffies', default: 100 },
  // SK_WMEM_DEFAULT (include/net/sock.h: 256 packets of SKB_TRUESIZE(256) = 212992).
  unres_qlen_bytes: { kind: 'count', default: 212_992 },
} as const;

export type NeighVar = keyof typeof NEIGH_VARS;

/** Linux struct neigh_parms: one set per device, plus the table's default set. */
export class NeighParms {
  /** Values as the kernel keeps them: counts, bytes, jiffies. */
  readonly data: Record<NeighVar, number>;
  /** Variables set on this device itself (Linux's data_state bits): the default no longer reaches them. */
  readonly explicit = new Set<NeighVar>();
  /** The randomized reachable time, jiffies (neigh_rand_reach_time). */
  reachableTime = 0;
  readonly dev: NetInterface | undefined;

  constructor(dev: NetInterface | undefined, from: NeighParms | undefined) {
    this.dev = dev;
    if (from !== undefined) this.data = { ...from.data };
    else {
      const d = {} as Record<NeighVar, number>;
      for (const [k, v] of Object.entries(NEIGH_VARS) as [
        NeighVar,
        (typeof NEIGH_VARS)[NeighVar],
      ][]) {
        d[k] = toKernel(v.kind, v.default);
      }
      this.data = d;
    }
  }
}

function toKernel(kind: string, shown: number): number {
  switch (kind) {
    case 'ms_jiffies':
      return Math.ceil((shown * HZ) / 1000);
    case 'jiffies':
      return shown * HZ;
    case 'userhz_jiffies':
      return Math.floor((shown * HZ) / 100);
    default:
      return shown;
  }
}

/** Linux neigh_rand_reach_time: uniform in [base/2, 3·base/2) jiffies. */
function randReachTime(random: Random, base: number): number {
  return base > 0 ? random.int(0, base - 1) + (base >> 1) : 0;
}

/** What the cache needs from its host. */
export interface NeighbourHost {
  readonly events: EventQueue;
  readonly timerWheel: boolean;
  /** arp_solicit: send a request for `n` (broadcast, or unicast once `probes` say so). */
  solicit(now: Time, n: Neighbour, lastQueued: NeighbourPacket | undefined): void;
  /** dev_hard_header + dev_queue_xmit: frame `pkt` to `n.ha` and send it. */
  transmit(now: Time, n: Neighbour, pkt: NeighbourPacket): void;
  /** arp_error_report: the packet cannot be delivered (ICMP host unreachable to its source). */
  errorReport(now: Time, n: Neighbour, pkt: NeighbourPacket): void;
  drop(
    now: Time,
    reason: HostDropReason,
    where: string,
    dev: NetInterface,
    bytes: Uint8Array,
  ): void;
  /** The route type of `addr` as seen from `dev` (arp_constructor's inet_addr_type_dev_table). */
  addressType(
    dev: NetInterface,
    addr: Ipv4Address,
  ): 'unicast' | 'local' | 'broadcast' | 'multicast';
}

/** Flags of __neigh_update (include/net/neighbour.h NEIGH_UPDATE_F_*). */
export interface NeighUpdateFlags {
  /** Replace a different known address. */
  readonly override?: boolean;
  /** An administrative change (`ip neigh replace`): may touch PERMANENT/NOARP. */
  readonly admin?: boolean;
}

/** The host's ARP table. */
export class NeighbourTable {
  readonly #host: NeighbourHost;
  readonly #random: Random;
  readonly #entries = new Map<number, Neighbour>();
  /** The entry lookup() found last (one the table holds), and its key; no device, none. */
  #last: Neighbour | undefined = undefined;
  #lastDev: NetInterface | undefined = undefined;
  #lastKey: Ipv4Address = 0;
  /** The `default` parameters (tbl->parms), copied by new devices. */
  readonly defaults: NeighParms;
  readonly #parms = new Map<NetInterface, NeighParms>();
  /** In Linux's parms_list order: the default first, then devices newest first. */
  readonly #parmsList: NeighParms[] = [];
  // arp_tbl's table-wide settings (net/ipv4/arp.c): gc_thresh1/2/3, gc_interval.
  gcThresh1 = 128;
  gcThresh2 = 512;
  gcThresh3 = 1024;
  /** tbl->last_flush: jiffies of the last forced garbage collection. */
  #lastFlush = 0;
  /** tbl->last_rand: jiffies reachable times were last redrawn. */
  #lastRand = 0;
  /** Jiffies of the next run of neigh_periodic_work, emulated lazily. */
  #nextWork: number;

  constructor(host: NeighbourHost, random: Random) {
    this.#host = host;
    this.#random = random;
    this.defaults = new NeighParms(undefined, undefined);
    this.defaults.reachableTime = randReachTime(random, this.defaults.data.base_reachable_time_ms);
    this.#parmsList.push(this.defaults);
    // neigh_table_init: the periodic work first runs reachable_time after init.
    this.#nextWork = this.#workFire(0, this.defaults.reachableTime);
  }

  /** The parameters of `dev` (made by `addDevice`). */
  parms(dev: NetInterface): NeighParms {
    const p = this.#parms.get(dev);
    if (p === undefined) throw new Error(`no neighbour parameters for ${dev.name}`);
    return p;
  }

  /** neigh_parms_alloc: `dev` gets a copy of the defaults and its own reachable time. */
  addDevice(dev: NetInterface): NeighParms {
    const p = new NeighParms(dev, this.defaults);
    p.reachableTime = randReachTime(this.#random, p.data.base_reachable_time_ms);
    this.#parms.set(dev, p);
    this.#parmsList.splice(1, 0, p);
    return p;
  }

  /** Every entry, in the order they were made (`ip neigh show`). */
  get entries(): readonly Neighbour[] {
    return [...this.#entries.values()];
  }

  lookup(dev: NetInterface, key: Ipv4Address): Neighbour | undefined {
    // The entry found last, while the table still holds it: a host mostly sends
    // to the next hop it sent to last, and the table's key (a number past 2^32)
    // is a heap number hashed per lookup.
    if (this.#lastKey === key && this.#lastDev === dev) return this.#last;
    const n = this.#entries.get(entryKey(dev, key));
    if (n !== undefined) {
      this.#lastDev = dev;
      this.#lastKey = key;
      this.#last = n;
    }
    return n;
  }

  /**
   * __neigh_lookup(…, creat): the entry, made if missing (arp_constructor decides
   * NOARP for broadcast and multicast). Undefined when the table is full.
   */
  lookupOrCreate(now: Time, dev: NetInterface, key: Ipv4Address): Neighbour | undefined {
    const existing = this.lookup(dev, key);
    if (existing !== undefined) return existing;
    const j = jiffies(now);
    this.#advance(j);
    if (!this.#roomForOne(j)) return undefined;
    const p = this.parms(dev);
    const n: Neighbour = new Neighbour(
      dev,
      key,
      j,
      this.#host.events.timer((t) => this.#timerHandler(t, n)),
      p.data.base_reachable_time_ms,
    );
    // arp_constructor (net/ipv4/arp.c).
    const type = this.#host.addressType(dev, key);
    if (dev.kind === 'loopback') {
      n.state = 'NOARP';
      n.ha = dev.mac;
    } else if (type === 'broadcast') {
      n.state = 'NOARP';
      n.ha = 0xffff_ffff_ffff;
    } else if (type === 'multicast') {
      n.state = 'NOARP';
      n.ha = ipv4MulticastMac(key);
    }
    this.#entries.set(entryKey(dev, key), n);
    return n;
  }

  /**
   * neigh_output for a packet to next hop `n`: straight out when the entry is
   * connected (the fast path; `used` is not touched), else through
   * neigh_resolve_output. `confirm` is a pending confirmation from the sender
   * (sock_confirm_neigh: TCP saw forward progress).
   */
  output(now: Time, n: Neighbour, pkt: NeighbourPacket, confirm: boolean): void {
    const j = jiffies(now);
    this.#advance(j);
    // neigh_confirm: only the timestamp; the timers read it later.
    if (confirm) n.confirmed = j;
    this.#send(now, n, pkt);
  }

  /**
   * output()'s first steps for a packet not built yet: the periodic work and the
   * confirmation, then whether the packet goes out at once. True: the caller
   * sends the packet to `n.ha` itself, as `transmit` would (nothing else to do,
   * nothing queued); false: it hands the packet to output(), whose repeated
   * first steps change nothing. At once means a connected entry, or one in
   * DELAY or PROBE, which __neigh_event_send lets through after noting the use
   * (as #eventSend does, #send's way for them): a TCP peer's entry is in DELAY
   * for a few seconds every reachable time, and its segments then went the long way.
   */
  outputConnected(now: Time, n: Neighbour, confirm: boolean): boolean {
    const j = jiffies(now);
    this.#advance(j);
    if (confirm) n.confirmed = j;
    const state = n.state;
    if (nudConnected(state)) return true;
    if (state === 'DELAY' || state === 'PROBE') {
      n.used = j;
      return true;
    }
    return false;
  }

  #send(now: Time, n: Neighbour, pkt: NeighbourPacket): void {
    if (nudConnected(n.state)) {
      this.#host.transmit(now, n, pkt);
      return;
    }
    if (this.#eventSend(now, n, pkt) === 0) this.#host.transmit(now, n, pkt);
  }

  /** neigh_event_send_probe + __neigh_event_send: 0 if the packet may go now, 1 if it was queued or dropped. */
  #eventSend(now: Time, n: Neighbour, pkt: NeighbourPacket | undefined): 0 | 1 {
    const j = jiffies(now);
    const p = this.parms(n.dev).data;
    n.used = j;
    if (NUD_CONNECTED.has(n.state) || n.state === 'DELAY' || n.state === 'PROBE') return 0;
    let immediateProbe = false;
    if (n.state !== 'STALE' && n.state !== 'INCOMPLETE') {
      if (p.mcast_solicit + p.app_solicit > 0) {
        n.probes = p.ucast_solicit;
        n.timer.clear();
        n.state = 'INCOMPLETE';
        n.updated = j;
        immediateProbe = true;
        this.#addTimer(now, n, j + Math.max(p.retrans_time_ms, HZ / 100));
      } else {
        n.state = 'FAILED';
        n.updated = j;
        if (pkt !== undefined) {
          this.#host.drop(now, 'NEIGH_FAILED', '__neigh_event_send', n.dev, pkt.datagram);
        }
        return 1;
      }
    } else if (n.state === 'STALE') {
      n.timer.clear();
      n.state = 'DELAY';
      n.updated = j;
      this.#addTimer(now, n, j + p.delay_first_probe_time);
    }
    let rc: 0 | 1 = 0;
    if (n.state === 'INCOMPLETE') {
      if (pkt !== undefined) {
        // The oldest waiting packets make room (NEIGH_QUEUEFULL), then this one waits.
        while (n.queueBytes + pkt.truesize > p.unres_qlen_bytes && n.queue.length > 0) {
          const old = n.queue.shift()!;
          n.queueBytes -= old.truesize;
          this.#host.drop(now, 'NEIGH_QUEUEFULL', '__neigh_event_send', n.dev, old.datagram);
        }
        n.queue.push(pkt);
        n.queueBytes += pkt.truesize;
      }
      rc = 1;
    }
    if (immediateProbe) this.#probe(now, n);
    return rc;
  }

  /** neigh_probe: solicit with the last waiting packet (for its source address), count it. */
  #probe(now: Time, n: Neighbour): void {
    this.#host.solicit(now, n, n.queue[n.queue.length - 1]);
    n.probes++;
  }

  /**
   * __neigh_update: what an ARP packet (or `ip neigh`) says about `n`. `lladdr`
   * undefined keeps the known address.
   */
  update(
    now: Time,
    n: Neighbour,
    lladdr: MacAddress | undefined,
    next: NudState,
    flags: NeighUpdateFlags = {},
  ): void {
    const j = jiffies(now);
    this.#advance(j);
    const old = n.state;
    if (!flags.admin && (old === 'NOARP' || old === 'PERMANENT')) return;
    if (!NUD_VALID.has(next)) {
      n.timer.clear();
      n.state = next;
      if ((old === 'INCOMPLETE' || old === 'PROBE') && next === 'FAILED') this.#invalidate(now, n);
      return;
    }
    let addr: MacAddress;
    if (lladdr !== undefined) addr = lladdr;
    else {
      // "No address is supplied; if we know something, use it, otherwise discard the request."
      if (!NUD_VALID.has(old)) return;
      addr = n.ha;
    }
    const sameAddr = NUD_VALID.has(old) && addr === n.ha;
    // "Update confirmed timestamp for neighbour entry after we received ARP
    // packet even if it doesn't change IP to MAC binding."
    if (NUD_CONNECTED.has(next)) n.confirmed = j;
    if (NUD_VALID.has(old)) {
      if (!sameAddr && !flags.override) return;
      // "If entry was valid and address is not changed, do not change entry state, if new one is STALE."
      if (sameAddr && next === 'STALE' && !flags.admin) next = old;
    }
    // Linux compares pointers here: a supplied address "changes" unless the entry
    // was valid with the same one.
    const addrChanges = !sameAddr;
    if (next !== old || addrChanges) n.updated = j;
    if (next !== old) {
      n.timer.clear();
      if (next === 'PROBE') n.probes = 0;
      if (NUD_IN_TIMER.has(next)) {
        const delay = next === 'REACHABLE' ? this.parms(n.dev).reachableTime : 0;
        this.#addTimer(now, n, j + delay);
      }
      n.state = next;
    }
    if (addrChanges) {
      n.ha = addr;
      if (!NUD_CONNECTED.has(next)) {
        n.confirmed = j - 2 * this.parms(n.dev).data.base_reachable_time_ms;
      }
    }
    if (next === old) return;
    if (!NUD_VALID.has(old)) {
      // The address is known now: the waiting packets go out, through whatever
      // path the new state takes (a STALE entry moves to DELAY on the first).
      while (NUD_VALID.has(n.state) && n.queue.length > 0) {
        const pkt = n.queue.shift()!;
        n.queueBytes -= pkt.truesize;
        this.#send(now, n, pkt);
      }
      n.queue.length = 0;
      n.queueBytes = 0;
    }
  }

  /**
   * neigh_event_ns: an ARP request from `key` for one of our addresses. The
   * sender's entry is made if missing and set STALE with its address.
   */
  eventNs(
    now: Time,
    dev: NetInterface,
    key: Ipv4Address,
    lladdr: MacAddress,
  ): Neighbour | undefined {
    const n = this.lookupOrCreate(now, dev, key);
    if (n !== undefined) this.update(now, n, lladdr, 'STALE', { override: true });
    return n;
  }

  /** `ip neigh add … nud permanent`. */
  addPermanent(
    now: Time,
    dev: NetInterface,
    key: Ipv4Address,
    lladdr: MacAddress,
  ): Neighbour | undefined {
    const n = this.lookupOrCreate(now, dev, key);
    if (n !== undefined) this.update(now, n, lladdr, 'PERMANENT', { override: true, admin: true });
    return n;
  }

  /** `ip neigh flush dev …`: forgets the device's entries (waiting packets are dropped). */
  flush(now: Time, dev?: NetInterface): void {
    for (const [k, n] of this.#entries) {
      if (dev !== undefined && n.dev !== dev) continue;
      if (n.state === 'PERMANENT') continue;
      this.#remove(now, k, n);
    }
  }

  /** neigh_timer_handler. */
  #timerHandler(now: Time, n: Neighbour): void {
    const j = jiffies(now);
    this.#advance(j);
    const p = this.parms(n.dev);
    const d = p.data;
    let next = j + HZ;
    const state = n.state;
    if (!NUD_IN_TIMER.has(state)) return;
    if (state === 'REACHABLE') {
      if (j <= n.confirmed + p.reachableTime) {
        next = n.confirmed + p.reachableTime;
      } else if (j <= n.used + d.delay_first_probe_time) {
        n.state = 'DELAY';
        n.updated = j;
        next = j + d.delay_first_probe_time;
      } else {
        n.state = 'STALE';
        n.updated = j;
      }
    } else if (state === 'DELAY') {
      if (j <= n.confirmed + d.delay_first_probe_time) {
        n.state = 'REACHABLE';
        n.updated = j;
        next = n.confirmed + p.reachableTime;
      } else {
        n.state = 'PROBE';
        n.updated = j;
        n.probes = 0;
        next = j + Math.max(d.retrans_time_ms, HZ / 100);
      }
    } else {
      next = j + Math.max(d.retrans_time_ms, HZ / 100);
    }
    if ((n.state === 'INCOMPLETE' || n.state === 'PROBE') && n.probes >= this.#maxProbes(n)) {
      n.state = 'FAILED';
      n.updated = j;
      this.#invalidate(now, n);
      return;
    }
    if (NUD_IN_TIMER.has(n.state)) {
      if (next < j + HZ / 100) next = j + HZ / 100;
      this.#addTimer(now, n, next);
    }
    if (n.state === 'INCOMPLETE' || n.state === 'PROBE') this.#probe(now, n);
  }

  /** neigh_max_probes. */
  #maxProbes(n: Neighbour): number {
    const d = this.parms(n.dev).data;
    return (
      d.ucast_solicit + d.app_solicit + (n.state === 'PROBE' ? d.mcast_resolicit : d.mcast_solicit)
    );
  }

  /** neigh_invalidate: every waiting packet is reported unreachable and dropped. */
  #invalidate(now: Time, n: Neighbour): void {
    n.updated = jiffies(now);
    while (n.state === 'FAILED' && n.queue.length > 0) {
      const pkt = n.queue.shift()!;
      n.queueBytes -= pkt.truesize;
      this.#host.errorReport(now, n, pkt);
      this.#host.drop(now, 'NEIGH_FAILED', 'neigh_invalidate', n.dev, pkt.datagram);
    }
    n.queue.length = 0;
    n.queueBytes = 0;
  }

  #addTimer(now: Time, n: Neighbour, expires: number): void {
    n.timer.set(kernelTimerFireTime(now, expires, this.#host.timerWheel));
  }

  #workFire(from: number, delay: number): number {
    // queue_delayed_work arms a kernel timer: the same wheel rounding, in jiffies.
    return jiffies(kernelTimerFireTime(jiffyTime(from), from + delay, this.#host.timerWheel));
  }

  /**
   * neigh_periodic_work, run lazily: every run due by jiffy `j` is played in
   * order before the table is touched. A run redraws every device's reachable
   * time once 300 s have passed since the last draw, and, when the table holds
   * at least gc_thresh1 entries, forgets entries that are FAILED or unused for
   * gc_stale_time (entries with a pending timer are held, and stay).
   * DEVIATION(tcplab): the runs are played when the table is next used, not on
   * their own; the outcome is the same, since nothing else changes the table.
   */
  #advance(j: number): void {
    while (this.#nextWork <= j) {
      const run = this.#nextWork;
      if (run > this.#lastRand + 300 * HZ) {
        this.#lastRand = run;
        for (const p of this.#parmsList) {
          p.reachableTime = randReachTime(this.#random, p.data.base_reachable_time_ms);
        }
      }
      if (this.#entries.size >= this.gcThresh1) {
        for (const [k, n] of this.#entries) {
          if (n.state === 'PERMANENT' || NUD_IN_TIMER.has(n.state)) continue;
          if (n.used < n.confirmed && n.confirmed <= run) n.used = n.confirmed;
          const stale = this.parms(n.dev).data.gc_stale_time;
          if (n.state === 'FAILED' || !(run >= n.used && run < n.used + stale)) {
            this.#remove(jiffyTime(run), k, n);
          }
        }
      }
      this.#nextWork = this.#workFire(run, this.defaults.data.base_reachable_time_ms >> 1);
    }
  }

  /**
   * neigh_alloc: past gc_thresh3 entries (or gc_thresh2, when the last forced
   * collection is more than 5 s old) a forced collection (neigh_forced_gc) drops
   * FAILED and NOARP entries and those not updated for 5 s, unless held by a
   * timer; a table still full refuses the new entry ("neighbor table overflow!").
   */
  #roomForOne(j: number): boolean {
    const entries = this.#entries.size;
    if (entries >= this.gcThresh3 || (entries >= this.gcThresh2 && j > this.#lastFlush + 5 * HZ)) {
      const maxClean = entries - this.gcThresh2;
      let shrunk = 0;
      for (const [k, n] of this.#entries) {
        if (shrunk >= maxClean) break;
        if (n.state === 'PERMANENT' || NUD_IN_TIMER.has(n.state)) continue;
        if (
          n.state === 'FAILED' ||
          n.state === 'NOARP' ||
          !(n.updated >= j - 5 * HZ && n.updated <= j)
        ) {
          this.#remove(jiffyTime(j), k, n);
          shrunk++;
        }
      }
      this.#lastFlush = j;
      if (shrunk === 0 && entries >= this.gcThresh3) return false;
    }
    return true;
  }

  #remove(now: Time, key: number, n: Neighbour): void {
    n.timer.clear();
    for (const pkt of n.queue)
      this.#host.drop(now, 'NEIGH_FAILED', 'neigh_destroy', n.dev, pkt.datagram);
    n.queue.length = 0;
    n.queueBytes = 0;
    n.state = 'NONE';
    this.#entries.delete(key);
    if (this.#last === n) {
      this.#last = undefined;
      this.#lastDev = undefined;
    }
  }

  /** Registers net.ipv4.neigh.<dev>.* (or .default.*) into `sysctl`. */
  registerSysctls(sysctl: SysctlTable, dev: NetInterface | undefined): void {
    const p = dev === undefined ? this.defaults : this.parms(dev);
    const prefix = `net.ipv4.neigh.${dev === undefined ? 'default' : dev.name}`;
    const source = 'Linux: net/ipv4/arp.c arp_tbl, net/core/neighbour.c neigh_sysctl_template';
    for (const [name, v] of Object.entries(NEIGH_VARS) as [
      NeighVar,
      (typeof NEIGH_VARS)[NeighVar],
    ][]) {
      const kind =
        v.kind === 'count'
          ? // NEIGH_SYSCTL_ZERO_INTMAX_ENTRY: proc_dointvec_minmax within [0, INT_MAX].
            ({ type: 'int', min: 0 } as const)
          : ({ type: v.kind } as const);
      sysctl.register({
        name: `${prefix}.${name}`,
        kind,
        default: v.default,
        source,
        read: () => fromKernel(v.kind, p.data[name]),
        write: (value: SysctlValue) => {
          this.#setVar(p, name, toKernel(v.kind, value as number));
          return undefined;
        },
      });
    }
    // unres_qlen: packets, derived from unres_qlen_bytes (neigh_proc_dointvec_unres_qlen).
    sysctl.register({
      name: `${prefix}.unres_qlen`,
      kind: { type: 'int', min: 0 },
      default: Math.floor(NEIGH_VARS.unres_qlen_bytes.default / skbTruesize(ETH_FRAME_LEN)),
      source: 'Linux: net/core/neighbour.c neigh_proc_dointvec_unres_qlen',
      read: () => Math.floor(p.data.unres_qlen_bytes / skbTruesize(ETH_FRAME_LEN)),
      write: (value: SysctlValue) => {
        this.#setVar(p, 'unres_qlen_bytes', (value as number) * skbTruesize(ETH_FRAME_LEN));
        return undefined;
      },
    });
    if (dev !== undefined) return;
    const table: [string, () => number, (v: number) => void][] = [
      ['gc_thresh1', () => this.gcThresh1, (v) => (this.gcThresh1 = v)],
      ['gc_thresh2', () => this.gcThresh2, (v) => (this.gcThresh2 = v)],
      ['gc_thresh3', () => this.gcThresh3, (v) => (this.gcThresh3 = v)],
    ];
    for (const [name, read, write] of table) {
      sysctl.register({
        name: `${prefix}.${name}`,
        kind: { type: 'int' },
        default: read(),
        source: 'Linux: net/ipv4/arp.c arp_tbl (gc_thresh1 128, gc_thresh2 512, gc_thresh3 1024)',
        read,
        write: (value: SysctlValue) => {
          write(value as number);
          return undefined;
        },
      });
    }
  }

  /**
   * neigh_proc_update: the variable is now the device's own; a write to the
   * defaults reaches every device that has not set it (neigh_copy_dflt_parms).
   * A new base_reachable_time redraws the written set's reachable time at once
   * (neigh_proc_base_reachable_time); other devices wait for the next redraw.
   */
  #setVar(p: NeighParms, name: NeighVar, value: number): void {
    p.data[name] = value;
    if (p !== this.defaults) p.explicit.add(name);
    else {
      for (const other of this.#parms.values()) {
        if (!other.explicit.has(name)) other.data[name] = value;
      }
    }
    if (name === 'base_reachable_time_ms') p.reachableTime = randReachTime(this.#random, value);
  }
}

function fromKernel(kind: string, v: number): number {
  switch (kind) {
    case 'ms_jiffies':
      return (v * 1000) / HZ;
    case 'jiffies':
      return Math.trunc(v / HZ);
    case 'userhz_jiffies':
      return Math.floor((v * 100) / HZ);
    default:
      return v;
  }
}

/** The table's key: a number, not a string, so that the per-packet lookup allocates nothing. */
function entryKey(dev: NetInterface, key: Ipv4Address): number {
  return dev.index * 0x1_0000_0000 + key;
}

/** RFC 1112 6.4 (Linux ip_eth_mc_map): 01:00:5e and the low 23 bits of the group. */
export function ipv4MulticastMac(group: Ipv4Address): MacAddress {
  return 0x01005e000000 + (group & 0x7fffff);
}
