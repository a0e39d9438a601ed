/**
 * How new data leaves (Linux tcp_write_xmit, tcp_output.c): transmissions of
 * the skb at SND.NXT, each at most tcp_tso_segs segments (tcp_tso_autosize) and
 * half the congestion window (tcp_cwnd_test), cut at the peer's window's edge
 * (tcp_mss_split_point), held back for an ACK that is due (tcp_tso_should_defer);
 * PSH on the last segment of every transmission of more than one
 * (__tcp_transmit_skb) and where a write ended (tcp_push's tcp_mark_push).
 * test/tcp/recordings/push-marks.txt and zero-window-reno.txt show the real
 * kernel doing each.
 */

import { describe, expect, test } from 'vitest';
import { ms, s, type Time, us } from '../../src/sim/time.js';
import { tcpTsoSegs } from '../../src/tcp/output.js';
import { type TcpSysctl, tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqDiff } from '../../src/wire/seq.js';
import { PSH, type TcpSegment } from '../../src/wire/tcp.js';
import { ackOf, established, synSent } from './fixtures.js';
import { ISS, ourTs, PEER_TS, synAckFromServer, type Tester } from './harness.js';

const MSS = 1448;

/** Segments as [first byte, last byte + 1, PSH?]. */
function ranges(segs: readonly TcpSegment[]): [number, number, string][] {
  return segs.map((seg) => {
    const from = seqDiff(seg.seq, ISS) - 1;
    return [from, from + seg.payload.length, seg.flags & PSH ? 'P' : '.'];
  });
}

/** What the application's calls sent since the last look. */
function sent(t: Tester): [number, number, string][] {
  return ranges(t.out.splice(0).map((o) => o.seg));
}

/** What the connection sent in answer to `seg` at `at`. */
function answer(t: Tester, at: Time, seg: TcpSegment): [number, number, string][] {
  return ranges(t.sendAll(at, seg));
}

/** ESTABLISHED with a 100 µs round trip (the SYN-ACK at 100 µs), as on a veth pair. */
function establishedFast(sysctl?: TcpSysctl): Tester {
  const t = synSent(sysctl);
  t.send(us(100), synAckFromServer(ourTs(0)));
  expect(t.c.state).toBe('ESTABLISHED');
  t.out.splice(0);
  return t;
}

describe('tcp_tso_segs: the segments one transmission may carry (tcp_tso_autosize)', () => {
  test('1 ms at the pacing rate, plus GSO’s largest >> (min_rtt >> tcp_tso_rtt_log), at least tcp_min_tso_segs', () => {
    const c = established().c;
    // No pacing rate (~0UL): GSO's largest, 65215 bytes: 45 segments.
    c.pacingRate = -1;
    expect(tcpTsoSegs(c, MSS)).toBe(45);
    // 10 segments' worth per 1024 µs (pacing_shift 10); a long min_rtt adds nothing.
    c.pacingRate = 10 * MSS * 1024;
    c.minRttUs = 10_000;
    expect(tcpTsoSegs(c, MSS)).toBe(10);
    // min_rtt 1000 µs: 1000 >> 9 = 1, so 65215 >> 1 = 32607 bytes more: 32 segments.
    c.minRttUs = 1000;
    expect(tcpTsoSegs(c, MSS)).toBe(32);
    // A slow connection: tcp_min_tso_segs (2) each, or what the sysctl says.
    c.pacingRate = 100_000;
    c.minRttUs = 100_000;
    expect(tcpTsoSegs(c, MSS)).toBe(2);
    expect(tcpTsoSegs(established(tcpSysctl({ tcp_min_tso_segs: 8 })).c, MSS)).toBe(8);
  });
});

describe('transmissions', () => {
  test('at most half the congestion window each ("at least 2 GSO packets in flight"), each ending with PSH', () => {
    const t = establishedFast();
    expect(tcpTsoSegs(t.c, MSS)).toBe(45);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(20 * MSS)));
    // cwnd 10: 5 segments, then the other 5; the rest waits for ACKs. As the
    // kernel's first flight in push-marks.txt: 1:7241 and 7241:14481, each with PSH.
    expect(sent(t)).toEqual([
      [0, 1448, '.'],
      [1448, 2896, '.'],
      [2896, 4344, '.'],
      [4344, 5792, '.'],
      [5792, 7240, 'P'],
      [7240, 8688, '.'],
      [8688, 10136, '.'],
      [10136, 11584, '.'],
      [11584, 13032, '.'],
      [13032, 14480, 'P'],
    ]);
  });

  test('one segment per transmission: PSH only where the write ended', () => {
    // A slow path (pacing under a segment per ms) and tcp_min_tso_segs 1.
    const t = established(tcpSysctl({ tcp_min_tso_segs: 1 }));
    expect(tcpTsoSegs(t.c, MSS)).toBe(1);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(2 * MSS + 100)));
    expect(sent(t)).toEqual([
      [0, 1448, '.'],
      [1448, 2896, '.'],
      [2896, 2996, 'P'],
    ]);
  });

  test('a write appended to an unsent skb takes its PSH mark away (tcp_sendmsg: "if (!copied)")', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(10 * MSS)));
    expect(sent(t)).toHaveLength(10);
    // The window is full: two small writes wait in one skb, marked once, at its end.
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(100)));
    expect(t.c.skbs.at(-1)).toMatchObject({ psh: true });
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(100)));
    expect(t.c.skbs.at(-1)).toMatchObject({ psh: true });
    expect(seqDiff(t.c.skbs.at(-1)!.end, t.c.skbs.at(-1)!.start)).toBe(200);
    expect(sent(t)).toEqual([]);
    expect(answer(t, ms(1010), ackOf(10 * MSS))).toEqual([[14480, 14680, 'P']]);
  });

  test('a blocking write that waited keeps the mark its wait left (one tcp_sendmsg: copied > 0)', () => {
    for (const resumed of [false, true]) {
      const t = established();
      t.c.sndBufLocked = 6000;
      // A closed window: everything stays queued.
      t.sendAll(ms(500), ackOf(0, 0));
      // MSG_MORE and more than the buffer takes: the first skb fills to
      // size_goal (31856), a second is refused, and wait_for_space marks the tail.
      const n = t.app(s(1), (c) => c.send(s(1), new Uint8Array(100_000), true));
      expect(n).toBe(31_856);
      expect(t.c.skbs.at(-1)).toMatchObject({ psh: true });
      // The peer's window opens wider (size_goal grows to 63712): 10 segments
      // go, and the unsent tail, still marked, has room again.
      t.sendAll(s(1) + ms(10), ackOf(0, 1000, PEER_TS + 200));
      expect(t.c.skbs.at(-1)).toMatchObject({ psh: true });
      // The rest of that write goes into it and keeps the mark; a new write clears it.
      t.app(s(1) + ms(10), (c) => c.send(s(1) + ms(10), new Uint8Array(100), true, resumed));
      expect(t.c.skbs.at(-1), `resumed ${resumed}`).toMatchObject({ psh: resumed });
    }
  });

  test('the peer’s window ends inside a transmission: a partial segment up to its edge (tcp_mss_split_point)', () => {
    const t = establishedFast(tcpSysctl({ tcp_min_tso_segs: 10 }));
    // The peer offers 40 << 7 = 5120 bytes: 3 segments and 776 bytes.
    t.sendAll(ms(500), ackOf(0, 40));
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(10 * MSS)));
    expect(sent(t)).toEqual([
      [0, 1448, '.'],
      [1448, 2896, '.'],
      [2896, 4344, '.'],
      [4344, 5120, 'P'],
    ]);
  });

  test('…unless Nagle holds the partial one: a small segment is unacknowledged (Minshall)', () => {
    const t = establishedFast(tcpSysctl({ tcp_min_tso_segs: 10 }));
    t.sendAll(ms(500), ackOf(0, 40));
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(100)));
    expect(sent(t)).toEqual([[0, 100, 'P']]);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(10 * MSS)));
    // 5020 bytes of window left: 3 whole segments; the 676 at the edge wait.
    expect(sent(t)).toEqual([
      [100, 1548, '.'],
      [1548, 2996, '.'],
      [2996, 4444, 'P'],
    ]);
  });

  test('a new transmission needs its first whole segment inside the window (tcp_snd_wnd_test)', () => {
    // A 10 ms path: transmissions of tcp_min_tso_segs, here 3.
    const t = established(tcpSysctl({ tcp_min_tso_segs: 3 }));
    expect(tcpTsoSegs(t.c, MSS)).toBe(3);
    t.sendAll(ms(500), ackOf(0, 40));
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(10 * MSS)));
    // Transmissions of 3: the first fills 4344 bytes; 776 remain, less than a
    // segment, so the second does not start.
    expect(sent(t)).toEqual([
      [0, 1448, '.'],
      [1448, 2896, '.'],
      [2896, 4344, 'P'],
    ]);
  });
});

describe('TSO deferral (tcp_tso_should_defer)', () => {
  /** 20 segments written at 1 s on a 100 µs path: 10 out (cwnd 10), the rest waiting. */
  function cwndFull(): Tester {
    const t = establishedFast();
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(20 * MSS)));
    expect(sent(t)).toHaveLength(10);
    return t;
  }

  test('room for only part of the skb, an ACK due: wait for it; then send what the window allows', () => {
    const t = cwndFull();
    // The ACK of one segment: cwnd 11, 9 in flight, room for 2 of the 10
    // waiting, less than a third of the window (tcp_tso_win_divisor 3), the
    // oldest in flight older than half the SRTT: hold.
    expect(answer(t, s(1) + us(100), ackOf(MSS))).toEqual([]);
    // The next ACK: cwnd 12, 8 in flight, room for 4, a third of 12: send.
    expect(answer(t, s(1) + us(110), ackOf(2 * MSS))).toEqual([
      [14480, 15928, '.'],
      [15928, 17376, '.'],
      [17376, 18824, '.'],
      [18824, 20272, 'P'],
    ]);
  });

  test('nothing sent in the last millisecond: no deferral ("only if the last write was recent (1 ms)")', () => {
    const t = cwndFull();
    expect(answer(t, s(1) + ms(1), ackOf(MSS))).toEqual([
      [14480, 15928, '.'],
      [15928, 17376, 'P'],
    ]);
  });

  test('tcp_tso_win_divisor: a third of the window by default; with 0, more than 3 segments', () => {
    const room = (divisor: number): number => {
      const t = establishedFast(tcpSysctl({ tcp_tso_win_divisor: divisor }));
      t.c.sndBufLocked = 1 << 20;
      t.app(s(1), (c) => c.send(s(1), new Uint8Array(30 * MSS)));
      expect(sent(t)).toHaveLength(10);
      // All 10 acknowledged: cwnd 20, the other 20 go.
      expect(answer(t, s(1) + us(100), ackOf(10 * MSS))).toHaveLength(20);
      // A write the window has no room for: one skb, the write queue's tail.
      t.app(s(1) + us(150), (c) => c.send(s(1) + us(150), new Uint8Array(10 * MSS)));
      expect(sent(t)).toEqual([]);
      // 2 more acknowledged: cwnd 22, 18 in flight, room for 4 segments of it.
      return answer(t, s(1) + us(200), ackOf(12 * MSS)).length;
    };
    // 4 < 22 / 3: wait.
    expect(room(3)).toBe(0);
    // 4 > 3 (tcp_max_tso_deferred_mss): send.
    expect(room(0)).toBe(4);
  });
});

describe('zero-window and keepalive probes with data (tcp_write_wakeup)', () => {
  test('the send head cut to the window and one MSS, with PSH', () => {
    const t = establishedFast();
    // A window of 1 << 7 = 128 bytes, and a write larger than it.
    t.sendAll(ms(500), ackOf(0, 1));
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(1000)));
    // 1000 bytes do not fit in 128: nothing is sent.
    expect(sent(t)).toEqual([]);
    // The probe timer sends what fits: 128 bytes, PSH.
    t.advance(s(2));
    expect(sent(t)[0]).toEqual([0, 128, 'P']);
  });

  test('a probe that cuts an skb leaves PSH on the part that stays (set before tcp_fragment)', () => {
    const t = establishedFast();
    t.sendAll(ms(500), ackOf(0, 1));
    // MSG_MORE: no PSH mark at the write's end.
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(1000), true));
    expect(t.c.skbs.at(-1)).toMatchObject({ psh: false });
    t.advance(s(2));
    expect(sent(t)[0]).toEqual([0, 128, 'P']);
    expect(t.c.skbs.at(-1)).toMatchObject({ psh: true });
  });
});
