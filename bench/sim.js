// Simulator benchmarks: the event queue, timers and a link, on the compiled code
// in dist/ (`npm run build` first). `node bench/sim.js` runs them; bench/run.js
// calls `run()`, which prints each figure with its unit and returns them.
//
// 1. queue: the "hold" model of priority-queue benchmarks. 10 000 events are
//    pending; each event, when it runs, schedules its successor a random 1 ns..1 ms
//    ahead, and one time in ten re-arms it (cancels it and schedules it anew), so
//    about 9% of all schedules are cancelled. Figure: events run per second,
//    each with its schedule (and, for 10%, a cancel and a second schedule).
// 2. re-arm: 1000 connections, each with a 200 ms retransmission timer pushed
//    later on every ACK (one per millisecond per connection, 2 s of virtual
//    time), by cancel + schedule and by Timer.set; re-arms per second and the
//    largest heap seen.
// 3. link: 1500-byte frames through a 1 Gbit/s link with 1 ms delay, 100 us jitter
//    and 1% loss, sent at line rate by a pump event; frames per second sent, and
//    the deliveries with them.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { EventQueue, Link, Random } from '../dist/sim/index.js';

const HOLD_EVENTS = 3_000_000;
const HOLD_PENDING = 10_000;
const REARMS = 2_000_000;
const CONNECTIONS = 1_000;
const FRAMES = 500_000;

function rate(n, ms) {
  return n / (ms / 1000);
}

function mega(x) {
  return `${(x / 1e6).toFixed(2)} M`;
}

/** Random delays drawn up front, so the figures measure the queue, not the generator. */
function delays(count, max) {
  const r = new Random('bench/sim');
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = r.int(1, max);
  return out;
}

function holdModel(total) {
  const q = new EventQueue({ maxEventsPerRun: total + HOLD_PENDING + 1 });
  const d = delays(1 << 16, 1_000_000);
  let i = 0;
  let ran = 0;
  let cancels = 0;
  const action = () => {
    ran++;
    if (ran + HOLD_PENDING > total) return; // drain
    const h = q.after(d[i++ & 0xffff], action);
    if ((i & 0xffff) % 10 === 0) {
      h.cancel();
      cancels++;
      q.after(d[i++ & 0xffff], action);
    }
  };
  for (let k = 0; k < HOLD_PENDING; k++) q.after(d[i++ & 0xffff], action);
  const t0 = performance.now();
  q.runUntilIdle();
  const ms = performance.now() - t0;
  return { ran, cancels, ms, maxHeap: q.heapSize };
}

function rearmCancelSchedule(total) {
  const q = new EventQueue();
  const handles = [];
  for (let c = 0; c < CONNECTIONS; c++) handles.push(q.schedule(200_000_000 + c, () => {}));
  let maxHeap = 0;
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    const c = k % CONNECTIONS;
    if (c === 0) q.runUntil(q.now + 1_000_000); // an ACK every 1 ms on each connection
    handles[c].cancel();
    handles[c] = q.after(200_000_000, () => {});
    if (q.heapSize > maxHeap) maxHeap = q.heapSize;
  }
  return { ms: performance.now() - t0, maxHeap };
}

function rearmTimer(total) {
  const q = new EventQueue();
  const timers = [];
  for (let c = 0; c < CONNECTIONS; c++) {
    const t = q.timer(() => {});
    t.set(200_000_000 + c);
    timers.push(t);
  }
  let maxHeap = 0;
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    const c = k % CONNECTIONS;
    if (c === 0) q.runUntil(q.now + 1_000_000);
    timers[c].setAfter(200_000_000);
    if (q.heapSize > maxHeap) maxHeap = q.heapSize;
  }
  return { ms: performance.now() - t0, maxHeap };
}

function linkThroughput(total) {
  const q = new EventQueue();
  const link = new Link(q, new Random('bench/link'), 'wan', {
    bandwidth: 1e9,
    delay: 1_000_000,
    jitter: 100_000,
    loss: 0.01,
  });
  let delivered = 0;
  const a = link.attach('a', () => {});
  link.attach('b', () => {
    delivered++;
  });
  const payload = new Uint8Array(1500);
  let sent = 0;
  // 1500 bytes at 1 Gbit/s is 12 us on the wire: send one every 12 us.
  const pump = () => {
    a.send(payload);
    if (++sent < total) q.after(12_000, pump);
  };
  q.schedule(0, pump);
  const t0 = performance.now();
  q.runUntilIdle();
  const ms = performance.now() - t0;
  return { sent, delivered, ms, lost: link.stats().dropped.loss, events: q.eventsRun };
}

export async function run() {
  // Warm up the JIT on small runs first.
  holdModel(200_000);
  rearmCancelSchedule(100_000);
  rearmTimer(100_000);
  linkThroughput(20_000);

  const hold = holdModel(HOLD_EVENTS);
  const holdRate = rate(hold.ran, hold.ms);
  console.log(
    `sim queue: hold model, ${HOLD_PENDING} pending, ${hold.cancels} of ${hold.ran + hold.cancels} schedules cancelled: ` +
      `${hold.ran} events in ${hold.ms.toFixed(0)} ms = ${mega(holdRate)} events/s`,
  );

  const cs = rearmCancelSchedule(REARMS);
  const tm = rearmTimer(REARMS);
  console.log(
    `sim re-arm: ${CONNECTIONS} timers re-armed ${REARMS} times: cancel + schedule ${mega(rate(REARMS, cs.ms))} re-arms/s ` +
      `(heap at most ${cs.maxHeap}), Timer.set ${mega(rate(REARMS, tm.ms))} re-arms/s (heap at most ${tm.maxHeap})`,
  );

  const link = linkThroughput(FRAMES);
  const frameRate = rate(link.sent, link.ms);
  console.log(
    `sim link: ${link.sent} frames of 1500 B (1 Gbit/s, 1 ms + 100 us jitter, 1% loss: ${link.lost} lost) ` +
      `in ${link.ms.toFixed(0)} ms = ${mega(frameRate)} frames/s (${mega(rate(link.events, link.ms))} events/s)`,
  );

  return {
    queueEventsPerSecond: holdRate,
    rearmCancelSchedulePerSecond: rate(REARMS, cs.ms),
    rearmTimerPerSecond: rate(REARMS, tm.ms),
    linkFramesPerSecond: frameRate,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
