/**
 * Properties of links for arbitrary properties and traffic (fast-check, seeded):
 * nothing arrives before it could, nothing is lost or invented unless a fault
 * says so, and order holds unless reordering is on.
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type LinkEvent, type LinkProperties, serializationTime } from '../../src/sim/link.js';
import { frame, frameId, pair } from './harness.js';

const RUNS = { seed: 20250214, numRuns: 200 } as const;

/** Frames to send: the gap before each (ns) and its length. */
const traffic = fc.array(
  fc.record({
    gap: fc.integer({ min: 0, max: 50_000 }),
    length: fc.integer({ min: 4, max: 1600 }),
  }),
  { minLength: 1, maxLength: 150, size: 'max' },
);

/** Timing properties, and optionally faults. */
function linkProperties(faults: {
  loss: boolean;
  duplicate: boolean;
  reorder: boolean;
  queue: boolean;
}): fc.Arbitrary<Partial<LinkProperties>> {
  const probability = (on: boolean) =>
    on ? fc.double({ min: 0, max: 1, noNaN: true }) : fc.constant(0);
  return fc.record({
    delay: fc.integer({ min: 0, max: 1_000_000 }),
    jitter: fc.integer({ min: 0, max: 200_000 }),
    bandwidth: fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.integer({ min: 1_000, max: 10_000_000_000 }),
    ),
    queueLimit: faults.queue
      ? fc.integer({ min: 0, max: 5 })
      : fc.constant(Number.POSITIVE_INFINITY),
    loss: probability(faults.loss),
    duplicate: probability(faults.duplicate),
    reorder: probability(faults.reorder),
    reorderDelay: fc.integer({ min: 1, max: 500_000 }),
  });
}

interface Run {
  sent: Map<number, { time: number; length: number }>;
  arrivals: { id: number; time: number }[];
  reports: LinkEvent[];
  stats: ReturnType<typeof pair>['a']['stats'];
}

function run(
  props: Partial<LinkProperties>,
  frames: { gap: number; length: number }[],
  seed: number,
): Run {
  const { events, link, a, atB } = pair(props, seed);
  const reports: LinkEvent[] = [];
  link.observe((e) => reports.push(e));
  const sent = new Map<number, { time: number; length: number }>();
  let t = 0;
  frames.forEach(({ gap, length }, id) => {
    t += gap;
    events.schedule(t, (now) => {
      sent.set(id, { time: now, length });
      a.send(frame(id, length));
    });
  });
  events.runUntilIdle();
  return {
    sent,
    arrivals: atB.arrivals.map((x) => ({ id: x.id, time: x.time })),
    reports,
    stats: a.stats,
  };
}

describe('link properties (fast-check, seeded)', () => {
  test('no frame arrives before it was sent + serialization + delay', () => {
    const all = { loss: true, duplicate: true, reorder: true, queue: true };
    fc.assert(
      fc.property(linkProperties(all), traffic, fc.integer(), (props, frames, seed) => {
        const r = run(props, frames, seed);
        for (const x of r.arrivals) {
          const s = r.sent.get(x.id)!;
          const earliest = s.time + serializationTime(s.length, props.bandwidth!) + props.delay!;
          expect(x.time).toBeGreaterThanOrEqual(earliest);
        }
      }),
      RUNS,
    );
  });

  test('without loss or queue limits, every frame arrives exactly once, or twice when reported duplicated', () => {
    const faults = { loss: false, duplicate: true, reorder: true, queue: false };
    fc.assert(
      fc.property(linkProperties(faults), traffic, fc.integer(), (props, frames, seed) => {
        const r = run(props, frames, seed);
        const duplicated = new Set(
          r.reports.filter((e) => e.kind === 'duplicate').map((e) => frameId(e.frame)),
        );
        const counts = new Map<number, number>();
        for (const x of r.arrivals) counts.set(x.id, (counts.get(x.id) ?? 0) + 1);
        for (let id = 0; id < frames.length; id++) {
          expect(counts.get(id)).toBe(duplicated.has(id) ? 2 : 1);
        }
        expect(counts.size).toBe(frames.length);
        expect(r.stats.duplicated).toBe(duplicated.size);
      }),
      RUNS,
    );
  });

  test('every frame sent is delivered or dropped with a reason: the counters add up', () => {
    const all = { loss: true, duplicate: true, reorder: true, queue: true };
    fc.assert(
      fc.property(linkProperties(all), traffic, fc.integer(), (props, frames, seed) => {
        const r = run(props, frames, seed);
        const dropped = r.reports.filter((e) => e.kind === 'drop');
        const { stats } = r;
        const drops = stats.dropped.loss + stats.dropped.queue_full + stats.dropped.mtu;
        expect(dropped.length).toBe(drops);
        expect(stats.framesSent).toBe(frames.length);
        expect(stats.framesDelivered).toBe(r.arrivals.length);
        expect(r.arrivals.length).toBe(frames.length - drops + stats.duplicated);
        // A dropped frame never arrives.
        const droppedIds = new Set(dropped.map((e) => frameId(e.frame)));
        expect(r.arrivals.some((x) => droppedIds.has(x.id))).toBe(false);
      }),
      RUNS,
    );
  });

  test('with reordering off, frames arrive in the order they were sent (jitter included)', () => {
    const faults = { loss: true, duplicate: true, reorder: false, queue: true };
    fc.assert(
      fc.property(linkProperties(faults), traffic, fc.integer(), (props, frames, seed) => {
        const r = run(props, frames, seed);
        for (let i = 1; i < r.arrivals.length; i++) {
          expect(r.arrivals[i]!.id).toBeGreaterThanOrEqual(r.arrivals[i - 1]!.id);
        }
      }),
      RUNS,
    );
  });
});
