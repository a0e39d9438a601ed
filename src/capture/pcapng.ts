/**
 * pcapng files: a reader that hands packets over one at a time, and writers.
 *
 * Read first: the pcapng draft (draft-ietf-opsawg-pcapng, "PCAP Next Generation
 * (pcapng) Capture File Format"), sections 3 (general block structure), 4.1-4.4
 * (SHB, IDB, EPB, SPB) and appendix A (the obsolete Packet Block); then libpcap
 * 1.10's sf-pcapng.c, whose rules and error texts the reader mirrors so that
 * tcplab's tcpdump fails where tcpdump fails, with the same words.
 *
 * A file is a sequence of blocks: type (4 bytes), total length (4), body, total
 * length again (4). Every section starts with a Section Header Block whose
 * byte-order magic says the byte order of the whole section. Interfaces are
 * described by IDBs; packets (EPB, SPB, PB) name their interface by its index in
 * the current section.
 */

import {
  adjustSnaplen,
  ByteSink,
  type CaptureError,
  type CaptureInterface,
  type CaptureOpenFailure,
  type CaptureReadOptions,
  fracIn,
  maxSnaplenForLinkType,
  PCAPNG_SHB_TYPE,
  plainBytes,
  type RecordSource,
  type RecordToWrite,
} from './files.js';
import type { CaptureRecord, TsPrecision } from './record.js';

// Block types: pcapng draft section 10.1 (block type codes).
const BT_SHB = PCAPNG_SHB_TYPE;
const BT_IDB = 0x0000_0001;
/** Appendix A: the obsolete Packet Block, still read by libpcap and Wireshark. */
const BT_PB = 0x0000_0002;
const BT_SPB = 0x0000_0003;
const BT_EPB = 0x0000_0006;

/** pcapng draft 4.1: written as 0x1A2B3C4D in the writer's byte order. */
const BYTE_ORDER_MAGIC = 0x1a2b_3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c_2b1a;

/** Block header (type, total length) and trailer (total length). */
const BLOCK_HEADER_LEN = 8;
const BLOCK_TRAILER_LEN = 4;
/** SHB fixed part: byte-order magic, major, minor, section length. */
const SHB_FIXED_LEN = 16;
const IDB_FIXED_LEN = 8;
const EPB_FIXED_LEN = 20;
const SPB_FIXED_LEN = 4;
const PB_FIXED_LEN = 20;

/** libpcap sf-pcapng.c BT_SHB_INSANE_MAX: an SHB longer than 1 MiB is not believed. */
const SHB_INSANE_MAX = 1024 * 1024;
/** libpcap sf-pcapng.c INITIAL_MAX_BLOCKSIZE: blocks above 16 MiB are refused. */
const INITIAL_MAX_BLOCKSIZE = 16 * 1024 * 1024;
/** libpcap sf-pcapng.c MAX_BLOCKSIZE_FOR_SNAPLEN: an EPB of max size plus 128 KiB of options. */
function maxBlocksizeForSnaplen(maxSnaplen: number): number {
  return BLOCK_HEADER_LEN + EPB_FIXED_LEN + maxSnaplen + 131_072 + BLOCK_TRAILER_LEN;
}

/** The versions libpcap 1.10 reads: 1.0, and 1.2 which it treats as 1.0 (sf-pcapng.c). */
const PCAPNG_VERSION_MAJOR = 1;
const PCAPNG_VERSION_MINOR = 0;

// Option codes: pcapng draft 4.2 (IDB options) and 3.5 (opt_endofopt).
const OPT_ENDOFOPT = 0;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** pcapng draft 4.2: without if_tsresol, timestamps count microseconds. */
const DEFAULT_TSRESOL = 1_000_000n;

type ScaleType = 'pass' | 'up-dec' | 'down-dec' | 'up-bin' | 'down-bin';

/** What the reader keeps per IDB of the current section (libpcap: struct pcap_ng_if). */
interface IfaceState {
  readonly iface: CaptureInterface;
  /** Index in the reader's `interfaces` (across sections): the records' `ifIndex`. */
  readonly globalIndex: number;
  /** Units per second: a power of 10, or of 2 when `binary`. */
  readonly tsresol: bigint;
  readonly binary: boolean;
  /** Seconds added to every timestamp (if_tsoffset), a signed 64-bit value. */
  readonly tsoffset: bigint;
  readonly scale: ScaleType;
  /** tsresol / user resolution or its inverse, for the decimal scalings. */
  readonly factor: bigint;
  /** The fast path: decimal resolution and offset small enough for doubles. */
  readonly fast: boolean;
  readonly tsresolNum: number;
  readonly factorNum: number;
  readonly tsoffsetNum: number;
}

interface Block {
  readonly type: number;
  /** Offset of the block's first byte (its type field). */
  readonly start: number;
  /** Body: after type and length, before the trailer. */
  readonly bodyStart: number;
  readonly bodyEnd: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads a pcapng file block by block. `open` reads up to and including the first
 * IDB (as libpcap does before tcpdump prints "reading from file …"); `next` then
 * returns one packet per call without building an array.
 *
 * Records' `data` are views into the file's bytes, not copies.
 *
 * DEVIATION(libpcap): libpcap 1.10 refuses a second interface whose link type or
 * snapshot length differs from the first one's ("an interface has a type …
 * different from the type of the first interface"); tcplab, like Wireshark,
 * reads it and tags each record with its own interface's link type, because a
 * virtual lab's capture may mix them. The `singleLinkType` option restores
 * libpcap's refusal, for a tcpdump that must fail where tcpdump fails.
 */
export class PcapngReader implements RecordSource {
  readonly format = 'pcapng';
  readonly interfaces: CaptureInterface[] = [];
  private readonly dv: DataView;
  private readonly le: boolean;
  private pos: number;
  private section: IfaceState[] = [];
  private maxBlocksize = INITIAL_MAX_BLOCKSIZE;
  private readonly userTsresol: bigint;
  private readonly singleLinkType: boolean;
  private failure: CaptureError | undefined;

  private constructor(
    private readonly bytes: Uint8Array,
    readonly precision: TsPrecision,
    le: boolean,
    pos: number,
    singleLinkType: boolean,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = le;
    this.pos = pos;
    this.userTsresol = precision === 'nano' ? 1_000_000_000n : 1_000_000n;
    this.singleLinkType = singleLinkType;
  }

  get error(): CaptureError | undefined {
    return this.failure;
  }

  get offset(): number {
    return this.pos;
  }

  /**
   * Checks the first Section Header Block and reads blocks up to the first IDB
   * (libpcap: pcap_ng_check_header). Any damage before that point means there is
   * no usable file at all.
   */
  static open(
    bytes: Uint8Array,
    options: CaptureReadOptions = {},
  ): PcapngReader | CaptureOpenFailure {
    bytes = plainBytes(bytes);
    const precision = options.precision ?? 'micro';
    const fail = (offset: number, message: string): CaptureOpenFailure => ({
      error: { offset, message },
    });
    if (bytes.length < 4) {
      return fail(
        0,
        `truncated dump file; tried to read 4 file header bytes, only got ${bytes.length}`,
      );
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== BT_SHB) return fail(0, 'unknown file format');
    // libpcap reads the length and the byte-order magic; a file too short for them,
    // or with neither byte order's magic, is "not pcapng" and tcpdump says
    // "unknown file format".
    if (bytes.length < 12) return fail(0, 'unknown file format');
    let le: boolean;
    const bom = dv.getUint32(8, true);
    if (bom === BYTE_ORDER_MAGIC) le = true;
    else if (bom === BYTE_ORDER_MAGIC_SWAPPED) le = false;
    else return fail(0, 'unknown file format');

    const total = dv.getUint32(4, le);
    const minShb = BLOCK_HEADER_LEN + SHB_FIXED_LEN + BLOCK_TRAILER_LEN;
    if (total < minShb || total > SHB_INSANE_MAX) {
      return fail(
        4,
        `Section Header Block in pcapng dump file has invalid length ${minShb} < _${total}_ < ${SHB_INSANE_MAX} (BT_SHB_INSANE_MAX)`,
      );
    }
    if (bytes.length < total) {
      return fail(
        12,
        `truncated pcapng dump file; tried to read ${total - 12} bytes, only got ${bytes.length - 12}`,
      );
    }
    // libpcap does not compare the first SHB's trailer with its header; neither do we.
    const major = dv.getUint16(12, le);
    const minor = dv.getUint16(14, le);
    if (!(major === PCAPNG_VERSION_MAJOR && (minor === PCAPNG_VERSION_MINOR || minor === 2))) {
      return fail(12, `unsupported pcapng savefile version ${major}.${minor}`);
    }

    const reader = new PcapngReader(bytes, precision, le, total, options.singleLinkType ?? false);
    // libpcap: look for the first IDB; skip other blocks; a packet before it is an error.
    for (;;) {
      const block = reader.readBlock();
      if (block === 'eof') {
        return fail(reader.pos, 'the capture file has no Interface Description Blocks');
      }
      if ('message' in block) return { error: block };
      if (block.type === BT_IDB) {
        const err = reader.addInterface(block);
        if (err) return { error: err };
        return reader;
      }
      if (block.type === BT_EPB || block.type === BT_SPB || block.type === BT_PB) {
        return fail(
          block.start,
          'the capture file has a packet block before any Interface Description Blocks',
        );
      }
    }
  }

  /** libpcap: pcap_ng_next_packet. */
  next(): CaptureRecord | null {
    if (this.failure) return null;
    for (;;) {
      const block = this.readBlock();
      if (block === 'eof') return null;
      if ('message' in block) return this.stop(block);
      switch (block.type) {
        // pcapng draft 4.3: the Enhanced Packet Block, what every modern tool writes.
        case BT_EPB: {
          if (block.bodyEnd - block.bodyStart < EPB_FIXED_LEN) return this.tooShort(block);
          const b = block.bodyStart;
          return this.packet(
            block,
            this.dv.getUint32(b, this.le),
            this.dv.getUint32(b + 4, this.le),
            this.dv.getUint32(b + 8, this.le),
            this.dv.getUint32(b + 12, this.le),
            this.dv.getUint32(b + 16, this.le),
            b + EPB_FIXED_LEN,
          );
        }
        // pcapng draft 4.4: the Simple Packet Block has no timestamp and no captured
        // length; libpcap puts it on interface 0 at time 0 and takes the captured
        // length as min(original length, snapshot length).
        case BT_SPB: {
          if (block.bodyEnd - block.bodyStart < SPB_FIXED_LEN) return this.tooShort(block);
          const len = this.dv.getUint32(block.bodyStart, this.le);
          const iface = this.section[0];
          const caplen = iface ? Math.min(len, iface.iface.snaplen) : len;
          return this.packet(block, 0, 0, 0, caplen, len, block.bodyStart + SPB_FIXED_LEN);
        }
        // pcapng draft appendix A: the obsolete Packet Block, a 16-bit interface id
        // and a drops count before the EPB's fields.
        case BT_PB: {
          if (block.bodyEnd - block.bodyStart < PB_FIXED_LEN) return this.tooShort(block);
          const b = block.bodyStart;
          return this.packet(
            block,
            this.dv.getUint16(b, this.le),
            this.dv.getUint32(b + 4, this.le),
            this.dv.getUint32(b + 8, this.le),
            this.dv.getUint32(b + 12, this.le),
            this.dv.getUint32(b + 16, this.le),
            b + PB_FIXED_LEN,
          );
        }
        case BT_IDB: {
          const err = this.addInterface(block);
          if (err) return this.stop(err);
          break;
        }
        // pcapng draft 4.1: a new section; its interfaces are numbered from 0 again.
        case BT_SHB: {
          const err = this.newSection(block);
          if (err) return this.stop(err);
          break;
        }
        // NRB, ISB, DSB, custom and unknown blocks carry no packets: skipped, as
        // libpcap does ("Not a packet block, IDB, or SHB; ignore it").
        default:
          break;
      }
    }
  }

  [Symbol.iterator](): Iterator<CaptureRecord> {
    return {
      next: () => {
        const value = this.next();
        return value ? { done: false, value } : { done: true, value: undefined };
      },
    };
  }

  private stop(error: CaptureError): null {
    this.failure = error;
    return null;
  }

  private tooShort(block: Block): null {
    return this.stop({
      offset: block.start,
      message: `block of type ${block.type} in pcapng dump file is too short`,
    });
  }

  /** libpcap: read_block. Checks the lengths and returns the block's body. */
  private readBlock(): Block | CaptureError | 'eof' {
    const start = this.pos;
    const left = this.bytes.length - start;
    if (left === 0) return 'eof';
    if (left < BLOCK_HEADER_LEN) {
      return {
        offset: start,
        message: `truncated pcapng dump file; tried to read ${BLOCK_HEADER_LEN} bytes, only got ${left}`,
      };
    }
    const type = this.dv.getUint32(start, this.le);
    const total = this.dv.getUint32(start + 4, this.le);
    if (total < BLOCK_HEADER_LEN + BLOCK_TRAILER_LEN) {
      return {
        offset: start + 4,
        message: `block in pcapng dump file has a length of ${total} < ${BLOCK_HEADER_LEN + BLOCK_TRAILER_LEN}`,
      };
    }
    if (total % 4 !== 0) {
      return {
        offset: start + 4,
        message: `block in pcapng dump file has a length of ${total} that is not a multiple of 4`,
      };
    }
    if (total > this.maxBlocksize) {
      return {
        offset: start + 4,
        message: `pcapng block size ${total} > maximum ${this.maxBlocksize}`,
      };
    }
    if (left < total) {
      return {
        offset: start + BLOCK_HEADER_LEN,
        message: `truncated pcapng dump file; tried to read ${total - BLOCK_HEADER_LEN} bytes, only got ${left - BLOCK_HEADER_LEN}`,
      };
    }
    const trailer = this.dv.getUint32(start + total - BLOCK_TRAILER_LEN, this.le);
    if (trailer !== total) {
      // libpcap 1.10's words (later versions add the two lengths).
      return {
        offset: start + total - BLOCK_TRAILER_LEN,
        message: "block total length in header and trailer don't match",
      };
    }
    this.pos = start + total;
    return {
      type,
      start,
      bodyStart: start + BLOCK_HEADER_LEN,
      bodyEnd: start + total - BLOCK_TRAILER_LEN,
    };
  }

  /** libpcap: the BT_SHB case of pcap_ng_next_packet. */
  private newSection(block: Block): CaptureError | undefined {
    if (block.bodyEnd - block.bodyStart < SHB_FIXED_LEN) {
      return {
        offset: block.start,
        message: `block of type ${block.type} in pcapng dump file is too short`,
      };
    }
    const bom = this.dv.getUint32(block.bodyStart, this.le);
    // The block's length was already read in the old byte order, so libpcap
    // refuses a section that changes it rather than guess.
    if (bom === BYTE_ORDER_MAGIC_SWAPPED) {
      return {
        offset: block.bodyStart,
        message: 'the file has sections with different byte orders',
      };
    }
    if (bom !== BYTE_ORDER_MAGIC) {
      return {
        offset: block.bodyStart,
        message: 'the file has a section with a bad byte order magic field',
      };
    }
    const major = this.dv.getUint16(block.bodyStart + 4, this.le);
    // pcapng draft 4.1: a reader must not read a section whose major version it
    // does not know; libpcap stops there.
    if (major !== PCAPNG_VERSION_MAJOR) {
      return {
        offset: block.bodyStart + 4,
        message: `unknown pcapng savefile major version number ${major}`,
      };
    }
    this.section = [];
    return undefined;
  }

  /** libpcap: add_interface and process_idb_options. */
  private addInterface(block: Block): CaptureError | undefined {
    const tooShort = (): CaptureError => ({
      offset: block.start,
      message: `block of type ${block.type} in pcapng dump file is too short`,
    });
    if (block.bodyEnd - block.bodyStart < IDB_FIXED_LEN) return tooShort();
    const linkType = this.dv.getUint16(block.bodyStart, this.le);
    const rawSnaplen = this.dv.getUint32(block.bodyStart + 4, this.le);

    let tsresol = DEFAULT_TSRESOL;
    let binary = false;
    let tsoffset = 0n;
    let sawTsresol = false;
    let sawTsoffset = false;
    let name: string | undefined;
    let description: string | undefined;
    const idbError = (offset: number, message: string): CaptureError => ({ offset, message });

    let p = block.bodyStart + IDB_FIXED_LEN;
    options: while (p < block.bodyEnd) {
      if (block.bodyEnd - p < 4) return tooShort();
      const code = this.dv.getUint16(p, this.le);
      const len = this.dv.getUint16(p + 2, this.le);
      const value = p + 4;
      // pcapng draft 3.5: option values are padded to 32 bits.
      const padded = (len + 3) & ~3;
      if (block.bodyEnd - value < padded) return tooShort();
      switch (code) {
        case OPT_ENDOFOPT:
          if (len !== 0) {
            return idbError(
              p,
              `Interface Description Block has opt_endofopt option with length ${len} != 0`,
            );
          }
          break options;
        case IF_NAME:
          name = utf8.decode(this.bytes.subarray(value, value + len));
          break;
        case IF_DESCRIPTION:
          description = utf8.decode(this.bytes.subarray(value, value + len));
          break;
        // pcapng draft 4.2 if_tsresol: the top bit chooses a negative power of 2,
        // else of 10; libpcap refuses resolutions that overflow 64 bits.
        case IF_TSRESOL: {
          if (len !== 1) {
            return idbError(
              p,
              `Interface Description Block has if_tsresol option with length ${len} != 1`,
            );
          }
          if (sawTsresol) {
            return idbError(p, 'Interface Description Block has more than one if_tsresol option');
          }
          sawTsresol = true;
          const v = this.bytes[value]!;
          if (v & 0x80) {
            const shift = v & 0x7f;
            if (shift > 63) {
              return idbError(
                value,
                `Interface Description Block if_tsresol option resolution 2^-${shift} is too high`,
              );
            }
            binary = true;
            tsresol = 1n << BigInt(shift);
          } else {
            if (v > 19) {
              return idbError(
                value,
                `Interface Description Block if_tsresol option resolution 10^-${v} is too high`,
              );
            }
            binary = false;
            tsresol = 10n ** BigInt(v);
          }
          break;
        }
        // pcapng draft 4.2 if_tsoffset: seconds to add to every timestamp.
        case IF_TSOFFSET:
          if (len !== 8) {
            return idbError(
              p,
              `Interface Description Block has if_tsoffset option with length ${len} != 8`,
            );
          }
          if (sawTsoffset) {
            return idbError(p, 'Interface Description Block has more than one if_tsoffset option');
          }
          sawTsoffset = true;
          tsoffset = this.dv.getBigInt64(value, this.le);
          break;
        default:
          break;
      }
      p = value + padded;
    }

    const snaplen = adjustSnaplen(linkType, rawSnaplen);
    const first = this.interfaces[0];
    // libpcap pcap_ng_next_packet: every later IDB must match the first one.
    if (this.singleLinkType && first && first.linkType !== linkType) {
      return idbError(
        block.bodyStart,
        `an interface has a type ${linkType} different from the type of the first interface`,
      );
    }
    if (this.singleLinkType && first && first.snaplen !== snaplen) {
      return idbError(
        block.bodyStart + 4,
        `an interface has a snapshot length ${rawSnaplen} different from the snapshot length of the first interface`,
      );
    }
    const iface: CaptureInterface = {
      linkType,
      snaplen,
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
    };
    const blockMax = maxBlocksizeForSnaplen(maxSnaplenForLinkType(linkType));
    if (blockMax > this.maxBlocksize) this.maxBlocksize = blockMax;
    this.interfaces.push(iface);
    this.section.push(
      makeIfaceState(
        iface,
        this.interfaces.length - 1,
        tsresol,
        binary,
        tsoffset,
        this.userTsresol,
      ),
    );
    return undefined;
  }

  /** The common tail of EPB, SPB and PB (libpcap: the `found:` label). */
  private packet(
    block: Block,
    interfaceId: number,
    tsHigh: number,
    tsLow: number,
    caplen: number,
    len: number,
    dataStart: number,
  ): CaptureRecord | null {
    const st = this.section[interfaceId];
    if (!st) {
      return this.stop({
        offset: block.bodyStart,
        message: `a packet arrived on interface ${interfaceId}, but there's no Interface Description Block for that interface`,
      });
    }
    // Unlike classic pcap, libpcap does not truncate an oversized pcapng packet.
    if (caplen > st.iface.snaplen) {
      return this.stop({
        offset: block.start,
        message: `invalid packet capture length ${caplen}, bigger than snaplen of ${st.iface.snaplen}`,
      });
    }
    if (block.bodyEnd - dataStart < caplen) return this.tooShort(block);
    const { sec, frac } = convertTimestamp(st, tsHigh, tsLow, this.userTsresol);
    return {
      sec,
      frac,
      precision: this.precision,
      origLen: len,
      data: this.bytes.subarray(dataStart, dataStart + caplen),
      linkType: st.iface.linkType,
      ifIndex: st.globalIndex,
    };
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function makeIfaceState(
  iface: CaptureInterface,
  globalIndex: number,
  tsresol: bigint,
  binary: boolean,
  tsoffset: bigint,
  user: bigint,
): IfaceState {
  // libpcap add_interface: how to bring the fraction to the user's resolution.
  let scale: ScaleType;
  let factor = 1n;
  if (tsresol === user) scale = 'pass';
  else if (tsresol > user) {
    scale = binary ? 'down-bin' : 'down-dec';
    if (!binary) factor = tsresol / user;
  } else {
    scale = binary ? 'up-bin' : 'up-dec';
    if (!binary) factor = user / tsresol;
  }
  const fast =
    !binary && tsresol <= BigInt(MAX_SAFE) && tsoffset >= -(1n << 40n) && tsoffset <= 1n << 40n;
  return {
    iface,
    globalIndex,
    tsresol,
    binary,
    tsoffset,
    scale,
    factor,
    fast,
    tsresolNum: Number(tsresol),
    factorNum: Number(factor),
    tsoffsetNum: Number(tsoffset),
  };
}

/**
 * A 64-bit count of interface units to seconds and a fraction in the user's
 * units, exactly as libpcap's pcap_ng_next_packet does it in uint64 arithmetic:
 * sec = t / tsresol + tsoffset, frac = t % tsresol, then frac scaled (a decimal
 * factor, or × user / tsresol for binary resolutions, overflow and all).
 * The common case (decimal resolution, t < 2^53) stays in doubles.
 */
export function convertTimestamp(
  st: Pick<
    IfaceState,
    | 'tsresol'
    | 'tsoffset'
    | 'scale'
    | 'factor'
    | 'fast'
    | 'tsresolNum'
    | 'factorNum'
    | 'tsoffsetNum'
  >,
  tsHigh: number,
  tsLow: number,
  user: bigint,
): { sec: number; frac: number } {
  if (st.fast && tsHigh < 0x20_0000) {
    const t = tsHigh * 0x1_0000_0000 + tsLow;
    const r = st.tsresolNum;
    let sec = Math.floor(t / r);
    let frac = t - sec * r;
    // The quotient of two doubles may round across an integer; put it back.
    if (frac < 0) {
      sec -= 1;
      frac += r;
    } else if (frac >= r) {
      sec += 1;
      frac -= r;
    }
    if (st.scale === 'up-dec') frac *= st.factorNum;
    else if (st.scale === 'down-dec') frac = Math.floor(frac / st.factorNum);
    return { sec: sec + st.tsoffsetNum, frac };
  }
  const t = (BigInt(tsHigh) << 32n) | BigInt(tsLow);
  const sec = BigInt.asUintN(64, t / st.tsresol + BigInt.asUintN(64, st.tsoffset));
  let frac = t % st.tsresol;
  switch (st.scale) {
    case 'pass':
      break;
    case 'up-dec':
      frac = BigInt.asUintN(64, frac * st.factor);
      break;
    case 'down-dec':
      frac = frac / st.factor;
      break;
    case 'up-bin':
    case 'down-bin':
      frac = BigInt.asUintN(64, frac * user) / st.tsresol;
      break;
  }
  // libpcap stores sec in a time_t (signed 64) and frac in an int that tcpdump
  // prints unsigned.
  return { sec: Number(BigInt.asIntN(64, sec)), frac: Number(BigInt.asUintN(32, frac)) };
}

// Writer-side option codes: pcapng draft 4.1 (SHB options), 4.3.1 (EPB options).
const SHB_USERAPPL = 4;
const EPB_FLAGS = 2;

/** pcapng draft 4.1: section length -1, "not specified" — a streamed file cannot know it. */
const SECTION_LENGTH_UNSPECIFIED = -1n;

const utf8Encoder = new TextEncoder();

export interface PcapngWriterOptions {
  /** Timestamp resolution written in every IDB's if_tsresol. Default `micro`. */
  readonly precision?: TsPrecision;
  /** Default true. */
  readonly littleEndian?: boolean;
  /** shb_userappl: the application that wrote the file. Default `tcplab`. */
  readonly application?: string;
}

/**
 * Writes a pcapng file incrementally: a Section Header Block, an IDB per
 * interface (if_name, if_description, if_tsresol), then an Enhanced Packet
 * Block per record. Interfaces may be added at any time, before the packets
 * that use them (pcapng draft 4.2). `flush()` hands over the bytes produced so
 * far, `finish()` the rest; with no `flush()` calls `finish()` returns the file.
 *
 * tcpdump 4.99 (libpcap 1.10) reads only files whose interfaces share one link
 * type and snaplen; Wireshark reads any mix.
 */
export class PcapngWriter {
  private readonly sink: ByteSink;
  private readonly precision: TsPrecision;
  private readonly resolution: bigint;
  private readonly ifaces: CaptureInterface[] = [];
  private count = 0;
  private done = false;

  constructor(interfaces: readonly CaptureInterface[] = [], options: PcapngWriterOptions = {}) {
    this.sink = new ByteSink(options.littleEndian ?? true);
    this.precision = options.precision ?? 'micro';
    this.resolution = this.precision === 'nano' ? 1_000_000_000n : 1_000_000n;
    this.writeShb(options.application ?? 'tcplab');
    for (const iface of interfaces) this.addInterface(iface);
  }

  /** Interfaces described so far. */
  get interfaces(): readonly CaptureInterface[] {
    return this.ifaces;
  }

  /** Records appended so far. */
  get records(): number {
    return this.count;
  }

  /** Writes an IDB; returns the interface's index, for records' `ifIndex`. */
  addInterface(iface: CaptureInterface): number {
    if (this.done) throw new Error('PcapngWriter: addInterface after finish');
    const s = this.sink;
    const start = this.beginBlock(BT_IDB);
    s.u16(iface.linkType);
    s.u16(0); // reserved
    s.u32(iface.snaplen);
    if (iface.name !== undefined) this.option(IF_NAME, utf8Encoder.encode(iface.name));
    if (iface.description !== undefined) {
      this.option(IF_DESCRIPTION, utf8Encoder.encode(iface.description));
    }
    // pcapng draft 4.2 if_tsresol: 6 (microseconds, also the default) or 9.
    this.option(IF_TSRESOL, Uint8Array.of(this.precision === 'nano' ? 9 : 6));
    this.endOptions();
    this.endBlock(start);
    this.ifaces.push(iface);
    return this.ifaces.length - 1;
  }

  /**
   * An Enhanced Packet Block (pcapng draft 4.3). A packet longer than its
   * interface's snaplen (when not 0) is cut to it, its original length kept.
   */
  append(rec: RecordToWrite): void {
    if (this.done) throw new Error('PcapngWriter: append after finish');
    const ifIndex = rec.ifIndex ?? 0;
    const iface = this.ifaces[ifIndex];
    if (!iface) throw new RangeError(`PcapngWriter: no interface ${ifIndex}`);
    const caplen =
      iface.snaplen > 0 && rec.data.length > iface.snaplen ? iface.snaplen : rec.data.length;
    const t = BigInt.asUintN(
      64,
      BigInt(rec.sec) * this.resolution + BigInt(fracIn(rec, this.precision)),
    );
    const s = this.sink;
    const start = this.beginBlock(BT_EPB);
    s.u32(ifIndex);
    s.u32(Number(t >> 32n));
    s.u32(Number(t & 0xffff_ffffn));
    s.u32(caplen);
    s.u32(rec.origLen ?? rec.data.length);
    s.bytes(caplen === rec.data.length ? rec.data : rec.data.subarray(0, caplen));
    s.pad4(start);
    if (rec.epbFlags !== undefined) {
      // pcapng draft 4.3.1 epb_flags: a 32-bit word in the section's byte order.
      s.u16(EPB_FLAGS);
      s.u16(4);
      s.u32(rec.epbFlags >>> 0);
      this.endOptions();
    }
    this.endBlock(start);
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

  private writeShb(application: string): void {
    const s = this.sink;
    const start = this.beginBlock(BT_SHB);
    s.u32(BYTE_ORDER_MAGIC);
    s.u16(PCAPNG_VERSION_MAJOR);
    s.u16(PCAPNG_VERSION_MINOR);
    s.u64(SECTION_LENGTH_UNSPECIFIED);
    this.option(SHB_USERAPPL, utf8Encoder.encode(application));
    this.endOptions();
    this.endBlock(start);
  }

  /** Block type and a length to be filled in by endBlock; returns the block's offset in the sink. */
  private beginBlock(type: number): number {
    const start = this.sink.length;
    this.sink.u32(type);
    this.sink.u32(0);
    return start;
  }

  /** pcapng draft 3.1: the total length, in the header and again in the trailer. */
  private endBlock(start: number): void {
    const total = this.sink.length - start + BLOCK_TRAILER_LEN;
    this.sink.u32At(start + 4, total);
    this.sink.u32(total);
  }

  /** pcapng draft 3.5: code, length, value padded to 32 bits. */
  private option(code: number, value: Uint8Array): void {
    const s = this.sink;
    s.u16(code);
    s.u16(value.length);
    const at = s.length;
    s.bytes(value);
    s.pad4(at);
  }

  private endOptions(): void {
    this.sink.u16(OPT_ENDOFOPT);
    this.sink.u16(0);
  }
}

/** A whole pcapng file: one section, `interfaces` as IDBs, `records` as EPBs. */
export function writePcapng(
  interfaces: readonly CaptureInterface[],
  records: Iterable<RecordToWrite>,
  options: PcapngWriterOptions = {},
): Uint8Array {
  const w = new PcapngWriter(interfaces, options);
  for (const r of records) w.append(r);
  return w.finish();
}
