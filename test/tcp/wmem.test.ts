/**
 * The send buffer in Linux's units (tcp_sendmsg_locked, net/core/stream.c,
 * include/net/sock.h): sk_wmem_queued charges each skb of the write and
 * retransmit queues its payload plus SKB_TX_OVERHEAD; tcp_sendmsg fills the
 * tail skb up to size_goal and allocates a new one only while sk_wmem_queued <
 * sk_sndbuf; a transmission that ends inside an skb splits it (tso_fragment);
 * a blocked writer hears of room (sk_stream_write_space) once a third of
 * sk_sndbuf is free. The script this pins: upstream tcp/blocking/blocking-write.pkt.
 */

import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { SKB_TX_OVERHEAD } from '../../src/tcp/connection.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { seqAdd, seqDiff } from '../../src/wire/seq.js';
import { established, fromServer } from './fixtures.js';
import { IRS, ISS, ourTs, PEER_TS } from './harness.js';
import { Sim, startBulk } from './netsim.js';

const CLIENT_ADDR = ipv4Address(10, 0, 0, 1);
const SERVER_ADDR = ipv4Address(10, 0, 0, 2);

/** The peer's ACK of our first `upTo` bytes (window 502 << 7). */
function ackOf(upTo: number, tsVal = PEER_TS + 100) {
  return {
    ...fromServer(tsVal, ourTs(0)),
    seq: seqAdd(IRS, 1),
    ack: seqAdd(ISS, 1 + upTo),
    window: 502,
  };
}

describe('sk_wmem_queued and SO_SNDBUF', () => {
  test('a write stops at the skb that reaches sk_sndbuf; each skb costs its payload plus the overhead', () => {
    const t = established();
    const c = t.c;
    c.sndBufLocked = 42000;
    // MSS 1448 (1460 less timestamps); the peer's window 65160, so size_goal is
    // 22 MSS (31856, half the window in whole MSS).
    expect(c.sizeGoal(1448)).toBe(31856);
    const n = t.app(ms(20), (x) => x.send(ms(20), new Uint8Array(200_000)));
    expect(typeof n).toBe('number');
    // The first skb fills to size_goal and its first transmission goes
    // (tcp_push_one): 2 segments (tcp_tso_segs at this pacing rate), split off
    // by tso_fragment. Its tail refills to size_goal; more than half the peer's
    // window is then unpushed (forced_push), so it is pushed: transmissions of
    // 2 until the 10 of cwnd are out, each an skb of its own. The tail refills
    // again; the next skb would start with 46336 + 6 overheads >= 42000 queued.
    expect(n).toBe(14480 + 31856);
    expect(c.skbs.map((b) => seqDiff(b.end, b.start))).toEqual([
      2896, 2896, 2896, 2896, 2896, 31856,
    ]);
    expect(c.wmemQueued()).toBe(46336 + 6 * SKB_TX_OVERHEAD);
    expect(c.writeBlocked).toBe(true);
  });

  test('the blocked writer is woken once a third of sk_sndbuf is free, not at the first ACK that frees room', () => {
    const t = established();
    const c = t.c;
    c.sndBufLocked = 42000;
    t.app(ms(20), (x) => x.send(ms(20), new Uint8Array(200_000)));
    t.out.splice(0);
    t.takeEvents();
    // The ACK of the 10 segments frees the first five skbs; 20 more segments go
    // (the RTT sample raised the pacing rate: transmissions of 3), each
    // transmission splitting the tail skb: 31856 and 8 overheads queued, 2976
    // free, less than a third of sk_sndbuf: no wake-up.
    expect(t.sendAll(ms(30), ackOf(14480))).toHaveLength(20);
    expect(c.wmemQueued()).toBe(31856 + 8 * SKB_TX_OVERHEAD);
    expect(c.skbs.slice(c.skbsFreed).map((b) => seqDiff(b.end, b.start))).toEqual([
      4344, 4344, 4344, 4344, 4344, 4344, 2896, 2896,
    ]);
    expect(t.events.some((e) => e.kind === 'writable')).toBe(false);
    // The ACK of those 20: 2896 + overhead queued, and the writer hears of it.
    t.sendAll(ms(40), ackOf(14480 + 28960, PEER_TS + 110));
    expect(c.wmemQueued()).toBe(2896 + SKB_TX_OVERHEAD);
    expect(t.events.some((e) => e.kind === 'writable')).toBe(true);
  });

  test('partly acknowledged skbs keep only their overhead and unacknowledged payload (tcp_trim_head)', () => {
    const t = established();
    const c = t.c;
    t.app(ms(20), (x) => x.send(ms(20), new Uint8Array(5000)));
    t.out.splice(0);
    // Two transmissions of 2 segments: two skbs.
    expect(c.skbs.map((b) => seqDiff(b.end, b.start))).toEqual([2896, 2104]);
    t.sendAll(ms(30), ackOf(1448));
    expect(c.wmemQueued()).toBe(5000 - 1448 + 2 * SKB_TX_OVERHEAD);
    t.sendAll(ms(40), ackOf(5000, PEER_TS + 110));
    expect(c.wmemQueued()).toBe(0);
  });
});

describe('sk_sndbuf grows (tcp_sndbuf_expand) and never shrinks', () => {
  test('a writer held back by the buffer, not the window, gets a larger one; a loss takes none of it back', () => {
    // A bulk writer over a 100 Mbit/s, 5 ms link losing 1% of frames, the
    // reader keeping up: slow start opens the window past what the first
    // buffer (tcp_wmem[1] = 16384, grown to 2 × 10 × 2304 = 46080 at
    // establishment) holds, so tcp_check_space grows it; the losses halve
    // the window, and the buffer stays as it was.
    const sim = new Sim(3, { bandwidth: 100e6, delay: ms(5), loss: 0.01 });
    const sysctl = tcpSysctl();
    const client = sim.host('client', CLIENT_ADDR, sysctl);
    const server = sim.host('server', SERVER_ADDR, sysctl);
    const c = startBulk(sim, client, server, SERVER_ADDR, 8 << 20, ms(1));
    const seen: number[] = [];
    const cwnds: number[] = [];
    const sample = (): void => {
      seen.push(c.sndBuf);
      cwnds.push(c.cwnd);
      if (c.state !== 'CLOSE' && c.tw === undefined) sim.events.after(ms(1), sample);
    };
    sim.events.after(ms(20), sample);
    sim.run(s(60));
    expect(seen[0]).toBe(46080);
    // Grown, within tcp_wmem[2], never smaller than before.
    expect(Math.max(...seen)).toBeGreaterThan(46080);
    expect(Math.max(...seen)).toBeLessThanOrEqual(sysctl.tcp_wmem[2]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    // ... while the window did come down.
    const top = cwnds.indexOf(Math.max(...cwnds));
    expect(Math.min(...cwnds.slice(top))).toBeLessThan(cwnds[top]!);
    expect(client.net.counters.TcpRetransSegs).toBeGreaterThan(0);
  });
});
