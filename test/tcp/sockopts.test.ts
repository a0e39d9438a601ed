/**
 * The per-socket TCP options of do_tcp_setsockopt in the engine, each against
 * the Linux function it follows: TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT
 * (tcp_keepalive_timer, tcp_sock_set_keepidle_locked), TCP_SYNCNT
 * (tcp_write_timeout), TCP_LINGER2 (tcp_fin_time, tcp_close), TCP_USER_TIMEOUT
 * (retransmits_timed_out, tcp_clamp_rto_to_user_timeout), TCP_CORK and
 * MSG_MORE (tcp_nagle_check, tcp_push), and the tail loss probe
 * (tcp_schedule_loss_probe, tcp_send_loss_probe), on with Linux's default
 * tcp_early_retrans=3.
 */

import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { LINUX_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, RST } from '../../src/wire/tcp.js';
import { established, fromServer } from './fixtures.js';
import { bytes, ISS, PEER_TS } from './harness.js';

describe('keepalive with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT', () => {
  test('probes 2 s after the last segment, then every 1 s; after 3 unanswered, RST and ETIMEDOUT', () => {
    const t = established();
    t.app(ms(10), (c) => {
      c.keepaliveIntvl = 1;
      c.keepaliveProbes = 3;
      c.setKeepAlive(ms(10), true);
      // tcp_sock_set_keepidle_locked: re-armed for what is left since the last segment.
      c.setKeepaliveTime(ms(10), 2);
    });
    t.expectNothing(ms(2010) - 1);
    // tcp_write_wakeup: a probe one byte below SND.UNA, no data.
    t.expect(ms(2010), { flags: ACK, seq: ISS, payload: new Uint8Array(0) });
    t.expect(ms(3010), { flags: ACK, seq: ISS });
    t.expect(ms(4010), { flags: ACK, seq: ISS });
    t.expect(ms(5010), { flags: RST | ACK, seq: seqAdd(ISS, 1) });
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ETIMEDOUT');
  });

  test('0 means the sysctl (keepalive_time_when)', () => {
    const t = established(tcpSysctl({ tcp_keepalive_time: 3, tcp_keepalive_intvl: 2 }));
    t.app(ms(10), (c) => c.setKeepAlive(ms(10), true));
    t.expectNothing(ms(3010) - 1);
    t.expect(ms(3010), { flags: ACK, seq: ISS });
    t.expect(ms(5010), { flags: ACK, seq: ISS });
  });

  test('TCP_USER_TIMEOUT takes over from TCP_KEEPCNT once a probe is out', () => {
    const t = established();
    t.app(ms(10), (c) => {
      c.keepaliveIntvl = 1;
      c.keepaliveProbes = 9;
      c.userTimeoutMs = 2500;
      c.setKeepAlive(ms(10), true);
      c.setKeepaliveTime(ms(10), 2);
    });
    t.expect(ms(2010), { flags: ACK, seq: ISS });
    // At 3.010 s 3 s have passed since the last segment, more than 2.5 s: reset.
    t.expect(ms(3010), { flags: RST | ACK });
    expect(t.c.error?.code).toBe('ETIMEDOUT');
  });
});

describe('TCP_SYNCNT', () => {
  test('3 replaces tcp_syn_retries in both limits: SYNs at 0, 1, 2, 3, 4, 5, 7, 11 s, ETIMEDOUT at 19 s', () => {
    const t = established();
    // A fresh connect with TCP_SYNCNT set before the first timeout.
    t.connect(s(100));
    t.c.synRetries = 3;
    t.advance(s(200));
    const times = t.out.splice(0).map((x) => x.time / 1e9 - 100);
    expect(times).toEqual([0, 1, 2, 3, 4, 5, 7, 11]);
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ETIMEDOUT');
    expect(t.c.transitions.at(-1)!.time / 1e9 - 100).toBe(19);
  });
});

describe('TCP_LINGER2', () => {
  test('3 s replaces tcp_fin_timeout for an orphaned FIN_WAIT2', () => {
    const t = established();
    t.app(ms(500), (c) => {
      c.linger2 = 3;
    });
    t.app(ms(1000), (c) => c.close(ms(1000)));
    t.expect(ms(1000), { flags: FIN | ACK });
    t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    t.expectNothing(ms(4010) - 1);
    expect(t.c.state).toBe('FIN_WAIT2');
    t.expectNothing(ms(4010));
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpOutRsts).toBe(0);
  });

  test('negative: no FIN_WAIT2 at all, the ACK of our FIN ends it with a RST (TcpExtTCPAbortOnLinger)', () => {
    const t = established();
    t.app(ms(500), (c) => {
      c.linger2 = -1;
    });
    t.app(ms(1000), (c) => c.close(ms(1000)));
    t.expect(ms(1000), { flags: FIN | ACK });
    const r = t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    expect(r).toMatchObject({ flags: RST | ACK, seq: seqAdd(ISS, 2) });
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpExtTCPAbortOnLinger).toBe(1);
  });
});

describe('TCP_USER_TIMEOUT', () => {
  test('unacknowledged data: the connection gives up once the user timeout has passed', () => {
    const t = established();
    t.app(s(1), (c) => {
      c.userTimeoutMs = 1000;
      c.send(s(1), bytes('hello'));
    });
    t.expect(s(1), { payload: bytes('hello') });
    // The tail loss probe (tcp_early_retrans=3), then the RTO 212 ms after it.
    t.expect(ms(1212), { payload: bytes('hello') });
    t.expect(ms(1424), { payload: bytes('hello') });
    t.expect(ms(1848), { payload: bytes('hello') });
    // The user timeout counts from retrans_stamp, the first RTO retransmission
    // (1.424 s). tcp_clamp_rto_to_user_timeout: the next timer fires when the
    // 1 s is up (at 2.424 s, not 848 ms later), and retransmits_timed_out gives up.
    t.expectNothing(ms(2424) - 1);
    expect(t.c.state).toBe('ESTABLISHED');
    t.expectNothing(ms(2424));
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ETIMEDOUT');
  });
});

describe('TCP_CORK and MSG_MORE', () => {
  test('corked, small writes wait; uncorking sends them as one segment', () => {
    const t = established();
    t.app(ms(20), (c) => {
      c.setCork(ms(20), true);
      c.send(ms(20), bytes('a'.repeat(40)));
    });
    t.app(ms(70), (c) => c.send(ms(70), bytes('b'.repeat(40))));
    t.expectNothing(ms(80));
    t.app(ms(80), (c) => c.setCork(ms(80), false));
    t.expect(ms(80), { flags: ACK | PSH, payload: bytes(`${'a'.repeat(40)}${'b'.repeat(40)}`) });
  });

  test('TCP_NODELAY pushes what a cork holds', () => {
    const t = established();
    t.app(ms(20), (c) => {
      c.setCork(ms(20), true);
      c.send(ms(20), bytes('x'.repeat(40)));
      c.setNoDelay(ms(20), true);
    });
    t.expect(ms(20), { flags: ACK | PSH, payload: bytes('x'.repeat(40)) });
  });

  test('MSG_MORE holds a partial segment without PSH; the next push sends it', () => {
    const t = established();
    t.app(ms(20), (c) => {
      c.setNoDelay(ms(20), true);
      c.send(ms(20), bytes('m'.repeat(40)), true);
    });
    t.expectNothing(ms(70));
    t.app(ms(70), (c) => c.send(ms(70), bytes('n'.repeat(40)), true));
    t.expectNothing(ms(80));
    t.app(ms(80), (c) => c.setNoDelay(ms(80), true));
    t.expect(ms(80), { flags: ACK, payload: bytes(`${'m'.repeat(40)}${'n'.repeat(40)}`) });
  });
});

describe('tail loss probe (tcp_early_retrans=3)', () => {
  test('a lone unacknowledged segment is probed before the RTO; the RTO then restarts', () => {
    const t = established(tcpSysctl({ tcp_early_retrans: 3 }));
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.expect(s(1), { payload: bytes('hello') });
    // PTO = 2·SRTT (20 ms) + TCP_RTO_MIN (one segment out) = 220 ms, but the
    // RTO (212 ms) comes first: the probe goes then, the last segment again.
    t.expect(ms(1212), { payload: bytes('hello') });
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
    // The RTO restarts from the probe: 212 ms later, then it backs off.
    t.expect(ms(1424), { payload: bytes('hello') });
    t.expect(ms(1848), { payload: bytes('hello') });
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(2);
  });

  test('tcp_early_retrans=0 turns it off: the RTO alone', () => {
    const t = established(tcpSysctl({ tcp_early_retrans: 0 }));
    t.app(s(1), (c) => c.send(s(1), bytes('hello')));
    t.expect(s(1), {});
    t.expect(ms(1212), {});
    t.expect(ms(1636), {});
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(0);
  });

  test('on by default, as in Linux (tcp_sk_init: tcp_early_retrans = 3)', () => {
    expect(LINUX_TCP_SYSCTL.tcp_early_retrans).toBe(3);
  });

  test('two segments out: the probe 2·SRTT + 2 ms after the send re-sends the last one; the RTO then the first', () => {
    const t = established();
    const MSS = 1448;
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(2000).fill(7)));
    const sent = t.out.splice(0);
    expect(sent.map((x) => [x.time, x.seg.seq, x.seg.payload.length])).toEqual([
      [s(1), seqAdd(ISS, 1), MSS],
      [s(1), seqAdd(ISS, 1 + MSS), 552],
    ]);
    // tcp_schedule_loss_probe: packets_out 2, so usecs_to_jiffies(srtt_us >> 2 +
    // TCP_TIMEOUT_MIN_US) = usecs_to_jiffies(20 ms + 2 ms) = 6 jiffies = 24 ms,
    // sooner than the RTO (212 ms).
    t.expectNothing(ms(1024) - 1);
    // tcp_send_loss_probe: nothing new to send, so the last segment of the
    // retransmit queue, via __tcp_retransmit_skb.
    t.expect(ms(1024), {
      flags: ACK | PSH,
      seq: seqAdd(ISS, 1 + MSS),
      payload: new Uint8Array(552).fill(7),
    });
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
    expect(t.net.counters.TcpRetransSegs).toBe(1);
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(0);
    // __tcp_retransmit_skb leaves retrans_out alone: the state stays Open.
    expect(t.c.retransOut).toBe(0);
    expect(t.c.caState).toBe('Open');
    // The probe restarts the full RTO from now (icsk_pending = 0, tcp_rearm_rto):
    // 212 ms later the head goes again.
    t.expectNothing(ms(1236) - 1);
    t.expect(ms(1236), { flags: ACK, seq: seqAdd(ISS, 1), payload: new Uint8Array(MSS).fill(7) });
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(1);
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
  });

  test('data held back by Nagle goes as the probe: new data, with the cwnd and Nagle overridden', () => {
    const t = established();
    t.app(s(1), (c) => {
      c.send(s(1), bytes('a'));
      // Minshall's Nagle: 'a' is a small unacknowledged segment, so 'b' waits.
      c.send(s(1), bytes('b'));
    });
    t.expect(s(1), { seq: seqAdd(ISS, 1), payload: bytes('a') });
    // One segment out: PTO = 2·SRTT + tcp_rto_min = 220 ms, capped by the RTO, 212 ms.
    t.expectNothing(ms(1212) - 1);
    // tcp_send_loss_probe: the send head fits the peer's window, so
    // tcp_write_xmit(push_one = 2, TCP_NAGLE_OFF) sends it.
    t.expect(ms(1212), { flags: ACK | PSH, seq: seqAdd(ISS, 2), payload: bytes('b') });
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
    expect(t.net.counters.TcpRetransSegs).toBe(0);
    expect(t.c.tlpHighSeq).toBe(seqAdd(ISS, 3));
    // The ACK of both ends the episode (tcp_process_tlp_ack: a probe of new
    // data, acknowledged) without TcpExtTCPLossProbeRecovery; nothing is left to time.
    t.send(ms(1222), { ...fromServer(PEER_TS + 200), ack: seqAdd(ISS, 3) });
    expect(t.c.tlpHighSeq).toBeUndefined();
    expect(t.net.counters.TcpExtTCPLossProbeRecovery).toBe(0);
    t.expectNothing(s(100));
  });
});
