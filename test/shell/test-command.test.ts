/**
 * `test` and `[` (test.c): the cases that show the grammar, then the real bash
 * as the oracle: the same random argument lists run through bash 5.2.15 on
 * this machine and through tcplab's shell must print the same statuses and
 * messages (skipped, with the reason, where that bash is not installed).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

describe('test and [', () => {
  it('decide by the number of arguments up to four, by the grammar past that', async () => {
    const s = await session();
    s.take();
    const run = (line: string): Promise<string> => s.type(`${line}; echo $?`);
    expect(await run('[ ]')).toBe('1\n');
    expect(await run('[ -n ]')).toBe('0\n');
    expect(await run('[ ! -z ]')).toBe('1\n');
    expect(await run('[ a -a "" ]')).toBe('1\n');
    expect(await run('[ ! a = b ]')).toBe('0\n');
    expect(await run('[ \\( a = a \\) ]')).toBe('0\n');
    expect(await run('[ a = a -a \\( b != b -o 1 -lt 2 \\) ]')).toBe('0\n');
    expect(await run('[ ! ! -e /tmp -a -d /tmp ]')).toBe('0\n');
    // A binary test is tried first: "b c" -eq a is the error, not the count.
    expect(await run('[ "b c" -eq a b ]')).toBe('-bash: [: b c: integer expression expected\n2\n');
    expect(await run('[ a b c d e ]')).toBe('-bash: [: too many arguments\n2\n');
    expect(await run('[ \\( a ]')).toBe('-bash: [: (: unary operator expected\n2\n');
    expect(await run('[ \\( a -a b ]')).toBe("-bash: [: `)' expected, found ]\n2\n");
    expect(await run('test \\( a -a b')).toBe("-bash: test: `)' expected\n2\n");
    expect(await run('[ a = b -k ]')).toBe("-bash: [: syntax error: `-k' unexpected\n2\n");
    expect(await run('[ \\( a b c ]')).toBe("-bash: [: `)' expected, found b\n2\n");
    expect(await run('test -q x')).toBe('-bash: test: -q: unary operator expected\n2\n');
    expect(await run('[ 99999999999999999999 -gt 1 ]')).toBe(
      '-bash: [: 99999999999999999999: integer expression expected\n2\n',
    );
    expect(await run('[ " 3 " -eq 3 ]')).toBe('0\n');
  });

  it('tests the host’s files as root does: -x of a program or a directory, -c of /dev/null', async () => {
    const s = await session();
    s.take();
    const run = (line: string): Promise<string> => s.type(`${line}; echo $?`);
    expect(await run('[ -x /usr/bin/cat ]')).toBe('0\n');
    expect(await run('[ -x /etc/hosts ]')).toBe('1\n');
    expect(await run('[ -c /dev/null -a ! -s /dev/null ]')).toBe('0\n');
    expect(await run('touch f; [ -f f -a -r f -a -w f -a ! -s f ]')).toBe('0\n');
    expect(await run('x=1; [ -v x ] && ! [ -v nosuch ]')).toBe('0\n');
    expect(await run('[ -t 1 ]')).toBe('0\n');
    expect(await s.type('[ -t 1 ] | cat; (echo a; [ -t 1 ]; echo $?) | cat')).toBe('a\n1\n');
  });
});

const realBash = spawnSync('bash', ['--version'], { encoding: 'utf8' });
const bash52 = realBash.status === 0 && /version 5\.2\./.test(realBash.stdout);
if (!bash52)
  console.log('test/shell/test-command: skipping the comparison with bash 5.2 (not installed)');

describe.skipIf(!bash52)('test: the same statuses and messages as bash 5.2', () => {
  it('for 1500 random argument lists', async () => {
    // Arguments whose answers do not depend on the machine: no -N, -nt, -ot
    // (times), files that exist alike on both sides (t.sh is the script itself,
    // mode 0644 on both).
    const words = [
      '!',
      '(',
      ')',
      '-a',
      '-o',
      '-n',
      '-z',
      '-f',
      '-d',
      '-e',
      '-t',
      '-x',
      '-c',
      '-s',
      '-k',
      '-v',
      '-b',
      '-L',
      '-eq',
      '-lt',
      '-ge',
      '-ef',
      '=',
      '==',
      '!=',
      '<',
      '>',
      'a',
      '',
      '1',
      '2',
      ' 3 ',
      '-1',
      '/tmp',
      '/dev/null',
      't.sh',
      '/nonexistent',
      '-',
      '-q',
      'x',
      '99999999999999999999',
      ']',
    ];
    let seed = 20261122;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const quote = (w: string): string => `'${w.replace(/'/g, "'\\''")}'`;
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const n = rnd(7);
      const args: string[] = [];
      for (let k = 0; k < n; k++) args.push(words[rnd(words.length)] as string);
      const bracket = rnd(2) === 0;
      lines.push(
        `${bracket ? '[' : 'test'} ${args.map(quote).join(' ')}${bracket ? ' ]' : ''}; echo "$?"`,
      );
    }
    const script = `${lines.join('\n')}\n`;

    const dir = mkdtempSync(join(tmpdir(), 'tcplab-test-'));
    let real: string;
    try {
      writeFileSync(join(dir, 't.sh'), script);
      const r = spawnSync('bash', ['t.sh'], { cwd: dir, encoding: 'utf8', input: '' });
      real = r.stdout + r.stderr;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const s = await session();
    s.system.fs(s.host).writeFile('/root/t.sh', script);
    s.take();
    await s.type('bash t.sh < /dev/null > out 2> err');
    const fs = s.system.fs(s.host);
    const ours = `${fs.readText('/root/out')}${fs.readText('/root/err')}`;
    const theirs = real.split('\n');
    const mine = ours.split('\n');
    for (let i = 0; i < Math.max(theirs.length, mine.length); i++) {
      if (theirs[i] !== mine[i]) {
        throw new Error(
          `first difference at output line ${i + 1}: bash ${JSON.stringify(theirs[i])}, tcplab ${JSON.stringify(mine[i])}${i < lines.length ? ` (${lines[i]})` : ''}`,
        );
      }
    }
  });
});
