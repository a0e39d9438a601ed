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
import { ms } from '../../src/sim/time.js';
import { SKB_TX_OVERHEAD } from '../../src/tcp/connection.js';
import { seqAdd, seqDiff } from '../../src/wire/seq.js';
import { established, fromServer } from './fixtures.js';
import { IRS, ISS, ourTs, PEER_TS } from './harness.js';

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
    // The first skb fills to size_goal and goes (tcp_push_one): 10 segments of
    // it leave (cwnd 10), which splits it; its unsent tail fills again to
    // size_goal; the next skb would start with 46336 + 2 overheads >= 42000 queued.
    expect(n).toBe(14480 + 31856);
    expect(c.skbs.map((b) => seqDiff(b.end, b.start))).toEqual([14480, 31856]);
    expect(c.wmemQueued()).toBe(46336 + 2 * SKB_TX_OVERHEAD);
    expect(c.writeBlocked).toBe(true);
  });

  test('the blocked writer is woken once a third of sk_sndbuf is free, not at the first ACK that frees room', () => {
    const t = established();
    const c = t.c;
    c.sndBufLocked = 42000;
    t.app(ms(20), (x) => x.send(ms(20), new Uint8Array(200_000)));
    t.out.splice(0);
    t.takeEvents();
    // The ACK of the 10 segments frees the first skb: 31856 + overhead still
    // queued, 9248 free, less than half of what is queued: no wake-up. (The
    // ACK lets 20 more segments go, splitting the tail skb.)
    expect(t.sendAll(ms(30), ackOf(14480))).toHaveLength(20);
    expect(c.wmemQueued()).toBe(31856 + 2 * SKB_TX_OVERHEAD);
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
    expect(c.skbs.length).toBe(1);
    t.sendAll(ms(30), ackOf(1448));
    expect(c.wmemQueued()).toBe(5000 - 1448 + SKB_TX_OVERHEAD);
    t.sendAll(ms(40), ackOf(5000, PEER_TS + 110));
    expect(c.wmemQueued()).toBe(0);
  });
});
