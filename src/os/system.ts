/**
 * The runtime of the processes of a simulated network: process tables, files
 * and the command table of every host, and the driver that runs the
 * simulation with processes in it.
 *
 * Determinism. Commands are async functions; the promises they wait on are
 * resolved from inside simulation events (a socket call's Pending settling, a
 * sleep's timer, a pipe write), and JavaScript runs the continuations later,
 * in microtasks. The driver therefore runs one event at a time and, when the
 * event woke a process, drains every microtask before the next event (a
 * setImmediate callback runs only after the microtask queue is empty). A woken
 * process thus runs to its next wait at the instant it was woken, and the
 * order in which processes run is the order their wake-ups happened. This
 * layer is the only one allowed a real-time primitive, and it uses it only as
 * this barrier, never as a clock.
 */

import type { Host } from '../host/host.js';
import { DEFAULT_MAX_EVENTS_PER_RUN, RunawayError } from '../sim/events.js';
import type { Network } from '../sim/network.js';
import { type Duration, NS_PER_S, type Time } from '../sim/time.js';
import { HostFs } from './fs.js';
import {
  type Command,
  Process,
  type ProcessInfo,
  type ProcessRuntime,
  type ProcessSystem,
  type Signal,
  type SpawnOptions,
  type WallClock,
} from './process.js';
import { CollectOutput, type Input, NULL_INPUT } from './streams.js';

export interface SystemOptions {
  /** The commands processes can run, by name (the shell's PATH). */
  readonly commands?: ReadonlyMap<string, Command>;
  /** Wall-clock seconds (since 1970, UTC) at virtual time 0. Default 2026-01-01 00:00:00 UTC. */
  readonly epochSeconds?: number;
  /** The first pid of every host. */
  readonly firstPid?: number;
  /**
   * Events one run may take before it stops with a RunawayError (a zero-delay
   * loop between processes would otherwise never end).
   */
  readonly maxEventsPerRun?: number;
}

/** 2026-01-01T00:00:00Z. */
export const DEFAULT_EPOCH_SECONDS = 1_767_225_600;

/** What `exec` returns. */
export interface ExecResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface HostState {
  readonly fs: HostFs;
  readonly processes: Map<number, Process>;
  nextPid: number;
}

export class System implements ProcessSystem {
  readonly network: Network;
  readonly epochSeconds: number;
  readonly #commands: ReadonlyMap<string, Command>;
  readonly #firstPid: number;
  readonly #maxEvents: number;
  readonly #hosts = new Map<Host, HostState>();
  readonly #runtime: ProcessRuntime;
  #woken = false;

  constructor(network: Network, options: SystemOptions = {}) {
    this.network = network;
    this.epochSeconds = options.epochSeconds ?? DEFAULT_EPOCH_SECONDS;
    this.#commands = options.commands ?? new Map();
    this.#firstPid = options.firstPid ?? 1000;
    this.#maxEvents = options.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
    this.#runtime = {
      system: this,
      wake: () => {
        this.#woken = true;
      },
      wallClock: (now) => this.wallClock(now),
    };
    // A Linux host always has TCP: a SYN to a host where nothing ever opened a
    // socket gets the kernel's RST, not "protocol unreachable".
    for (const host of network.hosts) void host.tcp;
  }

  get now(): Time {
    return this.network.now;
  }

  wallClock(now: Time): WallClock {
    return {
      seconds: this.epochSeconds + Math.floor(now / NS_PER_S),
      nanoseconds: now % NS_PER_S,
    };
  }

  command(name: string): Command | undefined {
    return this.#commands.get(name);
  }

  fs(host: Host): HostFs {
    return this.#state(host).fs;
  }

  processes(host: Host): readonly ProcessInfo[] {
    return [...this.#state(host).processes.values()];
  }

  process(host: Host, pid: number): ProcessInfo | undefined {
    return this.#state(host).processes.get(pid);
  }

  spawn(host: Host, command: Command, options: SpawnOptions): ProcessInfo {
    const state = this.#state(host);
    const pid = state.nextPid++;
    const p = new Process(this.#runtime, pid, host, host.newSocketTable(), state.fs, options);
    state.processes.set(pid, p);
    void p.exited.then(() => state.processes.delete(pid));
    // The child starts after the caller's synchronous code, as a forked child
    // runs after fork() returns in the parent: bash prints `[1] 1001` before a
    // background job's first output.
    this.#woken = true;
    queueMicrotask(() => void p.run(command));
    return p;
  }

  kill(host: Host, pid: number, signal: Signal): boolean {
    const p = this.#state(host).processes.get(pid);
    if (p === undefined || p.exitStatus !== undefined) return false;
    p.deliver(signal);
    return true;
  }

  /** Something woke a process outside an event (a terminal's input): run it before the next event. */
  wake(): void {
    this.#woken = true;
  }

  /** Lets every woken process run to its next wait. */
  async settle(): Promise<void> {
    while (this.#woken) {
      this.#woken = false;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Runs events up to and including `time`; the clock then reads `time`. */
  async runUntil(time: Time): Promise<void> {
    await this.runWhile(() => true, time);
  }

  /**
   * Runs events while `predicate()` holds (checked after every settled event)
   * up to `timeLimit`. Returns true if the predicate became false (the clock
   * reads the moment it did), false if time ran out (the clock reads
   * `timeLimit`).
   */
  async runWhile(predicate: () => boolean, timeLimit: Time): Promise<boolean> {
    const events = this.network.events;
    await this.settle();
    let stepped = 0;
    for (;;) {
      if (!predicate()) return true;
      const t = events.nextTime();
      if (t === undefined || t > timeLimit) break;
      // The event queue's own guard counts per call; here every step is a call.
      if (++stepped > this.#maxEvents) {
        throw new RunawayError('System.runWhile', stepped, events.now);
      }
      events.step();
      if (this.#woken) await this.settle();
    }
    if (timeLimit > events.now) events.runUntil(timeLimit);
    return false;
  }

  /**
   * Runs one command to completion on `host` (tests, one-shot tools): spawns it
   * with `stdin` as its input, runs the simulation until it exits or
   * `timeLimit` of virtual time passes (then it is killed with SIGKILL).
   */
  async exec(
    host: Host,
    argv: readonly string[],
    options: { stdin?: Input; timeLimit?: Duration; command?: Command } = {},
  ): Promise<ExecResult> {
    const command = options.command ?? this.command(argv[0] ?? '');
    const stdout = new CollectOutput();
    const stderr = new CollectOutput();
    if (command === undefined) {
      return { status: 127, stdout: '', stderr: `-bash: ${argv[0]}: command not found\n` };
    }
    const p = this.spawn(host, command, {
      argv,
      stdin: options.stdin ?? NULL_INPUT,
      stdout,
      stderr,
    });
    const limit = this.now + (options.timeLimit ?? 3600 * NS_PER_S);
    await this.runWhile(() => p.exitStatus === undefined, limit);
    if (p.exitStatus === undefined) {
      this.kill(host, p.pid, 'SIGKILL');
      await this.settle();
    }
    const status = await p.exited;
    return { status, stdout: stdout.text, stderr: stderr.text };
  }

  #state(host: Host): HostState {
    let s = this.#hosts.get(host);
    if (s === undefined) {
      s = { fs: new HostFs(host, this), processes: new Map(), nextPid: this.#firstPid };
      this.#hosts.set(host, s);
    }
    return s;
  }
}
