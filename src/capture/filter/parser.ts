/**
 * The LR parser that drives the code generator, run the way bison's yacc.c
 * skeleton runs its tables: a token is read only in states that need one;
 * elsewhere the default reduction happens first. So `host nosuch )` reports
 * "unknown host 'nosuch'" (the name is looked up before the `)` is read), just
 * as tcpdump does.
 *
 * Errors follow libpcap's bookkeeping: the first error set by the scanner or
 * the parser stays, an error from the code generator replaces it (gencode.c
 * bpf_error writes the message buffer unconditionally).
 */

import { CompileAbort, type Gen } from './gencode.js';
import { type ParseContext, parseTables, type Val } from './grammar.js';
import type { Block } from './icode.js';
import { Lexer, type Token } from './lexer.js';

export type ParseResult =
  | { readonly ok: true; readonly root: Block | null }
  | { readonly ok: false; readonly message: string };

/** grammar.y yyerror. */
const SYNTAX_ERROR = "can't parse filter expression: syntax error";

/** The semantic value a token carries onto the stack (NULL for a rejected one). */
function tokenValue(t: Token): Val {
  if (t.error !== undefined) return undefined;
  return t.num ?? t.text;
}

/** Parses `expression`, generating code with `gen`; returns the DAG's root (null if empty). */
export function parseFilter(expression: string, gen: Gen): ParseResult {
  const { states, productions } = parseTables();
  const lexer = new Lexer(expression);
  const ctx: ParseContext = { gen, root: null };
  // libpcap cstate->error_set: the first message from the scanner or parser.
  let errorSet: string | undefined;
  const stateStack: number[] = [0];
  const valueStack: Val[] = [undefined];
  let lookahead: Token | null = null;
  try {
    for (;;) {
      const state = states[stateStack[stateStack.length - 1]!]!;
      let action: { kind: 'shift'; state: number } | { kind: 'reduce'; rule: number } | null;
      if (!state.needsLookahead) {
        action =
          state.defaultRule === undefined ? null : { kind: 'reduce', rule: state.defaultRule };
      } else {
        if (lookahead === null) {
          lookahead = lexer.next();
          if (lookahead.error !== undefined) errorSet ??= lookahead.error;
        }
        const a = state.actions.get(lookahead.kind);
        if (a === undefined) {
          action =
            state.defaultRule === undefined ? null : { kind: 'reduce', rule: state.defaultRule };
        } else action = a.kind === 'error' ? null : a;
      }
      if (action === null) return { ok: false, message: errorSet ?? SYNTAX_ERROR };
      if (action.kind === 'shift') {
        // Shifting the end of input is accepting: `$accept: prog $end`.
        if (lookahead!.kind === '$end') return { ok: true, root: ctx.root };
        stateStack.push(action.state);
        valueStack.push(tokenValue(lookahead!));
        lookahead = null;
        continue;
      }
      const prod = productions[action.rule]!;
      const n = prod.rhs.length;
      const base = valueStack.length - n;
      const values = valueStack.slice(base);
      const below = valueStack[base - 1];
      const below2 = valueStack[base - 2];
      // bison's default action is `$$ = $1`.
      const result = prod.action ? prod.action(values, below, ctx, below2) : values[0];
      stateStack.length -= n;
      valueStack.length -= n;
      const next = states[stateStack[stateStack.length - 1]!]!.gotos.get(prod.lhs);
      if (next === undefined) return { ok: false, message: errorSet ?? SYNTAX_ERROR };
      stateStack.push(next);
      valueStack.push(result);
    }
  } catch (e) {
    if (!(e instanceof CompileAbort)) throw e;
    const message = e.overwrite ? e.message : (errorSet ?? e.message);
    return { ok: false, message: message ?? errorSet ?? SYNTAX_ERROR };
  }
}
