/**
 * Writers: what they write reads back the same, and the real tools accept it —
 * tshark finds nothing malformed and no bad checksum, shows the interface names,
 * and tcpdump prints one line per packet (as `-i any` does for SLL2 files).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  LINUX_SLL_BROADCAST,
  LINUX_SLL_HOST,
  LINUX_SLL_OUTGOING,
  sll2Record,
} from '../../src/capture/linktypes.js';
import {
  type CaptureInterface,
  type CaptureReadResult,
  PcapngWriter,
  PcapWriter,
  readCapture,
  writePcap,
  writePcapng,
} from '../../src/capture/pcap.js';
import {
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL2,
  type TsPrecision,
} from '../../src/capture/record.js';
import { TRACES_DIR } from '../shared.js';
import { hasTcpdump, hasTshark, run, scratch, tsharkFields } from './files-oracle.js';

const TRACES = TRACES_DIR;

function mustRead(bytes: Uint8Array, precision: TsPrecision = 'micro'): CaptureReadResult {
  const r = readCapture(bytes, { precision });
  if (!('records' in r)) throw new Error(`open failure: ${r.error.message}`);
  return r;
}

function traceRecords(name: string, precision: TsPrecision = 'micro'): readonly CaptureRecord[] {
  return mustRead(readFileSync(`${TRACES}/${name}/capture.pcap`), precision).records;
}

/** Real packets: TCP handshake and close, ARP, and an ICMP port unreachable. */
const TCP = traceRecords('normal-handshake/nc');
const ICMP = traceRecords('reject-icmp/nc');
const DATA = traceRecords('data-exchange/nc');

function essentials(r: CaptureRecord): unknown[] {
  return [r.sec, r.frac, r.precision, r.origLen, [...r.data], r.linkType, r.ifIndex];
}

describe('round trips: write → read gives the same records', () => {
  for (const precision of ['micro', 'nano'] as const) {
    for (const littleEndian of [true, false]) {
      test(`classic pcap, ${precision}, ${littleEndian ? 'little' : 'big'}-endian`, () => {
        const records = traceRecords('data-exchange/nc', precision);
        const bytes = writePcap(records, { linkType: LINKTYPE_ETHERNET, precision, littleEndian });
        const back = mustRead(bytes, precision);
        expect(back.format).toBe('pcap');
        expect(back.linkType).toBe(LINKTYPE_ETHERNET);
        expect(back.snaplen).toBe(262144);
        expect(back.error).toBeUndefined();
        expect(back.records.map(essentials)).toEqual(records.map(essentials));
      });

      test(`pcapng with three named interfaces, ${precision}, ${littleEndian ? 'little' : 'big'}-endian`, () => {
        const interfaces: CaptureInterface[] = [
          { linkType: LINKTYPE_ETHERNET, snaplen: 262144, name: 'client:eth0' },
          { linkType: LINKTYPE_ETHERNET, snaplen: 262144, name: 'server:eth0', description: 'web' },
          { linkType: LINKTYPE_LINUX_SLL2, snaplen: 65535, name: 'any' },
        ];
        const records = traceRecords('data-exchange/nc', precision).map((r, i) => ({
          ...r,
          ifIndex: i % 2,
        }));
        const bytes = writePcapng(interfaces, records, { precision, littleEndian });
        const back = mustRead(bytes, precision);
        expect(back.format).toBe('pcapng');
        expect(back.interfaces).toEqual(interfaces);
        expect(back.records.map(essentials)).toEqual(records.map(essentials));
      });
    }
  }

  test('a record in the other precision is converted on write', () => {
    const micro = { sec: 10, frac: 123_456, precision: 'micro' as const, data: new Uint8Array(4) };
    const nano = {
      sec: 10,
      frac: 123_456_789,
      precision: 'nano' as const,
      data: new Uint8Array(4),
    };
    const asNano = mustRead(writePcap([micro], { linkType: 1, precision: 'nano' }), 'nano');
    expect(asNano.records[0]!.frac).toBe(123_456_000);
    const asMicro = mustRead(writePcapng([{ linkType: 1, snaplen: 0 }], [nano]));
    expect(asMicro.records[0]!.frac).toBe(123_456);
  });

  test('a packet longer than the snaplen is cut to it, its original length kept', () => {
    const rec = { sec: 1, frac: 0, data: new Uint8Array(100).fill(7) };
    for (const bytes of [
      writePcap([rec], { linkType: 1, snaplen: 64 }),
      writePcapng([{ linkType: 1, snaplen: 64 }], [rec]),
    ]) {
      const back = mustRead(bytes).records[0]!;
      expect(back.data).toEqual(new Uint8Array(64).fill(7));
      expect(back.origLen).toBe(100);
    }
  });

  test("records far larger than the writers' first buffer survive, byte for byte", () => {
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff);
    const recs = [1, 2, 3].map((sec) => ({ sec, frac: sec, data: big.subarray(sec) }));
    for (const bytes of [
      writePcap(recs, { linkType: 1 }),
      writePcapng([{ linkType: 1, snaplen: 0, name: 'x'.repeat(5000) }], recs),
    ]) {
      const back = mustRead(bytes);
      expect(back.records.map((r) => [r.sec, r.frac, r.origLen])).toEqual(
        recs.map((r) => [r.sec, r.frac, r.data.length]),
      );
      back.records.forEach((r, i) => {
        expect(r.data).toEqual(recs[i]!.data);
      });
    }
  });

  test('property: any records survive classic pcap and pcapng', () => {
    const record = fc.record({
      sec: fc.integer({ min: 0, max: 0xffff_ffff }),
      frac: fc.integer({ min: 0, max: 999_999_999 }),
      data: fc.uint8Array({ maxLength: 300 }),
      extra: fc.integer({ min: 0, max: 2000 }),
      ifIndex: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.boolean(), (recs, le) => {
        const records = recs.map((r) => ({
          sec: r.sec,
          frac: r.frac,
          precision: 'nano' as const,
          data: r.data,
          origLen: r.data.length + r.extra,
          ifIndex: r.ifIndex,
        }));
        const pcap = mustRead(
          writePcap(records, { linkType: 1, precision: 'nano', littleEndian: le }),
          'nano',
        );
        expect(pcap.records.map((r) => [r.sec, r.frac, [...r.data], r.origLen])).toEqual(
          records.map((r) => [r.sec, r.frac, [...r.data], r.origLen]),
        );
        const ifaces = [0, 1, 2].map((i) => ({ linkType: 1, snaplen: 0, name: `h${i}:eth0` }));
        const ng = mustRead(
          writePcapng(ifaces, records, { precision: 'nano', littleEndian: le }),
          'nano',
        );
        expect(ng.records.map((r) => [r.sec, r.frac, [...r.data], r.origLen, r.ifIndex])).toEqual(
          records.map((r) => [r.sec, r.frac, [...r.data], r.origLen, r.ifIndex]),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('incremental writers', () => {
  test('PcapWriter: flushed chunks concatenate to the one-shot file', () => {
    const whole = writePcap(DATA, { linkType: 1 });
    const w = new PcapWriter({ linkType: 1 });
    const chunks: Uint8Array[] = [w.flush()];
    expect(chunks[0]!.length).toBe(24);
    for (const r of DATA) {
      w.append(r);
      chunks.push(w.flush());
    }
    chunks.push(w.finish());
    expect(w.records).toBe(DATA.length);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(whole));
  });

  test('PcapngWriter: interfaces added on the way, chunks concatenate to a readable file', () => {
    const w = new PcapngWriter();
    const chunks: Uint8Array[] = [];
    const a = w.addInterface({ linkType: 1, snaplen: 262144, name: 'client:eth0' });
    w.append({ ...TCP[0]!, ifIndex: a });
    chunks.push(w.flush());
    const b = w.addInterface({ linkType: 1, snaplen: 262144, name: 'server:eth0' });
    w.append({ ...TCP[1]!, ifIndex: b });
    chunks.push(w.finish());
    const back = mustRead(Buffer.concat(chunks));
    expect(back.interfaces.map((i) => i.name)).toEqual(['client:eth0', 'server:eth0']);
    expect(back.records.map((r) => r.ifIndex)).toEqual([0, 1]);
    expect(() => w.append(TCP[2]!)).toThrow();
  });

  test('PcapngWriter refuses a record for an interface it has not described', () => {
    const w = new PcapngWriter([{ linkType: 1, snaplen: 0 }]);
    expect(() => w.append({ sec: 0, frac: 0, data: new Uint8Array(1), ifIndex: 1 })).toThrow(
      RangeError,
    );
  });
});

/** tshark: any malformed packet, error, or checksum problem, one line per frame. */
function tsharkProblems(file: string): string[] {
  return tsharkFields(
    file,
    ['frame.number', '_ws.expert.message'],
    [
      '-o',
      'tcp.check_checksum:TRUE',
      '-o',
      'ip.check_checksum:TRUE',
      '-Y',
      '_ws.malformed || _ws.expert.severity >= error || _ws.expert.group == "Checksum"',
    ],
  ).map((row) => row.join(' '));
}

/** The lab's view: one interface per host NIC, every packet seen by both ends. */
function labCapture(precision: TsPrecision): {
  interfaces: CaptureInterface[];
  records: CaptureRecord[];
} {
  const interfaces: CaptureInterface[] = [
    { linkType: LINKTYPE_ETHERNET, snaplen: 262144, name: 'client:eth0' },
    { linkType: LINKTYPE_ETHERNET, snaplen: 262144, name: 'server:eth0' },
    { linkType: LINKTYPE_ETHERNET, snaplen: 262144, name: 'router:eth1' },
  ];
  const records: CaptureRecord[] = [];
  for (const r of traceRecords('normal-handshake/nc', precision)) {
    records.push({ ...r, ifIndex: 0 }, { ...r, ifIndex: 1 });
  }
  for (const r of traceRecords('reject-icmp/nc', precision)) records.push({ ...r, ifIndex: 2 });
  return { interfaces, records };
}

if (!hasTshark) console.warn('tshark not installed: skipping the tshark checks of written files');
describe.skipIf(!hasTshark)('tshark accepts the written files', () => {
  test('the check finds nothing in the real traces, and finds a corrupted checksum', () => {
    // The check can fail: it is silent on good captures, loud on a bad checksum.
    const dir = scratch();
    try {
      expect(tsharkProblems(`${TRACES}/reject-icmp/nc/capture.pcap`)).toEqual([]);
      expect(tsharkProblems(`${TRACES}/data-exchange/nc/capture.pcap`)).toEqual([]);
      const bad = ICMP.map((r) => ({ ...r, data: Uint8Array.from(r.data) }));
      // Third frame: the SYN; flip a byte of its TCP checksum (14 + 20 + 16).
      bad[2]!.data[14 + 20 + 16]! ^= 0xff;
      // Fourth frame: the ICMP error; flip a byte of the ICMP checksum (14 + 20 + 2).
      bad[3]!.data[14 + 20 + 2]! ^= 0xff;
      const problems = tsharkProblems(dir.file('bad.pcap', writePcap(bad, { linkType: 1 })));
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^3 .*Bad checksum/);
      expect(problems[1]).toMatch(/^4 .*Bad checksum/);
    } finally {
      dir.done();
    }
  });

  for (const precision of ['micro', 'nano'] as const) {
    test(`classic pcap (${precision}): TCP, ARP, ICMP frames, no problems, same times`, () => {
      const dir = scratch();
      try {
        const records = [...TCP, ...ICMP, ...DATA].map((r) =>
          precision === 'nano' ? { ...r, frac: r.frac * 1000, precision } : r,
        );
        const file = dir.file('w.pcap', writePcap(records, { linkType: 1, precision }));
        expect(tsharkProblems(file)).toEqual([]);
        const rows = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.protocols']);
        expect(rows).toHaveLength(records.length);
        rows.forEach(([epoch, len], i) => {
          const r = records[i]!;
          const digits = precision === 'nano' ? 9 : 6;
          expect(epoch).toBe(`${r.sec}.${String(r.frac).padStart(digits, '0').padEnd(9, '0')}`);
          expect(Number(len)).toBe(r.origLen);
        });
        const protocols = rows.map((r) => r[2]!);
        expect(protocols.some((p) => p.includes(':arp'))).toBe(true);
        expect(protocols.some((p) => p.includes(':icmp'))).toBe(true);
        expect(protocols.some((p) => p.includes(':tcp'))).toBe(true);
      } finally {
        dir.done();
      }
    });
  }

  test('pcapng with three named interfaces: no problems, tshark shows each name', () => {
    const dir = scratch();
    try {
      const { interfaces, records } = labCapture('nano');
      const file = dir.file('lab.pcapng', writePcapng(interfaces, records, { precision: 'nano' }));
      expect(tsharkProblems(file)).toEqual([]);
      const rows = tsharkFields(file, ['frame.interface_id', 'frame.interface_name']);
      expect(rows).toEqual(records.map((r) => [String(r.ifIndex), interfaces[r.ifIndex]!.name!]));
    } finally {
      dir.done();
    }
  });
});

if (!hasTcpdump)
  console.warn('tcpdump not installed: skipping the tcpdump checks of written files');
describe.skipIf(!hasTcpdump)('tcpdump reads the written files', () => {
  /** tcpdump -n -r on the original trace, minus the timestamps. */
  function linesOf(
    file: string,
    args: string[] = [],
  ): { lines: string[]; stderr: string; status: number | null } {
    const r = run('tcpdump', ['-n', ...args, '-r', file]);
    return {
      lines: r.stdout.split('\n').filter((l) => l !== ''),
      stderr: r.stderr,
      status: r.status,
    };
  }

  test('classic pcap micro and nano print as the original trace does', () => {
    const dir = scratch();
    try {
      const orig = linesOf(`${TRACES}/data-exchange/nc/capture.pcap`, ['-tt']);
      const micro = dir.file('m.pcap', writePcap(DATA, { linkType: 1 }));
      const got = linesOf(micro, ['-tt']);
      expect(got.status).toBe(0);
      expect(got.lines).toEqual(orig.lines);
      const nanoRecs = traceRecords('data-exchange/nc', 'nano');
      const nano = dir.file('n.pcap', writePcap(nanoRecs, { linkType: 1, precision: 'nano' }));
      const gotNano = linesOf(nano, ['-tt']);
      expect(gotNano.status).toBe(0);
      expect(gotNano.stderr).toContain('link-type EN10MB (Ethernet), snapshot length 262144');
      expect(gotNano.lines).toEqual(orig.lines);
    } finally {
      dir.done();
    }
  });

  test('pcapng with three named interfaces: exit 0, one line per packet', () => {
    const dir = scratch();
    try {
      const { interfaces, records } = labCapture('micro');
      const file = dir.file('lab.pcapng', writePcapng(interfaces, records));
      const got = linesOf(file, ['-tt']);
      expect(got.status).toBe(0);
      expect(got.lines).toHaveLength(records.length);
      const tcpLines = linesOf(`${TRACES}/normal-handshake/nc/capture.pcap`, ['-tt']).lines;
      expect(got.lines.slice(0, 2)).toEqual([tcpLines[0], tcpLines[0]]);
    } finally {
      dir.done();
    }
  });

  test('an SLL2 file prints like `tcpdump -i any`: "lo    In  IP …", "lo    Out IP …"', () => {
    const dir = scratch();
    try {
      const CLIENT_MAC = '02:00:00:00:00:21';
      const mac = (d: Uint8Array, at: number): string =>
        [...d.subarray(at, at + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      const source = [...TCP, ...ICMP];
      const wrapped = source.map((r) => {
        // Seen on the client: its own frames are outgoing, broadcasts are "B".
        const packetType =
          mac(r.data, 6) === CLIENT_MAC
            ? LINUX_SLL_OUTGOING
            : mac(r.data, 0) === 'ff:ff:ff:ff:ff:ff'
              ? LINUX_SLL_BROADCAST
              : LINUX_SLL_HOST;
        const rec = sll2Record({
          ...r,
          kind: 'ethernet',
          bytes: r.data,
          interfaceIndex: 1,
          packetType,
        });
        if (!rec.ok) throw new Error(rec.error.reason);
        return { rec: rec.value, packetType };
      });
      const records = wrapped.map((w) => w.rec);
      for (const [name, bytes] of [
        ['any.pcap', writePcap(records, { linkType: LINKTYPE_LINUX_SLL2 })],
        [
          'any.pcapng',
          writePcapng([{ linkType: LINKTYPE_LINUX_SLL2, snaplen: 262144, name: 'any' }], records),
        ],
      ] as const) {
        const file = dir.file(name, bytes);
        const got = linesOf(file, ['-tt']);
        expect(got.status).toBe(0);
        expect(got.stderr).toContain('link-type LINUX_SLL2 (Linux cooked v2)');
        // lo is interface 1 on any Linux machine, so tcpdump names it.
        const orig = [
          ...linesOf(`${TRACES}/normal-handshake/nc/capture.pcap`, ['-tt']).lines,
          ...linesOf(`${TRACES}/reject-icmp/nc/capture.pcap`, ['-tt']).lines,
        ];
        const dir3 = ['In', 'B', '', '', 'Out'];
        const expected = orig.map((line, i) => {
          const sp = line.indexOf(' ');
          const ts = line.slice(0, sp);
          const rest = line.slice(sp + 1);
          return `${ts} lo    ${dir3[wrapped[i]!.packetType]!.padEnd(3)} ${rest}`;
        });
        expect(got.lines).toEqual(expected);
      }
      if (hasTshark) {
        const file = dir.file('any2.pcap', writePcap(records, { linkType: LINKTYPE_LINUX_SLL2 }));
        expect(tsharkProblems(file)).toEqual([]);
      }
    } finally {
      dir.done();
    }
  });
});
