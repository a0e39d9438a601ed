/**
 * The timewait sock (timewait.ts): Linux tcp_time_wait and
 * tcp_timewait_state_process (net/ipv4/tcp_minisocks.c), rule by rule. The
 * fixtures are close.test.ts's: TIME_WAIT entered at 2 s (RCV.NXT = IRS+2,
 * SND.NXT = ISS+2, TS.Recent = PEER_TS+2000), an orphaned FIN_WAIT2 at 1.010 s
 * (RCV.NXT = IRS+1); no timer wheel, so TIME_WAIT ends at exactly 62 s.
 */

import { describe, expect, test } from 'vitest';
import { Random } from '../../src/sim/random.js';
import { ms, s } from '../../src/sim/time.js';
import { Connection } from '../../src/tcp/connection.js';
import { TcpNet, type TcpTraceEvent } from '../../src/tcp/net.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import type { TimeWaitSock } from '../../src/tcp/timewait.js';
import { ipv4Address } from '../../src/wire/address.js';
import { seq, seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, RST, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { closing, finWait1, finWait2, fromServer, timeWait } from './fixtures.js';
import { bytes, CLIENT, IRS, ISS, ourTs, PEER_TS, SERVER, type Tester, tsOpt } from './harness.js';
import { Sim } from './netsim.js';

function twOf(t: Tester): TimeWaitSock {
  const tw = t.net.timeWait.lookup(CLIENT.addr, CLIENT.port, SERVER.addr, SERVER.port);
  if (tw === undefined) throw new Error('no timewait sock');
  return tw;
}

/** A pure ACK from the server in TIME_WAIT, at RCV.NXT, with a fresh timestamp. */
function twAck(tsVal: number): TcpSegment {
  return { ...fromServer(tsVal), seq: seqAdd(IRS, 2), ack: seqAdd(ISS, 2) };
}

/** A SYN from the client side of the old connection's peer (the server's port). */
function newSyn(seqNo: number, tsVal: number | undefined): TcpSegment {
  return {
    ...fromServer(),
    seq: seq(seqNo),
    ack: seq(0),
    flags: SYN,
    options: tsVal === undefined ? [] : tsOpt(tsVal, 0),
  };
}

describe('tcp_time_wait: the connection becomes a timewait sock', () => {
  test('TIME_WAIT: a small sock in the table, found by 4-tuple, listed with its timer', () => {
    const t = timeWait();
    const table = t.net.timeWait;
    expect(table.size).toBe(1);
    const tw = twOf(t);
    expect(t.c.tw).toBe(tw);
    expect(tw).toMatchObject({
      substate: 'TIME_WAIT',
      rcvNxt: seqAdd(IRS, 2),
      sndNxt: seqAdd(ISS, 2),
      tsRecent: PEER_TS + 2000,
      tsRecentStamp: 2,
      rcvWscale: 7,
      localPort: CLIENT.port,
      remotePort: SERVER.port,
    });
    expect(tw.rcvWnd >> 7).toBe(502);
    expect([...table]).toEqual([tw]);
    expect(tw.timerRemaining(s(2))).toBe(s(60));
    expect(table.nextDeadline()).toBe(s(62));
    // The full connection kept nothing (tcp_done): no queues, no timers of its own.
    expect(t.c.rtxQueue).toHaveLength(0);
    expect(Object.values(t.c.timers).every((d) => d === undefined)).toBe(true);
    expect(t.c.nextDeadline()).toBe(s(62));
    expect(t.net.timeWait.lookup(CLIENT.addr, CLIENT.port, SERVER.addr, SERVER.port + 1)).toBe(
      undefined,
    );
  });

  test('driven by the table: there at 62 s - 1 ns, gone at 62 s; the observer hears it', () => {
    const t = timeWait();
    const seen: TcpTraceEvent[] = [];
    t.net.observer = (e) => seen.push(e);
    const table = t.net.timeWait;
    // __inet_twsk_schedule counts TcpExtTW when the sock is made, not when it dies.
    expect(t.net.counters.TcpExtTW).toBe(1);
    table.handleTimeout(s(62) - 1);
    expect(table.size).toBe(1);
    table.handleTimeout(s(62));
    expect(table.size).toBe(0);
    expect(table.nextDeadline()).toBeUndefined();
    expect(t.net.counters.TcpExtTW).toBe(1);
    expect(seen).toMatchObject([{ kind: 'state', time: s(62), from: 'TIME_WAIT', to: 'CLOSE' }]);
    // The application's connection follows, with the time it happened.
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.transitions.at(-1)).toEqual({ time: s(62), from: 'TIME_WAIT', to: 'CLOSE' });
    expect(t.c.tw).toBeUndefined();
  });

  test('after it is gone, the 4-tuple is a closed port: a segment gets the reset', () => {
    const t = timeWait();
    t.expectNothing(s(62));
    const r = t.send(s(63), twAck(PEER_TS + 63_000));
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 2) });
    expect(t.lastVerdict).toBe('NO_SOCKET');
  });

  test('an orphaned FIN_WAIT2 is a timewait sock with substate FIN_WAIT2, for tcp_fin_timeout', () => {
    const t = finWait2();
    const tw = twOf(t);
    expect(tw.substate).toBe('FIN_WAIT2');
    expect(tw.rcvNxt).toBe(seqAdd(IRS, 1));
    expect(t.c.state).toBe('FIN_WAIT2');
    expect(t.net.timeWait.nextDeadline()).toBe(ms(61_010));
  });

  test('tcp_fin_timeout above 60 s: the full socket waits the excess, then a timewait sock does (tcp_keepalive_timer)', () => {
    const t = finWait1();
    t.net.sysctl = tcpSysctl({ tcp_fin_timeout: 90 });
    t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    expect(t.net.timeWait.size).toBe(0);
    expect(t.c.timers.finWait2).toBe(ms(31_010));
    t.expectNothing(ms(31_010) - 1);
    expect(t.net.timeWait.size).toBe(0);
    t.expectNothing(ms(31_010));
    // Linux hands the timewait sock tcp_fin_time - TCP_TIMEWAIT_LEN again (30 s).
    expect(twOf(t).substate).toBe('FIN_WAIT2');
    expect(t.net.timeWait.nextDeadline()).toBe(ms(61_010));
    t.expectNothing(ms(61_010));
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpOutRsts).toBe(0);
  });
});

describe('TIME_WAIT substate (tcp_timewait_state_process)', () => {
  test('a retransmitted FIN is ACKed with the window last offered, and the 60 s start again', () => {
    const t = timeWait();
    const fin = { ...fromServer(PEER_TS + 10_000), flags: FIN | ACK, ack: seqAdd(ISS, 2) };
    const v = t.net.timeWait.handleSegment(twOf(t), s(10), fin);
    expect(v).toMatchObject({
      action: 'ack',
      reply: {
        flags: ACK,
        seq: seqAdd(ISS, 2),
        ack: seqAdd(IRS, 2),
        window: 502,
        // TS.Recent moves only with segments at RCV.NXT: the first FIN's.
        options: tsOpt(ourTs(s(10)), PEER_TS + 2000),
      },
    });
    t.net.timeWait.handleTimeout(s(70) - 1);
    expect(t.net.timeWait.size).toBe(1);
    t.net.timeWait.handleTimeout(s(70));
    expect(t.net.timeWait.size).toBe(0);
  });

  test('a bare ACK at RCV.NXT restarts the timer silently and takes its timestamp', () => {
    const t = timeWait();
    expect(t.send(s(5), twAck(PEER_TS + 5000))).toBeUndefined();
    expect(twOf(t).tsRecent).toBe(PEER_TS + 5000);
    t.expectNothing(s(65) - 1);
    expect(t.c.state).toBe('TIME_WAIT');
    t.expectNothing(s(65));
    expect(t.c.state).toBe('CLOSE');
  });

  test('a RST at RCV.NXT kills it (RFC 1337 assassination); with tcp_rfc1337=1 it is ignored and the timer runs on', () => {
    const t = timeWait();
    t.send(s(5), { ...twAck(0), flags: RST, options: [] });
    expect(t.net.timeWait.size).toBe(0);
    expect(t.c.transitions.at(-1)).toEqual({ time: s(5), from: 'TIME_WAIT', to: 'CLOSE' });

    const u = timeWait();
    u.net.sysctl = tcpSysctl({ tcp_rfc1337: 1 });
    expect(u.send(s(5), { ...twAck(0), flags: RST, options: [] })).toBeUndefined();
    u.expectNothing(s(62) - 1);
    expect(u.c.state).toBe('TIME_WAIT');
    u.expectNothing(s(62));
    expect(u.c.state).toBe('CLOSE');
  });

  test('a RST elsewhere is dropped (TCP_RESET), nothing sent, nothing restarted', () => {
    const t = timeWait();
    expect(
      t.send(s(5), { ...twAck(0), seq: seqAdd(IRS, 50), flags: RST, options: [] }),
    ).toBeUndefined();
    expect(t.lastVerdict).toBe('TCP_RESET');
    expect(t.net.timeWait.nextDeadline()).toBe(s(62));
  });

  test('a SYN beyond RCV.NXT may reopen: verdict syn with ISN = SND.NXT + 65535 + 2', () => {
    const t = timeWait();
    const v = t.net.timeWait.handleSegment(twOf(t), s(5), newSyn(IRS + 100, PEER_TS + 5000));
    expect(v).toEqual({ action: 'syn', isn: seqAdd(ISS, 2 + 65535 + 2) });
    // The host decides: the sock stays until a listener takes the SYN.
    expect(t.net.timeWait.size).toBe(1);
  });

  test('a SYN below RCV.NXT reopens too when its timestamp is newer', () => {
    const t = timeWait();
    const v = t.net.timeWait.handleSegment(twOf(t), s(5), newSyn(IRS - 5000, PEER_TS + 5000));
    expect(v.action).toBe('syn');
  });

  test('the new ISN skips 0', () => {
    const net = new TcpNet({ random: new Random(1) });
    const conn = new Connection(net, CLIENT, SERVER, { iss: 0xffff_ffff - 65536 });
    conn.sndNxt = seq(0xffff_ffff - 65536);
    const tw = net.timeWait.insert(conn, 'TIME_WAIT', 0, 100)!;
    expect(net.timeWait.handleSegment(tw, 0, newSyn(5, undefined))).toEqual({
      action: 'syn',
      isn: seq(1),
    });
  });

  test('an old SYN (below RCV.NXT, no newer timestamp) gets an ACK; an ACK-less SYN does not restart the timer', () => {
    const t = timeWait();
    const r = t.send(s(5), newSyn(IRS - 5000, undefined));
    expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 2), ack: seqAdd(IRS, 2) });
    expect(t.net.timeWait.nextDeadline()).toBe(s(62));
  });

  test('other segments get an ACK and restart the timer, at most one ACK per 500 ms for pure ACKs', () => {
    const t = timeWait();
    const old = { ...fromServer(PEER_TS + 5000), seq: seqAdd(IRS, 1), ack: seqAdd(ISS, 2) };
    expect(t.send(s(5), old)).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 2) });
    expect(t.net.timeWait.nextDeadline()).toBe(s(65));
    expect(t.send(ms(5499), { ...old, options: tsOpt(PEER_TS + 5499, 0) })).toBeUndefined();
    expect(t.net.counters.TcpExtTCPACKSkippedTimeWait).toBe(1);
    expect(t.net.timeWait.nextDeadline()).toBe(ms(65_499));
    expect(t.send(ms(5500), { ...old, options: tsOpt(PEER_TS + 5500, 0) })).toMatchObject({
      flags: ACK,
    });
    // Data is never rate-limited.
    const data = {
      ...old,
      flags: ACK | PSH,
      payload: bytes('x'),
      options: tsOpt(PEER_TS + 5501, 0),
    };
    expect(t.send(ms(5501), data)).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 2) });
  });

  test('PAWS: an old timestamp is dropped (TCP_RFC7323_PAWS, TcpExtPAWSEstab), ACKed, and restarts the timer', () => {
    const t = timeWait();
    const r = t.send(s(5), twAck(PEER_TS + 1000));
    expect(r).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 2) });
    expect(t.lastVerdict).toBe('TCP_RFC7323_PAWS');
    expect(t.net.counters.TcpExtPAWSEstab).toBe(1);
    expect(t.net.timeWait.nextDeadline()).toBe(s(65));
    // A SYN with an old timestamp may not reopen, even beyond RCV.NXT.
    const v = t.net.timeWait.handleSegment(twOf(t), s(6), newSyn(IRS + 100, PEER_TS + 1000));
    expect(v.action).not.toBe('syn');
  });
});

describe('FIN_WAIT2 substate', () => {
  const fw2Seg = (over: Partial<TcpSegment>): TcpSegment => ({
    ...fromServer(PEER_TS + 2000),
    ack: seqAdd(ISS, 2),
    ...over,
  });

  test("the peer's FIN: TIME_WAIT, ACKed, 60 s from then", () => {
    const t = finWait2();
    const r = t.send(s(2), fw2Seg({ flags: FIN | ACK }));
    expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 2), ack: seqAdd(IRS, 2) });
    expect(twOf(t).substate).toBe('TIME_WAIT');
    expect(t.c.transitions.at(-1)).toEqual({ time: s(2), from: 'FIN_WAIT2', to: 'TIME_WAIT' });
    t.expectNothing(s(62) - 1);
    expect(t.c.state).toBe('TIME_WAIT');
    t.expectNothing(s(62));
    expect(t.c.state).toBe('CLOSE');
  });

  test('new data gets a RST and the sock goes (TcpExtTCPAbortOnData)', () => {
    const t = finWait2();
    const r = t.send(s(2), fw2Seg({ flags: ACK | PSH, payload: bytes('late') }));
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 2) });
    expect(t.lastVerdict).toBe('TCP_ABORT_ON_DATA');
    expect(t.net.counters.TcpExtTCPAbortOnData).toBe(1);
    expect(t.net.timeWait.size).toBe(0);
    expect(t.c.state).toBe('CLOSE');
  });

  test('a SYN at RCV.NXT gets a RST and the sock goes', () => {
    const t = finWait2();
    const r = t.send(s(2), fw2Seg({ flags: SYN, ack: seq(0) }));
    expect(r).toMatchObject({ flags: RST | ACK, seq: seq(0), ack: seqAdd(IRS, 2) });
    expect(t.net.timeWait.size).toBe(0);
  });

  test('a duplicate ACK: nothing; out of the window: an ACK; a RST in the window: gone', () => {
    const t = finWait2();
    expect(t.send(s(2), fw2Seg({}))).toBeUndefined();
    expect(t.net.timeWait.nextDeadline()).toBe(ms(61_010));
    const far = fw2Seg({ seq: seqAdd(IRS, 1 + 10_000_000) });
    expect(t.send(s(3), far)).toMatchObject({ flags: ACK, ack: seqAdd(IRS, 1) });
    expect(t.send(s(4), fw2Seg({ flags: RST, options: [] }))).toBeUndefined();
    expect(t.net.timeWait.size).toBe(0);
    expect(t.c.state).toBe('CLOSE');
  });
});

describe('tcp_max_tw_buckets', () => {
  test('0: no timewait sock; the connection is just closed (TcpExtTCPTimeWaitOverflow), and the late FIN gets RST', () => {
    const t = finWait1();
    t.net.sysctl = tcpSysctl({ tcp_max_tw_buckets: 0 });
    t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpExtTCPTimeWaitOverflow).toBe(1);
    expect(t.net.timeWait.size).toBe(0);
    const r = t.send(s(2), {
      ...fromServer(PEER_TS + 2000),
      flags: FIN | ACK,
      ack: seqAdd(ISS, 2),
    });
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 2) });
  });

  test('full at the limit: the next connection skips TIME_WAIT', () => {
    const t = closing();
    const other = new Connection(t.net, { addr: CLIENT.addr, port: 40002 }, SERVER, {});
    t.net.timeWait.insert(other, 'TIME_WAIT', ms(1000), 100);
    t.net.sysctl = tcpSysctl({ tcp_max_tw_buckets: 1 });
    t.send(ms(1010), { ...fromServer(PEER_TS + 1010), ack: seqAdd(ISS, 2), seq: seqAdd(IRS, 2) });
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.transitions.at(-1)).toMatchObject({ from: 'TIME_WAIT', to: 'CLOSE' });
    expect(t.net.counters.TcpExtTCPTimeWaitOverflow).toBe(1);
    expect(t.net.timeWait.size).toBe(1);
  });
});

describe('tcp_twsk_unique: may connect() take the 4-tuple?', () => {
  test('an ephemeral port: tcp_tw_reuse 1, timestamps, and more than tcp_tw_reuse_delay since the entry', () => {
    const t = timeWait();
    const tw = twOf(t);
    const table = t.net.timeWait;
    expect(tw.entryStampMs).toBe(2000);
    // The default 2: loopback only; 192.168.0.x is not.
    expect(table.reusable(tw, s(10), true)).toBe(false);
    t.net.sysctl = tcpSysctl({ tcp_tw_reuse: 1 });
    expect(table.reusable(tw, ms(3000), true)).toBe(false);
    expect(table.reusable(tw, ms(3001), true)).toBe(true);
    t.net.sysctl = tcpSysctl({ tcp_tw_reuse: 1, tcp_tw_reuse_delay: 5000 });
    expect(table.reusable(tw, ms(7000), true)).toBe(false);
    expect(table.reusable(tw, ms(7001), true)).toBe(true);
    t.net.sysctl = tcpSysctl({ tcp_tw_reuse: 0 });
    expect(table.reusable(tw, s(10), true)).toBe(false);
    // A port bound by the application: timestamps suffice, at once.
    expect(table.reusable(tw, ms(2000), false)).toBe(true);
    tw.tsRecentStamp = -1;
    expect(table.reusable(tw, ms(2000), false)).toBe(false);
  });

  test("a FIN_WAIT2 sock: never for an ephemeral port; its peer's FIN with a timestamp restarts the delay", () => {
    const t = finWait2();
    t.net.sysctl = tcpSysctl({ tcp_tw_reuse: 1 });
    const tw = twOf(t);
    expect(tw.entryStampMs).toBe(1010);
    expect(t.net.timeWait.reusable(tw, s(5), true)).toBe(false);
    t.send(s(5), { ...fromServer(PEER_TS + 5000), flags: FIN | ACK, ack: seqAdd(ISS, 2) });
    expect(tw.substate).toBe('TIME_WAIT');
    expect(tw.entryStampMs).toBe(5000);
    expect(t.net.timeWait.reusable(tw, ms(6000), true)).toBe(false);
    expect(t.net.timeWait.reusable(tw, ms(6001), true)).toBe(true);
  });

  test('recycle: ISN = SND.NXT + 65537, TS.Recent and its stamp handed on; the sock goes (TcpExtTWRecycled)', () => {
    const t = timeWait();
    const tw = twOf(t);
    const r = t.net.timeWait.recycle(tw, s(5));
    expect(r).toEqual({
      iss: seqAdd(ISS, 2 + 65537),
      tsRecent: { value: PEER_TS + 2000, stamp: 2 },
    });
    expect(t.net.timeWait.size).toBe(0);
    expect(t.net.counters.TcpExtTWRecycled).toBe(1);
    expect(t.c.state).toBe('CLOSE');
  });
});

describe('on the simulated network: the host finds the timewait sock', () => {
  const A = ipv4Address(10, 0, 0, 1);
  const B = ipv4Address(10, 0, 0, 2);

  /**
   * The server closes first, so it ends in TIME_WAIT; returns the sim at 10 s.
   * The client's next connection keeps its timestamp offset, as Linux's does
   * for the same address pair (secure_tcp_ts_off), or PAWS would refuse it.
   */
  function serverInTimeWait(listen: boolean) {
    const sim = new Sim(3, { delay: ms(1) });
    const client = sim.host('client', A);
    const server = sim.host('server', B);
    server.listen(80);
    server.onAccept = (c) => server.act(c, (cc, t) => cc.close(t));
    client.onEvent = (c, e) => {
      if (e.kind === 'eof') client.act(c, (cc, t) => cc.close(t));
    };
    const first = client.connect({ localPort: 40000, remote: { addr: B, port: 80 }, iss: 1000 });
    sim.run(s(10));
    expect(server.net.timeWait.size).toBe(1);
    if (!listen) server.listeners.delete(80);
    const again = () =>
      client.connect({
        localPort: 40000,
        remote: { addr: B, port: 80 },
        iss: 5_000_000,
        tsOffset: first.tsOffset,
      });
    return { sim, client, server, again };
  }

  test('a new SYN on the same 4-tuple reopens it: the listener answers with ISN = SND.NXT + 65537', () => {
    const { sim, server, again } = serverInTimeWait(true);
    const tw = server.net.timeWait.lookup(B, 80, A, 40000)!;
    const isn = seqAdd(tw.sndNxt, 65537);
    const before = sim.captured.length;
    again();
    sim.run(s(11));
    const synAck = sim.captured.slice(before).find((c) => c.seg.flags === (SYN | ACK))!;
    expect(synAck.seg.seq).toBe(isn);
    // The old sock is gone (the new incarnation, closed at once, has its own).
    expect(tw.alive).toBe(false);
    expect(server.net.timeWait.lookup(B, 80, A, 40000)).not.toBe(tw);
  });

  test("without a listener the SYN gets the timewait ACK; the client's RST then assassinates the sock", () => {
    const { sim, server, again } = serverInTimeWait(false);
    const before = sim.captured.length;
    again();
    sim.run(s(10) + ms(1.5));
    const answer = sim.captured.slice(before).find((c) => c.from === B)!;
    expect(answer.seg).toMatchObject({ flags: ACK, ack: seq(1002) });
    expect(server.net.timeWait.size).toBe(1);
    // SYN_SENT answers an ACK of nothing it sent with [R] seq 1002: RCV.NXT, so
    // with tcp_rfc1337=0 the timewait sock dies (RFC 1337's hazard H1).
    sim.run(s(10) + ms(3));
    expect(server.net.timeWait.size).toBe(0);
  });

  test('the table timer ends it 60 s after, plus the timer wheel', () => {
    const { sim, server } = serverInTimeWait(true);
    const d = server.net.timeWait.nextDeadline()!;
    sim.run(d - 1);
    expect(server.net.timeWait.size).toBe(1);
    sim.run(d);
    expect(server.net.timeWait.size).toBe(0);
    expect(server.net.counters.TcpExtTW).toBe(1);
  });
});

describe('the table', () => {
  test('many socks with different timeouts and restarts expire in deadline order, each once, listed once', () => {
    const net = new TcpNet({ random: new Random(2), timerWheel: true });
    const expired: number[] = [];
    net.observer = (e) => {
      if (e.kind === 'state' && e.to === 'CLOSE') expired.push(e.time);
    };
    const socks: TimeWaitSock[] = [];
    for (let i = 0; i < 200; i++) {
      const c = new Connection(net, { addr: CLIENT.addr, port: 1000 + i }, SERVER, {});
      // Alternate TIME_WAIT-like and short FIN_WAIT2-like timeouts, armed 10 ms apart.
      socks.push(net.timeWait.insert(c, 'TIME_WAIT', ms(10 * i), i % 3 === 0 ? 250 : 15_000)!);
    }
    // Restart a few, twice within one wheel slot.
    for (const i of [5, 50, 51, 150]) {
      net.timeWait.reschedule(socks[i]!, s(3), 15_000);
      net.timeWait.reschedule(socks[i]!, s(3) + ms(1), 15_000);
    }
    expect([...net.timeWait]).toHaveLength(200);
    expect(new Set(net.timeWait).size).toBe(200);
    for (let d = net.timeWait.nextDeadline(); d !== undefined; d = net.timeWait.nextDeadline()) {
      net.timeWait.handleTimeout(d);
    }
    expect(expired).toHaveLength(200);
    expect(expired).toEqual([...expired].sort((a, b) => a - b));
    expect(expired.at(-1)).toBe(socks[150]!.expires);
    // Counted when armed first (__inet_twsk_schedule): timeouts of at most 4 s as killed.
    expect(net.counters.TcpExtTWKilled).toBe(67);
    expect(net.counters.TcpExtTW).toBe(133);
  });

  test('finds every sock by its 4-tuple as the hash chains grow, and none after it went', () => {
    const net = new TcpNet({ random: new Random(3) });
    // 3000 socks (the chains start with 256 slots and double past one sock per
    // slot): one address pair and remote port, as a client's connections to one
    // server are, so only the local port tells them apart.
    const socks: TimeWaitSock[] = [];
    for (let i = 0; i < 3000; i++) {
      const c = new Connection(net, { addr: CLIENT.addr, port: 32768 + i }, SERVER, {});
      socks.push(net.timeWait.insert(c, 'TIME_WAIT', 0, 15_000)!);
    }
    const find = (port: number) => net.timeWait.lookup(CLIENT.addr, port, SERVER.addr, SERVER.port);
    for (let i = 0; i < 3000; i++) expect(find(32768 + i)).toBe(socks[i]);
    for (let i = 0; i < 3000; i += 2) net.timeWait.kill(socks[i]!, 0);
    expect(net.timeWait.size).toBe(1500);
    for (let i = 0; i < 3000; i++) expect(find(32768 + i)).toBe(i % 2 === 0 ? undefined : socks[i]);
    expect(find(32768 + 3000)).toBeUndefined();
  });
});
