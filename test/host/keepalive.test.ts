/**
 * Keepalive (Linux tcp_timer.c tcp_keepalive_timer, tcp_output.c
 * tcp_write_wakeup / tcp_xmit_probe_skb): the probes' segments and times,
 * TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT against the sysctls, and what
 * each end hears when the peer has gone silent.
 *
 * Checked on Linux 6.18 (linux-experiments/keepalive.py; the client sets
 * SO_KEEPALIVE, TCP_KEEPIDLE 2, TCP_KEEPINTVL 1, TCP_KEEPCNT 3 right after
 * connecting, then its INPUT drops everything from the server): probes
 * `[.] ack 1` (seq SND.UNA - 1, no data) at 2.024, 3.048 and 4.076 s after the
 * handshake, each answered by the server's ACK (seen on the interface, then
 * dropped), `[R.] seq 1, ack 1` (SND.NXT) at 5.096 s (the timer wheel adds up
 * to 32 ms to a 1 s timer); recv() fails with ETIMEDOUT, the server's blocked
 * recv() with ECONNRESET (the RST reached it); nstat: TcpExtTCPKeepAlive 3,
 * TcpOutRsts 1, TcpExtTCPAbortOnTimeout 1.
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { type Blocking, Pending, SocketError } from '../../src/host/socket.js';
import { ms, s, us } from '../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, RST } from '../../src/wire/tcp.js';
import { type Lan, lan, SERVER_IP } from './helpers.js';
import { tcpSegments } from './segments.js';

/**
 * Without the timer wheel, so that timers fire on the jiffy they were armed
 * for (Linux's wheel would add its slack: up to 32 ms to a 2 s timer, minutes
 * to a 2-hour one). The connection is made at 0 (the SYN-ACK arrives at 0.06
 * ms), the options are set at 10 ms.
 */
function env(timerWheel = false): Lan {
  const e = lan({ seed: 11, timerWheel, link: { delay: us(15) } });
  for (const h of [e.client, e.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  return e;
}

function ok<T>(r: T | SocketError | Pending<T>): T {
  if (r instanceof SocketError) throw new Error(r.message);
  if (r instanceof Pending) throw new Error('pending');
  return r;
}

/** A connection from the client; the client's fd and the server's accepted one. */
function pair(e: Lan): { c: number; a: number } {
  const so = e.server.sockets;
  const l = so.socket();
  ok(so.bind(l, 0, 80));
  ok(so.listen(l, 4));
  const c = e.client.sockets.socket();
  e.client.sockets.connect(c, SERVER_IP, 80);
  e.net.runFor(ms(10));
  return { c, a: ok(so.accept(l)).fd };
}

function keepalive(h: Host, fd: number, idle?: number, intvl?: number, cnt?: number): void {
  const so = h.sockets;
  ok(so.setsockopt(fd, 'SO_KEEPALIVE', true));
  if (idle !== undefined) ok(so.setsockopt(fd, 'TCP_KEEPIDLE', idle));
  if (intvl !== undefined) ok(so.setsockopt(fd, 'TCP_KEEPINTVL', intvl));
  if (cnt !== undefined) ok(so.setsockopt(fd, 'TCP_KEEPCNT', cnt));
}

function outcome<T>(r: Blocking<T>): () => T | SocketError | undefined {
  if (!(r instanceof Pending)) return () => r;
  return () => r.result;
}

/** The client's segments after `t0`, as [ms after t0, direction, flags, seq, ack, length]. */
function wire(e: Lan, t0: number): [number, string, number, number, number, number][] {
  return tcpSegments(e.wire)
    .filter((x) => x.time > t0)
    .map((x) => [
      Math.round((x.time - t0) / 1e3) / 1e3,
      x.direction,
      x.seg.flags,
      x.seg.seq,
      x.seg.ack,
      x.seg.payload.length,
    ]);
}

describe('a silent peer', () => {
  test('KEEPIDLE 2, KEEPINTVL 1, KEEPCNT 3: probes at 2, 3, 4 s (seq SND.UNA - 1, no data), RST|ACK and ETIMEDOUT at 5 s; the peer reads ECONNRESET', () => {
    const e = env();
    const { c, a } = pair(e);
    const conn = e.client.sockets.file(c)!.sock!.conn;
    const t0 = e.net.now;
    keepalive(e.client, c, 2, 1, 3);
    e.net.runFor(ms(500));
    // iptables -I INPUT -s server -j DROP on the client.
    e.client.addHook('INPUT', () => 'DROP');
    const mine = outcome(e.client.sockets.read(c, 10));
    const theirs = outcome(e.server.sockets.read(a, 10));
    const una = conn.sndUna;
    const rcvNxt = conn.rcvNxt;
    // TCP_KEEPIDLE re-arms the timer for what is left of 2 s since the last
    // segment received (jiffy 0): 500 - 2 jiffies from jiffy 2, so 1992 ms.
    e.net.runUntil(t0 + ms(4992) - 1);
    expect(mine()).toBeUndefined();
    e.net.runUntil(t0 + s(6));
    const probe = (t: number) => [t, 'Out', ACK, seqAdd(una, -1), rcvNxt, 0];
    // The server's answers to the probes are dropped on INPUT (after the tap).
    expect(wire(e, t0).filter((x) => x[1] === 'Out')).toEqual([
      probe(1992),
      probe(2992),
      probe(3992),
      [4992, 'Out', RST | ACK, una, rcvNxt, 0],
    ]);
    expect(mine()).toMatchObject({ code: 'ETIMEDOUT' });
    expect(conn.state).toBe('CLOSE');
    // The RST reached the server (its INPUT accepts): its read fails.
    expect(theirs()).toMatchObject({ code: 'ECONNRESET' });
    const k = e.client.tcp.net.counters;
    expect([k.TcpExtTCPKeepAlive, k.TcpOutRsts, k.TcpExtTCPAbortOnTimeout]).toEqual([3, 1, 1]);
  });
});

describe('a live peer', () => {
  test('each probe is answered: the connection stays, the next probe is TCP_KEEPIDLE after the answer', () => {
    const e = env();
    const { c } = pair(e);
    const conn = e.client.sockets.file(c)!.sock!.conn;
    const t0 = e.net.now;
    keepalive(e.client, c, 2, 1, 1);
    e.net.runUntil(t0 + s(7));
    const una = conn.sndUna;
    const rcvNxt = conn.rcvNxt;
    // The answer: an ACK of SND.UNA, 30 us later. The timer fires again
    // TCP_KEEPINTVL later, finds the last segment received 1 s ago, and waits
    // the rest of TCP_KEEPIDLE: probes every 2 s.
    expect(wire(e, t0)).toEqual([
      [1992, 'Out', ACK, seqAdd(una, -1), rcvNxt, 0],
      [1992.03, 'In', ACK, rcvNxt, una, 0],
      [3992, 'Out', ACK, seqAdd(una, -1), rcvNxt, 0],
      [3992.03, 'In', ACK, rcvNxt, una, 0],
      [5992, 'Out', ACK, seqAdd(una, -1), rcvNxt, 0],
      [5992.03, 'In', ACK, rcvNxt, una, 0],
    ]);
    expect(conn.state).toBe('ESTABLISHED');
    expect(conn.probesOut).toBe(0);
  });
});

describe('the sysctls', () => {
  test('no per-socket options: tcp_keepalive_time 7200 s, then 9 probes 75 s apart, RST at 7875 s', () => {
    // Without the timer wheel the long timers fire on the jiffy (Linux's wheel
    // adds up to 12.5 % slack to a 2-hour timer).
    const e = env(false);
    const { c } = pair(e);
    const t0 = e.net.now;
    keepalive(e.client, c);
    e.client.addHook('INPUT', () => 'DROP');
    e.net.runUntil(t0 + s(8000));
    // SO_KEEPALIVE arms the timer for tcp_keepalive_time from now (tcp_set_keepalive).
    const out = wire(e, t0).filter((x) => x[1] === 'Out');
    expect(out.map((x) => x[0])).toEqual([
      ...Array.from({ length: 9 }, (_, i) => (7200 + 75 * i) * 1000),
      7875_000,
    ]);
    expect(out.at(-1)![2]).toBe(RST | ACK);
  });

  test('sysctl -w net.ipv4.tcp_keepalive_time / _intvl / _probes change the schedule of sockets without the options', () => {
    const e = env();
    e.client.sysctl.set('net.ipv4.tcp_keepalive_time', 3);
    e.client.sysctl.set('net.ipv4.tcp_keepalive_intvl', 2);
    e.client.sysctl.set('net.ipv4.tcp_keepalive_probes', 2);
    const { c } = pair(e);
    const t0 = e.net.now;
    keepalive(e.client, c);
    e.client.addHook('INPUT', () => 'DROP');
    e.net.runUntil(t0 + s(10));
    const out = wire(e, t0).filter((x) => x[1] === 'Out');
    expect(out.map((x) => [x[0], x[2]])).toEqual([
      [3000, ACK],
      [5000, ACK],
      [7000, RST | ACK],
    ]);
  });
});
