/**
 * Round-trip time estimation and the retransmission timeout, as Linux computes
 * them (tcp_input.c tcp_rtt_estimator, tcp_set_rto; RFC 6298 with Linux's
 * departures). Read RFC 6298 2 first.
 *
 * Linux keeps SRTT scaled by 8 and the mean deviation scaled by 4, in
 * microseconds, and uses as RTTVAR the largest deviation seen over the last
 * round trip, never below the minimum RTO: so RTO = SRTT + max(4·mdev, 200 ms),
 * which on a LAN is a little over 200 ms (RFC 6298 2.4 asks for at least 1 s;
 * DEVIATION(rfc): Linux's floor is TCP_RTO_MIN, 200 ms).
 */

import { type Seq, seqGt } from '../wire/seq.js';
import { TCP_RTO_MAX, TCP_RTO_MIN, USEC_PER_JIFFY, usecsToJiffies } from './clock.js';

/** The estimator's state (Linux tcp_sock srtt_us, mdev_us, mdev_max_us, rttvar_us, rtt_seq). */
export interface RttState {
  /** Smoothed RTT << 3, in microseconds; 0 until the first sample. */
  srtt8Us: number;
  /** Mean deviation << 2, in microseconds. */
  mdev4Us: number;
  /** The largest mdev in the current round trip. */
  mdevMaxUs: number;
  /** The RTTVAR the RTO uses (never below the minimum RTO). */
  rttvarUs: number;
  /** When SND.UNA passes this, a round trip has ended. */
  rttSeq: Seq;
}

/** Linux tcp_rto_min_us: TCP_RTO_MIN in microseconds. */
const RTO_MIN_US = TCP_RTO_MIN * USEC_PER_JIFFY;

export function newRttState(rttSeq: Seq): RttState {
  // tcp_init_sock: mdev_us = jiffies_to_usecs(TCP_TIMEOUT_INIT); srtt 0.
  return { srtt8Us: 0, mdev4Us: 1_000_000, mdevMaxUs: 0, rttvarUs: 0, rttSeq };
}

/**
 * Folds one RTT sample (microseconds) into the estimate: Linux tcp_rtt_estimator.
 * `sndUna`/`sndNxt` delimit the round trip whose maximum deviation is kept.
 */
export function tcpRttEstimator(r: RttState, mrttUs: number, sndUna: Seq, sndNxt: Seq): void {
  let m = Math.max(0, Math.trunc(mrttUs));
  let srtt = r.srtt8Us;
  if (srtt !== 0) {
    m -= Math.floor(srtt / 8); // m is now the error in the estimate
    srtt += m; // srtt = 7/8 srtt + 1/8 sample
    if (m < 0) {
      m = -m;
      m -= Math.floor(r.mdev4Us / 4);
      // Linux: a sample below SRTT moves mdev 8 times more slowly.
      if (m > 0) m = Math.floor(m / 8);
    } else {
      m -= Math.floor(r.mdev4Us / 4);
    }
    r.mdev4Us += m; // mdev = 3/4 mdev + 1/4 |error|
    if (r.mdev4Us > r.mdevMaxUs) {
      r.mdevMaxUs = r.mdev4Us;
      if (r.mdevMaxUs > r.rttvarUs) r.rttvarUs = r.mdevMaxUs;
    }
    if (seqGt(sndUna, r.rttSeq)) {
      // A round trip ended: let RTTVAR decay towards this round's maximum.
      if (r.mdevMaxUs < r.rttvarUs) r.rttvarUs -= Math.floor((r.rttvarUs - r.mdevMaxUs) / 4);
      r.rttSeq = sndNxt;
      r.mdevMaxUs = RTO_MIN_US;
    }
  } else {
    // RFC 6298 2.2: the first measurement R gives SRTT = R, RTTVAR = R/2.
    srtt = m * 8;
    r.mdev4Us = m * 2; // mdev = R/2, kept << 2
    r.rttvarUs = Math.max(r.mdev4Us, RTO_MIN_US);
    r.mdevMaxUs = r.rttvarUs;
    r.rttSeq = sndNxt;
  }
  r.srtt8Us = Math.max(1, srtt);
}

/** Linux __tcp_set_rto + tcp_bound_rto: SRTT + RTTVAR, in jiffies, at most TCP_RTO_MAX. */
export function tcpRtoJiffies(r: RttState): number {
  return Math.min(usecsToJiffies(Math.floor(r.srtt8Us / 8) + r.rttvarUs), TCP_RTO_MAX);
}

/** SRTT in microseconds (0 before the first sample). */
export function srttUs(r: RttState): number {
  return Math.floor(r.srtt8Us / 8);
}
