/**
 * Congestion control and loss recovery, in segments as Linux counts them.
 *
 * - The window: slow start from 10 segments (RFC 6928; TCP_INIT_CWND), then
 *   the connection's congestion control, chosen from tcp_congestion_control
 *   when the connection is made (tcp_assign_congestion_control): CUBIC, the
 *   default (RFC 9438; net/ipv4/tcp_cubic.c, with HyStart), or Reno (RFC 5681;
 *   tcp_cong.c tcp_reno_cong_avoid). DEVIATION(linux): `bbr` is accepted by
 *   name and runs CUBIC; the reference traces were taken with BBR, but none
 *   of them sends enough for the congestion window to matter.
 * - Loss detection (tcp_fastretrans_alert, tcp_identify_packet_loss): with
 *   SACK, RACK (rack.ts; RFC 8985) on the scoreboard sack.ts keeps, or RFC
 *   6675's duplicate-SACK threshold when tcp_recovery has RACK off; without
 *   SACK, NewReno on duplicate ACKs (RFC 6582; duplicate ACKs stand in for
 *   SACKed segments, as Linux does for such a peer).
 * - Recovery: proportional rate reduction (RFC 6937; tcp_cwnd_reduction) down
 *   to the congestion control's ssthresh, retransmitting only what is marked
 *   lost (tcp_xmit_retransmit_queue); the RTO's loss state (tcp_enter_loss).
 *
 * - Undo (tcp_try_undo_recovery, _dsack, _partial, _loss): a recovery or an
 *   RTO shown spurious, by D-SACKs for every retransmission (undo_retrans) or
 *   by an echoed timestamp older than the first retransmission
 *   (tcp_packet_delayed), gives back the window and ssthresh it took
 *   (tcp_undo_cwnd_reduction; CUBIC's undo_cwnd is Reno's); F-RTO (RFC 5682
 *   with SACK; tcp_frto) judges an RTO by sending new data first
 *   (tcp_process_loss).
 *
 * DEVIATION(linux): no SACK reneging timer, no CWR state (ECN, local
 * congestion).
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqAdd, seqGt, seqLt } from '../wire/seq.js';
import { HZ, jiffies, usecsToJiffies } from './clock.js';
import type { CaState, Connection } from './connection.js';
import type { TcpNet } from './net.js';
import { TCP_RACK_RECOVERY_THRESH, tcpIsRack, tcpRackMarkLost, tcpRackSkbTimeout } from './rack.js';
import { tcpUpdatePacingRate } from './rate.js';
import {
  tcpCheckSackReordering,
  tcpClearSackCache,
  tcpForceFastRetransmit,
  tcpMarkSkbLost,
  tcpUpdateScoreboard,
} from './sack.js';

/** RFC 6928 initial window (Linux TCP_INIT_CWND). */
export const TCP_INIT_CWND = 10;
/** Linux TCP_INFINITE_SSTHRESH. */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;

/**
 * The congestion control a connection was given (icsk_ca_ops, from
 * tcp_congestion_control when it was made: tcp_assign_congestion_control),
 * the name `ss -i` shows. DEVIATION(linux): `bbr` runs CUBIC.
 */
export type CongestionControl = 'reno' | 'cubic' | 'bbr';

/** tcp_assign_congestion_control: the namespace's default now (an unknown name: CUBIC). */
export function defaultCongestionControl(net: TcpNet): CongestionControl {
  const cc = net.sysctl.tcp_congestion_control;
  return cc === 'reno' || cc === 'bbr' ? cc : 'cubic';
}

export function tcpCongestionInit(conn: Connection): void {
  conn.cwnd = TCP_INIT_CWND;
  conn.ssthresh = TCP_INFINITE_SSTHRESH;
  conn.cwndCnt = 0;
  conn.caState = 'Open';
  conn.reordering = conn.net.sysctl.tcp_reordering;
  conn.caOps = defaultCongestionControl(conn.net);
}

/**
 * Linux tcp_init_congestion_control, from tcp_init_transfer: the congestion
 * control starts with the connection's first data. CUBIC's state (struct
 * bictcp) is made on its first use instead, zeroed, its HyStart round
 * starting then (cubicOf): what bictcp_reset and bictcp_hystart_reset leave
 * at establishment is what the first ACK of data finds, since that ACK
 * passes the round's end (SND.NXT at establishment) and restarts the round.
 * An idle connection so carries none of it.
 */
export function tcpInitCongestionControl(conn: Connection, now: Time): void {
  const ca = conn.cubic;
  if (ca === undefined) {
    // The round bictcp_hystart_reset would start ends at SND.NXT, which is
    // ISS + 1 here (only the SYN was sent): cubicOf starts it so when it
    // makes the state. Otherwise (never so far) the state is made now.
    if (conn.caOps !== 'reno' && conn.sndNxt === seqAdd(conn.iss, 1)) conn.cubicPending = true;
    else if (conn.caOps !== 'reno') cubicOf(conn, now);
    return;
  }
  cubicReset(ca);
  hystartReset(conn, ca, now);
}

/**
 * The connection's CUBIC state, made on first use; undefined for Reno. Made
 * after establishment, it is what bictcp_init left then: zeroed, the HyStart
 * round started at the establishment and ending at ISS + 1.
 */
export function cubicOf(conn: Connection, now: Time): CubicState | undefined {
  if (conn.caOps === 'reno') return undefined;
  let ca = conn.cubic;
  if (ca === undefined) {
    ca = newCubicState();
    const since = conn.cubicPending ? conn.establishedAt() : undefined;
    if (since !== undefined) {
      const sinceUs = Math.floor(since / 1000);
      ca.roundStartUs = sinceUs;
      ca.lastAckUs = sinceUs;
      ca.endSeq = seqAdd(conn.iss, 1);
    } else {
      hystartReset(conn, ca, now);
    }
    conn.cubicPending = false;
    conn.cubic = ca;
  }
  return ca;
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
  return conn.retransOut > 0 || conn.rtxQueue.head?.everRetransmitted === true;
}

/** Linux tcp_is_cwnd_limited: only a window that is used may grow. */
export function isCwndLimited(conn: Connection): boolean {
  if (conn.isCwndLimited) return true;
  if (conn.cwnd < conn.ssthresh) return conn.cwnd < 2 * conn.maxPacketsOut;
  return false;
}

/** Linux tcp_slow_start (RFC 5681 3.1): grow by what was acknowledged, up to ssthresh. Returns what is left. */
function tcpSlowStart(conn: Connection, acked: number): number {
  const cwnd = Math.min(conn.cwnd + acked, conn.ssthresh);
  acked -= cwnd - conn.cwnd;
  conn.cwnd = cwnd;
  return acked;
}

/** Linux tcp_cong_avoid_ai: one segment more per `w` segments acknowledged. */
function tcpCongAvoidAi(conn: Connection, w: number, acked: number): void {
  // "If credits accumulated at a higher w, apply them gently now."
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

/** The congestion control's cong_avoid: tcp_reno_cong_avoid or cubictcp_cong_avoid. */
function tcpCongAvoid(conn: Connection, now: Time, acked: number): void {
  if (!isCwndLimited(conn)) return;
  if (conn.cwnd < conn.ssthresh) {
    acked = tcpSlowStart(conn, acked);
    if (acked <= 0) return;
  }
  const ca = cubicOf(conn, now);
  if (ca === undefined) {
    // RFC 5681 3.1: congestion avoidance grows by one segment per window.
    tcpCongAvoidAi(conn, conn.cwnd, acked);
    return;
  }
  bictcpUpdate(conn, ca, now, acked);
  tcpCongAvoidAi(conn, ca.cnt, acked);
}

/** The congestion control's ssthresh after a loss: tcp_reno_ssthresh or cubictcp_recalc_ssthresh. */
function tcpCaSsthresh(conn: Connection, now: Time): number {
  const ca = cubicOf(conn, now);
  if (ca === undefined) return Math.max(conn.cwnd >> 1, 2);
  return cubicRecalcSsthresh(conn, ca);
}

// ---- CUBIC (net/ipv4/tcp_cubic.c; RFC 9438). ----

/** BICTCP_BETA_SCALE and beta: the window after a loss is 717/1024 ≈ 0.7 of it (RFC 9438 4.6). */
const BICTCP_BETA_SCALE = 1024;
const CUBIC_BETA = 717;
/** bic_scale 41: C = 41 × 10 / 1024 ≈ 0.4 (RFC 9438 5: "C SHOULD be set to 0.4"). */
const BIC_SCALE = 41;
/** BICTCP_HZ: time in the cubic function is counted in 1/1024 s. */
const BICTCP_HZ = 10;
/** cube_rtt_scale = bic_scale × 10 (cubictcp_register). */
const CUBE_RTT_SCALE = BIC_SCALE * 10;
/** beta_scale = 8 × (1024 + 717) / 3 / (1024 − 717) = 15: the TCP-friendly region's slope (RFC 9438 4.3). */
const BETA_SCALE = Math.floor(
  Math.floor((8 * (BICTCP_BETA_SCALE + CUBIC_BETA)) / 3) / (BICTCP_BETA_SCALE - CUBIC_BETA),
);
/** cube_factor = 2^(10 + 3 × BICTCP_HZ) / (bic_scale × 10): K³ per segment of Wmax − cwnd. */
const CUBE_FACTOR = 2 ** (10 + 3 * BICTCP_HZ) / CUBE_RTT_SCALE;
/** Module parameters, all on in Linux: fast_convergence, tcp_friendliness, hystart. */
const FAST_CONVERGENCE = true;
const TCP_FRIENDLINESS = true;
const HYSTART = true;
/** hystart_low_window: HyStart only above 16 segments. */
const HYSTART_LOW_WINDOW = 16;
/** hystart_ack_delta_us: ACKs 2 ms apart or closer form a train. */
const HYSTART_ACK_DELTA_US = 2000;
/** HYSTART_MIN_SAMPLES, HYSTART_DELAY_MIN, HYSTART_DELAY_MAX. */
const HYSTART_MIN_SAMPLES = 8;
const HYSTART_DELAY_MIN_US = 4000;
const HYSTART_DELAY_MAX_US = 16000;
/** GSO_LEGACY_MAX_SIZE: sk_gso_max_size of the virtual devices, for hystart_ack_delay. */
const GSO_MAX_SIZE = 65536;
/** tcp_pacing_ss_ratio and tcp_pacing_ca_ratio defaults (percent). */
const PACING_SS_RATIO = 200;
const PACING_CA_RATIO = 120;

/**
 * "No sample yet" for curr_rtt (Linux ~0U): any large value does, and one
 * that fits a small integer keeps V8 from boxing it.
 */
const NO_RTT_US = 0x3fffffff;

/** struct bictcp: one CUBIC connection's state. Times in jiffies unless named Us. */
export interface CubicState {
  /** Segments to acknowledge per cwnd increment. */
  cnt: number;
  /** Wmax: the window before the last reduction (last_max_cwnd). */
  lastMaxCwnd: number;
  lastCwnd: number;
  lastTime: number;
  /** The cubic curve's plateau (bic_origin_point) and when it is reached (bic_K, in 1/1024 s). */
  originPoint: number;
  bicK: number;
  /** The smallest RTT seen (delay_min), µs. */
  delayMinUs: number;
  /** When the current epoch began, in jiffies; undefined between epochs (epoch_start == 0). */
  epochStart: number | undefined;
  ackCnt: number;
  /** The Reno-equivalent window for TCP friendliness (tcp_cwnd). */
  tcpCwnd: number;
  // HyStart.
  found: boolean;
  roundStartUs: number;
  endSeq: Seq;
  lastAckUs: number;
  currRttUs: number;
  sampleCnt: number;
}

function newCubicState(): CubicState {
  return {
    cnt: 0,
    lastMaxCwnd: 0,
    lastCwnd: 0,
    lastTime: 0,
    originPoint: 0,
    bicK: 0,
    delayMinUs: 0,
    epochStart: undefined,
    ackCnt: 0,
    tcpCwnd: 0,
    found: false,
    roundStartUs: 0,
    endSeq: 0 as Seq,
    lastAckUs: 0,
    currRttUs: NO_RTT_US,
    sampleCnt: 0,
  };
}

/** bictcp_reset. */
function cubicReset(ca: CubicState): void {
  ca.cnt = 0;
  ca.lastMaxCwnd = 0;
  ca.lastCwnd = 0;
  ca.lastTime = 0;
  ca.originPoint = 0;
  ca.bicK = 0;
  ca.delayMinUs = 0;
  ca.epochStart = undefined;
  ca.ackCnt = 0;
  ca.tcpCwnd = 0;
  ca.found = false;
}

/** bictcp_hystart_reset: a new round of HyStart samples starts now. */
function hystartReset(conn: Connection, ca: CubicState, now: Time): void {
  const nowUs = Math.floor(now / 1000);
  ca.roundStartUs = nowUs;
  ca.lastAckUs = nowUs;
  ca.endSeq = conn.sndNxt;
  ca.currRttUs = NO_RTT_US;
  ca.sampleCnt = 0;
}

/**
 * The cube root of `a`, rounded down. DEVIATION(linux): cubic_root
 * approximates it (a table lookup and one Newton-Raphson step, "Avg err ~=
 * 0.195%"); this is exact.
 */
function cubicRoot(a: number): number {
  let x = Math.floor(Math.cbrt(a));
  while ((x + 1) ** 3 <= a) x++;
  while (x > 0 && x ** 3 > a) x--;
  return x;
}

/** bictcp_update: how many ACKed segments per cwnd increment (ca.cnt), from the cubic curve. */
function bictcpUpdate(conn: Connection, ca: CubicState, now: Time, acked: number): void {
  const cwnd = conn.cwnd;
  const nowJ = jiffies(now);
  ca.ackCnt += acked;
  if (ca.lastCwnd === cwnd && nowJ - ca.lastTime <= HZ / 32) return;
  // "The CUBIC function can update ca->cnt at most once per jiffy."
  if (ca.epochStart === undefined || nowJ !== ca.lastTime) {
    ca.lastCwnd = cwnd;
    ca.lastTime = nowJ;
    if (ca.epochStart === undefined) {
      ca.epochStart = nowJ;
      ca.ackCnt = acked;
      ca.tcpCwnd = cwnd;
      if (ca.lastMaxCwnd <= cwnd) {
        ca.bicK = 0;
        ca.originPoint = cwnd;
      } else {
        // RFC 9438 4.2: K = cubic_root((Wmax - cwnd) / C), in 1/1024 s.
        ca.bicK = cubicRoot(CUBE_FACTOR * (ca.lastMaxCwnd - cwnd));
        ca.originPoint = ca.lastMaxCwnd;
      }
    }
    // t: time since the epoch plus one minimum RTT, in 1/1024 s.
    let t = nowJ - ca.epochStart + usecsToJiffies(ca.delayMinUs);
    t = Math.floor((t * 2 ** BICTCP_HZ) / HZ);
    const offs = t < ca.bicK ? ca.bicK - t : t - ca.bicK;
    // RFC 9438 4.2: W_cubic(t) = C (t - K)^3 + Wmax, in segments.
    const delta = Math.floor((CUBE_RTT_SCALE * offs * offs * offs) / 2 ** (10 + 3 * BICTCP_HZ));
    const target = t < ca.bicK ? ca.originPoint - delta : ca.originPoint + delta;
    ca.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
    // "The initial growth of cubic function may be too conservative when the
    // available bandwidth is still unknown": 5% per RTT at least.
    if (ca.lastMaxCwnd === 0 && ca.cnt > 20) ca.cnt = 20;
  }
  // RFC 9438 4.3: never slower than Reno would be (tcp_friendliness).
  if (TCP_FRIENDLINESS) {
    const d = Math.floor((cwnd * BETA_SCALE) / 8);
    while (ca.ackCnt > d) {
      ca.ackCnt -= d;
      ca.tcpCwnd++;
    }
    if (ca.tcpCwnd > cwnd) {
      const maxCnt = Math.floor(cwnd / (ca.tcpCwnd - cwnd));
      if (ca.cnt > maxCnt) ca.cnt = maxCnt;
    }
  }
  // "The maximum rate of cwnd increase CUBIC allows is 1 packet per 2 packets ACKed."
  ca.cnt = Math.max(ca.cnt, 2);
}

/** cubictcp_recalc_ssthresh: Wmax (less with fast convergence, RFC 9438 4.7) and β·cwnd. */
function cubicRecalcSsthresh(conn: Connection, ca: CubicState): number {
  ca.epochStart = undefined;
  if (conn.cwnd < ca.lastMaxCwnd && FAST_CONVERGENCE) {
    ca.lastMaxCwnd = Math.floor(
      (conn.cwnd * (BICTCP_BETA_SCALE + CUBIC_BETA)) / (2 * BICTCP_BETA_SCALE),
    );
  } else {
    ca.lastMaxCwnd = conn.cwnd;
  }
  return Math.max(Math.floor((conn.cwnd * CUBIC_BETA) / BICTCP_BETA_SCALE), 2);
}

/**
 * cubictcp_cwnd_event(CA_EVENT_TX_START): sending again after an idle spell
 * (nothing in flight) shifts the epoch, so the curve does not jump ahead.
 */
export function tcpCaEventTxStart(conn: Connection, now: Time): void {
  const ca = conn.cubic;
  if (ca === undefined || ca.epochStart === undefined) return;
  const nowJ = jiffies(now);
  const delta = nowJ - jiffies(conn.lsndtime);
  if (delta > 0) {
    ca.epochStart += delta;
    if (ca.epochStart > nowJ) ca.epochStart = nowJ;
  }
}

/**
 * hystart_ack_delay: a cushion for ACK aggregation, the time GSO_MAX_SIZE × 4
 * takes at the pacing rate (tcp_update_pacing_rate: 200% of cwnd × MSS / SRTT
 * in slow start, 120% after), at most 1 ms.
 */
function hystartAckDelayUs(conn: Connection): number {
  const srtt8 = conn.rtt.srtt8Us;
  if (srtt8 === 0) return 0;
  const ratio = conn.cwnd < conn.ssthresh / 2 ? PACING_SS_RATIO : PACING_CA_RATIO;
  const rate =
    (conn.sndMss * ((1_000_000 / 100) * 8) * ratio * Math.max(conn.cwnd, conn.rtxQueue.length)) /
    srtt8;
  if (rate <= 0) return 0;
  return Math.min(1000, Math.floor((GSO_MAX_SIZE * 4 * 1_000_000) / rate));
}

/** hystart_update: leave slow start at the ACK train's end or when the RTT climbs (RFC 9406). */
function hystartUpdate(conn: Connection, ca: CubicState, now: Time, delayUs: number): void {
  if (seqGt(conn.sndUna, ca.endSeq)) hystartReset(conn, ca, now);
  if (conn.cwnd < HYSTART_LOW_WINDOW) return;
  // First detection parameter: the ACK train (ACKs closely spaced) lasting
  // half the minimum delay (tcplab does not pace: "threshold >>= 1").
  const nowUs = Math.floor(now / 1000);
  if (nowUs - ca.lastAckUs <= HYSTART_ACK_DELTA_US) {
    ca.lastAckUs = nowUs;
    const threshold = (ca.delayMinUs + hystartAckDelayUs(conn)) >> 1;
    if (nowUs - ca.roundStartUs > threshold) {
      ca.found = true;
      conn.net.count('TcpExtTCPHystartTrainDetect');
      conn.net.count('TcpExtTCPHystartTrainCwnd', conn.cwnd);
      conn.ssthresh = conn.cwnd;
    }
  }
  // Second: the minimum RTT of a round's first 8 ACKs rose by an eighth (4..16 ms).
  if (ca.currRttUs > delayUs) ca.currRttUs = delayUs;
  if (ca.sampleCnt < HYSTART_MIN_SAMPLES) {
    ca.sampleCnt++;
  } else {
    const thresh = Math.min(
      Math.max(ca.delayMinUs >> 3, HYSTART_DELAY_MIN_US),
      HYSTART_DELAY_MAX_US,
    );
    if (ca.currRttUs > ca.delayMinUs + thresh) {
      ca.found = true;
      conn.net.count('TcpExtTCPHystartDelayDetect');
      conn.net.count('TcpExtTCPHystartDelayCwnd', conn.cwnd);
      conn.ssthresh = conn.cwnd;
    }
  }
}

/** cubictcp_acked (pkts_acked): an RTT sample of this ACK, µs, or -1 for none. */
export function tcpCaPktsAcked(conn: Connection, now: Time, rttUs: number): void {
  if (rttUs < 0) return;
  // The handshake's sample: bictcp_init at establishment (tcp_init_transfer,
  // right after this ACK) zeroes whatever it would set, so no state is made for it.
  if (conn.cubic === undefined && (conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV')) return;
  const ca = cubicOf(conn, now);
  if (ca === undefined) return;
  // "Discard delay samples right after fast recovery".
  if (ca.epochStart !== undefined && jiffies(now) - ca.epochStart < HZ) return;
  const delay = rttUs === 0 ? 1 : rttUs;
  if (ca.delayMinUs === 0 || ca.delayMinUs > delay) ca.delayMinUs = delay;
  if (!ca.found && conn.cwnd < conn.ssthresh && HYSTART) hystartUpdate(conn, ca, now, delay);
}

// ---- NewReno for a peer without SACK (tcp_add_reno_sack and friends). ----

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
  const head = conn.rtxQueue.head;
  if (head === undefined || head.lost) return;
  tcpMarkSkbLost(conn, head);
}

// ---- Recovery (tcp_input.c). ----

/**
 * Linux tcp_enter_recovery with tcp_init_cwnd_reduction: the recovery point
 * is SND.NXT, ssthresh the congestion control's, PRR starts counting
 * (TcpExtTCPSackRecovery, or TcpExtTCPRenoRecovery without SACK).
 */
export function tcpEnterRecovery(conn: Connection, now: Time): void {
  // tcp_retrans_stamp_cleanup: the first retransmission of this recovery
  // starts the clock (undo, ETIMEDOUT), not one of an episode long over.
  if (!tcpAnyRetransDone(conn)) conn.retransStamp = undefined;
  conn.net.count(conn.sackOk ? 'TcpExtTCPSackRecovery' : 'TcpExtTCPRenoRecovery');
  // No CWR state here, so never already in a window reduction: the ssthresh
  // the undo may restore is always taken (tcp_current_ssthresh).
  tcpInitUndo(conn);
  conn.priorSsthresh = tcpCurrentSsthresh(conn);
  conn.highSeq = conn.sndNxt;
  conn.tlpHighSeq = undefined;
  conn.cwndCnt = 0;
  conn.priorCwnd = conn.cwnd;
  conn.prrDelivered = 0;
  conn.prrOut = 0;
  conn.ssthresh = tcpCaSsthresh(conn, now);
  conn.caState = 'Recovery';
}

/**
 * Linux tcp_cwnd_reduction: proportional rate reduction (RFC 6937 3). While
 * more is in flight than ssthresh, send ssthresh/prior_cwnd of what is
 * delivered; below it, PRR-SSRB: what is delivered plus one on an ACK that
 * advances SND.UNA without new losses, up to ssthresh.
 */
function tcpCwndReduction(
  conn: Connection,
  newlyAckedSacked: number,
  newlyLost: number,
  unaAdvanced: boolean,
): void {
  if (newlyAckedSacked <= 0 || conn.priorCwnd === 0) return;
  const delta = conn.ssthresh - tcpPacketsInFlight(conn);
  conn.prrDelivered += newlyAckedSacked;
  let sndcnt: number;
  if (delta < 0) {
    const dividend = conn.ssthresh * conn.prrDelivered + conn.priorCwnd - 1;
    sndcnt = Math.floor(dividend / conn.priorCwnd) - conn.prrOut;
  } else {
    sndcnt = Math.max(conn.prrDelivered - conn.prrOut, newlyAckedSacked);
    if (unaAdvanced && newlyLost === 0) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  // "Force a fast retransmit upon entering fast recovery."
  sndcnt = Math.max(sndcnt, conn.prrOut > 0 ? 0 : 1);
  conn.cwnd = tcpPacketsInFlight(conn) + sndcnt;
}

/** tcp_rack_reo_timeout's "tcp_cwnd_reduction(sk, 1, tp->lost - lost, 0)" on entering recovery. */
export function tcpCwndReductionOnReoTimeout(conn: Connection, newlyLost: number): void {
  tcpCwndReduction(conn, 1, newlyLost, false);
}

/** Linux tcp_end_cwnd_reduction: recovery ends with cwnd = ssthresh. */
function tcpEndCwndReduction(conn: Connection, now: Time): void {
  if (conn.ssthresh < TCP_INFINITE_SSTHRESH) {
    conn.cwnd = conn.ssthresh;
    conn.sndCwndStamp = jiffies(now);
  }
}

/** Linux tcp_try_keep_open / tcp_try_to_open: Disorder while anything is SACKed, lost or retransmitted. */
function tryToOpen(conn: Connection): void {
  if (!tcpAnyRetransDone(conn)) conn.retransStamp = undefined;
  tcpTryKeepOpen(conn);
}

// ---- Undo (tcp_input.c). ----

/** Linux tcp_current_ssthresh: in a window reduction its ssthresh, else at least 3/4 of cwnd. */
export function tcpCurrentSsthresh(conn: Connection): number {
  if (conn.caState === 'Recovery') return conn.ssthresh;
  return Math.max(conn.ssthresh, (conn.cwnd >> 1) + (conn.cwnd >> 2));
}

/**
 * Linux tcp_init_undo: an episode starts at SND.UNA; the retransmissions still
 * in flight (a retransmitting loss probe's too) may yet be D-SACKed; -1, not
 * 0, when there are none ("undo_retrans==0 means can undo now").
 */
function tcpInitUndo(conn: Connection): void {
  conn.undoMarker = conn.sndUna;
  let n = conn.retransOut;
  if (conn.tlpHighSeq !== undefined && conn.tlpRetrans) n++;
  conn.undoRetrans = n === 0 ? -1 : n;
}

/**
 * What of the ACK being processed the undo needs: SND.UNA before it, the
 * echoed timestamp (rcv_tsecr, on our clock: tsoffset taken off; undefined
 * without one or when 0), and FLAG_ORIG_SACK_ACKED (it SACKed or acknowledged
 * data sent once only, below the recovery point).
 */
export interface AckFacts {
  renoDelivered: number;
  priorSndUna: Seq;
  tsEcr: number | undefined;
  origSackAcked: boolean;
}

/**
 * Linux tcp_packet_delayed: the echoed timestamp is older than the first
 * retransmission; or (SACK, past SYN_SENT) nothing was retransmitted yet.
 */
function tcpPacketDelayed(conn: Connection, ack: AckFacts): boolean {
  const stamp = conn.retransStamp;
  if (stamp !== undefined) return ack.tsEcr !== undefined && ((ack.tsEcr - stamp) | 0) < 0;
  return conn.sackOk && conn.state !== 'SYN_SENT';
}

/** Linux tcp_may_undo: every retransmission D-SACKed, or the packet was only delayed. */
function tcpMayUndo(conn: Connection, ack: AckFacts): boolean {
  return conn.undoMarker !== undefined && (conn.undoRetrans === 0 || tcpPacketDelayed(conn, ack));
}

/**
 * Linux tcp_undo_cwnd_reduction: cwnd back to what it was (CUBIC and Reno:
 * tcp_reno_undo_cwnd, the larger of now and prior_cwnd) and ssthresh too,
 * unless the episode may not restore it; with `unmarkLoss`, nothing is lost
 * any more. RACK looks at the losses again on the next ACK.
 */
function tcpUndoCwndReduction(conn: Connection, now: Time, unmarkLoss: boolean): void {
  if (unmarkLoss) {
    const q = conn.rtxQueue;
    for (let i = 0; i < q.length; i++) q.at(i).lost = false;
    conn.lostOut = 0;
  }
  const prior = conn.priorSsthresh;
  if (prior !== 0) {
    conn.cwnd = Math.max(conn.cwnd, conn.priorCwnd);
    if (prior > conn.ssthresh) conn.ssthresh = prior;
  }
  conn.sndCwndStamp = jiffies(now);
  conn.undoMarker = undefined;
  conn.rackAdvanced = true;
}

/**
 * Linux tcp_is_non_sack_preventing_reopen: a NewReno sender holds the
 * recovery state until something above the recovery point is acknowledged
 * (RFC 6582 3.2 step 3, "to avoid false fast retransmits"). True while
 * holding.
 */
function tcpIsNonSackPreventingReopen(conn: Connection): boolean {
  if (conn.sndUna === conn.highSeq && !conn.sackOk) {
    if (!tcpAnyRetransDone(conn)) conn.retransStamp = undefined;
    return true;
  }
  return false;
}

/**
 * Linux tcp_try_undo_recovery, when the recovery point is acknowledged: undo
 * if the episode was spurious (TcpExtTCPFullUndo; from the RTO's state
 * TcpExtTCPLossUndo), else a widened RACK reordering window counts one
 * recovery down; then Open, unless NewReno holds. True while holding.
 */
function tcpTryUndoRecovery(conn: Connection, now: Time, ack: AckFacts): boolean {
  if (tcpMayUndo(conn, ack)) {
    tcpUndoCwndReduction(conn, now, false);
    conn.net.count(conn.caState === 'Loss' ? 'TcpExtTCPLossUndo' : 'TcpExtTCPFullUndo');
  } else if (conn.rackReoWndPersist > 0) {
    // tcp_rack_update_reo_wnd: a widened reordering window lasts 16 recoveries.
    conn.rackReoWndPersist--;
  }
  if (tcpIsNonSackPreventingReopen(conn)) return true;
  conn.caState = 'Open';
  return false;
}

/** Linux tcp_try_undo_dsack: D-SACKs covered every retransmission (TcpExtTCPDSACKUndo). */
function tcpTryUndoDsack(conn: Connection, now: Time): boolean {
  if (conn.undoMarker === undefined || conn.undoRetrans !== 0) return false;
  conn.rackReoWndPersist = Math.min(TCP_RACK_RECOVERY_THRESH, conn.rackReoWndPersist + 1);
  tcpUndoCwndReduction(conn, now, false);
  conn.net.count('TcpExtTCPDSACKUndo');
  return true;
}

/**
 * Linux tcp_try_undo_loss: after an RTO, an ACK shows it spurious, by the
 * timestamp or D-SACKs, or (`frtoUndo`) F-RTO's new data went through
 * (TcpExtTCPSpuriousRTOs). Nothing is lost any more; Open again.
 */
function tcpTryUndoLoss(conn: Connection, now: Time, ack: AckFacts, frtoUndo: boolean): boolean {
  if (!frtoUndo && !tcpMayUndo(conn, ack)) return false;
  tcpUndoCwndReduction(conn, now, true);
  conn.net.count('TcpExtTCPLossUndo');
  if (frtoUndo) conn.net.count('TcpExtTCPSpuriousRTOs');
  conn.retransmits = 0;
  if (tcpIsNonSackPreventingReopen(conn)) return true;
  if (frtoUndo || conn.sackOk) conn.caState = 'Open';
  return true;
}

/**
 * Linux tcp_try_undo_partial, on an ACK that moves SND.UNA in recovery: if
 * the hole was filled by the original (its timestamp), that was reordering
 * (TcpExtTCPTSReorder); with no retransmission left in flight the recovery is
 * undone (TcpExtTCPPartialUndo), else the ACK only clocks out new data
 * (returns true: nothing more is marked or retransmitted). Otherwise the
 * answer of tcp_force_fast_retransmit goes to `doLost`.
 */
function tcpTryUndoPartial(
  conn: Connection,
  now: Time,
  ack: AckFacts,
  doLost: { v: boolean },
): boolean {
  if (conn.undoMarker !== undefined && tcpPacketDelayed(conn, ack)) {
    tcpCheckSackReordering(conn, ack.priorSndUna, true);
    if (conn.retransOut > 0) return true;
    if (!tcpAnyRetransDone(conn)) conn.retransStamp = undefined;
    tcpUndoCwndReduction(conn, now, true);
    conn.net.count('TcpExtTCPPartialUndo');
    tcpTryKeepOpen(conn);
  } else {
    doLost.v = tcpForceFastRetransmit(conn);
  }
  return false;
}

/** Linux tcp_try_keep_open: Disorder while anything is SACKed, lost or retransmitted. */
function tcpTryKeepOpen(conn: Connection): void {
  const state = conn.sackedOut + conn.lostOut > 0 || tcpAnyRetransDone(conn) ? 'Disorder' : 'Open';
  if (conn.caState !== state) {
    conn.caState = state;
    conn.highSeq = conn.sndNxt;
  }
}

/** The state now (the functions called above may have changed it). */
function caStateOf(conn: Connection): CaState {
  return conn.caState;
}

/** Bits of tcpFastretransAlert's answer. */
export const REXMIT_LOST = 1;
/** RACK armed its reordering timer: the ACK must not re-arm the RTO (~FLAG_SET_XMIT_TIMER). */
export const RACK_TIMER_SET = 2;
/** F-RTO step 2.b: send new data, not retransmissions (tcp_xmit_recovery's REXMIT_NEW). */
export const REXMIT_NEW = 4;

/**
 * Linux tcp_identify_packet_loss: RACK's marking (with SACK and tcp_recovery
 * bit 0), NewReno's (without SACK). Returns RACK_TIMER_SET when RACK armed
 * its timer.
 */
function identifyPacketLoss(conn: Connection, now: Time, unaAdvanced: boolean): number {
  if (conn.rtxQueue.length === 0) return 0;
  if (!conn.sackOk) {
    // tcp_newreno_mark_lost: a partial ACK in recovery, or the third duplicate ACK.
    if (
      (conn.caState === 'Recovery' && unaAdvanced) ||
      (conn.caState !== 'Recovery' && conn.sackedOut >= conn.reordering)
    ) {
      markHeadLost(conn);
    }
    return 0;
  }
  if (tcpIsRack(conn) && tcpRackMarkLost(conn, now)) return RACK_TIMER_SET;
  return 0;
}

/** Linux tcp_time_to_recover: a loss is proven, or (RACK off) more than tcp_reordering segments were SACKed. */
function tcpTimeToRecover(conn: Connection): boolean {
  if (conn.lostOut > 0) return true;
  return conn.sackOk && !tcpIsRack(conn) && conn.sackedOut + 1 > conn.reordering;
}

/**
 * Linux tcp_fastretrans_alert: the state machine of loss recovery, for an ACK
 * that is "dubious" (a duplicate, SACKing, or outside the Open state). Returns
 * REXMIT_LOST when lost segments should be retransmitted (REXMIT_NEW: new
 * data first, F-RTO), with RACK_TIMER_SET when RACK armed its timer;
 * `ack.renoDelivered` gets the segments duplicate ACKs stood for.
 */
export function tcpFastretransAlert(
  conn: Connection,
  now: Time,
  unaAdvanced: boolean,
  dupack: boolean,
  dataSacked: boolean,
  ack: AckFacts,
): number {
  const reno = !conn.sackOk;
  if (conn.rtxQueue.length === 0 && conn.sackedOut > 0) conn.sackedOut = 0;
  const dupacks = dupack ? 1 : 0;
  // D. State exit conditions: the recovery point has been acknowledged.
  if (conn.caState === 'Open') {
    conn.retransStamp = undefined;
  } else if (!seqLt(conn.sndUna, conn.highSeq) && conn.caState === 'Recovery') {
    if (reno) conn.sackedOut = 0;
    if (tcpTryUndoRecovery(conn, now, ack)) return 0;
    tcpEndCwndReduction(conn, now);
  }
  const doLost = doLostBox;
  doLost.v = dupack || (dataSacked && tcpForceFastRetransmit(conn));
  let fastRexmit = false;
  let r = 0;
  // E. Process the state.
  switch (conn.caState) {
    case 'Recovery':
      if (!unaAdvanced) {
        if (reno) ack.renoDelivered += addRenoSack(conn, dupacks);
      } else if (tcpTryUndoPartial(conn, now, ack, doLost)) {
        return 0;
      }
      if (tcpTryUndoDsack(conn, now)) tryToOpen(conn);
      r |= identifyPacketLoss(conn, now, unaAdvanced);
      if (caStateOf(conn) !== 'Recovery') {
        // Undone: a loss still proven starts a new recovery (reordering, then loss).
        if (!tcpTimeToRecover(conn)) return r;
        tcpEnterRecovery(conn, now);
      }
      break;
    case 'Loss': {
      const p = tcpProcessLoss(conn, now, unaAdvanced, dupacks, dataSacked, ack);
      r |= p;
      const retransBefore = conn.retransOut;
      r |= identifyPacketLoss(conn, now, unaAdvanced);
      // "Change state if cwnd is undone or retransmits are lost".
      if (caStateOf(conn) !== 'Open' && conn.retransOut >= retransBefore) return r;
      r |= openOrRecover(conn, now, unaAdvanced, dupacks, ack, false);
      if (caStateOf(conn) !== 'Recovery') return r;
      fastRexmit = true;
      break;
    }
    case 'Open':
    case 'Disorder':
      r |= openOrRecover(conn, now, unaAdvanced, dupacks, ack, true);
      if (caStateOf(conn) !== 'Recovery') return r;
      fastRexmit = true;
      break;
  }
  // RFC 6675's marking when RACK is off.
  if (!reno && !tcpIsRack(conn) && doLost.v) tcpUpdateScoreboard(conn, fastRexmit);
  return (r & ~REXMIT_NEW) | REXMIT_LOST;
}

/** tcpTryUndoPartial's do_lost (reused: one ACK at a time). */
const doLostBox = { v: false };

/**
 * Linux tcp_process_loss: the RTO's loss state. An ACK that moves SND.UNA may
 * show the timeout spurious (tcp_try_undo_loss). With F-RTO (RFC 5682 3.1 as
 * Linux adapts it to SACK): an ACK or SACK of data never retransmitted proves
 * it spurious (step 3.b); after new data went out, a duplicate ACK or a SACK
 * proves the loss real (step 3.a, F-RTO ends); the first ACK that moves
 * SND.UNA short of the recovery point sends new data (step 2.b: REXMIT_NEW),
 * or, with none to send or no window for it, falls back to retransmitting.
 * Once the recovery point is acknowledged, the state ends (step 2.a).
 */
function tcpProcessLoss(
  conn: Connection,
  now: Time,
  unaAdvanced: boolean,
  dupacks: number,
  dataSacked: boolean,
  ack: AckFacts,
): number {
  const recovered = !seqLt(conn.sndUna, conn.highSeq);
  if (unaAdvanced && tcpTryUndoLoss(conn, now, ack, false)) return 0;
  if (conn.frto) {
    if (ack.origSackAcked && tcpTryUndoLoss(conn, now, ack, true)) return 0;
    if (seqGt(conn.sndNxt, conn.highSeq)) {
      if (dataSacked || dupacks > 0) conn.frto = false;
    } else if (unaAdvanced && !recovered) {
      conn.highSeq = conn.sndNxt;
      if (
        seqLt(conn.sndNxt, conn.writeSeq) &&
        seqGt(seqAdd(conn.sndUna, conn.sndWnd), conn.sndNxt)
      ) {
        return REXMIT_NEW;
      }
      conn.frto = false;
    }
  }
  if (recovered) {
    tcpTryUndoRecovery(conn, now, ack);
    return 0;
  }
  if (!conn.sackOk) {
    // "A Reno DUPACK means new data in F-RTO step 2.b above are delivered."
    if (seqGt(conn.sndNxt, conn.highSeq) && dupacks > 0) {
      ack.renoDelivered += addRenoSack(conn, dupacks);
    } else if (unaAdvanced) {
      conn.sackedOut = 0;
    }
  }
  return REXMIT_LOST;
}

/** The default case of tcp_fastretrans_alert: recovery if a loss is proven, else Open or Disorder. */
function openOrRecover(
  conn: Connection,
  now: Time,
  unaAdvanced: boolean,
  dupacks: number,
  ack: AckFacts,
  identify: boolean,
): number {
  let r = 0;
  if (!conn.sackOk) {
    if (unaAdvanced) conn.sackedOut = 0;
    ack.renoDelivered += addRenoSack(conn, dupacks);
  }
  if (conn.caState === 'Open' || conn.caState === 'Disorder') tcpTryUndoDsack(conn, now);
  if (identify || !conn.sackOk) r |= identifyPacketLoss(conn, now, unaAdvanced);
  if (!tcpTimeToRecover(conn)) {
    tryToOpen(conn);
    return r;
  }
  tcpEnterRecovery(conn, now);
  return r;
}

/**
 * Linux tcp_cong_control without a cong_control hook: in recovery PRR sets
 * cwnd; otherwise the window grows on an ACK of new data (tcp_may_raise_cwnd:
 * any delivery once reordering was seen); then the pacing rate follows cwnd
 * and SRTT (tcp_update_pacing_rate).
 */
export function tcpCongControl(
  conn: Connection,
  now: Time,
  ackedSacked: number,
  newlyLost: number,
  unaAdvanced: boolean,
  dataAcked: boolean,
): void {
  if (conn.caState === 'Recovery') {
    tcpCwndReduction(conn, ackedSacked, newlyLost, unaAdvanced);
  } else {
    const mayRaise = conn.reordering > conn.net.sysctl.tcp_reordering ? ackedSacked > 0 : dataAcked;
    if (mayRaise) {
      tcpCongAvoid(conn, now, ackedSacked);
      // tcp_cong_avoid: "tcp_sk(sk)->snd_cwnd_stamp = tcp_jiffies32", whether
      // or not the window grew: a window whose data is acknowledged is in use
      // (tcp_cwnd_validate's RFC 2861 decay waits an RTO from here).
      conn.sndCwndStamp = jiffies(now);
    }
  }
  tcpUpdatePacingRate(conn);
}

/**
 * Linux tcp_enter_loss, when the RTO fires: ssthresh from the congestion
 * control (once per loss episode), every segment not SACKed is presumed lost
 * except those sent within the last RACK RTT (tcp_timeout_mark_lost), cwnd
 * drops to one segment more than what is still in flight (RFC 5681 3.1: the
 * loss window of 1). A new episode records what an undo would restore
 * (prior_ssthresh, prior_cwnd, tcp_init_undo); F-RTO is on for it if
 * tcp_frto is.
 */
export function tcpEnterLoss(conn: Connection, now: Time): void {
  const newRecovery = conn.caState === 'Open' || conn.caState === 'Disorder';
  tcpTimeoutMarkLost(conn, now);
  if (
    newRecovery ||
    !seqGt(conn.highSeq, conn.sndUna) ||
    (conn.caState === 'Loss' && conn.retransmits === 0)
  ) {
    conn.priorSsthresh = tcpCurrentSsthresh(conn);
    conn.priorCwnd = conn.cwnd;
    conn.ssthresh = tcpCaSsthresh(conn, now);
    // cubictcp_state(TCP_CA_Loss): bictcp_reset and bictcp_hystart_reset.
    const ca = conn.cubic;
    if (ca !== undefined) {
      cubicReset(ca);
      hystartReset(conn, ca, now);
    }
    tcpInitUndo(conn);
  }
  conn.cwnd = tcpPacketsInFlight(conn) + 1;
  conn.cwndCnt = 0;
  conn.sndCwndStamp = jiffies(now);
  // "Timeout in disordered state after receiving substantial DUPACKs suggests
  // that the degree of reordering is over-estimated."
  const sysReordering = conn.net.sysctl.tcp_reordering;
  if (newRecovery && conn.sackedOut >= sysReordering) {
    conn.reordering = Math.min(conn.reordering, sysReordering);
  }
  conn.caState = 'Loss';
  conn.highSeq = conn.sndNxt;
  conn.tlpHighSeq = undefined;
  // F-RTO (RFC 5682 3.1 step 1) unless a recovery was already under way,
  // though a repeated timeout of the same SND.UNA may use it (3.2).
  // DEVIATION(linux): no path MTU probing, whose probe turns it off.
  conn.frto = conn.net.sysctl.tcp_frto !== 0 && (newRecovery || conn.retransmits > 0);
}

/**
 * Linux tcp_timeout_mark_lost: every segment not SACKed is presumed lost
 * except those sent within the last RACK RTT. A SACKed head means the peer
 * reneged on its SACKs (TcpExtTCPSACKReneging): they are all forgotten.
 */
function tcpTimeoutMarkLost(conn: Connection, now: Time): void {
  const q = conn.rtxQueue;
  const head = q.head;
  const reneg = head?.sacked === true;
  if (reneg) {
    conn.net.count('TcpExtTCPSACKReneging');
    conn.sackedOut = 0;
    tcpClearSackCache(conn);
  } else if (!conn.sackOk) {
    conn.sackedOut = 0;
  }
  for (let i = 0; i < q.length; i++) {
    const s = q.at(i);
    if (reneg) s.sacked = false;
    // "Don't mark recently sent ones lost yet".
    else if (s !== head && tcpRackSkbTimeout(conn, now, s, 0) > 0) continue;
    tcpMarkSkbLost(conn, s);
  }
}
