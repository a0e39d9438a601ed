import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  COMPACT_MIN_CANCELLED,
  type EventHandle,
  EventQueue,
  RunawayError,
  type Timer,
} from '../../src/sim/events.js';
import { MAX_TIME, ms, s } from '../../src/sim/time.js';

/** A queue and a log that events write their names to. */
function logged(options = {}) {
  const q = new EventQueue(options);
  const log: string[] = [];
  const at = (t: number, name: string) => q.schedule(t, () => log.push(name));
  return { q, log, at };
}

describe('order', () => {
  test('earlier events run first, whatever order they were scheduled in', () => {
    const { q, log, at } = logged();
    at(ms(30), 'c');
    at(ms(10), 'a');
    at(ms(20), 'b');
    q.runUntilIdle();
    expect(log).toEqual(['a', 'b', 'c']);
  });

  test('events at the same instant run in the order they were scheduled (FIFO)', () => {
    const { q, log, at } = logged();
    const expected: string[] = [];
    for (let i = 0; i < 1000; i++) {
      // Interleave two instants so the heap has to break many ties.
      at(i % 2 === 0 ? ms(5) : ms(7), `e${i}`);
    }
    for (let i = 0; i < 1000; i += 2) expected.push(`e${i}`);
    for (let i = 1; i < 1000; i += 2) expected.push(`e${i}`);
    q.runUntilIdle();
    expect(log).toEqual(expected);
  });

  test('an event scheduled for now by an event runs after those already due now', () => {
    const { q, log, at } = logged();
    q.schedule(ms(1), (now) => {
      log.push('first');
      q.schedule(now, () => log.push('scheduled by first'));
    });
    at(ms(1), 'second');
    q.runUntilIdle();
    expect(log).toEqual(['first', 'second', 'scheduled by first']);
  });

  test('an action is handed the current time, and now never goes backwards', () => {
    const q = new EventQueue();
    const seen: number[] = [];
    for (const t of [ms(3), ms(1), ms(2), ms(2)]) {
      q.schedule(t, (now) => {
        expect(now).toBe(q.now);
        seen.push(now);
      });
    }
    q.runUntilIdle();
    expect(seen).toEqual([ms(1), ms(2), ms(2), ms(3)]);
    expect(q.now).toBe(ms(3));
  });

  test('model check: any mix of schedule, cancel and run matches a sorted list (seeded)', () => {
    // The model is a plain list of (time, seq) searched for its smallest pending
    // entry; the real queue must run exactly the same events in the same order.
    // An event may schedule a child when it runs, as timers and links do.
    type Op =
      | { op: 'schedule'; delay: number; child: number }
      | { op: 'cancel'; pick: number }
      | { op: 'run'; span: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant('schedule' as const),
          delay: fc.integer({ min: 0, max: 40 }),
          child: fc.integer({ min: -1, max: 5 }),
        }),
      },
      { weight: 4, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('run' as const),
          span: fc.integer({ min: 0, max: 10 }),
        }),
      },
    );
    interface ModelEvent {
      time: number;
      seq: number;
      child: number;
      state: 'pending' | 'ran' | 'cancelled';
    }
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400, size: 'max' }), (ops) => {
        const q = new EventQueue();
        const handles: EventHandle[] = [];
        const ran: number[] = [];
        const schedule = (time: number, child: number): void => {
          const id = handles.length;
          handles.push(
            q.schedule(time, (now) => {
              ran.push(id);
              if (child >= 0) schedule(now + child, -1);
            }),
          );
        };

        const model: ModelEvent[] = [];
        const modelRan: number[] = [];
        let seq = 0;
        let now = 0;

        for (const o of ops) {
          if (o.op === 'schedule') {
            schedule(now + o.delay, o.child);
            model.push({ time: now + o.delay, seq: seq++, child: o.child, state: 'pending' });
          } else if (o.op === 'cancel') {
            if (model.length === 0) continue;
            const i = o.pick % model.length;
            const wasPending = model[i]!.state === 'pending';
            expect(handles[i]!.cancel()).toBe(wasPending);
            expect(handles[i]!.pending).toBe(false);
            if (wasPending) model[i]!.state = 'cancelled';
          } else {
            const until = now + o.span;
            for (;;) {
              let next: ModelEvent | undefined;
              for (const m of model) {
                if (m.state !== 'pending' || m.time > until) continue;
                if (!next || m.time < next.time || (m.time === next.time && m.seq < next.seq)) {
                  next = m;
                }
              }
              if (!next) break;
              next.state = 'ran';
              modelRan.push(model.indexOf(next));
              if (next.child >= 0) {
                model.push({
                  time: next.time + next.child,
                  seq: seq++,
                  child: -1,
                  state: 'pending',
                });
              }
            }
            q.runUntil(until);
            now = until;
            expect(ran).toEqual(modelRan);
            expect(q.now).toBe(now);
          }
          expect(q.size).toBe(model.filter((m) => m.state === 'pending').length);
          expect(q.heapSize).toBeLessThanOrEqual(2 * q.size + COMPACT_MIN_CANCELLED);
        }
      }),
      { seed: 7, numRuns: 150 },
    );
  });

  test('model check: cancelling any subset of a large heap (compaction) keeps the order (seeded)', () => {
    const entry = fc.record({ time: fc.integer({ min: 0, max: 500 }), cancel: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 2000, size: 'max' }), (entries) => {
        const q = new EventQueue();
        const ran: number[] = [];
        const handles = entries.map((e, id) => q.schedule(e.time, () => ran.push(id)));
        entries.forEach((e, id) => {
          if (e.cancel) handles[id]!.cancel();
        });
        expect(q.heapSize).toBeLessThanOrEqual(2 * q.size + COMPACT_MIN_CANCELLED);
        q.runUntilIdle();
        // Array.prototype.sort is stable: equal times keep scheduling order.
        const expected = entries
          .map((e, id) => ({ ...e, id }))
          .filter((e) => !e.cancel)
          .sort((a, b) => a.time - b.time)
          .map((e) => e.id);
        expect(ran).toEqual(expected);
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});

describe('cancellation', () => {
  test('a cancelled event does not run; cancel reports whether it was pending', () => {
    const { q, log, at } = logged();
    const a = at(ms(1), 'a');
    at(ms(2), 'b');
    expect(a.pending).toBe(true);
    expect(a.cancel()).toBe(true);
    expect(a.pending).toBe(false);
    expect(a.cancel()).toBe(false);
    expect(q.size).toBe(1);
    q.runUntilIdle();
    expect(log).toEqual(['b']);
  });

  test('cancelling after it ran does nothing', () => {
    const { q, at } = logged();
    const a = at(ms(1), 'a');
    q.runUntilIdle();
    expect(a.pending).toBe(false);
    expect(a.cancel()).toBe(false);
    expect(q.size).toBe(0);
  });

  test('an event can cancel another due at the same instant', () => {
    const { q, log, at } = logged();
    let victim: EventHandle | undefined;
    q.schedule(ms(1), () => {
      log.push('killer');
      victim?.cancel();
    });
    victim = at(ms(1), 'victim');
    at(ms(1), 'bystander');
    q.runUntilIdle();
    expect(log).toEqual(['killer', 'bystander']);
  });

  test('nextTime() skips cancelled events', () => {
    const { q, at } = logged();
    at(ms(1), 'a').cancel();
    at(ms(2), 'b');
    expect(q.nextTime()).toBe(ms(2));
  });

  test('re-arming by cancel + schedule on every "ACK" keeps the heap bounded', () => {
    // A TCP retransmission timer pushed 200 ms ahead on each of 100 000 ACKs
    // arriving every 10 us, with 1000 other connections' timers live.
    const q = new EventQueue();
    const others: EventHandle[] = [];
    for (let i = 0; i < 1000; i++) others.push(q.schedule(s(3600) + i, () => {}));
    let rto = q.schedule(ms(200), () => {});
    let maxHeap = 0;
    let fired = 0;
    for (let ack = 1; ack <= 100_000; ack++) {
      q.runUntil(ack * 10_000);
      rto.cancel();
      rto = q.schedule(q.now + ms(200), () => fired++);
      maxHeap = Math.max(maxHeap, q.heapSize);
    }
    expect(q.size).toBe(1001);
    expect(maxHeap).toBeLessThanOrEqual(2 * 1001 + COMPACT_MIN_CANCELLED);
    q.runUntil(q.now + ms(200));
    expect(fired).toBe(1);
  });

  test('cancelling most of a large heap compacts it and keeps the order', () => {
    const { q, log, at } = logged();
    const handles = [];
    for (let i = 0; i < 10_000; i++) handles.push(at(10_000 - i, `e${10_000 - i}`));
    for (let i = 0; i < 10_000; i++) if (i % 10 !== 0) handles[i]!.cancel();
    expect(q.size).toBe(1000);
    expect(q.heapSize).toBeLessThanOrEqual(2 * 1000 + COMPACT_MIN_CANCELLED);
    q.runUntilIdle();
    const expected = [];
    for (let t = 1; t <= 10_000; t++) if ((10_000 - t) % 10 === 0) expected.push(`e${t}`);
    expect(log).toEqual(expected);
  });
});

describe('run calls', () => {
  test('runUntil: an event exactly at the limit runs, one a nanosecond later does not', () => {
    const { q, log, at } = logged();
    at(ms(10), 'at limit');
    at(ms(10) + 1, 'after');
    expect(q.runUntil(ms(10))).toBe(1);
    expect(log).toEqual(['at limit']);
    expect(q.now).toBe(ms(10));
    expect(q.runUntil(ms(10) + 1)).toBe(1);
    expect(log).toEqual(['at limit', 'after']);
  });

  test('runUntil advances the clock to the limit even with nothing to run', () => {
    const q = new EventQueue();
    expect(q.runUntil(s(127))).toBe(0);
    expect(q.now).toBe(s(127));
  });

  test('runUntil runs events that events schedule within the window', () => {
    const q = new EventQueue();
    const times: number[] = [];
    const tick = (now: number) => {
      times.push(now);
      q.schedule(now + ms(1), tick);
    };
    q.schedule(0, tick);
    q.runUntil(ms(3));
    expect(times).toEqual([0, ms(1), ms(2), ms(3)]);
    expect(q.size).toBe(1);
  });

  test('runUntilIdle returns the number of events run and leaves now at the last one', () => {
    const { q, at } = logged();
    at(ms(1), 'a');
    at(ms(5), 'b');
    expect(q.runUntilIdle()).toBe(2);
    expect(q.now).toBe(ms(5));
    expect(q.eventsRun).toBe(2);
  });

  test('step runs exactly one event', () => {
    const { q, log, at } = logged();
    at(ms(1), 'a');
    at(ms(2), 'b');
    expect(q.step()).toBe(true);
    expect(log).toEqual(['a']);
    expect(q.now).toBe(ms(1));
    expect(q.step()).toBe(true);
    expect(q.step()).toBe(false);
    expect(log).toEqual(['a', 'b']);
  });

  test('runWhile stops at the event that makes the predicate false', () => {
    const q = new EventQueue();
    let connected = false;
    q.schedule(ms(300), () => {
      connected = true;
    });
    q.schedule(ms(400), () => {});
    expect(q.runWhile(() => !connected, s(10))).toBe(true);
    expect(q.now).toBe(ms(300));
    expect(q.size).toBe(1);
  });

  test('runWhile gives up at the time limit, with now at the limit', () => {
    const q = new EventQueue();
    let n = 0;
    const tick = (now: number) => {
      n++;
      q.schedule(now + s(1), tick);
    };
    q.schedule(s(1), tick);
    expect(q.runWhile(() => true, s(5))).toBe(false);
    expect(n).toBe(5); // the event at exactly 5 s ran
    expect(q.now).toBe(s(5));
  });

  test('runWhile with nothing left to run waits out the limit and reports false', () => {
    const q = new EventQueue();
    expect(q.runWhile(() => true, s(2))).toBe(false);
    expect(q.now).toBe(s(2));
  });

  test('runWhile with a predicate already false runs nothing', () => {
    const { q, log, at } = logged();
    at(0, 'a');
    expect(q.runWhile(() => false, s(1))).toBe(true);
    expect(log).toEqual([]);
    expect(q.now).toBe(0);
  });

  test('an exception in an event propagates, and the queue carries on afterwards', () => {
    const { q, log, at } = logged();
    q.schedule(ms(1), () => {
      throw new Error('boom');
    });
    at(ms(2), 'after');
    expect(() => q.runUntilIdle()).toThrow('boom');
    expect(q.now).toBe(ms(1));
    q.runUntilIdle();
    expect(log).toEqual(['after']);
  });

  test('running the queue from inside an event is a bug and says so', () => {
    const q = new EventQueue();
    q.schedule(0, () => q.runUntilIdle());
    expect(() => q.runUntilIdle()).toThrow(
      'runUntilIdle: called from inside an event; an event schedules more work, it does not run the queue',
    );
    q.schedule(1, () => q.step());
    expect(() => q.step()).toThrow(/step: called from inside an event/);
  });
});

describe('the runaway guard', () => {
  test('a zero-delay event that reschedules itself stops with the count and the virtual time', () => {
    const q = new EventQueue({ maxEventsPerRun: 1000 });
    const again = () => q.after(0, again);
    q.schedule(ms(5), again);
    let error: unknown;
    try {
      q.runUntilIdle();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunawayError);
    const r = error as RunawayError;
    expect(r.events).toBe(1000);
    expect(r.time).toBe(ms(5));
    expect(r.message).toMatch(
      /^runUntilIdle: runaway simulation: ran 1000 events without finishing, at virtual time 0\.005000000s/,
    );
  });

  test('the guard applies to runUntil and runWhile too, and the queue stays usable', () => {
    const q = new EventQueue({ maxEventsPerRun: 50 });
    const tick = (now: number) => q.schedule(now + 1, tick);
    q.schedule(0, tick);
    expect(() => q.runUntil(s(1))).toThrow(/^runUntil: runaway simulation: ran 50 events/);
    expect(q.now).toBe(49);
    expect(() => q.runWhile(() => true, s(1))).toThrow(/^runWhile: runaway/);
    expect(q.now).toBe(99);
    expect(q.step()).toBe(true);
  });

  test('exactly the limit is allowed; one more is a runaway', () => {
    const { q, at } = logged();
    for (let i = 0; i < 10; i++) at(i, `e${i}`);
    expect(q.runUntilIdle(10)).toBe(10);
    for (let i = 0; i < 11; i++) at(100 + i, `f${i}`);
    expect(() => q.runUntilIdle(10)).toThrow(RunawayError);
    expect(q.size).toBe(1);
  });

  test('the default guard is ten million events', () => {
    const q = new EventQueue();
    const again = () => q.after(0, again);
    q.schedule(0, again);
    expect(() => q.runUntilIdle()).toThrow(/ran 10000000 events/);
  });
});

describe('misuse throws RangeError', () => {
  test('scheduling in the past', () => {
    const q = new EventQueue();
    q.runUntil(ms(10));
    expect(() => q.schedule(ms(10) - 1, () => {})).toThrow(
      new RangeError(
        'schedule: time 0.009999999s is before now (0.010000000s); virtual time does not go backwards',
      ),
    );
    expect(() => q.after(-1, () => {})).toThrow(
      'after: delay -1 must be a non-negative integer number of nanoseconds',
    );
    expect(() => q.runUntil(ms(5))).toThrow(/runUntil: time 0\.005000000s is before now/);
    expect(() => q.runWhile(() => true, 0)).toThrow(RangeError);
  });

  test('times that are not exact integer nanoseconds', () => {
    const q = new EventQueue();
    expect(() => q.schedule(1.5, () => {})).toThrow(
      'schedule: time 1.5 is not an integer number of nanoseconds within 2^53',
    );
    expect(() => q.schedule(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => q.schedule(MAX_TIME + 1, () => {})).toThrow(RangeError);
    expect(() => q.schedule(MAX_TIME, () => {})).not.toThrow();
  });

  test('a guard that is not a positive integer', () => {
    expect(() => new EventQueue({ maxEventsPerRun: 0 })).toThrow(
      'EventQueue: maxEventsPerRun 0 must be a positive integer',
    );
    expect(() => new EventQueue().runUntilIdle(-5)).toThrow(RangeError);
  });
});

describe('Timer', () => {
  test('fires once at its deadline, then is disarmed', () => {
    const q = new EventQueue();
    const fired: number[] = [];
    const t = q.timer((now) => fired.push(now));
    t.set(ms(200));
    expect(t.armed).toBe(true);
    expect(t.deadline).toBe(ms(200));
    q.runUntil(ms(200) - 1);
    expect(fired).toEqual([]);
    q.runUntil(ms(200));
    expect(fired).toEqual([ms(200)]);
    expect(t.armed).toBe(false);
    expect(t.deadline).toBeUndefined();
  });

  test('re-armed later 100 000 times, it holds one heap entry and fires once, at the last deadline', () => {
    const q = new EventQueue();
    const fired: number[] = [];
    const t = q.timer((now) => fired.push(now));
    t.set(ms(200));
    let maxHeap = 0;
    for (let ack = 1; ack <= 100_000; ack++) {
      q.runUntil(ack * 10_000);
      t.setAfter(ms(200));
      maxHeap = Math.max(maxHeap, q.heapSize);
    }
    expect(maxHeap).toBe(1);
    const last = 100_000 * 10_000 + ms(200);
    q.runUntilIdle();
    expect(fired).toEqual([last]);
  });

  test('re-armed earlier, it fires at the earlier deadline only', () => {
    const q = new EventQueue();
    const fired: number[] = [];
    const t = q.timer((now) => fired.push(now));
    t.set(s(3));
    t.set(s(1));
    q.runUntilIdle();
    expect(fired).toEqual([s(1)]);
  });

  test('re-arming orders like cancelling and scheduling anew', () => {
    const q = new EventQueue();
    const log: string[] = [];
    const t = q.timer(() => log.push('timer'));
    q.schedule(ms(5), () => log.push('before'));
    t.set(ms(5));
    q.schedule(ms(5), () => log.push('between'));
    t.set(ms(5)); // re-armed to the same instant: now after 'between'
    q.schedule(ms(5), () => log.push('after'));
    q.runUntilIdle();
    expect(log).toEqual(['before', 'between', 'timer', 'after']);
  });

  test('a timer pushed back runs after events scheduled at its new deadline before the re-arm', () => {
    const q = new EventQueue();
    const log: string[] = [];
    const t = q.timer(() => log.push('timer'));
    t.set(ms(1));
    q.schedule(ms(9), () => log.push('other'));
    t.set(ms(9));
    q.runUntilIdle();
    expect(log).toEqual(['other', 'timer']);
  });

  test('a timer pushed back is not fired at its old deadline, and nextTime() shows the new one', () => {
    const q = new EventQueue();
    const fired: number[] = [];
    const t = q.timer((now) => fired.push(now));
    t.set(ms(1));
    t.set(ms(5));
    expect(q.nextTime()).toBe(ms(5));
    q.runUntil(ms(2));
    expect(fired).toEqual([]);
    expect(t.deadline).toBe(ms(5));
    q.runUntil(ms(5));
    expect(fired).toEqual([ms(5)]);
  });

  test('clear disarms it', () => {
    const q = new EventQueue();
    let fired = 0;
    const t = q.timer(() => fired++);
    t.set(ms(1));
    expect(t.clear()).toBe(true);
    expect(t.clear()).toBe(false);
    expect(q.size).toBe(0);
    q.runUntilIdle();
    expect(fired).toBe(0);
  });

  test('its action may re-arm it (a periodic timer)', () => {
    const q = new EventQueue();
    const fired: number[] = [];
    const t = q.timer((now) => {
      fired.push(now);
      if (fired.length < 4) t.set(now + s(75));
    });
    t.set(s(7200)); // tcp_keepalive_time, then tcp_keepalive_intvl
    q.runUntilIdle();
    expect(fired).toEqual([s(7200), s(7275), s(7350), s(7425)]);
  });

  test('a target object: its onTimer runs at the deadline, with the target as this, ordered like a closure', () => {
    const q = new EventQueue();
    const log: string[] = [];
    class Sock {
      readonly name: string;
      readonly timer: Timer;
      constructor(name: string) {
        this.name = name;
        this.timer = q.timer(this);
      }
      onTimer(now: number): void {
        log.push(`${this.name}@${now}`);
        if (this.timer.armed) log.push('still armed');
      }
    }
    const a = new Sock('a');
    const b = new Sock('b');
    const c = q.timer((now) => log.push(`closure@${now}`));
    b.timer.set(ms(5));
    c.set(ms(5));
    a.timer.set(ms(1));
    a.timer.set(ms(5)); // pushed back: now after b and the closure timer
    q.runUntil(ms(5) - 1);
    expect(log).toEqual([]);
    q.runUntil(ms(5));
    expect(log).toEqual([`b@${ms(5)}`, `closure@${ms(5)}`, `a@${ms(5)}`]);
    expect(a.timer.armed).toBe(false);
    expect(q.size).toBe(0);
  });

  test('a compaction of cancelled events leaves timers in place to move and clear', () => {
    // 1000 plain events, then three timers; cancelling 900 events rebuilds the
    // heap (COMPACT_MIN_CANCELLED), after which the timers are re-armed
    // earlier, cleared and armed again: they must still be found where they are.
    const q = new EventQueue();
    const log: string[] = [];
    const handles: EventHandle[] = [];
    for (let i = 0; i < 1000; i++) handles.push(q.schedule(1000 + i, () => log.push(`e${i}`)));
    const timers = [0, 1, 2].map((k) => q.timer(() => log.push(`t${k}`)));
    for (let k = 0; k < 3; k++) timers[k]!.set(5000 + k);
    for (let i = 0; i < 1000; i++) if (i % 10 !== 0) handles[i]!.cancel();
    expect(q.heapSize).toBeLessThanOrEqual(2 * q.size + COMPACT_MIN_CANCELLED);
    expect(q.size).toBe(103);
    timers[2]!.set(1005); // earlier: moves up, runs after e0 (1000), before e10 (1010)
    timers[1]!.clear();
    timers[0]!.set(1500); // earlier than 5000
    timers[1]!.set(1000); // armed again at 1000: after e0, which was scheduled first
    q.runUntilIdle();
    const expected = ['e0', 't1', 't2'];
    for (let i = 10; i < 1000; i += 10) {
      expected.push(`e${i}`);
      // e500 is due at 1500 too, and was scheduled before t0 was re-armed.
      if (i === 500) expected.push('t0');
    }
    expect(log).toEqual(expected);
  });

  test('timers cleared and fired by the hundred, then armed again, run at their new deadlines in order', () => {
    // More timers than the queue keeps spare entries for; each re-arms itself
    // once when it fires (taking back the entry its firing gave up, or another).
    const q = new EventQueue();
    const ran: [number, number][] = [];
    const timers: Timer[] = [];
    for (let k = 0; k < 100; k++) {
      const t = q.timer((now) => {
        ran.push([k, now]);
        if (now < 1000) t.set(now + 1000);
      });
      timers.push(t);
    }
    for (let k = 0; k < 100; k++) timers[k]!.set(10 + k);
    for (let k = 0; k < 100; k += 2) expect(timers[k]!.clear()).toBe(true);
    expect(q.size).toBe(50);
    for (let k = 0; k < 100; k += 2) timers[k]!.set(500 - k);
    q.runUntilIdle();
    // Odd timers at 10 + k, even ones at 500 - k, then each again 1000 ns later.
    const firsts = timers.map((_, k) => [k, k % 2 === 1 ? 10 + k : 500 - k] as [number, number]);
    const expected = [...firsts, ...firsts.map(([k, t]) => [k, t + 1000] as [number, number])];
    expected.sort((x, y) => x[1] - y[1]);
    expect(ran).toEqual(expected);
    expect(q.heapSize).toBe(0);
    for (const t of timers) expect(t.armed).toBe(false);
  });

  test('model check: timers set, re-set and cleared among events run as cancel + schedule would (seeded)', () => {
    // Three timers and plain events; each arming of a timer is, in the model,
    // the cancellation of its previous event and a new event (time, seq). A
    // timer leaves no dead entry in the heap: until a plain event is cancelled
    // (lazily), the heap holds exactly what is waiting.
    const step = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        timer: fc.integer({ min: 0, max: 2 }),
        delay: fc.integer({ min: 0, max: 30 }),
      }),
      fc.record({ op: fc.constant('clear' as const), timer: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ op: fc.constant('event' as const), delay: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('run' as const), span: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const q = new EventQueue();
        const ran: string[] = [];
        const model: { time: number; seq: number; name: string }[] = [];
        const expected: string[] = [];
        let seqNo = 0;
        let events = 0;
        let plainCancels = 0;
        const handles: EventHandle[] = [];
        const timers = [0, 1, 2].map((k) => q.timer(() => ran.push(`t${k}`)));
        const unmodel = (name: string) => {
          const i = model.findIndex((m) => m.name === name);
          if (i >= 0) model.splice(i, 1);
        };
        for (const st of steps) {
          if (st.op === 'set') {
            unmodel(`t${st.timer}`);
            model.push({ time: q.now + st.delay, seq: seqNo++, name: `t${st.timer}` });
            timers[st.timer]!.set(q.now + st.delay);
          } else if (st.op === 'clear') {
            const armed = model.some((m) => m.name === `t${st.timer}`);
            unmodel(`t${st.timer}`);
            expect(timers[st.timer]!.clear()).toBe(armed);
          } else if (st.op === 'event') {
            const name = `e${events++}`;
            model.push({ time: q.now + st.delay, seq: seqNo++, name });
            handles.push(q.schedule(q.now + st.delay, () => ran.push(name)));
          } else if (st.op === 'cancel') {
            if (handles.length === 0) continue;
            const i = st.pick % handles.length;
            const pending = model.some((m) => m.name === `e${i}`);
            unmodel(`e${i}`);
            expect(handles[i]!.cancel()).toBe(pending);
            if (pending) plainCancels++;
          } else {
            const until = q.now + st.span;
            q.runUntil(until);
            model.sort((x, y) => x.time - y.time || x.seq - y.seq);
            while (model.length > 0 && model[0]!.time <= until) expected.push(model.shift()!.name);
            expect(ran).toEqual(expected);
          }
          expect(q.size).toBe(model.length);
          if (plainCancels === 0) expect(q.heapSize).toBe(model.length);
          else expect(q.heapSize).toBeLessThanOrEqual(2 * q.size + COMPACT_MIN_CANCELLED);
          for (let k = 0; k < 3; k++) {
            expect(timers[k]!.deadline).toBe(model.find((m) => m.name === `t${k}`)?.time);
          }
        }
        q.runUntilIdle();
        model.sort((x, y) => x.time - y.time || x.seq - y.seq);
        expect(ran).toEqual([...expected, ...model.map((m) => m.name)]);
        expect(q.heapSize).toBe(0);
      }),
      { seed: 5, numRuns: 400 },
    );
  });

  test('misuse throws RangeError', () => {
    const q = new EventQueue();
    q.runUntil(5);
    const t = q.timer(() => {});
    expect(() => t.set(4)).toThrow(/Timer\.set: time 0\.000000004s is before now/);
    expect(() => t.setAfter(-1)).toThrow(RangeError);
  });
});

describe('EventLane', () => {
  test('model check: events in lanes and by themselves run as if all were scheduled alike (seeded)', () => {
    // Each step schedules, at a delay from now, on one of two lanes or on the
    // queue itself; some events schedule more when they run. Whatever goes
    // through a lane (in order or not) must run exactly where `schedule` would
    // have run it: by (time, insertion number).
    const step = fc.record({
      where: fc.constantFrom('lane0', 'lane1', 'queue'),
      delay: fc.integer({ min: 0, max: 20 }),
      child: fc.boolean(),
      advance: fc.integer({ min: 0, max: 10 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const q = new EventQueue();
        const ran: number[] = [];
        const model: { time: number; seq: number; id: number }[] = [];
        let seqNo = 0;
        let nextId = 0;
        const expected: number[] = [];
        const lanes = [0, 1].map(() => q.lane<number>((id) => ran.push(id)));
        const put = (where: string, at: number) => {
          const id = nextId++;
          model.push({ time: at, seq: seqNo++, id });
          if (where === 'queue') q.schedule(at, () => ran.push(id));
          else lanes[where === 'lane0' ? 0 : 1]!.schedule(at, id);
          return id;
        };
        for (const s of steps) {
          put(s.where, q.now + s.delay);
          const until = q.now + s.advance;
          q.runUntil(until);
          // The model: everything due by `until`, by (time, seq).
          model.sort((x, y) => x.time - y.time || x.seq - y.seq);
          while (model.length > 0 && model[0]!.time <= until) expected.push(model.shift()!.id);
          expect(ran).toEqual(expected);
          expect(q.size).toBe(model.length);
        }
        q.runUntilIdle();
        model.sort((x, y) => x.time - y.time || x.seq - y.seq);
        expect(ran).toEqual([...expected, ...model.map((m) => m.id)]);
        expect(q.size).toBe(0);
        expect(lanes[0]!.size + lanes[1]!.size).toBe(0);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  test('a lane holds one heap entry however many events wait in it', () => {
    const q = new EventQueue();
    const got: number[] = [];
    const lane = q.lane<number>((v, now) => got.push(v * 1000 + now));
    for (let i = 0; i < 5000; i++) lane.schedule(i, i);
    expect(q.heapSize).toBe(1);
    expect(q.size).toBe(5000);
    expect(lane.size).toBe(5000);
    q.runUntil(2499);
    expect(got.length).toBe(2500);
    expect(q.size).toBe(2500);
    q.runUntilIdle();
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i * 1000 + i));
    // Empty, then in use again.
    lane.schedule(q.now + 1, 7);
    q.runUntilIdle();
    expect(got.at(-1)).toBe(7 * 1000 + 5000);
  });

  test('an event earlier than the lane last one runs at its own time, by itself', () => {
    const q = new EventQueue();
    const got: string[] = [];
    const lane = q.lane<string>((v) => got.push(v));
    lane.schedule(10, 'late');
    lane.schedule(5, 'early');
    q.schedule(5, () => got.push('queue at 5'));
    q.runUntilIdle();
    expect(got).toEqual(['early', 'queue at 5', 'late']);
    expect(() => lane.schedule(q.now - 1, 'past')).toThrow(RangeError);
  });
});
