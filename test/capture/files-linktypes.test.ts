/**
 * Link types: tcpdump's names for them, and the Linux cooked headers (SLL, SLL2)
 * as real captures hold them.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  emitSll,
  emitSll2,
  LINUX_SLL_BROADCAST,
  LINUX_SLL_HOST,
  LINUX_SLL_MULTICAST,
  LINUX_SLL_OTHERHOST,
  LINUX_SLL_OUTGOING,
  linkTypeName,
  linkTypeShortName,
  parseSll,
  parseSll2,
  SLL_HDR_LEN,
  SLL2_HDR_LEN,
  sll2Record,
  sllPacketTypeName,
  wrapEthernetInSll2,
  wrapIpv4InSll2,
} from '../../src/capture/linktypes.js';
import { type CaptureReadResult, readCapture, writePcap } from '../../src/capture/pcap.js';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../../src/capture/record.js';
import { TCPDUMP_PCAP_DIR, TRACES_DIR } from '../shared.js';
import { conformanceFiles, hasTcpdump, run, scratch, tcpdumpHeader } from './files-oracle.js';

const DIR = TCPDUMP_PCAP_DIR;

function mustRead(path: string): CaptureReadResult {
  const r = readCapture(new Uint8Array(readFileSync(path)));
  if (!('records' in r)) throw new Error(r.error.message);
  return r;
}

describe('linkTypeName', () => {
  test('the types tcplab meets', () => {
    expect(linkTypeName(1)).toBe('EN10MB (Ethernet)');
    expect(linkTypeName(101)).toBe('RAW (Raw IP)');
    expect(linkTypeName(113)).toBe('LINUX_SLL (Linux cooked v1)');
    expect(linkTypeName(228)).toBe('IPV4 (Raw IPv4)');
    expect(linkTypeName(276)).toBe('LINUX_SLL2 (Linux cooked v2)');
    expect(linkTypeShortName(276)).toBe('LINUX_SLL2');
  });

  test('a type libpcap has no name for is printed as its number', () => {
    expect(linkTypeName(2)).toBe('2');
    expect(linkTypeName(0x03ff_ffff)).toBe(String(0x03ff_ffff));
    expect(linkTypeShortName(2)).toBeUndefined();
  });

  if (!hasTcpdump) console.warn('tcpdump not installed: skipping the link-type name comparison');
  test.skipIf(!hasTcpdump)(
    'equals what tcpdump prints for every type 0-299 and a few beyond',
    () => {
      const dir = scratch();
      try {
        const types = [...Array.from({ length: 300 }, (_, i) => i), 65535, 65536, 0x03ff_ffff];
        for (const lt of types) {
          const file = dir.file('lt.pcap', writePcap([], { linkType: lt }));
          const header = tcpdumpHeader(run('tcpdump', ['-r', file]).stderr);
          expect(linkTypeName(lt), `link type ${lt}`).toBe(header?.linkType);
        }
      } finally {
        dir.done();
      }
    },
  );

  test.skipIf(!hasTcpdump)('equals what tcpdump prints for every conformance file', () => {
    for (const file of conformanceFiles()) {
      const header = tcpdumpHeader(run('tcpdump', ['-n', '-r', file]).stderr);
      expect(linkTypeName(mustRead(file).linkType), file).toBe(header?.linkType);
    }
  });
});

describe('SLL (LINKTYPE_LINUX_SLL)', () => {
  const records = mustRead(`${DIR}/mptcp-v1.pcap`).records;

  test('the file is SLL, and a header parses field by field', () => {
    expect(records[0]!.linkType).toBe(LINKTYPE_LINUX_SLL);
    const d = records[0]!.data;
    const p = parseSll(d);
    if (!p.ok) throw new Error(p.error.reason);
    expect(p.value.packetType).toBe((d[0]! << 8) | d[1]!);
    expect(p.value.arphrdType).toBe(ARPHRD_ETHER);
    expect(p.value.addressLength).toBe(6);
    expect([...p.value.address.subarray(0, 6)]).toEqual([0x32, 0x32, 0x87, 0xaa, 0x04, 0x02]);
    expect(p.value.protocol).toBe(0x0800);
    expect(p.value.payload[0]! >> 4).toBe(4);
    expect(p.value.payload.length).toBe(d.length - SLL_HDR_LEN);
  });

  test('emit(parse(x)) is x for every record', () => {
    for (const r of records) {
      const p = parseSll(r.data);
      if (!p.ok) throw new Error(p.error.reason);
      expect(emitSll(p.value)).toEqual(Uint8Array.from(r.data));
    }
  });

  test('every length shorter than the header is an error at offset 0', () => {
    const d = records[0]!.data;
    for (let n = 0; n < SLL_HDR_LEN; n++) {
      const p = parseSll(d.subarray(0, n));
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.error).toMatchObject({ layer: 'sll', offset: 0 });
    }
  });
});

describe('SLL2 (LINKTYPE_LINUX_SLL2)', () => {
  const records = mustRead(`${DIR}/local-sll2-lo.pcap`).records;

  test('a loopback header from `tcpdump -i any`, field by field', () => {
    expect(records[0]!.linkType).toBe(LINKTYPE_LINUX_SLL2);
    const p = parseSll2(records[0]!.data);
    if (!p.ok) throw new Error(p.error.reason);
    expect(p.value).toMatchObject({
      protocol: 0x0800,
      reserved: 0,
      interfaceIndex: 1,
      arphrdType: ARPHRD_LOOPBACK,
      packetType: LINUX_SLL_HOST,
      addressLength: 6,
    });
    expect([...p.value.address]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('emit(parse(x)) is x for every record', () => {
    for (const r of records) {
      const p = parseSll2(r.data);
      if (!p.ok) throw new Error(p.error.reason);
      expect(emitSll2(p.value)).toEqual(Uint8Array.from(r.data));
    }
  });

  test('wrapIpv4InSll2 rebuilds the loopback records tcpdump -i any wrote', () => {
    for (const r of records) {
      const p = parseSll2(r.data);
      if (!p.ok) throw new Error(p.error.reason);
      const again = wrapIpv4InSll2(p.value.payload, {
        interfaceIndex: p.value.interfaceIndex,
        packetType: p.value.packetType,
      });
      expect(again).toEqual(Uint8Array.from(r.data));
    }
  });

  test('every length shorter than the header is an error at offset 0', () => {
    const d = records[0]!.data;
    for (let n = 0; n < SLL2_HDR_LEN; n++) {
      const p = parseSll2(d.subarray(0, n));
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.error).toMatchObject({ layer: 'sll2', offset: 0 });
    }
  });

  test('property: emit then parse gives the fields back', () => {
    fc.assert(
      fc.property(
        fc.record({
          protocol: fc.integer({ min: 0, max: 0xffff }),
          interfaceIndex: fc.integer({ min: 0, max: 0xffff_ffff }),
          arphrdType: fc.integer({ min: 0, max: 0xffff }),
          packetType: fc.integer({ min: 0, max: 0xff }),
          addressLength: fc.integer({ min: 0, max: 0xff }),
          address: fc.uint8Array({ minLength: 8, maxLength: 8 }),
          payload: fc.uint8Array({ maxLength: 64 }),
        }),
        (f) => {
          const p = parseSll2(emitSll2(f));
          if (!p.ok) throw new Error(p.error.reason);
          expect({
            ...p.value,
            address: [...p.value.address],
            payload: [...p.value.payload],
          }).toEqual({
            ...f,
            reserved: 0,
            address: [...f.address],
            payload: [...f.payload],
          });
        },
      ),
    );
  });
});

describe('wrapping an Ethernet frame as `tcpdump -i any` does', () => {
  // A real ARP request from the Linux traces (client 02:00:00:00:00:21 asks for .22).
  const trace = mustRead(join(TRACES_DIR, 'normal-handshake/nc/capture.pcap'));
  const arp = trace.records[0]!.data;

  test('ARP: type 0x0806, the source MAC as address, the payload after 14 bytes', () => {
    const w = wrapEthernetInSll2(arp, { interfaceIndex: 4, packetType: LINUX_SLL_OUTGOING });
    if (!w.ok) throw new Error(w.error.reason);
    const p = parseSll2(w.value);
    if (!p.ok) throw new Error(p.error.reason);
    expect(p.value).toMatchObject({
      protocol: 0x0806,
      interfaceIndex: 4,
      arphrdType: ARPHRD_ETHER,
      packetType: LINUX_SLL_OUTGOING,
      addressLength: 6,
    });
    expect([...p.value.address]).toEqual([...arp.subarray(6, 12), 0, 0]);
    expect([...p.value.payload]).toEqual([...arp.subarray(14)]);
  });

  test('an 802.3 length field becomes ETH_P_802_2, or ETH_P_802_3 for a raw 0xFFFF frame', () => {
    const frame = Uint8Array.from(arp);
    frame[12] = 0;
    frame[13] = 28;
    const llc = wrapEthernetInSll2(frame, { interfaceIndex: 1, packetType: 0 });
    expect(llc.ok && parseSll2(llc.value).ok && (llc.value[0]! << 8) | llc.value[1]!).toBe(0x0004);
    frame[14] = 0xff;
    frame[15] = 0xff;
    const raw = wrapEthernetInSll2(frame, { interfaceIndex: 1, packetType: 0 });
    expect(raw.ok && (raw.value[0]! << 8) | raw.value[1]!).toBe(0x0001);
  });

  test('a frame shorter than an Ethernet header is an error', () => {
    for (let n = 0; n < 14; n++) {
      const w = wrapEthernetInSll2(arp.subarray(0, n), { interfaceIndex: 1, packetType: 0 });
      expect(w.ok).toBe(false);
      const r = sll2Record({
        sec: 0,
        frac: 0,
        precision: 'micro',
        kind: 'ethernet',
        bytes: arp.subarray(0, n),
        interfaceIndex: 1,
        packetType: 0,
      });
      expect(r.ok).toBe(false);
    }
  });

  test('sll2Record: a LINUX_SLL2 record of the whole wrapped packet', () => {
    const r = sll2Record({
      sec: 5,
      frac: 6,
      precision: 'nano',
      kind: 'ethernet',
      bytes: arp,
      interfaceIndex: 2,
      packetType: LINUX_SLL_BROADCAST,
    });
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.value).toMatchObject({ sec: 5, frac: 6, precision: 'nano', linkType: 276 });
    expect(r.value.data.length).toBe(arp.length - 14 + SLL2_HDR_LEN);
    expect(r.value.origLen).toBe(r.value.data.length);
  });
});

test('packet-type names as tcpdump prints them (print-sll.c)', () => {
  expect(
    [
      LINUX_SLL_HOST,
      LINUX_SLL_BROADCAST,
      LINUX_SLL_MULTICAST,
      LINUX_SLL_OTHERHOST,
      LINUX_SLL_OUTGOING,
      9,
    ].map(sllPacketTypeName),
  ).toEqual(['In', 'B', 'M', 'P', 'Out', '?']);
});
