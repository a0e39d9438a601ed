import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/tcp.js';
import {
  closeWait,
  closing,
  established,
  finWait1,
  finWait2,
  fromServer,
  lastAck,
  timeWait,
} from './fixtures.js';
import { bytes, IRS, ISS, ourTs, PEER_TS, tsOpt } from './harness.js';

/** The server's FIN, its stream at `sent` bytes, acknowledging `acked` of ours (plus our FIN if `finAcked`). */
function serverFin(tsVal: number, ackOff = 1) {
  return { ...fromServer(tsVal, ourTs(ms(1000))), flags: FIN | ACK, ack: seqAdd(ISS, ackOff) };
}

describe('FIN_WAIT1', () => {
  test('the ACK of our FIN → FIN_WAIT2', () => {
    const t = finWait1();
    t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    expect(t.c.state).toBe('FIN_WAIT2');
    expect(t.c.transitions.map((x) => x.to)).toEqual([
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT1',
      'FIN_WAIT2',
    ]);
  });

  test('an unacknowledged FIN is sent again as a tail loss probe, then on the RTO', () => {
    const t = finWait1();
    // tcp_send_fin pushes the FIN through tcp_write_xmit, which schedules a loss
    // probe (tcp_early_retrans=3): one segment out, PTO = 2·SRTT + tcp_rto_min =
    // 220 ms, capped by the RTO (212 ms).
    t.expectNothing(ms(1212) - 1);
    // tcp_send_loss_probe: nothing new to send, so the last segment, the FIN.
    t.expect(ms(1212), {
      flags: FIN | ACK,
      seq: seqAdd(ISS, 1),
      options: tsOpt(ourTs(ms(1212)), PEER_TS),
    });
    expect(t.net.counters.TcpExtTCPLossProbes).toBe(1);
    // The RTO, re-armed from the probe, 212 ms later; then 424 ms.
    t.expectNothing(ms(1424) - 1);
    t.expect(ms(1424), { flags: FIN | ACK, seq: seqAdd(ISS, 1) });
    t.expect(ms(1848), { flags: FIN | ACK, seq: seqAdd(ISS, 1) });
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(2);
  });

  test('an orphan gives up its FIN after tcp_orphan_retries (0 means 8): no RST, CLOSE', () => {
    const t = finWait1();
    // The time budget of 8 doublings from 200 ms: (2^9 - 1) × 0.2 = 102.2 s after the FIN.
    t.advance(s(200));
    const sent = t.out.splice(0);
    expect(sent.every((x) => x.seg.flags === (FIN | ACK))).toBe(true);
    expect(t.c.state).toBe('CLOSE');
    const died = t.c.transitions.at(-1)!.time / 1e9;
    expect(died - 1).toBeGreaterThanOrEqual(102.2);
    expect(t.net.counters.TcpExtTCPAbortOnTimeout).toBe(1);
  });

  test("the peer's FIN without the ACK of ours: simultaneous close → CLOSING, ACKed at once", () => {
    const t = closing();
    expect(t.c.transitions.map((x) => x.to).slice(-2)).toEqual(['FIN_WAIT1', 'CLOSING']);
  });

  test('a FIN that also ACKs our FIN: FIN_WAIT2 then TIME_WAIT in one step', () => {
    const t = finWait1();
    const r = t.send(ms(1010), serverFin(PEER_TS + 1010, 2));
    expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 2), ack: seqAdd(IRS, 2) });
    expect(t.c.transitions.map((x) => x.to).slice(-3)).toEqual([
      'FIN_WAIT1',
      'FIN_WAIT2',
      'TIME_WAIT',
    ]);
  });

  test('data from the peer after close() is answered with RST from its ACK field (TcpExtTCPAbortOnData)', () => {
    const t = finWait1();
    const r = t.send(ms(1005), {
      ...fromServer(PEER_TS + 1005),
      flags: ACK | PSH,
      payload: bytes('late'),
    });
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 1), window: 0 });
    expect(t.lastVerdict).toBe('TCP_ABORT_ON_DATA');
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpExtTCPAbortOnData).toBe(1);
  });
});

describe('CLOSING', () => {
  test('the ACK of our FIN → TIME_WAIT', () => {
    const t = closing();
    t.send(ms(1010), { ...fromServer(PEER_TS + 1010), ack: seqAdd(ISS, 2), seq: seqAdd(IRS, 2) });
    expect(t.c.state).toBe('TIME_WAIT');
  });
});

describe('FIN_WAIT2', () => {
  test('orphaned: it lasts tcp_fin_timeout (60 s), then vanishes without a RST', () => {
    const t = finWait2();
    t.expectNothing(ms(61010) - 1);
    expect(t.c.state).toBe('FIN_WAIT2');
    t.expectNothing(ms(61010));
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpExtTW).toBe(1);
    expect(t.net.counters.TcpOutRsts).toBe(0);
  });

  test('tcp_fin_timeout=30 shortens it', () => {
    const t = finWait1();
    t.net.sysctl = tcpSysctl({ tcp_fin_timeout: 30 });
    t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    t.expectNothing(ms(31010) - 1);
    expect(t.c.state).toBe('FIN_WAIT2');
    t.expectNothing(ms(31010));
    expect(t.c.state).toBe('CLOSE');
  });

  test("the peer's FIN → TIME_WAIT, ACKed at once", () => {
    const t = timeWait();
    expect(t.c.transitions.map((x) => x.to)).toEqual([
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT1',
      'FIN_WAIT2',
      'TIME_WAIT',
    ]);
  });

  test('after shutdown(SHUT_WR) the other direction keeps flowing, with no FIN_WAIT2 timer', () => {
    const t = established();
    t.app(s(1), (c) => c.shutdown(s(1)));
    t.expect(s(1), { flags: FIN | ACK, seq: seqAdd(ISS, 1) });
    t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    expect(t.c.state).toBe('FIN_WAIT2');
    const r = t.send(s(2), {
      ...fromServer(PEER_TS + 2000),
      flags: ACK | PSH,
      ack: seqAdd(ISS, 2),
      payload: bytes('still here'),
    });
    expect(r).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 11) });
    expect(t.c.recv(s(2))).toEqual(bytes('still here'));
    t.expectNothing(s(1000));
    expect(t.c.state).toBe('FIN_WAIT2');
    // Writing after shutdown: EPIPE.
    expect(t.c.send(s(1000), bytes('x'))).toMatchObject({ code: 'EPIPE' });
  });
});

describe('TIME_WAIT', () => {
  test('lasts 60 s (TCP_TIMEWAIT_LEN), whatever tcp_fin_timeout says', () => {
    const t = timeWait();
    t.net.sysctl = tcpSysctl({ tcp_fin_timeout: 5 });
    t.expectNothing(s(62) - 1);
    expect(t.c.state).toBe('TIME_WAIT');
    t.expectNothing(s(62));
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpExtTW).toBe(1);
  });

  test('a retransmitted FIN is ACKed again and restarts the 60 s', () => {
    const t = timeWait();
    const r = t.send(s(10), serverFin(PEER_TS + 10_000, 2));
    expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 2), ack: seqAdd(IRS, 2), window: 502 });
    t.expectNothing(s(70) - 1);
    expect(t.c.state).toBe('TIME_WAIT');
    t.expectNothing(s(70));
    expect(t.c.state).toBe('CLOSE');
  });

  test('a RST at RCV.NXT ends it at once (RFC 1337 "assassination", tcp_rfc1337=0)', () => {
    const t = timeWait();
    t.send(s(5), { ...fromServer(), seq: seqAdd(IRS, 2), flags: RST, options: [] });
    expect(t.c.state).toBe('CLOSE');
  });

  test('with tcp_rfc1337=1 the RST is ignored', () => {
    const t = timeWait();
    t.net.sysctl = tcpSysctl({ tcp_rfc1337: 1 });
    t.send(s(5), { ...fromServer(), seq: seqAdd(IRS, 2), flags: RST, options: [] });
    expect(t.c.state).toBe('TIME_WAIT');
  });

  test('a new SYN above the old sequence space may reopen the connection (RFC 1122 4.2.2.13)', () => {
    const t = timeWait();
    t.send(s(5), {
      ...fromServer(PEER_TS + 5000),
      seq: seqAdd(IRS, 100_000),
      flags: SYN,
      options: tsOpt(PEER_TS + 5000, 0),
    });
    expect(t.lastVerdict).toBe('reopen');
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.reopenIsn).toBe(seqAdd(ISS, 2 + 65535 + 2));
  });

  test('close() of the socket leaves the TIME_WAIT alone', () => {
    const t = timeWait();
    t.app(s(3), (c) => c.close(s(3)));
    expect(t.c.state).toBe('TIME_WAIT');
  });
});

describe('CLOSE_WAIT and LAST_ACK', () => {
  test('close() in CLOSE_WAIT sends the FIN → LAST_ACK; its ACK → CLOSE', () => {
    const t = lastAck();
    t.send(ms(2010), { ...fromServer(PEER_TS + 2010), seq: seqAdd(IRS, 2), ack: seqAdd(ISS, 2) });
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.transitions.map((x) => x.to)).toEqual([
      'SYN_SENT',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSE',
    ]);
    expect(t.net.counters.TcpEstabResets).toBe(0);
  });

  test('LAST_ACK retransmits its FIN', () => {
    const t = lastAck();
    t.expect(ms(2212), { flags: FIN | ACK, seq: seqAdd(ISS, 1) });
  });

  test('a RST in CLOSE_WAIT: EPIPE (the application had its EOF), TcpEstabResets', () => {
    const t = closeWait();
    t.send(s(3), { ...fromServer(), seq: seqAdd(IRS, 2), flags: RST, options: [] });
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('EPIPE');
    expect(t.net.counters.TcpEstabResets).toBe(1);
    expect(t.net.counters.TcpCurrEstab).toBe(0);
  });

  test('a RST at RCV.NXT - 1 (the FIN) is accepted after the FIN (tcp_reset_check)', () => {
    const t = closeWait();
    t.send(s(3), { ...fromServer(), seq: seqAdd(IRS, 1), flags: RST, options: [] });
    expect(t.c.state).toBe('CLOSE');
  });

  test('writing in CLOSE_WAIT still works (half-close from the peer); it still counts as TcpCurrEstab', () => {
    const t = closeWait();
    expect(t.net.counters.TcpCurrEstab).toBe(1);
    t.app(s(2), (c) => c.send(s(2), bytes('bye')));
    t.expect(s(2), { flags: ACK | PSH, payload: bytes('bye'), ack: seqAdd(IRS, 2) });
  });
});

describe('abortive close', () => {
  test('close() with unread data sends RST|ACK and goes to CLOSE (RFC 2525 2.17)', () => {
    const t = established();
    t.send(s(1), { ...fromServer(PEER_TS + 1000), flags: ACK | PSH, payload: bytes('unread') });
    t.app(s(2), (c) => c.close(s(2)));
    t.expect(s(2), {
      flags: RST | ACK,
      seq: seqAdd(ISS, 1),
      ack: seqAdd(IRS, 7),
      options: tsOpt(ourTs(s(2)), PEER_TS + 1000),
    });
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpExtTCPAbortOnClose).toBe(1);
    expect(t.net.counters.TcpEstabResets).toBe(1);
    expect(t.net.counters.TcpOutRsts).toBe(1);
    t.expectNothing(s(100));
  });

  test('SO_LINGER 0: RST|ACK at once, whatever is unsent is discarded', () => {
    const t = established();
    t.send(ms(100), { ...fromServer(PEER_TS + 100), window: 0 });
    t.app(s(1), (c) => c.send(s(1), bytes('never sent')));
    // Before the first zero-window probe (1.212 s).
    t.app(ms(1100), (c) => c.abort(ms(1100)));
    t.expect(ms(1100), { flags: RST | ACK, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 1) });
    expect(t.c.state).toBe('CLOSE');
    t.expectNothing(s(100));
  });

  test('a connection already closed answers a segment as a closed port does', () => {
    const t = established();
    t.app(s(1), (c) => c.abort(s(1)));
    t.expect(s(1), { flags: RST | ACK });
    const r = t.send(s(2), { ...fromServer(), flags: ACK | PSH, payload: bytes('hello?') });
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 1), ack: 0 });
    expect(t.lastVerdict).toBe('NO_SOCKET');
  });
});

describe('a FIN rides on the last data', () => {
  test('data held by Nagle goes with the FIN: [FP.]', () => {
    const t = established();
    t.app(s(1), (c) => {
      c.send(s(1), bytes('a'));
      c.send(s(1), bytes('b'));
      c.close(s(1));
    });
    const sent = t.out.splice(0).map((x) => x.seg);
    expect(sent.map((x) => [x.flags, x.payload.length])).toEqual([
      [ACK | PSH, 1],
      [FIN | ACK | PSH, 1],
    ]);
  });
});
