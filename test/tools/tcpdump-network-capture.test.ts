/**
 * captureNetwork (src/capture/network-capture.ts), the capture behind
 * `tcplab run --pcap FILE`: one pcapng interface per host NIC named
 * `HOST:IFACE`, every frame once per interface that saw it, hosts added later
 * included; tshark reads the file with no malformed packet.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  captureNetwork,
  NETWORK_CAPTURE_EPOCH_SECONDS,
} from '../../src/capture/network-capture.js';
import { readCapture } from '../../src/capture/pcap.js';
import type { Host } from '../../src/host/host.js';
import { DEFAULT_EPOCH_SECONDS } from '../../src/os/system.js';
import { Network } from '../../src/sim/network.js';
import { ms, s } from '../../src/sim/time.js';
import { parseIpv4Address } from '../../src/wire/address.js';

function addr(text: string): number {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(text);
  return r.value;
}

/**
 * client 10.0.1.2 — (lan1) — router eth0 10.0.1.1 / eth1 10.0.2.1 — (lan2) — server 10.0.2.2,
 * a bystander on lan1, and a TCP connection from client to server through the router.
 */
function routed(seed = 1) {
  const net = new Network({ seed });
  net.segment('lan1');
  net.segment('lan2');
  const client = net.addHost('client', {
    segment: 'lan1',
    address: '10.0.1.2/24',
    gateway: '10.0.1.1',
  });
  const router = net.addHost('router', {
    segment: 'lan1',
    address: '10.0.1.1/24',
    forwarding: true,
  });
  net.attach(router, net.link('lan2'), { address: '10.0.2.1/24' });
  net.addHost('bystander', { segment: 'lan1', address: '10.0.1.9/24' });
  const capture = captureNetwork(net);
  // Added after the capture started: captured too.
  const server = net.addHost('server', {
    segment: 'lan2',
    address: '10.0.2.2/24',
    gateway: '10.0.2.1',
  });
  return { net, client, router, server, capture };
}

/** A handshake, a line of data and a close, client → server port 80. */
function converse(net: Network, client: Host, server: Host): void {
  const l = server.sockets.socket();
  server.sockets.bind(l, 0, 80);
  server.sockets.listen(l, 5);
  const c = client.sockets.socket({ nonBlocking: true });
  client.sockets.connect(c, addr('10.0.2.2'), 80);
  net.runFor(ms(10));
  client.sockets.write(c, new TextEncoder().encode('hello\n'));
  net.runFor(ms(10));
  client.sockets.close(c);
  net.runFor(s(1));
  // A ping to itself: lo, twice each way.
  client.icmp.sendEcho({ dst: addr('127.0.0.1'), id: 7, sequence: 1 });
  net.runFor(s(1));
}

function tempFile(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tcplab-netcap-')), name);
  writeFileSync(path, bytes);
  return path;
}

const hasTshark = spawnSync('tshark', ['--version']).status === 0;
if (!hasTshark)
  console.warn('tshark is not installed: the tshark checks of captureNetwork are skipped');
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
if (!hasTcpdump)
  console.warn('tcpdump is not installed: the tcpdump check of captureNetwork is skipped');

describe('captureNetwork', () => {
  test('one IDB per host NIC, HOST:IFACE, in host then ifindex order; later hosts too', () => {
    const { net, client, server, capture } = routed();
    converse(net, client, server);
    const r = readCapture(capture.finish());
    if (!('records' in r)) throw new Error('unreadable');
    expect(r.interfaces.map((i) => i.name)).toEqual([
      'client:lo',
      'client:eth0',
      'router:lo',
      'router:eth0',
      'router:eth1',
      'bystander:lo',
      'bystander:eth0',
      'server:lo',
      'server:eth0',
    ]);
    expect(new Set(r.interfaces.map((i) => i.linkType))).toEqual(new Set([1]));
  });

  test('each frame appears once per interface that saw it', () => {
    const { net, client, server, capture } = routed();
    converse(net, client, server);
    const r = readCapture(capture.finish());
    if (!('records' in r)) throw new Error('unreadable');
    const names = r.interfaces.map((i) => i.name);
    const hex = (d: Uint8Array) => Buffer.from(d).toString('hex');
    // Frame bytes → the interfaces that recorded it.
    const seen = new Map<string, string[]>();
    for (const rec of r.records) {
      const k = hex(rec.data);
      seen.set(k, [...(seen.get(k) ?? []), names[rec.ifIndex]!]);
    }
    // No interface records the same frame twice (every TCP segment differs; a
    // loopback frame is kept once, as libpcap keeps it).
    for (const where of seen.values()) expect(new Set(where).size).toBe(where.length);
    // A TCP segment client → router crosses lan1: sent on client:eth0, received on
    // router:eth0; the bystander's NIC filters it out (another MAC).
    const tcpOnLan1 = [...seen].filter(
      ([k, where]) =>
        k.slice(24, 28) === '0800' && k.slice(46, 48) === '06' && where.includes('client:eth0'),
    );
    expect(tcpOnLan1.length).toBeGreaterThanOrEqual(5);
    for (const [, where] of tcpOnLan1) expect(where.sort()).toEqual(['client:eth0', 'router:eth0']);
    // The router forwards them out of eth1 (new MACs, TTL-1): sent there and received by the server.
    const tcpOnLan2 = [...seen].filter(
      ([k, where]) => k.slice(46, 48) === '06' && where.includes('router:eth1'),
    );
    expect(tcpOnLan2.length).toBe(tcpOnLan1.length);
    for (const [, where] of tcpOnLan2) expect(where.sort()).toEqual(['router:eth1', 'server:eth0']);
    // The client's ARP request is broadcast: every NIC on lan1 sees it once.
    const arp = [...seen].find(
      ([k, where]) => k.startsWith('ffffffffffff') && where.includes('client:eth0'),
    );
    expect(arp?.[1].sort()).toEqual(['bystander:eth0', 'client:eth0', 'router:eth0']);
    // The ping to 127.0.0.1: the request and the reply, once each on client:lo.
    const lo = r.records.filter((rec) => names[rec.ifIndex] === 'client:lo');
    expect(lo).toHaveLength(2);
    expect(capture.records).toBe(r.records.length);
  });

  test('timestamps are the lab wall clock, to the microsecond', () => {
    expect(NETWORK_CAPTURE_EPOCH_SECONDS).toBe(DEFAULT_EPOCH_SECONDS);
    const net = new Network({ seed: 3 });
    net.segment('lan');
    const a = net.addHost('a', { segment: 'lan', address: '10.0.0.1/24' });
    net.addHost('b', { segment: 'lan', address: '10.0.0.2/24' });
    const capture = captureNetwork(net, { epochSeconds: 1_700_000_000 });
    net.runFor(ms(1234.5678));
    a.icmp.sendEcho({ dst: addr('10.0.0.2'), id: 1, sequence: 1 });
    net.runFor(s(1));
    const r = readCapture(capture.finish());
    if (!('records' in r)) throw new Error('unreadable');
    expect([r.records[0]!.sec, r.records[0]!.frac]).toEqual([1_700_000_001, 234_567]);
  });

  test('finish stops the capture, restores addHost and returns the same bytes again', () => {
    const { net, client, server, capture } = routed();
    converse(net, client, server);
    const file = capture.finish();
    expect(Object.hasOwn(net, 'addHost')).toBe(false);
    client.icmp.sendEcho({ dst: addr('10.0.2.2'), id: 1, sequence: 1 });
    net.runFor(s(1));
    expect(capture.finish()).toBe(file);
  });

  test('determinism: same seed, same bytes', () => {
    const run = () => {
      const { net, client, server, capture } = routed(9);
      converse(net, client, server);
      return capture.finish();
    };
    expect(run()).toEqual(run());
  });

  test.skipIf(!hasTshark)('tshark reads it: no malformed packet, the interface names', () => {
    const { net, client, server, capture } = routed();
    converse(net, client, server);
    const path = tempFile('net.pcapng', capture.finish());
    const r = spawnSync(
      'tshark',
      [
        '-r',
        path,
        '-o',
        'tcp.check_checksum:TRUE',
        '-o',
        'ip.check_checksum:TRUE',
        '-T',
        'fields',
        '-e',
        'frame.interface_name',
        '-e',
        '_ws.col.Protocol',
        '-e',
        'frame.packet_flags_direction',
        '-e',
        'frame.packet_flags_reception_type',
        '-e',
        '_ws.col.Info',
        '-e',
        '_ws.expert.message',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/Malformed|Bad checksum|incorrect/);
    const ifaces = new Set(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    );
    expect([...ifaces].sort()).toEqual([
      'bystander:eth0',
      'client:eth0',
      'client:lo',
      'router:eth0',
      'router:eth1',
      'server:eth0',
    ]);
    // epb_flags: the sender's copy is outbound, a receiver's inbound with how
    // it was addressed (1 unicast, 3 broadcast).
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const whoHas = rows.filter((f) => f[4]?.startsWith('Who has 10.0.1.1?'));
    expect(whoHas.map((f) => f.slice(0, 4))).toEqual([
      ['client:eth0', 'ARP', '0x00000002', '0'],
      ['router:eth0', 'ARP', '0x00000001', '3'],
      ['bystander:eth0', 'ARP', '0x00000001', '3'],
    ]);
    const syn = rows.filter((f) => f[1] === 'TCP' && /\[SYN\] /.test(f[4] ?? ''));
    expect(syn.map((f) => `${f[0]} ${f[2]} ${f[3]}`)).toEqual([
      'client:eth0 0x00000002 0',
      'router:eth0 0x00000001 1',
      'router:eth1 0x00000002 0',
      'server:eth0 0x00000001 1',
    ]);
  });

  test.skipIf(!hasTcpdump)('tcpdump reads it', () => {
    const { net, client, server, capture } = routed();
    converse(net, client, server);
    const path = tempFile('net.pcapng', capture.finish());
    const r = spawnSync('tcpdump', ['-n', '-r', path, 'tcp'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^reading from file .*, link-type EN10MB \(Ethernet\), snapshot length 262144\n$/,
    );
    expect(r.stdout).toMatch(/IP 10\.0\.1\.2\.\d+ > 10\.0\.2\.2\.80: Flags \[S\]/);
  });
});
