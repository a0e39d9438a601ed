/**
 * tcp_slow_start_after_idle (default 1): a sender idle for more than an RTO
 * starts again from the initial window, halving its cwnd per RTO of idleness
 * (tcp_cwnd_restart, RFC 5681 4.1), when a write queues new data
 * (tcp_skb_entail) or the peer's window changes with data waiting
 * (tcp_ack_update_window); and a window the application leaves unused for an
 * RTO decays halfway to what it used (tcp_cwnd_application_limited, RFC 2861).
 * Linux: tcp_slow_start_after_idle_check (include/net/tcp.h), tcp_cwnd_restart
 * and tcp_cwnd_validate (net/ipv4/tcp_output.c).
 */

import { describe, expect, test } from 'vitest';
import { ms, s, type Time } from '../../src/sim/time.js';
import { USEC_PER_JIFFY } from '../../src/tcp/clock.js';
import { type TcpSysctl, tcpSysctl } from '../../src/tcp/sysctl.js';
import { ackOf, established } from './fixtures.js';
import { PEER_TS, type Tester } from './harness.js';

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

describe('a window the application does not use (tcp_cwnd_application_limited)', () => {
  /** One segment every 50 ms from 1.1 s, each ACKed 10 ms later: `upTo(t)` goes on until t. */
  function trickler(t: Tester): (until: Time) => void {
    let sent = 30 * MSS;
    let at = s(1) + ms(100);
    return (until) => {
      for (; at <= until; at += ms(50)) {
        const now = at;
        t.app(now, (c) => c.send(now, new Uint8Array(MSS)));
        sent += MSS;
        t.out.splice(0);
        t.sendAll(now + ms(10), ackOf(sent));
      }
    };
  }

  test('after an RTO of using a few segments, cwnd halves toward the initial window, again each RTO', () => {
    const t = grown();
    const rto = rtoNs(t);
    const upTo = trickler(t);
    // The window was last full at 1.01 s (the 20 sent then filled it).
    upTo(s(1) + ms(10) + rto - ms(50));
    expect(t.c.cwnd).toBe(40);
    upTo(s(1) + ms(10) + rto + ms(50));
    // (40 + 10) / 2.
    expect(t.c.cwnd).toBe(25);
    upTo(s(1) + ms(10) + 2 * rto + ms(100));
    // (25 + 10) / 2.
    expect(t.c.cwnd).toBe(17);
  });

  test('tcp_slow_start_after_idle=0: the unused window stays', () => {
    const t = grown(tcpSysctl({ tcp_slow_start_after_idle: 0 }));
    trickler(t)(s(2));
    expect(t.c.cwnd).toBe(40);
  });
});
