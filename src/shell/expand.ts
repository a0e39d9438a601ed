/**
 * Word expansion in bash's order (bash manual 3.5): tilde, parameters and
 * variables, command substitution and arithmetic (left to right), then word
 * splitting of the unquoted results on IFS whitespace, then pathname expansion
 * of unquoted `*` and `?` against the host's files, then quote removal (the
 * parts already carry their quoting).
 */

import type { HostFs } from '../os/fs.js';
import { type Part, parseWord, type Word } from './parse.js';

/** What expansion needs from the shell. */
export interface ExpandContext {
  /** A variable's value, or undefined if unset (special parameters included). */
  lookup(name: string): string | undefined;
  /** Assigns (`${X:=word}`). */
  assign(name: string, value: string): void;
  /** The home directory of a user (`~`, `~alice`), or undefined. */
  home(user: string): string | undefined;
  /** The output of the next `$(…)`, run beforehand (`substitutions`). */
  substitute(source: string): string;
  readonly fs: HostFs;
  readonly cwd: string;
  /** The positional parameters, for `"$@"` (one field each). */
  positional?(): readonly string[];
}

/** An expansion error bash reports (`bad substitution`), as its message without `-bash: `. */
export class ExpansionError {
  constructor(readonly message: string) {}
}

interface Field {
  text: string;
  /** A regular expression for pathname expansion, when the field has an unquoted `*` or `?`. */
  pattern: string;
  glob: boolean;
  /** Has content or a quoted (possibly empty) part: it is a word even if empty. */
  real: boolean;
}

function newField(): Field {
  return { text: '', pattern: '', glob: false, real: false };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The sources of the command substitutions in `words`, in the order expansion meets them. */
export function substitutions(words: readonly Word[]): string[] {
  const out: string[] = [];
  for (const w of words)
    for (const p of w.parts) {
      if (p.kind === 'cmdsub') out.push(p.source);
      // `$(( $1 * $(f) ))`: the expression's own substitutions, run before it is evaluated.
      else if (p.kind === 'arith') out.push(...substitutions([parseWord(p.expr)]));
    }
  return out;
}

/** Expands the words of a command into fields. */
export function expandWords(words: readonly Word[], ctx: ExpandContext): string[] {
  const out: string[] = [];
  for (const w of words) out.push(...expandFields(w, ctx));
  return out;
}

/** Expands one word without splitting or globbing (assignments, `case`, here-strings). */
export function expandString(word: Word, ctx: ExpandContext): string {
  let s = '';
  for (const p of word.parts) {
    if (p.kind === 'glob') s += p.text;
    else s += partValue(p, ctx);
  }
  return s;
}

function expandFields(word: Word, ctx: ExpandContext): string[] {
  const fields: Field[] = [];
  let cur = newField();
  const end = (): void => {
    if (cur.real || cur.text !== '') fields.push(cur);
    cur = newField();
  };
  const append = (text: string, quoted: boolean): void => {
    cur.text += text;
    cur.pattern += escapeRegExp(text);
    if (quoted || text !== '') cur.real = true;
  };
  for (const p of word.parts) {
    if (p.kind === 'glob') {
      cur.text += p.text;
      cur.pattern += p.text === '*' ? '[^/]*' : p.text === '?' ? '[^/]' : escapeRegExp(p.text);
      cur.glob = true;
      cur.real = true;
      continue;
    }
    if (p.kind === 'var' && p.name === '@' && p.quoted && p.op === undefined) {
      // "$@" (bash manual 3.4.2): each positional parameter a separate word; none, no word.
      const params = ctx.positional?.() ?? [];
      params.forEach((x, i) => {
        if (i > 0) end();
        append(x, true);
      });
      continue;
    }
    const value = partValue(p, ctx);
    const quoted = p.kind === 'lit' || p.kind === 'tilde' ? true : p.quoted;
    if (p.kind === 'lit' && !p.quoted) {
      append(value, false);
      continue;
    }
    if (quoted) {
      append(value, p.kind === 'lit' ? p.quoted : true);
      continue;
    }
    // Word splitting (bash manual 3.5.7) with the default IFS: runs of space, tab, newline.
    if (value === '') continue;
    if (/^[ \t\n]/.test(value)) end();
    const pieces = value.split(/[ \t\n]+/).filter((x) => x !== '');
    pieces.forEach((piece, i) => {
      if (i > 0) end();
      append(piece, false);
    });
    if (/[ \t\n]$/.test(value)) end();
  }
  end();
  const out: string[] = [];
  for (const f of fields) {
    if (f.glob) {
      const matches = glob(f.pattern, ctx);
      if (matches.length > 0) {
        out.push(...matches);
        continue;
      }
    }
    out.push(f.text);
  }
  return out;
}

/** Pathname expansion (bash manual 3.5.8): each `/`-separated component matched against a directory. */
function glob(pattern: string, ctx: ExpandContext): string[] {
  // Split the regular expression back into components on unescaped `/`.
  const comps = pattern.split('\\/');
  const absolute = comps[0] === '';
  let paths: string[] = [absolute ? '/' : ''];
  const start = absolute ? 1 : 0;
  for (let i = start; i < comps.length; i++) {
    const comp = comps[i] as string;
    const next: string[] = [];
    const isGlob = /\[\^\/\]/.test(comp);
    for (const base of paths) {
      if (!isGlob) {
        const literal = comp.replace(/\\(.)/g, '$1');
        next.push(join(base, literal));
        continue;
      }
      const dir = base === '' ? ctx.cwd : base;
      const names = ctx.fs.list(dir, ctx.cwd);
      if (!Array.isArray(names)) continue;
      const re = new RegExp(`^${comp}$`);
      for (const name of names) {
        if (name.startsWith('.') && !comp.startsWith('\\.')) continue;
        if (re.test(name)) next.push(join(base, name));
      }
    }
    paths = next;
  }
  return paths.filter((p) => typeof ctx.fs.stat(p, ctx.cwd) === 'string').sort();
}

function join(base: string, name: string): string {
  if (base === '') return name;
  if (base.endsWith('/')) return `${base}${name}`;
  return `${base}/${name}`;
}

function partValue(p: Part, ctx: ExpandContext): string {
  switch (p.kind) {
    case 'lit':
    case 'glob':
      return p.text;
    case 'tilde': {
      const h = ctx.home(p.user);
      return h ?? `~${p.user}`;
    }
    case 'cmdsub':
      // Command substitution removes every trailing newline (bash manual 3.5.4).
      return ctx.substitute(p.source).replace(/\n+$/, '');
    case 'arith':
      return String(arith(expandString(parseWord(p.expr), ctx), ctx));
    case 'var': {
      if (p.op === undefined) return ctx.lookup(p.name) ?? '';
      if (p.name === '') throw new ExpansionError(`\${${p.op.word}}: bad substitution`);
      const v = ctx.lookup(p.name);
      const word = (): string => expandString(parseWord(p.op?.word ?? ''), ctx);
      switch (p.op.op) {
        case '#':
          return String([...(v ?? '')].length);
        case ':-':
          return v === undefined || v === '' ? word() : v;
        case '-':
          return v === undefined ? word() : v;
        case ':=':
        case '=': {
          if (v === undefined || (p.op.op === ':=' && v === '')) {
            const w = word();
            ctx.assign(p.name, w);
            return w;
          }
          return v;
        }
        case ':+':
          return v === undefined || v === '' ? '' : word();
        case '+':
          return v === undefined ? '' : word();
      }
    }
  }
}

/** Integer arithmetic of `$(( ))` (bash manual 6.5), a subset: + - * / % ** comparisons && || ! ( ). */
export function arith(expr: string, ctx: ExpandContext): number {
  const tokens =
    expr.match(/\d+|[A-Za-z_][A-Za-z0-9_]*|\*\*|<=|>=|==|!=|&&|\|\||[-+*/%()<>!]/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const bad = (): never => {
    throw new ExpansionError(
      `${expr.trim()}: syntax error: operand expected (error token is "${tokens.slice(i).join(' ')}")`,
    );
  };
  const primary = (): number => {
    const t = tokens[i++];
    if (t === undefined) return bad();
    if (t === '(') {
      const v = or();
      if (tokens[i++] !== ')') bad();
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (t === '!') return primary() === 0 ? 1 : 0;
    if (/^\d+$/.test(t)) return Number(t);
    if (/^[A-Za-z_]/.test(t)) {
      const v = ctx.lookup(t) ?? '';
      return /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : 0;
    }
    return bad();
  };
  const power = (): number => {
    const b = primary();
    if (peek() === '**') {
      i++;
      return b ** power();
    }
    return b;
  };
  const mul = (): number => {
    let v = power();
    for (let t = peek(); t === '*' || t === '/' || t === '%'; t = peek()) {
      i++;
      const r = power();
      if ((t === '/' || t === '%') && r === 0)
        throw new ExpansionError(
          `${expr.trim()}: division by 0 (error token is "${tokens.slice(i - 1).join('')}")`,
        );
      v = t === '*' ? v * r : t === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const add = (): number => {
    let v = mul();
    for (let t = peek(); t === '+' || t === '-'; t = peek()) {
      i++;
      v = t === '+' ? v + mul() : v - mul();
    }
    return v;
  };
  const cmp = (): number => {
    let v = add();
    for (
      let t = peek();
      t !== undefined && ['<', '>', '<=', '>=', '==', '!='].includes(t);
      t = peek()
    ) {
      i++;
      const r = add();
      const res =
        t === '<'
          ? v < r
          : t === '>'
            ? v > r
            : t === '<='
              ? v <= r
              : t === '>='
                ? v >= r
                : t === '=='
                  ? v === r
                  : v !== r;
      v = res ? 1 : 0;
    }
    return v;
  };
  const and = (): number => {
    let v = cmp();
    while (peek() === '&&') {
      i++;
      const r = cmp();
      v = v !== 0 && r !== 0 ? 1 : 0;
    }
    return v;
  };
  const or = (): number => {
    let v = and();
    while (peek() === '||') {
      i++;
      const r = and();
      v = v !== 0 || r !== 0 ? 1 : 0;
    }
    return v;
  };
  if (tokens.length === 0) return 0;
  const v = or();
  if (i < tokens.length) bad();
  return v;
}
