/**
 * The sender's SACK scoreboard: what the SACK blocks of an incoming ACK say
 * about the retransmit queue (RFC 2018, RFC 2883 D-SACK; Linux tcp_input.c
 * tcp_sacktag_write_queue, tcp_check_dsack, tcp_is_sackblock_valid,
 * tcp_sacktag_one, tcp_check_sack_reordering, tcp_mark_head_lost). Read RFC
 * 2018 3 and RFC 2883 4 first.
 *
 * Each segment of the retransmit queue carries Linux's tcp_skb_cb->sacked
 * bits as booleans: `sacked` (TCPCB_SACKED_ACKED), `lost` (TCPCB_LOST),
 * `retrans` (TCPCB_SACKED_RETRANS), `everRetransmitted` (TCPCB_EVER_RETRANS);
 * the connection counts them (sacked_out, lost_out, retrans_out). tcplab's
 * segments are one MSS or less (Linux's skbs with tcp_skb_pcount 1), so a
 * block marks only the segments it covers whole: Linux's tcp_match_skb_to_sack
 * splits a multi-MSS skb at MSS boundaries and never marks part of one MSS.
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLt } from '../wire/seq.js';
import type { SackBlock } from '../wire/tcp-options.js';
import type { Connection, TxSegment } from './connection.js';
import { tcpRackAdvance } from './rack.js';
import { tcpRateSkbDelivered } from './rate.js';
import type { RtxQueue } from './rtx-queue.js';

/** tcp_max_reordering's default (net/ipv4/tcp_ipv4.c tcp_sk_init: 300). */
const TCP_MAX_REORDERING = 300;

/** What the SACK blocks of one ACK did. */
export interface SacktagResult {
  /** Segments newly SACKed (sack_state->sack_delivered). */
  readonly sackDelivered: number;
  /**
   * The ACK carried a D-SACK (RFC 2883) that was not dubious (tcp_check_dsack's
   * answer: FLAG_DSACKING_ACK).
   */
  readonly dsack: boolean;
  /** That D-SACK is of the tail loss probe's segment (FLAG_DSACK_TLP). */
  readonly dsackTlp: boolean;
  /**
   * Send times of the first and last segment newly SACKed that were never
   * retransmitted (first_sackt, last_sackt): an RTT sample (Karn's rule).
   */
  readonly firstSackt: Time | undefined;
  readonly lastSackt: Time | undefined;
  /** Send time of the most recently sent segment newly SACKed. */
  readonly newestSentAt: Time | undefined;
  /** A segment sent once only, below the recovery point, newly SACKed (FLAG_ORIG_SACK_ACKED). */
  readonly origSackAcked: boolean;
}

/**
 * tcpSacktagWriteQueue's answer, refilled for each ACK (Linux's struct
 * tcp_sacktag_state lives on tcp_ack's stack): read before the next ACK.
 */
const sacktagState: { -readonly [K in keyof SacktagResult]: SacktagResult[K] } = {
  sackDelivered: 0,
  dsack: false,
  dsackTlp: false,
  firstSackt: undefined,
  lastSackt: undefined,
  newestSentAt: undefined,
  origSackAcked: false,
};

/** The valid blocks of the ACK being read, in sequence order (reused: at most 4). */
const validBlocks: SackBlock[] = [];

/**
 * Linux tcp_highest_sack_seq: the start of the highest SACKed segment, or
 * SND.UNA when nothing is SACKed (the "forward-most" point, FACK).
 */
export function tcpHighestSackSeq(conn: Connection): Seq {
  if (conn.sackedOut === 0 || conn.highestSack === undefined) return conn.sndUna;
  return conn.highestSack;
}

/**
 * Linux tcp_mark_skb_lost: `s` is lost (TCPCB_LOST, lost_out), unless it was
 * SACKed; a retransmission already lost again gives its retrans_out back
 * (TcpExtTCPLostRetransmit) so that it may go once more.
 */
export function tcpMarkSkbLost(conn: Connection, s: TxSegment): void {
  if (s.sacked) return;
  if (s.lost) {
    if (s.retrans) {
      s.retrans = false;
      conn.retransOut--;
      conn.net.count('TcpExtTCPLostRetransmit');
      conn.lost++;
    }
  } else {
    s.lost = true;
    conn.lostOut++;
    conn.lost++;
  }
}

/**
 * Linux tcp_check_sack_reordering: a segment below the highest SACKed one,
 * never retransmitted, was delivered late: that is reordering, not loss. The
 * degree (tp->reordering) grows to the distance in segments, and RACK's
 * reordering window opens from now on (reord_seen).
 */
export function tcpCheckSackReordering(conn: Connection, lowSeq: Seq, ts = false): void {
  const fack = tcpHighestSackSeq(conn);
  if (!seqLt(lowSeq, fack)) return;
  const mss = conn.sndMss;
  const metric = seqDiff(fack, lowSeq);
  if (mss > 0 && metric > conn.reordering * mss) {
    conn.reordering = Math.min(Math.ceil(metric / mss), TCP_MAX_REORDERING);
  }
  conn.reordSeen++;
  // With `ts`, the echoed timestamp told it (tcp_try_undo_partial).
  conn.net.count(ts ? 'TcpExtTCPTSReorder' : 'TcpExtTCPSACKReorder');
}

/**
 * Linux tcp_is_sackblock_valid: a block must lie inside what was sent and
 * start above SND.UNA; a D-SACK (`dsack`) may lie wholly below SND.UNA while
 * an undo is possible, if it ends above the episode's start (one that crosses
 * it, by at most a window).
 */
function sackBlockValid(conn: Connection, b: SackBlock, dsack: boolean): boolean {
  if (seqGt(b.right, conn.sndNxt) || !seqLt(b.left, b.right)) return false;
  if (!seqLt(b.left, conn.sndNxt)) return false;
  if (seqGt(b.left, conn.sndUna)) return true;
  const marker = conn.undoMarker;
  if (!dsack || marker === undefined) return false;
  if (seqGt(b.right, conn.sndUna)) return false;
  if (!seqLt(b.left, marker)) return true;
  if (!seqGt(b.right, marker)) return false;
  return !seqLt(b.left, seqAdd(b.right, -conn.maxWindow));
}

/**
 * Linux tcp_dsack_seen (6.x): how many segments a D-SACK reports received
 * twice, added to tp->dsack_dups; 0 for a dubious one: empty, longer than the
 * largest window the peer offered, or more duplicates than were ever
 * retransmitted ("Skip the DSACK if dup segs weren't retransmitted by
 * sender"). One of the loss probe's segment is the probe's (FLAG_DSACK_TLP,
 * `r.dsackTlp`). RACK widens its reordering window for it only after
 * reordering was seen, and not for a probe's ("TLP is timer-driven, not
 * triggered by RACK"). The duplicates count as delivered (tcp_count_delivered
 * of sack_delivered).
 */
function tcpDsackSeen(conn: Connection, b: SackBlock, r: { dsackTlp: boolean }): number {
  const len = seqDiff(b.right, b.left);
  if (len <= 0 || len > conn.maxWindow) return 0;
  let dupSegs = 1;
  if (len > conn.sndMss) dupSegs = Math.ceil(len / conn.sndMss);
  else if (conn.tlpHighSeq !== undefined && conn.tlpHighSeq === b.right) r.dsackTlp = true;
  conn.dsackDups += dupSegs;
  if (conn.dsackDups > conn.totalRetrans) return 0;
  if (conn.reordSeen > 0 && !r.dsackTlp) conn.rackDsackSeen = true;
  conn.delivered += dupSegs;
  return dupSegs;
}

/** One retransmission fewer to account for before an undo (tp->undo_retrans). */
function dsackAccount(conn: Connection, segs: number, end: Seq): void {
  const marker = conn.undoMarker;
  if (marker !== undefined && conn.undoRetrans > 0 && seqGt(end, marker)) {
    conn.undoRetrans = Math.max(0, conn.undoRetrans - segs);
  }
}

/** The first segment of the retransmit queue that ends after `at` (binary search). */
export function firstEndingAfter(q: RtxQueue, at: Seq): number {
  let lo = 0;
  let hi = q.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqGt(q.at(mid).end, at)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The furthest end of the blocks of `cache` that hold `s` wholly, if any. Such a
 * segment was SACKed when the block was walked, and so was every later one
 * that ends inside the block: rtx-queue segments keep their bounds once sent
 * (only a head partly below SND.UNA is trimmed, and segments after `s` start
 * above SND.UNA), and no SACK mark is taken back but by reneging, which
 * empties the cache (tcpClearSackCache).
 */
export function cachedBlockEnd(cache: readonly SackBlock[], s: TxSegment): Seq | undefined {
  if (!tcpSackCache.enabled) return undefined;
  let end: Seq | undefined;
  for (let i = 0; i < cache.length; i++) {
    const c = cache[i]!;
    if (
      !seqLt(s.seq, c.left) &&
      !seqGt(s.end, c.right) &&
      (end === undefined || seqGt(c.right, end))
    ) {
      end = c.right;
    }
  }
  if (end !== undefined) tcpSackCache.hits++;
  return end;
}

/**
 * The SACK cache's switch (always on but in tests, which turn it off to check
 * that the walks give what they give without it) and how often it let a walk
 * jump (a figure for those tests, not a counter of Linux's).
 */
export const tcpSackCache = { enabled: true, hits: 0 };

/**
 * The blocks just walked become the cache (Linux tcp_sacktag_write_queue
 * keeps the last ACK's blocks in recv_sack_cache).
 */
function rememberSackBlocks(conn: Connection, walked: readonly SackBlock[]): void {
  const cache = conn.ownSackCache();
  cache.length = 0;
  for (const b of walked) cache.push(b);
}

/** Forgets the SACK blocks walked before: SACK marks were taken back (reneging). */
export function tcpClearSackCache(conn: Connection): void {
  if (conn.sackCache.length > 0) conn.ownSackCache().length = 0;
}

/**
 * Linux tcp_sacktag_write_queue: reads the SACK blocks of an ACK (SND.UNA
 * already moved to `ack`; DEVIATION(linux): the blocks of an ACK older than
 * SND.UNA are not read, where Linux tags them too): detects a D-SACK (tcp_check_dsack: the first block
 * below the cumulative ACK, or inside the second block; TcpExtTCPDSACKRecv,
 * TcpExtTCPDSACKOfoRecv), drops invalid blocks (TcpExtTCPSACKDiscard,
 * TcpExtTCPDSACKIgnoredNoUndo), and marks the segments the others cover whole
 * as SACKed (tcp_sacktag_one): out of lost_out and retrans_out, into
 * sacked_out, RACK advanced. A newly SACKed segment below one SACKed before,
 * never retransmitted, is reordering (TcpExtTCPSACKReorder).
 */
export function tcpSacktagWriteQueue(
  conn: Connection,
  now: Time,
  blocks: readonly SackBlock[],
  ack: Seq,
  priorSndUna: Seq,
): SacktagResult {
  // tcp_check_dsack: a first block below the cumulative ACK, or inside the
  // second, is a D-SACK; a dubious one is then read as a plain SACK block.
  const r = sacktagState;
  r.dsackTlp = false;
  let dsack = false;
  const b0 = blocks[0];
  if (b0 !== undefined) {
    let reported = false;
    if (seqLt(b0.left, ack)) {
      reported = true;
      conn.net.count('TcpExtTCPDSACKRecv');
    } else if (blocks.length > 1) {
      const b1 = blocks[1]!;
      if (!seqGt(b0.right, b1.right) && !seqLt(b0.left, b1.left)) {
        reported = true;
        conn.net.count('TcpExtTCPDSACKOfoRecv');
      }
    }
    if (reported) {
      const dupSegs = tcpDsackSeen(conn, b0, r);
      if (dupSegs === 0) {
        conn.net.count('TcpExtTCPDSACKIgnoredDubious');
      } else {
        dsack = true;
        conn.net.count('TcpExtTCPDSACKRecvSegs', dupSegs);
        // "D-SACK for already forgotten data... Do dumb counting."
        if (!seqGt(b0.right, priorSndUna)) dsackAccount(conn, dupSegs, b0.right);
      }
    }
  }
  const dupBlock = dsack ? b0 : undefined;
  const valid = validBlocks;
  valid.length = 0;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (!sackBlockValid(conn, b, dsack && i === 0)) {
      conn.net.count(
        dsack && i === 0
          ? conn.undoMarker === undefined
            ? 'TcpExtTCPDSACKIgnoredNoUndo'
            : 'TcpExtTCPDSACKIgnoredOld'
          : 'TcpExtTCPSACKDiscard',
      );
      continue;
    }
    // "Ignore very old stuff early".
    if (!seqGt(b.right, priorSndUna)) continue;
    // Linux sorts the blocks to walk the queue once, in order (an insertion
    // sort: there are at most four).
    let j = valid.length;
    valid.push(b);
    while (j > 0 && seqLt(b.left, valid[j - 1]!.left)) {
      valid[j] = valid[j - 1]!;
      j--;
    }
    valid[j] = b;
  }
  let sackDelivered = 0;
  let firstSackt: Time | undefined;
  let lastSackt: Time | undefined;
  let newestSentAt: Time | undefined;
  let reord: Seq | undefined;
  let origSackAcked = false;
  const q = conn.rtxQueue;
  const cache = conn.sackCache;
  for (const b of valid) {
    const dup = b === dupBlock;
    for (let i = firstEndingAfter(q, b.left); i < q.length; i++) {
      const s = q.at(i);
      if (!seqLt(s.seq, b.right)) break;
      if (dup && !seqLt(s.seq, b.left) && !seqGt(s.end, b.right)) {
        // tcp_sacktag_one: "Account D-SACK for retransmitted packet"; one
        // now below SND.UNA is about to leave the queue: nothing more.
        if (s.everRetransmitted) dsackAccount(conn, 1, s.end);
        if (!seqGt(s.end, ack)) continue;
      }
      if (s.sacked) {
        // Linux's recv_sack_cache: the segments wholly inside a block walked
        // before were SACKed then (and stay so until reneging); jump past them
        // instead of finding each SACKed again, ACK after ACK.
        const end = cachedBlockEnd(cache, s);
        if (end !== undefined) i = firstEndingAfter(q, end) - 1;
        continue;
      }
      if (seqLt(s.seq, b.left) || seqGt(s.end, b.right)) continue;
      // tcp_sacktag_one.
      tcpRackAdvance(conn, now, s);
      tcpRateSkbDelivered(conn, s, true);
      if (s.retrans) {
        s.retrans = false;
        conn.retransOut--;
      } else if (!s.everRetransmitted) {
        if (seqLt(s.seq, tcpHighestSackSeq(conn)) && (reord === undefined || seqLt(s.seq, reord))) {
          reord = s.seq;
        }
        if (!seqGt(s.end, conn.highSeq)) origSackAcked = true;
        if (firstSackt === undefined) firstSackt = s.sentAt;
        lastSackt = s.sentAt;
      }
      if (s.lost) {
        s.lost = false;
        conn.lostOut--;
      }
      s.sacked = true;
      conn.sackedOut++;
      conn.delivered++;
      sackDelivered++;
      if (newestSentAt === undefined || s.sentAt > newestSentAt) newestSentAt = s.sentAt;
      // tcp_sacktag_walk: "if (!before(TCP_SKB_CB(skb)->seq, tcp_highest_sack_seq(tp))) tcp_advance_highest_sack".
      if (
        conn.highestSack === undefined ||
        conn.sackedOut === 1 ||
        seqGe(s.seq, conn.highestSack)
      ) {
        conn.highestSack = s.seq;
      }
    }
  }
  if (reord !== undefined) tcpCheckSackReordering(conn, reord);
  if (valid.length > 0) rememberSackBlocks(conn, valid);
  valid.length = 0;
  r.sackDelivered = sackDelivered;
  r.dsack = dsack;
  r.firstSackt = firstSackt;
  r.lastSackt = lastSackt;
  r.newestSentAt = newestSentAt;
  r.origSackAcked = origSackAcked;
  return r;
}

/**
 * Linux tcp_force_fast_retransmit: the highest SACK is more than tcp_reordering
 * segments above SND.UNA.
 */
export function tcpForceFastRetransmit(conn: Connection): boolean {
  return seqGt(tcpHighestSackSeq(conn), seqAdd(conn.sndUna, conn.reordering * conn.sndMss));
}

/**
 * Linux tcp_update_scoreboard with tcp_mark_head_lost, the loss marking of RFC
 * 6675 (4, IsLost) when RACK is off (tcp_recovery = 0): from the head, the
 * holes below which fewer than sacked_out - reordering SACKed segments lie are
 * lost; or, on entering recovery with fewer SACKs, the head alone.
 */
export function tcpUpdateScoreboard(conn: Connection, fastRexmit: boolean): void {
  const sackedUpto = conn.sackedOut - conn.reordering;
  if (sackedUpto >= 0) markHeadLost(conn, sackedUpto, false);
  else if (fastRexmit) markHeadLost(conn, 1, true);
}

function markHeadLost(conn: Connection, packets: number, markHead: boolean): void {
  let cnt = 0;
  const q = conn.rtxQueue;
  for (let i = 0; i < q.length; i++) {
    const s = q.at(i);
    if (seqGt(s.end, conn.sndNxt)) break;
    if (s.sacked) cnt++;
    if (cnt > packets) break;
    if (!s.lost) tcpMarkSkbLost(conn, s);
    if (markHead) break;
  }
}
