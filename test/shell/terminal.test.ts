/**
 * The terminal and bash's job control on virtual time: foreground jobs and
 * Ctrl-C, typed input, background jobs and their notifications, pipelines of
 * real processes talking over the simulated network, redirections into the
 * host's files and /proc/sys.
 */

import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/os/process.js';
import { CollectOutput, LineReader, NULL_INPUT } from '../../src/os/streams.js';
import { NS_PER_S, s } from '../../src/sim/time.js';
import { parseIpv4Address } from '../../src/wire/address.js';
import { session } from './helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** `echod PORT`: accepts one connection, prints `t=SECONDS data` for each chunk, answers `ok`. */
const echod: Command = async (p) => {
  const fd = p.sockets.socket();
  p.sockets.bind(fd, 0, Number(p.argv[1]));
  p.sockets.listen(fd, 5);
  const c = await p.wait(p.sockets.accept(fd));
  if (!('fd' in c)) return 1;
  for (;;) {
    const data = await p.wait(p.sockets.read(c.fd));
    if (!(data instanceof Uint8Array) || data.length === 0) break;
    p.stdout.write(`t=${p.now / NS_PER_S} ${dec.decode(data)}`);
  }
  await p.wait(p.sockets.write(c.fd, enc.encode('ok\n')));
  p.sockets.close(c.fd);
  return 0;
};

/** `tcpsend ADDR PORT`: connects, sends standard input, half-closes at its end, prints the reply. */
const tcpsend: Command = async (p) => {
  const addr = parseIpv4Address(p.argv[1] ?? '');
  if (!addr.ok) return 2;
  const fd = p.sockets.socket();
  const r = await p.wait(p.sockets.connect(fd, addr.value, Number(p.argv[2])));
  if (typeof r !== 'number') return 1;
  for (;;) {
    const chunk = await p.stdin.read();
    if (chunk === null) break;
    await p.wait(p.sockets.write(fd, chunk));
  }
  p.sockets.shutdown(fd, 'SHUT_WR');
  for (;;) {
    const data = await p.wait(p.sockets.read(fd));
    if (!(data instanceof Uint8Array) || data.length === 0) break;
    p.stdout.write(data);
  }
  return 0;
};

/** `ticker`: a line every second, forever. */
const ticker: Command = async (p) => {
  for (let i = 1; ; i++) {
    await p.sleep(s(1));
    p.stdout.write(`tick ${i}\n`);
  }
};

/** `trapper`: traps SIGINT, says so and exits 0 (as tcpdump prints its statistics). */
const trapper: Command = async (p) => {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  p.trap('SIGINT', () => stop());
  await Promise.race([stopped, p.sleep(s(1000))]);
  p.stdout.write('caught\n');
  return 0;
};

const extra = { echod, tcpsend, ticker, trapper };

describe('prompt', () => {
  it("is Debian's PS1 with ~ for the home directory, # for root, $ for a user", async () => {
    const t = await session();
    expect(t.term.prompt).toBe('root@client:~# ');
    expect(t.term.atPrompt).toBe(true);
    await t.type('cd /tmp');
    expect(t.term.prompt).toBe('root@client:/tmp# ');
    const u = await session({ user: 'alice' });
    expect(u.term.prompt).toBe('alice@client:~$ ');
    expect(await u.type('pwd')).toBe('/home/alice\n');
  });

  it('is "> " while a command line is unfinished', async () => {
    const t = await session();
    expect(await t.type('echo "a')).toBe('');
    expect(t.term.prompt).toBe('> ');
    expect(await t.type('b"')).toBe('a\nb\n');
    expect(t.term.prompt).toBe('root@client:~# ');
    expect(t.term.history).toEqual(['echo "a\nb"']);
  });
});

describe('Ctrl-C', () => {
  it('interrupts a blocking foreground command: newline, $? 130, the rest of the line dropped', async () => {
    const t = await session();
    expect(await t.type('sleep 100; echo never', 5)).toBe('');
    expect(t.term.atPrompt).toBe(false);
    expect(await t.interrupt()).toBe('\n');
    expect(t.system.now).toBe(s(5));
    expect(await t.type('echo $?')).toBe('130\n');
  });

  it('goes to every process of the foreground pipeline and to no background job', async () => {
    const t = await session();
    await t.type('sleep 50 &');
    t.take();
    await t.type('sleep 100 | cat', 2);
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual([
      'bash',
      'sleep',
      'sleep',
      'cat',
    ]);
    expect(await t.interrupt()).toBe('\n');
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash', 'sleep']);
    expect(await t.type('jobs')).toBe('[1]+  Running                 sleep 50 &\n');
  });

  it('a program that traps SIGINT exits its own way, without the newline', async () => {
    const t = await session({ extra });
    await t.type('trapper', 1);
    expect(await t.interrupt()).toBe('caught\n');
    expect(await t.type('echo $?')).toBe('0\n');
  });

  it('at the prompt prints a newline and sets $? to 130', async () => {
    const t = await session();
    expect(await t.interrupt()).toBe('\n');
    expect(t.term.atPrompt).toBe(true);
    expect(await t.type('echo $?')).toBe('130\n');
  });
});

describe('the foreground job reads the terminal', () => {
  it('line by line; Ctrl-D ends its input', async () => {
    const t = await session();
    expect(await t.type('cat')).toBe('');
    expect(t.term.reading).toBe(true);
    expect(t.term.atPrompt).toBe(false);
    expect(await t.type('hello')).toBe('hello\n');
    expect(t.term.reading).toBe(true);
    expect(await t.eof()).toBe('');
    expect(t.term.atPrompt).toBe(true);
    await t.type('wc -l');
    await t.type('a');
    await t.type('b');
    expect(await t.eof()).toBe('2\n');
  });

  it('lines typed while it does not read wait for the next reader (type-ahead)', async () => {
    const t = await session();
    await t.type('sleep 2', 1);
    t.term.typeLine('echo typed');
    expect(await t.run(0.5)).toBe('');
    expect(await t.type('', 5)).toBe('typed\n');
  });

  it('a background job that reads is stopped (SIGTTIN) until fg', async () => {
    const t = await session();
    expect(await t.type('cat &')).toBe('[1] 1001\n');
    expect(await t.type('true')).toBe('\n[1]+  Stopped                 cat\n');
    expect(await t.type('jobs -l')).toBe('[1]+  1001 Stopped (tty input)     cat\n');
    expect(await t.type('fg')).toBe('cat\n');
    expect(t.term.reading).toBe(true);
    expect(await t.type('x')).toBe('x\n');
    expect(await t.eof()).toBe('');
    expect(await t.type('jobs')).toBe('');
  });
});

describe('background jobs', () => {
  it('`sleep 5 &`: [1] PID, jobs, a Done notification before the next prompt once it ended', async () => {
    const t = await session();
    expect(await t.type('sleep 5 &')).toBe('[1] 1001\n');
    expect(await t.type('echo $!')).toBe('1001\n');
    expect(await t.type('jobs')).toBe('[1]+  Running                 sleep 5 &\n');
    expect(await t.type('sleep 6')).toBe('[1]+  Done                    sleep 5\n');
    expect(t.system.now).toBe(s(6));
    expect(await t.type('jobs')).toBe('');
  });

  it('wait reaps them all, reporting each; wait %N gives its status', async () => {
    const t = await session();
    await t.type('sleep 3 &');
    await t.type('(sleep 1; exit 3) &');
    t.take();
    expect(await t.type('jobs')).toBe(
      '[1]-  Running                 sleep 3 &\n[2]+  Running                 ( sleep 1; exit 3 ) &\n',
    );
    expect(await t.type('wait %2; echo $?')).toBe(
      '[2]+  Exit 3                  ( sleep 1; exit 3 )\n3\n',
    );
    expect(t.system.now).toBe(s(1));
    expect(await t.type('wait')).toBe('[1]+  Done                    sleep 3\n');
    expect(t.system.now).toBe(s(3));
  });

  it('Ctrl-C interrupts the wait builtin, not the job', async () => {
    const t = await session();
    await t.type('sleep 50 &');
    await t.type('wait', 2);
    t.take();
    await t.interrupt();
    expect(await t.type('echo $?; jobs')).toBe('130\n[1]+  Running                 sleep 50 &\n');
  });

  it('kill %N, kill -9 PID, kill -INT %N; Terminated / Killed / Interrupt notifications', async () => {
    const t = await session();
    await t.type('sleep 100 &');
    await t.type('sleep 100 &');
    await t.type('sleep 100 &');
    t.take();
    expect(await t.type('kill %1; kill -9 1002; kill -INT %3')).toBe('');
    expect(await t.type('true')).toBe(
      '[1]   Terminated              sleep 100\n[2]-  Killed                  sleep 100\n[3]+  Interrupt               sleep 100\n',
    );
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash']);
  });

  it('jobs -l lists every process of a pipeline; jobs -p the group leader', async () => {
    const t = await session();
    await t.type('sleep 10 | cat &');
    expect(await t.type('jobs -l')).toBe(
      '[1]+  1001 Running                 sleep 10\n      1002                       | cat &\n',
    );
    expect(await t.type('jobs -p')).toBe('1001\n');
  });

  it("a background job's output appears on the terminal while bash waits at the prompt", async () => {
    const t = await session({ extra });
    expect(await t.type('ticker &')).toBe('[1] 1001\n');
    expect(await t.run(3.5)).toBe('tick 1\ntick 2\ntick 3\n');
    expect(await t.type('kill %1')).toBe('');
    expect(await t.type('true')).toBe('[1]+  Terminated              ticker\n');
  });
});

describe('leaving', () => {
  it('Ctrl-D at the prompt: logout; the jobs get SIGHUP', async () => {
    const t = await session();
    await t.type('sleep 100 &');
    expect(await t.eof()).toBe('logout\n');
    expect(t.term.alive).toBe(false);
    await t.run(1);
    expect(t.system.processes(t.host)).toEqual([]);
  });

  it('exit N ends bash with N; with a stopped job it warns once', async () => {
    const t = await session();
    await t.type('cat &');
    await t.type('true');
    t.take();
    expect(await t.type('exit 3')).toBe('There are stopped jobs.\n');
    expect(t.term.alive).toBe(true);
    expect(await t.type('exit 3')).toBe('logout\n');
    expect(t.term.alive).toBe(false);
  });
});

describe('pipelines of processes on the network', () => {
  it('(sleep 1; echo hi) | tcpsend: the data leaves after 1 s of virtual time, the reply comes back', async () => {
    const t = await session({ extra });
    const server = t.net.host('server');
    const out = new CollectOutput();
    t.system.spawn(server, echod, {
      argv: ['echod', '7'],
      stdin: NULL_INPUT,
      stdout: out,
      stderr: out,
    });
    expect(await t.type('(sleep 1; echo hi) | tcpsend 192.168.0.22 7')).toBe('ok\n');
    expect(out.text).toBe('t=1 hi\n');
    expect(await t.type('echo $?')).toBe('0\n');
  });

  it('sleep 1 | tcpsend: standard input ends after 1 s, then the half-close', async () => {
    const t = await session({ extra });
    const server = t.net.host('server');
    const out = new CollectOutput();
    t.system.spawn(server, echod, {
      argv: ['echod', '7'],
      stdin: NULL_INPUT,
      stdout: out,
      stderr: out,
    });
    expect(await t.type('sleep 1 | tcpsend 192.168.0.22 7')).toBe('ok\n');
    const t1 = t.system.now;
    expect(t1).toBeGreaterThanOrEqual(s(1));
    expect(t1).toBeLessThan(s(1.1));
  });

  it('a subshell writing into a pipe nobody reads dies of SIGPIPE, so the pipeline ends', async () => {
    const t = await session();
    expect(await t.type('while true; do echo y; done | head -n 2; echo $?')).toBe('y\ny\n0\n');
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash']);
    expect(await t.type('for i in $(seq 5); do echo $i; sleep 1; done | head -n 1')).toBe('1\n');
    expect(t.system.processes(t.host).map((p) => p.comm)).toEqual(['bash']);
  });

  it('every stage is a process; the status is the last stage’s; ! inverts it', async () => {
    const t = await session();
    expect(await t.type('seq 20 | grep 1 | wc -l')).toBe('11\n');
    expect(await t.type('false | true; echo $?')).toBe('0\n');
    expect(await t.type('true | false; echo $?')).toBe('1\n');
    expect(await t.type('! true | false; echo $?')).toBe('0\n');
    expect(await t.type('echo a b | tr a-z A-Z | cat')).toBe('A B\n');
  });
});

describe('redirections into the host files and /proc/sys', () => {
  it('>, >>, <, 2>, 2>&1, &> write and read proc.fs', async () => {
    const t = await session();
    const fs = t.system.fs(t.host);
    expect(await t.type('seq 3 > n.txt; echo four >> n.txt; wc -l < n.txt')).toBe('4\n');
    expect(fs.readText('/root/n.txt')).toBe('1\n2\n3\nfour\n');
    expect(await t.type('cat nothere 2> err.txt; cat err.txt')).toBe(
      'cat: nothere: No such file or directory\n',
    );
    expect(await t.type('cat nothere n.txt > both.txt 2>&1; head -2 both.txt')).toBe(
      'cat: nothere: No such file or directory\n1\n',
    );
    expect(await t.type('cat nothere &> all.txt; wc -l all.txt')).toBe('1 all.txt\n');
    expect(await t.type('echo x > /dev/null; cat < /dev/null; echo $?')).toBe('0\n');
    expect(await t.type('cat < nothere; echo $?')).toBe(
      '-bash: nothere: No such file or directory\n1\n',
    );
    expect(await t.type('echo x > /nodir/f')).toBe('-bash: /nodir/f: No such file or directory\n');
    expect(await t.type('echo x > /tmp')).toBe('-bash: /tmp: Is a directory\n');
  });

  it('echo N > /proc/sys/… sets the sysctl; a bad value is a write error (EINVAL)', async () => {
    const t = await session();
    expect(await t.type('echo 0 > /proc/sys/net/ipv4/tcp_syncookies; echo $?')).toBe('0\n');
    const v = t.host.sysctl.read('net.ipv4.tcp_syncookies');
    expect(v.ok && v.value).toBe('0');
    expect(await t.type('cat /proc/sys/net/ipv4/tcp_syncookies')).toBe('0\n');
    expect(await t.type('echo abc > /proc/sys/net/ipv4/tcp_fin_timeout; echo $?')).toBe(
      '-bash: echo: write error: Invalid argument\n1\n',
    );
    expect(await t.type('/bin/echo abc > /proc/sys/net/ipv4/tcp_fin_timeout; echo $?')).toBe(
      '/bin/echo: write error: Invalid argument\n1\n',
    );
    expect(await t.type('echo 1 > /proc/sys/net/ipv4/nothere')).toBe(
      '-bash: /proc/sys/net/ipv4/nothere: No such file or directory\n',
    );
  });

  it('{ …; } > f keeps the file open for every command of the group', async () => {
    const t = await session();
    expect(await t.type('{ echo a; sleep 1; echo b; } > g.txt; cat g.txt')).toBe('a\nb\n');
  });
});

describe('determinism', () => {
  it('the same keystrokes give the same screen and the same time', async () => {
    const run = async (): Promise<string> => {
      const t = await session({ extra });
      let screen = '';
      for (const line of [
        'ticker &',
        'sleep 2.5',
        '(sleep 1; echo x) | cat &',
        'seq 5 | sort -r | head -2',
        'wait %2',
        'kill %1',
        'true',
      ]) {
        screen += await t.type(line, 100);
      }
      return `${screen}@${t.system.now}`;
    };
    expect(await run()).toBe(await run());
  });
});

it('LineReader keeps working over a terminal (helpers sanity)', () => {
  expect(new LineReader(NULL_INPUT)).toBeDefined();
});
