/**
 * The files of a virtual host: an in-memory tree for what commands write
 * (`tcpdump -w x.pcap`, `echo … > f`, `iptables-save > rules`) and the
 * kernel's files that tools read: /proc/sys (the host's sysctl table, written
 * and read as Linux's proc_sysctl does), /proc/net (procnet.ts: tcp, sockstat,
 * snmp, netstat, made when read), /etc/hostname, /etc/hosts. The lab
 * runner's `--out DIR` copies the tree (`files()`).
 *
 * Errors are values carrying the errno and the C library's strerror text, which
 * is what commands print (`cat: x: No such file or directory`).
 */

import type { Host } from '../host/host.js';
import { formatIpv4Address } from '../wire/address.js';
import type { ProcessSystem } from './process.js';
import { PROC_NET_FILES, procNetFile } from './procnet.js';

export type FsErrno = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'EINVAL' | 'EACCES' | 'EPERM';

const STRERROR: Readonly<Record<FsErrno, string>> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
};

export class FsError {
  readonly errno: FsErrno;
  readonly message: string;
  constructor(errno: FsErrno) {
    this.errno = errno;
    this.message = STRERROR[errno];
  }
}

export type FsResult<T> = T | FsError;

/** A regular file, a directory, or a character device (`/dev/null`: `test -f` is false for it). */
export type FileKind = 'file' | 'directory' | 'device';

interface Dir {
  readonly kind: 'directory';
  readonly entries: Map<string, Node>;
}

interface File {
  readonly kind: 'file';
  data: Uint8Array;
}

type Node = Dir | File;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function dir(): Dir {
  return { kind: 'directory', entries: new Map() };
}

/** Splits a path into its names, resolving `.` and `..` against `cwd`. */
export function resolvePath(path: string, cwd: string): string[] {
  const full = path.startsWith('/') ? path : `${cwd}/${path}`;
  const out: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

export class HostFs {
  readonly #host: Host;
  /** The processes, for the sockets /proc/net lists with no connection yet. */
  readonly #system: ProcessSystem | undefined;
  readonly #root: Dir = dir();

  constructor(host: Host, system?: ProcessSystem) {
    this.#host = host;
    this.#system = system;
    for (const d of ['root', 'tmp', 'etc', 'var/log', 'proc', 'dev']) this.mkdirs(`/${d}`);
  }

  mkdirs(path: string): FsResult<undefined> {
    let d = this.#root;
    for (const name of resolvePath(path, '/')) {
      let next = d.entries.get(name);
      if (next === undefined) {
        next = dir();
        d.entries.set(name, next);
      }
      if (next.kind !== 'directory') return new FsError('ENOTDIR');
      d = next;
    }
    return undefined;
  }

  /** What `path` is, or ENOENT. */
  stat(path: string, cwd = '/root'): FsResult<FileKind> {
    const names = pathNames(path, cwd);
    if (names instanceof FsError) return names;
    const proc = this.#procSys(names);
    if (proc !== undefined) return proc;
    if (names.length === 2 && names[0] === 'proc' && names[1] === 'net') return 'directory';
    if (isDevNull(names)) return 'device';
    const special = this.#special(names);
    if (special !== undefined) return 'file';
    const n = this.#lookup(names);
    return n instanceof FsError ? n : n.kind;
  }

  readFile(path: string, cwd = '/root'): FsResult<Uint8Array> {
    const names = pathNames(path, cwd);
    if (names instanceof FsError) return names;
    const key = this.#sysctlName(names);
    if (key !== undefined) {
      if (this.#host.sysctl.has(key)) {
        const r = this.#host.sysctl.read(key);
        return r.ok ? encoder.encode(`${r.value}\n`) : new FsError(r.error.code);
      }
      if (this.#procSys(names) === 'directory') return new FsError('EISDIR');
      return new FsError('ENOENT');
    }
    // Reading /dev/null gives end of file at once (drivers/char/mem.c read_null).
    if (isDevNull(names)) return new Uint8Array(0);
    const special = this.#special(names);
    if (special !== undefined) return encoder.encode(special);
    if (names.length === 2 && names[0] === 'proc' && names[1] === 'net')
      return new FsError('EISDIR');
    const n = this.#lookup(names);
    if (n instanceof FsError) return n;
    if (n.kind === 'directory') return new FsError('EISDIR');
    return n.data;
  }

  readText(path: string, cwd = '/root'): FsResult<string> {
    const r = this.readFile(path, cwd);
    return r instanceof FsError ? r : decoder.decode(r);
  }

  /**
   * Writes (or appends to) a file. A /proc/sys file takes the value as the
   * kernel parses it (EINVAL for a malformed one, as `echo x >` reports).
   */
  writeFile(
    path: string,
    data: string | Uint8Array,
    options: { cwd?: string; append?: boolean } = {},
  ): FsResult<undefined> {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const names = pathNames(path, options.cwd ?? '/root');
    if (names instanceof FsError) return names;
    const key = this.#sysctlName(names);
    if (key !== undefined) {
      if (!this.#host.sysctl.has(key)) {
        return new FsError(this.#procSys(names) === 'directory' ? 'EISDIR' : 'ENOENT');
      }
      const r = this.#host.sysctl.write(key, decoder.decode(bytes));
      return r.ok ? undefined : new FsError(r.error.code);
    }
    if (names.length === 0) return new FsError('EISDIR');
    if (names[0] === 'proc' || names[0] === 'dev') {
      if (isDevNull(names)) return undefined;
      return new FsError('EACCES');
    }
    const parent = this.#lookup(names.slice(0, -1));
    if (parent instanceof FsError) return parent;
    if (parent.kind !== 'directory') return new FsError('ENOTDIR');
    const name = names[names.length - 1] as string;
    const existing = parent.entries.get(name);
    if (existing?.kind === 'directory') return new FsError('EISDIR');
    if (existing !== undefined && options.append === true) {
      const joined = new Uint8Array(existing.data.length + bytes.length);
      joined.set(existing.data);
      joined.set(bytes, existing.data.length);
      existing.data = joined;
    } else {
      parent.entries.set(name, { kind: 'file', data: bytes.slice() });
    }
    return undefined;
  }

  unlink(path: string, cwd = '/root'): FsResult<undefined> {
    const names = pathNames(path, cwd);
    if (names instanceof FsError) return names;
    const parent = this.#lookup(names.slice(0, -1));
    if (parent instanceof FsError) return parent;
    if (parent.kind !== 'directory') return new FsError('ENOTDIR');
    const name = names[names.length - 1] as string;
    const n = parent.entries.get(name);
    if (n === undefined) return new FsError('ENOENT');
    if (n.kind === 'directory') return new FsError('EISDIR');
    parent.entries.delete(name);
    return undefined;
  }

  /** The names in a directory, sorted. */
  list(path: string, cwd = '/root'): FsResult<string[]> {
    const names = pathNames(path, cwd);
    if (names instanceof FsError) return names;
    if (names.length === 2 && names[0] === 'proc' && names[1] === 'net') return [...PROC_NET_FILES];
    if (this.#procSys(names) === 'directory') {
      const prefix = names.slice(2).join('.');
      const children = new Set<string>();
      for (const key of this.#host.sysctl.keys()) {
        if (prefix !== '' && !key.startsWith(`${prefix}.`)) continue;
        const rest = prefix === '' ? key : key.slice(prefix.length + 1);
        children.add(rest.split('.')[0] as string);
      }
      return [...children].sort();
    }
    const n = this.#lookup(names);
    if (n instanceof FsError) return n;
    if (n.kind !== 'directory') return new FsError('ENOTDIR');
    const out = [...n.entries.keys()];
    if (names.length === 1 && names[0] === 'proc') out.push('net', 'sys');
    if (names.length === 1 && names[0] === 'etc') out.push('hostname', 'hosts');
    return [...new Set(out)].sort();
  }

  /** Every regular file written by commands, with its absolute path (for `--out`). */
  files(): { path: string; data: Uint8Array }[] {
    const out: { path: string; data: Uint8Array }[] = [];
    const walk = (d: Dir, prefix: string): void => {
      for (const [name, n] of [...d.entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (n.kind === 'file') out.push({ path: `${prefix}/${name}`, data: n.data });
        else walk(n, `${prefix}/${name}`);
      }
    };
    walk(this.#root, '');
    return out;
  }

  #lookup(names: readonly string[]): FsResult<Node> {
    let n: Node = this.#root;
    for (const name of names) {
      if (n.kind !== 'directory') return new FsError('ENOTDIR');
      const next: Node | undefined = n.entries.get(name);
      if (next === undefined) return new FsError('ENOENT');
      n = next;
    }
    return n;
  }

  /** `net.ipv4.tcp_syncookies` for proc/sys/net/ipv4/tcp_syncookies. */
  #sysctlName(names: readonly string[]): string | undefined {
    if (names[0] !== 'proc' || names[1] !== 'sys' || names.length < 3) return undefined;
    return names.slice(2).join('.');
  }

  /** Whether a /proc/sys path is a directory or a file of the sysctl table. */
  #procSys(names: readonly string[]): FileKind | undefined {
    if (names[0] !== 'proc' || names[1] !== 'sys') return undefined;
    const key = names.slice(2).join('.');
    if (key === '') return 'directory';
    if (this.#host.sysctl.has(key)) return 'file';
    for (const k of this.#host.sysctl.keys()) if (k.startsWith(`${key}.`)) return 'directory';
    return undefined;
  }

  /** Files the system generates: /proc/net/*, /etc/hostname, /etc/hosts. */
  #special(names: readonly string[]): string | undefined {
    if (names.length === 3 && names[0] === 'proc' && names[1] === 'net') {
      return procNetFile(names[2] as string, this.#host, this.#system);
    }
    const path = names.join('/');
    if (path === 'etc/hostname') return `${this.#host.name}\n`;
    if (path === 'etc/hosts') {
      let text = '';
      for (const [name, addr] of this.#host.etcHosts) {
        text += `${formatIpv4Address(addr)}\t${name}\n`;
      }
      return text;
    }
    return undefined;
  }
}

function isDevNull(names: readonly string[]): boolean {
  return names.length === 2 && names[0] === 'dev' && names[1] === 'null';
}

/** A path's names; an empty path names no file (path_lookupat: ENOENT), not the working directory. */
function pathNames(path: string, cwd: string): string[] | FsError {
  return path === '' ? new FsError('ENOENT') : resolvePath(path, cwd);
}
