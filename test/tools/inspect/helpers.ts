/**
 * Fixtures for the inspection tools: the reference traces' LAN (client
 * 192.168.0.21, server 192.168.0.22, the traces' TCP sysctls), a System whose
 * hosts run this part's commands, small socket programs (a listener that
 * never accepts, a client bound to a fixed port that sends a line and holds
 * its socket), the ss blocks of linux-traces/*\/ss-*.txt and the real tools'
 * outputs captured by fixtures/capture.sh (fixtures/real-tools.json).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../../../src/host/host.js';
import type { Command, Proc } from '../../../src/os/process.js';
import { NULL_INPUT, NULL_OUTPUT } from '../../../src/os/streams.js';
import { type ExecResult, System } from '../../../src/os/system.js';
import type { LinkProperties } from '../../../src/sim/link.js';
import { Network } from '../../../src/sim/network.js';
import { s } from '../../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../../src/tcp/sysctl.js';
import { INSPECT_COMMANDS } from '../../../src/tools/inspect/index.js';
import { parseIpv4Address } from '../../../src/wire/address.js';
import { TRACES_DIR } from '../../shared.js';

export function ip(text: string): number {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(text);
  return r.value;
}

export interface Env {
  readonly net: Network;
  readonly sys: System;
  readonly client: Host;
  readonly server: Host;
  run(host: Host, ...argv: string[]): Promise<ExecResult>;
}

/** The traces' two hosts, with the traces' kernel sysctls unless `stock`, running `commands` (this part's by default). */
export function traceLan(
  options: {
    link?: Partial<LinkProperties>;
    stock?: boolean;
    seed?: number;
    commands?: ReadonlyMap<string, Command>;
  } = {},
): Env {
  const net = new Network({ seed: options.seed ?? 1 });
  const link = net.segment('lan', options.link ?? {});
  const client = net.addHost('client', {
    segment: link,
    address: '192.168.0.21/24',
    mac: '02:00:00:00:00:21',
  });
  const server = net.addHost('server', {
    segment: link,
    address: '192.168.0.22/24',
    mac: '02:00:00:00:00:22',
  });
  if (options.stock !== true) {
    for (const h of [client, server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  }
  const sys = new System(net, {
    commands: options.commands ?? new Map(Object.entries(INSPECT_COMMANDS)),
  });
  return {
    net,
    sys,
    client,
    server,
    run: (host, ...argv) => sys.exec(host, argv, { timeLimit: s(600) }),
  };
}

/** Starts a background process. */
export function spawn(env: Env, host: Host, argv: string[], command: Command): number {
  return env.sys.spawn(host, command, {
    argv,
    stdin: NULL_INPUT,
    stdout: NULL_OUTPUT,
    stderr: NULL_OUTPUT,
  }).pid;
}

/**
 * The sockets of fixtures/capture.sh (and test/os/fixtures/procnet/record.sh):
 * the server listens on port 80 (backlog 16), accepts two connections and
 * closes the second at once; from 0.5 s the client connects from port 40001,
 * sends "hello\n" and keeps the socket, connects from 40002 and closes that
 * one 0.3 s later. Runs until `until`.
 */
export async function captureSockets(env: Env, until: number): Promise<void> {
  spawn(env, env.server, ['python3'], async (p: Proc) => {
    const l = p.sockets.socket();
    p.sockets.setsockopt(l, 'SO_REUSEADDR', true);
    p.sockets.bind(l, 0, 80);
    p.sockets.listen(l, 16);
    await p.wait(p.sockets.accept(l));
    const b = await p.wait(p.sockets.accept(l));
    if ('fd' in b) p.sockets.close(b.fd);
    await p.sleep(s(30));
    return 0;
  });
  await env.sys.runUntil(s(0.5));
  spawn(env, env.client, ['python3'], async (p: Proc) => {
    const c = p.sockets.socket();
    p.sockets.bind(c, 0, 40001);
    await p.wait(p.sockets.connect(c, ip('192.168.0.22'), 80));
    await p.wait(p.sockets.write(c, new TextEncoder().encode('hello\n')));
    const t = p.sockets.socket();
    p.sockets.bind(t, 0, 40002);
    await p.wait(p.sockets.connect(t, ip('192.168.0.22'), 80));
    await p.sleep(s(0.3));
    p.sockets.close(t);
    await p.sleep(s(30));
    return 0;
  });
  await env.sys.runUntil(until);
}

/** A server that listens on 0.0.0.0:`port` with `backlog` and never accepts. */
export function listener(port: number, backlog: number, accept = false): Command {
  return async (p: Proc) => {
    const fd = p.sockets.socket();
    p.sockets.setsockopt(fd, 'SO_REUSEADDR', true);
    p.sockets.bind(fd, 0, port);
    p.sockets.listen(fd, backlog);
    if (accept) {
      for (;;) {
        const c = await p.wait(p.sockets.accept(fd));
        if (!('fd' in c)) return 1;
      }
    }
    await p.sleep(s(100_000));
    return 0;
  };
}

/** A client bound to `port` that connects, sends `line` after `delay` and holds the socket. */
export function client(
  dst: string,
  dport: number,
  port: number,
  line: string | undefined,
  delay = s(0.5),
): Command {
  return async (p: Proc) => {
    const fd = p.sockets.socket();
    p.sockets.bind(fd, 0, port);
    const r = await p.wait(p.sockets.connect(fd, ip(dst), dport));
    if (typeof r !== 'number') return 1;
    if (line !== undefined) {
      await p.sleep(delay);
      await p.wait(p.sockets.write(fd, new TextEncoder().encode(line)));
    }
    await p.sleep(s(100_000));
    return 0;
  };
}

/** The block of `## <ns>: <command>` in a trace's ss-NN-*.txt. */
export function traceSs(file: string, ns: 'gt-client' | 'gt-server', command: string): string {
  const text = readFileSync(join(TRACES_DIR, file), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${ns}: ${command}`));
  if (start < 0) throw new Error(`${file}: no ${ns} ${command}`);
  const out: string[] = [];
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('#'); i++) {
    if (lines[i] === '' && i === lines.length - 1) break;
    out.push(lines[i]!);
  }
  return `${out.join('\n')}\n`;
}

interface RealRun {
  readonly cmd: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: number;
}

const REAL: Record<string, RealRun> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/real-tools.json'), 'utf8'),
);

/** What the real tool printed (fixtures/capture.sh). */
export function real(name: string): RealRun {
  const r = REAL[name];
  if (r === undefined) throw new Error(`no fixture ${name}`);
  return r;
}
