/**
 * `nc` as netcat-openbsd 1.219 (Debian 12) behaves over TCP: connect to a
 * host and port (or scan ports with -z), or listen (-l, -k), then copy
 * standard input to the connection and the connection to standard output.
 *
 * Followed: OpenBSD netcat.c (main, remote_connect, timeout_connect,
 * local_listen, readwrite, build_ports, report_sock) with Debian's patches,
 * checked against the real program (test/tools/apps/fixtures/real/nc-*,
 * recorded by record.sh there, and linux-traces/*\/nc):
 * - connect() is non-blocking with poll() (so one ICMP port unreachable
 *   refuses it, linux-traces/reject-icmp/nc); with -w the poll times out and
 *   -v says `connect to H port P (tcp) timed out: Operation now in progress`;
 * - messages about connections are printed only with -v, on stderr;
 * - at end of standard input nc shuts down its write side only with -N or
 *   -q SECS (Debian: "a non-negative seconds implies -N"), and it exits once
 *   both standard input and the connection have reached end of file; with
 *   -q SECS > 0 it waits SECS more first (measured: `sleep 0.3 | nc -q 1`
 *   against a server closing at 6 s exits at 7 s). It does not exit at the
 *   peer's FIN while its input is open (linux-traces/server-close-first/nc);
 * - port operands: a service name, else strtonum(1, 65535) with
 *   `port number invalid|too small|too large: X`; ranges lo-hi, swapped when
 *   reversed; with -z the exit status is 0 when any port answered.
 * Options accepted but without effect here: -4 -6 -b -D -F -I -i -M -m -O -P
 * -r -S -T -t -V -W -X -x -Z (-U and -u, which need other socket families,
 * are refused, see DEVIATIONS in docs/tools-apps.md).
 */

import type { SysResult } from '../../host/socket.js';
import type { Command, Proc } from '../../os/process.js';
import { NS_PER_S } from '../../sim/time.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';
import { getoptLong } from '../getopt.js';
import {
  errnoText,
  hold,
  isError,
  portToService,
  resolveHost,
  reverseName,
  serviceToPort,
  type Tagged,
  tag,
} from './common.js';

const OPTSTRING = '46bCDdFhI:i:klM:m:NnO:P:p:q:rSs:T:tUuV:vW:w:X:x:Zz';

const USAGE =
  'usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n' +
  '\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n' +
  '\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n' +
  '\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n' +
  '\t  [destination] [port]\n';

/** netcat.c help(), as `nc -h` prints it (fixtures/real/nc-h.stderr). */
const HELP =
  'OpenBSD netcat (Debian patchlevel 1.219-1)\n' +
  USAGE +
  '\tCommand Summary:\n' +
  '\t\t-4\t\tUse IPv4\n' +
  '\t\t-6\t\tUse IPv6\n' +
  '\t\t-b\t\tAllow broadcast\n' +
  '\t\t-C\t\tSend CRLF as line-ending\n' +
  '\t\t-D\t\tEnable the debug socket option\n' +
  '\t\t-d\t\tDetach from stdin\n' +
  '\t\t-F\t\tPass socket fd\n' +
  '\t\t-h\t\tThis help text\n' +
  '\t\t-I length\tTCP receive buffer length\n' +
  '\t\t-i interval\tDelay interval for lines sent, ports scanned\n' +
  '\t\t-k\t\tKeep inbound sockets open for multiple connects\n' +
  '\t\t-l\t\tListen mode, for inbound connects\n' +
  '\t\t-M ttl\t\tOutgoing TTL / Hop Limit\n' +
  '\t\t-m minttl\tMinimum incoming TTL / Hop Limit\n' +
  '\t\t-N\t\tShutdown the network socket after EOF on stdin\n' +
  '\t\t-n\t\tSuppress name/port resolutions\n' +
  '\t\t-O length\tTCP send buffer length\n' +
  '\t\t-P proxyuser\tUsername for proxy authentication\n' +
  '\t\t-p port\t\tSpecify local port for remote connects\n' +
  '\t\t-q secs\t\tquit after EOF on stdin and delay of secs\n' +
  '\t\t-r\t\tRandomize remote ports\n' +
  '\t\t-S\t\tEnable the TCP MD5 signature option\n' +
  '\t\t-s sourceaddr\tLocal source address\n' +
  '\t\t-T keyword\tTOS value\n' +
  '\t\t-t\t\tAnswer TELNET negotiation\n' +
  '\t\t-U\t\tUse UNIX domain socket\n' +
  '\t\t-u\t\tUDP mode\n' +
  '\t\t-V rtable\tSpecify alternate routing table\n' +
  '\t\t-v\t\tVerbose\n' +
  '\t\t-W recvlimit\tTerminate after receiving a number of packets\n' +
  '\t\t-w timeout\tTimeout for connects and final net reads\n' +
  '\t\t-X proto\tProxy protocol: "4", "5" (SOCKS) or "connect"\n' +
  '\t\t-x addr[:port]\tSpecify proxy address and port\n' +
  '\t\t-Z\t\tDCCP mode\n' +
  '\t\t-z\t\tZero-I/O mode [used for scanning]\n' +
  '\tPort numbers can be individual or ranges: lo-hi [inclusive]\n';

const INT_MAX = 2 ** 31 - 1;

interface NcOptions {
  listen: boolean;
  keep: boolean;
  verbose: boolean;
  numeric: boolean;
  zero: boolean;
  /** -N, or implied by -q. */
  shutdownOnEof: boolean;
  /** -q: seconds, negative for "never". */
  quit: number;
  /** -w: seconds, or undefined. */
  timeout: number | undefined;
  detach: boolean;
  crlf: boolean;
  sourcePort: string | undefined;
  sourceAddr: string | undefined;
}

class NcExit {
  readonly status: number;
  constructor(status: number) {
    this.status = status;
  }
}

/** errx(1, …): the message on stderr, exit status 1. */
function errx(proc: Proc, message: string): NcExit {
  proc.stderr.write(`nc: ${message}\n`);
  return new NcExit(1);
}

/** strtonum(3): the value, or its error string (`invalid`, `too small`, `too large`). */
function strtonum(text: string, min: number, max: number): number | string {
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(text)) return 'invalid';
  const v = Number(text.trim());
  if (v < min) return 'too small';
  if (v > max) return 'too large';
  return v;
}

export const nc: Command = async (proc) => {
  try {
    return await run(proc);
  } catch (e) {
    if (e instanceof NcExit) return e.status;
    throw e;
  }
};

async function run(proc: Proc): Promise<number> {
  const parsed = getoptLong(proc.argv.slice(1), { short: OPTSTRING, long: [] });
  if (!parsed.ok) {
    proc.stderr.write(`nc: ${parsed.error.message}\n${USAGE}`);
    return 1;
  }
  const o: NcOptions = {
    listen: false,
    keep: false,
    verbose: false,
    numeric: false,
    zero: false,
    shutdownOnEof: false,
    quit: -1,
    timeout: undefined,
    detach: false,
    crlf: false,
    sourcePort: undefined,
    sourceAddr: undefined,
  };
  for (const { key, value = '' } of parsed.args.options) {
    switch (key) {
      case 'h':
        proc.stderr.write(HELP);
        return 0;
      case 'l':
        o.listen = true;
        break;
      case 'k':
        o.keep = true;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'n':
        o.numeric = true;
        break;
      case 'z':
        o.zero = true;
        break;
      case 'N':
        o.shutdownOnEof = true;
        break;
      case 'd':
        o.detach = true;
        break;
      case 'C':
        o.crlf = true;
        break;
      case 'p':
        o.sourcePort = value;
        break;
      case 's':
        o.sourceAddr = value;
        break;
      case 'q': {
        const q = strtonum(value, -INT_MAX - 1, INT_MAX);
        if (typeof q === 'string') throw errx(proc, `quit timer ${q}: ${value}`);
        o.quit = q;
        if (q >= 0) o.shutdownOnEof = true;
        break;
      }
      case 'w': {
        const w = strtonum(value, 0, Math.floor(INT_MAX / 1000));
        if (typeof w === 'string') throw errx(proc, `timeout ${w}: ${value}`);
        o.timeout = w;
        break;
      }
      case 'u':
      case 'U':
        throw errx(proc, 'Protocol not supported');
      default:
        break;
    }
  }
  const operands = parsed.args.operands;
  if (o.listen && o.zero) throw errx(proc, 'cannot use -z and -l');
  if (o.listen && o.keep === false && operands.length === 0 && o.sourcePort === undefined) {
    proc.stderr.write(USAGE);
    return 1;
  }
  if (o.listen) return listenMode(proc, o, operands);
  if (operands.length === 0) {
    proc.stderr.write(USAGE);
    return 1;
  }
  if (operands.length === 1) throw errx(proc, 'missing port number');
  if (operands.length > 2) {
    proc.stderr.write(USAGE);
    return 1;
  }
  return connectMode(proc, o, operands[0]!, operands[1]!);
}

/** build_ports(): a service name, a port or a range lo-hi (swapped when reversed). */
function buildPorts(proc: Proc, text: string): number[] {
  const service = /^[0-9]/.test(text) ? undefined : serviceToPort(text, 'tcp');
  if (service !== undefined) return [service];
  const dash = text.indexOf('-', 1);
  const one = (t: string): number => {
    const n = strtonum(t, 1, 65535);
    if (typeof n === 'string') throw errx(proc, `port number ${n}: ${t}`);
    return n;
  };
  if (dash < 0) return [one(text)];
  let hi = one(text.slice(dash + 1));
  let lo = one(text.slice(0, dash));
  if (lo > hi) [lo, hi] = [hi, lo];
  const ports: number[] = [];
  for (let p = lo; p <= hi; p++) ports.push(p);
  return ports;
}

function resolveOrDie(proc: Proc, name: string, port: string): Ipv4Address {
  const addr = resolveHost(proc.host, name);
  if (addr === undefined) {
    throw errx(proc, `getaddrinfo for host "${name}" port ${port}: Name or service not known`);
  }
  return addr;
}

/** The local port of -p (getaddrinfo(NULL, port)). */
function sourcePort(proc: Proc, o: NcOptions): number {
  if (o.sourcePort === undefined) return 0;
  const p = serviceToPort(o.sourcePort, 'tcp');
  if (p === undefined) throw errx(proc, 'getaddrinfo: Servname not supported for ai_socktype');
  return p;
}

async function connectMode(proc: Proc, o: NcOptions, host: string, portText: string) {
  const so = proc.sockets;
  const ports = buildPorts(proc, portText);
  const lport = sourcePort(proc, o);
  let status = 1;
  for (const port of ports) {
    const addr = resolveOrDie(proc, host, String(port));
    const ip = formatIpv4Address(addr);
    // "only print IP if there is something to report" (remote_connect).
    const who = o.numeric || host === ip ? host : `${host} (${ip})`;
    const fd = so.socket({ nonBlocking: true });
    if (lport !== 0 || o.sourceAddr !== undefined) {
      so.setsockopt(fd, 'SO_REUSEADDR', true);
      const src = o.sourceAddr === undefined ? 0 : resolveOrDie(proc, o.sourceAddr, '0');
      const b = so.bind(fd, src, lport);
      if (isError(b)) throw errx(proc, `bind failed: ${b.description}`);
    }
    const failure = await timeoutConnect(proc, fd, addr, port, o.timeout);
    if (failure !== undefined) {
      so.close(fd);
      if (o.verbose) {
        proc.stderr.write(
          failure === 'timeout'
            ? `nc: connect to ${who} port ${port} (tcp) timed out: Operation now in progress\n`
            : `nc: connect to ${who} port ${port} (tcp) failed: ${failure}\n`,
        );
      }
      continue;
    }
    status = 0;
    so.setNonBlocking(fd, false);
    if (o.verbose) {
      const sv = o.numeric ? undefined : portToService(port, 'tcp');
      proc.stderr.write(`Connection to ${who} ${port} port [tcp/${sv ?? '*'}] succeeded!\n`);
    }
    if (o.zero) {
      so.close(fd);
      continue;
    }
    await readwrite(proc, o, fd);
    so.close(fd);
    break;
  }
  return status;
}

/**
 * timeout_connect(): a non-blocking connect, then poll() for POLLOUT with the
 * -w timeout (none: wait for ever), and SO_ERROR. Undefined on success, else
 * strerror(3) of the failure or 'timeout'.
 */
async function timeoutConnect(
  proc: Proc,
  fd: number,
  addr: Ipv4Address,
  port: number,
  timeout: number | undefined,
): Promise<string | 'timeout' | undefined> {
  const so = proc.sockets;
  const r = so.connect(fd, addr, port);
  if (r === 0) return undefined;
  if (isError(r) && r.code !== 'EINPROGRESS') return r.description;
  const ms = timeout === undefined || timeout === 0 ? -1 : timeout * 1000;
  const ready = await proc.wait(so.poll([{ fd, events: 0x004 /* POLLOUT */ }], ms));
  if (isError(ready)) return ready.description;
  if (ready.length === 0) return 'timeout';
  // "getsockopt(s, SOL_SOCKET, SO_ERROR, &optval, &optlen); if (optval != 0) errno = optval".
  const err = so.getsockopt(fd, 'SO_ERROR');
  if (typeof err === 'number' && err !== 0) return errnoText(err);
  return undefined;
}

async function listenMode(proc: Proc, o: NcOptions, operands: readonly string[]) {
  const so = proc.sockets;
  let hostText: string | undefined;
  let portText: string | undefined = o.sourcePort;
  if (operands.length === 1) portText = operands[0];
  else if (operands.length >= 2) {
    hostText = operands[0];
    portText = operands[1];
  }
  if (portText === undefined) {
    proc.stderr.write(USAGE);
    return 1;
  }
  const port = buildPorts(proc, portText)[0]!;
  const addr = hostText === undefined ? 0 : resolveOrDie(proc, hostText, portText);
  const lfd = so.socket();
  so.setsockopt(lfd, 'SO_REUSEADDR', true);
  const b = so.bind(lfd, addr, port);
  if (isError(b)) throw errx(proc, b.description);
  // local_listen(): "listen(s, 1)".
  so.listen(lfd, 1);
  const name = (a: Ipv4Address): string =>
    o.numeric ? formatIpv4Address(a) : reverseName(proc.host, a);
  if (o.verbose) proc.stderr.write(`Listening on ${name(addr)} ${port}\n`);
  for (;;) {
    const c = await proc.wait(so.accept(lfd));
    if (isError(c)) throw errx(proc, c.description);
    if (o.verbose) proc.stderr.write(`Connection received on ${name(c.address)} ${c.port}\n`);
    await readwrite(proc, o, c.fd);
    so.close(c.fd);
    if (!o.keep) break;
  }
  so.close(lfd);
  return 0;
}

/** readwrite(): standard input to the connection and the connection to standard output. */
async function readwrite(proc: Proc, o: NcOptions, fd: number): Promise<void> {
  const so = proc.sockets;
  let stdinOpen = !o.detach;
  let netinOpen = true;
  let shutDown = false;
  const eofStdin = (): void => {
    stdinOpen = false;
    if (o.shutdownOnEof && !shutDown) {
      shutDown = true;
      so.shutdown(fd, 'SHUT_WR');
    }
  };
  if (!stdinOpen) eofStdin();
  let input: Promise<Uint8Array | null> | undefined;
  let net: Promise<SysResult<Uint8Array>> | undefined;
  while (stdinOpen || netinOpen) {
    if (stdinOpen) input ??= hold(proc.stdin.read());
    if (netinOpen) net ??= hold(proc.wait(so.read(fd)));
    const sources: Promise<Tagged<string, unknown>>[] = [];
    if (input !== undefined) sources.push(tag('in', input));
    if (net !== undefined) sources.push(tag('net', net));
    // -w: "Connections which … are idle time out" (poll's timeout in readwrite).
    if (o.timeout !== undefined && o.timeout > 0 && !o.listen) {
      sources.push(tag('timeout', proc.sleep(o.timeout * NS_PER_S)));
    }
    const r = await Promise.race(sources);
    if (r.kind === 'timeout') return;
    if (r.kind === 'in') {
      input = undefined;
      const data = r.value as Uint8Array | null;
      if (data === null) {
        eofStdin();
        continue;
      }
      let out = data;
      if (o.crlf) out = crlf(data);
      // readwrite's stdinbuf holds BUFSIZE (16384) bytes: each write() is at most that.
      for (let at = 0; at < out.length && !shutDown; at += NC_BUFSIZE) {
        await proc.wait(so.write(fd, out.subarray(at, at + NC_BUFSIZE)));
      }
      continue;
    }
    net = undefined;
    const data = r.value as SysResult<Uint8Array>;
    if (isError(data) || data.length === 0) {
      netinOpen = false;
      continue;
    }
    proc.stdout.write(data);
  }
  if (o.quit > 0) await proc.sleep(o.quit * NS_PER_S);
}

/** netcat.c BUFSIZE: what one read of standard input fills and one write() sends. */
const NC_BUFSIZE = 16384;

/** -C: each LF sent as CR LF. */
function crlf(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === 10) out.push(13);
    out.push(b);
  }
  return new Uint8Array(out);
}
