/**
 * /proc/net/tcp, sockstat, snmp and netstat on the scenario of
 * test/tools/inspect/fixtures/capture.sh (a server on port 80 accepts two
 * connections and closes the second, whose client closed too: its TIME_WAIT;
 * "hello\n" sits unread on the first), compared with the real kernel's files
 * for the same scenario (fixtures/procnet/, recorded by record.sh there).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import type { Proc } from '../../src/os/process.js';
import { textInput } from '../../src/os/streams.js';
import { s, us } from '../../src/sim/time.js';
import { COMMANDS } from '../../src/tools/commands.js';
import { captureSockets, type Env, ip, spawn, traceLan } from '../tools/inspect/helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'procnet');

function real(name: string): string {
  return readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');
}

interface Scenario extends Env {
  cat(host: Host, path: string): Promise<string>;
}

/**
 * capture.sh's hosts with every command (stock sysctls; 20 us each way: a
 * veth's RTT is tens of microseconds, and with none the engine would have no
 * RTT sample, hence a 3 s RTO).
 */
function hosts(): Scenario {
  const env = traceLan({ stock: true, link: { delay: us(20) }, commands: COMMANDS });
  return {
    ...env,
    async cat(host, path) {
      const r = await env.sys.exec(host, ['cat', path]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout;
    },
  };
}

/** record.sh's first scenario, read 3 s after the client began. */
async function scenario(): Promise<Scenario> {
  const sc = hosts();
  await captureSockets(sc, s(3.5));
  return sc;
}

/**
 * A /proc/net/tcp line with what differs by nature replaced: the inode (a
 * counter of the machine's), the hashed socket pointer, and a TIME_WAIT's
 * time left (when the scenario's close happened within the recording's
 * seconds): its value is checked apart.
 */
function normalized(line: string): string {
  const f = line.trim().split(/ +/);
  // [sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode, ref, pointer, ...]
  if (f.length < 12) return line;
  f[0] = '<sl>';
  if (f[3] === '06' || f[3] === '05') f[5] = f[5]!.replace(/:.*/, ':<when>');
  f[9] = f[9] === '0' ? '0' : '<inode>';
  f[11] = '<pointer>';
  return f.join(' ');
}

describe('/proc/net/tcp', () => {
  test("each side's sockets as the kernel lists them (up to inodes, pointers, the order of the hash)", async () => {
    const sc = await scenario();
    for (const [host, name] of [
      [sc.client, 'client'],
      [sc.server, 'server'],
    ] as const) {
      const got = (await sc.cat(host, '/proc/net/tcp')).split('\n');
      const want = real(`${name}-tcp`).split('\n');
      // Every line padded to 149 columns, as seq_pad does.
      for (const line of got.slice(0, -1)) expect(line.length).toBe(149);
      expect(got[0]).toBe(want[0]);
      // DEVIATION (inet-sockets.ts): Linux lists its hash buckets in an order
      // of its boot secret; tcplab lists sockets in the order they were made.
      expect(got.slice(1).map(normalized).sort()).toEqual(want.slice(1).map(normalized).sort());
    }
  });

  test("a TIME_WAIT's time left in 10 ms ticks: 60 s from the moment it began", async () => {
    const sc = await scenario();
    const text = await sc.cat(sc.server, '/proc/net/tcp');
    const tw = text.split('\n').find((l) => / 06 /.test(l));
    const m = / 03:([0-9A-F]{8}) /.exec(tw ?? '');
    expect(m).not.toBeNull();
    const left = Number.parseInt(m![1]!, 16);
    // The server closed its second connection as soon as it accepted it (at
    // about 0.5 s), the client at 0.8 s: TIME_WAIT began then, 2.7 s before
    // the read at 3.5 s: 57.3 s left, to the jiffy (4 ms).
    const ss = await sc.sys.exec(sc.server, ['ss', '-tano', 'state', 'time-wait']);
    const sec = /timer:\(timewait,([\d.]+)sec,0\)/.exec(ss.stdout);
    expect(left).toBeGreaterThan(5700);
    expect(left).toBeLessThan(5750);
    // ss shows the same expiry (inet_twsk_diag_fill, in seconds).
    expect(Math.floor(left / 100)).toBe(Math.floor(Number(sec?.[1])));
  });

  test('an orphan in FIN_WAIT1 retransmitting its FIN: no inode, the timer, the backoff', async () => {
    const sc = hosts();
    const { sys, net, client, server } = sc;
    spawn(sc, server, ['python3'], async (p: Proc) => {
      const l = p.sockets.socket();
      p.sockets.bind(l, 0, 81);
      p.sockets.listen(l, 16);
      await p.wait(p.sockets.accept(l));
      await p.sleep(s(30));
      return 0;
    });
    await sys.runUntil(s(0.5));
    spawn(sc, client, ['python3'], async (p: Proc) => {
      const c = p.sockets.socket();
      p.sockets.bind(c, 0, 40003);
      await p.wait(p.sockets.connect(c, ip('192.168.0.22'), 81));
      await p.sleep(s(0.5));
      // From now on nothing reaches the server (record.sh: iptables DROP on its INPUT).
      net.link('lan').configure({ loss: 1 });
      p.sockets.close(c);
      return 0;
    });
    await sys.runUntil(s(2.5));
    const got = (await sc.cat(client, '/proc/net/tcp')).split('\n');
    const want = real('orphan-client-tcp').split('\n');
    expect(got.length).toBe(want.length);
    // The same line up to the timing-dependent fields: time to the next
    // retransmission, retransmissions so far, the backed-off RTO.
    const timing = (line: string) =>
      normalized(line)
        .split(' ')
        .map((f, i) => ([5, 6, 12].includes(i) ? '<t>' : f))
        .join(' ');
    expect(timing(got[1]!)).toBe(timing(want[1]!));
    const f = got[1]!.trim().split(/ +/);
    const c = client.tcp.connections[0]!.conn;
    // The time left is what ss shows for the same timer (icsk_timeout -
    // jiffies), in 10 ms ticks.
    const ss = await sys.exec(client, ['ss', '-tano']);
    const onMs = /timer:\(on,(\d+)ms,(\d+)\)/.exec(ss.stdout);
    expect(f[5]).toBe(
      `01:${Math.floor(Number(onMs?.[1]) / 10)
        .toString(16)
        .toUpperCase()
        .padStart(8, '0')}`,
    );
    expect(Number.parseInt(f[6]!, 16)).toBe(Number(onMs?.[2]));
    expect(Number.parseInt(f[6]!, 16)).toBe(c.retransmits);
    expect(c.retransmits).toBeGreaterThanOrEqual(2);
    expect(Number(f[12])).toBe(Math.floor((c.rto * 4) / 10));
    const sockstat = await sc.cat(client, '/proc/net/sockstat');
    // alloc and mem are the machine's in Linux (procnet.ts): here the orphan
    // alone, whose FIN holds no data bytes.
    expect(sockstat).toBe(
      real('orphan-client-sockstat').replace(/alloc \d+ mem \d+/, 'alloc 1 mem 0'),
    );
  });

  test('ls, and what cannot be read or written, with the errors the real tools print', async () => {
    const sc = hosts();
    const run = (...argv: string[]) => sc.sys.exec(sc.client, argv);
    expect((await run('ls', '/proc/net')).stdout).toBe(
      'arp\ndev\nnetstat\nroute\nsnmp\nsockstat\ntcp\n',
    );
    expect((await run('ls', '/proc')).stdout).toBe('net\nsys\n');
    expect(await run('cat', '/proc/net')).toEqual({
      status: 1,
      stdout: '',
      stderr: 'cat: /proc/net: Is a directory\n',
    });
    expect(await run('cat', '/proc/net/udp6')).toEqual({
      status: 1,
      stdout: '',
      stderr: 'cat: /proc/net/udp6: No such file or directory\n',
    });
    const w = await sc.sys.exec(sc.client, ['tee', '/proc/net/tcp'], {
      stdin: textInput('x\n'),
    });
    expect(w.status).toBe(1);
    expect(w.stderr).toBe('tee: /proc/net/tcp: Permission denied\n');
  });
});

describe('/proc/net/dev, arp and route', () => {
  test("each side's interface counters, neighbours and routes equal the real kernel's", async () => {
    const sc = await scenario();
    for (const [host, name] of [
      [sc.client, 'client'],
      [sc.server, 'server'],
    ] as const) {
      expect(await sc.cat(host, '/proc/net/dev')).toBe(real(`${name}-dev`));
      expect(await sc.cat(host, '/proc/net/arp')).toBe(real(`${name}-arp`));
      expect(await sc.cat(host, '/proc/net/route')).toBe(real(`${name}-route`));
    }
  });

  test("a route through a gateway (in the trie's order) and a permanent neighbour", async () => {
    const sc = await scenario();
    const ipCmd = (...argv: string[]) => sc.sys.exec(sc.client, ['ip', ...argv]);
    expect(
      (await ipCmd('route', 'add', '10.9.0.0/16', 'via', '192.168.0.1', 'metric', '5')).status,
    ).toBe(0);
    expect(
      (await ipCmd('neigh', 'add', '192.168.0.99', 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0'))
        .status,
    ).toBe(0);
    expect(await sc.cat(sc.client, '/proc/net/route')).toBe(real('client-route2'));
    expect(await sc.cat(sc.client, '/proc/net/arp')).toBe(real('client-arp2'));
  });
});

describe('/proc/net/sockstat', () => {
  test('the counts of the namespace: used, inuse, orphan, tw (alloc and mem are global in Linux)', async () => {
    const sc = await scenario();
    // The recording's alloc and mem count every namespace of the machine (and
    // mem per-CPU reserves): tcplab's are its own, checked by value here.
    const mask = (t: string) => t.replace(/alloc \d+ mem \d+/, 'alloc - mem -');
    const client = await sc.cat(sc.client, '/proc/net/sockstat');
    const server = await sc.cat(sc.server, '/proc/net/sockstat');
    expect(mask(client)).toBe(mask(real('client-sockstat')));
    expect(mask(server)).toBe(mask(real('server-sockstat')));
    // The client: its connection (its second is gone); the server: the
    // listener and the accepted connection, whose 6 unread bytes take a page.
    expect(client).toContain('TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n');
    expect(server).toContain('TCP: inuse 2 orphan 0 tw 1 alloc 2 mem 1\n');
  });

  test('a socket not yet connected is allocated, not in use', async () => {
    const sc = hosts();
    spawn(sc, sc.client, ['python3'], async (p: Proc) => {
      p.sockets.socket();
      await p.sleep(s(10));
      return 0;
    });
    await sc.sys.runUntil(s(1));
    expect(await sc.cat(sc.client, '/proc/net/sockstat')).toMatch(
      /^sockets: used 1\nTCP: inuse 0 orphan 0 tw 0 alloc 1 mem 0\n/,
    );
  });
});

describe('/proc/net/snmp and /proc/net/netstat', () => {
  test("every counter of each side equals the real kernel's after the same traffic", async () => {
    const sc = await scenario();
    for (const [host, name] of [
      [sc.client, 'client'],
      [sc.server, 'server'],
    ] as const) {
      expect(await sc.cat(host, '/proc/net/snmp')).toBe(real(`${name}-snmp`));
      expect(await sc.cat(host, '/proc/net/netstat')).toBe(real(`${name}-netstat`));
    }
  });

  test('IcmpMsg: the types seen, between Icmp and Tcp', async () => {
    const sc = hosts();
    const before = (await sc.cat(sc.server, '/proc/net/snmp')).split('\n');
    expect(before.some((l) => l.startsWith('IcmpMsg:'))).toBe(false);
    expect((await sc.sys.exec(sc.client, ['ping', '-c', '2', '192.168.0.22'])).status).toBe(0);
    const lines = (await sc.cat(sc.server, '/proc/net/snmp')).split('\n');
    const at = lines.findIndex((l) => l.startsWith('IcmpMsg:'));
    expect(lines[at - 1]).toMatch(/^Icmp: 2 0 /);
    // icmpmsg_put: the In types, then the Out ones (echo request 8, echo reply 0).
    expect(lines[at]).toBe('IcmpMsg: InType8 OutType0');
    expect(lines[at + 1]).toBe('IcmpMsg: 2 2');
    expect(lines[at + 2]).toMatch(/^Tcp: /);
  });
});
