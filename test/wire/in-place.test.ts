/**
 * The receive path's in-place decoders give what the general ones give:
 * decodeIpv4InPlace (payload made on demand) as parseIpv4, parseTcpIn and
 * decodeTcpIn (a segment read inside a larger buffer, no wrapper) as parseTcp,
 * readTcpOptionsLinux as parseTcpOptions(…, 'linux').
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ACK,
  buildIpv4,
  buildTcp,
  completeTcpChecksum,
  decodeIpv4InPlace,
  decodeTcpIn,
  emitTcp,
  IPPROTO_TCP,
  Ipv4View,
  type PseudoHeader,
  parseIpv4,
  parseTcp,
  parseTcpIn,
  parseTcpOptions,
  readTcpOptionsLinux,
  SYN,
  seq,
  sumWords,
  type TcpSegment,
  tcpLength,
} from '../../src/wire/index.js';
import { tcpSegment, u32 } from './arbitraries.js';
import { ACK as ACK_FRAME, DATA, fromHex, SYN as SYN_FRAME } from './fixtures.js';

const ETH = 14;

function seg(over: Partial<TcpSegment>): TcpSegment {
  return {
    srcPort: 40001,
    dstPort: 80,
    seq: seq(1000),
    ack: seq(0),
    flags: SYN,
    window: 64240,
    urgentPointer: 0,
    options: [],
    payload: new Uint8Array(0),
    ...over,
  };
}

/** `bytes` placed at `at` in a buffer with `pad` bytes of 0xee after it. */
function placed(bytes: Uint8Array, at: number, pad: number): Uint8Array {
  const out = new Uint8Array(at + bytes.length + pad).fill(0xee);
  out.set(bytes, at);
  return out;
}

describe('decodeIpv4InPlace', () => {
  /** Every field parseIpv4 gives, read from the in-place decode (whose fields are getters). */
  function expectSameFields(datagram: Uint8Array, frame: Uint8Array, at: number): void {
    const general = parseIpv4(datagram);
    if (!general.ok) throw new Error('fixture');
    const v = new Ipv4View(frame, at);
    const inPlace = decodeIpv4InPlace(v, sumWords(frame, at, at + v.headerLength));
    // The view is not kept: re-pointing it changes nothing.
    v.bytes = new Uint8Array(60);
    v.at = 0;
    const { payload, options, ...fields } = general.value;
    const read = Object.fromEntries(
      Object.keys(fields).map((k) => [k, inPlace[k as keyof typeof fields]]),
    );
    expect(read).toEqual(fields);
    expect([...inPlace.options]).toEqual([...options]);
    expect([...inPlace.payload]).toEqual([...payload]);
    // Made once.
    expect(inPlace.payload).toBe(inPlace.payload);
  }

  test.each([SYN_FRAME, ACK_FRAME, DATA])(
    '$name: every field of parseIpv4, payload included',
    (f) => {
      // Ethernet padding after the datagram is not part of it.
      const frame = placed(fromHex(f.hex).subarray(ETH), ETH, 6);
      expectSameFields(fromHex(f.hex).subarray(ETH), frame, ETH);
    },
  );

  test('a header with options, DF, a reserved flag, ECN and a wrong checksum', () => {
    const datagram = buildIpv4({
      dscp: 46,
      ecn: 3,
      id: 0xbeef,
      reservedFlag: true,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 3,
      protocol: IPPROTO_TCP,
      src: 0xc0a80015,
      dst: 0xc0a80016,
      options: new Uint8Array([1, 1, 1, 0]),
      payload: new Uint8Array([9, 8, 7]),
    });
    datagram[10]! ^= 0x40;
    expectSameFields(datagram, placed(datagram, ETH, 6), ETH);
  });
});

/** The pseudo-header of a segment of `length` bytes from 192.168.0.21 to 192.168.0.22. */
const ph = (length: number): PseudoHeader => ({
  src: 0xc0a80015,
  dst: 0xc0a80016,
  protocol: IPPROTO_TCP,
  length,
});

describe('parseTcpIn and decodeTcpIn', () => {
  const cases: [string, Uint8Array][] = [
    ['SYN, MSS alone', buildTcp(seg({ options: [{ kind: 'mss', mss: 1460 }] }), ph(24))],
    [
      'ACK with timestamps and data',
      buildTcp(
        seg({
          flags: ACK,
          options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsVal: 7, tsEcr: 9 }],
          payload: new Uint8Array([1, 2, 3]),
        }),
        ph(35),
      ),
    ],
    ['the golden SYN', fromHex(SYN_FRAME.hex).subarray(ETH + 20)],
  ];

  test.each(cases)(
    '%s: the same segment as parseTcp, at an odd offset with bytes after it',
    (_, tcp) => {
      const general = parseTcp(tcp, ph(tcp.length), { options: 'linux' });
      if (!general.ok) throw new Error('fixture');
      const buf = placed(tcp, 35, 5);
      const end = 35 + tcp.length;
      const wrapped = parseTcpIn(buf, 35, end, ph(tcp.length), { options: 'linux' });
      if (!wrapped.ok) throw new Error(wrapped.error.reason);
      const bare = decodeTcpIn(buf, 35, end, ph(tcp.length));
      for (const got of [wrapped.value, bare!]) {
        const { payload, ...fields } = got;
        const { payload: want, ...wantFields } = general.value;
        expect(fields).toEqual(wantFields);
        expect([...payload]).toEqual([...want]);
      }
    },
  );

  test('a checksum that does not verify is reported the same way', () => {
    const tcp = cases[0]![1].slice();
    tcp[16]! ^= 0xff;
    const general = parseTcp(tcp, ph(tcp.length));
    const bare = decodeTcpIn(placed(tcp, 3, 0), 3, 3 + tcp.length, ph(tcp.length));
    expect(general.ok && general.value.checksumOk).toBe(false);
    expect(bare?.checksumOk).toBe(false);
    expect(bare?.checksumExpected).toBe(general.ok ? general.value.checksumExpected : -1);
  });

  test('what parseTcp refuses, decodeTcpIn gives as undefined', () => {
    const good = cases[0]![1];
    const short = good.subarray(0, 19);
    const lowOffset = good.slice();
    lowOffset[12] = 4 << 4;
    const pastEnd = good.slice();
    pastEnd[12] = 15 << 4;
    for (const bad of [short, lowOffset, pastEnd]) {
      expect(parseTcp(bad, ph(bad.length)).ok).toBe(false);
      expect(parseTcpIn(placed(bad, 9, 60), 9, 9 + bad.length, ph(bad.length)).ok).toBe(false);
      expect(decodeTcpIn(placed(bad, 9, 60), 9, 9 + bad.length, ph(bad.length))).toBeUndefined();
    }
  });

  test('the options of a SYN with the MSS alone, and a malformed list, read as Linux reads them', () => {
    const mss = new Uint8Array([2, 4, 0x05, 0xb4]);
    expect(readTcpOptionsLinux(mss, 0, 4)).toEqual([{ kind: 'mss', mss: 1460 }]);
    expect(parseTcpOptions(mss, 0, 4)).toEqual({ ok: true, value: [{ kind: 'mss', mss: 1460 }] });
    // An MSS of the wrong length is kept as unknown, as before.
    const odd = new Uint8Array([2, 3, 0x05, 1]);
    const oddLinux = parseTcpOptions(odd, 0, 4, 'linux');
    if (!oddLinux.ok) throw new Error('an odd length is not an error');
    expect(readTcpOptionsLinux(odd, 0, 4)).toEqual(oddLinux.value);
    const malformed = new Uint8Array([1, 2, 1, 0]);
    const linux = parseTcpOptions(malformed, 0, 4, 'linux');
    expect(linux.ok).toBe(true);
    expect(readTcpOptionsLinux(malformed, 0, 4)).toEqual(linux.ok ? linux.value : null);
    expect(parseTcpOptions(malformed, 0, 4).ok).toBe(false);
    expect(readTcpOptionsLinux(malformed, 0, 0)).toEqual([]);
  });
});

describe('nop, nop, TS lists handed out again', () => {
  test('any run of timestamp pairs decodes to exactly those values (seeded)', () => {
    // A few pairs, repeated and interleaved as the two directions of
    // connections are: each decode must give its own segment's values, the
    // same list again only when the values are equal.
    const pair = fc.constantFrom<[number, number]>(
      [1, 2],
      [2, 1],
      [1, 3],
      [0xffffffff, 0],
      [0, 0xffffffff],
    );
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 40 }), (pairs) => {
        const seen: { tsVal: number; tsEcr: number; list: readonly unknown[] }[] = [];
        for (const [tsVal, tsEcr] of pairs) {
          const bytes = new Uint8Array([1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
          new DataView(bytes.buffer).setUint32(4, tsVal);
          new DataView(bytes.buffer).setUint32(8, tsEcr);
          const list = readTcpOptionsLinux(bytes, 0, 12);
          // As int32s: the wire's 32 bits (tcp-options.ts).
          expect(list).toEqual([
            { kind: 'nop' },
            { kind: 'nop' },
            { kind: 'timestamps', tsVal: tsVal | 0, tsEcr: tsEcr | 0 },
          ]);
          const strict = parseTcpOptions(bytes, 0, 12);
          expect(strict.ok && strict.value).toEqual(list);
          seen.push({ tsVal, tsEcr, list });
        }
        // Lists handed out earlier still hold their own values.
        for (const s of seen) {
          expect(s.list[2]).toEqual({ kind: 'timestamps', tsVal: s.tsVal | 0, tsEcr: s.tsEcr | 0 });
        }
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});

describe('checksum offload: emitTcp partial, completeTcpChecksum, decodeTcpIn trusting', () => {
  test('a partial segment finished in place is, byte for byte, the computed one (any segment, any offset)', () => {
    fc.assert(
      fc.property(tcpSegment, u32, u32, fc.integer({ min: 0, max: 7 }), (s, src, dst, at) => {
        const length = tcpLength(s);
        const p: PseudoHeader = { src, dst, protocol: IPPROTO_TCP, length };
        const computed = new Uint8Array(at + length);
        emitTcp(s, computed, p, 'compute', at);
        const partial = new Uint8Array(at + length);
        emitTcp(s, partial, p, 'partial', at);
        // Everything but the checksum field is already the same.
        expect([...partial.subarray(at + 18)]).toEqual([...computed.subarray(at + 18)]);
        completeTcpChecksum(partial, at, at + length);
        expect([...partial]).toEqual([...computed]);
      }),
    );
  });

  test('a checksum known good is not summed: decodeTcpIn reports it correct and the field as it came', () => {
    const tcp = buildTcp(seg({ flags: ACK, payload: new Uint8Array([1, 2, 3]) }), ph(23));
    tcp[16]! ^= 0xff;
    const trusted = decodeTcpIn(tcp, 0, tcp.length, ph(tcp.length), true);
    expect(trusted?.checksumOk).toBe(true);
    expect(trusted?.checksum).toBe((tcp[16]! << 8) | tcp[17]!);
    expect(trusted?.checksumExpected).toBe(trusted?.checksum);
    // Every other field as the verifying decode gives it.
    const { checksumOk, checksumExpected, payload, ...rest } = trusted!;
    const checked = decodeTcpIn(tcp, 0, tcp.length, ph(tcp.length))!;
    expect(checked.checksumOk).toBe(false);
    const { checksumOk: _o, checksumExpected: _e, payload: p2, ...restChecked } = checked;
    expect(rest).toEqual(restChecked);
    expect([...payload]).toEqual([...p2]);
  });
});
