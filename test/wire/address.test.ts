import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  formatEndpoint,
  formatIpv4Address,
  formatMacAddress,
  ipv4Address,
  isIpv4Multicast,
  isMacMulticast,
  MAC_BROADCAST,
  parseIpv4Address,
  parseMacAddress,
  readMacAddress,
  writeMacAddress,
} from '../../src/wire/index.js';
import { mac, u32 } from './arbitraries.js';

describe('IPv4 addresses are uint32 numbers', () => {
  test('192.168.0.21 is 0xc0a80015, both ways', () => {
    expect(ipv4Address(192, 168, 0, 21)).toBe(0xc0a80015);
    expect(formatIpv4Address(0xc0a80015)).toBe('192.168.0.21');
    expect(parseIpv4Address('192.168.0.21')).toEqual({ ok: true, value: 0xc0a80015 });
  });

  test('the extremes', () => {
    expect(parseIpv4Address('0.0.0.0')).toEqual({ ok: true, value: 0 });
    expect(parseIpv4Address('255.255.255.255')).toEqual({ ok: true, value: 0xffffffff });
    expect(formatIpv4Address(0xffffffff)).toBe('255.255.255.255');
  });

  test('format then parse is the identity', () => {
    fc.assert(
      fc.property(u32, (a) => {
        expect(parseIpv4Address(formatIpv4Address(a))).toEqual({ ok: true, value: a });
      }),
      { seed: 3, numRuns: 2000 },
    );
  });

  test('multicast is 224.0.0.0/4', () => {
    expect(isIpv4Multicast(ipv4Address(224, 0, 0, 1))).toBe(true);
    expect(isIpv4Multicast(ipv4Address(239, 255, 255, 255))).toBe(true);
    expect(isIpv4Multicast(ipv4Address(240, 0, 0, 0))).toBe(false);
    expect(isIpv4Multicast(ipv4Address(223, 255, 255, 255))).toBe(false);
  });

  test('an endpoint is address.port, as tcpdump -n joins them', () => {
    expect(formatEndpoint(0xc0a80015, 40001)).toBe('192.168.0.21.40001');
    expect(formatEndpoint(undefined, 80)).toBe('80');
  });
});

describe('MAC addresses are 48-bit numbers', () => {
  test('02:00:00:00:00:21 both ways, and in bytes', () => {
    expect(formatMacAddress(0x020000000021)).toBe('02:00:00:00:00:21');
    expect(parseMacAddress('02:00:00:00:00:21')).toEqual({ ok: true, value: 0x020000000021 });
    const b = new Uint8Array(8);
    writeMacAddress(b, 1, 0xfedcba987654);
    expect(Array.from(b)).toEqual([0, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0]);
    expect(readMacAddress(b, 1)).toBe(0xfedcba987654);
  });

  test('ether_aton syntax: one-digit groups and upper case are accepted', () => {
    expect(parseMacAddress('2:0:0:0:0:A')).toEqual({ ok: true, value: 0x02000000000a });
    expect(parseMacAddress('FF:FF:FF:FF:FF:FF')).toEqual({ ok: true, value: MAC_BROADCAST });
  });

  test('format then parse is the identity', () => {
    fc.assert(
      fc.property(mac, (m) => {
        expect(parseMacAddress(formatMacAddress(m))).toEqual({ ok: true, value: m });
      }),
      { seed: 4, numRuns: 2000 },
    );
  });

  test('the group bit is the low bit of the first octet', () => {
    expect(isMacMulticast(MAC_BROADCAST)).toBe(true);
    expect(isMacMulticast(0x01005e000001)).toBe(true);
    expect(isMacMulticast(0x020000000021)).toBe(false);
  });
});
