/**
 * `tcplab packetdrill` (bin/tcplab.js, built by npm run build): one line per
 * script, `N passed, N failed` last, failures on stderr, --verbose and --pcap.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readCapture } from '../../src/capture/pcap.js';
import { TCPLAB } from './corpus.js';

const BIN = new URL('../../bin/tcplab.js', import.meta.url).pathname;

function tcplab(...args: string[]) {
  return spawnSync(process.execPath, [BIN, 'packetdrill', ...args], { encoding: 'utf8' });
}

const dir = mkdtempSync(join(tmpdir(), 'tcplab-packetdrill-'));
const BROKEN = join(dir, 'broken.pkt');
writeFileSync(
  BROKEN,
  `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
`,
);
const CLOSED = join(TCPLAB, 'closed-port/syn-to-closed-port.pkt');

test('one line per script, the counts last, the failure on stderr, exit status 1', () => {
  const r = tcplab(CLOSED, BROKEN);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/^ok {3}.*syn-to-closed-port\.pkt$/);
  expect(lines[1]).toMatch(/^FAIL .*broken\.pkt$/);
  expect(lines[2]).toBe('1 passed, 1 failed');
  expect(r.stderr).toContain(
    'broken.pkt:2: system call blocked: expected it to return at once (at 0.000000 sec), but it was still blocked at 0.004000 sec',
  );
  expect(r.status).toBe(1);
});

test('a directory runs every .pkt under it; all passing exits 0', () => {
  const r = tcplab(join(TCPLAB, 'closed-port'));
  expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('2 passed, 0 failed');
  expect(r.status).toBe(0);
});

test('--verbose shows every packet; --pcap writes them', () => {
  const pcap = join(dir, 'out.pcap');
  const r = tcplab('--verbose', '--pcap', pcap, CLOSED);
  expect(r.stdout).toContain(
    '< 0.000000 IP 192.0.2.1.48000 > 192.168.0.1.8080: Flags [S], seq 1000, win 65535, options [mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7], length 0',
  );
  expect(r.stdout).toContain(
    '> 0.000000 IP 192.168.0.1.8080 > 192.0.2.1.48000: Flags [R.], seq 0, ack 1001, win 0, length 0',
  );
  const cap = readCapture(new Uint8Array(readFileSync(pcap)));
  expect('records' in cap && cap.records.length).toBe(6);
});

test('a missing file is a failure', () => {
  const r = tcplab(join(dir, 'nope.pkt'));
  expect(r.stderr).toContain('nope.pkt: No such file or directory');
  expect(r.stdout.trimEnd()).toBe('0 passed, 1 failed');
  expect(r.status).toBe(1);
});

test('a directory is searched as find does: links to directories not followed, a broken link fails alone', () => {
  const tree = mkdtempSync(join(tmpdir(), 'tcplab-packetdrill-tree-'));
  mkdirSync(join(tree, 'sub'));
  writeFileSync(join(tree, 'sub', 'a.pkt'), readFileSync(CLOSED, 'utf8'));
  symlinkSync(join(tree, 'nowhere'), join(tree, 'dangling'));
  symlinkSync(tree, join(tree, 'sub', 'loop'));
  symlinkSync(join(tree, 'nowhere.pkt'), join(tree, 'broken.pkt'));
  const r = tcplab(tree);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^FAIL .*broken\.pkt$/);
  expect(lines[1]).toMatch(/^ok {3}.*sub\/a\.pkt$/);
  expect(lines.at(-1)).toBe('1 passed, 1 failed');
  expect(r.stderr.trimEnd()).toMatch(
    /^tcplab packetdrill: .*broken\.pkt: No such file or directory$/,
  );
  expect(r.status).toBe(1);
});

test('an empty script is a syntax error, not a pass', () => {
  const empty = join(dir, 'empty.pkt');
  writeFileSync(empty, '// nothing but a comment\n');
  const r = tcplab(empty);
  expect(r.stdout.trimEnd().split('\n')).toEqual([
    expect.stringMatching(/^FAIL .*empty\.pkt$/),
    '0 passed, 1 failed',
  ]);
  expect(r.stderr).toContain(
    'empty.pkt:2:1: syntax error: expected an event (a packet, a system call, a `command` or %{ code }%, with its time), found end of file',
  );
});

test("packetdrill's own --name=value options on the command line override the script's", () => {
  const script = join(dir, 'local-ip.pkt');
  writeFileSync(script, `--local_ip=192.168.7.7\n${readFileSync(CLOSED, 'utf8')}`);
  const r = tcplab('--verbose', '--local_ip=10.0.0.1', script);
  expect(r.stdout).toContain('> 10.0.0.1.8080:');
  expect(r.stdout).not.toContain('192.168.7.7');
  expect(r.status).toBe(0);
  const bad = tcplab('--bind_port=99999', CLOSED);
  expect(bad.stderr).toBe('command line: bad --bind_port: 99999\n');
  expect(bad.status).toBe(1);
  const unknown = tcplab('--no_such_option=1', CLOSED);
  expect(unknown.stderr).toBe('command line: unknown option --no_such_option\n');
  const short = tcplab('-x', CLOSED);
  expect(short.stderr).toBe("error: unknown option '-x'\n");
  expect(short.stdout).toBe('');
  expect(short.status).toBe(1);
});

test('a reader that goes away (| head) ends the run quietly, as SIGPIPE would', () => {
  const r = spawnSync(
    'sh',
    ['-c', `"${process.execPath}" "${BIN}" packetdrill --verbose "${CLOSED}" | head -1`],
    {
      encoding: 'utf8',
    },
  );
  expect(r.stdout).toMatch(/^--- .*syn-to-closed-port\.pkt\n$/);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
