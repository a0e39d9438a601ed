/**
 * RACK loss detection (RFC 8985; Linux net/ipv4/tcp_recovery.c): a segment is
 * lost when a segment sent after it has been delivered (cumulatively or
 * selectively acknowledged) and more than RACK.rtt plus a reordering window
 * has passed since it was sent. Read RFC 8985 6 first.
 *
 * The state is the connection's (`rackMstamp`, `rackEndSeq`, `rackRttUs`,
 * `rackAdvanced`, `rackReoWndSteps`, ...): the send time and end of the most
 * recently sent segment delivered, and the RTT that delivery measured. The
 * reordering window is min_rtt/4 (RFC 8985 6.2 step 4: "RACK.min_RTT / 4"),
 * grown in min_rtt/4 steps by D-SACKs (6.2 step 4, tcp_rack_update_reo_wnd),
 * never more than SRTT, and 0 until reordering is seen once in recovery or
 * once tcp_reordering segments are SACKed (Linux tcp_rack_reo_wnd). Segments
 * inside the window wait for the reordering timer (RFC 8985 6.3,
 * tcp_rack_reo_timeout), which shares the retransmit timer, as Linux's
 * ICSK_TIME_REO_TIMEOUT shares icsk_retransmit_timer.
 *
 * Times are in microseconds as Linux's tcp_mstamp (the engine's `Time` is
 * nanoseconds: floor(ns / 1000)).
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqGt } from '../wire/seq.js';
import { TCP_RTO_MAX, usecsToJiffies } from './clock.js';
import {
  tcpCwndReductionOnReoTimeout,
  tcpEnterRecovery,
  tcpPacketsInFlight,
} from './congestion.js';
import type { Connection, TxSegment } from './connection.js';
import { tcpRearmRto, tcpXmitRetransmitQueue } from './output.js';
import { srttUs } from './rtt.js';
import { cachedBlockEnd, firstEndingAfter, tcpMarkSkbLost } from './sack.js';
import { armTimer } from './timers.js';

/** tcp_recovery bit: RACK loss detection on (TCP_RACK_LOSS_DETECTION). */
export const TCP_RACK_LOSS_DETECTION = 0x1;
/** tcp_recovery bit: keep reo_wnd at min_rtt/4 (TCP_RACK_STATIC_REO_WND). */
export const TCP_RACK_STATIC_REO_WND = 0x2;
/** tcp_recovery bit: no reo_wnd of 0 after tcp_reordering SACKs (TCP_RACK_NO_DUPTHRESH). */
export const TCP_RACK_NO_DUPTHRESH = 0x4;
/** TCP_RACK_RECOVERY_THRESH: recoveries a grown reo_wnd lasts (include/net/tcp.h). */
export const TCP_RACK_RECOVERY_THRESH = 16;
/** TCP_TIMEOUT_MIN_US (include/net/tcp.h): 2 ms added to the reordering timer. */
const TCP_TIMEOUT_MIN_US = 2000;

/** Microseconds from `from` to `to` (tcp_stamp_us_delta). */
export function usDelta(to: Time, from: Time): number {
  return Math.floor((to - from) / 1000);
}

/** Linux tcp_rack_sent_after / tcp_skb_sent_after: sent later, or at once and ending later. */
export function sentAfter(t1: Time, t2: Time, seq1: Seq, seq2: Seq): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(seq1, seq2));
}

/** Whether RACK detects losses (tcp_is_rack: tcp_recovery & TCP_RACK_LOSS_DETECTION). */
export function tcpIsRack(conn: Connection): boolean {
  return (conn.net.sysctl.tcp_recovery & TCP_RACK_LOSS_DETECTION) !== 0;
}

/**
 * Linux tcp_rack_advance (RFC 8985 6.2 step 2): `s` was delivered now; it
 * becomes RACK's reference if it was sent after the current one. A
 * retransmission delivered sooner than min_rtt after it was sent may be the
 * original's delivery, so it does not count.
 */
export function tcpRackAdvance(conn: Connection, now: Time, s: TxSegment): void {
  const rttUs = usDelta(now, s.sentAt);
  if (rttUs < conn.minRttUs && s.everRetransmitted) return;
  conn.rackAdvanced = true;
  conn.rackRttUs = rttUs;
  if (sentAfter(s.sentAt, conn.rackMstamp, s.end, conn.rackEndSeq)) {
    conn.rackMstamp = s.sentAt;
    conn.rackEndSeq = s.end;
  }
}

/** Linux tcp_rack_reo_wnd (RFC 8985 6.2 step 4): the reordering window in µs. */
function tcpRackReoWnd(conn: Connection): number {
  if (conn.reordSeen === 0) {
    // "If reordering has not been observed, be aggressive during the recovery
    // or starting the recovery by DUPACK threshold."
    if (conn.caState === 'Recovery' || conn.caState === 'Loss') return 0;
    if (
      conn.sackedOut >= conn.reordering &&
      (conn.net.sysctl.tcp_recovery & TCP_RACK_NO_DUPTHRESH) === 0
    ) {
      return 0;
    }
  }
  // min_rtt is ~0U without a sample: the product is then bounded by SRTT.
  return Math.min((conn.minRttUs >>> 2) * conn.rackReoWndSteps, srttUs(conn.rtt));
}

/** Linux tcp_rack_skb_timeout: µs until `s` is lost by RACK's rule (≤ 0: lost now). */
export function tcpRackSkbTimeout(
  conn: Connection,
  now: Time,
  s: TxSegment,
  reoWnd: number,
): number {
  return conn.rackRttUs + reoWnd - usDelta(now, s.sentAt);
}

/**
 * Linux tcp_rack_detect_loss (RFC 8985 6.2 step 5): marks lost every segment
 * sent before RACK's reference whose time is up; returns the longest wait of
 * those still inside the reordering window (µs, 0 for none) and counts the
 * newly lost ones in conn.lost. Linux walks the segments in send order and
 * stops at the first sent after the reference; the retransmit queue is in
 * sequence order, so the walk stops at the first original transmission sent
 * after it.
 */
export function tcpRackDetectLoss(conn: Connection, now: Time): number {
  const reoWnd = tcpRackReoWnd(conn);
  let reoTimeout = 0;
  const q = conn.rtxQueue;
  for (let i = 0; i < q.length; i++) {
    const s = q.at(i);
    // Originals go out in sequence order: past one sent after the reference,
    // every later segment (resent or not) went out later still. Linux walks
    // its send-order list and stops at the first sent after the reference.
    if (!s.everRetransmitted && s.sentAt > conn.rackMstamp) break;
    // SACKed segments left the send-order list; lost ones wait for their retransmission.
    if (s.sacked) {
      i = lastOfSackedRun(conn, i, s);
      continue;
    }
    if (s.lost && !s.retrans) continue;
    if (!sentAfter(conn.rackMstamp, s.sentAt, conn.rackEndSeq, s.end)) continue;
    const remaining = tcpRackSkbTimeout(conn, now, s, reoWnd);
    if (remaining <= 0) tcpMarkSkbLost(conn, s);
    else if (remaining > reoTimeout) reoTimeout = remaining;
  }
  return reoTimeout;
}

/**
 * Where tcpRackDetectLoss goes on from the SACKed segment at index `i`: past
 * the run of SACKed segments a SACK block walked before holds (sack.ts
 * cachedBlockEnd), as Linux has taken them off its send-order list. The walk
 * would pass each: it stops only at an original transmission sent after
 * RACK's reference, and a SACKed original is not one (tcp_sacktag_one
 * advanced the reference to it, tcpRackAdvance).
 */
function lastOfSackedRun(conn: Connection, i: number, s: TxSegment): number {
  const end = cachedBlockEnd(conn.sackCache, s);
  return end === undefined ? i : firstEndingAfter(conn.rtxQueue, end) - 1;
}

/**
 * Linux tcp_rack_mark_lost: after a delivery advanced RACK, mark what it proves
 * lost and arm the reordering timer for the rest (RFC 8985 6.3: "RACK.reo_wnd
 * + RACK.rtt - (now - xmit_ts)", plus TCP_TIMEOUT_MIN_US, at most the RTO:
 * inet_csk_reset_xmit_timer's max_when). True when the timer was armed.
 */
export function tcpRackMarkLost(conn: Connection, now: Time): boolean {
  if (!conn.rackAdvanced) return false;
  conn.rackAdvanced = false;
  const timeoutUs = tcpRackDetectLoss(conn, now);
  if (timeoutUs === 0) return false;
  const when = Math.min(usecsToJiffies(timeoutUs + TCP_TIMEOUT_MIN_US), conn.rto, TCP_RTO_MAX);
  armTimer(conn, 'retransmit', now, when);
  conn.lossProbePending = false;
  conn.reoTimeoutPending = true;
  return true;
}

/**
 * Linux tcp_rack_reo_timeout (RFC 8985 6.3): the reordering window has passed.
 * Mark what is now lost; if that changed what is in flight, start recovery
 * (with one PRR step) unless in it, and retransmit. The RTO takes over the
 * timer (tcp_rearm_rto, its deadline offset by what has elapsed).
 */
export function tcpRackReoTimeout(conn: Connection, now: Time): void {
  const priorInflight = tcpPacketsInFlight(conn);
  const lostBefore = conn.lost;
  tcpRackDetectLoss(conn, now);
  if (priorInflight !== tcpPacketsInFlight(conn)) {
    if (conn.caState !== 'Recovery') {
      tcpEnterRecovery(conn, now);
      tcpCwndReductionOnReoTimeout(conn, conn.lost - lostBefore);
    }
    tcpXmitRetransmitQueue(conn, now);
  }
  tcpRearmRto(conn, now);
}

/**
 * Linux tcp_rack_update_reo_wnd (RFC 8985 6.2 step 4): a D-SACK says a
 * retransmission was spurious, perhaps because reo_wnd was too small: grow it
 * by one step, at most once per round trip, and keep it for 16 recoveries.
 * `deliveredSentAt` is when the most recently sent segment this ACK delivered
 * went out. DEVIATION(linux): Linux dates the round trip by the delivery count
 * when that segment was sent (rate sample's prior_delivered); tcplab by its
 * send time against when reo_wnd last grew.
 */
export function tcpRackUpdateReoWnd(conn: Connection, deliveredSentAt: Time | undefined): void {
  if (conn.net.sysctl.tcp_recovery & TCP_RACK_STATIC_REO_WND || deliveredSentAt === undefined) {
    return;
  }
  // "Disregard DSACK if a rtt has not passed since we adjusted reo_wnd".
  if (deliveredSentAt < conn.rackReoAdjustedAt) conn.rackDsackSeen = false;
  if (conn.rackDsackSeen) {
    conn.rackReoWndSteps = Math.min(0xff, conn.rackReoWndSteps + 1);
    conn.rackDsackSeen = false;
    conn.rackReoAdjustedAt = deliveredSentAt;
    conn.rackReoWndPersist = TCP_RACK_RECOVERY_THRESH;
  } else if (conn.rackReoWndPersist === 0) {
    conn.rackReoWndSteps = 1;
  }
}
