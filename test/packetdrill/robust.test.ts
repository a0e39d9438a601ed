/**
 * Bad input never crashes (DESIGN.md 5): scripts cut anywhere, or with a
 * character changed, give a syntax error or a failed run, never an exception.
 */

import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseScript } from '../../src/packetdrill/parse.js';
import { runScript } from '../../src/packetdrill/run.js';
import { read, scripts, TCPLAB, UPSTREAM } from './corpus.js';

const SCRIPTS: [string, string][] = [
  [UPSTREAM, 'tcp/close/close-remote-fin-then-close.pkt'],
  [TCPLAB, 'icmp/unreach-bad-seq-ignored.pkt'],
  [TCPLAB, 'so-linger/linger-nonzero-close-waits.pkt'],
];

function survives(text: string): void {
  const r = parseScript(text, 'x.pkt');
  if (!r.ok) {
    expect(r.error.line).toBeGreaterThan(0);
    return;
  }
  const run = runScript(r.script);
  expect(typeof run.ok).toBe('boolean');
}

for (const [dir, path] of SCRIPTS) {
  test(`${path}: cut at every 31st character`, () => {
    const text = read(dir, path);
    for (let i = 0; i < text.length; i += 31) survives(text.slice(0, i));
  });

  test(`${path}: one character replaced, every 53rd`, () => {
    const text = read(dir, path);
    for (let i = 0; i < text.length; i += 53) {
      for (const c of ['9', '+', ')', 'S', '\n'])
        survives(text.slice(0, i) + c + text.slice(i + 1));
    }
  });
}

/** Values at and past every limit a script's numbers meet (u8, u16, u32, the clock, memory). */
const EXTREMES = [
  '0',
  '-1',
  '255',
  '256',
  '65535',
  '65536',
  '4294967295',
  '4294967296',
  '99999999999',
  '1e9',
  '0x',
];

test('every corpus script with numbers pushed to their limits, tokens dropped or repeated', () => {
  const corpus = [
    ...scripts(UPSTREAM).map((p) => read(UPSTREAM, p)),
    ...scripts(TCPLAB).map((p) => read(TCPLAB, p)),
  ];
  const mutation = fc.record({
    script: fc.nat(corpus.length - 1),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('extreme', 'drop', 'repeat'),
        value: fc.constantFrom(...EXTREMES),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  });
  for (const m of fc.sample(mutation, { seed: 5, numRuns: 400 })) {
    const tokens = corpus[m.script]!.split(/(\s+|[,:()<>[\]])/);
    for (const e of m.edits) {
      const i = e.at % tokens.length;
      if (e.kind === 'drop') tokens.splice(i, 1);
      else if (e.kind === 'repeat') tokens.splice(i, 0, tokens[i]!);
      else {
        // The next number at or after i (an event's time keeps its '+').
        let j = i;
        while (j < tokens.length && !/^\+?\.?[0-9]/.test(tokens[j]!)) j++;
        if (j < tokens.length) tokens[j] = (tokens[j]!.startsWith('+') ? '+' : '') + e.value;
      }
    }
    survives(tokens.join(''));
  }
});
