/**
 * hping3 against the real one's recorded runs (fixtures/real): the header, one
 * line per reply, the statistics on stderr and the exit status; the flood
 * message; the sources a target sees with -a and --rand-source; and a flood
 * filling a listener's SYN queue, with and without SYN cookies.
 */

import { describe, expect, test } from 'vitest';
import type { TapPacket } from '../../../src/host/tap.js';
import { ms, NS_PER_S, s } from '../../../src/sim/time.js';
import { formatIpv4Address } from '../../../src/wire/address.js';
import { parseEthernet } from '../../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../../src/wire/ipv4.js';
import { run, start } from '../apps/harness.js';
import { argvOf, fixture, normalize, pressureLab } from './harness.js';

/** Runs the fixture's command on the client, a tcp-server listening on the server's port 80. */
async function asRecorded(name: string) {
  const f = fixture(name);
  const lab = pressureLab();
  start(lab, lab.server, ['tcp-server', '-p', '80', '--close', 'never']);
  await lab.sys.runUntil(lab.net.now + ms(1));
  const t0 = lab.net.now;
  const r = await run(lab, lab.client, argvOf(f));
  return { f, r, lab, elapsed: (r.exitedAt - t0) / NS_PER_S };
}

/** TCP/IPv4 datagrams a host's tap saw coming in. */
function inboundTcp(wire: readonly TapPacket[]) {
  return wire
    .filter((p) => p.direction === 'In')
    .map((p) => parseEthernet(p.frame))
    .flatMap((e) => (e.ok ? [parseIpv4(e.value.payload)] : []))
    .flatMap((d) => (d.ok && d.value.protocol === IPPROTO_TCP ? [d.value] : []));
}

describe('hping3 output, against the real hping3 3.a2.ds2', () => {
  for (const name of ['s1', 'closed', 'pp', 'data', 'win', 'fast']) {
    test(`${name}: ${fixture(name).cmd}`, async () => {
      const { f, r } = await asRecorded(name);
      expect(normalize(r.stdout)).toBe(normalize(f.stdout));
      expect(normalize(r.stderr)).toBe(normalize(f.stderr));
      expect(r.status).toBe(f.status);
    });
  }

  for (const name of ['noreply', 'spoof', 'randsrc']) {
    test(`${name}: no reply, 100% loss, status 1 (${fixture(name).cmd})`, async () => {
      const { f, r } = await asRecorded(name);
      expect(r.stdout).toBe(f.stdout);
      expect(r.stderr).toBe(f.stderr);
      expect(r.status).toBe(f.status);
    });
  }

  test('-c: ends at the last reply when all came, else 1 s after the last packet', async () => {
    expect((await asRecorded('s1')).elapsed).toBeLessThan(2.01); // real: 2.04 s
    expect((await asRecorded('noreply')).elapsed).toBeCloseTo(2, 3); // real: 2.03 s
  });

  for (const name of ['badopt', 'onlyS', 'badcount', 'badhost', 'bada', 'help', 'noroute']) {
    test(`errors and help: ${name} (${fixture(name).cmd})`, async () => {
      const { f, r } = await asRecorded(name);
      expect(r.stdout).toBe(f.stdout);
      // The real no-route run interleaved its stderr with the header; same lines.
      expect(r.stderr).toBe(f.stderr);
      expect(r.status).toBe(f.status);
    });
  }

  test('SIGINT prints the statistics; status 0 with replies (sigint2), 1 without (sigint3)', async () => {
    for (const [name, target] of [
      ['sigint2', '192.168.0.22'],
      ['sigint3', '192.168.0.99'],
    ] as const) {
      const f = fixture(name);
      const lab = pressureLab();
      start(lab, lab.server, ['tcp-server', '-p', '80']);
      const h = start(lab, lab.client, ['hping3', '-S', '-p', '80', target]);
      await lab.sys.runUntil(lab.net.now + ms(1500));
      lab.sys.kill(lab.client, h.process.pid, 'SIGINT');
      const status = await (async () => {
        await lab.sys.runUntil(lab.net.now + ms(1));
        return h.process.exited;
      })();
      expect(normalize(h.stdout.text)).toBe(normalize(f.stdout));
      expect(normalize(h.stderr.text)).toBe(normalize(f.stderr));
      expect(status).toBe(f.status);
    }
  });

  test('--flood: "no replies will be shown", counts only what it sent, status 1 (flood2)', async () => {
    const f = fixture('flood2');
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80']);
    const h = start(lab, lab.client, ['hping3', '-S', '-p', '80', '--flood', '192.168.0.22']);
    await lab.sys.runUntil(lab.net.now + ms(10));
    lab.sys.kill(lab.client, h.process.pid, 'SIGINT');
    await lab.sys.runUntil(lab.net.now + ms(1));
    expect(await h.process.exited).toBe(f.status);
    expect(h.stdout.text).toBe(f.stdout);
    const count = (t: string) => t.replace(/^\d+ packets transmitted/m, 'N packets transmitted');
    expect(count(h.stderr.text)).toBe(count(f.stderr));
    const sent = Number(/^(\d+) packets transmitted/m.exec(h.stderr.text)![1]);
    expect(sent).toBeGreaterThanOrEqual(1000); // one every 10 µs for 10 ms
    expect(sent).toBeLessThanOrEqual(1001);
  });
});

describe('what the target sees', () => {
  test('-a: every SYN comes from the spoofed address; the SYN-ACKs go to it, not to hping3', async () => {
    const lab = pressureLab();
    const seen: TapPacket[] = [];
    lab.server.addTap((p) => seen.push(p), { ifname: 'eth0' });
    start(lab, lab.server, ['tcp-server', '-p', '80']);
    const r = await run(lab, lab.client, [
      'hping3',
      '-S',
      '-p',
      '80',
      '-c',
      '3',
      '-a',
      '192.168.0.50',
      '192.168.0.22',
    ]);
    const syns = inboundTcp(seen);
    expect(syns.map((d) => formatIpv4Address(d.src))).toEqual(Array(3).fill('192.168.0.50'));
    expect(r.status).toBe(1);
  });

  test('--rand-source: a different source for every SYN, never the client', async () => {
    const lab = pressureLab();
    const seen: TapPacket[] = [];
    lab.server.addTap((p) => seen.push(p), { ifname: 'eth0' });
    await run(lab, lab.client, [
      'hping3',
      '-S',
      '-p',
      '80',
      '-c',
      '20',
      '-i',
      'u1000',
      '--rand-source',
      '192.168.0.22',
    ]);
    const sources = inboundTcp(seen).map((d) => d.src);
    expect(sources).toHaveLength(20);
    expect(new Set(sources).size).toBe(20);
    expect(sources.map(formatIpv4Address)).not.toContain('192.168.0.21');
  });

  test('the SYN: no options, window 512, TTL 64, no DF, source ports counting up from -s', async () => {
    const lab = pressureLab();
    const seen: TapPacket[] = [];
    lab.server.addTap((p) => seen.push(p), { ifname: 'eth0' });
    await run(lab, lab.client, [
      'hping3',
      '-S',
      '-p',
      '81',
      '-c',
      '2',
      '-s',
      '5000',
      '192.168.0.22',
    ]);
    const ins = inboundTcp(seen);
    expect(ins).toHaveLength(2); // the SYNs (the RST-ACKs go the other way)
    const syns = ins.filter((d) => d.payload[13] === 0x02);
    expect(syns.map((d) => (d.payload[0]! << 8) | d.payload[1]!)).toEqual([5000, 5001]);
    for (const d of syns) {
      expect([d.ttl, d.dontFragment, d.totalLength]).toEqual([64, false, 40]);
      expect((d.payload[14]! << 8) | d.payload[15]!).toBe(512);
    }
  });
});

describe('a flood fills the SYN queue', () => {
  for (const syncookies of [0, 1]) {
    test(`tcp_syncookies=${syncookies}: the SYN queue holds backlog + 1, then ${syncookies ? 'cookies' : 'drops'}`, async () => {
      const lab = pressureLab();
      lab.server.tcp.sysctl = { ...lab.server.tcp.sysctl, tcp_syncookies: syncookies };
      start(lab, lab.server, ['tcp-server', '-p', '80', '-b', '16', '--accept', 'never']);
      await lab.sys.runUntil(lab.net.now + ms(1));
      const h = start(lab, lab.client, [
        'hping3',
        '-S',
        '-p',
        '80',
        '--flood',
        '--rand-source',
        '192.168.0.22',
      ]);
      await lab.sys.runUntil(lab.net.now + ms(1));
      lab.sys.kill(lab.client, h.process.pid, 'SIGINT');
      await lab.sys.runUntil(lab.net.now + ms(1));
      const listener = lab.server.tcp.listeners.find((l) => l.listener.local.port === 80)!;
      // backlog + 1: inet_csk_reqsk_queue_is_full tests `>` (Linux 6.18 keeps 17 here).
      expect(listener.listener.synQueue.size).toBe(17);
      const c = lab.server.tcp.net.counters;
      if (syncookies === 0) {
        expect(c.TcpExtTCPReqQFullDrop).toBeGreaterThan(50);
        expect(c.TcpExtTCPReqQFullDoCookies).toBe(0);
      } else {
        expect(c.TcpExtTCPReqQFullDoCookies).toBeGreaterThan(50);
        expect(c.TcpExtTCPReqQFullDrop).toBe(0);
      }
    });
  }

  test('the hping3 host answers the SYN-ACKs to its real address with RST (no socket there)', async () => {
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80', '--accept', 'never']);
    await run(lab, lab.client, ['hping3', '-S', '-p', '80', '-c', '1', '192.168.0.22']);
    await lab.sys.runUntil(lab.net.now + s(1));
    const out = lab.wire.filter((p) => p.direction === 'Out');
    const flags = out
      .map((p) => parseEthernet(p.frame))
      .flatMap((e) => (e.ok ? [parseIpv4(e.value.payload)] : []))
      .flatMap((d) => (d.ok && d.value.protocol === IPPROTO_TCP ? [d.value.payload[13]] : []));
    expect(flags).toEqual([0x02, 0x04]);
    const listener = lab.server.tcp.listeners[0]!;
    expect(listener.listener.synQueue.size).toBe(0);
  });
});
