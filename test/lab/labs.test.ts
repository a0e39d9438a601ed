/**
 * The seed labs (labs/*.lab) are tests: each must pass with the real shell and
 * the hosts' commands, alone and all together in one run. How long they take
 * is measured by `npm run bench -- --only labs`, not here.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseLab } from '../../src/lab/parse.js';
import { runLabs } from '../../src/lab/run-command.js';
import { LabSession } from '../../src/lab/runner.js';
import { openTerminal } from '../../src/shell/index.js';
import { COMMANDS } from '../../src/tools/commands.js';

const LABS = new URL('../../labs/', import.meta.url).pathname;
const files = readdirSync(LABS)
  .filter((f) => f.endsWith('.lab'))
  .sort()
  .map((f) => `${LABS}${f}`);

async function run(paths: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runLabs(
    paths,
    {},
    {
      openTerminal,
      commands: COMMANDS,
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    },
  );
  return { status, stdout, stderr };
}

describe('the seed labs', () => {
  test('there are some', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    test(file.slice(LABS.length), async () => {
      const r = await run([file]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^PASS /);
      expect(r.status).toBe(0);
    });
  }

  test('all of them pass in one run, as `tcplab run labs/*.lab` plays them', async () => {
    const r = await run(files);
    expect(r.stdout).toMatch(new RegExp(`\\n${files.length} passed, 0 failed\\n$`));
    expect(r.status).toBe(0);
  });
});

describe('determinism, with the real shell and tools', () => {
  async function transcript(seed: number): Promise<string> {
    const path = `${LABS}data-exchange.lab`;
    const parsed = parseLab(path, readFileSync(path, 'utf8'));
    if (!parsed.ok) throw new Error('parse');
    const s = LabSession.create(parsed.lab, { openTerminal, commands: COMMANDS, seed });
    if (!s.ok) throw new Error('build');
    return (await s.session.play()).text;
  }

  test('the same seed gives the same bytes; another seed other ISNs and ports', async () => {
    const a = await transcript(7);
    const b = await transcript(7);
    const c = await transcript(8);
    expect(b).toBe(a);
    const isn = (t: string) => /Flags \[S\], seq (\d+)/.exec(t)?.[1];
    const port = (t: string) => /192\.168\.0\.21\.(\d+) >/.exec(t)?.[1];
    expect(isn(a)).toMatch(/^\d+$/);
    expect(isn(c)).not.toBe(isn(a));
    expect(port(c)).not.toBe(port(a));
  });
});
