/**
 * What the kernel holds about TCP sockets, gathered once for ss, netstat and
 * lsof: the records Linux's inet_diag (net/ipv4/inet_diag.c, tcp_diag.c) and
 * /proc/net/tcp (net/ipv4/tcp_ipv4.c get_tcp4_sock, get_openreq4,
 * get_timewait4_sock) report, built from the host's listener table, its
 * connection table (full sockets and request socks) and the namespace's
 * timewait table, with the processes holding each socket (the fd tables of
 * `proc.system.processes(host)`, as ss -p finds them through /proc/PID/fd).
 *
 * Read-only: nothing here changes the engine.
 */

import type { Host } from '../host/host.js';
import type { TcpListenSock, TcpSock } from '../host/tcp.js';
import { jiffies, kernelTimerFireTime } from '../sim/jiffies.js';
import type { Time } from '../sim/time.js';
import type { CongestionControl } from '../tcp/congestion.js';
import type { Connection } from '../tcp/connection.js';
import type { TcpState } from '../tcp/state.js';
import type { TimeWaitSock } from '../tcp/timewait.js';
import type { Ipv4Address } from '../wire/address.js';
import { seqDiff } from '../wire/seq.js';
import type { ProcessSystem } from './process.js';

/** Linux include/net/tcp.h TCP_TIMEWAIT_LEN in jiffies (HZ 250). */
const TCP_TIMEWAIT_LEN_JIFFIES = 60 * 250;
/** jiffies_to_msecs at HZ 250. */
const MS_PER_JIFFY = 4;

/** idiag_timer (net/ipv4/inet_diag.c inet_sk_diag_fill): what the timer column names. */
export type DiagTimer = 0 | 1 | 2 | 3 | 4;

/** A process holding a socket (ss -p `users:`, netstat -p, lsof). */
export interface SocketUser {
  readonly comm: string;
  readonly pid: number;
  readonly fd: number;
}

/** One socket as inet_diag reports it. */
export interface InetSock {
  readonly kind: 'listen' | 'conn' | 'request' | 'timewait';
  readonly state: TcpState;
  readonly localAddr: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddr: Ipv4Address;
  readonly remotePort: number;
  /** idiag_rqueue: the accept queue of a listener, else unread bytes (and an unread FIN). */
  readonly rq: number;
  /** idiag_wqueue: a listener's backlog, else bytes (and SYN, FIN) not yet acknowledged. */
  readonly wq: number;
  readonly timer: DiagTimer;
  /** Milliseconds left (jiffies_delta_to_msecs). */
  readonly expiresMs: number;
  /** idiag_retrans: retransmissions, or probes for the keepalive and persist timers. */
  readonly retrans: number;
  readonly users: readonly SocketUser[];
  /** A full socket's connection, for ss -i. */
  readonly conn: Connection | undefined;
  /** The socket's inode (0 for request and timewait socks, as Linux reports). */
  readonly inode: number;
  /** A listener's congestion control (a connection's is its `conn`'s). */
  readonly caOps?: CongestionControl;
}

/** Milliseconds from `now` to a timer firing at `at` (jiffies_delta_to_msecs; never negative). */
function msLeft(now: Time, at: Time): number {
  return Math.max(0, jiffies(at) - jiffies(now)) * MS_PER_JIFFY;
}

/**
 * Milliseconds left as Linux reports them: `icsk_timeout - jiffies`, the
 * expiry the timer was armed with, which the timer wheel fires up to a
 * granule later (clock.ts). The engine keeps the firing time only; each
 * candidate (armed at, delay in jiffies) whose firing time is the engine's
 * gives the armed expiry; none does: the firing time.
 */
function armedLeft(host: Host, now: Time, fire: Time, candidates: [Time, number][]): number {
  for (const [armedAt, delta] of candidates) {
    const expires = jiffies(armedAt) + delta;
    if (kernelTimerFireTime(armedAt, expires, host.timerWheel) === fire) {
      return Math.max(0, expires - jiffies(now)) * MS_PER_JIFFY;
    }
  }
  return msLeft(now, fire);
}

/**
 * inode numbers: Linux gives each socket file one from a counter; tcplab
 * numbers the host's socket objects in the order it first sees them, from a
 * base of the size a booted machine's have (seven digits: lsof's DEVICE
 * column is as wide as on the machine of fixtures/real-tools.json).
 */
const inodes = new WeakMap<object, number>();
const nextInode = new WeakMap<Host, number>();
function inodeOf(host: Host, o: object): number {
  let n = inodes.get(o);
  if (n === undefined) {
    n = nextInode.get(host) ?? 3_870_000;
    nextInode.set(host, n + 1);
    inodes.set(o, n);
  }
  return n;
}

/** Who holds each socket object: every process's fd table. */
function usersBySocket(
  host: Host,
  system: ProcessSystem | undefined,
): Map<TcpSock | TcpListenSock, SocketUser[]> {
  const map = new Map<TcpSock | TcpListenSock, SocketUser[]>();
  if (system === undefined) return map;
  for (const p of system.processes(host)) {
    if (p.exitStatus !== undefined) continue;
    for (const fd of p.sockets.fds) {
      const f = p.sockets.file(fd);
      const key = f?.listenSock ?? f?.sock;
      if (key === undefined) continue;
      const list = map.get(key) ?? [];
      list.push({ comm: p.comm, pid: p.pid, fd });
      map.set(key, list);
    }
  }
  return map;
}

/**
 * Recv-Q of a full socket: rcv_nxt - copied_seq. The peer's FIN advances
 * rcv_nxt and is "copied" only when a read reaches the end of file (TcpSock
 * eofRead): linux-traces/normal-handshake/nc ss-03 shows `CLOSE-WAIT 0 0`
 * after the server read end of file, accept-queue-overflow/abort0 ss-09
 * `CLOSE-WAIT 18` (17 bytes and the FIN) when nothing was read.
 */
function recvQ(s: TcpSock): number {
  const c = s.conn;
  const fin = c.finReceived && !s.eofRead ? 1 : 0;
  return c.readable + fin;
}

/** Every TCP socket of `host`, in the order `ss` lists them (see the DEVIATION below). */
export function tcpSockets(host: Host, system: ProcessSystem | undefined): InetSock[] {
  const now = host.now;
  const tcp = host.tcp;
  const users = usersBySocket(host, system);
  const out: InetSock[] = [];
  // inet_diag_dump_icsk: the listening hash first.
  const listeners = [...tcp.listeners].sort(
    (a, b) =>
      a.listener.local.port - b.listener.local.port ||
      (a.listener.local.addr >>> 0) - (b.listener.local.addr >>> 0),
  );
  for (const l of listeners) {
    if (l.listener.state !== 'LISTEN') continue;
    out.push({
      kind: 'listen',
      state: 'LISTEN',
      localAddr: l.listener.local.addr,
      localPort: l.listener.local.port,
      remoteAddr: 0,
      remotePort: 0,
      rq: l.listener.acceptQueue.length,
      wq: l.listener.backlog,
      timer: 0,
      expiresMs: 0,
      retrans: 0,
      users: users.get(l) ?? [],
      conn: undefined,
      inode: inodeOf(host, l),
      caOps: l.listener.caOps,
    });
  }
  // Then the established hash. DEVIATION(linux): Linux walks its hash
  // buckets, an order that depends on a boot-time secret; tcplab lists
  // connections, request socks and timewait socks in the order their
  // connections were made, which is the order of every multi-socket listing
  // in linux-traces (accept-queue-overflow: ESTAB 40001, ESTAB 40003, then
  // SYN-RECV 40002, whose SYN came last) and in fixtures/real-tools.json's
  // tty80 captures (the client's socket before the accepted one).
  const rest: { id: number; sock: InetSock }[] = [];
  for (const s of tcp.connections) {
    const c = s.conn;
    const state = c.state;
    if (state === 'CLOSE' || c.tw !== undefined) continue;
    rest.push({ id: c.id, sock: fullSock(host, s, now, users.get(s) ?? []) });
  }
  // The request socks, from their listeners' SYN queues.
  for (const l of tcp.listeners) {
    for (const r of l.listener.synQueue.values()) {
      const t = r.expires;
      const reqDelta = Math.min(250 * 2 ** r.numTimeout, 120 * 250);
      rest.push({
        id: r.id,
        sock: {
          kind: 'request',
          state: 'SYN_RECV',
          localAddr: r.localAddr,
          localPort: l.listener.local.port,
          remoteAddr: r.remoteAddr,
          remotePort: r.remotePort,
          rq: 0,
          wq: 0,
          // inet_req_diag_fill: timer 1, num_retrans, the request's expiry.
          timer: t === undefined ? 0 : 1,
          expiresMs: t === undefined ? 0 : armedLeft(host, now, t, [[r.sentAt, reqDelta]]),
          retrans: r.numTimeout,
          users: [],
          conn: undefined,
          inode: 0,
        },
      });
    }
  }
  for (const tw of tcp.net.timeWait) {
    if (!tw.alive) continue;
    rest.push({ id: tw.id, sock: timeWaitSock(host, tw, now) });
  }
  rest.sort((a, b) => a.id - b.id);
  return [...out, ...rest.map((r) => r.sock)];
}

/** inet_sk_diag_fill for a full socket. */
function fullSock(host: Host, s: TcpSock, now: Time, users: SocketUser[]): InetSock {
  const c = s.conn;
  const t = c.timers;
  let timer: DiagTimer = 0;
  let at: Time | undefined;
  let retrans = 0;
  // icsk_pending: the retransmit timer (ICSK_TIME_RETRANS) or the zero-window
  // probe (ICSK_TIME_PROBE0); else sk_timer (keepalive, or an orphaned
  // FIN_WAIT2's). The delayed-ACK timer is not reported.
  // The armed expiry (what Linux reports) from when the timer was armed: the
  // retransmit timer at the last (re)transmission or ACK, with the current RTO;
  // keepalive at the last activity, for tcp_keepalive_time.
  let candidates: [Time, number][] = [];
  if (t.retransmit !== undefined) {
    timer = 1;
    at = t.retransmit;
    retrans = c.retransmits;
    const head = c.rtxQueue.head;
    const last = c.rtxQueue.tail;
    for (const when of [head?.sentAt, last?.sentAt, c.rcvTstamp]) {
      if (when !== undefined) candidates.push([when, c.rto]);
    }
  } else if (t.probe0 !== undefined) {
    timer = 4;
    at = t.probe0;
    retrans = c.probesOut;
  } else if (t.keepalive !== undefined || t.finWait2 !== undefined) {
    timer = 2;
    at = t.keepalive ?? t.finWait2;
    retrans = c.probesOut;
    if (t.keepalive !== undefined) {
      const idle = host.sysctl.int('net.ipv4.tcp_keepalive_time') * 250;
      candidates = [c.rcvTstamp, c.lrcvtime, c.lsndtime].map((w) => [w, idle]);
    }
  }
  return {
    kind: 'conn',
    state: c.state,
    localAddr: c.local.addr,
    localPort: c.local.port,
    remoteAddr: c.remote.addr,
    remotePort: c.remote.port,
    rq: recvQ(s),
    // tcp_diag_get_info: write_seq - snd_una (the SYN and FIN count).
    wq: Math.max(0, seqDiff(c.writeSeq, c.sndUna)),
    timer,
    expiresMs: at === undefined ? 0 : armedLeft(host, now, at, candidates),
    retrans,
    users,
    conn: c,
    // An orphan's file is gone (sock_i_ino: no sk_socket, inode 0).
    inode: c.orphan ? 0 : inodeOf(host, s),
  };
}

/**
 * inet_twsk_diag_fill: timer 3, the time left. Linux reports the expiry the
 * timer was armed for, which the timer wheel fires up to a granule later; the
 * engine keeps the firing time, so the armed one is recomputed: TIME_WAIT is
 * armed for TCP_TIMEWAIT_LEN when it begins (hence "timer:(timewait,59sec,0)"
 * at its start in linux-traces/time-wait), an orphaned FIN_WAIT2 for
 * tcp_fin_timeout (the part beyond TCP_TIMEWAIT_LEN spent earlier on the full
 * socket). When the recomputed expiry does not lead to the engine's firing
 * time (the RTO bound of tcp_fin_time won), the firing time is shown.
 */
function timeWaitSock(host: Host, tw: TimeWaitSock, now: Time): InetSock {
  let armed: number | undefined;
  if (tw.substate === 'TIME_WAIT') {
    armed = jiffies(tw.since) + TCP_TIMEWAIT_LEN_JIFFIES;
  } else {
    const fin = host.sysctl.int('net.ipv4.tcp_fin_timeout') * 250;
    const d = fin > TCP_TIMEWAIT_LEN_JIFFIES ? fin - TCP_TIMEWAIT_LEN_JIFFIES : fin;
    const j = jiffies(tw.since) + d;
    if (kernelTimerFireTime(tw.since, j, host.timerWheel) === tw.expires) armed = j;
  }
  const expiresMs =
    armed !== undefined
      ? Math.max(0, armed - jiffies(now)) * MS_PER_JIFFY
      : msLeft(now, tw.expires);
  return {
    kind: 'timewait',
    state: tw.substate,
    localAddr: tw.localAddr >>> 0,
    localPort: tw.localPort,
    remoteAddr: tw.remoteAddr >>> 0,
    remotePort: tw.remotePort,
    rq: 0,
    wq: 0,
    timer: 3,
    expiresMs,
    retrans: 0,
    users: [],
    conn: undefined,
    inode: 0,
  };
}
