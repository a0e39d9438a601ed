/**
 * Connection tracking, as much of Linux's nf_conntrack as `-m conntrack
 * --ctstate` and `-m state --state` need: a table of connections keyed by
 * their original and reply tuples (nf_conntrack_core.c), the TCP state machine
 * (nf_conntrack_proto_tcp.c tcp_conntracks), UDP and ICMP (nf_conntrack_proto_
 * udp.c, _icmp.c), ICMP errors as RELATED to the connection they quote
 * (icmp_error_message), and the timeouts that let entries expire.
 *
 * Linux classifies a packet in PREROUTING and OUTPUT (nf_conntrack_in, before
 * the filter table) and inserts a new entry once the packet has passed every
 * hook (__nf_conntrack_confirm). tcplab has only the filter table, so it does
 * both around the filter chain the packet traverses (INPUT, FORWARD or OUTPUT,
 * table.ts): classify first, confirm if the verdict is ACCEPT; a dropped SYN
 * leaves no trace. A packet looped back through lo is only looked up on input:
 * it keeps the conntrack its OUTPUT pass attached. Entries expire lazily: a
 * lookup finds an entry past its timeout gone, as the kernel's gc would have
 * removed it.
 *
 * DEVIATION(linux): no TCP window tracking (tcp_in_window): every segment the
 * state table allows is valid, as with nf_conntrack_tcp_be_liberal=1, and the
 * "unacknowledged data" timeout (5 min) is not applied. No expectations
 * (helpers), no NAT, no zones.
 */

import { NS_PER_S, type Time } from '../sim/time.js';
import { internetChecksum, transportChecksum } from '../wire/checksum.js';
import type { ReceivedIpv4Packet } from '../wire/ipv4.js';
import { CT_ESTABLISHED, CT_INVALID, CT_NEW, CT_RELATED } from './rule.js';

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

/** nf_conntrack_tuple, flattened: ICMP keeps its id as `sport` and type<<8|code as `dport`. */
interface Tuple {
  readonly proto: number;
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
}

/** enum tcp_conntrack. */
type TcpCtState =
  | 'NONE'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'SYN_SENT2';

export interface CtEntry {
  readonly orig: Tuple;
  readonly reply: Tuple;
  tcpState: TcpCtState;
  seenReply: boolean;
  assured: boolean;
  /** Virtual time the entry times out. */
  expires: Time;
}

/** What nf_conntrack_in decided about a packet: its ctinfo, as the state bit xt_conntrack tests. */
export interface CtInfo {
  /** CT_NEW, CT_ESTABLISHED, CT_RELATED or CT_INVALID. */
  readonly state: number;
  readonly entry: CtEntry | undefined;
  /** For a packet that opens a connection: insert its entry (the packet was accepted). */
  readonly confirm: (() => void) | undefined;
}

const S = NS_PER_S;

/** nf_conntrack_proto_tcp.c tcp_timeouts. */
const TCP_TIMEOUTS: Readonly<Record<TcpCtState, Time>> = {
  NONE: 0,
  SYN_SENT: 120 * S,
  SYN_RECV: 60 * S,
  ESTABLISHED: 5 * 24 * 3600 * S,
  FIN_WAIT: 120 * S,
  CLOSE_WAIT: 60 * S,
  LAST_ACK: 30 * S,
  TIME_WAIT: 120 * S,
  CLOSE: 10 * S,
  SYN_SENT2: 120 * S,
};
/** nf_conntrack_proto_udp.c: UDP_CT_UNREPLIED 30 s, UDP_CT_REPLIED 120 s. */
const UDP_UNREPLIED = 30 * S;
const UDP_REPLIED = 120 * S;
/** nf_conntrack_proto_icmp.c: nf_ct_icmp_timeout 30 s. */
const ICMP_TIMEOUT = 30 * S;
/** nf_conntrack_proto_generic.c: nf_ct_generic_timeout 600 s. */
const GENERIC_TIMEOUT = 600 * S;

const T: readonly TcpCtState[] = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
];
type Next = TcpCtState | 'IV' | 'IG';
const sSS = 'SYN_SENT';
const sSR = 'SYN_RECV';
const sES = 'ESTABLISHED';
const sFW = 'FIN_WAIT';
const sCW = 'CLOSE_WAIT';
const sLA = 'LAST_ACK';
const sTW = 'TIME_WAIT';
const sCL = 'CLOSE';
const sS2 = 'SYN_SENT2';
/** TCP_CONNTRACK_MAX: invalid; TCP_CONNTRACK_IGNORE: let it pass, change nothing. */
const sIV = 'IV';
const sIG = 'IG';

/**
 * tcp_conntracks[dir][index][state], columns sNO sSS sSR sES sFW sCW sLA sTW
 * sCL sS2; rows syn, synack, fin, ack, rst, none (get_conntrack_index).
 */
const TCP_CONNTRACKS: readonly (readonly (readonly Next[])[])[] = [
  [
    /* ORIGINAL */
    /*syn*/ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /*synack*/ [sIV, sIV, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /*fin*/ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack*/ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /*rst*/ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none*/ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /* REPLY */
    /*syn*/ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sS2],
    /*synack*/ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /*fin*/ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack*/ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /*rst*/ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none*/ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** get_conntrack_index. */
function tcpIndex(flags: number): number {
  if (flags & 0x04) return 4; // RST
  if (flags & 0x02) return flags & 0x10 ? 1 : 0; // SYN, SYN-ACK
  if (flags & 0x01) return 2; // FIN
  if (flags & 0x10) return 3; // ACK
  return 5;
}

/** ICMP queries and their replies (nf_conntrack_proto_icmp.c invmap). */
const ICMP_INVERSE: ReadonlyMap<number, number> = new Map([
  [8, 0],
  [0, 8],
  [13, 14],
  [14, 13],
  [15, 16],
  [16, 15],
  [17, 18],
  [18, 17],
]);
/** The requests that may open an ICMP "connection" (icmp_new's valid_new). */
const ICMP_NEW: ReadonlySet<number> = new Set([8, 13, 15, 17]);
/** The ICMP errors that quote a datagram (icmp_error). */
const ICMP_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

function key(t: Tuple): string {
  return `${t.proto}:${t.src}:${t.dst}:${t.sport}:${t.dport}`;
}

function invert(t: Tuple): Tuple {
  if (t.proto === 1) {
    const type = t.dport >> 8;
    const inv = ICMP_INVERSE.get(type) ?? type;
    return {
      proto: 1,
      src: t.dst,
      dst: t.src,
      sport: t.sport,
      dport: (inv << 8) | (t.dport & 255),
    };
  }
  return { proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

/** The tuple of a datagram's header and the first bytes of its payload, or undefined if too short. */
function tupleOf(proto: number, src: number, dst: number, l4: Uint8Array): Tuple | undefined {
  switch (proto) {
    case 6:
    case 17:
    case 136:
    case 132:
    case 33:
      if (l4.length < 4) return undefined;
      return { proto, src, dst, sport: (l4[0]! << 8) | l4[1]!, dport: (l4[2]! << 8) | l4[3]! };
    case 1:
      if (l4.length < 8) return undefined;
      return { proto, src, dst, sport: (l4[4]! << 8) | l4[5]!, dport: (l4[0]! << 8) | l4[1]! };
    default:
      return { proto, src, dst, sport: 0, dport: 0 };
  }
}

const NOT_TRACKED: CtInfo = { state: CT_INVALID, entry: undefined, confirm: undefined };

/** The connection table of a host (its netns's nf_conntrack hash). */
export class Conntrack {
  readonly #table = new Map<string, { entry: CtEntry; dir: 0 | 1 }>();

  /** Live entries (for `conntrack -L` and tests), expired ones dropped first. */
  entries(now: Time): CtEntry[] {
    const out = new Set<CtEntry>();
    for (const { entry } of [...this.#table.values()]) {
      if (entry.expires <= now) this.#remove(entry);
      else out.add(entry);
    }
    return [...out];
  }

  #lookup(t: Tuple, now: Time): { entry: CtEntry; dir: 0 | 1 } | undefined {
    const h = this.#table.get(key(t));
    if (h === undefined) return undefined;
    if (h.entry.expires <= now) {
      this.#remove(h.entry);
      return undefined;
    }
    return h;
  }

  #remove(e: CtEntry): void {
    this.#table.delete(key(e.orig));
    this.#table.delete(key(e.reply));
  }

  #insert(e: CtEntry): void {
    this.#table.set(key(e.orig), { entry: e, dir: 0 });
    this.#table.set(key(e.reply), { entry: e, dir: 1 });
  }

  /**
   * nf_conntrack_in: the ctinfo of `ip`, updating the entry it belongs to.
   * `lookupOnly` classifies without changing anything: a packet looped back
   * through lo keeps the conntrack its OUTPUT pass attached (skb->_nfct).
   */
  classify(now: Time, ip: ReceivedIpv4Packet, lookupOnly: boolean, fromWire: boolean): CtInfo {
    // A fragment other than the first carries no ports: Linux defragments
    // first (nf_defrag_ipv4); this stack never sees reassembled ones.
    if (ip.fragmentOffset !== 0) return NOT_TRACKED;
    const l4 = ip.payload;
    if (!lookupOnly && protocolError(ip, fromWire)) return NOT_TRACKED;
    if (ip.protocol === 1 && l4.length >= 8 && ICMP_ERRORS.has(l4[0]!)) {
      return this.#icmpError(now, l4);
    }
    const t = tupleOf(ip.protocol, ip.src, ip.dst, l4);
    if (t === undefined) return NOT_TRACKED;
    const found = this.#lookup(t, now);
    if (found === undefined) {
      if (lookupOnly) return NOT_TRACKED;
      return this.#new(now, t, l4);
    }
    const { entry, dir } = found;
    // resolve_normal_ct.
    const state = dir === 1 ? CT_ESTABLISHED : entry.seenReply ? CT_ESTABLISHED : CT_NEW;
    if (lookupOnly) return { state, entry, confirm: undefined };
    const ok = this.#packet(now, entry, dir, t, l4);
    if (ok === 'repeat') {
      // A SYN reopening a closed connection: the old entry is killed and the
      // packet tracked anew (tcp_packet returns -NF_REPEAT).
      this.#remove(entry);
      return this.#new(now, t, l4);
    }
    if (!ok) return NOT_TRACKED;
    if (dir === 1 && !entry.seenReply) entry.seenReply = true;
    return { state, entry, confirm: undefined };
  }

  /** A packet with no entry: protocol's `new` decides whether it may open one. */
  #new(now: Time, t: Tuple, l4: Uint8Array): CtInfo {
    let tcpState: TcpCtState = 'NONE';
    let timeout: Time;
    switch (t.proto) {
      case 6: {
        if (l4.length < 20) return NOT_TRACKED;
        // tcp_new: tcp_conntracks[0][index][sNO]; only a SYN (or, with
        // nf_conntrack_tcp_loose, an ACK picked up mid-stream) opens one.
        const next = TCP_CONNTRACKS[0]![tcpIndex(l4[13]!)]![0]!;
        if (next === sIV || next === sIG) return NOT_TRACKED;
        tcpState = next;
        timeout = TCP_TIMEOUTS[next];
        break;
      }
      case 17:
        timeout = UDP_UNREPLIED;
        break;
      case 1:
        if (!ICMP_NEW.has(t.dport >> 8)) return NOT_TRACKED;
        timeout = ICMP_TIMEOUT;
        break;
      default:
        timeout = GENERIC_TIMEOUT;
    }
    const entry: CtEntry = {
      orig: t,
      reply: invert(t),
      tcpState,
      seenReply: false,
      assured: tcpState === 'ESTABLISHED',
      expires: now + timeout,
    };
    return {
      state: CT_NEW,
      entry,
      confirm: () => {
        // __nf_conntrack_confirm: a twin inserted meanwhile wins (a clash).
        if (this.#table.has(key(entry.orig)) || this.#table.has(key(entry.reply))) return;
        this.#insert(entry);
      },
    };
  }

  /** The protocol's packet() handler: state and timeout. False: invalid. */
  #packet(now: Time, e: CtEntry, dir: 0 | 1, _t: Tuple, l4: Uint8Array): boolean | 'repeat' {
    switch (e.orig.proto) {
      case 6: {
        if (l4.length < 20) return false;
        const flags = l4[13]!;
        const index = tcpIndex(flags);
        const old = e.tcpState;
        const next = TCP_CONNTRACKS[dir]![index]![T.indexOf(old)]!;
        if (next === sIV) return false;
        if (next === sIG) return true;
        if (
          next === 'SYN_SENT' &&
          dir === 0 &&
          index === 0 &&
          (old === 'TIME_WAIT' || old === 'CLOSE')
        ) {
          return 'repeat';
        }
        // "If only reply is a RST, we can consider ourselves not to have an
        // established connection": the entry goes at once.
        if (index === 4 && !e.seenReply) {
          e.tcpState = next;
          e.expires = now;
          return true;
        }
        if (old === 'SYN_RECV' && next === 'ESTABLISHED' && dir === 0) e.assured = true;
        e.tcpState = next;
        e.expires = now + TCP_TIMEOUTS[next];
        return true;
      }
      case 17:
        if (dir === 1 || e.seenReply) {
          e.assured = true;
          e.expires = now + UDP_REPLIED;
        } else {
          e.expires = now + UDP_UNREPLIED;
        }
        return true;
      case 1:
        e.expires = now + ICMP_TIMEOUT;
        return true;
      default:
        e.expires = now + GENERIC_TIMEOUT;
        return true;
    }
  }

  /** icmp_error_message: the quoted datagram's connection, seen from the error's side. */
  #icmpError(now: Time, l4: Uint8Array): CtInfo {
    const inner = l4.subarray(8);
    if (inner.length < 20 || inner[0]! >> 4 !== 4) return NOT_TRACKED;
    const ihl = (inner[0]! & 15) * 4;
    const proto = inner[9]!;
    const src = ((inner[12]! << 24) | (inner[13]! << 16) | (inner[14]! << 8) | inner[15]!) >>> 0;
    const dst = ((inner[16]! << 24) | (inner[17]! << 16) | (inner[18]! << 8) | inner[19]!) >>> 0;
    const t = tupleOf(proto, src, dst, inner.subarray(ihl));
    if (t === undefined) return NOT_TRACKED;
    // The quoted datagram travelled the other way: it is in the table as
    // sent, so look its own tuple up ("Ordinarily, we'd expect the inverted
    // tupleproto, but it's been preserved inside the ICMP").
    const found = this.#lookup(t, now);
    if (found === undefined) return NOT_TRACKED;
    return { state: CT_RELATED, entry: found.entry, confirm: undefined };
  }
}

/**
 * nf_conntrack_proto_tcp.c tcp_valid_flags: the flag combinations (of FIN, SYN,
 * RST, ACK, URG; ECE, CWR and PSH aside) a segment may carry.
 */
const TCP_VALID_FLAGS: ReadonlySet<number> = new Set([
  0x02, // SYN
  0x22, // SYN|URG
  0x12, // SYN|ACK
  0x04, // RST
  0x14, // RST|ACK
  0x11, // FIN|ACK
  0x31, // FIN|ACK|URG
  0x10, // ACK
  0x30, // ACK|URG
]);

/**
 * The protocols' error() checks (tcp_error, udp_error, icmp_error): a
 * truncated header, a bad checksum (only for packets from outside:
 * nf_conntrack_checksum checks at PRE_ROUTING) or, for TCP, an impossible flag
 * combination make the packet INVALID, with no conntrack.
 */
function protocolError(ip: ReceivedIpv4Packet, fromWire: boolean): boolean {
  const l4 = ip.payload;
  const ph = { src: ip.src, dst: ip.dst, protocol: ip.protocol, length: l4.length };
  switch (ip.protocol) {
    case 6: {
      if (l4.length < 20 || (l4[12]! >> 4) * 4 < 20 || l4.length < (l4[12]! >> 4) * 4) return true;
      if (fromWire && transportChecksum(l4, 0, l4.length, ph) !== 0) return true;
      return !TCP_VALID_FLAGS.has(l4[13]! & ~(0x40 | 0x80 | 0x08));
    }
    case 17: {
      if (l4.length < 8) return true;
      const len = (l4[4]! << 8) | l4[5]!;
      if (len > l4.length || len < 8) return true;
      const sum = (l4[6]! << 8) | l4[7]!;
      return fromWire && sum !== 0 && transportChecksum(l4, 0, len, { ...ph, length: len }) !== 0;
    }
    case 1:
      if (l4.length < 8) return true;
      return fromWire && internetChecksum(l4) !== 0;
    default:
      return false;
  }
}

/** The state name of a ctinfo bit, for messages and tests. */
export function ctStateOf(bits: number): CtState {
  if (bits & CT_NEW) return 'NEW';
  if (bits & CT_ESTABLISHED) return 'ESTABLISHED';
  if (bits & CT_RELATED) return 'RELATED';
  return 'INVALID';
}
