/**
 * C's printf conversions of a double (glibc's, which awk and printf hand
 * their numbers to): `%f` with exact digits and ties to even, `%e` with at
 * least two exponent digits, `%g` choosing between them and dropping
 * trailing zeros, inf and nan.
 */

/**
 * A tie exactly halfway between the two nearest results, to `p` digits after
 * the point of `digits` (a longer, exact expansion): C rounds it to even where
 * JavaScript rounds it up (printf("%.1f", 2.25) is 2.2).
 */
function halfwayTie(digits: string, p: number): boolean {
  const point = digits.indexOf('.');
  const rest = point < 0 ? '' : digits.slice(point + 1 + p);
  return /^50*$/.test(rest);
}

/** `%.<p>f` of C (ties to even). */
export function cFixed(v: number, p: number): string {
  // toFixed writes 1e21 and above in exponent form, and takes at most 100
  // digits: from 2^53 on a double is an integer, its digits exact as BigInt's.
  if (Math.abs(v) >= 2 ** 53) return `${BigInt(v)}${p > 0 ? `.${'0'.repeat(p)}` : ''}`;
  if (p > 100) return `${cFixed(v, 100)}${'0'.repeat(p - 100)}`;
  const exact = v.toFixed(Math.min(100, p + 30));
  if (!halfwayTie(exact, p)) return v.toFixed(p);
  // Truncate, then round up only when the last kept digit is odd.
  const cut = exact.slice(0, exact.indexOf('.') + (p === 0 ? 0 : p + 1));
  const lastDigit = Number(cut.replace('.', '').slice(-1));
  if (lastDigit % 2 === 0) return cut;
  return (Math.sign(v) * (Math.abs(Number(cut)) + 10 ** -p)).toFixed(p);
}

/** `%.<p>e` of C: mantissa, then `e±dd`. */
export function cExp(v: number, p: number, upper: boolean): string {
  let s = v.toExponential(p);
  const exact = v.toExponential(Math.min(100, p + 30));
  const mant = exact.split('e')[0]!;
  if (halfwayTie(mant, p)) {
    const cut = mant.slice(0, mant.indexOf('.') + (p === 0 ? 0 : p + 1));
    if (Number(cut.replace('.', '').slice(-1)) % 2 === 0) s = `${cut}e${exact.split('e')[1]}`;
  }
  s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  return upper ? s.toUpperCase() : s;
}

/** `%.<p>g` of C (`alt`: the `#` flag keeps trailing zeros). */
export function cGeneral(v: number, precision: number, upper = false, alt = false): string {
  if (!Number.isFinite(v)) return nonFinite(v, upper);
  const p = precision === 0 ? 1 : precision;
  if (v === 0) {
    const zero = alt ? `0.${'0'.repeat(p - 1)}` : '0';
    return Object.is(v, -0) ? `-${zero}` : zero;
  }
  const exp = Number(v.toExponential(p - 1).split('e')[1]);
  let s: string;
  if (exp < -4 || exp >= p) {
    s = cExp(v, p - 1, upper);
    if (!alt) s = s.replace(/\.?0+(e)/i, '$1');
  } else {
    s = cFixed(v, p - 1 - exp);
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
  }
  // `#` always keeps the decimal point (`%#.0g` of 3.1 is `3.`, of 1e3 `1.e+03`).
  if (alt && !s.includes('.')) s = s.replace(/^(-?\d+)/, '$1.');
  return s;
}

/**
 * inf, -inf, and NaN: by default as x86's default NaN prints (its sign bit
 * set: what 0/0, log(-1) and fmod(x, 0) give). A NaN's sign is not a
 * JavaScript number's: `negativeNaN` says which it is. DEVIATION(mawk): awk
 * does not track it, so -log(-1), "nan" in C, prints -nan there too.
 */
export function nonFinite(v: number, upper: boolean, negativeNaN = true): string {
  const s = Number.isNaN(v) ? (negativeNaN ? '-nan' : 'nan') : v > 0 ? 'inf' : '-inf';
  return upper ? s.toUpperCase() : s;
}

/**
 * One of %f %F %e %E %g %G of `v` (precision 6 when undefined; `alt`: the
 * `#` flag), with its sign and C's -0; flags that add a sign or padding are
 * the caller's.
 */
export function cFloat(
  conv: string,
  v: number,
  precision: number | undefined,
  alt: boolean,
  negativeNaN = true,
): string {
  const p = precision ?? 6;
  const upper = conv === 'E' || conv === 'G' || conv === 'F';
  let text: string;
  if (!Number.isFinite(v)) text = nonFinite(v, upper, negativeNaN);
  else if (conv === 'f' || conv === 'F') text = cFixed(v, p);
  else if (conv === 'e' || conv === 'E') text = cExp(v, p, upper);
  else text = cGeneral(v, p, upper, alt);
  if (alt && (conv === 'f' || conv === 'F' || conv === 'e' || conv === 'E') && p === 0) {
    text = text.replace(/^(-?\d+)/, '$1.');
  }
  // C keeps the sign of -0 (JavaScript's toFixed and toExponential drop it).
  if (Object.is(v, -0) && !text.startsWith('-')) text = `-${text}`;
  return text;
}
