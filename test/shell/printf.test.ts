/**
 * printf against the real bash as the oracle: random formats (flags, widths,
 * precisions, conversions, escapes) with random arguments run through bash
 * 5.2 on this machine and through tcplab's bash; output, messages and
 * statuses must be the same (skipped, with the reason, without that bash).
 * Left out: %a (hex floats), %n (it assigns), non-ASCII arguments (the C
 * locale's bytes).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

const realBash = spawnSync('bash', ['--version'], { encoding: 'utf8' });
const bash52 = realBash.status === 0 && /version 5\.2\./.test(realBash.stdout);
if (!bash52)
  console.log('test/shell/printf: skipping the comparison with bash 5.2 (not installed)');

describe.skipIf(!bash52)('printf: the same output as bash 5.2', () => {
  it('for 800 random formats and arguments', async () => {
    let seed = 20261122;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
    const flags = ['', '', '-', '0', '+', ' ', '#', '-0', "'"];
    const widths = ['', '', '5', '10', '1', '0'];
    const precisions = ['', '', '.2', '.0', '.', '.10'];
    const conversions = 'sdixXoucbqfeEgG%z'.split('');
    const args = [
      "''",
      'abc',
      '12',
      '-7',
      '3.14159',
      '0x1F',
      '077',
      "'a b'",
      "'\\n'",
      "'\\t\\x41\\101\\c'",
      '1e3',
      `"'A"`,
      '-0',
      'nan',
      'inf',
      '+5',
      "' 4'",
    ];
    const escapes = ['\\n', '\\t', '\\\\', '\\x41', '\\0101', '\\c'];
    const lines: string[] = [];
    for (let i = 0; i < 800; i++) {
      let format = '';
      for (let k = 1 + rnd(2); k > 0; k--) {
        format += `${pick(['', 'x', '[', ' '])}%${pick(flags)}${pick(widths)}${pick(precisions)}${pick(conversions)}`;
      }
      if (rnd(4) === 0) format += pick(escapes);
      const list: string[] = [];
      for (let k = rnd(4); k > 0; k--) list.push(pick(args));
      lines.push(`printf '${format.replace(/'/g, "'\\''")}' ${list.join(' ')}; echo " :$?"`);
    }
    const script = `${lines.join('\n')}\n`;

    const dir = mkdtempSync(join(tmpdir(), 'tcplab-printf-'));
    let real: { out: string; err: string };
    try {
      writeFileSync(join(dir, 'p.sh'), script);
      const r = spawnSync('bash', ['p.sh'], { cwd: dir, encoding: 'utf8', input: '' });
      real = { out: r.stdout, err: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const s = await session();
    const fs = s.system.fs(s.host);
    fs.writeFile('/root/p.sh', script);
    await s.type('bash p.sh < /dev/null > out 2> err');
    const ours = { out: fs.readText('/root/out'), err: fs.readText('/root/err') };
    const theirs = real.out.split('\n');
    const mine = String(ours.out).split('\n');
    for (let i = 0; i < Math.max(theirs.length, mine.length); i++) {
      if (theirs[i] !== mine[i]) {
        throw new Error(
          `first difference at output line ${i + 1}: bash ${JSON.stringify(theirs[i])}, tcplab ${JSON.stringify(mine[i])}`,
        );
      }
    }
    expect(String(ours.err)).toBe(real.err);
  });
});
