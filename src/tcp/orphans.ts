/**
 * Orphaned connections: closed by the application, still in FIN_WAIT1,
 * FIN_WAIT2, CLOSING or LAST_ACK, held by nobody but TCP (Linux SOCK_DEAD
 * sockets counted in tcp_orphan_count). Read net/ipv4/tcp.c __tcp_close,
 * tcp_check_oom and tcp_timer.c tcp_out_of_resources first.
 *
 * How many there are is watched with a lag: Linux sums its per-CPU counters
 * into tcp_orphan_cache every 100 ms (tcp_orphan_update, TCP_ORPHAN_TIMER_PERIOD)
 * and judges `tcp_orphan_cache << shift > tcp_max_orphans` on that sum. So a
 * burst of close() calls within one period all pass, and the check bites at the
 * next close() or retransmission after the sum caught up. The sum is modelled
 * exactly without a timer: the count as it stood at the last 100 ms boundary
 * of virtual time (the timer starts at boot, time 0).
 *
 * A connection is counted from close() until it is done (tcp_done →
 * inet_csk_destroy_sock) or became a timewait sock (which is not an orphan:
 * /proc/net/sockstat counts those as `tw`).
 *
 * DEVIATION(linux): tcp_max_orphans and the count are global in Linux (one
 * value for every namespace, only init_net has the sysctl); a tcplab host is a
 * machine of its own, so each host has its own. tcp_mem pressure (the other
 * half of tcp_check_oom, "out of memory -- consider tuning tcp_mem") is not
 * modelled.
 */

import type { Time } from '../sim/time.js';
import { HZ, jiffies, TCP_RTO_MAX, TCP_TIMEWAIT_LEN } from './clock.js';
import { type Connection, tcpDone } from './connection.js';
import type { TcpNet } from './net.js';
import { tcpSendActiveReset } from './output.js';

/** TCP_ORPHAN_TIMER_PERIOD (tcp.c): msecs_to_jiffies(100). */
const TCP_ORPHAN_PERIOD_NS = 100_000_000;

/**
 * net_ratelimit()'s state (net/core/utils.c net_ratelimit_state: interval
 * net.core.message_cost = 5 s, burst net.core.message_burst = 10), one per host.
 */
const NET_RATELIMIT_INTERVAL_J = 5 * HZ;
const NET_RATELIMIT_BURST = 10;

/** A host's orphan count and its lag, and its net_ratelimit state (kept on its TcpNet). */
export interface OrphanState {
  /** tcp_orphan_count: orphans now. */
  count: number;
  /** tcp_orphan_cache: the count at the last update, and that update's period number. */
  cache: number;
  cachePeriod: number;
  /** ___ratelimit's begin (jiffies, -1 before the first call), printed, missed. */
  rlBegin: number;
  rlPrinted: number;
  rlMissed: number;
}

/** The host's state, made when first needed (every close() asks: a field, not a WeakMap). */
function stateOf(net: TcpNet): OrphanState {
  let s = net.orphans;
  if (s === undefined) {
    s = { count: 0, cache: 0, cachePeriod: 0, rlBegin: -1, rlPrinted: 0, rlMissed: 0 };
    net.orphans = s;
  }
  return s;
}

/** Brings tcp_orphan_cache up to `now`: no change since the last boundary means the count held there. */
function catchUp(s: OrphanState, now: Time): void {
  const period = Math.floor(now / TCP_ORPHAN_PERIOD_NS);
  if (period > s.cachePeriod) {
    s.cache = s.count;
    s.cachePeriod = period;
  }
}

/** How many orphans the host has now (tcp_orphan_count_sum; /proc/net/sockstat `orphan`). */
export function orphanCount(net: TcpNet): number {
  return net.orphans?.count ?? 0;
}

/** close() left the connection alive without its application (__tcp_close: this_cpu_inc(tcp_orphan_count)). */
export function orphanAdopt(conn: Connection, now: Time): void {
  if (conn.orphanCounted) return;
  const s = stateOf(conn.net);
  catchUp(s, now);
  s.count++;
  conn.orphanCounted = true;
}

/** The orphan is done or became a timewait sock (inet_csk_destroy_sock: this_cpu_dec). */
export function orphanRelease(conn: Connection, now: Time): void {
  if (!conn.orphanCounted) return;
  conn.orphanCounted = false;
  const s = stateOf(conn.net);
  catchUp(s, now);
  s.count--;
}

/**
 * Linux net_ratelimit (lib/ratelimit.c ___ratelimit): at most 10 messages per
 * 5 s for the whole host; the first call after an interval with suppressed
 * messages logs "net_ratelimit: N callbacks suppressed" first.
 */
export function netRatelimit(net: TcpNet, now: Time): boolean {
  const s = stateOf(net);
  const j = jiffies(now);
  if (s.rlBegin < 0) s.rlBegin = j;
  if (j > s.rlBegin + NET_RATELIMIT_INTERVAL_J) {
    if (s.rlMissed > 0) {
      net.printk?.(now, 'warn', `net_ratelimit: ${s.rlMissed} callbacks suppressed`);
      s.rlMissed = 0;
    }
    s.rlBegin = j;
    s.rlPrinted = 0;
  }
  if (s.rlPrinted < NET_RATELIMIT_BURST) {
    s.rlPrinted++;
    return true;
  }
  s.rlMissed++;
  return false;
}

/**
 * Linux tcp_check_oom: too many orphans (the cached count, doubled per
 * `shift`, above tcp_max_orphans)? Logs "TCP: too many orphaned sockets"
 * (net_info_ratelimited; pr_fmt "TCP: ") when so.
 */
export function tcpCheckOom(conn: Connection, now: Time, shift: number): boolean {
  const net = conn.net;
  const s = stateOf(net);
  catchUp(s, now);
  const tooMany = s.cache * 2 ** shift > net.sysctl.tcp_max_orphans;
  if (tooMany && netRatelimit(net, now)) {
    net.printk?.(now, 'info', 'TCP: too many orphaned sockets');
  }
  return tooMany;
}

/**
 * Linux tcp_out_of_resources, for an orphan whose retransmission or probe
 * timer fired: with too many orphans it is dropped (TcpExtTCPAbortOnMemory),
 * with a RST when `doReset` or it sent data in the last 60 s or the peer's
 * window is closed with nothing in flight. A connection that sent nothing for
 * twice TCP_RTO_MAX, or that is out of retries (`!doReset`), or that saw an
 * ICMP error, counts double each, so it goes first. Returns true when dropped.
 */
export function tcpOutOfResources(conn: Connection, now: Time, doReset: boolean): boolean {
  const idleJ = jiffies(now) - jiffies(conn.lsndtime);
  let shift = 0;
  if (idleJ > 2 * TCP_RTO_MAX || !doReset) shift++;
  if (conn.softError !== undefined) shift++;
  if (!tcpCheckOom(conn, now, shift)) return false;
  // "Catch exceptional cases, when connection requires reset": the last
  // segment was sent recently, or the window is closed.
  if (idleJ <= TCP_TIMEWAIT_LEN || (conn.sndWnd === 0 && conn.rtxQueue.length === 0)) {
    doReset = true;
  }
  if (doReset) tcpSendActiveReset(conn, now);
  tcpDone(conn, now);
  conn.net.count('TcpExtTCPAbortOnMemory');
  return true;
}
