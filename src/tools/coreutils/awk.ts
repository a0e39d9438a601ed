/**
 * awk, as Debian 12's (mawk 1.3.4 20200120) runs the programs of one-liners:
 * `ss -tan | awk '{c[$1]++} END {for (s in c) print s, c[s]}'`. The language
 * of POSIX awk: BEGIN and END, patterns (expressions, regular expressions,
 * ranges), print and printf (to the output, `> file`, `>> file`), if, while,
 * do, for, for-in, break, continue, next, exit, delete, arrays (SUBSEP keys,
 * `in`), fields ($0 rebuilt with OFS when one is assigned, NF), the operators
 * with their precedence, concatenation, strnum comparison (input that looks
 * numeric compares as a number), the built-in functions (length, substr,
 * index, split, sub, gsub, match, sprintf, tolower, toupper, int, sqrt, exp,
 * log, sin, cos, atan2, rand, srand, close, fflush) and variables (NR, NF,
 * FNR, FILENAME, FS, OFS, ORS, RS, SUBSEP, RSTART, RLENGTH, CONVFMT, OFMT,
 * ENVIRON, ARGC, ARGV); options -F, -v, -f, `--`; `var=value` operands.
 * Numbers print as mawk prints them: integers between -2^31 and 2^31 as
 * such, others by OFMT (%.6g); NaN as `-nan` (x86's default NaN).
 * Not there, refused with a message (exit 2) rather than run differently:
 * user-defined functions, getline, output to a pipe (`| "cmd"`), system(),
 * RS other than a newline. DEVIATION(mawk): rand() starts from a fixed seed
 * (mawk seeds it from the time unless -Wrandom): a lab replays the same.
 *
 * Text is bytes, as in mawk (C locale): the interpreter's strings hold one
 * byte per UTF-16 unit (0..255), made from the input's, the program's and the
 * arguments' bytes, and written out as those bytes. So length() and substr()
 * count bytes, `%c` of 232 writes the byte 0xe8, and toupper() changes ASCII
 * letters only.
 */

import { FsError } from '../../os/fs.js';
import type { Proc } from '../../os/process.js';
import { awkSprintf, cGeneral, type FormatArg, MissingArgument } from './awk-format.js';
import {
  byteLines,
  byteStringBytes,
  byteStringText,
  bytesToByteString,
  eachStdinByteLine,
  toByteString,
} from './common.js';
import { posixToJs } from './text.js';

// ---- Values ----------------------------------------------------------------

/** Input that may be a number (fields, getline, ARGV, -v values): POSIX's strnum. */
class StrNum {
  constructor(
    readonly s: string,
    /** Its number when it looks like one (leading/trailing blanks allowed), else undefined. */
    readonly n: number | undefined,
  ) {}
}

type Value = number | string | StrNum;

const UNINIT = new StrNum('', 0);
const NULL_FIELD = new StrNum('', undefined);
const NUMBER_TEXT =
  /^[ \t\n]*[-+]?(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf(?:inity)?|nan)[ \t\n]*$/i;

function strnum(s: string): StrNum {
  return new StrNum(s, NUMBER_TEXT.test(s) ? strtod(s) : undefined);
}

/** C strtod on the longest prefix that is a number; 0 when none. */
function strtod(s: string): number {
  const m =
    /^[ \t\n\r\f\v]*([-+]?)(0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf(?:inity)?|nan)/i.exec(
      s,
    );
  if (m === null) return 0;
  const body = m[2]!.toLowerCase();
  const v = body.startsWith('0x')
    ? Number.parseInt(body, 16)
    : body.startsWith('inf')
      ? Number.POSITIVE_INFINITY
      : body === 'nan'
        ? Number.NaN
        : Number(body);
  return m[1] === '-' ? -v : v;
}

const MAX_INT = 2147483647;

/** mawk's d_to_i: a double as a C int, clamped to ±Max_Int, NaN to -Max_Int. */
function dToI(d: number): number {
  if (d >= MAX_INT) return MAX_INT;
  if (d > -MAX_INT) return Math.trunc(d);
  return -MAX_INT;
}

/** A number as text: integers in range exactly, others by the format (CONVFMT or OFMT). */
function numToStr(n: number, fmt: string): string {
  if (Number.isNaN(n)) return '-nan';
  if (Number.isInteger(n) && n >= -MAX_INT && n <= MAX_INT) return String(n); // -0 too is "0" (mawk prints it with %d)
  if (fmt === '%.6g') return cGeneral(n, 6);
  return awkSprintf(fmt, [{ str: () => String(n), num: () => n }]);
}

// ---- Lexer -----------------------------------------------------------------

type TokKind = 'num' | 'str' | 'ere' | 'name' | 'func' | 'builtin' | 'kw' | 'op' | 'nl' | 'eof';

interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly value?: number | string;
  readonly line: number;
}

const KEYWORDS = new Set([
  'BEGIN',
  'END',
  'function',
  'func',
  'if',
  'else',
  'while',
  'for',
  'do',
  'break',
  'continue',
  'next',
  'nextfile',
  'exit',
  'return',
  'delete',
  'in',
  'getline',
  'print',
  'printf',
]);

const BUILTINS = new Set([
  'length',
  'substr',
  'index',
  'split',
  'sub',
  'gsub',
  'match',
  'sprintf',
  'tolower',
  'toupper',
  'int',
  'sqrt',
  'exp',
  'log',
  'sin',
  'cos',
  'atan2',
  'rand',
  'srand',
  'close',
  'fflush',
  'system',
]);

const OPERATORS = [
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '^=',
  '==',
  '<=',
  '>=',
  '!=',
  '++',
  '--',
  '&&',
  '||',
  '>>',
  '!~',
  '**',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ';',
  ',',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '!',
  '>',
  '<',
  '|',
  '?',
  ':',
  '~',
  '$',
  '=',
];

export class AwkError extends Error {}

/** An error mawk reports without "run time error" (a file it cannot open). */
class AwkFatal extends AwkError {}

/** The escapes of awk strings and of -v values (\n, \t, \\, \", \/, octal). */
export function awkEscapes(s: string): string {
  return s.replace(/\\([0-7]{1,3}|.)/gs, (_, e: string) => {
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8) & 255);
    const map: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '\\': '\\',
      '"': '"',
      '/': '/',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
    };
    return map[e] ?? `\\${e}`;
  });
}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  /** Whether a `/` now starts a regular expression (no operand before it). */
  const regexAllowed = (): boolean => {
    const t = toks[toks.length - 1];
    if (t === undefined) return true;
    if (t.kind === 'num' || t.kind === 'str' || t.kind === 'ere' || t.kind === 'name') return false;
    if (t.kind === 'builtin' || t.kind === 'func') return false;
    if (
      t.kind === 'op' &&
      (t.text === ')' || t.text === ']' || t.text === '$' || t.text === '++' || t.text === '--')
    )
      return false;
    return true;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      toks.push({ kind: 'nl', text: '\n', line });
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let raw = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n')
          throw new AwkError(`line ${line}: runaway string constant "${raw} ...`);
        if (src[j] === '\\' && j + 1 < src.length) {
          raw += src[j]! + src[j + 1]!;
          j += 2;
        } else raw += src[j++]!;
      }
      if (j >= src.length)
        throw new AwkError(`line ${line}: runaway string constant "${raw.slice(0, 10)} ...`);
      toks.push({ kind: 'str', text: raw, value: awkEscapes(raw), line });
      i = j + 1;
      continue;
    }
    if (c === '/' && regexAllowed()) {
      let j = i + 1;
      let raw = '';
      let inClass = false;
      while (j < src.length && (src[j] !== '/' || inClass)) {
        if (src[j] === '\n')
          throw new AwkError(`line ${line}: runaway regular expression /${raw} ...`);
        if (src[j] === '\\' && j + 1 < src.length) {
          // \/ is a slash; other escapes stay for the regular expression.
          raw += src[j + 1] === '/' ? '/' : src[j]! + src[j + 1]!;
          j += 2;
          continue;
        }
        if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        raw += src[j++]!;
      }
      if (j >= src.length)
        throw new AwkError(`line ${line}: runaway regular expression /${raw} ...`);
      toks.push({ kind: 'ere', text: raw, value: raw, line });
      i = j + 1;
      continue;
    }
    const num = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/.exec(src.slice(i));
    if (num !== null) {
      toks.push({ kind: 'num', text: num[0], value: Number(num[0]), line });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (word !== null) {
      const w = word[0];
      i += w.length;
      if (KEYWORDS.has(w)) toks.push({ kind: 'kw', text: w === 'func' ? 'function' : w, line });
      else if (BUILTINS.has(w)) toks.push({ kind: 'builtin', text: w, line });
      else if (src[i] === '(') toks.push({ kind: 'func', text: w, line });
      else toks.push({ kind: 'name', text: w, line });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new AwkError(`line ${line}: syntax error at or near ${c}`);
    toks.push({ kind: 'op', text: op === '**' ? '^' : op, line });
    i += op.length;
  }
  // mawk counts a line for the end of a program that has no newline at its end.
  toks.push({ kind: 'eof', text: 'end of file', line: src.endsWith('\n') ? line : line + 1 });
  return toks;
}

// ---- Syntax tree -----------------------------------------------------------

type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'ere'; readonly re: string }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'index'; readonly name: string; readonly keys: readonly Expr[] }
  | { readonly k: 'field'; readonly e: Expr }
  | { readonly k: 'group'; readonly items: readonly Expr[] }
  | { readonly k: 'assign'; readonly op: string; readonly target: Expr; readonly e: Expr }
  | { readonly k: 'cond'; readonly c: Expr; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'and' | 'or'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'in'; readonly keys: readonly Expr[]; readonly name: string }
  | { readonly k: 'match'; readonly neg: boolean; readonly a: Expr; readonly re: Expr }
  | { readonly k: 'cmp'; readonly op: string; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'cat'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'arith'; readonly op: string; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'unary'; readonly op: string; readonly e: Expr }
  | { readonly k: 'incdec'; readonly op: string; readonly prefix: boolean; readonly target: Expr }
  | {
      readonly k: 'call';
      readonly name: string;
      readonly args: readonly Expr[];
    };

/** A place a value is stored in, its key or field number computed. */
type Ref =
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'index'; readonly name: string; readonly key: string }
  | { readonly k: 'field'; readonly i: number };

type Redirect = { readonly mode: '>' | '>>'; readonly target: Expr } | undefined;

type Stmt =
  | { readonly k: 'expr'; readonly e: Expr }
  | { readonly k: 'print'; readonly args: readonly Expr[]; readonly to: Redirect }
  | { readonly k: 'printf'; readonly args: readonly Expr[]; readonly to: Redirect }
  | { readonly k: 'if'; readonly c: Expr; readonly a: Stmt; readonly b: Stmt | undefined }
  | { readonly k: 'while'; readonly c: Expr; readonly body: Stmt }
  | { readonly k: 'do'; readonly body: Stmt; readonly c: Expr }
  | {
      readonly k: 'for';
      readonly init: Expr | undefined;
      readonly c: Expr | undefined;
      readonly step: Expr | undefined;
      readonly body: Stmt;
    }
  | { readonly k: 'forin'; readonly v: string; readonly arr: string; readonly body: Stmt }
  | { readonly k: 'block'; readonly body: readonly Stmt[] }
  | { readonly k: 'next' | 'break' | 'continue' }
  | { readonly k: 'exit'; readonly e: Expr | undefined }
  | { readonly k: 'delete'; readonly name: string; readonly keys: readonly Expr[] | undefined };

interface Item {
  readonly kind: 'begin' | 'end' | 'main';
  readonly pattern: Expr | undefined;
  /** A range pattern's end (`p1, p2`). */
  readonly until: Expr | undefined;
  /** No action: print $0. */
  readonly body: Stmt | undefined;
}

// ---- Parser ----------------------------------------------------------------

class Parser {
  #i = 0;
  constructor(readonly toks: readonly Tok[]) {}

  get t(): Tok {
    return this.toks[this.#i]!;
  }

  #next(): Tok {
    return this.toks[this.#i++]!;
  }

  #is(text: string): boolean {
    const t = this.t;
    return (t.kind === 'op' || t.kind === 'kw') && t.text === text;
  }

  #eat(text: string): boolean {
    if (!this.#is(text)) return false;
    this.#i++;
    return true;
  }

  #fail(): never {
    const t = this.t;
    if (t.kind === 'eof') throw new AwkError(`line ${t.line}: syntax error at or near end of file`);
    throw new AwkError(
      `line ${t.line}: syntax error at or near ${t.kind === 'nl' ? 'end of line' : t.text}`,
    );
  }

  #expect(text: string): void {
    if (!this.#eat(text)) {
      if (text === '}' && this.t.kind === 'eof') {
        throw new AwkError(`line ${this.t.line}: missing } near end of file`);
      }
      this.#fail();
    }
  }

  #newlines(): void {
    while (this.t.kind === 'nl') this.#i++;
  }

  #terminators(): void {
    while (this.t.kind === 'nl' || this.#is(';')) this.#i++;
  }

  /**
   * Names by what their first use made them. mawk 1.3.4 types a name when it
   * first meets it: length(x) before any x[…] makes x a scalar (length of
   * its text), and a later x[…] is then a compile error; after x[…],
   * length(x) counts the elements.
   */
  readonly #typed = new Map<string, 'array' | 'scalar'>();

  #lengthOf(name: string): void {
    if (!this.#typed.has(name)) this.#typed.set(name, 'scalar');
  }

  #arrayUse(name: string, line: number): void {
    if (this.#typed.get(name) === 'scalar') {
      throw new AwkError(`line ${line}: illegal reference to variable ${name}`);
    }
    this.#typed.set(name, 'array');
  }

  program(): Item[] {
    const items: Item[] = [];
    this.#terminators();
    while (this.t.kind !== 'eof') {
      items.push(this.#item());
      this.#terminators();
    }
    return items;
  }

  #item(): Item {
    if (this.#eat('BEGIN'))
      return { kind: 'begin', pattern: undefined, until: undefined, body: this.#action() };
    if (this.#eat('END'))
      return { kind: 'end', pattern: undefined, until: undefined, body: this.#action() };
    if (this.#is('function'))
      throw new AwkError(`line ${this.t.line}: functions are not supported by tcplab's awk`);
    let pattern: Expr | undefined;
    let until: Expr | undefined;
    if (!this.#is('{')) {
      pattern = this.#expr();
      if (this.#eat(',')) {
        this.#newlines();
        until = this.#expr();
      }
    }
    const body = this.#is('{') ? this.#action() : undefined;
    return { kind: 'main', pattern, until, body };
  }

  #action(): Stmt {
    this.#newlines();
    this.#expect('{');
    const body: Stmt[] = [];
    this.#terminators();
    while (!this.#is('}')) {
      if (this.t.kind === 'eof') this.#expect('}');
      body.push(this.#stmt());
      this.#terminators();
    }
    this.#i++;
    return { k: 'block', body };
  }

  /** A statement, with what ends it (a newline, `;`, or the `}` that follows). */
  #stmt(): Stmt {
    if (this.#is('{')) return this.#action();
    if (this.#eat('if')) {
      this.#expect('(');
      const c = this.#expr();
      this.#expect(')');
      this.#newlines();
      const a = this.#simpleOrBlock();
      // `else` may follow a newline or a `;`.
      const save = this.#i;
      this.#terminators();
      if (this.#eat('else')) {
        this.#newlines();
        return { k: 'if', c, a, b: this.#simpleOrBlock() };
      }
      this.#i = save;
      return { k: 'if', c, a, b: undefined };
    }
    if (this.#eat('while')) {
      this.#expect('(');
      const c = this.#expr();
      this.#expect(')');
      if (this.#is(';')) {
        this.#i++;
        return { k: 'while', c, body: { k: 'block', body: [] } };
      }
      this.#newlines();
      return { k: 'while', c, body: this.#simpleOrBlock() };
    }
    if (this.#eat('do')) {
      this.#newlines();
      const body = this.#simpleOrBlock();
      this.#terminators();
      this.#expect('while');
      this.#expect('(');
      const c = this.#expr();
      this.#expect(')');
      this.#end();
      return { k: 'do', body, c };
    }
    if (this.#eat('for')) {
      this.#expect('(');
      // for (k in arr)
      if (this.t.kind === 'name' && this.toks[this.#i + 1]?.text === 'in') {
        const save = this.#i;
        const v = this.#next().text;
        this.#i++;
        if (this.t.kind === 'name' && this.toks[this.#i + 1]?.text === ')') {
          const arr = this.#next().text;
          this.#arrayUse(arr, this.t.line);
          this.#i++;
          this.#newlines();
          return { k: 'forin', v, arr, body: this.#simpleOrBlock() };
        }
        this.#i = save;
      }
      const init = this.#is(';') ? undefined : this.#expr();
      this.#expect(';');
      this.#newlines();
      const c = this.#is(';') ? undefined : this.#expr();
      this.#expect(';');
      this.#newlines();
      const step = this.#is(')') ? undefined : this.#expr();
      this.#expect(')');
      if (this.#is(';')) {
        this.#i++;
        return { k: 'for', init, c, step, body: { k: 'block', body: [] } };
      }
      this.#newlines();
      return { k: 'for', init, c, step, body: this.#simpleOrBlock() };
    }
    const s = this.#simple();
    this.#end();
    return s ?? { k: 'block', body: [] };
  }

  #simpleOrBlock(): Stmt {
    if (this.#is(';')) {
      this.#i++;
      return { k: 'block', body: [] };
    }
    return this.#stmt();
  }

  /** A statement ends at a newline, `;`, `}` (left for the block) or the end. */
  #end(): void {
    if (this.t.kind === 'nl' || this.#is(';')) {
      this.#i++;
      return;
    }
    if (this.#is('}') || this.t.kind === 'eof') return;
    this.#fail();
  }

  #simple(): Stmt | undefined {
    const t = this.t;
    if (t.kind === 'kw') {
      switch (t.text) {
        case 'print':
        case 'printf': {
          this.#i++;
          let args: Expr[] = [];
          if (!this.#atEnd() && !this.#is('>') && !this.#is('>>') && !this.#is('|')) {
            args = this.#exprList(true);
            if (args.length === 1 && args[0]!.k === 'group') args = [...args[0]!.items];
          }
          let to: Redirect;
          if (this.#is('>') || this.#is('>>')) {
            const mode = this.#next().text as '>' | '>>';
            to = { mode, target: this.#ternary(true) };
          } else if (this.#is('|')) {
            throw new AwkError(`line ${t.line}: output to a pipe is not supported by tcplab's awk`);
          }
          if (t.text === 'printf' && args.length === 0) this.#fail();
          return { k: t.text, args, to };
        }
        case 'next':
        case 'break':
        case 'continue':
          this.#i++;
          return { k: t.text };
        case 'nextfile':
          throw new AwkError(`line ${t.line}: nextfile is not supported by tcplab's awk`);
        case 'exit': {
          this.#i++;
          return { k: 'exit', e: this.#atEnd() ? undefined : this.#expr() };
        }
        case 'return':
          throw new AwkError(`line ${t.line}: return outside function body`);
        case 'delete': {
          this.#i++;
          if (this.t.kind !== 'name') this.#fail();
          const name = this.#next().text;
          this.#arrayUse(name, t.line);
          if (!this.#eat('[')) return { k: 'delete', name, keys: undefined };
          const keys = this.#exprList(false);
          this.#expect(']');
          return { k: 'delete', name, keys };
        }
        case 'getline':
          throw new AwkError(`line ${t.line}: getline is not supported by tcplab's awk`);
      }
    }
    if (this.#atEnd()) return undefined;
    return { k: 'expr', e: this.#expr() };
  }

  #atEnd(): boolean {
    return this.t.kind === 'nl' || this.t.kind === 'eof' || this.#is(';') || this.#is('}');
  }

  #exprList(noGt: boolean): Expr[] {
    const out = [this.#expr(noGt)];
    while (this.#eat(',')) {
      this.#newlines();
      out.push(this.#expr(noGt));
    }
    return out;
  }

  #expr(noGt = false): Expr {
    return this.#ternary(noGt);
  }

  #ternary(noGt: boolean): Expr {
    const c = this.#or(noGt);
    if (this.#eat('?')) {
      this.#newlines();
      const a = this.#ternary(noGt);
      this.#newlines();
      this.#expect(':');
      this.#newlines();
      return { k: 'cond', c, a, b: this.#ternary(noGt) };
    }
    if (this.t.kind === 'op' && ['=', '+=', '-=', '*=', '/=', '%=', '^='].includes(this.t.text)) {
      if (c.k !== 'var' && c.k !== 'index' && c.k !== 'field') this.#fail();
      const op = this.#next().text;
      this.#newlines();
      return { k: 'assign', op, target: c, e: this.#ternary(noGt) };
    }
    return c;
  }

  #or(noGt: boolean): Expr {
    let a = this.#and(noGt);
    while (this.#eat('||')) {
      this.#newlines();
      a = { k: 'or', a, b: this.#and(noGt) };
    }
    return a;
  }

  #and(noGt: boolean): Expr {
    let a = this.#in(noGt);
    while (this.#eat('&&')) {
      this.#newlines();
      a = { k: 'and', a, b: this.#in(noGt) };
    }
    return a;
  }

  #in(noGt: boolean): Expr {
    let a = this.#match(noGt);
    while (this.#is('in')) {
      this.#i++;
      if (this.t.kind !== 'name') this.#fail();
      const name = this.#next().text;
      this.#arrayUse(name, this.t.line);
      a = { k: 'in', keys: a.k === 'group' ? a.items : [a], name };
    }
    return a;
  }

  #match(noGt: boolean): Expr {
    let a = this.#cmp(noGt);
    while (this.#is('~') || this.#is('!~')) {
      const neg = this.#next().text === '!~';
      a = { k: 'match', neg, a, re: this.#cmp(noGt) };
    }
    return a;
  }

  #cmp(noGt: boolean): Expr {
    const a = this.#concat(noGt);
    const t = this.t;
    if (t.kind === 'op' && ['<', '<=', '!=', '==', '>=', '>'].includes(t.text)) {
      if (t.text === '>' && noGt) return a;
      this.#i++;
      return { k: 'cmp', op: t.text, a, b: this.#concat(noGt) };
    }
    return a;
  }

  #concat(noGt: boolean): Expr {
    let a = this.#additive();
    while (this.#startsOperand()) a = { k: 'cat', a, b: this.#additive() };
    void noGt;
    return a;
  }

  #startsOperand(): boolean {
    const t = this.t;
    if (t.kind === 'num' || t.kind === 'str' || t.kind === 'ere' || t.kind === 'name') return true;
    if (t.kind === 'func' || t.kind === 'builtin') return true;
    if (t.kind === 'op') return ['$', '(', '++', '--'].includes(t.text);
    return t.kind === 'kw' && t.text === 'getline';
  }

  #additive(): Expr {
    let a = this.#mul();
    while (this.#is('+') || this.#is('-')) {
      const op = this.#next().text;
      a = { k: 'arith', op, a, b: this.#mul() };
    }
    return a;
  }

  #mul(): Expr {
    let a = this.#unary();
    while (this.#is('*') || this.#is('/') || this.#is('%')) {
      const op = this.#next().text;
      a = { k: 'arith', op, a, b: this.#unary() };
    }
    return a;
  }

  #unary(): Expr {
    if (this.#is('!')) {
      this.#i++;
      return { k: 'unary', op: '!', e: this.#unary() };
    }
    if (this.#is('-') || this.#is('+')) {
      const op = this.#next().text;
      return { k: 'unary', op, e: this.#unary() };
    }
    return this.#pow();
  }

  #pow(): Expr {
    const a = this.#postfix();
    if (this.#eat('^')) return { k: 'arith', op: '^', a, b: this.#unaryPow() };
    return a;
  }

  /** The right side of ^: right associative, and may be negated (2^-1). */
  #unaryPow(): Expr {
    if (this.#is('-') || this.#is('+') || this.#is('!')) {
      const op = this.#next().text;
      return { k: 'unary', op, e: this.#unaryPow() };
    }
    return this.#pow();
  }

  #postfix(): Expr {
    if (this.#is('++') || this.#is('--')) {
      const op = this.#next().text;
      const target = this.#postfix();
      if (target.k !== 'var' && target.k !== 'index' && target.k !== 'field') this.#fail();
      return { k: 'incdec', op, prefix: true, target };
    }
    const e = this.#primary();
    if (
      (e.k === 'var' || e.k === 'index' || e.k === 'field') &&
      (this.#is('++') || this.#is('--'))
    ) {
      return { k: 'incdec', op: this.#next().text, prefix: false, target: e };
    }
    return e;
  }

  #primary(): Expr {
    const t = this.t;
    switch (t.kind) {
      case 'num':
        this.#i++;
        return { k: 'num', v: t.value as number };
      case 'str':
        this.#i++;
        return { k: 'str', v: t.value as string };
      case 'ere':
        this.#i++;
        return { k: 'ere', re: t.value as string };
      case 'name': {
        this.#i++;
        if (this.#eat('[')) {
          this.#arrayUse(t.text, t.line);
          const keys = this.#exprList(false);
          this.#expect(']');
          return { k: 'index', name: t.text, keys };
        }
        return { k: 'var', name: t.text };
      }
      case 'func':
        throw new AwkError(
          `line ${t.line}: functions are not supported by tcplab's awk (${t.text})`,
        );
      case 'builtin': {
        this.#i++;
        if (t.text === 'system') {
          throw new AwkError(`line ${t.line}: system() is not supported by tcplab's awk`);
        }
        if (!this.#eat('(')) {
          if (t.text === 'length') return { k: 'call', name: 'length', args: [] };
          this.#fail();
        }
        const args = this.#is(')') ? [] : this.#exprList(false);
        this.#expect(')');
        if (t.text === 'length' && args[0]?.k === 'var') this.#lengthOf(args[0].name);
        if (t.text === 'split' && args[1]?.k === 'var') this.#arrayUse(args[1].name, t.line);
        return { k: 'call', name: t.text, args };
      }
      case 'kw':
        if (t.text === 'getline') {
          throw new AwkError(`line ${t.line}: getline is not supported by tcplab's awk`);
        }
        return this.#fail();
      case 'op':
        if (t.text === '$') {
          this.#i++;
          // $ binds tighter than everything but grouping: $NF-1 is ($NF)-1, $i++ is ($i)++.
          let e: Expr;
          if (this.#is('++') || this.#is('--') || this.#is('-') || this.#is('!')) e = this.#unary();
          else e = this.#primary();
          return { k: 'field', e };
        }
        if (t.text === '(') {
          this.#i++;
          const items = this.#exprList(false);
          this.#expect(')');
          return items.length === 1 ? items[0]! : { k: 'group', items };
        }
        return this.#fail();
      default:
        return this.#fail();
    }
  }
}

// ---- Interpreter -------------------------------------------------------------

class NextRecord {}
class ExitProgram {
  constructor(readonly status: number) {}
}
class BreakLoop {}
class ContinueLoop {}

/**
 * An awk array: a Map (insertion order) that also keeps the size of mawk's
 * hash table for it, which decides the order `for (k in a)` visits the keys:
 * by bucket (FNV-1a of the key, masked), the newest first in a bucket. The
 * table starts with 64 buckets and doubles when it holds more than 12 keys a
 * bucket on average (mawk 1.3.4 array.c; checked with mawk on ss's states,
 * split() arrays and 2000 keys).
 */
class AwkArray extends Map<string, Value> {
  hmask = STARTING_HMASK;

  override set(key: string, v: Value): this {
    if (!this.has(key)) {
      // DEVIATION(mawk): a bound, where mawk grows until memory runs out.
      if (this.size >= MAX_ARRAY_SIZE) {
        throw new AwkError(`program limit exceeded: array size=${MAX_ARRAY_SIZE}`);
      }
      if (this.size + 1 > (this.hmask + 1) * MAX_AVE_LIST_LENGTH) this.hmask = this.hmask * 2 + 1;
    }
    return super.set(key, v);
  }

  override clear(): void {
    super.clear();
    this.hmask = STARTING_HMASK;
  }

  /** The keys in mawk's loop order. */
  loopOrder(): string[] {
    const buckets = new Map<number, string[]>();
    for (const k of this.keys()) {
      const b = fnv1a(k) & this.hmask;
      const list = buckets.get(b);
      if (list === undefined) buckets.set(b, [k]);
      else list.unshift(k);
    }
    return [...buckets.keys()].sort((a, b) => a - b).flatMap((b) => buckets.get(b)!);
  }
}

/**
 * DEVIATION(mawk): a program that loops this many times is stopped (exit 2).
 * The interpreter runs to completion within one step of the simulation, so
 * an endless loop could never be interrupted by ^C as the real one is.
 */
const MAX_LOOP_ITERATIONS = 10_000_000;

/**
 * DEVIATION(mawk): at most this many fields (mawk goes as far as memory
 * does, a hundred million included), so that `$1e9 = 1` is an error, not
 * gigabytes.
 */
const MAX_FIELDS = 1_000_000;

const MAX_ARRAY_SIZE = 5_000_000;

const STARTING_HMASK = 63;
const MAX_AVE_LIST_LENGTH = 12;

/** 32-bit FNV-1a of the key's bytes. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

export interface AwkIo {
  write(text: string): void;
  /** `print > file` / `>>`: an error message when it cannot. */
  writeFile(path: string, text: string, append: boolean): string | undefined;
  writeStderr(text: string): void;
}

export class Awk {
  readonly #items: Item[];
  readonly #vars = new Map<string, Value>();
  readonly #arrays = new Map<string, AwkArray>();
  #fields: string[] = [];
  #record = '';
  #nf = 0;
  #fieldsStale = false;
  readonly #io: AwkIo;
  readonly #opened = new Set<string>();
  readonly #inRange: boolean[];
  readonly #regexCache = new Map<string, RegExp>();
  #seed = 0;
  #randState = 0;
  /** Exit status asked by `exit`, once it was. */
  exitStatus: number | undefined;

  constructor(program: string, io: AwkIo, env: Readonly<Record<string, string>>) {
    this.#items = new Parser(lex(program)).program();
    this.#inRange = this.#items.map(() => false);
    this.#io = io;
    for (const [k, v] of [
      ['FS', ' '],
      ['OFS', ' '],
      ['ORS', '\n'],
      ['RS', '\n'],
      ['SUBSEP', '\x1c'],
      ['CONVFMT', '%.6g'],
      ['OFMT', '%.6g'],
      ['FILENAME', ''],
    ] as const) {
      this.#vars.set(k, v);
    }
    for (const k of ['NR', 'FNR']) this.#vars.set(k, 0);
    // RSTART and RLENGTH are uninitialized until a match() (mawk; gawk has 0).
    const environ = new AwkArray();
    for (const [k, v] of Object.entries(env)) environ.set(k, strnum(v));
    this.#arrays.set('ENVIRON', environ);
    this.#srand(0);
  }

  get hasMain(): boolean {
    return this.#items.some((i) => i.kind !== 'begin');
  }

  get hasEnd(): boolean {
    return this.#items.some((i) => i.kind === 'end');
  }

  setArgv(argv: readonly string[]): void {
    const a = new AwkArray();
    for (const [i, v] of argv.entries()) a.set(String(i), strnum(v));
    this.#arrays.set('ARGV', a);
    this.#vars.set('ARGC', argv.length);
  }

  /** `-v var=value` and `var=value` operands: escapes processed, a strnum. */
  assign(name: string, value: string): void {
    this.#setVar(name, strnum(awkEscapes(value)));
  }

  // ---- Running ---------------------------------------------------------------

  /** Runs the BEGIN actions; false when one exited. */
  begin(): boolean {
    return this.#runItems('begin');
  }

  end(): void {
    if (this.exitStatus !== undefined && this.#exitedInEnd) return;
    this.#runItems('end');
  }

  #exitedInEnd = false;

  #runItems(kind: 'begin' | 'end'): boolean {
    this.#iterations = 0;
    for (const item of this.#items) {
      if (item.kind !== kind) continue;
      try {
        this.#exec(item.body!);
      } catch (e) {
        if (e instanceof ExitProgram) {
          this.exitStatus = e.status;
          if (kind === 'end') this.#exitedInEnd = true;
          return false;
        }
        if (e instanceof NextRecord) throw new AwkError('improper use of next');
        throw e;
      }
    }
    return true;
  }

  startFile(name: string): void {
    this.#vars.set('FILENAME', name);
    this.#vars.set('FNR', 0);
  }

  /** One input record; false once `exit` ran. */
  record(text: string): boolean {
    if (this.#str(this.#getVar('RS')) !== '\n') {
      throw new AwkError("RS other than a newline is not supported by tcplab's awk");
    }
    this.#iterations = 0;
    this.#vars.set('NR', this.#num(this.#getVar('NR')) + 1);
    this.#vars.set('FNR', this.#num(this.#getVar('FNR')) + 1);
    this.#setRecord(text);
    try {
      for (let i = 0; i < this.#items.length; i++) {
        const item = this.#items[i]!;
        if (item.kind !== 'main') continue;
        if (!this.#selects(item, i)) continue;
        if (item.body === undefined)
          this.#output(undefined, `${this.#getRecord()}${this.#str(this.#getVar('ORS'))}`);
        else this.#exec(item.body);
      }
    } catch (e) {
      if (e instanceof NextRecord) return true;
      if (e instanceof ExitProgram) {
        this.exitStatus = e.status;
        return false;
      }
      throw e;
    }
    return true;
  }

  #selects(item: Item, i: number): boolean {
    if (item.pattern === undefined) return true;
    if (item.until === undefined) return this.#truthy(this.#evalPattern(item.pattern));
    if (!this.#inRange[i]) {
      if (!this.#truthy(this.#evalPattern(item.pattern))) return false;
      this.#inRange[i] = !this.#truthy(this.#evalPattern(item.until));
      return true;
    }
    if (this.#truthy(this.#evalPattern(item.until))) this.#inRange[i] = false;
    return true;
  }

  #evalPattern(e: Expr): Value {
    return e.k === 'ere' ? (this.#regex(e.re).test(this.#getRecord()) ? 1 : 0) : this.#eval(e);
  }

  // ---- Statements ------------------------------------------------------------

  #exec(s: Stmt): void {
    switch (s.k) {
      case 'block':
        for (const x of s.body) this.#exec(x);
        return;
      case 'expr':
        this.#eval(s.e);
        return;
      case 'print': {
        const ofs = this.#str(this.#getVar('OFS'));
        const text =
          s.args.length === 0
            ? this.#getRecord()
            : s.args.map((a) => this.#outStr(this.#eval(a))).join(ofs);
        this.#output(s.to, text + this.#str(this.#getVar('ORS')));
        return;
      }
      case 'printf': {
        const [fmt, ...rest] = s.args.map((a) => this.#eval(a));
        this.#output(s.to, this.#sprintf('printf', this.#str(fmt!), rest, s.to));
        return;
      }
      case 'if':
        if (this.#truthy(this.#eval(s.c))) this.#exec(s.a);
        else if (s.b !== undefined) this.#exec(s.b);
        return;
      case 'while':
        while (this.#truthy(this.#eval(s.c))) {
          if (this.#loopBody(s.body)) break;
        }
        return;
      case 'do':
        do {
          if (this.#loopBody(s.body)) break;
        } while (this.#truthy(this.#eval(s.c)));
        return;
      case 'for':
        if (s.init !== undefined) this.#eval(s.init);
        while (s.c === undefined || this.#truthy(this.#eval(s.c))) {
          if (this.#loopBody(s.body)) break;
          if (s.step !== undefined) this.#eval(s.step);
        }
        return;
      case 'forin': {
        const arr = this.#array(s.arr);
        for (const key of arr.loopOrder()) {
          if (!arr.has(key)) continue;
          this.#setVar(s.v, strnum(key));
          if (this.#loopBody(s.body)) break;
        }
        return;
      }
      case 'next':
        throw new NextRecord();
      case 'break':
        throw new BreakLoop();
      case 'continue':
        throw new ContinueLoop();
      case 'exit':
        throw new ExitProgram(
          s.e === undefined ? (this.exitStatus ?? 0) : Math.trunc(this.#num(this.#eval(s.e))),
        );
      case 'delete': {
        const arr = this.#array(s.name);
        if (s.keys === undefined) arr.clear();
        else arr.delete(this.#key(s.keys));
        return;
      }
    }
  }

  /** Loop iterations in this record's actions (or BEGIN's, END's), against MAX_LOOP_ITERATIONS. */
  #iterations = 0;

  /** Runs a loop's body; true when it broke out. */
  #loopBody(body: Stmt): boolean {
    if (++this.#iterations > MAX_LOOP_ITERATIONS) {
      throw new AwkError(
        `stopped after ${MAX_LOOP_ITERATIONS} loop iterations: tcplab's awk runs between two events of the simulation and cannot be interrupted`,
      );
    }
    try {
      this.#exec(body);
    } catch (e) {
      if (e instanceof BreakLoop) return true;
      if (e instanceof ContinueLoop) return false;
      throw e;
    }
    return false;
  }

  #output(to: Redirect, text: string): void {
    if (to === undefined) {
      this.#io.write(text);
      return;
    }
    const path = this.#str(this.#eval(to.target));
    if (path === '/dev/stdout' || path === '-') {
      this.#io.write(text);
      return;
    }
    if (path === '/dev/stderr') {
      this.#io.writeStderr(text);
      return;
    }
    // `>` truncates when the file is first opened, then appends (it stays open).
    const append = to.mode === '>>' || this.#opened.has(path);
    this.#opened.add(path);
    const err = path === '' ? 'No such file or directory' : this.#io.writeFile(path, text, append);
    if (err !== undefined) throw new AwkFatal(`cannot open "${path}" for output (${err})`);
  }

  // ---- Expressions -------------------------------------------------------------

  #eval(e: Expr): Value {
    switch (e.k) {
      case 'num':
        return e.v;
      case 'str':
        return e.v;
      case 'ere':
        return this.#regex(e.re).test(this.#getRecord()) ? 1 : 0;
      case 'var':
        return this.#getVar(e.name);
      case 'index': {
        const arr = this.#array(e.name);
        const key = this.#key(e.keys);
        let v = arr.get(key);
        if (v === undefined) {
          v = UNINIT;
          arr.set(key, v);
        }
        return v;
      }
      case 'field':
        return this.#getField(this.#fieldIndex(e.e));
      case 'group':
        // (a, b) outside print and `in`: the last one, as a comma would be an error.
        throw new AwkError('syntax error at or near ,');
      case 'assign': {
        // mawk's order: the place first (an element's key, a field's number),
        // then the value, then (for op=) the place's value as it is by then.
        const ref = this.#ref(e.target);
        let v = this.#eval(e.e);
        if (e.op !== '=') v = this.#arith(e.op.slice(0, 1), this.#load(ref), v);
        // A strnum keeps its nature: `x = $1` compares as $1 does.
        this.#storeRef(ref, v);
        return v;
      }
      case 'cond':
        return this.#truthy(this.#eval(e.c)) ? this.#eval(e.a) : this.#eval(e.b);
      case 'and':
        return this.#truthy(this.#eval(e.a)) && this.#truthy(this.#eval(e.b)) ? 1 : 0;
      case 'or':
        return this.#truthy(this.#eval(e.a)) || this.#truthy(this.#eval(e.b)) ? 1 : 0;
      case 'in':
        return this.#array(e.name).has(this.#key(e.keys)) ? 1 : 0;
      case 'match': {
        const s = this.#str(this.#eval(e.a));
        const hit = this.#regexOf(e.re).test(s);
        return hit !== e.neg ? 1 : 0;
      }
      case 'cmp':
        return this.#compare(e.op, this.#eval(e.a), this.#eval(e.b)) ? 1 : 0;
      case 'cat':
        return this.#str(this.#eval(e.a)) + this.#str(this.#eval(e.b));
      case 'arith':
        return this.#arith(e.op, this.#eval(e.a), this.#eval(e.b));
      case 'unary': {
        const v = this.#eval(e.e);
        if (e.op === '!') return this.#truthy(v) ? 0 : 1;
        const n = this.#num(v);
        return e.op === '-' ? -n : n;
      }
      case 'incdec': {
        // The key of a[i++]++ is computed once.
        const ref = this.#ref(e.target);
        const old = this.#num(this.#load(ref));
        const v = e.op === '++' ? old + 1 : old - 1;
        this.#storeRef(ref, v);
        return e.prefix ? v : old;
      }
      case 'call':
        return this.#call(e.name, e.args);
    }
  }

  #arith(op: string, a: Value, b: Value): number {
    const x = this.#num(a);
    const y = this.#num(b);
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      // As mawk (C doubles): 1/0 is inf, 0/0 and x%0 are nan, no error.
      case '/':
        return x / y;
      case '%':
        return x % y;
      default:
        return x ** y;
    }
  }

  #compare(op: string, a: Value, b: Value): boolean {
    let c: number;
    if (this.#isNumeric(a) && this.#isNumeric(b)) {
      const x = this.#num(a);
      const y = this.#num(b);
      // mawk's compare: the sign of x - y, so a NaN is equal to everything.
      c = x < y ? -1 : x > y ? 1 : 0;
    } else {
      const x = this.#str(a);
      const y = this.#str(b);
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    switch (op) {
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '==':
        return c === 0;
      default:
        return c !== 0;
    }
  }

  #isNumeric(v: Value): boolean {
    if (typeof v === 'number') return true;
    if (typeof v === 'string') return false;
    return v.n !== undefined;
  }

  #truthy(v: Value): boolean {
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return v !== '';
    return v.n !== undefined ? v.n !== 0 : v.s !== '';
  }

  #num(v: Value): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') return strtod(v);
    return v.n ?? strtod(v.s);
  }

  #str(v: Value): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return numToStr(v, this.#fmtVar('CONVFMT'));
    return v.s;
  }

  /** A value for print: numbers by OFMT. */
  #outStr(v: Value): string {
    return typeof v === 'number' ? numToStr(v, this.#fmtVar('OFMT')) : this.#str(v);
  }

  #fmtVar(name: string): string {
    const v = this.#vars.get(name);
    return typeof v === 'string' ? v : v === undefined ? '%.6g' : this.#str(v);
  }

  /** printf/sprintf; what printf formatted before a missing argument is still output, as mawk's. */
  #sprintf(fn: string, fmt: string, args: readonly Value[], to: Redirect): string {
    try {
      return awkSprintf(
        fmt,
        args.map((v) => this.#formatArg(v)),
      );
    } catch (e) {
      if (!(e instanceof MissingArgument)) throw e;
      if (fn === 'printf') this.#output(to, e.partial);
      throw new AwkError(`not enough arguments passed to ${fn}("${fmt}")`);
    }
  }

  /** mawk's second line of a run time error. */
  where(): string {
    const v = (n: string): string => this.#str(this.#vars.get(n) ?? UNINIT);
    return `\tFILENAME="${v('FILENAME')}" FNR=${v('FNR')} NR=${v('NR')}`;
  }

  #formatArg(v: Value): FormatArg & { isNumber(): boolean } {
    return {
      str: () => this.#str(v),
      num: () => this.#num(v),
      isNumber: () => typeof v === 'number' || (v instanceof StrNum && v.n !== undefined),
    };
  }

  #key(keys: readonly Expr[]): string {
    if (keys.length === 1) return this.#str(this.#eval(keys[0]!));
    const sep = this.#str(this.#getVar('SUBSEP'));
    return keys.map((k) => this.#str(this.#eval(k))).join(sep);
  }

  #array(name: string): AwkArray {
    if (!this.#arrays.has(name) && this.#vars.has(name) && this.#vars.get(name) !== UNINIT) {
      throw new AwkError(`can't use scalar ${name} as array`);
    }
    let a = this.#arrays.get(name);
    if (a === undefined) {
      a = new AwkArray();
      this.#arrays.set(name, a);
    }
    return a;
  }

  #getVar(name: string): Value {
    if (name === 'NF') {
      this.#split();
      return this.#nf;
    }
    if (this.#arrays.has(name)) throw new AwkError(`can't use array ${name} in scalar context`);
    return this.#vars.get(name) ?? UNINIT;
  }

  #setVar(name: string, v: Value): void {
    if (this.#arrays.has(name)) throw new AwkError(`can't assign to ${name}; it's an array name.`);
    if (name === 'NF') {
      this.#split();
      this.#setNf(Math.trunc(this.#num(v)));
      return;
    }
    this.#vars.set(name, v);
  }

  /** An lvalue resolved: its key or field number computed, once. */
  #ref(target: Expr): Ref {
    if (target.k === 'index') return { k: 'index', name: target.name, key: this.#key(target.keys) };
    if (target.k === 'field') return { k: 'field', i: this.#fieldIndex(target.e) };
    if (target.k === 'var') return { k: 'var', name: target.name };
    throw new AwkError('assignment to something that is not a variable');
  }

  #load(ref: Ref): Value {
    if (ref.k === 'var') return this.#getVar(ref.name);
    if (ref.k === 'field') return this.#getField(ref.i);
    const arr = this.#array(ref.name);
    let v = arr.get(ref.key);
    if (v === undefined) {
      v = UNINIT;
      arr.set(ref.key, v);
    }
    return v;
  }

  #storeRef(ref: Ref, v: Value): void {
    if (ref.k === 'var') this.#setVar(ref.name, v);
    else if (ref.k === 'index') this.#array(ref.name).set(ref.key, v);
    else this.#setField(ref.i, this.#str(v));
  }

  // ---- Records and fields ------------------------------------------------------

  #fieldIndex(e: Expr): number {
    const d = this.#num(this.#eval(e));
    if (d < 0) throw new AwkError(`negative field index $${numToStr(d, '%.6g')}`);
    const n = Math.trunc(d);
    if (!(n <= MAX_FIELDS))
      throw new AwkError(`program limit exceeded: maximum number of fields size=${MAX_FIELDS}`);
    return n;
  }

  /** FS as it was when the record was read: a later assignment is for the next one. */
  #recordFs = ' ';

  #setRecord(text: string): void {
    this.#record = text;
    this.#recordFs = this.#str(this.#getVar('FS'));
    this.#fieldsStale = true;
  }

  #getRecord(): string {
    return this.#record;
  }

  #split(): void {
    if (!this.#fieldsStale) return;
    this.#fields = this.#splitText(this.#record, this.#recordFs);
    this.#nf = this.#fields.length;
    this.#fieldsStale = false;
  }

  #splitText(text: string, fs: string): string[] {
    if (text === '') return [];
    if (fs === ' ') {
      const t = text.replace(/^[ \t\n]+|[ \t\n]+$/g, '');
      return t === '' ? [] : t.split(/[ \t\n]+/);
    }
    if (fs.length === 1 && fs !== '\\') return text.split(fs);
    return text.split(this.#regex(fs));
  }

  #getField(i: number): Value {
    if (i === 0) return strnum(this.#record);
    this.#split();
    // mawk: a field past NF is the null string, a string (POSIX, and gawk, make
    // it uninitialized: `$9 == 0` is true there, false in mawk).
    return i <= this.#nf ? strnum(this.#fields[i - 1]!) : NULL_FIELD;
  }

  #setField(i: number, s: string): void {
    if (i === 0) {
      this.#setRecord(s);
      return;
    }
    this.#split();
    while (this.#fields.length < i) this.#fields.push('');
    this.#fields[i - 1] = s;
    this.#nf = this.#fields.length;
    this.#rebuild();
  }

  #setNf(n: number): void {
    if (n < 0) throw new AwkError(`NF set to negative value`);
    if (!(n <= MAX_FIELDS))
      throw new AwkError(`program limit exceeded: maximum number of fields size=${MAX_FIELDS}`);
    this.#fields.length = Math.min(this.#fields.length, n);
    while (this.#fields.length < n) this.#fields.push('');
    this.#nf = n;
    this.#rebuild();
  }

  #rebuild(): void {
    this.#record = this.#fields.join(this.#str(this.#getVar('OFS')));
  }

  // ---- Regular expressions -----------------------------------------------------

  #regex(src: string): RegExp {
    let re = this.#regexCache.get(src);
    if (re === undefined) {
      try {
        re = new RegExp(posixToJs(src, true));
      } catch {
        throw new AwkError(`regular expression compile failed (bad class -- [], [^] or [)\n${src}`);
      }
      this.#regexCache.set(src, re);
    }
    return re;
  }

  /** The right side of ~, or a regex argument: a literal, else the value's text. */
  #regexOf(e: Expr): RegExp {
    return e.k === 'ere' ? this.#regex(e.re) : this.#regex(this.#str(this.#eval(e)));
  }

  // ---- Built-in functions ------------------------------------------------------

  #call(name: string, args: readonly Expr[]): Value {
    const arg = (i: number): Value => this.#eval(args[i]!);
    const want = (min: number, max: number): void => {
      if (args.length < min || args.length > max) {
        throw new AwkError(`wrong number of arguments in call to ${name}`);
      }
    };
    switch (name) {
      case 'length': {
        want(0, 1);
        // Bytes, as mawk counts in the C locale.
        if (args.length === 0) return this.#record.length;
        const a = args[0]!;
        if (a.k === 'var' && this.#arrays.has(a.name)) return this.#arrays.get(a.name)!.size;
        return this.#str(arg(0)).length;
      }
      case 'substr': {
        want(2, 3);
        const s = this.#str(arg(0));
        // mawk 1.3.4's bi_substr, not POSIX's arithmetic: start and length are
        // C ints (d_to_i: truncated, clamped to ±Max_Int, NaN to -Max_Int), a
        // start below 1 lengthens the piece by as much (substr("abcdefg", -1, 3)
        // is "abcd", substr(s, 0, 3) "abc"), with the int's wrap-around
        // (substr(s, -inf, 1) is empty, substr(s, -inf, 0) the whole of s).
        const start = this.#num(arg(1));
        const count = args.length === 3 ? this.#num(arg(2)) : 0;
        const len = s.length;
        if (len === 0) return '';
        let n = args.length === 3 ? dToI(count) : len;
        let i = dToI(start) - 1;
        if (i > len) n = 0;
        if (i < 0) {
          n = (n - (i + 1)) | 0;
          i = 0;
        }
        if (n > len - i) n = len - i;
        return n <= 0 ? '' : s.slice(i, i + n);
      }
      case 'index': {
        want(2, 2);
        return this.#str(arg(0)).indexOf(this.#str(arg(1))) + 1;
      }
      case 'split': {
        want(2, 3);
        const s = this.#str(arg(0));
        const a = args[1]!;
        if (a.k !== 'var') throw new AwkError('split: second argument is not an array');
        const fs =
          args.length === 3
            ? args[2]!.k === 'ere'
              ? (args[2] as { re: string }).re
              : this.#str(arg(2))
            : this.#str(this.#getVar('FS'));
        const parts =
          args.length === 3 && args[2]!.k === 'ere'
            ? s === ''
              ? []
              : s.split(this.#regex(fs))
            : this.#splitText(s, fs);
        const arr = this.#array(a.name);
        arr.clear();
        for (const [i, p] of parts.entries()) arr.set(String(i + 1), strnum(p));
        return parts.length;
      }
      case 'sub':
      case 'gsub': {
        want(2, 3);
        const re = this.#regexOf(args[0]!);
        const repl = this.#str(arg(1));
        const target: Expr = args[2] ?? { k: 'field', e: { k: 'num', v: 0 } };
        if (target.k !== 'var' && target.k !== 'index' && target.k !== 'field') {
          throw new AwkError(`${name}: third argument is not a variable`);
        }
        const ref = this.#ref(target);
        const s = this.#str(this.#load(ref));
        const g = new RegExp(re.source, name === 'gsub' ? 'g' : '');
        let count = 0;
        const out = s.replace(g, (m: string) => {
          count++;
          return repl.replace(/\\\\|\\&|&/g, (x) => (x === '&' ? m : x === '\\&' ? '&' : '\\'));
        });
        if (count > 0) this.#storeRef(ref, out);
        return count;
      }
      case 'match': {
        want(2, 2);
        const m = this.#regexOf(args[1]!).exec(this.#str(arg(0)));
        const start = m === null ? 0 : m.index + 1;
        const len = m === null ? -1 : m[0].length;
        this.#vars.set('RSTART', start);
        this.#vars.set('RLENGTH', len);
        return start;
      }
      case 'sprintf': {
        if (args.length === 0) throw new AwkError('wrong number of arguments in call to sprintf');
        const [fmt, ...rest] = args.map((a) => this.#eval(a));
        return this.#sprintf('sprintf', this.#str(fmt!), rest, undefined);
      }
      case 'tolower':
        want(1, 1);
        // The C locale's tolower: ASCII letters only.
        return this.#str(arg(0)).replace(/[A-Z]+/g, (m) => m.toLowerCase());
      case 'toupper':
        want(1, 1);
        return this.#str(arg(0)).replace(/[a-z]+/g, (m) => m.toUpperCase());
      case 'int':
        want(1, 1);
        return Math.trunc(this.#num(arg(0)));
      case 'sqrt':
        want(1, 1);
        return Math.sqrt(this.#num(arg(0)));
      case 'exp':
        want(1, 1);
        return Math.exp(this.#num(arg(0)));
      case 'log':
        want(1, 1);
        return Math.log(this.#num(arg(0)));
      case 'sin':
        want(1, 1);
        return Math.sin(this.#num(arg(0)));
      case 'cos':
        want(1, 1);
        return Math.cos(this.#num(arg(0)));
      case 'atan2':
        want(2, 2);
        return Math.atan2(this.#num(arg(0)), this.#num(arg(1)));
      case 'rand':
        want(0, 0);
        return this.#rand();
      case 'srand': {
        want(0, 1);
        const prev = this.#seed;
        this.#srand(args.length === 0 ? 0 : this.#num(arg(0)));
        return prev;
      }
      case 'close':
        want(1, 1);
        this.#opened.delete(this.#str(arg(0)));
        return 0;
      case 'fflush':
        want(0, 1);
        return 0;
      default:
        throw new AwkError(`function ${name} never defined`);
    }
  }

  #srand(seed: number): void {
    this.#seed = seed;
    this.#randState = (Math.trunc(seed) ^ 0x2545f491) >>> 0 || 1;
  }

  /** xorshift32 in [0, 1): deterministic (see the module comment). */
  #rand(): number {
    let x = this.#randState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#randState = x >>> 0;
    return this.#randState / 4294967296;
  }
}

// ---- The command -------------------------------------------------------------

const USAGE = "usage: awk [-F value] [-v var=value] [--] 'program text' [file ...]\n";

/** awk (mawk 1.3.4): see the module comment. Exit 2 for its own errors. */
export async function awkCommand(proc: Proc): Promise<number> {
  const name = 'awk';
  const argv = proc.argv.slice(1);
  const assigns: [string, string][] = [];
  let fs: string | undefined;
  let program: string | undefined;
  let programFromFile = true;
  const fail = (message: string): number => {
    proc.stderr.write(`${name}: ${message}\n`);
    return 2;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const opt = a.slice(0, 2);
    const inline = a.length > 2 ? a.slice(2) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    if (opt === '-F') {
      const v = value();
      if (v === undefined) return fail('option requires an argument -- F');
      fs = v;
    } else if (opt === '-v') {
      const v = value();
      const m = v === undefined ? null : /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
      if (m === null) return fail(`improper assignment: -v ${v ?? ''}`);
      assigns.push([m[1]!, m[2]!]);
    } else if (opt === '-f') {
      const v = value();
      if (v === undefined) return fail('option requires an argument -- f');
      const text = proc.fs.readFile(v, proc.cwd);
      if (text instanceof FsError) return fail(`couldn't open file ${v}`);
      program = (program ?? '') + bytesToByteString(text);
    } else if (opt === '-W') {
      const v = value() ?? '';
      if (v.startsWith('v')) {
        proc.stdout.write('mawk 1.3.4 20200120 (tcplab)\n');
        return 0;
      }
      return fail(`-W ${v}: not supported by tcplab's awk`);
    } else {
      proc.stderr.write(`${name}: not an option: ${a}\n`);
      return 2;
    }
  }
  if (program === undefined) {
    if (i >= argv.length) {
      proc.stderr.write(USAGE);
      return 2;
    }
    program = argv[i++]!;
    programFromFile = false;
  }
  // (-f's program is bytes already.)
  if (!programFromFile) program = toByteString(program);
  const operands = argv.slice(i).map(toByteString);
  // stdio's buffering: by lines on a terminal, by blocks elsewhere.
  const lineBuffered = proc.stdout.isTerminal;
  let pending = '';
  const out = (s: string): void => proc.stdout.write(byteStringBytes(s));
  const err = (s: string): void => proc.stderr.write(byteStringBytes(s));
  const flush = (): void => {
    if (pending !== '') out(pending);
    pending = '';
  };
  let vm: Awk;
  try {
    vm = new Awk(
      program,
      {
        write: (t) => {
          pending += t;
          if (pending.length > 65536) flush();
          else if (lineBuffered) {
            const nl = pending.lastIndexOf('\n');
            if (nl >= 0) {
              out(pending.slice(0, nl + 1));
              pending = pending.slice(nl + 1);
            }
          }
        },
        writeStderr: (t) => {
          flush();
          err(t);
        },
        writeFile: (path, text, append) => {
          const r = proc.fs.writeFile(byteStringText(path), byteStringBytes(text), {
            cwd: proc.cwd,
            append,
          });
          return r instanceof FsError ? r.message : undefined;
        },
      },
      Object.fromEntries(Object.entries(proc.env).map(([k, v]) => [k, toByteString(v)])),
    );
  } catch (e) {
    if (e instanceof AwkError) return fail(byteStringText(e.message));
    throw e;
  }
  vm.setArgv([name, ...operands]);
  let status = 0;
  try {
    if (fs !== undefined) vm.assign('FS', toByteString(fs));
    for (const [k, v] of assigns) vm.assign(k, toByteString(v));
    if (vm.begin() && vm.hasMain) {
      // Operands: files, `-` for the standard input, `var=value` assignments.
      const files = operands.filter((o) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(o));
      let running = true;
      // With no file operand, the assignments are made, then the standard input read.
      const inputs = files.length === 0 ? [...operands, '-'] : operands;
      for (const op of inputs) {
        if (!running) break;
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(op);
        if (m !== null) {
          vm.assign(m[1]!, m[2]!);
          continue;
        }
        if (op === '-' || op === '/dev/stdin') {
          vm.startFile(op); // mawk: "-" for the standard input, even when implicit
          await eachStdinByteLine(proc, (line) => {
            running = vm.record(line);
            flush();
            return running;
          });
          continue;
        }
        const bytes = proc.fs.readFile(byteStringText(op), proc.cwd);
        if (bytes instanceof FsError) {
          flush();
          err(`${name}: cannot open ${op} (${bytes.message})\n`);
          status = 2;
          break;
        }
        vm.startFile(op);
        for (const line of byteLines(bytes)) {
          running = vm.record(line);
          if (!running) break;
        }
      }
    }
    if (status === 0) vm.end();
  } catch (e) {
    if (e instanceof AwkFatal) {
      err(`${name}: ${e.message}\n`);
      flush();
      return 2;
    }
    if (e instanceof AwkError) {
      // stderr at once, then what stdout's buffer held (mawk exits through exit()).
      err(`${name}: run time error: ${e.message}\n${vm.where()}\n`);
      flush();
      return 2;
    }
    flush();
    throw e;
  }
  flush();
  return vm.exitStatus ?? status;
}
