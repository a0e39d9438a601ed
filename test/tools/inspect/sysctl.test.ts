/**
 * sysctl (procps 4.0.2) against the real one (fixtures/real-tools.json, run in
 * a fresh network namespace, whose values are the stock ones tcplab's hosts
 * start with): reads, writes, slashes, directories, -p files, and every error.
 */

import { describe, expect, test } from 'vitest';
import { real, traceLan } from './helpers.js';

/** Runs the fixture's command line on a stock host and compares all three outputs. */
async function same(name: string, setup?: (env: ReturnType<typeof traceLan>) => void) {
  const env = traceLan({ stock: true });
  setup?.(env);
  const r = real(name);
  const argv = r.cmd.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
  const got = await env.run(env.client, ...argv);
  expect({ stdout: got.stdout, stderr: got.stderr, status: got.status }, r.cmd).toEqual({
    stdout: r.stdout,
    stderr: r.stderr,
    status: r.exit,
  });
  return env;
}

describe('sysctl', () => {
  test('NAME prints NAME = VALUE; -n the value; slashes for dots', async () => {
    await same('sysctl-get');
    await same('sysctl-n');
    await same('sysctl-slash');
    await same('sysctl-multi', (env) => env.client.sysctl.write('net.ipv4.tcp_fin_timeout', '30'));
  });

  test('a vector keeps its tab; -w writes and echoes the value as given', async () => {
    await same('sysctl-range');
    const env = await same('sysctl-w-range');
    expect(env.client.sysctl.ints('net.ipv4.ip_local_port_range')).toEqual([40000, 50000]);
  });

  test('-w NAME=VALUE and NAME=VALUE without -w both write', async () => {
    let env = await same('sysctl-w');
    expect(env.client.sysctl.int('net.ipv4.tcp_fin_timeout')).toBe(30);
    env = await same('sysctl-noeq');
    expect(env.client.sysctl.int('net.ipv4.tcp_fin_timeout')).toBe(30);
  });

  test('a removed key (tcp_tw_recycle, Linux 4.12) cannot be read or written: exit 1', async () => {
    await same('sysctl-missing');
    await same('sysctl-w-missing');
  });

  test('a refused value, -w without =, no argument, a bad option', async () => {
    const env = await same('sysctl-badval');
    expect(env.client.sysctl.int('net.ipv4.tcp_fin_timeout')).toBe(60);
    await same('sysctl-w-noeq');
    await same('sysctl-noarg');
    await same('sysctl-badopt');
  });

  test('-p FILE applies NAME = VALUE lines, skipping comments; a missing file', async () => {
    await same('sysctl-p', (env) =>
      env.sys
        .fs(env.client)
        .writeFile(
          '/tmp/fx-sysctl.conf',
          'net.ipv4.tcp_fin_timeout = 20\n# comment\nnet.ipv4.tcp_syncookies=1\n',
        ),
    );
    await same('sysctl-p-missing');
  });

  test('a directory lists the keys below it, sorted; -a lists every key', async () => {
    const env = traceLan({ stock: true });
    const r = await env.run(env.client, 'sysctl', 'net.ipv4.neigh.eth0');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(l).toMatch(/^net\.ipv4\.neigh\.eth0\.\S+ = \S/);
    expect(lines).toEqual([...lines].sort());
    // The real `sysctl net.ipv4.conf.eth0` (fixture sysctl-dir) has the same shape.
    for (const l of real('sysctl-dir').stdout.trimEnd().split('\n')) {
      expect(l).toMatch(/^net\.ipv4\.conf\.eth0\.\S+ = \S/);
    }
    const all = await env.run(env.client, 'sysctl', '-a');
    const keys = all.stdout.trimEnd().split('\n');
    expect(keys.length).toBe(env.client.sysctl.keys().length);
    expect(keys).toContain('net.ipv4.tcp_syncookies = 1');
    expect(keys.indexOf('net.core.somaxconn = 4096')).toBeLessThan(
      keys.indexOf('net.ipv4.tcp_syncookies = 1'),
    );
  });

  test('the /proc/sys file and sysctl agree both ways', async () => {
    const env = traceLan({ stock: true });
    env.sys.fs(env.client).writeFile('/proc/sys/net/ipv4/tcp_syncookies', '2\n');
    expect((await env.run(env.client, 'sysctl', '-n', 'net.ipv4.tcp_syncookies')).stdout).toBe(
      '2\n',
    );
    await env.run(env.client, 'sysctl', '-qw', 'net.ipv4.tcp_syncookies=0');
    expect(env.sys.fs(env.client).readText('/proc/sys/net/ipv4/tcp_syncookies')).toBe('0\n');
  });
});
