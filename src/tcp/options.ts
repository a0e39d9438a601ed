/**
 * TCP options as the engine uses them: what a received segment says (Linux
 * tcp_parse_options), and the option lists Linux writes (tcp_output.c
 * tcp_options_write, in its order).
 *
 * Linux's order on a SYN or SYN-ACK is MSS, then SACK-permitted and timestamps
 * packed together (`sackOK,TS`) or each padded with two NOPs when the other is
 * absent, then NOP and window scale: `mss 1460,sackOK,TS val … ecr 0,nop,wscale 7`.
 * Other segments carry `nop,nop,TS` and then `nop,nop,sack …`.
 */

import type { TcpSegment } from '../wire/tcp.js';
import { SYN } from '../wire/tcp.js';
import {
  type SackBlock,
  TCP_MAX_WSCALE,
  TCP_NOP,
  TCP_SACK_PERMITTED,
  type TcpOption,
} from '../wire/tcp-options.js';
import type { TcpSysctl } from './sysctl.js';

/** The options of one received segment that matter to the engine. */
export interface ReceivedOptions {
  /** MSS option (honoured on SYNs only, and only when not 0). */
  readonly mss: number | undefined;
  /** Window scale shift, already limited to 14 (SYNs only). */
  readonly wscale: number | undefined;
  readonly sackPermitted: boolean;
  /** Timestamp value and echo. */
  readonly tsVal: number | undefined;
  readonly tsEcr: number;
  readonly sack: readonly SackBlock[] | undefined;
}

/**
 * Linux tcp_parse_options: MSS, window scale and SACK-permitted count only on a
 * SYN; window scale, timestamps and SACK-permitted only when their sysctl is on
 * (for a synchronized connection, timestamps only if negotiated: `tstampOk`);
 * a shift above 14 is used as 14 (RFC 7323 2.3); an option list that cannot be
 * walked stops at the bad option (the wire layer's 'malformed').
 */
export function parseReceivedOptions(
  seg: TcpSegment,
  sysctl: TcpSysctl,
  established: { readonly tstampOk: boolean } | undefined,
): ReceivedOptions {
  const syn = (seg.flags & SYN) !== 0 && established === undefined;
  let mss: number | undefined;
  let wscale: number | undefined;
  let sackPermitted = false;
  let tsVal: number | undefined;
  let tsEcr = 0;
  let sack: readonly SackBlock[] | undefined;
  for (const opt of seg.options) {
    switch (opt.kind) {
      case 'mss':
        if (syn && opt.mss !== 0) mss = opt.mss;
        break;
      case 'wscale':
        if (syn && sysctl.tcp_window_scaling) wscale = Math.min(opt.shift, TCP_MAX_WSCALE);
        break;
      case 'sackPermitted':
        if (syn && sysctl.tcp_sack) sackPermitted = true;
        break;
      case 'timestamps':
        if (established ? established.tstampOk : sysctl.tcp_timestamps) {
          tsVal = opt.tsVal;
          tsEcr = opt.tsEcr;
        }
        break;
      case 'sack':
        sack = opt.blocks;
        break;
      case 'eol':
      case 'nop':
      case 'unknown':
      case 'malformed':
        break;
    }
  }
  return { mss, wscale, sackPermitted, tsVal, tsEcr, sack };
}

/**
 * parseReceivedOptions(seg, sysctl, { tstampOk }).tsVal without the rest: the
 * TSval of a segment on a synchronized connection (the last timestamps
 * option, as the parser keeps it), undefined without timestamps negotiated.
 */
export function receivedTsVal(seg: TcpSegment, tstampOk: boolean): number | undefined {
  if (!tstampOk) return undefined;
  let tsVal: number | undefined;
  for (const opt of seg.options) if (opt.kind === 'timestamps') tsVal = opt.tsVal;
  return tsVal;
}

/**
 * The option list of a SYN or SYN-ACK, in Linux's order, from what it offers
 * (tcp_output.c tcp_syn_options / tcp_synack_options; timestamps when
 * `timestamps`, window scale when `wscale` is defined). The MSS and
 * window-scale options are shared values (an option list is never written once
 * made); only the timestamps are new per SYN.
 */
export function synOptions(
  mss: number,
  sackPermitted: boolean,
  timestamps: boolean,
  tsVal: number,
  tsEcr: number,
  wscale: number | undefined,
): TcpOption[] {
  const out: TcpOption[] = [mssOption(mss)];
  if (timestamps) {
    if (sackPermitted) out.push(TCP_SACK_PERMITTED);
    else out.push(TCP_NOP, TCP_NOP);
    out.push({ kind: 'timestamps', tsVal, tsEcr });
  } else if (sackPermitted) {
    out.push(TCP_NOP, TCP_NOP, TCP_SACK_PERMITTED);
  }
  if (wscale !== undefined) out.push(TCP_NOP, wscaleOption(wscale));
  return out;
}

/** The last MSS option made (a host announces one MSS per MTU: nearly always the same). */
let lastMssOption: TcpOption = Object.freeze({ kind: 'mss', mss: 0 });

function mssOption(mss: number): TcpOption {
  if (lastMssOption.kind !== 'mss' || lastMssOption.mss !== mss) {
    lastMssOption = Object.freeze({ kind: 'mss', mss });
  }
  return lastMssOption;
}

/** The window-scale options, one per shift (0..14; anything else is made afresh). */
const WSCALE_OPTIONS: readonly TcpOption[] = Array.from(
  { length: TCP_MAX_WSCALE + 1 },
  (_, shift) => Object.freeze({ kind: 'wscale', shift }),
);

function wscaleOption(shift: number): TcpOption {
  return WSCALE_OPTIONS[shift] ?? { kind: 'wscale', shift };
}

/** TCPOLEN_TSTAMP_ALIGNED: two NOPs and the 10-byte timestamp option. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** TCPOLEN_SACK_BASE_ALIGNED and TCPOLEN_SACK_PERBLOCK (include/net/tcp.h). */
const TCPOLEN_SACK_BASE_ALIGNED = 4;
const TCPOLEN_SACK_PERBLOCK = 8;
/** MAX_TCP_OPTION_SPACE. */
const MAX_TCP_OPTION_SPACE = 40;

/**
 * The options of a segment other than SYN (tcp_established_options): timestamps
 * if negotiated, then as many SACK blocks as fit (three next to timestamps, four
 * without), D-SACK first.
 */
export function establishedOptions(
  ts: { readonly tsVal: number; readonly tsEcr: number } | undefined,
  sackBlocks: readonly SackBlock[],
): TcpOption[] {
  const out: TcpOption[] = [];
  let size = 0;
  if (ts) {
    out.push(TCP_NOP, TCP_NOP, { kind: 'timestamps', tsVal: ts.tsVal, tsEcr: ts.tsEcr });
    size += TCPOLEN_TSTAMP_ALIGNED;
  }
  if (sackBlocks.length > 0) {
    const room = Math.floor(
      (MAX_TCP_OPTION_SPACE - size - TCPOLEN_SACK_BASE_ALIGNED) / TCPOLEN_SACK_PERBLOCK,
    );
    const blocks = sackBlocks.slice(0, room);
    out.push(TCP_NOP, TCP_NOP, { kind: 'sack', blocks });
  }
  return out;
}

/**
 * Linux tcp_select_initial_window's window scale: the smallest shift that lets the
 * largest receive buffer the socket may grow to (tcp_rmem[2], or rmem_max if
 * larger) be announced, `ilog2(space) - 15`, at most 14. tcp_rmem[2] of 6 MiB
 * gives 7; the traces' 32 MiB gives 10.
 */
export function initialWscale(sysctl: TcpSysctl, rmemMax = 212992, windowClamp?: number): number {
  let space = Math.max(sysctl.tcp_rmem[2], rmemMax);
  // "space = min_t(u32, space, window_clamp)": SO_RCVBUF set before connect().
  if (windowClamp !== undefined) space = Math.min(space, windowClamp);
  // Every connection asks, nearly always with the same space: the last answer is kept.
  if (space !== lastWscaleSpace) {
    lastWscaleSpace = space;
    lastWscale = Math.min(Math.max(Math.floor(Math.log2(space)) - 15, 0), TCP_MAX_WSCALE);
  }
  return lastWscale;
}

let lastWscaleSpace = -1;
let lastWscale = 0;
