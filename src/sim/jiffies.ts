/**
 * Kernel time on virtual time: jiffies derived from the virtual instant, the
 * conversions the sysctl handlers use, and when a kernel timer (`mod_timer`)
 * armed now really fires. The host's IP layer runs its timers on it.
 *
 * The neighbour cache runs on kernel timers, and the reference traces show it: in
 * linux-traces/silent-drop/default-nc the ARP probe leaves 5.120 s after the SYN
 * that moved the entry from STALE to DELAY, not 5.000 s (`delay_first_probe_time`
 * is 1250 jiffies, a level-2 timer of the wheel, rounded up to 64 jiffies).
 *
 * The TCP engine's timers (src/tcp/clock.ts) and the host's run on this model.
 */

import type { Time } from './time.js';

/**
 * CONFIG_HZ of the kernel that recorded the reference traces (linux-traces
 * README: "CONFIG_HZ=250, so timers tick every 4 ms"), Debian's default.
 */
export const HZ = 250;
/** Nanoseconds per jiffy. */
export const JIFFY_NS = 1_000_000_000 / HZ;
/** include/asm-generic/param.h: the unit of clock_t, and of `*_userhz_jiffies` sysctls. */
export const USER_HZ = 100;
const MSEC_PER_JIFFY = 1000 / HZ;

/** The jiffies counter at `now` (virtual time 0 is jiffy 0). */
export function jiffies(now: Time): number {
  return Math.floor(now / JIFFY_NS);
}

/** The instant jiffy `j` begins. */
export function jiffyTime(j: number): Time {
  return j * JIFFY_NS;
}

/** Linux msecs_to_jiffies (include/linux/jiffies.h, HZ dividing 1000): rounds up. */
export function msecsToJiffies(msec: number): number {
  return Math.ceil(msec / MSEC_PER_JIFFY);
}

/** Linux jiffies_to_msecs (kernel/time/time.c). */
export function jiffiesToMsecs(j: number): number {
  return j * MSEC_PER_JIFFY;
}

/** Linux clock_t_to_jiffies for HZ = 250, USER_HZ = 100 (kernel/time/time.c): rounds down. */
export function clockTToJiffies(x: number): number {
  return Math.floor((x * HZ) / USER_HZ);
}

/** Linux jiffies_to_clock_t (kernel/time/time.c): rounds down. */
export function jiffiesToClockT(j: number): number {
  return Math.floor((j * USER_HZ) / HZ);
}

// kernel/time/timer.c: LVL_CLK_SHIFT 3, LVL_SIZE 64, LVL_DEPTH 9 for HZ > 100,
// LVL_START(n) = (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT).
const LVL_CLK_SHIFT = 3;
const LVL_SIZE = 64;
const LVL_DEPTH = 9;

/** LVL_START(n) for each level, computed once: the wheel's level boundaries in jiffies. */
const LVL_STARTS: readonly number[] = Array.from(
  { length: LVL_DEPTH },
  (_, n) => (LVL_SIZE - 1) * 2 ** ((n - 1) * LVL_CLK_SHIFT),
);

/**
 * When a kernel timer armed at `now` with `mod_timer(t, expires)` fires, `expires`
 * in jiffies. kernel/time/timer.c calc_index puts it in the bucket after
 * `expires` at the granularity of its level ("Round up with level granularity to
 * prevent this" early expiry), so it fires at least one jiffy after `expires` and
 * up to one granule later: 1 jiffy below 63 jiffies, 8 up to 504, 64 up to 4032,
 * 512 beyond. A timer already due fires on the next tick.
 *
 * With `wheel` false the coarser levels' rounding is left out, and the timer
 * fires on the tick after `expires`, as a level-0 timer does.
 */
export function kernelTimerFireTime(now: Time, expires: number, wheel: boolean): Time {
  const clk = jiffies(now);
  const delta = Math.max(0, expires - clk);
  const target = Math.max(expires, clk);
  if (!wheel) return jiffyTime(target + 1);
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= LVL_STARTS[lvl + 1]!) lvl++;
  const granule = LVL_GRANULES[lvl]!;
  return jiffyTime((Math.floor(target / granule) + 1) * granule);
}

/** LVL_GRAN(n) = 1 << (n * LVL_CLK_SHIFT) for each level, computed once. */
const LVL_GRANULES: readonly number[] = Array.from(
  { length: LVL_DEPTH },
  (_, n) => 2 ** (n * LVL_CLK_SHIFT),
);
