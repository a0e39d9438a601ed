/**
 * A listening socket, minimal for now: it answers SYNs with a passive
 * connection in SYN_RECV (Linux tcp_conn_request and the request sock it
 * creates), keeps those in its SYN queue until their handshake completes, then
 * in its accept queue until accept(). Everything else a listener gets is
 * answered as Linux's LISTEN state does (tcp_rcv_state_process, case
 * TCP_LISTEN): an ACK with a RST, a RST or a segment without SYN dropped.
 *
 * The accept queue holds backlog + 1 connections (sk_acceptq_is_full tests `>`),
 * as linux-traces/accept-queue-overflow shows (`LISTEN 2 1`); when it is full,
 * new SYNs are dropped and a final ACK is dropped too (or reset, with
 * tcp_abort_on_overflow). Not yet: SYN cookies, the SYN-queue pruning of
 * half-open requests (reqsk_timer_handler's `thresh`), tcp_max_syn_backlog
 * without cookies. A SYN that reopens a TIME_WAIT 4-tuple comes with the ISN
 * the timewait sock chose (timewait.ts).
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqAdd } from '../wire/seq.js';
import { ACK, FIN, RST, SYN, type TcpSegment } from '../wire/tcp.js';
import { TCP_TIMEOUT_INIT } from './clock.js';
import { Connection, type TcpEndpoint } from './connection.js';
import type { TcpDropReason } from './drop.js';
import { negotiate } from './input.js';
import type { TcpNet } from './net.js';
import { parseReceivedOptions } from './options.js';
import { MAX_UNSCALED_WINDOW, tcpInitialWindow, tcpSendSynAck } from './output.js';
import { countReset, tcpResetFor } from './reset.js';
import { setState } from './state.js';
import { armTimer } from './timers.js';

export interface ListenOptions {
  /** The address (0 for any) and port listened on. */
  readonly local: TcpEndpoint;
  /** listen(2)'s backlog, already capped by net.core.somaxconn. */
  readonly backlog: number;
  /** MTU of the route to peers (default 1500). */
  readonly mtu?: number;
}

/** What the listener did with a segment. */
export type ListenVerdict =
  /** A new passive connection (its SYN-ACK waits in its pollTransmit). */
  | { readonly child: Connection }
  /** Answered with a reset. */
  | { readonly reply: TcpSegment; readonly drop: TcpDropReason }
  | { readonly drop: TcpDropReason }
  /** Handed to an existing child in the SYN queue. */
  | { readonly delivered: Connection };

export class Listener {
  readonly net: TcpNet;
  readonly local: TcpEndpoint;
  backlog: number;
  readonly mtu: number;
  state: 'LISTEN' | 'CLOSE' = 'LISTEN';
  /** Connections in SYN_RECV, by remote endpoint (`key`: address × 65536 + port). */
  readonly synQueue = new Map<number, Connection>();
  /** Established connections waiting for accept(). */
  readonly acceptQueue: Connection[] = [];

  constructor(net: TcpNet, options: ListenOptions) {
    this.net = net;
    this.local = options.local;
    this.backlog = options.backlog;
    this.mtu = options.mtu ?? 1500;
  }

  /** Linux sk_acceptq_is_full: more than `backlog` waiting. */
  acceptQueueFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }

  /** The next connection to accept, if any. */
  accept(): Connection | undefined {
    const c = this.acceptQueue.shift();
    if (c !== undefined) c.listener = undefined;
    return c;
  }

  /**
   * A segment arrived for this listener from `remote` to `localAddr` (the
   * address the peer used, which the child will answer from). `isn` is the
   * ISN a SYN that reopened a TIME_WAIT 4-tuple must use (the timewait sock's
   * `syn` verdict; Linux tcp_conn_request takes tcp_tw_isn).
   */
  handleSegment(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    isn?: Seq,
  ): ListenVerdict {
    const existing = this.synQueue.get(key(remote));
    if (existing !== undefined) {
      existing.handleSegment(now, seg);
      return { delivered: existing };
    }
    this.net.counters.TcpInSegs++;
    const f = seg.flags;
    // "Reset the listener's ACK": an ACK for no request is answered with RST.
    if (f & ACK) return this.#reset(now, seg, 'TCP_FLAGS');
    if (f & RST) return { drop: this.net.drop(now, -1, 'TCP_RESET', seg) };
    if (!(f & SYN) || f & FIN) return { drop: this.net.drop(now, -1, 'TCP_FLAGS', seg) };
    if (this.state !== 'LISTEN') return this.#reset(now, seg, 'NO_SOCKET');
    // tcp_conn_request: the SYN queue holds at most `backlog` requests
    // (inet_csk_reqsk_queue_is_full). DEVIATION(linux): no SYN cookies yet.
    if (this.synQueue.size >= Math.max(this.backlog, 1)) {
      this.net.count('TcpExtListenDrops');
      return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
    }
    if (this.acceptQueueFull()) {
      this.net.count('TcpExtListenOverflows');
      this.net.count('TcpExtListenDrops');
      return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
    }
    const child = this.#request(now, seg, remote, localAddr, isn);
    this.synQueue.set(key(remote), child);
    return { child };
  }

  /** The request sock for a SYN, and its SYN-ACK (tcp_conn_request, tcp_openreq_init_rwin). */
  #request(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    isn: Seq | undefined,
  ): Connection {
    const child = new Connection(this.net, { addr: localAddr, port: this.local.port }, remote, {
      mtu: this.mtu,
      iss: isn,
    });
    child.isRequest = true;
    child.listener = this;
    setState(child, 'SYN_RECV', now);
    child.irs = seg.seq;
    child.rcvNxt = seqAdd(seg.seq, 1);
    child.rcvWup = child.rcvNxt;
    child.sndWnd = seg.window;
    child.maxWindow = seg.window;
    child.sndWl1 = seg.seq;
    negotiate(child, now, parseReceivedOptions(seg, this.net.sysctl, undefined), false);
    // The SYN-ACK's window: a multiple of the MSS less timestamps, e.g. 45 × 1448 = 65160.
    child.rcvWnd = tcpInitialWindow(child, child.advMss - (child.tstampOk ? 12 : 0));
    child.rcvSsthresh = child.rcvWnd;
    child.windowClamp = MAX_UNSCALED_WINDOW * 2 ** child.rcvWscale;
    child.rcvMss = Math.min(child.advMss, 536);
    tcpSendSynAck(child, now);
    armTimer(child, 'retransmit', now, TCP_TIMEOUT_INIT);
    return child;
  }

  #reset(now: Time, seg: TcpSegment, reason: TcpDropReason): ListenVerdict {
    const reply = tcpResetFor(seg);
    const drop = this.net.drop(now, -1, reason, seg);
    if (reply === undefined) return { drop };
    countReset(this.net.counters);
    return { reply, drop };
  }

  /** A child completed its handshake: from the SYN queue to the accept queue. */
  established(conn: Connection): void {
    this.synQueue.delete(key(conn.remote));
    this.acceptQueue.push(conn);
  }

  /** A child went away (expired, reset) before accept(). */
  forget(conn: Connection): void {
    if (this.synQueue.get(key(conn.remote)) === conn) this.synQueue.delete(key(conn.remote));
    const i = this.acceptQueue.indexOf(conn);
    if (i >= 0) this.acceptQueue.splice(i, 1);
  }

  /**
   * close() on the listener (Linux inet_csk_listen_stop): requests are dropped,
   * connections never accepted are aborted (tcp_disconnect: RST).
   */
  close(now: Time): void {
    this.state = 'CLOSE';
    for (const c of [...this.synQueue.values()]) c.finish(now);
    for (const c of [...this.acceptQueue]) {
      c.listener = undefined;
      c.disconnect(now);
    }
    this.synQueue.clear();
    this.acceptQueue.length = 0;
  }
}

/** A number that names a remote endpoint exactly (48 bits), cheaper than a string to build and hash. */
function key(remote: TcpEndpoint): number {
  return (remote.addr >>> 0) * 65536 + remote.port;
}
