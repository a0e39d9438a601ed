/**
 * The packetdrill script language, as google/packetdrill's lexer.l and parser.y
 * define it, for the subset the corpora in ../shared/conformance use:
 *
 *   --tolerance_usecs=10000                      header options
 *   `../common/defaults.sh`                      backquoted commands
 *   0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3  system calls
 *   +0...0.200 accept(3, ..., ...) = 4           blocking calls (start...end)
 *   +.1 < S 0:0(0) win 32792 <mss 1000,nop>      inbound packets
 *   +.1~+.105 > P. 1:11(10) ack 1                outbound packets, time ranges
 *   < icmp unreachable port_unreachable [0:0(0)] inbound ICMP errors
 *   +0 %{ assert tcpi_snd_cwnd == 10 }%          assertions over tcp_info
 *   // and C comments
 *
 * Untrusted input (STYLE.md 8): a malformed script gives `{ ok: false }` with
 * file:line:col and what was expected there, never an exception.
 */

import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../wire/tcp.js';
import type {
  Action,
  EventTime,
  Expr,
  HeaderOption,
  IcmpSpec,
  Loc,
  OptionSpec,
  Script,
  Event as ScriptEvent,
  SyscallAction,
  TcpSpec,
} from './ast.js';

export interface SyntaxError {
  readonly path: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  /**
   * 'semantic': well formed but refused, as parser.y's semantic_error (a
   * value out of range, a segment too large); 'syntax' otherwise.
   */
  readonly kind: 'syntax' | 'semantic';
}

export type ParseResult =
  | { readonly ok: true; readonly script: Script }
  | { readonly ok: false; readonly error: SyntaxError };

/** `file:line:col: message`, as compilers print it. */
export function formatSyntaxError(e: SyntaxError): string {
  return `${e.path}:${e.line}:${e.col}: ${e.kind} error: ${e.message}`;
}

/** The flag letters of packetdrill's lexer (packet flags: FSRP.EWU, `-` for none). */
const FLAG_BITS: Readonly<Record<string, number>> = {
  F: FIN,
  S: SYN,
  R: RST,
  P: PSH,
  '.': ACK,
  U: URG,
  E: ECE,
  W: CWR,
};

/** Thrown inside the parser only; parseScript turns it into a value. */
class Failure {
  constructor(
    readonly pos: number,
    readonly message: string,
    readonly kind: 'syntax' | 'semantic' = 'syntax',
  ) {}
}

class Parser {
  pos = 0;
  readonly #lineStarts: number[] = [0];

  constructor(readonly src: string) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.#lineStarts.push(i + 1);
  }

  loc(pos = this.pos): Loc {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: pos - this.#lineStarts[lo]! + 1 };
  }

  fail(expected: string, pos = this.pos): never {
    // Point at what is there, not at the blanks before it.
    while (this.src[pos] === ' ' || this.src[pos] === '\t') pos++;
    throw new Failure(pos, `expected ${expected}, found ${this.describeAt(pos)}`);
  }

  describeAt(pos: number): string {
    if (pos >= this.src.length) return 'end of file';
    const c = this.src[pos]!;
    if (c === '\n') return 'end of line';
    const word = /^[-A-Za-z0-9_.]+/.exec(this.src.slice(pos, pos + 40));
    return `'${word !== null ? word[0] : c}'`;
  }

  peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  /** Skips blanks and comments on the current line (not the newline). */
  skipInline(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '\\' && (this.peek(1) === '\n' || this.peek(1) === '\r')) {
        // A backslash-newline continues the line (packetdrill's lexer skips it too).
        this.pos += this.peek(1) === '\r' ? 3 : 2;
      } else if (this.startsWith('/*')) {
        const end = this.src.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail("'*/' closing the comment");
        this.pos = end + 2;
      } else if (this.startsWith('//')) {
        while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
      } else return;
    }
  }

  /** Skips blanks, comments and newlines. */
  skipAll(): void {
    for (;;) {
      this.skipInline();
      if (this.peek() === '\n') this.pos++;
      else return;
    }
  }

  atLineEnd(): boolean {
    this.skipInline();
    return this.pos >= this.src.length || this.peek() === '\n';
  }

  expectLineEnd(): void {
    if (!this.atLineEnd()) this.fail('end of line');
  }

  expect(s: string, what = `'${s}'`): void {
    if (!this.startsWith(s)) this.fail(what);
    this.pos += s.length;
  }

  /** Skips spaces (even newlines) and takes `s` if it is next. */
  accept(s: string): boolean {
    this.skipAll();
    if (!this.startsWith(s)) return false;
    this.pos += s.length;
    return true;
  }

  word(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos, this.pos + 200));
    if (m === null) return '';
    this.pos += m[0].length;
    return m[0];
  }

  /** An unsigned integer (decimal or 0x hex). */
  integer(what = 'a number'): number {
    const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(this.src.slice(this.pos, this.pos + 40));
    if (m === null) this.fail(what);
    this.pos += m[0].length;
    return Number(m[0]);
  }

  /**
   * An unsigned integer of at most `max` (parser.y's is_valid_u8/u16/u32):
   * beyond it, packetdrill's semantic error `message`, at the number.
   */
  bounded(what: string, max: number, message: string): number {
    this.skipInline();
    const at = this.pos;
    const v = this.integer(what);
    if (v > max) throw new Failure(at, message, 'semantic');
    return v;
  }

  /** Seconds, as packetdrill writes times (`0`, `.1`, `1.5`), in microseconds. */
  seconds(what = 'a time in seconds'): number {
    const m = /^([0-9]+(\.(?!\.)[0-9]*)?|\.[0-9]+)/.exec(this.src.slice(this.pos, this.pos + 40));
    if (m === null) this.fail(what);
    this.pos += m[0].length;
    return Math.round(Number(m[0]) * 1_000_000);
  }
}

/** Parses a whole script. `path` is only used in error messages and the result. */
export function parseScript(src: string, path: string): ParseResult {
  const p = new Parser(src);
  try {
    return { ok: true, script: script(p, path) };
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    const loc = p.loc(e.pos);
    return {
      ok: false,
      error: { path, line: loc.line, col: loc.col, message: e.message, kind: e.kind },
    };
  }
}

function script(p: Parser, path: string): Script {
  const options: HeaderOption[] = [];
  const events: ScriptEvent[] = [];
  for (;;) {
    p.skipAll();
    if (p.pos >= p.src.length) break;
    const start = p.pos;
    if (p.startsWith('--')) {
      if (events.length > 0) p.fail('an event (header options come before the first event)');
      options.push(headerOption(p));
      continue;
    }
    events.push(event(p, start));
  }
  // parser.y's script needs at least one event (an init command alone is none).
  if (!events.some((e) => e.time !== undefined)) {
    p.fail('an event (a packet, a system call, a `command` or %{ code }%, with its time)');
  }
  return { path, options, events };
}

function headerOption(p: Parser): HeaderOption {
  const loc = p.loc();
  p.pos += 2;
  const name = p.word();
  if (name === '') p.fail('an option name after --');
  let value: string | undefined;
  if (p.peek() === '=') {
    p.pos++;
    const m = /^[^\s]+/.exec(p.src.slice(p.pos));
    if (m === null) p.fail(`a value for --${name}`);
    value = m[0];
    p.pos += m[0].length;
  }
  p.expectLineEnd();
  return { name, value, loc };
}

function event(p: Parser, start: number): ScriptEvent {
  const loc = p.loc(start);
  let time: EventTime | undefined;
  let blockingEndUsecs: number | undefined;
  if (p.peek() !== '`') {
    ({ time, blockingEndUsecs } = eventTime(p));
    p.skipInline();
  }
  const action = eventAction(p, blockingEndUsecs !== undefined);
  const text = p.src
    .slice(start, p.pos)
    .replace(/\s*\/\/.*$/gm, '')
    .trim();
  return { loc, time, blockingEndUsecs, action, text };
}

function eventTime(p: Parser): { time: EventTime; blockingEndUsecs: number | undefined } {
  if (p.peek() === '*') {
    p.pos++;
    return { time: { kind: 'any' }, blockingEndUsecs: undefined };
  }
  const relative = p.peek() === '+';
  if (relative) p.pos++;
  const usecs = p.seconds('a time (0, +0.1, 1.5~2, +0...0.2 or *)');
  if (p.peek() === '~') {
    p.pos++;
    const endRelative = p.peek() === '+';
    if (endRelative) p.pos++;
    if (relative !== endRelative) {
      p.fail(relative ? "'+' (both ends of a relative range are relative)" : 'an absolute time');
    }
    const endUsecs = p.seconds('the end of the time range');
    if (endUsecs < usecs) throw new Failure(p.pos, 'time range ends before it starts');
    return {
      time: relative
        ? { kind: 'relativeRange', usecs, endUsecs }
        : { kind: 'absoluteRange', usecs, endUsecs },
      blockingEndUsecs: undefined,
    };
  }
  let blockingEndUsecs: number | undefined;
  if (p.startsWith('...')) {
    p.pos += 3;
    blockingEndUsecs = p.seconds('the end time of the blocking call');
  }
  return {
    time: relative ? { kind: 'relative', usecs } : { kind: 'absolute', usecs },
    blockingEndUsecs,
  };
}

function eventAction(p: Parser, blocking: boolean): Action {
  const c = p.peek();
  if (c === '`') {
    if (blocking) p.fail('a system call after start...end');
    const open = p.pos++;
    const end = p.src.indexOf('`', p.pos);
    if (end < 0) throw new Failure(open, "expected '`' closing this command, found end of file");
    const text = p.src.slice(p.pos, end);
    p.pos = end + 1;
    p.expectLineEnd();
    return { kind: 'command', text };
  }
  if (p.startsWith('%{')) {
    if (blocking) p.fail('a system call after start...end');
    const open = p.pos;
    p.pos += 2;
    const end = p.src.indexOf('}%', p.pos);
    if (end < 0) throw new Failure(open, "expected '}%' closing this code, found end of file");
    const text = p.src.slice(p.pos, end);
    p.pos = end + 2;
    p.expectLineEnd();
    return { kind: 'code', text };
  }
  if (c === '<' || c === '>') {
    if (blocking) p.fail('a system call after start...end');
    p.pos++;
    p.skipInline();
    const direction = c === '<' ? 'inbound' : 'outbound';
    if (/^icmp\b/.test(p.src.slice(p.pos, p.pos + 5))) {
      if (direction === 'outbound') p.fail('a TCP packet (outbound ICMP is not supported)');
      p.pos += 4;
      const icmp = icmpSpec(p);
      p.expectLineEnd();
      return { kind: 'packet', direction, icmp };
    }
    const tcp = tcpSpec(p);
    p.expectLineEnd();
    return { kind: 'packet', direction, tcp };
  }
  if (/[A-Za-z_]/.test(c)) {
    const s = syscall(p);
    p.expectLineEnd();
    return s;
  }
  return p.fail("a packet ('<' or '>'), a system call, a `command` or %{ code }%");
}

function tcpSpec(p: Parser): TcpSpec {
  const flagsStart = p.pos;
  let flagsText = '';
  while (/[A-Za-z.-]/.test(p.peek())) flagsText += p.src[p.pos++];
  if (flagsText === '') p.fail('TCP flags (S, S., ., P., F., R, -, …)');
  let flags = 0;
  if (flagsText !== '-') {
    for (const ch of flagsText) {
      const bit = FLAG_BITS[ch];
      if (bit === undefined) {
        throw new Failure(
          flagsStart,
          `expected TCP flags (letters of FSRP.EWU or -), found '${flagsText}'`,
        );
      }
      flags |= bit;
    }
  }
  p.skipInline();
  const specAt = p.pos;
  const { seqStart, seqEnd, len } = sequenceRange(p, '');
  let ack: number | undefined;
  let win: number | undefined;
  let options: TcpSpec['options'];
  for (;;) {
    p.skipInline();
    if (p.peek() === '<') {
      options = optionList(p);
      break;
    }
    const save = p.pos;
    const w = p.word();
    if (w === '') break;
    p.skipInline();
    if (w === 'ack') {
      ack = p.bounded(
        'the acknowledgement number after ack',
        U32_MAX,
        'TCP ack sequence number out of range',
      );
    } else if (w === 'win') {
      win = p.bounded('the window after win', U16_MAX, 'TCP window value out of range');
    } else {
      p.pos = save;
      p.fail("'ack', 'win', an option list <...> or end of line");
    }
  }
  if (ack !== undefined && (flags & ACK) === 0) {
    // packetdrill: "ack number but no ACK flag" is refused by parser.y too.
    p.fail("the ACK flag '.' for a packet with 'ack'");
  }
  // new_tcp_packet: the options fit in a TCP header, the segment in a datagram.
  const optionBytes = options === undefined || options === 'any' ? 0 : optionListBytes(options);
  if (IPV4_HEADER_BYTES + TCP_HEADER_BYTES + optionBytes + len > MAX_DATAGRAM_BYTES) {
    throw new Failure(specAt, 'TCP segment too large', 'semantic');
  }
  return { flags, flagsText, seqStart, seqEnd, len, ack, win, options };
}

const U8_MAX = 0xff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const IPV4_HEADER_BYTES = 20;
const TCP_HEADER_BYTES = 20;
/** The IPv4 total length field's limit. */
const MAX_DATAGRAM_BYTES = 65535;
/** What the data offset leaves for options (MAX_TCP_OPTION_BYTES). */
const MAX_TCP_OPTION_BYTES = 40;

/**
 * parser.y's seq: `start:end(len)`, each in range (the two ends u32, the
 * length u16) and adding up. `where` names it in errors (' in the quoted header').
 */
function sequenceRange(
  p: Parser,
  where: string,
): { seqStart: number; seqEnd: number; len: number } {
  const seqStart = p.bounded(
    `the starting sequence number (start:end(len))${where}`,
    U32_MAX,
    'TCP start sequence number out of range',
  );
  p.expect(':', `':' in start:end(len)${where}`);
  const seqEnd = p.bounded(
    `the ending sequence number (start:end(len))${where}`,
    U32_MAX,
    'TCP end sequence number out of range',
  );
  p.expect('(', `'(' in start:end(len)${where}`);
  p.skipInline();
  const lenPos = p.pos;
  const len = p.bounded(
    `the payload length (start:end(len))${where}`,
    U16_MAX,
    'TCP payload size out of range',
  );
  p.expect(')', `')' in start:end(len)${where}`);
  if ((seqEnd - seqStart) >>> 0 !== len) {
    throw new Failure(
      lenPos,
      `start:end(len) does not add up${where}: ${seqEnd} - ${seqStart} != ${len}`,
    );
  }
  return { seqStart, seqEnd, len };
}

/** The bytes an option list takes on the wire (packetdrill does not pad it). */
function optionListBytes(options: readonly OptionSpec[]): number {
  let n = 0;
  for (const o of options) {
    switch (o.kind) {
      case 'nop':
      case 'eol':
        n += 1;
        break;
      case 'mss':
        n += 4;
        break;
      case 'wscale':
        n += 3;
        break;
      case 'sackOK':
        n += 2;
        break;
      case 'sack':
        n += 2 + 8 * o.blocks.length;
        break;
      case 'ts':
        n += 10;
        break;
    }
  }
  return n;
}

function optionList(p: Parser): OptionSpec[] | 'any' {
  p.expect('<');
  p.skipInline();
  if (p.startsWith('...')) {
    p.pos += 3;
    p.skipInline();
    p.expect('>', "'>' after <...");
    return 'any';
  }
  const out: OptionSpec[] = [];
  for (;;) {
    p.skipInline();
    const at = p.pos;
    const name = p.word();
    p.skipInline();
    switch (name) {
      case 'nop':
        out.push({ kind: 'nop' });
        break;
      case 'eol':
        out.push({ kind: 'eol' });
        break;
      case 'mss':
        out.push({
          kind: 'mss',
          mss: p.bounded('the MSS after mss', U16_MAX, 'mss value out of range'),
        });
        break;
      case 'wscale':
        out.push({
          kind: 'wscale',
          shift: p.bounded(
            'the shift count after wscale',
            U8_MAX,
            'window scale shift count out of range',
          ),
        });
        break;
      case 'sackOK':
        out.push({ kind: 'sackOK' });
        break;
      case 'sack': {
        const blocks: [number, number][] = [];
        while (/[0-9]/.test(p.peek())) {
          const l = p.bounded(
            'the left edge of the SACK block',
            U32_MAX,
            'TCP SACK left sequence number out of range',
          );
          p.expect(':', "':' in a SACK block left:right");
          blocks.push([
            l,
            p.bounded(
              'the right edge of the SACK block',
              U32_MAX,
              'TCP SACK right sequence number out of range',
            ),
          ]);
          p.skipInline();
        }
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 'TS': {
        if (p.word() !== 'val') p.fail("'val' after TS");
        p.skipInline();
        const val = p.bounded('the TS value', U32_MAX, 'ts val out of range');
        p.skipInline();
        if (p.word() !== 'ecr') p.fail("'ecr' after the TS value");
        p.skipInline();
        out.push({
          kind: 'ts',
          val,
          ecr: p.bounded('the TS echo reply', U32_MAX, 'ecr val out of range'),
        });
        break;
      }
      default:
        p.fail('a TCP option (nop, eol, mss N, wscale N, sackOK, sack L:R, TS val N ecr N)', at);
    }
    // tcp_options_append: no more than a TCP header holds.
    if (optionListBytes(out) > MAX_TCP_OPTION_BYTES)
      throw new Failure(at, 'TCP option list too long', 'semantic');
    p.skipInline();
    if (p.peek() === ',') {
      p.pos++;
      continue;
    }
    p.expect('>', "',' or '>' in the option list");
    return out;
  }
}

/** packetdrill's ICMP codes for `unreachable` (icmp_packet.c icmp_code_table, IPv4). */
const ICMP_TYPES = new Set(['unreachable', 'time_exceeded', 'source_quench']);

function icmpSpec(p: Parser): IcmpSpec {
  p.skipInline();
  const typeAt = p.pos;
  const type = p.word();
  if (!ICMP_TYPES.has(type)) p.fail('an ICMP type (unreachable, time_exceeded)', typeAt);
  p.skipInline();
  let code = '';
  if (/[a-z]/.test(p.peek())) code = p.word();
  p.skipInline();
  let mtu: number | undefined;
  if (p.startsWith('mtu')) {
    p.word();
    p.skipInline();
    mtu = p.integer('the MTU after mtu');
    p.skipInline();
  }
  p.expect('[', "'[' starting the quoted TCP header [seq:seq(len)]");
  p.skipInline();
  const quotedAt = p.pos;
  const { seqStart: quotedSeq, len: quotedLen } = sequenceRange(p, ' in the quoted header');
  p.skipInline();
  p.expect(']', "']' closing the quoted TCP header");
  if (IPV4_HEADER_BYTES + TCP_HEADER_BYTES + quotedLen > MAX_DATAGRAM_BYTES) {
    throw new Failure(quotedAt, 'TCP segment too large', 'semantic');
  }
  return { type, code, mtu, quotedSeq, quotedLen };
}

function syscall(p: Parser): SyscallAction {
  const name = p.word();
  p.skipInline();
  p.expect('(', `'(' after the system call name ${name}`);
  const args: Expr[] = [];
  p.skipAll();
  if (p.peek() !== ')') {
    for (;;) {
      args.push(expr(p));
      p.skipAll();
      if (p.peek() === ',') {
        p.pos++;
        continue;
      }
      break;
    }
  }
  p.skipAll();
  p.expect(')', "',' or ')' in the argument list");
  p.skipInline();
  p.expect('=', "'=' and the expected result");
  p.skipInline();
  const result = expr(p);
  p.skipInline();
  let errno: string | undefined;
  if (/[A-Z]/.test(p.peek())) errno = p.word();
  p.skipInline();
  let note: string | undefined;
  if (p.peek() === '(') {
    const end = p.src.indexOf(')', p.pos);
    const nl = p.src.indexOf('\n', p.pos);
    if (end < 0 || (nl >= 0 && nl < end)) p.fail("')' closing the note");
    note = p.src.slice(p.pos + 1, end);
    p.pos = end + 1;
  }
  return { kind: 'syscall', name, args, result, errno, note };
}

function expr(p: Parser): Expr {
  let left = primary(p);
  for (;;) {
    p.skipInline();
    if (p.peek() !== '|' || p.peek(1) === '|') return left;
    p.pos++;
    p.skipInline();
    const right = primary(p);
    left = { kind: 'or', left, right, loc: left.loc };
  }
}

function primary(p: Parser): Expr {
  p.skipAll();
  const loc = p.loc();
  const c = p.peek();
  if (p.startsWith('...')) {
    p.pos += 3;
    return { kind: 'ellipsis', loc };
  }
  if (c === '-' && /[0-9]/.test(p.peek(1))) {
    p.pos++;
    return { kind: 'int', value: -p.integer(), loc };
  }
  if (/[0-9]/.test(c)) return { kind: 'int', value: p.integer(), loc };
  if (c === '"') {
    const end = p.src.indexOf('"', p.pos + 1);
    if (end < 0) p.fail("'\"' closing the string");
    const value = p.src.slice(p.pos + 1, end);
    p.pos = end + 1;
    return { kind: 'string', value, loc };
  }
  if (c === '[') {
    p.pos++;
    const items: Expr[] = [];
    p.skipAll();
    if (p.peek() !== ']') {
      for (;;) {
        items.push(expr(p));
        if (!p.accept(',')) break;
      }
    }
    p.skipAll();
    p.expect(']', "',' or ']' in the list");
    return { kind: 'list', items, loc };
  }
  if (c === '{') {
    p.pos++;
    const fields: { name: string; value: Expr }[] = [];
    p.skipAll();
    if (p.peek() !== '}') {
      for (;;) {
        p.skipAll();
        const name = p.word();
        if (name === '') p.fail('a field name in {name=value, …}');
        p.skipAll();
        p.expect('=', `'=' after the field name ${name}`);
        fields.push({ name, value: expr(p) });
        if (!p.accept(',')) break;
      }
    }
    p.skipAll();
    p.expect('}', "',' or '}' in the struct");
    return { kind: 'struct', fields, loc };
  }
  if (/[A-Za-z_]/.test(c)) {
    const name = p.word();
    if (name === 'NULL') return { kind: 'null', loc };
    return { kind: 'symbol', name, loc };
  }
  return p.fail("an expression (a number, a name, '...', NULL, [x] or {f=x})");
}
