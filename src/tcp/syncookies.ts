/**
 * SYN cookies (Linux net/ipv4/syncookies.c; tcp_input.c tcp_conn_request):
 * a listener that will not (tcp_syncookies=2) or cannot (its SYN queue is
 * full, tcp_syncookies=1) keep a request sock answers a SYN statelessly. The
 * SYN-ACK's ISN is the cookie: a keyed hash of the 4-tuple and the peer's ISN,
 * the minute counter in its top 8 bits, and the index of the peer's MSS in
 * `msstab`; with timestamps, the low 6 bits of the SYN-ACK's TS value carry
 * the window scale and SACK (cookie_init_timestamp). The ACK that comes back
 * (ack = cookie + 1, TS echo = that value) is checked (__cookie_v4_check,
 * cookie_timestamp_decode) and the connection made from it.
 *
 * DEVIATION(linux): the keyed hash is a 32-bit mix with secrets from the
 * namespace's seeded generator, not siphash with boot-time keys; ECN in the
 * timestamp bits is never set (tcplab has no ECN).
 */

import type { Time } from '../sim/time.js';
import { type Seq, seq } from '../wire/seq.js';
import { HZ, jiffies, tcpClockMs } from './clock.js';
import type { TcpNet, TcpSecrets } from './net.js';

/** msstab (syncookies.c): the MSS values a cookie can carry. */
export const MSSTAB: readonly number[] = [536, 1300, 1440, 1460];
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** MAX_SYNCOOKIE_AGE: a cookie is good while its minute counter is at most 1 behind. */
const MAX_SYNCOOKIE_AGE = 2;
/** TCP_SYNCOOKIE_PERIOD: the counter ticks every 60 s. */
const TCP_SYNCOOKIE_PERIOD = 60 * HZ;
/** TSBITS, TS_OPT_WSCALE_MASK, TS_OPT_SACK (syncookies.c). */
const TSBITS = 6;
const TSMASK = (1 << TSBITS) - 1;
const TS_OPT_WSCALE_MASK = 0xf;
const TS_OPT_SACK = 1 << 4;

/** The 4-tuple of a cookie, from our side. */
export interface CookieTuple {
  readonly saddr: number;
  readonly daddr: number;
  readonly sport: number;
  readonly dport: number;
}

/**
 * The namespace's cookie secrets (Linux syncookie_secret, net_secret), drawn
 * once, when first needed, and kept on the namespace (every connection asks
 * for its timestamp offset).
 */
function secretsOf(net: TcpNet): TcpSecrets {
  let s = net.secrets;
  if (s === undefined) {
    // A stream of its own under the ISN stream: drawing it changes no other number.
    const r = net.isnRandom.stream('syncookies');
    s = { cookie: [r.uint32(), r.uint32()], tsOff: r.uint32() };
    net.secrets = s;
  }
  return s;
}

/** One word into the keyed 32-bit mix (a word at a time: no array per hash). */
function mixStep(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Linux cookie_hash: the peer is the source in Linux's terms (the SYN's saddr). */
function cookieHash(s: TcpSecrets, t: CookieTuple, count: number, c: 0 | 1): number {
  let h = s.cookie[c] ^ 0x9e3779b9;
  h = mixStep(h, t.daddr);
  h = mixStep(h, t.saddr);
  h = mixStep(h, (t.dport << 16) | t.sport);
  h = mixStep(h, count);
  return h >>> 0;
}

/** Linux tcp_cookie_time: the minute counter. */
function tcpCookieTime(now: Time): number {
  return Math.floor(jiffies(now) / TCP_SYNCOOKIE_PERIOD);
}

/** Linux __cookie_v4_init_sequence: the index of the largest msstab entry the peer's MSS allows. */
export function cookieMssIndex(peerMss: number): number {
  let i = MSSTAB.length - 1;
  while (i > 0 && peerMss < MSSTAB[i]!) i--;
  return i;
}

/** Linux secure_tcp_syn_cookie: the ISN of a cookie SYN-ACK. */
export function cookieInitSequence(
  net: TcpNet,
  now: Time,
  t: CookieTuple,
  peerIsn: Seq,
  mssIndex: number,
): Seq {
  const count = tcpCookieTime(now);
  const s = secretsOf(net);
  return seq(
    (cookieHash(s, t, 0, 0) +
      peerIsn +
      ((count << COOKIEBITS) >>> 0) +
      ((cookieHash(s, t, count, 1) + mssIndex) & COOKIEMASK)) >>>
      0,
  );
}

/**
 * Linux __cookie_v4_check: the MSS a returning ACK's cookie (`ack - 1`) carries,
 * or undefined if it is not one of ours, or too old.
 */
export function cookieCheck(
  net: TcpNet,
  now: Time,
  t: CookieTuple,
  peerIsn: Seq,
  cookie: Seq,
): number | undefined {
  const count = tcpCookieTime(now);
  const s = secretsOf(net);
  const c = (cookie - cookieHash(s, t, 0, 0) - peerIsn) >>> 0;
  const diff = (count - (c >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return undefined;
  const mssIndex = (c - cookieHash(s, t, count - diff, 1)) & COOKIEMASK;
  return mssIndex < MSSTAB.length ? MSSTAB[mssIndex] : undefined;
}

/**
 * Linux secure_tcp_ts_off: the timestamp offset of the address pair, the same
 * for the cookie SYN-ACK and for the connection its ACK makes.
 */
export function cookieTsOffset(net: TcpNet, t: CookieTuple): number {
  return tsOffsetOf(net, t.saddr, t.daddr);
}

/** cookieTsOffset of the addresses alone (the ports do not enter it): no tuple to build. */
export function tsOffsetOf(net: TcpNet, saddr: number, daddr: number): number {
  let h = secretsOf(net).tsOff ^ 0x9e3779b9;
  h = mixStep(h, saddr);
  h = mixStep(h, daddr);
  return h | 0;
}

/**
 * Linux cookie_init_timestamp: our TS clock with the options in its low 6
 * bits (window scale, 0xf for none; SACK), never ahead of the clock.
 */
export function cookieInitTimestamp(now: Time, wscale: number | undefined, sack: boolean): number {
  const tsNow = tcpClockMs(now) >>> 0;
  let options = wscale !== undefined ? wscale : TS_OPT_WSCALE_MASK;
  if (sack) options |= TS_OPT_SACK;
  let ts = ((tsNow >>> TSBITS) << TSBITS) | options;
  if (ts >>> 0 > tsNow) ts -= 1 << TSBITS;
  return ts >>> 0;
}

/** Linux cookie_timestamp_decode: the options the echoed TS value carries (our offset removed). */
export function cookieTimestampDecode(tsEcr: number): {
  wscale: number | undefined;
  sack: boolean;
} {
  const options = tsEcr & TSMASK;
  const w = options & TS_OPT_WSCALE_MASK;
  return { wscale: w === TS_OPT_WSCALE_MASK ? undefined : w, sack: (options & TS_OPT_SACK) !== 0 };
}
