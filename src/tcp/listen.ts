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
 * tcp_abort_on_overflow). With tcp_syncookies=2, or when the SYN queue is full
 * and tcp_syncookies=1, a SYN gets a stateless cookie SYN-ACK instead of a
 * request sock, and the ACK carrying the cookie back makes the connection
 * (syncookies.ts). Not yet: the SYN-queue pruning of half-open requests
 * (reqsk_timer_handler's `thresh`), tcp_max_syn_backlog without cookies. A SYN that reopens a TIME_WAIT 4-tuple comes with the ISN
 * the timewait sock chose (timewait.ts).
 */

import type { Time } from '../sim/time.js';
import { type Seq, seq, seqAdd } from '../wire/seq.js';
import { ACK, FIN, RST, SYN, type TcpSegment } from '../wire/tcp.js';
import type { TcpOption } from '../wire/tcp-options.js';
import { TCP_TIMEOUT_INIT } from './clock.js';
import { Connection, type TcpEndpoint } from './connection.js';
import type { TcpDropReason } from './drop.js';
import { negotiate } from './input.js';
import type { TcpNet } from './net.js';
import { parseReceivedOptions } from './options.js';
import { MAX_UNSCALED_WINDOW, tcpInitialWindow, tcpSendSynAck } from './output.js';
import { countReset, tcpResetFor } from './reset.js';
import { setState } from './state.js';
import {
  type CookieTuple,
  cookieCheck,
  cookieInitSequence,
  cookieInitTimestamp,
  cookieMssIndex,
  cookieTimestampDecode,
  cookieTsOffset,
} from './syncookies.js';
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
  | { readonly delivered: Connection }
  /** Answered with a SYN cookie: a SYN-ACK and no request sock. */
  | { readonly reply: TcpSegment; readonly cookie: true };

/** TCP_SYNCOOKIE_VALID: cookies are taken back while the last overflow is this recent (2 min). */
const TCP_SYNCOOKIE_VALID_NS = 2 * 60 * 1_000_000_000;
/** TCP_MSS_DEFAULT (include/net/tcp.h): the MSS of a SYN without the option. */
const TCP_MSS_DEFAULT = 536;

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
  /** When a SYN last got a cookie (Linux tcp_synq_overflow: last_overflow). */
  lastOverflow: Time | undefined;

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
    // "Reset the listener's ACK": an ACK for no request is answered with RST,
    // unless it brings back one of our SYN cookies (cookie_v4_check).
    if (f & ACK) {
      if (!(f & (SYN | RST))) {
        const v = this.#cookieAck(now, seg, remote, localAddr);
        if (v !== undefined) return v;
      }
      return this.#reset(now, seg, 'TCP_FLAGS');
    }
    if (f & RST) return { drop: this.net.drop(now, -1, 'TCP_RESET', seg) };
    if (!(f & SYN) || f & FIN) return { drop: this.net.drop(now, -1, 'TCP_FLAGS', seg) };
    if (this.state !== 'LISTEN') return this.#reset(now, seg, 'NO_SOCKET');
    // tcp_conn_request: "if ((syncookies == 2 || inet_csk_reqsk_queue_is_full(sk))
    // && !isn)": a cookie (tcp_syn_flood_action) or, without cookies, a drop. The
    // SYN queue holds at most `backlog` requests.
    const syncookies = this.net.sysctl.tcp_syncookies;
    let wantCookie = false;
    if (
      (syncookies === 2 || this.synQueue.size >= Math.max(this.backlog, 1)) &&
      isn === undefined
    ) {
      if (syncookies === 0) {
        this.net.count('TcpExtTCPReqQFullDrop');
        this.net.count('TcpExtListenDrops');
        return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
      }
      this.net.count('TcpExtTCPReqQFullDoCookies');
      wantCookie = true;
    }
    if (this.acceptQueueFull()) {
      this.net.count('TcpExtListenOverflows');
      this.net.count('TcpExtListenDrops');
      return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
    }
    if (wantCookie) return this.#cookieSynAck(now, seg, remote, localAddr);
    const child = this.#request(now, seg, remote, localAddr, isn);
    this.synQueue.set(key(remote), child);
    return { child };
  }

  /**
   * The SYN-ACK of a SYN answered with a cookie (tcp_conn_request with
   * want_cookie): built as a request sock's would be, with the cookie as ISN
   * and, with timestamps, the options in the TS value; the request is not kept
   * ("if (want_cookie) { reqsk_free(req); return 0; }"), so nothing retransmits it.
   */
  #cookieSynAck(now: Time, seg: TcpSegment, remote: TcpEndpoint, localAddr: number): ListenVerdict {
    const t = this.#tuple(remote, localAddr);
    const opts = parseReceivedOptions(seg, this.net.sysctl, undefined);
    const iss = cookieInitSequence(
      this.net,
      now,
      t,
      seg.seq,
      cookieMssIndex(opts.mss ?? TCP_MSS_DEFAULT),
    );
    // "if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options(&tmp_opt)":
    // without timestamps there is nowhere to keep SACK and the window scale.
    const syn =
      opts.tsVal === undefined
        ? { ...seg, options: seg.options.filter((o) => o.kind === 'mss') }
        : seg;
    const req = this.#request(now, syn, remote, localAddr, iss, cookieTsOffset(this.net, t), true);
    let synAck = req.pollTransmit()!;
    if (req.tstampOk) {
      const tsVal =
        (cookieInitTimestamp(now, req.wscaleOk ? req.sndWscale : undefined, req.sackOk) +
          req.tsOffset) >>>
        0;
      synAck = {
        ...synAck,
        options: synAck.options.map((o) => (o.kind === 'timestamps' ? { ...o, tsVal } : o)),
      };
    }
    this.lastOverflow = now;
    this.net.count('TcpExtSyncookiesSent');
    return { reply: synAck, cookie: true };
  }

  /**
   * Linux cookie_v4_check for an ACK that found no request: when cookies were
   * sent lately (always with tcp_syncookies=2), a valid cookie makes the
   * connection, with the MSS, window scale and SACK it encodes; the ACK then
   * completes its handshake. Undefined when it is no cookie (it gets the RST).
   */
  #cookieAck(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
  ): ListenVerdict | undefined {
    const syncookies = this.net.sysctl.tcp_syncookies;
    if (syncookies === 0 || this.state !== 'LISTEN') return undefined;
    // tcp_synq_no_recent_overflow.
    if (
      syncookies !== 2 &&
      (this.lastOverflow === undefined || now - this.lastOverflow > TCP_SYNCOOKIE_VALID_NS)
    ) {
      return undefined;
    }
    const t = this.#tuple(remote, localAddr);
    const peerIsn = seqAdd(seg.seq, -1);
    const iss = seqAdd(seg.ack, -1);
    const mss = cookieCheck(this.net, now, t, peerIsn, iss);
    if (mss === undefined) {
      this.net.count('TcpExtSyncookiesFailed');
      return undefined;
    }
    const tsOffset = cookieTsOffset(this.net, t);
    const opts = parseReceivedOptions(seg, this.net.sysctl, { tstampOk: true });
    const options: TcpOption[] = [{ kind: 'mss', mss }];
    if (opts.tsVal !== undefined && opts.tsEcr !== 0) {
      if (!this.net.sysctl.tcp_timestamps) return undefined;
      const decoded = cookieTimestampDecode((opts.tsEcr - tsOffset) >>> 0);
      if (decoded.sack) {
        if (!this.net.sysctl.tcp_sack) return undefined;
        options.push({ kind: 'sackPermitted' });
      }
      options.push({ kind: 'timestamps', tsVal: opts.tsVal, tsEcr: 0 });
      if (decoded.wscale !== undefined) {
        if (!this.net.sysctl.tcp_window_scaling) return undefined;
        options.push({ kind: 'wscale', shift: decoded.wscale });
      }
    }
    this.net.count('TcpExtSyncookiesRecv');
    // tcp_v4_syn_recv_sock: "if (sk_acceptq_is_full(sk)) goto exit_overflow".
    if (this.acceptQueueFull()) {
      this.net.count('TcpExtListenOverflows');
      this.net.count('TcpExtListenDrops');
      return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
    }
    // The request the cookie stands for, as the SYN made it; its SYN-ACK was
    // sent already (as the cookie), and the ACK completes it.
    const syn: TcpSegment = {
      ...seg,
      seq: peerIsn,
      ack: seq(0),
      flags: SYN,
      options,
      payload: new Uint8Array(0),
    };
    const child = this.#request(now, syn, remote, localAddr, iss, tsOffset, false);
    while (child.pollTransmit() !== undefined) {
      // The SYN-ACK went out as the cookie.
    }
    this.synQueue.set(key(remote), child);
    child.handleSegment(now, seg);
    return { child };
  }

  #tuple(remote: TcpEndpoint, localAddr: number): CookieTuple {
    return { saddr: localAddr, daddr: remote.addr, sport: this.local.port, dport: remote.port };
  }

  /** The request sock for a SYN, and its SYN-ACK (tcp_conn_request, tcp_openreq_init_rwin). */
  #request(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    isn: Seq | undefined,
    tsOffset?: number,
    stateless = false,
  ): Connection {
    const child = new Connection(this.net, { addr: localAddr, port: this.local.port }, remote, {
      mtu: this.mtu,
      iss: isn,
      ...(tsOffset !== undefined ? { tsOffset } : {}),
    });
    child.isRequest = true;
    if (!stateless) {
      child.listener = this;
      setState(child, 'SYN_RECV', now);
    }
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
    if (!stateless) armTimer(child, 'retransmit', now, TCP_TIMEOUT_INIT);
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
