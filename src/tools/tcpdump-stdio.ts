/**
 * C standard I/O buffering, as glibc 2.36 does it for tcpdump's stdout and its
 * `-w` file, because what a reader of a pipe or a file sees while tcpdump runs
 * (and what is lost when it is killed) depends on it:
 *
 * - a terminal is line-buffered (glibc: _IO_LINE_BUF when isatty);
 * - a pipe or a file is fully buffered in blocks of st_blksize bytes, 4096 for
 *   a pipe and for ext4 files: data leaves in whole 4096-byte blocks
 *   (_IO_new_file_xsputn fills the buffer, writes it, writes whole blocks
 *   directly, keeps the rest), the remainder only at fflush or exit;
 * - tcpdump `-l` makes stdout line-buffered (setlinebuf); `-U` flushes the
 *   `-w` file after every packet (pcap_dump_flush).
 *
 * What is still buffered when a process dies of SIGKILL is lost, as in C.
 */

import { toBytes } from '../os/streams.js';

/** glibc BUFSIZ-like block: st_blksize of a pipe (PIPE_BUF page) and of ext4 files. */
export const STDIO_BLOCK = 4096;

export type BufferMode = 'line' | 'full';

/** A FILE: bytes in, whole writes out to `sink`. */
export class StdioBuffer {
  readonly #sink: (bytes: Uint8Array) => void;
  readonly #mode: BufferMode;
  readonly #block: number;
  #chunks: Uint8Array[] = [];
  #length = 0;

  constructor(sink: (bytes: Uint8Array) => void, mode: BufferMode, block = STDIO_BLOCK) {
    this.#sink = sink;
    this.#mode = mode;
    this.#block = block;
  }

  /** Bytes written but not yet handed to the sink. */
  get buffered(): number {
    return this.#length;
  }

  write(data: string | Uint8Array): void {
    const bytes = toBytes(data);
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    if (this.#mode === 'line') {
      // _IO_LINE_BUF: everything up to the last newline written goes out.
      const nl = bytes.lastIndexOf(0x0a);
      if (nl >= 0) this.#emit(this.#length - (bytes.length - nl - 1));
      else if (this.#length >= this.#block) this.#emit(this.#length);
      return;
    }
    if (this.#length >= this.#block) {
      this.#emit(this.#length - (this.#length % this.#block));
    }
  }

  /** fflush. */
  flush(): void {
    if (this.#length > 0) this.#emit(this.#length);
  }

  /** Hands the first `n` buffered bytes to the sink, keeps the rest. */
  #emit(n: number): void {
    const all = concat(this.#chunks, this.#length);
    this.#sink(all.subarray(0, n));
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest.slice()] : [];
    this.#length = rest.length;
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
