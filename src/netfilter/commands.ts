/**
 * The commands of this part: iptables, iptables-save and iptables-restore
 * (iptables 1.8.9, nf_tables variant, as Debian 12 ships it). Outputs and
 * error messages are the real tool's, recorded in
 * test/netfilter/fixtures/real-iptables.json.
 */

import type { Host } from '../host/host.js';
import type { Command, Proc } from '../os/process.js';
import { IPTABLES_HELP } from './help.js';
import {
  type ParseContext,
  type ParsedCommand,
  type ParseError,
  parseCommandLine,
} from './parse.js';
import {
  chainHeading,
  columnHeader,
  ctime,
  type ListFormat,
  listRule,
  type Names,
  ruleSpec,
  verboseRule,
} from './print.js';
import type { Rule } from './rule.js';
import { type Chain, type Netfilter, type NfError, netfilterOf } from './table.js';

const VERSION = 'v1.8.9 (nf_tables)';

/** Where a command's text goes, and how its errors are worded (iptables or iptables-restore). */
interface Out {
  readonly prog: 'iptables' | 'iptables-restore';
  /** iptables-restore's line number. */
  readonly line?: number;
  stdout: string;
  stderr: string;
  /**
   * iptables-restore: a jump to a chain that did not exist yet when its rule
   * came. nft builds the batch at COMMIT, in order, and reports it there.
   */
  pending?: ParseError;
}

function tryHelp(prog: string): string {
  return `Try \`${prog} -h' or '${prog} --help' for more information.\n`;
}

/** Prints a parse error; returns the exit status. */
function reportParse(out: Out, e: ParseError): number {
  const where = out.line !== undefined ? `Error occurred at line: ${out.line}\n` : '';
  switch (e.kind) {
    case 'param':
      out.stderr += `${out.prog} ${VERSION}: ${e.text}\n${where}${tryHelp(out.prog)}`;
      return 2;
    case 'bare':
      out.stderr += `${e.text}\n${where}${tryHelp(out.prog)}`;
      return 2;
    case 'table':
      out.stderr += `${out.prog} ${VERSION}: ${e.text}\nPerhaps iptables or your kernel needs to be upgraded.\n`;
      return 3;
    case 'kernel':
      out.stderr +=
        out.line !== undefined
          ? `${out.prog}: line ${out.line} failed: ${e.text}\n`
          : `${out.prog}: ${e.text}\n`;
      return 1;
    case 'batch':
      out.stderr += batchText(out, e.text);
      return 4;
  }
}

/** A failed batch: iptables-restore names the input line on a line of its own. */
function batchText(out: Out, text: string): string {
  if (out.line !== undefined) return `${out.prog} ${VERSION}: \nline ${out.line}:${text}\n`;
  return `${out.prog} ${VERSION}: ${text}\n`;
}

function reportNf(out: Out, e: NfError): number {
  if (e.kind === 'batch') {
    out.stderr += batchText(out, e.text);
    return e.status;
  }
  out.stderr +=
    out.line !== undefined
      ? `${out.prog}: line ${out.line} failed: ${e.restoreText ?? e.text}\n`
      : `${out.prog}: ${e.text}\n`;
  return 1;
}

function namesOf(host: Host): Names {
  return {
    host(addr) {
      for (const [name, a] of host.etcHosts) if (a === addr) return name;
      return undefined;
    },
  };
}

function parseContext(host: Host, restore: boolean): ParseContext {
  return {
    now: host.now,
    restore,
    resolve: (name) => host.etcHosts.get(name),
  };
}

/** The checks nf_tables' kernel side makes when a rule is added (EINVAL). */
function kernelRuleCheck(
  rule: Rule,
  op: 'RULE_APPEND' | 'RULE_INSERT' | 'RULE_REPLACE',
  chain: string,
) {
  const einval: NfError = {
    kind: 'batch',
    text: ` ${op} failed (Invalid argument): rule in chain ${chain}`,
    status: 4,
  };
  // reject_tg_check: tcp-reset needs -p tcp.
  if (
    rule.target.kind === 'REJECT' &&
    rule.target.with === 'tcp-reset' &&
    (rule.ip.proto !== 6 || rule.ip.invProto)
  ) {
    return einval;
  }
  // nf_tables refuses `! -s 0.0.0.0/0` (a compare of zero bits, inverted).
  if ((rule.ip.invSrc && rule.ip.smsk === 0) || (rule.ip.invDst && rule.ip.dmsk === 0))
    return einval;
  // icmp_checkentry (xt_tcpudp.c): -m icmp needs -p icmp.
  if (rule.matches.some((m) => m.kind === 'icmp') && (rule.ip.proto !== 1 || rule.ip.invProto)) {
    return einval;
  }
  return undefined;
}

/** Runs a parsed iptables command on `nf`; returns the exit status. */
export function execute(nf: Netfilter, cmd: ParsedCommand, out: Out): number {
  const format: ListFormat = {
    numeric: cmd.numeric,
    verbose: cmd.verbose,
    exact: cmd.exact,
    lineNumbers: cmd.lineNumbers,
  };
  const chainName = cmd.chain;
  const fail = (e: NfError | undefined): number => (e === undefined ? 0 : reportNf(out, e));
  const targetExists = (rule: Rule): ParseError | undefined => {
    if (rule.target.kind === 'jump' && nf.chain(rule.target.chain) === undefined) {
      return { kind: 'param', text: `Chain '${rule.target.chain}' does not exist` };
    }
    return undefined;
  };
  switch (cmd.kind) {
    case 'append':
    case 'insert':
    case 'replace': {
      const op =
        cmd.kind === 'append'
          ? 'RULE_APPEND'
          : cmd.kind === 'insert'
            ? 'RULE_INSERT'
            : 'RULE_REPLACE';
      // Every rule a command makes (one per address of a list) goes to the same
      // position: -I puts them there in reverse order.
      const pos = cmd.rulenum ?? 1;
      for (const rule of cmd.rules) {
        if (cmd.verbose) out.stdout += verboseRule(rule);
        const t = targetExists(rule);
        if (t && out.prog === 'iptables-restore') {
          out.pending ??= t;
          return 0;
        }
        if (t) return reportParse(out, t);
        if (nf.chain(chainName!) === undefined)
          return fail({ kind: 'kernel', text: 'No chain/target/match by that name.' });
        if (cmd.kind !== 'append') {
          const at = nf.positionError(
            cmd.kind,
            chainName!,
            cmd.kind === 'insert' ? pos : cmd.rulenum!,
          );
          if (at) return fail(at);
        }
        const k = kernelRuleCheck(rule, op, chainName!);
        if (k) return fail(k);
        const e =
          cmd.kind === 'append'
            ? nf.append(chainName!, rule)
            : cmd.kind === 'insert'
              ? nf.insert(chainName!, pos, rule)
              : nf.replace(chainName!, cmd.rulenum!, rule);
        if (e) return fail(e);
      }
      return 0;
    }
    case 'delete':
    case 'check':
      for (const rule of cmd.rules) {
        const t = targetExists(rule);
        if (t) return reportParse(out, t);
        const e =
          cmd.kind === 'delete' ? nf.deleteSpec(chainName!, rule) : nf.check(chainName!, rule);
        if (e) return fail(e);
      }
      return 0;
    case 'deleteNum':
      return fail(nf.deleteNum(chainName!, cmd.rulenum!));
    case 'list':
    case 'listRules': {
      let chains: Chain[];
      if (chainName !== undefined) {
        const c = nf.chain(chainName);
        if (c === undefined) {
          out.stderr += `${out.prog} ${VERSION}: chain \`${chainName}' in table \`filter' is incompatible, use 'nft' tool.\n`;
          return 1;
        }
        chains = [c];
      } else chains = nf.chains;
      if (cmd.kind === 'list') out.stdout += listChains(nf, chains, format, cmd.rulenum);
      else out.stdout += listRules(chains, cmd.verbose, cmd.rulenum, chainName === undefined);
      if (cmd.alsoZero) {
        const e = nf.zeroListed(
          chains.map((c) => c.name),
          cmd.rulenum,
        );
        if (e) return fail(e);
        if (cmd.verbose) for (const c of chains) out.stdout += `Zeroing chain \`${c.name}'\n`;
      }
      return 0;
    }
    case 'flush':
    case 'zero': {
      // With -v, each chain is named as it goes (`Flushing chain `INPUT'`).
      const e = cmd.kind === 'flush' ? nf.flush(chainName) : nf.zero(chainName);
      if (e) return fail(e);
      if (cmd.verbose) {
        const verb = cmd.kind === 'flush' ? 'Flushing' : 'Zeroing';
        const names = chainName === undefined ? nf.chains.map((c) => c.name) : [chainName];
        for (const n of names) out.stdout += `${verb} chain \`${n}'\n`;
      }
      return 0;
    }
    case 'zeroNum':
      return fail(nf.zero(chainName, cmd.rulenum));
    case 'newChain':
      return fail(nf.newChain(chainName!));
    case 'deleteChain': {
      const doomed =
        chainName === undefined
          ? nf.chains.filter((c) => !c.builtin).map((c) => c.name)
          : [chainName];
      const e = nf.deleteChain(chainName);
      if (e) return fail(e);
      if (cmd.verbose) for (const n of doomed) out.stdout += `Deleting chain \`${n}'\n`;
      return 0;
    }
    case 'rename':
      return fail(nf.renameChain(chainName!, cmd.newName!));
    case 'policy':
      return fail(nf.setPolicy(chainName!, cmd.policy!));
    case 'help':
    case 'version':
      return 0;
  }
}

function listChains(
  nf: Netfilter,
  chains: readonly Chain[],
  format: ListFormat,
  rulenum: number | undefined,
): string {
  const names = namesOf(nf.host);
  if (rulenum !== undefined) {
    const c = chains[0]!;
    const r = c.rules[rulenum - 1];
    return r === undefined ? '' : listRule(r, rulenum, format, names);
  }
  return chains
    .map((c) => {
      let s = chainHeading(c.name, c.builtin ? c : undefined, nf.references(c.name), format);
      s += columnHeader(format);
      c.rules.forEach((r, k) => {
        s += listRule(r, k + 1, format, names);
      });
      return s;
    })
    .join('\n');
}

function listRules(
  chains: readonly Chain[],
  verbose: boolean,
  rulenum: number | undefined,
  all: boolean,
): string {
  const counters = (x: { pkts: bigint; bytes: bigint }) => (verbose ? x : undefined);
  const line = (c: Chain, r: Rule) => `-A ${c.name}${ruleSpec(r, counters(r))}\n`;
  if (rulenum !== undefined) {
    const c = chains[0]!;
    const r = c.rules[rulenum - 1];
    return r === undefined ? '' : line(c, r);
  }
  let s = '';
  const head = (c: Chain) =>
    c.builtin
      ? `-P ${c.name} ${c.policy}${verbose ? ` -c ${c.pkts} ${c.bytes}` : ''}\n`
      : `-N ${c.name}\n`;
  if (all) {
    for (const c of chains) if (c.builtin) s += head(c);
    for (const c of chains) if (!c.builtin) s += head(c);
  } else s += head(chains[0]!);
  for (const c of chains) for (const r of c.rules) s += line(c, r);
  return s;
}

/** The iptables-save text of the filter table. */
export function saveText(nf: Netfilter, counters: boolean, wallSeconds: number): string {
  if (!nf.exists) return '';
  const date = ctime(wallSeconds);
  let s = `# Generated by iptables-save ${VERSION} on ${date}\n*filter\n`;
  for (const c of nf.chains) {
    s += c.builtin ? `:${c.name} ${c.policy} [${c.pkts}:${c.bytes}]\n` : `:${c.name} - [0:0]\n`;
  }
  for (const c of nf.chains) {
    for (const r of c.rules) {
      s += `${counters ? `[${r.pkts}:${r.bytes}] ` : ''}-A ${c.name}${ruleSpec(r)}\n`;
    }
  }
  return `${s}COMMIT\n# Completed on ${date}\n`;
}

/** `iptables`. */
const iptables: Command = async (proc: Proc) => {
  const out: Out = { prog: 'iptables', stdout: '', stderr: '' };
  const status = runIptables(proc, proc.argv.slice(1), out);
  proc.stdout.write(out.stdout);
  proc.stderr.write(out.stderr);
  return status;
};

function runIptables(proc: Proc, args: readonly string[], out: Out): number {
  const r = parseCommandLine(args, parseContext(proc.host, false));
  if (r.ok === 'help') {
    out.stdout += IPTABLES_HELP;
    return 0;
  }
  if (r.ok === 'version') {
    out.stdout += `iptables ${VERSION}\n`;
    return 0;
  }
  if (!r.ok) return reportParse(out, r.error);
  if (r.value.table !== 'filter') {
    return reportParse(out, { kind: 'table', text: `table '${r.value.table}' does not exist` });
  }
  return execute(netfilterOf(proc.host), r.value, out);
}

/** getopt_long for the save/restore tools: known options, glibc's messages. */
function simpleGetopt(
  args: readonly string[],
  prog: string,
  shorts: Readonly<Record<string, 0 | 1>>,
  longs: Readonly<Record<string, string>>,
):
  | { ok: true; opts: { key: string; value?: string }[]; operands: string[] }
  | { ok: false; message: string } {
  const opts: { key: string; value?: string }[] = [];
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const cands = Object.keys(longs).filter((l) => l === name || l.startsWith(name));
      const exact = cands.includes(name) ? name : cands.length === 1 ? cands[0] : undefined;
      if (exact === undefined)
        return { ok: false, message: `${prog}: unrecognized option '${a}'\n` };
      const key = longs[exact]!;
      if (shorts[key] === 1) {
        const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) {
          return { ok: false, message: `${prog}: option '--${exact}' requires an argument\n` };
        }
        opts.push({ key, value: v });
      } else opts.push({ key });
    } else if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k]!;
        if (shorts[c] === undefined) {
          return { ok: false, message: `${prog}: invalid option -- '${c}'\n` };
        }
        if (shorts[c] === 1) {
          const v = k + 1 < a.length ? a.slice(k + 1) : args[++i];
          if (v === undefined) {
            return { ok: false, message: `${prog}: option requires an argument -- '${c}'\n` };
          }
          opts.push({ key: c, value: v });
          break;
        }
        opts.push({ key: c });
      }
    } else operands.push(a);
  }
  return { ok: true, opts, operands };
}

/** `iptables-save` (iptables-save.c with nft_save). */
const iptablesSave: Command = async (proc: Proc) => {
  const r = simpleGetopt(
    proc.argv.slice(1),
    'iptables-save',
    { c: 0, t: 1, M: 1, f: 1, d: 0, V: 0, h: 0 },
    { counters: 'c', table: 't', modprobe: 'M', file: 'f', dump: 'd', version: 'V', help: 'h' },
  );
  if (!r.ok) {
    proc.stderr.write(`${r.message}Look at manual page \`iptables-save.8' for more information.\n`);
    return 1;
  }
  let counters = false;
  let table: string | undefined;
  for (const o of r.opts) {
    if (o.key === 'c') counters = true;
    else if (o.key === 't') table = o.value;
    else if (o.key === 'V') {
      proc.stdout.write(`iptables-save ${VERSION}\n`);
      return 0;
    }
  }
  const nf = netfilterOf(proc.host);
  const secs = proc.wallClock().seconds;
  if (table === undefined || table === 'filter') {
    proc.stdout.write(saveText(nf, counters, secs));
    return 0;
  }
  if (table === 'nat') {
    // The nat table has no rules here: iptables-save prints it empty.
    const date = ctime(secs);
    proc.stdout.write(
      `# Generated by iptables-save ${VERSION} on ${date}\n*nat\n:PREROUTING ACCEPT [0:0]\n` +
        ':INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n' +
        `# Completed on ${date}\n`,
    );
    return 0;
  }
  proc.stderr.write(
    `iptables-save ${VERSION}: Table '${table}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.\n`,
  );
  return 1;
};

/** Splits a restore line into words as xtables_restore_parse does: blanks, "double quotes", \" inside them. */
export function restoreWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k]!;
    if (quoted) {
      if (ch === '\\' && (line[k + 1] === '"' || line[k + 1] === '\\')) cur += line[++k];
      else if (ch === '"') quoted = false;
      else cur += ch;
      continue;
    }
    if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** `iptables-restore` (xtables-restore.c, nft variant). */
const iptablesRestore: Command = async (proc: Proc) => {
  const prog = 'iptables-restore';
  const r = simpleGetopt(
    proc.argv.slice(1),
    prog,
    { c: 0, n: 0, v: 0, t: 0, T: 1, w: 1, W: 1, M: 1, h: 0, V: 0 },
    {
      counters: 'c',
      noflush: 'n',
      verbose: 'v',
      test: 't',
      table: 'T',
      wait: 'w',
      'wait-interval': 'W',
      modprobe: 'M',
      help: 'h',
      version: 'V',
    },
  );
  if (!r.ok) {
    proc.stderr.write(`${r.message}Try \`${prog} -h' for more information.\n`);
    return 1;
  }
  let counters = false;
  let noflush = false;
  let testOnly = false;
  for (const o of r.opts) {
    if (o.key === 'c') counters = true;
    else if (o.key === 'n') noflush = true;
    else if (o.key === 't') testOnly = true;
    else if (o.key === 'V') {
      proc.stdout.write(`${prog} ${VERSION}\n`);
      return 0;
    }
  }
  let text: string;
  if (r.operands.length > 0) {
    const path = r.operands[0]!;
    const data = proc.fs.readFile(path, proc.cwd);
    if (!(data instanceof Uint8Array)) {
      proc.stderr.write(`Can't open ${path}: ${data.message}\n`);
      return 1;
    }
    text = new TextDecoder().decode(data);
  } else {
    text = '';
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await proc.stdin.read();
      if (chunk === null) break;
      text += decoder.decode(chunk, { stream: true });
    }
  }
  const out: Out & { line: number } = { prog, line: 0, stdout: '', stderr: '' };
  const status = restore(proc, text, { counters, noflush, testOnly }, out);
  proc.stdout.write(out.stdout);
  proc.stderr.write(out.stderr);
  return status;
};

/** The tables iptables knows (xtables_find_table). */
const RESTORE_TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'];

function restore(
  proc: Proc,
  text: string,
  o: { counters: boolean; noflush: boolean; testOnly: boolean },
  out: Out & { line: number },
): number {
  const nf = netfilterOf(proc.host);
  const ctx = parseContext(proc.host, true);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // iptables-restore parses the whole input before it applies any of it: an
  // option error in a rule is reported (status 2) even after a line that would
  // have failed in the kernel. Only the filter table's rules are parsed here
  // (the others are skipped below, and their targets are not tcplab's).
  let parsing: string | undefined;
  let open = false;
  for (let n = 0; n < lines.length; n++) {
    const trimmed = lines[n]!.replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed === 'COMMIT') open = false;
    else if (trimmed.startsWith('*')) open = true;
    if (trimmed.startsWith('*')) {
      parsing = trimmed.slice(1).trim();
      // A table it does not know ends the parse there (the loop below says so).
      if (!RESTORE_TABLES.includes(parsing)) break;
    } else if (trimmed === 'COMMIT') parsing = undefined;
    else if (parsing === 'filter' && !trimmed.startsWith(':')) {
      const words = restoreWords(trimmed);
      const r = parseCommandLine(
        /^\[\d+:\d+\]$/.test(words[0] ?? '') ? words.slice(1) : words,
        ctx,
      );
      if (!r.ok) {
        out.line = n + 1;
        return reportParse(out, r.error);
      }
    }
  }
  // A table left open commits nothing: that is the error, before any the kernel would give.
  if (open && parsing !== undefined && RESTORE_TABLES.includes(parsing)) {
    out.stderr += `${out.prog}: COMMIT expected at line ${lines.length + 1}\n`;
    return 1;
  }
  // --test: parsed, nothing sent to the kernel.
  if (o.testOnly && (parsing === undefined || RESTORE_TABLES.includes(parsing))) return 0;
  let table: string | undefined;
  let snapshot = nf.snapshot();
  const abort = (status: number): number => {
    nf.load(snapshot);
    return status;
  };
  for (let n = 0; n < lines.length; n++) {
    out.line = n + 1;
    const line = lines[n]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (table === undefined) {
      if (trimmed.startsWith('*')) {
        table = trimmed.slice(1).trim();
        // xtables_find_table: the five tables iptables knows, others refused.
        if (!RESTORE_TABLES.includes(table)) {
          return abort(
            reportParse(out, {
              kind: 'param',
              text: `${out.prog}: line ${out.line} table name '${table}' invalid`,
            }),
          );
        }
        snapshot = nf.snapshot();
        if (table === 'filter' && !o.noflush) {
          // nft flushes the whole table: it exists again only once a chain
          // or a rule is declared (`*filter` + `COMMIT` leaves none).
          nf.load({
            exists: false,
            chains: nf.chains
              .filter((c) => c.builtin)
              .map((c) => ({
                ...c,
                policy: 'ACCEPT' as const,
                rules: [],
                pkts: 0n,
                bytes: 0n,
                counting: false,
                inKernel: false,
              })),
          });
        }
        continue;
      }
      out.stderr += `${out.prog}: line ${out.line} failed\n`;
      return abort(1);
    }
    if (trimmed === 'COMMIT') {
      if (out.pending !== undefined) return abort(reportParse(out, out.pending));
      if (o.testOnly) nf.load(snapshot);
      table = undefined;
      continue;
    }
    if (table !== 'filter') continue;
    if (trimmed.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?/.exec(trimmed);
      if (m === null) {
        out.stderr += `${out.prog}: line ${out.line} failed\n`;
        return abort(1);
      }
      const [, name, policy, p, b] = m;
      const existing = nf.chain(name!);
      if (existing?.builtin && policy !== '-') {
        // The chain line sets the policy and gives the chain counters (from 0 without -c).
        const e = nf.setPolicy(name!, policy!);
        if (e) return abort(reportNf(out, e));
        if (o.counters && p !== undefined) {
          existing.pkts = BigInt(p);
          existing.bytes = BigInt(b!);
        }
      } else if (existing !== undefined) {
        // A user chain declared again is flushed; `:INPUT - [p:b]` leaves a
        // built-in chain's rules and policy (it matters under -n) and, with -c,
        // gives it the counters.
        if (!existing.builtin) nf.flush(name);
        else existing.inKernel = true;
        if (existing.builtin && o.counters && p !== undefined) {
          existing.counting = true;
          existing.pkts = BigInt(p);
          existing.bytes = BigInt(b!);
        }
      } else {
        const e = nf.newChain(name!);
        if (e) return abort(reportNf(out, e));
      }
      continue;
    }
    let words = restoreWords(trimmed);
    let ruleCounters: { pkts: bigint; bytes: bigint } | undefined;
    const cm = /^\[(\d+):(\d+)\]$/.exec(words[0] ?? '');
    if (cm !== null) {
      ruleCounters = { pkts: BigInt(cm[1]!), bytes: BigInt(cm[2]!) };
      words = words.slice(1);
    }
    const r = parseCommandLine(words, ctx);
    if (r.ok === 'help' || r.ok === 'version') continue;
    if (!r.ok) return abort(reportParse(out, r.error));
    const cmd = r.value;
    if (o.counters && ruleCounters !== undefined) {
      for (const rule of cmd.rules) {
        rule.pkts = ruleCounters.pkts;
        rule.bytes = ruleCounters.bytes;
      }
    }
    const status = execute(nf, cmd, out);
    if (status !== 0) return abort(status);
  }
  if (table !== undefined) {
    out.stderr += `${out.prog}: COMMIT expected at line ${lines.length + 1}\n`;
    return abort(1);
  }
  return 0;
}

export const NETFILTER_COMMANDS: Readonly<Record<string, Command>> = {
  iptables,
  'iptables-save': iptablesSave,
  'iptables-restore': iptablesRestore,
};
