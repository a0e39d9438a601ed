/**
 * A host's SNMP and Linux MIB counters under their nstat names, as
 * /proc/net/snmp and /proc/net/netstat hold them (procnet.ts): the host's IP, ICMP,
 * UDP and IpExt counters (src/host/counters.ts), TCP's from the engine
 * (src/tcp/counters.ts). A counter neither keeps reads 0 (DEVIATION: the
 * kernel counts more than tcplab models, e.g. TcpExtTCPRcvCoalesce).
 */

import type { Host } from '../host/host.js';
import { TCP_COUNTER_NAMES, type TcpCounterName } from '../tcp/counters.js';

const TCP_NAMES: ReadonlySet<string> = new Set(TCP_COUNTER_NAMES);

export interface CounterSource {
  /** The value of a counter by its nstat name. */
  get(name: string): number;
  /** IcmpMsgInType3 … of the ICMP types seen, in /proc/net/snmp order. */
  readonly icmpMsg: readonly [string, number][];
}

export function counterSource(host: Host): CounterSource {
  const snmp = host.counters;
  const tcp = host.tcp.net.counters;
  const icmpMsg = snmp.snapshot().filter(([n]) => n.startsWith('IcmpMsg'));
  return {
    icmpMsg,
    get(name: string): number {
      // SNMP ipForwarding: 1 forwarding, 2 not (net/ipv4/proc.c snmp_seq_show_ipstats).
      if (name === 'IpForwarding') return host.sysctl.int('net.ipv4.ip_forward') !== 0 ? 1 : 2;
      if (name === 'IpDefaultTTL') return host.sysctl.int('net.ipv4.ip_default_ttl');
      if (TCP_NAMES.has(name)) return tcp[name as TcpCounterName];
      return snmp.get(name);
    },
  };
}
