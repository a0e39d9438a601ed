/**
 * The reset Linux sends for a segment no socket wants (net/ipv4/tcp_ipv4.c
 * tcp_v4_send_reset), also sent by a connection that refuses a segment outright
 * (an unacceptable ACK in SYN_SENT, data after close()). RFC 9293 3.10.7.1:
 * "If the incoming segment has the ACK bit set, the reset takes its sequence
 * number from the ACK field of the segment, otherwise the reset has sequence
 * number zero and the ACK field is set to the sum of the sequence number and
 * segment length of the incoming segment."
 *
 * linux-traces/closed-port: a SYN to a closed port gets `[R.] seq 0, ack ISN+1,
 * win 0` with no options; an ACK-bearing segment gets `[R] seq <its ack>`
 * (time-wait/fw2-orphan-default). The host sends it with IP id 0 and DF, and
 * counts TcpOutSegs and TcpOutRsts (`countReset`).
 */

import { seq, seqAdd } from '../wire/seq.js';
import { ACK, RST, type TcpSegment, tcpSegmentLength } from '../wire/tcp.js';
import type { TcpCounters } from './counters.js';

const EMPTY = new Uint8Array(0);

/** The RST answering `seg`, or undefined for a RST (never answer a reset). */
export function tcpResetFor(seg: TcpSegment): TcpSegment | undefined {
  if (seg.flags & RST) return undefined;
  const hasAck = (seg.flags & ACK) !== 0;
  return {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: hasAck ? seg.ack : seq(0),
    ack: hasAck ? seq(0) : seqAdd(seg.seq, tcpSegmentLength(seg)),
    flags: hasAck ? RST : RST | ACK,
    window: 0,
    urgentPointer: 0,
    options: [],
    payload: EMPTY,
  };
}

/** What sending a reset counts (tcp_v4_send_reset: TCP_MIB_OUTSEGS, TCP_MIB_OUTRSTS). */
export function countReset(counters: TcpCounters): void {
  counters.TcpOutSegs++;
  counters.TcpOutRsts++;
}
