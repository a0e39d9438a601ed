/**
 * netfilter: the filter table of a host, the connection tracking it needs, and
 * the iptables, iptables-save and iptables-restore commands, as Linux 6.x and
 * iptables 1.8.9 (nf_tables) do them.
 *
 * Read in this order: rule.ts (what a rule is: the IP part, the matches
 * tcp/udp/icmp/multiport/limit/conntrack/state, the targets ACCEPT/DROP/RETURN/
 * a chain/REJECT/LOG), table.ts (chains, counters and ipt_do_table on the
 * host's hook points), conntrack.ts (nf_conntrack for TCP, UDP and ICMP),
 * targets.ts (what REJECT sends and the line LOG writes to the kernel log),
 * parse.ts (iptables' command line, do_parse in xshared.c), print.ts (-L, -S
 * and iptables-save), commands.ts (the three commands).
 *
 * This layer sits on the host (src/host): it reads the host's hook points,
 * sends REJECT answers through the host's ICMP and TCP, and writes to the
 * host's kernel log. It reads no clock but the host's virtual time and does
 * no I/O; only the commands touch a process's streams and files.
 */

export { NETFILTER_COMMANDS } from './commands.js';
export { type Conntrack, type CtState, ctStateOf } from './conntrack.js';
export { Netfilter, netfilterOf } from './table.js';
