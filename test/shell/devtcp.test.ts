/**
 * bash's /dev/tcp/HOST/PORT redirections, `exec` and file descriptors above 2,
 * on the shell's simulated LAN (messages as bash 5.2.15 prints them).
 */

import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

/** A listener on the client itself that sends three lines and shuts down its side (-N). */
async function serving(s: Awaited<ReturnType<typeof session>>, port: number): Promise<void> {
  await s.type(`printf 'line one\\nline two\\nline three\\n' > /tmp/r${port}`);
  await s.type(`nc -N -l ${port} < /tmp/r${port} > /tmp/got${port} &`);
  s.take();
}

describe('/dev/tcp redirections', () => {
  it('report connect() failures as bash does, and the shell goes on', async () => {
    const s = await session();
    s.take();
    expect(await s.type('exec 3<>/dev/tcp/192.168.0.22/9; echo st=$?')).toBe(
      '-bash: connect: Connection refused\n-bash: /dev/tcp/192.168.0.22/9: Connection refused\nst=1\n',
    );
    expect(await s.type('echo hi > /dev/tcp/nosuch/80; echo st=$?')).toBe(
      '-bash: nosuch: Name or service not known\n-bash: /dev/tcp/nosuch/80: Invalid argument\nst=1\n',
    );
    expect(await s.type('cat < /dev/tcp/127.0.0.1/abc; echo st=$?')).toBe(
      '-bash: abc: Servname not supported for ai_socktype\n-bash: /dev/tcp/127.0.0.1/abc: Invalid argument\nst=1\n',
    );
    // glibc's numeric service is taken modulo 2^16: 65545 is port 9.
    expect(await s.type('exec 3<>/dev/tcp/127.0.0.1/65545')).toBe(
      '-bash: connect: Connection refused\n-bash: /dev/tcp/127.0.0.1/65545: Connection refused\n',
    );
    // Without a port it is no network path: an ordinary file that does not exist.
    expect(await s.type('cat < /dev/tcp/127.0.0.1')).toBe(
      '-bash: /dev/tcp/127.0.0.1: No such file or directory\n',
    );
  });

  it('exec N<> keeps a connection on fd N: writes with >&N, reads with <&N, ss shows bash', async () => {
    const s = await session();
    await serving(s, 7001);
    expect(await s.type('exec 3<>/dev/tcp/localhost/7001; echo st=$?')).toBe('st=0\n');
    expect(await s.type('ss -tnp state established')).toMatch(
      /127\.0\.0\.1:\d+ +127\.0\.0\.1:7001 +users:\(\("bash",pid=1000,fd=3\)\)/,
    );
    expect(await s.type('echo hi >&3; printf "two\\n" >&3')).toBe('');
    expect(await s.type('read -r line <&3; echo "got [$line]"')).toBe('got [line one]\n');
    // The rest, up to the server's FIN.
    expect(await s.type('cat <&3')).toBe('line two\nline three\n');
    // "two" waited for the ACK of "hi" (Nagle): a moment later it is there.
    expect(await s.type('sleep 1; cat /tmp/got7001')).toBe('hi\ntwo\n');
    // nc sent its FIN first (-N): we are in CLOSE_WAIT until the descriptor closes.
    expect(await s.type('sleep 1; ss -tan state close-wait | wc -l')).toBe('2\n');
    // Closing it closes the connection (our FIN): nothing left in CLOSE_WAIT,
    // and nc, which read until end of file, is done.
    expect(await s.type('exec 3>&-; sleep 1; ss -tan state close-wait | wc -l')).toMatch(
      /^1\n\[1\]\+ +Done +nc -N -l 7001/,
    );
    expect(await s.type('echo x >&3')).toBe('-bash: 3: Bad file descriptor\n');
  });

  it('a redirection of one command connects for that command only', async () => {
    const s = await session();
    await serving(s, 7002);
    expect(await s.type('cat < /dev/tcp/127.0.0.1/7002 | wc -l')).toBe('3\n');
    // nc -N -l closed first (TIME_WAIT on its side) and left; ours closed after cat.
    expect(await s.type('sleep 1; ss -tan | grep 7002')).toMatch(
      /^TIME-WAIT +0 +0 +127\.0\.0\.1:7002 +127\.0\.0\.1:\d+ +\n\[1\]\+ +Done/,
    );
  });

  it('a subshell shares the descriptor; closing it there leaves the shell’s open', async () => {
    const s = await session();
    await serving(s, 7003);
    await s.type('exec 3<>/dev/tcp/127.0.0.1/7003');
    expect(await s.type('(echo from-sub >&3; exec 3>&-); echo from-shell >&3')).toBe('');
    expect(await s.type('cat <&3')).toBe('line one\nline two\nline three\n');
    expect(await s.type('sleep 1; cat /tmp/got7003')).toBe('from-sub\nfrom-shell\n');
  });

  it('logout closes what exec opened', async () => {
    const s = await session();
    s.take();
    // A listener that keeps the connection until its peer closes.
    await s.type('nc -l 7004 < /dev/null > /dev/null &');
    await s.type('exec 4<>/dev/tcp/127.0.0.1/7004');
    expect(await s.type('sleep 1; ss -tn state established | grep -c 7004')).toBe('2\n');
    await s.eof();
    await s.run(1);
    const listening = [...s.host.tcp.net.timeWait].filter((tw) => tw.remotePort === 7004);
    expect(listening.length).toBe(1);
  });
});

describe('exec and descriptors above 2', () => {
  it('exec N>file keeps the file open for later commands; N>&- closes it', async () => {
    const s = await session();
    s.take();
    expect(
      await s.type('exec 5>/tmp/five; echo to5 >&5; echo again >&5; exec 5>&-; cat /tmp/five'),
    ).toBe('to5\nagain\n');
    expect(await s.type('echo x >&5')).toBe('-bash: 5: Bad file descriptor\n');
  });

  it('exec 2>file redirects the shell’s own standard error from then on', async () => {
    const s = await session();
    s.take();
    expect(await s.type('exec 2>/tmp/err; ls /nonexist; nosuchcmd')).toBe('');
    expect(await s.type('exec 2>&1; cat /tmp/err')).toBe(
      "ls: cannot access '/nonexist': No such file or directory\n-bash: nosuchcmd: command not found\n",
    );
  });

  it('exec COMMAND replaces the shell; a builtin or unknown name is not found', async () => {
    const s = await session();
    s.take();
    expect(await s.type("bash -c 'exec echo hi; echo not'; echo st=$?")).toBe('hi\nst=0\n');
    expect(await s.type("bash -c 'exec nosuchcmd; echo not'; echo st=$?")).toBe(
      'bash: exec: nosuchcmd: not found\nst=127\n',
    );
    expect(await s.type("bash -c 'exec cd /; echo not'; echo st=$?")).toBe(
      'bash: exec: cd: not found\nst=127\n',
    );
  });

  it('<> opens a file for reading and writing, creating it', async () => {
    const s = await session();
    s.take();
    expect(await s.type('echo abc > /tmp/f; cat <>/tmp/f')).toBe('abc\n');
    expect(await s.type('cat 3<>/tmp/new </dev/null; ls /tmp/new')).toBe('/tmp/new\n');
    expect(await s.type('f() { cat 3<>x; }; type f')).toBe(
      'f is a function\nf () \n{ \n    cat 3<> x\n}\n',
    );
  });
});

describe('/dev/tcp closing', () => {
  it('closing with data unread resets the connection, as close() does', async () => {
    const s = await session();
    await serving(s, 7005);
    await s.type('exec 3<>/dev/tcp/127.0.0.1/7005; sleep 1');
    const before = s.host.tcp.net.counters.TcpOutRsts;
    await s.type('exec 3>&-; sleep 1');
    expect(s.host.tcp.net.counters.TcpOutRsts).toBe(before + 1);
    expect(await s.type('type exec')).toBe('exec is a shell builtin\n');
  });

  it('a connection whose command failed on another redirection is closed', async () => {
    const s = await session();
    s.take();
    await s.type('nc -l 7006 < /dev/null > /dev/null &');
    expect(await s.type('cat </nonexist </dev/tcp/127.0.0.1/7006; echo st=$?')).toBe(
      '-bash: /nonexist: No such file or directory\nst=1\n',
    );
    expect(await s.type('sleep 1; ss -tan state established | wc -l')).toMatch(/^1\n/);
  });

  it('a function connects when it is called, not when it is defined', async () => {
    const s = await session();
    s.take();
    expect(await s.type('f() { echo hi; } >/dev/tcp/127.0.0.1/9; echo defined')).toBe('defined\n');
    expect(await s.type('f; echo st=$?')).toBe(
      '-bash: connect: Connection refused\n-bash: /dev/tcp/127.0.0.1/9: Connection refused\nst=1\n',
    );
  });
});

describe('Ctrl-C during a /dev/tcp connect (bash 5.2.15, connecting through a firewall that dropped the answers)', () => {
  /** A terminal whose connects to 192.168.0.22:81 hang: the server's resets are dropped. */
  async function hanging(): Promise<Awaited<ReturnType<typeof session>>> {
    const s = await session();
    await s.type('iptables -A INPUT -p tcp --sport 81 -j DROP');
    s.take();
    return s;
  }

  /** Types `line`, lets its connect retransmit SYNs for 2 s, presses Ctrl-C. */
  async function interrupted(s: Awaited<ReturnType<typeof session>>, line: string) {
    s.term.typeLine(line);
    expect(await s.run(2)).toBe('');
    expect(s.host.tcp.connections).toHaveLength(1);
    const shown = await s.interrupt();
    // The socket is closed: no SYN_SENT left to retransmit.
    expect(s.host.tcp.connections).toHaveLength(0);
    return { shown, after: await s.type('echo st=$?') };
  }

  const EINTR =
    '-bash: connect: Interrupted system call\n-bash: /dev/tcp/192.168.0.22/81: Interrupted system call\n';

  it('in the shell itself (exec, a builtin, a group): the messages, a newline, 130, the line abandoned', async () => {
    const s = await hanging();
    for (const line of [
      'exec 3<>/dev/tcp/192.168.0.22/81; echo never',
      'echo hi > /dev/tcp/192.168.0.22/81; echo never',
      '{ echo hi; } > /dev/tcp/192.168.0.22/81; echo never',
      'x=1 > /dev/tcp/192.168.0.22/81; echo never',
    ]) {
      expect(await interrupted(s, line)).toEqual({ shown: `${EINTR}\n`, after: 'st=130\n' });
    }
    expect(await s.type('echo hi >&3')).toBe('-bash: 3: Bad file descriptor\n');
  });

  it("a program's redirection is its child's: SIGINT kills it before it says anything", async () => {
    const s = await hanging();
    for (const line of [
      'cat < /dev/tcp/192.168.0.22/81; echo never',
      'cat < /dev/tcp/192.168.0.22/81 | wc -l; echo never',
      "bash -c 'exec 3<>/dev/tcp/192.168.0.22/81; echo never'; echo never",
    ]) {
      expect(await interrupted(s, line)).toEqual({ shown: '\n', after: 'st=130\n' });
    }
  });

  it("a subshell's own redirection fails (status 1, the line goes on); one inside it ends it as SIGINT", async () => {
    const s = await hanging();
    expect(await interrupted(s, '(echo hi) > /dev/tcp/192.168.0.22/81; echo next')).toEqual({
      shown: `${EINTR}next\n`,
      after: 'st=0\n',
    });
    expect(
      await interrupted(s, '(exec 3<>/dev/tcp/192.168.0.22/81; echo never); echo never'),
    ).toEqual({ shown: `${EINTR}\n`, after: 'st=130\n' });
    expect(
      await interrupted(s, '{ echo hi; } > /dev/tcp/192.168.0.22/81 | cat; echo never'),
    ).toEqual({ shown: `${EINTR}\n`, after: 'st=130\n' });
  });
});
