/**
 * `lsof` (4.95, Linux dialect) for the Internet files of the host's
 * processes: `lsof -i[46][PROTO][@HOST][:PORT]` (`-i:80`, `-i tcp`,
 * `-iTCP:80`, `-i@192.168.0.22:80`), `-n` (no host names), `-P` (no port
 * names), `-t` (pids only), `-s TCP:LISTEN[,…]` / `-sTCP:^LISTEN` (state
 * filter). A socket is listed once per process and descriptor holding it, in
 * pid and fd order, with lsof's columns (their widths grow with the content):
 *
 *   COMMAND  PID USER   FD   TYPE  DEVICE SIZE/OFF NODE NAME
 *   python3 8536 root    3u  IPv4 3877122      0t0  TCP *:http (LISTEN)
 *
 * DEVICE is the socket's inode (sockets.ts numbers them). Nothing found:
 * exit 1 and no output. Checked against fixtures/real-tools.json.
 */

import { portToService, serviceToPort } from '../../capture/netdb.js';
import type { Host } from '../../host/host.js';
import { type InetSock, tcpSockets } from '../../os/inet-sockets.js';
import type { Proc } from '../../os/process.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';

interface ISpec {
  proto: 'tcp' | 'udp' | undefined;
  addr: Ipv4Address | undefined;
  port: number | undefined;
}

export async function lsofCommand(proc: Proc): Promise<number> {
  const args = proc.argv.slice(1);
  let numericHosts = false;
  let numericPorts = false;
  let terse = false;
  const specs: ISpec[] = [];
  let anyI = false;
  const stateIn = new Set<string>();
  const stateOut = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-i')) {
      anyI = true;
      let v = a.slice(2);
      // `-i tcp`: the next word when it is not an option.
      if (v === '' && i + 1 < args.length && !args[i + 1]!.startsWith('-')) v = args[++i]!;
      if (v === '') continue;
      const spec = parseI(v);
      if (typeof spec === 'string') {
        proc.stderr.write(spec);
        return 1;
      }
      specs.push(spec);
      continue;
    }
    if ((a.startsWith('-s') && a.length > 2) || (a === '-s' && args[i + 1]?.includes(':'))) {
      const v = a.length > 2 ? a.slice(2) : args[++i]!;
      const m = /^TCP:(.*)$/i.exec(v);
      if (m !== null) {
        for (const s of m[1]!.split(',')) {
          if (s.startsWith('^')) stateOut.add(s.slice(1).toUpperCase());
          else stateIn.add(s.toUpperCase());
        }
      }
      continue;
    }
    if (/^-[nPtl]+$/.test(a)) {
      if (a.includes('n')) numericHosts = true;
      if (a.includes('P')) numericPorts = true;
      if (a.includes('t')) terse = true;
      continue;
    }
    if (a === '-V' || a === '-w' || a === '-b') continue;
  }
  const host = proc.host;
  const socks = tcpSockets(host, proc.system);
  const rows: { pid: number; fd: number; comm: string; s: InetSock }[] = [];
  for (const s of socks) {
    if (specs.length > 0 && !specs.some((sp) => matchSpec(sp, s))) continue;
    if (specs.length === 0 && !anyI) continue;
    if (stateIn.size > 0 && !stateIn.has(s.state)) continue;
    if (stateOut.has(s.state)) continue;
    for (const u of s.users) rows.push({ pid: u.pid, fd: u.fd, comm: u.comm.slice(0, 9), s });
  }
  if (rows.length === 0) return 1;
  rows.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  if (terse) {
    const pids = [...new Set(rows.map((r) => r.pid))];
    proc.stdout.write(pids.map((p) => `${p}\n`).join(''));
    return 0;
  }
  const names = rows.map((r) => nameOf(host, r.s, numericHosts, numericPorts));
  const devs = rows.map((r) => String(r.s.inode));
  const cw = Math.max(7, ...rows.map((r) => r.comm.length));
  const pw = Math.max(3, ...rows.map((r) => String(r.pid).length));
  const dw = Math.max(6, ...devs.map((d) => d.length));
  let out =
    `${'COMMAND'.padEnd(cw)} ${'PID'.padStart(pw)} USER   FD   TYPE ${'DEVICE'.padStart(dw)} ` +
    'SIZE/OFF NODE NAME\n';
  rows.forEach((r, i) => {
    out +=
      `${r.comm.padEnd(cw)} ${String(r.pid).padStart(pw)} root ${String(r.fd).padStart(4)}u  ` +
      `IPv4 ${devs[i]!.padStart(dw)}      0t0  TCP ${names[i]}\n`;
  });
  proc.stdout.write(out);
  return 0;
}

/** `[46][protocol][@hostname|hostaddr][:service|port]`. */
function parseI(v: string): ISpec | string {
  const m = /^([46])?([A-Za-z]+)?(?:@([^:]*))?(?::(.*))?$/.exec(v);
  if (m === null) return `lsof: unacceptable Internet address: -i ${v}\n`;
  const proto = m[2]?.toLowerCase();
  if (proto !== undefined && proto !== 'tcp' && proto !== 'udp') {
    return `lsof: unknown protocol name (${m[2]}) in: -i ${v}\n`;
  }
  let addr: Ipv4Address | undefined;
  if (m[3] !== undefined && m[3] !== '') {
    const p = m[3].split('.').map(Number);
    if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x > 255)) {
      return `lsof: unknown host name (${m[3]}) in: -i ${v}\n`;
    }
    addr = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
  }
  let port: number | undefined;
  if (m[4] !== undefined) {
    if (/^\d+$/.test(m[4])) port = Number(m[4]);
    else {
      port = serviceToPort(m[4], 'tcp');
      if (port === undefined) return `lsof: unknown service ${m[4]} in: -i ${v}\n`;
    }
  }
  return { proto: proto as 'tcp' | 'udp' | undefined, addr, port };
}

function matchSpec(sp: ISpec, s: InetSock): boolean {
  if (sp.proto === 'udp') return false;
  if (sp.port !== undefined && s.localPort !== sp.port && s.remotePort !== sp.port) return false;
  if (sp.addr !== undefined && s.localAddr !== sp.addr && s.remoteAddr !== sp.addr) return false;
  return true;
}

function nameOf(host: Host, s: InetSock, numHosts: boolean, numPorts: boolean): string {
  const hostName = (a: Ipv4Address): string => {
    if (a === 0) return '*';
    if (!numHosts) for (const [n, x] of host.etcHosts) if (x === a) return n;
    return formatIpv4Address(a);
  };
  const portName = (p: number): string =>
    numPorts ? String(p) : (portToService(p, 'tcp') ?? String(p));
  const local = `${hostName(s.localAddr)}:${portName(s.localPort)}`;
  if (s.state === 'LISTEN') return `${local} (LISTEN)`;
  return `${local}->${hostName(s.remoteAddr)}:${portName(s.remotePort)} (${s.state})`;
}
