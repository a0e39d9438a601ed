/**
 * How iptables 1.8.9 prints rules: `-L` (xshared.c print_header, print_rule
 * details with nft-ipv4.c; each extension's print function), `-S` and
 * iptables-save (each extension's save function, xtables_save_string), the
 * counters' K/M/G/T units (xtables_print_num), and the host and network names
 * of `-L` without `-n` (xtables_ipaddr_to_anyname: /etc/hosts, then
 * /etc/networks). Column widths and the order of options are the real
 * tool's, checked against its output in test/netfilter/fixtures.
 */

import { portToService } from '../capture/netdb.js';
import { KMSG_LEVELS } from '../host/kmsg.js';
import type { Ipv4Address } from '../wire/address.js';
import { formatIpv4Address } from '../wire/address.js';
import {
  CT_DNAT,
  CT_ESTABLISHED,
  CT_INVALID,
  CT_NEW,
  CT_RELATED,
  CT_SNAT,
  CT_UNTRACKED,
  type IcmpMatch,
  type Match,
  protoName,
  type Rule,
  type Target,
  TCP_FLAG_NAMES,
  XT_LIMIT_SCALE,
} from './rule.js';

/** The -L options. */
export interface ListFormat {
  readonly numeric: boolean;
  readonly verbose: boolean;
  readonly exact: boolean;
  readonly lineNumbers: boolean;
}

/** Name lookups for -L without -n. */
export interface Names {
  /** gethostbyaddr via /etc/hosts. */
  host(addr: Ipv4Address): string | undefined;
}

/** /etc/networks of Debian 12 (netbase): getnetbyaddr. */
const NETWORKS: ReadonlyMap<number, string> = new Map([
  [0, 'default'],
  [0x7f00_0000, 'loopback'],
  [0xa9fe_0000, 'link-local'],
]);

/** libxtables icmp_codes: names of ICMP types and codes, in the table's order. */
export const ICMP_CODES: readonly (readonly [string, number, number, number])[] = [
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['pong', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['ping', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
];

/** libxt_LOG xt_log_names, by level. */
export const LOG_LEVEL_NAMES: readonly string[] = KMSG_LEVELS;

const padEnd = (s: string, n: number): string => s.padEnd(n);
const padStart = (s: string, n: number): string => s.padStart(n);

/** xtables_ipmask_to_cidr: the prefix length, or -1 if the mask is not contiguous. */
function maskToCidr(mask: number): number {
  if (mask === 0) return 0;
  let bits = 0;
  let m = mask >>> 0;
  while (m & 0x8000_0000) {
    bits++;
    m = (m << 1) >>> 0;
  }
  return m === 0 ? bits : -1;
}

/** xtables_ipmask_to_numeric: "" for /32, "/N", or "/a.b.c.d". */
function maskToNumeric(mask: number): string {
  const cidr = maskToCidr(mask);
  if (cidr === 32) return '';
  if (cidr < 0) return `/${formatIpv4Address(mask)}`;
  return `/${cidr}`;
}

/** xtables_print_num. */
function printNum(n: bigint, format: ListFormat, table: boolean): string {
  if (format.exact) return table ? `${padStart(n.toString(), 8)} ` : `${n} `;
  if (n <= 99999n) return table ? `${padStart(n.toString(), 5)} ` : `${n} `;
  let v = n;
  for (const unit of ['K', 'M', 'G']) {
    v = (v + 500n) / 1000n;
    if (v <= 9999n) return table ? `${padStart(v.toString(), 4)}${unit} ` : `${v}${unit} `;
  }
  v = (v + 500n) / 1000n;
  return table ? `${padStart(v.toString(), 4)}T ` : `${v}T `;
}

/** The chain's heading line. */
export function chainHeading(
  name: string,
  builtin: { policy: string; pkts: bigint; bytes: bigint } | undefined,
  references: number,
  format: ListFormat,
): string {
  if (builtin === undefined) return `Chain ${name} (${references} references)\n`;
  let s = `Chain ${name} (policy ${builtin.policy}`;
  if (format.verbose) {
    s += ` ${printNum(builtin.pkts, format, false)}packets, ${printNum(builtin.bytes, format, false)}bytes`;
  }
  return `${s})\n`;
}

/** print_header's column line. */
export function columnHeader(format: ListFormat): string {
  let s = '';
  if (format.lineNumbers) s += `${padEnd('num', 4)} `;
  if (format.verbose) {
    if (format.exact) s += `${padStart('pkts', 8)} ${padStart('bytes', 10)} `;
    else s += `${padStart('pkts', 5)} ${padStart('bytes', 5)} `;
  }
  s += `${padEnd('target', 9)} `;
  s += ' prot opt';
  if (format.verbose) s += ` ${padEnd('in', 6)} ${padEnd('out', 6)} `;
  s += ` ${padEnd('source', 19)} `;
  s += ` ${padEnd('destination', 19)} `;
  return `${s}\n`;
}

function anyname(addr: number, names: Names): string {
  return names.host(addr) ?? NETWORKS.get(addr) ?? formatIpv4Address(addr);
}

function printAddr(
  addr: number,
  mask: number,
  inv: boolean,
  format: ListFormat,
  names: Names,
): string {
  let buf: string;
  if (mask === 0 && !format.numeric) buf = 'anywhere';
  else {
    buf = format.numeric ? formatIpv4Address(addr) : anyname(addr, names);
    buf += maskToNumeric(mask);
  }
  return `${inv ? '!' : ' '}${padEnd(buf, 19)} `;
}

/** One rule as a -L line. */
export function listRule(rule: Rule, num: number, format: ListFormat, names: Names): string {
  const ip = rule.ip;
  let s = '';
  if (format.lineNumbers) s += `${padEnd(String(num), 4)} `;
  if (format.verbose) s += printNum(rule.pkts, format, true) + printNum(rule.bytes, format, true);
  s += `${padEnd(targetName(rule.target), 9)} `;
  s += ip.invProto ? '!' : ' ';
  const pname = protoName(ip.proto);
  s += padEnd(format.numeric || pname === undefined ? String(ip.proto) : pname, 5);
  s += `${ip.invFragment ? '!' : '-'}${ip.fragment ? 'f' : '-'} `;
  if (format.verbose) {
    const iface = (name: string, inv: boolean): string =>
      name === '' ? (format.numeric ? '*' : 'any') : `${inv ? '!' : ''}${name}`;
    s += ` ${padEnd(iface(ip.iniface, ip.invIn), 6)} `;
    s += `${padEnd(iface(ip.outiface, ip.invOut), 6)} `;
  }
  s += printAddr(ip.src, ip.smsk, ip.invSrc, format, names);
  s += printAddr(ip.dst, ip.dmsk, ip.invDst, format, names);
  // print_firewall: "if (fw->ip.flags & IPT_F_GOTO) printf("[goto] ")".
  if (rule.target.kind === 'jump' && rule.target.goto) s += '[goto] ';
  for (const m of rule.matches) if (shown(m)) s += printMatch(m, format.numeric, rule.ip.proto);
  s += printTarget(rule.target, format.numeric);
  return `${s}\n`;
}

/**
 * The line `iptables -v` prints for each rule it adds, deletes or checks
 * (print_rule_details etc. with FMT_NUMERIC | FMT_NOCOUNTS | FMT_NOTABLE |
 * FMT_OPTIONS | FMT_VIA): `ACCEPT  all opt -- in * out *  0.0.0.0/0  -> 0.0.0.0/0  `.
 */
export function verboseRule(rule: Rule): string {
  const ip = rule.ip;
  const addr = (a: number, m: number) =>
    m === 0 ? '0.0.0.0/0' : formatIpv4Address(a) + maskToNumeric(m);
  const iface = (name: string, inv: boolean) => `${inv ? '!' : ''}${name === '' ? '*' : name}`;
  let s = `${targetName(rule.target)} `;
  s += `${ip.invProto ? '!' : ' '}${protoName(ip.proto) ?? ip.proto} `;
  s += `opt ${ip.invFragment ? '!' : '-'}${ip.fragment ? 'f' : '-'} `;
  s += `in ${iface(ip.iniface, ip.invIn)} out ${iface(ip.outiface, ip.invOut)} `;
  s += `${ip.invSrc ? '!' : ' '}${addr(ip.src, ip.smsk)} `;
  s += `${ip.invDst ? '!' : ' '}-> ${addr(ip.dst, ip.dmsk)}`;
  s += '  ';
  for (const m of rule.matches) if (shown(m)) s += printMatch(m, true, ip.proto);
  s += printTarget(rule.target, true);
  return `${s}\n`;
}

function targetName(t: Target): string {
  switch (t.kind) {
    case 'none':
      return '';
    case 'verdict':
      return t.verdict;
    case 'jump':
      return t.chain;
    case 'REJECT':
    case 'LOG':
      return t.kind;
  }
}

function service(port: number, numeric: boolean, proto: number): string {
  if (numeric) return String(port);
  const p = proto === 17 ? 'udp' : 'tcp';
  return portToService(port, p) ?? String(port);
}

/** libxt_tcp/libxt_udp print_ports. */
function printPorts(
  name: string,
  r: readonly [number, number],
  inv: boolean,
  numeric: boolean,
  proto: number,
): string {
  [r, inv] = readBack(r, inv);
  if (r[0] === 0 && r[1] === 0xffff && !inv) return '';
  const i = inv ? '!' : '';
  if (r[0] === r[1]) return ` ${name}:${i}${service(r[0], numeric, proto)}`;
  return ` ${name}s:${i}${service(r[0], numeric, proto)}:${service(r[1], numeric, proto)}`;
}

/** libxt_tcp print_tcpf. */
export function tcpFlagNames(flags: number): string {
  const out: string[] = [];
  let f = flags;
  while (f) {
    const [name, bit] = TCP_FLAG_NAMES.find(([, b]) => (f & b) !== 0)!;
    out.push(name);
    f &= ~bit;
  }
  return out.length === 0 ? 'NONE' : out.join(',');
}

const hexByte = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;

function printIcmp(m: IcmpMatch, numeric: boolean): string {
  let s = ' icmp';
  if (!numeric) {
    const named = ICMP_CODES.find(
      ([, t, lo, hi]) => t === m.type && lo === m.codeMin && hi === m.codeMax,
    );
    if (named !== undefined) return `${s} ${m.invert ? '!' : ''}${named[0]}`;
  }
  if (m.invert) s += ' !';
  s += `type ${m.type}`;
  if (m.codeMin === m.codeMax) s += ` code ${m.codeMin}`;
  else if (m.codeMin !== 0 || m.codeMax !== 0xff) s += ` codes ${m.codeMin}-${m.codeMax}`;
  return s;
}

/** libxt_limit print_rate. */
export function formatRate(period: number): string {
  const rates: [string, number][] = [
    ['day', XT_LIMIT_SCALE * 24 * 60 * 60],
    ['hour', XT_LIMIT_SCALE * 60 * 60],
    ['min', XT_LIMIT_SCALE * 60],
    ['sec', XT_LIMIT_SCALE],
  ];
  if (period === 0) return 'inf';
  let i = 1;
  for (; i < rates.length; i++) {
    const mult = rates[i]![1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = rates[i - 1]!;
  return `${Math.floor(mult / period)}/${name}`;
}

/** libxt_conntrack print_state / libxt_state print_state order. */
export function stateNames(bits: number): string {
  const names: [number, string][] = [
    [CT_INVALID, 'INVALID'],
    [CT_NEW, 'NEW'],
    [CT_RELATED, 'RELATED'],
    [CT_ESTABLISHED, 'ESTABLISHED'],
    [CT_UNTRACKED, 'UNTRACKED'],
    [CT_SNAT, 'SNAT'],
    [CT_DNAT, 'DNAT'],
  ];
  return names
    .filter(([b]) => bits & b)
    .map(([, n]) => n)
    .join(',');
}

function multiportList(m: Match & { kind: 'multiport' }, numeric: boolean, proto: number) {
  const out: string[] = [];
  for (let i = 0; i < m.ports.length; i++) {
    if (m.isRange[i]) {
      out.push(
        `${service(m.ports[i]!, numeric, proto)}:${service(m.ports[i + 1]!, numeric, proto)}`,
      );
      i++;
    } else out.push(service(m.ports[i]!, numeric, proto));
  }
  return out.join(',');
}

/**
 * `--tcp-flags NONE X` (X not NONE) and `! --tcp-flags NONE NONE`: iptables-nft
 * writes an expression (flags & 0 == X) it does not read back as the tcp
 * match, so listings leave the flags out (observed with 1.8.9).
 */
function flagsLost(m: Match & { kind: 'tcp' }): boolean {
  return m.flgMask === 0 && (m.flgCmp !== 0 || m.invFlags);
}

/**
 * A port range as iptables-nft reads it back from the expression it wrote
 * (observed with 1.8.9): `! --dport 0:N` is `--dport N+1:65535`, and
 * `! --dport 0:65535` (never true) is not read back at all (the full range).
 */
function readBack(
  r: readonly [number, number],
  inv: boolean,
): [readonly [number, number], boolean] {
  if (!inv || r[0] !== 0 || r[1] === 0) return [r, inv];
  if (r[1] === 0xffff) return [[0, 0xffff], false];
  return [[r[1] + 1, 0xffff], false];
}

/**
 * Whether a listing shows the match: a tcp or udp match that held nothing
 * but what is not read back (such flags, a never-true port range) is not
 * shown at all (no `-m tcp`), while an empty one is.
 */
function shown(m: Match): boolean {
  if (m.kind !== 'tcp' && m.kind !== 'udp') return true;
  const gone = (r: readonly [number, number], inv: boolean): boolean =>
    inv && r[0] === 0 && r[1] === 0xffff;
  const full = (r: readonly [number, number], inv: boolean): boolean =>
    r[0] === 0 && r[1] === 0xffff && !inv;
  const flags = m.kind === 'tcp' && (m.flgMask !== 0 || m.invFlags);
  const lost =
    (m.kind === 'tcp' && flagsLost(m)) || gone(m.spts, m.invSpt) || gone(m.dpts, m.invDpt);
  const left =
    !(full(m.spts, m.invSpt) || gone(m.spts, m.invSpt)) ||
    !(full(m.dpts, m.invDpt) || gone(m.dpts, m.invDpt)) ||
    (flags && !(m.kind === 'tcp' && flagsLost(m)));
  return !lost || left;
}

/** Each match's -L text (its print function). */
function printMatch(m: Match, numeric: boolean, proto: number): string {
  switch (m.kind) {
    case 'tcp': {
      let s = ' tcp';
      s += printPorts('spt', m.spts, m.invSpt, numeric, 6);
      s += printPorts('dpt', m.dpts, m.invDpt, numeric, 6);
      if ((m.flgMask || m.invFlags) && !flagsLost(m)) {
        s += ` flags:${m.invFlags ? '!' : ''}`;
        s += numeric
          ? `${hexByte(m.flgMask)}/${hexByte(m.flgCmp)}`
          : `${tcpFlagNames(m.flgMask)}/${tcpFlagNames(m.flgCmp)}`;
      }
      return s;
    }
    case 'udp':
      return (
        ' udp' +
        printPorts('spt', m.spts, m.invSpt, numeric, 17) +
        printPorts('dpt', m.dpts, m.invDpt, numeric, 17)
      );
    case 'icmp':
      return printIcmp(m, numeric);
    case 'multiport': {
      const which = m.flags === 'src' ? 'sports' : m.flags === 'dst' ? 'dports' : 'ports';
      return ` multiport ${which} ${m.invert ? ' !' : ''}${multiportList(m, numeric, proto)}`;
    }
    case 'limit':
      return ` limit: avg ${formatRate(m.avg)} burst ${m.burst}`;
    case 'conntrack':
      return `${m.invert ? ' !' : ''} ctstate ${stateNames(m.states)}`;
    case 'state':
      return ` state ${m.invert ? '!' : ''}${stateNames(m.states)}`;
    case 'comment':
      // libxt_comment comment_print.
      return ` /* ${m.comment} */`;
  }
}

/** Each target's -L text. */
function printTarget(t: Target, numeric: boolean): string {
  switch (t.kind) {
    case 'REJECT':
      return ` reject-with ${t.with}`;
    case 'LOG': {
      let s = ' LOG';
      if (numeric) s += ` flags ${t.flags} level ${t.level}`;
      else {
        s += ` level ${LOG_LEVEL_NAMES[t.level] ?? t.level}`;
        if (t.flags & 0x01) s += ' tcp-sequence';
        if (t.flags & 0x02) s += ' tcp-options';
        if (t.flags & 0x04) s += ' ip-options';
        if (t.flags & 0x08) s += ' uid';
        if (t.flags & 0x20) s += ' macdecode';
      }
      if (t.prefix !== '') s += ` prefix "${t.prefix}"`;
      return s;
    }
    default:
      return '';
  }
}

/** xtables_save_string. */
export function saveString(value: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(value)) return ` ${value}`;
  return ` "${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

function savePorts(opt: string, r: readonly [number, number], inv: boolean): string {
  [r, inv] = readBack(r, inv);
  if (r[0] === 0 && r[1] === 0xffff && !inv) return '';
  return `${inv ? ' !' : ''} --${opt} ${r[0] === r[1] ? r[0] : `${r[0]}:${r[1]}`}`;
}

/** Each match's save text, after ` -m NAME`. */
function saveMatch(m: Match): string {
  switch (m.kind) {
    case 'tcp': {
      let s = savePorts('sport', m.spts, m.invSpt) + savePorts('dport', m.dpts, m.invDpt);
      if ((m.flgMask || m.invFlags) && !flagsLost(m)) {
        s += `${m.invFlags ? ' !' : ''} --tcp-flags ${tcpFlagNames(m.flgMask)} ${tcpFlagNames(m.flgCmp)}`;
      }
      return s;
    }
    case 'udp':
      return savePorts('sport', m.spts, m.invSpt) + savePorts('dport', m.dpts, m.invDpt);
    case 'icmp': {
      let s = m.invert ? ' !' : '';
      if (m.type === 0xff) return `${s} --icmp-type any`;
      s += ` --icmp-type ${m.type}`;
      if (m.codeMin !== 0 || m.codeMax !== 0xff) s += `/${m.codeMin}`;
      return s;
    }
    case 'multiport': {
      const which = m.flags === 'src' ? 'sports' : m.flags === 'dst' ? 'dports' : 'ports';
      return `${m.invert ? ' !' : ''} --${which} ${multiportList(m, true, 6)}`;
    }
    case 'limit':
      return ` --limit ${formatRate(m.avg)}${m.burst !== 5 ? ` --limit-burst ${m.burst}` : ''}`;
    case 'conntrack':
      return `${m.invert ? ' !' : ''} --ctstate ${stateNames(m.states)}`;
    case 'state':
      return `${m.invert ? ' !' : ''} --state ${stateNames(m.states)}`;
    case 'comment':
      return ` --comment${saveString(m.comment)}`;
  }
}

function saveTarget(t: Target): string {
  switch (t.kind) {
    case 'none':
      return '';
    case 'verdict':
      return ` -j ${t.verdict}`;
    case 'jump':
      return ` ${t.goto ? '-g' : '-j'} ${t.chain}`;
    case 'REJECT':
      return ` -j REJECT --reject-with ${t.with}`;
    case 'LOG': {
      let s = ' -j LOG';
      if (t.prefix !== '') s += ` --log-prefix${saveString(t.prefix)}`;
      if (t.level !== 4) s += ` --log-level ${t.level}`;
      if (t.flags & 0x01) s += ' --log-tcp-sequence';
      if (t.flags & 0x02) s += ' --log-tcp-options';
      if (t.flags & 0x04) s += ' --log-ip-options';
      if (t.flags & 0x08) s += ' --log-uid';
      if (t.flags & 0x20) s += ' --log-macdecode';
      return s;
    }
  }
}

function saveAddr(letter: string, addr: number, mask: number, inv: boolean): string {
  if (mask === 0 && addr === 0 && !inv) return '';
  const cidr = maskToCidr(mask);
  const m = cidr < 0 ? formatIpv4Address(mask) : String(cidr);
  return `${inv ? ' !' : ''} -${letter} ${formatIpv4Address(addr)}/${m}`;
}

/** A rule's options as -S prints them after `-A CHAIN` (and, with counters, ` -c P B`). */
export function ruleSpec(rule: Rule, counters?: { pkts: bigint; bytes: bigint }): string {
  const ip = rule.ip;
  let s = '';
  s += saveAddr('s', ip.src, ip.smsk, ip.invSrc);
  s += saveAddr('d', ip.dst, ip.dmsk, ip.invDst);
  if (ip.iniface !== '') s += `${ip.invIn ? ' !' : ''} -i ${ip.iniface}`;
  if (ip.outiface !== '') s += `${ip.invOut ? ' !' : ''} -o ${ip.outiface}`;
  if (ip.proto !== 0) s += `${ip.invProto ? ' !' : ''} -p ${protoName(ip.proto) ?? ip.proto}`;
  if (ip.fragment) s += `${ip.invFragment ? ' !' : ''} -f`;
  for (const m of rule.matches) if (shown(m)) s += ` -m ${m.kind}${saveMatch(m)}`;
  if (counters !== undefined) s += ` -c ${counters.pkts} ${counters.bytes}`;
  s += saveTarget(rule.target);
  return s;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3) without its newline, in UTC (the lab's TZ): `Sat Nov 21 05:02:12 2026`. */
export function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}
