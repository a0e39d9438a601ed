/**
 * ping (iputils 20221126) over tcplab's ping sockets, against the real one
 * (fixtures/real-tools.json): the same lines, with the real run's measured
 * times replaced by those of the simulated link (a 30 µs one-way delay gives
 * 0.060 ms round trips, the first one 0.120 ms as it waits for the ARP
 * reply, as the real first one does; requests -i 0.2 s apart give "time
 * 400ms"; avg and mdev follow: (120+60+60)/3 = 80 µs, sqrt(7200-6400) = 28 µs).
 */

import { describe, expect, test } from 'vitest';
import { NULL_INPUT } from '../../../src/os/streams.js';
import { us } from '../../../src/sim/time.js';
import { pingCommand } from '../../../src/tools/inspect/ping.js';
import { real, traceLan } from './helpers.js';

/** The real output with its times replaced: each reply's (in order), the total, the rtt line. */
function withTimes(text: string, rtts: string[], total: string, rttLine?: string): string {
  let i = 0;
  let t = text
    .replace(/time=\d+\.\d+ ms/g, () => `time=${rtts[i++]} ms`)
    .replace(/time \d+ms/, `time ${total}`);
  if (rttLine !== undefined) t = t.replace(/rtt min\/avg\/max\/mdev = .* ms/, rttLine);
  return t;
}

describe('ping', () => {
  test('three replies, their statistics, exit 0', async () => {
    const env = traceLan({ stock: true, link: { delay: us(30) } });
    const r = await env.run(env.client, 'ping', '-c', '3', '-i', '0.2', '192.168.0.22');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      withTimes(
        real('ping-ok').stdout,
        ['0.120', '0.060', '0.060'],
        '400ms',
        'rtt min/avg/max/mdev = 0.060/0.080/0.120/0.028 ms',
      ),
    );
  });

  test('-q prints only the header and the statistics', async () => {
    const env = traceLan({ stock: true, link: { delay: us(30) } });
    const r = await env.run(env.client, 'ping', '-q', '-c', '2', '-i', '0.2', '192.168.0.22');
    expect(r.stdout).toBe(
      withTimes(
        real('ping-q').stdout,
        [],
        '200ms',
        'rtt min/avg/max/mdev = 0.060/0.090/0.120/0.030 ms',
      ),
    );
  });

  test('no ARP answer: "Destination Host Unreachable" from our own address, +3 errors, pipe 3, exit 1', async () => {
    const env = traceLan({ stock: true });
    const r = await env.run(env.client, 'ping', '-c', '3', '-i', '0.2', '192.168.0.99');
    expect(r.status).toBe(real('ping-unreach').exit);
    expect(r.stdout).toBe(withTimes(real('ping-unreach').stdout, [], '400ms'));
  });

  test('no reply at all: -W 1 waits one second after the last request; exit 1', async () => {
    const env = traceLan({ stock: true });
    env.server.sysctl.write('net.ipv4.icmp_echo_ignore_all', '1');
    const start = env.sys.now;
    const r = await env.run(env.client, 'ping', '-c', '2', '-W', '1', '192.168.0.22');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(withTimes(real('ping-timeout').stdout, [], '1000ms'));
    // Requests at 0 and 1 s, then lingertime (-W) 1 s.
    expect(env.sys.now - start).toBe(2_000_000_000);
  });

  test('loopback: 127.0.0.1 answers over lo', async () => {
    const env = traceLan({ stock: true });
    const r = await env.run(env.client, 'ping', '-c', '1', '127.0.0.1');
    expect(r.stdout).toBe(
      withTimes(
        real('ping-lo').stdout,
        ['0.000'],
        '0ms',
        'rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms',
      ),
    );
  });

  test('errors: no route (exit 2), a bad option with the usage (exit 2), no host (exit 1), -c 0, durations out of range', async () => {
    const env = traceLan({ stock: true });
    for (const name of [
      'ping-netunreach',
      'ping-badopt',
      'ping-noarg',
      'ping-badcount',
      'ping-bad-interval',
      'ping-bad-interval-exp',
      'ping-bad-linger',
      'ping-bad-linger-neg',
    ]) {
      const f = real(name);
      const r = await env.run(env.client, ...f.cmd.split(' '));
      expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }, f.cmd).toEqual({
        stdout: f.stdout,
        stderr: f.stderr,
        status: f.exit,
      });
    }
    expect(await env.run(env.client, 'ping', '-c', '1', 'nosuchhost')).toEqual({
      status: 2,
      stdout: '',
      stderr: 'ping: nosuchhost: Name or service not known\n',
    });
  });

  test('a deadline past the end of virtual time (-w 2147483647: 68 years) is never reached', async () => {
    const env = traceLan({ stock: true });
    const r = await env.run(env.client, 'ping', '-c', '1', '-w', '2147483647', '192.168.0.22');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('1 packets transmitted, 1 received, 0% packet loss');
  });

  test('a name from /etc/hosts; SIGINT stops an endless ping and prints the statistics', async () => {
    const env = traceLan({ stock: true, link: { delay: us(30) } });
    const chunks: string[] = [];
    const sink = { write: (d: string | Uint8Array) => chunks.push(String(d)), close: () => {} };
    const p = env.sys.spawn(env.client, pingCommand, {
      argv: ['ping', 'server'],
      stdin: NULL_INPUT,
      stdout: { ...sink, isTerminal: false },
      stderr: { ...sink, isTerminal: false },
    });
    await env.sys.runUntil(env.sys.now + 2_500_000_000);
    env.sys.kill(env.client, p.pid, 'SIGINT');
    await env.sys.settle();
    expect(await p.exited).toBe(0);
    expect(chunks.join('')).toBe(
      'PING server (192.168.0.22) 56(84) bytes of data.\n' +
        '64 bytes from server (192.168.0.22): icmp_seq=1 ttl=64 time=0.120 ms\n' +
        '64 bytes from server (192.168.0.22): icmp_seq=2 ttl=64 time=0.060 ms\n' +
        '64 bytes from server (192.168.0.22): icmp_seq=3 ttl=64 time=0.060 ms\n' +
        '\n--- server ping statistics ---\n' +
        '3 packets transmitted, 3 received, 0% packet loss, time 2000ms\n' +
        'rtt min/avg/max/mdev = 0.060/0.080/0.120/0.028 ms\n',
    );
  });
});
