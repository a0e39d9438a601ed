/**
 * `tcpdump` on a virtual host's live interfaces (src/tools/tcpdump-live.ts),
 * against what the real tcpdump 4.99.3 printed in the same situations
 * (tcpdump-live-fixtures.json, recorded by tcpdump-live-record.py in two
 * network namespaces joined by a veth pair, the same addresses and MACs as
 * here): the banner, the packets, the closing statistics, the errors, -D.
 *
 * The simulation replays each recorded case on the same timeline: tcpdump
 * starts, 0.5 s later the client pings (id and timestamps differ, so they are
 * masked), 0.5 s after the last reply the signal arrives.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { elapse, kill, type Lab, lab, ping, start } from './tcpdump-live-support.js';

interface Fixture {
  readonly name: string;
  readonly argv: readonly string[];
  readonly traffic: 'none' | 'ping1' | 'ping2' | 'ping3-1s' | 'lo1';
  readonly ending: 'SIGINT' | 'SIGTERM' | 'exit' | 'SIGUSR1, then SIGINT';
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const FIXTURES: readonly Fixture[] = JSON.parse(
  readFileSync(join(import.meta.dirname, 'tcpdump-live-fixtures.json'), 'utf8'),
).cases;

const TRAFFIC: Record<Fixture['traffic'], (env: Lab) => Promise<void>> = {
  none: async () => {},
  ping1: (env) => ping(env, '192.168.0.22', 1, ms(200)),
  ping2: (env) => ping(env, '192.168.0.22', 2, ms(200)),
  'ping3-1s': (env) => ping(env, '192.168.0.22', 3, s(1)),
  lo1: (env) => ping(env, '127.0.0.1', 1, ms(200)),
};

/** Replays a recorded case: same command line, same traffic, same ending. */
async function replay(f: Fixture) {
  const env = lab();
  const argv = f.argv.map((a) => (a === 'FILE' ? '/root/capture.pcap' : a));
  const r = start(env, env.client, argv);
  if (f.ending === 'exit') {
    if (f.traffic !== 'none') {
      await elapse(env, ms(500));
      await TRAFFIC[f.traffic](env);
    }
    await env.sys.runWhile(() => r.proc.exitStatus === undefined, env.net.now + s(5));
    if (r.proc.exitStatus === undefined) await kill(env, r, 'SIGINT');
  } else {
    await elapse(env, ms(500));
    await TRAFFIC[f.traffic](env);
    await elapse(env, f.traffic === 'ping3-1s' ? ms(200) : ms(500));
    if (f.ending === 'SIGUSR1, then SIGINT') {
      env.sys.kill(env.client, r.proc.pid, 'SIGUSR1');
      await elapse(env, ms(300));
      await kill(env, r, 'SIGINT');
    } else await kill(env, r, f.ending);
  }
  return { env, status: r.proc.exitStatus, stdout: r.stdout.text, stderr: r.stderr.text };
}

/** Timestamps and ids differ from run to run; everything else must not. */
function mask(text: string): string {
  return text
    .replace(/^\d\d:\d\d:\d\d\.\d{6} /gm, 'HH:MM:SS.ffffff ')
    .replace(/\bid \d+,/g, 'id N,');
}

/**
 * Cases whose counts depended on timing on the real machine, with why; their
 * banner and packets are still compared.
 */
const TIMING: Readonly<Record<string, string>> = {
  // A stray frame (no filter) was counted by the kernel on the real veth.
  zero: 'a frame of the veth coming up was counted',
  // (The real counts of the other cases without --immediate-mode happened not
  // to depend on the ring block's retire timer: it had fired before the signal.)
  // tcpdump exited after the request, but the kernel had counted the reply,
  // which arrived microseconds later; tcplab's tcpdump exits at the same instant.
  'count-one': 'the reply was counted before tcpdump read the statistics',
};

/** The stderr lines up to the statistics. */
function beforeStatistics(text: string): string {
  return text.replace(/\d+ packets? captured\n[\s\S]*$/, '');
}

describe('as the real tcpdump printed it (fixtures)', () => {
  for (const f of FIXTURES) {
    test(`${f.name}: ${f.argv.join(' ')} (${f.traffic}, ${f.ending})`, async () => {
      const ours = await replay(f);
      expect(ours.status).toBe(f.status);
      expect(mask(ours.stdout)).toBe(mask(f.stdout));
      if (TIMING[f.name] === undefined) expect(ours.stderr).toBe(f.stderr);
      else expect(beforeStatistics(ours.stderr)).toBe(beforeStatistics(f.stderr));
    });
  }
});
