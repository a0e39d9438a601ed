/**
 * An LALR(1) table builder that decides what bison decides.
 *
 * libpcap's grammar.y has 38 shift/reduce conflicts that bison resolves by
 * precedence or, failing that, by shifting; and bison's parser reduces by a
 * state's "default reduction" without reading a token when that is the only
 * thing the state can do. Both shape what the filter language accepts and
 * which of two errors is reported first, so instead of a hand-written parser
 * tcplab builds the same tables from the same grammar, once, at first use.
 *
 * Read first: Aho, Lam, Sethi & Ullman, "Compilers" (2nd ed.) 4.7.5 (LALR
 * lookaheads by spontaneous generation and propagation), then the bison
 * manual's "Shift/Reduce Conflicts", "Operator Precedence" and "Default
 * Reductions", and bison's src/conflicts.c and src/tables.c (action_row).
 */

export type Assoc = 'left' | 'right' | 'nonassoc';

export interface Production<V, C> {
  readonly lhs: string;
  readonly rhs: readonly string[];
  /** `%prec TOKEN`. */
  readonly prec?: string;
  /**
   * The semantic action: `v` holds `$1…$n`, `below` is `$<>0` (the value just
   * below the rule on the stack) and `below2` is `$<>-1`.
   */
  readonly action?: (v: readonly V[], below: V, ctx: C, below2: V) => V;
}

export interface GrammarSpec<V, C> {
  readonly start: string;
  readonly terminals: readonly string[];
  /** Precedence levels, lowest first (bison: later %left/%nonassoc lines bind tighter). */
  readonly precedence: readonly (readonly [Assoc, readonly string[]])[];
  readonly productions: readonly Production<V, C>[];
}

/** An action: shift to a state, reduce by a rule, or a %nonassoc error. */
export type Action =
  | { readonly kind: 'shift'; readonly state: number }
  | { readonly kind: 'reduce'; readonly rule: number }
  | { readonly kind: 'error' };

export interface ParseState {
  /** Explicit actions by terminal; a missing terminal means "the default". */
  readonly actions: ReadonlyMap<string, Action>;
  /** The default reduction, if any (bison yydefact). */
  readonly defaultRule: number | undefined;
  /** Bison reads a lookahead token only where the action row is not empty. */
  readonly needsLookahead: boolean;
  readonly gotos: ReadonlyMap<string, number>;
}

export interface ParseTables<V, C> {
  readonly states: readonly ParseState[];
  /** productions[0] is `$accept: start $end`. */
  readonly productions: readonly Production<V, C>[];
}

const END = '$end';
const ACCEPT = '$accept';

/** Builds the tables; a grammar error is a bug in tcplab and throws. */
export function buildTables<V, C>(spec: GrammarSpec<V, C>): ParseTables<V, C> {
  const prods: Production<V, C>[] = [{ lhs: ACCEPT, rhs: [spec.start, END] }, ...spec.productions];
  const terminals = [END, ...spec.terminals];
  const tIndex = new Map(terminals.map((t, i) => [t, i]));
  const nonterminals = [...new Set(prods.map((p) => p.lhs))];
  const ntSet = new Set(nonterminals);
  for (const p of prods) {
    for (const s of p.rhs) {
      if (!tIndex.has(s) && !ntSet.has(s)) throw new Error(`grammar: unknown symbol ${s}`);
    }
  }
  const T = terminals.length;
  /** Lookahead sets are bit sets over the terminals plus one "#" marker (index T). */
  const HASH = T;
  const words = Math.ceil((T + 1) / 32);
  const newSet = (): Uint32Array => new Uint32Array(words);
  const add = (s: Uint32Array, i: number): void => {
    s[i >>> 5]! |= 1 << (i & 31);
  };
  const has = (s: Uint32Array, i: number): boolean => ((s[i >>> 5]! >>> (i & 31)) & 1) === 1;
  const unionInto = (a: Uint32Array, b: Uint32Array): boolean => {
    let changed = false;
    for (let i = 0; i < words; i++) {
      const v = (a[i]! | b[i]!) >>> 0;
      if (v !== a[i]) {
        a[i] = v;
        changed = true;
      }
    }
    return changed;
  };

  const byLhs = new Map<string, number[]>();
  prods.forEach((p, i) => {
    const list = byLhs.get(p.lhs) ?? [];
    list.push(i);
    byLhs.set(p.lhs, list);
  });

  // FIRST sets and nullability of the nonterminals.
  const first = new Map<string, Uint32Array>(nonterminals.map((n) => [n, newSet()]));
  const nullable = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of prods) {
      const f = first.get(p.lhs)!;
      let allNullable = true;
      for (const s of p.rhs) {
        if (tIndex.has(s)) {
          const before = has(f, tIndex.get(s)!);
          add(f, tIndex.get(s)!);
          if (!before) changed = true;
          allNullable = false;
          break;
        }
        if (unionInto(f, first.get(s)!)) changed = true;
        if (!nullable.has(s)) {
          allNullable = false;
          break;
        }
      }
      if (allNullable && !nullable.has(p.lhs)) {
        nullable.add(p.lhs);
        changed = true;
      }
    }
  }
  /** FIRST of a symbol string, and whether it can be empty. */
  const firstOf = (syms: readonly string[]): [Uint32Array, boolean] => {
    const f = newSet();
    for (const s of syms) {
      if (tIndex.has(s)) {
        add(f, tIndex.get(s)!);
        return [f, false];
      }
      unionInto(f, first.get(s)!);
      if (!nullable.has(s)) return [f, false];
    }
    return [f, true];
  };

  // LR(0) items are (production, dot), encoded as production * 64 + dot.
  const item = (p: number, dot: number): number => p * 64 + dot;
  const itemProd = (it: number): number => it >>> 6;
  const itemDot = (it: number): number => it & 63;
  const afterDot = (it: number): string | undefined => prods[itemProd(it)]!.rhs[itemDot(it)];

  const closure0 = (kernel: readonly number[]): number[] => {
    const out = [...kernel];
    const seen = new Set(kernel);
    for (let i = 0; i < out.length; i++) {
      const s = afterDot(out[i]!);
      if (s === undefined || !ntSet.has(s)) continue;
      for (const p of byLhs.get(s)!) {
        const it = item(p, 0);
        if (!seen.has(it)) {
          seen.add(it);
          out.push(it);
        }
      }
    }
    return out.sort((a, b) => a - b);
  };

  // The LR(0) automaton (bison numbers states in the order it creates them).
  const kernels: number[][] = [[item(0, 0)]];
  const stateOf = new Map<string, number>([[String(item(0, 0)), 0]]);
  const transitions: Map<string, number>[] = [];
  for (let st = 0; st < kernels.length; st++) {
    const items = closure0(kernels[st]!);
    const bySymbol = new Map<string, number[]>();
    for (const it of items) {
      const s = afterDot(it);
      if (s === undefined) continue;
      const list = bySymbol.get(s) ?? [];
      list.push(it + 1);
      bySymbol.set(s, list);
    }
    const trans = new Map<string, number>();
    for (const [s, k] of bySymbol) {
      k.sort((a, b) => a - b);
      const key = k.join(',');
      let target = stateOf.get(key);
      if (target === undefined) {
        target = kernels.length;
        kernels.push(k);
        stateOf.set(key, target);
      }
      trans.set(s, target);
    }
    transitions.push(trans);
  }

  // Lookahead slots: every kernel item, and every empty-production item of a closure.
  interface Slot {
    readonly state: number;
    readonly item: number;
  }
  const slots: Slot[] = [];
  const slotIndex = new Map<string, number>();
  const slotFor = (state: number, it: number): number => {
    const key = `${state}:${it}`;
    let i = slotIndex.get(key);
    if (i === undefined) {
      i = slots.length;
      slots.push({ state, item: it });
      slotIndex.set(key, i);
    }
    return i;
  };
  kernels.forEach((k, st) => {
    for (const it of k) slotFor(st, it);
  });
  const la: Uint32Array[] = [];
  const propagate: number[][] = [];
  const ensure = (i: number): void => {
    while (la.length <= i) {
      la.push(newSet());
      propagate.push([]);
    }
  };

  // Dragon book 4.62: close {[K, #]} for each kernel item K to find what each
  // successor kernel item (and each empty reduction here) gets spontaneously
  // and what it inherits from K.
  kernels.forEach((kernel, st) => {
    for (const k of kernel) {
      const from = slotFor(st, k);
      ensure(from);
      const lr1 = new Map<number, Uint32Array>();
      const start = newSet();
      add(start, HASH);
      lr1.set(k, start);
      const work = [k];
      while (work.length > 0) {
        const it = work.pop()!;
        const s = afterDot(it);
        if (s === undefined || !ntSet.has(s)) continue;
        const rest = prods[itemProd(it)]!.rhs.slice(itemDot(it) + 1);
        const [f, restNullable] = firstOf(rest);
        const look = newSet();
        unionInto(look, f);
        if (restNullable) unionInto(look, lr1.get(it)!);
        for (const p of byLhs.get(s)!) {
          const child = item(p, 0);
          const cur = lr1.get(child);
          if (cur === undefined) {
            lr1.set(child, Uint32Array.from(look));
            work.push(child);
          } else if (unionInto(cur, look)) work.push(child);
        }
      }
      for (const [it, look] of lr1) {
        const s = afterDot(it);
        let target: number;
        if (s === undefined) {
          // A completed item: only empty productions are not kernel items.
          if (prods[itemProd(it)]!.rhs.length !== 0) continue;
          target = slotFor(st, it);
        } else target = slotFor(transitions[st]!.get(s)!, it + 1);
        ensure(target);
        for (let t = 0; t < T; t++) if (has(look, t)) add(la[target]!, t);
        if (has(look, HASH)) propagate[from]!.push(target);
      }
    }
  });
  ensure(slotFor(0, item(0, 0)));
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < slots.length; i++) {
      for (const j of propagate[i] ?? []) if (unionInto(la[j]!, la[i]!)) changed = true;
    }
  }

  // Precedence of tokens, and of rules (their %prec, else their last token).
  const tokenPrec = new Map<string, { level: number; assoc: Assoc }>();
  spec.precedence.forEach(([assoc, toks], level) => {
    for (const t of toks) tokenPrec.set(t, { level: level + 1, assoc });
  });
  const rulePrec = prods.map((p) => {
    if (p.prec !== undefined) return tokenPrec.get(p.prec)?.level;
    let last: string | undefined;
    for (const s of p.rhs) if (tIndex.has(s)) last = s;
    return last === undefined ? undefined : tokenPrec.get(last)?.level;
  });

  const states: ParseState[] = kernels.map((kernel, st) => {
    const trans = transitions[st]!;
    // Reductions in rule order, with their lookahead sets.
    const reds: { rule: number; look: Uint32Array }[] = [];
    for (const it of closure0(kernel)) {
      if (afterDot(it) !== undefined) continue;
      const slot = slotIndex.get(`${st}:${it}`);
      reds.push({ rule: itemProd(it), look: slot === undefined ? newSet() : la[slot]! });
    }
    reds.sort((a, b) => a.rule - b.rule);
    const shifts = new Map<string, number>();
    for (const [s, target] of trans) if (tIndex.has(s)) shifts.set(s, target);
    const hasShift = shifts.size > 0;
    const consistent = !(reds.length > 1 || (reds.length === 1 && hasShift));

    // bison conflicts.c: resolve shift/reduce conflicts by precedence.
    const looks = reds.map((r) => Uint32Array.from(r.look));
    const errors = new Set<string>();
    reds.forEach((r, i) => {
      const rp = rulePrec[r.rule];
      if (rp === undefined) return;
      for (const [tok] of [...shifts]) {
        const ti = tIndex.get(tok)!;
        if (!has(looks[i]!, ti)) continue;
        const tp = tokenPrec.get(tok);
        if (tp === undefined) continue;
        if (tp.level < rp) shifts.delete(tok);
        else if (tp.level > rp) looks[i]![ti >>> 5]! &= ~(1 << (ti & 31));
        else if (tp.assoc === 'right') looks[i]![ti >>> 5]! &= ~(1 << (ti & 31));
        else if (tp.assoc === 'left') shifts.delete(tok);
        else {
          shifts.delete(tok);
          looks[i]![ti >>> 5]! &= ~(1 << (ti & 31));
          errors.add(tok);
        }
      }
    });

    // bison tables.c action_row: the first rule wins among reductions, shifts win
    // over reductions, %nonassoc errors over everything.
    const row = new Map<string, Action>();
    for (let i = reds.length - 1; i >= 0; i--) {
      for (let t = 0; t < T; t++) {
        if (has(looks[i]!, t)) row.set(terminals[t]!, { kind: 'reduce', rule: reds[i]!.rule });
      }
    }
    for (const [tok, target] of shifts) row.set(tok, { kind: 'shift', state: target });
    for (const tok of errors) row.set(tok, { kind: 'error' });

    let defaultRule: number | undefined;
    if (reds.length >= 1) {
      if (consistent) defaultRule = reds[0]!.rule;
      else {
        let max = 0;
        for (const r of reds) {
          let count = 0;
          for (const a of row.values()) if (a.kind === 'reduce' && a.rule === r.rule) count++;
          if (count > max) {
            max = count;
            defaultRule = r.rule;
          }
        }
        if (max > 0) {
          for (const [tok, a] of [...row]) {
            if (a.kind === 'reduce' && a.rule === defaultRule) row.delete(tok);
          }
        }
      }
    }
    // Without a default reduction an explicit error is the same as no entry.
    if (defaultRule === undefined)
      for (const [tok, a] of [...row]) if (a.kind === 'error') row.delete(tok);
    const gotos = new Map<string, number>();
    for (const [s, target] of trans) if (ntSet.has(s)) gotos.set(s, target);
    return { actions: row, defaultRule, needsLookahead: row.size > 0, gotos };
  });
  return { states, productions: prods };
}
