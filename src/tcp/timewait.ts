/**
 * TIME_WAIT as Linux keeps it: not the full connection but a small timewait
 * sock (include/net/inet_timewait_sock.h `struct inet_timewait_sock`,
 * include/linux/tcp.h `struct tcp_timewait_sock`) holding only what
 * tcp_timewait_state_process (net/ipv4/tcp_minisocks.c) needs: the 4-tuple,
 * RCV.NXT, SND.NXT, the window last offered, TS.Recent and its stamp, the
 * timestamp offset, the substate and one timer. Read RFC 9293 3.10.7.4
 * (TIME-WAIT) and RFC 1337 first.
 *
 * tcp_time_wait (tcp_minisocks.c) makes one when a connection enters TIME_WAIT,
 * and also when an orphaned connection reaches FIN_WAIT2 (substate FIN_WAIT2:
 * `ss` shows FIN-WAIT-2, the sock is a timewait sock all the same); the full
 * connection is then done (tcp_done). When `tcp_max_tw_buckets` timewait socks
 * exist already, none is made (inet_twsk_alloc fails) and the connection is
 * just closed, counted in TcpExtTCPTimeWaitOverflow.
 *
 * Who owns them: the namespace's `TimeWaitTable` (`TcpNet.timeWait`, Linux's
 * tcp_death_row with the timewait entries of the established hash), keyed by
 * 4-tuple. The host's demux looks a segment up there after the connections
 * (`lookup`), hands it to `handleSegment` and acts on the verdict; it drives the
 * table's one deadline (`nextDeadline`, `handleTimeout`); `ss` lists the table
 * (iteration, `timerRemaining`). connect() may take a sock's 4-tuple for a
 * new connection (tcp_twsk_unique: `reusable`, then `recycle`, which hands the
 * new connection its ISN and TS.Recent).
 *
 * The `Connection` that entered TIME_WAIT keeps a reference to its timewait
 * sock (`Connection.tw`) and mirrors its state, so that the application (and
 * tests) holding the connection see TIME_WAIT, then CLOSE when the timewait
 * sock dies. DEVIATION(linux): in Linux the application's socket reads CLOSE at
 * once (tcp_done); the timewait sock is the only TIME_WAIT one. The timewait
 * sock holds no reference back, so a connection the application dropped is
 * garbage, and only the small object remains.
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqAdd, seqGt, seqLt } from '../wire/seq.js';
import { ACK, FIN, RST, SYN, type TcpSegment, tcpSegmentLength } from '../wire/tcp.js';
import { TCP_NOP } from '../wire/tcp-options.js';
import {
  HZ,
  jiffies,
  msecsToJiffies,
  TCP_TIMEWAIT_LEN,
  tcpClockMs,
  timerFireTime,
} from './clock.js';
import type { Connection } from './connection.js';
import type { TcpDropReason } from './drop.js';
import type { TcpNet } from './net.js';
import { tcpReceiveWindow } from './output.js';
import { countReset, tcpResetFor } from './reset.js';
import { setState } from './state.js';
import { tupleHash } from './tuple-hash.js';

/** The state a timewait sock shows (its tw_substate): TIME_WAIT, or an orphaned FIN_WAIT2. */
export type TimeWaitSubstate = 'TIME_WAIT' | 'FIN_WAIT2';

/** TCP_PAWS_WRAP (include/net/tcp.h): TS.Recent older than this many seconds no longer judges. */
const TCP_PAWS_WRAP_S = 2147;
/** TCP_PAWS_MSL (include/net/tcp.h): a RST with an old timestamp is accepted after this many seconds. */
const TCP_PAWS_MSL_S = 60;
const EMPTY = new Uint8Array(0);

/**
 * What tcp_timewait_state_process decided (enum tcp_tw_status), and what the
 * host must do:
 * - `none` (TCP_TW_SUCCESS): nothing; `drop` says why when the segment was discarded;
 * - `ack` (TCP_TW_ACK): send `reply` (tcp_v4_timewait_ack);
 * - `rst` (TCP_TW_RST): send `reply` (tcp_v4_send_reset); the timewait sock is gone;
 * - `syn` (TCP_TW_SYN): a SYN that may open a new incarnation. If a listener
 *   takes it, call `TimeWaitTable.reopen(tw, now)` and give the listener the
 *   SYN with `isn` as the new connection's ISN (tcp_v4_rcv: tcp_tw_isn);
 *   otherwise send `tw.timewaitAck(now)` (tcp_v4_rcv falls through to TCP_TW_ACK).
 */
export type TimeWaitVerdict =
  | { readonly action: 'none'; readonly drop: TcpDropReason | undefined }
  | { readonly action: 'ack'; readonly reply: TcpSegment; readonly drop: TcpDropReason | undefined }
  | { readonly action: 'rst'; readonly reply: TcpSegment | undefined; readonly drop: TcpDropReason }
  | { readonly action: 'syn'; readonly isn: Seq };

const CONSUMED: TimeWaitVerdict = { action: 'none', drop: undefined };

/**
 * One timewait sock. Fields are few on purpose (the budget is 300 bytes
 * each): the 32-bit values (addresses, sequence numbers, timestamps) are held as
 * signed 32-bit integers, which V8 keeps in the object itself rather than in a
 * boxed number of their own, and read back unsigned through the getters; the
 * two ports share one field. Times are virtual nanoseconds, `lastOowAck` is in
 * jiffies.
 */
export class TimeWaitSock {
  /** The connection's id, for traces. */
  readonly id: number;
  readonly #localAddr: number;
  readonly #remoteAddr: number;
  /** localPort << 16 | remotePort. */
  readonly #ports: number;
  /** tw_substate. */
  substate: TimeWaitSubstate;
  /** When the current substate began (for the connection's transition record). */
  since: Time;
  #rcvNxt: number;
  readonly #sndNxt: number;
  /** tcptw->tw_rcv_wnd: tcp_receive_window() at entry, bytes; tw_rcv_wscale. */
  readonly rcvWnd: number;
  readonly rcvWscale: number;
  #tsRecent: number;
  /** tw_ts_recent_stamp (seconds; -1 when timestamps were not negotiated). */
  tsRecentStamp: number;
  readonly #tsOffset: number;
  /**
   * tw_entry_stamp: tcp_clock_ms() when the sock was made, or when a FIN with a
   * timestamp made a FIN_WAIT2 one TIME_WAIT (tcp_tw_reuse_delay counts from it).
   */
  entryStampMs: number;
  /** tw_last_oow_ack_time in jiffies, -1 for never. */
  lastOowAck = -1;
  /** The one timer (tw_timer): when the sock dies; once dead, when it died. */
  expires: Time;
  /** In the table (false once dead). */
  alive = false;
  /** The next sock in the same hash bucket of the table. */
  next: TimeWaitSock | undefined = undefined;
  /**
   * tw_reuse: SO_REUSEADDR of the socket it came from (inet_twsk_alloc copies
   * sk_reuse), for the host's bind conflicts; the engine does not read it.
   */
  reuse = false;

  constructor(conn: Connection, substate: TimeWaitSubstate, now: Time) {
    this.id = conn.id;
    this.#localAddr = conn.local.addr | 0;
    this.#remoteAddr = conn.remote.addr | 0;
    this.#ports = (conn.local.port << 16) | conn.remote.port;
    this.substate = substate;
    this.since = now;
    this.#rcvNxt = conn.rcvNxt | 0;
    this.#sndNxt = conn.sndNxt | 0;
    this.rcvWnd = tcpReceiveWindow(conn);
    this.rcvWscale = conn.rcvWscale;
    this.#tsRecent = conn.tstampOk ? conn.tsRecent | 0 : 0;
    this.tsRecentStamp = conn.tstampOk ? conn.tsRecentStamp : -1;
    this.#tsOffset = conn.tsOffset | 0;
    this.entryStampMs = tcpClockMs(now);
    this.expires = now;
  }

  get localAddr(): number {
    return this.#localAddr >>> 0;
  }
  get localPort(): number {
    return this.#ports >>> 16;
  }
  get remoteAddr(): number {
    return this.#remoteAddr >>> 0;
  }
  get remotePort(): number {
    return this.#ports & 0xffff;
  }
  /** tcptw->tw_rcv_nxt. */
  get rcvNxt(): Seq {
    return this.#rcvNxt as Seq;
  }
  set rcvNxt(v: Seq) {
    this.#rcvNxt = v | 0;
  }
  /** tcptw->tw_snd_nxt. */
  get sndNxt(): Seq {
    return this.#sndNxt as Seq;
  }
  /** tw_ts_recent. */
  get tsRecent(): number {
    return this.#tsRecent;
  }
  set tsRecent(v: number) {
    this.#tsRecent = v | 0;
  }
  /** tw_ts_offset. */
  get tsOffset(): number {
    return this.#tsOffset;
  }

  /** Whether this is the sock of segments from remote to local. */
  matches(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): boolean {
    return (
      this.#ports === ((localPort << 16) | remotePort) &&
      this.#remoteAddr === (remoteAddr | 0) &&
      this.#localAddr === (localAddr | 0)
    );
  }

  /** What `ss` shows in its timer column: time left before the sock dies. */
  timerRemaining(now: Time): Time {
    return Math.max(0, this.expires - now);
  }

  /**
   * Linux tcp_v4_timewait_ack (tcp_v4_send_ack with the timewait values): the
   * ACK of SND.NXT/RCV.NXT with the window last offered, and timestamps when
   * TS.Recent is set (tcp_v4_send_ack adds them only for a non-zero TSecr).
   */
  timewaitAck(now: Time, net: TcpNet): TcpSegment {
    net.counters.TcpOutSegs++;
    return {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: this.sndNxt,
      ack: this.rcvNxt,
      flags: ACK,
      window: this.rcvWnd >> this.rcvWscale,
      urgentPointer: 0,
      options:
        this.tsRecent !== 0
          ? [
              TCP_NOP,
              TCP_NOP,
              {
                kind: 'timestamps',
                tsVal: (tcpClockMs(now) + this.tsOffset) | 0,
                tsEcr: this.tsRecent,
              },
            ]
          : [],
      payload: EMPTY,
    };
  }
}

/** Linux tcp_in_window (tcp_minisocks.c). */
export function tcpInWindow(seq: Seq, end: Seq, sWin: Seq, eWin: Seq): boolean {
  if (seq === sWin) return true;
  if (seqGt(end, sWin) && seqLt(seq, eWin)) return true;
  return seq === eWin && seq === end;
}

/** The segment's TSval, if it carries timestamps. */
function tsValOf(seg: TcpSegment): number | undefined {
  for (const o of seg.options) if (o.kind === 'timestamps') return o.tsVal;
  return undefined;
}

/**
 * The timers of the socks armed with one timeout: a FIFO of (sock, expiry).
 * Armed for the same number of jiffies, later means later (the timer wheel
 * rounds monotonically), so the queue is in expiry order without sorting. A
 * re-armed sock is queued again; its older entry is stale (the sock's expiry
 * moved, or it died) and is skipped when it reaches the front.
 */
interface TimerQueue {
  /** undefined once passed (not kept alive by the queue). */
  readonly socks: (TimeWaitSock | undefined)[];
  readonly times: number[];
  head: number;
}

/**
 * The timewait socks of one namespace (Linux tcp_death_row and the timewait
 * entries of the established hash), keyed by 4-tuple, with their timers in one
 * FIFO per timeout length (Linux keeps them in its timer wheel; inserting and
 * expiring are O(1) here too).
 */
export class TimeWaitTable {
  readonly net: TcpNet;
  /**
   * The hash chains: a power-of-two array indexed by the 4-tuple's hash, each
   * slot the first sock of its chain (linked by `next`). It doubles past one
   * sock per slot (a Map keyed by the hash cost twice as much per lookup with
   * 20 000 socks in it).
   */
  #buckets: (TimeWaitSock | undefined)[] = new Array(TW_TABLE_MIN_BUCKETS).fill(undefined);
  /** Timeout in jiffies → its queue. */
  readonly #queues = new Map<number, TimerQueue>();
  /** The same queues, for walking them without an iterator (the host asks after every segment). */
  readonly #queueList: TimerQueue[] = [];
  #count = 0;

  constructor(net: TcpNet) {
    this.net = net;
  }

  /** How many timewait socks exist (tcp_death_row.tw_refcount - 1). */
  get size(): number {
    return this.#count;
  }

  /** The timewait sock for a segment from remote to local, if there is one (__inet_lookup_established). */
  lookup(
    localAddr: number,
    localPort: number,
    remoteAddr: number,
    remotePort: number,
  ): TimeWaitSock | undefined {
    const b = this.#buckets;
    let tw = b[tupleHash(localAddr, localPort, remoteAddr, remotePort) & (b.length - 1)];
    while (tw !== undefined && !tw.matches(localAddr, localPort, remoteAddr, remotePort)) {
      tw = tw.next;
    }
    return tw;
  }

  /** Every timewait sock, in no particular order (for ss and netstat). */
  [Symbol.iterator](): IterableIterator<TimeWaitSock> {
    const all: TimeWaitSock[] = [];
    for (const q of this.#queues.values()) {
      for (let i = q.head; i < q.socks.length; i++) {
        const tw = q.socks[i];
        if (tw?.alive && tw.expires === q.times[i]) all.push(tw);
      }
    }
    return all.values();
  }

  /** The earliest timer, or undefined when the table is empty. */
  nextDeadline(): Time | undefined {
    let min: Time | undefined;
    const queues = this.#queueList;
    for (let i = 0; i < queues.length; i++) {
      const t = this.#front(queues[i]!);
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  /** Runs the timers due at `now`: each sock dies at its own deadline (tw_timer_handler). */
  handleTimeout(now: Time): void {
    const queues = this.#queueList;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      for (let t = this.#front(q); t !== undefined && t <= now; t = this.#front(q)) {
        const tw = q.socks[q.head]!;
        this.expire(tw);
      }
    }
  }

  /** The expiry of the first live entry of `q`, dropping stale ones. */
  #front(q: TimerQueue): Time | undefined {
    const { socks, times } = q;
    while (q.head < socks.length) {
      const tw = socks[q.head];
      if (tw?.alive && tw.expires === times[q.head]) return tw.expires;
      socks[q.head] = undefined;
      q.head++;
    }
    if (q.head > 0) {
      socks.length = 0;
      times.length = 0;
      q.head = 0;
    }
    return undefined;
  }

  /** Queues `tw`'s timer, `timeo` jiffies from now. */
  #arm(tw: TimeWaitSock, now: Time, timeo: number): void {
    const at = timerFireTime(now, timeo, this.net.timerWheel);
    // Re-armed for the instant it already had (the same wheel slot): its entry stands.
    if (at === tw.expires) return;
    tw.expires = at;
    let q = this.#queues.get(timeo);
    if (q === undefined) {
      q = { socks: [], times: [], head: 0 };
      this.#queues.set(timeo, q);
      this.#queueList.push(q);
    } else if (q.head > 1024 && q.head * 2 > q.socks.length) {
      q.socks.splice(0, q.head);
      q.times.splice(0, q.head);
      q.head = 0;
    }
    q.socks.push(tw);
    q.times.push(tw.expires);
  }

  /** tw_timer_handler: the timer ran out; the sock dies quietly, whether TIME_WAIT or FIN_WAIT2. */
  expire(tw: TimeWaitSock): void {
    if (!tw.alive) return;
    this.#remove(tw, tw.expires);
  }

  /**
   * Linux tcp_twsk_unique: may connect() take the 4-tuple of `tw`? Only when
   * timestamps were in use (tw_ts_recent_stamp), PAWS then tells the old
   * incarnation's segments from the new one's. A port connect() chose itself
   * (`ephemeral`, __inet_hash_connect) needs tcp_tw_reuse (1; 2: only when
   * either address is a loopback one) and a sock in TIME_WAIT proper for more
   * than tcp_tw_reuse_delay ms; a port the application bound
   * (__inet_check_established with twp NULL) takes it whatever tcp_tw_reuse
   * says (checked on Linux 6.18: bind(40001) + connect() right after the
   * close succeeds with tcp_tw_reuse=0, TcpExtTWRecycled counts it).
   * DEVIATION(linux): Linux 6.12 compared the seconds of ts_recent_stamp
   * ("time_after32(ktime_get_seconds(), ts_recent_stamp)"); tcp_tw_reuse_delay
   * and tw_entry_stamp are Linux 6.13+, as on the traces' kernel.
   */
  reusable(tw: TimeWaitSock, now: Time, ephemeral: boolean): boolean {
    if (!tw.alive || tw.tsRecentStamp < 0) return false;
    if (!ephemeral) return true;
    const sys = this.net.sysctl;
    let reuse = tw.substate === 'FIN_WAIT2' ? 0 : sys.tcp_tw_reuse;
    if (reuse === 2 && !isLoopback(tw.remoteAddr) && !isLoopback(tw.localAddr)) reuse = 0;
    if (reuse === 0) return false;
    // time_after32(tcp_clock_ms(), tw_entry_stamp + tcp_tw_reuse_delay).
    return ((tcpClockMs(now) - (tw.entryStampMs + sys.tcp_tw_reuse_delay)) | 0) > 0;
  }

  /**
   * The new connection's share of a reused timewait sock (tcp_twsk_unique):
   * write_seq = tw_snd_nxt + 65535 + 2 (never 0), TS.Recent and its stamp;
   * the sock goes (inet_twsk_deschedule_put), counted in TcpExtTWRecycled
   * (__inet_check_established).
   */
  recycle(
    tw: TimeWaitSock,
    now: Time,
  ): { readonly iss: Seq; readonly tsRecent: { value: number; stamp: number } } {
    let iss = seqAdd(tw.sndNxt, 65535 + 2);
    if (iss === 0) iss = seqAdd(iss, 1);
    const tsRecent = { value: tw.tsRecent, stamp: tw.tsRecentStamp };
    this.net.counters.TcpExtTWRecycled++;
    this.kill(tw, now);
    return { iss, tsRecent };
  }

  /** A listener took the SYN that reopens this 4-tuple (tcp_v4_rcv TCP_TW_SYN: inet_twsk_deschedule_put). */
  reopen(tw: TimeWaitSock, now: Time): void {
    this.kill(tw, now);
  }

  /** inet_twsk_deschedule_put: the sock goes before its timer. */
  kill(tw: TimeWaitSock, now: Time): void {
    if (tw.alive) this.#remove(tw, now);
  }

  /**
   * Linux inet_twsk_alloc + inet_twsk_hashdance_schedule: a timewait sock for
   * `conn`, dying `timeo` jiffies from now; undefined when tcp_max_tw_buckets
   * are in use.
   */
  insert(
    conn: Connection,
    substate: TimeWaitSubstate,
    now: Time,
    timeo: number,
  ): TimeWaitSock | undefined {
    if (this.#count >= this.net.sysctl.tcp_max_tw_buckets) return undefined;
    const l = conn.local;
    const r = conn.remote;
    // One hash and one lookup for both the old sock and the bucket's head (the
    // table is large: each lookup is likely a cache miss).
    const h = tupleHash(l.addr, l.port, r.addr, r.port);
    let first = this.#buckets[h & (this.#buckets.length - 1)];
    let old = first;
    while (old !== undefined && !old.matches(l.addr, l.port, r.addr, r.port)) old = old.next;
    if (old !== undefined) {
      this.#remove(old, now);
      first = this.#buckets[h & (this.#buckets.length - 1)];
    }
    const tw = new TimeWaitSock(conn, substate, now);
    tw.next = first;
    this.#buckets[h & (this.#buckets.length - 1)] = tw;
    tw.alive = true;
    if (++this.#count > this.#buckets.length) this.#grow();
    // __inet_twsk_schedule counts the sock when it is first armed: killed
    // early (at most 4 s, a FIN_WAIT2 with a short tcp_fin_timeout) or timewaited.
    if (timeo <= 4 * HZ) this.net.counters.TcpExtTWKilled++;
    else this.net.counters.TcpExtTW++;
    this.#arm(tw, now, timeo);
    return tw;
  }

  /** inet_twsk_reschedule: the timer starts again, `timeo` jiffies from now. */
  reschedule(tw: TimeWaitSock, now: Time, timeo: number): void {
    if (!tw.alive) return;
    this.#arm(tw, now, timeo);
  }

  /**
   * Linux tcp_timewait_state_process: what a timewait sock does with a segment
   * (its rules are quoted where they are applied). Counts TcpInSegs, and
   * TcpOutSegs/TcpOutRsts for what it asks the host to send.
   */
  handleSegment(tw: TimeWaitSock, now: Time, seg: TcpSegment): TimeWaitVerdict {
    const net = this.net;
    net.counters.TcpInSegs++;
    if (!tw.alive) {
      // A stale reference: the 4-tuple has no socket any more.
      const reply = tcpResetFor(seg);
      if (reply !== undefined) countReset(net.counters);
      return { action: 'rst', reply, drop: net.drop(now, tw.id, 'NO_SOCKET', seg) };
    }
    const f = seg.flags;
    const end = seqAdd(seg.seq, tcpSegmentLength(seg));
    // PAWS (RFC 7323 5), only when timestamps were in use (tw_ts_recent_stamp).
    let tsVal: number | undefined;
    let pawsReject = false;
    if (tw.tsRecentStamp >= 0) {
      tsVal = tsValOf(seg);
      if (tsVal !== undefined) pawsReject = tcpPawsReject(tw, now, tsVal, (f & RST) !== 0);
    }

    if (tw.substate === 'FIN_WAIT2') {
      // "Just repeat all the checks of tcp_rcv_state_process()".
      // Out of window (or PAWS): a duplicate ACK, rate-limited.
      if (pawsReject || !tcpInWindow(seg.seq, end, tw.rcvNxt, seqAdd(tw.rcvNxt, tw.rcvWnd))) {
        return this.#oowAck(tw, now, seg, 'TcpExtTCPACKSkippedFinWait2', pawsReject);
      }
      if (f & RST) {
        this.kill(tw, now);
        return CONSUMED;
      }
      // A SYN at or after RCV.NXT: reset (TCP_TW_RST).
      if (f & SYN && !seqLt(seg.seq, tw.rcvNxt)) return this.#reset(now, tw, seg, 'TCP_FLAGS');
      // A duplicate ACK: nothing to do.
      if (!(f & ACK) || !seqGt(end, tw.rcvNxt) || end === seg.seq) return CONSUMED;
      // "New data or FIN. If new data arrive after half-duplex close, reset."
      if (!(f & FIN) || end !== seqAdd(tw.rcvNxt, 1)) {
        net.counters.TcpExtTCPAbortOnData++;
        return this.#reset(now, tw, seg, 'TCP_ABORT_ON_DATA');
      }
      // "FIN arrived, enter true time-wait state."
      tw.substate = 'TIME_WAIT';
      tw.since = now;
      tw.rcvNxt = end;
      if (tsVal !== undefined) {
        storeTsRecent(tw, now, tsVal);
        tw.entryStampMs = tcpClockMs(now);
      }
      net.observer?.({ kind: 'state', time: now, id: tw.id, from: 'FIN_WAIT2', to: 'TIME_WAIT' });
      this.reschedule(tw, now, TCP_TIMEWAIT_LEN);
      return { action: 'ack', reply: tw.timewaitAck(now, net), drop: undefined };
    }

    // The real TIME-WAIT state.
    if (!pawsReject && seg.seq === tw.rcvNxt && (seg.seq === end || f & RST)) {
      // "In window segment, it may be only reset or bare ack."
      if (f & RST) {
        // RFC 1337 "TIME-WAIT assassination": Linux lets the RST kill the
        // sock unless tcp_rfc1337 is set.
        if (net.sysctl.tcp_rfc1337 === 0) {
          this.kill(tw, now);
          return CONSUMED;
        }
      } else {
        this.reschedule(tw, now, TCP_TIMEWAIT_LEN);
      }
      if (tsVal !== undefined) storeTsRecent(tw, now, tsVal);
      return CONSUMED;
    }
    // RFC 1122 4.2.2.13: a new SYN may reopen the connection if it is not an old
    // duplicate: a sequence number beyond the old incarnation's, or a newer
    // timestamp. The new ISN is beyond anything the old one sent: SND.NXT +
    // 65535 + 2, never 0 (0 means "none" to tcp_conn_request).
    if (
      f & SYN &&
      !(f & (RST | ACK)) &&
      !pawsReject &&
      (seqGt(seg.seq, tw.rcvNxt) || (tsVal !== undefined && ((tw.tsRecent - tsVal) | 0) < 0))
    ) {
      let isn = seqAdd(tw.sndNxt, 65535 + 2);
      if (isn === 0) isn = seqAdd(isn, 1);
      return { action: 'syn', isn };
    }
    if (pawsReject) net.counters.TcpExtPAWSEstab++;
    if (!(f & RST)) {
      // "In this case we must reset the TIMEWAIT timer": a retransmitted FIN
      // (its ACK was lost) or any ACK-bearing segment; not an ACK-less SYN,
      // which may be a new connection with a random ISN below RCV.NXT.
      if (pawsReject || f & ACK) this.reschedule(tw, now, TCP_TIMEWAIT_LEN);
      return this.#oowAck(tw, now, seg, 'TcpExtTCPACKSkippedTimeWait', pawsReject);
    }
    return {
      action: 'none',
      drop: net.drop(now, tw.id, pawsReject ? 'TCP_RFC7323_PAWS' : 'TCP_RESET', seg),
    };
  }

  /** tcp_timewait_check_oow_rate_limit: the ACK, unless one went less than tcp_invalid_ratelimit ago. */
  #oowAck(
    tw: TimeWaitSock,
    now: Time,
    seg: TcpSegment,
    counter: 'TcpExtTCPACKSkippedFinWait2' | 'TcpExtTCPACKSkippedTimeWait',
    pawsReject: boolean,
  ): TimeWaitVerdict {
    const net = this.net;
    const drop = pawsReject ? net.drop(now, tw.id, 'TCP_RFC7323_PAWS', seg) : undefined;
    // tcp_oow_rate_limited: only pure ACKs and SYNs are limited; data and FINs always get theirs.
    if (tcpSegmentLength(seg) === 0 || seg.flags & SYN) {
      const j = jiffies(now);
      if (tw.lastOowAck >= 0) {
        const elapsed = j - tw.lastOowAck;
        if (elapsed >= 0 && elapsed < msecsToJiffies(net.sysctl.tcp_invalid_ratelimit)) {
          net.counters[counter]++;
          return { action: 'none', drop };
        }
      }
      tw.lastOowAck = j;
    }
    return { action: 'ack', reply: tw.timewaitAck(now, net), drop };
  }

  /** TCP_TW_RST: tcp_v4_send_reset, and the sock goes (inet_twsk_deschedule_put). */
  #reset(now: Time, tw: TimeWaitSock, seg: TcpSegment, reason: TcpDropReason): TimeWaitVerdict {
    const reply = tcpResetFor(seg);
    if (reply !== undefined) countReset(this.net.counters);
    this.kill(tw, now);
    return { action: 'rst', reply, drop: this.net.drop(now, tw.id, reason, seg) };
  }

  /** Twice the slots, the chains rehashed into them. */
  #grow(): void {
    const old = this.#buckets;
    const b: (TimeWaitSock | undefined)[] = new Array(old.length * 2).fill(undefined);
    const mask = b.length - 1;
    for (let i = 0; i < old.length; i++) {
      for (let tw = old[i]; tw !== undefined; ) {
        const next = tw.next;
        const h = tupleHash(tw.localAddr, tw.localPort, tw.remoteAddr, tw.remotePort) & mask;
        tw.next = b[h];
        b[h] = tw;
        tw = next;
      }
    }
    this.#buckets = b;
  }

  #remove(tw: TimeWaitSock, at: Time): void {
    const b = this.#buckets;
    const h = tupleHash(tw.localAddr, tw.localPort, tw.remoteAddr, tw.remotePort) & (b.length - 1);
    const first = b[h];
    if (first === tw) {
      b[h] = tw.next;
    } else {
      let p = first;
      while (p !== undefined && p.next !== tw) p = p.next;
      if (p !== undefined) p.next = tw.next;
    }
    tw.next = undefined;
    tw.alive = false;
    this.#count--;
    tw.expires = at;
    this.net.observer?.({ kind: 'state', time: at, id: tw.id, from: tw.substate, to: 'CLOSE' });
  }
}

/** Slots the hash chains start with (they double as the table fills, and never shrink). */
const TW_TABLE_MIN_BUCKETS = 256;

/** ipv4_is_loopback: 127.0.0.0/8. */
function isLoopback(addr: number): boolean {
  return addr >>> 24 === 127;
}

function nowSeconds(now: Time): number {
  return Math.floor(now / 1e9);
}

function storeTsRecent(tw: TimeWaitSock, now: Time, tsVal: number): void {
  tw.tsRecent = tsVal | 0;
  tw.tsRecentStamp = nowSeconds(now);
}

/** include/net/tcp.h tcp_paws_check(…, 0) and tcp_paws_reject, on the timewait values. */
function tcpPawsReject(tw: TimeWaitSock, now: Time, tsVal: number, rst: boolean): boolean {
  if (((tw.tsRecent - tsVal) | 0) <= 0) return false;
  const sec = nowSeconds(now);
  if (sec >= tw.tsRecentStamp + TCP_PAWS_WRAP_S) return false;
  if (tw.tsRecent === 0) return false;
  // RFC 7323 5.3: a RST may carry an old timestamp once TS.Recent is an MSL old.
  if (rst && sec >= tw.tsRecentStamp + TCP_PAWS_MSL_S) return false;
  return true;
}

/**
 * Linux tcp_time_wait(sk, state, timeo): the connection becomes a timewait sock
 * in `substate`, dying after `timeo` jiffies (at least 3.5 RTO; TIME_WAIT is
 * always TCP_TIMEWAIT_LEN), and the full connection is done. Without room
 * (tcp_max_tw_buckets), the connection is just closed (TcpExtTCPTimeWaitOverflow),
 * silently: the "TCP: time wait bucket table overflow" of older kernels is not
 * logged (checked on Linux 6.18 with tcp_max_tw_buckets=1: two overflows
 * counted, nothing in dmesg).
 */
export function tcpTimeWait(
  conn: Connection,
  now: Time,
  substate: TimeWaitSubstate,
  timeo: number,
): void {
  const rto = conn.rto * 4 - (conn.rto >> 1);
  let t = Math.max(timeo, rto);
  if (substate === 'TIME_WAIT') t = TCP_TIMEWAIT_LEN;
  if (substate !== conn.state) setState(conn, substate, now);
  const tw = conn.net.timeWait.insert(conn, substate, now, t);
  if (tw === undefined) {
    conn.net.counters.TcpExtTCPTimeWaitOverflow++;
    conn.finish(now);
    return;
  }
  conn.enterTimeWait(tw);
}
