/**
 * The filter compiler against the real tcpdump 4.99.3 / libpcap 1.10.3.
 *
 * Every packet of every capture in ../shared (the Linux traces and tcpdump's
 * conformance corpus: Ethernet, Linux cooked v1 and v2, raw IP, raw IPv4) is
 * merged into one pcap per link type, packet i stamped i seconds. For each
 * expression, `tcpdump -r MERGED -w - EXPR` writes back the packets it
 * selects; their timestamps name them. That identity is exact: it does not
 * depend on `-#` numbering (which counts selected packets in 4.99), on how
 * packets print, or on duplicates. Our selection is
 * `compileFilter(EXPR, linkType).matches(data, origLen)` over the same
 * packets. When tcpdump refuses an expression, our message must be its text.
 *
 * `tcpdump -d` is compared too: the same program, instruction for instruction,
 * is what makes the corner cases (short packets, "expression rejects all
 * packets") agree.
 *
 * Cost: one tcpdump per expression and link type, four at a time; about 3,000 runs.
 */

import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileFilter, dumpFilter } from '../../src/capture/filter/index.js';
import {
  buildCorpora,
  type Corpus,
  conformanceFiles,
  hasTcpdump,
  MERGED_SNAPLEN,
  removeCorpora,
  tcpdumpProgram,
  tcpdumpSelects,
  traceFiles,
  type Verdict,
} from './filter-support.js';

if (!hasTcpdump) {
  console.warn(
    'filter-tcpdump.test.ts: /usr/bin/tcpdump is missing; the differential tests are skipped',
  );
}

/** Every construct of pcap-filter(7) that tcplab supports, and some it refuses. */
const HAND_LIST = [
  '',
  'host 192.168.0.22',
  'src host 192.168.0.21',
  'dst host 192.168.0.21',
  'src or dst host 192.168.0.22',
  'src and dst host 127.0.0.1',
  'host 192.168.0.21 and host 192.168.0.22',
  'host 192.168.0.21 or 10.0.1.1',
  'host localhost',
  'net 192.168.0.0/24',
  'net 10.0.0.0 mask 255.0.0.0',
  'net 192.168',
  'net 127',
  'dst net 10.0.2',
  'port 80',
  'src port 40001',
  'dst port 80 or dst port 53',
  'port 80 or 443 or 22',
  'not port 22 and host 192.168.0.22',
  'portrange 1-1024',
  'tcp src portrange 40000-40010',
  'udp portrange 50-60',
  'tcp port 80',
  'udp port domain',
  'port http',
  'tcp',
  'udp',
  'icmp',
  'arp',
  'rarp',
  'ip',
  'ip6',
  'sctp',
  'icmp6',
  'ip host 192.168.0.22',
  'arp host 192.168.0.22',
  'ether host 02:00:00:00:00:21',
  'ether src 02:00:00:00:00:22',
  'ether dst ff:ff:ff:ff:ff:ff',
  'ether broadcast',
  'multicast',
  'ip multicast',
  'less 60',
  'greater 100',
  'len > 66',
  'len <= 60 or len >= 1000',
  'proto \\tcp',
  'ip proto 1',
  'ip6 proto 58',
  'ether proto \\arp',
  'tcp[tcpflags] & (tcp-syn|tcp-ack) != 0',
  'tcp[tcpflags] == tcp-syn',
  'tcp[13] == 2',
  'tcp[13] & 2 = 2',
  'tcp[tcpflags] & tcp-rst != 0',
  'tcp[tcpflags] & (tcp-fin|tcp-rst) != 0 and not src port 80',
  'icmp[icmptype] == icmp-unreach',
  'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
  'icmp[icmpcode] = 3',
  'ip[2:2] > 576',
  'ip[6] & 0x20 != 0',
  'ip[6:2] & 0x1fff != 0',
  'ether[0] & 1 != 0',
  'ether[12:2] = 0x806',
  'link[0] = 0',
  'udp[4:2] > 16',
  'tcp[12] >> 4 > 5',
  '(ip[0] & 0xf) * 4 > 20',
  'ip[8] % 64 = 0',
  'len - 14 > 52',
  'tcp[(tcp[12] >> 4) * 4] = 0x47',
  'ip[100:4] = 0',
  'tcp[40:4] != 0',
  '-ip[0] = 0xffffffbb',
  'ip[0] ^ 0x45 = 0',
  '(tcp or udp) and not icmp',
  '!tcp && !udp',
  'tcp || arp',
  'not (host 192.168.0.21 or host 192.168.0.22)',
  'host 192.168.0.22 and (port 80 or icmp)',
  'vlan',
  'vlan 100 or vlan 200',
  'vlan and vlan and port 80',
  'ip6 host fe80::1',
  'ip6 src net fe80::/10',
  'host ::ffff:1.2.3.4',
  'ip6 multicast',
  'icmp6[icmp6type] = icmp6-echo',
  'ip6 proto \\ipv6-icmp',
  'iso or isis or clnp or esis or l1 or l2 or iih or lsp or snp or csnp or psnp',
  'atalk or aarp or ipx or netbeui or stp',
  'decnet or lat or sca or moprc or mopdl',
  'ether proto \\iso or ether proto \\aarp or ether proto 0x42',
  'llc i or llc s or llc u or llc rr or llc ui or llc rnr',
  'decnet src 1.2 and decnet dst 3.4',
  'byte 12 = 8 or byte 0 < 3 or byte 0 | 1',
  'ether multicast',
  'port bootps or udp port bootpc',
  'portrange ftp-data-ssh',
  'arp[6:2] = 1 or rarp[0] = 0',
  'igmp[0] = 0x11 or pim[0] = 0 or sctp[0:2] = 80',
  'inbound',
  'outbound',
  'ifindex 1',
  'llc',
  'pppoed',
  'tcp and udp',
  'ip and not ip',
  'tcp src port 80 and tcp src port 40001',
  'ip[0] * 0 = 1',
  'ether[1000] = 1 or 1 = 1',
  '1 = 1',
  // Refused by tcpdump: the message must be its own.
  'port 99999',
  'host 1.2.3.256',
  'host nosuchhostxyz',
  'tcp[13] ==',
  'foo',
  '(tcp',
  'net 192.168.0.1/24',
  'portrange 10-',
  'tcp or 80',
  'udp port ssh',
  'ether host 02:00:00:00',
  'ip[0] / 0 = 1',
  'inbound and port 80',
];

/** Addresses, ports and names that occur in the captures. */
const HOSTS = ['192.168.0.21', '192.168.0.22', '127.0.0.1', '10.0.1.1', '9.9.9.9', '192.168.1.100'];
const NETS = [
  '192.168.0.0/24',
  '192.168',
  '127',
  '10.0.0.0/8',
  '192.168.0.0 mask 255.255.0.0',
  '10.0.2',
];
const PORTS = ['80', '40001', '22', '53', '443', '12345', '10004', 'http', 'ssh', 'domain', '6379'];
const MACS = ['02:00:00:00:00:21', '02:00:00:00:00:22', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'];
const PROTOS = ['tcp', 'udp', 'icmp', 'arp', 'ip', 'ip6', 'rarp', 'sctp', 'igmp', 'icmp6', 'stp'];
const FLAGS = [
  'tcp-fin',
  'tcp-syn',
  'tcp-rst',
  'tcp-push',
  'tcp-ack',
  'tcp-urg',
  'tcp-ece',
  'tcp-cwr',
];

/** Random expressions from the grammar of pcap-filter(7), over the captures' values. */
function expressionArbitrary(): fc.Arbitrary<string> {
  const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
  const dir = pick(['', 'src ', 'dst ', 'src or dst ', 'src and dst ']);
  const num = fc.oneof(fc.integer({ min: 0, max: 80 }), pick([255, 256, 1500, 65535, 0x800]));
  const { arith } = fc.letrec<{ arith: string }>((tie) => ({
    arith: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      num.map(String),
      pick(FLAGS),
      pick(['len', 'tcpflags', 'icmptype']),
      fc
        .tuple(
          pick(['ether', 'ip', 'tcp', 'udp', 'icmp', 'arp', 'link', 'ip6']),
          fc.oneof(fc.integer({ min: 0, max: 60 }).map(String), tie('arith')),
          pick(['', ':1', ':2', ':4']),
        )
        .map(([p, i, s]) => `${p}[${i}${s}]`),
      fc
        .tuple(
          tie('arith'),
          pick(['+', '-', '*', '&', '|', '^', '>>', '<<', '%', '/']),
          tie('arith'),
        )
        .map(([a, op, b]) => `${a} ${op} ${b}`),
      tie('arith').map((a) => `(${a})`),
    ),
  }));
  const primitive = fc.oneof(
    fc.tuple(pick(['', 'ip ', 'arp ']), dir, pick(HOSTS)).map(([p, d, h]) => `${p}${d}host ${h}`),
    fc
      .tuple(dir, pick(HOSTS), pick(['or', 'and']), pick(HOSTS))
      .map(([d, a, op, b]) => `${d}host ${a} ${op} ${b}`),
    fc.tuple(dir, pick(NETS)).map(([d, n]) => `${d}net ${n}`),
    fc
      .tuple(pick(['', 'tcp ', 'udp ']), dir, pick(PORTS))
      .map(([p, d, port]) => `${p}${d}port ${port}`),
    fc
      .tuple(pick(PORTS), pick(['or', 'and']), pick(PORTS))
      .map(([a, op, b]) => `port ${a} ${op} ${b}`),
    fc
      .tuple(
        pick(['', 'tcp ', 'udp ']),
        dir,
        fc.integer({ min: 0, max: 50000 }),
        fc.integer({ min: 0, max: 50000 }),
      )
      .map(([p, d, a, b]) => `${p}${d}portrange ${a}-${b}`),
    pick(PROTOS),
    fc
      .tuple(pick(['ip ', 'ip6 ', '']), pick(['6', '17', '1', '\\tcp', '\\udp']))
      .map(([p, n]) => `${p}proto ${n}`),
    fc
      .tuple(pick(['less', 'greater']), fc.integer({ min: 40, max: 120 }))
      .map(([w, n]) => `${w} ${n}`),
    fc.tuple(pick(['host', 'src', 'dst']), pick(MACS)).map(([w, m]) => `ether ${w} ${m}`),
    pick([
      'broadcast',
      'multicast',
      'ip multicast',
      'ether broadcast',
      'ip broadcast',
      'vlan',
      'inbound',
    ]),
    fc
      .tuple(arith, pick(['>', '<', '>=', '<=', '=', '==', '!=']), arith)
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(pick(FLAGS), pick(FLAGS)).map(([a, b]) => `tcp[tcpflags] & (${a}|${b}) != 0`),
    // A parenthesized list of bare names, and `not` inside a continuation.
    fc
      .tuple(pick(['host', 'src host', 'port', 'tcp dst port']), pick(HOSTS), pick(PORTS))
      .map(([q, h, p]) =>
        q.includes('port') ? `${q} (${p} or 80)` : `${q} (${h} or not 127.0.0.1)`,
      ),
    fc
      .tuple(dir, pick(['fe80::1', '::1', '::ffff:1.2.3.4', 'fe80::/10', '::/0']))
      .map(([d, a]) => `ip6 ${d}${a.includes('/') ? 'net' : 'host'} ${a}`),
    fc.tuple(fc.integer({ min: 0, max: 4100 }), pick(PROTOS)).map(([n, p]) => `vlan ${n} and ${p}`),
    pick(['llc', 'llc i', 'llc rr', 'iso', 'isis', 'clnp', 'decnet host 1.2', 'atalk', 'ipx']),
  );
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      primitive,
      primitive,
      fc.tuple(pick(['not ', '!']), tie('expr')).map(([n, e]) => `${n}(${e})`),
      fc
        .tuple(tie('expr'), pick(['and', 'or', '&&', '||']), tie('expr'))
        .map(([a, op, b]) => `${a} ${op} ${b}`),
      tie('expr').map((e) => `(${e})`),
    ),
  }));
  return expr;
}

/**
 * Token soup: random sequences of the language's tokens, mostly not valid
 * expressions. They exercise the parse tables (which sequences are accepted,
 * and which error is reported first) far from the well-trodden paths.
 */
function tokenSoupArbitrary(): fc.Arbitrary<string> {
  const tokens = [
    'host',
    'net',
    'port',
    'portrange',
    'src',
    'dst',
    'and',
    'or',
    'not',
    '!',
    '&&',
    '||',
    '(',
    ')',
    '[',
    ']',
    ':',
    'tcp',
    'udp',
    'ip',
    'ip6',
    'arp',
    'ether',
    'proto',
    'mask',
    'less',
    'greater',
    'len',
    '=',
    '==',
    '!=',
    '<',
    '>',
    '<=',
    '>=',
    '+',
    '-',
    '*',
    '/',
    '%',
    '&',
    '|',
    '^',
    '<<',
    '>>',
    '1',
    '80',
    '0x10',
    '08',
    '4294967296',
    '1.2.3.4',
    '10.1',
    '1.2.3.256',
    '::1',
    'fe80::',
    '02:00:00:00:00:21',
    '02:00:00:00:',
    'foo',
    'http',
    '10-20',
    '\\tcp',
    'tcpflags',
    'tcp-syn',
    'icmptype',
    'vlan',
    'broadcast',
    'multicast',
    'byte',
    'gateway',
    'llc',
    'inbound',
    'ifindex',
    'decnet',
    'iso',
    'type',
    'vpi',
    'fisu',
    'on',
    'localhost',
    '$1',
    '@',
  ];
  return fc
    .array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 7 })
    .map((ts) => ts.join(' '));
}

/** Our verdict on one corpus, in the shape of tcpdump's. */
function ourSelection(corpus: Corpus, expression: string): Verdict {
  const r = compileFilter(expression, corpus.linkType, { snaplen: MERGED_SNAPLEN });
  if (!r.ok) return { error: r.message };
  const selected: number[] = [];
  corpus.records.forEach((rec, i) => {
    if (r.filter.matches(rec.data, rec.origLen)) selected.push(i);
  });
  return { selected };
}

/** The expressions × link types whose verdicts differ, with both verdicts. */
async function differences(corpora: readonly Corpus[], expressions: readonly string[]) {
  const jobs = expressions.flatMap((e) =>
    corpora.map(async (c) => {
      const theirs = await tcpdumpSelects(c, e);
      const ours = ourSelection(c, e);
      return { expression: e, linkType: c.linkType, theirs, ours };
    }),
  );
  const all = await Promise.all(jobs);
  return {
    checked: all.length,
    selectedTotal: all.reduce(
      (n, r) => n + ('selected' in r.theirs ? r.theirs.selected.length : 0),
      0,
    ),
    errors: all.filter((r) => 'error' in r.theirs).length,
    mismatches: all.filter((r) => JSON.stringify(r.theirs) !== JSON.stringify(r.ours)),
  };
}

/** The expressions whose `-d` program differs on a corpus. */
async function programDifferences(corpus: Corpus, expressions: readonly string[]) {
  const results = await Promise.all(
    expressions.map(async (e) => {
      const theirs = await tcpdumpProgram(corpus, e);
      const r = compileFilter(e, corpus.linkType, { snaplen: MERGED_SNAPLEN });
      const ours = r.ok ? { lines: dumpFilter(r.filter) } : { error: r.message };
      return { expression: e, theirs, ours };
    }),
  );
  return results.filter((r) => JSON.stringify(r.theirs) !== JSON.stringify(r.ours));
}

describe.skipIf(!hasTcpdump)('filter: the same packets as tcpdump 4.99.3', () => {
  let corpora: Corpus[] = [];
  beforeAll(() => {
    corpora = buildCorpora([...traceFiles(), ...conformanceFiles()]);
  });
  afterAll(() => removeCorpora(corpora));

  test('the corpus covers the link types tcplab captures (raw IP both as 12 and 101)', () => {
    expect(corpora.map((c) => c.linkType)).toEqual([1, 12, 101, 113, 228, 276]);
    expect(corpora.reduce((n, c) => n + c.records.length, 0)).toBeGreaterThan(1000);
  });

  test('hand list: every construct selects what tcpdump selects, on every link type', async () => {
    const d = await differences(corpora, HAND_LIST);
    expect(d.mismatches).toEqual([]);
    expect(d.checked).toBe(HAND_LIST.length * corpora.length);
    // Not a vacuous agreement: packets were selected and expressions refused.
    expect(d.selectedTotal).toBeGreaterThan(10000);
    expect(d.errors).toBeGreaterThan(50);
  });

  test('hand list: the same BPF program as tcpdump -d, on Ethernet and raw IP', async () => {
    for (const linkType of [1, 101]) {
      const corpus = corpora.find((c) => c.linkType === linkType)!;
      expect(await programDifferences(corpus, HAND_LIST)).toEqual([]);
    }
  });

  test('random expressions (fast-check, seeded): same selections and programs', async () => {
    // FILTER_FUZZ_SEED / FILTER_FUZZ_RUNS run longer or other campaigns.
    const seed = Number(process.env.FILTER_FUZZ_SEED ?? 20241121);
    const numRuns = Number(process.env.FILTER_FUZZ_RUNS ?? 160);
    const expressions = fc.sample(expressionArbitrary(), { seed, numRuns });
    const d = await differences(corpora, expressions);
    expect(d.mismatches).toEqual([]);
    const ethernet = corpora.find((c) => c.linkType === 1)!;
    expect(await programDifferences(ethernet, expressions)).toEqual([]);
  });

  // The names tables of names.ts are Debian 12's /etc/services and /etc/protocols;
  // on this machine tcpdump reads the same files, so every name must compile alike.
  test.skipIf(!existsSync('/etc/services') || !existsSync('/etc/protocols'))(
    'every service and protocol name of /etc/services and /etc/protocols',
    async () => {
      const names = (file: string): string[] => [
        ...new Set(
          readFileSync(file, 'utf8')
            .split('\n')
            .map((l) => l.replace(/#.*/, '').trim())
            .filter((l) => l !== '')
            .flatMap((l) => {
              const [name, , ...aliases] = l.split(/\s+/);
              return [name!, ...aliases];
            }),
        ),
      ];
      const expressions = [
        ...names('/etc/services').map((n) => `port ${n}`),
        ...names('/etc/protocols').map((n) => `proto \\${n}`),
      ];
      expect(expressions.length).toBeGreaterThan(400);
      const ethernet = corpora.find((c) => c.linkType === 1)!;
      expect(await programDifferences(ethernet, expressions)).toEqual([]);
    },
  );

  test('token soup (fast-check, seeded): same programs, same error texts', async () => {
    const seed = Number(process.env.FILTER_FUZZ_SEED ?? 20241121);
    const numRuns = Number(process.env.FILTER_SOUP_RUNS ?? 300);
    const soups = fc.sample(tokenSoupArbitrary(), { seed, numRuns });
    for (const linkType of [1, 113]) {
      const corpus = corpora.find((c) => c.linkType === linkType)!;
      expect(await programDifferences(corpus, soups)).toEqual([]);
    }
  });
});
