/**
 * A harness for driving one connection by hand, in the style of smoltcp's socket
 * tests: `send(t, seg)` delivers a segment at virtual time t and returns the one
 * reply, `expect(t, seg)` says exactly one segment leaves at t and nothing
 * before, `expectNothing(t)` says nothing leaves up to t. Segments are written
 * as templates with spread: `{ ...FROM_SERVER, flags: ACK, ack: seqAdd(ISS, 1) }`.
 *
 * Times are virtual nanoseconds; `ms(…)`, `s(…)` from src/sim make them.
 */

import { expect as vexpect } from 'vitest';
import { Random } from '../../src/sim/random.js';
import type { Time } from '../../src/sim/time.js';
import { Connection, type TcpEvent } from '../../src/tcp/connection.js';
import { Listener, type RequestSock } from '../../src/tcp/listen.js';
import { TcpNet } from '../../src/tcp/net.js';
import { LINUX_TCP_SYSCTL, type TcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { type Seq, seq, seqAdd } from '../../src/wire/seq.js';
import { ACK, formatTcp, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { TCP_NOP, TCP_SACK_PERMITTED, type TcpOption } from '../../src/wire/tcp-options.js';

export const EMPTY = new Uint8Array(0);
export const CLIENT = { addr: ipv4Address(192, 168, 0, 21), port: 40001 };
export const SERVER = { addr: ipv4Address(192, 168, 0, 22), port: 80 };

/** Our initial sequence number and timestamp offset in the tests. */
export const ISS = seq(1_000_000);
export const TS_OFFSET = 50_000;
/** The peer's. */
export const IRS = seq(7_000_000);
export const PEER_TS = 900_000;

/** Our TSval at `t` (RFC 7323: milliseconds plus the offset). */
export function ourTs(t: Time): number {
  return TS_OFFSET + Math.floor(t / 1e6);
}

export function tsOpt(tsVal: number, tsEcr: number): TcpOption[] {
  return [TCP_NOP, TCP_NOP, { kind: 'timestamps', tsVal, tsEcr }];
}

/** The options of a Linux SYN: mss, sackOK, TS, nop, wscale. */
export function synOpts(mss: number, tsVal: number, tsEcr: number, wscale: number): TcpOption[] {
  return [
    { kind: 'mss', mss },
    TCP_SACK_PERMITTED,
    { kind: 'timestamps', tsVal, tsEcr },
    TCP_NOP,
    { kind: 'wscale', shift: wscale },
  ];
}

/** A segment from the server (the peer of an active open), to be spread. */
export const FROM_SERVER: TcpSegment = {
  srcPort: SERVER.port,
  dstPort: CLIENT.port,
  seq: seqAdd(IRS, 1),
  ack: seqAdd(ISS, 1),
  flags: ACK,
  window: 502,
  urgentPointer: 0,
  options: [],
  payload: EMPTY,
};

/** A segment from the client (the peer of a passive open), to be spread. */
export const FROM_CLIENT: TcpSegment = {
  srcPort: CLIENT.port,
  dstPort: SERVER.port,
  seq: seqAdd(IRS, 1),
  ack: seqAdd(ISS, 1),
  flags: ACK,
  window: 502,
  urgentPointer: 0,
  options: [],
  payload: EMPTY,
};

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export interface Sent {
  readonly time: Time;
  readonly seg: TcpSegment;
}

/** The fields a test can pin down; anything left out is not checked. */
export type SegmentMatch = Partial<Omit<TcpSegment, 'payload'>> & { readonly payload?: Uint8Array };

function describeSeg(s: Sent): string {
  return `${s.time}ns ${formatTcp(s.seg)}`;
}

/** Checks `actual` against every field `want` gives. */
export function matchSegment(actual: TcpSegment, want: SegmentMatch): void {
  const picked: Record<string, unknown> = {};
  const wanted: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(want)) {
    if (v === undefined) continue;
    picked[k] =
      k === 'payload'
        ? Array.from(actual.payload)
        : (actual as unknown as Record<string, unknown>)[k];
    wanted[k] = k === 'payload' ? Array.from(v as Uint8Array) : v;
  }
  vexpect(picked, formatTcp(actual)).toEqual(wanted);
}

export interface TesterOptions {
  readonly sysctl?: TcpSysctl;
  readonly timerWheel?: boolean;
  readonly seed?: number;
}

/**
 * Drives one connection, or a listener and the request sock it holds for
 * CLIENT until the handshake completes, then the connection made of it.
 */
export class Tester {
  readonly net: TcpNet;
  conn: Connection | undefined;
  listener: Listener | undefined;
  now: Time = 0;
  /** Segments sent and not yet claimed by expect/send. */
  readonly out: Sent[] = [];
  readonly events: TcpEvent[] = [];

  constructor(o: TesterOptions = {}) {
    this.net = new TcpNet({
      random: new Random(o.seed ?? 1),
      sysctl: o.sysctl ?? LINUX_TCP_SYSCTL,
      timerWheel: o.timerWheel ?? false,
    });
  }

  get c(): Connection {
    if (this.conn === undefined) throw new Error('no connection');
    return this.conn;
  }

  /** The listener's request sock for CLIENT (its first). */
  get req(): RequestSock {
    const r = this.listener?.synQueue.values().next().value;
    if (r === undefined) throw new Error('no request sock');
    return r;
  }

  /** Active open at `t` with the test ISS and timestamp offset. */
  connect(t: Time, extra: Partial<Parameters<typeof Connection.connect>[2]> = {}): Connection {
    this.now = t;
    this.conn = Connection.connect(this.net, t, {
      local: CLIENT,
      remote: SERVER,
      iss: ISS,
      tsOffset: TS_OFFSET,
      ...extra,
    });
    this.collect(t);
    return this.conn;
  }

  listen(backlog = 16): Listener {
    this.listener = new Listener(this.net, { local: { addr: 0, port: SERVER.port }, backlog });
    return this.listener;
  }

  /** Moves every output of the connection into `out`, stamped `t`. */
  collect(t: Time): void {
    const l = this.listener;
    if (l !== undefined) {
      for (let s = l.pollTransmit(); s; s = l.pollTransmit())
        this.out.push({ time: t, seg: s.seg });
    }
    const c = this.conn;
    if (c === undefined) return;
    for (let s = c.pollTransmit(); s; s = c.pollTransmit()) this.out.push({ time: t, seg: s });
    for (let e = c.pollEvent(); e; e = c.pollEvent()) this.events.push(e);
  }

  /** Runs the timers due up to `t` (each at its own deadline), then sets the clock to `t`. */
  advance(t: Time): void {
    if (t < this.now) throw new Error(`time goes backwards: ${t} < ${this.now}`);
    for (;;) {
      const d = this.nextDeadline();
      if (d === undefined || d > t) break;
      this.now = d;
      this.handleTimeout(d);
      this.collect(d);
    }
    this.now = t;
  }

  /** The earliest timer of the connection or of the listener's request socks. */
  nextDeadline(): Time | undefined {
    const dc = this.conn?.nextDeadline();
    const dl = this.listener?.nextDeadline();
    return dc === undefined ? dl : dl === undefined ? dc : Math.min(dc, dl);
  }

  /** Runs the timers due at `d` (the listener's first, then the connection's); nothing collected. */
  handleTimeout(d: Time): void {
    const l = this.listener;
    if (l !== undefined && l.nextDeadline() === d) l.handleTimeout(d);
    const c = this.conn;
    if (c !== undefined && c.nextDeadline() === d) c.handleTimeout(d);
  }

  /**
   * Delivers `seg` at `t` to the connection, or while there is none to the
   * listener (from CLIENT's address and the segment's port); nothing collected.
   */
  deliver(t: Time, seg: TcpSegment): void {
    if (this.conn !== undefined) {
      this.lastVerdict = this.conn.handleSegment(t, seg);
    } else if (this.listener !== undefined) {
      const remote = { addr: CLIENT.addr, port: seg.srcPort };
      const v = this.listener.handleSegment(t, seg, remote, SERVER.addr);
      this.lastVerdict = 'drop' in v ? v.drop : undefined;
      if ('child' in v) this.conn = v.child;
    }
  }

  #takeAll(): Sent[] {
    return this.out.splice(0, this.out.length);
  }

  /** Asserts nothing is sent up to and including `t`. */
  expectNothing(t: Time): void {
    this.advance(t);
    const got = this.#takeAll();
    vexpect(got.map(describeSeg), `nothing up to ${t}ns`).toEqual([]);
  }

  /** Asserts that exactly one segment is sent up to `t`, and at `t`. Returns it. */
  expect(t: Time, want: SegmentMatch): TcpSegment {
    this.advance(t);
    const got = this.#takeAll();
    vexpect(got.map(describeSeg), `one segment at ${t}ns`).toHaveLength(1);
    vexpect(got[0]!.time, `sent at ${t}ns: ${describeSeg(got[0]!)}`).toBe(t);
    matchSegment(got[0]!.seg, want);
    return got[0]!.seg;
  }

  /** Delivers `seg` at `t` (nothing may be sent before); returns what is sent in reply. */
  sendAll(t: Time, seg: TcpSegment): TcpSegment[] {
    this.expectNothing(t);
    this.deliver(t, seg);
    this.collect(t);
    return this.#takeAll().map((s) => s.seg);
  }

  /** What handleSegment said about the last segment. */
  lastVerdict: ReturnType<Connection['handleSegment']> = undefined;

  /** Delivers `seg` at `t`; returns the reply, asserting there is at most one. */
  send(t: Time, seg: TcpSegment): TcpSegment | undefined {
    const replies = this.sendAll(t, seg);
    vexpect(
      replies.map((s) => formatTcp(s)),
      'at most one reply',
    ).toHaveLength(Math.min(replies.length, 1));
    return replies[0];
  }

  /** Calls the application side at `t` (nothing may be sent before), returns what it sent. */
  app<T>(t: Time, f: (c: Connection) => T): T {
    this.expectNothing(t);
    const r = f(this.c);
    this.collect(t);
    return r;
  }

  /** The events heard so far, and forgets them. */
  takeEvents(): string[] {
    return this.events
      .splice(0, this.events.length)
      .map((e) => (e.kind === 'error' ? `error ${e.error.code}` : e.kind));
  }
}

/** A SYN-ACK from the server answering our SYN, Linux-style options. */
export function synAckFromServer(tsEcr: number, wscale = 7, window = 65160): TcpSegment {
  return {
    ...FROM_SERVER,
    seq: IRS,
    flags: SYN | ACK,
    window,
    options: synOpts(1460, PEER_TS, tsEcr, wscale),
  };
}

export function seqOf(base: Seq, n: number): Seq {
  return seqAdd(base, n);
}
