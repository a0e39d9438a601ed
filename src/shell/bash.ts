/**
 * An interactive login bash on a terminal (the `Terminal` contract of
 * terminal.ts): the read–parse–execute loop, job status notifications before
 * each prompt, Ctrl-C and Ctrl-D as bash and the tty driver handle them.
 *
 * bash runs as a process of its host (comm `bash`, argv `-bash`, so `$$`,
 * `ss -p` and `kill` see it); the terminal's input is its standard input.
 */

import type { Host } from '../host/host.js';
import type { Proc } from '../os/process.js';
import { toText } from '../os/streams.js';
import type { System } from '../os/system.js';
import { FixedOutput } from './io.js';
import { JobTable } from './jobs.js';
import { parse } from './parse.js';
import { beginWait, type Io, PATH_DEFAULT, type Session, Shell, signalJob } from './shell.js';
import type { Terminal } from './terminal.js';
import { INTERRUPT_MARK, Tty } from './tty.js';

export interface TerminalOptions {
  /** The user logged in (default root, home /root; others get /home/USER and a `$` prompt). */
  readonly user?: string;
}

/** Opens a terminal with a login bash on `host`. */
export function openTerminal(system: System, host: Host, options: TerminalOptions = {}): Terminal {
  return new BashTerminal(system, host, options.user ?? 'root');
}

class BashTerminal implements Terminal {
  readonly host: Host;
  readonly #system: System;
  readonly #tty: Tty;
  readonly #session: Session;
  readonly #user: string;
  readonly #home: string;
  #shell: Shell | undefined;
  #atPrompt = false;
  #continuation = false;
  #alive = true;

  constructor(system: System, host: Host, user: string) {
    this.host = host;
    this.#system = system;
    this.#user = user;
    this.#home = user === 'root' ? '/root' : `/home/${user}`;
    const wake = (): void => system.wake();
    this.#tty = new Tty(wake);
    this.#session = {
      system,
      host,
      jobs: new JobTable(),
      tty: this.#tty,
      history: [],
      pid: 0,
      user,
      wake,
      foreground: undefined,
      waiting: false,
      interruptible: new Set(),
      reaped: new Map(),
      warnedStopped: false,
    };
    this.#tty.onBackgroundRead = (job) => {
      // SIGTTIN: the job stops; bash reports it before the next prompt.
      if (!job.stopped) {
        job.stopped = true;
        job.notified = false;
        job.stopKnown = this.#session.waiting;
      }
    };
    if (user !== 'root') system.fs(host).mkdirs(this.#home);
    system.spawn(host, (p) => this.#main(p), {
      argv: ['-bash'],
      comm: 'bash',
      stdin: this.#tty.open(undefined),
      stdout: this.#tty.output,
      stderr: this.#tty.output,
      cwd: this.#home,
      env: this.#environment(),
    });
  }

  #environment(): Record<string, string> {
    return {
      HOME: this.#home,
      LOGNAME: this.#user,
      PATH: PATH_DEFAULT,
      PWD: this.#home,
      SHELL: '/bin/bash',
      SHLVL: '1',
      TERM: 'xterm',
      USER: this.#user,
    };
  }

  get prompt(): string {
    if (this.#continuation) return '> ';
    const cwd = this.#shell?.cwd ?? this.#home;
    // Debian's PS1: '\u@\h:\w\$ ' (\w abbreviates $HOME to ~; \$ is # for root).
    const home = this.#shell?.vars.get('HOME') ?? this.#home;
    let dir = cwd;
    if (home !== '' && home !== '/' && (cwd === home || cwd.startsWith(`${home}/`))) {
      dir = `~${cwd.slice(home.length)}`;
    }
    return `${this.#user}@${this.host.name}:${dir}${this.#user === 'root' ? '#' : '$'} `;
  }

  get atPrompt(): boolean {
    return this.#alive && this.#atPrompt;
  }

  get reading(): boolean {
    return this.#alive && !this.#atPrompt && this.#tty.jobReading;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get history(): readonly string[] {
    return this.#session.history;
  }

  typeLine(text: string): void {
    if (!this.#alive) return;
    if (this.#tty.shellReading) this.#atPrompt = false;
    this.#tty.typeLine(text);
    this.#system.wake();
  }

  interrupt(): void {
    if (!this.#alive) return;
    const fg = this.#session.foreground;
    this.#tty.flush();
    if (fg !== undefined) {
      signalJob(this.#session, fg, 'SIGINT');
    } else if (this.#tty.shellReading) {
      this.#tty.interruptShell();
    } else {
      // The shell itself is busy (the `wait` builtin): SIGINT to bash.
      this.#system.kill(this.host, this.#session.pid, 'SIGINT');
    }
    this.#system.wake();
  }

  endOfFile(): void {
    if (!this.#alive) return;
    if (this.#tty.shellReading) this.#atPrompt = false;
    this.#tty.endOfFile();
    this.#system.wake();
  }

  onOutput(listener: (text: string) => void): void {
    this.#tty.onOutput(listener);
  }

  async #main(p: Proc): Promise<number> {
    const session = this.#session;
    session.pid = p.pid;
    const env = p.env;
    const vars = new Map<string, string>(Object.entries(env));
    vars.set('HOSTNAME', this.host.name);
    vars.set('PS1', '\\u@\\h:\\w\\$ ');
    vars.set('PS2', '> ');
    const shell = new Shell(session, p, {
      interactive: true,
      vars,
      exported: new Set(Object.keys(env)),
      cwd: this.#home,
    });
    this.#shell = shell;
    // An interactive bash ignores SIGTERM and SIGQUIT; SIGINT interrupts its builtins (`wait`).
    p.trap('SIGINT', () => {
      for (const f of [...session.interruptible]) f();
    });
    p.trap('SIGTERM', () => {});
    p.trap('SIGQUIT', () => {});
    const screen = new FixedOutput(this.#tty.output);
    const io: Io = { in: this.#tty, out: screen, err: screen };
    let buffer = '';
    // $LINENO at the prompt: the lines read so far, the command's first one for it.
    let linesRead = 0;
    let firstLine = 1;
    try {
      for (;;) {
        if (buffer === '') this.#notify(shell, io);
        this.#continuation = buffer !== '';
        this.#atPrompt = true;
        beginWait(session);
        const chunk = await p.stdin.read();
        session.waiting = false;
        this.#atPrompt = false;
        if (chunk === null) {
          if (buffer !== '') {
            // EOF inside an unfinished command (parse.y: shell_getc at EOF).
            shell.error(io, 'syntax error: unexpected end of file');
            buffer = '';
            shell.status = 2;
            continue;
          }
          // eval.c reader_loop: EOF at the prompt ends a login shell with "logout".
          io.err.write('logout\n');
          break;
        }
        if (chunk === INTERRUPT_MARK) {
          // Ctrl-C at the prompt: readline discards the line; bash prints a newline, $? = 130.
          buffer = '';
          io.out.write('\n');
          shell.status = 130;
          continue;
        }
        const line = toText(chunk).replace(/\n$/, '');
        linesRead++;
        if (buffer === '') firstLine = linesRead;
        buffer = buffer === '' ? line : `${buffer}\n${line}`;
        // The line as bash's parser reads it, with its newline: `for` or `case`
        // followed by the end of the line is an error at `newline`, not a wait
        // for more (parse.y reads the newline token).
        const r = parse(`${buffer}\n`, { firstLine });
        if (!r.ok && r.incomplete) continue;
        const src = buffer;
        buffer = '';
        // History keeps the line as read, a backslash-newline removed (as `history` shows it).
        if (src.trim() !== '') session.history.push(src.replace(/\\\n/g, ''));
        if (!r.ok) {
          shell.error(io, r.message);
          shell.status = 2;
          continue;
        }
        shell.beginCommandLine();
        await shell.runList(r.list, io);
        if (shell.exitStatus !== undefined) break;
      }
    } finally {
      // Logout closes the descriptors `exec` opened (a connection gets its FIN).
      shell.releaseFds();
      this.#alive = false;
      this.#atPrompt = false;
      // The terminal hangs up: its jobs get SIGHUP (tty_vhangup → the session's processes).
      for (const j of session.jobs.all) signalJob(session, j, 'SIGHUP');
    }
    return shell.exitStatus ?? shell.status;
  }

  /**
   * jobs.c notify_of_job_status: before the prompt, every background job that
   * finished is reported (`[1]+  Done …`) and forgotten; one that stopped is
   * reported after an empty line.
   */
  #notify(shell: Shell, io: Io): void {
    const table = this.#session.jobs;
    const jobs = [...table.all].filter((j) => !j.foreground).sort((a, b) => a.id - b.id);
    const marks = new Map(jobs.map((j) => [j, table.mark(j)]));
    let out = '';
    for (const j of jobs) {
      if (j.ended) {
        if (!j.reported) out += j.format(marks.get(j) ?? ' ', false, shell.cwd);
        this.#session.reaped.set(j.pid, j.status);
        table.remove(j);
      } else if (j.seenStopped && !j.notified) {
        // Reported after an empty line (notify_of_job_status, JSTOPPED); a job killed
        // but not yet known dead is still a stopped job to bash.
        out += `\n${j.format(marks.get(j) ?? ' ', false, shell.cwd)}`;
        j.notified = true;
      }
    }
    if (out !== '') io.err.write(out);
  }
}
