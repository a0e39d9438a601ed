/**
 * The real bash as the oracle: each fixtures/X.script was typed into bash 5.2.15
 * (Debian 12) on a pty by fixtures/real-bash.py, and fixtures/X.out is the screen it
 * produced. Here the same keystrokes go to tcplab's terminal, with the waits on
 * virtual time, and the screens must be identical up to process ids.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Process ids differ between runs: every number of four digits or more becomes PID. */
function normalize(screen: string): string {
  return screen.replace(/\b\d{4,6}\b/g, 'PID');
}

async function replay(script: string): Promise<string> {
  const s = await session();
  let screen = '';
  const prompt = (): string => (s.term.prompt === '> ' ? '> ' : 'PROMPT$ ');
  for (const step of script.split('\n')) {
    if (step === '' || step.startsWith('#')) continue;
    if (step.startsWith('> ')) {
      screen += `${prompt()}${step.slice(2)}\n`;
      screen += await s.type(step.slice(2));
    } else if (step.startsWith('! ')) {
      screen += `${prompt()}${step.slice(2)}\n`;
      screen += await s.type(step.slice(2), 0.5);
    } else if (step.startsWith('< ')) {
      // Input for the foreground program: the tty echoes it, no prompt.
      screen += `${step.slice(2)}\n`;
      screen += await s.type(step.slice(2));
    } else if (step.startsWith('w ')) {
      screen += await s.run(Number(step.slice(2)));
    } else if (step === '^C') {
      if (s.term.atPrompt) screen += prompt();
      screen += `^C${await s.interrupt()}`;
    } else if (step === '^D') {
      if (s.term.atPrompt) screen += prompt();
      screen += await s.eof();
    }
  }
  if (s.term.alive) screen += prompt();
  return screen.replace(/PROMPT\$ \^C/g, 'PROMPT$ ^C');
}

describe('the screen matches the real bash', () => {
  for (const name of [
    'basics',
    'jobs',
    'known',
    'control',
    'read',
    'builtins',
    'functions',
    'heredoc',
    'child',
  ]) {
    it(`${name}.script`, async () => {
      const script = readFileSync(new URL(`${name}.script`, FIXTURES), 'utf8');
      const real = readFileSync(new URL(`${name}.out`, FIXTURES), 'utf8');
      expect(normalize(await replay(script))).toBe(normalize(real));
    });
  }
});
