/**
 * The code generator: turns each primitive of the filter language into BPF
 * blocks, exactly as libpcap 1.10's gencode.c does, so that after the same
 * optimizer the program is the one `tcpdump -d` prints. Function names follow
 * gencode.c (genHostop = gen_hostop) and each says what it ports.
 *
 * Read first: pcap-filter(7) for the language, then gencode.c. Only the
 * link-layer types tcplab captures are supported (Ethernet, raw IP, Linux
 * cooked v1 and v2); keywords that need another link type fail with the
 * message libpcap gives on these, and the few constructs tcplab does not
 * implement (VLAN/MPLS/PPPoE-session/Geneve encapsulation, protochain) fail
 * with a message that says so.
 *
 * Errors: libpcap's bpf_error() longjmp()s out of the compiler. Here the
 * equivalent non-local exit is a `CompileAbort` thrown by `fail()` and caught
 * only by the compiler's entry point, which turns it into `{ ok: false }`;
 * nothing escapes to callers.
 */

import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
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
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_SUB,
  BPF_TAX,
  BPF_W,
  BPF_X,
} from './bpf.js';
import * as C from './constants.js';
import {
  type Block,
  finishBlocks,
  genAnd,
  genNot,
  genOr,
  newBlock,
  newStmt,
  type Slist,
  sappend,
} from './icode.js';
import {
  etherHostAddress,
  hostAddresses,
  networkAddress,
  protocolNumber,
  serviceToPort,
} from './names.js';

/**
 * The non-local exit of a failed compilation (libpcap: longjmp(top_ctx)).
 * libpcap keeps the first error set by the scanner or the parser
 * (bpf_set_error), but gencode.c's bpf_error() overwrites it: `overwrite`
 * says which kind this is; an undefined message means "already set".
 */
export class CompileAbort {
  constructor(
    readonly message: string | undefined,
    readonly overwrite: boolean,
  ) {}
}

/** Stops the compilation with libpcap's error text (gencode.c bpf_error). */
export function fail(message: string): never {
  throw new CompileAbort(message, true);
}

/** Stops the parse with an error unless one is already set (grammar.y bpf_set_error; YYABORT). */
export function abortParse(message?: string): never {
  throw new CompileAbort(message, false);
}

// Qualifiers (gencode.h Q_*), named by the keyword that sets them.
export type ProtoQ =
  | 'default'
  | 'link'
  | 'ip'
  | 'arp'
  | 'rarp'
  | 'sctp'
  | 'tcp'
  | 'udp'
  | 'icmp'
  | 'igmp'
  | 'igrp'
  | 'atalk'
  | 'decnet'
  | 'lat'
  | 'sca'
  | 'moprc'
  | 'mopdl'
  | 'ip6'
  | 'icmp6'
  | 'ah'
  | 'esp'
  | 'pim'
  | 'vrrp'
  | 'aarp'
  | 'iso'
  | 'esis'
  | 'isis'
  | 'clnp'
  | 'stp'
  | 'ipx'
  | 'netbeui'
  | 'l1'
  | 'l2'
  | 'iih'
  | 'snp'
  | 'csnp'
  | 'psnp'
  | 'lsp'
  | 'radio'
  | 'carp'
  | 'undef';
export type DirQ =
  | 'default'
  | 'src'
  | 'dst'
  | 'or'
  | 'and'
  | 'addr1'
  | 'addr2'
  | 'addr3'
  | 'addr4'
  | 'ra'
  | 'ta'
  | 'undef';
export type AddrQ =
  | 'default'
  | 'host'
  | 'net'
  | 'port'
  | 'gateway'
  | 'proto'
  | 'protochain'
  | 'portrange'
  | 'undef';

export interface Qual {
  readonly proto: ProtoQ;
  readonly dir: DirQ;
  readonly addr: AddrQ;
}

/** grammar.y qerr: the qualifiers after a term that cannot be continued. */
export const QERR: Qual = { proto: 'undef', dir: 'undef', addr: 'undef' };

/** An arithmetic value being computed into scratch register `regno` (gencode.h struct arth). */
export interface Arth {
  s: Slist;
  b: Block | null;
  regno: number;
}

/** The link-layer types tcplab compiles for, as libpcap's DLT_ values. */
export type Dlt = 'EN10MB' | 'RAW' | 'IPV4' | 'LINUX_SLL' | 'LINUX_SLL2';

/**
 * Where headers start, from gencode.c init_linktype(). The offsets move while
 * an expression is compiled: each `vlan` pushes the type field and the payload
 * 4 bytes further for everything after it (gencode.c gen_vlan).
 */
interface Layout {
  readonly dlt: Dlt;
  /** pcap_datalink_val_to_description(), used in error texts. */
  readonly description: string;
  /** Offset of the protocol type field; null for none (OFFSET_NOT_SET). */
  offLinktype: number | null;
  /** Offset of the link-layer payload. */
  offLinkpl: number;
  /** Network header offset within the payload: Ethernet II, and 802.3+802.2. */
  readonly offNl: number;
  readonly offNlNosnap: number;
}

/** LINKTYPE_* (record.ts) → the layout libpcap uses for its DLT. */
export function layoutFor(linkType: number): Layout | undefined {
  switch (linkType) {
    case 1:
      return {
        dlt: 'EN10MB',
        description: 'Ethernet',
        offLinktype: 12,
        offLinkpl: 14,
        offNl: 0,
        offNlNosnap: 3,
      };
    // LINKTYPE_RAW (101) is DLT_RAW, and so is 12, DLT_RAW's own value on Linux
    // that old files carry (libpcap pcap-common.c linktype_to_dlt).
    case 12:
    case 101:
      return {
        dlt: 'RAW',
        description: 'Raw IP',
        offLinktype: null,
        offLinkpl: 0,
        offNl: 0,
        offNlNosnap: 0,
      };
    case 228:
      return {
        dlt: 'IPV4',
        description: 'Raw IPv4',
        offLinktype: null,
        offLinkpl: 0,
        offNl: 0,
        offNlNosnap: 0,
      };
    case 113:
      return {
        dlt: 'LINUX_SLL',
        description: 'Linux cooked v1',
        offLinktype: 14,
        offLinkpl: 16,
        offNl: 0,
        offNlNosnap: 0,
      };
    case 276:
      return {
        dlt: 'LINUX_SLL2',
        description: 'Linux cooked v2',
        offLinktype: 0,
        offLinkpl: 20,
        offNl: 0,
        offNlNosnap: 0,
      };
    default:
      return undefined;
  }
}

/** What a load is relative to (gencode.c enum e_offrel). */
type OffRel =
  | 'packet'
  | 'linkhdr'
  | 'llc'
  | 'linkpl'
  | 'linkplNosnap'
  | 'linktype'
  | 'tranIpv4'
  | 'tranIpv6';

const JMP = (op: number): number => op | BPF_JMP | BPF_K;

/** Protocols whose header can be indexed, by where the index counts from (gencode.c gen_load). */
const NETWORK_INDEX: ReadonlySet<ProtoQ> = new Set([
  'ip',
  'arp',
  'rarp',
  'atalk',
  'decnet',
  'sca',
  'lat',
  'moprc',
  'mopdl',
  'ip6',
]);
const TRANSPORT_INDEX: ReadonlySet<ProtoQ> = new Set([
  'sctp',
  'tcp',
  'udp',
  'icmp',
  'igmp',
  'igrp',
  'pim',
  'vrrp',
  'carp',
]);

/** gen_host / gen_host6 messages for qualifiers that have no address (gencode.c). */
const HOST_MODIFIER_ERRORS: Partial<Record<ProtoQ, string>> = {
  atalk: 'AppleTalk host filtering not implemented',
  lat: 'LAT host filtering not implemented',
  sca: 'SCA host filtering not implemented',
  moprc: 'MOPRC host filtering not implemented',
  mopdl: 'MOPDL host filtering not implemented',
  ip6: "'ip6' modifier applied to ip host",
  aarp: 'AARP host filtering not implemented',
  iso: 'ISO host filtering not implemented',
  ipx: 'IPX host filtering not implemented',
};

/** `gen_proto` messages for qualifiers that carry no protocol field (gencode.c). */
const PROTO_ERRORS: Partial<Record<ProtoQ, string>> = {
  arp: 'arp does not encapsulate another protocol',
  rarp: 'rarp does not encapsulate another protocol',
  atalk: 'AppleTalk encapsulation is not specifiable',
  decnet: 'DECNET encapsulation is not specifiable',
  lat: 'LAT does not encapsulate another protocol',
  sca: 'SCA does not encapsulate another protocol',
  moprc: 'MOPRC does not encapsulate another protocol',
  mopdl: 'MOPDL does not encapsulate another protocol',
  clnp: "'clnp proto' is not supported",
};

export interface GenOptions {
  /** pcap_snapshot(): what an accepting program returns. */
  readonly snaplen: number;
  /** The netmask tcpdump passes to pcap_compile(); 0 when reading a file. */
  readonly netmask: number;
}

/** One compilation's state (gencode.c compiler_state_t). */
export class Gen {
  readonly layout: Layout;
  private readonly regused = new Array<boolean>(BPF_MEMWORDS).fill(false);
  private curreg = 0;

  constructor(
    layout: Layout,
    private readonly options: GenOptions,
  ) {
    this.layout = layout;
  }

  // ---- registers (gencode.c alloc_reg, free_reg) ----

  private allocReg(): number {
    for (let n = BPF_MEMWORDS; --n >= 0; ) {
      if (this.regused[this.curreg]) this.curreg = (this.curreg + 1) % BPF_MEMWORDS;
      else {
        this.regused[this.curreg] = true;
        return this.curreg;
      }
    }
    return fail('too many registers needed to evaluate expression');
  }

  private freeReg(n: number): void {
    this.regused[n] = false;
  }

  // ---- loads and comparisons ----

  /** gencode.c gen_load_a: load a field relative to a header. */
  private genLoadA(offrel: OffRel, offset: number, size: number): Slist {
    const L = this.layout;
    switch (offrel) {
      case 'packet':
      case 'linkhdr':
        return newStmt(BPF_LD | BPF_ABS | size, offset);
      case 'llc':
        return newStmt(BPF_LD | BPF_ABS | size, L.offLinkpl + offset);
      case 'linkpl':
        return newStmt(BPF_LD | BPF_ABS | size, L.offLinkpl + L.offNl + offset);
      case 'linkplNosnap':
        return newStmt(BPF_LD | BPF_ABS | size, L.offLinkpl + L.offNlNosnap + offset);
      case 'linktype':
        return newStmt(BPF_LD | BPF_ABS | size, (L.offLinktype ?? 0xffffffff) + offset);
      case 'tranIpv4': {
        // X = the IPv4 header length (RFC 791 IHL * 4), then load past it.
        const s = this.genLoadxIphdrlen();
        sappend(s, newStmt(BPF_LD | BPF_IND | size, L.offLinkpl + L.offNl + offset));
        return s;
      }
      case 'tranIpv6':
        // RFC 8200: a fixed 40-byte header; extension headers are not walked.
        return newStmt(BPF_LD | BPF_ABS | size, L.offLinkpl + L.offNl + 40 + offset);
    }
  }

  /** gencode.c gen_loadx_iphdrlen: X = 4 * (first byte of the IPv4 header & 0xf). */
  private genLoadxIphdrlen(): Slist {
    return newStmt(BPF_LDX | BPF_MSH | BPF_B, this.layout.offLinkpl + this.layout.offNl);
  }

  /** gencode.c gen_ncmp: (field & mask) `jtype` v, optionally reversed. */
  private genNcmp(
    offrel: OffRel,
    offset: number,
    size: number,
    mask: number,
    jtype: number,
    reverse: boolean,
    v: number,
  ): Block {
    const s = this.genLoadA(offrel, offset, size);
    if (mask >>> 0 !== 0xffffffff) sappend(s, newStmt(BPF_ALU | BPF_AND | BPF_K, mask));
    const b = newBlock(JMP(jtype), v);
    b.stmts = s;
    if (reverse && (jtype === BPF_JGT || jtype === BPF_JGE)) genNot(b);
    return b;
  }

  private genCmp(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JEQ, false, v);
  }

  private genCmpGt(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGT, false, v);
  }

  private genCmpGe(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGE, false, v);
  }

  private genCmpLt(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGE, true, v);
  }

  private genCmpLe(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGT, true, v);
  }

  private genMcmp(offrel: OffRel, offset: number, size: number, v: number, mask: number): Block {
    return this.genNcmp(offrel, offset, size, mask, BPF_JEQ, false, v);
  }

  /** gencode.c gen_bcmp: compare `bytes` at offset, 4, then 2, then 1 byte at a time from the end. */
  private genBcmp(offrel: OffRel, offset: number, bytes: Uint8Array): Block {
    let size = bytes.length;
    let b: Block | null = null;
    const and = (tmp: Block): void => {
      if (b) genAnd(b, tmp);
      b = tmp;
    };
    while (size >= 4) {
      const p = size - 4;
      const w =
        ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0;
      and(this.genCmp(offrel, offset + size - 4, BPF_W, w));
      size -= 4;
    }
    while (size >= 2) {
      const p = size - 2;
      and(this.genCmp(offrel, offset + size - 2, BPF_H, (bytes[p]! << 8) | bytes[p + 1]!));
      size -= 2;
    }
    if (size > 0) and(this.genCmp(offrel, offset, BPF_B, bytes[0]!));
    return b!;
  }

  /** gencode.c gen_uncond: a block that always (or never) jumps true. */
  private genUncond(rsense: boolean): Block {
    const b = newBlock(JMP(BPF_JEQ));
    b.stmts = newStmt(BPF_LD | BPF_IMM, rsense ? 0 : 1);
    return b;
  }

  private genTrue(): Block {
    return this.genUncond(true);
  }

  private genFalse(): Block {
    return this.genUncond(false);
  }

  // ---- link-layer protocol types ----

  /** gencode.c gen_ether_linktype: match an EtherType or an 802.2 SAP on Ethernet. */
  private genEtherLinktype(llProto: number): Block {
    switch (llProto) {
      case C.LLCSAP_ISONS:
      case C.LLCSAP_IP:
      case C.LLCSAP_NETBEUI: {
        // OSI and NetBEUI always use 802.2: check both DSAP and SSAP.
        const b0 = this.genCmpGt('linktype', 0, BPF_H, C.ETHERMTU);
        genNot(b0);
        const b1 = this.genCmp('llc', 0, BPF_H, (llProto << 8) | llProto);
        genAnd(b0, b1);
        return b1;
      }
      case C.LLCSAP_IPX: {
        // Ethernet_II, Ethernet_802.3 (0xFFFF), Ethernet_802.2 and Ethernet_SNAP IPX.
        let b0 = this.genCmp('llc', 0, BPF_B, C.LLCSAP_IPX);
        const b1 = this.genCmp('llc', 0, BPF_H, 0xffff);
        genOr(b0, b1);
        b0 = this.genSnap(0x000000, C.ETHERTYPE_IPX);
        genOr(b0, b1);
        b0 = this.genCmpGt('linktype', 0, BPF_H, C.ETHERMTU);
        genNot(b0);
        genAnd(b0, b1);
        b0 = this.genCmp('linktype', 0, BPF_H, C.ETHERTYPE_IPX);
        genOr(b0, b1);
        return b1;
      }
      case C.ETHERTYPE_ATALK:
      case C.ETHERTYPE_AARP: {
        // EtherTalk phase 2 uses 802.2 SNAP, phase 1 the EtherType.
        let b0 = this.genCmpGt('linktype', 0, BPF_H, C.ETHERMTU);
        genNot(b0);
        const b1 =
          llProto === C.ETHERTYPE_ATALK
            ? this.genSnap(0x080007, C.ETHERTYPE_ATALK)
            : this.genSnap(0x000000, C.ETHERTYPE_AARP);
        genAnd(b0, b1);
        b0 = this.genCmp('linktype', 0, BPF_H, llProto);
        genOr(b0, b1);
        return b1;
      }
      default:
        if (llProto <= C.ETHERMTU) {
          // An 802.2 SAP: an 802.3 frame whose DSAP matches.
          const b0 = this.genCmpGt('linktype', 0, BPF_H, C.ETHERMTU);
          genNot(b0);
          const b1 = this.genCmp('linktype', 2, BPF_B, llProto);
          genAnd(b0, b1);
          return b1;
        }
        return this.genCmp('linktype', 0, BPF_H, llProto);
    }
  }

  /** gencode.c gen_linux_sll_linktype: the same for the cooked v1 protocol field. */
  private genLinuxSllLinktype(llProto: number): Block {
    switch (llProto) {
      case C.LLCSAP_ISONS:
      case C.LLCSAP_IP:
      case C.LLCSAP_NETBEUI: {
        const b0 = this.genCmp('linktype', 0, BPF_H, C.LINUX_SLL_P_802_2);
        const b1 = this.genCmp('llc', 0, BPF_H, (llProto << 8) | llProto);
        genAnd(b0, b1);
        return b1;
      }
      case C.LLCSAP_IPX: {
        let b0 = this.genCmp('llc', 0, BPF_B, C.LLCSAP_IPX);
        const b1 = this.genSnap(0x000000, C.ETHERTYPE_IPX);
        genOr(b0, b1);
        b0 = this.genCmp('linktype', 0, BPF_H, C.LINUX_SLL_P_802_2);
        genAnd(b0, b1);
        b0 = this.genCmp('linktype', 0, BPF_H, C.LINUX_SLL_P_802_3);
        genOr(b0, b1);
        b0 = this.genCmp('linktype', 0, BPF_H, C.ETHERTYPE_IPX);
        genOr(b0, b1);
        return b1;
      }
      case C.ETHERTYPE_ATALK:
      case C.ETHERTYPE_AARP: {
        let b0 = this.genCmp('linktype', 0, BPF_H, C.LINUX_SLL_P_802_2);
        const b1 =
          llProto === C.ETHERTYPE_ATALK
            ? this.genSnap(0x080007, C.ETHERTYPE_ATALK)
            : this.genSnap(0x000000, C.ETHERTYPE_AARP);
        genAnd(b0, b1);
        b0 = this.genCmp('linktype', 0, BPF_H, llProto);
        genOr(b0, b1);
        return b1;
      }
      default:
        if (llProto <= C.ETHERMTU) {
          const b0 = this.genCmp('linktype', 0, BPF_H, C.LINUX_SLL_P_802_2);
          const b1 = this.genCmp('linkhdr', this.layout.offLinkpl, BPF_B, llProto);
          genAnd(b0, b1);
          return b1;
        }
        return this.genCmp('linktype', 0, BPF_H, llProto);
    }
  }

  /** gencode.c gen_linktype: "is this packet of link-layer protocol `llProto`?" */
  genLinktype(llProto: number): Block {
    switch (this.layout.dlt) {
      case 'EN10MB':
        return this.genEtherLinktype(llProto);
      case 'LINUX_SLL':
        return this.genLinuxSllLinktype(llProto);
      case 'RAW':
        // No type field: IPv4 and IPv6 are told apart by the version nibble.
        if (llProto === C.ETHERTYPE_IP) return this.genMcmp('linkhdr', 0, BPF_B, 0x40, 0xf0);
        if (llProto === C.ETHERTYPE_IPV6) return this.genMcmp('linkhdr', 0, BPF_B, 0x60, 0xf0);
        return this.genFalse();
      case 'IPV4':
        return llProto === C.ETHERTYPE_IP ? this.genTrue() : this.genFalse();
      case 'LINUX_SLL2':
        // gencode.c default case: compare the type field as an EtherType.
        return this.genCmp('linktype', 0, BPF_H, llProto);
    }
  }

  /** gencode.c gen_snap: an 802.2 SNAP header with this OUI and protocol type. */
  private genSnap(orgcode: number, ptype: number): Block {
    const snap = new Uint8Array([
      C.LLCSAP_SNAP,
      C.LLCSAP_SNAP,
      0x03,
      (orgcode >> 16) & 0xff,
      (orgcode >> 8) & 0xff,
      orgcode & 0xff,
      (ptype >> 8) & 0xff,
      ptype & 0xff,
    ]);
    return this.genBcmp('llc', 0, snap);
  }

  // ---- addresses ----

  /** gencode.c gen_hostop: (address & mask) == addr at the source and/or destination offset. */
  private genHostop(
    addr: number,
    mask: number,
    dir: DirQ,
    llProto: number,
    srcOff: number,
    dstOff: number,
  ): Block {
    let offset: number;
    switch (dir) {
      case 'src':
        offset = srcOff;
        break;
      case 'dst':
        offset = dstOff;
        break;
      case 'and':
      case 'default':
      case 'or': {
        const b0 = this.genHostop(addr, mask, 'src', llProto, srcOff, dstOff);
        const b1 = this.genHostop(addr, mask, 'dst', llProto, srcOff, dstOff);
        if (dir === 'and') genAnd(b0, b1);
        else genOr(b0, b1);
        return b1;
      }
      default:
        return fail(wlanQualifierError(dir, 'addresses other than 802.11 MAC addresses'));
    }
    const b0 = this.genLinktype(llProto);
    const b1 = this.genMcmp('linkpl', offset, BPF_W, addr, mask);
    genAnd(b0, b1);
    return b1;
  }

  /** gencode.c gen_hostop6: the same over four 32-bit words of an IPv6 address. */
  private genHostop6(
    addr: Uint32Array,
    mask: Uint32Array,
    dir: DirQ,
    llProto: number,
    srcOff: number,
    dstOff: number,
  ): Block {
    let offset: number;
    switch (dir) {
      case 'src':
        offset = srcOff;
        break;
      case 'dst':
        offset = dstOff;
        break;
      case 'and':
      case 'default':
      case 'or': {
        const b0 = this.genHostop6(addr, mask, 'src', llProto, srcOff, dstOff);
        const b1 = this.genHostop6(addr, mask, 'dst', llProto, srcOff, dstOff);
        if (dir === 'and') genAnd(b0, b1);
        else genOr(b0, b1);
        return b1;
      }
      default:
        return fail(wlanQualifierError(dir, 'addresses other than 802.11 MAC addresses'));
    }
    // gencode.c: "this order is important" - the last word first.
    const b1 = this.genMcmp('linkpl', offset + 12, BPF_W, addr[3]!, mask[3]!);
    let b0 = this.genMcmp('linkpl', offset + 8, BPF_W, addr[2]!, mask[2]!);
    genAnd(b0, b1);
    b0 = this.genMcmp('linkpl', offset + 4, BPF_W, addr[1]!, mask[1]!);
    genAnd(b0, b1);
    b0 = this.genMcmp('linkpl', offset, BPF_W, addr[0]!, mask[0]!);
    genAnd(b0, b1);
    b0 = this.genLinktype(llProto);
    genAnd(b0, b1);
    return b1;
  }

  /** gencode.c gen_ehostop: Ethernet source (offset 6) and/or destination (offset 0). */
  private genEhostop(eaddr: Uint8Array, dir: DirQ): Block {
    switch (dir) {
      case 'src':
        return this.genBcmp('linkhdr', 6, eaddr);
      case 'dst':
        return this.genBcmp('linkhdr', 0, eaddr);
      case 'and':
      case 'default':
      case 'or': {
        const b0 = this.genEhostop(eaddr, 'src');
        const b1 = this.genEhostop(eaddr, 'dst');
        if (dir === 'and') genAnd(b0, b1);
        else genOr(b0, b1);
        return b1;
      }
      default:
        return fail(wlanOnlyError(dir));
    }
  }

  /** gencode.c gen_dnhostop: a DECnet node address in the four header layouts. */
  private genDnhostop(addr: number, dir: DirQ): Block {
    let offsetSh: number;
    let offsetLh: number;
    switch (dir) {
      case 'dst':
        // DECnet routing header: destination after the flags byte.
        offsetSh = 1;
        offsetLh = 7;
        break;
      case 'src':
        offsetSh = 3;
        offsetLh = 15;
        break;
      case 'and':
      case 'default':
      case 'or': {
        const b0 = this.genDnhostop(addr, 'src');
        const b1 = this.genDnhostop(addr, 'dst');
        if (dir === 'and') genAnd(b0, b1);
        else genOr(b0, b1);
        return b1;
      }
      default:
        return fail(wlanQualifierError(dir, 'addresses other than 802.11 MAC addresses'));
    }
    // The address is little-endian on the wire (gencode.c uses ntohs on it).
    const swapped = ((addr & 0xff) << 8) | ((addr >> 8) & 0xff);
    const b0 = this.genLinktype(C.ETHERTYPE_DN);
    // pad = 1, long header
    let tmp = this.genMcmp('linkpl', 2, BPF_H, 0x8106, 0xff07);
    const b1 = this.genCmp('linkpl', 2 + 1 + offsetLh, BPF_H, swapped);
    genAnd(tmp, b1);
    // pad = 0, long header
    tmp = this.genMcmp('linkpl', 2, BPF_B, 0x06, 0x07);
    let b2 = this.genCmp('linkpl', 2 + offsetLh, BPF_H, swapped);
    genAnd(tmp, b2);
    genOr(b2, b1);
    // pad = 1, short header
    tmp = this.genMcmp('linkpl', 2, BPF_H, 0x8102, 0xff07);
    b2 = this.genCmp('linkpl', 2 + 1 + offsetSh, BPF_H, swapped);
    genAnd(tmp, b2);
    genOr(b2, b1);
    // pad = 0, short header
    tmp = this.genMcmp('linkpl', 2, BPF_B, 0x02, 0x07);
    b2 = this.genCmp('linkpl', 2 + offsetSh, BPF_H, swapped);
    genAnd(tmp, b2);
    genOr(b2, b1);
    genAnd(b0, b1);
    return b1;
  }

  /** gencode.c gen_host: an IPv4 host or network, under a protocol qualifier. */
  private genHost(addr: number, mask: number, proto: ProtoQ, dir: DirQ, type: AddrQ): Block {
    const typestr = type === 'net' ? 'net' : 'host';
    switch (proto) {
      case 'default': {
        // pcap-filter(7): "host" alone means IPv4, ARP or RARP.
        let b0 = this.genHost(addr, mask, 'ip', dir, type);
        const b1 = this.genHost(addr, mask, 'arp', dir, type);
        genOr(b0, b1);
        b0 = this.genHost(addr, mask, 'rarp', dir, type);
        genOr(b1, b0);
        return b0;
      }
      case 'link':
        return fail(`link-layer modifier applied to ${typestr}`);
      case 'ip':
        // RFC 791: source address at 12, destination at 16.
        return this.genHostop(addr, mask, dir, C.ETHERTYPE_IP, 12, 16);
      case 'rarp':
        // RFC 826 for IPv4 over Ethernet: sender protocol address at 14, target at 24.
        return this.genHostop(addr, mask, dir, C.ETHERTYPE_REVARP, 14, 24);
      case 'arp':
        return this.genHostop(addr, mask, dir, C.ETHERTYPE_ARP, 14, 24);
      case 'decnet':
        return this.genDnhostop(addr, dir);
      case 'undef':
        return fail('syntax error in filter expression');
      default:
        return fail(HOST_MODIFIER_ERRORS[proto] ?? `'${proto}' modifier applied to ${typestr}`);
    }
  }

  /** gencode.c gen_host6: an IPv6 host or network. */
  private genHost6(
    addr: Uint32Array,
    mask: Uint32Array,
    proto: ProtoQ,
    dir: DirQ,
    type: AddrQ,
  ): Block {
    const typestr = type === 'net' ? 'net' : 'host';
    switch (proto) {
      case 'default':
      case 'ip6':
        // RFC 8200: source address at 8, destination at 24.
        return this.genHostop6(addr, mask, dir, C.ETHERTYPE_IPV6, 8, 24);
      case 'link':
        return fail(`link-layer modifier applied to ip6 ${typestr}`);
      case 'atalk':
        return fail(`AppleTalk modifier applied to ip6 ${typestr}`);
      case 'undef':
        return fail('syntax error in filter expression');
      default:
        return fail(`'${proto}' modifier applied to ip6 ${typestr}`);
    }
  }

  // ---- protocols ----

  /** gencode.c gen_proto_abbrev: a protocol keyword on its own (`tcp`, `arp`, `ip6`, …). */
  genProtoAbbrev(proto: ProtoQ): Block {
    switch (proto) {
      case 'sctp':
        return this.genProto(C.IPPROTO_SCTP, 'default', 'default');
      case 'tcp':
        return this.genProto(C.IPPROTO_TCP, 'default', 'default');
      case 'udp':
        return this.genProto(C.IPPROTO_UDP, 'default', 'default');
      case 'icmp':
        return this.genProto(C.IPPROTO_ICMP, 'ip', 'default');
      case 'igmp':
        return this.genProto(C.IPPROTO_IGMP, 'ip', 'default');
      case 'igrp':
        return this.genProto(C.IPPROTO_IGRP, 'ip', 'default');
      case 'pim':
        return this.genProto(C.IPPROTO_PIM, 'default', 'default');
      case 'vrrp':
        return this.genProto(C.IPPROTO_VRRP, 'ip', 'default');
      case 'carp':
        return this.genProto(C.IPPROTO_CARP, 'ip', 'default');
      case 'ip':
        return this.genLinktype(C.ETHERTYPE_IP);
      case 'arp':
        return this.genLinktype(C.ETHERTYPE_ARP);
      case 'rarp':
        return this.genLinktype(C.ETHERTYPE_REVARP);
      case 'link':
        return fail('link layer applied in wrong context');
      case 'atalk':
        return this.genLinktype(C.ETHERTYPE_ATALK);
      case 'aarp':
        return this.genLinktype(C.ETHERTYPE_AARP);
      case 'decnet':
        return this.genLinktype(C.ETHERTYPE_DN);
      case 'sca':
        return this.genLinktype(C.ETHERTYPE_SCA);
      case 'lat':
        return this.genLinktype(C.ETHERTYPE_LAT);
      case 'mopdl':
        return this.genLinktype(C.ETHERTYPE_MOPDL);
      case 'moprc':
        return this.genLinktype(C.ETHERTYPE_MOPRC);
      case 'ip6':
        return this.genLinktype(C.ETHERTYPE_IPV6);
      case 'icmp6':
        return this.genProto(C.IPPROTO_ICMPV6, 'ip6', 'default');
      case 'ah':
        return this.genProto(C.IPPROTO_AH, 'default', 'default');
      case 'esp':
        return this.genProto(C.IPPROTO_ESP, 'default', 'default');
      case 'iso':
        return this.genLinktype(C.LLCSAP_ISONS);
      case 'esis':
        return this.genProto(C.ISO9542_ESIS, 'iso', 'default');
      case 'isis':
        return this.genProto(C.ISO10589_ISIS, 'iso', 'default');
      case 'l1':
        return this.isisAny([
          C.ISIS_L1_LAN_IIH,
          C.ISIS_PTP_IIH,
          C.ISIS_L1_LSP,
          C.ISIS_L1_CSNP,
          C.ISIS_L1_PSNP,
        ]);
      case 'l2':
        return this.isisAny([
          C.ISIS_L2_LAN_IIH,
          C.ISIS_PTP_IIH,
          C.ISIS_L2_LSP,
          C.ISIS_L2_CSNP,
          C.ISIS_L2_PSNP,
        ]);
      case 'iih':
        return this.isisAny([C.ISIS_L1_LAN_IIH, C.ISIS_L2_LAN_IIH, C.ISIS_PTP_IIH]);
      case 'lsp':
        return this.isisAny([C.ISIS_L1_LSP, C.ISIS_L2_LSP]);
      case 'snp':
        return this.isisAny([C.ISIS_L1_CSNP, C.ISIS_L2_CSNP, C.ISIS_L1_PSNP, C.ISIS_L2_PSNP]);
      case 'csnp':
        return this.isisAny([C.ISIS_L1_CSNP, C.ISIS_L2_CSNP]);
      case 'psnp':
        return this.isisAny([C.ISIS_L1_PSNP, C.ISIS_L2_PSNP]);
      case 'clnp':
        return this.genProto(C.ISO8473_CLNP, 'iso', 'default');
      case 'stp':
        return this.genLinktype(C.LLCSAP_8021D);
      case 'ipx':
        return this.genLinktype(C.LLCSAP_IPX);
      case 'netbeui':
        return this.genLinktype(C.LLCSAP_NETBEUI);
      case 'radio':
        return fail("'radio' is not a valid protocol type");
      case 'default':
      case 'undef':
        return fail('syntax error in filter expression');
    }
  }

  /** IS-IS PDU types or-ed together, first two then each further one (gencode.c). */
  private isisAny(types: readonly number[]): Block {
    const b0 = this.genProto(types[0]!, 'isis', 'default');
    const b1 = this.genProto(types[1]!, 'isis', 'default');
    genOr(b0, b1);
    for (const t of types.slice(2)) genOr(this.genProto(t, 'isis', 'default'), b1);
    return b1;
  }

  /** gencode.c gen_ipfrag: "not a fragment other than the first" (RFC 791 fragment offset 0). */
  private genIpfrag(): Block {
    const b = newBlock(JMP(BPF_JSET), 0x1fff);
    b.stmts = this.genLoadA('linkpl', 6, BPF_H);
    genNot(b);
    return b;
  }

  /** gencode.c gen_proto: the protocol field of IPv4, IPv6, OSI or the link layer equals `v`. */
  genProto(v: number, proto: ProtoQ, dir: DirQ): Block {
    if (dir !== 'default') fail("direction applied to 'proto'");
    switch (proto) {
      case 'default': {
        const b0 = this.genProto(v, 'ip', dir);
        const b1 = this.genProto(v, 'ip6', dir);
        genOr(b0, b1);
        return b1;
      }
      case 'link':
        return this.genLinktype(v);
      case 'ip': {
        // RFC 791: the protocol byte at offset 9.
        const b0 = this.genLinktype(C.ETHERTYPE_IP);
        const b1 = this.genCmp('linkpl', 9, BPF_B, v);
        genAnd(b0, b1);
        return b1;
      }
      case 'ip6': {
        // RFC 8200: next header at 6, or after one fragment header (44) at 40.
        const b0 = this.genLinktype(C.ETHERTYPE_IPV6);
        let b2 = this.genCmp('linkpl', 6, BPF_B, C.IPPROTO_FRAGMENT);
        const b1 = this.genCmp('linkpl', 40, BPF_B, v);
        genAnd(b2, b1);
        b2 = this.genCmp('linkpl', 6, BPF_B, v);
        genOr(b2, b1);
        genAnd(b0, b1);
        return b1;
      }
      case 'iso': {
        const b0 = this.genLinktype(C.LLCSAP_ISONS);
        const b1 = this.genCmp('linkplNosnap', 0, BPF_B, v);
        genAnd(b0, b1);
        return b1;
      }
      case 'isis': {
        // The PDU type is at offset 4 of the IS-IS header.
        const b0 = this.genProto(C.ISO10589_ISIS, 'iso', 'default');
        const b1 = this.genCmp('linkplNosnap', 4, BPF_B, v);
        genAnd(b0, b1);
        return b1;
      }
      case 'undef':
        return fail('syntax error in filter expression');
      default:
        return fail(PROTO_ERRORS[proto] ?? `'${proto} proto' is bogus`);
    }
  }

  // ---- ports ----

  /** gencode.c gen_portatom / gen_portatom6: the 16-bit port at `off` of the transport header. */
  private genPortatom(off: number, v: number, six: boolean): Block {
    return this.genCmp(six ? 'tranIpv6' : 'tranIpv4', off, BPF_H, v);
  }

  /**
   * gencode.c gen_portop / gen_portop6: protocol `proto` (IPv4: first fragment
   * only; IPv6: no fragment check, no extension headers), port at 0 and/or 2.
   */
  private genPortop(port: number, proto: number, dir: DirQ, six: boolean): Block {
    let b0: Block;
    if (six) b0 = this.genCmp('linkpl', 6, BPF_B, proto);
    else {
      const tmp = this.genCmp('linkpl', 9, BPF_B, proto);
      b0 = this.genIpfrag();
      genAnd(tmp, b0);
    }
    let b1: Block;
    switch (dir) {
      case 'src':
        b1 = this.genPortatom(0, port, six);
        break;
      case 'dst':
        b1 = this.genPortatom(2, port, six);
        break;
      case 'and':
      case 'default':
      case 'or': {
        const t = this.genPortatom(0, port, six);
        b1 = this.genPortatom(2, port, six);
        if (dir === 'and') genAnd(t, b1);
        else genOr(t, b1);
        break;
      }
      default:
        return fail(wlanQualifierError(dir, 'ports'));
    }
    genAnd(b0, b1);
    return b1;
  }

  /** gencode.c gen_port / gen_port6: TCP, UDP and SCTP when the protocol is not given. */
  private genPort(port: number, ipProto: number, dir: DirQ, six: boolean): Block {
    const b0 = this.genLinktype(six ? C.ETHERTYPE_IPV6 : C.ETHERTYPE_IP);
    let b1: Block;
    if (ipProto === C.PROTO_UNDEF) {
      let tmp = this.genPortop(port, C.IPPROTO_TCP, dir, six);
      b1 = this.genPortop(port, C.IPPROTO_UDP, dir, six);
      genOr(tmp, b1);
      tmp = this.genPortop(port, C.IPPROTO_SCTP, dir, six);
      genOr(tmp, b1);
    } else b1 = this.genPortop(port, ipProto, dir, six);
    genAnd(b0, b1);
    return b1;
  }

  /** `port N` over IPv6 or'ed before IPv4 (gencode.c gen_ncode, gen_scode). */
  private genAnyPort(port: number, ipProto: number, dir: DirQ): Block {
    const b = this.genPort(port, ipProto, dir, false);
    genOr(this.genPort(port, ipProto, dir, true), b);
    return b;
  }

  private genPortrangeatom(off: number, v1: number, v2: number, six: boolean): Block {
    if (v1 > v2) [v1, v2] = [v2, v1];
    const rel: OffRel = six ? 'tranIpv6' : 'tranIpv4';
    const b1 = this.genCmpGe(rel, off, BPF_H, v1);
    const b2 = this.genCmpLe(rel, off, BPF_H, v2);
    genAnd(b1, b2);
    return b2;
  }

  /** gencode.c gen_portrangeop / gen_portrangeop6. */
  private genPortrangeop(p1: number, p2: number, proto: number, dir: DirQ, six: boolean): Block {
    let b0: Block;
    if (six) b0 = this.genCmp('linkpl', 6, BPF_B, proto);
    else {
      const tmp = this.genCmp('linkpl', 9, BPF_B, proto);
      b0 = this.genIpfrag();
      genAnd(tmp, b0);
    }
    let b1: Block;
    switch (dir) {
      case 'src':
        b1 = this.genPortrangeatom(0, p1, p2, six);
        break;
      case 'dst':
        b1 = this.genPortrangeatom(2, p1, p2, six);
        break;
      case 'and':
      case 'default':
      case 'or': {
        const t = this.genPortrangeatom(0, p1, p2, six);
        b1 = this.genPortrangeatom(2, p1, p2, six);
        if (dir === 'and') genAnd(t, b1);
        else genOr(t, b1);
        break;
      }
      default:
        return fail(wlanQualifierError(dir, 'port ranges'));
    }
    genAnd(b0, b1);
    return b1;
  }

  /** gencode.c gen_portrange / gen_portrange6. */
  private genPortrange(p1: number, p2: number, ipProto: number, dir: DirQ, six: boolean): Block {
    const b0 = this.genLinktype(six ? C.ETHERTYPE_IPV6 : C.ETHERTYPE_IP);
    let b1: Block;
    if (ipProto === C.PROTO_UNDEF) {
      let tmp = this.genPortrangeop(p1, p2, C.IPPROTO_TCP, dir, six);
      b1 = this.genPortrangeop(p1, p2, C.IPPROTO_UDP, dir, six);
      genOr(tmp, b1);
      tmp = this.genPortrangeop(p1, p2, C.IPPROTO_SCTP, dir, six);
      genOr(tmp, b1);
    } else b1 = this.genPortrangeop(p1, p2, ipProto, dir, six);
    genAnd(b0, b1);
    return b1;
  }

  private genAnyPortrange(p1: number, p2: number, ipProto: number, dir: DirQ): Block {
    const b = this.genPortrange(p1, p2, ipProto, dir, false);
    genOr(this.genPortrange(p1, p2, ipProto, dir, true), b);
    return b;
  }

  // ---- the grammar's entry points ----

  /** gencode.c lookup_proto: a protocol name after `proto`. */
  private lookupProto(name: string, proto: ProtoQ): number | undefined {
    switch (proto) {
      case 'default':
      case 'ip':
      case 'ip6': {
        const v = protocolNumber(name);
        return v ?? fail(`unknown ip proto '${name}'`);
      }
      case 'link': {
        const v = ETHER_PROTOCOLS.get(name) ?? LLC_PROTOCOLS.get(name);
        return v ?? fail(`unknown ether proto '${name}'`);
      }
      case 'iso':
        if (name === 'esis') return C.ISO9542_ESIS;
        if (name === 'isis') return C.ISO10589_ISIS;
        if (name === 'clnp') return C.ISO8473_CLNP;
        return fail(`unknown osi proto '${name}'`);
      default:
        return undefined;
    }
  }

  /** gencode.c gen_scode: a name after qualifiers (`host NAME`, `port NAME`, …). */
  genScode(name: string, q: Qual): Block {
    const { proto, dir } = q;
    switch (q.addr) {
      case 'net': {
        let addr = networkAddress(name);
        if (addr === 0) fail(`unknown network '${name}'`);
        let mask = 0xffffffff;
        while (addr !== 0 && (addr & 0xff000000) === 0) {
          addr = (addr << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
        return this.genHost(addr, mask, proto, dir, q.addr);
      }
      case 'default':
      case 'host':
        return this.genHostName(name, q);
      case 'port': {
        if (proto !== 'default' && proto !== 'udp' && proto !== 'tcp' && proto !== 'sctp') {
          fail("illegal qualifier of 'port'");
        }
        const found = nameToPort(name) ?? fail(`unknown port '${name}'`);
        const realProto = checkPortProto(found.proto, proto, `port '${name}' is`);
        if (found.port < 0) fail(`illegal port number ${found.port} < 0`);
        if (found.port > 65535) fail(`illegal port number ${found.port} > 65535`);
        return this.genAnyPort(found.port, realProto, dir);
      }
      case 'portrange': {
        if (proto !== 'default' && proto !== 'udp' && proto !== 'tcp' && proto !== 'sctp') {
          fail("illegal qualifier of 'portrange'");
        }
        const r = nameToPortrange(name) ?? fail(`unknown port in range '${name}'`);
        const realProto = checkPortProto(r.proto, proto, `port in range '${name}' is`);
        for (const p of [r.port1, r.port2]) {
          if (p < 0) fail(`illegal port number ${p} < 0`);
          if (p > 65535) fail(`illegal port number ${p} > 65535`);
        }
        return this.genAnyPortrange(r.port1, r.port2, realProto, dir);
      }
      case 'gateway':
        // libpcap built with IPv6 support has no "gateway NAME".
        return fail("'gateway' not supported in this configuration");
      case 'proto': {
        const v = this.lookupProto(name, proto);
        if (v === undefined) fail(`unknown protocol: ${name}`);
        return this.genProto(v, proto, dir);
      }
      case 'protochain': {
        const v = this.lookupProto(name, proto);
        if (v === undefined) fail(`unknown protocol: ${name}`);
        return this.genProtochain(proto);
      }
      case 'undef':
        return fail('syntax error in filter expression');
    }
  }

  /** gen_scode for `host NAME`: ether names, DECnet names, then IP host names. */
  private genHostName(name: string, q: Qual): Block {
    const { proto, dir } = q;
    if (proto === 'link') {
      if (this.layout.dlt !== 'EN10MB') {
        fail(
          'only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name',
        );
      }
      const eaddr = etherHostAddress(name) ?? fail(`unknown ether host '${name}'`);
      return this.genEhostop(eaddr, dir);
    }
    if (proto === 'decnet') {
      // libpcap is built without DECnet name support; the text ends in a newline.
      return fail(`decnet name support not included, '${name}' cannot be translated\n`);
    }
    const addrs = hostAddresses(name) ?? fail(`unknown host '${name}'`);
    // Without a link-layer type field, "host NAME" can only mean IPv4 (or IPv6).
    const tproto: ProtoQ = this.layout.offLinktype === null && proto === 'default' ? 'ip' : proto;
    let b: Block | null = null;
    for (const addr of addrs) {
      if (tproto === 'ip6') continue;
      const tmp = this.genHost(addr, 0xffffffff, tproto, dir, q.addr);
      if (b) genOr(b, tmp);
      b = tmp;
    }
    if (b === null) {
      fail(`unknown host '${name}'${proto === 'default' ? '' : ' for specified address family'}`);
    }
    return b;
  }

  /** gencode.c gen_mcode: `net A.B.C.D/len` and `net A.B.C.D mask M.M.M.M`. */
  genMcode(s1: string, s2: string | null, masklen: number, q: Qual): Block {
    const a = atoin(s1) ?? fail(`invalid IPv4 address '${s1}'`);
    const n = shiftLeft(a.addr, 32 - a.bits);
    let m: number;
    if (s2 !== null) {
      const b = atoin(s2) ?? fail(`invalid IPv4 address '${s2}'`);
      m = shiftLeft(b.addr, 32 - b.bits);
      if ((n & ~m) >>> 0 !== 0) fail(`non-network bits set in "${s1} mask ${s2}"`);
    } else {
      if (masklen > 32) fail('mask length must be <= 32');
      m = masklen === 0 ? 0 : shiftLeft(0xffffffff, 32 - masklen);
      if ((n & ~m) >>> 0 !== 0) fail(`non-network bits set in "${s1}/${masklen}"`);
    }
    if (q.addr !== 'net') fail('Mask syntax for networks only');
    return this.genHost(n, m, q.proto, q.dir, q.addr);
  }

  /** gencode.c gen_ncode: a number or dotted address after qualifiers. */
  genNcode(s: string | null, v: number, q: Qual): Block {
    const { dir } = q;
    let vlen: number;
    if (s === null) vlen = 32;
    else if (q.proto === 'decnet') {
      const dn = atodn(s) ?? fail(`malformed decnet address '${s}'`);
      v = dn;
      vlen = 32;
    } else {
      const a = atoin(s) ?? fail(`invalid IPv4 address '${s}'`);
      v = a.addr;
      vlen = a.bits;
    }
    switch (q.addr) {
      case 'default':
      case 'host':
      case 'net': {
        if (q.proto === 'decnet') return this.genHost(v, 0, q.proto, dir, q.addr);
        if (q.proto === 'link') fail('illegal link layer address');
        let mask = 0xffffffff;
        if (s === null && q.addr === 'net') {
          // A bare number after "net" is left-justified: "net 10" is 10.0.0.0/8.
          while (v !== 0 && (v & 0xff000000) === 0) {
            v = (v << 8) >>> 0;
            mask = (mask << 8) >>> 0;
          }
        } else {
          // A short dotted address is left-justified too: "host 10.1" is 10.1.0.0/16.
          v = shiftLeft(v, 32 - vlen);
          mask = shiftLeft(mask, 32 - vlen);
        }
        return this.genHost(v, mask, q.proto, dir, q.addr);
      }
      case 'port':
      case 'portrange': {
        const word = q.addr === 'port' ? 'port' : 'portrange';
        const ipProto =
          q.proto === 'udp'
            ? C.IPPROTO_UDP
            : q.proto === 'tcp'
              ? C.IPPROTO_TCP
              : q.proto === 'sctp'
                ? C.IPPROTO_SCTP
                : q.proto === 'default'
                  ? C.PROTO_UNDEF
                  : fail(`illegal qualifier of '${word}'`);
        if (v > 65535) fail(`illegal port number ${v} > 65535`);
        return q.addr === 'port'
          ? this.genAnyPort(v, ipProto, dir)
          : this.genAnyPortrange(v, v, ipProto, dir);
      }
      case 'gateway':
        return fail("'gateway' requires a name");
      case 'proto':
        return this.genProto(v, q.proto, dir);
      case 'protochain':
        return this.genProtochain(q.proto);
      case 'undef':
        return fail('syntax error in filter expression');
    }
  }

  /** gencode.c gen_mcode6: an IPv6 address, optionally with a prefix length. */
  genMcode6(s: string, masklen: number, q: Qual): Block {
    const addr = parseIpv6(s) ?? fail(`invalid ip6 address ${s}`);
    if (masklen > 128) fail('mask length must be <= 128');
    const mask = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const bits = Math.max(0, Math.min(32, masklen - 32 * i));
      mask[i] = bits === 0 ? 0 : shiftLeft(0xffffffff, 32 - bits);
    }
    for (let i = 0; i < 4; i++) {
      if ((addr[i]! & ~mask[i]!) >>> 0 !== 0) fail(`non-network bits set in "${s}/${masklen}"`);
    }
    switch (q.addr) {
      case 'default':
      case 'host':
        if (masklen !== 128) fail('Mask syntax for networks only');
        return this.genHost6(addr, mask, q.proto, q.dir, q.addr);
      case 'net':
        return this.genHost6(addr, mask, q.proto, q.dir, q.addr);
      default:
        return fail('invalid qualifier against IPv6 address');
    }
  }

  /** gencode.c gen_ecode: a MAC address after `ether host/src/dst`. */
  genEcode(s: string, q: Qual): Block {
    if ((q.addr === 'host' || q.addr === 'default') && q.proto === 'link') {
      if (this.layout.dlt !== 'EN10MB') {
        fail(
          'ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel',
        );
      }
      return this.genEhostop(etherAton(s), q.dir);
    }
    return fail('ethernet address used in non-ether expression');
  }

  // ---- arithmetic (pcap-filter(7) "expr relop expr") ----

  private xferToX(a: Arth): Slist {
    return newStmt(BPF_LDX | BPF_MEM, a.regno);
  }

  private xferToA(a: Arth): Slist {
    return newStmt(BPF_LD | BPF_MEM, a.regno);
  }

  /** gencode.c gen_load: `proto[index : size]`. */
  genLoad(proto: ProtoQ, inst: Arth, size: number): Arth {
    const regno = this.allocReg();
    this.freeReg(inst.regno);
    let sizeCode: number;
    switch (size) {
      case 1:
        sizeCode = BPF_B;
        break;
      case 2:
        sizeCode = BPF_H;
        break;
      case 4:
        sizeCode = BPF_W;
        break;
      default:
        return fail('data size must be 1, 2, or 4');
    }
    const L = this.layout;
    if (proto === 'radio') fail('radio information not present in capture');
    if (proto === 'link') {
      // Relative to the start of the link-layer header.
      const s = this.xferToX(inst);
      sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, 0));
      sappend(inst.s, s);
    } else if (NETWORK_INDEX.has(proto)) {
      // Relative to the network-layer header; only if the packet is of that protocol.
      const s = this.xferToX(inst);
      sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, L.offLinkpl + L.offNl));
      sappend(inst.s, s);
      const b = this.genProtoAbbrev(proto);
      if (inst.b) genAnd(inst.b, b);
      inst.b = b;
    } else if (TRANSPORT_INDEX.has(proto)) {
      // Relative to the transport header past the IPv4 header; first fragments only.
      const s = this.genLoadxIphdrlen();
      sappend(s, this.xferToA(inst));
      sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
      sappend(s, newStmt(BPF_MISC | BPF_TAX));
      sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, L.offLinkpl + L.offNl));
      sappend(inst.s, s);
      const b = this.genIpfrag();
      genAnd(this.genProtoAbbrev(proto), b);
      if (inst.b) genAnd(inst.b, b);
      genAnd(this.genProtoAbbrev('ip'), b);
      inst.b = b;
    } else if (proto === 'icmp6') {
      // Relative to the ICMPv6 header right after a 40-byte IPv6 header.
      let b = this.genProtoAbbrev('ip6');
      if (inst.b) genAnd(inst.b, b);
      inst.b = b;
      b = this.genCmp('linkpl', 6, BPF_B, C.IPPROTO_ICMPV6);
      genAnd(inst.b, b);
      inst.b = b;
      const s = this.xferToX(inst);
      sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, L.offLinkpl + L.offNl + 40));
      sappend(inst.s, s);
    } else {
      fail('unsupported index operation');
    }
    inst.regno = regno;
    sappend(inst.s, newStmt(BPF_ST, regno));
    return inst;
  }

  /** gencode.c gen_relation: `a0 code a1`, reversed for <=, < and !=. */
  genRelation(code: number, a0: Arth, a1: Arth, reversed: boolean): Block {
    const s0 = this.xferToX(a1);
    const s1 = this.xferToA(a0);
    let b: Block;
    if (code === BPF_JEQ) {
      const s2 = newStmt(BPF_ALU | BPF_SUB | BPF_X);
      b = newBlock(JMP(code));
      sappend(s1, s2);
    } else b = newBlock(BPF_JMP | code | BPF_X);
    if (reversed) genNot(b);
    sappend(s0, s1);
    sappend(a1.s, s0);
    sappend(a0.s, a1.s);
    b.stmts = a0.s;
    this.freeReg(a0.regno);
    this.freeReg(a1.regno);
    // The protocol checks of both sides come first.
    let tmp: Block | null;
    if (a0.b) {
      if (a1.b) {
        genAnd(a0.b, a1.b);
        tmp = a1.b;
      } else tmp = a0.b;
    } else tmp = a1.b;
    if (tmp) genAnd(tmp, b);
    return b;
  }

  /** gencode.c gen_loadlen: `len`, the length on the wire. */
  genLoadlen(): Arth {
    const regno = this.allocReg();
    const s = newStmt(BPF_LD | BPF_LEN);
    s.next = newStmt(BPF_ST, regno);
    return { s, b: null, regno };
  }

  /** gencode.c gen_loadi: a constant. */
  genLoadi(val: number): Arth {
    const regno = this.allocReg();
    const s = newStmt(BPF_LD | BPF_IMM, val);
    s.next = newStmt(BPF_ST, regno);
    return { s, b: null, regno };
  }

  /** gencode.c gen_neg: unary minus. */
  genNeg(a: Arth): Arth {
    sappend(a.s, this.xferToA(a));
    sappend(a.s, newStmt(BPF_ALU | BPF_NEG));
    sappend(a.s, newStmt(BPF_ST, a.regno));
    return a;
  }

  /** gencode.c gen_arth: `a0 op a1`; constant zero divisors and long shifts are refused. */
  genArth(code: number, a0: Arth, a1: Arth): Arth {
    const lit = a1.s.s;
    const isImm = lit.code === (BPF_LD | BPF_IMM);
    if (code === BPF_DIV && isImm && lit.k === 0) fail('division by zero');
    if (code === BPF_MOD && isImm && lit.k === 0) fail('modulus by zero');
    if ((code === BPF_LSH || code === BPF_RSH) && isImm && lit.k > 31) {
      fail('shift by more than 31 bits');
    }
    const s0 = this.xferToX(a1);
    const s1 = this.xferToA(a0);
    const s2 = newStmt(BPF_ALU | BPF_X | code);
    sappend(s1, s2);
    sappend(s0, s1);
    sappend(a1.s, s0);
    sappend(a0.s, a1.s);
    this.freeReg(a0.regno);
    this.freeReg(a1.regno);
    a0.regno = this.allocReg();
    sappend(a0.s, newStmt(BPF_ST, a0.regno));
    return a0;
  }

  // ---- other primitives ----

  private genLen(jmp: number, n: number): Block {
    const b = newBlock(JMP(jmp), n);
    b.stmts = newStmt(BPF_LD | BPF_LEN);
    return b;
  }

  /** `greater N`: len >= N (gencode.c gen_greater). */
  genGreater(n: number): Block {
    return this.genLen(BPF_JGE, n);
  }

  /** `less N`: len <= N, i.e. not len > N (gencode.c gen_less). */
  genLess(n: number): Block {
    const b = this.genLen(BPF_JGT, n);
    genNot(b);
    return b;
  }

  /**
   * gencode.c gen_byteop: `byte IDX op VAL`. For `&` and `|` libpcap tests the
   * accumulator without loading the byte first; that is reproduced.
   */
  genByteop(op: string, idx: number, val: number): Block {
    switch (op) {
      case '=':
        return this.genCmp('linkhdr', idx, BPF_B, val);
      case '<':
        return this.genCmpLt('linkhdr', idx, BPF_B, val);
      case '>':
        return this.genCmpGt('linkhdr', idx, BPF_B, val);
      default: {
        const s = newStmt(BPF_ALU | (op === '|' ? BPF_OR : BPF_AND) | BPF_K, val);
        const b = newBlock(JMP(BPF_JEQ));
        b.stmts = s;
        genNot(b);
        return b;
      }
    }
  }

  /** gencode.c gen_broadcast. */
  genBroadcast(proto: ProtoQ): Block {
    switch (proto) {
      case 'default':
      case 'link':
        if (this.layout.dlt !== 'EN10MB') fail('not a broadcast link');
        return this.genEhostop(new Uint8Array([255, 255, 255, 255, 255, 255]), 'dst');
      case 'ip': {
        // The destination is all-zeroes or all-ones in the host part of the netmask.
        const hostmask = ~this.options.netmask >>> 0;
        const b0 = this.genLinktype(C.ETHERTYPE_IP);
        const b1 = this.genMcmp('linkpl', 16, BPF_W, 0, hostmask);
        const b2 = this.genMcmp('linkpl', 16, BPF_W, hostmask, hostmask);
        genOr(b1, b2);
        genAnd(b0, b2);
        return b2;
      }
      default:
        return fail('only link-layer/IP broadcast filters supported');
    }
  }

  /** gencode.c gen_multicast. */
  genMulticast(proto: ProtoQ): Block {
    switch (proto) {
      case 'default':
      case 'link':
        if (this.layout.dlt === 'EN10MB') {
          // IEEE 802: the group bit is the low bit of the first destination byte.
          const b = newBlock(JMP(BPF_JSET), 1);
          b.stmts = this.genLoadA('linkhdr', 0, BPF_B);
          return b;
        }
        break;
      case 'ip': {
        // RFC 5771: 224.0.0.0 and above (libpcap 1.10 also takes class E).
        const b0 = this.genLinktype(C.ETHERTYPE_IP);
        const b1 = this.genCmpGe('linkpl', 16, BPF_B, 224);
        genAnd(b0, b1);
        return b1;
      }
      case 'ip6': {
        // RFC 4291: ff00::/8.
        const b0 = this.genLinktype(C.ETHERTYPE_IPV6);
        const b1 = this.genCmp('linkpl', 24, BPF_B, 255);
        genAnd(b0, b1);
        return b1;
      }
      default:
        break;
    }
    return fail(
      'link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel',
    );
  }

  /** gencode.c gen_inbound: the cooked headers' packet type says who sent it. */
  genInbound(outbound: boolean): Block {
    let b: Block;
    switch (this.layout.dlt) {
      case 'LINUX_SLL':
        b = this.genCmp('linkhdr', 0, BPF_H, C.LINUX_SLL_OUTGOING);
        break;
      case 'LINUX_SLL2':
        b = this.genCmp('linkhdr', 10, BPF_B, C.LINUX_SLL_OUTGOING);
        break;
      default:
        return fail(
          `inbound/outbound not supported on ${this.layout.description} when reading savefiles`,
        );
    }
    if (!outbound) genNot(b);
    return b;
  }

  /** gencode.c gen_ifindex: only cooked v2 records the interface index. */
  genIfindex(ifindex: number): Block {
    if (this.layout.dlt !== 'LINUX_SLL2') {
      fail(`ifindex not supported on ${this.layout.description} when reading savefiles`);
    }
    return this.genCmp('linkhdr', 4, BPF_W, ifindex);
  }

  /**
   * gencode.c gen_vlan, as libpcap runs it on savefiles (no BPF extensions,
   * gen_vlan_no_bpf_extensions): an 802.1Q, 802.1ad or QinQ tag, optionally
   * with this VLAN ID, after which every offset is 4 bytes further on.
   */
  genVlan(vlanNum: number | undefined): Block {
    if (this.layout.dlt !== 'EN10MB') fail(`no VLAN support for ${this.layout.description}`);
    // IEEE 802.1Q tag protocol identifiers.
    let b0 = this.genLinktype(C.ETHERTYPE_8021Q);
    let b1 = this.genLinktype(C.ETHERTYPE_8021AD);
    genOr(b0, b1);
    b0 = b1;
    b1 = this.genLinktype(C.ETHERTYPE_8021QINQ);
    genOr(b0, b1);
    b0 = b1;
    if (vlanNum !== undefined) {
      if (vlanNum > 0x0fff) fail(`VLAN tag ${vlanNum} greater than maximum 4095`);
      // The VLAN ID is the low 12 bits of the tag control information.
      b1 = this.genMcmp('linkpl', 0, BPF_H, vlanNum, 0x0fff);
      genAnd(b0, b1);
      b0 = b1;
    }
    this.layout.offLinkpl += 4;
    this.layout.offLinktype = (this.layout.offLinktype ?? 0) + 4;
    return b0;
  }

  /** `mpls`: tcplab does not follow MPLS label stacks. */
  genMpls(label: number | undefined): Block {
    if (this.layout.dlt !== 'EN10MB') fail(`no MPLS support for ${this.layout.description}`);
    if (label !== undefined && label > 0xfffff) {
      fail(`MPLS label ${label} greater than maximum 1048575`);
    }
    return this.unsupported('mpls');
  }

  /** gencode.c gen_pppoed: PPPoE discovery frames. */
  genPppoed(): Block {
    return this.genLinktype(C.ETHERTYPE_PPPOED);
  }

  /** gencode.c gen_llc and friends: 802.2 frames on Ethernet. */
  genLlc(kind: 'llc' | 'i' | 's' | 'u' | 's-subtype' | 'u-subtype', subtype = 0): Block {
    if (this.layout.dlt !== 'EN10MB') fail(`'llc' not supported for ${this.layout.description}`);
    // An 802.3 length field, and not Novell raw 802.3 (DSAP/SSAP 0xFFFF).
    const b0 = this.genCmpGt('linktype', 0, BPF_H, C.ETHERMTU);
    genNot(b0);
    const llc = this.genCmp('llc', 0, BPF_H, 0xffff);
    genNot(llc);
    genAnd(b0, llc);
    let b1: Block;
    switch (kind) {
      case 'llc':
        return llc;
      case 'i':
        // IEEE 802.2: I frames have the low bit of the control byte clear.
        b1 = newBlock(JMP(BPF_JSET), 0x01);
        b1.stmts = this.genLoadA('llc', 2, BPF_B);
        genNot(b1);
        break;
      case 's':
        b1 = this.genMcmp('llc', 2, BPF_B, C.LLC_S_FMT, 0x03);
        break;
      case 'u':
        b1 = this.genMcmp('llc', 2, BPF_B, C.LLC_U_FMT, 0x03);
        break;
      case 's-subtype':
        b1 = this.genMcmp('llc', 2, BPF_B, subtype, C.LLC_S_CMD_MASK);
        break;
      case 'u-subtype':
        b1 = this.genMcmp('llc', 2, BPF_B, subtype, C.LLC_U_CMD_MASK);
        break;
    }
    genAnd(llc, b1);
    return b1;
  }

  /** gencode.c finish_parse: tie the expression to "accept snaplen" and "reject". */
  finish(p: Block): Block {
    return finishBlocks(
      p,
      newBlock(BPF_RET | BPF_K, this.options.snaplen),
      newBlock(BPF_RET | BPF_K, 0),
    );
  }

  /**
   * gencode.c gen_protochain: follow IPv6 extension headers and IPsec AH to the
   * protocol. libpcap does it with backward jumps; tcplab does not implement it.
   */
  private genProtochain(proto: ProtoQ): Block {
    if (proto !== 'default' && proto !== 'ip' && proto !== 'ip6') {
      fail("bad protocol applied for 'protochain'");
    }
    return this.unsupported('protochain');
  }

  /**
   * A construct libpcap accepts here but tcplab does not implement. It is
   * refused once the whole expression has parsed, so that a syntax error or a
   * libpcap error elsewhere in the expression is reported as tcpdump reports it.
   */
  unsupported(what: string): Block {
    this.unsupportedFeature ??= what;
    return this.genTrue();
  }

  /** The first construct `unsupported()` met, if any. */
  unsupportedFeature: string | undefined;

  /** The program of an empty expression: accept everything. */
  acceptAll(): Block {
    return newBlock(BPF_RET | BPF_K, this.options.snaplen);
  }
}

/** The 802.11-only direction qualifiers used with IP addresses or ports. */
function wlanQualifierError(dir: DirQ, what: string): string {
  if (dir === 'ra' || dir === 'ta') return `'${dir}' is not a valid qualifier for ${what}`;
  const n = dir.slice(4);
  return `'addr${n}' and 'address${n}' are not valid qualifiers for ${what}`;
}

/** The same qualifiers with a MAC address on a non-802.11 link (gencode.c gen_ehostop). */
function wlanOnlyError(dir: DirQ): string {
  if (dir === 'ra' || dir === 'ta')
    return `'${dir}' is only supported on 802.11 with 802.11 headers`;
  const n = dir.slice(4);
  return `'addr${n}' and 'address${n}' are only supported on 802.11 with 802.11 headers`;
}

/** gen_scode: reconcile a service's protocol with the `tcp`/`udp`/`sctp` qualifier. */
function checkPortProto(real: number, proto: ProtoQ, prefix: string): number {
  const names: Record<number, string> = {
    [C.IPPROTO_TCP]: 'tcp',
    [C.IPPROTO_UDP]: 'udp',
    [C.IPPROTO_SCTP]: 'sctp',
  };
  const want =
    proto === 'udp'
      ? C.IPPROTO_UDP
      : proto === 'tcp'
        ? C.IPPROTO_TCP
        : proto === 'sctp'
          ? C.IPPROTO_SCTP
          : C.PROTO_UNDEF;
  if (want === C.PROTO_UNDEF) return real;
  // The three checks of gen_scode, in its order: udp, tcp, sctp.
  for (const p of [C.IPPROTO_TCP, C.IPPROTO_UDP, C.IPPROTO_SCTP]) {
    if (p !== want && real === p) fail(`${prefix} ${names[p]}`);
  }
  return want;
}

/**
 * nametoaddr.c pcap_nametoport: a service name looked up for TCP and then UDP;
 * a name both know with the same port stands for TCP, UDP and SCTP.
 */
export function nameToPort(name: string): { port: number; proto: number } | undefined {
  const tcp = serviceToPort(name, 'tcp');
  const udp = serviceToPort(name, 'udp');
  if (tcp !== undefined) {
    return { port: tcp, proto: udp === tcp ? C.PROTO_UNDEF : C.IPPROTO_TCP };
  }
  if (udp !== undefined) return { port: udp, proto: C.IPPROTO_UDP };
  return undefined;
}

/**
 * nametoaddr.c pcap_nametoportrange (libpcap 1.10): `sscanf(name, "%d-%d")`,
 * else two service names around the first hyphen.
 */
export function nameToPortrange(
  name: string,
): { port1: number; port2: number; proto: number } | undefined {
  const m = /^\s*([+-]?\d+)-\s*([+-]?\d+)/.exec(name);
  if (m) return { port1: scanInt(m[1]!), port2: scanInt(m[2]!), proto: C.PROTO_UNDEF };
  const hyphen = name.indexOf('-');
  if (hyphen < 0) return undefined;
  const first = nameToPort(name.slice(0, hyphen));
  if (!first) return undefined;
  const second = nameToPort(name.slice(hyphen + 1));
  if (!second) return undefined;
  return {
    port1: first.port,
    port2: second.port,
    proto: first.proto === second.proto ? first.proto : C.PROTO_UNDEF,
  };
}

/** glibc scanf `%d`: strtol() (64-bit, saturating), then stored into an int. */
function scanInt(text: string): number {
  let v = BigInt(text);
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  if (v > max) v = max;
  if (v < min) v = min;
  return Number(BigInt.asIntN(32, v));
}

/**
 * nametoaddr.c __pcap_atoin (libpcap 1.10): a dotted decimal address of one to
 * four parts, each at most 255; returns the value and its number of bits.
 * Characters are taken as `c - '0'`, whatever they are, as libpcap does.
 */
export function atoin(s: string): { addr: number; bits: number } | undefined {
  let addr = 0;
  let bits = 0;
  let i = 0;
  for (;;) {
    let n = 0;
    while (i < s.length && s[i] !== '.') {
      // libpcap: "The result will be > 255".
      if (n > 25) return undefined;
      n = n * 10 + s.charCodeAt(i) - 48;
      i++;
    }
    if (n > 255) return undefined;
    addr = ((addr << 8) | (n & 0xff)) >>> 0;
    bits += 8;
    if (i >= s.length) return { addr, bits };
    i++;
  }
}

/** nametoaddr.c __pcap_atodn: `area.node` as a 16-bit DECnet address. */
function atodn(s: string): number | undefined {
  const m = /^\s*([+-]?\d+)\.\s*([+-]?\d+)/.exec(s);
  if (!m) return undefined;
  const area = scanInt(m[1]!);
  const node = scanInt(m[2]!);
  return ((area << 10) & 0o176000) | (node & 0o1777);
}

/** nametoaddr.c pcap_ether_aton: hex digits in pairs, separators skipped. */
function etherAton(s: string): Uint8Array {
  const out: number[] = [];
  let i = 0;
  const hex = (c: string): number => Number.parseInt(c, 16);
  while (i < s.length) {
    if (s[i] === ':' || s[i] === '.' || s[i] === '-') i++;
    let d = hex(s[i++]!);
    if (i < s.length && /[0-9A-Fa-f]/.test(s[i]!)) d = (d << 4) | hex(s[i++]!);
    out.push(d);
  }
  return new Uint8Array(out.slice(0, 6));
}

/** `x << n` on 32 bits where n may be 32 (C's result for these callers: 0). */
function shiftLeft(x: number, n: number): number {
  return n >= 32 ? 0 : (x << n) >>> 0;
}

/**
 * inet_pton(AF_INET6): the textual forms of RFC 4291 section 2.2, including an
 * embedded dotted IPv4 tail; four 32-bit words, or undefined if malformed.
 */
export function parseIpv6(s: string): Uint32Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const octets = g.split('.');
        if (octets.length !== 4) return undefined;
        const bytes: number[] = [];
        for (const o of octets) {
          if (!/^[0-9]{1,3}$/.test(o) || Number(o) > 255) return undefined;
          if (o.length > 1 && o[0] === '0') return undefined;
          bytes.push(Number(o));
        }
        words.push((bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
        words.push(Number.parseInt(g, 16));
      }
    }
    return words;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  let words: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    words = head;
  }
  const out = new Uint32Array(4);
  for (let i = 0; i < 4; i++) out[i] = ((words[2 * i]! << 16) | words[2 * i + 1]!) >>> 0;
  return out;
}

/** nametoaddr.c eproto_db (libpcap 1.10): names for `ether proto \NAME`. */
const ETHER_PROTOCOLS = new Map<string, number>([
  ['ip', C.ETHERTYPE_IP],
  ['ip6', C.ETHERTYPE_IPV6],
  ['arp', C.ETHERTYPE_ARP],
  ['rarp', C.ETHERTYPE_REVARP],
  ['mopdl', C.ETHERTYPE_MOPDL],
  ['moprc', C.ETHERTYPE_MOPRC],
  ['decnet', C.ETHERTYPE_DN],
  ['lat', C.ETHERTYPE_LAT],
  ['sca', C.ETHERTYPE_SCA],
  ['atalk', C.ETHERTYPE_ATALK],
  ['aarp', C.ETHERTYPE_AARP],
  ['loopback', C.ETHERTYPE_LOOPBACK],
]);

/** nametoaddr.c llc_db: 802.2 SAP names, tried after the EtherTypes. */
const LLC_PROTOCOLS = new Map<string, number>([
  ['iso', C.LLCSAP_ISONS],
  ['stp', C.LLCSAP_8021D],
  ['ipx', C.LLCSAP_IPX],
  ['netbeui', C.LLCSAP_NETBEUI],
]);
