/**
 * How fast a lab plays: as fast as the events run (tests, `tcplab run`), or at
 * a multiple of the wall clock for watching (`--realtime`, `--speed X`). Both
 * drive time only through the System driver (src/os/system.ts); the real-time
 * pace only waits, with a real timer, before letting it run further. This is
 * the one place below the CLI where a real clock is read.
 */

import type { System } from '../os/system.js';
import { NS_PER_MS, type Time } from '../sim/time.js';

export interface Pace {
  /** Runs the simulation up to `time`. */
  runUntil(system: System, time: Time): Promise<void>;
  /** Runs while `predicate()` holds, up to `limit`; true if it stopped holding (system.ts runWhile). */
  runWhile(system: System, predicate: () => boolean, limit: Time): Promise<boolean>;
}

/** As fast as possible. */
export const FAST: Pace = {
  runUntil: (system, time) => system.runUntil(time),
  runWhile: (system, predicate, limit) => system.runWhile(predicate, limit),
};

/** The longest real wait between two looks at the clock, so output keeps flowing. */
const MAX_NAP_MS = 50;
/**
 * The shortest: timers are not finer than a millisecond, and events closer than
 * this are run together after one nap (the clock catches up), not one nap each.
 */
const MIN_NAP_MS = 5;

/**
 * Virtual time runs `speed` times as fast as the wall clock (1: real time).
 * `clock` (milliseconds) and `nap` are the real clock and timer; tests pass
 * fakes.
 */
export function wallClockPace(
  speed: number,
  clock: () => number = () => performance.now(),
  nap: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Pace {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed ${speed}: not > 0`);
  const runWhile = async (
    system: System,
    predicate: () => boolean,
    limit: Time,
    waitWhenIdle: boolean,
  ): Promise<boolean> => {
    const wall0 = clock();
    const virtual0 = system.now;
    for (;;) {
      const due = virtual0 + Math.floor((clock() - wall0) * NS_PER_MS * speed);
      const target = Math.min(limit, Math.max(due, system.now));
      if (await system.runWhile(predicate, target)) return true;
      if (target >= limit) return false;
      const next = system.network.events.nextTime();
      if (next === undefined && !waitWhenIdle) {
        // Nothing is scheduled: nothing can change until the limit.
        return system.runWhile(predicate, limit);
      }
      const until = Math.min(limit, next ?? limit);
      const ms = (until - system.now) / NS_PER_MS / speed;
      await nap(Math.max(MIN_NAP_MS, Math.min(MAX_NAP_MS, ms)));
    }
  };
  return {
    runUntil: async (system, time) => {
      await runWhile(system, () => true, time, true);
    },
    runWhile: (system, predicate, limit) => runWhile(system, predicate, limit, false),
  };
}
