/**
 * The `tcpdump` command around the printer: options, -c, --count, -w, -F, the
 * stderr lines and exit codes. Where the real tcpdump is installed, each case is
 * also run through it and stdout, stderr and the exit status must be the same.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/pcap.js';
import { runTcpdump } from '../../src/tools/tcpdump.js';
import { MemoryIO } from './memory-io.js';

const TCPDUMP = '/usr/bin/tcpdump';
const hasTcpdump = existsSync(TCPDUMP);
if (!hasTcpdump) console.warn('tcpdump is not installed: the comparisons with it are skipped');

const SHARED = join(import.meta.dirname, '../../../shared');
const HANDSHAKE = join(SHARED, 'linux-traces/normal-handshake/nc/capture.pcap');
const CORPUS = join(SHARED, 'conformance/tcpdump/pcap');
const TMP = mkdtempSync(join(tmpdir(), 'tcplab-tcpdump-'));

function ours(args: string[], io = new MemoryIO()) {
  const status = runTcpdump(args, io);
  return { status, stdout: io.out, stderr: io.err, io };
}

function theirs(args: string[]) {
  const r = spawnSync(TCPDUMP, args, {
    argv0: 'tcpdump',
    encoding: 'latin1',
    env: { ...process.env, TZ: 'GMT0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines after "tcpdump version" name the libraries; tcplab's say it is tcplab. */
function withoutLibraryVersions(text: string): string {
  return text.replace(/^(libpcap|OpenSSL|SMI-lib) .*\n/gm, '');
}

/** The first `n` bytes of a file, written to a temporary file. */
function truncated(file: string, n: number): string {
  const out = join(TMP, `cut-${n}.pcap`);
  writeFileSync(out, readFileSync(file).subarray(0, n));
  return out;
}

const junk = join(TMP, 'junk.pcap');
writeFileSync(junk, 'this is not a capture file\n');
const filterFile = join(TMP, 'filter.txt');
writeFileSync(filterFile, '# only the SYNs\ntcp[tcpflags] & tcp-syn != 0 # and SYN-ACKs\n');

/** Command lines whose stdout, stderr and status must equal the real tcpdump's. */
const SAME_AS_TCPDUMP: readonly (readonly string[])[] = [
  ['-n', '-r', HANDSHAKE],
  ['-n', '-c', '3', '-r', HANDSHAKE],
  ['-r', HANDSHAKE, '-nc2', 'tcp'],
  ['-n', '--count', '-r', HANDSHAKE, 'tcp'],
  ['-n', '-r', HANDSHAKE, '-F', filterFile],
  ['-n', '-r', HANDSHAKE, '--nano', 'arp'],
  ['-n', '-r', HANDSHAKE, '--time-stamp-precision=nano', '-tt'],
  ['-n', '-r', HANDSHAKE, '--time-stamp-precision', 'pico'],
  ['-n', '-r', HANDSHAKE, 'port 99999'],
  ['-n', '-r', HANDSHAKE, 'tcp[13] =='],
  ['-n', '-r', HANDSHAKE, 'host', 'nosuchhost.invalid'],
  ['-n', '-r', HANDSHAKE, '-c', '0'],
  ['-n', '-r', HANDSHAKE, '-c', 'x'],
  ['-n', '-r', '/nonexistent/capture.pcap'],
  ['-n', '-r', junk],
  ['-n', '-r', truncated(HANDSHAKE, 10)],
  ['-n', '-r', truncated(HANDSHAKE, 24 + 16 + 42 + 16 + 42 + 5)],
  ['-n', '-r', truncated(HANDSHAKE, 24 + 16 + 42 + 16 + 10)],
  ['-n', '-r', truncated(HANDSHAKE, 24 + 16 + 42 + 16 + 10), '-c', '1'],
  ['-n', '-#', '-r', join(CORPUS, 'icmp-length-zero.pcapng'), '-v'],
  ['-n', '-r', HANDSHAKE, '-y'],
  ['-n', '-r', HANDSHAKE, '--nan', '-c1'],
  ['-n', '-r', HANDSHAKE, '--n'],
  ['-n', '-r', HANDSHAKE, '-Z'],
];

describe.skipIf(!hasTcpdump)('tcplab tcpdump behaves as tcpdump 4.99.3', () => {
  for (const args of SAME_AS_TCPDUMP) {
    test(args.map((a) => a.replace(`${TMP}/`, '').replace(/^\/.*\//, '')).join(' '), () => {
      const a = ours([...args]);
      const b = theirs([...args]);
      expect({ ...a, io: undefined, stderr: withoutLibraryVersions(a.stderr) }).toEqual({
        ...b,
        io: undefined,
        stderr: withoutLibraryVersions(b.stderr),
      });
    });
  }
});

describe('tcplab tcpdump, on its own', () => {
  test('-w writes the selected packets; reading them back prints the same lines', () => {
    const out = join(TMP, 'syns.pcap');
    const io = new MemoryIO();
    const w = ours(['-n', '-r', HANDSHAKE, '-w', out, 'tcp[tcpflags] & tcp-syn != 0'], io);
    expect(w.status).toBe(0);
    expect(w.stdout).toBe('');
    const written = w.io.written.get(out)!;
    const read = readCapture(written);
    expect('records' in read && read.records.length).toBe(2);
    const r = ours(['-n', '-r', out], io);
    const all = ours(['-n', '-r', HANDSHAKE, 'tcp[tcpflags] & tcp-syn != 0']);
    expect(r.stdout).toBe(all.stdout);
  });

  test('-w with --print also prints', () => {
    const w = ours(['-n', '-r', HANDSHAKE, '-w', join(TMP, 'p.pcap'), '--print', '-c', '2']);
    expect(w.stdout.split('\n')).toHaveLength(3);
  });

  test('-w to a place that cannot be written: the file name and the error, exit 1', () => {
    const w = ours(['-r', HANDSHAKE, '-w', '/nonexistent/x.pcap']);
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(/tcpdump: \/nonexistent\/x\.pcap: No such file or directory\n$/);
  });

  test('without -r: live capture needs a lab host', () => {
    const r = ours(['-i', 'any', '-n']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tcpdump: live capture on any needs a virtual host/);
  });

  test('an option tcplab does not implement says so, exit 1', () => {
    const r = ours(['-d', '-r', HANDSHAKE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tcpdump: option -d is not supported by tcplab\n');
  });

  test('a link type tcplab does not decode is refused with a clear message, exit 1', () => {
    const ppp = join(TMP, 'ppp.pcap');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(9, 20); // LINKTYPE_PPP
    writeFileSync(ppp, header);
    const r = ours(['-n', '-r', ppp]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tcpdump: tcplab does not decode link-type PPP \(PPP\); -w can/);
  });

  test('--version says it is tcplab, and exits 0', () => {
    const r = ours(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tcpdump version 4\.99\.3\n.*tcplab/);
  });
});
