import { describe, expect, test } from 'vitest';
import { internetChecksum, transportChecksum } from '../../src/wire/checksum.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );
}

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
