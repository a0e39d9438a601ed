/**
 * The bash grammar subset tcplab's shell reads: lists (`;`, `&`, newline),
 * and-or lists (`&&`, `||`), pipelines (`|`, `|&`, a leading `!`), simple
 * commands with assignments, words and redirections, subshells `( … )` and
 * groups `{ …; }`, comments. Words keep their parts (quoted or not, `$VAR`,
 * `${VAR}`, `$(…)`, backquotes, `~`) for expansion at run time (expand.ts).
 *
 * What bash's parse.y does and this follows: an operator at the end of a
 * line (`|`, `&&`, `||`), an open quote, a trailing backslash or an open
 * `(`/`{` is not an error in an interactive shell but a request for more input
 * (PS2, `> `); `incomplete` says so. A token where the grammar wants something
 * else is `syntax error near unexpected token `X'` (parse.y report_syntax_error),
 * with `newline` for the end of the line.
 */

import { isUnop } from './test-command.js';

export type Part =
  | { readonly kind: 'lit'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'var'; readonly name: string; readonly quoted: boolean; readonly op?: VarOp }
  | { readonly kind: 'tilde'; readonly user: string }
  | { readonly kind: 'cmdsub'; readonly source: string; readonly quoted: boolean }
  | { readonly kind: 'arith'; readonly expr: string; readonly quoted: boolean }
  | { readonly kind: 'glob'; readonly text: string };

/**
 * `${VAR:-word}` and friends (bash manual 3.5.3): the operator and its word
 * (unexpanded source). `#` alone is ${#VAR}; `#`, `##`, `%`, `%%` remove a
 * pattern; `/`, `//`, `/#`, `/%` replace one (`word` the pattern, `repl` the
 * replacement, undefined with no `/`); `^`, `^^`, `,`, `,,` change case;
 * `:` takes a substring (`word` the offset, `repl` the length); `@` a
 * transformation (`word` its letter).
 */
export interface VarOp {
  readonly op:
    | ':-'
    | '-'
    | ':='
    | '='
    | ':+'
    | '+'
    | ':?'
    | '?'
    | '#'
    | 'len'
    | '##'
    | '%'
    | '%%'
    | '/'
    | '//'
    | '/#'
    | '/%'
    | '^'
    | '^^'
    | ','
    | ',,'
    | '~'
    | '~~'
    | ':'
    | '@';
  readonly word: string;
  readonly repl?: string;
}

export interface Word {
  readonly parts: readonly Part[];
  /** The word as written, for job listings. */
  readonly text: string;
}

export type RedirOp =
  | '>'
  | '>>'
  | '<'
  | '<>'
  | '>&'
  | '<&'
  | '&>'
  | '&>>'
  | '<<<'
  | '>|'
  | '<<'
  | '<<-';

export interface Redirection {
  readonly fd: number;
  readonly op: RedirOp;
  /** The file, descriptor or string; for `<<`, `<<-` the here-document's body. */
  readonly target: Word;
  /** `<<EOF`: the delimiter as written (for listings). */
  readonly delimiter?: string;
}

export interface SimpleCommand {
  readonly kind: 'simple';
  /** The line of the source its first word is on (1 for a typed line). */
  readonly line?: number;
  readonly assigns: readonly { readonly name: string; readonly value: Word }[];
  readonly words: readonly Word[];
  readonly redirs: readonly Redirection[];
}

export interface CompoundCommand {
  readonly kind: 'subshell' | 'group';
  readonly body: List;
  readonly redirs: readonly Redirection[];
}

/** `for NAME [in WORDS]; do LIST; done` (words undefined: no `in`). */
export interface ForCommand {
  readonly kind: 'for';
  /** The line `for` is on, for a script's messages (its words expand there). */
  readonly line?: number;
  readonly name: string;
  readonly words: readonly Word[] | undefined;
  /** `for ((init; cond; step))`: the three expressions (`name` is then empty). */
  readonly arith?: readonly [string, string, string];
  readonly body: List;
  readonly redirs: readonly Redirection[];
}

/** `(( EXPR ))` (bash manual 3.2.5.2): the expression as written, between the parentheses. */
export interface ArithCommand {
  readonly kind: 'arith';
  /** The line `((` is on (1 for a typed line), for a script's messages. */
  readonly line?: number;
  readonly expr: string;
  readonly redirs: readonly Redirection[];
}

/** An expression of `[[ … ]]`. */
export type CondExpr =
  | { readonly kind: 'not'; readonly expr: CondExpr }
  | { readonly kind: 'and' | 'or'; readonly left: CondExpr; readonly right: CondExpr }
  | { readonly kind: 'group'; readonly expr: CondExpr }
  | { readonly kind: 'unary'; readonly op: string; readonly word: Word }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Word; readonly right: Word }
  | { readonly kind: 'word'; readonly word: Word };

/** `[[ EXPR ]]` (bash manual 3.2.5.2). */
export interface CondCommand {
  readonly kind: 'cond';
  /** The line `[[` is on, for a script's messages. */
  readonly line?: number;
  readonly expr: CondExpr;
  readonly redirs: readonly Redirection[];
}

/** `while LIST; do LIST; done`, `until …`. */
export interface WhileCommand {
  readonly kind: 'while';
  readonly until: boolean;
  readonly cond: List;
  readonly body: List;
  readonly redirs: readonly Redirection[];
}

/** `if LIST; then LIST; [elif LIST; then LIST;]… [else LIST;] fi`. */
export interface IfCommand {
  readonly kind: 'if';
  readonly clauses: readonly { readonly cond: List; readonly body: List }[];
  readonly otherwise: List | undefined;
  readonly redirs: readonly Redirection[];
}

/** `case WORD in [(]PAT[|PAT]…) LIST ;; … esac` (`;&` falls through, `;;&` tests on). */
export interface CaseCommand {
  readonly kind: 'case';
  /** The line `case` is on, for a script's messages (its word expands there). */
  readonly line?: number;
  readonly word: Word;
  readonly items: readonly {
    readonly patterns: readonly Word[];
    readonly body: List;
    readonly end: ';;' | ';&' | ';;&';
  }[];
  readonly redirs: readonly Redirection[];
}

/** `NAME () COMPOUND` or `function NAME [()] COMPOUND`: defines a shell function. */
export interface FunctionDef {
  readonly kind: 'function';
  readonly name: string;
  readonly body: CommandNode;
  readonly redirs: readonly Redirection[];
}

export type CommandNode =
  | SimpleCommand
  | CompoundCommand
  | ForCommand
  | WhileCommand
  | IfCommand
  | CaseCommand
  | ArithCommand
  | CondCommand
  | FunctionDef;

/** Reserved words that end a list: seen first in a command, they are errors elsewhere. */
const CLOSERS = new Set(['do', 'done', 'then', 'elif', 'else', 'fi', '}', 'esac']);

export interface Pipeline {
  readonly bang: boolean;
  /** `time` (bash's default TIMEFORMAT) or `time -p` (POSIX format) before the pipeline. */
  readonly timed?: 'default' | 'posix';
  readonly commands: readonly CommandNode[];
  /** `|&` after stage i: its stderr goes into the pipe too. */
  readonly stderrToo: readonly boolean[];
}

export interface AndOr {
  readonly first: Pipeline;
  readonly rest: readonly { readonly op: '&&' | '||'; readonly pipeline: Pipeline }[];
}

export interface ListItem {
  readonly andOr: AndOr;
  readonly background: boolean;
}

export interface List {
  readonly items: readonly ListItem[];
}

export type ParseResult =
  | { readonly ok: true; readonly list: List }
  | { readonly ok: false; readonly incomplete: true; readonly message: string }
  | { readonly ok: false; readonly incomplete: false; readonly message: string };

type Token =
  | { readonly kind: 'word'; readonly word: Word; line?: number }
  | { readonly kind: 'op'; readonly op: string }
  | {
      readonly kind: 'redir';
      readonly fd: number | 'amp';
      readonly op: string;
      /** `<<`, `<<-`: the body, read after the end of the line. */
      heredoc?: Word;
    }
  | { readonly kind: 'newline' }
  | { readonly kind: 'eof' }
  /** `(( EXPR ))` where a command starts: EXPR as written. */
  | { readonly kind: 'arith'; readonly expr: string; readonly line: number };

class Incomplete {
  constructor(readonly message: string) {}
}

class SyntaxError_ {
  /** `message` replaces the usual `syntax error near unexpected token` text. */
  constructor(
    readonly token: string,
    readonly message?: string,
  ) {}
}

const OPERATORS = [
  '&&',
  '||',
  ';;&',
  ';;',
  ';&',
  '|&',
  '&>>',
  '&>',
  '>>',
  '>&',
  '<&',
  '<>',
  '<<<',
  '>|',
  '<<-',
  '<<',
];
const META = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);

/** Characters that are special inside double quotes after a backslash (bash manual 3.1.2.3). */
const DQ_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

function isNameStart(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z_]/.test(c);
}

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Splits a command line into tokens. Throws Incomplete for an open quote or a trailing `\`. */
function tokenize(src: string, options: ParseOptions = {}): Token[] {
  const tokens: Token[] = [];
  /** Here-documents whose bodies start after the current line: their token and delimiter word's index. */
  const pending: { tok: Extract<Token, { kind: 'redir' }>; at: number }[] = [];
  let i = 0;
  // The line a word starts on (1-based), for a script's messages (`s.sh: line 3: …`).
  let line = options.firstLine ?? 1;
  let counted = 0;
  const lineAt = (k: number): number => {
    for (; counted < k; counted++) if (src[counted] === '\n') line++;
    return line;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      // A line continuation at the end of the input: the next line is wanted.
      if (i + 2 >= src.length) throw new Incomplete('\\');
      i += 2;
      continue;
    }
    if (c === '\n') {
      tokens.push({ kind: 'newline' });
      i++;
      for (const h of pending.splice(0)) {
        const open = readHereDoc(src, i, h.tok, tokens[h.at], options.hereDocAtEof === true);
        i = open.end;
        if (open.unterminated !== undefined) {
          options.warnings?.push({
            line: lineAt(src.length),
            delimiter: open.unterminated,
            at: (tokens[h.at] as { line?: number }).line ?? line,
          });
        }
      }
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    // A redirection may start with a file descriptor number: `2>`, `2>&1`.
    const fdMatch = /^(\d+)(>>|>&|<&|<>|>\||>|<<<|<)/.exec(src.slice(i));
    if (fdMatch !== null) {
      tokens.push({ kind: 'redir', fd: Number(fdMatch[1]), op: fdMatch[2] as string });
      i += fdMatch[0].length;
      continue;
    }
    // `for ((init; cond; step))`: the arithmetic is one word, read raw up to its `))`.
    const prev = tokens[tokens.length - 1];
    // `(( EXPR ))` where a command starts (parse.y parse_dparen); `((echo a) )`,
    // whose first `)` is not doubled, is two subshells.
    if (src.startsWith('((', i) && atCommandStart(prev)) {
      const close = findDoubleParenClose(src, i + 2);
      if (close >= 0) {
        tokens.push({ kind: 'arith', expr: src.slice(i + 2, close), line: lineAt(i) });
        i = close + 2;
        continue;
      }
    }
    if (src.startsWith('((', i) && prev?.kind === 'word' && prev.word.text === 'for') {
      const close = findArithClose(src, i + 2);
      const text = src.slice(i, close + 2);
      tokens.push({
        kind: 'word',
        word: { parts: [{ kind: 'lit', text, quoted: true }], text },
        line: lineAt(i),
      });
      i = close + 2;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op !== undefined) {
      if (op === '&>' || op === '&>>') tokens.push({ kind: 'redir', fd: 'amp', op });
      else if (['>>', '>&', '<&', '<>', '<<<', '>|', '<<', '<<-'].includes(op)) {
        const tok: Extract<Token, { kind: 'redir' }> = {
          kind: 'redir',
          fd: op.startsWith('<') ? 0 : 1,
          op,
        };
        if (op === '<<' || op === '<<-') pending.push({ tok, at: tokens.length + 1 });
        tokens.push(tok);
      } else tokens.push({ kind: 'op', op });
      i += op.length;
      continue;
    }
    if (c === '>' || c === '<') {
      tokens.push({ kind: 'redir', fd: c === '<' ? 0 : 1, op: c });
      i++;
      continue;
    }
    if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      tokens.push({ kind: 'op', op: c });
      i++;
      continue;
    }
    const start = i;
    const r = readWord(src, i);
    i = r.end;
    tokens.push({
      kind: 'word',
      word: { parts: r.parts, text: src.slice(start, i) },
      line: lineAt(start),
    });
  }
  // A here-document still open at the end of the input: the rest of it is yet to be typed.
  if (pending.length > 0) {
    if (options.hereDocAtEof !== true) throw new Incomplete('<<');
    for (const h of pending) {
      const d = tokens[h.at];
      const delim = d?.kind === 'word' ? d.word.text : '';
      h.tok.heredoc = { parts: [{ kind: 'lit', text: '', quoted: true }], text: delim };
      options.warnings?.push({
        line: lineAt(src.length),
        delimiter: delim,
        at: d?.kind === 'word' ? (d.line ?? line) : line,
      });
    }
  }
  tokens.push({ kind: 'eof' });
  return tokens;
}

/**
 * Reads a here-document's lines from `from` up to its delimiter line (bash
 * manual 3.6.6): with a quoted delimiter the lines are literal, otherwise
 * `$…`, `$(…)` and backquotes expand and `\` quotes `$`, `` ` ``, `\` and
 * newline; `<<-` strips leading tabs. Returns where the next line starts.
 */
function readHereDoc(
  src: string,
  from: number,
  tok: Extract<Token, { kind: 'redir' }>,
  delimTok: Token | undefined,
  atEof: boolean,
): { end: number; unterminated?: string } {
  if (delimTok?.kind !== 'word') return { end: from };
  let unterminated: string | undefined;
  const quoted = /['"\\]/.test(delimTok.word.text);
  const delim = delimTok.word.parts
    .map((p) => (p.kind === 'lit' || p.kind === 'glob' ? p.text : ''))
    .join('');
  let body = '';
  let i = from;
  for (;;) {
    if (i >= src.length) {
      if (!atEof) throw new Incomplete('<<');
      unterminated = delimTok.word.text;
      break;
    }
    const nl = src.indexOf('\n', i);
    let line = nl < 0 ? src.slice(i) : src.slice(i, nl);
    if (tok.op === '<<-') line = line.replace(/^\t+/, '');
    if (line === delim) {
      i = nl < 0 ? src.length : nl + 1;
      break;
    }
    body += `${line}\n`;
    if (nl < 0) {
      if (!atEof) throw new Incomplete('<<');
      unterminated = delimTok.word.text;
      i = src.length;
      break;
    }
    i = nl + 1;
  }
  tok.heredoc = quoted
    ? { parts: [{ kind: 'lit', text: body, quoted: true }], text: delim }
    : hereDocWord(body, delim);
  return unterminated === undefined ? { end: i } : { end: i, unterminated };
}

function hereDocWord(body: string, delim: string): Word {
  const parts: Part[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') parts.push({ kind: 'lit', text: lit, quoted: true });
    lit = '';
  };
  for (let i = 0; i < body.length; ) {
    const c = body[i] as string;
    if (c === '\\' && /[$`\\\n]/.test(body[i + 1] ?? '')) {
      if (body[i + 1] !== '\n') lit += body[i + 1];
      i += 2;
      continue;
    }
    if (c === '$') {
      const r = readDollar(body, i, true);
      if (r !== undefined) {
        flush();
        parts.push(r.part);
        i = r.end;
        continue;
      }
    }
    if (c === '`') {
      const close = findBackquote(body, i + 1);
      flush();
      parts.push({ kind: 'cmdsub', source: body.slice(i + 1, close), quoted: true });
      i = close + 1;
      continue;
    }
    lit += c;
    i++;
  }
  flush();
  if (parts.length === 0) parts.push({ kind: 'lit', text: '', quoted: true });
  return { parts, text: delim };
}

/** Reads one word from `start`: its parts and where it ends. */
function readWord(src: string, start: number, stopAtMeta = true): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') parts.push({ kind: 'lit', text: lit, quoted: false });
    lit = '';
  };
  let i = start;
  // Tilde prefix (bash manual 3.5.2): an unquoted `~` at the start of a word, up to the first `/`.
  if (src[i] === '~') {
    let j = i + 1;
    while (j < src.length && /[A-Za-z0-9_.-]/.test(src[j] as string)) j++;
    if (j >= src.length || src[j] === '/' || META.has(src[j] as string)) {
      parts.push({ kind: 'tilde', user: src.slice(i + 1, j) });
      i = j;
    }
  }
  while (i < src.length) {
    const c = src[i] as string;
    if (stopAtMeta && META.has(c)) break;
    if (c === '\\') {
      if (i + 1 >= src.length) throw new Incomplete('\\');
      if (src[i + 1] === '\n') {
        if (i + 2 >= src.length) throw new Incomplete('\\');
        i += 2;
        continue;
      }
      flush();
      parts.push({ kind: 'lit', text: src[i + 1] as string, quoted: true });
      i += 2;
      continue;
    }
    if (c === "'") {
      const close = src.indexOf("'", i + 1);
      if (close < 0) throw new Incomplete("'");
      flush();
      parts.push({ kind: 'lit', text: src.slice(i + 1, close), quoted: true });
      i = close + 1;
      continue;
    }
    if (c === '"') {
      flush();
      i = readDoubleQuoted(src, i + 1, parts);
      continue;
    }
    if (c === '$') {
      const r = readDollar(src, i, false);
      if (r !== undefined) {
        flush();
        parts.push(r.part);
        i = r.end;
        continue;
      }
    }
    if (c === '`') {
      const close = findBackquote(src, i + 1);
      flush();
      parts.push({ kind: 'cmdsub', source: src.slice(i + 1, close), quoted: false });
      i = close + 1;
      continue;
    }
    if (c === '*' || c === '?') {
      flush();
      parts.push({ kind: 'glob', text: c });
      i++;
      continue;
    }
    lit += c;
    i++;
  }
  flush();
  if (parts.length === 0) parts.push({ kind: 'lit', text: '', quoted: true });
  return { parts, end: i };
}

function findBackquote(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === '`') return i;
  }
  throw new Incomplete('`');
}

/** Reads `"…"` from just after the opening quote; returns the index after the closing one. */
function readDoubleQuoted(src: string, from: number, parts: Part[]): number {
  let lit = '';
  let any = false;
  const flush = (): void => {
    if (lit !== '' || !any) parts.push({ kind: 'lit', text: lit, quoted: true });
    any = true;
    lit = '';
  };
  let i = from;
  for (;;) {
    if (i >= src.length) throw new Incomplete('"');
    const c = src[i] as string;
    if (c === '"') {
      if (lit !== '' || !any) flush();
      return i + 1;
    }
    if (c === '\\' && i + 1 < src.length && DQ_ESCAPABLE.has(src[i + 1] as string)) {
      if (src[i + 1] !== '\n') lit += src[i + 1];
      i += 2;
      continue;
    }
    if (c === '$') {
      const r = readDollar(src, i, true);
      if (r !== undefined) {
        if (lit !== '') flush();
        any = true;
        parts.push(r.part);
        i = r.end;
        continue;
      }
    }
    if (c === '`') {
      const close = findBackquote(src, i + 1);
      if (lit !== '') flush();
      any = true;
      parts.push({ kind: 'cmdsub', source: src.slice(i + 1, close), quoted: true });
      i = close + 1;
      continue;
    }
    lit += c;
    i++;
  }
}

/** The `}` closing a `${` whose inside starts at `from`, past quotes, escapes and nested `${…}`, `$(…)`. */
function findCloseBrace(src: string, from: number): number {
  let depth = 1;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    // Quotes inside ${…} (the word of an operator) are the word's own.
    const quoted = pastQuoting(src, i);
    if (quoted >= 0) i = quoted;
    else if (c === '$' && src[i + 1] === '(') {
      i = src[i + 2] === '(' ? findArithClose(src, i + 3) + 1 : findCloseParen(src, i + 2);
    } else if (c === '$' && src[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Incomplete('{');
}

/**
 * The inside of `${…}`: the parameter and its operator, or undefined (bad
 * substitution). bash manual 3.5.3; the operator is the longest that fits.
 */
function parseBraceParam(inner: string): { name: string; op?: VarOp } | undefined {
  // ${#}, ${#name}: the length (${#} alone is $#, and ${#-} the length of $-).
  if (inner === '#') return { name: '#' };
  const len = /^#([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$!#@*-])$/.exec(inner);
  if (len !== null) return { name: len[1]!, op: { op: 'len', word: '' } };
  const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$!#@*-])/.exec(inner);
  if (m === null) return undefined;
  const name = m[1]!;
  const rest = inner.slice(name.length);
  if (rest === '') return { name };
  const two = rest.slice(0, 2);
  const one = rest[0]!;
  if ([':-', ':=', ':+', ':?'].includes(two))
    return { name, op: { op: two as VarOp['op'], word: rest.slice(2) } };
  if (['-', '=', '+', '?'].includes(one))
    return { name, op: { op: one as VarOp['op'], word: rest.slice(1) } };
  if (two === '##' || two === '%%' || two === '^^' || two === ',,' || two === '~~') {
    return { name, op: { op: two as VarOp['op'], word: rest.slice(2) } };
  }
  if (one === '#' || one === '%' || one === '^' || one === ',' || one === '~') {
    return { name, op: { op: one as VarOp['op'], word: rest.slice(1) } };
  }
  if (one === '/') {
    const kind = two === '//' || two === '/#' || two === '/%' ? two : '/';
    const body = rest.slice(kind.length);
    const slash = unescapedSlash(body);
    return {
      name,
      op: {
        op: kind as VarOp['op'],
        word: slash < 0 ? body : body.slice(0, slash),
        ...(slash < 0 ? {} : { repl: body.slice(slash + 1) }),
      },
    };
  }
  if (one === ':') {
    const body = rest.slice(1);
    const colon = body.indexOf(':');
    return {
      name,
      op: {
        op: ':',
        word: colon < 0 ? body : body.slice(0, colon),
        ...(colon < 0 ? {} : { repl: body.slice(colon + 1) }),
      },
    };
  }
  if (one === '@' && /^@[QEPAUuLaK]$/.test(rest))
    return { name, op: { op: '@', word: rest.slice(1) } };
  return undefined;
}

/** The first `/` of a pattern not escaped or quoted (where the replacement starts). */
function unescapedSlash(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === '"') {
      const close = s.indexOf('"', i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === '/') return i;
  }
  return -1;
}

/**
 * Where the backslash escape or quoted string at `i` ends (its last
 * character), or -1 when none starts there.
 */
function pastQuoting(src: string, i: number): number {
  const c = src[i];
  if (c === '\\') return i + 1;
  if (c === "'") {
    const close = src.indexOf("'", i + 1);
    if (close < 0) throw new Incomplete("'");
    return close;
  }
  if (c === '"') return readDoubleQuoted(src, i + 1, []) - 1;
  return -1;
}

/** Finds the `)` closing a `$(` at `from` (just after the `(`), skipping quotes and nesting. */
function findCloseParen(src: string, from: number): number {
  let depth = 1;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    const quoted = pastQuoting(src, i);
    if (quoted >= 0) i = quoted;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Incomplete('(');
}

/** `[[ ]]`'s binary operators written as words (`<` and `>` come as redirection tokens). */
const COND_BINARY = new Set([
  '=',
  '==',
  '!=',
  '=~',
  '-eq',
  '-ne',
  '-lt',
  '-le',
  '-gt',
  '-ge',
  '-nt',
  '-ot',
  '-ef',
]);

/** Reserved words after which a command starts. */
const COMMAND_START_WORDS = new Set([
  'then',
  'do',
  'else',
  'elif',
  'if',
  'while',
  'until',
  '{',
  '!',
  'time',
]);

/** Whether a command starts after token `prev` (none: the start of the input). */
function atCommandStart(prev: Token | undefined): boolean {
  if (prev === undefined || prev.kind === 'newline') return true;
  // After `;`, `&&`, `|`, `(`, and `)`: a case pattern's (`*) ((x))`) or `f()`'s.
  if (prev.kind === 'op') return true;
  return prev.kind === 'word' && COMMAND_START_WORDS.has(prev.word.text);
}

/**
 * The `))` of a `((` command whose expression starts at `from`, or -1 when a
 * `)` that is not doubled closes it (then it was two subshells). Incomplete at
 * the end of the input.
 */
function findDoubleParenClose(src: string, from: number): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '$' && src[i + 1] === '(' && src[i + 2] !== '(') i = findCloseParen(src, i + 2);
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth > 0) depth--;
      else if (i + 1 >= src.length) throw new Incomplete('((');
      else return src[i + 1] === ')' ? i : -1;
    }
  }
  throw new Incomplete('((');
}

/** The `))` closing a `$((` whose expression starts at `from`, past nested parentheses and `$(…)`. */
function findArithClose(src: string, from: number): number {
  const close = findDoubleParenClose(src, from);
  // A `)` that is not doubled: the line is not done yet (or is an error bash reports later).
  if (close < 0) throw new Incomplete('((');
  return close;
}

const SPECIAL_PARAMS = new Set(['?', '$', '!', '#', '0', '-', '@', '*']);

function readDollar(
  src: string,
  i: number,
  quoted: boolean,
): { part: Part; end: number } | undefined {
  const next = src[i + 1];
  if (next === '(') {
    if (src[i + 2] === '(') {
      const close = findArithClose(src, i + 3);
      return { part: { kind: 'arith', expr: src.slice(i + 3, close), quoted }, end: close + 2 };
    }
    const close = findCloseParen(src, i + 2);
    return { part: { kind: 'cmdsub', source: src.slice(i + 2, close), quoted }, end: close + 1 };
  }
  if (next === '{') {
    const close = findCloseBrace(src, i + 2);
    const inner = src.slice(i + 2, close);
    const op = parseBraceParam(inner);
    if (op === undefined) {
      return {
        part: { kind: 'var', name: '', quoted, op: { op: '#', word: inner } },
        end: close + 1,
      };
    }
    const part: Part =
      op.op === undefined
        ? { kind: 'var', name: op.name, quoted }
        : { kind: 'var', name: op.name, quoted, op: op.op };
    return { part, end: close + 1 };
  }
  if (next !== undefined && SPECIAL_PARAMS.has(next)) {
    return { part: { kind: 'var', name: next, quoted }, end: i + 2 };
  }
  if (next !== undefined && /[0-9]/.test(next)) {
    return { part: { kind: 'var', name: next, quoted }, end: i + 2 };
  }
  if (isNameStart(next)) {
    let j = i + 1;
    while (isNameChar(src[j])) j++;
    return { part: { kind: 'var', name: src.slice(i + 1, j), quoted }, end: j };
  }
  if (next === "'" && !quoted) {
    // $'…' (ANSI-C quoting, bash manual 3.1.2.4).
    const close = src.indexOf("'", i + 2);
    if (close < 0) throw new Incomplete("'");
    return {
      part: { kind: 'lit', text: ansiC(src.slice(i + 2, close)), quoted: true },
      end: close + 1,
    };
  }
  return undefined;
}

/** The backslash escapes of `$'…'` and `echo -e`. */
export function ansiC(s: string): string {
  return s.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'e':
      case 'E':
        return '\x1b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case '\\':
        return '\\';
      case "'":
        return "'";
      case '"':
        return '"';
      case 'x':
        return String.fromCharCode(Number.parseInt(e.slice(1), 16));
      default:
        if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8) & 0xff);
        return `\\${e}`;
    }
  });
}

class Parser {
  #i = 0;
  constructor(readonly tokens: readonly Token[]) {}

  get peek(): Token {
    return this.tokens[this.#i] as Token;
  }

  next(): Token {
    return this.tokens[this.#i++] as Token;
  }

  isOp(op: string): boolean {
    const t = this.peek;
    return t.kind === 'op' && t.op === op;
  }

  isWord(text: string): boolean {
    const t = this.peek;
    return t.kind === 'word' && t.word.text === text;
  }

  skipNewlines(): void {
    while (this.peek.kind === 'newline') this.next();
  }

  /** The text bash names a token by in a syntax error. */
  static describe(t: Token): string {
    switch (t.kind) {
      case 'word':
        return t.word.text;
      case 'op':
        return t.op;
      case 'redir':
        return t.fd === 'amp' || t.fd === (t.op.startsWith('<') ? 0 : 1) ? t.op : `${t.fd}${t.op}`;
      case 'newline':
        return 'newline';
      case 'eof':
        return 'newline';
      case 'arith':
        return `((${t.expr}))`;
    }
  }

  /** The line a word token is on (1 when unknown). */
  lineOf(t: Token): number | undefined {
    return t.kind === 'word' ? t.line : undefined;
  }

  fail(t: Token): never {
    if (t.kind === 'eof') throw new Incomplete('eof');
    throw new SyntaxError_(Parser.describe(t));
  }

  /** Whether the next token is one of the reserved words `ends`. */
  atWord(ends: readonly string[]): boolean {
    const t = this.peek;
    return t.kind === 'word' && ends.includes(t.word.text);
  }

  /** Consumes the reserved word `w` (more input is needed at the end of the line). */
  expectWord(w: string): void {
    if (!this.isWord(w)) this.fail(this.peek);
    this.next();
  }

  /** A list up to `end`: the end of input, `)`, or one of the reserved words given. */
  list(end: 'eof' | ')' | readonly string[]): List {
    const items: ListItem[] = [];
    this.skipNewlines();
    for (;;) {
      const t = this.peek;
      if (t.kind === 'eof') {
        if (end !== 'eof') throw new Incomplete(typeof end === 'string' ? end : (end[0] ?? ''));
        break;
      }
      if (end === ')' && this.isOp(')')) break;
      if (typeof end !== 'string' && end.includes('esac') && this.atCaseEnd()) break;
      if (typeof end !== 'string' && this.atWord(end)) {
        // bash wants at least one command before `}`, `do`, `then`, … (parse.y compound_list).
        if (items.length === 0) this.fail(this.peek);
        break;
      }
      const andOr = this.andOr();
      let background = false;
      if (this.isOp('&')) {
        this.next();
        background = true;
      } else if (this.isOp(';')) {
        this.next();
      } else if (this.peek.kind === 'newline') {
        this.next();
      } else if (
        !(
          this.peek.kind === 'eof' ||
          this.isOp(')') ||
          (typeof end !== 'string' && this.atWord(end)) ||
          (typeof end !== 'string' && end.includes('esac') && this.atCaseEnd())
        )
      ) {
        this.fail(this.peek);
      }
      items.push({ andOr, background });
      this.skipNewlines();
    }
    return { items };
  }

  andOr(): AndOr {
    const first = this.pipeline();
    const rest: { op: '&&' | '||'; pipeline: Pipeline }[] = [];
    while (this.isOp('&&') || this.isOp('||')) {
      const op = (this.next() as { op: '&&' | '||' }).op;
      this.skipNewlines();
      rest.push({ op, pipeline: this.pipeline() });
    }
    return { first, rest };
  }

  /** `;;`, `;&` or `;;&` ending a case item. */
  atCaseEnd(): boolean {
    return this.isOp(';;') || this.isOp(';&') || this.isOp(';;&');
  }

  pipeline(): Pipeline {
    let bang = false;
    let timed: 'default' | 'posix' | undefined;
    // parse.y: `time [-p]` is a reserved word before a pipeline; alone it times nothing.
    if (this.isWord('time')) {
      this.next();
      timed = 'default';
      if (this.isWord('-p')) {
        this.next();
        timed = 'posix';
      }
      const t = this.peek;
      if (
        t.kind === 'eof' ||
        t.kind === 'newline' ||
        (t.kind === 'op' && [';', '&', '&&', '||', ')', ';;'].includes(t.op))
      ) {
        return { bang: false, timed, commands: [], stderrToo: [] };
      }
    }
    if (this.isWord('!')) {
      this.next();
      bang = true;
      // parse.y `BANG list_terminator`: `!` alone negates a null command (status 1).
      const t = this.peek;
      if (t.kind === 'eof' || t.kind === 'newline' || this.isOp(';')) {
        return timed === undefined
          ? { bang, commands: [], stderrToo: [] }
          : { bang, timed, commands: [], stderrToo: [] };
      }
    }
    const commands: CommandNode[] = [this.command()];
    const stderrToo: boolean[] = [];
    while (this.isOp('|') || this.isOp('|&')) {
      stderrToo.push((this.next() as { op: string }).op === '|&');
      this.skipNewlines();
      commands.push(this.command());
    }
    stderrToo.push(false);
    return timed === undefined
      ? { bang, commands, stderrToo }
      : { bang, timed, commands, stderrToo };
  }

  command(): CommandNode {
    const t = this.peek;
    if (t.kind === 'arith') {
      this.next();
      return { kind: 'arith', line: t.line, expr: t.expr, redirs: this.trailingRedirs() };
    }
    if (t.kind === 'op' && t.op === '(') {
      this.next();
      if (this.isOp(')')) this.fail(this.peek);
      const body = this.list(')');
      this.next();
      return { kind: 'subshell', body, redirs: this.trailingRedirs() };
    }
    if (t.kind === 'word') {
      switch (t.word.text) {
        case '{': {
          this.next();
          const body = this.list(['}']);
          this.next();
          return { kind: 'group', body, redirs: this.trailingRedirs() };
        }
        case 'for':
          return this.forCommand();
        case '[[':
          return this.condCommand();
        case 'while':
        case 'until': {
          this.next();
          const cond = this.list(['do']);
          this.next();
          const body = this.list(['done']);
          this.next();
          return {
            kind: 'while',
            until: t.word.text === 'until',
            cond,
            body,
            redirs: this.trailingRedirs(),
          };
        }
        case 'if':
          return this.ifCommand();
        case 'case':
          return this.caseCommand();
        case 'function':
          return this.functionDef(true);
        default:
          if (this.#isOpAt(1, '(') && this.#isOpAt(2, ')')) return this.functionDef(false);
          if (CLOSERS.has(t.word.text)) this.fail(t);
      }
    }
    return this.simple();
  }

  #isOpAt(k: number, op: string): boolean {
    const t = this.tokens[this.#i + k];
    return t !== undefined && t.kind === 'op' && t.op === op;
  }

  /** parse.y function_def: `NAME ( ) newlines compound` or `function NAME [( )] newlines compound`. */
  functionDef(keyword: boolean): FunctionDef {
    if (keyword) this.next();
    const nameTok = this.next();
    if (nameTok.kind !== 'word') this.fail(nameTok);
    const name = nameTok.word.text;
    if (this.isOp('(')) {
      this.next();
      if (!this.isOp(')')) this.fail(this.peek);
      this.next();
    }
    this.skipNewlines();
    const t = this.peek;
    const compound =
      t.kind === 'arith' ||
      (t.kind === 'op' && t.op === '(') ||
      (t.kind === 'word' &&
        ['{', 'for', 'while', 'until', 'if', 'case', '[['].includes(t.word.text));
    if (!compound) this.fail(t);
    const body = this.command();
    return { kind: 'function', name, body, redirs: [] };
  }

  caseCommand(): CaseCommand {
    const line = this.lineOf(this.next());
    const wordTok = this.next();
    if (wordTok.kind !== 'word') this.fail(wordTok);
    this.skipNewlines();
    this.expectWord('in');
    const items: { patterns: Word[]; body: List; end: ';;' | ';&' | ';;&' }[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.isWord('esac')) {
        this.next();
        break;
      }
      if (this.isOp('(')) this.next();
      const patterns: Word[] = [];
      for (;;) {
        const p = this.next();
        if (p.kind !== 'word') this.fail(p);
        patterns.push(p.word);
        if (!this.isOp('|')) break;
        this.next();
      }
      if (!this.isOp(')')) this.fail(this.peek);
      this.next();
      this.skipNewlines();
      const body: List =
        this.atCaseEnd() || this.isWord('esac') ? { items: [] } : this.list(['esac']);
      let end: ';;' | ';&' | ';;&' = ';;';
      if (this.atCaseEnd()) end = (this.next() as { op: ';;' | ';&' | ';;&' }).op;
      else if (!this.isWord('esac')) this.fail(this.peek);
      items.push({ patterns, body, end });
    }
    return { kind: 'case', line, word: wordTok.word, items, redirs: this.trailingRedirs() };
  }

  /**
   * `[[ EXPR ]]` (parse.y cond_command): `||` below `&&` below `!`, parentheses,
   * unary tests, binary ones (`<` and `>` compare strings here), a word alone;
   * the right side of `=~` is read up to a space, parentheses and `|` in it.
   */
  condCommand(): CondCommand {
    const line = this.lineOf(this.next());
    const expr = this.#condOr();
    if (!this.isWord(']]')) this.fail(this.peek);
    this.next();
    return { kind: 'cond', line, expr, redirs: this.trailingRedirs() };
  }

  #condOr(): CondExpr {
    return this.#condChain('||', 'or', () => this.#condAnd());
  }

  #condAnd(): CondExpr {
    return this.#condChain('&&', 'and', () => this.#condNot());
  }

  /** Operands joined by `op`, left to right; newlines may follow the operator. */
  #condChain(op: string, kind: 'and' | 'or', operand: () => CondExpr): CondExpr {
    let left = operand();
    while (this.isOp(op)) {
      this.next();
      this.skipNewlines();
      left = { kind, left, right: operand() };
    }
    return left;
  }

  #condNot(): CondExpr {
    if (this.isWord('!')) {
      this.next();
      return { kind: 'not', expr: this.#condNot() };
    }
    return this.#condPrimary();
  }

  /** A word of `[[ ]]`: one that is none (`]]` too soon, an operator) is the error. */
  #condWord(): Word {
    const t = this.peek;
    if (t.kind !== 'word' || t.word.text === ']]') this.fail(t);
    this.next();
    return t.word;
  }

  #condPrimary(): CondExpr {
    if (this.isOp('(')) {
      this.next();
      const expr = this.#condOr();
      if (!this.isOp(')')) this.fail(this.peek);
      this.next();
      return { kind: 'group', expr };
    }
    const first = this.#condWord();
    if (isUnop(first.text) && this.peek.kind === 'word' && !this.isWord(']]')) {
      return { kind: 'unary', op: first.text, word: this.#condWord() };
    }
    const t = this.peek;
    const op =
      t.kind === 'word' && COND_BINARY.has(t.word.text)
        ? t.word.text
        : t.kind === 'redir' && (t.op === '<' || t.op === '>') && t.fd !== 'amp'
          ? t.op
          : undefined;
    if (op === undefined) {
      // parse.y cond_term: a word then another is no expression.
      if (t.kind === 'word' && t.word.text !== ']]') {
        throw new SyntaxError_(t.word.text, 'conditional binary operator expected');
      }
      return { kind: 'word', word: first };
    }
    this.next();
    if (this.isWord(']]')) {
      throw new SyntaxError_(']]', "unexpected argument `]]' to conditional binary operator");
    }
    if (op === '=~') return { kind: 'binary', op, left: first, right: this.#condRegex() };
    return { kind: 'binary', op, left: first, right: this.#condWord() };
  }

  /** The regular expression after `=~`: its tokens up to `]]`, `&&` or `||`, joined. */
  #condRegex(): Word {
    let text = '';
    let depth = 0;
    for (;;) {
      const t = this.peek;
      if (t.kind === 'word') {
        if (t.word.text === ']]' && depth === 0) break;
        text += t.word.text;
      } else if (t.kind === 'op' && (t.op === '(' || t.op === ')' || t.op === '|')) {
        if (t.op === '(') depth++;
        if (t.op === ')') {
          if (depth === 0) break;
          depth--;
        }
        text += t.op;
      } else break;
      this.next();
    }
    if (text === '') this.fail(this.peek);
    return parseWord(text);
  }

  forCommand(): ForCommand {
    const line = this.lineOf(this.next());
    const nameTok = this.peek;
    if (nameTok.kind !== 'word') this.fail(nameTok);
    this.next();
    const name = nameTok.word.text;
    if (name.startsWith('((') && name.endsWith('))')) {
      // bash manual 3.2.5.1: for (( expr1 ; expr2 ; expr3 )) ; do list ; done
      const exprs = name.slice(2, -2).split(';');
      if (exprs.length !== 3)
        throw new SyntaxError_(name, `syntax error: arithmetic expression required`);
      if (this.isOp(';')) this.next();
      this.skipNewlines();
      const open = this.isWord('do') ? 'do' : this.isWord('{') ? '{' : undefined;
      if (open === undefined) this.fail(this.peek);
      this.next();
      const body = this.list([open === 'do' ? 'done' : '}']);
      this.next();
      return {
        kind: 'for',
        line,
        name: '',
        words: undefined,
        arith: [exprs[0]!, exprs[1]!, exprs[2]!],
        body,
        redirs: this.trailingRedirs(),
      };
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new SyntaxError_(name, `\`${name}': not a valid identifier`);
    let words: Word[] | undefined;
    this.skipNewlines();
    if (this.isWord('in')) {
      this.next();
      words = [];
      for (let w = this.peek; w.kind === 'word'; w = this.peek) {
        words.push(w.word);
        this.next();
      }
    }
    if (this.isOp(';')) this.next();
    else if (this.peek.kind !== 'newline' && words !== undefined) this.fail(this.peek);
    this.skipNewlines();
    this.expectWord('do');
    const body = this.list(['done']);
    this.next();
    return { kind: 'for', line, name, words, body, redirs: this.trailingRedirs() };
  }

  ifCommand(): IfCommand {
    this.next();
    const clauses: { cond: List; body: List }[] = [];
    let otherwise: List | undefined;
    for (;;) {
      const cond = this.list(['then']);
      this.next();
      const body = this.list(['elif', 'else', 'fi']);
      clauses.push({ cond, body });
      const w = (this.next() as { word: Word }).word.text;
      if (w === 'elif') continue;
      if (w === 'else') {
        otherwise = this.list(['fi']);
        this.next();
      }
      break;
    }
    return { kind: 'if', clauses, otherwise, redirs: this.trailingRedirs() };
  }

  trailingRedirs(): Redirection[] {
    const redirs: Redirection[] = [];
    while (this.peek.kind === 'redir') redirs.push(this.redirection());
    const t = this.peek;
    if (t.kind === 'word' || (t.kind === 'op' && t.op === '(')) this.fail(t);
    return redirs;
  }

  redirection(): Redirection {
    const t = this.next() as Extract<Token, { kind: 'redir' }>;
    const target = this.peek;
    if (target.kind === 'eof') throw new SyntaxError_('newline');
    if (target.kind !== 'word') this.fail(target);
    this.next();
    const fd = t.fd === 'amp' ? 1 : t.fd;
    if (t.op === '<<' || t.op === '<<-') {
      const body = t.heredoc ?? { parts: [{ kind: 'lit', text: '', quoted: true }], text: '' };
      return { fd, op: t.op, target: body, delimiter: target.word.text };
    }
    return { fd, op: t.op as RedirOp, target: target.word };
  }

  simple(): SimpleCommand {
    const first = this.peek;
    const line = first.kind === 'word' ? first.line : undefined;
    const assigns: { name: string; value: Word }[] = [];
    const words: Word[] = [];
    const redirs: Redirection[] = [];
    for (;;) {
      const t = this.peek;
      if (t.kind === 'redir') {
        redirs.push(this.redirection());
        continue;
      }
      if (t.kind !== 'word') break;
      if (words.length > 0 && t.word.text === '(') break;
      this.next();
      const assign = words.length === 0 ? splitAssignment(t.word) : undefined;
      if (assign !== undefined) assigns.push(assign);
      else words.push(t.word);
    }
    if (words.length === 0 && assigns.length === 0 && redirs.length === 0) this.fail(this.peek);
    if (this.isOp('(')) this.fail(this.peek);
    return line === undefined
      ? { kind: 'simple', assigns, words, redirs }
      : { kind: 'simple', line, assigns, words, redirs };
  }
}

/** `NAME=value` as the first words of a simple command (bash manual 3.4). */
function splitAssignment(word: Word): { name: string; value: Word } | undefined {
  const first = word.parts[0];
  if (first?.kind !== 'lit' || first.quoted) return undefined;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (m === null) return undefined;
  const rest = first.text.slice(m[0].length);
  const parts: Part[] = [];
  // A tilde prefix right after `=` expands (bash manual 3.5.2).
  const tilde = /^~([A-Za-z0-9_.-]*)(?=\/|$)/.exec(rest);
  if (tilde !== null) {
    parts.push({ kind: 'tilde', user: tilde[1] as string });
    if (rest.length > tilde[0].length)
      parts.push({ kind: 'lit', text: rest.slice(tilde[0].length), quoted: false });
  } else if (rest !== '') parts.push({ kind: 'lit', text: rest, quoted: false });
  parts.push(...word.parts.slice(1));
  // Pathname expansion does not apply to an assignment (bash manual 3.4).
  const value = parts.map((p) =>
    p.kind === 'glob' ? { kind: 'lit' as const, text: p.text, quoted: true } : p,
  );
  if (value.length === 0) value.push({ kind: 'lit', text: '', quoted: true });
  return { name: m[1] as string, value: { parts: value, text: word.text.slice(m[0].length) } };
}

/** The parts of a word's source text (`${X:-word}`'s word, `$(( ))`'s expression). */
export function parseWord(text: string): Word {
  try {
    const r = readWord(text, 0, false);
    return { parts: r.parts, text };
  } catch {
    return { parts: [{ kind: 'lit', text, quoted: true }], text };
  }
}

/** Parses a command line (possibly several lines, when continued). */
/** Options of a script's parse (a typed line needs none). */
export interface ParseOptions {
  /** The line the source starts on, for `SCRIPT: line N:` messages. */
  readonly firstLine?: number;
  /** The end of the input ends an open here-document (a script), with a warning. */
  readonly hereDocAtEof?: boolean;
  /** Filled with the here-documents the end of the input ended. */
  readonly warnings?: { line: number; delimiter: string; at: number }[];
}

export function parse(src: string, options: ParseOptions = {}): ParseResult {
  try {
    const p = new Parser(tokenize(src, options));
    const list = p.list('eof');
    return { ok: true, list };
  } catch (e) {
    if (e instanceof Incomplete) return { ok: false, incomplete: true, message: e.message };
    if (e instanceof SyntaxError_) {
      return {
        ok: false,
        incomplete: false,
        message: e.message ?? `syntax error near unexpected token \`${e.token}'`,
      };
    }
    throw e;
  }
}

/**
 * The command text bash shows in job listings (print_cmd.c make_command_string):
 * words as typed, one space apart; compound commands over several lines,
 * bodies indented by four spaces per level, `elif` as a nested `if` in the
 * `else` branch (as bash prints it).
 */
/**
 * A command as bash prints it (print_cmd.c): on one line for a job's text, and
 * inside a function's listing (`fn`, its inside_function_def) with each command
 * of a list on a line of its own.
 */
export function commandText(node: CommandNode, indent = 0, fn = false): string {
  const redirs = node.redirs.map(redirText);
  if (node.kind === 'simple') {
    const words = [
      ...node.assigns.map((a) => `${a.name}=${a.value.text}`),
      ...node.words.map((w) => w.text),
    ];
    return [...words, ...redirs].join(' ');
  }
  const pad = ' '.repeat(indent);
  const body = (l: List): string => `${' '.repeat(indent + 4)}${listText(l, indent + 4, fn)};\n`;
  let inner: string;
  switch (node.kind) {
    case 'subshell':
      inner = `( ${listText(node.body, indent, fn)} )`;
      break;
    case 'group':
      inner = fn
        ? `{ \n${' '.repeat(indent + 4)}${listText(node.body, indent + 4, fn)}\n${pad}}`
        : `{ ${listText(node.body, indent)}; }`;
      break;
    case 'arith':
      // print_arith_command: the expression as written.
      inner = `((${node.expr}))`;
      break;
    case 'cond':
      inner = `[[ ${condText(node.expr)} ]]`;
      break;
    case 'for': {
      if (node.arith !== undefined) {
        // print_arith_for_command: each expression trimmed, an empty one as 1.
        const e = node.arith.map((x) => x.trim() || '1').join('; ');
        inner = `for ((${e}))\n${pad}do\n${body(node.body)}${pad}done`;
        break;
      }
      const words =
        node.words === undefined ? '' : ` in ${node.words.map((w) => w.text).join(' ')}`;
      inner = `for ${node.name}${words};\n${pad}do\n${body(node.body)}${pad}done`;
      break;
    }
    case 'while':
      inner = `${node.until ? 'until' : 'while'} ${listText(node.cond, indent, fn)}; do\n${body(node.body)}${pad}done`;
      break;
    case 'if':
      inner = ifText(node.clauses, node.otherwise, indent, fn);
      break;
    case 'case': {
      const items = node.items.map(
        (it) =>
          `${pad}    ${it.patterns.map((w) => w.text).join(' | ')})\n${' '.repeat(indent + 8)}${listText(it.body, indent + 8, fn)}\n${pad}    ${it.end}\n`,
      );
      inner = `case ${node.word.text} in \n${items.join('')}${pad}esac`;
      break;
    }
    case 'function': {
      // print_cmd.c print_function_def: `NAME () `, the group's braces on lines of their own.
      const b = node.body;
      // Any other compound body is listed inside braces too.
      const text =
        b.kind === 'group'
          ? `{ \n${pad}    ${listText(b.body, indent + 4, true)}\n${pad}}`
          : `{ \n${pad}    ${commandText(b, indent + 4, true)}\n${pad}}`;
      // print_cmd.c: a definition inside a function's listing says `function`.
      inner = `${fn ? 'function ' : ''}${node.name} () \n${pad}${text}`;
      break;
    }
  }
  return [inner, ...redirs].join(' ');
}

function ifText(
  clauses: readonly { readonly cond: List; readonly body: List }[],
  otherwise: List | undefined,
  indent: number,
  fn: boolean,
): string {
  const pad = ' '.repeat(indent);
  const inner = ' '.repeat(indent + 4);
  const [first, ...rest] = clauses;
  if (first === undefined) return '';
  let out = `if ${listText(first.cond, indent, fn)}; then\n${inner}${listText(first.body, indent + 4, fn)};\n`;
  if (rest.length > 0) {
    out += `${pad}else\n${inner}${ifText(rest, otherwise, indent + 4, fn)};\n`;
  } else if (otherwise !== undefined) {
    out += `${pad}else\n${inner}${listText(otherwise, indent + 4, fn)};\n`;
  }
  return `${out}${pad}fi`;
}

function redirText(r: Redirection): string {
  const target = r.target.text;
  switch (r.op) {
    case '>&':
    case '<&':
      return `${r.fd === (r.op === '>&' ? 1 : 0) ? '' : r.fd}${r.op}${target}`;
    case '&>':
    case '&>>':
      return `${r.op} ${target}`;
    case '<<':
    case '<<-':
      return `${r.fd === 0 ? '' : r.fd}${r.op}${r.delimiter ?? ''}`;
    default: {
      const dflt = r.op === '<' || r.op === '<>' || r.op === '<<<' ? 0 : 1;
      return `${r.fd === dflt ? '' : r.fd}${r.op} ${target}`;
    }
  }
}

export function pipelineText(p: Pipeline, indent = 0, fn = false): string {
  const stages = p.commands.map((c) => commandText(c, indent, fn)).join(' | ');
  const s = p.bang ? `! ${stages}` : stages;
  if (p.timed === undefined) return s;
  const time = p.timed === 'posix' ? 'time -p' : 'time';
  return s === '' ? time : `${time} ${s}`;
}

export function andOrText(a: AndOr, indent = 0, fn = false): string {
  let s = pipelineText(a.first, indent, fn);
  for (const r of a.rest) s += ` ${r.op} ${pipelineText(r.pipeline, indent, fn)}`;
  return s;
}

/** A list: `a; b & c` on one line; in a function's listing a line for each (`a;\n    b & c`). */
export function listText(l: List, indent = 0, fn = false): string {
  const next = fn ? `\n${' '.repeat(indent)}` : ' ';
  let out = '';
  l.items.forEach((it, i) => {
    const t = andOrText(it.andOr, indent, fn);
    if (i === l.items.length - 1) out += it.background ? `${t} &` : t;
    else out += it.background ? `${t} & ` : `${t};${next}`;
  });
  return out;
}

/** A `[[ ]]` expression as print_cmd.c prints it. */
function condText(e: CondExpr): string {
  switch (e.kind) {
    case 'not':
      return `! ${condText(e.expr)}`;
    case 'and':
      return `${condText(e.left)} && ${condText(e.right)}`;
    case 'or':
      return `${condText(e.left)} || ${condText(e.right)}`;
    case 'group':
      return `( ${condText(e.expr)} )`;
    case 'unary':
      return `${e.op} ${e.word.text}`;
    case 'binary':
      return `${e.left.text} ${e.op} ${e.right.text}`;
    case 'word':
      return e.word.text;
  }
}
