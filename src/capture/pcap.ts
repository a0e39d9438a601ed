/**
 * Classic pcap files (pcap-savefile(5)), and the front every capture file is read
 * through: `readCapture` and `CaptureReader` take a classic pcap or a pcapng file
 * (pcapng.ts) and hand over `CaptureRecord`s.
 *
 * Read first: pcap-savefile(5); libpcap 1.10's savefile.c (which format is it),
 * sf-pcap.c (pcap_check_header, pcap_next_packet, pcap_dump) — the rules and the
 * error texts here are libpcap's, so tcplab's tcpdump can fail where tcpdump 4.99
 * fails and say the same thing ("tcpdump: pcap_loop: <message>").
 *
 * A file is a 24-byte header (magic, version 2.4, thiszone, sigfigs, snaplen,
 * link type) then records: a 16-byte header (seconds, micro- or nanoseconds,
 * captured length, original length) and the captured bytes. The magic, written in
 * the writer's byte order, gives both the byte order and the timestamp precision.
 */

import {
  adjustSnaplen,
  ByteSink,
  type CaptureError,
  type CaptureFormat,
  type CaptureInterface,
  type CaptureOpenFailure,
  type CaptureReadOptions,
  type CaptureReadResult,
  detectCaptureFormat,
  fracIn,
  MAXIMUM_SNAPLEN,
  maxSnaplenForLinkType,
  PCAP_MAGIC_KUZNETZOV,
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_NANO,
  plainBytes,
  type RecordSource,
  type RecordToWrite,
} from './files.js';
import { PcapngReader } from './pcapng.js';
import { type CaptureRecord, LINKTYPE_ETHERNET, type TsPrecision } from './record.js';

export type {
  CaptureError,
  CaptureFormat,
  CaptureInterface,
  CaptureOpenFailure,
  CaptureReadOptions,
  CaptureReadResult,
  RecordToWrite,
} from './files.js';
export { detectCaptureFormat, formatCaptureError } from './files.js';
export { PcapngReader, PcapngWriter, writePcapng } from './pcapng.js';

/** pcap-savefile(5): the file header is 24 bytes. */
export const PCAP_FILE_HEADER_LEN = 24;
/** pcap-savefile(5): each record header is 16 bytes. */
export const PCAP_RECORD_HEADER_LEN = 16;
/**
 * libpcap sf-pcap.c struct pcap_sf_patched_pkthdr: Kuznetsov's records add an
 * interface index (4), a protocol (2), a packet type (1) and padding (1).
 */
const KUZNETZOV_RECORD_HEADER_LEN = 24;
/** pcap-savefile(5): the only version written since libpcap 0.4. */
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
/** libpcap sf-pcap.c: DG/UX tcpdump wrote version 543.0, with 2.2-style records. */
const DGUX_VERSION_MAJOR = 543;

/**
 * pcap-savefile(5) / libpcap sf-pcap.c LT_LINKTYPE: the link type is the low 26
 * bits; the top 6 (LT_LINKTYPE_EXT) may hold FCS information, not a type.
 */
const LT_LINKTYPE_MASK = 0x03ff_ffff;
const INT_MAX = 0x7fff_ffff;
/** Ethernet header length, added by libpcap to a Kuznetsov file's snapshot. */
const ETHER_HDR_LEN = 14;

/**
 * libpcap sf-pcap.c: whether a record's two length fields are swapped. Before
 * version 2.3 captured and original length were in the other order; 2.3 files
 * exist in both orders.
 */
type LengthsSwapped = 'no' | 'yes' | 'maybe';

/** libpcap sf-pcap.c tstamp_scale_type_t. */
type TsScale = 'pass' | 'up' | 'down';

/**
 * Reads a classic pcap file one record at a time (libpcap: pcap_next_packet).
 * Records' `data` are views into the file's bytes, not copies.
 */
export class PcapReader implements RecordSource {
  readonly format = 'pcap';
  readonly interfaces: readonly CaptureInterface[];
  private readonly dv: DataView;
  private pos = PCAP_FILE_HEADER_LEN;
  private failure: CaptureError | undefined;

  private constructor(
    private readonly bytes: Uint8Array,
    readonly precision: TsPrecision,
    /** The precision the file's timestamps are stored in. */
    readonly filePrecision: TsPrecision,
    private readonly le: boolean,
    private readonly recordHeaderLen: number,
    private readonly scale: TsScale,
    private readonly lengthsSwapped: LengthsSwapped,
    readonly linkType: number,
    /** The upper 6 bits of the header's link-type field (FCS information). */
    readonly linkTypeExt: number,
    readonly snaplen: number,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.interfaces = [{ linkType, snaplen }];
  }

  get error(): CaptureError | undefined {
    return this.failure;
  }

  get offset(): number {
    return this.pos;
  }

  /** libpcap: pcap_check_header. */
  static open(
    bytes: Uint8Array,
    options: CaptureReadOptions = {},
  ): PcapReader | CaptureOpenFailure {
    bytes = plainBytes(bytes);
    const precision = options.precision ?? 'micro';
    const fail = (offset: number, message: string): CaptureOpenFailure => ({
      error: { offset, message },
    });
    if (bytes.length < 4) {
      // libpcap savefile.c reads the magic first.
      return fail(
        0,
        `truncated dump file; tried to read 4 file header bytes, only got ${bytes.length}`,
      );
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let le: boolean;
    let magic = dv.getUint32(0, true);
    if (isPcapMagic(magic)) le = true;
    else {
      magic = dv.getUint32(0, false);
      if (!isPcapMagic(magic)) return fail(0, 'unknown file format');
      le = false;
    }
    if (bytes.length < PCAP_FILE_HEADER_LEN) {
      // libpcap counts what it got after the 4 magic bytes, and says so.
      return fail(
        0,
        `truncated dump file; tried to read ${PCAP_FILE_HEADER_LEN} file header bytes, only got ${bytes.length - 4}`,
      );
    }
    const major = dv.getUint16(4, le);
    const minor = dv.getUint16(6, le);
    if (major < PCAP_VERSION_MAJOR) return fail(4, 'archaic pcap savefile format');
    if (
      !(
        (major === PCAP_VERSION_MAJOR && minor <= PCAP_VERSION_MINOR) ||
        (major === DGUX_VERSION_MAJOR && minor === 0)
      )
    ) {
      return fail(4, `unsupported pcap savefile version ${major}.${minor}`);
    }
    const rawSnaplen = dv.getUint32(16, le);
    const rawLinkType = dv.getUint32(20, le);
    const linkType = rawLinkType & LT_LINKTYPE_MASK;
    let snaplen = adjustSnaplen(linkType, rawSnaplen);

    const filePrecision: TsPrecision = magic === PCAP_MAGIC_NANO ? 'nano' : 'micro';
    const scale: TsScale =
      filePrecision === precision ? 'pass' : filePrecision === 'micro' ? 'up' : 'down';

    let lengthsSwapped: LengthsSwapped = 'no';
    if (major === PCAP_VERSION_MAJOR) {
      lengthsSwapped = minor < 3 ? 'yes' : minor === 3 ? 'maybe' : 'no';
    } else if (major === DGUX_VERSION_MAJOR) lengthsSwapped = 'yes';

    let recordHeaderLen = PCAP_RECORD_HEADER_LEN;
    if (magic === PCAP_MAGIC_KUZNETZOV) {
      recordHeaderLen = KUZNETZOV_RECORD_HEADER_LEN;
      // libpcap assumes a cooked-mode capture that prepended a fake Ethernet
      // header to up to `snaplen` bytes.
      if (linkType === LINKTYPE_ETHERNET) snaplen = Math.min(snaplen + ETHER_HDR_LEN, INT_MAX);
    }
    return new PcapReader(
      bytes,
      precision,
      filePrecision,
      le,
      recordHeaderLen,
      scale,
      lengthsSwapped,
      linkType,
      (rawLinkType & ~LT_LINKTYPE_MASK) >>> 0,
      snaplen,
    );
  }

  /** libpcap: pcap_next_packet. */
  next(): CaptureRecord | null {
    if (this.failure) return null;
    const start = this.pos;
    const left = this.bytes.length - start;
    if (left === 0) return null;
    if (left < this.recordHeaderLen) {
      return this.stop(
        start,
        `truncated dump file; tried to read ${this.recordHeaderLen} header bytes, only got ${left}`,
      );
    }
    const dv = this.dv;
    const sec = dv.getUint32(start, this.le);
    let frac = dv.getUint32(start + 4, this.le);
    let caplen = dv.getUint32(start + 8, this.le);
    let len = dv.getUint32(start + 12, this.le);

    switch (this.scale) {
      case 'pass':
        break;
      // libpcap multiplies in a C long and tcpdump prints it as an unsigned int:
      // an out-of-range fraction wraps modulo 2^32 (seen with fuzzed files).
      case 'up':
        frac = (frac * 1000) % 0x1_0000_0000;
        break;
      case 'down':
        frac = Math.floor(frac / 1000);
        break;
    }

    if (this.lengthsSwapped === 'yes' || (this.lengthsSwapped === 'maybe' && caplen > len)) {
      const t = caplen;
      caplen = len;
      len = t;
    }

    const max = maxSnaplenForLinkType(this.linkType);
    if (caplen > max) {
      // A damaged or fuzzed file: libpcap gives up rather than allocate.
      return this.stop(
        start,
        caplen > this.snaplen
          ? `invalid packet capture length ${caplen}, bigger than snaplen of ${this.snaplen}`
          : `invalid packet capture length ${caplen}, bigger than maximum of ${max}`,
      );
    }

    const dataStart = start + this.recordHeaderLen;
    const avail = this.bytes.length - dataStart;
    let keep = caplen;
    if (caplen > this.snaplen) {
      // libpcap sf-pcap.c: a record longer than the file's snaplen but below the
      // sane maximum (old Solaris bufmod bugs, fuzzers) is read, cut to the
      // snaplen, and its captured length reported as the snaplen.
      if (avail < this.snaplen) {
        return this.stop(
          dataStart,
          `truncated dump file; tried to read ${this.snaplen} captured bytes, only got ${avail}`,
        );
      }
      keep = this.snaplen;
    }
    if (avail < caplen) {
      return this.stop(
        dataStart,
        `truncated dump file; tried to read ${caplen} captured bytes, only got ${avail}`,
      );
    }
    this.pos = dataStart + caplen;
    return {
      sec,
      frac,
      precision: this.precision,
      origLen: len,
      // The same view subarray() makes, without its species lookup (a record
      // is made per packet, and `bytes` is a plain Uint8Array).
      data: new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + dataStart, keep),
      linkType: this.linkType,
      ifIndex: 0,
    };
  }

  [Symbol.iterator](): Iterator<CaptureRecord> {
    return iterate(this);
  }

  private stop(offset: number, message: string): null {
    this.failure = { offset, message };
    return null;
  }
}

function isPcapMagic(m: number): boolean {
  return m === PCAP_MAGIC_MICRO || m === PCAP_MAGIC_NANO || m === PCAP_MAGIC_KUZNETZOV;
}

function iterate(source: { next(): CaptureRecord | null }): Iterator<CaptureRecord> {
  return {
    next: () => {
      const value = source.next();
      return value ? { done: false, value } : { done: true, value: undefined };
    },
  };
}

/** What a capture file says before its first packet. */
export interface CaptureHeader {
  readonly format: CaptureFormat;
  /** The precision records are expressed in (the one asked for). */
  readonly precision: TsPrecision;
  /** Of the first interface: what tcpdump prints in "reading from file …". */
  readonly linkType: number;
  readonly snaplen: number;
  /**
   * Classic pcap: the upper 6 bits of the header's link-type field (FCS
   * information, libpcap LT_LINKTYPE_EXT), which `tcpdump -r F -w G` carries
   * over (pcap_dump_open or-s them back in). 0 for pcapng.
   */
  readonly linkTypeExt: number;
}

/**
 * Any capture file, one record at a time, without building an array: for
 * million-packet files and for printing as you go. The constructor never throws:
 * when the header (pcap) or everything up to the first interface (pcapng) is
 * unusable, `header` is undefined, `error` says why and `next()` returns null;
 * later damage ends the records and sets `error`, the packets before it having
 * been handed over (tcpdump prints them, then "pcap_loop: <message>").
 *
 * ```ts
 * const r = new CaptureReader(bytes);
 * if (!r.header) return fail(r.error!);
 * for (let rec; (rec = r.next()); ) print(rec);
 * if (r.error) fail(r.error);
 * ```
 */
export class CaptureReader {
  readonly header: CaptureHeader | undefined;
  private readonly source: PcapReader | PcapngReader | undefined;
  private readonly openError: CaptureError | undefined;

  constructor(bytes: Uint8Array, options: CaptureReadOptions = {}) {
    const precision = options.precision ?? 'micro';
    const opened = openSource(bytes, { ...options, precision });
    if (!(opened instanceof PcapReader) && !(opened instanceof PcapngReader)) {
      this.openError = opened.error;
      this.header = undefined;
      return;
    }
    this.source = opened;
    const first = opened.interfaces[0]!;
    this.header = {
      format: opened.format,
      precision,
      linkType: first.linkType,
      snaplen: first.snaplen,
      linkTypeExt: opened instanceof PcapReader ? opened.linkTypeExt : 0,
    };
  }

  /** Interfaces met so far (pcapng IDBs appear as the file is read). */
  get interfaces(): readonly CaptureInterface[] {
    return this.source?.interfaces ?? [];
  }

  /** `header.linkType`; 0 when the file had no usable header. */
  get linkType(): number {
    return this.header?.linkType ?? 0;
  }

  /** `header.snaplen`; 0 when the file had no usable header. */
  get snaplen(): number {
    return this.header?.snaplen ?? 0;
  }

  /** The next packet; null at the end of the file, or at damage (see `error`). */
  next(): CaptureRecord | null {
    return this.source ? this.source.next() : null;
  }

  /** Why the file could not be opened, or the damage that stopped the records. */
  get error(): CaptureError | undefined {
    return this.openError ?? this.source?.error;
  }

  /** Offset of the next byte to be read. */
  get offset(): number {
    return this.source?.offset ?? 0;
  }

  [Symbol.iterator](): Iterator<CaptureRecord> {
    return iterate(this);
  }
}

/** libpcap savefile.c: read the magic, then let each format's reader try it. */
function openSource(
  bytes: Uint8Array,
  options: CaptureReadOptions,
): PcapReader | PcapngReader | CaptureOpenFailure {
  if (bytes.length < 4) {
    return {
      error: {
        offset: 0,
        message: `truncated dump file; tried to read 4 file header bytes, only got ${bytes.length}`,
      },
    };
  }
  const format = detectCaptureFormat(bytes);
  if (format === undefined) return { error: { offset: 0, message: 'unknown file format' } };
  return format === 'pcap' ? PcapReader.open(bytes, options) : PcapngReader.open(bytes, options);
}

/**
 * Reads a whole capture file, classic pcap or pcapng. A file whose header is
 * unusable gives `{ error }` and nothing else; damage later gives the records
 * before it and `error` — what tcpdump prints before "pcap_loop: …".
 * Tell the two apart with `'records' in result`.
 */
export function readCapture(
  bytes: Uint8Array,
  options: CaptureReadOptions = {},
): CaptureReadResult | CaptureOpenFailure {
  const reader = new CaptureReader(bytes, options);
  const header = reader.header;
  if (!header) return { error: reader.error! };
  const records: CaptureRecord[] = [];
  for (let rec = reader.next(); rec; rec = reader.next()) records.push(rec);
  const result: CaptureReadResult = {
    format: header.format,
    precision: header.precision,
    interfaces: reader.interfaces,
    snaplen: header.snaplen,
    linkType: header.linkType,
    records,
    ...(reader.error ? { error: reader.error } : {}),
  };
  return result;
}

export interface PcapWriterOptions {
  /** LINKTYPE_* of every record (record.ts); FCS bits may be or-ed in. */
  readonly linkType: number;
  /** Default 262144, what tcpdump writes (libpcap MAXIMUM_SNAPLEN). */
  readonly snaplen?: number;
  /** `nano` writes the nanosecond magic (libpcap sf_write_header). Default `micro`. */
  readonly precision?: TsPrecision;
  /** Default true: little-endian, as tcpdump writes on x86 and ARM. */
  readonly littleEndian?: boolean;
}

/**
 * Writes a classic pcap file incrementally, for large or live captures: `append`
 * records, `flush()` hands over the bytes produced so far (the file header first),
 * `finish()` the rest. With no `flush()` calls, `finish()` returns the whole file.
 *
 * Like a capture with `-s snaplen`, a packet longer than the snaplen is cut to
 * it (its original length kept), so the file stays readable by libpcap, which
 * refuses longer records.
 */
export class PcapWriter {
  private readonly sink: ByteSink;
  private readonly precision: TsPrecision;
  private readonly snaplen: number;
  private count = 0;
  private done = false;

  constructor(options: PcapWriterOptions) {
    this.sink = new ByteSink(options.littleEndian ?? true);
    this.precision = options.precision ?? 'micro';
    this.snaplen = options.snaplen ?? MAXIMUM_SNAPLEN;
    // libpcap sf-pcap.c sf_write_header: thiszone and sigfigs are always 0
    // (pcap-savefile(5)).
    const s = this.sink;
    s.u32(this.precision === 'nano' ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO);
    s.u16(PCAP_VERSION_MAJOR);
    s.u16(PCAP_VERSION_MINOR);
    s.u32(0);
    s.u32(0);
    s.u32(this.snaplen);
    s.u32(options.linkType);
  }

  /** Records appended so far. */
  get records(): number {
    return this.count;
  }

  /** libpcap: pcap_dump. Seconds are written modulo 2^32, as libpcap's 32-bit field holds them. */
  append(rec: RecordToWrite): void {
    if (this.done) throw new Error('PcapWriter: append after finish');
    const caplen =
      this.snaplen > 0 && rec.data.length > this.snaplen ? this.snaplen : rec.data.length;
    const s = this.sink;
    s.u32(rec.sec);
    s.u32(fracIn(rec, this.precision));
    s.u32(caplen);
    s.u32(rec.origLen ?? rec.data.length);
    s.bytes(caplen === rec.data.length ? rec.data : rec.data.subarray(0, caplen));
    this.count++;
  }

  /** The bytes produced since the last flush. */
  flush(): Uint8Array {
    return this.sink.take();
  }

  /** The bytes not yet flushed; the writer takes no more records. */
  finish(): Uint8Array {
    this.done = true;
    return this.sink.take();
  }
}

/** A whole classic pcap file holding `records`. */
export function writePcap(
  records: Iterable<RecordToWrite>,
  options: PcapWriterOptions,
): Uint8Array {
  const w = new PcapWriter(options);
  for (const r of records) w.append(r);
  return w.finish();
}
