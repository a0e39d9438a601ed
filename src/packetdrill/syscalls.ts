/**
 * The system calls of packetdrill scripts, on the host's fd API
 * (src/host/socket.ts), with packetdrill's argument conventions
 * (run_system_call.c): `...` for the address arguments packetdrill fills in
 * itself (bind to the local address and --bind_port 8080, connect to the
 * remote address and --connect_port 8080), `[v]` for a pointer to an int,
 * `{onoff=1, linger=5}` for struct linger, NULL for a null buffer.
 *
 * A call either returns now or gives a Pending the executor waits on; either
 * way its outcome is the return value and errno the script compares, and for
 * calls with output arguments (getsockopt, ioctl) a check of those.
 */

import {
  type Blocking,
  type Linger,
  O_NONBLOCK,
  Pending,
  SocketError,
  type SocketOption,
  type SocketTable,
} from '../host/socket.js';
import { errnoNumber, type SocketErrorCode } from '../host/socket-errors.js';
import type { Expr, SyscallAction } from './ast.js';

/** What a call returned: packetdrill compares `ret` and `errno` with the script. */
export interface Outcome {
  readonly ret: number;
  readonly errno: SocketErrorCode | undefined;
  /** Why an output argument differs from the script's, if it does. */
  readonly mismatch?: string;
}

/** The executor's side of a call: the fd table and what it learns from calls. */
export interface SyscallHost {
  readonly sockets: SocketTable;
  readonly localIp: number;
  readonly remoteIp: number;
  readonly bindPort: number;
  readonly connectPort: number;
  /** A socket() call made `fd`. */
  opened(fd: number): void;
  /** listen() succeeded on `fd`. */
  listened(fd: number): void;
  /** connect() was called on `fd` (its 4-tuple now exists). */
  connected(fd: number): void;
  /** accept() returned `fd` for the connection from `remotePort`. */
  accepted(fd: number, remotePort: number): void;
}

export type Invocation =
  | { readonly kind: 'now'; readonly outcome: Outcome }
  | { readonly kind: 'pending'; readonly pending: Pending<Outcome> }
  | { readonly kind: 'error'; readonly error: string };

/** Symbols of <sys/socket.h>, <netinet/tcp.h>, <fcntl.h>, <poll.h> that scripts use, Linux values. */
const SYMBOLS: Readonly<Record<string, number>> = {
  AF_INET: 2,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  IPPROTO_TCP: 6,
  SOL_SOCKET: 1,
  SOL_TCP: 6,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0o4000,
  F_GETFL: 3,
  F_SETFL: 4,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  MSG_MORE: 0x8000,
  MSG_DONTWAIT: 0x40,
  MSG_PEEK: 0x2,
  POLLIN: 0x001,
  POLLPRI: 0x002,
  POLLOUT: 0x004,
  POLLERR: 0x008,
  POLLHUP: 0x010,
  POLLNVAL: 0x020,
  POLLRDNORM: 0x040,
  POLLWRNORM: 0x100,
  POLLRDHUP: 0x2000,
};

const SOCKET_OPTIONS = new Set<string>([
  'SO_REUSEADDR',
  'SO_KEEPALIVE',
  'SO_LINGER',
  'SO_ERROR',
  'SO_SNDBUF',
  'SO_RCVBUF',
  'TCP_NODELAY',
  'TCP_MAXSEG',
  'TCP_CORK',
  'TCP_USER_TIMEOUT',
  'TCP_KEEPIDLE',
  'TCP_KEEPINTVL',
  'TCP_KEEPCNT',
  'TCP_LINGER2',
  'TCP_SYNCNT',
  'TCP_NOTSENT_LOWAT',
  'TCP_QUICKACK',
  'TCP_DEFER_ACCEPT',
]);

class ArgError extends Error {}

/** Linux MAX_RW_COUNT (INT_MAX & PAGE_MASK): what one read or write moves at most. */
const MAX_RW_COUNT = 0x7ffff000;
const INT_MAX = 0x7fffffff;

/**
 * The byte count of a read or write as the kernel takes it: a negative count
 * is a size_t above SSIZE_MAX, refused by read/write (rw_verify_area: EINVAL);
 * send and recv cap it at INT_MAX (__sys_sendto, __sys_recvfrom) and then
 * fault on a buffer that short (EFAULT). A large count is capped the same
 * ways (vfs_read/vfs_write: MAX_RW_COUNT).
 */
function ioCount(name: string, count: number): number | { ret: number; errno: SocketErrorCode } {
  const readOrWrite = name === 'read' || name === 'write';
  if (count < 0) return { ret: -1, errno: readOrWrite ? 'EINVAL' : 'EFAULT' };
  return Math.min(count, readOrWrite ? MAX_RW_COUNT : INT_MAX);
}

/** The integer an expression stands for: a number, a known symbol, an errno name, or A|B. */
export function intValue(e: Expr): number {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'symbol': {
      const v = SYMBOLS[e.name];
      if (v !== undefined) return v;
      try {
        return errnoNumber(e.name as SocketErrorCode);
      } catch {
        throw new ArgError(`unknown symbol ${e.name} at column ${e.loc.col}`);
      }
    }
    case 'or':
      return intValue(e.left) | intValue(e.right);
    case 'list':
      if (e.items.length === 1) return intValue(e.items[0]!);
      throw new ArgError(`expected [value] at column ${e.loc.col}`);
    default:
      throw new ArgError(`expected an integer at column ${e.loc.col}`);
  }
}

function arg(call: SyscallAction, i: number): Expr {
  const a = call.args[i];
  if (a === undefined) throw new ArgError(`${call.name}() needs at least ${i + 1} arguments`);
  return a;
}

function symbolName(e: Expr): string {
  if (e.kind !== 'symbol') throw new ArgError(`expected a name at column ${e.loc.col}`);
  return e.name;
}

function ok(ret: number): Outcome {
  return { ret, errno: undefined };
}

function fromError(e: SocketError): Outcome {
  return { ret: -1, errno: e.code };
}

/** A SysResult / Blocking of the fd API as an invocation. */
function wrap<T>(r: Blocking<T>, map: (v: T) => Outcome): Invocation {
  if (r instanceof Pending) {
    const p = new Pending<Outcome>();
    r.onSettled((v) => p.settle(v instanceof SocketError ? fromError(v) : map(v)));
    return { kind: 'pending', pending: p };
  }
  return { kind: 'now', outcome: r instanceof SocketError ? fromError(r) : map(r) };
}

function now(outcome: Outcome): Invocation {
  return { kind: 'now', outcome };
}

/** Runs one system call of the script. */
export function invoke(h: SyscallHost, call: SyscallAction): Invocation {
  try {
    return dispatch(h, call);
  } catch (e) {
    if (e instanceof ArgError) return { kind: 'error', error: e.message };
    throw e;
  }
}

function dispatch(h: SyscallHost, call: SyscallAction): Invocation {
  const so = h.sockets;
  const fd = (): number => intValue(arg(call, 0));
  switch (call.name) {
    case 'socket': {
      const type = intValue(arg(call, 1));
      if ((type & 0xf) !== SYMBOLS.SOCK_STREAM) throw new ArgError('only SOCK_STREAM sockets');
      const n = so.socket({ nonBlocking: (type & SYMBOLS.SOCK_NONBLOCK!) !== 0 });
      h.opened(n);
      return now(ok(n));
    }
    case 'bind':
      return wrap(so.bind(fd(), h.localIp, h.bindPort), ok);
    case 'listen': {
      const f = fd();
      const r = so.listen(f, intValue(arg(call, 1)));
      if (!(r instanceof SocketError)) h.listened(f);
      return wrap(r, ok);
    }
    case 'accept':
    case 'accept4':
      return wrap(so.accept(fd()), (a) => {
        h.accepted(a.fd, a.port);
        return ok(a.fd);
      });
    case 'connect': {
      const f = fd();
      const r = so.connect(f, h.remoteIp, h.connectPort);
      if (so.file(f)?.sock !== undefined) h.connected(f);
      return wrap(r, ok);
    }
    case 'read':
    case 'recv':
    case 'recvfrom': {
      const f = fd();
      const len = ioCount(call.name, intValue(arg(call, 2)));
      if (typeof len !== 'number') return now(len);
      if (arg(call, 1).kind === 'null') {
        // tcp_recvmsg copies into the user's buffer: with data waiting, a NULL
        // buffer faults (skb_copy_datagram_msg → -EFAULT).
        const inq = so.ioctl(f, 'SIOCINQ');
        if (typeof inq === 'number' && inq > 0 && len > 0) return now({ ret: -1, errno: 'EFAULT' });
      }
      return wrap(so.read(f, len), (b) => ok(b.length));
    }
    case 'write':
    case 'send':
    case 'sendto': {
      const f = fd();
      const len = ioCount(call.name, intValue(arg(call, 2)));
      if (typeof len !== 'number') return now(len);
      const flags = call.name === 'write' ? 0 : intValue(arg(call, 3));
      if (arg(call, 1).kind === 'null' && len > 0) {
        // tcp_sendmsg_locked: the state checks come first (EPIPE, ENOTCONN),
        // then copying from the user's buffer faults.
        const file = so.file(f);
        const conn = file?.sock?.conn;
        if (
          file !== undefined &&
          conn !== undefined &&
          !conn.sendShutdown &&
          conn.error === undefined
        ) {
          return now({ ret: -1, errno: 'EFAULT' });
        }
      }
      let data: Uint8Array;
      try {
        data = new Uint8Array(len);
      } catch {
        throw new ArgError(`${call.name}: cannot allocate a buffer of ${len} bytes`);
      }
      return wrap(so.send(f, data, { more: (flags & SYMBOLS.MSG_MORE!) !== 0 }), ok);
    }
    case 'shutdown': {
      const how = symbolName(arg(call, 1));
      if (how !== 'SHUT_RD' && how !== 'SHUT_WR' && how !== 'SHUT_RDWR') {
        throw new ArgError(`shutdown: unknown how ${how}`);
      }
      return wrap(so.shutdown(fd(), how), ok);
    }
    case 'close':
      return wrap(so.closeLinger(fd()), ok);
    case 'fcntl': {
      const f = fd();
      const cmd = symbolName(arg(call, 1));
      if (cmd === 'F_GETFL') return wrap(so.getFlags(f), ok);
      if (cmd === 'F_SETFL') {
        return wrap(so.setNonBlocking(f, (intValue(arg(call, 2)) & O_NONBLOCK) !== 0), ok);
      }
      throw new ArgError(`fcntl: ${cmd} is not supported`);
    }
    case 'ioctl': {
      const f = fd();
      const req = symbolName(arg(call, 1));
      if (req !== 'SIOCINQ' && req !== 'SIOCOUTQ' && req !== 'FIONREAD') {
        throw new ArgError(`ioctl: ${req} is not supported`);
      }
      const r = so.ioctl(f, req === 'FIONREAD' ? 'SIOCINQ' : req);
      if (r instanceof SocketError) return now(fromError(r));
      const expected = call.args[2];
      const want = expected !== undefined && expected.kind !== 'ellipsis' ? intValue(expected) : r;
      return now({
        ret: 0,
        errno: undefined,
        ...(want !== r ? { mismatch: `${req}: expected [${want}] but got [${r}]` } : {}),
      });
    }
    case 'setsockopt':
      return now(setsockopt(so, call, fd()));
    case 'getsockopt':
      return now(getsockopt(so, call, fd()));
    case 'poll':
      return poll(so, call);
    default:
      throw new ArgError(`system call ${call.name}() is not supported`);
  }
}

function optionName(call: SyscallAction): SocketOption {
  const name = symbolName(arg(call, 2));
  if (!SOCKET_OPTIONS.has(name))
    throw new ArgError(`${call.name}: option ${name} is not supported`);
  return name as SocketOption;
}

function setsockopt(so: SocketTable, call: SyscallAction, fd: number): Outcome {
  const opt = optionName(call);
  const v = arg(call, 3);
  let value: number | Linger;
  if (v.kind === 'struct') {
    const field = (n: string): number => {
      const x = v.fields.find((f) => f.name === n);
      if (x === undefined) throw new ArgError(`struct linger needs ${n}=`);
      return intValue(x.value);
    };
    value = { onoff: field('onoff') !== 0, linger: field('linger') };
  } else value = intValue(v);
  const r = so.setsockopt(fd, opt, value);
  return r instanceof SocketError ? fromError(r) : ok(0);
}

function getsockopt(so: SocketTable, call: SyscallAction, fd: number): Outcome {
  const opt = optionName(call);
  const r = so.getsockopt(fd, opt);
  if (r instanceof SocketError) return fromError(r);
  const expected = arg(call, 3);
  if (expected.kind === 'ellipsis') return ok(0);
  let got: string;
  let want: string;
  if (typeof r === 'object') {
    got = `{onoff=${r.onoff ? 1 : 0}, linger=${r.linger}}`;
    if (expected.kind !== 'struct') throw new ArgError('expected {onoff=…, linger=…}');
    want = `{${expected.fields.map((f) => `${f.name}=${intValue(f.value)}`).join(', ')}}`;
  } else {
    got = `[${Number(r)}]`;
    want = `[${intValue(expected)}]`;
  }
  return want === got
    ? ok(0)
    : { ret: 0, errno: undefined, mismatch: `${opt}: expected ${want} but got ${got}` };
}

/** poll([{fd=N, events=E, revents=R}, …], nfds, timeout): the revents are checked. */
function poll(so: SocketTable, call: SyscallAction): Invocation {
  const list = arg(call, 0);
  if (list.kind !== 'list') throw new ArgError('poll: expected a list of {fd=, events=, revents=}');
  const entries = list.items.map((it) => {
    if (it.kind !== 'struct') throw new ArgError('poll: expected {fd=, events=, revents=}');
    const get = (n: string): number | undefined => {
      const f = it.fields.find((x) => x.name === n);
      return f === undefined ? undefined : intValue(f.value);
    };
    return { fd: get('fd') ?? -1, events: get('events') ?? 0, revents: get('revents') ?? 0 };
  });
  const timeout = intValue(arg(call, 2));
  const r = so.poll(
    entries.map(({ fd, events }) => ({ fd, events })),
    timeout,
  );
  const outcome = (ready: { fd: number; revents: number }[]): Outcome => {
    const bad = entries.find((e) => (ready.find((x) => x.fd === e.fd)?.revents ?? 0) !== e.revents);
    return {
      ret: ready.length,
      errno: undefined,
      ...(bad !== undefined
        ? {
            mismatch: `poll: fd ${bad.fd}: expected revents 0x${bad.revents.toString(16)} but got 0x${(ready.find((x) => x.fd === bad.fd)?.revents ?? 0).toString(16)}`,
          }
        : {}),
    };
  };
  return wrap(r, outcome);
}
