/**
 * Jobs as interactive bash keeps them (bash jobs.c): a job is a pipeline (or an
 * and-or list run by a subshell) with a number, a process group (here: every
 * process the job started, descendants included), a current (`+`) and previous
 * (`-`) mark, and a status bash reports once it changed: `Running`, `Stopped`,
 * `Done`, `Exit N`, or the signal's strsignal(3) text.
 *
 * Layout (jobs.c print_pipeline, pretty_print_job): `[N]` then `+`, `-` or a
 * space, a space; in the long format (`jobs -l`) the pid as `%5ld`; a space;
 * the status padded to LONGEST_SIGNAL_DESC (24) columns; the command; ` &` if
 * still running in the background.
 */

import type { ProcessInfo, Signal } from '../os/process.js';
import { SIGNALS } from '../os/process.js';

/** jobs.c: the width of the status column. */
const LONGEST_SIGNAL_DESC = 24;

/** glibc strsignal(3) texts (string/siglist.h), which bash prints for a job killed by a signal. */
export const STRSIGNAL: Readonly<Record<string, string>> = {
  SIGHUP: 'Hangup',
  SIGINT: 'Interrupt',
  SIGQUIT: 'Quit',
  SIGKILL: 'Killed',
  SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault',
  SIGUSR2: 'User defined signal 2',
  SIGPIPE: 'Broken pipe',
  SIGALRM: 'Alarm clock',
  SIGTERM: 'Terminated',
  SIGCHLD: 'Child exited',
  SIGCONT: 'Continued',
  SIGSTOP: 'Stopped (signal)',
  SIGTSTP: 'Stopped',
  SIGTTIN: 'Stopped (tty input)',
};

export class Job {
  /** Job number, from 1. */
  readonly id: number;
  /** The pipeline's processes, in order (the status is the last one's). */
  readonly stages: ProcessInfo[] = [];
  /** Each stage's command text. */
  readonly commands: string[];
  /** Every process started for the job (its process group): signals go to all. */
  readonly members = new Set<ProcessInfo>();
  foreground: boolean;
  /** Stopped by SIGTTIN: a background job read the terminal. */
  stopped = false;
  /** The stop was reported. */
  notified = false;
  /** The end was reported (by a notification, `jobs` or `wait`). */
  reported = false;
  /**
   * Bash knows the job ended (it got the SIGCHLD): at once if it was waiting
   * then, else once it next waits (`markKnown`). Until then the job still looks
   * running (or stopped) to it.
   */
  known = false;
  /** Bash knows the job stopped. */
  stopKnown = false;
  /** Its end, when it comes, is known at once (a SIGKILL bash just sent). */
  deathSeenAtOnce = false;
  /** Working directory when it started (`(wd: …)` in listings). */
  readonly wd: string;
  /** Woken when the job is brought to the foreground (a SIGTTIN-stopped read resumes). */
  readonly #onForeground: (() => void)[] = [];

  constructor(id: number, commands: string[], foreground: boolean, wd: string) {
    this.id = id;
    this.commands = commands;
    this.foreground = foreground;
    this.wd = wd;
  }

  get text(): string {
    return this.commands.join(' | ');
  }

  get done(): boolean {
    return this.stages.length > 0 && this.stages.every((p) => p.exitStatus !== undefined);
  }

  get running(): boolean {
    return !this.done && !this.stopped;
  }

  /** Ended, as far as bash knows. */
  get ended(): boolean {
    return this.done && this.known;
  }

  /** Stopped, as far as bash knows (a stop it has not seen yet, or a death it has not seen). */
  get seenStopped(): boolean {
    return this.stopped && this.stopKnown && !this.ended;
  }

  /** The status of the job (the last stage's, as bash without pipefail). */
  get status(): number {
    return this.stages[this.stages.length - 1]?.exitStatus ?? 0;
  }

  get killedBy(): Signal | undefined {
    return this.stages[this.stages.length - 1]?.killedBy;
  }

  /** The pid bash prints for the job (`[1] 1003`): the last process of the pipeline. */
  get pid(): number {
    return this.stages[this.stages.length - 1]?.pid ?? 0;
  }

  /** The pid of the process group leader (`jobs -p`): the first process. */
  get pgid(): number {
    return this.stages[0]?.pid ?? 0;
  }

  add(p: ProcessInfo, stage: boolean): void {
    this.members.add(p);
    if (stage) this.stages.push(p);
  }

  /** killpg(2): the signal to every live process of the job. */
  signal(kill: (pid: number) => void): void {
    for (const p of this.members) if (p.exitStatus === undefined) kill(p.pid);
  }

  /** A process of the job waits to read the terminal (stopped by SIGTTIN). */
  get waitingForForeground(): boolean {
    return this.#onForeground.length > 0;
  }

  whenForeground(resume: () => void): void {
    this.#onForeground.push(resume);
  }

  toForeground(): void {
    this.foreground = true;
    this.stopped = false;
    for (const f of this.#onForeground.splice(0)) f();
  }

  /** Status text of one process as printable_job_status gives it. */
  statusOf(p: ProcessInfo, long: boolean): string {
    if (this.seenStopped) return long ? (STRSIGNAL.SIGTTIN as string) : 'Stopped';
    if (p.exitStatus === undefined || !this.known) return 'Running';
    if (p.killedBy !== undefined) return STRSIGNAL[p.killedBy] ?? `Signal ${SIGNALS[p.killedBy]}`;
    return p.exitStatus === 0 ? 'Done' : `Exit ${p.exitStatus}`;
  }

  /** The job's listing (jobs.c print_pipeline), one line per process in the long format. */
  format(mark: string, long: boolean, cwd: string): string {
    let out = `[${this.id}]${mark} `;
    const n = this.stages.length;
    const last = this.stages[n - 1];
    for (let i = 0; i < n; i++) {
      const p = this.stages[i] as ProcessInfo;
      if (i > 0) out += long ? '     ' : ' |';
      if (long) out += String(p.pid).padStart(5);
      out += ' ';
      let status: string | undefined;
      if (i === 0) status = this.statusOf(long ? p : (last as ProcessInfo), long);
      else if (long) {
        const first = this.stages[0] as ProcessInfo;
        const s = this.statusOf(p, true);
        status = s === this.statusOf(first, true) ? '' : s;
      }
      if (status !== undefined) {
        out += status;
        out += ' '.repeat(Math.max(0, LONGEST_SIGNAL_DESC - (status.length || 2)));
      }
      if (i > 0 && long) out += '| ';
      out += this.commands[i] ?? '';
      if (i === n - 1) {
        if (!this.ended && !this.seenStopped && !this.foreground) out += ' &';
        if (cwd !== this.wd) out += `  (wd: ${politeDirectory(this.wd)})`;
      }
      if (long || i === n - 1) out += '\n';
    }
    return out;
  }
}

function politeDirectory(dir: string): string {
  if (dir === '/root') return '~';
  if (dir.startsWith('/root/')) return `~${dir.slice(5)}`;
  return dir;
}

/** The job table with bash's current/previous bookkeeping. */
export class JobTable {
  readonly #jobs: Job[] = [];
  /** Job ids, most recently made current last. */
  #recency: number[] = [];

  get all(): readonly Job[] {
    return this.#jobs;
  }

  create(commands: string[], foreground: boolean, wd: string): Job {
    const id = this.#jobs.reduce((m, j) => Math.max(m, j.id), 0) + 1;
    const job = new Job(id, commands, foreground, wd);
    this.#jobs.push(job);
    if (!foreground) this.makeCurrent(job);
    return job;
  }

  remove(job: Job): void {
    const i = this.#jobs.indexOf(job);
    if (i >= 0) this.#jobs.splice(i, 1);
    this.#recency = this.#recency.filter((id) => id !== job.id);
  }

  get(id: number): Job | undefined {
    return this.#jobs.find((j) => j.id === id);
  }

  makeCurrent(job: Job): void {
    this.#recency = this.#recency.filter((id) => id !== job.id);
    this.#recency.push(job.id);
  }

  /**
   * The current job (`%+`): bash's reset_current prefers a stopped job, else
   * the most recent one.
   */
  get current(): Job | undefined {
    const order = this.#ordered();
    return order[0];
  }

  get previous(): Job | undefined {
    return this.#ordered()[1];
  }

  #ordered(): Job[] {
    const live = this.#recency
      .map((id) => this.get(id))
      .filter((j): j is Job => j !== undefined && !j.foreground)
      .reverse();
    const stopped = live.filter((j) => j.stopped && !j.done);
    const rest = live.filter((j) => !(j.stopped && !j.done));
    return [...stopped, ...rest];
  }

  mark(job: Job): string {
    if (job === this.current) return '+';
    if (job === this.previous) return '-';
    return ' ';
  }

  /**
   * A jobspec (bash manual 7.1): %N, %%, %+, %-, %string (command starts with
   * it), %?string (command contains it). Returns the job or bash's complaint.
   */
  lookup(spec: string): Job | { error: string } {
    const s = spec.startsWith('%') ? spec.slice(1) : spec;
    let job: Job | undefined;
    if (s === '' || s === '%' || s === '+') job = this.current;
    else if (s === '-') job = this.previous;
    else if (/^\d+$/.test(s)) job = this.get(Number(s));
    else {
      const contains = s.startsWith('?');
      const needle = contains ? s.slice(1) : s;
      const found = this.#jobs.filter(
        (j) => !j.foreground && (contains ? j.text.includes(needle) : j.text.startsWith(needle)),
      );
      if (found.length > 1) return { error: `${spec}: ambiguous job spec` };
      job = found[0];
    }
    if (job === undefined || job.foreground) {
      return {
        error: s === '' || s === '%' || s === '+' ? 'current: no such job' : `${spec}: no such job`,
      };
    }
    return job;
  }
}
