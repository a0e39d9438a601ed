/**
 * The `tcplab run` and `tcplab shell` commands as a user runs them (the built
 * CLI, `npm run build`), on labs that use only bash's builtins.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const BIN = new URL('../../bin/tcplab.js', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const hasTcpdump = existsSync('/usr/bin/tcpdump');
if (!hasTcpdump)
  console.warn('tcpdump is not installed: reading --pcap/--out files with it is skipped');

function tcplab(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'GMT0' },
    ...(input !== undefined ? { input } : {}),
  });
}

function labFile(name: string, text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'tcplab-cli-'));
  const path = join(d, name);
  writeFileSync(path, text);
  return path;
}

const GOOD = [
  '%host client 192.168.0.21/24',
  '%host server 192.168.0.22/24',
  'root@client:~# echo "hello from $HOSTNAME"',
  'hello from client',
  'root@server:~# cd /tmp',
  'root@server:/tmp# pwd',
  '/tmp',
  '',
].join('\n');

describe('tcplab run (the CLI)', () => {
  test('a passing lab', () => {
    const path = labFile('good.lab', GOOD);
    const r = tcplab(['run', path]);
    expect(r.stdout).toBe(`PASS ${path} (3 commands, 3.0 s virtual)\n1 passed, 0 failed\n`);
    expect(r.status).toBe(0);
  });

  test('a deliberate mistake: the diff with file:line, exit 1', () => {
    const path = labFile('bad.lab', GOOD.replace('hello from client', 'hello from server'));
    const r = tcplab(['run', path]);
    expect(r.stdout).toBe(
      [
        `--- ${path} (expected)`,
        `+++ ${path} (actual)`,
        `${path}:4:`,
        '@@ -1,7 +1,7 @@',
        ' %host client 192.168.0.21/24',
        ' %host server 192.168.0.22/24',
        ' root@client:~# echo "hello from $HOSTNAME"',
        '-hello from server',
        '+hello from client',
        ' root@server:~# cd /tmp',
        ' root@server:/tmp# pwd',
        ' /tmp',
        `FAIL ${path} (3 commands, 3.0 s virtual)`,
        '0 passed, 1 failed',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(1);
  });

  test('an error in the lab: file:line: what is wrong, exit 2, no stack trace', () => {
    const path = labFile(
      'broken.lab',
      '%host client 192.168.0.21/24\n%frobnicate\nroot@client:~# echo\n',
    );
    const r = tcplab(['run', path]);
    expect(r.stderr).toBe(
      `${path}:2: unknown directive "%frobnicate" (known: %seed %date %host %segment %nic %link %sysctl %settle %timeout %wait %type; output starting with % is written \\%…)\n`,
    );
    expect(r.status).toBe(2);
  });

  test('a reader that goes away (| head) ends the run quietly, as SIGPIPE would', () => {
    // More than a pipe holds (64 KiB), so that the writer meets the closed pipe.
    const lab = labFile('long.lab', '%host client 192.168.0.21/24\nroot@client:~# seq 1 30000\n');
    const r = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${BIN}" run --verbose "${lab}" | head -1`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stdout).toBe('%host client 192.168.0.21/24\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('bad options are refused with a message', () => {
    const r = tcplab(['run', '--seed', 'x', 'a.lab']);
    expect(r.stderr).toMatch(/option '--seed <n>' argument 'x' is invalid/);
    expect(r.status).not.toBe(0);
  });
});

describe('tcplab run --pcap and --out (the CLI, a seed lab)', () => {
  const d = mkdtempSync(join(tmpdir(), 'tcplab-files-'));
  const pcap = join(d, 'all.pcapng');
  const out = join(d, 'files');
  const r = tcplab(['run', '--pcap', pcap, '--out', out, `${ROOT}labs/capture-file.lab`]);

  test('the lab passes and both files are written', () => {
    expect(r.status).toBe(0);
    expect(readFileSync(pcap).subarray(0, 4)).toEqual(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
    expect(existsSync(join(out, 'client/root/telnet-80.pcap'))).toBe(true);
  });

  test.skipIf(!hasTcpdump)('the real tcpdump reads them', () => {
    const all = spawnSync('/usr/bin/tcpdump', ['-n', '-r', pcap], { encoding: 'utf8' });
    expect(all.status).toBe(0);
    expect(all.stderr).toMatch(/link-type EN10MB/);
    // Each frame between the hosts is seen on both NICs: the SYN twice.
    expect(all.stdout.match(/Flags \[S\],/g)).toHaveLength(2);
    const one = spawnSync(
      '/usr/bin/tcpdump',
      ['-n', '-r', join(out, 'client/root/telnet-80.pcap')],
      {
        encoding: 'utf8',
      },
    );
    expect(one.status).toBe(0);
    expect(one.stdout.match(/Flags \[S\],/g)).toHaveLength(1);
  });
});

describe('tcplab shell (the CLI, input from a pipe)', () => {
  test('the default hosts; @HOST switches; exit leaves', () => {
    const r = tcplab(
      ['shell'],
      'echo one\n@server\nhostname -I 2>/dev/null; echo $HOSTNAME\nexit\n',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'root@client:~# echo one\none\nroot@client:~# @server\nroot@server:~# ',
    );
    expect(r.stdout).toContain('server\n');
  });

  test('a lab is played first', () => {
    const path = labFile('good.lab', GOOD);
    const r = tcplab(['shell', path], 'pwd\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('root@server:/tmp# pwd\n/tmp\n');
  });
});
