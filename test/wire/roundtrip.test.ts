/**
 * Round-trip properties: for arbitrary valid values, parse(build(v)) is v and the
 * checksums verify; for arbitrary bytes that decode, emitting the value verbatim
 * gives the same bytes.
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  buildTcp,
  buildUdp,
  internetChecksum,
  ipv4HeaderLength,
  type PseudoHeader,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIpv4,
  parseTcp,
  parseUdp,
  tcpHeaderLength,
  tcpPseudoHeader,
  transportChecksum,
  udpPseudoHeader,
} from '../../src/wire/index.js';
import {
  arpPacket,
  bytes,
  ethernetFrame,
  icmpMessage,
  ipv4Packet,
  tcpSegment,
  u8,
  u16,
  u32,
  udpDatagram,
} from './arbitraries.js';

const RUNS = { seed: 20240521, numRuns: 2000 } as const;

/** The value without the fields a decoder adds (checksum report) — what a builder supplies. */
function withoutReport<T extends object>(
  v: T,
): Omit<T, 'checksum' | 'checksumOk' | 'checksumExpected'> {
  const {
    checksum: _c,
    checksumOk: _o,
    checksumExpected: _e,
    ...rest
  } = v as T & {
    checksum?: number;
    checksumOk?: boolean;
    checksumExpected?: number;
  };
  return rest;
}

describe('parse(build(v)) is v, and checksums verify', () => {
  test('TCP', () => {
    fc.assert(
      fc.property(tcpSegment, u32, u32, (seg, src, dst) => {
        const ph = tcpPseudoHeader(src, dst, seg);
        const wire = buildTcp(seg, ph);
        expect(wire.length).toBe(tcpHeaderLength(seg) + seg.payload.length);
        expect(transportChecksum(wire, 0, wire.length, ph)).toBe(0);
        const r = parseTcp(wire, ph);
        if (!r.ok) throw new Error(r.error.reason);
        expect(r.value.checksumOk).toBe(true);
        expect(r.value.checksumExpected).toBe(r.value.checksum);
        expect(withoutReport(r.value)).toEqual(seg);
      }),
      RUNS,
    );
  });

  test('IPv4', () => {
    fc.assert(
      fc.property(ipv4Packet(), (pkt) => {
        const wire = buildIpv4(pkt);
        expect(internetChecksum(wire, 0, ipv4HeaderLength(pkt))).toBe(0);
        const r = parseIpv4(wire);
        if (!r.ok) throw new Error(r.error.reason);
        expect(r.value.checksumOk).toBe(true);
        const { totalLength, ...rest } = withoutReport(r.value);
        expect(totalLength).toBe(wire.length);
        expect(rest).toEqual(pkt);
      }),
      RUNS,
    );
  });

  test('UDP', () => {
    fc.assert(
      fc.property(udpDatagram, u32, u32, (d, src, dst) => {
        const ph = udpPseudoHeader(src, dst, d);
        const wire = buildUdp(d, ph);
        // RFC 768: a computed zero is sent as 0xffff, so the field is never 0.
        expect((wire[6]! << 8) | wire[7]!).not.toBe(0);
        expect(transportChecksum(wire, 0, wire.length, ph)).toBe(0);
        const r = parseUdp(wire, ph);
        if (!r.ok) throw new Error(r.error.reason);
        expect(r.value.checksumOk).toBe(true);
        const { length, ...rest } = withoutReport(r.value);
        expect(length).toBe(wire.length);
        expect(rest).toEqual(d);
      }),
      RUNS,
    );
  });

  test('ICMP', () => {
    fc.assert(
      fc.property(icmpMessage, (msg) => {
        const wire = buildIcmp(msg);
        expect(internetChecksum(wire)).toBe(0);
        const r = parseIcmp(wire);
        if (!r.ok) throw new Error(r.error.reason);
        expect(r.value.checksumOk).toBe(true);
        expect(withoutReport(r.value)).toEqual(msg);
      }),
      RUNS,
    );
  });

  test('ARP and Ethernet', () => {
    fc.assert(
      fc.property(arpPacket, ethernetFrame, (arp, frame) => {
        expect(parseArp(buildArp(arp))).toEqual({ ok: true, value: arp });
        expect(parseEthernet(buildEthernet(frame))).toEqual({ ok: true, value: frame });
      }),
      RUNS,
    );
  });
});

/** Random bytes shaped so that they often decode: a plausible first byte and length. */
function ipv4Bytes(): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 60, maxLength: 120 }), u16)
    .map(([ihl, b, extra]) => {
      const out = b.slice();
      out[0] = 0x40 | ihl;
      const total = ihl * 4 + (extra % (out.length - ihl * 4 + 1));
      out[2] = total >>> 8;
      out[3] = total & 255;
      return out.subarray(0, total);
    });
}

function tcpBytes(): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.integer({ min: 5, max: 15 }),
      fc.uint8Array({ minLength: 60, maxLength: 100 }),
      fc.boolean(),
    )
    .map(([doff, b, tidy]) => {
      const out = b.slice();
      out[12] = (doff << 4) | (out[12]! & 15);
      // Half the time make the options walkable: NOPs with a few real options.
      if (tidy) {
        for (let i = 20; i < doff * 4; i++) out[i] = 1;
        if (doff >= 7) out.set([2, 4, out[30]!, out[31]!, 3, 3, out[32]!], 20);
      }
      return out;
    });
}

describe('bytes that decode come back verbatim', () => {
  const ph = (length: number): PseudoHeader => ({
    src: 0x0a000001,
    dst: 0x0a000002,
    protocol: 6,
    length,
  });

  test('TCP headers (random options, strict and Linux modes)', () => {
    let decoded = 0;
    fc.assert(
      fc.property(tcpBytes(), (b) => {
        for (const mode of ['strict', 'linux'] as const) {
          const r = parseTcp(b, ph(b.length), { options: mode });
          if (!r.ok) continue;
          decoded++;
          expect(buildTcp(r.value, ph(b.length), 'verbatim')).toEqual(b);
        }
      }),
      RUNS,
    );
    expect(decoded).toBeGreaterThan(RUNS.numRuns);
  });

  test('IPv4 headers with random options and fields', () => {
    fc.assert(
      fc.property(ipv4Bytes(), (b) => {
        const r = parseIpv4(b);
        if (!r.ok) throw new Error(r.error.reason);
        expect(buildIpv4(r.value, 'verbatim')).toEqual(b);
      }),
      RUNS,
    );
  });

  test('UDP, ICMP, ARP and Ethernet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 80 }), u8, (b, lengthSeed) => {
        const udp = b.slice();
        const length = 8 + (lengthSeed % (udp.length - 7));
        udp[4] = length >>> 8;
        udp[5] = length & 255;
        const u = parseUdp(udp, { ...ph(length), protocol: 17 });
        if (!u.ok) throw new Error(u.error.reason);
        expect(buildUdp(u.value, { ...ph(length), protocol: 17 }, 'verbatim')).toEqual(
          udp.subarray(0, length),
        );

        const i = parseIcmp(b);
        if (!i.ok) throw new Error(i.error.reason);
        expect(buildIcmp(i.value, 'verbatim')).toEqual(b);

        const arp =
          b.length >= 28 ? Uint8Array.from([0, 1, 8, 0, 6, 4, ...b.subarray(6, 28)]) : undefined;
        if (arp) {
          const a = parseArp(arp);
          if (!a.ok) throw new Error(a.error.reason);
          expect(buildArp(a.value)).toEqual(arp);
        }

        if (b.length >= 14) {
          const e = parseEthernet(b);
          if (!e.ok) throw new Error(e.error.reason);
          expect(buildEthernet(e.value)).toEqual(b);
        }
      }),
      RUNS,
    );
  });

  test('an IPv4 value edited and re-emitted gets a fresh, correct checksum', () => {
    fc.assert(
      fc.property(ipv4Packet(bytes(8)), u8, (pkt, ttl) => {
        const r = parseIpv4(buildIpv4(pkt));
        if (!r.ok) throw new Error(r.error.reason);
        const rewritten = buildIpv4({ ...r.value, ttl });
        expect(internetChecksum(rewritten, 0, ipv4HeaderLength(pkt))).toBe(0);
        const again = parseIpv4(rewritten);
        expect(again.ok && again.value.ttl).toBe(ttl);
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
});
