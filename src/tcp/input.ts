/**
 * Receiving: what a connection does with a segment, state by state, as Linux's
 * tcp_input.c (tcp_rcv_state_process, tcp_rcv_synsent_state_process,
 * tcp_validate_incoming, tcp_ack, tcp_data_queue, tcp_fin), tcp_minisocks.c
 * (tcp_check_req for a connection still in the SYN queue,
 * tcp_timewait_state_process) and tcp_ipv4.c (the reset for a refused segment)
 * do it. Read RFC 9293 3.10.7 ("SEGMENT ARRIVES") first: in the synchronized
 * states the checks run in its order, one function per step, and RFC 5961
 * (blind reset/SYN/data injection) and RFC 7323 (PAWS) amend them as Linux does.
 *
 * Every function returns a verdict: undefined (go on), 'consumed' (processed,
 * stop), or the Linux drop reason of a discarded segment.
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqAdd, seqDiff, seqGt, seqLe, seqLt } from '../wire/seq.js';
import {
  ACK,
  CWR,
  ECE,
  FIN,
  PSH,
  RST,
  SYN,
  TCP_HEADER_LEN,
  type TcpSegment,
  tcpLength,
  tcpSegmentLength,
  URG,
} from '../wire/tcp.js';
import { SKB_RX_OVERHEAD, SOCK_MIN_RCVBUF, TCP_RMEM_TO_WIN_SCALE } from './buffers.js';
import {
  HZ,
  jiffies,
  msecsToJiffies,
  TCP_ATO_MIN,
  TCP_TIMEOUT_FALLBACK,
  TCP_TIMEWAIT_LEN,
  tcpClockMs,
} from './clock.js';
import {
  type AckFacts,
  RACK_TIMER_SET,
  REXMIT_LOST,
  REXMIT_NEW,
  removeRenoSacks,
  TCP_INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  tcpCaPktsAcked,
  tcpCongControl,
  tcpFastretransAlert,
  tcpInitCongestionControl,
  tcpPacketsInFlight,
} from './congestion.js';
import {
  type Connection,
  NO_SACK_BLOCKS,
  NO_TX_SEGMENTS,
  type RcvSpace,
  TCP_EVENT_CONNECTED,
  TCP_EVENT_EOF,
  TCP_EVENT_READABLE,
  TCP_EVENT_WRITABLE,
  type TxSegment,
  tcpDone,
} from './connection.js';
import type { TcpCounterName } from './counters.js';
import type { TcpDropReason } from './drop.js';
import { tcpError } from './errors.js';
import { parseReceivedOptions, type ReceivedOptions, TCPOLEN_TSTAMP_ALIGNED } from './options.js';
import {
  dataEnd,
  inPingpongMode,
  tcpChronoStop,
  tcpCurrentMss,
  tcpFullSpace,
  tcpPushPendingFrames,
  tcpRearmRto,
  tcpReceiveWindow,
  tcpScheduleLossProbe,
  tcpSelectWindowBytes,
  tcpSendAck,
  tcpSendDelayedAck,
  tcpSendSynAck,
  tcpSlowStartAfterIdleCheck,
  tcpSpace,
  tcpSpaceFromWin,
  tcpSyncMss,
  tcpWinFromSpace,
  tcpXmitRetransmitQueue,
} from './output.js';
import { tcpRackAdvance, tcpRackUpdateReoWnd, usDelta } from './rack.js';
import { tcpRateBegin, tcpRateGen, tcpRateSkbDelivered, tcpUpdatePacingRate } from './rate.js';
import { countReset, tcpResetFor } from './reset.js';
import { srttUs, tcpRtoJiffies, tcpRttEstimator } from './rtt.js';
import {
  type SacktagResult,
  tcpCheckSackReordering,
  tcpClearSackCache,
  tcpHighestSackSeq,
  tcpSacktagWriteQueue,
} from './sack.js';
import { assertNever, setState } from './state.js';
import { armKeepalive, armTimer, clearTimer, tcpOrphanFinWait2, tcpProbe0When } from './timers.js';
import { tcpTimeWait } from './timewait.js';

type Verdict = TcpDropReason | 'consumed' | undefined;

/** TCP_MAX_QUICKACKS (include/net/tcp.h). */
const TCP_MAX_QUICKACKS = 16;
/** TCP_PAWS_WINDOW: a timestamp one tick old still passes (include/net/tcp.h). */
const TCP_PAWS_WINDOW = 1;
/** TCP_PAWS_WRAP: after this many seconds TS.Recent is too old to judge by (INT_MAX / USEC_PER_SEC). */
const TCP_PAWS_WRAP_S = 2147;
/** TCP_PAWS_MSL: a RST with an old timestamp is accepted after this many seconds. */
const TCP_PAWS_MSL_S = 60;
/** TCP_MSS_DEFAULT and TCP_MIN_MSS (include/net/tcp.h). */
const TCP_MSS_DEFAULT = 536;
const TCP_MIN_MSS = 88;
/** TCP_NUM_SACKS: SACK blocks remembered (include/linux/tcp.h). */
const TCP_NUM_SACKS = 4;

const nowSeconds = (now: Time): number => Math.floor(now / 1e9);

/**
 * TCP_HP_BITS (include/net/tcp.h): the flags header prediction compares, all
 * but PSH (and the reserved bits, which TcpSegment keeps apart).
 */
const TCP_HP_BITS = FIN | SYN | RST | ACK | URG | ECE | CWR;
/** PAGE_SIZE: the unit sockets charge memory in (sk_mem_pages). */
const PAGE_SIZE = 4096;

/**
 * Header prediction on (Linux always has it). Tests turn it off to check that
 * the fast path ends exactly where the slow path would.
 */
export const tcpHeaderPrediction = { enabled: true };

/** Entry point: a segment for `conn` (Connection.handleSegment). */
export function tcpRcv(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
): TcpDropReason | 'reopen' | undefined {
  conn.net.counters.TcpInSegs++;
  const v = dispatch(conn, now, seg);
  if (v === 'consumed' || v === undefined) return undefined;
  return conn.net.drop(now, conn.id, v, seg);
}

function dispatch(conn: Connection, now: Time, seg: TcpSegment): Verdict {
  switch (conn.state) {
    // An unhashed socket: the segment finds no socket and is answered as a closed port.
    case 'CLOSE':
    case 'LISTEN':
      replyReset(conn, seg);
      return 'NO_SOCKET';
    // RFC 9293 3.10.7.3: SYN-SENT, the segment may complete our open.
    case 'SYN_SENT':
      return tcpRcvSynSent(conn, now, seg);
    // A connection that became a timewait sock is gone (tcp_done): its
    // segments are the sock's (Connection.handleSegment). Without one
    // (tcp_max_tw_buckets), the connection went straight to CLOSE.
    case 'TIME_WAIT':
      replyReset(conn, seg);
      return 'NO_SOCKET';
    // A simultaneous open, or the child of a request that just completed
    // (listen.ts, tcp_check_req, hands it the final ACK: tcpRcvChild).
    case 'SYN_RECV':
      return tcpRcvStateProcess(conn, now, seg, SLOW_PATH);
    // Linux: tcp_rcv_established, with its header prediction.
    case 'ESTABLISHED':
      return tcpRcvEstablished(conn, now, seg);
    // The other synchronized states.
    case 'FIN_WAIT1':
    case 'FIN_WAIT2':
    case 'CLOSE_WAIT':
    case 'CLOSING':
    case 'LAST_ACK':
      return tcpRcvStateProcess(conn, now, seg, SLOW_PATH);
    default:
      return assertNever(conn.state);
  }
}

/** Answers `seg` with tcp_v4_send_reset's RST (not for a RST). */
function replyReset(conn: Connection, seg: TcpSegment): void {
  const rst = tcpResetFor(seg);
  if (rst === undefined) return;
  conn.queueTransmit(rst);
  countReset(conn.net.counters);
}

/** The options of `seg`, with TSecr converted back to our clock (Linux subtracts tsoffset). */
function options(conn: Connection, seg: TcpSegment, established: boolean): ReceivedOptions {
  // The usual segment of a synchronized connection, `nop,nop,TS`: what
  // parseReceivedOptions would return, in one object reused for every such
  // segment (read while the segment is processed, never kept).
  const o = seg.options;
  if (established && o.length === 3 && conn.tstampOk) {
    const ts = o[2]!;
    if (o[0]!.kind === 'nop' && o[1]!.kind === 'nop' && ts.kind === 'timestamps') {
      tsOnlyOptions.tsVal = ts.tsVal;
      tsOnlyOptions.tsEcr = ts.tsEcr;
      return tsOnlyOptions;
    }
  }
  return parseReceivedOptions(seg, conn.net.sysctl, established ? conn : undefined);
}

/** options()'s result for a `nop,nop,TS` segment, refilled for each. */
const tsOnlyOptions: {
  readonly mss: undefined;
  readonly wscale: undefined;
  readonly sackPermitted: false;
  tsVal: number;
  tsEcr: number;
  readonly sack: undefined;
} = {
  mss: undefined,
  wscale: undefined,
  sackPermitted: false,
  tsVal: 0,
  tsEcr: 0,
  sack: undefined,
};

// ---- SYN_SENT (tcp_rcv_synsent_state_process). ----

function tcpRcvSynSent(conn: Connection, now: Time, seg: TcpSegment): Verdict {
  const opts = options(conn, seg, false);
  const f = seg.flags;
  if (f & ACK) {
    // RFC 9293 3.10.7.3: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
    // (unless the RST bit is set, if so drop the segment and return)".
    if (!seqGt(seg.ack, conn.sndUna) || seqGt(seg.ack, conn.sndNxt)) {
      // "Previous FIN/ACK or RST/ACK might be ignored": retry the SYN soon.
      if (conn.retransmits === 0) armTimer(conn, 'retransmit', now, 2);
      replyReset(conn, seg);
      return 'TCP_INVALID_ACK_SEQUENCE';
    }
    // RFC 7323 5.5 via Linux: the echoed timestamp must be one we sent.
    if (opts.tsVal !== undefined && opts.tsEcr !== 0) {
      const ecr = (opts.tsEcr - conn.tsOffset) >>> 0;
      const first = conn.retransStamp ?? tcpClockMs(now);
      if ((ecr - first) >>> 0 > (tcpClockMs(now) - first) >>> 0) {
        conn.net.count('TcpExtPAWSActive');
        replyReset(conn, seg);
        return 'TCP_RFC7323_PAWS';
      }
    }
    // "If the RST bit is set ... signal the user 'error: connection reset'".
    if (f & RST) {
      tcpReset(conn, now);
      return 'consumed';
    }
    // "fifth, if neither of the SYN or RST bits is set then drop the segment".
    if (!(f & SYN)) return 'TCP_FLAGS';
    // Our SYN is acknowledged: ESTABLISHED.
    conn.sndWl1 = seg.seq;
    tcpAck(conn, now, seg, opts, false, true);
    conn.irs = seg.seq;
    conn.rcvNxt = seqAdd(seg.seq, 1);
    conn.rcvWup = conn.rcvNxt;
    // RFC 7323 2.2: "The window field in a segment where the SYN bit is set ... MUST NOT be scaled."
    conn.sndWnd = seg.window;
    conn.maxWindow = Math.max(conn.maxWindow, conn.sndWnd);
    negotiate(conn, now, opts, true);
    tcpInitializeRcvMss(conn);
    tcpFinishConnect(conn, now);
    // tcp_ack's tcp_cong_control set the pacing rate from the SYN's RTT, with
    // the MSS and cwnd the socket had then: those it has now (tcp_connect_init
    // chose the MSS of the route; cwnd is TCP_INIT_CWND).
    tcpUpdatePacingRate(conn);
    // Linux saves the ACK when data is about to follow (sk_write_pending);
    // an application here can only write once 'connected' is heard.
    tcpSendAck(conn, now);
    return 'consumed';
  }
  // "If the RST bit is set ... Otherwise (no ACK), drop the segment and return."
  if (f & RST) return 'TCP_RESET';
  if (
    conn.tsRecentStamp !== 0 &&
    opts.tsVal !== undefined &&
    tcpPawsReject(conn, now, opts.tsVal, false)
  ) {
    return 'TCP_RFC7323_PAWS';
  }
  if (f & SYN) {
    // RFC 9293 3.10.7.3: a SYN without ACK is a simultaneous open: SYN-RECEIVED,
    // and our SYN goes again as a SYN-ACK.
    setState(conn, 'SYN_RECV', now);
    conn.irs = seg.seq;
    conn.rcvNxt = seqAdd(seg.seq, 1);
    conn.rcvWup = conn.rcvNxt;
    conn.sndWnd = seg.window;
    conn.sndWl1 = seg.seq;
    conn.maxWindow = Math.max(conn.maxWindow, conn.sndWnd);
    negotiate(conn, now, opts, false);
    tcpInitializeRcvMss(conn);
    tcpSendSynAck(conn, now);
    return 'consumed';
  }
  return 'TCP_FLAGS';
}

/**
 * Adopts what the peer's SYN or SYN-ACK offered (RFC 9293 3.7.1, RFC 7323 1.3
 * and 2.2, RFC 2018 2): the MSS, window scaling only if both sent it,
 * SACK-permitted, timestamps (which also take 12 bytes of every segment).
 */
export function negotiate(
  conn: Connection,
  now: Time,
  opts: ReceivedOptions,
  synAck: boolean,
): void {
  const sys = conn.net.sysctl;
  if (opts.wscale !== undefined && sys.tcp_window_scaling) {
    conn.wscaleOk = true;
    conn.sndWscale = opts.wscale;
  } else {
    conn.wscaleOk = false;
    conn.sndWscale = 0;
    conn.rcvWscale = 0;
    conn.windowClamp = Math.min(conn.windowClamp, 65535);
  }
  conn.sackOk = opts.sackPermitted && sys.tcp_sack !== 0;
  let clamp = opts.mss ?? TCP_MSS_DEFAULT;
  if (conn.userMss !== undefined) clamp = Math.min(clamp, conn.userMss);
  conn.mssClamp = clamp;
  if (opts.tsVal !== undefined && sys.tcp_timestamps) {
    conn.tstampOk = true;
    // Our MSS option is sent; from now on timestamps take 12 bytes of it (an
    // open that is not complete yet does this on its final ACK).
    if (synAck) conn.advMss -= TCPOLEN_TSTAMP_ALIGNED;
    storeTsRecent(conn, now, opts.tsVal);
  } else {
    conn.tstampOk = false;
  }
  tcpSyncMss(conn);
}

/** Linux tcp_initialize_rcv_mss: a cautious first guess of the peer's MSS. */
export function tcpInitializeRcvMss(conn: Connection): void {
  let hint = Math.min(conn.advMss, conn.sndMss);
  hint = Math.min(hint, conn.rcvWnd >> 1, TCP_MSS_DEFAULT);
  conn.rcvMss = Math.max(hint, TCP_MIN_MSS);
}

/**
 * Linux tcp_init_buffer_space, once the connection is established: the window
 * may grow to the buffer's worth less one segment kept for the application
 * ("Force reservation of one segment", tcp_app_win), so rcv_ssthresh, the
 * SYN's 64240 or the SYN-ACK's 65160, becomes 65536 − 1448 = 64088 with
 * tcp_rmem[1] 128 KiB (observed on Linux 6.18.44: TCP_WINDOW_CLAMP and ss's
 * rcv_ssthresh are 64088 on both ends; the server still offers 64 × 1024, as
 * the window never shrinks, and the client 63 × 1024, as in the traces).
 * Autotuning starts from min(rcv_ssthresh, rcv_wnd, 10 × advmss): ss shows
 * rcv_space:14480.
 */
function tcpInitBufferSpace(conn: Connection): void {
  const appWin = conn.net.sysctl.tcp_app_win;
  const maxwin = tcpFullSpace(conn);
  if (conn.windowClamp >= maxwin) {
    conn.windowClamp = maxwin;
    if (appWin && maxwin > 4 * conn.advMss) {
      conn.windowClamp = Math.max(maxwin - (maxwin >> appWin), 4 * conn.advMss);
    }
  }
  if (appWin && conn.windowClamp > 2 * conn.advMss && conn.windowClamp + conn.advMss > maxwin) {
    conn.windowClamp = Math.max(2 * conn.advMss, maxwin - conn.advMss);
  }
  conn.rcvSsthresh = Math.min(conn.rcvSsthresh, conn.windowClamp);
  // The autotuning state (tp->rcvq_space) is made by the first data: rcvSpaceOf.
  if (conn.sndBufLocked === undefined) tcpSndbufExpand(conn);
}

/**
 * MAX_TCP_HEADER plus SKB_DATA_ALIGN(sizeof(struct skb_shared_info)), and
 * SKB_DATA_ALIGN(sizeof(struct sk_buff)), as Linux 6.18.44 on the reference
 * machine has them: 512 and 256 (measured: test/tcp/recordings/sndbuf.sh, an
 * MSS of 512 gives per_mss 1280, one of 513 gives 2304).
 */
const TCP_SKB_HEAD_OVERHEAD = 512;
const SKB_STRUCT_SIZE = 256;

/**
 * Linux tcp_sndbuf_expand: sk_sndbuf grows to hold `factor` (2, or 3 for bbr:
 * bbr_sndbuf_expand) times max(TCP_INIT_CWND, cwnd, reordering + 1) skbs of
 * an MSS, each charged per_mss (the power of two that holds the MSS and the
 * headers, plus the sk_buff: 2304 for an MSS of 1460), at most tcp_wmem[2].
 * It never shrinks.
 */
export function tcpSndbufExpand(conn: Connection): void {
  const mss = Math.max(conn.mssClamp, conn.sndMss);
  // roundup_pow_of_two (a shift: a power of two in floating point is a call).
  const perMss = (1 << (32 - Math.clz32(mss + TCP_SKB_HEAD_OVERHEAD - 1))) + SKB_STRUCT_SIZE;
  const segs = Math.max(TCP_INIT_CWND, conn.cwnd, conn.reordering + 1);
  const sndmem = (conn.caOps === 'bbr' ? 3 : 2) * segs * perMss;
  if (conn.sndBufUnlocked < sndmem) {
    conn.sndBufUnlocked = Math.min(sndmem, conn.net.sysctl.tcp_wmem[2]);
  }
}

/**
 * Linux tcp_should_expand_sndbuf: not with SO_SNDBUF set, nor once the
 * congestion window is full. DEVIATION(linux): the global tcp_mem pressure
 * tests are left out (tcplab has no global memory accounting).
 */
function tcpShouldExpandSndbuf(conn: Connection): boolean {
  return conn.sndBufLocked === undefined && tcpPacketsInFlight(conn) < conn.cwnd;
}

/**
 * The autotuning state, made with the first data as tcp_init_buffer_space
 * would have set it at the handshake (lrcvtime is still the handshake's time):
 * min(rcv_ssthresh, rcv_wnd, 10 × advmss), copied_seq, no RTT estimate.
 */
function rcvSpaceOf(conn: Connection): RcvSpace {
  if (conn.rcvSpace !== undefined) return conn.rcvSpace;
  conn.rcvSpace = {
    space: initialRcvSpace(conn),
    seq: copiedSeq(conn),
    time: conn.lrcvtime,
    rttUs8: 0,
    rttSeq: conn.rcvNxt,
    rttTime: 0,
    lastTsecr: 0,
  };
  return conn.rcvSpace;
}

/** tcp_init_buffer_space's rcvq_space.space: min(rcv_ssthresh, rcv_wnd, 10 × advmss). */
function initialRcvSpace(conn: Connection): number {
  return Math.min(conn.rcvSsthresh, conn.rcvWnd, TCP_INIT_CWND * conn.advMss);
}

/**
 * tcp_info's tcpi_rcv_space (tp->rcvq_space.space): autotuning's, or the one
 * tcp_init_buffer_space set at the handshake's end; 0 before it.
 */
export function tcpRcvSpace(conn: Connection): number {
  if (conn.rcvSpace !== undefined) return conn.rcvSpace.space;
  return conn.establishedAt() !== undefined ? initialRcvSpace(conn) : 0;
}

/** Linux copied_seq: the first byte the application has not read. */
function copiedSeq(conn: Connection): Seq {
  return seqAdd(conn.rcvNxt, -(conn.rcvQueue.length + (conn.finReceived ? 1 : 0)));
}

/**
 * Linux tcp_set_window_clamp (the part tcp_measure_rcv_mss and autotuning
 * use): a lower clamp pulls rcv_ssthresh down with it, a higher one lets it
 * rise to the window already offered.
 */
function tcpSetWindowClamp(conn: Connection, val: number): void {
  const clamp = Math.max(SOCK_MIN_RCVBUF >> 1, val);
  const old = conn.windowClamp;
  if (clamp === old) return;
  conn.windowClamp = clamp;
  if (clamp < old) {
    // __tcp_adjust_rcv_ssthresh (no SO_RESERVE_MEM).
    conn.rcvSsthresh = Math.min(conn.rcvSsthresh, clamp);
  } else {
    conn.rcvSsthresh = Math.max(Math.min(conn.rcvWnd, clamp), conn.rcvSsthresh);
  }
}

/** Linux tcp_finish_connect + tcp_init_transfer for an active open. */
function tcpFinishConnect(conn: Connection, now: Time): void {
  setState(conn, 'ESTABLISHED', now);
  conn.lrcvtime = now;
  tcpInitTransfer(conn, now, conn.totalRetrans > 1);
  // "Prevent spurious tcp_cwnd_restart() on first data packet."
  conn.lsndtime = now;
  armKeepalive(conn, now);
  // Linux tcp_finish_connect: the SYN-ACK's window is not scaled, so header
  // prediction waits for a scaled one (tcp_ack_update_window) unless the
  // peer does not scale.
  if (conn.sndWscale === 0) conn.predWnd = conn.sndWnd;
  else conn.predWnd = -1;
  conn.emit(TCP_EVENT_CONNECTED);
}

/**
 * Linux tcp_init_transfer: buffer space, the initial congestion window (one
 * segment if the handshake needed more than one retransmission, RFC 5681 3.1 /
 * RFC 6298 5.7), and a 3 s RTO if the handshake gave no RTT sample.
 */
function tcpInitTransfer(conn: Connection, now: Time, synRetransmitted: boolean): void {
  conn.cwnd = synRetransmitted ? 1 : conn.initCwnd;
  conn.sndCwndStamp = jiffies(now);
  // tcp_init_metrics: "ssthresh may have been reduced unnecessarily during 3WHS.
  // Restore it back to its initial default." The loss state a SYN timeout
  // entered ends with the handshake (DEVIATION(linux): Linux leaves it on the
  // SYN-ACK's ACK for a SACK peer, for tcp_process_loss to end).
  conn.ssthresh = TCP_INFINITE_SSTHRESH;
  conn.caState = 'Open';
  conn.sackedOut = 0;
  conn.lostOut = 0;
  conn.retransOut = 0;
  // (By index: a for-of makes a generator object, and every connection passes here.)
  const q = conn.rtxQueue;
  for (let i = 0; i < q.length; i++) {
    const s = q.at(i);
    s.lost = false;
    s.retrans = false;
    s.sacked = false;
  }
  tcpClearSackCache(conn);
  conn.highSeq = conn.sndNxt;
  tcpInitCongestionControl(conn, now);
  if (srttUs(conn.rtt) === 0) {
    // tcp_init_metrics: "We've failed to get a valid RTT sample from 3WHS".
    conn.rtt.rttvarUs = (TCP_TIMEOUT_FALLBACK * 1_000_000) / HZ;
    conn.rtt.mdev4Us = conn.rtt.rttvarUs;
    conn.rtt.mdevMaxUs = conn.rtt.rttvarUs;
    conn.rto = TCP_TIMEOUT_FALLBACK;
  }
  // Last, as in tcp_init_transfer: the send buffer grows for the window just set
  // (tcp_sndbuf_expand: a route's initcwnd above 10 gets more).
  tcpInitBufferSpace(conn);
}

// ---- The child of a request sock (tcp_child_process). ----

/**
 * The final ACK of a passive open, for the full socket its request sock just
 * became (listen.ts checked it as tcp_check_req does and counted it).
 */
export function tcpRcvChild(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
): TcpDropReason | undefined {
  const v = tcpRcvStateProcess(conn, now, seg, SLOW_PATH);
  if (v === 'consumed' || v === undefined) return undefined;
  return conn.net.drop(now, conn.id, v, seg);
}

// ---- The synchronized states (tcp_rcv_state_process, tcp_rcv_established). ----

/** How tcp_rcv_established takes a segment (header prediction). */
const SLOW_PATH = 0;
/** Predicted, a pure ACK or data the socket has memory for: tcp_ack without FLAG_SLOWPATH. */
const FAST_PATH = 1;
/** Predicted, but data the socket must first charge memory for ("goto step5"). */
const STEP5 = 2;
type RcvPath = typeof SLOW_PATH | typeof FAST_PATH | typeof STEP5;

/**
 * Linux tcp_rcv_established: header prediction (Van Jacobson's; RFC 1323
 * appendix A). A segment carrying exactly what the connection expects next
 * (tcpHeaderPredicted) is known to pass RFC 9293 3.10.7.4's first to fourth
 * checks, so they are skipped; its ACK is Linux's "predicted" one
 * (TcpExtTCPHPAcks) and its data a header-prediction hit (TcpExtTCPHPHits).
 * Otherwise the slow path runs every check, as for the other states.
 * DEVIATION(linux): past the checks a predicted segment takes the slow
 * path's steps (tcp_ack, tcp_data_queue, tcp_ack_snd_check), so the fast path
 * changes nothing but the counters; Linux's own fast path queues the data
 * without tcp_data_queue's tests and does not reconsider a pending delayed
 * ACK on a pure ACK (header-prediction.test.ts checks both paths agree).
 */
function tcpRcvEstablished(conn: Connection, now: Time, seg: TcpSegment): Verdict {
  if (!tcpHeaderPrediction.enabled || !tcpHeaderPredicted(conn, seg)) {
    return tcpRcvStateProcess(conn, now, seg, SLOW_PATH);
  }
  const len = seg.payload.length;
  if (len === 0) return tcpRcvStateProcess(conn, now, seg, FAST_PATH);
  // "if ((int)skb->truesize > sk->sk_forward_alloc) goto step5": data the
  // socket has no memory at hand for is charged by the slow path's queueing.
  if (len + SKB_RX_OVERHEAD > sockForwardAlloc(conn)) {
    return tcpRcvStateProcess(conn, now, seg, STEP5);
  }
  conn.net.counters.TcpExtTCPHPHits++;
  return tcpRcvStateProcess(conn, now, seg, FAST_PATH);
}

/**
 * Linux tcp_rcv_established's test: the flags are ACK alone (PSH aside), the
 * window is the predicted one (pred_flags), the header has the length
 * expected (tcp_header_len: with timestamps, `nop,nop,TS` alone, and a TSval
 * not older than TS.Recent), the segment starts at RCV.NXT and acknowledges
 * nothing beyond SND.NXT.
 */
function tcpHeaderPredicted(conn: Connection, seg: TcpSegment): boolean {
  if (
    seg.window !== conn.predWnd ||
    (seg.flags & TCP_HP_BITS) !== ACK ||
    seg.seq !== conn.rcvNxt ||
    seqGt(seg.ack, conn.sndNxt)
  ) {
    return false;
  }
  const o = seg.options;
  if (!conn.tstampOk) return o.length === 0;
  if (o.length !== 3) return false;
  const ts = o[2]!;
  if (o[0]!.kind !== 'nop' || o[1]!.kind !== 'nop' || ts.kind !== 'timestamps') return false;
  // "If PAWS failed, check it more carefully in slow path".
  return ((ts.tsVal - conn.tsRecent) | 0) >= 0;
}

/**
 * Linux tcp_fast_path_on: predict the next segment's window as the last one
 * (pred_flags; -1 in predWnd is pred_flags 0, header prediction off).
 */
function tcpFastPathOn(conn: Connection): void {
  conn.predWnd = conn.sndWnd >> conn.sndWscale;
}

/**
 * Linux tcp_fast_path_check: prediction resumes when nothing waits out of
 * order, the window is open and the receive buffer is not full.
 */
function tcpFastPathCheck(conn: Connection): void {
  if (
    conn.ofoQueue.empty &&
    conn.ofoFin === undefined &&
    conn.rcvWnd !== 0 &&
    conn.rcvQueue.truesize < conn.rcvBuf
  ) {
    tcpFastPathOn(conn);
  }
}

/**
 * sk_forward_alloc: memory the socket holds and has not charged to a buffer.
 * Linux schedules whole pages, as many as a charge lacks (sk_rmem_schedule,
 * sk_wmem_schedule), and gives back every whole page it holds spare as soon
 * as something is uncharged (sk_mem_uncharge -> sk_mem_reclaim): what is
 * left is the uncharged part of the last page, -(rmem + wmem) mod PAGE_SIZE.
 */
function sockForwardAlloc(conn: Connection): number {
  const charged = conn.rcvQueue.truesize + conn.ofoQueue.truesize + conn.wmemQueued();
  return (PAGE_SIZE - (charged % PAGE_SIZE)) % PAGE_SIZE;
}

function tcpRcvStateProcess(conn: Connection, now: Time, seg: TcpSegment, path: RcvPath): Verdict {
  const opts = options(conn, seg, true);
  const f = seg.flags;
  const established = conn.state === 'ESTABLISHED';
  // A predicted segment passes these checks by construction.
  if (path === SLOW_PATH) {
    if (!(f & (ACK | RST | SYN))) return 'TCP_FLAGS';
    const stop = tcpValidateIncoming(conn, now, seg, opts, established);
    if (stop !== undefined) return stop;
  }

  // RFC 9293 3.10.7.4, fifth: check the ACK field.
  const acked = tcpAck(conn, now, seg, opts, !established, path !== FAST_PATH);
  if (acked !== 'ok' && acked !== 'old') {
    if (conn.state === 'SYN_RECV') {
      // "send one RST".
      replyReset(conn, seg);
      return acked;
    }
    if (!established) tcpSendChallengeAck(conn, now);
    return acked;
  }
  if (acked === 'old' && conn.state === 'SYN_RECV') {
    replyReset(conn, seg);
    return 'TCP_OLD_ACK';
  }
  switch (conn.state) {
    case 'SYN_RECV':
      tcpSynRecvEstablished(conn, now, seg);
      break;
    case 'FIN_WAIT1': {
      // Our FIN is acknowledged: FIN-WAIT-2.
      if (conn.sndUna !== conn.writeSeq || conn.finSeq === undefined) break;
      setState(conn, 'FIN_WAIT2', now);
      if (!conn.orphan) break;
      // "Receive out of order FIN after close()": new data for an orphan ends it.
      if (newDataAfterClose(conn, seg)) {
        conn.net.count('TcpExtTCPAbortOnData');
        tcpDone(conn, now);
        replyReset(conn, seg);
        return 'TCP_ABORT_ON_DATA';
      }
      // The rest of tcp_fin_time as a timewait sock (FIN_WAIT2 substate), unless
      // this segment's FIN is about to make it TIME_WAIT ("goto consume").
      if (tcpOrphanFinWait2(conn, now, (seg.flags & FIN) !== 0)) return 'consumed';
      break;
    }
    case 'CLOSING':
      // Our FIN is acknowledged after theirs: TIME-WAIT.
      if (conn.sndUna === conn.writeSeq && conn.finSeq !== undefined) {
        tcpTimeWait(conn, now, 'TIME_WAIT', TCP_TIMEWAIT_LEN);
        return 'consumed';
      }
      break;
    case 'LAST_ACK':
      // Our FIN is acknowledged: the connection is gone.
      if (conn.sndUna === conn.writeSeq && conn.finSeq !== undefined) {
        tcpDone(conn, now);
        return 'consumed';
      }
      break;
    default:
      break;
  }

  // Sixth (URG) is ignored: tcplab does not implement urgent data.
  tcpRcvRttMeasureTs(conn, now, seg, opts);
  // Seventh: process the segment text.
  let v: Verdict;
  switch (conn.state) {
    case 'CLOSE_WAIT':
    case 'CLOSING':
    case 'LAST_ACK':
      // The peer's FIN is in: nothing new can come; old data is re-ACKed below.
      if (!seqLt(seg.seq, conn.rcvNxt)) break;
      v = finWaitText(conn, now, seg);
      break;
    case 'FIN_WAIT1':
    case 'FIN_WAIT2':
      v = finWaitText(conn, now, seg);
      break;
    case 'ESTABLISHED':
      v = tcpDataQueue(conn, now, seg);
      break;
    default:
      break;
  }
  if (v === 'TCP_ABORT_ON_DATA') return v;
  if (conn.state !== 'CLOSE') {
    // tcp_data_snd_check: what the ACK let go, then tcp_check_space.
    tcpPushPendingFrames(conn, now);
    tcpCheckSpace(conn);
    tcpAckSndCheck(conn, now);
  }
  return v;
}

/**
 * Linux tcp_check_space: an ACK freed part of the send buffer of a writer
 * that found it full (SOCK_QUEUE_SHRUNK and SOCK_NOSPACE): tcp_new_space
 * grows the buffer if the window is not full (tcp_should_expand_sndbuf), and
 * sk_stream_write_space tells the writer once a third of it is free
 * (__sk_stream_is_writeable).
 */
function tcpCheckSpace(conn: Connection): void {
  if (!conn.queueShrunk) return;
  conn.queueShrunk = false;
  if (!conn.writeBlocked) return;
  if (tcpShouldExpandSndbuf(conn)) tcpSndbufExpand(conn);
  if (sndBufWriteable(conn)) {
    conn.writeBlocked = false;
    conn.emit(TCP_EVENT_WRITABLE);
  }
}

/**
 * Text in FIN-WAIT-1/2 (and old text after the peer's FIN): RFC 1122 4.2.2.13
 * says a connection closed with data still arriving must reset; Linux does so
 * once the application closed (RCV_SHUTDOWN), as BSD does.
 */
function finWaitText(conn: Connection, now: Time, seg: TcpSegment): Verdict {
  if (conn.orphan && newDataAfterClose(conn, seg)) {
    conn.net.count('TcpExtTCPAbortOnData');
    tcpReset(conn, now);
    replyReset(conn, seg);
    return 'TCP_ABORT_ON_DATA';
  }
  return tcpDataQueue(conn, now, seg);
}

/** The segment carries data (or a FIN) beyond RCV.NXT: more than a retransmission. */
function newDataAfterClose(conn: Connection, seg: TcpSegment): boolean {
  const end = seqAdd(seg.seq, tcpSegmentLength(seg));
  return end !== seg.seq && seqGt(seqAdd(end, seg.flags & FIN ? -1 : 0), conn.rcvNxt);
}

/** The final ACK of a passive or simultaneous open: SYN_RECV → ESTABLISHED. */
function tcpSynRecvEstablished(conn: Connection, now: Time, seg: TcpSegment): void {
  // advmss less the timestamps before tcp_init_buffer_space reads it: observed
  // on Linux 6.18.44, a passive socket's window clamp is 65536 − 1448 = 64088
  // and rcv_space 14480 = 10 × 1448 right after accept(), advmss 1448 in ss.
  if (conn.tstampOk) conn.advMss -= TCPOLEN_TSTAMP_ALIGNED;
  tcpInitTransfer(conn, now, false);
  setState(conn, 'ESTABLISHED', now);
  conn.sndUna = seg.ack;
  conn.sndWnd = seg.window * (1 << conn.sndWscale);
  conn.maxWindow = Math.max(conn.maxWindow, conn.sndWnd);
  conn.sndWl1 = seg.seq;
  tcpSyncMss(conn);
  // "if (!inet_csk(sk)->icsk_ca_ops->cong_control) tcp_update_pacing_rate(sk)".
  tcpUpdatePacingRate(conn);
  tcpInitializeRcvMss(conn);
  conn.lsndtime = now;
  tcpFastPathOn(conn);
  armKeepalive(conn, now);
  conn.emit(TCP_EVENT_CONNECTED);
  conn.listener?.established(conn);
}

/**
 * RFC 9293 3.10.7.4 first (sequence number, with RFC 7323 PAWS before it),
 * second (RST, RFC 5961 3.2) and fourth (SYN, RFC 5961 4.2) checks, as Linux
 * tcp_validate_incoming. Returns a verdict to stop, or undefined to go on.
 */
function tcpValidateIncoming(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
  opts: ReceivedOptions,
  synInErr: boolean,
): Verdict {
  const f = seg.flags;
  // RFC 7323 5.3 (PAWS): a timestamp older than TS.Recent means an old duplicate.
  if (opts.tsVal !== undefined && tcpPawsDiscard(conn, now, seg, opts.tsVal)) {
    // "Reset is accepted even if it did not pass PAWS."
    if (!(f & RST)) {
      if (f & SYN) return synChallenge(conn, now, synInErr);
      conn.net.count('TcpExtPAWSEstab');
      if (!oowRateLimited(conn, now, seg, 'TcpExtTCPACKSkippedPAWS')) tcpSendDupack(conn, now, seg);
      return 'TCP_RFC7323_PAWS';
    }
  }
  // First: is the segment in the window? (RFC 9293 3.10.7.4 table; Linux tcp_sequence.)
  const end = seqAdd(seg.seq, tcpSegmentLength(seg));
  let reason: TcpDropReason | undefined;
  if (seqLt(end, conn.rcvWup)) reason = 'TCP_OLD_SEQUENCE';
  else if (seqGt(seg.seq, seqAdd(conn.rcvNxt, tcpReceiveWindow(conn))))
    reason = 'TCP_INVALID_SEQUENCE';
  if (reason !== undefined) {
    // "If an incoming segment is not acceptable, an acknowledgment should be sent
    // in reply (unless the RST bit is set, if so drop the segment and return)".
    if (!(f & RST)) {
      if (f & SYN) return synChallenge(conn, now, synInErr);
      if (!oowRateLimited(conn, now, seg, 'TcpExtTCPACKSkippedSeq')) tcpSendDupack(conn, now, seg);
    } else if (tcpResetCheck(conn, seg)) {
      tcpReset(conn, now);
      return 'consumed';
    }
    return reason;
  }
  // Second: the RST bit. RFC 5961 3.2: reset only on an exact match with
  // RCV.NXT (Linux: or RCV.NXT - 1 after their FIN, or the right edge of the
  // highest SACK block); any other in-window RST gets a challenge ACK.
  if (f & RST) {
    if (seg.seq === conn.rcvNxt || tcpResetCheck(conn, seg)) {
      tcpReset(conn, now);
      return 'consumed';
    }
    if (conn.sackOk && conn.selectiveAcks.length > 0) {
      let maxSack = conn.selectiveAcks[0]!.right;
      for (const b of conn.selectiveAcks) if (seqGt(b.right, maxSack)) maxSack = b.right;
      if (seg.seq === maxSack) {
        tcpReset(conn, now);
        return 'consumed';
      }
    }
    tcpSendChallengeAck(conn, now);
    return 'TCP_RESET';
  }
  // Fourth: a SYN. RFC 5961 4.2: always a challenge ACK, except the SYN-ACK of a
  // simultaneous open, which completes it.
  if (f & SYN) {
    if (
      conn.state === 'SYN_RECV' &&
      f & ACK &&
      seqAdd(seg.seq, 1) === end &&
      seqAdd(seg.seq, 1) === conn.rcvNxt &&
      seg.ack === conn.sndNxt
    ) {
      return undefined;
    }
    return synChallenge(conn, now, synInErr);
  }
  return undefined;
}

function synChallenge(conn: Connection, now: Time, synInErr: boolean): Verdict {
  if (synInErr) conn.net.count('TcpInErrs');
  conn.net.count('TcpExtTCPSYNChallenge');
  tcpSendChallengeAck(conn, now);
  return 'TCP_INVALID_SYN';
}

/** Linux tcp_reset_check: RCV.NXT - 1 is also exact once their FIN is in (it is the FIN's). */
function tcpResetCheck(conn: Connection, seg: TcpSegment): boolean {
  return (
    seg.seq === seqAdd(conn.rcvNxt, -1) &&
    (conn.state === 'CLOSE_WAIT' || conn.state === 'LAST_ACK' || conn.state === 'CLOSING')
  );
}

/**
 * Linux tcp_reset: the connection is reset (RFC 9293 3.10.7.4 second check):
 * "connection refused" in SYN-SENT, EPIPE in CLOSE-WAIT (the application
 * already saw EOF), "connection reset" otherwise; everything queued is dropped.
 */
function tcpReset(conn: Connection, now: Time): void {
  switch (conn.state) {
    case 'SYN_SENT':
      conn.error = tcpError('ECONNREFUSED');
      break;
    case 'CLOSE_WAIT':
      conn.error = tcpError('EPIPE');
      break;
    case 'CLOSE':
      return;
    default:
      conn.error = tcpError('ECONNRESET');
  }
  tcpDone(conn, now);
}

// ---- PAWS (RFC 7323 5; include/net/tcp.h tcp_paws_check, tcp_paws_reject). ----

function tcpPawsCheck(conn: Connection, now: Time, tsVal: number, pawsWin: number): boolean {
  if (((conn.tsRecent - tsVal) | 0) <= pawsWin) return true;
  if (nowSeconds(now) >= conn.tsRecentStamp + TCP_PAWS_WRAP_S) return true;
  // Some stacks send TSval 0 in the handshake; do not let 0 forbid later segments.
  return conn.tsRecent === 0;
}

function tcpPawsReject(conn: Connection, now: Time, tsVal: number, rst: boolean): boolean {
  if (tcpPawsCheck(conn, now, tsVal, 0)) return false;
  // RFC 7323 5.3: a RST may carry an old timestamp once TS.Recent is an MSL old.
  if (rst && nowSeconds(now) >= conn.tsRecentStamp + TCP_PAWS_MSL_S) return false;
  return true;
}

/** Linux tcp_paws_discard, with tcp_disordered_ack's exception for reordered pure ACKs. */
function tcpPawsDiscard(conn: Connection, now: Time, seg: TcpSegment, tsVal: number): boolean {
  if (tcpPawsCheck(conn, now, tsVal, TCP_PAWS_WINDOW)) return false;
  const disordered =
    seg.flags & ACK &&
    tcpSegmentLength(seg) === 0 &&
    seg.seq === conn.rcvNxt &&
    seg.ack === conn.sndUna &&
    !tcpMayUpdateWindow(conn, seg.ack, seg.seq, windowOf(conn, seg)) &&
    ((conn.tsRecent - tsVal) | 0) <= Math.floor((conn.rto * 1024) / HZ);
  return !disordered;
}

export function storeTsRecent(conn: Connection, now: Time, tsVal: number): void {
  conn.tsRecent = tsVal | 0;
  conn.tsRecentStamp = nowSeconds(now);
}

/** Linux tcp_replace_ts_recent: TS.Recent follows segments at the left window edge (RFC 7323 4.3). */
function tcpReplaceTsRecent(conn: Connection, now: Time, seq: Seq, opts: ReceivedOptions): void {
  if (opts.tsVal === undefined || seqGt(seq, conn.rcvWup)) return;
  if (tcpPawsCheck(conn, now, opts.tsVal, 0)) storeTsRecent(conn, now, opts.tsVal);
}

// ---- Out-of-window ACKs and challenge ACKs. ----

/**
 * Linux tcp_oow_rate_limited: at most one duplicate ACK per tcp_invalid_ratelimit
 * (500 ms) for pure ACKs and SYNs out of window; data always gets its ACK.
 */
function oowRateLimited(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
  counter:
    | 'TcpExtTCPACKSkippedSynRecv'
    | 'TcpExtTCPACKSkippedPAWS'
    | 'TcpExtTCPACKSkippedSeq'
    | 'TcpExtTCPACKSkippedTimeWait',
): boolean {
  if (tcpSegmentLength(seg) !== 0 && !(seg.flags & SYN)) return false;
  return rateLimited(conn, now, counter);
}

/** Linux __tcp_oow_rate_limited. */
function rateLimited(conn: Connection, now: Time, counter: TcpCounterName): boolean {
  const last = conn.lastOowAckTime;
  if (last !== undefined) {
    const elapsed = jiffies(now) - jiffies(last);
    if (elapsed >= 0 && elapsed < msecsToJiffies(conn.net.sysctl.tcp_invalid_ratelimit)) {
      conn.net.count(counter);
      return true;
    }
  }
  conn.lastOowAckTime = now;
  return false;
}

/**
 * Linux tcp_send_challenge_ack (RFC 5961 3.2, 4.2, 5.2): an ACK telling a blind
 * attacker nothing but telling a real peer where we are. Limited per socket by
 * tcp_invalid_ratelimit and per namespace by tcp_challenge_ack_limit per second
 * (INT_MAX: unlimited), with Linux's randomised budget.
 */
export function tcpSendChallengeAck(conn: Connection, now: Time): void {
  const net = conn.net;
  if (rateLimited(conn, now, 'TcpExtTCPACKSkippedChallenge')) return;
  const limit = net.sysctl.tcp_challenge_ack_limit;
  if (limit < 2147483647) {
    const sec = Math.floor(jiffies(now) / HZ);
    if (sec !== net.challengeTimestamp) {
      const half = (limit + 1) >> 1;
      net.challengeTimestamp = sec;
      net.challengeCount = net.challengeRandom.int(half, limit + half - 1);
    }
    if (net.challengeCount <= 0) return;
    net.challengeCount--;
  }
  net.count('TcpExtTCPChallengeACK');
  tcpSendAck(conn, now);
}

/**
 * Linux tcp_send_dupack: ACK an unacceptable segment; a retransmission of data
 * we have gets a D-SACK (RFC 2883) and puts us in quick-ACK mode.
 */
function tcpSendDupack(conn: Connection, now: Time, seg: TcpSegment): void {
  const end = seqAdd(seg.seq, tcpSegmentLength(seg));
  if (end !== seg.seq && seqLt(seg.seq, conn.rcvNxt)) {
    conn.net.count('TcpExtDelayedACKLost');
    tcpEnterQuickackMode(conn);
    if (conn.sackOk && conn.net.sysctl.tcp_dsack) {
      tcpDsackSet(conn, seg.seq, seqGt(end, conn.rcvNxt) ? conn.rcvNxt : end);
    }
  }
  tcpSendAck(conn, now);
}

// ---- The ACK field (tcp_ack). ----

function windowOf(conn: Connection, seg: TcpSegment): number {
  return seg.flags & SYN ? seg.window : seg.window * (1 << conn.sndWscale);
}

/** RFC 9293 3.10.7.4 / Linux tcp_may_update_window: only a newer segment updates SND.WND. */
function tcpMayUpdateWindow(conn: Connection, ack: Seq, seq: Seq, nwin: number): boolean {
  return (
    seqGt(ack, conn.sndUna) ||
    seqGt(seq, conn.sndWl1) ||
    (seq === conn.sndWl1 && (nwin > conn.sndWnd || nwin === 0))
  );
}

/**
 * Linux tcp_ack: RFC 9293 3.10.7.4 fifth check. 'ok' for an acceptable ACK,
 * 'old' for a duplicate of an older one (the segment's text is still
 * processed), or the reason to drop the segment.
 */
function tcpAck(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
  opts: ReceivedOptions,
  noChallenge: boolean,
  slowpath: boolean,
): 'ok' | 'old' | TcpDropReason {
  if (!(seg.flags & ACK)) return 'old';
  const priorSndUna = conn.sndUna;
  const priorPackets = conn.rtxQueue.length;
  // tcp_highest_sack_seq before this ACK (prior_fack), for tcp_clean_rtx_queue's reordering check.
  const priorFack = tcpHighestSackSeq(conn);
  const ack = seg.ack;
  if (seqLt(ack, priorSndUna)) {
    // RFC 5961 5.2: an ACK more than a window old is a blind injection attempt.
    const maxWindow = Math.min(conn.maxWindow, conn.bytesAcked);
    if (seqLt(ack, seqAdd(priorSndUna, -maxWindow))) {
      if (!noChallenge) tcpSendChallengeAck(conn, now);
      return 'TCP_TOO_OLD_ACK';
    }
    return 'old';
  }
  // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT) then ... drop the
  // segment"; Linux 6.12 sends no ACK from here (the state machine may).
  if (seqGt(ack, conn.sndNxt)) return 'TCP_ACK_UNSENT_DATA';
  const unaAdvanced = seqGt(ack, priorSndUna);
  // Linux tcp_ack: a predicted ACK that moves SND.UNA counts in TCPHPAcks
  // ("Window is constant, pure forward advance"); any other that occupies no
  // sequence space (no data, SYN or FIN: "ack_seq == end_seq") in TCPPureAcks.
  const predicted = !slowpath && unaAdvanced;
  if (predicted) conn.net.counters.TcpExtTCPHPAcks++;
  else if (tcpSegmentLength(seg) === 0) conn.net.counters.TcpExtTCPPureAcks++;
  if (unaAdvanced) conn.retransmits = 0;
  tcpReplaceTsRecent(conn, now, seg.seq, opts);
  // Window update (RFC 9293 3.10.7.4: "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)").
  const nwin = windowOf(conn, seg);
  let winUpdate = false;
  if (tcpMayUpdateWindow(conn, ack, seg.seq, nwin)) {
    winUpdate = true;
    conn.sndWl1 = seg.seq;
    conn.sndWl2 = ack;
    const changed = nwin !== conn.sndWnd;
    conn.sndWnd = nwin;
    // tcp_ack_update_window, which a predicted ACK skips (its window is the
    // predicted one): a new window restarts header prediction with it.
    if (changed && !predicted) {
      conn.predWnd = -1;
      tcpFastPathCheck(conn);
      // "if (!tcp_write_queue_empty(sk)) tcp_slow_start_after_idle_check(sk)":
      // a window that reopens after an idle time restarts the window too.
      if (seqLt(conn.sndNxt, conn.writeSeq)) tcpSlowStartAfterIdleCheck(conn, now);
    }
    if (nwin > conn.maxWindow) {
      conn.maxWindow = nwin;
      tcpSyncMss(conn);
    }
  }
  // tcp_snd_una_update's bytes_acked. A passive open's child starts with
  // snd_una past its SYN-ACK (tcp_create_openreq_child: "snd_una = snt_isn +
  // 1"), so the ACK that completes the handshake acknowledges nothing of it.
  const synAckOfChild =
    conn.state === 'SYN_RECV' && conn.listener !== undefined && priorSndUna === conn.iss;
  conn.bytesAcked += seqDiff(ack, priorSndUna) - (synAckOfChild && unaAdvanced ? 1 : 0);
  conn.sndUna = ack;
  conn.probesOut = 0;
  conn.rcvTstamp = now;
  const blocks = opts.sack;
  // Nothing acknowledged, no window update, no data (none of
  // FLAG_SND_UNA_ADVANCED and FLAG_NOT_DUP): a duplicate ACK, SACKs aside.
  const noProgress = !unaAdvanced && !winUpdate && tcpSegmentLength(seg) === 0;
  if (priorPackets === 0) {
    // no_queue: "If data was DSACKed, see if we can undo a cwnd reduction."
    let dsackTlp = false;
    if (conn.sackOk && blocks !== undefined && blocks.length > 0) {
      const sack = tcpSacktagWriteQueue(conn, now, blocks, ack, priorSndUna);
      dsackTlp = sack.dsackTlp;
      if (sack.dsack) {
        tcpFastretransAlert(conn, now, unaAdvanced, false, false, factsOf(conn, opts, priorSndUna));
      }
    }
    tcpAckProbe(conn, now);
    tcpProcessTlpAck(conn, ack, dsackTlp, noProgress);
    return 'ok';
  }
  const deliveredBefore = conn.delivered;
  const lostBefore = conn.lost;
  tcpRateBegin();
  const sack =
    conn.sackOk && blocks !== undefined && blocks.length > 0
      ? tcpSacktagWriteQueue(conn, now, blocks, ack, priorSndUna)
      : undefined;
  const ackedPackets = tcpCleanRtxQueue(conn, now, ack, opts, priorSndUna, priorFack, sack);
  if (conn.rackDsackSeen || conn.rackReoWndSteps !== 1) {
    tcpRackUpdateReoWnd(conn, maxTime(ackState.newestSentAt, sack?.newestSentAt));
  }
  const dsack = sack?.dsack === true;
  const dataSacked = sack !== undefined && sack.sackDelivered > 0;
  // RFC 5681 2 / Linux: a duplicate ACK carries no data, no window update, no
  // D-SACK and acknowledges nothing new (FLAG_NOT_DUP, FLAG_DSACKING_ACK).
  const dupack = noProgress && !dsack;
  let renoDelivered = ackedPackets > 0 && !conn.sackOk ? removeRenoSacks(conn, ackedPackets) : 0;
  tcpProcessTlpAck(conn, ack, sack?.dsackTlp === true, noProgress && !dataSacked);
  // tcp_ack_is_dubious: loss recovery looks only at ACKs that are duplicates,
  // carry SACK news, or arrive outside the Open state.
  let alert = 0;
  if (dupack || dataSacked || dsack || conn.caState !== 'Open') {
    const facts = factsOf(conn, opts, priorSndUna);
    facts.origSackAcked = ackState.origSackAcked || sack?.origSackAcked === true;
    alert = tcpFastretransAlert(conn, now, unaAdvanced, dupack, dataSacked, facts);
    renoDelivered += facts.renoDelivered;
  }
  // tcp_set_xmit_timer (FLAG_SET_XMIT_TIMER): a loss probe if one is due, else
  // the RTO; not when RACK has just armed its reordering timer.
  if (ackState.setXmitTimer && (alert & RACK_TIMER_SET) === 0) {
    if (!tcpScheduleLossProbe(conn, now, true)) tcpRearmRto(conn, now);
  }
  // tcp_newly_delivered, then tcp_cong_control and tcp_xmit_recovery.
  if (!conn.sackOk) conn.delivered += renoDelivered;
  // Linux tcp_newly_delivered: TCPDelivered counts what this ACK delivered.
  // A passive open's SYN-ACK is not in the child's write queue in Linux
  // (tcp_rcv_state_process adds it to tp->delivered after tcp_ack), so it is
  // left out; a simultaneous open's SYN is counted, as it is queued there.
  let newlyDelivered = conn.delivered - deliveredBefore;
  if (
    conn.state === 'SYN_RECV' &&
    conn.listener !== undefined &&
    priorSndUna === conn.iss &&
    unaAdvanced &&
    newlyDelivered > 0
  ) {
    newlyDelivered--;
  }
  conn.net.counters.TcpExtTCPDelivered += newlyDelivered;
  tcpRateGen(conn, now, conn.delivered - deliveredBefore);
  tcpCongControl(
    conn,
    now,
    conn.delivered - deliveredBefore,
    conn.lost - lostBefore,
    unaAdvanced,
    ackedPackets > 0,
  );
  // tcp_xmit_recovery: F-RTO's new data first; retransmissions only if
  // none could go (then F-RTO ends).
  if (alert & REXMIT_NEW) {
    tcpPushPendingFrames(conn, now, true);
    if (!seqGt(conn.sndNxt, conn.highSeq)) {
      conn.frto = false;
      tcpXmitRetransmitQueue(conn, now);
    }
  } else if (alert & REXMIT_LOST) {
    tcpXmitRetransmitQueue(conn, now);
  }
  // sk_wmem_free_skb in tcp_clean_rtx_queue: SOCK_QUEUE_SHRUNK, for tcp_check_space.
  if (ackedPackets > 0) conn.queueShrunk = true;
  return 'ok';
}

/**
 * __sk_stream_is_writeable (include/net/sock.h): sk_stream_wspace (sk_sndbuf -
 * sk_wmem_queued) at least sk_stream_min_wspace (half of sk_wmem_queued).
 */
export function sndBufWriteable(conn: Connection): boolean {
  const queued = conn.wmemQueued();
  // __sk_stream_is_writeable(sk, 1): room, and few enough unsent bytes.
  return conn.sndBuf - queued >= queued >> 1 && conn.notsentBelowLowat(1);
}

/**
 * Linux tcp_process_tlp_ack (RFC 8985 7.4): the ACK of a loss probe. A probe
 * of new data, a D-SACK of the probe (FLAG_DSACK_TLP) or a pure duplicate ACK
 * (both the original and the probe arrived) ends the episode; an ACK beyond
 * the probe after a retransmitted one means a loss was repaired
 * (TcpExtTCPLossProbeRecovery). `pureDup`: nothing acknowledged, SACKed or
 * updated, no data (not FLAG_SND_UNA_ADVANCED, FLAG_NOT_DUP or
 * FLAG_DATA_SACKED). DEVIATION(linux): without a CWR state, the cwnd
 * reduction Linux makes on a repaired loss (tcp_init_cwnd_reduction +
 * tcp_end_cwnd_reduction) is not made.
 */
function tcpProcessTlpAck(conn: Connection, ack: Seq, dsackTlp: boolean, pureDup: boolean): void {
  const high = conn.tlpHighSeq;
  if (high === undefined || seqLt(ack, high)) return;
  if (!conn.tlpRetrans || dsackTlp) {
    conn.tlpHighSeq = undefined;
  } else if (seqGt(ack, high)) {
    conn.tlpHighSeq = undefined;
    conn.net.count('TcpExtTCPLossProbeRecovery');
  } else if (pureDup) {
    conn.tlpHighSeq = undefined;
  }
}

/** ackFacts for this ACK (FLAG_ORIG_SACK_ACKED left to the caller). */
function factsOf(conn: Connection, opts: ReceivedOptions, priorSndUna: Seq): AckFacts {
  const facts = ackFacts;
  facts.renoDelivered = 0;
  facts.priorSndUna = priorSndUna;
  facts.origSackAcked = false;
  // rcv_tsecr, on our clock (tsoffset off), for tcp_packet_delayed.
  const ecr =
    conn.tstampOk && opts.tsVal !== undefined && opts.tsEcr !== 0
      ? (opts.tsEcr - conn.tsOffset) >>> 0
      : 0;
  facts.tsEcr = ecr === 0 ? undefined : ecr;
  return facts;
}

/** What tcpFastretransAlert reads of the ACK and counts (reused: one ACK at a time). */
const ackFacts: AckFacts = {
  renoDelivered: 0,
  priorSndUna: 0 as Seq,
  tsEcr: undefined,
  origSackAcked: false,
};

/** What tcp_clean_rtx_queue tells the rest of tcp_ack (reused: one ACK at a time). */
const ackState = {
  /** FLAG_SET_XMIT_TIMER: the TLP or RTO timer is to be re-armed. */
  setXmitTimer: false,
  /** Send time of the most recently sent segment cumulatively acknowledged. */
  newestSentAt: undefined as Time | undefined,
  /** FLAG_ORIG_SACK_ACKED: it acknowledged data sent once only, below the recovery point. */
  origSackAcked: false,
};

function maxTime(a: Time | undefined, b: Time | undefined): Time | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** tcp_min_rtt_wlen's default: the minimum RTT is the least of the last 300 s (net/ipv4/tcp_ipv4.c). */
const TCP_MIN_RTT_WLEN = 300 * HZ;

/**
 * Linux tcp_update_rtt_min: the windowed minimum RTT (RACK's min_RTT, CUBIC's
 * and HyStart's). A sample that may include a delayed ACK does not raise it.
 * DEVIATION(linux): Linux's minmax filter keeps three samples to age the
 * minimum out smoothly; this keeps one, replaced when older than the window.
 */
function tcpUpdateRttMin(conn: Connection, now: Time, rttUs: number, maybeDelayed: boolean): void {
  if (maybeDelayed && rttUs > conn.minRttUs) return;
  const nowJ = jiffies(now);
  if (rttUs <= conn.minRttUs || nowJ - conn.minRttStamp > TCP_MIN_RTT_WLEN) {
    // "rtt_us ? : jiffies_to_usecs(1)".
    conn.minRttUs = rttUs > 0 ? rttUs : 1_000_000 / HZ;
    conn.minRttStamp = nowJ;
  }
}

/**
 * Linux tcp_clean_rtx_queue: forget what the ACK covers (a SACKed segment
 * leaves sacked_out; another counts as delivered and advances RACK), detect
 * reordering (a hole filled by an original transmission below the highest
 * SACK), and take an RTT sample (tcp_ack_update_rtt): from the oldest segment
 * never retransmitted (Karn's rule, RFC 6298 3), else from the oldest newly
 * SACKed one, else from the echoed timestamp (RFC 7323 4.1). Returns the
 * segments acknowledged; sets ackState.
 */
function tcpCleanRtxQueue(
  conn: Connection,
  now: Time,
  ack: Seq,
  opts: ReceivedOptions,
  priorSndUna: Seq,
  priorFack: Seq,
  sack: SacktagResult | undefined,
): number {
  let acked = 0;
  let firstAckt: Time | undefined;
  let lastAckt: Time | undefined;
  let newestSentAt: Time | undefined;
  let retransAcked = false;
  let priorSacked = false;
  let reord: Seq | undefined;
  let syn = false;
  let origSackAcked = false;
  const sackOk = conn.sackOk;
  const q = conn.rtxQueue;
  const packetsOut = q.length;
  while (acked < packetsOut && seqLe(q.at(acked).end, ack)) {
    const s = q.at(acked);
    acked++;
    if (s.flags & SYN) syn = true;
    if (s.everRetransmitted) {
      if (s.retrans) conn.retransOut--;
      retransAcked = true;
    } else if (!s.sacked) {
      if (firstAckt === undefined) firstAckt = s.sentAt;
      lastAckt = s.sentAt;
      if (reord === undefined) reord = s.seq;
      if (!seqGt(s.end, conn.highSeq)) origSackAcked = true;
    }
    if (s.sacked) {
      conn.sackedOut--;
      priorSacked = true;
    } else if (sackOk) {
      conn.delivered++;
      if (!tcpSkbSpuriousRetrans(conn, s, opts)) tcpRackAdvance(conn, now, s);
    }
    if (s.lost) conn.lostOut--;
    if (newestSentAt === undefined || s.sentAt > newestSentAt) newestSentAt = s.sentAt;
    tcpRateSkbDelivered(conn, s, false);
  }
  ackState.newestSentAt = newestSentAt;
  ackState.origSackAcked = origSackAcked;
  ackState.setXmitTimer = acked > 0;
  if (acked > 0) {
    // "if (!skb) tcp_chrono_stop(sk, TCP_CHRONO_BUSY)": everything in flight was acknowledged.
    if (acked === packetsOut) {
      conn.rtxQueue = NO_TX_SEGMENTS;
      tcpChronoStop(conn, now, 1);
    } else {
      q.dropHead(acked);
    }
    conn.sendBuffer.consumeTo(seqLt(ack, dataEnd(conn)) ? ack : dataEnd(conn));
    // "Non-retransmitted hole got filled? That's reordering".
    if (sackOk && reord !== undefined && seqLt(reord, priorFack))
      tcpCheckSackReordering(conn, reord);
  }
  // Karn: no sample from sequence numbers if any of it was retransmitted (FLAG_RETRANS_DATA_ACKED).
  let seqRttUs = firstAckt !== undefined && !retransAcked ? usDelta(now, firstAckt) : -1;
  let caRttUs = lastAckt !== undefined && !retransAcked ? usDelta(now, lastAckt) : -1;
  let sackRttUs = -1;
  if (sack?.firstSackt !== undefined && sack.lastSackt !== undefined) {
    sackRttUs = usDelta(now, sack.firstSackt);
    caRttUs = usDelta(now, sack.lastSackt);
  }
  // tcp_ack_update_rtt.
  if (seqRttUs < 0) seqRttUs = sackRttUs;
  if (seqRttUs < 0 && acked > 0 && opts.tsVal !== undefined && opts.tsEcr !== 0 && conn.tstampOk) {
    // tcp_rtt_tsopt_us: milliseconds, at least 1.
    const delta = (tcpClockMs(now) - ((opts.tsEcr - conn.tsOffset) >>> 0)) >>> 0;
    if (delta < 2147483647 / 1000) {
      seqRttUs = Math.max(delta, 1) * 1000;
      caRttUs = seqRttUs;
    }
  }
  if (seqRttUs >= 0) {
    // FLAG_ACK_MAYBE_DELAYED: one runt segment acknowledged alone, nothing SACKed.
    const maybeDelayed =
      acked === 1 &&
      !priorSacked &&
      sack === undefined &&
      !syn &&
      seqRttUs === caRttUs &&
      lastAckt !== undefined &&
      seqDiff(ack, priorSndUna) < conn.sndMss;
    tcpUpdateRttMin(conn, now, caRttUs, maybeDelayed);
    tcpRttEstimator(conn.rtt, seqRttUs, conn.sndUna, conn.sndNxt);
    conn.rto = tcpRtoJiffies(conn.rtt);
    // RFC 6298 5.7 / Linux: only a valid RTT measurement resets the backoff.
    conn.backoff = 0;
    // "Do not re-arm RTO if the sack RTT is measured from data sent after
    // when the head was last (re)transmitted."
    const head = conn.rtxQueue.head;
    if (
      acked === 0 &&
      head !== undefined &&
      sackRttUs >= 0 &&
      sackRttUs > usDelta(now, head.sentAt)
    ) {
      ackState.setXmitTimer = true;
    }
  }
  tcpCaPktsAcked(conn, now, seqRttUs >= 0 ? caRttUs : -1);
  // Acknowledging the SYN ends its retransmissions' clock (FLAG_SYN_ACKED);
  // other data leave it to the loss recovery states, whose undo reads it.
  if (syn) conn.retransStamp = undefined;
  return acked;
}

/**
 * Linux tcp_skb_spurious_retrans: a retransmitted segment acknowledged by an
 * ACK echoing a timestamp older than the retransmission: the original arrived.
 */
function tcpSkbSpuriousRetrans(conn: Connection, s: TxSegment, opts: ReceivedOptions): boolean {
  if (!s.everRetransmitted || opts.tsVal === undefined || opts.tsEcr === 0) return false;
  const ecr = (opts.tsEcr - conn.tsOffset) >>> 0;
  return ((ecr - tcpClockMs(s.sentAt)) | 0) < 0;
}

/** Linux tcp_ack_probe: an ACK while probing a zero window. */
function tcpAckProbe(conn: Connection, now: Time): void {
  if (!seqLt(conn.sndNxt, conn.writeSeq)) return;
  const len = Math.min(seqDiff(dataEnd(conn), conn.sndNxt), tcpCurrentMss(conn));
  const headEnd = seqAdd(
    conn.sndNxt,
    len + (conn.finSeq !== undefined && seqAdd(conn.sndNxt, len) === conn.finSeq ? 1 : 0),
  );
  if (seqLe(headEnd, seqAdd(conn.sndUna, conn.sndWnd))) {
    conn.backoff = 0;
    clearTimer(conn, 'probe0');
  } else {
    armTimer(conn, 'probe0', now, tcpProbe0When(conn));
  }
}

// ---- The segment text (tcp_data_queue and friends). ----

/** Linux tcp_dsack_set: the next ACK reports [from, to) as a duplicate (RFC 2883). */
function tcpDsackSet(conn: Connection, from: Seq, to: Seq): void {
  if (!conn.sackOk || !conn.net.sysctl.tcp_dsack) return;
  conn.net.count(seqLt(from, conn.rcvNxt) ? 'TcpExtTCPDSACKOldSent' : 'TcpExtTCPDSACKOfoSent');
  conn.dsack = { left: from, right: to };
}

/** Linux tcp_incr_quickack: ACK the next segments at once, as many as fill half the window. */
function tcpIncrQuickack(conn: Connection, max: number): void {
  let quickacks = Math.floor(conn.rcvWnd / (2 * conn.rcvMss));
  if (quickacks === 0) quickacks = 2;
  quickacks = Math.min(quickacks, max);
  if (quickacks > conn.quick) conn.quick = quickacks;
}

/** Linux tcp_enter_quickack_mode. */
function tcpEnterQuickackMode(conn: Connection): void {
  tcpIncrQuickack(conn, TCP_MAX_QUICKACKS);
  conn.pingpong = 0;
  conn.ato = TCP_ATO_MIN;
}

/** TCP_REMNANT: the flags a segment shorter than the MSS may have for a reason. */
const TCP_REMNANT = FIN | URG | SYN | PSH;

/**
 * Linux tcp_measure_rcv_mss: the largest segment seen is the peer's MSS guess,
 * and a segment of a new size re-measures the payload-to-truesize ratio the
 * window is computed with (Linux 6.6+ scaling_ratio), which moves the window
 * clamp to the buffer's worth at that ratio; a full segment with PSH, or a
 * smaller one, marks the ACK owed as pushed (ICSK_ACK_PUSHED, then PUSHED2),
 * unless the smaller one is the same size as the last (the peer's MSS less a
 * SACK option: it becomes rcv_mss).
 */
function tcpMeasureRcvMss(conn: Connection, seg: TcpSegment, len: number, truesize: number): void {
  const lss = conn.lastSegSize;
  conn.lastSegSize = 0;
  if (len < conn.rcvMss) {
    // "len" is invariant segment length, including TCP header.
    const withHeader = len + tcpLength(seg) - seg.payload.length;
    if (
      withHeader >= TCP_MSS_DEFAULT + TCP_HEADER_LEN ||
      // "If PSH is not set, packet should be full sized".
      (withHeader >= TCP_MIN_MSS + TCP_HEADER_LEN && (seg.flags & TCP_REMNANT) === 0)
    ) {
      // Less the invariant header: tcp_header_len (with the timestamp option).
      const mss = withHeader - TCP_HEADER_LEN - (conn.tstampOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
      conn.lastSegSize = mss;
      if (mss === lss) {
        conn.rcvMss = mss;
        return;
      }
    }
    if (conn.ackPushed) conn.ackPushed2 = true;
    conn.ackPushed = true;
    return;
  }
  if (len !== conn.rcvMss) {
    const old = conn.scalingRatio;
    conn.scalingRatio = Math.max(1, Math.floor((len << TCP_RMEM_TO_WIN_SCALE) / truesize));
    if (conn.scalingRatio !== old) {
      tcpSetWindowClamp(conn, tcpWinFromSpace(conn, conn.rcvBuf));
      const rs = rcvSpaceOf(conn);
      if (conn.windowClamp < rs.space) rs.space = conn.windowClamp;
    }
  }
  conn.rcvMss = Math.min(len, conn.advMss);
  // "If the skb has a len of exactly 1*MSS and has the PSH bit set then it is
  // likely the end of an application write": the reader's read ACKs it.
  if (seg.flags & PSH) conn.ackPushed = true;
}

/**
 * Linux tcp_rcv_rtt_update: the receiver's RTT estimate (µs × 8) keeps the
 * smallest sample; a timestamp sample (`winDep` false) larger than it is
 * averaged in, if nothing is waiting to be read.
 */
function tcpRcvRttUpdate(conn: Connection, rs: RcvSpace, sampleUs: number, winDep: boolean): void {
  const m = sampleUs * 8;
  const old = rs.rttUs8;
  if (old === 0 || m < old) {
    rs.rttUs8 = m;
    return;
  }
  if (winDep || conn.rcvQueue.length > 0) return;
  rs.rttUs8 = old - (old >> 3) + sampleUs;
}

/**
 * Linux tcp_rcv_rtt_measure: without timestamps, the time to receive a
 * window's worth of data is an RTT sample (Dynamic Right-Sizing).
 */
function tcpRcvRttMeasure(conn: Connection, now: Time): void {
  const rs = rcvSpaceOf(conn);
  if (rs.rttTime !== 0) {
    if (seqLt(conn.rcvNxt, rs.rttSeq)) return;
    tcpRcvRttUpdate(conn, rs, Math.max(1, Math.floor((now - rs.rttTime) / 1000)), true);
  }
  rs.rttSeq = seqAdd(conn.rcvNxt, conn.rcvWnd);
  rs.rttTime = Math.max(now, 1);
}

/**
 * Linux tcp_rcv_rtt_measure_ts: a segment of at least rcv_mss that echoes a
 * timestamp not yet sampled gives an RTT sample in ms (the TS clock).
 */
function tcpRcvRttMeasureTs(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
  opts: ReceivedOptions,
): void {
  if (opts.tsEcr === undefined || opts.tsEcr === 0 || !conn.tstampOk) return;
  // DEVIATION(linux): TSecrs of segments before the first data are not remembered.
  if (conn.rcvSpace === undefined && seg.payload.length === 0) return;
  const rs = rcvSpaceOf(conn);
  if (opts.tsEcr === rs.lastTsecr) return;
  rs.lastTsecr = opts.tsEcr;
  if (tcpSegmentLength(seg) < conn.rcvMss) return;
  const delta = (tcpClockMs(now) - ((opts.tsEcr - conn.tsOffset) >>> 0)) | 0;
  if (delta > 0 && delta < 2147483647 / 1000) tcpRcvRttUpdate(conn, rs, delta * 1000, false);
}

/**
 * Linux tcp_rcv_space_adjust, after each read (Dynamic Right-Sizing): once an
 * RTT has passed, the bytes read in it (less what is still queued) measure the
 * sender's rate; when they beat the last measure the buffer grows, in
 * tcp_rcvbuf_grow, to twice them, plus twice the growth again in slow start
 * ("allow the sender to double its rate"), up to tcp_rmem[2], and the window
 * clamp with it; rcv_ssthresh then grows from it segment by segment
 * (tcp_grow_window). SO_RCVBUF (rcvBufLocked) or tcp_moderate_rcvbuf=0 stops it.
 * Observed on Linux 6.18.44 (20 ms RTT, ratio 160): rcvq_space 14480 → 28960
 * made sk_rcvbuf 278016 = (57920 + 2 × 57920) × 256 / 160; 28960 → 115144 made
 * it 2561513.
 */
export function tcpRcvSpaceAdjust(conn: Connection, now: Time): void {
  const rs = conn.rcvSpace;
  if (rs === undefined) return;
  const timeUs = Math.floor((now - rs.time) / 1000);
  if (rs.rttUs8 === 0 || timeUs < rs.rttUs8 >> 3) return;
  const copiedNow = copiedSeq(conn);
  // "Number of bytes copied to user in last RTT", less what is still queued.
  const copied = seqDiff(copiedNow, rs.seq) - conn.rcvQueue.length;
  if (copied > rs.space) {
    const old = rs.space;
    rs.space = copied;
    const sys = conn.net.sysctl;
    if (sys.tcp_moderate_rcvbuf && !conn.rcvBufLocked) {
      // tcp_rcvbuf_grow: "DRS is always one RTT late" (twice the measure), and
      // "slow start: allow the sender to double its rate".
      let rcvwin = copied * 2;
      rcvwin += 2 * Math.floor((rcvwin * (copied - old)) / old);
      const rcvbuf = Math.min(tcpSpaceFromWin(conn, rcvwin), sys.tcp_rmem[2]);
      if (rcvbuf > conn.rcvBuf) {
        conn.rcvBuf = rcvbuf;
        conn.windowClamp = tcpWinFromSpace(conn, rcvbuf);
      }
    }
  }
  rs.seq = copiedNow;
  rs.time = now;
}

/**
 * Linux tcp_event_data_recv: the delayed-ACK engine learns from the spacing of
 * arriving data. The first data starts quick-ACK mode (the start of a
 * connection is ACKed at once) and sets ato to 40 ms; closely spaced data
 * shortens ato, a long silence restarts quick ACKs.
 */
function tcpEventDataRecv(conn: Connection, now: Time, seg: TcpSegment, len: number): void {
  const truesize = len + SKB_RX_OVERHEAD;
  tcpMeasureRcvMss(conn, seg, len, truesize);
  tcpRcvRttMeasure(conn, now);
  if (conn.ato === 0) {
    tcpIncrQuickack(conn, TCP_MAX_QUICKACKS);
    conn.ato = TCP_ATO_MIN;
  } else {
    const m = jiffies(now) - jiffies(conn.lrcvtime);
    if (m <= TCP_ATO_MIN / 2) {
      conn.ato = (conn.ato >> 1) + TCP_ATO_MIN / 2;
    } else if (m < conn.ato) {
      conn.ato = (conn.ato >> 1) + m;
      if (conn.ato > conn.rto) conn.ato = conn.rto;
    } else if (m > conn.rto) {
      // "Too long gap. Apparently sender failed to restart window."
      tcpIncrQuickack(conn, TCP_MAX_QUICKACKS);
    }
  }
  conn.lrcvtime = now;
  if (len >= 128) tcpGrowWindow(conn, len, truesize);
}

/**
 * Linux tcp_grow_window: a segment lets the offered window (rcv_ssthresh) grow
 * towards the buffer's worth, by two segments, if segments of its
 * payload-to-truesize ratio would fill the buffer no faster than the window
 * lets them in (__tcp_grow_window halves both sides until one fits). Segments
 * under 128 bytes never do (tcp_event_data_recv): after small responses the
 * window stays where the handshake left it.
 */
function tcpGrowWindow(conn: Connection, len: number, truesize: number): void {
  const room = Math.min(conn.windowClamp, tcpSpace(conn)) - conn.rcvSsthresh;
  if (room <= 0) return;
  let incr = 0;
  if (tcpWinFromSpace(conn, truesize) <= len) {
    incr = 2 * conn.advMss;
  } else {
    // __tcp_grow_window.
    let t = tcpWinFromSpace(conn, truesize) >> 1;
    let window = tcpWinFromSpace(conn, conn.net.sysctl.tcp_rmem[2]) >> 1;
    while (conn.rcvSsthresh <= window) {
      if (t <= len) {
        incr = 2 * conn.rcvMss;
        break;
      }
      t >>= 1;
      window >>= 1;
    }
  }
  if (incr === 0) return;
  incr = Math.max(incr, 2 * len);
  conn.rcvSsthresh += Math.min(room, incr);
  conn.quick |= 1;
}

/** Linux tcp_data_queue: in-order data to the receive queue, the rest to the out-of-order queue. */
function tcpDataQueue(conn: Connection, now: Time, seg: TcpSegment): Verdict {
  const segLen = tcpSegmentLength(seg);
  if (segLen === 0) return undefined;
  const start = seg.seq;
  const end = seqAdd(start, segLen);
  const synLen = seg.flags & SYN ? 1 : 0;
  conn.dsack = undefined;
  if (start === conn.rcvNxt) {
    if (tcpReceiveWindow(conn) === 0) {
      // "Some stacks are known to send bare FIN packets in a loop even if we send
      // RWIN 0 in our ACK": accept a bare FIN.
      if (!(seg.payload.length === 0 && seg.flags & FIN)) {
        conn.net.count('TcpExtTCPZeroWindowDrop');
        outOfWindow(conn);
        return 'TCP_ZEROWINDOW';
      }
    }
    return queueAndOut(conn, now, seg, seg.payload, synLen);
  }
  if (!seqGt(end, conn.rcvNxt)) {
    // "A retransmit, 2nd most common case. Force an immediate ack."
    conn.net.count('TcpExtDelayedACKLost');
    tcpDsackSet(conn, start, end);
    outOfWindow(conn);
    return 'TCP_OLD_DATA';
  }
  if (!seqLt(start, seqAdd(conn.rcvNxt, tcpReceiveWindow(conn)))) {
    // "Out of window. F.e. zero window probe."
    outOfWindow(conn);
    return 'TCP_OVERWINDOW';
  }
  if (seqLt(start, conn.rcvNxt)) {
    // "Partial packet, seq < rcv_next < end_seq."
    tcpDsackSet(conn, start, conn.rcvNxt);
    if (tcpReceiveWindow(conn) === 0) {
      conn.net.count('TcpExtTCPZeroWindowDrop');
      outOfWindow(conn);
      return 'TCP_ZEROWINDOW';
    }
    const skip = seqDiff(conn.rcvNxt, start) - synLen;
    return queueAndOut(conn, now, seg, seg.payload.subarray(Math.max(0, skip)), 0);
  }
  return tcpDataQueueOfo(conn, now, seg);
}

/** out_of_window in tcp_data_queue: quick-ACK mode and an ACK owed. */
function outOfWindow(conn: Connection): void {
  tcpEnterQuickackMode(conn);
  conn.ackPending = true;
}

function queueAndOut(
  conn: Connection,
  now: Time,
  seg: TcpSegment,
  data: Uint8Array,
  synLen: number,
): Verdict {
  const used = conn.rcvQueue.length + conn.ofoQueue.bytes;
  if (data.length > 0 && used + data.length > conn.rcvBuf && conn.rcvQueue.length > 0) {
    // tcp_try_rmem_schedule failed: ACK now with what we have (a smaller window).
    // DEVIATION(linux): payload is compared with sk_rcvbuf; Linux compares
    // sk_rmem_alloc (truesize) and first collapses the queues and, unless
    // SO_RCVBUF locked it, raises sk_rcvbuf to what is held (tcp_prune_queue,
    // tcp_clamp_window). A sender that respects the window never gets here.
    conn.ackNow = true;
    conn.ackPending = true;
    conn.net.count('TcpExtTCPRcvQDrop');
    return 'PROTO_MEM';
  }
  conn.rcvQueue.push(data);
  conn.rcvNxt = seqAdd(conn.rcvNxt, synLen + data.length);
  if (data.length > 0) {
    tcpEventDataRecv(conn, now, seg, data.length);
    conn.ackPending = true;
    conn.emit(TCP_EVENT_READABLE);
  }
  if (seg.flags & FIN) {
    conn.rcvNxt = seqAdd(conn.rcvNxt, 1);
    tcpFin(conn, now);
  }
  if (!conn.ofoQueue.empty || conn.ofoFin !== undefined) {
    tcpOfoQueue(conn, now);
    // RFC 5681 4.2: "an immediate ACK SHOULD be sent when ... fills in all or part of a gap".
    if (conn.ofoQueue.empty) conn.ackNow = true;
  }
  if (conn.selectiveAcks.length > 0) tcpSackRemove(conn);
  tcpFastPathCheck(conn);
  return 'consumed';
}

/** Linux tcp_ofo_queue: what the new data made contiguous moves to the receive queue. */
function tcpOfoQueue(conn: Connection, now: Time): void {
  let moved = false;
  for (let n = conn.ofoQueue.moveTo(conn.rcvNxt, conn.rcvQueue); n > 0; ) {
    conn.rcvNxt = seqAdd(conn.rcvNxt, n);
    moved = true;
    n = conn.ofoQueue.moveTo(conn.rcvNxt, conn.rcvQueue);
  }
  if (moved) conn.emit(TCP_EVENT_READABLE);
  if (conn.ofoFin !== undefined && conn.ofoFin === conn.rcvNxt && conn.state !== 'CLOSE') {
    conn.ofoFin = undefined;
    conn.rcvNxt = seqAdd(conn.rcvNxt, 1);
    tcpFin(conn, now);
  }
}

/** Linux tcp_data_queue_ofo: hold data that arrived early, and say so with SACK blocks. */
function tcpDataQueueOfo(conn: Connection, _now: Time, seg: TcpSegment): Verdict {
  conn.net.count('TcpExtTCPOFOQueue');
  conn.ackPending = true;
  const synLen = seg.flags & SYN ? 1 : 0;
  const dataSeq = seqAdd(seg.seq, synLen);
  const data = seg.payload;
  const used = conn.rcvQueue.length + conn.ofoQueue.bytes;
  if (used + data.length > conn.rcvBuf) {
    conn.net.count('TcpExtTCPOFODrop');
    return 'PROTO_MEM';
  }
  // "Disable header prediction."
  conn.predWnd = -1;
  if (seg.flags & FIN) {
    const finSeq = seqAdd(dataSeq, data.length);
    if (conn.ofoFin === undefined || seqLt(finSeq, conn.ofoFin)) conn.ofoFin = finSeq;
  }
  if (data.length === 0) return 'consumed';
  const r = conn.ofoQueue.insert(dataSeq, data);
  if (r.duplicate) {
    conn.net.count('TcpExtTCPOFOMerge');
    tcpDsackSet(conn, r.overlap!.left, r.overlap!.right);
    tcpSackNewOfoSkb(conn, r.block.left, r.block.right);
    return 'TCP_OFOMERGE';
  }
  if (r.overlap !== undefined) tcpDsackSet(conn, r.overlap.left, r.overlap.right);
  tcpSackNewOfoSkb(conn, r.block.left, r.block.right);
  return 'consumed';
}

/**
 * Linux tcp_sack_new_ofo_skb: the block holding the newest data goes first
 * (RFC 2018 4: "the first SACK block ... MUST specify the contiguous block of
 * data containing the segment which triggered this ACK"); blocks it absorbed go.
 */
function tcpSackNewOfoSkb(conn: Connection, left: Seq, right: Seq): void {
  const kept = conn.selectiveAcks.filter((b) => seqLt(b.right, left) || seqGt(b.left, right));
  kept.unshift({ left, right });
  if (kept.length > TCP_NUM_SACKS) kept.length = TCP_NUM_SACKS;
  conn.selectiveAcks = kept;
}

/** Linux tcp_sack_remove: blocks now below RCV.NXT are no longer news. */
function tcpSackRemove(conn: Connection): void {
  if (conn.ofoQueue.empty) {
    conn.selectiveAcks = NO_SACK_BLOCKS;
    return;
  }
  const kept = conn.selectiveAcks.filter((b) => seqLt(conn.rcvNxt, b.left));
  conn.selectiveAcks = kept.length > 0 ? kept : NO_SACK_BLOCKS;
}

/**
 * Linux tcp_fin (RFC 9293 3.10.7.4 eighth check): the peer has no more to send.
 * ESTABLISHED goes to CLOSE-WAIT (and interactive mode, so our FIN may carry the
 * ACK), FIN-WAIT-1 to CLOSING, FIN-WAIT-2 to TIME-WAIT, the last two with an
 * immediate ACK.
 */
function tcpFin(conn: Connection, now: Time): void {
  conn.ackPending = true;
  conn.finReceived = true;
  switch (conn.state) {
    case 'SYN_RECV':
    case 'ESTABLISHED':
      setState(conn, 'CLOSE_WAIT', now);
      // inet_csk_enter_pingpong_mode: our FIN will likely follow; let it carry the ACK.
      conn.pingpong = conn.net.sysctl.tcp_pingpong_thresh;
      break;
    case 'CLOSE_WAIT':
    case 'CLOSING':
    case 'LAST_ACK':
      // A retransmitted FIN: nothing new.
      break;
    case 'FIN_WAIT1':
      // Simultaneous close.
      tcpSendAck(conn, now);
      setState(conn, 'CLOSING', now);
      break;
    case 'FIN_WAIT2':
      tcpSendAck(conn, now);
      tcpTimeWait(conn, now, 'TIME_WAIT', TCP_TIMEWAIT_LEN);
      break;
    default:
      break;
  }
  // "It _is_ possible, that we have something out-of-order _after_ FIN. ... For now drop them."
  conn.ofoQueue.clear();
  conn.ofoFin = undefined;
  conn.selectiveAcks = NO_SACK_BLOCKS;
  conn.emit(TCP_EVENT_EOF);
}

/**
 * Linux __tcp_ack_snd_check: ACK now when more than one full segment is
 * unacknowledged and the window can move, in quick-ACK mode, when something
 * demands it (a gap filled, data out of order), else delay the ACK.
 * DEVIATION(linux): no SACK compression (tcp_comp_sack_*): out-of-order data is
 * ACKed at once every time, where Linux ACKs the first three at once.
 */
function tcpAckSndCheck(conn: Connection, now: Time): void {
  if (!conn.ackPending) return;
  const quickack = conn.quick > 0 && !inPingpongMode(conn);
  if (
    (seqDiff(conn.rcvNxt, conn.rcvWup) > conn.rcvMss && windowCanAdvance(conn)) ||
    quickack ||
    conn.ackNow ||
    !conn.ofoQueue.empty
  ) {
    tcpSendAck(conn, now);
    return;
  }
  tcpSendDelayedAck(conn, now);
}

/** "... and right edge of window advances far enough" (__tcp_select_window >= rcv_wnd). */
function windowCanAdvance(conn: Connection): boolean {
  return tcpSelectWindowBytes(conn) >= conn.rcvWnd;
}
