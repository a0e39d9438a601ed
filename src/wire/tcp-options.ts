/**
 * TCP options (RFC 9293 3.1 and 3.2): EOL, NOP, MSS (RFC 9293 3.7.1), window scale
 * and timestamps (RFC 7323), SACK-permitted and SACK (RFC 2018). Every other kind,
 * and a known kind with a length other than its own, is kept as `unknown` with its
 * bytes, as Linux tcp_parse_options ignores such options: so emit(parse(x)) is x.
 */

import { get16, get32i, put16, put32, toHex } from './bytes.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';
import { type Seq, seqU32 } from './seq.js';

// Kinds (IANA "TCP Option Kind Numbers"; Linux: TCPOPT_* in include/net/tcp.h).
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

// Lengths, kind and length bytes included (Linux: TCPOLEN_* in include/net/tcp.h).
export const TCPOLEN_MSS = 4;
export const TCPOLEN_WINDOW = 3;
export const TCPOLEN_SACK_PERM = 2;
export const TCPOLEN_TIMESTAMP = 10;
export const TCPOLEN_SACK_BASE = 2;
export const TCPOLEN_SACK_PERBLOCK = 8;

/** Data offset 15 words minus the 20-byte fixed header (RFC 9293 3.1). */
export const TCP_MAX_OPTIONS_LEN = 40;

/**
 * RFC 9293 3.7.1 (MUST-15): without an MSS option, "TCP implementations MUST assume
 * a default send MSS of 536 (576 - 40) for IPv4". Linux: TCP_MSS_DEFAULT.
 */
export const TCP_MSS_DEFAULT = 536;

/**
 * RFC 7323 2.3: a shift above 14 is used as 14 (Linux: TCP_MAX_WSCALE, and
 * tcp_parse_options logs "Illegal window scaling value"). Decoding keeps the
 * received value; applying the limit is the engine's business.
 */
export const TCP_MAX_WSCALE = 14;

/** One SACK block: the sequence space [left, right) was received (RFC 2018 3). */
export interface SackBlock {
  readonly left: Seq;
  readonly right: Seq;
}

export type TcpOption =
  /** End of option list; `padding` holds every byte after it up to the data offset. */
  | { readonly kind: 'eol'; readonly padding: Uint8Array }
  | { readonly kind: 'nop' }
  | { readonly kind: 'mss'; readonly mss: number }
  /** The raw shift count, even above TCP_MAX_WSCALE. */
  | { readonly kind: 'wscale'; readonly shift: number }
  | { readonly kind: 'sackPermitted' }
  /** One to four blocks (40 option bytes hold at most four). */
  | { readonly kind: 'sack'; readonly blocks: readonly SackBlock[] }
  /**
   * TSval and TSecr as int32s (the wire's 32 bits; `>>> 0` gives the unsigned
   * number): small integers to V8, as sequence numbers are (seq.ts).
   */
  | { readonly kind: 'timestamps'; readonly tsVal: number; readonly tsEcr: number }
  /** Any other kind, or a known kind with the wrong length; `bytes` is the data after kind and length. */
  | { readonly kind: 'unknown'; readonly code: number; readonly bytes: Uint8Array }
  /**
   * Only with `options: 'linux'`: the rest of the option area from the first option
   * Linux tcp_parse_options stops at (a length below 2, or running past the header).
   */
  | { readonly kind: 'malformed'; readonly bytes: Uint8Array };

export type TcpOptionKind = TcpOption['kind'];

/** Shared, immutable instances of the options that carry nothing. */
export const TCP_NOP: TcpOption = Object.freeze({ kind: 'nop' });
export const TCP_SACK_PERMITTED: TcpOption = Object.freeze({ kind: 'sackPermitted' });
const NO_OPTIONS: readonly TcpOption[] = Object.freeze([]);
const OK_NO_OPTIONS: Parsed<readonly TcpOption[]> = Object.freeze(ok(NO_OPTIONS));

/**
 * How to treat an option list that cannot be walked: `'strict'` makes it a parse
 * error; `'linux'` keeps what precedes the bad option and the rest as `malformed`,
 * because Linux processes such a segment and only ignores its options from there on.
 */
export type TcpOptionsMode = 'strict' | 'linux';

/**
 * Walks the options in `bytes[start, end)` (RFC 9293 3.2: kind, then for kinds
 * other than 0 and 1 a length counting kind and length bytes). Offsets in errors
 * are indices into `bytes`.
 */
export function parseTcpOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  mode: TcpOptionsMode = 'strict',
): Parsed<readonly TcpOption[]> {
  if (start >= end) return OK_NO_OPTIONS;
  const r = walkTcpOptions(bytes, start, end, mode);
  return isParseFailure(r) ? r : ok(r);
}

/**
 * parseTcpOptions with Linux's reading (`'linux'`, which never refuses a list),
 * for a receive path: the options themselves, without a result wrapper.
 */
export function readTcpOptionsLinux(
  bytes: Uint8Array,
  start: number,
  end: number,
): readonly TcpOption[] {
  if (start >= end) return NO_OPTIONS;
  const r = walkTcpOptions(bytes, start, end, 'linux');
  // 'linux' keeps what it cannot walk as `malformed`: never a failure.
  return isParseFailure(r) ? NO_OPTIONS : r;
}

function isParseFailure(r: readonly TcpOption[] | ParseFailure): r is ParseFailure {
  return !Array.isArray(r);
}

/** parseTcpOptions' walk over a non-empty `bytes[start, end)`: the list, or why it cannot be walked. */
function walkTcpOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  mode: TcpOptionsMode,
): readonly TcpOption[] | ParseFailure {
  if (
    end - start === 12 &&
    bytes[start] === TCPOPT_NOP &&
    bytes[start + 1] === TCPOPT_NOP &&
    bytes[start + 2] === TCPOPT_TIMESTAMP &&
    bytes[start + 3] === TCPOLEN_TIMESTAMP
  ) {
    // Every segment of a connection with timestamps (RFC 7323 Appendix A's
    // layout, which Linux sends): decoded without walking.
    return timestampsList(get32i(bytes, start + 4), get32i(bytes, start + 8));
  }
  if (
    end - start === TCPOLEN_MSS &&
    bytes[start] === TCPOPT_MSS &&
    bytes[start + 1] === TCPOLEN_MSS
  ) {
    // A SYN with the MSS alone (hping3 -S, and many a stack's SYN): no walk.
    return [{ kind: 'mss', mss: get16(bytes, start + 2) }];
  }
  if (
    end - start === 20 &&
    bytes[start] === TCPOPT_MSS &&
    bytes[start + 1] === TCPOLEN_MSS &&
    bytes[start + 4] === TCPOPT_SACK_PERM &&
    bytes[start + 5] === TCPOLEN_SACK_PERM &&
    bytes[start + 6] === TCPOPT_TIMESTAMP &&
    bytes[start + 7] === TCPOLEN_TIMESTAMP &&
    bytes[start + 16] === TCPOPT_NOP &&
    bytes[start + 17] === TCPOPT_WINDOW &&
    bytes[start + 18] === TCPOLEN_WINDOW
  ) {
    // The SYN and SYN-ACK of two Linux hosts (tcp_options_write's order with
    // SACK, timestamps and window scaling): the walk's list, made in one
    // literal rather than grown option by option.
    return [
      { kind: 'mss', mss: get16(bytes, start + 2) },
      TCP_SACK_PERMITTED,
      { kind: 'timestamps', tsVal: get32i(bytes, start + 8), tsEcr: get32i(bytes, start + 12) },
      TCP_NOP,
      { kind: 'wscale', shift: bytes[start + 19]! },
    ];
  }
  const options: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = bytes[i]!;
    if (kind === TCPOPT_EOL) {
      // RFC 9293 3.2: EOL ends the list; what follows up to the data offset is padding.
      options.push({ kind: 'eol', padding: bytes.subarray(i + 1, end) });
      return options;
    }
    if (kind === TCPOPT_NOP) {
      options.push(TCP_NOP);
      i += 1;
      continue;
    }
    // RFC 9293 3.1 (MUST-7): an illegal option length must not crash the receiver.
    // Linux tcp_parse_options stops at such an option and keeps the segment.
    let problem: string | undefined;
    const len = i + 1 < end ? bytes[i + 1]! : -1;
    if (len < 0) problem = `option ${kind}: length byte beyond header`;
    else if (len < 2) problem = `option ${kind}: length ${len} below 2`;
    else if (i + len > end) {
      problem = `option ${kind}: length ${len} overruns header by ${i + len - end}`;
    }
    if (problem !== undefined) {
      if (mode === 'strict') return fail('tcp', problem, i + 1);
      options.push({ kind: 'malformed', bytes: bytes.subarray(i, end) });
      return options;
    }
    options.push(decodeOption(bytes, i, kind, len));
    i += len;
  }
  return options;
}

/**
 * [nop, nop, timestamps] with these values. Segments in a row carry the same
 * ones (a burst sent in one millisecond; the two directions of an exchange at
 * one instant), so the list made last for each of two (tsVal, tsEcr) pairs is
 * handed out again rather than allocated per segment: lists are never written
 * once made (readonly), so sharing one is sharing a value.
 */
function timestampsList(tsVal: number, tsEcr: number): readonly TcpOption[] {
  if (tsListA !== NO_OPTIONS && tsVal === tsValA && tsEcr === tsEcrA) return tsListA;
  if (tsListB !== NO_OPTIONS && tsVal === tsValB && tsEcr === tsEcrB) return tsListB;
  const list: readonly TcpOption[] = [TCP_NOP, TCP_NOP, { kind: 'timestamps', tsVal, tsEcr }];
  if (tsReplaceA) {
    tsListA = list;
    tsValA = tsVal;
    tsEcrA = tsEcr;
  } else {
    tsListB = list;
    tsValB = tsVal;
    tsEcrB = tsEcr;
  }
  tsReplaceA = !tsReplaceA;
  return list;
}

let tsListA: readonly TcpOption[] = NO_OPTIONS;
let tsValA = 0;
let tsEcrA = 0;
let tsListB: readonly TcpOption[] = NO_OPTIONS;
let tsValB = 0;
let tsEcrB = 0;
/** Which pair a new list replaces: the older one. */
let tsReplaceA = true;

/** A kind/length-checked option at `bytes[i, i + len)`. */
function decodeOption(bytes: Uint8Array, i: number, kind: number, len: number): TcpOption {
  // Linux tcp_parse_options acts on a known kind only at its exact length, and
  // ignores it otherwise; a wrong length here is kept as unknown.
  switch (kind) {
    case TCPOPT_MSS:
      if (len === TCPOLEN_MSS) return { kind: 'mss', mss: get16(bytes, i + 2) };
      break;
    case TCPOPT_WINDOW:
      if (len === TCPOLEN_WINDOW) return { kind: 'wscale', shift: bytes[i + 2]! };
      break;
    case TCPOPT_SACK_PERM:
      if (len === TCPOLEN_SACK_PERM) return TCP_SACK_PERMITTED;
      break;
    case TCPOPT_SACK:
      // RFC 2018 3: length 8n + 2; Linux needs n >= 1 (tcp_parse_options).
      if (len >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK && (len - 2) % 8 === 0) {
        const blocks: SackBlock[] = [];
        for (let o = i + 2; o < i + len; o += 8) {
          blocks.push({ left: get32i(bytes, o) as Seq, right: get32i(bytes, o + 4) as Seq });
        }
        return { kind: 'sack', blocks };
      }
      break;
    case TCPOPT_TIMESTAMP:
      if (len === TCPOLEN_TIMESTAMP) {
        return { kind: 'timestamps', tsVal: get32i(bytes, i + 2), tsEcr: get32i(bytes, i + 6) };
      }
      break;
  }
  return { kind: 'unknown', code: kind, bytes: bytes.subarray(i + 2, i + len) };
}

/** Encoded length of one option. */
export function tcpOptionLength(opt: TcpOption): number {
  switch (opt.kind) {
    case 'eol':
      return 1 + opt.padding.length;
    case 'nop':
      return 1;
    case 'mss':
      return TCPOLEN_MSS;
    case 'wscale':
      return TCPOLEN_WINDOW;
    case 'sackPermitted':
      return TCPOLEN_SACK_PERM;
    case 'sack':
      return TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK * opt.blocks.length;
    case 'timestamps':
      return TCPOLEN_TIMESTAMP;
    case 'unknown':
      return 2 + opt.bytes.length;
    case 'malformed':
      return opt.bytes.length;
  }
}

/**
 * Whether `options` is [nop, nop, timestamps], RFC 7323 Appendix A's layout,
 * which Linux puts on every segment of a connection with timestamps (the
 * engine's nops are TCP_NOP): encoded without a walk.
 */
function isNopNopTimestamps(options: readonly TcpOption[]): boolean {
  return (
    options.length === 3 &&
    options[0] === TCP_NOP &&
    options[1] === TCP_NOP &&
    options[2]!.kind === 'timestamps'
  );
}

/** Encoded length of a list, before padding to a multiple of 4. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  if (isNopNopTimestamps(options)) return 2 + TCPOLEN_TIMESTAMP;
  let n = 0;
  for (let k = 0; k < options.length; k++) n += tcpOptionLength(options[k]!);
  return n;
}

/** Writes the options at `out[offset, …)` and returns the offset after them (no padding). */
export function emitTcpOptions(
  options: readonly TcpOption[],
  out: Uint8Array,
  offset: number,
): number {
  if (isNopNopTimestamps(options)) {
    const ts = options[2] as Extract<TcpOption, { kind: 'timestamps' }>;
    out[offset] = TCPOPT_NOP;
    out[offset + 1] = TCPOPT_NOP;
    out[offset + 2] = TCPOPT_TIMESTAMP;
    out[offset + 3] = TCPOLEN_TIMESTAMP;
    put32(out, offset + 4, ts.tsVal);
    put32(out, offset + 8, ts.tsEcr);
    return offset + 2 + TCPOLEN_TIMESTAMP;
  }
  let i = offset;
  for (let k = 0; k < options.length; k++) {
    const opt = options[k]!;
    switch (opt.kind) {
      case 'eol':
        out[i] = TCPOPT_EOL;
        out.set(opt.padding, i + 1);
        i += 1 + opt.padding.length;
        break;
      case 'nop':
        out[i++] = TCPOPT_NOP;
        break;
      case 'mss':
        out[i] = TCPOPT_MSS;
        out[i + 1] = TCPOLEN_MSS;
        put16(out, i + 2, opt.mss);
        i += TCPOLEN_MSS;
        break;
      case 'wscale':
        out[i] = TCPOPT_WINDOW;
        out[i + 1] = TCPOLEN_WINDOW;
        out[i + 2] = opt.shift;
        i += TCPOLEN_WINDOW;
        break;
      case 'sackPermitted':
        out[i] = TCPOPT_SACK_PERM;
        out[i + 1] = TCPOLEN_SACK_PERM;
        i += TCPOLEN_SACK_PERM;
        break;
      case 'sack': {
        const len = TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK * opt.blocks.length;
        out[i] = TCPOPT_SACK;
        out[i + 1] = len;
        for (let b = 0; b < opt.blocks.length; b++) {
          put32(out, i + 2 + 8 * b, opt.blocks[b]!.left);
          put32(out, i + 6 + 8 * b, opt.blocks[b]!.right);
        }
        i += len;
        break;
      }
      case 'timestamps':
        out[i] = TCPOPT_TIMESTAMP;
        out[i + 1] = TCPOLEN_TIMESTAMP;
        put32(out, i + 2, opt.tsVal);
        put32(out, i + 6, opt.tsEcr);
        i += TCPOLEN_TIMESTAMP;
        break;
      case 'unknown':
        out[i] = opt.code;
        out[i + 1] = 2 + opt.bytes.length;
        out.set(opt.bytes, i + 2);
        i += 2 + opt.bytes.length;
        break;
      case 'malformed':
        out.set(opt.bytes, i);
        i += opt.bytes.length;
        break;
    }
  }
  return i;
}

/** The first option of a kind, typed: `findTcpOption(opts, 'mss')?.mss`. */
export function findTcpOption<K extends TcpOptionKind>(
  options: readonly TcpOption[],
  kind: K,
): Extract<TcpOption, { kind: K }> | undefined {
  for (let k = 0; k < options.length; k++) {
    const opt = options[k]!;
    if (opt.kind === kind) return opt as Extract<TcpOption, { kind: K }>;
  }
  return undefined;
}

/** The MSS the peer announced, or the RFC default when it sent none (TCP_MSS_DEFAULT). */
export function tcpEffectiveMss(options: readonly TcpOption[]): number {
  return findTcpOption(options, 'mss')?.mss ?? TCP_MSS_DEFAULT;
}

const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  // tcpdump: tcp_option_values in print-tcp.c.
  [TCPOPT_EOL, 'eol'],
  [TCPOPT_NOP, 'nop'],
  [TCPOPT_MSS, 'mss'],
  [TCPOPT_WINDOW, 'wscale'],
  [TCPOPT_SACK_PERM, 'sackOK'],
  [TCPOPT_SACK, 'sack'],
  [6, 'echo'],
  [7, 'echoreply'],
  [TCPOPT_TIMESTAMP, 'TS'],
  [11, 'cc'],
  [12, 'ccnew'],
  [19, 'md5'],
  [20, 'scps'],
  [28, 'uto'],
  [29, 'tcp-ao'],
  [30, 'mptcp'],
  [34, 'tfo'],
  [254, 'exp'],
]);

/**
 * One option as tcpdump prints it inside `options [...]`, with absolute sequence
 * numbers (as with -S): `mss 1460`, `sackOK`, `TS val 1 ecr 0`, `wscale 10`,
 * `sack 1 {100:200}`. An unknown kind prints as `unknown-<kind>` or tcpdump's name
 * for it, its data in hex, and `[len N]` when the kind has a known fixed length.
 */
export function formatTcpOption(opt: TcpOption): string {
  switch (opt.kind) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${opt.mss}`;
    case 'wscale':
      return `wscale ${opt.shift}`;
    case 'sackPermitted':
      return 'sackOK';
    case 'sack':
      return `sack ${opt.blocks.length} ${opt.blocks.map((b) => `{${seqU32(b.left)}:${seqU32(b.right)}}`).join('')}`;
    case 'timestamps':
      return `TS val ${opt.tsVal >>> 0} ecr ${opt.tsEcr >>> 0}`;
    case 'unknown': {
      const name = OPTION_NAMES.get(opt.code) ?? `unknown-${opt.code}`;
      const data = opt.bytes.length > 0 ? ` 0x${toHex(opt.bytes)}` : '';
      const fixed =
        opt.code === TCPOPT_MSS ||
        opt.code === TCPOPT_WINDOW ||
        opt.code === TCPOPT_SACK_PERM ||
        opt.code === TCPOPT_TIMESTAMP ||
        opt.code === TCPOPT_SACK;
      return `${name}${data}${fixed ? `[len ${2 + opt.bytes.length}]` : ''}`;
    }
    case 'malformed':
      // tcpdump's marker for an option list it cannot walk.
      return '[bad opt]';
  }
}

/** `[mss 1460,sackOK,TS val 1320709399 ecr 0,nop,wscale 10]`. */
export function formatTcpOptions(options: readonly TcpOption[]): string {
  let s = '[';
  for (let k = 0; k < options.length; k++) {
    if (k > 0) s += ',';
    s += formatTcpOption(options[k]!);
  }
  return `${s}]`;
}
