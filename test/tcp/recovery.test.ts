/**
 * The sender's loss recovery: the SACK scoreboard (src/tcp/sack.ts), RACK and
 * its reordering timer (src/tcp/rack.ts; RFC 8985), PRR (RFC 6937), NewReno
 * for a peer without SACK (RFC 6582), and the congestion controls (CUBIC, Reno).
 *
 * The connection is the fixtures' active open: SYN at 0, SYN-ACK at 10 ms, so
 * SRTT = min_RTT = 10 ms and RTO = 10 ms + 200 ms = 53 jiffies = 212 ms (HZ =
 * 250, no timer wheel). It sends 1448-byte segments; "segment i" is bytes
 * [1448·i, 1448·(i+1)) of its stream, i from 0.
 */

import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { cubicOf, tcpCaPktsAcked, tcpCongControl } from '../../src/tcp/congestion.js';
import { type TcpSysctl, tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { TCP_NOP, type TcpOption } from '../../src/wire/tcp-options.js';
import { established, fromServer, OUR_SYN, T_ESTABLISHED } from './fixtures.js';
import { bytes, FROM_SERVER, IRS, ISS, ourTs, PEER_TS, Tester, tsOpt } from './harness.js';

const MSS = 1448;

/** SACK blocks in segments: [[first, end)] → byte ranges of our stream. */
function sackOpt(blocks: [number, number][]): TcpOption[] {
  return [
    TCP_NOP,
    TCP_NOP,
    {
      kind: 'sack',
      blocks: blocks.map(([l, r]) => ({
        left: seqAdd(ISS, 1 + l * MSS),
        right: seqAdd(ISS, 1 + r * MSS),
      })),
    },
  ];
}

let peerTs = PEER_TS + 200;

/** An ACK from the peer of our bytes below segment `upTo`, with SACK blocks (in segments). */
function ack(upTo: number, blocks: [number, number][] = [], tsEcr = ourTs(s(1))): TcpSegment {
  peerTs++;
  return {
    ...fromServer(peerTs, tsEcr),
    ack: seqAdd(ISS, 1 + upTo * MSS),
    options:
      blocks.length > 0 ? [...tsOpt(peerTs, tsEcr), ...sackOpt(blocks)] : tsOpt(peerTs, tsEcr),
  };
}

/** Segment i as we send it. */
function segment(i: number) {
  return { seq: seqAdd(ISS, 1 + i * MSS), payload: new Uint8Array(MSS) };
}

/**
 * ESTABLISHED, the peer's window update seen (its first ACK changes 65160 to
 * 502 × 128: a window update is not a duplicate ACK), then `n` segments
 * written and sent at 1 s.
 */
function sending(n: number, sysctl?: TcpSysctl): Tester {
  const t = established(sysctl);
  expect(t.send(ms(100), { ...fromServer(PEER_TS + 1), ack: seqAdd(ISS, 1) })).toBeUndefined();
  t.app(s(1), (c) => c.send(s(1), new Uint8Array(n * MSS)));
  expect(t.out.splice(0).map((x) => x.seg.seq)).toEqual(
    Array.from({ length: n }, (_, i) => seqAdd(ISS, 1 + i * MSS)),
  );
  return t;
}

describe('SACK scoreboard (tcp_sacktag_write_queue)', () => {
  test('a SACK block marks the segments it covers whole; a partial cover marks nothing', () => {
    const t = sending(6);
    // Segment 1 whole, and half of segment 3.
    const half = {
      ...ack(0),
      options: [
        ...tsOpt(peerTs, ourTs(s(1))),
        TCP_NOP,
        TCP_NOP,
        {
          kind: 'sack' as const,
          blocks: [
            { left: seqAdd(ISS, 1 + MSS), right: seqAdd(ISS, 1 + 2 * MSS) },
            { left: seqAdd(ISS, 1 + 3 * MSS), right: seqAdd(ISS, 1 + 3 * MSS + 700) },
          ],
        },
      ],
    };
    t.send(ms(1010), half);
    expect(t.c.rtxQueue.toArray().map((x) => x.sacked)).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(t.c.sackedOut).toBe(1);
    expect(t.c.caState).toBe('Disorder');
  });

  test('blocks beyond SND.NXT or reversed are discarded (TcpExtTCPSACKDiscard)', () => {
    const t = sending(2);
    const bad = {
      ...ack(0),
      options: [
        ...tsOpt(peerTs, ourTs(s(1))),
        TCP_NOP,
        TCP_NOP,
        {
          kind: 'sack' as const,
          blocks: [
            { left: seqAdd(ISS, 1 + MSS), right: seqAdd(ISS, 1 + 3 * MSS) },
            { left: seqAdd(ISS, 1 + 2 * MSS), right: seqAdd(ISS, 1 + MSS) },
          ],
        },
      ],
    };
    expect(t.send(ms(1010), bad)).toBeUndefined();
    expect(t.net.counters.TcpExtTCPSACKDiscard).toBe(2);
    expect(t.c.sackedOut).toBe(0);
  });

  test('a D-SACK of data never retransmitted is counted, then dubious: read as a plain SACK block, discarded', () => {
    const t = sending(2);
    t.send(ms(1010), ack(2, [[0, 1]]));
    expect(t.net.counters.TcpExtTCPDSACKRecv).toBe(1);
    // Linux 6.x tcp_dsack_seen: one duplicate (tp->dsack_dups), more than the
    // retransmissions (none): "Skip the DSACK if dup segs weren't
    // retransmitted by sender" (TcpExtTCPDSACKIgnoredDubious); as a SACK
    // block below SND.UNA it is invalid (TcpExtTCPSACKDiscard), as the kernel
    // counted it (recordings/spurious-rto.txt, fr-dsack3).
    expect(t.c.dsackDups).toBe(1);
    expect(t.net.counters.TcpExtTCPDSACKIgnoredDubious).toBe(1);
    expect(t.net.counters.TcpExtTCPDSACKRecvSegs).toBe(0);
    expect(t.net.counters.TcpExtTCPSACKDiscard).toBe(1);
    expect(t.net.counters.TcpExtTCPDSACKIgnoredNoUndo).toBe(0);
    expect(t.c.rtxQueue).toHaveLength(0);
  });
});

describe('RACK loss detection (RFC 8985) and SACK recovery', () => {
  test('one SACK above a hole: the hole waits min_RTT/4 + 2 ms (the reordering timer), then only it is resent', () => {
    const t = sending(6);
    // Segment 1 SACKed at 1010 ms: RACK.rtt = 10 ms; segment 0, sent with it,
    // may still be reordered for reo_wnd = min_RTT/4 = 2.5 ms; the timer is
    // usecs_to_jiffies(2.5 ms + 2 ms) = 2 jiffies = 8 ms.
    expect(t.send(ms(1010), ack(0, [[1, 2]]))).toBeUndefined();
    expect(t.c.reoTimeoutPending).toBe(true);
    t.expectNothing(ms(1018) - 1);
    t.expect(ms(1018), { flags: ACK, ...segment(0) });
    expect(t.c.caState).toBe('Recovery');
    expect(t.net.counters.TcpExtTCPSackRecovery).toBe(1);
    expect(t.net.counters.TcpExtTCPFastRetrans).toBe(1);
    expect(t.net.counters.TcpExtTCPRenoRecovery).toBe(0);
    // CUBIC's ssthresh: 10 × 717/1024 = 7. PRR's first step: 4 in flight
    // (6 − 1 SACKed − 1 lost), one more allowed.
    expect(t.c.ssthresh).toBe(7);
    expect(t.c.cwnd).toBe(5);
    expect([t.c.sackedOut, t.c.lostOut, t.c.retransOut]).toEqual([1, 1, 1]);
    // The RTO takes the timer over, from the retransmission: 212 ms.
    expect(t.c.timers.retransmit).toBe(ms(1018 + 212));
    // Everything acknowledged: recovery ends, cwnd = ssthresh.
    expect(t.send(ms(1028), ack(6, [], ourTs(ms(1018))))).toBeUndefined();
    expect(t.c.caState).toBe('Open');
    expect(t.c.cwnd).toBe(7);
    t.expectNothing(s(10));
  });

  test('the third SACKed segment above a hole proves the loss at once (reo_wnd 0 before any reordering)', () => {
    const t = sending(6);
    expect(t.send(ms(1010), ack(0, [[1, 2]]))).toBeUndefined();
    expect(t.send(ms(1011), ack(0, [[1, 3]]))).toBeUndefined();
    const r = t.send(ms(1012), ack(0, [[1, 4]]));
    expect(r).toMatchObject({ flags: ACK, ...segment(0) });
    expect(t.c.caState).toBe('Recovery');
    t.expectNothing(ms(1100));
  });

  test('only the holes are resent, oldest first, as PRR allows', () => {
    const t = sending(10);
    // Segments 1-3 and 5-9 SACKed in one ACK: 0 and 4 are lost (8 SACKed ≥
    // tcp_reordering, so no reordering window).
    const r = t.sendAll(
      ms(1010),
      ack(0, [
        [5, 10],
        [1, 4],
      ]),
    );
    expect(r.map((x) => x.seq)).toEqual([segment(0).seq, segment(4).seq]);
    expect(r.map((x) => x.payload.length)).toEqual([MSS, MSS]);
    // PRR-SSRB: nothing in flight after the marking, so up to ssthresh (7).
    expect(t.c.cwnd).toBe(7);
    expect(t.net.counters.TcpExtTCPFastRetrans).toBe(2);
    expect(t.net.counters.TcpRetransSegs).toBe(2);
  });

  test('PRR: in recovery, new segments go at ssthresh/prior_cwnd of the rate of delivery (RFC 6937)', () => {
    const t = sending(10);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(10 * MSS)));
    expect(t.out.splice(0)).toHaveLength(0);
    const seqs = (at: number, blocks: [number, number][]) =>
      t.sendAll(ms(at), ack(0, blocks)).map((x) => x.seq);
    // Before recovery a SACKed segment leaves the network: one new segment each.
    expect(seqs(1010, [[1, 2]])).toEqual([segment(10).seq]);
    expect(seqs(1011, [[1, 3]])).toEqual([segment(11).seq]);
    // Third SACK: segment 0 lost, recovery (ssthresh 7, prior_cwnd 10); 8 in
    // flight, above ssthresh: sndcnt = ceil(7 × 1 / 10) − 0 = 1, the retransmission.
    expect(seqs(1012, [[1, 4]])).toEqual([segment(0).seq]);
    // Then ceil(7 × 2 / 10) − 1 = 1, ceil(7 × 3 / 10) − 2 = 1, ceil(7 × 4 / 10) − 3 = 0.
    expect(seqs(1013, [[1, 5]])).toEqual([segment(12).seq]);
    expect(seqs(1014, [[1, 6]])).toEqual([segment(13).seq]);
    expect(seqs(1015, [[1, 7]])).toEqual([]);
    expect(t.c.prrDelivered).toBe(4);
    expect(t.c.prrOut).toBe(3);
  });

  test('reordering: a hole filled by the original segment is reordering (TcpExtTCPSACKReorder), not loss', () => {
    const t = sending(6);
    expect(t.send(ms(1010), ack(0, [[1, 2]]))).toBeUndefined();
    // Segment 0 arrives late: the cumulative ACK covers it before the timer.
    expect(t.send(ms(1012), ack(2))).toBeUndefined();
    expect(t.net.counters.TcpExtTCPSACKReorder).toBe(1);
    expect(t.c.reordSeen).toBe(1);
    expect(t.c.caState).toBe('Open');
    t.expectNothing(ms(1020));
    expect(t.net.counters.TcpRetransSegs).toBe(0);
    // From now on RACK keeps min_RTT/4 even with three segments SACKed: the
    // third SACK above segment 2 waits for the reordering timer (8 ms).
    expect(t.send(ms(1030), ack(2, [[3, 4]]))).toBeUndefined();
    expect(t.send(ms(1031), ack(2, [[3, 5]]))).toBeUndefined();
    expect(t.send(ms(1032), ack(2, [[3, 6]]))).toBeUndefined();
    t.expectNothing(ms(1040) - 1);
    t.expect(ms(1040), segment(2));
  });

  test('a D-SACK of a retransmission widens the reordering window by min_RTT/4 once reordering was seen (tcp_rack_update_reo_wnd)', () => {
    for (const reordered of [false, true]) {
      const t = sending(6);
      if (reordered) {
        // Segment 2 SACKed, then 1 (never retransmitted, below it): reordering.
        t.send(ms(1010), ack(0, [[2, 3]]));
        t.send(ms(1011), ack(0, [[1, 3]]));
        expect(t.c.reordSeen).toBe(1);
      } else {
        t.send(ms(1010), ack(0, [[1, 2]]));
        expect(t.c.reordSeen).toBe(0);
      }
      const rtx = t.out.splice(0).find((x) => x.seg.seq === segment(0).seq);
      if (rtx === undefined) t.advance(t.nextDeadline()!);
      const sent = rtx ?? t.out.splice(0).find((x) => x.seg.seq === segment(0).seq);
      expect(sent, 'segment 0 retransmitted').toBeDefined();
      expect(t.c.rackReoWndSteps).toBe(1);
      // The original arrived after all: the retransmission comes back as a D-SACK.
      t.send(sent!.time + ms(10), ack(6, [[0, 1]], ourTs(sent!.time)));
      expect(t.net.counters.TcpExtTCPDSACKRecv).toBe(1);
      expect(t.net.counters.TcpExtTCPDSACKRecvSegs).toBe(1);
      expect(t.c.dsackDups).toBe(1);
      // Linux 6.x tcp_dsack_seen: RACK takes a D-SACK as a sign of reordering
      // only once reordering was seen.
      expect(t.c.rackReoWndSteps).toBe(reordered ? 2 : 1);
    }
  });

  test('a retransmission lost again is found by RACK once a later segment is SACKed (TcpExtTCPLostRetransmit)', () => {
    const t = sending(6);
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(MSS)));
    expect(t.out.splice(0)).toHaveLength(1);
    t.send(ms(1010), ack(0, [[1, 2]]));
    t.expect(ms(1018), segment(0));
    // Segments 2..6 SACKed at 1025 were sent before the retransmission: they
    // prove nothing about it.
    expect(t.send(ms(1025), ack(0, [[1, 7]]))).toBeUndefined();
    expect(t.net.counters.TcpExtTCPLostRetransmit).toBe(0);
    // New data, sent at 1030 after the retransmission, SACKed at 1040: RACK.rtt
    // is 10 ms and the retransmission is 22 ms old (reo_wnd 0 in recovery).
    t.app(ms(1030), (c) => c.send(ms(1030), new Uint8Array(MSS)));
    t.expect(ms(1030), segment(7));
    expect(t.send(ms(1040), ack(0, [[1, 8]]))).toMatchObject(segment(0));
    expect(t.net.counters.TcpExtTCPLostRetransmit).toBe(1);
    expect(t.net.counters.TcpRetransSegs).toBe(2);
  });

  test('tcp_recovery=0: RFC 6675 duplicate-SACK threshold, no reordering timer', () => {
    const t = sending(6, tcpSysctl({ tcp_recovery: 0 }));
    expect(t.send(ms(1010), ack(0, [[1, 2]]))).toBeUndefined();
    expect(t.c.reoTimeoutPending).toBe(false);
    expect(t.send(ms(1011), ack(0, [[1, 3]]))).toBeUndefined();
    expect(t.send(ms(1012), ack(0, [[1, 4]]))).toMatchObject(segment(0));
    expect(t.c.caState).toBe('Recovery');
  });

  test('RTO with SACKed segments: only the holes go again in slow start (tcp_timeout_mark_lost)', () => {
    const t = sending(6);
    // Segments 2 and 4 SACKed; 0, 1, 3, 5 are holes; the ACKs stop.
    t.send(
      ms(1010),
      ack(0, [
        [4, 5],
        [2, 3],
      ]),
    );
    // The reordering timer (8 ms) marks 0, 1 and 3 lost (5 was sent after the
    // last SACKed segment, 4: not yet); PRR: 2 in flight, one to send.
    const rexmit = t.out.splice(0);
    t.advance(ms(1018));
    const r = t.out.splice(0).map((x) => x.seg.seq);
    expect(rexmit).toHaveLength(0);
    expect(r).toEqual([segment(0).seq]);
    // RTO at 1018 + 212: the loss state, cwnd = in flight + 1; the head goes,
    // and nothing SACKed ever goes again.
    t.advance(ms(1230));
    const afterRto = t.out.splice(0).map((x) => x.seg.seq);
    expect(afterRto).toEqual([segment(0).seq]);
    expect(t.c.caState).toBe('Loss');
    // The head's ACK: slow start (cwnd 2) sends the next holes, skipping 2 and 4.
    const holes: [number, number][] = [
      [4, 5],
      [2, 3],
    ];
    const more = t.sendAll(ms(1240), ack(1, holes, ourTs(ms(1230))));
    expect(t.c.cwnd).toBe(2);
    expect(more.map((x) => x.seq)).toEqual([segment(1).seq, segment(3).seq]);
    const last = t.sendAll(ms(1250), ack(2, [[4, 5]], ourTs(ms(1240))));
    expect(last.map((x) => x.seq)).toEqual([segment(5).seq]);
    // The RTO's own retransmission is not one of them (tcp_retransmit_timer).
    expect(t.net.counters.TcpExtTCPSlowStartRetrans).toBe(3);
  });
});

describe('NewReno without SACK (RFC 6582)', () => {
  /** ESTABLISHED with a peer that does not offer SACK (its SYN-ACK has no sackOK). */
  function establishedNoSack(sysctl: TcpSysctl): Tester {
    const t = new Tester({ sysctl });
    t.connect(0);
    t.expect(0, OUR_SYN);
    t.send(T_ESTABLISHED, {
      ...FROM_SERVER,
      seq: IRS,
      flags: SYN | ACK,
      window: 65160,
      options: [
        { kind: 'mss', mss: 1460 },
        TCP_NOP,
        TCP_NOP,
        { kind: 'timestamps', tsVal: PEER_TS, tsEcr: ourTs(0) },
        TCP_NOP,
        { kind: 'wscale', shift: 7 },
      ],
    });
    expect(t.c.sackOk).toBe(false);
    t.takeEvents();
    return t;
  }

  test('fast retransmit on the third duplicate ACK (RFC 5681 3.2), NewReno recovery, Reno arithmetic', () => {
    const t = establishedNoSack(tcpSysctl({ tcp_congestion_control: 'reno' }));
    t.send(ms(100), ack(0));
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(6 * 1448)));
    expect(t.out.splice(0)).toHaveLength(6);
    // Segment 0 is lost; 1, 2, 3 arrive and each brings a duplicate ACK.
    expect(t.send(ms(1010), ack(0))).toBeUndefined();
    expect(t.send(ms(1011), ack(0))).toBeUndefined();
    const rexmit = t.send(ms(1012), ack(0));
    expect(rexmit).toMatchObject(segment(0));
    expect(t.c.caState).toBe('Recovery');
    expect(t.c.ssthresh).toBe(5);
    expect(t.net.counters.TcpExtTCPRenoRecovery).toBe(1);
    expect(t.net.counters.TcpExtTCPSackRecovery).toBe(0);
    expect(t.net.counters.TcpExtTCPFastRetrans).toBe(1);
    // A partial ACK (up to segment 3): segment 3 is lost too, resent at once.
    const r2 = t.sendAll(ms(1022), ack(3, [], ourTs(ms(1012))));
    expect(r2[0]).toMatchObject(segment(3));
    // The ACK of everything up to the recovery point: NewReno stays in recovery
    // until something beyond it is acknowledged (RFC 6582 3.2 step 3; Linux
    // tcp_try_undo_recovery for a Reno peer), ...
    t.sendAll(ms(1032), ack(6, [], ourTs(ms(1022))));
    expect(t.c.caState).toBe('Recovery');
    // ... which new data brings; recovery ends with cwnd = ssthresh.
    t.app(ms(1040), (c) => c.send(ms(1040), bytes('more')));
    t.expect(ms(1040), { payload: bytes('more') });
    t.send(ms(1050), { ...ack(6, [], ourTs(ms(1040))), ack: seqAdd(ISS, 1 + 6 * MSS + 4) });
    expect(t.c.caState).toBe('Open');
    expect(t.c.cwnd).toBe(5);
  });

  test('duplicate ACKs on a SACK connection without SACK blocks start nothing (Linux reads only SACK then)', () => {
    const t = sending(6);
    expect(t.send(ms(1010), ack(0))).toBeUndefined();
    expect(t.send(ms(1011), ack(0))).toBeUndefined();
    expect(t.send(ms(1012), ack(0))).toBeUndefined();
    expect(t.c.caState).toBe('Open');
    expect(t.net.counters.TcpRetransSegs).toBe(0);
  });
});

describe('congestion control (tcp_congestion_control)', () => {
  test('CUBIC by default: a loss leaves cwnd × 717/1024 (beta), Reno half', () => {
    for (const [cc, ssthresh] of [
      ['cubic', 7],
      ['reno', 5],
      ['bbr', 7],
    ] as const) {
      const t = sending(10, tcpSysctl({ tcp_congestion_control: cc }));
      // The name it was given (ss -i shows it); bbr runs CUBIC.
      expect(t.c.caOps).toBe(cc);
      t.sendAll(ms(1010), ack(0, [[1, 10]]));
      expect(t.c.caState).toBe('Recovery');
      expect(t.c.ssthresh).toBe(ssthresh);
    }
  });

  test('CUBIC remembers Wmax and, with fast convergence, lowers it when the next loss comes below it', () => {
    const t = sending(10);
    t.sendAll(ms(1010), ack(0, [[1, 10]]));
    expect(t.c.cubic?.lastMaxCwnd).toBe(10);
    // Recovery over, cwnd 7: a new loss below Wmax remembers 7 × (1024 + 717) / 2048 = 5.
    t.sendAll(ms(1020), ack(10, [], ourTs(ms(1010))));
    expect(t.c.cwnd).toBe(7);
    t.app(ms(1030), (c) => c.send(ms(1030), new Uint8Array(7 * MSS)));
    const sent = t.out.splice(0);
    expect(sent).toHaveLength(7);
    t.sendAll(ms(1040), ack(10, [[11, 17]], ourTs(ms(1030))));
    expect(t.c.caState).toBe('Recovery');
    expect(t.c.cubic?.lastMaxCwnd).toBe(5);
    expect(t.c.ssthresh).toBe(4);
  });
});

describe('CUBIC window growth (RFC 9438; tcp_cubic.c)', () => {
  /** A connection in congestion avoidance at `cwnd`, after a loss at `wmax`, RTT 100 ms. */
  function avoiding(cc: 'cubic' | 'reno', cwnd: number, wmax: number): Tester {
    const t = established(tcpSysctl({ tcp_congestion_control: cc }));
    const c = t.c;
    c.cwnd = cwnd;
    c.ssthresh = cwnd;
    c.isCwndLimited = true;
    const ca = cubicOf(c, s(10));
    if (ca !== undefined) {
      ca.lastMaxCwnd = wmax;
      ca.delayMinUs = 100_000;
    }
    return t;
  }

  /** A window's worth of ACKs every 100 ms from 10 s on; cwnd at each RTT. */
  function grow(t: Tester, rtts: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < rtts; k++) {
      tcpCongControl(t.c, s(10) + ms(100 * k), t.c.cwnd, 0, true, true);
      out.push(t.c.cwnd);
    }
    return out;
  }

  test('after a loss at Wmax = 100 the window follows W(t) = 0.4 (t − K)³ + Wmax: concave up to Wmax at K = ∛(30/0.4) s, then convex', () => {
    const t = avoiding('cubic', 70, 100);
    const w = grow(t, 81);
    const K = Math.cbrt(30 / 0.4);
    const cubic = (sec: number) => 0.4 * (sec - K) ** 3 + 100;
    // After k RTTs of ACKs cwnd is the curve at k RTTs (the target is set one
    // delay_min ahead, and reached within that RTT): within 2 segments (cwnd is whole).
    for (let k = 1; k <= 81; k++) {
      expect(Math.abs(w[k - 1]! - cubic(k / 10)), `after ${k} RTTs`).toBeLessThanOrEqual(2);
    }
    // The plateau: around K the window stays within a segment of Wmax.
    expect(w.slice(38, 46).every((x) => x >= 99 && x <= 101)).toBe(true);
  });

  test('Reno grows one segment per RTT (tcp_reno_cong_avoid)', () => {
    const t = avoiding('reno', 70, 100);
    expect(grow(t, 20)).toEqual(Array.from({ length: 20 }, (_, i) => 71 + i));
  });

  test('HyStart: in slow start, a round whose minimum RTT rose by max(4 ms, min/8) ends slow start (TcpExtTCPHystartDelayDetect)', () => {
    const t = established();
    const c = t.c;
    c.cwnd = 20;
    // A first round: eight samples of 10 ms, 5 ms apart (no ACK train).
    for (let i = 0; i < 9; i++) tcpCaPktsAcked(c, s(2) + ms(5 * i), 10_000);
    expect(c.ssthresh).toBe(0x7fffffff);
    // The next round (SND.UNA past the round's end, as after a round trip of
    // data): every sample 14 ms is not enough ...
    const nextRound = () => {
      c.sndNxt = seqAdd(c.cubic!.endSeq, MSS);
      c.sndUna = c.sndNxt;
    };
    nextRound();
    for (let i = 0; i < 10; i++) tcpCaPktsAcked(c, s(3) + ms(5 * i), 14_000);
    expect(c.ssthresh).toBe(0x7fffffff);
    // ... 14.001 ms is: ssthresh = cwnd.
    nextRound();
    for (let i = 0; i < 9; i++) tcpCaPktsAcked(c, s(4) + ms(5 * i), 14_001);
    expect(c.ssthresh).toBe(20);
    expect(t.net.counters.TcpExtTCPHystartDelayDetect).toBe(1);
    expect(t.net.counters.TcpExtTCPHystartDelayCwnd).toBe(20);
  });
});

describe('undo of a spurious fast recovery (tcp_try_undo_recovery, _dsack, _partial)', () => {
  /**
   * Ten segments sent at 1 s; segment 1 SACKed at 1010; RACK's reordering
   * timer marks 0 lost at 1018 and the recovery retransmits it (ssthresh
   * 7, CUBIC's 0.7 of 10).
   */
  function inRecovery(): Tester {
    const t = sending(10);
    t.send(ms(1010), ack(0, [[1, 2]]));
    t.expect(ms(1018), segment(0));
    expect(t.c.caState).toBe('Recovery');
    expect(t.c.ssthresh).toBe(7);
    return t;
  }

  test('the ACK of everything echoes the original timestamp: the recovery is undone (TcpExtTCPFullUndo)', () => {
    const t = inRecovery();
    t.sendAll(ms(1030), ack(10, [], ourTs(s(1))));
    expect(t.c.caState).toBe('Open');
    expect(t.c.ssthresh).toBe(0x7fffffff);
    expect(t.c.cwnd).toBeGreaterThanOrEqual(10);
    expect(t.net.counters.TcpExtTCPFullUndo).toBe(1);
  });

  test('echoing the retransmission instead: no undo, cwnd ends at ssthresh, then grows', () => {
    const t = inRecovery();
    t.sendAll(ms(1030), ack(10, [], ourTs(ms(1018))));
    expect(t.c.caState).toBe('Open');
    expect(t.c.ssthresh).toBe(7);
    // tcp_end_cwnd_reduction leaves cwnd at ssthresh (7); the same ACK's
    // congestion avoidance (tcp_cong_control after tcp_fastretrans_alert) adds
    // one for the 9 segments it delivered: the 10 went out filling the window,
    // so is_cwnd_limited held (tcp_write_xmit's "in_flight >= cwnd").
    expect(t.c.cwnd).toBe(8);
    expect(t.net.counters.TcpExtTCPFullUndo).toBe(0);
  });

  test('a D-SACK of the retransmission below the ACK: every retransmission was needless (TcpExtTCPFullUndo)', () => {
    const t = inRecovery();
    t.sendAll(ms(1030), ack(10, [[0, 1]], ourTs(ms(1018))));
    expect(t.net.counters.TcpExtTCPDSACKRecv).toBe(1);
    expect(t.net.counters.TcpExtTCPDSACKIgnoredOld).toBe(0);
    expect(t.c.ssthresh).toBe(0x7fffffff);
    expect(t.net.counters.TcpExtTCPFullUndo).toBe(1);
  });

  test('a D-SACK after the recovery ended: the reduction is undone then (TcpExtTCPDSACKUndo)', () => {
    const t = inRecovery();
    t.sendAll(ms(1030), ack(10, [], ourTs(ms(1018))));
    expect([t.c.caState, t.c.cwnd, t.c.ssthresh]).toEqual(['Open', 8, 7]);
    // The peer got segment 0 twice: a D-SACK below SND.UNA ("already forgotten
    // data", tcp_check_dsack) covers the one retransmission.
    t.sendAll(ms(1040), ack(10, [[0, 1]], ourTs(ms(1018))));
    expect(t.net.counters.TcpExtTCPDSACKUndo).toBe(1);
    expect(t.net.counters.TcpExtTCPFullUndo).toBe(0);
    expect([t.c.caState, t.c.cwnd, t.c.ssthresh]).toEqual(['Open', 10, 0x7fffffff]);
  });

  test('a partial ACK echoing the original: the hole was reordering (TcpExtTCPTSReorder, TcpExtTCPPartialUndo)', () => {
    const t = inRecovery();
    t.sendAll(ms(1030), ack(1, [[1, 2]], ourTs(s(1))));
    expect(t.net.counters.TcpExtTCPTSReorder).toBe(1);
    expect(t.net.counters.TcpExtTCPPartialUndo).toBe(1);
    expect(t.c.caState).toBe('Disorder');
    expect(t.c.ssthresh).toBe(0x7fffffff);
  });
});
