/**
 * Fixtures for host tests: the reference traces' two-host LAN (client
 * 192.168.0.21 with 02:00:00:00:00:21, server 192.168.0.22 with
 * 02:00:00:00:00:22) on one simulated link, a recorder of every frame an
 * interface sends or receives, and small packet builders.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../src/capture/pcap.js';
import { defaultTcpdumpOptions, TcpdumpPrinter } from '../../src/capture/print/index.js';
import { LINKTYPE_ETHERNET } from '../../src/capture/record.js';
import type { Host } from '../../src/host/host.js';
import type { IcmpErrorReport, InboundDatagram, ProtocolHandler } from '../../src/host/protocol.js';
import { Pending, SocketError } from '../../src/host/socket.js';
import type { TapPacket } from '../../src/host/tap.js';
import type { LinkProperties } from '../../src/sim/link.js';
import { Network } from '../../src/sim/network.js';
import { NS_PER_S, type Time } from '../../src/sim/time.js';
import { formatIpv4Address, type Ipv4Address, parseIpv4Address } from '../../src/wire/address.js';
import { parseArp } from '../../src/wire/arp.js';
import { EMPTY_BYTES } from '../../src/wire/bytes.js';
import {
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  parseEthernet,
} from '../../src/wire/ethernet.js';
import type { IcmpQuote } from '../../src/wire/icmp.js';
import { formatIcmp, parseIcmp } from '../../src/wire/icmp.js';
import {
  buildIpv4,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  type Ipv4Packet,
  parseIpv4,
  type ReceivedIpv4Packet,
} from '../../src/wire/ipv4.js';

export function ip(text: string): Ipv4Address {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(`bad address ${text}`);
  return r.value;
}

export const CLIENT_IP = ip('192.168.0.21');
export const SERVER_IP = ip('192.168.0.22');
export const CLIENT_MAC = 0x02_00_00_00_00_21;
export const SERVER_MAC = 0x02_00_00_00_00_22;

export interface Lan {
  readonly net: Network;
  readonly client: Host;
  readonly server: Host;
  /** Every frame the client's eth0 sent or received, in order. */
  readonly wire: TapPacket[];
}

/** The reference traces' topology: two hosts, one link (veth-like: no delay). */
export function lan(
  options: { seed?: number; timerWheel?: boolean; link?: Partial<LinkProperties> } = {},
): Lan {
  const net = new Network({ seed: options.seed ?? 1, timerWheel: options.timerWheel ?? true });
  const link = net.segment('lan', options.link ?? {});
  const client = net.addHost('client', {
    segment: link,
    address: '192.168.0.21/24',
    mac: '02:00:00:00:00:21',
  });
  const server = net.addHost('server', {
    segment: link,
    address: '192.168.0.22/24',
    mac: '02:00:00:00:00:22',
  });
  const wire: TapPacket[] = [];
  client.addTap((p) => wire.push(p), { ifname: 'eth0' });
  return { net, client, server, wire };
}

/**
 * client 192.168.0.21 — 192.168.0.1 router 10.0.0.1 — 10.0.0.2 remote, each end
 * with a default route through the router; no taps.
 */
export function routedHosts(options: { forwarding?: boolean; farMtu?: number } = {}) {
  const net = new Network({ seed: 3 });
  const left = net.segment('left');
  const right = net.segment('right');
  const client = net.addHost('client', {
    segment: left,
    address: '192.168.0.21/24',
    gateway: '192.168.0.1',
  });
  const router = net.addHost('router', {
    segment: left,
    address: '192.168.0.1/24',
    forwarding: options.forwarding ?? true,
  });
  net.attach(router, right, {
    address: '10.0.0.1/24',
    ...(options.farMtu !== undefined ? { mtu: options.farMtu } : {}),
  });
  const remote = net.addHost('remote', {
    segment: right,
    address: '10.0.0.2/24',
    gateway: '10.0.0.1',
  });
  return { net, client, router, remote };
}

/** The value of a socket call that must succeed (a test bug otherwise). */
export function value<T>(r: T | SocketError | Pending<T>): T {
  if (r instanceof SocketError) throw new Error(`unexpected ${r.message}`);
  if (r instanceof Pending) throw new Error('unexpected Pending');
  return r;
}

/** One line per frame, like `tcpdump -e -n` but shorter: `Out ARP request who-has …`. */
export function describe(p: TapPacket): string {
  const f = parseEthernet(p.frame);
  if (!f.ok) return `${p.direction} runt`;
  if (f.value.ethertype === ETHERTYPE_ARP) {
    const a = parseArp(f.value.payload);
    if (!a.ok) return `${p.direction} ARP ?`;
    const v = a.value;
    return v.operation === 1
      ? `${p.direction} ARP who-has ${formatIpv4Address(v.targetIp)} tell ${formatIpv4Address(v.senderIp)}`
      : `${p.direction} ARP ${formatIpv4Address(v.senderIp)} is-at`;
  }
  if (f.value.ethertype === ETHERTYPE_IPV4) {
    const d = parseIpv4(f.value.payload);
    if (!d.ok) return `${p.direction} IP ?`;
    const v = d.value;
    let what = `proto ${v.protocol}`;
    if (v.protocol === IPPROTO_ICMP) {
      const m = parseIcmp(v.payload);
      if (m.ok) what = formatIcmp(m.value);
    }
    return `${p.direction} IP ${formatIpv4Address(v.src)} > ${formatIpv4Address(v.dst)} ${what}`;
  }
  return `${p.direction} ethertype ${f.value.ethertype}`;
}

/** The IPv4 datagram of a frame (throws if it is not one: a test bug). */
export function ipOf(frame: Uint8Array): ReceivedIpv4Packet {
  const f = parseEthernet(frame);
  if (!f.ok || f.value.ethertype !== ETHERTYPE_IPV4) throw new Error('not an IPv4 frame');
  const d = parseIpv4(f.value.payload);
  if (!d.ok) throw new Error('bad IPv4');
  return d.value;
}

/** An IPv4 packet value with everything defaulted. */
export function ipv4(
  p: Partial<Ipv4Packet> & Pick<Ipv4Packet, 'src' | 'dst' | 'protocol'>,
): Uint8Array {
  return buildIpv4({
    dscp: 0,
    ecn: 0,
    id: 1,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    options: EMPTY_BYTES,
    payload: EMPTY_BYTES,
    ...p,
  });
}

/**
 * A stand-in transport for protocol number `protocol`: records what it receives
 * and the ICMP errors it is handed.
 */
export class FakeTransport implements ProtocolHandler {
  /** What it was handed (the skb itself is the IP layer's, reused once the call returns). */
  readonly received: { time: Time; packet: ReceivedIpv4Packet }[] = [];
  readonly errors: { time: Time; report: IcmpErrorReport; quoted: IcmpQuote }[] = [];

  receive(now: Time, skb: InboundDatagram): void {
    this.received.push({ time: now, packet: skb.ip });
  }

  error(now: Time, report: IcmpErrorReport, quoted: IcmpQuote): void {
    this.errors.push({ time: now, report, quoted });
  }
}

/** Eight bytes that look like the start of a TCP or UDP header: ports, then a sequence number. */
export function ports(src: number, dst: number, extra = 12): Uint8Array {
  const b = new Uint8Array(8 + extra);
  b[0] = src >> 8;
  b[1] = src & 255;
  b[2] = dst >> 8;
  b[3] = dst & 255;
  return b;
}

export const TRACES = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../shared/linux-traces',
);

/** The frames of a reference capture (`normal-handshake/nc`), with their times in seconds from the first. */
export function traceFrames(experiment: string): { t: number; frame: Uint8Array }[] {
  const r = readCapture(new Uint8Array(readFileSync(join(TRACES, experiment, 'capture.pcap'))));
  if (!('records' in r)) throw new Error(`cannot read ${experiment}`);
  const first = r.records[0]!;
  const t0 = first.sec + first.frac / 1e6;
  return r.records.map((rec) => ({ t: rec.sec + rec.frac / 1e6 - t0, frame: rec.data }));
}

export const STRANGER_IP = ip('192.168.0.99');
export const STRANGER_MAC = 0x02_00_00_00_00_99;

/** A third host on the LAN (192.168.0.99), whose eth0 frames are recorded. */
export function addStranger(env: Lan): { host: Host; wire: TapPacket[] } {
  const host = env.net.addHost('stranger', {
    segment: env.net.link('lan'),
    address: '192.168.0.99/24',
    mac: '02:00:00:00:00:99',
  });
  const wire: TapPacket[] = [];
  host.addTap((p) => wire.push(p), { ifname: 'eth0' });
  return { host, wire };
}

/** A bare endpoint on the LAN that sends raw frames and records what reaches it. */
export function rawEndpoint(env: Lan, name = 'raw') {
  const heard: Uint8Array[] = [];
  const ep = env.net.link('lan').attach(name, (f) => heard.push(f));
  return {
    heard,
    /** Sends `datagram` in a frame to `dstMac` (default the server's). */
    sendIp(datagram: Uint8Array, dstMac = SERVER_MAC): void {
      ep.send(
        buildEthernet({
          dst: dstMac,
          src: STRANGER_MAC,
          ethertype: ETHERTYPE_IPV4,
          payload: datagram,
        }),
      );
    },
    sendFrame(frame: Uint8Array): void {
      ep.send(frame);
    },
  };
}

/**
 * A capture of Ethernet frames as `tcpdump -n -r` prints it (the clock starts
 * at the epoch: the comparisons with the traces look at relative times).
 */
export function printCapture(frames: readonly TapPacket[]): string[] {
  const printer = new TcpdumpPrinter({ ...defaultTcpdumpOptions(), numeric: 1 }, LINKTYPE_ETHERNET);
  return frames.map((p) =>
    printer
      .format({
        sec: Math.floor(p.time / NS_PER_S),
        frac: Math.floor((p.time % NS_PER_S) / 1000),
        precision: 'micro',
        origLen: p.frame.length,
        data: p.frame,
        linkType: LINKTYPE_ETHERNET,
        ifIndex: 0,
      })
      .trimEnd(),
  );
}

/**
 * lan() with the client's neighbour entry for the server resolved: a datagram
 * to the server's TCP (a FakeTransport, `tcp`) sent at t = 0, the entry
 * REACHABLE (`n`, on `eth0`). `send(confirm)` sends another one like it,
 * confirming the neighbour (MSG_CONFIRM) or not.
 */
export function resolvedLan(timerWheel = true) {
  const env = lan({ timerWheel });
  const tcp = new FakeTransport();
  env.server.registerProtocol(IPPROTO_TCP, tcp);
  const send = (confirm = false): void => {
    env.client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(40001, 80),
      confirmNeighbour: confirm,
    });
  };
  send();
  env.net.runUntil(0);
  const eth0 = env.client.interface('eth0');
  const n = eth0 === undefined ? undefined : env.client.neigh.lookup(eth0, SERVER_IP);
  if (eth0 === undefined || n?.state !== 'REACHABLE') {
    throw new Error(`the client's entry for the server is ${n?.state ?? 'missing'}`);
  }
  return { ...env, tcp, eth0, n, send };
}
