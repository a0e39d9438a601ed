/**
 * Sending: every segment a connection emits is built here, as Linux's
 * tcp_output.c builds it (tcp_transmit_skb): the sequence number, the window
 * we announce (tcp_select_window), the options (timestamps, SACK blocks) and the
 * bookkeeping every transmission does (TcpOutSegs, the delayed ACK it carries,
 * the interactive-exchange detector). Then the senders: the SYN (tcp_connect),
 * the SYN-ACK, new data under the congestion window, the peer's window and
 * Nagle (tcp_write_xmit), retransmissions, pure ACKs, the FIN, RSTs and probes.
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqAdd, seqDiff, seqGt, seqLt } from '../wire/seq.js';
import { ACK, FIN, PSH, RST, SYN, type TcpSegment } from '../wire/tcp.js';
import { type SackBlock, TCP_NOP, type TcpOption } from '../wire/tcp-options.js';
import { TCP_RMEM_TO_WIN_SCALE } from './buffers.js';
import {
  HZ,
  jiffies,
  TCP_ATO_MIN,
  TCP_DELACK_MAX,
  TCP_DELACK_MIN,
  TCP_RTO_MAX,
  TCP_RTO_MIN,
  TCP_TIMEOUT_INIT,
  tcpClockMs,
  USEC_PER_JIFFY,
  usecsToJiffies,
} from './clock.js';
import {
  isCwndLimited,
  tcpCaEventTxStart,
  tcpCurrentSsthresh,
  tcpPacketsInFlight,
} from './congestion.js';
import { type Connection, NO_CHRONO_STAT, type TxSegment } from './connection.js';
import { establishedOptions, synOptions, TCPOLEN_TSTAMP_ALIGNED } from './options.js';
import { tcpRateSkbSent } from './rate.js';
import { srttUs } from './rtt.js';
import { setState } from './state.js';
import { armTimer, clearTimer } from './timers.js';

const EMPTY = new Uint8Array(0);

/** TCP_MAX_WINDOW without scaling (64 KiB - 1). */
export const MAX_UNSCALED_WINDOW = 65535;
/** MAX_TCP_WINDOW: what tcp_workaround_signed_windows limits to. */
const MAX_TCP_WINDOW = 32767;

// ---- Windows (tcp_output.c tcp_select_initial_window, __tcp_select_window). ----

/**
 * The window `space` bytes of receive buffer stand for (Linux
 * tcp_win_from_space): space × scaling_ratio / 256. Since Linux 6.6 the ratio
 * starts at one half (so tcp_rmem[1] = 128 KiB gives 64 KiB) and follows the
 * payload-to-truesize ratio of what arrives (tcp_measure_rcv_mss).
 */
export function tcpWinFromSpace(conn: Connection, space: number): number {
  return Math.floor((space * conn.scalingRatio) / (1 << TCP_RMEM_TO_WIN_SCALE));
}

/** The buffer a window of `win` bytes needs (Linux tcp_space_from_win). */
export function tcpSpaceFromWin(conn: Connection, win: number): number {
  return Math.floor((win * (1 << TCP_RMEM_TO_WIN_SCALE)) / conn.scalingRatio);
}

/** The window the whole receive buffer stands for (Linux tcp_full_space). */
export function tcpFullSpace(conn: Connection): number {
  return tcpWinFromSpace(conn, conn.rcvBuf);
}

/**
 * The window the free part of the buffer stands for (Linux tcp_space): what
 * sk_rmem_alloc, the truesize of the queued segments, leaves of sk_rcvbuf.
 */
export function tcpSpace(conn: Connection): number {
  return tcpWinFromSpace(conn, conn.rcvBuf - conn.rcvQueue.truesize - conn.ofoQueue.truesize);
}

/** What is left of the window we announced (Linux tcp_receive_window). */
export function tcpReceiveWindow(conn: Connection): number {
  return Math.max(0, conn.rcvWnd - seqDiff(conn.rcvNxt, conn.rcvWup));
}

/**
 * Linux tcp_select_initial_window: the window of a SYN or SYN-ACK, a multiple of
 * the MSS that fits in 16 bits: 64240 = 44 × 1460 for a SYN on a 1500-byte MTU,
 * 65160 = 45 × 1448 for a SYN-ACK that agreed to timestamps.
 */
export function tcpInitialWindow(conn: Connection, mss: number): number {
  let space = tcpFullSpace(conn);
  if (space > mss) space = Math.floor(space / mss) * mss;
  return Math.min(
    space,
    conn.net.sysctl.tcp_workaround_signed_windows ? MAX_TCP_WINDOW : MAX_UNSCALED_WINDOW,
  );
}

/** Linux __tcp_select_window: the window to offer now, in bytes. */
export function tcpSelectWindowBytes(conn: Connection): number {
  let mss = conn.rcvMss;
  let freeSpace = tcpSpace(conn);
  const allowedSpace = tcpFullSpace(conn);
  const fullSpace = Math.min(conn.windowClamp, allowedSpace);
  const scale = 1 << conn.rcvWscale;
  if (mss > fullSpace) {
    mss = fullSpace;
    if (mss <= 0) return 0;
  }
  if (freeSpace < fullSpace >> 1) {
    // The buffer is more than half full: stop quick ACKs and aim for a zero window
    // rather than let data be dropped (tcp_output.c: "try to move to zero-window").
    conn.quick = 0;
    freeSpace = Math.floor(freeSpace / scale) * scale;
    if (freeSpace < allowedSpace >> 4 || freeSpace < mss) return 0;
  }
  if (freeSpace > conn.rcvSsthresh) freeSpace = conn.rcvSsthresh;
  if (conn.rcvWscale > 0) {
    // "Advertise enough space so that it won't get scaled away."
    return Math.ceil(freeSpace / scale) * scale;
  }
  let window = conn.rcvWnd;
  // Keep the offer if within one MSS of the free space (saves the arithmetic and
  // keeps the window a multiple of the MSS).
  if (window <= freeSpace - mss || window > freeSpace) {
    window = Math.floor(freeSpace / mss) * mss;
  } else if (mss === fullSpace && freeSpace > window + (fullSpace >> 1)) {
    window = freeSpace;
  }
  return window;
}

/**
 * Linux tcp_select_window: the window field of a segment other than a SYN. The
 * offered window never shrinks (RFC 9293 3.8.6.2.2, tcp_shrink_window = 0); the
 * new right edge is remembered in RCV.WND/RCV.WUP.
 */
export function tcpSelectWindow(conn: Connection): number {
  const oldWin = conn.rcvWnd;
  const curWin = tcpReceiveWindow(conn);
  let newWin = tcpSelectWindowBytes(conn);
  const scale = 1 << conn.rcvWscale;
  if (newWin < curWin) {
    if (!conn.net.sysctl.tcp_shrink_window || conn.rcvWscale === 0) {
      if (newWin === 0) conn.net.count('TcpExtTCPWantZeroWindowAdv');
      newWin = Math.ceil(curWin / scale) * scale;
    }
  }
  conn.rcvWnd = newWin;
  conn.rcvWup = conn.rcvNxt;
  const max =
    conn.rcvWscale === 0 && conn.net.sysctl.tcp_workaround_signed_windows
      ? MAX_TCP_WINDOW
      : MAX_UNSCALED_WINDOW * scale;
  const field = Math.floor(Math.min(newWin, max) / scale);
  if (field === 0) {
    // "If we advertise zero window, disable fast path."
    conn.predWnd = -1;
    if (oldWin !== 0) conn.net.count('TcpExtTCPToZeroWindowAdv');
  } else if (oldWin === 0) {
    conn.net.count('TcpExtTCPFromZeroWindowAdv');
  }
  return field;
}

// ---- Options and MSS. ----

/** Our TSval now, and TS.Recent as the echo (RFC 7323 3.2, 4.3). */
export function tcpTimestamps(conn: Connection, now: Time): { tsVal: number; tsEcr: number } {
  return { tsVal: (tcpClockMs(now) + conn.tsOffset) | 0, tsEcr: conn.tsRecent };
}

const NO_OPTIONS: readonly TcpOption[] = Object.freeze([]);
/** The last `nop,nop,TS` list segmentOptions made, and its values (any connection's: the list depends on them only). */
let lastTsOptions: readonly TcpOption[] = NO_OPTIONS;
let lastTsVal = 0;
let lastTsEcr = 0;

/**
 * The options of a segment other than SYN (tcp_established_options). The usual
 * case, timestamps and no SACK block, is built directly: it is every segment
 * of a connection.
 */
function segmentOptions(conn: Connection, now: Time): readonly TcpOption[] {
  if (!conn.sackOk || (conn.dsack === undefined && conn.selectiveAcks.length === 0)) {
    if (!conn.tstampOk) return NO_OPTIONS;
    const tsVal = (tcpClockMs(now) + conn.tsOffset) | 0;
    const tsEcr = conn.tsRecent;
    // Segments sent in the same millisecond with the same echo (a burst) carry
    // equal options: they share one list (never written once made).
    if (tsVal !== lastTsVal || tsEcr !== lastTsEcr || lastTsOptions === NO_OPTIONS) {
      lastTsOptions = [TCP_NOP, TCP_NOP, { kind: 'timestamps', tsVal, tsEcr }];
      lastTsVal = tsVal;
      lastTsEcr = tsEcr;
    }
    return lastTsOptions;
  }
  return establishedOptions(
    conn.tstampOk ? tcpTimestamps(conn, now) : undefined,
    sackBlocksToSend(conn),
  );
}

/** The SACK blocks the next segment reports: a D-SACK first, then the most recent blocks. */
function sackBlocksToSend(conn: Connection): SackBlock[] {
  if (!conn.sackOk) return [];
  const out: SackBlock[] = [];
  if (conn.dsack !== undefined) out.push(conn.dsack);
  for (const b of conn.selectiveAcks) out.push(b);
  return out;
}

/**
 * Linux tcp_current_mss: the payload that fits in a segment now, after the
 * timestamp option (already out of sndMss) and any SACK blocks.
 */
export function tcpCurrentMss(conn: Connection): number {
  const blocks = conn.sackOk ? conn.selectiveAcks.length + (conn.dsack ? 1 : 0) : 0;
  if (blocks === 0) return conn.sndMss;
  const optSpace = 40 - (conn.tstampOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
  const fit = Math.min(blocks, Math.floor((optSpace - 4) / 8));
  return Math.max(1, conn.sndMss - (4 + 8 * fit));
}

/**
 * Linux tcp_sync_mss: the MSS to send with, from the peer's MSS option and the
 * path MTU, less the timestamp option, at least tcp_min_snd_mss, and no more
 * than half the largest window the peer offered (tcp_bound_to_half_wnd).
 */
export function tcpSyncMss(conn: Connection): void {
  let mss = Math.min(conn.mssClamp, conn.mtu - 40);
  if (conn.userMss !== undefined) mss = Math.min(mss, conn.userMss);
  if (conn.tstampOk) mss -= TCPOLEN_TSTAMP_ALIGNED;
  mss = Math.max(mss, conn.net.sysctl.tcp_min_snd_mss);
  const cutoff = conn.maxWindow > 536 ? conn.maxWindow >> 1 : conn.maxWindow;
  if (cutoff > 0 && mss > cutoff) mss = Math.max(cutoff, 68 - 20 - (conn.tstampOk ? 12 : 0));
  conn.sndMss = mss;
}

// ---- Transmission (tcp_transmit_skb) and its events. ----

/**
 * Builds a segment other than SYN/SYN-ACK and queues it for the host. (The
 * segment's fields are arguments: an object to describe it cost one more
 * allocation per segment sent.)
 */
function transmit(
  conn: Connection,
  now: Time,
  seq: Seq,
  flags: number,
  payload: Uint8Array = EMPTY,
  dataEvent = true,
): TcpSegment {
  const hasAck = (flags & ACK) !== 0;
  const seg: TcpSegment = {
    srcPort: conn.local.port,
    dstPort: conn.remote.port,
    seq,
    ack: hasAck ? conn.rcvNxt : (0 as Seq),
    flags,
    window: tcpSelectWindow(conn),
    urgentPointer: 0,
    options: segmentOptions(conn, now),
    payload,
  };
  // tcp_options_write: a D-SACK is reported once.
  conn.dsack = undefined;
  conn.queueTransmit(seg);
  countSent(conn, payload.length);
  if (hasAck) tcpEventAckSent(conn);
  if (payload.length > 0 && dataEvent) tcpEventDataSent(conn, now);
  conn.wstamp = now;
  return seg;
}

/** Linux tcp_event_ack_sent (with tcp_dec_quickack_mode): the ACK owed has gone. */
function tcpEventAckSent(conn: Connection): void {
  if (conn.quick > 0 && conn.ackPending) {
    conn.quick--;
    // "Leaving quickack mode we deflate ATO."
    if (conn.quick === 0) conn.ato = TCP_ATO_MIN;
  }
  // inet_csk_clear_xmit_timer(ICSK_TIME_DACK): icsk_ack.pending = 0.
  conn.ackPending = false;
  conn.ackNow = false;
  conn.ackPushed = false;
  conn.ackPushed2 = false;
  clearTimer(conn, 'delack');
}

/**
 * Linux tcp_event_data_sent: data sent within `ato` of the last data received
 * is a reply, and replies make the connection interactive (pingpong), which
 * delays its ACKs so they can ride on the next reply.
 */
function tcpEventDataSent(conn: Connection, now: Time): void {
  conn.lsndtime = now;
  if (jiffies(now) - jiffies(conn.lrcvtime) < conn.ato && conn.pingpong < 255) conn.pingpong++;
}

/** inet_csk_in_pingpong_mode. */
export function inPingpongMode(conn: Connection): boolean {
  return conn.pingpong >= conn.net.sysctl.tcp_pingpong_thresh;
}

/**
 * Linux tcp_acceptable_seq: SND.NXT, unless the peer shrank its window below it,
 * in which case the right edge of that window.
 */
export function tcpAcceptableSeq(conn: Connection): Seq {
  const wndEnd = seqAdd(conn.sndUna, conn.sndWnd);
  if (
    !seqLt(wndEnd, conn.sndNxt) ||
    (conn.wscaleOk && seqDiff(conn.sndNxt, wndEnd) < 1 << conn.rcvWscale)
  ) {
    return conn.sndNxt;
  }
  return wndEnd;
}

/** Linux tcp_send_ack: a pure ACK, now. */
export function tcpSendAck(conn: Connection, now: Time): void {
  if (conn.state === 'CLOSE') return;
  transmit(conn, now, tcpAcceptableSeq(conn), ACK);
}

/**
 * Linux tcp_send_delayed_ack: arm the delayed-ACK timer for `ato` (bounded by
 * the RTT and TCP_DELACK_MAX once the exchange is slow), unless one is armed
 * earlier; an ACK already overdue by then goes now.
 */
export function tcpSendDelayedAck(conn: Connection, now: Time): void {
  let ato = conn.ato;
  if (ato > TCP_DELACK_MIN) {
    let maxAto = HZ / 2;
    if (inPingpongMode(conn)) maxAto = TCP_DELACK_MAX;
    const srtt = srttUs(conn.rtt);
    if (srtt > 0) {
      const rtt = Math.max(usecsToJiffies(srtt), TCP_DELACK_MIN);
      if (rtt < maxAto) maxAto = rtt;
    }
    ato = Math.min(ato, maxAto);
  }
  ato = Math.min(ato, TCP_DELACK_MAX);
  const nowJ = jiffies(now);
  let timeout = nowJ + ato;
  if (conn.timers.delack !== undefined) {
    // "If delack timer is about to expire, send ACK now."
    if (conn.delackTimeout <= nowJ + (ato >> 2)) {
      tcpSendAck(conn, now);
      return;
    }
    if (timeout >= conn.delackTimeout) timeout = conn.delackTimeout;
  }
  conn.ackPending = true;
  conn.delackTimeout = timeout;
  armTimer(conn, 'delack', now, timeout - nowJ);
}

// ---- The handshake. ----

/**
 * The options of a SYN or SYN-ACK. A request sock's SYN-ACK echoes what was
 * negotiated (tcp_synack_options); our own SYN, and its SYN-ACK form in a
 * simultaneous open, offers what the sysctls allow (tcp_syn_options). Either
 * echoes TS.Recent, which is 0 until the peer's SYN is seen.
 */
function handshakeOptions(conn: Connection, now: Time): TcpSegment['options'] {
  const sys = conn.net.sysctl;
  const negotiated = conn.isRequest;
  const ts = negotiated ? conn.tstampOk : sys.tcp_timestamps !== 0;
  return synOptions(
    conn.advMss,
    negotiated ? conn.sackOk : sys.tcp_sack !== 0,
    ts,
    ts ? (tcpClockMs(now) + conn.tsOffset) | 0 : 0,
    ts ? conn.tsRecent : 0,
    (negotiated ? conn.wscaleOk : sys.tcp_window_scaling !== 0) ? conn.rcvWscale : undefined,
  );
}

function transmitSyn(conn: Connection, now: Time, withAck: boolean): void {
  const seg: TcpSegment = {
    srcPort: conn.local.port,
    dstPort: conn.remote.port,
    seq: conn.iss,
    ack: withAck ? conn.rcvNxt : (0 as Seq),
    flags: withAck ? SYN | ACK : SYN,
    // RFC 7323 2.2: the window of a SYN or SYN-ACK is never scaled.
    window: Math.min(conn.rcvWnd, MAX_UNSCALED_WINDOW),
    urgentPointer: 0,
    options: handshakeOptions(conn, now),
    payload: EMPTY,
  };
  conn.queueTransmit(seg);
  countSent(conn, 0);
  conn.wstamp = now;
  if (withAck) tcpEventAckSent(conn);
}

/**
 * __tcp_transmit_skb's counts of a segment the socket itself sends
 * (TcpOutSegs, and tcp_info's segs_out, data_segs_out, bytes_sent), its
 * payload `len` bytes; a reset or ACK sent for the socket by the namespace's
 * control socket (tcp_v4_send_reset, tcp_v4_send_ack) is not one.
 */
function countSent(conn: Connection, len: number): void {
  conn.net.counters.TcpOutSegs++;
  conn.segsOut++;
  if (len > 0) {
    conn.dataSegsOut++;
    conn.bytesSent += len;
  }
}

/**
 * An ACK built outside the connection's usual bookkeeping, as Linux's
 * tcp_v4_send_ack does for a request sock (tcp_v4_reqsk_send_ack: its SYN-ACK
 * window) and a timewait sock (tcp_v4_timewait_ack: its last window): SND.NXT,
 * RCV.NXT, the given window field, timestamps if negotiated.
 */
export function tcpSendBareAck(conn: Connection, now: Time, window: number): void {
  conn.queueTransmit({
    srcPort: conn.local.port,
    dstPort: conn.remote.port,
    seq: conn.sndNxt,
    ack: conn.rcvNxt,
    flags: ACK,
    window,
    urgentPointer: 0,
    options: establishedOptions(conn.tstampOk ? tcpTimestamps(conn, now) : undefined, []),
    payload: EMPTY,
  });
  conn.net.counters.TcpOutSegs++;
}

/**
 * Active open (Linux tcp_connect_init + tcp_connect): choose the receive
 * window and scale, send the SYN, start the retransmission timer at
 * TCP_TIMEOUT_INIT.
 */
export function tcpConnect(conn: Connection, now: Time, tsRecentInherited = false): void {
  // tcp_connect_init: "tp->advmss - (tp->rx_opt.ts_recent_stamp ?
  // tp->tcp_header_len - sizeof(struct tcphdr) : 0)": a TS.Recent inherited
  // from a reused TIME_WAIT sizes the window for segments with timestamps.
  const tsLen = tsRecentInherited && conn.net.sysctl.tcp_timestamps ? 12 : 0;
  conn.rcvWnd = tcpInitialWindow(conn, conn.advMss - tsLen);
  conn.rcvSsthresh = conn.rcvWnd;
  conn.windowClamp = MAX_UNSCALED_WINDOW << conn.rcvWscale; // 65535U << wscale: at most 2^30
  // "limit the window selection if the user enforce a smaller rx buffer".
  if (conn.rcvBufLocked) conn.windowClamp = Math.min(conn.windowClamp, tcpFullSpace(conn));
  tcpQueueSyn(conn, now);
  conn.retransStamp = tcpClockMs(now);
  setState(conn, 'SYN_SENT', now);
  transmitSyn(conn, now, false);
  conn.net.counters.TcpActiveOpens++;
  armTimer(conn, 'retransmit', now, conn.rto);
}

/**
 * Sends the SYN-ACK: for a passive open (the request sock's first SYN-ACK) and
 * for a simultaneous open (tcp_send_synack turns our SYN into a SYN-ACK).
 */
export function tcpSendSynAck(conn: Connection, now: Time): void {
  if (conn.rtxQueue.length === 0) tcpQueueSyn(conn, now);
  transmitSyn(conn, now, true);
}

/**
 * Our SYN takes the first sequence number and waits in the retransmit queue
 * (Linux tcp_connect_queue_skb), as sent at `now`. Also for the full socket a
 * request sock becomes (listen.ts), whose SYN-ACK the request sent already.
 */
export function tcpQueueSyn(conn: Connection, now: Time, fromRequest = false): void {
  conn.sndUna = conn.iss;
  conn.sndNxt = seqAdd(conn.iss, 1);
  const syn = newTxSegment(conn.iss, conn.sndNxt, SYN, now);
  // The SYN is a delivery sample's start (tcp_transmit_skb's tcp_rate_skb_sent);
  // a request sock's SYN-ACK is not in Linux's child queue: no sample from it.
  if (!fromRequest) tcpRateSkbSent(conn, now, syn, 0);
  conn.queueRtx(syn);
}

/** A segment of the retransmit queue, as sent at `now` (its delivery state left to tcpRateSkbSent). */
function newTxSegment(seq: Seq, end: Seq, flags: number, now: Time): TxSegment {
  return {
    seq,
    end,
    flags,
    sentAt: now,
    everRetransmitted: false,
    lost: false,
    retrans: false,
    sacked: false,
    txDelivered: 0,
    txDeliveredUs: -1,
    txFirstTxUs: 0,
    txAppLimited: false,
  };
}

// ---- Data (tcp_write_xmit and friends). ----

/** tp->nonagle's bits (include/net/tcp.h TCP_NAGLE_OFF, TCP_NAGLE_CORK, TCP_NAGLE_PUSH). */
const TCP_NAGLE_OFF = 1;
const TCP_NAGLE_CORK = 2;
const TCP_NAGLE_PUSH = 4;

/** tcp_max_tso_deferred_mss: with tcp_tso_win_divisor 0, defer no more than 3 segments' worth. */
const TCP_MAX_TSO_DEFERRED_MSS = 3;

/**
 * sk_gso_max_size for TCP (sk_setup_caps: the device's GSO_LEGACY_MAX_SIZE,
 * as veth has it, less MAX_TCP_HEADER + 1 on x86_64); sk_gso_max_segs is
 * GSO_MAX_SEGS, never the bound here.
 */
const SK_GSO_MAX_SIZE = 65536 - 1 - 320;

/** Where data ends: writeSeq, or the FIN's sequence number once it is queued. */
export function dataEnd(conn: Connection): Seq {
  return conn.finSeq ?? conn.writeSeq;
}

/**
 * The send head (tcp_send_head): the skb at SND.NXT, as its length, whether
 * it is the write queue's tail, and its PSH mark and FIN. A FIN queued after
 * data already all sent is an skb of its own, with no data. False when
 * nothing waits to be sent. (One object, reused: this runs per transmission.)
 */
function sendHead(conn: Connection): boolean {
  const h = head;
  const nxt = conn.sndNxt;
  const skbs = conn.skbs;
  const i = conn.skbIndexOf(nxt);
  if (i < skbs.length) {
    const b = skbs[i]!;
    h.len = seqDiff(b.end, nxt);
    h.isTail = i === skbs.length - 1;
    h.psh = b.psh;
  } else if (conn.finSeq !== undefined && nxt === conn.finSeq) {
    h.len = 0;
    h.isTail = true;
    h.psh = false;
  } else {
    return false;
  }
  // The FIN rides on the tail skb (tcp_send_fin), its data ending at finSeq.
  h.fin = h.isTail && conn.finSeq !== undefined && seqAdd(nxt, h.len) === conn.finSeq;
  return true;
}

const head = { len: 0, isTail: false, psh: false, fin: false };

/**
 * Linux tcp_nagle_check: hold a partial segment under TCP_CORK or MSG_MORE,
 * or, with Nagle on, while a previous small one is unacknowledged (Minshall's
 * variant, tcp_minshall_check).
 */
function tcpNagleCheck(conn: Connection, partial: boolean, nonagle: number): boolean {
  if (!partial) return false;
  if (nonagle & TCP_NAGLE_CORK) return true;
  return (
    nonagle === 0 &&
    conn.rtxQueue.length > 0 &&
    seqGt(conn.sndSml, conn.sndUna) &&
    !seqGt(conn.sndSml, conn.sndNxt)
  );
}

/**
 * Linux tcp_tso_autosize and tcp_tso_segs: the segments one transmission may
 * carry, about 1 ms at the pacing rate (sk_pacing_shift 10) plus a share of
 * GSO's largest that shrinks as min_rtt grows (tcp_tso_rtt_log), at least
 * tcp_min_tso_segs. No pacing rate (bbr here) is ~0UL, unlimited.
 */
export function tcpTsoSegs(conn: Connection, mss: number): number {
  const sys = conn.net.sysctl;
  let bytes = conn.pacingRate < 0 ? SK_GSO_MAX_SIZE : Math.floor(conn.pacingRate / 1024);
  const r = conn.minRttUs >>> sys.tcp_tso_rtt_log;
  if (r < 32) bytes += SK_GSO_MAX_SIZE >>> r;
  if (bytes > SK_GSO_MAX_SIZE) bytes = SK_GSO_MAX_SIZE;
  return Math.max(Math.floor(bytes / mss), sys.tcp_min_tso_segs);
}

/**
 * Linux tcp_cwnd_test: the segments the congestion window lets go now, at
 * most half of it ("ensure we have at least 2 GSO packets in flight"); a
 * one-segment skb with the FIN goes regardless.
 */
function tcpCwndTest(conn: Connection, finOnly: boolean): number {
  if (finOnly) return 1;
  const inFlight = tcpPacketsInFlight(conn);
  const cwnd = conn.cwnd;
  if (inFlight >= cwnd) return 0;
  const half = cwnd >> 1 || 1;
  return half < cwnd - inFlight ? half : cwnd - inFlight;
}

/**
 * Linux tcp_mss_split_point: how much of the send head goes in this
 * transmission: `maxSegs` segments, or up to the peer's window's edge (a
 * partial segment there only if Nagle allows it), or the whole skb.
 */
function tcpMssSplitPoint(conn: Connection, mss: number, maxSegs: number, nonagle: number): number {
  const window = seqDiff(seqAdd(conn.sndUna, conn.sndWnd), conn.sndNxt);
  const maxLen = mss * maxSegs;
  if (maxLen <= window && !head.isTail) return maxLen;
  const needed = head.len < window ? head.len : window;
  if (maxLen <= needed) return maxLen;
  const partial = needed % mss;
  if (tcpNagleCheck(conn, partial !== 0, nonagle)) return needed - partial;
  return needed;
}

/** What tcp_tso_should_defer decided: send now, or wait, and why (is_cwnd_limited, is_rwnd_limited). */
const SEND_NOW = 0;
const DEFER_CWND = 1;
const DEFER_RWND = 2;
const DEFER_APP = 3;

/**
 * Linux tcp_tso_should_defer ("a kind of TSO Nagle test"): hold a
 * multi-segment send head that could only go in part, hoping for an ACK to
 * free room for more, as long as this socket sent something in the last
 * millisecond and the oldest segment in flight is at least half an SRTT old
 * (so that ACK is near). Never in recovery or loss; never when a full GSO
 * packet, a third of the window (tcp_tso_win_divisor) or all of a middle skb
 * can go.
 */
function tcpTsoShouldDefer(conn: Connection, now: Time, maxSegs: number): number {
  if (conn.caState === 'Recovery' || conn.caState === 'Loss') return SEND_NOW;
  // "Avoid bursty behavior by allowing defer only if the last write was
  // recent (1 ms)": Linux defers at 1 ms exactly ("delta > 0"), an instant only
  // a script's round numbers reach; tcplab sends then, as packetdrill's
  // shutdown-rdwr-send-queue-ack-close.pkt expects of an ACK 1 ms after a write
  // (a real ACK is handled a little later than it was sent).
  if (now - conn.wstamp >= 1_000_000) return SEND_NOW;
  const inFlight = tcpPacketsInFlight(conn);
  const mssCache = conn.sndMss;
  const sendWin = seqDiff(seqAdd(conn.sndUna, conn.sndWnd), conn.sndNxt);
  const congWin = (conn.cwnd - inFlight) * mssCache;
  const limit = sendWin < congWin ? sendWin : congWin;
  if (limit >= maxSegs * mssCache) return SEND_NOW;
  // "Middle in queue won't get any more data, full sendable already?"
  if (!head.isTail && limit >= head.len) return SEND_NOW;
  const divisor = conn.net.sysctl.tcp_tso_win_divisor;
  if (divisor !== 0) {
    const wnd = conn.cwnd * mssCache;
    const chunk = Math.floor((conn.sndWnd < wnd ? conn.sndWnd : wnd) / divisor);
    if (limit >= chunk) return SEND_NOW;
  } else if (limit > TCP_MAX_TSO_DEFERRED_MSS * mssCache) {
    return SEND_NOW;
  }
  const oldest = conn.rtxQueue.head;
  if (oldest === undefined) return SEND_NOW;
  // "If next ACK is likely to come too late (half srtt), do not defer."
  if (now - oldest.sentAt < (conn.rtt.srtt8Us >> 4) * 1000) return SEND_NOW;
  if (congWin < sendWin) {
    if (congWin <= head.len) return DEFER_CWND;
  } else if (sendWin <= head.len) {
    return DEFER_RWND;
  }
  // "If this packet won't get more data, do not wait."
  if (head.fin) return SEND_NOW;
  return DEFER_APP;
}

/**
 * One transmission of new data (__tcp_transmit_skb of the send head, or of
 * the part tso_fragment cut from it): [SND.NXT, SND.NXT + len) and the FIN if
 * `fin`, on the wire as MSS-sized segments, as GSO cuts it. The last segment
 * carries PSH when `psh` or when there are several ("Force a PSH flag on all
 * (GSO) packets to expedite GRO flush at receiver"); the flags stay with the
 * segment for its retransmissions. What was sent is split from the rest of
 * its skb (tso_fragment).
 */
function sendNewData(
  conn: Connection,
  now: Time,
  len: number,
  fin: boolean,
  psh: boolean,
  mss: number,
): number {
  const pcount = len <= mss ? 1 : Math.ceil(len / mss);
  const pshLast = psh || pcount > 1;
  let off = 0;
  for (let i = 0; i < pcount; i++) {
    const piece = i === pcount - 1 ? len - off : mss;
    const last = i === pcount - 1;
    sendNewSegment(
      conn,
      now,
      piece,
      last && fin,
      last && pshLast,
      // tcp_event_data_sent runs once per transmission.
      i === 0,
    );
    off += piece;
  }
  conn.tsoSplit(conn.sndNxt);
  return pcount;
}

/** Sends [SND.NXT, SND.NXT + len) and the FIN if `fin`, as one segment on the wire. */
function sendNewSegment(
  conn: Connection,
  now: Time,
  len: number,
  fin: boolean,
  psh: boolean,
  dataEvent: boolean,
): void {
  const start = conn.sndNxt;
  const end = seqAdd(start, len + (fin ? 1 : 0));
  const flags = (fin ? FIN : 0) | (psh ? PSH : 0);
  const priorPackets = conn.rtxQueue.length;
  // tcp_event_data_sent: "if (tcp_packets_in_flight(tp) == 0) tcp_ca_event(sk, CA_EVENT_TX_START)".
  if (conn.cubic !== undefined && tcpPacketsInFlight(conn) === 0) tcpCaEventTxStart(conn, now);
  const s = newTxSegment(start, end, flags, now);
  tcpRateSkbSent(conn, now, s, priorPackets);
  conn.queueRtx(s);
  transmit(conn, now, start, ACK | flags, conn.sendBuffer.slice(start, len), dataEvent);
  conn.sndNxt = end;
  // Linux tcp_event_new_data_sent: every new segment, a FIN-only one too.
  conn.net.counters.TcpExtTCPOrigDataSent++;
  // tcp_minshall_update: remember the end of the last small segment.
  if (len < tcpCurrentMss(conn)) conn.sndSml = end;
  if (conn.caState === 'Recovery') conn.prrOut++;
  // tcp_event_new_data_sent: the first segment in flight starts the RTO ("if
  // (!prior_packets || icsk->icsk_pending == ICSK_TIME_LOSS_PROBE) tcp_rearm_rto").
  if (priorPackets === 0 || conn.lossProbePending) tcpRearmRto(conn, now);
}

/**
 * Linux tcp_write_xmit: send the write queue, skb by skb, as far as the
 * congestion window (tcp_cwnd_test), the peer's window (tcp_snd_wnd_test),
 * Nagle (one-segment skbs) and TSO deferral (larger ones) allow, each
 * transmission at most tcp_tso_segs segments (tcp_mss_split_point). `nonagle`
 * is tp->nonagle's bits as the caller passes them; `pushOne` 1 sends one
 * transmission (tcp_push_one), 2 one past the congestion window (a loss
 * probe). True when nothing is in flight and data waits: the caller arms the
 * zero-window probe (tcp_check_probe_timer).
 */
function tcpWriteXmit(conn: Connection, now: Time, nonagle: number, pushOne: 0 | 1 | 2): boolean {
  let cwndLimited = false;
  let rwndLimited = false;
  let sentPkts = 0;
  const mss = tcpCurrentMss(conn);
  const maxSegs = tcpTsoSegs(conn, mss);
  while (sendHead(conn)) {
    const len = head.len;
    const tsoSegs = len <= mss ? 1 : Math.ceil(len / mss);
    let cwndQuota = tcpCwndTest(conn, head.fin && tsoSegs === 1);
    if (cwndQuota === 0) {
      // "Force out a loss probe pkt."
      if (pushOne !== 2) break;
      cwndQuota = 1;
    }
    // tcp_snd_wnd_test: the first segment (the FIN with it) must fit in the window.
    const firstEnd = seqAdd(conn.sndNxt, len > mss ? mss : len + (head.fin ? 1 : 0));
    if (seqGt(firstEnd, seqAdd(conn.sndUna, conn.sndWnd))) {
      rwndLimited = true;
      break;
    }
    if (tsoSegs === 1) {
      // tcp_nagle_test, with TCP_NAGLE_PUSH for an skb in the middle of the queue.
      const n = head.isTail ? nonagle : TCP_NAGLE_PUSH;
      if ((n & TCP_NAGLE_PUSH) === 0 && !head.fin && tcpNagleCheck(conn, len < mss, n)) break;
    } else if (pushOne === 0) {
      const d = tcpTsoShouldDefer(conn, now, maxSegs);
      if (d !== SEND_NOW) {
        if (d === DEFER_CWND) cwndLimited = true;
        else if (d === DEFER_RWND) rwndLimited = true;
        break;
      }
    }
    let limit = mss;
    if (tsoSegs > 1) {
      limit = tcpMssSplitPoint(conn, mss, cwndQuota < maxSegs ? cwndQuota : maxSegs, nonagle);
    }
    // tso_fragment: PSH and FIN stay with the part not sent.
    const whole = len <= limit;
    sentPkts += sendNewData(
      conn,
      now,
      whole ? len : limit,
      whole && head.fin,
      whole && head.psh,
      mss,
    );
    if (pushOne !== 0) break;
  }
  if (rwndLimited) tcpChronoStart(conn, now, 2);
  else tcpChronoStop(conn, now, 2);
  if (tcpPacketsInFlight(conn) >= conn.cwnd) cwndLimited = true;
  if (sentPkts > 0 || cwndLimited) tcpCwndValidate(conn, now, cwndLimited);
  if (sentPkts > 0) {
    // "Send one loss probe per tail loss episode."
    if (pushOne !== 2) tcpScheduleLossProbe(conn, now, false);
    return false;
  }
  return conn.rtxQueue.length === 0 && seqLt(conn.sndNxt, conn.writeSeq);
}

/** Whether the connection is in a state that sends data (tcp_write_xmit's callers check it). */
function canSendData(conn: Connection): boolean {
  const st = conn.state;
  if (st === 'CLOSE' || st === 'SYN_SENT' || st === 'LISTEN' || st === 'TIME_WAIT') return false;
  return !conn.isRequest;
}

/**
 * Linux __tcp_push_pending_frames: tcp_write_xmit with tp->nonagle (TCP_NODELAY,
 * TCP_CORK, or `corked` for MSG_MORE), or TCP_NAGLE_PUSH when `nagleOff` (a
 * forced push, the FIN, TCP_NODELAY being set); then, if data waits with
 * nothing in flight, the zero-window probe timer (tcp_check_probe_timer).
 */
export function tcpPushPendingFrames(
  conn: Connection,
  now: Time,
  nagleOff = false,
  corked = false,
): void {
  if (!canSendData(conn)) return;
  const nonagle = nagleOff
    ? TCP_NAGLE_PUSH
    : (conn.noDelay ? TCP_NAGLE_OFF : 0) | (conn.cork || corked ? TCP_NAGLE_CORK : 0);
  if (tcpWriteXmit(conn, now, nonagle, 0)) {
    if (conn.timers.probe0 === undefined && conn.timers.retransmit === undefined) {
      armTimer(conn, 'probe0', now, tcpProbe0Base(conn));
    }
  }
}

/** Linux tcp_push_one: one transmission of the send head (a full skb), Nagle off. */
export function tcpPushOne(conn: Connection, now: Time): void {
  if (!canSendData(conn)) return;
  tcpWriteXmit(conn, now, TCP_NAGLE_PUSH, 1);
}

/** Linux tcp_chrono_set: the time so far goes to the chrono that ran; `type` runs from now. */
function tcpChronoSet(conn: Connection, now: Time, type: 0 | 1 | 2 | 3): void {
  const nowJ = jiffies(now);
  const old = conn.chronoType;
  if (old > 0) {
    if (conn.chronoStat === NO_CHRONO_STAT) conn.chronoStat = [0, 0, 0];
    conn.chronoStat[old - 1] = (conn.chronoStat[old - 1] ?? 0) + nowJ - conn.chronoStart;
  }
  conn.chronoStart = nowJ;
  conn.chronoType = type;
}

/** Linux tcp_chrono_start: "the highest priority enum takes precedence". */
export function tcpChronoStart(conn: Connection, now: Time, type: 1 | 2 | 3): void {
  if (type > conn.chronoType) tcpChronoSet(conn, now, type);
}

/**
 * Linux tcp_chrono_stop: nothing left to send or in flight ends the timing;
 * the end of the condition being timed falls back to busy.
 */
export function tcpChronoStop(conn: Connection, now: Time, type: 1 | 2 | 3): void {
  if (conn.rtxQueue.length === 0 && !seqLt(conn.sndNxt, dataEnd(conn))) {
    tcpChronoSet(conn, now, 0);
  } else if (type === conn.chronoType) {
    tcpChronoSet(conn, now, 1);
  }
}

/**
 * Linux tcp_get_info_chrono_stats: tcpi_busy_time (the time of every chrono:
 * busy, rwnd-limited and sndbuf-limited together), tcpi_rwnd_limited and
 * tcpi_sndbuf_limited, in µs.
 */
export function tcpChronoStats(conn: Connection, now: Time): [number, number, number] {
  const running = (type: 1 | 2 | 3): number =>
    (conn.chronoStat[type - 1] ?? 0) +
    (conn.chronoType === type ? jiffies(now) - conn.chronoStart : 0);
  const us = (j: number): number => (j * 1_000_000) / HZ;
  const rwnd = running(2);
  const sndbuf = running(3);
  return [us(running(1) + rwnd + sndbuf), us(rwnd), us(sndbuf)];
}

/**
 * Linux tcp_cwnd_validate: how fully the congestion window is used. A window
 * in use keeps its stamp fresh; one the application (or the peer's window)
 * leaves unused for an RTO decays (tcp_cwnd_application_limited); a writer
 * waiting on the send buffer with nothing left unsent starts the
 * sndbuf-limited chrono.
 */
function tcpCwndValidate(conn: Connection, now: Time, limited: boolean): void {
  const packetsOut = conn.rtxQueue.length;
  if (
    !seqLt(conn.sndUna, conn.cwndUsageSeq) ||
    limited ||
    (!conn.isCwndLimited && packetsOut > conn.maxPacketsOut)
  ) {
    conn.isCwndLimited = limited;
    conn.maxPacketsOut = packetsOut;
    conn.cwndUsageSeq = conn.sndNxt;
  }
  if (isCwndLimited(conn)) {
    // "Network is feed fully."
    conn.sndCwndUsed = 0;
    conn.sndCwndStamp = jiffies(now);
    return;
  }
  // "Network starves."
  if (packetsOut > conn.sndCwndUsed) conn.sndCwndUsed = packetsOut;
  if (
    conn.net.sysctl.tcp_slow_start_after_idle !== 0 &&
    jiffies(now) - conn.sndCwndStamp >= conn.rto &&
    conn.caOps !== 'bbr'
  ) {
    tcpCwndApplicationLimited(conn, now);
  }
  if (
    !seqLt(conn.sndNxt, conn.writeSeq) &&
    conn.writeBlocked &&
    (conn.state === 'ESTABLISHED' || conn.state === 'CLOSE_WAIT')
  ) {
    tcpChronoStart(conn, now, 3);
  }
}

/**
 * Linux tcp_cwnd_application_limited (RFC 2861): the window the application
 * did not use for an RTO shrinks halfway to what it used (at least the initial
 * window), ssthresh keeping 3/4 of the old one; not while the writer waits on
 * the send buffer (SOCK_NOSPACE) or the socket is orphaned.
 */
function tcpCwndApplicationLimited(conn: Connection, now: Time): void {
  if (conn.caState === 'Open' && !conn.orphan && !conn.writeBlocked) {
    const winUsed = Math.max(conn.sndCwndUsed, conn.initCwnd);
    if (winUsed < conn.cwnd) {
      conn.ssthresh = tcpCurrentSsthresh(conn);
      conn.cwnd = (conn.cwnd + winUsed) >> 1;
    }
    conn.sndCwndUsed = 0;
  }
  conn.sndCwndStamp = jiffies(now);
}

/**
 * Linux tcp_slow_start_after_idle_check, when a write queues a new skb: after
 * more than an RTO with nothing sent and nothing in flight, cwnd restarts
 * (tcp_cwnd_restart, RFC 5681 4.1): halved per RTO of idleness, down to the
 * initial window at least, ssthresh keeping 3/4 of it. Not for a congestion
 * control with its own cong_control (BBR).
 */
export function tcpSlowStartAfterIdleCheck(conn: Connection, now: Time): void {
  if (
    conn.net.sysctl.tcp_slow_start_after_idle === 0 ||
    conn.rtxQueue.length > 0 ||
    conn.caOps === 'bbr'
  ) {
    return;
  }
  let delta = jiffies(now) - jiffies(conn.lsndtime);
  const rto = conn.rto;
  if (delta <= rto) return;
  // tcp_ca_event(CA_EVENT_CWND_RESTART): nothing for Reno or CUBIC.
  const restart = Math.min(conn.initCwnd, conn.cwnd);
  conn.ssthresh = tcpCurrentSsthresh(conn);
  let cwnd = conn.cwnd;
  // "while ((delta -= inet_csk(sk)->icsk_rto) > 0 && cwnd > restart_cwnd) cwnd >>= 1".
  for (delta -= rto; delta > 0 && cwnd > restart; delta -= rto) cwnd >>= 1;
  conn.cwnd = Math.max(cwnd, restart);
  conn.sndCwndStamp = jiffies(now);
  conn.sndCwndUsed = 0;
}

/** Linux tcp_probe0_base: the zero-window probe interval before backoff. */
export function tcpProbe0Base(conn: Connection): number {
  return Math.max(conn.rto, TCP_RTO_MIN);
}

/**
 * Linux tcp_rearm_rto: the RTO runs while anything is in flight. Replacing a
 * pending loss probe, it keeps the RTO's own deadline ("Offset the time elapsed
 * after installing regular RTO": tcp_rto_delta_us).
 */
export function tcpRearmRto(conn: Connection, now: Time): void {
  if (conn.rtxQueue.length === 0) {
    clearTimer(conn, 'retransmit');
    conn.lossProbePending = false;
    conn.reoTimeoutPending = false;
    return;
  }
  let rto = conn.rto;
  // Replacing a loss probe or RACK's reordering timer (ICSK_TIME_REO_TIMEOUT).
  if (conn.lossProbePending || conn.reoTimeoutPending)
    rto = Math.max(usecsToJiffies(Math.max(tcpRtoDeltaUs(conn, now), 1)), 1);
  conn.lossProbePending = false;
  conn.reoTimeoutPending = false;
  armTimer(conn, 'retransmit', now, Math.min(rto, TCP_RTO_MAX));
}

/** Linux tcp_rto_delta_us: how far in the future the RTO of the oldest segment in flight is. */
function tcpRtoDeltaUs(conn: Connection, now: Time): number {
  const head = conn.rtxQueue.head;
  if (head === undefined) return 0;
  return Math.floor((head.sentAt - now) / 1000) + (conn.rto * 1_000_000) / HZ;
}

/** TCP_TIMEOUT_MIN_US (include/net/tcp.h): 2 ms, "Min TCP timeout in microsecs". */
const TCP_TIMEOUT_MIN_US = 2000;

/**
 * Linux tcp_schedule_loss_probe (RFC 8985 7.2, Tail Loss Probe), as in 6.12
 * (since commit 1c2709cfff1d "tcp: fix excessive TLP and RACK timeouts from HZ
 * rounding"): with tcp_early_retrans 3 or 4, SACK, something in flight and the
 * Open state (or CWR, which tcplab does not have), arm the probe timer for
 * PTO = usecs_to_jiffies(srtt_us >> 2 + tcp_rto_min_us) with one packet out
 * ("Add minimum RTO to account for delayed ack when there's one outstanding
 * packet"), usecs_to_jiffies(srtt_us >> 2 + TCP_TIMEOUT_MIN_US) with more,
 * TCP_TIMEOUT_INIT without an RTT sample; "If the RTO formula yields an
 * earlier time, then use that time". `advancingRto`: called from an ACK
 * (tcp_set_xmit_timer), where the RTO would restart from now. True when the
 * probe timer was armed. Linux checks no socket state here beyond a Fast Open
 * request; a handshake never comes here with packets out in tcplab.
 */
export function tcpScheduleLossProbe(conn: Connection, now: Time, advancingRto: boolean): boolean {
  const earlyRetrans = conn.net.sysctl.tcp_early_retrans;
  if (earlyRetrans !== 3 && earlyRetrans !== 4) return false;
  if (conn.rtxQueue.length === 0 || !conn.sackOk || conn.caState !== 'Open') return false;
  if (conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV' || conn.isRequest) return false;
  let timeout: number;
  // tp->srtt_us is SRTT << 3, so srtt_us >> 2 is 2·SRTT, truncated.
  const twoSrttUs = Math.floor(conn.rtt.srtt8Us / 4);
  if (conn.rtt.srtt8Us > 0) {
    const extraUs = conn.rtxQueue.length === 1 ? TCP_RTO_MIN * USEC_PER_JIFFY : TCP_TIMEOUT_MIN_US;
    timeout = usecsToJiffies(twoSrttUs + extraUs);
  } else {
    timeout = TCP_TIMEOUT_INIT;
  }
  // rto_delta_us is a u32 there: an RTO already past wraps to a huge value and
  // leaves the timeout alone, as skipping the min() does here.
  const rtoDeltaUs = advancingRto ? conn.rto * USEC_PER_JIFFY : tcpRtoDeltaUs(conn, now);
  if (rtoDeltaUs > 0) timeout = Math.min(timeout, usecsToJiffies(rtoDeltaUs));
  armTimer(conn, 'retransmit', now, Math.min(timeout, TCP_RTO_MAX));
  conn.lossProbePending = true;
  conn.reoTimeoutPending = false;
  return true;
}

/**
 * Linux tcp_send_loss_probe (RFC 8985 7.3), when the probe timer fires: at
 * most one probe outstanding (tlp_high_seq); one new segment if the send head
 * fits the peer's window (tcp_snd_wnd_test; tcp_write_xmit with push_one 2
 * forces it past the cwnd and Nagle), else the last segment in flight again
 * with __tcp_retransmit_skb, which neither marks it TCPCB_RETRANS nor starts
 * retrans_stamp. A probe sent counts TcpExtTCPLossProbes and clears
 * icsk_pending, so tcp_rearm_rto restarts the full RTO from now; none sent,
 * the RTO keeps its own deadline.
 */
export function tcpSendLossProbe(conn: Connection, now: Time): void {
  if (conn.tlpHighSeq === undefined) {
    conn.tlpRetrans = false;
    let sent = false;
    const mss = tcpCurrentMss(conn);
    if (sendHead(conn)) {
      // A send head whose first segment fits the window goes out with
      // tcp_write_xmit(push_one 2): "Force out a loss probe pkt" past the cwnd.
      const firstEnd = seqAdd(conn.sndNxt, head.len > mss ? mss : head.len + (head.fin ? 1 : 0));
      if (!seqGt(firstEnd, seqAdd(conn.sndUna, conn.sndWnd))) {
        const before = conn.rtxQueue.length;
        if (canSendData(conn)) tcpWriteXmit(conn, now, TCP_NAGLE_OFF, 2);
        sent = conn.rtxQueue.length > before;
        if (!sent) {
          tcpRearmRto(conn, now);
          return;
        }
      }
    }
    if (!sent) {
      const last = conn.rtxQueue.tail;
      if (last !== undefined && tcpRetransmitSkbOnce(conn, now, last)) {
        conn.tlpRetrans = true;
        sent = true;
      }
    }
    if (sent) {
      // "Record snd_nxt for loss detection."
      conn.tlpHighSeq = conn.sndNxt;
      conn.net.count('TcpExtTCPLossProbes');
      // "Reset s.t. tcp_rearm_rto will restart timer from now".
      conn.lossProbePending = false;
    }
  }
  tcpRearmRto(conn, now);
}

/**
 * Linux tcp_retransmit_skb: sends `entry` again, trimmed to SND.UNA, marks it
 * retransmitted (TCPCB_RETRANS, retrans_out) and starts retrans_stamp. False
 * when the peer's window does not allow it (only the head may go beyond it).
 */
export function tcpRetransmitSkb(conn: Connection, now: Time, entry: TxSegment): boolean {
  if (seqLt(entry.seq, conn.sndUna) && (entry.flags & SYN) === 0) entry.seq = conn.sndUna;
  const wndEnd = seqAdd(conn.sndUna, conn.sndWnd);
  if (!seqLt(entry.seq, wndEnd) && entry.seq !== conn.sndUna) return false;
  // "Save stamp of the first (attempted) retransmit": Linux reads the skb's
  // timestamp after __tcp_retransmit_skb, which __tcp_transmit_skb has just
  // set to now, so the retries2 / TCP_USER_TIMEOUT budgets run from the first
  // retransmission, not from the original send (nor from a loss probe). A SYN
  // already has it from tcp_connect.
  if (conn.retransStamp === undefined) conn.retransStamp = tcpClockMs(now);
  // One more retransmission a D-SACK must show needless before an undo.
  conn.undoRetrans = conn.undoRetrans < 0 ? 1 : conn.undoRetrans + 1;
  if (!entry.retrans) {
    entry.retrans = true;
    conn.retransOut++;
  }
  return tcpRetransmitSkbOnce(conn, now, entry);
}

/**
 * Linux __tcp_retransmit_skb: sends `entry` again (trimmed to SND.UNA) and
 * counts it (TcpRetransSegs, total_retrans, TCPCB_EVER_RETRANS), leaving the
 * retransmission bookkeeping to the caller. The loss probe calls it directly.
 */
function tcpRetransmitSkbOnce(conn: Connection, now: Time, entry: TxSegment): boolean {
  if (seqLt(entry.seq, conn.sndUna) && (entry.flags & SYN) === 0) entry.seq = conn.sndUna;
  const wndEnd = seqAdd(conn.sndUna, conn.sndWnd);
  if (!seqLt(entry.seq, wndEnd) && entry.seq !== conn.sndUna) return false;
  entry.sentAt = now;
  entry.everRetransmitted = true;
  tcpRateSkbSent(conn, now, entry, conn.rtxQueue.length);
  conn.totalRetrans++;
  conn.net.counters.TcpRetransSegs++;
  if (conn.caState === 'Recovery') conn.prrOut++;
  if (entry.flags & SYN) {
    // A SYN goes again as it went; in SYN_RECV (simultaneous or passive open) as a SYN-ACK.
    transmitSyn(conn, now, conn.state !== 'SYN_SENT');
    return true;
  }
  const fin = (entry.flags & FIN) !== 0;
  const len = seqDiff(entry.end, entry.seq) - (fin ? 1 : 0);
  conn.bytesRetrans += len;
  transmit(
    conn,
    now,
    entry.seq,
    ACK | (entry.flags & (FIN | PSH)),
    conn.sendBuffer.slice(entry.seq, len),
  );
  return true;
}

/**
 * Linux tcp_xmit_retransmit_queue: resend the segments marked lost, oldest
 * first, as far as the congestion window allows.
 */
export function tcpXmitRetransmitQueue(conn: Connection, now: Time): void {
  const q = conn.rtxQueue;
  const head = q.head;
  let rearm = false;
  for (let i = 0; i < q.length; i++) {
    const entry = q.at(i);
    if (tcpPacketsInFlight(conn) >= conn.cwnd) break;
    // Every lost segment is being retransmitted: nothing more to find.
    if (conn.retransOut >= conn.lostOut) break;
    // Only holes: what is SACKed or already resent stays.
    if (!entry.lost || entry.retrans || entry.sacked) continue;
    if (!tcpRetransmitSkb(conn, now, entry)) break;
    conn.net.count(conn.caState === 'Loss' ? 'TcpExtTCPSlowStartRetrans' : 'TcpExtTCPFastRetrans');
    // The head resent: the RTO restarts, unless RACK's reordering timer runs.
    if (entry === head && !conn.reoTimeoutPending) rearm = true;
  }
  if (rearm) {
    conn.lossProbePending = false;
    armTimer(conn, 'retransmit', now, Math.min(conn.rto, TCP_RTO_MAX));
  }
}

/** Linux tcp_send_fin: queue the FIN after the data and push it, Nagle off. */
export function tcpSendFin(conn: Connection, now: Time): void {
  if (conn.finSeq !== undefined) return;
  conn.finSeq = conn.writeSeq;
  conn.writeSeq = seqAdd(conn.writeSeq, 1);
  tcpPushPendingFrames(conn, now, true);
}

/** Linux tcp_send_active_reset: RST|ACK at the acceptable sequence number. */
export function tcpSendActiveReset(conn: Connection, now: Time): void {
  transmit(conn, now, tcpAcceptableSeq(conn), RST | ACK);
  conn.net.counters.TcpOutRsts++;
}

/**
 * Linux tcp_write_wakeup: a zero-window or keepalive probe. If the window has
 * room, the send head goes, cut to the window and one MSS when it does not
 * fit, with PSH; otherwise a segment at SND.UNA - 1 without data, which the
 * peer must answer with an ACK (tcp_xmit_probe_skb).
 */
export function tcpWriteWakeup(
  conn: Connection,
  now: Time,
  counter: 'TcpExtTCPWinProbe' | 'TcpExtTCPKeepAlive',
): void {
  const wndEnd = seqAdd(conn.sndUna, conn.sndWnd);
  if (sendHead(conn) && seqLt(conn.sndNxt, wndEnd)) {
    const mss = tcpCurrentMss(conn);
    const skbEnd = seqAdd(conn.sndNxt, head.len + (head.fin ? 1 : 0));
    if (seqLt(conn.pushedSeq, skbEnd)) conn.pushedSeq = skbEnd;
    let segSize = seqDiff(wndEnd, conn.sndNxt);
    // "We are probing the opening of a window but the window size is != 0":
    // what fits, at most an MSS; the rest (with the FIN) stays.
    const cut = segSize < seqDiff(skbEnd, conn.sndNxt) || head.len > mss;
    if (cut) {
      segSize = segSize < mss ? segSize : mss;
      // PSH is set on the skb before tcp_fragment cuts it, so the part that
      // stays keeps it too.
      if (head.len > 0) conn.skbs[conn.skbHint]!.psh = true;
    }
    const len = cut ? segSize : head.len;
    sendNewData(conn, now, len, !cut && head.fin, true, mss);
    return;
  }
  transmit(conn, now, seqAdd(conn.sndUna, -1), ACK);
  conn.net.count(counter);
}

/**
 * Linux __tcp_cleanup_rbuf, after the application read `copied` bytes: ACK
 * now if an ACK is owed and more than a segment is unacknowledged, or the read
 * emptied the receive memory after a small pushed segment (ICSK_ACK_PUSHED,
 * unless the exchange is interactive; ICSK_ACK_PUSHED2 even then), or if the
 * read at least doubled a window that had fallen to half its clamp or less.
 */
export function tcpCleanupRbuf(conn: Connection, now: Time, copied: number): void {
  let timeToAck = false;
  if (conn.ackPending) {
    if (
      // "Once-per-two-segments ACK was not sent by tcp_input.c".
      seqDiff(conn.rcvNxt, conn.rcvWup) > conn.rcvMss ||
      // "If this read emptied read buffer, we send ACK, if connection is not
      // bidirectional, user drained receive buffer and there was a small
      // segment in queue" (sk_rmem_alloc counts the out-of-order queue too).
      (copied > 0 &&
        (conn.ackPushed2 || (conn.ackPushed && !inPingpongMode(conn))) &&
        conn.rcvQueue.length === 0 &&
        conn.ofoQueue.empty)
    ) {
      timeToAck = true;
    }
  }
  if (copied > 0 && !timeToAck && !conn.finReceived) {
    const rcvWindowNow = tcpReceiveWindow(conn);
    if (2 * rcvWindowNow <= conn.windowClamp) {
      const newWindow = tcpSelectWindowBytes(conn);
      if (newWindow > 0 && newWindow >= 2 * rcvWindowNow) timeToAck = true;
    }
  }
  if (timeToAck) tcpSendAck(conn, now);
}
