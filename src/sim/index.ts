/**
 * The simulator core: virtual time, the event queue that drives everything on
 * it, seeded randomness, and links.
 *
 * It runs a lab on virtual time: a 127-second SYN timeout takes milliseconds of
 * wall time, and the same seed with the same scenario gives the same events in
 * the same order, the same random numbers and the same bytes, always. Time is an
 * integer number of nanoseconds (`time.ts`: exact up to 2^53 ns, about 104
 * days); events at the same instant run in the order they were scheduled
 * (`events.ts`); every random choice comes from one seed, split into named
 * streams so that one consumer never shifts another's numbers (`random.ts`);
 * links delay, queue, lose, duplicate, reorder and corrupt frames, counting and
 * reporting every drop (`link.ts`).
 *
 * It drives the stack from the side (STYLE.md 1): the TCP engine is handed `now`
 * and hands back its next deadline, which a driver arms as a `Timer` here.
 *
 * What it must not do: import `node:*`, read a real clock (`Date.now`,
 * `performance.now`), call `Math.random`, `setTimeout` or `setInterval`, or do
 * I/O. Misuse by tcplab code or a lab author (an event in the past, a negative
 * delay, a loss probability of 1.5) throws a `RangeError` saying what and which
 * value; a runaway lab stops with a `RunawayError` saying at what virtual time.
 */

export * from './events.js';
export * from './jiffies.js';
export * from './link.js';
export * from './random.js';
export * from './time.js';
