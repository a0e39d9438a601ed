/**
 * The routing table: the routes an address brings, longest-prefix match, metrics,
 * gateways, and what output routing answers (ENETUNREACH, source selection).
 */

import { expect, describe as group, test } from 'vitest';
import { EthernetInterface, LoopbackInterface } from '../../src/host/interface.js';
import { RoutingTable } from '../../src/host/route.js';
import { formatIpv4Address } from '../../src/wire/address.js';
import { IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { CLIENT_IP, ip, lan, SERVER_IP } from './helpers.js';

function table() {
  const t = new RoutingTable();
  const lo = new LoopbackInterface();
  const eth0 = new EthernetInterface(2, 'eth0', 0x020000000001, 1500);
  const eth1 = new EthernetInterface(3, 'eth1', 0x020000000002, 1500);
  t.addInterfaceAddress(lo, ip('127.0.0.1'), 8);
  t.addInterfaceAddress(eth0, ip('192.168.0.21'), 24);
  t.addInterfaceAddress(eth1, ip('10.1.2.3'), 24);
  return { t, lo, eth0, eth1 };
}

function show(routes: ReturnType<RoutingTable['routes']>): string[] {
  return routes.map(
    (r) =>
      `${r.type} ${formatIpv4Address(r.dst)}/${r.prefixLength}${r.gateway !== undefined ? ` via ${formatIpv4Address(r.gateway)}` : ''} dev ${r.dev?.name ?? '-'} scope ${r.scope}${r.prefsrc !== undefined ? ` src ${formatIpv4Address(r.prefsrc)}` : ''}`,
  );
}

group('the routes an address brings (fib_add_ifaddr)', () => {
  test('local, broadcast and the connected subnet, as `ip route show table all` lists them', () => {
    const { t } = table();
    expect(show(t.routes('main'))).toEqual([
      'unicast 10.1.2.0/24 dev eth1 scope link src 10.1.2.3',
      'unicast 192.168.0.0/24 dev eth0 scope link src 192.168.0.21',
    ]);
    expect(show(t.routes('local'))).toEqual([
      'local 10.1.2.3/32 dev eth1 scope host src 10.1.2.3',
      'broadcast 10.1.2.255/32 dev eth1 scope link src 10.1.2.3',
      'local 127.0.0.0/8 dev lo scope host src 127.0.0.1',
      'local 127.0.0.1/32 dev lo scope host src 127.0.0.1',
      'broadcast 127.255.255.255/32 dev lo scope link src 127.0.0.1',
      'local 192.168.0.21/32 dev eth0 scope host src 192.168.0.21',
      'broadcast 192.168.0.255/32 dev eth0 scope link src 192.168.0.21',
    ]);
  });

  test('a /31 and a /32 have no broadcast address (RFC 3021)', () => {
    const t = new RoutingTable();
    const eth0 = new EthernetInterface(2, 'eth0', 1, 1500);
    t.addInterfaceAddress(eth0, ip('10.0.0.0'), 31);
    t.addInterfaceAddress(eth0, ip('10.9.9.9'), 32);
    expect(t.routes('local').filter((r) => r.type === 'broadcast')).toHaveLength(0);
    expect(show(t.routes('main'))).toEqual([
      'unicast 10.0.0.0/31 dev eth0 scope link src 10.0.0.0',
    ]);
  });

  test('removing the address removes its routes, and routes through a gateway it made reachable', () => {
    const { t, eth0 } = table();
    expect(t.add({ dst: 0, prefixLength: 0, gateway: ip('192.168.0.1') }).ok).toBe(true);
    t.removeInterfaceAddress(eth0, ip('192.168.0.21'));
    expect(t.lookup(ip('8.8.8.8'))).toBeUndefined();
    expect(t.lookup(ip('192.168.0.22'))).toBeUndefined();
  });
});

group('lookup: local first, then the longest prefix, then the lowest metric', () => {
  test('longest prefix wins', () => {
    const { t } = table();
    t.add({ dst: ip('10.0.0.0'), prefixLength: 8, gateway: ip('192.168.0.1') });
    t.add({ dst: ip('10.1.0.0'), prefixLength: 16, gateway: ip('192.168.0.2') });
    t.add({ dst: 0, prefixLength: 0, gateway: ip('192.168.0.254') });
    expect(t.lookup(ip('10.1.2.9'))!.dev!.name).toBe('eth1'); // the /24 on eth1
    expect(t.lookup(ip('10.1.9.9'))!.gateway).toBe(ip('192.168.0.2'));
    expect(t.lookup(ip('10.9.9.9'))!.gateway).toBe(ip('192.168.0.1'));
    expect(t.lookup(ip('8.8.8.8'))!.gateway).toBe(ip('192.168.0.254'));
    expect(t.lookup(ip('192.168.0.21'))!.type).toBe('local');
    expect(t.lookup(ip('127.4.5.6'))!.type).toBe('local');
    expect(t.lookup(ip('192.168.0.255'))!.type).toBe('broadcast');
  });

  test('same prefix: the lowest metric', () => {
    const { t } = table();
    t.add({ dst: ip('172.16.0.0'), prefixLength: 12, gateway: ip('192.168.0.1'), metric: 100 });
    t.add({ dst: ip('172.16.0.0'), prefixLength: 12, gateway: ip('10.1.2.1'), metric: 10 });
    expect(t.lookup(ip('172.16.1.1'))!.gateway).toBe(ip('10.1.2.1'));
  });

  test('`ip route add` errors: EEXIST, an unreachable gateway (ENETUNREACH), ESRCH on delete', () => {
    const { t } = table();
    expect(t.add({ dst: 0, prefixLength: 0, gateway: ip('192.168.0.1') }).ok).toBe(true);
    expect(t.add({ dst: 0, prefixLength: 0, gateway: ip('192.168.0.2') })).toEqual({
      ok: false,
      errno: 'EEXIST',
    });
    expect(t.add({ dst: ip('1.0.0.0'), prefixLength: 8, gateway: ip('172.31.0.1') })).toEqual({
      ok: false,
      errno: 'ENETUNREACH',
    });
    expect(t.add({ dst: ip('1.0.0.0'), prefixLength: 33 })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(t.delete(ip('9.0.0.0'), 8)).toEqual({ ok: false, errno: 'ESRCH' });
    expect(t.delete(0, 0).ok).toBe(true);
    expect(t.lookup(ip('8.8.8.8'))).toBeUndefined();
  });

  test('unreachable, prohibit and blackhole routes', () => {
    const { client } = lan();
    client.routes.add({ dst: ip('10.0.0.0'), prefixLength: 8, type: 'unreachable' });
    client.routes.add({ dst: ip('11.0.0.0'), prefixLength: 8, type: 'prohibit' });
    client.routes.add({ dst: ip('12.0.0.0'), prefixLength: 8, type: 'blackhole' });
    expect(client.route(ip('10.1.1.1'))).toEqual({ ok: false, errno: 'EHOSTUNREACH' });
    expect(client.route(ip('11.1.1.1'))).toEqual({ ok: false, errno: 'EACCES' });
    expect(client.route(ip('12.1.1.1'))).toEqual({ ok: false, errno: 'EINVAL' });
  });
});

group('output routing (ip_route_output_key)', () => {
  test('no route: ENETUNREACH, counted IpOutNoRoutes, dropped IP_OUTNOROUTES', () => {
    const { client } = lan();
    expect(client.route(ip('8.8.8.8'))).toEqual({ ok: false, errno: 'ENETUNREACH' });
    expect(
      client.sendIp({ dst: ip('8.8.8.8'), protocol: IPPROTO_UDP, payload: new Uint8Array(8) }),
    ).toEqual({
      ok: false,
      errno: 'ENETUNREACH',
      reason: 'IP_OUTNOROUTES',
    });
    expect(client.counters.get('IpOutNoRoutes')).toBe(1);
    expect(client.drops.count('IP_OUTNOROUTES')).toBe(1);
    const s = client.udp.bind(0);
    if (!s.ok) throw new Error('bind');
    expect(s.value.sendTo(ip('8.8.8.8'), 53, new Uint8Array(1))).toMatchObject({
      ok: false,
      errno: 'ENETUNREACH',
    });
    expect(s.value.connect(ip('8.8.8.8'), 53)).toEqual({ ok: false, errno: 'ENETUNREACH' });
  });

  test('a default route makes everything routable, through the gateway', () => {
    const { client } = lan();
    expect(client.addDefaultRoute('192.168.0.1').ok).toBe(true);
    const r = client.route(ip('8.8.8.8'));
    expect(r.ok && { dev: r.dev.name, src: r.src, nexthop: r.nexthop, type: r.type }).toEqual({
      dev: 'eth0',
      src: CLIENT_IP,
      nexthop: ip('192.168.0.1'),
      type: 'unicast',
    });
  });

  test("the source: the route's preferred one; to ourselves through lo", () => {
    const { client } = lan();
    const toServer = client.route(SERVER_IP);
    expect(toServer.ok && [toServer.dev.name, toServer.src, toServer.nexthop]).toEqual([
      'eth0',
      CLIENT_IP,
      SERVER_IP,
    ]);
    const self = client.route(CLIENT_IP);
    expect(self.ok && [self.dev.name, self.src, self.type]).toEqual(['lo', CLIENT_IP, 'local']);
    const loop = client.route(ip('127.0.0.53'));
    expect(loop.ok && [loop.dev.name, loop.src]).toEqual(['lo', ip('127.0.0.1')]);
    // A bound source that is not ours is EINVAL.
    expect(client.route(SERVER_IP, { src: ip('192.168.0.77') })).toEqual({
      ok: false,
      errno: 'EINVAL',
    });
  });
});
