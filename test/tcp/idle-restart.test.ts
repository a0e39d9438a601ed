/**
 * tcp_slow_start_after_idle (default 1): a sender idle for more than an RTO
 * starts again from the initial window, halving its cwnd per RTO of idleness
 * (tcp_cwnd_restart, RFC 5681 4.1), when a write queues new data
 * (tcp_skb_entail) or the peer's window changes with data waiting
 * (tcp_ack_update_window). A window the application leaves unused decays
 * (tcp_cwnd_application_limited, RFC 2861) only an RTO after its last use,
 * and every ACK of data counts as one (tcp_cong_avoid refreshes
 * snd_cwnd_stamp): a writer of small, acknowledged writes keeps its window, as
 * the real kernel does (recordings/idle-restart.txt). Linux:
 * tcp_slow_start_after_idle_check (include/net/tcp.h), tcp_cwnd_restart and
 * tcp_cwnd_validate (net/ipv4/tcp_output.c), tcp_cong_avoid (tcp_input.c).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ms, s, type Time, us } from '../../src/sim/time.js';
import { USEC_PER_JIFFY } from '../../src/tcp/clock.js';
import type { Connection } from '../../src/tcp/connection.js';
import { type TcpSysctl, tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { ackOf, established } from './fixtures.js';
import { PEER_TS, type Tester } from './harness.js';
import { Sim } from './netsim.js';

const MSS = 1448;

/**
 * cwnd 40 by 1.03 s: 10 segments sent at 1 s, ACKed at 1.01 (cwnd 20), 20 more
 * sent then, ACKed at 1.02 (cwnd 40); the last data went at 1.01 s.
 */
function grown(sysctl?: TcpSysctl): Tester {
  const t = established(sysctl);
  t.c.sndBufLocked = 1 << 20;
  t.app(s(1), (c) => c.send(s(1), new Uint8Array(30 * MSS)));
  t.out.splice(0);
  t.sendAll(s(1) + ms(10), ackOf(10 * MSS));
  t.sendAll(s(1) + ms(20), ackOf(30 * MSS));
  expect(t.c.cwnd).toBe(40);
  return t;
}

/** The RTO in ns (icsk_rto is in jiffies). */
const rtoNs = (t: Tester): Time => t.c.rto * USEC_PER_JIFFY * 1000;

describe('a write after an idle time (tcp_cwnd_restart)', () => {
  test('idle less than an RTO: the window stays', () => {
    const t = grown();
    const at = s(1) + ms(10) + Math.floor(rtoNs(t) * 0.9);
    t.advance(at);
    t.app(at, (c) => c.send(at, new Uint8Array(MSS)));
    expect(t.c.cwnd).toBe(40);
  });

  test('idle 1.5 RTO: halved once; 2.5 RTO: halved twice, down to the initial window', () => {
    for (const [idle, cwnd] of [
      [1.5, 20],
      [2.5, 10],
      [10, 10],
    ] as const) {
      const t = grown();
      const at = s(1) + ms(10) + Math.floor(rtoNs(t) * idle);
      t.advance(at);
      t.app(at, (c) => c.send(at, new Uint8Array(MSS)));
      expect(t.c.cwnd, `idle ${idle} RTO`).toBe(cwnd);
      // ssthresh keeps 3/4 of the old window, unless it was larger (infinite here).
      expect(t.c.ssthresh).toBe(0x7fffffff);
    }
  });

  test('tcp_slow_start_after_idle=0: no restart', () => {
    const t = grown(tcpSysctl({ tcp_slow_start_after_idle: 0 }));
    t.advance(s(5));
    t.app(s(5), (c) => c.send(s(5), new Uint8Array(MSS)));
    expect(t.c.cwnd).toBe(40);
  });

  test('a zero window reopened after seconds: the restart comes with the window update', () => {
    // As packetdrill's slow_start/slow-start-after-win-update.pkt: data waits
    // behind a zero window; when the window opens, cwnd is back at 10: 10 of
    // the 20 segments go, not 20.
    const t = grown();
    t.sendAll(s(1) + ms(30), ackOf(30 * MSS, 0));
    t.app(s(1) + ms(30), (c) => c.send(s(1) + ms(30), new Uint8Array(20 * MSS)));
    t.advance(s(4));
    t.out.splice(0);
    expect(t.c.cwnd).toBe(40);
    const sent = t.sendAll(s(4), ackOf(30 * MSS, 502, PEER_TS + 500));
    expect(t.c.cwnd).toBe(10);
    expect(sent.filter((x) => x.payload.length > 0)).toHaveLength(10);
  });
});

describe('against the real kernel (recordings/idle-restart.txt)', () => {
  const RECORDING = readFileSync(new URL('recordings/idle-restart.txt', import.meta.url), 'utf8');
  /** The cwnd values a case printed, in order. */
  function recorded(name: string): number[] {
    const block = RECORDING.split('\n\n').find((b) => b.startsWith(`case ${name}\n`));
    if (block === undefined) throw new Error(`idle-restart.txt: no case ${name}`);
    return [...block.matchAll(/cwnd:(\d+)/g)].map((m) => Number(m[1]));
  }

  /**
   * The recorder's writer on a 15 µs path: 40 writes of 64 KiB to a reader
   * that keeps up, then `then`; the client's cwnd at each `look`.
   */
  function play(
    sysctl: number,
    then: (w: (at: Time, n: number) => void, look: (at: Time) => void) => void,
  ) {
    const sim = new Sim(1, { delay: us(15) });
    const sys = tcpSysctl({ tcp_congestion_control: 'reno', tcp_slow_start_after_idle: sysctl });
    const cli = sim.host('c', ipv4Address(10, 97, 0, 1), sys);
    const srv = sim.host('s', ipv4Address(10, 97, 0, 2), sys);
    srv.listen(80);
    srv.onAccept = (c) => {
      const drain = (): void => {
        srv.act(c, (cc, t) => cc.recv(t));
        sim.events.after(us(100), drain);
      };
      drain();
    };
    let left = 40 * 65536;
    const bulk = (c: Connection) =>
      cli.act(c, (cc, t) => {
        while (left > 0) {
          const n = cc.send(t, new Uint8Array(Math.min(65536, left)));
          if (typeof n !== 'number' || n === 0) return;
          left -= n;
        }
      });
    cli.onEvent = (c, e) => {
      if (e.kind === 'connected' || e.kind === 'writable') bulk(c);
    };
    const c = cli.connect({
      localPort: 40000,
      remote: { addr: ipv4Address(10, 97, 0, 2), port: 80 },
    });
    // Until everything written is acknowledged, then 50 ms (the recorder's sleep).
    while (left > 0 || c.rtxQueue.length > 0 || c.sndNxt !== c.writeSeq) {
      sim.run(sim.events.now + ms(1));
    }
    const cwnds: number[] = [];
    const start = sim.events.now + ms(50);
    then(
      (at, n) =>
        sim.events.schedule(start + at, () => cli.act(c, (cc, t) => cc.send(t, new Uint8Array(n)))),
      (at) => sim.events.schedule(start + at, () => cwnds.push(c.cwnd)),
    );
    sim.run(start + s(3));
    return { cwnds, rto: c.rto };
  }

  test('idle 1 s, then a write: cwnd halved per RTO of idleness, as the kernel (1712 → 53)', () => {
    const [grown, idle, after] = recorded('idle tcp_slow_start_after_idle=1');
    // The kernel: 5 halvings for about 1.05 s idle at an RTO of 204 ms.
    expect(after).toBe(grown! >> 5);
    expect(idle).toBe(grown);
    const ours = play(1, (write, look) => {
      look(0);
      look(ms(1050) - 1);
      write(ms(1050), 1448);
      look(ms(1050));
    }).cwnds;
    // (Grown far enough that five halvings stay above the initial window.)
    expect(ours[0]).toBeGreaterThan(32 * 10);
    expect(ours[1]).toBe(ours[0]);
    expect(ours[2]).toBe(ours[0]! >> 5);
    // Off: no restart, in both.
    const [g0, , a0] = recorded('idle tcp_slow_start_after_idle=0');
    expect(a0).toBe(g0);
    const off = play(0, (write, look) => {
      look(0);
      write(ms(1050), 1448);
      look(ms(1050));
    }).cwnds;
    expect(off[1]).toBe(off[0]);
  });

  test('100-byte writes every 50 ms, each acknowledged: the window stays (no RFC 2861 decay), as the kernel', () => {
    const kernel = recorded('trickle tcp_slow_start_after_idle=1');
    expect(new Set(kernel).size).toBe(1);
    const ours = play(1, (write, look) => {
      look(0);
      for (let i = 0; i < 30; i++) write(ms(50) * i, 100);
      for (let i = 1; i <= 6; i++) look(ms(250) * i);
    }).cwnds;
    expect(new Set(ours).size).toBe(1);
  });
});
