/**
 * A listener under pressure (Linux tcp_conn_request, tcp_check_req,
 * reqsk_timer_handler, tcp_syn_flood_action): how many requests the SYN queue
 * and how many connections the accept queue hold, what happens to the SYNs
 * and final ACKs they have no room for, SYN-ACK retransmission and the
 * pruning of old requests, and SYN cookies standing in for the SYN queue.
 * Many peers at once: each test drives one Listener and the children it makes.
 * The queue sizes and the pruning were checked on Linux 6.18 with
 * listen-pressure-linux.py (its docstring has what it printed).
 */

import { describe, expect, test } from 'vitest';
import { Random } from '../../src/sim/random.js';
import { ms, s, type Time } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { TCP_COUNTER_NAMES } from '../../src/tcp/counters.js';
import { Listener, type ListenVerdict, type RequestSock } from '../../src/tcp/listen.js';
import { TcpNet } from '../../src/tcp/net.js';
import { type TcpSysctl, tcpSysctl } from '../../src/tcp/sysctl.js';
import { type Seq, seqAdd } from '../../src/wire/seq.js';
import { ACK, formatTcp, PSH, RST, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { CLIENT_SYN } from './fixtures.js';
import {
  bytes,
  CLIENT,
  FROM_CLIENT,
  IRS,
  matchSegment,
  PEER_TS,
  SERVER,
  type SegmentMatch,
  tsOpt,
} from './harness.js';

interface Out {
  readonly time: Time;
  readonly port: number;
  readonly seg: TcpSegment;
}

/**
 * One listener and many clients, all from CLIENT.addr, told apart by port.
 * Every segment the listener or a child sends is kept with its time and
 * client port; `expect` and `expectNothing` work as the one-connection
 * harness's do, over all of them.
 */
class ListenDriver {
  readonly net: TcpNet;
  readonly l: Listener;
  readonly log: string[] = [];
  readonly requests = new Map<number, RequestSock>();
  readonly children = new Map<number, Connection>();
  readonly out: Out[] = [];
  now: Time = 0;

  constructor(backlog: number, sysctl: Partial<TcpSysctl> = {}) {
    this.net = new TcpNet({ random: new Random(1), sysctl: tcpSysctl(sysctl), timerWheel: false });
    this.net.printk = (now, level, text) => this.log.push(`${now} ${level} ${text}`);
    this.l = new Listener(this.net, { local: { addr: 0, port: SERVER.port }, backlog });
  }

  get counters() {
    return this.net.counters;
  }

  /** The request sock the SYN of `port` made. */
  req(port: number): RequestSock {
    const r = this.requests.get(port);
    if (r === undefined) throw new Error(`no request for ${port}`);
    return r;
  }

  /** Whether `port`'s request is (still) in the SYN queue. */
  queued(port: number): boolean {
    return [...this.l.synQueue.values()].some((r) => r.remotePort === port);
  }

  /** The connection of `port`, made when its handshake completed. */
  child(port: number): Connection {
    const c = this.children.get(port);
    if (c === undefined) throw new Error(`no child for ${port}`);
    return c;
  }

  #collect(t: Time): void {
    for (let x = this.l.pollTransmit(); x; x = this.l.pollTransmit()) {
      this.out.push({ time: t, port: x.seg.dstPort, seg: x.seg });
    }
    for (const [port, c] of this.children) {
      for (let seg = c.pollTransmit(); seg; seg = c.pollTransmit())
        this.out.push({ time: t, port, seg });
    }
  }

  /** Runs the requests' and every child's timers due up to `t`, in time order. */
  advance(t: Time): void {
    if (t < this.now) throw new Error(`time goes backwards: ${t} < ${this.now}`);
    for (;;) {
      let next: Connection | Listener | undefined;
      let at = Number.POSITIVE_INFINITY;
      const dl = this.l.nextDeadline();
      if (dl !== undefined) {
        at = dl;
        next = this.l;
      }
      for (const c of this.children.values()) {
        const d = c.nextDeadline();
        if (d !== undefined && d < at) {
          at = d;
          next = c;
        }
      }
      if (next === undefined || at > t) break;
      this.now = at;
      next.handleTimeout(at);
      this.#collect(at);
    }
    this.now = t;
  }

  /** A segment from client `port` at `t`; returns the listener's verdict. */
  send(t: Time, port: number, seg: Partial<TcpSegment>): ListenVerdict {
    this.advance(t);
    const full: TcpSegment = { ...FROM_CLIENT, ...seg, srcPort: port };
    const v = this.l.handleSegment(t, full, { addr: CLIENT.addr, port }, SERVER.addr);
    if ('request' in v) this.requests.set(port, v.request);
    if ('child' in v) this.children.set(port, v.child);
    if ('reply' in v) this.out.push({ time: t, port, seg: v.reply });
    this.#collect(t);
    return v;
  }

  /** Client `port`'s SYN (Linux options, its ISN IRS + port). */
  syn(t: Time, port: number): ListenVerdict {
    return this.send(t, port, { ...CLIENT_SYN, seq: this.irs(port) });
  }

  irs(port: number): Seq {
    return seqAdd(IRS, port);
  }

  /** Client `port`'s ACK of our SYN-ACK `synAckSeq` (its ISS), with `payload`. */
  ack(t: Time, port: number, iss: Seq, payload: Uint8Array = new Uint8Array(0)): ListenVerdict {
    return this.send(t, port, {
      seq: seqAdd(this.irs(port), 1),
      ack: seqAdd(iss, 1),
      flags: payload.length > 0 ? ACK | PSH : ACK,
      window: 502,
      options: tsOpt(PEER_TS + Math.floor(t / 1e6), 0),
      payload,
    });
  }

  /** The handshake of client `port` at `t`: SYN, SYN-ACK, ACK; returns the connection. */
  handshake(t: Time, port: number): Connection {
    this.syn(t, port);
    const r = this.req(port);
    this.take();
    this.ack(t, port, r.iss);
    const c = this.child(port);
    expect(c.state).toBe('ESTABLISHED');
    expect(c.id).toBe(r.id);
    return c;
  }

  take(): Out[] {
    return this.out.splice(0, this.out.length);
  }

  expectNothing(t: Time): void {
    this.advance(t);
    expect(this.take().map(show), `nothing up to ${t} ns`).toEqual([]);
  }

  /** Exactly the segments `want` (client port, fields), sent at `t`, and nothing before. */
  expect(t: Time, want: readonly [number, SegmentMatch][]): TcpSegment[] {
    this.advance(t);
    const got = this.take();
    expect(
      got.map((o) => [o.time, o.port]),
      got.map(show).join('\n'),
    ).toEqual(want.map(([port]) => [t, port]));
    for (const [i, o] of got.entries()) matchSegment(o.seg, want[i]![1]);
    return got.map((o) => o.seg);
  }
}

function show(o: Out): string {
  return `${o.time}ns :${o.port} ${formatTcp(o.seg)}`;
}

const SYN_ACK = { flags: SYN | ACK } as const;
const PORTS = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('the SYN queue: backlog + 1 requests (inet_csk_reqsk_queue_is_full tests `>`)', () => {
  test('tcp_syncookies=0: backlog 3 takes 4 requests; the 5th SYN is dropped silently (TCPReqQFullDrop, ListenDrops)', () => {
    const d = new ListenDriver(3, { tcp_syncookies: 0 });
    for (const p of PORTS(40001, 4)) {
      expect('request' in d.syn(0, p)).toBe(true);
      d.expect(0, [[p, { ...SYN_ACK, ack: seqAdd(d.irs(p), 1) }]]);
    }
    expect(d.syn(0, 40005)).toEqual({ drop: 'TCP_LISTEN_OVERFLOW' });
    expect(d.syn(ms(1), 40006)).toEqual({ drop: 'TCP_LISTEN_OVERFLOW' });
    d.expectNothing(ms(1));
    expect(d.l.synQueue.size).toBe(4);
    expect(d.counters.TcpExtTCPReqQFullDrop).toBe(2);
    expect(d.counters.TcpExtListenDrops).toBe(2);
    expect(d.counters.TcpExtListenOverflows).toBe(0);
    expect(d.counters.TcpExtTCPReqQFullDoCookies).toBe(0);
    // tcp_syn_flood_action: once per listener.
    expect(d.log).toEqual([
      '0 info TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Dropping request.',
    ]);
  });

  test('tcp_syncookies=1: backlog 3 takes 4 requests, then answers with cookies (no request kept)', () => {
    const d = new ListenDriver(3, { tcp_syncookies: 1 });
    for (const p of PORTS(40001, 4)) d.syn(0, p);
    d.take();
    const v = d.syn(ms(5), 40005);
    expect('cookie' in v).toBe(true);
    d.expect(ms(5), [[40005, { ...SYN_ACK, ack: seqAdd(d.irs(40005), 1) }]]);
    expect(d.l.synQueue.size).toBe(4);
    expect(d.counters.TcpExtTCPReqQFullDoCookies).toBe(1);
    expect(d.counters.TcpExtSyncookiesSent).toBe(1);
    expect(d.counters.TcpExtListenDrops).toBe(0);
    d.syn(ms(6), 40006);
    expect(d.counters.TcpExtSyncookiesSent).toBe(2);
    expect(d.log).toEqual([
      `${ms(5)} info TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.`,
    ]);
  });

  test('a listener bound to an address names it in the log line', () => {
    const net = new TcpNet({ random: new Random(1), sysctl: tcpSysctl({}) });
    const log: string[] = [];
    net.printk = (_now, _level, text) => log.push(text);
    const l = new Listener(net, { local: SERVER, backlog: 0 });
    for (const port of [40001, 40002]) {
      l.handleSegment(0, { ...CLIENT_SYN, srcPort: port }, { ...CLIENT, port }, SERVER.addr);
    }
    expect(log).toEqual([
      'TCP: request_sock_TCP: Possible SYN flooding on port 192.168.0.22:80. Sending cookies.',
    ]);
  });

  test('tcp_syncookies=2: every SYN gets a cookie, even into an empty queue; nothing is logged', () => {
    const d = new ListenDriver(3, { tcp_syncookies: 2 });
    for (const p of PORTS(40001, 3)) {
      expect('cookie' in d.syn(0, p)).toBe(true);
    }
    expect(d.take()).toHaveLength(3);
    expect(d.l.synQueue.size).toBe(0);
    expect(d.counters.TcpExtTCPReqQFullDoCookies).toBe(3);
    expect(d.counters.TcpExtSyncookiesSent).toBe(3);
    expect(d.log).toEqual([]);
  });

  test('backlog 0 still takes one request and one connection', () => {
    const d = new ListenDriver(0, { tcp_syncookies: 0 });
    d.handshake(0, 40001);
    expect(d.l.acceptQueue).toHaveLength(1);
    expect('request' in d.syn(ms(1), 40002)).toBe(false);
    d.l.accept();
    expect('request' in d.syn(ms(2), 40003)).toBe(true);
    expect('request' in d.syn(ms(2), 40004)).toBe(false);
  });
});

describe('tcp_max_syn_backlog: without cookies, the last quarter is kept for proven peers', () => {
  test('tcp_max_syn_backlog=8: the SYN that finds 7 requests (fewer than 8/4 places free) is dropped', () => {
    const d = new ListenDriver(100, { tcp_syncookies: 0, tcp_max_syn_backlog: 8 });
    for (const p of PORTS(40001, 7)) expect('request' in d.syn(0, p)).toBe(true);
    expect(d.syn(0, 40008)).toEqual({ drop: 'TCP_LISTEN_OVERFLOW' });
    expect(d.l.synQueue.size).toBe(7);
    // pr_drop_req: ListenDrops only; the queue itself is not full.
    expect(d.counters.TcpExtListenDrops).toBe(1);
    expect(d.counters.TcpExtTCPReqQFullDrop).toBe(0);
    expect(d.log).toEqual([]);
  });

  test('with cookies on, only the backlog bounds the SYN queue: tcp_max_syn_backlog=8, backlog 16 → 17 requests', () => {
    const d = new ListenDriver(16, { tcp_syncookies: 1, tcp_max_syn_backlog: 8 });
    for (const p of PORTS(40001, 17)) expect('request' in d.syn(0, p)).toBe(true);
    expect('cookie' in d.syn(0, 40018)).toBe(true);
    expect(d.l.synQueue.size).toBe(17);
  });
});

describe('SYN-ACK retransmission (reqsk_timer_handler)', () => {
  test('tcp_synack_retries=2: SYN-ACKs at 1 and 3 s; the request is dropped silently at 7 s', () => {
    const d = new ListenDriver(16, { tcp_synack_retries: 2 });
    d.syn(0, 40001);
    const iss = d.req(40001).iss;
    d.take();
    d.expectNothing(s(1) - 1);
    d.expect(s(1), [[40001, { ...SYN_ACK, seq: iss }]]);
    d.expectNothing(s(3) - 1);
    d.expect(s(3), [[40001, { ...SYN_ACK, seq: iss }]]);
    d.expectNothing(s(7) - 1);
    expect(d.queued(40001)).toBe(true);
    d.expectNothing(s(7));
    expect(d.queued(40001)).toBe(false);
    expect(d.l.synQueue.size).toBe(0);
    expect(d.counters.TcpExtTCPSynRetrans).toBe(2);
    expect(d.counters.TcpRetransSegs).toBe(2);
    // tcp_syn_ack_timeout counts the last expiry too.
    expect(d.counters.TcpExtTCPTimeouts).toBe(3);
  });

  test('a queue at most half full (8 requests, backlog 16): every request gets its 5 retries', () => {
    const d = new ListenDriver(16);
    for (const p of PORTS(40001, 8)) d.syn(0, p);
    d.take();
    for (const at of [1, 3, 7, 15, 31]) {
      d.expectNothing(s(at) - 1);
      d.expect(
        s(at),
        PORTS(40001, 8).map((p) => [p, SYN_ACK]),
      );
    }
    d.expectNothing(s(63) - 1);
    expect(d.l.synQueue.size).toBe(8);
    d.expectNothing(s(63));
    expect(d.l.synQueue.size).toBe(0);
  });

  test('more than half full (12 of backlog 20), no young requests: at 7 s old ones die until the queue is half full', () => {
    const d = new ListenDriver(20);
    const all = PORTS(40001, 12);
    for (const p of all) d.syn(0, p);
    d.take();
    d.expect(
      s(1),
      all.map((p) => [p, SYN_ACK]),
    );
    expect(d.l.young).toBe(0);
    // qlen 12 > 20 / 2 and no young requests: two retries only for each of them...
    d.expect(
      s(3),
      all.map((p) => [p, SYN_ACK]),
    );
    d.expectNothing(s(7) - 1);
    expect(d.l.synQueue.size).toBe(12);
    // ... so at 7 s two expire (qlen 12, 11) and the other ten, the queue now
    // half full, get their third SYN-ACK (Linux 6.18: the same counts; which
    // two die is the order timers of one wheel bucket fire in, newest first
    // there, in arming order here).
    d.advance(s(7));
    const at7 = d.take();
    expect(at7.map((o) => [o.time, o.seg.flags])).toEqual(Array(10).fill([s(7), SYN | ACK]));
    expect(d.l.synQueue.size).toBe(10);
    expect(new Set(at7.map((o) => o.port))).toEqual(
      new Set([...d.l.synQueue.values()].map((c) => c.remote.port)),
    );
    expect(d.counters.TcpExtTCPTimeouts).toBe(12 * 3);
  });

  test('young requests keep old ones alive: with 8 new at 6.5 s, all 12 old get their SYN-ACK at 7 s', () => {
    const d = new ListenDriver(20);
    const old = PORTS(40001, 12);
    for (const p of old) d.syn(0, p);
    d.advance(s(6.5));
    d.take();
    const young = PORTS(41001, 8);
    for (const p of young) d.syn(s(6.5), p);
    d.take();
    expect(d.l.young).toBe(8);
    // qlen 20, young 8: "qlen < young << 2" stops the pruning at 4 retries.
    d.expect(
      s(7),
      old.map((p) => [p, SYN_ACK]),
    );
    d.expect(
      s(7.5),
      young.map((p) => [p, SYN_ACK]),
    );
    expect(d.l.synQueue.size).toBe(20);
  });

  test('a retransmitted SYN gets the SYN-ACK again, counted as a SYN retransmission', () => {
    const d = new ListenDriver(16);
    d.syn(0, 40001);
    const iss = d.req(40001).iss;
    d.take();
    d.syn(ms(500), 40001);
    d.expect(ms(500), [[40001, { ...SYN_ACK, seq: iss }]]);
    expect(d.counters.TcpExtTCPSynRetrans).toBe(1);
  });
});

describe('the accept queue: backlog + 1 connections (sk_acceptq_is_full tests `>`)', () => {
  /**
   * linux-traces/accept-queue-overflow with backlog 1: A (40001) is
   * established, B (40002) and C (40003) send their SYNs together, B's ACK
   * fills the accept queue (two waiting); C's request waits for its ACK.
   */
  function fullAfterB(d: ListenDriver): ListenDriver {
    d.handshake(0, 40001);
    d.syn(0, 40002);
    d.syn(0, 40003);
    d.take();
    d.ack(0, 40002, d.req(40002).iss);
    expect(d.l.acceptQueue).toHaveLength(2);
    expect(d.l.acceptQueueFull()).toBe(true);
    return d;
  }

  test('backlog 2 holds 3; then SYNs are dropped silently, even with cookies (ListenOverflows, ListenDrops)', () => {
    for (const syncookies of [0, 1, 2]) {
      const d = new ListenDriver(2, { tcp_syncookies: syncookies });
      for (const p of PORTS(40001, 3)) {
        if (syncookies === 2) {
          // Every handshake through a cookie.
          d.syn(0, p);
          const synAck = d.take()[0]!.seg;
          expect('child' in d.ack(0, p, synAck.seq)).toBe(true);
        } else {
          d.handshake(0, p);
        }
      }
      d.take();
      expect(d.l.acceptQueue).toHaveLength(3);
      expect(d.syn(ms(1), 40004)).toEqual({ drop: 'TCP_LISTEN_OVERFLOW' });
      d.expectNothing(ms(1));
      expect(d.counters.TcpExtListenOverflows).toBe(1);
      expect(d.counters.TcpExtListenDrops).toBe(1);
      expect(d.counters.TcpExtSyncookiesSent).toBe(syncookies === 2 ? 3 : 0);
    }
  });

  test('tcp_abort_on_overflow=0: the final ACK and the data after it are dropped; the SYN-ACK returns at 1 s; the next ACK after accept() completes the handshake', () => {
    const d = fullAfterB(new ListenDriver(1));
    const b = d.req(40003);
    // The client thinks it is connected: its ACK, then its data.
    expect(d.ack(ms(100), 40003, b.iss)).toEqual({ drop: 'TCP_LISTEN_OVERFLOW' });
    expect(d.ack(ms(600), 40003, b.iss, bytes('hello'))).toEqual({ drop: 'TCP_LISTEN_OVERFLOW' });
    expect(d.queued(40003)).toBe(true);
    expect(d.children.has(40003)).toBe(false);
    expect(d.counters.TcpExtListenOverflows).toBe(2);
    expect(d.counters.TcpExtListenDrops).toBe(2);
    d.expectNothing(s(1) - 1);
    d.expect(s(1), [[40003, { ...SYN_ACK, seq: b.iss, ack: seqAdd(d.irs(40003), 1) }]]);
    // Room appears; the client's retransmitted data completes the handshake and is taken.
    d.l.accept();
    d.ack(s(1.2), 40003, b.iss, bytes('hello'));
    const c = d.child(40003);
    expect(c.state).toBe('ESTABLISHED');
    expect(d.l.acceptQueue.map((x) => x.remote.port)).toEqual([40002, 40003]);
    expect(c.readable).toBe(5);
    d.expect(s(1.2), [[40003, { flags: ACK, ack: seqAdd(d.irs(40003), 6) }]]);
  });

  test('tcp_abort_on_overflow=0 and the queue never drains: every SYN-ACK answered, the request dies at 63 s', () => {
    const d = fullAfterB(new ListenDriver(1));
    const b = d.req(40003);
    d.ack(0, 40003, b.iss);
    for (const at of [1, 3, 7, 15, 31]) {
      d.expect(s(at), [[40003, SYN_ACK]]);
      d.ack(s(at), 40003, b.iss);
    }
    d.expectNothing(s(63) - 1);
    expect(d.queued(40003)).toBe(true);
    d.expectNothing(s(63));
    expect(d.queued(40003)).toBe(false);
    expect(d.l.synQueue.size).toBe(0);
    expect(d.counters.TcpExtListenOverflows).toBe(6);
  });

  test('tcp_abort_on_overflow=1: the final ACK is answered with a RST and the request is gone', () => {
    const d = fullAfterB(new ListenDriver(1, { tcp_abort_on_overflow: 1 }));
    const b = d.req(40003);
    d.ack(ms(100), 40003, b.iss);
    d.expect(ms(100), [
      [40003, { flags: RST, seq: seqAdd(b.iss, 1), window: 0, payload: new Uint8Array(0) }],
    ]);
    expect(d.queued(40003)).toBe(false);
    expect(d.l.synQueue.size).toBe(0);
    expect(d.counters.TcpExtListenOverflows).toBe(1);
    expect(d.counters.TcpExtListenDrops).toBe(1);
    expect(d.counters.TcpExtEmbryonicRsts).toBe(1);
    expect(d.counters.TcpOutRsts).toBe(1);
    d.expectNothing(s(64));
  });
});

describe('SYN cookies: the minute counter and forged ACKs', () => {
  function cookie(d: ListenDriver, t: Time, port: number): Seq {
    expect('cookie' in d.syn(t, port)).toBe(true);
    return d.take()[0]!.seg.seq;
  }

  test('a cookie is taken while its minute counter is at most one behind: made at 0, good at 119.996 s, refused at 120 s', () => {
    const good = new ListenDriver(16, { tcp_syncookies: 2 });
    const iss = cookie(good, 0, 40001);
    expect('child' in good.ack(s(120) - ms(4), 40001, iss)).toBe(true);
    const late = new ListenDriver(16, { tcp_syncookies: 2 });
    const iss2 = cookie(late, 0, 40001);
    const v = late.ack(s(120), 40001, iss2);
    expect(v).toMatchObject({ reply: { flags: RST, seq: seqAdd(iss2, 1) }, drop: 'TCP_FLAGS' });
    expect(late.counters.TcpExtSyncookiesFailed).toBe(1);
  });

  test("a forged cookie, or one made for another port, gets the listener's RST (SyncookiesFailed)", () => {
    const d = new ListenDriver(16, { tcp_syncookies: 2 });
    const iss = cookie(d, 0, 40001);
    for (const [port, ack] of [
      [40001, seqAdd(iss, 1 << 24)],
      [40002, iss],
    ] as const) {
      const v = d.ack(ms(10), port, ack);
      expect(v).toMatchObject({ reply: { flags: RST, seq: seqAdd(ack, 1) } });
    }
    expect(d.counters.TcpExtSyncookiesFailed).toBe(2);
    expect(d.counters.TcpExtSyncookiesRecv).toBe(0);
    expect(d.l.acceptQueue).toHaveLength(0);
  });

  test('tcp_syncookies=1: cookies are taken back for 2 minutes after the last overflow, then an ACK is just an ACK', () => {
    const d = new ListenDriver(0, { tcp_syncookies: 1 });
    d.syn(0, 40001);
    const iss = cookie(d, ms(1), 40002);
    // Still within TCP_SYNCOOKIE_VALID of the overflow at 1 ms: checked, and wrong.
    d.ack(s(120), 40003, iss);
    expect(d.counters.TcpExtSyncookiesFailed).toBe(1);
    // Past it: not even checked.
    d.ack(s(120) + ms(2), 40003, iss);
    expect(d.counters.TcpExtSyncookiesFailed).toBe(1);
  });
});

test('the counters of this behaviour exist under the names nstat prints', () => {
  for (const name of [
    'TcpExtListenOverflows',
    'TcpExtListenDrops',
    'TcpExtSyncookiesSent',
    'TcpExtSyncookiesRecv',
    'TcpExtSyncookiesFailed',
    'TcpExtTCPReqQFullDrop',
    'TcpExtTCPReqQFullDoCookies',
    'TcpExtTCPSynRetrans',
    'TcpExtTCPTimeouts',
    'TcpExtEmbryonicRsts',
  ]) {
    expect(TCP_COUNTER_NAMES).toContain(name);
  }
});

describe('peers on one source port: each request is found by its address and port', () => {
  // The listener skips the SYN queue's map for a port no request has; these
  // share one port, 300 of them past what its count holds (255 stays "maybe").
  const PORT = 50000;
  const addr = (i: number) => (0x0a010000 + i) >>> 0;
  test.each([2, 300])('%i requests complete, last first, then an ACK finds none', (n) => {
    const net = new TcpNet({ random: new Random(1), sysctl: tcpSysctl({}), timerWheel: false });
    const l = new Listener(net, { local: { addr: 0, port: SERVER.port }, backlog: 1000 });
    const reqs = PORTS(0, n).map((i) => {
      const syn = { ...CLIENT_SYN, srcPort: PORT, seq: seqAdd(IRS, i) };
      const v = l.handleSegment(0, syn, { addr: addr(i), port: PORT }, SERVER.addr);
      if (!('request' in v)) throw new Error(`SYN ${i}: ${JSON.stringify(v)}`);
      return v.request;
    });
    expect(l.synQueue.size).toBe(n);
    const ack = (i: number): TcpSegment => ({
      ...FROM_CLIENT,
      srcPort: PORT,
      seq: seqAdd(IRS, i + 1),
      ack: seqAdd(reqs[i]!.iss, 1),
      flags: ACK,
      window: 502,
      options: tsOpt(PEER_TS, 0),
      payload: new Uint8Array(0),
    });
    for (let i = n - 1; i >= 0; i--) {
      const v = l.handleSegment(ms(1), ack(i), { addr: addr(i), port: PORT }, SERVER.addr);
      expect('child' in v && v.child.state, `ACK ${i}`).toBe('ESTABLISHED');
      expect(l.synQueue.size).toBe(i);
    }
    const v = l.handleSegment(ms(2), ack(0), { addr: addr(0), port: PORT }, SERVER.addr);
    expect('reply' in v && v.reply.flags).toBe(RST);
  });
});
