/**
 * tcpdump as the oracle: it reads the golden frames and prints what fixtures.ts
 * says; it reads packets our builders made from random values, finds every checksum
 * correct, and prints exactly what our formatters print.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import {
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIcmpUnreachable,
  buildIpv4,
  buildTcp,
  buildUdp,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  formatArp,
  formatEthernet,
  formatIcmp,
  formatIpv4Address,
  formatIpv4Header,
  formatTcp,
  formatUdp,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Ipv4Packet,
  ipv4PseudoHeader,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIpv4,
  parseTcp,
  parseUdp,
  RST,
  seq,
  TCP_NOP,
  TCP_SACK_PERMITTED,
  type TcpOption,
  type TcpSegment,
  tcpOptionsLength,
  tcpPseudoHeader,
  udpPseudoHeader,
} from '../../src/wire/index.js';
import { arpPacket, bytes, icmpMessage, ipv4Packet, u8, u16, u32 } from './arbitraries.js';
import { ALL_FRAMES, fromHex } from './fixtures.js';
import { hasTcpdump, pcapFile, tcpdumpPackets } from './stack.js';

if (!hasTcpdump) {
  console.warn('test/wire/oracle.test.ts: tcpdump not found, skipping the tcpdump oracle tests');
}

const dir = hasTcpdump ? mkdtempSync(join(tmpdir(), 'tcplab-wire-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runTcpdump(
  name: string,
  frames: readonly Uint8Array[],
  flags: readonly string[],
): string[] {
  const path = join(dir, `${name}.pcap`);
  writeFileSync(path, pcapFile(frames));
  const out = tcpdumpPackets(path, flags);
  expect(out.length).toBe(frames.length);
  return out;
}

const MAC_A = 0x02_00_00_00_00_21;
const MAC_B = 0x02_00_00_00_00_22;

/** Ports tcpdump 4.99 has no application printer for, so its line ends with the length. */
const quietPort = fc.constantFrom(40001, 40002, 45678, 50000, 51234, 60000);

/** Options tcpdump prints the way formatTcpOption does (no kinds it decodes specially). */
const oracleOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant(TCP_NOP),
  u16.map((mss): TcpOption => ({ kind: 'mss', mss })),
  u8.map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant(TCP_SACK_PERMITTED),
  fc
    .array(fc.record({ left: u32.map(seq), right: u32.map(seq) }), { minLength: 1, maxLength: 3 })
    .map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  // TSval and TSecr as the parser gives them: the wire's 32 bits as int32s.
  fc
    .tuple(u32, u32)
    .map(([v, e]): TcpOption => ({ kind: 'timestamps', tsVal: v | 0, tsEcr: e | 0 })),
  fc
    .record({ code: fc.integer({ min: 40, max: 250 }), bytes: bytes(6) })
    .map(({ code, bytes: b }): TcpOption => ({ kind: 'unknown', code, bytes: b })),
);

const oracleOptions = fc
  .tuple(fc.array(oracleOption, { maxLength: 6 }), fc.boolean())
  .map(([cands, eol]) => {
    const out: TcpOption[] = [];
    let len = 0;
    for (const o of cands) {
      const l = tcpOptionsLength([o]);
      if (len + l > 39) break;
      out.push(o);
      len += l;
    }
    if (eol) out.push({ kind: 'eol', padding: new Uint8Array((4 - ((len + 1) % 4)) % 4) });
    else while (len++ % 4 !== 0) out.push(TCP_NOP);
    return out;
  });

const oracleSegment: fc.Arbitrary<TcpSegment> = fc
  .record({
    srcPort: quietPort,
    dstPort: quietPort,
    seq: u32.map(seq),
    ack: u32.map(seq),
    flags: fc.integer({ min: 0, max: 0x1ff }),
    reserved: fc.integer({ min: 0, max: 7 }),
    window: u16,
    urgentPointer: u16,
    options: oracleOptions,
    payload: bytes(40),
  })
  // With -v tcpdump prints the payload of a RST as text; keep RSTs empty.
  .map((s) => (s.flags & RST ? { ...s, payload: new Uint8Array(0) } : s));

/** IPv4 that tcpdump hands to the transport printer: unfragmented, no options. */
function oracleIp(protocol: number, payload: Uint8Array): fc.Arbitrary<Ipv4Packet> {
  return ipv4Packet().map((p) => ({
    ...p,
    protocol,
    moreFragments: false,
    fragmentOffset: 0,
    options: new Uint8Array(0),
    payload,
  }));
}

function frameOf(ip: Ipv4Packet): Uint8Array {
  return buildEthernet({
    dst: MAC_B,
    src: MAC_A,
    ethertype: ETHERTYPE_IPV4,
    payload: buildIpv4(ip),
  });
}

/** Our formatters' rendering of a frame in tcpdump -v -e form (first lines for ICMP errors). */
function ourText(frame: Uint8Array): string {
  const eth = parseEthernet(frame);
  if (!eth.ok) throw new Error(eth.error.reason);
  const head = `${formatEthernet(eth.value)}: `;
  if (eth.value.ethertype === ETHERTYPE_ARP) {
    const arp = parseArp(eth.value.payload);
    if (!arp.ok) throw new Error(arp.error.reason);
    return `${head}Ethernet (len 6), IPv4 (len 4), ${formatArp(arp.value)}, length 28`;
  }
  const ip = parseIpv4(eth.value.payload);
  if (!ip.ok) throw new Error(ip.error.reason);
  const ipLine = `${head}${formatIpv4Header(ip.value)}\n    `;
  const { src, dst } = ip.value;
  if (ip.value.protocol === IPPROTO_TCP) {
    const t = parseTcp(ip.value.payload, ipv4PseudoHeader(ip.value));
    if (!t.ok) throw new Error(t.error.reason);
    return ipLine + formatTcp(t.value, src, dst);
  }
  if (ip.value.protocol === IPPROTO_UDP) {
    const u = parseUdp(ip.value.payload, ipv4PseudoHeader(ip.value));
    if (!u.ok) throw new Error(u.error.reason);
    return ipLine + formatUdp(u.value, src, dst);
  }
  const m = parseIcmp(ip.value.payload);
  if (!m.ok) throw new Error(m.error.reason);
  return `${ipLine}${formatIpv4Address(src)} > ${formatIpv4Address(dst)}: ${formatIcmp(m.value)}`;
}

describe.skipIf(!hasTcpdump)('tcpdump 4.99 agrees', () => {
  test('the golden frames print exactly as fixtures.ts records', () => {
    const out = runTcpdump(
      'golden',
      ALL_FRAMES.map((f) => fromHex(f.hex)),
      ['-n', '-v', '-e', '-S'],
    );
    expect(out).toEqual(ALL_FRAMES.map((f) => f.tcpdump));
  });

  test('TCP segments we build: every checksum correct, every line as formatTcp prints it', () => {
    const frames = fc.sample(
      oracleSegment.chain((seg) =>
        oracleIp(IPPROTO_TCP, new Uint8Array(0)).map((ip) => {
          const tcp = buildTcp(seg, tcpPseudoHeader(ip.src, ip.dst, seg));
          return frameOf({ ...ip, payload: tcp });
        }),
      ),
      { seed: 7, numRuns: 400 },
    );
    const out = runTcpdump('tcp', frames, ['-n', '-v', '-e', '-S']);
    out.forEach((text, i) => {
      expect(text).toContain('(correct)');
      expect(text).toBe(ourText(frames[i]!));
    });
  });

  test('UDP datagrams we build: tcpdump -vv finds the checksum ok and prints formatUdp', () => {
    const frames = fc.sample(
      fc
        .record({ srcPort: quietPort, dstPort: quietPort, payload: bytes(40) })
        .chain((d) =>
          oracleIp(IPPROTO_UDP, new Uint8Array(0)).map((ip) =>
            frameOf({ ...ip, payload: buildUdp(d, udpPseudoHeader(ip.src, ip.dst, d)) }),
          ),
        ),
      { seed: 8, numRuns: 200 },
    );
    const out = runTcpdump('udp', frames, ['-n', '-vv', '-e']);
    out.forEach((text, i) => {
      expect(text).toContain('[udp sum ok]');
      // -vv adds the IP header checksum note only when it is wrong: same text as -v.
      expect(text).toBe(ourText(frames[i]!));
    });
  });

  test('ICMP messages we build: tcpdump -v finds no checksum to complain about', () => {
    const echo = fc.sample(
      icmpMessage
        .filter((m) => m.kind === 'echoRequest' || m.kind === 'echoReply')
        .chain((m) => oracleIp(IPPROTO_ICMP, buildIcmp({ ...m, code: 0 })).map(frameOf)),
      { seed: 9, numRuns: 100 },
    );
    const out = runTcpdump('icmp', echo, ['-n', '-v', '-e']);
    out.forEach((text, i) => {
      expect(text).not.toContain('wrong icmp cksum');
      expect(text).toBe(ourText(echo[i]!));
    });
  });

  test('unreachables we build about random datagrams print as formatIcmp says', () => {
    const frames = fc.sample(
      fc
        .tuple(
          oracleSegment,
          oracleIp(IPPROTO_TCP, new Uint8Array(0)),
          fc.integer({ min: 0, max: 15 }),
        )
        .map(([seg, ip, code]) => {
          const offending = buildIpv4({
            ...ip,
            payload: buildTcp(seg, tcpPseudoHeader(ip.src, ip.dst, seg)),
          });
          const err = buildIcmpUnreachable(offending, code, {
            src: ip.dst,
            id: ip.id,
            info: code === 4 ? 1280 : 0,
          });
          if (!err.ok) throw new Error(err.error.reason);
          return buildEthernet({
            dst: MAC_A,
            src: MAC_B,
            ethertype: ETHERTYPE_IPV4,
            payload: err.value,
          });
        }),
      { seed: 10, numRuns: 100 },
    );
    const out = runTcpdump('unreach', frames, ['-n', '-v', '-e', '-S']);
    out.forEach((text, i) => {
      // tcpdump goes on with the quoted datagram on the next lines.
      expect(text.split('\n').slice(0, 2).join('\n')).toBe(ourText(frames[i]!));
      expect(text).not.toContain('wrong icmp cksum');
    });
  });

  test('ARP packets we build print as formatArp says', () => {
    const frames = fc.sample(
      fc.tuple(arpPacket, fc.constantFrom(1, 2, 3, 4, 8, 9)).map(([arp, operation]) =>
        buildEthernet({
          dst: MAC_B,
          src: MAC_A,
          ethertype: ETHERTYPE_ARP,
          payload: buildArp({ ...arp, operation }),
        }),
      ),
      { seed: 11, numRuns: 100 },
    );
    const out = runTcpdump('arp', frames, ['-n', '-v', '-e']);
    for (const [i, text] of out.entries()) expect(text).toBe(ourText(frames[i]!));
  });
});
