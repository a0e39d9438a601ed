/**
 * bash's network redirections: a redirection to `/dev/tcp/HOST/PORT` opens a
 * TCP connection instead of a file (redir.c's RF_DEVTCP, lib/sh/netopen.c),
 * so `exec 3<>/dev/tcp/10.0.0.2/80` gives the shell a socket on fd 3 that
 * `echo … >&3` writes to and `cat <&3` reads from. The socket is the shell
 * process's (`ss -p` shows bash), opened with a blocking connect().
 *
 * Followed: bash 5.2.15's netopen.c _netopen6 (getaddrinfo, then socket and
 * connect; a failure prints `connect: <strerror>` and the redirection then
 * fails with the same errno) and its messages as the real bash prints them on
 * this machine: `bash: nosuch: Name or service not known` and
 * `bash: /dev/tcp/nosuch/80: Invalid argument`; `bash: abc: Servname not
 * supported for ai_socktype`; a port past 65535 is taken modulo 2^16 (glibc's
 * numeric service), an empty one is port 0.
 */

import { Pending, SocketError, type SocketTable, type SysResult } from '../host/socket.js';
import type { Proc } from '../os/process.js';
import { type Input, type Output, toBytes } from '../os/streams.js';
import { resolveHost, serviceToPort } from '../tools/apps/common.js';
import { SharedInput, SharedOutput } from './io.js';

/**
 * A file description that reads and writes (a socket): what `N<>/dev/tcp/…`
 * and `N>&M` of such a descriptor put on a file descriptor. Each side is
 * shared and counted as a pipe's is; the socket closes when both are gone.
 */
export class DuplexFd {
  readonly in: SharedInput;
  readonly out: SharedOutput;

  constructor(input: SharedInput, output: SharedOutput) {
    this.in = input;
    this.out = output;
  }

  /** Another holder (a shell's file descriptor table, a forked shell's copy). */
  retain(): void {
    this.in.retain();
    this.out.retain();
  }

  release(): void {
    this.in.release();
    this.out.release();
  }
}

/** `/dev/tcp/HOST/SERVICE` (bash matches `/dev/tcp/*\/*`: HOST ends at the first slash). */
export function devTcpPath(path: string): { host: string; service: string } | undefined {
  const prefix = '/dev/tcp/';
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  return { host: rest.slice(0, slash), service: rest.slice(slash + 1) };
}

/**
 * What netopen gives: the connected socket, or bash's messages (the last one
 * is the redirection's); `interrupted` when Ctrl-C ended the connect (EINTR).
 */
export type NetOpenResult =
  | { readonly fd: DuplexFd }
  | { readonly messages: readonly string[]; readonly interrupted?: true };

/**
 * netopen(path): resolves HOST and SERVICE as getaddrinfo does on a lab host,
 * connects a TCP socket of `proc` (blocking), and wraps it. While it waits,
 * a handler given to `onInterrupt` (which returns its undoing) ends the wait
 * when Ctrl-C reaches the shell: connect() fails with EINTR and netopen closes
 * the socket, which stops its SYNs (a SYN_SENT socket closes without a reset:
 * Linux tcp_close, tcp_set_state(TCP_CLOSE)).
 */
export async function netopen(
  proc: Proc,
  path: string,
  wake: () => void,
  onInterrupt?: (handler: () => void) => () => void,
): Promise<NetOpenResult> {
  const spec = devTcpPath(path) as { host: string; service: string };
  const addr = resolveHost(proc.host, spec.host);
  if (addr === undefined) {
    return {
      messages: [`${spec.host}: Name or service not known`, `${path}: Invalid argument`],
    };
  }
  const port = servicePort(spec.service);
  if (port === undefined) {
    return {
      messages: [
        `${spec.service}: Servname not supported for ai_socktype`,
        `${path}: Invalid argument`,
      ],
    };
  }
  const so = proc.sockets;
  const fd = so.socket();
  let interrupt = (): void => {};
  const interrupted = new Promise<'EINTR'>((resolve) => {
    interrupt = () => resolve('EINTR');
  });
  const undo = onInterrupt?.(interrupt);
  let r: SysResult<0> | 'EINTR';
  try {
    r = await Promise.race([proc.wait(so.connect(fd, addr, port)), interrupted]);
  } finally {
    undo?.();
  }
  if (r === 'EINTR') {
    so.close(fd);
    const text = 'Interrupted system call';
    return { messages: [`connect: ${text}`, `${path}: ${text}`], interrupted: true };
  }
  if (r instanceof SocketError) {
    so.close(fd);
    return { messages: [`connect: ${r.description}`, `${path}: ${r.description}`] };
  }
  return { fd: socketFd(so, fd, wake) };
}

/** getaddrinfo's service for SOCK_STREAM: a number (modulo 2^16, empty is 0) or an /etc/services name. */
function servicePort(service: string): number | undefined {
  if (/^[0-9]*$/.test(service)) return Number(service || '0') % 65536;
  return serviceToPort(service, 'tcp');
}

/** The socket `fd` of `so` as a DuplexFd: reads and writes in order, closed when both sides are. */
function socketFd(so: SocketTable, fd: number, wake: () => void): DuplexFd {
  let halves = 2;
  const closeHalf = (): void => {
    if (--halves === 0) so.close(fd);
  };
  const input: Input = {
    read: () =>
      new Promise((resolve) => {
        const done = (r: Uint8Array | SocketError): void => {
          // End of file (0 bytes) or an error (ECONNRESET): a reader sees end of file.
          resolve(r instanceof SocketError || r.length === 0 ? null : r);
          wake();
        };
        const call = so.read(fd);
        if (call instanceof Pending) call.onSettled(done);
        else done(call);
      }),
    close: closeHalf,
    isTerminal: false,
  };
  // Writes go one after the other: a write waits while the send buffer is full,
  // and the next must not overtake it. The last writer's close takes effect
  // once what it wrote is in the socket.
  const queue: Uint8Array[] = [];
  let writing = false;
  let closing = false;
  const pump = (): void => {
    if (writing) return;
    const data = queue.shift();
    if (data === undefined) {
      if (closing) {
        closing = false;
        closeHalf();
      }
      return;
    }
    writing = true;
    const next = (): void => {
      writing = false;
      pump();
    };
    const call = so.write(fd, data);
    if (call instanceof Pending) call.onSettled(next);
    else next();
  };
  const output: Output = {
    write: (data) => {
      const bytes = toBytes(data);
      if (bytes.length === 0) return;
      queue.push(bytes);
      pump();
    },
    close: () => {
      closing = true;
      pump();
    },
    isTerminal: false,
  };
  return new DuplexFd(new SharedInput(input), new SharedOutput(output));
}
