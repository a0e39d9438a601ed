/**
 * Why the engine dropped a segment, in Linux's vocabulary: the names of
 * `enum skb_drop_reason` (include/net/dropreason-core.h, without the
 * SKB_DROP_REASON_ prefix), as `perf`'s kfree_skb tracepoint and `dropwatch`
 * print them. A drop is peer behaviour, never a bug: it is counted (per reason
 * in `TcpNet.drops`, and in the matching nstat counter where Linux has one) and
 * reported to the namespace's observer, and the engine carries on.
 */

export const TCP_DROP_REASONS = [
  /** Nothing more specific (Linux: NOT_SPECIFIED). */
  'NOT_SPECIFIED',
  /** No socket for the segment (tcp_v4_rcv, closed port; the host answers with RST). */
  'NO_SOCKET',
  /** Not accepted by the receive window: seq beyond RCV.NXT + RCV.WND (tcp_sequence). */
  'TCP_INVALID_SEQUENCE',
  /** Entirely before the window (end_seq before RCV.WUP, tcp_sequence). */
  'TCP_OLD_SEQUENCE',
  /** ACK below SND.UNA in SYN_RECV (tcp_rcv_state_process sends one RST). */
  'TCP_OLD_ACK',
  /** ACK more than a window below SND.UNA (RFC 5961 5.2, tcp_ack). */
  'TCP_TOO_OLD_ACK',
  /** ACK of something never sent (tcp_ack). */
  'TCP_ACK_UNSENT_DATA',
  /** SYN-ACK whose ACK is not ISS+1 in SYN_SENT (tcp_rcv_synsent_state_process). */
  'TCP_INVALID_ACK_SEQUENCE',
  /** Timestamp older than TS.Recent (RFC 7323 5.3 PAWS; tcp_validate_incoming). */
  'TCP_RFC7323_PAWS',
  /** A RST that did not reset (not an exact match: challenge ACK sent), or a RST where none is meaningful. */
  'TCP_RESET',
  /** A SYN in a synchronized state (RFC 5961 4.2: challenge ACK sent). */
  'TCP_INVALID_SYN',
  /** Flags that make no sense for the state (no ACK, SYN|FIN to a listener, ...). */
  'TCP_FLAGS',
  /** In-sequence data while our receive window is zero (tcp_data_queue). */
  'TCP_ZEROWINDOW',
  /** Data entirely before RCV.NXT: a retransmission (tcp_data_queue; D-SACK sent). */
  'TCP_OLD_DATA',
  /** Data starting beyond the right edge of the window (tcp_data_queue). */
  'TCP_OVERWINDOW',
  /** Out-of-order data already held (tcp_data_queue_ofo; D-SACK sent). */
  'TCP_OFOMERGE',
  /** No room in the receive buffer (tcp_data_queue: TCPRcvQDrop). */
  'PROTO_MEM',
  /** New data after this side closed (RFC 1122 4.2.2.13: reset sent). */
  'TCP_ABORT_ON_DATA',
  /** The listener's accept queue is full (tcp_conn_request / tcp_v4_syn_recv_sock). */
  'TCP_LISTEN_OVERFLOW',
  /** A bad checksum (tcp_v4_rcv: TcpInCsumErrors). */
  'TCP_CSUM',
  /** A segment arriving for a socket already closed (TCP_CLOSE). */
  'TCP_CLOSE',
] as const;

export type TcpDropReason = (typeof TCP_DROP_REASONS)[number];

/** All zero, built once: a spread copy has a fixed layout, not a hash table (see counters.ts). */
const ZERO_DROPS: Record<TcpDropReason, number> = (() => {
  const c = {} as Record<TcpDropReason, number>;
  for (const r of TCP_DROP_REASONS) c[r] = 0;
  return { ...c };
})();

export function newDropCounts(): Record<TcpDropReason, number> {
  return { ...ZERO_DROPS };
}
