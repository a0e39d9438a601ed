/**
 * Shared by the filter tests: the capture files they read, grouped by link
 * type, and a way to ask the real tcpdump which packets an expression selects.
 */

import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readCapture } from '../../src/capture/pcap.js';
import type { CaptureRecord } from '../../src/capture/record.js';
import { SHARED } from '../shared.js';

export const TCPDUMP = '/usr/bin/tcpdump';
export const hasTcpdump = existsSync(TCPDUMP);

const TRACES = join(SHARED, 'linux-traces');
const CONFORMANCE = join(SHARED, 'conformance/tcpdump/pcap');

/** Every `linux-traces/<experiment>/<case>/capture.pcap`. */
export function traceFiles(): string[] {
  if (!existsSync(TRACES)) return [];
  const out: string[] = [];
  for (const exp of readdirSync(TRACES).sort()) {
    const dir = join(TRACES, exp);
    if (!statSync(dir).isDirectory()) continue;
    for (const c of readdirSync(dir).sort()) {
      const f = join(dir, c, 'capture.pcap');
      if (!statSync(join(dir, c)).isDirectory()) continue;
      if (existsSync(f)) out.push(f);
    }
  }
  return out;
}

/** Every capture of tcpdump's conformance corpus (pcap and pcapng). */
export function conformanceFiles(): string[] {
  if (!existsSync(CONFORMANCE)) return [];
  return readdirSync(CONFORMANCE)
    .filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng'))
    .sort()
    .map((f) => join(CONFORMANCE, f));
}

export function readRecords(file: string): CaptureRecord[] {
  const r = readCapture(new Uint8Array(readFileSync(file)));
  return 'records' in r ? [...r.records] : [];
}

/** The packets of one link type, from many files, and one pcap file holding them all. */
export interface Corpus {
  readonly linkType: number;
  readonly records: readonly CaptureRecord[];
  /** A pcap of `records` in order, record i stamped with i seconds: the identity tcpdump keeps. */
  readonly file: string;
}

/** libpcap MAXIMUM_SNAPLEN: the merged files' snapshot length. */
export const MERGED_SNAPLEN = 262144;

/**
 * Groups every packet of `files` by link type and writes one pcap per link
 * type. Record i of a merged file has timestamp i.000000, so the packets
 * tcpdump writes back with `-w` say which ones it selected.
 */
export function buildCorpora(files: readonly string[]): Corpus[] {
  const byType = new Map<number, CaptureRecord[]>();
  for (const f of files) {
    for (const rec of readRecords(f)) {
      const list = byType.get(rec.linkType) ?? [];
      list.push(rec);
      byType.set(rec.linkType, list);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-filter-'));
  return [...byType.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([linkType, records]) => {
      const file = join(dir, `linktype-${linkType}.pcap`);
      writeFileSync(file, pcapBytes(linkType, records));
      return { linkType, records, file };
    });
}

/** Deletes the files `buildCorpora` wrote. */
export function removeCorpora(corpora: readonly Corpus[]): void {
  const first = corpora[0];
  if (first) rmSync(dirname(first.file), { recursive: true, force: true });
}

/** A classic little-endian microsecond pcap; record i gets timestamp i seconds. */
function pcapBytes(linkType: number, records: readonly CaptureRecord[]): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(MERGED_SNAPLEN, 16);
  h.writeUInt32LE(linkType, 20);
  parts.push(h);
  records.forEach((rec, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(i, 0);
    r.writeUInt32LE(0, 4);
    r.writeUInt32LE(rec.data.length, 8);
    r.writeUInt32LE(rec.origLen >>> 0, 12);
    parts.push(r, Buffer.from(rec.data));
  });
  return Buffer.concat(parts);
}

export interface TcpdumpRun {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

let running = 0;
const waiting: (() => void)[] = [];
/** At most this many tcpdump processes at once. */
const CONCURRENCY = 4;

/** Runs tcpdump with `args` (no shell); resolves when it exits. */
export async function runTcpdump(args: readonly string[]): Promise<TcpdumpRun> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<TcpdumpRun>((resolve) => {
      const child = spawn(TCPDUMP, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('close', (status) =>
        resolve({
          status,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * What tcpdump says about an expression: the error text after "tcpdump: " (with
 * its trailing newline removed), or the indices of the packets it wrote back.
 */
export type Verdict = { readonly error: string } | { readonly selected: readonly number[] };

export async function tcpdumpSelects(corpus: Corpus, expression: string): Promise<Verdict> {
  // `--`: an expression starting with '-' is not an option.
  const run = await runTcpdump(['-r', corpus.file, '-w', '-', '--', expression]);
  if (run.status !== 0) return { error: tcpdumpError(run.stderr) };
  const r = readCapture(new Uint8Array(run.stdout));
  if (!('records' in r)) return { error: `unreadable output: ${r.error.message}` };
  return { selected: r.records.map((rec) => rec.sec) };
}

/** `tcpdump -d`: the program's lines, or the error. */
export async function tcpdumpProgram(
  corpus: Corpus,
  expression: string,
): Promise<{ readonly error: string } | { readonly lines: readonly string[] }> {
  const run = await runTcpdump(['-r', corpus.file, '-d', '--', expression]);
  if (run.status !== 0) return { error: tcpdumpError(run.stderr) };
  return { lines: run.stdout.toString('utf8').trimEnd().split('\n') };
}

/**
 * The message of tcpdump's error("%s", pcap_geterr()), which may itself end in
 * a newline (tcpdump then prints two): everything after "tcpdump: " but the
 * final newline. The "reading from file" and SLL2 "Warning" lines are dropped.
 */
export function tcpdumpError(stderr: string): string {
  const at = stderr.indexOf('tcpdump: ');
  if (at < 0) return `no error message in: ${stderr}`;
  return stderr.slice(at + 'tcpdump: '.length).replace(/\n$/, '');
}
