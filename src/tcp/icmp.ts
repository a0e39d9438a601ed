/**
 * ICMP errors about a connection's segments (Linux net/ipv4/tcp_ipv4.c
 * tcp_v4_err): the host hands over the ICMP type and code and the sequence
 * number quoted from our segment.
 *
 * A destination-unreachable (or time-exceeded) ends a connection that is still
 * opening: connect() fails with the errno of icmp_err_convert, ECONNREFUSED for
 * a port unreachable. Once established, RFC 1122 4.2.3.9 says such errors are
 * soft: Linux only remembers them (sk_err_soft), and reports one instead of
 * ETIMEDOUT if the connection later times out. One nuance the reference traces
 * show (linux-traces/README.md, reject-icmp): while the application is inside a
 * blocking connect() the socket is "owned by user" and even the opening
 * connection only records a soft error; the next ICMP, after the SYN is
 * retransmitted, then ends it. `ownedByUser` lets the host say so.
 * DEVIATION(linux): no PMTU discovery (fragmentation needed), no RFC 6069 RTO
 * revert on net/host unreachable.
 */

import type { Time } from '../sim/time.js';
import { type Seq, seqGe, seqLe } from '../wire/seq.js';
import { type Connection, tcpDone } from './connection.js';
import { type TcpErrorCode, tcpError } from './errors.js';

/** ICMP types tcp_v4_err acts on (RFC 792). */
export const ICMP_DEST_UNREACH = 3;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;

/**
 * Linux icmp_err_convert (net/ipv4/icmp.c): destination-unreachable code →
 * errno, and whether it is fatal (RFC 1122 3.2.2.1: codes 2-4 are hard errors;
 * Linux also treats the "unknown" and "prohibited" codes as such).
 */
const UNREACH: readonly (readonly [TcpErrorCode, boolean] | undefined)[] = [
  ['ENETUNREACH', false], // 0 net unreachable
  ['EHOSTUNREACH', false], // 1 host unreachable
  ['ENOPROTOOPT', true], // 2 protocol unreachable
  ['ECONNREFUSED', true], // 3 port unreachable
  undefined, // 4 fragmentation needed: PMTU discovery, not an error
  ['EOPNOTSUPP', false], // 5 source route failed
  ['ENETUNREACH', true], // 6 net unknown
  ['EHOSTDOWN', true], // 7 host unknown
  ['ENONET', true], // 8 host isolated
  ['ENETUNREACH', true], // 9 net administratively prohibited
  ['EHOSTUNREACH', true], // 10 host administratively prohibited
  ['ENETUNREACH', false], // 11 net unreachable for TOS
  ['EHOSTUNREACH', false], // 12 host unreachable for TOS
  ['EHOSTUNREACH', true], // 13 communication administratively prohibited
  ['EHOSTUNREACH', true], // 14 host precedence violation
  ['EHOSTUNREACH', true], // 15 precedence cutoff
];

export interface IcmpError {
  readonly type: number;
  readonly code: number;
  /** The sequence number of our segment, as the ICMP message quotes it. */
  readonly quotedSeq: Seq;
  /** The application is inside a blocking call on the socket (sock_owned_by_user). */
  readonly ownedByUser?: boolean;
}

/**
 * Linux tcp_v4_err on a request sock (TCP_NEW_SYN_RECV): whether the error
 * drops the request (tcp_req_err's `abort`): a net or host unreachable, a
 * time exceeded or a parameter problem; not a port unreachable (observed on
 * Linux 6.18.44: test/host/request-sock-icmp-linux.py).
 */
export function tcpReqErrAborts(type: number, code: number): boolean {
  return (
    type === ICMP_PARAMETERPROB ||
    type === ICMP_TIME_EXCEEDED ||
    (type === ICMP_DEST_UNREACH && (code === 0 || code === 1))
  );
}

/** Linux tcp_v4_err. Returns whether the error was taken into account. */
export function tcpV4Err(conn: Connection, now: Time, icmp: IcmpError): boolean {
  let err: TcpErrorCode | undefined;
  switch (icmp.type) {
    case ICMP_DEST_UNREACH: {
      const e = UNREACH[icmp.code];
      err = e?.[0];
      break;
    }
    case ICMP_TIME_EXCEEDED:
      err = 'EHOSTUNREACH';
      break;
    case ICMP_PARAMETERPROB:
      err = 'EPROTO';
      break;
    default:
      err = undefined;
  }
  if (err === undefined || conn.state === 'CLOSE' || conn.state === 'TIME_WAIT') return false;
  // An ICMP quoting a sequence number we have not sent (or that is acknowledged)
  // is ignored (RFC 5927 4.1).
  if (!(seqGe(icmp.quotedSeq, conn.sndUna) && seqLe(icmp.quotedSeq, conn.sndNxt))) {
    conn.net.count('TcpExtOutOfWindowIcmps');
    return false;
  }
  const error = tcpError(err);
  if (conn.state === 'SYN_SENT' || conn.state === 'SYN_RECV') {
    if (icmp.ownedByUser) {
      conn.softError = error;
    } else {
      conn.error = error;
      tcpDone(conn, now);
    }
    return true;
  }
  // RFC 1122 4.2.3.9: soft in the synchronized states (Linux without IP_RECVERR).
  conn.softError = error;
  return true;
}
