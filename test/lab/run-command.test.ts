import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/pcap.js';
import { type RunOptions, runLabs } from '../../src/lab/run-command.js';
import { openFakeTerminal } from './fake-terminal.js';
import { lab, TEST_COMMANDS } from './helpers.js';

const HOSTS = ['%host client 192.168.0.21/24', '%host server 192.168.0.22/24'];

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'tcplab-lab-'));
}

async function run(paths: string[], options: RunOptions = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runLabs(paths, options, {
    openTerminal: openFakeTerminal,
    commands: TEST_COMMANDS,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { status, stdout, stderr };
}

describe('tcplab run', () => {
  test('passing labs: a PASS line each, then the count; exit 0', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.lab'), lab(...HOSTS, 'root@client:~# echo a', 'a'));
    writeFileSync(
      join(d, 'b.lab'),
      lab(...HOSTS, 'root@client:~# sleep 130', 'root@client:~# echo b', 'b'),
    );
    const r = await run([join(d, 'a.lab'), join(d, 'b.lab')]);
    expect(r.stdout).toBe(
      `PASS ${d}/a.lab (1 command, 1.0 s virtual)\nPASS ${d}/b.lab (2 commands, 131.0 s virtual)\n2 passed, 0 failed\n`,
    );
    expect(r.status).toBe(0);
  });

  test('a lab with a deliberate mistake: a readable diff, FAIL, exit 1', async () => {
    const d = dir();
    const path = join(d, 'bad.lab');
    writeFileSync(path, lab(...HOSTS, '# say it', 'root@client:~# echo hello', 'helo'));
    const r = await run([path]);
    expect(r.stdout).toBe(
      [
        `--- ${path} (expected)`,
        `+++ ${path} (actual)`,
        `${path}:5:`,
        '@@ -2,4 +2,4 @@',
        ' %host server 192.168.0.22/24',
        ' # say it',
        ' root@client:~# echo hello',
        '-helo',
        '+hello',
        `FAIL ${path} (1 command, 1.0 s virtual)`,
        '0 passed, 1 failed',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(1);
  });

  test('--update rewrites the expected output in place, keeping the rest; then it passes', async () => {
    const d = dir();
    const path = join(d, 'u.lab');
    writeFileSync(
      path,
      lab(
        '# A comment.',
        ...HOSTS,
        '',
        'root@client:~# echo one',
        'wrong',
        '# between',
        'also wrong',
        '',
        'root@client:~# cat',
        '%type # typed',
        'stale',
        '^D',
        'root@server:~# echo two',
      ),
    );
    const r = await run([path], { update: true });
    expect(r.stdout).toBe(`UPDATED ${path} (3 commands, 5.0 s virtual)\n1 passed, 0 failed\n`);
    expect(readFileSync(path, 'utf8')).toBe(
      lab(
        '# A comment.',
        ...HOSTS,
        '',
        'root@client:~# echo one',
        'one',
        '# between',
        '',
        'root@client:~# cat',
        '%type # typed',
        '\\# typed',
        '^D',
        'root@server:~# echo two',
        'two',
      ),
    );
    const again = await run([path]);
    expect(again.stdout).toBe(`PASS ${path} (3 commands, 5.0 s virtual)\n1 passed, 0 failed\n`);
  });

  test('an error in a lab: file:line: message on stderr, exit 2, the other labs still run', async () => {
    const d = dir();
    writeFileSync(join(d, 'bad.lab'), lab('%host client 192.168.0.21', 'root@client:~# echo a'));
    writeFileSync(join(d, 'good.lab'), lab(...HOSTS, 'root@client:~# echo a', 'a'));
    const r = await run([join(d, 'bad.lab'), join(d, 'missing.lab'), join(d, 'good.lab')]);
    expect(r.stderr).toBe(
      `${d}/bad.lab:1: %host: bad address "192.168.0.21" (expected ADDRESS/PREFIX, like 192.168.0.21/24)\n` +
        `tcplab run: ${d}/missing.lab: No such file or directory\n`,
    );
    expect(r.stdout).toBe(
      `FAIL ${d}/bad.lab (an error in the lab)\nFAIL ${d}/missing.lab (cannot read it)\nPASS ${d}/good.lab (1 command, 1.0 s virtual)\n1 passed, 2 failed\n`,
    );
    expect(r.status).toBe(2);
  });

  test('a job that never ends: the diff so far, file:line: still running, FAIL', async () => {
    const d = dir();
    const path = join(d, 'hang.lab');
    writeFileSync(path, lab(...HOSTS, 'root@client:~# sleep 99999', 'root@client:~# echo x', 'x'));
    const r = await run([path]);
    expect(r.stderr).toBe(
      `${path}:4: the foreground job on client is still running after 1h of virtual time, so this command cannot be typed (end it with ^C, or run it in the background with &)\n`,
    );
    expect(r.stdout).toBe(`FAIL ${path} (1 command, 3600.0 s virtual)\n0 passed, 1 failed\n`);
    expect(r.status).toBe(1);
  });

  test('--seed changes the random choices', async () => {
    const d = dir();
    const path = join(d, 's.lab');
    writeFileSync(
      path,
      lab(
        ...HOSTS,
        'root@server:~# listen 80 &',
        'root@client:~# dial 192.168.0.22 80',
        'local port 1',
      ),
    );
    const a = await run([path], { seed: 1, verbose: true });
    const b = await run([path], { seed: 1, verbose: true });
    const c = await run([path], { seed: 9, verbose: true });
    const port = (t: string) => /local port (\d+)/.exec(t)?.[1];
    expect(port(a.stdout)).toBe(port(b.stdout));
    expect(port(a.stdout)).not.toBe(port(c.stdout));
  });

  test('--pcap writes every frame of every interface as pcapng, one interface per host NIC', async () => {
    const d = dir();
    const path = join(d, 'p.lab');
    writeFileSync(
      path,
      lab(
        ...HOSTS,
        'root@server:~# listen 80 &',
        'root@client:~# dial 192.168.0.22 80',
        'local port 1',
      ),
    );
    await run([path], { pcap: join(d, 'out.pcapng') });
    const file = new Uint8Array(readFileSync(join(d, 'out.pcapng')));
    const r = readCapture(file);
    if ('error' in r && !('records' in r)) throw new Error('unreadable capture');
    expect(r.format).toBe('pcapng');
    const names = r.interfaces.map((i) => i.name);
    expect(names).toContain('client:eth0');
    expect(names).toContain('server:eth0');
    // ARP request and reply, SYN, SYN-ACK, ACK, each seen on both NICs, at least.
    expect(r.records.length).toBeGreaterThanOrEqual(10);
    // The lab's clock: 2026-01-01 (virtual time 0).
    expect(r.records[0]?.sec).toBe(1_767_225_601);
  });

  test('--out writes the files commands created, under DIR/HOST/…', async () => {
    const d = dir();
    const path = join(d, 'o.lab');
    writeFileSync(path, lab(...HOSTS, 'root@client:~# write notes.txt hello there'));
    await run([path], { out: join(d, 'files') });
    expect(readFileSync(join(d, 'files/client/root/notes.txt'), 'utf8')).toBe('hello there\n');
  });

  test('several labs with --out and --pcap: one directory and one capture per lab', async () => {
    const d = dir();
    writeFileSync(join(d, 'one.lab'), lab(...HOSTS, 'root@client:~# write f 1'));
    writeFileSync(join(d, 'two.lab'), lab(...HOSTS, 'root@server:~# write g 2'));
    await run([join(d, 'one.lab'), join(d, 'two.lab')], {
      out: join(d, 'o'),
      pcap: join(d, 'c.pcapng'),
    });
    expect(readFileSync(join(d, 'o/one/client/root/f'), 'utf8')).toBe('1\n');
    expect(readFileSync(join(d, 'o/two/server/root/g'), 'utf8')).toBe('2\n');
    expect(readFileSync(join(d, 'c-one.pcapng')).length).toBeGreaterThan(0);
    expect(readFileSync(join(d, 'c-two.pcapng')).length).toBeGreaterThan(0);
  });

  test('--speed plays on a wall-clock pace and shows the transcript as it plays', async () => {
    const d = dir();
    const path = join(d, 'w.lab');
    writeFileSync(
      path,
      lab(...HOSTS, '# watch', 'root@client:~# sleep 5', 'root@client:~# echo done', 'done'),
    );
    let stdout = '';
    let wall = 0;
    const naps: number[] = [];
    const { wallClockPace } = await import('../../src/lab/pace.js');
    const status = await runLabs(
      [path],
      { speed: 2 },
      {
        openTerminal: openFakeTerminal,
        commands: TEST_COMMANDS,
        stdout: (t) => {
          stdout += t;
        },
        stderr: () => {},
        // A fake clock: each nap advances it by exactly the nap.
        pace: (speed) =>
          wallClockPace(
            speed,
            () => wall,
            async (ms) => {
              naps.push(ms);
              wall += ms;
            },
          ),
      },
    );
    expect(status).toBe(0);
    expect(stdout).toBe(
      `${HOSTS.join('\n')}\n# watch\nroot@client:~# sleep 5\nroot@client:~# echo done\ndone\nPASS ${path} (2 commands, 6.0 s virtual)\n1 passed, 0 failed\n`,
    );
    // 6 s of virtual time at speed 2: 3000 ms of naps.
    expect(Math.round(naps.reduce((a, b) => a + b, 0))).toBe(3000);
  });
});
