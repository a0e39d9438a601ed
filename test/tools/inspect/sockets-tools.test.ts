/**
 * ss, netstat and lsof on the scenario of fixtures/capture.sh: a server
 * listening on port 80 (backlog 16) accepts two connections, closes the
 * second at once (its TIME_WAIT) and leaves "hello\n" unread on the first; the
 * client keeps the first (port 40001) and closes the second (40002) after
 * 0.3 s. The real tools' outputs are compared after replacing what differs
 * by nature: process ids (the capture's python3 had pids 8536 and 8578, a
 * tcplab host's first process has 1000) and socket inodes. The capture
 * machine had no /etc/hosts names for the two addresses, so neither has the
 * test's (a tcplab network names every host).
 */

import { describe, expect, test } from 'vitest';
import type { Proc } from '../../../src/os/process.js';
import { s, us } from '../../../src/sim/time.js';
import { netstatStatistics } from '../../../src/tools/inspect/netstat.js';
import { NETSTAT_ST_SECTIONS } from '../../../src/tools/inspect/netstat-table.js';
import {
  captureSockets,
  client,
  type Env,
  ip,
  listener,
  real,
  spawn,
  traceLan,
} from './helpers.js';

async function captureScenario(delay = 0): Promise<Env> {
  const env = traceLan({ stock: true, link: { delay } });
  for (const h of [env.client, env.server]) {
    h.etcHosts.delete('client');
    h.etcHosts.delete('server');
  }
  await captureSockets(env, s(2.5));
  return env;
}

/** The fixture with the capture's pids and inodes replaced by this run's. */
function fixture(name: string, inodes: string[] = []): string {
  let i = 0;
  return real(name)
    .stdout.replace(/\b(8536|8578)\b/g, '1000')
    .replace(/\b38771\d\d\b|\b3876566\b/g, () => inodes[i++] ?? '?');
}

async function run(env: Env, side: 'c' | 's', argv: string[]) {
  return env.run(side === 'c' ? env.client : env.server, ...argv);
}

describe('ss on the capture scenario', () => {
  test('the client: -tan, -tn, -t (service names), -tano, -tnp (users:), filters', async () => {
    const env = await captureScenario();
    for (const name of [
      'ss-tan-c',
      'ss-tn-c',
      'ss-t-c',
      'ss-tano-c',
      'ss-tnp-c',
      'ss-state-tw',
      'ss-state-est',
      'ss-exclude',
      'ss-dport',
    ]) {
      const r = real(name);
      const got = await run(env, 'c', r.cmd.split(' '));
      expect({ out: got.stdout, err: got.stderr, status: got.status }, r.cmd).toEqual({
        out: fixture(name),
        err: r.stderr,
        status: r.exit,
      });
    }
  });

  test('the server: -ltn, -ltnp, state listening, sport = :80', async () => {
    const env = await captureScenario();
    for (const name of ['ss-ltn-s', 'ss-ltnp-s', 'ss-state-listening', 'ss-sport']) {
      const r = real(name);
      const got = await run(env, 's', r.cmd.split(' '));
      expect(got.stdout, r.cmd).toBe(fixture(name));
    }
  });

  test('the server -tan: the same lines; the order of the established hash differs (by design)', async () => {
    const env = await captureScenario();
    const got = (await run(env, 's', ['ss', '-tan'])).stdout.split('\n');
    const want = fixture('ss-tan-s').split('\n');
    expect(got[0]).toBe(want[0]);
    expect(got[1]).toBe(want[1]);
    expect([...got].sort()).toEqual([...want].sort());
  });

  test("-i: the engine's tcp_info on a second line, -o adds ts sack", async () => {
    // A 20 µs link, as the veths of the capture (rtt:0.038 there).
    const env = await captureScenario(us(20));
    const r = await run(env, 'c', ['ss', '-tin']);
    const lines = r.stdout.split('\n');
    // The Port column is 4 wide ("Port"), and the ext token follows it at once.
    expect(lines[1]).toBe('ESTAB 0      0       192.168.0.21:40001 192.168.0.22:80  ');
    expect(lines[2]).toMatch(
      /^\t cubic wscale:7,7 rto:20\d rtt:[\d.]+\/[\d.]+ mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 bytes_sent:6 bytes_acked:7 segs_out:3 segs_in:2 data_segs_out:1 send \d+bps lastsnd:\d+ lastrcv:\d+ lastack:\d+ pacing_rate \d+bps delivery_rate \d+bps delivered:2 app_limited rcv_space:\d+ rcv_ssthresh:\d+ minrtt:[\d.]+ snd_wnd:\d+$/,
    );
    // The counters tcplab keeps are the real kernel's (its line adds bbr's
    // own fields).
    const fields = (line: string): Record<string, string> =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .filter((w) => /^[a-z_]+:[\d.]+$/.test(w))
          .map((w) => w.split(':') as [string, string]),
      );
    const ours = fields(lines[2]!);
    const theirs = fields(real('ss-ti-c').stdout.split('\n')[2]!);
    for (const k of [
      'bytes_sent',
      'bytes_acked',
      'segs_out',
      'segs_in',
      'data_segs_out',
      'delivered',
      'rcv_space',
      'rcv_ssthresh',
    ]) {
      expect(ours[k], k).toBe(theirs[k]);
    }
    // As the kernel's: the last delivery sample is the request's, app-limited
    // (the write found nothing in flight), one segment in the time its ACK
    // took, which is the connection's min_rtt here.
    const theirLine = real('ss-ti-c').stdout.split('\n')[2]!;
    expect(theirLine).toMatch(/ pacing_rate \S+ delivery_rate \S+ delivered:2 app_limited /);
    const minRttUs = Math.round(Number(ours.minrtt) * 1000);
    const rate = / delivery_rate (\d+)bps /.exec(lines[2]!)![1];
    expect(Number(rate)).toBe(Math.floor((1448 * 1_000_000) / minRttUs) * 8);
    const o = await run(env, 'c', ['ss', '-tino']);
    expect(o.stdout.split('\n')[2]).toMatch(/^\t ts sack cubic wscale:7,7 /);
  });

  test('errors: a bad state name (255), -Z (SELinux), a bad option with the usage (255), a bad port', async () => {
    const env = await captureScenario();
    for (const name of ['ss-badstate', 'ss-badopt']) {
      const r = real(name);
      const got = await run(env, 'c', r.cmd.split(' '));
      expect({ err: got.stderr, status: got.status }).toEqual({ err: r.stderr, status: r.exit });
    }
    const bad = await run(env, 'c', ['ss', '-Q']);
    expect(bad.status).toBe(255);
    expect(bad.stderr.startsWith("ss: invalid option -- 'Q'\nUsage: ss [ OPTIONS ]\n")).toBe(true);
    expect(await run(env, 'c', ['ss', '-tn', 'sport', '=', ':abc'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Error: "abc" does not look like a port.\nCannot parse dst/src address.\n',
    });
    const syntax = await run(env, 'c', ['ss', '-tn', 'sport', '=', ':80', 'or']);
    expect(syntax.status).toBe(255);
    expect(syntax.stderr).toMatch(
      /^ss: bison bellows \(while parsing filter\): "syntax error!" Sorry\.\nUsage: ss/,
    );
  });
});

describe('netstat on the capture scenario', () => {
  test('-antp, -tn, -at (service names), -lnt on both sides', async () => {
    const env = await captureScenario();
    for (const [name, side] of [
      ['netstat-antp-c', 'c'],
      ['netstat-tn-c', 'c'],
      ['netstat-at-c', 'c'],
      ['netstat-lnt-s', 's'],
    ] as const) {
      const r = real(name);
      const got = await run(env, side, r.cmd.split(' '));
      expect(got.stdout, r.cmd).toBe(fixture(name));
    }
    // The server's lines, TIME_WAIT with no program ("-"); the hash order aside.
    const got = (await run(env, 's', ['netstat', '-antp'])).stdout.split('\n');
    expect([...got].sort()).toEqual([...fixture('netstat-antp-s').split('\n')].sort());
  });

  test('-Z and a bad option', async () => {
    const env = await captureScenario();
    const r = real('netstat-badopt');
    expect(await run(env, 'c', r.cmd.split(' '))).toEqual({
      status: r.exit,
      stdout: r.stdout,
      stderr: r.stderr,
    });
    const bad = await run(env, 'c', ['netstat', '-Q']);
    expect(bad.status).toBe(3);
    expect(bad.stderr.startsWith("netstat: invalid option -- 'Q'\nusage: netstat")).toBe(true);
  });
});

describe('netstat -s', () => {
  /** The counters of fixture proc-net-seq: each one 1000 + its position. */
  function seqSource() {
    const values = new Map<string, number>();
    const lines = real('proc-net-seq').stdout.trimEnd().split('\n');
    for (let i = 0; i < lines.length; i += 2) {
      const names = lines[i]!.split(' ');
      const vals = lines[i + 1]!.split(' ');
      const section = names[0]!.slice(0, -1);
      for (let k = 1; k < names.length; k++) values.set(section + names[k], Number(vals[k]));
    }
    const icmpMsg: [string, number][] = [...values].filter(([n]) => n.startsWith('IcmpMsg'));
    return { get: (n: string) => values.get(n) ?? 0, icmpMsg };
  }

  test("every counter with net-tools' words, in the kernel's order (distinct values)", () => {
    expect(netstatStatistics(seqSource(), undefined)).toBe(real('netstat-s-seq').stdout);
    expect(netstatStatistics(seqSource(), NETSTAT_ST_SECTIONS)).toBe(real('netstat-st-seq').stdout);
  });

  test('a fresh host prints what a fresh kernel does: the lines net-tools always prints', async () => {
    const env = traceLan({ stock: true });
    env.client.tcp; // the host's TCP exists, as on every Linux
    expect((await env.run(env.server, 'netstat', '-s')).stdout).toBe(
      real('netstat-s-fresh').stdout,
    );
  });

  test("after traffic: the host's and the engine's counters", async () => {
    const env = await captureScenario();
    const out = (await run(env, 'c', ['netstat', '-s'])).stdout;
    const c = env.client.tcp.net.counters;
    expect(out).toContain(`    ${c.TcpActiveOpens} active connection openings\n`);
    expect(c.TcpActiveOpens).toBe(2);
    expect(out).toContain(`    ${c.TcpOutSegs} segments sent out\n`);
    expect(out).toContain(
      `    ${env.client.counters.get('IpInReceives')} total packets received\n`,
    );
  });
});

describe('lsof on the capture scenario', () => {
  test('-i:80, -i tcp, -n -P -i, -nP -i:80; nothing found: exit 1', async () => {
    const env = await captureScenario();
    const inodes = (host: 'c' | 's') => {
      const h = host === 'c' ? env.client : env.server;
      return env.sys
        .processes(h)
        .flatMap((p) => p.sockets.fds)
        .map(() => '');
    };
    void inodes;
    for (const [name, side] of [
      ['lsof-i80-s', 's'],
      ['lsof-itcp-c', 'c'],
      ['lsof-nP-s', 's'],
      ['lsof-i80-nP-c', 'c'],
    ] as const) {
      const r = real(name);
      const got = await run(env, side, r.cmd.split(' '));
      // DEVICE holds the socket inodes: this run's, in the fixture's places.
      const devs = got.stdout
        .split('\n')
        .slice(1)
        .filter((l) => l !== '')
        .map((l) => l.split(/\s+/)[5]!);
      expect(got.stdout, r.cmd).toBe(fixture(name, devs));
      expect(got.status).toBe(0);
    }
    const none = real('lsof-none');
    expect(await run(env, 'c', none.cmd.split(' '))).toEqual({
      status: none.exit,
      stdout: '',
      stderr: '',
    });
  });

  test('-t prints pids; -sTCP:LISTEN keeps listeners', async () => {
    const env = await captureScenario();
    expect((await run(env, 's', ['lsof', '-t', '-i:80'])).stdout).toBe('1000\n');
    const l = await run(env, 's', ['lsof', '-nP', '-iTCP', '-sTCP:LISTEN']);
    expect(l.stdout.split('\n').slice(1)).toEqual([
      'python3 1000 root    3u  IPv4 3870000      0t0  TCP *:80 (LISTEN)',
      '',
    ]);
  });
});

describe('names: /etc/hosts and /etc/services without -n', () => {
  test('netstat, lsof and ss name hosts and ports as the real ones do', async () => {
    const env = traceLan({ stock: true });
    spawn(env, env.client, ['python3'], async (p: Proc) => {
      const l = p.sockets.socket();
      p.sockets.bind(l, 0, 80);
      p.sockets.listen(l, 5);
      const m = p.sockets.socket();
      p.sockets.bind(m, ip('127.0.0.1'), 8080);
      p.sockets.listen(m, 5);
      const c = p.sockets.socket();
      p.sockets.bind(c, 0, 47318);
      await p.wait(p.sockets.connect(c, ip('127.0.0.1'), 8080));
      await p.wait(p.sockets.accept(m));
      await p.sleep(s(100));
      return 0;
    });
    await env.sys.runUntil(s(0.5));
    const out = async (...argv: string[]) => (await env.run(env.client, ...argv)).stdout;
    expect(await out('netstat', '-lt')).toBe(real('names-netstat-lt').stdout);
    const t = (await out('netstat', '-t')).split('\n');
    expect([...t].sort()).toEqual(real('names-netstat-t').stdout.split('\n').sort());
    const ss = (await out('ss', '-t')).split('\n');
    expect([...ss].sort()).toEqual(real('names-ss-t').stdout.split('\n').sort());
    const lsof = await out('lsof', '-i');
    const devs = lsof
      .split('\n')
      .slice(1, -1)
      .map((l) => l.split(/\s+/)[5]!);
    let i = 0;
    expect(lsof).toBe(
      real('names-lsof-i')
        .stdout.replaceAll('8739', '1000')
        .replace(/547800\d/g, () => devs[i++]!),
    );
  });
});

test("ss -r names hosts from /etc/hosts (the host's own address has no line there)", async () => {
  const env = traceLan({ stock: true });
  spawn(env, env.server, ['python3'], listener(80, 5));
  await env.sys.runUntil(s(0.1));
  spawn(env, env.client, ['python3'], client('192.168.0.22', 80, 40001, undefined));
  await env.sys.runUntil(s(1));
  const lines = (await run(env, 'c', ['ss', '-tr'])).stdout.split('\n');
  expect(lines[1]!.trim().split(/\s+/)).toEqual([
    'ESTAB',
    '0',
    '0',
    '192.168.0.21:40001',
    'server:http',
  ]);
});
