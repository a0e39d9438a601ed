/**
 * The topology builder: hosts, point-to-point links and shared segments on one
 * event queue and one seed; the same seed gives the same frames.
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { Network } from '../../src/sim/network.js';
import { ms, s } from '../../src/sim/time.js';
import { parseIpv4Address } from '../../src/wire/address.js';
import { toHex } from '../../src/wire/bytes.js';

function ip(text: string): number {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(text);
  return r.value;
}

/** Pings `dst` from `from` once; returns the reply times. */
function ping(from: Host, dst: string, id = 1): number[] {
  const times: number[] = [];
  from.icmp.listenEcho(id, (now) => times.push(now));
  from.icmp.sendEcho({ dst: ip(dst), id, sequence: 1 });
  return times;
}

describe('building a network', () => {
  test('hosts on a segment, with addresses, MACs and a default route', () => {
    const net = new Network({ seed: 1 });
    const lan = net.segment('lan');
    const a = net.addHost('a', { segment: lan, address: '10.0.0.1/24', mac: '02:00:00:00:00:01' });
    const b = net.addHost('b', { segment: 'lan', address: '10.0.0.2/24', gateway: '10.0.0.1' });
    expect(net.host('a')).toBe(a);
    expect(net.hosts.map((h) => h.name)).toEqual(['a', 'b']);
    expect(a.interface('eth0')!.mac).toBe(0x020000000001);
    // A MAC of its own: random, unicast, locally administered.
    const mac = b.interface('eth0')!.mac;
    expect(Math.floor(mac / 2 ** 40) & 3).toBe(2);
    expect(b.routes.lookup(ip('8.8.8.8'))!.gateway).toBe(ip('10.0.0.1'));
    expect(lan.endpoints.map((e) => e.name)).toEqual(['a:eth0', 'b:eth0']);
  });

  test('every host knows the others by name', () => {
    const net = new Network();
    const lan = net.segment('lan');
    const a = net.addHost('client', { segment: lan, address: '192.168.0.21/24' });
    const b = net.addHost('server', { segment: lan, address: '192.168.0.22/24' });
    expect(a.resolve('server')).toBe(ip('192.168.0.22'));
    expect(b.resolve('client')).toBe(ip('192.168.0.21'));
    expect(b.resolve('localhost')).toBe(ip('127.0.0.1'));
    expect(b.resolve('nowhere')).toBeUndefined();
  });

  test('mistakes in a lab are errors that say what is wrong', () => {
    const net = new Network();
    net.segment('lan');
    net.addHost('a', { segment: 'lan', address: '10.0.0.1/24' });
    expect(() => net.addHost('a')).toThrow(/already a host called a/);
    expect(() => net.addHost('bad name')).toThrow(/not a host name/);
    expect(() => net.host('zz')).toThrow(/no host called zz/);
    expect(() => net.addHost('b', { address: '10.0.0.2/24' })).toThrow(/no segment/);
    expect(() => net.addHost('c', { segment: 'lan', address: '10.0.0.300/24' })).toThrow(/EINVAL/);
    expect(() => net.addHost('d', { segment: 'lan', mac: 'zz' })).toThrow(/bad MAC/);
    expect(() =>
      net.addHost('e', { segment: 'lan', address: '10.0.0.5/24', gateway: '172.16.0.1' }),
    ).toThrow(/ENETUNREACH/);
    expect(() => net.segment('lan')).toThrow(/already a link called lan/);
  });

  test('connect: a point-to-point link with a NIC on each side; its delay shows in the RTT', () => {
    const net = new Network({ seed: 2 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    const {
      link,
      a: ia,
      b: ib,
    } = net.connect(a, b, {
      properties: { delay: ms(5) },
      a: { address: '10.9.0.1/30' },
      b: { address: '10.9.0.2/30' },
    });
    expect(link.name).toBe('a-b');
    expect([ia.name, ib.name]).toEqual(['eth0', 'eth0']);
    const replies = ping(a, '10.9.0.2');
    net.runUntilIdle();
    // ARP request and reply, echo request and reply: four one-way trips.
    expect(replies).toEqual([ms(20)]);
    // A second link between the same hosts gets the next name and NICs.
    const second = net.connect('a', 'b');
    expect(second.link.name).toBe('a-b-2');
    expect(second.a.name).toBe('eth1');
  });

  test('a router between two segments, with forwarding', () => {
    const net = new Network({ seed: 3 });
    net.segment('left');
    net.segment('right');
    const c = net.addHost('c', {
      segment: 'left',
      address: '192.168.1.2/24',
      gateway: '192.168.1.1',
    });
    const r = net.addHost('r', { segment: 'left', address: '192.168.1.1/24', forwarding: true });
    net.attach(r, net.link('right'), { address: '192.168.2.1/24' });
    net.addHost('d', { segment: 'right', address: '192.168.2.2/24', gateway: '192.168.2.1' });
    const replies = ping(c, '192.168.2.2');
    net.runUntilIdle();
    expect(replies).toHaveLength(1);
    expect(r.sysctl.int('net.ipv4.ip_forward')).toBe(1);
  });
});

describe('running', () => {
  test('runFor, runUntil, runWhile, step: the clock moves as told', () => {
    const net = new Network();
    net.segment('lan');
    const a = net.addHost('a', { segment: 'lan', address: '10.0.0.1/24' });
    net.addHost('b', { segment: 'lan', address: '10.0.0.2/24' });
    expect(net.runFor(s(1))).toBe(0);
    expect(net.now).toBe(s(1));
    const replies = ping(a, '10.0.0.2');
    expect(net.step()).toBe(true);
    expect(net.runWhile(() => replies.length === 0, s(2))).toBe(true);
    expect(replies).toEqual([s(1)]);
    net.runUntil(s(3));
    expect(net.now).toBe(s(3));
    // The neighbour entries' timers are the only events left; they end.
    expect(net.runUntilIdle()).toBeGreaterThan(0);
  });

  test('a link that loses everything: the neighbour fails, and nothing throws', () => {
    const net = new Network({ seed: 4 });
    net.segment('lan', { loss: 1 });
    const a = net.addHost('a', { segment: 'lan', address: '10.0.0.1/24' });
    net.addHost('b', { segment: 'lan', address: '10.0.0.2/24' });
    const replies = ping(a, '10.0.0.2');
    net.runUntilIdle();
    expect(replies).toEqual([]);
    expect(a.neigh.entries.map((n) => n.state)).toEqual(['FAILED']);
    expect(net.link('lan').stats().dropped.loss).toBe(3);
  });
});

describe('determinism', () => {
  /** Three hosts exchanging pings and UDP over a lossy, jittery segment; every frame in hex. */
  function run(seed: number): string[] {
    const net = new Network({ seed });
    net.segment('lan', { delay: ms(1), jitter: ms(3), loss: 0.2, duplicate: 0.1 });
    const hosts = ['a', 'b', 'c'].map((n, i) =>
      net.addHost(n, { segment: 'lan', address: `10.0.0.${i + 1}/24` }),
    );
    const frames: string[] = [];
    for (const h of hosts)
      h.addTap((p) => frames.push(`${p.time} ${p.host} ${p.direction} ${toHex(p.frame)}`));
    for (let i = 0; i < 10; i++) {
      hosts[i % 3]!.icmp.sendEcho({ dst: ip(`10.0.0.${((i + 1) % 3) + 1}`), id: i, sequence: i });
      const u = hosts[(i + 1) % 3]!.udp.bind(0);
      if (u.ok) u.value.sendTo(ip(`10.0.0.${(i % 3) + 1}`), 9, Uint8Array.of(i));
      net.runFor(ms(700));
    }
    net.runUntilIdle();
    return frames;
  }

  test('the same seed gives the same frames at the same times, byte for byte', () => {
    const a = run(99);
    expect(a.length).toBeGreaterThan(40);
    expect(run(99)).toEqual(a);
  });

  test('another seed gives another run', () => {
    expect(run(100)).not.toEqual(run(99));
  });
});
