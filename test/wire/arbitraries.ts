/**
 * fast-check generators of valid wire values, shared by the round-trip and oracle
 * tests. "Valid" means encodable and decoding back to itself: TCP options are
 * padded to a multiple of 4 with NOPs (or end in an EOL whose padding fills the
 * header), unknown options never spell a known kind at its own length.
 */

import fc from 'fast-check';
import type {
  ArpPacket,
  EthernetFrame,
  IcmpMessage,
  Ipv4Packet,
  SackBlock,
  TcpOption,
  TcpSegment,
  UdpDatagram,
} from '../../src/wire/index.js';
import { seq, TCP_NOP, TCP_SACK_PERMITTED, tcpOptionsLength } from '../../src/wire/index.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.tuple(u16, u16).map(([hi, lo]) => hi * 0x1_0000 + lo);
export const mac = fc.tuple(u16, u32).map(([hi, lo]) => hi * 0x1_0000_0000 + lo);
export const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

const sackBlock: fc.Arbitrary<SackBlock> = fc.record({ left: u32.map(seq), right: u32.map(seq) });

/** Kinds tcplab decodes at a fixed data length, and those lengths. */
const KNOWN_DATA_LENGTH: ReadonlyMap<number, number> = new Map([
  [2, 2],
  [3, 1],
  [4, 0],
  [8, 8],
]);

const unknownOption: fc.Arbitrary<TcpOption> = fc
  .record({ code: fc.integer({ min: 2, max: 255 }), bytes: bytes(10) })
  .filter(({ code, bytes: b }) => {
    if (code === 5) return b.length === 0 || b.length % 8 !== 0;
    const known = KNOWN_DATA_LENGTH.get(code);
    return known === undefined || known !== b.length;
  })
  .map(({ code, bytes: b }): TcpOption => ({ kind: 'unknown', code, bytes: b }));

export const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant(TCP_NOP),
  u16.map((mss): TcpOption => ({ kind: 'mss', mss })),
  u8.map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant(TCP_SACK_PERMITTED),
  fc
    .array(sackBlock, { minLength: 1, maxLength: 4 })
    .map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  // TSval and TSecr as the parser gives them: the wire's 32 bits as int32s.
  fc
    .tuple(u32, u32)
    .map(([v, e]): TcpOption => ({ kind: 'timestamps', tsVal: v | 0, tsEcr: e | 0 })),
  unknownOption,
);

/**
 * A list that fits in 40 bytes and ends on a 4-byte boundary: options are taken
 * while they fit, then NOPs pad, or an EOL whose padding (zeros or anything) does.
 */
export const tcpOptions: fc.Arbitrary<readonly TcpOption[]> = fc
  .tuple(fc.array(tcpOption, { maxLength: 8 }), fc.boolean(), bytes(3))
  .map(([candidates, endWithEol, junk]) => {
    const out: TcpOption[] = [];
    let len = 0;
    for (const o of candidates) {
      const l = tcpOptionsLength([o]);
      if (len + l > 40 - (endWithEol ? 1 : 0)) break;
      out.push(o);
      len += l;
    }
    if (endWithEol) {
      const padLength = (4 - ((len + 1) % 4)) % 4;
      out.push({
        kind: 'eol',
        padding: junk.length >= padLength ? junk.slice(0, padLength) : new Uint8Array(padLength),
      });
    } else {
      while (len % 4 !== 0) {
        out.push(TCP_NOP);
        len++;
      }
    }
    return out;
  });

export const tcpSegment: fc.Arbitrary<TcpSegment> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32.map(seq),
  ack: u32.map(seq),
  flags: fc.integer({ min: 0, max: 0x1ff }),
  reserved: fc.integer({ min: 0, max: 7 }),
  window: u16,
  urgentPointer: u16,
  options: tcpOptions,
  payload: bytes(64),
});

export const ipv4Packet = (
  payload: fc.Arbitrary<Uint8Array> = bytes(64),
): fc.Arbitrary<Ipv4Packet> =>
  fc.record({
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    id: u16,
    reservedFlag: fc.boolean(),
    dontFragment: fc.boolean(),
    moreFragments: fc.boolean(),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
    ttl: u8,
    protocol: u8,
    src: u32,
    dst: u32,
    options: fc
      .integer({ min: 0, max: 10 })
      .chain((words) => fc.uint8Array({ minLength: 4 * words, maxLength: 4 * words })),
    payload,
  });

export const udpDatagram: fc.Arbitrary<UdpDatagram> = fc.record({
  srcPort: u16,
  dstPort: u16,
  payload: bytes(64),
});

export const icmpMessage: fc.Arbitrary<IcmpMessage> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('echoRequest' as const, 'echoReply' as const),
    code: u8,
    id: u16,
    sequence: u16,
    data: bytes(64),
  }),
  fc.record({
    kind: fc.constant('destUnreachable' as const),
    code: u8,
    unused: u16,
    nextHopMtu: u16,
    quote: bytes(64),
  }),
  fc.record({
    kind: fc.constant('timeExceeded' as const),
    code: u8,
    unused: u32,
    quote: bytes(64),
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    type: u8.filter((t) => t !== 0 && t !== 3 && t !== 8 && t !== 11),
    code: u8,
    bytes: fc.uint8Array({ minLength: 4, maxLength: 64 }),
  }),
);

export const arpPacket: fc.Arbitrary<ArpPacket> = fc.record({
  operation: u16,
  senderMac: mac,
  senderIp: u32,
  targetMac: mac,
  targetIp: u32,
});

export const ethernetFrame: fc.Arbitrary<EthernetFrame> = fc.record({
  dst: mac,
  src: mac,
  ethertype: u16,
  payload: bytes(100),
});
