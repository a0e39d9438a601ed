/**
 * The /proc/net files a Linux host shows for IPv4 and TCP, generated from the
 * host's state each time they are read, in the kernel's formats (Linux 6.18,
 * checked against this version's files: test/os/fixtures/procnet/, recorded by
 * record-procnet.py beside them):
 * - tcp: one line per socket (net/ipv4/tcp_ipv4.c tcp4_seq_show: get_tcp4_sock,
 *   get_openreq4, get_timewait4_sock), each padded to 149 columns (seq_pad);
 * - sockstat: the socket counts (net/ipv4/proc.c sockstat_seq_show);
 * - snmp, netstat: the SNMP and Linux MIB counters, a line of names and a line
 *   of values per group (snmp_seq_show, netstat_seq_show);
 * - arp: the neighbour cache (net/ipv4/arp.c arp_seq_show);
 * - route: the main routing table (net/ipv4/fib_trie.c fib_route_seq_show);
 * - dev: each interface's counters (net/core/net-procfs.c dev_seq_show).
 */

import type { Host } from '../host/host.js';
import { prefixMask } from '../host/interface.js';
import { orphanCount } from '../tcp/orphans.js';
import { TCP_STATE_NUMBERS } from '../tcp/state.js';
import { formatIpv4Address, formatMacAddress, type Ipv4Address } from '../wire/address.js';
import { type InetSock, tcpSockets } from './inet-sockets.js';
import { counterSource } from './mib.js';
import { NSTAT_NAMES } from './mib-names.js';
import type { ProcessSystem } from './process.js';

/** The files of /proc/net, by name, as `ls /proc/net` would list tcplab's. */
export const PROC_NET_FILES: readonly string[] = [
  'arp',
  'dev',
  'netstat',
  'route',
  'snmp',
  'sockstat',
  'tcp',
];

/** The text of /proc/net/`name`, or undefined for a file tcplab does not have. */
export function procNetFile(
  name: string,
  host: Host,
  system: ProcessSystem | undefined,
): string | undefined {
  switch (name) {
    case 'tcp':
      return procNetTcp(host, system);
    case 'sockstat':
      return procNetSockstat(host, system);
    case 'snmp':
      return procNetSnmp(host);
    case 'netstat':
      return procNetNetstat(host);
    case 'arp':
      return procNetArp(host);
    case 'route':
      return procNetRoute(host);
    case 'dev':
      return procNetDev(host);
    default:
      return undefined;
  }
}

// ---- /proc/net/tcp ----

/** tcp4_seq_show's line width: TMPSZ (150) - 1, the newline after it. */
const LINE_WIDTH = 149;

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}

/**
 * An address as `%08X` prints the kernel's __be32 on a little-endian machine:
 * the bytes in reverse (127.0.0.1 is 0100007F).
 */
function beAddress(addr: Ipv4Address): string {
  const a = addr >>> 0;
  const swapped = ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24);
  return hex(swapped, 8);
}

/** jiffies_to_clock_t at HZ 250 and USER_HZ 100, from milliseconds (4 per jiffy). */
function clockTicks(ms: number): number {
  return Math.floor(ms / 10);
}

/**
 * `%pK` of the socket's address: with kptr_restrict 0, the hashed pointer
 * (32 bits of hash in 16 hex digits). tcplab has no addresses, so it hashes the
 * socket's inode or id, which keeps a socket's value stable between reads.
 */
function pointer(key: number): string {
  let h = Math.imul(key ^ 0x5bd1e995, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return hex(h, 16).toLowerCase();
}

/** `%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X` (the part all three kinds share). */
function linePrefix(i: number, s: InetSock, txQueue: number, rxQueue: number): string {
  return (
    `${String(i).padStart(4)}: ${beAddress(s.localAddr)}:${hex(s.localPort, 4)} ` +
    `${beAddress(s.remoteAddr)}:${hex(s.remotePort, 4)} ${hex(TCP_STATE_NUMBERS[s.state], 2)} ` +
    `${hex(txQueue, 8)}:${hex(rxQueue, 8)} ${hex(s.timer, 2)}:${hex(clockTicks(s.expiresMs), 8)}`
  );
}

/** Linux include/net/tcp.h TCP_INFINITE_SSTHRESH: still in the initial slow start. */
const TCP_INFINITE_SSTHRESH = 0x7fffffff;

/** /proc/net/tcp: the listening sockets, then the established hash (request and timewait socks too). */
function procNetTcp(host: Host, system: ProcessSystem | undefined): string {
  const pad = (line: string): string => `${line.padEnd(LINE_WIDTH)}\n`;
  let out = pad(
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  );
  const socks = tcpSockets(host, system);
  for (let i = 0; i < socks.length; i++) {
    const s = socks[i] as InetSock;
    if (s.kind === 'request') {
      // get_openreq4: num_timeout, the listener's uid, no inode, refcount 0.
      out += pad(
        `${linePrefix(i, s, 0, 0)} ${hex(s.retrans, 8)} ${'0'.padStart(5)} ${'0'.padStart(8)} 0 0 ${pointer(s.remotePort * 65536 + s.localPort)}`,
      );
    } else if (s.kind === 'timewait') {
      // get_timewait4_sock: no retransmits, uid, probes or inode; the refcount
      // a timewait sock has in its hash with its timer armed (3).
      out += pad(
        `${linePrefix(i, s, 0, 0)} ${hex(0, 8)} ${'0'.padStart(5)} ${'0'.padStart(8)} 0 3 ${pointer(s.remotePort * 65536 + s.localPort + 1)}`,
      );
    } else if (s.kind === 'listen') {
      // get_tcp4_sock on a listener: rx_queue is the accept queue, tx_queue 0;
      // icsk_rto TCP_TIMEOUT_INIT (1 s), ato 0, cwnd TCP_INIT_CWND, and the
      // fastopen queue's max_qlen (0: no TCP Fast Open) in the last column.
      out += pad(
        `${linePrefix(i, s, 0, s.rq)} ${hex(0, 8)} ${'0'.padStart(5)} ${'0'.padStart(8)} ${s.inode} 1 ${pointer(s.inode)} 100 0 0 10 0`,
      );
    } else if (s.conn !== undefined) {
      const c = s.conn;
      const pingpong = c.pingpong >= c.net.sysctl.tcp_pingpong_thresh ? 1 : 0;
      const ssthresh = c.ssthresh >= TCP_INFINITE_SSTHRESH ? -1 : c.ssthresh;
      // The socket's references: its hash's, and one per kernel timer pending
      // (sk_reset_timer's sock_hold): icsk_retransmit_timer (retransmit, probe,
      // loss probe), icsk_delack_timer, sk_timer (keepalive, orphaned
      // FIN_WAIT2). An orphan has no file: inode 0 (sock_i_ino).
      const t = c.timers;
      const refs =
        1 +
        (t.retransmit !== undefined || t.probe0 !== undefined ? 1 : 0) +
        (t.delack !== undefined ? 1 : 0) +
        (t.keepalive !== undefined || t.finWait2 !== undefined ? 1 : 0);
      // get_tcp4_sock: write_seq - snd_una, rcv_nxt - copied_seq, then
      // icsk_retransmits, uid, icsk_probes_out, inode, refcount, the socket,
      // icsk_rto and icsk_ack.ato in clock ticks, quick << 1 | pingpong, cwnd
      // and ssthresh (-1 in the initial slow start).
      out += pad(
        `${linePrefix(i, s, s.wq, s.rq)} ${hex(c.retransmits, 8)} ${'0'.padStart(5)} ${String(c.probesOut).padStart(8)} ${s.inode} ${refs} ${pointer(s.inode || c.id)} ` +
          `${clockTicks(c.rto * 4)} ${clockTicks(c.ato * 4)} ${((c.quick << 1) | pingpong) >>> 0} ${c.cwnd} ${ssthresh}`,
      );
    }
  }
  return out;
}

// ---- /proc/net/sockstat ----

/**
 * sockstat_seq_show. `inuse` counts the hashed TCP sockets (listeners and
 * connections, not request or timewait socks: sock_prot_inuse_add in
 * inet_hash and inet_ehash_nolisten), `alloc` every TCP socket that exists
 * (tcp_sockets_allocated: unconnected ones, listeners, connections, orphans),
 * `tw` the timewait socks (FIN_WAIT2 ones too), `orphan` tcp_orphan_count.
 * DEVIATION(linux): `mem` (tcp_memory_allocated, in pages) is, in Linux, mostly
 * per-CPU reserves (net.core.mem_pcpu_rsv) beside the pages the sockets'
 * queues are charged; tcplab has no CPUs and no tcp_mem accounting, so it
 * shows the pages each socket's queued bytes round up to. `sockets: used`
 * counts the TCP and UDP sockets (tcplab has no other kinds).
 */
function procNetSockstat(host: Host, system: ProcessSystem | undefined): string {
  const tcp = host.tcp;
  let inuse = 0;
  let alloc = 0;
  let pages = 0;
  for (const l of tcp.listeners) {
    alloc++;
    if (l.listener.state === 'LISTEN') inuse++;
  }
  for (const s of tcp.connections) {
    const c = s.conn;
    if (c.tw !== undefined) continue;
    alloc++;
    if (c.state !== 'CLOSE') inuse++;
    pages += Math.ceil(c.wmemQueued() / 4096) + Math.ceil(c.readable / 4096);
  }
  // socket() without connect() or listen() yet: allocated, not hashed.
  if (system !== undefined) {
    for (const p of system.processes(host)) {
      if (p.exitStatus !== undefined) continue;
      for (const fd of p.sockets.fds) {
        const f = p.sockets.file(fd);
        if (f !== undefined && !f.closed && f.sock === undefined && f.listenSock === undefined) {
          alloc++;
        }
      }
    }
  }
  let tw = 0;
  for (const t of tcp.net.timeWait) if (t.alive) tw++;
  const udp = host.udp.sockets.length;
  return (
    `sockets: used ${alloc + udp}\n` +
    `TCP: inuse ${inuse} orphan ${orphanCount(tcp.net)} tw ${tw} alloc ${alloc} mem ${pages}\n` +
    `UDP: inuse ${udp} mem 0\n` +
    'UDPLITE: inuse 0\n' +
    'RAW: inuse 0\n' +
    'FRAG: inuse 0 memory 0\n'
  );
}

// ---- /proc/net/snmp and /proc/net/netstat ----

/** snmp4_ipstats_list with Forwarding and DefaultTTL before it (snmp_seq_show_ipstats). */
const SNMP_IP =
  'Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos ' +
  'InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ' +
  'ReasmFails FragOKs FragFails FragCreates OutTransmits';
/** icmp_put: the In and Out counters of snmp4_icmp_list. */
const SNMP_ICMP =
  'InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs ' +
  'InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps ' +
  'OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds ' +
  'OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps ' +
  'OutTimestampReps OutAddrMasks OutAddrMaskReps';
/** snmp4_tcp_list. */
const SNMP_TCP =
  'RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets ' +
  'CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors';
/** snmp4_udp_list. */
const SNMP_UDP =
  'InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors ' +
  'IgnoredMulti MemErrors';

/** A group's two lines: `Group: Name …` and `Group: value …`. */
function group(prefix: string, names: readonly string[], value: (name: string) => number): string {
  return (
    `${prefix}: ${names.join(' ')}\n` +
    `${prefix}: ${names.map((n) => String(value(n))).join(' ')}\n`
  );
}

function procNetSnmp(host: Host): string {
  const c = counterSource(host);
  // snmp_seq_show_tcp_udp: the RFC 2012 constants (RTO algorithm "other" = 1,
  // TCP_RTO_MIN and the tcp_rto_max_ms default in milliseconds, MaxConn -1:
  // dynamic).
  const tcpConstants: Readonly<Record<string, number>> = {
    RtoAlgorithm: 1,
    RtoMin: 200,
    RtoMax: 120000,
    MaxConn: -1,
  };
  let out = group('Ip', SNMP_IP.split(' '), (n) => c.get(`Ip${n}`));
  out += group('Icmp', SNMP_ICMP.split(' '), (n) => c.get(`Icmp${n}`));
  // icmpmsg_put: the types seen (In, then Out), PERLINE (16) to a pair of lines.
  const seen = c.icmpMsg.filter(([, v]) => v !== 0);
  for (let i = 0; i < seen.length; i += 16) {
    const chunk = seen.slice(i, i + 16);
    out += group(
      'IcmpMsg',
      chunk.map(([n]) => n.slice('IcmpMsg'.length)),
      (n) => c.get(`IcmpMsg${n}`),
    );
  }
  out += group('Tcp', SNMP_TCP.split(' '), (n) => tcpConstants[n] ?? c.get(`Tcp${n}`));
  out += group('Udp', SNMP_UDP.split(' '), (n) => c.get(`Udp${n}`));
  out += group('UdpLite', SNMP_UDP.split(' '), (n) => c.get(`UdpLite${n}`));
  return out;
}

/** The names of a /proc/net/netstat group, from nstat's list (the same kernel's order). */
function netstatNames(prefix: string): string[] {
  return NSTAT_NAMES.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
}

function procNetNetstat(host: Host): string {
  const c = counterSource(host);
  return ['TcpExt', 'IpExt', 'MPTcpExt']
    .map((prefix) => group(prefix, netstatNames(prefix), (n) => c.get(`${prefix}${n}`)))
    .join('');
}

// ---- /proc/net/arp, route, dev ----

/**
 * arp_seq_show: each neighbour entry but NOARP and NONE ones
 * (NEIGH_SEQ_SKIP_NOARP), with ATF_PERM | ATF_COM for a permanent one, ATF_COM
 * for any other valid state, 0 while unresolved (the address all zeros).
 * DEVIATION(linux): Linux lists its hash table; tcplab the newest entry first,
 * as `ip neigh` does.
 */
function procNetArp(host: Host): string {
  let out = 'IP address       HW type     Flags       HW address            Mask     Device\n';
  for (const n of [...host.neigh.entries].reverse()) {
    if (n.state === 'NONE' || n.state === 'NOARP') continue;
    const flags =
      n.state === 'PERMANENT' ? 0x6 : n.state === 'INCOMPLETE' || n.state === 'FAILED' ? 0 : 0x2;
    const ha =
      n.state === 'INCOMPLETE' || n.state === 'FAILED'
        ? '00:00:00:00:00:00'
        : formatMacAddress(n.ha);
    // "%-16s 0x%-10x0x%-10x%-17s     %-8s %s\n" (ARPHRD_ETHER is 1).
    out +=
      `${formatIpv4Address(n.key).padEnd(16)} 0x${'1'.padEnd(10)}0x${flags.toString(16).padEnd(10)}` +
      `${ha.padEnd(17)}     ${'*'.padEnd(8)} ${n.dev.name}\n`;
  }
  return out;
}

/** fib_route_seq_show's line width: 127 columns (seq_pad), then the newline. */
const ROUTE_WIDTH = 127;

/**
 * fib_route_seq_show: the main table (never the local one), destination,
 * gateway and mask as little-endian hex, RTF_UP | RTF_GATEWAY | RTF_HOST
 * (RTF_REJECT for unreachable and prohibit routes), the metric; RefCnt, Use,
 * MTU, Window and IRTT 0 (no route metrics in tcplab).
 */
function procNetRoute(host: Host): string {
  const pad = (line: string): string => `${line.padEnd(ROUTE_WIDTH)}\n`;
  let out = pad(
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  );
  // The trie's order: by destination, the longer prefix first for the same one.
  const routes = [...host.routes.routes('main')].sort(
    (a, b) =>
      (a.dst >>> 0) - (b.dst >>> 0) || b.prefixLength - a.prefixLength || a.metric - b.metric,
  );
  for (const r of routes) {
    if (r.type === 'broadcast' || r.type === 'local') continue;
    let flags = r.type === 'unreachable' || r.type === 'prohibit' ? 0x0200 : 0;
    if (r.gateway !== undefined) flags |= 0x2;
    if (r.prefixLength === 32) flags |= 0x4;
    flags |= 0x1;
    out += pad(
      `${r.dev?.name ?? '*'}\t${beAddress(r.dst)}\t${beAddress(r.gateway ?? 0)}\t${hex(flags, 4)}\t0\t0\t${r.metric}\t${beAddress(prefixMask(r.prefixLength))}\t0\t0\t0`,
    );
  }
  return out;
}

/** dev_seq_show: the two header lines, then a line of counters per interface. */
function procNetDev(host: Host): string {
  let out =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const w = [8, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10];
  for (const d of host.interfaces) {
    const st = d.stats;
    const values = [
      st.rxBytes,
      st.rxPackets,
      st.rxErrors,
      st.rxDropped,
      0,
      0,
      0,
      0,
      st.txBytes,
      st.txPackets,
      st.txErrors,
      st.txDropped,
      0,
      0,
      0,
      0,
    ];
    out += `${d.name.padStart(6)}:${values.map((v, i) => String(v).padStart(w[i] as number)).join(' ')}\n`;
  }
  return out;
}
