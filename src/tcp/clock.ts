/**
 * Time as the engine sees it: the virtual instant it is handed (`Time`,
 * nanoseconds), Linux's jiffies derived from it, the millisecond clock of TCP
 * timestamps, and when a Linux kernel timer armed now would really fire.
 *
 * Linux keeps its TCP timers (retransmit, delayed ACK, keepalive, TIME_WAIT) in
 * the timer wheel of kernel/time/timer.c, counted in jiffies. A timer armed for
 * `jiffies + n` never fires early, and fires late by up to one granule of the
 * wheel level its delay falls in: one jiffy below 63 jiffies, 8 up to 504, 64 up
 * to 4032, 512 beyond. That is why the reference traces show SYN retransmissions
 * 1.024 s apart rather than 1.000 s, TIME_WAIT lasting 60.3 s, and the delayed
 * ACK of a FIN leaving ~4 ms or ~44 ms after it (linux-traces/README.md). With
 * `timerWheel` on (the default), the engine's deadlines are where the wheel would
 * fire; with it off, a timer of n jiffies fires exactly n jiffies later (at least
 * one), for labs that want the textbook numbers.
 */

import { HZ, JIFFY_NS, jiffies, kernelTimerFireTime, msecsToJiffies } from '../sim/jiffies.js';
import { NS_PER_MS, type Time } from '../sim/time.js';

// Kernel time (HZ, jiffies, the timer wheel) is shared with the host's timers.
export { HZ, JIFFY_NS, jiffies, msecsToJiffies };

// Linux include/net/tcp.h, in jiffies (HZ-relative there too).
/** RFC 6298 2.1 initial RTO, 1 s (TCP_TIMEOUT_INIT). */
export const TCP_TIMEOUT_INIT = HZ;
/** RFC 6298 5.7: RTO after a handshake without an RTT sample, 3 s (TCP_TIMEOUT_FALLBACK). */
export const TCP_TIMEOUT_FALLBACK = 3 * HZ;
/** Linux's floor for the RTO, 200 ms (TCP_RTO_MIN; sysctl tcp_rto_min_us since 6.11). */
export const TCP_RTO_MIN = HZ / 5;
/** Linux's ceiling for the RTO, 120 s (TCP_RTO_MAX; RFC 6298 2.5 allows a maximum). */
export const TCP_RTO_MAX = 120 * HZ;
/** TIME_WAIT length, 60 s, fixed at compile time (TCP_TIMEWAIT_LEN). */
export const TCP_TIMEWAIT_LEN = 60 * HZ;
/** Shortest delayed-ACK timeout, 40 ms (TCP_DELACK_MIN = HZ/25). */
export const TCP_DELACK_MIN = HZ / 25;
/** Longest delayed-ACK timeout, 200 ms (TCP_DELACK_MAX = HZ/5). */
export const TCP_DELACK_MAX = HZ / 5;
/** The ack timeout a first data segment sets, 40 ms (TCP_ATO_MIN = HZ/25). */
export const TCP_ATO_MIN = HZ / 25;
/** Retry interval when a probe could not be sent, 500 ms (TCP_RESOURCE_PROBE_INTERVAL = HZ/2). */
export const TCP_RESOURCE_PROBE_INTERVAL = HZ / 2;

/** Microseconds per jiffy, for Linux's usecs_to_jiffies / jiffies_to_usecs. */
export const USEC_PER_JIFFY = 1_000_000 / HZ;

/** Linux usecs_to_jiffies: rounds up. */
export function usecsToJiffies(us: number): number {
  return Math.ceil(us / USEC_PER_JIFFY);
}

/** The TCP clock in microseconds (Linux tcp_clock_us, the skbs' and tcp_mstamp's unit). */
export function tcpClockUs(now: Time): number {
  return Math.floor(now / 1000);
}

/**
 * The TCP timestamp clock in milliseconds (Linux tcp_time_stamp_ts with
 * TCP_TS_HZ = 1000), before the per-connection offset is added.
 */
export function tcpClockMs(now: Time): number {
  return Math.floor(now / NS_PER_MS);
}

/**
 * When a kernel timer armed at `now` for `jiffies + delta` fires: the timer
 * wheel rounds the expiry up to the next boundary of its level's granularity
 * (timer.c calc_index: "Round up with level granularity to prevent this").
 * Without the wheel, exactly `delta` jiffies later, and a timer already due
 * fires on the next tick.
 */
export function timerFireTime(now: Time, delta: number, wheel: boolean): Time {
  const d = Math.max(0, Math.trunc(delta));
  if (!wheel) return now + Math.max(1, d) * JIFFY_NS;
  return kernelTimerFireTime(now, jiffies(now) + d, true);
}
