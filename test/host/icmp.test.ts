/**
 * ICMP: ping, the errors Linux sends (and when it does not), their rate limits,
 * and errors received being handed to the transport that sent the quoted
 * datagram.
 */

import { expect, describe as group, test } from 'vitest';
import type { InboundPacket } from '../../src/host/protocol.js';
import type { TapPacket } from '../../src/host/tap.js';
import { EMPTY_BYTES } from '../../src/wire/bytes.js';
import { ETHERNET_HEADER_LEN } from '../../src/wire/ethernet.js';
import {
  buildIcmp,
  ICMP_DEST_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_TIMESTAMP,
  parseIcmp,
} from '../../src/wire/icmp.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { buildUdp } from '../../src/wire/udp.js';
import {
  addStranger,
  CLIENT_IP,
  describe,
  FakeTransport,
  ip,
  ipOf,
  ipv4,
  lan,
  ports,
  rawEndpoint,
  SERVER_IP,
  STRANGER_IP,
  traceFrames,
} from './helpers.js';

const S = 1_000_000_000;
const MS = 1_000_000;

function icmpFrames(wire: readonly TapPacket[], direction: 'In' | 'Out'): TapPacket[] {
  return wire.filter((p) => p.direction === direction && describe(p).includes('ICMP'));
}

group('ping', () => {
  test('an echo request is answered: same id, sequence and data; no DF, TTL 64, TOS copied', () => {
    const { net, client, server, wire } = lan();
    const data = Uint8Array.from({ length: 56 }, (_, i) => i);
    const replies: { id: number; sequence: number; data: Uint8Array }[] = [];
    client.icmp.listenEcho(0x1234, (_now, r) => replies.push(r));
    expect(
      client.icmp.sendEcho({
        dst: SERVER_IP,
        id: 0x1234,
        sequence: 1,
        data,
        tos: 0x10,
        ipId: 4242,
      }),
    ).toEqual({ ok: true });
    net.runUntilIdle();

    const request = ipOf(icmpFrames(wire, 'Out')[0]!.frame);
    expect(request).toMatchObject({
      id: 4242,
      dontFragment: true,
      ttl: 64,
      src: CLIENT_IP,
      dst: SERVER_IP,
    });
    const reply = ipOf(icmpFrames(wire, 'In')[0]!.frame);
    expect(reply).toMatchObject({
      src: SERVER_IP,
      dst: CLIENT_IP,
      protocol: IPPROTO_ICMP,
      ttl: 64,
      dontFragment: false,
      dscp: 0x10 >> 2,
      ecn: 0,
      totalLength: 84,
      checksumOk: true,
    });
    // The ICMP bytes: the request's, type 0, checksum recomputed.
    expect(reply.payload).toEqual(buildIcmp({ kind: 'echoReply', id: 0x1234, sequence: 1, data }));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ id: 0x1234, sequence: 1, data });

    expect(server.counters.get('IcmpInMsgs')).toBe(1);
    expect(server.counters.get('IcmpInEchos')).toBe(1);
    expect(server.counters.get('IcmpMsgInType8')).toBe(1);
    expect(server.counters.get('IcmpOutMsgs')).toBe(1);
    expect(server.counters.get('IcmpOutEchoReps')).toBe(1);
    expect(server.counters.get('IcmpMsgOutType0')).toBe(1);
    expect(server.counters.get('IpInDelivers')).toBe(1);
    expect(server.counters.get('IpOutRequests')).toBe(1);
    expect(client.counters.get('IcmpOutEchos')).toBe(1);
    expect(client.counters.get('IcmpInEchoReps')).toBe(1);
  });

  test('an echo reply nobody waits for is dropped (NO_SOCKET)', () => {
    const { net, client } = lan();
    client.icmp.sendEcho({ dst: SERVER_IP, id: 7, sequence: 1 });
    net.runUntilIdle();
    expect(client.drops.count('NO_SOCKET')).toBe(1);
  });

  test('echo replies are not rate limited: 100 requests, 100 replies', () => {
    const { net, client } = lan();
    let n = 0;
    client.icmp.listenEcho(1, () => n++);
    for (let i = 0; i < 100; i++) client.icmp.sendEcho({ dst: SERVER_IP, id: 1, sequence: i });
    net.runUntilIdle();
    expect(n).toBe(100);
  });

  test('a ping to the subnet broadcast is ignored (icmp_echo_ignore_broadcasts 1), answered when 0', () => {
    const { net, client, server } = lan();
    let replies = 0;
    client.icmp.listenEcho(9, () => replies++);
    client.icmp.sendEcho({ dst: ip('192.168.0.255'), id: 9, sequence: 1 });
    net.runUntilIdle();
    expect(replies).toBe(0);
    expect(server.drops.count('INVALID_PROTO')).toBe(1);
    expect(server.counters.get('IcmpInErrors')).toBe(1);
    server.sysctl.write('net.ipv4.icmp_echo_ignore_broadcasts', '0');
    client.icmp.sendEcho({ dst: ip('192.168.0.255'), id: 9, sequence: 2 });
    net.runUntilIdle();
    expect(replies).toBe(1);
  });

  test('icmp_echo_ignore_all 1: no answer', () => {
    const { net, client, server } = lan();
    server.sysctl.write('net.ipv4.icmp_echo_ignore_all', '1');
    let replies = 0;
    client.icmp.listenEcho(9, () => replies++);
    client.icmp.sendEcho({ dst: SERVER_IP, id: 9, sequence: 1 });
    net.runUntilIdle();
    expect(replies).toBe(0);
    expect(server.counters.get('IcmpInEchos')).toBe(1);
  });

  test('ping 127.0.0.1 goes through lo and is answered', () => {
    const { net, client } = lan();
    const seen: string[] = [];
    client.addTap((p) => seen.push(`${p.ifname} ${describe(p)}`));
    let replies = 0;
    client.icmp.listenEcho(3, () => replies++);
    client.icmp.sendEcho({ dst: ip('127.0.0.1'), id: 3, sequence: 1 });
    net.runUntilIdle();
    expect(replies).toBe(1);
    expect(seen).toEqual([
      'lo Out IP 127.0.0.1 > 127.0.0.1 ICMP echo request, id 3, seq 1, length 8',
      'lo In IP 127.0.0.1 > 127.0.0.1 ICMP echo request, id 3, seq 1, length 8',
      'lo Out IP 127.0.0.1 > 127.0.0.1 ICMP echo reply, id 3, seq 1, length 8',
      'lo In IP 127.0.0.1 > 127.0.0.1 ICMP echo reply, id 3, seq 1, length 8',
    ]);
  });

  test('a timestamp request is answered with the originate time copied', () => {
    const { net, client, wire } = lan();
    const body = new Uint8Array(16);
    body.set([0, 5, 0, 1, 0, 0, 0x30, 0x39]); // id 5, seq 1, originate 12345
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_ICMP,
      payload: buildIcmp({ kind: 'unknown', type: ICMP_TIMESTAMP, code: 0, bytes: body }),
    });
    net.runUntil(2 * S);
    const reply = ipOf(icmpFrames(wire, 'In')[0]!.frame);
    expect(reply.payload[0]).toBe(14);
    expect(reply.payload.subarray(4, 12)).toEqual(body.subarray(0, 8));
    expect(reply.payload.length).toBe(20);
  });
});

group('destination unreachable', () => {
  test('UDP to a closed port: port unreachable, tos 0xc0, no DF, quoting the whole datagram', () => {
    const { net, client, server, wire } = lan();
    const sock = client.udp.bind(40001);
    if (!sock.ok) throw new Error('bind');
    sock.value.sendTo(SERVER_IP, 9, new Uint8Array([1, 2, 3, 4, 5]));
    net.runUntilIdle();
    const sent = ipOf(
      wire.find((p) => p.direction === 'Out' && describe(p).includes('proto 17'))!.frame,
    );
    const err = ipOf(icmpFrames(wire, 'In')[0]!.frame);
    expect(err).toMatchObject({
      src: SERVER_IP,
      dst: CLIENT_IP,
      dscp: 0xc0 >> 2,
      ecn: 0,
      ttl: 64,
      dontFragment: false,
      protocol: IPPROTO_ICMP,
      totalLength: 20 + 8 + 33,
    });
    const m = parseIcmp(err.payload);
    expect(m.ok && m.value).toMatchObject({
      kind: 'destUnreachable',
      code: ICMP_PORT_UNREACH,
      checksumOk: true,
    });
    // The quote is the datagram as sent, IP header first.
    const whole = wire.find(
      (p) => p.direction === 'Out' && describe(p).includes('proto 17'),
    )!.frame;
    expect(err.payload.subarray(8)).toEqual(whole.subarray(ETHERNET_HEADER_LEN));
    expect(sent.totalLength).toBe(33);
    expect(server.counters.get('UdpNoPorts')).toBe(1);
    expect(server.counters.get('IcmpOutDestUnreachs')).toBe(1);
    expect(server.counters.get('IcmpMsgOutType3')).toBe(1);
    expect(server.drops.count('NO_SOCKET')).toBe(1);
    expect(client.counters.get('IcmpInDestUnreachs')).toBe(1);
  });

  test('as in linux-traces/reject-icmp/nc: the SYN quoted whole, length 88, id aside the same bytes', () => {
    const { net, client, server, wire } = lan();
    client.registerProtocol(IPPROTO_TCP, new FakeTransport());
    // A REJECT --reject-with icmp-port-unreachable on the server's INPUT.
    server.addHook('INPUT', (_now, pkt) => {
      if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
      const skb: InboundPacket = {
        datagram: pkt.datagram,
        ip: pkt.ip,
        iface: pkt.inIface!,
        pktType: 'host',
        delivery: 'local',
      };
      server.icmpSend(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
      return 'DROP';
    });
    const trace = traceFrames('reject-icmp/nc');
    const syn = ipOf(trace[2]!.frame);
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: syn.payload.slice(),
      id: syn.id,
    });
    net.runUntilIdle();
    expect(wire[2]!.frame).toEqual(trace[2]!.frame);
    const ours = wire[3]!.frame;
    const theirs = trace[3]!.frame;
    expect(ours.length).toBe(102);
    // Everything but the IP id (bytes 18-19) and the header checksum (24-25),
    // which depend on the id: Linux's is a hash, tcplab's a seeded stream.
    const mask = (b: Uint8Array) => {
      const c = b.slice();
      c.fill(0, 18, 20);
      c.fill(0, 24, 26);
      return c;
    };
    expect(mask(ours)).toEqual(mask(theirs));
    expect(ipOf(ours).checksumOk).toBe(true);
    expect(server.drops.count('NETFILTER_DROP')).toBe(1);
  });

  test('a connected UDP socket learns ECONNREFUSED; an unconnected one ignores the error', () => {
    const { net, client } = lan();
    const connected = client.udp.bind(0);
    const loose = client.udp.bind(0);
    if (!connected.ok || !loose.ok) throw new Error('bind');
    expect(connected.value.connect(SERVER_IP, 9).ok).toBe(true);
    const errors: string[] = [];
    connected.value.onError = (e) => errors.push(e);
    connected.value.send(new Uint8Array(4));
    loose.value.sendTo(SERVER_IP, 9, new Uint8Array(4));
    net.runUntilIdle();
    expect(errors).toEqual(['ECONNREFUSED']);
    expect(loose.value.error).toBeUndefined();
    // The pending error is reported by the next call, then cleared.
    expect(connected.value.send(new Uint8Array(4))).toMatchObject({
      ok: false,
      errno: 'ECONNREFUSED',
    });
    expect(connected.value.send(new Uint8Array(4))).toEqual({ ok: true });
  });

  test('a protocol nobody handles: protocol unreachable (IpInUnknownProtos, IP_NOPROTO)', () => {
    const { net, client, server, wire } = lan();
    client.sendIp({ src: CLIENT_IP, dst: SERVER_IP, protocol: 253, payload: ports(1, 2) });
    // TCP has no handler on this host either.
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(40001, 80),
    });
    net.runUntilIdle();
    expect(icmpFrames(wire, 'In').map(describe)).toEqual([
      'In IP 192.168.0.22 > 192.168.0.21 ICMP 192.168.0.22 protocol 253 unreachable, length 48',
      'In IP 192.168.0.22 > 192.168.0.21 ICMP 192.168.0.22 protocol 6 unreachable, length 48',
    ]);
    expect(server.counters.get('IpInUnknownProtos')).toBe(2);
    expect(server.drops.count('IP_NOPROTO')).toBe(2);
  });

  test('the transport that sent the quoted datagram gets the error, with errno and fatality', () => {
    const { net, client } = lan();
    const tcp = new FakeTransport();
    client.registerProtocol(IPPROTO_TCP, tcp);
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(40001, 80),
    });
    net.runUntilIdle();
    expect(tcp.errors).toHaveLength(1);
    expect(tcp.errors[0]!.report).toMatchObject({
      type: 3,
      code: 2,
      errno: 'ENOPROTOOPT',
      fatal: true,
      from: SERVER_IP,
    });
    expect(tcp.errors[0]!.quoted).toMatchObject({ srcPort: 40001, dstPort: 80 });
  });
});

group('when Linux sends no error (RFC 1122 3.2.2)', () => {
  function offender(p: Parameters<typeof ipv4>[0]) {
    return ipv4(p);
  }

  test('never about an ICMP error, a broadcast, a non-first fragment, or a link-layer broadcast', () => {
    const { net, server, wire } = lan();
    const cases = [
      // an ICMP error
      {
        datagram: offender({
          src: CLIENT_IP,
          dst: SERVER_IP,
          protocol: IPPROTO_ICMP,
          payload: buildIcmp({ kind: 'destUnreachable', code: 3, quote: new Uint8Array(28) }),
        }),
        pktType: 'host' as const,
      },
      // to the limited broadcast address
      {
        datagram: offender({ src: CLIENT_IP, dst: 0xffff_ffff, protocol: IPPROTO_UDP }),
        pktType: 'host' as const,
      },
      // to the subnet broadcast address
      {
        datagram: offender({ src: CLIENT_IP, dst: ip('192.168.0.255'), protocol: IPPROTO_UDP }),
        pktType: 'host' as const,
      },
      // a fragment other than the first
      {
        datagram: offender({
          src: CLIENT_IP,
          dst: SERVER_IP,
          protocol: IPPROTO_UDP,
          fragmentOffset: 185,
          dontFragment: false,
        }),
        pktType: 'host' as const,
      },
      // a frame that was link-layer broadcast
      {
        datagram: offender({ src: CLIENT_IP, dst: SERVER_IP, protocol: IPPROTO_UDP }),
        pktType: 'broadcast' as const,
      },
    ];
    for (const c of cases) {
      server.icmp.send(
        {
          datagram: c.datagram,
          pktType: c.pktType,
          inIface: server.interface('eth0'),
          local: true,
          broadcast: false,
        },
        ICMP_DEST_UNREACH,
        ICMP_PORT_UNREACH,
        0,
      );
    }
    net.runUntilIdle();
    expect(server.counters.get('IcmpOutMsgs')).toBe(0);
    expect(wire).toHaveLength(0);
    // But about an echo request (not an error), yes.
    server.icmp.send(
      {
        datagram: offender({
          src: CLIENT_IP,
          dst: SERVER_IP,
          protocol: IPPROTO_ICMP,
          payload: buildIcmp({ kind: 'echoRequest', id: 1, sequence: 1, data: EMPTY_BYTES }),
        }),
        pktType: 'host',
        inIface: server.interface('eth0'),
        local: true,
        broadcast: false,
      },
      ICMP_DEST_UNREACH,
      ICMP_PORT_UNREACH,
      0,
    );
    expect(server.counters.get('IcmpOutMsgs')).toBe(1);
  });

  test('UDP to a closed port sent as a broadcast: no error (UdpIgnoredMulti)', () => {
    const { net, client, server } = lan();
    client.sendIp({
      src: CLIENT_IP,
      dst: ip('192.168.0.255'),
      protocol: IPPROTO_UDP,
      payload: buildUdp(
        { srcPort: 1, dstPort: 9, payload: EMPTY_BYTES },
        { src: CLIENT_IP, dst: ip('192.168.0.255'), protocol: IPPROTO_UDP, length: 8 },
      ),
    });
    net.runUntilIdle();
    expect(server.counters.get('UdpIgnoredMulti')).toBe(1);
    expect(server.counters.get('IcmpOutMsgs')).toBe(0);
  });
});

group('rate limits', () => {
  function closedPortBurst(env: ReturnType<typeof lan>, count: number): void {
    const sock = env.client.udp.bind(40001);
    if (!sock.ok) throw new Error('bind');
    for (let i = 0; i < count; i++) sock.value.sendTo(SERVER_IP, 9, new Uint8Array(1));
  }

  test('per destination (icmp_ratelimit 1000 ms): a burst of 6, then nothing at t−1, one at t', () => {
    const env = lan();
    const sock = env.client.udp.bind(40001);
    if (!sock.ok) throw new Error('bind');
    const send = () => sock.value.sendTo(SERVER_IP, 9, new Uint8Array(1));
    // inet_peer: a new peer starts with 6 s of tokens (XRLIM_BURST_FACTOR × 1 s).
    for (let i = 0; i < 8; i++) send();
    env.net.runUntil(0);
    const errors = () => icmpFrames(env.wire, 'In').length;
    expect(errors()).toBe(6);
    expect(env.server.counters.get('IcmpOutRateLimitHost')).toBe(2);
    // One token (250 jiffies) later, and not a nanosecond before.
    env.net.runUntil(S - 1);
    send();
    env.net.runUntil(S - 1);
    expect(errors()).toBe(6);
    env.net.runUntil(S);
    send();
    env.net.runUntil(S);
    expect(errors()).toBe(7);
    expect(env.server.counters.get('UdpNoPorts')).toBe(10);
  });

  test('icmp_ratelimit 0 turns the per-destination limit off', () => {
    const env = lan();
    env.server.sysctl.write('net.ipv4.icmp_ratelimit', '0');
    closedPortBurst(env, 20);
    env.net.runUntilIdle();
    expect(icmpFrames(env.wire, 'In')).toHaveLength(20);
  });

  test('a type outside icmp_ratemask is not limited', () => {
    const env = lan();
    env.server.sysctl.write('net.ipv4.icmp_ratemask', String(0x1818 & ~(1 << 3)));
    closedPortBurst(env, 20);
    env.net.runUntilIdle();
    expect(icmpFrames(env.wire, 'In')).toHaveLength(20);
  });

  test('host-wide (icmp_msgs_burst): spent, refilled after HZ/50, not a jiffy before', () => {
    const env = lan();
    env.server.sysctl.write('net.ipv4.icmp_ratelimit', '0');
    env.server.sysctl.write('net.ipv4.icmp_msgs_burst', '2');
    closedPortBurst(env, 20);
    env.net.runUntil(0);
    const first = icmpFrames(env.wire, 'In').length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(20);
    expect(env.server.counters.get('IcmpOutRateLimitGlobal')).toBe(20 - first);
    // The bucket was refilled at jiffy 0; the next refill needs 5 jiffies (20 ms).
    const sock = env.client.udp.sockets[0]!;
    env.net.runUntil(20 * MS - 1);
    sock.sendTo(SERVER_IP, 9, new Uint8Array(1));
    env.net.runUntil(20 * MS - 1);
    expect(icmpFrames(env.wire, 'In')).toHaveLength(first);
    env.net.runUntil(20 * MS);
    sock.sendTo(SERVER_IP, 9, new Uint8Array(1));
    env.net.runUntil(20 * MS);
    expect(icmpFrames(env.wire, 'In')).toHaveLength(first + 1);
  });
});

group('errors received', () => {
  test('a bad ICMP checksum, an unknown type, a short quote: dropped and counted', () => {
    const env = lan();
    const raw = rawEndpoint(env);
    const bad = buildIcmp({ kind: 'echoRequest', id: 1, sequence: 1, data: EMPTY_BYTES });
    bad[2]! ^= 0xff;
    raw.sendIp(
      ipv4({ src: ip('192.168.0.99'), dst: SERVER_IP, protocol: IPPROTO_ICMP, payload: bad }),
    );
    raw.sendIp(
      ipv4({
        src: ip('192.168.0.99'),
        dst: SERVER_IP,
        protocol: IPPROTO_ICMP,
        payload: buildIcmp({ kind: 'unknown', type: 42, code: 0, bytes: new Uint8Array(4) }),
      }),
    );
    raw.sendIp(
      ipv4({
        src: ip('192.168.0.99'),
        dst: SERVER_IP,
        protocol: IPPROTO_ICMP,
        payload: buildIcmp({ kind: 'destUnreachable', code: 3, quote: new Uint8Array(10) }),
      }),
    );
    env.net.runUntilIdle();
    const s = env.server;
    expect(s.drops.count('ICMP_CSUM')).toBe(1);
    expect(s.counters.get('IcmpInCsumErrors')).toBe(1);
    expect(s.drops.count('UNHANDLED_PROTO')).toBe(1);
    expect(s.counters.get('IcmpMsgInType42')).toBe(1);
    expect(s.drops.count('NOT_SPECIFIED')).toBe(1);
    expect(s.counters.get('IcmpInErrors')).toBe(3);
    expect(s.counters.get('IcmpInMsgs')).toBe(3);
  });

  test('a "fragmentation needed" passes the next-hop MTU up', () => {
    const env = lan();
    const tcp = new FakeTransport();
    env.server.registerProtocol(IPPROTO_TCP, tcp);
    const stranger = addStranger(env);
    const quoted = ipv4({
      src: SERVER_IP,
      dst: STRANGER_IP,
      protocol: IPPROTO_TCP,
      payload: ports(80, 40001),
    });
    stranger.host.sendIp({
      src: STRANGER_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_ICMP,
      payload: buildIcmp({ kind: 'destUnreachable', code: 4, nextHopMtu: 1400, quote: quoted }),
      df: false,
    });
    env.net.runUntilIdle();
    expect(tcp.errors).toHaveLength(1);
    expect(tcp.errors[0]!.report).toMatchObject({
      type: 3,
      code: 4,
      info: 1400,
      errno: 'EMSGSIZE',
      fatal: false,
    });
    expect(tcp.errors[0]!.quoted.ip.dst).toBe(STRANGER_IP);
    expect(tcp.errors[0]!.quoted).toMatchObject({ srcPort: 80, dstPort: 40001 });
  });
});
