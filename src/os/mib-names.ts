/**
 * The counters `nstat -az` lists on the reference traces' kernel (Linux 6.18,
 * linux-traces/*\/nstat-*.txt), in its order: /proc/net/snmp (Ip, Icmp, then
 * IcmpMsg for the ICMP types seen, Tcp, Udp, UdpLite), /proc/net/snmp6 and
 * /proc/net/netstat (TcpExt, IpExt, MPTcpExt). IcmpMsg's are inserted
 * before the first Tcp counter.
 */
export const NSTAT_NAMES: readonly string[] = (
  'IpInReceives IpInHdrErrors IpInAddrErrors IpForwDatagrams IpInUnknownProtos IpInDiscards ' +
  'IpInDelivers IpOutRequests IpOutDiscards IpOutNoRoutes IpReasmTimeout IpReasmReqds ' +
  'IpReasmOKs IpReasmFails IpFragOKs IpFragFails IpFragCreates IpOutTransmits IcmpInMsgs ' +
  'IcmpInErrors IcmpInCsumErrors IcmpInDestUnreachs IcmpInTimeExcds IcmpInParmProbs ' +
  'IcmpInSrcQuenchs IcmpInRedirects IcmpInEchos IcmpInEchoReps IcmpInTimestamps ' +
  'IcmpInTimestampReps IcmpInAddrMasks IcmpInAddrMaskReps IcmpOutMsgs IcmpOutErrors ' +
  'IcmpOutRateLimitGlobal IcmpOutRateLimitHost IcmpOutDestUnreachs IcmpOutTimeExcds ' +
  'IcmpOutParmProbs IcmpOutSrcQuenchs IcmpOutRedirects IcmpOutEchos IcmpOutEchoReps ' +
  'IcmpOutTimestamps IcmpOutTimestampReps IcmpOutAddrMasks IcmpOutAddrMaskReps ' +
  'TcpActiveOpens TcpPassiveOpens TcpAttemptFails TcpEstabResets TcpInSegs TcpOutSegs ' +
  'TcpRetransSegs TcpInErrs TcpOutRsts TcpInCsumErrors UdpInDatagrams UdpNoPorts UdpInErrors ' +
  'UdpOutDatagrams UdpRcvbufErrors UdpSndbufErrors UdpInCsumErrors UdpIgnoredMulti ' +
  'UdpMemErrors UdpLiteInDatagrams UdpLiteNoPorts UdpLiteInErrors UdpLiteOutDatagrams ' +
  'UdpLiteRcvbufErrors UdpLiteSndbufErrors UdpLiteInCsumErrors UdpLiteIgnoredMulti ' +
  'UdpLiteMemErrors Ip6InReceives Ip6InHdrErrors Ip6InTooBigErrors Ip6InNoRoutes ' +
  'Ip6InAddrErrors Ip6InUnknownProtos Ip6InTruncatedPkts Ip6InDiscards Ip6InDelivers ' +
  'Ip6OutForwDatagrams Ip6OutRequests Ip6OutDiscards Ip6OutNoRoutes Ip6ReasmTimeout ' +
  'Ip6ReasmReqds Ip6ReasmOKs Ip6ReasmFails Ip6FragOKs Ip6FragFails Ip6FragCreates ' +
  'Ip6InMcastPkts Ip6OutMcastPkts Ip6InOctets Ip6OutOctets Ip6InMcastOctets ' +
  'Ip6OutMcastOctets Ip6InBcastOctets Ip6OutBcastOctets Ip6InNoECTPkts Ip6InECT1Pkts ' +
  'Ip6InECT0Pkts Ip6InCEPkts Ip6OutTransmits Icmp6InMsgs Icmp6InErrors Icmp6OutMsgs ' +
  'Icmp6OutErrors Icmp6InCsumErrors Icmp6OutRateLimitHost Icmp6InDestUnreachs ' +
  'Icmp6InPktTooBigs Icmp6InTimeExcds Icmp6InParmProblems Icmp6InEchos Icmp6InEchoReplies ' +
  'Icmp6InGroupMembQueries Icmp6InGroupMembResponses Icmp6InGroupMembReductions ' +
  'Icmp6InRouterSolicits Icmp6InRouterAdvertisements Icmp6InNeighborSolicits ' +
  'Icmp6InNeighborAdvertisements Icmp6InRedirects Icmp6InMLDv2Reports Icmp6OutDestUnreachs ' +
  'Icmp6OutPktTooBigs Icmp6OutTimeExcds Icmp6OutParmProblems Icmp6OutEchos ' +
  'Icmp6OutEchoReplies Icmp6OutGroupMembQueries Icmp6OutGroupMembResponses ' +
  'Icmp6OutGroupMembReductions Icmp6OutRouterSolicits Icmp6OutRouterAdvertisements ' +
  'Icmp6OutNeighborSolicits Icmp6OutNeighborAdvertisements Icmp6OutRedirects ' +
  'Icmp6OutMLDv2Reports Udp6InDatagrams Udp6NoPorts Udp6InErrors Udp6OutDatagrams ' +
  'Udp6RcvbufErrors Udp6SndbufErrors Udp6InCsumErrors Udp6IgnoredMulti Udp6MemErrors ' +
  'UdpLite6InDatagrams UdpLite6NoPorts UdpLite6InErrors UdpLite6OutDatagrams ' +
  'UdpLite6RcvbufErrors UdpLite6SndbufErrors UdpLite6InCsumErrors UdpLite6MemErrors ' +
  'TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtEmbryonicRsts ' +
  'TcpExtPruneCalled TcpExtRcvPruned TcpExtOfoPruned TcpExtOutOfWindowIcmps ' +
  'TcpExtLockDroppedIcmps TcpExtArpFilter TcpExtTW TcpExtTWRecycled TcpExtTWKilled ' +
  'TcpExtPAWSActive TcpExtPAWSEstab TcpExtBeyondWindow TcpExtTSEcrRejected TcpExtPAWSOldAck ' +
  'TcpExtPAWSTimewait TcpExtDelayedACKs TcpExtDelayedACKLocked TcpExtDelayedACKLost ' +
  'TcpExtListenOverflows TcpExtListenDrops TcpExtTCPHPHits TcpExtTCPPureAcks TcpExtTCPHPAcks ' +
  'TcpExtTCPRenoRecovery TcpExtTCPSackRecovery TcpExtTCPSACKReneging TcpExtTCPSACKReorder ' +
  'TcpExtTCPRenoReorder TcpExtTCPTSReorder TcpExtTCPFullUndo TcpExtTCPPartialUndo ' +
  'TcpExtTCPDSACKUndo TcpExtTCPLossUndo TcpExtTCPLostRetransmit TcpExtTCPRenoFailures ' +
  'TcpExtTCPSackFailures TcpExtTCPLossFailures TcpExtTCPFastRetrans ' +
  'TcpExtTCPSlowStartRetrans TcpExtTCPTimeouts TcpExtTCPLossProbes ' +
  'TcpExtTCPLossProbeRecovery TcpExtTCPRenoRecoveryFail TcpExtTCPSackRecoveryFail ' +
  'TcpExtTCPRcvCollapsed TcpExtTCPBacklogCoalesce TcpExtTCPDSACKOldSent ' +
  'TcpExtTCPDSACKOfoSent TcpExtTCPDSACKRecv TcpExtTCPDSACKOfoRecv TcpExtTCPAbortOnData ' +
  'TcpExtTCPAbortOnClose TcpExtTCPAbortOnMemory TcpExtTCPAbortOnTimeout ' +
  'TcpExtTCPAbortOnLinger TcpExtTCPAbortFailed TcpExtTCPMemoryPressures ' +
  'TcpExtTCPMemoryPressuresChrono TcpExtTCPSACKDiscard TcpExtTCPDSACKIgnoredOld ' +
  'TcpExtTCPDSACKIgnoredNoUndo TcpExtTCPSpuriousRTOs TcpExtTCPMD5NotFound ' +
  'TcpExtTCPMD5Unexpected TcpExtTCPMD5Failure TcpExtTCPSackShifted TcpExtTCPSackMerged ' +
  'TcpExtTCPSackShiftFallback TcpExtTCPBacklogDrop TcpExtPFMemallocDrop TcpExtTCPMinTTLDrop ' +
  'TcpExtTCPDeferAcceptDrop TcpExtIPReversePathFilter TcpExtTCPTimeWaitOverflow ' +
  'TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop TcpExtTCPRetransFail ' +
  'TcpExtTCPRcvCoalesce TcpExtTCPOFOQueue TcpExtTCPOFODrop TcpExtTCPOFOMerge ' +
  'TcpExtTCPChallengeACK TcpExtTCPSYNChallenge TcpExtTCPFastOpenActive ' +
  'TcpExtTCPFastOpenActiveFail TcpExtTCPFastOpenPassive TcpExtTCPFastOpenPassiveFail ' +
  'TcpExtTCPFastOpenListenOverflow TcpExtTCPFastOpenCookieReqd TcpExtTCPFastOpenBlackhole ' +
  'TcpExtTCPSpuriousRtxHostQueues TcpExtBusyPollRxPackets TcpExtTCPAutoCorking ' +
  'TcpExtTCPFromZeroWindowAdv TcpExtTCPToZeroWindowAdv TcpExtTCPWantZeroWindowAdv ' +
  'TcpExtTCPSynRetrans TcpExtTCPOrigDataSent TcpExtTCPHystartTrainDetect ' +
  'TcpExtTCPHystartTrainCwnd TcpExtTCPHystartDelayDetect TcpExtTCPHystartDelayCwnd ' +
  'TcpExtTCPACKSkippedSynRecv TcpExtTCPACKSkippedPAWS TcpExtTCPACKSkippedSeq ' +
  'TcpExtTCPACKSkippedFinWait2 TcpExtTCPACKSkippedTimeWait TcpExtTCPACKSkippedChallenge ' +
  'TcpExtTCPWinProbe TcpExtTCPKeepAlive TcpExtTCPMTUPFail TcpExtTCPMTUPSuccess ' +
  'TcpExtTCPDelivered TcpExtTCPDeliveredCE TcpExtTCPAckCompressed TcpExtTCPZeroWindowDrop ' +
  'TcpExtTCPRcvQDrop TcpExtTCPWqueueTooBig TcpExtTCPFastOpenPassiveAltKey ' +
  'TcpExtTcpTimeoutRehash TcpExtTcpDuplicateDataRehash TcpExtTCPDSACKRecvSegs ' +
  'TcpExtTCPDSACKIgnoredDubious TcpExtTCPMigrateReqSuccess TcpExtTCPMigrateReqFailure ' +
  'TcpExtTCPPLBRehash TcpExtTCPAORequired TcpExtTCPAOBad TcpExtTCPAOKeyNotFound ' +
  'TcpExtTCPAOGood TcpExtTCPAODroppedIcmps IpExtInNoRoutes IpExtInTruncatedPkts ' +
  'IpExtInMcastPkts IpExtOutMcastPkts IpExtInBcastPkts IpExtOutBcastPkts IpExtInOctets ' +
  'IpExtOutOctets IpExtInMcastOctets IpExtOutMcastOctets IpExtInBcastOctets ' +
  'IpExtOutBcastOctets IpExtInCsumErrors IpExtInNoECTPkts IpExtInECT1Pkts IpExtInECT0Pkts ' +
  'IpExtInCEPkts IpExtReasmOverlaps MPTcpExtMPCapableSYNRX MPTcpExtMPCapableSYNTX ' +
  'MPTcpExtMPCapableSYNACKRX MPTcpExtMPCapableACKRX MPTcpExtMPCapableFallbackACK ' +
  'MPTcpExtMPCapableFallbackSYNACK MPTcpExtMPCapableSYNTXDrop MPTcpExtMPCapableSYNTXDisabled ' +
  'MPTcpExtMPCapableEndpAttempt MPTcpExtMPFallbackTokenInit MPTcpExtMPTCPRetrans ' +
  'MPTcpExtMPJoinNoTokenFound MPTcpExtMPJoinSynRx MPTcpExtMPJoinSynBackupRx ' +
  'MPTcpExtMPJoinSynAckRx MPTcpExtMPJoinSynAckBackupRx MPTcpExtMPJoinSynAckHMacFailure ' +
  'MPTcpExtMPJoinAckRx MPTcpExtMPJoinAckHMacFailure MPTcpExtMPJoinRejected ' +
  'MPTcpExtMPJoinSynTx MPTcpExtMPJoinSynTxCreatSkErr MPTcpExtMPJoinSynTxBindErr ' +
  'MPTcpExtMPJoinSynTxConnectErr MPTcpExtDSSNotMatching MPTcpExtDSSCorruptionFallback ' +
  'MPTcpExtDSSCorruptionReset MPTcpExtInfiniteMapTx MPTcpExtInfiniteMapRx ' +
  'MPTcpExtDSSNoMatchTCP MPTcpExtDataCsumErr MPTcpExtOFOQueueTail MPTcpExtOFOQueue ' +
  'MPTcpExtOFOMerge MPTcpExtNoDSSInWindow MPTcpExtDuplicateData MPTcpExtAddAddr ' +
  'MPTcpExtAddAddrTx MPTcpExtAddAddrTxDrop MPTcpExtEchoAdd MPTcpExtEchoAddTx ' +
  'MPTcpExtEchoAddTxDrop MPTcpExtPortAdd MPTcpExtAddAddrDrop MPTcpExtMPJoinPortSynRx ' +
  'MPTcpExtMPJoinPortSynAckRx MPTcpExtMPJoinPortAckRx MPTcpExtMismatchPortSynRx ' +
  'MPTcpExtMismatchPortAckRx MPTcpExtRmAddr MPTcpExtRmAddrDrop MPTcpExtRmAddrTx ' +
  'MPTcpExtRmAddrTxDrop MPTcpExtRmSubflow MPTcpExtMPPrioTx MPTcpExtMPPrioRx MPTcpExtMPFailTx ' +
  'MPTcpExtMPFailRx MPTcpExtMPFastcloseTx MPTcpExtMPFastcloseRx MPTcpExtMPRstTx ' +
  'MPTcpExtMPRstRx MPTcpExtSubflowStale MPTcpExtSubflowRecover MPTcpExtSndWndShared ' +
  'MPTcpExtRcvWndShared MPTcpExtRcvWndConflictUpdate MPTcpExtRcvWndConflict ' +
  'MPTcpExtMPCurrEstab MPTcpExtBlackhole MPTcpExtMPCapableDataFallback ' +
  'MPTcpExtMD5SigFallback MPTcpExtDssFallback MPTcpExtSimultConnectFallback ' +
  'MPTcpExtFallbackFailed MPTcpExtWinProbe '
)
  .trim()
  .split(' ');
