/**
 * The executor on small hand-written scripts: what must pass (packetdrill's
 * timing, relative numbers, option matching, blocking calls, commands and
 * code), and deliberately broken scripts whose failure must read like
 * packetdrill's: the line, what was expected, what the stack did, when.
 */

import { describe, expect, test } from 'vitest';
import { runCode } from '../../src/packetdrill/code.js';
import { runCommand } from '../../src/packetdrill/commands.js';
import { runScriptText } from '../../src/packetdrill/run.js';
import { Tun } from '../../src/packetdrill/tun.js';

function run(text: string) {
  return runScriptText(text, 's.pkt');
}

function passes(text: string): void {
  const r = run(text);
  expect(r.error).toBeUndefined();
  expect(r.ok).toBe(true);
}

function failure(text: string): string {
  const r = run(text);
  expect(r.ok).toBe(false);
  return r.error!;
}

const SERVER = `
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

const SYSCTLS = '`sysctl -q net.ipv4.tcp_rmem="4096 131072 6291456"`\n';

describe('scripts that pass', () => {
  test('a passive open, data both ways, a passive close', () => {
    passes(`${SYSCTLS}${SERVER}
+0 write(4, ..., 1000) = 1000
+0 > P. 1:1001(1000) ack 1
+.1 < P. 1:101(100) ack 1001 win 257
+0 > . 1001:1001(0) ack 101
+0 read(4, ..., 1000) = 100
+.01 < F. 101:101(0) ack 1001 win 257
+0 read(4, ..., 1000) = 0
+0 close(4) = 0
+0 > F. 1001:1001(0) ack 102
+.1 < . 102:102(0) ack 1002 win 257
`);
  });

  test('an active open: EINPROGRESS, SO_ERROR, and the window checked only when written', () => {
    passes(`${SYSCTLS}
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+.05 < S. 0:0(0) ack 1 win 5840 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 6>
+0 > . 1:1(0) ack 1 <nop,nop,TS val 150 ecr 700>
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 %{ assert tcpi_state == TCP_ESTABLISHED; assert tcpi_snd_mss == 1448, tcpi_snd_mss }%
`);
  });

  test('a blocking accept returns when the handshake completes; TSO-sized writes aggregate', () => {
    passes(`${SYSCTLS}
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.200 accept(3, ..., ...) = 4
+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
+.1 write(4, ..., 3000) = 3000
+0 > P. 1:3001(3000) ack 1
`);
  });

  test('<...> accepts any options; a time range; * any time; a closed port', () => {
    passes(
      `
0 < S 1000:1000(0) win 65535 <mss 1460>
+0 > R. 0:0(0) ack 1 win 0
+1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
`.replace(
        '+0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)',
        `+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
0.9~1.1 > S 0:0(0) <...>
* < R. 0:0(0) ack 1 win 0`,
      ),
    );
  });
});

describe('deliberately broken scripts fail readably', () => {
  test('an aggregate is checked for PSH as a TSO packet is: its last segment carries it', () => {
    // 3000 bytes in one transmission of 3 segments: PSH on the last, as
    // __tcp_transmit_skb forces it on a GSO packet; expecting none fails.
    const e = failure(`${SYSCTLS}${SERVER}
+0 write(4, ..., 3000) = 3000
+0 > . 1:3001(3000) ack 1
`);
    expect(e).toContain('bad outbound TCP flags: expected . but got P.');
  });

  test('a wrong flag: the line, the script packet, the live one, tcpdump, the time', () => {
    const e = failure(`${SYSCTLS}${SERVER}
+0 write(4, ..., 10) = 10
+0 > F. 1:11(10) ack 1
`);
    expect(e).toBe(
      [
        's.pkt:13: error handling packet: bad outbound TCP flags: expected F. but got P.',
        '  script packet: 0.100000 F. 1:11(10) ack 1',
        '  actual packet: 0.100000 P. 1:11(10) ack 1 win 502',
        '  tcpdump: 0.100000 IP 192.168.0.1.8080 > 192.0.2.1.48000: Flags [P.], seq 1:11, ack 1, win 502, length 10: HTTP',
        '  script line: +0 > F. 1:11(10) ack 1',
      ].join('\n'),
    );
  });

  test('options are matched exactly, in order', () => {
    const e = failure(`${SYSCTLS}
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <nop,wscale 7,mss 1460>
`);
    expect(e.split('\n')[0]).toBe(
      's.pkt:7: error handling packet: bad outbound TCP options: expected <nop,wscale 7,mss 1460> but got <mss 1460,nop,wscale 7>',
    );
  });

  test('a packet too early: the timing error with the tolerance', () => {
    const e = failure(`${SYSCTLS}${SERVER}
+0 write(4, ..., 10) = 10
+.5 > P. 1:11(10) ack 1
`);
    expect(e.split('\n')[0]).toBe(
      's.pkt:13: timing error: expected outbound packet at 0.600000 sec but happened at 0.100000 sec; tolerance 0.062500 sec',
    );
  });

  test('a packet that never comes', () => {
    const e = failure(`${SYSCTLS}${SERVER}
+.1 > P. 1:11(10) ack 1
`);
    expect(e).toBe(
      [
        's.pkt:12: timing error: expected outbound packet at 0.200000 sec but no packet was sent by 0.212500 sec',
        '  script packet: 0.200000 P. 1:11(10) ack 1',
        '  script line: +.1 > P. 1:11(10) ack 1',
      ].join('\n'),
    );
  });

  test('a wrong system call result: expected and actual, with errno names and texts', () => {
    const e = failure(
      `${SYSCTLS}${SERVER}
+0 read(4, ..., 10) = 10
`
        .replace('0 socket', '0 socket')
        .replace(
          '+0 accept(3, ..., ...) = 4',
          '+0 accept(3, ..., ...) = 4\n+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
        ),
    );
    expect(e).toBe(
      's.pkt:13: read(...): expected result 10 but got -1 EAGAIN (Resource temporarily unavailable) at 0.100000 sec\n  script line: +0 read(4, ..., 10) = 10',
    );
  });

  test('a blocking call that returns at the wrong time', () => {
    const e = failure(`${SYSCTLS}
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.100 accept(3, ..., ...) = 4
+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
`);
    expect(e.split('\n')[0]).toBe(
      's.pkt:6: timing error: expected system call to return at 0.100000 sec but it was still blocked at 0.112500 sec',
    );
  });

  test('a call still blocked when the script ends fails, as packetdrill exits with a runtime error', () => {
    const e = failure(`${SYSCTLS}
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.100 accept(3, ..., ...) = 4
`);
    expect(e.split('\n')[0]).toBe(
      's.pkt:6: runtime error: exiting while a blocking system call is in progress',
    );
  });

  test('a call expected to block that returns at once', () => {
    const e = failure(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...1 close(3) = 0
`);
    expect(e.split('\n')[0]).toBe(
      's.pkt:2: timing error: expected system call to block until 1.000000 sec but it returned at once at 0.000000 sec',
    );
  });

  test('a failing assertion over tcp_info', () => {
    const e = failure(`${SYSCTLS}${SERVER}
+0 %{ assert tcpi_snd_cwnd == 11, tcpi_snd_cwnd }%
`);
    expect(e.split('\n')[0]).toBe(
      's.pkt:12: assertion failed at 0.100000 sec: AssertionError: tcpi_snd_cwnd == 11 (10)',
    );
  });

  test('a command tcplab does not interpret is refused, never run', () => {
    const e = failure('`rm -rf /tmp/x`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    expect(e.split('\n')[0]).toBe(
      's.pkt:1: command not supported (tcplab interprets sysctl, defaults.sh, set_sysctls.py; it never runs commands): rm -rf /tmp/x',
    );
  });

  test('a syntax error fails the run with file:line:col', () => {
    expect(failure('0 socket(..., SOCK_STREAM, IPPROTO_TCP) 3\n')).toBe(
      "s.pkt:1:41: syntax error: expected '=' and the expected result, found '3'",
    );
  });

  test('a time past the end of the clock fails at its line, absolute or summed', () => {
    expect(failure(`${SERVER}99999999999 < F. 1:1(0) ack 1 win 257\n`).split('\n')[0]).toBe(
      's.pkt:10: time 99999999999.000000 sec is out of range (the clock ends after about 104 days)',
    );
    // 5e6 s (58 days) is within reach; twice that is not.
    const relative = `${SERVER}+5000000 close(4) = 0\n+5000000 close(3) = 0\n`;
    expect(failure(relative).split('\n')[0]).toBe(
      's.pkt:11: time 10000000.100000 sec is out of range (the clock ends after about 104 days)',
    );
  });

  test('read and write counts as the kernel takes them: negative is EINVAL, send faults', () => {
    passes(`${SERVER}+0 write(4, ..., -1) = -1 EINVAL (Invalid argument)
+0 read(4, ..., -5) = -1 EINVAL (Invalid argument)
+0 send(4, ..., -1, 0) = -1 EFAULT (Bad address)
`);
  });

  test('a write of more than MAX_RW_COUNT is taken as that much', () => {
    // Non-blocking: the call queues what the send buffer takes (42000 bytes:
    // 10 segments of 1000 in flight and the rest queued) and returns.
    passes(`${SERVER}+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 write(4, ..., 3000000000) = 42000
+0 > P. 1:10001(10000) ack 1
`);
  });

  test('header options with a bad address or port fail at their line', () => {
    for (const [option, message] of [
      ['--local_ip=999.1.1.1', 's.pkt:1: bad --local_ip: 999.1.1.1'],
      ['--remote_ip=x', 's.pkt:1: bad --remote_ip: x'],
      ['--bind_port=65536', 's.pkt:1: bad --bind_port: 65536'],
      ['--connect_port=1.5', 's.pkt:1: bad --connect_port: 1.5'],
    ]) {
      expect(failure(`${option}\n${SERVER}`), option).toBe(message);
    }
  });

  test('the first event must be at time 0', () => {
    expect(failure('+1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n').split('\n')[0]).toBe(
      's.pkt:1: first event should be at time 0',
    );
  });
});

describe('commands set the host sysctls', () => {
  function ctx() {
    const tun = new Tun();
    return { sysctl: tun.host.sysctl, saved: new Map<string, string>(), ignored: [] as string[] };
  }

  test('sysctl, quoted vectors, and sysctls tcplab does not model', () => {
    const c = ctx();
    expect(
      runCommand(
        'sysctl -q net.ipv4.tcp_rmem="4096 131072 6291456"\nsysctl -q net.ipv4.tcp_autocorking=1 > /dev/null 2>&1',
        c,
      ),
    ).toEqual({ ok: true });
    expect(c.sysctl.read('net.ipv4.tcp_rmem')).toEqual({
      ok: true,
      value: '4096\t131072\t6291456',
    });
    expect(c.ignored).toEqual(['net.ipv4.tcp_autocorking=1']);
  });

  test('defaults.sh is built in', () => {
    const c = ctx();
    expect(runCommand('../common/defaults.sh', c)).toEqual({ ok: true });
    expect(c.sysctl.get('net.ipv4.tcp_syn_retries')).toBe(5);
    expect(c.sysctl.get('net.ipv4.tcp_wmem')).toEqual([4096, 262144, 4194304]);
  });

  test('set_sysctls.py saves the old values; the restore script puts them back', () => {
    const c = ctx();
    expect(
      runCommand(
        '../common/set_sysctls.py /proc/sys/net/ipv4/tcp_syn_retries=3 \\\n /proc/sys/net/ipv4/tcp_min_tso_segs=10',
        c,
      ),
    ).toEqual({ ok: true });
    expect(c.sysctl.get('net.ipv4.tcp_syn_retries')).toBe(3);
    expect(runCommand(`/tmp/sysctl_restore_\${PPID}.sh`, c)).toEqual({ ok: true });
    expect(c.sysctl.get('net.ipv4.tcp_syn_retries')).toBe(6);
  });

  test('a bad value is an error', () => {
    const r = runCommand('sysctl -q net.ipv4.tcp_syn_retries=x', ctx());
    expect(r.ok).toBe(false);
  });
});

describe('code blocks', () => {
  const vars = (n: string) => ({ a: 5, b: 10 })[n] ?? `name ${n} is not defined`;
  test.each([
    ['assert a == 5', true],
    ['assert 1 <= a <= 5, a', true],
    ['assert 1 <= a < 5, a', false],
    ['assert a * 2 == b and not a == b', true],
    ['assert (a + 1) // 2 == 3 or b < 0', true],
    ['assert a == 5;\\\n assert b == 9', false],
  ])('%s', (text, ok) => {
    expect(runCode(text, vars).ok).toBe(ok);
  });

  test('messages', () => {
    expect(runCode('assert a > 6, a', vars)).toEqual({
      ok: false,
      error: 'AssertionError: a > 6 (5)',
    });
    expect(runCode('assert c > 6', vars)).toEqual({
      ok: false,
      error: 'name c is not defined in: assert c > 6',
    });
    expect(runCode('print(a)', vars)).toEqual({
      ok: false,
      error: 'only assert statements are supported: print(a)',
    });
  });
});

describe('more system calls', () => {
  test('poll: POLLOUT once connected, POLLIN when data waits; revents are checked', () => {
    passes(`${SYSCTLS}${SERVER}
+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0 < P. 1:11(10) ack 1 win 257
+0 > . 1:1(0) ack 11
+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
+0 ioctl(4, SIOCINQ, [10]) = 0
+0 read(4, ..., 100) = 10
`);
    expect(
      failure(`${SYSCTLS}${SERVER}
+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
`).split('\n')[0],
    ).toBe('s.pkt:12: poll(...): expected result 1 but got 0 at 0.100000 sec');
  });

  test('a blocking poll returns when data arrives', () => {
    passes(`${SYSCTLS}${SERVER}
+0...0.050 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
+.05 < P. 1:11(10) ack 1 win 257
+0 > . 1:1(0) ack 11
`);
  });

  test('getsockopt checks the value it reads', () => {
    expect(
      failure(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 getsockopt(3, SOL_TCP, TCP_SYNCNT, [5], [4]) = 0
`).split('\n')[0],
    ).toBe('s.pkt:2: getsockopt(...): TCP_SYNCNT: expected [5] but got [6] at 0.000000 sec');
  });

  test('TCP_QUICKACK: 0 makes the exchange interactive (the ACK waits); 1 sends the owed ACK at once', () => {
    passes(`${SYSCTLS}${SERVER}
+0 getsockopt(4, SOL_TCP, TCP_QUICKACK, [1], [4]) = 0
+0 setsockopt(4, SOL_TCP, TCP_QUICKACK, [0], 4) = 0
+0 getsockopt(4, SOL_TCP, TCP_QUICKACK, [0], [4]) = 0
// Interactive: even the start's quick ACKs wait for a reply (tcp_in_quickack_mode).
+.1 < P. 1:11(10) ack 1 win 257
+0 read(4, ..., 100) = 10
+.01 setsockopt(4, SOL_TCP, TCP_QUICKACK, [1], 4) = 0
+0 > . 1:1(0) ack 11
+0 getsockopt(4, SOL_TCP, TCP_QUICKACK, [1], [4]) = 0
`);
  });

  test('TCP_DEFER_ACCEPT: the bare ACK is dropped, no SYN-ACK is resent meanwhile, data makes the connection', () => {
    passes(`${SYSCTLS}0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_TCP, TCP_DEFER_ACCEPT, [5], 4) = 0
+0 getsockopt(3, SOL_TCP, TCP_DEFER_ACCEPT, [7], [4]) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
+2.5 < P. 1:11(10) ack 1 win 257
+0 > . 1:1(0) ack 11
+0 accept(3, ..., ...) = 4
`);
  });

  test('an event the script reaches late is a timing error', () => {
    expect(
      failure(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+1 close(3) = 0
0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
`).split('\n')[0],
    ).toBe(
      's.pkt:3: timing error: expected system call start at 0.500000 sec but happened at 1.000000 sec; tolerance 0.004000 sec',
    );
  });
});
