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
  byteLines,
  byteStringBytes,
  bytesToByteString,
  eachStdinByteLine,
  eachStdinLine,
  lines,
  options,
  progName,
  quotef,
  readInput,
  readStdinBytes,
  toByteString,
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
      proc.stderr.write(`${name}: ${quotef(f)}: ${data.message}\n`);
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

/** POSIX bracket classes → JavaScript character-class bodies (the C locale). */
export const CLASSES: Readonly<Record<string, string>> = {
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
    short: 'vciEFGwxnbqoe:hHlLsm:zA:B:C:',
    long: [
      { name: 'invert-match', hasArg: false, key: 'v' },
      { name: 'count', hasArg: false, key: 'c' },
      { name: 'ignore-case', hasArg: false, key: 'i' },
      { name: 'extended-regexp', hasArg: false, key: 'E' },
      { name: 'fixed-strings', hasArg: false, key: 'F' },
      { name: 'word-regexp', hasArg: false, key: 'w' },
      { name: 'line-regexp', hasArg: false, key: 'x' },
      { name: 'line-number', hasArg: false, key: 'n' },
      { name: 'byte-offset', hasArg: false, key: 'b' },
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
  // grep.c: one matcher (-E, -F, -G) only, unless the same one again.
  if (
    new Set(r.args.options.map((o) => o.key).filter((k) => k === 'E' || k === 'F' || k === 'G'))
      .size > 1
  ) {
    proc.stderr.write(`${name}: conflicting matchers specified\n`);
    return 2;
  }
  // -l and -L list names: a count is not printed then.
  if (flags.has('l') || flags.has('L')) flags.delete('c');
  // -l and -L set one thing (grep.c list_files): the last one given wins.
  const lastList = r.args.options.filter((o) => o.key === 'l' || o.key === 'L').pop()?.key;
  if (lastList !== undefined) flags.delete(lastList === 'l' ? 'L' : 'l');
  // -m 0: grep.c stops before reading anything (nothing printed, status 1),
  // unless -L is to list the files, which then all have no match.
  if (maxCount === 0 && !flags.has('L')) return 1;
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
    /** -b: the byte offset of the line being looked at, in its file. */
    let lineOffset = 0;
    let nextOffset = 0;
    let out = '';
    /** The number of the last line printed (or passed over as context by -o), 0 before. */
    let lastOut = 0;
    /** Up to `before` lines not selected, waiting to be the context of a selected one. */
    const pending: { no: number; line: string }[] = [];
    let afterLeft = 0;
    const contextLine = (no: number, line: string): void => {
      // -o prints only what matched: context lines are passed over, not shown.
      if (!flags.has('o')) {
        out += `${withName ? `${label}-` : ''}${flags.has('n') ? `${no}-` : ''}${flags.has('b') ? `${offsetOf.get(no) ?? lineOffset}-` : ''}${line}\n`;
      }
      lastOut = no;
      printedAny = true;
    };
    /** -b: the offsets of lines waiting as before-context. */
    const offsetOf = new Map<number, number>();
    const onLine = (line: string): boolean => {
      lineNo++;
      lineOffset = nextOffset;
      nextOffset += utf8Length(line) + 1;
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
          if (flags.has('b')) offsetOf.set(lineNo, lineOffset);
          if (pending.length > before) offsetOf.delete(pending.shift()!.no);
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
        offsetOf.clear();
        const prefix = (withName ? `${label}:` : '') + (flags.has('n') ? `${lineNo}:` : '');
        if (flags.has('o') && !invert) {
          for (const re of regexps) {
            re.lastIndex = 0;
            for (const m of line.matchAll(re)) {
              if (m[0] === '') continue;
              // -o -b: the offset of the match itself.
              const at = flags.has('b')
                ? `${lineOffset + utf8Length(line.slice(0, m.index))}:`
                : '';
              out += `${prefix}${at}${m[0]}\n`;
            }
          }
        } else if (!flags.has('o')) {
          out += `${prefix}${flags.has('b') ? `${lineOffset}:` : ''}${line}\n`;
        }
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
    // -q prints nothing at all, counts and names included.
    if (flags.has('c') && !flags.has('q')) out += `${withName ? `${label}:` : ''}${count}\n`;
    if (flags.has('l') && count > 0 && !flags.has('q')) out += `${label}\n`;
    if (flags.has('L') && count === 0 && !flags.has('q')) out += `${label}\n`;
    proc.stdout.write(out);
  }
  if (error && !(flags.has('q') && selectedAny)) return 2;
  return selectedAny ? 0 : 1;
};

/** The UTF-8 length of `s` (ASCII: its length). */
function utf8Length(s: string): number {
  return /^[\x00-\x7f]*$/.test(s) ? s.length : new TextEncoder().encode(s).length;
}

interface Counts {
  lines: number;
  words: number;
  chars: number;
  bytes: number;
  maxLine: number;
}

/**
 * wc.c's counts in the C locale: a character is a byte; the longest line's
 * width counts printable ASCII as 1, a tab to the next multiple of 8, other
 * bytes as nothing, and \r and \f start the line again.
 */
function count(data: Uint8Array): Counts {
  // wc.c's single-byte loop: a word is printable non-blank bytes (others neither start nor end one).
  let lines = 0;
  let words = 0;
  let inWord = false;
  let pos = 0;
  let maxLine = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0a || b === 0x0d || b === 0x0c) {
      if (b === 0x0a) lines++;
      if (pos > maxLine) maxLine = pos;
      pos = 0;
    } else if (b === 0x09) pos += 8 - (pos % 8);
    else if (b === 0x20) pos++;
    else if (b === 0x0b) {
      // A separator of no width.
    } else {
      if (b > 0x20 && b < 0x7f) {
        pos++;
        inWord = true;
      }
      continue;
    }
    if (inWord) words++;
    inWord = false;
  }
  if (inWord) words++;
  if (pos > maxLine) maxLine = pos;
  return { lines, words, chars: data.length, bytes: data.length, maxLine };
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
    } else if (f === '') {
      // wc.c: an empty name is refused before any file is opened.
      proc.stderr.write(`${name}: invalid zero-length file name\n`);
      status = 1;
      continue;
    } else {
      const r = proc.fs.readFile(f, proc.cwd);
      if (r instanceof FsError) {
        proc.stderr.write(`${name}: ${quotef(f)}: ${r.message}\n`);
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
      counts: count(data),
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
  // tail.c parse_obsolete_option: `tail -N` takes one file at most; with more,
  // -N is read as options, and digits are not one.
  const obsolete = /^[-+]\d+$/.exec(proc0.argv[1] ?? '');
  if (obsolete !== null && proc0.argv.length > 3) {
    proc0.stderr.write(`tail: option used in invalid context -- ${proc0.argv[1]!.slice(1, 2)}\n`);
    return 1;
  }
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
  // tail.c: nothing to print and nothing to follow: no file is even opened
  // (no headers, no errors).
  if (spec.n === 0 && spec.sign !== '+' && !follow) return 0;
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

/** How a key compares (sort.c struct keyfield's ordering options). */
interface KeyOrder {
  /** b on the start position / on the end position. */
  skipsblanks: boolean;
  skipeblanks: boolean;
  /** d (only blanks and alphanumerics count) or i (only printable characters count). */
  ignore: 'none' | 'dictionary' | 'nonprinting';
  /** f: lower case as upper case. */
  translate: boolean;
  numeric: boolean;
  general: boolean;
  human: boolean;
  month: boolean;
  reverse: boolean;
}

interface SortKey extends KeyOrder {
  /** Fields and characters before the key's start (0-based, as sort.c's sword and schar). */
  sword: number;
  schar: number;
  /** Fields before the end field (undefined: the end of the line), and the end character (0: all of it). */
  eword: number | undefined;
  echar: number;
}

function noOrder(): KeyOrder {
  return {
    skipsblanks: false,
    skipeblanks: false,
    ignore: 'none',
    translate: false,
    numeric: false,
    general: false,
    human: false,
    month: false,
    reverse: false,
  };
}

/** One ordering option letter into `o` (b sets both ends unless `end` says which). */
function setOrder(o: KeyOrder, c: string, end?: 'start' | 'end'): void {
  if (c === 'b') {
    if (end !== 'end') o.skipsblanks = true;
    if (end !== 'start') o.skipeblanks = true;
  } else if (c === 'd') o.ignore = 'dictionary';
  else if (c === 'i') o.ignore = 'nonprinting';
  else if (c === 'f') o.translate = true;
  else if (c === 'n') o.numeric = true;
  else if (c === 'g') o.general = true;
  else if (c === 'h') o.human = true;
  else if (c === 'M') o.month = true;
  else if (c === 'r') o.reverse = true;
}

/** sort.c default_key_compare: no ordering option of its own (then it takes the global ones). */
function hasNoOrder(k: KeyOrder): boolean {
  return !(
    k.ignore !== 'none' ||
    k.translate ||
    k.skipsblanks ||
    k.skipeblanks ||
    k.month ||
    k.numeric ||
    k.general ||
    k.human ||
    k.reverse
  );
}

/** sort.c key_to_opts + check_ordering_compatibility: the letters when two orders clash. */
function incompatible(k: KeyOrder): string | undefined {
  const kinds = +k.numeric + +k.general + +k.human + +k.month + +(k.ignore !== 'none');
  if (kinds < 2) return undefined;
  let s = '';
  if (k.ignore === 'dictionary') s += 'd';
  if (k.translate) s += 'f';
  if (k.general) s += 'g';
  if (k.human) s += 'h';
  if (k.ignore === 'nonprinting') s += 'i';
  if (k.month) s += 'M';
  if (k.numeric) s += 'n';
  return s;
}

function parseKey(spec: string): SortKey | string {
  const m = /^(\d+)(?:\.(\d+))?([bdfghinMRrV]*)(?:,(\d+)(?:\.(\d+))?([bdfghinMRrV]*))?$/.exec(spec);
  if (m === null) {
    const bad = /^\d+/.test(spec) ? spec.replace(/^\d+(\.\d+)?/, '') : spec;
    return /^\d/.test(spec)
      ? `invalid number after ',': invalid count at start of '${bad.slice(1)}'`
      : `invalid number at field start: invalid count at start of '${spec}'`;
  }
  if (Number(m[1]) === 0) return 'field number is zero: invalid field specification';
  if (m[2] !== undefined && Number(m[2]) === 0) {
    return `character offset is zero: invalid field specification '${spec}'`;
  }
  const k: SortKey = {
    ...noOrder(),
    sword: Number(m[1]) - 1,
    schar: m[2] === undefined ? 0 : Number(m[2]) - 1,
    eword: m[4] === undefined ? undefined : Number(m[4]) - 1,
    echar: m[5] === undefined ? 0 : Number(m[5]),
  };
  if (m[4] !== undefined && Number(m[4]) === 0) {
    return `field number is zero: invalid field specification '${spec}'`;
  }
  for (const c of m[3] ?? '') setOrder(k, c, 'start');
  for (const c of m[6] ?? '') setOrder(k, c, 'end');
  return k;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** sort.c begfield: where the key starts in `line`. */
function begfield(line: string, k: SortKey, tab: string | undefined): number {
  let p = 0;
  const lim = line.length;
  let sword = k.sword;
  if (tab !== undefined) {
    while (p < lim && sword-- > 0) {
      while (p < lim && line[p] !== tab) p++;
      if (p < lim) p++;
    }
  } else {
    while (p < lim && sword-- > 0) {
      while (p < lim && isBlank(line[p])) p++;
      while (p < lim && !isBlank(line[p])) p++;
    }
  }
  if (k.skipsblanks) while (p < lim && isBlank(line[p])) p++;
  return Math.min(lim, p + k.schar);
}

/** sort.c limfield: where the key ends in `line`. */
function limfield(line: string, k: SortKey, tab: string | undefined): number {
  const lim = line.length;
  if (k.eword === undefined) return lim;
  let p = 0;
  let eword = k.echar === 0 ? k.eword + 1 : k.eword;
  if (tab !== undefined) {
    while (p < lim && eword-- > 0) {
      while (p < lim && line[p] !== tab) p++;
      if (p < lim && (eword > 0 || k.echar !== 0)) p++;
    }
  } else {
    while (p < lim && eword-- > 0) {
      while (p < lim && isBlank(line[p])) p++;
      while (p < lim && !isBlank(line[p])) p++;
    }
  }
  if (k.echar !== 0) {
    if (k.skipeblanks) while (p < lim && isBlank(line[p])) p++;
    p = Math.min(lim, p + k.echar);
  }
  return p;
}

/**
 * strnumcmp as sort -n uses it in the C locale: blanks, an optional '-',
 * digits, an optional '.' and digits, compared as decimal numbers of any
 * length; anything else (and nothing) is zero.
 */
function numCompare(a: string, b: string): number {
  const parse = (s: string): { neg: boolean; int: string; frac: string } => {
    const m = /^[ \t]*(-?)(\d*)(?:\.(\d*))?/.exec(s)!;
    const int = m[2]!.replace(/^0+/, '');
    const frac = (m[3] ?? '').replace(/0+$/, '');
    return { neg: m[1] === '-' && (int !== '' || frac !== ''), int, frac };
  };
  const x = parse(a);
  const y = parse(b);
  const mag = (): number => {
    if (x.int.length !== y.int.length) return x.int.length < y.int.length ? -1 : 1;
    if (x.int !== y.int) return x.int < y.int ? -1 : 1;
    return x.frac < y.frac ? -1 : x.frac > y.frac ? 1 : 0;
  };
  if (x.neg !== y.neg) return x.neg ? -1 : 1;
  return x.neg ? -mag() : mag();
}

/** strtold's prefix of `s` (blanks first), or undefined when none is a number. */
function strtold(s: string): number | undefined {
  const m =
    /^[ \t\n\v\f\r]*([-+]?)(inf(?:inity)?|nan|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/i.exec(
      s,
    );
  if (m === null) return undefined;
  const body = m[2]!.toLowerCase();
  const v = body.startsWith('inf')
    ? Number.POSITIVE_INFINITY
    : body === 'nan'
      ? Number.NaN
      : body.startsWith('0x')
        ? Number.parseInt(body, 16)
        : Number(body);
  return m[1] === '-' ? -v : v;
}

/** sort.c general_numcompare: non-numbers first, then NaNs, then the numbers. */
function generalCompare(a: string, b: string): number {
  const x = strtold(a);
  const y = strtold(b);
  if (x === undefined) return y === undefined ? 0 : -1;
  if (y === undefined) return 1;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
}

/** sort.c human_numcompare: the SI suffix first (none < K < M < …), then the number. */
function humanCompare(a: string, b: string): number {
  const order = (s: string): number => {
    const m = /^[ \t]*-?\d*(?:\.\d*)?([KMGTPEZYRQk]?)/.exec(s)!;
    const neg = /^[ \t]*-/.test(s) && /\d/.test(m[0]);
    const i = ' kKMGTPEZYRQ'.indexOf(m[1] || ' ');
    const mag = m[1] === '' ? 0 : m[1] === 'k' ? 1 : i - 1;
    return neg ? -mag : mag;
  };
  const d = order(a) - order(b);
  return d !== 0 ? Math.sign(d) : numCompare(a, b);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** sort.c getmonth: 1..12 for a month's abbreviation after blanks (any case), 0 otherwise. */
function month(s: string): number {
  const m = /^[ \t\n\v\f\r]*(\S{3})/.exec(s);
  return m === null ? 0 : MONTHS.indexOf(m[1]!.toUpperCase()) + 1;
}

/** The key's characters that count (d, i) with f's translation, for a plain comparison. */
function orderedText(s: string, k: KeyOrder): string {
  let t = s;
  if (k.ignore === 'dictionary') t = t.replace(/[^ \t0-9A-Za-z]/g, '');
  else if (k.ignore === 'nonprinting') t = t.replace(/[^\x20-\x7e]/g, '');
  return k.translate ? t.replace(/[a-z]+/g, (x) => x.toUpperCase()) : t;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** sort.c keycompare of one key's texts. */
function compareKeyText(a: string, b: string, k: KeyOrder): number {
  let c: number;
  if (k.numeric) c = numCompare(a, b);
  else if (k.general) c = generalCompare(a, b);
  else if (k.human) c = humanCompare(a, b);
  else if (k.month) c = month(a) - month(b);
  else c = byteCompare(orderedText(a, k), orderedText(b, k));
  return k.reverse ? -c : c;
}

/** sort (src/sort.c): the ordering options, keys, -c/-C, -u, -s, -o; C locale collation. */
export const sort: Command = async (proc) => {
  const name = progName(proc, 'sort');
  const o = options(
    proc,
    name,
    'bdfghiMnrRVuk:t:so:zcC',
    [
      { name: 'ignore-leading-blanks', hasArg: false, key: 'b' },
      { name: 'dictionary-order', hasArg: false, key: 'd' },
      { name: 'ignore-case', hasArg: false, key: 'f' },
      { name: 'general-numeric-sort', hasArg: false, key: 'g' },
      { name: 'human-numeric-sort', hasArg: false, key: 'h' },
      { name: 'ignore-nonprinting', hasArg: false, key: 'i' },
      { name: 'month-sort', hasArg: false, key: 'M' },
      { name: 'numeric-sort', hasArg: false, key: 'n' },
      { name: 'reverse', hasArg: false, key: 'r' },
      { name: 'unique', hasArg: false, key: 'u' },
      { name: 'key', hasArg: true, key: 'k' },
      { name: 'field-separator', hasArg: true, key: 't' },
      { name: 'stable', hasArg: false, key: 's' },
      { name: 'output', hasArg: true, key: 'o' },
      { name: 'zero-terminated', hasArg: false, key: 'z' },
      { name: 'check', hasArg: false, key: 'c' },
    ],
    2,
  );
  if (typeof o === 'number') return o;
  const g = noOrder();
  let unique = false;
  let stable = false;
  let check: 'c' | 'C' | undefined;
  const keys: SortKey[] = [];
  let tab: string | undefined;
  let output: string | undefined;
  for (const opt of o.options) {
    const c = opt.key;
    if ('bdfghiMnr'.includes(c)) setOrder(g, c);
    else if (c === 'R' || c === 'V') {
      proc.stderr.write(`${name}: -${c} is not supported by tcplab's sort\n`);
      return 2;
    } else if (c === 'u') unique = true;
    else if (c === 's') stable = true;
    else if (c === 'c' || c === 'C') check = c;
    else if (c === 'o') output = opt.value;
    else if (c === 't') {
      if ((opt.value ?? '').length !== 1) {
        proc.stderr.write(`${name}: multi-character tab '${opt.value}'\n`);
        return 2;
      }
      tab = opt.value;
    } else if (c === 'k') {
      const k = parseKey(opt.value ?? '');
      if (typeof k === 'string') {
        proc.stderr.write(`${name}: ${k}\n`);
        return 2;
      }
      keys.push(k);
    }
  }
  // Keys with no ordering option of their own take the global ones.
  for (const k of keys) if (hasNoOrder(k)) Object.assign(k, g);
  // No key: the whole line, with the global options (sort.c's default key).
  const keyList: SortKey[] =
    keys.length > 0
      ? keys
      : hasNoOrder(g)
        ? []
        : [{ ...g, sword: 0, schar: 0, eword: undefined, echar: 0 }];
  for (const k of keyList) {
    const bad = incompatible(k);
    if (bad !== undefined) {
      proc.stderr.write(`${name}: options '-${bad}' are incompatible\n`);
      return 2;
    }
  }
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  if (check !== undefined && files.length > 1) {
    proc.stderr.write(`${name}: extra operand '${files[1]}' not allowed with -${check}\n`);
    return 2;
  }
  const keyCompare = (a: string, b: string): number => {
    for (const k of keyList) {
      const ta = a.slice(begfield(a, k, tab), Math.max(begfield(a, k, tab), limfield(a, k, tab)));
      const tb = b.slice(begfield(b, k, tab), Math.max(begfield(b, k, tab), limfield(b, k, tab)));
      const c = compareKeyText(ta, tb, k);
      if (c !== 0) return c;
    }
    return 0;
  };
  // sort.c compare: the keys, then (unless -s or -u) the whole lines, reversed by a global -r.
  const compare = (a: string, b: string): number => {
    if (keyList.length > 0) {
      const c = keyCompare(a, b);
      if (c !== 0 || unique || stable) return c;
    }
    const last = byteCompare(a, b);
    return g.reverse ? -last : last;
  };
  const all: string[] = [];
  for (const f of files) {
    const data = await readInput(proc, f);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: cannot read: ${quotef(f)}: ${data.message}\n`);
      return 2;
    }
    all.push(...lines(data));
  }
  if (check !== undefined) {
    // -c: the first line out of order (with -u, not strictly after the one before).
    for (let i = 1; i < all.length; i++) {
      const c = compare(all[i - 1]!, all[i]!);
      if (c > 0 || (unique && c === 0)) {
        if (check === 'c')
          proc.stderr.write(`${name}: ${files[0]}:${i + 1}: disorder: ${all[i]}\n`);
        return 1;
      }
    }
    return 0;
  }
  const sorted = all
    .map((l, i) => ({ l, i }))
    .sort((x, y) => compare(x.l, y.l) || x.i - y.i)
    .map((x) => x.l);
  const result: string[] = [];
  for (const l of sorted) {
    if (unique && result.length > 0 && compare(result[result.length - 1] as string, l) === 0)
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
  const o = options(proc, name, 'cduif:s:w:', [
    { name: 'count', hasArg: false, key: 'c' },
    { name: 'repeated', hasArg: false, key: 'd' },
    { name: 'unique', hasArg: false, key: 'u' },
    { name: 'ignore-case', hasArg: false, key: 'i' },
    { name: 'skip-fields', hasArg: true, key: 'f' },
    { name: 'skip-chars', hasArg: true, key: 's' },
    { name: 'check-chars', hasArg: true, key: 'w' },
  ]);
  if (typeof o === 'number') return o;
  const f = new Set(o.options.map((x) => x.key));
  // -f, -s, -w: what part of a line is compared (uniq.c find_field; the last one given counts).
  let skipFields = 0;
  let skipChars = 0;
  let checkChars = Number.POSITIVE_INFINITY;
  for (const opt of o.options) {
    if (opt.key !== 'f' && opt.key !== 's' && opt.key !== 'w') continue;
    const v = opt.value ?? '';
    if (!/^\d+$/.test(v)) {
      const what =
        opt.key === 'f'
          ? 'invalid number of fields to skip'
          : opt.key === 's'
            ? 'invalid number of bytes to skip'
            : 'invalid number of bytes to compare';
      proc.stderr.write(`${name}: ${v}: ${what}\n`);
      return 1;
    }
    // Beyond any line's length, a huge count is the same as SIZE_MAX.
    const n = Math.min(Number(v), Number.MAX_SAFE_INTEGER);
    if (opt.key === 'f') skipFields = n;
    else if (opt.key === 's') skipChars = n;
    else checkChars = n;
  }
  if (o.operands.length > 2) return usage(proc, name, `extra operand '${o.operands[2]}'`);
  const data = await readInput(proc, o.operands[0] ?? '-');
  if (data instanceof FsError) {
    proc.stderr.write(`${name}: ${quotef(o.operands[0] ?? '-')}: ${data.message}\n`);
    return 1;
  }
  const keyOf = (line: string): string => {
    let i = 0;
    for (let n = 0; n < skipFields && i < line.length; n++) {
      while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    }
    const key = line.slice(Math.min(line.length, i + skipChars));
    const cut = checkChars === Number.POSITIVE_INFINITY ? key : key.slice(0, checkChars);
    return f.has('i') ? cut.toLowerCase() : cut;
  };
  const same = (a: string, b: string): boolean => keyOf(a) === keyOf(b);
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

/**
 * A cut list (`1,3-5,7-`, cut.c set_fields): ranges sorted and merged where
 * they overlap (not where they only touch: `1-2,3-4` stays two ranges, and
 * an output delimiter goes between them), or the message for a bad one.
 */
function parseList(spec: string, fields: boolean): [number, number][] | string {
  const ranges: [number, number][] = [];
  const what = fields ? 'fields are' : 'byte/character positions are';
  for (const piece of spec.split(/[,\t ]/)) {
    if (piece === '-') return 'invalid range with no endpoint: -';
    const m = /^(\d*)(-?)(\d*)$/.exec(piece);
    if (m === null) {
      return `invalid ${fields ? 'field value' : 'byte/character position'} '${piece}'`;
    }
    const lo = m[1] === '' ? (m[2] === '' ? 0 : 1) : Number(m[1]);
    const hi = m[2] === '' ? lo : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (lo === 0 || hi === 0) return `${what} numbered from 1`;
    if (hi < lo) return 'invalid decreasing range';
    ranges.push([lo, hi]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** The ranges of positions `ranges` leaves out (--complement). */
function complementRanges(ranges: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let next = 1;
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next !== Number.POSITIVE_INFINITY) out.push([next, Number.POSITIVE_INFINITY]);
  return out;
}

/**
 * cut (src/cut.c): -f LIST with -d (default TAB) and -s, -b/-c LIST (bytes,
 * as GNU's -c is in any locale), --complement, --output-delimiter. Lines are
 * bytes: a cut in the middle of a UTF-8 character leaves the bytes it cut.
 */
export const cut: Command = async (proc) => {
  const name = progName(proc, 'cut');
  const o = options(proc, name, 'b:c:d:f:sn', [
    { name: 'bytes', hasArg: true, key: 'b' },
    { name: 'characters', hasArg: true, key: 'c' },
    { name: 'delimiter', hasArg: true, key: 'd' },
    { name: 'fields', hasArg: true, key: 'f' },
    { name: 'only-delimited', hasArg: false, key: 's' },
    { name: 'complement', hasArg: false, key: 'C' },
    { name: 'output-delimiter', hasArg: true, key: 'O' },
  ]);
  if (typeof o === 'number') return o;
  let mode: 'f' | 'b' | undefined;
  let list: string | undefined;
  let delim: string | undefined;
  let outDelim: string | undefined;
  let onlyDelimited = false;
  let complement = false;
  for (const opt of o.options) {
    if (opt.key === 'f' || opt.key === 'c' || opt.key === 'b') {
      if (mode !== undefined) return usage(proc, name, 'only one type of list may be specified');
      mode = opt.key === 'f' ? 'f' : 'b';
      list = opt.value;
    } else if (opt.key === 'd') {
      const d = toByteString(opt.value ?? '');
      if (d.length > 1) return usage(proc, name, 'the delimiter must be a single character');
      // -d '' is NUL (cut.c).
      delim = d === '' ? '\0' : d;
    } else if (opt.key === 's') onlyDelimited = true;
    else if (opt.key === 'C') complement = true;
    else if (opt.key === 'O') outDelim = toByteString(opt.value ?? '');
  }
  if (mode === undefined || list === undefined) {
    return usage(proc, name, 'you must specify a list of bytes, characters, or fields');
  }
  if (mode === 'b' && delim !== undefined) {
    return usage(proc, name, 'an input delimiter may be specified only when operating on fields');
  }
  if (mode === 'b' && onlyDelimited) {
    return usage(
      proc,
      name,
      'suppressing non-delimited lines makes sense\n\tonly when operating on fields',
    );
  }
  const parsed = parseList(list, mode === 'f');
  if (typeof parsed === 'string') return usage(proc, name, parsed);
  const ranges = complement ? complementRanges(parsed) : parsed;
  const d = delim ?? '\t';
  const cutLine = (line: string): string | undefined => {
    if (mode === 'b') {
      // A new range after something printed gets the output delimiter (when one was given).
      let out = '';
      let printed = false;
      for (const [lo, hi] of ranges) {
        if (lo > line.length) break;
        if (printed && outDelim !== undefined) out += outDelim;
        out += line.slice(lo - 1, Math.min(hi, line.length));
        printed = true;
      }
      return out;
    }
    if (!line.includes(d)) return onlyDelimited ? undefined : line;
    const fields = line.split(d);
    const picked: string[] = [];
    for (const [lo, hi] of ranges) {
      for (let i = lo; i <= hi && i <= fields.length; i++) picked.push(fields[i - 1]!);
    }
    return picked.join(outDelim ?? d);
  };
  const files = o.operands.length === 0 ? ['-'] : o.operands;
  let status = 0;
  for (const f of files) {
    if (f === '-') {
      await eachStdinByteLine(proc, (line) => {
        const c = cutLine(line);
        if (c !== undefined) proc.stdout.write(byteStringBytes(`${c}\n`));
        return true;
      });
      continue;
    }
    const data = proc.fs.readFile(f, proc.cwd);
    if (data instanceof FsError) {
      proc.stderr.write(`${name}: ${quotef(f)}: ${data.message}\n`);
      status = 1;
      continue;
    }
    let out = '';
    for (const line of byteLines(data)) {
      const c = cutLine(line);
      if (c !== undefined) out += `${c}\n`;
    }
    proc.stdout.write(byteStringBytes(out));
  }
  return status;
};

/** Expands a tr SET: ranges, [:class:], escapes. */
function trSet(spec: string, classes: { name: string; at: number }[] = []): string[] | string {
  const out: string[] = [];
  const chars: string[] = [];
  let i = 0;
  while (i < spec.length) {
    const m = /^\[:([a-z]+):\]/.exec(spec.slice(i));
    if (m !== null) {
      const cls = m[1] as string;
      const src = CLASSES[cls];
      if (src === undefined) return `invalid character class '${cls}'`;
      chars.push(`\u0000at${cls}`);
      const re = new RegExp(`[${src}]`);
      for (let c = 0; c < 128; c++) {
        const ch = String.fromCharCode(c);
        if (re.test(ch)) chars.push(`\u0000cls${ch}`);
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
    if (c.startsWith('\u0000at')) {
      // Where a class starts among the characters (tr.c checks [:upper:] and [:lower:] against it).
      classes.push({ name: c.slice(3), at: out.length });
      continue;
    }
    if (c.startsWith('\u0000cls')) {
      out.push(c.slice(4));
      continue;
    }
    if (chars[k + 1] === '-' && k + 2 < chars.length) {
      const end = chars[k + 2] as string;
      if (end.charCodeAt(0) < c.charCodeAt(0)) {
        return `range-endpoints of '${c}-${end}' are in reverse collating sequence order`;
      }
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
  const classes1: { name: string; at: number }[] = [];
  const classes2: { name: string; at: number }[] = [];
  // Bytes, as tr sees them in the C locale (a UTF-8 character is two or more).
  const set1 = trSet(toByteString(a), classes1);
  const set2 = b === undefined ? [] : trSet(toByteString(b), classes2);
  for (const bad of [set1, set2]) {
    if (typeof bad === 'string') {
      proc.stderr.write(`${name}: ${bad}\n`);
      return 1;
    }
  }
  if (typeof set1 === 'string' || typeof set2 === 'string') return 1;
  if (translating) {
    // tr.c validate: string2's classes are [:upper:] and [:lower:] only, each
    // facing one of them at the same place in string1.
    for (const c of classes2) {
      if (c.name !== 'upper' && c.name !== 'lower') {
        proc.stderr.write(
          `${name}: when translating, the only character classes that may appear in\nstring2 are 'upper' and 'lower'\n`,
        );
        return 1;
      }
      if (!classes1.some((d) => d.at === c.at && (d.name === 'upper' || d.name === 'lower'))) {
        proc.stderr.write(`${name}: misaligned [:upper:] and/or [:lower:] construct\n`);
        return 1;
      }
    }
  }
  const inSet1 = (c: string): boolean => set1.includes(c) !== f.has('c');
  const text = bytesToByteString(await readStdinBytes(proc));
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
  return write(proc, name, byteStringBytes(out)) ? 0 : 1;
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
      proc.stderr.write(`${name}: ${quotef(f)}: ${r.message}\n`);
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
        proc.stderr.write(`${name}: ${quotef(f)}: ${r.message}\n`);
        status = 1;
      }
    }
  }
  return status;
};
