/**
 * telnet and nc, run as commands on the traces' LAN against a server scripted
 * like the traces' Python server, compared with ../shared/linux-traces: what
 * the program printed (client-*.txt, stdout and stderr as they landed in one
 * file), its exit status and when it exited (client-*.result), and every packet
 * on the client's wire (tcpdump.txt: flags, lengths, windows, options,
 * relative times).
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../../src/host/host.js';
import { type Blocking, Pending, SocketError } from '../../../src/host/socket.js';
import { NS_PER_S, s } from '../../../src/sim/time.js';
import { IPPROTO_TCP } from '../../../src/wire/ipv4.js';
import {
  type AppsLab,
  appsLab,
  expectLikeTrace,
  run,
  scriptedInput,
  traceFile,
} from './harness.js';

function then<T>(r: Blocking<T>, f: (v: T | SocketError) => void): void {
  if (r instanceof Pending) r.onSettled(f);
  else f(r);
}

function value<T>(r: T | SocketError): T {
  if (r instanceof SocketError) throw new Error(`unexpected ${r.message}`);
  return r;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (t: string): Uint8Array => new TextEncoder().encode(t);

/** The traces' Python server: 0.0.0.0:80, backlog 16, one connection served by `serve`. */
function pythonServer(host: Host, serve: (fd: number) => void): void {
  const so = host.sockets;
  const lfd = so.socket();
  value(so.setsockopt(lfd, 'SO_REUSEADDR', true));
  value(so.bind(lfd, 0, 80));
  value(so.listen(lfd, 16));
  then(so.accept(lfd), (r) => serve(value(r).fd));
}

function readUntilEof(host: Host, fd: number, onData: (b: Uint8Array) => void, onEof: () => void) {
  const step = (): void =>
    then(host.sockets.read(fd), (r) => {
      const b = value(r);
      if (b.length === 0) onEof();
      else {
        onData(b);
        step();
      }
    });
  step();
}

/** The server of each experiment (linux-traces/README.md). */
const SERVERS: Record<string, (lab: AppsLab) => void> = {
  'normal-handshake': ({ net, server }) =>
    pythonServer(server, (fd) =>
      readUntilEof(
        server,
        fd,
        () => {},
        () => net.events.after(s(1), () => server.sockets.close(fd)),
      ),
    ),
  'data-exchange': ({ server }) =>
    pythonServer(server, (fd) =>
      readUntilEof(
        server,
        fd,
        (b) => value(server.sockets.write(fd, bytes(`echo: ${text(b)}`))),
        () => server.sockets.close(fd),
      ),
    ),
  'server-close-first': ({ net, server }) =>
    pythonServer(server, (fd) => {
      value(server.sockets.write(fd, bytes('hello from server\r\n')));
      net.events.after(s(1), () => server.sockets.close(fd));
    }),
  'closed-port': () => {},
  'reject-rst': ({ server }) => {
    pythonServer(server, () => {});
    server.addHook('INPUT', (_now, pkt) => {
      if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
      server.tcp.rejectWithReset(pkt.ip);
      return 'DROP';
    });
  },
  'reject-icmp': ({ server }) => {
    pythonServer(server, () => {});
    server.addHook('INPUT', (_now, pkt) => {
      if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
      server.icmpSend(
        {
          datagram: pkt.datagram,
          ip: pkt.ip,
          iface: pkt.inIface!,
          pktType: 'host',
          delivery: 'local',
        },
        3,
        3,
      );
      return 'DROP';
    });
  },
  'silent-drop': ({ server }) => {
    pythonServer(server, () => {});
    server.addHook('INPUT', (_now, pkt) => (pkt.ip.protocol === IPPROTO_TCP ? 'DROP' : 'ACCEPT'));
  },
};

interface Case {
  /** linux-traces directory. */
  readonly dir: string;
  readonly argv: readonly string[];
  /** What stdin gave, as [seconds, text], and when it ended. */
  readonly input: readonly (readonly [number, string])[];
  readonly eofAt: number;
  /** Seconds to run after the program exited, for the packets that follow. */
  readonly after: number;
  readonly tolerance?: number;
  /** The seed whose neighbour timers (random reachable time) re-probe when the trace's did. */
  readonly seed?: number;
}

const NC = ['nc', '-v', '-p', '40001'];
const TELNET = ['telnet', '192.168.0.22', '80'];
const DATA_NC: Case['input'] = [
  [0.5, 'hello\r\n'],
  [1.505, 'how are you?\r\n'],
];
const DATA_TELNET: Case['input'] = [
  [0.5, 'hello\n'],
  [1.505, 'how are you?\n'],
];

const CASES: readonly Case[] = [
  {
    dir: 'normal-handshake/nc',
    argv: [...NC, '-q', '0', '192.168.0.22', '80'],
    input: [],
    eofAt: 1,
    after: 3,
  },
  { dir: 'normal-handshake/telnet', argv: TELNET, input: [], eofAt: 1, after: 3 },
  {
    dir: 'data-exchange/nc',
    argv: [...NC, '-q', '0', '192.168.0.22', '80'],
    input: DATA_NC,
    eofAt: 2.509,
    after: 3,
    tolerance: 0.02,
  },
  {
    dir: 'data-exchange/telnet',
    argv: TELNET,
    input: DATA_TELNET,
    eofAt: 2.509,
    after: 3,
    tolerance: 0.02,
  },
  {
    dir: 'server-close-first/nc',
    argv: [...NC, '192.168.0.22', '80'],
    input: [],
    eofAt: 4,
    after: 3,
  },
  { dir: 'server-close-first/telnet', argv: TELNET, input: [], eofAt: 4, after: 3 },
  { dir: 'closed-port/nc', argv: [...NC, '192.168.0.22', '80'], input: [], eofAt: 0, after: 3 },
  { dir: 'closed-port/telnet', argv: TELNET, input: [], eofAt: 0, after: 3, tolerance: 0.03 },
  { dir: 'reject-rst/nc', argv: [...NC, '192.168.0.22', '80'], input: [], eofAt: 0, after: 3 },
  { dir: 'reject-rst/telnet', argv: TELNET, input: [], eofAt: 0, after: 3, tolerance: 0.03 },
  { dir: 'reject-icmp/nc', argv: [...NC, '192.168.0.22', '80'], input: [], eofAt: 0, after: 3 },
  { dir: 'reject-icmp/telnet', argv: TELNET, input: [], eofAt: 0, after: 3, tolerance: 0.03 },
  {
    dir: 'silent-drop/default-nc',
    argv: [...NC, '192.168.0.22', '80'],
    input: [],
    eofAt: 0,
    after: 40,
    tolerance: 2,
  },
  {
    dir: 'silent-drop/default-telnet',
    argv: TELNET,
    input: [],
    eofAt: 0,
    after: 40,
    tolerance: 2,
    seed: 2,
  },
];

/** client-<label>.result: exit_code and elapsed_s. */
function result(dir: string): { exit: number; elapsed: number; command: string } {
  const label = dir.endsWith('telnet') ? 'telnet' : 'nc';
  const t = traceFile(`${dir}/client-${label}.result`);
  return {
    exit: Number(/^exit_code=(\d+)/m.exec(t)![1]),
    elapsed: Number(/^elapsed_s=([\d.]+)/m.exec(t)![1]),
    command: /^command=(.*)$/m.exec(t)![1]!,
  };
}

describe('telnet and nc against linux-traces', () => {
  for (const c of CASES) {
    test(`${c.dir}: ${result(c.dir).command}`, async () => {
      const lab = appsLab({ seed: Number(process.env.SEED ?? c.seed ?? 1) });
      SERVERS[c.dir.split('/')[0]!]!(lab);
      const stdin = scriptedInput(lab, lab.client, c.input, c.eofAt);
      const r = await run(lab, lab.client, c.argv, { stdin });
      const label = c.dir.endsWith('telnet') ? 'telnet' : 'nc';
      const expected = result(c.dir);
      // What a user saw (stdout and stderr into one file), byte for byte.
      expect(r.merged).toBe(traceFile(`${c.dir}/client-${label}.txt`));
      expect(r.status).toBe(expected.exit);
      // When it exited: the trace's elapsed time covers the whole pipeline
      // (its `sleep N` feeding stdin too), so compare the later of the two.
      const elapsed = Math.max(r.exitedAt / NS_PER_S, c.eofAt);
      expect(Math.abs(elapsed - expected.elapsed)).toBeLessThanOrEqual(c.tolerance ?? 0.05);
      await lab.sys.runUntil(lab.net.now + s(c.after));
      expectLikeTrace(lab.wire, c.dir, c.tolerance ?? 0.01);
    });
  }
});
