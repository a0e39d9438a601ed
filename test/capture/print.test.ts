/**
 * The tcpdump printer's rules one at a time: timestamps, the packet counter,
 * record-header checks, relative sequence numbers, name resolution, link
 * headers, dumps, and that no input makes it throw. Expected texts are what
 * tcpdump 4.99.3 prints for the same bytes (checked with the binary).
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  defaultTcpdumpOptions,
  type TcpdumpOptions,
  TcpdumpPrinter,
} from '../../src/capture/print/index.js';
import {
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
} from '../../src/capture/record.js';
import { ascii, concat, ether, icmp, ipv4, tcp, udp } from './print-frames.js';

const BASE: TcpdumpOptions = { ...defaultTcpdumpOptions(), numeric: 1 };

function record(
  data: Uint8Array,
  sec = 1_700_000_000,
  frac = 0,
  origLen = data.length,
): CaptureRecord {
  return { sec, frac, precision: 'micro', origLen, data, linkType: LINKTYPE_ETHERNET, ifIndex: 0 };
}

const A = 0xc0a80015; // 192.168.0.21
const B = 0xc0a80016; // 192.168.0.22
const IP = {
  tos: 0,
  ttl: 64,
  id: 1,
  fragField: 0x4000,
  options: new Uint8Array(0),
  badChecksum: false,
};

function tcpFrame(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array = new Uint8Array(0),
  options: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const seg = tcp(
    { sport, dport, seq, ack, flags, win: 502, urp: 0, options, payload, badChecksum: false },
    src,
    dst,
  );
  return ether(0x0800, ipv4({ ...IP, src, dst, proto: 6 }, seg));
}

/** Prints frames with the timestamp turned off and returns the lines. */
function lines(
  options: Partial<TcpdumpOptions>,
  frames: Uint8Array[],
  linkType = LINKTYPE_ETHERNET,
): string[] {
  const p = new TcpdumpPrinter({ ...BASE, timestamps: 1, ...options }, linkType);
  return frames.map((f) => p.format(record(f)).replace(/\n$/, ''));
}

describe('timestamps (util-print.c ts_print)', () => {
  const frame = ether(0x9999, new Uint8Array(0));
  const stamp = (options: Partial<TcpdumpOptions>, ...recs: [number, number][]) => {
    const p = new TcpdumpPrinter({ ...BASE, ...options }, LINKTYPE_ETHERNET);
    return recs.map(([s, f]) => p.format(record(frame, s, f)).split(' ')[0]);
  };

  test('default: HH:MM:SS.micro in UTC, or shifted by the local offset', () => {
    expect(stamp({}, [1_700_000_000, 5])).toEqual(['22:13:20.000005']);
    expect(stamp({ tzOffsetSeconds: () => 2 * 3600 }, [1_700_000_000, 5])).toEqual([
      '00:13:20.000005',
    ]);
    expect(stamp({ tzOffsetSeconds: () => -11 * 3600 }, [1_700_000_000, 5])).toEqual([
      '11:13:20.000005',
    ]);
  });

  test('-tttt: the date changes with the local day, not the cached second', () => {
    const p = new TcpdumpPrinter(
      { ...BASE, timestamps: 4, tzOffsetSeconds: () => 3600 },
      LINKTYPE_ETHERNET,
    );
    const out = [82_799, 82_800, 82_800, 1_700_000_000].map((s) => p.format(record(frame, s, 1)));
    expect(out.map((l) => l.slice(0, 26))).toEqual([
      '1970-01-01 23:59:59.000001',
      '1970-01-02 00:00:00.000001',
      '1970-01-02 00:00:00.000001',
      '2023-11-14 23:13:20.000001',
    ]);
  });

  test('-t prints none, -tt seconds since the epoch', () => {
    expect(lines({ timestamps: 1 }, [frame])[0]).toMatch(/^02:00:00:00:00:21 > /);
    expect(stamp({ timestamps: 2 }, [1_700_000_000, 42])).toEqual(['1700000000.000042']);
  });

  test('-ttt: delta from the previous packet, negative ones marked with -', () => {
    const p = new TcpdumpPrinter({ ...BASE, timestamps: 3 }, LINKTYPE_ETHERNET);
    const t = [
      [100, 5],
      [99, 999_999],
      [101, 0],
    ].map(([s, f]) => p.format(record(frame, s!, f!)).slice(0, 17));
    expect(t).toEqual([' 00:00:00.000000 ', '-00:00:00.000006 ', ' 00:00:01.000001 ']);
  });

  test('-ttttt: delta from the first packet; a fraction over a second borrows once', () => {
    const p = new TcpdumpPrinter({ ...BASE, timestamps: 5 }, LINKTYPE_ETHERNET);
    const t = [
      [100, 5],
      [101, 6],
      [50, 2_000_000],
    ].map(([s, f]) => /^[ -]\S+/.exec(p.format(record(frame, s!, f!)))?.[0]);
    // (100, 5) - (50, 2000000) = (50, -1999995) → one borrow → (49, -999995),
    // printed as the unsigned 32-bit 4293967301 (tcpdump 4.99.3 does this).
    expect(t).toEqual([' 00:00:00.000000', ' 00:00:01.000001', '-00:00:49.4293967301']);
  });

  test('fractions of a second or more are printed verbatim; bit 31 of the second is an error', () => {
    expect(stamp({}, [0x7fff_ffff, 1_000_000])).toEqual(['03:14:07.1000000']);
    expect(stamp({ timestamps: 2 }, [0x8000_0000, 3])[0]).toBe('[Error');
    expect(stamp({}, [0xffff_ffff, 0])[0]).toBe('[Error');
  });

  test('a record in the other precision is scaled as libpcap scales it', () => {
    const nano = { ...record(frame, 1_700_000_000, 123_456_789), precision: 'nano' as const };
    expect(new TcpdumpPrinter(BASE, LINKTYPE_ETHERNET).format(nano).slice(0, 15)).toBe(
      '22:13:20.123456',
    );
    const micro = record(frame, 1_700_000_000, 123_456);
    const p = new TcpdumpPrinter({ ...BASE, precision: 'nano' }, LINKTYPE_ETHERNET);
    expect(p.format(micro).slice(0, 18)).toBe('22:13:20.123456000');
  });

  test('--nano: nine digits', () => {
    const p = new TcpdumpPrinter({ ...BASE, precision: 'nano' }, LINKTYPE_ETHERNET);
    const r = { ...record(frame, 1_700_000_000, 123_456_789), precision: 'nano' as const };
    expect(p.format(r).slice(0, 18)).toBe('22:13:20.123456789');
  });
});

describe('packet counter and record headers (print.c pretty_print_packet)', () => {
  test('-# numbers packets as %5u followed by two spaces', () => {
    const p = new TcpdumpPrinter(
      { ...BASE, packetNumbers: true, timestamps: 1 },
      LINKTYPE_ETHERNET,
    );
    const frame = ether(0x9999, new Uint8Array(0));
    expect(p.format(record(frame)).slice(0, 7)).toBe('    1  ');
    for (let i = 2; i < 100_000; i++) p.format(record(frame));
    expect(p.format(record(frame)).slice(0, 8)).toBe('100000  ');
  });

  test('impossible lengths print an Invalid header note and no timestamp', () => {
    const p = new TcpdumpPrinter({ ...BASE, packetNumbers: true }, LINKTYPE_ETHERNET);
    expect(p.format(record(new Uint8Array(0), 1, 0, 0))).toBe(
      '    1  [Invalid header: caplen==0, len==0]\n',
    );
    expect(p.format(record(new Uint8Array(60), 1, 0, 20))).toBe(
      '    2  [Invalid header: len(20) < caplen(60)]\n',
    );
    expect(p.format(record(new Uint8Array(10), 1, 0, 300_000))).toBe(
      '    3  [Invalid header: len(300000) > 262144]\n',
    );
  });
});

describe('relative sequence numbers (print-tcp.c tcp_seq_hash4)', () => {
  const ISN_A = 0xffff_fff0; // crosses 2^32
  const ISN_B = 1000;
  const handshake = [
    tcpFrame(A, B, 40001, 80, ISN_A, 0, 0x02),
    tcpFrame(B, A, 80, 40001, ISN_B, ISN_A + 1, 0x12),
    tcpFrame(A, B, 40001, 80, ISN_A + 1, ISN_B + 1, 0x10),
    tcpFrame(A, B, 40001, 80, ISN_A + 1, ISN_B + 1, 0x18, ascii('x'.repeat(20))),
    tcpFrame(B, A, 80, 40001, ISN_B + 1, ISN_A + 21, 0x10),
  ];

  test('absolute until an ACK starts the conversation, relative in both directions after', () => {
    expect(lines({}, handshake).map((l) => l.replace(/, win 502.*/, ''))).toEqual([
      'IP 192.168.0.21.40001 > 192.168.0.22.80: Flags [S], seq 4294967280',
      'IP 192.168.0.22.80 > 192.168.0.21.40001: Flags [S.], seq 1000, ack 4294967281',
      'IP 192.168.0.21.40001 > 192.168.0.22.80: Flags [.], ack 1',
      'IP 192.168.0.21.40001 > 192.168.0.22.80: Flags [P.], seq 1:21, ack 1',
      'IP 192.168.0.22.80 > 192.168.0.21.40001: Flags [.], ack 21',
    ]);
  });

  test('-S prints them as they are', () => {
    // seq:seq+length is printed modulo 2^32, as tcpdump's %u of a uint32 sum.
    expect(lines({ absoluteSeq: true }, handshake)[3]).toContain('seq 4294967281:5, ack 1001,');
  });

  test('a new SYN with ACK rewrites the bases of a known conversation', () => {
    const again = tcpFrame(B, A, 80, 40001, 5000, 77, 0x12);
    const after = tcpFrame(A, B, 40001, 80, 77, 5001, 0x10);
    const out = lines({}, [...handshake, again, after]);
    expect(out[5]).toContain('seq 5000, ack 77,');
    expect(out[6]).toContain('Flags [.], ack 1,');
  });

  test('SACK blocks are relative to the peer base', () => {
    const opt = new Uint8Array(12);
    opt.set([1, 1, 5, 10]);
    new DataView(opt.buffer).setUint32(4, ISN_B + 101);
    new DataView(opt.buffer).setUint32(8, ISN_B + 201);
    const f = tcpFrame(A, B, 40001, 80, ISN_A + 21, ISN_B + 1, 0x10, new Uint8Array(0), opt);
    expect(lines({}, [...handshake, f])[5]).toContain('options [nop,nop,sack 1 {101:201}]');
    expect(lines({ absoluteSeq: true }, [...handshake, f])[5]).toContain('sack 1 {1101:1201}');
  });
});

describe('names without -n (addrtoname.c)', () => {
  test('ports from /etc/services, hosts from the hook, MACs with their OUI', () => {
    const f = tcpFrame(A, B, 40001, 80, 1, 0, 0x02);
    const out = lines(
      { numeric: 0, linkHeader: true, hostName: (a) => (a === B ? 'server' : undefined) },
      [f],
    );
    expect(out[0]).toBe(
      '02:00:00:00:00:21 (oui Unknown) > 02:00:00:00:00:22 (oui Unknown), ethertype IPv4 (0x0800), length 54: ' +
        '192.168.0.21.40001 > server.http: Flags [S], seq 1, win 502, length 0',
    );
  });

  test('UDP ports use the udp entries of /etc/services', () => {
    const seg = udp(40053, 123, new Uint8Array(4), A, B, 0);
    const out = lines({ numeric: 0, quiet: true }, [
      ether(0x0800, ipv4({ ...IP, src: A, dst: B, proto: 17 }, seg)),
    ]);
    expect(out[0]).toBe('IP 192.168.0.21.40053 > 192.168.0.22.ntp: UDP, length 4');
  });
});

describe('link layers', () => {
  const ipPacket = tcpFrame(A, B, 40001, 80, 1, 2, 0x10).subarray(14);

  test('Linux cooked v1 with -e: direction, MAC, ethertype', () => {
    const h = Uint8Array.of(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x21, 0, 0, 8, 0);
    expect(lines({ linkHeader: true }, [concat(h, ipPacket)], LINKTYPE_LINUX_SLL)[0]).toBe(
      'Out 02:00:00:00:00:21 ethertype IPv4 (0x0800), length 56: 192.168.0.21.40001 > 192.168.0.22.80: Flags [.], ack 2, win 502, length 0',
    );
  });

  test('Linux cooked v2: the interface name from the hook, `?` when it has none', () => {
    const h = (ifindex: number) =>
      Uint8Array.of(8, 0, 0, 0, 0, 0, 0, ifindex, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x21, 0, 0);
    const out = lines(
      { interfaceName: (i) => (i === 2 ? 'eth0' : undefined) },
      [concat(h(2), ipPacket), concat(h(9), ipPacket)],
      LINKTYPE_LINUX_SLL2,
    );
    expect(out[0]!.slice(0, 13)).toBe('eth0  In  IP ');
    expect(out[1]!.slice(0, 13)).toBe('?     In  IP ');
  });

  test('raw IP: `ip: ` in place of `IP ` with -e', () => {
    expect(lines({ linkHeader: true }, [ipPacket], LINKTYPE_RAW)[0]!.slice(0, 20)).toBe(
      'ip: 192.168.0.21.400',
    );
    expect(lines({}, [ipPacket], LINKTYPE_IPV4)[0]!.slice(0, 6)).toBe('IP 192');
  });

  test('ARP requests and replies', () => {
    const arp = Uint8Array.of(
      0,
      1,
      8,
      0,
      6,
      4,
      0,
      1,
      2,
      0,
      0,
      0,
      0,
      0x21,
      192,
      168,
      0,
      21,
      0,
      0,
      0,
      0,
      0,
      0,
      192,
      168,
      0,
      22,
    );
    expect(lines({}, [ether(0x0806, arp)])[0]).toBe(
      'ARP, Request who-has 192.168.0.22 tell 192.168.0.21, length 28',
    );
    const reply = arp.slice();
    reply[7] = 2;
    expect(lines({ verbose: 1 }, [ether(0x0806, reply)])[0]).toBe(
      'ARP, Ethernet (len 6), IPv4 (len 4), Reply 192.168.0.21 is-at 02:00:00:00:00:21, length 28',
    );
  });
});

describe('ICMP errors quote the offending datagram', () => {
  test('port unreachable names the quoted transport and port; -v decodes the quote', () => {
    const quoted = ipv4(
      { ...IP, src: B, dst: A, proto: 17 },
      udp(40001, 33434, new Uint8Array(0), B, A, 0),
    );
    const msg = icmp(3, 3, new Uint8Array(4), quoted, false);
    const f = ether(0x0800, ipv4({ ...IP, src: A, dst: B, proto: 1 }, msg));
    expect(lines({}, [f])[0]).toBe(
      'IP 192.168.0.21 > 192.168.0.22: ICMP 192.168.0.21 udp port 33434 unreachable, length 36',
    );
    expect(lines({ verbose: 1 }, [f])[0]!.split('\n')).toEqual([
      'IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)',
      '    192.168.0.21 > 192.168.0.22: ICMP 192.168.0.21 udp port 33434 unreachable, length 36',
      '\tIP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 28)',
      '    192.168.0.22.40001 > 192.168.0.21.33434: UDP, length 0',
    ]);
  });
});

describe('dumps (print-ascii.c)', () => {
  const f = tcpFrame(A, B, 40001, 80, 1, 2, 0x18, ascii('GET / HTTP/1.1\r\n'));

  test('-x from the network header, -xx with the link header', () => {
    expect(lines({ hex: 1 }, [f])[0]!.split('\n').slice(1)).toEqual([
      '\t0x0000:  4500 0038 0001 4000 4006 b943 c0a8 0015',
      '\t0x0010:  c0a8 0016 9c41 0050 0000 0001 0000 0002',
      '\t0x0020:  5018 01f6 be1f 0000 4745 5420 2f20 4854',
      '\t0x0030:  5450 2f31 2e31 0d0a',
    ]);
    expect(lines({ hex: 2 }, [f])[0]!.split('\n').slice(1, 3)).toEqual([
      '\t0x0000:  0200 0000 0022 0200 0000 0021 0800 4500',
      '\t0x0010:  0038 0001 4000 4006 b943 c0a8 0015 c0a8',
    ]);
  });

  test('-X adds the ASCII column after the hex padded to 40 characters', () => {
    const x = lines({ hexAscii: 1 }, [f])[0]!.split('\n');
    expect(x.slice(-2)).toEqual([
      '\t0x0020:  5018 01f6 be1f 0000 4745 5420 2f20 4854  P.......GET./.HT',
      '\t0x0030:  5450 2f31 2e31 0d0a                      TP/1.1..',
    ]);
  });

  test('-A: the text, a CR before the last byte dropped, other controls as dots', () => {
    expect(lines({ ascii: 1 }, [f])[0]!.split('\n').slice(1)).toEqual([
      'E..8..@.@..C.........A.P........P.......GET / HTTP/1.1',
      '',
    ]);
  });
});

describe('bad input never throws', () => {
  const linkTypes = [
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    LINKTYPE_IPV4,
    12,
    147,
  ];
  test('random bytes, every link type and flag mix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...linkTypes),
        fc.record({
          verbose: fc.integer({ min: 0, max: 3 }),
          linkHeader: fc.boolean(),
          hex: fc.integer({ min: 0, max: 2 }),
          hexAscii: fc.integer({ min: 0, max: 2 }),
          ascii: fc.integer({ min: 0, max: 2 }),
          quiet: fc.boolean(),
          numeric: fc.integer({ min: 0, max: 2 }),
          timestamps: fc.integer({ min: 0, max: 5 }),
        }),
        fc.array(
          fc.record({
            data: fc.oneof(
              fc.uint8Array({ maxLength: 120 }),
              fc.constant(tcpFrame(A, B, 1, 80, 0, 0, 0x12)),
            ),
            cut: fc.nat(),
            extra: fc.nat({ max: 70_000 }),
            sec: fc.nat(),
            frac: fc.nat(),
          }),
          { maxLength: 8 },
        ),
        (linkType, flags, packets) => {
          const p = new TcpdumpPrinter({ ...BASE, ...flags }, linkType);
          for (const { data, cut, extra, sec, frac } of packets) {
            const d = data.subarray(0, data.length === 0 ? 0 : cut % (data.length + 1));
            const text = p.format(record(d, sec, frac, d.length + extra));
            expect(text.endsWith('\n')).toBe(true);
          }
        },
      ),
      { seed: 7, numRuns: 3000 },
    );
  });
});
