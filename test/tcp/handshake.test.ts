import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import type { ListenVerdict, RequestSock } from '../../src/tcp/listen.js';
import { initialWscale } from '../../src/tcp/options.js';
import { LINUX_TCP_SYSCTL, TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { type Seq, seq, seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, RST, SYN } from '../../src/wire/tcp.js';
import { TCP_NOP, TCP_SACK_PERMITTED } from '../../src/wire/tcp-options.js';
import {
  CLIENT_SYN,
  established,
  fromServer,
  OUR_SYN,
  synRecvPassive,
  synSent,
  T_ESTABLISHED,
} from './fixtures.js';
import {
  CLIENT,
  FROM_SERVER,
  IRS,
  ISS,
  ourTs,
  PEER_TS,
  SERVER,
  synAckFromServer,
  synOpts,
  Tester,
  tsOpt,
} from './harness.js';

describe('CLOSE → SYN_SENT: connect()', () => {
  test("the SYN carries Linux's options in Linux's order and window 64240", () => {
    const t = new Tester();
    const c = t.connect(0);
    t.expect(0, OUR_SYN);
    expect(c.state).toBe('SYN_SENT');
    expect(c.transitions).toEqual([{ time: 0, from: 'CLOSE', to: 'SYN_SENT' }]);
    expect(t.net.counters.TcpActiveOpens).toBe(1);
    expect(t.net.counters.TcpOutSegs).toBe(1);
  });

  test('the window scale comes from tcp_rmem[2]: 7 for 6 MiB, 10 for 32 MiB, 0 for 64 KiB', () => {
    expect(initialWscale(LINUX_TCP_SYSCTL)).toBe(7);
    expect(initialWscale(TRACE_KERNEL_TCP_SYSCTL)).toBe(10);
    // rmem_max (212992) still counts: ilog2(212992) - 15 = 2.
    expect(initialWscale(tcpSysctl({ tcp_rmem: [4096, 65536, 65536] }))).toBe(2);
    const t = new Tester({ sysctl: TRACE_KERNEL_TCP_SYSCTL });
    t.connect(0);
    t.expect(0, { options: synOpts(1460, ourTs(0), 0, 10) });
  });

  test('without timestamps the SACK-permitted option is padded: mss,nop,nop,sackOK,nop,wscale', () => {
    const t = new Tester({ sysctl: tcpSysctl({ tcp_timestamps: 0 }) });
    t.connect(0);
    t.expect(0, {
      options: [
        { kind: 'mss', mss: 1460 },
        TCP_NOP,
        TCP_NOP,
        TCP_SACK_PERMITTED,
        TCP_NOP,
        { kind: 'wscale', shift: 7 },
      ],
    });
  });

  test('a smaller MTU or TCP_MAXSEG lowers the MSS and the window to a multiple of it', () => {
    const t = new Tester();
    t.connect(0, { mtu: 576 });
    // MSS 536; the 64 KiB window rounded down to a multiple of it: 122 × 536 = 65392.
    t.expect(0, { window: 65392, options: synOpts(536, ourTs(0), 0, 7) });
  });
});

describe('SYN_SENT', () => {
  test('SYN-ACK → ESTABLISHED; the ACK announces 502 × 128 bytes and echoes the timestamp', () => {
    const t = synSent();
    const reply = t.send(T_ESTABLISHED, synAckFromServer(ourTs(0)));
    expect(reply).toEqual({
      srcPort: 40001,
      dstPort: 80,
      seq: seqAdd(ISS, 1),
      ack: seqAdd(IRS, 1),
      flags: ACK,
      window: 502,
      urgentPointer: 0,
      options: tsOpt(ourTs(T_ESTABLISHED), PEER_TS),
      payload: new Uint8Array(0),
    });
    const c = t.c;
    expect(c.state).toBe('ESTABLISHED');
    expect(t.takeEvents()).toEqual(['connected']);
    // Negotiated: MSS 1460 less 12 for timestamps, the peer's scale, SACK.
    expect(c.sndMss).toBe(1448);
    expect(c.sndWscale).toBe(7);
    expect(c.sackOk).toBe(true);
    expect(c.tstampOk).toBe(true);
    // RFC 7323 2.2: the SYN-ACK's window is not scaled.
    expect(c.sndWnd).toBe(65160);
    // RTO after one 10 ms sample: SRTT + max(4·mdev, 200 ms) = 210 ms, in jiffies rounded up.
    expect(c.rto).toBe(53);
    expect(c.cwnd).toBe(10);
    expect(c.nextDeadline()).toBeUndefined();
    expect(t.net.counters.TcpCurrEstab).toBe(1);
  });

  test('SYN-ACK without window scaling: neither side scales (RFC 7323 1.3)', () => {
    const t = synSent();
    const reply = t.send(T_ESTABLISHED, {
      ...synAckFromServer(ourTs(0)),
      options: [
        { kind: 'mss', mss: 1460 },
        TCP_SACK_PERMITTED,
        { kind: 'timestamps', tsVal: PEER_TS, tsEcr: ourTs(0) },
      ],
    });
    // Our window unscaled: the SYN's 64240.
    expect(reply).toMatchObject({ flags: ACK, window: 64240 });
    expect(t.c.sndWscale).toBe(0);
    expect(t.c.rcvWscale).toBe(0);
  });

  test('SYN-ACK with MSS 536 and no options at all: MSS 536, no timestamps, no SACK', () => {
    const t = synSent();
    const reply = t.send(T_ESTABLISHED, {
      ...synAckFromServer(0),
      options: [{ kind: 'mss', mss: 536 }],
    });
    expect(reply).toMatchObject({ flags: ACK, window: 64240, options: [] });
    expect(t.c.sndMss).toBe(536);
    expect(t.c.tstampOk).toBe(false);
    expect(t.c.sackOk).toBe(false);
  });

  test('RST|ACK acknowledging our SYN → CLOSE, ECONNREFUSED', () => {
    const t = synSent();
    t.send(ms(1), {
      ...FROM_SERVER,
      seq: seq(0),
      flags: RST | ACK,
      ack: seqAdd(ISS, 1),
      window: 0,
    });
    t.expectNothing(s(200));
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ECONNREFUSED');
    expect(t.takeEvents()).toEqual(['error ECONNREFUSED', 'closed']);
    expect(t.net.counters.TcpAttemptFails).toBe(1);
  });

  test('RST without ACK is dropped (RFC 9293 3.10.7.3)', () => {
    const t = synSent();
    expect(t.send(ms(1), { ...FROM_SERVER, flags: RST })).toBeUndefined();
    expect(t.lastVerdict).toBe('TCP_RESET');
    expect(t.c.state).toBe('SYN_SENT');
  });

  test('an ACK of something we did not send gets a RST from its ACK field', () => {
    const t = synSent();
    const r = t.send(ms(1), { ...synAckFromServer(ourTs(0)), ack: seqAdd(ISS, 5) });
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 5), window: 0, options: [] });
    expect(t.lastVerdict).toBe('TCP_INVALID_ACK_SEQUENCE');
    expect(t.c.state).toBe('SYN_SENT');
  });

  test('an ACK without SYN is dropped', () => {
    const t = synSent();
    expect(t.send(ms(1), { ...FROM_SERVER, options: tsOpt(PEER_TS, ourTs(0)) })).toBeUndefined();
    expect(t.lastVerdict).toBe('TCP_FLAGS');
  });

  test('a SYN-ACK echoing a timestamp we never sent is reset (PAWS, TcpExtPAWSActive)', () => {
    const t = synSent();
    const r = t.send(ms(1), synAckFromServer(ourTs(0) + 5000));
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(ISS, 1) });
    expect(t.lastVerdict).toBe('TCP_RFC7323_PAWS');
    expect(t.net.counters.TcpExtPAWSActive).toBe(1);
  });

  test('a SYN without ACK is a simultaneous open: SYN_RECV, our SYN again with ACK', () => {
    const t = synSent();
    const r = t.send(ms(5), { ...synAckFromServer(0), flags: SYN, ack: seq(0) });
    expect(r).toMatchObject({
      flags: SYN | ACK,
      seq: ISS,
      ack: seqAdd(IRS, 1),
      window: 64240,
      options: synOpts(1460, ourTs(ms(5)), PEER_TS, 7),
    });
    expect(t.c.state).toBe('SYN_RECV');
    // Their SYN-ACK completes it; its SYN is old news (tcp_data_queue: "A retransmit")
    // and gets an immediate ACK with a D-SACK for it.
    const ack = t.send(ms(10), { ...synAckFromServer(ourTs(ms(5))) });
    expect(ack).toMatchObject({
      flags: ACK,
      seq: seqAdd(ISS, 1),
      ack: seqAdd(IRS, 1),
      options: [
        ...tsOpt(ourTs(ms(10)), PEER_TS),
        TCP_NOP,
        TCP_NOP,
        { kind: 'sack', blocks: [{ left: IRS, right: seqAdd(IRS, 1) }] },
      ],
    });
    expect(t.c.state).toBe('ESTABLISHED');
    expect(t.c.transitions.map((x) => x.to)).toEqual(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED']);
  });

  test('the SYN is retransmitted at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s; ETIMEDOUT at 131 s', () => {
    const t = synSent();
    for (const at of [1, 2, 3, 4, 5, 7, 11, 19, 35, 67]) {
      t.expectNothing(s(at) - 1);
      t.expect(s(at), { ...OUR_SYN, options: synOpts(1460, ourTs(s(at)), 0, 7) });
    }
    t.expectNothing(s(131) - 1);
    expect(t.c.state).toBe('SYN_SENT');
    t.expectNothing(s(131));
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ETIMEDOUT');
    expect(t.net.counters.TcpRetransSegs).toBe(10);
    expect(t.net.counters.TcpExtTCPTimeouts).toBe(11);
    expect(t.net.counters.TcpAttemptFails).toBe(1);
    expect(t.net.counters.TcpExtTCPAbortOnTimeout).toBe(1);
  });

  test('tcp_syn_linear_timeouts=0: 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s', () => {
    const t = synSent(tcpSysctl({ tcp_syn_linear_timeouts: 0 }));
    for (const at of [1, 3, 7, 15, 31, 63]) {
      t.expectNothing(s(at) - 1);
      t.expect(s(at), { flags: SYN, seq: ISS });
    }
    t.expectNothing(s(127) - 1);
    expect(t.c.state).toBe('SYN_SENT');
    t.expectNothing(s(127));
    expect(t.c.error?.code).toBe('ETIMEDOUT');
  });

  test('tcp_syn_retries=2 with no linear timeouts: SYNs at 0, 1, 3 s, failure at 7 s', () => {
    const t = synSent(tcpSysctl({ tcp_syn_retries: 2, tcp_syn_linear_timeouts: 0 }));
    t.expect(s(1), { flags: SYN });
    t.expect(s(3), { flags: SYN });
    t.expectNothing(s(7));
    expect(t.c.error?.code).toBe('ETIMEDOUT');
  });

  test('after a retransmitted SYN with no RTT sample the RTO starts at 3 s (RFC 6298 5.7)', () => {
    const t = new Tester({ sysctl: tcpSysctl({ tcp_timestamps: 0 }) });
    t.connect(0);
    t.expect(0, { flags: SYN });
    t.expect(s(1), { flags: SYN });
    // The SYN-ACK answers one of two SYNs: no RTT sample (Karn), no timestamps.
    t.send(ms(1010), { ...synAckFromServer(0), options: [{ kind: 'mss', mss: 1460 }] });
    expect(t.c.rto).toBe(3 * 250);
  });

  test('close() in SYN_SENT: CLOSE at once, nothing sent', () => {
    const t = synSent();
    t.app(ms(5), (c) => c.close(ms(5)));
    t.expectNothing(s(10));
    expect(t.c.state).toBe('CLOSE');
    expect(t.net.counters.TcpAttemptFails).toBe(0);
  });
});

describe('LISTEN and passive SYN_RECV', () => {
  function listening() {
    const t = new Tester();
    const l = t.listen(16);
    return { t, l };
  }

  const SYN_FROM_CLIENT = CLIENT_SYN;
  const CLIENT_ADDR = CLIENT;

  /** The request sock a listener made of a SYN. */
  function requestOf(v: ListenVerdict): RequestSock {
    if (!('request' in v)) throw new Error(`no request: ${JSON.stringify(v)}`);
    return v.request;
  }

  /** The connection a listener made when a handshake completed. */
  function childOf(v: ListenVerdict): Connection {
    if (!('child' in v)) throw new Error(`no child: ${JSON.stringify(v)}`);
    return v.child;
  }

  test('a SYN gets a SYN-ACK with window 65160 and the options echoed as negotiated', () => {
    const { t, l } = listening();
    const req = requestOf(l.handleSegment(0, SYN_FROM_CLIENT, CLIENT_ADDR, SERVER.addr));
    t.collect(0);
    const synAck = t.expect(0, {
      srcPort: 80,
      dstPort: 40001,
      flags: SYN | ACK,
      seq: req.iss,
      ack: seqAdd(IRS, 1),
      window: 65160,
    });
    expect(synAck.options).toEqual(synOpts(1460, (req.tsOffset + 0) >>> 0, PEER_TS, 7));
    expect(req.state).toBe('SYN_RECV');
    expect(l.synQueue.size).toBe(1);
    // Not yet a passive open: that is counted when the handshake completes.
    expect(t.net.counters.TcpPassiveOpens).toBe(0);
  });

  test('a SYN without options gets a SYN-ACK with only MSS, window 64240 (no timestamps to subtract)', () => {
    const { t, l } = listening();
    requestOf(l.handleSegment(0, { ...SYN_FROM_CLIENT, options: [] }, CLIENT_ADDR, SERVER.addr));
    t.collect(0);
    t.expect(0, { flags: SYN | ACK, window: 64240, options: [{ kind: 'mss', mss: 1460 }] });
  });

  function synRecv() {
    const t = synRecvPassive();
    return { t, l: t.listener!, req: t.req };
  }

  const finalAck = (req: { iss: Seq; tsOffset: number }) => ({
    ...SYN_FROM_CLIENT,
    seq: seqAdd(IRS, 1),
    ack: seqAdd(req.iss, 1),
    flags: ACK,
    window: 502,
    options: tsOpt(PEER_TS + 1, req.tsOffset),
  });

  test('the final ACK → ESTABLISHED, into the accept queue; TcpPassiveOpens', () => {
    const { t, l, req } = synRecv();
    expect(t.send(ms(1), finalAck(req))).toBeUndefined();
    const child = t.c;
    expect(child.state).toBe('ESTABLISHED');
    expect(child.id).toBe(req.id);
    expect(child.transitions.map((x) => [x.time, x.from, x.to])).toEqual([
      [0, 'CLOSE', 'SYN_RECV'],
      [ms(1), 'SYN_RECV', 'ESTABLISHED'],
    ]);
    expect(l.synQueue.size).toBe(0);
    expect(l.accept()).toBe(child);
    expect(t.net.counters.TcpPassiveOpens).toBe(1);
    expect(t.takeEvents()).toEqual(['connected']);
    // The server's windows after the handshake: 510 × 128 (65160 rounded up).
    t.app(ms(2), (c) => c.send(ms(2), new Uint8Array(19)));
    t.expect(ms(2), { window: 510, payload: new Uint8Array(19) });
  });

  test('bytes_acked: the SYN counts for the active side, the SYN-ACK not for the passive one', () => {
    // tcp_create_openreq_child starts the child with snd_una past its SYN-ACK,
    // so `ss -i` shows no bytes_acked on an accepted connection until data is
    // acknowledged; the client's SYN, acknowledged by the SYN-ACK, counts 1.
    const { t, req } = synRecv();
    t.send(ms(1), finalAck(req));
    expect(t.c.bytesAcked).toBe(0);
    expect(established().c.bytesAcked).toBe(1);
  });

  test('the child made at the final ACK has the state a full socket in SYN_RECV would have', () => {
    const { t, req } = synRecv();
    t.expect(s(1), { flags: SYN | ACK });
    // The peer's ACK echoes the retransmitted SYN-ACK's TSval (sent at 1 s).
    const ack = { ...finalAck(req), options: tsOpt(PEER_TS + 1, (req.tsOffset + 1000) >>> 0) };
    expect(t.send(s(1) + ms(30), ack)).toBeUndefined();
    const c = t.c;
    expect(c.state).toBe('ESTABLISHED');
    expect([c.iss, c.irs, c.sndUna, c.sndNxt, c.rcvNxt]).toEqual([
      req.iss,
      IRS,
      seqAdd(req.iss, 1),
      seqAdd(req.iss, 1),
      seqAdd(IRS, 1),
    ]);
    expect([c.wscaleOk, c.sndWscale, c.rcvWscale, c.sackOk, c.tstampOk]).toEqual([
      true,
      7,
      7,
      true,
      true,
    ]);
    expect([c.mssClamp, c.advMss, c.sndMss, c.tsOffset, c.tsRecent]).toEqual([
      1460,
      1448,
      1448,
      req.tsOffset,
      PEER_TS + 1,
    ]);
    // The window: the SYN-ACK's 65160, then the ACK's 502 << 7.
    expect([c.rcvWnd, c.sndWnd]).toEqual([65160, 502 * 128]);
    // The RTT sample from the echoed timestamp: 30 ms.
    expect(c.rtt.srtt8Us >> 3).toBe(30_000);
    // One SYN-ACK retransmission: total_retrans 1, and the initial window of a
    // handshake retransmitted once (TCP_INIT_CWND: only more than one costs it).
    expect([c.totalRetrans, c.numTimeout, c.cwnd]).toEqual([1, 1, 10]);
    expect(t.net.counters.TcpRetransSegs).toBe(1);
    expect(t.net.counters.TcpOutSegs).toBe(2);
  });

  test('the SYN-ACK is retransmitted at 1, 3, 7, 15, 31 s; the request is dropped at 63 s', () => {
    const { t, l, req } = synRecv();
    for (const at of [1, 3, 7, 15, 31]) {
      t.expectNothing(s(at) - 1);
      t.expect(s(at), { flags: SYN | ACK, seq: req.iss });
    }
    t.expectNothing(s(63) - 1);
    expect([...l.synQueue.values()]).toEqual([req]);
    t.expectNothing(s(63));
    expect(l.synQueue.size).toBe(0);
    expect(t.net.counters.TcpRetransSegs).toBe(5);
    expect(t.net.counters.TcpAttemptFails).toBe(0);
  });

  test('a retransmitted SYN gets the SYN-ACK again', () => {
    const { t, req } = synRecv();
    t.expect(s(1), { flags: SYN | ACK });
    const r = t.send(ms(1500), SYN_FROM_CLIENT);
    expect(r).toMatchObject({ flags: SYN | ACK, seq: req.iss, ack: seqAdd(IRS, 1) });
  });

  test('an ACK of the wrong sequence number gets a RST; the request stays', () => {
    const { t, l, req } = synRecv();
    const r = t.send(ms(1), { ...finalAck(req), ack: seqAdd(req.iss, 7) });
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(req.iss, 7) });
    expect([...l.synQueue.values()]).toEqual([req]);
    expect(t.conn).toBeUndefined();
  });

  test('a segment out of the window gets a bare ACK with the SYN-ACK window, at most one per 500 ms (tcp_v4_reqsk_send_ack)', () => {
    const { t, l, req } = synRecv();
    const oow = { ...finalAck(req), seq: seqAdd(IRS, 1 + 200_000) };
    const ack = (at: number) => ({
      flags: ACK,
      seq: seqAdd(req.iss, 1),
      ack: seqAdd(IRS, 1),
      // 65160 >> 7.
      window: 509,
      options: [
        TCP_NOP,
        TCP_NOP,
        { kind: 'timestamps', tsVal: (req.tsOffset + at) >>> 0, tsEcr: PEER_TS },
      ],
    });
    expect(t.send(ms(10), oow)).toMatchObject(ack(10));
    expect(t.lastVerdict).toBe('TCP_INVALID_SEQUENCE');
    expect(t.send(ms(20), oow)).toBeUndefined();
    expect(t.net.counters.TcpExtTCPACKSkippedSynRecv).toBe(1);
    expect(t.send(ms(600), oow)).toMatchObject(ack(600));
    expect([...l.synQueue.values()]).toEqual([req]);
  });

  test('a RST in the window ends the request silently (TcpExtEmbryonicRsts)', () => {
    const { t, l, req } = synRecv();
    expect(t.send(ms(1), { ...finalAck(req), flags: RST, options: [] })).toBeUndefined();
    expect(l.synQueue.size).toBe(0);
    expect(t.net.counters.TcpExtEmbryonicRsts).toBe(1);
    expect(t.net.counters.TcpAttemptFails).toBe(1);
    // Its timer went with it.
    t.expectNothing(s(70));
  });

  test('an ICMP error quoting the SYN-ACK: host unreachable drops the request, port unreachable does not', () => {
    const { t, l, req } = synRecv();
    // tcp_req_err: a sequence number other than the ISN is out of window.
    expect(l.handleIcmpError(ms(1), CLIENT, req.localAddr, seqAdd(req.iss, 1), true)).toBe(true);
    expect(t.net.counters.TcpExtOutOfWindowIcmps).toBe(1);
    expect(l.handleIcmpError(ms(2), CLIENT, req.localAddr, req.iss, false)).toBe(true);
    expect(l.synQueue.size).toBe(1);
    expect(l.handleIcmpError(ms(3), CLIENT, req.localAddr, req.iss, true)).toBe(true);
    expect(l.synQueue.size).toBe(0);
    expect(t.net.counters.TcpExtListenDrops).toBe(1);
    t.expectNothing(s(70));
    expect(l.handleIcmpError(ms(4), CLIENT, req.localAddr, req.iss, true)).toBe(false);
  });

  test('a full accept queue drops the final ACK; the SYN-ACK timer brings it back', () => {
    const { t, l } = listening();
    l.backlog = 0;
    // A first connection fills the accept queue: backlog 0 holds one.
    const req1 = requestOf(l.handleSegment(0, SYN_FROM_CLIENT, CLIENT_ADDR, SERVER.addr));
    const first = childOf(l.handleSegment(ms(1), finalAck(req1), CLIENT_ADDR, SERVER.addr));
    while (l.pollTransmit());
    expect(l.acceptQueue).toEqual([first]);
    expect(l.acceptQueueFull()).toBe(true);
    // A second client's handshake: its SYN is dropped while the queue is full...
    const other = { addr: CLIENT.addr, port: 40002 };
    const syn2 = { ...SYN_FROM_CLIENT, srcPort: 40002 };
    expect(l.handleSegment(ms(2), syn2, other, SERVER.addr)).toEqual({
      drop: 'TCP_LISTEN_OVERFLOW',
    });
    // ... and with the queue drained and refilled between its SYN and its ACK, the ACK is dropped.
    l.accept();
    const req = requestOf(l.handleSegment(ms(3), syn2, other, SERVER.addr));
    t.collect(ms(3));
    t.expect(ms(3), { flags: SYN | ACK });
    l.acceptQueue.push(first);
    expect(t.send(ms(4), { ...finalAck(req), srcPort: 40002 })).toBeUndefined();
    expect(t.lastVerdict).toBe('TCP_LISTEN_OVERFLOW');
    expect([...l.synQueue.values()]).toEqual([req]);
    expect(t.net.counters.TcpExtListenOverflows).toBe(2);
    expect(t.net.counters.TcpExtListenDrops).toBe(2);
    // The SYN-ACK goes again after 1 s; the client's duplicate ACK then finds room.
    t.expect(ms(3) + s(1), { flags: SYN | ACK });
    l.accept();
    expect(t.send(ms(1100), { ...finalAck(req), srcPort: 40002 })).toBeUndefined();
    const child = t.c;
    expect(child.state).toBe('ESTABLISHED');
    expect(l.acceptQueue).toEqual([child]);
  });

  test('tcp_abort_on_overflow=1: the final ACK finding the accept queue full gets a RST, the request goes', () => {
    const t = new Tester({ sysctl: tcpSysctl({ tcp_abort_on_overflow: 1 }) });
    const l = t.listen(0);
    const req1 = requestOf(l.handleSegment(0, SYN_FROM_CLIENT, CLIENT_ADDR, SERVER.addr));
    const first = childOf(l.handleSegment(ms(1), finalAck(req1), CLIENT_ADDR, SERVER.addr));
    // The queue drained for the second SYN, refilled before its ACK.
    l.accept();
    const syn2 = { ...SYN_FROM_CLIENT, srcPort: 40002 };
    const req = requestOf(l.handleSegment(ms(2), syn2, { ...CLIENT, port: 40002 }, SERVER.addr));
    l.acceptQueue.push(first);
    while (l.pollTransmit());
    const r = t.send(ms(3), { ...finalAck(req), srcPort: 40002 });
    expect(r).toMatchObject({ flags: RST, seq: seqAdd(req.iss, 1) });
    expect(t.lastVerdict).toBe('TCP_LISTEN_OVERFLOW');
    expect(l.synQueue.size).toBe(0);
    expect(t.net.counters.TcpExtEmbryonicRsts).toBe(1);
    t.expectNothing(s(70));
  });

  test('closing the listener resets the connections never accepted (tcp_disconnect)', () => {
    const { t, l, req } = synRecv();
    t.send(ms(1), finalAck(req));
    const child = t.c;
    l.close(ms(2));
    t.collect(ms(2));
    t.expect(ms(2), { flags: RST | ACK, seq: seqAdd(req.iss, 1), ack: seqAdd(IRS, 1) });
    expect(child.state).toBe('CLOSE');
    expect(l.handleSegment(ms(3), CLIENT_SYN, CLIENT_ADDR, SERVER.addr)).toMatchObject({
      reply: { flags: RST | ACK },
      drop: 'NO_SOCKET',
    });
  });

  test('closing the listener drops its requests silently, their timers with them', () => {
    const { t, l } = synRecv();
    l.close(ms(2));
    expect(l.synQueue.size).toBe(0);
    t.expectNothing(s(70));
  });

  test('the namespace observer hears every state change and every drop', () => {
    const t = new Tester();
    const heard: string[] = [];
    t.net.observer = (e) =>
      heard.push(e.kind === 'state' ? `${e.from}>${e.to}` : `drop ${e.reason}`);
    t.connect(0);
    t.out.length = 0;
    t.send(ms(1), { ...FROM_SERVER, flags: RST });
    t.send(ms(2), { ...FROM_SERVER, seq: seq(0), flags: RST | ACK, ack: seqAdd(ISS, 1) });
    expect(heard).toEqual(['CLOSE>SYN_SENT', 'drop TCP_RESET', 'SYN_SENT>CLOSE']);
    expect(t.net.drops.TCP_RESET).toBe(1);
  });

  test('an ACK to the listener with no request behind it gets a RST', () => {
    const { t, l } = listening();
    const v = l.handleSegment(
      0,
      { ...SYN_FROM_CLIENT, flags: ACK, ack: seq(12345) },
      CLIENT_ADDR,
      1,
    );
    expect(v).toMatchObject({ reply: { flags: RST, seq: seq(12345) }, drop: 'TCP_FLAGS' });
    expect(t.net.counters.TcpOutRsts).toBe(1);
  });

  test('a RST or a SYN|FIN to the listener is dropped', () => {
    const { l } = listening();
    expect(l.handleSegment(0, { ...SYN_FROM_CLIENT, flags: RST }, CLIENT_ADDR, 1)).toEqual({
      drop: 'TCP_RESET',
    });
    expect(l.handleSegment(0, { ...SYN_FROM_CLIENT, flags: SYN | FIN }, CLIENT_ADDR, 1)).toEqual({
      drop: 'TCP_FLAGS',
    });
  });
});

describe('ESTABLISHED right after the handshake', () => {
  test('established fixture: the RTO timer is off and nothing is sent for a long time', () => {
    const t = established();
    t.expectNothing(s(7200));
  });

  test('a retransmitted SYN-ACK gets a challenge ACK (RFC 5961 4.2)', () => {
    const t = established();
    const r = t.send(s(1), synAckFromServer(ourTs(0)));
    expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 1) });
    expect(t.lastVerdict).toBe('TCP_INVALID_SYN');
    expect(t.net.counters.TcpExtTCPSYNChallenge).toBe(1);
    expect(t.net.counters.TcpExtTCPChallengeACK).toBe(1);
    // Another within 500 ms is not answered (tcp_invalid_ratelimit).
    expect(t.send(ms(1200), synAckFromServer(ourTs(0)))).toBeUndefined();
    expect(t.net.counters.TcpExtTCPACKSkippedChallenge).toBe(1);
    expect(t.send(ms(1600), fromServer())).toBeUndefined();
  });
});
