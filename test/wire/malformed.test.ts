/**
 * A table of malformed inputs, each with the exact reason and offset its decoder
 * must report. Offsets are into the buffer handed to that decoder.
 */

import { describe, expect, test } from 'vitest';
import {
  buildTcp,
  ipv4IsTruncated,
  type Parsed,
  type PseudoHeader,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIpv4,
  parseIpv4Address,
  parseMacAddress,
  parseTcp,
  parseUdp,
  SYN,
  seq,
  type TcpOption,
  type WireError,
} from '../../src/wire/index.js';
import { fromHex, REJECTED_SYN } from './fixtures.js';

const PH: PseudoHeader = { src: 0xc0a80015, dst: 0xc0a80016, protocol: 6, length: 0 };

/** A 20-byte IPv4 header (no checksum needed for these tests), with overrides. */
function ipHeader(over: Record<number, number> = {}, length = 20): Uint8Array {
  const b = new Uint8Array(length);
  b.set(fromHex('4500 0014 0001 4000 4006 0000 c0a8 0015 c0a8 0016'));
  for (const [i, v] of Object.entries(over)) b[Number(i)] = v;
  return b;
}

/** A TCP header with the given option bytes (data offset set to fit them). */
function tcpWithOptions(options: number[]): Uint8Array {
  const b = new Uint8Array(20 + options.length);
  b.set(fromHex('9c41 0050 0000 0001 0000 0000 0000 ffff 0000 0000'));
  b[12] = ((20 + options.length) / 4) << 4;
  b.set(options, 20);
  return b;
}

function err(layer: WireError['layer'], reason: string, offset: number) {
  return { ok: false, error: { layer, reason, offset } };
}

const ARP_OK = fromHex('0001 0800 0604 0001 0200 0000 0021 c0a8 0015 0000 0000 0000 c0a8 0016');

const TABLE: [string, () => Parsed<unknown>, ReturnType<typeof err>][] = [
  // Ethernet
  [
    'ethernet: 13 bytes',
    () => parseEthernet(new Uint8Array(13)),
    err('ethernet', 'truncated header: 13 of 14 bytes', 13),
  ],
  [
    'ethernet: empty',
    () => parseEthernet(new Uint8Array(0)),
    err('ethernet', 'truncated header: 0 of 14 bytes', 0),
  ],
  // ARP
  [
    'arp: 7 bytes',
    () => parseArp(ARP_OK.subarray(0, 7)),
    err('arp', 'truncated header: 7 of 28 bytes', 7),
  ],
  [
    'arp: hardware type 6 (IEEE 802)',
    () => parseArp(Uint8Array.from([0, 6, ...ARP_OK.subarray(2)])),
    err('arp', 'unsupported hardware type 6 (only Ethernet, 1)', 0),
  ],
  [
    'arp: protocol type IPv6',
    () => parseArp(Uint8Array.from([0, 1, 0x86, 0xdd, ...ARP_OK.subarray(4)])),
    err('arp', 'unsupported protocol type 0x86dd (only IPv4, 0x0800)', 2),
  ],
  [
    'arp: hardware length 8',
    () => parseArp(Uint8Array.from([...ARP_OK.subarray(0, 4), 8, ...ARP_OK.subarray(5)])),
    err('arp', 'hardware address length 8, not 6', 4),
  ],
  [
    'arp: protocol length 16',
    () => parseArp(Uint8Array.from([...ARP_OK.subarray(0, 5), 16, ...ARP_OK.subarray(6)])),
    err('arp', 'protocol address length 16, not 4', 5),
  ],
  [
    'arp: 27 bytes',
    () => parseArp(ARP_OK.subarray(0, 27)),
    err('arp', 'truncated packet: 27 of 28 bytes', 27),
  ],
  // IPv4
  [
    'ipv4: empty',
    () => parseIpv4(new Uint8Array(0)),
    err('ipv4', 'truncated header: 0 of 20 bytes', 0),
  ],
  ['ipv4: version 6', () => parseIpv4(ipHeader({ 0: 0x60 })), err('ipv4', 'version 6, not 4', 0)],
  ['ipv4: version 0', () => parseIpv4(ipHeader({ 0: 0x05 })), err('ipv4', 'version 0, not 4', 0)],
  ['ipv4: IHL 3', () => parseIpv4(ipHeader({ 0: 0x43 })), err('ipv4', 'bad IHL 3', 0)],
  ['ipv4: IHL 0, 1 byte', () => parseIpv4(Uint8Array.of(0x40)), err('ipv4', 'bad IHL 0', 0)],
  [
    'ipv4: 19 bytes',
    () => parseIpv4(ipHeader().subarray(0, 19)),
    err('ipv4', 'truncated header: 19 of 20 bytes', 19),
  ],
  [
    'ipv4: IHL 6 in 20 bytes',
    () => parseIpv4(ipHeader({ 0: 0x46, 3: 24 })),
    err('ipv4', 'header length 24 (IHL 6) beyond buffer of 20', 0),
  ],
  [
    'ipv4: total length 10 < header',
    () => parseIpv4(ipHeader({ 3: 10 })),
    err('ipv4', 'total length 10 below header length 20', 2),
  ],
  [
    'ipv4: total length 0 (a TSO send to tcpdump, invalid to Linux)',
    () => parseIpv4(ipHeader({ 3: 0 })),
    err('ipv4', 'total length 0 below header length 20', 2),
  ],
  [
    'ipv4: total length 1500 in 60 bytes',
    () => parseIpv4(ipHeader({ 2: 0x05, 3: 0xdc }, 60)),
    err('ipv4', 'total length 1500 beyond buffer of 60', 2),
  ],
  // TCP
  [
    'tcp: 19 bytes',
    () => parseTcp(tcpWithOptions([]).subarray(0, 19), PH),
    err('tcp', 'truncated header: 19 of 20 bytes', 19),
  ],
  [
    'tcp: data offset 4',
    () =>
      parseTcp(
        Uint8Array.from([...tcpWithOptions([]).subarray(0, 12), 0x40, ...new Uint8Array(7)]),
        PH,
      ),
    err('tcp', 'bad data offset 4', 12),
  ],
  [
    'tcp: data offset 15 in 40 bytes',
    () => {
      const b = tcpWithOptions(new Array(20).fill(1));
      b[12] = 0xf0;
      return parseTcp(b, PH);
    },
    err('tcp', 'data offset 15 (60 bytes) beyond segment of 40', 12),
  ],
  [
    'tcp: timestamps length 10 in a 4-byte option area',
    () => parseTcp(tcpWithOptions([8, 10, 0, 0]), PH),
    err('tcp', 'option 8: length 10 overruns header by 6', 21),
  ],
  [
    'tcp: zero-length option',
    () => parseTcp(tcpWithOptions([1, 2, 0, 0]), PH),
    err('tcp', 'option 2: length 0 below 2', 22),
  ],
  [
    'tcp: one-length option',
    () => parseTcp(tcpWithOptions([30, 1, 1, 1]), PH),
    err('tcp', 'option 30: length 1 below 2', 21),
  ],
  [
    'tcp: kind in the last byte, no room for a length',
    () => parseTcp(tcpWithOptions([1, 1, 1, 3]), PH),
    err('tcp', 'option 3: length byte beyond header', 24),
  ],
  // UDP
  [
    'udp: 7 bytes',
    () => parseUdp(new Uint8Array(7), PH),
    err('udp', 'truncated header: 7 of 8 bytes', 7),
  ],
  [
    'udp: length 5',
    () => parseUdp(fromHex('9c41 0035 0005 0000'), PH),
    err('udp', 'length 5 below header length 8', 4),
  ],
  [
    'udp: length 100 in 12 bytes',
    () => parseUdp(fromHex('9c41 0035 0064 0000 0000 0000'), PH),
    err('udp', 'length 100 beyond datagram of 12', 4),
  ],
  // ICMP
  [
    'icmp: 7 bytes',
    () => parseIcmp(new Uint8Array(7)),
    err('icmp', 'truncated header: 7 of 8 bytes', 7),
  ],
  // Addresses (offsets are character indices)
  [
    'ipv4 text: three parts',
    () => parseIpv4Address('1.2.3'),
    err('ipv4', 'bad IPv4 address "1.2.3": expected "."', 5),
  ],
  [
    'ipv4 text: 256',
    () => parseIpv4Address('1.2.3.256'),
    err('ipv4', 'bad IPv4 address "1.2.3.256": octet above 255', 6),
  ],
  [
    'ipv4 text: leading zero',
    () => parseIpv4Address('10.01.0.1'),
    err('ipv4', 'bad IPv4 address "10.01.0.1": leading zero', 3),
  ],
  [
    'ipv4 text: trailing space',
    () => parseIpv4Address('1.2.3.4 '),
    err('ipv4', 'bad IPv4 address "1.2.3.4 ": trailing characters', 7),
  ],
  [
    'ipv4 text: empty part',
    () => parseIpv4Address('1..3.4'),
    err('ipv4', 'bad IPv4 address "1..3.4": expected a digit', 2),
  ],
  [
    'ipv4 text: empty',
    () => parseIpv4Address(''),
    err('ipv4', 'bad IPv4 address "": expected a digit', 0),
  ],
  [
    'mac text: five groups',
    () => parseMacAddress('02:00:00:00:21'),
    err('ethernet', 'bad MAC address "02:00:00:00:21": expected ":"', 14),
  ],
  [
    'mac text: not hex',
    () => parseMacAddress('02:00:00:00:00:2g'),
    err('ethernet', 'bad MAC address "02:00:00:00:00:2g": trailing characters', 16),
  ],
  [
    'mac text: three digits',
    () => parseMacAddress('020:00:00:00:00:21'),
    err('ethernet', 'bad MAC address "020:00:00:00:00:21": expected ":"', 2),
  ],
];

describe('malformed inputs: exact reason and offset', () => {
  test.each(TABLE)('%s', (_name, run, expected) => {
    expect(run()).toEqual(expected);
  });
});

describe('what is not an error', () => {
  test('IPv4 past the buffer with allowTruncated: the bytes there are, flagged truncated', () => {
    const b = ipHeader({ 2: 0x05, 3: 0xdc }, 60);
    const r = parseIpv4(b, { allowTruncated: true });
    expect(r.ok && r.value.payload.length).toBe(40);
    expect(r.ok && r.value.totalLength).toBe(1500);
    expect(r.ok && ipv4IsTruncated(r.value)).toBe(true);
  });

  test('IPv4 with a wrong header checksum decodes, and says so with the right value', () => {
    const syn = fromHex(REJECTED_SYN.hex).subarray(14);
    const bad = syn.slice();
    bad[10] = 0x12;
    bad[11] = 0x34;
    const r = parseIpv4(bad);
    expect(r.ok && r.value).toMatchObject({
      checksum: 0x1234,
      checksumOk: false,
      checksumExpected: 0x86f5,
    });
  });

  test('TCP with a wrong checksum decodes, and says so with the right value', () => {
    const ip = fromHex(REJECTED_SYN.hex).subarray(14);
    const t = ip.slice(20);
    t[16] = 0;
    t[17] = 1;
    const r = parseTcp(t, { src: 0xc0a80015, dst: 0xc0a80016, protocol: 6, length: t.length });
    expect(r.ok && r.value).toMatchObject({
      checksum: 1,
      checksumOk: false,
      checksumExpected: 0xef80,
    });
  });

  test('Ethernet padding after Total Length is not payload (Linux trims it)', () => {
    const padded = new Uint8Array(46);
    padded.set(ipHeader({ 3: 28 }, 28));
    const r = parseIpv4(padded);
    expect(r.ok && r.value.payload.length).toBe(8);
  });

  test('a known option with a wrong length is kept as unknown, not refused', () => {
    const r = parseTcp(tcpWithOptions([2, 3, 5, 0]), PH);
    expect(r.ok && r.value.options).toEqual([
      { kind: 'unknown', code: 2, bytes: Uint8Array.of(5) },
      { kind: 'eol', padding: new Uint8Array(0) },
    ] satisfies TcpOption[]);
  });

  test('a SACK with no blocks, or a length not 2 + 8n, is unknown', () => {
    const r0 = parseTcp(tcpWithOptions([5, 2, 1, 1]), PH);
    expect(r0.ok && r0.value.options[0]).toEqual({
      kind: 'unknown',
      code: 5,
      bytes: new Uint8Array(0),
    });
    const r1 = parseTcp(tcpWithOptions([5, 6, 0, 0, 0, 1, 1, 1]), PH);
    expect(r1.ok && r1.value.options[0]).toEqual({
      kind: 'unknown',
      code: 5,
      bytes: Uint8Array.of(0, 0, 0, 1),
    });
  });

  test("bad option lengths in 'linux' mode: options before it kept, the rest malformed", () => {
    const b = tcpWithOptions([1, 1, 2, 4, 5, 0xb4, 8, 10, 0, 0, 0, 0]);
    const r = parseTcp(b, PH, { options: 'linux' });
    expect(r.ok && r.value.options).toEqual([
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'mss', mss: 1460 },
      { kind: 'malformed', bytes: Uint8Array.of(8, 10, 0, 0, 0, 0) },
    ]);
    // ...and still comes back byte for byte.
    if (r.ok) expect(buildTcp(r.value, { ...PH, length: b.length }, 'verbatim')).toEqual(b);
  });

  test('reserved bits and AE survive decoding', () => {
    const b = tcpWithOptions([]);
    b[12] = 0x5f; // data offset 5, reserved 0b111, AE
    b[13] = 0x02;
    const r = parseTcp(b, PH);
    expect(r.ok && r.value).toMatchObject({ reserved: 7, flags: 0x100 | SYN, seq: seq(1) });
  });
});
