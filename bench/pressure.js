// A listener under a SYN flood (issue 5, "Under pressure"), on the compiled
// code in dist/ (`npm run build` first). `node bench/pressure.js` runs it;
// bench/run.js calls `run()` under `--only pressure`. Every figure is measured
// here, on this machine, and printed next to the issue's goal.
//
// 1. flood: three src/host Hosts on one Ethernet segment (src/sim Network):
//    the server listens on port 80 (backlog 4096 = net.core.somaxconn,
//    tcp_syncookies=1); an attacker sends 1 000 000 SYNs with spoofed sources
//    (172.16.0.0/12, random ports and ISNs, MSS 1460) through a raw IP socket,
//    100 000 a second of virtual time; the server's route to them goes through
//    the attacker, which does not forward, so every SYN-ACK crosses the wire
//    and dies there. Meanwhile a legitimate client connects every millisecond
//    of virtual time (10 000 connections), and closes once connected; the
//    server accepts and closes on EOF. Figures: wall time and CPU time (the
//    bench's own forced GCs left out), peak memory (RSS, and heap +
//    ArrayBuffers, sampled every 100 ms of virtual time and at the end; what
//    is alive after a forced GC, every virtual second), SYN-ACKs sent, SYN
//    cookies sent, legitimate connections completed.
// 2. memory per SYN_RECV request: 20 000 requests kept by a server through
//    the hosts (tcp_syncookies=0, backlog and tcp_max_syn_backlog large
//    enough), heap + ArrayBuffers after a forced GC, before and after.
//
// 3. the engine alone: Listener.handleSegment answering 1 000 000 SYN objects
//    with cookie SYN-ACKs (tcp_syncookies=2), no host, no wire: which share of
//    the flood's cost is the listener's.
//
// Options: --syns N (default 1000000) to flood less; --skip-memory to run the flood only.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Random } from '../dist/sim/index.js';
import { Network } from '../dist/sim/network.js';
import { Listener, TcpNet, tcpSysctl } from '../dist/tcp/index.js';
import { finishChecksum, pseudoHeaderSum, sumWords } from '../dist/wire/checksum.js';
import { IPPROTO_TCP, IPV4_HEADER_LEN } from '../dist/wire/ipv4.js';
import { emitTcp, SYN, tcpLength } from '../dist/wire/tcp.js';
import { gc, goal, heapNow } from './measure.js';

const SYNS = 1_000_000;
const FLOOD_EVERY_NS = 10_000; // 100 000 SYNs a second
const LEGIT_EVERY_NS = 1_000_000; // one legitimate connection a millisecond
const BACKLOG = 4096;
const REQUESTS = 20_000;

/** The lab: server 10.0.0.2, legitimate client 10.0.0.1, attacker 10.0.0.3 (the server's way to 172.16/12). */
function lab(sysctls) {
  const net = new Network({ seed: 5, maxEventsPerRun: 1e12 });
  const lan = net.segment('lan', {});
  const client = net.addHost('client', { segment: lan, address: '10.0.0.1/24' });
  const server = net.addHost('server', {
    segment: lan,
    address: '10.0.0.2/24',
    gateway: '10.0.0.3',
  });
  const attacker = net.addHost('attacker', { segment: lan, address: '10.0.0.3/24' });
  for (const [k, v] of Object.entries(sysctls)) {
    const r = server.sysctl.write(k, String(v));
    if (!r.ok) throw new Error(`bench: sysctl ${k}: ${JSON.stringify(r)}`);
  }
  return { net, client, server, attacker };
}

/**
 * A spoofed SYN as hping3 -S builds it (IP header with the source filled in,
 * TCP with MSS 1460). One datagram is built once by emitTcp and reused: only
 * the IP id, the source address and port, the sequence number and the TCP
 * checksum change from SYN to SYN, rewritten in place (sendRawIp copies what
 * it sends, so the buffer is free again when it returns).
 */
function synSender(attacker, dst, random) {
  const seg = {
    srcPort: 0,
    dstPort: 80,
    seq: 0,
    ack: 0,
    flags: SYN,
    window: 64240,
    urgentPointer: 0,
    options: [{ kind: 'mss', mss: 1460 }],
    payload: new Uint8Array(0),
  };
  const tcpLen = tcpLength(seg);
  const d = new Uint8Array(IPV4_HEADER_LEN + tcpLen);
  d[0] = 0x45;
  d[2] = d.length >> 8;
  d[3] = d.length & 0xff;
  d[8] = 64;
  d[9] = IPPROTO_TCP;
  d[16] = dst >>> 24;
  d[17] = (dst >>> 16) & 0xff;
  d[18] = (dst >>> 8) & 0xff;
  d[19] = dst & 0xff;
  // The template, with zero source, port and sequence number: its checksum
  // field is left at 0 and the per-SYN checksum summed in full below.
  emitTcp(seg, d.subarray(IPV4_HEADER_LEN), { src: 0, dst, protocol: IPPROTO_TCP, length: tcpLen });
  d[IPV4_HEADER_LEN + 16] = 0;
  d[IPV4_HEADER_LEN + 17] = 0;
  const fixedSum = pseudoHeaderSum({ src: 0, dst, protocol: IPPROTO_TCP, length: tcpLen });
  return () => {
    const src = (0xac100000 | random.int(0, 0xfffff)) >>> 0; // 172.16.0.0/12
    const srcPort = random.int(1024, 65535);
    const seq = random.uint32();
    // hping3 picks the IP id itself (a random one): the kernel keeps a
    // non-zero id of an IP_HDRINCL datagram.
    const id = random.int(1, 0xffff);
    d[4] = id >> 8;
    d[5] = id & 0xff;
    d[12] = src >>> 24;
    d[13] = (src >>> 16) & 0xff;
    d[14] = (src >>> 8) & 0xff;
    d[15] = src & 0xff;
    const t = IPV4_HEADER_LEN;
    d[t] = srcPort >> 8;
    d[t + 1] = srcPort & 0xff;
    d[t + 4] = seq >>> 24;
    d[t + 5] = (seq >>> 16) & 0xff;
    d[t + 6] = (seq >>> 8) & 0xff;
    d[t + 7] = seq & 0xff;
    d[t + 16] = 0;
    d[t + 17] = 0;
    const sum = sumWords(d, t, d.length, fixedSum + (src >>> 16) + (src & 0xffff));
    const checksum = finishChecksum(sum);
    d[t + 16] = checksum >> 8;
    d[t + 17] = checksum & 0xff;
    const r = attacker.sendRawIp(d);
    if (!r.ok) throw new Error(`bench: sendRawIp: ${r.errno}`);
  };
}

function serverAddress(host) {
  return host.interfaces.find((i) => i.kind === 'ethernet').primaryAddress;
}

function flood(syns) {
  const { net, client, server, attacker } = lab({
    'net.ipv4.tcp_syncookies': 1,
    'net.core.somaxconn': BACKLOG,
  });
  const dst = serverAddress(server);
  const l = server.tcp.listen(0, 80, BACKLOG, false);
  // The server program: accept, close at EOF.
  const serverOwner = (sock, e, now) => {
    if (e.kind === 'eof') sock.act((c) => c.close(now));
  };
  let accepted = 0;
  l.onAcceptable = (now) => {
    for (let s = server.tcp.accept(l, serverOwner); s; s = server.tcp.accept(l, serverOwner)) {
      accepted++;
      if (s.conn.eof) serverOwner(s, { kind: 'eof' }, now);
    }
  };
  // SYN-ACKs leaving the server, counted on its wire.
  let synAcks = 0;
  server.addTap((p) => {
    if (p.direction !== 'Out') return;
    const f = p.frame;
    // Ethernet 14 + IPv4 20 (no options) + TCP flags at 13.
    if (f.length >= 14 + 20 + 14 && f[23] === IPPROTO_TCP && (f[14 + 20 + 13] & 0x12) === 0x12) {
      synAcks++;
    }
  });
  let connected = 0;
  const clientOwner = (sock, e, now) => {
    if (e.kind === 'connected') {
      connected++;
      sock.act((c) => c.close(now));
    }
  };
  const legitCount = Math.floor((syns * FLOOD_EVERY_NS) / LEGIT_EVERY_NS);
  let started = 0;
  const startLegit = () => {
    const r = client.tcp.connect({
      localAddr: 0,
      localPort: 32768 + (started % 28232),
      remoteAddr: dst,
      remotePort: 80,
      owner: clientOwner,
    });
    if (!r.ok) throw new Error(`bench: connect: ${r.errno}`);
    if (++started < legitCount) net.events.after(LEGIT_EVERY_NS, startLegit);
  };
  const send = synSender(attacker, dst, new Random('bench/pressure/flood'));
  let sent = 0;
  const sendSyn = () => {
    send();
    if (++sent < syns) net.events.after(FLOOD_EVERY_NS, sendSyn);
  };
  let peakRss = 0;
  let peakHeap = 0;
  let tick = 0;
  // What stays alive (after a forced GC, once a second of virtual time), and
  // the wall time those collections took, left out of the figure.
  let peakRetained = 0;
  let gcMs = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
    if (++tick % 10 === 0) {
      const g0 = performance.now();
      gc();
      gcMs += performance.now() - g0;
      peakRetained = Math.max(peakRetained, heapNow());
    }
    // Every 100 ms of virtual time (10 000 SYNs): reading the RSS costs a
    // read of /proc, which at every 10 ms was a few percent of the flood.
    if (sent < syns) net.events.after(100_000_000, sample);
  };
  net.events.schedule(1_000_000, sendSyn);
  net.events.schedule(1_500_000, startLegit);
  net.events.schedule(0, sample);
  gc();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  net.runUntil(1_000_000 + syns * FLOOD_EVERY_NS + 1_000_000_000);
  const ms = performance.now() - t0 - gcMs;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000 - gcMs;
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  const c = server.tcp.net.counters;
  return {
    ms,
    cpuMs,
    sent,
    legitCount,
    connected,
    accepted,
    synAcks,
    cookies: c.TcpExtSyncookiesSent,
    cookiesRecv: c.TcpExtSyncookiesRecv,
    synRetrans: c.TcpExtTCPSynRetrans,
    synQueue: l.listener.synQueue.size,
    peakRss,
    peakHeap,
    peakRetained,
    virtualS: net.now / 1e9,
  };
}

/** Heap bytes per request in a server's SYN queue, through the hosts. */
function memoryPerRequest(n) {
  const { net, server, attacker } = lab({
    'net.ipv4.tcp_syncookies': 0,
    'net.ipv4.tcp_max_syn_backlog': 4 * n,
    'net.core.somaxconn': 4 * n,
  });
  const dst = serverAddress(server);
  const l = server.tcp.listen(0, 80, 4 * n, false);
  const send = synSender(attacker, dst, new Random('bench/pressure/memory'));
  // Warm the path (ARP, code) first, with as many requests as the attacker's
  // drop log holds (DROP_LOG_SIZE: it records every SYN-ACK it does not
  // forward): a log filling up is a fixed cost of the host, not of requests.
  for (let i = 0; i < 5000; i++) send();
  net.runUntil(net.now + 10_000_000);
  gc();
  const before = heapNow();
  const had = l.listener.synQueue.size;
  for (let i = 0; i < n; i++) send();
  net.runUntil(net.now + 10_000_000);
  gc();
  const after = heapNow();
  const kept = l.listener.synQueue.size - had;
  if (kept !== n) throw new Error(`bench: ${kept} of ${n} requests kept`);
  return (after - before) / n;
}

/** Cookie SYN-ACKs per second of the engine's listener alone. */
function engineCookies(n) {
  const net = new TcpNet({ random: new Random(1), sysctl: tcpSysctl({ tcp_syncookies: 2 }) });
  const l = new Listener(net, { local: { addr: 0, port: 80 }, backlog: BACKLOG });
  const random = new Random('bench/pressure/engine');
  const options = [{ kind: 'mss', mss: 1460 }];
  const payload = new Uint8Array(0);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const srcPort = random.int(1024, 65535);
    const seg = {
      srcPort,
      dstPort: 80,
      seq: random.uint32(),
      ack: 0,
      flags: SYN,
      window: 64240,
      urgentPointer: 0,
      options,
      payload,
    };
    const v = l.handleSegment(
      i * FLOOD_EVERY_NS,
      seg,
      { addr: 0xac100000 + (i & 0xfffff), port: srcPort },
      0x0a000002,
    );
    if (!('cookie' in v)) throw new Error('bench: no cookie');
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function run(options = {}) {
  const syns = options.syns ?? SYNS;
  const perRequest = options.skipMemory ? Number.NaN : memoryPerRequest(REQUESTS);
  console.log(
    `pressure memory: ${perRequest.toFixed(0)} bytes (heap + ArrayBuffers) per SYN_RECV request through the hosts ` +
      `(${REQUESTS} requests; goal <= 400: ${goal(perRequest <= 400)}; Linux tcp_request_sock: 312)`,
  );
  engineCookies(100_000);
  const perSecond = engineCookies(syns);
  console.log(
    `pressure engine: ${(perSecond / 1e6).toFixed(2)} M cookie SYN-ACKs per second from Listener.handleSegment alone (${syns} SYNs as objects)`,
  );
  const f = flood(syns);
  const mb = (x) => `${(x / 1024 / 1024).toFixed(0)} MB`;
  console.log(
    `pressure flood: ${f.sent} spoofed SYNs at 100 k/s of virtual time against backlog ${BACKLOG}, tcp_syncookies=1, ` +
      `a legitimate connect every 1 ms: ${(f.ms / 1000).toFixed(2)} s wall (goal <= 5 s${syns === SYNS ? `: ${goal(f.ms <= 5000)}` : ', scaled down'}; CPU time ${(f.cpuMs / 1000).toFixed(2)} s); ` +
      `peak RSS ${mb(f.peakRss)} (goal <= 150 MB: ${goal(f.peakRss <= 150 * 1024 * 1024)}), peak heap + ArrayBuffers ${mb(f.peakHeap)}, ` +
      `of it alive after a GC at most ${mb(f.peakRetained)} (sampled every virtual second); ` +
      `${f.synAcks} SYN-ACKs sent (${f.cookies} cookies, ${f.synRetrans} retransmissions; ${f.synQueue} requests in the SYN queue at the end); ` +
      `legitimate connections completed ${f.connected} of ${f.legitCount}, accepted ${f.accepted} ` +
      `(${f.cookiesRecv} through cookies; goal: all: ${goal(f.connected === f.legitCount && f.accepted === f.legitCount)}); ` +
      `${f.virtualS.toFixed(1)} s virtual`,
  );
  return { ...f, perRequest, engineCookiesPerSecond: perSecond };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { syns: { type: 'string' }, 'skip-memory': { type: 'boolean' } },
  });
  await run({
    ...(values.syns !== undefined ? { syns: Number(values.syns) } : {}),
    skipMemory: values['skip-memory'] === true,
  });
}
