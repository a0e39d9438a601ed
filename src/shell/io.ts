/**
 * File descriptions as the shell hands them to its children. A Process
 * closes its stdin, stdout and stderr when it exits (do_exit), so a pipe or a
 * file shared by several processes (`(sleep 1; echo hi) | telnet …`, where the
 * subshell, sleep and echo all write into one pipe) must reach its reader's
 * end of file only when the last of them went away: every child gets its own
 * reference (`open()`), as dup(2)/fork(2) would give it, and the underlying
 * stream is closed when the last reference is.
 */

import { FsError, type HostFs } from '../os/fs.js';
import type { Input, Output } from '../os/streams.js';
import type { Job } from './jobs.js';

/** An output file description: references to hand to processes, and direct writes for builtins. */
export interface OutFd {
  /** A new reference for a child process (closed when it exits). */
  open(): Output;
  /** A write by the shell itself (a builtin). */
  write(data: string | Uint8Array): void;
  /** The error of the last write, as strerror text, taken (a /proc/sys file refusing a value). */
  takeError(): string | undefined;
  readonly isTerminal: boolean;
}

/** An input file description. `job` is the job of the reading process (terminal reads depend on it). */
export interface InFd {
  open(job: Job | undefined): Input;
  readonly isTerminal: boolean;
  /** Gives back bytes read past a line (the `read` builtin reads a line; a pipe keeps the rest). */
  unread?(data: Uint8Array): void;
}

const WRITE_ERROR = Symbol('writeError');
const OWNER = Symbol('owner');

interface Owned {
  [OWNER]?: number;
}

/** Says which process a reference from `OutFd.open()` belongs to (the pid SIGPIPE goes to). */
export function setOwner(out: Output, pid: number): void {
  (out as Owned)[OWNER] = pid;
}

interface WithWriteError {
  [WRITE_ERROR]?: () => string | undefined;
}

/**
 * The error of the last write to `out`, taken: how a command learns that its
 * write(2) failed (`echo x > /proc/sys/…`: EINVAL), since Output.write returns nothing.
 */
export function takeWriteError(out: Output): string | undefined {
  return (out as WithWriteError)[WRITE_ERROR]?.();
}

/** A pipe's reading side, as the writers see it: once nobody reads, a write gets SIGPIPE. */
export interface PipeReaders {
  readonly broken: () => boolean;
  readonly sigpipe: (pid: number) => void;
}

/** Reference-counted sharing of an Output. */
export class SharedOutput implements OutFd {
  readonly #target: Output & WithWriteError;
  readonly #readers: PipeReaders | undefined;
  /** The creator's reference counts: `release()` drops it once the children have theirs. */
  #refs = 1;
  #closed = false;

  constructor(target: Output, readers?: PipeReaders) {
    this.#target = target;
    this.#readers = readers;
  }

  get isTerminal(): boolean {
    return this.#target.isTerminal;
  }

  open(): Output {
    this.#refs++;
    let open = true;
    const view: Output & WithWriteError & Owned = {
      write: (data) => {
        if (!open) return;
        // pipe_write: no reader left → SIGPIPE to the writer (and EPIPE).
        const owner = view[OWNER];
        if (this.#readers?.broken() === true && owner !== undefined) {
          this.#readers.sigpipe(owner);
          return;
        }
        this.write(data);
      },
      close: () => {
        if (!open) return;
        open = false;
        this.#release();
      },
      isTerminal: this.#target.isTerminal,
      [WRITE_ERROR]: () => this.takeError(),
    };
    return view;
  }

  write(data: string | Uint8Array): void {
    if (!this.#closed) this.#target.write(data);
  }

  takeError(): string | undefined {
    return this.#target[WRITE_ERROR]?.();
  }

  /** Another holder of the description (a shell's table of file descriptors). */
  retain(): void {
    this.#refs++;
  }

  /** The creator is done with it (its children keep their own references). */
  release(): void {
    this.#release();
  }

  #release(): void {
    this.#refs--;
    if (this.#refs === 0) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#target.close();
  }
}

/**
 * Reference-counted sharing of an Input. A reader that goes away with a read
 * outstanding gets null, and what that read brings later is kept for the
 * next reader (as bytes left in a pipe are).
 */
export class SharedInput implements InFd {
  readonly #source: Input;
  /** The creator's reference counts, as for SharedOutput. */
  #refs = 1;
  #closed = false;
  #pending: Promise<Uint8Array | null> | undefined;
  readonly #stash: (Uint8Array | null)[] = [];
  readonly #waiting: ((v: Uint8Array | null) => void)[] = [];

  constructor(source: Input) {
    this.#source = source;
  }

  get isTerminal(): boolean {
    return this.#source.isTerminal;
  }

  open(_job?: Job): Input {
    this.#refs++;
    let open = true;
    let mine: ((v: Uint8Array | null) => void) | undefined;
    return {
      read: () =>
        new Promise<Uint8Array | null>((resolve) => {
          if (!open || this.#closed) {
            resolve(null);
            return;
          }
          if (this.#stash.length > 0) {
            resolve(this.#stash.shift() as Uint8Array | null);
            return;
          }
          mine = (v) => {
            mine = undefined;
            resolve(v);
          };
          this.#waiting.push(mine);
          this.#pull();
        }),
      close: () => {
        if (!open) return;
        open = false;
        if (mine !== undefined) {
          const i = this.#waiting.indexOf(mine);
          if (i >= 0) this.#waiting.splice(i, 1);
          mine(null);
        }
        this.#refs--;
        if (this.#refs === 0) this.#close();
      },
      isTerminal: this.#source.isTerminal,
    };
  }

  /** Another holder of the description (a shell's table of file descriptors). */
  retain(): void {
    this.#refs++;
  }

  release(): void {
    this.#refs--;
    if (this.#refs === 0) this.#close();
  }

  unread(data: Uint8Array): void {
    if (data.length > 0) this.#stash.unshift(data);
  }

  /** Every reference is gone: the source is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #pull(): void {
    if (this.#pending !== undefined) return;
    const p = this.#source.read();
    this.#pending = p;
    void p.then((v) => {
      this.#pending = undefined;
      const w = this.#waiting.shift();
      if (w !== undefined) w(v);
      else this.#stash.push(v);
      if (this.#waiting.length > 0) this.#pull();
    });
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.close();
  }
}

/** An output file description never closed by its users: the terminal, /dev/null. */
export class FixedOutput implements OutFd {
  readonly isTerminal: boolean;
  readonly #screen: Output;

  constructor(screen: Output) {
    this.#screen = screen;
    this.isTerminal = screen.isTerminal;
  }

  open(): Output {
    return this.#screen;
  }

  write(data: string | Uint8Array): void {
    this.#screen.write(data);
  }

  takeError(): undefined {
    return undefined;
  }
}

/** A fixed input (/dev/null, a here-string) that each reader reads from its start. */
export class ConstantInput implements InFd {
  readonly isTerminal = false;
  readonly #make: () => Input;

  constructor(make: () => Input) {
    this.#make = make;
  }

  open(): Input {
    return this.#make();
  }
}

/**
 * A file opened for writing by a redirection (`> f`, `>> f`): created or
 * truncated at open as open(2) with O_CREAT|O_TRUNC does; each write goes to
 * the host's files (a /proc/sys file parses each write as the kernel does).
 */
export class FileOutput implements Output {
  readonly isTerminal = false;
  readonly #fs: HostFs;
  readonly #path: string;
  readonly #cwd: string;
  #error: string | undefined;
  [WRITE_ERROR] = (): string | undefined => {
    const e = this.#error;
    this.#error = undefined;
    return e;
  };

  private constructor(fs: HostFs, path: string, cwd: string) {
    this.#fs = fs;
    this.#path = path;
    this.#cwd = cwd;
  }

  /** open(2) for writing: the file, or the strerror text of why not. */
  static open(
    fs: HostFs,
    path: string,
    cwd: string,
    append: boolean,
  ): FileOutput | { error: string } {
    if (isDevNull(path, cwd)) return new FileOutput(fs, '/dev/null', '/');
    const kind = fs.stat(path, cwd);
    if (kind === 'directory') return { error: 'Is a directory' };
    const procSys = path.startsWith('/proc/') || (cwd.startsWith('/proc') && !path.startsWith('/'));
    if (procSys) {
      if (kind instanceof FsError) return { error: kind.message };
    } else {
      // O_TRUNC (or O_APPEND): create the file now, empty or as it was.
      const r = fs.writeFile(path, '', { cwd, append: append || kind === 'file' });
      if (r instanceof FsError) return { error: r.message };
      if (!append) {
        const t = fs.writeFile(path, '', { cwd });
        if (t instanceof FsError) return { error: t.message };
      }
    }
    return new FileOutput(fs, path, cwd);
  }

  write(data: string | Uint8Array): void {
    const r = this.#fs.writeFile(this.#path, data, { cwd: this.#cwd, append: true });
    if (r instanceof FsError) this.#error = r.message;
  }

  close(): void {}
}

function isDevNull(path: string, cwd: string): boolean {
  return path === '/dev/null' || (cwd === '/dev' && path === 'null');
}
