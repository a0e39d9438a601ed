/**
 * ARP as the reference traces show it: the first packet to a neighbour waits
 * while a broadcast request goes out, the answer comes, then the packet leaves;
 * the answering host learns the asker from the request and never asks back.
 */

import { expect, describe as group, test } from 'vitest';
import { ARPOP_REPLY, ARPOP_REQUEST, buildArp } from '../../src/wire/arp.js';
import { buildEthernet, ETHERNET_HEADER_LEN, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import {
  CLIENT_IP,
  CLIENT_MAC,
  describe,
  FakeTransport,
  ip,
  lan,
  SERVER_IP,
  SERVER_MAC,
  traceFrames,
} from './helpers.js';

/** The client's SYN of linux-traces/normal-handshake/nc, as the IP layer was handed it. */
function traceSyn(): { segment: Uint8Array; id: number; frame: Uint8Array } {
  const frames = traceFrames('normal-handshake/nc');
  const frame = frames[2]!.frame;
  const d = parseIpv4(frame.subarray(ETHERNET_HEADER_LEN));
  if (!d.ok) throw new Error('trace frame 3 is not IPv4');
  return { segment: d.value.payload.slice(), id: d.value.id, frame };
}

group('resolving the first packet to a neighbour (linux-traces/normal-handshake/nc)', () => {
  test('who-has, is-at, then the waiting packet: the same bytes as the trace', () => {
    const { net, client, server, wire } = lan();
    server.registerProtocol(IPPROTO_TCP, new FakeTransport());
    const trace = traceFrames('normal-handshake/nc');
    const syn = traceSyn();

    const sent = client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: syn.segment,
      id: syn.id,
    });
    expect(sent).toEqual({ ok: true });
    // Nothing is on the wire but the request until the reply comes back.
    expect(wire.map(describe)).toEqual(['Out ARP who-has 192.168.0.22 tell 192.168.0.21']);
    net.runUntilIdle();

    expect(wire.slice(0, 3).map(describe)).toEqual([
      'Out ARP who-has 192.168.0.22 tell 192.168.0.21',
      'In ARP 192.168.0.22 is-at',
      'Out IP 192.168.0.21 > 192.168.0.22 proto 6',
    ]);
    // Ethernet and ARP bytes identical to the trace's first two frames (42 bytes,
    // no padding, as on veth), and the SYN's frame identical to its third.
    expect(wire[0]!.frame).toEqual(trace[0]!.frame);
    expect(wire[1]!.frame).toEqual(trace[1]!.frame);
    expect(wire[2]!.frame).toEqual(syn.frame);
    expect(wire[0]!.frame.length).toBe(42);
    // All at once on a zero-delay link, as the trace's microseconds.
    expect(wire.slice(0, 3).map((p) => p.time)).toEqual([0, 0, 0]);
  });

  test("the client's entry is REACHABLE; the server learned the client from the request (STALE)", () => {
    const { net, client, server } = lan();
    server.registerProtocol(IPPROTO_TCP, new FakeTransport());
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: new Uint8Array(20),
    });
    net.runFor(1_000_000);
    const c = client.neigh.lookup(client.interface('eth0')!, SERVER_IP)!;
    expect(c.state).toBe('REACHABLE');
    expect(c.ha).toBe(SERVER_MAC);
    const s = server.neigh.lookup(server.interface('eth0')!, CLIENT_IP)!;
    expect(s.state).toBe('STALE');
    expect(s.ha).toBe(CLIENT_MAC);
  });

  test('the server answers the waiting packet without asking who has the client', () => {
    const { net, client, server, wire } = lan();
    const tcp = new FakeTransport();
    server.registerProtocol(IPPROTO_TCP, tcp);
    client.registerProtocol(IPPROTO_TCP, new FakeTransport());
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: new Uint8Array(20),
    });
    net.runUntil(0);
    expect(tcp.received).toHaveLength(1);
    server.sendIp({
      src: SERVER_IP,
      dst: CLIENT_IP,
      protocol: IPPROTO_TCP,
      payload: new Uint8Array(20),
    });
    net.runUntil(0);
    expect(wire.map(describe)).toEqual([
      'Out ARP who-has 192.168.0.22 tell 192.168.0.21',
      'In ARP 192.168.0.22 is-at',
      'Out IP 192.168.0.21 > 192.168.0.22 proto 6',
      'In IP 192.168.0.22 > 192.168.0.21 proto 6',
    ]);
    // The server's STALE entry went to DELAY when it was used (neigh_event_send).
    expect(server.neigh.lookup(server.interface('eth0')!, CLIENT_IP)!.state).toBe('DELAY');
  });

  test('packets sent while the address is unknown all wait, and leave in order', () => {
    const { net, client, server, wire } = lan();
    server.registerProtocol(IPPROTO_TCP, new FakeTransport());
    for (let i = 0; i < 3; i++) {
      client.sendIp({
        src: CLIENT_IP,
        dst: SERVER_IP,
        protocol: IPPROTO_TCP,
        payload: new Uint8Array(20),
        id: 100 + i,
      });
    }
    net.runUntilIdle();
    const ids = wire
      .filter((p) => p.direction === 'Out' && describe(p).includes('IP'))
      .map((p) => {
        const d = parseIpv4(p.frame.subarray(ETHERNET_HEADER_LEN));
        return d.ok ? d.value.id : -1;
      });
    expect(ids).toEqual([100, 101, 102]);
    expect(wire.filter((p) => describe(p).includes('who-has'))).toHaveLength(1);
  });
});

/** An ARP frame from a third party on the segment. */
function arpFrame(
  op: number,
  senderMac: number,
  senderIp: number,
  targetMac: number,
  targetIp: number,
  dst = 0xffff_ffff_ffff,
): Uint8Array {
  return buildEthernet({
    dst,
    src: senderMac,
    ethertype: ETHERTYPE_ARP,
    payload: buildArp({ operation: op, senderMac, senderIp, targetMac, targetIp }),
  });
}

group('arp_process with stock settings (arp_ignore 0, arp_accept 0)', () => {
  const STRANGER_MAC = 0x02_00_00_00_00_99;
  const STRANGER_IP = ip('192.168.0.99');

  function stranger() {
    const env = lan();
    const wire: Uint8Array[] = [];
    const ep = env.net.link('lan').attach('stranger', (f) => wire.push(f));
    return { ...env, ep, heard: wire };
  }

  test('a request for another address: no answer, no entry', () => {
    const { net, server, ep, heard } = stranger();
    ep.send(arpFrame(ARPOP_REQUEST, STRANGER_MAC, STRANGER_IP, 0, ip('192.168.0.50')));
    net.runUntilIdle();
    expect(heard).toHaveLength(0);
    expect(server.neigh.lookup(server.interface('eth0')!, STRANGER_IP)).toBeUndefined();
  });

  test('an unsolicited reply creates no entry; one for a known neighbour updates it', () => {
    const { net, server, ep } = stranger();
    ep.send(arpFrame(ARPOP_REPLY, STRANGER_MAC, STRANGER_IP, SERVER_MAC, SERVER_IP, SERVER_MAC));
    net.runUntilIdle();
    expect(server.neigh.lookup(server.interface('eth0')!, STRANGER_IP)).toBeUndefined();
  });

  test('a request for an address on another interface is answered (any local address)', () => {
    const { net, server, ep, heard } = stranger();
    const eth1 = server.addEthernet();
    server.addAddress(eth1, '10.0.0.1/24');
    ep.send(arpFrame(ARPOP_REQUEST, STRANGER_MAC, STRANGER_IP, 0, ip('10.0.0.1')));
    net.runUntilIdle();
    expect(heard).toHaveLength(1);
    const reply = heard[0]!;
    // From eth0's MAC, saying 10.0.0.1 is at eth0's MAC.
    expect(reply.subarray(0, 12)).toEqual(
      new Uint8Array([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 0x22]),
    );
    expect(server.neigh.lookup(server.interface('eth0')!, STRANGER_IP)!.state).toBe('STALE');
  });

  test('"use the FIRST one": a different address within locktime is ignored, later it wins', () => {
    const { net, client, ep } = stranger();
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: new Uint8Array(20),
    });
    net.runUntil(0);
    const eth0 = client.interface('eth0')!;
    const n = client.neigh.lookup(eth0, SERVER_IP)!;
    expect(n.ha).toBe(SERVER_MAC);
    // locktime 100 (1/100 s) is 250 jiffies: a reply 0.5 s later loses.
    net.runUntil(500_000_000);
    ep.send(arpFrame(ARPOP_REPLY, STRANGER_MAC, SERVER_IP, CLIENT_MAC, CLIENT_IP, CLIENT_MAC));
    net.runUntil(500_000_000);
    expect(n.ha).toBe(SERVER_MAC);
    // One past the lock (jiffy 251 after the update) wins.
    net.runUntil(1_004_000_000);
    ep.send(arpFrame(ARPOP_REPLY, STRANGER_MAC, SERVER_IP, CLIENT_MAC, CLIENT_IP, CLIENT_MAC));
    net.runUntil(1_004_000_000);
    expect(n.ha).toBe(STRANGER_MAC);
    expect(n.state).toBe('REACHABLE');
  });

  test('a broadcast reply only makes a known entry STALE', () => {
    const { net, client, ep } = stranger();
    client.sendIp({
      src: CLIENT_IP,
      dst: SERVER_IP,
      protocol: IPPROTO_TCP,
      payload: new Uint8Array(20),
    });
    net.runUntil(0);
    const n = client.neigh.lookup(client.interface('eth0')!, SERVER_IP)!;
    net.runUntil(2_000_000_000);
    ep.send(arpFrame(ARPOP_REPLY, STRANGER_MAC, SERVER_IP, 0, CLIENT_IP));
    net.runUntil(2_000_000_000);
    expect(n.state).toBe('STALE');
    expect(n.ha).toBe(STRANGER_MAC);
  });

  test('malformed ARP is dropped with its reason, never thrown', () => {
    const { net, server, ep } = stranger();
    const good = arpFrame(ARPOP_REQUEST, STRANGER_MAC, STRANGER_IP, 0, SERVER_IP);
    ep.send(good.subarray(0, 14 + 27)); // one byte short
    const badLen = good.slice();
    badLen[14 + 4] = 8; // hardware address length 8
    ep.send(badLen);
    const badOp = good.slice();
    badOp[14 + 7] = 3; // RARP request
    ep.send(badOp);
    const loop = arpFrame(ARPOP_REQUEST, STRANGER_MAC, STRANGER_IP, 0, ip('127.0.0.1'));
    ep.send(loop);
    net.runUntilIdle();
    expect(server.drops.count('PKT_TOO_SMALL')).toBe(1);
    expect(server.drops.count('NOT_SPECIFIED')).toBe(3);
    expect(server.neigh.entries).toHaveLength(0);
  });
});
