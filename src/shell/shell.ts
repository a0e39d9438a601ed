/**
 * The execution of parsed command lines, as bash's execute_cmd.c does it:
 * lists, and-or lists, pipelines whose every stage is its own process joined
 * by pipes, simple commands (assignments, expansion, redirections, builtins
 * run in the shell itself, other commands as child processes), subshells
 * `( … )` as child processes running a copy of the shell, groups `{ …; }` in
 * the shell itself. The interactive shell (the one a Terminal runs) puts each
 * pipeline in a job (jobs.ts) and waits for foreground ones; a subshell's
 * children join the job its own process belongs to.
 *
 * A shell waits for its children on their `exited` promises, which the
 * runtime settles from inside the simulation (os/process.ts), so the
 * interleaving stays deterministic.
 */

import type { Host } from '../host/host.js';
import { FsError } from '../os/fs.js';
import {
  type Command,
  Killed,
  type Proc,
  type ProcessInfo,
  type ProcessSystem,
  type Signal,
} from '../os/process.js';
import {
  CollectOutput,
  NULL_INPUT,
  NULL_OUTPUT,
  type Output,
  Pipe,
  textInput,
  toText,
} from '../os/streams.js';
import { BUILTINS, type Builtin, testEnv } from './builtins.js';
import { evaluateCond } from './cond.js';
import {
  arith,
  type ExpandContext,
  ExpansionError,
  escapeRegExp,
  expandString,
  expandWords,
  patternSource,
  substitutions,
} from './expand.js';
import {
  ConstantInput,
  FileOutput,
  FixedOutput,
  type InFd,
  type OutFd,
  SharedInput,
  SharedOutput,
  setOwner,
} from './io.js';
import { type Job, type JobTable, STRSIGNAL } from './jobs.js';
import { DuplexFd, devTcpPath, netopen } from './netopen.js';
import {
  type AndOr,
  andOrText,
  type CaseCommand,
  type CommandNode,
  type CompoundCommand,
  type CondCommand,
  commandText,
  type FunctionDef,
  type List,
  type Pipeline,
  parse,
  parseWord,
  type Redirection,
  type SimpleCommand,
  type Word,
} from './parse.js';
import type { Tty } from './tty.js';

/** What a file descriptor holds: a description to read, one to write, or a socket's two. */
type FdObject = InFd | OutFd | DuplexFd;

/** A redirection ready to open: a `/dev/tcp/…` one carries its connected socket or bash's error. */
type PreparedRedirection = Redirection & {
  readonly socket?: DuplexFd;
  readonly failed?: string;
};

/** #prepareRedirs's answer when Ctrl-C interrupted a connect: the command does not run. */
const INTERRUPTED: unique symbol = Symbol('interrupted');

/** The three standard file descriptions of a command. */
export interface Io {
  readonly in: InFd;
  readonly out: OutFd;
  readonly err: OutFd;
}

/** Where commands live on a Debian 12 root PATH (merged /usr): `type`, `which`, `command -v`. */
const SBIN = new Set([
  'iptables',
  'iptables-save',
  'iptables-restore',
  'iptables-legacy',
  'ip6tables',
  'ip',
  'sysctl',
  'nginx',
  'arp',
  'ifconfig',
  'route',
  'tc',
  'ethtool',
  'nft',
  'conntrack',
  'ss-server',
  'hping3',
]);

export const PATH_DEFAULT = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The directory a command is found in, as `which` prints it. */
export function commandPath(name: string): string {
  return `${SBIN.has(name) ? '/usr/sbin' : '/usr/bin'}/${name}`;
}

/** A command name or path → the command table's name, if the path is a standard directory. */
export function commandName(word: string): string | undefined {
  if (!word.includes('/')) return word;
  const m = /^(?:\/usr)?(?:\/local)?\/s?bin\/([^/]+)$/.exec(word);
  return m?.[1];
}

/**
 * What all shells of one terminal share: the interactive shell's job table,
 * terminal and history, and its pid (`$$` is the same in subshells).
 */
export interface Session {
  readonly system: ProcessSystem;
  readonly host: Host;
  readonly jobs: JobTable;
  readonly tty: Tty;
  readonly history: string[];
  /** The interactive shell's pid. */
  pid: number;
  readonly user: string;
  /** Lets woken processes run before the next event (System.wake). */
  readonly wake: () => void;
  /**
   * Whether the interactive shell is blocked waiting (for a foreground job, in
   * `wait`, at its prompt): a job that ends then is noticed at once; one that
   * ends while bash runs (killed by the `kill` it just ran) is noticed only at
   * the prompt after next, as the SIGCHLD arrives after bash printed its prompt.
   */
  waiting: boolean;
  /** The foreground job, whose processes Ctrl-C signals. */
  foreground: Job | undefined;
  /** Builtins waiting (`wait`) that Ctrl-C interrupts. */
  readonly interruptible: Set<() => void>;
  /** Exit statuses of background jobs already reaped (`wait PID` after the notification). */
  readonly reaped: Map<number, number>;
  /** `exit` warned once about stopped jobs. */
  warnedStopped: boolean;
}

export class Shell {
  readonly session: Session;
  readonly proc: Proc;
  readonly interactive: boolean;
  /** The job whose process group this (sub)shell's children join; undefined for the interactive shell. */
  readonly job: Job | undefined;
  readonly vars: Map<string, string>;
  readonly exported: Set<string>;
  cwd: string;
  status = 0;
  lastBackground: number | undefined;
  /** Set by `exit`: the shell ends with this status once the current command is done. */
  exitStatus: number | undefined;
  /** A foreground job was interrupted: the rest of the command line is not run. */
  aborted = false;
  /** The status the abandoned command line leaves in `$?` (1 after an expansion error, 130 after Ctrl-C). */
  #abortStatus: number | undefined;

  /** Abandons the rest of the command line; `$?` will be `status`. */
  #abort(status: number): void {
    this.aborted = true;
    this.#abortStatus = status;
  }

  /** A new command line (the prompt's, a script's next command): nothing abandoned. */
  beginCommandLine(): void {
    this.aborted = false;
    this.#abortStatus = undefined;
  }
  /** How a non-interactive bash reads its commands (a copy keeps its shell's). */
  scriptMode: 'c' | 'file' | 'stdin' | undefined;
  /** The status of the last `$(…)` of the current simple command. */
  #substStatus: number | undefined;
  /** A copy of the interactive shell (#onInterrupt), not a `bash -c` child. */
  #copyOfInteractive = false;
  /**
   * `set -e`, `-u`, `-x`, `-o pipefail` (as `e`, `u`, `x`, `pipefail`): a
   * subshell keeps them, a command substitution drops -e (bash without
   * inherit_errexit).
   */
  options = new Set<string>();
  /** Above 0 while a command runs whose failure -e ignores (a test, all but the last of && ||, !). */
  #errexitIgnored = 0;
  /**
   * Commands this shell found on the PATH by name (`type` says `hashed`): a
   * subshell starts with a copy, a child bash with none (hashlib.c's table is
   * the process's).
   */
  hashed = new Set<string>();
  /** Background children of a non-interactive shell (its `wait` waits for them). */
  readonly children: ProcessInfo[] = [];
  /** Shell functions by name (a subshell gets a copy; `bash -c` starts with none). */
  functions = new Map<string, FunctionDef>();
  /** The positional parameters `$1`… (a function call's arguments while it runs). */
  positional: string[] = [];
  /** `$0`: `-bash` for the login shell, `bash` or the script's name for a child shell. */
  arg0 = '-bash';
  /** `return` was run: the function body stops, as `break` stops a loop. */
  returning = false;
  /** `$$` of a child bash (`bash -c`); undefined: the login shell's, as in its subshells. */
  shellPid: number | undefined;
  /** The functions running, innermost last (`$FUNCNAME`). */
  funcNames: string[] = [];
  /** One scope per running function: the values `local` saved (undefined: was unset). */
  readonly locals: Map<string, string | undefined>[] = [];
  /**
   * The shell's file descriptors above 2 that `exec` opened (`exec 3<>/dev/tcp/…`);
   * every command's redirections start from them (`>&3`). A forked shell holds
   * its own references to the same descriptions.
   */
  readonly fds = new Map<number, FdObject>();
  /**
   * `exec >f` and the like: the standard descriptors that replace `base`, the
   * ones the shell's commands were given, from then on.
   */
  #execStdio: { readonly base: Io; io: Io } | undefined;

  constructor(
    session: Session,
    proc: Proc,
    options: {
      interactive: boolean;
      job?: Job;
      vars: Map<string, string>;
      exported: Set<string>;
      cwd: string;
    },
  ) {
    this.session = session;
    this.proc = proc;
    this.interactive = options.interactive;
    this.job = options.job;
    this.vars = options.vars;
    this.exported = options.exported;
    this.cwd = options.cwd;
  }

  get system(): ProcessSystem {
    return this.session.system;
  }

  get host(): Host {
    return this.session.host;
  }

  /** A copy of this shell for a child process (a subshell, a pipeline stage). */
  fork(proc: Proc, job: Job | undefined): Shell {
    const child = new Shell(this.session, proc, {
      interactive: false,
      job,
      vars: new Map(this.vars),
      exported: new Set(this.exported),
      cwd: this.cwd,
    });
    child.status = this.status;
    child.#copyOfInteractive = this.interactive || this.#copyOfInteractive;
    child.hashed = new Set(this.hashed);
    child.options = new Set(this.options);
    child.#errexitIgnored = this.#errexitIgnored;
    child.scriptMode = this.scriptMode;
    // A forked copy is in the loops its parent is in (a `break` in `$(…)` or a
    // pipeline stage ends that process, silently); `( … )` leaves them (#subshellBody).
    child.loops = this.loops;
    child.lastBackground = this.lastBackground;
    child.functions = new Map(this.functions);
    // A subshell of a function is still in it: `return` ends the subshell (execute_cmd.c).
    child.locals.push(...this.locals.map((scope) => new Map(scope)));
    child.scriptName = this.scriptName;
    child.lineNumbers = this.lineNumbers;
    child.lineno = this.lineno;
    child.positional = [...this.positional];
    child.arg0 = this.arg0;
    child.shellPid = this.shellPid;
    child.funcNames = [...this.funcNames];
    for (const [n, f] of this.fds) {
      retainFd(f);
      child.fds.set(n, f);
    }
    if (this.#execStdio !== undefined) child.#execStdio = { ...this.#execStdio };
    return child;
  }

  /** The environment of a child process: the exported variables. */
  environment(extra: ReadonlyMap<string, string> = new Map()): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.exported) {
      const v = this.vars.get(name);
      if (v !== undefined) env[name] = v;
    }
    for (const [k, v] of extra) env[k] = v;
    return env;
  }

  lookup(name: string): string | undefined {
    switch (name) {
      case '?':
        return String(this.status);
      case '$':
        return String(this.shellPid ?? this.session.pid);
      case 'LINENO':
        // The line of the command running: in a script, of the file; at the
        // prompt, counted over the lines read (DEVIATION(bash): in a function
        // called at the prompt bash counts from the function's first line).
        return String(this.lineno);
      case 'FUNCNAME':
        // `$FUNCNAME` is ${FUNCNAME[0]}, the running function (bash manual 5.2).
        return this.funcNames[this.funcNames.length - 1] ?? this.vars.get(name);
      case '!':
        return this.lastBackground === undefined ? '' : String(this.lastBackground);
      case '#':
        return String(this.positional.length);
      case '0':
        return this.arg0;
      case '-': {
        // Bash's order: e before h, u and x after; then B, H, s.
        const o = this.options;
        const set = (c: string): string => (o.has(c) ? c : '');
        return this.interactive
          ? `${set('e')}him${set('u')}${set('x')}BHs`
          : `${set('e')}h${set('u')}${set('x')}B${this.scriptMode === 'c' ? 'c' : ''}`;
      }
      case '@':
      case '*': {
        // "$*" joins with IFS's first character (a space when IFS is unset, nothing when empty).
        const ifs = this.vars.get('IFS');
        return this.positional.join(ifs === undefined ? ' ' : ifs.slice(0, 1));
      }
      case 'PWD':
        return this.vars.get('PWD') ?? this.cwd;
      default:
        if (/^[1-9][0-9]*$/.test(name)) return this.positional[Number(name) - 1];
        return this.vars.get(name);
    }
  }

  home(user: string): string | undefined {
    if (user === '') return this.vars.get('HOME') ?? '';
    if (user === 'root') return '/root';
    if (user === '+') return this.cwd;
    if (user === this.session.user) return `/home/${user}`;
    return undefined;
  }

  /** The context of a synchronous expansion; `outputs` are the `$(…)` results, in order. */
  expandContext(outputs: string[] = []): ExpandContext {
    return {
      lookup: (n) => this.lookup(n),
      assign: (n, v) => this.vars.set(n, v),
      home: (u) => this.home(u),
      substitute: () => outputs.shift() ?? '',
      positional: () => this.positional,
      exported: (n) => this.exported.has(n),
      nounset: this.options.has('u'),
      fs: this.proc.fs,
      cwd: this.cwd,
    };
  }

  /** A program of the system's command table; `bash` and `sh` are this shell itself. */
  commandFor(name: string): Command | undefined {
    if (name === 'bash' || name === 'sh') return this.system.command(name) ?? CHILD_BASH;
    return this.system.command(name);
  }

  /**
   * What bash's messages start with (error.c get_name_for_error): `-bash: ` for
   * the login shell and its subshells, `NAME: ` in `bash -c CMD NAME`,
   * `SCRIPT: line N: ` in a script.
   */
  get prefix(): string {
    if (this.scriptName === undefined) return '-bash: ';
    return this.lineNumbers ? `${this.scriptName}: line ${this.lineno}: ` : `${this.scriptName}: `;
  }

  /** A child shell's name for its messages (`bash -c`'s `$0`, the script); undefined: `-bash`. */
  scriptName: string | undefined;
  /** Messages carry the line of the command (`SCRIPT: line 3: `). */
  lineNumbers = false;
  /** The line of the simple command running. */
  lineno = 1;

  /** Writes bash's own message, `-bash: …`. */
  error(io: Io, message: string): void {
    io.err.write(`${this.prefix}${message}\n`);
  }

  /** Ends this shell's process at once if it was killed (a subshell that got SIGINT). */
  checkKilled(): void {
    this.#checkKilled();
  }

  #checkKilled(): void {
    if (this.interactive) return;
    const me = this.system.process(this.host, this.proc.pid);
    if (me?.killedBy !== undefined) throw new Killed(me.killedBy);
  }

  /**
   * Parses and runs a command substitution's text. Its lines count from the
   * line of the command it is in (bash parses it with the script: `s.sh: line
   * 5: f1: No such file or directory` for a `$(… < f1)` on line 5).
   */
  async runSource(src: string, io: Io): Promise<number> {
    const r = parse(src, this.lineNumbers ? { firstLine: this.lineno } : {});
    if (!r.ok) {
      this.error(io, r.incomplete ? 'syntax error: unexpected end of file' : r.message);
      this.status = 2;
      return 2;
    }
    return this.runList(r.list, io);
  }

  /**
   * A child bash's commands (`bash -c`, a script, standard input), read and
   * run one complete command at a time as bash's reader_loop does: the
   * commands before a syntax error run, then bash reports it with the line
   * (`SCRIPT: line 2: syntax error near unexpected token `)'` and the line
   * itself) and ends with status 2.
   */
  async runScript(
    src: string | (() => Promise<string | undefined>),
    io: Io,
    mode: 'c' | 'file' | 'stdin',
  ): Promise<number> {
    this.scriptMode = mode;
    let next: () => Promise<string | undefined>;
    if (typeof src === 'string') {
      const all = src.split('\n');
      if (all[all.length - 1] === '') all.pop();
      next = async () => all.shift();
    } else next = src;
    const name = this.scriptName ?? 'bash';
    const where = (n: number): string =>
      mode === 'c' ? `${name}: -c: line ${n}: ` : `${name}: line ${n}: `;
    let buffer: string[] = [];
    let first = 1;
    let count = 0;
    let lastLine = '';
    for (;;) {
      const line = await next();
      const atEof = line === undefined;
      if (atEof && buffer.length === 0) break;
      if (!atEof) {
        buffer.push(line);
        count++;
        lastLine = line;
      }
      const warnings: { line: number; delimiter: string; at: number }[] = [];
      // A line read is parsed with its newline (bash's parser reads the token:
      // `for` then the end of a line is an error there); at the end of the
      // input there is none.
      const text = atEof ? buffer.join('\n') : `${buffer.join('\n')}\n`;
      const r = parse(text, { firstLine: first, hereDocAtEof: atEof, warnings });
      for (const w of warnings) {
        // A warning names no `-c` (bash's internal_warning), where an error does.
        io.err.write(
          `${name}: line ${w.line}: warning: here-document at line ${w.at} delimited by end-of-file (wanted \`${w.delimiter}')\n`,
        );
      }
      if (!r.ok && r.incomplete && !atEof) continue;
      if (!r.ok) {
        if (r.incomplete) {
          const quote = ["'", '"', '`'].includes(r.message);
          io.err.write(
            quote
              ? `${where(count)}unexpected EOF while looking for matching \`${r.message}'\n`
              : `${where(count + 1)}syntax error: unexpected end of file\n`,
          );
        } else io.err.write(`${where(count)}${r.message}\n${where(count)}\`${lastLine}'\n`);
        this.status = 2;
        return 2;
      }
      buffer = [];
      first = count + 1;
      this.beginCommandLine();
      await this.runList(r.list, io);
      if (this.exitStatus !== undefined || atEof) break;
    }
    return this.status;
  }

  async runList(list: List, io: Io): Promise<number> {
    for (const item of list.items) {
      if (this.#stopped()) break;
      if (item.background) {
        this.status = this.#background(item.andOr, this.#stdio(io));
      } else {
        this.status = await this.#andOr(item.andOr, io);
        // An abandoned line's status is its cause's, not what the command it stopped returned.
        if (this.aborted && this.#abortStatus !== undefined) this.status = this.#abortStatus;
        this.#errexit(item.andOr);
      }
    }
    return this.status;
  }

  /**
   * `set -e` after an and-or list (execute_cmd.c exit_immediately_on_error):
   * a failure ends the shell, unless the list ran as a test, ended in a
   * pipeline negated with `!`, or failed before its last `&&`/`||`.
   */
  #errexit(a: AndOr): void {
    if (!this.options.has('e') || this.#errexitIgnored > 0 || this.status === 0) return;
    if (this.#stopped()) return;
    const last = a.rest.length === 0 ? a.first : a.rest[a.rest.length - 1]!.pipeline;
    if (last.bang || !this.#andOrFinal) return;
    this.exitStatus = this.status;
  }

  /** Whether the and-or list #andOr ran last ended in its last pipeline. */
  #andOrFinal = false;

  /** Runs `f` as a test: `set -e` does not act on its failures. */
  async #asTest<T>(f: () => Promise<T>): Promise<T> {
    this.#errexitIgnored++;
    try {
      return await f();
    } finally {
      this.#errexitIgnored--;
    }
  }

  /** `io`, or what `exec` put in its place. */
  #stdio(io: Io): Io {
    const e = this.#execStdio;
    return e !== undefined && (io === e.base || io === e.io) ? e.io : io;
  }

  /** Lets go of the file descriptors `exec` opened (the shell is done). */
  releaseFds(): void {
    for (const f of this.fds.values()) releaseFd(f);
    this.fds.clear();
  }

  async #andOr(a: AndOr, io: Io): Promise<number> {
    // Every pipeline but the last, and any negated one, is a test for -e.
    let final = false;
    const run = (p: Pipeline, last: boolean): Promise<number> => {
      final = last;
      return !last || p.bang
        ? this.#asTest(() => this.#pipeline(p, this.#stdio(io)))
        : this.#pipeline(p, this.#stdio(io));
    };
    let status = await run(a.first, a.rest.length === 0);
    this.status = status;
    for (let k = 0; k < a.rest.length; k++) {
      const r = a.rest[k]!;
      if (this.#stopped()) break;
      if ((r.op === '&&') !== (status === 0)) continue;
      status = await run(r.pipeline, k === a.rest.length - 1);
      this.status = status;
    }
    this.#andOrFinal = final;
    return status;
  }

  /** `cmd &`: the pipeline (or a subshell running the and-or list) as a background job. */
  #background(a: AndOr, io: Io): number {
    // A timed pipeline runs in a subshell that prints its times when it ends.
    const single =
      a.rest.length === 0 && !a.first.bang && a.first.timed === undefined ? a.first : undefined;
    const commands = single?.commands.map((c) => commandText(c)) ?? [andOrText(a)];
    const job = this.interactive
      ? this.session.jobs.create(commands, false, this.cwd)
      : (this.job as Job);
    // Background stages do not read the terminal in a non-interactive shell: /dev/null (POSIX 2.9.3).
    const bgIo = this.interactive || !io.in.isTerminal ? io : { ...io, in: DEV_NULL_IN };
    let last: ProcessInfo;
    if (single !== undefined) {
      const started = this.#startPipeline(single, bgIo, job);
      last = started[started.length - 1] as ProcessInfo;
    } else {
      last = this.spawnShell(job, bgIo, (sh, cio) => sh.#andOr(a, cio));
    }
    this.lastBackground = last.pid;
    if (this.interactive) io.err.write(`[${job.id}] ${last.pid}\n`);
    else this.children.push(last);
    return 0;
  }

  async #pipeline(p: Pipeline, io: Io): Promise<number> {
    if (p.timed === undefined) return this.#untimedPipeline(p, io);
    // execute_cmd.c time_command: the pipeline's real time, printed after it
    // ends with TIMEFORMAT. tcplab's processes take no CPU time: user and sys are 0.
    const start = this.proc.now;
    const status = await this.#untimedPipeline(p, io);
    // TIMEFORMAT unset: the default; set to '': no output (bash manual 5.2).
    const format =
      p.timed === 'posix' ? TIMEFORMAT_POSIX : (this.lookup('TIMEFORMAT') ?? TIMEFORMAT_DEFAULT);
    if (format !== '') {
      const r = formatTimes(this.proc.now - start, format);
      if ('error' in r) this.error(io, r.error);
      else io.err.write(r.text);
    }
    return status;
  }

  async #untimedPipeline(p: Pipeline, io: Io): Promise<number> {
    // `time` or `!` alone: no command, status 0 (1 negated).
    if (p.commands.length === 0) return p.bang ? 1 : 0;
    let status: number;
    const only = p.commands.length === 1 ? (p.commands[0] as CommandNode) : undefined;
    if (only?.kind === 'simple') status = await this.#simple(only, io);
    else if (only !== undefined && only.kind !== 'subshell')
      status = await this.#compound(only, io);
    else
      status = await this.#foregroundJob(
        p.commands.map((c) => commandText(c)),
        (job) => this.#startPipeline(p, io, job),
      );
    if (p.bang) status = status === 0 ? 1 : 0;
    return status;
  }

  /**
   * Runs processes as a foreground job and waits for them: the job the
   * interactive shell lists while it runs and Ctrl-C signals; in a subshell,
   * the subshell's own job.
   */
  async #foregroundJob(
    commands: string[],
    start: (job: Job) => ProcessInfo[] | Promise<ProcessInfo[]>,
  ): Promise<number> {
    if (!this.interactive) {
      const stages = await start(this.job as Job);
      await Promise.all(stages.map((s) => s.exited));
      this.#checkKilled();
      return this.#pipelineStatus(stages.map((s) => s.exitStatus ?? 0));
    }
    const job = this.session.jobs.create(commands, true, this.cwd);
    this.session.foreground = job;
    try {
      await start(job);
      return await this.waitForeground(job);
    } finally {
      if (this.session.foreground === job) this.session.foreground = undefined;
    }
  }

  /** Waits for the foreground job to finish; reports a death by signal as bash does. */
  /** The last stage's status; with pipefail, the last one that failed (0 if none). */
  #pipelineStatus(statuses: readonly number[]): number {
    if (this.options.has('pipefail')) {
      for (let k = statuses.length - 1; k >= 0; k--) if (statuses[k] !== 0) return statuses[k]!;
      return 0;
    }
    return statuses[statuses.length - 1] ?? 0;
  }

  async waitForeground(job: Job): Promise<number> {
    this.session.foreground = job;
    beginWait(this.session);
    await Promise.all(job.stages.map((s) => s.exited));
    this.session.waiting = false;
    this.session.foreground = undefined;
    this.session.jobs.remove(job);
    const sig = job.killedBy;
    if (sig === 'SIGINT') {
      // jobs.c wait_for: an interactive shell prints a newline after a job killed by
      // SIGINT, and the rest of the command line is abandoned.
      this.session.tty.output.write('\n');
      this.#abort(job.status);
    } else if (sig !== undefined && sig !== 'SIGPIPE') {
      // jobs.c notify_of_job_status: a foreground job killed by another signal.
      this.session.tty.output.write(`${STRSIGNAL[sig] ?? sig}\n`);
    }
    return this.#pipelineStatus(job.stages.map((p) => p.exitStatus ?? 0));
  }

  /** Starts every stage of a pipeline, joined by pipes. */
  #startPipeline(p: Pipeline, io: Io, job: Job): ProcessInfo[] {
    const n = p.commands.length;
    const pipes: SharedOutput[] = [];
    const ins: SharedInput[] = [];
    for (let i = 0; i < n - 1; i++) {
      const pipe = new Pipe(this.session.wake);
      const input = new SharedInput(pipe.input);
      pipes.push(
        new SharedOutput(pipe.output, {
          broken: () => input.closed,
          sigpipe: (pid) => this.system.kill(this.host, pid, 'SIGPIPE'),
        }),
      );
      ins.push(input);
    }
    const started: ProcessInfo[] = [];
    for (let i = 0; i < n; i++) {
      const out = i < n - 1 ? (pipes[i] as SharedOutput) : io.out;
      const stageIo: Io = {
        in: i > 0 ? (ins[i - 1] as SharedInput) : io.in,
        out,
        err: p.stderrToo[i] === true ? out : io.err,
      };
      const node = p.commands[i] as CommandNode;
      started.push(this.#startStage(node, stageIo, job));
    }
    for (const x of pipes) x.release();
    for (const x of ins) x.release();
    return started;
  }

  /** A stage: a process running the command (a copy of the shell, which runs builtins and compounds itself or execs a program). */
  #startStage(node: CommandNode, io: Io, job: Job): ProcessInfo {
    if (node.kind === 'simple') {
      const direct = this.#directCommand(node);
      if (direct !== undefined) return this.#spawnDirect(node, direct, io, job);
    }
    return this.spawnShell(job, io, async (sh, cio) => {
      if (node.kind === 'simple') return sh.#simple(node, cio);
      if (node.kind === 'subshell') return sh.#subshellBody(node, cio);
      return sh.#compound(node, cio);
    });
  }

  /**
   * A simple command whose words need no expansion that could fail or wait
   * (no `$(…)`), naming a program: spawned as itself, so its pid is the
   * job's (as a fork+exec would give).
   */
  #directCommand(node: SimpleCommand): { name: string; command: Command } | undefined {
    const first = node.words[0];
    if (first === undefined || node.assigns.length > 0) return undefined;
    const hasSubst = node.words.some((w) =>
      w.parts.some((p) => p.kind === 'cmdsub' || p.kind === 'arith'),
    );
    // A /dev/tcp target connects first (#prepareRedirs), which a direct spawn does not wait for.
    const redirSubst = node.redirs.some(
      (r) =>
        r.target.parts.some((p) => p.kind !== 'lit') || devTcpPath(r.target.text) !== undefined,
    );
    if (hasSubst || redirSubst) return undefined;
    if (!first.parts.every((p) => p.kind === 'lit')) return undefined;
    const word = first.parts.map((p) => (p.kind === 'lit' ? p.text : '')).join('');
    if (BUILTINS.has(word) || this.functions.has(word)) return undefined;
    const name = commandName(word);
    const command = name === undefined ? undefined : this.commandFor(name);
    return command === undefined || command === CHILD_BASH ? undefined : { name: word, command };
  }

  #spawnDirect(
    node: SimpleCommand,
    direct: { name: string; command: Command },
    io: Io,
    job: Job,
  ): ProcessInfo {
    let argv: string[];
    try {
      argv = expandWords(node.words, this.expandContext());
    } catch (e) {
      if (!(e instanceof ExpansionError)) throw e;
      return this.spawnShell(job, io, (sh, cio) => sh.#simple(node, cio));
    }
    const r = this.#openRedirs(node.redirs, io);
    if ('error' in r) return this.#spawnError(job, io, r.error);
    const info = this.spawnProcess(job, r.io, {
      argv,
      comm: direct.name.split('/').pop() ?? direct.name,
      command: direct.command,
    });
    r.close();
    return info;
  }

  /** A forked shell that reports a redirection error and exits 1. */
  #spawnError(job: Job, io: Io, message: string): ProcessInfo {
    const prefix = this.prefix;
    return this.spawnProcess(job, io, {
      argv: ['-bash'],
      comm: 'bash',
      command: async (p) => {
        p.stderr.write(`${prefix}${message}\n`);
        return 1;
      },
    });
  }

  /**
   * `( list )`: the list in this (already forked) shell, with the node's
   * redirections. One whose connect Ctrl-C interrupted fails as any other
   * redirection does (status 1: bash 5.2.15 prints the messages and goes on
   * with the line).
   */
  async #subshellBody(node: CompoundCommand, io: Io): Promise<number> {
    // execute_in_subshell: loop_level = 0.
    this.loops = 0;
    const redirs = await this.#prepareRedirs(node.redirs, io);
    if (redirs === INTERRUPTED) return 1;
    const r = this.#openRedirs(redirs, io);
    this.#releasePrepared(redirs);
    if ('error' in r) {
      this.error(io, r.error);
      return 1;
    }
    try {
      return await this.runList(node.body, r.io);
    } finally {
      r.close();
    }
  }

  /** `{ …; }`, `for`, `while`, `until`, `if`, `(( ))` in this shell, with the node's redirections. */
  async #compound(node: Exclude<CommandNode, SimpleCommand>, io: Io): Promise<number> {
    if (node.kind === 'function') {
      // execute_cmd.c execute_intern_function: defining is all; the body (and its
      // redirections) runs when called.
      this.functions.set(node.name, node);
      return 0;
    }
    // execute_for_command, execute_case_command, execute_arith_command: the
    // command's own line while its words expand (the commands inside set theirs).
    if (
      (node.kind === 'for' ||
        node.kind === 'case' ||
        node.kind === 'arith' ||
        node.kind === 'cond') &&
      node.line !== undefined
    )
      this.lineno = node.line;
    const redirs = node.redirs.length > 0 ? await this.#prepareRedirs(node.redirs, io) : [];
    if (redirs === INTERRUPTED) return this.#interrupted();
    const r = this.#openRedirs(redirs, io);
    this.#releasePrepared(redirs);
    if ('error' in r) {
      this.error(io, r.error);
      return 1;
    }
    try {
      switch (node.kind) {
        case 'group':
        case 'subshell':
          return await this.runList(node.body, r.io);
        case 'if':
          for (const c of node.clauses) {
            if (this.#stopped()) return this.status;
            if ((await this.#asTest(() => this.runList(c.cond, r.io))) === 0)
              return await this.runList(c.body, r.io);
          }
          // A `return`, `break` or abandoned line in a test ends the if with its status.
          if (this.#stopped()) return this.status;
          if (node.otherwise !== undefined) return await this.runList(node.otherwise, r.io);
          return 0;
        case 'for': {
          if (node.arith !== undefined) return await this.#arithFor(node.arith, node.body, r.io);
          let items: string[];
          // `for NAME; do`: over "$@" (bash manual 3.2.5.1).
          if (node.words === undefined) items = [...this.positional];
          else {
            // execute_for_command counts the loop before it expands the words:
            // a `break` in a `$(…)` there is the loop's (silent).
            this.loops++;
            try {
              const outputs: string[] = [];
              for (const src of substitutions(node.words))
                outputs.push(await this.substitute(src, r.io));
              items = expandWords(node.words, this.expandContext(outputs));
            } catch (e) {
              if (!(e instanceof ExpansionError)) throw e;
              return this.#expansionFailed(io, e);
            } finally {
              this.loops--;
            }
          }
          return await this.#loop(
            r.io,
            items.length,
            async (i) => {
              this.vars.set(node.name, items[i] as string);
              return true;
            },
            node.body,
          );
        }
        case 'case':
          return await this.#case(node, r.io);
        case 'while':
          return await this.#loop(
            r.io,
            Number.POSITIVE_INFINITY,
            async () => {
              const st = await this.#asTest(() => this.runList(node.cond, r.io));
              return (st === 0) !== node.until;
            },
            node.body,
          );
        case 'arith':
          return await this.#arithCommand(node.expr, r.io);
        case 'cond':
          return await this.#cond(node, r.io);
      }
    } finally {
      r.close();
    }
  }

  /**
   * execute_cmd.c execute_case_command: the word expanded without splitting or
   * globbing, each pattern in turn as a glob; `;&` runs the next body too,
   * `;;&` goes on testing the next patterns. No match: status 0.
   */
  async #case(node: CaseCommand, io: Io): Promise<number> {
    const words = [node.word, ...node.items.flatMap((it) => it.patterns)];
    const outputs: string[] = [];
    for (const src of substitutions(words)) outputs.push(await this.substitute(src, io));
    const ctx = this.expandContext(outputs);
    let status = 0;
    let word: string;
    try {
      word = expandString(node.word, ctx);
    } catch (e) {
      if (!(e instanceof ExpansionError)) throw e;
      return this.#expansionFailed(io, e);
    }
    let fallthrough = false;
    for (const item of node.items) {
      if (this.#stopped()) break;
      if (!fallthrough && !item.patterns.some((p) => casePattern(p, ctx).test(word))) continue;
      status = await this.runList(item.body, io);
      fallthrough = item.end === ';&';
      if (item.end === ';;') break;
    }
    return status;
  }

  /**
   * execute_cmd.c execute_function: the arguments become the positional
   * parameters while the body runs; `return` ends it; `local` variables are
   * restored when it ends.
   */
  async #callFunction(fn: FunctionDef, words: string[], io: Io): Promise<number> {
    const saved = this.positional;
    this.positional = words.slice(1);
    this.locals.push(new Map());
    this.funcNames.push(fn.name);
    // execute_function: the caller's loops are not the function's (`break` in
    // it outside its own loops is "only meaningful in a loop").
    const loops = this.loops;
    this.loops = 0;
    try {
      const status = await this.#runNode(fn.body, io);
      if (this.returning) {
        this.returning = false;
        return this.status;
      }
      return status;
    } finally {
      this.loops = loops;
      this.positional = saved;
      this.funcNames.pop();
      const scope = this.locals.pop();
      for (const [k, v] of scope ?? []) {
        if (v === undefined) this.vars.delete(k);
        else this.vars.set(k, v);
      }
    }
  }

  /** A compound command or subshell as a function's body. */
  async #runNode(node: CommandNode, io: Io): Promise<number> {
    if (node.kind === 'simple') return this.#simple(node, io);
    if (node.kind === 'subshell')
      return this.#foregroundJob([commandText(node)], (job) => [
        this.spawnShell(job, io, (sh, cio) => sh.#subshellBody(node, cio)),
      ]);
    return this.#compound(node, io);
  }

  /**
   * `bash -c CMD [NAME [ARGS…]]`, `bash SCRIPT [ARGS…]`, `sh …`: a
   * non-interactive bash as a child process, with the exported variables only
   * (no functions), `$0` and the positional parameters from its arguments.
   */
  #childBash(
    words: string[],
    io: Io,
    assigns: ReadonlyMap<string, string>,
    text: string,
  ): Promise<number> {
    const invoked = words[0] as string;
    const start = (job: Job): ProcessInfo[] => [
      this.spawnProcess(job, io, {
        argv: words,
        comm: invoked.split('/').pop() ?? invoked,
        env: this.environment(assigns),
        command: async (p) => {
          const vars = new Map(Object.entries(p.env));
          const child = new Shell(this.session, p, {
            interactive: false,
            job,
            vars,
            exported: new Set(Object.keys(p.env)),
            cwd: this.cwd,
          });
          child.shellPid = p.pid;
          const own: Io = {
            in: io.in,
            out: ownWrites(io.out, p.stdout),
            err: ownWrites(io.err, p.stderr),
          };
          const args = words.slice(1);
          let src: string | (() => Promise<string | undefined>);
          if (args[0] === '-c') {
            if (args.length < 2) {
              own.err.write(`${invoked}: -c: option requires an argument\n`);
              return 2;
            }
            src = args[1] as string;
            child.arg0 = args[2] ?? invoked;
            child.scriptName = child.arg0;
            child.lineNumbers = true;
            child.positional = args.slice(3);
          } else if (args.length === 0) {
            // bash reading commands from its standard input, a line at a time (as it reads
            // a pipe or a terminal): each complete command runs before the next is read.
            let pending = '';
            let eof = false;
            src = async () => {
              for (;;) {
                const nl = pending.indexOf('\n');
                if (nl >= 0) {
                  const line = pending.slice(0, nl);
                  pending = pending.slice(nl + 1);
                  return line;
                }
                if (eof) {
                  const rest = pending;
                  pending = '';
                  return rest === '' ? undefined : rest;
                }
                const c = await p.stdin.read();
                if (c === null) eof = true;
                else pending += toText(c);
              }
            };
            child.arg0 = invoked;
            child.scriptName = invoked;
            child.lineNumbers = true;
          } else {
            const file = args[0] as string;
            const data = p.fs.readFile(file, this.cwd);
            if (data instanceof FsError) {
              own.err.write(`${invoked}: ${file}: ${data.message}\n`);
              return 127;
            }
            src = new TextDecoder().decode(data);
            child.arg0 = file;
            child.scriptName = file;
            child.lineNumbers = true;
            child.positional = args.slice(1);
          }
          const mode = args[0] === '-c' ? 'c' : args.length === 0 ? 'stdin' : 'file';
          try {
            const status = await child.runScript(src, own, mode);
            return child.exitStatus ?? status;
          } finally {
            child.releaseFds();
          }
        },
      }),
    ];
    return this.#foregroundJob([text], start);
  }

  /** Loop control of `break N` / `continue N`, and the loop depth they check. */
  loops = 0;
  breaks = 0;
  continues = 0;

  /**
   * for (( init; cond; step )) (bash manual 3.2.5.1): init once, then the body
   * while cond is not 0 (an empty one is 1), step after each pass; each
   * expression expanded as $(( )) is. An arithmetic error ends the loop with
   * status 1 (the shell goes on).
   */
  async #arithFor(
    [init, cond, step]: readonly [string, string, string],
    body: List,
    io: Io,
  ): Promise<number> {
    let failed = false;
    const evaluate = (expr: string): bigint | undefined => {
      try {
        return arith(expandString(parseWord(expr), this.expandContext()), this.expandContext());
      } catch (e) {
        if (!(e instanceof ExpansionError)) throw e;
        // As in (( )): the message names `((`, the loop ends, the shell goes on.
        this.error(io, `((: ${e.message}`);
        failed = true;
        return undefined;
      }
    };
    if (init.trim() !== '' && evaluate(init) === undefined) return 1;
    let first = true;
    return await this.#loop(
      io,
      Number.POSITIVE_INFINITY,
      async () => {
        if (!first && step.trim() !== '' && evaluate(step) === undefined) return false;
        first = false;
        if (cond.trim() === '') return true;
        const c = evaluate(cond);
        return c !== undefined && c !== 0n;
      },
      body,
    ).then((status) => (failed ? 1 : status));
  }

  /** `[[ EXPR ]]` (cond.ts); an expansion error is any expansion's. */
  async #cond(node: CondCommand, io: Io): Promise<number> {
    const expanded = async (word: Word): Promise<{ word: Word; ctx: ExpandContext }> => {
      const outputs: string[] = [];
      for (const src of substitutions([word])) outputs.push(await this.substitute(src, io));
      return { word, ctx: this.expandContext(outputs) };
    };
    try {
      return await evaluateCond(node.expr, {
        expand: async (w) => {
          const e = await expanded(w);
          return expandString(e.word, e.ctx);
        },
        pattern: async (w) => {
          const e = await expanded(w);
          return new RegExp(`^(?:${patternSource(e.word, e.ctx)})$`);
        },
        regex: async (w) => {
          const e = await expanded(w);
          return regexSource(e.word, e.ctx);
        },
        arith: (text) => arith(text, this.expandContext()),
        setMatch: (m) => {
          if (m === undefined) this.vars.delete('BASH_REMATCH');
          else this.vars.set('BASH_REMATCH', m);
        },
        test: testEnv(this, io),
      });
    } catch (e) {
      if (e instanceof ExpansionError) return this.#expansionFailed(io, e);
      throw e;
    }
  }

  /**
   * `(( EXPR ))` (execute_cmd.c execute_arith_command): EXPR expanded as in
   * double quotes ($VAR, $(…), quotes removed), then evaluated: status 0 when
   * the value is not 0, 1 when it is. An arithmetic error prints `((: …` and is
   * status 1 (the shell goes on); an expansion error is any expansion's.
   */
  async #arithCommand(expr: string, io: Io): Promise<number> {
    const word = parseWord(expr);
    let text: string;
    try {
      const outputs: string[] = [];
      for (const src of substitutions([word])) outputs.push(await this.substitute(src, io));
      text = expandString(word, this.expandContext(outputs));
    } catch (e) {
      if (e instanceof ExpansionError) return this.#expansionFailed(io, e);
      throw e;
    }
    try {
      return arith(text, this.expandContext()) !== 0n ? 0 : 1;
    } catch (e) {
      if (!(e instanceof ExpansionError)) throw e;
      this.error(io, `((: ${e.message}`);
      return 1;
    }
  }

  /**
   * An expansion error (bad substitution, arithmetic, ${x:?}): the message,
   * status 1, and bash's jump to the top level: the rest of the command being
   * run is abandoned (the interactive shell's line; a script's command, the
   * script going on with the next: bash 5.2.15 does so for `bash FILE` and
   * `bash -c` alike, a one-line -c string thus ends). `${x:?}` ends a
   * non-interactive shell (POSIX 2.8.1): status 1, 127 for `bash -c`.
   */
  #expansionFailed(io: Io, e: ExpansionError): number {
    this.error(io, e.message);
    if (this.interactive || e.status !== 127) this.#abort(1);
    else this.exitStatus = this.scriptMode === 'c' ? 127 : 1;
    return 1;
  }

  #stopped(): boolean {
    return (
      this.exitStatus !== undefined ||
      this.aborted ||
      this.returning ||
      this.breaks > 0 ||
      this.continues > 0
    );
  }

  /**
   * Runs `body` while `next(i)` says so. An iteration that did not wait costs
   * 1 ms of virtual time (a fork and exec take about that), so a loop that
   * never blocks (`while true; do :; done`) still lets the simulation run and
   * Ctrl-C reach it.
   */
  async #loop(
    io: Io,
    count: number,
    next: (i: number) => Promise<boolean>,
    body: List,
  ): Promise<number> {
    let status = 0;
    this.loops++;
    const interrupt = (): void => {
      this.#abort(130);
      io.err.write('\n');
    };
    if (this.interactive) this.session.interruptible.add(interrupt);
    try {
      for (let i = 0; i < count; i++) {
        const start = this.proc.now;
        if (!(await next(i))) {
          // execute_while_or_until: a `break` or `continue` in a test that ends
          // the loop is this loop's (left set, the shell would run nothing more).
          if (this.breaks > 0) this.breaks--;
          if (this.continues > 0) this.continues--;
          break;
        }
        if (this.exitStatus !== undefined || this.aborted || this.returning) break;
        // After a `break` or `continue` in a test that held, the body is not run
        // (runList runs nothing) and the count is taken below.
        status = await this.runList(body, io);
        if (this.breaks > 0) {
          this.breaks--;
          break;
        }
        if (this.continues > 0) {
          this.continues--;
          if (this.continues > 0) break;
        }
        if (this.exitStatus !== undefined || this.aborted || this.returning) break;
        if (this.proc.now === start) await this.proc.sleep(LOOP_ITERATION_NS);
        this.#checkKilled();
      }
    } finally {
      this.loops--;
      if (this.interactive) this.session.interruptible.delete(interrupt);
    }
    // A `return`, `exit` or abandoned line inside ends the loop with its status.
    return this.#stopped() ? this.status : status;
  }

  /**
   * What a command's redirections need before they open: here-documents'
   * substitutions, and the connections of `/dev/tcp/HOST/PORT` targets
   * (connect() blocks; a failure is reported as bash does, `connect:
   * Connection refused`, and the redirection then fails). The caller lets go
   * of the connections once the command is done (#releasePrepared): whoever
   * uses one (#openRedirs, exec's table) holds its own reference.
   *
   * Ctrl-C during a connect (an interactive shell): connect() fails with EINTR.
   * bash prints `connect: Interrupted system call` and the redirection's
   * message when it made the connection itself (`exec`, a builtin, a group);
   * a program's redirections are made by its forked child, which SIGINT kills
   * before it says anything (`inChild`). Either way the command does not run
   * (INTERRUPTED; the caller ends as #interrupted says). Seen with bash 5.2.15
   * on this machine, connecting through a firewall that dropped the answers.
   */
  async #prepareRedirs(
    redirs: readonly Redirection[],
    io: Io,
    inChild = false,
  ): Promise<readonly PreparedRedirection[] | typeof INTERRUPTED> {
    const withBodies = await this.#hereDocs(redirs, io);
    const ctx = this.expandContext();
    let out: PreparedRedirection[] | undefined;
    for (let i = 0; i < withBodies.length; i++) {
      const r = withBodies[i] as Redirection;
      if (!OPENING_OPS.has(r.op)) continue;
      const target = redirTarget(r, ctx);
      if (devTcpPath(target) === undefined) continue;
      out ??= [...withBodies];
      const opened = await netopen(this.proc, target, this.session.wake, this.#onInterrupt());
      if ('fd' in opened) out[i] = { ...r, socket: opened.fd };
      else if (opened.interrupted) {
        if (!inChild) for (const m of opened.messages) this.error(this.#stdio(io), m);
        this.#releasePrepared(out);
        return INTERRUPTED;
      } else {
        // netopen's own message now; the redirection's when it is reached.
        for (const m of opened.messages.slice(0, -1)) this.error(this.#stdio(io), m);
        out[i] = { ...r, failed: opened.messages[opened.messages.length - 1] };
      }
    }
    return out ?? withBodies;
  }

  /**
   * A command whose redirection's connect Ctrl-C interrupted: as after a
   * foreground job SIGINT killed (jobs.c wait_for), a newline, status 130, and
   * the rest of the command line is abandoned.
   */
  #interrupted(): number {
    if (this.interactive) {
      this.session.tty.output.write('\n');
      this.#abort(130);
      return 130;
    }
    // A copy of the interactive shell (a subshell, a pipeline stage): bash's
    // handler jumps to the top level, and a subshell there kills itself with
    // SIGINT, for its parent to see the job killed (the newline, the line abandoned).
    this.proc.trap('SIGINT', undefined);
    this.system.kill(this.host, this.proc.pid, 'SIGINT');
    this.#checkKilled();
    return 130;
  }

  /**
   * How a connect in this shell hears Ctrl-C: the interactive shell runs its
   * interruptible handlers on SIGINT (bash.ts); a copy of it (a subshell, a
   * pipeline stage) still has bash's handler until it runs a program, so the
   * connect is interrupted there too (its SIGINT is trapped while it waits); a
   * `bash -c` child has the default action: SIGINT kills it.
   */
  #onInterrupt(): ((handler: () => void) => () => void) | undefined {
    if (this.interactive) {
      const handlers = this.session.interruptible;
      return (f) => {
        handlers.add(f);
        return () => handlers.delete(f);
      };
    }
    if (!this.#copyOfInteractive) return undefined;
    const proc = this.proc;
    return (f) => {
      proc.trap('SIGINT', f);
      return () => proc.trap('SIGINT', undefined);
    };
  }

  /**
   * Whether bash would make this simple command's redirections in a forked
   * child: a program (or a name not found, reported by the child), not a
   * builtin, function or `exec`. Judged from the first word as written when
   * it is plain text; a word with expansions is taken as run here.
   */
  #runsInChild(node: SimpleCommand): boolean {
    const first = node.words[0];
    if (first === undefined || !/^[\w./+-]+$/.test(first.text)) return false;
    const name = first.text;
    return (
      name !== 'exec' && name !== 'command' && !this.functions.has(name) && !BUILTINS.has(name)
    );
  }

  /** The references #prepareRedirs took (a connection nobody kept closes). */
  #releasePrepared(redirs: readonly PreparedRedirection[]): void {
    for (const r of redirs) r.socket?.release();
  }

  /**
   * Here-documents whose bodies hold `$(…)` or backquotes: the substitutions
   * run now (they may wait), the body becomes its expanded text.
   */
  async #hereDocs(redirs: readonly Redirection[], io: Io): Promise<readonly Redirection[]> {
    if (
      !redirs.some((r) => (r.op === '<<' || r.op === '<<-') && substitutions([r.target]).length > 0)
    )
      return redirs;
    const out: Redirection[] = [];
    for (const r of redirs) {
      const subs = r.op === '<<' || r.op === '<<-' ? substitutions([r.target]) : [];
      if (subs.length === 0) {
        out.push(r);
        continue;
      }
      const outputs: string[] = [];
      for (const src of subs) outputs.push(await this.substitute(src, io));
      let text: string;
      try {
        text = expandString(r.target, this.expandContext(outputs));
      } catch (e) {
        if (!(e instanceof ExpansionError)) throw e;
        text = '';
      }
      out.push({
        ...r,
        target: { parts: [{ kind: 'lit', text, quoted: true }], text: r.target.text },
      });
    }
    return out;
  }

  async #simple(node: SimpleCommand, io: Io): Promise<number> {
    if (node.line !== undefined) this.lineno = node.line;
    if (node.redirs.length === 0) return this.#simplePrepared(node, io);
    const redirs = await this.#prepareRedirs(node.redirs, io, this.#runsInChild(node));
    if (redirs === INTERRUPTED) return this.#interrupted();
    try {
      return await this.#simplePrepared({ ...node, redirs }, io);
    } finally {
      this.#releasePrepared(redirs);
    }
  }

  /** #simple once its redirections are prepared: expansion, then the command. */
  async #simplePrepared(node: SimpleCommand, io: Io): Promise<number> {
    let words: string[];
    const assigns = new Map<string, string>();
    this.#substStatus = undefined;
    try {
      const outputs: string[] = [];
      for (const src of substitutions([...node.assigns.map((a) => a.value), ...node.words])) {
        outputs.push(await this.substitute(src, io));
      }
      const ctx = this.expandContext(outputs);
      for (const a of node.assigns) assigns.set(a.name, expandString(a.value, ctx));
      words = expandWords(node.words, ctx);
    } catch (e) {
      if (e instanceof ExpansionError) return this.#expansionFailed(io, e);
      throw e;
    }
    this.#checkKilled();
    // set -x (execute_cmd.c xtrace_print_word_list): PS4, then what will run.
    if (this.options.has('x')) {
      const ps4 = this.lookup('PS4') ?? '+ ';
      const parts = [
        ...[...assigns].map(([k, v]) => `${k}=${v === '' ? '' : xtraceQuote(v)}`),
        ...words.map(xtraceQuote),
      ];
      this.#stdio(io).err.write(`${ps4}${parts.join(' ')}\n`);
    }
    if (words.length === 0) {
      // Assignments only (bash manual 3.7.1): they set shell variables.
      for (const [k, v] of assigns) this.vars.set(k, v);
      const r = this.#openRedirs(node.redirs, io);
      if ('error' in r) {
        this.error(io, r.error);
        return 1;
      }
      r.close();
      // "…the exit status is that of the last command substitution performed, or zero."
      return this.#substStatus ?? 0;
    }
    return this.#command(node, words, assigns, io);
  }

  /** A simple command's expanded words run: a function, builtin or program. */
  async #command(
    node: SimpleCommand,
    words: string[],
    assigns: ReadonlyMap<string, string>,
    io: Io,
  ): Promise<number> {
    let name = words[0] as string;
    // `command NAME ARGS`: the builtin or program, never a function of that name.
    let skipFunctions = false;
    while (name === 'command' && words.length > 1 && !(words[1] as string).startsWith('-')) {
      words = words.slice(1);
      name = words[0] as string;
      skipFunctions = true;
    }
    if (name === 'exec' && (skipFunctions || !this.functions.has(name))) {
      let args = words.slice(1);
      if (args[0] === '--') args = args.slice(1);
      if (args.length === 0) return this.#exec(node.redirs, io);
      // exec.def: only a program can replace the shell (a builtin, a function: not found).
      const program = commandName(args[0] as string);
      if (program === undefined || this.commandFor(program) === undefined) {
        io.err.write(
          `${this.interactive ? '-bash' : (this.scriptName ?? 'bash')}: exec: ${args[0]}: not found\n`,
        );
        if (!this.interactive) this.exitStatus = 127;
        return 127;
      }
      // The shell is replaced by the command: it ends with the command's status.
      const status = await this.#command(node, ['command', ...args], assigns, io);
      this.exitStatus = status;
      return status;
    }
    // Functions come before builtins and programs (bash manual 3.7.2).
    const fn = skipFunctions ? undefined : this.functions.get(name);
    if (fn !== undefined) {
      const r = this.#openRedirs(node.redirs, io);
      if ('error' in r) {
        this.error(io, r.error);
        return 1;
      }
      try {
        return await this.#callFunction(fn, words, r.io);
      } finally {
        r.close();
      }
    }
    const builtin = BUILTINS.get(name);
    if (builtin !== undefined) return this.#builtin(builtin, words, node.redirs, io);
    const resolved = commandName(name);
    const command = resolved === undefined ? undefined : this.commandFor(resolved);
    if (command === undefined) {
      const r = this.#openRedirs(node.redirs, io);
      if ('error' in r) {
        this.error(io, r.error);
        return 1;
      }
      const prefix = this.prefix;
      if (name.includes('/')) r.io.err.write(`${prefix}${name}: No such file or directory\n`);
      else r.io.err.write(`${prefix}${name}: command not found\n`);
      r.close();
      return 127;
    }
    if (!name.includes('/')) this.hashed.add(name);
    const text = commandText(node);
    if (command === CHILD_BASH) {
      const r = this.#openRedirs(node.redirs, io);
      if ('error' in r) {
        this.error(io, r.error);
        return 1;
      }
      try {
        return await this.#childBash(words, r.io, assigns, text);
      } finally {
        r.close();
      }
    }
    const start = (job: Job): ProcessInfo[] => {
      const r = this.#openRedirs(node.redirs, io);
      if ('error' in r) return [this.#spawnError(job, io, r.error)];
      const info = this.spawnProcess(job, r.io, {
        argv: words,
        comm: name.split('/').pop() ?? name,
        command,
        env: this.environment(assigns),
      });
      r.close();
      return [info];
    };
    return this.#foregroundJob([text], start);
  }

  async #builtin(
    builtin: Builtin,
    words: string[],
    redirs: readonly Redirection[],
    io: Io,
  ): Promise<number> {
    const r = this.#openRedirs(redirs, io);
    if ('error' in r) {
      this.error(io, r.error);
      return 1;
    }
    try {
      return await builtin(this, words, r.io);
    } finally {
      r.close();
    }
  }

  /** `$(…)`: the list in a subshell process, its output collected. */
  async substitute(src: string, io: Io): Promise<string> {
    const collect = new CollectOutput();
    const out = new SharedOutput(collect);
    const cio: Io = { in: io.in, out, err: io.err };
    const run = (job: Job): ProcessInfo[] => {
      const started = [
        this.spawnShell(job, cio, (sh, i) => {
          // No inherit_errexit: a command substitution runs without -e.
          sh.options.delete('e');
          return sh.runSource(src, i);
        }),
      ];
      out.release();
      return started;
    };
    if (this.interactive) {
      const job = this.session.jobs.create([src], true, this.cwd);
      this.session.foreground = job;
      run(job);
      this.#substStatus = await this.waitForeground(job);
    } else {
      const [p] = run(this.job as Job);
      this.#substStatus = await p?.exited;
      this.#checkKilled();
    }
    return collect.text;
  }

  /** Spawns a copy of this shell (comm `bash`) running `body`. */
  spawnShell(job: Job, io: Io, body: (sh: Shell, io: Io) => Promise<number>): ProcessInfo {
    return this.spawnProcess(job, io, {
      argv: ['-bash'],
      comm: 'bash',
      command: async (p) => {
        const child = this.fork(p, job);
        // The copy's own writes (echo, printf) go through this process's references, so a
        // write into a pipe nobody reads any more gets it SIGPIPE, as the forked bash would.
        const own: Io = {
          in: io.in,
          out: ownWrites(io.out, p.stdout),
          err: ownWrites(io.err, p.stderr),
        };
        try {
          const status = await body(child, own);
          return child.exitStatus ?? status;
        } finally {
          child.releaseFds();
        }
      },
    });
  }

  /**
   * Spawns a process of `job` with references to `io`'s file descriptions.
   * The interactive shell's children are the job's stages; a subshell's are
   * only members of its process group.
   */
  spawnProcess(
    job: Job,
    io: Io,
    spec: { argv: string[]; comm: string; command: Command; env?: Record<string, string> },
  ): ProcessInfo {
    const stdout = io.out.open();
    const stderr = io.err.open();
    // The pid is known once spawned; a write before that (none of our commands
    // writes before its first wait) cannot get SIGPIPE.
    const info = this.system.spawn(this.host, spec.command, {
      argv: spec.argv,
      comm: spec.comm,
      stdin: io.in.open(job),
      stdout,
      stderr,
      cwd: this.cwd,
      env: spec.env ?? this.environment(),
      ppid: this.proc.pid,
    });
    setOwner(stdout, info.pid);
    setOwner(stderr, info.pid);
    job.add(info, this.interactive);
    if (this.interactive) {
      const session = this.session;
      void info.exited.then(() => {
        if (job.done && (session.waiting || job.deathSeenAtOnce)) job.known = true;
      });
    }
    return info;
  }

  /**
   * Opens a command's redirections in order (bash redir.c do_redirections):
   * the new Io and how to release what was opened, or bash's error text
   * (`x: No such file or directory`).
   */
  #openRedirs(
    redirs: readonly PreparedRedirection[],
    io: Io,
  ): { io: Io; close: () => void; fds: (FdObject | undefined)[] } | { error: string } {
    const fds: (FdObject | undefined)[] = [io.in, io.out, io.err];
    for (const [n, f] of this.fds) fds[n] = f;
    if (redirs.length === 0) return { io, close: () => {}, fds };
    const opened: (SharedOutput | SharedInput | DuplexFd)[] = [];
    const ctx = this.expandContext();
    const release = (): void => {
      for (const o of opened) o.release();
    };
    const fail = (error: string): { error: string } => {
      release();
      return { error };
    };
    for (const r of redirs) {
      // Redirection targets are expanded without splitting; `$(…)` in one is not supported here.
      const target = redirTarget(r, ctx);
      if (r.failed !== undefined) return fail(r.failed);
      if (r.socket !== undefined) {
        // A connection opened by #prepareRedirs: both ways on the descriptor, whatever the operator.
        r.socket.retain();
        opened.push(r.socket);
        if (r.op === '&>' || r.op === '&>>') {
          fds[1] = r.socket;
          fds[2] = r.socket;
        } else fds[r.fd] = r.socket;
        continue;
      }
      switch (r.op) {
        case '>':
        case '>|':
        case '>>':
        case '&>':
        case '&>>': {
          if (target === '' && r.target.parts.some((p) => p.kind === 'var')) {
            return fail(`${r.target.text}: ambiguous redirect`);
          }
          const f = FileOutput.open(
            this.proc.fs,
            target,
            this.cwd,
            r.op === '>>' || r.op === '&>>',
          );
          if ('error' in f) return fail(`${target}: ${f.error}`);
          const shared = new SharedOutput(f);
          opened.push(shared);
          if (r.op === '&>' || r.op === '&>>') {
            fds[1] = shared;
            fds[2] = shared;
          } else fds[r.fd] = shared;
          break;
        }
        case '<>':
        case '<': {
          if (target === '/dev/null') {
            fds[r.fd] = DEV_NULL_IN;
            break;
          }
          if (r.op === '<>' && this.proc.fs.stat(target, this.cwd) instanceof FsError) {
            // O_RDWR|O_CREAT: a missing file is made (empty).
            const made = FileOutput.open(this.proc.fs, target, this.cwd, true);
            if ('error' in made) return fail(`${target}: ${made.error}`);
          }
          const data = this.proc.fs.readFile(target, this.cwd);
          if (data instanceof FsError) return fail(`${target}: ${data.message}`);
          const shared = new SharedInput(textInput(new TextDecoder().decode(data)));
          opened.push(shared);
          fds[r.fd] = shared;
          break;
        }
        case '<<':
        case '<<-': {
          // The body expands as in double quotes, without splitting (bash manual 3.6.6).
          let body: string;
          try {
            body = expandString(r.target, ctx);
          } catch (e) {
            if (!(e instanceof ExpansionError)) throw e;
            return fail(e.message);
          }
          const shared = new SharedInput(textInput(body));
          opened.push(shared);
          fds[r.fd] = shared;
          break;
        }
        case '<<<': {
          const shared = new SharedInput(textInput(`${target}\n`));
          opened.push(shared);
          fds[r.fd] = shared;
          break;
        }
        case '>&':
        case '<&': {
          if (target === '-') {
            // Closed. The standard descriptors of a command stay usable (as /dev/null).
            fds[r.fd] = r.fd > 2 ? undefined : r.op === '<&' ? DEV_NULL_IN : DEV_NULL_OUT;
            break;
          }
          if (!/^\d+$/.test(target)) {
            if (r.op === '>&' && r.fd === 1) {
              const f = FileOutput.open(this.proc.fs, target, this.cwd, false);
              if ('error' in f) return fail(`${target}: ${f.error}`);
              const shared = new SharedOutput(f);
              opened.push(shared);
              fds[1] = shared;
              fds[2] = shared;
              break;
            }
            return fail(`${target}: ambiguous redirect`);
          }
          const src = fds[Number(target)];
          if (src === undefined) return fail(`${target}: Bad file descriptor`);
          fds[r.fd] = src;
          break;
        }
      }
    }
    const asIn = (fd: FdObject | undefined, dflt: InFd): InFd => {
      if (fd instanceof DuplexFd) return fd.in;
      return fd !== undefined && 'open' in fd && !('write' in fd) ? fd : dflt;
    };
    const asOut = (fd: FdObject | undefined, dflt: OutFd): OutFd => {
      if (fd instanceof DuplexFd) return fd.out;
      return fd !== undefined && 'write' in fd ? fd : dflt;
    };
    return {
      io: { in: asIn(fds[0], io.in), out: asOut(fds[1], io.out), err: asOut(fds[2], io.err) },
      close: release,
      fds,
    };
  }

  /**
   * The `exec` builtin (builtins/exec.def). Without a command its
   * redirections stay in effect for the shell: descriptors above 2 in its
   * table (`exec 3<>/dev/tcp/h/80`, `exec 3>&-` closes), 0 to 2 for the
   * commands that follow (`exec 2>errors`). With a command, the command runs
   * with them and the shell ends with its status, as if replaced by it.
   * A redirection that fails is reported and leaves the shell running
   * (status 1), as bash 5.2 does outside POSIX mode.
   */
  #exec(redirs: readonly PreparedRedirection[], io: Io): number {
    const r = this.#openRedirs(redirs, io);
    if ('error' in r) {
      this.error(io, r.error);
      return 1;
    }
    const numbers = new Set(this.fds.keys());
    for (let n = 3; n < r.fds.length; n++) numbers.add(n);
    for (const n of numbers) {
      const now = r.fds[n];
      const before = this.fds.get(n);
      if (now === before) continue;
      if (before !== undefined) releaseFd(before);
      if (now === undefined) this.fds.delete(n);
      else {
        retainFd(now);
        this.fds.set(n, now);
      }
    }
    if (r.io !== io) {
      for (const f of [r.io.in, r.io.out, r.io.err]) retainFd(f);
      const base = this.#execStdio?.base ?? io;
      this.#execStdio = { base, io: r.io };
    }
    r.close();
    return 0;
  }
}

const DEV_NULL_IN = new ConstantInput(() => NULL_INPUT);

/** The operators that open their target (so may name `/dev/tcp/HOST/PORT`). */
const OPENING_OPS: ReadonlySet<string> = new Set(['<', '>', '>|', '>>', '<>', '&>', '&>>']);

/** A redirection's target word, expanded without splitting (`$(…)` in one is not supported). */
function redirTarget(r: Redirection, ctx: ExpandContext): string {
  let target = '';
  for (const p of r.target.parts) {
    if (p.kind === 'lit' || p.kind === 'glob') target += p.text;
    else if (p.kind === 'var') target += ctx.lookup(p.name) ?? '';
    else if (p.kind === 'tilde') target += ctx.home(p.user) ?? `~${p.user}`;
  }
  return target;
}

/** Another holder of a description that counts its holders (shared, duplex); others need none. */
function retainFd(f: FdObject): void {
  if (f instanceof SharedInput || f instanceof SharedOutput || f instanceof DuplexFd) f.retain();
}

function releaseFd(f: FdObject): void {
  if (f instanceof SharedInput || f instanceof SharedOutput || f instanceof DuplexFd) f.release();
}

/** Stands for `bash`/`sh` in the command table: run by Shell #childBash. */
const CHILD_BASH: Command = async () => 0;

/** bash's default TIMEFORMAT (execute_cmd.c), and the one of `time -p` (POSIX). */
export const TIMEFORMAT_DEFAULT = '\nreal\t%3lR\nuser\t%3lU\nsys\t%3lS';
const TIMEFORMAT_POSIX = 'real %2R\nuser %2U\nsys %2S';

/**
 * execute_cmd.c print_formatted_time: `%[p][l]R|U|S` the real, user or system
 * time with p (≤ 3, default 3) truncated decimals, `l` as `MmS.FFFs`; `%P`
 * the CPU percentage; `%%`; a trailing newline. user and sys are 0 here (no
 * CPU time), so `%P` is 0.00. A bad character: bash's message instead.
 */
export function formatTimes(realNs: number, format: string): { text: string } | { error: string } {
  const ms = Math.floor(realNs / 1_000_000);
  const mkfmt = (m: number, prec: number, long: boolean): string => {
    const secs = long ? Math.floor((m % 60_000) / 1000) : Math.floor(m / 1000);
    const frac =
      prec === 0
        ? ''
        : `.${String(m % 1000)
            .padStart(3, '0')
            .slice(0, prec)}`;
    return long ? `${Math.floor(m / 60_000)}m${secs}${frac}s` : `${secs}${frac}`;
  };
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string;
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    i++;
    if (format[i] === '%') {
      out += '%';
      continue;
    }
    if (format[i] === 'P') {
      out += '0.00';
      continue;
    }
    let prec = 3;
    let long = false;
    if (/[0-9]/.test(format[i] as string)) prec = Math.min(3, Number(format[i++]));
    if (format[i] === 'l') {
      long = true;
      i++;
    }
    const k = format[i] ?? '\0';
    if (k !== 'R' && k !== 'U' && k !== 'S')
      return { error: `TIMEFORMAT: \`${k}': invalid format character` };
    out += mkfmt(k === 'R' ? ms : 0, prec, long);
  }
  return { text: `${out}\n` };
}

/** A case pattern as a regular expression: unquoted `*`, `?`, `[…]` are special (bash manual 3.5.8.1). */
export function casePattern(word: Word, ctx: ExpandContext): RegExp {
  return new RegExp(`^${patternSource(word, ctx)}$`);
}

/** `fd` as a process sees it: its own writes through its reference `mine`. */
function ownWrites(fd: OutFd, mine: Output): OutFd {
  return {
    open: () => fd.open(),
    write: (data) => mine.write(data),
    takeError: () => fd.takeError(),
    isTerminal: fd.isTerminal,
  };
}

/** The virtual cost of a loop iteration that did not wait (see Shell #loop). */
const LOOP_ITERATION_NS = 1_000_000;
const DEV_NULL_OUT = new FixedOutput(NULL_OUTPUT);

/**
 * The interactive shell starts waiting (for a job, in `wait`, at its prompt):
 * the SIGCHLDs of what ended or stopped meanwhile reach it now.
 */
export function beginWait(session: Session): void {
  session.waiting = true;
  for (const j of session.jobs.all) {
    if (j.done) j.known = true;
    if (j.stopped) j.stopKnown = true;
  }
}

/** Sends a signal to a job's processes (killpg). */
export function signalJob(session: Session, job: Job, signal: Signal): void {
  job.signal((pid) => session.system.kill(session.host, pid, signal));
}

/** A `=~` word as a regular expression's source: quoted parts literal, the rest as written. */
function regexSource(word: Word, ctx: ExpandContext): string {
  let re = '';
  for (const p of word.parts) {
    const text = p.kind === 'glob' ? p.text : expandString({ parts: [p], text: '' }, ctx);
    const literal = p.kind !== 'glob' && p.kind !== 'tilde' && p.quoted;
    re += literal ? escapeRegExp(text) : text;
  }
  return re;
}

/**
 * A word as `set -x` shows it (sh_single_quote where sh_contains_shell_metas
 * finds something): as it is, or in single quotes (`'c d'`, `''`, `'~x'`).
 */
function xtraceQuote(w: string): string {
  if (w !== '' && !/[\s'"\\|&;()<>!{}*[\]?^$`]|^[~#]/.test(w)) return w;
  return `'${w.replace(/'/g, "'\\''")}'`;
}
