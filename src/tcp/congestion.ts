/**
 * Congestion control and loss recovery, in packets as Linux counts them: slow
 * start from an initial window of 10 segments (RFC 6928; TCP_INIT_CWND),
 * congestion avoidance (RFC 5681; tcp_cong.c tcp_reno_cong_avoid), fast
 * retransmit and NewReno recovery on three duplicate ACKs (RFC 6582; Linux's
 * Reno path of tcp_fastretrans_alert, with proportional rate reduction, RFC
 * 6937, tcp_cwnd_reduction), and the RTO's loss state (tcp_enter_loss).
 *
 * DEVIATION(linux): Linux 6.12's default is CUBIC (tcp_cubic.c) with SACK-based
 * RACK loss detection, tail loss probes, F-RTO and undo of spurious recoveries;
 * this is Reno's arithmetic with NewReno recovery (duplicate ACKs stand in for
 * SACKed segments, as Linux does for a peer without SACK). CUBIC and the SACK
 * scoreboard come later.
 */

import type { Time } from '../sim/time.js';
import { seqGt, seqLt } from '../wire/seq.js';
import type { Connection } from './connection.js';

/** RFC 6928 initial window (Linux TCP_INIT_CWND). */
export const TCP_INIT_CWND = 10;
/** Linux TCP_INFINITE_SSTHRESH. */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;

export function tcpCongestionInit(conn: Connection): void {
  conn.cwnd = TCP_INIT_CWND;
  conn.ssthresh = TCP_INFINITE_SSTHRESH;
  conn.cwndCnt = 0;
  conn.caState = 'Open';
}

/**
 * Linux tcp_packets_in_flight: segments sent and not known to have left the
 * network: packets_out - (sacked_out + lost_out) + retrans_out.
 */
export function tcpPacketsInFlight(conn: Connection): number {
  return conn.rtxQueue.length - (conn.sackedOut + conn.lostOut) + conn.retransOut;
}

/** Linux tcp_any_retrans_done: a retransmission is in flight, or the oldest segment was retransmitted. */
export function tcpAnyRetransDone(conn: Connection): boolean {
  return conn.retransOut > 0 || conn.rtxQueue[0]?.everRetransmitted === true;
}

/** Reno's ssthresh after a loss (tcp_reno_ssthresh): half the window, at least 2. */
function renoSsthresh(conn: Connection): number {
  return Math.max(conn.cwnd >> 1, 2);
}

/** Linux tcp_is_cwnd_limited: only a window that is used may grow. */
function isCwndLimited(conn: Connection): boolean {
  if (conn.isCwndLimited) return true;
  if (conn.cwnd < conn.ssthresh) return conn.cwnd < 2 * conn.maxPacketsOut;
  return false;
}

/** Linux tcp_reno_cong_avoid with tcp_slow_start and tcp_cong_avoid_ai. */
function renoCongAvoid(conn: Connection, acked: number): void {
  if (!isCwndLimited(conn)) return;
  if (conn.cwnd < conn.ssthresh) {
    // RFC 5681 3.1: slow start grows by what was acknowledged, up to ssthresh.
    const cwnd = Math.min(conn.cwnd + acked, conn.ssthresh);
    acked -= cwnd - conn.cwnd;
    conn.cwnd = cwnd;
    if (acked <= 0) return;
  }
  // RFC 5681 3.1: congestion avoidance grows by one segment per window.
  const w = conn.cwnd;
  if (conn.cwndCnt >= w) {
    conn.cwndCnt = 0;
    conn.cwnd++;
  }
  conn.cwndCnt += acked;
  if (conn.cwndCnt >= w) {
    const delta = Math.floor(conn.cwndCnt / w);
    conn.cwndCnt -= delta * w;
    conn.cwnd += delta;
  }
}

/** Linux tcp_limit_reno_sacked: duplicate ACKs cannot stand for more than the segments out. */
function limitRenoSacked(conn: Connection): void {
  const packetsOut = conn.rtxQueue.length;
  const holes = Math.min(Math.max(conn.lostOut, 1), packetsOut);
  if (conn.sackedOut + holes > packetsOut) conn.sackedOut = Math.max(0, packetsOut - holes);
}

/** Linux tcp_add_reno_sack: a duplicate ACK means a segment left the network. Returns how many were counted. */
function addRenoSack(conn: Connection, dupacks: number): number {
  if (dupacks === 0) return 0;
  const prior = conn.sackedOut;
  conn.sackedOut += dupacks;
  limitRenoSacked(conn);
  return Math.max(0, conn.sackedOut - prior);
}

/**
 * Linux tcp_remove_reno_sacks, when `acked` segments were cumulatively
 * acknowledged: one fills the hole, the rest were already counted as duplicate
 * ACKs. Returns the segments newly delivered.
 */
export function removeRenoSacks(conn: Connection, acked: number): number {
  let delivered = 0;
  if (acked > 0) {
    delivered = Math.max(acked - conn.sackedOut, 1);
    if (acked - 1 >= conn.sackedOut) conn.sackedOut = 0;
    else conn.sackedOut -= acked - 1;
  }
  limitRenoSacked(conn);
  return delivered;
}

/** Marks the head segment lost (Linux tcp_newreno_mark_lost). */
function markHeadLost(conn: Connection): void {
  const head = conn.rtxQueue[0];
  if (head === undefined || head.lost) return;
  head.lost = true;
  conn.lostOut++;
}

/** Linux tcp_enter_recovery with tcp_init_cwnd_reduction. */
function enterRecovery(conn: Connection): void {
  conn.net.count('TcpExtTCPRenoRecovery');
  conn.highSeq = conn.sndNxt;
  conn.cwndCnt = 0;
  conn.priorCwnd = conn.cwnd;
  conn.prrDelivered = 0;
  conn.prrOut = 0;
  conn.ssthresh = renoSsthresh(conn);
  conn.caState = 'Recovery';
}

/** Linux tcp_cwnd_reduction: proportional rate reduction (RFC 6937 3). */
function cwndReduction(conn: Connection, newlyAckedSacked: number, unaAdvanced: boolean): void {
  if (newlyAckedSacked <= 0 || conn.priorCwnd === 0) return;
  const delta = conn.ssthresh - tcpPacketsInFlight(conn);
  conn.prrDelivered += newlyAckedSacked;
  let sndcnt: number;
  if (delta < 0) {
    const dividend = conn.ssthresh * conn.prrDelivered + conn.priorCwnd - 1;
    sndcnt = Math.floor(dividend / conn.priorCwnd) - conn.prrOut;
  } else {
    sndcnt = Math.max(conn.prrDelivered - conn.prrOut, newlyAckedSacked);
    if (unaAdvanced) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  // "Force a fast retransmit upon entering fast recovery."
  sndcnt = Math.max(sndcnt, conn.prrOut > 0 ? 0 : 1);
  conn.cwnd = tcpPacketsInFlight(conn) + sndcnt;
}

/** Linux tcp_try_keep_open / tcp_try_to_open. */
function tryToOpen(conn: Connection): void {
  if (!tcpAnyRetransDone(conn)) conn.retransStamp = undefined;
  const state = conn.sackedOut + conn.lostOut > 0 || conn.retransOut > 0 ? 'Disorder' : 'Open';
  if (conn.caState !== state) {
    conn.caState = state;
    conn.highSeq = conn.sndNxt;
  }
}

/**
 * Linux tcp_try_undo_recovery for a peer without SACK: NewReno holds the
 * recovery state until something above the recovery point is acknowledged
 * (RFC 6582 3.2 step 3, "to avoid false fast retransmits"). True while holding.
 * DEVIATION(linux): no undo of spurious recoveries (tcp_may_undo).
 */
function holdRecovery(conn: Connection): boolean {
  if (conn.sndUna === conn.highSeq) {
    if (!tcpAnyRetransDone(conn)) conn.retransStamp = undefined;
    return true;
  }
  conn.caState = 'Open';
  return false;
}

export interface AckInfo {
  /** Segments cumulatively acknowledged by this ACK. */
  readonly ackedPackets: number;
  /** Whether the ACK advanced SND.UNA. */
  readonly unaAdvanced: boolean;
  /** A duplicate ACK (RFC 5681 2: no data, no window change, SND.UNA unchanged, data outstanding). */
  readonly dupack: boolean;
  /** Segments newly delivered (acked, or counted from duplicate ACKs). */
  readonly delivered: number;
}

/**
 * What an ACK does to the congestion state (Linux tcp_fastretrans_alert then
 * tcp_cong_control), and whether lost segments should be retransmitted now.
 */
export function tcpCongestionOnAck(conn: Connection, info: AckInfo): boolean {
  let delivered = info.delivered;
  let rexmit = false;
  const dubious = info.dupack || conn.caState !== 'Open';
  if (dubious) {
    const r = fastretransAlert(conn, info);
    delivered += r.delivered;
    rexmit = r.rexmit;
  }
  if (conn.caState === 'Recovery') {
    cwndReduction(conn, delivered, info.unaAdvanced);
  } else if (info.ackedPackets > 0) {
    renoCongAvoid(conn, delivered);
  }
  return rexmit;
}

function fastretransAlert(conn: Connection, info: AckInfo): { delivered: number; rexmit: boolean } {
  let delivered = 0;
  if (conn.rtxQueue.length === 0 && conn.sackedOut > 0) conn.sackedOut = 0;
  const dupacks = info.dupack ? 1 : 0;
  // D. State exit conditions: the recovery point has been acknowledged.
  if (conn.caState === 'Open') {
    conn.retransStamp = undefined;
  } else if (!seqLt(conn.sndUna, conn.highSeq) && conn.caState === 'Recovery') {
    conn.sackedOut = 0;
    if (holdRecovery(conn)) return { delivered, rexmit: false };
    // tcp_end_cwnd_reduction: leave recovery with cwnd = ssthresh.
    if (conn.ssthresh < TCP_INFINITE_SSTHRESH) conn.cwnd = conn.ssthresh;
  }
  // E. Process the state.
  switch (conn.caState) {
    case 'Recovery':
      if (!info.unaAdvanced) delivered += addRenoSack(conn, dupacks);
      // NewReno (RFC 6582 3.2 step 5): a partial ACK means the next segment is lost too.
      else markHeadLost(conn);
      return { delivered, rexmit: true };
    case 'Loss':
      return { delivered: delivered + processLoss(conn, info, dupacks), rexmit: true };
    case 'Open':
    case 'Disorder': {
      if (info.unaAdvanced) conn.sackedOut = 0;
      delivered += addRenoSack(conn, dupacks);
      // RFC 5681 3.2: the third duplicate ACK starts fast retransmit.
      if (conn.sackedOut >= conn.net.sysctl.tcp_reordering) markHeadLost(conn);
      if (conn.lostOut === 0) {
        tryToOpen(conn);
        return { delivered, rexmit: false };
      }
      enterRecovery(conn);
      return { delivered, rexmit: true };
    }
  }
}

/** Linux tcp_process_loss without F-RTO: leave the loss state once everything sent before the RTO is acknowledged. */
function processLoss(conn: Connection, info: AckInfo, dupacks: number): number {
  if (!seqLt(conn.sndUna, conn.highSeq)) {
    holdRecovery(conn);
    return 0;
  }
  if (seqGt(conn.sndNxt, conn.highSeq) && dupacks > 0) return addRenoSack(conn, dupacks);
  if (info.unaAdvanced) conn.sackedOut = 0;
  return 0;
}

/**
 * Linux tcp_enter_loss, when the RTO fires: ssthresh halves (once per loss
 * episode), every segment in flight is presumed lost, cwnd drops to one segment
 * more than what is still in flight (RFC 5681 3.1: the loss window of 1).
 */
export function tcpEnterLoss(conn: Connection, _now: Time): void {
  if (
    conn.caState === 'Open' ||
    conn.caState === 'Disorder' ||
    !seqGt(conn.highSeq, conn.sndUna) ||
    (conn.caState === 'Loss' && conn.retransmits === 0)
  ) {
    conn.ssthresh = renoSsthresh(conn);
  }
  conn.sackedOut = 0;
  conn.lostOut = 0;
  conn.retransOut = 0;
  for (const s of conn.rtxQueue) {
    s.lost = true;
    s.retrans = false;
    conn.lostOut++;
  }
  conn.cwnd = tcpPacketsInFlight(conn) + 1;
  conn.cwndCnt = 0;
  conn.highSeq = conn.sndNxt;
  conn.caState = 'Loss';
}
