/**
 * The event queue: a virtual clock and the actions scheduled on it.
 *
 * Events are kept in a binary min-heap ordered by `(time, insertion number)`: the
 * earliest runs first, and events due at the same instant run in the order they
 * were scheduled (STYLE.md 4), so a run never depends on how the heap happens to
 * break ties. `now` only moves forward, to the time of the event being run or to
 * the end of a `runUntil`.
 *
 * A TCP driver re-arms its retransmission timer on every ACK and clears it when
 * the connection ends, so a `Timer` (see `EventQueue.timer`) holds one heap
 * entry while armed, which knows its place in the heap: re-armed to an earlier
 * deadline, the entry moves up in place; re-armed to a later one, the usual
 * case, it stays where it is and is pushed back to the new deadline only when
 * it reaches the top; cleared, it leaves the heap at once. A timer thus never
 * leaves a dead entry behind for later events to sift past, and the order of
 * events is exactly what cancelling and scheduling anew would give (the
 * re-armed timer takes a fresh insertion number).
 *
 * Cancelling a plain event (`EventHandle.cancel`) is lazy: the entry stays in
 * the heap, marked, and is discarded when it reaches the top. When cancelled
 * entries are more than half of the heap (and there are at least
 * `COMPACT_MIN_CANCELLED` of them) the heap is rebuilt without them, in linear
 * time; each cancellation thus costs amortized O(1) and the heap never holds
 * more than about twice the live events.
 *
 * Frames on a link arrive in the order they were sent: a link hands them to an
 * `EventLane`, a FIFO behind one heap entry, so thousands of frames in flight
 * cost the heap one entry and each frame O(1), in exactly the order separate
 * events would have had.
 *
 * Every run call is bounded by a maximum number of events (`maxEventsPerRun`), so
 * a lab with a bug (a zero-delay event that reschedules itself forever) stops with
 * a `RunawayError` that says where it was in virtual time, instead of hanging.
 */

import { type Duration, formatTime, MAX_TIME, type Time } from './time.js';

/** What an event does. It is handed the current virtual time. */
export type EventAction = (now: Time) => void;

/**
 * What a `Timer` can run instead of a closure: an object whose `onTimer` method
 * is called at the deadline. A connection's sock is its own timer's target, so
 * that thousands of idle connections carry no closure and context each.
 */
export interface TimerTarget {
  onTimer(now: Time): void;
}

/**
 * What a heap entry runs: an event's action, handed its own entry too (an
 * EventAction ignores it; a Timer's entries share one function that finds their
 * timer through it).
 */
type EntryAction = (now: Time, entry: Entry) => void;

/** A scheduled event, as seen by whoever scheduled it. */
export interface EventHandle {
  /** When it runs (or was to run). */
  readonly time: Time;
  /** True until it has run or been cancelled. */
  readonly pending: boolean;
  /** Cancels it; true if it was pending. Cancelling twice, or after it ran, does nothing. */
  cancel(): boolean;
}

/**
 * At most this many events per run call unless told otherwise: far beyond any lab
 * (a 127 s SYN timeout is a dozen events; a bulk transfer of 100 MB a few hundred
 * thousand), and about a second of wall time for a runaway loop.
 */
export const DEFAULT_MAX_EVENTS_PER_RUN = 10_000_000;

/** The heap is compacted only when at least this many cancelled entries are in it. */
export const COMPACT_MIN_CANCELLED = 64;

/** How many spare timer entries a queue keeps (EventHeap.spareTimerEntries). */
const SPARE_TIMER_ENTRIES = 64;

export interface EventQueueOptions {
  /** The guard for each run call; default `DEFAULT_MAX_EVENTS_PER_RUN`. */
  readonly maxEventsPerRun?: number;
}

/** A run call ran its maximum number of events without reaching its end. */
export class RunawayError extends Error {
  /** Events run by the call that gave up. */
  readonly events: number;
  /** Virtual time when it gave up (the time of the last event run). */
  readonly time: Time;

  constructor(call: string, events: number, time: Time) {
    super(
      `${call}: runaway simulation: ran ${events} events without finishing, at virtual time ` +
        `${formatTime(time)} (the limit of events per run call; a bug that reschedules an ` +
        'event forever, or raise maxEventsPerRun if this much work is expected)',
    );
    this.name = 'RunawayError';
    this.events = events;
    this.time = time;
  }
}

/**
 * A heap entry: an event, a Timer's deadline or a lane's head. `time`/`seq`
 * are its place in the heap, `index` its slot in the heap's array while it
 * waits there (-1 otherwise); `due`/`dueSeq` are when it must really run. They
 * differ only for a Timer re-armed to a later deadline while armed (the entry
 * is then early, and is pushed back when it reaches the top). `action` is null
 * once a plain event is cancelled (it waits in the heap to be discarded). One
 * class for all three kinds, so that the heap's comparisons see one shape.
 */
class Entry implements EventHandle {
  time: Time;
  seq: number;
  due: Time;
  dueSeq: number;
  index = -1;
  action: EntryAction | null;
  readonly heap: EventHeap;
  /** The timer whose deadline this is, for Timer entries (a spare one changes timers). */
  timer: Timer | null;

  constructor(heap: EventHeap, time: Time, seq: number, action: EntryAction, timer: Timer | null) {
    this.heap = heap;
    this.time = time;
    this.seq = seq;
    this.due = time;
    this.dueSeq = seq;
    this.action = action;
    this.timer = timer;
  }

  get pending(): boolean {
    return this.index >= 0 && this.action !== null;
  }

  /** EventHandle.cancel, for plain events (a Timer's entry leaves by `EventHeap.remove`). */
  cancel(): boolean {
    if (!this.pending) return false;
    this.action = null;
    this.heap.cancelled++;
    this.heap.compactIfMostlyCancelled();
    return true;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * The state behind an EventQueue and its Timers: the clock, the insertion counter
 * and the binary heap, whose entries know their slots, with its accounting of
 * cancelled entries.
 */
class EventHeap {
  /**
   * The current instant. Declared without a value on purpose (a speed matter):
   * the field starts as undefined, so V8 keeps it tagged, and `now = e.time`
   * stores the entry's boxed instant as it is, which every reader of `now` then
   * shares. A field that started as a number would hold a raw double, and each
   * read of it past 2^31 ns (2.1 s) outside inlined code would box it anew.
   */
  now: Time;
  nextSeq = 0;
  readonly entries: Entry[] = [];
  /** Entries in `entries` whose action is null (cancelled, waiting to be discarded). */
  cancelled = 0;
  /** Events waiting in lanes behind their lane's head (which is in `entries`). */
  laned = 0;
  /**
   * Timer entries no timer holds any more (fired or cleared), for the next timer
   * armed: most connections arm and clear their timer a few times per
   * exchange. Nothing outside this module sees a timer's entry, so a spare one
   * is never still in anyone's hands. At most SPARE_TIMER_ENTRIES.
   */
  readonly spareTimerEntries: Entry[] = [];

  constructor() {
    this.now = 0;
  }

  get live(): number {
    return this.entries.length - this.cancelled + this.laned;
  }

  /**
   * The next entry to run, or undefined if none: discards cancelled entries and
   * pushes early (re-armed) entries back to their due time on the way. It stops
   * at an entry beyond `until` without looking further (such an entry may be
   * cancelled or early, but whatever is due runs later still), so a run never
   * pays for timers re-armed beyond its end.
   */
  peek(until: Time): Entry | undefined {
    const a = this.entries;
    for (;;) {
      const top = a[0];
      if (top === undefined || top.time > until) return top;
      if (top.action === null) {
        this.removeTop();
        this.cancelled--;
      } else if (top.time !== top.due || top.seq !== top.dueSeq) {
        top.time = top.due;
        top.seq = top.dueSeq;
        this.siftDown(top, 0);
      } else {
        return top;
      }
    }
  }

  push(e: Entry): void {
    const a = this.entries;
    const i = a.length;
    a.push(e);
    this.siftUp(e, i);
  }

  /** Removes the top entry, which the caller has just read from `entries[0]`. */
  removeTop(): void {
    const a = this.entries;
    const top = a[0]!;
    top.index = -1;
    const last = a.pop()!;
    if (last !== top) this.siftDown(last, 0);
  }

  /** Removes `e`, which is in the heap and not cancelled, from wherever it is. */
  remove(e: Entry): void {
    const a = this.entries;
    const i = e.index;
    e.index = -1;
    const last = a.pop()!;
    if (last === e) return;
    // The last entry fills the hole, then moves whichever way its key says.
    if (i > 0 && before(last, a[(i - 1) >> 1]!)) this.siftUp(last, i);
    else this.siftDown(last, i);
  }

  /** Rebuilds the heap without its cancelled entries when they are most of it. */
  compactIfMostlyCancelled(): void {
    if (this.cancelled < COMPACT_MIN_CANCELLED || this.cancelled * 2 <= this.entries.length) return;
    const a = this.entries;
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      const e = a[i]!;
      if (e.action === null) {
        e.index = -1;
      } else {
        a[n] = e;
        e.index = n++;
      }
    }
    a.length = n;
    this.cancelled = 0;
    // Floyd's heapify, O(n).
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(a[i]!, i);
  }

  /** Puts `e` at slot `i` or above it, moving the entries it precedes down. */
  siftUp(e: Entry, i: number): void {
    const a = this.entries;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (!before(e, p)) break;
      a[i] = p;
      p.index = i;
      i = parent;
    }
    a[i] = e;
    e.index = i;
  }

  /** Puts `e` at slot `i` or below it, moving the entries that precede it up. */
  private siftDown(e: Entry, i: number): void {
    const a = this.entries;
    const n = a.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(a[right]!, a[child]!)) child = right;
      const c = a[child]!;
      if (!before(c, e)) break;
      a[i] = c;
      c.index = i;
      i = child;
    }
    a[i] = e;
    e.index = i;
  }
}

/** The virtual clock and everything scheduled on it. */
export class EventQueue {
  readonly #heap = new EventHeap();
  readonly #maxEventsPerRun: number;
  #eventsRun = 0;
  #running = false;

  constructor(options: EventQueueOptions = {}) {
    const max = options.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
    checkEventLimit('EventQueue', 'maxEventsPerRun', max);
    this.#maxEventsPerRun = max;
  }

  /** The current virtual time. */
  get now(): Time {
    return this.#heap.now;
  }

  /** Events waiting to run. */
  get size(): number {
    return this.#heap.live;
  }

  /** Entries in the heap (a lane's waiting events are behind one): what memory the heap holds. */
  get heapSize(): number {
    return this.#heap.entries.length;
  }

  /** Events run since the queue was made. */
  get eventsRun(): number {
    return this.#eventsRun;
  }

  /** The time of the next event, or undefined if nothing is scheduled. */
  nextTime(): Time | undefined {
    return this.#heap.peek(MAX_TIME)?.time;
  }

  /** Schedules `action` at the instant `at`, which must not be in the past. */
  schedule(at: Time, action: EventAction): EventHandle {
    checkInstant('schedule', at, this.#heap.now);
    const e = new Entry(this.#heap, at, this.#heap.nextSeq++, action, null);
    this.#heap.push(e);
    return e;
  }

  /** Schedules `action` `delay` nanoseconds from now. */
  after(delay: Duration, action: EventAction): EventHandle {
    if (!Number.isSafeInteger(delay) || delay < 0) {
      throw new RangeError(
        `after: delay ${delay} must be a non-negative integer number of nanoseconds`,
      );
    }
    return this.schedule(this.#heap.now + delay, action);
  }

  /**
   * A re-armable timer that runs `action`, or calls `action.onTimer`, at its
   * deadline (see `Timer`).
   */
  timer(action: EventAction | TimerTarget): Timer {
    return new Timer(this.#heap, action);
  }

  /** A FIFO of values handed to `handler` at their instants (see `EventLane`). */
  lane<T>(handler: (value: T, now: Time) => void): EventLane<T> {
    return new EventLane(this, this.#heap, handler);
  }

  /**
   * Runs the next event, advancing `now` to its time. False if there was none.
   */
  step(): boolean {
    this.#enter('step');
    try {
      const e = this.#heap.peek(MAX_TIME);
      if (e === undefined) return false;
      this.#run(e);
      return true;
    } finally {
      this.#running = false;
    }
  }

  /**
   * Runs events until none is left. Returns how many ran. Throws a `RunawayError`
   * after `limit` events (default: the queue's `maxEventsPerRun`) if more remain.
   */
  runUntilIdle(limit: number = this.#maxEventsPerRun): number {
    checkEventLimit('runUntilIdle', 'limit', limit);
    return this.#loop('runUntilIdle', MAX_TIME, limit, undefined).events;
  }

  /**
   * Runs every event due at or before `time` (an event exactly at `time` runs),
   * then sets `now` to `time`. Returns how many events ran.
   */
  runUntil(time: Time): number {
    checkInstant('runUntil', time, this.#heap.now);
    const events = this.#loop('runUntil', time, this.#maxEventsPerRun, undefined).events;
    this.#heap.now = time;
    return events;
  }

  /**
   * Runs events while `predicate()` is true, checking it before each event, up to
   * the instant `timeLimit` (inclusive, like `runUntil`). Returns true if the
   * predicate became false (`now` is then the time of the event that made it so),
   * false if time ran out or nothing was left to run (`now` is then `timeLimit`).
   */
  runWhile(predicate: () => boolean, timeLimit: Time): boolean {
    checkInstant('runWhile', timeLimit, this.#heap.now);
    const stop = this.#loop('runWhile', timeLimit, this.#maxEventsPerRun, predicate).stop;
    if (stop === 'predicate') return true;
    this.#heap.now = timeLimit;
    return false;
  }

  #loop(
    call: string,
    until: Time,
    limit: number,
    predicate: (() => boolean) | undefined,
  ): { stop: 'idle' | 'time' | 'predicate'; events: number } {
    this.#enter(call);
    let events = 0;
    try {
      for (;;) {
        if (predicate !== undefined && !predicate()) return { stop: 'predicate', events };
        const e = this.#heap.peek(until);
        if (e === undefined) return { stop: 'idle', events };
        if (e.time > until) return { stop: 'time', events };
        if (events === limit) throw new RunawayError(call, events, this.#heap.now);
        this.#run(e);
        events++;
      }
    } finally {
      this.#running = false;
    }
  }

  /** Runs `e`, which `peek()` has just returned. */
  #run(e: Entry): void {
    this.#heap.removeTop();
    this.#heap.now = e.time;
    this.#eventsRun++;
    e.action!(e.time, e);
  }

  #enter(call: string): void {
    if (this.#running) {
      throw new Error(
        `${call}: called from inside an event; an event schedules more work, it does not run the queue`,
      );
    }
    this.#running = true;
  }
}

/** Throws unless `t` is an exact instant no earlier than `now`. */
function checkInstant(call: string, t: Time, now: Time): void {
  if (!Number.isSafeInteger(t)) {
    throw new RangeError(`${call}: time ${t} is not an integer number of nanoseconds within 2^53`);
  }
  if (t < now) {
    throw new RangeError(
      `${call}: time ${formatTime(t)} is before now (${formatTime(now)}); virtual time does not go backwards`,
    );
  }
}

function checkEventLimit(call: string, name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`${call}: ${name} ${n} must be a positive integer`);
  }
}

/**
 * A timer that can be armed, re-armed and cleared any number of times, holding at
 * most one heap entry: the shape of a TCP connection's timers, whose driver
 * re-arms one timer to `conn.nextDeadline()` after every input (STYLE.md 4).
 *
 * Arming it is equivalent to cancelling the previous event and scheduling a new
 * one, order included: a timer armed at instant T runs after every event that
 * was scheduled at T before it was armed, and before those scheduled after.
 */
export class Timer {
  readonly #heap: EventHeap;
  readonly #action: EventAction | TimerTarget;
  /**
   * The entry in the heap, while armed; its due time is the deadline. An
   * unarmed timer holds none (thousands of idle connections each have a timer).
   */
  #entry: Entry | null = null;

  /**
   * What the entries of every timer run: an entry that runs is its timer's
   * current one, so one function serves all, and a timer costs no closure of
   * its own.
   */
  static readonly #fire: EntryAction = (now, entry) => {
    const timer = entry.timer!;
    timer.#entry = null;
    timer.#spare(entry);
    const action = timer.#action;
    if (typeof action === 'function') action(now);
    else action.onTimer(now);
  };

  /** Made by `EventQueue.timer(action)`. */
  constructor(heap: EventHeap, action: EventAction | TimerTarget) {
    this.#heap = heap;
    this.#action = action;
  }

  /** When it will fire, or undefined if it is not armed. */
  get deadline(): Time | undefined {
    return this.#entry?.due;
  }

  get armed(): boolean {
    return this.#entry !== null;
  }

  /** Arms the timer to fire at `at`, replacing any earlier arming. */
  set(at: Time): void {
    const heap = this.#heap;
    checkInstant('Timer.set', at, heap.now);
    const seq = heap.nextSeq++;
    const e = this.#entry;
    if (e !== null) {
      // No entry to make and none left behind: a later deadline waits for the
      // entry to surface (peek() pushes it back), an earlier one moves it up.
      e.due = at;
      e.dueSeq = seq;
      if (at < e.time) {
        e.time = at;
        e.seq = seq;
        heap.siftUp(e, e.index);
      }
      return;
    }
    const spare = heap.spareTimerEntries.pop();
    let fresh: Entry;
    if (spare === undefined) fresh = new Entry(heap, at, seq, Timer.#fire, this);
    else {
      // As the constructor sets them (`index` is already -1, out of the heap).
      fresh = spare;
      fresh.time = at;
      fresh.seq = seq;
      fresh.due = at;
      fresh.dueSeq = seq;
      fresh.timer = this;
    }
    this.#entry = fresh;
    heap.push(fresh);
  }

  /** Arms the timer to fire `delay` nanoseconds from now. */
  setAfter(delay: Duration): void {
    if (!Number.isSafeInteger(delay) || delay < 0) {
      throw new RangeError(
        `Timer.setAfter: delay ${delay} must be a non-negative integer number of nanoseconds`,
      );
    }
    this.set(this.#heap.now + delay);
  }

  /** Disarms the timer. True if it was armed. */
  clear(): boolean {
    const e = this.#entry;
    if (e === null) return false;
    this.#entry = null;
    this.#heap.remove(e);
    this.#spare(e);
    return true;
  }

  /** Keeps `e`, which left the heap and this timer, for the next timer armed. */
  #spare(e: Entry): void {
    const spare = this.#heap.spareTimerEntries;
    if (spare.length < SPARE_TIMER_ENTRIES) {
      e.timer = null;
      spare.push(e);
    }
  }
}

/**
 * Events that arrive in the order they are scheduled, each handing a value to
 * one handler: the frames a link delivers to one receiver, which arrive in the
 * order they were sent (link.ts). Only the earliest is in the heap; the rest
 * wait in a FIFO behind it, so a link with thousands of frames in flight costs
 * the heap one entry. The order of events is exactly what `schedule` would
 * give: each event takes its insertion number when scheduled, and the heap
 * orders the lane's head among the other events by it. An event scheduled
 * earlier than the lane's last one (a frame held back to be reordered) does not
 * join the FIFO: it goes to the heap by itself.
 */
export class EventLane<T> {
  readonly #queue: EventQueue;
  readonly #heap: EventHeap;
  readonly #handler: (value: T, now: Time) => void;
  /** The lane's head, in the heap while the lane holds anything. */
  readonly #entry: Entry;
  /**
   * The events waiting, `[#head, #tail)` of three parallel arrays. A lane that
   * empties keeps its arrays (it fills again at once, event after event).
   * `#times` starts with a placeholder that is not a number (overwritten by the
   * first event) so that V8 makes it an array of tagged values, not of raw
   * doubles: an instant is then kept in the box it was scheduled with, which
   * the head's entry takes as it is, instead of being boxed anew for it.
   */
  readonly #times: (Time | undefined)[] = [undefined];
  readonly #seqs: number[] = [];
  readonly #values: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;

  /** Made by `EventQueue.lane(handler)`. */
  constructor(queue: EventQueue, heap: EventHeap, handler: (value: T, now: Time) => void) {
    this.#queue = queue;
    this.#heap = heap;
    this.#handler = handler;
    this.#entry = new Entry(heap, 0, 0, this.#runHead, null);
  }

  /** Events scheduled and not yet run. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /** Hands `value` to the handler at the instant `at`, which must not be in the past. */
  schedule(at: Time, value: T): void {
    const heap = this.#heap;
    checkInstant('EventLane.schedule', at, heap.now);
    const n = this.#tail;
    const empty = n === this.#head;
    if (!empty && at < (this.#times[n - 1] as Time)) {
      // Out of order: an event of its own.
      const handler = this.#handler;
      this.#queue.schedule(at, (now) => handler(value, now));
      return;
    }
    this.#times[n] = at;
    this.#seqs[n] = heap.nextSeq++;
    this.#values[n] = value;
    this.#tail = n + 1;
    if (empty) this.#pushHead();
    else heap.laned++;
  }

  /** Puts the head of the lane into the heap. */
  #pushHead(): void {
    const e = this.#entry;
    const i = this.#head;
    e.time = e.due = this.#times[i] as Time;
    e.seq = e.dueSeq = this.#seqs[i]!;
    this.#heap.push(e);
  }

  readonly #runHead = (now: Time): void => {
    const i = this.#head;
    const value = this.#values[i] as T;
    this.#values[i] = undefined;
    const head = i + 1;
    if (head === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
    } else {
      if (head >= 1024 && head * 2 >= this.#tail) {
        // Most of the arrays is behind the head: move the rest to the front.
        const n = this.#tail - head;
        this.#times.copyWithin(0, head, this.#tail);
        this.#seqs.copyWithin(0, head, this.#tail);
        this.#values.copyWithin(0, head, this.#tail);
        this.#values.fill(undefined, n, this.#tail);
        this.#head = 0;
        this.#tail = n;
      } else {
        this.#head = head;
      }
      this.#heap.laned--;
      this.#pushHead();
    }
    this.#handler(value, now);
  };
}
