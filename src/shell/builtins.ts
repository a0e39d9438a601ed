/**
 * bash's builtins (bash 5.2 builtins/*.def), with their messages and exit
 * statuses as bash prints them: `-bash: NAME: …` on standard error, 1 for a
 * failure, 2 for a usage error. They run inside the shell process.
 */

import { FsError } from '../os/fs.js';
import { SIGNALS, type Signal } from '../os/process.js';
import { cFloat } from './c-format.js';
import { Job } from './jobs.js';
import { ansiC, commandText, type FunctionDef } from './parse.js';
import type { Io, Shell } from './shell.js';
import { beginWait, commandName, commandPath, signalJob } from './shell.js';
import { type TestEnv, testCommand } from './test-command.js';

export type Builtin = (sh: Shell, argv: string[], io: Io) => Promise<number>;

/** Linux's signal numbers and names (x86; `kill -l`), bash's order and spelling. */
export const SIGNAL_NAMES: readonly (string | undefined)[] = (() => {
  const names: (string | undefined)[] = [];
  const base = [
    'HUP',
    'INT',
    'QUIT',
    'ILL',
    'TRAP',
    'ABRT',
    'BUS',
    'FPE',
    'KILL',
    'USR1',
    'SEGV',
    'USR2',
    'PIPE',
    'ALRM',
    'TERM',
    'STKFLT',
    'CHLD',
    'CONT',
    'STOP',
    'TSTP',
    'TTIN',
    'TTOU',
    'URG',
    'XCPU',
    'XFSZ',
    'VTALRM',
    'PROF',
    'WINCH',
    'IO',
    'PWR',
    'SYS',
  ];
  base.forEach((n, i) => {
    names[i + 1] = n;
  });
  // glibc: SIGRTMIN is 34 (32 and 33 are taken by NPTL); bash names 34–49 RTMIN+n, 50–64 RTMAX-n.
  for (let n = 34; n <= 64; n++) {
    if (n === 34) names[n] = 'RTMIN';
    else if (n <= 49) names[n] = `RTMIN+${n - 34}`;
    else if (n < 64) names[n] = `RTMAX-${64 - n}`;
    else names[n] = 'RTMAX';
  }
  return names;
})();

/** A signal spec (`TERM`, `SIGTERM`, `term`, `15`) → its number, or undefined. */
export function signalNumber(spec: string): number | undefined {
  if (/^\d+$/.test(spec)) {
    const n = Number(spec);
    return n === 0 || SIGNAL_NAMES[n] !== undefined ? n : undefined;
  }
  let name = spec.toUpperCase();
  if (name.startsWith('SIG')) name = name.slice(3);
  const n = SIGNAL_NAMES.indexOf(name);
  return n > 0 ? n : undefined;
}

/** The runtime's Signal for a number, if the runtime models it. */
function runtimeSignal(n: number): Signal | undefined {
  for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name as Signal;
  return undefined;
}

/** `kill -l` (bash builtins/kill.def → display_signal_list): five per line, tab-separated. */
function signalList(): string {
  let out = '';
  let column = 0;
  for (let n = 1; n <= 64; n++) {
    const name = SIGNAL_NAMES[n];
    if (name === undefined) continue;
    out += `${String(n).padStart(2)}) SIG${name}`;
    column++;
    if (column === 5) {
      out += '\n';
      column = 0;
    } else out += '\t';
  }
  if (column !== 0) out += '\n';
  return out;
}

const KILL_USAGE =
  'kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n';

const kill: Builtin = async (sh, argv, io) => {
  const args = argv.slice(1);
  let signal = 15;
  let i = 0;
  if (args.length === 0) {
    io.err.write(KILL_USAGE);
    return 2;
  }
  while (i < args.length) {
    const a = args[i] as string;
    if (a === '-l' || a === '-L') {
      const rest = args.slice(i + 1);
      if (rest.length === 0) {
        io.out.write(signalList());
        return 0;
      }
      let status = 0;
      for (const r of rest) {
        const n = signalNumber(r);
        if (/^\d+$/.test(r)) {
          // kill -l 143: an exit status names the signal that caused it.
          const num = Number(r) > 128 ? Number(r) - 128 : Number(r);
          const name = SIGNAL_NAMES[num];
          if (name === undefined) {
            sh.error(io, `kill: ${r}: invalid signal specification`);
            status = 1;
          } else io.out.write(`${name}\n`);
        } else if (n === undefined) {
          sh.error(io, `kill: ${r}: invalid signal specification`);
          status = 1;
        } else io.out.write(`${n}\n`);
      }
      return status;
    }
    if (a === '-s' || a === '-n') {
      const spec = args[i + 1];
      if (spec === undefined) {
        sh.error(io, `kill: ${a}: option requires an argument`);
        return 2;
      }
      const n = signalNumber(spec);
      if (n === undefined) {
        sh.error(io, `kill: ${spec}: invalid signal specification`);
        return 1;
      }
      signal = n;
      i += 2;
      continue;
    }
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d+$/.test(a.slice(0))) {
      const n = signalNumber(a.slice(1));
      if (n === undefined) {
        sh.error(io, `kill: ${a.slice(1)}: invalid signal specification`);
        return 1;
      }
      signal = n;
      i++;
      continue;
    }
    if (/^-\d+$/.test(a)) {
      const n = signalNumber(a.slice(1));
      if (n === undefined) {
        sh.error(io, `kill: ${a.slice(1)}: invalid signal specification`);
        return 1;
      }
      signal = n;
      i++;
      continue;
    }
    break;
  }
  const targets = args.slice(i);
  if (targets.length === 0) {
    io.err.write(KILL_USAGE);
    return 2;
  }
  const sig = runtimeSignal(signal);
  let status = 0;
  for (const t of targets) {
    if (t.startsWith('%')) {
      const job = sh.session.jobs.lookup(t);
      if ('error' in job) {
        sh.error(io, `kill: ${job.error}`);
        status = 1;
        continue;
      }
      // Observed (test/shell/fixtures/known.out, jobs.out): a running job's death by SIGKILL
      // reaches bash before its next prompt, one by SIGTERM only after it (the target has to
      // run to die); a stopped job gets SIGCONT too (jobs.c kill_pid) and is reported Stopped
      // once more before bash notices the death.
      if (sig === 'SIGKILL' && !job.stopped) job.deathSeenAtOnce = true;
      if (sig !== undefined) signalJob(sh.session, job, sig);
      if (job.stopped) job.notified = false;
      continue;
    }
    if (!/^-?\d+$/.test(t)) {
      sh.error(io, `kill: ${t}: arguments must be process or job IDs`);
      status = 1;
      continue;
    }
    const pid = Number(t);
    const exists = sh.system.process(sh.host, pid) !== undefined;
    if (!exists) {
      sh.error(io, `kill: (${pid}) - No such process`);
      status = 1;
      continue;
    }
    if (sig !== undefined) sh.system.kill(sh.host, pid, sig);
  }
  return status;
};

/** Job listing options of `jobs` (builtins/jobs.def). */
const jobs: Builtin = async (sh, argv, io) => {
  let long = false;
  let pids = false;
  let running = false;
  let stopped = false;
  const specs: string[] = [];
  for (const a of argv.slice(1)) {
    if (a.startsWith('-') && a.length > 1 && specs.length === 0) {
      for (const c of a.slice(1)) {
        if (c === 'l') long = true;
        else if (c === 'p') pids = true;
        else if (c === 'r') running = true;
        else if (c === 's') stopped = true;
        else if (c === 'n') {
          /* only changed jobs: every listed job here */
        } else if (c === 'x') {
          // jobs -x COMMAND runs COMMAND with jobspecs replaced by pids; without one, nothing.
          return 0;
        } else {
          sh.error(io, `jobs: -${c}: invalid option`);
          io.err.write('jobs: usage: jobs [-lnprs] [jobspec ...] or jobs -x command [args]\n');
          return 2;
        }
      }
    } else specs.push(a);
  }
  const table = sh.session.jobs;
  let list: Job[] = table.all.filter((j) => !j.foreground);
  let status = 0;
  if (specs.length > 0) {
    list = [];
    for (const s of specs) {
      const j = table.lookup(s);
      if ('error' in j) {
        sh.error(io, `jobs: ${j.error}`);
        status = 1;
      } else list.push(j);
    }
  }
  if (running) list = list.filter((j) => !j.ended && !j.seenStopped);
  if (stopped) list = list.filter((j) => j.seenStopped);
  for (const j of [...list].sort((a, b) => a.id - b.id)) {
    if (pids) io.out.write(`${j.pgid}\n`);
    else io.out.write(j.format(table.mark(j), long, sh.cwd));
    if (!pids && j.ended) j.reported = true;
  }
  // Listing a finished job is its notification; bash then forgets it.
  for (const j of [...table.all]) if (j.ended && j.reported && !j.foreground) table.remove(j);
  return status;
};

const fg: Builtin = async (sh, argv, io) => {
  if (!sh.interactive) {
    sh.error(io, 'fg: no job control');
    return 1;
  }
  const job = sh.session.jobs.lookup(argv[1] ?? '%+');
  if ('error' in job) {
    sh.error(io, `fg: ${job.error}`);
    return 1;
  }
  if (job.done) {
    sh.error(io, 'fg: job has terminated');
    return 1;
  }
  io.out.write(`${job.text}\n`);
  job.toForeground();
  return sh.waitForeground(job);
};

const bg: Builtin = async (sh, argv, io) => {
  if (!sh.interactive) {
    sh.error(io, 'bg: no job control');
    return 1;
  }
  const table = sh.session.jobs;
  const specs = argv.length > 1 ? argv.slice(1) : ['%+'];
  let status = 0;
  for (const spec of specs) {
    const job = table.lookup(spec);
    if ('error' in job) {
      sh.error(io, `bg: ${job.error}`);
      status = 1;
      continue;
    }
    if (job.done) {
      sh.error(io, 'bg: job has terminated');
      status = 1;
      continue;
    }
    if (!job.stopped) {
      sh.error(io, `bg: job ${job.id} already in background`);
      continue;
    }
    job.stopped = false;
    job.notified = true;
    table.makeCurrent(job);
    io.out.write(`[${job.id}]${table.mark(job)} ${job.text} &\n`);
    // A job stopped reading the terminal reads again and is stopped again (SIGTTIN).
    if (job.waitingForForeground) {
      job.stopped = true;
      job.notified = false;
    }
  }
  return status;
};

/** `wait` in a subshell: its own background children (it has no job table). */
async function waitChildren(sh: Shell, argv: string[], io: Io): Promise<number> {
  let status = 0;
  const pids = argv.slice(1).filter((a) => a !== '-n' && a !== '-f');
  if (pids.length === 0) {
    await Promise.all(sh.children.map((p) => p.exited));
    return 0;
  }
  for (const a of pids) {
    const child = sh.children.find((p) => String(p.pid) === a);
    if (child === undefined) {
      sh.error(io, `wait: pid ${a} is not a child of this shell`);
      status = 127;
      continue;
    }
    status = await child.exited;
  }
  return status;
}

const wait: Builtin = async (sh, argv, io) => {
  if (!sh.interactive) return waitChildren(sh, argv, io);
  const table = sh.session.jobs;
  const targets: Job[] = [];
  let status = 0;
  let lastMissing: number | undefined;
  for (const a of argv.slice(1)) {
    if (a === '-n' || a === '-f') continue;
    if (a.startsWith('%')) {
      const j = table.lookup(a);
      if ('error' in j) {
        sh.error(io, `wait: ${j.error}`);
        lastMissing = 127;
        continue;
      }
      targets.push(j);
      continue;
    }
    if (!/^\d+$/.test(a)) {
      sh.error(io, `wait: \`${a}': not a pid or valid job spec`);
      lastMissing = 1;
      continue;
    }
    const pid = Number(a);
    const j = table.all.find((x) => x.stages.some((p) => p.pid === pid));
    if (j === undefined) {
      const reaped = sh.session.reaped.get(pid);
      if (reaped !== undefined) {
        status = reaped;
        continue;
      }
      sh.error(io, `wait: pid ${pid} is not a child of this shell`);
      lastMissing = 127;
      continue;
    }
    targets.push(j);
  }
  const all = argv.length === 1;
  const waitFor = all ? table.all.filter((j) => !j.foreground && !j.stopped) : targets;
  const done = Promise.all(waitFor.flatMap((j) => j.stages.map((p) => p.exited)));
  let interrupted = false;
  const stop = new Promise<void>((resolve) => {
    const f = (): void => {
      interrupted = true;
      resolve();
    };
    sh.session.interruptible.add(f);
    void done.then(() => sh.session.interruptible.delete(f));
  });
  beginWait(sh.session);
  await Promise.race([done, stop]);
  sh.session.waiting = false;
  if (interrupted) return 130;
  for (const j of waitFor) {
    j.known = true;
    if (sh.interactive && !j.reported) {
      io.err.write(j.format(table.mark(j), false, sh.cwd));
      j.reported = true;
    }
    sh.session.reaped.set(j.pid, j.status);
    if (!all) status = j.status;
    table.remove(j);
  }
  if (all) return 0;
  return lastMissing ?? status;
};

function writeOut(sh: Shell, io: Io, name: string, text: string): number {
  io.out.write(text);
  const e = io.out.takeError();
  if (e !== undefined) {
    sh.error(io, `${name}: write error: ${e}`);
    return 1;
  }
  return 0;
}

/** echo (builtins/echo.def): -n, -e, -E, only when every letter is one of them. */
const echo: Builtin = async (sh, argv, io) => {
  let newline = true;
  let escapes = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!/^-[neE]+$/.test(a)) break;
    for (const c of a.slice(1)) {
      if (c === 'n') newline = false;
      else if (c === 'e') escapes = true;
      else escapes = false;
    }
  }
  let text = argv.slice(i).join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = echoEscapes(text);
  }
  return writeOut(sh, io, 'echo', newline ? `${text}\n` : text);
};

/** echo -e's escapes: like $'…' but `\0nnn` for octal. */
export function echoEscapes(s: string): string {
  return ansiC(
    s.replace(/\\0([0-7]{0,3})/g, (_m, d: string) =>
      String.fromCharCode(Number.parseInt(d || '0', 8)),
    ),
  );
}

/** Why an argument was not a number as a whole (bash and coreutils word it each their way). */
export type PrintfNumberError = 'invalid' | 'partial' | 'octal' | 'hex';

export interface PrintfOptions {
  /** `%q`: bash's backslashes (`a\ b`), or coreutils' quotes (`'a b'`). */
  readonly quoting: 'bash' | 'coreutils';
  /** An argument that was not (wholly) a number; the conversion goes on with what was read. */
  onError(arg: string, why: PrintfNumberError): void;
  /** The output of one pass over the format (bash writes each as it ends). */
  emit(text: string): void;
  /** Hand over what was formatted before each message (coreutils' error() flushes stdout first). */
  readonly flushBeforeError?: boolean;
  /**
   * A directive that is none: its message (bash: "`z': invalid format
   * character"; coreutils: "%z: invalid conversion specification"). What was
   * formatted before it is written, nothing after.
   */
  onInvalid(message: string): void;
  /** bash's `%n`: stores the count of characters written so far; false if NAME is no variable name. */
  assign?(name: string, count: number): boolean;
}

const INTMAX = (1n << 63n) - 1n;
const INTMIN = -(1n << 63n);

/**
 * strtoimax(s, &end, 0) as printf reads an integer argument: blanks, a sign,
 * 0x hex, 0 octal, decimal; `'c` or `"c` is the character's code. The value is
 * what was read (clamped to intmax_t), with the reason it stopped short.
 */
function printfInteger(s: string): { v: bigint; error?: PrintfNumberError } {
  if (s === '') return { v: 0n };
  if (s[0] === "'" || s[0] === '"') return { v: BigInt(s.codePointAt(1) ?? 0) };
  const m = /^[ \t\n\v\f\r]*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (m === null) return { v: 0n, error: 'invalid' };
  const digits = m[2]!;
  let v =
    digits.length > 1 && digits[0] === '0' && /[xX]/.test(digits[1]!)
      ? BigInt(digits)
      : digits[0] === '0'
        ? BigInt(`0o${digits}`)
        : BigInt(digits);
  if (m[1] === '-') v = -v;
  if (v > INTMAX) v = INTMAX;
  if (v < INTMIN) v = INTMIN;
  if (m[0].length === s.length) return { v };
  const why =
    /^0[xX]/.test(digits) || /^0[xX]/.test(s.slice(m[0].length - digits.length))
      ? 'hex'
      : digits[0] === '0'
        ? 'octal'
        : 'partial';
  return { v, error: why };
}

/** strtold as printf reads a floating argument: the value read, why it stopped short. */
function printfFloat(s: string): { v: number; negativeNaN: boolean; error?: PrintfNumberError } {
  if (s === '') return { v: 0, negativeNaN: false };
  if (s[0] === "'" || s[0] === '"') return { v: s.codePointAt(1) ?? 0, negativeNaN: false };
  const m =
    /^[ \t\n\v\f\r]*([-+]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][-+]?[0-9]+)?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)/i.exec(
      s,
    );
  if (m === null) return { v: 0, negativeNaN: false, error: 'invalid' };
  const body = m[2]!.toLowerCase();
  let v: number;
  if (body.startsWith('inf')) v = Number.POSITIVE_INFINITY;
  else if (body.startsWith('nan')) v = Number.NaN;
  else if (body.startsWith('0x')) {
    const h = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([-+]?\d+))?$/.exec(body)!;
    const mant = Number.parseInt(`${h[1] || '0'}${h[2]}`, 16) / 16 ** h[2]!.length;
    v = mant * 2 ** Number(h[3] ?? 0);
  } else v = Number(body);
  const negative = m[1] === '-';
  if (negative) v = -v;
  const out = { v, negativeNaN: negative && Number.isNaN(v) };
  return m[0].length === s.length ? out : { ...out, error: 'partial' };
}

/** bash's printf %q (sh_backslash_quote, or $'…' when a control character is in it). */
function bashQuote(s: string): string {
  if (s === '') return "''";
  if (/[\x00-\x1f\x7f]/.test(s)) return `$'${cEscapes(s)}'`;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/[ '"\\|&;()<>!{}*[\]?^$`,]/.test(c) || (i === 0 && (c === '~' || c === '#'))) out += '\\';
    out += c;
  }
  return out;
}

/** coreutils' printf %q (quotearg's shell-escape style). */
function coreutilsQuote(s: string): string {
  if (s === '') return "''";
  if (/[\x00-\x1f\x7f]/.test(s)) {
    // 'a'$'\n''b': quoted runs, each control character as $'…'.
    let out = "'";
    for (const c of s)
      out += /[\x00-\x1f\x7f]/.test(c) ? `'$'${cEscapes(c)}''` : c === "'" ? "'\\''" : c;
    out += "'";
    return out.endsWith("''") && out.length > 2 ? out.slice(0, -2) : out;
  }
  const special = /[ !"$&'()*;<=>?[\\^`|\t]/.test(s) || s[0] === '#' || s[0] === '~';
  if (!special) return s;
  if (s.includes("'")) {
    if (!/[$`"\\]/.test(s)) return `"${s}"`;
    return `'${s.replace(/'/g, "'\\''")}'`;
  }
  return `'${s}'`;
}

/** A control character as $'…' writes it. */
function cEscapes(s: string): string {
  const named: Record<string, string> = {
    '\x07': 'a',
    '\b': 'b',
    '\t': 't',
    '\n': 'n',
    '\v': 'v',
    '\f': 'f',
    '\r': 'r',
    '\x1b': 'E',
    "'": "'",
    '\\': '\\',
  };
  let out = '';
  for (const c of s) {
    const n = named[c];
    if (n !== undefined) out += `\\${n}`;
    else if (/[\x00-\x1f\x7f]/.test(c)) out += `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
    else out += c;
  }
  return out;
}

/**
 * printf's format (bash's builtins/printf.def and coreutils' printf.c share
 * it): escapes, %s %b %q %c, the integer conversions d i u o x X with
 * intmax_t arguments (negative ones as uintmax_t for u o x X), the floating
 * ones f F e E g G as C prints them, flags `-+ #0`, width and precision (or
 * `*`). The format is used again while arguments remain; a missing one is
 * an empty string or 0 (NUL for %c). %b's \c ends all output.
 */
export function formatPrintf(
  format: string,
  args: readonly string[],
  opts: PrintfOptions,
): 'done' | 'cut' {
  let ai = 0;
  let out = '';
  /** Characters handed over in the passes before this one (for %n). */
  let written = 0;
  const next = (): string | undefined => args[ai++];
  const error = (arg: string, why: PrintfNumberError): void => {
    if (opts.flushBeforeError && out !== '') {
      opts.emit(out);
      out = '';
    }
    opts.onError(arg, why);
  };
  const integer = (s: string | undefined): bigint => {
    if (s === undefined) return 0n;
    const r = printfInteger(s);
    if (r.error !== undefined) error(s, r.error);
    return r.v;
  };
  const small = (s: string | undefined): number => {
    const v = integer(s);
    return Number(v > 2147483647n ? 2147483647n : v < -2147483648n ? -2147483648n : v);
  };
  do {
    const startAi = ai;
    out = '';
    for (let i = 0; i < format.length; i++) {
      const c = format[i] as string;
      if (c === '\\') {
        const m = /^\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/s.exec(format.slice(i));
        const esc = m?.[0] ?? '\\';
        if (esc === '\\c') {
          // bash prints a \c of the format as it is (only %b's ends the output);
          // coreutils stops there.
          if (opts.quoting === 'bash') {
            out += esc;
            i += 1;
            continue;
          }
          opts.emit(out);
          return 'cut';
        }
        out += ansiC(esc);
        i += esc.length - 1;
        continue;
      }
      if (c !== '%') {
        out += c;
        continue;
      }
      // The `'` flag groups thousands: nothing in the C locale.
      const m =
        /^%([-+ #0']*)(\d+|\*)?(?:\.(\d+|\*)?)?(?:hh|h|ll|l|L|j|z|t)?([sdiuxXocbqfFeEgGn%])/.exec(
          format.slice(i),
        );
      // `%%` alone is a percent sign; `%` with flags before it, a conversion
      // printf lacks, %n for coreutils, or the format's end: refused there.
      const bad =
        m === null ||
        (m[4] === '%' && m[0] !== '%%') ||
        (m[4] === 'n' && opts.assign === undefined) ||
        // coreutils takes a length modifier on numbers and strings only (not %lb, %zq).
        (opts.quoting === 'coreutils' &&
          (/(?:hh|h|ll|l|L|j|z|t)[bq]$/.test(m[0]) || (m[4] === 'q' && m[0].includes('.'))));
      if (bad) {
        const spec = /^%[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?(?:hh|h|ll|l|L|j|z|t)?(.?)/s.exec(
          format.slice(i),
        ) as RegExpExecArray;
        opts.emit(out);
        if (opts.quoting === 'coreutils')
          opts.onInvalid(`${spec[0]}: invalid conversion specification`);
        else if (spec[1] === '') opts.onInvalid(`\`${spec[0]}': missing format character`);
        else opts.onInvalid(`\`${spec[1]}': invalid format character`);
        return 'done';
      }
      i += m[0].length - 1;
      let flags = m[1] ?? '';
      let width = m[2] === '*' ? small(next()) : m[2] === undefined ? 0 : Number(m[2]);
      if (width < 0) {
        flags += '-';
        width = -width;
      }
      let precision =
        m[3] === '*'
          ? small(next())
          : m[3] === undefined
            ? m[0].includes('.')
              ? 0
              : undefined
            : Number(m[3]);
      if (precision !== undefined && precision < 0) precision = undefined;
      const conv = m[4] as string;
      if (conv === '%') {
        out += '%';
        continue;
      }
      if (conv === 'n') {
        // bash's printf.def: the characters written so far, into the variable named.
        const name = next() ?? '';
        if (!opts.assign?.(name, written + [...out].length)) {
          opts.emit(out);
          opts.onInvalid(`\`${name}': not a valid identifier`);
          return 'done';
        }
        continue;
      }
      let text: string;
      let numeric = false;
      switch (conv) {
        case 's':
          text = next() ?? '';
          if (precision !== undefined) text = text.slice(0, precision);
          break;
        case 'b': {
          const arg = next() ?? '';
          const cut = arg.indexOf('\\c');
          text = echoEscapes(cut >= 0 ? arg.slice(0, cut) : arg);
          if (precision !== undefined) text = text.slice(0, precision);
          if (cut >= 0) {
            opts.emit(out + pad(text, width, flags, false));
            return 'cut';
          }
          break;
        }
        case 'q':
          text = (opts.quoting === 'bash' ? bashQuote : coreutilsQuote)(next() ?? '');
          // bash cuts the quoted text to the precision.
          if (precision !== undefined) text = text.slice(0, precision);
          break;
        case 'c':
          // The argument's first character; NUL for an empty or missing one.
          text = (next() ?? '')[0] ?? '\0';
          break;
        case 'd':
        case 'i': {
          numeric = true;
          const v = integer(next());
          text = integerDigits(v < 0n ? -v : v, 10, precision);
          text = (v < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + text;
          break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
          numeric = true;
          const v = BigInt.asUintN(64, integer(next()));
          text = integerDigits(v, conv === 'u' ? 10 : conv === 'o' ? 8 : 16, precision);
          if (conv === 'X') text = text.toUpperCase();
          if (flags.includes('#')) {
            if (conv === 'o' && !text.startsWith('0')) text = `0${text}`;
            else if (conv === 'x' && v !== 0n) text = `0x${text}`;
            else if (conv === 'X' && v !== 0n) text = `0X${text}`;
          }
          break;
        }
        default: {
          numeric = true;
          const arg = next();
          let v = 0;
          let negativeNaN = false;
          if (arg !== undefined) {
            const r = printfFloat(arg);
            if (r.error !== undefined) error(arg, r.error);
            v = r.v;
            negativeNaN = r.negativeNaN;
          }
          text = cFloat(conv, v, precision, flags.includes('#'), negativeNaN);
          if (!text.startsWith('-')) {
            if (flags.includes('+')) text = `+${text}`;
            else if (flags.includes(' ')) text = ` ${text}`;
          }
          // No zero padding for inf and nan (C pads them with blanks).
          if (!Number.isFinite(v)) numeric = false;
        }
      }
      out += pad(
        text,
        width,
        flags,
        numeric && !(precision !== undefined && /[diouxX]/.test(conv)),
      );
    }
    opts.emit(out);
    written += [...out].length;
    if (ai === startAi) break;
  } while (ai < args.length);
  return 'done';
}

/** `v`'s digits in `base`, at least `precision` of them (none for 0 with precision 0). */
function integerDigits(v: bigint, base: number, precision: number | undefined): string {
  if (v === 0n && precision === 0) return '';
  const s = v.toString(base);
  return precision !== undefined ? s.padStart(precision, '0') : s;
}

/** Pads to `width`: left-justified with `-`, with zeros after the sign and 0x with `0` where allowed. */
function pad(text: string, width: number, flags: string, zeroOk: boolean): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (zeroOk && flags.includes('0')) {
    const sign = /^[-+ ]/.test(text) ? (text[0] as string) : '';
    const prefix = /^[-+ ]?0[xX]/.test(text) ? text.slice(sign.length, sign.length + 2) : '';
    const body = text.slice(sign.length + prefix.length);
    return sign + prefix + body.padStart(width - sign.length - prefix.length, '0');
  }
  return text.padStart(width);
}

const printf: Builtin = async (sh, argv, io) => {
  const args = argv.slice(1);
  if (args[0] === '--') args.shift();
  if (args.length === 0) {
    io.err.write('printf: usage: printf [-v var] format [arguments]\n');
    return 2;
  }
  let status = 0;
  let writeFailed = false;
  // Each pass's output is written when it ends, the messages as they come.
  const end = formatPrintf(args[0] as string, args.slice(1), {
    quoting: 'bash',
    onError: (arg, why) => {
      const what =
        why === 'octal'
          ? 'invalid octal number'
          : why === 'hex'
            ? 'invalid hex number'
            : 'invalid number';
      sh.error(io, `printf: ${arg}: ${what}`);
      status = 1;
    },
    emit: (text) => {
      if (!writeFailed && text !== '' && writeOut(sh, io, 'printf', text) !== 0) writeFailed = true;
    },
    onInvalid: (message) => {
      sh.error(io, `printf: ${message}`);
      status = 1;
    },
    assign: (name, count) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
      sh.vars.set(name, String(count));
      return true;
    },
  });
  // A \c that ended the output ends printf with success, whatever came before.
  return writeFailed ? 1 : end === 'cut' ? 0 : status;
};

const cd: Builtin = async (sh, argv, io) => {
  const args = argv
    .slice(1)
    .filter((a, i) => !(i === 0 && (a === '-L' || a === '-P' || a === '--')));
  if (args.length > 1) {
    sh.error(io, 'cd: too many arguments');
    return 1;
  }
  let dir = args[0];
  let print = false;
  if (dir === undefined) {
    dir = sh.vars.get('HOME');
    if (dir === undefined) {
      sh.error(io, 'cd: HOME not set');
      return 1;
    }
  } else if (dir === '') {
    // cd.def: an empty directory operand changes nothing.
    return 0;
  } else if (dir === '-') {
    dir = sh.vars.get('OLDPWD');
    if (dir === undefined) {
      sh.error(io, 'cd: OLDPWD not set');
      return 1;
    }
    print = true;
  }
  const kind = sh.proc.fs.stat(dir, sh.cwd);
  if (kind instanceof FsError) {
    sh.error(io, `cd: ${dir}: ${kind.message}`);
    return 1;
  }
  if (kind !== 'directory') {
    sh.error(io, `cd: ${dir}: Not a directory`);
    return 1;
  }
  const names = dir.startsWith('/') ? dir : `${sh.cwd}/${dir}`;
  const parts: string[] = [];
  for (const p of names.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  sh.vars.set('OLDPWD', sh.cwd);
  sh.cwd = `/${parts.join('/')}`;
  sh.vars.set('PWD', sh.cwd);
  if (print) io.out.write(`${sh.cwd}\n`);
  return 0;
};

const pwd: Builtin = async (sh, _argv, io) => writeOut(sh, io, 'pwd', `${sh.cwd}\n`);

function validName(n: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(n);
}

/** `declare -x` lines as `export -p` prints them (builtins/setattr.def, quoting with "…"). */
function declareLine(name: string, value: string | undefined): string {
  if (value === undefined) return `declare -x ${name}\n`;
  return `declare -x ${name}="${value.replace(/(["\\$`])/g, '\\$1')}"\n`;
}

const exportBuiltin: Builtin = async (sh, argv, io) => {
  const args = argv.slice(1).filter((a) => a !== '--');
  if (args.length === 0 || (args.length === 1 && args[0] === '-p')) {
    for (const name of [...sh.exported].sort()) io.out.write(declareLine(name, sh.vars.get(name)));
    return 0;
  }
  let status = 0;
  let unexport = false;
  for (const a of args) {
    if (a === '-n') {
      unexport = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!validName(name)) {
      sh.error(io, `export: \`${a}': not a valid identifier`);
      status = 1;
      continue;
    }
    if (eq >= 0) sh.vars.set(name, a.slice(eq + 1));
    if (unexport) sh.exported.delete(name);
    else sh.exported.add(name);
  }
  return status;
};

const unset: Builtin = async (sh, argv) => {
  let mode: '' | '-v' | '-f' = '';
  for (const a of argv.slice(1)) {
    if (a === '-v' || a === '-f') {
      mode = a;
      continue;
    }
    // builtins/set.def unset_builtin: -f a function; with no option a variable, or
    // the function of that name if there is no such variable.
    if (mode === '-f' || (mode === '' && !sh.vars.has(a) && sh.functions.has(a))) {
      sh.functions.delete(a);
      continue;
    }
    // bash 5.2 says nothing about a name that cannot be a variable (observed: `unset 1x`).
    if (!validName(a)) continue;
    sh.vars.delete(a);
    sh.exported.delete(a);
  }
  return 0;
};

/** builtins/shift.def: drops the first N positional parameters (N too large: status 1, no message). */
const shift: Builtin = async (sh, argv, io) => {
  const arg = argv[1];
  let n = 1;
  if (arg !== undefined) {
    if (!/^\s*[-+]?\d+\s*$/.test(arg)) {
      sh.error(io, `shift: ${arg}: numeric argument required`);
      return 1;
    }
    n = Number(arg.trim());
    if (n < 0) {
      sh.error(io, `shift: ${arg}: shift count out of range`);
      return 1;
    }
  }
  if (n > sh.positional.length) return 1;
  sh.positional = sh.positional.slice(n);
  return 0;
};

/**
 * builtins/set.def, the positional parameters: `set -- ARGS`, `set ARGS`
 * (ARGS not starting with - or +); `set` alone lists the shell variables,
 * name=value, quoted as bash quotes them. The shell options (-e, -u, -x,
 * -o …) are not there: refused with a message, status 2.
 */
const set: Builtin = async (sh, argv, io) => {
  const args = argv.slice(1);
  if (args.length === 0) {
    const names = [...sh.vars.keys()].sort();
    const text = names.map((n) => `${n}=${shellQuote(sh.vars.get(n) ?? '')}\n`).join('');
    return writeOut(sh, io, 'set', text);
  }
  // The options tcplab's bash has: -e, -u, -x and -o pipefail (and their names).
  const LETTERS: Readonly<Record<string, string>> = { e: 'e', u: 'u', x: 'x' };
  const NAMES: Readonly<Record<string, string>> = {
    errexit: 'e',
    nounset: 'u',
    xtrace: 'x',
    pipefail: 'pipefail',
  };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      sh.positional = args.slice(i + 1);
      return 0;
    }
    if (a === '-') {
      // `set -` ends the options and turns -x (and -v) off.
      sh.options.delete('x');
      sh.positional = args.slice(i + 1);
      return 0;
    }
    if (!/^[-+]./.test(a)) break;
    const on = a[0] === '-';
    // `-o NAME`, also at the end of letters (`-eo pipefail`).
    if (a.endsWith('o') && [...a.slice(1, -1)].every((c) => LETTERS[c] !== undefined)) {
      for (const c of a.slice(1, -1)) {
        const opt = LETTERS[c] as string;
        if (on) sh.options.add(opt);
        else sh.options.delete(opt);
      }
      const name = args[++i];
      if (name === undefined) {
        sh.error(io, `set: ${a}: listing the options is not supported by tcplab's bash`);
        return 2;
      }
      const opt = NAMES[name];
      if (opt === undefined) {
        const known = BASH_OPTION_NAMES.has(name);
        sh.error(
          io,
          `set: ${name}: ${known ? "not supported by tcplab's bash" : 'invalid option name'}`,
        );
        return 2;
      }
      if (on) sh.options.add(opt);
      else sh.options.delete(opt);
      continue;
    }
    for (const c of a.slice(1)) {
      const opt = LETTERS[c];
      if (opt === undefined) {
        if (BASH_OPTION_LETTERS.includes(c)) {
          sh.error(io, `set: ${a[0]}${c}: not supported by tcplab's bash`);
        } else {
          sh.error(io, `set: ${a[0]}${c}: invalid option`);
          io.err.write(
            `set: usage: set [-${BASH_OPTION_LETTERS}] [-o option-name] [--] [-] [arg ...]\n`,
          );
        }
        return 2;
      }
      if (on) sh.options.add(opt);
      else sh.options.delete(opt);
    }
  }
  if (i < args.length) sh.positional = args.slice(i);
  return 0;
};

/** The letters bash's `set` takes (builtins/set.def). */
const BASH_OPTION_LETTERS = 'abefhkmnptuvxBCEHPT';

/** The names `set -o` takes (bash 5.2). */
const BASH_OPTION_NAMES = new Set([
  'allexport',
  'braceexpand',
  'emacs',
  'errexit',
  'errtrace',
  'functrace',
  'hashall',
  'histexpand',
  'history',
  'ignoreeof',
  'interactive-comments',
  'keyword',
  'monitor',
  'noclobber',
  'noexec',
  'noglob',
  'nolog',
  'notify',
  'nounset',
  'onecmd',
  'physical',
  'pipefail',
  'posix',
  'privileged',
  'verbose',
  'vi',
  'xtrace',
]);

/** A value as `set` and `declare -p` print it: as it is when nothing in it is special, else in '…'. */
function shellQuote(v: string): string {
  if (v !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(v)) return v;
  if (/[\x00-\x1f\x7f]/.test(v))
    return `$'${v.replace(/[\\']/g, '\\$&').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}'`;
  return `'${v.replace(/'/g, "'\\''")}'`;
}

const exit: Builtin = async (sh, argv, io) => {
  const arg = argv[1];
  if (argv.length > 2 && /^-?\d+$/.test(arg ?? '')) {
    if (sh.interactive) io.err.write('logout\n');
    sh.error(io, `${argv[0]}: too many arguments`);
    return 1;
  }
  if (sh.interactive) {
    const stopped = sh.session.jobs.all.some((j) => j.stopped && !j.done);
    if (stopped && !sh.session.warnedStopped) {
      sh.session.warnedStopped = true;
      io.err.write('There are stopped jobs.\n');
      return 1;
    }
    io.err.write('logout\n');
  }
  let status = sh.status;
  if (arg !== undefined) {
    if (/^[-+]?\d+$/.test(arg.trim())) status = Number(arg.trim()) & 0xff;
    else {
      sh.error(io, `${argv[0]}: ${arg}: numeric argument required`);
      status = 2;
    }
  }
  sh.exitStatus = status;
  return status;
};

const history: Builtin = async (sh, argv, io) => {
  const h = sh.session.history;
  const arg = argv[1];
  if (arg === '-c') {
    h.length = 0;
    return 0;
  }
  let from = 0;
  if (arg !== undefined) {
    if (!/^\d+$/.test(arg)) {
      sh.error(io, `history: ${arg}: numeric argument required`);
      return 1;
    }
    from = Math.max(0, h.length - Number(arg));
  }
  let out = '';
  for (let i = from; i < h.length; i++) out += `${String(i + 1).padStart(5)}  ${h[i]}\n`;
  io.out.write(out);
  return 0;
};

/** Reserved words (`type if` → `if is a shell keyword`). */
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'case',
  'esac',
  'for',
  'select',
  'while',
  'until',
  'do',
  'done',
  'in',
  'function',
  'time',
  '{',
  '}',
  '!',
  '[[',
  ']]',
  'coproc',
]);

const type: Builtin = async (sh, argv, io) => describe(sh, argv.slice(1), io, 'type');

/** type's description of each name; `who` prefixes the not-found message (type, command). */
function describe(sh: Shell, names: readonly string[], io: Io, who: string): number {
  let status = 0;
  for (const name of names) {
    if (KEYWORDS.has(name)) io.out.write(`${name} is a shell keyword\n`);
    else if (sh.functions.has(name)) {
      const fn = sh.functions.get(name) as FunctionDef;
      io.out.write(`${name} is a function\n${commandText(fn)}\n`);
    } else if (BUILTINS.has(name)) io.out.write(`${name} is a shell builtin\n`);
    else {
      const base = commandName(name);
      if (base !== undefined && sh.commandFor(base) !== undefined) {
        const path = name.includes('/') ? name : commandPath(name);
        if (sh.hashed.has(name)) io.out.write(`${name} is hashed (${path})\n`);
        else io.out.write(`${name} is ${path}\n`);
      } else {
        sh.error(io, `${who}: ${name}: not found`);
        status = 1;
      }
    }
  }
  return status;
}

/**
 * command (builtins/command.def) with -v (how the name would run: the name
 * of a keyword, builtin or function, the path of a program) or -V (as `type`
 * says it); nothing found is status 1, silently with -v. `command NAME ARGS`
 * runs NAME past any function of that name (the shell does it).
 */
const command: Builtin = async (sh, argv, io) => {
  const args = argv.slice(1);
  let mode: 'v' | 'V' | undefined;
  while (args[0] !== undefined && /^-[pvV]+$/.test(args[0])) {
    const o = args.shift()!;
    if (o.includes('V')) mode = 'V';
    else if (o.includes('v') && mode === undefined) mode = 'v';
  }
  if (args[0] === '--') args.shift();
  if (args.length === 0) return 0;
  // Status 0 when any of the names was found (command.def), unlike type.
  if (mode === 'V')
    return describe(sh, args, io, 'command') === 0 || args.some((n) => known(sh, n)) ? 0 : 1;
  if (mode === undefined) {
    sh.error(io, `command: ${args[0]}: running a command through command is done by the shell`);
    return 2;
  }
  let found = false;
  for (const name of args) {
    if (!known(sh, name)) continue;
    found = true;
    const program = !(KEYWORDS.has(name) || sh.functions.has(name) || BUILTINS.has(name));
    io.out.write(`${program && !name.includes('/') ? commandPath(name) : name}\n`);
  }
  return found ? 0 : 1;
};

/** Whether `name` is a keyword, function, builtin or program the shell would find. */
function known(sh: Shell, name: string): boolean {
  if (KEYWORDS.has(name) || sh.functions.has(name) || BUILTINS.has(name)) return true;
  const base = commandName(name);
  return base !== undefined && sh.commandFor(base) !== undefined;
}

const disown: Builtin = async (sh, argv, io) => {
  const specs = argv.length > 1 ? argv.slice(1) : ['%+'];
  let status = 0;
  for (const s of specs) {
    const j = sh.session.jobs.lookup(s);
    if ('error' in j) {
      sh.error(io, `disown: ${j.error}`);
      status = 1;
    } else sh.session.jobs.remove(j);
  }
  return status;
};

/**
 * read (builtins/read.def): one line of standard input into variables, split
 * on blanks, the last one taking the rest; without -r a backslash escapes and
 * a trailing one continues the line. Status 1 at end of file.
 */
const read: Builtin = async (sh, argv, io) => {
  let raw = false;
  let prompt: string | undefined;
  const names: string[] = [];
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (names.length === 0 && a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k];
        if (c === 'r' || c === 's') raw ||= c === 'r';
        else if (c === 'p') {
          prompt = a.slice(k + 1) || args[++i];
          break;
        } else {
          sh.error(io, `read: -${c}: invalid option`);
          io.err.write(
            'read: usage: read [-ers] [-a array] [-d delim] [-i text] [-n nchars] [-N nchars] [-p prompt] [-t timeout] [-u fd] [name ...]\n',
          );
          return 2;
        }
      }
      continue;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) {
      sh.error(io, `read: \`${a}': not a valid identifier`);
      return 1;
    }
    names.push(a);
  }
  if (names.length === 0) names.push('REPLY');
  if (prompt !== undefined && io.in.isTerminal) io.err.write(prompt);
  // The interactive shell reads the terminal as a foreground job would.
  const job = sh.interactive ? new Job(0, ['read'], true, sh.cwd) : sh.job;
  const input = io.in.open(job);
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
    input.close();
  };
  if (sh.interactive) sh.session.interruptible.add(onInterrupt);
  const dec = new TextDecoder();
  let line = '';
  let eof = false;
  try {
    for (;;) {
      const chunk = await input.read();
      if (chunk === null) {
        eof = true;
        break;
      }
      const text = dec.decode(chunk);
      const nl = text.indexOf('\n');
      if (nl < 0) {
        line += text;
        continue;
      }
      line += text.slice(0, nl);
      io.in.unread?.(new TextEncoder().encode(text.slice(nl + 1)));
      if (!raw && /(^|[^\\])(\\\\)*\\$/.test(line)) {
        line = line.slice(0, -1);
        continue;
      }
      break;
    }
  } finally {
    input.close();
    sh.session.interruptible.delete(onInterrupt);
  }
  sh.checkKilled();
  if (interrupted) return 130;
  let rest = line.replace(/^[ \t\n]+/, '');
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (i === names.length - 1) {
      let v = rest.replace(/[ \t\n]+$/, '');
      if (!raw) v = v.replace(/\\(.)/g, '$1');
      sh.vars.set(name, v);
      break;
    }
    const m = /^((?:\\.|[^ \t\n\\])*)[ \t\n]*/.exec(rest) as RegExpExecArray;
    let field = m[1] as string;
    if (!raw) field = field.replace(/\\(.)/g, '$1');
    sh.vars.set(name, field);
    rest = rest.slice(m[0].length);
  }
  return eof ? 1 : 0;
};

/** `break N` / `continue N` (builtins/break.def). */
/** builtins/return.def: ends the running function with status N (default `$?`). */
const returnBuiltin: Builtin = async (sh, argv, io) => {
  if (sh.locals.length === 0) {
    sh.error(io, "return: can only `return' from a function or sourced script");
    return 2;
  }
  const arg = argv[1];
  let status = sh.status;
  if (arg !== undefined) {
    if (/^\s*[-+]?\d+\s*$/.test(arg)) status = Number(arg.trim()) & 0xff;
    else {
      sh.error(io, `return: ${arg}: numeric argument required`);
      status = 2;
    }
  }
  sh.returning = true;
  sh.status = status;
  return status;
};

/** builtins/declare.def local: NAME[=VALUE] for the running function only. */
const local: Builtin = async (sh, argv, io) => {
  const scope = sh.locals[sh.locals.length - 1];
  if (scope === undefined) {
    sh.error(io, 'local: can only be used in a function');
    return 1;
  }
  let status = 0;
  for (const a of argv.slice(1)) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!validName(name)) {
      sh.error(io, `local: \`${a}': not a valid identifier`);
      status = 1;
      continue;
    }
    if (!scope.has(name)) scope.set(name, sh.vars.get(name));
    if (eq >= 0) sh.vars.set(name, a.slice(eq + 1));
    else sh.vars.delete(name);
  }
  return status;
};

function loopControl(kind: 'break' | 'continue'): Builtin {
  return async (sh, argv, io) => {
    const arg = argv[1];
    let n = 1;
    if (arg !== undefined) {
      if (!/^-?\d+$/.test(arg)) {
        sh.error(io, `${kind}: ${arg}: numeric argument required`);
        n = 1;
      } else n = Number(arg);
      if (n < 1) {
        sh.error(io, `${kind}: ${arg}: loop count out of range`);
        return 1;
      }
    }
    if (sh.loops === 0) {
      sh.error(io, `${kind}: only meaningful in a \`for', \`while', or \`until' loop`);
      return 0;
    }
    n = Math.min(n, sh.loops);
    if (kind === 'break') sh.breaks = n;
    else sh.continues = n;
    return 0;
  };
}

/** What test's file, terminal and variable tests see of this shell (test and `[[ ]]`). */
export function testEnv(sh: Shell, io: Io): TestEnv {
  const fs = sh.proc.fs;
  return {
    kind: (p) => {
      const k = fs.stat(p, sh.cwd);
      return k instanceof FsError ? undefined : k;
    },
    size: (p) => {
      // A directory has a block of entries (ext4: 4096 bytes).
      if (fs.stat(p, sh.cwd) === 'directory') return 4096;
      const d = fs.readFile(p, sh.cwd);
      return d instanceof FsError ? 0 : d.length;
    },
    isProgram: (p) => {
      if (!p.includes('/')) return false;
      const program = commandName(p);
      return program !== undefined && sh.commandFor(program) !== undefined;
    },
    isTerminal: (fd) =>
      fd === 0 ? io.in.isTerminal : fd === 1 ? io.out.isTerminal : fd === 2 && io.err.isTerminal,
    // find_variable: a name only, not a special parameter ($-, $1).
    isSet: (v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && sh.lookup(v) !== undefined,
  };
}

/** test / [ (builtins/test.def, test.c): the unary file and string tests, binary comparisons, !, -a, -o. */
function testBuiltin(bracket: boolean): Builtin {
  return async (sh, argv, io) => {
    let args = argv.slice(1);
    const name = bracket ? '[' : 'test';
    if (bracket) {
      if (args[args.length - 1] !== ']') {
        sh.error(io, "[: missing `]'");
        return 2;
      }
      args = args.slice(0, -1);
    }
    const r = testCommand(args, testEnv(sh, io), bracket);
    if ('error' in r) {
      sh.error(io, `${name}: ${r.error}`);
      return 2;
    }
    return r.status;
  };
}

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['read', read],
  ['return', returnBuiltin],
  ['local', local],
  ['shift', shift],
  ['set', set],
  // Run by the Shell itself (its redirections outlive it): here for `type` and `command -v`.
  ['exec', async () => 0],
  ['break', loopControl('break')],
  ['continue', loopControl('continue')],
  ['test', testBuiltin(false)],
  ['[', testBuiltin(true)],
  [':', async () => 0],
  ['true', async () => 0],
  ['false', async () => 1],
  ['echo', echo],
  ['printf', printf],
  ['cd', cd],
  ['pwd', pwd],
  ['export', exportBuiltin],
  ['unset', unset],
  ['exit', exit],
  ['logout', exit],
  ['history', history],
  ['kill', kill],
  ['jobs', jobs],
  ['fg', fg],
  ['bg', bg],
  ['wait', wait],
  ['type', type],
  ['command', command],
  ['disown', disown],
]);
