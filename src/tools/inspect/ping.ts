/**
 * `ping` (iputils 20221126, ping/ping.c and ping/ping_common.c) over a ping
 * socket (src/host/ping.ts): `ping [-c N] [-i S] [-W S] [-w S] [-q] [-n]
 * [-s SIZE] [-t TTL] HOST`, until -c, -w or SIGINT.
 *
 * As iputils does it: the first request at once, one per interval after; a
 * reply printed as `64 bytes from 192.168.0.22: icmp_seq=1 ttl=64 time=0.043
 * ms` (time with 3, 2, 1 or 0 decimals as it grows, ping_common.c
 * gather_statistics); an ICMP error about a request as `From 192.168.0.21
 * icmp_seq=1 Destination Host Unreachable` (counted in `+N errors`); once the
 * last request is sent, ping waits for the outstanding answers up to twice
 * the longest RTT (at least one interval) when it had replies, else
 * `lingertime` (-W, 10 s by default) — `__schedule_exit` — and stops at once
 * when every request was answered or failed. Statistics (finish()): the
 * transmitted, received, errors and loss (`%g%%`), the time from the first to
 * the last request, rtt min/avg/max/mdev in µs arithmetic, `pipe N` when
 * more than one request was outstanding at once. Exit status 0 with a reply,
 * 1 without, 2 on a usage or network error (`ping: connect: Network is
 * unreachable`, when no route leads to the host).
 */

import type { Host } from '../../host/host.js';
import { type PingEvent, PingSocket } from '../../host/ping.js';
import { type SocketErrorCode, strerror } from '../../host/socket-errors.js';
import type { Proc } from '../../os/process.js';
import { NS_PER_MS, NS_PER_S, NS_PER_US } from '../../sim/time.js';
import { formatIpv4Address, type Ipv4Address, parseIpv4Address } from '../../wire/address.js';
import { getoptLong } from '../getopt.js';
import { strtodWhole } from '../strtod.js';
import { formatG } from './format.js';
import { PING_USAGE } from './usage.js';

/** ping_common.c: MAXWAIT, the default lingertime (seconds). */
const MAXWAIT_S = 10;

/** iputils pr_icmph: the text of a destination unreachable code. */
const UNREACH_TEXT: readonly string[] = [
  'Destination Net Unreachable',
  'Destination Host Unreachable',
  'Destination Protocol Unreachable',
  'Destination Port Unreachable',
  'Frag needed and DF set',
  'Source Route Failed',
  'Destination Net Unknown',
  'Destination Host Unknown',
  'Source Host Isolated',
  'Destination Net Prohibited',
  'Destination Host Prohibited',
  'Destination Net Unreachable for Type of Service',
  'Destination Host Unreachable for Type of Service',
  'Packet filtered',
  'Precedence Violation',
  'Precedence Cutoff',
];

function icmpText(type: number, code: number, info: number): string {
  if (type === 3) {
    if (code === 4) return `Frag needed and DF set (mtu = ${info})`;
    return UNREACH_TEXT[code] ?? `Dest Unreachable, Bad Code: ${code}`;
  }
  if (type === 11) {
    return code === 0
      ? 'Time to live exceeded'
      : code === 1
        ? 'Frag reassembly time exceeded'
        : `Time exceeded, Bad Code: ${code}`;
  }
  if (type === 12) return `Parameter problem: pointer = ${info}`;
  if (type === 4) return 'Source Quench';
  if (type === 5) return 'Redirect';
  return `Bad ICMP type: ${type}`;
}

/** A reply's time as gather_statistics prints it, from µs. */
function formatTrip(us: number): string {
  if (us >= 100_000 - 50) return `${Math.floor((us + 500) / 1000)}`;
  if (us >= 10_000 - 5) {
    const t = us + 50;
    return `${Math.floor(t / 1000)}.${Math.floor((t % 1000) / 100)}`;
  }
  if (us >= 1000) {
    const t = us + 5;
    return `${Math.floor(t / 1000)}.${String(Math.floor((t % 1000) / 10)).padStart(2, '0')}`;
  }
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** `%ld.%03ld` of µs. */
function ms3(us: number): string {
  return `${Math.floor(us / 1000)}.${String(Math.floor(us % 1000)).padStart(3, '0')}`;
}

const OPTS = {
  short: 'aABbC:c:dDfhHi:I:l:Lm:M:nNOp:qQ:rRs:S:t:T:UvVw:W:46e:F:',
  long: [] as { name: string; hasArg: boolean; key: string }[],
} as const;

function badArg(proc: Proc, text: string, max: string): number {
  proc.stderr.write(`ping: invalid argument: '${text}': out of range: ${max}\n`);
  return 1;
}

/**
 * A number of seconds as iputils' ping_strtod takes it (strtod over the whole
 * argument); undefined for garbage or a value it refuses (ERANGE, nan, inf).
 */
function seconds(text: string): number | undefined {
  const v = strtodWhole(text);
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}

/** iputils' bound for -i and -W: INT_MAX / 1000 seconds (their milliseconds fit an int). */
const MAX_OPTION_SECONDS = 2147483;

export async function pingCommand(proc: Proc): Promise<number> {
  const parsed = getoptLong(proc.argv.slice(1), OPTS);
  if (!parsed.ok) {
    proc.stderr.write(`ping: ${parsed.error.message}\n${PING_USAGE}`);
    return 2;
  }
  let count = 0;
  let intervalMs = 1000;
  let lingerMs = MAXWAIT_S * 1000;
  let deadlineS = 0;
  let quiet = false;
  let numeric = false;
  let dataLen = 56;
  let ttl: number | undefined;
  let broadcast = false;
  for (const o of parsed.args.options) {
    const v = o.value ?? '';
    switch (o.key) {
      case 'c': {
        if (!/^-?\d+$/.test(v) || Number(v) < 1) {
          return badArg(proc, v, '1 <= value <= 9223372036854775807');
        }
        count = Number(v);
        break;
      }
      case 'i': {
        const sec = seconds(v);
        if (sec === undefined) {
          proc.stderr.write(`ping: option argument contains garbage: ${v}\n`);
          return 1;
        }
        if (sec > MAX_OPTION_SECONDS) {
          proc.stderr.write(`ping: bad timing interval: ${v}\n`);
          return 2;
        }
        // DEVIATION: -i 0 (root's flood rate), or less, is taken as 2 ms, iputils'
        // MINUSERINTERVAL, so that an endless ping still lets virtual time move.
        intervalMs = Math.max(2, Math.floor(sec * 1000));
        break;
      }
      case 'W': {
        const sec = seconds(v);
        if (sec === undefined) {
          proc.stderr.write(`ping: option argument contains garbage: ${v}\n`);
          return 1;
        }
        if (sec < 0 || sec > MAX_OPTION_SECONDS) {
          proc.stderr.write(`ping: bad linger time: ${v}\n`);
          return 2;
        }
        lingerMs = Math.floor(sec * 1000);
        break;
      }
      case 'w': {
        if (!/^\d+$/.test(v)) return badArg(proc, v, '0 <= value <= 2147483647');
        deadlineS = Number(v);
        break;
      }
      case 'q':
        quiet = true;
        break;
      case 'b':
        broadcast = true;
        break;
      case 'n':
        numeric = true;
        break;
      case 's': {
        if (!/^\d+$/.test(v) || Number(v) > 65507) return badArg(proc, v, '0 <= value <= 65507');
        dataLen = Number(v);
        break;
      }
      case 't': {
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 255) {
          return badArg(proc, v, '1 <= value <= 255');
        }
        ttl = Number(v);
        break;
      }
      case 'h':
        proc.stderr.write(PING_USAGE);
        return 2;
      case 'V':
        proc.stdout.write('ping from iputils 20221126\n');
        return 0;
      default:
        break;
    }
  }
  const target = parsed.args.operands[parsed.args.operands.length - 1];
  if (target === undefined) {
    proc.stderr.write('ping: usage error: Destination address required\n');
    return 1;
  }
  const host = proc.host;
  const dst = host.resolve(target);
  if (dst === undefined) {
    proc.stderr.write(`ping: ${target}: Name or service not known\n`);
    return 2;
  }
  const isNumeric = parseIpv4Address(target).ok;
  // ping4_run: connect() a UDP probe socket to learn the source; no route fails here.
  const route = host.route(dst);
  if (!route.ok) {
    proc.stderr.write(`ping: connect: ${strerror(route.errno as SocketErrorCode)}\n`);
    return 2;
  }
  // ping4_run: a broadcast destination needs -b.
  if (route.type === 'broadcast' && !broadcast) {
    proc.stderr.write(
      'ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n',
    );
    return 2;
  }
  const dstText = formatIpv4Address(dst);
  proc.stdout.write(`PING ${target} (${dstText}) ${dataLen}(${dataLen + 28}) bytes of data.\n`);
  return runPing(proc, {
    host,
    dst,
    name: isNumeric || numeric ? undefined : target,
    count,
    intervalMs,
    lingerMs,
    deadlineS,
    quiet,
    numeric: numeric || isNumeric,
    dataLen,
    ttl,
    dstText,
  });
}

interface PingRun {
  readonly host: Host;
  readonly dst: Ipv4Address;
  readonly name: string | undefined;
  readonly count: number;
  readonly intervalMs: number;
  readonly lingerMs: number;
  readonly deadlineS: number;
  readonly quiet: boolean;
  readonly numeric: boolean;
  readonly dataLen: number;
  readonly ttl: number | undefined;
  readonly dstText: string;
}

async function runPing(proc: Proc, o: PingRun): Promise<number> {
  const sock = new PingSocket(o.host);
  let exiting = false;
  let wakeSignal: () => void = () => {};
  const signalled = new Promise<void>((resolve) => {
    wakeSignal = resolve;
  });
  const onSignal = (): void => {
    exiting = true;
    wakeSignal();
  };
  proc.trap('SIGINT', onSignal);
  proc.trap('SIGALRM', onSignal);
  const start = proc.now;
  let ntransmitted = 0;
  let nreceived = 0;
  let nrepeats = 0;
  let nerrors = 0;
  let tmin = Number.POSITIVE_INFINITY;
  let tmax = 0;
  let tsum = 0;
  let tsum2 = 0;
  let pipesize = 0;
  let lastSend = start;
  let nextSend = start;
  let exitAt: number | undefined;
  const deadlineAt = o.deadlineS > 0 ? start + o.deadlineS * NS_PER_S : undefined;
  const sent = new Map<number, number>();
  const received = new Set<number>();
  const interval = o.intervalMs * NS_PER_MS;
  let pending = sock.recv();

  /** acknowledge(): the largest number of requests outstanding at once. */
  const acknowledge = (seq: number): void => {
    const diff = (ntransmitted - seq) & 0xffff;
    if (diff <= 0x7fff && diff + 1 > pipesize) pipesize = diff + 1;
  };
  const who = (addr: Ipv4Address): string => {
    const text = formatIpv4Address(addr);
    if (o.numeric) return text;
    for (const [n, a] of o.host.etcHosts)
      if (a === addr && n !== 'localhost') return `${n} (${text})`;
    return text;
  };
  const handle = (e: PingEvent): void => {
    if (e.kind === 'error') {
      nerrors++;
      acknowledge(e.sequence);
      if (!o.quiet) {
        proc.stdout.write(
          `From ${who(e.from)} icmp_seq=${e.sequence} ${icmpText(e.type, e.code, e.info)}\n`,
        );
      }
      return;
    }
    const at = sent.get(e.sequence);
    if (at === undefined) return;
    const tripUs = Math.floor((e.time - at) / NS_PER_US);
    acknowledge(e.sequence);
    const dup = received.has(e.sequence);
    if (dup) nrepeats++;
    else {
      received.add(e.sequence);
      nreceived++;
    }
    tsum += tripUs;
    tsum2 += tripUs * tripUs;
    if (tripUs < tmin) tmin = tripUs;
    if (tripUs > tmax) tmax = tripUs;
    if (!o.quiet) {
      proc.stdout.write(
        `${e.bytes} bytes from ${who(e.from)}: icmp_seq=${e.sequence} ttl=${e.ttl} ` +
          `time=${formatTrip(tripUs)} ms${dup ? ' (DUP!)' : ''}\n`,
      );
    }
  };

  try {
    for (;;) {
      if (exiting) break;
      if (o.count > 0 && nreceived + nerrors >= o.count) break;
      if (deadlineAt !== undefined && nerrors > 0) break;
      const now = proc.now;
      if (deadlineAt !== undefined && now >= deadlineAt) break;
      if (exitAt !== undefined && now >= exitAt) break;
      const more = o.count === 0 || ntransmitted < o.count;
      if (more && now >= nextSend) {
        const seq = (ntransmitted + 1) & 0xffff;
        sock.send(o.dst, seq, payload(proc, o.dataLen), o.ttl !== undefined ? { ttl: o.ttl } : {});
        sent.set(seq, now);
        ntransmitted++;
        lastSend = now;
        nextSend = now + interval;
        if (o.count > 0 && ntransmitted >= o.count && deadlineAt === undefined) {
          // __schedule_exit.
          const waitUs =
            nreceived > 0 ? Math.max(2 * tmax, o.intervalMs * 1000) : o.lingerMs * 1000;
          exitAt = now + waitUs * NS_PER_US;
        }
        continue;
      }
      let wake = Number.POSITIVE_INFINITY;
      if (more) wake = Math.min(wake, nextSend);
      if (exitAt !== undefined) wake = Math.min(wake, exitAt);
      if (deadlineAt !== undefined) wake = Math.min(wake, deadlineAt);
      const waits: Promise<unknown>[] = [proc.wait(pending), signalled];
      if (Number.isFinite(wake)) waits.push(proc.sleep(Math.max(0, wake - now)));
      await Promise.race(waits);
      if (pending.done) {
        const e = pending.result;
        if (e !== undefined && !(e instanceof Error) && 'kind' in e) handle(e);
        pending = sock.recv();
      }
    }
  } finally {
    sock.close();
  }
  // finish().
  const elapsed = lastSend - start;
  let text = '\n';
  text += `--- ${o.name ?? o.dstText} ping statistics ---\n`;
  text += `${ntransmitted} packets transmitted, ${nreceived} received`;
  if (nrepeats) text += `, +${nrepeats} duplicates`;
  if (nerrors) text += `, +${nerrors} errors`;
  if (ntransmitted) {
    const loss = ((ntransmitted - nreceived) * 100) / ntransmitted;
    text += `, ${formatG(loss)}% packet loss`;
    text += `, time ${Math.floor((elapsed + 500_000) / NS_PER_MS)}ms`;
  }
  text += '\n';
  let comma = '';
  if (nreceived > 0) {
    const total = nreceived + nrepeats;
    const tmavg = Math.floor(tsum / total);
    const tmvar = Math.floor((tsum2 - Math.floor((tsum * tsum) / total)) / total);
    const tmdev = Math.floor(Math.sqrt(Math.max(0, tmvar)));
    text += `rtt min/avg/max/mdev = ${ms3(tmin)}/${ms3(tmavg)}/${ms3(tmax)}/${ms3(tmdev)} ms`;
    comma = ', ';
  }
  if (pipesize > 1) text += `${comma}pipe ${pipesize}`;
  text += '\n';
  proc.stdout.write(text);
  if (nreceived === 0) return 1;
  if (deadlineAt !== undefined && o.count > 0 && nreceived < o.count) return 1;
  return 0;
}

/** The request's data: a struct timeval of the sending time, then bytes 0x10, 0x11, … (pattern fill). */
function payload(proc: Proc, len: number): Uint8Array {
  const data = new Uint8Array(len);
  for (let i = 0; i < len; i++) data[i] = i & 0xff;
  if (len >= 16) {
    const w = proc.wallClock();
    const dv = new DataView(data.buffer);
    dv.setBigUint64(0, BigInt(w.seconds), true);
    dv.setBigUint64(8, BigInt(Math.floor(w.nanoseconds / 1000)), true);
  }
  return data;
}
