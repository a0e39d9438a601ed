/**
 * The listener under pressure, replayed against ../shared/linux-traces
 * (accept-queue-overflow/abort0 and syn-flood/syncookies1) on the engine and
 * the simulator, with the traces' sysctls and Linux's timer wheel; see
 * linux-traces.test.ts for how captures are compared.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CaptureReader } from '../../src/capture/pcap.js';
import { ms, s, type Time, us } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { RequestSock } from '../../src/tcp/listen.js';
import { TRACE_KERNEL_TCP_SYSCTL, tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { put32 } from '../../src/wire/bytes.js';
import { seq } from '../../src/wire/seq.js';
import { buildTcp, SYN, type TcpSegment, tcpPseudoHeader } from '../../src/wire/tcp.js';
import { bytes } from './harness.js';
import { type Captured, Sim } from './netsim.js';
import { captureLines, normalize, readTrace, TRACES, type TraceLine } from './trace-compare.js';

const CLIENT_ADDR = ipv4Address(192, 168, 0, 21);
const SERVER_ADDR = ipv4Address(192, 168, 0, 22);

/** Times (s, relative to the first segment) of the captured segments. */
function times(c: readonly Captured[]): number[] {
  const t0 = c[0]!.time;
  return c.map((x) => (x.time - t0) / 1e9);
}

/**
 * Each connection's lines, normalized on their own (normalize() takes one ISN
 * per address, so with several client ports only the first connection's
 * numbers would be relative): client port → lines.
 */
function byConnection(lines: readonly TraceLine[]): Map<number, string[]> {
  const groups = new Map<number, TraceLine[]>();
  for (const l of lines) {
    const port = Number(/192\.168\.0\.21\.(\d+)/.exec(l.text)![1]);
    const g = groups.get(port) ?? [];
    g.push(l);
    groups.set(port, g);
  }
  return new Map([...groups].map(([port, g]) => [port, normalize(g)]));
}

/** The trace's times of the lines matching `re` (seconds from its first segment). */
function traceTimes(experiment: string, re: RegExp): number[] {
  return readTrace(experiment)
    .filter((l) => re.test(l.text))
    .map((l) => l.t);
}

describe('accept-queue-overflow/abort0: backlog 1, never accept(), tcp_abort_on_overflow=0', () => {
  /**
   * The trace's plan (events.txt, client-clients.txt): the client's segments
   * are held 100 ms by an NFQUEUE rule before they reach the wire; A (40001)
   * connects at 0.5 s, C and B (40003, 40002) at 1.5 s, D (40004) at 3.5 s;
   * each sends `hello from PORT\n` 0.5 s after connect() returns; D gives up
   * after 12 s; at 16 s the clients close their sockets. B's close is left
   * out: in the trace its FIN stays queued behind its unacknowledged data
   * (ss-09: FIN-WAIT-1, Send-Q 18; no FIN on the wire) while tcplab's client
   * sends it at once; that is the client's output path, not the listener's,
   * and would add one more ListenOverflow here.
   */
  function run() {
    const sim = new Sim(7, { delay: us(15) });
    const sysctl = tcpSysctl({ tcp_abort_on_overflow: 0 }, TRACE_KERNEL_TCP_SYSCTL);
    const client = sim.host('client', CLIENT_ADDR, sysctl);
    const server = sim.host('server', SERVER_ADDR, sysctl);
    client.outputDelay = ms(100);
    server.autoAccept = false;
    const listener = server.listen(80, 1);
    const conns = new Map<number, Connection>();
    client.onEvent = (c, e) => {
      if (e.kind !== 'connected') return;
      sim.events.after(ms(500), () =>
        client.act(c, (cc, t) => cc.send(t, bytes(`hello from ${c.local.port}\n`))),
      );
    };
    const start = (at: Time, port: number) =>
      sim.events.schedule(at, () => {
        conns.set(
          port,
          client.connect({ localPort: port, remote: { addr: SERVER_ADDR, port: 80 } }),
        );
      });
    start(ms(500), 40001);
    start(ms(1500), 40003);
    start(ms(1500), 40002);
    start(ms(3500), 40004);
    // D's connect() times out after 12 s: close() in SYN_SENT sends nothing.
    sim.events.schedule(ms(15_500), () => client.act(conns.get(40004)!, (c, t) => c.close(t)));
    sim.events.schedule(s(16), () => {
      for (const port of [40003, 40001]) client.act(conns.get(port)!, (c, t) => c.close(t));
    });
    sim.run(ms(17_500));
    return { sim, server, listener, conns };
  }

  test('each connection: the same segments as Linux; SYN-ACKs to B at +1, +3, +7, +15 s', () => {
    const { sim } = run();
    // Connection by connection (the trace's server ACKs two FINs that came
    // 70 µs apart in the other order: the timer wheel's, not the listener's).
    const ours = byConnection(captureLines(sim.captured));
    const theirs = byConnection(readTrace('accept-queue-overflow/abort0'));
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [port, lines] of theirs) expect([port, ours.get(port)]).toEqual([port, lines]);
    // B's SYN-ACK retransmissions, against the trace's (4 ms jiffies, timer slack).
    const synAcks = (t: number[], c: string[]) =>
      t.filter((_, i) =>
        /^192\.168\.0\.22\.80 > 192\.168\.0\.21\.40002: Flags \[S\.\]/.test(c[i]!),
      );
    const ourT = times(sim.captured);
    const ourSynAcks = synAcks(
      ourT,
      captureLines(sim.captured).map((l) => l.text),
    );
    const traceSynAcks = traceTimes(
      'accept-queue-overflow/abort0',
      /^192\.168\.0\.22\.80 > 192\.168\.0\.21\.40002: Flags \[S\.\]/,
    );
    expect(ourSynAcks).toHaveLength(traceSynAcks.length);
    for (let i = 1; i < ourSynAcks.length; i++) {
      expect(
        Math.abs(ourSynAcks[i]! - ourSynAcks[0]! - (traceSynAcks[i]! - traceSynAcks[0]!)),
      ).toBeLessThan(0.1);
    }
  });

  test("D's SYNs are dropped: the same eight SYNs as the trace, none answered", () => {
    const { sim } = run();
    const d = /^192\.168\.0\.21\.40004 > /;
    const ours = captureLines(sim.captured).filter((l) => d.test(l.text));
    const theirs = readTrace('accept-queue-overflow/abort0').filter((l) => d.test(l.text));
    expect(normalize(ours)).toEqual(normalize(theirs));
    const ourGaps = ours.map((l) => l.t - ours[0]!.t);
    const traceGaps = theirs.map((l) => l.t - theirs[0]!.t);
    for (let i = 0; i < ourGaps.length; i++) {
      expect(Math.abs(ourGaps[i]! - traceGaps[i]!)).toBeLessThan(0.05);
    }
  });

  test('the listener at the end: two waiting, backlog 1 (ss: LISTEN 2 1); B (40002) still a request; the counters of nstat-server.txt', () => {
    const { server, listener, conns } = run();
    expect(listener.acceptQueue.length).toBe(2);
    expect(listener.backlog).toBe(1);
    expect(
      [...listener.synQueue.values()].map((r) => [
        r.remote.port,
        r.state,
        r instanceof RequestSock,
      ]),
    ).toEqual([[40002, 'SYN_RECV', true]]);
    expect(conns.get(40002)!.state).toBe('ESTABLISHED');
    const nstat = readFileSync(
      join(TRACES, 'accept-queue-overflow/abort0/nstat-server.txt'),
      'utf8',
    );
    const value = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(nstat)![1]);
    const c = server.net.counters;
    for (const name of [
      'TcpExtListenOverflows',
      'TcpExtListenDrops',
      'TcpExtTCPSynRetrans',
      'TcpExtTCPTimeouts',
      'TcpPassiveOpens',
    ] as const) {
      expect([name, c[name]]).toEqual([name, value(name)]);
    }
  });
});

describe('syn-flood/syncookies1: 2000 spoofed SYNs over 8 s; backlog 128, tcp_max_syn_backlog=64, tcp_syncookies=1', () => {
  const EXPERIMENT = 'syn-flood/syncookies1';
  /**
   * Where the flood starts in the timer wheel's cycle. Requests that time out
   * together are decided together (reqsk_timer_handler prunes by the share of
   * young requests at that moment), so which level-2 bucket (64 jiffies, 256 ms)
   * each third SYN-ACK timer lands in decides how many requests die at 7 s and
   * how many new ones take their places. The trace's level-2 batches fire 7.126,
   * 7.382 and 7.638 s after the first SYN (sink-synacks.pcap), i.e. 210-214 ms
   * past a multiple of 256 ms; virtual time 0 is on a bucket boundary, so the
   * first SYN comes 44 ms after it.
   */
  const WHEEL_PHASE = ms(44);
  const FLOOD =
    /^192\.168\.0\.(\d+)\.(\d+) > 192\.168\.0\.22\.80: Flags \[S\], seq (\d+), win (\d+)/;

  /**
   * The trace's own spoofed SYNs (source, port, ISN, MSS 1460, at the times
   * the client's capture saw them) sent to the server; nc connects at the
   * time of its SYN and sends its FIN at once (stdin is /dev/null, -q 0); the
   * server accepts, writes `welcome\r\n`, reads to EOF and closes.
   */
  /** The epoch (ns) of the trace's first SYN, from tcpdump-S-tt.txt. */
  function firstSynEpochNs(): number {
    const text = readFileSync(join(TRACES, EXPERIMENT, 'tcpdump-S-tt.txt'), 'utf8');
    const m = /^(\d+)\.(\d+) IP .*Flags \[S\]/m.exec(text)!;
    return Number(m[1]) * 1e9 + Number(m[2]!.padEnd(9, '0'));
  }

  /** One run for all the tests below (they only read it). */
  let cached: ReturnType<typeof run> | undefined;
  function flood() {
    // nstat-server.txt was taken after the last SYN-ACK of the sink's capture (10.23 s).
    cached ??= run(ms(10_500));
    return cached;
  }

  function run(until: Time) {
    const phase = WHEEL_PHASE;
    const sim = new Sim(7, { delay: us(15) });
    const sysctl = tcpSysctl(
      { tcp_syncookies: 1, tcp_max_syn_backlog: 64 },
      TRACE_KERNEL_TCP_SYSCTL,
    );
    const client = sim.host('client', CLIENT_ADDR, sysctl);
    const server = sim.host('server', SERVER_ADDR, sysctl);
    const log: string[] = [];
    server.net.printk = (now, level, text) => log.push(`${now} ${level} ${text}`);
    const listener = server.listen(80, 128);
    const flood = sim.link.attach('flood', () => {});
    const trace = readTrace(EXPERIMENT);
    let maxSynRecv = 0;
    let legit: Connection | undefined;
    for (const line of trace) {
      const m = FLOOD.exec(line.text);
      const at = phase + Math.round(line.t * 1e9);
      if (m !== null && Number(m[1]) >= 128) {
        const src = ipv4Address(192, 168, 0, Number(m[1]));
        const seg: TcpSegment = {
          srcPort: Number(m[2]),
          dstPort: 80,
          seq: seq(Number(m[3])),
          ack: seq(0),
          flags: SYN,
          window: Number(m[4]),
          urgentPointer: 0,
          options: [{ kind: 'mss', mss: 1460 }],
          payload: new Uint8Array(0),
        };
        sim.events.schedule(at, () => {
          const tcp = buildTcp(seg, tcpPseudoHeader(src, SERVER_ADDR, seg));
          const frame = new Uint8Array(8 + tcp.length);
          put32(frame, 0, src);
          put32(frame, 4, SERVER_ADDR);
          frame.set(tcp, 8);
          flood.send(frame);
        });
      } else if (m !== null && line.text.startsWith('192.168.0.21.40001 ')) {
        sim.events.schedule(at, () => {
          legit = client.connect({ localPort: 40001, remote: { addr: SERVER_ADDR, port: 80 } });
        });
      }
    }
    client.onEvent = (c, e) => {
      if (e.kind === 'connected') client.act(c, (cc, t) => cc.shutdown(t));
    };
    // server-main.log: the program accepts 0.9 ms after the handshake, writes
    // at once, finds the EOF already there and closes 0.5 ms later.
    server.onAccept = (c) =>
      sim.events.after(us(900), () => {
        server.act(c, (cc, t) => cc.send(t, bytes('welcome\r\n')));
        sim.events.after(us(500), () => server.act(c, (cc, t) => cc.close(t)));
      });
    // The trace's poller looks every 10 ms; this one after every event.
    const poll = () => {
      maxSynRecv = Math.max(maxSynRecv, listener.synQueue.size);
      if (sim.events.now < until) sim.events.after(us(100), poll);
    };
    sim.events.schedule(0, poll);
    sim.run(phase + until);
    return { sim, server, listener, log, maxSynRecv: () => maxSynRecv, legit: () => legit };
  }

  test('at most 129 SYN_RECV (backlog + 1); every spoofed SYN answered; the counters of nstat-server.txt', () => {
    const r = flood();
    expect(r.maxSynRecv()).toBe(129);
    const toSpoofed = r.sim.captured.filter(
      (c) => c.from === SERVER_ADDR && c.to >>> 8 === SERVER_ADDR >>> 8 && (c.to & 255) >= 128,
    );
    const answered = new Set(toSpoofed.map((c) => `${c.to}:${c.seg.dstPort}`));
    // summary.txt: 1998 distinct (address, port) answered (2 of the 2000 repeat), 2407 SYN-ACKs.
    expect(answered.size).toBe(1998);
    expect(toSpoofed.length).toBe(2407);
    const nstat = readFileSync(join(TRACES, EXPERIMENT, 'nstat-server.txt'), 'utf8');
    const value = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(nstat)![1]);
    const c = r.server.net.counters;
    for (const name of [
      'TcpExtSyncookiesSent',
      'TcpExtSyncookiesRecv',
      'TcpExtSyncookiesFailed',
      'TcpExtTCPReqQFullDoCookies',
      'TcpExtTCPReqQFullDrop',
      'TcpExtListenOverflows',
      'TcpExtListenDrops',
      'TcpExtTCPTimeouts',
      'TcpExtTCPSynRetrans',
      'TcpRetransSegs',
      'TcpPassiveOpens',
    ] as const) {
      expect([name, c[name]]).toEqual([name, value(name)]);
    }
  });

  test("the SYN-ACK retransmissions come in the trace's batches: 129 at ~1 s and ~3 s, then 20 die at 7.1 s and the rest are resent", () => {
    const r = flood();
    const t0 = WHEEL_PHASE;
    const counts = new Map<number, number>();
    for (const c of r.sim.captured) {
      if (c.from !== SERVER_ADDR || (c.to & 255) < 128) continue;
      const sec = Math.floor((c.time - t0) / 1e9);
      counts.set(sec, (counts.get(sec) ?? 0) + 1);
    }
    // sink-synacks.pcap (every SYN-ACK to a spoofed source), per second after
    // the first SYN: 250 first answers a second, plus the retransmissions
    // (129 at 1 s, 129 at 3 s, 110 at 7 s, 20 at 8 s, 20 at 10 s).
    const sink = new Map<number, number>();
    const reader = new CaptureReader(
      new Uint8Array(readFileSync(join(TRACES, EXPERIMENT, 'sink-synacks.pcap'))),
    );
    const first = firstSynEpochNs();
    for (let rec = reader.next(); rec; rec = reader.next()) {
      const ns = rec.sec * 1e9 + (rec.precision === 'micro' ? rec.frac * 1000 : rec.frac);
      const sec = Math.floor((ns - first) / 1e9);
      sink.set(sec, (sink.get(sec) ?? 0) + 1);
    }
    expect([...counts].sort((a, b) => a[0] - b[0])).toEqual([...sink].sort((a, b) => a[0] - b[0]));
  });

  test("the legitimate client: a cookie SYN-ACK at once, then the trace's exchange segment for segment", () => {
    const r = flood();
    expect(r.legit()!.state).toBe('TIME_WAIT');
    const port = (lines: TraceLine[]) => lines.filter((l) => l.text.includes('192.168.0.21.40001'));
    const ours = port(captureLines(r.sim.captured));
    const theirs = port(readTrace(EXPERIMENT));
    expect(normalize(ours)).toEqual(normalize(theirs));
    // The cookie SYN-ACK leaves as the SYN arrives, one link delay after it
    // left (trace: 22 µs between the two on the client's wire).
    expect(Math.round((ours[1]!.t - ours[0]!.t) * 1e6)).toBe(15);
  });

  test('the kernel log: the line of dmesg-synflood.txt, once, when the SYN queue first overflows', () => {
    const r = flood();
    const dmesg = readFileSync(join(TRACES, EXPERIMENT, 'dmesg-synflood.txt'), 'utf8');
    const line = /^\[\s*[\d.]+\] (.*)$/m.exec(dmesg)![1]!;
    expect(r.log).toHaveLength(1);
    // The 130th SYN (the first the 129 requests leave no room for) arrives 15 µs after it left.
    const synTimes = readTrace(EXPERIMENT)
      .filter((l) => FLOOD.test(l.text) && !l.text.startsWith('192.168.0.21.'))
      .map((l) => WHEEL_PHASE + Math.round(l.t * 1e9) + us(15));
    expect(r.log[0]).toBe(`${synTimes[129]} info ${line}`);
  });
});
