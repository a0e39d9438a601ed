/**
 * Word expansion in bash's order (bash manual 3.5): tilde, parameters and
 * variables, command substitution and arithmetic (left to right), then word
 * splitting of the unquoted results on IFS whitespace, then pathname expansion
 * of unquoted `*` and `?` against the host's files, then quote removal (the
 * parts already carry their quoting).
 */

import type { HostFs } from '../os/fs.js';
import { CLASSES } from '../tools/coreutils/text.js';
import { ansiC, type Part, parseWord, type VarOp, type Word } from './parse.js';

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
  /** Whether a variable is exported (`${x@A}`, `${x@a}`). */
  exported?(name: string): boolean;
  /** `set -u`: expanding an unset parameter is an error. */
  readonly nounset?: boolean;
}

/** `set -u`'s error (subst.c err_unboundvar): it ends a non-interactive shell as ${x:?} does. */
function unbound(name: string, ctx: ExpandContext): void {
  if (ctx.nounset && name !== '@' && name !== '*' && ctx.lookup(name) === undefined) {
    throw new ExpansionError(`${name}: unbound variable`, 127);
  }
}

/** An expansion error bash reports (`bad substitution`), as its message without `-bash: `. */
export class ExpansionError {
  constructor(
    readonly message: string,
    /** The status a non-interactive shell exits with (bash: 127 after ${x:?}, else 1). */
    readonly status = 1,
  ) {}
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

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * POSIX 2.6.5 field splitting of one expansion's value: IFS white space
 * (space, tab, newline in IFS) at either end is dropped and runs of it
 * separate; any other IFS character is a delimiter of its own, with the white
 * space around it. `hard[i]` says the delimiter after piece i was one of
 * those; `leading`/`trailing` that the value started/ended with a separator.
 */
function splitIfs(
  value: string,
  ifs: string,
): {
  pieces: string[];
  hard: boolean[];
  leading: boolean;
  trailing: boolean;
  trailingHard: boolean;
} {
  const isWs = (c: string): boolean => (c === ' ' || c === '\t' || c === '\n') && ifs.includes(c);
  const isHard = (c: string): boolean => ifs.includes(c) && !isWs(c);
  const pieces: string[] = [];
  const hard: boolean[] = [];
  let i = 0;
  let leading = false;
  while (i < value.length && isWs(value[i]!)) {
    i++;
    leading = true;
  }
  let cur = '';
  let trailing = false;
  let trailingHard = false;
  while (i < value.length) {
    const c = value[i]!;
    if (!isWs(c) && !isHard(c)) {
      cur += c;
      i++;
      continue;
    }
    // A separator: white space, at most one hard delimiter, white space.
    let h = false;
    while (i < value.length && isWs(value[i]!)) i++;
    if (i < value.length && isHard(value[i]!)) {
      h = true;
      i++;
      while (i < value.length && isWs(value[i]!)) i++;
    }
    if (i >= value.length) {
      // The value ends with it: the field before ends, no empty one follows.
      pieces.push(cur);
      trailing = true;
      trailingHard = h;
      return { pieces, hard, leading, trailing, trailingHard };
    }
    if (pieces.length === 0 && cur === '' && !h && leading) continue;
    pieces.push(cur);
    hard.push(h);
    cur = '';
  }
  pieces.push(cur);
  return { pieces, hard, leading, trailing, trailingHard };
}

/**
 * Unquoted pattern text as a regular expression's source: `*`, `?` and
 * `[…]` (a leading `!` or `^` negates), `\` quoting the next character.
 * `any` is what `?` matches: `[^/]` in pathname expansion (a component),
 * anything in `case` and `${x#…}` patterns.
 */
function globSource(t: string, any = '[^/]'): string {
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '*') out += `${any}*`;
    else if (c === '?') out += any;
    else if (c === '\\' && i + 1 < t.length) out += escapeRegExp(t[++i]!);
    else if (c === '[') {
      const b = bracketSource(t, i);
      if (b === undefined) out += '\\[';
      else {
        out += b.source;
        i = b.end;
      }
    } else out += escapeRegExp(c);
  }
  return out;
}

/** POSIX character classes in the C locale (glob(7)); bash adds `word`. */
const CHAR_CLASSES: Readonly<Record<string, string>> = { ...CLASSES, word: '0-9A-Za-z_' };

/**
 * The bracket expression that opens at `t[i]` as a regular expression's
 * character class (glob(7)): `!` or `^` first negates, a `]` first is a
 * member, `[:class:]`, `[=c=]` and `[.c.]` name members, `a-z` ranges, `\`
 * quotes. Undefined when it does not close: the `[` is then itself.
 */
function bracketSource(t: string, i: number): { source: string; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (t[j] === '!' || t[j] === '^') {
    negate = true;
    j++;
  }
  let members = '';
  const member = (ch: string): string => (/[\\\]^-]/.test(ch) ? `\\${ch}` : ch);
  for (let first = true; j < t.length; first = false) {
    const ch = t[j]!;
    if (ch === ']' && !first) {
      return { source: members === '' ? '(?!)' : `[${negate ? '^' : ''}${members}]`, end: j };
    }
    if (ch === '[' && (t[j + 1] === ':' || t[j + 1] === '=' || t[j + 1] === '.')) {
      const kind = t[j + 1]!;
      const close = t.indexOf(`${kind}]`, j + 2);
      if (close >= 0) {
        const name = t.slice(j + 2, close);
        if (kind === ':') {
          // An unknown class matches nothing (bash: [[:nosuch:]]).
          members += CHAR_CLASSES[name] ?? '';
        } else members += [...name].map(member).join('');
        j = close + 2;
        continue;
      }
    }
    if (ch === '\\' && j + 1 < t.length) {
      members += member(t[j + 1]!);
      j += 2;
      continue;
    }
    if (t[j + 1] === '-' && t[j + 2] !== undefined && t[j + 2] !== ']') {
      const hi = t[j + 2] === '\\' && j + 3 < t.length ? t[j + 3]! : t[j + 2]!;
      members += `${member(ch)}-${member(hi)}`;
      j += t[j + 2] === '\\' ? 4 : 3;
      continue;
    }
    members += member(ch);
    j++;
  }
  return undefined;
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

/** Expands the words of a command into fields (brace expansion first, on each word as written). */
export function expandWords(words: readonly Word[], ctx: ExpandContext): string[] {
  const out: string[] = [];
  for (const w of words) {
    const texts = w.text.includes('{') ? braceExpand(w.text) : [w.text];
    if (texts.length === 1 && texts[0] === w.text) out.push(...expandFields(w, ctx));
    else {
      // An empty alternative (`{,a}`) is no word at all.
      for (const t of texts) if (t !== '') out.push(...expandFields(parseWord(t), ctx));
    }
  }
  return out;
}

/**
 * Brace expansion (bash manual 3.5.1, braces.c) of a word as written: the
 * first unquoted `{…}` holding a top-level comma or a sequence (`x..y`,
 * `x..y..step`, integers with their zero padding or single letters) gives a
 * word per alternative, preamble and postamble around it, each expanded
 * again; a `{` that is neither stays as it is. `${`, quotes and escapes are
 * passed over.
 */
export function braceExpand(text: string): string[] {
  // The positions of the unquoted braces and commas, past quoting and $-constructs.
  const skip = (i: number): number => {
    const c = text[i];
    if (c === '\\') return i + 2;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      return close < 0 ? text.length : close + 1;
    }
    if (c === '"') {
      for (let j = i + 1; j < text.length; j++) {
        if (text[j] === '\\') j++;
        else if (text[j] === '"') return j + 1;
      }
      return text.length;
    }
    if (c === '$' && (text[i + 1] === '{' || text[i + 1] === '(')) {
      const open = text[i + 1]!;
      const close = open === '{' ? '}' : ')';
      let depth = 0;
      for (let j = i + 1; j < text.length; j++) {
        if (text[j] === '\\') j++;
        else if (text[j] === open) depth++;
        else if (text[j] === close && --depth === 0) return j + 1;
      }
      return text.length;
    }
    return i + 1;
  };
  for (let start = 0; start < text.length; start = skip(start)) {
    if (text[start] !== '{') continue;
    // Find the matching `}` and the top-level commas.
    let depth = 0;
    const commas: number[] = [];
    let end = -1;
    for (let j = start; j < text.length; ) {
      const c = text[j];
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          end = j;
          break;
        }
      } else if (c === ',' && depth === 1) commas.push(j);
      j = c === '{' || c === '}' || c === ',' ? j + 1 : skip(j);
    }
    if (end < 0) return [text];
    const pre = text.slice(0, start);
    const post = text.slice(end + 1);
    const inner = text.slice(start + 1, end);
    let items: string[] | undefined;
    if (commas.length > 0) {
      items = [];
      let from = start + 1;
      for (const c of [...commas, end]) {
        items.push(...braceExpand(text.slice(from, c)));
        from = c + 1;
      }
    } else items = braceSequence(inner);
    if (items === undefined) continue;
    const posts = braceExpand(post);
    const out: string[] = [];
    for (const it of items) for (const p of posts) out.push(pre + it + p);
    return out;
  }
  return [text];
}

/** The most words one sequence expression makes (they are all made at once, in memory). */
const MAX_BRACE_WORDS = 1_000_000;

/** `{x..y[..step]}`'s items, or undefined when `inner` is not a sequence. */
function braceSequence(inner: string): string[] | undefined {
  const num = /^([-+]?\d+)\.\.([-+]?\d+)(?:\.\.([-+]?\d+))?$/.exec(inner);
  const chr = /^([A-Za-z])\.\.([A-Za-z])(?:\.\.([-+]?\d+))?$/.exec(inner);
  const m = num ?? chr;
  if (m === null) return undefined;
  const step = Math.abs(Number(m[3] ?? 1)) || 1;
  const out: string[] = [];
  if (num !== null) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    // Zero padding when either end has a leading zero: the width of the longer one.
    const padded = /^[-+]?0\d/.test(m[1]!) || /^[-+]?0\d/.test(m[2]!);
    const width = Math.max(m[1]!.replace('+', '').length, m[2]!.replace('+', '').length);
    const fmt = (v: number): string => {
      if (!padded) return String(v);
      const digits = String(Math.abs(v)).padStart(v < 0 ? width - 1 : width, '0');
      return v < 0 ? `-${digits}` : digits;
    };
    for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step) {
      out.push(fmt(v));
      if (out.length > MAX_BRACE_WORDS) {
        throw new ExpansionError(
          `{${inner}}: tcplab's bash makes at most ${MAX_BRACE_WORDS} words of a brace expansion`,
        );
      }
    }
    return out;
  }
  const a = m[1]!.charCodeAt(0);
  const b = m[2]!.charCodeAt(0);
  for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step)
    out.push(String.fromCharCode(v));
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
  const append = (text: string, quoted: boolean, globbable = false): void => {
    cur.text += text;
    if (globbable && /[*?[]/.test(text)) {
      // An unquoted expansion's `*`, `?`, `[…]` take part in pathname expansion (bash manual 3.5.8).
      cur.pattern += globSource(text);
      cur.glob = true;
    } else cur.pattern += escapeRegExp(text);
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
      // An unquoted `[…]` is a bracket expression of pathname expansion.
      append(value, false, /\[.*\]/.test(value));
      continue;
    }
    if (quoted) {
      append(value, p.kind === 'lit' ? p.quoted : true);
      continue;
    }
    // Word splitting (bash manual 3.5.7, POSIX 2.6.5) on $IFS (unset: space, tab, newline).
    if (value === '') continue;
    const ifs = ctx.lookup('IFS') ?? ' \t\n';
    if (ifs === '') {
      append(value, false, true);
      continue;
    }
    const split = splitIfs(value, ifs);
    if (split.leading) end();
    split.pieces.forEach((piece, i) => {
      if (i > 0) {
        // A delimiter that is not IFS white space ends a field even if it is empty.
        if (split.hard[i - 1]) cur.real = true;
        end();
      }
      append(piece, false, true);
    });
    if (split.trailing) {
      if (split.trailingHard) cur.real = true;
      end();
    }
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
    const isGlob = /(^|[^\\])\[/.test(comp);
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
      if (p.op === undefined) {
        unbound(p.name, ctx);
        return ctx.lookup(p.name) ?? '';
      }
      if (p.name === '') throw new ExpansionError(`\${${p.op.word}}: bad substitution`);
      return paramOp(p.name, p.op, ctx, p.quoted);
    }
  }
}

/** A parameter with its operator (bash manual 3.5.3, subst.c parameter_brace_expand). */
function paramOp(name: string, op: VarOp, ctx: ExpandContext, quoted = false): string {
  const v = ctx.lookup(name);
  // Inside double quotes the word is read as double-quoted text: a backslash
  // escapes only $ ` " \ and newline (`"${x:+\*}"` is \*).
  const source = quoted ? op.word.replace(/\\([^$`"\\\n])/g, '\\\\$1') : op.word;
  const word = (): string => expandString(parseWord(source), ctx);
  const value = v ?? '';
  switch (op.op) {
    case 'len':
      unbound(name, ctx);
      // ${#@} and ${#*}: how many positional parameters there are.
      if (name === '@' || name === '*') return String(ctx.positional?.().length ?? 0);
      // Bytes, as bash counts in the C locale (héllo is 6).
      return String(new TextEncoder().encode(value).length);
    case ':-':
      return v === undefined || v === '' ? word() : v;
    case '-':
      return v === undefined ? word() : v;
    case ':=':
    case '=': {
      if (v === undefined || (op.op === ':=' && v === '')) {
        const w = word();
        ctx.assign(name, w);
        return w;
      }
      return v;
    }
    case ':+':
      return v === undefined || v === '' ? '' : word();
    case '+':
      return v === undefined ? '' : word();
    case ':?':
    case '?': {
      if (v !== undefined && (op.op === '?' || v !== '')) return v;
      const w = word();
      // A non-interactive shell exits with status 1; the interactive one abandons the command.
      throw new ExpansionError(
        `${name}: ${w !== '' ? w : op.op === ':?' ? 'parameter null or not set' : 'parameter not set'}`,
        127,
      );
    }
    case '#':
    case '##':
    case '%':
    case '%%': {
      const re = new RegExp(`^(?:${patternSource(parseWord(op.word), ctx)})$`);
      const n = value.length;
      if (op.op === '#' || op.op === '##') {
        // The shortest (or longest) prefix the pattern matches goes.
        for (let k = 0; k <= n; k++) {
          const cut = op.op === '#' ? k : n - k;
          if (re.test(value.slice(0, cut))) return value.slice(cut);
        }
        return value;
      }
      for (let k = 0; k <= n; k++) {
        const cut = op.op === '%' ? n - k : k;
        if (re.test(value.slice(cut))) return value.slice(0, cut);
      }
      return value;
    }
    case '/':
    case '//':
    case '/#':
    case '/%':
      return replacePattern(value, op, ctx);
    case '^':
    case '^^':
    case ',':
    case ',,':
    case '~':
    case '~~': {
      // ^ upper, , lower, ~ toggles (the undocumented one bash has).
      const how = op.op[0];
      const re = new RegExp(
        `^(?:${op.word === '' ? '[\\s\\S]' : patternSource(parseWord(op.word), ctx)})$`,
      );
      const change = (c: string): string => {
        if (!re.test(c)) return c;
        // The C locale's toupper and tolower: ASCII letters only.
        if (!/[A-Za-z]/.test(c)) return c;
        if (how === '^') return c.toUpperCase();
        if (how === ',') return c.toLowerCase();
        return c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      };
      const chars = [...value];
      if (op.op.length === 2) return chars.map(change).join('');
      return chars.length === 0 ? '' : change(chars[0]!) + chars.slice(1).join('');
    }
    case ':': {
      // `${x:}`: no offset at all (an empty one before a length is 0).
      if (op.word === '' && op.repl === undefined)
        throw new ExpansionError(`\${${name}:}: bad substitution`);
      const chars = [...value];
      const n = chars.length;
      // subst.c: an offset or length that is no expression names the variable too.
      const offset = (text: string): number => {
        try {
          return Number(arith(expandString(parseWord(text), ctx), ctx));
        } catch (e) {
          if (e instanceof ExpansionError)
            throw new ExpansionError(`${name}: ${e.message}`, e.status);
          throw e;
        }
      };
      let start = offset(op.word);
      if (start < 0) start = Math.max(n + start, n + start < 0 ? n + 1 : 0);
      if (start > n) return '';
      let end = n;
      if (op.repl !== undefined) {
        const len = offset(op.repl);
        end = len < 0 ? n + len : start + len;
        if (end < start) {
          if (len < 0) throw new ExpansionError(`${len}: substring expression < 0`);
          end = start;
        }
      }
      return chars.slice(start, Math.min(end, n)).join('');
    }
    case '@':
      return transform(value, v === undefined, op.word, name, ctx);
  }
}

/** ${x/pat/rep} and its kinds: the longest match, first (or every, or anchored) one. */
function replacePattern(value: string, op: VarOp, ctx: ExpandContext): string {
  if (op.word === '') {
    // An empty pattern anchored at an end matches there: `${x/#/-}` prefixes.
    const rep = op.repl === undefined ? '' : expandString(parseWord(op.repl), ctx);
    if (op.op === '/#') return rep + value;
    if (op.op === '/%') return value + rep;
    return value;
  }
  const re = new RegExp(`^(?:${patternSource(parseWord(op.word), ctx)})$`);
  const rep = op.repl === undefined ? '' : expandString(parseWord(op.repl), ctx);
  const n = value.length;
  if (op.op === '/#') {
    for (let e = n; e >= 0; e--) if (re.test(value.slice(0, e))) return rep + value.slice(e);
    return value;
  }
  if (op.op === '/%') {
    for (let s = 0; s <= n; s++) if (re.test(value.slice(s))) return value.slice(0, s) + rep;
    return value;
  }
  let out = '';
  let s = 0;
  while (s <= n) {
    let matched = -1;
    for (let e = n; e > s; e--) {
      if (re.test(value.slice(s, e))) {
        matched = e;
        break;
      }
    }
    if (matched < 0) {
      if (s < n) out += value[s];
      s++;
      continue;
    }
    out += rep;
    s = matched;
    if (op.op === '/') return out + value.slice(s);
  }
  return out;
}

/** ${x@Q} and the other transformations (bash manual 3.5.3). */
function transform(
  value: string,
  unset: boolean,
  how: string,
  name: string,
  ctx: ExpandContext,
): string {
  const isVariable = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
  switch (how) {
    // The assignment that would recreate it, and its attributes (only -x here);
    // nothing for an unset variable or a special parameter.
    case 'A':
      if (unset || !isVariable) return '';
      return `${ctx.exported?.(name) ? 'declare -x ' : ''}${name}=${transform(value, false, 'Q', name, ctx)}`;
    case 'a':
      return !unset && isVariable && ctx.exported?.(name) ? 'x' : '';
    case 'Q': {
      if (unset) return '';
      // The C locale's quoting: $'…' when a byte is not printable ASCII (UTF-8 bytes in octal).
      if (!/[^\x20-\x7e]/.test(value)) return `'${value.replace(/'/g, "'\\''")}'`;
      let out = '';
      for (const c of value) {
        if (c === '\\' || c === "'") out += `\\${c}`;
        else if (ANSI_C_NAMES[c] !== undefined) out += ANSI_C_NAMES[c];
        else if (/[\x20-\x7e]/.test(c)) out += c;
        else
          for (const b of new TextEncoder().encode(c)) out += `\\${b.toString(8).padStart(3, '0')}`;
      }
      return `$'${out}'`;
    }
    case 'U':
      return value.replace(/[a-z]+/g, (m) => m.toUpperCase());
    case 'L':
      return value.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    case 'u':
      return value.replace(/^[a-z]/, (m) => m.toUpperCase());
    case 'E':
      return ansiC(value);
    default:
      throw new ExpansionError(`\${x@${how}}: bad substitution`);
  }
}

const ANSI_C_NAMES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\E',
};

/**
 * A pattern word as the source of a regular expression (not anchored):
 * unquoted `*`, `?`, `[…]` are special (bash manual 3.5.8.1), quoted text and
 * quoted expansions literal.
 */
export function patternSource(word: Word, ctx: ExpandContext): string {
  let re = '';
  const pattern = (t: string): string => globSource(t, '[\\s\\S]');
  for (const p of word.parts) {
    if (p.kind === 'glob') re += p.text === '*' ? '[\\s\\S]*' : '[\\s\\S]';
    else if (p.kind === 'lit' && !p.quoted) {
      // `[` … `]` may span parts (`[a-c]` is one lit, `[*]` is lit, glob, lit).
      re += pattern(p.text);
    } else {
      const v = expandString({ parts: [p], text: '' }, ctx);
      re += p.kind !== 'lit' && p.kind !== 'tilde' && !p.quoted ? pattern(v) : escapeRegExp(v);
    }
  }
  return re;
}

/**
 * Shell arithmetic (bash manual 6.5, expr.c): 64-bit integers that wrap,
 * bash's operators and precedence (`++ --`, `+ - ! ~`, `**`, `* / %`,
 * `+ -`, `<< >>`, comparisons, `== !=`, `& ^ |`, `&& ||`, `?:`, the
 * assignments, `,`), constants in decimal, 0x hex, 0 octal and BASE#DIGITS,
 * variables whose values are themselves expressions. Errors carry expr.c's
 * message and the rest of the expression from where it went wrong.
 */
export function arith(expr: string, ctx: ExpandContext, depth = 0): bigint {
  if (depth > 0) return evaluate(expr, ctx, depth);
  try {
    return evaluate(expr, ctx, depth);
  } catch (e) {
    // Values that are expressions referring to each other (x='x+1') nest
    // deeper than JavaScript's stack: the same error as bash's limit.
    if (e instanceof RangeError) recursionExceeded(deepest);
    throw e;
  }
}

/** The expression evaluate() entered last: the one bash names at its limit. */
let deepest = '';

/** expr.c MAX_EXPR_RECURSION_LEVEL. */
const MAX_ARITH_DEPTH = 1024;

function recursionExceeded(src: string): never {
  throw new ExpansionError(`${src}: expression recursion level exceeded (error token is "${src}")`);
}

function evaluate(expr: string, ctx: ExpandContext, depth: number): bigint {
  const src = expr.replace(/^[ \t\n]+/, '');
  deepest = src;
  if (depth > MAX_ARITH_DEPTH) recursionExceeded(src);
  const toks: { t: string; at: number }[] = [];
  const tokenRe =
    /\s*(\d[0-9A-Za-z@_#]*|[A-Za-z_][A-Za-z0-9_]*|\*\*=|<<=|>>=|\*\*|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[-+*/%()<>!~&^|?:=,])/y;
  let pos = 0;
  while (pos < src.length) {
    tokenRe.lastIndex = pos;
    const m = tokenRe.exec(src);
    if (m === null) {
      if (/^\s*$/.test(src.slice(pos))) break;
      // A character no token starts with: an error once the parser gets there
      // (where an operand is wanted, "operand expected"; else "invalid
      // arithmetic operator"), as expr.c's lexer reads on demand.
      toks.push({
        t: BAD_TOKEN,
        at: pos + (src.slice(pos).length - src.slice(pos).trimStart().length),
      });
      break;
    }
    toks.push({ t: m[1]!, at: m.index + m[0].length - m[1]!.length });
    pos = tokenRe.lastIndex;
  }
  let i = 0;
  // expr.c reports from the token it last read: the one ahead, or at the end the last one.
  const rest = (): string =>
    i < toks.length
      ? src.slice(toks[i]!.at)
      : toks.length > 0
        ? src.slice(toks[toks.length - 1]!.at)
        : '';
  const fail = (what: string, token = rest()): never => {
    throw new ExpansionError(`${src}: ${what} (error token is "${token}")`);
  };
  const peek = (): string | undefined => toks[i]?.t;
  // expr.c noeval: inside the operand that `&&`, `||` or `?:` skips, nothing is
  // assigned, no variable's value is evaluated and a division by 0 is no error.
  let noeval = 0;
  const skipping = (f: () => bigint): bigint => {
    noeval++;
    try {
      return f();
    } finally {
      noeval--;
    }
  };
  const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);
  /** b**e in 64 bits, by squaring (2**100000 must not build the whole number). */
  const pow = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    let x = b;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) r = wrap(r * x);
      x = wrap(x * x);
    }
    return r;
  };
  const isName = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_]/.test(t);
  const value = (name: string): bigint => {
    if (noeval > 0) return 0n;
    // A value that is itself a name is followed here, one level at a time (a
    // cycle, x=x, reaches the recursion limit without a deep JavaScript stack).
    let level = depth + 1;
    let v = ctx.lookup(name);
    for (let n = v?.trim(); n !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n); n = v?.trim()) {
      if (level > MAX_ARITH_DEPTH) recursionExceeded(n);
      level++;
      v = ctx.lookup(n);
    }
    if (v === undefined || v.trim() === '') return 0n;
    return arith(v, ctx, level);
  };
  const constant = (t: string): bigint => {
    let base = 10;
    let digits = t;
    const hash = t.indexOf('#');
    if (hash >= 0) {
      base = Number(t.slice(0, hash));
      digits = t.slice(hash + 1);
      if (!(base >= 2 && base <= 64)) fail('invalid arithmetic base', t);
    } else if (/^0[xX]/.test(t)) {
      base = 16;
      digits = t.slice(2);
    } else if (t.length > 1 && t[0] === '0') {
      base = 8;
      digits = t.slice(1);
    }
    let v = 0n;
    for (const c of digits) {
      let d: number;
      if (c >= '0' && c <= '9') d = c.charCodeAt(0) - 48;
      else if (c >= 'a' && c <= 'z') d = c.charCodeAt(0) - 87;
      else if (c >= 'A' && c <= 'Z') d = base <= 36 ? c.charCodeAt(0) - 55 : c.charCodeAt(0) - 29;
      else if (c === '@') d = 62;
      else if (c === '_') d = 63;
      else d = 99;
      if (d >= base) fail('value too great for base', t);
      v = wrap(v * BigInt(base) + BigInt(d));
    }
    return v;
  };
  const assign = (name: string, v: bigint): bigint => {
    if (noeval === 0) ctx.assign(name, String(v));
    return v;
  };
  const primary = (): bigint => {
    const t = peek();
    if (t === undefined || t === BAD_TOKEN) return fail('syntax error: operand expected');
    if (t === '(') {
      i++;
      const v = comma();
      if (peek() !== ')') fail("syntax error: `)' expected");
      i++;
      return v;
    }
    if (/^\d/.test(t)) {
      i++;
      return constant(t);
    }
    if (isName(t)) {
      i++;
      // expr.c exp0 reads the token after a name before it evaluates the name's
      // value: a character no token starts with is the error, not the value.
      if (peek() === BAD_TOKEN) fail('syntax error: invalid arithmetic operator');
      const op = peek();
      if (op === '++' || op === '--') {
        i++;
        const old = value(t);
        assign(t, wrap(old + (op === '++' ? 1n : -1n)));
        return old;
      }
      return value(t);
    }
    return fail('syntax error: operand expected');
  };
  const unary = (): bigint => {
    const t = peek();
    if ((t === '++' || t === '--') && isName(toks[i + 1]?.t)) {
      i++;
      const name = toks[i++]!.t;
      return assign(name, wrap(value(name) + (t === '++' ? 1n : -1n)));
    }
    if (t === '-' || t === '+' || t === '!' || t === '~') {
      i++;
      const v = unary();
      return t === '-' ? wrap(-v) : t === '+' ? v : t === '!' ? (v === 0n ? 1n : 0n) : wrap(~v);
    }
    return primary();
  };
  const power = (): bigint => {
    const b = unary();
    if (peek() === '**') {
      i++;
      const e = power();
      if (e < 0n) fail('exponent less than 0');
      return pow(b, e);
    }
    return b;
  };
  /** `after`: the text after the operator, where expr.c reports a division by 0 from. */
  const divide = (op: string, a: bigint, b: bigint, after = rest()): bigint => {
    if (b === 0n) {
      if (noeval > 0) return a;
      fail('division by 0', after);
    }
    // INTMAX_MIN / -1 overflows in C; bash gives INTMAX_MIN (and 0 for %).
    if (b === -1n) return op === '/' ? wrap(-a) : 0n;
    return op === '/' ? a / b : a % b;
  };
  const binary =
    (
      next: () => bigint,
      ops: readonly string[],
      f: (op: string, a: bigint, b: bigint) => bigint,
    ): (() => bigint) =>
    () => {
      let v = next();
      for (let t = peek(); t !== undefined && ops.includes(t); t = peek()) {
        i++;
        v = f(t, v, next());
      }
      return v;
    };
  const mul = (): bigint => {
    let v = power();
    for (let t = peek(); t === '*' || t === '/' || t === '%'; t = peek()) {
      // expr.c exp2: a division by 0 is reported from just after the operator.
      const after = src.slice(toks[i]!.at + t.length).replace(/^[ \t\n]+/, '');
      i++;
      const b = power();
      v = t === '*' ? wrap(v * b) : divide(t, v, b, after);
    }
    return v;
  };
  const add = binary(mul, ['+', '-'], (op, a, b) => wrap(op === '+' ? a + b : a - b));
  const shift = binary(add, ['<<', '>>'], (op, a, b) =>
    op === '<<' ? wrap(a << (b & 63n)) : a >> (b & 63n),
  );
  const rel = binary(shift, ['<', '>', '<=', '>='], (op, a, b) =>
    (op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b) ? 1n : 0n,
  );
  const eq = binary(rel, ['==', '!='], (op, a, b) => ((op === '==') === (a === b) ? 1n : 0n));
  const band = binary(eq, ['&'], (_op, a, b) => a & b);
  const bxor = binary(band, ['^'], (_op, a, b) => a ^ b);
  const bor = binary(bxor, ['|'], (_op, a, b) => a | b);
  // `&&` and `||` skip their right operand when the left decides (expr.c explor, expland).
  const land = (): bigint => {
    let v = bor();
    while (peek() === '&&') {
      i++;
      const b = v === 0n ? skipping(bor) : bor();
      v = v !== 0n && b !== 0n ? 1n : 0n;
    }
    return v;
  };
  const lor = (): bigint => {
    let v = land();
    while (peek() === '||') {
      i++;
      const b = v !== 0n ? skipping(land) : land();
      v = v !== 0n || b !== 0n ? 1n : 0n;
    }
    return v;
  };
  const cond = (): bigint => {
    const c = lor();
    if (peek() !== '?') return c;
    i++;
    // expr.c expcond's own messages (no "syntax error:").
    if (peek() === undefined || peek() === ':') fail('expression expected');
    const a = c !== 0n ? comma() : skipping(comma);
    if (peek() !== ':') fail("`:' expected for conditional expression");
    i++;
    const b = c !== 0n ? skipping(cond) : cond();
    return c !== 0n ? a : b;
  };
  const ASSIGN = ['=', '*=', '/=', '%=', '+=', '-=', '<<=', '>>=', '&=', '^=', '|=', '**='];
  const assignment = (): bigint => {
    const t = peek();
    const op = toks[i + 1]?.t;
    if (isName(t) && op !== undefined && ASSIGN.includes(op)) {
      i += 2;
      const r = assignment();
      if (op === '=') return assign(t, r);
      const a = value(t);
      const o = op.slice(0, -1);
      const v =
        o === '*'
          ? wrap(a * r)
          : o === '/' || o === '%'
            ? divide(o, a, r)
            : o === '+'
              ? wrap(a + r)
              : o === '-'
                ? wrap(a - r)
                : o === '<<'
                  ? wrap(a << (r & 63n))
                  : o === '>>'
                    ? a >> (r & 63n)
                    : o === '&'
                      ? a & r
                      : o === '^'
                        ? a ^ r
                        : o === '|'
                          ? a | r
                          : pow(a, r < 0n ? 0n : r);
      return assign(t, v);
    }
    return cond();
  };
  const comma = (): bigint => {
    let v = assignment();
    while (peek() === ',') {
      i++;
      v = assignment();
    }
    return v;
  };
  if (toks.length === 0) return 0n;
  const v = comma();
  if (i < toks.length) {
    fail(
      toks[i]!.t === BAD_TOKEN
        ? 'syntax error: invalid arithmetic operator'
        : 'syntax error in expression',
    );
  }
  return v;
}

/** The token for a character expr.c's lexer refuses (see arith). */
const BAD_TOKEN = '\0bad';
