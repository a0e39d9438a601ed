/**
 * Shared by the tcpdump printer tests: flag parsing for the corpus rows, running
 * the printer over a capture file, running the real tcpdump, and the rule for
 * the application-decoder lines tcplab leaves out.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readCapture } from '../../src/capture/pcap.js';
import {
  defaultTcpdumpOptions,
  type TcpdumpOptions,
  TcpdumpPrinter,
} from '../../src/capture/print/index.js';

export const TCPDUMP = '/usr/bin/tcpdump';
export const hasTcpdump = existsSync(TCPDUMP);

/** The printer options for tcpdump flags as the corpus and the traces spell them. */
export function optionsFromFlags(flags: readonly string[]): TcpdumpOptions {
  const o: TcpdumpOptions = {
    ...defaultTcpdumpOptions(),
    // The corpus was made on Linux, where ifindex 1 is the loopback.
    interfaceName: (i) => (i === 1 ? 'lo' : undefined),
  };
  for (const f of flags) {
    if (f === '--nano') {
      o.precision = 'nano';
      continue;
    }
    if (f === '--micro') continue;
    if (!/^-[#nStvexXAq]+$/.test(f)) throw new Error(`flag not handled by the harness: ${f}`);
    for (const ch of f.slice(1)) {
      switch (ch) {
        case '#':
          o.packetNumbers = true;
          break;
        case 'n':
          o.numeric++;
          break;
        case 'S':
          o.absoluteSeq = true;
          break;
        case 't':
          o.timestamps++;
          break;
        case 'v':
          o.verbose++;
          break;
        case 'e':
          o.linkHeader = true;
          break;
        case 'x':
          o.hex++;
          break;
        case 'X':
          o.hexAscii++;
          break;
        case 'A':
          o.ascii++;
          break;
        case 'q':
          o.quiet = true;
          break;
      }
    }
  }
  return o;
}

/** What tcplab's printer writes for a whole capture file. */
export function printCapture(bytes: Uint8Array, options: TcpdumpOptions): string {
  const read = readCapture(bytes, { precision: options.precision });
  if (!('records' in read)) throw new Error(`unreadable capture: ${read.error.message}`);
  const printer = new TcpdumpPrinter(options, read.linkType);
  let out = '';
  for (const r of read.records) out += printer.format(r);
  return out;
}

/** What the real tcpdump writes on stdout (TZ=GMT0). */
export function runTcpdump(file: string, flags: readonly string[]): string {
  return execFileSync(TCPDUMP, ['-r', file, ...flags], {
    encoding: 'latin1',
    env: { ...process.env, TZ: 'GMT0' },
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 30,
  });
}

/** Splits `-#` output into packets: number → its lines. */
function byPacket(text: string): Map<number, string[]> {
  const packets = new Map<number, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^ {0,4}(\d+) {2}/.exec(line);
    if (m && (current === undefined || Number(m[1]) === packets.size + 1)) {
      current = [line];
      packets.set(Number(m[1]), current);
    } else if (current !== undefined) {
      current.push(line);
    }
  }
  return packets;
}

const HEX_DUMP_LINE = /^\t0x[0-9a-f]{4}: /;

/**
 * Compares `-#` outputs when application decoders are left out: each of our
 * lines must equal the expected line at its place, or be extended by it with
 * the decoder's text; expected lines we lack must be indented continuation
 * lines a decoder printed (never hex-dump lines). Returns the first violation.
 */
export function allowedDecoderDifference(ours: string, expected: string): string | undefined {
  const a = byPacket(ours);
  const e = byPacket(expected);
  if (a.size !== e.size) return `packet count ${a.size} vs ${e.size}`;
  for (const [n, eLines] of e) {
    const aLines = a.get(n)!;
    let j = 0;
    for (const line of aLines) {
      while (j < eLines.length && eLines[j] !== line && !extends_(eLines[j]!, line)) {
        const skipped = eLines[j]!;
        if (!/^\s/.test(skipped) || HEX_DUMP_LINE.test(skipped)) {
          return `packet ${n}: expected line not printed: ${JSON.stringify(skipped)}`;
        }
        j++;
      }
      if (j === eLines.length)
        return `packet ${n}: our line not in tcpdump's: ${JSON.stringify(line)}`;
      j++;
    }
    for (; j < eLines.length; j++) {
      const skipped = eLines[j]!;
      if (!/^\s/.test(skipped) || HEX_DUMP_LINE.test(skipped)) {
        return `packet ${n}: expected line not printed: ${JSON.stringify(skipped)}`;
      }
    }
  }
  return undefined;
}

function extends_(expectedLine: string, ourLine: string): boolean {
  return expectedLine.length > ourLine.length && expectedLine.startsWith(ourLine);
}
