/**
 * The delivery rate estimator (Linux net/ipv4/tcp_rate.c) and the pacing rate
 * (tcp_update_pacing_rate): what `ss -i` shows as `delivery_rate`,
 * `app_limited` and `pacing_rate`.
 *
 * Each segment records, when it is sent, how much had been delivered and when
 * (tcp_rate_skb_sent); when it is acknowledged or SACKed, the most recently
 * sent of the segments an ACK delivers gives the sample's start
 * (tcp_rate_skb_delivered); per ACK, the sample is the segments delivered since
 * then over the longer of the send phase and the ACK phase (tcp_rate_gen). A
 * sample taken while the application had nothing to send is app-limited, and
 * replaces the last one only if it is faster. Times are in microseconds, as
 * Linux's tcp_mstamp.
 */

import type { Time } from '../sim/time.js';
import type { Seq } from '../wire/seq.js';
import { tcpClockUs } from './clock.js';
import type { Connection, TxSegment } from './connection.js';
import { sentAfter } from './rack.js';

/**
 * Linux struct rate_sample, for the ACK being processed (tcp_ack's stack):
 * reset by tcpRateBegin, filled by tcpRateSkbDelivered, used by tcpRateGen.
 */
interface RateSample {
  /** tp->delivered when the sample's segment was sent; 0: no sample. */
  priorDelivered: number;
  /** tp->delivered_mstamp then (µs); -1: no timing (Linux's 0: no clock reads 0 there). */
  priorUs: number;
  isAppLimited: boolean;
  isRetrans: boolean;
  lastEndSeq: Seq;
  /** The send phase (µs). */
  intervalUs: number;
}

const rateSample: RateSample = {
  priorDelivered: 0,
  priorUs: -1,
  isAppLimited: false,
  isRetrans: false,
  lastEndSeq: 0 as Seq,
  intervalUs: 0,
};

/** A new ACK: no sample yet. */
export function tcpRateBegin(): void {
  const rs = rateSample;
  rs.priorDelivered = 0;
  rs.priorUs = -1;
  rs.isAppLimited = false;
  rs.isRetrans = false;
  rs.intervalUs = 0;
}

/**
 * Linux tcp_rate_skb_sent: `s` goes out now with the delivery state in it.
 * With nothing in flight before it (`packetsOut`, tp->packets_out), the
 * sampling interval starts now.
 */
export function tcpRateSkbSent(
  conn: Connection,
  now: Time,
  s: TxSegment,
  packetsOut: number,
): void {
  if (packetsOut === 0) {
    const t = tcpClockUs(now);
    conn.firstTxUs = t;
    conn.deliveredUs = t;
  }
  s.txFirstTxUs = conn.firstTxUs;
  s.txDeliveredUs = conn.deliveredUs;
  s.txDelivered = conn.delivered;
  s.txAppLimited = conn.appLimited !== 0;
}

/**
 * Linux tcp_rate_skb_delivered: `s` is acknowledged or SACKed; the most
 * recently sent of an ACK's segments (the highest, at one instant) makes the
 * sample. A SACKed one is marked off so that its cumulative ACK does not count
 * it again.
 */
export function tcpRateSkbDelivered(conn: Connection, s: TxSegment, sacked: boolean): void {
  if (s.txDeliveredUs < 0) return;
  const rs = rateSample;
  const txUs = tcpClockUs(s.sentAt);
  if (rs.priorDelivered === 0 || sentAfter(txUs, conn.firstTxUs, s.end, rs.lastEndSeq)) {
    rs.priorDelivered = s.txDelivered;
    rs.priorUs = s.txDeliveredUs;
    rs.isAppLimited = s.txAppLimited;
    rs.isRetrans = s.everRetransmitted;
    rs.lastEndSeq = s.end;
    // "Record send time of most recently ACKed packet", and the send phase.
    conn.firstTxUs = txUs;
    rs.intervalUs = txUs - s.txFirstTxUs;
  }
  if (sacked) s.txDeliveredUs = -1;
}

/**
 * Linux tcp_rate_gen: the ACK delivered `delivered` segments (newly acked or
 * SACKed): the application-limited bubble ends once it is delivered, and the
 * sample is kept as the connection's rate unless it is app-limited and slower
 * than the last. An interval below min_rtt is not a sample.
 */
export function tcpRateGen(conn: Connection, now: Time, delivered: number): void {
  if (conn.appLimited !== 0 && conn.delivered > conn.appLimited) conn.appLimited = 0;
  const t = tcpClockUs(now);
  if (delivered > 0) conn.deliveredUs = t;
  const rs = rateSample;
  if (rs.priorUs < 0) return;
  const sampleDelivered = conn.delivered - rs.priorDelivered;
  // "To be safe we use the longer phase."
  const ackUs = t - rs.priorUs;
  const intervalUs = rs.intervalUs > ackUs ? rs.intervalUs : ackUs;
  if (intervalUs < conn.minRttUs) return;
  if (
    !rs.isAppLimited ||
    sampleDelivered * conn.rateIntervalUs >= conn.rateDelivered * intervalUs
  ) {
    conn.rateDelivered = sampleDelivered;
    conn.rateIntervalUs = intervalUs;
    conn.rateAppLimited = rs.isAppLimited;
  }
}

/**
 * Linux tcp_rate_check_app_limited, at each write: less than a segment waits
 * to be sent, nothing waits in the host (a frame goes to its link at once
 * here), the congestion window is not full and every lost segment went again:
 * the samples until what is in flight now is delivered are app-limited.
 */
export function tcpRateCheckAppLimited(conn: Connection, inFlight: number, unsent: number): void {
  if (unsent < conn.sndMss && inFlight < conn.cwnd && conn.lostOut <= conn.retransOut) {
    conn.appLimited = conn.delivered + inFlight || 1;
  }
}

/** Linux tcp_compute_delivery_rate: the rate of the last sample, bytes per second; 0 if none. */
export function tcpDeliveryRate(conn: Connection): number {
  if (conn.rateDelivered === 0 || conn.rateIntervalUs === 0) return 0;
  return Math.floor((conn.rateDelivered * conn.sndMss * 1_000_000) / conn.rateIntervalUs);
}

/**
 * Linux tcp_update_pacing_rate, for a congestion control without its own
 * cong_control: the current rate, cwnd × MSS / SRTT, times
 * tcp_pacing_ss_ratio (200%) in slow start while cwnd is below half ssthresh,
 * else tcp_pacing_ca_ratio (120%); bytes per second. BBR has its own and paces
 * by its model (DEVIATION(linux): tcplab's bbr runs CUBIC, and leaves the
 * pacing rate unset).
 */
export function tcpUpdatePacingRate(conn: Connection): void {
  if (conn.caOps === 'bbr') return;
  const sys = conn.net.sysctl;
  // mss × (USEC_PER_SEC / 100) << 3, over srtt_us (itself << 3).
  let rate = conn.sndMss * ((1_000_000 / 100) * 8);
  rate *= conn.cwnd < conn.ssthresh / 2 ? sys.tcp_pacing_ss_ratio : sys.tcp_pacing_ca_ratio;
  const packetsOut = conn.rtxQueue.length;
  rate *= conn.cwnd > packetsOut ? conn.cwnd : packetsOut;
  const srtt8 = conn.rtt.srtt8Us;
  if (srtt8 !== 0) rate = Math.floor(rate / srtt8);
  conn.pacingRate = rate;
}
