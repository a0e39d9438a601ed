/**
 * Offloads between hosts (src/host/offload.ts): TCP's checksum travels pending
 * over a clean point-to-point link between hosts and is taken as good there, a
 * large payload stays in the sender's buffer and is read from there, and both
 * are done before anything reads the bytes as a wire would carry them: a tap,
 * a frame waiting for ARP, a drop record, a forwarded datagram, an ICMP error
 * quoting it, a second receiver on a shared segment. Each test fails if its
 * finishing step is left out (the receiver would count a checksum error, or
 * the bytes read would not verify or not be the ones written).
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { type PendingTcp, SG_MIN_PAYLOAD } from '../../src/host/offload.js';
import type { TapPacket } from '../../src/host/tap.js';
import { Network } from '../../src/sim/network.js';
import { ms, s } from '../../src/sim/time.js';
import { get16 } from '../../src/wire/bytes.js';
import { ETHERTYPE_IPV4, parseEthernet } from '../../src/wire/ethernet.js';
import { parseIcmp } from '../../src/wire/icmp.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp } from '../../src/wire/tcp.js';
import { ip, routedHosts, value } from './helpers.js';

/** Whether the TCP checksum of an IPv4 datagram verifies. */
function tcpChecksumOk(datagram: Uint8Array): boolean {
  const d = parseIpv4(datagram, { allowTruncated: true });
  if (!d.ok || d.value.protocol !== IPPROTO_TCP) throw new Error('not a TCP datagram');
  const v = d.value;
  const t = parseTcp(v.payload, {
    src: v.src,
    dst: v.dst,
    protocol: IPPROTO_TCP,
    length: v.payload.length,
  });
  if (!t.ok) throw new Error('bad TCP');
  return t.value.checksumOk;
}

/** The IPv4 datagrams of TCP in the frames a tap saw. */
function tcpDatagrams(wire: readonly TapPacket[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of wire) {
    const f = parseEthernet(p.frame);
    if (!f.ok || f.value.ethertype !== ETHERTYPE_IPV4) continue;
    const d = parseIpv4(f.value.payload);
    if (d.ok && d.value.protocol === IPPROTO_TCP) out.push(f.value.payload);
  }
  return out;
}

/** The TCP payloads in IPv4 datagrams (empty ones left out). */
function tcpPayloads(datagrams: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of datagrams) {
    const v = parseIpv4(d, { allowTruncated: true });
    if (!v.ok) continue;
    const doff = (v.value.payload[12]! >>> 4) * 4;
    if (v.value.payload.length > doff) out.push(v.value.payload.subarray(doff));
  }
  return out;
}

/** What arrived at one endpoint: a copy of the frame as it came, and the work pending with it. */
interface Arrival {
  readonly bytes: Uint8Array;
  readonly pending: PendingTcp | undefined;
}

/**
 * Two hosts on one clean link, no tap anywhere. With `spy`, what arrives at
 * the server's NIC is recorded first; `serverOffload: false` attaches the
 * server's NIC without offload.
 */
function pair(spy?: Arrival[], serverOffload = true) {
  const net = new Network({ seed: 5 });
  const lan = net.segment('lan');
  if (spy !== undefined) {
    const attach = lan.attach.bind(lan);
    lan.attach = (name, receive, options) =>
      name.startsWith('server')
        ? attach(
            name,
            (frame, now, pending) => {
              spy.push({ bytes: frame.slice(), pending: pending as PendingTcp | undefined });
              receive(frame, now, pending);
            },
            { ...options, checksumOffload: serverOffload },
          )
        : attach(name, receive, options);
  }
  const client = net.addHost('client', { segment: lan, address: '192.168.0.21/24' });
  const server = net.addHost('server', { segment: lan, address: '192.168.0.22/24' });
  return { net, lan, client, server };
}

/** The TCP frames among `arrivals`. */
function tcpArrivals(arrivals: readonly Arrival[]): Arrival[] {
  return arrivals.filter((a) => {
    const f = parseEthernet(a.bytes);
    return f.ok && f.value.ethertype === ETHERTYPE_IPV4 && f.value.payload[9] === IPPROTO_TCP;
  });
}

/** A listener on port 80, a connection to it, `n` bytes each way; the accepted fd. */
function exchange(net: Network, client: Host, server: Host, dst: string, n = 3000) {
  const so = server.sockets;
  const l = so.socket();
  value(so.bind(l, 0, 80));
  value(so.listen(l, 16));
  const fd = client.sockets.socket();
  client.sockets.connect(fd, ip(dst), 80);
  net.runFor(ms(10));
  const a = value(so.accept(l)).fd;
  value(client.sockets.write(fd, new Uint8Array(n).fill(7)));
  value(so.write(a, new Uint8Array(n).fill(9)));
  net.runFor(ms(100));
  const got = value(so.read(a, 2 * n));
  const back = value(client.sockets.read(fd, 2 * n));
  // Every byte as written, whatever path it took.
  expect(got.every((b) => b === 7)).toBe(true);
  expect(back.every((b) => b === 9)).toBe(true);
  return { fd, a, got, back };
}

describe('checksum offload between hosts', () => {
  test('a point-to-point link carries TCP frames with their work pending; done, the checksum is the real one and a large payload is the one written', () => {
    const arrived: Arrival[] = [];
    const { net, client, server } = pair(arrived);
    // ARP first (a ping), so that no segment waits for it (one that did leaves finished).
    client.icmp.sendEcho({ dst: ip('192.168.0.22'), id: 1, sequence: 1 });
    net.runFor(ms(1));
    const { got } = exchange(net, client, server, '192.168.0.22');
    expect(got.length).toBe(3000);
    const tcp = tcpArrivals(arrived);
    expect(tcp.length).toBeGreaterThan(3);
    let gathered = 0;
    for (const a of tcp) {
      expect(a.pending).toBeDefined();
      const datagram = a.bytes.subarray(14);
      // Pending: the field holds the pseudo-header's sum only...
      expect(tcpChecksumOk(datagram)).toBe(false);
      const [payload] = tcpPayloads([datagram]);
      if (a.pending!.payload !== undefined) {
        // ...a large payload is not in the frame but in the sender's buffer...
        gathered++;
        expect(a.pending!.payload.length).toBeGreaterThanOrEqual(SG_MIN_PAYLOAD);
        expect(payload!.every((b) => b === 0)).toBe(true);
      }
      // ...and done as a device would, the segment verifies and holds the bytes written.
      const copy = a.bytes.slice();
      a.pending!.complete(copy);
      expect(tcpChecksumOk(copy.subarray(14))).toBe(true);
      expect(get16(copy, 14 + 20 + 16)).not.toBe(get16(a.bytes, 14 + 20 + 16));
      for (const p of tcpPayloads([copy.subarray(14)])) expect(p.every((b) => b === 7)).toBe(true);
    }
    // 3000 bytes: two full segments, gathered, and 104 bytes, copied.
    expect(gathered).toBe(2);
    for (const h of [client, server]) {
      expect(h.tcp.net.counters.TcpInCsumErrors).toBe(0);
      expect(h.tcp.net.counters.TcpInSegs).toBeGreaterThan(3);
    }
  });

  test('a receiver that is not offloading gets finished frames', () => {
    const arrived: Arrival[] = [];
    const { net, client, server } = pair(arrived, false);
    exchange(net, client, server, '192.168.0.22');
    const tcp = tcpArrivals(arrived);
    expect(tcp.length).toBeGreaterThan(3);
    for (const a of tcp) {
      expect(a.pending).toBeUndefined();
      expect(tcpChecksumOk(a.bytes.subarray(14))).toBe(true);
    }
    const payloads = tcpPayloads(tcp.map((a) => a.bytes.subarray(14)));
    expect(payloads.reduce((n, p) => n + p.length, 0)).toBe(3000);
    for (const p of payloads) expect(p.every((b) => b === 7)).toBe(true);
  });

  test('a segment shared by three hosts carries finished frames: with taps on two receivers, the checksums seen are real', () => {
    // One frame object reaches every receiver of a shared segment: work done
    // in place by one (for its tap, even one that will not see the frame) must
    // not be done again by the next.
    const net = new Network({ seed: 5 });
    const lan = net.segment('lan');
    const client = net.addHost('client', { segment: lan, address: '192.168.0.21/24' });
    const server = net.addHost('server', { segment: lan, address: '192.168.0.22/24' });
    const third = net.addHost('third', { segment: lan, address: '192.168.0.23/24' });
    const atServer: TapPacket[] = [];
    const atThird: TapPacket[] = [];
    server.addTap((p) => atServer.push(p));
    third.addTap((p) => atThird.push(p));
    exchange(net, client, server, '192.168.0.22');
    expect(tcpDatagrams(atServer).length).toBeGreaterThan(6);
    for (const d of tcpDatagrams([...atServer, ...atThird])) expect(tcpChecksumOk(d)).toBe(true);
    expect(server.tcp.net.counters.TcpInCsumErrors).toBe(0);
    expect(client.tcp.net.counters.TcpInCsumErrors).toBe(0);
  });

  test('a tap on the receiver sees finished checksums; a tapped sender finishes its own', () => {
    const { net, client, server } = pair();
    const atServer: TapPacket[] = [];
    server.addTap((p) => atServer.push(p));
    exchange(net, client, server, '192.168.0.22');
    const datagrams = tcpDatagrams(atServer);
    expect(datagrams.length).toBeGreaterThan(6);
    for (const d of datagrams) expect(tcpChecksumOk(d)).toBe(true);
    // The client's data came gathered: the tap saw the bytes written.
    const payloads = tcpPayloads(datagrams).filter((p) => p[0] === 7 || p[0] === 0);
    expect(payloads.reduce((n, p) => n + p.length, 0)).toBe(3000);
    for (const p of payloads) expect(p.every((b) => b === 7)).toBe(true);
    expect(server.tcp.net.counters.TcpInCsumErrors).toBe(0);
    expect(client.tcp.net.counters.TcpInCsumErrors).toBe(0);
  });

  test('a SYN that waited for ARP leaves finished: the handshake takes no retransmission', () => {
    const { net, client, server } = pair();
    const { got } = exchange(net, client, server, '192.168.0.22', 100);
    expect(got.length).toBe(100);
    expect(server.tcp.net.counters.TcpInCsumErrors).toBe(0);
    expect(client.tcp.net.counters.TcpRetransSegs).toBe(0);
  });

  test('a frame dropped on arrival is recorded with its checksum finished', () => {
    const { net, client, server } = pair();
    exchange(net, client, server, '192.168.0.22', 100);
    const eth0 = server.interface('eth0')!;
    eth0.up = false;
    const fd = client.sockets.socket();
    client.sockets.connect(fd, ip('192.168.0.22'), 80);
    net.runFor(ms(1));
    const dropped = server.drops.records.filter((r) => r.reason === 'DEV_READY');
    expect(dropped.length).toBe(1);
    expect(tcpChecksumOk(dropped[0]!.bytes.subarray(14))).toBe(true);
  });

  test('data dropped on either side is recorded with its payload and checksum done', () => {
    for (const side of ['server', 'client'] as const) {
      const { net, client, server } = pair();
      const { fd } = exchange(net, client, server, '192.168.0.22', 100);
      // Down: the client's frames are dropped as they leave it (devXmit), or
      // as they reach the server (netif_receive_skb).
      (side === 'client' ? client : server).interface('eth0')!.up = false;
      value(client.sockets.write(fd, new Uint8Array(3000).fill(7)));
      net.runFor(ms(5));
      const dropped = (side === 'client' ? client : server).drops.records.filter(
        (r) => r.reason === 'DEV_READY',
      );
      const datagrams = dropped.map((r) => r.bytes.subarray(14));
      const payloads = tcpPayloads(datagrams);
      expect(payloads.some((p) => p.length >= SG_MIN_PAYLOAD)).toBe(true);
      for (const d of datagrams) expect(tcpChecksumOk(d)).toBe(true);
      for (const p of payloads) expect(p.every((b) => b === 7)).toBe(true);
    }
  });

  test('a router finishes what it forwards and what its ICMP errors quote', () => {
    const { net, client, router, remote } = routedHosts();
    // Forwarded: the far end would count a checksum error and never answer.
    const { got, back } = exchange(net, client, remote, '10.0.0.2');
    expect([got.length, back.length]).toEqual([3000, 3000]);
    expect(remote.tcp.net.counters.TcpInCsumErrors).toBe(0);
    expect(client.tcp.net.counters.TcpInCsumErrors).toBe(0);
    expect(router.counters.get('IpForwDatagrams')).toBeGreaterThan(6);

    // Quoted: a SYN to a network the router has no route to. The client's tap
    // comes after the SYN left (pending: a tap on the sender would finish it).
    const fd = client.sockets.socket();
    client.sockets.connect(fd, ip('172.16.0.1'), 80);
    const wire: TapPacket[] = [];
    client.addTap((p) => wire.push(p));
    net.runFor(s(1) / 2);
    const icmp = wire
      .map((p) => parseEthernet(p.frame))
      .flatMap((f) => (f.ok ? [parseIpv4(f.value.payload)] : []))
      .flatMap((d) => (d.ok && d.value.protocol === 1 ? [parseIcmp(d.value.payload)] : []))
      .flatMap((m) => (m.ok ? [m.value] : []));
    expect(icmp.length).toBe(1);
    const error = icmp[0]!;
    if (!('quote' in error)) throw new Error(`not an ICMP error: ${error.kind}`);
    // Linux quotes as much as fits in 576 bytes: the whole SYN.
    expect(error.quote.length).toBe(60);
    expect(tcpChecksumOk(error.quote)).toBe(true);
  });
});
