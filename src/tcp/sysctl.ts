/**
 * The `net.ipv4.tcp_*` values the engine reads, under their Linux names, with the
 * defaults of a stock Linux 6.12 (DESIGN.md "Which Linux"). A host owns one table
 * per network namespace and hands it to the engine through `TcpNet`; `sysctl -w`
 * changes it there. Times are in the unit of the sysctl itself (seconds for
 * `tcp_fin_timeout` and `tcp_keepalive_*`, milliseconds for
 * `tcp_invalid_ratelimit`), so the names and numbers match `sysctl -a`.
 *
 * Sources: Documentation/networking/ip-sysctl.rst and the initialisation in
 * net/ipv4/tcp_ipv4.c tcp_sk_init() (and tcp.c tcp_init() for tcp_rmem/tcp_wmem).
 */

export interface TcpSysctl {
  /** SYN retransmissions before connect() fails (tcp_sk_init: TCP_SYN_RETRIES = 6). */
  readonly tcp_syn_retries: number;
  /** SYN-ACK retransmissions before a request is dropped (TCP_SYNACK_RETRIES = 5). */
  readonly tcp_synack_retries: number;
  /**
   * SYN retransmissions sent with a fixed RTO before exponential backoff starts,
   * and added to tcp_syn_retries in the give-up rule (tcp_timer.c
   * tcp_write_timeout / tcp_retransmit_timer; tcp_sk_init sets 4).
   */
  readonly tcp_syn_linear_timeouts: number;
  /** Retransmissions before the route is re-checked (TCP_RETR1 = 3). */
  readonly tcp_retries1: number;
  /** Retransmissions (as a time budget) before an established connection is dropped (TCP_RETR2 = 15). */
  readonly tcp_retries2: number;
  /** Retransmissions of an orphaned socket; 0 means 8 (tcp_timer.c tcp_orphan_retries). */
  readonly tcp_orphan_retries: number;
  /** Seconds an orphaned FIN_WAIT2 is kept (TCP_FIN_TIMEOUT = TCP_TIMEWAIT_LEN = 60 s). */
  readonly tcp_fin_timeout: number;
  /** Seconds of idleness before the first keepalive probe (TCP_KEEPALIVE_TIME = 7200). */
  readonly tcp_keepalive_time: number;
  /** Seconds between keepalive probes (TCP_KEEPALIVE_INTVL = 75). */
  readonly tcp_keepalive_intvl: number;
  /** Unanswered keepalive probes before the connection is dropped (TCP_KEEPALIVE_PROBES = 9). */
  readonly tcp_keepalive_probes: number;
  /** min, default, max receive buffer in bytes (tcp.c tcp_init: 4096 131072 6291456 on a large machine). */
  readonly tcp_rmem: readonly [number, number, number];
  /** min, default, max send buffer in bytes (tcp.c tcp_init: 4096 16384 4194304). */
  readonly tcp_wmem: readonly [number, number, number];
  /** RFC 7323 window scaling (1). */
  readonly tcp_window_scaling: number;
  /** RFC 7323 timestamps (1: on, with a random offset per connection). */
  readonly tcp_timestamps: number;
  /** RFC 2018 selective acknowledgements (1). */
  readonly tcp_sack: number;
  /** RFC 2883 duplicate SACKs (1). */
  readonly tcp_dsack: number;
  /**
   * Challenge ACKs per second for the whole namespace (RFC 5961 rate limit).
   * INT_MAX, i.e. no global limit, since Linux 6.0 (commit "tcp: make global
   * challenge ack rate limitation per net-ns and default disabled"); the traces'
   * meta.json shows 2147483647.
   */
  readonly tcp_challenge_ack_limit: number;
  /** Milliseconds between out-of-window duplicate ACKs per socket (HZ/2 = 500). */
  readonly tcp_invalid_ratelimit: number;
  /** RFC 1337 TIME_WAIT assassination protection (0: a RST kills TIME_WAIT). */
  readonly tcp_rfc1337: number;
  /** Reset a connection whose final ACK finds the accept queue full (0: drop the ACK). */
  readonly tcp_abort_on_overflow: number;
  /** SYN queue limit when SYN cookies are off (tcp_sk_init: 128, raised with ehash size; 2048 here as in the traces). */
  readonly tcp_max_syn_backlog: number;
  /** SYN cookies: 1 = when the SYN queue overflows. */
  readonly tcp_syncookies: number;
  /**
   * Reuse of a TIME_WAIT 4-tuple by connect() with an ephemeral port (tcp_twsk_unique):
   * 0 never, 1 always, 2 = loopback only; timestamps required.
   */
  readonly tcp_tw_reuse: number;
  /**
   * Milliseconds a timewait sock must have existed before tcp_tw_reuse may take its
   * 4-tuple (1..60000, default 1000; Linux 6.13+, tcp_sk_init: 1 * MSEC_PER_SEC).
   */
  readonly tcp_tw_reuse_delay: number;
  /**
   * Most timewait socks at once; beyond, a closing connection skips TIME_WAIT
   * (TcpExtTCPTimeWaitOverflow). tcp_sk_init sets half the established hash
   * size: 262144 with the 524288-bucket hash of a machine with a few GiB.
   */
  readonly tcp_max_tw_buckets: number;
  /**
   * Most orphaned sockets (closed by the application, not yet gone) before
   * close() and the retransmission timers reset them (tcp.c tcp_check_oom). A
   * global value in Linux (init_net only), tcp_init sets half the established
   * hash size, as tcp_max_tw_buckets; one value per host here.
   */
  readonly tcp_max_orphans: number;
  /** Duplicate ACKs that start fast retransmit (TCP_FASTRETRANS_THRESH = 3). */
  readonly tcp_reordering: number;
  /**
   * Tail loss probes (RFC 8985 7; tcp_output.c tcp_schedule_loss_probe): 3 or
   * 4 turn them on, as Linux's default 3 does (tcp_ipv4.c tcp_sk_init:
   * "net->ipv4.sysctl_tcp_early_retrans = 3"; the traces' meta.json shows 3);
   * packetdrill's defaults.sh sets 4.
   */
  readonly tcp_early_retrans: number;
  /** Data-sent-within-ato events that make the socket interactive (tcp_sk_init: 1). */
  readonly tcp_pingpong_thresh: number;
  /** Never offer more than 32767 without window scaling (0). */
  readonly tcp_workaround_signed_windows: number;
  /** Allow the receive window to shrink (0: never, tcp_output.c tcp_select_window). */
  readonly tcp_shrink_window: number;
  /** Smallest MSS the peer may make us use (TCP_MIN_SND_MSS = 48). */
  readonly tcp_min_snd_mss: number;
  /**
   * Loss recovery features (Documentation/networking/ip-sysctl.rst; tcp_ipv4.c
   * tcp_sk_init: TCP_RACK_LOSS_DETECTION = 1): bit 0 RACK loss detection
   * (RFC 8985; off: RFC 6675's duplicate-SACK threshold), bit 1 a static
   * reordering window (no growth on D-SACK), bit 2 no reordering window of 0
   * after tcp_reordering SACKs. See rack.ts.
   */
  readonly tcp_recovery: number;
  /**
   * F-RTO, RFC 5682 with SACK (tcp_input.c tcp_enter_loss, tcp_process_loss):
   * after an RTO, send new data before retransmitting more, and undo the
   * timeout if what was never retransmitted is then acknowledged. Any value
   * but 0 turns it on (Linux reads 1 and 2 alike; tcp_sk_init: 2).
   */
  readonly tcp_frto: number;
  /**
   * The pacing rate, in percent of cwnd × MSS / SRTT, in slow start (below
   * half ssthresh) and after it (tcp_update_pacing_rate; tcp_sk_init: 200, 120).
   */
  readonly tcp_pacing_ss_ratio: number;
  readonly tcp_pacing_ca_ratio: number;
  /**
   * A writer waits while this many bytes or more are written and not yet sent
   * (tcp_stream_memory_free; 4294967295, i.e. never: tcp_sk_init's UINT_MAX);
   * TCP_NOTSENT_LOWAT sets it per socket.
   */
  readonly tcp_notsent_lowat: number;
  /**
   * After an idle time longer than the RTO, a sender starts again from the
   * initial window (RFC 5681 4.1: tcp_cwnd_restart), and a window the
   * application left unused for an RTO decays (RFC 2861:
   * tcp_cwnd_application_limited); 0 turns both off (tcp_sk_init: 1).
   */
  readonly tcp_slow_start_after_idle: number;
  /**
   * TSO deferral sends at once when a 1/N share of the window can go
   * (tcp_tso_should_defer; 0: when more than 3 segments can; tcp_sk_init: 3).
   */
  readonly tcp_tso_win_divisor: number;
  /** The fewest segments tcp_tso_autosize lets one transmission carry (tcp_sk_init: 2). */
  readonly tcp_min_tso_segs: number;
  /**
   * tcp_tso_autosize adds GSO's largest size >> (min_rtt_us >> N) to a
   * transmission, so short paths send larger bursts (tcp_sk_init: 9, 512 µs).
   */
  readonly tcp_tso_rtt_log: number;
  /**
   * Congestion control by name for new connections (tcp_cong.c
   * tcp_set_default_congestion_control): `cubic` (default) or `reno`; `bbr`
   * is accepted and runs CUBIC (congestion.ts).
   */
  readonly tcp_congestion_control: string;
  /**
   * The share of the receive buffer kept for the application, as buffer >> N
   * (tcp_init_buffer_space; 31, i.e. one segment only: tcp_sk_init).
   */
  readonly tcp_app_win: number;
  /** Receive-buffer autotuning, tcp_rcv_space_adjust (1: tcp_sk_init). */
  readonly tcp_moderate_rcvbuf: number;
}

/** A stock Linux 6.12 (DESIGN.md "Which Linux"). */
export const LINUX_TCP_SYSCTL: TcpSysctl = Object.freeze({
  tcp_syn_retries: 6,
  tcp_synack_retries: 5,
  tcp_syn_linear_timeouts: 4,
  tcp_retries1: 3,
  tcp_retries2: 15,
  tcp_orphan_retries: 0,
  tcp_fin_timeout: 60,
  tcp_keepalive_time: 7200,
  tcp_keepalive_intvl: 75,
  tcp_keepalive_probes: 9,
  tcp_rmem: Object.freeze([4096, 131072, 6291456] as const),
  tcp_wmem: Object.freeze([4096, 16384, 4194304] as const),
  tcp_window_scaling: 1,
  tcp_timestamps: 1,
  tcp_sack: 1,
  tcp_dsack: 1,
  tcp_challenge_ack_limit: 2147483647,
  tcp_invalid_ratelimit: 500,
  tcp_rfc1337: 0,
  tcp_abort_on_overflow: 0,
  tcp_max_syn_backlog: 2048,
  tcp_syncookies: 1,
  tcp_tw_reuse: 2,
  tcp_tw_reuse_delay: 1000,
  tcp_max_tw_buckets: 262144,
  tcp_max_orphans: 262144,
  tcp_reordering: 3,
  tcp_early_retrans: 3,
  tcp_pingpong_thresh: 1,
  tcp_workaround_signed_windows: 0,
  tcp_shrink_window: 0,
  tcp_min_snd_mss: 48,
  tcp_recovery: 1,
  tcp_frto: 2,
  tcp_pacing_ss_ratio: 200,
  tcp_pacing_ca_ratio: 120,
  tcp_notsent_lowat: 4294967295,
  tcp_slow_start_after_idle: 1,
  tcp_tso_win_divisor: 3,
  tcp_min_tso_segs: 2,
  tcp_tso_rtt_log: 9,
  tcp_congestion_control: 'cubic',
  tcp_app_win: 31,
  tcp_moderate_rcvbuf: 1,
});

/**
 * What differs on the kernel that recorded ../shared/linux-traces (meta.json):
 * a 32 MiB receive buffer maximum (hence wscale 10) and BBR. Tests that compare
 * with those traces start from this table.
 */
export const TRACE_KERNEL_TCP_SYSCTL: TcpSysctl = Object.freeze({
  ...LINUX_TCP_SYSCTL,
  tcp_rmem: Object.freeze([4096, 131072, 33554432] as const),
  tcp_congestion_control: 'bbr',
});

/** The stock table with some values changed. */
export function tcpSysctl(changes: Partial<TcpSysctl> = {}, base = LINUX_TCP_SYSCTL): TcpSysctl {
  return Object.freeze({ ...base, ...changes });
}
