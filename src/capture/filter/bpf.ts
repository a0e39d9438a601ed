/**
 * The classic BPF machine, as libpcap runs it in user space for savefiles:
 * opcodes, a program held in typed arrays, the interpreter, and the text dump
 * `tcpdump -d` prints.
 *
 * Read first: McCanne & Jacobson, "The BSD Packet Filter" (USENIX 1993), then
 * libpcap 1.10's pcap/bpf.h (the opcode bits), bpf_filter.c (the interpreter
 * whose bounds checks decide which packets a filter accepts) and bpf_image.c
 * (the dump format).
 *
 * The interpreter is the hot path of `tcpdump -r FILE EXPR`: it allocates
 * nothing per packet and never throws. A load beyond the captured bytes, or a
 * division by zero, ends the program with 0, i.e. "reject", exactly as
 * bpf_filter() does.
 */

// pcap/bpf.h: instruction classes (the low 3 bits of the opcode).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// pcap/bpf.h: load sizes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// pcap/bpf.h: load addressing modes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// pcap/bpf.h: ALU and jump operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// pcap/bpf.h: operand source, and the return-value source of BPF_RET.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;

// pcap/bpf.h: BPF_MISC operations.
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** pcap/bpf.h BPF_MEMWORDS: the scratch memory M[0..15]. */
export const BPF_MEMWORDS = 16;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfRval = (code: number): number => code & 0x18;
export const bpfMiscOp = (code: number): number => code & 0xf8;

/**
 * A compiled filter: `code[i]`, `k[i]` (an unsigned 32-bit value kept in an
 * Int32Array, read back with `>>> 0`), and the relative jump offsets.
 */
export interface BpfProgram {
  readonly length: number;
  readonly code: Uint16Array;
  readonly k: Int32Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
}

export interface BpfInsn {
  readonly code: number;
  readonly k: number;
  readonly jt: number;
  readonly jf: number;
}

export function makeProgram(insns: readonly BpfInsn[]): BpfProgram {
  const n = insns.length;
  const p = {
    length: n,
    code: new Uint16Array(n),
    k: new Int32Array(n),
    jt: new Uint8Array(n),
    jf: new Uint8Array(n),
  };
  insns.forEach((ins, i) => {
    p.code[i] = ins.code;
    p.k[i] = ins.k | 0;
    p.jt[i] = ins.jt;
    p.jf[i] = ins.jf;
  });
  return p;
}

/**
 * Runs `prog` over one packet; returns what the program returns (0 = reject,
 * otherwise the number of bytes to keep). libpcap: bpf_filter.c
 * pcapint_filter_with_aux_data(), whose bounds checks are reproduced one for
 * one: `buflen` is the captured length, `wirelen` the length on the wire
 * (what `len` loads).
 *
 * `mem` is scratch space of BPF_MEMWORDS words, passed in so that a filter run
 * once per packet allocates nothing.
 */
export function runBpf(
  prog: BpfProgram,
  p: Uint8Array,
  wirelen: number,
  buflen: number,
  mem: Uint32Array,
): number {
  const { code, k: ks, jt, jf, length } = prog;
  let A = 0;
  let X = 0;
  mem.fill(0);
  let pc = 0;
  for (;;) {
    // bpf_filter.c: running off the end of the program rejects.
    if (pc >= length) return 0;
    const k = ks[pc]! >>> 0;
    switch (code[pc]!) {
      case BPF_RET | BPF_K:
        return k;
      case BPF_RET | BPF_A:
        return A;
      case BPF_LD | BPF_W | BPF_ABS:
        if (k > buflen || 4 > buflen - k) return 0;
        A = ((p[k]! << 24) | (p[k + 1]! << 16) | (p[k + 2]! << 8) | p[k + 3]!) >>> 0;
        break;
      case BPF_LD | BPF_H | BPF_ABS:
        if (k > buflen || 2 > buflen - k) return 0;
        A = (p[k]! << 8) | p[k + 1]!;
        break;
      case BPF_LD | BPF_B | BPF_ABS:
        if (k >= buflen) return 0;
        A = p[k]!;
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        A = wirelen >>> 0;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        X = wirelen >>> 0;
        break;
      case BPF_LD | BPF_W | BPF_IND: {
        if (k > buflen || X > buflen - k || 4 > buflen - (X + k)) return 0;
        const o = X + k;
        A = ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
        break;
      }
      case BPF_LD | BPF_H | BPF_IND: {
        if (X > buflen || k > buflen - X || 2 > buflen - (X + k)) return 0;
        const o = X + k;
        A = (p[o]! << 8) | p[o + 1]!;
        break;
      }
      case BPF_LD | BPF_B | BPF_IND:
        if (k >= buflen || X >= buflen - k) return 0;
        A = p[X + k]!;
        break;
      case BPF_LDX | BPF_MSH | BPF_B:
        if (k >= buflen) return 0;
        X = (p[k]! & 0xf) << 2;
        break;
      case BPF_LD | BPF_IMM:
        A = k;
        break;
      case BPF_LDX | BPF_IMM:
        X = k;
        break;
      case BPF_LD | BPF_MEM:
        if (k >= BPF_MEMWORDS) return 0;
        A = mem[k]!;
        break;
      case BPF_LDX | BPF_MEM:
        if (k >= BPF_MEMWORDS) return 0;
        X = mem[k]!;
        break;
      case BPF_ST:
        if (k >= BPF_MEMWORDS) return 0;
        mem[k] = A;
        break;
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return 0;
        mem[k] = X;
        break;
      case BPF_JMP | BPF_JA:
        // The compiler only emits forward jumps (protochain is not supported).
        if (pc + 1 + k >= length) return 0;
        pc += k;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += A > k ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += A >= k ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += A === k ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (A & k) !== 0 ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JGT | BPF_X:
        pc += A > X ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JGE | BPF_X:
        pc += A >= X ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JEQ | BPF_X:
        pc += A === X ? jt[pc]! : jf[pc]!;
        break;
      case BPF_JMP | BPF_JSET | BPF_X:
        pc += (A & X) !== 0 ? jt[pc]! : jf[pc]!;
        break;
      case BPF_ALU | BPF_ADD | BPF_X:
        A = (A + X) >>> 0;
        break;
      case BPF_ALU | BPF_SUB | BPF_X:
        A = (A - X) >>> 0;
        break;
      case BPF_ALU | BPF_MUL | BPF_X:
        A = Math.imul(A, X) >>> 0;
        break;
      case BPF_ALU | BPF_DIV | BPF_X:
        // bpf_filter.c: a division by zero at run time rejects the packet.
        if (X === 0) return 0;
        A = Math.floor(A / X);
        break;
      case BPF_ALU | BPF_MOD | BPF_X:
        if (X === 0) return 0;
        A = A % X;
        break;
      case BPF_ALU | BPF_AND | BPF_X:
        A = (A & X) >>> 0;
        break;
      case BPF_ALU | BPF_OR | BPF_X:
        A = (A | X) >>> 0;
        break;
      case BPF_ALU | BPF_XOR | BPF_X:
        A = (A ^ X) >>> 0;
        break;
      case BPF_ALU | BPF_LSH | BPF_X:
        // bpf_filter.c: a shift by 32 or more gives 0, whatever the CPU does.
        A = X < 32 ? (A << X) >>> 0 : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_X:
        A = X < 32 ? A >>> X : 0;
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
        A = (A + k) >>> 0;
        break;
      case BPF_ALU | BPF_SUB | BPF_K:
        A = (A - k) >>> 0;
        break;
      case BPF_ALU | BPF_MUL | BPF_K:
        A = Math.imul(A, k) >>> 0;
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (k === 0) return 0;
        A = Math.floor(A / k);
        break;
      case BPF_ALU | BPF_MOD | BPF_K:
        if (k === 0) return 0;
        A = A % k;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        A = (A & k) >>> 0;
        break;
      case BPF_ALU | BPF_OR | BPF_K:
        A = (A | k) >>> 0;
        break;
      case BPF_ALU | BPF_XOR | BPF_K:
        A = (A ^ k) >>> 0;
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
        A = k < 32 ? (A << k) >>> 0 : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        A = k < 32 ? A >>> k : 0;
        break;
      case BPF_ALU | BPF_NEG:
        A = (0 - A) >>> 0;
        break;
      case BPF_MISC | BPF_TAX:
        X = A;
        break;
      case BPF_MISC | BPF_TXA:
        A = X;
        break;
      default:
        // bpf_filter.c: an unknown opcode rejects.
        return 0;
    }
    pc++;
  }
}

/** One instruction as `tcpdump -d` prints it (libpcap: bpf_image.c). */
export function formatInsn(prog: BpfProgram, n: number): string {
  const code = prog.code[n]!;
  const k = prog.k[n]! >>> 0;
  const hex = `#0x${k.toString(16)}`;
  const dec = `#${k}`;
  let op: string;
  let operand: string;
  switch (code) {
    case BPF_RET | BPF_K:
      op = 'ret';
      operand = dec;
      break;
    case BPF_RET | BPF_A:
      op = 'ret';
      operand = '';
      break;
    case BPF_LD | BPF_W | BPF_ABS:
      op = 'ld';
      operand = `[${k}]`;
      break;
    case BPF_LD | BPF_H | BPF_ABS:
      op = 'ldh';
      operand = `[${k}]`;
      break;
    case BPF_LD | BPF_B | BPF_ABS:
      op = 'ldb';
      operand = `[${k}]`;
      break;
    case BPF_LD | BPF_W | BPF_LEN:
      op = 'ld';
      operand = '#pktlen';
      break;
    case BPF_LD | BPF_W | BPF_IND:
      op = 'ld';
      operand = `[x + ${k}]`;
      break;
    case BPF_LD | BPF_H | BPF_IND:
      op = 'ldh';
      operand = `[x + ${k}]`;
      break;
    case BPF_LD | BPF_B | BPF_IND:
      op = 'ldb';
      operand = `[x + ${k}]`;
      break;
    case BPF_LD | BPF_IMM:
      op = 'ld';
      operand = hex;
      break;
    case BPF_LDX | BPF_IMM:
      op = 'ldx';
      operand = hex;
      break;
    case BPF_LDX | BPF_MSH | BPF_B:
      op = 'ldxb';
      operand = `4*([${k}]&0xf)`;
      break;
    case BPF_LD | BPF_MEM:
      op = 'ld';
      operand = `M[${k}]`;
      break;
    case BPF_LDX | BPF_MEM:
      op = 'ldx';
      operand = `M[${k}]`;
      break;
    case BPF_ST:
      op = 'st';
      operand = `M[${k}]`;
      break;
    case BPF_STX:
      op = 'stx';
      operand = `M[${k}]`;
      break;
    case BPF_JMP | BPF_JA:
      op = 'ja';
      operand = `${(n + 1 + k) >>> 0}`;
      break;
    case BPF_ALU | BPF_NEG:
      op = 'neg';
      operand = '';
      break;
    case BPF_MISC | BPF_TAX:
      op = 'tax';
      operand = '';
      break;
    case BPF_MISC | BPF_TXA:
      op = 'txa';
      operand = '';
      break;
    default: {
      const name = bpfClass(code) === BPF_JMP ? JMP_NAMES[bpfOp(code)] : ALU_NAMES[bpfOp(code)];
      if (name === undefined || (bpfClass(code) !== BPF_JMP && bpfClass(code) !== BPF_ALU)) {
        op = 'unimp';
        operand = `0x${code.toString(16)}`;
        break;
      }
      op = name;
      if (bpfSrc(code) === BPF_X) operand = 'x';
      else if (bpfClass(code) === BPF_JMP) operand = hex;
      else {
        // bpf_image.c prints the bitwise operations' constants in hex.
        const o = bpfOp(code);
        operand = o === BPF_AND || o === BPF_OR || o === BPF_XOR ? hex : dec;
      }
    }
  }
  const at = `(${String(n).padStart(3, '0')})`;
  if (bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA) {
    const t = n + 1 + prog.jt[n]!;
    const f = n + 1 + prog.jf[n]!;
    return `${at} ${op.padEnd(8)} ${operand.padEnd(16)} jt ${t}\tjf ${f}`;
  }
  return `${at} ${op.padEnd(8)} ${operand}`;
}

const JMP_NAMES: Record<number, string> = {
  [BPF_JGT]: 'jgt',
  [BPF_JGE]: 'jge',
  [BPF_JEQ]: 'jeq',
  [BPF_JSET]: 'jset',
};

const ALU_NAMES: Record<number, string> = {
  [BPF_ADD]: 'add',
  [BPF_SUB]: 'sub',
  [BPF_MUL]: 'mul',
  [BPF_DIV]: 'div',
  [BPF_MOD]: 'mod',
  [BPF_AND]: 'and',
  [BPF_OR]: 'or',
  [BPF_XOR]: 'xor',
  [BPF_LSH]: 'lsh',
  [BPF_RSH]: 'rsh',
};

/** The whole program as `tcpdump -d` prints it, one line per instruction. */
export function formatProgram(prog: BpfProgram): string[] {
  const lines: string[] = [];
  for (let i = 0; i < prog.length; i++) lines.push(formatInsn(prog, i));
  return lines;
}

/** `tcpdump -dd`: the program as a C array initializer (libpcap bpf_dump, option 2). */
export function formatProgramC(prog: BpfProgram): string[] {
  const lines: string[] = [];
  for (let i = 0; i < prog.length; i++) {
    const k = (prog.k[i]! >>> 0).toString(16).padStart(8, '0');
    lines.push(`{ 0x${prog.code[i]!.toString(16)}, ${prog.jt[i]}, ${prog.jf[i]}, 0x${k} },`);
  }
  return lines;
}

/** `tcpdump -ddd`: the length, then each instruction in decimal (libpcap bpf_dump, option 3). */
export function formatProgramDecimal(prog: BpfProgram): string[] {
  const lines = [String(prog.length)];
  for (let i = 0; i < prog.length; i++) {
    lines.push(`${prog.code[i]} ${prog.jt[i]} ${prog.jf[i]} ${prog.k[i]! >>> 0}`);
  }
  return lines;
}
