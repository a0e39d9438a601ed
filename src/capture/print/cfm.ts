/**
 * IEEE 802.1ag Connectivity Fault Management as tcpdump 4.99.3 prints it
 * (print-cfm.c cfm_print): the common header, the CCM/LTM/LTR messages, and
 * the TLVs (IEEE 802.1Q-2014 21).
 */

import {
  DONE,
  type Flow,
  fnPrintChar,
  hex4,
  type PacketContext,
  TRUNCATED,
  tok,
} from './context.js';
import { hexOnly } from './hexdump.js';
import { ip6String } from './mptcp.js';
import { ouiName } from './names.js';

/** IEEE 802.1Q 21.4.1: the only CFM version. */
const CFM_VERSION = 0;

const OPCODES: ReadonlyMap<number, string> = new Map([
  [1, 'Continuity Check Message'],
  [2, 'Loopback Reply'],
  [3, 'Loopback Message'],
  [4, 'Linktrace Reply'],
  [5, 'Linktrace Message'],
]);
const OPCODE_CCM = 1;
const OPCODE_LTR = 4;
const OPCODE_LTM = 5;

/** print-cfm.c ccm_interval_base: CCM interval codes in seconds, as C floats. */
const CCM_INTERVAL_BASE = [0.0, 0.003333, 0.01, 0.1, 1.0, 10.0, 60.0, 600.0].map(Math.fround);
/** IEEE 802.1Q 20.5.3: a CCM's lifetime is 3.25 to 3.5 intervals. */
const CCM_INTERVAL_MIN_MULTIPLIER = 3.25;
const CCM_INTERVAL_MAX_MULTIPLIER = 3.5;
const CFM_CCM_RDI_FLAG = 0x80;
/** sizeof(struct cfm_ccm_t): sequence, MEP ID, 48 bytes of names, 16 of Y.1731. */
const CCM_SIZE = 70;
const LTM_SIZE = 17;
const LTR_SIZE = 6;

const MD_NAME_FORMATS: ReadonlyMap<number, string> = new Map([
  [0, 'IEEE 802.1'],
  [1, 'No MD Name present'],
  [2, 'DNS string'],
  [3, 'MAC + 16Bit Integer'],
  [4, 'Character string'],
]);
const MA_NAME_FORMATS: ReadonlyMap<number, string> = new Map([
  [0, 'IEEE 802.1'],
  [1, 'Primary VID'],
  [2, 'Character string'],
  [3, '16Bit Integer'],
  [4, 'RFC2685 VPN-ID'],
]);
const LTR_REPLAY_ACTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'Exact Match'],
  [2, 'Filtering DB'],
  [3, 'MIP CCM DB'],
]);

const TLV_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'End'],
  [1, 'Sender ID'],
  [2, 'Port status'],
  [3, 'Interface status'],
  [4, 'Data'],
  [5, 'Reply Ingress'],
  [6, 'Reply Egress'],
  [31, 'Organization Specific'],
]);
const TLV_END = 0;
const TLV_SENDER_ID = 1;
const TLV_PORT_STATUS = 2;
const TLV_INTERFACE_STATUS = 3;
const TLV_PRIVATE = 31;
const PORT_STATUS: ReadonlyMap<number, string> = new Map([
  [1, 'Blocked'],
  [2, 'Up'],
]);
const INTERFACE_STATUS: ReadonlyMap<number, string> = new Map([
  [1, 'Up'],
  [2, 'Down'],
  [3, 'Testing'],
  [5, 'Dormant'],
  [6, 'not present'],
  [7, 'lower Layer down'],
]);
const CHASSIS_ID_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'Reserved'],
  [1, 'Chassis component'],
  [2, 'Interface alias'],
  [3, 'Port component'],
  [4, 'MAC address'],
  [5, 'Network address'],
  [6, 'Interface name'],
  [7, 'Locally assigned'],
]);
/** af.h af_values: the address families a Sender ID may name. */
const ADDRESS_FAMILIES: ReadonlyMap<number, string> = new Map([
  [0, 'Reserved'],
  [1, 'IPv4'],
  [2, 'IPv6'],
  [3, 'NSAP'],
  [4, 'HDLC'],
  [5, 'BBN 1822'],
  [6, '802'],
  [10, 'E.163'],
  [11, 'E.164'],
  [12, 'F.69'],
  [13, 'X.121'],
  [14, 'IPX'],
  [15, 'Appletalk'],
  [16, 'Decnet IV'],
  [17, 'Banyan Vines'],
  [18, 'E.164 with NSAP subaddress'],
  [25, 'Layer-2 VPN'],
  [26, 'MPLS-TP Section Endpoint ID'],
  [27, 'MPLS-TP LSP Endpoint ID'],
  [28, 'MPLS-TP Pseudowire Endpoint ID'],
  [29, 'MT IPv4'],
  [30, 'MT IPv6'],
  [16396, 'BGP-LS'],
]);

/** util-print.c nd_printjnp: up to `n` bytes, stopping at a NUL; false: longjmp. */
function printjnp(c: PacketContext, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (!c.has(p + i, 1)) return false;
    const ch = c.u8(p + i);
    if (ch === 0) break;
    c.out += fnPrintChar(ch);
  }
  return true;
}

/** util-print.c print_unknown_data. */
function unknownData(c: PacketContext, p: number, indent: string, len: number): void {
  if (p > c.end) {
    c.out += `${indent}Dissector error: print_unknown_data() called with pointer past end of packet`;
    return;
  }
  c.out += hexOnly(indent, c.b, p, Math.min(len, c.end - p));
}

/** cfm_print: the CFM PDU of `length` bytes at `p`. */
export function cfmPrint(c: PacketContext, p: number, length: number): Flow {
  c.proto = 'cfm';
  if (length < 4) return tooShort(c);
  if (!c.has(p, 4)) {
    c.trunc();
    return DONE;
  }
  const mdlevelVersion = c.u8(p);
  const version = mdlevelVersion & 0x1f;
  if (version !== CFM_VERSION) {
    c.out += `CFMv${version} not supported, length ${length}`;
    return DONE;
  }
  const opcode = c.u8(p + 1);
  c.out += `CFMv${version} ${tok(OPCODES, opcode, `unknown (${opcode})`)}, MD Level ${mdlevelVersion >> 5}, length ${length}`;
  if (c.flags.vflag < 1) return DONE;
  const flags = c.u8(p + 2);
  const firstTlvOffset = c.u8(p + 3);
  c.out += `\n\tFirst TLV offset ${firstTlvOffset}`;
  let tptr = p + 4;
  let tlen = length - 4;
  if (firstTlvOffset > tlen) {
    c.out += ` (too large, must be <= ${tlen})`;
    return DONE;
  }
  switch (opcode) {
    case OPCODE_CCM: {
      if (firstTlvOffset < CCM_SIZE) {
        c.out += ` (too small 1, must be >= ${CCM_SIZE})`;
        return DONE;
      }
      if (tlen < CCM_SIZE) return tooShort(c);
      if (!c.has(tptr, CCM_SIZE)) {
        c.trunc();
        return DONE;
      }
      const r = ccm(c, tptr, flags);
      if (r !== undefined) return r;
      break;
    }
    case OPCODE_LTM:
      if (firstTlvOffset < LTM_SIZE) {
        c.out += ` (too small 4, must be >= ${LTM_SIZE})`;
        return DONE;
      }
      if (tlen < LTM_SIZE) return tooShort(c);
      if (!c.has(tptr, LTM_SIZE)) {
        c.trunc();
        return DONE;
      }
      c.out += `, Flags [${flags & 0x80 ? 'Use Forwarding-DB only' : 'none'}]`;
      c.out += `\n\t  Transaction-ID 0x${c.be32(tptr).toString(16).padStart(8, '0')}, ttl ${c.u8(tptr + 4)}`;
      c.out += `\n\t  Original-MAC ${c.mac(tptr + 5)}, Target-MAC ${c.mac(tptr + 11)}`;
      break;
    case OPCODE_LTR: {
      if (firstTlvOffset < LTR_SIZE) {
        c.out += ` (too small 5, must be >= ${LTR_SIZE})`;
        return DONE;
      }
      if (tlen < LTR_SIZE) return tooShort(c);
      if (!c.has(tptr, LTR_SIZE)) {
        c.trunc();
        return DONE;
      }
      const names: string[] = [];
      if (flags & 0x80) names.push('UseFDB Only');
      if (flags & 0x40) names.push('FwdYes');
      if (flags & 0x20) names.push('Terminal MEP');
      c.out += `, Flags [${names.length ? names.join(', ') : 'none'}]`;
      c.out += `\n\t  Transaction-ID 0x${c.be32(tptr).toString(16).padStart(8, '0')}, ttl ${c.u8(tptr + 4)}`;
      const action = c.u8(tptr + 5);
      c.out += `\n\t  Replay-Action ${tok(LTR_REPLAY_ACTIONS, action, 'Unknown')} (${action})`;
      break;
    }
    default:
      // Loopback messages and unknown opcodes: a hex dump up to the TLVs.
      unknownData(c, tptr, '\n\t  ', tlen - firstTlvOffset);
  }
  tptr += firstTlvOffset;
  tlen -= firstTlvOffset;
  return tlvs(c, tptr, tlen);
}

/** The CCM part of cfm_print; undefined to go on to the TLVs. */
function ccm(c: PacketContext, tptr: number, flags: number): Flow | undefined {
  const interval = flags & 0x07;
  c.out += `, Flags [CCM Interval ${interval}${flags & CFM_CCM_RDI_FLAG ? ', RDI' : ''}]`;
  if (interval) {
    const base = CCM_INTERVAL_BASE[interval]!;
    c.out +=
      `\n\t  CCM Interval ${base.toFixed(3)}s, min CCM Lifetime ${(base * CCM_INTERVAL_MIN_MULTIPLIER).toFixed(3)}s` +
      `, max CCM Lifetime ${(base * CCM_INTERVAL_MAX_MULTIPLIER).toFixed(3)}s`;
  }
  c.out += `\n\t  Sequence Number 0x${c.be32(tptr).toString(16).padStart(8, '0')}, MA-End-Point-ID 0x${hex4(c.be16(tptr + 4))}`;
  let names = tptr + 6;
  let remaining = 48;
  const mdFormat = c.u8(names);
  names++;
  remaining--;
  if (mdFormat !== 1) {
    const mdLength = c.u8(names);
    names++;
    remaining--;
    c.out += `\n\t  MD Name Format ${tok(MD_NAME_FORMATS, mdFormat, 'Unknown')} (${mdFormat}), MD Name length ${mdLength}`;
    if (mdLength > remaining - 3) {
      c.out += ` (too large, must be <= ${remaining - 2})`;
      return DONE;
    }
    c.out += '\n\t  MD Name: ';
    switch (mdFormat) {
      case 2:
      case 4:
        if (!printjnp(c, names, mdLength)) return TRUNCATED;
        break;
      case 3:
        c.out += mdLength === 6 ? `\n\t  MAC ${c.mac(names)}` : '\n\t  MAC (length invalid)';
        break;
      default:
        unknownData(c, names, '\n\t    ', mdLength);
    }
    names += mdLength;
    remaining -= mdLength;
  } else {
    c.out += `\n\t  MD Name Format ${tok(MD_NAME_FORMATS, mdFormat, 'Unknown')} (${mdFormat})`;
  }
  const maFormat = c.u8(names);
  const maLength = c.u8(names + 1);
  names += 2;
  remaining -= 2;
  c.out += `\n\t  MA Name-Format ${tok(MA_NAME_FORMATS, maFormat, 'Unknown')} (${maFormat}), MA name length ${maLength}`;
  if (maLength > remaining) {
    c.out += ` (too large, must be <= ${remaining})`;
    return DONE;
  }
  c.out += '\n\t  MA Name: ';
  if (maFormat === 2) {
    if (!printjnp(c, names, maLength)) return TRUNCATED;
  } else {
    unknownData(c, names, '\n\t    ', maLength);
  }
  return undefined;
}

/** What a TLV case of cfm_print's loop does next. */
const NEXT_TLV = 0; // `goto next_tlv`: skip the hex dump
const AFTER_SWITCH = 1; // on to the optional hex dump
const STOP = 2; // `return` from cfm_print

/** The TLV loop of cfm_print. */
function tlvs(c: PacketContext, tptr: number, tlen: number): Flow {
  const st = { tptr, tlen, tlvLen: 0, hexdump: false };
  while (st.tlen > 0) {
    if (!c.has(st.tptr, 1)) return TRUNCATED;
    const type = c.u8(st.tptr);
    c.out += `\n\t${tok(TLV_NAMES, type, 'Unknown')} TLV (0x${type.toString(16).padStart(2, '0')})`;
    if (type === TLV_END) return DONE;
    if (st.tlen < 3) return tooShort(c);
    if (!c.has(st.tptr, 3)) {
      c.trunc();
      return DONE;
    }
    st.tlvLen = c.be16(st.tptr + 1);
    c.out += `, length ${st.tlvLen}`;
    st.tptr += 3;
    st.tlen -= 3;
    const tlvPtr = st.tptr;
    if (st.tlen < st.tlvLen) return tooShort(c);
    if (!c.has(st.tptr, st.tlvLen)) {
      c.trunc();
      return DONE;
    }
    st.hexdump = false;
    let next: number = AFTER_SWITCH;
    switch (type) {
      case TLV_PORT_STATUS:
      case TLV_INTERFACE_STATUS: {
        if (st.tlvLen < 1) {
          c.out += ' (too short, must be >= 1)';
          return DONE;
        }
        const v = c.u8(st.tptr);
        c.out += `, Status: ${tok(type === TLV_PORT_STATUS ? PORT_STATUS : INTERFACE_STATUS, v, 'Unknown')} (${v})`;
        break;
      }
      case TLV_PRIVATE: {
        if (st.tlvLen < 4) {
          c.out += ' (too short, must be >= 4)';
          return DONE;
        }
        const oui = (c.u8(st.tptr) << 16) | c.be16(st.tptr + 1);
        c.out += `, Vendor: ${ouiName(oui) ?? 'Unknown'} (${oui}), Sub-Type ${c.u8(st.tptr + 3)}`;
        st.hexdump = true;
        break;
      }
      case TLV_SENDER_ID: {
        const r = senderId(c, st);
        if (r === TRUNCATED) return TRUNCATED;
        if (r === STOP) return DONE;
        next = r;
        break;
      }
      default:
        st.hexdump = true;
    }
    if (next === AFTER_SWITCH && (st.hexdump || c.flags.vflag > 1)) {
      unknownData(c, tlvPtr, '\n\t  ', st.tlvLen);
    }
    st.tptr += st.tlvLen;
    st.tlen -= st.tlvLen;
  }
  return DONE;
}

interface TlvState {
  tptr: number;
  tlen: number;
  tlvLen: number;
  hexdump: boolean;
}

/**
 * The Sender ID TLV (IEEE 802.1Q-2014 21.5.3). Moves `st` as cfm_print's
 * locals move; returns what the loop does next.
 */
function senderId(c: PacketContext, st: TlvState): number | typeof TRUNCATED {
  if (st.tlvLen < 1) {
    c.out += ' (too short, must be >= 1)';
    return NEXT_TLV;
  }
  const chassisLength = c.u8(st.tptr);
  st.tptr++;
  st.tlen--;
  st.tlvLen--;
  if (chassisLength) {
    if (st.tlvLen < 1) {
      c.out += '\n\t  (TLV too short)';
      return NEXT_TLV;
    }
    const chassisType = c.u8(st.tptr);
    st.tlvLen--;
    c.out += `\n\t  Chassis-ID Type ${tok(CHASSIS_ID_TYPES, chassisType, 'Unknown')} (${chassisType}), Chassis-ID length ${chassisLength}`;
    if (st.tlvLen < chassisLength) {
      c.out += '\n\t  (TLV too short)';
      return NEXT_TLV;
    }
    switch (chassisType) {
      case 4:
        if (chassisLength !== 6) {
          c.out += ' (invalid MAC address length)';
          st.hexdump = true;
        } else {
          if (!c.has(st.tptr + 1, 6)) return TRUNCATED;
          c.out += `\n\t  MAC ${c.mac(st.tptr + 1)}`;
        }
        break;
      case 5: {
        if (!c.has(st.tptr + 1, 1)) return TRUNCATED;
        const af = c.u8(st.tptr + 1);
        c.out += `\n\t  Network Address Type ${tok(ADDRESS_FAMILIES, af, 'Unknown')} (${af})`;
        if (af === 1 && chassisLength === 5) {
          if (!c.has(st.tptr + 2, 4)) return TRUNCATED;
          c.out += `, ${c.ip(st.tptr + 2)}`;
        } else if (af === 2 && chassisLength === 17) {
          if (!c.has(st.tptr + 2, 16)) return TRUNCATED;
          c.out += `, ${ip6String(c, st.tptr + 2)}`;
        } else {
          if (af === 1 || af === 2) {
            c.out += `(invalid IPv${af === 1 ? 4 : 6} address length ${chassisLength - 1})`;
          }
          st.hexdump = true;
        }
        break;
      }
      case 1:
      case 2:
      case 3:
      case 6:
      case 7:
        if (!printjnp(c, st.tptr + 1, chassisLength)) return TRUNCATED;
        break;
      default:
        st.hexdump = true;
    }
    st.tlvLen -= chassisLength;
    st.tptr += 1 + chassisLength;
    st.tlen -= 1 + chassisLength;
  }
  if (st.tlvLen === 0) return AFTER_SWITCH;
  let mgmt = c.u8(st.tptr);
  st.tptr++;
  st.tlen--;
  st.tlvLen--;
  c.out += `\n\t  Management Address Domain Length ${mgmt}`;
  if (mgmt) {
    if (st.tlvLen < mgmt) {
      c.out += '\n\t  (TLV too short)';
      return NEXT_TLV;
    }
    st.tlvLen -= mgmt;
    c.out += hexOnly('\n\t  Management Address Domain: ', c.b, st.tptr, mgmt);
    st.tptr += mgmt;
    st.tlen -= mgmt;
    if (st.tlvLen < 1) {
      c.out += ' (Management Address Length is missing)';
      st.hexdump = true;
      return AFTER_SWITCH;
    }
    mgmt = c.u8(st.tptr);
    st.tptr++;
    st.tlen--;
    st.tlvLen--;
    c.out += `\n\t  Management Address Length ${mgmt}`;
    if (mgmt) {
      if (st.tlvLen < mgmt) {
        c.out += '\n\t  (TLV too short)';
        return STOP;
      }
      st.tlvLen -= mgmt;
      c.out += hexOnly('\n\t  Management Address: ', c.b, st.tptr, mgmt);
      st.tptr += mgmt;
      st.tlen -= mgmt;
    }
  }
  return AFTER_SWITCH;
}

/** cfm_print's `tooshort:` label. */
function tooShort(c: PacketContext): Flow {
  c.out += '\n\t\t packet is too short';
  return DONE;
}
