/**
 * The values a lab's directives take, parsed as the tools people know write
 * them: durations as `sleep` and `tc` do (`1s`, `500ms`, `2m`), probabilities
 * as netem does (`1%`, or a fraction `0.01`), rates as tc does (`10mbit`), and
 * the wall clock of `%date`. Each parser returns the value or a message saying
 * what was expected; the lab parser adds the file and line.
 */

import { type Duration, NS_PER_MS, NS_PER_S, NS_PER_US } from '../sim/time.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: NS_PER_US,
  µs: NS_PER_US,
  ms: NS_PER_MS,
  s: NS_PER_S,
  sec: NS_PER_S,
  m: 60 * NS_PER_S,
  min: 60 * NS_PER_S,
  h: 3600 * NS_PER_S,
};

/** `1s`, `1.5s`, `250ms`, `10us`, `2m`, `1h`; a bare number is seconds (as `sleep` takes it). */
export function parseDuration(text: string): Parsed<Duration> {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|sec|m|min|h)?$/.exec(text);
  if (!m) {
    return fail(`"${text}" is not a duration (a number with a unit: 1s, 250ms, 10us, 2m, 1h)`);
  }
  const ns = Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] as number));
  if (!Number.isSafeInteger(ns)) return fail(`"${text}" is too long a duration`);
  return ok(ns);
}

/** A duration as a lab writes it: `1h`, `10m`, `90s`, `1.5s`, `250ms`. */
export function formatLabDuration(d: Duration): string {
  if (d > 0 && d % (3600 * NS_PER_S) === 0) return `${d / (3600 * NS_PER_S)}h`;
  if (d > 0 && d % (60 * NS_PER_S) === 0) return `${d / (60 * NS_PER_S)}m`;
  if (d >= NS_PER_S) return `${d / NS_PER_S}s`;
  if (d >= NS_PER_MS) return `${d / NS_PER_MS}ms`;
  if (d >= NS_PER_US) return `${d / NS_PER_US}us`;
  return `${d}ns`;
}

/** `1%`, `0.5%`, or a fraction `0.01`: a probability in 0…1. */
export function parseProbability(text: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(text);
  if (!m) return fail(`"${text}" is not a probability (a percentage like 1% or a fraction 0.01)`);
  const p = m[2] === '%' ? Number(m[1]) / 100 : Number(m[1]);
  if (p > 1) return fail(`"${text}" is more than 100%`);
  return ok(p);
}

const RATE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
};

/** A rate as tc writes it: `10mbit`, `100kbit`, `1gbit`, or bits per second. */
export function parseRate(text: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?|\.\d+)([a-z]*)$/i.exec(text);
  const unit = RATE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) {
    return fail(
      `"${text}" is not a rate (bits per second, or with a unit: 100kbit, 10mbit, 1gbit)`,
    );
  }
  const rate = Number(m[1]) * unit;
  if (rate <= 0) return fail('a rate must be more than zero');
  return ok(rate);
}

/** A whole number in `min`…`max`. */
export function parseInteger(text: string, min: number, max: number): Parsed<number> {
  if (!/^\d+$/.test(text)) return fail(`"${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) return fail(`${text} is out of range (${min}…${max})`);
  return ok(n);
}

/**
 * The lab's wall clock at virtual time 0, in seconds since 1970 UTC:
 * `2026-01-01 00:00:00`, `2026-01-01T12:30:00Z` (always UTC), `2026-01-01`, or
 * `@1767225600` as `date -d` takes epoch seconds.
 */
export function parseDate(text: string): Parsed<number> {
  const epoch = /^@(\d+)$/.exec(text);
  if (epoch) return ok(Number(epoch[1]));
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(?: ?(?:Z|UTC))?$/.exec(
    text,
  );
  if (m) {
    const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = Date.UTC(year, month - 1, day, hour, minute, second);
    const back = new Date(ms);
    if (
      back.getUTCFullYear() === year &&
      back.getUTCMonth() === month - 1 &&
      back.getUTCDate() === day &&
      hour < 24 &&
      minute < 60 &&
      second < 60 &&
      ms >= 0
    ) {
      return ok(ms / 1000);
    }
  }
  return fail(`"${text}" is not a date (2026-01-01 00:00:00, always UTC, or @EPOCH-SECONDS)`);
}

/**
 * Splits a directive's arguments as a shell would, without expansions: words
 * separated by blanks; single and double quotes group (`tcp_rmem="4096 131072
 * 6291456"`); a backslash escapes the next character outside single quotes.
 */
export function splitWords(text: string): Parsed<string[]> {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return fail("unterminated quote (')");
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        word += text[j];
      }
      if (j >= text.length) return fail('unterminated quote (")');
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return fail('a backslash at the end of the line');
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return ok(words);
}

/**
 * What makes a command line impossible to hand to bash as one line: an
 * unterminated quote or a trailing backslash (bash would wait for more lines,
 * which a transcript cannot show). Returns the problem, or undefined.
 */
export function incompleteCommand(command: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      if (i + 1 >= command.length) return 'the command ends with a backslash (a continued line)';
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(command[i - 1] as string))) {
      return undefined; // the rest is a comment
    }
  }
  return quote === undefined ? undefined : `unterminated quote (${quote}) in the command`;
}
