/**
 * Virtual time.
 *
 * An instant (`Time`) is an integer number of nanoseconds since the simulation
 * started; a `Duration` is an integer number of nanoseconds. Both are plain
 * numbers, so arithmetic is ordinary `+` and `-`. A double holds every integer up
 * to 2^53 exactly, so virtual time is exact (no rounding, no drift) up to
 * 2^53 ns = 9 007 199 254 740 991 ns, about 104.2 days of simulated time: far more
 * than any lab needs (the longest Linux TCP timers are hours). The event queue
 * refuses instants beyond that.
 *
 * Nanoseconds because Linux's own clocks are (`ktime_t`), and pcapng can store
 * them; a microsecond tcpdump timestamp is derived by division.
 */

/** An instant: nanoseconds since the simulation started. */
export type Time = number;

/** A length of time in nanoseconds. */
export type Duration = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** The last instant that is exact: 2^53 - 1 ns (about 104.2 days). */
export const MAX_TIME: Time = Number.MAX_SAFE_INTEGER;

/** `n` nanoseconds. `n` must be an integer. */
export function ns(n: number): Duration {
  return toNanoseconds(n, 1, 'ns');
}

/** `n` microseconds, rounded to the nearest nanosecond. */
export function us(n: number): Duration {
  return toNanoseconds(n, NS_PER_US, 'us');
}

/** `n` milliseconds, rounded to the nearest nanosecond. */
export function ms(n: number): Duration {
  return toNanoseconds(n, NS_PER_MS, 'ms');
}

/** `n` seconds, rounded to the nearest nanosecond. */
export function s(n: number): Duration {
  return toNanoseconds(n, NS_PER_S, 's');
}

function toNanoseconds(n: number, scale: number, unit: string): Duration {
  if (!Number.isFinite(n)) throw new RangeError(`${unit}(${n}): not a finite number`);
  if (scale === 1 && !Number.isInteger(n)) {
    throw new RangeError(`ns(${n}): not an integer number of nanoseconds`);
  }
  // A product like 0.1 * 1e6 is 100000.00000000001 in binary floating point:
  // rounding gives the nanosecond the caller meant.
  const result = Math.round(n * scale);
  if (!Number.isSafeInteger(result)) {
    throw new RangeError(`${unit}(${n}): beyond the exact range of virtual time (2^53 ns)`);
  }
  // Math.round(-0.4) is -0; keep zero a plain 0 so formatting never shows "-0".
  return result === 0 ? 0 : result;
}

/**
 * An instant as seconds with all nine decimals, exactly: `formatTime(1_500_000_000)`
 * is `1.500000000s`. For logs and error messages; tools format their own way.
 */
export function formatTime(t: Time): string {
  const sign = t < 0 ? '-' : '';
  const abs = Math.abs(t);
  const whole = Math.floor(abs / NS_PER_S);
  const frac = abs - whole * NS_PER_S;
  return `${sign}${whole}.${String(frac).padStart(9, '0')}s`;
}

const UNITS: readonly (readonly [string, number])[] = [
  ['s', NS_PER_S],
  ['ms', NS_PER_MS],
  ['us', NS_PER_US],
];

/**
 * A duration in the largest unit that keeps it at least 1, with no more decimals
 * than it needs and no rounding: `1.5ms`, `127s`, `1.000000001s`, `250ns`, `0s`.
 * (Go's `time.Duration` prints the same way.)
 */
export function formatDuration(d: Duration): string {
  if (d === 0) return '0s';
  const sign = d < 0 ? '-' : '';
  const abs = Math.abs(d);
  for (const [unit, scale] of UNITS) {
    if (abs < scale) continue;
    const whole = Math.floor(abs / scale);
    const frac = abs - whole * scale;
    if (frac === 0) return `${sign}${whole}${unit}`;
    const digits = String(scale).length - 1;
    const decimals = String(frac).padStart(digits, '0').replace(/0+$/, '');
    return `${sign}${whole}.${decimals}${unit}`;
  }
  return `${sign}${abs}ns`;
}
