/**
 * The filter compiler on its own: a table of expressions × real packets with
 * the verdict read off each packet by hand, BPF's rules on crafted packets
 * (loads past the captured bytes, fragments, the wire length, VLAN offsets,
 * run-time division by zero), the optimizer's visible effects, tcpdump's
 * error texts, and properties (nothing throws). The expected values here were
 * checked once against tcpdump 4.99.3; filter-tcpdump.test.ts compares with
 * the real tcpdump every run.
 */

import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compileFilter,
  dumpFilter,
  formatProgramC,
  formatProgramDecimal,
} from '../../src/capture/filter/index.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
} from '../../src/capture/record.js';
import { TCPDUMP_PCAP_DIR, TRACES_DIR } from '../shared.js';
import { readRecords } from './filter-support.js';

/** Compiles or fails the test with the message. */
function filterFor(expression: string, linkType = LINKTYPE_ETHERNET) {
  const r = compileFilter(expression, linkType);
  if (!r.ok) throw new Error(`${expression}: ${r.message}`);
  return r.filter;
}

function errorOf(expression: string, linkType = LINKTYPE_ETHERNET): string | undefined {
  const r = compileFilter(expression, linkType);
  return r.ok ? undefined : r.message;
}

// ---- crafted packets ----

const CLIENT = [192, 168, 0, 21];
const SERVER = [192, 168, 0, 22];

/** An IPv4 header (RFC 791), IHL 5, with `frag` as the flags/fragment-offset word. */
function ipv4(src: number[], dst: number[], proto: number, payload: number[], frag = 0): number[] {
  const len = 20 + payload.length;
  return [0x45, 0, len >> 8, len & 255, 0, 1, frag >> 8, frag & 255, 64, proto, 0, 0].concat(
    src,
    dst,
    payload,
  );
}

/** A 20-byte TCP header (RFC 9293 3.1) with these ports and flags. */
function tcp(sport: number, dport: number, flags: number): number[] {
  return [
    sport >> 8,
    sport & 255,
    dport >> 8,
    dport & 255,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0x50,
    flags,
  ].concat([0xff, 0xff, 0, 0, 0, 0]);
}

/** An 8-byte UDP header (RFC 768). */
function udp(sport: number, dport: number): number[] {
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 8, 0, 0];
}

/** An Ethernet II frame from 02:00:00:00:00:21 to 02:00:00:00:00:22. */
function ether(type: number, payload: number[]): Uint8Array {
  return new Uint8Array([
    2,
    0,
    0,
    0,
    0,
    0x22,
    2,
    0,
    0,
    0,
    0,
    0x21,
    type >> 8,
    type & 255,
    ...payload,
  ]);
}

const SYN = ether(0x0800, ipv4(CLIENT, SERVER, 6, tcp(40001, 80, 0x02)));
/** The same segment as the second fragment of a datagram (offset 8 bytes, RFC 791). */
const LATER_FRAGMENT = ether(0x0800, ipv4(CLIENT, SERVER, 6, tcp(40001, 80, 0x02), 0x2001));
/** The first fragment (more-fragments set, offset 0). */
const FIRST_FRAGMENT = ether(0x0800, ipv4(CLIENT, SERVER, 6, tcp(40001, 80, 0x02), 0x2000));
/** An IEEE 802.1Q tag (VLAN 5) before a UDP datagram to port 53. */
const VLAN_UDP = ether(0x8100, [
  0x00,
  0x05,
  0x08,
  0x00,
  ...ipv4(CLIENT, SERVER, 17, udp(12345, 53)),
]);
const BROADCAST_UDP = ether(0x0800, ipv4(CLIENT, [255, 255, 255, 255], 17, udp(68, 67)));

const matches = (expression: string, packet: Uint8Array, origLen = packet.length): boolean =>
  filterFor(expression).matches(packet, origLen);

describe('BPF semantics on crafted packets', () => {
  test('ports are only looked for in first fragments', () => {
    expect(matches('port 80', SYN)).toBe(true);
    expect(matches('port 80', FIRST_FRAGMENT)).toBe(true);
    expect(matches('port 80', LATER_FRAGMENT)).toBe(false);
    // The packet is still TCP and still IPv4.
    expect(matches('tcp', LATER_FRAGMENT)).toBe(true);
    expect(matches('ip[6:2] & 0x1fff != 0', LATER_FRAGMENT)).toBe(true);
    // Transport-header offsets obey the same rule.
    expect(matches('tcp[13] & 2 != 0', SYN)).toBe(true);
    expect(matches('tcp[13] & 2 != 0', LATER_FRAGMENT)).toBe(false);
  });

  test('a load past the captured bytes rejects the packet, whatever else the filter says', () => {
    // The frames are 54 bytes or less: ether[60] is never there.
    expect(matches('ip', SYN)).toBe(true);
    expect(matches('ether[60] = 0 or ip', SYN)).toBe(false);
    // Tested first, ip decides before the load is reached.
    expect(matches('ip or ether[60] = 0', SYN)).toBe(true);
    expect(matches('not tcp[100] = 0', SYN)).toBe(false);
    // Not a TCP packet: the load is never attempted.
    expect(matches('not tcp[100] = 0', BROADCAST_UDP)).toBe(true);
  });

  test('the optimizer drops a load whose outcome cannot change the verdict', () => {
    // Either branch of tcp[100] = 0 leads to "accept" for a TCP packet (optimize.c
    // opt_j), so the load is skipped; with `udp` instead it is not.
    expect(matches('tcp[100] = 0 or tcp', SYN)).toBe(true);
    expect(matches('tcp[100] = 0 or udp', SYN)).toBe(false);
  });

  test('a division by zero at run time rejects the packet', () => {
    const tosZero = BROADCAST_UDP; // ip[1], the TOS byte, is 0
    expect(matches('ip[0] / ip[1] = 1 or udp', tosZero)).toBe(false);
    expect(matches('udp or ip[0] / ip[1] = 1', tosZero)).toBe(true);
  });

  test('len, less and greater use the length on the wire, not the captured length', () => {
    const cut = SYN.subarray(0, 54);
    expect(matches('greater 500', cut, 1000)).toBe(true);
    expect(matches('len > 900', cut, 1000)).toBe(true);
    expect(matches('less 100', cut, 1000)).toBe(false);
    expect(matches('less 54', cut, 54)).toBe(true);
    expect(matches('greater 55', cut, 54)).toBe(false);
  });

  test('vlan moves every later offset past the 802.1Q tag', () => {
    expect(matches('vlan 5 and udp port 53', VLAN_UDP)).toBe(true);
    expect(matches('vlan 6 and udp port 53', VLAN_UDP)).toBe(false);
    // Without `vlan` first, the EtherType is 0x8100, not IPv4.
    expect(matches('udp port 53', VLAN_UDP)).toBe(false);
    expect(matches('vlan and ip', VLAN_UDP)).toBe(true);
  });

  test('ip broadcast: all-ones or all-zeroes destination, as with the netmask 0 of a file', () => {
    expect(matches('ip broadcast', BROADCAST_UDP)).toBe(true);
    expect(matches('ip broadcast', SYN)).toBe(false);
  });

  test('an empty expression accepts everything, even an empty packet', () => {
    const f = filterFor('');
    expect(f.matches(SYN, SYN.length)).toBe(true);
    expect(f.matches(new Uint8Array(0), 0)).toBe(true);
  });
});

// ---- real packets ----

const TRACES = TRACES_DIR;
const CONFORMANCE = TCPDUMP_PCAP_DIR;
const haveCaptures = existsSync(TRACES) && existsSync(CONFORMANCE);
if (!haveCaptures) {
  console.warn(
    'filter.test.ts: ../shared captures are missing; the table of real packets is skipped',
  );
}

/** A packet of a capture, and what it is (as `tcpdump -e` prints it). */
interface Sample {
  readonly name: string;
  readonly file: string;
  readonly index: number;
  readonly linkType: number;
}

const SAMPLES: readonly Sample[] = [
  // 02:00:00:00:00:21 > ff:ff:ff:ff:ff:ff ARP who-has 192.168.0.22 tell 192.168.0.21
  {
    name: 'arp-request',
    file: `${TRACES}/normal-handshake/nc/capture.pcap`,
    index: 0,
    linkType: 1,
  },
  // 02:00:00:00:00:22 > 02:00:00:00:00:21 ARP 192.168.0.22 is-at 02:00:00:00:00:22
  { name: 'arp-reply', file: `${TRACES}/normal-handshake/nc/capture.pcap`, index: 1, linkType: 1 },
  // 192.168.0.21.40001 > 192.168.0.22.80 [S], 74 bytes
  { name: 'syn', file: `${TRACES}/normal-handshake/nc/capture.pcap`, index: 2, linkType: 1 },
  // 192.168.0.22.80 > 192.168.0.21.40001 [S.], 74 bytes
  { name: 'syn-ack', file: `${TRACES}/normal-handshake/nc/capture.pcap`, index: 3, linkType: 1 },
  // 192.168.0.21.40001 > 192.168.0.22.80 [F.], 66 bytes
  { name: 'fin', file: `${TRACES}/normal-handshake/nc/capture.pcap`, index: 5, linkType: 1 },
  // 192.168.0.22 > 192.168.0.21 ICMP tcp port 80 unreachable, 102 bytes
  { name: 'icmp-unreach', file: `${TRACES}/reject-icmp/nc/capture.pcap`, index: 3, linkType: 1 },
  // Linux cooked v1, In: 10.0.1.1.33306 > 10.0.2.1.10004 [S]
  { name: 'sll-syn-in', file: `${CONFORMANCE}/mptcp-v1.pcap`, index: 0, linkType: 113 },
  // Linux cooked v1, Out: 10.0.2.1.10004 > 10.0.1.1.33306 [S.]
  { name: 'sll-synack-out', file: `${CONFORMANCE}/mptcp-v1.pcap`, index: 1, linkType: 113 },
  // Linux cooked v2, lo In: 127.0.0.1.58024 > 127.0.0.1.40080 [S]
  { name: 'sll2-syn', file: `${CONFORMANCE}/local-sll2-lo.pcap`, index: 0, linkType: 276 },
  // Linux cooked v2, lo In: 127.0.0.1 > 127.0.0.1 ICMP echo request
  { name: 'sll2-echo', file: `${CONFORMANCE}/local-sll2-lo.pcap`, index: 14, linkType: 276 },
  // Raw IP (LINKTYPE_RAW): 192.168.1.100.12345 > 9.9.9.9.53 UDP (DNS query)
  { name: 'raw-dns', file: `${CONFORMANCE}/LINKTYPE_RAW_ipv4.pcap`, index: 0, linkType: 101 },
  // Raw IPv4 (LINKTYPE_IPV4): the same datagram
  { name: 'ipv4-dns', file: `${CONFORMANCE}/LINKTYPE_IPV4.pcap`, index: 0, linkType: 228 },
];

/**
 * Expression → the samples it selects, read off the packets above: e.g. `host
 * 192.168.0.22` selects both ARP frames (pcap-filter(7): `host` alone also
 * means ARP and RARP) and every IPv4 packet between the two hosts.
 */
const TABLE: readonly (readonly [string, readonly string[]])[] = [
  ['host 192.168.0.22', ['arp-request', 'arp-reply', 'syn', 'syn-ack', 'fin', 'icmp-unreach']],
  ['ip host 192.168.0.22', ['syn', 'syn-ack', 'fin', 'icmp-unreach']],
  ['src host 192.168.0.22', ['arp-reply', 'syn-ack', 'icmp-unreach']],
  ['dst host 192.168.0.22', ['arp-request', 'syn', 'fin']],
  ['arp', ['arp-request', 'arp-reply']],
  ['ether dst ff:ff:ff:ff:ff:ff', ['arp-request']],
  ['ether broadcast', ['arp-request']],
  ['ether src 02:00:00:00:00:22', ['arp-reply', 'syn-ack', 'icmp-unreach']],
  ['tcp', ['syn', 'syn-ack', 'fin', 'sll-syn-in', 'sll-synack-out', 'sll2-syn']],
  ['udp', ['raw-dns', 'ipv4-dns']],
  ['icmp', ['icmp-unreach', 'sll2-echo']],
  ['port 80', ['syn', 'syn-ack', 'fin']],
  ['dst port 80', ['syn', 'fin']],
  ['src port 80', ['syn-ack']],
  ['port 80 or 53', ['syn', 'syn-ack', 'fin', 'raw-dns', 'ipv4-dns']],
  ['udp port domain', ['raw-dns', 'ipv4-dns']],
  ['portrange 40000-40100', ['syn', 'syn-ack', 'fin', 'sll2-syn']],
  ['net 192.168.0.0/24', ['arp-request', 'arp-reply', 'syn', 'syn-ack', 'fin', 'icmp-unreach']],
  ['net 10.0', ['sll-syn-in', 'sll-synack-out']],
  ['host 127.0.0.1', ['sll2-syn', 'sll2-echo']],
  ['host localhost', ['sll2-syn', 'sll2-echo']],
  ['host 192.168.1.100 or 9.9.9.9', ['raw-dns', 'ipv4-dns']],
  [
    'tcp[tcpflags] & (tcp-syn|tcp-ack) != 0',
    ['syn', 'syn-ack', 'fin', 'sll-syn-in', 'sll-synack-out', 'sll2-syn'],
  ],
  ['tcp[tcpflags] == tcp-syn', ['syn', 'sll-syn-in', 'sll2-syn']],
  ['tcp[13] & 1 = 1', ['fin']],
  ['icmp[icmptype] == icmp-unreach', ['icmp-unreach']],
  ['icmp[icmptype] == icmp-echo', ['sll2-echo']],
  ['len = 74', ['syn', 'syn-ack']],
  ['greater 100', ['icmp-unreach']],
  // The ARP frames are 42 bytes; the raw DNS datagrams 57 (IP total length, no link header).
  ['less 60', ['arp-request', 'arp-reply', 'raw-dns', 'ipv4-dns']],
  ['not port 80 and host 192.168.0.22', ['arp-request', 'arp-reply', 'icmp-unreach']],
  ['inbound', ['sll-syn-in', 'sll2-syn', 'sll2-echo']],
  ['outbound', ['sll-synack-out']],
  ['ifindex 1', ['sll2-syn', 'sll2-echo']],
];

describe.skipIf(!haveCaptures)('expressions × real packets of each link type', () => {
  const packets = new Map(
    SAMPLES.map((s) => {
      const rec = readRecords(s.file)[s.index]!;
      return [s.name, { sample: s, rec }] as const;
    }),
  );

  test('the samples are the packets the table was written for', () => {
    for (const { sample, rec } of packets.values()) expect(rec.linkType).toBe(sample.linkType);
    expect(packets.get('syn')!.rec.origLen).toBe(74);
    expect(packets.get('icmp-unreach')!.rec.origLen).toBe(102);
  });

  test.each(TABLE)('%s', (expression, expected) => {
    const selected: string[] = [];
    for (const [name, { sample, rec }] of packets) {
      const r = compileFilter(expression, sample.linkType);
      // inbound/outbound/ifindex do not compile for every link type; those packets are not selected.
      if (r.ok && r.filter.matches(rec.data, rec.origLen)) selected.push(name);
    }
    expect(selected).toEqual(expected);
  });
});

describe('qualifiers carry over to bare names (pcap-filter(7))', () => {
  test.each([
    ['host 192.168.0.21 or 192.168.0.22', 'host 192.168.0.21 or host 192.168.0.22'],
    ['tcp port 80 or 443', 'tcp port 80 or tcp port 443'],
    ['src net 10 and not 10.0.2', 'src net 10 and not src net 10.0.2'],
    ['port 80 and (22 or 443)', 'port 80 and (port 22 or port 443)'],
  ])('%s is %s', (short, long) => {
    expect(dumpFilter(filterFor(short))).toEqual(dumpFilter(filterFor(long)));
  });

  test('after a protocol name or a comparison there is nothing to carry over', () => {
    expect(errorOf('tcp or 80')).toBe('syntax error in filter expression');
    expect(errorOf('len > 0 or 192.168.0.1')).toBe('syntax error in filter expression');
  });
});

describe('the program is the one tcpdump -d prints', () => {
  test('tcp on Ethernet (golden text from tcpdump 4.99.3 -d, snapshot length 262144)', () => {
    expect(dumpFilter(filterFor('tcp'))).toEqual([
      '(000) ldh      [12]',
      '(001) jeq      #0x800           jt 2\tjf 4',
      '(002) ldb      [23]',
      '(003) jeq      #0x6             jt 10\tjf 11',
      '(004) jeq      #0x86dd          jt 5\tjf 11',
      '(005) ldb      [20]',
      '(006) jeq      #0x6             jt 10\tjf 7',
      '(007) jeq      #0x2c            jt 8\tjf 11',
      '(008) ldb      [54]',
      '(009) jeq      #0x6             jt 10\tjf 11',
      '(010) ret      #262144',
      '(011) ret      #0',
    ]);
  });

  test('unoptimized (tcpdump -O): tcp[13] = 2 stores through scratch memory', () => {
    const r = compileFilter('tcp[13] = 2', LINKTYPE_ETHERNET, { optimize: false, snaplen: 65535 });
    expect(r.ok && dumpFilter(r.filter).slice(14, 30)).toEqual([
      '(014) ldh      [20]',
      '(015) jset     #0x1fff          jt 31\tjf 16',
      '(016) ld       #0xd',
      '(017) st       M[0]',
      '(018) ldxb     4*([14]&0xf)',
      '(019) ld       M[0]',
      '(020) add      x',
      '(021) tax      ',
      '(022) ldb      [x + 14]',
      '(023) st       M[1]',
      '(024) ld       #0x2',
      '(025) st       M[2]',
      '(026) ldx      M[2]',
      '(027) ld       M[1]',
      '(028) sub      x',
      '(029) jeq      #0x0             jt 30\tjf 31',
    ]);
  });

  test('-dd and -ddd forms (golden text from tcpdump 4.99.3, snapshot length 65535)', () => {
    const r = compileFilter('tcp port 80', LINKTYPE_ETHERNET, { snaplen: 65535 });
    const p = r.ok ? r.filter.program : undefined;
    expect(p && formatProgramC(p).slice(0, 3)).toEqual([
      '{ 0x28, 0, 0, 0x0000000c },',
      '{ 0x15, 0, 6, 0x000086dd },',
      '{ 0x30, 0, 0, 0x00000014 },',
    ]);
    expect(p && formatProgramC(p).slice(-1)).toEqual(['{ 0x6, 0, 0, 0x00000000 },']);
    expect(p && formatProgramDecimal(p).slice(0, 3)).toEqual(['20', '40 0 0 12', '21 0 6 34525']);
  });

  test('each link type finds IPv4 its own way', () => {
    expect(dumpFilter(filterFor('ip', LINKTYPE_LINUX_SLL))[0]).toBe('(000) ldh      [14]');
    expect(dumpFilter(filterFor('ip', LINKTYPE_LINUX_SLL2))[0]).toBe('(000) ldh      [0]');
    // Raw IP: the version nibble.
    expect(dumpFilter(filterFor('ip', LINKTYPE_RAW)).slice(0, 3)).toEqual([
      '(000) ldb      [0]',
      '(001) and      #0xf0',
      '(002) jeq      #0x40            jt 3\tjf 4',
    ]);
    // Raw IPv4: every packet is IPv4.
    expect(dumpFilter(filterFor('ip', LINKTYPE_IPV4))).toEqual(['(000) ret      #262144']);
  });
});

/**
 * Bad expressions and tcpdump 4.99.3's text for each, as it prints them after
 * "tcpdump: " (`tcpdump -r print-flags.pcap EXPR`; exit status 1).
 */
const ERRORS: readonly (readonly [string, string])[] = [
  ['(', "can't parse filter expression: syntax error"],
  [')', "can't parse filter expression: syntax error"],
  ['host', "can't parse filter expression: syntax error"],
  ['(tcp', "can't parse filter expression: syntax error"],
  ['tcp[13] ==', "can't parse filter expression: syntax error"],
  ['foo', "can't parse filter expression: syntax error"],
  ['portrange 10-', "can't parse filter expression: syntax error"],
  ['ip proto tcp', "can't parse filter expression: syntax error"],
  ['net 10/8', "can't parse filter expression: syntax error"],
  ['port 99999', 'illegal port number 99999 > 65535'],
  ['portrange 99999-1', 'illegal port number 99999 > 65535'],
  ['portrange 4294967295-1', 'illegal port number -1 < 0'],
  ['host 1.2.3.256', "invalid IPv4 address '1.2.3.256'"],
  ['host nosuchhostxyz', "unknown host 'nosuchhostxyz'"],
  ['host nosuch )', "unknown host 'nosuch'"],
  ['net 192.168.0.1/24', 'non-network bits set in "192.168.0.1/24"'],
  ['net 192.168.0.0 mask 255.0.0.0', 'non-network bits set in "192.168.0.0 mask 255.0.0.0"'],
  ['net 1.2.3.4/33', 'mask length must be <= 32'],
  ['host 1.2.3.0/24', 'Mask syntax for networks only'],
  ['port 08', 'number 08 contains non-octal digit'],
  ['ip[0] = 99999999999', 'number 99999999999 overflows 32 bits'],
  ['port 0x1g', "unknown port '0x1g'"],
  ['port foo', "unknown port 'foo'"],
  ['port 80-90', "unknown port '80-90'"],
  ['portrange a-b', "unknown port in range 'a-b'"],
  ['udp port ssh', "port 'ssh' is tcp"],
  ['tcp host 1.2.3.4', "'tcp' modifier applied to host"],
  ['port 1.2.3.4', "'port' modifier applied to ip host"],
  ['host 02:00:00:00:00:21', 'ethernet address used in non-ether expression'],
  ['ether host 02:00:00:00:00', 'bogus ethernet address 02:00:00:00:'],
  ['ether host foo', "unknown ether host 'foo'"],
  ['ip proto foo', "unknown ip proto 'foo'"],
  ['ether proto \\foo', "unknown ether proto 'foo'"],
  ['tcp proto 6', "'tcp proto' is bogus"],
  ['arp proto 1', 'arp does not encapsulate another protocol'],
  ['ip[0:3] = 1', 'data size must be 1, 2, or 4'],
  ['ip[0] / 0 = 1', 'division by zero'],
  ['ip[0] % 0 = 1', 'modulus by zero'],
  ['ip[0] << 32 = 1', 'shift by more than 31 bits'],
  ['ip[0] / (1 - 1) = 1', 'division by zero'],
  ['tcp or 80', 'syntax error in filter expression'],
  ['(host 1.2.3.4) or 1.2.3.5', 'syntax error in filter expression'],
  ['ip and not ip', 'expression rejects all packets'],
  ['tcp port ssh and udp port 53', 'expression rejects all packets'],
  ['inbound', 'inbound/outbound not supported on Ethernet when reading savefiles'],
  ['ifindex 1', 'ifindex not supported on Ethernet when reading savefiles'],
  ['tcp broadcast', 'only link-layer/IP broadcast filters supported'],
  ['gateway 1.2.3.4', "'gateway' requires a name"],
  ['gateway foo', "'gateway' not supported in this configuration"],
  ['net default', "unknown network 'default'"],
  ['host $1', 'aid supported only on ARCnet'],
  ['vlan 5000', 'VLAN tag 5000 greater than maximum 4095'],
  ['lane', "'lane' supported only on raw ATM"],
  ['decnet host foo', "decnet name support not included, 'foo' cannot be translated\n"],
];

describe('bad expressions get tcpdump 4.99.3 / libpcap 1.10.3 error texts', () => {
  test.each(ERRORS)('%s', (expression, message) => {
    expect(errorOf(expression)).toBe(message);
  });

  test('link-type-specific refusals name the link type as libpcap does', () => {
    expect(errorOf('ether host 02:00:00:00:00:21', LINKTYPE_RAW)).toBe(
      'ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel',
    );
    expect(errorOf('inbound', LINKTYPE_RAW)).toBe(
      'inbound/outbound not supported on Raw IP when reading savefiles',
    );
    expect(errorOf('vlan', LINKTYPE_LINUX_SLL)).toBe('no VLAN support for Linux cooked v1');
    expect(errorOf('arp', LINKTYPE_IPV4)).toBe('expression rejects all packets');
    expect(errorOf('broadcast', LINKTYPE_LINUX_SLL2)).toBe('not a broadcast link');
  });

  test('what tcplab does not implement says so, after the whole expression parsed', () => {
    expect(errorOf('mpls')).toBe("'mpls' is not supported by tcplab's filter compiler");
    expect(errorOf('geneve and tcp')).toBe("'geneve' is not supported by tcplab's filter compiler");
    expect(errorOf('protochain 6 and')).toBe("can't parse filter expression: syntax error");
    expect(errorOf('tcp', 147)).toBe('unknown data link type 147');
  });
});

describe('very large expressions', () => {
  test('thousands of terms and deep parentheses compile without exhausting the stack', () => {
    const many = new Array(2000).fill('tcp').join(' or ');
    // The optimizer folds the repetitions away, as libpcap's does.
    expect(dumpFilter(filterFor(many))).toEqual(dumpFilter(filterFor('tcp')));
    const deep = `${'('.repeat(5000)}tcp${')'.repeat(5000)}`;
    expect(dumpFilter(filterFor(deep))).toEqual(dumpFilter(filterFor('tcp')));
  });

  test('beyond 256 MiB of optimizer state tcplab refuses (libpcap would go on for seconds)', () => {
    expect(errorOf(new Array(10000).fill('tcp').join(' or '))).toBe(
      'filter is too complex to optimize',
    );
  });
});

describe('properties (fast-check, seeded)', () => {
  test('compileFilter never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom(1, 101, 113, 228, 276), (s, lt) => {
        const r = compileFilter(s, lt);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  test('matches never throws on any bytes and any wire length', () => {
    const filters = [
      'tcp[tcpflags] & tcp-syn != 0',
      'port 80 or icmp[icmptype] = icmp-unreach',
      'ip[2:2] > 576 and ether[0] & 1 = 0',
      'vlan and udp',
      'ip6 and len > 100',
    ].map((e) => filterFor(e));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), (bytes, wire) => {
        for (const f of filters) expect(typeof f.matches(bytes, wire)).toBe('boolean');
      }),
      { seed: 43, numRuns: 2000 },
    );
  });
});
