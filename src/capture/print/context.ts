/**
 * The state one packet is printed with, and the primitives every decoder here
 * uses to read it the way tcpdump does.
 *
 * Read first: tcpdump 4.99's netdissect.h (ndo_snapend, ndo_protocol, the GET_*
 * and ND_TTEST_* macros) and util-print.c (nd_print_trunc, tok2str, bittok2str).
 *
 * tcpdump checks every read against the *captured* end of the packet
 * (`ndo_snapend`), which IPv4 and the link layers may pull in to the end of
 * their payload. A GET_* macro that would read past it does not return: it
 * longjmps to pretty_print_packet(), which appends ` [|proto]` (the last
 * protocol a decoder announced in `ndo_protocol`) and dumps the whole frame
 * for -x. Here that jump is a return value: decoders return `TRUNCATED`
 * (`false`) and every caller returns it at once, so the text stops exactly
 * where tcpdump's stops. Decoders that have their own `trunc:` label in
 * tcpdump print the marker themselves and return `DONE`.
 *
 * Nothing here throws on any bytes: every read is bounds-checked by its caller
 * against `end`, which never exceeds the buffer.
 */

import type { TcpSeqTable } from './tcp.js';

/** A decoder finished (possibly after printing a local truncation marker). */
export const DONE = true;
/** A decoder hit tcpdump's longjmp: the caller must return at once. */
export const TRUNCATED = false;
/** What every decoder returns. */
export type Flow = boolean;

/** The flags of a tcpdump run that decoders consult (netdissect.h ndo_*flag). */
export interface PrintFlags {
  /** -n count (ndo_nflag). */
  readonly nflag: number;
  /** -v count (ndo_vflag). */
  readonly vflag: number;
  /** -e (ndo_eflag). */
  readonly eflag: boolean;
  /** -q (ndo_qflag). */
  readonly qflag: boolean;
  /** -S (ndo_Sflag). */
  readonly Sflag: boolean;
  /**
   * ndo_suppress_default_print: with -x, -X (whose dump follows anyway) or
   * -q, tcpdump.c does not dump data no decoder knows.
   */
  readonly suppressDefaultPrint: boolean;
}

const EMPTY = new Uint8Array(0);

/** `DEC[n]` is `String(n)` for a byte; addresses are built from it. */
export const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
/** `HEX2[n]` is `%02x` of a byte. */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

/**
 * One packet being printed: its bytes, the captured end that reads are checked
 * against, the text so far, and the protocol named in a truncation marker.
 * One instance is reused for every packet of a run (no per-packet allocation).
 */
export class PacketContext {
  /** The captured bytes of the whole frame. */
  b: Uint8Array = EMPTY;
  /** tcpdump's ndo_snapend as an index into `b`: reads at or past it are truncated. */
  end = 0;
  /** The text printed so far for this packet. */
  out = '';
  /** ndo_protocol: what ` [|…]` names when a read runs past `end`. */
  proto = '';
  /** ndo_ll_hdr_len: the link-layer bytes -x/-X/-A leave out of the dump. */
  llHdrLen = 0;
  /** The `A.p > B.q: ` texts of the TCP conversations seen so far (see EndpointTexts). */
  readonly tcpEndpoints = new EndpointTexts();

  constructor(
    readonly flags: PrintFlags,
    readonly names: NameResolver,
    /** print-tcp.c tcp_seq_hash4: relative sequence numbers, kept for the whole run. */
    readonly seqTable: TcpSeqTable,
  ) {}

  /** Resets for a new frame. */
  start(bytes: Uint8Array): void {
    this.b = bytes;
    this.end = bytes.length;
    this.out = '';
    this.proto = '';
    this.llHdrLen = 0;
  }

  /** ND_TTEST_LEN: are `len` bytes from `off` captured? */
  has(off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= this.end;
  }

  u8(off: number): number {
    return this.b[off]!;
  }

  be16(off: number): number {
    return (this.b[off]! << 8) | this.b[off + 1]!;
  }

  be32(off: number): number {
    return (
      ((this.b[off]! << 24) |
        (this.b[off + 1]! << 16) |
        (this.b[off + 2]! << 8) |
        this.b[off + 3]!) >>>
      0
    );
  }

  /** util-print.c nd_print_trunc: ` [|proto]`. */
  trunc(): void {
    this.out += ` [|${this.proto}]`;
  }

  /** util-print.c nd_print_invalid. */
  invalid(): void {
    this.out += ' (invalid)';
  }

  /** ipaddr_string of the 4 bytes at `off` (the caller has checked they are captured). */
  ip(off: number): string {
    const b = this.b;
    if (this.flags.nflag === 0) {
      const name = this.names.host(this.be32(off));
      if (name !== undefined) return name;
    }
    return `${DEC[b[off]!]}.${DEC[b[off + 1]!]}.${DEC[b[off + 2]!]}.${DEC[b[off + 3]!]}`;
  }

  /** addrtoname.c tcpport_string. */
  tcpPort(port: number): string {
    return this.flags.nflag === 0 ? this.names.tcpPort(port) : decimal(port);
  }

  /** addrtoname.c udpport_string. */
  udpPort(port: number): string {
    return this.flags.nflag === 0 ? this.names.udpPort(port) : decimal(port);
  }

  /** addrtoname.c etheraddr_string of the 6 bytes at `off`. */
  mac(off: number): string {
    return this.names.mac(this.b, off, this.flags.nflag);
  }
}

interface EndpointText {
  readonly src: number;
  readonly dst: number;
  readonly text: string;
}

/**
 * Texts built from two addresses and two ports, cached per direction of a
 * conversation: nearly every packet of a capture repeats one it has printed
 * already, and building `10.0.0.1.80 > 10.0.0.2.40000: ` costs a dozen string
 * pieces. Within a run the text is a function of the four values (tcpdump's
 * addrtoname.c caches host and port names for the whole run too). Bounded by
 * MAX_ENDPOINT_TEXTS entries: past it the cache starts over.
 */
export class EndpointTexts {
  private readonly byPorts = new Map<number, EndpointText[]>();
  private size = 0;

  /** The cached text for these addresses (host order) and ports (`sport << 16 | dport`, signed). */
  get(src: number, dst: number, ports: number): string | undefined {
    const list = this.byPorts.get(ports);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.src === src && e.dst === dst) return e.text;
    }
    return undefined;
  }

  set(src: number, dst: number, ports: number, text: string): void {
    if (this.size >= MAX_ENDPOINT_TEXTS) {
      this.byPorts.clear();
      this.size = 0;
    }
    this.size++;
    const e = { src, dst, text };
    const list = this.byPorts.get(ports);
    if (list === undefined) this.byPorts.set(ports, [e]);
    else list.push(e);
  }
}

/** A bound on EndpointTexts: some megabytes of text at most, more conversations than most captures hold. */
const MAX_ENDPOINT_TEXTS = 1 << 16;

/** Name lookups that depend on the run (services, hosts, OUIs); see names.ts. */
export interface NameResolver {
  host(addr: number): string | undefined;
  tcpPort(port: number): string;
  udpPort(port: number): string;
  mac(b: Uint8Array, off: number, nflag: number): string;
}

/**
 * The texts decimal() has made, '' where none yet. Allocated in full: an array
 * filled at scattered indices would fall back to slow dictionary elements.
 */
const DECIMAL_CACHE: string[] = new Array<string>(65536).fill('');

/** `%u` of a number, cached below 65536: ports and lengths repeat on every packet. */
export function decimal(n: number): string {
  if ((n & 0xffff) === n) {
    const s = DECIMAL_CACHE[n]!;
    if (s !== '') return s;
    const t = String(n);
    DECIMAL_CACHE[n] = t;
    return t;
  }
  return String(n);
}

/**
 * `%u` of a 32-bit unsigned number. Above 2^31 - 1 a number is no small
 * integer to V8, and its generic number-to-text is several times slower; the
 * first nine digits are then printed as a small integer and the last on its own.
 * (TCP timestamps and sequence numbers are that large half the time.)
 */
export function u32(n: number): string {
  if (n < 0x8000_0000) return `${n}`;
  const tens = Math.floor(n / 10);
  return `${tens}${DEC[n - tens * 10]}`;
}

/** `%04x`. */
export function hex4(n: number): string {
  return HEX2[(n >>> 8) & 0xff]! + HEX2[n & 0xff]!;
}

/** `%x`. */
export function hex(n: number): string {
  return (n >>> 0).toString(16);
}

/** util-print.c tok2str: the name of `v`, or `fallback(v)` when there is none. */
export function tok(table: ReadonlyMap<number, string>, v: number, fallback: string): string {
  const s = table.get(v);
  return s !== undefined ? s : fallback;
}

/**
 * util-print.c fn_print_char: printable ASCII as is, the high bit as `M-`, a
 * control character as `^` and the character 0x40 above it (DEL as `^?`).
 */
export function fnPrintChar(c: number): string {
  let s = '';
  if (c > 0x7f) {
    c &= 0x7f;
    s = 'M-';
  }
  if (c < 0x20 || c === 0x7f) {
    c ^= 0x40;
    s += '^';
  }
  return s + String.fromCharCode(c);
}

/** netdissect-ctype.h ND_ASCII_ISPRINT: 0x20..0x7e. */
export function isPrint(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

/** netdissect-ctype.h ND_ASCII_ISGRAPH: 0x21..0x7e. */
export function isGraph(c: number): boolean {
  return c > 0x20 && c <= 0x7e;
}

/**
 * checksum.c in_cksum_shouldbe: the checksum field value that would have made
 * the computed sum 0, from the field and the (big-endian) sum computed over the
 * data including it.
 */
export function cksumShouldBe(field: number, computed: number): number {
  let s = field + computed;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}
