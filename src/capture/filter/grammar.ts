/**
 * The filter language's grammar, rule for rule and in the same order as
 * libpcap 1.10's grammar.y, with the same precedence declarations, so that
 * lalr.ts derives bison's parse tables. The semantic actions call the code
 * generator as grammar.y's do.
 *
 * The one trick to know: qualifiers flow forward. `host a or b` means `host a
 * or host b` because the rule for the bare `b` reads the qualifiers of the
 * value just below it on the parser's stack (`$<blk>0` in grammar.y, `below`
 * here); `and`, `or`, `not` and `(` copy the qualifiers of what precedes them.
 * A protocol name or a comparison leaves `qerr` behind, so `tcp or 80` is a
 * "syntax error in filter expression".
 */

import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from './bpf.js';
import * as C from './constants.js';
import {
  type AddrQ,
  type Arth,
  abortParse,
  type DirQ,
  fail,
  type Gen,
  type ProtoQ,
  QERR,
  type Qual,
} from './gencode.js';
import { type Block, genAnd, genNot, genOr } from './icode.js';
import { buildTables, type GrammarSpec, type ParseTables, type Production } from './lalr.js';

/** What a `blk` value holds: the qualifiers in force, and the code so far. */
export interface Blk {
  readonly q: Qual;
  readonly b: Block | null;
}

/** One compilation's parse context: the code generator and the finished program. */
export interface ParseContext {
  readonly gen: Gen;
  root: Block | null;
}

/** Semantic values are of several shapes, told apart by the rule that reads them. */
export type Val = unknown;

type P = Production<Val, ParseContext>;

const blk = (v: Val): Blk => v as Blk;
const str = (v: Val): string => v as string;
const num = (v: Val): number => v as number;
const arth = (v: Val): Arth => v as Arth;
const block = (v: Val): Block => v as Block;

/** grammar.y CHECK_PTR_VAL on a token the scanner rejected: its error is already set. */
function checked(v: Val): string {
  if (v === undefined) abortParse();
  return v as string;
}

const rule = (lhs: string, rhs: string, action?: P['action'], prec?: string): P => ({
  lhs,
  rhs: rhs === '' ? [] : rhs.split(' '),
  ...(action ? { action } : {}),
  ...(prec ? { prec } : {}),
});

/** `$$ = $<blk>0`: the qualifiers of what came before pass through. */
const passBelow: P['action'] = (_v, below) => below;

/** `$1 and $3` (gen_and): $3's code now runs after $1's, and its qualifiers go on. */
const andThen: P['action'] = (v) => {
  genAnd(blk(v[0]).b!, blk(v[2]).b!);
  return v[2];
};

/** `$1 or $3` (gen_or). */
const orThen: P['action'] = (v) => {
  genOr(blk(v[0]).b!, blk(v[2]).b!);
  return v[2];
};

/** `not $2` (gen_not) keeps $2's qualifiers. */
const negate: P['action'] = (v) => {
  genNot(blk(v[1]).b!);
  return v[1];
};

/** A rule whose value is a constant. */
const value =
  (x: Val): P['action'] =>
  () =>
    x;

const qual = (proto: Val, dir: DirQ, addr: AddrQ): Blk => ({
  q: { proto: proto as ProtoQ, dir, addr },
  b: null,
});

/** grammar.y nid: HID refuses the qualifiers that cannot take an IPv4 address. */
function checkHidQualifier(q: Qual): void {
  if (
    q.addr === 'port' ||
    q.addr === 'portrange' ||
    q.addr === 'proto' ||
    q.addr === 'protochain'
  ) {
    abortParse(`'${q.addr}' modifier applied to ip host`);
  }
}

/** grammar.y pfreason_to_num: pflog's reason names. */
const PF_REASONS = [
  'match',
  'bad-offset',
  'fragment',
  'short',
  'normalize',
  'memory',
  'bad-timestamp',
  'congestion',
  'ip-option',
  'proto-cksum',
  'state-mismatch',
  'state-insert',
  'state-limit',
  'src-limit',
  'synproxy',
];
/** grammar.y pfaction_to_num: pflog's action names. */
const PF_ACTIONS = [
  'pass',
  'accept',
  'drop',
  'block',
  'scrub',
  'noscrub',
  'nat',
  'nonat',
  'binat',
  'nobinat',
  'rdr',
  'nordr',
  'synproxy-drop',
];

/** grammar.y ieee80211_types and the subtypes of each (ieee80211.h). */
const WLAN_TYPES: ReadonlyMap<string, number> = new Map([
  ['data', 0x08],
  ['mgt', 0x00],
  ['management', 0x00],
  ['ctl', 0x04],
  ['control', 0x04],
]);
const WLAN_SUBTYPES: readonly (readonly [number, readonly string[]])[] = [
  [
    0x00,
    [
      'assocreq',
      'assoc-req',
      'assocresp',
      'assoc-resp',
      'reassocreq',
      'reassoc-req',
      'reassocresp',
      'reassoc-resp',
      'probereq',
      'probe-req',
      'proberesp',
      'probe-resp',
      'beacon',
      'atim',
      'disassoc',
      'disassociation',
      'auth',
      'authentication',
      'deauth',
      'deauthentication',
    ],
  ],
  [0x04, ['bar', 'ba', 'ps-poll', 'rts', 'cts', 'ack', 'cf-end', 'cf-end-ack']],
  [
    0x08,
    [
      'data',
      'data-cf-ack',
      'data-cf-poll',
      'data-cf-ack-poll',
      'null',
      'cf-ack',
      'cf-poll',
      'cf-ack-poll',
      'qos-data',
      'qos-data-cf-ack',
      'qos-data-cf-poll',
      'qos-data-cf-ack-poll',
      'qos',
      'qos-cf-poll',
      'qos-cf-ack-poll',
    ],
  ],
];

/** grammar.y llc_s_subtypes and llc_u_subtypes (llc.h). */
const LLC_S_SUBTYPES: ReadonlyMap<string, number> = new Map([
  ['rr', C.LLC_RR],
  ['rnr', C.LLC_RNR],
  ['rej', C.LLC_REJ],
]);
const LLC_U_SUBTYPES: ReadonlyMap<string, number> = new Map([
  ['ui', C.LLC_UI],
  ['ua', C.LLC_UA],
  ['disc', C.LLC_DISC],
  ['dm', C.LLC_DM],
  ['sabme', C.LLC_SABME],
  ['test', C.LLC_TEST],
  ['xid', C.LLC_XID],
  ['frmr', C.LLC_FRMR],
]);

const lower = (s: string): string => s.toLowerCase();

const arith =
  (code: number): P['action'] =>
  (v, _b, ctx) =>
    ctx.gen.genArth(code, arth(v[0]), arth(v[2]));

const PNAMES: readonly (readonly [string, ProtoQ])[] = [
  ['LINK', 'link'],
  ['IP', 'ip'],
  ['ARP', 'arp'],
  ['RARP', 'rarp'],
  ['SCTP', 'sctp'],
  ['TCP', 'tcp'],
  ['UDP', 'udp'],
  ['ICMP', 'icmp'],
  ['IGMP', 'igmp'],
  ['IGRP', 'igrp'],
  ['PIM', 'pim'],
  ['VRRP', 'vrrp'],
  ['CARP', 'carp'],
  ['ATALK', 'atalk'],
  ['AARP', 'aarp'],
  ['DECNET', 'decnet'],
  ['LAT', 'lat'],
  ['SCA', 'sca'],
  ['MOPDL', 'mopdl'],
  ['MOPRC', 'moprc'],
  ['IPV6', 'ip6'],
  ['ICMPV6', 'icmp6'],
  ['AH', 'ah'],
  ['ESP', 'esp'],
  ['ISO', 'iso'],
  ['ESIS', 'esis'],
  ['ISIS', 'isis'],
  ['L1', 'l1'],
  ['L2', 'l2'],
  ['IIH', 'iih'],
  ['LSP', 'lsp'],
  ['SNP', 'snp'],
  ['PSNP', 'psnp'],
  ['CSNP', 'csnp'],
  ['CLNP', 'clnp'],
  ['STP', 'stp'],
  ['IPX', 'ipx'],
  ['NETBEUI', 'netbeui'],
  ['RADIO', 'radio'],
];

/** pppoes, geneve: libpcap's range checks, then tcplab's refusal. */
function encapsulation(ctx: ParseContext, what: 'pppoes' | 'geneve', n?: number): Block {
  if (what === 'pppoes' && n !== undefined && n > 0xffff) {
    fail(`PPPoE session number ${n} greater than maximum 65535`);
  }
  if (what === 'geneve' && n !== undefined && n > 0xffffff) {
    fail(`Geneve VNI ${n} greater than maximum 16777215`);
  }
  return ctx.gen.unsupported(what);
}

const TERMINALS = [
  'DST',
  'SRC',
  'HOST',
  'GATEWAY',
  'NET',
  'NETMASK',
  'PORT',
  'PORTRANGE',
  'LESS',
  'GREATER',
  'PROTO',
  'PROTOCHAIN',
  'CBYTE',
  'ARP',
  'RARP',
  'IP',
  'SCTP',
  'TCP',
  'UDP',
  'ICMP',
  'IGMP',
  'IGRP',
  'PIM',
  'VRRP',
  'CARP',
  'ATALK',
  'AARP',
  'DECNET',
  'LAT',
  'SCA',
  'MOPRC',
  'MOPDL',
  'TK_BROADCAST',
  'TK_MULTICAST',
  'NUM',
  'INBOUND',
  'OUTBOUND',
  'IFINDEX',
  'PF_IFNAME',
  'PF_RSET',
  'PF_RNR',
  'PF_SRNR',
  'PF_REASON',
  'PF_ACTION',
  'TYPE',
  'SUBTYPE',
  'DIR',
  'ADDR1',
  'ADDR2',
  'ADDR3',
  'ADDR4',
  'RA',
  'TA',
  'LINK',
  'GEQ',
  'LEQ',
  'NEQ',
  'ID',
  'EID',
  'HID',
  'HID6',
  'AID',
  'LSH',
  'RSH',
  'LEN',
  'IPV6',
  'ICMPV6',
  'AH',
  'ESP',
  'VLAN',
  'MPLS',
  'PPPOED',
  'PPPOES',
  'GENEVE',
  'ISO',
  'ESIS',
  'CLNP',
  'ISIS',
  'L1',
  'L2',
  'IIH',
  'LSP',
  'SNP',
  'CSNP',
  'PSNP',
  'STP',
  'IPX',
  'NETBEUI',
  'LANE',
  'LLC',
  'METAC',
  'BCC',
  'SC',
  'ILMIC',
  'OAMF4EC',
  'OAMF4SC',
  'OAM',
  'OAMF4',
  'CONNECTMSG',
  'METACONNECT',
  'VPI',
  'VCI',
  'RADIO',
  'FISU',
  'LSSU',
  'MSU',
  'HFISU',
  'HLSSU',
  'HMSU',
  'SIO',
  'OPC',
  'DPC',
  'SLS',
  'HSIO',
  'HOPC',
  'HDPC',
  'HSLS',
  'LEX_ERROR',
  'AND',
  'OR',
  '!',
  '|',
  '&',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '(',
  ')',
  '[',
  ']',
  ':',
  '<',
  '>',
  '=',
  'UMINUS',
];

const PRODUCTIONS: P[] = [
  rule('prog', 'null expr', (v, _b, ctx) => {
    ctx.root = ctx.gen.finish(blk(v[1]).b!);
    return undefined;
  }),
  rule('prog', 'null'),
  rule('null', '', value({ q: QERR, b: null })),
  rule('expr', 'term'),
  rule('expr', 'expr and term', andThen),
  rule('expr', 'expr and id', andThen),
  rule('expr', 'expr or term', orThen),
  rule('expr', 'expr or id', orThen),
  rule('and', 'AND', passBelow),
  rule('or', 'OR', passBelow),
  rule('id', 'nid'),
  rule('id', 'pnum', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genNcode(null, num(v[0]), q) };
  }),
  rule('id', 'paren pid )', (v) => v[1]),
  rule('nid', 'ID', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genScode(checked(v[0]), q) };
  }),
  rule('nid', 'HID / NUM', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genMcode(checked(v[0]), null, num(v[2]), q) };
  }),
  rule('nid', 'HID NETMASK HID', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genMcode(checked(v[0]), checked(v[2]), 0, q) };
  }),
  rule('nid', 'HID', (v, below, ctx) => {
    const s = checked(v[0]);
    const q = blk(below).q;
    checkHidQualifier(q);
    return { q, b: ctx.gen.genNcode(s, 0, q) };
  }),
  rule('nid', 'HID6 / NUM', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genMcode6(checked(v[0]), num(v[2]), q) };
  }),
  rule('nid', 'HID6', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genMcode6(checked(v[0]), 128, q) };
  }),
  rule('nid', 'EID', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genEcode(checked(v[0]), q) };
  }),
  rule('nid', 'AID', (v) => {
    checked(v[0]);
    // gencode.c gen_acode: ARCnet addresses, and no tcplab link type is ARCnet.
    return fail('aid supported only on ARCnet');
  }),
  rule('nid', 'not id', negate),
  rule('not', '!', passBelow),
  rule('paren', '(', passBelow),
  rule('pid', 'nid'),
  rule('pid', 'qid and id', andThen),
  rule('pid', 'qid or id', orThen),
  rule('qid', 'pnum', (v, below, ctx) => {
    const q = blk(below).q;
    return { q, b: ctx.gen.genNcode(null, num(v[0]), q) };
  }),
  rule('qid', 'pid'),
  rule('term', 'rterm'),
  rule('term', 'not term', negate),
  rule('head', 'pqual dqual aqual', (v) => qual(v[0], v[1] as DirQ, v[2] as AddrQ)),
  rule('head', 'pqual dqual', (v) => qual(v[0], v[1] as DirQ, 'default')),
  rule('head', 'pqual aqual', (v) => qual(v[0], 'default', v[1] as AddrQ)),
  rule('head', 'pqual PROTO', (v) => qual(v[0], 'default', 'proto')),
  rule('head', 'pqual PROTOCHAIN', (v) => qual(v[0], 'default', 'protochain')),
  rule('head', 'pqual ndaqual', (v) => qual(v[0], 'default', v[1] as AddrQ)),
  rule('rterm', 'head id', (v) => v[1]),
  rule('rterm', 'paren expr )', (v) => ({ q: blk(v[0]).q, b: blk(v[1]).b })),
  rule('rterm', 'pname', (v, _b, ctx) => ({
    q: QERR,
    b: ctx.gen.genProtoAbbrev(v[0] as ProtoQ),
  })),
  rule('rterm', 'arth relop arth', (v, _b, ctx) => ({
    q: QERR,
    b: ctx.gen.genRelation(num(v[1]), arth(v[0]), arth(v[2]), false),
  })),
  rule('rterm', 'arth irelop arth', (v, _b, ctx) => ({
    q: QERR,
    b: ctx.gen.genRelation(num(v[1]), arth(v[0]), arth(v[2]), true),
  })),
  rule('rterm', 'other', (v) => ({ q: QERR, b: block(v[0]) })),
  rule('rterm', 'atmtype', (v) => fail(`'${str(v[0])}' supported only on raw ATM`)),
  rule('rterm', 'atmmultitype', (v) => fail(`'${str(v[0])}' supported only on raw ATM`)),
  rule('rterm', 'atmfield atmvalue', (v) => v[1]),
  rule('rterm', 'mtp2type', (v) => {
    const t = str(v[0]);
    return fail(`'${t}' supported only on ${t.startsWith('h') ? 'MTP2_HSL' : 'MTP2'}`);
  }),
  rule('rterm', 'mtp3field mtp3value', (v) => v[1]),
  rule('pqual', 'pname'),
  rule('pqual', '', value('default')),
  rule('dqual', 'SRC', value('src')),
  rule('dqual', 'DST', value('dst')),
  rule('dqual', 'SRC OR DST', value('or')),
  rule('dqual', 'DST OR SRC', value('or')),
  rule('dqual', 'SRC AND DST', value('and')),
  rule('dqual', 'DST AND SRC', value('and')),
  rule('dqual', 'ADDR1', value('addr1')),
  rule('dqual', 'ADDR2', value('addr2')),
  rule('dqual', 'ADDR3', value('addr3')),
  rule('dqual', 'ADDR4', value('addr4')),
  rule('dqual', 'RA', value('ra')),
  rule('dqual', 'TA', value('ta')),
  rule('aqual', 'HOST', value('host')),
  rule('aqual', 'NET', value('net')),
  rule('aqual', 'PORT', value('port')),
  rule('aqual', 'PORTRANGE', value('portrange')),
  rule('ndaqual', 'GATEWAY', value('gateway')),
  ...PNAMES.map(([tok, q]) => rule('pname', tok, value(q))),
  rule('other', 'pqual TK_BROADCAST', (v, _b, ctx) => ctx.gen.genBroadcast(v[0] as ProtoQ)),
  rule('other', 'pqual TK_MULTICAST', (v, _b, ctx) => ctx.gen.genMulticast(v[0] as ProtoQ)),
  rule('other', 'LESS NUM', (v, _b, ctx) => ctx.gen.genLess(num(v[1]))),
  rule('other', 'GREATER NUM', (v, _b, ctx) => ctx.gen.genGreater(num(v[1]))),
  rule('other', 'CBYTE NUM byteop NUM', (v, _b, ctx) =>
    ctx.gen.genByteop(str(v[2]), num(v[1]), num(v[3])),
  ),
  rule('other', 'INBOUND', (_v, _b, ctx) => ctx.gen.genInbound(false)),
  rule('other', 'OUTBOUND', (_v, _b, ctx) => ctx.gen.genInbound(true)),
  rule('other', 'IFINDEX NUM', (v, _b, ctx) => ctx.gen.genIfindex(num(v[1]))),
  rule('other', 'VLAN pnum', (v, _b, ctx) => ctx.gen.genVlan(num(v[1]))),
  rule('other', 'VLAN', (_v, _b, ctx) => ctx.gen.genVlan(undefined)),
  rule('other', 'MPLS pnum', (v, _b, ctx) => ctx.gen.genMpls(num(v[1]))),
  rule('other', 'MPLS', (_v, _b, ctx) => ctx.gen.genMpls(undefined)),
  rule('other', 'PPPOED', (_v, _b, ctx) => ctx.gen.genPppoed()),
  rule('other', 'PPPOES pnum', (v, _b, ctx) => encapsulation(ctx, 'pppoes', num(v[1]))),
  rule('other', 'PPPOES', (_v, _b, ctx) => encapsulation(ctx, 'pppoes')),
  rule('other', 'GENEVE pnum', (v, _b, ctx) => encapsulation(ctx, 'geneve', num(v[1]))),
  rule('other', 'GENEVE', (_v, _b, ctx) => encapsulation(ctx, 'geneve')),
  rule('other', 'pfvar'),
  rule('other', 'pqual p80211', (v) => v[1]),
  rule('other', 'pllc'),
  rule('pfvar', 'PF_IFNAME ID', () => fail('ifname supported only on PF linktype')),
  rule('pfvar', 'PF_RSET ID', () => fail('ruleset supported only on PF linktype')),
  rule('pfvar', 'PF_RNR NUM', () => fail('rnr supported only on PF linktype')),
  rule('pfvar', 'PF_SRNR NUM', () => fail('srnr supported only on PF linktype')),
  rule('pfvar', 'PF_REASON reason', () => fail('reason supported only on PF linktype')),
  rule('pfvar', 'PF_ACTION action', () => fail('action supported only on PF linktype')),
  rule('p80211', 'TYPE type SUBTYPE subtype', () =>
    fail('802.11 link-layer types supported only on 802.11'),
  ),
  rule('p80211', 'TYPE type', () => fail('802.11 link-layer types supported only on 802.11')),
  rule('p80211', 'SUBTYPE type_subtype', () =>
    fail('802.11 link-layer types supported only on 802.11'),
  ),
  rule('p80211', 'DIR dir', () => fail('frame direction supported only with 802.11 headers')),
  rule('type', 'NUM', (v) => {
    const n = num(v[0]);
    // ieee80211.h IEEE80211_FC0_TYPE_MASK is 0x0c.
    if ((n & ~0x0c) >>> 0 !== 0) abortParse(`invalid 802.11 type value 0x${hex2(n)}`);
    return n;
  }),
  rule('type', 'ID', (v) => {
    const t = WLAN_TYPES.get(lower(str(v[0])));
    return t ?? abortParse(`unknown 802.11 type name "${str(v[0])}"`);
  }),
  rule('subtype', 'NUM', (v) => {
    const n = num(v[0]);
    // ieee80211.h IEEE80211_FC0_SUBTYPE_MASK is 0xf0.
    if ((n & ~0xf0) >>> 0 !== 0) abortParse(`invalid 802.11 subtype value 0x${hex2(n)}`);
    return n;
  }),
  // grammar.y reads the type two places down the stack ($<i>-1).
  rule('subtype', 'ID', (v, _below, _ctx, type) => {
    const names = WLAN_SUBTYPES.find(([t]) => t === num(type))?.[1];
    if (!names) return abortParse('unknown 802.11 type');
    const i = names.indexOf(lower(str(v[0])));
    return i >= 0 ? i : abortParse(`unknown 802.11 subtype name "${str(v[0])}"`);
  }),
  rule('type_subtype', 'ID', (v) => {
    for (const [, names] of WLAN_SUBTYPES) if (names.includes(lower(str(v[0])))) return 0;
    return abortParse('unknown 802.11 type name');
  }),
  rule('pllc', 'LLC', (_v, _b, ctx) => ctx.gen.genLlc('llc')),
  rule('pllc', 'LLC ID', (v, _b, ctx) => {
    const name = lower(str(v[1]));
    if (name === 'i') return ctx.gen.genLlc('i');
    if (name === 's') return ctx.gen.genLlc('s');
    if (name === 'u') return ctx.gen.genLlc('u');
    const s = LLC_S_SUBTYPES.get(name);
    if (s !== undefined) return ctx.gen.genLlc('s-subtype', s);
    const u = LLC_U_SUBTYPES.get(name);
    if (u !== undefined) return ctx.gen.genLlc('u-subtype', u);
    return abortParse(`unknown LLC type name "${str(v[1])}"`);
  }),
  // "rnr" is also a keyword for pflog, hence its own rule (grammar.y).
  rule('pllc', 'LLC PF_RNR', (_v, _b, ctx) => ctx.gen.genLlc('s-subtype', C.LLC_RNR)),
  rule('dir', 'NUM'),
  rule('dir', 'ID', (v) => {
    const d = ['nods', 'tods', 'fromds', 'dstods'].indexOf(lower(str(v[0])));
    return d >= 0 ? d : abortParse('unknown 802.11 direction');
  }),
  rule('reason', 'NUM'),
  rule('reason', 'ID', (v) => {
    const i = PF_REASONS.indexOf(lower(str(v[0])));
    return i >= 0 ? i : abortParse(`unknown PF reason "${str(v[0])}"`);
  }),
  rule('action', 'ID', (v) => {
    const i = PF_ACTIONS.indexOf(lower(str(v[0])));
    return i >= 0 ? i : abortParse(`unknown PF action "${str(v[0])}"`);
  }),
  rule('relop', '>', value(BPF_JGT)),
  rule('relop', 'GEQ', value(BPF_JGE)),
  rule('relop', '=', value(BPF_JEQ)),
  rule('irelop', 'LEQ', value(BPF_JGT)),
  rule('irelop', '<', value(BPF_JGE)),
  rule('irelop', 'NEQ', value(BPF_JEQ)),
  rule('arth', 'pnum', (v, _b, ctx) => ctx.gen.genLoadi(num(v[0]))),
  rule('arth', 'narth'),
  rule('narth', 'pname [ arth ]', (v, _b, ctx) => ctx.gen.genLoad(v[0] as ProtoQ, arth(v[2]), 1)),
  rule('narth', 'pname [ arth : NUM ]', (v, _b, ctx) =>
    ctx.gen.genLoad(v[0] as ProtoQ, arth(v[2]), num(v[4])),
  ),
  rule('narth', 'arth + arth', arith(BPF_ADD)),
  rule('narth', 'arth - arth', arith(BPF_SUB)),
  rule('narth', 'arth * arth', arith(BPF_MUL)),
  rule('narth', 'arth / arth', arith(BPF_DIV)),
  rule('narth', 'arth % arth', arith(BPF_MOD)),
  rule('narth', 'arth & arth', arith(BPF_AND)),
  rule('narth', 'arth | arth', arith(BPF_OR)),
  rule('narth', 'arth ^ arth', arith(BPF_XOR)),
  rule('narth', 'arth LSH arth', arith(BPF_LSH)),
  rule('narth', 'arth RSH arth', arith(BPF_RSH)),
  rule('narth', '- arth', (v, _b, ctx) => ctx.gen.genNeg(arth(v[1])), 'UMINUS'),
  rule('narth', 'paren narth )', (v) => v[1]),
  rule('narth', 'LEN', (_v, _b, ctx) => ctx.gen.genLoadlen()),
  rule('byteop', '&', value('&')),
  rule('byteop', '|', value('|')),
  rule('byteop', '<', value('<')),
  rule('byteop', '>', value('>')),
  rule('byteop', '=', value('=')),
  rule('pnum', 'NUM'),
  rule('pnum', 'paren pnum )', (v) => v[1]),
  rule('atmtype', 'LANE', value('lane')),
  rule('atmtype', 'METAC', value('metac')),
  rule('atmtype', 'BCC', value('bcc')),
  rule('atmtype', 'OAMF4EC', value('oamf4ec')),
  rule('atmtype', 'OAMF4SC', value('oamf4sc')),
  rule('atmtype', 'SC', value('sc')),
  rule('atmtype', 'ILMIC', value('ilmic')),
  rule('atmmultitype', 'OAM', value('oam')),
  rule('atmmultitype', 'OAMF4', value('oamf4')),
  rule('atmmultitype', 'CONNECTMSG', value('connectmsg')),
  rule('atmmultitype', 'METACONNECT', value('metaconnect')),
  rule('atmfield', 'VPI', value('vpi')),
  rule('atmfield', 'VCI', value('vci')),
  rule('atmvalue', 'atmfieldvalue'),
  rule('atmvalue', 'relop NUM', (_v, below) => fail(`'${str(below)}' supported only on raw ATM`)),
  rule('atmvalue', 'irelop NUM', (_v, below) => fail(`'${str(below)}' supported only on raw ATM`)),
  rule('atmvalue', 'paren atmlistvalue )', (v) => v[1]),
  rule('atmfieldvalue', 'NUM', (_v, below) => fail(`'${str(below)}' supported only on raw ATM`)),
  rule('atmlistvalue', 'atmfieldvalue'),
  rule('atmlistvalue', 'atmlistvalue or atmfieldvalue', (v) => v[2]),
  rule('mtp2type', 'FISU', value('fisu')),
  rule('mtp2type', 'LSSU', value('lssu')),
  rule('mtp2type', 'MSU', value('msu')),
  rule('mtp2type', 'HFISU', value('hfisu')),
  rule('mtp2type', 'HLSSU', value('hlssu')),
  rule('mtp2type', 'HMSU', value('hmsu')),
  // The high-speed MTP3 fields report the plain name (gencode.c gen_mtp3field_code).
  rule('mtp3field', 'SIO', value('sio')),
  rule('mtp3field', 'OPC', value('opc')),
  rule('mtp3field', 'DPC', value('dpc')),
  rule('mtp3field', 'SLS', value('sls')),
  rule('mtp3field', 'HSIO', value('sio')),
  rule('mtp3field', 'HOPC', value('opc')),
  rule('mtp3field', 'HDPC', value('dpc')),
  rule('mtp3field', 'HSLS', value('sls')),
  rule('mtp3value', 'mtp3fieldvalue'),
  rule('mtp3value', 'relop NUM', (_v, below) => fail(`'${str(below)}' supported only on SS7`)),
  rule('mtp3value', 'irelop NUM', (_v, below) => fail(`'${str(below)}' supported only on SS7`)),
  rule('mtp3value', 'paren mtp3listvalue )', (v) => v[1]),
  rule('mtp3fieldvalue', 'NUM', (_v, below) => fail(`'${str(below)}' supported only on SS7`)),
  rule('mtp3listvalue', 'mtp3fieldvalue'),
  rule('mtp3listvalue', 'mtp3listvalue or mtp3fieldvalue', (v) => v[2]),
];

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** grammar.y's precedence declarations, lowest first. */
export const GRAMMAR: GrammarSpec<Val, ParseContext> = {
  start: 'prog',
  terminals: TERMINALS,
  precedence: [
    ['left', ['OR', 'AND']],
    ['nonassoc', ['!']],
    ['left', ['|']],
    ['left', ['&']],
    ['left', ['LSH', 'RSH']],
    ['left', ['+', '-']],
    ['left', ['*', '/']],
    ['nonassoc', ['UMINUS']],
  ],
  productions: PRODUCTIONS,
};

let tables: ParseTables<Val, ParseContext> | undefined;

/** The parse tables, built on first use (a few milliseconds) and kept. */
export function parseTables(): ParseTables<Val, ParseContext> {
  tables ??= buildTables(GRAMMAR);
  return tables;
}
