/**
 * `%{ … }%` blocks: packetdrill runs them as Python after the script, with the
 * socket's struct tcp_info fields as variables (code.c: it records tcp_info at
 * the event's time and appends the snippet). Scripts use them for assertions:
 *
 *   %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
 *   %{ assert 990 <= tcpi_last_data_recv <= 1010, tcpi_last_data_recv }%
 *
 * tcplab evaluates that subset of Python itself, at the event's time: `assert`
 * statements separated by newlines or `;`, over integers and names, with
 * arithmetic, chained comparisons, `and`, `or`, `not` and parentheses.
 */

export type CodeResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

type Tok =
  | { kind: 'num'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

function tokenize(text: string): Tok[] | string {
  const toks: Tok[] = [];
  const re =
    /\s*(?:(0[xX][0-9a-fA-F]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|\/\/|[-+*/%<>(),]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) return `cannot read '${text.slice(pos).trim()}'`;
    if (m[1] !== undefined) toks.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) toks.push({ kind: 'name', value: m[2] });
    else toks.push({ kind: 'op', value: m[3]! });
    pos = re.lastIndex;
  }
  return toks;
}

class Eval {
  i = 0;
  constructor(
    readonly toks: Tok[],
    readonly vars: (name: string) => number | string,
  ) {}

  peekOp(): string | undefined {
    const t = this.toks[this.i];
    return t?.kind === 'op' || (t?.kind === 'name' && ['and', 'or', 'not'].includes(t.value))
      ? t.value
      : undefined;
  }

  or(): number {
    let v = this.and();
    while (this.peekOp() === 'or') {
      this.i++;
      const r = this.and();
      v = v || r;
    }
    return v;
  }

  and(): number {
    let v = this.not();
    while (this.peekOp() === 'and') {
      this.i++;
      const r = this.not();
      v = v && r;
    }
    return v;
  }

  not(): number {
    if (this.peekOp() === 'not') {
      this.i++;
      return this.not() ? 0 : 1;
    }
    return this.comparison();
  }

  comparison(): number {
    let left = this.sum();
    let result = 1;
    let compared = false;
    for (;;) {
      const op = this.peekOp();
      if (op === undefined || !['==', '!=', '<', '<=', '>', '>='].includes(op)) break;
      this.i++;
      const right = this.sum();
      const holds =
        op === '=='
          ? left === right
          : op === '!='
            ? left !== right
            : op === '<'
              ? left < right
              : op === '<='
                ? left <= right
                : op === '>'
                  ? left > right
                  : left >= right;
      if (!holds) result = 0;
      compared = true;
      left = right;
    }
    return compared ? result : left;
  }

  sum(): number {
    let v = this.product();
    for (let op = this.peekOp(); op === '+' || op === '-'; op = this.peekOp()) {
      this.i++;
      const r = this.product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  }

  product(): number {
    let v = this.unary();
    for (
      let op = this.peekOp();
      op === '*' || op === '/' || op === '//' || op === '%';
      op = this.peekOp()
    ) {
      this.i++;
      const r = this.unary();
      v = op === '*' ? v * r : op === '/' ? v / r : op === '//' ? Math.floor(v / r) : v % r;
    }
    return v;
  }

  unary(): number {
    if (this.peekOp() === '-') {
      this.i++;
      return -this.unary();
    }
    return this.atom();
  }

  atom(): number {
    const t = this.toks[this.i++];
    if (t === undefined) throw new Error('unexpected end of expression');
    if (t.kind === 'num') return t.value;
    if (t.kind === 'name') {
      const v = this.vars(t.value);
      if (typeof v === 'string') throw new Error(v);
      return v;
    }
    if (t.value === '(') {
      const v = this.or();
      if (this.toks[this.i]?.kind !== 'op' || this.toks[this.i]!.value !== ')') {
        throw new Error("expected ')'");
      }
      this.i++;
      return v;
    }
    throw new Error(`unexpected '${t.value}'`);
  }
}

/** Runs the assertions of a `%{ }%` block; `vars` gives a name's value, or an error text. */
export function runCode(text: string, vars: (name: string) => number | string): CodeResult {
  const statements = text
    .replace(/\\\r?\n/g, ' ')
    .split(/[\n;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
  for (const st of statements) {
    const m = /^assert\s+(.*)$/s.exec(st);
    if (m === null) return { ok: false, error: `only assert statements are supported: ${st}` };
    const toks = tokenize(m[1]!);
    if (typeof toks === 'string') return { ok: false, error: `${toks} in: ${st}` };
    // `assert cond, message`: the top-level comma separates the message.
    let depth = 0;
    let comma = toks.length;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.kind !== 'op') continue;
      if (t.value === '(') depth++;
      else if (t.value === ')') depth--;
      else if (t.value === ',' && depth === 0) {
        comma = i;
        break;
      }
    }
    try {
      const e = new Eval(toks.slice(0, comma), vars);
      const v = e.or();
      if (e.i !== comma) throw new Error(`unexpected '${JSON.stringify(toks[e.i])}'`);
      if (!v) {
        let msg = '';
        if (comma < toks.length) {
          const me = new Eval(toks.slice(comma + 1), vars);
          msg = String(me.or());
        }
        return {
          ok: false,
          error: `AssertionError: ${m[1]!.split(',')[0]!.trim()}${msg !== '' ? ` (${msg})` : ''}`,
        };
      }
    } catch (err) {
      return { ok: false, error: `${(err as Error).message} in: ${st}` };
    }
  }
  return { ok: true };
}
