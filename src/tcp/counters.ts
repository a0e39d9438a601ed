/**
 * TCP counters under their `nstat` names, one set per network namespace, as
 * `nstat -az` and `netstat -s` show them. `Tcp*` are the RFC 1213 MIB
 * (include/uapi/linux/snmp.h TCP_MIB_*), `TcpExt*` Linux's own (LINUX_MIB_*,
 * named in net/ipv4/proc.c snmp4_net_list). `TcpCurrEstab` is a gauge: the
 * connections in ESTABLISHED or CLOSE_WAIT (see state.ts setState).
 */

export const TCP_COUNTER_NAMES = [
  // RFC 1213 tcp group (net/ipv4/proc.c snmp4_tcp_list).
  'TcpActiveOpens',
  'TcpPassiveOpens',
  'TcpAttemptFails',
  'TcpEstabResets',
  'TcpCurrEstab',
  'TcpInSegs',
  'TcpOutSegs',
  'TcpRetransSegs',
  'TcpInErrs',
  'TcpOutRsts',
  'TcpInCsumErrors',
  // Linux extensions (net/ipv4/proc.c snmp4_net_list).
  'TcpExtEmbryonicRsts',
  'TcpExtOutOfWindowIcmps',
  'TcpExtTW',
  'TcpExtTWRecycled',
  'TcpExtTWKilled',
  'TcpExtTCPTimeWaitOverflow',
  'TcpExtPAWSActive',
  'TcpExtPAWSEstab',
  'TcpExtDelayedACKs',
  'TcpExtDelayedACKLost',
  'TcpExtListenOverflows',
  'TcpExtListenDrops',
  'TcpExtTCPReqQFullDoCookies',
  'TcpExtTCPReqQFullDrop',
  'TcpExtSyncookiesSent',
  'TcpExtSyncookiesRecv',
  'TcpExtSyncookiesFailed',
  'TcpExtTCPRenoRecovery',
  'TcpExtTCPSackRecovery',
  'TcpExtTCPSACKReorder',
  'TcpExtTCPLossUndo',
  'TcpExtTCPFullUndo',
  'TcpExtTCPPartialUndo',
  'TcpExtTCPDSACKUndo',
  'TcpExtTCPSpuriousRTOs',
  'TcpExtTCPTSReorder',
  'TcpExtTCPDSACKIgnoredOld',
  'TcpExtTCPDSACKRecvSegs',
  'TcpExtTCPDSACKIgnoredDubious',
  'TcpExtTCPTimeouts',
  'TcpExtTCPSynRetrans',
  'TcpExtTCPLossProbes',
  'TcpExtTCPLossProbeRecovery',
  'TcpExtTCPRenoFailures',
  'TcpExtTCPSackFailures',
  'TcpExtTCPLossFailures',
  'TcpExtTCPLostRetransmit',
  'TcpExtTCPFastRetrans',
  'TcpExtTCPSlowStartRetrans',
  'TcpExtTCPAbortOnData',
  'TcpExtTCPAbortOnClose',
  'TcpExtTCPAbortOnTimeout',
  'TcpExtTCPAbortOnLinger',
  'TcpExtTCPAbortOnMemory',
  'TcpExtTCPSACKReneging',
  'TcpExtTCPDSACKOldSent',
  'TcpExtTCPDSACKOfoSent',
  'TcpExtTCPDSACKRecv',
  'TcpExtTCPDSACKOfoRecv',
  'TcpExtTCPSACKDiscard',
  'TcpExtTCPDSACKIgnoredNoUndo',
  'TcpExtTCPSYNChallenge',
  'TcpExtTCPChallengeACK',
  'TcpExtTCPOFOQueue',
  'TcpExtTCPOFODrop',
  'TcpExtTCPOFOMerge',
  'TcpExtTCPRcvQDrop',
  'TcpExtTCPZeroWindowDrop',
  'TcpExtTCPWantZeroWindowAdv',
  'TcpExtTCPToZeroWindowAdv',
  'TcpExtTCPFromZeroWindowAdv',
  'TcpExtTCPKeepAlive',
  'TcpExtTCPWinProbe',
  'TcpExtTCPACKSkippedSynRecv',
  'TcpExtTCPACKSkippedPAWS',
  'TcpExtTCPACKSkippedSeq',
  'TcpExtTCPACKSkippedFinWait2',
  'TcpExtTCPACKSkippedTimeWait',
  'TcpExtTCPACKSkippedChallenge',
  'TcpExtTCPOrigDataSent',
  'TcpExtTCPHPHits',
  'TcpExtTCPHPAcks',
  'TcpExtTCPPureAcks',
  'TcpExtTCPDelivered',
  'TcpExtBeyondWindow',
  'TcpExtTCPHystartTrainDetect',
  'TcpExtTCPHystartTrainCwnd',
  'TcpExtTCPHystartDelayDetect',
  'TcpExtTCPHystartDelayCwnd',
  'TcpExtTCPDeferAcceptDrop',
] as const;

export type TcpCounterName = (typeof TCP_COUNTER_NAMES)[number];

/** One namespace's counters; increment in place (`counters.TcpInSegs++`). */
export type TcpCounters = Record<TcpCounterName, number>;

/**
 * All zero, built once. An object given its 57 properties one by one becomes a
 * hash table in V8 ("dictionary mode"), and every `counters.X++` of every
 * segment a hash lookup; a copy made by spreading it has a fixed layout.
 */
const ZERO_COUNTERS: TcpCounters = (() => {
  const c = {} as Record<TcpCounterName, number>;
  for (const name of TCP_COUNTER_NAMES) c[name] = 0;
  return { ...c };
})();

export function newTcpCounters(): TcpCounters {
  return { ...ZERO_COUNTERS };
}
