import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CaptureReader, type CaptureReadResult, readCapture } from '../../src/capture/pcap.js';
import type { CaptureRecord } from '../../src/capture/record.js';
import { SHARED, TRACES_DIR } from '../shared.js';
import {
  conformanceFiles,
  hasTcpdump,
  hasTshark,
  libpcapRecords,
  run,
  scratch,
  tcpdumpHeader,
  traceCaptures,
  tsharkFields,
} from './files-oracle.js';

const ALL_FILES = [...conformanceFiles(), ...traceCaptures()];

/** A file's bytes as a plain Uint8Array (a Buffer compares unequal to one). */
function load(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

function mustRead(bytes: Uint8Array, precision: 'micro' | 'nano' = 'micro'): CaptureReadResult {
  const r = readCapture(bytes, { precision });
  if (!('records' in r)) throw new Error(`unexpected open failure: ${r.error.message}`);
  return r;
}

function short(r: CaptureRecord): [number, number, number, number] {
  return [r.sec, r.frac, r.data.length, r.origLen];
}

test('the shared files are there', () => {
  expect(conformanceFiles().length).toBeGreaterThanOrEqual(40);
  expect(traceCaptures().length).toBeGreaterThanOrEqual(20);
});

if (!hasTcpdump)
  console.warn('tcpdump not installed: skipping the libpcap comparison of every file');
describe.skipIf(!hasTcpdump)(
  'every shared capture reads as libpcap 1.10 delivers it to tcpdump',
  () => {
    for (const file of ALL_FILES) {
      test(file.replace(`${SHARED}/`, ''), () => {
        const bytes = load(file);
        for (const precision of ['micro', 'nano'] as const) {
          const ours = mustRead(bytes, precision);
          const theirs = libpcapRecords(file, precision);
          expect(theirs.status).toBe(0);
          expect(ours.error).toBeUndefined();
          expect(ours.records.length).toBe(theirs.records.length);
          expect(ours.records.map(short)).toEqual(
            theirs.records.map((t) => [t.sec, t.frac, t.caplen, t.len]),
          );
          expect(ours.records.every((r) => r.precision === precision)).toBe(true);
        }
        const header = tcpdumpHeader(run('tcpdump', ['-n', '-r', file]).stderr);
        expect(header).toBeDefined();
        expect(mustRead(bytes).snaplen).toBe(header!.snaplen);
      });
    }
  },
);

if (!hasTshark)
  console.warn('tshark not installed: skipping the tshark comparison of the Linux traces');
describe.skipIf(!hasTshark)('Linux traces: times and lengths equal what tshark reports', () => {
  for (const file of traceCaptures()) {
    test(file.replace(`${TRACES_DIR}/`, ''), () => {
      const ours = mustRead(load(file), 'nano');
      const rows = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
      expect(ours.records.length).toBe(rows.length);
      ours.records.forEach((r, i) => {
        const [epoch, len, caplen] = rows[i]!;
        expect(`${r.sec}.${String(r.frac).padStart(9, '0')}`).toBe(epoch);
        expect(r.origLen).toBe(Number(len));
        expect(r.data.length).toBe(Number(caplen));
      });
    });
  }
});

describe('classic pcap facts pinned by the files themselves', () => {
  const dir = '/work/shared/conformance/tcpdump/pcap/';

  test('a micro file: link type, snaplen and the first record from the header bytes', () => {
    const bytes = load(`${dir}dns_tcp.pcap`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const r = mustRead(bytes);
    expect(r.format).toBe('pcap');
    expect(r.linkType).toBe(dv.getUint32(20, true));
    expect(r.snaplen).toBe(dv.getUint32(16, true));
    expect(r.interfaces).toEqual([{ linkType: 1, snaplen: 262144 }]);
    const first = r.records[0]!;
    expect(first.sec).toBe(dv.getUint32(24, true));
    expect(first.frac).toBe(dv.getUint32(28, true));
    expect(first.data).toEqual(bytes.subarray(40, 40 + dv.getUint32(32, true)));
    expect(first.origLen).toBe(dv.getUint32(36, true));
    expect(first.ifIndex).toBe(0);
    expect(first.linkType).toBe(1);
  });

  test('micro read at nano precision: frac × 1000; nano read at micro: frac / 1000', () => {
    const micro = load(`${dir}dns_tcp.pcap`);
    const atMicro = mustRead(micro, 'micro').records;
    const atNano = mustRead(micro, 'nano').records;
    expect(atNano.map((r) => r.frac)).toEqual(atMicro.map((r) => r.frac * 1000));

    const nano = load(`${dir}tcp-handshake-nano.pcap`);
    const n = mustRead(nano, 'nano').records;
    const m = mustRead(nano, 'micro').records;
    expect(n[0]!.frac).toBe(new DataView(nano.buffer, nano.byteOffset).getUint32(28, true));
    expect(m.map((r) => r.frac)).toEqual(n.map((r) => Math.floor(r.frac / 1000)));
  });

  test('an out-of-range usec (≥ 1000000) passes through untouched', () => {
    const bytes = load(`${dir}timestamp_invalid_micro.pcap`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const r = mustRead(bytes);
    let p = 24;
    for (const rec of r.records) {
      expect(rec.frac).toBe(dv.getUint32(p + 4, true));
      p += 16 + dv.getUint32(p + 8, true);
    }
    expect(r.records.some((rec) => rec.frac >= 1_000_000)).toBe(true);
  });

  test('caplen above the snaplen but below 262144 is read and cut to the snaplen', () => {
    // extract_read2_asan.pcap: snaplen 31, one record claiming 34 captured bytes.
    const bytes = load(`${dir}extract_read2_asan.pcap`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect(dv.getUint32(32, true)).toBeGreaterThan(dv.getUint32(16, true));
    const r = mustRead(bytes);
    expect(r.error).toBeUndefined();
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.data).toEqual(bytes.subarray(40, 40 + 31));
    expect(r.records[0]!.origLen).toBe(dv.getUint32(36, true));
  });

  test('the upper bits of the link-type field (FCS information) are masked off', () => {
    const bytes = load(`${dir}tcp-auth-heapoverflow.pcap`);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true)).toBe(0x3000_0001);
    const reader = new CaptureReader(bytes);
    expect(reader.linkType).toBe(1);
    expect(reader.header?.linkTypeExt).toBe(0x3000_0000);
    expect(reader.next()?.linkType).toBe(1);
  });

  test('a pcapng file from the conformance set: link type, snaplen, interface name', () => {
    const r = mustRead(load(`${dir}icmp-length-zero.pcapng`));
    expect(r.format).toBe('pcapng');
    expect(r.linkType).toBe(1);
    expect(r.interfaces[0]!.name).toBe('Fake IF, text2pcap');
    expect(r.records).toHaveLength(1);
  });

  test('CaptureReader pulls the same records readCapture collects', () => {
    for (const file of ALL_FILES) {
      const bytes = load(file);
      const all = mustRead(bytes).records;
      const reader = new CaptureReader(bytes);
      const pulled = [...reader];
      expect(pulled.map(short), basename(file)).toEqual(all.map(short));
      expect(reader.next()).toBeNull();
      expect(reader.offset).toBe(bytes.length);
    }
  });
});

/** Classic pcap files built here field by field: the variants libpcap still reads. */
describe('crafted classic pcap variants read as libpcap reads them', () => {
  interface Rec {
    sec: number;
    frac: number;
    caplen: number;
    len: number;
    data: number[];
    extra?: number[];
  }
  function pcap(
    o: {
      le: boolean;
      magic?: number;
      major?: number;
      minor?: number;
      snaplen?: number;
      linkType?: number;
    },
    recs: Rec[],
  ): Uint8Array {
    const out: number[] = [];
    const u32 = (v: number) => {
      const b = [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
      out.push(...(o.le ? b.reverse() : b));
    };
    const u16 = (v: number) => out.push(...(o.le ? [v & 0xff, v >>> 8] : [v >>> 8, v & 0xff]));
    u32(o.magic ?? 0xa1b2c3d4);
    u16(o.major ?? 2);
    u16(o.minor ?? 4);
    u32(0);
    u32(0);
    u32(o.snaplen ?? 65535);
    u32(o.linkType ?? 1);
    for (const r of recs) {
      u32(r.sec);
      u32(r.frac);
      u32(r.caplen);
      u32(r.len);
      for (const b of [...(r.extra ?? []), ...r.data]) out.push(b);
    }
    return Uint8Array.from(out);
  }
  const frame = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 13) & 0xff);
  const rec = (sec: number, frac: number, n: number, len = n): Rec => ({
    sec,
    frac,
    caplen: n,
    len,
    data: frame(n),
  });
  const cases: Record<string, Uint8Array> = {
    'big-endian, microseconds': pcap({ le: false }, [
      rec(1_700_000_000, 999_999, 60),
      rec(1_700_000_001, 0, 0, 60),
    ]),
    'big-endian, nanoseconds': pcap({ le: false, magic: 0xa1b23c4d }, [
      rec(1_700_000_000, 999_999_999, 60),
    ]),
    'version 2.2: captured and original length swapped': pcap({ le: true, minor: 2 }, [
      { sec: 1, frac: 2, caplen: 100, len: 60, data: frame(60) },
    ]),
    'version 2.3: swapped only when caplen > len': pcap({ le: true, minor: 3 }, [
      { sec: 1, frac: 2, caplen: 100, len: 60, data: frame(60) },
      { sec: 1, frac: 3, caplen: 60, len: 100, data: frame(60) },
    ]),
    'DG/UX version 543.0': pcap({ le: true, major: 543, minor: 0 }, [
      { sec: 1, frac: 2, caplen: 100, len: 60, data: frame(60) },
    ]),
    "Kuznetsov's patched records (24-byte headers, snaplen + 14)": pcap(
      { le: true, magic: 0xa1b2cd34, snaplen: 50 },
      [
        { ...rec(5, 6, 64), extra: [1, 0, 0, 0, 8, 0, 0, 0] },
        { ...rec(5, 7, 20), extra: [1, 0, 0, 0, 8, 0, 4, 0] },
      ],
    ),
    'snaplen 0 means the maximum': pcap({ le: true, snaplen: 0 }, [rec(1, 1, 70_000)]),
    'snaplen above INT_MAX means the maximum': pcap({ le: true, snaplen: 0x8000_0000 }, [
      rec(1, 1, 1000),
    ]),
    'D-Bus allows records beyond 262144 bytes': pcap({ le: true, snaplen: 0, linkType: 231 }, [
      rec(1, 1, 300_000),
    ]),
    'caplen above a small snaplen: cut, the rest skipped': pcap({ le: true, snaplen: 20 }, [
      rec(1, 1, 64),
      rec(1, 2, 10),
    ]),
  };
  describe.skipIf(!hasTcpdump)('compared with tcpdump', () => {
    for (const [name, bytes] of Object.entries(cases)) {
      test(name, () => {
        const s = scratch();
        try {
          const file = s.file('crafted.pcap', bytes);
          for (const precision of ['micro', 'nano'] as const) {
            const theirs = libpcapRecords(file, precision);
            expect(theirs.status).toBe(0);
            const ours = mustRead(bytes, precision);
            expect(ours.error).toBeUndefined();
            expect(ours.records.map(short)).toEqual(
              theirs.records.map((t) => [t.sec, t.frac, t.caplen, t.len]),
            );
          }
          const header = tcpdumpHeader(run('tcpdump', ['-n', '-r', file]).stderr);
          expect(mustRead(bytes).snaplen).toBe(header?.snaplen);
        } finally {
          s.done();
        }
      });
    }
  });

  test('the Kuznetsov file: data after the 24-byte header, snaplen grown by 14', () => {
    const r = mustRead(cases["Kuznetsov's patched records (24-byte headers, snaplen + 14)"]!);
    expect(r.snaplen).toBe(64);
    expect([...r.records[0]!.data]).toEqual(frame(64));
    expect([...r.records[1]!.data]).toEqual(frame(20));
  });

  test("version 2.2: the lengths come out in today's order", () => {
    const r = mustRead(cases['version 2.2: captured and original length swapped']!);
    expect([r.records[0]!.data.length, r.records[0]!.origLen]).toEqual([60, 100]);
  });
});
