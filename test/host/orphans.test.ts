/**
 * Orphaned connections (closed by the application, still closing) under
 * pressure: tcp_orphan_retries for a FIN nobody acknowledges, tcp_max_orphans
 * with "TCP: too many orphaned sockets" (Linux tcp.c __tcp_close,
 * tcp_check_oom; tcp_timer.c tcp_write_timeout, tcp_out_of_resources), and
 * tcp_fin_timeout for an orphaned FIN_WAIT2 whose peer never closes.
 *
 * The FIN_WAIT1 schedule was checked on Linux 6.18 (linux-experiments/orphan.py;
 * the client sends 10 bytes, then the server's INPUT drops everything from it
 * and the client close()s; tcp_orphan_retries=2): [F.] at 0, its loss probe at
 * +206 ms, retransmissions at +418, +854, +1686 ms, the socket gone at about
 * +3.35 s without a RST (TcpExtTCPAbortOnTimeout 1, TcpOutRsts 0).
 */

import { describe, expect, test } from 'vitest';
import { Pending, SocketError } from '../../src/host/socket.js';
import { ms, s, type Time, us } from '../../src/sim/time.js';
import { orphanCount } from '../../src/tcp/orphans.js';
import { TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, RST } from '../../src/wire/tcp.js';
import { type Lan, lan, SERVER_IP } from './helpers.js';
import { tcpSent } from './segments.js';

/** The two hosts 15 us apart, as the traces' veth pair (an RTT of 30 us). */
function env(changes: Parameters<typeof tcpSysctl>[0] = {}, timerWheel = true): Lan {
  const e = lan({ seed: 7, timerWheel, link: { delay: us(15) } });
  for (const h of [e.client, e.server]) h.tcp.sysctl = tcpSysctl(changes, TRACE_KERNEL_TCP_SYSCTL);
  const so = e.server.sockets;
  const l = so.socket();
  so.bind(l, 0, 80);
  so.listen(l, 64);
  listeners.set(e, l);
  return e;
}

const listeners = new WeakMap<Lan, number>();

/** `n` client connections to the server, established; their fds. */
function connections(e: Lan, n: number): number[] {
  const so = e.client.sockets;
  const fds: number[] = [];
  for (let i = 0; i < n; i++) {
    const fd = so.socket();
    const r = so.connect(fd, SERVER_IP, 80);
    if (r instanceof SocketError) throw new Error(r.message);
    fds.push(fd);
  }
  e.net.runFor(ms(10));
  for (const fd of fds) expect(so.file(fd)!.sock!.conn.state).toBe('ESTABLISHED');
  return fds;
}

/** From now on the server hears nothing (iptables -A INPUT -j DROP). */
function silence(e: Lan): void {
  e.server.addHook('INPUT', () => 'DROP');
}

function dmesg(e: Lan): string[] {
  return e.client.kmsg.records.map((r) => `${r.level} ${r.text}`);
}

/** What the client sent on the connection from `port`, as [ms after t0, flags, seq]. */
function sentOn(e: Lan, port: number, t0: Time): [number, number, number][] {
  return tcpSent(e.wire)
    .filter((x) => x.seg.srcPort === port && x.time >= t0)
    .map((x) => [(x.time - t0) / 1e6, x.seg.flags, x.seg.seq]);
}

describe('FIN_WAIT1 orphans and tcp_orphan_retries', () => {
  test('=2: the FIN, its loss probe, three retransmissions, then CLOSE without a RST (as Linux 6.18)', () => {
    const e = env({ tcp_orphan_retries: 2 });
    const [fd] = connections(e, 1);
    const so = e.client.sockets;
    so.write(fd!, new Uint8Array(10));
    e.net.runFor(ms(500));
    silence(e);
    const conn = so.file(fd!)!.sock!.conn;
    const port = conn.local.port;
    const fin = conn.sndNxt;
    const t0 = e.net.now;
    so.close(fd!);
    expect(orphanCount(e.client.tcp.net)).toBe(1);
    e.net.runFor(s(10));
    // Linux: 0, 206, 418, 854, 1686 ms.
    expect(sentOn(e, port, t0)).toEqual([
      [0, FIN | ACK, fin],
      [206, FIN | ACK, fin],
      [414, FIN | ACK, fin],
      [834, FIN | ACK, fin],
      [1666, FIN | ACK, fin],
    ]);
    const died = conn.transitions.at(-1)!;
    expect(died.to).toBe('CLOSE');
    // The timer after the last retransmission finds the budget of 2 retries
    // spent and gives up (Linux: about 3.35 s).
    expect((died.time - t0) / 1e6).toBe(3330);
    const c = e.client.tcp.net.counters;
    expect(c.TcpExtTCPAbortOnTimeout).toBe(1);
    expect(c.TcpOutRsts).toBe(0);
    expect(orphanCount(e.client.tcp.net)).toBe(0);
  });
});

describe('tcp_max_orphans', () => {
  test('close() beyond the limit: [F.] then [R.] at once, TcpExtTCPAbortOnMemory, "TCP: too many orphaned sockets"', () => {
    const e = env({ tcp_max_orphans: 2 });
    const fds = connections(e, 5);
    silence(e);
    const so = e.client.sockets;
    const conns = fds.map((fd) => so.file(fd)!.sock!.conn);
    // Align on the 100 ms period of tcp_orphan_update.
    const t0 = Math.ceil(e.net.now / ms(100)) * ms(100) + ms(10);
    e.net.runUntil(t0);
    // Three close()s within one period: the cached count is still 0 for all.
    for (const fd of fds.slice(0, 3)) so.close(fd);
    expect(orphanCount(e.client.tcp.net)).toBe(3);
    expect(conns.slice(0, 3).map((c) => c.state)).toEqual(['FIN_WAIT1', 'FIN_WAIT1', 'FIN_WAIT1']);
    expect(dmesg(e)).toEqual([]);
    // 90 ms on, the cache still holds the count of t0 - 10 ms: 0.
    e.net.runUntil(t0 + ms(89));
    expect(conns[3]!.state).toBe('ESTABLISHED');
    // At the next update the cache reads 3 > 2: the next close() resets its
    // connection right after the FIN, with seq = the FIN's + 1.
    e.net.runUntil(t0 + ms(90));
    const fin = conns[3]!.sndNxt;
    const port = conns[3]!.local.port;
    so.close(fds[3]!);
    expect(sentOn(e, port, t0 + ms(90))).toEqual([
      [0, FIN | ACK, fin],
      [0, RST | ACK, seqAdd(fin, 1)],
    ]);
    expect(conns[3]!.state).toBe('CLOSE');
    expect(e.client.tcp.net.counters.TcpExtTCPAbortOnMemory).toBe(1);
    expect(dmesg(e)).toEqual(['info TCP: too many orphaned sockets']);
    expect(orphanCount(e.client.tcp.net)).toBe(3);
  });

  test('the orphans already there are reset at their next retransmission (tcp_out_of_resources)', () => {
    const e = env({ tcp_max_orphans: 2 });
    const fds = connections(e, 3);
    silence(e);
    const so = e.client.sockets;
    const conns = fds.map((fd) => so.file(fd)!.sock!.conn);
    const t0 = e.net.now;
    const fins = conns.map((c) => c.sndNxt);
    for (const fd of fds) so.close(fd);
    e.net.runFor(s(1));
    // The loss probe (206 ms) is sent as usual; the RTO at 414 ms finds 3
    // orphans cached > 2: the FIN went out recently, so a RST, and CLOSE.
    for (let i = 0; i < 3; i++) {
      expect(sentOn(e, conns[i]!.local.port, t0)).toEqual([
        [0, FIN | ACK, fins[i]],
        [206, FIN | ACK, fins[i]],
        [414, RST | ACK, seqAdd(fins[i]!, 1)],
      ]);
      expect(conns[i]!.state).toBe('CLOSE');
    }
    const c = e.client.tcp.net.counters;
    expect(c.TcpExtTCPAbortOnMemory).toBe(3);
    expect(c.TcpExtTCPAbortOnTimeout).toBe(0);
    expect(orphanCount(e.client.tcp.net)).toBe(0);
    // One line per check that found too many (all three, within the burst of 10).
    expect(dmesg(e)).toEqual(Array(3).fill('info TCP: too many orphaned sockets'));
  });

  test('the log is net_ratelimit()ed: 10 lines per 5 s, then "net_ratelimit: N callbacks suppressed"', () => {
    // One orphan that stays: a FIN_WAIT2 kept as a full socket for
    // tcp_fin_timeout - 60 s, which retransmits nothing.
    const e = env({ tcp_max_orphans: 0, tcp_fin_timeout: 120 });
    const fds = connections(e, 14);
    const so = e.client.sockets;
    const kept = so.file(fds[0]!)!.sock!.conn;
    so.close(fds[0]!);
    e.net.runFor(ms(100));
    expect(kept.state).toBe('FIN_WAIT2');
    expect(orphanCount(e.client.tcp.net)).toBe(1);
    // Each close() now checks and logs; 12 more within 5 s: 10 printed, 2 suppressed.
    for (const fd of fds.slice(1, 13)) so.close(fd);
    expect(dmesg(e)).toHaveLength(10);
    e.net.runFor(s(6));
    so.close(fds[13]!);
    const lines = dmesg(e);
    expect(lines.slice(10)).toEqual([
      'warn net_ratelimit: 2 callbacks suppressed',
      'info TCP: too many orphaned sockets',
    ]);
  });

  test('a timewait sock is not an orphan: an orphaned FIN_WAIT2 leaves the count', () => {
    const e = env();
    const [fd] = connections(e, 1);
    e.client.sockets.close(fd!);
    expect(orphanCount(e.client.tcp.net)).toBe(1);
    e.net.runFor(ms(50));
    expect([...e.client.tcp.net.timeWait].map((t) => t.substate)).toEqual(['FIN_WAIT2']);
    expect(orphanCount(e.client.tcp.net)).toBe(0);
  });
});

describe('tcp_fin_timeout: an orphaned FIN_WAIT2 whose peer never closes', () => {
  test('=5: gone 5 s after the ACK of our FIN, no RST then; the late FIN gets [R]', () => {
    const e = env({ tcp_fin_timeout: 5 }, false);
    const [fd] = connections(e, 1);
    const accepted = e.server.sockets.accept(listeners.get(e)!);
    if (accepted instanceof SocketError || accepted instanceof Pending) throw new Error('accept');
    const conn = e.client.sockets.file(fd!)!.sock!.conn;
    const port = conn.local.port;
    const t0 = e.net.now;
    e.client.sockets.close(fd!);
    e.net.runFor(ms(100));
    const fw2 = conn.transitions.find((x) => x.to === 'FIN_WAIT2')!.time;
    e.net.runUntil(fw2 + s(5) - 1);
    expect(conn.state).toBe('FIN_WAIT2');
    e.net.runUntil(fw2 + s(5));
    expect(conn.state).toBe('CLOSE');
    expect(sentOn(e, port, t0).map((x) => x[1])).toEqual([FIN | ACK]);
    // The server closes 10 s later: its FIN finds nobody.
    e.net.runUntil(t0 + s(10));
    e.server.sockets.close(accepted.fd);
    e.net.runFor(ms(10));
    const out = sentOn(e, port, t0);
    expect(out.map((x) => x[1])).toEqual([FIN | ACK, RST]);
    expect(out[1]![2]).toBe(seqAdd(conn.iss, 2));
  });
});
