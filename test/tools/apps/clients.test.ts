/**
 * telnet and nc against the real programs' recorded outputs
 * (fixtures/real/*, made by fixtures/record.sh in two network namespaces set
 * up like this lab: client 192.168.0.21, server 192.168.0.22, /etc/hosts with
 * both names, no DNS): standard output, standard error and exit status, byte
 * for byte, for the normal paths and for every kind of bad input recorded.
 */

import { describe, expect, test, vi } from 'vitest';
import type { Host } from '../../../src/host/host.js';
import { SocketTable } from '../../../src/host/socket.js';
import type { Command } from '../../../src/os/process.js';
import { CollectOutput, NULL_INPUT, textInput } from '../../../src/os/streams.js';
import { ms, s } from '../../../src/sim/time.js';
import { APP_COMMANDS } from '../../../src/tools/apps/index.js';
import { IPPROTO_TCP } from '../../../src/wire/ipv4.js';
import { type AppsLab, appsLab, fixture, run, scriptedInput } from './harness.js';
import { recordServers } from './servers.js';

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  readonly input?: readonly (readonly [number, string])[];
  readonly eofAt?: number;
  readonly setup?: (lab: AppsLab) => void;
}

/** iptables -I INPUT -p tcp --dport 80 -j DROP on the server. */
function dropPort80(lab: AppsLab): void {
  lab.server.addHook('INPUT', (_now, pkt) => {
    if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
    const dport = (pkt.ip.payload[2]! << 8) | pkt.ip.payload[3]!;
    return dport === 80 ? 'DROP' : 'ACCEPT';
  });
}

/** Runs a case on the client and compares with the recorded real run. */
async function expectLikeReal(c: Case): Promise<void> {
  const lab = appsLab();
  recordServers(lab.server);
  c.setup?.(lab);
  const stdin =
    c.input === undefined && c.eofAt === undefined
      ? NULL_INPUT
      : scriptedInput(lab, lab.client, c.input ?? [], c.eofAt ?? 0);
  const r = await run(lab, lab.client, c.argv, { stdin });
  const real = fixture(c.name);
  expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual({
    stdout: real.stdout,
    stderr: real.stderr,
    status: real.status,
  });
}

const NC_CASES: readonly Case[] = [
  { name: 'nc-refused-v', argv: ['nc', '-v', '192.168.0.22', '81'] },
  { name: 'nc-refused', argv: ['nc', '192.168.0.22', '81'] },
  { name: 'nc-z-v', argv: ['nc', '-zv', '192.168.0.22', '7'] },
  { name: 'nc-z', argv: ['nc', '-z', '192.168.0.22', '7'] },
  { name: 'nc-z-v-range', argv: ['nc', '-zv', '192.168.0.22', '6-8'] },
  { name: 'nc-z-v-refused', argv: ['nc', '-zv', '192.168.0.22', '81'] },
  { name: 'nc-zv-server-name', argv: ['nc', '-zv', 'localhost', '81'] },
  { name: 'nc-unresolved', argv: ['nc', 'foo', '80'] },
  { name: 'nc-unresolved-v', argv: ['nc', '-v', 'foo', '80'] },
  { name: 'nc-bad-service', argv: ['nc', '192.168.0.22', 'foo'] },
  { name: 'nc-bad-port', argv: ['nc', '192.168.0.22', '99999'] },
  { name: 'nc-bad-range', argv: ['nc', '-z', '192.168.0.22', '9-7'] },
  { name: 'nc-no-args', argv: ['nc'] },
  { name: 'nc-one-arg', argv: ['nc', '192.168.0.22'] },
  { name: 'nc-bad-option', argv: ['nc', '-Y', '192.168.0.22', '80'] },
  { name: 'nc-bad-q', argv: ['nc', '-q', 'x', '192.168.0.22', '7'] },
  { name: 'nc-bad-w', argv: ['nc', '-w', 'x', '192.168.0.22', '7'] },
  { name: 'nc-bad-p', argv: ['nc', '-p', 'x', '192.168.0.22', '7'] },
  { name: 'nc-l-and-z', argv: ['nc', '-l', '-z', '8080'] },
  { name: 'nc-l-with-host', argv: ['nc', '-l', '192.168.0.22', '8080'] },
  { name: 'nc-h', argv: ['nc', '-h'] },
  {
    name: 'nc-echo-q0',
    argv: ['nc', '-v', '-q', '0', '192.168.0.22', '7'],
    input: [[0.3, 'hello\n']],
    eofAt: 0.6,
  },
  {
    name: 'nc-echo-N',
    argv: ['nc', '-N', '192.168.0.22', 'echo'],
    input: [[0.3, 'hello\n']],
    eofAt: 0.6,
  },
  {
    name: 'nc-server-closes',
    argv: ['nc', '-v', '192.168.0.22', '8081'],
    input: [[0.3, 'x\n']],
    eofAt: 1.3,
  },
  {
    name: 'nc-server-resets',
    argv: ['nc', '-v', '192.168.0.22', '8082'],
    input: [[0.3, 'x\n']],
    eofAt: 1.3,
  },
  { name: 'nc-w-timeout', argv: ['nc', '-v', '-w', '1', '192.168.0.22', '80'], setup: dropPort80 },
  {
    name: 'nc-z-w-timeout',
    argv: ['nc', '-zv', '-w', '1', '192.168.0.22', '80'],
    setup: dropPort80,
  },
];

const TELNET_CASES: readonly Case[] = [
  { name: 'telnet-refused', argv: ['telnet', '192.168.0.22', '81'] },
  { name: 'telnet-unresolved', argv: ['telnet', 'foo', '80'] },
  { name: 'telnet-bad-service', argv: ['telnet', '192.168.0.22', 'foo'] },
  { name: 'telnet-bad-option', argv: ['telnet', '-Z', '192.168.0.22'] },
  { name: 'telnet-too-many', argv: ['telnet', 'a', 'b', 'c'] },
  { name: 'telnet-no-args', argv: ['telnet'] },
  { name: 'telnet-help', argv: ['telnet', '--help'] },
  { name: 'telnet-usage', argv: ['telnet', '--usage'] },
  { name: 'telnet-version', argv: ['telnet', '--version'] },
  {
    name: 'telnet-echo',
    argv: ['telnet', '192.168.0.22', '7'],
    input: [
      [0.3, 'hello\n'],
      [0.6, 'how are you?\n'],
    ],
    eofAt: 0.9,
  },
  {
    name: 'telnet-echo-port-name',
    argv: ['telnet', '192.168.0.22', 'echo'],
    input: [[0.3, 'hi\n']],
    eofAt: 0.6,
  },
  {
    name: 'telnet-server-closes',
    argv: ['telnet', '192.168.0.22', '8081'],
    input: [[0.3, 'x\n']],
    eofAt: 1.3,
  },
  {
    name: 'telnet-server-resets',
    argv: ['telnet', '192.168.0.22', '8082'],
    input: [[0.3, 'x\n']],
    eofAt: 1.3,
  },
];

describe('nc (netcat-openbsd 1.219) like the real one', () => {
  for (const c of NC_CASES) {
    test(`${c.name}: ${fixture(c.name).cmd}`, () => expectLikeReal(c));
  }
});

describe('telnet (inetutils 2.4) like the real one', () => {
  for (const c of TELNET_CASES) {
    test(`${c.name}: ${fixture(c.name).cmd}`, () => expectLikeReal(c));
  }
});

/** Starts `command` as `argv` on `host` after `delay`, its output collected. */
function later(lab: AppsLab, host: Host, delay: number, argv: string[], input: string) {
  const out = new CollectOutput();
  const command = APP_COMMANDS[argv[0]!]!;
  const delayed: Command = async (p) => {
    await p.sleep(delay);
    return command(p);
  };
  return lab.sys.spawn(host, delayed, { argv, stdin: textInput(input), stdout: out, stderr: out });
}

describe('nc -l like the real one', () => {
  for (const [name, argv, client] of [
    [
      'nc-listen-v',
      ['nc', '-lv', '8080'],
      ['nc', '-p', '40001', '-q', '0', '192.168.0.22', '8080'],
    ],
    [
      'nc-listen-p',
      ['nc', '-l', '-p', '8080'],
      ['nc', '-p', '40002', '-q', '0', '192.168.0.22', '8080'],
    ],
    ['nc-listen-nv', ['nc', '-lnv', '8080'], ['nc', '-p', '40003', '-q', '0', 'server', '8080']],
  ] as const) {
    test(`${name}: ${fixture(name).cmd}`, async () => {
      const lab = appsLab();
      const c = later(lab, lab.client, ms(500), [...client], 'hi there\n');
      const r = await run(lab, lab.server, argv);
      const real = fixture(name);
      expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual({
        stdout: real.stdout,
        stderr: real.stderr,
        status: real.status,
      });
      await lab.sys.runUntil(lab.net.now + s(1));
      expect(c.exitStatus).toBe(0);
    });
  }

  test('nc-listen-k: -k serves one client after the other until killed', async () => {
    const lab = appsLab();
    later(lab, lab.client, ms(500), ['nc', '-q', '0', '192.168.0.22', '8080'], 'hi there\n');
    later(lab, lab.client, ms(1500), ['nc', '-q', '0', '192.168.0.22', '8080'], 'again\n');
    const server = lab.sys.spawn(lab.server, APP_COMMANDS.nc!, {
      argv: ['nc', '-lkv', '8080'],
      stdin: NULL_INPUT,
      stdout: new CollectOutput(),
      stderr: new CollectOutput(),
    });
    await lab.sys.runUntil(s(2));
    lab.sys.kill(lab.server, server.pid, 'SIGTERM');
    await lab.sys.settle();
    expect(await server.exited).toBe(143);
    const real = fixture('nc-listen-k');
    const ports = (t: string): string => t.replace(/client \d+/g, 'client PORT');
    const info = lab.sys.process(lab.server, server.pid);
    expect(info).toBeUndefined();
    const p = server as unknown as { stdout: CollectOutput; stderr: CollectOutput };
    expect(p.stdout.text).toBe(real.stdout);
    expect(ports(p.stderr.text)).toBe(ports(real.stderr));
  });

  test('standard input goes out in writes of at most 16384 bytes (netcat.c BUFSIZE: readwrite fills stdinbuf, then drains it)', async () => {
    const lab = appsLab();
    const server = lab.sys.spawn(lab.server, APP_COMMANDS.nc!, {
      argv: ['nc', '-l', '8080'],
      stdin: NULL_INPUT,
      stdout: new CollectOutput(),
      stderr: new CollectOutput(),
    });
    const write = vi.spyOn(SocketTable.prototype, 'write');
    try {
      // 40000 bytes in one piece on standard input.
      const input = `${'x'.repeat(39_999)}\n`;
      later(lab, lab.client, ms(100), ['nc', '-q', '0', '192.168.0.22', '8080'], input);
      await lab.sys.runUntil(s(2));
      expect(write.mock.calls.map((c) => (c[1] as Uint8Array).length)).toEqual([
        16384, 16384, 7232,
      ]);
    } finally {
      write.mockRestore();
    }
    const p = server as unknown as { stdout: CollectOutput };
    expect(p.stdout.text).toHaveLength(40_000);
  });

  test.each([1, 1448, 1449, 20_000, 65_543, 200_000])(
    '%i bytes through nc -q 0 to nc -l arrive whole and in order',
    async (n) => {
      const lab = appsLab();
      const out = new CollectOutput();
      const server = lab.sys.spawn(lab.server, APP_COMMANDS.nc!, {
        argv: ['nc', '-l', '8080'],
        stdin: NULL_INPUT,
        stdout: out,
        stderr: new CollectOutput(),
      });
      let text = '';
      for (let i = 0; text.length < n; i++) text += `${i}\n`;
      text = text.slice(0, n);
      later(lab, lab.client, ms(100), ['nc', '-q', '0', '192.168.0.22', '8080'], text);
      await lab.sys.runUntil(s(30));
      expect(await server.exited).toBe(0);
      expect(out.text.length).toBe(n);
      expect(out.text === text).toBe(true);
    },
  );
});
