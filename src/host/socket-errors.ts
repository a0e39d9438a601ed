/**
 * The errors the socket API reports: Node's shape (`code`, negative `errno`,
 * `syscall`, and `address`/`port` when a call named a peer), with the
 * strerror(3) text of glibc that `nc` and `telnet` print. Linux numbers from
 * include/uapi/asm-generic/errno-base.h and errno.h.
 */

import { formatIpv4Address, type Ipv4Address } from '../wire/address.js';

const ERRNO = {
  EPERM: [1, 'Operation not permitted'],
  EBADF: [9, 'Bad file descriptor'],
  EAGAIN: [11, 'Resource temporarily unavailable'],
  EFAULT: [14, 'Bad address'],
  EACCES: [13, 'Permission denied'],
  EINVAL: [22, 'Invalid argument'],
  EPIPE: [32, 'Broken pipe'],
  ENONET: [64, 'Machine is not on the network'],
  EPROTO: [71, 'Protocol error'],
  EMSGSIZE: [90, 'Message too long'],
  ENOPROTOOPT: [92, 'Protocol not available'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  EAFNOSUPPORT: [97, 'Address family not supported by protocol'],
  EADDRINUSE: [98, 'Address already in use'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
  ENETDOWN: [100, 'Network is down'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ECONNABORTED: [103, 'Software caused connection abort'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ENOBUFS: [105, 'No buffer space available'],
  EISCONN: [106, 'Transport endpoint is already connected'],
  ENOTCONN: [107, 'Transport endpoint is not connected'],
  ETIMEDOUT: [110, 'Connection timed out'],
  ECONNREFUSED: [111, 'Connection refused'],
  EHOSTDOWN: [112, 'Host is down'],
  EHOSTUNREACH: [113, 'No route to host'],
  EALREADY: [114, 'Operation already in progress'],
  EINPROGRESS: [115, 'Operation now in progress'],
  EDESTADDRREQ: [89, 'Destination address required'],
} as const satisfies Record<string, readonly [number, string]>;

export type SocketErrorCode = keyof typeof ERRNO;

/** The positive Linux errno of `code` (what SO_ERROR reads). */
export function errnoNumber(code: SocketErrorCode): number {
  return ERRNO[code][0];
}

/** The code of a positive Linux errno (what SO_ERROR returned), if tcplab knows it. */
export function errnoCode(errno: number): SocketErrorCode | undefined {
  for (const [code, [n]] of Object.entries(ERRNO)) if (n === errno) return code as SocketErrorCode;
  return undefined;
}

/** glibc's strerror(3) text for `code`. */
export function strerror(code: SocketErrorCode): string {
  return ERRNO[code][1];
}

/** A failed socket call, as Node's `net` reports one (a value, never thrown by tcplab). */
export class SocketError extends Error {
  readonly code: SocketErrorCode;
  /** Negative, as Node and libuv report it (-111 for ECONNREFUSED). */
  readonly errno: number;
  readonly syscall: string;
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** strerror(3): `Connection refused`. */
  readonly description: string;

  constructor(code: SocketErrorCode, syscall: string, address?: Ipv4Address, port?: number) {
    const addr = address !== undefined ? formatIpv4Address(address) : undefined;
    // Node: `connect ECONNREFUSED 192.168.0.22:80`.
    super(
      `${syscall} ${code}${addr !== undefined ? ` ${addr}${port !== undefined ? `:${port}` : ''}` : ''}`,
    );
    this.name = 'Error';
    this.code = code;
    this.errno = -ERRNO[code][0];
    this.syscall = syscall;
    this.address = addr;
    this.port = addr !== undefined ? port : undefined;
    this.description = ERRNO[code][1];
  }
}

export function socketError(
  code: SocketErrorCode,
  syscall: string,
  address?: Ipv4Address,
  port?: number,
): SocketError {
  return new SocketError(code, syscall, address, port);
}
