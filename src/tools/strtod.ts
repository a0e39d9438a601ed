/**
 * C's strtod over a whole option argument, as the real tools call it: leading
 * blanks, a sign, a decimal number with an optional exponent, a hexadecimal
 * integer, `inf`/`infinity` or `nan` (any case). What follows the number must
 * be nothing; `undefined` when anything else is there or nothing is a number.
 */
export function strtodWhole(text: string): number | undefined {
  const m =
    /^\s*([+-]?)(0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i.exec(
      text,
    );
  if (m === null) return undefined;
  const body = m[2]!.toLowerCase();
  const magnitude = body.startsWith('inf')
    ? Number.POSITIVE_INFINITY
    : body === 'nan'
      ? Number.NaN
      : Number(body);
  return m[1] === '-' ? -magnitude : magnitude;
}
