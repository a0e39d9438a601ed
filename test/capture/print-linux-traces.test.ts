/**
 * The real Linux traces (../shared/linux-traces/*\/*): tcplab's printer must
 * print each capture exactly as tcpdump 4.99.3 did when the traces were taken,
 * with `-n`, `-n -S -tt` and `-n -S -tt -v`.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/pcap.js';
import { optionsFromFlags, printCapture } from './print-support.js';

const TRACES = join(import.meta.dirname, '../../../shared/linux-traces');

const cases = readdirSync(TRACES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(TRACES, d.name), { withFileTypes: true })
      .filter((c) => c.isDirectory() && existsSync(join(TRACES, d.name, c.name, 'capture.pcap')))
      .map((c) => join(d.name, c.name)),
  )
  .sort();

const OUTPUTS = [
  { file: 'tcpdump.txt', flags: ['-n'] },
  { file: 'tcpdump-S-tt.txt', flags: ['-n', '-S', '-tt'] },
  { file: 'tcpdump-S-tt-v.txt', flags: ['-n', '-S', '-tt', '-v'] },
] as const;

/**
 * The local-time offset the text was made with: the first line's HH:MM:SS
 * against the first packet's UTC second (the traces do not say their TZ).
 */
function tzOffsetOf(capture: Uint8Array, text: string): number {
  const read = readCapture(capture);
  if (!('records' in read) || read.records.length === 0) return 0;
  const m = /^(\d\d):(\d\d):(\d\d)\./.exec(text);
  if (!m) return 0;
  const shown = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  const utc = read.records[0]!.sec % 86_400;
  let offset = shown - utc;
  if (offset > 43_200) offset -= 86_400;
  if (offset < -43_200) offset += 86_400;
  return offset;
}

describe('Linux reference traces', () => {
  test('there are captures to compare', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const dir of cases) {
    for (const { file, flags } of OUTPUTS) {
      const expectedPath = join(TRACES, dir, file);
      test.skipIf(!existsSync(expectedPath))(`${dir} ${flags.join(' ')}`, () => {
        const capture = readFileSync(join(TRACES, dir, 'capture.pcap'));
        const expected = readFileSync(expectedPath, 'latin1');
        const offset = tzOffsetOf(capture, expected);
        const options = { ...optionsFromFlags(flags), tzOffsetSeconds: () => offset };
        expect(printCapture(capture, options)).toBe(expected);
      });
    }
  }
});
