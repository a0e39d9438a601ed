/**
 * Backquoted shell commands of packetdrill scripts, interpreted, never run.
 *
 * packetdrill hands them to /bin/sh (run_command.c); on a user-space stack the
 * commands that matter only configure the host under test, so tcplab knows
 * those and applies them to the host's sysctl table:
 *
 * - `sysctl [-q] [-w] net.ipv4.NAME=VALUE …` (procps sysctl);
 * - `…/defaults.sh`: the settings of ../shared/conformance/packetdrill/
 *   common/defaults.sh, built in (DEFAULTS_SH below);
 * - `…/set_sysctls.py /proc/sys/PATH=VALUE …` (packetdrill tcp/common): saves
 *   each current value, then sets it; `/tmp/sysctl_restore_${PPID}.sh` puts the
 *   saved values back;
 * - `ip tcp_metrics flush …`, `tc qdisc …`: nothing to do (no metrics cache, no
 *   qdisc on the simulated wire).
 *
 * A sysctl tcplab does not model is recorded as ignored (the executor lists
 * them with --verbose); anything else is an error, so a script never silently
 * depends on something that did not happen.
 */

import type { SysctlTable } from '../host/sysctl.js';

/** common/defaults.sh of the upstream corpus, as `name value` pairs ($((…)) evaluated). */
export const DEFAULTS_SH: readonly (readonly [string, string])[] = [
  ['net.ipv4.tcp_rmem', `4096 540000 ${15 * 1024 * 1024}`],
  ['net.ipv4.tcp_wmem', `4096 ${256 * 1024} 4194304`],
  ['net.ipv4.tcp_timestamps', '1'],
  ['net.ipv4.tcp_syn_retries', '5'],
  ['net.ipv4.tcp_synack_retries', '5'],
  ['net.ipv4.tcp_frto', '2'],
  ['net.ipv4.tcp_sack', '1'],
  ['net.ipv4.tcp_dsack', '1'],
  ['net.ipv4.tcp_fack', '0'],
  ['net.ipv4.tcp_reordering', '3'],
  ['net.ipv4.tcp_congestion_control', 'cubic'],
  ['net.ipv4.tcp_slow_start_after_idle', '0'],
  ['net.ipv4.tcp_early_retrans', '4'],
  ['net.ipv4.tcp_recovery', '1'],
  ['net.ipv4.tcp_tso_win_divisor', '3'],
  ['net.ipv4.tcp_ecn', '0'],
  ['net.ipv4.tcp_ecn_option', '2'],
  ['net.ipv4.tcp_pacing_ss_ratio', '200'],
  ['net.ipv4.tcp_pacing_ca_ratio', '120'],
  ['net.ipv4.tcp_notsent_lowat', '4294967295'],
  ['net.ipv4.tcp_fastopen', '0x70403'],
  ['net.ipv4.tcp_fastopen_key', 'a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4'],
  ['net.ipv4.tcp_syncookies', '1'],
];

export interface CommandContext {
  readonly sysctl: SysctlTable;
  /** Values saved by set_sysctls.py, for the restore script. */
  readonly saved: Map<string, string>;
  /** Sysctls written that tcplab does not model. */
  readonly ignored: string[];
}

export type CommandResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Splits a command text into shell lines (backslash-newline joins, `;` and newlines split). */
function shellLines(text: string): string[][] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/[\n;]/);
  const out: string[][] = [];
  for (const line of lines) {
    const words: string[] = [];
    const re = /"([^"]*)"|'([^']*)'|([^\s"']+)/g;
    // Redirections (`> /dev/null 2>&1`) are dropped: nothing is printed anyway.
    const stripped = line.replace(/\s[0-9]?>&?\s*\S+/g, ' ').replace(/#.*$/, '');
    let m: RegExpExecArray | null;
    let cur = '';
    let last = -1;
    for (m = re.exec(stripped); m !== null; m = re.exec(stripped)) {
      const piece = m[1] ?? m[2] ?? m[3] ?? '';
      // name="a b c": a quoted value glued to the word before it.
      if (last === m.index && cur !== '') {
        cur += piece;
        words[words.length - 1] = cur;
      } else {
        cur = piece;
        words.push(piece);
      }
      last = m.index + m[0].length;
    }
    if (words.length > 0) out.push(words);
  }
  return out;
}

function setSysctl(ctx: CommandContext, name: string, value: string): string | undefined {
  if (!ctx.sysctl.has(name)) {
    ctx.ignored.push(`${name}=${value}`);
    return undefined;
  }
  const r = ctx.sysctl.write(name, value);
  if (!r.ok) return `sysctl: setting key "${name}": ${r.error.message}`;
  return undefined;
}

/** Runs one backquoted command's text against the host's configuration. */
export function runCommand(text: string, ctx: CommandContext): CommandResult {
  for (const words of shellLines(text)) {
    const prog = words[0]!;
    const base = prog.split('/').pop()!;
    if (base === 'defaults.sh') {
      for (const [n, v] of DEFAULTS_SH) {
        const e = setSysctl(ctx, n, v);
        if (e !== undefined) return { ok: false, error: e };
      }
    } else if (base === 'sysctl') {
      for (const w of words.slice(1)) {
        if (w.startsWith('-')) continue;
        const eq = w.indexOf('=');
        if (eq < 0)
          return { ok: false, error: `sysctl: reading ${w} is not supported in a script` };
        const e = setSysctl(ctx, w.slice(0, eq).replace(/\//g, '.'), w.slice(eq + 1));
        if (e !== undefined) return { ok: false, error: e };
      }
    } else if (base === 'set_sysctls.py') {
      for (const w of words.slice(1)) {
        const m = /^\/proc\/sys\/(.+?)=(.*)$/.exec(w);
        if (m === null) return { ok: false, error: `set_sysctls.py: bad argument ${w}` };
        const name = m[1]!.replace(/\//g, '.');
        if (!ctx.saved.has(name) && ctx.sysctl.has(name)) {
          const old = ctx.sysctl.read(name);
          if (old.ok) ctx.saved.set(name, old.value);
        }
        const e = setSysctl(ctx, name, m[2]!);
        if (e !== undefined) return { ok: false, error: e };
      }
    } else if (/^sysctl_restore_.*\.sh$/.test(base)) {
      for (const [name, value] of ctx.saved) {
        const e = setSysctl(ctx, name, value);
        if (e !== undefined) return { ok: false, error: e };
      }
      ctx.saved.clear();
    } else if ((base === 'ip' && words[1] === 'tcp_metrics') || base === 'tc') {
      // Nothing to flush or to shape on the simulated wire.
    } else {
      return {
        ok: false,
        error: `command not supported (tcplab interprets sysctl, defaults.sh, set_sysctls.py; it never runs commands): ${words.join(' ')}`,
      };
    }
  }
  return { ok: true };
}
