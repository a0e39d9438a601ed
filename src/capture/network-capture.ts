/**
 * A capture of a whole simulated network, for `tcplab run --pcap FILE`: every
 * frame that crossed every interface of every host, as one pcapng file with one
 * interface (IDB) per host NIC named `HOST:IFACE` (`client:eth0`, `server:lo`).
 * tcpdump 4.99 (all IDBs are Ethernet with one snaplen, which libpcap 1.10
 * requires), tshark and Wireshark read it.
 *
 * What is recorded is what a packet socket on each interface sees (src/host/
 * tap.ts): a frame sent by one host and received by another appears twice, once
 * on the sender's NIC and once on the receiver's; a frame a NIC filters out (for
 * another MAC, not promiscuous) does not appear on that NIC. A loopback frame
 * appears once on `lo`: the packet socket sees it leave and come back in, and
 * libpcap drops the outgoing copy (pcap-linux.c linux_check_direction), so
 * that is what tcpdump, tshark and Wireshark show on Linux.
 *
 * Hosts added to the network after the capture starts are captured too: the
 * network's `addHost` is wrapped for the capture's lifetime (Network has no
 * "host added" notification; the wrapper is removed by `finish`). Interfaces
 * added later to a captured host get their IDB when they first send or receive.
 *
 * Each packet block carries its direction and reception type (epb_flags), so
 * Wireshark tells the copy a sender sent from the copy a receiver received.
 *
 * Timestamps are the lab's wall clock: `epochSeconds` (default the same as
 * src/os/system.ts DEFAULT_EPOCH_SECONDS, 2026-01-01T00:00:00Z) plus virtual
 * time, computed in integer seconds and nanoseconds so that no precision is
 * lost (epoch nanoseconds do not fit a double exactly).
 */

import type { Host } from '../host/host.js';
import { ARPHRD_LOOPBACK } from '../host/interface.js';
import type { TapPacket } from '../host/tap.js';
import type { Network } from '../sim/network.js';
import { PcapngWriter } from './pcapng.js';
import { LINKTYPE_ETHERNET, type TsPrecision } from './record.js';

/** 2026-01-01T00:00:00Z, src/os/system.ts DEFAULT_EPOCH_SECONDS (a test keeps them equal). */
export const NETWORK_CAPTURE_EPOCH_SECONDS = 1_767_225_600;

/** libpcap pcap-int.h MAXIMUM_SNAPLEN: what tcpdump records by default. */
const SNAPLEN = 262_144;
const NS_PER_S = 1_000_000_000;

export interface NetworkCaptureOptions {
  /** Wall-clock seconds at virtual time 0 (the lab's epoch). */
  readonly epochSeconds?: number;
  /** Timestamp resolution of the file (if_tsresol). Default `micro`, as tcpdump writes. */
  readonly precision?: TsPrecision;
}

export interface NetworkCapture {
  /** Frames recorded so far. */
  readonly records: number;
  /** Stops capturing and returns the pcapng file. Later calls return the same bytes. */
  finish(): Uint8Array;
}

/**
 * pcapng draft 4.3.1 epb_flags of a frame: its direction, and for a received
 * one how it was addressed (Wireshark shows them as frame.packet_flags).
 */
export function epbFlags(p: TapPacket): number {
  if (p.direction === 'Out') return EPB_OUTBOUND;
  switch (p.pktType) {
    case 'broadcast':
      return EPB_INBOUND | (3 << 2);
    case 'multicast':
      return EPB_INBOUND | (2 << 2);
    case 'otherhost':
      return EPB_INBOUND | (4 << 2);
    default:
      return EPB_INBOUND | (1 << 2);
  }
}

const EPB_INBOUND = 1;
const EPB_OUTBOUND = 2;

/** Starts capturing every interface of every host of `network` (and of hosts added later). */
export function captureNetwork(
  network: Network,
  options: NetworkCaptureOptions = {},
): NetworkCapture {
  const epochSeconds = options.epochSeconds ?? NETWORK_CAPTURE_EPOCH_SECONDS;
  const precision = options.precision ?? 'micro';
  const writer = new PcapngWriter([], { precision });
  const ids = new Map<string, number>();
  const removers: (() => void)[] = [];
  const captured = new Set<Host>();
  let file: Uint8Array | undefined;

  const idb = (host: string, ifname: string): number => {
    const name = `${host}:${ifname}`;
    let id = ids.get(name);
    if (id === undefined) {
      id = writer.addInterface({ linkType: LINKTYPE_ETHERNET, snaplen: SNAPLEN, name });
      ids.set(name, id);
    }
    return id;
  };

  const record = (p: TapPacket): void => {
    if (p.direction === 'Out' && p.arphrd === ARPHRD_LOOPBACK) return;
    const sec = Math.floor(p.time / NS_PER_S);
    const sub = p.time - sec * NS_PER_S;
    writer.append({
      sec: epochSeconds + sec,
      frac: precision === 'nano' ? sub : Math.floor(sub / 1000),
      precision,
      data: p.frame,
      origLen: p.frame.length,
      ifIndex: idb(p.host, p.ifname),
      epbFlags: epbFlags(p),
    });
  };

  const attach = (host: Host): void => {
    if (captured.has(host)) return;
    captured.add(host);
    // IDBs in `ip link` order now, so that the file lists every NIC, used or not.
    for (const iface of host.interfaces) idb(host.name, iface.name);
    removers.push(host.addTap(record));
  };

  for (const host of network.hosts) attach(host);

  // Hosts added later: wrap addHost on this instance until finish().
  const original = network.addHost;
  const hadOwn = Object.hasOwn(network, 'addHost');
  const wrapped: Network['addHost'] = function (this: Network, name, spec) {
    const host = original.call(this, name, spec);
    if (file === undefined) attach(host);
    return host;
  };
  network.addHost = wrapped;

  return {
    get records() {
      return writer.records;
    },
    finish() {
      if (file !== undefined) return file;
      for (const remove of removers) remove();
      if (network.addHost === wrapped) {
        if (hadOwn) network.addHost = original;
        else Reflect.deleteProperty(network, 'addHost');
      }
      file = writer.finish();
      return file;
    },
  };
}
