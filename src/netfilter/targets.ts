/**
 * What the REJECT and LOG targets do to the world.
 *
 * REJECT (net/ipv4/netfilter/ipt_REJECT.c reject_tg) answers the packet, then
 * drops it: an ICMP destination unreachable through the host's icmp_send
 * (nf_send_unreach), or a TCP reset built as nf_send_reset does
 * (nf_reject_ipv4.c: RST|ACK acknowledging the segment when it had no ACK, RST
 * with seq = its ack otherwise; window 0, no options; IP id 0, DF, TTL 64),
 * which the reject-rst reference trace shows is the kernel's closed-port reset.
 *
 * LOG (net/netfilter/xt_LOG.c → nf_log_syslog.c nf_log_ip_packet) writes one
 * line to the kernel log: `PREFIXIN=eth0 OUT= MAC=… SRC=… DST=… LEN=… TOS=…
 * PREC=… TTL=… ID=… DF PROTO=TCP SPT=… DPT=… WINDOW=… RES=0x00 SYN URGP=0 `,
 * field for field as dump_ipv4_packet prints it, trailing space included.
 */

import type { Host } from '../host/host.js';
import type { NetInterface } from '../host/interface.js';
import { KMSG_LEVELS, type KmsgLevel } from '../host/kmsg.js';
import type { HookPacket } from '../host/protocol.js';
import { tcpResetFor } from '../tcp/reset.js';
import { formatIpv4Address } from '../wire/address.js';
import { EMPTY_BYTES } from '../wire/bytes.js';
import { buildIpv4, IPPROTO_TCP } from '../wire/ipv4.js';
import { buildTcp, parseTcp, tcpPseudoHeader } from '../wire/tcp.js';
import type { RejectWith } from './rule.js';

/** ipt_REJECT.c: the ICMP code of each reject type. */
const REJECT_CODES: Readonly<Record<Exclude<RejectWith, 'tcp-reset'>, number>> = {
  'icmp-net-unreachable': 0, // ICMP_NET_UNREACH
  'icmp-host-unreachable': 1, // ICMP_HOST_UNREACH
  'icmp-proto-unreachable': 2, // ICMP_PROT_UNREACH
  'icmp-port-unreachable': 3, // ICMP_PORT_UNREACH
  'icmp-net-prohibited': 9, // ICMP_NET_ANO
  'icmp-host-prohibited': 10, // ICMP_HOST_ANO
  'icmp-admin-prohibited': 13, // ICMP_PKT_FILTERED
};

/** The Ethernet header a received datagram came in, if it still sits before it in its buffer. */
export function macHeaderOf(pkt: HookPacket): Uint8Array | undefined {
  const d = pkt.datagram;
  if (pkt.inIface === undefined || d.byteOffset < 14) return undefined;
  return new Uint8Array(d.buffer, d.byteOffset - 14, 14);
}

/** reject_tg: sends the answer; the caller drops the packet. */
export function sendReject(host: Host, pkt: HookPacket, how: RejectWith): void {
  const ip = pkt.ip;
  // nf_send_unreach / nf_reject_ip_tcphdr_get: "IP header checks: fragment."
  if (ip.fragmentOffset !== 0) return;
  if (how === 'tcp-reset') {
    sendReset(host, pkt);
    return;
  }
  const mac = macHeaderOf(pkt);
  // icmp_send answers only frames addressed to this host's MAC (pkt_type).
  const broadcastFrame = mac !== undefined && (mac[0]! & 1) === 1;
  const dev: NetInterface | undefined = pkt.inIface ?? pkt.outIface;
  const local = host.isLocalAddress(ip.dst);
  host.icmp.send(
    {
      datagram: pkt.datagram,
      pktType: broadcastFrame ? 'broadcast' : 'host',
      inIface: dev,
      local: pkt.hook === 'FORWARD' ? false : local,
      broadcast: dev !== undefined && host.addressType(dev, ip.dst) === 'broadcast',
    },
    3,
    REJECT_CODES[how],
    0,
  );
}

/** nf_send_reset. */
function sendReset(host: Host, pkt: HookPacket): void {
  const ip = pkt.ip;
  if (ip.protocol !== IPPROTO_TCP) return;
  const parsed = parseTcp(
    ip.payload,
    { src: ip.src, dst: ip.dst, protocol: IPPROTO_TCP, length: ip.payload.length },
    { options: 'linux' },
  );
  // nf_reject_ip_tcphdr_get: a bad checksum (on input) or a RST gets nothing.
  if (!parsed.ok) return;
  if (pkt.hook !== 'OUTPUT' && !parsed.value.checksumOk) return;
  const rst = tcpResetFor(parsed.value);
  if (rst === undefined) return;
  const payload = buildTcp(rst, tcpPseudoHeader(ip.dst, ip.src, rst));
  if (host.isLocalAddress(ip.dst)) {
    host.sendIp({ src: ip.dst, dst: ip.src, protocol: IPPROTO_TCP, payload, df: true, id: 0 });
    return;
  }
  // A forwarded segment: the reset is sent in the name of its destination,
  // which is not ours (ip_route_me_harder with RTN_UNSPEC allows it).
  host.sendRawIp(
    buildIpv4({
      dscp: 0,
      ecn: 0,
      id: 0,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: host.sysctl.int('net.ipv4.ip_default_ttl'),
      protocol: IPPROTO_TCP,
      src: ip.dst,
      dst: ip.src,
      options: EMPTY_BYTES,
      payload,
    }),
  );
}

/** XT_LOG_* flags (include/uapi/linux/netfilter/xt_LOG.h). */
export const XT_LOG_TCPSEQ = 0x01;
export const XT_LOG_TCPOPT = 0x02;
export const XT_LOG_IPOPT = 0x04;
export const XT_LOG_UID = 0x08;
export const XT_LOG_MACDECODE = 0x20;

const LEVELS = KMSG_LEVELS;

/** The kernel log level of a LOG --log-level number. */
export function kmsgLevel(level: number): KmsgLevel {
  return LEVELS[level] ?? 'warn';
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const HEX2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/** nf_log_ip_packet: the text of the record (without the level). */
export function logLine(prefix: string, pkt: HookPacket, flags: number): string {
  let m = `${prefix}IN=${pkt.inIface?.name ?? ''} OUT=${pkt.outIface?.name ?? ''} `;
  if (pkt.inIface !== undefined) {
    const mac = macHeaderOf(pkt);
    if (flags & XT_LOG_MACDECODE && mac !== undefined && pkt.inIface.kind === 'ethernet') {
      const h = (o: number) => [...mac.subarray(o, o + 6)].map(hex2).join(':');
      m += `MACSRC=${h(6)} MACDST=${h(0)} MACPROTO=${hex2(mac[12]!)}${hex2(mac[13]!)} `;
    } else {
      // dump_mac_header's fallback: the hard header, byte by byte.
      m += 'MAC=';
      if (mac !== undefined) m += [...mac].map(hex2).join(':');
      m += ' ';
    }
  }
  return m + dumpIpv4(pkt.datagram, flags, false);
}

function addr(b: Uint8Array, o: number): string {
  return formatIpv4Address(
    ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0,
  );
}

/** dump_ipv4_packet: `d` from its IP header; `inner` for the datagram an ICMP error quotes. */
function dumpIpv4(d: Uint8Array, flags: number, inner: boolean): string {
  if (d.length < 20) return 'TRUNCATED';
  let m = `SRC=${addr(d, 12)} DST=${addr(d, 16)} `;
  const tos = d[1]!;
  const totlen = (d[2]! << 8) | d[3]!;
  const id = (d[4]! << 8) | d[5]!;
  const frag = (d[6]! << 8) | d[7]!;
  // IPTOS_TOS_MASK 0x1E, IPTOS_PREC_MASK 0xE0.
  m += `LEN=${totlen} TOS=0x${HEX2(tos & 0x1e)} PREC=0x${HEX2(tos & 0xe0)} TTL=${d[8]} ID=${id} `;
  if (frag & 0x8000) m += 'CE ';
  if (frag & 0x4000) m += 'DF ';
  if (frag & 0x2000) m += 'MF ';
  const offset = frag & 0x1fff;
  if (offset) m += `FRAG:${offset} `;
  const ihl = (d[0]! & 15) * 4;
  if (flags & XT_LOG_IPOPT && ihl > 20) {
    if (d.length < ihl) return `${m}TRUNCATED`;
    m += `OPT (${[...d.subarray(20, ihl)].map(HEX2).join('')}) `;
  }
  const l4 = d.subarray(ihl);
  const proto = d[9]!;
  switch (proto) {
    case 6: {
      m += 'PROTO=TCP ';
      if (offset) break;
      if (l4.length < 20) return `${m}INCOMPLETE [${l4.length} bytes] `;
      m += `SPT=${(l4[0]! << 8) | l4[1]!} DPT=${(l4[2]! << 8) | l4[3]!} `;
      if (flags & XT_LOG_TCPSEQ) {
        const u32 = (o: number) =>
          ((l4[o]! << 24) | (l4[o + 1]! << 16) | (l4[o + 2]! << 8) | l4[o + 3]!) >>> 0;
        m += `SEQ=${u32(4)} ACK=${u32(8)} `;
      }
      m += `WINDOW=${(l4[14]! << 8) | l4[15]!} RES=0x${hex2((l4[12]! & 0x0e) << 2)} `;
      const f = l4[13]!;
      if (l4[12]! & 1) m += 'AE ';
      const names: [number, string][] = [
        [0x80, 'CWR'],
        [0x40, 'ECE'],
        [0x20, 'URG'],
        [0x10, 'ACK'],
        [0x08, 'PSH'],
        [0x04, 'RST'],
        [0x02, 'SYN'],
        [0x01, 'FIN'],
      ];
      for (const [bit, name] of names) if (f & bit) m += `${name} `;
      m += `URGP=${(l4[18]! << 8) | l4[19]!} `;
      const doff = (l4[12]! >> 4) * 4;
      if (flags & XT_LOG_TCPOPT && doff > 20) {
        if (l4.length < doff) return `${m}OPT (TRUNCATED)`;
        m += `OPT (${[...l4.subarray(20, doff)].map(HEX2).join('')}) `;
      }
      break;
    }
    case 17:
    case 136:
      m += proto === 17 ? 'PROTO=UDP ' : 'PROTO=UDPLITE ';
      if (offset) break;
      if (l4.length < 8) return `${m}INCOMPLETE [${l4.length} bytes] `;
      m += `SPT=${(l4[0]! << 8) | l4[1]!} DPT=${(l4[2]! << 8) | l4[3]!} LEN=${(l4[4]! << 8) | l4[5]!} `;
      break;
    case 1: {
      m += 'PROTO=ICMP ';
      if (offset) break;
      if (l4.length < 4) return `${m}INCOMPLETE [${l4.length} bytes] `;
      const type = l4[0]!;
      m += `TYPE=${type} CODE=${l4[1]} `;
      const required: Record<number, number> = {
        0: 4,
        3: 28,
        4: 28,
        5: 28,
        8: 4,
        11: 28,
        12: 28,
        13: 20,
        14: 20,
        17: 12,
        18: 12,
      };
      if (required[type] !== undefined && l4.length < required[type]!) {
        return `${m}INCOMPLETE [${l4.length} bytes] `;
      }
      switch (type) {
        case 0:
        case 8:
          m += `ID=${(l4[4]! << 8) | l4[5]!} SEQ=${(l4[6]! << 8) | l4[7]!} `;
          break;
        case 12:
          m += `PARAMETER=${l4[4]} `;
          break;
        case 3:
        case 5:
        case 4:
        case 11:
          // A redirect names its gateway first (dump_ipv4_packet falls through).
          if (type === 5) m += `GATEWAY=${addr(l4, 4)} `;
          if (!inner) m += `[${dumpIpv4(l4.subarray(8), flags, true)}] `;
          if (type === 3 && l4[1] === 4) m += `MTU=${(l4[6]! << 8) | l4[7]!} `;
          break;
      }
      break;
    }
    case 51:
      if (offset) break;
      m += 'PROTO=AH ';
      if (l4.length < 8) return `${m}INCOMPLETE [${l4.length} bytes] `;
      m += `SPI=0x${(((l4[4]! << 24) | (l4[5]! << 16) | (l4[6]! << 8) | l4[7]!) >>> 0).toString(16)} `;
      break;
    case 50:
      m += 'PROTO=ESP ';
      if (offset) break;
      if (l4.length < 8) return `${m}INCOMPLETE [${l4.length} bytes] `;
      m += `SPI=0x${(((l4[0]! << 24) | (l4[1]! << 16) | (l4[2]! << 8) | l4[3]!) >>> 0).toString(16)} `;
      break;
    default:
      m += `PROTO=${proto} `;
  }
  return m;
}
