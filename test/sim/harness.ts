/**
 * A tiny network for testing links without hosts: endpoints that record (and
 * optionally echo) what reaches them, and frames that carry a serial number in
 * their first four bytes so a test can tell which frame arrived when.
 */

import { EventQueue, type EventQueueOptions } from '../../src/sim/events.js';
import { Link, type LinkEndpoint, type LinkProperties } from '../../src/sim/link.js';
import { Random, type Seed } from '../../src/sim/random.js';
import type { Time } from '../../src/sim/time.js';

/**
 * A frame of `length` bytes (at least 4) numbered `id`; the rest is a pattern
 * that depends on every bit of the id, so a flipped bit anywhere shows.
 */
export function frame(id: number, length = 64): Uint8Array {
  if (length < 4) throw new RangeError('a test frame has at least 4 bytes');
  const f = new Uint8Array(length);
  new DataView(f.buffer).setUint32(0, id);
  for (let i = 4; i < length; i++) {
    const x = Math.imul(id ^ Math.imul(i, 0x9e3779b9), 0x85ebca6b);
    f[i] = (x >>> 24) ^ (x >>> 8);
  }
  return f;
}

export function frameId(f: Uint8Array): number {
  return new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0);
}

/** True if `f` is exactly `frame(frameId(f), f.length)`, i.e. not corrupted. */
export function intact(f: Uint8Array): boolean {
  const expected = frame(frameId(f), f.length);
  return f.every((b, i) => b === expected[i]);
}

export interface Arrival {
  readonly id: number;
  readonly time: Time;
  readonly length: number;
  readonly frame: Uint8Array;
}

/** An endpoint's receiver that records every arrival; with `echo`, sends each frame back. */
export class Recorder {
  readonly arrivals: Arrival[] = [];
  /** Set after attaching, when the recorder should echo through this endpoint. */
  echoVia: LinkEndpoint | undefined;

  readonly receive = (f: Uint8Array, now: Time): void => {
    this.arrivals.push({ id: frameId(f), time: now, length: f.length, frame: f });
    this.echoVia?.send(f);
  };

  get ids(): number[] {
    return this.arrivals.map((a) => a.id);
  }
}

export interface Net {
  readonly events: EventQueue;
  readonly random: Random;
  readonly link: Link;
  readonly endpoints: LinkEndpoint[];
  readonly recorders: Recorder[];
}

/**
 * `names.length` endpoints on one link called `lan` (two: point to point; three:
 * a shared segment), each recording what it receives.
 */
export function net(
  names: readonly string[],
  properties: Partial<LinkProperties> = {},
  seed: Seed = 1,
  options: EventQueueOptions = {},
): Net {
  const events = new EventQueue(options);
  const random = new Random(seed);
  const link = new Link(events, random, 'lan', properties);
  const recorders = names.map(() => new Recorder());
  const endpoints = names.map((n, i) => link.attach(n, recorders[i]!.receive));
  return { events, random, link, endpoints, recorders };
}

/** Two endpoints, `a` and `b`, on a point-to-point link. */
export function pair(properties: Partial<LinkProperties> = {}, seed: Seed = 1) {
  const n = net(['a', 'b'], properties, seed);
  return {
    ...n,
    a: n.endpoints[0]!,
    b: n.endpoints[1]!,
    atA: n.recorders[0]!,
    atB: n.recorders[1]!,
  };
}
