/**
 * Every prefix of every golden frame, through every decoder: a located error or a
 * correct partial value, never an exception.
 */

import { describe, expect, test } from 'vitest';
import {
  ipv4IsTruncated,
  ipv4PseudoHeader,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIcmpQuote,
  parseIpv4,
  parseTcp,
  parseUdp,
  seq,
} from '../../src/wire/index.js';
import {
  ALL_FRAMES,
  ARP_REPLY,
  ARP_REQUEST,
  fromHex,
  ICMP_PORT_UNREACHABLE,
  TCP_FRAMES,
} from './fixtures.js';
import { decodeFrame, expectWellFormed } from './stack.js';

function prefixes(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length + 1 }, (_, n) => bytes.subarray(0, n));
}

describe('every truncation of every golden frame', () => {
  test.each(ALL_FRAMES)('$name: the whole stack, strict and lenient', (frame) => {
    const bytes = fromHex(frame.hex);
    const full = decodeFrame(bytes);
    expect(full.error).toBeUndefined();
    for (const p of prefixes(bytes)) {
      for (const lenient of [false, true]) {
        const d = decodeFrame(p, lenient);
        if (p.length === bytes.length) expect(d.layers).toEqual(full.layers);
        else if (!lenient) expect(d.error).toBeDefined();
      }
      // Each decoder alone, on the prefix of its own bytes.
      expectWellFormed(parseEthernet(p), p.length);
      expectWellFormed(parseArp(p), p.length);
      expectWellFormed(parseIpv4(p), p.length);
      expectWellFormed(parseTcp(p, { src: 1, dst: 2, protocol: 6, length: p.length }), p.length);
      expectWellFormed(parseUdp(p, { src: 1, dst: 2, protocol: 17, length: p.length }), p.length);
      expectWellFormed(parseIcmp(p), p.length);
      expectWellFormed(parseIcmpQuote(p), p.length);
    }
  });

  test.each([ARP_REQUEST, ARP_REPLY])(
    '$name: a prefix decodes only when all 28 bytes are there',
    (frame) => {
      const arp = fromHex(frame.hex).subarray(14);
      for (const p of prefixes(arp)) {
        const r = parseArp(p);
        expect(r.ok).toBe(p.length === 28);
        if (!r.ok) expect(r.error.offset).toBe(p.length);
      }
    },
  );

  test.each(TCP_FRAMES)(
    '$name: an IPv4 prefix is an error, or with allowTruncated the same header and the bytes there are',
    (frame) => {
      const ip = fromHex(frame.hex).subarray(14);
      const full = parseIpv4(ip);
      if (!full.ok) throw new Error(full.error.reason);
      for (const p of prefixes(ip)) {
        const strict = parseIpv4(p);
        expect(strict.ok).toBe(p.length === ip.length);
        const lenient = parseIpv4(p, { allowTruncated: true });
        expect(lenient.ok).toBe(p.length >= 20);
        if (lenient.ok) {
          const { payload, ...header } = lenient.value;
          const { payload: fullPayload, ...fullHeader } = full.value;
          expect(header).toEqual(fullHeader);
          expect(payload).toEqual(fullPayload.subarray(0, p.length - 20));
          expect(ipv4IsTruncated(lenient.value)).toBe(p.length < ip.length);
        }
      }
    },
  );

  test.each(TCP_FRAMES)(
    '$name: a TCP prefix is an error until the options end, then the same header with less payload',
    (frame) => {
      const ip = parseIpv4(fromHex(frame.hex).subarray(14));
      if (!ip.ok) throw new Error(ip.error.reason);
      const seg = ip.value.payload;
      const full = parseTcp(seg, ipv4PseudoHeader(ip.value));
      if (!full.ok) throw new Error(full.error.reason);
      const headerLength = ((seg[12]! >>> 4) & 15) * 4;
      for (const p of prefixes(seg)) {
        const r = parseTcp(p, { ...ipv4PseudoHeader(ip.value), length: p.length });
        expect(r.ok).toBe(p.length >= headerLength);
        if (r.ok) {
          expect(r.value.options).toEqual(full.value.options);
          expect(r.value).toMatchObject({
            seq: full.value.seq,
            ack: full.value.ack,
            flags: full.value.flags,
          });
          expect(r.value.payload).toEqual(full.value.payload.subarray(0, p.length - headerLength));
          // Cutting data off breaks the checksum, and that is reported.
          expect(r.value.checksumOk).toBe(p.length === seg.length);
        } else {
          expect(r.error.offset).toBe(p.length < 20 ? p.length : 12);
        }
      }
    },
  );

  test('ICMP unreachable: the quote of any prefix reads back once it holds IP header + 8 bytes', () => {
    const icmp = fromHex(ICMP_PORT_UNREACHABLE.hex).subarray(34);
    for (const p of prefixes(icmp)) {
      const r = parseIcmp(p);
      expect(r.ok).toBe(p.length >= 8);
      if (r.ok && r.value.kind === 'destUnreachable') {
        const q = parseIcmpQuote(r.value.quote);
        expect(q.ok).toBe(r.value.quote.length >= 28);
        if (q.ok)
          expect(q.value).toMatchObject({ srcPort: 40001, dstPort: 80, seq: seq(2919683495) });
      }
    }
  });
});
