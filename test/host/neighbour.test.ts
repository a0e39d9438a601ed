/**
 * The neighbour state machine on Linux's kernel timers. Times are checked as
 * "nothing at t−1, the event at t"; with the timer wheel on (the default, as
 * Linux) a timer fires on the wheel's granule after its expiry (jiffies.ts), and
 * the expected instants below are computed that way and, where the traces pin
 * them, compared with the traces.
 */

import { expect, describe as group, test } from 'vitest';
import type { NetInterface } from '../../src/host/interface.js';
import type { TapPacket } from '../../src/host/tap.js';
import { HZ, JIFFY_NS, jiffyTime, kernelTimerFireTime } from '../../src/sim/jiffies.js';
import { parseArp } from '../../src/wire/arp.js';
import { ETHERNET_HEADER_LEN } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import {
  CLIENT_IP,
  describe,
  FakeTransport,
  ip,
  lan,
  ports,
  resolvedLan,
  SERVER_IP,
  SERVER_MAC,
  traceFrames,
} from './helpers.js';

const S = 1_000_000_000;

function arps(wire: readonly TapPacket[]): TapPacket[] {
  return wire.filter((p) => describe(p).includes('ARP'));
}

group('REACHABLE → STALE', () => {
  test("after the device's randomized reachable time, in [15 s, 45 s)", () => {
    const env = resolvedLan();
    const rt = env.client.neigh.parms(env.eth0).reachableTime;
    expect(rt).toBeGreaterThanOrEqual(15 * HZ);
    expect(rt).toBeLessThan(45 * HZ);
    // Armed at confirmation (t = 0) for jiffy 0 + reachable_time.
    const t = kernelTimerFireTime(0, rt, true);
    env.net.runUntil(t - 1);
    expect(env.n.state).toBe('REACHABLE');
    env.net.runUntil(t);
    expect(env.n.state).toBe('STALE');
    // Going STALE sends nothing.
    expect(arps(env.wire)).toHaveLength(2);
  });

  test('without the wheel, on the tick after the expiry', () => {
    const env = resolvedLan(false);
    const rt = env.client.neigh.parms(env.eth0).reachableTime;
    env.net.runUntil(jiffyTime(rt + 1) - 1);
    expect(env.n.state).toBe('REACHABLE');
    env.net.runUntil(jiffyTime(rt + 1));
    expect(env.n.state).toBe('STALE');
  });

  test('the reachable time is drawn per device from the seed: different seeds, different times', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const env = lan({ seed });
      const rt = env.client.neigh.parms(env.client.interface('eth0')!).reachableTime;
      expect(rt).toBeGreaterThanOrEqual(15 * HZ);
      expect(rt).toBeLessThan(45 * HZ);
      seen.add(rt);
    }
    expect(seen.size).toBeGreaterThan(30);
    // The same seed, the same time.
    const a = lan({ seed: 7 });
    const b = lan({ seed: 7 });
    expect(a.client.neigh.parms(a.client.interface('eth0')!).reachableTime).toBe(
      b.client.neigh.parms(b.client.interface('eth0')!).reachableTime,
    );
  });

  test('redrawn once 300 s have passed (neigh_periodic_work)', () => {
    const env = resolvedLan();
    const before = env.client.neigh.parms(env.eth0).reachableTime;
    env.net.runUntil(400 * S);
    env.send(); // the table is used: the periodic runs due are played
    expect(env.client.neigh.parms(env.eth0).reachableTime).not.toBe(before);
  });
});

group('STALE → DELAY → PROBE (linux-traces/silent-drop/default-nc)', () => {
  /** A STALE entry, at a jiffy that is a multiple of 64 as the trace's SYN retransmission timer left it. */
  function stale() {
    const env = resolvedLan();
    env.net.runUntil(50 * S); // past any reachable time
    expect(env.n.state).toBe('STALE');
    const t = jiffyTime(64 * Math.ceil((50 * HZ) / 64));
    env.net.runUntil(t);
    return { ...env, t };
  }

  test('a packet sent while STALE leaves at once and moves the entry to DELAY', () => {
    const env = stale();
    const before = env.wire.length;
    env.send();
    expect(env.n.state).toBe('DELAY');
    expect(env.wire.slice(before).map(describe)).toEqual([
      'Out IP 192.168.0.21 > 192.168.0.22 proto 6',
    ]);
  });

  test('a packet sent while DELAY leaves at once to the known address, noting the use (__neigh_event_send)', () => {
    const env = stale();
    env.send();
    expect(env.n.state).toBe('DELAY');
    const later = env.t + 2 * S;
    env.net.runUntil(later);
    const before = env.wire.length;
    env.send();
    expect(env.n.state).toBe('DELAY');
    expect(env.n.used).toBe(Math.floor(later / JIFFY_NS));
    const sent = env.wire.slice(before);
    expect(sent.map(describe)).toEqual(['Out IP 192.168.0.21 > 192.168.0.22 proto 6']);
    expect(sent[0]!.time).toBe(later);
    const client = env.client.interface('eth0')!.mac;
    const mac = (m: number) =>
      Array.from({ length: 6 }, (_, i) => Math.floor(m / 2 ** (40 - 8 * i)) % 256);
    expect(Array.from(sent[0]!.frame.subarray(0, 14))).toEqual([
      ...mac(SERVER_MAC),
      ...mac(client),
      0x08,
      0x00,
    ]);
  });

  test('unconfirmed, a unicast probe 5.120 s later, as in the trace (SYN 19.483 s, ARP 24.603 s)', () => {
    const env = stale();
    env.send();
    const probeAt = env.t + 5_120_000_000;
    expect(kernelTimerFireTime(env.t, 64 * Math.ceil((50 * HZ) / 64) + 5 * HZ, true)).toBe(probeAt);
    env.net.runUntil(probeAt - 1);
    expect(arps(env.wire)).toHaveLength(2);
    expect(env.n.state).toBe('DELAY');
    env.net.runUntil(probeAt);
    const probe = arps(env.wire)[2]!;
    expect(probe.time).toBe(probeAt);
    // Unicast to the known address, target hardware address zero (tcpdump:
    // "Request who-has 192.168.0.22 tell 192.168.0.21").
    expect(probe.frame.subarray(0, 6)).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0x22]));
    const a = parseArp(probe.frame.subarray(ETHERNET_HEADER_LEN));
    expect(a.ok && a.value.targetMac).toBe(0);
    // The server answers, and the entry is REACHABLE again.
    expect(describe(arps(env.wire)[3]!)).toBe('In ARP 192.168.0.22 is-at');
    expect(env.n.state).toBe('REACHABLE');
  });

  test('confirmed by the sender in the meantime (TCP progress), DELAY → REACHABLE without a probe', () => {
    const env = stale();
    env.send();
    env.net.runUntil(env.t + 2 * S);
    env.send(true); // sock_confirm_neigh
    env.net.runUntil(env.t + 5_120_000_000);
    expect(arps(env.wire)).toHaveLength(2);
    expect(env.n.state).toBe('REACHABLE');
  });

  test('PROBE: three unicast probes retrans_time_ms apart, then FAILED', () => {
    const env = stale();
    env.server.interface('eth0')!.up = false; // the server stops answering
    env.send();
    const j0 = 64 * Math.ceil((50 * HZ) / 64);
    // DELAY timer, then the PROBE timers: each re-armed for now + 1 s on the wheel.
    const fires: number[] = [kernelTimerFireTime(env.t, j0 + 5 * HZ, true)];
    for (let i = 0; i < 3; i++) {
      const at = fires[fires.length - 1]!;
      fires.push(kernelTimerFireTime(at, at / JIFFY_NS + HZ, true));
    }
    env.net.runUntil(fires[0]! - 1);
    expect(arps(env.wire)).toHaveLength(2);
    for (let i = 0; i < 3; i++) {
      env.net.runUntil(fires[i]! - 1);
      expect(arps(env.wire)).toHaveLength(2 + i);
      env.net.runUntil(fires[i]!);
      expect(arps(env.wire)).toHaveLength(3 + i);
      expect(env.n.state).toBe('PROBE');
      expect(arps(env.wire)[2 + i]!.frame.subarray(0, 6)).toEqual(
        new Uint8Array([2, 0, 0, 0, 0, 0x22]),
      );
    }
    env.net.runUntil(fires[3]! - 1);
    expect(env.n.state).toBe('PROBE');
    env.net.runUntil(fires[3]!);
    expect(env.n.state).toBe('FAILED');
    expect(arps(env.wire)).toHaveLength(5);
    // Gaps of about 1 s (rounded up to the wheel's 32 ms granule).
    for (let i = 1; i < 4; i++) {
      const gap = fires[i]! - fires[i - 1]!;
      expect(gap).toBeGreaterThan(S);
      expect(gap).toBeLessThanOrEqual(S + 32_000_000);
    }
  });
});

group('INCOMPLETE: resolution failure', () => {
  function unresolvable(timerWheel: boolean) {
    const env = lan({ timerWheel });
    const tcp = new FakeTransport();
    env.client.registerProtocol(IPPROTO_TCP, tcp);
    const lo: TapPacket[] = [];
    env.client.addTap((p) => lo.push(p), { ifname: 'lo' });
    const nobody = ip('192.168.0.99');
    env.client.sendIp({
      src: CLIENT_IP,
      dst: nobody,
      protocol: IPPROTO_TCP,
      payload: ports(40001, 80),
    });
    return { ...env, tcp, lo, nobody };
  }

  for (const [wheel, at] of [
    [true, [0, 1_024_000_000, 2_048_000_000, 3_072_000_000]],
    [false, [0, 1_004_000_000, 2_008_000_000, 3_012_000_000]],
  ] as const) {
    test(`three broadcast requests, then EHOSTUNREACH to the sender (${wheel ? 'timer wheel' : 'no wheel'})`, () => {
      const env = unresolvable(wheel);
      const n = env.client.neigh.lookup(env.client.interface('eth0')!, env.nobody)!;
      for (let i = 0; i < 3; i++) {
        env.net.runUntil(at[i]! - 1 < 0 ? 0 : at[i]! - 1);
        if (at[i]! > 0) expect(arps(env.wire)).toHaveLength(i);
        env.net.runUntil(at[i]!);
        expect(arps(env.wire)).toHaveLength(i + 1);
        expect(describe(arps(env.wire)[i]!)).toBe('Out ARP who-has 192.168.0.99 tell 192.168.0.21');
        expect(arps(env.wire)[i]!.frame.subarray(0, 6)).toEqual(
          new Uint8Array([255, 255, 255, 255, 255, 255]),
        );
        expect(n.state).toBe('INCOMPLETE');
      }
      env.net.runUntil(at[3]! - 1);
      expect(env.tcp.errors).toHaveLength(0);
      env.net.runUntil(at[3]!);
      expect(n.state).toBe('FAILED');
      expect(arps(env.wire)).toHaveLength(3);
      // ipv4_link_failure: ICMP host unreachable from the host to itself, over lo.
      expect(env.tcp.errors).toHaveLength(1);
      const e = env.tcp.errors[0]!;
      expect(e.time).toBe(at[3]);
      expect(e.report).toMatchObject({
        type: 3,
        code: 1,
        errno: 'EHOSTUNREACH',
        fatal: false,
        from: CLIENT_IP,
      });
      expect(e.quoted.ip.dst).toBe(env.nobody);
      expect(e.quoted.srcPort).toBe(40001);
      expect(e.quoted.dstPort).toBe(80);
      expect(env.lo.map(describe)).toEqual([
        'Out IP 192.168.0.21 > 192.168.0.21 ICMP host 192.168.0.99 unreachable, length 48',
        'In IP 192.168.0.21 > 192.168.0.21 ICMP host 192.168.0.99 unreachable, length 48',
      ]);
      expect(env.client.drops.count('NEIGH_FAILED')).toBe(1);
      expect(env.client.counters.get('IcmpOutDestUnreachs')).toBe(1);
      expect(env.client.counters.get('IcmpInDestUnreachs')).toBe(1);
      // Nothing for the nobody ever went on the wire.
      expect(env.wire.filter((p) => describe(p).startsWith('Out IP'))).toHaveLength(0);
    });
  }

  test('a packet to a FAILED entry starts over: INCOMPLETE and a new request', () => {
    const env = unresolvable(true);
    env.net.runUntil(4 * S);
    const n = env.client.neigh.lookup(env.client.interface('eth0')!, env.nobody)!;
    expect(n.state).toBe('FAILED');
    env.client.sendIp({
      src: CLIENT_IP,
      dst: env.nobody,
      protocol: IPPROTO_TCP,
      payload: ports(40001, 80),
    });
    expect(n.state).toBe('INCOMPLETE');
    expect(arps(env.wire)).toHaveLength(4);
  });

  test('the queue keeps unres_qlen_bytes: the oldest packets make room (NEIGH_QUEUEFULL)', () => {
    const env = lan();
    const tcp = new FakeTransport();
    env.server.registerProtocol(IPPROTO_TCP, tcp);
    // unres_qlen 3: 3 × SKB_TRUESIZE(1514) = 6270 bytes.
    expect(env.client.sysctl.write('net.ipv4.neigh.eth0.unres_qlen', '3')).toEqual({
      ok: true,
      value: '3',
    });
    expect(env.client.sysctl.int('net.ipv4.neigh.eth0.unres_qlen_bytes')).toBe(6270);
    for (let id = 1; id <= 5; id++) {
      // 1020-byte datagrams: truesize 1596, so three fit and the fourth pushes one out.
      env.client.sendIp({
        src: CLIENT_IP,
        dst: SERVER_IP,
        protocol: IPPROTO_TCP,
        payload: new Uint8Array(1000),
        id,
      });
    }
    expect(env.client.drops.count('NEIGH_QUEUEFULL')).toBe(2);
    env.net.runUntilIdle();
    expect(tcp.received.map((r) => r.packet.id)).toEqual([3, 4, 5]);
  });

  test('a full table refuses new entries (gc_thresh3): ENOBUFS, NEIGH_CREATEFAIL', () => {
    const env = lan();
    env.client.sysctl.write('net.ipv4.neigh.default.gc_thresh2', '1');
    env.client.sysctl.write('net.ipv4.neigh.default.gc_thresh3', '2');
    const send = (d: string) =>
      env.client.sendIp({
        src: CLIENT_IP,
        dst: ip(d),
        protocol: IPPROTO_TCP,
        payload: ports(1, 2),
      });
    expect(send('192.168.0.101')).toEqual({ ok: true });
    expect(send('192.168.0.102')).toEqual({ ok: true });
    // Both entries are INCOMPLETE, held by their timers: nothing to collect.
    expect(send('192.168.0.103')).toEqual({
      ok: false,
      errno: 'ENOBUFS',
      reason: 'NEIGH_CREATEFAIL',
    });
    expect(env.client.drops.count('NEIGH_CREATEFAIL')).toBe(1);
  });
});

test('per-device parameters: retrans_time_ms on eth0 changes the probe interval', () => {
  const env = lan({ timerWheel: false });
  expect(env.client.sysctl.write('net.ipv4.neigh.eth0.retrans_time_ms', '200').ok).toBe(true);
  env.client.sendIp({
    src: CLIENT_IP,
    dst: ip('192.168.0.99'),
    protocol: IPPROTO_TCP,
    payload: ports(1, 2),
  });
  env.net.runUntilIdle();
  // 200 ms is 50 jiffies; each timer fires on the tick after.
  expect(arps(env.wire).map((p) => p.time)).toEqual([0, 204_000_000, 408_000_000]);
  const eth0: NetInterface = env.client.interface('eth0')!;
  expect(env.client.neigh.lookup(eth0, ip('192.168.0.99'))!.state).toBe('FAILED');
});

test('SERVER_MAC is learned from the reply, not from the IP header', () => {
  const env = resolvedLan();
  const d = parseIpv4(env.wire[2]!.frame.subarray(ETHERNET_HEADER_LEN));
  expect(d.ok).toBe(true);
  expect(env.n.ha).toBe(SERVER_MAC);
});

group(
  'replaying linux-traces/silent-drop: the ARP the client sends while its SYNs go unanswered',
  () => {
    /**
     * The client's SYNs leave at the trace's instants; the server answers ARP but
     * drops the SYNs. With the reachable time Linux must have drawn (the trace
     * bounds it), tcplab's ARP frames come at the trace's instants. The trace's
     * SYN retransmissions left on 64-jiffy boundaries of the timer wheel, so the
     * replay is shifted to put them on tcplab's.
     */
    function replay(experiment: string, reachableTime: number, alignedSyn: number) {
      const frames = traceFrames(experiment);
      const kinds = frames.map((f) => ({
        t: f.t,
        arp: f.frame[12] === 0x08 && f.frame[13] === 0x06,
      }));
      const synTimes = kinds.filter((k) => !k.arp).map((k) => k.t);
      const arpTimes = kinds.filter((k) => k.arp).map((k) => k.t);
      // Trace time 0 becomes t0, so that the SYN at `alignedSyn` s is on a 64-jiffy boundary.
      const boundary = 64 * JIFFY_NS;
      const t0 = Math.ceil((alignedSyn * S) / boundary) * boundary - Math.round(alignedSyn * S);
      const env = lan();
      env.server.registerProtocol(IPPROTO_TCP, new FakeTransport());
      const eth0 = env.client.interface('eth0')!;
      env.client.neigh.parms(eth0).reachableTime = reachableTime;
      env.net.runUntil(t0);
      for (const t of synTimes) {
        env.net.runUntil(t0 + Math.round(t * 1e6) * 1000);
        env.client.sendIp({
          src: CLIENT_IP,
          dst: SERVER_IP,
          protocol: IPPROTO_TCP,
          payload: ports(40001, 80),
        });
      }
      env.net.runUntil(t0 + 140 * S);
      const ours = arps(env.wire).map((p) => (p.time - t0) / S);
      return { ours, theirs: arpTimes };
    }

    test('default-nc: probes 5.120 s after the SYNs at 19.483 s and 68.379 s', () => {
      // The first expiry fell between the SYNs at 11.291 s and 19.483 s: a
      // reachable time of about 15-19 s; 17 s here.
      const { ours, theirs } = replay('silent-drop/default-nc', 17 * HZ, 19.483013);
      expect(ours).toHaveLength(theirs.length);
      for (let i = 0; i < ours.length; i++)
        expect(Math.abs(ours[i]! - theirs[i]!)).toBeLessThan(0.0005);
    });

    test('default-telnet: the entry outlived the SYN at 35.466 s; one probe after the SYN at 67.722 s', () => {
      const { ours, theirs } = replay('silent-drop/default-telnet', 40 * HZ, 67.721692);
      expect(ours).toHaveLength(theirs.length);
      for (let i = 0; i < ours.length; i++)
        expect(Math.abs(ours[i]! - theirs[i]!)).toBeLessThan(0.0005);
    });
  },
);
