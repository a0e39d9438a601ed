/**
 * The `net.ipv4.tcp_*` keys in the host's sysctl table, so that `sysctl -w
 * net.ipv4.tcp_syn_retries=3` on a host changes what its TCP does. The table is
 * the one place the values live: the host registers the keys with the engine's
 * stock defaults (src/tcp/sysctl.ts, LINUX_TCP_SYSCTL) when it is made, and its
 * TCP (tcp.ts) keeps `TcpNet.sysctl` in step with every change.
 *
 * Kinds and bounds as net/ipv4/sysctl_net_ipv4.c declares them: seconds for the
 * proc_dointvec_jiffies keys (tcp_fin_timeout, tcp_keepalive_time,
 * tcp_keepalive_intvl), milliseconds for tcp_invalid_ratelimit
 * (proc_dointvec_ms_jiffies), tcp_syn_retries within 1..127 (tcp_syn_retries_min,
 * MAX_TCP_SYNCNT), tcp_rmem and tcp_wmem as three integers, the congestion
 * control by name among those the kernel has (unknown: ENOENT, as
 * tcp_set_default_congestion_control answers).
 */

import { LINUX_TCP_SYSCTL, type TcpSysctl } from '../tcp/sysctl.js';
import type { SysctlKind, SysctlTable, SysctlValue } from './sysctl.js';

const SECONDS = new Set<keyof TcpSysctl>([
  'tcp_fin_timeout',
  'tcp_keepalive_time',
  'tcp_keepalive_intvl',
]);

/** The algorithms tcplab accepts by name (the engine runs NewReno for all, see congestion.ts). */
const CONGESTION_CONTROLS = new Set(['reno', 'cubic', 'bbr']);

/** The kind of a key; one the engine adds later gets the kind its default's type suggests. */
function kindOf(key: keyof TcpSysctl, value: unknown): SysctlKind {
  if (Array.isArray(value)) return { type: 'intvec', length: value.length, min: 1 };
  // TCP_CA_NAME_MAX is 16 bytes with the NUL.
  if (typeof value === 'string') return { type: 'string', maxLength: 15 };
  if (SECONDS.has(key)) return { type: 'jiffies' };
  if (key === 'tcp_invalid_ratelimit') return { type: 'ms_jiffies' };
  if (key === 'tcp_syn_retries') return { type: 'int', min: 1, max: 127 };
  // proc_dou8vec_minmax 0..2; proc_douintvec_minmax 1..TCP_PAWS_MSL * MSEC_PER_SEC.
  if (key === 'tcp_tw_reuse') return { type: 'int', min: 0, max: 2 };
  if (key === 'tcp_tw_reuse_delay') return { type: 'int', min: 1, max: 60000 };
  // proc_dointvec_minmax 0..1000 (thousand).
  if (key === 'tcp_pacing_ss_ratio' || key === 'tcp_pacing_ca_ratio') {
    return { type: 'int', min: 0, max: 1000 };
  }
  // proc_dou8vec_minmax: 0..255, tcp_min_tso_segs from 1 (SYSCTL_ONE).
  if (key === 'tcp_tso_win_divisor' || key === 'tcp_tso_rtt_log') {
    return { type: 'int', min: 0, max: 255 };
  }
  if (key === 'tcp_min_tso_segs') return { type: 'int', min: 1, max: 255 };
  if (key === 'tcp_slow_start_after_idle') return { type: 'int', min: 0, max: 1 };
  if (key === 'tcp_notsent_lowat') return { type: 'uint' };
  // proc_dointvec: any int, -1 included (then nothing fits).
  if (key === 'tcp_max_tw_buckets' || key === 'tcp_max_orphans') return { type: 'int' };
  return { type: 'int', min: 0 };
}

/** Registers every key of TcpSysctl as `net.ipv4.KEY`, with Linux 6.12's default. */
export function registerTcpSysctls(sysctl: SysctlTable): void {
  for (const key of Object.keys(LINUX_TCP_SYSCTL) as (keyof TcpSysctl)[]) {
    sysctl.register({
      name: `net.ipv4.${key}`,
      kind: kindOf(key, LINUX_TCP_SYSCTL[key]),
      default: LINUX_TCP_SYSCTL[key] as SysctlValue,
      source: 'Linux: net/ipv4/tcp_ipv4.c tcp_sk_init, tcp.c tcp_init; sysctl_net_ipv4.c',
      ...(key === 'tcp_congestion_control'
        ? {
            validate: (v: SysctlValue) =>
              CONGESTION_CONTROLS.has(v as string) ? undefined : 'ENOENT',
          }
        : {}),
    });
  }
}

/** The TcpSysctl the table holds now. */
export function tcpSysctlFrom(sysctl: SysctlTable): TcpSysctl {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(LINUX_TCP_SYSCTL) as (keyof TcpSysctl)[]) {
    const v = sysctl.get(`net.ipv4.${key}`);
    out[key] = Array.isArray(v) ? Object.freeze([...v]) : v;
  }
  return Object.freeze(out) as unknown as TcpSysctl;
}

/** Writes every value of `values` into the table (each change is then seen by its listeners). */
export function writeTcpSysctls(sysctl: SysctlTable, values: TcpSysctl): void {
  for (const key of Object.keys(LINUX_TCP_SYSCTL) as (keyof TcpSysctl)[]) {
    const r = sysctl.set(`net.ipv4.${key}`, values[key] as SysctlValue);
    if (!r.ok) throw new RangeError(`net.ipv4.${key}: ${r.error.message}`);
  }
}
