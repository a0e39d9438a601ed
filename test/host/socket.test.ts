/**
 * The socket API's errno semantics and poll flags, as Linux reports them, on
 * the traces' two-host LAN: each test states the call, the state, and what
 * Linux answers (net/ipv4/af_inet.c, tcp.c tcp_poll / tcp_recvmsg /
 * tcp_sendmsg, inet_connection_sock.c for ports).
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import {
  type Blocking,
  Pending,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  POLLRDNORM,
  POLLWRNORM,
  SocketError,
} from '../../src/host/socket.js';
import { ms, s, us } from '../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { parseEthernet } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp, SYN } from '../../src/wire/tcp.js';
import { CLIENT_IP, lan, SERVER_IP, value } from './helpers.js';

function env(options: { delay?: number } = {}) {
  const e = lan({ seed: 3, link: options.delay !== undefined ? { delay: options.delay } : {} });
  for (const h of [e.client, e.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  return e;
}

function code(r: unknown): string | undefined {
  return r instanceof SocketError ? r.code : undefined;
}

/** A blocking call's outcome once the simulation ran. */
function settled<T>(r: Blocking<T>): () => T | SocketError | undefined {
  if (!(r instanceof Pending)) return () => r;
  return () => r.result;
}

const bytes = (t: string): Uint8Array => new TextEncoder().encode(t);

function listenOn(host: Host, port = 80, backlog = 16): number {
  const so = host.sockets;
  const fd = so.socket();
  value(so.bind(fd, 0, port));
  value(so.listen(fd, backlog));
  return fd;
}

/** A connected pair: client fd, server (accepted) fd. */
function pair(e: ReturnType<typeof env>): { c: number; a: number; l: number } {
  const l = listenOn(e.server);
  const c = e.client.sockets.socket();
  const conn = settled(e.client.sockets.connect(c, SERVER_IP, 80));
  e.net.runFor(ms(10));
  expect(conn()).toBe(0);
  const a = value(e.server.sockets.accept(l)).fd;
  return { c, a, l };
}

describe('connect()', () => {
  test('blocking: a Pending that settles with 0 when the handshake completes', () => {
    const e = env();
    listenOn(e.server);
    const fd = e.client.sockets.socket();
    const r = e.client.sockets.connect(fd, SERVER_IP, 80);
    expect(r).toBeInstanceOf(Pending);
    expect((r as Pending<0>).done).toBe(false);
    e.net.runFor(ms(1));
    expect((r as Pending<0>).result).toBe(0);
    expect(code(e.client.sockets.connect(fd, SERVER_IP, 80))).toBe('EISCONN');
  });

  test('non-blocking: EINPROGRESS, EALREADY while the SYN is out, 0 once after success, then EISCONN', () => {
    const e = env({ delay: ms(5) });
    listenOn(e.server);
    const so = e.client.sockets;
    const fd = so.socket({ nonBlocking: true });
    const r = so.connect(fd, SERVER_IP, 80);
    expect(code(r)).toBe('EINPROGRESS');
    expect((r as SocketError).address).toBe('192.168.0.22');
    expect((r as SocketError).port).toBe(80);
    expect(code(so.connect(fd, SERVER_IP, 80))).toBe('EALREADY');
    e.net.runFor(ms(100));
    expect(so.getsockopt(fd, 'SO_ERROR')).toBe(0);
    expect(so.connect(fd, SERVER_IP, 80)).toBe(0);
    expect(code(so.connect(fd, SERVER_IP, 80))).toBe('EISCONN');
  });

  test('refused by RST (closed port): ECONNREFUSED, errno -111, syscall connect', () => {
    const e = env();
    const fd = e.client.sockets.socket();
    const r = settled(e.client.sockets.connect(fd, SERVER_IP, 81));
    e.net.runFor(ms(10));
    const err = r() as SocketError;
    expect(err).toBeInstanceOf(SocketError);
    expect([err.code, err.errno, err.syscall, err.address, err.port]).toEqual([
      'ECONNREFUSED',
      -111,
      'connect',
      '192.168.0.22',
      81,
    ]);
    expect(err.message).toBe('connect ECONNREFUSED 192.168.0.22:81');
  });

  test('a blocking connect() over a path with latency is refused by the first ICMP', () => {
    // The "owned by user" window is the call's own instant: with 15 µs per hop
    // the ICMP comes later, finds the caller asleep, and aborts the connect.
    const e = env({ delay: us(15) });
    e.server.addHook('INPUT', (_now, pkt) => {
      if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
      e.server.icmpSend(
        {
          datagram: pkt.datagram,
          ip: pkt.ip,
          iface: pkt.inIface!,
          pktType: 'host',
          delivery: 'local',
        },
        3,
        3,
      );
      return 'DROP';
    });
    const fd = e.client.sockets.socket();
    const r = settled(e.client.sockets.connect(fd, SERVER_IP, 80));
    e.net.runFor(ms(1));
    expect(code(r())).toBe('ECONNREFUSED');
  });

  test('silent drop: ETIMEDOUT after the textbook schedule with tcp_syn_linear_timeouts=0 (127 s)', () => {
    // Without the timer wheel's slack, so the schedule is exact.
    const e = lan({ seed: 3, timerWheel: false });
    e.client.tcp.sysctl = tcpSysctl({ tcp_syn_linear_timeouts: 0 }, TRACE_KERNEL_TCP_SYSCTL);
    e.server.addHook('INPUT', (_now, pkt) => (pkt.ip.protocol === IPPROTO_TCP ? 'DROP' : 'ACCEPT'));
    const fd = e.client.sockets.socket();
    const r = settled(e.client.sockets.connect(fd, SERVER_IP, 80));
    const syns: number[] = [];
    e.client.addTap((p) => {
      const f = parseEthernet(p.frame);
      if (!f.ok || p.direction !== 'Out') return;
      const d = parseIpv4(f.value.payload);
      if (!d.ok || d.value.protocol !== IPPROTO_TCP) return;
      const t = parseTcp(d.value.payload, {
        src: d.value.src,
        dst: d.value.dst,
        protocol: 6,
        length: d.value.payload.length,
      });
      if (t.ok && t.value.flags & SYN) syns.push(p.time);
    });
    e.net.runFor(s(126));
    expect(r()).toBeUndefined();
    e.net.runFor(s(2));
    expect(code(r())).toBe('ETIMEDOUT');
    // The SYN, then retransmissions at 1, 3, 7, 15, 31, 63 s (to the 4 ms jiffy).
    const at = syns.map((t) => Math.round(t / 1e7) / 100);
    expect(at).toEqual([0, 1, 3, 7, 15, 31, 63]);
  });

  test('ENETUNREACH without a route; EADDRNOTAVAIL binding a foreign address', () => {
    const e = env();
    const so = e.client.sockets;
    const fd = so.socket();
    expect(code(so.connect(fd, 0x0a000001, 80))).toBe('ENETUNREACH');
    expect(code(so.bind(fd, SERVER_IP, 0))).toBe('EADDRNOTAVAIL');
  });
});

describe('ports', () => {
  test('connect() takes even ephemeral ports, bind(0) odd ones, from ip_local_port_range', () => {
    const e = env();
    listenOn(e.server);
    const so = e.client.sockets;
    const ports: number[] = [];
    for (let i = 0; i < 8; i++) {
      const fd = so.socket();
      so.connect(fd, SERVER_IP, 80);
      ports.push(value(so.getsockname(fd)).port);
    }
    for (const p of ports) {
      expect(p % 2).toBe(0);
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThanOrEqual(60999);
    }
    expect(new Set(ports).size).toBe(ports.length);
    const b = so.socket();
    value(so.bind(b, 0, 0));
    expect(value(so.getsockname(b)).port % 2).toBe(1);
  });

  test('EADDRINUSE: a second bind; a restarted server finds the port held by TIME_WAIT unless both set SO_REUSEADDR', () => {
    const e = env();
    const so = e.server.sockets;
    const l = so.socket();
    value(so.setsockopt(l, 'SO_REUSEADDR', true));
    value(so.bind(l, 0, 80));
    value(so.listen(l, 16));
    const other = so.socket();
    const r = so.bind(other, 0, 80);
    expect(code(r)).toBe('EADDRINUSE');
    expect((r as SocketError).syscall).toBe('bind');
    // The server closes first: its side of the connection goes to TIME_WAIT.
    const c = e.client.sockets.socket();
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(10));
    const a = value(so.accept(l)).fd;
    so.close(a);
    so.close(l);
    e.net.runFor(ms(100));
    e.client.sockets.close(c);
    e.net.runFor(s(1));
    expect(e.server.tcp.net.timeWait.size).toBe(1);
    expect(code(so.bind(so.socket(), 0, 80))).toBe('EADDRINUSE');
    const reuse = so.socket();
    value(so.setsockopt(reuse, 'SO_REUSEADDR', true));
    expect(so.bind(reuse, 0, 80)).toBe(0);
    // Two listeners never share a port, SO_REUSEADDR or not.
    expect(so.listen(reuse, 5)).toBe(0);
    const second = so.socket();
    so.setsockopt(second, 'SO_REUSEADDR', true);
    expect(code(so.bind(second, 0, 80))).toBe('EADDRINUSE');
    // When TIME_WAIT is over (60 s) and the listener closed, the port is free.
    so.close(reuse);
    e.net.runFor(s(61));
    expect(e.server.tcp.net.timeWait.size).toBe(0);
    expect(so.bind(so.socket(), 0, 80)).toBe(0);
  });

  test('EADDRNOTAVAIL: connect() from a bound port whose 4-tuple is still in TIME_WAIT without timestamps', () => {
    // tcp_twsk_unique lets a bound port take a TIME_WAIT 4-tuple only when the
    // sock has timestamps (tw-reuse.test.ts has the case with them).
    const e = env();
    for (const h of [e.client, e.server]) h.sysctl.set('net.ipv4.tcp_timestamps', 0);
    const l = listenOn(e.server);
    const so = e.client.sockets;
    const first = so.socket();
    value(so.setsockopt(first, 'SO_REUSEADDR', true));
    value(so.bind(first, 0, 40001));
    so.connect(first, SERVER_IP, 80);
    e.net.runFor(ms(10));
    so.close(first);
    e.net.runFor(ms(100));
    e.server.sockets.close(value(e.server.sockets.accept(l)).fd);
    e.net.runFor(s(1));
    const tw = [...e.client.tcp.net.timeWait];
    expect(tw.map((t) => [t.substate, t.localPort])).toEqual([['TIME_WAIT', 40001]]);
    const second = so.socket();
    value(so.setsockopt(second, 'SO_REUSEADDR', true));
    expect(so.bind(second, 0, 40001)).toBe(0);
    expect(code(so.connect(second, SERVER_IP, 80))).toBe('EADDRNOTAVAIL');
  });

  test('listen() caps the backlog at net.core.somaxconn, an unbound listen() takes a port', () => {
    const e = env();
    const so = e.server.sockets;
    const fd = so.socket();
    value(so.bind(fd, 0, 80));
    value(so.listen(fd, 100_000));
    expect(so.file(fd)!.listenSock!.listener.backlog).toBe(4096);
    e.server.sysctl.set('net.core.somaxconn', 8);
    value(so.listen(fd, -1));
    expect(so.file(fd)!.listenSock!.listener.backlog).toBe(8);
    const auto = so.socket();
    value(so.listen(auto, 1));
    expect(value(so.getsockname(auto)).port).toBeGreaterThanOrEqual(32768);
  });
});

describe('accept(), read(), write()', () => {
  test('EAGAIN when non-blocking and nothing is there; EINVAL on a socket that does not listen', () => {
    const e = env();
    const so = e.server.sockets;
    const l = listenOn(e.server);
    so.setNonBlocking(l, true);
    expect(code(so.accept(l))).toBe('EAGAIN');
    expect(code(so.accept(so.socket()))).toBe('EINVAL');
    const c = e.client.sockets.socket({ nonBlocking: true });
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(10));
    const a = value(so.accept(l));
    expect(a.address).toBe(CLIENT_IP);
    expect(a.port).toBe(value(e.client.sockets.getsockname(c)).port);
    expect(code(e.client.sockets.read(c))).toBe('EAGAIN');
  });

  test('a blocking accept() and read() settle when the connection and the data arrive', () => {
    const e = env();
    const so = e.server.sockets;
    const l = listenOn(e.server);
    const acc = settled(so.accept(l));
    expect(acc()).toBeUndefined();
    const c = e.client.sockets.socket();
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(10));
    const a = value(acc() as { fd: number }).fd;
    const rd = settled(so.read(a));
    expect(rd()).toBeUndefined();
    e.client.sockets.write(c, bytes('hi'));
    e.net.runFor(ms(10));
    expect(new TextDecoder().decode(rd() as Uint8Array)).toBe('hi');
  });

  test('ENOTCONN: read, shutdown and getpeername on a socket never connected', () => {
    const e = env();
    const so = e.client.sockets;
    const fd = so.socket();
    expect(code(so.read(fd))).toBe('ENOTCONN');
    expect(code(so.shutdown(fd, 'SHUT_WR'))).toBe('ENOTCONN');
    expect(code(so.getpeername(fd))).toBe('ENOTCONN');
    expect(value(so.getsockname(fd))).toEqual({ address: 0, port: 0 });
  });

  test('EPIPE after shutdown(SHUT_WR); reading still works (half-close)', () => {
    const e = env();
    const { c, a } = pair(e);
    value(e.client.sockets.shutdown(c, 'SHUT_WR'));
    expect(code(e.client.sockets.write(c, bytes('x')))).toBe('EPIPE');
    e.net.runFor(ms(10));
    expect(value(e.server.sockets.read(a))).toEqual(new Uint8Array(0));
    value(e.server.sockets.write(a, bytes('late')));
    e.net.runFor(ms(10));
    expect(new TextDecoder().decode(value(e.client.sockets.read(c)))).toBe('late');
  });

  test('after the peer’s RST: ECONNRESET once, then EPIPE on write and end of file on read', () => {
    const e = env();
    const { c, a } = pair(e);
    e.server.sockets.setsockopt(a, 'SO_LINGER', { onoff: true, linger: 0 });
    e.server.sockets.close(a);
    e.net.runFor(ms(10));
    expect(e.client.sockets.pollEvents(c) & POLLERR).toBe(POLLERR);
    expect(code(e.client.sockets.write(c, bytes('x')))).toBe('ECONNRESET');
    expect(code(e.client.sockets.write(c, bytes('x')))).toBe('EPIPE');
    expect(value(e.client.sockets.read(c))).toEqual(new Uint8Array(0));
  });

  test('a non-blocking write is partial when the send buffer fills, then EAGAIN', () => {
    const e = env();
    const { c } = pair(e);
    const so = e.client.sockets;
    so.setNonBlocking(c, true);
    const big = new Uint8Array(10_000_000);
    const n = value(so.write(c, big));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(big.length);
    expect(code(so.write(c, big))).toBe('EAGAIN');
  });

  test('a blocking write of more than the buffer settles with every byte once the peer reads', () => {
    const e = env();
    const { c, a } = pair(e);
    const big = new Uint8Array(1_000_000).fill(7);
    const w = settled(e.client.sockets.write(c, big));
    let got = 0;
    const drain = (): void => {
      const r = e.server.sockets.read(a);
      if (r instanceof Pending)
        r.onSettled((x) => {
          got += (x as Uint8Array).length;
          drain();
        });
    };
    drain();
    e.net.runFor(s(5));
    expect(w()).toBe(big.length);
    expect(got).toBe(big.length);
  });

  test('a blocked read woken by data that ends with the FIN gets the data, the next read the end of file', () => {
    // The read takes 20000 bytes in segments; the last one carries the FIN.
    // Taking data lets the window open, so the read's own attempt sends an ACK
    // and wakes its socket again: that nested wake must not settle the read
    // with the end of file and lose what the attempt took.
    const e = env();
    const { c, a } = pair(e);
    let got = 0;
    let eof = false;
    const drain = (): void => {
      const r = e.server.sockets.read(a);
      const take = (x: unknown): void => {
        const n = (x as Uint8Array).length;
        if (n === 0) eof = true;
        else {
          got += n;
          drain();
        }
      };
      if (r instanceof Pending) r.onSettled(take);
      else take(r);
    };
    drain();
    e.client.sockets.write(c, new Uint8Array(20_000).fill(1));
    e.client.sockets.close(c);
    e.net.runFor(s(1));
    expect(got).toBe(20_000);
    expect(eof).toBe(true);
  });

  test('EBADF on a closed fd; close() fails a blocked call with EBADF; fds are reused lowest first', () => {
    const e = env();
    const so = e.server.sockets;
    const l = listenOn(e.server);
    expect(l).toBe(3);
    const acc = settled(so.accept(l));
    so.close(l);
    expect(code(acc())).toBe('EBADF');
    expect(code(so.read(l))).toBe('EBADF');
    expect(code(so.close(l))).toBe('EBADF');
    expect(so.socket()).toBe(3);
  });
});

describe('close() and keepalive', () => {
  test('close() with unread data sends a RST (TcpExtTCPAbortOnClose); the peer reads ECONNRESET', () => {
    const e = env();
    const { c, a } = pair(e);
    e.client.sockets.write(c, bytes('unread'));
    e.net.runFor(ms(10));
    e.server.sockets.close(a);
    e.net.runFor(ms(10));
    expect(e.server.tcp.net.counters.TcpExtTCPAbortOnClose).toBe(1);
    expect(code(e.client.sockets.read(c))).toBe('ECONNRESET');
  });

  test('SO_KEEPALIVE: a dead peer is found by the probes, and read() fails with ETIMEDOUT', () => {
    const e = env();
    for (const [k, v] of [
      ['tcp_keepalive_time', '10'],
      ['tcp_keepalive_intvl', '1'],
      ['tcp_keepalive_probes', '3'],
    ] as const) {
      expect(e.client.sysctl.write(`net.ipv4.${k}`, v).ok).toBe(true);
    }
    const { c } = pair(e);
    value(e.client.sockets.setsockopt(c, 'SO_KEEPALIVE', true));
    const rd = settled(e.client.sockets.read(c));
    e.server.addHook('INPUT', (_n, p) => (p.ip.protocol === IPPROTO_TCP ? 'DROP' : 'ACCEPT'));
    e.net.runFor(s(12));
    expect(rd()).toBeUndefined();
    e.net.runFor(s(5));
    expect(code(rd())).toBe('ETIMEDOUT');
  });
});

describe('poll()', () => {
  test('revents per state, as tcp_poll reports them', () => {
    const e = env({ delay: ms(1) });
    const so = e.client.sockets;
    const l = listenOn(e.server);
    const fd = so.socket({ nonBlocking: true });
    // A fresh socket is CLOSE: POLLOUT | POLLHUP.
    expect(so.pollEvents(fd)).toBe(POLLOUT | POLLWRNORM | POLLHUP);
    so.connect(fd, SERVER_IP, 80);
    expect(so.pollEvents(fd)).toBe(0); // SYN_SENT
    expect(e.server.sockets.pollEvents(l)).toBe(0);
    e.net.runFor(ms(5));
    expect(so.pollEvents(fd)).toBe(POLLOUT | POLLWRNORM); // ESTABLISHED
    expect(e.server.sockets.pollEvents(l)).toBe(POLLIN | POLLRDNORM);
    const a = value(e.server.sockets.accept(l)).fd;
    e.server.sockets.write(a, bytes('data'));
    e.net.runFor(ms(5));
    expect(so.pollEvents(fd)).toBe(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
    e.server.sockets.shutdown(a, 'SHUT_WR');
    e.net.runFor(ms(5));
    expect(so.pollEvents(fd)).toBe(POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM); // CLOSE_WAIT
    so.shutdown(fd, 'SHUT_WR');
    e.net.runFor(ms(5));
    expect(so.pollEvents(fd) & POLLHUP).toBe(POLLHUP); // both directions shut
  });

  test('a refused non-blocking connect: POLLERR with POLLHUP, POLLIN, POLLRDHUP and POLLOUT', () => {
    const e = env();
    const so = e.client.sockets;
    const fd = so.socket({ nonBlocking: true });
    so.connect(fd, SERVER_IP, 80);
    e.net.runFor(ms(5));
    expect(so.pollEvents(fd)).toBe(
      POLLERR | POLLHUP | POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM,
    );
    expect(so.getsockopt(fd, 'SO_ERROR')).toBe(111);
    expect(so.getsockopt(fd, 'SO_ERROR')).toBe(0);
    expect(so.pollEvents(fd) & POLLERR).toBe(0);
  });

  test('a poll with a timeout settles empty when nothing happens', () => {
    const e = env();
    const l = listenOn(e.server);
    const r = settled(e.server.sockets.poll([{ fd: l, events: POLLIN }], 100));
    e.net.runFor(ms(99));
    expect(r()).toBeUndefined();
    e.net.runFor(ms(2));
    expect(r()).toEqual([]);
  });
});

describe('options', () => {
  test('SO_SNDBUF and SO_RCVBUF are doubled (and clamped to wmem_max/rmem_max first)', () => {
    const e = env();
    const so = e.client.sockets;
    const fd = so.socket();
    expect(so.getsockopt(fd, 'SO_RCVBUF')).toBe(131072);
    expect(so.getsockopt(fd, 'SO_SNDBUF')).toBe(16384);
    so.setsockopt(fd, 'SO_SNDBUF', 10_000);
    so.setsockopt(fd, 'SO_RCVBUF', 10_000_000);
    expect(so.getsockopt(fd, 'SO_SNDBUF')).toBe(20_000);
    expect(so.getsockopt(fd, 'SO_RCVBUF')).toBe(425_984);
  });

  test('TCP_MAXSEG before connect() lowers the MSS announced in the SYN; read back once connected', () => {
    const e = env();
    listenOn(e.server);
    const so = e.client.sockets;
    const fd = so.socket();
    expect(so.getsockopt(fd, 'TCP_MAXSEG')).toBe(536);
    expect(code(so.setsockopt(fd, 'TCP_MAXSEG', 10))).toBe('EINVAL');
    value(so.setsockopt(fd, 'TCP_MAXSEG', 1000));
    so.connect(fd, SERVER_IP, 80);
    e.net.runFor(ms(5));
    expect(so.getsockopt(fd, 'TCP_MAXSEG')).toBe(1000 - 12);
  });

  test('TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR and SO_LINGER read back what was set', () => {
    const e = env();
    const so = e.client.sockets;
    const fd = so.socket();
    for (const o of ['TCP_NODELAY', 'SO_KEEPALIVE', 'SO_REUSEADDR'] as const) {
      expect(so.getsockopt(fd, o)).toBe(false);
      so.setsockopt(fd, o, true);
      expect(so.getsockopt(fd, o)).toBe(true);
    }
    so.setsockopt(fd, 'SO_LINGER', { onoff: true, linger: 5 });
    expect(so.getsockopt(fd, 'SO_LINGER')).toEqual({ onoff: true, linger: 5 });
    expect(code(so.setsockopt(fd, 'SO_ERROR', 1))).toBe('ENOPROTOOPT');
  });
});
