import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { VERSION } from '../../src/cli/version.js';

const BIN = new URL('../../bin/tcplab.js', import.meta.url).pathname;
const TRACES = new URL('../../../shared/linux-traces/', import.meta.url).pathname;

const hasTcpdump = existsSync('/usr/bin/tcpdump');
if (!hasTcpdump) console.warn('tcpdump is not installed: the CLI comparison without -n is skipped');

function tcplab(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'GMT0' },
  });
}

describe('the tcplab command (built by npm run build)', () => {
  test('--version prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    const r = tcplab('--version');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
  });

  test('--help lists the tcpdump subcommand', () => {
    const r = tcplab('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}tcpdump \[args\.\.\.\] +print a capture file/m);
  });

  test('tcpdump -r prints the reference trace as Linux tcpdump did', () => {
    const dir = `${TRACES}normal-handshake/nc/`;
    const r = tcplab('tcpdump', '-n', '-r', `${dir}capture.pcap`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(`${dir}tcpdump.txt`, 'utf8'));
    expect(r.stderr).toMatch(/^reading from file .*capture\.pcap, link-type EN10MB \(Ethernet\)/);
  });

  test('tcpdump options after the expression are still options (getopt permutation)', () => {
    const dir = `${TRACES}normal-handshake/nc/`;
    const r = tcplab('tcpdump', '-r', `${dir}capture.pcap`, 'tcp', '-n', '-c', '1');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/Flags \[S\]/);
  });

  test.skipIf(!hasTcpdump)(
    'without -n: names from /etc/hosts and /etc/services, as the real tcpdump prints them',
    () => {
      const file = `${TRACES}../conformance/tcpdump/pcap/local-sll2-lo.pcap`;
      const ours = tcplab('tcpdump', '-r', file);
      const real = spawnSync('/usr/bin/tcpdump', ['-r', file], {
        encoding: 'utf8',
        env: { ...process.env, TZ: 'GMT0' },
      });
      expect(ours.status).toBe(0);
      expect(ours.stdout).toBe(real.stdout);
    },
  );

  test('a missing file: tcpdump text, exit 1', () => {
    const r = tcplab('tcpdump', '-r', '/nonexistent.pcap');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tcpdump: /nonexistent.pcap: No such file or directory\n');
  });

  test('an unknown option: glibc text, version and usage, exit 1', () => {
    const r = tcplab('tcpdump', '-g');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tcpdump: invalid option -- 'g'\ntcpdump version 4\.99\.3\n/);
    expect(r.stderr).toMatch(/Usage: tcpdump \[-AbdDefhHIJKlLnNOpqStuUvxX#\]/);
  });

  test('output piped into a reader that stops early ends quietly', () => {
    const dir = `${TRACES}silent-drop/default-nc/`;
    const r = spawnSync('sh', ['-c', `node ${BIN} tcpdump -n -r ${dir}capture.pcap | head -1`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/Error|EPIPE/);
  });
});
