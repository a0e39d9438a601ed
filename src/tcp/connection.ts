/**
 * One TCP connection: the state Linux keeps in a `struct tcp_sock` (with its
 * inet_connection_sock), and the calls that drive it. Read RFC 9293 3.3 (the
 * sequence variables) and STYLE.md 4 first.
 *
 * The engine is handed time and hands back work:
 *
 *     conn.handleSegment(now, seg);                 // a segment for this connection
 *     conn.handleTimeout(now);                      // its deadline has come
 *     for (let s; (s = conn.pollTransmit()); ) …    // segments to send, in order
 *     for (let e; (e = conn.pollEvent()); ) …       // what the application should hear
 *     const wake = conn.nextDeadline();             // when to call handleTimeout
 *
 * and the application side is `send`, `recv`, `shutdown`, `close`, `abort`. The
 * fields are public and mutable, as a tcp_sock's are to tcp_input.c and
 * tcp_output.c, which live here as input.ts and output.ts; only `setState`
 * writes `state`.
 */

import type { Time } from '../sim/time.js';
import type { Ipv4Address } from '../wire/address.js';
import { type Seq, seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../wire/seq.js';
import type { TcpSegment } from '../wire/tcp.js';
import type { SackBlock } from '../wire/tcp-options.js';
import { OutOfOrderQueue, ReceiveQueue, SendBuffer, TCP_DEFAULT_SCALING_RATIO } from './buffers.js';
import { TCP_TIMEOUT_INIT } from './clock.js';
import {
  type CongestionControl,
  type CubicState,
  TCP_INIT_CWND,
  tcpCongestionInit,
  tcpPacketsInFlight,
} from './congestion.js';
import type { TcpDropReason } from './drop.js';
import { type TcpError, tcpError } from './errors.js';
import { type IcmpError, tcpV4Err } from './icmp.js';
import { sndBufWriteable, tcpRcv, tcpRcvSpaceAdjust } from './input.js';
import type { Listener } from './listen.js';
import type { TcpNet } from './net.js';
import { initialWscale } from './options.js';
import { orphanAdopt, orphanRelease, tcpCheckOom } from './orphans.js';
import {
  dataEnd,
  inPingpongMode,
  tcpChronoStart,
  tcpCleanupRbuf,
  tcpConnect,
  tcpPushOne,
  tcpPushPendingFrames,
  tcpSendActiveReset,
  tcpSendFin,
  tcpSlowStartAfterIdleCheck,
} from './output.js';
import { tcpRateCheckAppLimited } from './rate.js';
import { newRttState, type RttState } from './rtt.js';
import { RtxQueue } from './rtx-queue.js';
import {
  type StateTransition,
  setState,
  TCP_STATE_NUMBERS,
  TCP_STATES,
  type TcpState,
  tcpStateNumber,
} from './state.js';
import { tsOffsetOf } from './syncookies.js';
import {
  armKeepalive,
  clearAllTimers,
  newTimerTable,
  runTimers,
  type TimerTable,
  tcpKeepidleChanged,
  tcpOrphanFinWait2,
  timerDeadline,
} from './timers.js';
import type { TimeWaitSock } from './timewait.js';

export interface TcpEndpoint {
  readonly addr: Ipv4Address;
  readonly port: number;
}

/** What the application hears. */
export type TcpEvent =
  /** The handshake completed: connect() returns, or the connection can be accepted. */
  | { readonly kind: 'connected' }
  /** Bytes arrived for recv(). */
  | { readonly kind: 'readable' }
  /** The peer's FIN arrived: after the bytes queued, recv() reads end of file. */
  | { readonly kind: 'eof' }
  /** Room appeared in the send buffer. */
  | { readonly kind: 'writable' }
  /** The connection failed (refused, reset, timed out): sk_err. */
  | { readonly kind: 'error'; readonly error: TcpError }
  /** The connection reached CLOSE and holds nothing any more. */
  | { readonly kind: 'closed' };

/** The events without data, shared: an event is a value the application only reads. */
export const TCP_EVENT_CONNECTED: TcpEvent = Object.freeze({ kind: 'connected' });
export const TCP_EVENT_READABLE: TcpEvent = Object.freeze({ kind: 'readable' });
export const TCP_EVENT_EOF: TcpEvent = Object.freeze({ kind: 'eof' });
/**
 * What each skb of the send queues costs beyond its payload (include/net/sock.h,
 * skbuff.h): tcp_stream_alloc_skb's skb->truesize = SKB_TRUESIZE(head), on
 * x86_64 a 320-byte head (MAX_TCP_HEADER's small-head allocation less
 * skb_shared_info) + SKB_DATA_ALIGN(sizeof(struct sk_buff)) 256 +
 * SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) 320.
 */
export const SKB_TX_OVERHEAD = 896;

/** GSO_LEGACY_MAX_SIZE - 1 - MAX_TCP_HEADER (x86_64): the largest skb tcp_sendmsg builds. */
const GSO_SIZE_GOAL_MAX = 65536 - 1 - 320;

export const TCP_EVENT_WRITABLE: TcpEvent = Object.freeze({ kind: 'writable' });
export const TCP_EVENT_CLOSED: TcpEvent = Object.freeze({ kind: 'closed' });

const NO_TRANSITIONS: number[] = [];
const TCP_CLOSE_NUMBER = TCP_STATE_NUMBERS.CLOSE;

/**
 * The empty queues, shared: most connections are idle and hold none of their
 * own. Frozen, so that a push onto one throws rather than reach every
 * connection: the first push puts a fresh array in its place, and a queue
 * that empties goes back to the shared one.
 */
export const NO_TX_SEGMENTS = new RtxQueue(Object.freeze([]) as unknown as TxSegment[]);
export const NO_SKBS = Object.freeze([]) as unknown as TxSkb[];
export const NO_SACK_BLOCKS: readonly SackBlock[] = Object.freeze([]);
/** minRttUs before any sample (Linux's ~0U: tcp_get_info reports none). */
export const NO_MIN_RTT_US = 0x3fffffff;
const NO_SEGMENTS = Object.freeze([]) as unknown as TcpSegment[];
const NO_EVENTS = Object.freeze([]) as unknown as TcpEvent[];
/** tcp_info's chrono times before any was timed (a connection that never sent data). */
export const NO_CHRONO_STAT = Object.freeze([0, 0, 0]) as unknown as [number, number, number];

export interface ConnectOptions {
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;
  /** Path MTU: the MSS we announce is MTU - 40 (default 1500, so 1460). */
  readonly mtu?: number;
  /** The route's initcwnd metric (RTAX_INITCWND; default: TCP_INIT_CWND, 10). */
  readonly initCwnd?: number;
  /** The initial sequence number; default drawn from the namespace's ISN stream. */
  readonly iss?: number;
  /** The timestamp offset; default the namespace's keyed function of the two addresses (secureTcpTsOff). */
  readonly tsOffset?: number;
  /**
   * TS.Recent and its stamp (seconds) inherited from the timewait sock whose
   * 4-tuple connect() reuses (tcp_twsk_unique): the SYN echoes it, and the
   * initial window is chosen for an MSS less the timestamps (tcp_connect_init).
   */
  readonly tsRecent?: { readonly value: number; readonly stamp: number };
  /** TCP_NODELAY. */
  readonly noDelay?: boolean;
  /** SO_KEEPALIVE. */
  readonly keepAlive?: boolean;
  /** TCP_MAXSEG: an upper bound on the MSS (announced and used). */
  readonly userMss?: number;
  /** SO_RCVBUF as set (doubled): the receive buffer, locked against autotuning. */
  readonly rcvBuf?: number;
  /**
   * sk_rcvbuf when SO_RCVBUF was not set: tcp_rmem[1] when the socket was made
   * (tcp_init_sock), or the listener's for its child (sk_clone_lock). Default:
   * tcp_rmem[1] now.
   */
  readonly rcvBufDefault?: number;
  /**
   * sk_sndbuf as the socket got it: tcp_wmem[1] when socket() made it, or the
   * listener's for its child (sk_clone_lock). Default: tcp_wmem[1] now.
   */
  readonly sndBufDefault?: number;
  /**
   * The socket's congestion control: tcp_init_sock's
   * tcp_assign_congestion_control, when socket() made it. Default: the
   * namespace's tcp_congestion_control now.
   */
  readonly caOps?: CongestionControl;
  /** The id, when a request sock had it already (listen.ts); default a fresh one. */
  readonly id?: number;
}

/**
 * Receive-buffer autotuning state (Linux tp->rcvq_space and tp->rcv_rtt_est,
 * tcp_rcv_space_adjust): the bytes the application read in the last measured
 * RTT, copied_seq and the time when that measurement started; the receiver's
 * RTT estimate in µs × 8, the window-based sample in flight (the sequence that
 * ends it and its start), and the TSecr last sampled.
 */
export interface RcvSpace {
  space: number;
  seq: Seq;
  time: Time;
  rttUs8: number;
  rttSeq: Seq;
  rttTime: Time;
  lastTsecr: number;
}

/** A segment sent and not yet acknowledged (an skb of Linux's retransmit queue). */
/**
 * An skb of the write or retransmit queue, as a sequence range (data only: a
 * FIN rides on the last one, or alone after it, by `finSeq`), with its PSH
 * mark (tcp_mark_push; cleared when a later write appends to it).
 */
export interface TxSkb {
  start: Seq;
  end: Seq;
  psh: boolean;
}

export interface TxSegment {
  seq: Seq;
  /** seq + payload + SYN + FIN. */
  end: Seq;
  /** SYN, FIN and PSH as sent (a retransmission sends them again; ACK is added then). */
  flags: number;
  /** When it was last sent. */
  sentAt: Time;
  /** Ever retransmitted (Karn's rule: no RTT sample from it). */
  everRetransmitted: boolean;
  /** Marked lost (Linux TCPCB_LOST). */
  lost: boolean;
  /** Retransmitted since it was marked lost (Linux TCPCB_SACKED_RETRANS). */
  retrans: boolean;
  /** Selectively acknowledged by the peer (Linux TCPCB_SACKED_ACKED; sack.ts). */
  sacked: boolean;
  /**
   * The delivery state when it was last sent (tcp_skb_cb's tx, rate.ts):
   * tp->delivered, tp->delivered_mstamp (µs; -1 once SACKed or for none), the send phase's
   * start (first_tx_mstamp, µs), and whether the application was the limit.
   */
  txDelivered: number;
  txDeliveredUs: number;
  txFirstTxUs: number;
  txAppLimited: boolean;
}

/** The per-socket options a connection holds once one is set (Connection.overrides). */
export interface SockOverrides {
  keepaliveTime: number;
  keepaliveIntvl: number;
  keepaliveProbes: number;
  synRetries: number;
  linger2: number;
  userTimeoutMs: number;
  notsentLowat: number;
  sndBufLocked: number | undefined;
}

function newSockOverrides(): SockOverrides {
  return {
    keepaliveTime: 0,
    keepaliveIntvl: 0,
    keepaliveProbes: 0,
    synRetries: 0,
    linger2: 0,
    userTimeoutMs: 0,
    notsentLowat: 0,
    sndBufLocked: undefined,
  };
}

/**
 * What a connection holds only once something out of the ordinary happened,
 * and reads only then: loss and recovery (PRR, the SACK scoreboard's high
 * mark and cache, RACK's reordering history, retransmissions counted), a soft
 * error, an out-of-window ACK, a SYN-ACK timeout, a TIME_WAIT reopened. Made
 * on the first write of a value other than its default, so that a short or
 * idle connection neither builds nor keeps it; read and written through
 * Connection accessors of the same names, which give the default until then
 * (their meaning is documented there). State read on every segment stays in
 * fields: an accessor there costs a call where V8 does not inline it.
 */
interface RareState {
  softError: TcpError | undefined;
  totalRetrans: number;
  lastOowAckTime: Time | undefined;
  priorCwnd: number;
  prrDelivered: number;
  prrOut: number;
  highestSack: Seq | undefined;
  sackCache: SackBlock[];
  reordSeen: number;
  dsackDups: number;
  rackReoWndPersist: number;
  rackReoAdjustedAt: Time;
  numTimeout: number;
  reopenIsn: Seq | undefined;
  undoMarker: Seq | undefined;
  undoRetrans: number;
  priorSsthresh: number;
  frto: boolean;
  /** The route's initcwnd (tcp_init_cwnd's dst_metric(RTAX_INITCWND)); 0: none. */
  initCwndMetric: number;
}

function newRareState(): RareState {
  return {
    softError: undefined,
    totalRetrans: 0,
    lastOowAckTime: undefined,
    priorCwnd: 0,
    prrDelivered: 0,
    prrOut: 0,
    highestSack: undefined,
    sackCache: NO_SACK_BLOCKS as SackBlock[],
    reordSeen: 0,
    dsackDups: 0,
    rackReoWndPersist: 0,
    rackReoAdjustedAt: 0,
    numTimeout: 0,
    reopenIsn: undefined,
    undoMarker: undefined,
    undoRetrans: 0,
    priorSsthresh: 0,
    frto: false,
    initCwndMetric: 0,
  };
}

/** Linux's congestion-avoidance states (icsk_ca_state). */
export type CaState = 'Open' | 'Disorder' | 'Recovery' | 'Loss';

export class Connection {
  readonly net: TcpNet;
  readonly id: number;
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;

  #state: TcpState = 'CLOSE';
  /**
   * The connection's yes/no fields (wscaleOk, sackOk, orphan, ackPending, ...:
   * CONNECTION_FLAGS), one bit each, behind accessors of those names: one
   * number instead of a field apiece (Linux packs them into bitfields too).
   */
  flags = 0;
  /**
   * The state changes, packed as pairs of numbers (time, from × 16 + to in
   * Linux's state numbers): kept for every connection, read by few, so cheap to
   * record; `transitions` unpacks them.
   */
  #transitions: number[] = NO_TRANSITIONS;
  /** How many numbers of `#transitions` are used (two per change). */
  #transitionsUsed = 0;
  /** The state few connections need, from its first use (RareState). */
  #rare: RareState | undefined;
  /**
   * The timewait sock this connection became (TIME_WAIT, or an orphaned
   * FIN_WAIT2), while it lives: the connection mirrors its state (timewait.ts).
   */
  tw: TimeWaitSock | undefined;
  /** The error not yet taken by the application (Linux sk_err). */
  error: TcpError | undefined;
  /** An error that will be reported if the connection times out (Linux sk_err_soft). */
  get softError(): TcpError | undefined {
    const r = this.#rare;
    return r === undefined ? undefined : r.softError;
  }

  set softError(v: TcpError | undefined) {
    const r = this.#rare;
    if (r !== undefined) r.softError = v;
    else if (v !== undefined) this.#makeRare().softError = v;
  }

  // RFC 9293 3.3.1 send sequence variables.
  iss: Seq;
  sndUna: Seq;
  sndNxt: Seq;
  /** SND.WND in bytes (scaled). */
  sndWnd = 0;
  sndWl1: Seq;
  sndWl2: Seq;
  /** The largest window the peer ever offered (Linux max_window). */
  maxWindow = 0;
  /** The sequence number after the last byte (and FIN) the application queued (Linux write_seq). */
  writeSeq: Seq;
  /** The end of the last segment sent smaller than the MSS (Linux snd_sml, Minshall's Nagle). */
  sndSml: Seq;
  /** Bytes acknowledged over the connection's life (Linux bytes_acked). */
  bytesAcked = 0;

  // RFC 9293 3.3.1 receive sequence variables.
  irs: Seq = seq(0);
  rcvNxt: Seq = seq(0);
  /** RCV.WND as last announced, in bytes (Linux rcv_wnd) ... */
  rcvWnd = 0;
  /** ... from RCV.WUP (Linux rcv_wup: RCV.NXT when the window was last announced). */
  rcvWup: Seq = seq(0);

  // Negotiated options.
  /** The MSS we announce (Linux advmss; minus timestamps once negotiated). */
  advMss: number;
  /** The peer's MSS option, or 536 (Linux rx_opt.mss_clamp). */
  mssClamp = 536;
  /** The MSS we send with, options excluded (Linux mss_cache). */
  sndMss = 536;
  /** Our guess of the peer's MSS, for ACK decisions (Linux icsk_ack.rcv_mss). */
  rcvMss = 536;
  readonly mtu: number;
  readonly userMss: number | undefined;
  declare wscaleOk: boolean;
  sndWscale = 0;
  rcvWscale: number;
  declare sackOk: boolean;
  declare tstampOk: boolean;
  /**
   * Header prediction (Linux tp->pred_flags): the unscaled window a segment
   * must carry to take the fast path of ESTABLISHED, or -1 while it is off.
   */
  predWnd = -1;
  /** TS.Recent (RFC 7323 4.3) and when it was stored (seconds), for PAWS. */
  tsRecent = 0;
  tsRecentStamp = 0;
  readonly tsOffset: number;

  // Buffers.
  readonly sendBuffer: SendBuffer;
  rtxQueue: RtxQueue = NO_TX_SEGMENTS;
  readonly rcvQueue = new ReceiveQueue();
  readonly ofoQueue = new OutOfOrderQueue();
  /** Receive buffer in bytes (sk_rcvbuf, tcp_rmem[1]). */
  rcvBuf: number;
  /**
   * sk_sndbuf unless SO_SNDBUF is set (sndBufLocked): tcp_wmem[1] when the
   * socket was made, then only grown, by tcp_sndbuf_expand (tcpSndbufExpand).
   */
  sndBufUnlocked: number;
  /** The window growth limit (Linux rcv_ssthresh). */
  rcvSsthresh = 0;
  /** The largest window we will announce (Linux window_clamp). */
  windowClamp = 0;
  /**
   * The share of the receive buffer the window may offer, in 256ths (Linux
   * tp->scaling_ratio): one half until a segment shows its payload-to-truesize
   * ratio (tcp_measure_rcv_mss).
   */
  scalingRatio = TCP_DEFAULT_SCALING_RATIO;
  /** SO_RCVBUF was set (SOCK_RCVBUF_LOCK): rcvBuf is not autotuned. */
  declare rcvBufLocked: boolean;
  /** Receive-buffer autotuning, from the first data on (an idle connection holds none). */
  rcvSpace: RcvSpace | undefined;
  /** The FIN's sequence number once close() or shutdown() queued it (writeSeq is one past it). */
  finSeq: Seq | undefined;
  /** Linux pushed_seq: write_seq at the last push mark. */
  pushedSeq: Seq;
  /** The sequence number of a FIN that arrived out of order, held until the data before it is in. */
  ofoFin: Seq | undefined;
  /** The peer's FIN arrived (RCV_SHUTDOWN from the peer). */
  declare finReceived: boolean;
  /** shutdown(SHUT_WR) or close(): no more writes (SEND_SHUTDOWN). */
  declare sendShutdown: boolean;
  /** close() was called: nothing reads any more (RCV_SHUTDOWN from us; SOCK_DEAD). */
  declare orphan: boolean;
  /** Counted among the namespace's orphans (tcp_orphan_count, orphans.ts). */
  declare orphanCounted: boolean;
  declare noDelay: boolean;
  declare keepAlive: boolean;
  /** TCP_CORK (tp->nonagle & TCP_NAGLE_CORK): partial segments wait, whatever is in flight. */
  declare cork: boolean;
  /**
   * The socket options below, once one is set (most connections set none):
   * read and written through their accessors, which give 0 when none is.
   */
  overrides: SockOverrides | undefined;
  /**
   * TCP_KEEPIDLE and TCP_KEEPINTVL in seconds, TCP_KEEPCNT (tp->keepalive_time,
   * keepalive_intvl, keepalive_probes); 0 means the namespace's sysctl, as
   * keepalive_time_when() reads them.
   */
  declare keepaliveTime: number;
  declare keepaliveIntvl: number;
  declare keepaliveProbes: number;
  /** TCP_SYNCNT (icsk_syn_retries); 0 means net.ipv4.tcp_syn_retries. */
  declare synRetries: number;
  /**
   * TCP_LINGER2 (tp->linger2) in seconds: how long an orphaned FIN_WAIT2 lasts;
   * 0 means net.ipv4.tcp_fin_timeout, a negative value none at all (reset).
   */
  declare linger2: number;
  /** TCP_USER_TIMEOUT (icsk_user_timeout) in ms: how long data may stay unacknowledged; 0: none. */
  declare userTimeoutMs: number;
  /** TCP_NOTSENT_LOWAT (tp->notsent_lowat) in bytes; 0 means net.ipv4.tcp_notsent_lowat. */
  declare notsentLowat: number;
  /** A send() found the buffer full: the next ACK that frees room reports 'writable' (SOCK_NOSPACE). */
  declare writeBlocked: boolean;
  /** An ACK freed acknowledged data from the send buffer (SOCK_QUEUE_SHRUNK), for tcp_check_space. */
  declare queueShrunk: boolean;
  /**
   * The skbs of the write and retransmit queues, as sequence ranges (Linux
   * charges each its truesize in sk_wmem_queued): tcp_sendmsg fills the tail
   * skb up to size_goal, tso_fragment splits one where a transmission ends
   * inside it, an ACK frees the skbs it covers (and the acknowledged payload of
   * a partly acknowledged one, tcp_trim_head). tcp_write_xmit sends from the
   * skb at SND.NXT (output.ts); its PSH mark is the skb's.
   */
  skbs: TxSkb[] = NO_SKBS;
  /** How many skbs at the front of `skbs` are freed (acknowledged) and not yet removed. */
  skbsFreed = 0;
  /** Where skbIndexOf last found its skb (a search hint; any value is safe). */
  skbHint = 0;
  /** SO_SNDBUF as set (sk_sndbuf with SOCK_SNDBUF_LOCK): no tcp_sndbuf_expand. */
  get sndBufLocked(): number | undefined {
    return this.overrides?.sndBufLocked;
  }

  set sndBufLocked(bytes: number | undefined) {
    if (this.overrides === undefined) {
      if (bytes === undefined) return;
      this.overrides = newSockOverrides();
    }
    this.overrides.sndBufLocked = bytes;
  }

  /**
   * The chronograph of tcp_info's busy times (Linux tp->chrono_type,
   * chrono_start, chrono_stat, tcp_chrono_start/stop): what is being timed
   * (0 nothing, 1 busy, 2 limited by the peer's window, 3 by the send buffer),
   * since when (jiffies), and the jiffies each has had so far.
   */
  chronoType: 0 | 1 | 2 | 3 = 0;
  chronoStart = 0;
  chronoStat: [number, number, number] = NO_CHRONO_STAT;

  // Delayed ACK (Linux icsk_ack).
  /** An ACK is owed (inet_csk_schedule_ack). */
  declare ackPending: boolean;
  /** The next ACK must go now (ICSK_ACK_NOW). */
  declare ackNow: boolean;
  /**
   * A small segment (or a full one with PSH) came since the last ACK
   * (ICSK_ACK_PUSHED): a read that empties the queue ACKs at once, unless the
   * exchange is interactive (tcp_cleanup_rbuf).
   */
  declare ackPushed: boolean;
  /** A second such segment came (ICSK_ACK_PUSHED2): even an interactive read ACKs. */
  declare ackPushed2: boolean;
  /**
   * The payload of the last small segment that looked like the peer's MSS
   * with a SACK option less (icsk_ack.last_seg_size; tcp_measure_rcv_mss).
   */
  lastSegSize = 0;
  /** The ACK timeout in jiffies (icsk_ack.ato); 0 until the first data. */
  ato = 0;
  /** When data was last received (icsk_ack.lrcvtime). */
  lrcvtime: Time = 0;
  /** Quick ACKs left (icsk_ack.quick). */
  quick = 0;
  /** Interactive-exchange count (icsk_ack.pingpong). */
  pingpong = 0;
  /** When the armed delayed ACK expires, in jiffies (icsk_ack.timeout). */
  delackTimeout = 0;
  /** The D-SACK block to send with the next ACK (RFC 2883). */
  dsack: SackBlock | undefined;
  /** SACK blocks for out-of-order data, most recent first (Linux selective_acks). */
  selectiveAcks: readonly SackBlock[] = NO_SACK_BLOCKS;

  // Retransmission (icsk).
  readonly timers: TimerTable = newTimerTable();
  /** RTO in jiffies (icsk_rto). */
  rto = TCP_TIMEOUT_INIT;
  backoff = 0;
  /** Consecutive timeouts without progress (icsk_retransmits). */
  retransmits = 0;
  /** When the first retransmission went (the SYN: when it was first sent), in ms (retrans_stamp); undefined when none did. */
  retransStamp: number | undefined;
  get totalRetrans(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.totalRetrans;
  }

  set totalRetrans(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.totalRetrans = v;
    else if (v !== 0) this.#makeRare().totalRetrans = v;
  }

  /** Unanswered zero-window or keepalive probes (icsk_probes_out). */
  probesOut = 0;
  readonly rtt: RttState;
  /** When the last ACK was received (tp->rcv_tstamp), for keepalive. */
  rcvTstamp: Time = 0;
  /** When data was last sent (tp->lsndtime). */
  lsndtime: Time = 0;
  /**
   * When this socket last transmitted anything (tp->tcp_wstamp_ns without
   * pacing: __tcp_transmit_skb's max(tcp_wstamp_ns, tcp_clock_cache)), for
   * tcp_tso_should_defer's "last write was recent (1 ms)".
   */
  wstamp: Time = 0;
  /** Last out-of-window duplicate ACK (tp->last_oow_ack_time), per tcp_invalid_ratelimit. */
  get lastOowAckTime(): Time | undefined {
    const r = this.#rare;
    return r === undefined ? undefined : r.lastOowAckTime;
  }

  set lastOowAckTime(v: Time | undefined) {
    const r = this.#rare;
    if (r !== undefined) r.lastOowAckTime = v;
    else if (v !== undefined) this.#makeRare().lastOowAckTime = v;
  }

  // Congestion control (Reno/NewReno; congestion.ts).
  cwnd = 10;
  ssthresh = 0x7fffffff;
  cwndCnt = 0;
  caState: CaState = 'Open';
  /**
   * The retransmit timer holds a tail loss probe, not the RTO (Linux
   * icsk_pending == ICSK_TIME_LOSS_PROBE: both share icsk_retransmit_timer).
   */
  declare lossProbePending: boolean;
  /** SND.NXT when the last loss probe went out; undefined when none is outstanding (tp->tlp_high_seq). */
  tlpHighSeq: Seq | undefined;
  /** That probe retransmitted data rather than sending new data (tp->tlp_retrans). */
  declare tlpRetrans: boolean;
  highSeq: Seq;
  /** Duplicate ACKs standing in for SACKed segments (Reno's sacked_out). */
  sackedOut = 0;
  lostOut = 0;
  retransOut = 0;
  get priorCwnd(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.priorCwnd;
  }

  set priorCwnd(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.priorCwnd = v;
    else if (v !== 0) this.#makeRare().priorCwnd = v;
  }

  /**
   * The undo of a spurious recovery (congestion.ts): SND.UNA when the episode
   * began, undefined when there is nothing to undo (tp->undo_marker).
   */
  get undoMarker(): Seq | undefined {
    const r = this.#rare;
    return r === undefined ? undefined : r.undoMarker;
  }

  set undoMarker(v: Seq | undefined) {
    const r = this.#rare;
    if (r !== undefined) r.undoMarker = v;
    else if (v !== undefined) this.#makeRare().undoMarker = v;
  }

  /**
   * Retransmissions of the episode not yet shown needless by a D-SACK; -1
   * before the first (tp->undo_retrans: 0 means all were needless).
   */
  get undoRetrans(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.undoRetrans;
  }

  set undoRetrans(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.undoRetrans = v;
    else if (v !== 0) this.#makeRare().undoRetrans = v;
  }

  /** ssthresh before the episode, 0 when the undo may not restore it (tp->prior_ssthresh). */
  get priorSsthresh(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.priorSsthresh;
  }

  set priorSsthresh(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.priorSsthresh = v;
    else if (v !== 0) this.#makeRare().priorSsthresh = v;
  }

  /** F-RTO (RFC 5682) is judging the RTO under way (tp->frto). */
  get frto(): boolean {
    const r = this.#rare;
    return r === undefined ? false : r.frto;
  }

  set frto(v: boolean) {
    const r = this.#rare;
    if (r !== undefined) r.frto = v;
    else if (v) this.#makeRare().frto = v;
  }

  get prrDelivered(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.prrDelivered;
  }

  set prrDelivered(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.prrDelivered = v;
    else if (v !== 0) this.#makeRare().prrDelivered = v;
  }

  /**
   * Linux tcp_init_cwnd: the route's initcwnd metric, else TCP_INIT_CWND (10):
   * the window at establishment and after an idle restart.
   */
  get initCwnd(): number {
    const m = this.#rare?.initCwndMetric ?? 0;
    return m !== 0 ? m : TCP_INIT_CWND;
  }

  /** Sets the route's initcwnd metric (0: none). */
  set initCwndMetric(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.initCwndMetric = v;
    else if (v !== 0) this.#makeRare().initCwndMetric = v;
  }

  get prrOut(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.prrOut;
  }

  set prrOut(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.prrOut = v;
    else if (v !== 0) this.#makeRare().prrOut = v;
  }

  declare isCwndLimited: boolean;
  maxPacketsOut = 0;
  /**
   * tp->snd_cwnd_stamp (jiffies): when cwnd was last set by a reduction, a
   * restart or a validation that found it used; tp->snd_cwnd_used: the most
   * in flight since, while the application was the limit (tcp_cwnd_validate).
   */
  sndCwndStamp = 0;
  sndCwndUsed = 0;
  cwndUsageSeq: Seq;
  /** The congestion control this connection runs (icsk_ca_ops), chosen when it is made. */
  caOps: CongestionControl = 'cubic';
  /**
   * CUBIC's per-connection state (struct bictcp): undefined for Reno, and
   * until CUBIC first needs it (congestion.ts cubicOf).
   */
  cubic: CubicState | undefined;
  /**
   * bictcp_init ran at establishment (tcp_init_transfer) before the state was
   * made: cubicOf makes it as that left it.
   */
  declare cubicPending: boolean;
  /** Segments delivered over the connection's life (tp->delivered), for RACK's reo_wnd. */
  delivered = 0;
  /**
   * The delivery rate estimator (rate.ts): when the last delivery and the
   * latest send phase began (tp->delivered_mstamp, first_tx_mstamp, µs), the
   * app-limited bubble (tp->app_limited: delivered + in flight when the
   * application ran out; 0: none), and the rate kept (rate_delivered segments
   * over rate_interval_us, rate_app_limited).
   */
  deliveredUs = 0;
  firstTxUs = 0;
  /**
   * tp->app_limited. A new socket's is ~0U, "a bubble in the pipe until at
   * least the first ACK" (tcp_init_sock, tcp_create_openreq_child): -1 here,
   * which the first delivery clears as Linux's after(delivered, ~0U) does.
   */
  appLimited = -1;
  rateDelivered = 0;
  rateIntervalUs = 0;
  declare rateAppLimited: boolean;
  /** sk_pacing_rate in bytes per second (tcp_update_pacing_rate); -1 until set (~0UL). */
  pacingRate = -1;

  // tcp_info's counters (ss -i): RFC 4898 tcpEStats as Linux keeps them.
  /**
   * Segments the socket sent, retransmissions and pure ACKs included
   * (tp->segs_out; output.ts countSent). Not the resets of the control socket,
   * nor the SYN-ACK of a passive open (its request's).
   */
  segsOut = 0;
  /** Segments received by the socket (tp->segs_in; a passive open starts at 1, its SYN). */
  segsIn = 0;
  /** Of those, the ones that carried data (tp->data_segs_out, data_segs_in). */
  dataSegsOut = 0;
  dataSegsIn = 0;
  /** Payload bytes sent, retransmissions included, and retransmitted (tp->bytes_sent, bytes_retrans). */
  bytesSent = 0;
  bytesRetrans = 0;

  // SACK scoreboard (sack.ts) and RACK (rack.ts; RFC 8985).
  /** End of the highest SACKed segment (tcp_highest_sack_seq); undefined when nothing is SACKed. */
  get highestSack(): Seq | undefined {
    const r = this.#rare;
    return r === undefined ? undefined : r.highestSack;
  }

  set highestSack(v: Seq | undefined) {
    const r = this.#rare;
    if (r !== undefined) r.highestSack = v;
    else if (v !== undefined) this.#makeRare().highestSack = v;
  }

  /**
   * The SACK blocks the last ACK carrying valid ones had walked (sorted; Linux
   * recv_sack_cache): every segment wholly inside one is SACKed, until SACK
   * reneging, so walks jump over them (sack.ts).
   */
  get sackCache(): readonly SackBlock[] {
    const r = this.#rare;
    return r === undefined ? NO_SACK_BLOCKS : r.sackCache;
  }

  /** Makes the connection's sackCache, if empty (the shared empty list), an array of its own. */
  ownSackCache(): SackBlock[] {
    const r = this.#rare ?? this.#makeRare();
    if (r.sackCache === NO_SACK_BLOCKS) r.sackCache = [];
    return r.sackCache;
  }

  /** The reordering degree in segments (tp->reordering), from tcp_reordering. */
  reordering = 3;
  /** Reordering events seen (tp->reord_seen). */
  get reordSeen(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.reordSeen;
  }

  set reordSeen(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.reordSeen = v;
    else if (v !== 0) this.#makeRare().reordSeen = v;
  }

  /** Segments the peer's D-SACKs reported received twice (tp->dsack_dups), dubious ones included. */
  get dsackDups(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.dsackDups;
  }

  set dsackDups(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.dsackDups = v;
    else if (v !== 0) this.#makeRare().dsackDups = v;
  }

  /** Windowed minimum RTT in µs (tcp_min_rtt; 0x3fffffff, as ~0U, until a sample), and when it was taken. */
  minRttUs = NO_MIN_RTT_US;
  /** In jiffies, as Linux's minmax filter keeps it (tcp_jiffies32). */
  minRttStamp = 0;
  /** RACK.xmit_ts, RACK.end_seq, RACK.rtt of the most recently sent segment delivered (tp->rack). */
  rackMstamp: Time = 0;
  rackEndSeq: Seq;
  rackRttUs = 0;
  /** A delivery advanced RACK since the last loss scan (rack.advanced). */
  declare rackAdvanced: boolean;
  /** reo_wnd in min_rtt/4 steps, grown by D-SACKs (rack.reo_wnd_steps, reo_wnd_persist, dsack_seen), and when it last grew. */
  rackReoWndSteps = 1;
  get rackReoWndPersist(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.rackReoWndPersist;
  }

  set rackReoWndPersist(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.rackReoWndPersist = v;
    else if (v !== 0) this.#makeRare().rackReoWndPersist = v;
  }

  declare rackDsackSeen: boolean;
  get rackReoAdjustedAt(): Time {
    const r = this.#rare;
    return r === undefined ? 0 : r.rackReoAdjustedAt;
  }

  set rackReoAdjustedAt(v: Time) {
    const r = this.#rare;
    if (r !== undefined) r.rackReoAdjustedAt = v;
    else if (v !== 0) this.#makeRare().rackReoAdjustedAt = v;
  }

  /** Segments marked lost over the connection's life (tp->lost). */
  lost = 0;
  /** The retransmit timer holds RACK's reordering timer (icsk_pending == ICSK_TIME_REO_TIMEOUT). */
  declare reoTimeoutPending: boolean;

  // A passive connection before its final ACK is Linux's request sock
  // (listen.ts RequestSock); the Connection is made when the ACK completes it.
  /** Being made from a request sock: its SYN-ACK echoes what the SYN negotiated. */
  declare isRequest: boolean;
  /** The listener whose accept queue it is in, until accept(). */
  listener: Listener | undefined;
  /** SYN-ACK timeouts of the request it was made from (req->num_timeout). */
  get numTimeout(): number {
    const r = this.#rare;
    return r === undefined ? 0 : r.numTimeout;
  }

  set numTimeout(v: number) {
    const r = this.#rare;
    if (r !== undefined) r.numTimeout = v;
    else if (v !== 0) this.#makeRare().numTimeout = v;
  }

  /** For TIME_WAIT reuse by a new SYN: the ISN the new connection should use (tcp_tw_isn). */
  get reopenIsn(): Seq | undefined {
    const r = this.#rare;
    return r === undefined ? undefined : r.reopenIsn;
  }

  set reopenIsn(v: Seq | undefined) {
    const r = this.#rare;
    if (r !== undefined) r.reopenIsn = v;
    else if (v !== undefined) this.#makeRare().reopenIsn = v;
  }

  // Output to the host and to the application. Drained queues are replaced by
  // the shared empty one (an idle connection keeps no spare slots; cheaper
  // than truncating one). A queue holding one item is that item itself, not
  // an array of one: most flushes find a single segment or event, and the
  // array was an allocation each time.
  #txQueue: TcpSegment | TcpSegment[] = NO_SEGMENTS;
  #txHead = 0;
  #events: TcpEvent | TcpEvent[] = NO_EVENTS;
  #eventHead = 0;

  constructor(net: TcpNet, local: TcpEndpoint, remote: TcpEndpoint, o: ConnectionInit) {
    this.net = net;
    this.id = o.id ?? net.nextId();
    this.local = local;
    this.remote = remote;
    this.mtu = o.mtu ?? 1500;
    if (o.initCwnd !== undefined) this.initCwndMetric = o.initCwnd;
    this.userMss = o.userMss;
    this.iss = seq(o.iss ?? net.isnRandom.uint32());
    this.tsOffset = (o.tsOffset ?? secureTcpTsOff(net, local.addr, remote.addr)) | 0;
    if (o.tsRecent !== undefined) {
      this.tsRecent = o.tsRecent.value | 0;
      this.tsRecentStamp = o.tsRecent.stamp;
    }
    this.noDelay = o.noDelay ?? false;
    // tcp_init_sock: "tp->rate_app_limited = 1" (a child copies its listener's).
    this.rateAppLimited = true;
    this.keepAlive = o.keepAlive ?? false;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndWl1 = seq(0);
    this.sndWl2 = this.iss;
    this.writeSeq = seqAdd(this.iss, 1);
    this.pushedSeq = this.writeSeq;
    this.sndSml = this.iss;
    this.highSeq = this.iss;
    this.cwndUsageSeq = this.iss;
    this.rackEndSeq = this.iss;
    this.sendBuffer = new SendBuffer(seqAdd(this.iss, 1));
    this.rtt = newRttState(this.iss);
    // Linux tcp_connect_init / tcp_openreq_init_rwin: advmss from the route's MTU
    // (dst_metric_advmss: MTU - 40), clamped by TCP_MAXSEG.
    this.advMss = Math.min(this.mtu - 40, o.userMss ?? Number.POSITIVE_INFINITY);
    this.rcvBuf = o.rcvBuf ?? o.rcvBufDefault ?? net.sysctl.tcp_rmem[1];
    this.rcvBufLocked = o.rcvBuf !== undefined;
    this.sndBufUnlocked = o.sndBufDefault ?? net.sysctl.tcp_wmem[1];
    // tcp_select_initial_window: with SOCK_RCVBUF_LOCK the scale only has to
    // cover the window clamp, the buffer's worth (tcp_connect_init).
    this.rcvWscale = net.sysctl.tcp_window_scaling
      ? initialWscale(net.sysctl, net.rmemMax, o.rcvBuf === undefined ? undefined : o.rcvBuf >> 1)
      : 0;
    tcpCongestionInit(this);
    if (o.caOps !== undefined) this.caOps = o.caOps;
  }

  /** Active open: a connection in SYN_SENT whose SYN is waiting in pollTransmit (Linux tcp_v4_connect). */
  static connect(net: TcpNet, now: Time, options: ConnectOptions): Connection {
    const conn = new Connection(net, options.local, options.remote, options);
    tcpConnect(conn, now, options.tsRecent !== undefined);
    return conn;
  }

  /** The state (Linux sk_state); once a timewait sock took over, the sock's. */
  get state(): TcpState {
    if (this.tw !== undefined) this.#syncTimeWait();
    return this.#state;
  }

  /** Every state change, oldest first (a fresh array). */
  get transitions(): readonly StateTransition[] {
    if (this.tw !== undefined) this.#syncTimeWait();
    const packed = this.#transitions;
    const out: StateTransition[] = [];
    for (let i = 0; i < this.#transitionsUsed; i += 2) {
      const code = packed[i + 1]!;
      out.push({
        time: packed[i]!,
        from: TCP_STATES[(code >> 4) - 1]!,
        to: TCP_STATES[(code & 15) - 1]!,
      });
    }
    return out;
  }

  /** When the connection entered ESTABLISHED, or undefined if it never did. */
  establishedAt(): Time | undefined {
    const packed = this.#transitions;
    const to = TCP_STATE_NUMBERS.ESTABLISHED;
    for (let i = 0; i < this.#transitionsUsed; i += 2) {
      if ((packed[i + 1]! & 15) === to) return packed[i]!;
    }
    return undefined;
  }

  /** Sets the state and records the change: for setState (state.ts) and the timewait mirror only. */
  recordState(next: TcpState, time: Time): void {
    const n = this.#transitionsUsed;
    let t = this.#transitions;
    // The state left is the last change's `to` (CLOSE before any): no lookup by name.
    const from = n === 0 ? TCP_CLOSE_NUMBER : t[n - 1]! & 15;
    if (n === t.length) {
      // Room for the two changes of an open (an array literal of doubles
      // holds them unboxed; an idle connection keeps no more), then for the
      // four of a whole close at once (a literal too: concat is a runtime
      // call), then twice as many: not growing by one each time (a fresh
      // array per change was a cost of every short connection), nor by
      // push's 16 spare slots.
      if (n === 0) {
        t = [0.5, 0.5, 0.5, 0.5];
      } else if (n === 4) {
        const old = t;
        t = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
        t[0] = old[0]!;
        t[1] = old[1]!;
        t[2] = old[2]!;
        t[3] = old[3]!;
      } else {
        t = t.concat(t);
      }
      this.#transitions = t;
    }
    t[n] = time;
    t[n + 1] = from * 16 + tcpStateNumber(next);
    this.#transitionsUsed = n + 2;
    this.#state = next;
  }

  /**
   * Linux tcp_time_wait's end, tcp_done: a timewait sock (already in the table)
   * takes over; the connection keeps nothing but its mirror of it.
   */
  enterTimeWait(tw: TimeWaitSock): void {
    orphanRelease(this, tw.since);
    clearAllTimers(this.timers);
    this.rtxQueue = NO_TX_SEGMENTS;
    this.lostOut = 0;
    this.retransOut = 0;
    this.sackedOut = 0;
    this.ofoQueue.clear();
    this.selectiveAcks = NO_SACK_BLOCKS;
    this.sendBuffer.consumeTo(this.sendBuffer.endSeq);
    this.sendBuffer.release();
    this.tw = tw;
  }

  /**
   * Follows the timewait sock: its FIN_WAIT2 → TIME_WAIT, then its death
   * (recorded at the times they happened), then 'closed'.
   */
  #syncTimeWait(): void {
    const tw = this.tw;
    if (tw === undefined) return;
    if (tw.substate !== this.#state) this.recordState(tw.substate, tw.since);
    if (tw.alive) return;
    this.tw = undefined;
    this.recordState('CLOSE', tw.expires);
    this.emit(TCP_EVENT_CLOSED);
  }

  // ---- The engine side (STYLE.md 4). ----

  /**
   * A segment for this connection arrived. Returns why it was dropped, if it was;
   * 'reopen' when a TIME_WAIT connection gives way to a new SYN (RFC 1122 4.2.2.13,
   * Linux TCP_TW_SYN): the host then hands the SYN to its listener.
   */
  handleSegment(now: Time, seg: TcpSegment): TcpDropReason | 'reopen' | undefined {
    const tw = this.tw;
    if (tw?.alive) {
      // The host would have found the timewait sock; this connection stands in
      // for a host that has a listener for a reopening SYN.
      const table = this.net.timeWait;
      const v = table.handleSegment(tw, now, seg);
      let verdict: TcpDropReason | 'reopen' | undefined;
      switch (v.action) {
        case 'syn':
          this.reopenIsn = v.isn;
          table.reopen(tw, now);
          verdict = 'reopen';
          break;
        case 'ack':
          this.queueTransmit(v.reply);
          verdict = v.drop;
          break;
        case 'rst':
          if (v.reply !== undefined) this.queueTransmit(v.reply);
          verdict = v.drop;
          break;
        case 'none':
          verdict = v.drop;
          break;
      }
      this.#syncTimeWait();
      return verdict;
    }
    // tcp_v4_rcv's tcp_segs_in, before the segment is processed.
    this.segsIn++;
    if (seg.payload.length > 0) this.dataSegsIn++;
    return tcpRcv(this, now, seg);
  }

  /**
   * An ICMP error about one of our segments (Linux tcp_v4_err): fatal while
   * opening, remembered as a soft error once established. See icmp.ts.
   */
  handleIcmpError(now: Time, icmp: IcmpError): boolean {
    return tcpV4Err(this, now, icmp);
  }

  /** Runs the timers that are due at `now`. */
  handleTimeout(now: Time): void {
    const tw = this.tw;
    if (tw !== undefined) {
      if (tw.alive && tw.expires <= now) this.net.timeWait.expire(tw);
      this.#syncTimeWait();
      return;
    }
    runTimers(this, now);
  }

  pollTransmit(): TcpSegment | undefined {
    const q = this.#txQueue;
    if (q === NO_SEGMENTS) return undefined;
    if (!Array.isArray(q)) {
      this.#txQueue = NO_SEGMENTS;
      return q;
    }
    const s = q[this.#txHead++];
    if (this.#txHead === q.length) {
      this.#txQueue = NO_SEGMENTS;
      this.#txHead = 0;
    }
    return s;
  }

  /** Queues a segment for pollTransmit. */
  queueTransmit(seg: TcpSegment): void {
    const q = this.#txQueue;
    if (q === NO_SEGMENTS) this.#txQueue = seg;
    else if (Array.isArray(q)) q.push(seg);
    else this.#txQueue = [q, seg];
  }

  /** Puts a segment just sent at the tail of the retransmit queue. */
  queueRtx(s: TxSegment): void {
    if (this.rtxQueue === NO_TX_SEGMENTS) this.rtxQueue = RtxQueue.of(s);
    else this.rtxQueue.push(s);
  }

  pollEvent(): TcpEvent | undefined {
    const q = this.#events;
    if (q === NO_EVENTS) return undefined;
    if (!Array.isArray(q)) {
      this.#events = NO_EVENTS;
      return q;
    }
    const e = q[this.#eventHead++];
    if (this.#eventHead === q.length) {
      this.#events = NO_EVENTS;
      this.#eventHead = 0;
    }
    return e;
  }

  /** The earliest armed timer, or undefined when none is. */
  nextDeadline(): Time | undefined {
    // A timewait sock's timer; once it died, when it did (the mirror catches up then).
    if (this.tw !== undefined) return this.tw.expires;
    return timerDeadline(this.timers);
  }

  // ---- The application side. ----

  /** Bytes waiting to be read. */
  get readable(): number {
    return this.rcvQueue.length;
  }

  /** True when the peer's FIN arrived and every byte before it has been read. */
  get eof(): boolean {
    return this.finReceived && this.rcvQueue.length === 0;
  }

  /** Bytes queued and not yet acknowledged. */
  get unacknowledged(): number {
    return this.sendBuffer.length;
  }

  /**
   * sk_sndbuf, against which wmemQueued() is measured: SO_SNDBUF's doubled
   * value once set (SOCK_SNDBUF_LOCK), else tcp_wmem[1] of socket() grown by
   * tcp_sndbuf_expand (sndBufUnlocked).
   */
  get sndBuf(): number {
    return this.sndBufLocked ?? this.sndBufUnlocked;
  }

  /**
   * sk_wmem_queued: the truesize of the skbs queued, each its payload not yet
   * acknowledged plus SKB_TX_OVERHEAD. Frees the skbs an ACK covered first.
   */
  wmemQueued(): number {
    const skbs = this.skbs;
    let i = this.skbsFreed;
    while (i < skbs.length && seqLe(skbs[i]!.end, this.sndUna)) i++;
    if (i === skbs.length) {
      this.skbs = NO_SKBS;
      this.skbsFreed = 0;
      return this.sendBuffer.length;
    }
    // The freed skbs are removed in batches, not on every ACK (a splice per ACK
    // moved the whole queue each time).
    if (i > 64 && 2 * i > skbs.length) {
      skbs.copyWithin(0, i);
      skbs.length -= i;
      i = 0;
    }
    this.skbsFreed = i;
    return this.sendBuffer.length + SKB_TX_OVERHEAD * (skbs.length - i);
  }

  /**
   * The index in `skbs` of the skb holding `seq` (the first whose end is past
   * it), or skbs.length. The search starts where the last one ended
   * (skbHint): the send head moves forward one skb at a time, so a bulk
   * sender's queue of many skbs is not walked per transmission.
   */
  skbIndexOf(seq: Seq): number {
    const skbs = this.skbs;
    const n = skbs.length;
    let i = this.skbHint;
    if (i >= n || seqGt(skbs[i]!.start, seq)) {
      // The queue changed under the hint (emptied, or its front removed).
      i = n - 1;
      while (i > 0 && seqGt(skbs[i]!.start, seq)) i--;
      if (i < 0) i = 0;
    }
    while (i < n && !seqGt(skbs[i]!.end, seq)) i++;
    this.skbHint = i;
    return i;
  }

  /**
   * tso_fragment: a transmission that ended at `sentTo` inside an skb leaves
   * its unsent tail a new skb (charged a new overhead), which later writes fill.
   */
  tsoSplit(sentTo: Seq): void {
    const skbs = this.skbs;
    const i = this.skbIndexOf(sentTo);
    if (i === skbs.length) return;
    const b = skbs[i]!;
    if (!seqLt(b.start, sentTo)) return;
    // "PSH and FIN should only be set in the second packet."
    const tail: TxSkb = { start: sentTo, end: b.end, psh: b.psh };
    b.psh = false;
    b.end = sentTo;
    // At the end (the usual case) a push: splice returns a new array each time.
    if (i + 1 === skbs.length) skbs.push(tail);
    else skbs.splice(i + 1, 0, tail);
    this.skbHint = i + 1;
  }

  /** The connection's RareState, made now if it has none. */
  #makeRare(): RareState {
    const r = newRareState();
    this.#rare = r;
    return r;
  }

  /** Takes the pending error, if any (Linux sock_error). */
  takeError(): TcpError | undefined {
    const e = this.error;
    this.error = undefined;
    return e;
  }

  /**
   * Queues `data` for sending (Linux tcp_sendmsg). Returns how many bytes were
   * taken (0 when the buffer is full or the handshake has not completed: the
   * caller waits for 'writable' or 'connected'), or the error a write gets: the
   * pending error first, then EPIPE once this side or the connection is closed.
   * `resumed`: the rest of a blocking write that already queued part of it.
   */
  send(now: Time, data: Uint8Array, more = false, resumed = false): number | TcpError {
    const pending = this.takeError();
    if (pending) return pending;
    const st = this.state;
    if (this.sendShutdown || st === 'CLOSE' || st === 'TIME_WAIT') return tcpError('EPIPE');
    // tcp_sendmsg waits for the connection (sk_stream_wait_connect) outside
    // ESTABLISHED and CLOSE_WAIT.
    if (st !== 'ESTABLISHED' && st !== 'CLOSE_WAIT') return 0;
    // "is sending application-limited?" (once per write; Linux asks before it
    // waits for the connection, with the SYN in flight: the same bubble).
    tcpRateCheckAppLimited(this, tcpPacketsInFlight(this), seqDiff(this.writeSeq, this.sndNxt));
    // tcp_sendmsg_locked: copy into the tail skb while it has room below
    // size_goal; a new skb only while sk_stream_memory_free (sk_wmem_queued <
    // sk_sndbuf), else wait (sk_stream_wait_memory).
    const mss = Math.max(1, this.sndMss);
    const sizeGoal = this.sizeGoal(mss);
    let n = 0;
    while (n < data.length) {
      const skbs = this.skbs;
      // (Not skbs[-1] on an empty queue: a negative index is a slow named lookup.)
      let skb = skbs.length > 0 ? skbs[skbs.length - 1] : undefined;
      let room = 0;
      if (skb !== undefined && seqGe(skb.start, this.sndNxt) && skb.end === this.writeSeq) {
        room = sizeGoal - seqDiff(skb.end, skb.start);
      }
      if (skb === undefined || room <= 0) {
        // (wmemQueued may put the shared empty queue in place of the one read above.)
        if (this.wmemQueued() >= this.sndBuf || !this.notsentBelowLowat(0)) break;
        // tcp_skb_entail: a new skb is where an idle sender's window restarts.
        tcpSlowStartAfterIdleCheck(this, now);
        skb = { start: this.writeSeq, end: this.writeSeq, psh: false };
        if (this.skbs === NO_SKBS) this.skbs = [skb];
        else this.skbs.push(skb);
        room = sizeGoal;
      }
      const take = Math.min(room, data.length - n);
      // tcp_add_write_queue_tail: the first data queued unsent starts the busy chrono.
      if (!seqLt(this.sndNxt, dataEnd(this))) tcpChronoStart(this, now, 1);
      // (The whole write, as usual, without a view of it: a view is an allocation.)
      this.sendBuffer.append(take === data.length ? data : data.subarray(n, n + take));
      // "if (!copied) TCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_PSH": more follows the
      // mark; not for a blocking write going on after a wait (copied > 0 then).
      if (n === 0 && !resumed) skb.psh = false;
      this.writeSeq = seqAdd(this.writeSeq, take);
      skb.end = this.writeSeq;
      n += take;
      if (n === data.length || seqDiff(skb.end, skb.start) < sizeGoal) continue;
      // A full skb, more to copy: pushed when more than half the peer's largest
      // window went unpushed (forced_push), else sent if it is the send head.
      if (this.forcedPush()) {
        this.markPush();
        tcpPushPendingFrames(this, now, true);
      } else if (skb.start === this.sndNxt) {
        tcpPushOne(this, now);
      }
    }
    if (n < data.length) {
      this.writeBlocked = true;
      // wait_for_space: "tcp_push(sk, flags & ~MSG_MORE, mss_now, TCP_NAGLE_PUSH, size_goal)".
      if (n > 0) {
        this.markPush();
        tcpPushPendingFrames(this, now, true);
      }
    }
    if (n === 0) return 0;
    // tcp_push: the tail skb gets PSH, unless MSG_MORE says more follows ("if
    // (!(flags & MSG_MORE) || forced_push(tp)) tcp_mark_push"), and then the
    // push is corked ("if (flags & MSG_MORE) nonagle = TCP_NAGLE_CORK").
    if (!more || this.forcedPush()) this.markPush();
    tcpPushPendingFrames(this, now, false, more);
    return n;
  }

  /**
   * Linux tcp_stream_memory_free: the bytes written and not yet sent (write_seq
   * - snd_nxt), doubled for a wake-up (`wake` 1), are below TCP_NOTSENT_LOWAT
   * (tcp_notsent_lowat: the socket's, else net.ipv4.tcp_notsent_lowat).
   */
  notsentBelowLowat(wake: 0 | 1): boolean {
    const lowat = this.notsentLowat || this.net.sysctl.tcp_notsent_lowat;
    return seqDiff(this.writeSeq, this.sndNxt) * (wake + 1) < lowat;
  }

  /**
   * sk_write_space (sk_stream_write_space) outside an ACK: a writer waiting
   * for room (SOCK_NOSPACE) hears 'writable' if the socket is writeable now.
   */
  writeSpace(): void {
    if (this.writeBlocked && sndBufWriteable(this)) {
      this.writeBlocked = false;
      this.emit(TCP_EVENT_WRITABLE);
    }
  }

  /** Linux forced_push: more than half the peer's largest window was written since the last push mark. */
  forcedPush(): boolean {
    return seqGt(this.writeSeq, seqAdd(this.pushedSeq, this.maxWindow >> 1));
  }

  /**
   * tcp_xmit_size_goal: the payload of the skbs tcp_sendmsg builds, GSO's
   * largest bounded by half the peer's largest window (tcp_bound_to_half_wnd),
   * in whole MSS.
   */
  sizeGoal(mss: number): number {
    let goal = GSO_SIZE_GOAL_MAX;
    if (this.maxWindow > 536) goal = Math.min(goal, Math.max(this.maxWindow >> 1, 68 - 20));
    return Math.max(mss, Math.floor(goal / mss) * mss);
  }

  /**
   * setsockopt(SO_RCVBUF) on a connection (sock_setsockopt, __sock_set_rcvbuf):
   * sk_rcvbuf is `bytes` (already doubled) from now on, and SOCK_RCVBUF_LOCK
   * stops autotuning (tcp_rcv_space_adjust) and tcp_clamp_window.
   */
  setRcvBuf(bytes: number): void {
    this.rcvBuf = bytes;
    this.rcvBufLocked = true;
  }

  /**
   * Linux tcp_mark_push on the write queue's tail (tcp_push): the last unsent
   * skb gets PSH; pushed_seq moves to write_seq. No unsent skb, no mark.
   */
  markPush(): void {
    const skbs = this.skbs;
    const tail = skbs.length > 0 ? skbs[skbs.length - 1]! : undefined;
    if (tail === undefined || !seqGt(tail.end, this.sndNxt)) return;
    tail.psh = true;
    this.pushedSeq = this.writeSeq;
  }

  /**
   * Reads up to `max` bytes (Linux tcp_recvmsg), then lets the peer know about
   * the room it made when that is worth an ACK (tcp_cleanup_rbuf).
   */
  recv(now: Time, max = Number.POSITIVE_INFINITY): Uint8Array {
    const data = this.rcvQueue.read(max);
    if (data.length > 0) {
      tcpRcvSpaceAdjust(this, now);
      tcpCleanupRbuf(this, now, data.length);
    }
    return data;
  }

  /**
   * shutdown(SHUT_WR): send a FIN after the queued data; reading goes on
   * (Linux tcp_shutdown with tcp_close_state's table).
   */
  shutdown(now: Time): void {
    if (this.sendShutdown) return;
    this.sendShutdown = true;
    switch (this.state) {
      case 'ESTABLISHED':
      case 'SYN_RECV':
        setState(this, 'FIN_WAIT1', now);
        tcpSendFin(this, now);
        return;
      case 'CLOSE_WAIT':
        setState(this, 'LAST_ACK', now);
        tcpSendFin(this, now);
        return;
      case 'SYN_SENT':
        // tcp_close_state: SYN_SENT goes straight to CLOSE.
        tcpDone(this, now, false);
        return;
      default:
        return;
    }
  }

  /**
   * close() (Linux __tcp_close): unread data → RST and CLOSE (RFC 2525 2.17,
   * TcpExtTCPAbortOnClose); otherwise a FIN as tcp_close_state says, and the
   * socket is orphaned: an orphaned FIN_WAIT2 lasts tcp_fin_timeout.
   */
  close(now: Time): void {
    if (this.orphan) return;
    this.orphan = true;
    const unread = this.rcvQueue.clear();
    this.sendShutdown = true;
    if (this.state === 'CLOSE') {
      this.finish(now);
      return;
    }
    if (unread > 0) {
      this.net.count('TcpExtTCPAbortOnClose');
      setState(this, 'CLOSE', now);
      tcpSendActiveReset(this, now);
      this.finish(now);
      return;
    }
    switch (this.state) {
      case 'ESTABLISHED':
      case 'SYN_RECV':
        setState(this, 'FIN_WAIT1', now);
        tcpSendFin(this, now);
        break;
      case 'CLOSE_WAIT':
        setState(this, 'LAST_ACK', now);
        tcpSendFin(this, now);
        break;
      case 'SYN_SENT':
      case 'LISTEN':
        setState(this, 'CLOSE', now);
        this.finish(now);
        return;
      case 'TIME_WAIT':
        // Linux: the application's socket is already CLOSE; the timewait sock
        // lives on by itself until its timer.
        return;
      case 'FIN_WAIT1':
      case 'FIN_WAIT2':
      case 'LAST_ACK':
      case 'CLOSING':
        break;
    }
    if (this.state === 'FIN_WAIT2' && tcpOrphanFinWait2(this, now, false)) return;
    // (tcpOrphanFinWait2 may have closed it: the state is read afresh.)
    if (this.tw !== undefined || this.isClosed()) return;
    // __tcp_close: the connection lives on as an orphan; when there are too
    // many already, it is reset now, right after its FIN (tcp_check_oom).
    orphanAdopt(this, now);
    if (tcpCheckOom(this, now, 0)) {
      setState(this, 'CLOSE', now);
      tcpSendActiveReset(this, now);
      this.net.count('TcpExtTCPAbortOnMemory');
      this.finish(now);
    }
  }

  /**
   * close() with SO_LINGER { l_onoff: 1, l_linger: 0 } (Linux __tcp_close, which
   * counts TcpExtTCPAbortOnData and disconnects). Unread data makes it the
   * ordinary close() reset (TcpExtTCPAbortOnClose), as __tcp_close checks it first.
   */
  abort(now: Time): void {
    if (this.tw !== undefined) return;
    if (this.rcvQueue.length > 0) {
      this.close(now);
      return;
    }
    if (this.state !== 'CLOSE' && this.state !== 'TIME_WAIT')
      this.net.count('TcpExtTCPAbortOnData');
    this.disconnect(now);
  }

  /**
   * Linux tcp_disconnect (the ABORT call of RFC 9293 3.10.5): CLOSE at once, with
   * a RST in the states that need one (tcp_need_reset, or LAST_ACK/CLOSING with
   * data unsent). A listener closing drops its unaccepted connections this way.
   */
  disconnect(now: Time): void {
    // A timewait sock is not the application's any more (tcp_done ran).
    if (this.tw !== undefined) return;
    this.rcvQueue.clear();
    this.orphan = true;
    this.sendShutdown = true;
    const old = this.state;
    if (old === 'TIME_WAIT') return;
    if (old === 'CLOSE') {
      this.finish(now);
      return;
    }
    setState(this, 'CLOSE', now);
    const needReset =
      old === 'ESTABLISHED' ||
      old === 'CLOSE_WAIT' ||
      old === 'FIN_WAIT1' ||
      old === 'FIN_WAIT2' ||
      old === 'SYN_RECV' ||
      ((old === 'CLOSING' || old === 'LAST_ACK') && seqGt(this.writeSeq, this.sndNxt));
    if (needReset) tcpSendActiveReset(this, now);
    this.finish(now);
  }

  /**
   * TCP_NODELAY (Linux __tcp_sock_set_nodelay): "tp->nonagle |=
   * TCP_NAGLE_OFF|TCP_NAGLE_PUSH; tcp_push_pending_frames(sk)": what waits goes
   * now, even under TCP_CORK.
   */
  setNoDelay(now: Time, on: boolean): void {
    this.noDelay = on;
    if (on) tcpPushPendingFrames(this, now, true);
  }

  /**
   * TCP_CORK (Linux __tcp_sock_set_cork): on, partial segments wait; off, what
   * waits is pushed ("if (tp->nonagle & TCP_NAGLE_OFF) tp->nonagle |=
   * TCP_NAGLE_PUSH; tcp_push_pending_frames(sk)").
   */
  setCork(now: Time, on: boolean): void {
    this.cork = on;
    if (!on) tcpPushPendingFrames(this, now, this.noDelay);
  }

  /**
   * TCP_QUICKACK (Linux __tcp_sock_set_quickack): 0 makes the exchange
   * interactive (inet_csk_enter_pingpong_mode: ACKs wait for a reply); any
   * other value ends that and, in ESTABLISHED or CLOSE_WAIT with an ACK owed,
   * sends it now (the owed ACK is taken as pushed, tcp_cleanup_rbuf with one
   * byte read); an even value then makes it interactive again.
   */
  setQuickack(now: Time, val: number): void {
    if (val === 0) {
      this.pingpong = this.net.sysctl.tcp_pingpong_thresh;
      return;
    }
    this.pingpong = 0;
    const st = this.#state;
    if ((st === 'ESTABLISHED' || st === 'CLOSE_WAIT') && this.ackPending) {
      this.ackPushed = true;
      tcpCleanupRbuf(this, now, 1);
      if ((val & 1) === 0) this.pingpong = this.net.sysctl.tcp_pingpong_thresh;
    }
  }

  /** getsockopt(TCP_QUICKACK): "val = !inet_csk_in_pingpong_mode(sk)". */
  get quickack(): boolean {
    return !inPingpongMode(this);
  }

  /**
   * TCP_KEEPIDLE (Linux tcp_sock_set_keepidle_locked): the keepalive timer is
   * re-armed for what is left of the new idle time.
   */
  setKeepaliveTime(now: Time, seconds: number): void {
    this.keepaliveTime = seconds;
    if (this.tw === undefined) tcpKeepidleChanged(this, now);
  }

  /** SO_KEEPALIVE (Linux tcp_set_keepalive). */
  setKeepAlive(now: Time, on: boolean): void {
    this.keepAlive = on;
    if (this.tw === undefined) armKeepalive(this, now);
  }

  // ---- Internal helpers shared by input.ts, output.ts and timers.ts. ----

  /** Queues an event for the application. */
  emit(event: TcpEvent): void {
    const kind = event.kind;
    if (this.orphan && kind !== 'closed') return;
    const q = this.#events;
    if (q === NO_EVENTS) {
      this.#events = event;
      return;
    }
    // A queue other than the shared empty one holds an event not yet polled
    // (pollEvent puts the empty one back when it takes the last): a
    // 'readable' or 'writable' right after another says nothing new.
    const last = Array.isArray(q) ? q[q.length - 1]! : q;
    if (last.kind === kind && (kind === 'readable' || kind === 'writable')) return;
    if (Array.isArray(q)) q.push(event);
    else this.#events = [q, event];
  }

  /** In CLOSE (a method, so that a caller's narrowed `state` is read afresh). */
  isClosed(): boolean {
    return this.state === 'CLOSE';
  }

  /** Enters CLOSE for good: timers off, queues freed, 'closed' reported. */
  finish(now: Time): void {
    if (this.state !== 'CLOSE') setState(this, 'CLOSE', now);
    orphanRelease(this, now);
    clearAllTimers(this.timers);
    this.rtxQueue = NO_TX_SEGMENTS;
    this.lostOut = 0;
    this.retransOut = 0;
    this.sackedOut = 0;
    this.ofoQueue.clear();
    this.selectiveAcks = NO_SACK_BLOCKS;
    this.sendBuffer.consumeTo(this.sendBuffer.endSeq);
    this.sendBuffer.release();
    if (this.listener !== undefined) this.listener.forget(this);
    this.emit(TCP_EVENT_CLOSED);
  }
}

/**
 * The booleans kept as bits of Connection.flags, in bit order (declared in the
 * class with their meaning). Bits 0..25.
 */
const CONNECTION_FLAGS = [
  'wscaleOk',
  'sackOk',
  'tstampOk',
  'rcvBufLocked',
  'finReceived',
  'sendShutdown',
  'orphan',
  'orphanCounted',
  'noDelay',
  'keepAlive',
  'cork',
  'writeBlocked',
  'ackPending',
  'ackNow',
  'lossProbePending',
  'tlpRetrans',
  'isCwndLimited',
  'rackAdvanced',
  'rackDsackSeen',
  'reoTimeoutPending',
  'isRequest',
  'cubicPending',
  'queueShrunk',
  'rateAppLimited',
  'ackPushed',
  'ackPushed2',
] as const satisfies readonly (keyof Connection)[];

for (let bit = 0; bit < CONNECTION_FLAGS.length; bit++) {
  const mask = 1 << bit;
  Object.defineProperty(Connection.prototype, CONNECTION_FLAGS[bit]!, {
    get(this: Connection): boolean {
      return (this.flags & mask) !== 0;
    },
    set(this: Connection, on: boolean) {
      this.flags = on ? this.flags | mask : this.flags & ~mask;
    },
  });
}

/** The numeric options of SockOverrides, 0 unless set, behind Connection accessors of their names. */
const OVERRIDE_NUMBERS = [
  'keepaliveTime',
  'keepaliveIntvl',
  'keepaliveProbes',
  'synRetries',
  'linger2',
  'userTimeoutMs',
  'notsentLowat',
] as const satisfies readonly (keyof SockOverrides & keyof Connection)[];

for (const name of OVERRIDE_NUMBERS) {
  Object.defineProperty(Connection.prototype, name, {
    get(this: Connection): number {
      return this.overrides?.[name] ?? 0;
    },
    set(this: Connection, value: number) {
      if (this.overrides === undefined) {
        if (value === 0) return;
        this.overrides = newSockOverrides();
      }
      this.overrides[name] = value;
    },
  });
}

/**
 * Linux secure_tcp_ts_off: the timestamp offset of every connection between two
 * addresses (local, remote), a keyed hash of the pair, so that a new
 * incarnation of a 4-tuple keeps the TS clock its peer's PAWS remembers; 0
 * unless tcp_timestamps is 1. The same function gives SYN-cookie connections
 * theirs (syncookies.ts).
 */
export function secureTcpTsOff(net: TcpNet, local: number, remote: number): number {
  if (net.sysctl.tcp_timestamps !== 1) return 0;
  return tsOffsetOf(net, local, remote);
}

/** What a Connection is built from: the ConnectOptions minus the endpoints. */
export type ConnectionInit = Omit<ConnectOptions, 'local' | 'remote'>;

/**
 * Linux tcp_done: CLOSE, counting a failed attempt from SYN_SENT or SYN_RECV
 * (TcpAttemptFails), and the error, if any, for the application.
 */
export function tcpDone(conn: Connection, now: Time, attemptFailed = true): void {
  if (attemptFailed && (conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV')) {
    conn.net.count('TcpAttemptFails');
  }
  if (conn.error !== undefined) conn.emit({ kind: 'error', error: conn.error });
  conn.finish(now);
}
