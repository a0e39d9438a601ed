/**
 * IPv4 input, forwarding and output: a router between two subnets, TTL and MTU
 * errors, loopback delivery, IP ids, netfilter hooks, and malformed input
 * dropped with Linux's reasons and counters (a fuzzer included).
 */

import fc from 'fast-check';
import { expect, describe as group, test } from 'vitest';
import type { TapPacket } from '../../src/host/tap.js';
import { EMPTY_BYTES, put16 } from '../../src/wire/bytes.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { buildEthernet } from '../../src/wire/ethernet.js';
import { buildIcmp } from '../../src/wire/icmp.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { buildUdp } from '../../src/wire/udp.js';
import {
  CLIENT_IP,
  CLIENT_MAC,
  describe,
  FakeTransport,
  ip,
  ipOf,
  ipv4,
  lan,
  ports,
  rawEndpoint,
  routedHosts,
  SERVER_IP,
  SERVER_MAC,
  STRANGER_IP,
} from './helpers.js';

const S = 1_000_000_000;

/**
 * client 192.168.0.21 — 192.168.0.1 router 10.0.0.1 — 10.0.0.2 remote, each end
 * with a default route through the router.
 */
function routed(options: { forwarding?: boolean; farMtu?: number } = {}) {
  const { net, client, router, remote } = routedHosts(options);
  const wire: TapPacket[] = [];
  client.addTap((p) => wire.push(p), { ifname: 'eth0' });
  const far: TapPacket[] = [];
  remote.addTap((p) => far.push(p), { ifname: 'eth0' });
  return { net, client, router, remote, wire, far };
}

function ipLines(wire: readonly TapPacket[]): string[] {
  return wire.filter((p) => describe(p).includes(' IP ')).map(describe);
}

group('a router (net.ipv4.ip_forward = 1)', () => {
  test('ping across: ARP for the gateway, TTL 63 on the far side, a reply back', () => {
    const { net, client, router, wire, far } = routed();
    let reply: number | undefined;
    client.icmp.listenEcho(1, (_now, r) => {
      reply = r.ip.ttl;
    });
    client.icmp.sendEcho({ dst: ip('10.0.0.2'), id: 1, sequence: 1 });
    net.runUntilIdle();
    expect(wire.map(describe).slice(0, 3)).toEqual([
      'Out ARP who-has 192.168.0.1 tell 192.168.0.21',
      'In ARP 192.168.0.1 is-at',
      'Out IP 192.168.0.21 > 10.0.0.2 ICMP echo request, id 1, seq 1, length 8',
    ]);
    const forwarded = far.find(
      (p) => p.direction === 'In' && describe(p).includes('echo request'),
    )!;
    expect(ipOf(forwarded.frame)).toMatchObject({ ttl: 63, checksumOk: true, src: CLIENT_IP });
    expect(reply).toBe(63);
    expect(router.counters.get('IpForwDatagrams')).toBe(2);
    expect(router.counters.get('IpInDelivers')).toBe(0);
    expect(router.counters.get('IpOutTransmits')).toBe(2);
    expect(router.counters.get('IpOutRequests')).toBe(0);
  });

  test('TTL 1: time exceeded in transit, from the router (IpInHdrErrors, IP_INHDR)', () => {
    const { net, client, router, wire } = routed();
    client.icmp.sendEcho({ dst: ip('10.0.0.2'), id: 1, sequence: 1, ttl: 1 });
    net.runUntilIdle();
    expect(ipLines(wire).filter((l) => l.startsWith('In'))).toEqual([
      'In IP 192.168.0.1 > 192.168.0.21 ICMP time exceeded in-transit, length 36',
    ]);
    expect(router.counters.get('IpInHdrErrors')).toBe(1);
    expect(router.drops.count('IP_INHDR')).toBe(1);
    const te = ipOf(wire.find((p) => describe(p).includes('time exceeded'))!.frame);
    expect(te).toMatchObject({ dscp: 0xc0 >> 2, dontFragment: false, ttl: 64 });
  });

  test('no time exceeded about an ICMP error', () => {
    const { net, client, router, wire } = routed();
    const quote = ipv4({
      src: ip('10.0.0.2'),
      dst: CLIENT_IP,
      protocol: IPPROTO_UDP,
      payload: ports(1, 2),
    });
    client.sendIp({
      dst: ip('10.0.0.2'),
      protocol: IPPROTO_ICMP,
      payload: buildIcmp({ kind: 'destUnreachable', code: 3, quote }),
      ttl: 1,
      df: false,
    });
    net.runUntilIdle();
    expect(router.drops.count('IP_INHDR')).toBe(1);
    expect(ipLines(wire).filter((l) => l.startsWith('In'))).toEqual([]);
  });

  test('no route: ICMP net unreachable from the router (IpExtInNoRoutes), rate limited per source', () => {
    // ip_error takes ip_rt_error_cost (1 s of tokens, burst 5 s) from the
    // source's inet_peer, and icmp_send's per-destination limit takes another
    // second from the same bucket (both use peer->rate_tokens): two errors for
    // a burst, then one per two seconds.
    function burstThenOneAt(t: number): number {
      const { net, client, router, wire } = routed();
      for (let i = 0; i < 7; i++)
        client.icmp.sendEcho({ dst: ip('172.16.0.1'), id: 1, sequence: i });
      net.runUntil(0);
      expect(router.counters.get('IpExtInNoRoutes')).toBe(7);
      expect(router.drops.count('IP_INNOROUTES')).toBe(7);
      expect(router.counters.get('IcmpOutRateLimitHost')).toBe(1);
      expect(ipLines(wire).filter((l) => l.includes('net 172.16.0.1 unreachable'))).toHaveLength(2);
      net.runUntil(t);
      client.icmp.sendEcho({ dst: ip('172.16.0.1'), id: 1, sequence: 9 });
      net.runUntil(t);
      return ipLines(wire).filter((l) => l.includes('net 172.16.0.1 unreachable')).length;
    }
    expect(burstThenOneAt(2 * S - 1)).toBe(2);
    expect(burstThenOneAt(2 * S)).toBe(3);
  });

  test('a DF datagram too big for the next hop: fragmentation needed with its MTU, not rate limited', () => {
    const { net, client, router, wire } = routed({ farMtu: 1000 });
    const tcp = new FakeTransport();
    client.registerProtocol(IPPROTO_TCP, tcp);
    for (let i = 0; i < 10; i++) {
      client.sendIp({
        src: CLIENT_IP,
        dst: ip('10.0.0.2'),
        protocol: IPPROTO_TCP,
        payload: ports(40001, 80, 1200),
      });
    }
    net.runUntilIdle();
    expect(router.counters.get('IpFragFails')).toBe(10);
    expect(router.drops.count('PKT_TOO_BIG')).toBe(10);
    expect(ipLines(wire).filter((l) => l.includes('need to frag (mtu 1000)'))).toHaveLength(10);
    expect(tcp.errors[0]!.report).toMatchObject({
      type: 3,
      code: 4,
      info: 1000,
      errno: 'EMSGSIZE',
    });
  });

  test('forwarding off: a datagram for someone else is IpInAddrErrors, silently', () => {
    const { net, client, router, wire } = routed({ forwarding: false });
    client.icmp.sendEcho({ dst: ip('10.0.0.2'), id: 1, sequence: 1 });
    net.runUntilIdle();
    expect(router.counters.get('IpInAddrErrors')).toBe(1);
    expect(router.drops.count('IP_INADDRERRORS')).toBe(1);
    expect(ipLines(wire).filter((l) => l.startsWith('In'))).toEqual([]);
  });
});

group('output', () => {
  test("IP ids: 0 with DF and no socket id; the socket's counter when given; a generator without DF", () => {
    const { net, client, server, wire } = lan();
    server.registerProtocol(IPPROTO_TCP, new FakeTransport());
    client.sendIp({ src: CLIENT_IP, dst: SERVER_IP, protocol: IPPROTO_TCP, payload: ports(1, 2) });
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(1, 2),
      id: 19541,
    });
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(1, 2),
      df: false,
    });
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(1, 2),
      df: false,
    });
    net.runUntilIdle();
    const ids = wire
      .filter((p) => p.direction === 'Out' && describe(p).includes('IP'))
      .map((p) => ipOf(p.frame));
    expect(ids.map((d) => [d.id, d.dontFragment])).toEqual([
      [0, true],
      [19541, true],
      [ids[2]!.id, false],
      [(ids[2]!.id + 1) & 0xffff, false],
    ]);
    expect(ids.every((d) => d.ttl === 64 && d.checksumOk)).toBe(true);
  });

  test('a connected UDP socket numbers its datagrams from a random start', () => {
    const { net, client, server, wire } = lan();
    server.udp.bind(9);
    const s = client.udp.bind(0);
    if (!s.ok) throw new Error('bind');
    s.value.connect(SERVER_IP, 9);
    const start = s.value.ipId!.current;
    for (let i = 0; i < 3; i++) s.value.send(new Uint8Array(1));
    net.runUntilIdle();
    const ids = wire
      .filter((p) => p.direction === 'Out' && describe(p).includes('proto 17'))
      .map((p) => ipOf(p.frame).id);
    expect(ids).toEqual([(start + 1) & 0xffff, (start + 2) & 0xffff, (start + 3) & 0xffff]);
  });

  test('net.ipv4.ip_default_ttl sets the TTL', () => {
    const { net, client, server, wire } = lan();
    server.registerProtocol(IPPROTO_TCP, new FakeTransport());
    client.sysctl.write('net.ipv4.ip_default_ttl', '32');
    client.sendIp({ src: CLIENT_IP, dst: SERVER_IP, protocol: IPPROTO_TCP, payload: ports(1, 2) });
    net.runUntilIdle();
    expect(ipOf(wire.find((p) => describe(p).includes('Out IP'))!.frame).ttl).toBe(32);
  });

  test('too big for the MTU with DF: EMSGSIZE, and fragmentation needed to ourselves', () => {
    const { net, client, wire } = lan();
    const tcp = new FakeTransport();
    client.registerProtocol(IPPROTO_TCP, tcp);
    const r = client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(1, 2, 1600),
    });
    expect(r).toEqual({ ok: false, errno: 'EMSGSIZE', reason: 'PKT_TOO_BIG' });
    net.runUntilIdle();
    expect(wire).toHaveLength(0);
    expect(client.counters.get('IpFragFails')).toBe(1);
    expect(tcp.errors[0]!.report).toMatchObject({ type: 3, code: 4, info: 1500 });
  });

  test('an OUTPUT hook that drops: EPERM, NETFILTER_DROP; a PREROUTING drop on the way in', () => {
    const { net, client, server } = lan();
    const tcp = new FakeTransport();
    server.registerProtocol(IPPROTO_TCP, tcp);
    const remove = client.addHook('OUTPUT', (_now, p) =>
      p.ip.protocol === IPPROTO_TCP ? 'DROP' : 'ACCEPT',
    );
    expect(
      client.sendIp({
        src: CLIENT_IP,
        dst: SERVER_IP,
        protocol: IPPROTO_TCP,
        payload: ports(1, 2),
      }),
    ).toEqual({
      ok: false,
      errno: 'EPERM',
      reason: 'NETFILTER_DROP',
    });
    remove();
    server.addHook('PREROUTING', () => 'DROP');
    expect(
      client.sendIp({ src: CLIENT_IP, dst: SERVER_IP, protocol: IPPROTO_TCP, payload: ports(1, 2) })
        .ok,
    ).toBe(true);
    net.runUntilIdle();
    expect(tcp.received).toHaveLength(0);
    expect(server.drops.count('NETFILTER_DROP')).toBe(1);
    expect(server.counters.get('IpInReceives')).toBe(1);
  });
});

group('loopback', () => {
  test('lo is interface 1 with 127.0.0.1/8; NICs follow as eth0 = 2, eth1 = 3', () => {
    const { client } = lan();
    client.addEthernet();
    expect(client.interfaces.map((i) => [i.index, i.name, i.mtu])).toEqual([
      [1, 'lo', 65536],
      [2, 'eth0', 1500],
      [3, 'eth1', 1500],
    ]);
    expect(client.lo.addresses).toEqual([
      { address: ip('127.0.0.1'), prefixLength: 8, broadcast: ip('127.255.255.255') },
    ]);
    expect(client.resolve('localhost')).toBe(ip('127.0.0.1'));
    expect(client.resolve('server')).toBe(SERVER_IP);
  });

  test('delivered through the event queue at the same instant, in order', () => {
    const { net, client } = lan();
    const rx = client.udp.bind(7777, ip('127.0.0.1'));
    const tx = client.udp.bind(0);
    if (!rx.ok || !tx.ok) throw new Error('bind');
    net.runUntil(3 * S);
    for (let i = 0; i < 3; i++) tx.value.sendTo(ip('127.0.0.1'), 7777, Uint8Array.of(i));
    // Not yet: lo hands the packets to the backlog (netif_rx), a later event.
    expect(rx.value.queue).toHaveLength(0);
    net.runUntil(3 * S);
    expect(rx.value.queue.map((m) => [m.payload[0], m.time, m.from])).toEqual([
      [0, 3 * S, ip('127.0.0.1')],
      [1, 3 * S, ip('127.0.0.1')],
      [2, 3 * S, ip('127.0.0.1')],
    ]);
    expect(client.lo.stats.txPackets).toBe(3);
    expect(client.lo.stats.rxPackets).toBe(3);
  });

  test('a datagram to our own Ethernet address goes through lo, never the wire', () => {
    const { net, client, wire } = lan();
    const rx = client.udp.bind(7777);
    const tx = client.udp.bind(0);
    if (!rx.ok || !tx.ok) throw new Error('bind');
    tx.value.sendTo(CLIENT_IP, 7777, Uint8Array.of(1));
    net.runUntilIdle();
    expect(rx.value.queue).toHaveLength(1);
    expect(wire).toHaveLength(0);
  });
});

group('malformed and unwanted input: dropped with a reason, counted, never thrown', () => {
  function udpTo(dst: number, srcAddr = STRANGER_IP): Uint8Array {
    return ipv4({
      src: srcAddr,
      dst,
      protocol: IPPROTO_UDP,
      payload: buildUdp(
        { srcPort: 1, dstPort: 9, payload: EMPTY_BYTES },
        { src: srcAddr, dst, protocol: IPPROTO_UDP, length: 8 },
      ),
    });
  }

  function withChecksum(d: Uint8Array): Uint8Array {
    put16(d, 10, 0);
    put16(d, 10, internetChecksum(d, 0, (d[0]! & 15) * 4));
    return d;
  }

  test('frames and IP headers', () => {
    const env = lan();
    const raw = rawEndpoint(env);
    const s = env.server;
    const eth0 = s.interface('eth0')!;
    raw.sendFrame(new Uint8Array(10)); // runt
    raw.sendFrame(
      buildEthernet({
        dst: SERVER_MAC,
        src: 0x020000000099,
        ethertype: 0x86dd,
        payload: new Uint8Array(40),
      }),
    );
    raw.sendIp(new Uint8Array(19)); // shorter than an IP header
    const v6 = udpTo(SERVER_IP);
    v6[0] = 0x65;
    raw.sendIp(v6);
    const ihl4 = udpTo(SERVER_IP);
    ihl4[0] = 0x44;
    raw.sendIp(ihl4);
    const badSum = udpTo(SERVER_IP);
    badSum[10]! ^= 1;
    raw.sendIp(badSum);
    const long = udpTo(SERVER_IP);
    put16(long, 2, 200);
    raw.sendIp(withChecksum(long));
    const short = udpTo(SERVER_IP);
    put16(short, 2, 16);
    raw.sendIp(withChecksum(short));
    env.net.runUntilIdle();

    expect(s.drops.count('PKT_TOO_SMALL')).toBe(2); // the runt and the truncated datagram
    expect(eth0.stats.rxErrors).toBe(1);
    expect(s.drops.count('UNHANDLED_PROTO')).toBe(1);
    expect(eth0.stats.rxNohandler).toBe(1);
    expect(s.drops.count('IP_INHDR')).toBe(4);
    expect(s.drops.count('IP_CSUM')).toBe(1);
    expect(s.counters.get('IpInReceives')).toBe(6);
    expect(s.counters.get('IpInHdrErrors')).toBe(5);
    expect(s.counters.get('IpExtInCsumErrors')).toBe(1);
    expect(s.counters.get('IpExtInTruncatedPkts')).toBe(1);
    expect(s.counters.get('IpInDelivers')).toBe(0);
  });

  test('Ethernet padding is trimmed (pskb_trim_rcsum): a padded datagram is delivered', () => {
    const env = lan();
    const raw = rawEndpoint(env);
    const sock = env.server.udp.bind(9);
    if (!sock.ok) throw new Error('bind');
    const d = udpTo(SERVER_IP);
    const padded = new Uint8Array(46);
    padded.set(d);
    raw.sendIp(padded);
    env.net.runUntilIdle();
    expect(sock.value.queue).toHaveLength(1);
  });

  test('martians, other hosts, multicast, fragments', () => {
    const env = lan();
    const raw = rawEndpoint(env);
    const s = env.server;
    raw.sendIp(udpTo(SERVER_IP, ip('224.0.0.9'))); // multicast source
    raw.sendIp(udpTo(SERVER_IP, ip('0.1.2.3'))); // zeronet source
    raw.sendIp(udpTo(SERVER_IP, ip('127.0.0.1'))); // loopback source from outside
    raw.sendIp(udpTo(SERVER_IP, SERVER_IP)); // our own address as the source
    raw.sendIp(udpTo(ip('127.0.0.1'))); // loopback destination from outside
    raw.sendIp(udpTo(ip('0.0.0.5'))); // zeronet destination
    raw.sendIp(udpTo(ip('224.0.0.251'))); // a group nobody joined
    raw.sendIp(udpTo(ip('192.168.0.50'))); // someone else's address, to our MAC
    const frag = ipv4({
      src: STRANGER_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_UDP,
      moreFragments: true,
      dontFragment: false,
      payload: ports(1, 9),
    });
    raw.sendIp(frag);
    env.net.runUntilIdle();
    expect(s.drops.count('IP_INVALID_SOURCE')).toBe(4);
    expect(s.drops.count('IP_INVALID_DEST')).toBe(2);
    expect(s.drops.count('NOT_SPECIFIED')).toBe(1);
    expect(s.drops.count('IP_INADDRERRORS')).toBe(1);
    expect(s.counters.get('IpInAddrErrors')).toBe(1);
    expect(s.drops.count('FRAG_REASM_TIMEOUT')).toBe(1);
    expect(s.counters.get('IpReasmReqds')).toBe(1);
    expect(s.counters.get('IpReasmFails')).toBe(1);
    expect(s.counters.get('IcmpOutMsgs')).toBe(0);
  });

  test('a frame for another MAC: filtered by the NIC; in promiscuous mode, OTHERHOST', () => {
    const env = lan();
    const raw = rawEndpoint(env);
    const s = env.server;
    const seen: TapPacket[] = [];
    s.addTap((p) => seen.push(p));
    raw.sendIp(udpTo(SERVER_IP), 0x02_00_00_00_00_77);
    env.net.runUntilIdle();
    expect(seen).toHaveLength(0);
    expect(s.drops.total).toBe(0);
    s.interface('eth0')!.promiscuous = true;
    raw.sendIp(udpTo(SERVER_IP), 0x02_00_00_00_00_77);
    env.net.runUntilIdle();
    expect(seen.map((p) => [p.direction, p.pktType])).toEqual([['In', 'otherhost']]);
    expect(s.drops.count('OTHERHOST')).toBe(1);
    expect(s.counters.get('IpInReceives')).toBe(0);
  });

  test('UDP: short, lying length, bad checksum', () => {
    const env = lan();
    const raw = rawEndpoint(env);
    const s = env.server;
    s.udp.bind(9);
    raw.sendIp(
      ipv4({ src: STRANGER_IP, dst: SERVER_IP, protocol: IPPROTO_UDP, payload: new Uint8Array(5) }),
    );
    const liar = buildUdp(
      { srcPort: 1, dstPort: 9, payload: new Uint8Array(4) },
      { src: STRANGER_IP, dst: SERVER_IP, protocol: IPPROTO_UDP, length: 12 },
    );
    put16(liar, 4, 40);
    raw.sendIp(ipv4({ src: STRANGER_IP, dst: SERVER_IP, protocol: IPPROTO_UDP, payload: liar }));
    const bad = buildUdp(
      { srcPort: 1, dstPort: 9, payload: new Uint8Array(4) },
      { src: STRANGER_IP, dst: SERVER_IP, protocol: IPPROTO_UDP, length: 12 },
    );
    bad[11]! ^= 1;
    raw.sendIp(ipv4({ src: STRANGER_IP, dst: SERVER_IP, protocol: IPPROTO_UDP, payload: bad }));
    env.net.runUntilIdle();
    expect(s.drops.count('PKT_TOO_SMALL')).toBe(2);
    expect(s.drops.count('UDP_CSUM')).toBe(1);
    expect(s.counters.get('UdpInErrors')).toBe(3);
    expect(s.counters.get('UdpInCsumErrors')).toBe(1);
    expect(s.counters.get('UdpInDatagrams')).toBe(0);
    expect(s.counters.get('IpInDelivers')).toBe(3);
  });

  test('fuzz: random frames into a NIC never throw, and the host still answers a ping', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ethertype: fc.constantFrom(0x0800, 0x0806, 0x86dd, 0x0042),
            dst: fc.constantFrom(SERVER_MAC, 0xffff_ffff_ffff, 0x01005e000001, CLIENT_MAC),
            payload: fc.uint8Array({ maxLength: 120 }),
            fixIp: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        (frames) => {
          const env = lan({ seed: 5 });
          const raw = rawEndpoint(env);
          env.server.udp.bind(9);
          env.server.registerProtocol(IPPROTO_TCP, new FakeTransport());
          for (const f of frames) {
            let payload = f.payload;
            if (f.ethertype === 0x0800 && f.fixIp && payload.length >= 20) {
              // Mostly-valid IPv4: version 4, IHL 5, a consistent length and checksum.
              payload = payload.slice();
              payload[0] = 0x45;
              put16(payload, 2, payload.length);
              payload.set([192, 168, 0, 99, 192, 168, 0, 22], 12);
              withChecksum(payload);
            }
            raw.sendFrame(
              buildEthernet({ dst: f.dst, src: 0x020000000099, ethertype: f.ethertype, payload }),
            );
          }
          env.net.runUntil(10 * S);
          let replies = 0;
          env.client.icmp.listenEcho(77, () => replies++);
          env.client.icmp.sendEcho({ dst: SERVER_IP, id: 77, sequence: 1 });
          env.net.runUntil(20 * S);
          return replies === 1;
        },
      ),
      { numRuns: 200 },
    );
  });
});
