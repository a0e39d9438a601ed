/**
 * TCP carried by hosts, compared with ../shared/linux-traces: two hosts on the
 * traces' LAN (192.168.0.21 and .22, MACs 02:00:00:00:00:21/22, the traces'
 * TCP sysctls), programs written against the socket API doing what the traces'
 * nc and Python server did, every frame of the client's eth0 printed by
 * tcplab's tcpdump printer with `-n`, and the text compared with the trace's
 * tcpdump.txt line by line: identical up to ISNs, TS values and absolute times
 * (see `normalize`), with relative times within a tolerance.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { type Blocking, Pending, POLLERR, POLLOUT, SocketError } from '../../src/host/socket.js';
import { ms, s, us } from '../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../src/tcp/sysctl.js';
import { IPPROTO_TCP } from '../../src/wire/ipv4.js';
import { lan, printCapture, SERVER_IP, TRACES } from './helpers.js';

interface Line {
  /** Seconds since the first line. */
  readonly t: number;
  readonly text: string;
}

/**
 * What a trace leaves to chance, replaced by placeholders: the clock time
 * (kept as seconds since the first line), the absolute sequence numbers tcpdump
 * prints for SYNs and resets (ISNs), and timestamp values (a non-zero ecr
 * becomes `T` too; `ecr 0` stays).
 */
function normalize(lines: readonly string[]): Line[] {
  let t0: number | undefined;
  return lines.map((line) => {
    const m = /^(\d\d):(\d\d):(\d\d\.\d{6}) (.*)$/.exec(line);
    if (!m) throw new Error(`not a tcpdump line: ${line}`);
    const t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    t0 ??= t;
    const text = m[4]!
      // telnet's ephemeral port (nc's is fixed, 40001).
      .replace(/192\.168\.0\.21\.(?!40001\b)\d+/g, '192.168.0.21.PORT')
      .replace(/\bseq \d{6,}/g, 'seq ISN')
      .replace(/\back \d{6,}/g, 'ack ISN')
      .replace(/TS val \d+/g, 'TS val T')
      .replace(/ecr [1-9]\d*/g, 'ecr T');
    return { t: t - t0, text };
  });
}

function traceLines(experiment: string): Line[] {
  const text = readFileSync(join(TRACES, experiment, 'tcpdump.txt'), 'latin1');
  return normalize(text.trimEnd().split('\n'));
}

/**
 * Same text, line for line, and each line within `tolerance` seconds of the
 * trace's time (the traces' own timers vary by a few ms: 4 ms jiffies).
 */
function expectLikeTrace(ours: readonly Line[], experiment: string, tolerance = 0.01): void {
  const theirs = traceLines(experiment);
  expect(ours.map((l) => l.text)).toEqual(theirs.map((l) => l.text));
  for (let i = 0; i < theirs.length; i++) {
    expect(
      Math.abs(ours[i]!.t - theirs[i]!.t),
      `line ${i + 1} at ${ours[i]!.t}s, trace ${theirs[i]!.t}s`,
    ).toBeLessThanOrEqual(tolerance);
  }
}

/** Runs `f` with the result of a blocking call, now or when it settles. */
function then<T>(r: Blocking<T>, f: (v: T | SocketError) => void): void {
  if (r instanceof Pending) r.onSettled(f);
  else f(r);
}

function value<T>(r: T | SocketError): T {
  if (r instanceof SocketError) throw new Error(`unexpected ${r.message}`);
  return r;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (t: string): Uint8Array => new TextEncoder().encode(t);

function traceLab(seed = 1) {
  const env = lan({ seed });
  for (const h of [env.client, env.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  return env;
}

/** The traces' Python server: listen on 0.0.0.0:80 with backlog 16, serve one connection with `serve`. */
function pythonServer(host: Host, serve: (fd: number) => void): number {
  const so = host.sockets;
  const lfd = so.socket();
  value(so.setsockopt(lfd, 'SO_REUSEADDR', true));
  value(so.bind(lfd, 0, 80));
  value(so.listen(lfd, 16));
  then(so.accept(lfd), (r) => serve(value(r).fd));
  return lfd;
}

/** Reads until end of file, calling `onData` for each chunk, then `onEof`. */
function readUntilEof(host: Host, fd: number, onData: (b: Uint8Array) => void, onEof: () => void) {
  const step = (): void =>
    then(host.sockets.read(fd), (r) => {
      const b = value(r);
      if (b.length === 0) onEof();
      else {
        onData(b);
        step();
      }
    });
  step();
}

/** iptables -I INPUT -p tcp --dport 80 -j REJECT (icmp-port-unreachable), as a hook. */
function rejectWithIcmp(server: Host): void {
  server.addHook('INPUT', (_now, pkt) => {
    if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
    if (((pkt.ip.payload[2]! << 8) | pkt.ip.payload[3]!) !== 80) return 'ACCEPT';
    server.icmpSend(
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
}

/** `nc -v -p 40001 …`: a socket bound to port 40001, a blocking connect. */
function nc(host: Host, onConnect: (fd: number) => void, onError?: (e: SocketError) => void) {
  const so = host.sockets;
  const fd = so.socket();
  value(so.bind(fd, 0, 40001));
  then(so.connect(fd, SERVER_IP, 80), (r) => {
    if (r instanceof SocketError) onError?.(r);
    else onConnect(fd);
  });
  return fd;
}

describe('TCP between two hosts, against linux-traces', () => {
  test('normal-handshake/nc: handshake, client FIN at 1 s, delayed ACK, server FIN 1 s later', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, (fd) => {
      readUntilEof(
        server,
        fd,
        () => {},
        () => net.events.after(s(1), () => server.sockets.close(fd)),
      );
    });
    let connected = false;
    nc(client, (fd) => {
      connected = true;
      // `sleep 1 | nc -q 0`: stdin ends after 1 s, nc shuts down its write side,
      // then exits when the server's FIN arrives.
      net.events.after(s(1), () => {
        value(client.sockets.shutdown(fd, 'SHUT_WR'));
        readUntilEof(
          client,
          fd,
          () => {},
          () => client.sockets.close(fd),
        );
      });
    });
    net.runFor(s(10));
    expect(connected).toBe(true);
    expectLikeTrace(normalize(printCapture(wire)), 'normal-handshake/nc');
  });

  test('closed-port/nc: [R.] seq 0, ack ISN+1, win 0; connect() fails with ECONNREFUSED', () => {
    const { net, client, server, wire } = traceLab();
    let error: SocketError | undefined;
    nc(
      client,
      () => {},
      (e) => (error = e),
    );
    net.runFor(s(5));
    expect(error?.code).toBe('ECONNREFUSED');
    expect(error?.errno).toBe(-111);
    expect(error?.syscall).toBe('connect');
    expect(error?.description).toBe('Connection refused');
    expectLikeTrace(normalize(printCapture(wire)), 'closed-port/nc');
    expect(server.tcp.net.counters.TcpOutRsts).toBe(1);
    // The reset goes out as Linux's: IP id 0, DF, TTL 64, 40 bytes.
    const rst = wire[wire.length - 1]!.frame.subarray(14);
    expect(rst.length).toBe(40);
    expect((rst[4]! << 8) | rst[5]!).toBe(0);
    expect(rst[6]! & 0x40).toBe(0x40);
    expect(rst[8]).toBe(64);
  });

  test('reject-rst/nc: a REJECT --reject-with tcp-reset looks like a closed port', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, () => {});
    server.addHook('INPUT', (_now, pkt) => {
      if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
      const dport = (pkt.ip.payload[2]! << 8) | pkt.ip.payload[3]!;
      if (dport !== 80) return 'ACCEPT';
      server.tcp.rejectWithReset(pkt.ip);
      return 'DROP';
    });
    let error: SocketError | undefined;
    nc(
      client,
      () => {},
      (e) => (error = e),
    );
    net.runFor(s(5));
    expect(error?.code).toBe('ECONNREFUSED');
    expectLikeTrace(normalize(printCapture(wire)), 'reject-rst/nc');
    // Both traces print the same lines (up to the ISN).
    expect(traceLines('reject-rst/nc').map((l) => l.text)).toEqual(
      traceLines('closed-port/nc').map((l) => l.text),
    );
  });

  test('server-close-first/nc: hello, server FIN, ACK after the delayed-ACK timer, client FIN at 4 s', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, (fd) => {
      value(server.sockets.write(fd, bytes('hello from server\r\n')));
      net.events.after(s(1), () => server.sockets.close(fd));
    });
    let got = '';
    const start = net.now;
    nc(client, (fd) => {
      readUntilEof(
        client,
        fd,
        (b) => (got += text(b)),
        () => {},
      );
      // stdin (`sleep 4 |`) ends 4 s after nc started: then it shuts down and exits.
      net.events.schedule(start + s(4), () => {
        client.sockets.shutdown(fd, 'SHUT_WR');
        client.sockets.close(fd);
      });
    });
    net.runFor(s(10));
    expect(got).toBe('hello from server\r\n');
    expectLikeTrace(normalize(printCapture(wire)), 'server-close-first/nc');
  });

  for (const experiment of ['data-exchange/nc', 'data-exchange/telnet']) {
    test(`${experiment}: quick ACK first, then the ACK rides on the echo`, () => {
      const { net, client, server, wire } = traceLab();
      pythonServer(server, (fd) => {
        readUntilEof(
          server,
          fd,
          (b) => value(server.sockets.write(fd, bytes(`echo: ${text(b)}`))),
          () => server.sockets.close(fd),
        );
      });
      let got = '';
      const start = net.now;
      const connected = (fd: number): void => {
        readUntilEof(
          client,
          fd,
          (b) => (got += text(b)),
          () => client.sockets.close(fd),
        );
        net.events.schedule(start + ms(500), () => client.sockets.write(fd, bytes('hello\r\n')));
        net.events.schedule(start + ms(1505), () =>
          client.sockets.write(fd, bytes('how are you?\r\n')),
        );
        net.events.schedule(start + ms(2509), () => client.sockets.shutdown(fd, 'SHUT_WR'));
      };
      if (experiment.endsWith('/nc')) nc(client, connected);
      else {
        // telnet: an ephemeral port, and its lines at the times the trace shows.
        const fd = client.sockets.socket();
        then(client.sockets.connect(fd, SERVER_IP, 80), () => connected(fd));
      }
      net.runFor(s(10));
      expect(got).toBe('echo: hello\r\necho: how are you?\r\n');
      expectLikeTrace(normalize(printCapture(wire)), experiment, 0.02);
    });
  }

  test('reject-icmp/nc: a non-blocking connect() is refused by the first ICMP port unreachable', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, () => {});
    rejectWithIcmp(server);
    const so = client.sockets;
    const fd = so.socket({ nonBlocking: true });
    value(so.bind(fd, 0, 40001));
    const r = so.connect(fd, SERVER_IP, 80);
    expect(r instanceof SocketError && r.code).toBe('EINPROGRESS');
    let refusedAt: number | undefined;
    let soError: unknown;
    then(so.poll([{ fd, events: POLLOUT }], -1), (ready) => {
      refusedAt = net.now;
      expect(value(ready)[0]!.revents & POLLERR).toBe(POLLERR);
      soError = so.getsockopt(fd, 'SO_ERROR');
    });
    net.runFor(s(5));
    expect(soError).toBe(111);
    expect(refusedAt).toBe(0);
    expectLikeTrace(normalize(printCapture(wire)), 'reject-icmp/nc');
  });

  test('reject-icmp/python-blocking: a blocking connect() needs a second SYN and ICMP (soft error first)', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, () => {});
    rejectWithIcmp(server);
    let error: SocketError | undefined;
    let at: number | undefined;
    nc(
      client,
      () => {},
      (e) => {
        error = e;
        at = net.now;
      },
    );
    net.runFor(s(5));
    expect(error?.code).toBe('ECONNREFUSED');
    // The trace: ECONNREFUSED at 1.02 s, with the retransmitted SYN.
    expect(at).toBeGreaterThanOrEqual(s(1));
    expect(at).toBeLessThan(s(1.1));
    expectLikeTrace(normalize(printCapture(wire)), 'reject-icmp/python-blocking', 0.03);
  });

  test('normal-handshake/telnet: an ephemeral (even) port; telnet closes at 1 s and its FIN_WAIT2 is orphaned', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, (fd) => {
      readUntilEof(
        server,
        fd,
        () => {},
        () => net.events.after(s(1), () => server.sockets.close(fd)),
      );
    });
    const so = client.sockets;
    const fd = so.socket();
    let port = 0;
    then(so.connect(fd, SERVER_IP, 80), (r) => {
      value(r);
      port = value(so.getsockname(fd)).port;
      net.events.after(s(1), () => so.close(fd));
    });
    net.runFor(s(10));
    expect(port % 2).toBe(0);
    expect(port).toBeGreaterThanOrEqual(32768);
    expectLikeTrace(normalize(printCapture(wire)), 'normal-handshake/telnet');
  });

  test('silent-drop/default-nc: eleven SYNs (linear timeouts 4), the neighbour re-probed, ETIMEDOUT after ~133 s', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, () => {});
    server.addHook('INPUT', (_now, pkt) => (pkt.ip.protocol === IPPROTO_TCP ? 'DROP' : 'ACCEPT'));
    let error: SocketError | undefined;
    let at = 0;
    nc(
      client,
      () => {},
      (e) => {
        error = e;
        at = net.now;
      },
    );
    net.runFor(s(200));
    expect(error?.code).toBe('ETIMEDOUT');
    expect(at / 1e9).toBeGreaterThan(130);
    expect(at / 1e9).toBeLessThan(136);
    // Long timers land on the timer wheel's coarse slots: up to 2 s off.
    expectLikeTrace(normalize(printCapture(wire)), 'silent-drop/default-nc', 2);
  });

  test('server-close-first/telnet: telnet closes when it reads the FIN, so its FIN carries the ACK', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, (fd) => {
      value(server.sockets.write(fd, bytes('hello from server\r\n')));
      net.events.after(s(1), () => server.sockets.close(fd));
    });
    let got = '';
    const so = client.sockets;
    const fd = so.socket();
    then(so.connect(fd, SERVER_IP, 80), (r) => {
      value(r);
      readUntilEof(
        client,
        fd,
        (b) => (got += text(b)),
        () => so.close(fd),
      );
    });
    net.runFor(s(10));
    expect(got).toBe('hello from server\r\n');
    expectLikeTrace(normalize(printCapture(wire)), 'server-close-first/telnet');
  });

  for (const experiment of ['closed-port/telnet', 'reject-rst/telnet', 'reject-icmp/telnet']) {
    test(`${experiment}: telnet's blocking connect() is refused (Connection refused)`, () => {
      const { net, client, server, wire } = traceLab();
      if (!experiment.startsWith('closed-port')) pythonServer(server, () => {});
      if (experiment.startsWith('reject-icmp')) rejectWithIcmp(server);
      if (experiment.startsWith('reject-rst')) {
        server.addHook('INPUT', (_now, pkt) => {
          if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
          server.tcp.rejectWithReset(pkt.ip);
          return 'DROP';
        });
      }
      const so = client.sockets;
      let error: SocketError | undefined;
      then(so.connect(so.socket(), SERVER_IP, 80), (r) => {
        if (r instanceof SocketError) error = r;
      });
      net.runFor(s(5));
      expect(error?.description).toBe('Connection refused');
      expectLikeTrace(normalize(printCapture(wire)), experiment, 0.03);
    });
  }

  test('time-wait/tw-default: the active closer holds TIME_WAIT for 60 s (TCP_TIMEWAIT_LEN)', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, (fd) => {
      // The trace's server process closed 4.4 ms after its recv() returned end of
      // file (its ACK of the FIN, delayed, went first): a process's wake-up time.
      readUntilEof(
        server,
        fd,
        () => {},
        () => net.events.after(us(4450), () => server.sockets.close(fd)),
      );
    });
    nc(client, (fd) => net.events.after(ms(500), () => client.sockets.close(fd)));
    net.runFor(s(2));
    expect(client.tcp.net.timeWait.size).toBe(1);
    expectLikeTrace(normalize(printCapture(wire)), 'time-wait/tw-default');
    net.runFor(s(58));
    expect(client.tcp.net.timeWait.size).toBe(1);
    net.runFor(s(2));
    expect(client.tcp.net.timeWait.size).toBe(0);
  });

  test('time-wait/fw2-orphan-default: the orphaned FIN_WAIT2 dies after tcp_fin_timeout; the late FIN gets [R]', () => {
    const { net, client, server, wire } = traceLab();
    pythonServer(server, (fd) => {
      readUntilEof(
        server,
        fd,
        () => {},
        () => net.events.after(s(65), () => server.sockets.close(fd)),
      );
    });
    nc(client, (fd) => net.events.after(ms(500), () => client.sockets.close(fd)));
    net.runFor(s(2));
    expect(client.tcp.net.timeWait.size).toBe(1);
    net.runFor(s(61));
    expect(client.tcp.net.timeWait.size).toBe(0);
    // The trace's capture stopped 1.9 s after the reset (events.txt), before the
    // neighbours' next probes.
    net.runFor(s(4));
    expectLikeTrace(normalize(printCapture(wire)), 'time-wait/fw2-orphan-default', 0.03);
  });

  test('determinism: the same seed gives the same bytes; another seed other ISNs', () => {
    const run = (seed: number): Uint8Array[] => {
      const { net, client, server, wire } = traceLab(seed);
      pythonServer(server, (fd) => server.sockets.close(fd));
      const fd = client.sockets.socket();
      client.sockets.connect(fd, SERVER_IP, 80);
      net.runFor(s(70));
      return wire.map((p) => p.frame);
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
  });
});
