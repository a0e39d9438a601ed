import { describe, expect, test } from 'vitest';
import { EventQueue } from '../../src/sim/events.js';
import {
  DEFAULT_LINK_PROPERTIES,
  Link,
  type LinkEvent,
  type PendingWork,
  serializationTime,
} from '../../src/sim/link.js';
import { Random } from '../../src/sim/random.js';
import { ms, s, us } from '../../src/sim/time.js';
import { frame, frameId, intact, net, pair } from './harness.js';

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((b, i) => b === y[i]);
}

/** Collects what a link reports. */
function observed(link: Link): LinkEvent[] {
  const seen: LinkEvent[] = [];
  link.observe((e) => seen.push(e));
  return seen;
}

describe('timing', () => {
  test('a frame arrives after serialization plus propagation, to the nanosecond', () => {
    // 1500 bytes at 10 Mbit/s: 12 000 bits = 1.2 ms on the wire, then 5 ms of propagation.
    const { events, a, atB } = pair({ bandwidth: 10e6, delay: ms(5) });
    a.send(frame(1, 1500));
    events.runUntil(ms(6.2) - 1);
    expect(atB.arrivals).toEqual([]);
    events.runUntil(ms(6.2));
    expect(atB.arrivals.map((x) => [x.id, x.time])).toEqual([[1, ms(6.2)]]);
  });

  test('frames sent back to back queue behind each other', () => {
    const { events, a, atB } = pair({ bandwidth: 10e6, delay: ms(5) });
    for (let i = 0; i < 3; i++) a.send(frame(i, 1500));
    events.runUntilIdle();
    expect(atB.arrivals.map((x) => x.time)).toEqual([ms(6.2), ms(7.4), ms(8.6)]);
  });

  test('a frame sent while the transmitter is busy starts when it is free; after idle, at once', () => {
    const { events, a, atB } = pair({ bandwidth: 10e6, delay: ms(5) });
    a.send(frame(1, 1500)); // on the wire 0 .. 1.2 ms
    events.schedule(ms(1), () => a.send(frame(2, 1500))); // waits until 1.2 ms
    events.schedule(ms(10), () => a.send(frame(3, 1500))); // idle by then
    events.runUntilIdle();
    expect(atB.arrivals.map((x) => x.time)).toEqual([ms(6.2), ms(7.4), ms(16.2)]);
  });

  test('serialization time rounds up to whole nanoseconds, never early', () => {
    expect(serializationTime(1500, 10e6)).toBe(1_200_000);
    expect(serializationTime(1500, 1e9)).toBe(12_000);
    expect(serializationTime(1, 3)).toBe(2_666_666_667); // 8/3 s
    expect(serializationTime(64, Number.POSITIVE_INFINITY)).toBe(0);
  });

  test('the default link is instant: arrival at the instant of sending', () => {
    const { events, a, atB } = pair();
    events.runUntil(ms(3));
    a.send(frame(7));
    events.runUntilIdle();
    expect(atB.arrivals.map((x) => [x.id, x.time])).toEqual([[7, ms(3)]]);
    expect(DEFAULT_LINK_PROPERTIES.queueLimit).toBe(1000);
  });

  test('delay counts from the instant of sending, late in a run too', () => {
    const { events, a, atB } = pair({ delay: s(1) });
    events.runUntil(s(10));
    a.send(frame(1));
    events.runUntilIdle();
    expect(atB.arrivals[0]!.time).toBe(s(11));
  });

  test('an echo comes back after two one-way trips', () => {
    const { events, a, b, atA, atB } = pair({ bandwidth: 100e6, delay: ms(20) });
    atB.echoVia = b;
    a.send(frame(1, 1250)); // 10 000 bits at 100 Mbit/s = 100 us each way
    events.runUntilIdle();
    expect(atB.arrivals[0]!.time).toBe(ms(20) + us(100));
    expect(atA.arrivals[0]!.time).toBe(2 * (ms(20) + us(100)));
  });

  test('the two directions are independent: each has its own transmitter and properties', () => {
    const { events, a, b, atA, atB } = pair({ bandwidth: 10e6 });
    b.configure({ delay: ms(50) });
    a.send(frame(1, 1500));
    b.send(frame(2, 1500)); // does not queue behind a's frame
    events.runUntilIdle();
    expect(atB.arrivals[0]!.time).toBe(ms(1.2));
    expect(atA.arrivals[0]!.time).toBe(ms(51.2));
    expect(a.properties.delay).toBe(0);
  });
});

describe('the transmit queue over time', () => {
  test('a long queue drains frame by frame while frames keep joining it, then empties and refills', () => {
    // 1000 bytes at 1 Mbit/s: 8 ms each. 3000 frames at once: all but the first wait.
    const { events, a, atB } = pair({
      bandwidth: 1e6,
      queueLimit: Number.POSITIVE_INFINITY,
      queueLimitBytes: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 3000; i++) a.send(frame(i, 1000));
    expect(a.queueLength).toBe(2999);
    expect(a.queueBytes).toBe(2_999_000);
    // Frame k starts at 8k ms; 1999 of them have started one nanosecond before 16 s.
    events.runUntil(ms(8 * 2000) - 1);
    expect(a.queueLength).toBe(1000);
    // Joining behind the rest (the queue's front has moved past most of its arrays).
    for (let i = 3000; i < 3010; i++) a.send(frame(i, 1000));
    events.runUntil(ms(8 * 2000));
    expect(a.queueLength).toBe(1009);
    expect(a.queueBytes).toBe(1_009_000);
    events.runUntilIdle();
    expect(a.queueLength).toBe(0);
    expect(a.queueBytes).toBe(0);
    expect(atB.ids).toEqual(Array.from({ length: 3010 }, (_, i) => i));
    const last = atB.arrivals.at(-1)!;
    expect(last.time).toBe(ms(8 * 3010));
    // Empty again: the next two frames are one on the wire, one waiting.
    a.send(frame(5000, 1000));
    a.send(frame(5001, 1000));
    expect(a.queueLength).toBe(1);
    events.runUntilIdle();
    expect(atB.arrivals.slice(-2).map((x) => [x.id, x.time - last.time])).toEqual([
      [5000, ms(8)],
      [5001, ms(16)],
    ]);
  });
});

describe('drops', () => {
  test('tail drop when queueLimit frames already wait; the frame on the wire does not count', () => {
    // 1000 bytes at 1 Mbit/s: 8 ms each.
    const { events, link, a, atB } = pair({ bandwidth: 1e6, queueLimit: 2 });
    const seen = observed(link);
    const accepted = [1, 2, 3, 4, 5].map((i) => a.send(frame(i, 1000)));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(a.queueLength).toBe(2);
    expect(a.queueBytes).toBe(2000);
    expect(seen.map((e) => [e.kind, e.kind === 'drop' && e.reason, frameId(e.frame)])).toEqual([
      ['drop', 'queue_full', 4],
      ['drop', 'queue_full', 5],
    ]);
    expect(seen[0]).toMatchObject({ link: 'lan', from: 'a', to: undefined, time: 0 });

    // One nanosecond before frame 2 starts, the queue is still full; at 8 ms it is not.
    events.runUntil(ms(8) - 1);
    expect(a.send(frame(6, 1000))).toBe(false);
    events.runUntil(ms(8));
    expect(a.queueLength).toBe(1);
    expect(a.send(frame(7, 1000))).toBe(true);
    events.runUntilIdle();
    expect(atB.ids).toEqual([1, 2, 3, 7]);
    expect(a.stats.dropped).toEqual({ mtu: 0, queue_full: 3, loss: 0 });
    expect(a.stats.framesSent).toBe(7);
    expect(a.stats.framesDelivered).toBe(4);
  });

  test('tail drop by bytes: a frame that would take the waiting bytes past the limit', () => {
    const { a } = pair({ bandwidth: 1e6, queueLimitBytes: 2500 });
    expect(a.send(frame(1, 1000))).toBe(true); // on the wire
    expect(a.send(frame(2, 1000))).toBe(true); // 1000 waiting
    expect(a.send(frame(3, 1000))).toBe(true); // 2000 waiting
    expect(a.send(frame(4, 1000))).toBe(false); // 3000 > 2500
    expect(a.send(frame(5, 500))).toBe(true); // exactly 2500
    expect(a.stats.dropped.queue_full).toBe(1);
  });

  test('queueLimit 0: a frame is taken only when the transmitter is idle', () => {
    const { events, a } = pair({ bandwidth: 1e6, queueLimit: 0 });
    expect(a.send(frame(1, 1000))).toBe(true);
    expect(a.send(frame(2, 1000))).toBe(false);
    events.runUntil(ms(8));
    expect(a.send(frame(3, 1000))).toBe(true);
  });

  test('a frame larger than the MTU is dropped and counted', () => {
    const { events, link, a, atB } = pair({ mtu: 1514 });
    const seen = observed(link);
    expect(a.send(frame(1, 1514))).toBe(true);
    expect(a.send(frame(2, 1515))).toBe(false);
    events.runUntilIdle();
    expect(atB.ids).toEqual([1]);
    expect(a.stats.dropped.mtu).toBe(1);
    expect(seen).toMatchObject([{ kind: 'drop', reason: 'mtu', from: 'a' }]);
    expect(seen[0]!.frame.length).toBe(1515);
  });

  test('loss 0.3 loses about 30%, each loss counted and reported with its receiver', () => {
    const { events, link, a, atB } = pair({ loss: 0.3 });
    const seen = observed(link);
    const n = 20_000;
    for (let i = 0; i < n; i++) a.send(frame(i));
    events.runUntilIdle();
    const lost = a.stats.dropped.loss;
    expect(Math.abs(lost - 0.3 * n)).toBeLessThan(4 * Math.sqrt(n * 0.3 * 0.7));
    expect(atB.arrivals.length + lost).toBe(n);
    expect(seen.length).toBe(lost);
    expect(seen.every((e) => e.kind === 'drop' && e.reason === 'loss' && e.to === 'b')).toBe(true);
    const lostIds = new Set(seen.map((e) => frameId(e.frame)));
    expect(atB.ids.some((id) => lostIds.has(id))).toBe(false);
  });

  test('loss 1 loses everything; the sender still sees its frames taken', () => {
    const { events, a, atB } = pair({ loss: 1 });
    expect(a.send(frame(1))).toBe(true);
    events.runUntilIdle();
    expect(atB.arrivals).toEqual([]);
    expect(a.stats.dropped.loss).toBe(1);
  });

  test('link.stats() adds up the directions', () => {
    const { events, link, a, b } = pair({ mtu: 100 });
    a.send(frame(1, 50));
    a.send(frame(2, 500));
    b.send(frame(3, 60));
    events.runUntilIdle();
    expect(link.stats()).toEqual({
      framesSent: 3,
      bytesSent: 610,
      framesDelivered: 2,
      bytesDelivered: 110,
      dropped: { mtu: 1, queue_full: 0, loss: 0 },
      duplicated: 0,
      corrupted: 0,
      reordered: 0,
    });
  });
});

describe('faults', () => {
  test('duplication delivers some frames twice, the copy right after the original', () => {
    const { events, link, a, atB } = pair({ duplicate: 0.2, delay: ms(1) });
    const seen = observed(link);
    const n = 5_000;
    for (let i = 0; i < n; i++) a.send(frame(i));
    events.runUntilIdle();
    const dups = a.stats.duplicated;
    expect(Math.abs(dups - 0.2 * n)).toBeLessThan(4 * Math.sqrt(n * 0.2 * 0.8));
    expect(atB.arrivals.length).toBe(n + dups);
    expect(a.stats.framesDelivered).toBe(n + dups);
    const dupIds = seen.filter((e) => e.kind === 'duplicate').map((e) => frameId(e.frame));
    expect(dupIds.length).toBe(dups);
    // Without reordering or jitter, arrivals are in order: each duplicate right after its original.
    const expected: number[] = [];
    const dupSet = new Set(dupIds);
    for (let i = 0; i < n; i++) expected.push(...(dupSet.has(i) ? [i, i] : [i]));
    expect(atB.ids).toEqual(expected);
  });

  test('corruption flips exactly one bit, in a copy; the sender’s bytes are untouched', () => {
    const { events, link, a, atB } = pair({ corrupt: 1 });
    const seen = observed(link);
    const sent = frame(9, 200);
    a.send(sent);
    events.runUntilIdle();
    expect(intact(sent)).toBe(true);
    const got = atB.arrivals[0]!.frame;
    let flipped = 0;
    let where = -1;
    for (let i = 0; i < sent.length * 8; i++) {
      const bit = 0x80 >> (i & 7);
      if ((got[i >> 3]! & bit) !== (sent[i >> 3]! & bit)) {
        flipped++;
        where = i;
      }
    }
    expect(flipped).toBe(1);
    expect(seen).toMatchObject([{ kind: 'corrupt', bit: where, to: 'b' }]);
    expect(a.stats.corrupted).toBe(1);
  });

  test('corrupt 0.1 corrupts about 10% of frames, and only those', () => {
    const { events, a, atB } = pair({ corrupt: 0.1 });
    const n = 10_000;
    for (let i = 0; i < n; i++) a.send(frame(i, 100));
    events.runUntilIdle();
    // Nothing is lost or reordered, so the k-th arrival is frame k.
    const bad = atB.arrivals.filter((x, k) => !sameBytes(x.frame, frame(k, 100))).length;
    expect(bad).toBe(a.stats.corrupted);
    expect(Math.abs(bad - 0.1 * n)).toBeLessThan(4 * Math.sqrt(n * 0.1 * 0.9));
  });

  test('reordering holds a frame back by reorderDelay, and later frames overtake it', () => {
    // One frame every 100 us, 1 ms of propagation; a held-back frame arrives 1 ms late.
    const { events, link, a, atB } = pair({ delay: ms(1), reorder: 0.1, reorderDelay: ms(1) });
    const seen = observed(link);
    const n = 2_000;
    for (let i = 0; i < n; i++) events.schedule(i * us(100), () => a.send(frame(i)));
    events.runUntilIdle();
    const held = new Set(seen.filter((e) => e.kind === 'reorder').map((e) => frameId(e.frame)));
    expect(held.size).toBe(a.stats.reordered);
    expect(Math.abs(held.size - 0.1 * n)).toBeLessThan(4 * Math.sqrt(n * 0.1 * 0.9));
    for (const x of atB.arrivals) {
      const sentAt = x.id * us(100);
      expect(x.time).toBe(sentAt + ms(1) + (held.has(x.id) ? ms(1) : 0));
    }
    // The frames not held back are in order; the held ones are out of place.
    expect(atB.ids.filter((id) => !held.has(id))).toEqual(
      Array.from({ length: n }, (_, i) => i).filter((i) => !held.has(i)),
    );
    expect(atB.ids).not.toEqual([...atB.ids].sort((x, y) => x - y));
  });

  test('jitter varies the delay within [delay, delay + jitter] and never reorders', () => {
    const { events, a, atB } = pair({ delay: ms(5), jitter: ms(1) });
    const n = 5_000;
    for (let i = 0; i < n; i++) events.schedule(i * us(10), () => a.send(frame(i)));
    events.runUntilIdle();
    const delays = atB.arrivals.map((x) => x.time - x.id * us(10));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(ms(5));
    expect(Math.max(...delays)).toBeLessThanOrEqual(ms(6));
    expect(new Set(delays).size).toBeGreaterThan(100);
    expect(atB.ids).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe('changing properties while running', () => {
  test('"now the link loses everything": frames already on their way still arrive', () => {
    const { events, link, a, atB } = pair({ delay: ms(10) });
    for (let i = 0; i < 10; i++) events.schedule(i * ms(1), () => a.send(frame(i)));
    events.schedule(ms(5) - 1, () => link.configure({ loss: 1 }));
    events.runUntilIdle();
    expect(atB.ids).toEqual([0, 1, 2, 3, 4]);
    expect(a.stats.dropped.loss).toBe(5);
  });

  test('a shorter delay set while frames are on their way does not let later frames overtake them', () => {
    // Frame 0 leaves at 0 with 10 ms of delay; the delay is cut to 1 ms, and
    // frame 1, sent at 1 ms, would arrive at 2 ms: it waits for frame 0 (FIFO).
    const { events, link, a, atB } = pair({ delay: ms(10) });
    a.send(frame(0));
    events.schedule(ms(1), () => {
      link.configure({ delay: ms(1) });
      a.send(frame(1));
    });
    events.schedule(ms(20), () => a.send(frame(2)));
    events.runUntilIdle();
    expect(atB.arrivals.map((x) => [x.id, x.time])).toEqual([
      [0, ms(10)],
      [1, ms(10)],
      [2, ms(21)],
    ]);
  });

  test('faults turned on and off again: the fault-free link times frames as before', () => {
    const { events, link, a, atB } = pair({ delay: ms(2) });
    a.send(frame(0));
    link.configure({ jitter: ms(1), duplicate: 0.5 });
    events.schedule(ms(1), () => {
      link.configure({ jitter: 0, duplicate: 0 });
      a.send(frame(1));
    });
    events.runUntilIdle();
    expect(atB.arrivals.map((x) => [x.id, x.time])).toEqual([
      [0, ms(2)],
      [1, ms(3)],
    ]);
  });

  test('link.configure changes every direction and endpoints attached later', () => {
    const { link, a, b } = pair();
    link.configure({ delay: ms(7) });
    const c = link.attach('c', () => {});
    expect([a, b, c].map((e) => e.properties.delay)).toEqual([ms(7), ms(7), ms(7)]);
  });

  test('a bad value changes nothing', () => {
    const { link, a } = pair({ loss: 0.1 });
    expect(() => link.configure({ loss: 0.2, delay: -1 })).toThrow(RangeError);
    expect(a.properties.loss).toBe(0.1);
    expect(link.properties.loss).toBe(0.1);
  });

  test('a bandwidth change applies to frames sent after it', () => {
    const { events, a, atB } = pair({ bandwidth: 1e6 });
    a.send(frame(1, 1000)); // 8 ms at 1 Mbit/s
    a.configure({ bandwidth: 2e6 });
    a.send(frame(2, 1000)); // starts at 8 ms, 4 ms at 2 Mbit/s
    events.runUntilIdle();
    expect(atB.arrivals.map((x) => x.time)).toEqual([ms(8), ms(12)]);
  });
});

describe('shared segment', () => {
  test('a frame reaches every other endpoint, not its sender', () => {
    const { events, endpoints, recorders } = net(['a', 'b', 'c'], { delay: ms(1) });
    endpoints[0]!.send(frame(1));
    events.runUntilIdle();
    expect(recorders.map((r) => r.ids)).toEqual([[], [1], [1]]);
    expect(endpoints[0]!.stats.framesDelivered).toBe(2);
  });

  test('loss is drawn for each receiver separately', () => {
    const { events, endpoints, recorders } = net(['a', 'b', 'c'], { loss: 0.5 });
    for (let i = 0; i < 1000; i++) endpoints[0]!.send(frame(i));
    events.runUntilIdle();
    expect(recorders[1]!.ids).not.toEqual(recorders[2]!.ids);
    expect(recorders[1]!.arrivals.length + recorders[2]!.arrivals.length).toBe(
      2000 - endpoints[0]!.stats.dropped.loss,
    );
  });
});

describe('frames are values', () => {
  test('receivers get the very frame that was sent, not a copy', () => {
    const { events, endpoints, recorders } = net(['a', 'b', 'c'], { duplicate: 1 });
    const sent = frame(1, 64);
    endpoints[0]!.send(sent);
    events.runUntilIdle();
    const got = [...recorders[1]!.arrivals, ...recorders[2]!.arrivals].map((x) => x.frame);
    expect(got.length).toBe(4);
    expect(got.every((f) => f === sent)).toBe(true);
  });

  test('a corrupted frame is a copy of its own; the others keep the sent bytes', () => {
    const { events, endpoints, recorders } = net(['a', 'b', 'c']);
    endpoints[0]!.configure({ corrupt: 1 });
    const sent = frame(1, 64);
    endpoints[0]!.send(sent);
    events.runUntilIdle();
    const [atB, atC] = [recorders[1]!.arrivals[0]!.frame, recorders[2]!.arrivals[0]!.frame];
    expect(atB).not.toBe(sent);
    expect(atC).not.toBe(atB);
    expect(intact(sent)).toBe(true);
    expect(intact(atB) || intact(atC)).toBe(false);
  });
});

describe('randomness is the link’s own', () => {
  /** Which of 2000 frames a 20%-loss link from a to b loses, given a set-up step. */
  function lostFrames(setup: (ctx: { link: Link; random: Random; events: EventQueue }) => void) {
    const events = new EventQueue();
    const random = new Random('independence');
    const link = new Link(events, random, 'wan', { loss: 0.2 });
    const a = link.attach('a', () => {});
    link.attach('b', () => {});
    setup({ link, random, events });
    const lost: number[] = [];
    link.observe((e) => {
      if (e.kind === 'drop' && e.from === 'a') lost.push(frameId(e.frame));
    });
    for (let i = 0; i < 2000; i++) a.send(frame(i));
    events.runUntilIdle();
    return lost;
  }

  test('draws elsewhere (ISNs on a host, another link) do not change which frames are lost', () => {
    const baseline = lostFrames(() => {});
    const busy = lostFrames(({ random, events }) => {
      const isn = random.stream('host/client/isn');
      for (let i = 0; i < 1000; i++) isn.uint32();
      random.uint32();
      const other = new Link(events, random, 'lan2', { loss: 0.5, duplicate: 0.5 });
      const x = other.attach('x', () => {});
      other.attach('y', () => {});
      for (let i = 0; i < 1000; i++) x.send(frame(i));
    });
    expect(baseline.length).toBeGreaterThan(300);
    expect(busy).toEqual(baseline);
  });

  test('turning on duplication, corruption, jitter, reordering or traffic the other way does not change the losses', () => {
    const baseline = lostFrames(() => {});
    const faulty = lostFrames(({ link }) => {
      link.configure({
        duplicate: 0.3,
        corrupt: 0.3,
        jitter: ms(1),
        reorder: 0.3,
        reorderDelay: ms(2),
      });
      const b = link.endpoint('b')!;
      for (let i = 0; i < 500; i++) b.send(frame(i));
    });
    expect(faulty).toEqual(baseline);
  });
});

describe('determinism', () => {
  /** The full trace of 10 000 frames each way through a link with every fault on. */
  function trace(seed: string): string[] {
    const events = new EventQueue();
    const link = new Link(events, new Random(seed), 'lab', {
      bandwidth: 50e6,
      delay: ms(2),
      jitter: us(300),
      queueLimit: 20,
      loss: 0.05,
      duplicate: 0.03,
      reorder: 0.05,
      reorderDelay: ms(1),
      corrupt: 0.02,
    });
    const lines: string[] = [];
    link.observe((e) => lines.push(`${e.time} ${e.kind} ${e.from}>${e.to} #${frameId(e.frame)}`));
    const at = (name: string) => (f: Uint8Array, now: number) =>
      lines.push(`${now} ${name} got #${frameId(f)} ${intact(f) ? 'ok' : 'bad'}`);
    const a = link.attach('a', at('a'));
    const b = link.attach('b', at('b'));
    for (let i = 0; i < 10_000; i++) {
      events.schedule(i * us(150), () => {
        a.send(frame(i, 200 + (i % 1300)));
        b.send(frame(100_000 + i, 100));
      });
    }
    events.runUntilIdle();
    return lines;
  }

  test('the same seed gives an identical trace; another seed does not', () => {
    const first = trace('determinism');
    const second = trace('determinism');
    expect(first.length).toBeGreaterThan(20_000);
    expect(second).toEqual(first);
    // Every kind of event happened, so the trace really exercised them.
    for (const kind of ['drop', 'duplicate', 'reorder', 'corrupt', 'got']) {
      expect(first.some((l) => l.includes(` ${kind} `))).toBe(true);
    }
    expect(first.some((l) => l.endsWith(' bad'))).toBe(true);
    expect(trace('another')).not.toEqual(first);
  });
});

describe('misuse throws RangeError naming the value', () => {
  const events = new EventQueue();
  const random = new Random(1);

  test('bad property values', () => {
    const link = new Link(events, random, 'm1');
    expect(() => link.configure({ loss: 1.5 })).toThrow(
      new RangeError('link m1: loss 1.5 must be a probability in [0, 1]'),
    );
    expect(() => link.configure({ delay: -1 })).toThrow(
      'link m1: delay -1 must be a non-negative integer number of nanoseconds',
    );
    expect(() => link.configure({ delay: 1.5 })).toThrow(RangeError);
    expect(() => link.configure({ bandwidth: 0 })).toThrow(
      'link m1: bandwidth 0 must be a rate in bits per second above 0 (Infinity for none)',
    );
    expect(() => link.configure({ queueLimit: -1 })).toThrow(RangeError);
    expect(() => link.configure({ mtu: 0 })).toThrow(RangeError);
    expect(() => link.configure({ duplicate: Number.NaN })).toThrow(RangeError);
    expect(() => new Link(events, random, 'm2', { corrupt: 2 })).toThrow(
      'link m2: corrupt 2 must be a probability in [0, 1]',
    );
  });

  test('reordering without a hold-back delay would do nothing, so it is refused', () => {
    const link = new Link(events, random, 'm3');
    expect(() => link.configure({ reorder: 0.25 })).toThrow(
      'link m3: reorder 0.25 needs a reorderDelay above 0 (how long a frame is held back)',
    );
    expect(() => link.configure({ reorder: 0.25, reorderDelay: ms(1) })).not.toThrow();
  });

  test('an unknown property (a typo in a lab) is named', () => {
    const link = new Link(events, random, 'm4');
    expect(() => link.configure({ los: 0.3 } as never)).toThrow(/link m4: no property called los/);
  });

  test('the endpoint says which direction', () => {
    const link = new Link(events, random, 'm5');
    const a = link.attach('a', () => {});
    expect(() => a.configure({ jitter: -5 })).toThrow(/^link m5, endpoint a: jitter -5/);
  });

  test('endpoint and link names', () => {
    const link = new Link(events, random, 'm6');
    link.attach('a', () => {});
    expect(() => link.attach('a', () => {})).toThrow(
      new RangeError('link m6: there is already an endpoint called a'),
    );
    expect(() => link.attach('', () => {})).toThrow(RangeError);
    expect(() => new Link(events, random, '')).toThrow(RangeError);
  });
});

describe('frames with work pending (offloads)', () => {
  /**
   * A link `a` -> `b`; `b` takes pending frames if `offload`. Records (byte 0,
   * pending) per arrival. `finish` is the "work": a finished frame has its
   * byte 1 set.
   */
  function offloadPair(props: Partial<typeof DEFAULT_LINK_PROPERTIES>, offload = true) {
    const events = new EventQueue();
    const link = new Link(events, new Random(1), 'l', props);
    const a = link.attach('a', () => {}, { checksumOffload: true });
    const got: [number, boolean][] = [];
    const works: (PendingWork | undefined)[] = [];
    link.attach(
      'b',
      (f, _now, pending) => {
        got.push([f[0]!, pending !== undefined]);
        works.push(pending);
      },
      { checksumOffload: offload },
    );
    let finished = 0;
    const finish: PendingWork = {
      complete(f: Uint8Array): void {
        finished++;
        f[1] = 1;
      },
    };
    return { events, link, a, got, works, finish, finished: () => finished };
  }

  test('over a clean link to an offloading receiver, a pending frame arrives undone and marked', () => {
    const { events, a, got, finish, finished } = offloadPair({});
    const f = new Uint8Array([7, 0]);
    a.send(f, finish);
    events.runUntilIdle();
    expect(got).toEqual([[7, true]]);
    expect([finished(), f[1]]).toEqual([0, 0]);
  });

  test('to a receiver without offload, or over a link with faults, it is finished before it goes', () => {
    for (const [props, offload] of [
      [{}, false],
      [{ duplicate: 0.5 }, true],
      [{ jitter: us(1) }, true],
    ] as const) {
      const { events, a, got, finish, finished } = offloadPair(props, offload);
      const f = new Uint8Array([7, 0]);
      a.send(f, finish);
      events.runUntilIdle();
      expect(finished()).toBe(1);
      expect(got.every(([b, pending]) => b === 7 && !pending)).toBe(true);
      expect(f[1]).toBe(1);
    }
  });

  test('a pending frame dropped for a full queue is finished before the observers see it', () => {
    const { events, link, a, finish } = offloadPair({ bandwidth: 1e6, queueLimit: 0 });
    const seen = observed(link);
    a.send(new Uint8Array([1, 0]), finish); // on the wire
    const dropped = new Uint8Array([2, 0]);
    expect(a.send(dropped, finish)).toBe(false);
    expect(seen.map((e) => [e.kind, e.frame[0], e.frame[1]])).toEqual([['drop', 2, 1]]);
    events.runUntilIdle();
  });

  test('pending and finished frames keep the order they were sent in, at one instant too', () => {
    // An instant link: all six arrive at t = 0, by two lanes.
    const { events, a, got, finish } = offloadPair({});
    for (let i = 0; i < 6; i++) {
      if (i % 3 === 1) a.send(new Uint8Array([i, 0]));
      else a.send(new Uint8Array([i, 0]), finish);
    }
    events.runUntilIdle();
    expect(got).toEqual([
      [0, true],
      [1, false],
      [2, true],
      [3, true],
      [4, false],
      [5, true],
    ]);
  });

  test('each pending frame arrives with its own work, in the order sent', () => {
    const { events, a, works } = offloadPair({ delay: us(10), bandwidth: 1e9 });
    const mine: PendingWork[] = [];
    for (let i = 0; i < 5; i++) {
      const w: PendingWork = { complete: () => {} };
      mine.push(w);
      if (i === 2) a.send(new Uint8Array([i, 0]));
      else a.send(new Uint8Array([i, 0]), w);
    }
    events.runUntilIdle();
    expect(works).toEqual([mine[0], mine[1], undefined, mine[3], mine[4]]);
    expect(works[0]).toBe(mine[0]);
    expect(works[4]).toBe(mine[4]);
  });

  test('a link with three endpoints finishes a pending frame before it goes: every receiver gets the same frame', () => {
    const events = new EventQueue();
    const link = new Link(events, new Random(1), 'hub');
    const a = link.attach('a', () => {}, { checksumOffload: true });
    const got: boolean[] = [];
    for (const name of ['b', 'c']) {
      link.attach(name, (_f, _now, pending) => got.push(pending !== undefined), {
        checksumOffload: true,
      });
    }
    let finished = 0;
    const f = new Uint8Array([1, 0]);
    a.send(f, {
      complete: (x) => {
        finished++;
        x[1] = 1;
      },
    });
    events.runUntilIdle();
    expect([finished, f[1], got]).toEqual([1, 1, [false, false]]);
  });
});
