/**
 * The machine a script runs on, and packetdrill's side of the wire.
 *
 * packetdrill talks to the kernel under test through a tun device: it writes
 * the script's inbound packets into it and sniffs what the kernel sends out
 * of it (packetdrill netdev.c, packet_socket_linux.c). tcplab's stand-in is a
 * host with one Ethernet NIC (eth0, 192.168.0.1/16, MTU 1500) on a simulated
 * link with no delay, no loss and unlimited bandwidth, whose other end is this
 * module: it never speaks ARP, so the host's neighbour entry for the remote
 * address is permanent (`ip neigh add 192.0.2.1 lladdr … nud permanent`), and
 * every address outside the /16 is reached on-link through eth0, as the tun
 * device's route makes it on Linux (packetdrill sets up a route to the remote
 * address through tun0). Ethernet rather than a layer-3 device keeps the host
 * layer unchanged; the Ethernet header never shows in what packetdrill compares,
 * prints or writes to the pcap file (LINKTYPE_RAW: IPv4 from the first byte).
 */

import type { Host } from '../host/host.js';
import { Network } from '../sim/network.js';
import type { Time } from '../sim/time.js';
import { type Ipv4Address, parseIpv4Address } from '../wire/address.js';
import { EMPTY_BYTES } from '../wire/bytes.js';
import { buildEthernet, ETHERTYPE_IPV4, parseEthernet } from '../wire/ethernet.js';
import {
  buildIpv4,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  parseIpv4,
  type ReceivedIpv4Packet,
} from '../wire/ipv4.js';
import { parseTcp, type ReceivedTcpSegment } from '../wire/tcp.js';

/** packetdrill's defaults (config.c): --local_ip, --remote_ip. */
export const DEFAULT_LOCAL_IP = '192.168.0.1';
export const DEFAULT_REMOTE_IP = '192.0.2.1';
/** packetdrill's --netmask_ip default 255.255.0.0. */
const LOCAL_PREFIX_LENGTH = 16;
const HOST_MAC = 0x02_00_00_00_00_01;
const REMOTE_MAC = 0x02_00_00_00_00_02;

/** A packet the host sent, as the sniffer saw it. */
export interface LivePacket {
  readonly time: Time;
  readonly ip: ReceivedIpv4Packet;
  /** The TCP segment, or undefined for anything else (ICMP). */
  readonly tcp: ReceivedTcpSegment | undefined;
  /** The IPv4 datagram as sent. */
  readonly datagram: Uint8Array;
}

/** A packet that crossed the wire either way, for --verbose and --pcap. */
export interface WirePacket {
  readonly time: Time;
  readonly direction: 'inbound' | 'outbound';
  readonly datagram: Uint8Array;
}

function ipv4(text: string): Ipv4Address {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new RangeError(`bad IPv4 address ${text}`);
  return r.value;
}

export interface TunOptions {
  readonly localIp?: string;
  readonly remoteIp?: string;
  readonly seed?: number;
  /** Sees every packet that crosses the wire, when it crosses it. */
  readonly onPacket?: (p: WirePacket) => void;
}

/** The host under test and the remote end of its wire. */
export class Tun {
  readonly net: Network;
  readonly host: Host;
  readonly localIp: Ipv4Address;
  readonly remoteIp: Ipv4Address;
  /** What the host sent and the script has not consumed yet, oldest first. */
  readonly sniffed: LivePacket[] = [];
  readonly #send: (frame: Uint8Array) => void;
  readonly #onPacket: ((p: WirePacket) => void) | undefined;

  constructor(options: TunOptions = {}) {
    this.localIp = ipv4(options.localIp ?? DEFAULT_LOCAL_IP);
    this.remoteIp = ipv4(options.remoteIp ?? DEFAULT_REMOTE_IP);
    this.#onPacket = options.onPacket;
    this.net = new Network({ seed: options.seed ?? 1 });
    const link = this.net.segment('tun0');
    this.host = this.net.addHost('local', {
      segment: link,
      address: `${options.localIp ?? DEFAULT_LOCAL_IP}/${LOCAL_PREFIX_LENGTH}`,
      mac: HOST_MAC,
    });
    const eth0 = this.host.interface('eth0')!;
    const r = this.host.routes.add({ dst: 0, prefixLength: 0, dev: eth0, scope: 'link' });
    if (!r.ok) throw new Error(`packetdrill: default route: ${r.errno}`);
    this.host.neigh.addPermanent(this.host.now, eth0, this.remoteIp, REMOTE_MAC);
    const ep = link.attach('packetdrill', (frame, now) => this.#receive(frame, now));
    this.#send = (frame) => ep.send(frame);
  }

  get now(): Time {
    return this.net.events.now;
  }

  #receive(frame: Uint8Array, now: Time): void {
    const eth = parseEthernet(frame);
    if (!eth.ok || eth.value.ethertype !== ETHERTYPE_IPV4) return;
    const datagram = eth.value.payload;
    const ip = parseIpv4(datagram);
    if (!ip.ok) return;
    let tcp: ReceivedTcpSegment | undefined;
    if (ip.value.protocol === IPPROTO_TCP) {
      const t = parseTcp(ip.value.payload, {
        src: ip.value.src,
        dst: ip.value.dst,
        protocol: IPPROTO_TCP,
        length: ip.value.payload.length,
      });
      if (t.ok) tcp = t.value;
    } else if (ip.value.protocol !== IPPROTO_ICMP) return;
    this.#onPacket?.({ time: now, direction: 'outbound', datagram });
    this.sniffed.push({ time: now, ip: ip.value, tcp, datagram });
  }

  /** Writes an IPv4 datagram into the wire towards the host (delivered in an event at `now`). */
  inject(datagram: Uint8Array): void {
    this.#onPacket?.({ time: this.now, direction: 'inbound', datagram });
    this.#send(
      buildEthernet({
        dst: HOST_MAC,
        src: REMOTE_MAC,
        ethertype: ETHERTYPE_IPV4,
        payload: datagram,
      }),
    );
  }

  /** An IPv4 datagram from the remote address to the host, as packetdrill builds them. */
  datagram(protocol: number, payload: Uint8Array): Uint8Array {
    return buildIpv4({
      src: this.remoteIp,
      dst: this.localIp,
      protocol,
      payload,
      dscp: 0,
      ecn: 0,
      id: 0,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      options: EMPTY_BYTES,
    });
  }
}
