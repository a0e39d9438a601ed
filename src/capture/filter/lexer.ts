/**
 * The filter language's scanner, after libpcap 1.10's scanner.l: at each point
 * the longest match of any rule wins, and of equally long matches the earliest
 * rule (flex's rule). That is why `tcp` is a keyword but `tcpx` a name, why
 * `0x1f` is a number and `0x` a name, why `1.2.3.4` is an address and
 * `1.2.3.4.` a name, and why twelve hex digits in a row are a MAC address.
 *
 * Bad tokens do not throw: a number that does not fit, an impossible MAC or
 * IPv6 address comes back as a token carrying libpcap's error text, which the
 * parser reports as the compilation's error.
 */

/** Token kinds: the grammar's terminal names (grammar.y.in %token). */
export type TokenKind = string;

export interface Token {
  readonly kind: TokenKind;
  /** NUM: the value; ID, HID, HID6, EID, AID: the text. */
  readonly num?: number;
  readonly text?: string;
  /** Set when the scanner itself rejects the token (libpcap bpf_set_error + LEX_ERROR). */
  readonly error?: string;
}

/** scanner.l keywords and the tokens they return. */
const KEYWORDS: ReadonlyMap<string, TokenKind> = new Map([
  ['dst', 'DST'],
  ['src', 'SRC'],
  ['link', 'LINK'],
  ['ether', 'LINK'],
  ['ppp', 'LINK'],
  ['slip', 'LINK'],
  ['fddi', 'LINK'],
  ['tr', 'LINK'],
  ['wlan', 'LINK'],
  ['arp', 'ARP'],
  ['rarp', 'RARP'],
  ['ip', 'IP'],
  ['sctp', 'SCTP'],
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['icmp', 'ICMP'],
  ['igmp', 'IGMP'],
  ['igrp', 'IGRP'],
  ['pim', 'PIM'],
  ['vrrp', 'VRRP'],
  ['carp', 'CARP'],
  ['radio', 'RADIO'],
  ['ip6', 'IPV6'],
  ['icmp6', 'ICMPV6'],
  ['ah', 'AH'],
  ['esp', 'ESP'],
  ['atalk', 'ATALK'],
  ['aarp', 'AARP'],
  ['decnet', 'DECNET'],
  ['lat', 'LAT'],
  ['sca', 'SCA'],
  ['moprc', 'MOPRC'],
  ['mopdl', 'MOPDL'],
  ['iso', 'ISO'],
  ['esis', 'ESIS'],
  ['es-is', 'ESIS'],
  ['isis', 'ISIS'],
  ['is-is', 'ISIS'],
  ['l1', 'L1'],
  ['l2', 'L2'],
  ['iih', 'IIH'],
  ['lsp', 'LSP'],
  ['snp', 'SNP'],
  ['csnp', 'CSNP'],
  ['psnp', 'PSNP'],
  ['clnp', 'CLNP'],
  ['stp', 'STP'],
  ['ipx', 'IPX'],
  ['netbeui', 'NETBEUI'],
  ['host', 'HOST'],
  ['net', 'NET'],
  ['mask', 'NETMASK'],
  ['port', 'PORT'],
  ['portrange', 'PORTRANGE'],
  ['proto', 'PROTO'],
  ['protochain', 'PROTOCHAIN'],
  ['gateway', 'GATEWAY'],
  ['type', 'TYPE'],
  ['subtype', 'SUBTYPE'],
  ['direction', 'DIR'],
  ['dir', 'DIR'],
  ['address1', 'ADDR1'],
  ['addr1', 'ADDR1'],
  ['address2', 'ADDR2'],
  ['addr2', 'ADDR2'],
  ['address3', 'ADDR3'],
  ['addr3', 'ADDR3'],
  ['address4', 'ADDR4'],
  ['addr4', 'ADDR4'],
  ['ra', 'RA'],
  ['ta', 'TA'],
  ['less', 'LESS'],
  ['greater', 'GREATER'],
  ['byte', 'CBYTE'],
  ['broadcast', 'TK_BROADCAST'],
  ['multicast', 'TK_MULTICAST'],
  ['and', 'AND'],
  ['or', 'OR'],
  ['not', '!'],
  ['len', 'LEN'],
  ['length', 'LEN'],
  ['inbound', 'INBOUND'],
  ['outbound', 'OUTBOUND'],
  ['ifindex', 'IFINDEX'],
  ['vlan', 'VLAN'],
  ['mpls', 'MPLS'],
  ['pppoed', 'PPPOED'],
  ['pppoes', 'PPPOES'],
  ['geneve', 'GENEVE'],
  ['lane', 'LANE'],
  ['llc', 'LLC'],
  ['metac', 'METAC'],
  ['bcc', 'BCC'],
  ['oam', 'OAM'],
  ['oamf4', 'OAMF4'],
  ['oamf4ec', 'OAMF4EC'],
  ['oamf4sc', 'OAMF4SC'],
  ['sc', 'SC'],
  ['ilmic', 'ILMIC'],
  ['vpi', 'VPI'],
  ['vci', 'VCI'],
  ['connectmsg', 'CONNECTMSG'],
  ['metaconnect', 'METACONNECT'],
  ['on', 'PF_IFNAME'],
  ['ifname', 'PF_IFNAME'],
  ['rset', 'PF_RSET'],
  ['ruleset', 'PF_RSET'],
  ['rnr', 'PF_RNR'],
  ['rulenum', 'PF_RNR'],
  ['srnr', 'PF_SRNR'],
  ['subrulenum', 'PF_SRNR'],
  ['reason', 'PF_REASON'],
  ['action', 'PF_ACTION'],
  ['fisu', 'FISU'],
  ['lssu', 'LSSU'],
  ['lsu', 'LSSU'],
  ['msu', 'MSU'],
  ['hfisu', 'HFISU'],
  ['hlssu', 'HLSSU'],
  ['hmsu', 'HMSU'],
  ['sio', 'SIO'],
  ['opc', 'OPC'],
  ['dpc', 'DPC'],
  ['sls', 'SLS'],
  ['hsio', 'HSIO'],
  ['hopc', 'HOPC'],
  ['hdpc', 'HDPC'],
  ['hsls', 'HSLS'],
]);

/**
 * scanner.l names that stand for numbers: header offsets, ICMP types and codes
 * (RFC 792, RFC 4443) and TCP flag bits (RFC 9293 3.1, RFC 3168 for ECE/CWR).
 */
const NAMED_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['icmptype', 0],
  ['icmpcode', 1],
  ['icmp-echoreply', 0],
  ['icmp-unreach', 3],
  ['icmp-sourcequench', 4],
  ['icmp-redirect', 5],
  ['icmp-echo', 8],
  ['icmp-routeradvert', 9],
  ['icmp-routersolicit', 10],
  ['icmp-timxceed', 11],
  ['icmp-paramprob', 12],
  ['icmp-tstamp', 13],
  ['icmp-tstampreply', 14],
  ['icmp-ireq', 15],
  ['icmp-ireqreply', 16],
  ['icmp-maskreq', 17],
  ['icmp-maskreply', 18],
  ['icmp6type', 0],
  ['icmp6code', 1],
  ['icmp6-destinationunreach', 1],
  ['icmp6-packettoobig', 2],
  ['icmp6-timeexceeded', 3],
  ['icmp6-parameterproblem', 4],
  ['icmp6-echo', 128],
  ['icmp6-echoreply', 129],
  ['icmp6-multicastlistenerquery', 130],
  ['icmp6-multicastlistenerreportv1', 131],
  ['icmp6-multicastlistenerdone', 132],
  ['icmp6-routersolicit', 133],
  ['icmp6-routeradvert', 134],
  ['icmp6-neighborsolicit', 135],
  ['icmp6-neighboradvert', 136],
  ['icmp6-redirect', 137],
  ['icmp6-routerrenum', 138],
  ['icmp6-nodeinformationquery', 139],
  ['icmp6-nodeinformationresponse', 140],
  ['icmp6-ineighbordiscoverysolicit', 141],
  ['icmp6-ineighbordiscoveryadvert', 142],
  ['icmp6-multicastlistenerreportv2', 143],
  ['icmp6-homeagentdiscoveryrequest', 144],
  ['icmp6-homeagentdiscoveryreply', 145],
  ['icmp6-mobileprefixsolicit', 146],
  ['icmp6-mobileprefixadvert', 147],
  ['icmp6-certpathsolicit', 148],
  ['icmp6-certpathadvert', 149],
  ['icmp6-multicastrouteradvert', 151],
  ['icmp6-multicastroutersolicit', 152],
  ['icmp6-multicastrouterterm', 153],
  ['tcpflags', 13],
  ['tcp-fin', 0x01],
  ['tcp-syn', 0x02],
  ['tcp-rst', 0x04],
  ['tcp-push', 0x08],
  ['tcp-ack', 0x10],
  ['tcp-urg', 0x20],
  ['tcp-ece', 0x40],
  ['tcp-cwr', 0x80],
]);

/** Two-character operators (scanner.l), tried before single characters. */
const OPERATORS2: ReadonlyMap<string, TokenKind> = new Map([
  ['&&', 'AND'],
  ['||', 'OR'],
  ['>=', 'GEQ'],
  ['<=', 'LEQ'],
  ['!=', 'NEQ'],
  ['==', '='],
  ['<<', 'LSH'],
  ['>>', 'RSH'],
]);

const SINGLE = '+-*/%:[]!<>()&|^=';

// scanner.l definitions. Each rule is a list of alternatives, each tried on its
// own so that the longest one wins, as in flex's DFA.
const N = '(?:0[Xx][0-9A-Fa-f]+|[0-9]+)';
const B = '[0-9A-Fa-f][0-9A-Fa-f]?';
const B2 = '[0-9A-Fa-f]{4}';
const W = '[0-9A-Fa-f]{1,4}';
const V4 = `${N}\\.${N}\\.${N}\\.${N}`;

const sticky = (alts: readonly string[]): RegExp[] => alts.map((a) => new RegExp(a, 'y'));

/** The IPv6 forms of scanner.l (V680 … V6004): n groups around an optional `::`. */
function v6Alternatives(): string[] {
  const alts: string[] = [];
  const groups = (n: number): string[] => new Array<string>(n).fill(W);
  // Eight groups, no "::".
  alts.push(groups(8).join(':'));
  // Fewer groups with "::" at every position (V67x … V600).
  for (let total = 7; total >= 0; total--) {
    for (let at = 0; at <= total; at++) {
      alts.push(`${groups(at).join(':')}::${groups(total - at).join(':')}`);
    }
  }
  // A dotted IPv4 tail after six groups, or after fewer groups and "::".
  alts.push(`${groups(6).join(':')}:${V4}`);
  for (let total = 5; total >= 0; total--) {
    for (let at = 0; at <= total; at++) {
      const left = groups(at).join(':');
      const right = groups(total - at).join(':');
      alts.push(`${left}::${right}${total - at > 0 ? ':' : ''}${V4}`);
    }
  }
  return alts;
}

const RULE_AID = sticky([`\\$${B}`]);
const RULE_MAC = sticky([
  `${B}:${B}:${B}:${B}:${B}:${B}`,
  `${B}-${B}-${B}-${B}-${B}-${B}`,
  `${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}`,
  `${B2}\\.${B2}\\.${B2}`,
  `${B2}${B2}${B2}`,
]);
const RULE_NUM = sticky([N]);
const RULE_HID = sticky([`${N}\\.${N}\\.${N}\\.${N}`, `${N}\\.${N}\\.${N}`, `${N}\\.${N}`]);
const RULE_V6 = sticky(v6Alternatives());
const RULE_BOGUS_MAC = sticky([`${B}:+(?:${B}:+)+`]);
const RULE_ID = sticky(['[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?']);
const RULE_ESCAPED_ID = sticky(['\\\\[^ !()\\n\\t]+']);

/** The length of the longest alternative matching at `pos`, or 0. */
function longest(rule: readonly RegExp[], input: string, pos: number): number {
  let best = 0;
  for (const re of rule) {
    re.lastIndex = pos;
    const m = re.exec(input);
    if (m && m[0].length > best) best = m[0].length;
  }
  return best;
}

/** scanner.l stou / stoulen: a decimal, 0x-hex or 0-octal number of at most 32 bits. */
export function scanNumber(text: string): Token {
  let n = 0n;
  if (/^0[Xx]/.test(text)) n = BigInt(text);
  else if (text.length > 1 && text[0] === '0') {
    if (/[89]/.test(text)) {
      return { kind: 'LEX_ERROR', error: `number ${text} contains non-octal digit` };
    }
    n = BigInt(`0o${text.slice(1)}`);
  } else n = BigInt(text);
  if (n > 0xffffffffn) return { kind: 'LEX_ERROR', error: `number ${text} overflows 32 bits` };
  return { kind: 'NUM', num: Number(n) };
}

/**
 * A scanner over one expression; `next()` returns one token at a time, `$end`
 * at the end. Tokens are produced only when the parser asks for them, so an
 * error in a late token does not hide an earlier one (bison reads lazily).
 */
export class Lexer {
  private pos = 0;

  constructor(private readonly input: string) {}

  next(): Token {
    const s = this.input;
    // scanner.l: [ \r\n\t] are skipped.
    while (this.pos < s.length && ' \r\n\t'.includes(s[this.pos]!)) this.pos++;
    if (this.pos >= s.length) return { kind: '$end' };
    const pos = this.pos;
    const two = s.slice(pos, pos + 2);

    // Each candidate: [length, rule order, token builder]. Rule order follows scanner.l.
    let bestLen = 0;
    let make: (() => Token) | undefined;
    const offer = (len: number, build: () => Token): void => {
      if (len > bestLen) {
        bestLen = len;
        make = build;
      }
    };
    const idLen = longest(RULE_ID, s, pos);
    const idText = s.slice(pos, pos + idLen);
    // Keywords come first in scanner.l; one ties with the name rule only when the
    // whole name is the keyword.
    const kw = KEYWORDS.get(idText);
    if (idLen > 0 && kw !== undefined) offer(idLen, () => ({ kind: kw }));
    const op2 = OPERATORS2.get(two);
    if (op2 !== undefined) offer(2, () => ({ kind: op2 }));
    if (SINGLE.includes(s[pos]!)) offer(1, () => ({ kind: s[pos]! }));
    offer(longest(RULE_AID, s, pos), () => ({ kind: 'AID', text: s.slice(pos, pos + bestLen) }));
    offer(longest(RULE_MAC, s, pos), () => ({ kind: 'EID', text: s.slice(pos, pos + bestLen) }));
    offer(longest(RULE_NUM, s, pos), () => scanNumber(s.slice(pos, pos + bestLen)));
    offer(longest(RULE_HID, s, pos), () => ({ kind: 'HID', text: s.slice(pos, pos + bestLen) }));
    offer(longest(RULE_V6, s, pos), () => {
      const text = s.slice(pos, pos + bestLen);
      return validIpv6Text(text)
        ? { kind: 'HID6', text }
        : { kind: 'HID6', error: `bogus IPv6 address ${text}` };
    });
    offer(longest(RULE_BOGUS_MAC, s, pos), () => ({
      kind: 'EID',
      error: `bogus ethernet address ${s.slice(pos, pos + bestLen)}`,
    }));
    const named = NAMED_NUMBERS.get(idText);
    if (idLen > 0 && named !== undefined) offer(idLen, () => ({ kind: 'NUM', num: named }));
    offer(idLen, () => ({ kind: 'ID', text: idText }));
    offer(longest(RULE_ESCAPED_ID, s, pos), () => ({
      kind: 'ID',
      text: s.slice(pos + 1, pos + bestLen),
    }));
    // scanner.l ".": anything else is a token the grammar has no use for.
    offer(1, () => ({ kind: 'LEX_ERROR' }));
    this.pos = pos + bestLen;
    return make!();
  }
}

/** scanner.l checks an IPv6-looking token with getaddrinfo(AI_NUMERICHOST). */
function validIpv6Text(text: string): boolean {
  const tail = /(?:^|:)([^:]*\.[^:]*)$/.exec(text);
  if (tail) {
    // inet_pton: four decimal octets, no leading zeros, each at most 255.
    const octets = tail[1]!.split('.');
    if (octets.length !== 4) return false;
    for (const o of octets) {
      if (!/^(?:0|[1-9][0-9]{0,2})$/.test(o) || Number(o) > 255) return false;
    }
  }
  return true;
}
