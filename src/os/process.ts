/**
 * Processes on a virtual host. A command (telnet, nc, tcpdump, nginx, …) is an
 * async function of a `Proc` that returns its exit status. It waits only on
 * what the process gives it — `sleep`, `wait` on a blocking socket call, reads
 * of its standard input — and those promises are settled from inside the
 * simulation's events, so the runtime (system.ts) lets every woken process
 * run to its next wait before the simulation moves on. Same lab, same seed:
 * same interleaving, same bytes.
 *
 * Signals. `kill` delivers a signal; a process may `trap` it (tcpdump prints
 * its statistics on SIGINT and SIGTERM); otherwise the default action of the
 * terminating signals applies: every wait of the process rejects with
 * `Killed`, the command unwinds (its `finally` blocks run), and the exit status
 * is 128 + the signal number, whatever the command returns. At exit, as the
 * kernel does in do_exit, every socket the process still holds is closed
 * (close(2) semantics: FIN, or RST when unread data remains).
 */

import type { Host } from '../host/host.js';
import type { Blocking, SocketTable, SysResult } from '../host/socket.js';
import { Pending } from '../host/socket.js';
import { type Duration, MAX_TIME, type Time } from '../sim/time.js';
import type { HostFs } from './fs.js';
import type { Input, Output } from './streams.js';

/** Signals by name, with their x86 Linux numbers (arch/x86/include/uapi/asm/signal.h). */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
} as const;

export type Signal = keyof typeof SIGNALS;

/** Signals whose default action is to terminate (signal(7)); the others are ignored here. */
const TERMINATING: ReadonlySet<Signal> = new Set([
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
]);

/** What a wait of a killed process rejects with. Commands may catch it to clean up, then rethrow. */
export class Killed extends Error {
  readonly signal: Signal;
  constructor(signal: Signal) {
    super(`killed by ${signal}`);
    this.name = 'Killed';
    this.signal = signal;
  }
}

/** A signal handler; SIGKILL cannot be trapped. */
export type SignalHandler = (signal: Signal) => void;

/** Wall-clock time of the lab (virtual time plus the lab's epoch). */
export interface WallClock {
  /** Seconds since 1970-01-01 UTC. */
  readonly seconds: number;
  /** 0 … 999 999 999. */
  readonly nanoseconds: number;
}

/** What a command sees of its process and of the system. */
export interface Proc {
  readonly pid: number;
  /** argv[0] is the name the command was invoked by. */
  readonly argv: readonly string[];
  readonly host: Host;
  /** This process's file descriptors for sockets (fds start at 3). */
  readonly sockets: SocketTable;
  readonly fs: HostFs;
  /** Working directory, for relative paths (`/root`). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: Input;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Virtual time now. */
  readonly now: Time;
  /** The lab's wall clock now (for `date`, tcpdump's timestamps, iptables-save's header). */
  wallClock(): WallClock;
  /** Sleeps `duration` of virtual time. */
  sleep(duration: Duration): Promise<void>;
  /** Waits for a blocking socket call (socket.ts `Blocking`) and returns its result. */
  wait<T>(call: Blocking<T>): Promise<SysResult<T>>;
  /** Resolves at the first event after which `predicate()` holds (checked after every wake-up of this process or event it waits on); rejects with Killed. */
  waitUntil(predicate: () => boolean, poll: Duration): Promise<void>;
  /** Installs (or with undefined removes) a handler: the signal no longer terminates. */
  trap(signal: Signal, handler: SignalHandler | undefined): void;
  /** The system: other processes (`ss -p`, `lsof`, `kill`), spawning (the shell). */
  readonly system: ProcessSystem;
}

/** A command: runs with its process, returns the exit status (0 … 255). */
export type Command = (proc: Proc) => Promise<number>;

/** The options of a new process. */
export interface SpawnOptions {
  readonly argv: readonly string[];
  readonly stdin: Input;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** The parent's pid (the shell's). */
  readonly ppid?: number;
  /** Name shown by `ps`/`ss -p` (comm); argv[0]'s last path component by default. */
  readonly comm?: string;
}

/** What the rest of the system sees of a process. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly host: Host;
  readonly comm: string;
  readonly argv: readonly string[];
  readonly sockets: SocketTable;
  /** Set once the command returned or was killed. */
  readonly exitStatus: number | undefined;
  /** The signal that killed it, if one did. */
  readonly killedBy: Signal | undefined;
  /** Settles with the exit status. */
  readonly exited: Promise<number>;
}

/** The runtime, as commands see it (system.ts implements it). */
export interface ProcessSystem {
  /** Live processes of a host, by pid. */
  processes(host: Host): readonly ProcessInfo[];
  process(host: Host, pid: number): ProcessInfo | undefined;
  /** Starts a command as a new process of `host`. */
  spawn(host: Host, command: Command, options: SpawnOptions): ProcessInfo;
  /** kill(2): false when there is no such process (ESRCH). */
  kill(host: Host, pid: number, signal: Signal): boolean;
  /** The command a name runs on this system, if any (the shell's PATH lookup). */
  command(name: string): Command | undefined;
  fs(host: Host): HostFs;
}

/** The runtime's hooks into a process (system.ts). */
export interface ProcessRuntime {
  readonly system: ProcessSystem;
  /** Something a process waits for happened: run it before the next event. */
  wake(): void;
  wallClock(now: Time): WallClock;
}

/** A running command: the Proc it is given, and its bookkeeping. */
export class Process implements Proc, ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly host: Host;
  readonly comm: string;
  readonly argv: readonly string[];
  readonly sockets: SocketTable;
  readonly fs: HostFs;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: Input;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly exited: Promise<number>;
  exitStatus: number | undefined;
  killedBy: Signal | undefined;
  readonly #runtime: ProcessRuntime;
  readonly #handlers = new Map<Signal, SignalHandler>();
  /** Rejecters of the waits in progress, so a fatal signal can end them. */
  readonly #waits = new Set<(e: Killed) => void>();
  #resolveExit!: (status: number) => void;

  constructor(
    runtime: ProcessRuntime,
    pid: number,
    host: Host,
    sockets: SocketTable,
    fs: HostFs,
    options: SpawnOptions,
  ) {
    this.#runtime = runtime;
    this.pid = pid;
    this.ppid = options.ppid ?? 1;
    this.host = host;
    this.argv = options.argv;
    this.comm = options.comm ?? (options.argv[0] ?? '').split('/').pop() ?? '';
    this.sockets = sockets;
    this.fs = fs;
    this.cwd = options.cwd ?? '/root';
    this.env = options.env ?? {};
    const stdin = options.stdin;
    this.stdin = {
      read: () =>
        this.#waitFor((resolve) => {
          void stdin.read().then(resolve);
          return () => {};
        }),
      close: () => stdin.close(),
      isTerminal: stdin.isTerminal,
    };
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve;
    });
  }

  get system(): ProcessSystem {
    return this.#runtime.system;
  }

  get now(): Time {
    return this.host.now;
  }

  wallClock(): WallClock {
    return this.#runtime.wallClock(this.host.now);
  }

  sleep(duration: Duration): Promise<void> {
    return this.#waitFor<void>((resolve) => {
      const d = Math.max(0, Math.round(duration));
      // Past the end of virtual time (2^53 ns, about 104 days; a deadline of
      // 68 years, an infinite timeout): no time ends it, a signal still can.
      if (!(d <= MAX_TIME - this.host.now)) return () => {};
      const h = this.host.events.after(d, () => resolve());
      return () => h.cancel();
    });
  }

  wait<T>(call: Blocking<T>): Promise<SysResult<T>> {
    if (!(call instanceof Pending)) return Promise.resolve(call);
    const pending: Pending<T> = call;
    return this.#waitFor<SysResult<T>>((resolve) => {
      pending.onSettled((r) => resolve(r));
      return () => {};
    });
  }

  waitUntil(predicate: () => boolean, poll: Duration): Promise<void> {
    if (predicate()) return Promise.resolve();
    return this.#waitFor<void>((resolve) => {
      const timer = this.host.events.timer(() => {
        if (predicate()) resolve();
        else timer.setAfter(poll);
      });
      timer.setAfter(poll);
      return () => timer.clear();
    });
  }

  trap(signal: Signal, handler: SignalHandler | undefined): void {
    if (signal === 'SIGKILL' || signal === 'SIGSTOP') return;
    if (handler === undefined) this.#handlers.delete(signal);
    else this.#handlers.set(signal, handler);
  }

  /** @internal Delivers a signal (system.ts `kill`). */
  deliver(signal: Signal): void {
    if (this.exitStatus !== undefined) return;
    const handler = this.#handlers.get(signal);
    if (handler !== undefined) {
      handler(signal);
      this.#runtime.wake();
      return;
    }
    if (!TERMINATING.has(signal) || this.killedBy !== undefined) return;
    this.killedBy = signal;
    const killed = new Killed(signal);
    for (const reject of [...this.#waits]) reject(killed);
    this.#waits.clear();
    this.#runtime.wake();
  }

  /** @internal Runs the command; settles `exited`. */
  async run(command: Command): Promise<void> {
    let status: number;
    try {
      status = await command(this);
    } catch (e) {
      if (e instanceof RangeError && /call stack/.test(e.message) && this.killedBy === undefined) {
        // The command recursed past the stack (bash's `f() { f; }; f`): as a C
        // program past its stack, the process dies of SIGSEGV (status 139).
        this.killedBy = 'SIGSEGV';
        status = 128 + SIGNALS.SIGSEGV;
      } else if (!(e instanceof Killed)) {
        // A bug in a command must not take the lab down: report it as a crash would be.
        this.stderr.write(`${this.comm}: internal error: ${e instanceof Error ? e.message : e}\n`);
        status = 70;
      } else {
        status = 128 + SIGNALS[e.signal];
      }
    }
    if (this.killedBy !== undefined) status = 128 + SIGNALS[this.killedBy];
    this.#exit(status & 0xff);
  }

  #exit(status: number): void {
    this.exitStatus = status;
    // do_exit → exit_files: every descriptor is closed.
    for (const fd of this.sockets.fds) this.sockets.close(fd);
    this.stdin.close();
    this.stdout.close();
    this.stderr.close();
    this.#runtime.wake();
    this.#resolveExit(status);
  }

  /**
   * A wait: `start` arranges for `resolve` to be called from an event and
   * returns how to cancel that. Rejects with Killed if a fatal signal comes
   * first (or already came).
   */
  #waitFor<T>(start: (resolve: (v: T) => void) => () => void): Promise<T> {
    if (this.killedBy !== undefined) return Promise.reject(new Killed(this.killedBy));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onKill = (e: Killed): void => {
        if (done) return;
        done = true;
        cancel();
        reject(e);
      };
      this.#waits.add(onKill);
      const cancel = start((v) => {
        if (done) return;
        done = true;
        this.#waits.delete(onKill);
        this.#runtime.wake();
        resolve(v);
      });
    });
  }
}
