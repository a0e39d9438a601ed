/**
 * The filter table of a host: its chains, their rules and counters, the
 * changes iptables makes to them (with the errors iptables 1.8.9 (nf_tables)
 * reports), and the traversal of a packet through them on the host's
 * netfilter hooks, as ipt_do_table (net/ipv4/netfilter/ip_tables.c) does it:
 * rules in order, the first matching terminal target decides, RETURN or the
 * end of a user chain goes back to the calling chain, the end of a built-in
 * chain applies its policy; every matching rule counts the packet and its
 * length (skb->len, the IP datagram), and so does a policy that has counters
 * (see Chain.counting).
 *
 * As with nf_tables, the table does not exist until a command creates it
 * (-A, -I, -R, -N, -P, iptables-restore): until then iptables-save prints
 * nothing and no counter counts (linux-traces: iptables-final-gt-client.txt).
 * A jump that would close a loop reachable from a built-in chain is refused
 * with ELOOP, as nf_tables_check_loops does.
 */

import type { Host } from '../host/host.js';
import type { HookPacket, HookVerdict, NetfilterHook } from '../host/protocol.js';
import type { Time } from '../sim/time.js';
import { Conntrack, type CtInfo } from './conntrack.js';
import { ruleSpec } from './print.js';
import {
  CT_INVALID,
  CT_RELATED,
  ifaceMatches,
  limitAllows,
  type Match,
  type Rule,
} from './rule.js';
import { kmsgLevel, logLine, sendReject } from './targets.js';

export const BUILTIN_CHAINS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;
export type BuiltinChain = (typeof BUILTIN_CHAINS)[number];

export interface TableSnapshot {
  readonly exists: boolean;
  readonly chains: readonly Chain[];
}

export interface Chain {
  name: string;
  readonly builtin: boolean;
  policy: 'ACCEPT' | 'DROP';
  rules: Rule[];
  /** Policy counters (built-in chains). */
  pkts: bigint;
  bytes: bigint;
  /**
   * The base chain keeps statistics (nf_tables NFTA_CHAIN_COUNTERS). A chain
   * iptables-nft made implicitly (the table came with `-A` or `-N`) has none and
   * its policy counters stay 0; `-P` and an iptables-restore chain line give it
   * counters, from 0 (observed with iptables 1.8.9 on Linux 6.18: the traces'
   * `OUTPUT (policy ACCEPT 0 packets, 0 bytes)` after REJECT answers went out).
   */
  counting: boolean;
  /**
   * The chain is in the kernel. iptables-nft makes a built-in chain only when
   * it needs it (a rule goes into it, `-P`, `-F CHAIN`, an iptables-restore
   * chain line): until then `-D CHAIN 1` and `-R CHAIN 1 …` find no chain
   * ("No chain/target/match by that name."), after it an index past the end
   * ("Index of deletion too big."). User chains are made by `-N`.
   */
  inKernel: boolean;
}

/** A failure of a table operation, as iptables prints it. */
export type NfError =
  /** `iptables: TEXT` (iptables-restore: `line N failed: TEXT`), exit 1. */
  | { readonly kind: 'kernel'; readonly text: string; readonly restoreText?: string }
  /** A whole line after `iptables v1.8.9 (nf_tables): `, with its exit status. */
  | { readonly kind: 'batch'; readonly text: string; readonly status: number };

const NO_CHAIN: NfError = { kind: 'kernel', text: 'No chain/target/match by that name.' };
const BAD_RULE: NfError = {
  kind: 'kernel',
  text: 'Bad rule (does a matching rule exist in that chain?).',
};

/** A base chain back to what it is before iptables-nft makes it: not in the kernel, no counters. */
function forget(c: Chain): void {
  c.inKernel = false;
  c.counting = false;
  c.policy = 'ACCEPT';
  c.pkts = 0n;
  c.bytes = 0n;
}

function newChain(name: string, builtin: boolean): Chain {
  return {
    name,
    builtin,
    policy: 'ACCEPT',
    rules: [],
    pkts: 0n,
    bytes: 0n,
    counting: false,
    inKernel: !builtin,
  };
}

/** What a traversal needs to know about the packet. */
interface PacketContext {
  readonly pkt: HookPacket;
  readonly now: Time;
  ct: CtInfo | undefined;
}

export class Netfilter {
  readonly host: Host;
  /** nf_tables: the table exists (some command created it). */
  exists = false;
  readonly #chains = new Map<string, Chain>();
  readonly conntrack = new Conntrack();
  /** nf_conntrack is loaded once a rule needs it (nf_ct_netns_get), and tracks every packet from then on. */
  tracking = false;
  /** Set while REJECT sends: its answer is RELATED to the packet (nf_ct_attach). */
  #rejecting = false;

  constructor(host: Host) {
    this.host = host;
    for (const name of BUILTIN_CHAINS) this.#chains.set(name, newChain(name, true));
    for (const hook of BUILTIN_CHAINS) {
      host.addHook(hook, (now, pkt) => this.#hook(now, hook, pkt));
    }
  }

  // ---- reading -------------------------------------------------------------

  chain(name: string): Chain | undefined {
    return this.#chains.get(name);
  }

  /** Built-in chains in their order, then user chains by name (strcmp), as nft lists them. */
  get chains(): Chain[] {
    const user = [...this.#chains.values()]
      .filter((c) => !c.builtin)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return [...BUILTIN_CHAINS.map((n) => this.#chains.get(n)!), ...user];
  }

  /** How many rules jump or go to `name` (`Chain x (N references)`). */
  references(name: string): number {
    let n = 0;
    for (const c of this.#chains.values()) {
      for (const r of c.rules) if (r.target.kind === 'jump' && r.target.chain === name) n++;
    }
    return n;
  }

  // ---- changing ------------------------------------------------------------

  #noteRule(rule: Rule): void {
    if (rule.matches.some((m) => m.kind === 'conntrack' || m.kind === 'state')) {
      this.tracking = true;
    }
  }

  #targetOk(rule: Rule): NfError | undefined {
    if (rule.target.kind === 'jump' && !this.#chains.has(rule.target.chain)) return NO_CHAIN;
    return undefined;
  }

  /**
   * nf_tables_check_loops: a jump that closes a loop reachable from a base
   * chain is refused with ELOOP when the batch is committed.
   */
  #loops(): boolean {
    const state = new Map<string, 'open' | 'done'>();
    const visit = (name: string): boolean => {
      const s = state.get(name);
      if (s === 'open') return true;
      if (s === 'done') return false;
      state.set(name, 'open');
      for (const r of this.#chains.get(name)?.rules ?? []) {
        if (r.target.kind === 'jump' && visit(r.target.chain)) return true;
      }
      state.set(name, 'done');
      return false;
    };
    return BUILTIN_CHAINS.some((b) => visit(b));
  }

  /** Runs `change`; undoes it if it made a loop. */
  #withoutLoops(op: string, chainName: string, c: Chain, change: () => void): NfError | undefined {
    const before = [...c.rules];
    change();
    if (this.#loops()) {
      c.rules = before;
      return {
        kind: 'batch',
        text: ` ${op} failed (Too many links): rule in chain ${chainName}`,
        status: 4,
      };
    }
    return undefined;
  }

  append(chainName: string, rule: Rule): NfError | undefined {
    const c = this.#chains.get(chainName);
    if (c === undefined) return NO_CHAIN;
    const bad = this.#targetOk(rule);
    if (bad) return bad;
    const loop = this.#withoutLoops('RULE_APPEND', chainName, c, () => c.rules.push(rule));
    if (loop) return loop;
    this.exists = true;
    c.inKernel = true;
    this.#noteRule(rule);
    return undefined;
  }

  /** -I CHAIN [n]: n from 1; one past the end appends. */
  /**
   * The error of `-I CHAIN num` or `-R CHAIN num` before the rule itself is
   * looked at: iptables finds the position first, then the kernel checks the
   * rule (a tcp-reset without -p tcp past the end is "Index … too big.").
   */
  positionError(kind: 'insert' | 'replace', chainName: string, num: number): NfError | undefined {
    const c = this.#chains.get(chainName);
    if (c === undefined) return NO_CHAIN;
    if (kind === 'insert') {
      // nft_rule_insert: inserting at 1 into an empty chain appends.
      if (num > c.rules.length + 1) return { kind: 'kernel', text: 'Index of insertion too big.' };
      return undefined;
    }
    if (!c.inKernel) return NO_CHAIN;
    if (num > c.rules.length) return { kind: 'kernel', text: 'Index of replacement too big.' };
    return undefined;
  }

  insert(chainName: string, num: number, rule: Rule): NfError | undefined {
    const c = this.#chains.get(chainName);
    if (c === undefined) return NO_CHAIN;
    const at = this.positionError('insert', chainName, num);
    if (at) return at;
    const bad = this.#targetOk(rule);
    if (bad) return bad;
    const loop = this.#withoutLoops('RULE_INSERT', chainName, c, () =>
      c.rules.splice(num - 1, 0, rule),
    );
    if (loop) return loop;
    this.exists = true;
    c.inKernel = true;
    this.#noteRule(rule);
    return undefined;
  }

  replace(chainName: string, num: number, rule: Rule): NfError | undefined {
    const c = this.#chains.get(chainName);
    const at = this.positionError('replace', chainName, num);
    if (c === undefined || at) return at ?? NO_CHAIN;
    const bad = this.#targetOk(rule);
    if (bad) return bad;
    const loop = this.#withoutLoops('RULE_REPLACE', chainName, c, () => {
      c.rules[num - 1] = rule;
    });
    if (loop) return loop;
    this.exists = true;
    c.inKernel = true;
    this.#noteRule(rule);
    return undefined;
  }

  /** -D CHAIN rule-spec: the first rule equal to `rule`. */
  deleteSpec(chainName: string, rule: Rule): NfError | undefined {
    const c = this.#chains.get(chainName);
    // iptables-nft looks for the rule first: a chain that is not there has no such rule.
    if (c === undefined) return BAD_RULE;
    const i = this.find(c, rule);
    if (i < 0) return BAD_RULE;
    c.rules.splice(i, 1);
    return undefined;
  }

  /** -C: 0 or "Bad rule". */
  check(chainName: string, rule: Rule): NfError | undefined {
    const c = this.#chains.get(chainName);
    if (c === undefined) return BAD_RULE;
    return this.find(c, rule) < 0 ? BAD_RULE : undefined;
  }

  find(c: Chain, rule: Rule): number {
    const spec = ruleSpec(rule);
    return c.rules.findIndex((r) => ruleSpec(r) === spec);
  }

  deleteNum(chainName: string, num: number): NfError | undefined {
    const c = this.#chains.get(chainName);
    if (c === undefined || !this.exists || !c.inKernel) return NO_CHAIN;
    if (num > c.rules.length) return { kind: 'kernel', text: 'Index of deletion too big.' };
    c.rules.splice(num - 1, 1);
    return undefined;
  }

  /** -F [chain]. */
  flush(chainName: string | undefined): NfError | undefined {
    if (chainName === undefined) {
      for (const c of this.#chains.values()) c.rules = [];
      return undefined;
    }
    const c = this.#chains.get(chainName);
    if (c === undefined) return NO_CHAIN;
    c.rules = [];
    // iptables-nft makes the table and the chain to flush them.
    this.exists = true;
    c.inKernel = true;
    return undefined;
  }

  /** -Z [chain [n]]. */
  zero(chainName: string | undefined, num?: number): NfError | undefined {
    const zeroChain = (c: Chain): void => {
      c.pkts = 0n;
      c.bytes = 0n;
      for (const r of c.rules) {
        r.pkts = 0n;
        r.bytes = 0n;
      }
    };
    if (chainName === undefined) {
      for (const c of this.#chains.values()) zeroChain(c);
      return undefined;
    }
    const c = this.#chains.get(chainName);
    if (c === undefined) return NO_CHAIN;
    // A built-in chain not yet in the kernel (observed with iptables 1.8.9):
    // `-Z CHAIN` finds no chain, `-Z CHAIN N` no rule.
    if (!c.inKernel) {
      return num === undefined ? NO_CHAIN : BAD_RULE;
    }
    if (num === undefined) zeroChain(c);
    else {
      // A number past the end zeroes nothing, and is no error.
      const r = c.rules[num - 1];
      if (r !== undefined) {
        r.pkts = 0n;
        r.bytes = 0n;
      }
    }
    return undefined;
  }

  /**
   * `-L -Z`: each listed chain zeroed (iptables-nft's CHAIN_ZERO makes a
   * built-in chain that was not in the kernel); with no table at all, the
   * first chain's zeroing fails (ENOENT), after the listing.
   */
  zeroListed(names: readonly string[], num?: number): NfError | undefined {
    if (!this.exists) {
      return {
        kind: 'batch',
        text: ` CHAIN_ZERO failed (No such file or directory): chain ${names[0] ?? 'INPUT'}`,
        status: 4,
      };
    }
    for (const n of names) {
      const c = this.#chains.get(n);
      if (c === undefined) continue;
      c.inKernel = true;
      this.zero(n, num);
    }
    return undefined;
  }

  newChain(name: string): NfError | undefined {
    if (this.#chains.has(name)) return { kind: 'kernel', text: 'Chain already exists.' };
    this.exists = true;
    this.#chains.set(name, newChain(name, false));
    return undefined;
  }

  /** -X [chain]: nf_tables refuses a chain with rules or references (EBUSY). */
  deleteChain(name: string | undefined): NfError | undefined {
    const busy = (n: string): NfError => ({
      kind: 'batch',
      text: ` CHAIN_DEL failed (Device or resource busy): chain ${n}`,
      status: 4,
    });
    if (name === undefined) {
      const user = this.chains.filter((c) => !c.builtin);
      for (const c of user) {
        if (c.rules.length > 0 || this.references(c.name) > 0) return busy(c.name);
      }
      for (const c of user) this.#chains.delete(c.name);
      // iptables-nft's -X also deletes the base chains that hold nothing (no
      // rule, policy ACCEPT): they are made again on next use (observed with 1.8.9).
      for (const c of this.chains) {
        if (c.builtin && c.inKernel && c.rules.length === 0 && c.policy === 'ACCEPT') forget(c);
      }
      return undefined;
    }
    const c = this.#chains.get(name);
    if (c === undefined || (c.builtin && !c.inKernel)) return NO_CHAIN;
    if (c.rules.length > 0 || this.references(name) > 0) return busy(name);
    // iptables-nft deletes an empty base chain (it is made again on next use),
    // one that is not there is no chain, and a DROP policy keeps it (observed with 1.8.9).
    if (c.builtin) {
      if (!c.inKernel) return NO_CHAIN;
      if (c.policy !== 'ACCEPT') return { kind: 'kernel', text: 'Directory not empty.' };
      forget(c);
      return undefined;
    }
    this.#chains.delete(name);
    return undefined;
  }

  /** -E old new. */
  renameChain(from: string, to: string): NfError | undefined {
    const c = this.#chains.get(from);
    // A built-in chain the kernel does not have yet cannot be renamed.
    if (c?.builtin && !c.inKernel) return NO_CHAIN;
    // DEVIATION(iptables): iptables-nft renames a base chain it has without a
    // word (`-E INPUT x` exits 0); tcplab keeps the built-in chain as it is.
    if (c?.builtin) return undefined;
    if (c === undefined) return NO_CHAIN;
    if (this.#chains.has(to)) return { kind: 'kernel', text: 'File exists.' };
    this.#chains.delete(from);
    c.name = to;
    this.#chains.set(to, c);
    for (const ch of this.#chains.values()) {
      ch.rules = ch.rules.map((r) =>
        r.target.kind === 'jump' && r.target.chain === from
          ? { ...r, target: { ...r.target, chain: to } }
          : r,
      );
    }
    return undefined;
  }

  /** -P chain policy. */
  setPolicy(chainName: string, policy: string): NfError | undefined {
    const c = this.#chains.get(chainName);
    if (c === undefined || !c.builtin) return { kind: 'kernel', text: 'Bad built-in chain name.' };
    if (policy !== 'ACCEPT' && policy !== 'DROP') {
      return {
        kind: 'kernel',
        text: "Bad policy name. Run `dmesg' for more information.",
        restoreText: 'Bad policy name.',
      };
    }
    this.exists = true;
    c.policy = policy;
    c.counting = true;
    c.inKernel = true;
    c.pkts = 0n;
    c.bytes = 0n;
    return undefined;
  }

  /** The table's state, to go back to if a transaction fails (iptables-restore). */
  snapshot(): TableSnapshot {
    const chains = [...this.#chains.values()].map((c) => ({ ...c, rules: [...c.rules] }));
    return { exists: this.exists, chains };
  }

  /** Puts a snapshot back. */
  load(s: TableSnapshot): void {
    this.exists = s.exists;
    this.#chains.clear();
    for (const c of s.chains) this.#chains.set(c.name, { ...c, rules: [...c.rules] });
  }

  // ---- packets -------------------------------------------------------------

  #hook(now: Time, hook: NetfilterHook, pkt: HookPacket): HookVerdict {
    if (!this.exists) return 'ACCEPT';
    const ctx: PacketContext = { pkt, now, ct: undefined };
    if (this.tracking) {
      if (this.#rejecting) {
        ctx.ct = { state: CT_RELATED, entry: undefined, confirm: undefined };
      } else {
        const lookupOnly = hook === 'INPUT' && pkt.inIface?.kind === 'loopback';
        ctx.ct = this.conntrack.classify(now, pkt.ip, lookupOnly, hook !== 'OUTPUT');
      }
    }
    const verdict = this.#traverse(hook as 'INPUT' | 'FORWARD' | 'OUTPUT', ctx);
    if (verdict === 'ACCEPT') ctx.ct?.confirm?.();
    return verdict;
  }

  /** ipt_do_table. */
  #traverse(hook: BuiltinChain, ctx: PacketContext): HookVerdict {
    const base = this.#chains.get(hook)!;
    const len = BigInt(ctx.pkt.datagram.length);
    const stack: { chain: Chain; next: number }[] = [];
    let chain = base;
    let i = 0;
    const policy = (): HookVerdict => {
      if (base.counting) {
        base.pkts += 1n;
        base.bytes += len;
      }
      return base.policy;
    };
    for (;;) {
      if (i >= chain.rules.length) {
        const back = stack.pop();
        if (back === undefined) return policy();
        chain = back.chain;
        i = back.next;
        continue;
      }
      const rule = chain.rules[i++]!;
      if (!this.#matches(rule, ctx)) continue;
      rule.pkts += 1n;
      rule.bytes += len;
      const t = rule.target;
      switch (t.kind) {
        case 'none':
          continue;
        case 'verdict':
          if (t.verdict !== 'RETURN') return t.verdict;
          {
            const back = stack.pop();
            if (back === undefined) return policy();
            chain = back.chain;
            i = back.next;
          }
          continue;
        case 'jump': {
          const next = this.#chains.get(t.chain);
          if (next === undefined) continue;
          if (!t.goto) stack.push({ chain, next: i });
          chain = next;
          i = 0;
          continue;
        }
        case 'REJECT':
          this.#rejecting = true;
          try {
            sendReject(this.host, ctx.pkt, t.with);
          } finally {
            this.#rejecting = false;
          }
          return 'DROP';
        case 'LOG':
          this.host.kmsg.write(ctx.now, kmsgLevel(t.level), logLine(t.prefix, ctx.pkt, t.flags));
          continue;
      }
    }
  }

  #matches(rule: Rule, ctx: PacketContext): boolean {
    const ip = rule.ip;
    const p = ctx.pkt.ip;
    if (((p.src & ip.smsk) >>> 0 !== ip.src) !== ip.invSrc) return false;
    if (((p.dst & ip.dmsk) >>> 0 !== ip.dst) !== ip.invDst) return false;
    if (ip.iniface !== '') {
      const name = ctx.pkt.inIface?.name ?? '';
      if (ifaceMatches(ip.iniface, name) === ip.invIn) return false;
    }
    if (ip.outiface !== '') {
      const name = ctx.pkt.outIface?.name ?? '';
      if (ifaceMatches(ip.outiface, name) === ip.invOut) return false;
    }
    if (ip.proto !== 0 && (p.protocol === ip.proto) === ip.invProto) return false;
    if (ip.fragment && (p.fragmentOffset !== 0) === ip.invFragment) return false;
    for (const m of rule.matches) if (!matchOne(m, ctx)) return false;
    return true;
  }
}

function port(l4: Uint8Array, o: number): number {
  return (l4[o]! << 8) | l4[o + 1]!;
}

function inRange(v: number, r: readonly [number, number], inv: boolean): boolean {
  return (v >= r[0] && v <= r[1]) !== inv;
}

/** The kernel's match functions (xt_tcpudp.c, xt_multiport.c, xt_limit.c, xt_conntrack.c, xt_state.c). */
function matchOne(m: Match, ctx: PacketContext): boolean {
  const p = ctx.pkt.ip;
  const l4 = p.payload;
  switch (m.kind) {
    case 'tcp': {
      // tcp_mt: fragments other than the first never match; a header too
      // short is hotdropped, i.e. no match either.
      if (p.fragmentOffset !== 0 || l4.length < 20) return false;
      if (!inRange(port(l4, 0), m.spts, m.invSpt)) return false;
      if (!inRange(port(l4, 2), m.dpts, m.invDpt)) return false;
      return ((l4[13]! & m.flgMask) === m.flgCmp) !== m.invFlags;
    }
    case 'udp':
      if (p.fragmentOffset !== 0 || l4.length < 8) return false;
      return inRange(port(l4, 0), m.spts, m.invSpt) && inRange(port(l4, 2), m.dpts, m.invDpt);
    case 'icmp': {
      if (p.fragmentOffset !== 0 || l4.length < 2) return false;
      // icmp_type_code_match: type 0xFF matches any.
      const hit =
        m.type === 0xff || (l4[0] === m.type && l4[1]! >= m.codeMin && l4[1]! <= m.codeMax);
      return hit !== m.invert;
    }
    case 'multiport': {
      if (p.fragmentOffset !== 0 || l4.length < 4) return false;
      const src = port(l4, 0);
      const dst = port(l4, 2);
      // ports_match_v1.
      for (let i = 0; i < m.ports.length; i++) {
        const s = m.ports[i]!;
        let e = s;
        if (m.isRange[i]) e = m.ports[++i]!;
        const hit = (v: number) => v >= s && v <= e;
        if (m.flags === 'src' && hit(src)) return !m.invert;
        if (m.flags === 'dst' && hit(dst)) return !m.invert;
        if (m.flags === 'any' && (hit(src) || hit(dst))) return !m.invert;
      }
      return m.invert;
    }
    case 'limit':
      return limitAllows(m.state, ctx.now);
    case 'comment':
      return true;
    case 'conntrack':
    case 'state': {
      // No conntrack attached (nf_ct_get gives NULL): INVALID.
      const state = ctx.ct?.state ?? CT_INVALID;
      return ((m.states & state) !== 0) !== m.invert;
    }
  }
}

const TABLES = new WeakMap<Host, Netfilter>();

/** The netfilter of `host`, attached to its hooks the first time it is asked for. */
export function netfilterOf(host: Host): Netfilter {
  let nf = TABLES.get(host);
  if (nf === undefined) {
    nf = new Netfilter(host);
    TABLES.set(host, nf);
  }
  return nf;
}
