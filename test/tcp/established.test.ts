import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { tcpTsoSegs } from '../../src/tcp/output.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/tcp.js';
import { TCP_NOP } from '../../src/wire/tcp-options.js';
import { established, fromServer } from './fixtures.js';
import { bytes, IRS, ISS, ourTs, PEER_TS, type Tester, tsOpt } from './harness.js';

/** `n` bytes of data from the server at offset `off` of its stream. */
function data(off: number, n: number, tsVal = PEER_TS + 100, flags = ACK | PSH) {
  return {
    ...fromServer(tsVal),
    seq: seqAdd(IRS, 1 + off),
    flags,
    payload: new Uint8Array(n).fill(off & 255),
  };
}

/**
 * An ACK from the server for our bytes up to `upTo`, with window field `window`;
 * `peerSent` is how much the server has sent itself.
 */
function ackFromServer(
  upTo: number,
  window = 502,
  tsVal = PEER_TS + 100,
  tsEcr = ourTs(0),
  peerSent = 0,
) {
  return {
    ...fromServer(tsVal, tsEcr),
    seq: seqAdd(IRS, 1 + peerSent),
    ack: seqAdd(ISS, 1 + upTo),
    window,
  };
}

const sack = (blocks: [number, number][]) => [
  TCP_NOP,
  TCP_NOP,
  {
    kind: 'sack' as const,
    blocks: blocks.map(([l, r]) => ({ left: seqAdd(IRS, 1 + l), right: seqAdd(IRS, 1 + r) })),
  },
];

describe('ESTABLISHED: receiving', () => {
  test('the first data is ACKed at once (quick-ACK mode at the start of a connection)', () => {
    const t = established();
    const r = t.send(s(1), data(0, 7));
    expect(r).toEqual({
      srcPort: 40001,
      dstPort: 80,
      seq: seqAdd(ISS, 1),
      ack: seqAdd(IRS, 8),
      flags: ACK,
      window: 502,
      urgentPointer: 0,
      options: tsOpt(ourTs(s(1)), PEER_TS + 100),
      payload: new Uint8Array(0),
    });
    expect(t.takeEvents()).toEqual(['readable']);
    expect(t.c.recv(s(1))).toEqual(new Uint8Array(7).fill(0));
  });

  test('once the exchange is interactive, the ACK waits 40 ms for a reply to ride on', () => {
    const t = established();
    t.send(s(1), data(0, 7));
    // A reply within ato of the request makes the connection interactive (pingpong).
    t.app(s(1), (c) => c.send(s(1), bytes('echo: x\r\n')));
    t.expect(s(1), { flags: ACK | PSH, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 8) });
    t.send(ms(1010), ackFromServer(9, 502, PEER_TS + 110, ourTs(s(1)), 7));
    expect(t.send(s(2), data(7, 14, PEER_TS + 1100))).toBeUndefined();
    t.expectNothing(ms(2040) - 1);
    t.expect(ms(2040), { flags: ACK, seq: seqAdd(ISS, 10), ack: seqAdd(IRS, 22) });
    expect(t.net.counters.TcpExtDelayedACKs).toBe(1);
  });

  /** An interactive exchange: a request at 1 s, its reply at once, the reply ACKed. */
  function interactive(): Tester {
    const t = established();
    t.send(s(1), data(0, 7));
    t.app(s(1), (c) => c.send(s(1), bytes('echo: x\r\n')));
    t.expect(s(1), { flags: ACK | PSH, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 8) });
    t.send(ms(1010), ackFromServer(9, 502, PEER_TS + 110, ourTs(s(1)), 7));
    return t;
  }

  test('interactive: a read after one small segment leaves the ACK to the timer (ICSK_ACK_PUSHED)', () => {
    const t = interactive();
    expect(t.send(s(2), data(7, 7, PEER_TS + 1100))).toBeUndefined();
    t.app(ms(2001), (c) => c.recv(ms(2001)));
    t.expectNothing(ms(2040) - 1);
    t.expect(ms(2040), { flags: ACK, ack: seqAdd(IRS, 15) });
  });

  test('interactive: after two small segments (ICSK_ACK_PUSHED2) the read that empties the queue ACKs', () => {
    const t = interactive();
    expect(t.send(s(2), data(7, 7, PEER_TS + 1100))).toBeUndefined();
    expect(t.send(ms(2001), data(14, 7, PEER_TS + 1101))).toBeUndefined();
    t.app(ms(2002), (c) => c.recv(ms(2002)));
    t.expect(ms(2002), { flags: ACK, ack: seqAdd(IRS, 22) });
  });

  test('not interactive: a read that empties the queue after a small segment ACKs at once, a partial read does not', () => {
    const t = established();
    // The quick ACKs of the start (16), spent on segments 100 ms apart.
    for (let i = 0; i < 16; i++) {
      expect(t.send(s(1) + i * ms(100), data(i * 10, 10, PEER_TS + i))).toBeDefined();
    }
    expect(t.send(ms(2600), data(160, 10, PEER_TS + 16))).toBeUndefined();
    t.app(ms(2601), (c) => c.recv(ms(2601), 4));
    t.expectNothing(ms(2601));
    t.app(ms(2602), (c) => c.recv(ms(2602)));
    t.expect(ms(2602), { flags: ACK, ack: seqAdd(IRS, 171) });
  });

  test('segments of one smaller size without PSH are the peer MSS less a SACK option: rcv_mss takes it (last_seg_size)', () => {
    const t = established();
    // Full-sized first: rcv_mss 1448.
    t.send(s(1), data(0, 1448, PEER_TS, ACK));
    expect(t.c.rcvMss).toBe(1448);
    // 1436 bytes: a segment with a SACK block would carry 12 bytes less.
    t.send(ms(1001), data(1448, 1436, PEER_TS, ACK));
    expect(t.c.rcvMss).toBe(1448);
    t.send(ms(1002), data(2884, 1436, PEER_TS, ACK));
    expect(t.c.rcvMss).toBe(1436);
  });

  test('a reply within the delay carries the ACK: no separate ACK', () => {
    const t = established();
    t.send(s(1), data(0, 7));
    t.app(s(1), (c) => c.send(s(1), bytes('a')));
    t.expect(s(1), { flags: ACK | PSH });
    t.send(ms(1010), ackFromServer(1, 502, PEER_TS + 110, ourTs(s(1)), 7));
    t.send(s(2), data(7, 14, PEER_TS + 1100));
    t.app(ms(2001), (c) => c.send(ms(2001), bytes('b')));
    t.expect(ms(2001), { flags: ACK | PSH, ack: seqAdd(IRS, 22), payload: bytes('b') });
    // Nothing more until the RTO for 'b' (2.001 + 0.212 s).
    t.expectNothing(ms(2212));
  });

  test('out-of-order data is ACKed at once with a SACK block; filling the gap is ACKed at once', () => {
    const t = established();
    t.send(s(1), data(0, 100));
    const r = t.send(ms(1001), data(1548, 1448, PEER_TS + 101, ACK));
    expect(r).toMatchObject({
      flags: ACK,
      ack: seqAdd(IRS, 101),
      options: [...tsOpt(ourTs(ms(1001)), PEER_TS + 100), ...sack([[1548, 2996]])],
    });
    expect(t.net.counters.TcpExtTCPOFOQueue).toBe(1);
    // A second hole: the newest block first (RFC 2018 4).
    const r2 = t.send(ms(1002), data(4444, 100, PEER_TS + 102));
    expect(r2?.options).toEqual([
      ...tsOpt(ourTs(ms(1002)), PEER_TS + 100),
      ...sack([
        [4444, 4544],
        [1548, 2996],
      ]),
    ]);
    // The first hole is filled: everything up to the second hole is ACKed.
    const r3 = t.send(ms(1003), data(100, 1448, PEER_TS + 103, ACK));
    expect(r3).toMatchObject({
      ack: seqAdd(IRS, 1 + 2996),
      options: [...tsOpt(ourTs(ms(1003)), PEER_TS + 103), ...sack([[4444, 4544]])],
    });
    expect(t.c.readable).toBe(2996);
  });

  test('a duplicate is ACKed at once with a D-SACK (RFC 2883); TcpExtDelayedACKLost', () => {
    const t = established();
    t.send(s(1), data(0, 100));
    const r = t.send(ms(1100), data(0, 100, PEER_TS + 200));
    // Its timestamp becomes TS.Recent (SEG.SEQ <= Last.ACK.sent, RFC 7323 4.3).
    expect(r).toMatchObject({
      ack: seqAdd(IRS, 101),
      options: [...tsOpt(ourTs(ms(1100)), PEER_TS + 200), ...sack([[0, 100]])],
    });
    expect(t.lastVerdict).toBe('TCP_OLD_DATA');
    expect(t.net.counters.TcpExtDelayedACKLost).toBe(1);
    expect(t.c.readable).toBe(100);
  });

  test('overlapping data: only the new bytes are queued, the old ones reported as D-SACK', () => {
    const t = established();
    t.send(s(1), data(0, 100));
    const r = t.send(ms(1100), data(50, 100, PEER_TS + 200));
    expect(r).toMatchObject({
      ack: seqAdd(IRS, 151),
      options: [...tsOpt(ourTs(ms(1100)), PEER_TS + 200), ...sack([[50, 100]])],
    });
    expect(t.c.readable).toBe(150);
  });

  test('data beyond the window is not accepted: a duplicate ACK says where we are', () => {
    const t = established();
    const r = t.send(s(1), data(70_000, 100));
    expect(r).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 1) });
    expect(t.lastVerdict).toBe('TCP_INVALID_SEQUENCE');
    expect(t.c.readable).toBe(0);
  });

  test('a receiver that does not read closes its window, drops what does not fit, and reopens it after a read', () => {
    const t = established();
    // The peer fills whatever window we announce, a segment per millisecond.
    let right = seqAdd(IRS, 1 + 502 * 128);
    let off = 0;
    let at = s(1);
    let tsVal = PEER_TS + 1000;
    const windows: number[] = [];
    for (let i = 0; i < 500; i++) {
      const room = (right - seqAdd(IRS, 1 + off) + 2 ** 32) % 2 ** 32;
      if (room === 0) {
        // Let a delayed ACK out, if any.
        t.advance(at + ms(200));
        at += ms(200);
      }
      const room2 = (right - seqAdd(IRS, 1 + off) + 2 ** 32) % 2 ** 32;
      for (const x of t.out.splice(0)) {
        right = seqAdd(x.seg.ack, x.seg.window * 128);
        windows.push(x.seg.window);
      }
      const avail = (right - seqAdd(IRS, 1 + off) + 2 ** 32) % 2 ** 32;
      if (avail === 0 && room2 === 0) break;
      const n = Math.min(1448, avail);
      t.c.handleSegment(at, data(off, n, tsVal++));
      t.collect(at);
      off += n;
      at += ms(1);
      t.advance(at);
    }
    // The window shrank as the unread data grew, never below the right edge offered,
    // and fell to zero (free space below 1/16 of the buffer's window: __tcp_select_window).
    expect(windows.at(-1)).toBe(0);
    expect(t.c.readable).toBe(off);
    expect(t.c.readable).toBeLessThanOrEqual(t.c.rcvBuf);
    expect(t.net.counters.TcpExtTCPToZeroWindowAdv).toBe(1);
    // More data now is dropped and answered with the zero window.
    const r = t.send(at + ms(1), data(off, 1448, tsVal++));
    expect(r).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 1 + off), window: 0 });
    expect(t.lastVerdict).toBe('TCP_ZEROWINDOW');
    expect(t.net.counters.TcpExtTCPZeroWindowDrop).toBe(1);
    // Reading everything opens the window at once (tcp_cleanup_rbuf).
    t.app(at + ms(2), (c) => c.recv(at + ms(2)));
    const update = t.expect(at + ms(2), { flags: ACK, ack: seqAdd(IRS, 1 + off) });
    expect(update.window).toBeGreaterThan(500);
    expect(t.net.counters.TcpExtTCPFromZeroWindowAdv).toBe(1);
  });

  test('FIN after data: CLOSE_WAIT, the ACK delayed 40 ms (ato set by the first data)', () => {
    const t = established();
    t.send(s(1), data(0, 19));
    t.app(s(1), (c) => c.recv(s(1)));
    expect(t.send(s(2), { ...data(19, 0), flags: ACK | 0x001 })).toBeUndefined();
    expect(t.c.state).toBe('CLOSE_WAIT');
    t.expectNothing(ms(2040) - 1);
    t.expect(ms(2040), { flags: ACK, ack: seqAdd(IRS, 21) });
    expect(t.c.eof).toBe(true);
  });
});

describe('ESTABLISHED: sending', () => {
  test('a write goes out at once with PSH', () => {
    const t = established();
    expect(t.app(s(1), (c) => c.send(s(1), bytes('hello')))).toBe(5);
    t.expect(s(1), {
      flags: ACK | PSH,
      seq: seqAdd(ISS, 1),
      ack: seqAdd(IRS, 1),
      window: 502,
      options: tsOpt(ourTs(s(1)), PEER_TS),
      payload: bytes('hello'),
    });
    expect(t.net.counters.TcpExtTCPOrigDataSent).toBe(1);
  });

  test('TCPOrigDataSent counts each new segment, a FIN alone too; TCPDelivered what each ACK delivers; TCPPureAcks an ACK without data', () => {
    const t = established();
    const k = t.net.counters;
    const sent0 = k.TcpExtTCPOrigDataSent;
    const delivered0 = k.TcpExtTCPDelivered;
    const pure0 = k.TcpExtTCPPureAcks;
    const delta = () => ({
      sent: k.TcpExtTCPOrigDataSent - sent0,
      delivered: k.TcpExtTCPDelivered - delivered0,
      pure: k.TcpExtTCPPureAcks - pure0,
    });
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(5000)));
    expect(t.out.splice(0)).toHaveLength(4);
    expect(delta()).toEqual({ sent: 4, delivered: 0, pure: 0 });
    // Two of the four acknowledged by an ACK without data.
    expect(t.sendAll(ms(1010), ackFromServer(2 * 1448))).toEqual([]);
    expect(delta()).toEqual({ sent: 4, delivered: 2, pure: 1 });
    // The other two by a segment with data: not a pure ACK.
    t.sendAll(ms(1020), { ...data(0, 7), ack: seqAdd(ISS, 1 + 5000) });
    expect(delta()).toEqual({ sent: 4, delivered: 4, pure: 1 });
    // The FIN alone is new data sent, and delivered when acknowledged.
    t.app(s(2), (c) => c.shutdown(s(2)));
    t.expect(s(2), { flags: FIN | ACK, seq: seqAdd(ISS, 5001), payload: new Uint8Array(0) });
    expect(delta()).toEqual({ sent: 5, delivered: 4, pure: 1 });
    t.send(ms(2010), { ...ackFromServer(5001, 502, PEER_TS + 1000, ourTs(s(2)), 7) });
    expect(delta()).toEqual({ sent: 5, delivered: 5, pure: 2 });
  });

  test('a large write goes in transmissions of tcp_tso_segs MSS-sized segments, each ending with PSH', () => {
    const t = established();
    // tcp_tso_autosize: 1 ms at the pacing rate (2 × 10 × 1448 B per 100 ms
    // SRTT: 282 bytes) is less than a segment, so tcp_min_tso_segs (2) each;
    // __tcp_transmit_skb forces PSH on every transmission of more than one.
    expect(tcpTsoSegs(t.c, 1448)).toBe(2);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(5000)));
    const sizes: number[] = [];
    const flags: number[] = [];
    for (const x of t.out) {
      sizes.push(x.seg.payload.length);
      flags.push(x.seg.flags);
    }
    t.out.length = 0;
    expect(sizes).toEqual([1448, 1448, 1448, 656]);
    expect(flags).toEqual([ACK, ACK | PSH, ACK, ACK | PSH]);
  });

  test('slow start: the initial window is 10 segments; each ACK lets more go', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(20 * 1448)));
    expect(t.out.splice(0).map((x) => x.seg.payload.length)).toEqual(new Array(10).fill(1448));
    // ACK of two segments: cwnd 12, two out → 10 in flight... 4 more go.
    const replies = t.sendAll(ms(1010), ackFromServer(2 * 1448));
    expect(replies).toHaveLength(4);
    expect(t.c.cwnd).toBe(12);
  });

  test('unacknowledged data: a tail loss probe first, then the RTO from the probe, then 2×, 4× later (RFC 8985 7, RFC 6298 5.5)', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.expect(s(1), { payload: bytes('hello') });
    // tcp_schedule_loss_probe (tcp_early_retrans=3): one segment out, so
    // PTO = 2·SRTT (20 ms) + tcp_rto_min (200 ms) = 220 ms; the RTO, 10 ms +
    // 200 ms = 53 jiffies = 212 ms, comes first, so the probe goes then.
    t.expectNothing(ms(1212) - 1);
    // tcp_send_loss_probe: no new data, so the last segment again.
    t.expect(ms(1212), { flags: ACK | PSH, seq: seqAdd(ISS, 1), payload: bytes('hello') });
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(0);
    // The probe re-arms the RTO from now with the RTO not backed off (tcp_rearm_rto):
    // 212 ms later; then it doubles (tcp_retransmit_timer).
    t.expectNothing(ms(1424) - 1);
    t.expect(ms(1424), { flags: ACK | PSH, seq: seqAdd(ISS, 1), payload: bytes('hello') });
    t.expectNothing(ms(1848) - 1);
    t.expect(ms(1848), { payload: bytes('hello') });
    t.expectNothing(ms(2696) - 1);
    t.expect(ms(2696), { payload: bytes('hello') });
    // The probe is a retransmission too (__tcp_retransmit_skb counts RetransSegs).
    expect(t.net.counters.TcpRetransSegs).toBe(4);
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(3);
    // The ACK ends it; its timestamp echo gives an RTT sample, the backoff goes.
    // The RTO ended the probe's episode (tlp_high_seq = 0): no TLP recovery.
    t.send(ms(2706), ackFromServer(5, 502, PEER_TS + 300, ourTs(ms(2696))));
    expect(t.c.backoff).toBe(0);
    expect(t.net.counters.TcpExtTCPLossProbeRecovery).toBe(0);
    t.expectNothing(s(100));
  });

  test('with tcp_retries2=3 the sender gives up when the time 3 doublings of 200 ms take has passed: ETIMEDOUT', () => {
    const t = established(tcpSysctl({ tcp_retries2: 3 }));
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.expect(s(1), {});
    t.expect(ms(1212), {}); // the loss probe
    t.expect(ms(1424), {}); // RTO 1
    t.expect(ms(1848), {}); // RTO 2
    t.expect(ms(2696), {}); // RTO 3
    // (2^4 - 1) × 200 ms = 3 s, counted from retrans_stamp, the first RTO
    // retransmission (1.424 s; tcp_retransmit_skb, and the probe does not set
    // it): at 4.392 s only 2.968 s have passed, so a fourth retransmission goes,
    // and the next timeout, 3.392 s later, gives up.
    t.expect(ms(4392), {}); // RTO 4
    t.expectNothing(ms(7784) - 1);
    expect(t.c.state).toBe('ESTABLISHED');
    t.expectNothing(ms(7784));
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ETIMEDOUT');
    expect(t.takeEvents()).toEqual(['error ETIMEDOUT', 'closed']);
    expect(t.net.counters.TcpExtTCPAbortOnTimeout).toBe(1);
    expect(t.net.counters.TcpEstabResets).toBe(1);
    expect(t.net.counters.TcpCurrEstab).toBe(0);
  });

  test('with the default tcp_retries2=15 the sender probes once, then retransmits on the RTO for 924.6 s', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.advance(s(1000));
    const times = t.out.splice(0).map((x) => x.time / 1e9);
    expect(t.c.error?.code).toBe('ETIMEDOUT');
    // 1 s, the loss probe at 1.212 s, then 15 retransmissions, the RTO doubling
    // from 212 ms to its 120 s ceiling.
    expect(times).toHaveLength(17);
    expect(times[1]).toBe(1.212);
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(16);
    expect(times.at(-1)! - 1.424).toBeLessThan(924.6);
    // It gives up at the first timeout after (2^10 - 1) × 0.2 + 6 × 120 = 924.6 s
    // from retrans_stamp, the first RTO retransmission (1.424 s).
    const died = t.c.transitions.at(-1)!.time / 1e9 - 1.424;
    expect(died).toBeGreaterThanOrEqual(924.6);
    expect(died).toBeLessThan(924.6 + 120);
  });

  test("Nagle: a second small write waits for the ACK of the first (Linux's Minshall variant)", () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), bytes('a')));
    t.expect(s(1), { payload: bytes('a') });
    t.app(ms(1001), (c) => c.send(ms(1001), bytes('b')));
    t.expectNothing(ms(1009));
    const r = t.send(ms(1010), ackFromServer(1));
    expect(r).toMatchObject({ flags: ACK | PSH, seq: seqAdd(ISS, 2), payload: bytes('b') });
  });

  test('TCP_NODELAY: small writes go at once', () => {
    const t = established();
    t.app(s(1), (c) => {
      c.setNoDelay(s(1), true);
      c.send(s(1), bytes('a'));
      c.send(s(1), bytes('b'));
    });
    expect(t.out.splice(0).map((x) => x.seg.payload.length)).toEqual([1, 1]);
  });

  test('window scaling: a window field of 1 is 128 bytes; a segment that does not fit waits for the probe timer', () => {
    const t = established();
    t.send(ms(100), ackFromServer(0, 1));
    expect(t.c.sndWnd).toBe(128);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(1000)));
    // tcp_snd_wnd_test: the 1000-byte segment does not fit; the probe timer (RTO, 212 ms) sends what fits.
    t.expectNothing(ms(1212) - 1);
    t.expect(ms(1212), { flags: ACK | PSH, seq: seqAdd(ISS, 1), payload: new Uint8Array(128) });
  });

  test('zero window: probes at SND.UNA - 1 with backoff until the window opens', () => {
    const t = established();
    t.send(ms(100), ackFromServer(0, 0));
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.expectNothing(ms(1212) - 1);
    t.expect(ms(1212), { flags: ACK, seq: ISS, payload: new Uint8Array(0) });
    t.expectNothing(ms(1636) - 1);
    t.expect(ms(1636), { flags: ACK, seq: ISS });
    expect(t.net.counters.TcpExtTCPWinProbe).toBe(2);
    // The peer answers with an open window: the data goes.
    const r = t.send(ms(1640), ackFromServer(0, 502, PEER_TS + 700));
    expect(r).toMatchObject({ flags: ACK | PSH, payload: bytes('hello') });
  });
});

describe('ESTABLISHED: RST, SYN and bad ACKs (RFC 5961)', () => {
  function rst(seqOff: number) {
    return { ...fromServer(), seq: seqAdd(IRS, 1 + seqOff), flags: RST, options: [] };
  }

  test('a RST at exactly RCV.NXT resets: CLOSE, ECONNRESET, TcpEstabResets', () => {
    const t = established();
    expect(t.send(s(1), rst(0))).toBeUndefined();
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ECONNRESET');
    expect(t.takeEvents()).toEqual(['error ECONNRESET', 'closed']);
    expect(t.net.counters.TcpEstabResets).toBe(1);
    // The first write reports the reset, later ones EPIPE.
    expect(t.c.send(s(2), bytes('x'))).toMatchObject({ code: 'ECONNRESET' });
    expect(t.c.send(s(2), bytes('x'))).toMatchObject({ code: 'EPIPE', errno: -32 });
  });

  test('a RST inside the window but not at RCV.NXT gets a challenge ACK', () => {
    const t = established();
    const r = t.send(s(1), rst(1000));
    expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 1) });
    expect(t.lastVerdict).toBe('TCP_RESET');
    expect(t.c.state).toBe('ESTABLISHED');
    expect(t.net.counters.TcpExtTCPChallengeACK).toBe(1);
    // The peer, if real, answers with the exact sequence number.
    t.send(ms(1001), rst(0));
    expect(t.c.state).toBe('CLOSE');
  });

  test('a RST outside the window is dropped silently', () => {
    const t = established();
    expect(t.send(s(1), rst(1_000_000))).toBeUndefined();
    expect(t.lastVerdict).toBe('TCP_INVALID_SEQUENCE');
    expect(t.c.state).toBe('ESTABLISHED');
  });

  test('challenge ACKs: at most one per 500 ms per connection (tcp_invalid_ratelimit)', () => {
    const t = established();
    expect(t.send(s(1), rst(10))).toBeDefined();
    expect(t.send(ms(1100), rst(20))).toBeUndefined();
    expect(t.send(ms(1499), rst(30))).toBeUndefined();
    expect(t.send(ms(1500), rst(40))).toBeDefined();
    expect(t.net.counters.TcpExtTCPACKSkippedChallenge).toBe(2);
  });

  test('tcp_challenge_ack_limit bounds challenge ACKs per second across the namespace', () => {
    const t = established(tcpSysctl({ tcp_challenge_ack_limit: 2, tcp_invalid_ratelimit: 0 }));
    let sent = 0;
    for (let i = 0; i < 10; i++) if (t.send(s(1) + ms(i), rst(10 + i))) sent++;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
  });

  test('a SYN in a synchronized state gets a challenge ACK, never a reset', () => {
    const t = established();
    const r = t.send(s(1), { ...fromServer(), seq: seqAdd(IRS, 500), flags: SYN, options: [] });
    expect(r).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 1) });
    expect(t.c.state).toBe('ESTABLISHED');
    expect(t.net.counters.TcpInErrs).toBe(1);
  });

  test('PAWS: a segment with a timestamp older than TS.Recent is dropped and ACKed (RFC 7323 5.3)', () => {
    const t = established();
    t.send(s(1), data(0, 10, PEER_TS + 1000));
    const r = t.send(ms(1001), data(10, 10, PEER_TS + 500));
    expect(r).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 11) });
    expect(t.lastVerdict).toBe('TCP_RFC7323_PAWS');
    expect(t.net.counters.TcpExtPAWSEstab).toBe(1);
    expect(t.c.readable).toBe(10);
  });

  test('an ACK of data never sent is dropped without a reply (Linux 6.12 tcp_ack)', () => {
    const t = established();
    expect(t.send(s(1), ackFromServer(100))).toBeUndefined();
    expect(t.lastVerdict).toBe('TCP_ACK_UNSENT_DATA');
  });

  test('an ACK older than the window gets a challenge ACK (RFC 5961 5.2)', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(1000)));
    t.expect(s(1), {});
    t.send(ms(1010), ackFromServer(1000));
    const r = t.send(ms(1020), { ...ackFromServer(0), ack: seqAdd(ISS, -100_000) });
    expect(r).toMatchObject({ flags: ACK });
    expect(t.lastVerdict).toBe('TCP_TOO_OLD_ACK');
  });
});

describe('ESTABLISHED: keepalive', () => {
  test('SO_KEEPALIVE: probes after 7200 s idle, every 75 s; after 9 unanswered: RST and ETIMEDOUT', () => {
    const t: Tester = established();
    t.app(s(1), (c) => c.setKeepAlive(s(1), true));
    t.expectNothing(s(7201) - 1);
    t.expect(s(7201), { flags: ACK, seq: ISS, ack: seqAdd(IRS, 1), payload: new Uint8Array(0) });
    for (let i = 1; i < 9; i++) t.expect(s(7201 + 75 * i), { flags: ACK, seq: ISS });
    t.expect(s(7201 + 75 * 9), { flags: RST | ACK, seq: seqAdd(ISS, 1) });
    expect(t.c.error?.code).toBe('ETIMEDOUT');
    expect(t.net.counters.TcpExtTCPKeepAlive).toBe(9);
  });

  test('an answered probe keeps the connection; the next probe comes 7200 s after the answer', () => {
    const t = established();
    t.app(s(1), (c) => c.setKeepAlive(s(1), true));
    t.expect(s(7201), { flags: ACK, seq: ISS });
    expect(t.send(s(7201) + ms(12), fromServer(PEER_TS + 7_200_000))).toBeUndefined();
    // The timer comes back after the 75 s interval, finds the connection idle for
    // only 75 s, and waits out the remaining 7125 s.
    t.expectNothing(s(7201 + 7200) + ms(12) - 1);
    t.expect(s(7201 + 7200) + ms(12), { flags: ACK, seq: ISS });
  });
});
