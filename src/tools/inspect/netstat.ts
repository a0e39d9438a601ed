/**
 * `netstat` (net-tools 2.10, netstat.c and statistics.c):
 *
 * - sockets (`-t`, `-a`, `-l`, `-n`, `-p`, `-o`, `-W`): the lines of
 *   /proc/net/tcp (tcp_do_one), so a listener's Recv-Q is its accept queue
 *   and its Send-Q 0 (unlike ss, which shows the backlog), SYN_RECV request
 *   socks and TIME_WAIT socks included; without -t the (empty) UNIX domain
 *   section follows;
 * - `-s` (and `-st`): the counters with net-tools' wording, some always,
 *   most only when not zero (netstat-table.ts);
 * - `-r` (routes) and `-i` (interfaces).
 *
 * Compared with the real one in fixtures/real-tools.json.
 */

import { portToService } from '../../capture/netdb.js';
import type { Host } from '../../host/host.js';
import { type NetInterface, prefixMask } from '../../host/interface.js';
import { tcpSockets } from '../../os/inet-sockets.js';
import { type CounterSource, counterSource } from '../../os/mib.js';
import type { Proc } from '../../os/process.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';
import { getoptLong } from '../getopt.js';
import { NETSTAT_S_TABLE, NETSTAT_ST_SECTIONS } from './netstat-table.js';
import { NETSTAT_USAGE } from './usage.js';

const OPTS = {
  short: 'A:CFMacdeghilnNoprsStuUvVWw2fx64?Z',
  long: [
    { name: 'route', hasArg: false, key: 'r' },
    { name: 'interfaces', hasArg: false, key: 'i' },
    { name: 'statistics', hasArg: false, key: 's' },
    { name: 'numeric', hasArg: false, key: 'n' },
    { name: 'numeric-hosts', hasArg: false, key: 'numeric-hosts' },
    { name: 'numeric-ports', hasArg: false, key: 'numeric-ports' },
    { name: 'numeric-users', hasArg: false, key: 'numeric-users' },
    { name: 'programs', hasArg: false, key: 'p' },
    { name: 'timers', hasArg: false, key: 'o' },
    { name: 'listening', hasArg: false, key: 'l' },
    { name: 'all', hasArg: false, key: 'a' },
    { name: 'tcp', hasArg: false, key: 't' },
    { name: 'udp', hasArg: false, key: 'u' },
    { name: 'wide', hasArg: false, key: 'W' },
    { name: 'extend', hasArg: false, key: 'e' },
    { name: 'verbose', hasArg: false, key: 'v' },
    { name: 'help', hasArg: false, key: 'h' },
    { name: 'version', hasArg: false, key: 'V' },
    { name: 'context', hasArg: false, key: 'Z' },
  ],
} as const;

interface Flags {
  numHosts: boolean;
  numPorts: boolean;
  programs: boolean;
  timers: boolean;
  wide: boolean;
}

export async function netstatCommand(proc: Proc): Promise<number> {
  const parsed = getoptLong(proc.argv.slice(1), OPTS);
  if (!parsed.ok) {
    proc.stderr.write(`netstat: ${parsed.error.message}\n${NETSTAT_USAGE}`);
    return 3;
  }
  const flags: Flags = {
    numHosts: false,
    numPorts: false,
    programs: false,
    timers: false,
    wide: false,
  };
  let all = false;
  let listening = false;
  let tcp = false;
  let otherSocket = false;
  let stats = false;
  let routes = false;
  let ifaces = false;
  for (const o of parsed.args.options) {
    switch (o.key) {
      case 'n':
        flags.numHosts = true;
        flags.numPorts = true;
        break;
      case 'numeric-hosts':
        flags.numHosts = true;
        break;
      case 'numeric-ports':
        flags.numPorts = true;
        break;
      case 'p':
        flags.programs = true;
        break;
      case 'o':
        flags.timers = true;
        break;
      case 'W':
        flags.wide = true;
        break;
      case 'a':
        all = true;
        break;
      case 'l':
        listening = true;
        break;
      case 't':
        tcp = true;
        break;
      case 'u':
      case 'w':
      case 'x':
      case 'U':
      case 'S':
        otherSocket = true;
        break;
      case 's':
        stats = true;
        break;
      case 'r':
        routes = true;
        break;
      case 'i':
        ifaces = true;
        break;
      case 'Z':
        proc.stderr.write('SELinux is not enabled on this machine.\n');
        return 1;
      case 'h':
        proc.stdout.write(NETSTAT_USAGE);
        return 0;
      case 'V':
        proc.stdout.write(
          'net-tools 2.10\nFred Baumgarten, Alan Cox, Bernd Eckenfels, Phil Blundell, Tuan Hoang, Brian Micek and others\n+NEW_ADDRT +RTF_IRTT +RTF_REJECT +FW_MASQUERADE +I18N +SELINUX\nAF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE -BLUETOOTH\nHW:  +ETHER +ARC +SLIP +PLIP +SERIAL +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB +EUI64\n',
        );
        return 0;
      default:
        break;
    }
  }
  const host = proc.host;
  if (stats) {
    proc.stdout.write(
      netstatStatistics(counterSource(host), tcp ? NETSTAT_ST_SECTIONS : undefined),
    );
    return 0;
  }
  if (routes) {
    proc.stdout.write(routeTable(host, flags.numHosts));
    return 0;
  }
  if (ifaces) {
    proc.stdout.write(interfaceTable(host));
    return 0;
  }
  const which = all ? 'servers and established' : listening ? 'only servers' : 'w/o servers';
  let out = `Active Internet connections (${which})\n`;
  out += 'Proto Recv-Q Send-Q Local Address           Foreign Address         State      ';
  if (flags.programs) out += ' PID/Program name    ';
  if (flags.timers) out += ' Timer';
  out += '\n';
  if (tcp || !otherSocket) out += tcpLines(proc, flags, all, listening);
  if (!tcp && !otherSocket) {
    out += `Active UNIX domain sockets (${which})\n`;
    out += 'Proto RefCnt Flags       Type       State         I-Node   ';
    if (flags.programs) out += ' PID/Program name    ';
    out += 'Path\n';
  }
  proc.stdout.write(out);
  return 0;
}

/** /proc/net/tcp, as tcp_do_one prints it. */
function tcpLines(proc: Proc, flags: Flags, all: boolean, listening: boolean): string {
  const host = proc.host;
  const [low, high] = host.sysctl.ints('net.ipv4.ip_local_port_range') as [number, number];
  let out = '';
  for (const s of tcpSockets(host, proc.system)) {
    const isListen = s.state === 'LISTEN';
    if (!all && (listening ? !isListen : isListen)) continue;
    // get_tcp4_sock: a listener's rx_queue is its accept queue, tx_queue 0.
    const rq = s.rq;
    const wq = isListen ? 0 : s.wq;
    const local = endpoint(host, s.localAddr, s.localPort, flags, low, high);
    const remote = endpoint(host, s.remoteAddr, s.remotePort, flags, low, high);
    let line =
      `tcp   ${String(rq).padStart(6)} ${String(wq).padStart(6)} ` +
      `${local.padEnd(23)} ${remote.padEnd(23)} ${s.state.padEnd(11)}`;
    if (flags.programs) {
      const u = s.users[0];
      line += ` ${(u === undefined ? '-' : `${u.pid}/${u.comm}`).padEnd(20)}`;
    }
    if (flags.timers) {
      const names = ['off', 'on', 'keepalive', 'timewait', 'unkn-4'];
      // /proc/net/tcp's tm->when is in clock ticks (USER_HZ 100).
      const secs = Math.floor(s.expiresMs / 10) / 100;
      line += ` ${names[s.timer]} (${secs.toFixed(2)}/${s.retrans}/0)`;
    }
    out += `${line}\n`;
  }
  return out;
}

/**
 * An address and port as netstat prints them: names from /etc/hosts and
 * /etc/services unless numeric (no service name inside the ephemeral port
 * range, as net-tools asks getservbyport only for `--numeric-ports`-less
 * output and /etc/services has none there), the host part cut so that the
 * whole fits 22 columns (without -W).
 */
function endpoint(
  host: Host,
  addr: Ipv4Address,
  port: number,
  flags: Flags,
  low: number,
  high: number,
): string {
  let a = formatIpv4Address(addr);
  if (!flags.numHosts && addr !== 0) {
    for (const [name, x] of host.etcHosts) {
      if (x === addr) {
        a = name;
        break;
      }
    }
  }
  let p: string;
  if (port === 0) p = '*';
  else if (flags.numPorts || (port >= low && port <= high)) p = String(port);
  else p = portToService(port, 'tcp') ?? String(port);
  if (!flags.wide && a.length + p.length > 22) a = a.slice(0, 22 - p.length);
  return `${a}:${p}`;
}

/** statistics.c over a host's counters (`sections`: only those, as -t keeps them). */
export function netstatStatistics(
  c: CounterSource,
  sections: readonly string[] | undefined,
): string {
  let out = '';
  let keep = true;
  let section = '';
  const flushIcmpMsg = (): void => {
    if (c.icmpMsg.length === 0) return;
    if (sections !== undefined && !sections.includes('IcmpMsg')) return;
    out += 'IcmpMsg:\n';
    const indent = sections === undefined ? '        ' : '    ';
    for (const [name, v] of c.icmpMsg) {
      if (v !== 0) out += `${indent}${name.slice('IcmpMsg'.length)}: ${v}\n`;
    }
  };
  for (const row of NETSTAT_S_TABLE) {
    if (row.startsWith('# ')) {
      section = row.slice(2);
      // IcmpMsg comes between Icmp and Tcp, with the types seen (a kernel
      // without any prints no IcmpMsg lines, and netstat no header).
      if (section === 'IcmpMsg') {
        keep = false;
        continue;
      }
      if (section === 'Tcp') flushIcmpMsg();
      keep = sections === undefined || sections.includes(section);
      if (keep) out += `${section}:\n`;
      continue;
    }
    if (!keep) continue;
    if (row.startsWith('= ')) {
      out += `    ${row.slice(2)}\n`;
      continue;
    }
    const always = row[0] === '!';
    const sp = row.indexOf(' ', 2);
    const name = row.slice(2, sp);
    const format = row.slice(sp + 1);
    const v = c.get(name);
    if (!always && v === 0) continue;
    out += `${format.replace('%d', String(v))}\n`;
  }
  return out;
}

/** `netstat -r`: the main table as /proc/net/route lists it. */
function routeTable(host: Host, numeric: boolean): string {
  let out =
    'Kernel IP routing table\n' +
    'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n';
  for (const r of host.routes.routes('main')) {
    if (r.dev === undefined) continue;
    const dst = !numeric && r.prefixLength === 0 ? 'default' : formatIpv4Address(r.dst);
    let gw = r.gateway === undefined ? '0.0.0.0' : formatIpv4Address(r.gateway);
    if (!numeric && r.gateway !== undefined) {
      for (const [name, x] of host.etcHosts) if (x === r.gateway) gw = name;
    }
    let fl = 'U';
    if (r.gateway !== undefined) fl += 'G';
    if (r.prefixLength === 32) fl += 'H';
    out +=
      `${dst.padEnd(15)} ${gw.padEnd(15)} ${formatIpv4Address(prefixMask(r.prefixLength)).padEnd(15)} ` +
      `${fl.padEnd(5)} ${'0'.padStart(5)} ${'0'.padEnd(6)} ${'0'.padStart(5)} ${r.dev.name}\n`;
  }
  return out;
}

/** `netstat -i`. */
function interfaceTable(host: Host): string {
  let out =
    'Kernel Interface table\n' +
    'Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n';
  for (const d of host.interfaces) {
    const s = d.stats;
    out +=
      `${d.name.padEnd(15)}${String(d.mtu).padStart(6)} ${String(s.rxPackets).padStart(8)} ` +
      `${String(s.rxErrors).padStart(6)} ${String(s.rxDropped).padStart(6)} ${'0'.padEnd(6)} ` +
      `${String(s.txPackets).padStart(8)} ${String(s.txErrors).padStart(6)} ` +
      `${String(s.txDropped).padStart(6)} ${'0'.padStart(6)} ${ifFlags(d)}\n`;
  }
  return out;
}

/** netstat's Flg column: B broadcast, L loopback, M multicast, P promiscuous, R running, U up. */
function ifFlags(d: NetInterface): string {
  let f = '';
  if (d.kind !== 'loopback') f += 'B';
  if (d.kind === 'loopback') f += 'L';
  if (d.kind !== 'loopback') f += 'M';
  if (d.promiscuous) f += 'P';
  if (d.up) f += 'RU';
  return f;
}
