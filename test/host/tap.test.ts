/**
 * Capture taps: every frame with its interface, direction and time; a pcapng
 * file with one interface per host NIC (`HOST:IFACE`) that tshark reads without
 * a malformed packet; an `any` capture in Linux cooked v2.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, describe as group, test } from 'vitest';
import { parseSll2 } from '../../src/capture/linktypes.js';
import { readCapture } from '../../src/capture/pcap.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2 } from '../../src/capture/record.js';
import { AnySll2Tap, PcapngTap } from '../../src/host/tap.js';
import { EMPTY_BYTES } from '../../src/wire/bytes.js';
import { IPPROTO_TCP } from '../../src/wire/ipv4.js';
import { seq } from '../../src/wire/seq.js';
import { buildTcp, SYN } from '../../src/wire/tcp.js';
import { CLIENT_IP, FakeTransport, ip, lan, SERVER_IP } from './helpers.js';

const S = 1_000_000_000;

/** A little of everything: ARP, ping, UDP to a closed port, loopback. */
function scenario(seed = 1) {
  const env = lan({ seed });
  env.server.registerProtocol(IPPROTO_TCP, new FakeTransport());
  const pcapng = new PcapngTap({ epochNs: 1_700_000_000 * S });
  pcapng.attach(env.client);
  pcapng.attach(env.server);
  const any = new AnySll2Tap({ epochNs: 1_700_000_000 * S });
  any.attach(env.client);
  env.client.icmp.sendEcho({ dst: SERVER_IP, id: 1, sequence: 1, data: new Uint8Array(56) });
  const syn = buildTcp(
    {
      srcPort: 40001,
      dstPort: 80,
      seq: seq(1),
      ack: seq(0),
      flags: SYN,
      window: 64240,
      urgentPointer: 0,
      options: [],
      payload: EMPTY_BYTES,
    },
    { src: CLIENT_IP, dst: SERVER_IP, protocol: IPPROTO_TCP, length: 20 },
  );
  env.client.sendIp({ src: CLIENT_IP, dst: SERVER_IP, protocol: IPPROTO_TCP, payload: syn });
  const u = env.client.udp.bind(0);
  if (u.ok) u.value.sendTo(SERVER_IP, 9, new Uint8Array([1, 2, 3]));
  env.client.icmp.sendEcho({ dst: ip('127.0.0.1'), id: 2, sequence: 1 });
  env.net.runUntil(10 * S);
  return { ...env, pcapng, any };
}

function tshark(): string | undefined {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'tshark' : undefined;
}

const hasTshark = tshark() !== undefined;
if (!hasTshark) console.warn('tshark is not installed: the tshark checks of the taps are skipped');

function tempFile(name: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-tap-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

group('taps', () => {
  test('every frame, with its interface, direction, packet type and time', () => {
    const env = lan();
    const seen: string[] = [];
    env.client.addTap((p) =>
      seen.push(`${p.time} ${p.ifindex} ${p.ifname} ${p.direction} ${p.pktType} ${p.frame.length}`),
    );
    env.client.icmp.sendEcho({ dst: SERVER_IP, id: 1, sequence: 1 });
    env.net.runUntil(S);
    expect(seen).toEqual([
      '0 2 eth0 Out outgoing 42',
      '0 2 eth0 In host 42',
      '0 2 eth0 Out outgoing 42',
      '0 2 eth0 In host 42',
    ]);
  });

  test('a tap on one interface sees only that one; removing it stops it', () => {
    const env = lan();
    const lo: number[] = [];
    const remove = env.client.addTap((p) => lo.push(p.ifindex), { ifname: 'lo' });
    env.client.icmp.sendEcho({ dst: ip('127.0.0.1'), id: 1, sequence: 1 });
    env.client.icmp.sendEcho({ dst: SERVER_IP, id: 1, sequence: 1 });
    env.net.runUntil(S);
    expect(lo).toEqual([1, 1, 1, 1]);
    remove();
    env.client.icmp.sendEcho({ dst: ip('127.0.0.1'), id: 1, sequence: 2 });
    env.net.runUntil(2 * S);
    expect(lo).toHaveLength(4);
  });
});

group('pcapng: one interface per host NIC, named HOST:IFACE', () => {
  test('reads back: the interfaces, the records, the timestamps', () => {
    const { pcapng } = scenario();
    const file = pcapng.finish();
    const r = readCapture(file);
    expect('records' in r).toBe(true);
    if (!('records' in r)) return;
    expect(r.interfaces.map((i) => i.name)).toEqual([
      'client:lo',
      'client:eth0',
      'server:lo',
      'server:eth0',
    ]);
    expect(r.interfaces.every((i) => i.linkType === LINKTYPE_ETHERNET)).toBe(true);
    expect(r.records.length).toBe(pcapng.records);
    // The client's ARP request is seen leaving the client and reaching the server.
    const out = r.records.find((rec) => rec.ifIndex === 1)!;
    const arrived = r.records.find((rec) => rec.ifIndex === 3)!;
    expect(out.data.length).toBe(42);
    expect(arrived.data).toEqual(out.data);
    expect([out.sec, out.frac]).toEqual([1_700_000_000, 0]);
  });

  test.skipIf(!hasTshark)('tshark reads it without a malformed packet or a bad checksum', () => {
    const bin = 'tshark';
    const { pcapng } = scenario();
    const path = tempFile('lab.pcapng', pcapng.finish());
    const r = spawnSync(
      bin,
      [
        '-r',
        path,
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        'udp.check_checksum:TRUE',
        '-o',
        'tcp.check_checksum:TRUE',
        '-T',
        'fields',
        '-e',
        'frame.interface_name',
        '-e',
        '_ws.col.Info',
        '-e',
        '_ws.expert.message',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    // tshark's only complaint may be about running as root.
    expect(r.stderr.replace(/Running as user "root".*\n?/, '').trim()).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(r.stdout).not.toMatch(/Malformed|malformed|Bad checksum|incorrect|Bogus/);
    expect(
      lines.some((l) => l.startsWith('client:eth0\tWho has 192.168.0.22? Tell 192.168.0.21')),
    ).toBe(true);
    expect(
      lines.some((l) => l.startsWith('server:eth0\tDestination unreachable (Port unreachable)')),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('client:lo\tEcho (ping) request'))).toBe(true);
  });
});

group('any: Linux cooked v2', () => {
  test('interface index and direction in each header; lo as ARPHRD_LOOPBACK', () => {
    const { any } = scenario();
    const heads = any.records.map((rec) => {
      const s = parseSll2(rec.data);
      if (!s.ok) throw new Error('bad SLL2');
      return [s.value.interfaceIndex, s.value.packetType, s.value.arphrdType];
    });
    expect(heads.filter(([i]) => i === 2).slice(0, 2)).toEqual([
      [2, 4, 1], // eth0, outgoing, Ethernet: the ARP request
      [2, 0, 1], // eth0, to us: the reply
    ]);
    expect(heads.filter(([i]) => i === 1).slice(0, 2)).toEqual([
      [1, 4, 772], // lo, outgoing
      [1, 0, 772], // lo, received
    ]);
    expect(heads.filter(([i]) => i === 1).every(([, , hw]) => hw === 772)).toBe(true);
    expect(any.records.every((rec) => rec.linkType === LINKTYPE_LINUX_SLL2)).toBe(true);
  });

  test.skipIf(!hasTshark)('tshark reads the pcap without a malformed packet', () => {
    const bin = 'tshark';
    const { any } = scenario();
    const path = tempFile('any.pcap', any.toPcap());
    const r = spawnSync(
      bin,
      [
        '-r',
        path,
        '-T',
        'fields',
        '-e',
        'sll.ifindex',
        '-e',
        'sll.pkttype',
        '-e',
        '_ws.col.Protocol',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/Malformed/);
    expect(r.stdout.split('\n')[0]).toBe('2\t4\tARP');
  });
});

test('determinism: the same seed gives the same capture, byte for byte', () => {
  const a = scenario(42).pcapng.finish();
  const b = scenario(42).pcapng.finish();
  expect(a).toEqual(b);
});
