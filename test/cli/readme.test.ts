/**
 * The README stays true: every `$ npx tcplab …` example in it is run, and its
 * output must be the lines the README shows under it.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const README = readFileSync(`${ROOT}README.md`, 'utf8');

/** Each fenced block that starts with `$ npx tcplab`: the command and the text under it. */
function examples(): { command: string; output: string }[] {
  const found: { command: string; output: string }[] = [];
  for (const m of README.matchAll(/```\n\$ (npx tcplab [^\n]*)\n([\s\S]*?)```/g)) {
    found.push({ command: m[1]!, output: m[2]! });
  }
  return found;
}

describe('README examples', () => {
  test('there is at least one', () => {
    expect(examples().length).toBeGreaterThan(0);
  });

  for (const { command, output } of examples()) {
    test(command, () => {
      const shellCommand = command.replace(/^npx tcplab/, `node ${ROOT}bin/tcplab.js`);
      const r = spawnSync('sh', ['-c', shellCommand], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TZ: 'GMT0' },
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(output);
    });
  }
});
