/**
 * The commands of this part: what the kernel holds, shown as the Debian 12
 * tools show it: ss, netstat, lsof (sockets), sysctl (the sysctl table), ip
 * (interfaces, addresses, routes, neighbours), ping (ICMP echo through a ping
 * socket, src/host/ping.ts), hostname, dmesg (the kernel log), ps (processes)
 * and nstat (the SNMP counters). They read the host and the process table and
 * change only what the real tools change (sysctl -w, ip … add/del/set,
 * dmesg -c, nstat's history file). docs/tools-inspect.md lists what they do
 * and where they differ from the real ones.
 */

import type { Command } from '../../os/process.js';
import { ipCommand } from './ip.js';
import { lsofCommand } from './lsof.js';
import { dmesgCommand, hostnameCommand, psCommand } from './misc.js';
import { netstatCommand } from './netstat.js';
import { nstatCommand } from './nstat.js';
import { pingCommand } from './ping.js';
import { ssCommand } from './ss.js';
import { sysctlCommand } from './sysctl.js';

export const INSPECT_COMMANDS: Readonly<Record<string, Command>> = {
  dmesg: dmesgCommand,
  hostname: hostnameCommand,
  ip: ipCommand,
  lsof: lsofCommand,
  netstat: netstatCommand,
  nstat: nstatCommand,
  ping: pingCommand,
  ps: psCommand,
  ss: ssCommand,
  sysctl: sysctlCommand,
};
