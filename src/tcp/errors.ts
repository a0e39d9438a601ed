/**
 * Errors a connection reports to its application, as values: the `code` and
 * `errno` Node's `net` module gives (libuv's negative errno, Linux numbering)
 * and the strerror() text a C program prints. The engine never throws them; the
 * socket layer turns them into Node errors or `-1`/`errno` (STYLE.md 8).
 */

export type TcpErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EPIPE'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ECONNABORTED'
  | 'ENOPROTOOPT'
  | 'EOPNOTSUPP'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EPROTO';

export interface TcpError {
  readonly code: TcpErrorCode;
  /** Negative, as Node reports it (`err.errno === -111` for ECONNREFUSED). */
  readonly errno: number;
  /** glibc strerror(3) text, as `nc` and `telnet` print it. */
  readonly message: string;
}

/** Linux errno values (include/uapi/asm-generic/errno.h, errno-base.h) and glibc texts. */
const ERRORS: Readonly<Record<TcpErrorCode, readonly [number, string]>> = {
  ECONNREFUSED: [111, 'Connection refused'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EPIPE: [32, 'Broken pipe'],
  EHOSTUNREACH: [113, 'No route to host'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ECONNABORTED: [103, 'Software caused connection abort'],
  ENOPROTOOPT: [92, 'Protocol not available'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  EHOSTDOWN: [112, 'Host is down'],
  ENONET: [64, 'Machine is not on the network'],
  EPROTO: [71, 'Protocol error'],
};

export function tcpError(code: TcpErrorCode): TcpError {
  const [errno, message] = ERRORS[code];
  return { code, errno: -errno, message };
}
