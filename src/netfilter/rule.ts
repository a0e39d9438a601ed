/**
 * A rule of the filter table as the kernel holds it (struct ipt_entry): the IP
 * part (addresses and masks, interfaces, protocol, each with its inversion
 * flag), a list of matches and one target, and the packet and byte counters.
 * Each match and target keeps the fields of its xt_*_info structure, so that
 * printing them (print.ts) is what libxt_*.c's print and save functions do and
 * matching them is what the kernel's xt_*.c match functions do.
 */

import type { Time } from '../sim/time.js';

/** xt_conntrack / xt_state bits (include/uapi/linux/netfilter/nf_conntrack_common.h). */
export const CT_INVALID = 1;
export const CT_NEW = 1 << 1;
export const CT_ESTABLISHED = 1 << 2;
export const CT_RELATED = 1 << 3;
export const CT_UNTRACKED = 1 << 4;
export const CT_SNAT = 1 << 5;
export const CT_DNAT = 1 << 6;

/** TCP flag bits as libxt_tcp names them (tcp_flag_names). */
export const TCP_FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
  ['ALL', 0x3f],
  ['NONE', 0],
];

/** The IP part of a rule (struct ipt_ip). Masks are 32-bit values; 0 means any. */
export interface IpPart {
  readonly src: number;
  readonly smsk: number;
  readonly dst: number;
  readonly dmsk: number;
  /** '' is any; a trailing '+' matches a prefix (`eth+`). */
  readonly iniface: string;
  readonly outiface: string;
  /** 0 is all. */
  readonly proto: number;
  readonly invSrc: boolean;
  readonly invDst: boolean;
  readonly invIn: boolean;
  readonly invOut: boolean;
  readonly invProto: boolean;
  /** -f: second and further fragments only. */
  readonly fragment: boolean;
  readonly invFragment: boolean;
}

export const ANY_IP: IpPart = {
  src: 0,
  smsk: 0,
  dst: 0,
  dmsk: 0,
  iniface: '',
  outiface: '',
  proto: 0,
  invSrc: false,
  invDst: false,
  invIn: false,
  invOut: false,
  invProto: false,
  fragment: false,
  invFragment: false,
};

/** xt_tcp. */
export interface TcpMatch {
  readonly kind: 'tcp';
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly flgMask: number;
  readonly flgCmp: number;
  readonly invSpt: boolean;
  readonly invDpt: boolean;
  readonly invFlags: boolean;
}

/** xt_udp. */
export interface UdpMatch {
  readonly kind: 'udp';
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSpt: boolean;
  readonly invDpt: boolean;
}

/** ipt_icmp: type 0xff is "any". */
export interface IcmpMatch {
  readonly kind: 'icmp';
  readonly type: number;
  readonly codeMin: number;
  readonly codeMax: number;
  readonly invert: boolean;
}

/** xt_multiport_v1: ports and ranges (a range is two entries, the first flagged). */
export interface MultiportMatch {
  readonly kind: 'multiport';
  readonly flags: 'src' | 'dst' | 'any';
  readonly ports: readonly number[];
  readonly isRange: readonly boolean[];
  readonly invert: boolean;
}

/**
 * `-m limit`. iptables-nft (1.8.9) does not load xt_limit: it turns the match
 * into nf_tables' own `limit rate R/unit burst B packets` (nft.c add_nft_limit;
 * `nft list ruleset` shows it), so the bucket is nft_limit.c's, counted in
 * nanoseconds rather than in jiffies. `avg` keeps xt_rateinfo's period, which
 * is what iptables prints.
 */
export interface LimitMatch {
  readonly kind: 'limit';
  /** Period per packet in 1/XT_LIMIT_SCALE seconds (xt_rateinfo.avg). */
  readonly avg: number;
  readonly burst: number;
  readonly state: LimitState;
}

/** struct nft_limit_priv and its nft_limit: tokens are nanoseconds of credit. */
export interface LimitState {
  tokens: number;
  last: Time;
  readonly tokensMax: number;
  readonly cost: number;
}

/** xt_conntrack --ctstate (revision 3) or xt_state --state. */
export interface StateMatch {
  readonly kind: 'conntrack' | 'state';
  readonly states: number;
  readonly invert: boolean;
}

/** xt_comment: matches everything, carries a note. */
export interface CommentMatch {
  readonly kind: 'comment';
  readonly comment: string;
}

export type Match =
  | TcpMatch
  | UdpMatch
  | IcmpMatch
  | MultiportMatch
  | LimitMatch
  | StateMatch
  | CommentMatch;

/** ipt_REJECT's reject types (include/uapi/linux/netfilter_ipv4/ipt_REJECT.h). */
export type RejectWith =
  | 'icmp-net-unreachable'
  | 'icmp-host-unreachable'
  | 'icmp-proto-unreachable'
  | 'icmp-port-unreachable'
  | 'icmp-net-prohibited'
  | 'icmp-host-prohibited'
  | 'tcp-reset'
  | 'icmp-admin-prohibited';

export type Target =
  | { readonly kind: 'none' }
  | { readonly kind: 'verdict'; readonly verdict: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  | { readonly kind: 'REJECT'; readonly with: RejectWith }
  | {
      readonly kind: 'LOG';
      readonly level: number;
      readonly prefix: string;
      /** XT_LOG_TCPSEQ 1, TCPOPT 2, IPOPT 4, UID 8, MACDECODE 0x20. */
      readonly flags: number;
    };

export interface Rule {
  readonly ip: IpPart;
  readonly matches: readonly Match[];
  readonly target: Target;
  pkts: bigint;
  bytes: bigint;
}

/** xt_limit.h: XT_LIMIT_SCALE. */
export const XT_LIMIT_SCALE = 10_000;

const LIMIT_UNITS: readonly number[] = [24 * 60 * 60, 60 * 60, 60, 1];

/**
 * add_nft_limit: xt_rateinfo's period as nft's rate per unit (in seconds),
 * choosing the unit as libxt_limit's print_rate does.
 */
export function nftRate(avg: number): { rate: number; unit: number } {
  let i = 1;
  for (; i < LIMIT_UNITS.length; i++) {
    const mult = XT_LIMIT_SCALE * LIMIT_UNITS[i]!;
    if (avg > mult || Math.floor(mult / avg) < mult % avg) break;
  }
  const unit = LIMIT_UNITS[i - 1]!;
  return { rate: Math.floor((XT_LIMIT_SCALE * unit) / avg), unit };
}

/**
 * nft_limit_init for packets: cost = unit / rate in ns, a full bucket of
 * cost × burst to start; a burst of 0 is NFT_LIMIT_PKT_BURST_DEFAULT, 5.
 */
export function newLimitState(avg: number, burst: number, now: Time): LimitState {
  const { rate, unit } = nftRate(avg);
  const cost = Math.floor((unit * 1_000_000_000) / Math.max(rate, 1));
  const tokensMax = cost * (burst === 0 ? 5 : burst);
  return { tokens: tokensMax, last: now, tokensMax, cost };
}

/** nft_limit_eval: earn a nanosecond of credit per nanosecond, spend `cost` per packet. */
export function limitAllows(s: LimitState, now: Time): boolean {
  let tokens = s.tokens + (now - s.last);
  if (tokens > s.tokensMax) tokens = s.tokensMax;
  s.last = now;
  const delta = tokens - s.cost;
  if (delta >= 0) {
    s.tokens = delta;
    return true;
  }
  s.tokens = tokens;
  return false;
}

/** The standard targets and the extensions a chain name may not clash with. */
export const TARGET_NAMES: ReadonlySet<string> = new Set([
  'ACCEPT',
  'DROP',
  'RETURN',
  'QUEUE',
  'REJECT',
  'LOG',
  'NFQUEUE',
  'MARK',
  'CONNMARK',
  'TRACE',
  'NOTRACK',
  'CT',
  'TCPMSS',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'REDIRECT',
]);

/** /etc/protocols of Debian 12 (netbase), number → name, for getprotobynumber. */
const PROTOCOLS: readonly (readonly [string, number])[] = [
  ['ip', 0],
  ['icmp', 1],
  ['igmp', 2],
  ['ggp', 3],
  ['ipencap', 4],
  ['st', 5],
  ['tcp', 6],
  ['egp', 8],
  ['igp', 9],
  ['pup', 12],
  ['udp', 17],
  ['hmp', 20],
  ['xns-idp', 22],
  ['rdp', 27],
  ['iso-tp4', 29],
  ['dccp', 33],
  ['xtp', 36],
  ['ddp', 37],
  ['idpr-cmtp', 38],
  ['ipv6', 41],
  ['ipv6-route', 43],
  ['ipv6-frag', 44],
  ['idrp', 45],
  ['rsvp', 46],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['skip', 57],
  ['ipv6-icmp', 58],
  ['ipv6-nonxt', 59],
  ['ipv6-opts', 60],
  ['rspf', 73],
  ['vmtp', 81],
  ['eigrp', 88],
  ['ospf', 89],
  ['ax.25', 93],
  ['ipip', 94],
  ['etherip', 97],
  ['encap', 98],
  ['pim', 103],
  ['ipcomp', 108],
  ['vrrp', 112],
  ['l2tp', 115],
  ['isis', 124],
  ['sctp', 132],
  ['fc', 133],
  ['mobility-header', 135],
  ['udplite', 136],
  ['mpls-in-ip', 137],
  ['manet', 138],
  ['hip', 139],
  ['shim6', 140],
  ['wesp', 141],
  ['rohc', 142],
  ['ethernet', 143],
];

const PROTO_BY_NUMBER = new Map(PROTOCOLS.map(([n, p]) => [p, n]));
const PROTO_BY_NAME = new Map(PROTOCOLS.map(([n, p]) => [n, p]));

/** proto_to_name (xshared.c): "all" for 0, else getprotobynumber. */
export function protoName(proto: number): string | undefined {
  if (proto === 0) return 'all';
  return PROTO_BY_NUMBER.get(proto);
}

/**
 * xtables_parse_protocol: "all", a name from /etc/protocols or xtables'
 * own table (case-insensitive), or a number 0-255.
 */
export function parseProtocol(s: string): number | undefined {
  const lower = s.toLowerCase();
  if (lower === 'all') return 0;
  const byName = PROTO_BY_NAME.get(s) ?? PROTO_BY_NAME.get(lower);
  if (byName !== undefined && byName !== 0) return byName;
  if (lower === 'icmpv6') return 58;
  if (lower === 'mh' || lower === 'ipv6-mh') return 135;
  if (/^[0-9]+$/.test(s) && Number(s) <= 255) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s) && Number(s) <= 255) return Number(s);
  return undefined;
}

/** iface_match: an exact name, or a prefix ending in '+'. */
export function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}
