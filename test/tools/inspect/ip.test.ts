/**
 * ip (iproute2 6.1) against the real one: fixtures/real-tools.json holds the
 * outputs of a command sequence run by fixtures/capture.sh in a namespace
 * whose eth0 is a veth; the same sequence runs here on the client of the
 * traces' LAN. What differs by design (docs/tools-inspect.md) is applied to
 * the real text before comparing: a tcplab NIC has no veth peer (`@if2`,
 * `link-netns fx-s`), no IPv6 (the `inet6` lines), and its addresses have a
 * broadcast address (`brd`, as the host keeps one for every address).
 */

import { describe, expect, test } from 'vitest';
import { real, traceLan } from './helpers.js';

function asTcplab(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('    inet6 ')) {
      i++; // and its valid_lft line
      continue;
    }
    out.push(
      l
        .replace('eth0@if2        ', 'eth0            ')
        .replace('eth0@if2', 'eth0')
        .replace(' link-netns fx-s', '')
        .replace(/ ::1\/128| fe80::ff:fe00:21\/64/g, '')
        .replace('inet 192.168.0.21/24 scope', 'inet 192.168.0.21/24 brd 192.168.0.255 scope')
        .replace('inet 10.1.0.5/16 scope', 'inet 10.1.0.5/16 brd 10.1.255.255 scope'),
    );
  }
  return out.join('\n');
}

const SEQUENCE = [
  'ip-addr',
  'ip-a-dev',
  'ip-br-a',
  'ip-route',
  'ip-link',
  'ip-dev-missing',
  'ip-link-set-missing',
  'ip-addr-dup',
  'ip-route-add-gw',
  'ip-route-after-gw',
  'ip-route-add-dup',
  'ip-route-del-gw',
  'ip-route-del-missing',
  'ip-addr-add2',
  'ip-addr-after-add2',
  'ip-addr-del2',
  'ip-addr-del-missing',
  'ip-bad-cmd',
  'ip-route-get',
];

/** Runs the captured commands in order on a fresh LAN's client: each prints what the real one did. */
async function expectLikeRealInOrder(names: readonly string[]): Promise<void> {
  const env = traceLan({ stock: true });
  for (const name of names) {
    const r = real(name);
    const got = await env.run(env.client, ...r.cmd.split(' '));
    expect(
      { stdout: got.stdout, stderr: got.stderr, status: got.status },
      `${name}: ${r.cmd}`,
    ).toEqual({ stdout: asTcplab(r.stdout), stderr: r.stderr, status: r.exit });
  }
}

describe('ip', () => {
  test('the capture sequence: addr, link, route, their errors, route get', async () => {
    await expectLikeRealInOrder(SEQUENCE);
  });

  test('route metrics: ip route change … initcwnd, shown by ip route and ip route get; its errors', async () => {
    await expectLikeRealInOrder([
      'ip-route-change-initcwnd',
      'ip-route-after-initcwnd',
      'ip-route-get-initcwnd',
      'ip-route-change-missing',
      'ip-route-initcwnd-bad',
    ]);
  });

  test('ip neigh shows the ARP cache: REACHABLE after a ping, FAILED for no answer', async () => {
    const env = traceLan({ stock: true });
    await env.run(env.client, 'ping', '-c', '1', '192.168.0.22');
    expect((await env.run(env.client, 'ip', 'neigh')).stdout).toBe(real('ip-neigh').stdout);
    await env.run(env.client, 'ping', '-c', '3', '-i', '0.2', '192.168.0.99');
    expect((await env.run(env.client, 'ip', 'neigh')).stdout).toBe(real('ip-neigh-failed').stdout);
  });

  test('ip link set eth0 down: packets stop, routes go; up brings the connected route back', async () => {
    const env = traceLan({ stock: true });
    await env.run(env.client, 'ip', 'route', 'add', 'default', 'via', '192.168.0.1');
    expect((await env.run(env.client, 'ip', 'link', 'set', 'eth0', 'down')).status).toBe(0);
    const link = await env.run(env.client, 'ip', 'link', 'show', 'eth0');
    expect(link.stdout).toBe(
      '2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ether 02:00:00:00:00:21 brd ff:ff:ff:ff:ff:ff\n',
    );
    expect((await env.run(env.client, 'ip', 'route')).stdout).toBe('');
    const ping = await env.run(env.client, 'ping', '-c', '1', '192.168.0.22');
    expect(ping).toEqual({
      status: 2,
      stdout: '',
      stderr: 'ping: connect: Network is unreachable\n',
    });
    const sent = env.client.interface('eth0')!.stats.txPackets;
    await env.run(env.client, 'ip', 'link', 'set', 'dev', 'eth0', 'up');
    expect((await env.run(env.client, 'ip', 'route')).stdout).toBe(real('ip-route').stdout);
    expect(env.client.interface('eth0')!.stats.txPackets).toBe(sent);
    const again = await env.run(env.client, 'ping', '-c', '1', '192.168.0.22');
    expect(again.status).toBe(0);
  });

  test('ip link set mtu; a garbage word; a missing dev argument', async () => {
    const env = traceLan({ stock: true });
    expect((await env.run(env.client, 'ip', 'link', 'set', 'eth0', 'mtu', '1400')).status).toBe(0);
    expect(env.client.interface('eth0')!.mtu).toBe(1400);
    expect(await env.run(env.client, 'ip', 'link', 'set', 'eth0', 'foo')).toEqual({
      status: 255,
      stdout: '',
      stderr: 'Error: either "dev" is duplicate, or "foo" is a garbage.\n',
    });
  });

  test('ip -br link; ip addr with a secondary address', async () => {
    const env = traceLan({ stock: true });
    expect((await env.run(env.client, 'ip', '-br', 'link')).stdout).toBe(
      'lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n' +
        'eth0             UP             02:00:00:00:00:21 <BROADCAST,MULTICAST,UP,LOWER_UP> \n',
    );
    await env.run(env.client, 'ip', 'addr', 'add', '192.168.0.121/24', 'dev', 'eth0');
    const a = await env.run(env.client, 'ip', '-4', 'a', 'show', 'eth0');
    expect(a.stdout).toContain(
      '    inet 192.168.0.121/24 brd 192.168.0.255 scope global secondary eth0\n',
    );
  });
});

describe('ip -s link', () => {
  test("the device counters, in iproute2's columns", async () => {
    const env = traceLan({ stock: true });
    await env.run(env.client, 'ping', '-c', '2', '-i', '0.2', '127.0.0.1');
    const r = await env.run(env.client, 'ip', '-s', 'link', 'show', 'lo');
    // DEVIATION (host.ts): Linux's lo counts the IP datagram (loopback_xmit
    // takes skb->len after eth_type_trans): 4 × 84 = 336; tcplab's lo counts
    // the 98-byte frame, 392. Same columns otherwise.
    expect(r.stdout).toBe(real('ip-s-link-lo').stdout.replaceAll(' 336 ', ' 392 '));
    // eth0 counts frames as Linux does: one ARP request and reply (42 bytes), two echoes (98).
    await env.run(env.client, 'ping', '-c', '2', '-i', '0.2', '192.168.0.22');
    const e = await env.run(env.client, 'ip', '-s', 'link', 'show', 'eth0');
    expect(e.stdout.split('\n').slice(2).join('\n')).toBe(
      '    RX:  bytes packets errors dropped  missed   mcast           \n' +
        '           238       3      0       0       0       0 \n' +
        '    TX:  bytes packets errors dropped carrier collsns           \n' +
        '           238       3      0       0       0       0 \n',
    );
  });
});

describe('ip route', () => {
  test('the local table; routes via a gateway, to a host, unreachable; route get; link down keeps the local route', async () => {
    const env = traceLan({ stock: true });
    const ipr = async (...argv: string[]) => (await env.run(env.client, 'ip', ...argv)).stdout;
    expect(await ipr('route', 'show', 'table', 'local')).toBe(real('ip-route-local').stdout);
    await ipr('route', 'add', '10.0.0.0/8', 'via', '192.168.0.1', 'metric', '5');
    await ipr('route', 'add', 'unreachable', '10.9.0.0/16');
    await ipr('route', 'add', '10.1.2.3', 'dev', 'eth0');
    expect(await ipr('route')).toBe(real('ip-route-mixed').stdout);
    expect(await ipr('route', 'get', '10.1.1.1')).toBe(real('ip-route-get-via').stdout);
    expect(await ipr('route', 'get', '192.168.0.21')).toBe(real('ip-route-get-local').stdout);
    await ipr('link', 'set', 'eth0', 'down');
    expect(await ipr('route')).toBe(real('ip-route-after-down').stdout);
    expect(await ipr('route', 'show', 'table', 'local')).toBe(
      real('ip-route-local-after-down').stdout,
    );
    await ipr('link', 'set', 'eth0', 'up');
    expect(await ipr('route', 'show', 'table', 'local')).toBe(real('ip-route-local').stdout);
  });
});
