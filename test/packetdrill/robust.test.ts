/**
 * Bad input never crashes (DESIGN.md 5): scripts cut anywhere, or with a
 * character changed, give a syntax error or a failed run, never an exception.
 */

import { expect, test } from 'vitest';
import { parseScript } from '../../src/packetdrill/parse.js';
import { runScript } from '../../src/packetdrill/run.js';
import { read, TCPLAB, UPSTREAM } from './corpus.js';

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
