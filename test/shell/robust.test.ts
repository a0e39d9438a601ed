/**
 * Bad input never crashes: random command lines made of shell syntax, words
 * and the small commands leave bash alive (or exited by `exit`), with no
 * internal error, and the parser never throws.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/shell/parse.js';
import { session } from './helpers.js';

const pieces = [
  'echo',
  'cat',
  'grep',
  'wc',
  'sort',
  'head',
  'tail',
  'cut',
  'tr',
  'seq',
  'sleep',
  'kill',
  'jobs',
  'fg',
  'bg',
  'wait',
  'cd',
  'export',
  'unset',
  'printf',
  'type',
  'ls',
  'rm',
  'true',
  'false',
  'x',
  '-n',
  '-l',
  '%1',
  '%+',
  '1',
  '0.1',
  'f',
  '/proc/sys/net/ipv4/tcp_syncookies',
  '"',
  "'",
  '\\',
  '$',
  '$?',
  '${',
  '}',
  '{',
  '(',
  ')',
  '|',
  '||',
  '&',
  '&&',
  ';',
  ';;',
  '>',
  '>>',
  '<',
  '2>&1',
  '&>',
  '<<<',
  '$(',
  '`',
  '~',
  '*',
  '#',
  '!',
  '=',
  'A=1',
  '-',
  '--',
  '%',
  '\n',
];

const line = fc
  .array(fc.constantFrom(...pieces), { minLength: 0, maxLength: 10 })
  .map((a) => a.join(' '));

describe('robustness', () => {
  it('parse never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        parse(s);
      }),
      { seed: 7, numRuns: 2000 },
    );
    fc.assert(
      fc.property(line, (s) => {
        parse(s);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('random command lines never make an internal error', async () => {
    const samples = fc.sample(line, { seed: 11, numRuns: 150 });
    let t = await session();
    for (const l of samples) {
      const out = await t.type(l, 5);
      if (!t.term.atPrompt && t.term.alive) await t.interrupt(5);
      if (t.term.reading) await t.eof(5);
      if (!t.term.atPrompt && t.term.alive) await t.interrupt(5);
      expect(out).not.toContain('internal error');
      expect(t.take()).not.toContain('internal error');
      if (!t.term.alive) t = await session();
    }
  });
});
