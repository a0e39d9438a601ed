/**
 * `sysctl` (procps 4.0.2, sysctl/sysctl.c): reads and writes the host's
 * /proc/sys files, which the host's sysctl table backs (src/os/fs.ts). What
 * the real one prints, checked against fixtures/real-tools.json:
 *
 * - `sysctl NAME…`: `NAME = VALUE` (vector values keep the file's tabs);
 *   slashes are accepted for dots (`net/ipv4/tcp_fin_timeout`); a directory
 *   prints every key below it; `-n` values only, `-N` names only;
 * - `sysctl -w NAME=VALUE…` and plain `NAME=VALUE`: write, then print
 *   `NAME = VALUE` as given (`-q` quiet); `-w NAME` alone is
 *   `sysctl: command line(0): invalid syntax, continuing...`;
 * - `-a`: every key, sorted by path component (procps walks /proc/sys);
 * - `-p [FILE]`: `NAME = VALUE` lines of a file (default /etc/sysctl.conf;
 *   `#` and `;` comments), applied as -w;
 * - a missing key: `sysctl: cannot stat /proc/sys/…: No such file or
 *   directory`, exit 1 (`-e` ignores it); a refused value: `sysctl: setting
 *   key "NAME": Invalid argument`, exit 1. `net.ipv4.tcp_tw_recycle` is
 *   missing as on any kernel since 4.12;
 * - `-h` and an unknown option print the usage on stdout and exit 0; no
 *   argument prints it on stderr and exits 1.
 */

import { FsError } from '../../os/fs.js';
import type { Proc } from '../../os/process.js';
import { getoptLong } from '../getopt.js';
import { SYSCTL_USAGE } from './usage.js';

const OPTS = {
  short: 'bneNwfp::qoxaArlXdhVe',
  long: [
    { name: 'all', hasArg: false, key: 'a' },
    { name: 'binary', hasArg: false, key: 'b' },
    { name: 'ignore', hasArg: false, key: 'e' },
    { name: 'names', hasArg: false, key: 'N' },
    { name: 'values', hasArg: false, key: 'n' },
    { name: 'load', hasArg: false, key: 'p' },
    { name: 'quiet', hasArg: false, key: 'q' },
    { name: 'write', hasArg: false, key: 'w' },
    { name: 'help', hasArg: false, key: 'h' },
    { name: 'version', hasArg: false, key: 'V' },
  ],
} as const;

interface Mode {
  names: boolean;
  values: boolean;
  quiet: boolean;
  ignore: boolean;
  binary: boolean;
}

/** `net/ipv4/x` or `net.ipv4.x` → `net.ipv4.x`. */
function dotted(name: string): string {
  return name.replaceAll('/', '.');
}

function path(name: string): string {
  return `/proc/sys/${dotted(name).replaceAll('.', '/')}`;
}

/** Sorted as a walk of /proc/sys with sorted directories would list them. */
function componentSort(keys: string[]): string[] {
  return keys.sort((a, b) => {
    const pa = a.split('.');
    const pb = b.split('.');
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
    }
    return pa.length - pb.length;
  });
}

export async function sysctlCommand(proc: Proc): Promise<number> {
  // getopt's optional argument of -p is attached (`-pFILE`); a separate word is an operand.
  const argv = proc.argv.slice(1);
  const parsed = getoptLong(argv, { short: OPTS.short.replace('p::', 'p'), long: OPTS.long });
  if (!parsed.ok) {
    proc.stderr.write(`sysctl: ${parsed.error.message}\n`);
    proc.stdout.write(SYSCTL_USAGE);
    return 0;
  }
  const mode: Mode = { names: false, values: false, quiet: false, ignore: false, binary: false };
  let write = false;
  let all = false;
  let load = false;
  for (const o of parsed.args.options) {
    switch (o.key) {
      case 'n':
        mode.values = true;
        break;
      case 'N':
        mode.names = true;
        break;
      case 'b':
        mode.values = true;
        mode.binary = true;
        break;
      case 'e':
        mode.ignore = true;
        break;
      case 'q':
        mode.quiet = true;
        break;
      case 'w':
        write = true;
        break;
      case 'p':
      case 'f':
        load = true;
        break;
      case 'a':
      case 'A':
      case 'X':
        all = true;
        break;
      case 'h':
      case 'd':
        proc.stdout.write(SYSCTL_USAGE);
        return 0;
      case 'V':
        proc.stdout.write('sysctl from procps-ng 4.0.2\n');
        return 0;
      default:
        break;
    }
  }
  const operands = parsed.args.operands;
  if (load) {
    const files = operands.length > 0 ? operands : ['/etc/sysctl.conf'];
    let rc = 0;
    for (const f of files) rc |= loadFile(proc, f, mode);
    return rc;
  }
  if (all) {
    for (const key of componentSort(proc.host.sysctl.keys())) readKey(proc, key, mode);
    return 0;
  }
  if (operands.length === 0) {
    proc.stderr.write(SYSCTL_USAGE);
    return 1;
  }
  let rc = 0;
  for (const arg of operands) {
    if (write || arg.includes('=')) {
      const eq = arg.indexOf('=');
      if (eq < 0) {
        proc.stderr.write('sysctl: command line(0): invalid syntax, continuing...\n');
        rc |= 1;
        continue;
      }
      rc |= writeKey(proc, arg.slice(0, eq).trim(), arg.slice(eq + 1).trim(), mode);
    } else {
      rc |= readKey(proc, arg, mode);
    }
  }
  return rc;
}

/** ReadSetting: a key, or every key of a directory. */
function readKey(proc: Proc, name: string, mode: Mode): number {
  const key = dotted(name);
  const table = proc.host.sysctl;
  if (!table.has(key)) {
    const below = table.keys().filter((k) => k.startsWith(`${key}.`));
    if (below.length > 0) {
      let rc = 0;
      for (const k of componentSort(below)) rc |= readKey(proc, k, mode);
      return rc;
    }
    if (mode.ignore) return 0;
    proc.stderr.write(`sysctl: cannot stat ${path(name)}: No such file or directory\n`);
    return 1;
  }
  const text = proc.fs.readText(path(key));
  if (text instanceof FsError) {
    proc.stderr.write(`sysctl: reading key "${key}": ${text.message}\n`);
    return 1;
  }
  const value = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (mode.names) proc.stdout.write(`${key}\n`);
  else if (mode.binary) proc.stdout.write(value);
  else if (mode.values) proc.stdout.write(`${value}\n`);
  else proc.stdout.write(`${key} = ${value}\n`);
  return 0;
}

/** WriteSetting. */
function writeKey(proc: Proc, name: string, value: string, mode: Mode): number {
  const key = dotted(name);
  if (!proc.host.sysctl.has(key)) {
    if (mode.ignore) return 0;
    proc.stderr.write(`sysctl: cannot stat ${path(name)}: No such file or directory\n`);
    return 1;
  }
  const r = proc.fs.writeFile(path(key), `${value}\n`);
  if (r instanceof FsError) {
    proc.stderr.write(`sysctl: setting key "${key}": ${r.message}\n`);
    return 1;
  }
  if (mode.quiet) return 0;
  if (mode.values) proc.stdout.write(`${value}\n`);
  else proc.stdout.write(`${key} = ${value}\n`);
  return 0;
}

/** Preload: `NAME = VALUE` lines. */
function loadFile(proc: Proc, file: string, mode: Mode): number {
  const text = proc.fs.readText(file, proc.cwd);
  if (text instanceof FsError) {
    if (file === '/etc/sysctl.conf' && text.errno === 'ENOENT') return 0;
    proc.stderr.write(`sysctl: cannot open "${file}": ${text.message}\n`);
    return 1;
  }
  let rc = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      proc.stderr.write(`sysctl: ${file}(${i + 1}): invalid syntax, continuing...\n`);
      rc |= 1;
      continue;
    }
    let name = line.slice(0, eq).trim();
    // A leading '-' makes errors on that key silent.
    const quietErr = name.startsWith('-');
    if (quietErr) name = name.slice(1);
    rc |= writeKey(proc, name, line.slice(eq + 1).trim(), {
      ...mode,
      ignore: mode.ignore || quietErr,
    });
  }
  return rc;
}
