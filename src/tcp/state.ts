/**
 * The eleven TCP states under Linux's names (include/net/tcp_states.h), in
 * Linux's numbering (the `st` column of /proc/net/tcp), and the one function that
 * changes a connection's state.
 *
 * Linux's names differ from RFC 9293's: SYN_RECV is SYN-RECEIVED, CLOSE is
 * CLOSED. TCP_NEW_SYN_RECV (a request socket) is not a state here: a passive
 * connection before its handshake completes is a listen.ts RequestSock, which
 * ss shows in SYN_RECV.
 */

import type { Time } from '../sim/time.js';
import type { Connection } from './connection.js';

export type TcpState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING';

/** Linux's numbers: TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11. */
export const TCP_STATE_NUMBERS: Readonly<Record<TcpState, number>> = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
};

export const TCP_STATES = Object.keys(TCP_STATE_NUMBERS) as readonly TcpState[];

/**
 * TCP_STATE_NUMBERS[state] as a switch: every state change asks, and a lookup
 * by a name that is not a constant where it runs is a generic one.
 */
export function tcpStateNumber(state: TcpState): number {
  switch (state) {
    case 'ESTABLISHED':
      return 1;
    case 'SYN_SENT':
      return 2;
    case 'SYN_RECV':
      return 3;
    case 'FIN_WAIT1':
      return 4;
    case 'FIN_WAIT2':
      return 5;
    case 'TIME_WAIT':
      return 6;
    case 'CLOSE':
      return 7;
    case 'CLOSE_WAIT':
      return 8;
    case 'LAST_ACK':
      return 9;
    case 'LISTEN':
      return 10;
    case 'CLOSING':
      return 11;
  }
}

/** One state change of a connection. */
export interface StateTransition {
  readonly time: Time;
  readonly from: TcpState;
  readonly to: TcpState;
}

/**
 * Changes `conn`'s state: the only writer of `conn.state` (STYLE.md 5; the
 * other caller of Connection.recordState mirrors its timewait sock, which
 * reported its own changes). Records
 * the transition and keeps the counters true as Linux tcp_set_state does:
 * TcpCurrEstab counts connections in ESTABLISHED or CLOSE_WAIT (RFC 1213
 * tcpCurrEstab; Linux since 6.10, "tcp: count CLOSE-WAIT sockets for
 * TCP_MIB_CURRESTAB"); entering CLOSE from either is a TcpEstabResets.
 * (TcpAttemptFails is counted by tcpDone, as Linux does, because close() from
 * SYN_SENT is not a failed attempt.)
 */
export function setState(conn: Connection, next: TcpState, now: Time): void {
  const from = conn.state;
  if (from === next) return;
  const c = conn.net.counters;
  const wasCounted = from === 'ESTABLISHED' || from === 'CLOSE_WAIT';
  const isCounted = next === 'ESTABLISHED' || next === 'CLOSE_WAIT';
  if (isCounted && !wasCounted) c.TcpCurrEstab++;
  if (wasCounted && !isCounted) c.TcpCurrEstab--;
  if (next === 'CLOSE' && wasCounted) c.TcpEstabResets++;
  conn.recordState(next, now);
  conn.net.observer?.({ kind: 'state', time: now, id: conn.id, from, to: next });
}

export function assertNever(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}
