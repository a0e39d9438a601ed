/**
 * The receive side's window and buffer, against what Linux 6.18.44 does
 * (observed on this kernel, veth pair with offloads off as in the reference
 * traces; the recording scripts are test/tcp/recordings/*.py, their output
 * test/tcp/recordings/*.txt): tcp_init_buffer_space's clamp, the window's
 * growth from rcv_ssthresh (tcp_grow_window, scaling_ratio), receive-buffer
 * autotuning (tcp_rcv_space_adjust) and SO_RCVBUF; and the delayed ACK of a
 * FIN that arrives before any data.
 */

import { describe, expect, test } from 'vitest';
import { ms, us } from '../../src/sim/time.js';
import { OutOfOrderQueue, ReceiveQueue, SKB_RX_OVERHEAD } from '../../src/tcp/buffers.js';
import { JIFFY_NS } from '../../src/tcp/clock.js';
import type { Connection } from '../../src/tcp/connection.js';
import { TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, SYN } from '../../src/wire/tcp.js';
import { lan, SERVER_IP } from '../host/helpers.js';
import {
  EMPTY,
  FROM_SERVER,
  IRS,
  ISS,
  ourTs,
  PEER_TS,
  synAckFromServer,
  synOpts,
  Tester,
  tsOpt,
} from './harness.js';
import { Sim } from './netsim.js';

/** The traces' kernel: tcp_rmem max 32 MiB (wscale 10); Reno so the sender is simple. */
const TRACE = tcpSysctl({ tcp_congestion_control: 'reno' }, TRACE_KERNEL_TCP_SYSCTL);

/** An active open on the traces' kernel: SYN at 0, SYN-ACK (wscale 10) at 10 ms, our ACK. */
function clientEstablished(timerWheel = false): Tester {
  const t = new Tester({ sysctl: TRACE, timerWheel });
  t.connect(0);
  t.expect(0, { flags: SYN, window: 64240, options: synOpts(1460, ourTs(0), 0, 10) });
  const ack = t.send(ms(10), synAckFromServer(ourTs(0), 10));
  // 64240 → rcv_ssthresh 64088 (below): 62.6 × 1024, offered as 63.
  expect(ack).toMatchObject({ flags: ACK, window: 63 });
  t.takeEvents();
  return t;
}

/** `n` bytes from the server at offset `off`, at `t`; the application reads them at once. */
function serverData(t: Tester, at: number, off: number, n: number) {
  const reply = t.send(at, {
    ...FROM_SERVER,
    seq: seqAdd(IRS, 1 + off),
    ack: seqAdd(ISS, 1),
    flags: ACK | PSH,
    options: tsOpt(PEER_TS, ourTs(0)),
    payload: new Uint8Array(n),
  });
  t.app(at, (c) => c.recv(at));
  return reply;
}

describe('tcp_init_buffer_space: one segment kept back', () => {
  test('active open: window clamp and rcv_ssthresh 65536 − 1448 = 64088; the ACK offers 63 (×1024) as in every trace', () => {
    const t = clientEstablished();
    expect(t.c.windowClamp).toBe(64088);
    expect(t.c.rcvSsthresh).toBe(64088);
    expect(t.c.scalingRatio).toBe(128);
  });

  test('tcp_app_win=0: no segment kept back, the window clamp is the whole 64 KiB', () => {
    const t = new Tester({ sysctl: tcpSysctl({ tcp_app_win: 0 }, TRACE) });
    t.connect(0);
    t.expect(0, { flags: SYN });
    t.send(ms(10), synAckFromServer(ourTs(0), 10));
    expect(t.c.windowClamp).toBe(65536);
    expect(t.c.rcvSsthresh).toBe(64240);
  });
});

describe('tcp_grow_window and scaling_ratio (Linux 6.18.44: windows 63 63 64 67 70 73 73)', () => {
  // Recorded: the server sends 19, 200, 849, 1448, then 3000 (1448 + 1448 + 104)
  // bytes, 200 ms apart; the client reads each; its ACKs offer these windows.
  test('segments under 128 bytes or a full clamp leave the window at 63; 849 bytes re-measure the ratio', () => {
    const t = clientEstablished();
    expect(serverData(t, ms(200), 0, 19)).toMatchObject({ window: 63 });
    expect(serverData(t, ms(400), 19, 200)).toMatchObject({ window: 63 });
    // 200 bytes: room = min(64088, tcp_space) − 64088 = 0, no growth.
    expect(t.c.rcvSsthresh).toBe(64088);
    // 849 bytes, truesize 849 + 832: ratio 849 × 256 / 1681 = 129, clamp
    // 131072 × 129 / 256 = 66048 (TCP_WINDOW_CLAMP read on Linux), rcv_ssthresh
    // first to the window offered (63 × 1024), then + min(room, 2 × 1448) with
    // tcp_space = (131072 − 1681) × 129 / 256 = 65200 (ss: rcv_ssthresh:65200).
    expect(serverData(t, ms(600), 219, 849)).toMatchObject({ window: 64 });
    expect(t.c.scalingRatio).toBe(129);
    expect(t.c.windowClamp).toBe(66048);
    expect(t.c.rcvSsthresh).toBe(65200);
    // 1448 bytes: ratio 162, clamp 82944, rcv_ssthresh 65536 + 2896 = 68432 (ss).
    expect(serverData(t, ms(800), 1068, 1448)).toMatchObject({ window: 67 });
    expect(t.c.scalingRatio).toBe(162);
    expect(t.c.windowClamp).toBe(82944);
    expect(t.c.rcvSsthresh).toBe(68432);
    expect(serverData(t, ms(1000), 2516, 1448)).toMatchObject({ window: 70 });
    expect(serverData(t, ms(1000) + us(100), 3964, 1448)).toMatchObject({ window: 73 });
    expect(serverData(t, ms(1000) + us(200), 5412, 104)).toMatchObject({ window: 73 });
    expect(t.c.rcvSsthresh).toBe(74224);
  });

  test('unread data is charged by truesize: an skb of its own, then segments that join it (tcp_try_coalesce)', () => {
    const t = clientEstablished();
    let off = 0;
    for (let i = 0; i < 8; i++) {
      t.send(ms(200) + us(i), {
        ...FROM_SERVER,
        seq: seqAdd(IRS, 1 + off),
        ack: seqAdd(ISS, 1),
        flags: ACK,
        options: tsOpt(PEER_TS, ourTs(0)),
        payload: new Uint8Array(1448),
      });
      off += 1448;
    }
    // The first segment is an skb of its own (1448 + 832), the next seven
    // join it (tcp_try_coalesce): 2280 + 7 × 1448 = 12416 bytes charged.
    expect(t.c.rcvQueue.truesize).toBe(1448 + SKB_RX_OVERHEAD + 7 * 1448);
    t.app(ms(300), (c) => c.recv(ms(300)));
    expect(t.c.rcvQueue.truesize).toBe(0);
  });
});

describe('the truesize of the queues (sk_rmem_alloc)', () => {
  test('out of order: a new block costs its bytes + 832, bytes that extend a block only themselves; the in-order queue takes the charge over', () => {
    const ofo = new OutOfOrderQueue();
    const base = seqAdd(IRS, 1);
    ofo.insert(seqAdd(base, 1448), new Uint8Array(1448));
    expect(ofo.truesize).toBe(1448 + SKB_RX_OVERHEAD);
    ofo.insert(seqAdd(base, 2896), new Uint8Array(1448));
    expect(ofo.truesize).toBe(2 * 1448 + SKB_RX_OVERHEAD);
    ofo.insert(seqAdd(base, 2896), new Uint8Array(1448));
    expect(ofo.truesize).toBe(2 * 1448 + SKB_RX_OVERHEAD);
    ofo.insert(seqAdd(base, 5792), new Uint8Array(100));
    expect(ofo.truesize).toBe(2 * 1448 + 100 + 2 * SKB_RX_OVERHEAD);
    expect(ofo.takeFrom(base)).toBeUndefined();
    const taken = ofo.takeFrom(seqAdd(base, 1448));
    expect(taken?.data.length).toBe(2896);
    expect(taken?.truesize).toBe(2896 + SKB_RX_OVERHEAD);
    expect(ofo.truesize).toBe(100 + SKB_RX_OVERHEAD);
    const q = new ReceiveQueue();
    q.push(new Uint8Array(1448));
    q.push(taken!.data, taken!.truesize - taken!.data.length, false);
    expect(q.truesize).toBe(1448 + 2896 + 2 * SKB_RX_OVERHEAD);
    // A partly read skb stays charged; once read through, its charge is freed.
    q.read(1000);
    expect(q.truesize).toBe(1448 + 2896 + 2 * SKB_RX_OVERHEAD);
    q.read(448);
    expect(q.truesize).toBe(2896 + SKB_RX_OVERHEAD);
    q.read(5000);
    expect(q.truesize).toBe(0);
  });

  test('an skb absorbs at most 17 segments (MAX_SKB_FRAGS)', () => {
    const q = new ReceiveQueue();
    for (let i = 0; i < 18; i++) q.push(new Uint8Array(100));
    expect(q.truesize).toBe(1800 + 2 * SKB_RX_OVERHEAD);
  });
});

describe('the passive side (Linux 6.18.44: clamp 64088 → 66048 → 82944, rcv_ssthresh 64088 → 65536 → 68432)', () => {
  test('the server keeps offering 64: its window never shrinks below the SYN-ACK’s 65160', () => {
    const sim = new Sim(1);
    const client = sim.host('client', 0xc0a80015, TRACE);
    const server = sim.host('server', 0xc0a80016, TRACE);
    server.listen(80);
    let child: Connection | undefined;
    server.onAccept = (c) => {
      child = c;
    };
    server.onEvent = (c, e, now) => {
      if (e.kind === 'readable') c.recv(now);
    };
    const conn = client.connect({ localPort: 40001, remote: { addr: 0xc0a80016, port: 80 } });
    sim.run(ms(100));
    expect(child!.windowClamp).toBe(64088);
    expect(child!.rcvSsthresh).toBe(64088);
    expect(child!.advMss).toBe(1448);
    const seen: [number, number][] = [];
    for (const [i, n] of [19, 200, 849, 1448].entries()) {
      sim.events.schedule(ms(200 * (i + 1)), () =>
        client.act(conn, (c, now) => c.send(now, new Uint8Array(n))),
      );
      sim.run(ms(200 * (i + 1) + 100));
      seen.push([child!.windowClamp, child!.rcvSsthresh]);
    }
    expect(seen).toEqual([
      [64088, 64088],
      [64088, 64088],
      [66048, 65536],
      [82944, 68432],
    ]);
    const serverWindows = sim.captured
      .filter((x) => x.from === 0xc0a80016 && !(x.seg.flags & SYN))
      .map((x) => x.seg.window);
    expect(serverWindows).toEqual([64, 64, 64, 67]);
  });
});

describe('SO_RCVBUF before connect() (Linux 6.18.44, tcp_rmem max 32 MiB)', () => {
  // Observed: SO_RCVBUF 65536 (sk_rcvbuf 131072) → SYN win 64240 wscale 1, the
  // ACK 32120 (× 2), TCP_WINDOW_CLAMP 64088; SO_RCVBUF 16384 (32768) → SYN win
  // 16060 wscale 0, the ACK 16060, clamp 14936.
  for (const [rcvBuf, wscale, synWin, ackWin, clamp] of [
    [131072, 1, 64240, 32120, 64088],
    [32768, 0, 16060, 16060, 14936],
  ] as const) {
    test(`sk_rcvbuf ${rcvBuf}: the scale covers only its worth (wscale ${wscale}), clamp ${clamp}`, () => {
      const t = new Tester({ sysctl: TRACE });
      t.connect(0, { rcvBuf });
      t.expect(0, { flags: SYN, window: synWin, options: synOpts(1460, ourTs(0), 0, wscale) });
      expect(t.send(ms(10), synAckFromServer(ourTs(0), 10))).toMatchObject({
        flags: ACK,
        window: ackWin,
      });
      expect(t.c.windowClamp).toBe(clamp);
      expect(t.c.rcvBufLocked).toBe(true);
    });
  }
});

describe('SO_RCVBUF through the socket API', () => {
  test('set before connect(): the SYN offers wscale 1; set on an accepted socket: locked, no autotuning', () => {
    const e = lan({ seed: 3 });
    const l = e.server.sockets.socket();
    expect(e.server.sockets.bind(l, 0, 80)).toBe(0);
    expect(e.server.sockets.listen(l, 4)).toBe(0);
    const c = e.client.sockets.socket();
    expect(e.client.sockets.setsockopt(c, 'SO_RCVBUF', 65536)).toBe(0);
    e.client.sockets.connect(c, SERVER_IP, 80);
    e.net.runFor(ms(10));
    const conn = e.client.sockets.file(c)!.sock!.conn;
    expect(conn.rcvBuf).toBe(131072);
    expect(conn.rcvBufLocked).toBe(true);
    expect(conn.rcvWscale).toBe(1);
    const a = e.server.sockets.accept(l);
    const fd = (a as { fd: number }).fd;
    expect(e.server.sockets.setsockopt(fd, 'SO_RCVBUF', 8192)).toBe(0);
    const child = e.server.sockets.file(fd)!.sock!.conn;
    expect(child.rcvBuf).toBe(16384);
    expect(child.rcvBufLocked).toBe(true);
    expect(e.server.sockets.getsockopt(fd, 'SO_RCVBUF')).toBe(16384);
  });
});

describe('tcp_rcv_space_adjust: the buffer grows with what the application reads per RTT', () => {
  /** 6 MB from client to server over 10 ms each way; the server reads all it can at once. */
  function bulk(serverRcvBuf?: number, sysctl = TRACE) {
    const sim = new Sim(1, { delay: ms(10) });
    const client = sim.host('client', 0xc0a80015, sysctl);
    const server = sim.host('server', 0xc0a80016, sysctl);
    server.listen(80);
    const log: { rcvBuf: number; clamp: number; space: number; ratio: number }[] = [];
    let maxWindow = 0;
    let got = 0;
    server.onAccept = (c) => {
      if (serverRcvBuf !== undefined) c.setRcvBuf(serverRcvBuf);
    };
    server.onEvent = (c, e, now) => {
      if (e.kind !== 'readable') return;
      for (let b = c.recv(now, 65536); b.length > 0; b = c.recv(now, 65536)) got += b.length;
      const last = log[log.length - 1];
      const space = c.rcvSpace?.space ?? 0;
      if (last === undefined || last.rcvBuf !== c.rcvBuf || last.space !== space) {
        log.push({ rcvBuf: c.rcvBuf, clamp: c.windowClamp, space, ratio: c.scalingRatio });
      }
    };
    const conn = client.connect({ localPort: 40001, remote: { addr: 0xc0a80016, port: 80 } });
    const total = 6_000_000;
    let sent = 0;
    const pump = () =>
      client.act(conn, (c, now) => {
        while (sent < total) {
          const n = c.send(now, new Uint8Array(Math.min(65536, total - sent)));
          if (typeof n !== 'number' || n <= 0) break;
          sent += n;
        }
      });
    client.onEvent = (_c, e) => {
      if (e.kind === 'connected' || e.kind === 'writable') sim.events.after(0, pump);
    };
    sim.run(ms(5000));
    for (const x of sim.captured) {
      if (x.from === 0xc0a80016 && !(x.seg.flags & SYN))
        maxWindow = Math.max(maxWindow, x.seg.window * 1024);
    }
    return { log, got, maxWindow };
  }

  test('each growth is tcp_rcvbuf_grow of the bytes read in an RTT; the window passes 1 MB', () => {
    const { log, got, maxWindow } = bulk();
    expect(got).toBe(6_000_000);
    // The first measures (timestamps give a 20 ms receiver RTT): 14480 (10 ×
    // advmss) → 15928 read in the first RTT (no growth: 2 × 15928 + 2 × 3185 =
    // 38226 needs only 60405 bytes of buffer at ratio 162) → 28960 in the next:
    // rcvwin = 2 × 28960 + 2 × ⌊57920 × 13032 / 15928⌋ = 152698, the buffer for
    // it 152698 × 256 / 162 = 241300, the clamp 241300 × 162 / 256 = 152697.
    // (Linux, ratio 160: 14480 → 28960 made it 278016 and 28960 → 56848
    // 532272: the same rule; drs-bulk.txt.)
    expect(log.slice(0, 4)).toEqual([
      { rcvBuf: 131072, clamp: 82944, space: 14480, ratio: 162 },
      { rcvBuf: 131072, clamp: 82944, space: 15928, ratio: 162 },
      { rcvBuf: 241300, clamp: 152697, space: 28960, ratio: 162 },
      { rcvBuf: 549167, clamp: 347519, space: 57920, ratio: 162 },
    ]);
    for (const [i, x] of log.entries()) {
      if (i === 0) continue;
      const prev = log[i - 1]!;
      expect(x.rcvBuf).toBeGreaterThanOrEqual(prev.rcvBuf);
      expect(x.rcvBuf).toBeLessThanOrEqual(TRACE.tcp_rmem[2]);
      if (x.rcvBuf > prev.rcvBuf) {
        const rcvwin =
          2 * x.space + 2 * Math.floor((2 * x.space * (x.space - prev.space)) / prev.space);
        expect(x.rcvBuf).toBe(Math.min(Math.floor((rcvwin * 256) / x.ratio), TRACE.tcp_rmem[2]));
        expect(x.clamp).toBe(Math.floor((x.rcvBuf * x.ratio) / 256));
      }
    }
    expect(maxWindow).toBeGreaterThan(1_000_000);
  });

  test('SO_RCVBUF locks the buffer: no growth, the window stays within its worth', () => {
    const { log, got, maxWindow } = bulk(131072);
    expect(got).toBe(6_000_000);
    expect(log.every((x) => x.rcvBuf === 131072)).toBe(true);
    expect(maxWindow).toBeLessThanOrEqual(83 * 1024);
  });

  test('tcp_moderate_rcvbuf=0: no growth either', () => {
    const { log, got, maxWindow } = bulk(undefined, tcpSysctl({ tcp_moderate_rcvbuf: 0 }, TRACE));
    expect(got).toBe(6_000_000);
    expect(log.every((x) => x.rcvBuf === 131072)).toBe(true);
    expect(log.length).toBeGreaterThan(3);
    expect(maxWindow).toBeLessThanOrEqual(83 * 1024);
  });
});

describe('the delayed ACK of a FIN that comes before any data', () => {
  // Linux 6.18.44, active open, peer FIN 100 ms after the handshake, nothing
  // received before it (test/tcp/recordings/fin-ack-active-open.txt): the pure
  // ACK left 1.1 to 3.9 ms after the FIN in three runs (the next 4 ms jiffy;
  // icsk_ack.ato is still 0, tcp_send_delayed_ack arms jiffies + 0) and
  // TcpExtDelayedACKs counted 1; the data written 10 ms later carried ack 2 again.
  test('ESTABLISHED, no data yet: CLOSE_WAIT, the ACK on the next tick, counted as a delayed ACK', () => {
    const t = clientEstablished(true);
    const finAt = ms(110) + us(500);
    expect(
      t.send(finAt, {
        ...FROM_SERVER,
        seq: seqAdd(IRS, 1),
        ack: seqAdd(ISS, 1),
        flags: FIN | ACK,
        options: tsOpt(PEER_TS, ourTs(0)),
        payload: EMPTY,
      }),
    ).toBeUndefined();
    expect(t.c.state).toBe('CLOSE_WAIT');
    expect(t.c.ato).toBe(0);
    const tick = (Math.floor(finAt / JIFFY_NS) + 1) * JIFFY_NS;
    t.expectNothing(tick - 1);
    t.expect(tick, { flags: ACK, ack: seqAdd(IRS, 2) });
    expect(t.net.counters.TcpExtDelayedACKs).toBe(1);
  });
});
