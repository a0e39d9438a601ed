/**
 * The firewall experiments of ../shared/linux-traces, with the firewall set up
 * by tcplab's own iptables command as the traces' script did
 * (`iptables -I INPUT -p tcp --dport 80 -j DROP|REJECT [--reject-with
 * tcp-reset]` on the server): every frame of the client's eth0, printed by
 * tcplab's tcpdump printer with `-n`, must read as the trace's tcpdump.txt
 * (up to ISNs and TS values), at the trace's times, and the server's
 * `iptables-save` and `iptables -L -n -v --line-numbers` as its
 * iptables-final-gt-server.txt.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { type Blocking, Pending, POLLERR, POLLOUT, SocketError } from '../../src/host/socket.js';
import type { TapPacket } from '../../src/host/tap.js';
import { NETFILTER_COMMANDS } from '../../src/netfilter/commands.js';
import { textInput } from '../../src/os/streams.js';
import { System } from '../../src/os/system.js';
import { s } from '../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../src/tcp/sysctl.js';
import { lan, printCapture, SERVER_IP, TRACES } from '../host/helpers.js';

/** Clock times as seconds since the first line; ISNs and TS values as placeholders. */
function normalize(lines: readonly string[]): { t: number; text: string }[] {
  let t0: number | undefined;
  return lines.map((line) => {
    const m = /^(\d\d):(\d\d):(\d\d\.\d{6}) (.*)$/.exec(line);
    if (!m) throw new Error(`not a tcpdump line: ${line}`);
    const t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    t0 ??= t;
    const text = m[4]!
      .replace(/\bseq \d{6,}/g, 'seq ISN')
      .replace(/\back \d{6,}/g, 'ack ISN')
      .replace(/TS val \d+/g, 'TS val T')
      .replace(/ecr [1-9]\d*/g, 'ecr T');
    return { t: t - t0, text };
  });
}

function expectLikeTrace(wire: readonly TapPacket[], experiment: string, tolerance: number): void {
  const ours = normalize(printCapture(wire));
  const theirs = normalize(
    readFileSync(join(TRACES, experiment, 'tcpdump.txt'), 'latin1')
      .trimEnd()
      .split('\n'),
  );
  expect(ours.map((l) => l.text)).toEqual(theirs.map((l) => l.text));
  for (let i = 0; i < theirs.length; i++) {
    expect(Math.abs(ours[i]!.t - theirs[i]!.t), `line ${i + 1}`).toBeLessThanOrEqual(tolerance);
  }
}

/** The server side of iptables-final-gt-server.txt: what iptables-save and -L -n -v printed. */
function finalServerListing(experiment: string): { save: string; list: string } {
  const text = readFileSync(join(TRACES, experiment, 'iptables-final-gt-server.txt'), 'utf8');
  const [, save, list] = text.split(/^### .*\n/m);
  return { save: save!, list: list! };
}

function then<T>(r: Blocking<T>, f: (v: T | SocketError) => void): void {
  if (r instanceof Pending) r.onSettled(f);
  else f(r);
}

function setup() {
  const env = lan({ seed: 1 });
  for (const h of [env.client, env.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  const sys = new System(env.net, { commands: new Map(Object.entries(NETFILTER_COMMANDS)) });
  const run = async (host: Host, line: string): Promise<string> => {
    const r = await sys.exec(host, line.split(' '), { stdin: textInput('') });
    expect(r.status).toBe(0);
    return r.stdout;
  };
  // The traces' Python server: 0.0.0.0:80, backlog 16.
  const so = env.server.sockets;
  const lfd = so.socket();
  so.bind(lfd, 0, 80);
  so.listen(lfd, 16);
  return { ...env, run };
}

/** `nc -p 40001`'s blocking connect(); the error and when it came. */
function blockingConnect(client: Host) {
  const out: { code?: string; at?: number } = {};
  const so = client.sockets;
  const fd = so.socket();
  so.bind(fd, 0, 40001);
  then(so.connect(fd, SERVER_IP, 80), (r) => {
    out.code = r instanceof SocketError ? r.code : 'OK';
    out.at = client.now;
  });
  return out;
}

const DATE = / on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm;

describe('linux-traces firewall experiments, with tcplab iptables', () => {
  test('silent-drop/default-nc: eleven SYNs, nothing back, ETIMEDOUT; the rule counted 11 packets, 660 bytes', async () => {
    const { net, client, server, wire, run } = setup();
    await run(server, 'iptables -I INPUT -p tcp --dport 80 -j DROP');
    const c = blockingConnect(client);
    net.runFor(s(200));
    expect(c.code).toBe('ETIMEDOUT');
    expectLikeTrace(wire, 'silent-drop/default-nc', 2);
    const real = finalServerListing('silent-drop/default-nc');
    expect((await run(server, 'iptables-save')).replace(DATE, '')).toBe(
      real.save.replace(DATE, ''),
    );
    expect(await run(server, 'iptables -L -n -v --line-numbers')).toBe(real.list);
  });

  test('reject-icmp/nc: the non-blocking connect() is refused by the first ICMP port unreachable', async () => {
    const { net, client, server, wire, run } = setup();
    await run(server, 'iptables -I INPUT -p tcp --dport 80 -j REJECT');
    const so = client.sockets;
    const fd = so.socket({ nonBlocking: true });
    so.bind(fd, 0, 40001);
    so.connect(fd, SERVER_IP, 80);
    let soError: unknown;
    then(so.poll([{ fd, events: POLLOUT }], -1), (ready) => {
      if (!(ready instanceof SocketError)) expect(ready[0]!.revents & POLLERR).toBe(POLLERR);
      soError = so.getsockopt(fd, 'SO_ERROR');
    });
    net.runFor(s(5));
    expect(soError).toBe(111);
    expectLikeTrace(wire, 'reject-icmp/nc', 0.01);
    const real = finalServerListing('reject-icmp/nc');
    expect((await run(server, 'iptables-save')).replace(DATE, '')).toBe(
      real.save.replace(DATE, ''),
    );
    expect(await run(server, 'iptables -L -n -v --line-numbers')).toBe(real.list);
  });

  test('reject-icmp/python-blocking: SYN, ICMP, SYN 1 s later, ICMP, ECONNREFUSED', async () => {
    const { net, client, server, wire, run } = setup();
    await run(server, 'iptables -I INPUT -p tcp --dport 80 -j REJECT');
    const c = blockingConnect(client);
    net.runFor(s(5));
    expect(c.code).toBe('ECONNREFUSED');
    expect(c.at).toBeGreaterThanOrEqual(s(1));
    expect(c.at).toBeLessThan(s(1.1));
    expectLikeTrace(wire, 'reject-icmp/python-blocking', 0.03);
    const real = finalServerListing('reject-icmp/python-blocking');
    expect(await run(server, 'iptables -L -n -v --line-numbers')).toBe(real.list);
  });

  test('reject-rst/nc: [R.] seq 0, ack ISN+1, win 0 at once; ECONNREFUSED', async () => {
    const { net, client, server, wire, run } = setup();
    await run(server, 'iptables -I INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset');
    const c = blockingConnect(client);
    net.runFor(s(5));
    expect(c.code).toBe('ECONNREFUSED');
    expect(c.at).toBe(0);
    expectLikeTrace(wire, 'reject-rst/nc', 0.01);
    const real = finalServerListing('reject-rst/nc');
    expect((await run(server, 'iptables-save')).replace(DATE, '')).toBe(
      real.save.replace(DATE, ''),
    );
    expect(await run(server, 'iptables -L -n -v --line-numbers')).toBe(real.list);
  });
});
