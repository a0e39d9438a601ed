/**
 * TCP as tcpdump 4.99.3 prints it (print-tcp.c tcp_print, print_tcp_rst_data,
 * print_tcp_fastopen_option), with the port-based hand-off to the application
 * decoders tcplab has (HTTP and the other text protocols, SSH's banner,
 * RPKI-RTR's header).
 *
 * Relative sequence numbers: without -S, tcpdump keeps one entry per
 * conversation (tcp_seq_hash4, keyed by the two addresses and ports in a fixed
 * order so both directions share it). A segment with ACK set looks its
 * conversation up; if there is none, or the segment carries SYN, the entry is
 * (re)written from this segment — its seq and ack-1 become the two bases — and
 * the numbers are printed as they are; otherwise both are printed relative to
 * the bases. Segments without ACK never touch the table and always print
 * absolute numbers. SACK blocks are made relative to the same bases.
 */

import {
  cksumShouldBe,
  DONE,
  decimal,
  type Flow,
  fnPrintChar,
  HEX2,
  hex,
  hex4,
  type PacketContext,
  TRUNCATED,
  u32,
} from './context.js';
import { IPPROTO_TCP, nextProto4Checksum } from './ip.js';
import { mptcpPrint } from './mptcp.js';
import { appOverTcp } from './txtproto.js';

/** RFC 9293 3.1 control bits, and RFC 3168 6.1 ECE/CWR (tcp.h TH_*). */
const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;
const TH_URG = 0x20;

/**
 * print-tcp.c tcp_flag_values through bittok2str_nosep: F S R P . U E W, in
 * that order, `none` for no bit, within `Flags [...]`. Precomputed for all 256
 * flag bytes.
 */
const FLAG_TEXT: readonly string[] = Array.from({ length: 256 }, (_, f) => {
  const letters = 'FSRP.UEW';
  let s = '';
  for (let i = 0; i < 8; i++) if (f & (1 << i)) s += letters[i];
  return `Flags [${s || 'none'}]`;
});

/** RFC 9293 3.2 and later option kinds (tcp.h TCPOPT_*). */
const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MAXSEG = 2;
const TCPOPT_WSCALE = 3;
const TCPOPT_SACKOK = 4;
const TCPOPT_SACK = 5;
const TCPOPT_ECHO = 6;
const TCPOPT_ECHOREPLY = 7;
const TCPOPT_TIMESTAMP = 8;
const TCPOPT_CC = 11;
const TCPOPT_CCNEW = 12;
const TCPOPT_CCECHO = 13;
const TCPOPT_SIGNATURE = 19;
const TCPOPT_SCPS = 20;
const TCPOPT_UTO = 28;
const TCPOPT_TCPAO = 29;
const TCPOPT_MPTCP = 30;
const TCPOPT_FASTOPEN = 34;
const TCPOPT_EXPERIMENT2 = 254;

/** NOP, NOP, then a timestamp option (kind 8, length 10), as one big-endian word. */
const NOP_NOP_TS = 0x0101_080a;

/** tcp.h TCP_SIGLEN: an RFC 2385 MD5 signature. */
const TCP_SIGLEN = 16;
/** print-tcp.c MAX_RST_DATA_LEN: RST payload shown with -v. */
const MAX_RST_DATA_LEN = 30;

/** print-tcp.c tcp_option_values. */
const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [TCPOPT_EOL, 'eol'],
  [TCPOPT_NOP, 'nop'],
  [TCPOPT_MAXSEG, 'mss'],
  [TCPOPT_WSCALE, 'wscale'],
  [TCPOPT_SACKOK, 'sackOK'],
  [TCPOPT_SACK, 'sack'],
  [TCPOPT_ECHO, 'echo'],
  [TCPOPT_ECHOREPLY, 'echoreply'],
  [TCPOPT_TIMESTAMP, 'TS'],
  [TCPOPT_CC, 'cc'],
  [TCPOPT_CCNEW, 'ccnew'],
  [TCPOPT_CCECHO, ''],
  [TCPOPT_SIGNATURE, 'md5'],
  [TCPOPT_SCPS, 'scps'],
  [TCPOPT_UTO, 'uto'],
  [TCPOPT_TCPAO, 'tcp-ao'],
  [TCPOPT_MPTCP, 'mptcp'],
  [TCPOPT_FASTOPEN, 'tfo'],
  [TCPOPT_EXPERIMENT2, 'exp'],
]);

/** One conversation of print-tcp.c tcp_seq_hash4. */
interface SeqEntry {
  /** Address and port key (struct tha), in tcpdump's collating order. */
  readonly src: number;
  readonly dst: number;
  readonly port: number;
  /** th->seq and th->ack: the bases subtracted from seq and ack. */
  seq: number;
  ack: number;
}

/**
 * print-tcp.c tcp_seq_hash4: the relative-numbering state of a run, one entry
 * per conversation. Buckets are keyed by the port pair like tcpdump's.
 */
export class TcpSeqTable {
  private readonly buckets = new Map<number, SeqEntry[]>();

  find(src: number, dst: number, port: number): SeqEntry | undefined {
    const list = this.buckets.get(port);
    if (list === undefined) return undefined;
    for (const e of list) if (e.src === src && e.dst === dst) return e;
    return undefined;
  }

  add(src: number, dst: number, port: number): SeqEntry {
    const e: SeqEntry = { src, dst, port, seq: 0, ack: 0 };
    const list = this.buckets.get(port);
    if (list === undefined) this.buckets.set(port, [e]);
    else list.push(e);
    return e;
  }
}

/** What tcp_print hands from the sequence-number step to the SACK option. */
interface SeqBases {
  rev: boolean;
  thseq: number;
  thack: number;
}

const bases: SeqBases = { rev: false, thseq: 0, thack: 0 };

/**
 * tcp_print: the segment at `off`, `length` bytes long according to IP, of
 * the IPv4 datagram at `ipOff`.
 */
export function tcpPrint(
  c: PacketContext,
  off: number,
  length: number,
  ipOff: number,
  fragmented: boolean,
): Flow {
  c.proto = 'tcp';
  const viaTcp = c.u8(ipOff + 9) === IPPROTO_TCP;
  if (!c.has(off + 2, 2)) {
    c.out += `${c.ip(ipOff + 12)} > ${c.ip(ipOff + 16)}:`;
    c.trunc();
    return DONE;
  }
  const sport = c.be16(off);
  const dport = c.be16(off + 2);
  // tcp_print prints the addresses when the IP header says TCP (always so for
  // IPv4, including a header quoted by ICMP).
  c.out += viaTcp
    ? endpoints(c, ipOff, sport, dport)
    : `${c.tcpPort(sport)} > ${c.tcpPort(dport)}: `;
  if (!c.has(off, 20)) {
    // ND_TCHECK_SIZE(tp) jumps to tcp_print's own trunc: label.
    c.trunc();
    return DONE;
  }
  let hlen = (c.u8(off + 12) >> 4) * 4;
  if (hlen < 20) {
    c.out += ` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`;
    return DONE;
  }
  let seq = c.be32(off + 4);
  let ack = c.be32(off + 8);
  const win = c.be16(off + 14);
  const urp = c.be16(off + 18);
  if (c.flags.qflag) {
    c.out += `tcp ${(length - hlen) >>> 0}`;
    if (hlen > length) c.out += ` [bad hdr length ${hlen} - too long, > ${length}]`;
    return DONE;
  }
  const flags = c.u8(off + 13);
  c.out += FLAG_TEXT[flags];

  bases.rev = false;
  bases.thseq = 0;
  bases.thack = 0;
  if (!c.flags.Sflag && flags & TH_ACK) {
    const src = c.be32(ipOff + 12);
    const dst = c.be32(ipOff + 16);
    // Pick one collating order so both directions find the same entry:
    // by port, then by address bytes (memcmp of network order).
    const rev = sport > dport || (sport === dport && src > dst);
    const kSrc = rev ? dst : src;
    const kDst = rev ? src : dst;
    // Signed, so the key stays a small integer (a fast Map key).
    const kPort = rev ? (dport << 16) | sport : (sport << 16) | dport;
    let th = c.seqTable.find(kSrc, kDst, kPort);
    if (th === undefined || flags & TH_SYN) {
      // A new conversation, or a SYN restarting one: remember its bases.
      if (th === undefined) th = c.seqTable.add(kSrc, kDst, kPort);
      if (rev) {
        th.ack = seq;
        th.seq = (ack - 1) >>> 0;
      } else {
        th.seq = seq;
        th.ack = (ack - 1) >>> 0;
      }
    } else if (rev) {
      seq = (seq - th.ack) >>> 0;
      ack = (ack - th.seq) >>> 0;
    } else {
      seq = (seq - th.seq) >>> 0;
      ack = (ack - th.ack) >>> 0;
    }
    bases.rev = rev;
    bases.thseq = th.seq;
    bases.thack = th.ack;
  }
  if (hlen > length) {
    c.out += ` [bad hdr length ${hlen} - too long, > ${length}]`;
    return DONE;
  }
  if (c.flags.vflag && !fragmented && c.has(off, length)) {
    const sum = nextProto4Checksum(c, ipOff, off, length, IPPROTO_TCP);
    const field = c.be16(off + 16);
    c.out +=
      sum !== 0
        ? `, cksum 0x${hex4(field)} (incorrect -> 0x${hex4(cksumShouldBe(field, sum))})`
        : `, cksum 0x${hex4(field)} (correct)`;
  }
  const dataLength = length - hlen;
  if (c.flags.vflag > 1 || dataLength > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
    c.out += `, seq ${u32(seq)}`;
    if (dataLength > 0) c.out += `:${u32((seq + dataLength) >>> 0)}`;
  }
  if (flags & TH_ACK) c.out += `, ack ${u32(ack)}`;
  c.out += `, win ${decimal(win)}`;
  if (flags & TH_URG) c.out += `, urg ${urp}`;

  if (hlen > 20) {
    const r = tcpOptions(c, off + 20, hlen - 20, flags, off, dataLength);
    if (r !== DONE) return r === TRUNCATED ? TRUNCATED : DONE;
  }
  c.out += `, length ${decimal(dataLength)}`;
  if (dataLength === 0) return DONE;

  const headerLength = (c.u8(off + 12) >> 4) * 4;
  if (!c.has(off, headerLength)) {
    c.out += ` [remaining caplen(${c.end - off}) < header length(${headerLength})]`;
    return TRUNCATED;
  }
  hlen = headerLength;
  const data = off + hlen;
  if (flags & TH_RST && c.flags.vflag) {
    rstData(c, data, dataLength);
    return DONE;
  }
  return appOverTcp(c, sport, dport, data, dataLength);
}

/** `A.p > B.q: ` of the IPv4 header at `ipOff`, built once per direction of a conversation. */
function endpoints(c: PacketContext, ipOff: number, sport: number, dport: number): string {
  const src = c.be32(ipOff + 12);
  const dst = c.be32(ipOff + 16);
  const ports = (sport << 16) | dport; // signed: a small integer, a fast Map key
  let text = c.tcpEndpoints.get(src, dst, ports);
  if (text === undefined) {
    text = `${c.ip(ipOff + 12)}.${c.tcpPort(sport)} > ${c.ip(ipOff + 16)}.${c.tcpPort(dport)}: `;
    c.tcpEndpoints.set(src, dst, ports, text);
  }
  return text;
}

/** tcp_print's `bad:` and `trunc:` labels, which end the line without a longjmp. */
const STOPPED = 2;

/**
 * The option list of tcp_print: `, options [...]`. Returns DONE when the list
 * was printed, STOPPED when tcpdump's `bad:`/`trunc:` labels ended the line,
 * TRUNCATED for a longjmp.
 */
function tcpOptions(
  c: PacketContext,
  cp: number,
  hlen: number,
  flags: number,
  tcpOff: number,
  dataLength: number,
): Flow | typeof STOPPED {
  // The list Linux sends on every segment of a connection with timestamps
  // (RFC 7323 Appendix A's layout), printed without the general loop below.
  if (hlen === 12 && c.has(cp, 12) && c.be32(cp) === NOP_NOP_TS) {
    c.out += `, options [nop,nop,TS val ${u32(c.be32(cp + 4))} ecr ${u32(c.be32(cp + 8))}]`;
    return DONE;
  }
  let ch = '';
  c.out += ', options [';
  while (hlen > 0) {
    c.out += ch;
    if (!c.has(cp, 1)) return TRUNCATED;
    const opt = c.u8(cp++);
    let len: number;
    if (opt === TCPOPT_EOL || opt === TCPOPT_NOP) {
      len = 1;
    } else {
      if (!c.has(cp, 1)) return TRUNCATED;
      len = c.u8(cp++);
      if (len < 2 || len > hlen) return bad(c, ch);
      --hlen;
    }
    --hlen;
    let datalen = 0;
    const name = OPTION_NAMES.get(opt);
    c.out += name !== undefined ? name : `unknown-${opt}`;

    // LENCHECK(l): past the option space is `bad`, past the capture is `trunc`.
    switch (opt) {
      case TCPOPT_MAXSEG:
        datalen = 2;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        c.out += ` ${c.be16(cp)}`;
        break;
      case TCPOPT_WSCALE:
        datalen = 1;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        c.out += ` ${c.u8(cp)}`;
        break;
      case TCPOPT_SACK:
        datalen = len - 2;
        if (datalen % 8 !== 0) {
          c.out += ' invalid sack';
        } else {
          c.out += ` ${datalen / 8} `;
          for (let i = 0; i < datalen; i += 8) {
            if (i + 4 > hlen) return bad(c, ch);
            if (!c.has(cp, i + 4)) return trunc(c, ch);
            let s = c.be32(cp + i);
            if (i + 8 > hlen) return bad(c, ch);
            if (!c.has(cp, i + 8)) return trunc(c, ch);
            let e = c.be32(cp + i + 4);
            const base = bases.rev ? bases.thseq : bases.thack;
            s = (s - base) >>> 0;
            e = (e - base) >>> 0;
            c.out += `{${s}:${e}}`;
          }
        }
        break;
      case TCPOPT_CC:
      case TCPOPT_CCNEW:
      case TCPOPT_CCECHO:
      case TCPOPT_ECHO:
      case TCPOPT_ECHOREPLY:
        datalen = 4;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        c.out += ` ${c.be32(cp)}`;
        break;
      case TCPOPT_TIMESTAMP:
        datalen = 8;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        c.out += ` val ${u32(c.be32(cp))} ecr ${u32(c.be32(cp + 4))}`;
        break;
      case TCPOPT_SIGNATURE: {
        datalen = TCP_SIGLEN;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        // Debian's tcpdump is built with libcrypto; with no -M secret it says so.
        c.out += ' ';
        if (!c.has(tcpOff + (c.u8(tcpOff + 12) >> 4) * 4, dataLength)) {
          c.out += 'snaplen too short, ';
        } else {
          c.out += 'shared secret not supplied with -M, ';
        }
        let sig = "can't check - ";
        for (let i = 0; i < TCP_SIGLEN; i++) sig += HEX2[c.u8(cp + i)];
        c.out += sig;
        break;
      }
      case TCPOPT_SCPS:
        datalen = 2;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        c.out += ` cap ${HEX2[c.u8(cp)]} id ${c.u8(cp + 1)}`;
        break;
      case TCPOPT_TCPAO:
        datalen = len - 2;
        // RFC 5925 2.2: the option is at least 4 bytes long.
        if (datalen < 2) {
          c.invalid();
        } else {
          if (1 > hlen) return bad(c, ch);
          if (!c.has(cp, 1)) return trunc(c, ch);
          c.out += ` keyid ${c.u8(cp)}`;
          if (2 > hlen) return bad(c, ch);
          if (!c.has(cp, 2)) return trunc(c, ch);
          c.out += ` rnextkeyid ${c.u8(cp + 1)}`;
          if (datalen > 2) {
            c.out += ' mac 0x';
            for (let i = 2; i < datalen; i++) {
              if (i + 1 > hlen) return bad(c, ch);
              if (!c.has(cp, i + 1)) return trunc(c, ch);
              c.out += HEX2[c.u8(cp + i)];
            }
          }
        }
        break;
      case TCPOPT_EOL:
      case TCPOPT_NOP:
      case TCPOPT_SACKOK:
        break;
      case TCPOPT_UTO: {
        datalen = 2;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        let uto = c.be16(cp);
        c.out += ` 0x${hex(uto)}`;
        // RFC 5482 3: granularity bit set means minutes.
        uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
        c.out += ` ${uto}`;
        break;
      }
      case TCPOPT_MPTCP: {
        datalen = len - 2;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        // The MPTCP decoder sees only this option's bytes.
        const savedEnd = c.end;
        c.end = Math.min(cp - 2 + len, c.end);
        const r = mptcpPrint(c, cp - 2, len, flags);
        c.end = savedEnd;
        if (r === TRUNCATED) return TRUNCATED;
        if (r === MPTCP_BAD) return bad(c, ch);
        break;
      }
      case TCPOPT_FASTOPEN:
        datalen = len - 2;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        c.out += ' ';
        fastOpen(c, cp, datalen, false);
        break;
      case TCPOPT_EXPERIMENT2: {
        datalen = len - 2;
        if (datalen > hlen) return bad(c, ch);
        if (!c.has(cp, datalen)) return trunc(c, ch);
        if (datalen < 2) return bad(c, ch);
        // RFC 6994: a 16-bit experiment identifier.
        const magic = c.be16(cp);
        c.out += '-';
        if (magic === 0xf989) {
          // RFC 7413: TCP Fast Open's experimental option.
          fastOpen(c, cp + 2, datalen - 2, true);
        } else {
          c.out += hex4(magic);
        }
        break;
      }
      default:
        datalen = len - 2;
        if (datalen) c.out += ' 0x';
        for (let i = 0; i < datalen; ++i) {
          if (i + 1 > hlen) return bad(c, ch);
          if (!c.has(cp, i + 1)) return trunc(c, ch);
          c.out += HEX2[c.u8(cp + i)];
        }
        break;
    }
    cp += datalen;
    hlen -= datalen;
    ++datalen;
    if (opt !== TCPOPT_EOL && opt !== TCPOPT_NOP) ++datalen;
    if (datalen !== len) c.out += `[len ${len}]`;
    ch = ',';
    if (opt === TCPOPT_EOL) break;
  }
  c.out += ']';
  return DONE;
}

/** mptcpPrint's `return 0`: the option is malformed (tcp_print goes to `bad`). */
export const MPTCP_BAD = 2;

/** tcp_print's `bad:` label. */
function bad(c: PacketContext, ch: string): typeof STOPPED {
  c.out += '[bad opt]';
  if (ch !== '') c.out += ']';
  return STOPPED;
}

/** tcp_print's `trunc:` label (note the `>`, a leftover of the old `<…>` style). */
function trunc(c: PacketContext, ch: string): typeof STOPPED {
  c.trunc();
  if (ch !== '') c.out += '>';
  return STOPPED;
}

/** print_tcp_fastopen_option (RFC 7413 4.1.1). */
function fastOpen(c: PacketContext, cp: number, datalen: number, exp: boolean): void {
  if (exp) c.out += 'tfo';
  if (datalen === 0) {
    c.out += ' cookiereq';
  } else if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) {
    c.invalid();
  } else {
    let s = ' cookie ';
    for (let i = 0; i < datalen; i++) s += HEX2[c.u8(cp + i)];
    c.out += s;
  }
}

/**
 * print_tcp_rst_data (RFC 1122 4.2.2.12: a RST may carry text explaining it):
 * ` [RST text]`, `[!RST` when not all of it was captured, `+` when longer
 * than 30 bytes.
 */
function rstData(c: PacketContext, sp: number, length: number): void {
  let s = c.has(sp, length) ? ' [RST' : ' [!RST';
  if (length > MAX_RST_DATA_LEN) {
    length = MAX_RST_DATA_LEN;
    s += '+';
  }
  s += ' ';
  while (length && sp < c.end) {
    s += fnPrintChar(c.u8(sp++));
    length--;
  }
  c.out += `${s}]`;
}
