/**
 * `ss` (iproute2 6.1, misc/ss.c and misc/ssfilter.y): TCP sockets as
 * inet_diag reports them. Supported: -t -u -x -w (only TCP sockets exist on a
 * tcplab host, so the others list nothing), -a -l -n -r -o -p -i -e -H -O -4
 * -s, state filters (`state established`, `state time-wait`, `exclude
 * listening`, the groups connected/synchronized/bucket/big/all) and the
 * filter expressions `sport`/`dport` with = != < <= > >= (and their word
 * forms), `src`/`dst` with an address, prefix and port, combined with
 * and/or/not and parentheses. Recv-Q and Send-Q of a listener are its accept
 * queue and its backlog (inet_diag_get_info → tcp_diag_get_info).
 */

import { portToService } from '../../capture/netdb.js';
import type { Host } from '../../host/host.js';
import { type InetSock, tcpSockets } from '../../os/inet-sockets.js';
import type { Proc } from '../../os/process.js';
import { NO_MIN_RTT_US } from '../../tcp/connection.js';
import { tcpRcvSpace } from '../../tcp/input.js';
import { tcpChronoStats } from '../../tcp/output.js';
import { tcpDeliveryRate } from '../../tcp/rate.js';
import { TCP_STATE_NUMBERS, type TcpState } from '../../tcp/state.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';
import { seqDiff } from '../../wire/seq.js';
import { getoptLong } from '../getopt.js';
import { formatG } from './format.js';
import {
  COL_ADDR,
  COL_NETID,
  COL_RECVQ,
  COL_SENDQ,
  COL_STATE,
  printMsTimer,
  SsRenderer,
} from './ss-render.js';
import { SS_USAGE } from './usage.js';

// misc/ss.c enum SS_*: the bit numbers of the state filter are Linux's TCP state numbers.
const SS_MAX = 12;
const SS_ALL = (1 << SS_MAX) - 1;
const bit = (s: TcpState): number => 1 << TCP_STATE_NUMBERS[s];
/** SS_CONN: what `ss -t` shows by default. */
const SS_CONN = SS_ALL & ~(bit('LISTEN') | bit('CLOSE') | bit('TIME_WAIT') | bit('SYN_RECV'));

/** sstate_name[]. */
const STATE_NAME: Readonly<Record<TcpState, string>> = {
  ESTABLISHED: 'ESTAB',
  SYN_SENT: 'SYN-SENT',
  SYN_RECV: 'SYN-RECV',
  FIN_WAIT1: 'FIN-WAIT-1',
  FIN_WAIT2: 'FIN-WAIT-2',
  TIME_WAIT: 'TIME-WAIT',
  CLOSE: 'UNCONN',
  CLOSE_WAIT: 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

/** sstate_namel[] of scan_state. */
const STATE_NAMEL: readonly [string, number][] = [
  ['established', 1],
  ['syn-sent', 2],
  ['syn-recv', 3],
  ['fin-wait-1', 4],
  ['fin-wait-2', 5],
  ['time-wait', 6],
  ['unconnected', 7],
  ['close-wait', 8],
  ['last-ack', 9],
  ['listening', 10],
  ['closing', 11],
];

/** misc/ss.c scan_state; undefined for a wrong name. */
function scanState(name: string): number | undefined {
  const s = name.toLowerCase();
  if (s === 'close' || s === 'closed') return 1 << 7;
  if (s === 'syn-rcv') return 1 << 3;
  if (s === 'established') return 1 << 1;
  if (s === 'all') return SS_ALL;
  if (s === 'connected') return SS_ALL & ~((1 << 7) | (1 << 10));
  if (s === 'synchronized') return SS_ALL & ~((1 << 7) | (1 << 10) | (1 << 2));
  if (s === 'bucket') return (1 << 3) | (1 << 6);
  if (s === 'big') return SS_ALL & ~((1 << 3) | (1 << 6));
  if (s === 'unknown') return 1;
  for (const [n, b] of STATE_NAMEL) if (n === s) return 1 << b;
  return undefined;
}

const SS_OPTS = {
  short: 'dhaletuwxnro460spbEf:mMiA:D:F:vVzZN:KHSOT',
  long: [
    { name: 'numeric', hasArg: false, key: 'n' },
    { name: 'resolve', hasArg: false, key: 'r' },
    { name: 'all', hasArg: false, key: 'a' },
    { name: 'listening', hasArg: false, key: 'l' },
    { name: 'options', hasArg: false, key: 'o' },
    { name: 'extended', hasArg: false, key: 'e' },
    { name: 'memory', hasArg: false, key: 'm' },
    { name: 'processes', hasArg: false, key: 'p' },
    { name: 'info', hasArg: false, key: 'i' },
    { name: 'summary', hasArg: false, key: 's' },
    { name: 'tcp', hasArg: false, key: 't' },
    { name: 'udp', hasArg: false, key: 'u' },
    { name: 'raw', hasArg: false, key: 'w' },
    { name: 'unix', hasArg: false, key: 'x' },
    { name: 'ipv4', hasArg: false, key: '4' },
    { name: 'ipv6', hasArg: false, key: '6' },
    { name: 'help', hasArg: false, key: 'h' },
    { name: 'version', hasArg: false, key: 'V' },
    { name: 'no-header', hasArg: false, key: 'H' },
    { name: 'oneline', hasArg: false, key: 'O' },
    { name: 'context', hasArg: false, key: 'Z' },
    { name: 'contexts', hasArg: false, key: 'z' },
    { name: 'family', hasArg: true, key: 'f' },
    { name: 'query', hasArg: true, key: 'A' },
    { name: 'socket', hasArg: true, key: 'A' },
    { name: 'tos', hasArg: false, key: 'tos' },
    { name: 'cgroup', hasArg: false, key: 'cgroup' },
    { name: 'tipcinfo', hasArg: false, key: 'tipcinfo' },
    { name: 'inet-sockopt', hasArg: false, key: 'inet-sockopt' },
    { name: 'kill', hasArg: false, key: 'K' },
    { name: 'events', hasArg: false, key: 'E' },
    { name: 'bpf', hasArg: false, key: 'b' },
    { name: 'threads', hasArg: false, key: 'T' },
    { name: 'mptcp', hasArg: false, key: 'M' },
    { name: 'packet', hasArg: false, key: '0' },
  ],
} as const;

interface SsFlags {
  numeric: boolean;
  /** -r: host names from /etc/hosts (format_host with resolve_hosts). */
  resolve: boolean;
  options: boolean;
  users: boolean;
  info: boolean;
  extended: boolean;
  oneline: boolean;
}

export async function ssCommand(proc: Proc): Promise<number> {
  const parsed = getoptLong(proc.argv.slice(1), SS_OPTS);
  if (!parsed.ok) {
    proc.stderr.write(`ss: ${parsed.error.message}\n${SS_USAGE}`);
    return 255;
  }
  const flags: SsFlags = {
    numeric: false,
    resolve: false,
    options: false,
    users: false,
    info: false,
    extended: false,
    oneline: false,
  };
  let stateFilter = 0;
  let tcpDb = false;
  let otherDb = false;
  let header = true;
  let summary = false;
  let only6 = false;
  let saw4 = false;
  for (const o of parsed.args.options) {
    switch (o.key) {
      case 'h':
        proc.stdout.write(SS_USAGE);
        return 0;
      case 'V':
        proc.stdout.write('ss utility, iproute2-6.1.0\n');
        return 0;
      case 'n':
        flags.numeric = true;
        break;
      case 'r':
        flags.resolve = true;
        break;
      case 'a':
        stateFilter = SS_ALL;
        break;
      case 'l':
        stateFilter = bit('LISTEN') | bit('CLOSE');
        break;
      case 'o':
        flags.options = true;
        break;
      case 'e':
        flags.options = true;
        flags.extended = true;
        break;
      case 'p':
        flags.users = true;
        break;
      case 'i':
        flags.info = true;
        break;
      case 's':
        summary = true;
        break;
      case 't':
        tcpDb = true;
        break;
      case 'u':
      case 'w':
      case 'x':
      case 'd':
      case 'M':
      case 'S':
      case '0':
        otherDb = true;
        break;
      case 'H':
        header = false;
        break;
      case '4':
        saw4 = true;
        break;
      case '6':
        only6 = true;
        break;
      case 'O':
        flags.oneline = true;
        break;
      case 'Z':
      case 'z':
        proc.stderr.write('ss: SELinux is not enabled.\n');
        return 1;
      default:
        break;
    }
  }
  // The filter: `state X` / `exclude X` first, then an expression.
  const words = [...parsed.args.operands];
  let sawStates = false;
  while (words.length > 0 && ['state', 'exclude', 'excl'].includes(words[0]!)) {
    const kw = words.shift()!;
    const name = words.shift();
    if (name === undefined) {
      proc.stderr.write('Command line is not complete. Try option "help"\n');
      return 255;
    }
    const s = scanState(name);
    if (s === undefined) {
      proc.stderr.write(`ss: wrong state name: ${name}\n`);
      return 255;
    }
    if (kw === 'state') {
      if (!sawStates) stateFilter = 0;
      stateFilter |= s;
    } else {
      if (!sawStates) stateFilter = SS_ALL;
      stateFilter &= ~s;
    }
    sawStates = true;
  }
  let expr: Expr | undefined;
  if (words.length > 0) {
    const r = parseFilter(words, proc.host);
    if ('error' in r) {
      proc.stderr.write(r.error);
      if (r.usage) {
        proc.stderr.write(SS_USAGE);
        return 255;
      }
      return 1;
    }
    expr = r.expr;
  }
  const host = proc.host;
  if (summary) {
    proc.stdout.write(ssSummary(host, proc));
    return 0;
  }
  // Which tables: -t alone → TCP; none given → all of them (Netid column).
  const dbCount = tcpDb && !otherDb ? 1 : !tcpDb && otherDb ? 1 : 2;
  const showTcp = tcpDb || !otherDb;
  const states = stateFilter !== 0 ? stateFilter : SS_CONN;
  const r = new SsRenderer();
  if (dbCount === 1) r.disable(COL_NETID);
  if ((states & (states - 1)) === 0) r.disable(COL_STATE);
  if (header) r.header();
  // A tcplab host has no IPv6 sockets: -6 alone lists none.
  const socks = showTcp && !(only6 && !saw4) ? tcpSockets(host, proc.system) : [];
  const ephemeral = host.sysctl.ints('net.ipv4.ip_local_port_range');
  const service = (port: number): string => {
    if (port === 0) return '*';
    if (flags.numeric) return String(port);
    // resolve_service: names only outside the ephemeral range (is_ephemeral).
    if (port >= ephemeral[0]! && port <= ephemeral[1]!) return String(port);
    return portToService(port, 'tcp') ?? String(port);
  };
  for (const s of socks) {
    if ((states & bit(s.state)) === 0) continue;
    if (expr !== undefined && !evalExpr(expr, s)) continue;
    sockLine(r, s, flags, service, host);
  }
  proc.stdout.write(r.render(proc.stdout.isTerminal ? 80 : undefined));
  return 0;
}

/** inet_stats_print and what follows it in inet_show_sock. */
function sockLine(
  r: SsRenderer,
  s: InetSock,
  flags: SsFlags,
  service: (port: number) => string,
  host: Host,
): void {
  r.set(COL_NETID);
  r.out('tcp');
  r.set(COL_STATE);
  r.out(STATE_NAME[s.state]);
  r.set(COL_RECVQ);
  r.out(String(s.rq).padEnd(6));
  r.set(COL_SENDQ);
  r.out(String(s.wq).padEnd(6));
  r.set(COL_ADDR);
  r.out(`${hostText(host, s.localAddr, flags.resolve)}:`);
  r.next();
  r.out(service(s.localPort));
  r.next();
  r.out(`${hostText(host, s.remoteAddr, flags.resolve)}:`);
  r.next();
  r.out(service(s.remotePort));
  r.next();
  if (flags.users && s.users.length > 0) {
    const list = s.users.map((u) => `("${u.comm}",pid=${u.pid},fd=${u.fd})`).join(',');
    r.out(` users:(${list})`);
  }
  if (flags.options && s.timer !== 0) {
    const names = ['off', 'on', 'keepalive', 'timewait', 'persist'];
    r.out(` timer:(${names[s.timer]},${printMsTimer(s.expiresMs)},${s.retrans})`);
  }
  if (flags.extended) {
    r.out(` ino:${s.inode} sk:${(0x1000 + s.inode).toString(16)}`);
    if (s.kind === 'conn' || s.kind === 'listen') r.out(' <->');
  }
  if (flags.info) {
    if (!flags.oneline) r.out('\n\t');
    if (s.kind === 'conn' || s.kind === 'listen') r.out(tcpInfoText(s, flags, host));
  }
}

/** An address, or with -r its name from /etc/hosts (never for 0.0.0.0). */
function hostText(host: Host, addr: Ipv4Address, resolve: boolean): string {
  if (resolve && addr !== 0) {
    for (const [name, a] of host.etcHosts) if (a === addr) return name;
  }
  return formatIpv4Address(addr);
}

/** tcp_show_info → tcp_stats_print, for what the engine keeps. */
function tcpInfoText(s: InetSock, flags: SsFlags, host: Host): string {
  const c = s.conn;
  // icsk_ca_ops->name: what the socket was given when it was made.
  const cong = c?.caOps ?? s.caOps ?? 'cubic';
  let t = '';
  if (c === undefined) {
    // A listener's tcp_info (tcp_get_info on a LISTEN socket): the initial
    // cwnd, and its accept queue as tcpi_unacked (observed: "bbr cwnd:10 unacked:1").
    return ` ${cong} cwnd:10${s.rq > 0 ? ` unacked:${s.rq}` : ''}`;
  }
  const now = host.now;
  if (flags.options) {
    if (c.tstampOk) t += ' ts';
    if (c.sackOk) t += ' sack';
  }
  t += ` ${cong}`;
  if (c.wscaleOk) t += ` wscale:${c.sndWscale},${c.rcvWscale}`;
  const rtoMs = c.rto * 4;
  if (rtoMs !== 0 && rtoMs !== 3000) t += ` rto:${formatG(rtoMs)}`;
  if (c.backoff !== 0) t += ` backoff:${c.backoff}`;
  const rttUs = c.rtt.srtt8Us >> 3;
  if (rttUs !== 0) t += ` rtt:${formatG(rttUs / 1000)}/${formatG((c.rtt.mdev4Us >> 2) / 1000)}`;
  if (c.ato !== 0) t += ` ato:${formatG(c.ato * 4)}`;
  if (c.sndMss) t += ` mss:${c.sndMss}`;
  t += ` pmtu:${c.mtu}`;
  if (c.rcvMss) t += ` rcvmss:${c.rcvMss}`;
  if (c.advMss) t += ` advmss:${c.advMss}`;
  if (c.cwnd) t += ` cwnd:${c.cwnd}`;
  if (c.ssthresh < 0xffff) t += ` ssthresh:${c.ssthresh}`;
  if (c.bytesSent > 0) t += ` bytes_sent:${c.bytesSent}`;
  if (c.bytesRetrans > 0) t += ` bytes_retrans:${c.bytesRetrans}`;
  if (c.bytesAcked > 0) t += ` bytes_acked:${c.bytesAcked}`;
  const received = seqDiff(c.rcvNxt, c.irs) - 1 - (c.finReceived ? 1 : 0);
  if (received > 0 && c.state !== 'SYN_SENT') t += ` bytes_received:${received}`;
  if (c.segsOut > 0) t += ` segs_out:${c.segsOut}`;
  if (c.segsIn > 0) t += ` segs_in:${c.segsIn}`;
  if (c.dataSegsOut > 0) t += ` data_segs_out:${c.dataSegsOut}`;
  if (c.dataSegsIn > 0) t += ` data_segs_in:${c.dataSegsIn}`;
  if (rttUs > 0 && c.sndMss && c.cwnd) {
    t += ` send ${sprintBw((c.cwnd * c.sndMss * 8_000_000) / rttUs, flags.numeric)}bps`;
  }
  const ago = (at: number): number => Math.floor((now - at) / 1_000_000);
  if (ago(c.lsndtime) > 0) t += ` lastsnd:${ago(c.lsndtime)}`;
  if (ago(c.lrcvtime) > 0) t += ` lastrcv:${ago(c.lrcvtime)}`;
  if (ago(c.rcvTstamp) > 0) t += ` lastack:${ago(c.rcvTstamp)}`;
  // tcpi_pacing_rate (sk_pacing_rate; ~0 while unset: not shown) and
  // tcpi_delivery_rate, bytes per second; in bits here.
  if (c.pacingRate > 0) t += ` pacing_rate ${sprintBw(c.pacingRate * 8, flags.numeric)}bps`;
  const deliveryRate = tcpDeliveryRate(c);
  if (deliveryRate > 0) t += ` delivery_rate ${sprintBw(deliveryRate * 8, flags.numeric)}bps`;
  if (c.delivered > 0) t += ` delivered:${c.delivered}`;
  if (c.rateAppLimited) t += ' app_limited';
  // tcpi_busy_time and the limited times (tcp_get_info_chrono_stats), in µs; ms here.
  const [busy, rwnd, sndbuf] = tcpChronoStats(c, now);
  if (busy > 0) {
    t += ` busy:${Math.floor(busy / 1000)}ms`;
    if (rwnd > 0)
      t += ` rwnd_limited:${Math.floor(rwnd / 1000)}ms(${((100 * rwnd) / busy).toFixed(1)}%)`;
    if (sndbuf > 0) {
      t += ` sndbuf_limited:${Math.floor(sndbuf / 1000)}ms(${((100 * sndbuf) / busy).toFixed(1)}%)`;
    }
  }
  if (c.rtxQueue.length > 0) t += ` unacked:${c.rtxQueue.length}`;
  if (c.retransOut || c.totalRetrans) t += ` retrans:${c.retransOut}/${c.totalRetrans}`;
  if (c.lostOut > 0) t += ` lost:${c.lostOut}`;
  if (c.sackedOut > 0) t += ` sacked:${c.sackedOut}`;
  if (c.dsackDups > 0) t += ` dsack_dups:${c.dsackDups}`;
  if (c.reordering !== 3) t += ` reordering:${c.reordering}`;
  if (c.reordSeen > 0) t += ` reord_seen:${c.reordSeen}`;
  // tcpi_rcv_rtt: the receiver's RTT estimate (rcv_rtt_est.rtt_us >> 3), in ms.
  const rcvRttUs = (c.rcvSpace?.rttUs8 ?? 0) >> 3;
  if (rcvRttUs > 0) t += ` rcv_rtt:${formatG(rcvRttUs / 1000)}`;
  const rcvSpace = tcpRcvSpace(c);
  if (rcvSpace > 0) t += ` rcv_space:${rcvSpace}`;
  if (c.rcvSsthresh) t += ` rcv_ssthresh:${c.rcvSsthresh}`;
  const notSent = seqDiff(c.writeSeq, c.sndNxt);
  if (notSent > 0 && c.state !== 'SYN_SENT') t += ` notsent:${notSent}`;
  if (c.minRttUs !== NO_MIN_RTT_US) t += ` minrtt:${formatG(c.minRttUs / 1000)}`;
  if (c.sndWnd) t += ` snd_wnd:${c.sndWnd}`;
  return t;
}

/** misc/ss.c sprint_bw. */
function sprintBw(bw: number, numeric: boolean): string {
  if (numeric) return bw.toFixed(0);
  if (bw >= 1e12) return `${formatG(bw / 1e12, 3)}T`;
  if (bw >= 1e9) return `${formatG(bw / 1e9, 3)}G`;
  if (bw >= 1e6) return `${formatG(bw / 1e6, 3)}M`;
  if (bw >= 1e3) return `${formatG(bw / 1e3, 3)}k`;
  return formatG(bw);
}

/** `ss -s` (print_summary), from what the host has: TCP only, no IPv6. */
function ssSummary(host: Host, proc: Proc): string {
  const socks = tcpSockets(host, proc.system);
  const tw = socks.filter((s) => s.kind === 'timewait').length;
  const estab = socks.filter((s) => s.state === 'ESTABLISHED').length;
  const orphans = socks.filter((s) => s.kind === 'conn' && s.conn?.orphan === true).length;
  const inet = socks.filter((s) => s.kind === 'conn' || s.kind === 'listen').length;
  const row = (name: string, total: number, ip: number): string =>
    `${name}\t  ${String(total).padEnd(9)} ${String(ip).padEnd(9)} ${'0'.padEnd(9)}\n`;
  return (
    `Total: ${inet}\n` +
    `TCP:   ${socks.length} (estab ${estab}, closed 0, orphaned ${orphans}, timewait ${tw})\n\n` +
    'Transport Total     IP        IPv6\n' +
    row('RAW', 0, 0) +
    row('UDP', 0, 0) +
    row('TCP', inet, inet) +
    row('INET', inet, inet) +
    row('FRAG', 0, 0) +
    '\n'
  );
}

// ---- Filter expressions (misc/ssfilter.y) ----

type Cmp = 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt';

type Expr =
  | { readonly kind: 'and' | 'or'; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'not'; readonly a: Expr }
  | { readonly kind: 'port'; readonly which: 's' | 'd'; readonly cmp: Cmp; readonly port: number }
  | {
      readonly kind: 'host';
      readonly which: 's' | 'd';
      readonly negate: boolean;
      readonly addr: Ipv4Address | undefined;
      readonly prefixLength: number;
      readonly port: number;
    };

const CMP_WORDS: Readonly<Record<string, Cmp>> = {
  '=': 'eq',
  '==': 'eq',
  eq: 'eq',
  '!=': 'ne',
  ne: 'ne',
  neq: 'ne',
  '>=': 'ge',
  ge: 'ge',
  '<=': 'le',
  le: 'le',
  '>': 'gt',
  gt: 'gt',
  '<': 'lt',
  lt: 'lt',
};

type ParseResult = { expr: Expr } | { error: string; usage: boolean };

const SYNTAX_ERROR = 'ss: bison bellows (while parsing filter): "syntax error!" Sorry.\n';

function tokenize(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    for (const t of w.split(/(\(|\))/)) if (t !== '') out.push(t);
  }
  return out;
}

/** parse_hostcond for a port (`:80`, `80`, `:http`). */
function parsePort(text: string): number | { error: string } {
  const p = text.startsWith(':') ? text.slice(1) : text;
  if (p === '*' || p === '') return -1;
  if (/^\d+$/.test(p)) return Number(p);
  const named = serviceNumber(p);
  if (named !== undefined) return named;
  return { error: `Error: "${p}" does not look like a port.\n` };
}

function serviceNumber(name: string): number | undefined {
  for (let port = 1; port < 65536; port++) {
    if (portToService(port, 'tcp') === name) return port;
  }
  return undefined;
}

function parseFilter(words: readonly string[], host: Host): ParseResult {
  const toks = tokenize(words);
  let i = 0;
  const fail = (): ParseResult => ({ error: SYNTAX_ERROR, usage: true });
  const badAddr = (msg: string): ParseResult => ({
    error: `${msg}Cannot parse dst/src address.\n`,
    usage: false,
  });
  const primary = (): ParseResult => {
    const t = toks[i];
    if (t === undefined) return fail();
    if (t === '(') {
      i++;
      const e = orExpr();
      if ('error' in e) return e;
      if (toks[i] !== ')') return fail();
      i++;
      return e;
    }
    if (t === '!' || t === 'not') {
      i++;
      const e = primary();
      if ('error' in e) return e;
      return { expr: { kind: 'not', a: e.expr } };
    }
    if (t === 'sport' || t === 'dport') {
      i++;
      let cmp: Cmp = 'eq';
      const op = toks[i];
      if (op !== undefined && CMP_WORDS[op] !== undefined) {
        cmp = CMP_WORDS[op]!;
        i++;
      }
      const arg = toks[i++];
      if (arg === undefined) return fail();
      const port = parsePort(arg);
      if (typeof port !== 'number') return badAddr(port.error);
      return { expr: { kind: 'port', which: t === 'sport' ? 's' : 'd', cmp, port } };
    }
    if (t === 'src' || t === 'dst') {
      i++;
      let negate = false;
      const op = toks[i];
      if (op === '=' || op === '==' || op === 'eq') i++;
      else if (op === '!=' || op === 'ne' || op === 'neq') {
        negate = true;
        i++;
      }
      const arg = toks[i++];
      if (arg === undefined) return fail();
      const h = parseHost(arg, host);
      if ('error' in h) return badAddr(h.error);
      return { expr: { kind: 'host', which: t === 'src' ? 's' : 'd', negate, ...h } };
    }
    return fail();
  };
  const andExpr = (): ParseResult => {
    let left = primary();
    if ('error' in left) return left;
    for (;;) {
      const t = toks[i];
      if (t === 'and' || t === '&&' || t === '&') {
        i++;
      } else if (t === undefined || t === ')' || t === 'or' || t === '||' || t === '|') {
        return left;
      }
      const right = primary();
      if ('error' in right) return right;
      left = { expr: { kind: 'and', a: left.expr, b: right.expr } };
    }
  };
  const orExpr = (): ParseResult => {
    let left = andExpr();
    if ('error' in left) return left;
    while (toks[i] === 'or' || toks[i] === '||' || toks[i] === '|') {
      i++;
      const right = andExpr();
      if ('error' in right) return right;
      left = { expr: { kind: 'or', a: left.expr, b: right.expr } };
    }
    return left;
  };
  const e = orExpr();
  if ('error' in e) return e;
  if (i !== toks.length) return fail();
  return e;
}

/** parse_hostcond for `src`/`dst`: ADDR[/PREFIX][:PORT], `*`, `:PORT`, a name from /etc/hosts. */
function parseHost(
  text: string,
  host: Host,
): { addr: Ipv4Address | undefined; prefixLength: number; port: number } | { error: string } {
  let addrText = text;
  let port = -1;
  const colon = text.lastIndexOf(':');
  if (colon >= 0) {
    addrText = text.slice(0, colon);
    const p = parsePort(text.slice(colon + 1));
    if (typeof p !== 'number') return p;
    port = p;
  }
  if (addrText === '' || addrText === '*') return { addr: undefined, prefixLength: 0, port };
  const slash = addrText.indexOf('/');
  const base = slash < 0 ? addrText : addrText.slice(0, slash);
  const len = slash < 0 ? 32 : Number(addrText.slice(slash + 1));
  const a = host.resolve(base);
  if (a === undefined || !Number.isInteger(len) || len < 0 || len > 32) {
    return { error: `Error: an inet prefix is expected rather than "${addrText}".\n` };
  }
  return { addr: a, prefixLength: len, port };
}

function cmpPort(v: number, cmp: Cmp, port: number): boolean {
  switch (cmp) {
    case 'eq':
      return v === port;
    case 'ne':
      return v !== port;
    case 'ge':
      return v >= port;
    case 'le':
      return v <= port;
    case 'gt':
      return v > port;
    case 'lt':
      return v < port;
  }
}

/** run_ssfilter. */
function evalExpr(e: Expr, s: InetSock): boolean {
  switch (e.kind) {
    case 'and':
      return evalExpr(e.a, s) && evalExpr(e.b, s);
    case 'or':
      return evalExpr(e.a, s) || evalExpr(e.b, s);
    case 'not':
      return !evalExpr(e.a, s);
    case 'port': {
      const v = e.which === 's' ? s.localPort : s.remotePort;
      if (e.port === -1) return true;
      return cmpPort(v, e.cmp, e.port);
    }
    case 'host': {
      const addr = e.which === 's' ? s.localAddr : s.remoteAddr;
      const port = e.which === 's' ? s.localPort : s.remotePort;
      let ok = e.port === -1 || e.port === port;
      if (ok && e.addr !== undefined) {
        const mask = e.prefixLength === 0 ? 0 : (0xffff_ffff << (32 - e.prefixLength)) >>> 0;
        ok = (addr & mask) >>> 0 === (e.addr & mask) >>> 0;
      }
      return e.negate ? !ok : ok;
    }
  }
}
