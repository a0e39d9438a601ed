/**
 * Golden bytes both ways: real frames from the Linux reference traces decode to
 * exactly what tcpdump printed for them, and encode back to the same bytes.
 */

import { describe, expect, test } from 'vitest';
import {
  ACK,
  ARPOP_REPLY,
  ARPOP_REQUEST,
  type ArpPacket,
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  buildTcp,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  type EthernetFrame,
  FIN,
  formatArp,
  formatEthernet,
  formatIcmp,
  formatIcmpQuote,
  formatIpv4Address,
  formatIpv4Header,
  formatTcp,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  ipv4Address,
  ipv4PseudoHeader,
  MAC_BROADCAST,
  PSH,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIcmpQuote,
  parseIpv4,
  parseTcp,
  type ReceivedIpv4Packet,
  type ReceivedTcpSegment,
  RST,
  SYN,
  seq,
  TCP_NOP,
  TCP_SACK_PERMITTED,
  tcpEffectiveMss,
  tcpHeaderLength,
  tcpPseudoHeader,
} from '../../src/wire/index.js';
import * as G from './fixtures.js';
import { fromHex, toHexString } from './fixtures.js';

const CLIENT = ipv4Address(192, 168, 0, 21);
const SERVER = ipv4Address(192, 168, 0, 22);
const CLIENT_MAC = 0x02_00_00_00_00_21;
const SERVER_MAC = 0x02_00_00_00_00_22;

function ethernet(frame: G.GoldenFrame): EthernetFrame {
  const r = parseEthernet(fromHex(frame.hex));
  if (!r.ok) throw new Error(`${frame.name}: ${r.error.reason}`);
  return r.value;
}

function ipv4(frame: G.GoldenFrame): ReceivedIpv4Packet {
  const r = parseIpv4(ethernet(frame).payload);
  if (!r.ok) throw new Error(`${frame.name}: ${r.error.reason}`);
  return r.value;
}

function tcp(frame: G.GoldenFrame): { ip: ReceivedIpv4Packet; seg: ReceivedTcpSegment } {
  const ip = ipv4(frame);
  const r = parseTcp(ip.payload, ipv4PseudoHeader(ip));
  if (!r.ok) throw new Error(`${frame.name}: ${r.error.reason}`);
  return { ip, seg: r.value };
}

/** tcpdump's two -v lines for an IPv4/TCP frame, from our formatters. */
function tcpdumpText(frame: G.GoldenFrame): string {
  const eth = ethernet(frame);
  const { ip, seg } = tcp(frame);
  return `${formatEthernet(eth)}: ${formatIpv4Header(ip)}\n    ${formatTcp(seg, ip.src, ip.dst)}`;
}

describe('ARP (data-exchange/nc #1, #2)', () => {
  test('the request decodes to every field tcpdump shows', () => {
    const eth = ethernet(G.ARP_REQUEST);
    expect(eth).toMatchObject({ dst: MAC_BROADCAST, src: CLIENT_MAC, ethertype: ETHERTYPE_ARP });
    const arp = parseArp(eth.payload);
    expect(arp).toEqual({
      ok: true,
      value: {
        operation: ARPOP_REQUEST,
        senderMac: CLIENT_MAC,
        senderIp: CLIENT,
        targetMac: 0,
        targetIp: SERVER,
      } satisfies ArpPacket,
    });
  });

  test('the reply decodes to every field tcpdump shows', () => {
    const eth = ethernet(G.ARP_REPLY);
    expect(eth).toMatchObject({ dst: CLIENT_MAC, src: SERVER_MAC, ethertype: ETHERTYPE_ARP });
    const arp = parseArp(eth.payload);
    expect(arp.ok && arp.value).toEqual({
      operation: ARPOP_REPLY,
      senderMac: SERVER_MAC,
      senderIp: SERVER,
      targetMac: CLIENT_MAC,
      targetIp: CLIENT,
    });
  });

  test.each([G.ARP_REQUEST, G.ARP_REPLY])('$name: formatters give tcpdump -v -e text', (frame) => {
    const eth = ethernet(frame);
    const arp = parseArp(eth.payload);
    if (!arp.ok) throw new Error(arp.error.reason);
    const text = `${formatEthernet(eth)}: Ethernet (len 6), IPv4 (len 4), ${formatArp(arp.value)}, length ${eth.payload.length}`;
    expect(text).toBe(frame.tcpdump);
  });

  test.each([G.ARP_REQUEST, G.ARP_REPLY])('$name: emit(parse(x)) is x', (frame) => {
    const bytes = fromHex(frame.hex);
    const eth = ethernet(frame);
    const arp = parseArp(eth.payload);
    if (!arp.ok) throw new Error(arp.error.reason);
    expect(toHexString(buildArp(arp.value))).toBe(toHexString(eth.payload));
    const rebuilt = buildEthernet({ ...eth, payload: buildArp(arp.value) });
    expect(toHexString(rebuilt)).toBe(toHexString(bytes));
  });
});

describe('IPv4 + TCP (data-exchange/nc, closed-port, time-wait, syn-flood)', () => {
  test('SYN: every header field, as tcpdump -v printed it', () => {
    const eth = ethernet(G.SYN);
    expect(eth).toMatchObject({ dst: SERVER_MAC, src: CLIENT_MAC, ethertype: ETHERTYPE_IPV4 });
    const { ip, seg } = tcp(G.SYN);
    expect(ip).toMatchObject({
      dscp: 0,
      ecn: 0,
      totalLength: 60,
      id: 3394,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IPPROTO_TCP,
      checksum: 0xabfe,
      checksumOk: true,
      checksumExpected: 0xabfe,
      src: CLIENT,
      dst: SERVER,
    });
    expect(ip.options.length).toBe(0);
    expect(ip.payload.length).toBe(40);
    expect(seg).toMatchObject({
      srcPort: 40001,
      dstPort: 80,
      seq: seq(3157498921),
      ack: 0,
      flags: SYN,
      reserved: 0,
      window: 64240,
      checksum: 0xdf5c,
      checksumOk: true,
      checksumExpected: 0xdf5c,
      urgentPointer: 0,
    });
    expect(seg.options).toEqual([
      { kind: 'mss', mss: 1460 },
      TCP_SACK_PERMITTED,
      { kind: 'timestamps', tsVal: 1320724620, tsEcr: 0 },
      TCP_NOP,
      { kind: 'wscale', shift: 10 },
    ]);
    expect(seg.payload.length).toBe(0);
    expect(tcpHeaderLength(seg)).toBe(40);
    expect(tcpEffectiveMss(seg.options)).toBe(1460);
  });

  test('SYN-ACK: flags S., ack = ISN + 1, the server timestamp echoes the client', () => {
    const { ip, seg } = tcp(G.SYN_ACK);
    expect(ip).toMatchObject({
      id: 0,
      dontFragment: true,
      src: SERVER,
      dst: CLIENT,
      checksumOk: true,
    });
    expect(seg).toMatchObject({
      srcPort: 80,
      dstPort: 40001,
      seq: seq(1964511094),
      ack: seq(3157498922),
      flags: SYN | ACK,
      window: 65160,
      checksum: 0x2914,
      checksumOk: true,
    });
    expect(seg.options).toEqual([
      { kind: 'mss', mss: 1460 },
      TCP_SACK_PERMITTED,
      { kind: 'timestamps', tsVal: 2280236583 | 0, tsEcr: 1320724620 },
      TCP_NOP,
      { kind: 'wscale', shift: 10 },
    ]);
  });

  test('data segment: 7 bytes of payload after nop,nop,TS', () => {
    const { ip, seg } = tcp(G.DATA);
    expect(ip).toMatchObject({ totalLength: 59, id: 3396 });
    expect(seg).toMatchObject({
      seq: seq(3157498922),
      ack: seq(1964511095),
      flags: PSH | ACK,
      window: 63,
      checksum: 0x064b,
      checksumOk: true,
    });
    expect(seg.options).toEqual([
      TCP_NOP,
      TCP_NOP,
      { kind: 'timestamps', tsVal: 1320725120, tsEcr: 2280236583 | 0 },
    ]);
    expect(new TextDecoder().decode(seg.payload)).toBe('hello\r\n');
  });

  test('FIN: flags F., no payload', () => {
    const { seg } = tcp(G.FIN_ACK);
    expect(seg).toMatchObject({
      seq: seq(3157498943),
      ack: seq(1964511128),
      flags: FIN | ACK,
      window: 63,
    });
    expect(seg.payload.length).toBe(0);
  });

  test('RST|ACK from a closed port: seq 0, ack ISN + 1, win 0, no options', () => {
    const { ip, seg } = tcp(G.RST_ACK);
    expect(ip).toMatchObject({ totalLength: 40, id: 0, dontFragment: true, ttl: 64 });
    expect(seg).toMatchObject({
      srcPort: 80,
      dstPort: 40001,
      seq: 0,
      ack: seq(3104775179),
      flags: RST | ACK,
      window: 0,
      checksum: 0xbca8,
      checksumOk: true,
      urgentPointer: 0,
    });
    expect(seg.options).toEqual([]);
  });

  test('bare RST: flags R, ack field zero', () => {
    const { seg } = tcp(G.RST);
    expect(seg).toMatchObject({
      seq: seq(53437957),
      ack: 0,
      flags: RST,
      window: 0,
      checksumOk: true,
    });
  });

  test('flood SYN with only an MSS option', () => {
    const { ip, seg } = tcp(G.SYN_MSS_ONLY);
    expect(formatIpv4Address(ip.src)).toBe('192.168.0.128');
    expect(seg.options).toEqual([{ kind: 'mss', mss: 1460 }]);
    expect(tcpHeaderLength(seg)).toBe(24);
  });

  test.each(G.TCP_FRAMES)('$name: formatters give tcpdump -n -v -e -S text', (frame) => {
    const ours = tcpdumpText(frame);
    // tcpdump names the application protocol of port 80 payloads (": HTTP"); that
    // is the printer's business, not the wire layer's.
    expect(frame.tcpdump.replace(/: HTTP$/, '')).toBe(ours);
  });

  test.each(G.TCP_FRAMES)('$name: emit(parse(x)) is x, layer by layer', (frame) => {
    const bytes = fromHex(frame.hex);
    const eth = ethernet(frame);
    const { ip, seg } = tcp(frame);
    // The decoded values re-encode to the same bytes, checksums recomputed...
    const tcpBytes = buildTcp(seg, ipv4PseudoHeader(ip));
    expect(toHexString(tcpBytes)).toBe(toHexString(ip.payload));
    const ipBytes = buildIpv4({ ...ip, payload: tcpBytes });
    expect(toHexString(ipBytes)).toBe(toHexString(eth.payload));
    expect(toHexString(buildEthernet({ ...eth, payload: ipBytes }))).toBe(toHexString(bytes));
    // ...and verbatim (no recomputation) as well.
    expect(toHexString(buildTcp(seg, ipv4PseudoHeader(ip), 'verbatim'))).toBe(
      toHexString(ip.payload),
    );
    expect(toHexString(buildIpv4(ip, 'verbatim'))).toBe(toHexString(eth.payload));
  });

  test('a SYN built from scratch, like Linux sends it, is byte for byte the trace SYN', () => {
    const seg = {
      srcPort: 40001,
      dstPort: 80,
      seq: seq(3157498921),
      ack: seq(0),
      flags: SYN,
      window: 64240,
      urgentPointer: 0,
      options: [
        { kind: 'mss', mss: 1460 } as const,
        TCP_SACK_PERMITTED,
        { kind: 'timestamps', tsVal: 1320724620, tsEcr: 0 } as const,
        TCP_NOP,
        { kind: 'wscale', shift: 10 } as const,
      ],
      payload: new Uint8Array(0),
    };
    const tcpBytes = buildTcp(seg, tcpPseudoHeader(CLIENT, SERVER, seg));
    const ipBytes = buildIpv4({
      dscp: 0,
      ecn: 0,
      id: 3394,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IPPROTO_TCP,
      src: CLIENT,
      dst: SERVER,
      options: new Uint8Array(0),
      payload: tcpBytes,
    });
    const frame = buildEthernet({
      dst: SERVER_MAC,
      src: CLIENT_MAC,
      ethertype: ETHERTYPE_IPV4,
      payload: ipBytes,
    });
    expect(toHexString(frame)).toBe(G.SYN.hex);
  });
});

describe('ICMP port unreachable (reject-icmp/nc #4)', () => {
  test('every field of the outer header and of the message', () => {
    const ip = ipv4(G.ICMP_PORT_UNREACHABLE);
    expect(ip).toMatchObject({
      dscp: 0x30,
      ecn: 0,
      totalLength: 88,
      id: 57569,
      dontFragment: false,
      moreFragments: false,
      ttl: 64,
      protocol: IPPROTO_ICMP,
      checksum: 0x1788,
      checksumOk: true,
      src: SERVER,
      dst: CLIENT,
    });
    const icmp = parseIcmp(ip.payload);
    if (!icmp.ok) throw new Error(icmp.error.reason);
    expect(icmp.value).toMatchObject({
      kind: 'destUnreachable',
      code: 3,
      unused: 0,
      nextHopMtu: 0,
      checksum: 0x7ea7,
      checksumOk: true,
    });
    expect(ip.payload.length).toBe(68);
  });

  test('the quote is the whole 60-byte SYN, which decodes with a correct checksum', () => {
    const icmp = parseIcmp(ipv4(G.ICMP_PORT_UNREACHABLE).payload);
    if (!icmp.ok || icmp.value.kind !== 'destUnreachable') throw new Error('not an unreachable');
    expect(toHexString(icmp.value.quote)).toBe(toHexString(ethernet(G.REJECTED_SYN).payload));
    const q = parseIcmpQuote(icmp.value.quote);
    if (!q.ok) throw new Error(q.error.reason);
    expect(q.value).toMatchObject({ srcPort: 40001, dstPort: 80, seq: seq(2919683495) });
    expect(q.value.ip).toMatchObject({ id: 12875, src: CLIENT, dst: SERVER, checksumOk: true });
    expect(formatIcmpQuote(q.value)).toBe(
      '(tos 0x0, ttl 64, id 12875, offset 0, flags [DF], proto TCP (6), length 60) 192.168.0.21.40001 > 192.168.0.22.80',
    );
  });

  test('formatters give tcpdump -n -v -e -S text, quote included', () => {
    const eth = ethernet(G.ICMP_PORT_UNREACHABLE);
    const ip = ipv4(G.ICMP_PORT_UNREACHABLE);
    const icmp = parseIcmp(ip.payload);
    if (!icmp.ok || icmp.value.kind !== 'destUnreachable') throw new Error('not an unreachable');
    const q = parseIcmpQuote(icmp.value.quote);
    if (!q.ok) throw new Error(q.error.reason);
    const inner = parseTcp(q.value.ip.payload, ipv4PseudoHeader(q.value.ip));
    if (!inner.ok) throw new Error(inner.error.reason);
    const text =
      `${formatEthernet(eth)}: ${formatIpv4Header(ip)}\n` +
      `    ${formatIpv4Address(ip.src)} > ${formatIpv4Address(ip.dst)}: ${formatIcmp(icmp.value)}\n` +
      `\t${formatIpv4Header(q.value.ip)}\n` +
      `    ${formatTcp(inner.value, q.value.ip.src, q.value.ip.dst)}`;
    expect(text).toBe(G.ICMP_PORT_UNREACHABLE.tcpdump);
  });

  test('emit(parse(x)) is x', () => {
    const bytes = fromHex(G.ICMP_PORT_UNREACHABLE.hex);
    const eth = ethernet(G.ICMP_PORT_UNREACHABLE);
    const ip = ipv4(G.ICMP_PORT_UNREACHABLE);
    const icmp = parseIcmp(ip.payload);
    if (!icmp.ok) throw new Error(icmp.error.reason);
    const rebuilt = buildEthernet({
      ...eth,
      payload: buildIpv4({ ...ip, payload: buildIcmp(icmp.value) }),
    });
    expect(toHexString(rebuilt)).toBe(toHexString(bytes));
  });
});
