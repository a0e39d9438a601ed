/**
 * What the small Unix commands share: GNU's usage-error format, reading
 * standard input and files of the host, writing with write errors reported.
 * Messages are those of coreutils 9.1 / grep 3.8 in the C locale (straight
 * quotes), as Debian 12 prints them with LANG unset.
 */

import { FsError } from '../../os/fs.js';
import type { Proc } from '../../os/process.js';
import { concat, LineReader, toText } from '../../os/streams.js';
import { takeWriteError } from '../../shell/io.js';
import { getoptLong, type LongOption, type ParsedArgs } from '../getopt.js';

/** The program name as GNU tools print it: argv[0] as invoked (`/bin/echo: write error: …`). */
export function progName(proc: Proc, fallback: string): string {
  return proc.argv[0] || fallback;
}

/** `NAME: MESSAGE` then `Try 'NAME --help' for more information.` (lib/ usage(EXIT_FAILURE)). */
export function usage(proc: Proc, name: string, message: string | undefined, status = 1): number {
  if (message !== undefined) proc.stderr.write(`${name}: ${message}\n`);
  proc.stderr.write(`Try '${name} --help' for more information.\n`);
  return status;
}

/** getopt_long with GNU's error handling: the parsed arguments, or the exit status after the message. */
export function options(
  proc: Proc,
  name: string,
  short: string,
  long: readonly LongOption[] = [],
  status = 1,
): ParsedArgs | number {
  const r = getoptLong(proc.argv.slice(1), { short, long });
  if (!r.ok) return usage(proc, name, r.error.message, status);
  return r.args;
}

/** Writes to standard output; false (after `NAME: write error: …`) when the write failed. */
export function write(proc: Proc, name: string, text: string | Uint8Array): boolean {
  proc.stdout.write(text);
  const e = takeWriteError(proc.stdout);
  if (e !== undefined) {
    proc.stderr.write(`${name}: write error: ${e}\n`);
    return false;
  }
  return true;
}

/** A file's text, or the strerror text. `-` is standard input. */
export async function readSource(proc: Proc, path: string): Promise<string | FsError> {
  if (path === '-') return new LineReader(proc.stdin).readAll().then((t) => t);
  const r = proc.fs.readFile(path, proc.cwd);
  if (r instanceof FsError) return r;
  return toText(r);
}

/** All of standard input, as raw text (keeps a last line without its newline). */
export async function readStdin(proc: Proc): Promise<string> {
  return new TextDecoder().decode(await readStdinBytes(proc));
}

/** The whole standard input, as the bytes that came. */
export async function readStdinBytes(proc: Proc): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await proc.stdin.read(); chunk !== null; chunk = await proc.stdin.read()) {
    chunks.push(chunk);
  }
  return concat(chunks);
}

/** Reads a file operand (or `-`) as text. */
export async function readInput(proc: Proc, path: string): Promise<string | FsError> {
  if (path === '-') return readStdin(proc);
  const r = proc.fs.readFile(path, proc.cwd);
  return r instanceof FsError ? r : toText(r);
}

/** Splits text into lines, each without its '\n'; a last line without one counts. */
export function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (text.endsWith('\n')) out.pop();
  return out;
}

/** Calls `fn` on each line of standard input as it arrives (grep in a pipeline), then at EOF. */
export async function eachStdinLine(
  proc: Proc,
  fn: (line: string) => boolean | undefined,
): Promise<void> {
  const r = new LineReader(proc.stdin);
  for (let line = await r.readLine(); line !== null; line = await r.readLine()) {
    if (fn(line) === false) return;
  }
}

/**
 * The same process seen with other arguments (`head -5` rewritten to `head -n 5`,
 * egrep as `grep -E`): methods still run on the real Process (its private state).
 */
export function withArgv(proc: Proc, argv: readonly string[]): Proc {
  return new Proxy(proc, {
    get(target, prop) {
      if (prop === 'argv') return argv;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const utf8 = new TextEncoder();

/**
 * Byte strings: text as the C tools see it in the C locale, one UTF-16 unit
 * per byte (0..255), made from the bytes that came and written out as those
 * bytes (awk, cut). Text (a JavaScript string, as the shell passes it) as a
 * byte string: its UTF-8 bytes.
 */
export function toByteString(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return bytesToByteString(utf8.encode(text));
}

/** Bytes as a byte string: one unit per byte. */
export function bytesToByteString(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) {
    out += String.fromCharCode(...b.subarray(i, Math.min(i + 8192, b.length)));
  }
  return out;
}

/** A byte string's bytes (for output). */
export function byteStringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A byte string as text (a path, a message): its bytes read as UTF-8. */
export function byteStringText(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s : new TextDecoder().decode(byteStringBytes(s));
}

/** Lines of `bytes` as byte strings, as lines() splits text. */
export function byteLines(bytes: Uint8Array): string[] {
  const all = bytesToByteString(bytes);
  if (all === '') return [];
  const out = all.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** eachStdinLine with the lines as byte strings (the bytes as they came, not decoded). */
export async function eachStdinByteLine(
  proc: Proc,
  fn: (line: string) => boolean | undefined,
): Promise<void> {
  let buffer = '';
  for (let chunk = await proc.stdin.read(); chunk !== null; chunk = await proc.stdin.read()) {
    buffer += bytesToByteString(chunk);
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n', start)) {
      const line = buffer.slice(start, nl);
      start = nl + 1;
      if (fn(line) === false) return;
    }
    buffer = buffer.slice(start);
  }
  if (buffer !== '') fn(buffer);
}

/** Control characters as quotearg.c writes them inside $'…'. */
const C_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/**
 * A file name as coreutils' messages show it (quotef: quotearg's shell-escape
 * style, colons quoted too): as it is when a shell would read it so, else in
 * single quotes (`'a b'`, `''`, `'a:b'`, `'#x'`), in double quotes when it
 * holds a single quote and nothing a double-quoted word would change
 * (`"it's"`), with `'\''` for a quote otherwise and `$'\n'` for a control
 * character. Checked against coreutils 9.1 (cat, wc, sort, uniq, cut).
 */
export function quotef(name: string): string {
  if (name !== '' && !/[\s"$&'()*;<=>?[\\^`|!:\x00-\x1f\x7f]|^[#~]/.test(name)) return name;
  if (!/[\x00-\x1f\x7f]/.test(name)) {
    if (name.includes("'") && !/["$`\\]/.test(name)) return `"${name}"`;
    return `'${name.replace(/'/g, "'\\''")}'`;
  }
  let out = '';
  let run = '';
  const flush = (): void => {
    if (run !== '') out += `'${run.replace(/'/g, "'\\''")}'`;
    run = '';
  };
  for (const c of name) {
    if (/[\x00-\x1f\x7f]/.test(c)) {
      flush();
      out += `$'${C_ESCAPES[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`}'`;
    } else run += c;
  }
  flush();
  return out;
}
