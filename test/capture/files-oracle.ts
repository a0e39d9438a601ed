/**
 * The real tools as oracles for the capture-file tests: tcpdump 4.99 (libpcap 1.10)
 * and tshark. Each helper runs the tool on a file and returns what it reported;
 * tests skip, saying why, when a tool is missing.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TCPDUMP_PCAP_DIR, TRACES_DIR } from '../shared.js';

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0;
}

export const hasTcpdump = works('tcpdump', ['--version']);
export const hasTshark = works('tshark', ['--version']);

export const CONFORMANCE_DIR = TCPDUMP_PCAP_DIR;
export { TRACES_DIR };

export function conformanceFiles(): string[] {
  return readdirSync(CONFORMANCE_DIR)
    .filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng'))
    .sort()
    .map((f) => join(CONFORMANCE_DIR, f));
}

/** Every `capture.pcap` under the Linux reference traces. */
export function traceCaptures(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'capture.pcap') out.push(p);
    }
  };
  walk(TRACES_DIR);
  return out;
}

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: string[]): ToolRun {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  // tshark run as root prints this warning on stderr whatever it reads.
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !l.startsWith('Running as user'))
    .join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}

/** A scratch directory removed by the returned function. */
export function scratch(): {
  dir: string;
  file(name: string, bytes: Uint8Array): string;
  done(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-capture-'));
  return {
    dir,
    file(name, bytes) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    },
    done() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** tcpdump's stderr header: `reading from file F, link-type NAME (DESC), snapshot length N`. */
export function tcpdumpHeader(stderr: string): { linkType: string; snaplen: number } | undefined {
  const m = /link-type (.+), snapshot length (\d+)/.exec(stderr);
  return m ? { linkType: m[1]!, snaplen: Number(m[2]) } : undefined;
}

/** The error line tcpdump printed (`tcpdump: pcap_loop: …` or `tcpdump: …`), without the prefix. */
export function tcpdumpError(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith('tcpdump: '));
  return line?.replace(/^tcpdump: (pcap_loop: )?/, '');
}

export interface LibpcapRun {
  readonly records: LibpcapRecord[];
  /** tcpdump's error line, without "tcpdump: " and "pcap_loop: ". */
  readonly error: string | undefined;
  /** Whether tcpdump got past the header ("reading from file …" printed). */
  readonly opened: boolean;
  readonly status: number | null;
}

export interface LibpcapRecord {
  readonly sec: number;
  readonly frac: number;
  readonly caplen: number;
  readonly len: number;
}

/**
 * The records exactly as libpcap delivered them to tcpdump: `tcpdump -r F -w OUT`
 * writes each one back (caplen after libpcap's truncation, timestamps at the
 * requested precision), and this parses OUT with its own minimal code (a
 * little-endian file written on this machine).
 */
export function libpcapRecords(file: string, precision: 'micro' | 'nano'): LibpcapRun {
  const s = scratch();
  try {
    const out = join(s.dir, 'out.pcap');
    const args = ['-r', file, '-w', out];
    if (precision === 'nano') args.unshift('--time-stamp-precision=nano');
    const r = run('tcpdump', args);
    const records: LibpcapRecord[] = [];
    let bytes: Buffer;
    try {
      bytes = readFileSync(out);
    } catch {
      return { records, error: tcpdumpError(r.stderr), opened: false, status: r.status };
    }
    for (let p = 24; p + 16 <= bytes.length; ) {
      const caplen = bytes.readUInt32LE(p + 8);
      records.push({
        sec: bytes.readUInt32LE(p),
        frac: bytes.readUInt32LE(p + 4),
        caplen,
        len: bytes.readUInt32LE(p + 12),
      });
      p += 16 + caplen;
    }
    const opened = r.stderr.includes('reading from file');
    return { records, error: tcpdumpError(r.stderr), opened, status: r.status };
  } finally {
    s.done();
  }
}

/** `tshark -T fields`: one row of strings per frame. */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, ...extra, '-T', 'fields'];
  for (const f of fields) args.push('-e', f);
  const r = run('tshark', args);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}
