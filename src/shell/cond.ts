/**
 * `[[ EXPR ]]` (bash manual 3.2.5.2, execute_cmd.c execute_cond_command):
 * operands are expanded without word splitting or pathname expansion, `&&`
 * and `||` skip what they need not evaluate, the right side of `==`, `=` and
 * `!=` is a pattern (its quoted parts literal), of `=~` a POSIX extended
 * regular expression (quoted parts literal; the match is in BASH_REMATCH, as
 * one string: tcplab's bash has no arrays), `<` and `>` compare strings, the
 * arithmetic comparisons evaluate both sides as arithmetic. The unary tests
 * and the file comparisons are test's (test-command.ts).
 */

import { posixToJs } from '../tools/coreutils/text.js';
import type { CondExpr, Word } from './parse.js';
import { byteOrder, integerTest, type TestEnv, testCommand } from './test-command.js';

/** What evaluating `[[ ]]` needs from the shell. */
export interface CondEnv {
  /** A word expanded as `[[ ]]` expands it: one string. */
  expand(word: Word): Promise<string>;
  /** A pattern word as an anchored regular expression (glob rules). */
  pattern(word: Word): Promise<RegExp>;
  /** A regular-expression word: its quoted parts literal. */
  regex(word: Word): Promise<string>;
  arith(text: string): bigint;
  /** Sets BASH_REMATCH (the whole match; unset when none). */
  setMatch(match: string | undefined): void;
  readonly test: TestEnv;
}

/** The status: 0 true, 1 false, 2 a regular expression that does not compile. */
export async function evaluateCond(e: CondExpr, env: CondEnv): Promise<0 | 1 | 2> {
  switch (e.kind) {
    case 'group':
      return evaluateCond(e.expr, env);
    case 'not': {
      const v = await evaluateCond(e.expr, env);
      return v === 2 ? 2 : v === 0 ? 1 : 0;
    }
    case 'and': {
      const l = await evaluateCond(e.left, env);
      return l !== 0 ? l : evaluateCond(e.right, env);
    }
    case 'or': {
      const l = await evaluateCond(e.left, env);
      return l === 0 ? 0 : evaluateCond(e.right, env);
    }
    case 'word':
      return (await env.expand(e.word)) !== '' ? 0 : 1;
    case 'unary': {
      const r = testCommand([e.op, await env.expand(e.word)], env.test);
      return 'status' in r ? r.status : 2;
    }
    case 'binary':
      return binary(e.op, e.left, e.right, env);
  }
}

async function binary(op: string, left: Word, right: Word, env: CondEnv): Promise<0 | 1 | 2> {
  const truth = (b: boolean): 0 | 1 => (b ? 0 : 1);
  const l = await env.expand(left);
  switch (op) {
    case '=':
    case '==':
      return truth((await env.pattern(right)).test(l));
    case '!=':
      return truth(!(await env.pattern(right)).test(l));
    case '=~': {
      let re: RegExp;
      try {
        re = new RegExp(posixToJs(await env.regex(right), true));
      } catch {
        return 2;
      }
      const m = re.exec(l);
      env.setMatch(m === null ? undefined : m[0]);
      return truth(m !== null);
    }
    case '<':
      return truth(byteOrder(l, await env.expand(right)) < 0);
    case '>':
      return truth(byteOrder(l, await env.expand(right)) > 0);
    case '-eq':
    case '-ne':
    case '-lt':
    case '-le':
    case '-gt':
    case '-ge': {
      return truth(integerTest(op, env.arith(l), env.arith(await env.expand(right))));
    }
    default: {
      const r = testCommand([l, op, await env.expand(right)], env.test);
      return 'status' in r ? r.status : 2;
    }
  }
}
