/**
 * SYN cookies (Linux syncookies.c, tcp_conn_request, cookie_v4_check): the
 * stateless SYN-ACK of tcp_syncookies=2 (or of a full SYN queue), the options
 * a cookie keeps in the TS value, and the connection made from the ACK that
 * brings it back. packetdrill-tcplab/syncookies/ pins the same on Linux 6.18.
 */

import { describe, expect, test } from 'vitest';
import { s } from '../../src/sim/time.js';
import {
  cookieInitTimestamp,
  cookieMssIndex,
  cookieTimestampDecode,
  MSSTAB,
} from '../../src/tcp/syncookies.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, RST, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { CLIENT_SYN } from './fixtures.js';
import { CLIENT, FROM_CLIENT, IRS, PEER_TS, SERVER, Tester } from './harness.js';

function cookieListener(changes = {}) {
  const t = new Tester({ sysctl: tcpSysctl({ tcp_syncookies: 2, ...changes }) });
  const l = t.listen(16);
  return { t, l };
}

function synAckOf(
  v: ReturnType<ReturnType<typeof cookieListener>['l']['handleSegment']>,
): TcpSegment {
  if (!('cookie' in v)) throw new Error(`not a cookie: ${JSON.stringify(Object.keys(v))}`);
  return v.reply;
}

function tsOf(seg: TcpSegment) {
  const o = seg.options.find((x) => x.kind === 'timestamps');
  return o?.kind === 'timestamps' ? o : undefined;
}

describe('the cookie SYN-ACK (tcp_syncookies=2)', () => {
  test('the usual option layout; no request is kept', () => {
    const { t, l } = cookieListener();
    const synAck = synAckOf(l.handleSegment(0, CLIENT_SYN, CLIENT, SERVER.addr));
    expect(synAck.flags).toBe(SYN | ACK);
    expect(synAck.ack).toBe(seqAdd(IRS, 1));
    expect(synAck.options.map((o) => o.kind)).toEqual([
      'mss',
      'sackPermitted',
      'timestamps',
      'nop',
      'wscale',
    ]);
    expect(tsOf(synAck)!.tsEcr).toBe(PEER_TS);
    expect(l.synQueue.size).toBe(0);
    expect(t.net.counters.TcpExtSyncookiesSent).toBe(1);
  });

  test('without timestamps only the MSS: no SACK, no window scaling', () => {
    const { l } = cookieListener();
    const syn = {
      ...CLIENT_SYN,
      options: [
        { kind: 'mss' as const, mss: 1000 },
        { kind: 'sackPermitted' as const },
        { kind: 'wscale' as const, shift: 7 },
      ],
    };
    const synAck = synAckOf(l.handleSegment(0, syn, CLIENT, SERVER.addr));
    expect(synAck.options).toEqual([{ kind: 'mss', mss: 1460 }]);
  });

  test('msstab: the largest entry the peer allows (1000 → 536, 1460 → 1460)', () => {
    expect(MSSTAB).toEqual([536, 1300, 1440, 1460]);
    expect([100, 1000, 1300, 1459, 1460, 9000].map((m) => MSSTAB[cookieMssIndex(m)])).toEqual([
      536, 536, 1300, 1440, 1460, 1460,
    ]);
  });

  test('cookie_init_timestamp: the options in the low 6 bits, never ahead of the clock', () => {
    const ts = cookieInitTimestamp(s(10), 7, true);
    expect(ts).toBeLessThanOrEqual(10_000);
    expect(ts & 63).toBe(7 | 16);
    expect(cookieTimestampDecode(ts)).toEqual({ wscale: 7, sack: true });
    expect(cookieTimestampDecode(cookieInitTimestamp(s(10), undefined, false))).toEqual({
      wscale: undefined,
      sack: false,
    });
  });
});

describe('the ACK that brings the cookie back', () => {
  test('3 s later it makes an established connection with the options the cookie kept', () => {
    const { t, l } = cookieListener();
    const synAck = synAckOf(l.handleSegment(0, CLIENT_SYN, CLIENT, SERVER.addr));
    const ack: TcpSegment = {
      ...FROM_CLIENT,
      ack: seqAdd(synAck.seq, 1),
      window: 502,
      options: [
        { kind: 'nop' },
        { kind: 'nop' },
        { kind: 'timestamps', tsVal: PEER_TS + 3000, tsEcr: tsOf(synAck)!.tsVal },
      ],
    };
    const v = l.handleSegment(s(3), ack, CLIENT, SERVER.addr);
    if (!('child' in v)) throw new Error('no connection');
    const c = v.child;
    expect(c.state).toBe('ESTABLISHED');
    expect(l.acceptQueue).toEqual([c]);
    expect(c.sackOk).toBe(true);
    expect(c.tstampOk).toBe(true);
    expect(c.sndWscale).toBe(7);
    expect(c.sndWnd).toBe(502 << 7);
    expect(c.sndMss).toBe(1448);
    expect(c.pollTransmit()).toBeUndefined();
    expect(t.net.counters.TcpExtSyncookiesRecv).toBe(1);
    // Two segments in (the SYN and the ACK), each counted once.
    expect(t.net.counters.TcpInSegs).toBe(2);
  });

  test('a cookie for an MSS of 1000 gives 536; no timestamps: no SACK, no window scaling', () => {
    const { l } = cookieListener();
    const syn = {
      ...CLIENT_SYN,
      options: [
        { kind: 'mss' as const, mss: 1000 },
        { kind: 'sackPermitted' as const },
        { kind: 'wscale' as const, shift: 7 },
      ],
    };
    const synAck = synAckOf(l.handleSegment(0, syn, CLIENT, SERVER.addr));
    const v = l.handleSegment(
      s(0.01),
      { ...FROM_CLIENT, ack: seqAdd(synAck.seq, 1), window: 65535 },
      CLIENT,
      SERVER.addr,
    );
    if (!('child' in v)) throw new Error('no connection');
    expect(v.child.sndMss).toBe(536);
    expect(v.child.sackOk).toBe(false);
    expect(v.child.wscaleOk).toBe(false);
    expect(v.child.sndWnd).toBe(65535);
  });

  test('a wrong cookie gets the RST of an ACK to a listener (TcpExtSyncookiesFailed)', () => {
    const { t, l } = cookieListener();
    const synAck = synAckOf(l.handleSegment(0, CLIENT_SYN, CLIENT, SERVER.addr));
    const v = l.handleSegment(
      s(1),
      { ...FROM_CLIENT, ack: seqAdd(synAck.seq, 2) },
      CLIENT,
      SERVER.addr,
    );
    expect('reply' in v && v.reply.flags).toBe(RST);
    expect(t.net.counters.TcpExtSyncookiesFailed).toBe(1);
  });

  test('a cookie older than two minutes is refused', () => {
    const { l } = cookieListener();
    const synAck = synAckOf(l.handleSegment(0, CLIENT_SYN, CLIENT, SERVER.addr));
    const v = l.handleSegment(
      s(200),
      { ...FROM_CLIENT, ack: seqAdd(synAck.seq, 1) },
      CLIENT,
      SERVER.addr,
    );
    expect('reply' in v && v.reply.flags).toBe(RST);
  });

  test('with tcp_syncookies=1 and no recent overflow, an ACK is no cookie', () => {
    const t = new Tester({ sysctl: tcpSysctl({ tcp_syncookies: 1 }) });
    const l = t.listen(16);
    const v = l.handleSegment(0, { ...FROM_CLIENT, flags: ACK }, CLIENT, SERVER.addr);
    expect('reply' in v && v.reply.flags).toBe(RST);
    expect(t.net.counters.TcpExtSyncookiesFailed).toBe(0);
  });

  test('tcp_syncookies=1: a full SYN queue (backlog + 1 requests) answers with cookies instead of dropping', () => {
    const t = new Tester({ sysctl: tcpSysctl({ tcp_syncookies: 1 }) });
    const l = t.listen(1);
    expect('request' in l.handleSegment(0, CLIENT_SYN, CLIENT, SERVER.addr)).toBe(true);
    const second = { addr: CLIENT.addr, port: CLIENT.port + 2 };
    expect(
      'request' in l.handleSegment(0, { ...CLIENT_SYN, srcPort: second.port }, second, SERVER.addr),
    ).toBe(true);
    const other = { addr: CLIENT.addr, port: CLIENT.port + 1 };
    const v = l.handleSegment(0, { ...CLIENT_SYN, srcPort: other.port }, other, SERVER.addr);
    expect('cookie' in v).toBe(true);
    expect(t.net.counters.TcpExtTCPReqQFullDoCookies).toBe(1);
  });
});
