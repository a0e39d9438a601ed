/**
 * What an idle ESTABLISHED connection holds of its own (bench/tcp.js measures
 * its bytes): no queue array, no CUBIC state, no record of socket options.
 * What is made on first use is what it would have been if made at once.
 */

import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { cubicOf } from '../../src/tcp/congestion.js';
import {
  NO_CHRONO_STAT,
  NO_SACK_BLOCKS,
  NO_SKBS,
  NO_TX_SEGMENTS,
} from '../../src/tcp/connection.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, PSH } from '../../src/wire/tcp.js';
import { established, fromServer, T_ESTABLISHED } from './fixtures.js';
import { bytes, IRS, ISS, ourTs, PEER_TS, tsOpt } from './harness.js';

describe('an idle ESTABLISHED connection', () => {
  test('holds the shared empty queues, no CUBIC state and no socket options', () => {
    const c = established().c;
    expect(c.rtxQueue).toBe(NO_TX_SEGMENTS);
    expect(c.skbs).toBe(NO_SKBS);
    expect(c.selectiveAcks).toBe(NO_SACK_BLOCKS);
    expect(c.chronoStat).toBe(NO_CHRONO_STAT);
    expect(c.cubic).toBeUndefined();
    expect(c.overrides).toBeUndefined();
    // Frozen: a push that bypassed queueRtx would fail, not reach every connection.
    expect(() => NO_TX_SEGMENTS.push(c.rtxQueue.head!)).toThrow(TypeError);
  });

  test('the first data makes its queues; once it is acknowledged they are the shared ones again', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.expect(s(1), { flags: ACK | PSH, seq: seqAdd(ISS, 1), payload: bytes('hello') });
    expect(t.c.rtxQueue).toHaveLength(1);
    // The write's skb, its PSH mark carried by the segment (tcp_mark_push).
    expect(t.c.skbs).toEqual([{ start: seqAdd(ISS, 1), end: seqAdd(ISS, 6), psh: true }]);
    t.send(ms(1010), {
      ...fromServer(PEER_TS + 100, ourTs(s(1))),
      seq: seqAdd(IRS, 1),
      ack: seqAdd(ISS, 6),
      options: tsOpt(PEER_TS + 100, ourTs(s(1))),
    });
    expect(t.c.rtxQueue).toBe(NO_TX_SEGMENTS);
    t.c.wmemQueued();
    expect(t.c.skbs).toBe(NO_SKBS);
    // 10 ms busy (jiffies of 4 ms: 1.000 s to 1.010 s is jiffies 250 to 252).
    expect(t.c.chronoStat).toEqual([2, 0, 0]);
  });

  test('the CUBIC state made after establishment is what bictcp_init left then (tcp_init_transfer)', () => {
    const t = established();
    const ca = cubicOf(t.c, s(5));
    expect(ca).toEqual({
      cnt: 0,
      lastMaxCwnd: 0,
      lastCwnd: 0,
      lastTime: 0,
      originPoint: 0,
      bicK: 0,
      delayMinUs: 0,
      epochStart: undefined,
      ackCnt: 0,
      tcpCwnd: 0,
      found: false,
      // bictcp_hystart_reset at establishment: the round started then and ends at SND.NXT = ISS + 1.
      roundStartUs: T_ESTABLISHED / 1000,
      lastAckUs: T_ESTABLISHED / 1000,
      endSeq: seqAdd(ISS, 1),
      currRttUs: 0x3fffffff,
      sampleCnt: 0,
    });
    expect(t.c.cubicPending).toBe(false);
  });

  test('a socket option set to its default records nothing; another value is kept', () => {
    const c = established().c;
    c.keepaliveTime = 0;
    c.sndBufLocked = undefined;
    expect(c.overrides).toBeUndefined();
    c.userTimeoutMs = 5000;
    expect(c.userTimeoutMs).toBe(5000);
    expect(c.keepaliveTime).toBe(0);
    expect(c.overrides).toMatchObject({ userTimeoutMs: 5000, keepaliveTime: 0 });
  });

  test('the booleans are bits of one number, each its own', () => {
    const c = established().c;
    expect([c.sackOk, c.tstampOk, c.wscaleOk, c.orphan, c.cork]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    c.cork = true;
    expect([c.cork, c.orphan, c.sackOk]).toEqual([true, false, true]);
    c.cork = false;
    expect(c.cork).toBe(false);
    expect(c.sackOk).toBe(true);
  });
});
