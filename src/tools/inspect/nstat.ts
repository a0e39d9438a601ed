/**
 * `nstat` (iproute2 6.1, misc/nstat.c): the kernel's SNMP and MIB counters,
 * `%-32s%-16llu%6.1f` per line after `#kernel` (the reference files
 * linux-traces/*\/nstat-*.txt). `-a` ignores the history (absolute values),
 * `-z` shows zeros too, `-s` does not update the history, `-r` resets it,
 * `-n` updates it without printing; patterns (shell globs) select counters.
 * Without -a the values are the increments since the history file
 * /tmp/.nstat.u0 (root's; $NSTAT_HISTORY overrides it) was written, as the
 * real one keeps it. The rate column is 0.0: tcplab keeps no rate averages.
 */

import { FsError } from '../../os/fs.js';
import { counterSource } from '../../os/mib.js';
import { NSTAT_NAMES } from '../../os/mib-names.js';
import type { Proc } from '../../os/process.js';
import { getoptLong } from '../getopt.js';
import { NSTAT_USAGE } from './usage.js';

const OPTS = {
  short: 'h?vVzrnasd:t:jp',
  long: [
    { name: 'help', hasArg: false, key: 'h' },
    { name: 'ignore', hasArg: false, key: 'a' },
    { name: 'zeros', hasArg: false, key: 'z' },
    { name: 'reset', hasArg: false, key: 'r' },
    { name: 'nooutput', hasArg: false, key: 'n' },
    { name: 'noupdate', hasArg: false, key: 's' },
    { name: 'version', hasArg: false, key: 'V' },
    { name: 'json', hasArg: false, key: 'j' },
    { name: 'pretty', hasArg: false, key: 'p' },
    { name: 'scan', hasArg: true, key: 'd' },
    { name: 'interval', hasArg: true, key: 't' },
  ],
} as const;

/** A glob of nstat's patterns (fnmatch without flags). */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

export async function nstatCommand(proc: Proc): Promise<number> {
  const parsed = getoptLong(proc.argv.slice(1), OPTS);
  if (!parsed.ok) {
    proc.stderr.write(`nstat: ${parsed.error.message}\n${NSTAT_USAGE}`);
    return 255;
  }
  let ignoreHistory = false;
  let zeros = false;
  let reset = false;
  let noOutput = false;
  let noUpdate = false;
  let json = false;
  for (const o of parsed.args.options) {
    switch (o.key) {
      case 'a':
        ignoreHistory = true;
        break;
      case 'z':
        zeros = true;
        break;
      case 'r':
        reset = true;
        break;
      case 'n':
        noOutput = true;
        break;
      case 's':
        noUpdate = true;
        break;
      case 'j':
        json = true;
        break;
      case 'h':
      case '?':
        proc.stderr.write(NSTAT_USAGE);
        return 255;
      case 'V':
        proc.stdout.write('nstat utility, iproute2-6.1.0\n');
        return 0;
      default:
        break;
    }
  }
  const c = counterSource(proc.host);
  const values: [string, number][] = [];
  for (const name of NSTAT_NAMES) {
    if (name === 'TcpActiveOpens') values.push(...c.icmpMsg);
    values.push([name, c.get(name)]);
  }
  const historyPath = proc.env.NSTAT_HISTORY ?? '/tmp/.nstat.u0';
  const history = new Map<string, number>();
  if (!ignoreHistory && !reset) {
    const text = proc.fs.readText(historyPath, proc.cwd);
    if (!(text instanceof FsError)) {
      for (const line of text.split('\n')) {
        const m = /^(\S+)\s+(\d+)/.exec(line);
        if (m !== null && !line.startsWith('#')) history.set(m[1]!, Number(m[2]));
      }
    }
  }
  const patterns = parsed.args.operands;
  const shown: [string, number][] = [];
  for (const [name, v] of values) {
    if (patterns.length > 0 && !patterns.some((p) => globMatch(p, name))) continue;
    const delta = ignoreHistory ? v : v - (history.get(name) ?? 0);
    if (!zeros && delta === 0) continue;
    shown.push([name, delta]);
  }
  if (!noOutput) {
    if (json) {
      const body = shown.map(([n, v]) => `"${n}":${v}`).join(',');
      proc.stdout.write(`{"kernel":{${body}}}\n`);
    } else {
      let out = '#kernel\n';
      for (const [n, v] of shown)
        out += `${n.padEnd(32)}${String(v).padEnd(16)}${'0.0'.padStart(6)}\n`;
      proc.stdout.write(out);
    }
  }
  if (!noUpdate) {
    let text = '#kernel\n';
    for (const [n, v] of values) text += `${n} ${v} 0.0\n`;
    proc.fs.writeFile(historyPath, text, { cwd: proc.cwd });
  }
  return 0;
}
