/**
 * Simulated links: what carries frames between hosts, and what goes wrong on the
 * way.
 *
 * A `Link` joins endpoints: two make a point-to-point link, more a shared segment
 * where every frame sent reaches every other endpoint (a hub; hosts filter by
 * address, the link cannot: frames are opaque bytes to it). Each endpoint has
 * its own transmitter, and the properties of a direction are those of the
 * transmitter that sends into it, so on a point-to-point link "a to b" and "b to
 * a" are configured separately (`endpoint.configure`) or together
 * (`link.configure`).
 *
 * What happens to a frame sent at `now`, in order:
 * 1. larger than `mtu` bytes: dropped (`mtu`);
 * 2. the transmitter serializes one frame at a time at `bandwidth` bits per
 *    second (a frame of N bytes takes ceil(N * 8 / bandwidth) seconds, in whole
 *    nanoseconds); a frame that finds it busy waits in a FIFO queue, and is
 *    dropped (`queue_full`) if `queueLimit` frames already wait or its bytes would
 *    take the waiting bytes past `queueLimitBytes` (tail drop, as Linux's pfifo
 *    and bfifo qdiscs do; the frame being serialized is no longer waiting);
 * 3. on the wire, for each receiving endpoint: lost with probability `loss`
 *    (`loss`); otherwise delivered, and with probability `duplicate` delivered
 *    twice; each copy is corrupted with probability `corrupt` (one random bit
 *    flipped, in a copy of its own), and arrives `delay` plus a uniform
 *    0..`jitter` ns after its last bit left; with probability `reorder` a copy is
 *    held back `reorderDelay` longer and later frames may overtake it.
 *
 * Jitter alone never reorders: a copy that is not held back arrives no earlier
 * than the one sent before it to the same receiver, as on a real path where delay
 * varies because of queues, which are FIFO. So frames arrive in the order they
 * were sent unless `reorder` says otherwise; a frame never arrives before
 * `sent + serialization + delay`.
 *
 * A frame's fate and timing are decided when it is sent, so changing properties
 * while running (`link.configure({ loss: 0.3 })`) applies to frames sent from
 * then on; frames already on their way keep theirs. Every random choice comes
 * from the link's own streams, one per direction and kind of fault
 * (`link/<name>/<endpoint>/loss`, …), so turning on duplication does not change
 * which frames are lost, and nothing outside the link changes either. A
 * probability of zero draws nothing.
 *
 * Frames are values: `send` hands the frame over, and the receivers get that same
 * Uint8Array (duplicates and every receiver of a shared segment alike), so
 * neither the sender nor a receiver may modify it afterwards. The wire layer's
 * `build*` functions return a fresh buffer per frame, which is all it takes.
 * The link does not copy, because copying (allocating) each frame cost four
 * fifths of its time in the benchmark; only a corrupted copy is a copy of its
 * own.
 *
 * Every drop is counted by reason, and drops and faults are reported to observers
 * (`link.observe`), so captures and labs can show them.
 */

import type { EventLane, EventQueue } from './events.js';
import type { Random } from './random.js';
import { type Duration, NS_PER_S, type Time } from './time.js';

/** Why a link dropped a frame. */
export type DropReason = 'mtu' | 'queue_full' | 'loss';

export const DROP_REASONS: readonly DropReason[] = ['mtu', 'queue_full', 'loss'];

/** The properties of one direction of a link. */
export interface LinkProperties {
  /** Propagation delay, ns. */
  readonly delay: Duration;
  /** Extra delay drawn uniformly from 0..jitter ns per frame; never reorders. */
  readonly jitter: Duration;
  /** Bits per second; `Infinity` serializes in no time. */
  readonly bandwidth: number;
  /** Frames that may wait behind the one being serialized; `Infinity` for no limit. */
  readonly queueLimit: number;
  /** Bytes that may wait behind the one being serialized; `Infinity` for no limit. */
  readonly queueLimitBytes: number;
  /**
   * The largest frame carried, in bytes of the whole frame (with an Ethernet
   * header, 1514 for an IP MTU of 1500); `Infinity` for no limit.
   */
  readonly mtu: number;
  /** Probability that a frame is lost. */
  readonly loss: number;
  /** Probability that a frame is delivered twice. */
  readonly duplicate: number;
  /** Probability that a frame is held back by `reorderDelay`. */
  readonly reorder: number;
  /** How long a reordered frame is held back, ns. */
  readonly reorderDelay: Duration;
  /** Probability that one bit of a frame is flipped. */
  readonly corrupt: number;
}

/** A perfect link: instant, lossless, unlimited, with Linux's default queue length. */
export const DEFAULT_LINK_PROPERTIES: LinkProperties = Object.freeze({
  delay: 0,
  jitter: 0,
  bandwidth: Number.POSITIVE_INFINITY,
  queueLimit: 1000, // Linux: DEFAULT_TX_QUEUE_LEN, include/net/pkt_sched.h (txqueuelen)
  queueLimitBytes: Number.POSITIVE_INFINITY,
  mtu: Number.POSITIVE_INFINITY,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 0,
  corrupt: 0,
});

/** Counters of one direction (or, from `link.stats()`, of all). */
export interface LinkStats {
  /** Frames and bytes handed to the transmitter, dropped ones included. */
  readonly framesSent: number;
  readonly bytesSent: number;
  /** Frames and bytes that arrived, duplicates included (one per receiver). */
  readonly framesDelivered: number;
  readonly bytesDelivered: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly duplicated: number;
  readonly corrupted: number;
  readonly reordered: number;
}

/**
 * What a transmitter keeps per receiver. Frames with work pending (see
 * LinkEndpoint.send) arrive by a lane of their own, their work beside them in a
 * FIFO of its own (such frames arrive in the order they are sent: they go only
 * the fault-free way): the event queue still runs every arrival in (time,
 * order sent), whichever lane it came by.
 */
class Receiver {
  /** Declared without a value on purpose: see LinkEndpoint's `#busyUntil`. */
  lastArrival: Time;
  readonly lane: EventLane<Uint8Array>;
  readonly pendingLane: EventLane<Uint8Array>;
  /**
   * The work of the frames in `pendingLane`, `[#workHead, #workTail)`. An empty
   * FIFO keeps its array (see LinkEndpoint's wait FIFO).
   */
  readonly #work: (PendingWork | undefined)[] = [];
  #workHead = 0;
  #workTail = 0;

  constructor(
    events: EventQueue,
    stats: { framesDelivered: number; bytesDelivered: number },
    receive: FrameReceiver,
  ) {
    this.lastArrival = 0;
    this.lane = events.lane<Uint8Array>((frame, now) => {
      stats.framesDelivered++;
      stats.bytesDelivered += frame.length;
      receive(frame, now, undefined);
    });
    this.pendingLane = events.lane<Uint8Array>((frame, now) => {
      stats.framesDelivered++;
      stats.bytesDelivered += frame.length;
      receive(frame, now, this.#takeWork());
    });
  }

  /** Sends `frame`, with `work` pending, to arrive at `arrival`. */
  schedulePending(arrival: Time, frame: Uint8Array, work: PendingWork): void {
    this.#work[this.#workTail++] = work;
    this.pendingLane.schedule(arrival, frame);
  }

  #takeWork(): PendingWork {
    const w = this.#work;
    const i = this.#workHead;
    const work = w[i]!;
    w[i] = undefined;
    const head = i + 1;
    if (head === this.#workTail) {
      this.#workHead = 0;
      this.#workTail = 0;
    } else if (head >= 1024 && head * 2 >= this.#workTail) {
      // Most of the array is behind the head: move the rest to the front.
      w.copyWithin(0, head, this.#workTail);
      w.fill(undefined, this.#workTail - head, this.#workTail);
      this.#workTail -= head;
      this.#workHead = 0;
    } else {
      this.#workHead = head;
    }
    return work;
  }
}

/**
 * Receives the frames that arrive at an endpoint. `pending` is the work a
 * frame's sender left to the device (only to an endpoint attached with
 * `checksumOffload`): the receiver knows its checksum good, and must have the
 * work done (`pending.complete(frame)`) before anything reads the bytes as a
 * wire would carry them.
 */
export type FrameReceiver = (
  frame: Uint8Array,
  now: Time,
  pending: PendingWork | undefined,
) => void;

/**
 * The work a sender left undone in a frame for its device (offload): a
 * checksum (Linux's CHECKSUM_PARTIAL, which a device with checksum offload
 * completes), and, for a frame whose payload is still in the sender's buffer
 * (scatter-gather, NETIF_F_SG), the payload's bytes. `complete` does it, in place.
 */
export interface PendingWork {
  complete(frame: Uint8Array): void;
}

/** How an endpoint is attached. */
export interface AttachOptions {
  /**
   * The receiver takes frames whose checksum is still pending (a host's NIC
   * with checksum offload, as veth has); others only ever see finished frames.
   */
  readonly checksumOffload?: boolean;
}

interface LinkEventBase {
  readonly link: string;
  /** The sending endpoint. */
  readonly from: string;
  /** The receiving endpoint; undefined when the frame was dropped before the wire. */
  readonly to: string | undefined;
  /** When the link decided (the instant the frame was sent). */
  readonly time: Time;
  /** The frame as sent (for `corrupt`, as it will arrive). */
  readonly frame: Uint8Array;
}

/** What a link reports to its observers. */
export type LinkEvent =
  | (LinkEventBase & { readonly kind: 'drop'; readonly reason: DropReason })
  | (LinkEventBase & { readonly kind: 'duplicate' })
  | (LinkEventBase & { readonly kind: 'reorder'; readonly arrival: Time })
  | (LinkEventBase & { readonly kind: 'corrupt'; readonly bit: number });

export type LinkObserver = (event: LinkEvent) => void;

/** What a link and its endpoints share. */
interface Medium {
  readonly name: string;
  readonly events: EventQueue;
  readonly random: Random;
  readonly endpoints: LinkEndpoint[];
  readonly observers: LinkObserver[];
  /**
   * Frames may travel with work pending (see LinkEndpoint.send): a
   * point-to-point link (two endpoints: a frame has one receiver, so nothing
   * else sees it while the receiver does the work in place), both attached
   * with `checksumOffload`.
   */
  offloadAll: boolean;
}

/** A link or shared segment; see the module comment. */
export class Link {
  readonly #medium: Medium;
  #defaults: LinkProperties;

  /**
   * A link called `name` (unique among the simulation's links: it names the
   * random streams), driven by `events`, drawing from `random.stream('link/'+name)`.
   */
  constructor(
    events: EventQueue,
    random: Random,
    name: string,
    properties: Partial<LinkProperties> = {},
  ) {
    if (typeof name !== 'string' || name === '') {
      throw new RangeError('a link name must be a non-empty string');
    }
    this.#medium = {
      name,
      events,
      random: random.stream(`link/${name}`),
      endpoints: [],
      observers: [],
      offloadAll: false,
    };
    this.#defaults = mergeProperties(`link ${name}`, DEFAULT_LINK_PROPERTIES, properties);
  }

  get name(): string {
    return this.#medium.name;
  }

  get endpoints(): readonly LinkEndpoint[] {
    return this.#medium.endpoints;
  }

  /** The properties an endpoint attached now would get. */
  get properties(): LinkProperties {
    return this.#defaults;
  }

  /**
   * Attaches an endpoint called `name` (unique on this link); frames that arrive
   * for it are handed to `receive`. It receives frames sent from now on.
   */
  attach(name: string, receive: FrameReceiver, options: AttachOptions = {}): LinkEndpoint {
    const m = this.#medium;
    if (typeof name !== 'string' || name === '') {
      throw new RangeError(`link ${m.name}: an endpoint name must be a non-empty string`);
    }
    if (m.endpoints.some((e) => e.name === name)) {
      throw new RangeError(`link ${m.name}: there is already an endpoint called ${name}`);
    }
    const endpoint = new LinkEndpoint(
      m,
      name,
      receive,
      this.#defaults,
      options.checksumOffload ?? false,
    );
    m.endpoints.push(endpoint);
    m.offloadAll = m.endpoints.length === 2 && m.endpoints.every((e) => e.checksumOffload);
    return endpoint;
  }

  /** The endpoint called `name`, if attached. */
  endpoint(name: string): LinkEndpoint | undefined {
    return this.#medium.endpoints.find((e) => e.name === name);
  }

  /** Changes the properties of every direction, and of endpoints attached later. */
  configure(changes: Partial<LinkProperties>): void {
    const where = `link ${this.#medium.name}`;
    // Validate everything before changing anything.
    const next = mergeProperties(where, this.#defaults, changes);
    for (const e of this.#medium.endpoints) mergeProperties(where, e.properties, changes);
    this.#defaults = next;
    for (const e of this.#medium.endpoints) e.configure(changes);
  }

  /** Calls `observer` for every drop and fault from now on. Returns a function that stops it. */
  observe(observer: LinkObserver): () => void {
    const list = this.#medium.observers;
    list.push(observer);
    return () => {
      const i = list.indexOf(observer);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The counters of all directions added up. */
  stats(): LinkStats {
    const total = emptyStats();
    for (const e of this.#medium.endpoints) {
      const s = e.stats;
      total.framesSent += s.framesSent;
      total.bytesSent += s.bytesSent;
      total.framesDelivered += s.framesDelivered;
      total.bytesDelivered += s.bytesDelivered;
      total.duplicated += s.duplicated;
      total.corrupted += s.corrupted;
      total.reordered += s.reordered;
      for (const r of DROP_REASONS) total.dropped[r] += s.dropped[r];
    }
    return total;
  }
}

interface MutableStats {
  framesSent: number;
  bytesSent: number;
  framesDelivered: number;
  bytesDelivered: number;
  dropped: Record<DropReason, number>;
  duplicated: number;
  corrupted: number;
  reordered: number;
}

function emptyStats(): MutableStats {
  return {
    framesSent: 0,
    bytesSent: 0,
    framesDelivered: 0,
    bytesDelivered: 0,
    dropped: { mtu: 0, queue_full: 0, loss: 0 },
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
  };
}

/** One endpoint of a link, and the transmitter of the direction leaving it. */
export class LinkEndpoint {
  readonly name: string;
  /** Attached with AttachOptions.checksumOffload. */
  readonly checksumOffload: boolean;
  readonly #medium: Medium;
  readonly #receive: FrameReceiver;
  #props: LinkProperties;
  /**
   * No loss, duplication, corruption, jitter or reordering configured (the
   * usual link): #propagate has nothing to draw and nothing to report.
   */
  #faultFree: boolean;
  readonly #stats = emptyStats();

  // The transmitter: busy until `#busyUntil`; frames that must wait are in a
  // FIFO of (instant serialization starts, length), `[#waitHead, #waitTail)`. An
  // empty FIFO keeps its arrays: emptying one by `length = 0` dropped its
  // storage, which the next waiting frame made anew (most bursts are short).
  /**
   * Declared without a value on purpose (a speed matter, as `lastArrival`): the
   * field starts as undefined, so V8 keeps it tagged and it holds the boxed
   * instant it is given (past 2^31 ns every instant is boxed), which is handed on
   * as it is (to the receiver's lane, the event queue, the receiving host's
   * `now`) where a field that started as a number would hold a raw double to
   * be boxed anew at each of them.
   */
  #busyUntil: Time;
  readonly #waitStart: Time[] = [];
  readonly #waitLength: number[] = [];
  #waitHead = 0;
  #waitTail = 0;
  #waitBytes = 0;

  /**
   * Per receiver: the arrival time of the last copy not held back (jitter must
   * not reorder), and the lane of the event queue its frames arrive by.
   */
  readonly #receivers = new Map<LinkEndpoint, Receiver>();
  #lastTo: LinkEndpoint | undefined;
  #lastReceiver: Receiver | undefined;

  readonly #lossRandom: Random;
  readonly #duplicateRandom: Random;
  readonly #corruptRandom: Random;
  readonly #jitterRandom: Random;
  readonly #reorderRandom: Random;

  /** Made by `Link.attach`. */
  constructor(
    medium: Medium,
    name: string,
    receive: FrameReceiver,
    properties: LinkProperties,
    checksumOffload: boolean,
  ) {
    this.#medium = medium;
    this.name = name;
    this.checksumOffload = checksumOffload;
    this.#receive = receive;
    this.#props = properties;
    this.#busyUntil = 0;
    this.#faultFree = isFaultFree(properties);
    const random = medium.random.stream(name);
    this.#lossRandom = random.stream('loss');
    this.#duplicateRandom = random.stream('duplicate');
    this.#corruptRandom = random.stream('corrupt');
    this.#jitterRandom = random.stream('jitter');
    this.#reorderRandom = random.stream('reorder');
  }

  /** The properties of the direction leaving this endpoint. */
  get properties(): LinkProperties {
    return this.#props;
  }

  /** Changes the properties of the direction leaving this endpoint. */
  configure(changes: Partial<LinkProperties>): void {
    this.#props = mergeProperties(
      `link ${this.#medium.name}, endpoint ${this.name}`,
      this.#props,
      changes,
    );
    this.#faultFree = isFaultFree(this.#props);
  }

  /** A snapshot of this direction's counters. */
  get stats(): LinkStats {
    const s = this.#stats;
    return { ...s, dropped: { ...s.dropped } };
  }

  /** Frames waiting behind the one being serialized, now. */
  get queueLength(): number {
    this.#releaseStarted(this.#medium.events.now);
    return this.#waitTail - this.#waitHead;
  }

  /** Bytes waiting behind the one being serialized, now. */
  get queueBytes(): number {
    this.#releaseStarted(this.#medium.events.now);
    return this.#waitBytes;
  }

  /**
   * Sends `frame` to every other endpoint. True if the transmitter took it; false
   * if it was dropped at once (`mtu`, `queue_full`). A frame taken may still be
   * lost on the wire, as on a real link, where the sender cannot know.
   *
   * `pending` is work the sender left in the frame (its checksum; its payload):
   * the frame then travels undone, the work beside it, over a direction without
   * faults of a point-to-point link to a receiver attached with
   * `checksumOffload` (the offload of a veth pair: nothing on the way can
   * change a bit, and nothing else sees the frame). Anywhere else (a fault to
   * draw, a receiver without offload, a shared segment, a drop the observers
   * are told of) it is finished first: whatever reads the frame reads the bytes
   * a wire would carry.
   */
  send(frame: Uint8Array, pending?: PendingWork): boolean {
    const m = this.#medium;
    const now = m.events.now;
    const p = this.#props;
    const length = frame.length;
    const stats = this.#stats;
    stats.framesSent++;
    stats.bytesSent += length;
    if (pending !== undefined && !(this.#faultFree && m.offloadAll)) {
      pending.complete(frame);
      pending = undefined;
    }

    if (length > p.mtu) {
      pending?.complete(frame);
      this.#drop('mtu', undefined, frame, now);
      return false;
    }

    this.#releaseStarted(now);
    // Max, min and the sums below hand on an instant as it came when nothing is
    // added to it (an idle transmitter, an instant link): no new number.
    const busy = this.#busyUntil;
    const start = busy > now ? busy : now;
    if (start > now) {
      const waiting = this.#waitTail - this.#waitHead;
      if (waiting >= p.queueLimit || this.#waitBytes + length > p.queueLimitBytes) {
        pending?.complete(frame);
        this.#drop('queue_full', undefined, frame, now);
        return false;
      }
      const tail = this.#waitTail;
      this.#waitStart[tail] = start;
      this.#waitLength[tail] = length;
      this.#waitTail = tail + 1;
      this.#waitBytes += length;
    }
    const serialization = serializationTime(length, p.bandwidth);
    const departure = serialization === 0 ? start : start + serialization;
    this.#busyUntil = departure;

    const endpoints = m.endpoints;
    for (let i = 0; i < endpoints.length; i++) {
      const to = endpoints[i]!;
      if (to !== this) this.#propagate(frame, departure, to, now, pending);
    }
    return true;
  }

  /**
   * The wire from this transmitter to `to`: loss, duplication, corruption,
   * delay. A `pending` frame goes only the fault-free way (see send).
   */
  #propagate(
    frame: Uint8Array,
    departure: Time,
    to: LinkEndpoint,
    now: Time,
    pending: PendingWork | undefined,
  ): void {
    const p = this.#props;
    if (this.#faultFree) {
      // What the general way below does when every probability is zero (none
      // draws) and there is no jitter.
      const r = this.#receiver(to);
      const sent = p.delay === 0 ? departure : departure + p.delay;
      const last = r.lastArrival;
      const arrival = sent < last ? last : sent;
      r.lastArrival = arrival;
      if (pending === undefined) r.lane.schedule(arrival, frame);
      else r.schedulePending(arrival, frame, pending);
      return;
    }
    if (p.loss > 0 && this.#lossRandom.chance(p.loss)) {
      this.#drop('loss', to.name, frame, now);
      return;
    }
    const r = this.#receiver(to);
    const copies = p.duplicate > 0 && this.#duplicateRandom.chance(p.duplicate) ? 2 : 1;
    if (copies === 2) {
      this.#stats.duplicated++;
      this.#report({ kind: 'duplicate', ...this.#where(to.name, frame, now) });
    }
    for (let i = 0; i < copies; i++) {
      let bytes = frame;
      if (p.corrupt > 0 && frame.length > 0 && this.#corruptRandom.chance(p.corrupt)) {
        bytes = frame.slice();
        const bit = this.#corruptRandom.int(0, frame.length * 8 - 1);
        bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
        this.#stats.corrupted++;
        this.#report({ kind: 'corrupt', bit, ...this.#where(to.name, bytes, now) });
      }
      let arrival = departure + p.delay;
      if (p.jitter > 0) arrival += this.#jitterRandom.int(0, p.jitter);
      if (p.reorder > 0 && this.#reorderRandom.chance(p.reorder)) {
        arrival += p.reorderDelay;
        this.#stats.reordered++;
        this.#report({ kind: 'reorder', arrival, ...this.#where(to.name, bytes, now) });
      } else {
        arrival = Math.max(arrival, r.lastArrival);
        r.lastArrival = arrival;
      }
      // A copy held back goes by itself when it would overtake (EventLane).
      r.lane.schedule(arrival, bytes);
    }
  }

  #receiver(to: LinkEndpoint): Receiver {
    // A point-to-point link has one receiver: no lookup.
    if (this.#lastTo === to) return this.#lastReceiver!;
    let r = this.#receivers.get(to);
    if (r === undefined) {
      r = new Receiver(this.#medium.events, this.#stats, (frame, now, pending) =>
        to.#receive(frame, now, pending),
      );
      this.#receivers.set(to, r);
    }
    this.#lastTo = to;
    this.#lastReceiver = r;
    return r;
  }

  /** Forgets waiting frames whose serialization has started by `now`. */
  #releaseStarted(now: Time): void {
    const starts = this.#waitStart;
    const tail = this.#waitTail;
    let head = this.#waitHead;
    while (head < tail && starts[head]! <= now) {
      this.#waitBytes -= this.#waitLength[head]!;
      head++;
    }
    if (head === tail) {
      head = 0;
      this.#waitTail = 0;
    } else if (head >= 1024 && head * 2 >= tail) {
      // Most of the arrays is behind the head: move the rest to the front.
      starts.copyWithin(0, head, tail);
      this.#waitLength.copyWithin(0, head, tail);
      this.#waitTail = tail - head;
      head = 0;
    }
    this.#waitHead = head;
  }

  #drop(reason: DropReason, to: string | undefined, frame: Uint8Array, now: Time): void {
    this.#stats.dropped[reason]++;
    this.#report({ kind: 'drop', reason, ...this.#where(to, frame, now) });
  }

  #where(to: string | undefined, frame: Uint8Array, time: Time): LinkEventBase {
    return { link: this.#medium.name, from: this.name, to, time, frame };
  }

  #report(event: LinkEvent): void {
    for (const observe of this.#medium.observers) observe(event);
  }
}

/** Whether a direction with properties `p` can neither lose, duplicate, corrupt, delay at random nor reorder. */
function isFaultFree(p: LinkProperties): boolean {
  return p.loss === 0 && p.duplicate === 0 && p.corrupt === 0 && p.jitter === 0 && p.reorder === 0;
}

/** How long a frame of `length` bytes takes to serialize at `bandwidth` bit/s, rounded up to whole ns. */
export function serializationTime(length: number, bandwidth: number): Duration {
  if (bandwidth === Number.POSITIVE_INFINITY) return 0;
  return Math.ceil((length * 8 * NS_PER_S) / bandwidth);
}

type Check = (v: number) => boolean;

const isDuration: Check = (v) => Number.isSafeInteger(v) && v >= 0;
const isProbability: Check = (v) => v >= 0 && v <= 1;
const isLimit: Check = (v) => v === Number.POSITIVE_INFINITY || (Number.isSafeInteger(v) && v >= 0);

const CHECKS: { readonly [K in keyof LinkProperties]: readonly [Check, string] } = {
  delay: [isDuration, 'a non-negative integer number of nanoseconds'],
  jitter: [isDuration, 'a non-negative integer number of nanoseconds'],
  bandwidth: [(v) => v > 0, 'a rate in bits per second above 0 (Infinity for none)'],
  queueLimit: [isLimit, 'a non-negative integer number of frames, or Infinity'],
  queueLimitBytes: [isLimit, 'a non-negative integer number of bytes, or Infinity'],
  mtu: [(v) => isLimit(v) && v > 0, 'a positive integer number of bytes, or Infinity'],
  loss: [isProbability, 'a probability in [0, 1]'],
  duplicate: [isProbability, 'a probability in [0, 1]'],
  reorder: [isProbability, 'a probability in [0, 1]'],
  reorderDelay: [isDuration, 'a non-negative integer number of nanoseconds'],
  corrupt: [isProbability, 'a probability in [0, 1]'],
};

/** `base` with `changes` applied, every value checked; throws RangeError naming the bad one. */
function mergeProperties(
  where: string,
  base: LinkProperties,
  changes: Partial<LinkProperties>,
): LinkProperties {
  const next: Record<string, number> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const check = (CHECKS as Record<string, readonly [Check, string] | undefined>)[key];
    if (check === undefined) {
      throw new RangeError(
        `${where}: no property called ${key} (known: ${Object.keys(CHECKS).join(', ')})`,
      );
    }
    if (typeof value !== 'number' || !check[0](value)) {
      throw new RangeError(`${where}: ${key} ${String(value)} must be ${check[1]}`);
    }
    next[key] = value;
  }
  const merged = next as unknown as LinkProperties;
  if (merged.reorder > 0 && merged.reorderDelay === 0) {
    throw new RangeError(
      `${where}: reorder ${merged.reorder} needs a reorderDelay above 0 (how long a frame is held back)`,
    );
  }
  return Object.freeze(merged);
}
