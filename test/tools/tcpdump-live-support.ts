/**
 * Fixtures for the live tcpdump tests: the reference traces' LAN (client
 * 192.168.0.21 / 02:00:00:00:00:21, server 192.168.0.22 / 02:00:00:00:00:22 on
 * one segment) with processes, and small drivers: start tcpdump with collected
 * output, let virtual time pass, send a signal, ping, open and close a TCP
 * connection.
 */

import type { Host } from '../../src/host/host.js';
import type { ProcessInfo, Signal } from '../../src/os/process.js';
import { CollectOutput, NULL_INPUT } from '../../src/os/streams.js';
import { System } from '../../src/os/system.js';
import { Network } from '../../src/sim/network.js';
import { type Duration, ms, s } from '../../src/sim/time.js';
import { tcpdumpCommand } from '../../src/tools/tcpdump-live.js';
import { parseIpv4Address } from '../../src/wire/address.js';

export function addr(text: string): number {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(text);
  return r.value;
}

/** The reference traces' LAN: client 192.168.0.21, server 192.168.0.22, one segment. */
export function lab(seed = 1) {
  const net = new Network({ seed });
  net.segment('lan');
  const client = net.addHost('client', {
    segment: 'lan',
    address: '192.168.0.21/24',
    mac: '02:00:00:00:00:21',
  });
  const server = net.addHost('server', {
    segment: 'lan',
    address: '192.168.0.22/24',
    mac: '02:00:00:00:00:22',
  });
  const sys = new System(net, { commands: new Map([['tcpdump', tcpdumpCommand]]) });
  return { net, sys, client, server };
}

export type Lab = ReturnType<typeof lab>;

/** A network with processes. */
export type Sim = Pick<Lab, 'net' | 'sys'>;

/** A network of its own with tcpdump on it. */
export function sim(net: Network): Sim {
  return { net, sys: new System(net, { commands: new Map([['tcpdump', tcpdumpCommand]]) }) };
}

/** A process with collected output. */
export interface Running {
  readonly proc: ProcessInfo;
  readonly stdout: CollectOutput;
  readonly stderr: CollectOutput;
}

export function start(env: Sim, host: Host, argv: readonly string[], terminal = false): Running {
  const stdout = new CollectOutput({ isTerminal: terminal });
  const stderr = new CollectOutput({ isTerminal: terminal });
  const proc = env.sys.spawn(host, tcpdumpCommand, { argv, stdin: NULL_INPUT, stdout, stderr });
  return { proc, stdout, stderr };
}

export async function elapse(env: Sim, d: Duration): Promise<void> {
  await env.sys.runUntil(env.net.now + d);
}

export async function kill(env: Sim, r: Running, signal: Signal): Promise<number> {
  env.sys.kill(r.proc.host, r.proc.pid, signal);
  await env.sys.runWhile(() => r.proc.exitStatus === undefined, env.net.now + s(1));
  return r.proc.exitStatus ?? -1;
}

/** `ping -c COUNT -i INTERVAL DST` from the client: 56 data bytes, answered at once. */
export async function ping(
  env: Lab,
  dst: string,
  count: number,
  interval: Duration,
): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    env.client.icmp.sendEcho({
      dst: addr(dst),
      id: 0x4d2,
      sequence: seq,
      data: new Uint8Array(56),
    });
    await elapse(env, seq < count ? interval : ms(1));
  }
}

/** A client connects to a listener on the server's port 80, sends a line, and closes. */
export async function converse(env: Lab, port = 80): Promise<void> {
  const { server, client } = env;
  // Processes started just before (a capture) begin at the next settle, as a
  // forked child runs after its parent's fork() returns.
  await env.sys.settle();
  const l = server.sockets.socket();
  server.sockets.bind(l, 0, port);
  server.sockets.listen(l, 5);
  const c = client.sockets.socket({ nonBlocking: true });
  client.sockets.bind(c, 0, 40001);
  client.sockets.connect(c, addr('192.168.0.22'), port);
  await elapse(env, ms(10));
  const accepted = server.sockets.accept(l);
  client.sockets.write(c, new TextEncoder().encode('hello\n'));
  await elapse(env, ms(100));
  client.sockets.close(c);
  await elapse(env, ms(100));
  if (typeof accepted === 'object' && accepted !== null && 'fd' in accepted) {
    server.sockets.close(accepted.fd);
  }
  server.sockets.close(l);
  await elapse(env, s(1));
}
