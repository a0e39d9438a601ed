/**
 * Comparing an exchange with a capture of ../shared/linux-traces: both sides are
 * reduced to tcpdump -S lines without what the traces leave to chance (absolute
 * ISNs become offsets from each side's first SYN; timestamp values disappear),
 * so what remains is flags, relative seq/ack, windows, option kinds and
 * lengths, in order.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTcp } from '../../src/wire/tcp.js';
import type { Captured } from './netsim.js';

export const TRACES = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../shared/linux-traces',
);

export interface TraceLine {
  /** Seconds since the first TCP segment. */
  readonly t: number;
  /** `192.168.0.21.40001 > 192.168.0.22.80: Flags [S], …` */
  readonly text: string;
}

/** The TCP lines of a case's tcpdump-S-tt.txt (ARP and other lines left out). */
export function readTrace(experiment: string): TraceLine[] {
  const text = readFileSync(join(TRACES, experiment, 'tcpdump-S-tt.txt'), 'utf8');
  const out: TraceLine[] = [];
  let t0: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+\.\d+) IP (.*Flags.*)$/.exec(line);
    if (!m) continue;
    const t = Number(m[1]);
    t0 ??= t;
    // tcpdump names the payload's protocol after the length (": HTTP"); tcplab's formatter does not.
    out.push({ t: t - t0, text: m[2]!.replace(/: HTTP$/, '') });
  }
  return out;
}

/** Our capture as the same kind of lines. */
export function captureLines(captured: readonly Captured[]): TraceLine[] {
  const t0 = captured[0]?.time ?? 0;
  return captured.map((c) => ({ t: (c.time - t0) / 1e9, text: formatTcp(c.seg, c.from, c.to) }));
}

/**
 * Replaces each side's absolute sequence numbers by offsets from its ISN (the
 * seq of its first SYN) and drops timestamp values.
 */
export function normalize(lines: readonly TraceLine[]): string[] {
  const isn = new Map<string, number>();
  const rel = (side: string, n: number): string => {
    const base = isn.get(side);
    return base === undefined ? `${n}` : `+${(n - base + 2 ** 32) % 2 ** 32}`;
  };
  return lines.map(({ text }) => {
    const m = /^(\S+) > (\S+): (.*)$/.exec(text);
    if (!m) return text;
    const [, src, dst, rest] = m as unknown as [string, string, string, string];
    const seqM = /seq (\d+)/.exec(rest);
    if (/Flags \[S/.test(rest) && seqM && !isn.has(src)) isn.set(src, Number(seqM[1]));
    const body = rest
      .replace(/seq (\d+):(\d+)/, (_, a, b) => `seq ${rel(src, Number(a))}:${rel(src, Number(b))}`)
      .replace(/seq (\d+)(?!:)/, (_, a) => `seq ${rel(src, Number(a))}`)
      .replace(/ack (\d+)/, (_, a) => `ack ${rel(dst, Number(a))}`)
      .replace(/TS val \d+ ecr \d+/, 'TS');
    return `${src} > ${dst}: ${body}`;
  });
}
