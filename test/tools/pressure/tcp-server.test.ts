/**
 * tcp-server, tcplab's own misbehaving listener: a backlog-1 server that never
 * accepts completes two handshakes (backlog + 1) and leaves the third client in
 * SYN_SENT; `--close never` leaves the connection in CLOSE_WAIT after the
 * peer's FIN; `immediate` and `after=` close; `--read never` leaves what comes
 * unread (a zero window); `-v` logs in virtual time; usage errors.
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../../src/host/host.js';
import { ms, s } from '../../../src/sim/time.js';
import { parseDuration } from '../../../src/tools/pressure/tcp-server.js';
import { run, start, TeeOutput } from '../apps/harness.js';
import { pressureLab } from './harness.js';

function states(host: Host): string[] {
  return host.tcp.connections.map((c) => c.conn.state).sort();
}

describe('tcp-server', () => {
  test('backlog 1, --accept never: two handshakes complete, the third client stays in SYN_SENT', async () => {
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80', '-b', '1', '--accept', 'never']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    for (let i = 0; i < 3; i++) {
      start(lab, lab.client, ['nc', '192.168.0.22', '80']);
      await lab.sys.runUntil(lab.net.now + ms(10));
    }
    await lab.sys.runUntil(lab.net.now + ms(500));
    const l = lab.server.tcp.listeners[0]!.listener;
    expect(l.acceptQueue).toHaveLength(2);
    expect(states(lab.client)).toEqual(['ESTABLISHED', 'ESTABLISHED', 'SYN_SENT']);
  });

  test('--close never: after the peer closes, the connection stays in CLOSE_WAIT', async () => {
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80', '--close', 'never']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    // nc -N: at the end of its (empty) input, shutdown(SHUT_WR): a FIN.
    start(lab, lab.client, ['nc', '-N', '192.168.0.22', '80']);
    await lab.sys.runUntil(lab.net.now + s(10));
    expect(states(lab.server)).toEqual(['CLOSE_WAIT']);
    expect(states(lab.client)).toEqual(['FIN_WAIT2']);
  });

  test('--read never: what comes stays queued, the window closes, the sender probes it', async () => {
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80', '--close', 'never', '--read', 'never']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    // nc with 1 MB to send on its stdin, 64 KiB a read.
    let left = 16;
    const argv = ['nc', '192.168.0.22', '80'];
    lab.sys.spawn(lab.client, lab.sys.command('nc')!, {
      argv,
      stdin: {
        read: async () => (left-- > 0 ? new Uint8Array(65536).fill(0x61) : null),
        close: () => {},
        isTerminal: false,
      },
      stdout: new TeeOutput({ text: '' }),
      stderr: new TeeOutput({ text: '' }),
    });
    await lab.sys.runUntil(lab.net.now + s(10));
    const server = lab.server.tcp.connections[0]!.conn;
    const client = lab.client.tcp.connections[0]!.conn;
    // Nothing read: everything that arrived is queued, and the window is shut.
    expect(server.readable).toBeGreaterThan(100_000);
    expect(client.sndWnd).toBe(0);
    // Zero-window probes, each interval twice the last (the backoff counts them).
    expect(client.net.counters.TcpExtTCPWinProbe).toBeGreaterThanOrEqual(2);
    expect(client.backoff).toBe(client.net.counters.TcpExtTCPWinProbe);
    expect(client.unacknowledged).toBeGreaterThan(100_000);
  });

  test('--reply and --close immediate: the text, then FIN; -v logs each event', async () => {
    const lab = pressureLab();
    const srv = start(lab, lab.server, ['tcp-server', '-p', '80', '-v', '--reply', 'hello']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    const r = await run(lab, lab.client, ['nc', '192.168.0.22', '80'], { timeLimit: 5 });
    expect(r.stdout).toBe('hello\n');
    const lines = srv.stdout.text.split('\n').filter((x) => x !== '');
    expect(lines[0]).toMatch(/^\[0\.000000\] listening on 0\.0\.0\.0:80 backlog 128$/);
    expect(lines[1]).toMatch(/^\[0\.\d{6}\] accepted 192\.168\.0\.21:\d+ fd 4$/);
    expect(lines[2]).toMatch(/^\[0\.\d{6}\] closed 192\.168\.0\.21:\d+$/);
  });

  test('--close after=2s: the server closes 2 s after accepting', async () => {
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80', '--close', 'after=2s']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    start(lab, lab.client, ['nc', '192.168.0.22', '80']);
    await lab.sys.runUntil(lab.net.now + ms(1900));
    expect(states(lab.server)).toEqual(['ESTABLISHED']);
    await lab.sys.runUntil(lab.net.now + ms(200));
    expect(states(lab.server)).not.toContain('ESTABLISHED');
  });

  test('--accept slow=1s: one accept() a second, the others wait in the accept queue', async () => {
    const lab = pressureLab();
    start(lab, lab.server, ['tcp-server', '-p', '80', '--accept', 'slow=1s', '--close', 'never']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    for (let i = 0; i < 3; i++) start(lab, lab.client, ['nc', '192.168.0.22', '80']);
    await lab.sys.runUntil(lab.net.now + ms(500));
    const l = lab.server.tcp.listeners[0]!.listener;
    expect(l.acceptQueue).toHaveLength(3);
    await lab.sys.runUntil(lab.net.now + ms(1000));
    expect(l.acceptQueue).toHaveLength(2);
  });

  test('--keepalive: SO_KEEPALIVE on the accepted connection; an idle peer is probed after tcp_keepalive_time', async () => {
    const lab = pressureLab();
    lab.server.sysctl.write('net.ipv4.tcp_keepalive_time', '10');
    start(lab, lab.server, ['tcp-server', '-p', '80', '--close', 'never', '--keepalive']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    start(lab, lab.client, ['nc', '-d', '192.168.0.22', '80']);
    await lab.sys.runUntil(lab.net.now + ms(100));
    const conn = lab.server.tcp.connections[0]!.conn;
    expect(conn.state).toBe('ESTABLISHED');
    const counters = lab.server.tcp.net.counters;
    await lab.sys.runUntil(lab.net.now + s(9.5));
    expect(counters.TcpExtTCPKeepAlive).toBe(0);
    await lab.sys.runUntil(lab.net.now + s(1));
    expect(counters.TcpExtTCPKeepAlive).toBe(1);
  });

  test('usage errors, in the style of the other tools', async () => {
    const lab = pressureLab();
    const usage =
      'usage: tcp-server -p PORT [-b BACKLOG] [--accept never|slow=DURATION|normal]\n' +
      '                  [--close never|immediate|after=DURATION] [--read never]\n' +
      '                  [--reply TEXT]\n' +
      '                  [--keepalive] [--defer-accept SECONDS] [-v]\n';
    const cases: [string[], string][] = [
      [[], 'tcp-server: a port is required (-p PORT)\n'],
      [['-p', 'x'], "tcp-server: invalid port 'x'\n"],
      [['-p', '80', '--accept', 'sometimes'], "tcp-server: invalid --accept 'sometimes'\n"],
      [['-p', '80', '--close', 'after=soon'], "tcp-server: invalid --close 'after=soon'\n"],
      [['-p', '80', '--read', 'sometimes'], "tcp-server: invalid --read 'sometimes'\n"],
      [['-p', '80', '-z'], "tcp-server: invalid option -- 'z'\n"],
      [['-p', '80', '--defer-accept', '-1'], "tcp-server: invalid --defer-accept '-1'\n"],
    ];
    for (const [args, message] of cases) {
      const r = await run(lab, lab.server, ['tcp-server', ...args]);
      expect([r.status, r.stdout, r.stderr]).toEqual([2, '', message + usage]);
    }
    start(lab, lab.server, ['tcp-server', '-p', '81']);
    await lab.sys.runUntil(lab.net.now + ms(1));
    const r = await run(lab, lab.server, ['tcp-server', '-p', '81']);
    expect([r.status, r.stderr]).toEqual([1, 'tcp-server: bind: Address already in use\n']);
  });

  test('durations', () => {
    expect(parseDuration('500ms')).toBe(ms(500));
    expect(parseDuration('1.5')).toBe(ms(1500));
    expect(parseDuration('2m')).toBe(s(120));
    expect(parseDuration('x')).toBeUndefined();
  });
});
