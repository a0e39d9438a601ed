/**
 * Two (or more) TCP engines on a simulated network, with no IP layer: a frame is
 * the source and destination IPv4 addresses (4 bytes each) followed by the TCP
 * segment as buildTcp encodes it. Each host demultiplexes to its connections,
 * then its listeners, and answers anything else with Linux's reset. Every
 * connection's next deadline is armed as an EventQueue timer. Everything sent
 * is recorded, so tests can compare the exchange with the Linux traces.
 */

import { EventQueue, type Timer } from '../../src/sim/events.js';
import { Link, type LinkEndpoint, type LinkProperties } from '../../src/sim/link.js';
import { Random } from '../../src/sim/random.js';
import type { Time } from '../../src/sim/time.js';
import { Connection, type ConnectOptions, type TcpEvent } from '../../src/tcp/connection.js';
import { Listener } from '../../src/tcp/listen.js';
import { TcpNet } from '../../src/tcp/net.js';
import { countReset, tcpResetFor } from '../../src/tcp/reset.js';
import type { TcpSysctl } from '../../src/tcp/sysctl.js';
import type { Ipv4Address } from '../../src/wire/address.js';
import { get32, put32 } from '../../src/wire/bytes.js';
import type { Seq } from '../../src/wire/seq.js';
import { buildTcp, parseTcp, type TcpSegment, tcpPseudoHeader } from '../../src/wire/tcp.js';

export interface Captured {
  readonly time: Time;
  readonly from: Ipv4Address;
  readonly to: Ipv4Address;
  readonly seg: TcpSegment;
  readonly bytes: Uint8Array;
}

export class Sim {
  readonly events = new EventQueue();
  readonly random: Random;
  readonly link: Link;
  readonly captured: Captured[] = [];
  readonly hosts: SimHost[] = [];

  constructor(seed: number, props: Partial<LinkProperties> = {}) {
    this.random = new Random(seed);
    this.link = new Link(this.events, this.random, 'lan', props);
  }

  host(name: string, addr: Ipv4Address, sysctl?: TcpSysctl, timerWheel = true): SimHost {
    const h = new SimHost(this, name, addr, sysctl, timerWheel);
    this.hosts.push(h);
    return h;
  }

  run(until?: Time): void {
    if (until === undefined) this.events.runUntilIdle();
    else this.events.runUntil(until);
  }
}

function connKey(localPort: number, remoteAddr: number, remotePort: number): string {
  return `${localPort}/${remoteAddr}:${remotePort}`;
}

export class SimHost {
  readonly sim: Sim;
  readonly name: string;
  readonly addr: Ipv4Address;
  readonly net: TcpNet;
  readonly endpoint: LinkEndpoint;
  readonly conns = new Map<string, Connection>();
  readonly listeners = new Map<number, Listener>();
  readonly #timers = new Map<Connection, Timer>();
  readonly #listenTimers = new Map<Listener, Timer>();
  #twTimer: Timer | undefined;
  /** Called for every event of every connection of this host. */
  onEvent: (conn: Connection, e: TcpEvent, now: Time) => void = () => {};
  /** Called when a listener has a connection to accept. */
  onAccept: (conn: Connection, now: Time) => void = () => {};
  /** Whether listeners' connections are accept()ed as they arrive (false: a server that never accepts). */
  autoAccept = true;
  /**
   * Holds every segment this long before it reaches the wire (and the
   * capture), as the traces' NFQUEUE delay rule on OUTPUT does.
   */
  outputDelay: Time = 0;

  constructor(
    sim: Sim,
    name: string,
    addr: Ipv4Address,
    sysctl: TcpSysctl | undefined,
    timerWheel: boolean,
  ) {
    this.sim = sim;
    this.name = name;
    this.addr = addr;
    this.net = new TcpNet({ random: sim.random.stream(`host/${name}`), sysctl, timerWheel });
    this.endpoint = sim.link.attach(name, (frame, now) => this.#receive(frame, now));
  }

  connect(options: Omit<ConnectOptions, 'local'> & { readonly localPort: number }): Connection {
    const now = this.sim.events.now;
    const conn = Connection.connect(this.net, now, {
      ...options,
      local: { addr: this.addr, port: options.localPort },
    });
    this.conns.set(connKey(options.localPort, options.remote.addr, options.remote.port), conn);
    this.flush(conn);
    return conn;
  }

  listen(port: number, backlog = 16): Listener {
    const l = new Listener(this.net, { local: { addr: 0, port }, backlog });
    this.listeners.set(port, l);
    this.#listenTimers.set(
      l,
      this.sim.events.timer((t) => {
        l.handleTimeout(t);
        this.flushListener(l);
      }),
    );
    return l;
  }

  /** Sends what the listener's request socks have to send, re-arms their timer. */
  flushListener(l: Listener): void {
    for (let t = l.pollTransmit(); t; t = l.pollTransmit()) this.#send(t.dst, t.seg);
    const timer = this.#listenTimers.get(l)!;
    const d = l.nextDeadline();
    if (d === undefined) timer.clear();
    else if (timer.deadline !== d) timer.set(Math.max(d, this.sim.events.now));
  }

  /** Sends what `conn` has to send, delivers its events, re-arms its timer. */
  flush(conn: Connection): void {
    const now = this.sim.events.now;
    for (let s = conn.pollTransmit(); s; s = conn.pollTransmit()) this.#send(conn.remote.addr, s);
    for (let e = conn.pollEvent(); e; e = conn.pollEvent()) this.onEvent(conn, e, now);
    const d = conn.nextDeadline();
    let timer = this.#timers.get(conn);
    if (d === undefined) {
      timer?.clear();
    } else {
      if (timer === undefined) {
        timer = this.sim.events.timer((t) => {
          conn.handleTimeout(t);
          this.flush(conn);
        });
        this.#timers.set(conn, timer);
      }
      timer.set(Math.max(d, now));
    }
    // A connection that became a timewait sock leaves the demux: the host finds
    // the sock in the namespace's table instead (its own timer keeps the
    // connection's mirror of it up to date).
    if ((conn.state === 'CLOSE' && conn.nextDeadline() === undefined) || conn.tw !== undefined) {
      const k = connKey(conn.local.port, conn.remote.addr, conn.remote.port);
      if (this.conns.get(k) === conn) this.conns.delete(k);
    }
    this.#armTimeWait();
  }

  /** Keeps one simulator timer on the timewait table's next deadline. */
  #armTimeWait(): void {
    const table = this.net.timeWait;
    const d = table.nextDeadline();
    if (d === undefined) {
      this.#twTimer?.clear();
      return;
    }
    if (this.#twTimer === undefined) {
      this.#twTimer = this.sim.events.timer((t) => {
        table.handleTimeout(t);
        this.#armTimeWait();
      });
    }
    this.#twTimer.set(Math.max(d, this.sim.events.now));
  }

  /** Runs `f` on `conn` now and flushes it. */
  act<T>(conn: Connection, f: (c: Connection, now: Time) => T): T {
    const r = f(conn, this.sim.events.now);
    this.flush(conn);
    return r;
  }

  #send(to: Ipv4Address, seg: TcpSegment): void {
    if (this.outputDelay > 0) {
      this.sim.events.after(this.outputDelay, () => this.#sendNow(to, seg));
      return;
    }
    this.#sendNow(to, seg);
  }

  #sendNow(to: Ipv4Address, seg: TcpSegment): void {
    const tcp = buildTcp(seg, tcpPseudoHeader(this.addr, to, seg));
    const frame = new Uint8Array(8 + tcp.length);
    put32(frame, 0, this.addr);
    put32(frame, 4, to);
    frame.set(tcp, 8);
    this.sim.captured.push({ time: this.sim.events.now, from: this.addr, to, seg, bytes: tcp });
    this.endpoint.send(frame);
  }

  #receive(frame: Uint8Array, now: Time): void {
    const src = get32(frame, 0);
    const dst = get32(frame, 4);
    if (dst !== this.addr) return;
    const tcpBytes = frame.subarray(8);
    const parsed = parseTcp(
      tcpBytes,
      { src, dst, protocol: 6, length: tcpBytes.length },
      { options: 'linux' },
    );
    if (!parsed.ok || !parsed.value.checksumOk) return;
    const seg = parsed.value;
    this.#demux(now, seg, src, dst);
    if (!this.autoAccept) return;
    for (const l of this.listeners.values()) {
      for (let c = l.accept(); c; c = l.accept()) this.onAccept(c, now);
    }
  }

  #demux(now: Time, seg: TcpSegment, src: Ipv4Address, dst: Ipv4Address): void {
    const conn = this.conns.get(connKey(seg.dstPort, src, seg.srcPort));
    if (conn !== undefined) {
      const v = conn.handleSegment(now, seg);
      this.flush(conn);
      if (v !== 'reopen') return;
    }
    const l = this.listeners.get(seg.dstPort);
    let isn: Seq | undefined;
    const tw =
      conn === undefined ? this.net.timeWait.lookup(dst, seg.dstPort, src, seg.srcPort) : undefined;
    if (tw !== undefined) {
      // tcp_v4_rcv do_time_wait.
      const v = this.net.timeWait.handleSegment(tw, now, seg);
      this.#armTimeWait();
      if (v.action === 'ack' || v.action === 'rst') {
        if (v.reply !== undefined) this.#send(src, v.reply);
        return;
      }
      if (v.action === 'none') return;
      if (l === undefined) {
        this.#send(src, tw.timewaitAck(now, this.net));
        return;
      }
      this.net.timeWait.reopen(tw, now);
      this.#armTimeWait();
      isn = v.isn;
    }
    if (l !== undefined) {
      const v = l.handleSegment(now, seg, { addr: src, port: seg.srcPort }, dst, isn);
      this.flushListener(l);
      if ('child' in v) {
        this.conns.set(connKey(seg.dstPort, src, seg.srcPort), v.child);
        this.flush(v.child);
      } else if ('reply' in v) {
        this.#send(src, v.reply);
      }
      return;
    }
    const rst = tcpResetFor(seg);
    this.net.counters.TcpInSegs++;
    if (rst !== undefined) {
      countReset(this.net.counters);
      this.#send(src, rst);
    }
  }
}

/**
 * A bulk transfer from `client` to port 80 of `server` (which listens on it):
 * the client writes `total` bytes in writes of 64 KiB, then shuts down; the
 * server reads 16 KiB every `readEvery` (a slow reader fills its window and
 * reopens it) and closes at end of file. Each accepted connection is handed
 * to `onAccept`; the client's connection (from port 40000) is returned.
 */
export function startBulk(
  sim: Sim,
  client: SimHost,
  server: SimHost,
  serverAddr: Ipv4Address,
  total: number,
  readEvery: Time,
  onAccept: (c: Connection) => void = () => {},
): Connection {
  server.listen(80);
  let sent = 0;
  const write = (c: Connection) =>
    client.act(c, (cc, t) => {
      while (sent < total) {
        const n = cc.send(t, new Uint8Array(Math.min(65536, total - sent)).fill(sent & 255));
        if (typeof n !== 'number' || n === 0) break;
        sent += n;
      }
      if (sent === total) cc.shutdown(t);
    });
  client.onEvent = (c, e) => {
    if (e.kind === 'connected' || e.kind === 'writable') write(c);
  };
  server.onAccept = (c) => {
    onAccept(c);
    const read = () => {
      server.act(c, (cc, t) => {
        cc.recv(t, 16384);
        if (cc.eof) cc.close(t);
      });
      if (c.state !== 'CLOSE') sim.events.after(readEvery, read);
    };
    sim.events.after(readEvery, read);
  };
  return client.connect({ localPort: 40000, remote: { addr: serverAddr, port: 80 } });
}
