/**
 * The small ones: `hostname` (net-tools 2.10 hostname.c), `dmesg`
 * (util-linux 2.38.1 dmesg.c) and `ps` (procps 4.0.2).
 *
 * - hostname: the host's name; `-I` every address but loopback ones, each
 *   followed by a space; `-i` the addresses of the name (/etc/hosts); `-s`
 *   the short name, `-f` the full one.
 * - dmesg: the kernel log (host.kmsg) as `[%5lu.%06lu] text` with the time
 *   since boot (virtual time 0), `-T` with the lab's wall clock in ctime
 *   format, `-c` print then clear, `-C` clear, `-l LEVELS`, `-x` facility and
 *   level prefixes.
 * - ps: the processes of the host (system.processes) in pid order; `ps`,
 *   `ps aux` / `ps ax`, `ps -ef` / `ps -e` / `-A`, `-p PID`. tcplab keeps no
 *   CPU or memory accounting: TIME is 0, %CPU %MEM VSZ RSS are 0, START and
 *   STIME the boot time (DEVIATION, see docs/tools-inspect.md).
 */

import { KMSG_LEVELS, type KmsgLevel } from '../../host/kmsg.js';
import type { Proc, ProcessInfo } from '../../os/process.js';
import { NS_PER_S, NS_PER_US } from '../../sim/time.js';
import { formatIpv4Address } from '../../wire/address.js';
import { HOSTNAME_USAGE } from './usage.js';

export async function hostnameCommand(proc: Proc): Promise<number> {
  const host = proc.host;
  const args = proc.argv.slice(1);
  let mode: 'name' | 'I' | 'i' | 'd' = 'name';
  for (const a of args) {
    if (a === '-I' || a === '--all-ip-addresses') mode = 'I';
    else if (a === '-i' || a === '--ip-address') mode = 'i';
    else if (a === '-d' || a === '--domain') mode = 'd';
    else if (['-s', '--short', '-f', '--fqdn', '--long', '-A', '--all-fqdns', '-a'].includes(a)) {
      mode = 'name';
    } else if (a === '-h' || a === '--help') {
      proc.stdout.write(HOSTNAME_USAGE);
      return 0;
    } else if (a === '-V' || a === '--version') {
      proc.stderr.write('hostname 3.23+nmu1\n');
      return 0;
    } else if (a.startsWith('-')) {
      const letter = a.startsWith('--') ? a : a[1];
      proc.stderr.write(
        a.startsWith('--')
          ? `hostname: unrecognized option '${letter}'\n`
          : `hostname: invalid option -- '${letter}'\n`,
      );
      proc.stdout.write(HOSTNAME_USAGE);
      return 255;
    } else {
      // sethostname(2): tcplab's hosts keep the name they were made with.
      proc.stderr.write('hostname: you must be root to change the host name\n');
      return 1;
    }
  }
  switch (mode) {
    case 'name':
      proc.stdout.write(`${host.name}\n`);
      return 0;
    case 'd':
      proc.stdout.write('\n');
      return 0;
    case 'I': {
      let out = '';
      for (const d of host.interfaces) {
        if (d.kind === 'loopback' || !d.up) continue;
        for (const a of d.addresses) out += `${formatIpv4Address(a.address)} `;
      }
      proc.stdout.write(`${out}\n`);
      return 0;
    }
    case 'i': {
      const a = host.etcHosts.get(host.name);
      if (a === undefined) {
        proc.stderr.write('hostname: Name or service not known\n');
        return 1;
      }
      proc.stdout.write(`${formatIpv4Address(a)}\n`);
      return 0;
    }
  }
}

const LEVELS = KMSG_LEVELS;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3) without its newline, in UTC (the lab's time zone). */
function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}

export async function dmesgCommand(proc: Proc): Promise<number> {
  const args = proc.argv.slice(1);
  let clearAfter = false;
  let clearOnly = false;
  let wall = false;
  let prefix = false;
  let levels: Set<KmsgLevel> | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--read-clear') clearAfter = true;
    else if (a === '-C' || a === '--clear') clearOnly = true;
    else if (a === '-T' || a === '--ctime') wall = true;
    else if (a === '-x' || a === '--decode') prefix = true;
    else if (a === '-H' || a === '--human' || a === '-L' || a === '-w' || a === '-k') continue;
    else if (a === '-l' || a.startsWith('--level')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      levels = new Set();
      for (const l of (v ?? '').split(',')) {
        if (!LEVELS.includes(l as KmsgLevel)) {
          proc.stderr.write(`dmesg: unknown level '${l}'\n`);
          return 1;
        }
        levels.add(l as KmsgLevel);
      }
    } else if (a.startsWith('--')) {
      proc.stderr.write(
        `dmesg: unrecognized option '${a}'\nTry 'dmesg --help' for more information.\n`,
      );
      return 1;
    } else {
      proc.stderr.write(
        `dmesg: invalid option -- '${a.slice(1, 2)}'\nTry 'dmesg --help' for more information.\n`,
      );
      return 1;
    }
  }
  const kmsg = proc.host.kmsg;
  if (clearOnly) {
    kmsg.clear();
    return 0;
  }
  const boot = proc.wallClock().seconds - Math.floor(proc.now / NS_PER_S);
  let out = '';
  for (const r of kmsg.records) {
    if (levels !== undefined && !levels.has(r.level)) continue;
    const pre = prefix ? `kern  :${r.level.padEnd(6)}: ` : '';
    if (wall) {
      out += `${pre}[${ctime(boot + Math.floor(r.time / NS_PER_S))}] ${r.text}\n`;
    } else {
      const sec = Math.floor(r.time / NS_PER_S);
      const usec = Math.floor((r.time % NS_PER_S) / NS_PER_US);
      out += `${pre}[${String(sec).padStart(5)}.${String(usec).padStart(6, '0')}] ${r.text}\n`;
    }
  }
  proc.stdout.write(out);
  if (clearAfter) kmsg.clear();
  return 0;
}

const PS_USAGE =
  '\nUsage:\n ps [options]\n\n' +
  " Try 'ps --help <simple|list|output|threads|misc|all>'\n" +
  "  or 'ps --help <s|l|o|t|m|a>'\n for additional help text.\n\n" +
  'For more details see ps(1).\n';

export async function psCommand(proc: Proc): Promise<number> {
  const args = proc.argv.slice(1);
  let format: 'default' | 'u' | 'f' = 'default';
  let pids: number[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (/^[aux]+$/.test(a)) {
      // BSD options: `aux`, `ax`, `x`, `u`.
      if (a.includes('u')) format = 'u';
    } else if (a === '-e' || a === '-A' || a === '-a' || a === '-x') continue;
    else if (/^-[eAf]+$/.test(a)) {
      if (a.includes('f')) format = 'f';
    } else if (a === '-p' || a === 'p' || a === '--pid') {
      const v = args[++i];
      if (v === undefined || !/^\d+(,\d+)*$/.test(v)) {
        proc.stderr.write(`error: list of process IDs must follow ${a}\n${PS_USAGE}`);
        return 1;
      }
      pids = v.split(',').map(Number);
    } else if (a.startsWith('-')) {
      proc.stderr.write(`error: unsupported SysV option\n${PS_USAGE}`);
      return 1;
    } else {
      proc.stderr.write(`error: unsupported option (BSD syntax)\n${PS_USAGE}`);
      return 1;
    }
  }
  const list: ProcessInfo[] = [...proc.system.processes(proc.host)]
    .filter((p) => p.exitStatus === undefined)
    .filter((p) => pids === undefined || pids.includes(p.pid))
    .sort((a, b) => a.pid - b.pid);
  const boot = new Date((proc.wallClock().seconds - Math.floor(proc.now / NS_PER_S)) * 1000);
  const start = `${String(boot.getUTCHours()).padStart(2, '0')}:${String(boot.getUTCMinutes()).padStart(2, '0')}`;
  const tty = (p: ProcessInfo): string =>
    p.pid === proc.pid && proc.stdout.isTerminal ? 'pts/0' : '?';
  let out = '';
  if (format === 'default') {
    out += '  PID TTY          TIME CMD\n';
    for (const p of list) {
      out += `${String(p.pid).padStart(5)} ${tty(p).padEnd(8)} 00:00:00 ${p.comm}\n`;
    }
  } else if (format === 'u') {
    out += 'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n';
    for (const p of list) {
      const stat = p.pid === proc.pid ? 'R' : 'S';
      out +=
        `root     ${String(p.pid).padStart(5)}  0.0  0.0      0     0 ${tty(p).padEnd(8)} ` +
        `${stat.padEnd(4)} ${start}   0:00 ${p.argv.join(' ')}\n`;
    }
  } else {
    out += 'UID        PID  PPID  C STIME TTY          TIME CMD\n';
    for (const p of list) {
      out +=
        `root     ${String(p.pid).padStart(5)} ${String(p.ppid).padStart(5)}  0 ${start} ` +
        `${tty(p).padEnd(8)} 00:00:00 ${p.argv.join(' ')}\n`;
    }
  }
  proc.stdout.write(out);
  return 0;
}
