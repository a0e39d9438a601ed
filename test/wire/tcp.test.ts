/**
 * TCP specifics the golden frames do not cover: flag formatting, option defaults,
 * padding rules, emitter refusals.
 */

import { describe, expect, test } from 'vitest';
import {
  ACK,
  AE,
  buildTcp,
  CWR,
  ECE,
  FIN,
  findTcpOption,
  formatTcpFlags,
  formatTcpOption,
  formatTcpOptions,
  PSH,
  parseTcp,
  RST,
  SYN,
  seq,
  TCP_MSS_DEFAULT,
  TCP_NOP,
  type TcpOption,
  type TcpSegment,
  tcpEffectiveMss,
  tcpHeaderLength,
  tcpPseudoHeader,
  tcpSegmentLength,
  URG,
} from '../../src/wire/index.js';

const SEG: TcpSegment = {
  srcPort: 1,
  dstPort: 2,
  seq: seq(100),
  ack: seq(0),
  flags: SYN,
  window: 1000,
  urgentPointer: 0,
  options: [],
  payload: new Uint8Array(0),
};

describe('flags', () => {
  test('the nine bits have their header positions (RFC 9293 3.1, RFC 3168, AccECN)', () => {
    expect([FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE]).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256,
    ]);
    const wire = buildTcp({ ...SEG, flags: AE | CWR | SYN }, tcpPseudoHeader(1, 2, SEG));
    expect(wire[12]! & 1).toBe(1);
    expect(wire[13]).toBe(0x82);
  });

  test.each([
    [SYN, 'S'],
    [SYN | ACK, 'S.'],
    [PSH | ACK, 'P.'],
    [RST | ACK, 'R.'],
    [FIN | ACK, 'F.'],
    [SYN | ECE | CWR, 'SEW'],
    [FIN | SYN | RST | PSH | ACK | URG | ECE | CWR, 'FSRP.UEW'],
    [0, 'none'],
    [AE, 'none'],
  ])('flags %i print as [%s], like tcpdump 4.99', (flags, text) => {
    expect(formatTcpFlags(flags)).toBe(text);
  });

  test('later tcpdump shows AE as e', () => {
    expect(formatTcpFlags(AE | SYN | ECE | CWR, true)).toBe('SEWe');
  });

  test('SYN and FIN each take one sequence number (RFC 9293 3.4)', () => {
    expect(tcpSegmentLength({ ...SEG, flags: SYN | FIN, payload: new Uint8Array(5) })).toBe(7);
    expect(tcpSegmentLength({ ...SEG, flags: ACK })).toBe(0);
  });
});

describe('options', () => {
  test('without an MSS option the effective MSS is 536 (RFC 9293 3.7.1)', () => {
    expect(TCP_MSS_DEFAULT).toBe(536);
    expect(tcpEffectiveMss([])).toBe(536);
    expect(tcpEffectiveMss([TCP_NOP, { kind: 'mss', mss: 1460 }])).toBe(1460);
    // A malformed MSS (wrong length) is not an MSS option: Linux ignores it too.
    expect(tcpEffectiveMss([{ kind: 'unknown', code: 2, bytes: Uint8Array.of(5) }])).toBe(536);
  });

  test('findTcpOption returns the first of a kind, typed', () => {
    const opts: TcpOption[] = [TCP_NOP, { kind: 'timestamps', tsVal: 5, tsEcr: 6 }];
    expect(findTcpOption(opts, 'timestamps')?.tsVal).toBe(5);
    expect(findTcpOption(opts, 'wscale')).toBeUndefined();
  });

  test('tcpdump spelling of each option', () => {
    const text = formatTcpOptions([
      { kind: 'mss', mss: 1460 },
      { kind: 'sackPermitted' },
      { kind: 'timestamps', tsVal: 1320709399, tsEcr: 0 },
      TCP_NOP,
      { kind: 'wscale', shift: 10 },
      { kind: 'sack', blocks: [{ left: seq(1), right: seq(2) }] },
      { kind: 'unknown', code: 99, bytes: Uint8Array.of(0xab, 0xcd) },
      { kind: 'unknown', code: 34, bytes: new Uint8Array(0) },
      { kind: 'eol', padding: new Uint8Array(2) },
    ]);
    expect(text).toBe(
      '[mss 1460,sackOK,TS val 1320709399 ecr 0,nop,wscale 10,sack 1 {1:2},unknown-99 0xabcd,tfo,eol]',
    );
    expect(formatTcpOption({ kind: 'malformed', bytes: Uint8Array.of(8, 0) })).toBe('[bad opt]');
  });

  test('options are padded with zeros to a 4-byte boundary (RFC 9293 3.1)', () => {
    const seg = {
      ...SEG,
      options: [
        { kind: 'mss', mss: 1460 },
        { kind: 'wscale', shift: 7 },
      ] as TcpOption[],
    };
    expect(tcpHeaderLength(seg)).toBe(28);
    const wire = buildTcp(seg, tcpPseudoHeader(1, 2, seg));
    expect(Array.from(wire.subarray(20, 28))).toEqual([2, 4, 5, 0xb4, 3, 3, 7, 0]);
    // The zero byte reads back as an end-of-list.
    const r = parseTcp(wire, tcpPseudoHeader(1, 2, seg));
    expect(r.ok && r.value.options.at(-1)).toEqual({ kind: 'eol', padding: new Uint8Array(0) });
  });

  test('[nop, nop, TS] with the shared TCP_NOP (written without a walk) gives the bytes the walk gives', () => {
    const ts: TcpOption = { kind: 'timestamps', tsVal: 0xfedcba98 | 0, tsEcr: 0x01020304 };
    const fast = { ...SEG, flags: ACK, options: [TCP_NOP, TCP_NOP, ts] };
    const walked = { ...fast, options: [{ kind: 'nop' }, { kind: 'nop' }, ts] as TcpOption[] };
    expect(tcpHeaderLength(fast)).toBe(32);
    const wire = buildTcp(fast, tcpPseudoHeader(1, 2, fast));
    expect(Array.from(wire)).toEqual(Array.from(buildTcp(walked, tcpPseudoHeader(1, 2, walked))));
    expect(Array.from(wire.subarray(20, 32))).toEqual([
      1, 1, 8, 10, 0xfe, 0xdc, 0xba, 0x98, 1, 2, 3, 4,
    ]);
    // Not the layout: a different list is walked as usual.
    const other = { ...fast, options: [TCP_NOP, ts, TCP_NOP] };
    expect(Array.from(buildTcp(other, tcpPseudoHeader(1, 2, other)).subarray(20, 32))).toEqual([
      1, 8, 10, 0xfe, 0xdc, 0xba, 0x98, 1, 2, 3, 4, 1,
    ]);
  });

  test('an EOL keeps whatever follows it up to the data offset', () => {
    const seg = {
      ...SEG,
      options: [{ kind: 'eol', padding: Uint8Array.of(9, 9, 9, 9, 9, 9, 9) }] as TcpOption[],
    };
    const wire = buildTcp(seg, tcpPseudoHeader(1, 2, seg));
    expect(wire[12]! >>> 4).toBe(7);
    const r = parseTcp(wire, tcpPseudoHeader(1, 2, seg));
    expect(r.ok && r.value.options).toEqual(seg.options);
  });

  test("a Linux SYN's [mss, sackOK, TS, nop, wscale] (read without a walk) decodes as the walk decodes it", () => {
    const syn: TcpOption[] = [
      { kind: 'mss', mss: 1460 },
      { kind: 'sackPermitted' },
      { kind: 'timestamps', tsVal: 0xfedcba98 | 0, tsEcr: 0x01020304 },
      TCP_NOP,
      { kind: 'wscale', shift: 7 },
    ];
    const seg = { ...SEG, flags: SYN, options: syn };
    const wire = buildTcp(seg, tcpPseudoHeader(1, 2, seg));
    expect(wire[12]! >>> 4).toBe(10);
    const fast = parseTcp(wire, tcpPseudoHeader(1, 2, seg));
    expect(fast.ok && fast.value.options).toEqual(syn);
    // The same options with an EOL after them are 24 bytes: the walk reads them.
    const padded = { ...seg, options: [...syn, { kind: 'eol', padding: new Uint8Array(3) }] };
    const walked = parseTcp(
      buildTcp(padded as TcpSegment, tcpPseudoHeader(1, 2, padded as TcpSegment)),
      tcpPseudoHeader(1, 2, padded as TcpSegment),
    );
    expect(walked.ok && walked.value.options.slice(0, 5)).toEqual(fast.ok && fast.value.options);
    // One byte off the layout (a wscale kind of 2 is an MSS of the wrong length): walked.
    const odd = Uint8Array.from(wire);
    odd[20 + 17] = 2;
    const r = parseTcp(
      odd,
      { src: 1, dst: 2, protocol: 6, length: odd.length },
      { options: 'linux' },
    );
    expect(r.ok && r.value.options.at(-1)).toEqual({
      kind: 'unknown',
      code: 2,
      bytes: Uint8Array.of(7),
    });
  });
});

describe('emitting refuses what cannot be encoded (caller bugs throw)', () => {
  test('more than 40 bytes of options', () => {
    const seg = { ...SEG, options: Array<TcpOption>(41).fill(TCP_NOP) };
    expect(() => buildTcp(seg, tcpPseudoHeader(1, 2, seg))).toThrow(RangeError);
  });

  test("a pseudo-header length that is not the segment's", () => {
    expect(() => buildTcp(SEG, { src: 1, dst: 2, protocol: 6, length: 99 })).toThrow(
      /pseudo-header length 99/,
    );
  });
});
