/**
 * A listening socket: it answers SYNs with a passive connection in SYN_RECV
 * (Linux tcp_conn_request and the request sock it creates), keeps those in its
 * SYN queue until their handshake completes, then in its accept queue until
 * accept(). Everything else a listener gets is answered as Linux's LISTEN
 * state does (tcp_rcv_state_process, case TCP_LISTEN): an ACK with a RST, a
 * RST or a segment without SYN dropped.
 *
 * The queues, as Linux sizes them (listen()'s backlog, capped by
 * net.core.somaxconn in the socket layer), each checked before it grows:
 * - the SYN queue holds backlog + 1 requests (inet_csk_reqsk_queue_is_full
 *   tests `qlen > backlog`; linux-traces/syn-flood: 129 SYN_RECV for 128). A SYN
 *   it has no room for gets a SYN cookie (tcp_syncookies=1) or is dropped
 *   (tcp_syncookies=0; TCPReqQFullDrop); tcp_syn_flood_action counts it and
 *   writes "Possible SYN flooding on port …" to the kernel log once per
 *   listener. With tcp_syncookies=2 every SYN gets a cookie and nothing is
 *   logged. tcp_max_syn_backlog only matters without cookies: the last
 *   quarter of it is kept for peers tcp_metrics has seen (none here);
 * - the accept queue holds backlog + 1 connections (sk_acceptq_is_full tests
 *   `>`; linux-traces/accept-queue-overflow: `LISTEN 2 1`); while it is full,
 *   new SYNs are dropped (ListenOverflows), cookies or not, and a final ACK is
 *   dropped too, the request kept for its SYN-ACK timer to try again
 *   (tcp_abort_on_overflow=0), or answered with a RST (=1).
 * SYN-ACK retransmission and the pruning of old requests when the queue is
 * more than half full are the request's timer (#requestTimer, which reads
 * `young`); SYN cookies are syncookies.ts. A SYN that reopens a TIME_WAIT
 * 4-tuple comes with the ISN the timewait sock chose (timewait.ts) and is
 * never refused for a full SYN queue.
 *
 * Checked on Linux 6.18 (netns, raw SYNs; test/tcp/listen-pressure-linux.py):
 * backlog 16 keeps 17 requests with or without cookies, backlog 0 keeps one,
 * tcp_max_syn_backlog=8 without cookies keeps 7, with cookies it does not
 * matter; 12 requests in a backlog-20 queue lose 2 at the 7 s timeout.
 *
 * A request is a small request sock (RequestSock; Linux struct
 * tcp_request_sock): the addresses and ports, both ISNs, what the SYN
 * negotiated (MSS, window scale, SACK, timestamps with TS.Recent and the
 * offset), its SYN-ACK timeouts and retransmissions, and its expiry. It lives
 * only in the listener's SYN queue; the listener's timer heap runs every
 * request's SYN-ACK timer (reqsk_timer_handler: the driver keeps one timer on
 * `nextDeadline()`), and what requests send waits in the listener's
 * `pollTransmit()`, with the addresses it goes between. A segment for a request
 * is checked as tcp_check_req does. Only the ACK that completes the handshake
 * makes a Connection (tcp_v4_syn_recv_sock → tcp_create_openreq_child), in
 * the state a full socket in SYN_RECV would have reached, which then takes the
 * ACK (tcp_child_process). Every request's SYN-ACK has the window and options
 * of a SYN-ACK shape (#shape): one per combination of options the SYN
 * offered, made once by a scratch connection, the timestamps filled in per
 * segment; SYN cookies use the same shapes. bench/pressure.js: about 370
 * bytes per request through a host (Linux's tcp_request_sock: 312); it was
 * 3.1 KB when a request was a whole Connection.
 *
 * Linux is followed there except: the SYN queue is keyed by the remote
 * endpoint only, so a listener on 0.0.0.0 holds one request per peer address
 * and port whichever local address it used; TCP_DEFER_ACCEPT applies to the
 * SYN queue's requests, not to a SYN cookie's ACK (which makes its socket at
 * once).
 */

import type { Time } from '../sim/time.js';
import { formatIpv4Address, type Ipv4Address } from '../wire/address.js';
import { type Seq, seq, seqAdd, seqLe } from '../wire/seq.js';
import { ACK, FIN, RST, SYN, type TcpSegment, tcpSegmentLength } from '../wire/tcp.js';
import type { TcpOption } from '../wire/tcp-options.js';
import {
  jiffies,
  msecsToJiffies,
  TCP_RTO_MAX,
  TCP_TIMEOUT_INIT,
  tcpClockMs,
  timerFireTime,
} from './clock.js';
import { type CongestionControl, defaultCongestionControl } from './congestion.js';
import { Connection, secureTcpTsOff, type TcpEndpoint } from './connection.js';
import type { TcpDropReason } from './drop.js';
import { negotiate, tcpRcvChild } from './input.js';
import type { TcpNet } from './net.js';
import {
  establishedOptions,
  parseReceivedOptions,
  type ReceivedOptions,
  receivedTsVal,
} from './options.js';
import { MAX_UNSCALED_WINDOW, tcpInitialWindow, tcpQueueSyn, tcpSendSynAck } from './output.js';
import { countReset, tcpResetFor } from './reset.js';
import { setState } from './state.js';
import {
  type CookieTuple,
  cookieCheck,
  cookieInitSequence,
  cookieInitTimestamp,
  cookieMssIndex,
  cookieTimestampDecode,
  cookieTsOffset,
} from './syncookies.js';
import type { TcpSysctl } from './sysctl.js';
import { tcpInWindow } from './timewait.js';

export interface ListenOptions {
  /** The address (0 for any) and port listened on. */
  readonly local: TcpEndpoint;
  /** listen(2)'s backlog, already capped by net.core.somaxconn. */
  readonly backlog: number;
  /** MTU of the route to peers (default 1500). */
  readonly mtu?: number;
  /**
   * The initcwnd metric of the route back to a peer (inet_csk_route_child_sock's
   * dst, read by tcp_init_cwnd), 0 for none; default none.
   */
  readonly initCwndFor?: (remote: Ipv4Address, local: Ipv4Address) => number;
  /**
   * The listening socket's sk_rcvbuf: SO_RCVBUF as set (doubled, `rcvBufLocked`),
   * or tcp_rmem[1] of when the socket was made (tcp_init_sock). Default:
   * tcp_rmem[1] now.
   */
  readonly rcvBuf?: number;
  readonly rcvBufLocked?: boolean;
  /** The listening socket's sk_sndbuf, which its children start with (sk_clone_lock); default: tcp_wmem[1] now. */
  readonly sndBuf?: number;
  /** The listening socket's congestion control (see Listener.caOps); default: tcp_congestion_control now. */
  readonly caOps?: CongestionControl;
  /** TCP_DEFER_ACCEPT in SYN-ACK timeouts (rskq_defer_accept); default 0, none. */
  readonly deferAccept?: number;
}

/** What the listener did with a segment. */
export type ListenVerdict =
  /** A new request in the SYN queue (its SYN-ACK waits in the listener's pollTransmit). */
  | { readonly request: RequestSock }
  /**
   * A handshake completed: the new connection, in the accept queue unless the
   * ACK was refused after all. `confirm`: the ACK acknowledged our SYN-ACK
   * (the next segment sent confirms the neighbour, sk_dst_confirm).
   */
  | { readonly child: Connection; readonly confirm: boolean }
  /** Answered with a reset. */
  | { readonly reply: TcpSegment; readonly drop: TcpDropReason }
  | { readonly drop: TcpDropReason }
  /** Taken by a request in the SYN queue (what it sends waits in pollTransmit). */
  | { readonly delivered: RequestSock }
  /** Answered with a SYN cookie: a SYN-ACK and no request sock. */
  | { readonly reply: TcpSegment; readonly cookie: true };

/** A segment a request sends, with the addresses it goes between (the listener serves many). */
export interface ListenerTransmit {
  readonly seg: TcpSegment;
  readonly src: number;
  readonly dst: number;
}

/**
 * The window and options of a SYN-ACK, timestamps to be filled in, and the
 * receive window and scale behind them (a request's in-window test and bare ACK).
 */
interface SynAckShape {
  readonly window: number;
  readonly options: readonly TcpOption[];
  /** Where in `options` the timestamps are (-1: none). */
  readonly tsIndex: number;
  readonly rcvWnd: number;
  readonly rcvWscale: number;
}

const EMPTY_PAYLOAD = new Uint8Array(0);
/**
 * The empty transmit queue, shared and frozen (a push onto it would throw):
 * a drained queue goes back to it rather than to a fresh array that its next
 * push grows (one SYN-ACK at a time is the usual case).
 */
const NO_TRANSMITS = Object.freeze([]) as unknown as ListenerTransmit[];

/** TCP_SYNCOOKIE_VALID: cookies are taken back while the last overflow is this recent (2 min). */
const TCP_SYNCOOKIE_VALID_NS = 2 * 60 * 1_000_000_000;

/** What a request's SYN negotiated (RequestSock.opts). */
const REQ_TSTAMP = 1;
const REQ_SACK = 2;
const REQ_WSCALE = 4;
/** In RequestSock's #opts above the window scale (bits 3..7): inet_rsk(req)->acked. */
const REQ_ACKED = 256;

/**
 * A request sock (Linux struct tcp_request_sock): a SYN the listener answered
 * with a SYN-ACK and keeps in its SYN queue until the final ACK, its timer or
 * a reset ends it. Small on purpose (issue 5: a SYN flood fills the queue).
 */
export class RequestSock {
  // The 32-bit values are kept as int32 (`| 0`), which V8 holds in the object
  // itself, and read back unsigned; small ones share a field. (A request is
  // what a SYN flood multiplies: issue 5 wants at most 400 bytes each.)
  /** The connection id the full socket will have (for traces and ss's order). */
  readonly id: number;
  #localAddr: number;
  #remoteAddr: number;
  readonly remotePort: number;
  #iss: number;
  #irs: number;
  #tsOffset: number;
  #tsRecent: number;
  /** When TS.Recent was stored, in seconds (ts_recent_stamp). */
  tsRecentStamp: number;
  /** The SYN's window field (high 16 bits) and MSS option (low 16 bits, 0 when none). */
  #windowMss: number;
  /** What was negotiated (REQ_*), and the SYN's window scale above them. */
  #opts: number;
  /** Its SYN-ACK's window and options. */
  readonly shape: SynAckShape;
  /** When the SYN came (the child's SYN_RECV begins then). */
  readonly created: Time;
  /** When the SYN-ACK was last sent. */
  sentAt: Time;
  /** When its timer fires (req->rsk_timer), undefined once gone. */
  expires: Time | undefined = undefined;
  /** Its place in the listener's timer heap (-1: not there), and when it was armed there (ties fire in arming order). */
  heapIndex = -1;
  armSeq = 0;
  /** SYN-ACK timeouts (num_timeout) and SYN-ACK retransmissions (num_retrans, the child's total_retrans). */
  numTimeout = 0;
  numRetrans = 0;
  /** When the first retransmission went, in ms (the child's retrans_stamp), -1 before. */
  retransStampMs = -1;
  /** The last out-of-window ACK (last_oow_ack_time), -1 before. */
  lastOowAck: Time = -1;

  constructor(
    id: number,
    localAddr: number,
    remote: TcpEndpoint,
    iss: Seq,
    tsOffset: number,
    syn: TcpSegment,
    o: ReceivedOptions,
    shape: SynAckShape,
    now: Time,
  ) {
    this.id = id;
    this.#localAddr = localAddr | 0;
    this.#remoteAddr = remote.addr | 0;
    this.remotePort = remote.port;
    this.#iss = iss | 0;
    this.#irs = syn.seq | 0;
    this.#tsOffset = tsOffset | 0;
    const ts = o.tsVal !== undefined;
    this.#tsRecent = ts ? o.tsVal! | 0 : 0;
    this.tsRecentStamp = ts ? nowSeconds(now) : 0;
    this.#windowMss = (syn.window << 16) | (o.mss ?? 0) | 0;
    this.#opts =
      (ts ? REQ_TSTAMP : 0) |
      (o.sackPermitted ? REQ_SACK : 0) |
      (o.wscale !== undefined ? REQ_WSCALE | (o.wscale << 3) : 0);
    this.shape = shape;
    this.created = now;
    this.sentAt = now;
  }

  /** The address the SYN came to (the listener's port is the local port). */
  get localAddr(): number {
    return this.#localAddr >>> 0;
  }

  get remoteAddr(): number {
    return this.#remoteAddr >>> 0;
  }

  /** Our ISN (snt_isn) and the peer's (rcv_isn). */
  get iss(): Seq {
    return this.#iss as Seq;
  }

  get irs(): Seq {
    return this.#irs as Seq;
  }

  /** The timestamp offset (ts_off). */
  get tsOffset(): number {
    return this.#tsOffset;
  }

  /** TS.Recent (ts_recent). */
  get tsRecent(): number {
    return this.#tsRecent;
  }

  set tsRecent(v: number) {
    this.#tsRecent = v | 0;
  }

  /** The window field of the SYN (snd_wnd of the child; never scaled). */
  get synWindow(): number {
    return this.#windowMss >>> 16;
  }

  /** The SYN's MSS option (mss_clamp), 0 when it had none. */
  get mss(): number {
    return this.#windowMss & 0xffff;
  }

  /** REQ_TSTAMP | REQ_SACK | REQ_WSCALE: what was negotiated. */
  get opts(): number {
    return this.#opts & 7;
  }

  /**
   * The peer's bare ACK came and was dropped while TCP_DEFER_ACCEPT waits for
   * data (inet_rsk(req)->acked): the handshake is complete on its side.
   */
  get acked(): boolean {
    return (this.#opts & REQ_ACKED) !== 0;
  }

  set acked(on: boolean) {
    this.#opts = on ? this.#opts | REQ_ACKED : this.#opts & ~REQ_ACKED;
  }

  /** The SYN's window scale (snd_wscale), when REQ_WSCALE. */
  get sndWscale(): number {
    return (this.#opts >> 3) & 31;
  }

  /** Always SYN_RECV for ss and netstat (Linux shows TCP_NEW_SYN_RECV so). */
  get state(): 'SYN_RECV' {
    return 'SYN_RECV';
  }

  get remote(): TcpEndpoint {
    return { addr: this.remoteAddr, port: this.remotePort };
  }

  get tstampOk(): boolean {
    return (this.opts & REQ_TSTAMP) !== 0;
  }
}

/** The SYN's options as #child hands them to negotiate, refilled for each child. */
const childOptions: { -readonly [K in keyof ReceivedOptions]: ReceivedOptions[K] } = {
  mss: undefined,
  wscale: undefined,
  sackPermitted: false,
  tsVal: undefined,
  tsEcr: 0,
  sack: undefined,
};

export class Listener {
  readonly net: TcpNet;
  readonly local: TcpEndpoint;
  backlog: number;
  readonly mtu: number;
  readonly #initCwndFor: ((remote: Ipv4Address, local: Ipv4Address) => number) | undefined;
  /**
   * The listening socket's congestion control, as `ss -i` shows it
   * (tcp_assign_congestion_control when socket() made it). Its children take the
   * namespace's tcp_congestion_control of when they are made
   * (tcp_ca_openreq_child), not this.
   */
  readonly caOps: CongestionControl;
  /**
   * sk_rcvbuf of the listening socket, and SOCK_RCVBUF_LOCK: the SYN-ACK's
   * window and scale come from it (tcp_openreq_init_rwin's tcp_full_space of
   * the listener), and each child starts with it (sk_clone_lock), not with
   * what tcp_rmem says when the SYN or the ACK comes (checked on the real
   * kernel: test/tcp/recordings/listener-rmem.sh).
   */
  #rcvBuf: number;
  #rcvBufLocked: boolean;
  /** sk_sndbuf of the listening socket: each child starts with it (sk_clone_lock). */
  readonly sndBuf: number;
  state: 'LISTEN' | 'CLOSE' = 'LISTEN';
  /** Requests in SYN_RECV, by remote endpoint (`key`: address × 65536 + port). */
  readonly synQueue = new SynQueue();
  /**
   * How many requests in the SYN queue have each remote port, 255 meaning
   * "maybe" (a count that reached it stays there until the queue is cleared):
   * a segment from a port with none skips the map. Under a SYN flood of random
   * ports that is most of them, and the lookup by an address × port key (a
   * double) was the costliest line of a cookie SYN. Made with the first request.
   */
  #portCounts: Uint8Array | undefined;
  /** Established connections waiting for accept(). */
  readonly acceptQueue: Connection[] = [];
  /** When a SYN last got a cookie (Linux tcp_synq_overflow: last_overflow). */
  lastOverflow: Time | undefined;
  /**
   * SYN-ACK shapes (#shape), for the sysctl table and rmem_max they were made
   * with (and the listener's receive buffer: setRcvBuf empties them).
   */
  readonly #shapes: (SynAckShape | undefined)[] = [];
  #shapesFor: TcpSysctl | undefined;
  #shapesRmemMax = -1;
  /** The synflood line was written to the kernel log (Linux queue->synflood_warned). */
  synFloodWarned = false;
  /**
   * TCP_DEFER_ACCEPT (icsk_accept_queue.rskq_defer_accept), in SYN-ACK
   * timeouts: until a request's timer has run that many times, the peer's
   * ACK without data is dropped, and the request waits for data (0: off).
   */
  deferAccept = 0;
  /**
   * Requests whose SYN-ACK timer has not fired yet (Linux queue->young): the
   * SYN-ACK timer prunes old requests when these are few (#requestTimer).
   */
  young = 0;
  /**
   * The requests' timers, as data: a min-heap of the requests by expiry, then
   * by the order they were armed in (RequestSock.heapIndex, armSeq).
   */
  readonly #timers: RequestSock[] = [];
  #armSeq = 0;
  /** What the requests send, until the driver polls it (the shared empty queue when nothing waits). */
  #tx: ListenerTransmit[] = NO_TRANSMITS;
  #txHead = 0;
  /**
   * The local endpoint of the last connection made, shared with the next one
   * on the same address (an endpoint is never written; one per connection was
   * an allocation each).
   */
  #childLocal: TcpEndpoint | undefined;

  constructor(net: TcpNet, options: ListenOptions) {
    this.net = net;
    this.local = options.local;
    this.backlog = options.backlog;
    this.mtu = options.mtu ?? 1500;
    this.deferAccept = options.deferAccept ?? 0;
    this.#initCwndFor = options.initCwndFor;
    this.caOps = options.caOps ?? defaultCongestionControl(net);
    this.#rcvBuf = options.rcvBuf ?? net.sysctl.tcp_rmem[1];
    this.#rcvBufLocked = options.rcvBufLocked ?? false;
    this.sndBuf = options.sndBuf ?? net.sysctl.tcp_wmem[1];
  }

  /** sk_rcvbuf of the listening socket (see #rcvBuf). */
  get rcvBuf(): number {
    return this.#rcvBuf;
  }

  get rcvBufLocked(): boolean {
    return this.#rcvBufLocked;
  }

  /** setsockopt(SO_RCVBUF) on the listening socket: later SYN-ACKs and children follow it. */
  setRcvBuf(bytes: number): void {
    this.#rcvBuf = bytes;
    this.#rcvBufLocked = true;
    // The SYN-ACK shapes were made with the old buffer.
    this.#shapes.length = 0;
  }

  /** Linux sk_acceptq_is_full: more than `backlog` waiting. */
  acceptQueueFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }

  /**
   * Linux inet_csk_reqsk_queue_is_full: more requests than the backlog
   * (`qlen > sk_max_ack_backlog`), so the SYN queue holds backlog + 1, as
   * linux-traces/syn-flood shows (129 SYN_RECV for a backlog of 128).
   */
  reqQueueFull(): boolean {
    return this.synQueue.size > this.backlog;
  }

  /**
   * Linux tcp_syn_flood_action: whether a SYN the SYN queue has no room for
   * (or any SYN, with tcp_syncookies=2) gets a cookie; counted, and told once
   * per listener in the kernel log (not with tcp_syncookies=2, where cookies
   * are the rule, not a sign of a flood).
   */
  #synFloodAction(now: Time): boolean {
    const syncookies = this.net.sysctl.tcp_syncookies;
    const wantCookie = syncookies !== 0;
    // Named increments: once per SYN in a flood, where net.count's keyed
    // store by a variable name cost a quarter of the cookie path.
    if (wantCookie) this.net.counters.TcpExtTCPReqQFullDoCookies++;
    else this.net.counters.TcpExtTCPReqQFullDrop++;
    if (!this.synFloodWarned && syncookies !== 2) {
      this.synFloodWarned = true;
      // pr_fmt "TCP: ", then "%s: Possible SYN flooding on port %pI4:%u. %s.\n"
      // with the request sock slab's name (net_info_ratelimited: KERN_INFO).
      const msg = wantCookie ? 'Sending cookies' : 'Dropping request';
      this.net.printk?.(
        now,
        'info',
        `TCP: request_sock_TCP: Possible SYN flooding on port ${formatIpv4Address(this.local.addr)}:${this.local.port}. ${msg}.`,
      );
    }
    return wantCookie;
  }

  /** Linux tcp_listendrop: a SYN (or the ACK ending a handshake) the listener could not take. */
  #listenDrop(now: Time, seg: TcpSegment): ListenVerdict {
    this.net.count('TcpExtListenDrops');
    return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
  }

  /** The next connection to accept, if any. */
  accept(): Connection | undefined {
    const c = this.acceptQueue.shift();
    if (c !== undefined) c.listener = undefined;
    return c;
  }

  /**
   * A segment arrived for this listener from `remote` to `localAddr` (the
   * address the peer used, which the child will answer from). `isn` is the
   * ISN a SYN that reopened a TIME_WAIT 4-tuple must use (the timewait sock's
   * `syn` verdict; Linux tcp_conn_request takes tcp_tw_isn).
   */
  handleSegment(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    isn?: Seq,
  ): ListenVerdict {
    const existing = this.#portCounts?.[remote.port]
      ? this.synQueue.get(remote.addr, remote.port, localAddr)
      : undefined;
    if (existing !== undefined) return this.#checkReq(existing, now, seg, true);
    this.net.counters.TcpInSegs++;
    const f = seg.flags;
    // "Reset the listener's ACK": an ACK for no request is answered with RST,
    // unless it brings back one of our SYN cookies (cookie_v4_check).
    if (f & ACK) {
      if (!(f & (SYN | RST))) {
        const v = this.#cookieAck(now, seg, remote, localAddr);
        if (v !== undefined) return v;
      }
      return this.#reset(now, seg, 'TCP_FLAGS');
    }
    if (f & RST) return { drop: this.net.drop(now, -1, 'TCP_RESET', seg) };
    if (!(f & SYN) || f & FIN) return { drop: this.net.drop(now, -1, 'TCP_FLAGS', seg) };
    if (this.state !== 'LISTEN') return this.#reset(now, seg, 'NO_SOCKET');
    // Linux tcp_conn_request: "if ((syncookies == 2 ||
    // inet_csk_reqsk_queue_is_full(sk)) && !isn)": a cookie or, without
    // cookies, a drop (tcp_syn_flood_action). A SYN that reopens a TIME_WAIT
    // 4-tuple is exempt: its peer is evidently real.
    const syncookies = this.net.sysctl.tcp_syncookies;
    let wantCookie = false;
    if ((syncookies === 2 || this.reqQueueFull()) && isn === undefined) {
      wantCookie = this.#synFloodAction(now);
      if (!wantCookie) return this.#listenDrop(now, seg);
    }
    // "if (sk_acceptq_is_full(sk)) { NET_INC_STATS(LISTENOVERFLOWS); goto drop; }"
    if (this.acceptQueueFull()) {
      this.net.count('TcpExtListenOverflows');
      return this.#listenDrop(now, seg);
    }
    // "Without syncookies last quarter of backlog is filled with destinations,
    // proven to be alive": with tcp_syncookies=0, once fewer than a quarter of
    // tcp_max_syn_backlog's places are free, a SYN from a peer tcp_metrics has
    // no RTT for is dropped (pr_drop_req, then drop_and_release).
    // DEVIATION(linux): tcplab keeps no tcp_metrics, so no peer is proven.
    if (!wantCookie && isn === undefined && syncookies === 0) {
      const maxSynBacklog = this.net.sysctl.tcp_max_syn_backlog;
      if (maxSynBacklog - this.synQueue.size < maxSynBacklog >> 2) {
        return this.#listenDrop(now, seg);
      }
    }
    if (wantCookie) return this.#cookieSynAck(now, seg, remote, localAddr);
    return { request: this.#newRequest(now, seg, remote, localAddr, isn) };
  }

  /**
   * Linux tcp_conn_request for a SYN the queue takes: a request sock (its ISN
   * drawn, or the timewait sock's; its timestamp offset, secure_tcp_ts_off),
   * hashed into the SYN queue (inet_csk_reqsk_queue_hash_add), its SYN-ACK
   * sent (tcp_v4_send_synack) and its timer started at TCP_TIMEOUT_INIT.
   */
  #newRequest(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    isn: Seq | undefined,
  ): RequestSock {
    const net = this.net;
    const id = net.nextId();
    const iss = seq(isn ?? net.isnRandom.uint32());
    const tsOffset = secureTcpTsOff(net, localAddr, remote.addr) | 0;
    const opts = parseReceivedOptions(seg, net.sysctl, undefined);
    const ts = opts.tsVal !== undefined;
    const shape = this.#shape(
      now,
      seg,
      remote,
      localAddr,
      ts,
      opts.sackPermitted,
      opts.wscale !== undefined,
    );
    const req = new RequestSock(id, localAddr, remote, iss, tsOffset, seg, opts, shape, now);
    this.#queueAdd(req);
    net.observer?.({ kind: 'state', time: now, id, from: 'CLOSE', to: 'SYN_RECV' });
    this.#sendSynAck(req, now);
    this.#arm(req, now, TCP_TIMEOUT_INIT);
    return req;
  }

  /** A request's SYN-ACK (tcp_make_synack): its shape, with our TSval and TS.Recent. */
  #sendSynAck(req: RequestSock, now: Time): void {
    const shape = req.shape;
    let options = shape.options;
    if (req.opts & REQ_TSTAMP) {
      options = withTimestamps(shape, (tcpClockMs(now) + req.tsOffset) | 0, req.tsRecent);
    }
    this.net.counters.TcpOutSegs++;
    this.#transmit(req, {
      srcPort: this.local.port,
      dstPort: req.remotePort,
      seq: req.iss,
      ack: seqAdd(req.irs, 1),
      flags: SYN | ACK,
      window: shape.window,
      urgentPointer: 0,
      options,
      payload: EMPTY_PAYLOAD,
    });
  }

  /**
   * Linux tcp_rtx_synack: the SYN-ACK again, counted as a retransmission
   * (TcpRetransSegs, the child's total_retrans and retrans_stamp).
   */
  #rtxSynAck(req: RequestSock, now: Time): void {
    if (req.retransStampMs < 0) req.retransStampMs = tcpClockMs(now);
    req.sentAt = now;
    req.numRetrans++;
    this.net.counters.TcpRetransSegs++;
    this.#sendSynAck(req, now);
  }

  #transmit(req: RequestSock, seg: TcpSegment): void {
    const t: ListenerTransmit = { seg, src: req.localAddr, dst: req.remoteAddr };
    if (this.#tx === NO_TRANSMITS) this.#tx = [t];
    else this.#tx.push(t);
  }

  /** The next segment a request sends, if any. */
  pollTransmit(): ListenerTransmit | undefined {
    if (this.#txHead === this.#tx.length) return undefined;
    const q = this.#tx;
    const t = q[this.#txHead++];
    if (this.#txHead === q.length) {
      this.#tx = NO_TRANSMITS;
      this.#txHead = 0;
    }
    return t;
  }

  // ---- The requests' timer (reqsk_timer_handler). ----

  /** Arms `req`'s timer `delta` jiffies from now (mod_timer on req->rsk_timer). */
  #arm(req: RequestSock, now: Time, delta: number): void {
    if (req.heapIndex >= 0) heapRemove(this.#timers, req);
    req.expires = timerFireTime(now, delta, this.net.timerWheel);
    req.armSeq = this.#armSeq++;
    heapAdd(this.#timers, req);
  }

  /** Stops `req`'s timer. */
  #disarm(req: RequestSock): void {
    if (req.heapIndex >= 0) heapRemove(this.#timers, req);
    req.expires = undefined;
  }

  /** The earliest instant a request's timer fires, or undefined when none is armed. */
  nextDeadline(): Time | undefined {
    return this.#timers[0]?.expires;
  }

  /** Runs the request timers due at `now`, each at its own instant, in the order they were armed. */
  handleTimeout(now: Time): void {
    const heap = this.#timers;
    for (let req = heap[0]; req !== undefined && req.expires! <= now; req = heap[0]) {
      const at = req.expires!;
      this.#disarm(req);
      this.#requestTimer(req, at);
    }
  }

  /**
   * Linux reqsk_timer_handler: resend the SYN-ACK after 1, 2, 4, ... s until
   * tcp_synack_retries were sent, then drop the request silently. When the SYN
   * queue is more than half full (`qlen << 1 > max(8, backlog)`), old requests
   * get fewer retries, down to 2: one less for each halving of the young
   * requests' share ("we reserve half of room for young embrions; and abort
   * old ones without pity").
   */
  #requestTimer(req: RequestSock, now: Time): void {
    let maxRetries = this.net.sysctl.tcp_synack_retries;
    const qlen = this.synQueue.size;
    if (qlen << 1 > Math.max(8, this.backlog)) {
      let young = this.young << 1;
      while (maxRetries > 2) {
        if (qlen < young) break;
        maxRetries--;
        young <<= 1;
      }
    }
    // syn_ack_recalc: with TCP_DEFER_ACCEPT, a request whose peer ACKed lives
    // until the deferring is over, and gets no SYN-ACK before its last timeout
    // ("start to resend on end of deferring period to give last chance for
    // data or ACK to create established socket").
    const defer = this.deferAccept;
    let expire = req.numTimeout >= maxRetries;
    let resend = true;
    if (defer !== 0) {
      expire = expire && (!req.acked || req.numTimeout >= defer);
      resend = !req.acked || req.numTimeout >= defer - 1;
    }
    // tcp_syn_ack_timeout: counted whether the request is resent or dropped.
    this.net.count('TcpExtTCPTimeouts');
    if (expire) {
      this.#dropRequest(req, now);
      return;
    }
    if (resend) {
      this.#rtxSynAck(req, now);
      this.net.count('TcpExtTCPSynRetrans');
    }
    if (req.numTimeout++ === 0) this.young--;
    // reqsk_timeout: the initial timeout << num_timeout, at most TCP_RTO_MAX.
    this.#arm(req, now, reqTimeout(req));
  }

  // ---- A segment for a request (tcp_minisocks.c tcp_check_req). ----

  /**
   * Linux tcp_check_req. `queued`: a request of the SYN queue (not the one a
   * SYN cookie stands for).
   */
  #checkReq(
    req: RequestSock,
    now: Time,
    seg: TcpSegment,
    queued: boolean,
    cookieMss?: number,
  ): ListenVerdict {
    const net = this.net;
    // A cookie's ACK was counted by handleSegment already (one segment, one
    // count: Linux counts TcpInSegs once, in tcp_v4_rcv).
    if (queued) net.counters.TcpInSegs++;
    const v = this.#checkReqVerdict(req, now, seg, queued, cookieMss);
    if (v === 'consumed') return { delivered: req };
    if (typeof v === 'string') return { drop: net.drop(now, req.id, v, seg) };
    return v;
  }

  #checkReqVerdict(
    req: RequestSock,
    now: Time,
    seg: TcpSegment,
    queued: boolean,
    cookieMss: number | undefined,
  ): TcpDropReason | 'consumed' | ListenVerdict {
    const net = this.net;
    // (Of the options, a request only reads the timestamp: no parsed record.)
    const tsVal = receivedTsVal(seg, req.tstampOk);
    const f = seg.flags & (SYN | ACK | RST | FIN);
    const pawsReject =
      tsVal !== undefined && req.tsRecent !== 0 && tcpPawsReject(req, now, tsVal, (f & RST) !== 0);
    // A retransmitted SYN: send the SYN-ACK again (rate limited), and restart its timer.
    if (seg.seq === req.irs && (seg.flags & (SYN | ACK | RST)) === SYN && !pawsReject) {
      if (!this.#oowRateLimited(req, now, seg)) {
        // inet_rtx_syn_ack → tcp_rtx_synack, then the timer restarts (mod_timer_pending).
        this.#rtxSynAck(req, now);
        net.count('TcpExtTCPSynRetrans');
        if (req.expires !== undefined) this.#arm(req, now, reqTimeout(req));
      }
      return 'consumed';
    }
    // RFC 9293 3.10.7.4 SYN-RECEIVED: an ACK of something not sent gets a reset
    // (Linux: "Invalid ACK: reset will be sent by listening socket").
    if (f & ACK && seg.ack !== seqAdd(req.iss, 1)) {
      this.#replyReset(req, seg);
      return 'TCP_FLAGS';
    }
    const rcvNxt = seqAdd(req.irs, 1);
    const end = seqAdd(seg.seq, tcpSegmentLength(seg));
    if (pawsReject || !tcpInWindow(seg.seq, end, rcvNxt, seqAdd(rcvNxt, req.shape.rcvWnd))) {
      // Out of window: ACK (rate limited, tcp_v4_reqsk_send_ack) and drop.
      if (!(f & RST) && !this.#oowRateLimited(req, now, seg)) this.#sendAck(req, now);
      if (pawsReject) net.count('TcpExtPAWSEstab');
      return pawsReject ? 'TCP_RFC7323_PAWS' : 'TCP_INVALID_SEQUENCE';
    }
    if (tsVal !== undefined && seqLe(seg.seq, rcvNxt)) {
      req.tsRecent = tsVal | 0;
      req.tsRecentStamp = nowSeconds(now);
    }
    let flags = f;
    // "Truncate SYN, it is out of window starting at rcv_isn + 1."
    if (seg.seq === req.irs) flags &= ~SYN;
    // RFC 9293: a RST or a SYN in the window ends the embryonic connection.
    if (flags & (RST | SYN)) {
      net.count('TcpAttemptFails');
      if (!(flags & RST)) this.#replyReset(req, seg);
      net.count('TcpExtEmbryonicRsts');
      this.#dropRequest(req, now);
      return flags & RST ? 'consumed' : 'TCP_INVALID_SYN';
    }
    if (!(flags & ACK)) return 'TCP_FLAGS';
    // "While TCP_DEFER_ACCEPT is active, drop bare ACK."
    if (req.numTimeout < this.deferAccept && end === rcvNxt) {
      req.acked = true;
      net.count('TcpExtTCPDeferAcceptDrop');
      return 'consumed';
    }
    // The handshake completes: the request becomes a full socket, if the
    // accept queue has room (tcp_v4_syn_recv_sock: "if (sk_acceptq_is_full(sk))
    // goto exit_overflow").
    if (this.acceptQueueFull()) {
      net.count('TcpExtListenOverflows');
      net.count('TcpExtListenDrops');
      if (net.sysctl.tcp_abort_on_overflow) {
        this.#replyReset(req, seg);
        net.count('TcpExtEmbryonicRsts');
        this.#dropRequest(req, now);
      }
      // tcp_abort_on_overflow = 0: the ACK is dropped; the SYN-ACK timer will
      // resend the SYN-ACK and the peer's next ACK may find room.
      return 'TCP_LISTEN_OVERFLOW';
    }
    if (queued) this.#queueRemove(req);
    this.#disarm(req);
    const child = this.#child(req, now, queued);
    if (cookieMss !== undefined) {
      // cookie_v4_check redoes tcp_select_initial_window with the cookie's MSS,
      // the msstab value without room for timestamps: 44 × 1460 = 64240 where
      // the request sock had 45 × 1448 (linux-traces/syn-flood: the cookie
      // connection's first window is 63 << 10, a request sock's 64 << 10).
      child.rcvWnd = tcpInitialWindow(child, cookieMss);
      child.rcvSsthresh = child.rcvWnd;
    }
    // tcp_child_process: the full socket takes the ACK (tcp_rcv_state_process).
    tcpRcvChild(child, now, seg);
    return { child, confirm: queued && child.sndUna !== req.iss };
  }

  /**
   * Linux tcp_v4_syn_recv_sock → tcp_create_openreq_child: the full socket of a
   * request, as it would be had it been in SYN_RECV since the SYN: the windows
   * and options the SYN negotiated, TS.Recent, its SYN-ACK in the
   * retransmission queue (sent when the request last sent it: the RTT sample
   * of a handshake without timestamps; flagged retransmitted if it was, as
   * Karn's rule wants), the retransmission counts. `announced`: the request's
   * SYN_RECV was already reported to the observer.
   */
  #child(req: RequestSock, now: Time, announced: boolean): Connection {
    const net = this.net;
    const remote = req.remote;
    let local = this.#childLocal;
    if (local === undefined || local.addr !== req.localAddr) {
      local = { addr: req.localAddr, port: this.local.port };
      this.#childLocal = local;
    }
    const child = new Connection(net, local, remote, {
      mtu: this.mtu,
      initCwnd: this.#initCwndFor?.(remote.addr, req.localAddr),
      iss: req.iss,
      tsOffset: req.tsOffset,
      id: req.id,
      rcvBuf: this.#rcvBufLocked ? this.#rcvBuf : undefined,
      rcvBufDefault: this.#rcvBuf,
      sndBufDefault: this.sndBuf,
    });
    child.isRequest = true;
    child.listener = this;
    // tcp_create_openreq_child: "newtp->segs_in = 1", the SYN.
    child.segsIn = 1;
    const created = req.created;
    if (announced) child.recordState('SYN_RECV', created);
    else setState(child, 'SYN_RECV', created);
    child.irs = req.irs;
    child.rcvNxt = seqAdd(req.irs, 1);
    child.rcvWup = child.rcvNxt;
    child.sndWnd = req.synWindow;
    child.maxWindow = req.synWindow;
    child.sndWl1 = req.irs;
    // (The options in a scratch object, refilled per child: negotiate only reads them.)
    const o = childOptions;
    o.mss = req.mss === 0 ? undefined : req.mss;
    o.wscale = req.opts & REQ_WSCALE ? req.sndWscale : undefined;
    o.sackPermitted = (req.opts & REQ_SACK) !== 0;
    o.tsVal = req.opts & REQ_TSTAMP ? req.tsRecent : undefined;
    negotiate(child, created, o, false);
    child.tsRecent = req.tsRecent;
    child.tsRecentStamp = req.tsRecentStamp;
    // tcp_create_openreq_child: the window and scale the SYN-ACK announced
    // (req->rsk_rcv_wnd, ireq->rcv_wscale: chosen when the SYN came), e.g.
    // 45 × 1448 = 65160, whatever tcp_rmem says now.
    child.rcvWscale = req.shape.rcvWscale;
    child.rcvWnd = req.shape.rcvWnd;
    child.rcvSsthresh = child.rcvWnd;
    child.windowClamp = MAX_UNSCALED_WINDOW << child.rcvWscale;
    child.rcvMss = Math.min(child.advMss, 536);
    // The SYN-ACK into the retransmission queue, as sent when the request last
    // sent it (it was built, sent and counted by the request: nothing is built
    // here; a fresh child has no ACK owed for tcp_event_ack_sent to clear).
    tcpQueueSyn(child, req.sentAt, true);
    const head = child.rtxQueue.head!;
    if (req.numRetrans > 0) {
      head.retrans = true;
      head.everRetransmitted = true;
      child.retransOut = 1;
      child.totalRetrans = req.numRetrans;
      child.retransStamp = req.retransStampMs;
    }
    child.numTimeout = req.numTimeout;
    if (req.lastOowAck >= 0) child.lastOowAckTime = req.lastOowAck;
    // tcp_create_openreq_child: a full socket, counted as a passive open.
    child.isRequest = false;
    net.counters.TcpPassiveOpens++;
    child.lrcvtime = now;
    child.lsndtime = now;
    child.rto = TCP_TIMEOUT_INIT;
    return child;
  }

  /** Linux tcp_v4_reqsk_send_ack: a bare ACK with the SYN-ACK's window, timestamps if agreed. */
  #sendAck(req: RequestSock, now: Time): void {
    const ts =
      req.opts & REQ_TSTAMP
        ? { tsVal: (tcpClockMs(now) + req.tsOffset) | 0, tsEcr: req.tsRecent }
        : undefined;
    const options = establishedOptions(ts, []);
    this.net.counters.TcpOutSegs++;
    this.#transmit(req, {
      srcPort: this.local.port,
      dstPort: req.remotePort,
      seq: seqAdd(req.iss, 1),
      ack: seqAdd(req.irs, 1),
      flags: ACK,
      window: req.shape.rcvWnd >> req.shape.rcvWscale,
      urgentPointer: 0,
      options,
      payload: EMPTY_PAYLOAD,
    });
  }

  /** tcp_v4_send_reset in answer to `seg`, from the request's addresses. */
  #replyReset(req: RequestSock, seg: TcpSegment): void {
    const rst = tcpResetFor(seg);
    if (rst === undefined) return;
    this.#transmit(req, rst);
    countReset(this.net.counters);
  }

  /**
   * Linux tcp_oow_rate_limited for a request (its last_oow_ack_time): at most
   * one answer per tcp_invalid_ratelimit to pure ACKs and SYNs out of window.
   */
  #oowRateLimited(req: RequestSock, now: Time, seg: TcpSegment): boolean {
    if (tcpSegmentLength(seg) !== 0 && !(seg.flags & SYN)) return false;
    if (req.lastOowAck >= 0) {
      const elapsed = jiffies(now) - jiffies(req.lastOowAck);
      if (elapsed >= 0 && elapsed < msecsToJiffies(this.net.sysctl.tcp_invalid_ratelimit)) {
        this.net.count('TcpExtTCPACKSkippedSynRecv');
        return true;
      }
    }
    req.lastOowAck = now;
    return false;
  }

  /**
   * Linux tcp_req_err (from tcp_v4_err): an ICMP error about a request's
   * SYN-ACK. One that does not quote its ISN is counted out of window; a net
   * or host unreachable, time exceeded or parameter problem drops the request
   * silently (tcp_listendrop: "POSIX does not want network errors returned
   * from accept()"). Returns whether a request of `remote` was found.
   */
  handleIcmpError(
    now: Time,
    remote: TcpEndpoint,
    localAddr: number,
    quotedSeq: Seq,
    abort: boolean,
  ): boolean {
    const req = this.synQueue.get(remote.addr, remote.port, localAddr);
    if (req === undefined) return false;
    if (quotedSeq !== req.iss) {
      this.net.count('TcpExtOutOfWindowIcmps');
    } else if (abort) {
      this.#dropRequest(req, now);
      this.net.count('TcpExtListenDrops');
    }
    return true;
  }

  /**
   * The SYN-ACK of a SYN answered with a cookie (tcp_conn_request with
   * want_cookie): built as a request sock's would be, with the cookie as ISN
   * and, with timestamps, the options in the TS value; the request is not kept
   * ("if (want_cookie) { reqsk_free(req); return 0; }"), so nothing retransmits it.
   */
  #cookieSynAck(now: Time, seg: TcpSegment, remote: TcpEndpoint, localAddr: number): ListenVerdict {
    const t = this.#tuple(remote, localAddr);
    const opts = parseReceivedOptions(seg, this.net.sysctl, undefined);
    const iss = cookieInitSequence(
      this.net,
      now,
      t,
      seg.seq,
      cookieMssIndex(opts.mss ?? TCP_MSS_DEFAULT),
    );
    // "if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options(&tmp_opt)":
    // without timestamps there is nowhere to keep SACK and the window scale.
    const ts = opts.tsVal !== undefined;
    const sack = ts && opts.sackPermitted;
    const wscale = ts ? opts.wscale : undefined;
    const shape = this.#shape(now, seg, remote, localAddr, ts, sack, wscale !== undefined);
    let options = shape.options;
    if (ts) {
      const tsVal = (cookieInitTimestamp(now, wscale, sack) + cookieTsOffset(this.net, t)) | 0;
      options = withTimestamps(shape, tsVal, opts.tsVal!);
    }
    this.lastOverflow = now;
    this.net.counters.TcpExtSyncookiesSent++;
    this.net.counters.TcpOutSegs++;
    return {
      reply: {
        srcPort: this.local.port,
        dstPort: remote.port,
        seq: iss,
        ack: seqAdd(seg.seq, 1),
        flags: SYN | ACK,
        window: shape.window,
        urgentPointer: 0,
        options,
        payload: EMPTY_PAYLOAD,
      },
      cookie: true,
    };
  }

  /**
   * What a SYN-ACK's window and options look like for a SYN with or without
   * timestamps, SACK and window scaling (tcp_openreq_init_rwin,
   * tcp_synack_options): made once by a scratch connection, then kept while
   * the sysctls stay the same. Requests and cookies alike then cost no socket
   * for it (the timestamp values are filled in per SYN-ACK).
   */
  #shape(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    ts: boolean,
    sack: boolean,
    wscale: boolean,
  ): SynAckShape {
    if (this.#shapesFor !== this.net.sysctl || this.#shapesRmemMax !== this.net.rmemMax) {
      this.#shapes.length = 0;
      this.#shapesFor = this.net.sysctl;
      this.#shapesRmemMax = this.net.rmemMax;
    }
    const k = (ts ? 1 : 0) | (sack ? 2 : 0) | (wscale ? 4 : 0);
    // By the options' bits (0..7): an array, not a Map, as every SYN asks.
    let shape = this.#shapes[k];
    if (shape === undefined) {
      const options: TcpOption[] = [];
      for (const o of seg.options) {
        if (o.kind === 'mss' || (ts && o.kind === 'timestamps')) options.push(o);
        else if (sack && o.kind === 'sackPermitted') options.push(o);
        else if (wscale && o.kind === 'wscale') options.push(o);
      }
      const syn: TcpSegment = { ...seg, options };
      const req = new Connection(this.net, { addr: localAddr, port: this.local.port }, remote, {
        mtu: this.mtu,
        iss: seq(0),
        tsOffset: 0,
        rcvBuf: this.#rcvBufLocked ? this.#rcvBuf : undefined,
        rcvBufDefault: this.#rcvBuf,
      });
      req.isRequest = true;
      req.irs = syn.seq;
      req.rcvNxt = seqAdd(syn.seq, 1);
      negotiate(req, now, parseReceivedOptions(syn, this.net.sysctl, undefined), false);
      req.rcvWnd = tcpInitialWindow(req, req.advMss - (req.tstampOk ? 12 : 0));
      req.windowClamp = MAX_UNSCALED_WINDOW << req.rcvWscale;
      tcpSendSynAck(req, now);
      const synAck = req.pollTransmit()!;
      // The scratch connection's own count: a SYN-ACK is counted when sent.
      this.net.counters.TcpOutSegs--;
      shape = {
        window: synAck.window,
        options: synAck.options,
        tsIndex: synAck.options.findIndex((o) => o.kind === 'timestamps'),
        rcvWnd: req.rcvWnd,
        rcvWscale: req.rcvWscale,
      };
      this.#shapes[k] = shape;
    }
    return shape;
  }

  /**
   * Linux cookie_v4_check for an ACK that found no request: when cookies were
   * sent lately (always with tcp_syncookies=2), a valid cookie makes the
   * connection, with the MSS, window scale and SACK it encodes; the ACK then
   * completes its handshake. Undefined when it is no cookie (it gets the RST).
   */
  #cookieAck(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
  ): ListenVerdict | undefined {
    const syncookies = this.net.sysctl.tcp_syncookies;
    if (syncookies === 0 || this.state !== 'LISTEN') return undefined;
    // tcp_synq_no_recent_overflow.
    if (
      syncookies !== 2 &&
      (this.lastOverflow === undefined || now - this.lastOverflow > TCP_SYNCOOKIE_VALID_NS)
    ) {
      return undefined;
    }
    const t = this.#tuple(remote, localAddr);
    const peerIsn = seqAdd(seg.seq, -1);
    const iss = seqAdd(seg.ack, -1);
    const mss = cookieCheck(this.net, now, t, peerIsn, iss);
    if (mss === undefined) {
      this.net.count('TcpExtSyncookiesFailed');
      return undefined;
    }
    const tsOffset = cookieTsOffset(this.net, t);
    const opts = parseReceivedOptions(seg, this.net.sysctl, { tstampOk: true });
    const options: TcpOption[] = [{ kind: 'mss', mss }];
    if (opts.tsVal !== undefined && opts.tsEcr !== 0) {
      if (!this.net.sysctl.tcp_timestamps) return undefined;
      const decoded = cookieTimestampDecode((opts.tsEcr - tsOffset) >>> 0);
      if (decoded.sack) {
        if (!this.net.sysctl.tcp_sack) return undefined;
        options.push({ kind: 'sackPermitted' });
      }
      options.push({ kind: 'timestamps', tsVal: opts.tsVal, tsEcr: 0 });
      if (decoded.wscale !== undefined) {
        if (!this.net.sysctl.tcp_window_scaling) return undefined;
        options.push({ kind: 'wscale', shift: decoded.wscale });
      }
    }
    this.net.count('TcpExtSyncookiesRecv');
    // tcp_v4_syn_recv_sock: "if (sk_acceptq_is_full(sk)) goto exit_overflow".
    if (this.acceptQueueFull()) {
      this.net.count('TcpExtListenOverflows');
      return this.#listenDrop(now, seg);
    }
    // The request the cookie stands for, as the SYN made it (cookie_tcp_reqsk_init);
    // its SYN-ACK was sent already (as the cookie), and the ACK completes it.
    const syn: TcpSegment = {
      ...seg,
      seq: peerIsn,
      ack: seq(0),
      flags: SYN,
      options,
      payload: EMPTY_PAYLOAD,
    };
    const synOpts = parseReceivedOptions(syn, this.net.sysctl, undefined);
    const shape = this.#shape(
      now,
      syn,
      remote,
      localAddr,
      synOpts.tsVal !== undefined,
      synOpts.sackPermitted,
      synOpts.wscale !== undefined,
    );
    const req = new RequestSock(
      this.net.nextId(),
      localAddr,
      remote,
      iss,
      tsOffset,
      syn,
      synOpts,
      shape,
      now,
    );
    return this.#checkReq(req, now, seg, false, mss);
  }

  #tuple(remote: TcpEndpoint, localAddr: number): CookieTuple {
    return { saddr: localAddr, daddr: remote.addr, sport: this.local.port, dport: remote.port };
  }

  #reset(now: Time, seg: TcpSegment, reason: TcpDropReason): ListenVerdict {
    const reply = tcpResetFor(seg);
    const drop = this.net.drop(now, -1, reason, seg);
    if (reply === undefined) return { drop };
    countReset(this.net.counters);
    return { reply, drop };
  }

  /** Linux inet_csk_reqsk_queue_hash_add → reqsk_queue_added: a young request. */
  #queueAdd(req: RequestSock): void {
    this.synQueue.add(req);
    this.#portCounts ??= new Uint8Array(65536);
    if (this.#portCounts[req.remotePort]! < 255) this.#portCounts[req.remotePort]!++;
    this.young++;
  }

  /** Linux reqsk_queue_removed: out of the SYN queue, and no longer young if it never timed out. */
  #queueRemove(req: RequestSock): void {
    if (!this.synQueue.delete(req)) return;
    const counts = this.#portCounts!;
    if (counts[req.remotePort]! < 255) counts[req.remotePort]!--;
    if (req.numTimeout === 0) this.young--;
  }

  /** Linux inet_csk_reqsk_queue_drop: the request goes, its timer with it. */
  #dropRequest(req: RequestSock, now: Time): void {
    this.#queueRemove(req);
    this.#disarm(req);
    this.net.observer?.({ kind: 'state', time: now, id: req.id, from: 'SYN_RECV', to: 'CLOSE' });
  }

  /** A child completed its handshake: into the accept queue. */
  established(conn: Connection): void {
    this.acceptQueue.push(conn);
  }

  /** A child went away (reset, aborted) before accept(). */
  forget(conn: Connection): void {
    const i = this.acceptQueue.indexOf(conn);
    if (i >= 0) this.acceptQueue.splice(i, 1);
  }

  /**
   * close() on the listener (Linux inet_csk_listen_stop): requests are dropped,
   * connections never accepted are aborted (tcp_disconnect: RST).
   */
  close(now: Time): void {
    this.state = 'CLOSE';
    for (const r of [...this.synQueue.values()]) this.#dropRequest(r, now);
    for (const c of [...this.acceptQueue]) {
      c.listener = undefined;
      c.disconnect(now);
    }
    this.synQueue.clear();
    this.#portCounts?.fill(0);
    this.young = 0;
    for (const r of this.#timers) r.heapIndex = -1;
    this.#timers.length = 0;
    this.acceptQueue.length = 0;
  }
}

/**
 * A SYN-ACK shape's options with these timestamps (a copy: the shape's list is
 * shared), by the shape's index rather than a search per SYN-ACK.
 */
function withTimestamps(shape: SynAckShape, tsVal: number, tsEcr: number): TcpOption[] {
  const options = shape.options.slice();
  if (shape.tsIndex >= 0) options[shape.tsIndex] = { kind: 'timestamps', tsVal, tsEcr };
  return options;
}

/** TCP_MSS_DEFAULT (include/net/tcp.h): the MSS of a SYN without the option. */
const TCP_MSS_DEFAULT = 536;
/** TCP_PAWS_WRAP and TCP_PAWS_MSL (include/net/tcp.h), in seconds. */
const TCP_PAWS_WRAP_S = 2147483;
const TCP_PAWS_MSL_S = 60;

function nowSeconds(now: Time): number {
  return Math.floor(now / 1e9);
}

/** reqsk_timeout: TCP_TIMEOUT_INIT << num_timeout, at most TCP_RTO_MAX. */
function reqTimeout(req: RequestSock): number {
  return Math.min(TCP_TIMEOUT_INIT * 2 ** req.numTimeout, TCP_RTO_MAX);
}

/** include/net/tcp.h tcp_paws_check(…, 0) and tcp_paws_reject, on a request's TS.Recent. */
function tcpPawsReject(req: RequestSock, now: Time, tsVal: number, rst: boolean): boolean {
  if (((req.tsRecent - tsVal) | 0) <= 0) return false;
  const sec = nowSeconds(now);
  if (sec >= req.tsRecentStamp + TCP_PAWS_WRAP_S) return false;
  if (req.tsRecent === 0) return false;
  // RFC 7323 5.3: a RST may carry an old timestamp once TS.Recent is an MSL old.
  if (rst && sec >= req.tsRecentStamp + TCP_PAWS_MSL_S) return false;
  return true;
}

/** A number that names a remote endpoint exactly (48 bits), cheaper than a string to build and hash. */
/**
 * The SYN queue's requests by 4-tuple, as Linux finds them in the established
 * hash (inet_ehash_insert of the request sock): by the remote address and port
 * first, then the local address (a wildcard listener answers on every address
 * of the host). A remote port with requests to two local addresses at once is
 * rare: the second and later are kept aside, so that a request costs no more
 * than one map entry.
 */
export class SynQueue {
  readonly #byRemote = new Map<number, RequestSock>();
  /** Requests whose remote address and port a request in #byRemote has too. */
  #aside: RequestSock[] = [];

  get size(): number {
    return this.#byRemote.size + this.#aside.length;
  }

  *values(): IterableIterator<RequestSock> {
    yield* this.#byRemote.values();
    yield* this.#aside;
  }

  get(remoteAddr: number, remotePort: number, localAddr: number): RequestSock | undefined {
    const r = this.#byRemote.get(remoteKey(remoteAddr, remotePort));
    if (r === undefined || r.localAddr === localAddr >>> 0) return r;
    for (const a of this.#aside) {
      if (
        a.remotePort === remotePort &&
        a.remoteAddr === remoteAddr >>> 0 &&
        a.localAddr === localAddr >>> 0
      ) {
        return a;
      }
    }
    return undefined;
  }

  add(req: RequestSock): void {
    const k = remoteKey(req.remoteAddr, req.remotePort);
    if (this.#byRemote.has(k)) this.#aside.push(req);
    else this.#byRemote.set(k, req);
  }

  /** Takes `req` out; false if it was not in. */
  delete(req: RequestSock): boolean {
    const k = remoteKey(req.remoteAddr, req.remotePort);
    if (this.#byRemote.get(k) === req) {
      this.#byRemote.delete(k);
      // One set aside for the same remote takes its place.
      const i = this.#aside.findIndex((a) => remoteKey(a.remoteAddr, a.remotePort) === k);
      if (i >= 0) this.#byRemote.set(k, this.#aside.splice(i, 1)[0]!);
      return true;
    }
    const i = this.#aside.indexOf(req);
    if (i < 0) return false;
    this.#aside.splice(i, 1);
    return true;
  }

  clear(): void {
    this.#byRemote.clear();
    this.#aside = [];
  }
}

function remoteKey(addr: number, port: number): number {
  return (addr >>> 0) * 65536 + port;
}

/** Whether `a`'s timer fires before `b`'s (same instant: armed first). */
function before(a: RequestSock, b: RequestSock): boolean {
  return a.expires! < b.expires! || (a.expires === b.expires && a.armSeq < b.armSeq);
}

function heapAdd(h: RequestSock[], req: RequestSock): void {
  h.push(req);
  siftUp(h, h.length - 1, req);
}

function heapRemove(h: RequestSock[], req: RequestSock): void {
  const i = req.heapIndex;
  req.heapIndex = -1;
  const last = h.pop()!;
  if (last === req) return;
  // The last entry fills the hole, then moves up or down to its place.
  if (i > 0 && before(last, h[(i - 1) >> 1]!)) siftUp(h, i, last);
  else siftDown(h, i, last);
}

function siftUp(h: RequestSock[], i: number, req: RequestSock): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = h[p]!;
    if (!before(req, parent)) break;
    h[i] = parent;
    parent.heapIndex = i;
    i = p;
  }
  h[i] = req;
  req.heapIndex = i;
}

function siftDown(h: RequestSock[], i: number, req: RequestSock): void {
  const n = h.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && before(h[r]!, h[l]!) ? r : l;
    const child = h[c]!;
    if (!before(child, req)) break;
    h[i] = child;
    child.heapIndex = i;
    i = c;
  }
  h[i] = req;
  req.heapIndex = i;
}
