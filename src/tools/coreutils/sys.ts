/**
 * The other small commands: echo, printf, true, false, sleep (virtual
 * time), date (the lab's wall clock, UTC), seq, ls, rm, touch, mkdir, env,
 * which, pwd. coreutils 9.1 (which: debianutils) messages in the C locale.
 */

import { FsError } from '../../os/fs.js';
import { type Command, type Proc, SIGNALS, type Signal } from '../../os/process.js';
import { echoEscapes, formatPrintf } from '../../shell/builtins.js';
import { cFloat } from '../../shell/c-format.js';
import { commandName, commandPath } from '../../shell/shell.js';
import { MAX_TIME, NS_PER_S } from '../../sim/time.js';
import { options, progName, usage, write } from './common.js';

/** echo (src/echo.c): -n, -e, -E as bash's builtin. */
export const echo: Command = async (proc) => {
  const args = proc.argv.slice(1);
  let newline = true;
  let escapes = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (!/^-[neE]+$/.test(a)) break;
    for (const c of a.slice(1)) {
      if (c === 'n') newline = false;
      else escapes = c === 'e';
    }
  }
  let text = args.slice(i).join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = echoEscapes(text);
  }
  return write(proc, progName(proc, 'echo'), newline ? `${text}\n` : text) ? 0 : 1;
};

/** printf (src/printf.c). */
export const printf: Command = async (proc) => {
  const name = progName(proc, 'printf');
  const args = proc.argv.slice(1);
  if (args.length === 0) return usage(proc, name, 'missing operand');
  let status = 0;
  // What was formatted before a message is written before it (error() flushes stdout).
  const end = formatPrintf(args[0] as string, args.slice(1), {
    quoting: 'coreutils',
    flushBeforeError: true,
    onError: (arg, why) => {
      const what =
        why === 'invalid' ? 'expected a numeric value' : 'value not completely converted';
      proc.stderr.write(`${name}: '${arg}': ${what}\n`);
      status = 1;
    },
    emit: (t) => {
      if (t !== '') proc.stdout.write(t);
    },
    onInvalid: (message) => {
      proc.stderr.write(`${name}: ${message}\n`);
      status = 1;
    },
  });
  // printf.c: \c exits at once, with success.
  if (end === 'cut') status = 0;
  return write(proc, name, '') ? status : 1;
};

export const trueCommand: Command = async () => 0;
export const falseCommand: Command = async () => 1;

/**
 * A time interval as sleep and timeout take it (xstrtod, then one of the
 * suffixes s, m, h, d): seconds, Infinity for `inf`; undefined when invalid.
 */
function timeInterval(text: string): number | undefined {
  // xstrtod accepts what strtod does: decimals, exponents, "inf"; then one suffix letter.
  const m = /^\s*([+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[+]?inf(?:inity)?)([smhd]?)$/i.exec(
    text,
  );
  if (m === null) return undefined;
  const v = /inf/i.test(m[1] as string) ? Number.POSITIVE_INFINITY : Number(m[1]);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return v * mult;
}

/** sleep (src/sleep.c): the sum of its arguments, each a number with an optional s, m, h or d suffix. */
export const sleep: Command = async (proc) => {
  const name = progName(proc, 'sleep');
  const o = options(proc, name, '');
  if (typeof o === 'number') return o;
  if (o.operands.length === 0) return usage(proc, name, 'missing operand');
  let seconds = 0;
  let bad = false;
  for (const a of o.operands) {
    const v = timeInterval(a);
    if (v === undefined) {
      proc.stderr.write(`${name}: invalid time interval '${a}'\n`);
      bad = true;
      continue;
    }
    seconds += v;
  }
  if (bad) return usage(proc, name, undefined);
  // Virtual time ends at 2^53 ns (about 104 days): a longer sleep lasts until then.
  const ns = Math.min(Math.round(seconds * NS_PER_S), MAX_TIME - proc.now - 1);
  await proc.sleep(Math.max(0, ns));
  return 0;
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const p2 = (n: number): string => String(n).padStart(2, '0');

/** strftime(3) in the C locale and UTC, with GNU date's %N and %:z. */
export function strftime(format: string, seconds: number, nanoseconds: number): string {
  const d = new Date(seconds * 1000);
  const Y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  const day = d.getUTCDate();
  const H = d.getUTCHours();
  const M = d.getUTCMinutes();
  const S = d.getUTCSeconds();
  const wd = d.getUTCDay();
  const yday = Math.floor((Date.UTC(Y, mo, day) - Date.UTC(Y, 0, 1)) / 86_400_000) + 1;
  return format.replace(
    /%([-_0^#]?)(:?)([a-zA-Z%+])/g,
    (all, flag: string, colon: string, c: string) => {
      let v: string;
      switch (c) {
        case 'a':
          v = DAYS[wd] as string;
          break;
        case 'A':
          v = DAYS_LONG[wd] as string;
          break;
        case 'b':
        case 'h':
          v = MONTHS[mo] as string;
          break;
        case 'B':
          v = MONTHS_LONG[mo] as string;
          break;
        case 'c':
          v = `${DAYS[wd]} ${MONTHS[mo]} ${String(day).padStart(2)} ${p2(H)}:${p2(M)}:${p2(S)} ${Y}`;
          break;
        case 'C':
          v = p2(Math.floor(Y / 100));
          break;
        case 'd':
          v = p2(day);
          break;
        case 'D':
          v = `${p2(mo + 1)}/${p2(day)}/${p2(Y % 100)}`;
          break;
        case 'e':
          v = String(day).padStart(2);
          break;
        case 'F':
          v = `${Y}-${p2(mo + 1)}-${p2(day)}`;
          break;
        case 'H':
          v = p2(H);
          break;
        case 'I':
          v = p2(H % 12 === 0 ? 12 : H % 12);
          break;
        case 'j':
          v = String(yday).padStart(3, '0');
          break;
        case 'k':
          v = String(H).padStart(2);
          break;
        case 'l':
          v = String(H % 12 === 0 ? 12 : H % 12).padStart(2);
          break;
        case 'm':
          v = p2(mo + 1);
          break;
        case 'M':
          v = p2(M);
          break;
        case 'n':
          v = '\n';
          break;
        case 'N':
          v = String(nanoseconds).padStart(9, '0');
          break;
        case 'p':
          v = H < 12 ? 'AM' : 'PM';
          break;
        case 'P':
          v = H < 12 ? 'am' : 'pm';
          break;
        case 'r':
          v = `${p2(H % 12 === 0 ? 12 : H % 12)}:${p2(M)}:${p2(S)} ${H < 12 ? 'AM' : 'PM'}`;
          break;
        case 'R':
          v = `${p2(H)}:${p2(M)}`;
          break;
        case 's':
          v = String(seconds);
          break;
        case 'S':
          v = p2(S);
          break;
        case 't':
          v = '\t';
          break;
        case 'T':
          v = `${p2(H)}:${p2(M)}:${p2(S)}`;
          break;
        case 'u':
          v = String(wd === 0 ? 7 : wd);
          break;
        case 'w':
          v = String(wd);
          break;
        case 'x':
          v = `${p2(mo + 1)}/${p2(day)}/${p2(Y % 100)}`;
          break;
        case 'X':
          v = `${p2(H)}:${p2(M)}:${p2(S)}`;
          break;
        case 'y':
          v = p2(Y % 100);
          break;
        case 'Y':
          v = String(Y);
          break;
        case 'z':
          v = colon === ':' ? '+00:00' : '+0000';
          break;
        case 'Z':
          v = 'UTC';
          break;
        case '+':
          v = `${DAYS[wd]} ${MONTHS[mo]} ${String(day).padStart(2)} ${p2(H)}:${p2(M)}:${p2(S)} UTC ${Y}`;
          break;
        case '%':
          v = '%';
          break;
        default:
          return all;
      }
      if (flag === '-') v = v.replace(/^[0 ]+(?=.)/, '');
      else if (flag === '_') v = v.replace(/^0+(?=.)/, (z) => ' '.repeat(z.length));
      else if (flag === '^') v = v.toUpperCase();
      return v;
    },
  );
}

/** date (src/date.c): the lab's wall clock in UTC (the hosts have no time zone). */
export const date: Command = async (proc) => {
  const name = progName(proc, 'date');
  const o = options(proc, name, 'uRI::d:', [
    { name: 'utc', hasArg: false, key: 'u' },
    { name: 'universal', hasArg: false, key: 'u' },
    { name: 'rfc-email', hasArg: false, key: 'R' },
    { name: 'date', hasArg: true, key: 'd' },
  ]);
  if (typeof o === 'number') return o;
  const now = proc.wallClock();
  let seconds = now.seconds;
  let nanos = now.nanoseconds;
  let format = '%a %b %e %H:%M:%S %Z %Y';
  for (const opt of o.options) {
    if (opt.key === 'R') format = '%a, %d %b %Y %H:%M:%S %z';
    else if (opt.key === 'I') format = '%Y-%m-%d';
    else if (opt.key === 'd') {
      const v = opt.value ?? '';
      const m = /^@(-?\d+)$/.exec(v.trim());
      if (m !== null) {
        seconds = Number(m[1]);
        nanos = 0;
      } else if (v.trim() !== 'now' && v.trim() !== '') {
        proc.stderr.write(`${name}: invalid date '${v}'\n`);
        return 1;
      }
    }
  }
  for (const operand of o.operands) {
    if (!operand.startsWith('+')) {
      proc.stderr.write(`${name}: invalid date '${operand}'\n`);
      return 1;
    }
  }
  if (o.operands.length > 1) return usage(proc, name, `extra operand '${o.operands[1]}'`);
  if (o.operands[0] !== undefined) format = o.operands[0].slice(1);
  return write(proc, name, `${strftime(format, seconds, nanos)}\n`) ? 0 : 1;
};

/** seq (src/seq.c): FIRST, INCREMENT, LAST; -s SEP, -w; decimals as the widest argument has. */
export const seq: Command = async (proc) => {
  const name = progName(proc, 'seq');
  const argv = proc.argv.slice(1);
  // Negative numbers are operands, not options (seq treats -1 as a number).
  let sep = '\n';
  let equalWidth = false;
  let format: string | undefined;
  const nums: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-s' || a === '-f') {
      const v = argv[++i];
      if (v === undefined) return usage(proc, name, `option requires an argument -- '${a[1]}'`);
      if (a === '-s') sep = v;
      else format = v;
      continue;
    }
    if (/^-[sf]./.test(a)) {
      if (a[1] === 's') sep = a.slice(2);
      else format = a.slice(2);
      continue;
    }
    if (a.startsWith('--separator=')) {
      sep = a.slice('--separator='.length);
      continue;
    }
    if (a.startsWith('--format=')) {
      format = a.slice('--format='.length);
      continue;
    }
    if (a === '-w' || a === '--equal-width') {
      equalWidth = true;
      continue;
    }
    if (/^-[^\d.]/.test(a)) return usage(proc, name, `invalid option -- '${a[1]}'`);
    nums.push(a);
  }
  if (format !== undefined) {
    // seq.c validate_format: one floating conversion, %% aside.
    const directives = format.replace(/%%/g, '').match(/%[-+ #0']*\d*(?:\.\d*)?[a-zA-Z]?/g) ?? [];
    if (directives.length === 0) {
      proc.stderr.write(`${name}: format '${format}' has no % directive\n`);
      return 1;
    }
    if (directives.length > 1) {
      proc.stderr.write(`${name}: format '${format}' has too many % directives\n`);
      return 1;
    }
    const conv = directives[0]!.slice(-1);
    if (!/[eEfFgG]/.test(conv)) {
      proc.stderr.write(`${name}: format '${format}' has unknown %${conv} directive\n`);
      return 1;
    }
    if (equalWidth) {
      return usage(
        proc,
        name,
        'format string may not be specified when printing equal width strings',
      );
    }
  }
  if (nums.length === 0) return usage(proc, name, 'missing operand');
  if (nums.length > 3) return usage(proc, name, `extra operand '${nums[3]}'`);
  for (const n of nums) {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(n)) {
      return usage(proc, name, `invalid floating point argument: '${n}'`);
    }
  }
  const [first, inc, last] =
    nums.length === 1 ? ['1', '1', nums[0]] : nums.length === 2 ? [nums[0], '1', nums[1]] : nums;
  const decimals = Math.max(...[first, inc].map((x) => ((x as string).split('.')[1] ?? '').length));
  const f = Number(first);
  const st = Number(inc);
  const l = Number(last);
  if (st === 0) {
    proc.stderr.write(`${name}: invalid Zero increment value: '${inc}'\n`);
    return usage(proc, name, undefined);
  }
  const text = (v: number): string => {
    if (format === undefined) return v.toFixed(decimals);
    // The one directive through C's printf, the rest of the format as it is.
    return format.replace(
      /%%|%([-+ #0']*)(\d*)(?:\.(\d*))?([eEfFgG])/g,
      (m, flags: string, w: string, p, c: string) => {
        if (m === '%%') return '%';
        let t = cFloat(c, v, p === undefined ? undefined : Number(p || 0), flags.includes('#'));
        if (!t.startsWith('-')) {
          if (flags.includes('+')) t = `+${t}`;
          else if (flags.includes(' ')) t = ` ${t}`;
        }
        const width = Number(w || 0);
        if (t.length >= width) return t;
        if (flags.includes('-')) return t.padEnd(width);
        if (flags.includes('0') && Number.isFinite(v)) {
          const sign = /^[-+ ]/.test(t) ? t[0]! : '';
          return sign + t.slice(sign.length).padStart(width - sign.length, '0');
        }
        return t.padStart(width);
      },
    );
  };
  const count = st > 0 ? Math.floor((l - f) / st + 1e-9) + 1 : Math.floor((f - l) / -st + 1e-9) + 1;
  if (count > MAX_SEQ_NUMBERS) {
    // Everything is made between two events of the simulation.
    proc.stderr.write(`${name}: tcplab's seq prints at most ${MAX_SEQ_NUMBERS} numbers\n`);
    return 1;
  }
  const out: string[] = [];
  for (let k = 0; ; k++) {
    const v = f + k * st;
    if (st > 0 ? v > l + 1e-12 : v < l - 1e-12) break;
    out.push(text(v));
  }
  if (equalWidth) {
    // seq.c: the width of the widest of the numbers and the last operand.
    const w = Math.max(text(l).length, ...out.map((x) => x.length));
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as string;
      out[i] = x.startsWith('-') ? `-${x.slice(1).padStart(w - 1, '0')}` : x.padStart(w, '0');
    }
  }
  if (out.length === 0) return 0;
  return write(proc, name, `${out.join(sep)}\n`) ? 0 : 1;
};

/** The most numbers seq makes (its output is made at once, in memory). */
const MAX_SEQ_NUMBERS = 10_000_000;

/** ls (src/ls.c), a subset: names, -1, -a, -A, -d, -l (sizes; no times are kept), columns on a terminal. */
export const ls: Command = async (proc) => {
  const name = progName(proc, 'ls');
  const o = options(proc, name, '1aAdlF', [{ name: 'all', hasArg: false, key: 'a' }], 2);
  if (typeof o === 'number') return o;
  const f = new Set(o.options.map((x) => x.key));
  const targets = o.operands.length === 0 ? ['.'] : o.operands;
  let status = 0;
  const fileArgs: string[] = [];
  const dirArgs: string[] = [];
  for (const t of targets) {
    const k = proc.fs.stat(t, proc.cwd);
    if (k instanceof FsError) {
      proc.stderr.write(`${name}: cannot access '${t}': ${k.message}\n`);
      status = 2;
      continue;
    }
    if (k === 'directory' && !f.has('d')) dirArgs.push(t);
    else fileArgs.push(t);
  }
  const size = (path: string): number => {
    const d = proc.fs.readFile(path, proc.cwd);
    return d instanceof FsError ? 0 : d.length;
  };
  const render = (names: string[], dir: string | undefined): string => {
    const full = (n: string): string =>
      dir === undefined ? n : dir === '/' ? `/${n}` : `${dir}/${n}`;
    if (f.has('l')) {
      let total = 0;
      const rows = names.map((n) => {
        const isDir = proc.fs.stat(full(n), proc.cwd) === 'directory';
        const sz = isDir ? 4096 : size(full(n));
        total += Math.ceil(sz / 4096) * 4;
        return { n, isDir, sz };
      });
      const w = Math.max(1, ...rows.map((r) => String(r.sz).length));
      let out = dir === undefined ? '' : `total ${total}\n`;
      for (const r of rows) {
        const mode = r.isDir ? 'drwxr-xr-x' : '-rw-r--r--';
        out += `${mode} ${r.isDir ? 2 : 1} root root ${String(r.sz).padStart(w)} Jan  1 00:00 ${r.n}\n`;
      }
      return out;
    }
    if (f.has('1') || !proc.stdout.isTerminal) return names.map((n) => `${n}\n`).join('');
    return columns(names, 80);
  };
  let out = '';
  if (fileArgs.length > 0) out += render(fileArgs.sort(), undefined);
  const many = targets.length > 1;
  dirArgs.sort().forEach((d, i) => {
    let names = proc.fs.list(d, proc.cwd);
    if (names instanceof FsError) {
      proc.stderr.write(`${name}: cannot open directory '${d}': ${names.message}\n`);
      status = 2;
      return;
    }
    if (!f.has('a') && !f.has('A')) names = names.filter((n) => !n.startsWith('.'));
    if (f.has('a')) names = ['.', '..', ...names];
    if (many) out += `${out === '' && i === 0 && fileArgs.length === 0 ? '' : '\n'}${d}:\n`;
    out += render(names, d);
  });
  write(proc, name, out);
  return status;
};

/** ls's vertical columns (print_many_per_line): as many as fit the width, two spaces apart. */
function columns(names: string[], width: number): string {
  if (names.length === 0) return '';
  for (let cols = names.length; cols >= 1; cols--) {
    const rows = Math.ceil(names.length / cols);
    const widths: number[] = [];
    for (let c = 0; c < cols; c++) {
      const col = names.slice(c * rows, (c + 1) * rows);
      if (col.length === 0) continue;
      widths.push(Math.max(...col.map((n) => n.length)) + 2);
    }
    const total = widths.reduce((a, b) => a + b, 0) - 2;
    if (total < width || cols === 1) {
      let out = '';
      for (let r = 0; r < rows; r++) {
        let line = '';
        for (let c = 0; c < widths.length; c++) {
          const n = names[c * rows + r];
          if (n === undefined) continue;
          const last = c === widths.length - 1 || names[(c + 1) * rows + r] === undefined;
          line += last ? n : n.padEnd(widths[c] as number);
        }
        out += `${line}\n`;
      }
      return out;
    }
  }
  return names.map((n) => `${n}\n`).join('');
}

/** rm (src/rm.c): files; -f ignores missing ones; directories are refused (no -r here). */
export const rm: Command = async (proc) => {
  const name = progName(proc, 'rm');
  const o = options(proc, name, 'firRv', [{ name: 'force', hasArg: false, key: 'f' }]);
  if (typeof o === 'number') return o;
  const force = o.options.some((x) => x.key === 'f');
  if (o.operands.length === 0) return force ? 0 : usage(proc, name, 'missing operand');
  let status = 0;
  for (const t of o.operands) {
    const r = proc.fs.unlink(t, proc.cwd);
    if (r instanceof FsError) {
      if (force && r.errno === 'ENOENT') continue;
      proc.stderr.write(`${name}: cannot remove '${t}': ${r.message}\n`);
      status = 1;
    }
  }
  return status;
};

/** touch (src/touch.c): creates missing files. */
export const touch: Command = async (proc) => {
  const name = progName(proc, 'touch');
  const o = options(proc, name, 'acm');
  if (typeof o === 'number') return o;
  if (o.operands.length === 0) return usage(proc, name, 'missing file operand');
  let status = 0;
  for (const t of o.operands) {
    if (proc.fs.stat(t, proc.cwd) === 'directory') continue;
    const r = proc.fs.writeFile(t, '', { cwd: proc.cwd, append: true });
    if (r instanceof FsError) {
      proc.stderr.write(`${name}: cannot touch '${t}': ${r.message}\n`);
      status = 1;
    }
  }
  return status;
};

/** mkdir (src/mkdir.c): -p makes parents and accepts existing directories. */
export const mkdir: Command = async (proc) => {
  const name = progName(proc, 'mkdir');
  const o = options(proc, name, 'pv', [{ name: 'parents', hasArg: false, key: 'p' }]);
  if (typeof o === 'number') return o;
  const parents = o.options.some((x) => x.key === 'p');
  if (o.operands.length === 0) return usage(proc, name, 'missing operand');
  let status = 0;
  for (const t of o.operands) {
    const abs = t.startsWith('/') ? t : `${proc.cwd}/${t}`;
    const existing = proc.fs.stat(abs);
    if (!(existing instanceof FsError)) {
      if (parents && existing === 'directory') continue;
      proc.stderr.write(`${name}: cannot create directory '${t}': File exists\n`);
      status = 1;
      continue;
    }
    const parent = abs.replace(/\/+[^/]+\/*$/, '') || '/';
    const pk = proc.fs.stat(parent);
    if (!parents && pk !== 'directory') {
      const why = pk instanceof FsError ? pk.message : 'Not a directory';
      proc.stderr.write(`${name}: cannot create directory '${t}': ${why}\n`);
      status = 1;
      continue;
    }
    const r = proc.fs.mkdirs(abs);
    if (r instanceof FsError) {
      proc.stderr.write(`${name}: cannot create directory '${t}': ${r.message}\n`);
      status = 1;
    }
  }
  return status;
};

/** env (src/env.c): prints the environment, or runs a command with assignments added. */
export const env: Command = async (proc) => {
  const name = progName(proc, 'env');
  const argv = proc.argv.slice(1);
  const vars: Record<string, string> = { ...proc.env };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-i' || a === '-') {
      for (const k of Object.keys(vars)) delete vars[k];
      continue;
    }
    if (a === '-u') {
      delete vars[argv[++i] ?? ''];
      continue;
    }
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('-') && a.length > 1)
      return usage(proc, name, `invalid option -- '${a[1]}'`, 125);
    break;
  }
  for (; i < argv.length && /^[^=]+=/.test(argv[i] as string); i++) {
    const a = argv[i] as string;
    const eq = a.indexOf('=');
    vars[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const cmd = argv.slice(i);
  if (cmd.length === 0) {
    const out = Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
    return write(proc, name, out) ? 0 : 1;
  }
  const base = commandName(cmd[0] as string);
  const command = base === undefined ? undefined : proc.system.command(base);
  if (command === undefined) {
    proc.stderr.write(`${name}: '${cmd[0]}': No such file or directory\n`);
    return 127;
  }
  const child = spawnChild(proc, command, cmd, vars);
  // exec(2) in a real env: the child stands for this process until it exits.
  return child.exited;
};

/**
 * A child that shares this process's standard input, output and error (as
 * after fork: env and timeout run their command so), in its directory.
 */
function spawnChild(
  proc: Proc,
  command: Command,
  argv: string[],
  env: Readonly<Record<string, string>>,
): ReturnType<Proc['system']['spawn']> {
  const passOn = (out: Proc['stdout']) => ({
    write: (d: string | Uint8Array) => out.write(d),
    close: () => {},
    isTerminal: out.isTerminal,
  });
  return proc.system.spawn(proc.host, command, {
    argv,
    stdin: proc.stdin,
    stdout: passOn(proc.stdout),
    stderr: passOn(proc.stderr),
    cwd: proc.cwd,
    env,
    ppid: proc.pid,
  });
}

const TIMEOUT_TRY = "Try 'timeout --help' for more information.\n";

/** A signal as timeout -s takes it (str2sig): a name with or without SIG, or a number. */
function signalNamed(text: string): Signal | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return (Object.keys(SIGNALS) as Signal[]).find((k) => SIGNALS[k] === n);
  }
  const full = (text.startsWith('SIG') ? text : `SIG${text}`) as Signal;
  return full in SIGNALS ? full : undefined;
}

/**
 * timeout (coreutils 9.1 src/timeout.c): runs COMMAND, and sends it SIGNAL
 * (TERM) after DURATION (0: never); 124 when it had to, unless
 * --preserve-status, else the command's status (125 for timeout's own
 * errors, 127 for a command not found). With -k, KILL follows after that
 * long. Signals timeout gets (INT, TERM, HUP, QUIT) go to the command. When
 * the signal is KILL, timeout sends it to its whole process group, itself
 * included, and dies of it (137), as the real one does. DEVIATION(coreutils):
 * no process group of its own (setpgid(0, 0) without --foreground). Typed at
 * the prompt that changes nothing (bash made the job's first process its
 * group's leader, in the foreground); where timeout is not the first process
 * of its job (a pipeline's second command, a script) the real one leaves the
 * terminal's foreground group, and a command of it reading the terminal stops.
 */
export const timeout: Command = async (proc) => {
  const name = progName(proc, 'timeout');
  const argv = proc.argv.slice(1);
  let signal: Signal = 'SIGTERM';
  let killAfter = 0;
  let preserve = false;
  let foreground = false;
  let verbose = false;
  const bad = (message: string | undefined): number => {
    proc.stderr.write(`${message === undefined ? '' : `${name}: ${message}\n`}${TIMEOUT_TRY}`);
    return 125;
  };
  const interval = (text: string): number | undefined => {
    const v = timeInterval(text);
    return v === undefined || v < 0 ? undefined : v;
  };
  // getopt_long with "+": options end at the first operand.
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const [opt, inline] = a.startsWith('--')
      ? a.split(/=(.*)/s, 2)
      : [a.slice(0, 2), a.slice(2) || undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (opt) {
      case '-s':
      case '--signal': {
        const v = value();
        if (v === undefined) return bad(`option requires an argument -- 's'`);
        const sig = signalNamed(v);
        if (sig === undefined) return bad(`'${v}': invalid signal`);
        signal = sig;
        break;
      }
      case '-k':
      case '--kill-after': {
        const v = value();
        if (v === undefined) return bad(`option requires an argument -- 'k'`);
        const secs = interval(v);
        if (secs === undefined) return bad(`invalid time interval '${v}'`);
        killAfter = secs;
        break;
      }
      case '-v':
      case '--verbose':
        verbose = true;
        break;
      case '--preserve-status':
        preserve = true;
        break;
      case '--foreground':
        foreground = true;
        break;
      default:
        return bad(
          opt!.startsWith('--') ? `unrecognized option '${opt}'` : `invalid option -- '${a[1]}'`,
        );
    }
  }
  const operands = argv.slice(i);
  if (operands.length < 2) return bad(undefined);
  const duration = interval(operands[0]!);
  if (duration === undefined) return bad(`invalid time interval '${operands[0]}'`);
  const cmd = operands.slice(1);
  const base = commandName(cmd[0]!);
  const command = base === undefined ? undefined : proc.system.command(base);
  if (command === undefined) {
    proc.stderr.write(`${name}: failed to run command '${cmd[0]}': No such file or directory\n`);
    return 127;
  }
  const child = spawnChild(proc, command, cmd, proc.env);
  let timedOut = false;
  const send = (sig: Signal): void => {
    if (verbose) {
      proc.stderr.write(`${name}: sending signal ${sig.slice(3)} to command '${cmd[0]}'\n`);
    }
    proc.system.kill(proc.host, child.pid, sig);
    // Not --foreground: kill(0, sig), its own process group: KILL takes timeout too.
    if (!foreground && sig === 'SIGKILL') proc.system.kill(proc.host, proc.pid, 'SIGKILL');
  };
  // cleanup(): what timeout is sent, the command gets.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) proc.trap(sig, send);
  const never = (secs: number): boolean => secs === 0 || !(secs * NS_PER_S < MAX_TIME - proc.now);
  if (!never(duration)) {
    void proc.sleep(Math.round(duration * NS_PER_S)).then(() => {
      if (child.exitStatus !== undefined) return;
      timedOut = true;
      send(signal);
      if (killAfter > 0 && !never(killAfter)) {
        void proc.sleep(Math.round(killAfter * NS_PER_S)).then(() => {
          if (child.exitStatus === undefined) send('SIGKILL');
        });
      }
    });
  }
  const status = await child.exited;
  if (timedOut && !preserve) return 124;
  return status;
};

/** which (debianutils): the path of each command found; 1 if one was not. */
export const which: Command = async (proc) => {
  const args = proc.argv.slice(1).filter((a) => a !== '-a' && a !== '-s');
  let status = args.length === 0 ? 1 : 0;
  let out = '';
  for (const a of args) {
    const base = commandName(a);
    if (base !== undefined && proc.system.command(base) !== undefined) {
      out += `${a.includes('/') ? a : commandPath(a)}\n`;
    } else status = 1;
  }
  proc.stdout.write(out);
  return status;
};

/** pwd (src/pwd.c). */
export const pwd: Command = async (proc) => (write(proc, 'pwd', `${proc.cwd}\n`) ? 0 : 1);
