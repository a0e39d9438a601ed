/**
 * `[[ … ]]` as bash 5.2.15 evaluates it (each expectation is what the real
 * bash printed for the same line on this machine).
 */

import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

describe('[[ ]]', () => {
  it('expands operands without splitting or globbing; == matches a pattern, quoted parts literal', async () => {
    const s = await session();
    s.take();
    expect(await s.type('[[ a == a ]] && echo yes; echo st=$?')).toBe('yes\nst=0\n');
    expect(await s.type('[[ -n $x ]] || echo empty')).toBe('empty\n');
    expect(
      await s.type('x="a b"; [[ $x == a* ]] && echo glob; [[ $x == "a*" ]] || echo literal'),
    ).toBe('glob\nliteral\n');
    expect(await s.type('y=\'a*\'; [[ abc == $y ]] && echo unq; [[ abc == "$y" ]] || echo q')).toBe(
      'unq\nq\n',
    );
    expect(await s.type('[[ $(echo hi) == hi ]] && echo sub')).toBe('sub\n');
  });

  it('=~ takes an extended regular expression; the match is in BASH_REMATCH', async () => {
    const s = await session();
    s.take();
    expect(await s.type('[[ abc =~ ^a(b)c$ ]] && echo "re $BASH_REMATCH"')).toBe('re abc\n');
    expect(await s.type('[[ x.c =~ \\.c$ ]] && echo dot; [[ xc =~ \\.c$ ]] || echo nodot')).toBe(
      'dot\nnodot\n',
    );
    expect(await s.type('[[ 12 =~ ^[[:digit:]]+$ ]] && echo digits')).toBe('digits\n');
  });

  it('arithmetic comparisons, string order, &&, ||, !, parentheses and the file tests', async () => {
    const s = await session();
    s.take();
    expect(await s.type('[[ 1+1 -eq 2 ]] && echo arith')).toBe('arith\n');
    expect(await s.type('[[ b < c && ! -z x ]] && echo lt')).toBe('lt\n');
    expect(await s.type('[[ ( a == b ) || -d /tmp ]] && echo group')).toBe('group\n');
    expect(await s.type('[[ -f /etc/hosts && -x /usr/bin/cat ]]; echo st=$?')).toBe('st=0\n');
  });

  it('is a function body, listed as written; malformed ones are syntax errors (status 2)', async () => {
    const s = await session();
    s.take();
    expect(await s.type('f() [[ $1 == y* ]]; f yes && echo fy; type f')).toBe(
      'fy\nf is a function\nf () \n{ \n    [[ $1 == y* ]]\n}\n',
    );
    expect(await s.type('[[ a == ]]')).toBe(
      "-bash: unexpected argument `]]' to conditional binary operator\n",
    );
    expect(await s.type('[[ a b ]]')).toBe('-bash: conditional binary operator expected\n');
    expect(await s.type('echo st=$?')).toBe('st=2\n');
  });
});
