/**
 * tcpdump's text output: what `tcpdump -r FILE` (4.99.3, as Debian 12 ships
 * it) prints for each packet, byte for byte.
 *
 * This layer turns captured bytes into text and keeps tcpdump's per-run state
 * (the -# counter, the reference time of -ttt/-ttttt, the relative sequence
 * numbers of TCP conversations). It does no I/O and reads no clock: the caller
 * reads the file, filters, writes the text, and supplies local time, interface
 * names and host names through hooks. It never throws on any bytes: a damaged
 * packet prints the way tcpdump prints it (`[|tcp]`, `IP bad-len 0`, …).
 *
 * Read first: tcpdump's print.c (pretty_print_packet), util-print.c
 * (ts_print), then the decoders this directory mirrors, named in each file.
 * Where tcplab leaves an application decoder out (DNS, SNMP, …), a line stops
 * where that decoder would have started: see docs/tcpdump-differences.md.
 */

import {
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  type TsPrecision,
} from '../record.js';
import { type Flow, PacketContext } from './context.js';
import { asciiOnly, hexAndAscii, hexOnly } from './hexdump.js';
import { etherIfPrint, rawIfPrint, sll2IfPrint, sllIfPrint } from './link.js';
import { createNameResolver } from './names.js';
import { TcpSeqTable } from './tcp.js';
import { TimestampFormatter } from './timestamp.js';

export interface TcpdumpOptions {
  /** Count of -n (0: resolve port names from Debian 12's /etc/services; addresses via `hostName` if given, else numeric). */
  numeric: number;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq: boolean;
  /** Count of -t: 0 HH:MM:SS.frac (local time), 1 none, 2 epoch sec.frac, 3 delta since previous, 4 date+time, 5 delta since first. */
  timestamps: number;
  /** Count of -v. */
  verbose: number;
  /** -e. */
  linkHeader: boolean;
  /** Count of -x (1: from the network header, 2: with the link header). */
  hex: number;
  /** Count of -X. */
  hexAscii: number;
  /** Count of -A. */
  ascii: number;
  /** -q. */
  quiet: boolean;
  /** -#. */
  packetNumbers: boolean;
  /** --nano / --micro: the precision records are given in. */
  precision: TsPrecision;
  /** Local time offset east of UTC for a moment, in seconds; default 0 (UTC). */
  tzOffsetSeconds?: (epochSec: number) => number;
  /** SLL2 ifindex → name, as if_indextoname() on the reading host; unknown prints `?`. */
  interfaceName?: (ifIndex: number) => string | undefined;
  /** Reverse lookup of an IPv4 address (host byte order), used without -n. */
  hostName?: (ipv4: number) => string | undefined;
}

/** tcpdump with no options: every count 0, every switch off, microseconds. */
export function defaultTcpdumpOptions(): TcpdumpOptions {
  return {
    numeric: 0,
    absoluteSeq: false,
    timestamps: 0,
    verbose: 0,
    linkHeader: false,
    hex: 0,
    hexAscii: 0,
    ascii: 0,
    quiet: false,
    packetNumbers: false,
    precision: 'micro',
  };
}

/**
 * print.c: pretty_print_packet's sanity limit on lengths (MAXIMUM_SNAPLEN of
 * libpcap's pcap-int.h).
 */
const MAXIMUM_SNAPLEN = 262_144;

/**
 * A link-type field of 12: libpcap passes values below 104 through as DLT_
 * values (pcap-common.c linktype_to_dlt), and DLT_RAW is 12 on Linux.
 */
const DLT_RAW_LINUX = 12;

const UTC = () => 0;
const NO_INTERFACES = () => undefined;

/** Link types this printer decodes; tcpdump refuses to print the others. */
export function canPrintLinkType(linkType: number): boolean {
  return (
    linkType === LINKTYPE_ETHERNET ||
    linkType === LINKTYPE_LINUX_SLL ||
    linkType === LINKTYPE_LINUX_SLL2 ||
    linkType === LINKTYPE_RAW ||
    linkType === DLT_RAW_LINUX ||
    linkType === LINKTYPE_IPV4
  );
}

/** Formats the packets of one tcpdump run, in order. */
export class TcpdumpPrinter {
  private readonly ctx: PacketContext;
  private readonly timestamps: TimestampFormatter;
  private readonly interfaceName: (ifIndex: number) => string | undefined;
  private readonly linkPrinter: (c: PacketContext, length: number) => Flow;
  private count = 0;

  constructor(
    private readonly options: TcpdumpOptions,
    linkType: number,
  ) {
    this.ctx = new PacketContext(
      {
        nflag: options.numeric,
        vflag: options.verbose,
        eflag: options.linkHeader,
        qflag: options.quiet,
        Sflag: options.absoluteSeq,
        suppressDefaultPrint: options.hex > 0 || options.hexAscii > 0 || options.quiet,
      },
      createNameResolver(options.numeric === 0 ? options.hostName : undefined),
      new TcpSeqTable(),
    );
    this.timestamps = new TimestampFormatter(
      options.timestamps,
      options.precision,
      options.tzOffsetSeconds ?? UTC,
    );
    this.interfaceName = options.interfaceName ?? NO_INTERFACES;
    this.linkPrinter = this.printerFor(linkType);
  }

  /** The text tcpdump prints for this packet, including the final newline (and hex-dump lines). */
  format(record: CaptureRecord): string {
    this.count++;
    let head = this.options.packetNumbers ? `${String(this.count).padStart(5, ' ')}  ` : '';
    const caplen = record.data.length;
    const len = record.origLen;
    const invalid = invalidHeader(caplen, len);
    if (invalid !== '') return `${head}${invalid}]\n`;
    // Records normally come in the run's precision (the reader converts, as
    // libpcap does); one that does not is scaled the same way.
    let frac = record.frac;
    if (record.precision !== this.options.precision) {
      frac = record.precision === 'nano' ? Math.floor(frac / 1000) : frac * 1000;
    }
    head += this.timestamps.format(record.sec, frac);

    const c = this.ctx;
    c.start(record.data);
    const finished = this.linkPrinter(c, len);
    if (!finished) {
      // pretty_print_packet's setjmp: mark the truncation, dump the whole frame.
      c.trunc();
      c.llHdrLen = 0;
    }
    // The dumps ignore the captured end a decoder may have pulled in.
    const b = record.data;
    const hdrlen = c.llHdrLen;
    const o = this.options;
    let dump = '';
    if (o.hexAscii) {
      if (o.hexAscii > 1) dump = hexAndAscii('\n\t', b, 0, caplen);
      else if (caplen > hdrlen) dump = hexAndAscii('\n\t', b, hdrlen, caplen - hdrlen);
    } else if (o.hex) {
      if (o.hex > 1) dump = hexOnly('\n\t', b, 0, caplen);
      else if (caplen > hdrlen) dump = hexOnly('\n\t', b, hdrlen, caplen - hdrlen);
    } else if (o.ascii) {
      if (o.ascii > 1) dump = asciiOnly(b, 0, caplen);
      else if (caplen > hdrlen) dump = asciiOnly(b, hdrlen, caplen - hdrlen);
    }
    const text = `${head}${c.out}${dump}\n`;
    c.out = '';
    return text;
  }

  private printerFor(linkType: number): (c: PacketContext, length: number) => Flow {
    switch (linkType) {
      case LINKTYPE_ETHERNET:
        return etherIfPrint;
      case LINKTYPE_LINUX_SLL:
        return sllIfPrint;
      case LINKTYPE_LINUX_SLL2:
        return (c, length) => sll2IfPrint(c, length, this.interfaceName);
      case LINKTYPE_RAW:
      case DLT_RAW_LINUX:
      case LINKTYPE_IPV4:
        return rawIfPrint;
      default:
        // tcpdump refuses to start on a link type it cannot print; the command says so.
        return () => true;
    }
  }
}

/**
 * pretty_print_packet's sanity checks on the record header:
 * `[Invalid header: caplen==0, len(60) < caplen(80)` (the caller closes it).
 */
function invalidHeader(caplen: number, len: number): string {
  if (caplen !== 0 && len >= caplen && len <= MAXIMUM_SNAPLEN) return '';
  const problems: string[] = [];
  if (caplen === 0) problems.push(' caplen==0');
  if (len === 0) problems.push(' len==0');
  else if (len < caplen) problems.push(` len(${len}) < caplen(${caplen})`);
  if (caplen > MAXIMUM_SNAPLEN) problems.push(` caplen(${caplen}) > ${MAXIMUM_SNAPLEN}`);
  if (len > MAXIMUM_SNAPLEN) problems.push(` len(${len}) > ${MAXIMUM_SNAPLEN}`);
  return `[Invalid header:${problems.join(',')}`;
}
