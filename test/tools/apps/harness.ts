/**
 * Fixtures for the client and server programs: the reference traces' two-host
 * LAN (test/host/helpers.ts) with a process runtime whose commands are this
 * part's, standard input scripted in time (what `(sleep 1; printf …) | cmd`
 * gave the real programs), the real tools' recorded outputs
 * (fixtures/real/NAME.{cmd,stdout,stderr,status}, made by fixtures/record.sh),
 * and the trace comparison of test/host/tcp-traces.test.ts: every frame of the
 * client's eth0 printed as `tcpdump -n` prints it, compared line by line with
 * the trace's tcpdump.txt up to ISNs, TS values and telnet's port, with
 * relative times within a tolerance.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Host } from '../../../src/host/host.js';
import type { TapPacket } from '../../../src/host/tap.js';
import type { Command } from '../../../src/os/process.js';
import { type Input, type Output, Pipe } from '../../../src/os/streams.js';
import { System } from '../../../src/os/system.js';
import type { Network } from '../../../src/sim/network.js';
import { NS_PER_S, type Time } from '../../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../../src/tcp/sysctl.js';
import { APP_COMMANDS } from '../../../src/tools/apps/index.js';
import { lan, printCapture, TRACES } from '../../host/helpers.js';

export { printCapture };

export const FIXTURES = join(import.meta.dirname, 'fixtures/real');

export interface Fixture {
  readonly cmd: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** A real tool's recorded run (fixtures/record.sh). */
export function fixture(name: string): Fixture {
  const read = (ext: string): string => readFileSync(join(FIXTURES, `${name}.${ext}`), 'latin1');
  return {
    cmd: read('cmd').trimEnd(),
    stdout: read('stdout'),
    stderr: read('stderr'),
    status: Number(read('status')),
  };
}

/** A trace's file (client-telnet.txt …) as text. */
export function traceFile(path: string): string {
  return readFileSync(join(TRACES, path), 'latin1');
}

/** An output that keeps its own text and also appends to a shared one (2>&1 into a file). */
export class TeeOutput implements Output {
  readonly isTerminal: boolean;
  text = '';
  readonly #merged: { text: string };
  constructor(merged: { text: string }, isTerminal = false) {
    this.#merged = merged;
    this.isTerminal = isTerminal;
  }
  write(data: string | Uint8Array): void {
    const t = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    this.text += t;
    this.#merged.text += t;
  }
  close(): void {}
}

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Both, in the order written. */
  readonly merged: string;
  /** Virtual time at which the command exited. */
  readonly exitedAt: Time;
}

export interface AppsLab {
  readonly net: Network;
  readonly client: Host;
  readonly server: Host;
  readonly wire: TapPacket[];
  readonly sys: System;
}

/** The traces' LAN; with `traceSysctls` the traces' kernel settings (wscale 10 …). */
export function appsLab(options: { seed?: number; traceSysctls?: boolean } = {}): AppsLab {
  const env = lan({ seed: options.seed ?? 1 });
  if (options.traceSysctls ?? true) {
    for (const h of [env.client, env.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  }
  const commands = new Map<string, Command>(Object.entries(APP_COMMANDS));
  // The epoch of the lab: 2026-01-01 00:00:00 UTC, a whole second.
  const sys = new System(env.net, { commands });
  return { ...env, sys };
}

/**
 * Standard input written over time, as `(sleep 0.5; printf 'hello\n'; …) |`
 * gives it: each [seconds from now, text] in order, end of file at `eofAt`.
 */
export function scriptedInput(
  lab: AppsLab,
  host: Host,
  steps: readonly (readonly [number, string])[],
  eofAt: number,
): Input {
  const pipe = new Pipe(() => lab.sys.wake());
  const start = lab.net.now;
  const sink: Output = { write: () => {}, close: () => {}, isTerminal: false };
  lab.sys.spawn(
    host,
    async (p) => {
      for (const [t, text] of steps) {
        await p.sleep(start + t * NS_PER_S - p.now);
        p.stdout.write(text);
      }
      await p.sleep(start + eofAt * NS_PER_S - p.now);
      return 0;
    },
    { argv: ['feeder'], stdin: { ...pipe.input }, stdout: pipe.output, stderr: sink },
  );
  return pipe.input;
}

/** Runs a command to its exit (or `timeLimit` seconds), with stdout possibly a terminal. */
export async function run(
  lab: AppsLab,
  host: Host,
  argv: readonly string[],
  options: { stdin?: Input; terminal?: boolean; timeLimit?: number } = {},
): Promise<Run> {
  const merged = { text: '' };
  const stdout = new TeeOutput(merged, options.terminal ?? false);
  const stderr = new TeeOutput(merged, options.terminal ?? false);
  const command = lab.sys.command(argv[0]!)!;
  const p = lab.sys.spawn(host, command, {
    argv,
    stdin: options.stdin ?? { read: async () => null, close: () => {}, isTerminal: false },
    stdout,
    stderr,
  });
  await lab.sys.runWhile(
    () => p.exitStatus === undefined,
    lab.net.now + (options.timeLimit ?? 600) * NS_PER_S,
  );
  if (p.exitStatus === undefined) {
    lab.sys.kill(host, p.pid, 'SIGKILL');
    await lab.sys.settle();
  }
  const status = await p.exited;
  return {
    status,
    stdout: stdout.text,
    stderr: stderr.text,
    merged: merged.text,
    exitedAt: lab.net.now,
  };
}

/** Starts a command as a background process (a daemon or a server in a test). */
export function start(lab: AppsLab, host: Host, argv: readonly string[]) {
  const merged = { text: '' };
  const stdout = new TeeOutput(merged);
  const stderr = new TeeOutput(merged);
  const p = lab.sys.spawn(host, lab.sys.command(argv[0]!)!, {
    argv,
    stdin: { read: async () => null, close: () => {}, isTerminal: false },
    stdout,
    stderr,
  });
  return { process: p, stdout, stderr };
}

export interface Line {
  readonly t: number;
  readonly text: string;
}

/** What a trace leaves to chance, replaced by placeholders (as test/host/tcp-traces.test.ts). */
export function normalize(lines: readonly string[]): Line[] {
  let t0: number | undefined;
  return lines.map((line) => {
    const m = /^(\d\d):(\d\d):(\d\d\.\d{6}) (.*)$/.exec(line);
    if (!m) throw new Error(`not a tcpdump line: ${line}`);
    const t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    t0 ??= t;
    const text = m[4]!
      .replace(/192\.168\.0\.21\.(?!40001\b)\d+/g, '192.168.0.21.PORT')
      .replace(/\bseq \d{6,}/g, 'seq ISN')
      .replace(/\back \d{6,}/g, 'ack ISN')
      .replace(/TS val \d+/g, 'TS val T')
      .replace(/ecr [1-9]\d*/g, 'ecr T');
    return { t: t - t0, text };
  });
}

/** The trace's packets, normalized. */
export function traceLines(experiment: string): Line[] {
  return normalize(traceFile(`${experiment}/tcpdump.txt`).trimEnd().split('\n'));
}

/** Same packets line for line, each within `tolerance` seconds of the trace's time. */
export function expectLikeTrace(wire: readonly TapPacket[], experiment: string, tolerance = 0.01) {
  const ours = normalize(printCapture(wire));
  const theirs = traceLines(experiment);
  expect(ours.map((l) => l.text)).toEqual(theirs.map((l) => l.text));
  for (let i = 0; i < theirs.length; i++) {
    expect(
      Math.abs(ours[i]!.t - theirs[i]!.t),
      `line ${i + 1} at ${ours[i]!.t}s, trace ${theirs[i]!.t}s`,
    ).toBeLessThanOrEqual(tolerance);
  }
}
