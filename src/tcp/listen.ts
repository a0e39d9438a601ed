/**
 * A listening socket: it answers SYNs with a passive connection in SYN_RECV
 * (Linux tcp_conn_request and the request sock it creates), keeps those in its
 * SYN queue until their handshake completes, then in its accept queue until
 * accept(). Everything else a listener gets is answered as Linux's LISTEN
 * state does (tcp_rcv_state_process, case TCP_LISTEN): an ACK with a RST, a
 * RST or a segment without SYN dropped.
 *
 * The queues, as Linux sizes them (listen()'s backlog, capped by
 * net.core.somaxconn in the socket layer), each checked before it grows:
 * - the SYN queue holds backlog + 1 requests (inet_csk_reqsk_queue_is_full
 *   tests `qlen > backlog`; linux-traces/syn-flood: 129 SYN_RECV for 128). A SYN
 *   it has no room for gets a SYN cookie (tcp_syncookies=1) or is dropped
 *   (tcp_syncookies=0; TCPReqQFullDrop); tcp_syn_flood_action counts it and
 *   writes "Possible SYN flooding on port …" to the kernel log once per
 *   listener. With tcp_syncookies=2 every SYN gets a cookie and nothing is
 *   logged. tcp_max_syn_backlog only matters without cookies: the last
 *   quarter of it is kept for peers tcp_metrics has seen (none here);
 * - the accept queue holds backlog + 1 connections (sk_acceptq_is_full tests
 *   `>`; linux-traces/accept-queue-overflow: `LISTEN 2 1`); while it is full,
 *   new SYNs are dropped (ListenOverflows), cookies or not, and a final ACK is
 *   dropped too, the request kept for its SYN-ACK timer to try again
 *   (tcp_abort_on_overflow=0), or answered with a RST (=1).
 * SYN-ACK retransmission and the pruning of old requests when the queue is
 * more than half full are the request's timer (timers.ts synAckTimer, which
 * reads `young`); SYN cookies are syncookies.ts. A SYN that reopens a TIME_WAIT
 * 4-tuple comes with the ISN the timewait sock chose (timewait.ts) and is
 * never refused for a full SYN queue.
 *
 * Checked on Linux 6.18 (netns, raw SYNs; test/tcp/listen-pressure-linux.py):
 * backlog 16 keeps 17 requests with or without cookies, backlog 0 keeps one,
 * tcp_max_syn_backlog=8 without cookies keeps 7, with cookies it does not
 * matter; 12 requests in a backlog-20 queue lose 2 at the 7 s timeout.
 *
 * DEVIATION(linux): a request is a whole Connection (with isRequest set), not
 * a small request sock (struct tcp_request_sock) that becomes a socket only
 * when the handshake completes: about 3.4 KB per SYN_RECV entry through a host
 * (bench/pressure.js) where Linux needs 312 bytes. Cookie SYN-ACKs cost no
 * socket (#cookieShape).
 */

import type { Time } from '../sim/time.js';
import { formatIpv4Address } from '../wire/address.js';
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
import type { TcpSysctl } from './sysctl.js';
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

/** The window and options of a cookie SYN-ACK, timestamps to be filled in. */
interface CookieShape {
  readonly window: number;
  readonly options: readonly TcpOption[];
}

const EMPTY_PAYLOAD = new Uint8Array(0);

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
  /** Cookie SYN-ACK shapes (#cookieShape), for the sysctl table they were made with. */
  readonly #shapes = new Map<number, CookieShape>();
  #shapesFor: TcpSysctl | undefined;
  /** The synflood line was written to the kernel log (Linux queue->synflood_warned). */
  synFloodWarned = false;
  /**
   * Requests whose SYN-ACK timer has not fired yet (Linux queue->young): the
   * SYN-ACK timer prunes old requests when these are few (timers.ts).
   */
  young = 0;

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

  /**
   * Linux inet_csk_reqsk_queue_is_full: more requests than the backlog
   * (`qlen > sk_max_ack_backlog`), so the SYN queue holds backlog + 1, as
   * linux-traces/syn-flood shows (129 SYN_RECV for a backlog of 128).
   */
  reqQueueFull(): boolean {
    return this.synQueue.size > this.backlog;
  }

  /**
   * Linux tcp_syn_flood_action: whether a SYN the SYN queue has no room for
   * (or any SYN, with tcp_syncookies=2) gets a cookie; counted, and told once
   * per listener in the kernel log (not with tcp_syncookies=2, where cookies
   * are the rule, not a sign of a flood).
   */
  #synFloodAction(now: Time): boolean {
    const syncookies = this.net.sysctl.tcp_syncookies;
    const wantCookie = syncookies !== 0;
    this.net.count(wantCookie ? 'TcpExtTCPReqQFullDoCookies' : 'TcpExtTCPReqQFullDrop');
    if (!this.synFloodWarned && syncookies !== 2) {
      this.synFloodWarned = true;
      // pr_fmt "TCP: ", then "%s: Possible SYN flooding on port %pI4:%u. %s.\n"
      // with the request sock slab's name (net_info_ratelimited: KERN_INFO).
      const msg = wantCookie ? 'Sending cookies' : 'Dropping request';
      this.net.printk?.(
        now,
        'info',
        `TCP: request_sock_TCP: Possible SYN flooding on port ${formatIpv4Address(this.local.addr)}:${this.local.port}. ${msg}.`,
      );
    }
    return wantCookie;
  }

  /** Linux tcp_listendrop: a SYN (or the ACK ending a handshake) the listener could not take. */
  #listenDrop(now: Time, seg: TcpSegment): ListenVerdict {
    this.net.count('TcpExtListenDrops');
    return { drop: this.net.drop(now, -1, 'TCP_LISTEN_OVERFLOW', seg) };
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
    // Linux tcp_conn_request: "if ((syncookies == 2 ||
    // inet_csk_reqsk_queue_is_full(sk)) && !isn)": a cookie or, without
    // cookies, a drop (tcp_syn_flood_action). A SYN that reopens a TIME_WAIT
    // 4-tuple is exempt: its peer is evidently real.
    const syncookies = this.net.sysctl.tcp_syncookies;
    let wantCookie = false;
    if ((syncookies === 2 || this.reqQueueFull()) && isn === undefined) {
      wantCookie = this.#synFloodAction(now);
      if (!wantCookie) return this.#listenDrop(now, seg);
    }
    // "if (sk_acceptq_is_full(sk)) { NET_INC_STATS(LISTENOVERFLOWS); goto drop; }"
    if (this.acceptQueueFull()) {
      this.net.count('TcpExtListenOverflows');
      return this.#listenDrop(now, seg);
    }
    // "Without syncookies last quarter of backlog is filled with destinations,
    // proven to be alive": with tcp_syncookies=0, once fewer than a quarter of
    // tcp_max_syn_backlog's places are free, a SYN from a peer tcp_metrics has
    // no RTT for is dropped (pr_drop_req, then drop_and_release).
    // DEVIATION(linux): tcplab keeps no tcp_metrics, so no peer is proven.
    if (!wantCookie && isn === undefined && syncookies === 0) {
      const maxSynBacklog = this.net.sysctl.tcp_max_syn_backlog;
      if (maxSynBacklog - this.synQueue.size < maxSynBacklog >> 2) {
        return this.#listenDrop(now, seg);
      }
    }
    if (wantCookie) return this.#cookieSynAck(now, seg, remote, localAddr);
    const child = this.#request(now, seg, remote, localAddr, isn);
    this.#queueAdd(child);
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
    const ts = opts.tsVal !== undefined;
    const sack = ts && opts.sackPermitted;
    const wscale = ts ? opts.wscale : undefined;
    const shape = this.#cookieShape(now, seg, remote, localAddr, ts, sack, wscale !== undefined);
    let options = shape.options;
    if (ts) {
      const tsVal = (cookieInitTimestamp(now, wscale, sack) + cookieTsOffset(this.net, t)) >>> 0;
      const tsEcr = opts.tsVal!;
      options = options.map((o) =>
        o.kind === 'timestamps' ? { kind: 'timestamps', tsVal, tsEcr } : o,
      );
    }
    this.lastOverflow = now;
    this.net.count('TcpExtSyncookiesSent');
    this.net.counters.TcpOutSegs++;
    return {
      reply: {
        srcPort: this.local.port,
        dstPort: remote.port,
        seq: iss,
        ack: seqAdd(seg.seq, 1),
        flags: SYN | ACK,
        window: shape.window,
        urgentPointer: 0,
        options,
        payload: EMPTY_PAYLOAD,
      },
      cookie: true,
    };
  }

  /**
   * What a cookie SYN-ACK's window and options look like for a SYN with or
   * without timestamps, SACK and window scaling: the same as a request sock's
   * SYN-ACK (tcp_conn_request builds both alike), so made once by one, then
   * kept while the sysctls stay the same. A flood of cookies then costs no
   * socket at all (the timestamp values are filled in per SYN).
   */
  #cookieShape(
    now: Time,
    seg: TcpSegment,
    remote: TcpEndpoint,
    localAddr: number,
    ts: boolean,
    sack: boolean,
    wscale: boolean,
  ): CookieShape {
    if (this.#shapesFor !== this.net.sysctl) {
      this.#shapes.clear();
      this.#shapesFor = this.net.sysctl;
    }
    const k = (ts ? 1 : 0) | (sack ? 2 : 0) | (wscale ? 4 : 0);
    let shape = this.#shapes.get(k);
    if (shape === undefined) {
      const syn = ts ? seg : { ...seg, options: seg.options.filter((o) => o.kind === 'mss') };
      const req = this.#request(now, syn, remote, localAddr, seq(0), 0, true);
      const synAck = req.pollTransmit()!;
      // The scratch request's own count: the cookie SYN-ACK is counted when sent.
      this.net.counters.TcpOutSegs--;
      shape = { window: synAck.window, options: synAck.options };
      this.#shapes.set(k, shape);
    }
    return shape;
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
      return this.#listenDrop(now, seg);
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
    // cookie_v4_check redoes tcp_select_initial_window with the cookie's MSS,
    // the msstab value without room for timestamps: 44 × 1460 = 64240 where
    // the request sock had 45 × 1448 (linux-traces/syn-flood: the cookie
    // connection's first window is 63 << 10, a request sock's 64 << 10).
    child.rcvWnd = tcpInitialWindow(child, mss);
    child.rcvSsthresh = child.rcvWnd;
    this.#queueAdd(child);
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

  /** Linux inet_csk_reqsk_queue_hash_add → reqsk_queue_added: a young request. */
  #queueAdd(child: Connection): void {
    this.synQueue.set(key(child.remote), child);
    this.young++;
  }

  /** Linux reqsk_queue_removed: out of the SYN queue, and no longer young if it never timed out. */
  #queueRemove(conn: Connection): void {
    if (this.synQueue.get(key(conn.remote)) !== conn) return;
    this.synQueue.delete(key(conn.remote));
    if (conn.numTimeout === 0) this.young--;
  }

  /** A child completed its handshake: from the SYN queue to the accept queue. */
  established(conn: Connection): void {
    this.#queueRemove(conn);
    this.acceptQueue.push(conn);
  }

  /** A child went away (expired, reset) before accept(). */
  forget(conn: Connection): void {
    this.#queueRemove(conn);
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
    this.young = 0;
    this.acceptQueue.length = 0;
  }
}

/** A number that names a remote endpoint exactly (48 bits), cheaper than a string to build and hash. */
function key(remote: TcpEndpoint): number {
  return (remote.addr >>> 0) * 65536 + remote.port;
}
