/**
 * A connection's timers, as data: a table of deadlines keyed by kind, and what
 * each does when it fires (Linux tcp_timer.c, inet_connection_sock.c). The
 * driver asks `nextDeadline()` and calls `handleTimeout(now)` then; timers due
 * at the same instant run in the order of TIMER_KINDS.
 *
 * Linux multiplexes some of these on fewer kernel timers (retransmit and
 * zero-window probe share icsk_retransmit_timer; keepalive and the orphaned
 * FIN_WAIT2 share sk_timer; TIME_WAIT lives on the timewait sock); the table
 * keeps one entry per kind so that tests and tools can name them. A request
 * sock's timer (reqsk_timer_handler) is its listener's (listen.ts).
 */

import type { Time } from '../sim/time.js';
import { seqLt } from '../wire/seq.js';
import {
  HZ,
  jiffies,
  TCP_ATO_MIN,
  TCP_RTO_MAX,
  TCP_RTO_MIN,
  TCP_TIMEOUT_INIT,
  TCP_TIMEWAIT_LEN,
  tcpClockMs,
  timerFireTime,
} from './clock.js';
import { tcpEnterLoss } from './congestion.js';
import { type Connection, tcpDone } from './connection.js';
import { tcpError } from './errors.js';
import { tcpOutOfResources } from './orphans.js';
import {
  dataEnd,
  inPingpongMode,
  tcpProbe0Base,
  tcpRetransmitSkb,
  tcpSendAck,
  tcpSendActiveReset,
  tcpSendLossProbe,
  tcpWriteWakeup,
} from './output.js';
import { tcpRackReoTimeout } from './rack.js';
import { tcpTimeWait } from './timewait.js';

export const TIMER_KINDS = ['retransmit', 'probe0', 'delack', 'keepalive', 'finWait2'] as const;

export type TimerKind = (typeof TIMER_KINDS)[number];

/** When each timer fires (virtual time), or undefined when it is not armed. */
export type TimerTable = Record<TimerKind, Time | undefined>;

export function newTimerTable(): TimerTable {
  return {
    retransmit: undefined,
    probe0: undefined,
    delack: undefined,
    keepalive: undefined,
    finWait2: undefined,
  };
}

/** Arms `kind` to fire `delta` jiffies from now, where Linux's timer wheel would fire it. */
export function armTimer(conn: Connection, kind: TimerKind, now: Time, delta: number): void {
  setTimer(conn.timers, kind, timerFireTime(now, delta, conn.net.timerWheel));
}

export function clearTimer(conn: Connection, kind: TimerKind): void {
  setTimer(conn.timers, kind, undefined);
}

/**
 * One entry of the table, by name: a store to a named field per kind (a store
 * keyed by a string that is not a constant where it runs is a generic lookup,
 * and these run several times per segment).
 */
function setTimer(t: TimerTable, kind: TimerKind, at: Time | undefined): void {
  switch (kind) {
    case 'retransmit':
      t.retransmit = at;
      return;
    case 'probe0':
      t.probe0 = at;
      return;
    case 'delack':
      t.delack = at;
      return;
    case 'keepalive':
      t.keepalive = at;
      return;
    case 'finWait2':
      t.finWait2 = at;
      return;
  }
}

export function clearAllTimers(t: TimerTable): void {
  // Unrolled over TIMER_KINDS, as timerDeadline.
  t.retransmit = undefined;
  t.probe0 = undefined;
  t.delack = undefined;
  t.keepalive = undefined;
  t.finWait2 = undefined;
}

export function timerDeadline(t: TimerTable): Time | undefined {
  // Unrolled over TIMER_KINDS: it runs after every segment.
  let min = t.retransmit;
  let d = t.probe0;
  if (d !== undefined && (min === undefined || d < min)) min = d;
  d = t.delack;
  if (d !== undefined && (min === undefined || d < min)) min = d;
  d = t.keepalive;
  if (d !== undefined && (min === undefined || d < min)) min = d;
  d = t.finWait2;
  if (d !== undefined && (min === undefined || d < min)) min = d;
  return min;
}

/**
 * Runs every timer due at `now`, in TIMER_KINDS order (unrolled over it, as
 * timerDeadline; each entry is read after the ones before it ran, since a
 * handler may arm or clear the others).
 */
export function runTimers(conn: Connection, now: Time): void {
  const t = conn.timers;
  let due = t.retransmit;
  if (due !== undefined && due <= now) {
    t.retransmit = undefined;
    if (conn.lossProbePending) tcpSendLossProbe(conn, now);
    else if (conn.reoTimeoutPending) tcpRackReoTimeout(conn, now);
    else tcpRetransmitTimer(conn, now);
  }
  due = t.probe0;
  if (due !== undefined && due <= now) {
    t.probe0 = undefined;
    tcpProbeTimer(conn, now);
  }
  due = t.delack;
  if (due !== undefined && due <= now) {
    t.delack = undefined;
    tcpDelackTimer(conn, now);
  }
  due = t.keepalive;
  if (due !== undefined && due <= now) {
    t.keepalive = undefined;
    tcpKeepaliveTimer(conn, now);
  }
  due = t.finWait2;
  if (due !== undefined && due <= now) {
    t.finWait2 = undefined;
    tcpFinWait2Timer(conn, now);
  }
}

// ---- Retransmission (tcp_retransmit_timer, tcp_write_timeout). ----

/**
 * Linux tcp_model_timeout: how long `boundary` exponentially backed-off
 * retransmissions take from an RTO of `rtoBase` jiffies, capped at TCP_RTO_MAX
 * each, in milliseconds. With tcp_retries2 = 15 and 200 ms: 924.6 s.
 */
export function tcpModelTimeoutMs(boundary: number, rtoBase: number): number {
  const thresh = Math.floor(Math.log2(TCP_RTO_MAX / rtoBase));
  const j =
    boundary <= thresh
      ? (2 ** (boundary + 1) - 1) * rtoBase
      : (2 ** (thresh + 1) - 1) * rtoBase + (boundary - thresh) * TCP_RTO_MAX;
  return (j * 1000) / HZ;
}

/**
 * Linux retransmits_timed_out: the time budget of `boundary` retransmissions
 * has been spent, or TCP_USER_TIMEOUT's `timeoutMs` when set.
 */
function retransmitsTimedOut(
  conn: Connection,
  boundary: number,
  now: Time,
  timeoutMs = 0,
): boolean {
  if (conn.retransmits === 0 || conn.retransStamp === undefined) return false;
  const syn = conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV';
  const rtoBase = syn ? TCP_TIMEOUT_INIT : TCP_RTO_MIN;
  const budgetMs = timeoutMs !== 0 ? timeoutMs : tcpModelTimeoutMs(boundary, rtoBase);
  return tcpClockMs(now) - conn.retransStamp >= budgetMs;
}

/**
 * Linux tcp_clamp_rto_to_user_timeout: with TCP_USER_TIMEOUT the next
 * retransmission comes no later than the user timeout ("fire ASAP" once past).
 */
function tcpClampRtoToUserTimeout(conn: Connection, now: Time): number {
  if (conn.userTimeoutMs === 0 || conn.retransStamp === undefined) return conn.rto;
  const remainingMs = conn.userTimeoutMs - (tcpClockMs(now) - conn.retransStamp);
  if (remainingMs <= 0) return 1;
  return Math.min(conn.rto, Math.ceil((remainingMs * HZ) / 1000));
}

/** Linux tcp_orphan_retries: tcp_orphan_retries, where 0 means 8 while the RTO is below its maximum. */
function tcpOrphanRetries(conn: Connection, alive: boolean): number {
  let retries = conn.net.sysctl.tcp_orphan_retries;
  if (conn.softError !== undefined && !alive) retries = 0;
  if (retries === 0 && alive) retries = 8;
  return retries;
}

/** Linux tcp_write_err: give up with ETIMEDOUT (or the soft error seen). */
export function tcpWriteErr(conn: Connection, now: Time): void {
  conn.error = conn.softError ?? tcpError('ETIMEDOUT');
  conn.net.count('TcpExtTCPAbortOnTimeout');
  tcpDone(conn, now);
}

/**
 * Linux tcp_write_timeout: has the connection retransmitted long enough? For a
 * SYN: tcp_syn_retries retransmissions, plus tcp_syn_linear_timeouts in
 * SYN_SENT, or the time those would take with classic backoff (DESIGN.md
 * "Which Linux"). Otherwise the time budget of tcp_retries2 (of 8 when
 * orphaned). True when it gave up.
 */
function tcpWriteTimeout(conn: Connection, now: Time): boolean {
  const sys = conn.net.sysctl;
  let expired = false;
  let retryUntil: number;
  if (conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV') {
    // "retry_until = READ_ONCE(icsk->icsk_syn_retries) ? : sysctl_tcp_syn_retries".
    retryUntil = conn.synRetries || sys.tcp_syn_retries;
    let maxRetransmits = retryUntil;
    if (conn.state === 'SYN_SENT') maxRetransmits += sys.tcp_syn_linear_timeouts;
    expired = conn.retransmits >= maxRetransmits;
  } else {
    retryUntil = sys.tcp_retries2;
    if (conn.orphan) {
      const alive = conn.rto < TCP_RTO_MAX;
      retryUntil = tcpOrphanRetries(conn, alive);
      // tcp_out_of_resources: dropped for too many orphans, it is reset unless
      // it is backed off to TCP_RTO_MAX and out of retries anyway.
      const doReset = alive || !retransmitsTimedOut(conn, retryUntil, now);
      if (tcpOutOfResources(conn, now, doReset)) return true;
    }
  }
  if (!expired) expired = retransmitsTimedOut(conn, retryUntil, now, conn.userTimeoutMs);
  if (expired) tcpWriteErr(conn, now);
  return expired;
}

/**
 * Linux tcp_retransmit_timer: the oldest unacknowledged segment goes again, the
 * loss state begins (cwnd 1), and the RTO doubles up to TCP_RTO_MAX (RFC 6298
 * 5.5), except for the first tcp_syn_linear_timeouts SYN retransmissions, which
 * keep the initial RTO.
 */
function tcpRetransmitTimer(conn: Connection, now: Time): void {
  const head = conn.rtxQueue.head;
  if (head === undefined) return;
  // "tp->tlp_high_seq = 0": an RTO ends the loss probe episode.
  conn.tlpHighSeq = undefined;
  const sys = conn.net.sysctl;
  const handshake = conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV';
  if (conn.sndWnd === 0 && !conn.orphan && !handshake) {
    // The peer shrank its window to zero under data in flight: retransmit
    // anyway, as a probe; give up only when nothing has been heard for twice
    // TCP_RTO_MAX (tcp_rtx_probe0_timed_out).
    const silentMs = tcpClockMs(now) - tcpClockMs(conn.rcvTstamp);
    const rtxMs = tcpClockMs(now) - (conn.retransStamp ?? tcpClockMs(head.sentAt));
    const limitMs = (2 * TCP_RTO_MAX * 1000) / HZ;
    if (silentMs > limitMs && rtxMs > limitMs) {
      tcpWriteErr(conn, now);
      return;
    }
    tcpEnterLoss(conn, now);
    tcpRetransmitSkb(conn, now, head);
  } else {
    conn.net.count('TcpExtTCPTimeouts');
    if (tcpWriteTimeout(conn, now)) return;
    if (conn.retransmits === 0) {
      // The recovery under way failed.
      if (conn.caState === 'Loss') conn.net.count('TcpExtTCPLossFailures');
      else if (conn.caState === 'Recovery' || conn.caState === 'Disorder' || conn.sackedOut > 0) {
        conn.net.count(conn.sackOk ? 'TcpExtTCPSackFailures' : 'TcpExtTCPRenoFailures');
      }
    }
    tcpEnterLoss(conn, now);
    conn.retransmits++;
    tcpRetransmitSkb(conn, now, head);
    conn.backoff++;
  }
  if (conn.state !== 'SYN_SENT' || conn.backoff > sys.tcp_syn_linear_timeouts) {
    conn.rto = Math.min(conn.rto * 2, TCP_RTO_MAX);
  }
  armTimer(conn, 'retransmit', now, tcpClampRtoToUserTimeout(conn, now));
}

// ---- Zero-window probes (tcp_probe_timer, tcp_send_probe0). ----

/** Linux tcp_probe0_when: the probe interval after `backoff` doublings, at most TCP_RTO_MAX. */
export function tcpProbe0When(conn: Connection): number {
  const maxShift = Math.floor(Math.log2(TCP_RTO_MAX / TCP_RTO_MIN)) + 1;
  return Math.min(tcpProbe0Base(conn) * 2 ** Math.min(maxShift, conn.backoff), TCP_RTO_MAX);
}

function tcpProbeTimer(conn: Connection, now: Time): void {
  if (conn.rtxQueue.length > 0 || !seqLt(conn.sndNxt, conn.writeSeq)) {
    conn.probesOut = 0;
    return;
  }
  let maxProbes = conn.net.sysctl.tcp_retries2;
  if (conn.orphan) {
    const alive = tcpProbe0When(conn) < TCP_RTO_MAX;
    maxProbes = tcpOrphanRetries(conn, alive);
    if (!alive && conn.backoff >= maxProbes) {
      tcpWriteErr(conn, now);
      return;
    }
    if (tcpOutOfResources(conn, now, true)) return;
  }
  if (conn.probesOut >= maxProbes) {
    tcpWriteErr(conn, now);
    return;
  }
  // tcp_send_probe0.
  tcpWriteWakeup(conn, now, 'TcpExtTCPWinProbe');
  if (conn.rtxQueue.length > 0 || !seqLt(conn.sndNxt, conn.writeSeq)) {
    // The window opened enough for data: the RTO takes over.
    conn.probesOut = 0;
    conn.backoff = 0;
    return;
  }
  conn.probesOut++;
  if (conn.backoff < conn.net.sysctl.tcp_retries2) conn.backoff++;
  armTimer(conn, 'probe0', now, tcpProbe0When(conn));
}

// ---- Delayed ACK (tcp_delack_timer_handler). ----

function tcpDelackTimer(conn: Connection, now: Time): void {
  if (conn.state === 'CLOSE' || conn.state === 'LISTEN' || !conn.ackPending) return;
  if (!inPingpongMode(conn)) {
    // "Delayed ACK missed: inflate ATO."
    conn.ato = Math.min(conn.ato * 2, conn.rto);
  } else {
    // "Delayed ACK missed: leave pingpong mode."
    conn.pingpong = 0;
    conn.ato = TCP_ATO_MIN;
  }
  tcpSendAck(conn, now);
  conn.net.counters.TcpExtDelayedACKs++;
}

// ---- Keepalive (tcp_keepalive_timer). ----

/** Linux keepalive_time_when: TCP_KEEPIDLE, else tcp_keepalive_time, in jiffies. */
function keepaliveTimeWhen(conn: Connection): number {
  return (conn.keepaliveTime || conn.net.sysctl.tcp_keepalive_time) * HZ;
}

/** Linux keepalive_intvl_when: TCP_KEEPINTVL, else tcp_keepalive_intvl, in jiffies. */
function keepaliveIntvlWhen(conn: Connection): number {
  return (conn.keepaliveIntvl || conn.net.sysctl.tcp_keepalive_intvl) * HZ;
}

/** Linux keepalive_probes: TCP_KEEPCNT, else tcp_keepalive_probes. */
function keepaliveProbes(conn: Connection): number {
  return conn.keepaliveProbes || conn.net.sysctl.tcp_keepalive_probes;
}

/** Arms (or disarms) the keepalive timer for the idle time (inet_csk_reset_keepalive_timer). */
export function armKeepalive(conn: Connection, now: Time): void {
  if (conn.keepAlive && conn.state !== 'CLOSE' && conn.state !== 'LISTEN') {
    armTimer(conn, 'keepalive', now, keepaliveTimeWhen(conn));
  } else {
    clearTimer(conn, 'keepalive');
  }
}

/**
 * Linux tcp_sock_set_keepidle_locked: a new TCP_KEEPIDLE re-arms the keepalive
 * timer for what is left of it since the last segment received
 * (keepalive_time_elapsed).
 */
export function tcpKeepidleChanged(conn: Connection, now: Time): void {
  if (!conn.keepAlive || conn.state === 'CLOSE' || conn.state === 'LISTEN') return;
  const elapsed = jiffies(now) - jiffies(Math.max(conn.lrcvtime, conn.rcvTstamp));
  armTimer(conn, 'keepalive', now, Math.max(keepaliveTimeWhen(conn) - elapsed, 0));
}

function tcpKeepaliveTimer(conn: Connection, now: Time): void {
  if (!conn.keepAlive || conn.state === 'CLOSE' || conn.state === 'SYN_SENT') return;
  const timeJ = keepaliveTimeWhen(conn);
  let next = timeJ;
  // Keepalive is for idle connections: with data in flight, the RTO watches.
  if (conn.rtxQueue.length === 0 && !seqLt(conn.sndNxt, dataEnd(conn))) {
    const last = Math.max(conn.lrcvtime, conn.rcvTstamp);
    const elapsed = jiffies(now) - jiffies(last);
    if (elapsed >= timeJ) {
      // "If the TCP_USER_TIMEOUT option is enabled, use that to determine when
      // to timeout instead."
      const userTimeoutJ = Math.ceil((conn.userTimeoutMs * HZ) / 1000);
      if (
        (conn.userTimeoutMs !== 0 && elapsed >= userTimeoutJ && conn.probesOut > 0) ||
        (conn.userTimeoutMs === 0 && conn.probesOut >= keepaliveProbes(conn))
      ) {
        tcpSendActiveReset(conn, now);
        tcpWriteErr(conn, now);
        return;
      }
      tcpWriteWakeup(conn, now, 'TcpExtTCPKeepAlive');
      conn.probesOut++;
      next = keepaliveIntvlWhen(conn);
    } else {
      next = timeJ - elapsed;
    }
  }
  armTimer(conn, 'keepalive', now, next);
}

// ---- FIN_WAIT2 and TIME_WAIT. ----

/**
 * Linux tcp_fin_time: how long an orphaned FIN_WAIT2 lasts, TCP_LINGER2 or
 * tcp_fin_timeout ("tp->linger2 ? : sysctl_tcp_fin_timeout") but at least 3.5
 * RTO, in jiffies.
 */
export function tcpFinTime(conn: Connection): number {
  const finTimeout = (conn.linger2 > 0 ? conn.linger2 : conn.net.sysctl.tcp_fin_timeout) * HZ;
  const rtoBound = conn.rto * 4 - (conn.rto >> 1);
  return Math.max(finTimeout, rtoBound);
}

/**
 * An orphaned connection reached FIN_WAIT2 (the ACK of our FIN arrived after
 * close(), or close() came in FIN_WAIT2): it lives tcp_fin_time more. Linux
 * (tcp_rcv_state_process, tcp_close) makes it a timewait sock with substate
 * FIN_WAIT2 at once when that is at most TCP_TIMEWAIT_LEN; a longer time is
 * spent first on the full socket's keepalive timer, for the excess. On the ACK
 * path a segment that also carries the FIN keeps the full socket (the FIN is
 * about to make it TIME_WAIT). Returns true when a timewait sock took over
 * (linux-traces/time-wait/fw2-orphan-default: gone after 61.2 s, no RST).
 */
export function tcpOrphanFinWait2(conn: Connection, now: Time, finComing: boolean): boolean {
  if (conn.linger2 < 0) {
    // TCP_LINGER2 < 0 (tcp_close, tcp_rcv_state_process): no FIN_WAIT2 at all,
    // the connection is reset (TcpExtTCPAbortOnLinger).
    conn.net.count('TcpExtTCPAbortOnLinger');
    tcpSendActiveReset(conn, now);
    tcpDone(conn, now);
    return true;
  }
  const tmo = tcpFinTime(conn);
  if (tmo > TCP_TIMEWAIT_LEN) {
    armTimer(conn, 'finWait2', now, tmo - TCP_TIMEWAIT_LEN);
    return false;
  }
  if (finComing) {
    armTimer(conn, 'finWait2', now, tmo);
    return false;
  }
  tcpTimeWait(conn, now, 'FIN_WAIT2', tmo);
  return true;
}

/**
 * Linux tcp_keepalive_timer on an orphaned FIN_WAIT2: what is left of
 * tcp_fin_time beyond TCP_TIMEWAIT_LEN is spent as a timewait sock; when
 * nothing is left (the FIN that kept the full socket never completed), the
 * connection is reset.
 */
function tcpFinWait2Timer(conn: Connection, now: Time): void {
  if (conn.state !== 'FIN_WAIT2' || !conn.orphan) return;
  const tmo = tcpFinTime(conn) - TCP_TIMEWAIT_LEN;
  if (tmo > 0) {
    tcpTimeWait(conn, now, 'FIN_WAIT2', tmo);
    return;
  }
  tcpSendActiveReset(conn, now);
  tcpDone(conn, now);
}
