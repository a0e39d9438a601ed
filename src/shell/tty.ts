/**
 * The terminal device under bash: a line discipline in canonical mode (typed
 * lines queue up and are read one per read(2), Ctrl-D ends a read with end
 * of file, Ctrl-C flushes the queue) and the screen (every write goes to the
 * listeners). Who may read is the foreground process group's business: a
 * background job that reads gets SIGTTIN and stops (tty_check_change in
 * drivers/tty/tty_io.c); here its read waits until the job is brought to the
 * foreground, and the job is marked Stopped for bash to report.
 */

import type { Input, Output } from '../os/streams.js';
import { toBytes } from '../os/streams.js';
import type { InFd } from './io.js';
import type { Job } from './jobs.js';

/** Who is reading: the shell itself (at its prompt), or a process of a job. */
type Owner = 'shell' | Job;

interface Reader {
  readonly owner: Owner;
  readonly resolve: (v: Uint8Array | null) => void;
}

/** A read that delivers this to the shell means Ctrl-C at the prompt. */
export const INTERRUPT_MARK = new Uint8Array(0);

export class Tty implements InFd {
  readonly isTerminal = true;
  readonly #listeners: ((text: string) => void)[] = [];
  /** Typed lines (with '\n'); null is a Ctrl-D. */
  readonly #queue: (string | null)[] = [];
  readonly #readers: Reader[] = [];
  readonly #wake: () => void;
  readonly #decoder = new TextDecoder();
  /** Called when a background job reads: it stops (SIGTTIN). */
  onBackgroundRead: (job: Job) => void = () => {};

  /** The screen, as an Output: closing it does nothing (the terminal outlives processes). */
  readonly output: Output = {
    write: (data) => this.#show(typeof data === 'string' ? data : this.#decoder.decode(data)),
    close: () => {},
    isTerminal: true,
  };

  constructor(wake: () => void) {
    this.#wake = wake;
  }

  onOutput(listener: (text: string) => void): void {
    this.#listeners.push(listener);
  }

  #show(text: string): void {
    if (text === '') return;
    for (const l of this.#listeners) l(text);
  }

  /** Whether the shell is blocked reading a command line. */
  get shellReading(): boolean {
    return this.#readers.some((r) => r.owner === 'shell');
  }

  /** Whether a foreground job's process waits on a read with nothing typed. */
  get jobReading(): boolean {
    return this.#queue.length === 0 && this.#readers.some((r) => r.owner !== 'shell');
  }

  typeLine(text: string): void {
    this.#queue.push(`${text}\n`);
    this.#deliver();
  }

  endOfFile(): void {
    this.#queue.push(null);
    this.#deliver();
  }

  /** ISIG: Ctrl-C discards what was typed and not yet read. */
  flush(): void {
    this.#queue.length = 0;
  }

  /** Ctrl-C at the prompt: the shell's read returns INTERRUPT_MARK. */
  interruptShell(): boolean {
    const i = this.#readers.findIndex((r) => r.owner === 'shell');
    if (i < 0) return false;
    const [r] = this.#readers.splice(i, 1);
    r?.resolve(INTERRUPT_MARK);
    this.#wake();
    return true;
  }

  open(job: Job | undefined): Input {
    const owner: Owner = job ?? 'shell';
    let open = true;
    let mine: Reader | undefined;
    return {
      read: () =>
        new Promise<Uint8Array | null>((resolve) => {
          if (!open) {
            resolve(null);
            return;
          }
          const start = (): void => {
            if (!open) {
              resolve(null);
              return;
            }
            mine = {
              owner,
              resolve: (v) => {
                mine = undefined;
                resolve(v);
              },
            };
            this.#readers.push(mine);
            this.#deliver();
          };
          if (owner !== 'shell' && !owner.foreground) {
            // SIGTTIN: the job stops until `fg` brings it to the foreground.
            this.onBackgroundRead(owner);
            owner.whenForeground(start);
          } else start();
        }),
      close: () => {
        if (!open) return;
        open = false;
        if (mine !== undefined) {
          const i = this.#readers.indexOf(mine);
          if (i >= 0) this.#readers.splice(i, 1);
          mine.resolve(null);
        }
      },
      isTerminal: true,
    };
  }

  #deliver(): void {
    while (this.#queue.length > 0 && this.#readers.length > 0) {
      const r = this.#readers.shift() as Reader;
      const line = this.#queue.shift() as string | null;
      r.resolve(line === null ? null : toBytes(line));
      this.#wake();
    }
  }
}
