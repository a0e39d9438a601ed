/**
 * ICMP: errors built the way Linux __icmp_send builds them, their quotes read back,
 * and the cases where Linux sends none.
 */

import { describe, expect, test } from 'vitest';
import {
  buildIcmp,
  buildIcmpError,
  buildIcmpUnreachable,
  buildIpv4,
  formatIcmp,
  ICMP_DEST_UNREACH,
  ICMP_ERROR_MAX_LEN,
  ICMP_EXC_FRAGTIME,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_PKT_FILTERED,
  ICMP_PORT_UNREACH,
  ICMP_PREC_CUTOFF,
  ICMP_TIME_EXCEEDED,
  type IcmpMessage,
  IPPROTO_ICMP,
  IPPROTO_UDP,
  type Ipv4Packet,
  icmpErrorForbidden,
  icmpErrorPacket,
  ipv4Address,
  parseIcmp,
  parseIcmpQuote,
  parseIpv4,
} from '../../src/wire/index.js';
import { fromHex, ICMP_PORT_UNREACHABLE, REJECTED_SYN, toHexString } from './fixtures.js';

const CLIENT = ipv4Address(192, 168, 0, 21);
const SERVER = ipv4Address(192, 168, 0, 22);

/** The IPv4 packet of a golden frame (Ethernet header cut off). */
function ipOf(hex: string): Uint8Array {
  return fromHex(hex).subarray(14);
}

function packet(over: Partial<Ipv4Packet> & { payload: Uint8Array }): Ipv4Packet {
  return {
    dscp: 0,
    ecn: 0,
    id: 1,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: IPPROTO_UDP,
    src: CLIENT,
    dst: SERVER,
    options: new Uint8Array(0),
    ...over,
  };
}

describe('building errors like Linux __icmp_send', () => {
  test('REJECT --reject-with icmp-port-unreachable: byte for byte the reference trace', () => {
    // The only free choices are the IP id (random in Linux) and the source address.
    const built = buildIcmpUnreachable(ipOf(REJECTED_SYN.hex), ICMP_PORT_UNREACH, {
      src: SERVER,
      id: 57569,
    });
    expect(built.ok && toHexString(built.value)).toBe(toHexString(ipOf(ICMP_PORT_UNREACHABLE.hex)));
  });

  test('TOS keeps the TOS bits of the original, with precedence 0xc0; no DF; TTL 64', () => {
    const original = buildIpv4(packet({ dscp: 0x2e, ecn: 3, payload: new Uint8Array(8) }));
    const r = icmpErrorPacket(original, { type: ICMP_DEST_UNREACH, code: 1, src: SERVER, id: 9 });
    if (!r.ok) throw new Error(r.error.reason);
    // Original TOS 0xbb: RT_TOS keeps 0x1a (mask 0x1e), ORed with 0xc0.
    expect(((r.value.dscp << 2) | r.value.ecn).toString(16)).toBe('da');
    expect(r.value).toMatchObject({
      dontFragment: false,
      ttl: 64,
      protocol: IPPROTO_ICMP,
      src: SERVER,
      dst: CLIENT,
    });
  });

  test('the quote stops where the whole error would pass 576 bytes', () => {
    const original = buildIpv4(packet({ payload: new Uint8Array(1400).fill(7) }));
    const r = buildIcmpUnreachable(original, ICMP_PORT_UNREACH, { src: SERVER, id: 1 });
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.value.length).toBe(ICMP_ERROR_MAX_LEN);
    const ip = parseIpv4(r.value);
    if (!ip.ok) throw new Error(ip.error.reason);
    const icmp = parseIcmp(ip.value.payload);
    expect(icmp.ok && icmp.value.kind === 'destUnreachable' && icmp.value.quote.length).toBe(
      576 - 20 - 8,
    );
  });

  test('a route MTU below 576 shrinks the quote; one too small to quote a header sends nothing', () => {
    const original = buildIpv4(packet({ payload: new Uint8Array(1400) }));
    const small = buildIcmpUnreachable(original, ICMP_PORT_UNREACH, {
      src: SERVER,
      id: 1,
      mtu: 100,
    });
    expect(small.ok && small.value.length).toBe(100);
    const tiny = buildIcmpUnreachable(original, ICMP_PORT_UNREACH, { src: SERVER, id: 1, mtu: 48 });
    expect(tiny).toEqual({
      ok: false,
      error: { layer: 'icmp', reason: 'MTU 48 leaves no room to quote a header', offset: 0 },
    });
  });

  test('Ethernet padding after Total Length is not quoted', () => {
    const original = buildIpv4(packet({ payload: new Uint8Array(8) }));
    const padded = new Uint8Array(46);
    padded.set(original);
    const r = buildIcmpUnreachable(padded, ICMP_PORT_UNREACH, { src: SERVER, id: 1 });
    expect(r.ok && r.value.length).toBe(20 + 8 + original.length);
  });

  test('fragmentation needed carries the next-hop MTU in bytes 6-7 (RFC 1191)', () => {
    const original = buildIpv4(packet({ payload: new Uint8Array(1472) }));
    const r = buildIcmpUnreachable(original, ICMP_FRAG_NEEDED, { src: SERVER, id: 1, info: 1400 });
    if (!r.ok) throw new Error(r.error.reason);
    const ip = parseIpv4(r.value);
    const icmp = ip.ok ? parseIcmp(ip.value.payload) : undefined;
    expect(icmp?.ok && icmp.value).toMatchObject({
      kind: 'destUnreachable',
      code: 4,
      nextHopMtu: 1400,
    });
    expect(icmp?.ok && formatIcmp(icmp.value)).toBe(
      'ICMP 192.168.0.22 unreachable - need to frag (mtu 1400), length 556',
    );
  });

  test('time exceeded in transit', () => {
    const original = buildIpv4(packet({ ttl: 1, payload: new Uint8Array(8) }));
    const r = buildIcmpError(original, {
      type: ICMP_TIME_EXCEEDED,
      code: ICMP_EXC_TTL,
      src: SERVER,
      id: 2,
    });
    if (!r.ok) throw new Error(r.error.reason);
    const ip = parseIpv4(r.value);
    const icmp = ip.ok ? parseIcmp(ip.value.payload) : undefined;
    expect(icmp?.ok && icmp.value).toMatchObject({
      kind: 'timeExceeded',
      code: 0,
      checksumOk: true,
    });
    expect(icmp?.ok && formatIcmp(icmp.value)).toBe('ICMP time exceeded in-transit, length 36');
  });

  test('an offending packet that is not IPv4 gives a located error, not an exception', () => {
    const r = buildIcmpUnreachable(new Uint8Array([0x60, 0, 0]), ICMP_PORT_UNREACH, {
      src: SERVER,
      id: 1,
    });
    expect(r).toEqual({
      ok: false,
      error: { layer: 'ipv4', reason: 'version 6, not 4', offset: 0 },
    });
  });
});

describe('when Linux sends no error (RFC 1122 3.2.2)', () => {
  const udp = new Uint8Array(8);
  test.each([
    ['a first fragment is answered', packet({ moreFragments: true, payload: udp }), undefined],
    [
      'a later fragment is not',
      packet({ fragmentOffset: 185, payload: udp }),
      'not the first fragment',
    ],
    [
      'a multicast destination is not',
      packet({ dst: ipv4Address(224, 0, 0, 251), payload: udp }),
      'multicast destination',
    ],
    [
      'the limited broadcast is not',
      packet({ dst: 0xffffffff, payload: udp }),
      'broadcast destination',
    ],
    [
      'an echo request is answered',
      packet({
        protocol: IPPROTO_ICMP,
        payload: buildIcmp({ kind: 'echoRequest', id: 1, sequence: 1, data: udp }),
      }),
      undefined,
    ],
    [
      'an ICMP error is not',
      packet({
        protocol: IPPROTO_ICMP,
        payload: buildIcmp({ kind: 'destUnreachable', code: 3, quote: new Uint8Array(28) }),
      }),
      'about an ICMP error',
    ],
    [
      'an ICMP type Linux does not know is not',
      packet({ protocol: IPPROTO_ICMP, payload: new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]) }),
      'about an ICMP error',
    ],
  ])('%s', (_name, pkt, reason) => {
    expect(icmpErrorForbidden(pkt)).toBe(reason);
  });
});

describe('reading messages', () => {
  test('echo request and reply: id, sequence, data; lossless', () => {
    for (const kind of ['echoRequest', 'echoReply'] as const) {
      const msg: IcmpMessage = { kind, id: 0x1234, sequence: 7, data: new Uint8Array([1, 2, 3]) };
      const bytes = buildIcmp(msg);
      const r = parseIcmp(bytes);
      expect(r.ok && r.value).toMatchObject({
        kind,
        code: 0,
        id: 0x1234,
        sequence: 7,
        checksumOk: true,
      });
      expect(r.ok && toHexString(buildIcmp(r.value, 'verbatim'))).toBe(toHexString(bytes));
    }
  });

  test('unknown types are kept raw and come back byte for byte', () => {
    const bytes = fromHex('0d00 0000 0001 0002 0000 0000 0000 0000 0000 0000');
    const r = parseIcmp(bytes);
    expect(r.ok && r.value).toMatchObject({
      kind: 'unknown',
      type: 13,
      code: 0,
      checksumOk: false,
    });
    expect(r.ok && toHexString(buildIcmp(r.value, 'verbatim'))).toBe(toHexString(bytes));
    expect(r.ok && formatIcmp(r.value)).toBe(
      'ICMP time stamp query id 1 seq 2, length 20 (wrong icmp cksum 0 (->f2fc)!)',
    );
  });

  test.each([
    [0, 'net 192.168.0.22 unreachable'],
    [1, 'host 192.168.0.22 unreachable'],
    [2, '192.168.0.22 protocol 17 unreachable'],
    [3, '192.168.0.22 udp port 53 unreachable'],
    [ICMP_PKT_FILTERED, 'host 192.168.0.22 unreachable - admin prohibited filter'],
    [ICMP_PREC_CUTOFF, 'host 192.168.0.22 unreachable - precedence cutoff'],
    [16, '192.168.0.22 unreachable - #16'],
  ])('unreachable code %i reads as tcpdump words it', (code, text) => {
    const quote = buildIpv4(packet({ payload: fromHex('9c41 0035 0008 0000') }));
    const msg = buildIcmp({ kind: 'destUnreachable', code, quote });
    const r = parseIcmp(msg);
    expect(r.ok && formatIcmp(r.value)).toBe(`ICMP ${text}, length ${msg.length}`);
  });

  test('fragment reassembly time exceeded', () => {
    const r = parseIcmp(
      buildIcmp({ kind: 'timeExceeded', code: ICMP_EXC_FRAGTIME, quote: new Uint8Array(28) }),
    );
    expect(r.ok && formatIcmp(r.value)).toBe('ICMP ip reassembly time exceeded, length 36');
  });

  test('a quote needs the IP header and 8 more bytes, as Linux icmp_socket_deliver does', () => {
    const syn = ipOf(REJECTED_SYN.hex);
    expect(parseIcmpQuote(syn.subarray(0, 28)).ok).toBe(true);
    expect(parseIcmpQuote(syn.subarray(0, 27))).toEqual({
      ok: false,
      error: {
        layer: 'icmp',
        reason: 'quote of 27 bytes lacks 8 bytes after its 20-byte IP header',
        offset: 27,
      },
    });
    expect(parseIcmpQuote(syn.subarray(0, 12))).toEqual({
      ok: false,
      error: { layer: 'ipv4', reason: 'truncated header: 12 of 20 bytes', offset: 12 },
    });
  });

  test('the quoted IP header may claim more than was quoted', () => {
    const q = parseIcmpQuote(ipOf(REJECTED_SYN.hex).subarray(0, 28));
    expect(q.ok && q.value.ip.totalLength).toBe(60);
    expect(q.ok && q.value.ip.payload.length).toBe(8);
  });

  test('ICMP codes are the Linux values', () => {
    expect([ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMP_FRAG_NEEDED, ICMP_PKT_FILTERED]).toEqual([
      3, 3, 4, 13,
    ]);
  });
});
