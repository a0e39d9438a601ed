/**
 * The host's per-packet shortcuts give what the long way gives: the neighbour
 * table's last-entry cache forgets an entry the table forgot, the cached
 * Ethernet header (Linux's hh_cache) is the one written field by field and
 * follows a new address at once, and the skb ip_rcv reuses from datagram to
 * datagram carries each one's own fields, also when a datagram arrives while
 * another is being delivered.
 */

import { expect, test } from 'vitest';
import type { InboundDatagram } from '../../src/host/protocol.js';
import { buildEthernet, ETHERNET_HEADER_LEN, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from '../../src/wire/ipv4.js';
import {
  CLIENT_IP,
  CLIENT_MAC,
  FakeTransport,
  ipv4,
  lan,
  ports,
  resolvedLan,
  SERVER_IP,
  SERVER_MAC,
} from './helpers.js';

/** The frames the client sent that carry IPv4. */
function ipFramesOut(env: ReturnType<typeof resolvedLan>): Uint8Array[] {
  return env.wire
    .filter((p) => p.direction === 'Out' && p.frame[12] === 0x08 && p.frame[13] === 0x00)
    .map((p) => p.frame);
}

test('the last entry found is forgotten with the table: after a flush, the next packet makes a new entry and asks again', () => {
  const env = resolvedLan();
  expect(env.client.neigh.lookup(env.eth0, SERVER_IP)).toBe(env.n);
  env.client.neigh.flush(env.net.now, env.eth0);
  expect(env.client.neigh.lookup(env.eth0, SERVER_IP)).toBeUndefined();
  expect(env.n.state).toBe('NONE');
  env.send(true);
  const fresh = env.client.neigh.lookup(env.eth0, SERVER_IP)!;
  expect(fresh).not.toBe(env.n);
  expect(fresh.state).toBe('INCOMPLETE');
  expect(env.client.neigh.entries).toEqual([fresh]);
});

test('the cached Ethernet header is the one written field by field, and follows a replaced address at once', () => {
  const env = resolvedLan();
  env.send(true);
  env.net.runUntil(0);
  const frames = ipFramesOut(env);
  expect(frames.length).toBe(2);
  const header = (dst: number) =>
    buildEthernet({ dst, src: CLIENT_MAC, ethertype: ETHERTYPE_IPV4, payload: new Uint8Array(0) });
  for (const f of frames) expect(f.subarray(0, ETHERNET_HEADER_LEN)).toEqual(header(SERVER_MAC));
  // `ip neigh replace 192.168.0.22 lladdr 02:00:00:00:00:77 nud permanent`.
  const other = 0x02_00_00_00_00_77;
  env.client.neigh.addPermanent(env.net.now, env.eth0, SERVER_IP, other);
  env.send(true);
  const after = ipFramesOut(env);
  expect(after.length).toBe(3);
  expect(after[2]!.subarray(0, ETHERNET_HEADER_LEN)).toEqual(header(other));
});

/** What a handler saw of an skb during its call. */
function snapshot(skb: InboundDatagram) {
  return {
    src: skb.src,
    dst: skb.dst,
    protocol: skb.protocol,
    headerLength: skb.headerLength,
    length: skb.length,
    delivery: skb.delivery,
    id: skb.ip.id,
    options: [...skb.ip.options],
    datagram: [...skb.datagram],
  };
}

test('the reused skb: each datagram its own fields, and a datagram received during the delivery of another gets an skb of its own', () => {
  const env = lan();
  const eth0 = env.server.interface('eth0')!;
  const frame = (datagram: Uint8Array) =>
    buildEthernet({
      dst: SERVER_MAC,
      src: CLIENT_MAC,
      ethertype: ETHERTYPE_IPV4,
      payload: datagram,
    });
  // The second has IP options (IHL 6): the transport's bytes start 24 bytes in.
  const first = ipv4({
    src: CLIENT_IP,
    dst: SERVER_IP,
    protocol: IPPROTO_TCP,
    id: 7,
    payload: ports(1, 2),
  });
  const nested = ipv4({
    src: CLIENT_IP,
    dst: SERVER_IP,
    protocol: IPPROTO_UDP,
    id: 8,
    options: new Uint8Array([1, 1, 1, 0]),
    payload: ports(3, 4),
  });
  const seen: { during: string; skb: ReturnType<typeof snapshot> }[] = [];
  let inner = true;
  env.server.registerProtocol(IPPROTO_TCP, {
    receive(now, skb) {
      seen.push({ during: 'tcp, before', skb: snapshot(skb) });
      if (inner) {
        inner = false;
        env.server.ip.rcv(now, eth0, frame(nested), 'host', ETHERNET_HEADER_LEN);
      }
      seen.push({ during: 'tcp, after', skb: snapshot(skb) });
    },
  });
  env.server.unregisterProtocol(IPPROTO_UDP);
  env.server.registerProtocol(IPPROTO_UDP, {
    receive(_now, skb) {
      seen.push({ during: 'udp', skb: snapshot(skb) });
    },
  });
  env.server.ip.rcv(0, eth0, frame(first), 'host', ETHERNET_HEADER_LEN);
  env.server.ip.rcv(0, eth0, frame(first), 'host', ETHERNET_HEADER_LEN);
  const expected = (d: Uint8Array) => {
    const p = parseIpv4(d);
    if (!p.ok) throw new Error('bad datagram');
    return {
      src: p.value.src,
      dst: p.value.dst,
      protocol: p.value.protocol,
      headerLength: 20 + p.value.options.length,
      length: d.length,
      delivery: 'local',
      id: p.value.id,
      options: [...p.value.options],
      datagram: [...d],
    };
  };
  expect(seen).toEqual([
    { during: 'tcp, before', skb: expected(first) },
    { during: 'udp', skb: expected(nested) },
    { during: 'tcp, after', skb: expected(first) },
    { during: 'tcp, before', skb: expected(first) },
    { during: 'tcp, after', skb: expected(first) },
  ]);
  expect(expected(nested).headerLength).toBe(24);
});

test('a transport keeps the decoded header and the bytes, which stay its own after the skb is reused', () => {
  const env = lan();
  const tcp = new FakeTransport();
  env.server.registerProtocol(IPPROTO_TCP, tcp);
  const eth0 = env.server.interface('eth0')!;
  for (const id of [1, 2, 3]) {
    const d = ipv4({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      id,
      payload: ports(1, 2),
    });
    env.server.ip.rcv(
      0,
      eth0,
      buildEthernet({ dst: SERVER_MAC, src: CLIENT_MAC, ethertype: ETHERTYPE_IPV4, payload: d }),
      'host',
      ETHERNET_HEADER_LEN,
    );
  }
  expect(tcp.received.map((r) => r.packet.id)).toEqual([1, 2, 3]);
  expect(tcp.received.map((r) => [...r.packet.payload.subarray(0, 4)])).toEqual([
    [0, 1, 0, 2],
    [0, 1, 0, 2],
    [0, 1, 0, 2],
  ]);
});
