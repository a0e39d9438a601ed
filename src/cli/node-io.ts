/**
 * The real machine, as a tool sees it: files, standard output, the local time
 * zone and the interface names. Only the CLI uses this; labs give tools a
 * virtual host instead.
 */

import { readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { ToolIO } from '../tools/tcpdump.js';

/** strerror() texts for the errno codes a file operation commonly meets. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
};

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return STRERROR[code] ?? (err as Error).message;
}

/** A short sleep for a full non-blocking pipe, without a timer or a busy loop. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Where writeAll encodes text of up to a third of its size (a tool's output chunk fits). */
const scratch = Buffer.allocUnsafe(1 << 20);

/**
 * Writes all of `text` to a file descriptor, synchronously: tools print in
 * order with their exit status, like C programs writing to stdout. (Measured: a
 * third faster than process.stdout for tcpdump's megabytes of text.) A reader
 * that went away (EPIPE, `| head`) ends the process quietly, as SIGPIPE ends
 * the C tools.
 */
function writeAll(fd: number, text: string): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; tools write in chunks that fit
  // the scratch buffer, so encoding reuses it instead of allocating each time.
  let bytes: Buffer;
  let size: number;
  if (text.length * 3 <= scratch.length) {
    bytes = scratch;
    size = scratch.write(text, 0, 'utf8');
  } else {
    bytes = Buffer.from(text, 'utf8');
    size = bytes.length;
  }
  let done = 0;
  while (done < size) {
    try {
      done += writeSync(fd, bytes, done, size - done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      else if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      else throw err;
    }
  }
}

/** Text to stdout, in order, quietly ending the process when the reader went away. */
export function writeStdout(text: string): void {
  writeAll(1, text);
}

/** Text to stderr, as writeStdout. */
export function writeStderr(text: string): void {
  writeAll(2, text);
}

/**
 * hosts(5): `address name [aliases…]` per line, `#` starts a comment. Maps each
 * IPv4 address to the name on its first line, as glibc's files backend answers
 * gethostbyaddr().
 */
export function parseEtcHosts(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [address, name] = line.replace(/#.*/, '').trim().split(/\s+/);
    const q = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address ?? '');
    if (!q || !name) continue;
    const bytes = q.slice(1).map(Number);
    if (bytes.some((b) => b > 255)) continue;
    const addr = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (!names.has(addr)) names.set(addr, name);
  }
  return names;
}

export class NodeIO implements ToolIO {
  private ifNames: Map<number, string> | undefined;
  private hosts: Map<number, string> | undefined;

  readFile(path: string): Uint8Array | { error: string } {
    try {
      const buf = readFileSync(path === '-' ? 0 : path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      return { error: errnoText(err) };
    }
  }

  writeFile(path: string, bytes: Uint8Array): { error: string } | undefined {
    try {
      writeFileSync(path === '-' ? 1 : path, bytes);
      return undefined;
    } catch (err) {
      return { error: errnoText(err) };
    }
  }

  stdout(text: string): void {
    writeAll(1, text);
  }

  stderr(text: string): void {
    writeAll(2, text);
  }

  tzOffsetSeconds(epochSec: number): number {
    return -new Date(epochSec * 1000).getTimezoneOffset() * 60;
  }

  /**
   * gethostbyaddr() through the "files" source only: the first name /etc/hosts
   * gives the address. No name server is asked (a lab machine has none), so an
   * address /etc/hosts does not list prints as numbers, as tcpdump prints it
   * when the lookup fails.
   */
  hostName(ipv4: number): string | undefined {
    if (!this.hosts) {
      let text = '';
      try {
        text = readFileSync('/etc/hosts', 'utf8');
      } catch {
        // No /etc/hosts: every lookup fails.
      }
      this.hosts = parseEtcHosts(text);
    }
    return this.hosts.get(ipv4);
  }

  /** Linux's if_indextoname(), read from /sys/class/net. */
  interfaceName(ifIndex: number): string | undefined {
    if (!this.ifNames) {
      this.ifNames = new Map();
      try {
        for (const name of readdirSync('/sys/class/net')) {
          const index = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
          if (Number.isInteger(index)) this.ifNames.set(index, name);
        }
      } catch {
        // Not Linux, or no sysfs: every index stays unnamed, as if_indextoname fails.
      }
    }
    return this.ifNames.get(ifIndex);
  }
}
