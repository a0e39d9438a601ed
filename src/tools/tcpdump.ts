/**
 * `tcpdump`: reads a capture file and prints what tcpdump 4.99.3 prints, byte for
 * byte, with the same options, filter expressions, error texts and exit codes.
 * Live capture belongs to virtual hosts (tcpdump-live.ts, the host command);
 * from the command line only `-r FILE` is served.
 *
 * The file reader is a function of its arguments and a `ToolIO`, so the CLI
 * runs it on the real file system and a virtual host on its own files. The
 * option parser is shared with the live command.
 */

import { compileFilter, type PacketFilter } from '../capture/filter/index.js';
import { linkTypeName } from '../capture/linktypes.js';
import { CaptureReader, PcapWriter } from '../capture/pcap.js';
import {
  canPrintLinkType,
  defaultTcpdumpOptions,
  type TcpdumpOptions,
  TcpdumpPrinter,
} from '../capture/print/index.js';
import { LINKTYPE_LINUX_SLL2, type TsPrecision } from '../capture/record.js';
import { getoptLong, type LongOption } from './getopt.js';

/** What a tool may do to the world outside it. */
export interface ToolIO {
  /** The file's bytes, or the error text the C library gives (`No such file or directory`). */
  readFile(path: string): Uint8Array | { error: string };
  writeFile(path: string, bytes: Uint8Array): { error: string } | undefined;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Seconds east of UTC at a moment, for local-time stamps (TZ). Default: UTC. */
  tzOffsetSeconds?(epochSec: number): number;
  /** if_indextoname() of the machine reading the file, for `-i any` captures. */
  interfaceName?(ifIndex: number): string | undefined;
  /** gethostbyaddr() of the machine, for tcpdump without -n (IPv4 as a uint32). */
  hostName?(ipv4: number): string | undefined;
}

/** What tcpdump says about itself. The tcplab line is ours: it is not the real binary. */
export const TCPDUMP_VERSION_TEXT =
  'tcpdump version 4.99.3\nlibpcap version 1.10.3 (tcplab reimplementation)\n';

// tcpdump.c: the optstring and long options of 4.99.3, in its table order (the
// order matters: glibc lists ambiguous candidates in it).
const SHORT = 'aAbB:c:C:dDeE:fF:G:hHi:Ij:JKlLm:M:nNOpq Q:r:s:StT:uUvV:w:W:xXy:Yz:Z:#'.replace(
  ' ',
  '',
);
const LONG: readonly LongOption[] = [
  { name: 'buffer-size', hasArg: true, key: 'B' },
  { name: 'list-interfaces', hasArg: false, key: 'D' },
  { name: 'help', hasArg: false, key: 'h' },
  { name: 'interface', hasArg: true, key: 'i' },
  { name: 'monitor-mode', hasArg: false, key: 'I' },
  { name: 'time-stamp-type', hasArg: true, key: 'j' },
  { name: 'list-time-stamp-types', hasArg: false, key: 'J' },
  { name: 'micro', hasArg: false, key: 'micro' },
  { name: 'nano', hasArg: false, key: 'nano' },
  { name: 'time-stamp-precision', hasArg: true, key: 'time-stamp-precision' },
  { name: 'dont-verify-checksums', hasArg: false, key: 'K' },
  { name: 'list-data-link-types', hasArg: false, key: 'L' },
  { name: 'no-optimize', hasArg: false, key: 'O' },
  { name: 'no-promiscuous-mode', hasArg: false, key: 'p' },
  { name: 'direction', hasArg: true, key: 'Q' },
  { name: 'snapshot-length', hasArg: true, key: 's' },
  { name: 'relinquish-privileges', hasArg: true, key: 'Z' },
  { name: 'linktype', hasArg: true, key: 'y' },
  { name: 'packet-buffered', hasArg: false, key: 'U' },
  { name: 'immediate-mode', hasArg: false, key: 'immediate-mode' },
  { name: 'count', hasArg: false, key: 'count' },
  { name: 'fp-type', hasArg: false, key: 'fp-type' },
  { name: 'number', hasArg: false, key: '#' },
  { name: 'print', hasArg: false, key: 'print' },
  { name: 'version', hasArg: false, key: 'version' },
];

const USAGE = `Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
`;

/** Options that only matter to a live capture or to output we do not make. */
const IGNORED = new Set(['B', 'I', 'O', 'Z', 'N', 'f']);

/** libpcap pcap-int.h MAXIMUM_SNAPLEN; tcpdump.c refuses -s beyond it. */
export const MAXIMUM_SNAPLEN = 262_144;

/** -Q: pcap_direction_t. */
export type CaptureDirection = 'in' | 'out' | 'inout';

/** A tcpdump command line, parsed and checked as tcpdump.c main() does. */
export interface TcpdumpInvocation {
  readonly print: TcpdumpOptions;
  readonly count?: number;
  readonly countOnly: boolean;
  readonly readFile?: string;
  readonly writeFile?: string;
  readonly alsoPrint: boolean;
  readonly filterFile?: string;
  readonly expression: string;
  readonly interface?: string;
  /** -D / --list-interfaces. */
  readonly listInterfaces: boolean;
  /** -s: 0 means the default, MAXIMUM_SNAPLEN. */
  readonly snaplen: number;
  /** -Q; undefined when not given (both directions). */
  readonly direction?: CaptureDirection;
  /** -l: stdout line-buffered. */
  readonly lineBuffered: boolean;
  /** -U: the -w file flushed after every packet. */
  readonly packetBuffered: boolean;
  /** -p: do not put the interface into promiscuous mode. */
  readonly noPromiscuous: boolean;
  /** --immediate-mode: packets handed over as they arrive, not a ring block at a time. */
  readonly immediateMode: boolean;
}

/** Runs `tcpdump ARGS…` on a capture file; returns the exit status. */
export function runTcpdump(argv: readonly string[], io: ToolIO): number {
  const parsed = parseTcpdumpArgs(argv, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.listInterfaces) {
    io.stderr('tcpdump: option -D is not supported by tcplab\n');
    return 1;
  }
  return readAndPrint(parsed, io);
}

/**
 * tcpdump.c main()'s option loop and the checks after it: the invocation, or
 * the exit status after tcpdump's message (usage errors, -h, --version).
 */
export function parseTcpdumpArgs(
  argv: readonly string[],
  io: Pick<ToolIO, 'stdout' | 'stderr'>,
): TcpdumpInvocation | number {
  const got = getoptLong(argv, { short: SHORT, long: LONG });
  if (!got.ok) {
    io.stderr(`tcpdump: ${got.error.message}\n${TCPDUMP_VERSION_TEXT}${USAGE}`);
    return 1;
  }
  const print = defaultTcpdumpOptions();
  let count: number | undefined;
  let countOnly = false;
  let readFile: string | undefined;
  let writeFile: string | undefined;
  let alsoPrint = false;
  let filterFile: string | undefined;
  let iface: string | undefined;
  let listInterfaces = false;
  let snaplen = 0;
  let direction: CaptureDirection | undefined;
  let lineBuffered = false;
  let packetBuffered = false;
  let noPromiscuous = false;
  let immediateMode = false;
  const fatal = (message: string): number => {
    io.stderr(`tcpdump: ${message}\n`);
    return 1;
  };
  for (const { key, value = '' } of got.args.options) {
    switch (key) {
      case 'A':
        print.ascii++;
        break;
      case 'c': {
        // tcpdump.c: strtol; anything but a positive integer is refused.
        const n = /^\s*[+]?\d+$/.test(value) ? Number(value) : Number.NaN;
        if (!(n > 0) || n > 0x7fffffff) return fatal(`invalid packet count ${value}`);
        count = n;
        break;
      }
      case 'D':
        listInterfaces = true;
        break;
      case 'e':
        print.linkHeader = true;
        break;
      case 'F':
        filterFile = value;
        break;
      case 'h':
        io.stderr(TCPDUMP_VERSION_TEXT + USAGE);
        return 0;
      case 'version':
        io.stdout(TCPDUMP_VERSION_TEXT);
        return 0;
      case 'i':
        iface = value;
        break;
      case 'l':
        lineBuffered = true;
        break;
      case 'n':
        print.numeric++;
        break;
      case 'p':
        noPromiscuous = true;
        break;
      case 'Q': {
        // tcpdump.c: ascii_strcasecmp against in, out, inout; 4.99.3 quotes
        // the word as `word' (observed; later versions use 'word').
        const d = value.toLowerCase();
        if (d !== 'in' && d !== 'out' && d !== 'inout') {
          return fatal(`unknown capture direction \`${value}'`);
        }
        direction = d;
        break;
      }
      case 's': {
        // tcpdump.c: strtol(optarg, &end, 0), the whole word, 0 … MAXIMUM_SNAPLEN.
        const n = strtol0(value);
        if (n === undefined || n < 0 || n > MAXIMUM_SNAPLEN) {
          return fatal(`invalid snaplen ${value} (must be >= 0 and <= ${MAXIMUM_SNAPLEN})`);
        }
        snaplen = n;
        break;
      }
      case 'U':
        packetBuffered = true;
        break;
      case 'immediate-mode':
        immediateMode = true;
        break;
      case 'q':
        print.quiet = true;
        break;
      case 'r':
        readFile = value;
        break;
      case 'S':
        print.absoluteSeq = true;
        break;
      case 't':
        print.timestamps++;
        break;
      case 'v':
        print.verbose++;
        break;
      case 'w':
        writeFile = value;
        break;
      case 'x':
        print.hex++;
        break;
      case 'X':
        print.hexAscii++;
        break;
      case '#':
        print.packetNumbers = true;
        break;
      case 'count':
        countOnly = true;
        break;
      case 'print':
        alsoPrint = true;
        break;
      case 'micro':
        print.precision = 'micro';
        break;
      case 'nano':
        print.precision = 'nano';
        break;
      case 'time-stamp-precision': {
        const p = parsePrecision(value);
        if (!p) return fatal('unsupported time stamp precision');
        print.precision = p;
        break;
      }
      case 'fp-type':
        // tcpdump.c: prints the result of a floating-point test (x86: 9877.895).
        io.stdout('9877.895\n');
        return 0;
      default:
        if (IGNORED.has(key)) break;
        return fatal(`option -${key.length === 1 ? key : `-${key}`} is not supported by tcplab`);
    }
  }
  // tcpdump.c: -D lists the devices before the -t check.
  if (!listInterfaces && print.timestamps > 5) {
    return fatal('only -t, -tt, -ttt, -tttt and -ttttt are supported');
  }
  return {
    print,
    listInterfaces,
    snaplen,
    ...(direction !== undefined && { direction }),
    lineBuffered,
    packetBuffered,
    noPromiscuous,
    immediateMode,
    ...(count !== undefined && { count }),
    countOnly,
    ...(readFile !== undefined && { readFile }),
    ...(writeFile !== undefined && { writeFile }),
    alsoPrint,
    ...(filterFile !== undefined && { filterFile }),
    expression: got.args.operands.join(' '),
    ...(iface !== undefined && { interface: iface }),
  };
}

/**
 * C strtol with base 0 over a whole word (tcpdump checks `*end == '\0'`):
 * leading blanks and a sign, then `0x` hex, `0` octal or decimal. Undefined
 * when no digit was read or something follows the number.
 */
export function strtol0(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const digits = m[2]!;
  let n: number;
  if (/^0[xX]/.test(digits)) n = Number.parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') n = Number.parseInt(digits, 8);
  else n = Number.parseInt(digits, 10);
  return m[1] === '-' ? -n : n;
}

function parsePrecision(value: string): TsPrecision | undefined {
  if (value === 'micro') return 'micro';
  if (value === 'nano') return 'nano';
  return undefined;
}

/** Lines are gathered into chunks of about this size before they are written. */
const OUTPUT_CHUNK = 1 << 16;

/** `tcpdump -r FILE …`: reads, filters, prints or copies (-w) the file's packets. */
export function readAndPrint(inv: TcpdumpInvocation, io: ToolIO): number {
  if (inv.readFile === undefined) {
    const where = inv.interface ?? 'the default interface';
    io.stderr(
      `tcpdump: live capture on ${where} needs a virtual host: run tcpdump inside a lab, or read a file with -r FILE\n`,
    );
    return 1;
  }
  let expression = inv.expression;
  if (inv.filterFile !== undefined) {
    const text = io.readFile(inv.filterFile);
    if ('error' in text) {
      io.stderr(`tcpdump: can't open ${inv.filterFile}: ${text.error}\n`);
      return 1;
    }
    // tcpdump.c: with -F, operands are not part of the expression (4.99 says nothing).
    expression = filterFileText(new TextDecoder().decode(text));
  }

  const bytes = io.readFile(inv.readFile);
  if ('error' in bytes) {
    io.stderr(`tcpdump: ${inv.readFile}: ${bytes.error}\n`);
    return 1;
  }
  // libpcap 1.10 refuses a pcapng interface whose link type differs from the first.
  const reader = new CaptureReader(bytes, {
    precision: inv.print.precision,
    singleLinkType: true,
  });
  if (!reader.header) {
    io.stderr(`tcpdump: ${reader.error?.message}\n`);
    return 1;
  }
  const linkType = reader.linkType;
  io.stderr(
    `reading from file ${inv.readFile}, link-type ${linkTypeName(linkType)}, snapshot length ${reader.snaplen}\n`,
  );
  // tcpdump.c: an SLL2 file names interfaces by index, which only the capturing
  // machine can map to names; the reader's names may not be those.
  if (linkType === LINKTYPE_LINUX_SLL2) io.stderr('Warning: interface names might be incorrect\n');

  let filter: PacketFilter | undefined;
  if (expression.trim() !== '') {
    const compiled = compileFilter(expression, linkType);
    if (!compiled.ok) {
      io.stderr(`tcpdump: ${compiled.message}\n`);
      return 1;
    }
    filter = compiled.filter;
  }

  const printing = inv.writeFile === undefined ? !inv.countOnly : inv.alsoPrint;
  if (printing && !canPrintLinkType(linkType)) {
    // DEVIATION(tcpdump): tcpdump has printers for some 90 link types; tcplab
    // decodes the five a Linux capture uses (docs/tcpdump-differences.md) and
    // refuses the others rather than print text that differs from tcpdump's.
    io.stderr(
      `tcpdump: tcplab does not decode link-type ${linkTypeName(linkType)}; -w can still copy the packets\n`,
    );
    return 1;
  }
  const printer = printing
    ? new TcpdumpPrinter(
        {
          ...inv.print,
          ...(io.tzOffsetSeconds && { tzOffsetSeconds: io.tzOffsetSeconds.bind(io) }),
          ...(io.interfaceName && { interfaceName: io.interfaceName.bind(io) }),
          ...(io.hostName && { hostName: io.hostName.bind(io) }),
        },
        linkType,
      )
    : undefined;
  const writer =
    inv.writeFile !== undefined
      ? new PcapWriter({ linkType, snaplen: reader.snaplen, precision: inv.print.precision })
      : undefined;

  let out = '';
  let matched = 0;
  for (let rec = reader.next(); rec; rec = reader.next()) {
    if (filter && !filter.matches(rec.data, rec.origLen)) continue;
    matched++;
    writer?.append(rec);
    if (printer) {
      out += printer.format(rec);
      if (out.length >= OUTPUT_CHUNK) {
        io.stdout(out);
        out = '';
      }
    }
    if (inv.count !== undefined && matched >= inv.count) break;
  }
  if (out) io.stdout(out);
  if (inv.countOnly) io.stdout(`${matched} packet${matched === 1 ? '' : 's'}\n`);

  if (writer && inv.writeFile !== undefined) {
    const failed = io.writeFile(inv.writeFile, writer.finish());
    if (failed) {
      io.stderr(`tcpdump: ${inv.writeFile}: ${failed.error}\n`);
      return 1;
    }
  }
  const stoppedEarly = inv.count !== undefined && matched >= inv.count;
  if (reader.error && !stoppedEarly) {
    io.stderr(`tcpdump: pcap_loop: ${reader.error.message}\n`);
    return 1;
  }
  return 0;
}

/** tcpdump.c read_infile(): a filter file's `#` comments run to the end of the line. */
export function filterFileText(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const hash = line.indexOf('#');
      return hash < 0 ? line : line.slice(0, hash);
    })
    .join(' ')
    .trim();
}
