/**
 * The host layer: a virtual Linux host, with TCP carried by it.
 *
 * What it does: a host (`Host`, host.ts) has a loopback interface `lo`
 * (127.0.0.1/8, ifindex 1) and Ethernet NICs attached to simulated links
 * (eth0 = 2, …); IPv4 addresses with their connected routes and a routing table
 * with longest-prefix match (route.ts); IP input with Linux's checks, counters
 * and drop reasons, forwarding when net.ipv4.ip_forward is set, and output with
 * Linux's TTL, DF and IP id rules (ip.ts, ipid.ts); ARP and the neighbour cache
 * with Linux's states and timers (arp.ts, neighbour.ts; kernel time in ../sim/jiffies.ts); ICMP echo,
 * errors and rate limits (icmp.ts); a minimal UDP (udp.ts); a registry that
 * demultiplexes to transport protocols, which TCP joins
 * (`host.registerProtocol`, protocol.ts); a sysctl table other layers register
 * into (sysctl.ts, sysctls.ts); SNMP counters and a drop log (counters.ts);
 * netfilter hook points; capture taps and pcapng / `any` writers (tap.ts).
 * TCP joins through the same registry (tcp.ts: demux, timers, ports; its
 * sysctls in tcp-sysctls.ts); programs use it through file descriptors
 * (socket.ts, `host.sockets`) or Node's `net` (net-api.ts, `host.net`).
 *
 * Linux is the specification: the reference traces first
 * (../shared/linux-traces: ARP before the first SYN, the ICMP port unreachable
 * with tos 0xc0 quoting the SYN), then the kernel's source (net/ipv4/ip_input.c,
 * ip_output.c, icmp.c, arp.c, route.c, net/core/neighbour.c), then the RFCs.
 * Each rule says where it comes from; DEVIATION comments say where tcplab
 * differs.
 *
 * What it must not do: import `node:*`, read a real clock, call `Math.random`,
 * `setTimeout` or `setInterval`, or do I/O. Time comes from the simulator's
 * `EventQueue` (handlers are handed `now`), randomness from the host's named
 * `Random` streams. A malformed or unwanted packet is dropped with a Linux drop
 * reason and counted, never thrown; an API failure is a result carrying an
 * errno (`ENETUNREACH`, `EINVAL`, …). `throw` means a bug in tcplab.
 */

export * from './arp.js';
export * from './counters.js';
export * from './host.js';
export * from './icmp.js';
export * from './interface.js';
export * from './ip.js';
export * from './ipid.js';
export * from './kmsg.js';
export * from './neighbour.js';
export * from './net-api.js';
export * from './protocol.js';
export * from './route.js';
export * from './socket.js';
export * from './socket-errors.js';
export * from './sysctl.js';
export * from './sysctls.js';
export * from './tap.js';
export * from './tcp.js';
export * from './tcp-sysctls.js';
export * from './udp.js';
