/**
 * ARP for IPv4 over Ethernet (RFC 826). Only that pairing is decoded: hardware
 * type 1 with 6-byte addresses and protocol type 0x0800 with 4-byte addresses, as
 * Linux arp_rcv accepts on an Ethernet device (anything else is dropped there, and
 * is a located error here).
 */

import {
  formatIpv4Address,
  formatMacAddress,
  type Ipv4Address,
  MAC_ZERO,
  type MacAddress,
  readIpv4Address,
  readMacAddress,
  writeIpv4Address,
  writeMacAddress,
} from './address.js';
import { get16, put16 } from './bytes.js';
import { assertRoom } from './emit.js';
import { ETHERTYPE_IPV4 } from './ethernet.js';
import { fail, ok, type Parsed, type ParseFailure } from './parsed.js';

/** 8 fixed bytes plus two (6 + 4)-byte address pairs (RFC 826 "Packet format"). */
export const ARP_LEN = 28;
/** Linux: ARPHRD_ETHER in include/uapi/linux/if_arp.h (RFC 826: ares_hrd$Ethernet). */
export const ARPHRD_ETHER = 1;
// Operations (RFC 826, RFC 903 for RARP, RFC 2390 for InARP; Linux: ARPOP_*).
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const ARPOP_RREQUEST = 3;
export const ARPOP_RREPLY = 4;
export const ARPOP_INREQUEST = 8;
export const ARPOP_INREPLY = 9;
export const ARPOP_NAK = 10;

const F = {
  hardwareType: 0,
  protocolType: 2,
  hardwareLength: 4,
  protocolLength: 5,
  operation: 6,
  senderMac: 8,
  senderIp: 14,
  targetMac: 18,
  targetIp: 24,
} as const;

/** An Ethernet/IPv4 ARP packet in place. After check() succeeds no accessor reads out of bounds. */
export class ArpView {
  constructor(readonly bytes: Uint8Array) {}

  check(): ParseFailure | undefined {
    const b = this.bytes;
    if (b.length < F.senderMac) {
      return fail('arp', `truncated header: ${b.length} of ${ARP_LEN} bytes`, b.length);
    }
    if (this.hardwareType !== ARPHRD_ETHER) {
      return fail('arp', `unsupported hardware type ${this.hardwareType} (only Ethernet, 1)`, 0);
    }
    if (this.protocolType !== ETHERTYPE_IPV4) {
      const pt = this.protocolType.toString(16).padStart(4, '0');
      return fail('arp', `unsupported protocol type 0x${pt} (only IPv4, 0x0800)`, 2);
    }
    if (this.hardwareLength !== 6) {
      return fail('arp', `hardware address length ${this.hardwareLength}, not 6`, 4);
    }
    if (this.protocolLength !== 4) {
      return fail('arp', `protocol address length ${this.protocolLength}, not 4`, 5);
    }
    if (b.length < ARP_LEN) {
      return fail('arp', `truncated packet: ${b.length} of ${ARP_LEN} bytes`, b.length);
    }
    return undefined;
  }

  get hardwareType(): number {
    return get16(this.bytes, F.hardwareType);
  }
  get protocolType(): number {
    return get16(this.bytes, F.protocolType);
  }
  get hardwareLength(): number {
    return this.bytes[F.hardwareLength]!;
  }
  get protocolLength(): number {
    return this.bytes[F.protocolLength]!;
  }
  get operation(): number {
    return get16(this.bytes, F.operation);
  }
  get senderMac(): MacAddress {
    return readMacAddress(this.bytes, F.senderMac);
  }
  get senderIp(): Ipv4Address {
    return readIpv4Address(this.bytes, F.senderIp);
  }
  get targetMac(): MacAddress {
    return readMacAddress(this.bytes, F.targetMac);
  }
  get targetIp(): Ipv4Address {
    return readIpv4Address(this.bytes, F.targetIp);
  }
}

/**
 * An Ethernet/IPv4 ARP packet. Hardware and protocol types and lengths are implied
 * (1, 0x0800, 6, 4); `operation` keeps any value (request 1, reply 2, …).
 */
export interface ArpPacket {
  readonly operation: number;
  readonly senderMac: MacAddress;
  readonly senderIp: Ipv4Address;
  readonly targetMac: MacAddress;
  readonly targetIp: Ipv4Address;
}

/** Decodes the first 28 bytes; anything after them (Ethernet padding) is ignored. */
export function parseArp(bytes: Uint8Array): Parsed<ArpPacket> {
  const v = new ArpView(bytes);
  const bad = v.check();
  if (bad) return bad;
  return ok({
    operation: v.operation,
    senderMac: v.senderMac,
    senderIp: v.senderIp,
    targetMac: v.targetMac,
    targetIp: v.targetIp,
  });
}

export function arpHeaderLength(_arp: ArpPacket): number {
  return ARP_LEN;
}

/** Writes the 28 bytes into `out[0, 28)`. */
export function emitArp(arp: ArpPacket, out: Uint8Array): void {
  assertRoom(out, ARP_LEN, 'emitArp');
  put16(out, F.hardwareType, ARPHRD_ETHER);
  put16(out, F.protocolType, ETHERTYPE_IPV4);
  out[F.hardwareLength] = 6;
  out[F.protocolLength] = 4;
  put16(out, F.operation, arp.operation);
  writeMacAddress(out, F.senderMac, arp.senderMac);
  writeIpv4Address(out, F.senderIp, arp.senderIp);
  writeMacAddress(out, F.targetMac, arp.targetMac);
  writeIpv4Address(out, F.targetIp, arp.targetIp);
}

export function buildArp(arp: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_LEN);
  emitArp(arp, out);
  return out;
}

/**
 * "Who has `targetIp`?" The target hardware address is zero, as Linux arp_create
 * leaves it when it does not know it (the reference traces show 00:00:00:00:00:00).
 */
export function arpRequest(
  senderMac: MacAddress,
  senderIp: Ipv4Address,
  targetIp: Ipv4Address,
): ArpPacket {
  return { operation: ARPOP_REQUEST, senderMac, senderIp, targetMac: MAC_ZERO, targetIp };
}

/** The answer to `request` from the owner of its target address (RFC 826 "Packet Reception"). */
export function arpReply(request: ArpPacket, ownerMac: MacAddress): ArpPacket {
  return {
    operation: ARPOP_REPLY,
    senderMac: ownerMac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
}

/**
 * The ARP part of a tcpdump line (print-arp.c wording, without the `length`, which
 * belongs to the frame): `Request who-has 192.168.0.22 tell 192.168.0.21`,
 * `Reply 192.168.0.22 is-at 02:00:00:00:00:22`.
 */
export function formatArp(arp: ArpPacket): string {
  const spa = formatIpv4Address(arp.senderIp);
  const tpa = formatIpv4Address(arp.targetIp);
  const sha = formatMacAddress(arp.senderMac);
  const tha = formatMacAddress(arp.targetMac);
  switch (arp.operation) {
    case ARPOP_REQUEST:
      // tcpdump shows the target hardware address only when it is not all zeros.
      return arp.targetMac === MAC_ZERO
        ? `Request who-has ${tpa} tell ${spa}`
        : `Request who-has ${tpa} (${tha}) tell ${spa}`;
    case ARPOP_REPLY:
      return `Reply ${spa} is-at ${sha}`;
    case ARPOP_RREQUEST:
      return `Reverse Request who-is ${tha} tell ${sha}`;
    case ARPOP_RREPLY:
      return `Reverse Reply ${tha} at ${tpa}`;
    case ARPOP_INREQUEST:
      return `Inverse Request who-is ${tha} tell ${sha}`;
    case ARPOP_INREPLY:
      return `Inverse Reply ${sha} at ${spa}`;
    case ARPOP_NAK:
      // tcpdump names it, then dumps the packet in hex.
      return 'NACK Reply';
    default:
      return `Unknown (${arp.operation})`;
  }
}
