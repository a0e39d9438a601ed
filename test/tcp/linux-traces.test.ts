/**
 * Two engines back to back on the simulator, replaying what the programs of
 * ../shared/linux-traces did, compared packet for packet with the real
 * kernel's capture (flags, relative seq/ack, windows, options, lengths), and
 * the timings the kernel's timers produce. Both hosts use the traces' sysctls
 * (tcp_rmem max 32 MiB: wscale 10) and Linux's timer wheel; the veth pair is
 * modelled as a link with 15 µs of delay, as the captures show.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ms, s, type Time, us } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { TRACES_DIR } from '../shared.js';
import { bytes } from './harness.js';
import { type Captured, Sim, type SimHost } from './netsim.js';
import { captureLines, normalize, readTrace } from './trace-compare.js';

const CLIENT_ADDR = ipv4Address(192, 168, 0, 21);
const SERVER_ADDR = ipv4Address(192, 168, 0, 22);

interface Lab {
  readonly sim: Sim;
  readonly client: SimHost;
  readonly server: SimHost;
}

function lab(seed = 7, sysctl = TRACE_KERNEL_TCP_SYSCTL): Lab {
  const sim = new Sim(seed, { delay: us(15) });
  return {
    sim,
    client: sim.host('client', CLIENT_ADDR, sysctl),
    server: sim.host('server', SERVER_ADDR, sysctl),
  };
}

function connect(l: Lab): Connection {
  return l.client.connect({ localPort: 40001, remote: { addr: SERVER_ADDR, port: 80 } });
}

/** Telnet's source port is ephemeral in the traces: compare without ports. */
function withoutPorts(lines: string[]): string[] {
  return lines.map((x) => x.replace(/\.\d+ > /, ' > ').replace(/\.\d+: /, ': '));
}

/**
 * Header prediction's counters and TCPPureAcks (tcp_rcv_established, tcp_ack)
 * on both hosts, as the trace's nstat-client.txt and nstat-server.txt have them.
 */
function ackCounters(l: Lab, experiment?: string) {
  const names = ['TcpExtTCPHPHits', 'TcpExtTCPHPAcks', 'TcpExtTCPPureAcks'] as const;
  if (experiment === undefined) {
    return {
      client: names.map((n) => l.client.net.counters[n]),
      server: names.map((n) => l.server.net.counters[n]),
    };
  }
  const read = (file: string) => {
    const text = readFileSync(join(TRACES_DIR, experiment, file), 'utf8');
    return names.map((n) => Number(new RegExp(`^${n}\\s+(\\d+)`, 'm').exec(text)![1]));
  };
  return { client: read('nstat-client.txt'), server: read('nstat-server.txt') };
}

/** Times (s, relative to the first segment) of the captured segments. */
function times(c: readonly Captured[]): number[] {
  const t0 = c[0]!.time;
  return c.map((x) => (x.time - t0) / 1e9);
}

describe('normal-handshake: client closes first, server closes 1 s after EOF', () => {
  test('nc: same segments as Linux, and the ACK of the FIN delayed one jiffy', () => {
    const l = lab();
    l.server.listen(80);
    // Server: read until EOF, wait 1 s, close.
    l.server.onEvent = (c, e) => {
      if (e.kind === 'eof') l.sim.events.after(s(1), () => l.server.act(c, (cc, t) => cc.close(t)));
    };
    // nc -q 0: shutdown(SHUT_WR) when stdin ends after 1 s; exit when the server's FIN arrives.
    l.client.onEvent = (c, e) => {
      if (e.kind === 'eof') l.client.act(c, (cc, t) => cc.close(t));
    };
    const c = connect(l);
    l.sim.events.schedule(s(1), () => l.client.act(c, (cc, t) => cc.shutdown(t)));
    l.sim.run(s(10));

    expect(normalize(captureLines(l.sim.captured))).toEqual(
      normalize(readTrace('normal-handshake/nc')),
    );
    const t = times(l.sim.captured);
    // The server's ACK of the FIN: no data was ever received (ato 0), so it
    // waits for the next tick: 0-4 ms (the trace: 1.8 ms).
    expect(t[4]! - t[3]!).toBeGreaterThan(0);
    expect(t[4]! - t[3]!).toBeLessThanOrEqual(0.004 + 1e-9);
    expect(c.transitions.map((x) => x.to)).toEqual([
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT1',
      'FIN_WAIT2',
      'TIME_WAIT',
    ]);
  });
});

describe('normal-handshake: telnet closes (orphaning its socket) instead of shutting down', () => {
  test('telnet: the same segments; the client sits in an orphaned FIN_WAIT2 until the FIN', () => {
    const l = lab();
    l.server.listen(80);
    l.server.onEvent = (c, e) => {
      if (e.kind === 'eof') l.sim.events.after(s(1), () => l.server.act(c, (cc, t) => cc.close(t)));
    };
    const c = connect(l);
    l.sim.events.schedule(s(1), () => l.client.act(c, (cc, t) => cc.close(t)));
    l.sim.run(s(10));
    expect(withoutPorts(normalize(captureLines(l.sim.captured)))).toEqual(
      withoutPorts(normalize(readTrace('normal-handshake/telnet'))),
    );
    expect(c.state).toBe('TIME_WAIT');
  });
});

describe('data-exchange: typing into telnet', () => {
  test('nc: quick ACK at the start, then the ACK rides on the echo', () => {
    const l = lab();
    l.server.listen(80);
    // Server: echo every chunk as "echo: <chunk>", close on EOF.
    l.server.onEvent = (c, e) => {
      if (e.kind === 'readable') {
        l.sim.events.after(us(100), () =>
          l.server.act(c, (cc, t) => {
            const data = cc.recv(t);
            if (data.length > 0) cc.send(t, new Uint8Array([...bytes('echo: '), ...data]));
          }),
        );
      }
      if (e.kind === 'eof') l.server.act(c, (cc, t) => cc.close(t));
    };
    l.client.onEvent = (c, e) => {
      if (e.kind === 'readable') l.client.act(c, (cc, t) => cc.recv(t));
      if (e.kind === 'eof') l.client.act(c, (cc, t) => cc.close(t));
    };
    const c = connect(l);
    l.sim.events.schedule(ms(500), () =>
      l.client.act(c, (cc, t) => cc.send(t, bytes('hello\r\n'))),
    );
    l.sim.events.schedule(ms(1500), () =>
      l.client.act(c, (cc, t) => cc.send(t, bytes('how are you?\r\n'))),
    );
    l.sim.events.schedule(ms(2500), () => l.client.act(c, (cc, t) => cc.shutdown(t)));
    l.sim.run(s(10));
    expect(normalize(captureLines(l.sim.captured))).toEqual(
      normalize(readTrace('data-exchange/nc')),
    );
    // telnet's exchange is the same up to its ephemeral port.
    expect(withoutPorts(normalize(captureLines(l.sim.captured)))).toEqual(
      withoutPorts(normalize(readTrace('data-exchange/telnet'))),
    );
    // The client predicts nothing until the first scaled window (the ACK of
    // "hello", a pure ACK); the echo of the second line is a hit whose ACK is
    // predicted. The server's sockets hold no memory when each line comes (a
    // header-prediction miss, "goto step5"); the client's ACKs of the echoes
    // are predicted; the first and last ACKs are the handshake's and LAST_ACK's.
    expect(ackCounters(l)).toEqual(ackCounters(l, 'data-exchange/nc'));
  });
});

describe('server-close-first: the server sends a greeting and closes', () => {
  function serverGreets(l: Lab): void {
    l.server.listen(80);
    l.server.onAccept = (c) => {
      l.server.act(c, (cc, t) => cc.send(t, bytes('hello from server\r\n')));
      l.sim.events.after(s(1), () => l.server.act(c, (cc, t) => cc.close(t)));
    };
  }

  test('scripted: the client ACKs the FIN after the 40 ms delayed ACK (data was received)', () => {
    const l = lab();
    serverGreets(l);
    // Python client: recv, recv until EOF, sleep 2 s, close.
    l.client.onEvent = (c, e) => {
      if (e.kind === 'readable') l.client.act(c, (cc, t) => cc.recv(t));
      if (e.kind === 'eof') l.sim.events.after(s(2), () => l.client.act(c, (cc, t) => cc.close(t)));
    };
    const c = connect(l);
    l.sim.run(s(10));
    expect(normalize(captureLines(l.sim.captured))).toEqual(
      normalize(readTrace('server-close-first/scripted')),
    );
    expect(ackCounters(l)).toEqual(ackCounters(l, 'server-close-first/scripted'));
    const t = times(l.sim.captured);
    // Segments 5 and 6: the server's FIN and the client's ACK of it. Trace: 44.1 ms;
    // ato is 40 ms (10 jiffies), and the wheel adds up to one jiffy.
    expect(t[6]! - t[5]!).toBeGreaterThanOrEqual(0.04);
    expect(t[6]! - t[5]!).toBeLessThanOrEqual(0.044 + 1e-9);
    expect(c.transitions.map((x) => x.to)).toEqual([
      'SYN_SENT',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSE',
    ]);
  });

  test('nc: CLOSE_WAIT until stdin ends at 4 s, then [F.] and the last ACK', () => {
    const l = lab();
    serverGreets(l);
    l.client.onEvent = (c, e) => {
      if (e.kind === 'readable') l.client.act(c, (cc, t) => cc.recv(t));
    };
    const c = connect(l);
    l.sim.events.schedule(s(4), () => l.client.act(c, (cc, t) => cc.shutdown(t)));
    l.sim.run(s(10));
    expect(normalize(captureLines(l.sim.captured))).toEqual(
      normalize(readTrace('server-close-first/nc')),
    );
    expect(ackCounters(l)).toEqual(ackCounters(l, 'server-close-first/nc'));
    expect(c.transitions.map((x) => x.to)).toEqual([
      'SYN_SENT',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSE',
    ]);
  });

  test('scripted-delay300: 300 ms each way, the same segments; FIN_WAIT1 lasts a round trip and the delayed ACK', () => {
    const sim = new Sim(7, { delay: ms(300) });
    const l: Lab = {
      sim,
      client: sim.host('client', CLIENT_ADDR, TRACE_KERNEL_TCP_SYSCTL),
      server: sim.host('server', SERVER_ADDR, TRACE_KERNEL_TCP_SYSCTL),
    };
    let server: Connection | undefined;
    serverGreets(l);
    const greet = l.server.onAccept;
    l.server.onAccept = (c, now) => {
      server = c;
      greet(c, now);
    };
    l.client.onEvent = (c, e) => {
      if (e.kind === 'readable') l.client.act(c, (cc, t) => cc.recv(t));
      if (e.kind === 'eof') l.sim.events.after(s(2), () => l.client.act(c, (cc, t) => cc.close(t)));
    };
    connect(l);
    l.sim.run(s(20));
    expect(normalize(captureLines(l.sim.captured))).toEqual(
      normalize(readTrace('server-close-first/scripted-delay300')),
    );
    expect(ackCounters(l)).toEqual(ackCounters(l, 'server-close-first/scripted-delay300'));
    // Trace: the server's FIN_WAIT1 lasted 0.65 s: 600 ms there and back, and ~44 ms of delayed ACK.
    const fw1 = server!.transitions.find((x) => x.to === 'FIN_WAIT1')!;
    const fw2 = server!.transitions.find((x) => x.to === 'FIN_WAIT2')!;
    const lasted = (fw2.time - fw1.time) / 1e9;
    expect(lasted).toBeGreaterThanOrEqual(0.64);
    expect(lasted).toBeLessThanOrEqual(0.645);
  });

  test('telnet: the client closes at once, its FIN carries the ACK (three-segment close)', () => {
    const l = lab();
    serverGreets(l);
    l.client.onEvent = (c, e) => {
      if (e.kind === 'readable') l.client.act(c, (cc, t) => cc.recv(t));
      if (e.kind === 'eof')
        l.sim.events.after(us(70), () => l.client.act(c, (cc, t) => cc.close(t)));
    };
    connect(l);
    l.sim.run(s(10));
    expect(withoutPorts(normalize(captureLines(l.sim.captured)))).toEqual(
      withoutPorts(normalize(readTrace('server-close-first/telnet'))),
    );
    expect(ackCounters(l)).toEqual(ackCounters(l, 'server-close-first/telnet'));
  });
});

describe('time-wait', () => {
  test('tw-default: TIME_WAIT lasts 60 s plus the timer wheel slack (trace: 60.3 s)', () => {
    const l = lab();
    l.server.listen(80);
    l.server.onEvent = (c, e) => {
      if (e.kind === 'eof')
        l.sim.events.after(us(150), () => l.server.act(c, (cc, t) => cc.close(t)));
    };
    const c = connect(l);
    l.sim.events.schedule(ms(500), () => l.client.act(c, (cc, t) => cc.close(t)));
    l.sim.run(s(100));
    const tw = c.transitions.find((x) => x.to === 'TIME_WAIT')!;
    const closed = c.transitions.find((x) => x.from === 'TIME_WAIT')!;
    const lasted = (closed.time - tw.time) / 1e9;
    expect(lasted).toBeGreaterThanOrEqual(60);
    expect(lasted).toBeLessThanOrEqual(62.048);
    expect(l.client.net.counters.TcpExtTW).toBe(1);
  });

  test('fw2-orphan-default: an orphaned FIN_WAIT2 vanishes after tcp_fin_timeout; the late FIN gets [R]', () => {
    const l = lab();
    l.server.listen(80);
    let server: Connection | undefined;
    l.server.onAccept = (c) => {
      server = c;
    };
    const c = connect(l);
    l.sim.events.schedule(ms(500), () => l.client.act(c, (cc, t) => cc.close(t)));
    l.sim.events.schedule(s(65), () => l.server.act(server!, (cc, t) => cc.close(t)));
    l.sim.run(s(100));
    expect(normalize(captureLines(l.sim.captured))).toEqual(
      normalize(readTrace('time-wait/fw2-orphan-default')),
    );
    const fw2 = c.transitions.find((x) => x.to === 'FIN_WAIT2')!;
    const gone = c.transitions.find((x) => x.from === 'FIN_WAIT2')!;
    const lasted = (gone.time - fw2.time) / 1e9;
    expect(lasted).toBeGreaterThanOrEqual(60);
    expect(lasted).toBeLessThanOrEqual(62.048);
    expect(server!.error?.code).toBe('ECONNRESET');
  });
});

describe('closed-port and silent-drop', () => {
  test('closed-port: [R.] seq 0, ack ISN+1, win 0; ECONNREFUSED', () => {
    const l = lab();
    const c = connect(l);
    l.sim.run(s(5));
    expect(normalize(captureLines(l.sim.captured))).toEqual(normalize(readTrace('closed-port/nc')));
    expect(c.state).toBe('CLOSE');
    expect(c.error?.code).toBe('ECONNREFUSED');
    expect(l.client.net.counters.TcpAttemptFails).toBe(1);
    expect(l.server.net.counters.TcpOutRsts).toBe(1);
  });

  /** The SYN times of a connection to nowhere, in seconds, and when connect() fails. */
  function silentDrop(sysctl = TRACE_KERNEL_TCP_SYSCTL, timerWheel = true) {
    const sim = new Sim(3, { delay: us(15) });
    const client = sim.host('client', CLIENT_ADDR, sysctl, timerWheel);
    const c = client.connect({ localPort: 40001, remote: { addr: SERVER_ADDR, port: 80 } });
    let failedAt: Time | undefined;
    client.onEvent = (_c, e, now) => {
      if (e.kind === 'error') failedAt = now;
    };
    sim.run(s(300));
    return {
      syns: sim.captured.map((x) => x.time / 1e9),
      failedAt: failedAt === undefined ? undefined : failedAt / 1e9,
      c,
      counters: client.net.counters,
    };
  }

  test('silent-drop, tcp_syn_linear_timeouts=4: 11 SYNs with the trace gaps, ETIMEDOUT after ~133 s', () => {
    const r = silentDrop();
    const trace = readTrace('silent-drop/default-nc').map((x) => x.t);
    expect(r.syns).toHaveLength(trace.length);
    const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
    // The kernel's gaps: 1.019 1.024 1.024 1.024 1.024 2.016 4.160 8.192 16.128 32.768;
    // the wheel's rounding depends on the phase of the jiffies clock, so allow one granule.
    const granule = [0.032, 0.032, 0.032, 0.032, 0.032, 0.032, 0.256, 0.256, 0.256, 2.048];
    gaps(r.syns).forEach((g, i) => {
      expect(Math.abs(g - gaps(trace)[i]!)).toBeLessThanOrEqual(granule[i]!);
    });
    expect(r.failedAt).toBeGreaterThan(131);
    expect(r.failedAt).toBeLessThan(136);
    expect(r.c.error?.code).toBe('ETIMEDOUT');
    expect(r.counters.TcpExtTCPTimeouts).toBe(11);
    expect(r.counters.TcpRetransSegs).toBe(10);
    expect(r.counters.TcpAttemptFails).toBe(1);
  });

  test('silent-drop, tcp_syn_linear_timeouts=0 and no wheel: the textbook 1, 3, 7, 15, 31, 63 s; ETIMEDOUT at 127 s', () => {
    const r = silentDrop(tcpSysctl({ tcp_syn_linear_timeouts: 0 }), false);
    expect(r.syns).toEqual([0, 1, 3, 7, 15, 31, 63]);
    expect(r.failedAt).toBe(127);
  });

  test('silent-drop, tcp_syn_linear_timeouts=0 with the wheel: each gap late by at most one granule', () => {
    const r = silentDrop(tcpSysctl({ tcp_syn_linear_timeouts: 0 }));
    expect(r.syns).toHaveLength(7);
    // RTO 1, 2, 4 ... 64 s; the wheel's granule for each (kernel/time/timer.c, HZ=250).
    const rto = [1, 2, 4, 8, 16, 32, 64];
    const granule = [0.032, 0.032, 0.256, 0.256, 0.256, 2.048, 2.048];
    const at = [...r.syns, r.failedAt!];
    for (let i = 1; i < at.length; i++) {
      const gap = at[i]! - at[i - 1]!;
      expect(gap).toBeGreaterThan(rto[i - 1]!);
      expect(gap).toBeLessThanOrEqual(rto[i - 1]! + granule[i - 1]! + 1e-9);
    }
  });
});
