/**
 * hostname, dmesg, ps and nstat: formats and errors against the real tools
 * (fixtures/real-tools.json), nstat's values against linux-traces'
 * nstat-*.txt for the normal-handshake case.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Proc } from '../../../src/os/process.js';
import { ms, s } from '../../../src/sim/time.js';
import { TRACES_DIR } from '../../shared.js';
import { type Env, ip, listener, real, spawn, traceLan } from './helpers.js';

async function same(env: Env, name: string): Promise<void> {
  const r = real(name);
  const got = await env.run(env.client, ...r.cmd.split(' '));
  expect({ stdout: got.stdout, stderr: got.stderr, status: got.status }, r.cmd).toEqual({
    stdout: r.stdout,
    stderr: r.stderr,
    status: r.exit,
  });
}

describe('hostname', () => {
  test('the host name; -I its addresses, each with a space; -i from /etc/hosts; a bad option', async () => {
    const env = traceLan();
    expect(await env.run(env.client, 'hostname')).toEqual({
      status: 0,
      stdout: 'client\n',
      stderr: '',
    });
    expect((await env.run(env.client, 'hostname', '-I')).stdout).toBe('192.168.0.21 \n');
    // -i resolves the name: /etc/hosts has no line for the host itself (as without 127.0.1.1).
    expect(await env.run(env.server, 'hostname', '-i')).toEqual({
      status: 1,
      stdout: '',
      stderr: 'hostname: Name or service not known\n',
    });
    env.server.etcHosts.set('server', ip('192.168.0.22'));
    expect((await env.run(env.server, 'hostname', '-i')).stdout).toBe('192.168.0.22\n');
    await same(env, 'hostname-badopt');
  });
});

describe('dmesg', () => {
  test('[%5lu.%06lu] from boot; -c reads and clears; -C clears; -T the wall clock', async () => {
    const env = traceLan();
    env.client.kmsg.write(ms(5_123.456), 'info', 'eth0: link up');
    env.client.kmsg.write(s(10_290.160003), 'warn', 'TCP: request_sock_TCP: Possible SYN flooding');
    const r = await env.run(env.client, 'dmesg');
    expect(r.stdout).toBe(
      '[    5.123456] eth0: link up\n[10290.160003] TCP: request_sock_TCP: Possible SYN flooding\n',
    );
    // The real kernel's lines have the same shape (fixture dmesg-sample).
    for (const l of real('dmesg-sample').stdout.trimEnd().split('\n')) {
      expect(l).toMatch(/^\[[ \d]{5,}\.\d{6}\] /);
    }
    expect((await env.run(env.client, 'dmesg', '-l', 'warn')).stdout).toBe(
      '[10290.160003] TCP: request_sock_TCP: Possible SYN flooding\n',
    );
    expect((await env.run(env.client, 'dmesg', '-T')).stdout.split('\n')[0]).toBe(
      '[Thu Jan  1 00:00:05 2026] eth0: link up',
    );
    expect((await env.run(env.client, 'dmesg', '-c')).stdout).toBe(r.stdout);
    expect((await env.run(env.client, 'dmesg')).stdout).toBe('');
    env.client.kmsg.write(s(1), 'info', 'x');
    expect((await env.run(env.client, 'dmesg', '-C')).stdout).toBe('');
    expect(env.client.kmsg.records).toEqual([]);
    await same(env, 'dmesg-badopt');
  });
});

describe('ps', () => {
  test("ps, ps aux, ps -ef: the real headers, the host's processes in pid order", async () => {
    const env = traceLan();
    spawn(env, env.server, ['nginx', '-g', 'daemon off;'], listener(80, 511));
    await env.sys.runUntil(s(1));
    const plain = await env.run(env.server, 'ps');
    expect(plain.stdout).toBe(
      `${real('ps').stdout} 1000 ?        00:00:00 nginx\n 1001 ?        00:00:00 ps\n`,
    );
    const aux = await env.run(env.server, 'ps', 'aux');
    expect(aux.stdout).toBe(
      `${real('ps-aux').stdout}` +
        'root      1000  0.0  0.0      0     0 ?        S    00:00   0:00 nginx -g daemon off;\n' +
        'root      1002  0.0  0.0      0     0 ?        R    00:00   0:00 ps aux\n',
    );
    const ef = await env.run(env.server, 'ps', '-ef');
    expect(ef.stdout).toBe(
      `${real('ps-ef').stdout}` +
        'root      1000     1  0 00:00 ?        00:00:00 nginx -g daemon off;\n' +
        'root      1003     1  0 00:00 ?        00:00:00 ps -ef\n',
    );
    expect((await env.run(env.server, 'ps', '-p', '1000')).stdout).toBe(
      `${real('ps').stdout} 1000 ?        00:00:00 nginx\n`,
    );
    await same(env, 'ps-badopt');
  });
});

describe('nstat', () => {
  /** linux-traces/normal-handshake/nc: nc connects, shuts down its side after 1 s, the server closes 1 s after EOF. */
  async function normalHandshake(): Promise<Env> {
    const env = traceLan();
    spawn(env, env.server, ['python3'], async (p: Proc) => {
      const l = p.sockets.socket();
      p.sockets.bind(l, 0, 80);
      p.sockets.listen(l, 16);
      const c = await p.wait(p.sockets.accept(l));
      if (!('fd' in c)) return 1;
      for (;;) {
        const d = await p.wait(p.sockets.read(c.fd, 4096));
        if (!(d instanceof Uint8Array) || d.length === 0) break;
      }
      await p.sleep(s(1));
      p.sockets.close(c.fd);
      await p.sleep(s(100));
      return 0;
    });
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['nc'], async (p) => {
      const fd = p.sockets.socket();
      p.sockets.bind(fd, 0, 40001);
      await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
      await p.sleep(s(1));
      p.sockets.shutdown(fd, 'SHUT_WR');
      await p.wait(p.sockets.read(fd, 100));
      return 0;
    });
    await env.sys.runUntil(s(5));
    return env;
  }

  test("-az: every counter of the traces' kernel, in its order, format and value", async () => {
    const env = await normalHandshake();
    for (const [host, file] of [
      [env.client, 'nstat-client.txt'],
      [env.server, 'nstat-server.txt'],
    ] as const) {
      const want = readFileSync(join(TRACES_DIR, 'normal-handshake/nc', file), 'utf8').split('\n');
      const got = (await env.run(host, 'nstat', '-az')).stdout.split('\n');
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        const name = want[i]!.split(/\s+/)[0]!;
        expect(got[i], name).toBe(want[i]);
      }
    }
  });

  test('without -a: increments since the history file; patterns; -z', async () => {
    const env = await normalHandshake();
    const first = await env.run(env.client, 'nstat');
    expect(first.stdout).toContain('TcpActiveOpens                  1                  0.0\n');
    expect(env.sys.fs(env.client).readText('/tmp/.nstat.u0')).toMatch(/^#kernel\n/);
    expect((await env.run(env.client, 'nstat')).stdout).toBe('#kernel\n');
    await env.run(env.client, 'ping', '-c', '1', '192.168.0.22');
    expect((await env.run(env.client, 'nstat', 'Icmp*')).stdout).toBe(
      '#kernel\n' +
        'IcmpInMsgs                      1                  0.0\n' +
        'IcmpInEchoReps                  1                  0.0\n' +
        'IcmpOutMsgs                     1                  0.0\n' +
        'IcmpOutEchos                    1                  0.0\n' +
        'IcmpMsgInType0                  1                  0.0\n' +
        'IcmpMsgOutType8                 1                  0.0\n',
    );
    expect((await env.run(env.client, 'nstat', '-z', 'TcpActiveOpens')).stdout).toBe(
      '#kernel\nTcpActiveOpens                  0                  0.0\n',
    );
    const bad = await env.run(env.client, 'nstat', '-Q');
    expect(bad.status).toBe(255);
    expect(bad.stderr.startsWith("nstat: invalid option -- 'Q'\nUsage: nstat")).toBe(true);
  });
});
