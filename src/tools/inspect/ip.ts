/**
 * `ip` (iproute2 6.1: ip/ipaddress.c, iplink.c, iproute.c, ipneigh.c) on the
 * host's interfaces, routing tables and neighbour cache:
 *
 *   ip [-4] [-br] addr|a [show [dev] DEV]      ip addr add|del CIDR [brd +|ADDR] dev DEV
 *   ip [-br] link|l [show [DEV]]              ip link set [dev] DEV up|down|mtu N
 *   ip route|r [show]                          ip route add|del|replace|change PREFIX|default [via GW] [dev DEV] [metric N] [initcwnd N]
 *   ip route get ADDR                          ip neigh|n [show] / flush dev DEV / add ADDR lladdr MAC dev DEV
 *
 * Output as iproute2 prints it (fixtures/real-tools.json, captured in a
 * network namespace on a veth pair named eth0): a tcplab NIC looks like a
 * veth without its `@ifN` peer suffix and `link-netns` (it is plugged into a
 * simulated segment, not a peer), with its broadcast address shown (`brd`, as
 * ifupdown and DHCP configure one; the host always has one). IPv6 is off, as
 * in the reference traces.
 *
 * `ip link set DEV down` does what the kernel does on NETDEV_DOWN: the device
 * stops sending and receiving (interface.ts), its routes go (fib_disable_ip:
 * the connected and local routes and any route through it), its neighbour
 * entries are flushed (neigh_ifdown); `up` brings back the routes of its
 * addresses (fib_netdev_event NETDEV_UP → fib_add_ifaddr), not the ones an
 * administrator had added.
 */

import type { Host } from '../../host/host.js';
import { type NetInterface, prefixMask } from '../../host/interface.js';
import type { Route } from '../../host/route.js';
import type { Proc } from '../../os/process.js';
import { formatIpv4Address, formatMacAddress, parseMacAddress } from '../../wire/address.js';
import { IP_USAGE } from './usage.js';

interface IpOpts {
  stats: boolean;
  family4: boolean;
  family6: boolean;
  brief: boolean;
  oneline: boolean;
}

/** iproute2 `matches(arg, word)`: `arg` is a prefix of `word`. */
function matches(arg: string | undefined, word: string): boolean {
  return arg !== undefined && arg.length > 0 && word.startsWith(arg);
}

class IpError {
  constructor(
    readonly message: string,
    readonly status: number,
  ) {}
}

export async function ipCommand(proc: Proc): Promise<number> {
  const args = proc.argv.slice(1);
  const opts: IpOpts = {
    stats: false,
    family4: false,
    family6: false,
    brief: false,
    oneline: false,
  };
  while (args.length > 0 && args[0]!.startsWith('-') && args[0]!.length > 1) {
    let opt = args.shift()!;
    if (opt.startsWith('--')) opt = opt.slice(1);
    if (opt === '-4') opts.family4 = true;
    else if (opt === '-6') opts.family6 = true;
    else if (matches(opt.slice(1), 'brief') && opt.length >= 3) opts.brief = true;
    else if (matches(opt.slice(1), 'oneline')) opts.oneline = true;
    else if (matches(opt.slice(1), 'color') || matches(opt.slice(1), 'numeric')) continue;
    else if (matches(opt.slice(1), 'statistics')) opts.stats = true;
    else if (matches(opt.slice(1), 'details')) continue;
    else if (matches(opt.slice(1), 'Version') || opt === '-V') {
      proc.stdout.write('ip utility, iproute2-6.1.0, libbpf 1.1.0\n');
      return 0;
    } else if (matches(opt.slice(1), 'help')) {
      proc.stderr.write(IP_USAGE);
      return 255;
    } else {
      proc.stderr.write(`Option "${opt}" is unknown, try "ip -help".\n`);
      return 255;
    }
  }
  const obj = args.shift();
  try {
    if (obj === undefined) {
      proc.stderr.write(IP_USAGE);
      return 255;
    }
    if (matches(obj, 'address')) return ipAddr(proc, args, opts);
    if (matches(obj, 'route')) return ipRoute(proc, args);
    if (matches(obj, 'neighbor') || matches(obj, 'neighbour')) return ipNeigh(proc, args);
    if (matches(obj, 'link')) return ipLink(proc, args, opts);
    if (matches(obj, 'help')) {
      proc.stderr.write(IP_USAGE);
      return 255;
    }
    proc.stderr.write(`Object "${obj}" is unknown, try "ip help".\n`);
    return 1;
  } catch (e) {
    if (e instanceof IpError) {
      proc.stderr.write(e.message);
      return e.status;
    }
    throw e;
  }
}

function device(host: Host, name: string): NetInterface {
  const d = host.interface(name);
  if (d === undefined) throw new IpError(`Cannot find device "${name}"\n`, 1);
  return d;
}

// ---- ip link / ip addr show ----

/** The carrier: an Ethernet NIC has one when plugged into a link. */
function hasCarrier(d: NetInterface): boolean {
  return d.kind === 'loopback' || ('endpoint' in d && d.endpoint !== undefined);
}

/** print_link_flags. */
function linkFlags(d: NetInterface): string {
  const f: string[] = [];
  if (d.up && !hasCarrier(d)) f.push('NO-CARRIER');
  if (d.kind === 'loopback') f.push('LOOPBACK');
  else f.push('BROADCAST', 'MULTICAST');
  if (d.promiscuous) f.push('PROMISC');
  if (d.up) f.push('UP');
  if (d.up && hasCarrier(d)) f.push('LOWER_UP');
  return `<${f.join(',')}>`;
}

/** IF_OPER_*: lo is UNKNOWN when up (no carrier notion), a NIC UP or DOWN. */
function operState(d: NetInterface): string {
  if (!d.up) return 'DOWN';
  if (d.kind === 'loopback') return 'UNKNOWN';
  return hasCarrier(d) ? 'UP' : 'DOWN';
}

function linkHeader(d: NetInterface, withMode: boolean): string {
  return (
    `${d.index}: ${d.name}: ${linkFlags(d)} mtu ${d.mtu} qdisc noqueue state ${operState(d)}` +
    `${withMode ? ' mode DEFAULT' : ''} group default qlen 1000`
  );
}

function linkLine(d: NetInterface): string {
  return d.kind === 'loopback'
    ? '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
    : `    link/ether ${formatMacAddress(d.mac)} brd ff:ff:ff:ff:ff:ff`;
}

/** print_addrinfo for the IPv4 addresses of `d`. */
function addrLines(d: NetInterface): string {
  let out = '';
  d.addresses.forEach((a, i) => {
    const loopback = a.address >>> 24 === 127;
    // ip addr add's default_scope: host for 127/8, else global.
    const scope = loopback ? 'host' : 'global';
    const brd =
      a.broadcast !== undefined && d.kind !== 'loopback'
        ? `brd ${formatIpv4Address(a.broadcast)} `
        : '';
    // IFA_F_SECONDARY: a later address in the subnet of an earlier one.
    const mask = prefixMask(a.prefixLength);
    const secondary = d.addresses
      .slice(0, i)
      .some(
        (b) =>
          b.prefixLength === a.prefixLength &&
          (b.address & mask) >>> 0 === (a.address & mask) >>> 0,
      );
    out +=
      `    inet ${formatIpv4Address(a.address)}/${a.prefixLength} ${brd}scope ${scope} ` +
      `${secondary ? 'secondary ' : ''}${d.name}\n` +
      '       valid_lft forever preferred_lft forever\n';
  });
  return out;
}

function showLinks(
  proc: Proc,
  devs: readonly NetInterface[],
  opts: IpOpts,
  withAddrs: boolean,
): number {
  let out = '';
  for (const d of devs) {
    if (opts.family6) continue;
    if (withAddrs && opts.family4 && d.addresses.length === 0) continue;
    if (opts.brief) {
      out += `${d.name.padEnd(16)} ${operState(d).padEnd(14)} `;
      if (withAddrs) {
        for (const a of d.addresses) out += `${formatIpv4Address(a.address)}/${a.prefixLength} `;
      } else {
        out += `${d.kind === 'loopback' ? '00:00:00:00:00:00' : formatMacAddress(d.mac)} ${linkFlags(d)} `;
      }
      out += '\n';
      continue;
    }
    const familyOnly = withAddrs && opts.family4;
    out += `${linkHeader(d, !withAddrs)}\n`;
    if (!familyOnly) out += `${linkLine(d)}\n`;
    if (withAddrs) out += addrLines(d);
    if (opts.stats) out += statsLines(d);
  }
  proc.stdout.write(out);
  return 0;
}

/**
 * print_stats64 (`ip -s link`): the device counters under their names, each
 * column as wide as its name or its number (size_columns), RX then TX.
 */
function statsLines(d: NetInterface): string {
  const st = d.stats;
  const table = (label: string, names: readonly string[], values: readonly number[]): string => {
    // size_columns: the initial widths of "*X errors:", packets, errors, dropped, heartbt, overrun, compressed.
    const cols = [10, 7, 6, 7, 7, 7, 10];
    values.forEach((v, i) => {
      cols[i] = Math.max(cols[i]!, String(v).length);
    });
    let head = `    ${label}: ${names[0]!.padStart(cols[0]! - 4)}`;
    for (let i = 1; i < names.length; i++) head += ` ${names[i]!.padStart(cols[i]!)}`;
    head += ` ${''.padStart(cols[6]!)}\n`;
    let row = '    ';
    values.forEach((v, i) => {
      row += `${String(v).padStart(cols[i]!)} `;
    });
    return `${head}${row}\n`;
  };
  return (
    table(
      'RX',
      ['bytes', 'packets', 'errors', 'dropped', 'missed', 'mcast'],
      [st.rxBytes, st.rxPackets, st.rxErrors, st.rxDropped, 0, 0],
    ) +
    table(
      'TX',
      ['bytes', 'packets', 'errors', 'dropped', 'carrier', 'collsns'],
      [st.txBytes, st.txPackets, st.txErrors, st.txDropped, 0, 0],
    )
  );
}

/** `ip addr show [dev] DEV`, `ip link show [dev] DEV`: the devices asked for. */
function selectDevs(host: Host, args: string[]): NetInterface[] {
  let name: string | undefined;
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === 'dev') {
      name = args.shift();
      if (name === undefined)
        throw new IpError('Command line is not complete. Try option "help"\n', 255);
    } else if (a === 'up' || a === 'scope' || a === 'label') {
      if (a !== 'up') args.shift();
    } else {
      name = a;
    }
  }
  if (name === undefined) return [...host.interfaces];
  const d = host.interface(name);
  if (d === undefined) throw new IpError(`Device "${name}" does not exist.\n`, 1);
  return [d];
}

function ipLink(proc: Proc, args: string[], opts: IpOpts): number {
  const cmd = args.shift();
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    return showLinks(proc, selectDevs(proc.host, args), opts, false);
  }
  if (matches(cmd, 'set')) return linkSet(proc, args);
  throw new IpError(`Command "${cmd}" is unknown, try "ip link help".\n`, 255);
}

/** `ip link set [dev] DEV up|down|mtu N|promisc on|off`. */
function linkSet(proc: Proc, args: string[]): number {
  const host = proc.host;
  let name: string | undefined;
  const actions: (() => void)[] = [];
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === 'up' || a === 'down') {
      actions.push(() => setLinkUp(host, device(host, name!), a === 'up'));
    } else if (a === 'mtu') {
      const v = args.shift();
      const n = Number(v);
      if (v === undefined || !/^\d+$/.test(v)) {
        throw new IpError(`Error: argument "${v ?? ''}" is wrong: Invalid "mtu" value\n\n`, 255);
      }
      actions.push(() => {
        const d = device(host, name!);
        if (n < 68 || n > (d.kind === 'loopback' ? 65536 : 65535)) {
          throw new IpError(`Error: mtu less than device minimum.\n`, 2);
        }
        d.mtu = n;
      });
    } else if (a === 'promisc') {
      const v = args.shift();
      actions.push(() => {
        device(host, name!).promiscuous = v === 'on';
      });
    } else if (a === 'dev') {
      name = args.shift();
    } else if (name === undefined) {
      name = a;
    } else {
      throw new IpError(`Error: either "dev" is duplicate, or "${a}" is a garbage.\n`, 255);
    }
  }
  if (name === undefined) {
    throw new IpError('Not enough information: "dev" argument is required.\n', 255);
  }
  device(host, name);
  for (const act of actions) act();
  return 0;
}

/**
 * NETDEV_UP / NETDEV_DOWN (see the module comment). Down: fib_disable_ip
 * flushes the main-table routes through the device and its broadcast routes;
 * its local (address) routes stay, as `ip route show table local` shows on
 * Linux. Up: fib_add_ifaddr again for each address.
 */
export function setLinkUp(host: Host, d: NetInterface, up: boolean): void {
  if (d.up === up) return;
  d.up = up;
  if (!up) {
    for (const r of host.routes.routes('main')) {
      if (r.dev === d) host.routes.delete(r.dst, r.prefixLength, 'main', r.metric);
    }
    for (const r of host.routes.routes('local')) {
      if (r.dev === d && r.type === 'broadcast') {
        host.routes.delete(r.dst, r.prefixLength, 'local', r.metric);
      }
    }
    host.neigh.flush(host.now, d);
    return;
  }
  for (const a of d.addresses) host.routes.addInterfaceAddress(d, a.address, a.prefixLength);
}

// ---- ip addr ----

function parsePrefix(text: string): { address: number; prefixLength: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(text);
  if (m === null) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const len = m[5] === undefined ? 32 : Number(m[5]);
  if (len > 32) return undefined;
  return {
    address: ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0,
    prefixLength: len,
  };
}

function ipAddr(proc: Proc, args: string[], opts: IpOpts): number {
  const cmd = args.shift();
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    return showLinks(proc, selectDevs(proc.host, args), opts, true);
  }
  if (cmd === 'add' || matches(cmd, 'delete')) return addrModify(proc, args, cmd === 'add');
  if (matches(cmd, 'flush')) {
    const devs = selectDevs(proc.host, args);
    for (const d of devs) {
      if (d.kind === 'loopback') continue;
      for (const a of [...d.addresses]) proc.host.removeAddress(d, a.address);
    }
    return 0;
  }
  throw new IpError(`Command "${cmd}" is unknown, try "ip address help".\n`, 255);
}

function addrModify(proc: Proc, args: string[], add: boolean): number {
  const host = proc.host;
  let local: { address: number; prefixLength: number } | undefined;
  let dev: string | undefined;
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === 'dev') dev = args.shift();
    else if (a === 'brd' || a === 'broadcast' || a === 'scope' || a === 'label') args.shift();
    else if (a === 'local') local = parsePrefix(args.shift() ?? '');
    else {
      local = parsePrefix(a);
      if (local === undefined) {
        throw new IpError(`Error: any valid prefix is expected rather than "${a}".\n`, 1);
      }
    }
  }
  if (dev === undefined) {
    throw new IpError('Not enough information: "dev" argument is required.\n', 1);
  }
  const d = device(host, dev);
  if (local === undefined) {
    throw new IpError('Not enough information: "dev" argument is required.\n', 1);
  }
  if (add) {
    const r = host.addAddress(d, local);
    if (!r.ok) {
      throw new IpError(
        r.errno === 'EEXIST'
          ? 'Error: ipv4: Address already assigned.\n'
          : 'RTNETLINK answers: Invalid argument\n',
        2,
      );
    }
    // A down device's new address has its local route only, until it comes up.
    if (!d.up) {
      for (const r of host.routes.routes('main')) {
        if (r.dev === d) host.routes.delete(r.dst, r.prefixLength, 'main', r.metric);
      }
      for (const r of host.routes.routes('local')) {
        if (r.dev === d && r.type === 'broadcast') {
          host.routes.delete(r.dst, r.prefixLength, 'local', r.metric);
        }
      }
    }
    return 0;
  }
  const has = d.addresses.some(
    (x) => x.address === local.address && x.prefixLength === local.prefixLength,
  );
  if (!has || !host.removeAddress(d, local.address)) {
    throw new IpError('Error: ipv4: Address not found.\n', 2);
  }
  return 0;
}

// ---- ip route ----

const SCOPE_OF_TYPE: Readonly<Record<string, string>> = { link: 'link', host: 'host' };

/** print_route for the main table. */
function routeLine(r: Route): string {
  let s = '';
  if (r.type !== 'unicast') s += `${r.type} `;
  // A host route is printed without its /32.
  if (r.prefixLength === 0) s += 'default ';
  else if (r.prefixLength === 32) s += `${formatIpv4Address(r.dst)} `;
  else s += `${formatIpv4Address(r.dst)}/${r.prefixLength} `;
  if (r.gateway !== undefined) s += `via ${formatIpv4Address(r.gateway)} `;
  if (r.dev !== undefined) s += `dev ${r.dev.name} `;
  if (r.protocol !== 'boot') s += `proto ${r.protocol} `;
  if (r.scope !== 'global') s += `scope ${SCOPE_OF_TYPE[r.scope]} `;
  if (r.prefsrc !== undefined) s += `src ${formatIpv4Address(r.prefsrc)} `;
  if (r.metric !== 0) s += `metric ${r.metric} `;
  // The RTA_METRICS (print_rta_metrics), after the priority.
  if (r.initcwnd !== 0) s += `initcwnd ${r.initcwnd} `;
  return `${s}\n`;
}

function ipRoute(proc: Proc, args: string[]): number {
  const host = proc.host;
  const cmd = args.shift();
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    let table: 'main' | 'local' = 'main';
    if (args[0] === 'table' && args[1] === 'local') table = 'local';
    let out = '';
    for (const r of host.routes.routes(table)) out += routeLine(r);
    proc.stdout.write(out);
    return 0;
  }
  if (matches(cmd, 'get')) return routeGet(proc, args);
  if (cmd === 'add' || matches(cmd, 'delete') || cmd === 'replace' || matches(cmd, 'change')) {
    return routeModify(proc, args, cmd);
  }
  if (matches(cmd, 'flush')) {
    for (const r of [...host.routes.routes('main')]) {
      host.routes.delete(r.dst, r.prefixLength, 'main', r.metric);
    }
    return 0;
  }
  throw new IpError(`Command "${cmd}" is unknown, try "ip route help".\n`, 255);
}

function routeModify(proc: Proc, args: string[], cmd: string): number {
  const host = proc.host;
  let dst: { address: number; prefixLength: number } | undefined;
  let gw: number | undefined;
  let dev: NetInterface | undefined;
  let metric: number | undefined;
  let initcwnd: number | undefined;
  let type: Route['type'] = 'unicast';
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === 'via') {
      const g = parsePrefix(args.shift() ?? '');
      if (g === undefined)
        throw new IpError('Error: inet address is expected rather than "".\n', 1);
      gw = g.address;
    } else if (a === 'dev') dev = device(host, args.shift() ?? '');
    else if (a === 'metric' || a === 'priority' || a === 'preference') {
      metric = Number(args.shift());
    } else if (a === 'initcwnd') {
      // RTAX_INITCWND: a u32 (get_unsigned), "lock" not supported here.
      const v = args.shift() ?? '';
      if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) {
        throw new IpError(`Error: argument "${v}" is wrong: "initcwnd" value is invalid\n\n`, 255);
      }
      initcwnd = Number(v);
    } else if (a === 'proto' || a === 'scope' || a === 'src' || a === 'table') args.shift();
    else if (a === 'unreachable' || a === 'blackhole' || a === 'prohibit') type = a;
    else if (a === 'default') dst = { address: 0, prefixLength: 0 };
    else {
      dst = parsePrefix(a);
      if (dst === undefined) {
        throw new IpError(`Error: any valid prefix is expected rather than "${a}".\n`, 1);
      }
    }
  }
  if (dst === undefined) {
    throw new IpError('Error: any valid prefix is expected rather than "".\n', 1);
  }
  if (matches(cmd, 'delete')) {
    const r = host.routes.delete(dst.address, dst.prefixLength, 'main', metric);
    if (!r.ok) throw new IpError('RTNETLINK answers: No such process\n', 2);
    return 0;
  }
  if (cmd === 'replace') host.routes.delete(dst.address, dst.prefixLength, 'main', metric);
  // change: NLM_F_REPLACE without NLM_F_CREATE, so the route must exist (fib_table_insert: ENOENT).
  if (cmd !== 'add' && cmd !== 'replace') {
    const old = host.routes.delete(dst.address, dst.prefixLength, 'main', metric);
    if (!old.ok) throw new IpError('RTNETLINK answers: No such file or directory\n', 2);
  }
  if (type === 'unicast' && gw === undefined && dev === undefined) {
    throw new IpError('Error: Device for nexthop is not up.\n', 2);
  }
  const r = host.routes.add({
    dst: dst.address,
    prefixLength: dst.prefixLength,
    type,
    ...(gw !== undefined ? { gateway: gw } : {}),
    ...(dev !== undefined ? { dev } : {}),
    ...(metric !== undefined ? { metric } : {}),
    ...(initcwnd !== undefined ? { initcwnd } : {}),
  });
  if (!r.ok) {
    if (r.errno === 'EEXIST') throw new IpError('RTNETLINK answers: File exists\n', 2);
    if (r.errno === 'ENETUNREACH') throw new IpError('Error: Nexthop has invalid gateway.\n', 2);
    throw new IpError('RTNETLINK answers: Invalid argument\n', 2);
  }
  return 0;
}

/** `ip route get ADDR` (inet_rtm_getroute). */
function routeGet(proc: Proc, args: string[]): number {
  const host = proc.host;
  const target = args.filter((a) => a !== 'to')[0];
  const p = target === undefined ? undefined : parsePrefix(target);
  if (p === undefined) {
    throw new IpError(`Error: any valid prefix is expected rather than "${target ?? ''}".\n`, 1);
  }
  const dst = formatIpv4Address(p.address);
  if (host.isLocalAddress(p.address)) {
    proc.stdout.write(`local ${dst} dev lo src ${dst} uid 0 \n    cache <local> \n`);
    return 0;
  }
  const r = host.route(p.address);
  if (!r.ok) throw new IpError('RTNETLINK answers: Network is unreachable\n', 2);
  const route = host.routes.lookup(p.address);
  const via = route?.gateway !== undefined ? `via ${formatIpv4Address(route.gateway)} ` : '';
  // The route's metrics come with the cache line (print_rta_metrics).
  const metrics = route !== undefined && route.initcwnd !== 0 ? `initcwnd ${route.initcwnd} ` : '';
  proc.stdout.write(
    `${dst} ${via}dev ${r.dev.name} src ${formatIpv4Address(r.src)} uid 0 \n    cache ${metrics}\n`,
  );
  return 0;
}

// ---- ip neigh ----

function ipNeigh(proc: Proc, args: string[]): number {
  const host = proc.host;
  const cmd = args.shift();
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    let devName: string | undefined;
    if (args[0] === 'dev') devName = args[1];
    const dev = devName === undefined ? undefined : device(host, devName);
    let out = '';
    // The kernel's hash order; tcplab lists the newest entry first.
    for (const n of [...host.neigh.entries].reverse()) {
      if (dev !== undefined && n.dev !== dev) continue;
      if (n.state === 'NONE' || n.state === 'NOARP') continue;
      const lladdr =
        n.state === 'INCOMPLETE' || n.state === 'FAILED' ? '' : `lladdr ${formatMacAddress(n.ha)} `;
      out += `${formatIpv4Address(n.key)} ${dev === undefined ? `dev ${n.dev.name} ` : ''}${lladdr}${n.state} \n`;
    }
    proc.stdout.write(out);
    return 0;
  }
  if (matches(cmd, 'flush')) {
    const dev = args[0] === 'dev' && args[1] !== undefined ? device(host, args[1]) : undefined;
    if (dev === undefined && args.length === 0) {
      throw new IpError('Flush requires arguments.\n', 255);
    }
    host.neigh.flush(host.now, dev);
    return 0;
  }
  if (cmd === 'add' || cmd === 'replace') {
    let addr: number | undefined;
    let mac: number | undefined;
    let dev: NetInterface | undefined;
    while (args.length > 0) {
      const a = args.shift()!;
      if (a === 'lladdr') {
        const m = parseMacAddress(args.shift() ?? '');
        if (!m.ok) throw new IpError('"lladdr" is invalid\n', 255);
        mac = m.value;
      } else if (a === 'dev') dev = device(host, args.shift() ?? '');
      else if (a === 'nud') args.shift();
      else addr = parsePrefix(a)?.address;
    }
    if (addr === undefined || dev === undefined || mac === undefined) {
      throw new IpError('Device and destination are required arguments.\n', 255);
    }
    host.neigh.addPermanent(host.now, dev, addr, mac);
    return 0;
  }
  throw new IpError(`Command "${cmd}" is unknown, try "ip neigh help".\n`, 255);
}
