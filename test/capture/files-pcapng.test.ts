/**
 * pcapng reading: files built block by block here (with this file's own small
 * builder, independent of the writer under test), read by tcplab and compared
 * with what libpcap hands tcpdump for the same bytes.
 */
import { describe, expect, test } from 'vitest';
import { type CaptureReadResult, readCapture } from '../../src/capture/pcap.js';
import { hasTcpdump, libpcapRecords, scratch } from './files-oracle.js';

interface Order {
  readonly le: boolean;
}

function u16(v: number, o: Order): number[] {
  return o.le ? [v & 0xff, v >>> 8] : [v >>> 8, v & 0xff];
}
function u32(v: number, o: Order): number[] {
  const b = [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return o.le ? b.reverse() : b;
}
function u64(v: bigint, o: Order): number[] {
  const hi = Number((BigInt.asUintN(64, v) >> 32n) & 0xffffffffn);
  const lo = Number(BigInt.asUintN(64, v) & 0xffffffffn);
  return o.le ? [...u32(lo, o), ...u32(hi, o)] : [...u32(hi, o), ...u32(lo, o)];
}
function pad(b: number[]): number[] {
  return [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)];
}
function opt(code: number, value: number[], o: Order): number[] {
  return [...u16(code, o), ...u16(value.length, o), ...pad(value)];
}
const END = (o: Order): number[] => [...u16(0, o), ...u16(0, o)];
function text(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}
function block(type: number, body: number[], o: Order): number[] {
  const total = 12 + body.length;
  return [...u32(type, o), ...u32(total, o), ...body, ...u32(total, o)];
}
function shb(o: Order, major = 1, minor = 0): number[] {
  return block(
    0x0a0d0d0a,
    [...u32(0x1a2b3c4d, o), ...u16(major, o), ...u16(minor, o), ...u64(-1n, o)],
    o,
  );
}
function idb(o: Order, linkType: number, snaplen: number, options: number[][] = []): number[] {
  const opts = options.length ? [...options.flat(), ...END(o)] : [];
  return block(1, [...u16(linkType, o), ...u16(0, o), ...u32(snaplen, o), ...opts], o);
}
function epb(o: Order, ifId: number, ts: bigint, data: number[], len = data.length): number[] {
  return block(
    6,
    [
      ...u32(ifId, o),
      ...u32(Number(ts >> 32n), o),
      ...u32(Number(ts & 0xffffffffn), o),
      ...u32(data.length, o),
      ...u32(len, o),
      ...pad(data),
    ],
    o,
  );
}
function spb(o: Order, data: number[], len = data.length): number[] {
  return block(3, [...u32(len, o), ...pad(data)], o);
}
function pb(o: Order, ifId: number, ts: bigint, data: number[]): number[] {
  return block(
    2,
    [
      ...u16(ifId, o),
      ...u16(0, o),
      ...u32(Number(ts >> 32n), o),
      ...u32(Number(ts & 0xffffffffn), o),
      ...u32(data.length, o),
      ...u32(data.length, o),
      ...pad(data),
    ],
    o,
  );
}

// A real ARP request from the Linux traces' topology (192.168.0.21 asks for .22).
const ARP = [
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x21, 0x08, 0x06, 0x00, 0x01,
  0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x21, 0xc0, 0xa8, 0x00, 0x15,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x16,
];
const LE: Order = { le: true };
const BE: Order = { le: false };
const T = 1_700_000_000n; // seconds

function read(bytes: number[], precision: 'micro' | 'nano' = 'micro'): CaptureReadResult {
  const r = readCapture(Uint8Array.from(bytes), { precision });
  if (!('records' in r)) throw new Error(`open failure: ${r.error.message}`);
  return r;
}

const cases: Record<string, number[]> = {
  'little-endian, microsecond default': [
    ...shb(LE),
    ...idb(LE, 1, 262144),
    ...epb(LE, 0, T * 1_000_000n + 123_456n, ARP),
    ...epb(LE, 0, (T + 1n) * 1_000_000n + 999_999n, ARP, 60),
  ],
  'big-endian': [
    ...shb(BE),
    ...idb(BE, 1, 65535, [opt(2, text('eth0'), BE)]),
    ...epb(BE, 0, T * 1_000_000n + 5n, ARP),
  ],
  'if_tsresol 9 (nanoseconds)': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(9, [9], LE)]),
    ...epb(LE, 0, T * 1_000_000_000n + 123_456_789n, ARP),
  ],
  'if_tsresol 3 (milliseconds)': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(9, [3], LE)]),
    ...epb(LE, 0, T * 1000n + 789n, ARP),
  ],
  'if_tsresol 2^-20 (binary)': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(9, [0x80 | 20], LE)]),
    ...epb(LE, 0, (T << 20n) + 777_777n, ARP),
  ],
  'if_tsresol 2^-32 (binary, beyond doubles)': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(9, [0x80 | 32], LE)]),
    ...epb(LE, 0, (T << 32n) + 0x8000_0001n, ARP),
  ],
  'if_tsoffset (seconds added)': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(14, u64(1_000_000n, LE), LE)]),
    ...epb(LE, 0, 42_000_001n, ARP),
  ],
  'SPB takes interface 0, time 0 + offset, caplen min(len, snaplen)': [
    ...shb(LE),
    ...idb(LE, 1, 32, [opt(14, u64(T, LE), LE)]),
    ...spb(LE, ARP.slice(0, 32), 42),
  ],
  'obsolete Packet Block': [...shb(LE), ...idb(LE, 1, 0), ...pb(LE, 0, T * 1_000_000n + 1n, ARP)],
  'NRB, ISB, DSB, custom and unknown blocks are skipped': [
    ...shb(LE),
    ...block(4, [0, 0, 0, 0], LE),
    ...idb(LE, 1, 0),
    ...block(5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], LE),
    ...epb(LE, 0, T * 1_000_000n, ARP),
    ...block(0x0a, [0, 0, 0, 0, 0, 0, 0, 0], LE),
    ...block(0x0bad, [1, 2, 3, 4], LE),
    ...block(0x4000_0bad, [1, 2, 3, 4], LE),
    ...block(0x1234_5678, [], LE),
    ...epb(LE, 0, T * 1_000_000n + 1n, ARP),
  ],
  'several sections, interfaces renumbered in each': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(2, text('a'), LE)]),
    ...epb(LE, 0, T * 1_000_000n, ARP),
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(2, text('b'), LE), opt(9, [9], LE)]),
    ...epb(LE, 0, T * 1_000_000_000n + 5n, ARP),
  ],
  'two interfaces of one link type': [
    ...shb(LE),
    ...idb(LE, 1, 0, [opt(2, text('client:eth0'), LE)]),
    ...idb(LE, 1, 0, [opt(2, text('server:eth0'), LE), opt(3, text('the server'), LE)]),
    ...epb(LE, 1, T * 1_000_000n + 1n, ARP),
    ...epb(LE, 0, T * 1_000_000n + 2n, ARP),
  ],
  'SHB version 1.2 is read as 1.0': [
    ...shb(LE, 1, 2),
    ...idb(LE, 1, 0),
    ...epb(LE, 0, T * 1_000_000n, ARP),
  ],
};

if (!hasTcpdump)
  console.warn('tcpdump not installed: skipping the libpcap comparison of pcapng files');
describe.skipIf(!hasTcpdump)('crafted pcapng files read as libpcap delivers them', () => {
  for (const [name, bytes] of Object.entries(cases)) {
    test(name, () => {
      const s = scratch();
      try {
        const file = s.file('f.pcapng', Uint8Array.from(bytes));
        for (const precision of ['micro', 'nano'] as const) {
          const theirs = libpcapRecords(file, precision);
          expect(theirs.status).toBe(0);
          const ours = read(bytes, precision);
          expect(ours.error).toBeUndefined();
          expect(ours.records.map((r) => [r.sec, r.frac, r.data.length, r.origLen])).toEqual(
            theirs.records.map((t) => [t.sec, t.frac, t.caplen, t.len]),
          );
        }
      } finally {
        s.done();
      }
    });
  }
});

describe('pcapng reader facts', () => {
  test('interface names, descriptions and the records each interface carries', () => {
    const r = read(cases['two interfaces of one link type']!);
    expect(r.interfaces).toEqual([
      { linkType: 1, snaplen: 262144, name: 'client:eth0' },
      { linkType: 1, snaplen: 262144, name: 'server:eth0', description: 'the server' },
    ]);
    expect(r.records.map((x) => x.ifIndex)).toEqual([1, 0]);
    expect(r.records[0]!.data).toEqual(Uint8Array.from(ARP));
  });

  test('sections: interfaces are listed across sections, ifIndex points into that list', () => {
    const r = read(cases['several sections, interfaces renumbered in each']!, 'nano');
    expect(r.interfaces.map((i) => i.name)).toEqual(['a', 'b']);
    expect(r.records.map((x) => [x.ifIndex, x.sec, x.frac])).toEqual([
      [0, Number(T), 0],
      [1, Number(T), 5],
    ]);
  });

  test('big-endian: the fields come out the same', () => {
    const r = read(cases['big-endian']!);
    expect(r.interfaces).toEqual([{ linkType: 1, snaplen: 65535, name: 'eth0' }]);
    expect(r.records[0]!.sec).toBe(Number(T));
    expect(r.records[0]!.frac).toBe(5);
  });

  test('binary resolution 2^-20: frac = units × 10^6 / 2^20, truncated', () => {
    const r = read(cases['if_tsresol 2^-20 (binary)']!);
    expect(r.records[0]!.sec).toBe(Number(T));
    expect(r.records[0]!.frac).toBe(Math.floor((777_777 * 1_000_000) / 2 ** 20));
  });

  test('a different link type on a second interface is read (libpcap refuses it)', () => {
    const bytes = [
      ...shb(LE),
      ...idb(LE, 1, 0, [opt(2, text('eth0'), LE)]),
      ...idb(LE, 276, 0, [opt(2, text('any'), LE)]),
      ...epb(LE, 0, T * 1_000_000n, ARP),
      ...epb(LE, 1, T * 1_000_000n, ARP),
    ];
    const r = read(bytes);
    expect(r.error).toBeUndefined();
    expect(r.records.map((x) => x.linkType)).toEqual([1, 276]);
    expect(r.linkType).toBe(1);
  });

  test("singleLinkType: a second link type or snaplen is refused, in libpcap's words", () => {
    const mixed = (second: number[]): number[] => [
      ...shb(LE),
      ...idb(LE, 1, 0),
      ...epb(LE, 0, T * 1_000_000n, ARP),
      ...second,
      ...epb(LE, 1, T * 1_000_000n, ARP),
    ];
    const cases: [number[], string][] = [
      [
        mixed(idb(LE, 276, 0)),
        'an interface has a type 276 different from the type of the first interface',
      ],
      [
        mixed(idb(LE, 1, 1500)),
        'an interface has a snapshot length 1500 different from the snapshot length of the first interface',
      ],
    ];
    const s = scratch();
    try {
      for (const [bytes, message] of cases) {
        const r = readCapture(Uint8Array.from(bytes), { singleLinkType: true });
        if (!('records' in r)) throw new Error('should open');
        expect(r.records).toHaveLength(1);
        expect(r.error?.message).toBe(message);
        expect(read(bytes).records).toHaveLength(2);
        if (hasTcpdump) {
          const t = libpcapRecords(s.file('mixed.pcapng', Uint8Array.from(bytes)), 'micro');
          expect([t.records.length, t.error]).toEqual([1, message]);
        }
      }
    } finally {
      s.done();
    }
  });

  test('a packet on an interface the section has not described stops the reader', () => {
    const bytes = [...shb(LE), ...idb(LE, 1, 0), ...epb(LE, 0, 0n, ARP), ...epb(LE, 1, 0n, ARP)];
    const r = read(bytes);
    expect(r.records).toHaveLength(1);
    expect(r.error?.message).toBe(
      "a packet arrived on interface 1, but there's no Interface Description Block for that interface",
    );
  });
});

describe('a damaged second section stops the reader, the first section kept', () => {
  function shbWith(o: Order, bom: number, major: number, totalPadTo?: number): number[] {
    const body = [...u32(bom, o), ...u16(major, o), ...u16(0, o), ...u64(-1n, o)];
    if (totalPadTo !== undefined) {
      // An SHB comment option filling the block to the wanted total length.
      const len = totalPadTo - 12 - body.length - 8;
      body.push(...opt(1, new Array(len).fill(0x61), o), ...END(o));
    }
    return block(0x0a0d0d0a, body, o);
  }
  const first = [...shb(LE), ...idb(LE, 1, 0), ...epb(LE, 0, T * 1_000_000n, ARP)];
  const cases: [string, number[], string][] = [
    [
      'a big-endian section in a little-endian file',
      // 65792 = 0x00010100 reads the same in both byte orders, so the block's
      // length is believed and its byte-order magic is what gives it away.
      [...first, ...shbWith(BE, 0x1a2b3c4d, 1, 0x0001_0100)],
      'the file has sections with different byte orders',
    ],
    [
      'a section with a bad byte-order magic',
      [...first, ...shbWith(LE, 0x11223344, 1)],
      'the file has a section with a bad byte order magic field',
    ],
    [
      'a section of major version 2',
      [...first, ...shbWith(LE, 0x1a2b3c4d, 2), ...idb(LE, 1, 0), ...epb(LE, 0, 0n, ARP)],
      'unknown pcapng savefile major version number 2',
    ],
  ];
  for (const [name, bytes, message] of cases) {
    test(name, () => {
      const r = read(bytes);
      expect(r.records).toHaveLength(1);
      expect(r.error?.message).toBe(message);
      expect(r.error?.offset).toBe(first.length + 8 + (message.includes('major') ? 4 : 0));
    });
    test.skipIf(!hasTcpdump)(`${name}: tcpdump says the same`, () => {
      const s = scratch();
      try {
        const t = libpcapRecords(s.file('f.pcapng', Uint8Array.from(bytes)), 'micro');
        expect(t.records).toHaveLength(1);
        expect(t.error).toBe(message);
      } finally {
        s.done();
      }
    });
  }
});
