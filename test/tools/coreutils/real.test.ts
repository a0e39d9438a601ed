/**
 * The small commands against the real ones: fixtures/real.json holds what
 * coreutils 9.1, grep 3.8 and debianutils' which printed (stdout and stderr,
 * then the exit status) for each line of fixtures/commands.txt, run by
 * fixtures/gen.sh in a directory made by fixtures/inputs.sh. The same command
 * lines run here through tcplab's bash, in /root holding the same files, in
 * the same order (some create files), and must leave the same bytes.
 */

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Session, session } from '../../shell/helpers.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('real.json', FIXTURES), 'utf8')) as {
  cmd: string;
  out: string;
}[];

/** The printf lines of inputs.sh, as files of /root. */
function inputs(): [string, string][] {
  const text = readFileSync(new URL('inputs.sh', FIXTURES), 'utf8');
  const out: [string, string][] = [];
  for (const m of text.matchAll(/^printf '([^']*)' > (\S+)$/gm)) {
    const body = (m[1] as string).replace(/\\n/g, '\n').replace(/\\t/g, '\t');
    out.push([m[2] as string, body]);
  }
  return out;
}

describe('coreutils, grep, which: same output and status as the real tools', () => {
  let t: Session;
  beforeAll(async () => {
    t = await session();
    const fs = t.system.fs(t.host);
    for (const [name, body] of inputs()) fs.writeFile(`/root/${name}`, body);
  });

  for (const c of cases) {
    it(c.cmd, async () => {
      await t.type(`{ ${c.cmd}; } > /tmp/.o 2>&1; echo rc=$? >> /tmp/.o`);
      expect(t.system.fs(t.host).readText('/tmp/.o')).toBe(c.out);
    });
  }
});
