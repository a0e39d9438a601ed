/**
 * Text filters labs pipe through: cat, grep, wc, head, tail, sort, uniq,
 * cut, tr, tee (coreutils 9.1, grep 3.8). Messages and exit statuses are
 * GNU's in the C locale; see test/tools/coreutils/fixtures for the real
 * outputs they were checked against.
 */

import { FsError } from '../../os/fs.js';
import type { Command } from '../../os/process.js';
import { s } from '../../sim/time.js';
import { getoptLong } from '../getopt.js';
import {
  eachStdinLine,
  lines,
  options,
  progName,
  readInput,
  readStdin,
  readStdinBytes,
  usage,
  withArgv,
  write,
} from './common.js';

/** cat (src/cat.c): files in order, `-` or none for standard input; -n -b -E -A -T -s -v. */
export const cat: Command = async (proc) => {
  const name = progName(proc, 'cat');
  const o = options(proc, name, 'AbeEnstTuv', [
    { name: 'number', hasArg: false, key: 'n' },
    { name: 'show-all', hasArg: false, key: 'A' },
    { name: 'show-ends', hasArg: false, key: 'E' },
    { name: 'number-nonblank', hasArg: false, key: 'b' },
    { name: 'squeeze-blank', hasArg: false, key: 's' },
    { name: 'show-tabs', hasArg: false, key: 'T' },
  ]);
  if (typeof o === 'number') return o;
  const flags = new Set(o.options.map((x) => x.key));
  const imply = (f: string, implied: string[]): void => {
    if (flags.has(f)) for (const x of implied) flags.add(x);
  };
  imply('A', ['v', 'E', 'T']);
  imply('e', ['v', 'E']);
  imply('t', ['v', 'T']);
  const plain = !['n', 'b', 'E', 'T', 's', 'v'].some((f) => flags.has(f));
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  let status = 0;
  let lineNo = 0;
  let prevBlank = false;
  const decorate = (text: string): string => {
    let out = '';
    const ls = text.split('\n');
    const last = ls.pop() as string;
    const emit = (line: string, nl: boolean): void => {
      const blank = line === '';
      if (flags.has('s') && blank && prevBlank && nl) return;
      prevBlank = blank && nl;
      let l = line;
      if (flags.has('T')) l = l.replace(/\t/g, '^I');
      if (flags.has('v'))
        l = l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) =>
          c === '\x7f' ? '^?' : `^${String.fromCharCode(c.charCodeAt(0) + 64)}`,
        );
      if (flags.has('b') ? !blank : flags.has('n')) l = `${String(++lineNo).padStart(6)}\t${l}`;
      out += l + (nl ? (flags.has('E') ? '$\n' : '\n') : '');
    };
    for (const l of ls) emit(l, true);
    if (last !== '') emit(last, false);
    return out;
  };
  for (const f of files) {
    if (f === '-') {
      if (plain) {
        for (;;) {
          const chunk = await proc.stdin.read();
          if (chunk === null) break;
          proc.stdout.write(chunk);
        }
      } else {
        await eachStdinLine(proc, (line) => {
          proc.stdout.write(decorate(`${line}\n`));
          return true;
        });
      }
      continue;
    }
    const data = proc.fs.readFile(f, proc.cwd);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: ${f}: ${data.message}\n`);
      status = 1;
      continue;
    }
    if (
      !write(
        proc,
        name,
        plain ? new TextDecoder().decode(data) : decorate(new TextDecoder().decode(data)),
      )
    )
      status = 1;
  }
  return status;
};

/** POSIX bracket classes → JavaScript. */
const CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

/** A POSIX basic or extended regular expression → a JavaScript one (regcomp semantics, roughly). */
export function posixToJs(re: string, extended: boolean): string {
  let out = '';
  let i = 0;
  while (i < re.length) {
    const c = re[i] as string;
    if (c === '[') {
      // Bracket expression: copied with classes translated; `]` first is literal.
      let j = i + 1;
      let body = '';
      if (re[j] === '^') {
        body += '^';
        j++;
      }
      if (re[j] === ']') {
        body += '\\]';
        j++;
      }
      while (j < re.length && re[j] !== ']') {
        const m = /^\[:([a-z]+):\]/.exec(re.slice(j));
        if (m !== null) {
          body += CLASSES[m[1] as string] ?? '';
          j += m[0].length;
          continue;
        }
        if (re[j] === '\\') body += '\\\\';
        else if (re[j] === '[' || re[j] === '/') body += `\\${re[j]}`;
        else body += re[j];
        j++;
      }
      if (j >= re.length) throw new GrepError('Unmatched [, [^, [:, [., or [=');
      out += `[${body}]`;
      i = j + 1;
      continue;
    }
    if (c === '\\') {
      const n = re[i + 1];
      i += 2;
      if (n === undefined) throw new GrepError('Trailing backslash');
      if (n === '<' || n === '>' || n === 'b') out += '\\b';
      else if (n === 'w' || n === 'W' || n === 's' || n === 'S') out += `\\${n}`;
      else if (/[0-9]/.test(n)) out += `\\${n}`;
      else if (!extended && '(){}|+?'.includes(n)) out += n;
      else out += `\\${n}`;
      continue;
    }
    if (!extended && '(){}|+?'.includes(c)) {
      out += `\\${c}`;
      i++;
      continue;
    }
    if (c === '*' && (out === '' || out === '^' || (!extended && out.endsWith('\\(')))) {
      out += '\\*';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

class GrepError {
  constructor(readonly message: string) {}
}

function compile(pattern: string, flags: Set<string>): RegExp {
  let src: string;
  if (flags.has('F')) src = pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  else src = posixToJs(pattern, flags.has('E'));
  if (flags.has('w')) src = `(?<![A-Za-z0-9_])(?:${src})(?![A-Za-z0-9_])`;
  if (flags.has('x')) src = `^(?:${src})$`;
  try {
    return new RegExp(src, flags.has('i') ? 'gi' : 'g');
  } catch {
    const opens = (pattern.match(flags.has('E') ? /(?<!\\)\(/g : /\\\(/g) ?? []).length;
    const closes = (pattern.match(flags.has('E') ? /(?<!\\)\)/g : /\\\)/g) ?? []).length;
    if (opens > closes) throw new GrepError('Unmatched ( or \\(');
    if (closes > opens) throw new GrepError('Unmatched ) or \\)');
    throw new GrepError('Invalid regular expression');
  }
}

const GREP_USAGE =
  "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n";

/** grep (grep 3.8 src/grep.c): exit 0 if a line was selected, 1 if none, 2 on error. */
export const grep: Command = async (proc) => {
  const name = progName(proc, 'grep');
  // -NUM is -C NUM (grep.c's digit options), as a whole argument before `--`
  // that is not the value of the option before it (`-A -1`).
  const argv: string[] = [];
  let ended = false;
  let valueNext = false;
  for (const a of proc.argv.slice(1)) {
    if (a === '--' && !valueNext) ended = true;
    argv.push(!ended && !valueNext && /^-[0-9]+$/.test(a) ? `--context=${a.slice(1)}` : a);
    valueNext =
      !valueNext &&
      !ended &&
      (/^-[^-]*[ABCem]$/.test(a) ||
        /^--(after-context|before-context|context|regexp|max-count)$/.test(a));
  }
  const r = getoptLong(argv, {
    short: 'vciEFGwxnqoe:hHlLsm:zA:B:C:',
    long: [
      { name: 'invert-match', hasArg: false, key: 'v' },
      { name: 'count', hasArg: false, key: 'c' },
      { name: 'ignore-case', hasArg: false, key: 'i' },
      { name: 'extended-regexp', hasArg: false, key: 'E' },
      { name: 'fixed-strings', hasArg: false, key: 'F' },
      { name: 'word-regexp', hasArg: false, key: 'w' },
      { name: 'line-regexp', hasArg: false, key: 'x' },
      { name: 'line-number', hasArg: false, key: 'n' },
      { name: 'quiet', hasArg: false, key: 'q' },
      { name: 'silent', hasArg: false, key: 'q' },
      { name: 'only-matching', hasArg: false, key: 'o' },
      { name: 'regexp', hasArg: true, key: 'e' },
      { name: 'no-filename', hasArg: false, key: 'h' },
      { name: 'with-filename', hasArg: false, key: 'H' },
      { name: 'files-with-matches', hasArg: false, key: 'l' },
      { name: 'files-without-match', hasArg: false, key: 'L' },
      { name: 'no-messages', hasArg: false, key: 's' },
      { name: 'max-count', hasArg: true, key: 'm' },
      { name: 'line-buffered', hasArg: false, key: 'line-buffered' },
      { name: 'color', hasArg: false, key: 'color' },
      { name: 'after-context', hasArg: true, key: 'A' },
      { name: 'before-context', hasArg: true, key: 'B' },
      { name: 'context', hasArg: true, key: 'C' },
    ],
  });
  if (!r.ok) {
    proc.stderr.write(`${name}: ${r.error.message}\n${GREP_USAGE}`);
    return 2;
  }
  const flags = new Set<string>();
  const patterns: string[] = [];
  let maxCount = Number.POSITIVE_INFINITY;
  // Context (grep.c out_after, out_before, default_context): -A and -B win
  // over -C whatever their order; any of them, even 0, separates groups by `--`.
  let after = -1;
  let before = -1;
  let context = -1;
  for (const opt of r.args.options) {
    if (opt.key === 'e') patterns.push(...(opt.value ?? '').split('\n'));
    else if (opt.key === 'm') maxCount = Number(opt.value);
    else if (opt.key === 'A' || opt.key === 'B' || opt.key === 'C') {
      const v = opt.value ?? '';
      if (!/^[0-9]+$/.test(v)) {
        proc.stderr.write(`${name}: ${v}: invalid context length argument\n`);
        return 2;
      }
      if (opt.key === 'A') after = Number(v);
      else if (opt.key === 'B') before = Number(v);
      else context = Number(v);
    } else flags.add(opt.key);
  }
  const contextGiven = after >= 0 || before >= 0 || context >= 0;
  if (after < 0) after = Math.max(context, 0);
  if (before < 0) before = Math.max(context, 0);
  const operands = [...r.args.operands];
  if (patterns.length === 0) {
    const p = operands.shift();
    if (p === undefined) {
      proc.stderr.write(GREP_USAGE);
      return 2;
    }
    patterns.push(...p.split('\n'));
  }
  let regexps: RegExp[];
  try {
    regexps = patterns.map((p) => compile(p, flags));
  } catch (e) {
    if (e instanceof GrepError) {
      proc.stderr.write(`${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const files = operands.length === 0 ? ['-'] : operands;
  const withName = flags.has('H') || (files.length > 1 && !flags.has('h'));
  const invert = flags.has('v');
  let selectedAny = false;
  let error = false;
  const matches = (line: string): boolean => {
    const hit = regexps.some((re) => {
      re.lastIndex = 0;
      return re.test(line);
    });
    return hit !== invert;
  };
  // Counting or listing prints no lines, so no context either.
  const lineOutput = !flags.has('q') && !flags.has('c') && !flags.has('l') && !flags.has('L');
  const separated = contextGiven && lineOutput;
  /** Something was printed (a group of another file counts: `--` between). */
  let printedAny = false;
  for (const f of files) {
    const label = f === '-' ? '(standard input)' : f;
    let count = 0;
    let lineNo = 0;
    let out = '';
    /** The number of the last line printed (or passed over as context by -o), 0 before. */
    let lastOut = 0;
    /** Up to `before` lines not selected, waiting to be the context of a selected one. */
    const pending: { no: number; line: string }[] = [];
    let afterLeft = 0;
    const contextLine = (no: number, line: string): void => {
      // -o prints only what matched: context lines are passed over, not shown.
      if (!flags.has('o')) {
        out += `${withName ? `${label}-` : ''}${flags.has('n') ? `${no}-` : ''}${line}\n`;
      }
      lastOut = no;
      printedAny = true;
    };
    const onLine = (line: string): boolean => {
      lineNo++;
      if (count >= maxCount) {
        // "When grep stops after NUM selected lines, it outputs any trailing
        // context lines", matching or not.
        if (afterLeft === 0) return false;
        afterLeft--;
        contextLine(lineNo, line);
      } else if (!matches(line)) {
        if (afterLeft > 0) {
          afterLeft--;
          contextLine(lineNo, line);
        } else if (before > 0 && lineOutput) {
          pending.push({ no: lineNo, line });
          if (pending.length > before) pending.shift();
        }
      } else {
        count++;
        selectedAny = true;
        if (flags.has('q')) return false;
        if (!lineOutput) return true;
        const first = pending.length > 0 ? pending[0]!.no : lineNo;
        if (separated && printedAny && (lastOut === 0 || first > lastOut + 1)) out += '--\n';
        for (const p of pending) contextLine(p.no, p.line);
        pending.length = 0;
        const prefix = (withName ? `${label}:` : '') + (flags.has('n') ? `${lineNo}:` : '');
        if (flags.has('o') && !invert) {
          for (const re of regexps) {
            re.lastIndex = 0;
            for (const m of line.matchAll(re)) if (m[0] !== '') out += `${prefix}${m[0]}\n`;
          }
        } else if (!flags.has('o')) out += `${prefix}${line}\n`;
        lastOut = lineNo;
        printedAny = true;
        afterLeft = after;
      }
      if (f === '-' && out !== '') {
        proc.stdout.write(out);
        out = '';
      }
      return true;
    };
    if (f === '-') {
      await eachStdinLine(proc, onLine);
    } else {
      const data = proc.fs.readText(f, proc.cwd);
      if (data instanceof FsError) {
        if (!flags.has('s')) proc.stderr.write(`${name}: ${f}: ${data.message}\n`);
        error = true;
        continue;
      }
      for (const line of lines(data)) if (!onLine(line)) break;
    }
    if (flags.has('q') && selectedAny) return 0;
    if (flags.has('c')) out += `${withName ? `${label}:` : ''}${count}\n`;
    if (flags.has('l') && count > 0) out += `${label}\n`;
    if (flags.has('L') && count === 0) out += `${label}\n`;
    proc.stdout.write(out);
  }
  if (error && !(flags.has('q') && selectedAny)) return 2;
  return selectedAny ? 0 : 1;
};

interface Counts {
  lines: number;
  words: number;
  chars: number;
  bytes: number;
  maxLine: number;
}

function count(text: string, bytes: number): Counts {
  let maxLine = 0;
  for (const l of text.split('\n'))
    maxLine = Math.max(maxLine, l.replace(/\t/g, '        ').length);
  return {
    lines: (text.match(/\n/g) ?? []).length,
    words: text.split(/[ \t\n\r\f\v]+/).filter((w) => w !== '').length,
    chars: [...text].length,
    bytes,
    maxLine,
  };
}

/**
 * wc (src/wc.c): counts in the order lines, words, chars, bytes, max line
 * length. Column width (compute_number_width): the digits of the total size
 * of the regular files, at least 7 if an input is not a regular file (a
 * pipe); 1 when only one count of one input is printed.
 */
export const wc: Command = async (proc) => {
  const name = progName(proc, 'wc');
  const o = options(proc, name, 'clwmL', [
    { name: 'lines', hasArg: false, key: 'l' },
    { name: 'words', hasArg: false, key: 'w' },
    { name: 'bytes', hasArg: false, key: 'c' },
    { name: 'chars', hasArg: false, key: 'm' },
    { name: 'max-line-length', hasArg: false, key: 'L' },
  ]);
  if (typeof o === 'number') return o;
  const set = new Set(o.options.map((x) => x.key));
  if (set.size === 0) for (const k of ['l', 'w', 'c']) set.add(k);
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  const results: { label: string | undefined; counts: Counts }[] = [];
  let status = 0;
  let regularTotal = 0;
  let minWidth = 1;
  for (const f of files) {
    let data: Uint8Array;
    if (f === '-') {
      data = await readStdinBytes(proc);
      minWidth = 7;
    } else {
      const r = proc.fs.readFile(f, proc.cwd);
      if (r instanceof FsError) {
        proc.stderr.write(`${name}: ${f}: ${r.message}\n`);
        status = 1;
        continue;
      }
      data = r;
      // A /proc file has size 0 (stat), like a pipe it does not widen the columns.
      if (!f.startsWith('/proc/')) regularTotal += data.length;
    }
    // -c counts the bytes as they are (not as decoding and encoding them again
    // would leave them: an invalid sequence is one byte, not U+FFFD's three).
    results.push({
      label: o.operands.length === 0 ? undefined : f,
      counts: count(new TextDecoder().decode(data), data.length),
    });
  }
  let width = String(regularTotal).length;
  if (width < minWidth) width = minWidth;
  const printed = ['l', 'w', 'm', 'c', 'L'].filter((k) => set.has(k));
  if (printed.length === 1 && files.length === 1) width = 1;
  const row = (c: Counts, label: string | undefined): string => {
    const cols = printed.map((k) => {
      const v =
        k === 'l'
          ? c.lines
          : k === 'w'
            ? c.words
            : k === 'm'
              ? c.chars
              : k === 'c'
                ? c.bytes
                : c.maxLine;
      return String(v).padStart(width);
    });
    return `${cols.join(' ')}${label === undefined ? '' : ` ${label}`}\n`;
  };
  let out = '';
  for (const r of results) out += row(r.counts, r.label);
  if (files.length > 1) {
    const t = results.reduce(
      (a, r) => ({
        lines: a.lines + r.counts.lines,
        words: a.words + r.counts.words,
        chars: a.chars + r.counts.chars,
        bytes: a.bytes + r.counts.bytes,
        maxLine: Math.max(a.maxLine, r.counts.maxLine),
      }),
      { lines: 0, words: 0, chars: 0, bytes: 0, maxLine: 0 },
    );
    out += row(t, 'total');
  }
  write(proc, name, out);
  return status;
};

/** `-5` as the first argument of head/tail means `-n 5` (obsolete syntax GNU still takes). */
function obsoleteCount(argv: readonly string[]): string[] {
  const a = argv[1];
  if (a !== undefined && /^-\d+$/.test(a))
    return [argv[0] as string, '-n', a.slice(1), ...argv.slice(2)];
  if (a !== undefined && /^\+\d+$/.test(a) && argv[0]?.endsWith('tail')) {
    return [argv[0] as string, '-n', a, ...argv.slice(2)];
  }
  return [...argv];
}

/** Parses head/tail's count: N, -N (all but), +N (from), with GNU's multiplier suffixes. */
function parseCount(v: string): { n: number; sign: '' | '-' | '+' } | undefined {
  const m = /^([-+]?)(\d+)(b|kB|K|k|KiB|MB|M|MiB|GB|G|GiB)?$/.exec(v.trim());
  if (m === null) return undefined;
  const mult: Record<string, number> = {
    b: 512,
    kB: 1000,
    K: 1024,
    k: 1024,
    KiB: 1024,
    MB: 1e6,
    M: 1048576,
    MiB: 1048576,
    GB: 1e9,
    G: 1073741824,
    GiB: 1073741824,
  };
  return {
    n: Number(m[2]) * (m[3] === undefined ? 1 : (mult[m[3]] ?? 1)),
    sign: (m[1] ?? '') as '' | '-' | '+',
  };
}

function splitKeep(text: string): string[] {
  // Lines with their '\n' (a last one may lack it).
  const out = text.match(/[^\n]*\n|[^\n]+$/g);
  return out ?? [];
}

/** head (src/head.c): -n N / -N, -n -N (all but the last N), -c N, headers for several files. */
export const head: Command = async (proc0) => {
  const proc = withArgv(proc0, obsoleteCount(proc0.argv));
  const name = progName(proc, 'head');
  const o = options(proc, name, 'n:c:qv', [
    { name: 'lines', hasArg: true, key: 'n' },
    { name: 'bytes', hasArg: true, key: 'c' },
    { name: 'quiet', hasArg: false, key: 'q' },
    { name: 'verbose', hasArg: false, key: 'v' },
  ]);
  if (typeof o === 'number') return o;
  let mode: 'n' | 'c' = 'n';
  let spec = { n: 10, sign: '' as '' | '-' | '+' };
  let headers: boolean | undefined;
  for (const opt of o.options) {
    if (opt.key === 'n' || opt.key === 'c') {
      const c = parseCount(opt.value ?? '');
      if (c === undefined) {
        proc.stderr.write(
          `${name}: invalid number of ${opt.key === 'n' ? 'lines' : 'bytes'}: '${opt.value}'\n`,
        );
        return 1;
      }
      mode = opt.key;
      spec = c;
    } else headers = opt.key === 'v';
  }
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  const show = headers ?? files.length > 1;
  let status = 0;
  let first = true;
  for (const f of files) {
    let text: string;
    if (f === '-' && mode === 'n' && spec.sign !== '-') {
      // Stream: stop reading once N lines went out (head exits, the writer gets SIGPIPE).
      if (show) proc.stdout.write(`${first ? '' : '\n'}==> standard input <==\n`);
      first = false;
      let left = spec.n;
      if (left > 0) {
        await eachStdinLine(proc, (line) => {
          proc.stdout.write(`${line}\n`);
          left--;
          return left > 0;
        });
      }
      continue;
    }
    const data = await readInput(proc, f);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: cannot open '${f}' for reading: ${data.message}\n`);
      status = 1;
      continue;
    }
    text = data;
    if (show)
      proc.stdout.write(`${first ? '' : '\n'}==> ${f === '-' ? 'standard input' : f} <==\n`);
    first = false;
    let out: string;
    if (mode === 'c') {
      const bytes = new TextEncoder().encode(text);
      const end =
        spec.sign === '-' ? Math.max(0, bytes.length - spec.n) : Math.min(bytes.length, spec.n);
      out = new TextDecoder().decode(bytes.slice(0, end));
    } else {
      const ls = splitKeep(text);
      out = (
        spec.sign === '-' ? ls.slice(0, Math.max(0, ls.length - spec.n)) : ls.slice(0, spec.n)
      ).join('');
    }
    proc.stdout.write(out);
  }
  return status;
};

/** tail (src/tail.c): -n N / -N, -n +N (from line N), -c N, -f (follow a file on virtual time). */
export const tail: Command = async (proc0) => {
  const proc = withArgv(proc0, obsoleteCount(proc0.argv));
  const name = progName(proc, 'tail');
  const o = options(proc, name, 'n:c:fFqv', [
    { name: 'lines', hasArg: true, key: 'n' },
    { name: 'bytes', hasArg: true, key: 'c' },
    { name: 'follow', hasArg: false, key: 'f' },
    { name: 'quiet', hasArg: false, key: 'q' },
    { name: 'verbose', hasArg: false, key: 'v' },
  ]);
  if (typeof o === 'number') return o;
  let mode: 'n' | 'c' = 'n';
  let spec = { n: 10, sign: '' as '' | '-' | '+' };
  let follow = false;
  let headers: boolean | undefined;
  for (const opt of o.options) {
    if (opt.key === 'n' || opt.key === 'c') {
      const c = parseCount(opt.value ?? '');
      if (c === undefined) {
        proc.stderr.write(
          `${name}: invalid number of ${opt.key === 'n' ? 'lines' : 'bytes'}: '${opt.value}'\n`,
        );
        return 1;
      }
      mode = opt.key;
      spec = c;
    } else if (opt.key === 'f' || opt.key === 'F') follow = true;
    else headers = opt.key === 'v';
  }
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  const show = headers ?? files.length > 1;
  let status = 0;
  let first = true;
  const sizes = new Map<string, number>();
  for (const f of files) {
    const data = await readInput(proc, f);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: cannot open '${f}' for reading: ${data.message}\n`);
      status = 1;
      continue;
    }
    if (show)
      proc.stdout.write(`${first ? '' : '\n'}==> ${f === '-' ? 'standard input' : f} <==\n`);
    first = false;
    let out: string;
    if (mode === 'c') {
      const bytes = new TextEncoder().encode(data);
      const start =
        spec.sign === '+' ? Math.max(0, spec.n - 1) : Math.max(0, bytes.length - spec.n);
      out = new TextDecoder().decode(bytes.slice(start));
    } else {
      const ls = splitKeep(data);
      out = (
        spec.sign === '+'
          ? ls.slice(Math.max(0, spec.n - 1))
          : ls.slice(Math.max(0, ls.length - spec.n))
      ).join('');
    }
    proc.stdout.write(out);
    if (f !== '-') sizes.set(f, new TextEncoder().encode(data).length);
  }
  if (follow && sizes.size > 0) {
    // tail -f polls (without inotify) once a second: new bytes are printed as they appear.
    for (;;) {
      await proc.sleep(s(1));
      for (const [f, size] of sizes) {
        const data = proc.fs.readFile(f, proc.cwd);
        if (data instanceof FsError) continue;
        if (data.length > size) proc.stdout.write(data.slice(size));
        if (data.length < size) proc.stderr.write(`${name}: ${f}: file truncated\n`);
        sizes.set(f, data.length);
      }
    }
  }
  return status;
};

interface SortKey {
  startField: number;
  startChar: number;
  endField: number | undefined;
  endChar: number;
  numeric: boolean;
  reverse: boolean;
  fold: boolean;
}

function parseKey(spec: string): SortKey | string {
  const m = /^(\d+)(?:\.(\d+))?([bdfghinMRrV]*)(?:,(\d+)(?:\.(\d+))?([bdfghinMRrV]*))?$/.exec(spec);
  if (m === null) {
    const bad = /^\d+/.test(spec) ? spec.replace(/^\d+(\.\d+)?/, '') : spec;
    return /^\d/.test(spec)
      ? `invalid number after ',': invalid count at start of '${bad.slice(1)}'`
      : `invalid number at field start: invalid count at start of '${spec}'`;
  }
  const opts = `${m[3] ?? ''}${m[6] ?? ''}`;
  if (Number(m[1]) === 0) return 'field number is zero: invalid field specification';
  return {
    startField: Number(m[1]),
    startChar: m[2] === undefined ? 1 : Number(m[2]),
    endField: m[4] === undefined ? undefined : Number(m[4]),
    endChar: m[5] === undefined ? 0 : Number(m[5]),
    numeric: opts.includes('n') || opts.includes('g') || opts.includes('h'),
    reverse: opts.includes('r'),
    fold: opts.includes('f'),
  };
}

/** Fields as GNU sort sees them: without -t, each field starts with the blanks before it. */
function fieldBounds(line: string, sep: string | undefined): [number, number][] {
  const out: [number, number][] = [];
  if (sep !== undefined) {
    let start = 0;
    for (;;) {
      const i = line.indexOf(sep, start);
      if (i < 0) {
        out.push([start, line.length]);
        return out;
      }
      out.push([start, i]);
      start = i + 1;
    }
  }
  let i = 0;
  while (i < line.length) {
    const start = i;
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    out.push([start, i]);
  }
  if (out.length === 0) out.push([0, 0]);
  return out;
}

function keyText(line: string, k: SortKey, sep: string | undefined): string {
  const f = fieldBounds(line, sep);
  const sf = f[k.startField - 1];
  if (sf === undefined) return '';
  const start = Math.min(sf[0] + k.startChar - 1, line.length);
  let end = line.length;
  if (k.endField !== undefined) {
    const ef = f[k.endField - 1];
    if (ef !== undefined) end = k.endChar === 0 ? ef[1] : Math.min(ef[0] + k.endChar, line.length);
  }
  return start <= end ? line.slice(start, end) : '';
}

function numericValue(s: string): number {
  const m = /^\s*(-?\d*\.?\d+|-?\d+\.?)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** sort (src/sort.c): -n -r -u -f -k -t -s, C locale collation, the whole line as last resort. */
export const sort: Command = async (proc) => {
  const name = progName(proc, 'sort');
  const o = options(
    proc,
    name,
    'nrufk:t:sbo:gz',
    [
      { name: 'numeric-sort', hasArg: false, key: 'n' },
      { name: 'reverse', hasArg: false, key: 'r' },
      { name: 'unique', hasArg: false, key: 'u' },
      { name: 'ignore-case', hasArg: false, key: 'f' },
      { name: 'key', hasArg: true, key: 'k' },
      { name: 'field-separator', hasArg: true, key: 't' },
      { name: 'stable', hasArg: false, key: 's' },
      { name: 'output', hasArg: true, key: 'o' },
    ],
    2,
  );
  if (typeof o === 'number') return o;
  const g = { numeric: false, reverse: false, unique: false, fold: false, stable: false };
  const keys: SortKey[] = [];
  let sep: string | undefined;
  let output: string | undefined;
  for (const opt of o.options) {
    if (opt.key === 'n' || opt.key === 'g') g.numeric = true;
    else if (opt.key === 'r') g.reverse = true;
    else if (opt.key === 'u') g.unique = true;
    else if (opt.key === 'f') g.fold = true;
    else if (opt.key === 's') g.stable = true;
    else if (opt.key === 'o') output = opt.value;
    else if (opt.key === 't') {
      if ((opt.value ?? '').length !== 1) {
        proc.stderr.write(`${name}: multi-character tab '${opt.value}'\n`);
        return 2;
      }
      sep = opt.value;
    } else if (opt.key === 'k') {
      const k = parseKey(opt.value ?? '');
      if (typeof k === 'string') {
        proc.stderr.write(`${name}: ${k}\n`);
        return 2;
      }
      keys.push(k);
    }
  }
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  const all: string[] = [];
  for (const f of files) {
    const data = await readInput(proc, f);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: cannot read: ${f}: ${data.message}\n`);
      return 2;
    }
    all.push(...lines(data));
  }
  const effective: SortKey[] = keys.map((k) => ({
    ...k,
    numeric: k.numeric || (g.numeric && !k.fold),
    reverse: k.reverse || g.reverse,
    fold: k.fold || g.fold,
  }));
  const cmpKey = (a: string, b: string, numeric: boolean, fold: boolean): number => {
    if (numeric) return numericValue(a) - numericValue(b);
    return fold ? byteCompare(a.toUpperCase(), b.toUpperCase()) : byteCompare(a, b);
  };
  const compareKeys = (a: string, b: string): number => {
    if (effective.length === 0) {
      const c = cmpKey(a, b, g.numeric, g.fold);
      return g.reverse ? -c : c;
    }
    for (const k of effective) {
      const c = cmpKey(keyText(a, k, sep), keyText(b, k, sep), k.numeric, k.fold);
      if (c !== 0) return k.reverse ? -c : c;
    }
    return 0;
  };
  const compare = (a: string, b: string): number => {
    const c = compareKeys(a, b);
    if (c !== 0 || g.stable || g.unique) return c;
    const last = byteCompare(a, b);
    return g.reverse ? -last : last;
  };
  const sorted = all
    .map((l, i) => ({ l, i }))
    .sort((x, y) => compare(x.l, y.l) || x.i - y.i)
    .map((x) => x.l);
  const result: string[] = [];
  for (const l of sorted) {
    if (g.unique && result.length > 0 && compareKeys(result[result.length - 1] as string, l) === 0)
      continue;
    result.push(l);
  }
  const text = result.map((l) => `${l}\n`).join('');
  if (output !== undefined) {
    const w = proc.fs.writeFile(output, text, { cwd: proc.cwd });
    if (w instanceof FsError) {
      proc.stderr.write(`${name}: open failed: ${output}: ${w.message}\n`);
      return 2;
    }
    return 0;
  }
  write(proc, name, text);
  return 0;
};

/** uniq (src/uniq.c): adjacent duplicates; -c (`%7d `), -d, -u, -i. */
export const uniq: Command = async (proc) => {
  const name = progName(proc, 'uniq');
  const o = options(proc, name, 'cdui', [
    { name: 'count', hasArg: false, key: 'c' },
    { name: 'repeated', hasArg: false, key: 'd' },
    { name: 'unique', hasArg: false, key: 'u' },
    { name: 'ignore-case', hasArg: false, key: 'i' },
  ]);
  if (typeof o === 'number') return o;
  const f = new Set(o.options.map((x) => x.key));
  if (o.operands.length > 2) return usage(proc, name, `extra operand '${o.operands[2]}'`);
  const data = await readInput(proc, o.operands[0] ?? '-');
  if (data instanceof FsError) {
    proc.stderr.write(`${name}: ${o.operands[0]}: ${data.message}\n`);
    return 1;
  }
  const same = (a: string, b: string): boolean =>
    f.has('i') ? a.toLowerCase() === b.toLowerCase() : a === b;
  let out = '';
  const ls = lines(data);
  let i = 0;
  while (i < ls.length) {
    let j = i + 1;
    while (j < ls.length && same(ls[i] as string, ls[j] as string)) j++;
    const n = j - i;
    if ((!f.has('d') || n > 1) && (!f.has('u') || n === 1)) {
      out += f.has('c') ? `${String(n).padStart(7)} ${ls[i]}\n` : `${ls[i]}\n`;
    }
    i = j;
  }
  const dest = o.operands[1];
  if (dest !== undefined && dest !== '-') {
    const w = proc.fs.writeFile(dest, out, { cwd: proc.cwd });
    if (w instanceof FsError) {
      proc.stderr.write(`${name}: ${dest}: ${w.message}\n`);
      return 1;
    }
    return 0;
  }
  write(proc, name, out);
  return 0;
};

/** A cut list (`1,3-5,7-`) → a membership test, or the bad piece. */
function parseList(spec: string): ((n: number) => boolean) | { bad: string } {
  const ranges: [number, number][] = [];
  for (const piece of spec.split(',')) {
    const m = /^(\d*)(-?)(\d*)$/.exec(piece);
    if (m === null || piece === '' || piece === '-') return { bad: piece };
    const lo = m[1] === '' ? 1 : Number(m[1]);
    const hi = m[2] === '' ? lo : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (lo === 0) return { bad: piece };
    ranges.push([lo, hi]);
  }
  return (n) => ranges.some(([a, b]) => n >= a && n <= b);
}

/** cut (src/cut.c): -f LIST with -d (default TAB) and -s; -c/-b LIST. */
export const cut: Command = async (proc) => {
  const name = progName(proc, 'cut');
  const o = options(proc, name, 'b:c:d:f:s', [
    { name: 'bytes', hasArg: true, key: 'b' },
    { name: 'characters', hasArg: true, key: 'c' },
    { name: 'delimiter', hasArg: true, key: 'd' },
    { name: 'fields', hasArg: true, key: 'f' },
    { name: 'only-delimited', hasArg: false, key: 's' },
  ]);
  if (typeof o === 'number') return o;
  let mode: 'f' | 'c' | undefined;
  let list: string | undefined;
  let delim = '\t';
  let onlyDelimited = false;
  for (const opt of o.options) {
    if (opt.key === 'f' || opt.key === 'c' || opt.key === 'b') {
      if (mode !== undefined) return usage(proc, name, 'only one type of list may be specified');
      mode = opt.key === 'f' ? 'f' : 'c';
      list = opt.value;
    } else if (opt.key === 'd') {
      if ((opt.value ?? '').length !== 1)
        return usage(proc, name, 'the delimiter must be a single character');
      delim = opt.value as string;
    } else onlyDelimited = true;
  }
  if (mode === undefined || list === undefined) {
    return usage(proc, name, 'you must specify a list of bytes, characters, or fields');
  }
  const inList = parseList(list);
  if (typeof inList !== 'function') {
    return usage(
      proc,
      name,
      `invalid ${mode === 'f' ? 'field' : 'byte/character position'} value '${inList.bad}'`,
    );
  }
  const cutLine = (line: string): string | undefined => {
    if (mode === 'c') return [...line].filter((_c, i) => inList(i + 1)).join('');
    if (!line.includes(delim)) return onlyDelimited ? undefined : line;
    return line
      .split(delim)
      .filter((_f, i) => inList(i + 1))
      .join(delim);
  };
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  let status = 0;
  for (const f of files) {
    if (f === '-') {
      await eachStdinLine(proc, (line) => {
        const c = cutLine(line);
        if (c !== undefined) proc.stdout.write(`${c}\n`);
        return true;
      });
      continue;
    }
    const data = proc.fs.readText(f, proc.cwd);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: ${f}: ${data.message}\n`);
      status = 1;
      continue;
    }
    let out = '';
    for (const line of lines(data)) {
      const c = cutLine(line);
      if (c !== undefined) out += `${c}\n`;
    }
    proc.stdout.write(out);
  }
  return status;
};

/** Expands a tr SET: ranges, [:class:], escapes. */
function trSet(spec: string): string[] {
  const out: string[] = [];
  const chars: string[] = [];
  let i = 0;
  while (i < spec.length) {
    const m = /^\[:([a-z]+):\]/.exec(spec.slice(i));
    if (m !== null) {
      const cls = m[1] as string;
      const src = CLASSES[cls];
      if (src !== undefined) {
        for (let c = 0; c < 128; c++) {
          const ch = String.fromCharCode(c);
          if (new RegExp(`[${src}]`).test(ch)) chars.push(`\u0000cls${ch}`);
        }
      }
      i += m[0].length;
      continue;
    }
    let c = spec[i] as string;
    if (c === '\\' && i + 1 < spec.length) {
      const e = spec[i + 1] as string;
      c = ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[e] ?? e;
      i += 2;
    } else i++;
    chars.push(c);
  }
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k] as string;
    if (c.startsWith('\u0000cls')) {
      out.push(c.slice(4));
      continue;
    }
    if (chars[k + 1] === '-' && k + 2 < chars.length) {
      const end = chars[k + 2] as string;
      for (let x = c.charCodeAt(0); x <= end.charCodeAt(0); x++) out.push(String.fromCharCode(x));
      k += 2;
      continue;
    }
    out.push(c);
  }
  return out;
}

/** tr (src/tr.c): translate SET1 to SET2, -d delete, -s squeeze, -c complement. */
export const tr: Command = async (proc) => {
  const name = progName(proc, 'tr');
  const o = options(proc, name, 'cdsC', [
    { name: 'delete', hasArg: false, key: 'd' },
    { name: 'squeeze-repeats', hasArg: false, key: 's' },
    { name: 'complement', hasArg: false, key: 'c' },
  ]);
  if (typeof o === 'number') return o;
  const f = new Set(o.options.map((x) => (x.key === 'C' ? 'c' : x.key)));
  const [a, b] = o.operands;
  if (a === undefined) return usage(proc, name, 'missing operand');
  const translating = !f.has('d') && !(f.has('s') && b === undefined);
  if (translating && b === undefined) {
    proc.stderr.write(
      `${name}: missing operand after '${a}'\nTwo strings must be given when translating.\n`,
    );
    return usage(proc, name, undefined);
  }
  const set1 = trSet(a);
  const set2 = b === undefined ? [] : trSet(b);
  const inSet1 = (c: string): boolean => set1.includes(c) !== f.has('c');
  const text = await readStdin(proc);
  let out = '';
  let last = '';
  const squeezeSet = f.has('d') || !translating ? (b === undefined ? set1 : set2) : set2;
  for (const c of text) {
    let r = c;
    if (f.has('d')) {
      if (inSet1(c)) continue;
    } else if (translating && inSet1(c)) {
      const idx = f.has('c') ? set2.length - 1 : set1.indexOf(c);
      r = set2[Math.min(idx, set2.length - 1)] ?? c;
    }
    if (
      f.has('s') &&
      r === last &&
      (f.has('d') || translating ? squeezeSet.includes(r) : inSet1(r))
    )
      continue;
    out += r;
    last = r;
  }
  write(proc, name, out);
  return 0;
};

/** tee (src/tee.c): standard input to standard output and to each file; -a appends. */
export const tee: Command = async (proc) => {
  const name = progName(proc, 'tee');
  const o = options(proc, name, 'ai', [{ name: 'append', hasArg: false, key: 'a' }]);
  if (typeof o === 'number') return o;
  const append = o.options.some((x) => x.key === 'a');
  let status = 0;
  const files: string[] = [];
  for (const f of o.operands) {
    const r = proc.fs.writeFile(f, '', { cwd: proc.cwd, append: true });
    if (r instanceof FsError) {
      proc.stderr.write(`${name}: ${f}: ${r.message}\n`);
      status = 1;
      continue;
    }
    if (!append && !f.startsWith('/proc/')) proc.fs.writeFile(f, '', { cwd: proc.cwd });
    files.push(f);
  }
  for (;;) {
    const chunk = await proc.stdin.read();
    if (chunk === null) break;
    proc.stdout.write(chunk);
    for (const f of files) {
      const r = proc.fs.writeFile(f, chunk, { cwd: proc.cwd, append: true });
      if (r instanceof FsError) {
        proc.stderr.write(`${name}: ${f}: ${r.message}\n`);
        status = 1;
      }
    }
  }
  return status;
};
