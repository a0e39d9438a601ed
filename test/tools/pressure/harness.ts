/**
 * Fixtures for the under-pressure tools: the traces' two-host LAN (client
 * 192.168.0.21, server 192.168.0.22) with this part's commands and the apps'
 * (nc …), and the real hping3's recorded runs (fixtures/real/NAME.{cmd,stdout,
 * stderr,status}, see fixtures/real/record.sh), with the round-trip times,
 * which tcplab's zero-latency LAN makes 0.0, replaced by placeholders.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../../src/os/process.js';
import { System } from '../../../src/os/system.js';
import { APP_COMMANDS } from '../../../src/tools/apps/index.js';
import { PRESSURE_COMMANDS } from '../../../src/tools/pressure/index.js';
import { lan } from '../../host/helpers.js';
import type { AppsLab } from '../apps/harness.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures/real');

export interface Fixture {
  readonly cmd: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

export function fixture(name: string): Fixture {
  const read = (ext: string): string => readFileSync(join(FIXTURES, `${name}.${ext}`), 'latin1');
  return {
    cmd: read('cmd').trimEnd(),
    stdout: read('stdout'),
    stderr: read('stderr'),
    status: Number(read('status')),
  };
}

/** The fixture's command line as argv (the part before a `(…)` note). */
export function argvOf(f: Fixture): string[] {
  return f.cmd.replace(/\s*\(.*\)$/, '').split(/\s+/);
}

/** Times and counts that depend on the machine, as placeholders. */
export function normalize(text: string): string {
  return text
    .replace(/rtt=\d+\.\d ms/g, 'rtt=RTT ms')
    .replace(/min\/avg\/max = \d+\.\d\/\d+\.\d\/\d+\.\d ms/g, 'min/avg/max = RTTS ms');
}

export function pressureLab(options: { seed?: number } = {}): AppsLab {
  const env = lan({ seed: options.seed ?? 1 });
  const commands = new Map<string, Command>([
    ...Object.entries(APP_COMMANDS),
    ...Object.entries(PRESSURE_COMMANDS),
  ]);
  return { ...env, sys: new System(env.net, { commands }) };
}
