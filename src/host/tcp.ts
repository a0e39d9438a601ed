/**
 * TCP carried by a host: the glue between the sans-IO engine (src/tcp) and the
 * host's IP layer, as net/ipv4/tcp_ipv4.c is the glue between tcp_input.c /
 * tcp_output.c and ip_input.c / ip_output.c in Linux. Read src/tcp/index.ts and
 * STYLE.md 4 first.
 *
 * What it does:
 * - one `TcpNet` per host (the namespace's TCP: sysctls, counters, the
 *   timewait table), registered as IP protocol 6 (Linux tcp_protocol) the first
 *   time the host's sockets are used; its `net.ipv4.tcp_*` values live in the
 *   host's sysctl table (tcp-sysctls.ts) and the engine follows every change;
 * - input (tcp_v4_rcv): parse with the IPv4 pseudo-header (a bad checksum is
 *   dropped as TCP_CSUM and counted in TcpInCsumErrors and TcpInErrs), then the
 *   lookup order of __inet_lookup_skb: a connection by 4-tuple (request socks
 *   and established ones alike, Linux's ehash), a timewait sock, a listener
 *   bound to the destination address, then one bound to 0.0.0.0; nobody → the
 *   reset of tcp_v4_send_reset, sent with IP id 0, DF and the default TTL, as in
 *   linux-traces/closed-port;
 * - output: after every input, timeout or application call the connection's
 *   `pollTransmit()` is drained into `host.sendIp`, with the socket's own IP id
 *   counter (inet_id, ipid.ts) except for the SYN-ACK of a request sock and the
 *   resets tcp_v4_send_reset sends, which go out with id 0 as the traces show;
 * - timers: one host `Timer` per connection, re-armed from `nextDeadline()`,
 *   and one for the timewait table;
 * - ICMP errors (tcp_v4_err): found by the quoted 4-tuple and handed to
 *   `handleIcmpError`, saying whether the socket is "owned by user" (see
 *   `TcpSock.ownedByUserAt`);
 * - local ports: bind conflicts (inet_csk_bind_conflict, SO_REUSEADDR), the
 *   ephemeral port of bind(port 0) (inet_csk_find_open_port) and of connect()
 *   on an unbound socket (__inet_hash_connect), from
 *   net.ipv4.ip_local_port_range; a 4-tuple still in TIME_WAIT is taken over
 *   when tcp_twsk_unique allows it (timewait.ts `reusable`, `recycle`).
 *
 * Events of a connection go to its `owner` (the socket layer, socket.ts), in the
 * event in which they happen; a connection nobody owns yet (a child waiting in
 * an accept queue) keeps its state in its fields, which is where accept() reads
 * it from.
 */

import type { Timer, TimerTarget } from '../sim/events.js';
import type { Random } from '../sim/random.js';
import type { Time } from '../sim/time.js';
import type { CongestionControl } from '../tcp/congestion.js';
import { Connection, type TcpEvent } from '../tcp/connection.js';
import { tcpReqErrAborts } from '../tcp/icmp.js';
import { Listener } from '../tcp/listen.js';
import { TcpNet } from '../tcp/net.js';
import { countReset, tcpResetFor } from '../tcp/reset.js';
import type { TcpSysctl } from '../tcp/sysctl.js';
import type { TimeWaitSock } from '../tcp/timewait.js';
import { tupleHash } from '../tcp/tuple-hash.js';
import type { Ipv4Address } from '../wire/address.js';
import { freshBytes } from '../wire/bytes.js';
import type { IcmpQuote } from '../wire/icmp.js';
import { IPPROTO_TCP, type ReceivedIpv4Packet } from '../wire/ipv4.js';
import type { Seq } from '../wire/seq.js';
import { decodeTcpIn, emitTcp, parseTcp, RST, type TcpSegment, tcpLength } from '../wire/tcp.js';
import type { Host } from './host.js';
import { IP_HEADROOM } from './ip.js';
import { drawSocketIpId } from './ipid.js';
import { SG_MIN_PAYLOAD } from './offload.js';
import type { Errno, IcmpErrorReport, InboundDatagram, ProtocolHandler } from './protocol.js';
import { tcpSysctlFrom, writeTcpSysctls } from './tcp-sysctls.js';

/** TcpSock's boolean properties, bits of its one flags field. */
const SOCK_REUSEADDR = 1;
const SOCK_PENDING_CONFIRM = 2;
const SOCK_EOF_READ = 4;
const SOCK_IN_TABLE = 8;

/** Who is told about a connection's events (the socket layer). */
export type TcpEventSink = (sock: TcpSock, event: TcpEvent, now: Time) => void;

/** Where a segment handed to the IP layer came from: it decides its IP id. */
type Origin = 'input' | 'other';

/**
 * What the host keeps for one connection in its connection table (Linux: the
 * sock in the established hash): the engine's connection, its IP id counter, its
 * timer, and who hears its events.
 */
export class TcpSock implements TimerTarget {
  readonly conn: Connection;
  /** Who hears the connection's events; undefined while nobody accepted it. */
  owner: TcpEventSink | undefined;
  /**
   * The instant a blocking connect() took the socket lock. Linux
   * inet_stream_connect holds lock_sock from sending the SYN until it sleeps in
   * inet_wait_for_connect; on a zero-latency path the answer to the SYN is
   * processed within that same call, finds the socket owned by the user, and an
   * ICMP error then only records a soft error (tcp_v4_err). tcplab's model: the
   * socket is owned by the user for the rest of the virtual instant of the
   * call (linux-traces/README.md, reject-icmp: a blocking connect is refused
   * only after a second SYN, a non-blocking one at once).
   */
  ownedByUserAt: Time | undefined;
  /**
   * Told when the connection's state changed (Linux sk->sk_state_change), after
   * the flush that saw it: a lingering close() waits on it.
   */
  onStateChange: ((now: Time) => void) | undefined;
  /** The state the last flush saw. */
  lastState: string | undefined;
  /** The next sock in its hash chain of the host's connection table (ConnTable). */
  hashNext: TcpSock | undefined = undefined;
  /** Its neighbours in the table's insertion order (ConnTable). */
  orderPrev: TcpSock | undefined = undefined;
  orderNext: TcpSock | undefined = undefined;
  /** The connection's timer; the sock is its target (`onTimer`). */
  readonly timer: Timer;
  /**
   * inet_id, the IP id of the next packet (see ipid.ts SocketIpId, whose rule
   * this follows without an object per connection), or -1 until drawn.
   */
  #ipIdNext: number;
  /** The boolean properties below, one bit each (SOCK_FLAG_*): one field, not four. */
  #flags: number;
  readonly #tcp: HostTcp;

  /**
   * `drawIpId`: draw inet_id now (tcp_v4_connect); otherwise it is drawn when
   * the first packet needs it (a child, when it leaves the request sock stage).
   */
  constructor(tcp: HostTcp, conn: Connection, reuseAddr: boolean, drawIpId: boolean) {
    this.#tcp = tcp;
    this.conn = conn;
    this.#flags = reuseAddr ? SOCK_REUSEADDR : 0;
    this.#ipIdNext = drawIpId ? drawSocketIpId(tcp.ipIdRandom) : -1;
    this.timer = tcp.host.events.timer(this);
  }

  /** The timer's deadline came: the connection's timers run, then what they caused is sent. */
  onTimer(now: Time): void {
    this.conn.handleTimeout(now);
    this.#tcp.flush(this, 'other');
  }

  /** SO_REUSEADDR of the socket (children inherit the listener's), for bind conflicts. */
  get reuseAddr(): boolean {
    return (this.#flags & SOCK_REUSEADDR) !== 0;
  }
  set reuseAddr(on: boolean) {
    this.#setFlag(SOCK_REUSEADDR, on);
  }

  /** A segment advanced SND.UNA: the next one sent confirms the neighbour (sk_dst_confirm). */
  get pendingConfirm(): boolean {
    return (this.#flags & SOCK_PENDING_CONFIRM) !== 0;
  }
  set pendingConfirm(on: boolean) {
    this.#setFlag(SOCK_PENDING_CONFIRM, on);
  }

  /**
   * A read returned end of file: tcp_recvmsg_locked reached the FIN and moved
   * copied_seq past it (`found_fin_ok: ++*seq`), so the FIN no longer counts in
   * the Recv-Q that ss and netstat show (rcv_nxt - copied_seq).
   */
  get eofRead(): boolean {
    return (this.#flags & SOCK_EOF_READ) !== 0;
  }
  set eofRead(on: boolean) {
    this.#setFlag(SOCK_EOF_READ, on);
  }

  /** Whether the host's connection table holds it. */
  get inTable(): boolean {
    return (this.#flags & SOCK_IN_TABLE) !== 0;
  }
  set inTable(on: boolean) {
    this.#setFlag(SOCK_IN_TABLE, on);
  }

  #setFlag(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag;
  }

  /**
   * The IP id for the next packet, under TCP's rule (SocketIpId.nextTcp):
   * tcp_v4_connect and tcp_v4_syn_recv_sock each start inet_id at
   * get_random_u16(); a child draws it when it leaves the request sock stage.
   */
  nextIpId(): number {
    let id = this.#ipIdNext;
    if (id < 0) id = drawSocketIpId(this.#tcp.ipIdRandom);
    this.#ipIdNext = (id + 1) & 0xffff;
    return id;
  }

  /** Runs an application call on the connection, then sends and reports what it caused. */
  act<T>(f: (conn: Connection, now: Time) => T): T {
    const r = f(this.conn, this.#tcp.host.now);
    this.#tcp.flush(this, 'other');
    return r;
  }
}

/**
 * A listening socket in the host's listener table (Linux: the listening hash),
 * with one timer for all its request socks (their SYN-ACK timers, listen.ts).
 */
export class TcpListenSock {
  readonly listener: Listener;
  readonly reuseAddr: boolean;
  /** Called when the accept queue has a connection (sk_data_ready of a listener). */
  onAcceptable: ((now: Time) => void) | undefined;
  readonly timer: Timer;

  constructor(listener: Listener, reuseAddr: boolean, timer: Timer) {
    this.listener = listener;
    this.reuseAddr = reuseAddr;
    this.timer = timer;
  }
}

/** Something holding a local port: a bound socket of the socket layer. */
export interface PortOwner {
  readonly localAddr: Ipv4Address;
  readonly localPort: number;
  readonly reuseAddr: boolean;
  /** In LISTEN (a listener's port is never shared through SO_REUSEADDR). */
  readonly listening: boolean;
}

export type TcpResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errno: Errno };

/** What the listening socket brings to its listener (the socket layer's; default: the sysctls now). */
export interface ListenSockOptions {
  /** sk_rcvbuf: SO_RCVBUF as set (doubled, `rcvBufLocked`) or tcp_rmem[1] of socket(). */
  readonly rcvBuf?: number;
  readonly rcvBufLocked?: boolean;
  /** sk_sndbuf: tcp_wmem[1] of socket() (children start with it). */
  readonly sndBuf?: number;
  /** The congestion control socket() gave it. */
  readonly caOps?: CongestionControl;
  /** TCP_DEFER_ACCEPT set before listen(), in SYN-ACK timeouts. */
  readonly deferAccept?: number;
}

export interface TcpConnectRequest {
  /** The address and port bound beforehand (0 and 0 when unbound). */
  readonly localAddr: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddr: Ipv4Address;
  readonly remotePort: number;
  readonly reuseAddr?: boolean;
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  readonly userMss?: number;
  /** SO_RCVBUF as set (already doubled): sk_rcvbuf with SOCK_RCVBUF_LOCK. */
  readonly rcvBuf?: number;
  /** sk_rcvbuf otherwise: tcp_rmem[1] when the socket was made (default: now). */
  readonly rcvBufDefault?: number;
  /** sk_sndbuf unless SO_SNDBUF is set: tcp_wmem[1] when the socket was made (default: now). */
  readonly sndBufDefault?: number;
  /** The socket's congestion control, chosen when it was made (default: now). */
  readonly caOps?: CongestionControl;
  readonly owner?: TcpEventSink;
  /** A blocking connect(): the socket is owned by the user for this instant. */
  readonly blocking?: boolean;
}

/**
 * A deadline, or `now` if it has passed: Math.max(d, now) without making a
 * new number. Instants past 2^31 ns are boxed; this hands on the box one of
 * them came in (Math.max's result is a fresh double, boxed again for the timer).
 */
function notBefore(d: Time, now: Time): Time {
  return d < now ? now : d;
}

/** One round of #portHash's mix: `v` folded into `h`. */
function portHashMix(h: number, v: number): number {
  let x = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** Buckets a connection table starts with; it doubles past one sock per bucket. */
const CONN_TABLE_MIN_BUCKETS = 64;

/**
 * The connections by 4-tuple (Linux's ehash): a power-of-two array of hash
 * chains linked through the socks, so that neither a lookup nor adding and
 * removing a connection builds a key or touches a Map (strings and Map
 * churn were most of the table's cost in a short connection). The socks are
 * also linked in insertion order, which is the order `ss` lists them in; a
 * sock that replaces another under the same 4-tuple takes its place there.
 */
class ConnTable {
  #buckets: (TcpSock | undefined)[] = new Array(CONN_TABLE_MIN_BUCKETS).fill(undefined);
  #count = 0;
  #first: TcpSock | undefined = undefined;
  #last: TcpSock | undefined = undefined;

  get(localAddr: number, localPort: number, remoteAddr: number, remotePort: number) {
    const b = this.#buckets;
    const h = tupleHash(localAddr, localPort, remoteAddr, remotePort) & (b.length - 1);
    for (let s = b[h]; s !== undefined; s = s.hashNext) {
      const c = s.conn;
      if (
        c.local.port === localPort &&
        c.remote.port === remotePort &&
        c.local.addr >>> 0 === localAddr >>> 0 &&
        c.remote.addr >>> 0 === remoteAddr >>> 0
      ) {
        return s;
      }
    }
    return undefined;
  }

  /** Holds `sock` under its connection's 4-tuple, in place of any other. */
  set(sock: TcpSock): void {
    const c = sock.conn;
    const old = this.get(c.local.addr, c.local.port, c.remote.addr, c.remote.port);
    if (old === sock) return;
    if (sock.inTable) this.delete(sock);
    if (old !== undefined) {
      // Its place in the order, then out of its chain.
      sock.orderPrev = old.orderPrev;
      sock.orderNext = old.orderNext;
      if (old.orderPrev === undefined) this.#first = sock;
      else old.orderPrev.orderNext = sock;
      if (old.orderNext === undefined) this.#last = sock;
      else old.orderNext.orderPrev = sock;
      this.#unchain(old);
      old.inTable = false;
      old.orderPrev = undefined;
      old.orderNext = undefined;
    } else {
      sock.orderPrev = this.#last;
      sock.orderNext = undefined;
      if (this.#last === undefined) this.#first = sock;
      else this.#last.orderNext = sock;
      this.#last = sock;
      if (++this.#count > this.#buckets.length) this.#grow();
    }
    sock.inTable = true;
    this.#chain(sock);
  }

  /** Forgets `sock` if the table holds it. */
  delete(sock: TcpSock): void {
    if (!sock.inTable) return;
    sock.inTable = false;
    this.#unchain(sock);
    const prev = sock.orderPrev;
    const next = sock.orderNext;
    if (prev === undefined) this.#first = next;
    else prev.orderNext = next;
    if (next === undefined) this.#last = prev;
    else next.orderPrev = prev;
    sock.orderPrev = undefined;
    sock.orderNext = undefined;
    this.#count--;
  }

  /**
   * In insertion order. The sock just handed out may be deleted meanwhile;
   * other changes while iterating are not supported (nobody makes them).
   */
  *values(): IterableIterator<TcpSock> {
    for (let s = this.#first; s !== undefined; ) {
      const next = s.orderNext;
      yield s;
      s = next;
    }
  }

  #chain(sock: TcpSock): void {
    const c = sock.conn;
    const b = this.#buckets;
    const h = tupleHash(c.local.addr, c.local.port, c.remote.addr, c.remote.port) & (b.length - 1);
    sock.hashNext = b[h];
    b[h] = sock;
  }

  #unchain(sock: TcpSock): void {
    const c = sock.conn;
    const b = this.#buckets;
    const h = tupleHash(c.local.addr, c.local.port, c.remote.addr, c.remote.port) & (b.length - 1);
    if (b[h] === sock) b[h] = sock.hashNext;
    else {
      for (let s = b[h]; s !== undefined; s = s.hashNext) {
        if (s.hashNext === sock) {
          s.hashNext = sock.hashNext;
          break;
        }
      }
    }
    sock.hashNext = undefined;
  }

  #grow(): void {
    const old = this.#buckets;
    this.#buckets = new Array(old.length * 2).fill(undefined);
    for (let i = 0; i < old.length; i++) {
      for (let s = old[i]; s !== undefined; ) {
        const next = s.hashNext;
        this.#chain(s);
        s = next;
      }
    }
  }
}

/** Addresses that overlap for bind(): equal, or either one the wildcard. */
function overlap(a: Ipv4Address, b: Ipv4Address): boolean {
  return a === 0 || b === 0 || a === b;
}

/**
 * ipv4_mtu: a route's MTU is at most IP_MAX_MTU (0xFFFF), so lo's 65536 gives
 * an MSS of 65495 (ipv4_default_advmss also caps it at IPV4_MAX_PMTU - 40).
 */
function pathMtu(mtu: number): number {
  return Math.min(mtu, 0xffff);
}

/** Linux INET_TABLE_PERTURB_SIZE (net/ipv4/inet_hashtables.c): 2^16 perturbation slots. */
const INET_TABLE_PERTURB_SIZE = 1 << 16;

/** TCP on one host (see the module comment). */
export class HostTcp implements ProtocolHandler {
  readonly host: Host;
  readonly net: TcpNet;
  /** For the IP id counters of connections (inet_id). */
  readonly ipIdRandom: Random;
  readonly #portRandom: Random;
  /** The secret of secure_ipv4_port_ephemeral, drawn once. */
  readonly #portSecret: number;
  /** table_perturb of __inet_hash_connect. */
  readonly #perturb = new Map<number, number>();
  readonly #conns = new ConnTable();
  readonly #listeners = new Map<number, TcpListenSock[]>();
  readonly #owners = new Set<PortOwner>();
  readonly #twTimer: Timer;
  /** The timewait sock #hashConnect's port takes over, if any, until connect() reads it. */
  #hashConnectTw: TimeWaitSock | undefined = undefined;

  constructor(host: Host) {
    this.host = host;
    const random = host.random.stream('tcp');
    this.net = new TcpNet({
      random,
      timerWheel: host.timerWheel,
      sysctl: tcpSysctlFrom(host.sysctl),
    });
    // The host's table holds the values (tcp-sysctls.ts); the engine follows it.
    for (const key of Object.keys(this.net.sysctl)) {
      host.sysctl.onChange(`net.ipv4.${key}`, () => {
        this.net.sysctl = tcpSysctlFrom(host.sysctl);
      });
    }
    const rmemMax = 'net.core.rmem_max';
    this.net.rmemMax = host.sysctl.int(rmemMax);
    host.sysctl.onChange(rmemMax, (v) => {
      this.net.rmemMax = v as number;
    });
    // TCP's printk lines ("TCP: too many orphaned sockets", …) go to the host's kernel log.
    this.net.printk ??= (now, level, text) => host.kmsg.write(now, level, text);
    this.ipIdRandom = random.stream('ip-id');
    this.#portRandom = random.stream('port');
    this.#portSecret = this.#portRandom.uint32();
    this.#twTimer = host.events.timer((now) => {
      this.net.timeWait.handleTimeout(now);
      this.#armTimeWait();
    });
    host.registerProtocol(IPPROTO_TCP, this);
  }

  /**
   * The namespace's net.ipv4.tcp_* values. Assigning writes each of them into
   * the host's sysctl table (as `sysctl -w` would), which the engine follows.
   */
  get sysctl(): TcpSysctl {
    return this.net.sysctl;
  }
  set sysctl(v: TcpSysctl) {
    writeTcpSysctls(this.host.sysctl, v);
  }

  /** Every connection the host holds (request socks, established, closing), for ss. */
  get connections(): readonly TcpSock[] {
    return [...this.#conns.values()];
  }

  /** Every listener, for ss. */
  get listeners(): readonly TcpListenSock[] {
    return [...this.#listeners.values()].flat();
  }

  /** The connection of a 4-tuple, seen from this host. */
  lookup(
    localAddr: Ipv4Address,
    localPort: number,
    remoteAddr: Ipv4Address,
    remotePort: number,
  ): TcpSock | undefined {
    return this.#conns.get(localAddr, localPort, remoteAddr, remotePort);
  }

  // ---- Ports ---------------------------------------------------------------

  /**
   * Whether a socket bound to `addr`:`port` with `reuseAddr` would clash with
   * what holds the port already (inet_bind_conflict): another socket on an
   * overlapping address, unless both set SO_REUSEADDR and the other is not
   * listening. Connections (accepted ones inherit the listener's port,
   * inet_inherit_port) and timewait socks hold their port too, which is why a
   * restarted server needs SO_REUSEADDR. listen() asks again (inet_csk_get_port
   * from inet_csk_listen_start): a listener on an overlapping address, even
   * with SO_REUSEADDR on both, is a conflict.
   */
  portConflict(addr: Ipv4Address, port: number, reuseAddr: boolean, self?: PortOwner): boolean {
    const clash = (a: Ipv4Address, reuse2: boolean, listening2: boolean): boolean =>
      overlap(addr, a) && (listening2 || !(reuseAddr && reuse2));
    for (const o of this.#owners) {
      if (o === self || o.localPort !== port) continue;
      if (clash(o.localAddr, o.reuseAddr, o.listening)) return true;
    }
    for (const s of this.#conns.values()) {
      const c = s.conn;
      if (c.local.port === port && clash(c.local.addr, s.reuseAddr, false)) return true;
    }
    for (const tw of this.net.timeWait) {
      if (tw.localPort === port && clash(tw.localAddr, tw.reuse, false)) {
        return true;
      }
    }
    return false;
  }

  /** Takes `port` (0: an ephemeral one) for `owner`-to-be; the errno bind() fails with. */
  reservePort(addr: Ipv4Address, port: number, reuseAddr: boolean): TcpResult<number> {
    if (port !== 0) {
      return this.portConflict(addr, port, reuseAddr)
        ? { ok: false, errno: 'EADDRINUSE' }
        : { ok: true, value: port };
    }
    const p = this.#findOpenPort(addr, reuseAddr);
    return p === undefined ? { ok: false, errno: 'EADDRINUSE' } : { ok: true, value: p };
  }

  /** Registers a bound socket as holding its port (inet_bind_hash). */
  addPortOwner(owner: PortOwner): void {
    this.#owners.add(owner);
  }

  /** The socket let its port go (inet_put_port). */
  removePortOwner(owner: PortOwner): void {
    this.#owners.delete(owner);
  }

  /** net.ipv4.ip_local_port_range, [low, high] (read where it is kept: no pair made per connect). */
  #portRange(): readonly number[] {
    return this.host.sysctl.ints('net.ipv4.ip_local_port_range');
  }

  /**
   * inet_csk_find_open_port (bind with port 0): a random start, ports of the
   * parity opposite to the range's low end first ("inet_csk_get_port() does the
   * opposite choice" of __inet_hash_connect, so that connect() keeps the other half).
   */
  #findOpenPort(addr: Ipv4Address, reuseAddr: boolean): number | undefined {
    const range = this.#portRange();
    const low = range[0]!;
    const high = range[1]!;
    const remaining = high - low + 1;
    let offset = Math.floor((this.#portRandom.uint32() * remaining) / 0x1_0000_0000);
    offset |= 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < remaining; i += 2) {
        const p = low + ((offset + i) % remaining);
        if (!this.portConflict(addr, p, reuseAddr)) return p;
      }
      offset--;
    }
    return undefined;
  }

  /**
   * __inet_hash_connect (Linux 6.x): the search starts at a per-destination
   * offset (secure_ipv4_port_ephemeral: a keyed hash of the addresses and the
   * destination port) plus the perturbation of its slot, tries ports of the
   * range's low parity first (even ports with the default 32768-60999: every
   * telnet port of linux-traces is even), skips ports bound by bind(), and
   * takes a port whose 4-tuple is free, or held by a timewait sock that
   * tcp_tw_reuse lets it take (tcp_twsk_unique; left in `#hashConnectTw`
   * for the caller to recycle: no result object per connect). The slot then moves on by the ports tried plus 2, at
   * least a random 0-7 pairs, so the next connection to the same destination
   * starts elsewhere.
   */
  #hashConnect(src: Ipv4Address, dst: Ipv4Address, dport: number): number | undefined {
    const range = this.#portRange();
    const low = range[0]!;
    const high = range[1]!;
    let remaining = high - low + 1;
    if (remaining > 1) remaining &= ~1;
    const portOffset = this.#portHash(src, dst, dport);
    const index = portOffset & (INET_TABLE_PERTURB_SIZE - 1);
    const perturb = this.#perturb.get(index) ?? 0;
    let offset = (perturb + portOffset) % remaining;
    offset &= ~1;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < remaining; i += 2) {
        let p = low + offset + i;
        if (p >= low + remaining) p -= remaining;
        const free = this.#connectPortFree(src, p, dst, dport);
        if (free !== false) {
          const step = Math.max(i, this.#portRandom.int(0, 7) * 2);
          this.#perturb.set(index, (perturb + step + 2) >>> 0);
          this.#hashConnectTw = free === true ? undefined : free;
          return p;
        }
      }
      offset++;
      if (remaining <= 1) break;
    }
    return undefined;
  }

  /**
   * A port connect() may take: not bound by anyone with bind(), and its
   * 4-tuple unused (true) or held by a timewait sock tcp_tw_reuse lets go
   * (that sock); false otherwise.
   */
  #connectPortFree(
    src: Ipv4Address,
    port: number,
    dst: Ipv4Address,
    dport: number,
  ): boolean | TimeWaitSock {
    for (const o of this.#owners) if (o.localPort === port) return false;
    if (this.#listeners.has(port)) return false;
    if (this.#conns.get(src, port, dst, dport) !== undefined) return false;
    const tw = this.net.timeWait.lookup(src, port, dst, dport);
    if (tw === undefined) return true;
    return this.net.timeWait.reusable(tw, this.host.now, true) ? tw : false;
  }

  /** A 32-bit keyed mix standing in for siphash (secure_ipv4_port_ephemeral). */
  #portHash(src: number, dst: number, dport: number): number {
    // The three values mixed in one after the other (no array per connect).
    const h = portHashMix(portHashMix(portHashMix(this.#portSecret ^ 0x9e3779b9, src), dst), dport);
    return h >>> 0;
  }

  // ---- Opening -------------------------------------------------------------

  /**
   * tcp_v4_connect: the route (ENETUNREACH), the source address it gives an
   * unbound socket, the local port (bound, or __inet_hash_connect:
   * EADDRNOTAVAIL when none is free or the 4-tuple is taken), the IP id counter
   * and the SYN, sent at once.
   */
  connect(req: TcpConnectRequest): TcpResult<TcpSock> {
    const host = this.host;
    const route = host.ip.routeOutputFrom(
      req.remoteAddr,
      req.localAddr !== 0 ? req.localAddr : undefined,
    );
    if (!route.ok) {
      if (route.errno === 'ENETUNREACH') host.counters.count('IpOutNoRoutes');
      return { ok: false, errno: route.errno };
    }
    const src = req.localAddr !== 0 ? req.localAddr : route.src;
    const now = host.now;
    let port = req.localPort;
    let tw: TimeWaitSock | undefined;
    if (port === 0) {
      const p = this.#hashConnect(src, req.remoteAddr, req.remotePort);
      if (p === undefined) return { ok: false, errno: 'EADDRNOTAVAIL' };
      port = p;
      tw = this.#hashConnectTw;
      this.#hashConnectTw = undefined;
    } else {
      // __inet_check_established: the 4-tuple is in use, unless by a timewait
      // sock with timestamps (tcp_twsk_unique without twp).
      if (this.#conns.get(src, port, req.remoteAddr, req.remotePort) !== undefined) {
        return { ok: false, errno: 'EADDRNOTAVAIL' };
      }
      tw = this.net.timeWait.lookup(src, port, req.remoteAddr, req.remotePort);
      if (tw !== undefined && !this.net.timeWait.reusable(tw, now, false)) {
        return { ok: false, errno: 'EADDRNOTAVAIL' };
      }
    }
    const reused = tw !== undefined ? this.net.timeWait.recycle(tw, now) : undefined;
    if (reused !== undefined) this.#armTimeWait();
    // One literal of one shape (an option left undefined is the default): no
    // object spread per connect().
    const conn = Connection.connect(this.net, now, {
      iss: reused?.iss,
      tsRecent: reused?.tsRecent,
      local: { addr: src, port },
      remote: { addr: req.remoteAddr, port: req.remotePort },
      mtu: pathMtu(route.mtu),
      initCwnd: route.route.initcwnd,
      noDelay: req.noDelay,
      keepAlive: req.keepAlive,
      userMss: req.userMss,
      rcvBuf: req.rcvBuf,
      rcvBufDefault: req.rcvBufDefault,
      sndBufDefault: req.sndBufDefault,
      caOps: req.caOps,
    });
    const sock = new TcpSock(this, conn, req.reuseAddr ?? false, true);
    sock.owner = req.owner;
    if (req.blocking) sock.ownedByUserAt = now;
    this.#conns.set(sock);
    this.flush(sock, 'other');
    return { ok: true, value: sock };
  }

  /**
   * inet_csk_listen_start: a listener on `addr`:`port` (the socket layer has
   * bound the port and capped the backlog). The MSS offered to peers comes from
   * the MTU of the interface the address is on (any Ethernet one for 0.0.0.0).
   */
  listen(
    addr: Ipv4Address,
    port: number,
    backlog: number,
    reuseAddr: boolean,
    sock: ListenSockOptions = {},
  ): TcpListenSock {
    const listener = new Listener(this.net, {
      local: { addr, port },
      backlog,
      mtu: pathMtu(this.#listenMtu(addr)),
      initCwndFor: (remote, local) => this.#initCwndTo(remote, local),
      ...sock,
    });
    const l: TcpListenSock = new TcpListenSock(
      listener,
      reuseAddr,
      this.host.events.timer((now) => {
        listener.handleTimeout(now);
        this.#flushListener(l);
      }),
    );
    const list = this.#listeners.get(port) ?? [];
    list.push(l);
    this.#listeners.set(port, list);
    return l;
  }

  /** The initcwnd metric of the route to `remote` from `local` (0: none, or no route). */
  #initCwndTo(remote: Ipv4Address, local: Ipv4Address): number {
    const r = this.host.ip.routeOutputFrom(remote, local);
    return r.ok ? r.route.initcwnd : 0;
  }

  /**
   * DEVIATION(linux): Linux takes the MSS of each request from the route back to
   * its peer (tcp_openreq_init_rwin, dst_metric_advmss); the engine's Listener
   * takes one MTU for all, so tcplab uses that of the interface holding the
   * address (lo for 127.x), or the first Ethernet interface for 0.0.0.0.
   */
  #listenMtu(addr: Ipv4Address): number {
    const ifaces = this.host.interfaces;
    if (addr !== 0) {
      const i = ifaces.find((x) => x.addresses.some((a) => a.address === addr));
      if (i !== undefined) return i.mtu;
    }
    return ifaces.find((x) => x.kind === 'ethernet')?.mtu ?? 1500;
  }

  /** close() of a listener (inet_csk_listen_stop): its children go, the port is free. */
  closeListener(l: TcpListenSock): void {
    const now = this.host.now;
    const port = l.listener.local.port;
    const list = this.#listeners.get(port) ?? [];
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(port);
    const children = [...l.listener.acceptQueue];
    l.listener.close(now);
    this.#flushListener(l);
    for (const c of children) {
      const s = this.lookup(c.local.addr, c.local.port, c.remote.addr, c.remote.port);
      if (s !== undefined) this.flush(s, 'other');
    }
  }

  /** accept(): the next established child, now owned by `owner`. */
  accept(l: TcpListenSock, owner: TcpEventSink | undefined): TcpSock | undefined {
    for (;;) {
      const c = l.listener.accept();
      if (c === undefined) return undefined;
      const s = this.lookup(c.local.addr, c.local.port, c.remote.addr, c.remote.port);
      if (s === undefined || s.conn !== c) continue;
      s.owner = owner;
      s.reuseAddr = l.reuseAddr;
      return s;
    }
  }

  // ---- Driving the engine --------------------------------------------------

  /**
   * Sends what the connection has to send, tells its owner what happened,
   * re-arms its timer, and takes it out of the table once it is done or became
   * a timewait sock (found in the namespace's timewait table from then on).
   */
  flush(sock: TcpSock, origin: Origin): void {
    const conn = sock.conn;
    const now = this.host.now;
    for (let s = conn.pollTransmit(); s; s = conn.pollTransmit()) this.#transmit(sock, s, origin);
    for (let e = conn.pollEvent(); e; e = conn.pollEvent()) sock.owner?.(sock, e, now);
    if (sock.lastState !== conn.state) {
      sock.lastState = conn.state;
      sock.onStateChange?.(now);
    }
    const tw = conn.tw;
    if (tw !== undefined) {
      // tw->tw_reuse (a WeakMap beside the sock cost more than the rest of flush).
      tw.reuse = sock.reuseAddr;
      sock.timer.clear();
      this.#conns.delete(sock);
    } else {
      // The deadline is asked for once (it was twice for a closed connection).
      const d = conn.nextDeadline();
      if (d === undefined) {
        sock.timer.clear();
        if (conn.state === 'CLOSE') this.#conns.delete(sock);
      } else sock.timer.set(notBefore(d, now));
    }
    this.#armTimeWait();
  }

  /**
   * Sends what the listener's request socks have to send (their SYN-ACKs,
   * ACKs and resets go through the namespace's control socket: IP id 0, as
   * tcp_v4_send_synack and tcp_v4_send_ack send them) and re-arms its timer.
   */
  #flushListener(l: TcpListenSock): void {
    const listener = l.listener;
    for (let t = listener.pollTransmit(); t; t = listener.pollTransmit()) {
      this.#send(t.src, t.dst, t.seg, undefined);
    }
    const d = listener.nextDeadline();
    if (d === undefined) l.timer.clear();
    else if (l.timer.deadline !== d) l.timer.set(notBefore(d, this.host.now));
  }

  /** One timer on the timewait table's earliest deadline. */
  #armTimeWait(): void {
    const d = this.net.timeWait.nextDeadline();
    if (d === undefined) this.#twTimer.clear();
    else this.#twTimer.set(notBefore(d, this.host.now));
  }

  /**
   * ip_queue_xmit for a connection's segment. The IP id (ip_select_ident_segs):
   * a socket's own counter for what it sends itself; 0 for the resets
   * tcp_v4_send_reset sends in answer to a segment (through the per-namespace
   * control socket), as for everything a request sock sends (#flushListener).
   */
  #transmit(sock: TcpSock, seg: TcpSegment, origin: Origin): void {
    const conn = sock.conn;
    const controlSock = (seg.flags & RST) !== 0 && origin === 'input';
    const confirm = sock.pendingConfirm;
    sock.pendingConfirm = false;
    this.#send(
      conn.local.addr,
      conn.remote.addr,
      seg,
      controlSock ? undefined : sock.nextIpId(),
      confirm,
    );
  }

  #send(
    src: Ipv4Address,
    dst: Ipv4Address,
    seg: TcpSegment,
    id: number | undefined,
    confirmNeighbour = false,
  ): void {
    // The segment is written once, behind room for the IP and Ethernet headers
    // (tcp_transmit_skb's skb with MAX_TCP_HEADER reserved), and never copied.
    const length = tcpLength(seg);
    const frame = freshBytes(IP_HEADROOM + length);
    const ph = this.#ph;
    ph.src = src;
    ph.dst = dst;
    ph.length = length;
    const host = this.host;
    // With offload the device finishes the checksum (offload.ts):
    // tcp_v4_send_check's CHECKSUM_PARTIAL; a large payload stays in the send
    // buffer, for the device to gather.
    const offload = host.txChecksumOffload;
    const gather = offload && seg.payload.length >= SG_MIN_PAYLOAD;
    emitTcp(seg, frame, ph, gather ? 'gather' : offload ? 'partial' : 'compute', IP_HEADROOM);
    if (offload) {
      host.beginTxOffload(
        frame,
        IP_HEADROOM,
        IP_HEADROOM + length,
        gather ? seg.payload : undefined,
      );
    }
    host.ip.outputFrame(frame, src, dst, IPPROTO_TCP, true, id, confirmNeighbour);
    if (offload) host.endTxOffload(frame);
  }

  /** The pseudo-header of the segment being written or parsed (neither keeps it). */
  readonly #ph = { src: 0, dst: 0, protocol: IPPROTO_TCP, length: 0 };

  /** tcp_v4_send_reset for a segment nobody wants: id 0, DF (ip_send_unicast_reply). */
  #sendReset(src: Ipv4Address, dst: Ipv4Address, seg: TcpSegment): void {
    const rst = tcpResetFor(seg);
    if (rst === undefined) return;
    countReset(this.net.counters);
    this.#send(src, dst, rst, undefined);
  }

  /**
   * The reset a firewall's `REJECT --reject-with tcp-reset` sends for a TCP
   * datagram this host received (nf_send_reset, net/ipv4/netfilter/
   * nf_reject_ipv4.c): the same shape as the kernel's own (linux-traces/
   * reject-rst against closed-port). Not counted in TcpOutRsts: netfilter
   * builds it itself.
   */
  rejectWithReset(ip: ReceivedIpv4Packet): void {
    const parsed = parseTcp(
      ip.payload,
      { src: ip.src, dst: ip.dst, protocol: IPPROTO_TCP, length: ip.payload.length },
      { options: 'linux' },
    );
    if (!parsed.ok || !parsed.value.checksumOk) return;
    const rst = tcpResetFor(parsed.value);
    if (rst !== undefined) this.#send(ip.dst, ip.src, rst, undefined);
  }

  // ---- ProtocolHandler -----------------------------------------------------

  /** tcp_v4_rcv. */
  receive(now: Time, skb: InboundDatagram): void {
    const host = this.host;
    const counters = this.net.counters;
    // "if (skb->pkt_type != PACKET_HOST) goto discard_it": no TCP to a broadcast.
    if (skb.pktType !== 'host' || skb.delivery !== 'local') {
      host.drop('OTHERHOST', 'tcp_v4_rcv', skb.iface, skb.datagram);
      return;
    }
    const src = skb.src;
    const dst = skb.dst;
    const ph = this.#ph;
    ph.src = src;
    ph.dst = dst;
    // The segment is parsed where it lies in the frame (no view of the
    // datagram's payload is made, and the IP header is not decoded).
    const start = skb.at + skb.headerLength;
    const end = skb.at + skb.length;
    ph.length = end - start;
    // A checksum its sender's NIC left pending is known good, and a payload it
    // left in its send buffer is read from there (offload.ts).
    const known = skb.frame === host.rxChecksumKnown;
    const seg = decodeTcpIn(skb.frame, start, end, ph, known, known ? host.rxPayload : undefined);
    if (seg === undefined) {
      // "if (unlikely(th->doff < sizeof(struct tcphdr) / 4)) goto bad_packet".
      counters.TcpInErrs++;
      host.drop('PKT_TOO_SMALL', 'tcp_v4_rcv', skb.iface, skb.datagram);
      return;
    }
    if (!seg.checksumOk) {
      // tcp_v4_rcv csum_error: TCP_MIB_CSUMERRORS, then bad_packet: TCP_MIB_INERRS.
      counters.TcpInCsumErrors++;
      counters.TcpInErrs++;
      this.net.drop(now, -1, 'TCP_CSUM', seg);
      return;
    }
    this.#demux(now, seg, src, dst);
  }

  #demux(now: Time, seg: TcpSegment, src: Ipv4Address, dst: Ipv4Address): void {
    let isn: Seq | undefined;
    const sock = this.#conns.get(dst, seg.dstPort, src, seg.srcPort);
    if (sock !== undefined) {
      const conn = sock.conn;
      const listener = conn.listener;
      const una = conn.sndUna;
      const v = conn.handleSegment(now, seg);
      if (conn.sndUna !== una) sock.pendingConfirm = true;
      this.flush(sock, 'input');
      if (listener !== undefined) this.#notifyAcceptable(listener, now);
      if (v !== 'reopen') return;
      isn = conn.reopenIsn;
    } else {
      const tw = this.net.timeWait.lookup(dst, seg.dstPort, src, seg.srcPort);
      if (tw !== undefined) {
        // tcp_v4_rcv do_time_wait.
        const v = this.net.timeWait.handleSegment(tw, now, seg);
        this.#armTimeWait();
        if (v.action === 'ack' || v.action === 'rst') {
          if (v.reply !== undefined) this.#send(dst, src, v.reply, undefined);
          return;
        }
        if (v.action === 'none') return;
        if (this.#listenerFor(dst, seg.dstPort) === undefined) {
          this.#send(dst, src, tw.timewaitAck(now, this.net), undefined);
          return;
        }
        this.net.timeWait.reopen(tw, now);
        this.#armTimeWait();
        isn = v.isn;
      }
    }
    const l = this.#listenerFor(dst, seg.dstPort);
    if (l !== undefined) {
      const v = l.listener.handleSegment(now, seg, { addr: src, port: seg.srcPort }, dst, isn);
      if ('child' in v) {
        // The handshake completed (tcp_check_req → tcp_child_process): the
        // request sock's full socket takes its place in the table.
        this.#flushListener(l);
        const child = new TcpSock(this, v.child, l.reuseAddr, false);
        if (v.confirm) child.pendingConfirm = true;
        this.#conns.set(child);
        this.flush(child, 'input');
      } else if ('reply' in v) {
        this.#send(dst, src, v.reply, undefined);
      } else {
        this.#flushListener(l);
      }
      this.#notifyAcceptable(l.listener, now);
      return;
    }
    // No socket: tcp_v4_send_reset (no_tcp_socket).
    this.net.counters.TcpInSegs++;
    this.net.drop(now, -1, 'NO_SOCKET', seg);
    this.#sendReset(dst, src, seg);
  }

  /** __inet_lookup_listener: a listener bound to the address first, then a wildcard one. */
  #listenerFor(dst: Ipv4Address, port: number): TcpListenSock | undefined {
    const list = this.#listeners.get(port);
    if (list === undefined) return undefined;
    // Loops, not find(): no closure per segment that reaches a listener.
    for (let i = 0; i < list.length; i++) if (list[i]!.listener.local.addr === dst) return list[i];
    for (let i = 0; i < list.length; i++) if (list[i]!.listener.local.addr === 0) return list[i];
    return undefined;
  }

  #notifyAcceptable(listener: Listener, now: Time): void {
    if (listener.acceptQueue.length === 0) return;
    const list = this.#listeners.get(listener.local.port);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      if (l.listener === listener) {
        l.onAcceptable?.(now);
        return;
      }
    }
  }

  /**
   * tcp_v4_err: the connection of the quoted 4-tuple (our segment: its source is
   * us). Errors for a timewait sock or for nobody are ignored, as Linux does.
   */
  error(now: Time, report: IcmpErrorReport, quoted: IcmpQuote): void {
    const sock = this.lookup(quoted.ip.src, quoted.srcPort, quoted.ip.dst, quoted.dstPort);
    if (sock === undefined) {
      // A request sock (Linux finds it in the established hash too): tcp_req_err.
      const l = this.#listenerFor(quoted.ip.src, quoted.srcPort);
      if (l === undefined) return;
      const remote = { addr: quoted.ip.dst, port: quoted.dstPort };
      l.listener.handleIcmpError(
        now,
        remote,
        quoted.ip.src,
        quoted.seq,
        tcpReqErrAborts(report.type, report.code),
      );
      this.#flushListener(l);
      return;
    }
    sock.conn.handleIcmpError(now, {
      type: report.type,
      code: report.code,
      quotedSeq: quoted.seq,
      ownedByUser: sock.ownedByUserAt === now,
    });
    this.flush(sock, 'other');
  }
}
