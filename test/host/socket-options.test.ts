/**
 * The socket options and calls packetdrill scripts (and tools) use, with
 * Linux's semantics: the TCP_* options of do_tcp_setsockopt /
 * do_tcp_getsockopt (bounds, "0 means the sysctl", TCP_LINGER2's -1),
 * fcntl(F_GETFL), ioctl(SIOCINQ/SIOCOUTQ), getsockopt(TCP_INFO), and close()
 * with SO_LINGER.
 */

import { describe, expect, test } from 'vitest';
import {
  type Blocking,
  O_NONBLOCK,
  O_RDWR,
  Pending,
  POLLOUT,
  SocketError,
} from '../../src/host/socket.js';
import { ms, s } from '../../src/sim/time.js';
import { lan, SERVER_IP, value } from './helpers.js';

function code(r: unknown): string | undefined {
  return r instanceof SocketError ? r.code : undefined;
}

function settled<T>(r: Blocking<T>): () => T | SocketError | undefined {
  if (!(r instanceof Pending)) return () => r;
  return () => r.result;
}

function pair() {
  const e = lan({ seed: 5 });
  const so = e.server.sockets;
  const l = so.socket();
  value(so.bind(l, 0, 80));
  value(so.listen(l, 4));
  const c = e.client.sockets.socket();
  const conn = settled(e.client.sockets.connect(c, SERVER_IP, 80));
  e.net.runFor(ms(10));
  expect(conn()).toBe(0);
  const a = value(so.accept(l)).fd;
  return { e, c, a, l };
}

describe('TCP_* socket options', () => {
  test('TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT / TCP_SYNCNT: the sysctl until set, bounds checked', () => {
    const { e } = pair();
    const so = e.client.sockets;
    const fd = so.socket();
    e.client.sysctl.set('net.ipv4.tcp_keepalive_time', 3);
    expect(so.getsockopt(fd, 'TCP_KEEPIDLE')).toBe(3);
    expect(so.getsockopt(fd, 'TCP_KEEPINTVL')).toBe(75);
    expect(so.getsockopt(fd, 'TCP_KEEPCNT')).toBe(9);
    expect(so.getsockopt(fd, 'TCP_SYNCNT')).toBe(6);
    expect(so.setsockopt(fd, 'TCP_KEEPIDLE', 2)).toBe(0);
    expect(so.setsockopt(fd, 'TCP_KEEPINTVL', 1)).toBe(0);
    expect(so.setsockopt(fd, 'TCP_KEEPCNT', 3)).toBe(0);
    expect(so.setsockopt(fd, 'TCP_SYNCNT', 3)).toBe(0);
    expect(
      ['TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_SYNCNT'].map((o) =>
        so.getsockopt(fd, o as 'TCP_KEEPIDLE'),
      ),
    ).toEqual([2, 1, 3, 3]);
    // tcp_sock_set_keepidle_locked & co: 1..MAX_TCP_KEEPIDLE (32767), 1..127 for the counts.
    expect(code(so.setsockopt(fd, 'TCP_KEEPIDLE', 0))).toBe('EINVAL');
    expect(code(so.setsockopt(fd, 'TCP_KEEPIDLE', 32768))).toBe('EINVAL');
    expect(code(so.setsockopt(fd, 'TCP_KEEPCNT', 128))).toBe('EINVAL');
    expect(code(so.setsockopt(fd, 'TCP_SYNCNT', 0))).toBe('EINVAL');
  });

  test('TCP_LINGER2: tcp_fin_timeout until set, -1 for a negative value, at most 120 s', () => {
    const { e } = pair();
    const so = e.client.sockets;
    const fd = so.socket();
    expect(so.getsockopt(fd, 'TCP_LINGER2')).toBe(60);
    expect(so.setsockopt(fd, 'TCP_LINGER2', 3)).toBe(0);
    expect(so.getsockopt(fd, 'TCP_LINGER2')).toBe(3);
    expect(so.setsockopt(fd, 'TCP_LINGER2', -5)).toBe(0);
    expect(so.getsockopt(fd, 'TCP_LINGER2')).toBe(-1);
    expect(so.setsockopt(fd, 'TCP_LINGER2', 1000)).toBe(0);
    expect(so.getsockopt(fd, 'TCP_LINGER2')).toBe(120);
  });

  test('TCP_USER_TIMEOUT and TCP_CORK read back; a negative user timeout is EINVAL', () => {
    const { e } = pair();
    const so = e.client.sockets;
    const fd = so.socket();
    expect(so.setsockopt(fd, 'TCP_USER_TIMEOUT', 3000)).toBe(0);
    expect(so.getsockopt(fd, 'TCP_USER_TIMEOUT')).toBe(3000);
    expect(code(so.setsockopt(fd, 'TCP_USER_TIMEOUT', -1))).toBe('EINVAL');
    expect(so.getsockopt(fd, 'TCP_CORK')).toBe(false);
    expect(so.setsockopt(fd, 'TCP_CORK', true)).toBe(0);
    expect(so.getsockopt(fd, 'TCP_CORK')).toBe(true);
  });

  test('an accepted socket inherits the listener TCP options', () => {
    const e = lan({ seed: 5 });
    const so = e.server.sockets;
    const l = so.socket();
    value(so.setsockopt(l, 'TCP_KEEPIDLE', 5));
    value(so.bind(l, 0, 80));
    value(so.listen(l, 4));
    const c = e.client.sockets.socket();
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(10));
    const a = value(so.accept(l)).fd;
    expect(so.getsockopt(a, 'TCP_KEEPIDLE')).toBe(5);
  });

  test('SO_SNDBUF is doubled, as sock_setsockopt stores it', () => {
    const { e, a } = pair();
    expect(e.server.sockets.setsockopt(a, 'SO_SNDBUF', 21000)).toBe(0);
    expect(e.server.sockets.getsockopt(a, 'SO_SNDBUF')).toBe(42000);
  });

  test("SO_SNDBUF is the engine's sk_sndbuf: a non-blocking write queues up to it in skb truesize", () => {
    const sizes: number[] = [];
    for (const sndbuf of [100_000, 21000]) {
      const { e, a } = pair();
      const so = e.server.sockets;
      expect(so.setsockopt(a, 'SO_SNDBUF', sndbuf)).toBe(0);
      value(so.setNonBlocking(a, true));
      sizes.push(value(so.write(a, new Uint8Array(1_000_000))));
    }
    // A write stops at the skb that takes sk_wmem_queued to sk_sndbuf (200000,
    // then 42000) or beyond (test/tcp/wmem.test.ts).
    expect(sizes[0]).toBeGreaterThanOrEqual(200_000 - 4000);
    expect(sizes[1]).toBeGreaterThanOrEqual(42000 - 4000);
    expect(sizes[1]).toBeLessThan(sizes[0]!);
  });
});

describe('TCP_NOTSENT_LOWAT (tcp_stream_memory_free)', () => {
  /** A server socket writing to a client that never reads, with `lowat` set if given. */
  function writer(lowat?: number) {
    const { e, a } = pair();
    const so = e.server.sockets;
    expect(so.setsockopt(a, 'SO_SNDBUF', 1_000_000)).toBe(0);
    if (lowat !== undefined) expect(so.setsockopt(a, 'TCP_NOTSENT_LOWAT', lowat)).toBe(0);
    value(so.setNonBlocking(a, true));
    return { e, so, a };
  }

  test('reads back what was set, 0 unless set; a negative value is a large unsigned one', () => {
    const { so, a } = writer();
    expect(so.getsockopt(a, 'TCP_NOTSENT_LOWAT')).toBe(0);
    expect(so.setsockopt(a, 'TCP_NOTSENT_LOWAT', 16384)).toBe(0);
    expect(so.getsockopt(a, 'TCP_NOTSENT_LOWAT')).toBe(16384);
    expect(so.setsockopt(a, 'TCP_NOTSENT_LOWAT', -1)).toBe(0);
    expect(so.getsockopt(a, 'TCP_NOTSENT_LOWAT')).toBe(4294967295);
  });

  test('a write stops taking new skbs once that much is unsent; POLLOUT waits for half of it', () => {
    const unlimited = writer();
    const all = value(unlimited.so.write(unlimited.a, new Uint8Array(1_000_000)));
    const { e, so, a } = writer(20_000);
    const n = value(so.write(a, new Uint8Array(1_000_000)));
    // What the window let go (10 segments) plus what filled the skb that
    // reached 20000 unsent bytes: far less than the send buffer alone allows.
    expect(n).toBeLessThan(all);
    expect(n).toBeGreaterThanOrEqual(10 * 1448 + 20_000);
    expect(code(so.write(a, new Uint8Array(1)))).toBe('EAGAIN');
    expect(so.pollEvents(a) & POLLOUT).toBe(0);
    // The peer's ACKs let data go: fewer than 10000 unsent (2 × unsent < 20000), writeable again.
    e.net.runFor(ms(50));
    const info = value(so.tcpInfo(a));
    expect(info.tcpi_notsent_bytes).toBeLessThan(10_000);
    expect(so.pollEvents(a) & POLLOUT).toBe(POLLOUT);
  });

  test('raising it wakes a writer that waits for it ("sk->sk_write_space(sk)")', () => {
    const { e, so, a } = writer(20_000);
    value(so.setNonBlocking(a, false));
    const w = so.write(a, new Uint8Array(300_000));
    expect(w).toBeInstanceOf(Pending);
    const before = value(so.ioctl(a, 'SIOCOUTQ'));
    // At the same instant, no ACK in between: the write goes on at once.
    expect(so.setsockopt(a, 'TCP_NOTSENT_LOWAT', 1_000_000)).toBe(0);
    expect(value(so.ioctl(a, 'SIOCOUTQ'))).toBeGreaterThan(before);
    e.net.runFor(s(5));
    expect((w as Pending<number>).result).toBe(300_000);
  });

  test('net.ipv4.tcp_notsent_lowat: an unsigned int, 4294967295 (none) by default', () => {
    const { e } = pair();
    const sysctl = e.server.sysctl;
    expect(sysctl.read('net.ipv4.tcp_notsent_lowat')).toEqual({ ok: true, value: '4294967295' });
    expect(sysctl.write('net.ipv4.tcp_notsent_lowat', '-1').ok).toBe(false);
    expect(sysctl.write('net.ipv4.tcp_notsent_lowat', '4294967296').ok).toBe(false);
    expect(sysctl.write('net.ipv4.tcp_notsent_lowat', '131072')).toEqual({
      ok: true,
      value: '131072',
    });
  });
});

describe('fcntl, ioctl, TCP_INFO', () => {
  test('F_GETFL: O_RDWR, and O_NONBLOCK once set', () => {
    const { e, c } = pair();
    const so = e.client.sockets;
    expect(so.getFlags(c)).toBe(O_RDWR);
    value(so.setNonBlocking(c, true));
    expect(so.getFlags(c)).toBe(O_RDWR | O_NONBLOCK);
    expect(code(so.getFlags(99))).toBe('EBADF');
  });

  test('SIOCINQ counts unread bytes, SIOCOUTQ unacknowledged ones; a listener is EINVAL', () => {
    const { e, c, a, l } = pair();
    value(e.client.sockets.write(c, new Uint8Array(300)));
    expect(e.client.sockets.ioctl(c, 'SIOCOUTQ')).toBe(300);
    e.net.runFor(ms(10));
    expect(e.client.sockets.ioctl(c, 'SIOCOUTQ')).toBe(0);
    expect(e.server.sockets.ioctl(a, 'SIOCINQ')).toBe(300);
    value(e.server.sockets.read(a, 100));
    expect(e.server.sockets.ioctl(a, 'SIOCINQ')).toBe(200);
    expect(code(e.server.sockets.ioctl(l, 'SIOCINQ'))).toBe('EINVAL');
  });

  test('TCP_INFO: state numbers, MSS, cwnd; LISTEN for a listener; TCP_CLOSE after TIME_WAIT', () => {
    const { e, c, a, l } = pair();
    const info = value(e.client.sockets.tcpInfo(c));
    expect(info.tcpi_state).toBe(1);
    expect(info.tcpi_snd_mss).toBe(1448);
    // tcp_rcv_synsent_state_process: "tp->advmss -= TCPOLEN_TSTAMP_ALIGNED" with timestamps.
    expect(info.tcpi_advmss).toBe(1448);
    expect(info.tcpi_snd_cwnd).toBe(10);
    expect(value(e.server.sockets.tcpInfo(l)).tcpi_state).toBe(10);
    value(e.client.sockets.shutdown(c, 'SHUT_WR'));
    e.net.runFor(ms(10));
    value(e.server.sockets.close(a));
    e.net.runFor(ms(100));
    expect(value(e.client.sockets.tcpInfo(c)).tcpi_state).toBe(7);
  });
});

describe('close() with SO_LINGER', () => {
  test('{on, 0}: a reset, at once', () => {
    const { e, c } = pair();
    value(e.client.sockets.setsockopt(c, 'SO_LINGER', { onoff: true, linger: 0 }));
    expect(e.client.sockets.closeLinger(c)).toBe(0);
  });

  test('without SO_LINGER, or non-blocking: returns at once', () => {
    const { e, c, a } = pair();
    expect(e.client.sockets.closeLinger(c)).toBe(0);
    value(e.server.sockets.setsockopt(a, 'SO_LINGER', { onoff: true, linger: 5 }));
    value(e.server.sockets.setNonBlocking(a, true));
    expect(e.server.sockets.closeLinger(a)).toBe(0);
  });
});

describe('the options reach the connection', () => {
  test('TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT: 3 probes 2, 3, 4 s after, RST and ETIMEDOUT at 5 s', () => {
    const { e, a } = pair();
    const so = e.server.sockets;
    const t0 = e.net.now;
    value(so.setsockopt(a, 'SO_KEEPALIVE', true));
    value(so.setsockopt(a, 'TCP_KEEPIDLE', 2));
    value(so.setsockopt(a, 'TCP_KEEPINTVL', 1));
    value(so.setsockopt(a, 'TCP_KEEPCNT', 3));
    // The client's answers never arrive.
    e.server.addHook('INPUT', () => 'DROP');
    const rd = settled(so.read(a, 100));
    e.net.runFor(s(5) - ms(100));
    expect(rd()).toBeUndefined();
    e.net.runFor(s(1));
    expect(code(rd())).toBe('ETIMEDOUT');
    expect(e.net.now - t0).toBeGreaterThan(s(5));
  });

  test('TCP_SYNCNT=3: connect() fails with ETIMEDOUT after 19 s', () => {
    const e = lan({ seed: 5 });
    const so = e.client.sockets;
    const fd = so.socket();
    value(so.setsockopt(fd, 'TCP_SYNCNT', 3));
    // Nothing listens and the server's resets are dropped: a silent peer.
    e.server.addHook('INPUT', () => 'DROP');
    const r = settled(so.connect(fd, SERVER_IP, 80));
    e.net.runFor(s(19) - ms(100));
    expect(r()).toBeUndefined();
    e.net.runFor(s(1));
    expect(code(r())).toBe('ETIMEDOUT');
  });

  test('TCP_CORK holds small writes until uncorked; send() with MSG_MORE until a push', () => {
    const { e, c, a } = pair();
    value(e.client.sockets.setsockopt(c, 'TCP_CORK', true));
    value(e.client.sockets.write(c, new Uint8Array(40)));
    e.net.runFor(ms(50));
    expect(e.server.sockets.ioctl(a, 'SIOCINQ')).toBe(0);
    value(e.client.sockets.setsockopt(c, 'TCP_CORK', false));
    e.net.runFor(ms(1));
    expect(e.server.sockets.ioctl(a, 'SIOCINQ')).toBe(40);
    value(e.client.sockets.send(c, new Uint8Array(10), { more: true }));
    e.net.runFor(ms(50));
    expect(e.server.sockets.ioctl(a, 'SIOCINQ')).toBe(40);
    value(e.client.sockets.setsockopt(c, 'TCP_NODELAY', true));
    e.net.runFor(ms(1));
    expect(e.server.sockets.ioctl(a, 'SIOCINQ')).toBe(50);
  });

  test('close() with SO_LINGER {1, 5} blocks until the FIN is acknowledged', () => {
    const e = lan({ seed: 5, link: { delay: ms(25) } });
    const so = e.server.sockets;
    const l = so.socket();
    value(so.bind(l, 0, 80));
    value(so.listen(l, 4));
    const c = e.client.sockets.socket();
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(100));
    const t0 = e.net.now;
    value(e.client.sockets.setsockopt(c, 'SO_LINGER', { onoff: true, linger: 5 }));
    const r = e.client.sockets.closeLinger(c);
    expect(r).toBeInstanceOf(Pending);
    let at: number | undefined;
    (r as Pending<0>).onSettled(() => {
      at = e.net.now;
    });
    e.net.runFor(ms(40));
    expect((r as Pending<0>).done).toBe(false);
    e.net.runFor(ms(160));
    expect((r as Pending<0>).result).toBe(0);
    // The FIN's round trip (50 ms) and the peer's delayed ACK of it (one jiffy).
    expect(at! - t0).toBe(ms(53));
  });

  test('TCP_INFO: tcpi_busy_time and tcpi_rwnd_limited (tcp_chrono)', () => {
    const e = lan({ seed: 5 });
    // A server with a 4 KiB receive buffer that reads nothing: the client
    // soon waits for its window.
    e.server.sysctl.set('net.ipv4.tcp_rmem', [4096, 4096, 4096]);
    const so = e.server.sockets;
    const l = so.socket();
    value(so.bind(l, 0, 80));
    value(so.listen(l, 4));
    const c = e.client.sockets.socket();
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(10));
    expect(value(e.client.sockets.tcpInfo(c)).tcpi_busy_time).toBe(0);
    value(e.client.sockets.setNonBlocking(c, true));
    e.client.sockets.write(c, new Uint8Array(20_000));
    e.net.runFor(s(1));
    const info = value(e.client.sockets.tcpInfo(c));
    expect(info.tcpi_rwnd_limited).toBeGreaterThan(900_000);
    expect(info.tcpi_busy_time).toBeGreaterThanOrEqual(info.tcpi_rwnd_limited);
    expect(info.tcpi_sndbuf_limited).toBe(0);
  });
});
