/**
 * The small commands where virtual time, the terminal or other processes matter:
 * sleep and date on the lab's clock, streaming filters in pipelines, SIGPIPE,
 * tail -f, ls on a terminal, env and which with the system's command table,
 * timeout with its signals, awk streaming and what it refuses.
 */

import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/os/process.js';
import { s } from '../../../src/sim/time.js';
import { session } from '../../shell/helpers.js';

/** `ticker`: `tick N` every second, forever. */
const ticker: Command = async (p) => {
  for (let i = 1; ; i++) {
    await p.sleep(s(1));
    p.stdout.write(`tick ${i}\n`);
  }
};

describe('sleep', () => {
  it('sums its arguments with their suffixes, on virtual time', async () => {
    const t = await session();
    expect(await t.type('sleep 1m 0.5s 1.5; echo $?')).toBe('0\n');
    expect(t.system.now).toBe(s(62));
    await t.type('sleep .25');
    expect(t.system.now).toBe(s(62.25));
  });

  it('sleep infinity lasts until interrupted', async () => {
    const t = await session();
    await t.type('sleep infinity', 1000);
    expect(t.term.atPrompt).toBe(false);
    expect(await t.interrupt()).toBe('\n');
  });

  it('rejects bad intervals with coreutils messages', async () => {
    const t = await session();
    expect(await t.type('sleep 1x; echo $?')).toBe(
      "sleep: invalid time interval '1x'\nTry 'sleep --help' for more information.\n1\n",
    );
    expect(t.system.now).toBe(0);
  });
});

describe('date', () => {
  it("prints the lab's wall clock in UTC (2026-01-01 00:00:00 at virtual time 0)", async () => {
    const t = await session();
    expect(await t.type('date')).toBe('Thu Jan  1 00:00:00 UTC 2026\n');
    await t.type('sleep 3723.5');
    expect(await t.type("date '+%F %T.%N %s %Z %z %a %A %b %B %j %e %H %I %p'")).toBe(
      '2026-01-01 01:02:03.500000000 1767229323 UTC +0000 Thu Thursday Jan January 001  1 01 01 AM\n',
    );
    expect(await t.type('date -u +%D')).toBe('01/01/26\n');
  });
});

describe('filters in pipelines', () => {
  it('grep prints each line as it arrives', async () => {
    const t = await session({ extra: { ticker } });
    expect(await t.type('ticker | grep -E "tick [13]" &')).toBe('[1] 1002\n');
    expect(await t.run(1.5)).toBe('tick 1\n');
    expect(await t.run(2)).toBe('tick 3\n');
    await t.type('kill %1');
  });

  it('head exits after its lines; the writer then dies of SIGPIPE and the pipeline ends', async () => {
    const t = await session({ extra: { ticker } });
    expect(await t.type('ticker | head -n 2; echo $?')).toBe('tick 1\ntick 2\n0\n');
    expect(t.system.now).toBe(s(3));
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash']);
  });

  it('tail -f follows a file another process appends to', async () => {
    const t = await session({ extra: { ticker } });
    await t.type('ticker > log.txt &');
    await t.type('tail -f log.txt &');
    t.take();
    expect(await t.run(3.5)).toBe('tick 1\ntick 2\ntick 3\n');
    await t.type('kill %1 %2');
  });
});

describe('files', () => {
  it('ls prints columns on the terminal and one name per line into a pipe', async () => {
    const t = await session();
    await t.type('touch a.txt b.txt c.log; mkdir d');
    expect(await t.type('ls')).toBe('a.txt  b.txt  c.log  d\n');
    expect(await t.type('ls | cat')).toBe('a.txt\nb.txt\nc.log\nd\n');
    expect(await t.type('ls *.txt')).toBe('a.txt  b.txt\n');
    expect(await t.type('rm a.txt; ls -1')).toBe('b.txt\nc.log\nd\n');
  });

  it('/dev/null reads as an empty file and is no regular file (as on Linux)', async () => {
    const t = await session();
    t.take();
    expect(await t.type('cat /dev/null; echo $?; wc -c /dev/null; grep x /dev/null; echo $?')).toBe(
      '0\n0 /dev/null\n1\n',
    );
    expect(await t.type('[ -f /dev/null ]; echo $?; [ -e /dev/null ]; echo $?')).toBe('1\n0\n');
    expect(await t.type('tcpdump -r /dev/null')).toBe(
      'tcpdump: truncated dump file; tried to read 4 file header bytes, only got 0\n',
    );
  });

  it("name files in messages as coreutils 9.1 does (quotef): 'a b', '', \"it's\"; grep as it is", async () => {
    const t = await session();
    t.take();
    expect(
      await t.type(
        'for c in cat wc sort uniq "cut -c1" "grep x" head; do $c \'a b\' < /dev/null 2>&1; done',
      ),
    ).toBe(
      [
        "cat: 'a b': No such file or directory",
        "wc: 'a b': No such file or directory",
        "sort: cannot read: 'a b': No such file or directory",
        "uniq: 'a b': No such file or directory",
        "cut: 'a b': No such file or directory",
        'grep: a b: No such file or directory',
        "head: cannot open 'a b' for reading: No such file or directory",
        '',
      ].join('\n'),
    );
    expect(await t.type('cat "" "it\'s" "a:b" x#; wc ""')).toBe(
      [
        "cat: '': No such file or directory",
        'cat: "it\'s": No such file or directory',
        "cat: 'a:b': No such file or directory",
        'cat: x#: No such file or directory',
        'wc: invalid zero-length file name',
        '',
      ].join('\n'),
    );
    expect(await t.type('cd ""; echo $?; pwd')).toBe('0\n/root\n');
  });

  it('tee writes its input to files and standard output', async () => {
    const t = await session();
    expect(await t.type('seq 2 | tee s.txt | wc -l; cat s.txt')).toBe('2\n1\n2\n');
    expect(await t.type('echo 3 | tee -a s.txt > /dev/null; cat s.txt')).toBe('1\n2\n3\n');
  });
});

describe('env and which', () => {
  it('env prints the exported variables and runs a command with more', async () => {
    const t = await session();
    expect(await t.type('env | grep -E "^(HOME|USER|SHELL)="')).toBe(
      'HOME=/root\nSHELL=/bin/bash\nUSER=root\n',
    );
    expect(await t.type('env X=1 env | grep ^X=')).toBe('X=1\n');
    expect(await t.type('env nothere; echo $?')).toBe(
      "env: 'nothere': No such file or directory\n127\n",
    );
  });

  it('which finds commands on the PATH of the command table', async () => {
    const t = await session();
    expect(await t.type('which sleep grep nothere; echo $?')).toBe(
      '/usr/bin/sleep\n/usr/bin/grep\n1\n',
    );
  });
});

describe('timeout', () => {
  it('stops a command at the deadline (124) on virtual time; the command ends earlier, its status', async () => {
    const t = await session();
    expect(await t.type('timeout 2.5 sleep 10; echo $?')).toBe('124\n');
    expect(t.system.now).toBe(s(2.5));
    expect(await t.type('timeout 5 sleep 1; echo $?')).toBe('0\n');
    expect(t.system.now).toBe(s(3.5));
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash']);
  });

  it('KILL reaches its process group, timeout included: bash reports it Killed (137)', async () => {
    const t = await session();
    expect(await t.type('timeout -s KILL 1 sleep 3; echo $?')).toBe('Killed\n137\n');
    expect(await t.type('timeout -v -k 1 -s CONT 1 sleep 5; echo $?')).toBe(
      "timeout: sending signal CONT to command 'sleep'\n" +
        "timeout: sending signal KILL to command 'sleep'\nKilled\n137\n",
    );
    expect(t.system.now).toBe(s(3));
  });

  it('^C reaches the command through timeout (its cleanup handler)', async () => {
    const t = await session({ extra: { ticker } });
    t.term.typeLine('timeout 100 ticker');
    expect(await t.run(2.5)).toBe('tick 1\ntick 2\n');
    await t.interrupt();
    expect(await t.type('echo $?')).toBe('130\n');
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash']);
  });
});

describe('awk', () => {
  it('reads a pipe line by line: each line is printed as it comes', async () => {
    const t = await session({ extra: { ticker } });
    t.term.typeLine("ticker | awk '{print $2 * 10}'");
    expect(await t.run(2.5)).toBe('10\n20\n');
    await t.interrupt();
  });

  it('refuses what it does not implement, with a message, exit 2 (never runs it differently)', async () => {
    const t = await session();
    for (const [program, what] of [
      ['BEGIN { getline; print }', 'getline is'],
      ['function f(x) { return x } BEGIN { print f(1) }', 'functions are'],
      ['BEGIN { system("ls") }', 'system() is'],
      ['BEGIN { print "x" | "cat" }', 'output to a pipe is'],
    ]) {
      expect(await t.type(`awk '${program}'; echo $?`)).toBe(
        `awk: line 1: ${what} not supported by tcplab's awk\n2\n`,
      );
    }
  });

  it('counts the states of ss, as the classic one-liner does', async () => {
    const t = await session();
    await t.type('printf "State A\\nESTAB x\\nLISTEN y\\nESTAB z\\n" > /tmp/ss');
    expect(
      await t.type("awk 'NR > 1 { c[$1]++ } END { for (s in c) print c[s], s }' /tmp/ss"),
    ).toBe('2 ESTAB\n1 LISTEN\n');
  });

  it('stops a runaway loop with a run time error; the bound is per record, not per run', async () => {
    const t = await session();
    expect(await t.type('awk \'BEGIN { print "a"; while (1) n++ }\'; echo $?')).toBe(
      'a\nawk: run time error: stopped after 10000000 loop iterations: ' +
        "tcplab's awk runs between two events of the simulation and cannot be interrupted\n" +
        '\tFILENAME="" FNR=0 NR=0\n2\n',
    );
    // 3 records of 4 million iterations each: 12 million in all, under the bound each time.
    expect(
      await t.type("seq 3 | awk '{ for (i = 0; i < 4000000; i++) n++ } END { print n }'; echo $?"),
    ).toBe('12000000\n0\n');
  }, 60_000);
});
