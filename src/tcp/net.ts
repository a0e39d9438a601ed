/**
 * What the connections of one host share, as Linux's `struct net` (a network
 * namespace) does for TCP: the sysctl table, the counters, the RFC 5961
 * challenge-ACK budget, the random streams for ISNs and timestamp offsets, and
 * whoever observes state changes and drops (a tracer, a lab's log).
 */

import type { Random } from '../sim/random.js';
import type { Time } from '../sim/time.js';
import type { TcpSegment } from '../wire/tcp.js';
import { newTcpCounters, type TcpCounterName, type TcpCounters } from './counters.js';
import { newDropCounts, type TcpDropReason } from './drop.js';
import type { OrphanState } from './orphans.js';
import type { TcpState } from './state.js';
import { LINUX_TCP_SYSCTL, type TcpSysctl } from './sysctl.js';
import { TimeWaitTable } from './timewait.js';

/** Something worth knowing happened to a connection or a listener. */
export type TcpTraceEvent =
  | {
      readonly kind: 'state';
      readonly time: Time;
      readonly id: number;
      readonly from: TcpState;
      readonly to: TcpState;
    }
  | {
      readonly kind: 'drop';
      readonly time: Time;
      /** The connection's id, or -1 for a listener or no socket. */
      readonly id: number;
      readonly reason: TcpDropReason;
      readonly segment: TcpSegment;
    };

export interface TcpNetOptions {
  readonly sysctl?: TcpSysctl;
  /** Where ISNs, timestamp offsets and the challenge-ACK budget come from (named streams are taken from it). */
  readonly random: Random;
  /** Model Linux's timer wheel (clock.ts); default true. */
  readonly timerWheel?: boolean;
}

/** The namespace's SYN-cookie and timestamp-offset secrets (syncookies.ts). */
export interface TcpSecrets {
  readonly cookie: readonly [number, number];
  readonly tsOff: number;
}

export class TcpNet {
  sysctl: TcpSysctl;
  /**
   * net.core.rmem_max (sysctl_rmem_max, not a tcp_* key): the window scale
   * covers it when it is larger than tcp_rmem[2] (tcp_select_initial_window).
   */
  rmemMax = 212_992;
  readonly counters: TcpCounters = newTcpCounters();
  readonly drops: Record<TcpDropReason, number> = newDropCounts();
  readonly timerWheel: boolean;
  readonly isnRandom: Random;
  readonly tsOffsetRandom: Random;
  readonly challengeRandom: Random;
  /** Linux net->ipv4.tcp_challenge_timestamp (seconds) and tcp_challenge_count. */
  challengeTimestamp = -1;
  challengeCount = 0;
  /** The timewait socks (TIME_WAIT and orphaned FIN_WAIT2), by 4-tuple: see timewait.ts. */
  readonly timeWait: TimeWaitTable;
  /** Called for every state change and drop; tracing only, must not call back into the engine. */
  observer: ((event: TcpTraceEvent) => void) | undefined;
  /**
   * The kernel log (printk) TCP writes to, as `dmesg` shows it: the host
   * connects it to its log; text without the newline, e.g. tcp_syn_flood_action's line.
   */
  printk: ((now: Time, level: 'info' | 'warn', text: string) => void) | undefined;
  /** The secrets, drawn when first needed (syncookies.ts secretsOf). */
  secrets: TcpSecrets | undefined = undefined;
  /** The orphan count and its lag (orphans.ts), from the first close() on. */
  orphans: OrphanState | undefined = undefined;
  #nextId = 1;

  constructor(options: TcpNetOptions) {
    this.sysctl = options.sysctl ?? LINUX_TCP_SYSCTL;
    this.timerWheel = options.timerWheel ?? true;
    this.isnRandom = options.random.stream('tcp/isn');
    this.tsOffsetRandom = options.random.stream('tcp/ts-offset');
    this.challengeRandom = options.random.stream('tcp/challenge-ack');
    this.timeWait = new TimeWaitTable(this);
  }

  /** A fresh connection id (for traces). */
  nextId(): number {
    return this.#nextId++;
  }

  count(name: TcpCounterName, n = 1): void {
    this.counters[name] += n;
  }

  /** Records a dropped segment: per reason, and to the observer. */
  drop(now: Time, id: number, reason: TcpDropReason, segment: TcpSegment): TcpDropReason {
    this.drops[reason]++;
    this.observer?.({ kind: 'drop', time: now, id, reason, segment });
    return reason;
  }
}
