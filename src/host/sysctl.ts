/**
 * A host's sysctl table: the files under /proc/sys as a registry of keys with
 * Linux's names, defaults, types and validation. The host registers the IP, ICMP,
 * neighbour and core keys it reads (`registerHostSysctls`); other layers register
 * their own (the TCP engine its `net.ipv4.tcp_*`).
 *
 * Reads and writes go through text, as /proc/sys does, and fail as the kernel
 * fails, so that a `sysctl` tool can print Debian's messages:
 * - an unknown key: ENOENT on open ("sysctl: cannot stat /proc/sys/…: No such file
 *   or directory");
 * - a value the handler refuses: EINVAL on write ("sysctl: setting key "…":
 *   Invalid argument").
 *
 * Value kinds follow the kernel's handlers (kernel/sysctl.c): `int` is
 * proc_dointvec / proc_dointvec_minmax, `jiffies` proc_dointvec_jiffies (seconds
 * shown, jiffies kept), `ms_jiffies` proc_dointvec_ms_jiffies (milliseconds shown,
 * jiffies kept, so 1 ms reads back as 4 on a HZ=250 kernel), `userhz_jiffies`
 * proc_dointvec_userhz_jiffies (1/100 s shown), `intvec` a vector of ints
 * (ip_local_port_range, tcp_rmem), `string` proc_dostring.
 *
 * DEVIATION(linux): a write that fails changes nothing; the kernel's generic
 * vector handler may have stored the values before the bad one.
 */

import {
  clockTToJiffies,
  HZ,
  jiffiesToClockT,
  jiffiesToMsecs,
  msecsToJiffies,
} from '../sim/jiffies.js';

/** The errors /proc/sys gives (include/uapi/asm-generic/errno-base.h numbers). */
export type SysctlErrno = 'EINVAL' | 'ENOENT' | 'EPERM';

const ERRNO: Readonly<Record<SysctlErrno, number>> = { EPERM: 1, ENOENT: 2, EINVAL: 22 };
const STRERROR: Readonly<Record<SysctlErrno, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EINVAL: 'Invalid argument',
};

/** A failed read or write, shaped like Node's system errors. */
export interface SysctlError {
  readonly code: SysctlErrno;
  readonly errno: number;
  /** `open` for an unknown key, `write` for a refused value. */
  readonly syscall: 'open' | 'write';
  /** `/proc/sys/net/ipv4/ip_default_ttl` */
  readonly path: string;
  /** strerror(3): `Invalid argument`. */
  readonly message: string;
}

export type SysctlResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: SysctlError };

/** A value in the units the file shows: a number, a vector of numbers, or text. */
export type SysctlValue = number | readonly number[] | string;

export type SysctlKind =
  | { readonly type: 'int'; readonly min?: number; readonly max?: number }
  /** proc_douintvec: an unsigned int, 0 to 4294967295. */
  | { readonly type: 'uint' }
  | { readonly type: 'jiffies' }
  | { readonly type: 'ms_jiffies' }
  | { readonly type: 'userhz_jiffies' }
  | {
      readonly type: 'intvec';
      readonly length: number;
      readonly min?: number;
      readonly max?: number;
    }
  | { readonly type: 'string'; readonly maxLength: number };

export interface SysctlSpec {
  /** The dotted name: `net.ipv4.ip_default_ttl`. */
  readonly name: string;
  readonly kind: SysctlKind;
  /** In the units the file shows (seconds for `jiffies`, milliseconds for `ms_jiffies`). */
  readonly default: SysctlValue;
  /** Where the default and the bounds come from: `Linux: net/ipv4/af_inet.c`. */
  readonly source: string;
  /**
   * A check after parsing and the kind's bounds, with the errno the kernel's
   * handler returns (ip_local_port_range: EINVAL when high < low).
   */
  readonly validate?: (value: SysctlValue) => SysctlErrno | undefined;
  /**
   * For keys whose value lives elsewhere (a per-interface neighbour parameter, a
   * key derived from another): read and write through these instead of the table.
   */
  readonly read?: () => SysctlValue;
  readonly write?: (value: SysctlValue) => SysctlErrno | undefined;
}

/** INT_MAX and INT_MIN of a C int, the range of proc_dointvec. */
const INT_MAX = 0x7fff_ffff;
const INT_MIN = -0x8000_0000;
const UINT_MAX = 0xffff_ffff;

interface Entry {
  readonly spec: SysctlSpec;
  /** Kept as the kernel keeps it: jiffies for the jiffies kinds. */
  stored: SysctlValue;
  readonly listeners: ((value: SysctlValue) => void)[];
}

/** `/proc/sys/net/ipv4/ip_default_ttl` for `net.ipv4.ip_default_ttl`. */
export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

function failure<T>(code: SysctlErrno, syscall: 'open' | 'write', name: string): SysctlResult<T> {
  return {
    ok: false,
    error: { code, errno: ERRNO[code], syscall, path: sysctlPath(name), message: STRERROR[code] },
  };
}

/**
 * A token as the kernel's proc_get_long reads it: an optional `-`, then a
 * number in C notation (strtoul with base 0: `0x1f` hex, `017` octal, `15`);
 * the sign and the magnitude, or undefined if it is not one.
 */
function parseCNumber(token: string): { negative: boolean; n: number } | undefined {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(token);
  if (m === null) return undefined;
  const digits = m[2]!;
  let n: number;
  if (/^0[xX]/.test(digits)) n = Number.parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') n = Number.parseInt(digits.slice(1), 8);
  else n = Number.parseInt(digits, 10);
  return { negative: m[1] === '-', n };
}

/** One C int (do_proc_dointvec_conv: a value beyond a C int is EINVAL). */
function parseKernelInt(token: string): number | undefined {
  const c = parseCNumber(token);
  if (c === undefined) return undefined;
  const n = c.negative ? -c.n : c.n;
  return n > INT_MAX || n < INT_MIN ? undefined : n;
}

/** One unsigned int (do_proc_douintvec_w: a `-` is EINVAL, at most UINT_MAX). */
function parseKernelUint(token: string): number | undefined {
  const c = parseCNumber(token);
  if (c === undefined || c.negative || c.n > UINT_MAX) return undefined;
  return c.n;
}

/** Whitespace-separated integers; undefined if there is none or one is malformed. */
function parseInts(text: string): number[] | undefined {
  const tokens = text.split(/[ \t\n]+/).filter((t) => t !== '');
  if (tokens.length === 0) return undefined;
  const out: number[] = [];
  for (const t of tokens) {
    const n = parseKernelInt(t);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

/** A host's /proc/sys. */
export class SysctlTable {
  readonly #entries = new Map<string, Entry>();

  /** Adds a key. Registering a name twice is a bug and throws. */
  register(spec: SysctlSpec): void {
    if (this.#entries.has(spec.name)) {
      throw new Error(`sysctl ${spec.name} is already registered`);
    }
    const stored = toStored(spec.kind, spec.default);
    if (stored === undefined) {
      throw new RangeError(`sysctl ${spec.name}: default ${String(spec.default)} does not fit`);
    }
    this.#entries.set(spec.name, { spec, stored, listeners: [] });
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Every key, sorted as `sysctl -a` lists them. */
  keys(): string[] {
    return [...this.#entries.keys()].sort();
  }

  spec(name: string): SysctlSpec | undefined {
    return this.#entries.get(name)?.spec;
  }

  /** The file's text, without the newline: vectors joined by tabs, as /proc/sys prints them. */
  read(name: string): SysctlResult<string> {
    const e = this.#entries.get(name);
    if (e === undefined) return failure('ENOENT', 'open', name);
    return { ok: true, value: formatValue(this.#current(e)) };
  }

  /**
   * Writes `text` as `echo text > /proc/sys/…` would. On success the value is
   * what a read now returns (a jiffies key may round: 1 ms reads back as 4).
   */
  write(name: string, text: string): SysctlResult<string> {
    const e = this.#entries.get(name);
    if (e === undefined) return failure('ENOENT', 'open', name);
    const kind = e.spec.kind;
    let value: SysctlValue;
    if (kind.type === 'string') {
      // proc_dostring: up to the first newline, at most maxlen - 1 bytes.
      value = text.split('\n')[0]!.slice(0, kind.maxLength - 1);
    } else if (kind.type === 'uint') {
      const first = text.split(/[ \t\n]+/).filter((t) => t !== '')[0];
      const n = first === undefined ? undefined : parseKernelUint(first);
      if (n === undefined) return failure('EINVAL', 'write', name);
      value = n;
    } else {
      const ints = parseInts(text);
      if (ints === undefined) return failure('EINVAL', 'write', name);
      if (kind.type === 'intvec') {
        // Fewer values than the vector holds change only the first ones; extra
        // values are ignored (__do_proc_dointvec stops at the vector's end).
        const old = this.#current(e) as readonly number[];
        value = old.map((v, i) => ints[i] ?? v);
      } else {
        // A scalar takes the first value; the rest is ignored.
        value = ints[0]!;
      }
    }
    return this.#set(e, value, 'write');
  }

  /** Sets a value from code (units as shown). Same checks as `write`. */
  set(name: string, value: SysctlValue): SysctlResult<string> {
    const e = this.#entries.get(name);
    if (e === undefined) return failure('ENOENT', 'open', name);
    return this.#set(e, value, 'write');
  }

  /** The value in the units the file shows. Unknown keys are a bug in tcplab: throws. */
  get(name: string): SysctlValue {
    return this.#current(this.#entry(name));
  }

  /** A scalar's value as shown (count, seconds or milliseconds). */
  int(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw new TypeError(`sysctl ${name} is not a scalar`);
    return v;
  }

  /** A vector's values. */
  ints(name: string): readonly number[] {
    const v = this.get(name);
    if (!Array.isArray(v)) throw new TypeError(`sysctl ${name} is not a vector`);
    return v as readonly number[];
  }

  /** A jiffies key as the kernel keeps it, in jiffies. */
  jiffies(name: string): number {
    const e = this.#entry(name);
    const t = e.spec.kind.type;
    if (t !== 'jiffies' && t !== 'ms_jiffies' && t !== 'userhz_jiffies') {
      throw new TypeError(`sysctl ${name} is not kept in jiffies`);
    }
    if (e.spec.read !== undefined) {
      const stored = toStored(e.spec.kind, e.spec.read());
      return stored as number;
    }
    return e.stored as number;
  }

  /** Calls `listener` after every successful change of `name`. */
  onChange(name: string, listener: (value: SysctlValue) => void): void {
    this.#entry(name).listeners.push(listener);
  }

  #entry(name: string): Entry {
    const e = this.#entries.get(name);
    if (e === undefined) throw new Error(`sysctl ${name} is not registered`);
    return e;
  }

  #current(e: Entry): SysctlValue {
    if (e.spec.read !== undefined) return e.spec.read();
    return fromStored(e.spec.kind, e.stored);
  }

  #set(e: Entry, value: SysctlValue, syscall: 'write'): SysctlResult<string> {
    const name = e.spec.name;
    const bad = checkKind(e.spec.kind, value);
    if (bad !== undefined) return failure(bad, syscall, name);
    const stored = toStored(e.spec.kind, value);
    if (stored === undefined) return failure('EINVAL', syscall, name);
    const shown = fromStored(e.spec.kind, stored);
    const refused = e.spec.validate?.(shown);
    if (refused !== undefined) return failure(refused, syscall, name);
    if (e.spec.write !== undefined) {
      const err = e.spec.write(shown);
      if (err !== undefined) return failure(err, syscall, name);
    } else {
      e.stored = stored;
    }
    const now = this.#current(e);
    for (const l of e.listeners) l(now);
    return { ok: true, value: formatValue(now) };
  }
}

function checkKind(kind: SysctlKind, value: SysctlValue): SysctlErrno | undefined {
  switch (kind.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'EINVAL';
    case 'intvec': {
      if (!Array.isArray(value) || value.length !== kind.length) return 'EINVAL';
      for (const v of value as readonly number[]) {
        if (!isCInt(v)) return 'EINVAL';
        // proc_dointvec_minmax: every element within [extra1, extra2].
        if (kind.min !== undefined && v < kind.min) return 'EINVAL';
        if (kind.max !== undefined && v > kind.max) return 'EINVAL';
      }
      return undefined;
    }
    case 'uint':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT_MAX
        ? undefined
        : 'EINVAL';
    case 'int':
      if (typeof value !== 'number' || !isCInt(value)) return 'EINVAL';
      if (kind.min !== undefined && value < kind.min) return 'EINVAL';
      if (kind.max !== undefined && value > kind.max) return 'EINVAL';
      return undefined;
    case 'jiffies':
    case 'ms_jiffies':
    case 'userhz_jiffies':
      return typeof value === 'number' && isCInt(value) ? undefined : 'EINVAL';
  }
}

function isCInt(v: number): boolean {
  return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX;
}

/** From the shown units to what the kernel stores; undefined if it does not fit an int. */
function toStored(kind: SysctlKind, value: SysctlValue): SysctlValue | undefined {
  let j: number;
  switch (kind.type) {
    case 'jiffies':
      // proc_dointvec_jiffies: "if (*lvalp > INT_MAX / HZ) return 1" (EINVAL).
      j = (value as number) * HZ;
      break;
    case 'ms_jiffies':
      j = msecsToJiffies(value as number);
      break;
    case 'userhz_jiffies':
      j = clockTToJiffies(value as number);
      break;
    default:
      return Array.isArray(value) ? [...value] : value;
  }
  return isCInt(j) ? j : undefined;
}

function fromStored(kind: SysctlKind, stored: SysctlValue): SysctlValue {
  switch (kind.type) {
    case 'jiffies':
      return Math.trunc((stored as number) / HZ);
    case 'ms_jiffies':
      return jiffiesToMsecs(stored as number);
    case 'userhz_jiffies':
      return jiffiesToClockT(stored as number);
    default:
      return stored;
  }
}

function formatValue(v: SysctlValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return v.join('\t');
}
