/**
 * Capture taps: every frame an interface sends or receives is offered to the
 * host's taps, as a Linux packet socket sees it (dev_queue_xmit_nit for frames
 * sent, __netif_receive_skb_core for frames received): the whole frame, the
 * interface's index and name, the direction, the packet type and the time.
 *
 * Two taps write capture files:
 * - `PcapngTap` one pcapng file for any number of hosts, one interface (IDB)
 *   per host interface named `HOST:IFACE` (`client:eth0`), Ethernet link type;
 * - `AnySll2Tap` what `tcpdump -i any` records on one host: Linux cooked v2
 *   (SLL2) headers carrying the interface index and the direction.
 *
 * Loopback frames are Ethernet frames with zero addresses, as Linux's lo makes
 * them; an `any` capture shows them with the loopback device type (ARPHRD 772).
 */

import {
  LINUX_SLL_BROADCAST,
  LINUX_SLL_HOST,
  LINUX_SLL_MULTICAST,
  LINUX_SLL_OTHERHOST,
  LINUX_SLL_OUTGOING,
  sll2Record,
} from '../capture/linktypes.js';
import { writePcap } from '../capture/pcap.js';
import { PcapngWriter } from '../capture/pcapng.js';
import {
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL2,
  type TsPrecision,
} from '../capture/record.js';
import type { Time } from '../sim/time.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import type { Parsed } from '../wire/parsed.js';
import type { Host } from './host.js';
import { ARPHRD_LOOPBACK } from './interface.js';
import type { PacketType } from './protocol.js';

export type TapDirection = 'In' | 'Out';

/** A frame seen on an interface. */
export interface TapPacket {
  readonly time: Time;
  readonly host: string;
  readonly ifindex: number;
  readonly ifname: string;
  /** ARPHRD_ETHER (1) or ARPHRD_LOOPBACK (772). */
  readonly arphrd: number;
  readonly direction: TapDirection;
  readonly pktType: PacketType;
  /** The whole frame, Ethernet header included. Taps must not modify it. */
  readonly frame: Uint8Array;
}

export type Tap = (p: TapPacket) => void;

/** libpcap MAXIMUM_SNAPLEN, what tcpdump captures by default. */
const SNAPLEN = 262_144;
const NS_PER_S = 1_000_000_000;

/** The LINUX_SLL_* packet type of a PacketType (pcap/sll.h). */
export function sllPacketType(t: PacketType): number {
  switch (t) {
    case 'host':
      return LINUX_SLL_HOST;
    case 'broadcast':
      return LINUX_SLL_BROADCAST;
    case 'multicast':
      return LINUX_SLL_MULTICAST;
    case 'otherhost':
      return LINUX_SLL_OTHERHOST;
    case 'outgoing':
      return LINUX_SLL_OUTGOING;
  }
}

export interface CaptureTimeOptions {
  /** The wall-clock instant virtual time 0 stands for, in ns since the epoch. Default 0. */
  readonly epochNs?: number;
  /** Timestamp resolution written. Default `micro`, as tcpdump writes. */
  readonly precision?: TsPrecision;
}

function timestamp(
  t: Time,
  o: CaptureTimeOptions,
): { sec: number; frac: number; precision: TsPrecision } {
  const ns = (o.epochNs ?? 0) + t;
  const sec = Math.floor(ns / NS_PER_S);
  const sub = ns - sec * NS_PER_S;
  const precision = o.precision ?? 'micro';
  return { sec, frac: precision === 'nano' ? sub : Math.floor(sub / 1000), precision };
}

/**
 * A tapped frame as the SLL2 record `tcpdump -i any` gets for it: the packet
 * type and device index from the tap; a loopback frame carries its IPv4
 * datagram (no Ethernet header), as Linux's lo does. An error for a frame
 * shorter than an Ethernet header.
 */
export function tapSll2Record(
  p: TapPacket,
  ts: { sec: number; frac: number; precision: TsPrecision },
): Parsed<CaptureRecord> {
  const common = { ...ts, interfaceIndex: p.ifindex, packetType: sllPacketType(p.pktType) };
  return p.arphrd === ARPHRD_LOOPBACK
    ? sll2Record({
        ...common,
        kind: 'ipv4',
        bytes: p.frame.subarray(ETHERNET_HEADER_LEN),
        arphrdType: ARPHRD_LOOPBACK,
      })
    : sll2Record({ ...common, kind: 'ethernet', bytes: p.frame });
}

/** A pcapng capture of any number of hosts, one IDB per interface named `HOST:IFACE`. */
export class PcapngTap {
  readonly #writer: PcapngWriter;
  readonly #options: CaptureTimeOptions;
  readonly #ids = new Map<string, number>();

  constructor(options: CaptureTimeOptions = {}) {
    this.#options = options;
    this.#writer = new PcapngWriter([], { precision: options.precision ?? 'micro' });
  }

  /**
   * Records every frame of `host` from now on (only interfaces `filter` accepts,
   * if given). Each interface gets its IDB now, or when it first sends.
   */
  attach(host: Host, filter?: (ifname: string) => boolean): () => void {
    for (const iface of host.interfaces) {
      if (filter === undefined || filter(iface.name)) this.#idb(host.name, iface.name);
    }
    return host.addTap((p) => {
      if (filter !== undefined && !filter(p.ifname)) return;
      const ts = timestamp(p.time, this.#options);
      this.#writer.append({
        ...ts,
        data: p.frame,
        origLen: p.frame.length,
        ifIndex: this.#idb(p.host, p.ifname),
      });
    });
  }

  /** Packets recorded so far. */
  get records(): number {
    return this.#writer.records;
  }

  /** The file. No packets can be added afterwards. */
  finish(): Uint8Array {
    return this.#writer.finish();
  }

  #idb(host: string, ifname: string): number {
    const name = `${host}:${ifname}`;
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#writer.addInterface({ linkType: LINKTYPE_ETHERNET, snaplen: SNAPLEN, name });
      this.#ids.set(name, id);
    }
    return id;
  }
}

/** `tcpdump -i any` on one host: SLL2 records (LINKTYPE_LINUX_SLL2). */
export class AnySll2Tap {
  readonly records: CaptureRecord[] = [];
  readonly #options: CaptureTimeOptions;

  constructor(options: CaptureTimeOptions = {}) {
    this.#options = options;
  }

  attach(host: Host): () => void {
    return host.addTap((p) => {
      const rec = tapSll2Record(p, timestamp(p.time, this.#options));
      // A frame shorter than an Ethernet header cannot be recorded as SLL2; the
      // host never sends one, and drops one it receives before the taps.
      if (rec.ok) this.records.push(rec.value);
    });
  }

  /** A classic pcap file of the records, as `tcpdump -i any -w` writes it. */
  toPcap(): Uint8Array {
    return writePcap(this.records, {
      linkType: LINKTYPE_LINUX_SLL2,
      precision: this.#options.precision ?? 'micro',
    });
  }
}
