/**
 * A small stand-in for the shell's terminal (src/shell), enough to test the
 * lab runner on its own: simple commands, `cmd &` with `[1] PID` and
 * `[1]+  Done  cmd`, `jobs`, `kill %N`, `fg`, `exit`, Ctrl-C and Ctrl-D, and a
 * line-buffered tty for the foreground job. It is not bash; the real shell's
 * behaviour is tested in test/shell.
 */

import type { Host } from '../../src/host/host.js';
import type { Command } from '../../src/os/process.js';
import type { Input, Output } from '../../src/os/streams.js';
import { toBytes } from '../../src/os/streams.js';
import type { System } from '../../src/os/system.js';
import type { Terminal } from '../../src/shell/terminal.js';

interface Job {
  readonly n: number;
  readonly pid: number;
  readonly text: string;
  done: boolean;
  reported: boolean;
  status: number;
}

export class FakeTerminal implements Terminal {
  readonly host: Host;
  readonly history: string[] = [];
  alive = true;
  readonly #system: System;
  readonly #listeners: ((text: string) => void)[] = [];
  readonly #jobs: Job[] = [];
  #fg: Job | undefined;
  readonly #lines: (string | null)[] = [];
  #reader: ((v: Uint8Array | null) => void) | undefined;

  readonly #user: string;

  constructor(system: System, host: Host, user = 'root') {
    this.#system = system;
    this.host = host;
    this.#user = user;
  }

  get prompt(): string {
    return this.#user === 'root'
      ? `root@${this.host.name}:~# `
      : `${this.#user}@${this.host.name}:~$ `;
  }

  get atPrompt(): boolean {
    return this.#fg === undefined;
  }

  get reading(): boolean {
    return this.#reader !== undefined;
  }

  onOutput(listener: (text: string) => void): void {
    this.#listeners.push(listener);
  }

  typeLine(text: string): void {
    if (this.#fg !== undefined) {
      this.#lines.push(`${text}\n`);
      this.#deliver();
      return;
    }
    if (text.trim() !== '') this.history.push(text);
    this.#run(text.trim());
    this.#notify();
  }

  interrupt(): void {
    // As bash: a newline after the tty's ^C, at the prompt or when the job dies of it.
    if (this.#fg !== undefined) this.#system.kill(this.host, this.#fg.pid, 'SIGINT');
    this.#show('\n');
  }

  endOfFile(): void {
    if (this.#fg === undefined) {
      this.#show('exit\n');
      this.alive = false;
      return;
    }
    this.#lines.push(null);
    this.#deliver();
  }

  #show(text: string): void {
    for (const l of this.#listeners) l(text);
  }

  #deliver(): void {
    const reader = this.#reader;
    if (reader === undefined || this.#lines.length === 0) return;
    this.#reader = undefined;
    const line = this.#lines.shift() as string | null;
    reader(line === null ? null : toBytes(line));
    this.#system.wake();
  }

  #notify(): void {
    for (const j of this.#jobs) {
      if (j.done && !j.reported && j !== this.#fg) {
        j.reported = true;
        const what = j.status === 0 ? 'Done' : j.status === 143 ? 'Terminated' : `Exit ${j.status}`;
        this.#show(`[${j.n}]+  ${what.padEnd(24)}${j.text}\n`);
      }
    }
  }

  #run(line: string): void {
    if (line === '') return;
    const background = line.endsWith('&');
    const text = background ? line.slice(0, -1).trim() : line;
    const argv = text.split(/\s+/);
    const name = argv[0] as string;
    switch (name) {
      case 'exit':
        this.alive = false;
        return;
      case 'jobs':
        for (const j of this.#jobs) {
          if (!j.done) this.#show(`[${j.n}]+  ${'Running'.padEnd(24)}${j.text} &\n`);
        }
        return;
      case 'kill': {
        const j = this.#job(argv[1]);
        if (j !== undefined) this.#system.kill(this.host, j.pid, 'SIGTERM');
        return;
      }
      case 'fg': {
        const j = this.#job(argv[1]) ?? this.#jobs.filter((x) => !x.done).at(-1);
        if (j === undefined) {
          this.#show('-bash: fg: current: no such job\n');
          return;
        }
        this.#show(`${j.text}\n`);
        this.#fg = j;
        return;
      }
    }
    const command: Command | undefined = this.#system.command(name);
    if (command === undefined) {
      this.#show(`-bash: ${name}: command not found\n`);
      return;
    }
    const screen: Output = {
      write: (d) => this.#show(typeof d === 'string' ? d : new TextDecoder().decode(d)),
      close: () => {},
      isTerminal: true,
    };
    const tty: Input = {
      read: () =>
        new Promise((resolve) => {
          this.#reader = resolve;
          this.#deliver();
        }),
      close: () => {
        const r = this.#reader;
        this.#reader = undefined;
        r?.(null);
      },
      isTerminal: true,
    };
    const p = this.#system.spawn(this.host, command, {
      argv,
      stdin: tty,
      stdout: screen,
      stderr: screen,
    });
    const job: Job = {
      n: this.#jobs.length + 1,
      pid: p.pid,
      text,
      done: false,
      reported: false,
      status: 0,
    };
    this.#jobs.push(job);
    void p.exited.then((status) => {
      job.done = true;
      job.status = status;
      if (this.#fg === job) {
        this.#fg = undefined;
        job.reported = true;
        this.#lines.length = 0;
      }
      this.#system.wake();
    });
    if (background) this.#show(`[${job.n}] ${p.pid}\n`);
    else this.#fg = job;
  }

  #job(spec: string | undefined): Job | undefined {
    if (spec === undefined || !spec.startsWith('%')) return undefined;
    return this.#jobs.find((j) => j.n === Number(spec.slice(1)));
  }
}

export function openFakeTerminal(system: System, host: Host, options?: { user: string }): Terminal {
  return new FakeTerminal(system, host, options?.user ?? 'root');
}
