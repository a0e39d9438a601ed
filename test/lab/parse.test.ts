import { describe, expect, test } from 'vitest';
import { type LabError, parseLab } from '../../src/lab/parse.js';
import { LabSession } from '../../src/lab/runner.js';
import { openFakeTerminal } from './fake-terminal.js';
import { lab } from './helpers.js';

const HOSTS = ['%host client 192.168.0.21/24', '%host server 192.168.0.22/24'];

function errors(text: string): readonly LabError[] {
  const r = parseLab('x.lab', text);
  return r.ok ? [] : r.errors;
}

/** Errors found when building the network (after parsing succeeded). */
function buildErrors(text: string): readonly LabError[] {
  const r = parseLab('x.lab', text);
  if (!r.ok) return r.errors;
  const s = LabSession.create(r.lab, { openTerminal: openFakeTerminal });
  return s.ok ? [] : s.errors;
}

describe('the lab format', () => {
  test('kinds of line', () => {
    const r = parseLab(
      'x.lab',
      lab(
        '# title',
        '%seed 7',
        '%date 2026-03-01 12:00:00',
        ...HOSTS,
        '',
        'root@client:~# telnet server 80',
        'Trying 192.168.0.22...',
        '',
        'after a blank',
        '%type GET /',
        '^C',
        '^D',
        '%wait 2s',
        '\\# escaped',
        '',
        '# end',
      ),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.lab.seed).toBe(7);
    expect(r.lab.epochSeconds).toBe(Date.UTC(2026, 2, 1, 12) / 1000);
    expect(r.lab.entries.map((e) => e.kind)).toEqual([
      'comment',
      'header',
      'header',
      'header',
      'header',
      'blank',
      'action',
      'output',
      'output',
      'output',
      'action',
      'action',
      'action',
      'action',
      'output',
      'blank',
      'comment',
    ]);
    const actions = r.lab.entries.flatMap((e) => (e.kind === 'action' ? [e.action] : []));
    expect(actions).toEqual([
      { kind: 'prompt', user: 'root', host: 'client', command: 'telnet server 80' },
      { kind: 'type', user: 'root', host: 'client', text: 'GET /' },
      { kind: 'control', user: 'root', host: 'client', key: 'C' },
      { kind: 'control', user: 'root', host: 'client', key: 'D' },
      { kind: 'wait', duration: 2e9 },
    ]);
    const escaped = r.lab.entries[14];
    expect(escaped).toEqual({ kind: 'output', line: 15, text: '# escaped' });
  });

  test('hosts, segments, NICs and links with their properties', () => {
    const r = parseLab(
      'x.lab',
      lab(
        '%segment lan delay=1ms jitter=100us loss=1% rate=10mbit mtu=1400',
        '%segment wan queue=10 duplicate=0.01 reorder=5% reorder-delay=2ms corrupt=0',
        '%host client 192.168.0.21/24 10.0.0.21/8 mac=02:00:00:00:00:21 gateway=192.168.0.1',
        '%host router 192.168.0.1/24',
        '%nic router wan 172.16.0.1/24 mtu=9000',
        '%host far',
        '%link far:10.9.0.2/30 router:10.9.0.1/30 delay=50ms name=dsl',
        '%sysctl * net.ipv4.tcp_rmem="4096 131072 33554432"',
        'root@client:~# true',
      ),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.lab.segments[0]).toEqual({
      line: 1,
      name: 'lan',
      properties: { delay: 1e6, jitter: 1e5, loss: 0.01, bandwidth: 1e7, mtu: 1414 },
      mtu: 1400,
    });
    expect(r.lab.segments[1]?.properties).toEqual({
      queueLimit: 10,
      duplicate: 0.01,
      reorder: 0.05,
      reorderDelay: 2e6,
      corrupt: 0,
    });
    expect(r.lab.hosts[0]).toEqual({
      line: 3,
      name: 'client',
      segment: 'lan',
      addresses: ['192.168.0.21/24', '10.0.0.21/8'],
      mac: '02:00:00:00:00:21',
      gateway: '192.168.0.1',
    });
    expect(r.lab.hosts[2]?.segment).toBeUndefined();
    expect(r.lab.nics[0]).toEqual({
      line: 5,
      host: 'router',
      segment: 'wan',
      addresses: ['172.16.0.1/24'],
      mtu: 9000,
    });
    expect(r.lab.links[0]).toEqual({
      line: 7,
      name: 'dsl',
      a: { host: 'far', addresses: ['10.9.0.2/30'] },
      b: { host: 'router', addresses: ['10.9.0.1/30'] },
      properties: { delay: 50e6 },
    });
    expect(r.lab.sysctls).toEqual([
      { line: 8, host: '*', name: 'net.ipv4.tcp_rmem', value: '4096 131072 33554432' },
    ]);
  });

  test('the network is built as declared', () => {
    const r = parseLab(
      'x.lab',
      lab(
        '%segment wan delay=5ms mtu=1400',
        '%host client 192.168.0.21/24 192.168.0.121/24',
        '%host router 192.168.0.1/24',
        '%nic router wan 172.16.0.1/24',
        '%host far',
        '%link far:10.9.0.2/30 router:10.9.0.1/30 delay=50ms',
        '%sysctl router net.ipv4.ip_forward=1',
        'root@client:~# true',
      ),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const s = LabSession.create(r.lab, { openTerminal: openFakeTerminal });
    if (!s.ok) throw new Error(JSON.stringify(s.errors));
    const net = s.session.network;
    const describe = (name: string) =>
      net
        .host(name)
        .interfaces.filter((i) => i.kind === 'ethernet')
        .map((i) => `${i.name} mtu ${i.mtu} ${i.addresses.length} addr`);
    expect(describe('client')).toEqual(['eth0 mtu 1500 2 addr']);
    expect(describe('router')).toEqual([
      'eth0 mtu 1500 1 addr',
      'eth1 mtu 1400 1 addr',
      'eth2 mtu 1500 1 addr',
    ]);
    expect(describe('far')).toEqual(['eth0 mtu 1500 1 addr']);
    expect(net.links.map((l) => l.name)).toEqual(['wan', 'lan', 'far-router']);
    expect(net.link('far-router').properties.delay).toBe(50e6);
    expect(net.host('router').sysctl.get('net.ipv4.ip_forward')).toBe(1);
  });

  test('every error names its line and what is wrong', () => {
    expect(
      errors(
        lab(
          '%hots client 1.2.3.4/24',
          '%host client 192.168.0.300/24',
          '%host server 192.168.0.22',
          '%host 9$ 10.0.0.1/8',
          '%seed x',
          '%date yesterday',
          '%segment wan lossy=1%',
          '%segment wan2 loss=150%',
          '%segment wan3 delay=fast',
          '%link client client:10.0.0.9/8',
          '%host other 10.0.0.3/8 color=red',
          '%host ok 10.0.0.1/8',
          'stray output',
          'root@nobody:~# ls',
          '%type hi',
          '^C',
          "root@ok:~# echo 'unterminated",
          'root@ok:~# echo continued \\',
          '^Z',
          '%settle',
          'root@ok:~# ls',
          '%host late 10.0.0.2/8',
        ),
      ),
    ).toEqual([
      {
        line: 1,
        message:
          'unknown directive "%hots" (known: %seed %date %host %segment %nic %link %sysctl %settle %timeout %wait %type; output starting with % is written \\%…)',
      },
      {
        line: 2,
        message:
          '%host: bad address "192.168.0.300/24" (expected ADDRESS/PREFIX, like 192.168.0.21/24)',
      },
      {
        line: 3,
        message:
          '%host: bad address "192.168.0.22" (expected ADDRESS/PREFIX, like 192.168.0.21/24)',
      },
      { line: 4, message: '%host: "9$" is not a host name (letters, digits, . _ -)' },
      { line: 5, message: '%seed: "x" is not a whole number' },
      {
        line: 6,
        message:
          '%date: "yesterday" is not a date (2026-01-01 00:00:00, always UTC, or @EPOCH-SECONDS)',
      },
      {
        line: 7,
        message:
          '%segment: unknown property "lossy" (known: delay, jitter, loss, duplicate, corrupt, reorder, reorder-delay, rate, mtu, queue, queue-bytes)',
      },
      { line: 8, message: '%segment: loss: "150%" is more than 100%' },
      {
        line: 9,
        message:
          '%segment: delay: "fast" is not a duration (a number with a unit: 1s, 250ms, 10us, 2m, 1h)',
      },
      { line: 10, message: '%link: a link joins two different hosts' },
      { line: 11, message: '%host: unknown option "color" (known: segment, mac, mtu, gateway)' },
      {
        line: 13,
        message:
          'output before the first command: "stray output" (a command line looks like root@client:~# ls)',
      },
      {
        line: 14,
        message:
          'a prompt for host "nobody", which no %host declares (hosts: client, server, other, ok)',
      },
      { line: 15, message: '%type before the first command: there is no terminal to type into' },
      { line: 16, message: '^C before the first command: there is no terminal to press it in' },
      {
        line: 17,
        message: "unterminated quote (') in the command: a lab command must fit on its line",
      },
      {
        line: 18,
        message:
          'the command ends with a backslash (a continued line): a lab command must fit on its line',
      },
      {
        line: 19,
        message:
          'unknown control key "^Z" (a line ^C or ^D; output starting with ^ is written \\^…)',
      },
      { line: 20, message: '%settle: expected one duration: %settle 1s' },
      { line: 22, message: '%host must come before the first command (it sets up the network)' },
    ]);
  });

  test('a lab without a command is an error', () => {
    expect(errors(lab(...HOSTS))).toEqual([
      { line: 2, message: 'the lab has no command (a line like root@client:~# ls)' },
    ]);
  });

  test('errors found while building the network carry their line', () => {
    expect(buildErrors(lab('%host a 10.0.0.1/8 segment=nowhere', 'root@a:~# ls'))).toEqual([
      { line: 1, message: 'no segment called nowhere (declare it with %segment nowhere)' },
    ]);
    expect(buildErrors(lab('%host a 10.0.0.1/8 10.0.0.1/8', 'root@a:~# ls'))).toEqual([
      { line: 1, message: 'address 10.0.0.1/8 is given twice' },
    ]);
    expect(
      buildErrors(
        lab(
          '%host a 10.0.0.1/8',
          '%sysctl a net.ipv4.tcp_nonsense=1',
          '%sysctl a net.ipv4.tcp_syn_retries=many',
          'root@a:~# ls',
        ),
      ),
    ).toEqual([
      { line: 2, message: 'no sysctl called net.ipv4.tcp_nonsense' },
      {
        line: 3,
        message: 'net.ipv4.tcp_syn_retries=many: Invalid argument (as "sysctl -w" would say)',
      },
    ]);
  });

  test('CRLF line ends and a byte-order mark are accepted', () => {
    const r = parseLab('x.lab', '\uFEFF%host a 10.0.0.1/8\r\nroot@a:~# ls\r\nfile\r\n');
    expect(r.ok).toBe(true);
  });
});
