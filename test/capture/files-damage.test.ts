/**
 * Damaged capture files: every truncation point of real files, and a table of
 * corruptions. tcplab must never throw, must keep the packets before the damage,
 * and must say what libpcap says (tcpdump prints the same packets, then the same
 * message), with the byte offset of the damage.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CaptureReader, readCapture } from '../../src/capture/pcap.js';
import { hasTcpdump, libpcapRecords, scratch } from './files-oracle.js';

const PCAP_FILE = '/work/shared/linux-traces/reject-icmp/nc/capture.pcap';
const PCAPNG_FILE = '/work/shared/conformance/tcpdump/pcap/icmp-cksum-oobr-3.pcapng';

type Outcome =
  | { opened: false; error: string }
  | { opened: true; records: [number, number, number, number][]; error: string | undefined };

function ours(bytes: Uint8Array): Outcome {
  const r = readCapture(bytes);
  if (!('records' in r)) return { opened: false, error: r.error.message };
  return {
    opened: true,
    records: r.records.map((x) => [x.sec, x.frac, x.data.length, x.origLen]),
    error: r.error?.message,
  };
}

function theirs(bytes: Uint8Array, dir: ReturnType<typeof scratch>): Outcome {
  const t = libpcapRecords(dir.file('damaged', bytes), 'micro');
  if (!t.opened) return { opened: false, error: t.error ?? '(no message)' };
  return {
    opened: true,
    records: t.records.map((x) => [x.sec, x.frac, x.caplen, x.len]),
    error: t.error,
  };
}

/** Offsets where each record (pcap) starts, read with independent code. */
function pcapRecordStarts(bytes: Uint8Array): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts: number[] = [];
  for (let p = 24; p < bytes.length; p += 16 + dv.getUint32(p + 8, true)) starts.push(p);
  return starts;
}

function patched(bytes: Uint8Array, at: number, value: number, le = true): Uint8Array {
  const copy = new Uint8Array(bytes); // a copy (Buffer.slice would share memory)
  new DataView(copy.buffer).setUint32(at, value, le);
  return copy;
}

/**
 * Offsets at which a cut leaves a whole, readable file: after the header and
 * after each record (pcap), or after the first IDB and each later block (pcapng).
 */
function cleanCuts(bytes: Uint8Array): Set<number> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cuts = new Set<number>();
  if (dv.getUint32(0, true) === 0x0a0d0d0a) {
    let sawIdb = false;
    for (let p = 0; p < bytes.length; ) {
      sawIdb ||= dv.getUint32(p, true) === 1;
      p += dv.getUint32(p + 4, true);
      if (sawIdb) cuts.add(p);
    }
  } else {
    cuts.add(24);
    for (const start of pcapRecordStarts(bytes))
      cuts.add(start + 16 + dv.getUint32(start + 8, true));
  }
  return cuts;
}

describe('truncation at every offset never throws and keeps the packets before the cut', () => {
  for (const file of [PCAP_FILE, PCAPNG_FILE]) {
    test(file.split('/').pop()!, () => {
      const full = readFileSync(file);
      const whole = ours(full);
      expect(whole.opened && whole.error === undefined).toBe(true);
      const all = whole.opened ? whole.records : [];
      const clean = cleanCuts(full);
      expect(clean.has(full.length)).toBe(true);
      for (let cut = 0; cut < full.length; cut++) {
        const r = readCapture(full.subarray(0, cut));
        if (clean.has(cut)) {
          expect(r.error, `cut at ${cut}`).toBeUndefined();
        } else {
          expect(r.error, `cut at ${cut}`).toBeDefined();
          expect(r.error!.offset).toBeGreaterThanOrEqual(0);
          expect(r.error!.offset).toBeLessThanOrEqual(cut);
        }
        if ('records' in r) {
          const got = r.records.map((x) => [x.sec, x.frac, x.data.length, x.origLen]);
          expect(got).toEqual(all.slice(0, got.length));
          expect(got.length).toBeLessThan(all.length);
        }
      }
    });
  }
});

if (!hasTcpdump) console.warn('tcpdump not installed: skipping the comparison of damaged files');
describe.skipIf(!hasTcpdump)(
  'every truncation point: the same packets and message as tcpdump',
  () => {
    for (const file of [PCAP_FILE, PCAPNG_FILE]) {
      test(file.split('/').pop()!, () => {
        const full = readFileSync(file);
        const dir = scratch();
        try {
          for (let cut = 0; cut < full.length; cut++) {
            const bytes = full.subarray(0, cut);
            expect(ours(bytes), `cut at ${cut}`).toEqual(theirs(bytes, dir));
          }
        } finally {
          dir.done();
        }
      });
    }
  },
);

describe('classic pcap: where the error points', () => {
  const full = readFileSync(PCAP_FILE);
  const starts = pcapRecordStarts(full);

  test('inside the global header: nothing is read, offset 0', () => {
    const r = readCapture(full.subarray(0, 10));
    expect(r).toEqual({
      error: {
        offset: 0,
        message: 'truncated dump file; tried to read 24 file header bytes, only got 6',
      },
    });
  });

  test('inside a record header: the records before it, offset of that record', () => {
    const r = readCapture(full.subarray(0, starts[2]! + 5));
    if (!('records' in r)) throw new Error('should open');
    expect(r.records).toHaveLength(2);
    expect(r.error).toEqual({
      offset: starts[2],
      message: 'truncated dump file; tried to read 16 header bytes, only got 5',
    });
  });

  test('inside record data: the records before it, offset of the data', () => {
    const r = readCapture(full.subarray(0, starts[3]! + 16 + 7));
    if (!('records' in r)) throw new Error('should open');
    expect(r.records).toHaveLength(3);
    const caplen = new DataView(full.buffer, full.byteOffset).getUint32(starts[3]! + 8, true);
    expect(r.error).toEqual({
      offset: starts[3]! + 16,
      message: `truncated dump file; tried to read ${caplen} captured bytes, only got 7`,
    });
  });

  test('the pull reader stops the same way and stays stopped', () => {
    const reader = new CaptureReader(full.subarray(0, starts[2]! + 5));
    expect(reader.header).toBeDefined();
    expect(reader.next()).not.toBeNull();
    expect(reader.next()).not.toBeNull();
    expect(reader.next()).toBeNull();
    expect(reader.error?.offset).toBe(starts[2]);
    expect(reader.next()).toBeNull();
  });
});

/** Corruptions of real files; each is compared with tcpdump and its offset pinned. */
function corruptions(): { name: string; bytes: Uint8Array; offset: number }[] {
  const pcap = readFileSync(PCAP_FILE);
  const starts = pcapRecordStarts(pcap);
  const ng = readFileSync(PCAPNG_FILE);
  const ngDv = new DataView(ng.buffer, ng.byteOffset, ng.byteLength);
  // The pcapng file's blocks: offsets of each block (independent walk).
  const blocks: number[] = [];
  for (let p = 0; p < ng.length; p += ngDv.getUint32(p + 4, true)) blocks.push(p);
  const idbAt = blocks.find((b) => ngDv.getUint32(b, true) === 1)!;
  const epbAt = blocks.find((b) => ngDv.getUint32(b, true) === 6)!;
  return [
    { name: 'pcap: wrong magic', bytes: patched(pcap, 0, 0xdeadbeef), offset: 0 },
    { name: 'pcap: version 2.5', bytes: patched(pcap, 4, 0x0005_0002), offset: 4 },
    { name: 'pcap: version 1.4 is archaic', bytes: patched(pcap, 4, 0x0004_0001), offset: 4 },
    {
      name: 'pcap: absurd caplen (2^31 - 1)',
      bytes: patched(pcap, starts[1]! + 8, 0x7fff_ffff),
      offset: starts[1]!,
    },
    {
      name: 'pcap: caplen above 262144 with a 262144 snaplen',
      bytes: patched(pcap, starts[2]! + 8, 300_000),
      offset: starts[2]!,
    },
    {
      name: 'pcap: caplen above 262144, snaplen larger still',
      bytes: patched(patched(pcap, 16, 0x7fff_ffff), starts[2]! + 8, 300_000),
      offset: starts[2]!,
    },
    {
      name: 'pcap: caplen above a small snaplen, record cut short',
      bytes: patched(pcap, starts[3]! + 8, 5000),
      offset: starts[3]! + 16,
    },
    { name: 'pcapng: bad byte-order magic', bytes: patched(ng, 8, 0x01020304), offset: 0 },
    { name: 'pcapng: SHB length below 28', bytes: patched(ng, 4, 20), offset: 4 },
    { name: 'pcapng: SHB major version 2', bytes: patched(ng, 12, 0x0000_0002), offset: 12 },
    { name: 'pcapng: zero block length', bytes: patched(ng, epbAt + 4, 0), offset: epbAt + 4 },
    { name: 'pcapng: block length 8', bytes: patched(ng, epbAt + 4, 8), offset: epbAt + 4 },
    {
      name: 'pcapng: block length not a multiple of 4',
      bytes: patched(ng, epbAt + 4, 30),
      offset: epbAt + 4,
    },
    {
      name: 'pcapng: block length above 16 MiB',
      bytes: patched(ng, epbAt + 4, 0x0200_0000),
      offset: epbAt + 4,
    },
    {
      name: 'pcapng: trailer disagrees with header',
      bytes: patched(ng, epbAt + ngDv.getUint32(epbAt + 4, true) - 4, 1234),
      offset: epbAt + ngDv.getUint32(epbAt + 4, true) - 4,
    },
    {
      name: 'pcapng: EPB caplen above the snaplen',
      bytes: patched(ng, epbAt + 20, 100_000),
      offset: epbAt,
    },
    {
      name: 'pcapng: EPB caplen beyond its block',
      bytes: patched(ng, epbAt + 20, 3000),
      offset: epbAt,
    },
    {
      name: 'pcapng: EPB on an undescribed interface',
      bytes: patched(ng, epbAt + 8, 7),
      offset: epbAt + 8,
    },
    {
      name: 'pcapng: IDB turned into an EPB (packet before any IDB)',
      bytes: patched(ng, idbAt, 6),
      offset: idbAt,
    },
    {
      name: 'pcapng: IDB turned into an unknown block, nothing after it (no IDB at all)',
      bytes: patched(ng, idbAt, 0x77).subarray(0, idbAt + ngDv.getUint32(idbAt + 4, true)),
      offset: idbAt + ngDv.getUint32(idbAt + 4, true),
    },
    { name: 'pcapng: no bytes after the magic', bytes: ng.subarray(0, 4), offset: 0 },
  ];
}

describe('corrupted files: an error with the offset, the packets before kept', () => {
  for (const c of corruptions()) {
    test(c.name, () => {
      const r = readCapture(c.bytes);
      expect(r.error).toBeDefined();
      expect(r.error!.offset).toBe(c.offset);
    });
  }
});

describe.skipIf(!hasTcpdump)('corrupted files: the same packets and message as tcpdump', () => {
  for (const c of corruptions()) {
    test(c.name, () => {
      const dir = scratch();
      try {
        const o = ours(c.bytes);
        const t = theirs(c.bytes, dir);
        expect(o).toEqual(t);
        expect(o.error).toBeDefined();
      } finally {
        dir.done();
      }
    });
  }
});

describe('pcapng IDB option errors, as libpcap words them', () => {
  // Built by hand: SHB, IDB with one bad option, EPB.
  function file(option: number[]): Uint8Array {
    const le = (v: number, n: number): number[] =>
      Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);
    const blk = (type: number, body: number[]): number[] => [
      ...le(type, 4),
      ...le(12 + body.length, 4),
      ...body,
      ...le(12 + body.length, 4),
    ];
    const shb = blk(0x0a0d0d0a, [...le(0x1a2b3c4d, 4), 1, 0, 0, 0, ...new Array(8).fill(0xff)]);
    const idb = blk(1, [1, 0, 0, 0, ...le(262144, 4), ...option, 0, 0, 0, 0]);
    return Uint8Array.from([...shb, ...idb]);
  }
  const cases: [string, number[], string][] = [
    [
      'if_tsresol of length 2',
      [9, 0, 2, 0, 6, 6, 0, 0],
      'Interface Description Block has if_tsresol option with length 2 != 1',
    ],
    [
      'two if_tsresol',
      [9, 0, 1, 0, 6, 0, 0, 0, 9, 0, 1, 0, 6, 0, 0, 0],
      'Interface Description Block has more than one if_tsresol option',
    ],
    [
      'if_tsresol 10^-20',
      [9, 0, 1, 0, 20, 0, 0, 0],
      'Interface Description Block if_tsresol option resolution 10^-20 is too high',
    ],
    [
      'if_tsresol 2^-64',
      [9, 0, 1, 0, 0x80 | 64, 0, 0, 0],
      'Interface Description Block if_tsresol option resolution 2^-64 is too high',
    ],
    [
      'if_tsoffset of length 4',
      [14, 0, 4, 0, 1, 2, 3, 4],
      'Interface Description Block has if_tsoffset option with length 4 != 8',
    ],
    [
      'opt_endofopt with a length',
      [0, 0, 4, 0, 1, 2, 3, 4],
      'Interface Description Block has opt_endofopt option with length 4 != 0',
    ],
    [
      'option running past the block',
      [2, 0, 200, 0],
      'block of type 1 in pcapng dump file is too short',
    ],
  ];
  for (const [name, option, message] of cases) {
    test(name, () => {
      const r = readCapture(file(option));
      expect('records' in r).toBe(false);
      expect(r.error?.message).toBe(message);
    });
  }
  test.skipIf(!hasTcpdump)('tcpdump says the same', () => {
    const dir = scratch();
    try {
      for (const [, option, message] of cases) {
        expect(theirs(file(option), dir)).toEqual({ opened: false, error: message });
      }
    } finally {
      dir.done();
    }
  });
});

describe('fuzz: random bytes never throw, and every error is located', () => {
  const pcapHeader = readFileSync(PCAP_FILE).subarray(0, 24);
  const ng = readFileSync(PCAPNG_FILE);
  const ngDv = new DataView(ng.buffer, ng.byteOffset, ng.byteLength);
  // SHB and IDB of the pcapng file: everything before its first EPB.
  let ngHead = 0;
  while (ngDv.getUint32(ngHead, true) !== 6) ngHead += ngDv.getUint32(ngHead + 4, true);
  const prefixes = [new Uint8Array(0), pcapHeader, ng.subarray(0, ngHead)];

  test('random tails after real headers, and random bytes alone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom('micro' as const, 'nano' as const),
        (prefix, tail, precision) => {
          const bytes = new Uint8Array(prefix.length + tail.length);
          bytes.set(prefix);
          bytes.set(tail, prefix.length);
          const r = readCapture(bytes, { precision });
          if (r.error) {
            expect(r.error.offset).toBeGreaterThanOrEqual(0);
            expect(r.error.offset).toBeLessThanOrEqual(bytes.length);
            expect(r.error.message.length).toBeGreaterThan(0);
          }
          if ('records' in r) {
            for (const rec of r.records) {
              expect(rec.data.length).toBeLessThanOrEqual(bytes.length);
              expect(rec.precision).toBe(precision);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('mutations of real files: one corrupted 32-bit word anywhere', () => {
    const files = [readFileSync(PCAP_FILE), ng];
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (which, at, value) => {
          const file = files[which]!;
          const bytes = new Uint8Array(file);
          const pos = (at % (bytes.length - 3)) & ~3;
          new DataView(bytes.buffer).setUint32(pos, value, true);
          const r = readCapture(bytes);
          if (r.error) expect(r.error.offset).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
