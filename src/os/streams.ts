/**
 * Standard input and output of the processes on a virtual host: pipes, the
 * reading end of a string, a collecting output, the null device. A terminal
 * (the shell's) implements the same two interfaces.
 *
 * Reads return promises that the runtime settles (system.ts): whoever resolves
 * one calls `wake`, so the driver lets the reader run before the next
 * simulation event. Writes never block: a pipe buffers without bound (no
 * process here writes enough for a 64 KiB pipe to matter).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

export function toText(data: Uint8Array): string {
  return decoder.decode(data);
}

/** A process's standard input. */
export interface Input {
  /**
   * The next bytes available (a terminal gives one line with its '\n'), or
   * null at end of file. One read at a time: keep the promise of an unfinished
   * read (for example across a `Promise.race` with a socket) instead of asking
   * again, or the second read takes the next line.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Closes this reading end (its process exited): a read still outstanding
   * ends with null and consumes nothing, so the next reader of the same
   * source (a terminal's next foreground job) gets the next data.
   */
  close(): void;
  /** The terminal, for isatty(0). */
  readonly isTerminal: boolean;
}

/** A process's standard output or error. */
export interface Output {
  write(data: string | Uint8Array): void;
  /** The last writer went away: the reader sees end of file. */
  close(): void;
  readonly isTerminal: boolean;
}

/** Something that must run before the next simulation event (the runtime's wake-up). */
export type Wake = () => void;

/** Reads lines from an Input, keeping what follows the last newline. */
export class LineReader {
  readonly #input: Input;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #eof = false;
  #pending: Promise<Uint8Array | null> | undefined;

  constructor(input: Input) {
    this.#input = input;
  }

  /**
   * The next line without its '\n'; a last line without one is returned at end
   * of file; null after that. Like Input.read, one call at a time.
   */
  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      if (this.#eof) {
        if (this.#buffer === '') return null;
        const line = this.#buffer;
        this.#buffer = '';
        return line;
      }
      this.#pending ??= this.#input.read();
      const chunk = await this.#pending;
      this.#pending = undefined;
      if (chunk === null) this.#eof = true;
      else this.#buffer += this.#decoder.decode(chunk, { stream: true });
    }
  }

  /** Everything up to end of file. */
  async readAll(): Promise<string> {
    let text = '';
    for (;;) {
      const line = await this.readLine();
      if (line === null) return text;
      text += `${line}\n`;
    }
  }
}

/**
 * A pipe: `write` on one end, `read` on the other. End of file once the
 * writing end is closed and the buffer is empty.
 */
export class Pipe {
  readonly #wake: Wake;
  readonly #chunks: Uint8Array[] = [];
  #writerClosed = false;
  #readerClosed = false;
  #reader: ((chunk: Uint8Array | null) => void) | undefined;

  readonly input: Input;
  readonly output: Output;

  constructor(wake: Wake) {
    this.#wake = wake;
    this.input = {
      read: () => this.#read(),
      close: () => {
        this.#readerClosed = true;
        this.#chunks.length = 0;
        const reader = this.#reader;
        this.#reader = undefined;
        reader?.(null);
      },
      isTerminal: false,
    };
    this.output = {
      write: (data) => this.#write(toBytes(data)),
      close: () => {
        this.#writerClosed = true;
        this.#deliver();
      },
      isTerminal: false,
    };
  }

  #read(): Promise<Uint8Array | null> {
    if (this.#reader !== undefined) throw new Error('pipe: a read is already waiting');
    return new Promise((resolve) => {
      this.#reader = resolve;
      this.#deliver();
    });
  }

  #write(bytes: Uint8Array): void {
    if (this.#readerClosed || this.#writerClosed || bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#deliver();
  }

  #deliver(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    if (this.#chunks.length > 0) {
      this.#reader = undefined;
      reader(concat(this.#chunks.splice(0)));
      this.#wake();
    } else if (this.#writerClosed) {
      this.#reader = undefined;
      reader(null);
      this.#wake();
    }
  }
}

/** The chunks' bytes one after the other (the chunk itself when there is one). */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Standard input from a fixed text: its bytes, then end of file (`cmd <<< text`, tests). */
export function textInput(text: string): Input {
  let data: Uint8Array | null = text === '' ? null : toBytes(text);
  return {
    read: async () => {
      const d = data;
      data = null;
      return d;
    },
    close: () => {
      data = null;
    },
    isTerminal: false,
  };
}

/** /dev/null as standard input: end of file at once. */
export const NULL_INPUT: Input = textInput('');

/** /dev/null as an output. */
export const NULL_OUTPUT: Output = { write: () => {}, close: () => {}, isTerminal: false };

/** An output that keeps what is written, as text (tests, command substitution). */
export class CollectOutput implements Output {
  readonly isTerminal: boolean;
  #text = '';

  constructor(options: { isTerminal?: boolean } = {}) {
    this.isTerminal = options.isTerminal ?? false;
  }

  write(data: string | Uint8Array): void {
    this.#text += typeof data === 'string' ? data : toText(data);
  }

  close(): void {}

  get text(): string {
    return this.#text;
  }

  /** Returns what was written since the last take. */
  take(): string {
    const t = this.#text;
    this.#text = '';
    return t;
  }
}
