/**
 * `tcpdump` as a command of a virtual host: captures on a live interface
 * (`-i eth0`, `-i lo`, `-i any`, or the first device libpcap lists), prints each
 * packet as it crosses with the lab's wall clock, writes `-w FILE` into the
 * host's files, reads `-r FILE` from them, lists devices (`-D`), and prints the
 * banner, the closing statistics and the errors tcpdump 4.99.3 (libpcap
 * 1.10.3, Debian 12) prints, in its order.
 *
 * Read first: tcpdump.c main() (the order of the checks, the banner, the loop,
 * info()), libpcap pcap-linux.c (linux_check_direction: what userspace drops
 * after the kernel filter counted a packet) and the fixtures recorded from the
 * real tool, test/tools/tcpdump-live-fixtures.json.
 *
 * What a capture sees is what a Linux packet socket sees (src/host/tap.ts):
 * frames sent as they leave (after netfilter OUTPUT/POSTROUTING: a packet
 * dropped there is never seen), frames received as they arrive (before
 * PREROUTING/INPUT: a packet dropped there is seen), ARP included.
 *
 * Differences from the real tool (docs/tcpdump-differences.md): packets are
 * handed over as they cross, as with --immediate-mode (libpcap's TPACKET_V3
 * ring hands them over a block at a time, up to 100 ms later on a terminal and
 * a second otherwise).
 */

import { compileFilter, type PacketFilter } from '../capture/filter/index.js';
import { emitSll, linkTypeName, linkTypeShortName } from '../capture/linktypes.js';
import { PcapWriter } from '../capture/pcap.js';
import { TcpdumpPrinter } from '../capture/print/index.js';
import {
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  type TsPrecision,
} from '../capture/record.js';
import type { Host } from '../host/host.js';
import { ARPHRD_LOOPBACK, type NetInterface } from '../host/interface.js';
import { Pending } from '../host/socket.js';
import { sllPacketType, type TapPacket, tapSll2Record } from '../host/tap.js';
import { FsError } from '../os/fs.js';
import type { Command, Proc } from '../os/process.js';
import { NS_PER_S } from '../sim/time.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import {
  filterFileText,
  MAXIMUM_SNAPLEN,
  parseTcpdumpArgs,
  readAndPrint,
  type TcpdumpInvocation,
  type ToolIO,
} from './tcpdump.js';
import {
  type CaptureDevice,
  findAllDevices,
  formatDeviceList,
  interfaceNumber,
} from './tcpdump-devices.js';
import { StdioBuffer } from './tcpdump-stdio.js';

/** The host command. */
export const tcpdumpCommand: Command = async (proc) => {
  const io = procToolIO(proc);
  const inv = parseTcpdumpArgs(proc.argv.slice(1), io);
  if (typeof inv === 'number') return inv;
  if (inv.listInterfaces) {
    proc.stdout.write(formatDeviceList(findAllDevices(proc.host)));
    return 0;
  }
  if (inv.readFile === '-') {
    // libpcap pcap_open_offline("-"): the standard input. DEVIATION(tcpdump):
    // read to its end first, then printed (tcpdump prints as it reads).
    const stdin = await readAll(proc);
    return readAndPrint(inv, {
      ...io,
      readFile: (path) => (path === '-' ? stdin : io.readFile(path)),
    });
  }
  if (inv.readFile !== undefined) return readAndPrint(inv, io);
  return liveCapture(proc, inv, io);
};

/** Everything on the standard input, to its end. */
async function readAll(proc: Proc): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let chunk = await proc.stdin.read(); chunk !== null; chunk = await proc.stdin.read()) {
    chunks.push(chunk);
    length += chunk.length;
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/** The ToolIO of a process: its files, its output, its host's names. */
export function procToolIO(proc: Proc): ToolIO {
  return {
    readFile: (path) => {
      const r = proc.fs.readFile(path, proc.cwd);
      return r instanceof FsError ? { error: r.message } : r;
    },
    writeFile: (path, bytes) => {
      const r = proc.fs.writeFile(path, bytes, { cwd: proc.cwd });
      return r instanceof FsError ? { error: r.message } : undefined;
    },
    stdout: (text) => proc.stdout.write(text),
    stderr: (text) => proc.stderr.write(text),
    // Local time is UTC on every tcplab host.
    tzOffsetSeconds: () => 0,
    // if_indextoname() on the host reading the file.
    interfaceName: (ifIndex) => proc.host.interface(ifIndex)?.name,
    // gethostbyaddr() with "files" only: the first /etc/hosts name of the address.
    hostName: (ipv4) => reverseLookup(proc.host, ipv4),
  };
}

function reverseLookup(host: Host, ipv4: number): string | undefined {
  for (const [name, addr] of host.etcHosts) if (addr === ipv4 >>> 0) return name;
  return undefined;
}

/** Why the capture loop ended. */
type Stop = 'count' | 'interrupted';

/** The device opened: one interface, or all of them. */
interface Opened {
  readonly name: string;
  readonly iface: NetInterface | undefined;
  readonly linkType: number;
}

async function liveCapture(proc: Proc, inv: TcpdumpInvocation, io: ToolIO): Promise<number> {
  const host = proc.host;
  const fatal = (message: string): number => {
    proc.stderr.write(`tcpdump: ${message}\n`);
    return 1;
  };

  // tcpdump.c: no -i → the first device of pcap_findalldevs (`any` when no
  // interface is up and running).
  const devices = findAllDevices(host);
  const requested = inv.interface ?? devices[0]!.name;
  let opened = openDevice(host, requested, inv.interface === 'any');
  if (typeof opened === 'string') {
    // The open failed: a purely numeric name is an index into the list.
    const n = interfaceNumber(requested);
    if (n === undefined) return fatal(opened);
    const dev: CaptureDevice | undefined = n > 0 ? devices[n - 1] : undefined;
    if (dev === undefined) return fatal('Invalid adapter index');
    opened = openDevice(host, dev.name, false);
    if (typeof opened === 'string') return fatal(opened);
  }
  const { linkType } = opened;
  if (linkType === LINKTYPE_LINUX_SLL2) {
    // tcpdump 4.99.3 asks for DLT_LINUX_SLL2 on `-i any` as if by -y, and says so.
    proc.stderr.write(`tcpdump: data link type ${linkTypeShortName(linkType)}\n`);
  }
  const snaplen = inv.snaplen === 0 ? MAXIMUM_SNAPLEN : inv.snaplen;

  let expression = inv.expression;
  if (inv.filterFile !== undefined) {
    const text = proc.fs.readText(inv.filterFile, proc.cwd);
    if (text instanceof FsError) return fatal(`can't open ${inv.filterFile}: ${text.message}`);
    expression = filterFileText(text);
  }
  let filter: PacketFilter | undefined;
  if (expression.trim() !== '') {
    // tcpdump 4.99 passes netmask 0 unless -f asked for pcap_lookupnet.
    const compiled = compileFilter(expression, linkType, { snaplen });
    if (!compiled.ok) return fatal(compiled.message);
    filter = compiled.filter;
  }

  // pcap_dump_open: fopen(name, "w") — created (emptied) now; "-" is stdout.
  const precision = inv.print.precision;
  let dump: { writer: PcapWriter; file: StdioBuffer } | undefined;
  if (inv.writeFile !== undefined) {
    const path = inv.writeFile;
    let sink: (bytes: Uint8Array) => void;
    if (path === '-') {
      sink = (bytes) => proc.stdout.write(bytes);
    } else {
      const created = proc.fs.writeFile(path, new Uint8Array(0), { cwd: proc.cwd });
      if (created instanceof FsError) return fatal(`${path}: ${created.message}`);
      sink = (bytes) => {
        proc.fs.writeFile(path, bytes, { cwd: proc.cwd, append: true });
      };
    }
    const writer = new PcapWriter({ linkType, snaplen, precision });
    const file = new StdioBuffer(sink, 'full');
    file.write(writer.flush());
    if (inv.packetBuffered) file.flush();
    dump = { writer, file };
  }
  const printing = inv.writeFile === undefined || inv.alsoPrint;
  const printer = printing
    ? new TcpdumpPrinter(
        {
          ...inv.print,
          ...(io.tzOffsetSeconds && { tzOffsetSeconds: io.tzOffsetSeconds }),
          ...(io.interfaceName && { interfaceName: io.interfaceName }),
          ...(io.hostName && { hostName: io.hostName }),
        },
        linkType,
      )
    : undefined;
  // stdio: a terminal is line-buffered, a pipe or file fully; -l: line.
  const stdout = new StdioBuffer(
    (bytes) => proc.stdout.write(bytes),
    proc.stdout.isTerminal || inv.lineBuffered ? 'line' : 'full',
  );

  // The capture: the kernel side (filter, counters) runs in the tap, in the
  // simulation's event; tcpdump's side runs when the process is woken.
  //
  // Packets reach tcpdump as they cross, in an event of their own at the same
  // instant (as a softirq hands over to a woken reader): the processes the
  // same packet woke (telnet getting its RST) run first, and the real tcpdump,
  // woken by libpcap's ring, usually prints after them too.
  // DEVIATION(tcpdump): libpcap hands packets over a TPACKET_V3 ring block at
  // a time (every 100 ms on a terminal, 1 s otherwise) unless --immediate-mode;
  // tcplab always delivers at once (docs/tcpdump-differences.md).
  let captured = 0;
  let received = 0;
  let stop: Stop | undefined;
  let closed = false;
  const queue: CaptureRecord[] = [];
  let pending = new Pending<0>();
  const wake = (): void => pending.settle(0);
  let delivering = false;
  const loIndex = host.lo.index;
  const removeTap = host.addTap(
    (p) => {
      if (closed) return;
      const rec = captureRecord(p, linkType, proc, precision);
      if (rec === undefined) return;
      // The socket filter runs in the kernel on the whole packet; what it
      // accepts is counted (tp_packets: "received by filter") and cut to the
      // snapshot length.
      if (filter !== undefined && !filter.matches(rec.data, rec.origLen)) return;
      received++;
      // pcap-linux.c linux_check_direction, in userspace, after the count:
      // outgoing loopback frames are dropped (each is seen again coming in),
      // and -Q keeps one direction.
      if (p.direction === 'Out') {
        if (p.ifindex === loIndex || inv.direction === 'in') return;
      } else if (inv.direction === 'out') return;
      queue.push(rec.data.length > snaplen ? { ...rec, data: rec.data.subarray(0, snaplen) } : rec);
      if (!delivering) {
        delivering = true;
        host.events.schedule(host.now, () => {
          delivering = false;
          wake();
        });
      }
    },
    opened.iface !== undefined ? { ifname: opened.iface.name } : {},
  );
  const promisc =
    opened.iface !== undefined && !inv.noPromiscuous
      ? enterPromiscuous(host, opened.iface)
      : undefined;

  const interrupt = (): void => {
    stop ??= 'interrupted';
    wake();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE'] as const) {
    proc.trap(signal, interrupt);
  }
  // SIGUSR1: tcpdump.c requestinfo → info(0), one line.
  proc.trap('SIGUSR1', () => proc.stderr.write(`tcpdump: ${statistics(captured, received, ', ')}`));
  // SIGUSR2: tcpdump.c flushpcap.
  proc.trap('SIGUSR2', () => dump?.file.flush());

  // The banner (tcpdump.c, after the filter and the -w file are set up).
  const banner =
    inv.print.verbose === 0 && inv.writeFile === undefined
      ? 'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n'
      : 'tcpdump: ';
  proc.stderr.write(
    `${banner}listening on ${opened.name}, link-type ${linkTypeName(linkType)}, snapshot length ${snaplen} bytes\n`,
  );

  // -v with -w (and no --print): "Got N\r" once a second when N changed
  // (tcpdump.c verbose_stats_dump on SIGALRM; setitimer: first after 1 s +
  // 1 µs, then every second). The itimer is a timer of the simulation that
  // wakes the loop as a packet does, and goes away with the capture.
  const ticking = inv.print.verbose > 0 && inv.writeFile !== undefined && !inv.alsoPrint;
  let ticks = 0;
  let lastGot: number | undefined;
  const itimer = ticking
    ? host.events.timer(() => {
        ticks++;
        itimer?.setAfter(NS_PER_S);
        wake();
      })
    : undefined;
  itimer?.setAfter(NS_PER_S + 1000);

  const handle = (rec: CaptureRecord): void => {
    captured++;
    if (dump !== undefined) {
      dump.writer.append(rec);
      dump.file.write(dump.writer.flush());
      if (inv.packetBuffered) dump.file.flush();
    }
    if (printer !== undefined && !inv.countOnly) stdout.write(printer.format(rec));
  };

  try {
    for (;;) {
      // pcap_breakloop is checked between packets: after a signal, nothing more.
      while (stop === undefined && queue.length > 0) {
        handle(queue.shift()!);
        if (inv.count !== undefined && captured >= inv.count) stop = 'count';
      }
      if (stop !== undefined) break;
      if (ticks > 0) {
        ticks = 0;
        if (lastGot !== captured) {
          proc.stderr.write(`Got ${captured}\r`);
          lastGot = captured;
        }
      }
      await proc.wait(pending);
      pending = new Pending<0>();
    }
  } finally {
    // Whatever ends the process, the socket goes away with it (and the itimer).
    closed = true;
    removeTap();
    itimer?.clear();
    promisc?.();
  }

  // tcpdump.c after pcap_loop: a newline after an interruption when printing
  // (no -w), stdout flushed, then info(1).
  if (inv.writeFile === undefined) {
    if (stop === 'interrupted') stdout.write('\n');
  }
  stdout.flush();
  proc.stderr.write(statistics(captured, received, '\n'));
  dump?.file.flush();
  return 0;
}

/** tcpdump.c info(): `N packet(s) captured`, `received by filter`, `dropped by kernel`. */
function statistics(captured: number, received: number, separator: string): string {
  const n = (count: number, what: string) => `${count} packet${count === 1 ? '' : 's'} ${what}`;
  return `${n(captured, 'captured')}${separator}${n(received, 'received by filter')}${separator}${n(0, 'dropped by kernel')}\n`;
}

/**
 * pcap_open_live on `name`: the interface (Ethernet link type, for lo too, as
 * libpcap maps ARPHRD_LOOPBACK to DLT_EN10MB), `any` (cooked: SLL2 when asked
 * for by `-i any`, else SLL), or the error text (pcap-linux.c).
 */
function openDevice(host: Host, name: string, explicitAny: boolean): Opened | string {
  if (name === 'any') {
    return {
      name,
      iface: undefined,
      linkType: explicitAny ? LINKTYPE_LINUX_SLL2 : LINKTYPE_LINUX_SLL,
    };
  }
  const iface = host.interface(name);
  if (iface === undefined) {
    if (findAllDevices(host).some((d) => d.name === name)) {
      // DEVIATION(tcpdump): bluetooth-monitor, nflog, nfqueue and the D-Bus
      // buses are listed by -D as on Debian, but tcplab has nothing to capture there.
      return `${name}: tcplab cannot capture on this device`;
    }
    // pcap-linux.c: SIOCGIFINDEX fails; 4.99.3 prints the text twice (observed).
    return `${name}: No such device exists\n(No such device exists)`;
  }
  // pcap-linux.c pcap_activate_linux: PCAP_ERROR_IFACE_NOT_UP.
  if (!iface.up) return `${name}: That device is not up`;
  return { name, iface, linkType: LINKTYPE_ETHERNET };
}

/** Interface → tcpdump processes holding it promiscuous (dev->promiscuity). */
const promiscuity = new WeakMap<NetInterface, { count: number; wasOn: boolean }>();

/**
 * PACKET_MR_PROMISC: the interface receives every frame while a capture holds
 * it; the kernel logs the change (net/core/dev.c __dev_set_promiscuity:
 * "eth0: entered promiscuous mode", "… left …", observed in dmesg on a veth).
 * Returns the release.
 */
function enterPromiscuous(host: Host, iface: NetInterface): () => void {
  let state = promiscuity.get(iface);
  if (state === undefined || state.count === 0) {
    state = { count: 0, wasOn: iface.promiscuous };
    promiscuity.set(iface, state);
  }
  if (state.count === 0 && !state.wasOn) {
    iface.promiscuous = true;
    host.kmsg.write(host.now, 'info', `${iface.name}: entered promiscuous mode`);
  }
  state.count++;
  const held = state;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.count--;
    if (held.count === 0 && !held.wasOn) {
      iface.promiscuous = false;
      host.kmsg.write(host.now, 'info', `${iface.name}: left promiscuous mode`);
    }
  };
}

/** Linux ETH_P_802_3 / ETH_P_802_2 (eth_type_trans on a length field). */
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;
const ETH_P_IP = 0x0800;

/** The record libpcap hands tcpdump for a frame, in the capture's link type. */
function captureRecord(
  p: TapPacket,
  linkType: number,
  proc: Proc,
  precision: TsPrecision,
): CaptureRecord | undefined {
  // The lab's wall clock at the instant the frame crossed (the tap runs in that event).
  const clock = proc.wallClock();
  const frac = precision === 'nano' ? clock.nanoseconds : Math.floor(clock.nanoseconds / 1000);
  const ts = { sec: clock.seconds, frac, precision, ifIndex: 0 };
  if (linkType === LINKTYPE_ETHERNET) {
    return { ...ts, origLen: p.frame.length, data: p.frame, linkType };
  }
  if (p.frame.length < ETHERNET_HEADER_LEN) return undefined;
  const loopback = p.arphrd === ARPHRD_LOOPBACK;
  const packetType = sllPacketType(p.pktType);
  if (linkType === LINKTYPE_LINUX_SLL2) {
    const rec = tapSll2Record(p, ts);
    return rec.ok ? rec.value : undefined;
  }
  // LINKTYPE_LINUX_SLL (cooked v1): pcap-linux.c fills it from the sockaddr_ll —
  // the packet type, the device type, the source address, the protocol.
  const payload = p.frame.subarray(ETHERNET_HEADER_LEN);
  let protocol = (p.frame[12]! << 8) | p.frame[13]!;
  if (loopback) protocol = ETH_P_IP;
  else if (protocol < 0x0600) {
    protocol = payload[0] === 0xff && payload[1] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
  }
  const data = emitSll({
    packetType,
    arphrdType: p.arphrd,
    addressLength: 6,
    address: loopback ? new Uint8Array(6) : p.frame.subarray(6, 12),
    protocol,
    payload,
  });
  return { ...ts, origLen: data.length, data, linkType };
}
