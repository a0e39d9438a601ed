/**
 * Rules as text: what `iptables -S` prints reads back as the same rule, the
 * save/restore round trip keeps a table as it was, and xt_limit's bucket in
 * jiffies.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NETFILTER_COMMANDS, restoreWords } from '../../src/netfilter/commands.js';
import { limitAllows, newLimitState, nftRate } from '../../src/netfilter/rule.js';
import { textInput } from '../../src/os/streams.js';
import { System } from '../../src/os/system.js';
import { Network } from '../../src/sim/network.js';
import { ms, s } from '../../src/sim/time.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

function host() {
  const net = new Network({ seed: 1 });
  const h = net.addHost('h', { segment: net.segment('lan'), address: '192.168.0.22/24' });
  const sys = new System(net, { commands: new Map(Object.entries(NETFILTER_COMMANDS)) });
  const run = (argv: string[], stdin = '') => sys.exec(h, argv, { stdin: textInput(stdin) });
  return { h, sys, run };
}

/** Every `-A` line the real iptables printed in the fixtures. */
function realRuleLines(): string[] {
  const cases = JSON.parse(
    readFileSync(join(HERE, 'fixtures/real-iptables.json'), 'utf8'),
  ) as Record<string, { argv: string[]; stdout: string }[]>;
  const lines = new Set<string>();
  for (const commands of Object.values(cases)) {
    for (const c of commands) {
      if (c.argv[0] !== 'iptables' || !c.argv.includes('-S')) continue;
      for (const l of c.stdout.split('\n'))
        if (l.startsWith('-A ') && !l.includes(' -c ')) lines.add(l);
    }
  }
  return [...lines];
}

describe('-S reads back as the same rule', () => {
  test('every rule line the real iptables printed', async () => {
    const lines = realRuleLines();
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) {
      const { run } = host();
      const words = restoreWords(line);
      // The chain it is in and the one it jumps to, if they are user chains.
      const builtin = new Set([
        'INPUT',
        'FORWARD',
        'OUTPUT',
        'ACCEPT',
        'DROP',
        'RETURN',
        'REJECT',
        'LOG',
      ]);
      const jump = words.findIndex((w) => w === '-j' || w === '-g');
      for (const c of new Set([words[1]!, jump >= 0 ? words[jump + 1]! : 'INPUT'])) {
        if (!builtin.has(c)) await run(['iptables', '-N', c]);
      }
      const add = await run(['iptables', ...words]);
      expect({ line, stderr: add.stderr, status: add.status }).toEqual({
        line,
        stderr: '',
        status: 0,
      });
      const chain = words[1]!;
      const listed = await run(['iptables', '-S', chain, '1']);
      expect(listed.stdout).toBe(`${line}\n`);
      // And -D with the same words finds it.
      const del = await run(['iptables', '-D', ...words.slice(1)]);
      expect({ line, status: del.status }).toEqual({ line, status: 0 });
    }
  });
});

describe('iptables-save | iptables-restore', () => {
  test('a table survives the round trip, counters included with -c', async () => {
    const { run, h, sys } = host();
    await run(['iptables', '-P', 'INPUT', 'DROP']);
    await run(['iptables', '-N', 'web']);
    await run(['iptables', '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT']);
    await run([
      'iptables',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '-m',
      'multiport',
      '--dports',
      '80,443',
      '-j',
      'web',
    ]);
    await run([
      'iptables',
      '-A',
      'web',
      '-s',
      '10.0.0.0/8',
      '-c',
      '7',
      '420',
      '-j',
      'LOG',
      '--log-prefix',
      'web hit: ',
    ]);
    await run(['iptables', '-A', 'web', '-j', 'ACCEPT']);
    const saved = (await run(['iptables-save', '-c'])).stdout;
    const fs = sys.fs(h);
    fs.writeFile('/root/rules.v4', new TextEncoder().encode(saved));
    await run(['iptables', '-F']);
    await run(['iptables', '-X']);
    await run(['iptables', '-P', 'INPUT', 'ACCEPT']);
    expect((await run(['iptables-restore', '-c', 'rules.v4'])).status).toBe(0);
    expect((await run(['iptables-save', '-c'])).stdout).toBe(saved);
    expect(saved).toContain('[7:420] -A web -s 10.0.0.0/8 -j LOG --log-prefix "web hit: "\n');
  });

  test('a failing table leaves the one before as it was; --noflush appends', async () => {
    const { run } = host();
    await run(['iptables', '-A', 'INPUT', '-j', 'ACCEPT']);
    const bad = await run(
      ['iptables-restore'],
      '*filter\n-A INPUT -j DROP\n-A INPUT -p bogus\nCOMMIT\n',
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'iptables-restore v1.8.9 (nf_tables): unknown protocol "bogus" specified\n' +
        'Error occurred at line: 3\n' +
        "Try `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    );
    expect((await run(['iptables', '-S', 'INPUT'])).stdout).toBe(
      '-P INPUT ACCEPT\n-A INPUT -j ACCEPT\n',
    );
    await run(['iptables-restore', '-n'], '*filter\n-A INPUT -j DROP\nCOMMIT\n');
    expect((await run(['iptables', '-S', 'INPUT'])).stdout).toBe(
      '-P INPUT ACCEPT\n-A INPUT -j ACCEPT\n-A INPUT -j DROP\n',
    );
  });
});

describe('-m limit (nft_limit, as iptables-nft installs it)', () => {
  test('500/s, burst 5: cost 2 ms of credit, a full bucket of 10 ms to start', () => {
    // --limit 500/s: xt avg 10000/500 = 20 → nft rate 500 per 1 s.
    expect(nftRate(20)).toEqual({ rate: 500, unit: 1 });
    const st = newLimitState(20, 5, 0);
    expect([st.cost, st.tokensMax]).toEqual([ms(2), ms(10)]);
    const at = (t: number) => limitAllows(st, t);
    expect([at(0), at(0), at(0), at(0), at(0), at(0)]).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    // 1.999 ms later not yet; at 2 ms one more.
    expect(at(ms(1.999))).toBe(false);
    expect(at(ms(2))).toBe(true);
    expect(at(ms(2))).toBe(false);
    // Idle for long: no more than the burst.
    expect(Array.from({ length: 7 }, () => at(s(100))).filter(Boolean).length).toBe(5);
  });

  test('3/hour (the default) lets 5 through, then one per 20 minutes', () => {
    const avg = (10000 * 3600) / 3;
    expect(nftRate(avg)).toEqual({ rate: 3, unit: 3600 });
    const st = newLimitState(avg, 5, 0);
    for (let k = 0; k < 5; k++) expect(limitAllows(st, 0)).toBe(true);
    expect(limitAllows(st, 0)).toBe(false);
    expect(limitAllows(st, s(1200) - 1)).toBe(false);
    expect(limitAllows(st, s(1200))).toBe(true);
  });

  test('7/min: nft rate 7 per 60 s, as add_nft_limit picks the unit', () => {
    expect(nftRate(Math.floor(600000 / 7))).toEqual({ rate: 7, unit: 60 });
  });
});

describe('names in -L', () => {
  test('/etc/hosts names for hosts, /etc/networks names for networks, services for ports', async () => {
    const { run, h } = host();
    h.etcHosts.set('client', 0xc0a8_0015);
    await run([
      'iptables',
      '-A',
      'INPUT',
      '-s',
      'client',
      '-d',
      '127.0.0.0/8',
      '-p',
      'udp',
      '--dport',
      '53',
      '-j',
      'ACCEPT',
    ]);
    expect((await run(['iptables', '-L', 'INPUT'])).stdout).toBe(
      'Chain INPUT (policy ACCEPT)\n' +
        'target     prot opt source               destination         \n' +
        'ACCEPT     udp  --  client               loopback/8           udp dpt:domain\n',
    );
    expect((await run(['iptables', '-S', 'INPUT'])).stdout).toBe(
      '-P INPUT ACCEPT\n-A INPUT -s 192.168.0.21/32 -d 127.0.0.0/8 -p udp -m udp --dport 53 -j ACCEPT\n',
    );
  });
});

describe('bad input never crashes', () => {
  test('token soup (fast-check, seeded): every command line ends with a status, never a throw', async () => {
    const tokens = [
      '-A',
      '-I',
      '-D',
      '-R',
      '-L',
      '-S',
      '-F',
      '-Z',
      '-N',
      '-X',
      '-E',
      '-P',
      '-C',
      '-n',
      '-v',
      '-x',
      '--line-numbers',
      '-p',
      'tcp',
      'udp',
      'icmp',
      'all',
      '!',
      '-s',
      '-d',
      '10.0.0.0/8',
      '1.2.3',
      '-i',
      '-o',
      'eth0',
      'lo',
      '-j',
      '-g',
      'ACCEPT',
      'DROP',
      'REJECT',
      'LOG',
      'RETURN',
      'INPUT',
      'OUTPUT',
      'FORWARD',
      'x',
      '1',
      '0',
      '99',
      '--dport',
      '--sport',
      '80:90',
      ':',
      '--syn',
      '--tcp-flags',
      'SYN,ACK',
      'ALL',
      '-m',
      'multiport',
      'limit',
      'conntrack',
      'state',
      '--dports',
      '1,2',
      '--limit',
      '5/s',
      '--limit-burst',
      '--ctstate',
      'NEW',
      '--state',
      '--icmp-type',
      'any',
      '3/4',
      '--reject-with',
      'tcp-reset',
      '--log-prefix',
      '--log-level',
      '-c',
      '5',
      '-t',
      'nat',
      '-h',
      '-V',
      '--',
      '-',
      '',
      '-nvL',
      '-Lnv',
      '--foo',
      '=',
    ];
    const { run } = host();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...tokens), { maxLength: 10 }), async (words) => {
        const r = await run(['iptables', ...words]);
        expect([0, 1, 2, 3, 4]).toContain(r.status);
        if (r.status !== 0) expect(r.stderr).not.toBe('');
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  test('restore soup: random lines never throw', async () => {
    const lines = [
      '*filter',
      'COMMIT',
      ':INPUT DROP [1:2]',
      ':x - [0:0]',
      ':INPUT',
      '-A INPUT -j x',
      '-A x -j ACCEPT',
      '[1:2] -A INPUT -p tcp --dport 80 -j DROP',
      '# c',
      '',
      '-N y',
      'junk',
      '-A INPUT -m limit --limit 1/s',
      '*nat',
      ':FOO BAR [a:b]',
      '-X x',
      '-F',
      '"unterminated',
    ];
    const { run } = host();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...lines), { maxLength: 8 }), async (ls) => {
        const r = await run(['iptables-restore', '-c'], `${ls.join('\n')}\n`);
        expect([0, 1, 2, 4]).toContain(r.status);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
