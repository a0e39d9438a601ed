/**
 * Live captures on the simulated network: what tcpdump prints as packets cross
 * is what `tcpdump -r` prints for the same packets written with -w (tcplab's
 * and, where installed, the real tcpdump's); -c; the -w file on the host; the
 * stdio buffering of stdout and of the file; signals; which packets a capture
 * sees around netfilter and promiscuous mode; devices.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/pcap.js';
import type { Host } from '../../src/host/host.js';
import { FsError } from '../../src/os/fs.js';
import { type Input, NULL_INPUT, NULL_OUTPUT } from '../../src/os/streams.js';
import { Network } from '../../src/sim/network.js';
import { ms, s } from '../../src/sim/time.js';
import { findAllDevices, formatDeviceList } from '../../src/tools/tcpdump-devices.js';
import { tcpdumpCommand } from '../../src/tools/tcpdump-live.js';
import {
  addr,
  converse,
  elapse,
  kill,
  type Lab,
  lab,
  ping,
  sim,
  start,
} from './tcpdump-live-support.js';

const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
if (!hasTcpdump) console.warn('tcpdump is not installed: the comparisons with it are skipped');

/** The real tcpdump reading `bytes` (local time UTC, like tcplab hosts). */
function realRead(bytes: Uint8Array, args: readonly string[]) {
  const path = join(mkdtempSync(join(tmpdir(), 'tcplab-live-')), 'x.pcap');
  writeFileSync(path, bytes);
  const r = spawnSync('tcpdump', [...args, '-r', path], {
    encoding: 'latin1',
    env: { ...process.env, TZ: 'UTC' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(path, 'FILE') };
}

function file(env: Pick<Lab, 'sys'>, path: string, host: Host): Uint8Array {
  const f = env.sys.fs(host).readFile(path);
  if (f instanceof FsError) throw new Error(`${path}: ${f.message}`);
  return f;
}

/** Everything printed until the interruption, without the newline tcpdump adds after it. */
function beforeInterrupt(text: string): string {
  expect(text.endsWith('\n\n') || text === '\n').toBe(true);
  return text.slice(0, -1);
}

describe('a live capture prints what tcpdump -r prints for the same packets', () => {
  const FLAGS = [['-n'], ['-nn', '-v', '-S', '-tt', '-e', '-X'], []] as const;
  for (const flags of FLAGS) {
    test(`on eth0, with ${flags.join(' ') || 'no options'}`, async () => {
      const env = lab();
      const live = start(env, env.client, ['tcpdump', ...flags, '-i', 'eth0']);
      const dump = start(env, env.client, ['tcpdump', '-i', 'eth0', '-w', '/root/h.pcap']);
      await converse(env);
      expect(await kill(env, live, 'SIGINT')).toBe(0);
      expect(await kill(env, dump, 'SIGTERM')).toBe(0);
      const printed = beforeInterrupt(live.stdout.text);
      expect(printed.split('\n').length).toBeGreaterThan(8);
      expect(printed).toMatch(/Flags \[S\]/);

      const r = await env.sys.exec(env.client, ['tcpdump', ...flags, '-r', '/root/h.pcap']);
      expect(r).toEqual({
        status: 0,
        stdout: printed,
        stderr:
          'reading from file /root/h.pcap, link-type EN10MB (Ethernet), snapshot length 262144\n',
      });
      if (hasTcpdump && flags.length > 0) {
        // Without -n the real tcpdump would ask its own resolver for names.
        const real = realRead(file(env, '/root/h.pcap', env.client), flags);
        expect(real.stdout).toBe(printed);
        expect(real.status).toBe(0);
      }
    });
  }

  test('-s 60 and -F FILE: the same cut packets, the same selection, live and from the file', async () => {
    const env = lab();
    env.sys.fs(env.client).writeFile('/root/f', '# TCP only\ntcp # and nothing else\n');
    const live = start(env, env.client, ['tcpdump', '-n', '-s', '60', '-F', 'f', '-i', 'eth0']);
    const dump = start(env, env.client, ['tcpdump', '-s', '60', '-F', '/root/f', '-w', 's.pcap']);
    await converse(env);
    await kill(env, live, 'SIGINT');
    await kill(env, dump, 'SIGINT');
    const printed = beforeInterrupt(live.stdout.text);
    expect(printed).not.toMatch(/ARP/);
    // 60 bytes cut the SYN's options (the real tcpdump reads the file the same way).
    expect(printed).toMatch(
      /Flags \[S\], seq \d+, win 64240, options \[mss 1460,sackOK, \[\|tcp\]\n/,
    );
    expect(live.stderr.text).toMatch(/snapshot length 60 bytes\n/);
    const r = await env.sys.exec(env.client, ['tcpdump', '-n', '-r', 's.pcap']);
    expect(r.stdout).toBe(printed);
    expect(r.stderr).toMatch(/snapshot length 60\n$/);
    if (hasTcpdump)
      expect(realRead(file(env, '/root/s.pcap', env.client), ['-n']).stdout).toBe(printed);
  });

  test('without -n: names from /etc/hosts, services from /etc/services', async () => {
    const env = lab();
    const live = start(env, env.client, ['tcpdump', '-i', 'eth0', 'tcp']);
    await converse(env);
    await kill(env, live, 'SIGINT');
    // The client's /etc/hosts names the server (the lab's hosts know each other).
    expect(live.stdout.text.split('\n')[0]).toMatch(
      /^00:00:0\d\.\d{6} IP 192\.168\.0\.21\.40001 > server\.http: Flags \[S\], seq \d+, win 64240/,
    );
  });

  test('on any: Linux cooked v2, interface and direction; -r of the -w file agrees', async () => {
    const env = lab();
    const live = start(env, env.client, ['tcpdump', '-n', '-i', 'any']);
    const dump = start(env, env.client, ['tcpdump', '-i', 'any', '-w', '/root/any.pcap']);
    await converse(env);
    env.client.icmp.sendEcho({ dst: addr('127.0.0.1'), id: 1, sequence: 1 });
    await elapse(env, s(1));
    await kill(env, live, 'SIGINT');
    await kill(env, dump, 'SIGINT');
    const printed = beforeInterrupt(live.stdout.text);
    expect(printed).toMatch(/^\d\d:\d\d:\d\d\.\d{6} eth0 {2}Out ARP, Request who-has/);
    expect(printed).toMatch(
      / eth0 {2}In {2}IP 192\.168\.0\.22\.80 > 192\.168\.0\.21\.40001: Flags \[S\.\]/,
    );
    expect(printed).toMatch(/ lo {4}In {2}IP 127\.0\.0\.1 > 127\.0\.0\.1: ICMP echo request/);
    expect(printed).not.toMatch(/ lo {4}Out/);
    const r = await env.sys.exec(env.client, ['tcpdump', '-n', '-r', '/root/any.pcap']);
    expect(r.stdout).toBe(printed);
    expect(r.stderr).toBe(
      'reading from file /root/any.pcap, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144\nWarning: interface names might be incorrect\n',
    );
    const read = readCapture(file(env, '/root/any.pcap', env.client));
    expect('records' in read && read.records.every((rec) => rec.linkType === 276)).toBe(true);
  });

  test('a host without a NIC: the default device is any, in Linux cooked v1', async () => {
    const net = new Network({ seed: 1 });
    const alone = net.addHost('alone');
    const wenv = sim(net);
    const sys = wenv.sys;
    const live = start(wenv, alone, ['tcpdump', '--immediate-mode', '-n']);
    const dump = start(wenv, alone, ['tcpdump', '--immediate-mode', '-w', '/root/lo.pcap']);
    await sys.runUntil(net.now + ms(100));
    alone.icmp.sendEcho({ dst: addr('127.0.0.1'), id: 1, sequence: 1 });
    await sys.runUntil(net.now + ms(100));
    await kill(wenv, live, 'SIGINT');
    await kill(wenv, dump, 'SIGINT');
    expect(live.stderr.text).toBe(
      'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n' +
        'listening on any, link-type LINUX_SLL (Linux cooked v1), snapshot length 262144 bytes\n' +
        '2 packets captured\n4 packets received by filter\n0 packets dropped by kernel\n',
    );
    const printed = beforeInterrupt(live.stdout.text);
    expect(printed).toMatch(/^00:00:00\.100000 IP 127\.0\.0\.1 > 127\.0\.0\.1: ICMP echo request/);
    const r = await sys.exec(alone, ['tcpdump', '-n', '-r', '/root/lo.pcap']);
    expect(r.stdout).toBe(printed);
    if (hasTcpdump)
      expect(realRead(file(wenv, '/root/lo.pcap', alone), ['-n']).stdout).toBe(printed);
  });
});

describe('-c, signals and the closing statistics', () => {
  test('-c 3 --immediate-mode exits by itself after the third packet: no blank line, exit 0', async () => {
    const env = lab();
    const r = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-n',
      '-c',
      '3',
      '-i',
      'eth0',
      'tcp',
    ]);
    await converse(env);
    expect(r.proc.exitStatus).toBe(0);
    const lines = r.stdout.text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/Flags \[\.\], ack 1, win/);
    expect(lines[3]).toBe('');
    expect(r.stderr.text).toMatch(
      /bytes\n3 packets captured\n3 packets received by filter\n0 packets dropped by kernel\n$/,
    );
  });

  test('-c 3: the same without --immediate-mode (tcplab always delivers at once)', async () => {
    const env = lab();
    const r = start(env, env.client, ['tcpdump', '-n', '-c', '3', '-i', 'eth0', 'tcp']);
    await converse(env);
    expect(r.proc.exitStatus).toBe(0);
    expect(r.stdout.text.split('\n')).toHaveLength(4);
    expect(r.stderr.text).toMatch(/\n3 packets captured\n3 packets received by filter\n/);
  });

  test('on a terminal: a line as its packet crosses, after what the processes it woke print', async () => {
    const env = lab();
    const seen: string[] = [];
    const terminal = (who: string) => ({
      write: (t: string | Uint8Array) =>
        seen.push(`${who} ${typeof t === 'string' ? t : new TextDecoder().decode(t)}`),
      close: () => {},
      isTerminal: true,
    });
    const tcpdump = env.sys.spawn(env.client, tcpdumpCommand, {
      argv: ['tcpdump', '-n', '-i', 'eth0', 'tcp'],
      stdin: NULL_INPUT,
      stdout: terminal('tcpdump'),
      stderr: NULL_OUTPUT,
    });
    void env.server.tcp; // TCP on the server: a closed port answers RST.
    // A process that prints when its connect() fails, woken by the same RST
    // (before tcpdump, which gets the packet in an event of its own).
    const client = env.sys.spawn(
      env.client,
      async (p) => {
        const fd = p.sockets.socket();
        const c = await p.wait(p.sockets.connect(fd, addr('192.168.0.22'), 81));
        p.stdout.write(`connect: ${typeof c === 'number' ? 'ok' : c.code}\n`);
        return 0;
      },
      { argv: ['client'], stdin: NULL_INPUT, stdout: terminal('client'), stderr: NULL_OUTPUT },
    );
    await elapse(env, ms(100));
    expect(client.exitStatus).toBe(0);
    expect(seen.map((l) => l.replace(/ \d\d:.*Flags (\S+),.*\n$/, ' $1'))).toEqual([
      'tcpdump [S]',
      'client connect: ECONNREFUSED\n',
      'tcpdump [R.]',
    ]);
    env.sys.kill(env.client, tcpdump.pid, 'SIGINT');
    await elapse(env, ms(1));
    expect(tcpdump.exitStatus).toBe(0);
    expect(seen.at(-1)).toBe('tcpdump \n');
  });

  test('SIGHUP ends it cleanly too; SIGKILL loses what stdio held and prints nothing', async () => {
    const env = lab();
    const hup = start(env, env.client, ['tcpdump', '--immediate-mode', '-n', '-i', 'eth0', 'icmp']);
    const killed = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-n',
      '-i',
      'eth0',
      'icmp',
    ]);
    await elapse(env, ms(100));
    await ping(env, '192.168.0.22', 2, ms(100));
    expect(await kill(env, hup, 'SIGHUP')).toBe(0);
    expect(hup.stdout.text.split('\n')).toHaveLength(6);
    expect(await kill(env, killed, 'SIGKILL')).toBe(137);
    expect(killed.stdout.text).toBe('');
    expect(killed.stderr.text).toMatch(/snapshot length 262144 bytes\n$/);
    // The interface is no longer promiscuous, and the taps are gone.
    expect(env.client.interface('eth0')!.promiscuous).toBe(false);
  });

  test('SIGUSR1 prints the statistics on one line and capturing goes on', async () => {
    const env = lab();
    const r = start(env, env.client, ['tcpdump', '--immediate-mode', '-n', '-i', 'eth0', 'icmp']);
    await elapse(env, ms(100));
    await ping(env, '192.168.0.22', 1, ms(100));
    env.sys.kill(env.client, r.proc.pid, 'SIGUSR1');
    await elapse(env, ms(100));
    expect(r.stderr.text).toMatch(
      /bytes\ntcpdump: 2 packets captured, 2 packets received by filter, 0 packets dropped by kernel\n$/,
    );
    expect(r.proc.exitStatus).toBeUndefined();
    await kill(env, r, 'SIGTERM');
  });
});

describe('stdio buffering, as glibc does it', () => {
  test('into a pipe: nothing until 4096 bytes, then whole 4096-byte blocks, the rest at exit', async () => {
    const env = lab();
    const r = start(env, env.client, ['tcpdump', '--immediate-mode', '-n', '-i', 'eth0', 'icmp']);
    await elapse(env, ms(100));
    await ping(env, '192.168.0.22', 3, ms(100));
    expect(r.stdout.text).toBe(''); // ~550 bytes, still in the buffer
    await ping(env, '192.168.0.22', 40, ms(10));
    const mid = new TextEncoder().encode(r.stdout.text).length;
    expect(mid).toBeGreaterThan(0);
    expect(mid % 4096).toBe(0);
    await kill(env, r, 'SIGINT');
    expect(r.stdout.text.split('\n')).toHaveLength(2 * 43 + 2);
  });

  test('-l: line-buffered into a pipe', async () => {
    const env = lab();
    const r = start(env, env.client, ['tcpdump', '-l', '-n', '-i', 'eth0', 'icmp']);
    await elapse(env, ms(100));
    await ping(env, '192.168.0.22', 1, ms(100));
    expect(r.stdout.text.split('\n')).toHaveLength(3);
    await kill(env, r, 'SIGINT');
  });

  test('-w: the file is created at once, filled in 4096-byte blocks; -U writes each packet', async () => {
    const env = lab();
    const buffered = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-i',
      'eth0',
      '-w',
      'b.pcap',
      'icmp',
    ]);
    const unbuffered = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-U',
      '-i',
      'eth0',
      '-w',
      'u.pcap',
    ]);
    await elapse(env, ms(100));
    expect(file(env, '/root/b.pcap', env.client)).toHaveLength(0);
    expect(file(env, '/root/u.pcap', env.client)).toHaveLength(24); // the file header
    await ping(env, '192.168.0.22', 1, ms(100));
    expect(file(env, '/root/b.pcap', env.client)).toHaveLength(0);
    // ARP request and reply (42 bytes each), echo request and reply (98 bytes each).
    expect(file(env, '/root/u.pcap', env.client)).toHaveLength(24 + 4 * 16 + 2 * 42 + 2 * 98);
    await kill(env, buffered, 'SIGINT');
    await kill(env, unbuffered, 'SIGINT');
    const read = readCapture(file(env, '/root/b.pcap', env.client));
    expect('records' in read && read.records.length).toBe(2);
  });

  test('-w killed by SIGKILL: only the whole blocks written so far remain', async () => {
    const env = lab();
    const r = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-i',
      'eth0',
      '-w',
      '/tmp/k.pcap',
      'icmp',
    ]);
    await elapse(env, ms(100));
    await ping(env, '192.168.0.22', 30, ms(10));
    await kill(env, r, 'SIGKILL');
    expect(file(env, '/tmp/k.pcap', env.client)).toHaveLength(4096); // 24 + 60 × 114 = 6864 bytes written
  });
});

describe('which packets a capture sees (Linux packet sockets)', () => {
  test('a packet dropped by netfilter INPUT is seen; one dropped in OUTPUT is not', async () => {
    const env = lab();
    env.server.addHook('INPUT', (_now, p) => (p.ip.protocol === 6 ? 'DROP' : 'ACCEPT'));
    env.client.addHook('OUTPUT', (_now, p) => (p.ip.protocol === 17 ? 'DROP' : 'ACCEPT'));
    const onServer = start(env, env.server, [
      'tcpdump',
      '--immediate-mode',
      '-n',
      '-i',
      'eth0',
      'tcp',
    ]);
    const onClient = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-n',
      '-i',
      'eth0',
      'udp',
    ]);
    await elapse(env, ms(100));
    const c = env.client.sockets.socket({ nonBlocking: true });
    env.client.sockets.connect(c, addr('192.168.0.22'), 80);
    const u = env.client.udp.bind(0);
    if (u.ok) u.value.sendTo(addr('192.168.0.22'), 9, new Uint8Array([1, 2, 3]));
    await elapse(env, ms(2500));
    await kill(env, onServer, 'SIGINT');
    await kill(env, onClient, 'SIGINT');
    // The SYN and its retransmissions after 1 and 3 s, all dropped after the capture.
    expect(onServer.stdout.text.match(/Flags \[S\]/g)).toHaveLength(3);
    expect(onClient.stdout.text).toBe('\n');
    expect(onClient.stderr.text).toMatch(/\n0 packets captured\n0 packets received by filter\n/);
  });

  test('promiscuous mode: a bystander sees the others’ frames, not with -p; dmesg says so', async () => {
    const env = lab();
    const bystander = env.net.addHost('bystander', { segment: 'lan', address: '192.168.0.9/24' });
    // -p alone: the NIC keeps filtering frames addressed to other MACs.
    const notPromisc = start(env, bystander, ['tcpdump', '-p', '-n', '-i', 'eth0', 'tcp']);
    await converse(env);
    await kill(env, notPromisc, 'SIGINT');
    expect(notPromisc.stdout.text).toBe('\n');
    expect(bystander.kmsg.records).toHaveLength(0);
    const promisc = start(env, bystander, ['tcpdump', '-n', '-i', 'eth0', 'tcp']);
    await converse(env, 8080);
    await kill(env, promisc, 'SIGINT');
    expect(promisc.stdout.text).toMatch(
      /IP 192\.168\.0\.21\.40001 > 192\.168\.0\.22\.8080: Flags \[S\]/,
    );
    expect(bystander.kmsg.records.map((k) => k.text)).toEqual([
      'eth0: entered promiscuous mode',
      'eth0: left promiscuous mode',
    ]);
    expect(bystander.interface('eth0')!.promiscuous).toBe(false);
  });
});

describe('the silent-drop lab of DESIGN.md', () => {
  test('tcpdump -i any -n host … and port 80 &, a SYN to a dropping firewall, kill %1', async () => {
    const env = lab();
    env.client.sysctl.set('net.ipv4.tcp_syn_linear_timeouts', 0);
    env.server.addHook('INPUT', (_now, p) => (p.ip.protocol === 6 ? 'DROP' : 'ACCEPT'));
    const r = start(
      env,
      env.client,
      ['tcpdump', '-ttt', '-i', 'any', '-n', 'host', '192.168.0.22', 'and', 'port', '80'],
      true,
    );
    const fd = env.client.sockets.socket({ nonBlocking: true });
    env.client.sockets.connect(fd, addr('192.168.0.22'), 80);
    await elapse(env, s(130));
    expect(await kill(env, r, 'SIGTERM')).toBe(0);
    const lines = r.stdout.text.split('\n');
    // The SYN and six retransmissions, 1 2 4 8 16 32 s apart (the last one
    // later by the timer wheel's slack, as in the reference traces); nothing else.
    // (-ttt: the delta since the previous packet, printed after a space.)
    expect(lines).toHaveLength(9);
    expect(lines.slice(0, 6).map((l) => l.slice(1, 9))).toEqual([
      '00:00:00',
      '00:00:01',
      '00:00:02',
      '00:00:04',
      '00:00:08',
      '00:00:16',
    ]);
    expect(lines[6]).toMatch(/^ 00:00:3[2-4]\./);
    expect(lines.slice(7)).toEqual(['', '']);
    for (const l of lines.slice(0, 7)) {
      expect(l).toMatch(
        /^ \d\d:\d\d:\d\d\.\d{6} eth0 {2}Out IP 192\.168\.0\.21\.\d+ > 192\.168\.0\.22\.80: Flags \[S\], seq \d+, win 64240, options \[mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 7\], length 0$/,
      );
    }
    expect(r.stderr.text).toBe(
      'tcpdump: data link type LINUX_SLL2\n' +
        'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n' +
        'listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n' +
        '7 packets captured\n7 packets received by filter\n0 packets dropped by kernel\n',
    );
  });
});

describe('devices', () => {
  test('-D: running NICs, any, lo, the other modules, then what is down', () => {
    const net = new Network({ seed: 1 });
    net.segment('lan');
    const h = net.addHost('h', { segment: 'lan', address: '10.0.0.1/24' });
    net.attach(h, net.link('lan'));
    h.addEthernet(); // eth2: never plugged in (no carrier)
    h.interface('eth1')!.up = false;
    h.lo.up = false;
    expect(formatDeviceList(findAllDevices(h))).toBe(
      [
        '1.eth0 [Up, Running, Connected]',
        '2.any (Pseudo-device that captures on all interfaces) [Up, Running]',
        '3.eth2 [Up, Disconnected]',
        '4.bluetooth-monitor (Bluetooth Linux Monitor) [Wireless]',
        '5.nflog (Linux netfilter log (NFLOG) interface) [none]',
        '6.nfqueue (Linux netfilter queue (NFQUEUE) interface) [none]',
        '7.dbus-system (D-Bus system bus) [none]',
        '8.dbus-session (D-Bus session bus) [none]',
        '9.lo [Loopback]',
        '10.eth1 [none, Disconnected]',
        '',
      ].join('\n'),
    );
  });

  test('an interface that is down cannot be opened', async () => {
    const env = lab();
    env.client.interface('eth0')!.up = false;
    const r = await env.sys.exec(env.client, ['tcpdump', '-i', 'eth0']);
    expect(r).toEqual({ status: 1, stdout: '', stderr: 'tcpdump: eth0: That device is not up\n' });
  });

  test('-i 4 names the fourth device; one tcplab cannot capture on says so', async () => {
    const env = lab();
    const r = await env.sys.exec(env.client, ['tcpdump', '-i', '4']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tcpdump: bluetooth-monitor: tcplab cannot capture on this device\n');
  });
});

describe('options as tcpdump.c reads them', () => {
  // Observed with tcpdump 4.99.3: -s is strtol(…, 0) over the whole word.
  const SNAPLENS: readonly [string, string][] = [
    ['0x100', 'listening on lo, link-type EN10MB (Ethernet), snapshot length 256 bytes\n'],
    ['010', 'listening on lo, link-type EN10MB (Ethernet), snapshot length 8 bytes\n'],
    [' 12', 'listening on lo, link-type EN10MB (Ethernet), snapshot length 12 bytes\n'],
    ['-1', 'tcpdump: invalid snaplen -1 (must be >= 0 and <= 262144)\n'],
    ['12x', 'tcpdump: invalid snaplen 12x (must be >= 0 and <= 262144)\n'],
    ['', 'tcpdump: invalid snaplen  (must be >= 0 and <= 262144)\n'],
  ];
  for (const [value, line] of SNAPLENS) {
    test(`-s '${value}'`, async () => {
      const env = lab();
      const r = start(env, env.client, ['tcpdump', '-i', 'lo', '-s', value]);
      await elapse(env, ms(10));
      if (r.proc.exitStatus === undefined) await kill(env, r, 'SIGINT');
      expect(r.stderr.text.split('\n').slice(0, 2).join('\n')).toContain(line.trimEnd());
      expect(r.proc.exitStatus).toBe(line.startsWith('tcpdump: invalid') ? 1 : 0);
    });
  }

  test('--count on a live capture prints no packets, and no count', async () => {
    const env = lab();
    const r = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '--count',
      '-i',
      'lo',
      'icmp',
    ]);
    await elapse(env, ms(10));
    await ping(env, '127.0.0.1', 1, 0);
    await kill(env, r, 'SIGINT');
    expect(r.stdout.text).toBe('\n');
    expect(r.stderr.text).toMatch(/\n2 packets captured\n4 packets received by filter\n/);
  });
});

describe('files on the host', () => {
  test('-r of a missing file, -w into a directory', async () => {
    const env = lab();
    expect(await env.sys.exec(env.client, ['tcpdump', '-r', 'nope.pcap'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'tcpdump: nope.pcap: No such file or directory\n',
    });
    expect(await env.sys.exec(env.client, ['tcpdump', '-i', 'eth0', '-w', '/tmp'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'tcpdump: /tmp: Is a directory\n',
    });
  });

  test('-r - reads the capture from standard input', async () => {
    const env = lab();
    const dump = start(env, env.client, ['tcpdump', '-i', 'eth0', '-w', 'h.pcap']);
    await converse(env);
    await kill(env, dump, 'SIGINT');
    const bytes = file(env, '/root/h.pcap', env.client);
    const fromFile = await env.sys.exec(env.client, ['tcpdump', '-n', '-r', 'h.pcap']);
    const input: Input = {
      read: (() => {
        let sent = false;
        return async () => {
          if (sent) return null;
          sent = true;
          return bytes;
        };
      })(),
      close: () => {},
      isTerminal: false,
    };
    const fromStdin = await env.sys.exec(env.client, ['tcpdump', '-n', '-r', '-'], {
      stdin: input,
    });
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(fromStdin.stderr).toBe(
      'reading from file -, link-type EN10MB (Ethernet), snapshot length 262144\n',
    );
  });

  test('-tt and -w --nano: the lab wall clock (2026-01-01 plus virtual time)', async () => {
    const env = lab();
    const r = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '-tt',
      '-n',
      '-i',
      'eth0',
      'icmp',
    ]);
    const w = start(env, env.client, [
      'tcpdump',
      '--immediate-mode',
      '--nano',
      '-i',
      'eth0',
      '-w',
      'n.pcap',
      'icmp',
    ]);
    await elapse(env, ms(1234.567891));
    await ping(env, '192.168.0.22', 1, 0);
    await kill(env, r, 'SIGINT');
    await kill(env, w, 'SIGINT');
    expect(r.stdout.text).toMatch(/^1767225601\.234567 IP 192\.168\.0\.21 > 192\.168\.0\.22: ICMP/);
    const read = readCapture(file(env, '/root/n.pcap', env.client), { precision: 'nano' });
    if (!('records' in read)) throw new Error('unreadable');
    expect([read.records[0]!.sec, read.records[0]!.frac]).toEqual([1_767_225_601, 234_567_891]);
  });

  test('determinism: same lab, same seed, same bytes', async () => {
    const once = async () => {
      const env = lab(7);
      const r = start(env, env.client, ['tcpdump', '-n', '-S', '-i', 'any']);
      await converse(env);
      await kill(env, r, 'SIGINT');
      return r.stdout.text;
    };
    expect(await once()).toBe(await once());
  });
});
