/**
 * connect() over a 4-tuple still in TIME_WAIT (Linux __inet_hash_connect,
 * __inet_check_established, tcp_twsk_unique), and the per-address-pair
 * timestamp offset that keeps PAWS working across incarnations
 * (secure_tcp_ts_off).
 *
 * Checked on Linux 6.18 (two namespaces joined by a veth, Python clients:
 * linux-experiments/ has the scripts and what they printed): with ip_local_port_range "40000 40000" and tcp_tw_reuse=1, a connect()
 * 0.15 s and 0.65 s after the client's TIME_WAIT began fails with
 * EADDRNOTAVAIL, one 1.006 s after succeeds from port 40000 with
 * seq = the old SND.NXT + 65537, TS ecr = the old TS.Recent and win 65160
 * (not 64240), TcpExtTWRecycled 1; with tcp_tw_reuse=2 every attempt fails;
 * with a port bound by bind() (SO_REUSEADDR) and tcp_tw_reuse=0 every
 * attempt succeeds at once (TcpExtTWRecycled counts each).
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { Pending, SocketError } from '../../src/host/socket.js';
import { ms, s, type Time } from '../../src/sim/time.js';
import { secureTcpTsOff } from '../../src/tcp/connection.js';
import { TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { CLIENT_IP, ip, type Lan, lan, SERVER_IP } from './helpers.js';
import { tcpSent, timestampsOf } from './segments.js';

function env(changes: Parameters<typeof tcpSysctl>[0] = {}): Lan {
  const e = lan({ seed: 5 });
  for (const h of [e.client, e.server]) h.tcp.sysctl = tcpSysctl(changes, TRACE_KERNEL_TCP_SYSCTL);
  return e;
}

/** A listener on `port` (the experiments' server.py: it reads until EOF, then closes). */
function listener(host: Host, port = 80): number {
  const so = host.sockets;
  const l = so.socket();
  so.setsockopt(l, 'SO_REUSEADDR', true);
  so.bind(l, 0, port);
  so.listen(l, 64);
  return l;
}

/** server.py's loop, run by hand: accept what is there, close what read EOF. */
function serve(host: Host, l: number, open: number[]): void {
  const so = host.sockets;
  for (;;) {
    const a = so.accept(l);
    if (a instanceof SocketError || a instanceof Pending) break;
    open.push(a.fd);
  }
  for (const fd of [...open]) {
    const r = so.read(fd);
    if (r instanceof Uint8Array && r.length === 0) {
      so.close(fd);
      open.splice(open.indexOf(fd), 1);
    }
  }
}

function sent(e: Lan): { time: Time; seg: TcpSegment }[] {
  return tcpSent(e.wire);
}

const ts = timestampsOf;

/** connect() now: 'connecting' (the SYN left), or the errno it failed with. */
function connectNow(
  e: Lan,
  bindPort?: number,
  host: Host = e.client,
  dst = SERVER_IP,
  dport = 80,
): { fd: number; result: string } {
  const so = host.sockets;
  const fd = so.socket();
  if (bindPort !== undefined) {
    so.setsockopt(fd, 'SO_REUSEADDR', true);
    const b = so.bind(fd, 0, bindPort);
    if (b instanceof SocketError) throw new Error(b.message);
  }
  const r = so.connect(fd, dst, dport);
  if (r instanceof SocketError) {
    so.close(fd);
    return { fd, result: r.code };
  }
  return { fd, result: 'connecting' };
}

/**
 * The experiment's first connection: the client connects, closes 50 ms later,
 * the server closes on EOF, and the client's socket is in TIME_WAIT. Returns
 * when TIME_WAIT began, and the sock's SND.NXT and TS.Recent.
 */
function firstInTimeWait(e: Lan, bindPort?: number) {
  const l = listener(e.server);
  const c = connectNow(e, bindPort);
  expect(c.result).toBe('connecting');
  e.net.runFor(ms(50));
  const open: number[] = [];
  serve(e.server, l, open);
  e.client.sockets.close(c.fd);
  e.net.runFor(ms(5));
  serve(e.server, l, open);
  e.net.runFor(ms(5));
  const [tw] = [...e.client.tcp.net.timeWait];
  expect(tw?.substate).toBe('TIME_WAIT');
  return { since: tw!.since, sndNxt: tw!.sndNxt, tsRecent: tw!.tsRecent, port: tw!.localPort };
}

describe('tcp_tw_reuse with an ephemeral port (__inet_hash_connect)', () => {
  test('=1, one port in the range: EADDRNOTAVAIL until tcp_tw_reuse_delay (1000 ms) passed, then the TIME_WAIT 4-tuple is taken', () => {
    const e = env({ tcp_tw_reuse: 1 });
    e.client.sysctl.set('net.ipv4.ip_local_port_range', [40000, 40000]);
    const first = firstInTimeWait(e);
    expect(first.port).toBe(40000);
    const t0 = first.since;
    // time_after32(tcp_clock_ms(), tw_entry_stamp + 1000): not yet at +1000 ms.
    e.net.runUntil(t0 + ms(150));
    expect(connectNow(e).result).toBe('EADDRNOTAVAIL');
    e.net.runUntil(Math.floor(t0 / ms(1)) * ms(1) + ms(1000));
    expect(connectNow(e).result).toBe('EADDRNOTAVAIL');
    expect(e.client.tcp.net.counters.TcpExtTWRecycled).toBe(0);
    const before = sent(e).length;
    e.net.runUntil(Math.floor(t0 / ms(1)) * ms(1) + ms(1001));
    expect(connectNow(e).result).toBe('connecting');
    const syn = sent(e)[before]!;
    expect(syn.time).toBe(Math.floor(t0 / ms(1)) * ms(1) + ms(1001));
    // tcp_twsk_unique: write_seq = tw_snd_nxt + 65535 + 2, ts_recent inherited
    // (the SYN echoes it), and the window sized for 1448-byte segments.
    expect(syn.seg).toMatchObject({
      flags: SYN,
      srcPort: 40000,
      seq: seqAdd(first.sndNxt, 65537),
      window: 65160,
    });
    expect(ts(syn.seg).tsEcr).toBe(first.tsRecent);
    const c = e.client.tcp.net.counters;
    expect(c.TcpExtTWRecycled).toBe(1);
    expect(c.TcpActiveOpens).toBe(2);
    // The old sock is gone: the new connection holds the 4-tuple.
    e.net.runFor(ms(10));
    expect([...e.client.tcp.net.timeWait]).toHaveLength(0);
    expect(e.client.tcp.connections.map((x) => x.conn.state)).toEqual(['ESTABLISHED']);
  });

  test('=2 (the default): only loopback; two LAN hosts never reuse', () => {
    const e = env({ tcp_tw_reuse: 2 });
    e.client.sysctl.set('net.ipv4.ip_local_port_range', [40000, 40000]);
    firstInTimeWait(e);
    for (const t of [ms(200), s(2), s(30)]) {
      e.net.runFor(t);
      expect(connectNow(e).result).toBe('EADDRNOTAVAIL');
    }
    expect(e.client.tcp.net.counters.TcpExtTWRecycled).toBe(0);
  });

  test('=2 on loopback: 127.0.0.1 to itself reuses after the delay', () => {
    const e = env({ tcp_tw_reuse: 2 });
    const h = e.client;
    h.sysctl.set('net.ipv4.ip_local_port_range', [40000, 40000]);
    const l = listener(h, 8080);
    const so = h.sockets;
    const loop = ip('127.0.0.1');
    const fd = connectNow(e, undefined, h, loop, 8080).fd;
    e.net.runFor(ms(50));
    const open: number[] = [];
    serve(h, l, open);
    so.close(fd);
    e.net.runFor(ms(5));
    serve(h, l, open);
    e.net.runFor(ms(5));
    expect([...h.tcp.net.timeWait].map((t) => [t.substate, t.localPort, t.remotePort])).toEqual([
      ['TIME_WAIT', 40000, 8080],
    ]);
    expect(connectNow(e, undefined, h, loop, 8080).result).toBe('EADDRNOTAVAIL');
    e.net.runFor(ms(1010));
    expect(connectNow(e, undefined, h, loop, 8080).result).toBe('connecting');
    expect(h.tcp.net.counters.TcpExtTWRecycled).toBe(1);
  });

  test('=1 without timestamps: never (PAWS could not tell the incarnations apart)', () => {
    const e = env({ tcp_tw_reuse: 1, tcp_timestamps: 0 });
    e.client.sysctl.set('net.ipv4.ip_local_port_range', [40000, 40000]);
    firstInTimeWait(e);
    e.net.runFor(s(5));
    expect(connectNow(e).result).toBe('EADDRNOTAVAIL');
  });

  test('=1 does not take an orphaned FIN_WAIT2 (a timewait sock in substate FIN_WAIT2)', () => {
    const e = env({ tcp_tw_reuse: 1 });
    e.client.sysctl.set('net.ipv4.ip_local_port_range', [40000, 40000]);
    // A server that never closes: the client's close() leaves an orphaned FIN_WAIT2.
    const so = e.server.sockets;
    const l = so.socket();
    so.bind(l, 0, 80);
    so.listen(l, 4);
    const c = connectNow(e);
    e.net.runFor(ms(50));
    e.client.sockets.close(c.fd);
    e.net.runFor(ms(100));
    expect([...e.client.tcp.net.timeWait].map((t) => t.substate)).toEqual(['FIN_WAIT2']);
    e.net.runFor(s(5));
    expect(connectNow(e).result).toBe('EADDRNOTAVAIL');
  });
});

describe('a port bound by bind() (__inet_check_established without twp)', () => {
  test('a TIME_WAIT with timestamps is taken at once, whatever tcp_tw_reuse says', () => {
    const e = env({ tcp_tw_reuse: 0 });
    const first = firstInTimeWait(e, 40001);
    const before = sent(e).length;
    expect(connectNow(e, 40001).result).toBe('connecting');
    const syn = sent(e)[before]!.seg;
    expect(syn).toMatchObject({ flags: SYN, srcPort: 40001, seq: seqAdd(first.sndNxt, 65537) });
    expect(ts(syn).tsEcr).toBe(first.tsRecent);
    expect(e.client.tcp.net.counters.TcpExtTWRecycled).toBe(1);
  });

  test('without timestamps: EADDRNOTAVAIL', () => {
    const e = env({ tcp_tw_reuse: 0, tcp_timestamps: 0 });
    firstInTimeWait(e, 40001);
    e.net.runFor(s(2));
    expect(connectNow(e, 40001).result).toBe('EADDRNOTAVAIL');
    expect(e.client.tcp.net.counters.TcpExtTWRecycled).toBe(0);
  });
});

describe('timestamp offsets per address pair (secure_tcp_ts_off)', () => {
  test('every connection between two addresses has the same offset; another pair another; 0 unless tcp_timestamps=1', () => {
    const e = env();
    const net = e.client.tcp.net;
    const a = secureTcpTsOff(net, CLIENT_IP, SERVER_IP);
    expect(secureTcpTsOff(net, CLIENT_IP, SERVER_IP)).toBe(a);
    expect(secureTcpTsOff(net, CLIENT_IP, ip('192.168.0.23'))).not.toBe(a);
    // Deterministic per seed: the same seed gives the same offsets.
    expect(secureTcpTsOff(env().client.tcp.net, CLIENT_IP, SERVER_IP)).toBe(a);
    expect(secureTcpTsOff(lan({ seed: 6 }).client.tcp.net, CLIENT_IP, SERVER_IP)).not.toBe(a);
    e.client.sysctl.set('net.ipv4.tcp_timestamps', 2);
    expect(secureTcpTsOff(net, CLIENT_IP, SERVER_IP)).toBe(0);
  });

  test("a new incarnation's SYN carries a later TSval, so the server's TIME_WAIT accepts it (PAWS across reuse)", () => {
    const e = env();
    const l = listener(e.server);
    // The server closes first: its side keeps the TIME_WAIT.
    const so = e.client.sockets;
    const first = connectNow(e, 40001);
    e.net.runFor(ms(20));
    const a = e.server.sockets.accept(l);
    if (a instanceof SocketError || a instanceof Pending) throw new Error('no connection');
    e.server.sockets.close(a.fd);
    e.net.runFor(ms(100));
    so.close(first.fd);
    e.net.runFor(ms(100));
    const tw = [...e.server.tcp.net.timeWait][0]!;
    expect(tw.substate).toBe('TIME_WAIT');
    e.net.runFor(s(3));
    const before = sent(e).length;
    expect(connectNow(e, 40001).result).toBe('connecting');
    e.net.runFor(ms(10));
    const out = sent(e).slice(before);
    const syn = out[0]!.seg;
    // Same offset as the first incarnation: the clock only moved on.
    expect(((ts(syn).tsVal - tw.tsRecent) | 0) > 0).toBe(true);
    // The server took it (TCP_TW_SYN): the handshake completed.
    expect(e.server.tcp.net.timeWait.size).toBe(0);
    expect(e.client.tcp.connections.at(-1)?.conn.state).toBe('ESTABLISHED');
  });
});

describe('tcp_max_tw_buckets', () => {
  test('=1: three active closes leave one TIME_WAIT; the others are closed at once, counted, not logged (as Linux 6.18)', () => {
    // Linux 6.18, tcp_max_tw_buckets=1, three connect()/close() 70 ms apart:
    // ss shows one TIME-WAIT, nstat TcpExtTW 1 and TcpExtTCPTimeWaitOverflow 2,
    // dmesg nothing.
    const e = env({ tcp_max_tw_buckets: 1 });
    const l = listener(e.server);
    const open: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = connectNow(e);
      e.net.runFor(ms(20));
      serve(e.server, l, open);
      e.client.sockets.close(c.fd);
      e.net.runFor(ms(5));
      serve(e.server, l, open);
      e.net.runFor(ms(45));
    }
    expect([...e.client.tcp.net.timeWait].map((t) => t.substate)).toEqual(['TIME_WAIT']);
    expect(e.client.tcp.connections).toHaveLength(0);
    const c = e.client.tcp.net.counters;
    expect([c.TcpExtTW, c.TcpExtTCPTimeWaitOverflow]).toEqual([1, 2]);
    expect(e.client.kmsg.records).toEqual([]);
  });
});
