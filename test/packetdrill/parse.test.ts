/**
 * The script parser: every script of both corpora parses, with the events and
 * options their text has; malformed scripts give file:line:col and what was
 * expected there.
 */

import { describe, expect, test } from 'vitest';
import { formatSyntaxError, parseScript } from '../../src/packetdrill/parse.js';
import { read, scripts, TCPLAB, UPSTREAM } from './corpus.js';

function parsed(text: string) {
  const r = parseScript(text, 't.pkt');
  if (!r.ok) throw new Error(formatSyntaxError(r.error));
  return r.script;
}

function syntaxError(text: string): string {
  const r = parseScript(text, 't.pkt');
  if (r.ok) throw new Error('parsed');
  return formatSyntaxError(r.error);
}

describe('the corpora parse', () => {
  for (const [dir, count] of [
    [UPSTREAM, 21],
    [TCPLAB, 35],
  ] as const) {
    test(`${dir.split('/').pop()}: ${count} scripts`, () => {
      const files = scripts(dir);
      expect(files).toHaveLength(count);
      for (const f of files) {
        const r = parseScript(read(dir, f), f);
        expect(r.ok ? '' : formatSyntaxError(r.error)).toBe('');
      }
    });
  }

  test('blocking-write.pkt: its header option, commands, and a blocking write', () => {
    const s = parsed(read(UPSTREAM, 'tcp/blocking/blocking-write.pkt'));
    expect(s.options).toEqual([
      { name: 'tolerance_usecs', value: '10000', loc: { line: 2, col: 1 } },
    ]);
    const kinds = s.events.map((e) => e.action.kind);
    expect(kinds[0]).toBe('command');
    expect(kinds.at(-1)).toBe('command');
    const w = s.events.find((e) => e.action.kind === 'syscall' && e.action.name === 'write')!;
    expect(w.time).toEqual({ kind: 'relative', usecs: 0 });
    expect(w.blockingEndUsecs).toBe(300_000);
    expect(w.loc).toEqual({ line: 24, col: 4 });
  });
});

describe('events', () => {
  test('times: absolute, relative, ranges, blocking, any', () => {
    const s = parsed(
      [
        '0 close(3) = 0',
        '+.1 close(3) = 0',
        '1~2 close(3) = 0',
        '+.002~+.010 close(3) = 0',
        '+0...0.200 accept(3, ..., ...) = 4',
        '* close(3) = 0',
      ].join('\n'),
    );
    expect(s.events.map((e) => [e.time, e.blockingEndUsecs])).toEqual([
      [{ kind: 'absolute', usecs: 0 }, undefined],
      [{ kind: 'relative', usecs: 100_000 }, undefined],
      [{ kind: 'absoluteRange', usecs: 1_000_000, endUsecs: 2_000_000 }, undefined],
      [{ kind: 'relativeRange', usecs: 2_000, endUsecs: 10_000 }, undefined],
      [{ kind: 'relative', usecs: 0 }, 200_000],
      [{ kind: 'any' }, undefined],
    ]);
  });

  test('packets: flags, sequence range, ack, win, options', () => {
    const s = parsed(
      [
        '0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
        '+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>',
        '+0 < . 1:1(0) ack 1 win 320 <sack 4000:4001 5000:6000,nop,nop>',
        '+0 > P. 1:4001(4000) ack 1 <...>',
        '+0 < - 1:1001(1000) win 20000',
        '+0 < FP. 300:310(10) ack 9000 win 257',
        '+0 < icmp unreachable port_unreachable [0:0(0)]',
      ].join('\n'),
    );
    const p = s.events.map((e) => (e.action.kind === 'packet' ? e.action : undefined));
    expect(p[0]).toMatchObject({
      direction: 'inbound',
      tcp: {
        flags: 0x02,
        flagsText: 'S',
        seqStart: 0,
        seqEnd: 0,
        len: 0,
        ack: undefined,
        win: 32792,
      },
    });
    expect(p[0]!.tcp!.options).toEqual([
      { kind: 'mss', mss: 1000 },
      { kind: 'sackOK' },
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'wscale', shift: 7 },
    ]);
    expect(p[1]!.tcp!.options).toContainEqual({ kind: 'ts', val: 100, ecr: 0 });
    expect(p[2]!.tcp!.options![0]).toEqual({
      kind: 'sack',
      blocks: [
        [4000, 4001],
        [5000, 6000],
      ],
    });
    expect(p[3]!.tcp!.options).toBe('any');
    expect(p[4]!.tcp).toMatchObject({ flags: 0, flagsText: '-', len: 1000 });
    expect(p[5]!.tcp).toMatchObject({ flags: 0x019, len: 10, ack: 9000 });
    expect(p[6]).toMatchObject({
      icmp: { type: 'unreachable', code: 'port_unreachable', quotedSeq: 0, quotedLen: 0 },
    });
  });

  test('system calls: arguments and expected results', () => {
    const s = parsed(
      [
        '0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
        '+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
        '+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)',
        '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=5}, 8) = 0',
        '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0',
        '+0 write(4, NULL, 1000) = -1 EFAULT (Bad address)',
        '+0 setsockopt(4, SOL_TCP, TCP_LINGER2, [-1], 4) = 0',
      ].join('\n'),
    );
    const c = s.events.map((e) => (e.action.kind === 'syscall' ? e.action : undefined)!);
    expect(c[0]).toMatchObject({
      name: 'connect',
      errno: 'EINPROGRESS',
      note: 'Operation now in progress',
      result: { kind: 'int', value: -1 },
    });
    expect(c[0]!.args.map((a) => a.kind)).toEqual(['int', 'ellipsis', 'ellipsis']);
    expect(c[1]!.args[2]).toMatchObject({
      kind: 'or',
      left: { name: 'O_RDWR' },
      right: { name: 'O_NONBLOCK' },
    });
    expect(c[2]).toMatchObject({ result: { value: 2 }, note: 'flags O_RDWR' });
    expect(c[3]!.args[3]).toMatchObject({
      kind: 'struct',
      fields: [{ name: 'onoff' }, { name: 'linger' }],
    });
    expect(c[4]!.args[3]).toMatchObject({
      kind: 'list',
      items: [{ kind: 'symbol', name: 'ECONNREFUSED' }],
    });
    expect(c[5]!.args[1]!.kind).toBe('null');
    expect(c[6]!.args[3]).toMatchObject({ kind: 'list', items: [{ kind: 'int', value: -1 }] });
  });

  test('commands and code blocks, over several lines; comments anywhere', () => {
    const s = parsed(
      [
        '--tolerance_usecs=7000 // a comment',
        '`sysctl -q a=1',
        'sysctl -q b=2`',
        '/* a block',
        '   comment */',
        '0 %{ assert tcpi_snd_cwnd == 10;\\',
        '     assert 1 <= 2 }%',
        `\`/tmp/sysctl_restore_\${PPID}.sh\``,
      ].join('\n'),
    );
    expect(s.events.map((e) => [e.action.kind, e.loc.line, e.time?.kind])).toEqual([
      ['command', 2, undefined],
      ['code', 6, 'absolute'],
      ['command', 8, undefined],
    ]);
    expect(s.events[0]!.action).toEqual({ kind: 'command', text: 'sysctl -q a=1\nsysctl -q b=2' });
  });
});

describe('syntax errors say file:line:col and what was expected', () => {
  const cases: [string, string][] = [
    [
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) 3',
      "t.pkt:1:41: syntax error: expected '=' and the expected result, found '3'",
    ],
    ['0 < S 0:0 win 100', "t.pkt:1:11: syntax error: expected '(' in start:end(len), found 'win'"],
    ['0 < S 0:10(5)', 't.pkt:1:12: syntax error: start:end(len) does not add up: 10 - 0 != 5'],
    [
      '0 < X 0:0(0)',
      "t.pkt:1:5: syntax error: expected TCP flags (letters of FSRP.EWU or -), found 'X'",
    ],
    [
      '0 > S. 0:0(0) ack 1 <mss 1460,foo>',
      "t.pkt:1:31: syntax error: expected a TCP option (nop, eol, mss N, wscale N, sackOK, sack L:R, TS val N ecr N), found 'foo'",
    ],
    [
      '0 > S. 0:0(0) ack 1 <mss 1460',
      "t.pkt:1:30: syntax error: expected ',' or '>' in the option list, found end of file",
    ],
    [
      '0 < S 0:0(0) bogus 3',
      "t.pkt:1:14: syntax error: expected 'ack', 'win', an option list <...> or end of line, found 'bogus'",
    ],
    [
      '0 close(3) = 0\n\n  +x close(3) = 0',
      "t.pkt:3:4: syntax error: expected a time (0, +0.1, 1.5~2, +0...0.2 or *), found 'x'",
    ],
    [
      '0 `sysctl -q a=1',
      "t.pkt:1:3: syntax error: expected '`' closing this command, found end of file",
    ],
    [
      '0 %{ assert 1',
      "t.pkt:1:3: syntax error: expected '}%' closing this code, found end of file",
    ],
    ['+1~+0.5 close(3) = 0', 't.pkt:1:8: syntax error: time range ends before it starts'],
    [
      '0 close(3) = 0\n--tolerance_usecs=1',
      "t.pkt:2:1: syntax error: expected an event (header options come before the first event), found '--tolerance_usecs'",
    ],
    [
      '0 < . 1:1(0) ack 1 win 5 junk',
      "t.pkt:1:26: syntax error: expected 'ack', 'win', an option list <...> or end of line, found 'junk'",
    ],
    [
      '0 ! close(3) = 0',
      "t.pkt:1:3: syntax error: expected a packet ('<' or '>'), a system call, a `command` or %{ code }%, found '!'",
    ],
    [
      '0 < icmp unreachable port_unreachable 0:0(0)',
      "t.pkt:1:39: syntax error: expected '[' starting the quoted TCP header [seq:seq(len)], found '0'",
    ],
    [
      '0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff 1}, 8) = 0',
      "t.pkt:1:47: syntax error: expected '=' after the field name onoff, found '1'",
    ],
  ];
  for (const [text, message] of cases) {
    test(JSON.stringify(text), () => {
      expect(syntaxError(text)).toBe(message);
    });
  }
});

describe("values out of range are parser.y's semantic errors, at the value", () => {
  const nops = Array.from({ length: 41 }, () => 'nop').join(',');
  const cases: [string, string][] = [
    ['0 < . 4294967296:4294967296(0) win 1', 'TCP start sequence number out of range'],
    ['0 < . 1:4294967297(0) win 1', 'TCP end sequence number out of range'],
    ['0 < . 1:65537(65536) win 1', 'TCP payload size out of range'],
    ['0 < . 1:1(0) ack 4294967296 win 1', 'TCP ack sequence number out of range'],
    ['0 < . 1:1(0) ack 1 win 65536', 'TCP window value out of range'],
    ['0 < S 0:0(0) win 1 <mss 65536>', 'mss value out of range'],
    ['0 < S 0:0(0) win 1 <wscale 256>', 'window scale shift count out of range'],
    ['0 < . 1:1(0) ack 1 win 1 <sack 4294967296:1>', 'TCP SACK left sequence number out of range'],
    ['0 < . 1:1(0) ack 1 win 1 <sack 1:4294967296>', 'TCP SACK right sequence number out of range'],
    ['0 < . 1:1(0) ack 1 win 1 <TS val 4294967296 ecr 0>', 'ts val out of range'],
    ['0 < . 1:1(0) ack 1 win 1 <TS val 1 ecr 4294967296>', 'ecr val out of range'],
    [`0 < . 1:1(0) ack 1 win 1 <${nops}>`, 'TCP option list too long'],
    // 20 + 20 + 10 (TS) + 65486 > 65535: no datagram holds it (new_tcp_packet).
    ['0 < . 1:65487(65486) ack 1 win 1 <TS val 1 ecr 0>', 'TCP segment too large'],
    ['0 < icmp unreachable port_unreachable [0:65496(65496)]', 'TCP segment too large'],
    ['0 < icmp unreachable port_unreachable [0:65536(65536)]', 'TCP payload size out of range'],
  ];
  for (const [text, message] of cases) {
    test(message, () => {
      const e = syntaxError(text);
      expect(e).toMatch(/^t\.pkt:1:\d+: semantic error: /);
      expect(e.replace(/^.*semantic error: /, '')).toBe(message);
    });
  }

  test('the largest values are accepted', () => {
    const r = parseScript(
      '0 < . 4294967295:4294967295(0) ack 4294967295 win 65535 <mss 65535,wscale 255,TS val 4294967295 ecr 4294967295,sack 4294967295:4294967295>\n' +
        '+0 < . 1:65496(65495) ack 1 win 1\n',
      't.pkt',
    );
    expect(r.ok).toBe(true);
  });

  test('the column points at the value', () => {
    expect(syntaxError('0 < . 1:1(0) ack 1 win 70000')).toBe(
      't.pkt:1:24: semantic error: TCP window value out of range',
    );
  });
});
