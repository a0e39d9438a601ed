/**
 * The pcap-filter language (pcap-filter(7)), as tcpdump 4.99 with libpcap 1.10
 * compiles and runs it: `tcplab tcpdump -r FILE EXPRESSION` selects exactly the
 * packets tcpdump selects, and rejects a bad expression with tcpdump's text.
 *
 * This layer turns an expression into a BPF program and runs it over captured
 * bytes. It reads no files and no clock, and never throws on bad input: a bad
 * expression comes back as `{ ok: false, message }`.
 *
 * The pipeline is libpcap's: lexer.ts (scanner.l) → parser.ts with grammar.ts
 * (grammar.y, tables from lalr.ts) → gencode.ts (gencode.c) → optimize.ts
 * (optimize.c) → bpf.ts (the BPF machine of bpf_filter.c). Reproducing each
 * stage, rather than evaluating the expression directly, is what makes the
 * corner cases agree: which loads a packet cut short fails on, what the
 * optimizer proves impossible ("expression rejects all packets"), and which of
 * two errors is reported.
 *
 * Host and service names come from frozen tables (names.ts): only `localhost`
 * resolves, as on a machine without a name server.
 */

import {
  BPF_K,
  BPF_MEMWORDS,
  BPF_RET,
  type BpfProgram,
  formatProgram,
  makeProgram,
  runBpf,
} from './bpf.js';
import { CompileAbort, Gen, layoutFor } from './gencode.js';
import { optimize, toInstructions } from './optimize.js';
import { parseFilter } from './parser.js';

export type { BpfProgram } from './bpf.js';
export { formatProgram, formatProgramC, formatProgramDecimal, runBpf } from './bpf.js';

export type FilterCompileResult =
  | { ok: true; filter: PacketFilter }
  | { ok: false; message: string };

/** A compiled filter; `matches` allocates nothing and never throws. */
export interface PacketFilter {
  /** `data` is the captured bytes, `origLen` the length on the wire. */
  matches(data: Uint8Array, origLen: number): boolean;
  readonly expression: string;
  /** The BPF program, as `tcpdump -d` would print it with `formatProgram`. */
  readonly program: BpfProgram;
}

export interface FilterCompileOptions {
  /**
   * The capture's snapshot length: what an accepting program returns (only
   * visible in `tcpdump -d` output). Default 262144, libpcap's MAXIMUM_SNAPLEN.
   */
  readonly snaplen?: number;
  /** Run the optimizer (tcpdump does unless given -O). Default true. */
  readonly optimize?: boolean;
  /** The netmask for `ip broadcast`; tcpdump passes 0 when reading a file. */
  readonly netmask?: number;
}

/** libpcap pcap-int.h MAXIMUM_SNAPLEN. */
const DEFAULT_SNAPLEN = 262144;

/**
 * Compiles `expression` for packets of `linkType` (a LINKTYPE_* of record.ts).
 * On failure, `message` is exactly what tcpdump prints after "tcpdump: " (it
 * then exits 1).
 */
export function compileFilter(
  expression: string,
  linkType: number,
  options: FilterCompileOptions = {},
): FilterCompileResult {
  const layout = layoutFor(linkType);
  // gencode.c init_linktype: a link-layer type the compiler does not know.
  if (!layout) return { ok: false, message: `unknown data link type ${linkType}` };
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  // gencode.c pcap_compile.
  if (snaplen === 0) return { ok: false, message: 'snaplen of 0 rejects all packets' };
  const gen = new Gen(layout, { snaplen, netmask: options.netmask ?? 0 });
  const parsed = parseFilter(expression, gen);
  if (!parsed.ok) return parsed;
  if (gen.unsupportedFeature !== undefined) {
    return {
      ok: false,
      message: `'${gen.unsupportedFeature}' is not supported by tcplab's filter compiler`,
    };
  }
  let root = parsed.root ?? gen.acceptAll();
  if (options.optimize ?? true) {
    try {
      root = optimize(root);
    } catch (e) {
      if (e instanceof CompileAbort) return { ok: false, message: e.message ?? '' };
      throw e;
    }
    if (root.s.code === (BPF_RET | BPF_K) && root.s.k === 0) {
      return { ok: false, message: 'expression rejects all packets' };
    }
  }
  const program = makeProgram(toInstructions(root));
  const mem = new Uint32Array(BPF_MEMWORDS);
  return {
    ok: true,
    filter: {
      expression,
      program,
      matches: (data, origLen) => runBpf(program, data, origLen, data.length, mem) !== 0,
    },
  };
}

/** `tcpdump -d EXPRESSION`: the compiled program, one instruction per line. */
export function dumpFilter(filter: PacketFilter): string[] {
  return formatProgram(filter.program);
}
