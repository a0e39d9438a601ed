/**
 * Capture files: what the classic pcap reader (`pcap.ts`) and the pcapng reader
 * (`pcapng.ts`) share, and the format sniffing that picks between them.
 *
 * Read first: pcap-savefile(5) and the pcapng draft (draft-ietf-opsawg-pcapng),
 * then libpcap 1.10's savefile.c, sf-pcap.c and sf-pcapng.c, whose rules and error
 * texts these readers mirror (tcpdump 4.99 reads files through them).
 *
 * This layer works on bytes only: callers read and write the files (no `node:*`
 * imports here), and nothing here throws on bad input — damage comes back as a
 * `CaptureError` saying what is wrong and at which byte offset of the file.
 */

import type { CaptureRecord, TsPrecision } from './record.js';

/** One capture interface: the only one of a classic pcap file, or a pcapng IDB. */
export interface CaptureInterface {
  /** LINKTYPE_* value (record.ts), FCS bits masked off. */
  readonly linkType: number;
  /** pcapng `if_name`, e.g. `eth0`, or `client:eth0` in a virtual lab. */
  readonly name?: string;
  /**
   * The snapshot length as libpcap uses it: the header's value, or the maximum
   * for the link type when the header says 0 or more than INT_MAX
   * (libpcap: pcap_adjust_snapshot).
   */
  readonly snaplen: number;
  /** pcapng `if_description`. */
  readonly description?: string;
}

/** Damage in a capture file. `message` never names the file (the caller knows it). */
export interface CaptureError {
  /** Byte offset in the file of the offending field, block or record. */
  readonly offset: number;
  readonly message: string;
}

export interface CaptureReadResult {
  readonly format: CaptureFormat;
  /** The precision `records` are expressed in (the one asked for). */
  readonly precision: TsPrecision;
  /** Classic pcap: exactly one. pcapng: every IDB of every section, in file order. */
  readonly interfaces: readonly CaptureInterface[];
  /** Of the first interface (what tcpdump prints in "reading from file …"). */
  readonly snaplen: number;
  readonly linkType: number;
  readonly records: readonly CaptureRecord[];
  /** Damage met after `records`: the packets before it are kept, as tcpdump prints them. */
  readonly error?: CaptureError;
}

/** A file whose header is unusable: nothing was read. */
export interface CaptureOpenFailure {
  readonly error: CaptureError;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureReadOptions {
  /**
   * The precision timestamps are delivered in, as `tcpdump --time-stamp-precision`
   * asks libpcap (pcap_open_offline_with_tstamp_precision). Default `micro`.
   */
  readonly precision?: TsPrecision;
  /**
   * pcapng: refuse, as libpcap 1.10 does, an interface whose link type or
   * snapshot length differs from the first interface's. Default false: such
   * files are read (as Wireshark reads them), each record with its own type.
   */
  readonly singleLinkType?: boolean;
}

/** pcap-savefile(5): the microsecond magic, as a little- or big-endian uint32. */
export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
/** libpcap sf-pcap.c NSEC_TCPDUMP_MAGIC: nanosecond timestamps. */
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** libpcap sf-pcap.c KUZNETZOV_TCPDUMP_MAGIC: Alexey Kuznetsov's patched format. */
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
/** pcapng draft 4.1: the Section Header Block type, the same in both byte orders. */
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;

/**
 * libpcap pcap-int.h MAXIMUM_SNAPLEN: the largest snapshot length libpcap accepts
 * for almost every link type, and the default when a header says 0.
 */
export const MAXIMUM_SNAPLEN = 262_144;
const INT_MAX = 0x7fff_ffff;

/**
 * The largest captured length libpcap considers sane for a link type
 * (libpcap pcap-common.c: max_snaplen_for_dlt). D-Bus messages may be 128 MiB,
 * EBHSCR 8 MiB and USBPcap 1 MiB; everything else is MAXIMUM_SNAPLEN.
 */
export function maxSnaplenForLinkType(linkType: number): number {
  switch (linkType) {
    case 231: // LINKTYPE_DBUS
      return 128 * 1024 * 1024;
    case 279: // LINKTYPE_EBHSCR
      return 8 * 1024 * 1024;
    case 249: // LINKTYPE_USBPCAP
      return 1024 * 1024;
    default:
      return MAXIMUM_SNAPLEN;
  }
}

/**
 * The snapshot length libpcap uses for a file header's value: 0 and values above
 * INT_MAX are bogus and replaced by the link type's maximum; anything else,
 * even 1, is kept (libpcap savefile.c: pcap_adjust_snapshot).
 */
export function adjustSnaplen(linkType: number, snaplen: number): number {
  return snaplen === 0 || snaplen > INT_MAX ? maxSnaplenForLinkType(linkType) : snaplen;
}

/**
 * Which reader a file needs, from its first four bytes, the way libpcap tries its
 * readers in turn (savefile.c: check_headers[]). `undefined`: neither format —
 * tcpdump says "unknown file format".
 */
export function detectCaptureFormat(bytes: Uint8Array): CaptureFormat | undefined {
  if (bytes.length < 4) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  for (const magic of [PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO, PCAP_MAGIC_KUZNETZOV]) {
    if (le === magic || be === magic) return 'pcap';
  }
  if (le === PCAPNG_SHB_TYPE) return 'pcapng';
  return undefined;
}

/** `error at byte 40: invalid packet capture length …` for logs and tools. */
export function formatCaptureError(e: CaptureError): string {
  return `at byte ${e.offset}: ${e.message}`;
}

/** The pull interface both readers implement; `CaptureReader` (pcap.ts) fronts them. */
export interface RecordSource {
  readonly interfaces: readonly CaptureInterface[];
  /** The next packet, or null at the end of the file or at damage (then `error` is set). */
  next(): CaptureRecord | null;
  readonly error: CaptureError | undefined;
  /** Offset of the next byte to read. */
  readonly offset: number;
}

/**
 * A packet to write: a `CaptureRecord` will do, and so will a bare
 * `{ sec, frac, data }` (precision defaults to the writer's, `origLen` to the
 * captured length, `ifIndex` to 0).
 */
export interface RecordToWrite {
  readonly sec: number;
  /** Fraction of a second in `precision` units. */
  readonly frac: number;
  readonly precision?: TsPrecision;
  readonly data: Uint8Array;
  readonly origLen?: number;
  /** pcapng: the index of the interface (in the writer's interface list). */
  readonly ifIndex?: number;
  /**
   * pcapng: the EPB's epb_flags option (draft 4.3.1: bits 0-1 direction, 1
   * inbound, 2 outbound; bits 2-4 reception type, 1 unicast, 2 multicast, 3
   * broadcast, 4 promiscuous). Absent: no option. Classic pcap has no place for it.
   */
  readonly epbFlags?: number;
}

/** `frac` in the writer's units; a finer fraction is truncated, as libpcap scales down. */
export function fracIn(rec: RecordToWrite, precision: TsPrecision): number {
  const from = rec.precision ?? precision;
  if (from === precision) return rec.frac;
  return from === 'micro' ? rec.frac * 1000 : Math.floor(rec.frac / 1000);
}

/**
 * A growable output buffer for the writers: fields are written in place, and
 * `take()` hands over what was written since the last `take()`.
 */
export class ByteSink {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  private len = 0;

  constructor(private readonly le: boolean) {}

  /** Bytes waiting to be taken. */
  get length(): number {
    return this.len;
  }

  /** Makes room for `n` more bytes and returns the offset where they go. */
  reserve(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.buf.subarray(0, at));
      this.buf = bigger;
      this.dv = new DataView(bigger.buffer);
    }
    this.len = at + n;
    return at;
  }

  // Each writer reserves first: reserve() may replace buf and dv.
  u16(v: number): void {
    const at = this.reserve(2);
    this.dv.setUint16(at, v, this.le);
  }

  u32(v: number): void {
    const at = this.reserve(4);
    this.dv.setUint32(at, v >>> 0, this.le);
  }

  u64(v: bigint): void {
    const at = this.reserve(8);
    this.dv.setBigUint64(at, BigInt.asUintN(64, v), this.le);
  }

  /** Overwrites a uint32 already reserved (a block length known at its end). */
  u32At(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, this.le);
  }

  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }

  /** Zero bytes up to the next multiple of 4 counted from `from` (pcapng padding). */
  pad4(from: number): void {
    const at = this.reserve((4 - ((this.len - from) % 4)) % 4);
    this.buf.fill(0, at, this.len);
  }

  /** A copy of what was written since the last take. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}

/**
 * The same bytes as a plain Uint8Array view. Records' `data` are views into the
 * file's bytes; from a Node Buffer they would be Buffers, whose `slice()` shares
 * memory instead of copying, a trap for callers that edit a copy.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
