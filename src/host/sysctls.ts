/**
 * The sysctl keys the host layer reads, with a stock Linux 6.12's defaults and
 * bounds (DESIGN.md "Which Linux"). The neighbour keys
 * (net.ipv4.neigh.{default,IFACE}.*) are registered by the neighbour table
 * (neighbour.ts); TCP registers its own.
 */

import type { SysctlTable, SysctlValue } from './sysctl.js';

export function registerHostSysctls(sysctl: SysctlTable): void {
  sysctl.register({
    name: 'net.ipv4.ip_default_ttl',
    kind: { type: 'int', min: 1, max: 255 },
    default: 64,
    source:
      'Linux: include/uapi/linux/ip.h IPDEFTTL; net/ipv4/sysctl_net_ipv4.c (ip_ttl_min 1, ip_ttl_max 255)',
  });
  sysctl.register({
    name: 'net.ipv4.ip_forward',
    kind: { type: 'int' },
    default: 0,
    source: 'Linux: net/ipv4/devinet.c devinet_sysctl_forward (proc_dointvec; non-zero forwards)',
  });
  sysctl.register({
    name: 'net.ipv4.ip_no_pmtu_disc',
    kind: { type: 'int' },
    default: 0,
    source: 'Linux: Documentation/networking/ip-sysctl.rst (0: path MTU discovery, DF set)',
  });
  sysctl.register({
    name: 'net.ipv4.ip_unprivileged_port_start',
    kind: { type: 'int', min: 0, max: 65535 },
    default: 1024,
    source: 'Linux: net/ipv4/af_inet.c inet_init_net (PROT_SOCK 1024)',
    // ipv4_privileged_ports: it may not reach into the local port range.
    validate: (v: SysctlValue) =>
      (v as number) > sysctl.ints('net.ipv4.ip_local_port_range')[0]! ? 'EINVAL' : undefined,
  });
  sysctl.register({
    name: 'net.ipv4.ip_local_port_range',
    kind: { type: 'intvec', length: 2, min: 1, max: 65535 },
    default: [32768, 60999],
    source: 'Linux: net/ipv4/af_inet.c inet_init_net; sysctl_net_ipv4.c ipv4_local_port_range',
    // "Ensure that the upper limit is not smaller than the lower, and that the
    // lower does not encroach upon the privileged port limit."
    validate: (v: SysctlValue) => {
      const [low, high] = v as readonly number[];
      if (high! < low!) return 'EINVAL';
      return low! < sysctl.int('net.ipv4.ip_unprivileged_port_start') ? 'EINVAL' : undefined;
    },
  });
  sysctl.register({
    name: 'net.ipv4.icmp_ratelimit',
    kind: { type: 'ms_jiffies' },
    default: 1000,
    source: 'Linux: net/ipv4/icmp.c icmp_sk_init (1 * HZ); proc_dointvec_ms_jiffies',
  });
  sysctl.register({
    name: 'net.ipv4.icmp_ratemask',
    kind: { type: 'int' },
    default: 0x1818,
    source:
      'Linux: net/ipv4/icmp.c icmp_sk_init (dest unreachable, source quench, time exceeded, parameter problem)',
  });
  sysctl.register({
    name: 'net.ipv4.icmp_msgs_per_sec',
    kind: { type: 'int', min: 0 },
    default: 1000,
    source: 'Linux 6.12: net/ipv4/icmp.c icmp_sk_init',
  });
  sysctl.register({
    name: 'net.ipv4.icmp_msgs_burst',
    kind: { type: 'int', min: 0 },
    default: 50,
    source: 'Linux 6.12: net/ipv4/icmp.c icmp_sk_init',
  });
  for (const [name, value] of [
    ['icmp_echo_ignore_all', 0],
    ['icmp_echo_ignore_broadcasts', 1],
    ['icmp_ignore_bogus_error_responses', 1],
    ['icmp_errors_use_inbound_ifaddr', 0],
  ] as const) {
    sysctl.register({
      name: `net.ipv4.${name}`,
      kind: { type: 'int', min: 0, max: 1 },
      default: value,
      source: 'Linux: net/ipv4/icmp.c icmp_sk_init; sysctl_net_ipv4.c (proc_dou8vec_minmax 0..1)',
    });
  }
  sysctl.register({
    name: 'net.core.somaxconn',
    kind: { type: 'int', min: 0 },
    default: 4096,
    source: 'Linux: include/linux/socket.h SOMAXCONN (4096 since 5.4); net/core/sysctl_net_core.c',
  });
  // The socket buffer sizes: SK_{R,W}MEM_{DEFAULT,MAX} (include/net/sock.h),
  // no less than SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF (net/core/sysctl_net_core.c
  // min_rcvbuf, min_sndbuf).
  for (const [name, min, what] of [
    ['rmem_default', 2304, 'SK_RMEM_DEFAULT'],
    ['rmem_max', 2304, 'SK_RMEM_MAX'],
    ['wmem_default', 4608, 'SK_WMEM_DEFAULT'],
    ['wmem_max', 4608, 'SK_WMEM_MAX'],
  ] as const) {
    sysctl.register({
      name: `net.core.${name}`,
      kind: { type: 'int', min },
      default: 212_992,
      source: `Linux: include/net/sock.h ${what}; net/core/sysctl_net_core.c`,
    });
  }
}
