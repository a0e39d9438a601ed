/**
 * iptables' command line, as iptables 1.8.9 parses it (iptables/xshared.c
 * do_parse, with getopt_long's rules: bundled short options, `--opt=value`,
 * unambiguous prefixes of long options, `!` before an option inverts it),
 * the options of the matches it loads (`-m tcp|udp|icmp|multiport|limit|
 * conntrack|state`, and a protocol's match loaded implicitly after `-p`,
 * command_default) and of the targets (REJECT, LOG), with the real tool's
 * error messages. Each error names what went wrong as iptables does; the
 * caller adds the program's prefix and the "Try `iptables -h'" line.
 */

import { serviceAnyProtocol, serviceToPort } from '../capture/netdb.js';
import type { Time } from '../sim/time.js';
import { ICMP_CODES } from './print.js';
import {
  ANY_IP,
  CT_DNAT,
  CT_ESTABLISHED,
  CT_INVALID,
  CT_NEW,
  CT_RELATED,
  CT_SNAT,
  CT_UNTRACKED,
  type IpPart,
  type Match,
  newLimitState,
  parseProtocol,
  protoName,
  type RejectWith,
  type Rule,
  TARGET_NAMES,
  type Target,
  TCP_FLAG_NAMES,
  XT_LIMIT_SCALE,
} from './rule.js';

export type CommandKind =
  | 'append'
  | 'check'
  | 'delete'
  | 'deleteNum'
  | 'insert'
  | 'replace'
  | 'list'
  | 'listRules'
  | 'flush'
  | 'zero'
  | 'zeroNum'
  | 'newChain'
  | 'deleteChain'
  | 'rename'
  | 'policy'
  | 'version'
  | 'help';

export interface ParsedCommand {
  readonly kind: CommandKind;
  /** With -L -Z: zero after listing. */
  readonly alsoZero: boolean;
  readonly chain: string | undefined;
  readonly rulenum: number | undefined;
  readonly newName: string | undefined;
  readonly policy: string | undefined;
  /** The rules of -A/-I/-R/-D/-C: one per source × destination address. */
  readonly rules: readonly Rule[];
  readonly numeric: boolean;
  readonly verbose: boolean;
  readonly exact: boolean;
  readonly lineNumbers: boolean;
  readonly table: string;
}

/** A parse failure. */
export interface ParseError {
  /**
   * 'param': `PROG v1.8.9 (nf_tables): TEXT` then the "Try" line, exit 2;
   * 'bare': TEXT then the "Try" line, exit 2 (Bad argument);
   * 'table': the -t error, exit 3; 'kernel': `PROG: TEXT`, exit 1;
   * 'batch': `PROG v1.8.9 (nf_tables): TEXT`, exit 4.
   */
  readonly kind: 'param' | 'bare' | 'table' | 'kernel' | 'batch';
  readonly text: string;
}

export type ParseResult =
  | { readonly ok: true; readonly value: ParsedCommand }
  | { readonly ok: false; readonly error: ParseError };

class Fail {
  readonly error: ParseError;
  constructor(kind: ParseError['kind'], text: string) {
    this.error = { kind, text };
  }
}

const param = (text: string): never => {
  throw new Fail('param', text);
};

/** The context the parser needs from the host. */
export interface ParseContext {
  /** /etc/hosts, for -s/-d names. */
  resolve(name: string): number | undefined;
  readonly now: Time;
  /** Inside iptables-restore. */
  readonly restore?: boolean;
}

// ---- options ---------------------------------------------------------------

interface OptDef {
  readonly name: string;
  /** 0 none, 1 required, 2 optional (getopt's `::`). */
  readonly arg: 0 | 1 | 2;
  readonly key: string;
}

const CORE_LONG: readonly OptDef[] = [
  { name: 'append', arg: 1, key: 'A' },
  { name: 'check', arg: 1, key: 'C' },
  { name: 'delete', arg: 1, key: 'D' },
  { name: 'insert', arg: 1, key: 'I' },
  { name: 'replace', arg: 1, key: 'R' },
  { name: 'list', arg: 2, key: 'L' },
  { name: 'list-rules', arg: 2, key: 'S' },
  { name: 'flush', arg: 2, key: 'F' },
  { name: 'zero', arg: 2, key: 'Z' },
  { name: 'new-chain', arg: 1, key: 'N' },
  { name: 'delete-chain', arg: 2, key: 'X' },
  { name: 'rename-chain', arg: 1, key: 'E' },
  { name: 'policy', arg: 1, key: 'P' },
  { name: 'source', arg: 1, key: 's' },
  { name: 'src', arg: 1, key: 's' },
  { name: 'destination', arg: 1, key: 'd' },
  { name: 'dst', arg: 1, key: 'd' },
  { name: 'protocol', arg: 1, key: 'p' },
  { name: 'in-interface', arg: 1, key: 'i' },
  { name: 'jump', arg: 1, key: 'j' },
  { name: 'table', arg: 1, key: 't' },
  { name: 'match', arg: 1, key: 'm' },
  { name: 'numeric', arg: 0, key: 'n' },
  { name: 'out-interface', arg: 1, key: 'o' },
  { name: 'verbose', arg: 0, key: 'v' },
  { name: 'wait', arg: 2, key: 'w' },
  { name: 'wait-interval', arg: 1, key: 'W' },
  { name: 'exact', arg: 0, key: 'x' },
  { name: 'fragments', arg: 0, key: 'f' },
  { name: 'version', arg: 0, key: 'V' },
  { name: 'help', arg: 2, key: 'h' },
  { name: 'line-numbers', arg: 0, key: '0' },
  { name: 'modprobe', arg: 1, key: 'M' },
  { name: 'set-counters', arg: 1, key: 'c' },
  { name: 'goto', arg: 1, key: 'g' },
  { name: 'ipv4', arg: 0, key: '4' },
  { name: 'ipv6', arg: 0, key: '6' },
];

/** getopt's optstring: "-:A:C:D:R:I:L::S::M:F::Z::N:X::E:P:Vh::o:p:s:d:j:i:fbvw::W::nt:m:xc:g:46". */
const SHORT_ARGS: Readonly<Record<string, 0 | 1 | 2>> = {
  A: 1,
  C: 1,
  D: 1,
  R: 1,
  I: 1,
  L: 2,
  S: 2,
  M: 1,
  F: 2,
  Z: 2,
  N: 1,
  X: 2,
  E: 1,
  P: 1,
  V: 0,
  h: 2,
  o: 1,
  p: 1,
  s: 1,
  d: 1,
  j: 1,
  i: 1,
  f: 0,
  b: 0,
  v: 0,
  w: 2,
  W: 2,
  n: 0,
  t: 1,
  m: 1,
  x: 0,
  c: 1,
  g: 1,
  '4': 0,
  '6': 0,
};

/** The options of the extensions, by the match or target that owns them. */
const EXT_OPTS: Readonly<Record<string, readonly OptDef[]>> = {
  tcp: [
    { name: 'source-port', arg: 1, key: 'sport' },
    { name: 'sport', arg: 1, key: 'sport' },
    { name: 'destination-port', arg: 1, key: 'dport' },
    { name: 'dport', arg: 1, key: 'dport' },
    { name: 'syn', arg: 0, key: 'syn' },
    { name: 'tcp-flags', arg: 1, key: 'tcp-flags' },
    { name: 'tcp-option', arg: 1, key: 'tcp-option' },
  ],
  udp: [
    { name: 'source-port', arg: 1, key: 'sport' },
    { name: 'sport', arg: 1, key: 'sport' },
    { name: 'destination-port', arg: 1, key: 'dport' },
    { name: 'dport', arg: 1, key: 'dport' },
  ],
  icmp: [{ name: 'icmp-type', arg: 1, key: 'icmp-type' }],
  multiport: [
    { name: 'source-ports', arg: 1, key: 'sports' },
    { name: 'sports', arg: 1, key: 'sports' },
    { name: 'destination-ports', arg: 1, key: 'dports' },
    { name: 'dports', arg: 1, key: 'dports' },
    { name: 'ports', arg: 1, key: 'ports' },
  ],
  limit: [
    { name: 'limit', arg: 1, key: 'limit' },
    { name: 'limit-burst', arg: 1, key: 'limit-burst' },
  ],
  conntrack: [{ name: 'ctstate', arg: 1, key: 'ctstate' }],
  state: [{ name: 'state', arg: 1, key: 'state' }],
  comment: [{ name: 'comment', arg: 1, key: 'comment' }],
  REJECT: [{ name: 'reject-with', arg: 1, key: 'reject-with' }],
  LOG: [
    { name: 'log-level', arg: 1, key: 'log-level' },
    { name: 'log-prefix', arg: 1, key: 'log-prefix' },
    { name: 'log-tcp-sequence', arg: 0, key: 'log-tcp-sequence' },
    { name: 'log-tcp-options', arg: 0, key: 'log-tcp-options' },
    { name: 'log-ip-options', arg: 0, key: 'log-ip-options' },
    { name: 'log-uid', arg: 0, key: 'log-uid' },
    { name: 'log-macdecode', arg: 0, key: 'log-macdecode' },
  ],
};

const KNOWN_MATCHES = new Set([
  'tcp',
  'udp',
  'icmp',
  'multiport',
  'limit',
  'conntrack',
  'state',
  'comment',
]);

/** A match being built: the option values it has seen. */
interface MatchDraft {
  readonly name: string;
  readonly seen: Set<string>;
  m: Match;
}

const FULL: readonly [number, number] = [0, 0xffff];

function emptyMatch(name: string): Match {
  switch (name) {
    case 'tcp':
      return {
        kind: 'tcp',
        spts: FULL,
        dpts: FULL,
        flgMask: 0,
        flgCmp: 0,
        invSpt: false,
        invDpt: false,
        invFlags: false,
      };
    case 'udp':
      return { kind: 'udp', spts: FULL, dpts: FULL, invSpt: false, invDpt: false };
    case 'icmp':
      return { kind: 'icmp', type: 0xff, codeMin: 0, codeMax: 0xff, invert: false };
    case 'multiport':
      return { kind: 'multiport', flags: 'dst', ports: [], isRange: [], invert: false };
    case 'limit':
      // XT_LIMIT_AVG 3/hour, XT_LIMIT_BURST 5.
      return {
        kind: 'limit',
        avg: (XT_LIMIT_SCALE * 3600) / 3,
        burst: 5,
        state: { tokens: 0, last: 0, tokensMax: 0, cost: 0 },
      };
    case 'conntrack':
      return { kind: 'conntrack', states: 0, invert: false };
    case 'comment':
      return { kind: 'comment', comment: '' };
    default:
      return { kind: 'state', states: 0, invert: false };
  }
}

/** xtables_strtoui with base 0: decimal, 0x hex or 0 octal. */
function strtoui(s: string, max: number): number | undefined {
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(s)) v = Number.parseInt(s.slice(2), 16);
  else if (/^0[0-7]*$/.test(s)) v = Number.parseInt(s, 8);
  else if (/^[1-9][0-9]*$/.test(s)) v = Number(s);
  else return undefined;
  return v <= max ? v : undefined;
}

/** xtables_parse_port. */
function parsePort(s: string, proto: 'tcp' | 'udp'): number {
  const named = /^[0-9]/.test(s) ? undefined : serviceToPort(s, proto);
  if (named !== undefined) return named;
  const n = strtoui(s, 0xffff);
  if (n === undefined) param(`invalid port/service \`${s}' specified`);
  return n!;
}

/** parse_tcp_ports / parse_udp_ports. */
function parsePorts(s: string, proto: 'tcp' | 'udp'): [number, number] {
  const colon = s.indexOf(':');
  if (colon < 0) {
    const p = parsePort(s, proto);
    return [p, p];
  }
  const a = s.slice(0, colon);
  const b = s.slice(colon + 1);
  const lo = a === '' ? 0 : parsePort(a, proto);
  const hi = b === '' ? 0xffff : parsePort(b, proto);
  if (lo > hi) param('invalid portrange (min > max)');
  return [lo, hi];
}

/**
 * libxt_udp's --sport and --dport, as iptables 1.8.9's option framework reads
 * them (XTTYPE_PORTRC): decimal digits kept to their low 16 bits (65536 is
 * 0), other text a service name of any protocol, a range in either order, an
 * empty end 0 (first) or 65535 (last). tcp has its own parser (parsePorts).
 */
function parseUdpPorts(s: string): [number, number] {
  const one = (x: string, empty: number): number => {
    if (x === '') return empty;
    if (/^[0-9]+$/.test(x)) return Number(BigInt(x) & 0xffffn);
    const p = serviceAnyProtocol(x);
    if (p === undefined) param(`Port "${x}" does not resolve to anything.\n`);
    return p!;
  };
  const colon = s.indexOf(':');
  if (colon < 0) {
    const p = one(s, 0);
    return [p, p];
  }
  return [one(s.slice(0, colon), 0), one(s.slice(colon + 1), 0xffff)];
}

/** parse_tcp_flag. */
function parseTcpFlags(s: string): number {
  let flags = 0;
  for (const name of s.split(',')) {
    const f = TCP_FLAG_NAMES.find(([n]) => n.toLowerCase() === name.toLowerCase());
    if (f === undefined) param(`Unknown TCP flag \`${name}'`);
    flags |= f![1];
  }
  return flags;
}

/** libipt_icmp parse_icmp. */
function parseIcmpType(s: string): { type: number; codeMin: number; codeMax: number } {
  const matches = ICMP_CODES.filter(([name]) => name.toLowerCase().startsWith(s.toLowerCase()));
  // An exact name wins over longer ones it prefixes.
  const exact = matches.find(([name]) => name.toLowerCase() === s.toLowerCase());
  if (exact !== undefined) return { type: exact[1], codeMin: exact[2], codeMax: exact[3] };
  if (matches.length > 1) {
    param(`Ambiguous ICMP type \`${s}': \`${matches[0]![0]}' or \`${matches[1]![0]}'?`);
  }
  if (matches.length === 1) {
    const m = matches[0]!;
    return { type: m[1], codeMin: m[2], codeMax: m[3] };
  }
  const [t, c] = s.split('/');
  const type = t !== undefined ? strtoui(t, 255) : undefined;
  if (type === undefined) param(`Unknown ICMP type \`${s}'`);
  if (c === undefined) return { type: type!, codeMin: 0, codeMax: 0xff };
  const code = strtoui(c, 255);
  if (code === undefined) param(`Unknown ICMP code \`${c}'`);
  return { type: type!, codeMin: code!, codeMax: code! };
}

/** libxt_limit parse_rate. */
function parseRate(s: string): number {
  const slash = s.indexOf('/');
  let mult = 1;
  if (slash >= 0) {
    const unit = s.slice(slash + 1).toLowerCase();
    if (unit === '') param(`bad rate "${s}"'`);
    if ('second'.startsWith(unit)) mult = 1;
    else if ('minute'.startsWith(unit)) mult = 60;
    else if ('hour'.startsWith(unit)) mult = 3600;
    else if ('day'.startsWith(unit)) mult = 86400;
    else param(`bad rate "${s}"'`);
  }
  // atoi.
  const r = Number.parseInt(/^\s*[+-]?\d+/.exec(s)?.[0] ?? '0', 10);
  if (!r || r < 0) param(`bad rate "${s}"'`);
  const val = Math.floor((XT_LIMIT_SCALE * mult) / r);
  if (val === 0) param(`Rate too fast "${s}"`);
  return val;
}

const STATE_NAMES: readonly (readonly [string, number])[] = [
  ['INVALID', CT_INVALID],
  ['NEW', CT_NEW],
  ['ESTABLISHED', CT_ESTABLISHED],
  ['RELATED', CT_RELATED],
  ['UNTRACKED', CT_UNTRACKED],
  ['SNAT', CT_SNAT],
  ['DNAT', CT_DNAT],
];

function parseStates(s: string, what: 'ctstate' | 'state'): number {
  let bits = 0;
  for (const name of s.split(',')) {
    const f = STATE_NAMES.find(
      ([n]) => n === name.toUpperCase() && (what === 'ctstate' || (n !== 'SNAT' && n !== 'DNAT')),
    );
    if (f === undefined) param(`Bad ${what} "${name}"`);
    bits |= f![1];
  }
  return bits;
}

const REJECT_TYPES: readonly (readonly [RejectWith, string])[] = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];

/** syslog level names LOG accepts (libxt_LOG). */
const LOG_LEVELS: Readonly<Record<string, number>> = {
  emerg: 0,
  panic: 0,
  alert: 1,
  crit: 2,
  err: 3,
  error: 3,
  warn: 4,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** xtables_ipparse_multiple: `a.b.c.d[/mask]` lists, names from /etc/hosts. */
function parseAddresses(spec: string, ctx: ParseContext): { addr: number; mask: number }[] {
  return spec.split(',').map((item) => {
    const slash = item.indexOf('/');
    const host = slash < 0 ? item : item.slice(0, slash);
    let mask = 0xffff_ffff;
    if (slash >= 0) {
      const m = item.slice(slash + 1);
      const dotted = parseDotted(m);
      if (m.includes('.') && dotted !== undefined) mask = dotted;
      else {
        const bits = strtoui(m, 32);
        if (bits === undefined || !/^[0-9]+$/.test(m)) param(`invalid mask \`${m}' specified`);
        mask = bits === 0 ? 0 : (0xffff_ffff << (32 - bits!)) >>> 0;
      }
    }
    const addr = parseDotted(host) ?? ctx.resolve(host);
    if (addr === undefined) param(`host/network \`${host}' not found`);
    return { addr: (addr! & mask) >>> 0, mask };
  });
}

/** inet_aton-like, as xtables_numeric_to_ipaddr: 1 to 4 dotted decimal parts, missing ones 0. */
function parseDotted(s: string): number | undefined {
  if (!/^[0-9]+(\.[0-9]+){0,3}$/.test(s)) return undefined;
  const parts = s.split('.').map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  while (parts.length < 4) parts.push(0);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** parse_rulenumber. */
function parseRulenum(s: string): number {
  const n = strtoui(s, 0x7fff_ffff);
  if (n === undefined || n < 1) param(`Invalid rule number \`${s}'`);
  return n!;
}

/** parse_chain (for -N and -E's new name). */
export function checkChainName(name: string): void {
  if (name.length >= 29) param(`chain name \`${name}' too long (must be under 29 chars)`);
  if (name.startsWith('-') || name.startsWith('!')) {
    param(`chain name not allowed to start with \`${name[0]}'`);
  }
  if (TARGET_NAMES.has(name)) param('chain name may not clash with target name');
  if (/\s/.test(name)) param(`Invalid chain name \`${name}'`);
}

const CMD_LETTER: Readonly<Record<string, string>> = {
  append: 'A',
  check: 'C',
  delete: 'D',
  deleteNum: 'D',
  insert: 'I',
  replace: 'R',
  list: 'L',
  listRules: 'S',
  flush: 'F',
  zero: 'Z',
  zeroNum: 'Z',
  newChain: 'N',
  deleteChain: 'X',
  rename: 'E',
  policy: 'P',
};

/** xshared.c commands_v_options: which options each command refuses. */
const ILLEGAL: Readonly<Record<string, string>> = {
  append: 'nx0',
  check: 'nx0c',
  delete: 'nx0c',
  deleteNum: 'nsdpjxio0cf',
  insert: 'nx0',
  replace: 'nx0',
  list: 'sdpjiocf',
  listRules: 'nsdpjxio0cf',
  flush: 'nsdpjxio0cf',
  zero: 'nsdpjxio0cf',
  zeroNum: 'nsdpjxio0cf',
  newChain: 'nsdpjxio0cf',
  deleteChain: 'nsdpjxio0cf',
  rename: 'nsdpjxio0cf',
  policy: 'nsdpjxio0f',
};

/** Parses `iptables` arguments (without argv[0]). */
export function parseIptables(args: readonly string[], ctx: ParseContext): ParseResult {
  try {
    return { ok: true, value: doParse(args, ctx) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.error };
    throw e;
  }
}

function doParse(args: readonly string[], ctx: ParseContext): ParsedCommand {
  let command: CommandKind | undefined;
  let alsoZero = false;
  let chain: string | undefined;
  let rulenum: number | undefined;
  let newName: string | undefined;
  let policy: string | undefined;
  let table = 'filter';
  let verbose = false;
  const options = new Set<string>();
  let invert = false;
  let proto: string | undefined;
  let protoUsed = false;
  let srcSpec: string | undefined;
  let dstSpec: string | undefined;
  let ip: IpPart = ANY_IP;
  const matches: MatchDraft[] = [];
  let jump: string | undefined;
  let gotoChain = false;
  let targetExt: 'REJECT' | 'LOG' | undefined;
  let reject: RejectWith = 'icmp-port-unreachable';
  const log = { level: 4, prefix: '', flags: 0, seen: new Set<string>() };
  let counters: { pkts: bigint; bytes: bigint } | undefined;
  let i = 0;

  const hasArg = (): boolean =>
    i < args.length && !args[i]!.startsWith('-') && !args[i]!.startsWith('!');

  const addCommand = (next: CommandKind, others: readonly CommandKind[] = []): void => {
    if (invert) param('unexpected ! flag');
    if (command !== undefined) {
      if (!others.includes(command)) {
        param(`Cannot use -${CMD_LETTER[next]} with -${CMD_LETTER[command]}`);
      }
      if (next === 'zero' || next === 'zeroNum') {
        alsoZero = true;
        return;
      }
      if (command === 'zero' || command === 'zeroNum') alsoZero = true;
    }
    command = next;
  };

  const setOption = (letter: string, invertible: boolean): void => {
    if (options.has(letter)) param(`multiple -${letter} flags not allowed`);
    options.add(letter);
    if (invert && !invertible) param(`cannot have ! before -${letter}`);
  };

  const loadMatch = (name: string): MatchDraft => {
    const d: MatchDraft = { name, seen: new Set(), m: emptyMatch(name) };
    matches.push(d);
    return d;
  };

  /** An extension's option: the newest loaded match or target that has it. */
  const findExtOpt = (name: string): { owner: MatchDraft | 'target'; def: OptDef } | undefined => {
    const exactOrPrefix = (defs: readonly OptDef[]): OptDef | undefined =>
      defs.find((d) => d.name === name) ??
      (() => {
        const c = defs.filter((d) => d.name.startsWith(name));
        return c.length === 1 ? c[0] : undefined;
      })();
    if (targetExt !== undefined) {
      const def = exactOrPrefix(EXT_OPTS[targetExt]!);
      if (def !== undefined) return { owner: 'target', def };
    }
    for (let k = matches.length - 1; k >= 0; k--) {
      const def = exactOrPrefix(EXT_OPTS[matches[k]!.name]!);
      if (def !== undefined) return { owner: matches[k]!, def };
    }
    return undefined;
  };

  const applyMatchOpt = (d: MatchDraft, key: string, value: string | undefined): void => {
    const m = d.m;
    const v = value ?? '';
    switch (m.kind) {
      case 'tcp':
      case 'udp': {
        const p = m.kind;
        if (key === 'sport' || key === 'dport') {
          if (d.seen.has(key)) {
            param(`Only one \`--${key === 'sport' ? 'source' : 'destination'}-port' allowed`);
          }
          const r = p === 'udp' ? parseUdpPorts(v) : parsePorts(v, p);
          d.m =
            key === 'sport' ? { ...m, spts: r, invSpt: invert } : { ...m, dpts: r, invDpt: invert };
        } else if (m.kind === 'tcp' && (key === 'syn' || key === 'tcp-flags')) {
          if (d.seen.has('flags')) param("Only one of `--syn' or `--tcp-flags'  allowed");
          d.seen.add('flags');
          if (key === 'syn') {
            d.m = { ...m, flgMask: 0x17, flgCmp: 0x02, invFlags: invert };
          } else {
            if (!hasArg()) param('--tcp-flags requires two args.');
            const mask = parseTcpFlags(v);
            const cmp = parseTcpFlags(args[i++]!);
            d.m = { ...m, flgMask: mask, flgCmp: cmp, invFlags: invert };
          }
        } else {
          param(`unknown option "--${key}"`);
        }
        break;
      }
      case 'icmp': {
        if (d.seen.has(key)) param('icmp: option "--icmp-type" can only be used once.\n');
        const t = parseIcmpType(v);
        d.m = { kind: 'icmp', ...t, invert };
        break;
      }
      case 'multiport': {
        if (d.seen.size > 0) {
          const long = (k: string) =>
            k === 'sports' ? 'source-ports' : k === 'dports' ? 'destination-ports' : 'ports';
          const prev = [...d.seen][0]!;
          param(
            `multiport: option "--${long(key)}" cannot be used together with "--${long(prev)}".\n`,
          );
        }
        const pname = proto === undefined ? undefined : protoName(parseProtocol(proto) ?? -1);
        if (ip.invProto || (pname !== 'tcp' && pname !== 'udp')) {
          // libxt_multiport check_proto: a protocol it cannot use, or none at all.
          param(
            proto !== undefined && parseProtocol(proto) !== 0
              ? 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP'
              : "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'",
          );
        }
        const pp = pname as 'tcp' | 'udp';
        const ports: number[] = [];
        const isRange: boolean[] = [];
        const items = v.split(',');
        for (const item of items) {
          if (ports.length >= 15) param('too many ports specified');
          const colon = item.indexOf(':');
          if (colon >= 0) {
            if (ports.length === 14) param('too many ports specified');
            const a = parsePort(item.slice(0, colon), pp);
            const b = parsePort(item.slice(colon + 1), pp);
            if (a >= b) param('invalid portrange specified');
            ports.push(a, b);
            isRange.push(true, false);
          } else {
            ports.push(parsePort(item, pp));
            isRange.push(false);
          }
        }
        d.m = {
          kind: 'multiport',
          flags: key === 'sports' ? 'src' : key === 'dports' ? 'dst' : 'any',
          ports,
          isRange,
          invert,
        };
        break;
      }
      case 'limit':
        if (key === 'limit') {
          d.m = { ...m, avg: parseRate(v) };
        } else {
          const b = strtoui(v, 10000);
          if (b === undefined) {
            param('limit: bad value for option "--limit-burst", or out of range (0-10000).\n');
          }
          // nft_limit_init: a burst of 0 becomes the default, 5 (and reads back so).
          d.m = { ...m, burst: b === 0 ? 5 : b! };
        }
        break;
      case 'conntrack':
      case 'state':
        d.m = {
          ...m,
          states: parseStates(v, m.kind === 'conntrack' ? 'ctstate' : 'state'),
          invert,
        };
        break;
      case 'comment':
        if (d.seen.has(key)) param('comment: option "--comment" can only be used once.\n');
        // XT_MAX_COMMENT_LEN is 256 with the NUL: a longer comment is cut to 255 (as nft stores it).
        d.m = { kind: 'comment', comment: v.slice(0, 255) };
        break;
    }
    d.seen.add(key);
  };

  const applyTargetOpt = (key: string, value: string | undefined): void => {
    if (targetExt === 'REJECT') {
      const v = (value ?? '').toLowerCase();
      const t = REJECT_TYPES.find(([name, alias]) => name.startsWith(v) || alias.startsWith(v));
      if (t === undefined || v === '') param(`unknown reject type "${value}"`);
      reject = t![0];
      return;
    }
    if (log.seen.has(key) && (key === 'log-level' || key === 'log-prefix')) {
      param(`LOG: option "--${key}" can only be used once.\n`);
    }
    log.seen.add(key);
    switch (key) {
      case 'log-level': {
        const v = value ?? '';
        const n = /^[0-7]$/.test(v) ? Number(v) : LOG_LEVELS[v.toLowerCase()];
        if (n === undefined) param(`log level "${v}" unknown\n`);
        log.level = n!;
        break;
      }
      case 'log-prefix':
        if ((value ?? '') === '') param('Argument must have a minimum length of 1 characters\n');
        log.prefix = value!;
        break;
      case 'log-tcp-sequence':
        log.flags |= 0x01;
        break;
      case 'log-tcp-options':
        log.flags |= 0x02;
        break;
      case 'log-ip-options':
        log.flags |= 0x04;
        break;
      case 'log-uid':
        log.flags |= 0x08;
        break;
      case 'log-macdecode':
        log.flags |= 0x20;
        break;
    }
  };

  /** Takes an option's argument: attached (`-pTCP`, `--p=x`) or the next word. */
  const takeArg = (attached: string | undefined, shown: string, kind: 0 | 1 | 2) => {
    if (kind === 0) return undefined;
    if (attached !== undefined) return attached;
    if (kind === 2) return undefined;
    if (i >= args.length) param(`option "${shown}" requires an argument`);
    return args[i++]!;
  };

  const core = (key: string, arg: string | undefined): void => {
    switch (key) {
      case 'A':
        addCommand('append');
        chain = arg;
        break;
      case 'C':
        addCommand('check');
        chain = arg;
        break;
      case 'D':
        addCommand('delete');
        chain = arg;
        if (hasArg()) {
          rulenum = parseRulenum(args[i++]!);
          command = 'deleteNum';
        }
        break;
      case 'R':
        addCommand('replace');
        chain = arg;
        if (hasArg()) rulenum = parseRulenum(args[i++]!);
        else param('-R requires a rule number');
        break;
      case 'I':
        addCommand('insert');
        chain = arg;
        rulenum = hasArg() ? parseRulenum(args[i++]!) : 1;
        break;
      case 'L':
      case 'S':
        addCommand(key === 'L' ? 'list' : 'listRules', ['zero', 'zeroNum']);
        if (arg !== undefined) chain = arg;
        else if (hasArg()) chain = args[i++];
        if (hasArg()) rulenum = parseRulenum(args[i++]!);
        break;
      case 'F':
        addCommand('flush');
        if (arg !== undefined) chain = arg;
        else if (hasArg()) chain = args[i++];
        break;
      case 'Z':
        addCommand('zero', ['list', 'listRules']);
        if (arg !== undefined) chain = arg;
        else if (hasArg()) chain = args[i++];
        if (hasArg()) {
          rulenum = parseRulenum(args[i++]!);
          if (command === 'zero') command = 'zeroNum';
        }
        break;
      case 'N':
        checkChainName(arg!);
        addCommand('newChain');
        chain = arg;
        break;
      case 'X':
        addCommand('deleteChain');
        if (arg !== undefined) chain = arg;
        else if (hasArg()) chain = args[i++];
        break;
      case 'E':
        addCommand('rename');
        chain = arg;
        if (hasArg()) newName = args[i++];
        else param('-E requires old-chain-name and new-chain-name');
        break;
      case 'P':
        addCommand('policy');
        chain = arg;
        if (hasArg()) policy = args[i++];
        else param('-P requires a chain and a policy');
        break;
      case 'h':
        throw new HelpRequested();
      case 'V':
        throw new VersionRequested();
      case 'p':
        setOption('p', true);
        proto = arg!;
        {
          const n = parseProtocol(proto);
          if (n === undefined) param(`unknown protocol "${proto}" specified`);
          ip = { ...ip, proto: n!, invProto: invert };
          if (invert && n === 0) param('rule would never match protocol');
        }
        break;
      case 's':
        setOption('s', true);
        srcSpec = arg;
        ip = { ...ip, invSrc: invert };
        break;
      case 'd':
        setOption('d', true);
        dstSpec = arg;
        ip = { ...ip, invDst: invert };
        break;
      case 'i':
      case 'o': {
        if (arg === '') param('Empty interface is likely to be undesired');
        setOption(key, true);
        if (arg!.length >= 16) param(`interface name \`${arg}' must be shorter than IFNAMSIZ (15)`);
        ip =
          key === 'i'
            ? { ...ip, iniface: arg!, invIn: invert }
            : { ...ip, outiface: arg!, invOut: invert };
        break;
      }
      case 'j':
      case 'g': {
        setOption('j', false);
        const name = arg!;
        if (name.length < 1) param('Invalid target name (too short)');
        if (name.length >= 29) param(`Invalid target name \`${name}' (28 chars max)`);
        if (/\s/.test(name)) param(`Invalid target name \`${name}'`);
        jump = name;
        gotoChain = key === 'g';
        if (key === 'j' && (name === 'REJECT' || name === 'LOG')) targetExt = name;
        break;
      }
      case 'm': {
        if (invert) param('unexpected ! flag before --match');
        const name = arg!;
        if (!KNOWN_MATCHES.has(name)) {
          param(`Couldn't load match \`${name}':No such file or directory\n`);
        }
        loadMatch(name);
        if (proto !== undefined && name === protoName(parseProtocol(proto) ?? -1)) protoUsed = true;
        break;
      }
      case 'n':
        setOption('n', false);
        break;
      case 'v':
        if (!verbose) setOption('v', false);
        verbose = true;
        break;
      case 'x':
        setOption('x', false);
        break;
      case '0':
        setOption('0', false);
        break;
      case 'f':
        setOption('f', true);
        ip = { ...ip, fragment: true, invFragment: invert };
        break;
      case 't':
        if (invert) param('unexpected ! flag before --table');
        if (ctx.restore) param("You cannot use `-t' in *-restore");
        table = arg!;
        break;
      case 'c': {
        setOption('c', false);
        const pcnt = arg!;
        const comma = pcnt.indexOf(',', 1);
        let bcnt: string | undefined = comma >= 0 ? pcnt.slice(comma + 1) : undefined;
        if (bcnt === undefined && hasArg()) bcnt = args[i++];
        if (bcnt === undefined) param('-c requires packet and byte counter');
        const p = /^\d+/.exec(pcnt);
        if (p === null) param('-c packet counter not numeric');
        const b = /^\d+/.exec(bcnt!);
        if (b === null) param('-c byte counter not numeric');
        counters = { pkts: BigInt(p![0]), bytes: BigInt(b![0]) };
        break;
      }
      case 'w':
      case 'W':
      case 'M':
      case '4':
        break;
      case '6':
        param('This is the IPv4 version of iptables.');
    }
  };

  while (i < args.length) {
    const word = args[i++]!;
    if (word === '!') {
      if (invert) param('multiple consecutive ! not allowed');
      invert = true;
      continue;
    }
    if (word.startsWith('--') && word.length > 2) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const attached = eq < 0 ? undefined : word.slice(eq + 1);
      let def = CORE_LONG.find((d) => d.name === name);
      let ext: { owner: MatchDraft | 'target'; def: OptDef } | undefined;
      if (def === undefined) {
        ext = findExtOpt(name);
        if (ext === undefined && !protoUsed && proto !== undefined) {
          // command_default: load the protocol's match implicitly and retry.
          const pname = protoName(parseProtocol(proto) ?? -1);
          if (pname !== undefined && (pname === 'tcp' || pname === 'udp' || pname === 'icmp')) {
            protoUsed = true;
            loadMatch(pname);
            ext = findExtOpt(name);
          }
        }
        if (ext === undefined) {
          const prefixed = CORE_LONG.filter((d) => d.name.startsWith(name));
          if (prefixed.length >= 1 && new Set(prefixed.map((d) => d.key)).size === 1) {
            def = prefixed[0];
          }
        }
      }
      if (ext !== undefined) {
        const value = takeArg(attached, `--${ext.def.name}`, ext.def.arg);
        if (ext.owner === 'target') applyTargetOpt(ext.def.key, value);
        else applyMatchOpt(ext.owner, ext.def.key, value);
        invert = false;
        continue;
      }
      if (def === undefined) param(`unknown option "${word}"`);
      core(def!.key, takeArg(attached, word, def!.arg));
      invert = false;
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      // A bundle of short options: each letter, until one takes an argument.
      for (let k = 1; k < word.length; k++) {
        const letter = word[k]!;
        const kind = SHORT_ARGS[letter];
        if (kind === undefined) param(`unknown option "${word}"`);
        const rest = word.slice(k + 1);
        if (kind === 0) {
          core(letter, undefined);
          invert = false;
          continue;
        }
        core(letter, takeArg(rest === '' ? undefined : rest, `-${letter}`, kind!));
        invert = false;
        break;
      }
      continue;
    }
    throw new Fail('bare', `Bad argument \`${word}'`);
  }

  if (command === undefined) param('no command specified');
  if (invert) param('nothing appropriate following !');
  const kind = command!;

  // Each match's final check.
  for (const d of matches) {
    if (d.seen.size > 0) continue;
    if (d.m.kind === 'multiport') param('multiport expection an option');
    if (d.m.kind === 'conntrack') param('conntrack: At least one option is required');
    if (d.m.kind === 'state') param('state: option "--state" must be specified\n');
    if (d.m.kind === 'icmp') param('icmp: option "--icmp-type" must be specified\n');
    if (d.m.kind === 'comment') param('comment: option "--comment" must be specified\n');
  }

  const ruleCommand = ['append', 'check', 'delete', 'insert', 'replace'].includes(kind);
  const srcs = ruleCommand ? parseAddresses(srcSpec ?? '0.0.0.0/0', ctx) : [];
  const dsts = ruleCommand ? parseAddresses(dstSpec ?? '0.0.0.0/0', ctx) : [];
  if ((srcs.length > 1 || dsts.length > 1) && (ip.invSrc || ip.invDst)) {
    param('! not allowed with multiple source or destination IP addresses');
  }
  if (kind === 'replace' && (srcs.length !== 1 || dsts.length !== 1)) {
    param('Replacement rule does not specify a unique address');
  }

  // generic_opt_check.
  const illegal = ILLEGAL[kind] ?? '';
  for (const letter of 'nsdpjvxio0cf') {
    if (options.has(letter) && illegal.includes(letter)) {
      param(`Illegal option \`-${letter}' with this command`);
    }
  }
  if (chain !== undefined && chain.length >= 29) {
    param(`chain name \`${chain}' too long (must be under 29 chars)`);
  }
  if (['append', 'delete', 'deleteNum', 'insert', 'replace', 'check'].includes(kind)) {
    if ((chain === 'PREROUTING' || chain === 'INPUT') && options.has('o')) {
      param(`Can't use -o with ${chain}\n`);
    }
    if ((chain === 'POSTROUTING' || chain === 'OUTPUT') && options.has('i')) {
      param(`Can't use -i with ${chain}\n`);
    }
  }
  if (kind === 'rename' && newName !== undefined) checkChainName(newName);

  // The -p requirement of the protocol matches (libxt_tcp/udp: "… match requires '-p …'").
  for (const d of matches) {
    if (d.m.kind === 'tcp' && ip.proto !== 6) param("TCP match requires '-p tcp'");
    if (d.m.kind === 'udp' && ip.proto !== 17) param("UDP match requires '-p udp'");
  }

  let target: Target = { kind: 'none' };
  if (jump !== undefined) {
    if (jump === 'ACCEPT' || jump === 'DROP' || jump === 'RETURN') {
      target = { kind: 'verdict', verdict: jump };
    } else if (jump === 'REJECT' && !gotoChain) target = { kind: 'REJECT', with: reject };
    else if (jump === 'LOG' && !gotoChain) {
      target = { kind: 'LOG', level: log.level, prefix: log.prefix, flags: log.flags };
    } else target = { kind: 'jump', chain: jump, goto: gotoChain };
  }

  // iptables-nft turns tcp and udp matches into payload expressions and reads
  // them back as one match: `-m tcp --dport 80 -m tcp --sport 1` lists as
  // `-m tcp --sport 1 --dport 80` (observed with iptables 1.8.9).
  const merged: Match[] = [];
  for (const d of matches) {
    const m = d.m;
    const first = merged.find((x) => x.kind === m.kind);
    if ((m.kind === 'tcp' || m.kind === 'udp') && first !== undefined && first.kind === m.kind) {
      const f = first as typeof m;
      const full = (r: readonly [number, number]) => r[0] === 0 && r[1] === 0xffff;
      const next = { ...f } as typeof m & { flgMask?: number; flgCmp?: number; invFlags?: boolean };
      if (!full(m.spts) || m.invSpt) Object.assign(next, { spts: m.spts, invSpt: m.invSpt });
      if (!full(m.dpts) || m.invDpt) Object.assign(next, { dpts: m.dpts, invDpt: m.invDpt });
      if (m.kind === 'tcp' && (m.flgMask || m.invFlags)) {
        Object.assign(next, { flgMask: m.flgMask, flgCmp: m.flgCmp, invFlags: m.invFlags });
      }
      merged[merged.indexOf(first)] = next;
      continue;
    }
    merged.push(m);
  }

  const rules: Rule[] = [];
  for (const s of srcs) {
    for (const d of dsts) {
      rules.push({
        ip: { ...ip, src: s.addr, smsk: s.mask, dst: d.addr, dmsk: d.mask },
        matches: merged.map((m) =>
          m.kind === 'limit' ? { ...m, state: newLimitState(m.avg, m.burst, ctx.now) } : m,
        ),
        target,
        pkts: counters?.pkts ?? 0n,
        bytes: counters?.bytes ?? 0n,
      });
    }
  }
  return {
    kind,
    alsoZero,
    chain,
    rulenum,
    newName,
    policy,
    rules,
    numeric: options.has('n'),
    verbose,
    exact: options.has('x'),
    lineNumbers: options.has('0'),
    table,
  };
}

/** `-h`: the caller prints the help. */
export class HelpRequested {}
/** `-V`. */
export class VersionRequested {}

/** Runs the parser, turning -h and -V into results. */
export function parseCommandLine(
  args: readonly string[],
  ctx: ParseContext,
): ParseResult | { readonly ok: 'help' } | { readonly ok: 'version' } {
  try {
    return parseIptables(args, ctx);
  } catch (e) {
    if (e instanceof HelpRequested) return { ok: 'help' };
    if (e instanceof VersionRequested) return { ok: 'version' };
    throw e;
  }
}
