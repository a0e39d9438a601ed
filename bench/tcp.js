// TCP engine benchmarks (issue 3, "Benchmarks"), on the compiled code in dist/
// (`npm run build` first). `node bench/tcp.js` runs them; bench/run.js calls
// `run()` under `--only tcp`. Every figure is measured here, on this machine, and
// printed next to the goal.
//
// The same work is measured along three paths, from the engine alone to the
// whole stack; the last one, through the hosts, is the real path and the figure
// that counts; the first two say which layer costs what:
// - "segments as objects": two TcpNets driven by this file's minimal host glue
//   (a connection table, a timer per connection), the segment objects handed
//   over by the event queue (a lane per direction, as a Link's);
// - "segments as bytes": the same glue, each segment built as an IPv4 datagram
//   (IPv4 and TCP headers, both checksums computed) and parsed back (both
//   checksums verified), carried by a simulated Link;
// - "through the hosts": two src/host Hosts on a Network (src/sim): HostTcp
//   (demux, timers, IP ids), the IP layer (routing, netfilter hooks, the
//   neighbour cache and ARP), Ethernet, the IPv4 header checksum, TCP's checksum
//   offloaded as between two veth NICs (src/host/offload.ts: left pending by
//   the sender, taken as good by the receiver, finished for anything that
//   reads the bytes), a Link.
//
// 1. lifecycles: 100 000 full connection lifecycles between two hosts on the
//    simulator over a zero-delay link: connect, a 100-byte request, a 100-byte
//    reply, the client closes, the server closes on EOF, the client's TIME_WAIT
//    expires (10 segments each). A new connection starts every 3 ms of virtual
//    time, from ports 32768..60999 in turn, so a port comes back after 84.7 s,
//    once its TIME_WAIT (60 s + wheel slack) is over. Figures: lifecycles per
//    wall-clock second (as objects and through the hosts: median of three
//    runs), simulator events per second.
// 2. memory: heap bytes per idle ESTABLISHED connection (20 000 connected pairs,
//    both ends counted) and per TIME_WAIT entry (20 000 timewait socks, their
//    connections dropped), from process.memoryUsage() (heapUsed + arrayBuffers)
//    after a forced GC. Then the same idle connection through the hosts (10 000
//    pairs): the engine's connection plus what HostTcp keeps for it (its sock in
//    the connection table, its timer, the socket's IP id), for the record.
// 3. bulk: 1 GiB from one host to the other over a 10 Gbit/s link with 1 ms
//    delay, payload bytes per wall-clock second (as objects: a FIFO transmitter
//    at 10 Gbit/s, then the delay; through the hosts: median of three runs).
//
// Options: --bulk-mib N to send less (the output says so and extrapolates);
// --part lifecycles|memory|bulk|hosts (repeatable) to run some only;
// hosts-lifecycles and hosts-bulk are the two halves of hosts.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EventQueue, Link, Random } from '../dist/sim/index.js';
import { Network } from '../dist/sim/network.js';
import { Connection, Listener, TcpNet, tcpSysctl } from '../dist/tcp/index.js';
import { EMPTY_BYTES, freshBytes } from '../dist/wire/bytes.js';
import {
  emitIpv4Header,
  IPPROTO_TCP,
  IPV4_HEADER_LEN,
  ipv4PseudoHeader,
  parseIpv4,
} from '../dist/wire/ipv4.js';
import { emitTcp, parseTcp, tcpLength, tcpPseudoHeader } from '../dist/wire/tcp.js';
import { goal, heapUsed } from './measure.js';

const LIFECYCLES = 100_000;
const MEMORY_COUNT = 20_000;
const CLIENT_ADDR = 0x0a000001;
const SERVER_ADDR = 0x0a000002;
const START_EVERY_NS = 3_000_000;
const PORT_FIRST = 32768;
const PORTS = 60999 - 32768 + 1;

const REQUEST = new Uint8Array(100).fill(0x51);
const REPLY = new Uint8Array(100).fill(0x52);

function mega(x) {
  return `${(x / 1e6).toFixed(2)} M`;
}

/**
 * One host of the bench: a TcpNet, its connections by (local port, remote
 * port) (one address pair only), one listener, a simulator timer per
 * connection and one for the timewait table. Each connection has a sock (the
 * connection and its timer, as src/host/tcp.ts's TcpSock).
 */
class Host {
  constructor(events, addr, random, sysctl) {
    this.events = events;
    this.addr = addr;
    this.net = new TcpNet({ random, sysctl });
    this.conns = new Map();
    this.listener = undefined;
    this.peer = undefined;
    this.deliver = undefined;
    this.onEvent = () => {};
    this.onAccept = () => {};
    this.twTimer = events.timer((t) => {
      this.net.timeWait.handleTimeout(t);
      this.armTimeWait();
    });
  }

  listen(port) {
    const l = new Listener(this.net, { local: { addr: 0, port }, backlog: 4096 });
    this.listener = l;
    // The SYN queue's requests have one timer, the listener's (SYN-ACK retransmission).
    this.listenTimer = this.events.timer((t) => {
      l.handleTimeout(t);
      this.#flushListener();
    });
  }

  /** Sends what the listener's requests have to send; re-arms the listener's timer. */
  #flushListener() {
    const l = this.listener;
    for (let out = l.pollTransmit(); out; out = l.pollTransmit()) this.deliver(out.seg);
    const d = l.nextDeadline();
    if (d === undefined) this.listenTimer.clear();
    else if (this.listenTimer.deadline !== d) this.listenTimer.set(Math.max(d, this.events.now));
  }

  connect(localPort, remotePort, options = {}) {
    const conn = Connection.connect(this.net, this.events.now, {
      local: { addr: this.addr, port: localPort },
      remote: { addr: this.peer.addr, port: remotePort },
      ...options,
    });
    this.#flushSock(this.#addSock(localPort * 65536 + remotePort, conn));
    return conn;
  }

  #addSock(key, conn) {
    const sock = { conn, timer: undefined };
    sock.timer = this.events.timer((t) => {
      conn.handleTimeout(t);
      this.#flushSock(sock);
    });
    this.conns.set(key, sock);
    return sock;
  }

  /** Sends what `conn` has to send and tells the application; re-arms its timer. */
  flush(conn) {
    const sock = this.conns.get(conn.local.port * 65536 + conn.remote.port);
    if (sock !== undefined && sock.conn === conn) this.#flushSock(sock);
  }

  #flushSock(sock) {
    const conn = sock.conn;
    const now = this.events.now;
    // Events may make the application send: until both are drained.
    for (let more = true; more; ) {
      more = false;
      for (let s = conn.pollTransmit(); s; s = conn.pollTransmit()) this.deliver(s);
      for (let e = conn.pollEvent(); e; e = conn.pollEvent()) {
        this.onEvent(conn, e, now);
        more = true;
      }
    }
    const d = conn.nextDeadline();
    const timer = sock.timer;
    const gone = conn.tw !== undefined || (d === undefined && conn.state === 'CLOSE');
    if (gone) {
      // The application let go: the timewait sock alone remains (its timer is the table's).
      const k = conn.local.port * 65536 + conn.remote.port;
      if (this.conns.get(k) === sock) this.conns.delete(k);
      timer.clear();
    } else if (d === undefined) {
      timer.clear();
    } else if (timer.deadline !== d) {
      timer.set(d > now ? d : now);
    }
    this.armTimeWait();
  }

  armTimeWait() {
    const d = this.net.timeWait.nextDeadline();
    if (d === undefined) this.twTimer.clear();
    else if (this.twTimer.deadline !== d) this.twTimer.set(Math.max(d, this.events.now));
  }

  receive(seg) {
    const now = this.events.now;
    const key = seg.dstPort * 65536 + seg.srcPort;
    const sock = this.conns.get(key);
    if (sock !== undefined) {
      sock.conn.handleSegment(now, seg);
      this.#flushSock(sock);
      return;
    }
    const tw = this.net.timeWait.lookup(this.addr, seg.dstPort, this.peer.addr, seg.srcPort);
    let isn;
    if (tw !== undefined) {
      const v = this.net.timeWait.handleSegment(tw, now, seg);
      this.armTimeWait();
      if (v.action === 'ack' || v.action === 'rst') {
        if (v.reply !== undefined) this.deliver(v.reply);
        return;
      }
      if (v.action === 'none') return;
      this.net.timeWait.reopen(tw, now);
      isn = v.isn;
    }
    const l = this.listener;
    if (l === undefined || seg.dstPort !== l.local.port) throw new Error('bench: no listener');
    const v = l.handleSegment(
      now,
      seg,
      { addr: this.peer.addr, port: seg.srcPort },
      this.addr,
      isn,
    );
    if (v.child !== undefined) {
      this.#flushSock(this.#addSock(key, v.child));
    } else if (v.reply !== undefined) {
      this.deliver(v.reply);
    }
    this.#flushListener();
    for (let c = l.accept(); c; c = l.accept()) this.onAccept(c, now);
  }
}

/** Two hosts joined by a zero-delay link: segments as objects, or as bytes through a Link. */
function twoHosts({ wire, link, sysctl }) {
  const events = new EventQueue({ maxEventsPerRun: 1e12 });
  const random = new Random('bench/tcp');
  const a = new Host(events, CLIENT_ADDR, random.stream('a'), sysctl);
  const b = new Host(events, SERVER_ADDR, random.stream('b'), sysctl);
  a.peer = b;
  b.peer = a;
  if (!wire && link === undefined) {
    // The zero-delay link: an event at the same instant carrying the segment.
    for (const [from, to] of [
      [a, b],
      [b, a],
    ]) {
      const lane = events.lane((seg) => to.receive(seg));
      from.deliver = (seg) => lane.schedule(events.now, seg);
    }
    return { events, a, b };
  }
  if (!wire) {
    // Segments as objects over a link with delay and bandwidth: a FIFO
    // transmitter per direction serializes each frame (IPv4 + TCP headers and
    // payload, 20 + tcpLength bytes) at `bandwidth`, then `delay` to the other
    // end. No queue limit, no faults.
    for (const [from, to] of [
      [a, b],
      [b, a],
    ]) {
      let busyUntil = 0;
      // Arrivals are in the order of sending: one lane of the event queue (as a Link's).
      const lane = events.lane((seg) => to.receive(seg));
      from.deliver = (seg) => {
        const bits = (20 + tcpLength(seg)) * 8;
        busyUntil = Math.max(events.now, busyUntil) + Math.ceil((bits * 1e9) / link.bandwidth);
        lane.schedule(busyUntil + link.delay, seg);
      };
    }
    return { events, a, b };
  }
  const l = new Link(events, random.stream('link'), 'bench', link ?? {});
  const endpoints = new Map();
  for (const h of [a, b]) {
    const ep = l.attach(h === a ? 'a' : 'b', (frame) => {
      // ip_rcv + tcp_v4_rcv: the IPv4 header (its checksum verified), then the
      // segment with the pseudo-header (its checksum verified).
      const ip = parseIpv4(frame);
      if (!ip.ok || !ip.value.checksumOk || ip.value.protocol !== IPPROTO_TCP) {
        throw new Error('bench: a datagram did not parse');
      }
      if (ip.value.dst !== h.addr) throw new Error('bench: a datagram for someone else');
      const p = parseTcp(ip.value.payload, ipv4PseudoHeader(ip.value), { options: 'linux' });
      if (!p.ok || !p.value.checksumOk) throw new Error('bench: a segment did not parse');
      h.receive(p.value);
    });
    endpoints.set(h, ep);
  }
  for (const h of [a, b]) {
    const ep = endpoints.get(h);
    let id = 0;
    h.deliver = (seg) => {
      // ip_queue_xmit: an IPv4 header (DF, TTL 64, the socket's IP id) and the
      // segment after it, both checksums computed; the frame goes on the link.
      const ph = tcpPseudoHeader(h.addr, h.peer.addr, seg);
      const frame = freshBytes(IPV4_HEADER_LEN + ph.length);
      emitIpv4Header(
        {
          dscp: 0,
          ecn: 0,
          id: id++ & 0xffff,
          dontFragment: true,
          moreFragments: false,
          fragmentOffset: 0,
          ttl: 64,
          protocol: IPPROTO_TCP,
          src: h.addr,
          dst: h.peer.addr,
          options: EMPTY_BYTES,
          payload: EMPTY_BYTES,
        },
        frame,
        ph.length,
      );
      emitTcp(seg, frame.subarray(IPV4_HEADER_LEN), ph);
      ep.send(frame);
    };
  }
  return { events, a, b };
}

// ---- 1. Lifecycles. ----

function lifecycles(n, wire) {
  const { events, a: client, b: server } = twoHosts({ wire });
  server.listen(80);
  let replies = 0;
  server.onEvent = (c, e, now) => {
    if (e.kind === 'readable') {
      const got = c.recv(now);
      if (got.length > 0) c.send(now, REPLY);
    } else if (e.kind === 'eof') {
      c.close(now);
    }
  };
  server.onAccept = (c) => server.flush(c);
  client.onEvent = (c, e, now) => {
    if (e.kind === 'connected') {
      c.send(now, REQUEST);
    } else if (e.kind === 'readable') {
      if (c.recv(now).length > 0) {
        replies++;
        c.close(now);
      }
    }
  };
  let started = 0;
  const startOne = () => {
    client.connect(PORT_FIRST + (started % PORTS), 80);
    if (++started < n) events.after(START_EVERY_NS, startOne);
  };
  events.schedule(0, startOne);
  const t0 = performance.now();
  events.runUntilIdle();
  const ms = performance.now() - t0;
  const cc = client.net.counters;
  const sc = server.net.counters;
  if (replies !== n || cc.TcpExtTW !== n || client.net.timeWait.size !== 0) {
    throw new Error(
      `bench: ${replies} replies, ${cc.TcpExtTW} TIME_WAIT expiries for ${n} lifecycles`,
    );
  }
  return {
    ms,
    events: events.eventsRun,
    virtualS: events.now / 1e9,
    segments: cc.TcpOutSegs + sc.TcpOutSegs,
    retrans: cc.TcpRetransSegs + sc.TcpRetransSegs,
  };
}

/**
 * Milliseconds of CPU time (user + system, all threads: the GC's helpers
 * included) since `start` (process.cpuUsage()). On a loaded machine wall time
 * counts the time other processes had the CPU; this does not.
 */
function cpuSince(start) {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1000;
}

// ---- 1b, 3b. Through the hosts: src/host's IP layer and TCP glue. ----

/**
 * Two src/host Hosts on a Network (a simulated Ethernet link): every segment
 * goes through HostTcp (src/host/tcp.ts: demux, timers, IP ids), the IP layer
 * (routing, netfilter hooks, the neighbour cache and ARP, Ethernet), wire
 * encoding (TCP's checksum offloaded: src/host/offload.ts), and the link. The application is HostTcp's
 * socket-facing API (connect, listen, accept, `act`), as the socket layer uses it.
 */
function hostPair(link, sysctl) {
  const net = new Network({ seed: 1, maxEventsPerRun: 1e12 });
  const lan = net.segment('lan', link);
  const client = net.addHost('client', { segment: lan, address: '10.0.0.1/24' });
  const server = net.addHost('server', { segment: lan, address: '10.0.0.2/24' });
  if (sysctl !== undefined) {
    client.tcp.sysctl = sysctl;
    server.tcp.sysctl = sysctl;
  }
  return { net, client, server };
}

function lifecyclesThroughHosts(n) {
  const { net, client, server } = hostPair({});
  const l = server.tcp.listen(0, 80, 4096, false);
  let replies = 0;
  const serverOwner = (sock, e, now) => {
    if (e.kind === 'readable') {
      sock.act((c) => {
        if (c.recv(now).length > 0) c.send(now, REPLY);
      });
    } else if (e.kind === 'eof') {
      sock.act((c) => c.close(now));
    }
  };
  l.onAcceptable = () => {
    for (let s = server.tcp.accept(l, serverOwner); s; s = server.tcp.accept(l, serverOwner)) {
      // Events that came before accept() are in the connection's fields.
      if (s.conn.readable > 0 || s.conn.eof) serverOwner(s, { kind: 'readable' }, net.now);
    }
  };
  const clientOwner = (sock, e, now) => {
    if (e.kind === 'connected') {
      sock.act((c) => c.send(now, REQUEST));
    } else if (e.kind === 'readable') {
      sock.act((c) => {
        if (c.recv(now).length > 0) {
          replies++;
          c.close(now);
        }
      });
    }
  };
  const serverAddr = server.interfaces.find((i) => i.kind === 'ethernet').primaryAddress;
  let started = 0;
  const startOne = () => {
    const r = client.tcp.connect({
      localAddr: 0,
      localPort: PORT_FIRST + (started % PORTS),
      remoteAddr: serverAddr,
      remotePort: 80,
      owner: clientOwner,
    });
    if (!r.ok) throw new Error(`bench: connect: ${r.errno}`);
    if (++started < n) net.events.after(START_EVERY_NS, startOne);
  };
  net.events.schedule(0, startOne);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  net.events.runUntilIdle();
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  const cc = client.tcp.net.counters;
  if (replies !== n || cc.TcpExtTW !== n || client.tcp.net.timeWait.size !== 0) {
    throw new Error(`bench: ${replies} replies, ${cc.TcpExtTW} TIME_WAIT expiries for ${n}`);
  }
  return {
    ms,
    cpuMs,
    events: net.events.eventsRun,
    segments: cc.TcpOutSegs + server.tcp.net.counters.TcpOutSegs,
  };
}

function bulkThroughHosts(bytes) {
  const sysctl = tcpSysctl({
    tcp_rmem: [4096, 6291456, 6291456],
    tcp_wmem: [4096, 4194304, 4194304],
  });
  const { net, client, server } = hostPair({ bandwidth: 10e9, delay: 1_000_000 }, sysctl);
  const l = server.tcp.listen(0, 5001, 4096, false);
  const chunk = new Uint8Array(65536).fill(0x5a);
  let queued = 0;
  let received = 0;
  const fill = (sock, now) =>
    sock.act((c) => {
      while (queued < bytes) {
        const want = Math.min(chunk.length, bytes - queued);
        const k = c.send(now, want === chunk.length ? chunk : chunk.subarray(0, want));
        if (typeof k !== 'number' || k === 0) break;
        queued += k;
      }
      if (queued >= bytes) c.close(now);
    });
  // The application's calls, made once (not a closure per event).
  const readAll = (c, now) => {
    received += c.recv(now).length;
  };
  const close = (c, now) => c.close(now);
  const receiverOwner = (sock, e) => {
    if (e.kind === 'readable') sock.act(readAll);
    else if (e.kind === 'eof') sock.act(close);
  };
  l.onAcceptable = () => {
    for (let s = server.tcp.accept(l, receiverOwner); s; s = server.tcp.accept(l, receiverOwner)) {
      if (s.conn.readable > 0) receiverOwner(s, { kind: 'readable' }, net.now);
    }
  };
  const serverAddr = server.interfaces.find((i) => i.kind === 'ethernet').primaryAddress;
  const r = client.tcp.connect({
    localAddr: 0,
    localPort: 40000,
    remoteAddr: serverAddr,
    remotePort: 5001,
    owner: (sock, e, now) => {
      if (e.kind === 'connected' || e.kind === 'writable') fill(sock, now);
    },
  });
  if (!r.ok) throw new Error(`bench: connect: ${r.errno}`);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  net.events.runWhile(() => received < bytes, 3600e9);
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  if (received !== bytes) throw new Error(`bench: ${received} of ${bytes} bytes arrived`);
  const sc = client.tcp.net.counters;
  return { ms, cpuMs, virtualS: net.now / 1e9, retrans: sc.TcpRetransSegs, segs: sc.TcpOutSegs };
}

// ---- 2. Memory. ----

/** Drives one handshake (and, with `closeTo`, a close) between two engines by hand: no simulator. */
function pairs(n, closeToTimeWait) {
  const random = new Random('bench/tcp/memory');
  const cn = new TcpNet({ random: random.stream('client') });
  const sn = new TcpNet({ random: random.stream('server') });
  const listener = new Listener(sn, { local: { addr: 0, port: 80 }, backlog: n + 1 });
  let now = 0;
  const pump = (from, to) => {
    for (let s = from.pollTransmit(); s; s = from.pollTransmit()) to.handleSegment(now, s);
    while (from.pollEvent());
  };
  const kept = [];
  for (let i = 0; i < n; i++) {
    now += 1000;
    const port = 1024 + (i % 64000);
    const remoteAddr = CLIENT_ADDR + Math.floor(i / 64000);
    const c = Connection.connect(cn, now, {
      local: { addr: remoteAddr, port },
      remote: { addr: SERVER_ADDR, port: 80 },
    });
    const remote = { addr: remoteAddr, port };
    const syn = c.pollTransmit();
    listener.handleSegment(now, syn, remote, SERVER_ADDR);
    // The request's SYN-ACK, then the client's ACK makes the server's connection.
    for (let out = listener.pollTransmit(); out; out = listener.pollTransmit()) {
      c.handleSegment(now, out.seg);
    }
    while (c.pollEvent());
    const v = listener.handleSegment(now, c.pollTransmit(), remote, SERVER_ADDR);
    const s = v.child;
    if (s === undefined) throw new Error('bench: the ACK made no connection');
    pump(s, c);
    pump(c, s);
    while (s.pollEvent());
    const accepted = listener.accept();
    if (accepted !== s || c.state !== 'ESTABLISHED' || s.state !== 'ESTABLISHED') {
      throw new Error('bench: a handshake did not complete');
    }
    if (closeToTimeWait) {
      c.close(now);
      pump(c, s);
      s.close(now);
      pump(s, c);
      pump(c, s);
      if (c.state !== 'TIME_WAIT' || s.state !== 'CLOSE') throw new Error('bench: no TIME_WAIT');
    } else {
      kept.push(c, s);
    }
  }
  return { kept, cn, sn, listener };
}

function memory(n) {
  // Warm up so that code and shapes are in place before measuring.
  pairs(200, false);
  pairs(200, true);
  let before = heapUsed();
  let r = pairs(n, false);
  let after = heapUsed();
  const perEstablished = (after - before) / r.kept.length;
  if (r.kept.length !== 2 * n) throw new Error('bench: lost connections');
  r = undefined;
  before = heapUsed();
  r = pairs(n, true);
  after = heapUsed();
  if (r.cn.timeWait.size !== n) throw new Error('bench: lost TIME_WAIT entries');
  const perTimeWait = (after - before) / n;
  return { perEstablished, perTimeWait, keep: r };
}

/** Idle ESTABLISHED connections between two src/host Hosts: connect, accept, nothing sent. */
function hostPairs(n) {
  const { net, client, server } = hostPair({});
  const l = server.tcp.listen(0, 80, 4096, false);
  const kept = [];
  const owner = () => {};
  l.onAcceptable = () => {
    for (let s = server.tcp.accept(l, owner); s; s = server.tcp.accept(l, owner)) kept.push(s);
  };
  const serverAddr = server.interfaces.find((i) => i.kind === 'ethernet').primaryAddress;
  for (let i = 0; i < n; i++) {
    const r = client.tcp.connect({
      localAddr: 0,
      localPort: PORT_FIRST + i,
      remoteAddr: serverAddr,
      remotePort: 80,
      owner,
    });
    if (!r.ok) throw new Error(`bench: connect: ${r.errno}`);
    kept.push(r.value);
    // Handshakes in batches, well within the listener's queues.
    if (i % 100 === 99) net.events.runUntil(net.now + 10_000_000);
  }
  net.events.runUntil(net.now + 10_000_000);
  if (kept.length !== 2 * n || kept.some((s) => s.conn.state !== 'ESTABLISHED')) {
    throw new Error('bench: a handshake through the hosts did not complete');
  }
  return { net, kept };
}

function memoryThroughHosts(n) {
  hostPairs(200);
  const before = heapUsed();
  const r = hostPairs(n);
  const after = heapUsed();
  return { perEstablished: (after - before) / r.kept.length, keep: r };
}

// ---- 3. Bulk. ----

function bulk(bytes, wire) {
  const sysctl = tcpSysctl({
    // A 10 Gbit/s, 2 ms RTT path needs a 2.5 MB window: Linux autotunes its
    // buffers up to tcp_rmem[2] and tcp_wmem[2]; tcplab does not autotune, so
    // the bench starts them there.
    tcp_rmem: [4096, 6291456, 6291456],
    tcp_wmem: [4096, 4194304, 4194304],
  });
  const {
    events,
    a: sender,
    b: receiver,
  } = twoHosts({
    wire,
    sysctl,
    link: { bandwidth: 10e9, delay: 1_000_000 },
  });
  receiver.listen(5001);
  const chunk = new Uint8Array(65536).fill(0x5a);
  let queued = 0;
  let received = 0;
  const fill = (c, now) => {
    while (queued < bytes) {
      const want = Math.min(chunk.length, bytes - queued);
      const n = c.send(now, want === chunk.length ? chunk : chunk.subarray(0, want));
      if (typeof n !== 'number' || n === 0) break;
      queued += n;
    }
    if (queued >= bytes) c.close(now);
  };
  sender.onEvent = (c, e, now) => {
    if (e.kind === 'connected' || e.kind === 'writable') fill(c, now);
  };
  receiver.onEvent = (c, e, now) => {
    if (e.kind === 'readable') received += c.recv(now).length;
    else if (e.kind === 'eof') c.close(now);
  };
  receiver.onAccept = (c) => receiver.flush(c);
  sender.connect(40000, 5001);
  const t0 = performance.now();
  events.runWhile(() => received < bytes, 3600e9);
  const ms = performance.now() - t0;
  if (received !== bytes) throw new Error(`bench: ${received} of ${bytes} bytes arrived`);
  const sc = sender.net.counters;
  return { ms, virtualS: events.now / 1e9, retrans: sc.TcpRetransSegs, segs: sc.TcpOutSegs };
}

export async function run(options = {}) {
  const bulkMiB = options.bulkMiB ?? 1024;
  const parts = options.parts ?? ['lifecycles', 'memory', 'bulk', 'hosts'];
  const out = {};
  if (parts.includes('lifecycles')) Object.assign(out, runLifecycles());
  if (parts.includes('memory')) Object.assign(out, runMemory());
  if (parts.includes('bulk')) Object.assign(out, runBulk(bulkMiB));
  const hostParts = parts.includes('hosts')
    ? { lifecycles: true, bulk: true }
    : { lifecycles: parts.includes('hosts-lifecycles'), bulk: parts.includes('hosts-bulk') };
  if (hostParts.lifecycles || hostParts.bulk) Object.assign(out, runHosts(bulkMiB, hostParts));
  return out;
}

function runHosts(bulkMiB, which) {
  const out = {};
  // Warm-up. The bulk one goes past the slow start's overshoot (about 25 MiB
  // in, 486 segments lost at the link's queue): the loss recovery code is
  // compiled before the measured runs, which would otherwise pay for it in the
  // first (4 MiB never lost a segment: that run was 15-20% slower than the next).
  lifecyclesThroughHosts(2000);
  bulkThroughHosts(64 * 1024 * 1024);
  if (which.lifecycles) out.lifecyclesPerSecondHosts = runHostLifecycles();
  if (which.bulk) out.bulkGbpsHosts = runHostBulk(bulkMiB);
  return out;
}

function runHostLifecycles() {
  // The machine is shared: the median of three runs, with the range (CPU time
  // too, which does not count the time other processes had the CPU).
  const ls = [0, 1, 2].map(() => lifecyclesThroughHosts(LIFECYCLES));
  const l = medianOf(ls, (r) => r.ms);
  const lCpu = medianOf(ls, (r) => r.cpuMs).cpuMs;
  const rate = LIFECYCLES / (l.ms / 1000);
  console.log(
    `tcp lifecycles THROUGH THE HOSTS (the real path, the figure that counts: src/host HostTcp, IP, ARP, Ethernet, TCP checksum offloaded, a Link): ${LIFECYCLES} in ${l.ms.toFixed(0)} ms = ` +
      `${(rate / 1000).toFixed(1)} k lifecycles/s, median of 3 (${rangeOf(ls, (r) => LIFECYCLES / r.ms)} k) (goal >= 100 k: ${goal(rate >= 100_000)}), ${mega(l.events / (l.ms / 1000))} events/s; ` +
      `CPU time ${lCpu.toFixed(0)} ms (median) = ${(LIFECYCLES / lCpu).toFixed(1)} k lifecycles per CPU-second`,
  );
  return rate;
}

function runHostBulk(bulkMiB) {
  const bytes = bulkMiB * 1024 * 1024;
  const bs = [0, 1, 2].map(() => bulkThroughHosts(bytes));
  const b = medianOf(bs, (r) => r.ms);
  const bCpu = medianOf(bs, (r) => r.cpuMs).cpuMs;
  const gbps = (bytes * 8) / (b.ms / 1000) / 1e9;
  console.log(
    `tcp bulk THROUGH THE HOSTS (the real path, the figure that counts): ${bulkMiB} MiB over 10 Gbit/s, 1 ms delay, in ${(b.ms / 1000).toFixed(2)} s wall = ` +
      `${gbps.toFixed(2)} Gbit/s of payload per wall-clock second, median of 3 (${rangeOf(bs, (r) => (bytes * 8) / r.ms / 1e6)}) (goal >= 5: ${goal(gbps >= 5)}; ` +
      `${b.virtualS.toFixed(2)} s virtual, ${b.retrans} of ${b.segs} segments retransmitted); ` +
      `CPU time ${(bCpu / 1000).toFixed(2)} s (median) = ${((bytes * 8) / (bCpu / 1000) / 1e9).toFixed(2)} Gbit/s per CPU-second`,
  );
  return gbps;
}

/** The run whose `key` is the median of `runs` (three or any odd number). */
function medianOf(runs, key) {
  return [...runs].sort((x, y) => key(x) - key(y))[runs.length >> 1];
}

/** `lo..hi` of `rate(run)` over `runs`, one decimal. */
function rangeOf(runs, rate) {
  const xs = runs.map(rate).sort((x, y) => x - y);
  return `${xs[0].toFixed(1)}..${xs[xs.length - 1].toFixed(1)}`;
}

function runLifecycles() {
  // Warm-up.
  lifecycles(3000, false);
  lifecycles(1000, true);

  // The machine is shared: the median of three runs, with the range.
  const runs = [0, 1, 2].map(() => lifecycles(LIFECYCLES, false)).sort((x, y) => x.ms - y.ms);
  const lo = runs[1];
  const loRate = LIFECYCLES / (lo.ms / 1000);
  const range = `${(LIFECYCLES / runs[2].ms).toFixed(1)}..${(LIFECYCLES / runs[0].ms).toFixed(1)} k`;
  console.log(
    `tcp lifecycles (segments as objects: the engine and the bench's glue only): ${LIFECYCLES} in ${lo.ms.toFixed(0)} ms = ${(loRate / 1000).toFixed(1)} k lifecycles/s, median of 3 (${range}) ` +
      `(goal >= 100 k: ${goal(loRate >= 100_000)}; ${(lo.segments / LIFECYCLES).toFixed(1)} segments each, ${lo.retrans} retransmitted, ${lo.virtualS.toFixed(0)} s virtual)`,
  );
  console.log(
    `tcp simulator events during that run: ${lo.events} = ${mega(lo.events / (lo.ms / 1000))} events/s`,
  );
  const lw = lifecycles(LIFECYCLES, true);
  const lwRate = LIFECYCLES / (lw.ms / 1000);
  console.log(
    `tcp lifecycles (segments as bytes: IPv4 + TCP built and parsed, both checksums, through a Link; the bench's glue): ${LIFECYCLES} in ${lw.ms.toFixed(0)} ms = ` +
      `${(lwRate / 1000).toFixed(1)} k lifecycles/s (goal >= 100 k: ${goal(lwRate >= 100_000)}), ${mega(lw.events / (lw.ms / 1000))} events/s`,
  );

  return {
    lifecyclesPerSecond: loRate,
    lifecyclesPerSecondWire: lwRate,
    eventsPerSecond: lo.events / (lo.ms / 1000),
  };
}

function runMemory() {
  const mem = memory(MEMORY_COUNT);
  console.log(
    `tcp memory: ${mem.perEstablished.toFixed(0)} bytes (heap + ArrayBuffers) per idle ESTABLISHED connection ` +
      `(${2 * MEMORY_COUNT} ends; goal <= 2048: ${goal(mem.perEstablished <= 2048)}; Linux tcp_sock: 2368)`,
  );
  console.log(
    `tcp memory: ${mem.perTimeWait.toFixed(0)} bytes (heap + ArrayBuffers) per TIME_WAIT entry ` +
      `(${MEMORY_COUNT} entries, table included; goal <= 300: ${goal(mem.perTimeWait <= 300)}; Linux: 571)`,
  );

  const hosts = memoryThroughHosts(MEMORY_COUNT / 2);
  console.log(
    `tcp memory THROUGH THE HOSTS: ${hosts.perEstablished.toFixed(0)} bytes (heap + ArrayBuffers) per idle ESTABLISHED connection ` +
      `(${MEMORY_COUNT} ends: the connection above plus HostTcp's sock, its timer and IP id counter)`,
  );

  return {
    bytesPerEstablished: mem.perEstablished,
    bytesPerTimeWait: mem.perTimeWait,
    bytesPerEstablishedHosts: hosts.perEstablished,
  };
}

function runBulk(bulkMiB) {
  // Warm-up.
  bulk(4 * 1024 * 1024, false);
  bulk(4 * 1024 * 1024, true);
  const bytes = bulkMiB * 1024 * 1024;
  const note = (ms) =>
    bulkMiB === 1024
      ? ''
      : ` (${bulkMiB} MiB sent, not 1 GiB: 1 GiB would take ${((ms * 1024) / bulkMiB / 1000).toFixed(1)} s at this rate)`;
  const out = {};
  for (const wire of [false, true]) {
    const b = bulk(bytes, wire);
    const gbps = (bytes * 8) / (b.ms / 1000) / 1e9;
    const how = wire
      ? "segments as bytes: IPv4 + TCP built and parsed, both checksums, through a Link; the bench's glue"
      : "segments as objects: the engine and the bench's glue only";
    console.log(
      `tcp bulk (${how}): ${bulkMiB} MiB over 10 Gbit/s, 1 ms delay, in ${(b.ms / 1000).toFixed(2)} s wall = ` +
        `${gbps.toFixed(2)} Gbit/s of payload per wall-clock second${note(b.ms)} (goal >= 5: ${goal(gbps >= 5)}; ` +
        `${b.virtualS.toFixed(2)} s virtual, ${b.retrans} of ${b.segs} segments retransmitted)`,
    );
    out[wire ? 'bulkGbpsWire' : 'bulkGbps'] = gbps;
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { 'bulk-mib': { type: 'string' }, part: { type: 'string', multiple: true } },
  });
  await run({
    bulkMiB: values['bulk-mib'] === undefined ? 1024 : Number(values['bulk-mib']),
    parts: values.part,
  });
}
