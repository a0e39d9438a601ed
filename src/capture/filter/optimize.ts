/**
 * The BPF optimizer and the conversion of the block DAG into an instruction
 * array, after libpcap 1.10's optimize.c. tcpdump runs this optimizer (unless
 * -O), and it is observable: it turns a contradiction such as `ip and not ip`
 * into "expression rejects all packets", and it drops loads whose outcome is
 * known, which changes what a filter does with packets cut short by the
 * snapshot length. So the same algorithm runs here, pass for pass.
 *
 * Read first: McCanne & Jacobson's BPF paper and the BPF+ paper (Begel,
 * McCanne, Graham, SIGCOMM '99) for the ideas (value numbering over a DAG,
 * edge dominators, predicate propagation), then optimize.c.
 */

import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  type BpfInsn,
  bpfClass,
  bpfMiscOp,
  bpfMode,
  bpfOp,
  bpfRval,
  bpfSize,
  bpfSrc,
} from './bpf.js';
import { fail } from './gencode.js';
import { type Block, type Edge, JF, JT, NOP, type Slist, type Stmt, sappend } from './icode.js';

// optimize.c: M[0..15] are atoms 0..15, then A and X; AX stands for "both".
const A_ATOM = BPF_MEMWORDS;
const X_ATOM = BPF_MEMWORDS + 1;
const N_ATOMS = BPF_MEMWORDS + 2;
const AX_ATOM = N_ATOMS;
/** The most memory the edge-dominator bit sets may take (see Optimizer.init). */
const MAX_EDGE_SET_BYTES = 256 * 1024 * 1024;
/** Value number 0 means "unknown" (optimize.c VAL_UNKNOWN). */
const VAL_UNKNOWN = 0;

const atomMask = (a: number): number => (1 << a) >>> 0;
const atomElem = (set: number, a: number): boolean => ((set >>> a) & 1) === 1;

const setMember = (p: Uint32Array, a: number): boolean => ((p[a >>> 5]! >>> (a & 31)) & 1) === 1;
const setInsert = (p: Uint32Array, a: number): void => {
  p[a >>> 5]! |= 1 << (a & 31);
};
const setIntersect = (a: Uint32Array, b: Uint32Array): void => {
  for (let i = 0; i < a.length; i++) a[i]! &= b[i]!;
};
const setUnion = (a: Uint32Array, b: Uint32Array): void => {
  for (let i = 0; i < a.length; i++) a[i]! |= b[i]!;
};

/** optimize.c opt_state_t, for one run of the optimizer. */
class Optimizer {
  done = false;
  /** optimize.c loop detection: something other than branch movement happened. */
  nonBranchMovementPerformed = false;
  readonly blocks: Block[] = [];
  readonly edges: Edge[] = [];
  levels: (Block | null)[] = [];
  nodewords = 0;
  edgewords = 0;
  /** Value numbering: (code, v0, v1) → value; and which values are constants. */
  private hashtbl = new Map<string, number>();
  private curval = 0;
  private isConst: boolean[] = [];
  private constVal: number[] = [];
  /** Marks for graph walks (gencode.h isMarked/Mark/unMarkAll). */
  private curMark = 1;

  constructor(private root: Block) {}

  get rootBlock(): Block {
    return this.root;
  }

  private unMarkAll(): void {
    this.curMark++;
  }

  private isMarked(b: Block): boolean {
    return b.mark === this.curMark;
  }

  private mark(b: Block): void {
    b.mark = this.curMark;
  }

  // ---- graph analyses ----

  /**
   * optimize.c find_levels_r, without recursion (an expression of thousands of
   * terms makes a DAG deeper than the JS stack): post-order, true branch first,
   * each block prepended to the list of its level.
   */
  private findLevelsFrom(root: Block): void {
    const stack: { b: Block; stage: number }[] = [{ b: root, stage: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const b = top.b;
      if (top.stage === 0) {
        if (this.isMarked(b)) {
          stack.pop();
          continue;
        }
        this.mark(b);
        b.link = null;
        top.stage = 1;
        if (JT(b)) stack.push({ b: JT(b)!, stage: 0 });
      } else if (top.stage === 1) {
        top.stage = 2;
        if (JT(b)) stack.push({ b: JF(b)!, stage: 0 });
      } else {
        stack.pop();
        b.level = JT(b) ? Math.max(JT(b)!.level, JF(b)!.level) + 1 : 0;
        b.link = this.levels[b.level] ?? null;
        this.levels[b.level] = b;
      }
    }
  }

  /** optimize.c find_levels: level 0 are the leaves, the root has the highest level. */
  private findLevels(): void {
    this.levels = new Array<Block | null>(this.blocks.length).fill(null);
    this.unMarkAll();
    this.findLevelsFrom(this.root);
  }

  private *levelBlocks(level: number): Generator<Block> {
    for (let b = this.levels[level] ?? null; b; b = b.link) yield b;
  }

  /** optimize.c find_dom: block dominators. */
  private findDom(): void {
    for (const b of this.blocks) b.dom.fill(0xffffffff);
    this.root.dom.fill(0);
    for (let i = this.root.level; i >= 0; --i) {
      for (const b of this.levelBlocks(i)) {
        setInsert(b.dom, b.id);
        if (JT(b) === null) continue;
        setIntersect(JT(b)!.dom, b.dom);
        setIntersect(JF(b)!.dom, b.dom);
      }
    }
  }

  private propedom(ep: Edge): void {
    setInsert(ep.edom, ep.id);
    if (ep.succ) {
      setIntersect(ep.succ.et.edom, ep.edom);
      setIntersect(ep.succ.ef.edom, ep.edom);
    }
  }

  /** optimize.c find_edom: edge dominators. */
  private findEdom(): void {
    for (const e of this.edges) e.edom.fill(0xffffffff);
    this.root.et.edom.fill(0);
    this.root.ef.edom.fill(0);
    for (let i = this.root.level; i >= 0; --i) {
      for (const b of this.levelBlocks(i)) {
        this.propedom(b.et);
        this.propedom(b.ef);
      }
    }
  }

  /** optimize.c find_closure: the blocks from which each block is reachable. */
  private findClosure(): void {
    for (const b of this.blocks) b.closure.fill(0);
    for (let i = this.root.level; i >= 0; --i) {
      for (const b of this.levelBlocks(i)) {
        setInsert(b.closure, b.id);
        if (JT(b) === null) continue;
        setUnion(JT(b)!.closure, b.closure);
        setUnion(JF(b)!.closure, b.closure);
      }
    }
  }

  /** optimize.c find_ud: registers used, defined and killed by each block. */
  private findUd(): void {
    const maxlevel = this.root.level;
    for (let i = maxlevel; i >= 0; --i) {
      for (const p of this.levelBlocks(i)) {
        computeLocalUd(p);
        p.outUse = 0;
      }
    }
    for (let i = 1; i <= maxlevel; ++i) {
      for (const p of this.levelBlocks(i)) {
        p.outUse |= JT(p)!.inUse | JF(p)!.inUse;
        p.inUse |= p.outUse & ~p.kill;
      }
    }
  }

  // ---- value numbering ----

  private initVal(): void {
    this.curval = 0;
    this.hashtbl = new Map();
    this.isConst = [false];
    this.constVal = [0];
  }

  /** optimize.c F: the value number of an operation on value numbers (or constants). */
  private F(code: number, v0: number, v1: number): number {
    const key = `${code},${v0},${v1}`;
    const found = this.hashtbl.get(key);
    if (found !== undefined) return found;
    const val = ++this.curval;
    const isImm =
      bpfMode(code) === BPF_IMM && (bpfClass(code) === BPF_LD || bpfClass(code) === BPF_LDX);
    this.isConst[val] = isImm;
    this.constVal[val] = isImm ? v0 >>> 0 : 0;
    this.hashtbl.set(key, val);
    return val;
  }

  /** The value number of a constant (optimize.c K). */
  private K(i: number): number {
    return this.F(BPF_LD | BPF_IMM | BPF_W, i >>> 0, 0);
  }

  private vstore(s: Stmt, val: Uint32Array, atom: number, newval: number, alter: boolean): void {
    if (alter && newval !== VAL_UNKNOWN && val[atom] === newval) s.code = NOP;
    else val[atom] = newval;
  }

  private changed(): void {
    this.nonBranchMovementPerformed = true;
    this.done = false;
  }

  /** optimize.c fold_op: constant folding of a binary operation. */
  private foldOp(s: Stmt, v0: number, v1: number): void {
    let a = this.constVal[v0]!;
    const b = this.constVal[v1]!;
    switch (bpfOp(s.code)) {
      case BPF_ADD:
        a = (a + b) >>> 0;
        break;
      case BPF_SUB:
        a = (a - b) >>> 0;
        break;
      case BPF_MUL:
        a = Math.imul(a, b) >>> 0;
        break;
      case BPF_DIV:
        if (b === 0) fail('division by zero');
        a = Math.floor(a / b);
        break;
      case BPF_MOD:
        if (b === 0) fail('modulus by zero');
        a = a % b;
        break;
      case BPF_AND:
        a = (a & b) >>> 0;
        break;
      case BPF_OR:
        a = (a | b) >>> 0;
        break;
      case BPF_XOR:
        a = (a ^ b) >>> 0;
        break;
      case BPF_LSH:
        a = b < 32 ? (a << b) >>> 0 : 0;
        break;
      case BPF_RSH:
        a = b < 32 ? a >>> b : 0;
        break;
    }
    s.k = a;
    s.code = BPF_LD | BPF_IMM;
    this.changed();
  }

  /** optimize.c opt_peep: peephole rules within one block and on its branch. */
  private optPeep(b: Block): void {
    let s: Slist | null = b.stmts;
    if (s === null) return;
    let last: Slist = s;
    for (;;) {
      s = thisOp(s);
      if (s === null) break;
      const next = thisOp(s.next);
      if (next === null) break;
      last = next;
      // st M[k]; ldx M[k]  ->  st M[k]; tax
      if (s.s.code === BPF_ST && next.s.code === (BPF_LDX | BPF_MEM) && s.s.k === next.s.k) {
        this.changed();
        next.s.code = BPF_MISC | BPF_TAX;
      }
      // ld #k; tax  ->  ldx #k; txa
      if (s.s.code === (BPF_LD | BPF_IMM) && next.s.code === (BPF_MISC | BPF_TAX)) {
        s.s.code = BPF_LDX | BPF_IMM;
        next.s.code = BPF_MISC | BPF_TXA;
        this.changed();
      }
      // ld #k; [ldxms]; addx; tax; ld [x+o]  ->  [ldxms]; ld [x+o+k]: tcp[k], udp[k].
      if (s.s.code === (BPF_LD | BPF_IMM)) {
        if (atomElem(b.outUse, X_ATOM)) {
          s = next;
          continue;
        }
        const add = next.s.code !== (BPF_LDX | BPF_MSH | BPF_B) ? next : thisOp(next.next);
        if (add === null || add.s.code !== (BPF_ALU | BPF_ADD | BPF_X)) {
          s = next;
          continue;
        }
        const tax = thisOp(add.next);
        if (tax === null || tax.s.code !== (BPF_MISC | BPF_TAX)) {
          s = next;
          continue;
        }
        const ild = thisOp(tax.next);
        if (ild === null || bpfClass(ild.s.code) !== BPF_LD || bpfMode(ild.s.code) !== BPF_IND) {
          s = next;
          continue;
        }
        ild.s.k = (ild.s.k + s.s.k) >>> 0;
        s.s.code = NOP;
        add.s.code = NOP;
        tax.s.code = NOP;
        this.changed();
      }
      s = next;
    }
    // A comparison with a constant, whose A value nobody else uses.
    if (b.s.code === (BPF_JMP | BPF_JEQ | BPF_K) && !atomElem(b.outUse, A_ATOM)) {
      if (last.s.code === (BPF_ALU | BPF_SUB | BPF_X)) {
        const val = b.val[X_ATOM]!;
        if (this.isConst[val]) {
          // sub x; jeq #y  ->  jeq #(x+y)
          b.s.k = (b.s.k + this.constVal[val]!) >>> 0;
          last.s.code = NOP;
          this.changed();
        } else if (b.s.k === 0) {
          // sub x; jeq #0  ->  jeq x
          last.s.code = NOP;
          b.s.code = BPF_JMP | BPF_JEQ | BPF_X;
          this.changed();
        }
      } else if (last.s.code === (BPF_ALU | BPF_SUB | BPF_K)) {
        // sub #x; jeq #y  ->  jeq #(x+y)
        last.s.code = NOP;
        b.s.k = (b.s.k + last.s.k) >>> 0;
        this.changed();
      } else if (last.s.code === (BPF_ALU | BPF_AND | BPF_K) && b.s.k === 0) {
        // and #k; jeq #0  ->  jset #k, branches swapped
        b.s.k = last.s.k;
        b.s.code = BPF_JMP | BPF_K | BPF_JSET;
        last.s.code = NOP;
        this.changed();
        optNot(b);
      }
    }
    // jset #0 never jumps true; jset #0xffffffff always does.
    if (b.s.code === (BPF_JMP | BPF_K | BPF_JSET)) {
      if (b.s.k === 0) b.et.succ = b.ef.succ;
      if (b.s.k === 0xffffffff) b.ef.succ = b.et.succ;
    }
    // A comparison with X when X is a known constant compares with that constant.
    let val = b.val[X_ATOM]!;
    if (this.isConst[val] && bpfSrc(b.s.code) === BPF_X) {
      b.s.code &= ~BPF_X;
      b.s.k = this.constVal[val]!;
    }
    // If A is a known constant, the branch is decided.
    val = b.val[A_ATOM]!;
    if (this.isConst[val] && bpfSrc(b.s.code) === BPF_K) {
      const v = this.constVal[val]!;
      const k = b.s.k;
      let taken: boolean;
      switch (bpfOp(b.s.code)) {
        case BPF_JEQ:
          taken = v === k;
          break;
        case BPF_JGT:
          taken = v > k;
          break;
        case BPF_JGE:
          taken = v >= k;
          break;
        default:
          taken = (v & k) !== 0;
          break;
      }
      if (JF(b) !== JT(b)) this.changed();
      if (taken) b.ef.succ = b.et.succ;
      else b.et.succ = b.ef.succ;
    }
  }

  /** optimize.c opt_stmt: value-number one statement, simplifying it when `alter`. */
  private optStmt(s: Stmt, val: Uint32Array, alter: boolean): void {
    let v: number;
    switch (s.code) {
      case BPF_LD | BPF_ABS | BPF_W:
      case BPF_LD | BPF_ABS | BPF_H:
      case BPF_LD | BPF_ABS | BPF_B:
        v = this.F(s.code, s.k, 0);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LD | BPF_IND | BPF_W:
      case BPF_LD | BPF_IND | BPF_H:
      case BPF_LD | BPF_IND | BPF_B:
        v = val[X_ATOM]!;
        if (alter && this.isConst[v]) {
          s.code = BPF_LD | BPF_ABS | bpfSize(s.code);
          s.k = (s.k + this.constVal[v]!) >>> 0;
          v = this.F(s.code, s.k, 0);
          this.changed();
        } else v = this.F(s.code, s.k, v);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LD | BPF_LEN:
        v = this.F(s.code, 0, 0);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LD | BPF_IMM:
        v = this.K(s.k);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LDX | BPF_IMM:
        v = this.K(s.k);
        this.vstore(s, val, X_ATOM, v, alter);
        break;
      case BPF_LDX | BPF_MSH | BPF_B:
        v = this.F(s.code, s.k, 0);
        this.vstore(s, val, X_ATOM, v, alter);
        break;
      case BPF_ALU | BPF_NEG:
        if (alter && this.isConst[val[A_ATOM]!]) {
          s.code = BPF_LD | BPF_IMM;
          s.k = (0 - this.constVal[val[A_ATOM]!]!) >>> 0;
          val[A_ATOM] = this.K(s.k);
        } else val[A_ATOM] = this.F(s.code, val[A_ATOM]!, 0);
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
      case BPF_ALU | BPF_SUB | BPF_K:
      case BPF_ALU | BPF_MUL | BPF_K:
      case BPF_ALU | BPF_DIV | BPF_K:
      case BPF_ALU | BPF_MOD | BPF_K:
      case BPF_ALU | BPF_AND | BPF_K:
      case BPF_ALU | BPF_OR | BPF_K:
      case BPF_ALU | BPF_XOR | BPF_K:
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K: {
        const op = bpfOp(s.code);
        if (alter) {
          if (s.k === 0) {
            // "sub #0" is kept: it may be needed to fix up the generated math.
            if (
              op === BPF_ADD ||
              op === BPF_LSH ||
              op === BPF_RSH ||
              op === BPF_OR ||
              op === BPF_XOR
            ) {
              s.code = NOP;
              break;
            }
            if (op === BPF_MUL || op === BPF_AND) {
              s.code = BPF_LD | BPF_IMM;
              val[A_ATOM] = this.K(s.k);
              break;
            }
            if (op === BPF_DIV) fail('division by zero');
            if (op === BPF_MOD) fail('modulus by zero');
          }
          if (this.isConst[val[A_ATOM]!]) {
            this.foldOp(s, val[A_ATOM]!, this.K(s.k));
            val[A_ATOM] = this.K(s.k);
            break;
          }
        }
        val[A_ATOM] = this.F(s.code, val[A_ATOM]!, this.K(s.k));
        break;
      }
      case BPF_ALU | BPF_ADD | BPF_X:
      case BPF_ALU | BPF_SUB | BPF_X:
      case BPF_ALU | BPF_MUL | BPF_X:
      case BPF_ALU | BPF_DIV | BPF_X:
      case BPF_ALU | BPF_MOD | BPF_X:
      case BPF_ALU | BPF_AND | BPF_X:
      case BPF_ALU | BPF_OR | BPF_X:
      case BPF_ALU | BPF_XOR | BPF_X:
      case BPF_ALU | BPF_LSH | BPF_X:
      case BPF_ALU | BPF_RSH | BPF_X: {
        const op = bpfOp(s.code);
        if (alter && this.isConst[val[X_ATOM]!]) {
          if (this.isConst[val[A_ATOM]!]) {
            this.foldOp(s, val[A_ATOM]!, val[X_ATOM]!);
            val[A_ATOM] = this.K(s.k);
          } else {
            s.code = BPF_ALU | BPF_K | op;
            s.k = this.constVal[val[X_ATOM]!]!;
            if ((op === BPF_LSH || op === BPF_RSH) && s.k > 31) {
              fail('shift by more than 31 bits');
            }
            this.changed();
            val[A_ATOM] = this.F(s.code, val[A_ATOM]!, this.K(s.k));
          }
          break;
        }
        // Operations on an accumulator known to be 0 simplify.
        if (alter && this.isConst[val[A_ATOM]!] && this.constVal[val[A_ATOM]!] === 0) {
          if (op === BPF_ADD || op === BPF_OR || op === BPF_XOR) {
            s.code = BPF_MISC | BPF_TXA;
            this.vstore(s, val, A_ATOM, val[X_ATOM]!, alter);
            break;
          }
          if (
            op === BPF_MUL ||
            op === BPF_DIV ||
            op === BPF_MOD ||
            op === BPF_AND ||
            op === BPF_LSH ||
            op === BPF_RSH
          ) {
            s.code = BPF_LD | BPF_IMM;
            s.k = 0;
            this.vstore(s, val, A_ATOM, this.K(s.k), alter);
            break;
          }
        }
        val[A_ATOM] = this.F(s.code, val[A_ATOM]!, val[X_ATOM]!);
        break;
      }
      case BPF_MISC | BPF_TXA:
        this.vstore(s, val, A_ATOM, val[X_ATOM]!, alter);
        break;
      case BPF_LD | BPF_MEM:
        v = val[s.k]!;
        if (alter && this.isConst[v]) {
          s.code = BPF_LD | BPF_IMM;
          s.k = this.constVal[v]!;
          this.changed();
        }
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_MISC | BPF_TAX:
        this.vstore(s, val, X_ATOM, val[A_ATOM]!, alter);
        break;
      case BPF_LDX | BPF_MEM:
        v = val[s.k]!;
        if (alter && this.isConst[v]) {
          s.code = BPF_LDX | BPF_IMM;
          s.k = this.constVal[v]!;
          this.changed();
        }
        this.vstore(s, val, X_ATOM, v, alter);
        break;
      case BPF_ST:
        this.vstore(s, val, s.k, val[A_ATOM]!, alter);
        break;
      case BPF_STX:
        this.vstore(s, val, s.k, val[X_ATOM]!, alter);
        break;
    }
  }

  private deadstmt(s: Stmt, last: (Stmt | null)[]): void {
    const use = atomuse(s);
    if (use >= 0) {
      if (use === AX_ATOM) {
        last[X_ATOM] = null;
        last[A_ATOM] = null;
      } else last[use] = null;
    }
    const def = atomdef(s);
    if (def >= 0) {
      const prev = last[def];
      if (prev) {
        this.changed();
        prev.code = NOP;
      }
      last[def] = s;
    }
  }

  /** optimize.c opt_deadstores: drop stores overwritten before any use. */
  private optDeadstores(b: Block): void {
    const last = new Array<Stmt | null>(N_ATOMS).fill(null);
    for (let s = b.stmts; s; s = s.next) this.deadstmt(s.s, last);
    this.deadstmt(b.s, last);
    for (let atom = 0; atom < N_ATOMS; ++atom) {
      const s = last[atom];
      if (s && !atomElem(b.outUse, atom)) {
        s.code = NOP;
        this.changed();
      }
    }
  }

  /** optimize.c opt_blk: value-number a block from its predecessors' exit values. */
  private optBlk(b: Block, doStmts: boolean): void {
    let p = b.inEdges;
    if (p === null) b.val.fill(0);
    else {
      b.val.set(p.pred.val);
      // Where merging paths disagree about a register, its value is unknown.
      for (p = p.next; p !== null; p = p.next) {
        for (let i = 0; i < N_ATOMS; ++i) if (b.val[i] !== p.pred.val[i]) b.val[i] = 0;
      }
    }
    const aval = b.val[A_ATOM]!;
    const xval = b.val[X_ATOM]!;
    for (let s = b.stmts; s; s = s.next) this.optStmt(s.s, b.val, doStmts);
    // A block that only reloads values already there, or a return, needs no statements.
    if (
      doStmts &&
      ((b.outUse === 0 &&
        aval !== VAL_UNKNOWN &&
        b.val[A_ATOM] === aval &&
        xval !== VAL_UNKNOWN &&
        b.val[X_ATOM] === xval) ||
        bpfClass(b.s.code) === BPF_RET)
    ) {
      if (b.stmts !== null) {
        b.stmts = null;
        this.changed();
      }
    } else {
      this.optPeep(b);
      this.optDeadstores(b);
    }
    b.oval = bpfSrc(b.s.code) === BPF_K ? this.K(b.s.k) : b.val[X_ATOM]!;
    b.et.code = b.s.code;
    b.ef.code = -b.s.code;
  }

  /** optimize.c fold_edge: does dominating edge `ep` decide `child`'s branch? */
  private foldEdge(child: Block, ep: Edge): Block | null {
    let code = ep.code;
    let sense: boolean;
    if (code < 0) {
      code = -code;
      sense = false;
    } else sense = true;
    if (child.s.code !== code) return null;
    const aval0 = child.val[A_ATOM]!;
    const oval0 = child.oval;
    const aval1 = ep.pred.val[A_ATOM]!;
    const oval1 = ep.pred.oval;
    if (aval0 !== aval1) return null;
    // The same test on the same value: the answer is the one taken on the way.
    if (oval0 === oval1) return sense ? JT(child) : JF(child);
    // Having come down the true branch of "A == k", A is k, so "A == k'" is false.
    if (sense && code === (BPF_JMP | BPF_JEQ | BPF_K)) return JF(child);
    return null;
  }

  /** optimize.c opt_j: move an edge past blocks whose outcome is already known. */
  private optJ(ep: Edge): void {
    if (JT(ep.succ!) === null) return;
    if (JT(ep.succ!) === JF(ep.succ!)) {
      // Both branches go to the same place: skip the block if no register flows through it.
      if (!useConflict(ep.pred, JT(ep.succ!)!)) {
        this.changed();
        ep.succ = JT(ep.succ!);
      }
    }
    top: for (;;) {
      for (let i = 0; i < this.edgewords; ++i) {
        let x = ep.edom[i]!;
        while (x !== 0) {
          const k = 31 - Math.clz32(x & -x);
          x = (x & ~(1 << k)) >>> 0;
          const target = this.foldEdge(ep.succ!, this.edges[k + i * 32]!);
          if (target !== null && !useConflict(ep.pred, target)) {
            this.done = false;
            ep.succ = target;
            if (JT(target) !== null) continue top;
            return;
          }
        }
      }
      return;
    }
  }

  /** optimize.c or_pullup: hoist a test of the same value up an "or" chain. */
  private orPullup(b: Block): void {
    this.pullup(b, true);
  }

  /** optimize.c and_pullup: the same along an "and" chain. */
  private andPullup(b: Block): void {
    this.pullup(b, false);
  }

  /**
   * or_pullup (isOr) and and_pullup: both walk a chain of blocks that share one
   * exit (the true exit for "or", the false exit for "and") and move a later
   * test of the value `b` tests to the top of the chain.
   */
  private pullup(b: Block, isOr: boolean): void {
    // For "or" the chain continues through false edges; for "and" through true edges.
    const cont = isOr ? 'ef' : 'et';
    const shared = isOr ? 'et' : 'ef';
    let ep = b.inEdges;
    if (ep === null) return;
    const val = ep.pred.val[A_ATOM]!;
    for (ep = ep.next; ep !== null; ep = ep.next) if (val !== ep.pred.val[A_ATOM]) return;
    // diff and same are references to an edge's succ field.
    const firstPred = b.inEdges!.pred;
    let diffp: Edge = firstPred.et.succ === b ? firstPred.et : firstPred.ef;
    let atTop = true;
    for (;;) {
      const d = diffp.succ;
      if (d === null) return;
      if (d[shared].succ !== b[shared].succ) return;
      if (!setMember(d.dom, b.id)) return;
      if (d.val[A_ATOM] !== val) break;
      diffp = d[cont];
      atTop = false;
    }
    let samep: Edge = diffp.succ![cont];
    for (;;) {
      const sm = samep.succ;
      if (sm === null) return;
      if (sm[shared].succ !== b[shared].succ) return;
      if (!setMember(sm.dom, b.id)) return;
      if (sm.val[A_ATOM] === val) break;
      samep = sm[cont];
    }
    const pull = samep.succ!;
    samep.succ = pull[cont].succ;
    pull[cont].succ = diffp.succ;
    if (atTop) {
      for (ep = b.inEdges; ep !== null; ep = ep.next) {
        if (ep.pred.et.succ === b) ep.pred.et.succ = pull;
        else ep.pred.ef.succ = pull;
      }
    } else diffp.succ = pull;
    this.done = false;
  }

  /** optimize.c opt_blks: one pass over all blocks. */
  private optBlks(doStmts: boolean): void {
    this.initVal();
    const maxlevel = this.root.level;
    this.findInedges();
    for (let i = maxlevel; i >= 0; --i)
      for (const p of this.levelBlocks(i)) this.optBlk(p, doStmts);
    if (doStmts) return;
    for (let i = 1; i <= maxlevel; ++i) {
      for (const p of this.levelBlocks(i)) {
        this.optJ(p.et);
        this.optJ(p.ef);
      }
    }
    this.findInedges();
    for (let i = 1; i <= maxlevel; ++i) {
      for (const p of this.levelBlocks(i)) {
        this.orPullup(p);
        this.andPullup(p);
      }
    }
  }

  /** optimize.c find_inedges: each block's list of incoming edges. */
  private findInedges(): void {
    for (const b of this.blocks) b.inEdges = null;
    for (let i = this.root.level; i > 0; --i) {
      for (const b of this.levelBlocks(i)) {
        linkInedge(b.et, JT(b)!);
        linkInedge(b.ef, JF(b)!);
      }
    }
  }

  /** optimize.c opt_loop: repeat passes until nothing changes (or only branches cycle). */
  private optLoop(doStmts: boolean): void {
    let loopCount = 0;
    for (;;) {
      this.done = true;
      this.nonBranchMovementPerformed = false;
      this.findLevels();
      this.findDom();
      this.findClosure();
      this.findUd();
      this.findEdom();
      this.optBlks(doStmts);
      if (this.done) break;
      if (this.nonBranchMovementPerformed) loopCount = 0;
      else if (++loopCount >= 100) {
        this.done = true;
        break;
      }
    }
  }

  /** optimize.c number_blks_r, without recursion: pre-order, true branch first. */
  private numberBlocks(root: Block): void {
    const stack: (Block | null)[] = [root];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (p === null || this.isMarked(p)) continue;
      this.mark(p);
      p.id = this.blocks.length;
      this.blocks.push(p);
      stack.push(JF(p), JT(p));
    }
  }

  /** optimize.c opt_init: number the blocks and edges and size the bit sets. */
  private init(): void {
    this.unMarkAll();
    this.numberBlocks(this.root);
    const n = this.blocks.length;
    this.nodewords = Math.floor(n / 32) + 1;
    this.edgewords = Math.floor((2 * n) / 32) + 1;
    // DEVIATION(libpcap): the edge-dominator sets take 2n * 2n bits. libpcap goes
    // on (an expression of 10000 terms costs tcpdump 2.6 GB and 10 s); tcplab
    // stops at 256 MiB with libpcap's own refusal, instead of exhausting memory.
    if (2 * n * this.edgewords * 4 > MAX_EDGE_SET_BYTES) fail('filter is too complex to optimize');
    this.blocks.forEach((b, i) => {
      b.dom = new Uint32Array(this.nodewords);
      b.closure = new Uint32Array(this.nodewords);
      b.val = new Uint32Array(N_ATOMS);
      b.et.edom = new Uint32Array(this.edgewords);
      b.ef.edom = new Uint32Array(this.edgewords);
      b.et.id = i;
      b.ef.id = n + i;
      b.et.pred = b;
      b.ef.pred = b;
      this.edges[i] = b.et;
      this.edges[n + i] = b.ef;
    });
  }

  /** optimize.c intern_blocks: merge blocks that are identical, statements and all. */
  private internBlocks(): void {
    for (;;) {
      let done = true;
      for (const b of this.blocks) b.link = null;
      this.markCode();
      // optimize.c compares each live block with every later one and links it to
      // the first equal one. Equal blocks share a signature, so the first equal
      // later block is the last one seen with that signature, walking backwards.
      const n = this.blocks.length;
      const lastSeen = new Map<string, Block>();
      for (let i = n - 1; i >= 0; --i) {
        const bi = this.blocks[i]!;
        if (!this.isMarked(bi)) continue;
        const key = blockSignature(bi);
        const bj = lastSeen.get(key);
        if (bj !== undefined) bi.link = bj.link ?? bj;
        lastSeen.set(key, bi);
      }
      for (const p of this.blocks) {
        if (JT(p) === null) continue;
        if (JT(p)!.link) {
          done = false;
          p.et.succ = JT(p)!.link;
        }
        if (JF(p)!.link) {
          done = false;
          p.ef.succ = JF(p)!.link;
        }
      }
      if (done) return;
    }
  }

  /** optimize.c make_marks: mark every block reachable from the root. */
  private makeMarks(root: Block): void {
    const stack: Block[] = [root];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (this.isMarked(p)) continue;
      this.mark(p);
      if (bpfClass(p.s.code) !== BPF_RET) stack.push(JF(p)!, JT(p)!);
    }
  }

  private markCode(): void {
    this.unMarkAll();
    this.makeMarks(this.root);
  }

  /** optimize.c opt_root: skip root blocks whose branches agree, keeping their statements. */
  private optRoot(): void {
    const s = this.root.stmts;
    this.root.stmts = null;
    while (bpfClass(this.root.s.code) === BPF_JMP && JT(this.root) === JF(this.root)) {
      this.root = JT(this.root)!;
    }
    const tmp = this.root.stmts;
    let merged = s;
    if (tmp !== null) {
      if (merged) sappend(merged, tmp);
      else merged = tmp;
    }
    this.root.stmts = merged;
    // A return executes no statements: BPF has no side effects.
    if (bpfClass(this.root.s.code) === BPF_RET) this.root.stmts = null;
  }

  /** optimize.c bpf_optimize. */
  run(): Block {
    this.init();
    this.optLoop(false);
    this.optLoop(true);
    this.internBlocks();
    this.optRoot();
    return this.root;
  }
}

function linkInedge(parent: Edge, child: Block): void {
  parent.next = child.inEdges;
  child.inEdges = parent;
}

function thisOp(s: Slist | null): Slist | null {
  while (s !== null && s.s.code === NOP) s = s.next;
  return s;
}

function optNot(b: Block): void {
  const tmp = b.et.succ;
  b.et.succ = b.ef.succ;
  b.ef.succ = tmp;
}

/** optimize.c atomuse: the register a statement reads (AX_ATOM for both A and X). */
function atomuse(s: Stmt): number {
  const c = s.code;
  if (c === NOP) return -1;
  switch (bpfClass(c)) {
    case BPF_RET:
      return bpfRval(c) === BPF_A ? A_ATOM : bpfRval(c) === BPF_X ? X_ATOM : -1;
    case BPF_LD:
    case BPF_LDX:
      return bpfMode(c) === BPF_IND ? X_ATOM : bpfMode(c) === BPF_MEM ? s.k : -1;
    case BPF_ST:
      return A_ATOM;
    case BPF_STX:
      return X_ATOM;
    case BPF_JMP:
    case BPF_ALU:
      return bpfSrc(c) === BPF_X ? AX_ATOM : A_ATOM;
    default:
      return bpfMiscOp(c) === BPF_TXA ? X_ATOM : A_ATOM;
  }
}

/** optimize.c atomdef: the register a statement writes. */
function atomdef(s: Stmt): number {
  if (s.code === NOP) return -1;
  switch (bpfClass(s.code)) {
    case BPF_LD:
    case BPF_ALU:
      return A_ATOM;
    case BPF_LDX:
      return X_ATOM;
    case BPF_ST:
    case BPF_STX:
      return s.k;
    case BPF_MISC:
      return bpfMiscOp(s.code) === BPF_TAX ? X_ATOM : A_ATOM;
    default:
      return -1;
  }
}

/** optimize.c compute_local_ud. */
function computeLocalUd(b: Block): void {
  let def = 0;
  let use = 0;
  let killed = 0;
  const noteUse = (atom: number): void => {
    if (atom < 0) return;
    if (atom === AX_ATOM) {
      if (!atomElem(def, X_ATOM)) use |= atomMask(X_ATOM);
      if (!atomElem(def, A_ATOM)) use |= atomMask(A_ATOM);
    } else if (!atomElem(def, atom)) use |= atomMask(atom);
  };
  for (let s = b.stmts; s; s = s.next) {
    if (s.s.code === NOP) continue;
    noteUse(atomuse(s.s));
    const atom = atomdef(s.s);
    if (atom >= 0) {
      if (!atomElem(use, atom)) killed |= atomMask(atom);
      def |= atomMask(atom);
    }
  }
  if (bpfClass(b.s.code) === BPF_JMP) noteUse(atomuse(b.s));
  b.def = def >>> 0;
  b.kill = killed >>> 0;
  b.inUse = use >>> 0;
}

/** optimize.c use_conflict: would bypassing to `succ` change a register `succ`'s successors read? */
function useConflict(b: Block, succ: Block): boolean {
  const use = succ.outUse;
  if (use === 0) return false;
  for (let atom = 0; atom < N_ATOMS; ++atom) {
    if (atomElem(use, atom) && b.val[atom] !== succ.val[atom]) return true;
  }
  return false;
}

/**
 * What optimize.c eq_blk compares: the branch, its two targets, and the
 * statements other than NOPs. Two blocks are equal iff their signatures are.
 */
function blockSignature(b: Block): string {
  const parts = [b.s.code, b.s.k, b.et.succ?.id ?? -1, b.ef.succ?.id ?? -1];
  for (let s = b.stmts; s; s = s.next) if (s.s.code !== NOP) parts.push(s.s.code, s.s.k);
  return parts.join(',');
}

/** Optimizes the DAG rooted at `root` in place; returns the new root. */
export function optimize(root: Block): Block {
  return new Optimizer(root).run();
}

// ---- linearisation (optimize.c icode_to_fcode, convert_code_r) ----

function slength(s: Slist | null): number {
  let n = 0;
  for (; s; s = s.next) if (s.s.code !== NOP) ++n;
  return n;
}

/**
 * Lays the DAG out as an instruction array: each block after both of its
 * successors, false branch first, with an extra `ja` where a branch is 256 or
 * more instructions away (optimize.c convert_code_r).
 */
export function toInstructions(root: Block): BpfInsn[] {
  for (;;) {
    // optimize.c count_stmts: the instructions of every reachable block.
    const seen = new Set<Block>();
    let n = 0;
    for (const stack: (Block | null)[] = [root]; stack.length > 0; ) {
      const p = stack.pop()!;
      if (p === null || seen.has(p)) continue;
      seen.add(p);
      n += slength(p.stmts) + 1 + p.longjt + p.longjf;
      stack.push(JF(p), JT(p));
    }
    const out: { code: number; k: number; jt: number; jf: number }[] = [];
    for (let i = 0; i < n; i++) out.push({ code: 0, k: 0, jt: 0, jf: 0 });
    let ftail = n;
    const done = new Set<Block>();
    /** Lays out one block once both its successors are laid out; false to retry. */
    const place = (p: Block): boolean => {
      const slen = slength(p.stmts);
      ftail -= slen + 1 + p.longjt + p.longjf;
      let dst = ftail;
      p.offset = dst;
      for (let src = p.stmts; src; src = src.next) {
        if (src.s.code === NOP) continue;
        out[dst] = { code: src.s.code, k: src.s.k, jt: 0, jf: 0 };
        dst++;
      }
      const ins = out[dst]!;
      ins.code = p.s.code;
      ins.k = p.s.k;
      const jt = JT(p);
      if (jt === null) return true;
      let extrajmps = 0;
      let off = jt.offset - (p.offset + slen) - 1;
      if (off >= 256) {
        // A branch reaches 255 instructions at most: jump to a `ja` right after.
        if (p.longjt === 0) {
          p.longjt++;
          return false;
        }
        ins.jt = extrajmps;
        extrajmps++;
        out[dst + extrajmps] = { code: BPF_JMP | BPF_JA, k: off - extrajmps, jt: 0, jf: 0 };
      } else ins.jt = off;
      off = JF(p)!.offset - (p.offset + slen) - 1;
      if (off >= 256) {
        if (p.longjf === 0) {
          p.longjf++;
          return false;
        }
        ins.jf = extrajmps;
        extrajmps++;
        out[dst + extrajmps] = { code: BPF_JMP | BPF_JA, k: off - extrajmps, jt: 0, jf: 0 };
      } else ins.jf = off;
      return true;
    };
    // optimize.c convert_code_r, without recursion: post-order, false branch first.
    let ok = true;
    const stack: { p: Block; stage: number }[] = [{ p: root, stage: 0 }];
    while (ok && stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const p = top.p;
      if (top.stage === 0) {
        if (done.has(p)) {
          stack.pop();
          continue;
        }
        done.add(p);
        top.stage = 1;
        if (JF(p)) stack.push({ p: JF(p)!, stage: 0 });
      } else if (top.stage === 1) {
        top.stage = 2;
        if (JT(p)) stack.push({ p: JT(p)!, stage: 0 });
      } else {
        stack.pop();
        ok = place(p);
      }
    }
    if (ok) return out;
  }
}
