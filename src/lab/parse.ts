/**
 * The lab format (docs/labs.md): a terminal transcript on several hosts with a
 * few `%` directives. This module turns a lab's text into entries, one per line,
 * and the declarations of its header; it never throws on a lab, it returns
 * every problem it finds with its line (STYLE.md 8).
 *
 * Kinds of line, by their first characters:
 * - `%NAME …` a directive; `#…` a comment; `^C` / `^D` a control key;
 * - `user@host:cwd# command` (or `$`) a command typed at that host's prompt;
 * - `\…` an expected output line written escaped (the backslash is dropped):
 *   how output that starts with `#`, `%`, `^` or `\`, or looks like a prompt, is
 *   written, and `\` alone is an empty output line at the end of an output;
 * - a blank line is expected output if an output line follows it before the
 *   next comment, directive, command or the end; otherwise it only separates;
 * - anything else is expected output of the command above it.
 */

import { parseCidr } from '../host/host.js';
import type { LinkProperties } from '../sim/link.js';
import type { Duration } from '../sim/time.js';
import { parseMacAddress } from '../wire/address.js';
import {
  incompleteCommand,
  type Parsed,
  parseDate,
  parseDuration,
  parseInteger,
  parseProbability,
  parseRate,
  splitWords,
} from './values.js';

/** A problem in a lab, at a line (1-based). */
export interface LabError {
  readonly line: number;
  readonly message: string;
}

/** What a line makes the runner do. */
export type Action =
  | {
      readonly kind: 'prompt';
      readonly user: string;
      readonly host: string;
      readonly command: string;
    }
  /** `%type TEXT`: a line typed into the terminal of the last prompt (`user` on `host`). */
  | { readonly kind: 'type'; readonly user: string; readonly host: string; readonly text: string }
  /** `^C` or `^D` pressed in the terminal of the last prompt. */
  | {
      readonly kind: 'control';
      readonly user: string;
      readonly host: string;
      readonly key: 'C' | 'D';
    }
  /** `%wait DURATION`: virtual time passes. */
  | { readonly kind: 'wait'; readonly duration: Duration };

export type Entry =
  | {
      readonly kind: 'action';
      readonly line: number;
      readonly text: string;
      readonly action: Action;
    }
  /** An expected output line, unescaped. */
  | { readonly kind: 'output'; readonly line: number; readonly text: string }
  | { readonly kind: 'comment'; readonly line: number; readonly text: string }
  /** A blank line that only separates. */
  | { readonly kind: 'blank'; readonly line: number; readonly text: string }
  /** `%settle` / `%timeout`: changes how long the runner lets time run, from here on. */
  | {
      readonly kind: 'setting';
      readonly line: number;
      readonly text: string;
      readonly name: 'settle' | 'timeout';
      readonly duration: Duration;
    }
  /** A header directive (topology, sysctls, seed, date), kept verbatim. */
  | { readonly kind: 'header'; readonly line: number; readonly text: string };

/** How a NIC is configured. */
export interface NicSpec {
  readonly addresses: readonly string[];
  readonly mac?: string;
  /** The interface's IP MTU. */
  readonly mtu?: number;
}

export interface SegmentDecl {
  readonly line: number;
  readonly name: string;
  readonly properties: Partial<LinkProperties>;
  /** `mtu=`: the IP MTU of the segment; NICs on it get it too. */
  readonly mtu?: number;
}

export interface HostDecl extends NicSpec {
  readonly line: number;
  readonly name: string;
  /** The segment of eth0; undefined: no NIC (a host declared without addresses). */
  readonly segment: string | undefined;
  readonly gateway?: string;
}

export interface NicDecl extends NicSpec {
  readonly line: number;
  readonly host: string;
  readonly segment: string;
}

export interface LinkDecl {
  readonly line: number;
  readonly name?: string;
  readonly a: { readonly host: string; readonly addresses: readonly string[] };
  readonly b: { readonly host: string; readonly addresses: readonly string[] };
  readonly properties: Partial<LinkProperties>;
  readonly mtu?: number;
}

export interface SysctlDecl {
  readonly line: number;
  /** A host, or `*` for every host. */
  readonly host: string;
  readonly name: string;
  readonly value: string;
}

export interface Lab {
  /** As given (for messages: `labs/x.lab:12: …`). */
  readonly path: string;
  /** One per line of the file, in order. */
  readonly entries: readonly Entry[];
  readonly seed: number | undefined;
  readonly epochSeconds: number | undefined;
  readonly segments: readonly SegmentDecl[];
  readonly hosts: readonly HostDecl[];
  readonly nics: readonly NicDecl[];
  readonly links: readonly LinkDecl[];
  readonly sysctls: readonly SysctlDecl[];
  /** The lines of the file as written (without line ends). */
  readonly source: readonly string[];
  /** Whether the file ended with a newline (kept by --update). */
  readonly finalNewline: boolean;
}

export type LabParse = { ok: true; lab: Lab } | { ok: false; errors: readonly LabError[] };

/** The default Ethernet segment every `%host NAME ADDR` is on. */
export const DEFAULT_SEGMENT = 'lan';

/** `root@client:~# ls` → user, host, cwd, sigil, command. */
const PROMPT =
  /^([A-Za-z_][A-Za-z0-9_.-]*)@([A-Za-z0-9][A-Za-z0-9._-]*):([^\s#$]*)([#$])(?: (.*))?$/;

/** A line a reader would take for a prompt (and that output must therefore escape). */
export function looksLikePrompt(line: string): boolean {
  return PROMPT.test(line);
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const HEADER_DIRECTIVES = ['seed', 'date', 'host', 'segment', 'nic', 'link', 'sysctl'] as const;
const DIRECTIVES = [...HEADER_DIRECTIVES, 'settle', 'timeout', 'wait', 'type'] as const;

/** Link properties by directive key: key=value → part of LinkProperties. */
const LINK_KEYS =
  'delay, jitter, loss, duplicate, corrupt, reorder, reorder-delay, rate, mtu, queue, queue-bytes';

function linkProperty(
  key: string,
  value: string,
): Parsed<{ properties: Partial<LinkProperties>; mtu?: number }> | undefined {
  const map = <T>(
    r: Parsed<T>,
    f: (v: T) => { properties: Partial<LinkProperties>; mtu?: number },
  ): Parsed<{ properties: Partial<LinkProperties>; mtu?: number }> =>
    r.ok ? { ok: true, value: f(r.value) } : r;
  switch (key) {
    case 'delay':
      return map(parseDuration(value), (v) => ({ properties: { delay: v } }));
    case 'jitter':
      return map(parseDuration(value), (v) => ({ properties: { jitter: v } }));
    case 'reorder-delay':
      return map(parseDuration(value), (v) => ({ properties: { reorderDelay: v } }));
    case 'loss':
      return map(parseProbability(value), (v) => ({ properties: { loss: v } }));
    case 'duplicate':
      return map(parseProbability(value), (v) => ({ properties: { duplicate: v } }));
    case 'corrupt':
      return map(parseProbability(value), (v) => ({ properties: { corrupt: v } }));
    case 'reorder':
      return map(parseProbability(value), (v) => ({ properties: { reorder: v } }));
    case 'rate':
    case 'bandwidth':
      return map(parseRate(value), (v) => ({ properties: { bandwidth: v } }));
    case 'queue':
      return map(parseInteger(value, 0, 1_000_000), (v) => ({ properties: { queueLimit: v } }));
    case 'queue-bytes':
      return map(parseInteger(value, 0, 1_000_000_000), (v) => ({
        properties: { queueLimitBytes: v },
      }));
    case 'mtu':
      // An IP MTU, as `ip link set mtu` takes it; the link carries the Ethernet header too.
      return map(parseInteger(value, 68, 65_535), (v) => ({
        properties: { mtu: v + 14 },
        mtu: v,
      }));
    default:
      return undefined;
  }
}

/** Parses the `key=value` words of a link or segment into its properties. */
function linkProperties(
  words: readonly string[],
  extra: readonly string[],
): Parsed<{ properties: Partial<LinkProperties>; mtu?: number; extra: Map<string, string> }> {
  const properties: Record<string, unknown> = {};
  let mtu: number | undefined;
  const rest = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) return { ok: false, message: `expected key=value, found "${w}"` };
    const key = w.slice(0, eq);
    const value = w.slice(eq + 1);
    if (extra.includes(key)) {
      rest.set(key, value);
      continue;
    }
    const r = linkProperty(key, value);
    if (r === undefined) {
      const known = [LINK_KEYS, ...extra].join(', ');
      return { ok: false, message: `unknown property "${key}" (known: ${known})` };
    }
    if (!r.ok) return { ok: false, message: `${key}: ${r.message}` };
    Object.assign(properties, r.value.properties);
    if (r.value.mtu !== undefined) mtu = r.value.mtu;
  }
  return {
    ok: true,
    value: {
      properties: properties as Partial<LinkProperties>,
      ...(mtu !== undefined ? { mtu } : {}),
      extra: rest,
    },
  };
}

function checkAddress(text: string): string | undefined {
  if (!text.includes('/') || parseCidr(text) === undefined) {
    return `bad address "${text}" (expected ADDRESS/PREFIX, like 192.168.0.21/24)`;
  }
  return undefined;
}

function splitAddressesAndOptions(words: readonly string[]): {
  addresses: string[];
  options: string[];
} {
  const addresses: string[] = [];
  const options: string[] = [];
  for (const w of words) (w.includes('=') ? options : addresses).push(w);
  return { addresses, options };
}

/**
 * Parses a lab. `path` is only used in what the caller prints. A lab must have
 * a command unless `options.headerOnly` (the shell's network without a script).
 */
export function parseLab(
  path: string,
  source: string,
  options: { headerOnly?: boolean } = {},
): LabParse {
  const text = source.replace(/^\uFEFF/, '');
  const finalNewline = text.endsWith('\n');
  const lines = text.split('\n');
  if (finalNewline) lines.pop();
  const errors: LabError[] = [];
  const raw: (Entry | { kind: 'rawblank'; line: number; text: string })[] = [];
  const segments: SegmentDecl[] = [];
  const hosts: HostDecl[] = [];
  const nics: NicDecl[] = [];
  const links: LinkDecl[] = [];
  const sysctls: SysctlDecl[] = [];
  let seed: number | undefined;
  let epochSeconds: number | undefined;
  let seenAction = false;
  let lastHost: string | undefined;
  let lastUser = 'root';

  const declaredHosts = new Set<string>();
  const err = (line: number, message: string): void => {
    errors.push({ line, message });
  };

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') {
      raw.push({ kind: 'rawblank', line: n, text: line });
      continue;
    }
    const first = line[0];
    if (first === '#') {
      raw.push({ kind: 'comment', line: n, text: line });
      continue;
    }
    if (first === '\\') {
      if (!seenAction)
        err(n, 'output before the first command (a command line looks like root@client:~# ls)');
      raw.push({ kind: 'output', line: n, text: line.slice(1) });
      continue;
    }
    if (first === '^') {
      const key = line.trimEnd();
      if (key !== '^C' && key !== '^D') {
        err(
          n,
          `unknown control key "${key}" (a line ^C or ^D; output starting with ^ is written \\^…)`,
        );
        continue;
      }
      if (lastHost === undefined) {
        err(n, `${key} before the first command: there is no terminal to press it in`);
        continue;
      }
      seenAction = true;
      raw.push({
        kind: 'action',
        line: n,
        text: line,
        action: {
          kind: 'control',
          user: lastUser,
          host: lastHost,
          key: key === '^C' ? 'C' : 'D',
        },
      });
      continue;
    }
    if (first === '%') {
      const m = /^%([A-Za-z-]*)(?:[ \t]+(.*))?$/.exec(line);
      const name = m?.[1] ?? '';
      const rest = m?.[2] ?? '';
      if (!m || !(DIRECTIVES as readonly string[]).includes(name)) {
        err(
          n,
          `unknown directive "%${name || line.slice(1).split(/\s/)[0]}" (known: ${DIRECTIVES.map((d) => `%${d}`).join(' ')}; output starting with % is written \\%…)`,
        );
        continue;
      }
      if ((HEADER_DIRECTIVES as readonly string[]).includes(name) && seenAction) {
        err(n, `%${name} must come before the first command (it sets up the network)`);
        continue;
      }
      if (name === 'type') {
        if (lastHost === undefined) {
          err(n, '%type before the first command: there is no terminal to type into');
          continue;
        }
        seenAction = true;
        // The text is everything after "%type ", spaces included.
        const typed = line.length > 6 ? line.slice(6) : '';
        raw.push({
          kind: 'action',
          line: n,
          text: line,
          action: { kind: 'type', user: lastUser, host: lastHost, text: typed },
        });
        continue;
      }
      const words = splitWords(rest);
      if (!words.ok) {
        err(n, `%${name}: ${words.message}`);
        continue;
      }
      const w = words.value;
      const problem = directive(name, w, n);
      if (problem !== undefined) err(n, `%${name}: ${problem}`);
      continue;
    }
    const prompt = PROMPT.exec(line);
    if (prompt) {
      const [, user, host, , , command = ''] = prompt as unknown as [
        string,
        string,
        string,
        string,
        string,
        string | undefined,
      ];
      if (!declaredHosts.has(host)) {
        const known = [...declaredHosts].join(', ') || 'none';
        err(n, `a prompt for host "${host}", which no %host declares (hosts: ${known})`);
        continue;
      }
      const incomplete = incompleteCommand(command);
      if (incomplete !== undefined) {
        err(n, `${incomplete}: a lab command must fit on its line`);
        continue;
      }
      seenAction = true;
      lastHost = host;
      lastUser = user;
      raw.push({
        kind: 'action',
        line: n,
        text: line,
        action: { kind: 'prompt', user, host, command },
      });
      continue;
    }
    if (!seenAction) {
      err(
        n,
        `output before the first command: "${line}" (a command line looks like root@client:~# ls)`,
      );
      continue;
    }
    raw.push({ kind: 'output', line: n, text: line });
  }

  // A blank line is output if an output line follows before anything else.
  const entries: Entry[] = [];
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i]!;
    if (e.kind !== 'rawblank') {
      entries.push(e);
      continue;
    }
    let j = i + 1;
    while (j < raw.length && raw[j]!.kind === 'rawblank') j++;
    const next = raw[j];
    const isOutput = next !== undefined && next.kind === 'output';
    entries.push(
      isOutput
        ? { kind: 'output', line: e.line, text: '' }
        : { kind: 'blank', line: e.line, text: e.text },
    );
  }

  if (errors.length === 0 && !options.headerOnly && !entries.some((e) => e.kind === 'action')) {
    errors.push({
      line: lines.length || 1,
      message: 'the lab has no command (a line like root@client:~# ls)',
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    lab: {
      path,
      entries,
      seed,
      epochSeconds,
      segments,
      hosts,
      nics,
      links,
      sysctls,
      source: lines.map((l) => l.replace(/\r$/, '')),
      finalNewline,
    },
  };

  /** Handles one directive; returns what is wrong with it, if anything. */
  function directive(name: string, w: readonly string[], n: number): string | undefined {
    const text = lines[n - 1]!.replace(/\r$/, '');
    switch (name) {
      case 'seed': {
        if (w.length !== 1) return 'expected one number: %seed N';
        const r = parseInteger(w[0]!, 0, Number.MAX_SAFE_INTEGER);
        if (!r.ok) return r.message;
        seed = r.value;
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      case 'date': {
        const r = parseDate(w.join(' '));
        if (!r.ok) return r.message;
        epochSeconds = r.value;
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      case 'settle':
      case 'timeout':
      case 'wait': {
        if (w.length !== 1) return `expected one duration: %${name} 1s`;
        const r = parseDuration(w[0]!);
        if (!r.ok) return r.message;
        if (name === 'timeout' && r.value === 0) return 'the limit must be more than zero';
        if (name === 'wait') {
          seenAction = true;
          raw.push({ kind: 'action', line: n, text, action: { kind: 'wait', duration: r.value } });
        } else {
          raw.push({ kind: 'setting', line: n, text, name, duration: r.value });
        }
        return undefined;
      }
      case 'segment': {
        const [segName, ...props] = w;
        if (segName === undefined || segName.includes('='))
          return 'expected a name: %segment NAME [delay=10ms loss=1% …]';
        if (!HOST_NAME.test(segName))
          return `"${segName}" is not a segment name (letters, digits, . _ -)`;
        if (segments.some((s) => s.name === segName)) return `segment ${segName} is declared twice`;
        const r = linkProperties(props, []);
        if (!r.ok) return r.message;
        segments.push({
          line: n,
          name: segName,
          properties: r.value.properties,
          ...(r.value.mtu !== undefined ? { mtu: r.value.mtu } : {}),
        });
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      case 'host': {
        const [hostName, ...rest] = w;
        if (hostName === undefined || hostName.includes('=')) {
          return 'expected a name: %host NAME ADDRESS/PREFIX… [segment=NAME mac=… mtu=… gateway=…]';
        }
        if (!HOST_NAME.test(hostName))
          return `"${hostName}" is not a host name (letters, digits, . _ -)`;
        if (declaredHosts.has(hostName)) return `host ${hostName} is declared twice`;
        // Declared even if the rest is wrong, so that its prompts are not errors too.
        declaredHosts.add(hostName);
        const { addresses, options } = splitAddressesAndOptions(rest);
        for (const a of addresses) {
          const bad = checkAddress(a);
          if (bad !== undefined) return bad;
        }
        const opts = new Map<string, string>();
        for (const o of options) {
          const eq = o.indexOf('=');
          const key = o.slice(0, eq);
          if (!['segment', 'mac', 'mtu', 'gateway'].includes(key)) {
            return `unknown option "${key}" (known: segment, mac, mtu, gateway)`;
          }
          opts.set(key, o.slice(eq + 1));
        }
        const nic = nicOptions(opts);
        if (typeof nic === 'string') return nic;
        const gateway = opts.get('gateway');
        if (gateway !== undefined && checkAddress(`${gateway}/32`) !== undefined) {
          return `bad gateway "${gateway}" (expected an address like 192.168.0.1)`;
        }
        const segment = opts.get('segment') ?? (addresses.length > 0 ? DEFAULT_SEGMENT : undefined);
        hosts.push({
          line: n,
          name: hostName,
          segment,
          addresses,
          ...nic,
          ...(gateway !== undefined ? { gateway } : {}),
        });
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      case 'nic': {
        const [hostName, segName, ...rest] = w;
        if (hostName === undefined || segName === undefined) {
          return 'expected %nic HOST SEGMENT ADDRESS/PREFIX… [mac=… mtu=…]';
        }
        if (!declaredHosts.has(hostName))
          return `no host called ${hostName} (declare it with %host first)`;
        const { addresses, options } = splitAddressesAndOptions(rest);
        for (const a of addresses) {
          const bad = checkAddress(a);
          if (bad !== undefined) return bad;
        }
        const opts = new Map<string, string>();
        for (const o of options) {
          const eq = o.indexOf('=');
          const key = o.slice(0, eq);
          if (!['mac', 'mtu'].includes(key)) return `unknown option "${key}" (known: mac, mtu)`;
          opts.set(key, o.slice(eq + 1));
        }
        const nic = nicOptions(opts);
        if (typeof nic === 'string') return nic;
        nics.push({ line: n, host: hostName, segment: segName, addresses, ...nic });
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      case 'link': {
        const [a, b, ...props] = w;
        if (a === undefined || b === undefined || a.includes('=') || b.includes('=')) {
          return 'expected %link HOST[:ADDRESS/PREFIX] HOST[:ADDRESS/PREFIX] [delay=10ms loss=1% … name=NAME]';
        }
        const ends: { host: string; addresses: string[] }[] = [];
        for (const end of [a, b]) {
          const colon = end.indexOf(':');
          const h = colon < 0 ? end : end.slice(0, colon);
          if (!declaredHosts.has(h)) return `no host called ${h} (declare it with %host first)`;
          const addresses = colon < 0 ? [] : [end.slice(colon + 1)];
          for (const addr of addresses) {
            const bad = checkAddress(addr);
            if (bad !== undefined) return bad;
          }
          ends.push({ host: h, addresses });
        }
        if (ends[0]!.host === ends[1]!.host) return 'a link joins two different hosts';
        const r = linkProperties(props, ['name']);
        if (!r.ok) return r.message;
        const linkName = r.value.extra.get('name');
        if (linkName !== undefined && !HOST_NAME.test(linkName)) {
          return `"${linkName}" is not a link name (letters, digits, . _ -)`;
        }
        links.push({
          line: n,
          ...(linkName !== undefined ? { name: linkName } : {}),
          a: ends[0]!,
          b: ends[1]!,
          properties: r.value.properties,
          ...(r.value.mtu !== undefined ? { mtu: r.value.mtu } : {}),
        });
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      case 'sysctl': {
        const [target, ...settings] = w;
        if (target === undefined || settings.length === 0 || target.includes('=')) {
          return 'expected %sysctl HOST|* name=value…';
        }
        if (target !== '*' && !declaredHosts.has(target)) {
          return `no host called ${target} (declare it with %host first, or use * for every host)`;
        }
        for (const s of settings) {
          const eq = s.indexOf('=');
          if (eq <= 0) return `expected name=value, found "${s}"`;
          sysctls.push({ line: n, host: target, name: s.slice(0, eq), value: s.slice(eq + 1) });
        }
        raw.push({ kind: 'header', line: n, text });
        return undefined;
      }
      default:
        return 'not implemented';
    }
  }
}

function nicOptions(opts: ReadonlyMap<string, string>): { mac?: string; mtu?: number } | string {
  const out: { mac?: string; mtu?: number } = {};
  const mac = opts.get('mac');
  if (mac !== undefined) {
    if (!parseMacAddress(mac).ok) return `bad MAC address "${mac}" (like 02:00:00:00:00:21)`;
    out.mac = mac;
  }
  const mtu = opts.get('mtu');
  if (mtu !== undefined) {
    const r = parseInteger(mtu, 68, 65_535);
    if (!r.ok) return `mtu: ${r.message}`;
    out.mtu = r.value;
  }
  return out;
}
