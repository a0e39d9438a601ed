import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  finishChecksum,
  internetChecksum,
  sumWords,
  transportChecksum,
} from '../../src/wire/checksum.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );
}

describe('finishChecksum', () => {
  /** RFC 1071 4.1's fold ("while (sum>>16) sum = (sum & 0xffff) + (sum >> 16)"), by division. */
  function reference(sum: number): number {
    while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
    return ~sum & 0xffff;
  }

  test('folds every sum as RFC 1071 does, across the 2^16 and 2^32 boundaries (seeded)', () => {
    const edges = [0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0xffffffff, 0x100000000, 2 ** 53 - 1];
    for (const e of edges) expect(finishChecksum(e)).toBe(reference(e));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 0xffffffff, max: Number.MAX_SAFE_INTEGER }),
        ),
        (sum) => finishChecksum(sum) === reference(sum),
      ),
      { seed: 9, numRuns: 20_000 },
    );
  });
});

describe('the Internet checksum (RFC 1071)', () => {
  // A SYN from the normal-handshake trace: IPv4 header, then TCP with options.
  const ip = hex('4500 003c 4c55 4000 4006 6ceb c0a8 0015 c0a8 0016');

  test('an IPv4 header with its checksum field sums to 0', () => {
    expect(internetChecksum(ip)).toBe(0);
  });

  test('the checksum of the header with a zeroed field is the stored value', () => {
    const zeroed = ip.slice();
    zeroed[10] = 0;
    zeroed[11] = 0;
    expect(internetChecksum(zeroed)).toBe((ip[10]! << 8) | ip[11]!);
  });

  test('RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    expect(internetChecksum(hex('0001 f203 f4f5 f6f7'))).toBe(~0xddf2 & 0xffff);
  });

  test('an odd length pads a zero byte on the right', () => {
    expect(internetChecksum(hex('ab'))).toBe(~0xab00 & 0xffff);
  });

  test('TCP with the pseudo-header: the real SYN sums to 0, a flipped bit does not', () => {
    // 192.168.0.21.40001 > 192.168.0.22.80 [S], checksum 0x1fed, from the same SYN.
    const tcp = hex(
      '9c41 0050 a4a1 d607 0000 0000 a002 faf0 1fed 0000 0204 05b4 0402 080a 4eb8 45b0 0000 0000 0103 030a',
    );
    const ph = { src: 0xc0a80015, dst: 0xc0a80016, protocol: 6, length: tcp.length };
    expect(transportChecksum(tcp, 0, tcp.length, ph)).toBe(0);
    tcp[4]! ^= 0x10;
    expect(transportChecksum(tcp, 0, tcp.length, ph)).not.toBe(0);
  });
});

describe('sumWords four bytes at a time', () => {
  /** The definition: big-endian 16-bit words, two bytes at a time, unfolded. */
  function reference(b: Uint8Array, start: number, end: number, sum: number): number {
    let i = start;
    for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    if (i < end) sum += b[i]! << 8;
    return sum;
  }

  test('gives exactly the bytewise sum at every alignment, length and start sum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 4200 }),
        fc.nat(7),
        fc.nat(),
        fc.nat(),
        fc.nat(0x3ffff),
        (bytes, pad, a, b, sum) => {
          // The same bytes at every offset of a larger buffer (aligned or not).
          const buf = new Uint8Array(bytes.length + 8);
          buf.set(bytes, pad);
          const view = buf.subarray(pad, pad + bytes.length);
          const start = bytes.length === 0 ? 0 : a % bytes.length;
          const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
          expect(sumWords(view, start, end, sum)).toBe(reference(view, start, end, sum));
        },
      ),
      { seed: 7, numRuns: 500 },
    );
  });

  test('all ones, where lanes would overflow first', () => {
    const ones = new Uint8Array(65536).fill(0xff);
    expect(sumWords(ones, 0, ones.length)).toBe(32768 * 0xffff);
    expect(sumWords(ones, 2, 65534, 5)).toBe(32766 * 0xffff + 5);
  });
});
