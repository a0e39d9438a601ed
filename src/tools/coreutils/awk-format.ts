/**
 * C's printf conversions as awk needs them (mawk 1.3.4 hands them to the C
 * library): %d %i %o %x %X %u %c %s %e %E %f %F %g %G %%, flags `-+ #0`, width
 * and precision, `*`. Numbers print as C prints them: `%e` with at least two
 * exponent digits, `%g` choosing between the two and dropping trailing zeros.
 */

import { cExp, cFixed, cGeneral, nonFinite } from '../../shell/c-format.js';

export { cGeneral };

/** What a conversion takes from an argument: awk's string and number views. */
export interface FormatArg {
  str(): string;
  num(): number;
}

/** A conversion found no argument left (mawk: "not enough arguments passed to"). */
export class MissingArgument {
  constructor(
    /** What was formatted before it. */
    readonly partial: string,
  ) {}
}

/**
 * sprintf(fmt, args...): the text. Throws MissingArgument when a conversion
 * has no argument left.
 */
export function awkSprintf(format: string, args: readonly FormatArg[]): string {
  let out = '';
  let ai = 0;
  const next = (): FormatArg => {
    const a = args[ai++];
    if (a === undefined) throw new MissingArgument(out);
    return a;
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([diouxXcseEfFgG%])/.exec(format.slice(i));
    if (m === null) {
      out += c;
      continue;
    }
    i += m[0].length - 1;
    const flags = m[1]!;
    const conv = m[4]!;
    if (conv === '%') {
      out += '%';
      continue;
    }
    let width =
      m[2] === '*' ? Math.trunc(next()?.num() ?? 0) : m[2] === undefined ? 0 : Number(m[2]);
    let left = flags.includes('-');
    if (width < 0) {
      left = true;
      width = -width;
    }
    let precision: number | undefined =
      m[3] === undefined
        ? undefined
        : m[3] === '*'
          ? Math.trunc(next()?.num() ?? 0)
          : Number(m[3] || 0);
    if (precision !== undefined && precision < 0) precision = undefined;
    const arg: FormatArg | undefined = next();
    let text: string;
    let numeric = true;
    switch (conv) {
      case 's':
        numeric = false;
        text = arg?.str() ?? '';
        if (precision !== undefined) text = text.slice(0, precision);
        break;
      case 'c': {
        numeric = false;
        if (arg === undefined) text = '';
        else {
          // A number is a character code; a string gives its first character,
          // an empty one its terminating NUL (mawk prints that byte).
          const s = arg.str();
          const n = arg.num();
          text = isNumberArg(arg)
            ? String.fromCharCode(clampInt(n) & 255)
            : s.length > 0
              ? s.slice(0, 1)
              : '\0';
        }
        break;
      }
      case 'd':
      case 'i': {
        // mawk's d_to_I: an int, clamped to ±Max_Int (NaN to its low end).
        const v = clampInt(arg?.num() ?? 0);
        text = intDigits(Math.abs(v), precision);
        text = (v < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + text;
        break;
      }
      case 'o':
      case 'u':
      case 'x':
      case 'X': {
        // mawk's d_to_U: an unsigned int, negatives (and NaN) 0, at most UINT_MAX.
        const d = arg?.num() ?? 0;
        const v = !(d > 0) ? 0 : d >= 4294967295 ? 4294967295 : Math.trunc(d);
        const base = conv === 'o' ? 8 : conv === 'u' ? 10 : 16;
        text = BigInt(Math.trunc(v)).toString(base);
        if (precision !== undefined) text = text.padStart(precision, '0');
        if (conv === 'X') text = text.toUpperCase();
        if (flags.includes('#') && v !== 0) {
          if (conv === 'o' && !text.startsWith('0')) text = `0${text}`;
          else if (conv === 'x') text = `0x${text}`;
          else if (conv === 'X') text = `0X${text}`;
        }
        break;
      }
      default: {
        const v = arg?.num() ?? 0;
        const p = precision ?? 6;
        const upper = conv === 'E' || conv === 'G' || conv === 'F';
        if (!Number.isFinite(v)) text = nonFinite(v, upper);
        else if (conv === 'f' || conv === 'F') text = cFixed(v, p);
        else if (conv === 'e' || conv === 'E') text = cExp(v, p, upper);
        else text = cGeneral(v, p, upper, flags.includes('#'));
        // C keeps the sign of -0 (JavaScript's toFixed and toExponential drop it).
        if (Object.is(v, -0) && !text.startsWith('-')) text = `-${text}`;
        if (v >= 0 && !text.startsWith('-')) {
          if (flags.includes('+')) text = `+${text}`;
          else if (flags.includes(' ')) text = ` ${text}`;
        }
      }
    }
    if (text.length < width) {
      if (left) text = text.padEnd(width);
      else if (
        numeric &&
        flags.includes('0') &&
        !(precision !== undefined && /[diouxX]/.test(conv))
      ) {
        const sign = /^[-+ ]/.test(text) ? text[0]! : '';
        const prefix = /^[-+ ]?0[xX]/.test(text) ? text.slice(sign.length, sign.length + 2) : '';
        const body = text.slice(sign.length + prefix.length);
        text = sign + prefix + body.padStart(width - sign.length - prefix.length, '0');
      } else text = text.padStart(width);
    }
    out += text;
  }
  return out;
}

const MAX_INT = 2147483647;

function clampInt(d: number): number {
  if (Number.isNaN(d)) return -MAX_INT;
  return d >= MAX_INT ? MAX_INT : d <= -MAX_INT ? -MAX_INT : Math.trunc(d);
}

function intDigits(v: number, precision: number | undefined): string {
  let s = v < 2 ** 53 ? String(v) : BigInt(v).toString();
  if (precision !== undefined) s = precision === 0 && v === 0 ? '' : s.padStart(precision, '0');
  return s;
}

/** Whether an argument is a number (not a string) for %c. */
function isNumberArg(arg: FormatArg): boolean {
  return (arg as { isNumber?: () => boolean }).isNumber?.() ?? false;
}
