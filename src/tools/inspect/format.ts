/**
 * printf conversions the inspected tools use that JavaScript lacks: C's `%g`
 * (ss prints rtt and rto with it, ping its packet loss), and helpers for
 * column padding.
 */

/** C printf `%.<precision>g` (glibc): shortest of %e / %f, trailing zeros removed. */
export function formatG(x: number, precision = 6): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const p = precision === 0 ? 1 : precision;
  // The exponent after rounding to p significant digits.
  const exp = Number(x.toExponential(p - 1).split('e')[1]);
  let s: string;
  if (exp < -4 || exp >= p) {
    const [mant, e] = x.toExponential(p - 1).split('e') as [string, string];
    const m = stripZeros(mant);
    const n = Number(e);
    s = `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  } else {
    s = stripZeros(x.toFixed(Math.max(0, p - 1 - exp)));
  }
  return s;
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

/** `%-Ns`: left-justified in a field of `n`. */
export function padRight(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

/** `%Ns`: right-justified in a field of `n`. */
export function padLeft(s: string | number, n: number): string {
  return String(s).padStart(n);
}
