/**
 * The intermediate code between the parser and the BPF program: a DAG of basic
 * blocks, each a list of statements ending in one conditional jump (or a
 * return). It is libpcap's "icode" (gencode.h: struct block, struct slist,
 * struct edge), kept field for field because the optimizer (optimize.ts) and
 * the code generator (gencode.ts) work on it exactly as libpcap's do, and the
 * programs they produce must be the same instruction for instruction.
 *
 * While an expression is being built, a block's jump targets double as the
 * links of an unresolved-exit list: `sense` says which of the two fields is
 * already resolved (gencode.c: backpatch, merge, gen_and, gen_or, gen_not).
 */

/** A deleted statement (optimize.c NOP). */
export const NOP = -1;

/** One BPF instruction before linearisation; `k` is an unsigned 32-bit value. */
export interface Stmt {
  code: number;
  k: number;
}

/** A singly linked statement list (gencode.h struct slist). */
export interface Slist {
  s: Stmt;
  next: Slist | null;
}

/** A control-flow edge out of a block (gencode.h struct edge). */
export interface Edge {
  id: number;
  /** Jump opcode; negated on the false edge (optimize.c opt_blk). */
  code: number;
  /** Edge dominators, a bit set over edge ids. */
  edom: Uint32Array;
  succ: Block | null;
  pred: Block;
  next: Edge | null;
}

/** A basic block (gencode.h struct block). */
export interface Block {
  id: number;
  /** The statements before the branch. */
  stmts: Slist | null;
  /** The branch (BPF_JMP) or return (BPF_RET) that ends the block. */
  s: Stmt;
  mark: number;
  longjt: number;
  longjf: number;
  level: number;
  offset: number;
  sense: boolean;
  et: Edge;
  ef: Edge;
  head: Block;
  link: Block | null;
  dom: Uint32Array;
  closure: Uint32Array;
  inEdges: Edge | null;
  def: number;
  kill: number;
  inUse: number;
  outUse: number;
  /** The value number left in the block's branch operand (optimize.c oval). */
  oval: number;
  /** Value numbers of M[0..15], A and X on exit (optimize.c val[N_ATOMS]). */
  val: Uint32Array;
}

const EMPTY = new Uint32Array(0);

export function newStmt(code: number, k = 0): Slist {
  return { s: { code, k: k >>> 0 }, next: null };
}

export function newBlock(code: number, k = 0): Block {
  const b = {
    id: 0,
    stmts: null,
    s: { code, k: k >>> 0 },
    mark: 0,
    longjt: 0,
    longjf: 0,
    level: 0,
    offset: 0,
    sense: false,
    head: undefined as unknown as Block,
    link: null,
    dom: EMPTY,
    closure: EMPTY,
    inEdges: null,
    def: 0,
    kill: 0,
    inUse: 0,
    outUse: 0,
    oval: 0,
    val: EMPTY,
  } as unknown as Block;
  b.et = { id: 0, code: 0, edom: EMPTY, succ: null, pred: b, next: null };
  b.ef = { id: 0, code: 0, edom: EMPTY, succ: null, pred: b, next: null };
  b.head = b;
  return b;
}

/** Appends list `s1` to the end of `s0` (gencode.c sappend). */
export function sappend(s0: Slist, s1: Slist | null): void {
  let s = s0;
  while (s.next) s = s.next;
  s.next = s1;
}

/**
 * Resolves every pending exit in `list` to `target` (gencode.c backpatch).
 * The pending field of each block is the one `sense` says is unresolved.
 */
function backpatch(list: Block | null, target: Block): void {
  while (list) {
    let next: Block | null;
    if (!list.sense) {
      next = list.et.succ;
      list.et.succ = target;
    } else {
      next = list.ef.succ;
      list.ef.succ = target;
    }
    list = next;
  }
}

/** Concatenates two exit lists (gencode.c merge). */
function merge(b0: Block, b1: Block): void {
  let p = b0;
  for (;;) {
    const next = !p.sense ? p.et.succ : p.ef.succ;
    if (next === null) break;
    p = next;
  }
  if (!p.sense) p.et.succ = b1;
  else p.ef.succ = b1;
}

/** `b0 and b1`: b0's true exits go to b1 (gencode.c gen_and). */
export function genAnd(b0: Block, b1: Block): void {
  backpatch(b0, b1.head);
  b0.sense = !b0.sense;
  b1.sense = !b1.sense;
  merge(b1, b0);
  b1.sense = !b1.sense;
  b1.head = b0.head;
}

/** `b0 or b1`: b0's false exits go to b1 (gencode.c gen_or). */
export function genOr(b0: Block, b1: Block): void {
  b0.sense = !b0.sense;
  backpatch(b0, b1.head);
  b0.sense = !b0.sense;
  merge(b1, b0);
  b1.head = b0.head;
}

/** `not b` (gencode.c gen_not). */
export function genNot(b: Block): void {
  b.sense = !b.sense;
}

/** Ties the pending exits of `p` to the two return blocks (gencode.c finish_parse). */
export function finishBlocks(p: Block, accept: Block, reject: Block): Block {
  backpatch(p, accept);
  p.sense = !p.sense;
  backpatch(p, reject);
  return p.head;
}

/** The jump targets, once resolved. */
export const JT = (b: Block): Block | null => b.et.succ;
export const JF = (b: Block): Block | null => b.ef.succ;
