/**
 * Sockets on a host: a POSIX-like file-descriptor API over TCP (tcp.ts), with
 * Linux's errno semantics (net/socket.c, net/ipv4/af_inet.c inet_stream_connect
 * / inet_shutdown / inet_getname, net/ipv4/tcp.c tcp_recvmsg / tcp_sendmsg /
 * tcp_poll, net/core/sock.c sock_setsockopt). One fd table per host, as for a
 * single process; fds start at 3 (0-2 are stdio) and the lowest free one is
 * reused, as POSIX requires.
 *
 * Failures are values, never thrown (STYLE.md 8): a `SocketError` with Node's
 * `code`, negative `errno` and `syscall`, and the strerror() text tools print.
 *
 * Blocking calls in virtual time. A blocking accept(), connect(), read() or
 * write() cannot wait inside the call: the simulation has to run for the event
 * it waits for to happen. Such a call returns its result at once when it has
 * one, else a `Pending` handle that settles, synchronously from inside the
 * simulation event that completes it, with the result or the error. The choice
 * of a promise-free handle (rather than a Promise) is deliberate: promises
 * settle in a microtask, after the event has returned, so a driver stepping the
 * event queue would see the effect one step late and the order of same-instant
 * events would depend on the microtask queue. A `Pending` can be polled after
 * each event (`done`, `result`) or given a callback (`onSettled`), and a
 * packetdrill runner or a tool can use either. Internally a blocking call is
 * the non-blocking one retried each time its socket is woken (an event of its
 * connection, a connection to accept), as Linux's sk_wait_event loops.
 */

import type { Time } from '../sim/time.js';
import { USEC_PER_JIFFY } from '../tcp/clock.js';
import { type CongestionControl, defaultCongestionControl } from '../tcp/congestion.js';
import type { Connection, TcpEvent } from '../tcp/connection.js';
import { tcpChronoStats } from '../tcp/output.js';
import { TCP_STATE_NUMBERS, type TcpState } from '../tcp/state.js';
import type { Ipv4Address } from '../wire/address.js';
import { seqDiff } from '../wire/seq.js';
import type { Host } from './host.js';
import { errnoNumber, SocketError, type SocketErrorCode, socketError } from './socket-errors.js';
import type { HostTcp, PortOwner, TcpListenSock, TcpSock } from './tcp.js';

export { SocketError, type SocketErrorCode, socketError } from './socket-errors.js';

/** The handshake is still running (connect() waits; poll reports neither POLLIN nor POLLOUT). */
const TCP_STATES_SYNCHRONIZING: ReadonlySet<TcpState> = new Set(['SYN_SENT', 'SYN_RECV']);

/** poll(2) bits (include/uapi/asm-generic/poll.h). */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

export type ShutdownHow = 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR';

/** The options getsockopt/setsockopt know (SOL_SOCKET and IPPROTO_TCP levels). */
export type SocketOption =
  | 'SO_REUSEADDR'
  | 'SO_KEEPALIVE'
  | 'SO_LINGER'
  | 'SO_ERROR'
  | 'SO_SNDBUF'
  | 'SO_RCVBUF'
  | 'TCP_NODELAY'
  | 'TCP_MAXSEG'
  | 'TCP_CORK'
  | 'TCP_USER_TIMEOUT'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'TCP_LINGER2'
  | 'TCP_SYNCNT'
  | 'TCP_NOTSENT_LOWAT'
  | 'TCP_QUICKACK'
  | 'TCP_DEFER_ACCEPT';

/** fcntl(2) file status flags (include/uapi/asm-generic/fcntl.h). */
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;

/**
 * Per-socket TCP settings of do_tcp_setsockopt (include/linux/tcp.h struct
 * tcp_sock / inet_connection_sock), 0 meaning "the sysctl's value" as Linux
 * keeps them. Times in seconds as the socket options take them, except
 * userTimeoutMs.
 */
export interface TcpSockOptions {
  /** TCP_CORK (tp->nonagle & TCP_NAGLE_CORK). */
  cork: boolean;
  /** TCP_USER_TIMEOUT in ms (icsk_user_timeout); 0: none. */
  userTimeoutMs: number;
  /** TCP_KEEPIDLE (tp->keepalive_time); 0: net.ipv4.tcp_keepalive_time. */
  keepIdle: number;
  /** TCP_KEEPINTVL (tp->keepalive_intvl); 0: net.ipv4.tcp_keepalive_intvl. */
  keepIntvl: number;
  /** TCP_KEEPCNT (tp->keepalive_probes); 0: net.ipv4.tcp_keepalive_probes. */
  keepCnt: number;
  /** TCP_LINGER2 (tp->linger2): seconds, 0 for tcp_fin_timeout, -1 for "no FIN_WAIT2". */
  linger2: number;
  /** TCP_SYNCNT (icsk_syn_retries); 0: net.ipv4.tcp_syn_retries. */
  synCnt: number;
  /** TCP_NOTSENT_LOWAT (tp->notsent_lowat); 0: net.ipv4.tcp_notsent_lowat. */
  notsentLowat: number;
  /** TCP_DEFER_ACCEPT in SYN-ACK timeouts (rskq_defer_accept, secs_to_retrans); 0: off. */
  deferAccept: number;
  /**
   * icsk_ack.pingpong as TCP_QUICKACK left it before there was a connection
   * (0: not interactive); the connection starts with it (a child is a copy of
   * its listener's sock).
   */
  pingpong: number;
}

/** The fields of struct tcp_info (include/uapi/linux/tcp.h) tcplab keeps, under their names. */
export interface TcpInfo {
  readonly tcpi_state: number;
  readonly tcpi_ca_state: number;
  readonly tcpi_retransmits: number;
  readonly tcpi_probes: number;
  readonly tcpi_backoff: number;
  readonly tcpi_rto: number;
  readonly tcpi_snd_mss: number;
  readonly tcpi_rcv_mss: number;
  readonly tcpi_unacked: number;
  readonly tcpi_last_data_sent: number;
  readonly tcpi_last_data_recv: number;
  readonly tcpi_last_ack_recv: number;
  readonly tcpi_rtt: number;
  readonly tcpi_rttvar: number;
  readonly tcpi_snd_ssthresh: number;
  readonly tcpi_snd_cwnd: number;
  readonly tcpi_advmss: number;
  readonly tcpi_snd_wnd: number;
  /** µs with data in flight or queued (tcp_get_info_chrono_stats: the three chronos together). */
  readonly tcpi_busy_time: number;
  /** µs of it limited by the peer's receive window. */
  readonly tcpi_rwnd_limited: number;
  /** µs of it limited by the send buffer (tcp_cwnd_validate: a writer waiting for room with nothing left unsent; not yet compared with Linux). */
  readonly tcpi_sndbuf_limited: number;
  /** Bytes written and not yet sent (tcp_get_info). */
  readonly tcpi_notsent_bytes: number;
}

/** MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT, MAX_TCP_SYNCNT (include/net/tcp.h). */
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPINTVL = 32767;
const MAX_TCP_KEEPCNT = 127;
const MAX_TCP_SYNCNT = 127;
/** TCP_FIN_TIMEOUT_MAX (include/net/tcp.h): 120 s, the most TCP_LINGER2 takes. */
const TCP_FIN_TIMEOUT_MAX_S = 120;
/** TCP_CA_* of tcpi_ca_state (include/net/tcp.h enum tcp_ca_state). */
const TCP_CA_STATE_NUMBERS: Readonly<Record<string, number>> = {
  Open: 0,
  Disorder: 1,
  CWR: 2,
  Recovery: 3,
  Loss: 4,
};

/** struct linger. */
export interface Linger {
  readonly onoff: boolean;
  /** Seconds. */
  readonly linger: number;
}

/** A result now, or an error now. */
export type SysResult<T> = T | SocketError;

/** What a blocking call returns: the result now, or a handle settled later. */
export type Blocking<T> = SysResult<T> | Pending<T>;

/** An address and port (struct sockaddr_in). */
export interface SockAddr {
  readonly address: Ipv4Address;
  readonly port: number;
}

export interface AcceptResult extends SockAddr {
  readonly fd: number;
}

/**
 * The result of a blocking call that has to wait for the simulation: poll
 * `done`/`result` after events, or pass a callback to `onSettled`, which runs
 * in the event that settles it (at once if it already has).
 */
export class Pending<T> {
  #done = false;
  #result: SysResult<T> | undefined;
  readonly #callbacks: ((r: SysResult<T>) => void)[] = [];

  get done(): boolean {
    return this.#done;
  }

  /** The result, once done. */
  get result(): SysResult<T> | undefined {
    return this.#result;
  }

  onSettled(callback: (r: SysResult<T>) => void): void {
    if (this.#done) callback(this.#result as SysResult<T>);
    else this.#callbacks.push(callback);
  }

  /** @internal */
  settle(r: SysResult<T>): void {
    if (this.#done) return;
    this.#done = true;
    this.#result = r;
    for (const cb of this.#callbacks.splice(0)) cb(r);
  }
}

/** A blocking call waiting for its socket(s) to be woken. */
interface Waiter {
  /** Runs the call again; true once it settled. */
  retry(now: Time): boolean;
  /** The fd went away under the call. */
  abort(error: SocketError): void;
}

/** sock->state (include/linux/net.h socket_state), the socket layer's own view. */
type SockState = 'unconnected' | 'connecting' | 'connected';

/** SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF (include/net/sock.h) on 64-bit: 2 × (2048 + 256 + 320)... rounded as Linux computes. */
const SOCK_MIN_SNDBUF = 4608;
const SOCK_MIN_RCVBUF = 2304;
/** TCP_MSS_DEFAULT (include/net/tcp.h): what TCP_MAXSEG reads before a connection. */
const TCP_MSS_DEFAULT = 536;
/** TCP_MAXSEG bounds (tcp.c do_tcp_setsockopt): TCP_MIN_MSS 88 .. MAX_TCP_WINDOW 32767. */
const TCP_MIN_MSS = 88;
const MAX_TCP_WINDOW = 32767;

/** TCP_TIMEOUT_INIT / HZ and TCP_RTO_MAX / HZ, in seconds, as TCP_DEFER_ACCEPT counts them. */
const TCP_TIMEOUT_INIT_S = 1;
const TCP_RTO_MAX_S = 120;

/**
 * Linux secs_to_retrans: how many SYN-ACK timeouts (1, 2, 4, ... s, each at
 * most `rtoMax`) it takes to cover `seconds`, at most 255; 0 for none.
 */
export function secsToRetrans(seconds: number, timeout: number, rtoMax: number): number {
  let res = 0;
  if (seconds > 0) {
    let period = timeout;
    res = 1;
    while (seconds > period && res < 255) {
      res++;
      timeout <<= 1;
      if (timeout > rtoMax) timeout = rtoMax;
      period += timeout;
    }
  }
  return res;
}

/** Linux retrans_to_secs: the seconds `retrans` SYN-ACK timeouts add up to. */
export function retransToSecs(retrans: number, timeout: number, rtoMax: number): number {
  let period = 0;
  if (retrans > 0) {
    period = timeout;
    while (--retrans > 0) {
      timeout <<= 1;
      if (timeout > rtoMax) timeout = rtoMax;
      period += timeout;
    }
  }
  return period;
}

/** The TCP options a socket set before its connection existed, handed to the connection. */
function applyTcpOptions(c: Connection, o: TcpSockOptions): void {
  c.cork = o.cork;
  c.userTimeoutMs = o.userTimeoutMs;
  c.keepaliveTime = o.keepIdle;
  c.keepaliveIntvl = o.keepIntvl;
  c.keepaliveProbes = o.keepCnt;
  c.linger2 = o.linger2;
  c.synRetries = o.synCnt;
  c.notsentLowat = o.notsentLowat;
  if (o.pingpong !== 0) c.pingpong = o.pingpong;
}

/** One open socket file. */
export class SocketFile implements PortOwner {
  readonly fd: number;
  nonBlocking: boolean;
  localAddr: Ipv4Address = 0;
  localPort = 0;
  /** bind() succeeded (or listen/connect bound it). */
  bound = false;
  /** The socket holds its port as a bound socket (bind(), listen()): inet_bind_hash. */
  portHeld = false;
  sockState: SockState = 'unconnected';
  reuseAddr = false;
  keepAlive = false;
  noDelay = false;
  linger: Linger = { onoff: false, linger: 0 };
  userMss: number | undefined;
  /** The TCP_* options of do_tcp_setsockopt (accepted sockets inherit the listener's). */
  tcpOptions: TcpSockOptions = {
    cork: false,
    userTimeoutMs: 0,
    keepIdle: 0,
    keepIntvl: 0,
    keepCnt: 0,
    linger2: 0,
    synCnt: 0,
    notsentLowat: 0,
    deferAccept: 0,
    pingpong: 0,
  };
  sndBufSet: number | undefined;
  rcvBufSet: number | undefined;
  /**
   * sk_rcvbuf unless SO_RCVBUF is set: tcp_rmem[1] when the socket was made
   * (tcp_init_sock), the listener's for an accepted one (sk_clone_lock).
   */
  rcvBufDefault: number;
  /** sk_sndbuf unless SO_SNDBUF is set: tcp_wmem[1] when the socket was made, the listener's for an accepted one. */
  sndBufDefault: number;
  /** The congestion control tcp_init_sock gave it (tcp_assign_congestion_control). */
  caOps: CongestionControl;
  /** shutdown(SHUT_RD) by the application. */
  shutRd = false;
  /** The connection, once connect() or accept() made one. */
  sock: TcpSock | undefined;
  listenSock: TcpListenSock | undefined;
  /** close() was called: the fd is gone, the connection (if any) orphaned. */
  closed = false;
  readonly waiters = new Set<Waiter>();

  constructor(
    fd: number,
    nonBlocking: boolean,
    rcvBufDefault: number,
    sndBufDefault: number,
    caOps: CongestionControl,
  ) {
    this.fd = fd;
    this.nonBlocking = nonBlocking;
    this.rcvBufDefault = rcvBufDefault;
    this.sndBufDefault = sndBufDefault;
    this.caOps = caOps;
  }

  get listening(): boolean {
    return this.listenSock !== undefined;
  }
}

/** The host's sockets and their file descriptors. */
export class SocketTable {
  readonly host: Host;
  readonly tcp: HostTcp;
  readonly #files = new Map<number, SocketFile>();
  readonly #bySock = new WeakMap<TcpSock, SocketFile>();

  constructor(host: Host) {
    this.host = host;
    this.tcp = host.tcp;
  }

  /** The open fds. */
  get fds(): readonly number[] {
    return [...this.#files.keys()].sort((a, b) => a - b);
  }

  /** The socket behind `fd`, for tools (ss) and tests. */
  file(fd: number): SocketFile | undefined {
    return this.#files.get(fd);
  }

  /** socket(AF_INET, SOCK_STREAM [| SOCK_NONBLOCK], 0). */
  socket(options: { nonBlocking?: boolean } = {}): number {
    let fd = 3;
    while (this.#files.has(fd)) fd++;
    this.#files.set(
      fd,
      // tcp_init_sock: sk_rcvbuf, sk_sndbuf and the congestion control are fixed now.
      new SocketFile(
        fd,
        options.nonBlocking ?? false,
        this.tcp.sysctl.tcp_rmem[1],
        this.tcp.sysctl.tcp_wmem[1],
        defaultCongestionControl(this.tcp.net),
      ),
    );
    return fd;
  }

  /** fcntl(F_SETFL, O_NONBLOCK). */
  setNonBlocking(fd: number, on: boolean): SysResult<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'fcntl');
    f.nonBlocking = on;
    return 0;
  }

  /**
   * bind() (inet_bind): once only (EINVAL), an address of this host or 0.0.0.0
   * (EADDRNOTAVAIL), a port nobody holds (EADDRINUSE, see HostTcp.portConflict);
   * port 0 takes an ephemeral one.
   */
  bind(fd: number, address: Ipv4Address, port: number): SysResult<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'bind');
    if (!Number.isInteger(port) || port < 0 || port > 65535) return socketError('EINVAL', 'bind');
    if (f.bound || f.sock !== undefined) return socketError('EINVAL', 'bind');
    if (address !== 0 && !this.host.isLocalAddress(address)) {
      return socketError('EADDRNOTAVAIL', 'bind', address, port);
    }
    const r = this.tcp.reservePort(address, port, f.reuseAddr);
    if (!r.ok) return socketError(r.errno, 'bind', address, port);
    f.localAddr = address;
    f.localPort = r.value;
    f.bound = true;
    f.portHeld = true;
    this.tcp.addPortOwner(f);
    return 0;
  }

  /**
   * listen() (__sys_listen, inet_listen): the backlog is capped by
   * net.core.somaxconn; an unbound socket gets an ephemeral port first
   * (inet_autobind); a connected one is EINVAL; listening again only changes
   * the backlog.
   */
  listen(fd: number, backlog: number): SysResult<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'listen');
    if (f.sock !== undefined || f.sockState !== 'unconnected')
      return socketError('EINVAL', 'listen');
    const somaxconn = this.host.sysctl.int('net.core.somaxconn');
    // "if ((unsigned int)backlog > somaxconn) backlog = somaxconn": negative too.
    const capped = backlog < 0 || backlog > somaxconn ? somaxconn : backlog;
    if (f.listenSock !== undefined) {
      f.listenSock.listener.backlog = capped;
      return 0;
    }
    if (!f.bound) {
      const r = this.bind(fd, 0, 0);
      if (r instanceof SocketError) return socketError(r.code, 'listen');
    } else if (this.tcp.portConflict(f.localAddr, f.localPort, f.reuseAddr, f)) {
      // inet_csk_listen_start re-checks with get_port: two listeners never share a port.
      return socketError('EADDRINUSE', 'listen', f.localAddr, f.localPort);
    }
    const l = this.tcp.listen(f.localAddr, f.localPort, capped, f.reuseAddr, {
      rcvBuf: f.rcvBufSet ?? f.rcvBufDefault,
      rcvBufLocked: f.rcvBufSet !== undefined,
      sndBuf: f.sndBufDefault,
      caOps: f.caOps,
      deferAccept: f.tcpOptions.deferAccept,
    });
    l.onAcceptable = (now) => this.#wake(f, now);
    f.listenSock = l;
    return 0;
  }

  /**
   * accept() (inet_accept, inet_csk_accept): EINVAL on a socket that does not
   * listen; EAGAIN when non-blocking and nothing waits; else the new fd, which
   * does not inherit O_NONBLOCK (accept4 flags would set it).
   */
  accept(fd: number): Blocking<AcceptResult> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'accept');
    const attempt = (): SysResult<AcceptResult> | undefined => {
      const l = f.listenSock;
      if (l === undefined || l.listener.state !== 'LISTEN') return socketError('EINVAL', 'accept');
      const child = this.tcp.accept(l, undefined);
      if (child === undefined) return undefined;
      const nfd = this.socket();
      const nf = this.#files.get(nfd)!;
      nf.sock = child;
      nf.sockState = 'connected';
      // sk_clone_lock copies the listener's sk_sndbuf and its SOCK_SNDBUF_LOCK.
      if (f.sndBufSet !== undefined) {
        nf.sndBufSet = f.sndBufSet;
        child.conn.sndBufLocked = f.sndBufSet;
      }
      // ... and its sk_rcvbuf with SOCK_RCVBUF_LOCK (the engine's child took
      // the listener's already, as the SYN-ACK did: listen.ts).
      nf.rcvBufSet = f.rcvBufSet;
      nf.rcvBufDefault = f.rcvBufDefault;
      nf.sndBufDefault = f.sndBufDefault;
      nf.caOps = child.conn.caOps;
      nf.localAddr = child.conn.local.addr;
      nf.localPort = child.conn.local.port;
      nf.bound = true;
      nf.reuseAddr = f.reuseAddr;
      nf.keepAlive = f.keepAlive;
      nf.noDelay = f.noDelay;
      nf.linger = f.linger;
      nf.tcpOptions = { ...f.tcpOptions };
      applyTcpOptions(child.conn, nf.tcpOptions);
      this.#own(nf, child);
      if (f.noDelay) child.act((c, now) => c.setNoDelay(now, true));
      if (f.keepAlive) child.act((c, now) => c.setKeepAlive(now, true));
      return { fd: nfd, address: child.conn.remote.addr, port: child.conn.remote.port };
    };
    const r = attempt();
    if (r !== undefined) return r;
    if (f.nonBlocking) return socketError('EAGAIN', 'accept');
    return this.#block(f, attempt);
  }

  /**
   * connect() (inet_stream_connect, tcp_v4_connect). Non-blocking: EINPROGRESS,
   * then poll for POLLOUT and read SO_ERROR; a second connect() while the SYN
   * is out is EALREADY, after success 0 once and EISCONN after that, after a
   * failure the pending error. Blocking: a Pending settled when the handshake
   * completes or fails.
   */
  connect(fd: number, address: Ipv4Address, port: number): Blocking<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'connect');
    const err = (code: SocketErrorCode): SocketError => socketError(code, 'connect', address, port);
    if (f.listenSock !== undefined) return err('EISCONN');
    if (f.sockState === 'connected') return err('EISCONN');
    if (f.sockState === 'connecting') {
      const conn = f.sock?.conn;
      if (conn !== undefined && TCP_STATES_SYNCHRONIZING.has(conn.state)) {
        if (f.nonBlocking) return err('EALREADY');
        return this.#block(f, () => this.#connectOutcome(f, address, port));
      }
      return this.#connectOutcome(f, address, port)!;
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) return err('EINVAL');
    if (f.sock !== undefined && f.sock.conn.state !== 'CLOSE') return err('EISCONN');
    // A port bound with bind() stays; one connect() chose is given back when
    // the attempt failed (tcp_set_state CLOSE: inet_put_port), so a new attempt
    // chooses again.
    const r = this.tcp.connect({
      localAddr: f.portHeld ? f.localAddr : 0,
      localPort: f.portHeld ? f.localPort : 0,
      remoteAddr: address,
      remotePort: port,
      reuseAddr: f.reuseAddr,
      noDelay: f.noDelay,
      keepAlive: f.keepAlive,
      ...(f.userMss !== undefined ? { userMss: f.userMss } : {}),
      ...(f.rcvBufSet !== undefined ? { rcvBuf: f.rcvBufSet } : {}),
      rcvBufDefault: f.rcvBufDefault,
      sndBufDefault: f.sndBufDefault,
      caOps: f.caOps,
      owner: (s, e, now) => this.#event(s, e, now),
      blocking: !f.nonBlocking,
    });
    if (!r.ok) return err(r.errno);
    f.sock = r.value;
    applyTcpOptions(r.value.conn, f.tcpOptions);
    if (f.sndBufSet !== undefined) r.value.conn.sndBufLocked = f.sndBufSet;
    this.#bySock.set(r.value, f);
    f.localAddr = r.value.conn.local.addr;
    f.localPort = r.value.conn.local.port;
    f.bound = true;
    f.sockState = 'connecting';
    const outcome = this.#connectOutcome(f, address, port);
    if (outcome !== undefined) return outcome;
    if (f.nonBlocking) return err('EINPROGRESS');
    return this.#block(f, () => this.#connectOutcome(f, address, port));
  }

  /** Where a connect() stands: undefined while the handshake runs. */
  #connectOutcome(f: SocketFile, address: Ipv4Address, port: number): SysResult<0> | undefined {
    const conn = f.sock?.conn;
    if (conn === undefined) return socketError('ECONNABORTED', 'connect', address, port);
    if (TCP_STATES_SYNCHRONIZING.has(conn.state)) return undefined;
    if (conn.state === 'CLOSE' || conn.state === 'TIME_WAIT') {
      // "sock_error: err = sock_error(sk) ? : -ECONNABORTED; sock->state = SS_UNCONNECTED".
      f.sockState = 'unconnected';
      const e = conn.takeError();
      return socketError(e?.code ?? 'ECONNABORTED', 'connect', address, port);
    }
    f.sockState = 'connected';
    return 0;
  }

  /**
   * read() / recv() (tcp_recvmsg): the bytes waiting (up to `max`); at end of
   * file (the peer's FIN, or after a reset was reported) an empty array; the
   * pending error (ECONNRESET after a RST); ENOTCONN on a socket never
   * connected or listening; EAGAIN when non-blocking and nothing is there.
   */
  read(fd: number, max = 65536): Blocking<Uint8Array> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'read');
    const attempt = (): SysResult<Uint8Array> | undefined => {
      if (f.listenSock !== undefined) return socketError('ENOTCONN', 'read');
      const s = f.sock;
      if (s === undefined) return socketError('ENOTCONN', 'read');
      const conn = s.conn;
      // A copy, as recvmsg copies into the caller's buffer: the engine's queue
      // holds views of the received frames, which taps may keep.
      if (conn.readable > 0) return s.act((c, now) => c.recv(now, max)).slice();
      // The order of tcp_recvmsg_locked with nothing copied: SOCK_DONE, sk_err,
      // RCV_SHUTDOWN, TCP_CLOSE (ENOTCONN), then EAGAIN.
      if (conn.finReceived) {
        s.eofRead = true;
        return new Uint8Array(0);
      }
      const e = conn.takeError();
      if (e !== undefined) return socketError(e.code, 'read');
      if (f.shutRd || this.#done(f)) return new Uint8Array(0);
      if (conn.state === 'CLOSE') return socketError('ENOTCONN', 'read');
      return undefined;
    };
    const r = attempt();
    if (r !== undefined) return r;
    if (f.nonBlocking) return socketError('EAGAIN', 'read');
    return this.#block(f, attempt);
  }

  /** recv() is read() here (no flags yet). */
  recv(fd: number, max = 65536): Blocking<Uint8Array> {
    return this.read(fd, max);
  }

  /**
   * write() / send() (tcp_sendmsg): as many bytes as the send buffer takes
   * (a partial count when non-blocking, EAGAIN when none); while the handshake
   * runs, EAGAIN or wait (sk_stream_wait_connect); the pending error first
   * (ECONNRESET after a RST), then EPIPE once this side shut down or the
   * connection is gone. A blocking write waits until every byte is queued.
   */
  write(fd: number, data: Uint8Array): Blocking<number> {
    return this.#write(fd, data, false);
  }

  #write(fd: number, data: Uint8Array, more: boolean): Blocking<number> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'write');
    let written = 0;
    const attempt = (): SysResult<number> | undefined => {
      const s = f.sock;
      if (s === undefined) return written > 0 ? written : socketError('EPIPE', 'write');
      const conn = s.conn;
      if (TCP_STATES_SYNCHRONIZING.has(conn.state) && conn.error === undefined) return undefined;
      // A blocking write that waited goes on as the same tcp_sendmsg (copied > 0).
      const n = s.act((c, now) => c.send(now, data.subarray(written), more, written > 0));
      if (typeof n !== 'number') return written > 0 ? written : socketError(n.code, 'write');
      written += n;
      if (written === data.length) return written;
      return undefined;
    };
    const r = attempt();
    if (r !== undefined) return r;
    if (f.nonBlocking) return written > 0 ? written : socketError('EAGAIN', 'write');
    return this.#block(f, attempt);
  }

  /**
   * send(): write() with flags. MSG_MORE (`more`) tells TCP more data follows:
   * tcp_sendmsg pushes what it queued with TCP_NAGLE_CORK (tcp_push), so a
   * partial segment waits for the next send, a TCP_NODELAY or TCP_CORK change,
   * or the window to fill it.
   */
  send(fd: number, data: Uint8Array, flags: { more?: boolean } = {}): Blocking<number> {
    return this.#write(fd, data, flags.more ?? false);
  }

  /**
   * shutdown() (inet_shutdown, tcp_shutdown): SHUT_WR sends a FIN after the
   * queued data; SHUT_RD makes reads return end of file; on a socket that is
   * not connected ENOTCONN (still recorded, as Linux does "to wake up other
   * listeners"); on a listener SHUT_RD stops it, waking a blocked accept().
   */
  shutdown(fd: number, how: ShutdownHow): SysResult<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'shutdown');
    const rd = how !== 'SHUT_WR';
    const wr = how !== 'SHUT_RD';
    const now = this.host.now;
    if (f.listenSock !== undefined) {
      if (rd) {
        this.tcp.closeListener(f.listenSock);
        f.listenSock = undefined;
        this.#wake(f, now);
      }
      return 0;
    }
    const s = f.sock;
    if (rd) f.shutRd = true;
    if (s === undefined || s.conn.state === 'CLOSE' || s.conn.state === 'TIME_WAIT') {
      this.#wake(f, now);
      return socketError('ENOTCONN', 'shutdown');
    }
    if (s.conn.state === 'SYN_SENT') {
      // "case TCP_SYN_SENT: err = sk->sk_prot->disconnect(sk, O_NONBLOCK)".
      s.act((c, t) => c.disconnect(t));
      f.sockState = 'unconnected';
    } else if (wr) {
      s.act((c, t) => c.shutdown(t));
    }
    this.#wake(f, now);
    return 0;
  }

  /**
   * close(): the fd goes at once. A listener stops (its unaccepted connections
   * are reset); a connection is closed as tcp_close does (FIN, or RST when
   * unread data remains), or aborted with SO_LINGER {on, 0}; it lives on,
   * orphaned, until the engine is done with it. Calls blocked on the fd fail
   * with EBADF.
   */
  close(fd: number): SysResult<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'close');
    this.#files.delete(fd);
    f.closed = true;
    if (f.listenSock !== undefined) {
      this.tcp.closeListener(f.listenSock);
      f.listenSock = undefined;
    }
    const s = f.sock;
    if (s !== undefined) {
      s.owner = undefined;
      if (f.linger.onoff && f.linger.linger === 0) s.act((c, now) => c.abort(now));
      else s.act((c, now) => c.close(now));
      // DEVIATION(linux): a lingering close (SO_LINGER on, l_linger > 0) does not
      // block until the data is acknowledged; it returns at once like close().
    }
    if (f.portHeld) this.tcp.removePortOwner(f);
    const err = socketError('EBADF', 'close');
    for (const w of [...f.waiters]) w.abort(err);
    f.waiters.clear();
    return 0;
  }

  /**
   * close() as a blocking caller sees it (tcp_close): with SO_LINGER on, a
   * positive l_linger and a blocking fd, the call waits until the FIN is
   * acknowledged (sk_stream_wait_close: the state has left FIN_WAIT1, CLOSING
   * and LAST_ACK) or l_linger seconds have passed, then returns 0 either way.
   * Otherwise it is close().
   */
  closeLinger(fd: number): Blocking<0> {
    const f = this.#files.get(fd);
    const r = this.close(fd);
    const s = f?.sock;
    if (r !== 0 || f === undefined || s === undefined) return r;
    if (!f.linger.onoff || f.linger.linger <= 0 || f.nonBlocking) return 0;
    // sk_stream_closing: "(1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK)".
    const closing = (): boolean => {
      const st = s.conn.state;
      return (
        (st === 'FIN_WAIT1' || st === 'CLOSING' || st === 'LAST_ACK') && s.conn.tw === undefined
      );
    };
    if (!closing()) return 0;
    const pending = new Pending<0>();
    const timer = this.host.events.after(f.linger.linger * 1_000_000_000, () => {
      s.onStateChange = undefined;
      pending.settle(0);
    });
    // sk_stream_wait_close sleeps until sk_state_change wakes it.
    s.onStateChange = () => {
      if (closing()) return;
      s.onStateChange = undefined;
      timer.cancel();
      pending.settle(0);
    };
    return pending;
  }

  /**
   * setsockopt(). SO_SNDBUF and SO_RCVBUF are doubled and clamped as
   * sock_setsockopt does ("val = min(val, sysctl_wmem_max); sk_sndbuf =
   * max(val * 2, SOCK_MIN_SNDBUF)"); TCP_MAXSEG takes 88..32767 before the
   * connection exists (do_tcp_setsockopt); SO_ERROR cannot be set.
   */
  setsockopt(fd: number, option: SocketOption, value: number | boolean | Linger): SysResult<0> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'setsockopt');
    const bad = (): SocketError => socketError('EINVAL', 'setsockopt');
    const on = typeof value === 'object' ? undefined : Boolean(value);
    const num =
      typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : NaN;
    switch (option) {
      case 'SO_REUSEADDR':
        if (on === undefined) return bad();
        f.reuseAddr = on;
        return 0;
      case 'SO_KEEPALIVE':
        if (on === undefined) return bad();
        f.keepAlive = on;
        f.sock?.act((c, now) => c.setKeepAlive(now, on));
        return 0;
      case 'TCP_NODELAY':
        if (on === undefined) return bad();
        f.noDelay = on;
        f.sock?.act((c, now) => c.setNoDelay(now, on));
        return 0;
      case 'SO_LINGER':
        if (typeof value !== 'object') return bad();
        f.linger = { onoff: value.onoff, linger: Math.max(0, Math.trunc(value.linger)) };
        return 0;
      case 'SO_SNDBUF':
        if (!Number.isFinite(num)) return bad();
        f.sndBufSet = Math.max(
          Math.min(num, this.host.sysctl.int('net.core.wmem_max')) * 2,
          SOCK_MIN_SNDBUF,
        );
        // sk_sndbuf with SOCK_SNDBUF_LOCK: the engine's send buffer from now on.
        if (f.sock !== undefined) f.sock.conn.sndBufLocked = f.sndBufSet;
        return 0;
      case 'SO_RCVBUF':
        if (!Number.isFinite(num)) return bad();
        f.rcvBufSet = Math.max(
          Math.min(num, this.host.sysctl.int('net.core.rmem_max')) * 2,
          SOCK_MIN_RCVBUF,
        );
        // sk_rcvbuf with SOCK_RCVBUF_LOCK: the engine's buffer, no autotuning;
        // a listener's next SYN-ACKs and children.
        if (f.sock !== undefined) f.sock.conn.setRcvBuf(f.rcvBufSet);
        f.listenSock?.listener.setRcvBuf(f.rcvBufSet);
        return 0;
      case 'TCP_MAXSEG':
        if (!Number.isInteger(num) || (num !== 0 && (num < TCP_MIN_MSS || num > MAX_TCP_WINDOW))) {
          return bad();
        }
        // DEVIATION(linux): once connected, the engine's MSS is not changed.
        f.userMss = num === 0 ? undefined : num;
        return 0;
      case 'SO_ERROR':
        return socketError('ENOPROTOOPT', 'setsockopt');
      case 'TCP_CORK':
        if (on === undefined) return bad();
        f.tcpOptions.cork = on;
        f.sock?.act((c, now) => c.setCork(now, on));
        return 0;
      case 'TCP_NOTSENT_LOWAT': {
        // "WRITE_ONCE(tp->notsent_lowat, val); sk->sk_write_space(sk)": a u32
        // (a negative int stands for a large one), and a waiting writer may
        // now go on.
        if (!Number.isInteger(num)) return bad();
        const lowat = num >>> 0;
        f.tcpOptions.notsentLowat = lowat;
        const sock = f.sock;
        if (sock !== undefined) {
          sock.conn.notsentLowat = lowat;
          sock.act((c) => c.writeSpace());
        }
        return 0;
      }
      case 'TCP_DEFER_ACCEPT': {
        // "Translate value in seconds to number of retransmits" (any int: none
        // for 0 or less).
        if (!Number.isInteger(num)) return bad();
        const n = secsToRetrans(num, TCP_TIMEOUT_INIT_S, TCP_RTO_MAX_S);
        f.tcpOptions.deferAccept = n;
        if (f.listenSock !== undefined) f.listenSock.listener.deferAccept = n;
        return 0;
      }
      case 'TCP_QUICKACK': {
        // __tcp_sock_set_quickack (an int; any value is taken).
        if (!Number.isInteger(num)) return bad();
        const sock = f.sock;
        if (sock !== undefined) sock.act((c, now) => c.setQuickack(now, num));
        else f.tcpOptions.pingpong = num === 0 ? this.tcp.sysctl.tcp_pingpong_thresh : 0;
        return 0;
      }
      case 'TCP_USER_TIMEOUT':
        // "case TCP_USER_TIMEOUT: if (val < 0) return -EINVAL".
        if (!Number.isInteger(num) || num < 0) return bad();
        f.tcpOptions.userTimeoutMs = num;
        if (f.sock !== undefined) f.sock.conn.userTimeoutMs = num;
        return 0;
      case 'TCP_KEEPIDLE':
        // tcp_sock_set_keepidle_locked: "if (val < 1 || val > MAX_TCP_KEEPIDLE) return -EINVAL".
        if (!Number.isInteger(num) || num < 1 || num > MAX_TCP_KEEPIDLE) return bad();
        f.tcpOptions.keepIdle = num;
        f.sock?.act((c, now) => c.setKeepaliveTime(now, num));
        return 0;
      case 'TCP_KEEPINTVL':
        if (!Number.isInteger(num) || num < 1 || num > MAX_TCP_KEEPINTVL) return bad();
        f.tcpOptions.keepIntvl = num;
        if (f.sock !== undefined) f.sock.conn.keepaliveIntvl = num;
        return 0;
      case 'TCP_KEEPCNT':
        if (!Number.isInteger(num) || num < 1 || num > MAX_TCP_KEEPCNT) return bad();
        f.tcpOptions.keepCnt = num;
        if (f.sock !== undefined) f.sock.conn.keepaliveProbes = num;
        return 0;
      case 'TCP_SYNCNT':
        // tcp_sock_set_syncnt: "if (val < 1 || val > MAX_TCP_SYNCNT) return -EINVAL".
        if (!Number.isInteger(num) || num < 1 || num > MAX_TCP_SYNCNT) return bad();
        f.tcpOptions.synCnt = num;
        if (f.sock !== undefined) f.sock.conn.synRetries = num;
        return 0;
      case 'TCP_LINGER2':
        // "if (val < 0) tp->linger2 = -1; else if (val > TCP_FIN_TIMEOUT_MAX / HZ)
        // tp->linger2 = TCP_FIN_TIMEOUT_MAX; else tp->linger2 = val * HZ".
        if (!Number.isInteger(num)) return bad();
        f.tcpOptions.linger2 = num < 0 ? -1 : Math.min(num, TCP_FIN_TIMEOUT_MAX_S);
        if (f.sock !== undefined) f.sock.conn.linger2 = f.tcpOptions.linger2;
        return 0;
    }
  }

  /**
   * getsockopt(). SO_ERROR takes the pending error (sock_error: read once);
   * SO_SNDBUF is the send buffer (grown at establishment, tcp_sndbuf_expand),
   * SO_RCVBUF tcp_rmem[1] unless set; TCP_MAXSEG the MSS in use once
   * connected (mss_cache), else the user's value or 536.
   */
  getsockopt(fd: number, option: SocketOption): SysResult<number | boolean | Linger> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'getsockopt');
    const conn = f.sock?.conn;
    switch (option) {
      case 'SO_REUSEADDR':
        return f.reuseAddr;
      case 'SO_KEEPALIVE':
        return f.keepAlive;
      case 'TCP_NODELAY':
        return f.noDelay;
      case 'SO_LINGER':
        return f.linger;
      case 'SO_ERROR': {
        const e = conn?.takeError();
        return e === undefined ? 0 : errnoNumber(e.code);
      }
      case 'SO_SNDBUF':
        return f.sndBufSet ?? conn?.sndBuf ?? f.sndBufDefault;
      case 'SO_RCVBUF':
        return f.rcvBufSet ?? conn?.rcvBuf ?? f.rcvBufDefault;
      case 'TCP_MAXSEG':
        if (
          conn !== undefined &&
          !TCP_STATES_SYNCHRONIZING.has(conn.state) &&
          conn.state !== 'CLOSE'
        ) {
          return conn.sndMss;
        }
        return f.userMss ?? TCP_MSS_DEFAULT;
      case 'TCP_CORK':
        return f.tcpOptions.cork;
      case 'TCP_USER_TIMEOUT':
        return f.tcpOptions.userTimeoutMs;
      case 'TCP_NOTSENT_LOWAT':
        // "val = READ_ONCE(tp->notsent_lowat)": the socket's own (0 unless set).
        return f.tcpOptions.notsentLowat;
      case 'TCP_DEFER_ACCEPT':
        // retrans_to_secs: the seconds the timeouts add up to (5 s gives 3, read as 7).
        return retransToSecs(f.tcpOptions.deferAccept, TCP_TIMEOUT_INIT_S, TCP_RTO_MAX_S);
      case 'TCP_QUICKACK':
        // "val = !inet_csk_in_pingpong_mode(sk)".
        if (conn !== undefined) return conn.quickack;
        return f.tcpOptions.pingpong < this.tcp.sysctl.tcp_pingpong_thresh;
      // do_tcp_getsockopt: the socket's value, else the namespace's sysctl.
      case 'TCP_KEEPIDLE':
        return f.tcpOptions.keepIdle || this.tcp.sysctl.tcp_keepalive_time;
      case 'TCP_KEEPINTVL':
        return f.tcpOptions.keepIntvl || this.tcp.sysctl.tcp_keepalive_intvl;
      case 'TCP_KEEPCNT':
        return f.tcpOptions.keepCnt || this.tcp.sysctl.tcp_keepalive_probes;
      case 'TCP_SYNCNT':
        return f.tcpOptions.synCnt || this.tcp.sysctl.tcp_syn_retries;
      case 'TCP_LINGER2':
        // "val = tp->linger2; if (val >= 0) val = (val ? : sysctl_tcp_fin_timeout) / HZ".
        return f.tcpOptions.linger2 < 0
          ? -1
          : f.tcpOptions.linger2 || this.tcp.sysctl.tcp_fin_timeout;
    }
  }

  /**
   * fcntl(F_GETFL): O_RDWR, with O_NONBLOCK when set (a socket is opened
   * read-write: sock_alloc_file uses O_RDWR).
   */
  getFlags(fd: number): SysResult<number> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'fcntl');
    return O_RDWR | (f.nonBlocking ? O_NONBLOCK : 0);
  }

  /**
   * ioctl(SIOCINQ) / ioctl(SIOCOUTQ) (tcp_ioctl): the bytes waiting to be read
   * (tcp_inq), or not yet acknowledged; EINVAL on a listener.
   */
  ioctl(fd: number, request: 'SIOCINQ' | 'SIOCOUTQ'): SysResult<number> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'ioctl');
    if (f.listenSock !== undefined) return socketError('EINVAL', 'ioctl');
    const conn = f.sock?.conn;
    if (conn === undefined) return 0;
    return request === 'SIOCINQ' ? conn.readable : conn.unacknowledged;
  }

  /**
   * getsockopt(TCP_INFO) (tcp_get_info): the connection's state and counters.
   * Times as Linux reports them: tcpi_rto, tcpi_rtt and tcpi_rttvar in µs,
   * tcpi_last_* in ms ago. A socket without a connection reads its own state
   * (LISTEN or CLOSE) and zeros; a closed connection (TIME_WAIT included, as
   * the fd sees it) is TCP_CLOSE.
   */
  tcpInfo(fd: number): SysResult<TcpInfo> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'getsockopt');
    const conn = f.sock?.conn;
    const now = this.host.now;
    const state: TcpState =
      f.listenSock !== undefined
        ? 'LISTEN'
        : conn === undefined || this.#done(f)
          ? 'CLOSE'
          : conn.state;
    const msAgo = (t: Time): number => Math.floor((now - t) / 1_000_000);
    const [busy, rwnd, sndbuf] = conn !== undefined ? tcpChronoStats(conn, now) : [0, 0, 0];
    return {
      tcpi_state: TCP_STATE_NUMBERS[state],
      tcpi_ca_state: conn !== undefined ? (TCP_CA_STATE_NUMBERS[conn.caState] ?? 0) : 0,
      tcpi_retransmits: conn?.retransmits ?? 0,
      tcpi_probes: conn?.probesOut ?? 0,
      tcpi_backoff: conn?.backoff ?? 0,
      tcpi_rto: conn !== undefined ? conn.rto * USEC_PER_JIFFY : 0,
      tcpi_snd_mss: conn?.sndMss ?? TCP_MSS_DEFAULT,
      tcpi_rcv_mss: conn?.rcvMss ?? TCP_MSS_DEFAULT,
      tcpi_unacked: conn?.rtxQueue.length ?? 0,
      tcpi_last_data_sent: conn !== undefined ? msAgo(conn.lsndtime) : 0,
      tcpi_last_data_recv: conn !== undefined ? msAgo(conn.lrcvtime) : 0,
      tcpi_last_ack_recv: conn !== undefined ? msAgo(conn.rcvTstamp) : 0,
      tcpi_rtt: conn !== undefined ? conn.rtt.srtt8Us >> 3 : 0,
      tcpi_rttvar: conn !== undefined ? conn.rtt.mdev4Us >> 2 : 0,
      tcpi_snd_ssthresh: conn?.ssthresh ?? 0x7fffffff,
      tcpi_snd_cwnd: conn?.cwnd ?? 10,
      tcpi_advmss: conn?.advMss ?? TCP_MSS_DEFAULT,
      tcpi_snd_wnd: conn?.sndWnd ?? 0,
      tcpi_busy_time: busy,
      tcpi_rwnd_limited: rwnd,
      tcpi_sndbuf_limited: sndbuf,
      // "max_t(int, 0, tp->write_seq - tp->snd_nxt)".
      tcpi_notsent_bytes: conn === undefined ? 0 : Math.max(0, seqDiff(conn.writeSeq, conn.sndNxt)),
    };
  }

  /** getsockname(): the bound address and port (0.0.0.0:0 before any). */
  getsockname(fd: number): SysResult<SockAddr> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'getsockname');
    return { address: f.localAddr, port: f.localPort };
  }

  /**
   * getpeername() (inet_getname with peer): ENOTCONN unless connected; in
   * SYN_SENT and CLOSE too ("(1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)").
   */
  getpeername(fd: number): SysResult<SockAddr> {
    const f = this.#files.get(fd);
    if (f === undefined) return socketError('EBADF', 'getpeername');
    const conn = f.sock?.conn;
    if (conn === undefined || conn.state === 'SYN_SENT' || this.#done(f)) {
      return socketError('ENOTCONN', 'getpeername');
    }
    return { address: conn.remote.addr, port: conn.remote.port };
  }

  /**
   * The revents of `fd` now (tcp_poll; inet_csk_listen_poll for a listener):
   * - POLLHUP when both directions are shut down or the socket is CLOSE (a
   *   fresh socket too: POLLOUT|POLLHUP, as Linux reports it);
   * - POLLIN|POLLRDNORM|POLLRDHUP once the receive side is shut down (the
   *   peer's FIN, shutdown(SHUT_RD), the connection's end);
   * - outside SYN_SENT/SYN_RECV: POLLIN with data to read, POLLOUT while the
   *   send buffer has room (always once this side is shut down);
   * - POLLERR while an error is pending (a refused non-blocking connect).
   * A closed fd is POLLNVAL.
   */
  pollEvents(fd: number): number {
    const f = this.#files.get(fd);
    if (f === undefined) return POLLNVAL;
    if (f.listenSock !== undefined) {
      return f.listenSock.listener.acceptQueue.length > 0 ? POLLIN | POLLRDNORM : 0;
    }
    const conn = f.sock?.conn;
    const state = conn === undefined || this.#done(f) ? 'CLOSE' : conn.state;
    const done = conn !== undefined && this.#done(f);
    const rcvShutdown = done || f.shutRd || (conn?.finReceived ?? false);
    const sendShutdown = done || (conn?.sendShutdown ?? false);
    let mask = 0;
    if ((rcvShutdown && sendShutdown) || state === 'CLOSE') mask |= POLLHUP;
    if (rcvShutdown) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (state !== 'SYN_SENT' && state !== 'SYN_RECV') {
      if (conn !== undefined && conn.readable > 0) mask |= POLLIN | POLLRDNORM;
      if (!sendShutdown) {
        // __sk_stream_is_writeable: free space at least half of what is queued
        // (sk_wmem_queued, skb truesize).
        const queued = conn?.wmemQueued() ?? 0;
        const free = (conn?.sndBuf ?? f.sndBufDefault) - queued;
        if (free >= queued >> 1 && (conn === undefined || conn.notsentBelowLowat(1))) {
          mask |= POLLOUT | POLLWRNORM;
        }
      } else {
        mask |= POLLOUT | POLLWRNORM;
      }
    }
    if (conn?.error !== undefined) mask |= POLLERR;
    return mask;
  }

  /**
   * poll(): the ready fds now (`revents` masked by `events`, POLLERR, POLLHUP
   * and POLLNVAL always reported). With `timeoutMs` 0, or when some fd is
   * ready, the result now; otherwise a Pending settled by the first event that
   * makes one ready, or with no ready fd after the timeout (negative: none).
   */
  poll(
    fds: readonly { fd: number; events: number }[],
    timeoutMs = 0,
  ): Blocking<{ fd: number; revents: number }[]> {
    const always = POLLERR | POLLHUP | POLLNVAL;
    const check = () =>
      fds
        .map(({ fd, events }) => ({ fd, revents: this.pollEvents(fd) & (events | always) }))
        .filter((r) => r.revents !== 0);
    const ready = check();
    if (ready.length > 0 || timeoutMs === 0) return ready;
    const pending = new Pending<{ fd: number; revents: number }[]>();
    const files = fds
      .map(({ fd }) => this.#files.get(fd))
      .filter((x): x is SocketFile => x !== undefined);
    const timer =
      timeoutMs > 0
        ? this.host.events.after(timeoutMs * 1_000_000, () => {
            for (const f of files) f.waiters.delete(waiter);
            pending.settle(check());
          })
        : undefined;
    const waiter: Waiter = {
      retry: () => {
        const r = check();
        if (r.length === 0) return false;
        timer?.cancel();
        for (const f of files) f.waiters.delete(waiter);
        pending.settle(r);
        return true;
      },
      abort: () => {
        waiter.retry(this.host.now);
      },
    };
    for (const f of files) f.waiters.add(waiter);
    return pending;
  }

  // ---- internals -----------------------------------------------------------

  /** The connection went through tcp_done (CLOSE, or TIME_WAIT: the socket reads CLOSE). */
  #done(f: SocketFile): boolean {
    const state = f.sock?.conn.state;
    return state === 'CLOSE' || state === 'TIME_WAIT';
  }

  #own(f: SocketFile, s: TcpSock): void {
    this.#bySock.set(s, f);
    s.owner = (sock, e, now) => this.#event(sock, e, now);
  }

  /** An event of a connection: whoever waits on its socket tries again. */
  #event(sock: TcpSock, _e: TcpEvent, now: Time): void {
    const f = this.#bySock.get(sock);
    if (f !== undefined && !f.closed) this.#wake(f, now);
  }

  #wake(f: SocketFile, now: Time): void {
    for (const w of [...f.waiters]) {
      if (!f.waiters.has(w)) continue;
      if (w.retry(now)) f.waiters.delete(w);
    }
  }

  /** A Pending for a call that `attempt` retries each time `f` is woken. */
  #block<T>(f: SocketFile, attempt: () => SysResult<T> | undefined): Pending<T> {
    const pending = new Pending<T>();
    // An attempt can wake its own socket (a read's window update sends an ACK
    // and reports events): that nested wake must not run the call a second
    // time, which would settle it with what came after (a read's end of file
    // ahead of the data the first attempt took). It asks for one more attempt
    // instead, if the first one found nothing.
    let running = false;
    let again = false;
    f.waiters.add({
      retry: () => {
        if (running) {
          again = true;
          return false;
        }
        running = true;
        try {
          for (;;) {
            again = false;
            const r = attempt();
            if (r !== undefined) {
              pending.settle(r);
              return true;
            }
            if (!again) return false;
          }
        } finally {
          running = false;
        }
      },
      abort: (error) => pending.settle(error),
    });
    return pending;
  }
}
