// Labs benchmark: the wall time of `tcplab run labs/*.lab`, as a user runs it
// (a new node process, through bin/tcplab.js), median of N runs, and the time
// per lab. The goal of the labs issue: all shipped labs in under 2 s.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = new URL('..', import.meta.url).pathname;

export async function run({ runs = 3 } = {}) {
  const labs = readdirSync(join(ROOT, 'labs'))
    .filter((f) => f.endsWith('.lab'))
    .sort()
    .map((f) => join('labs', f));
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    last = spawnSync(process.execPath, [join(ROOT, 'bin', 'tcplab.js'), 'run', ...labs], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const summary = last.stdout.trim().split('\n').at(-1);
  console.log('\nlabs: tcplab run labs/*.lab (new process each run)');
  console.log(`  ${labs.length} labs: ${summary}; exit ${last.status}`);
  console.log(
    `  wall time, median of ${runs}: ${(median / 1000).toFixed(2)} s ` +
      `(${(median / labs.length).toFixed(1)} ms per lab; goal < 2 s: ${median < 2000 ? 'met' : 'not met'})`,
  );
}
