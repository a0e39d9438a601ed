/**
 * The executor: runs a parsed script against a tcplab host in virtual time,
 * with packetdrill's semantics (google/packetdrill run.c, run_packet.c,
 * run_system_call.c):
 *
 * - Time. The script's time 0 is virtual time 0. A relative time counts from
 *   when the previous event was done (an outbound packet: when it was sent; a
 *   blocking call: when it started), except that consecutive inbound packets
 *   count from the previous one's script time (run.c
 *   adjust_relative_event_times). An event is checked against its time with
 *   packetdrill's tolerance: the larger of --tolerance_usecs (default 4000) and
 *   --tolerance_percent (default 12.5) of the time since the previous event
 *   (run.c verify_time). Inbound packets, system calls, commands and code run
 *   at their time exactly (after whatever the stack does at that instant);
 *   outbound packets are taken from what the stack has sent, oldest first,
 *   and must have been sent within the tolerance.
 * - The socket under test. Inbound packets belong to the connection the
 *   script is about: the one a connect() made, or, when an inbound SYN comes
 *   while the socket under test is a listener (or there is no socket at all),
 *   a new one from a new remote port to --bind_port. Outbound packets are
 *   matched to connections by their ports.
 * - Blocking calls (`start...end`) start at their time and must return at
 *   `end` (within the tolerance), while the script goes on; a call written
 *   without `...` must return at once.
 *
 * Failures read like packetdrill's: `file:line: error handling packet: …`
 * with the script's packet, the live one in script notation and as tcpdump
 * prints it, and when.
 */

import type { Pending, SocketTable } from '../host/socket.js';
import { strerror } from '../host/socket-errors.js';
import { MAX_TIME, NS_PER_US, type Time } from '../sim/time.js';
import { formatIpv4Address, parseIpv4Address } from '../wire/address.js';
import { EMPTY_BYTES } from '../wire/bytes.js';
import { buildIcmpUnreachable } from '../wire/icmp.js';
import { buildIpv4, IPPROTO_TCP } from '../wire/ipv4.js';
import { seq } from '../wire/seq.js';
import { buildTcp, tcpPseudoHeader } from '../wire/tcp.js';
import type { Event, IcmpSpec, Script, SyscallAction, TcpSpec } from './ast.js';
import { runCode } from './code.js';
import { type CommandContext, runCommand } from './commands.js';
import {
  checkOutbound,
  Flow,
  formatLive,
  formatSpec,
  inboundDatagram,
  inboundSegment,
  newTcpdumpPrinter,
  takeLive,
  tcpdumpLine,
} from './packets.js';
import { formatSyntaxError, parseScript } from './parse.js';
import { invoke, type Outcome, type SyscallHost } from './syscalls.js';
import { Tun, type WirePacket } from './tun.js';

/** packetdrill config.c set_default_config. */
const DEFAULT_TOLERANCE_USECS = 4000;
const DEFAULT_TOLERANCE_PERCENT = 12.5;
const DEFAULT_PORT = 8080;
/** Where the remote ports of connections the script opens start (packetdrill picks them at random). */
const FIRST_REMOTE_PORT = 48_000;

/** A `--name=value` given on the command line, as packetdrill takes its options. */
export interface CommandLineOption {
  readonly name: string;
  readonly value: string | undefined;
}

export interface RunOptions {
  /** Seed of the host's random streams (ISNs, TS offsets). */
  readonly seed?: number;
  /**
   * Options from the command line: they override the script's own
   * (packetdrill config.c parse_and_finalize_config).
   */
  readonly commandLine?: readonly CommandLineOption[];
  /** Called with a line for every packet that crosses the wire (--verbose). */
  readonly trace?: (line: string) => void;
}

export interface RunResult {
  readonly ok: boolean;
  /** The failure, as packetdrill prints it. */
  readonly error: string | undefined;
  /** Every packet that crossed the wire, in order (for --pcap). */
  readonly packets: readonly WirePacket[];
  /** Sysctls the script set that tcplab does not model. */
  readonly ignoredSysctls: readonly string[];
}

interface Config {
  toleranceUsecs: number;
  tolerancePercent: number;
  tsTickUsecs: number;
  localIp: string | undefined;
  remoteIp: string | undefined;
  bindPort: number;
  connectPort: number;
}

/** A failure of the script: stops the run. */
class ScriptFailure {
  constructor(readonly message: string) {}
}

/** What the socket under test is (packetdrill state->socket_under_test). */
type Sut =
  | { readonly kind: 'none' }
  | { readonly kind: 'socket'; readonly fd: number }
  | { readonly kind: 'flow'; readonly flow: Flow };

interface Blocked {
  readonly event: Event;
  readonly call: SyscallAction;
  readonly startUsecs: number;
  readonly endUsecs: number;
  readonly toleranceUsecs: number;
  result: { outcome: Outcome; at: Time } | undefined;
}

function secs(usecs: number): string {
  return (usecs / 1e6).toFixed(6);
}

function configFrom(script: Script, commandLine: readonly CommandLineOption[]): Config | string {
  const c: Config = {
    toleranceUsecs: DEFAULT_TOLERANCE_USECS,
    tolerancePercent: DEFAULT_TOLERANCE_PERCENT,
    tsTickUsecs: 0,
    localIp: undefined,
    remoteIp: undefined,
    bindPort: DEFAULT_PORT,
    connectPort: DEFAULT_PORT,
  };
  const all = [
    ...script.options.map((o) => ({ ...o, where: `${script.path}:${o.loc.line}` })),
    ...commandLine.map((o) => ({ ...o, where: 'command line' })),
  ];
  for (const o of all) {
    const where = o.where;
    const bad = (): never => {
      throw new ScriptFailure(`${where}: bad --${o.name}: ${o.value ?? '(no value)'}`);
    };
    const num = (): number => {
      const v = Number(o.value);
      if (o.value === undefined || !Number.isFinite(v) || v < 0) bad();
      return v;
    };
    const port = (): number => {
      const v = num();
      if (!Number.isInteger(v) || v > 65535) bad();
      return v;
    };
    // An IPv4 address (inet_pton; a /prefix on --remote_ip is dropped).
    const address = (text: string | undefined): string => {
      if (text === undefined || !parseIpv4Address(text).ok) bad();
      return text!;
    };
    switch (o.name) {
      case 'tolerance_usecs':
        c.toleranceUsecs = num();
        break;
      case 'tolerance_percent':
        c.tolerancePercent = num();
        break;
      case 'tcp_ts_tick_usecs':
        c.tsTickUsecs = num();
        break;
      case 'local_ip':
        c.localIp = address(o.value);
        break;
      case 'remote_ip':
        c.remoteIp = address(o.value?.replace(/\/\d+$/, ''));
        break;
      case 'bind_port':
        c.bindPort = port();
        break;
      case 'connect_port':
        c.connectPort = port();
        break;
      case 'ip_version':
        if (o.value !== 'ipv4') return `${where}: only --ip_version=ipv4 is supported`;
        break;
      case 'gateway_ip':
      case 'netmask_ip':
      case 'mtu':
      case 'speed':
      case 'tcp_ts_ecr_scaled':
      case 'strict_segments':
        break;
      default:
        return `${where}: unknown option --${o.name}`;
    }
  }
  return c;
}

/** Runs `script`; never throws for anything the script or the stack does. */
export function runScript(script: Script, options: RunOptions = {}): RunResult {
  const packets: WirePacket[] = [];
  let config: Config | string;
  try {
    config = configFrom(script, options.commandLine ?? []);
  } catch (e) {
    if (e instanceof ScriptFailure) config = e.message;
    else throw e;
  }
  if (typeof config === 'string') {
    return { ok: false, error: config, packets, ignoredSysctls: [] };
  }
  const printer = newTcpdumpPrinter();
  const trace = options.trace;
  const tun = new Tun({
    ...(config.localIp !== undefined ? { localIp: config.localIp } : {}),
    ...(config.remoteIp !== undefined ? { remoteIp: config.remoteIp } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    onPacket: (p) => {
      packets.push(p);
      trace?.(
        `${p.direction === 'inbound' ? '<' : '>'} ${tcpdumpLine(printer, p.time, p.datagram)}`,
      );
    },
  });
  const ex = new Executor(script, config, tun);
  try {
    ex.run();
    return { ok: true, error: undefined, packets, ignoredSysctls: ex.commands.ignored };
  } catch (e) {
    if (!(e instanceof ScriptFailure)) throw e;
    return { ok: false, error: e.message, packets, ignoredSysctls: ex.commands.ignored };
  }
}

class Executor implements SyscallHost {
  readonly sockets: SocketTable;
  readonly localIp: number;
  readonly remoteIp: number;
  readonly bindPort: number;
  readonly connectPort: number;
  readonly commands: CommandContext;
  readonly #flows: Flow[] = [];
  readonly #blocked: Blocked[] = [];
  readonly #printer = newTcpdumpPrinter();
  #sut: Sut = { kind: 'none' };
  #nextRemotePort = FIRST_REMOTE_PORT;
  /** The previous event and its (absolute, adjusted) script time. */
  #last: { event: Event; usecs: number } | undefined;

  constructor(
    readonly script: Script,
    readonly config: Config,
    readonly tun: Tun,
  ) {
    this.sockets = tun.host.sockets;
    this.localIp = tun.localIp;
    this.remoteIp = tun.remoteIp;
    this.bindPort = config.bindPort;
    this.connectPort = config.connectPort;
    this.commands = { sysctl: tun.host.sysctl, saved: new Map(), ignored: [] };
  }

  get #nowUsecs(): number {
    return Math.floor(this.tun.now / NS_PER_US);
  }

  #where(e: Event): string {
    return `${this.script.path}:${e.loc.line}`;
  }

  fail(e: Event, message: string): never {
    throw new ScriptFailure(`${this.#where(e)}: ${message}\n  script line: ${e.text}`);
  }

  run(): void {
    const events = this.script.events;
    const firstTimed = events.find((e) => e.time !== undefined);
    if (firstTimed !== undefined) {
      const t = firstTimed.time!;
      if (t.kind !== 'any' && t.usecs !== 0)
        this.fail(firstTimed, 'first event should be at time 0');
    }
    for (const e of events) this.#runEvent(e);
    // Calls still blocked: wait until each should have returned.
    for (const b of [...this.#blocked]) {
      this.#runTo((b.endUsecs + b.toleranceUsecs) * NS_PER_US);
    }
    this.#checkBlocked();
    // run_system_call.c syscalls_free: a call still blocked when the script
    // ends is an error, not a pass.
    const still = this.#blocked.find((b) => b.result === undefined);
    if (still !== undefined) {
      throw new ScriptFailure(
        `${this.#where(still.event)}: runtime error: exiting while a blocking system call is in progress\n  script line: ${still.event.text}`,
      );
    }
  }

  // ---- time ----------------------------------------------------------------

  /** The event's start and end (absolute script µs) and its tolerance. */
  #times(e: Event): {
    start: number;
    end: number;
    tolerance: number;
    blockingEnd: number | undefined;
  } {
    const t = e.time!;
    if (t.kind === 'any') {
      const n = this.#nowUsecs;
      return { start: n, end: n, tolerance: Number.POSITIVE_INFINITY, blockingEnd: undefined };
    }
    const relative = t.kind === 'relative' || t.kind === 'relativeRange';
    let offset = 0;
    if (relative) {
      const anchored = this.#last !== undefined && isInbound(this.#last.event) && isInbound(e);
      offset = anchored ? this.#last!.usecs : this.#nowUsecs;
    }
    const start = t.usecs + offset;
    const end =
      t.kind === 'relativeRange' || t.kind === 'absoluteRange' ? t.endUsecs + offset : start;
    let tolerance = this.config.toleranceUsecs;
    if (this.#last !== undefined) {
      const dynamic = (this.config.tolerancePercent / 100) * (start - this.#last.usecs);
      if (dynamic > tolerance) tolerance = dynamic;
    }
    let blockingEnd: number | undefined;
    if (e.blockingEndUsecs !== undefined) {
      blockingEnd = t.kind === 'relative' ? e.blockingEndUsecs + offset : e.blockingEndUsecs;
    }
    return { start, end, tolerance, blockingEnd };
  }

  /**
   * Runs the simulation through virtual instant `t` (events at `t` included),
   * failing as soon as a blocked call is overdue.
   */
  #runTo(time: number): void {
    // Tolerances are fractions of microseconds; virtual instants are whole nanoseconds.
    // A deadline's tolerance may reach past the end of the clock: the end is as far.
    const t: Time = Math.min(Math.floor(time), MAX_TIME);
    const events = this.tun.net.events;
    for (;;) {
      const next = events.nextTime();
      if (next === undefined || next > t) break;
      this.#checkOverdue(next);
      events.step();
      this.#checkBlocked();
    }
    this.#checkOverdue(t);
    if (t > events.now) events.runUntil(t);
  }

  /** A blocked call that should have returned before `t` and has not. */
  #checkOverdue(t: Time): void {
    for (const b of this.#blocked) {
      if (b.result !== undefined) continue;
      const deadline = (b.endUsecs + b.toleranceUsecs) * NS_PER_US;
      if (t > deadline) {
        this.fail(
          b.event,
          `timing error: expected system call to return at ${secs(b.endUsecs)} sec but it was still blocked at ${secs(Math.floor(deadline / NS_PER_US))} sec`,
        );
      }
    }
  }

  /** Checks blocked calls that returned since the last look. */
  #checkBlocked(): void {
    for (let i = 0; i < this.#blocked.length; i++) {
      const b = this.#blocked[i]!;
      if (b.result === undefined) continue;
      this.#blocked.splice(i--, 1);
      const at = Math.floor(b.result.at / NS_PER_US);
      this.#checkOutcome(b.event, b.call, b.result.outcome);
      if (Math.abs(at - b.endUsecs) > b.toleranceUsecs) {
        this.fail(
          b.event,
          `timing error: expected system call to return at ${secs(b.endUsecs)} sec but happened at ${secs(at)} sec; tolerance ${secs(b.toleranceUsecs)} sec`,
        );
      }
    }
  }

  // ---- events --------------------------------------------------------------

  #runEvent(e: Event): void {
    if (e.time === undefined) {
      // A command written without a time (the init or cleanup command): now.
      if (e.action.kind === 'command') this.#command(e, e.action.text);
      return;
    }
    const { start, end, tolerance, blockingEnd } = this.#times(e);
    // The simulator's clock counts whole nanoseconds up to 2^53 (about 104 days).
    const latest = Math.max(end, blockingEnd ?? 0);
    if (latest * NS_PER_US > MAX_TIME) {
      this.fail(
        e,
        `time ${secs(latest)} sec is out of range (the clock ends after about 104 days)`,
      );
    }
    const a = e.action;
    if (a.kind === 'packet' && a.direction === 'outbound') {
      this.#outbound(e, a.tcp!, start, end, tolerance);
    } else {
      this.#runTo(start * NS_PER_US);
      // run.c check_event_time: an event the script reaches late (a blocking
      // wait, an absolute time already past) is a timing error too.
      const at = this.#nowUsecs;
      if (at > end + tolerance) {
        const what =
          a.kind === 'packet'
            ? 'inbound packet'
            : a.kind === 'syscall'
              ? 'system call start'
              : a.kind === 'command'
                ? 'command'
                : 'data collection for code';
        this.fail(
          e,
          `timing error: expected ${what} at ${secs(start)} sec but happened at ${secs(at)} sec; tolerance ${secs(tolerance)} sec`,
        );
      }
      switch (a.kind) {
        case 'packet':
          if (a.icmp !== undefined) this.#inboundIcmp(e, a.icmp);
          else this.#inbound(a.tcp!);
          break;
        case 'syscall':
          this.#syscall(e, a, start, blockingEnd, tolerance);
          break;
        case 'command':
          this.#command(e, a.text);
          break;
        case 'code':
          this.#code(e, a.text);
          break;
      }
    }
    this.#last = { event: e, usecs: start };
  }

  #command(e: Event, text: string): void {
    const r = runCommand(text, this.commands);
    if (!r.ok) this.fail(e, r.error);
  }

  // ---- packets -------------------------------------------------------------

  /**
   * The connection an inbound packet belongs to (packetdrill
   * find_socket_for_script_packet): the socket under test's, or a new one
   * when the socket under test is not a connection (a listener, a socket that
   * never connected, none at all), from a new remote port to --bind_port.
   */
  #inboundFlow(): Flow {
    const sut = this.#sut;
    if (sut.kind === 'flow') return sut.flow;
    const flow = new Flow(this.bindPort, this.#nextRemotePort++);
    this.#flows.push(flow);
    this.#sut = { kind: 'flow', flow };
    return flow;
  }

  #inbound(spec: TcpSpec): void {
    const flow = this.#inboundFlow();
    const seg = inboundSegment(spec, flow);
    this.tun.inject(inboundDatagram(this.tun, seg));
    this.#runTo(this.tun.now);
  }

  #inboundIcmp(e: Event, spec: IcmpSpec): void {
    if (this.#sut.kind !== 'flow') this.fail(e, 'ICMP error for no connection');
    const flow = this.#sut.flow;
    const code = ICMP_UNREACH_CODES[spec.code];
    if (spec.type !== 'unreachable' || code === undefined) {
      this.fail(e, `ICMP ${spec.type} ${spec.code} is not supported`);
    }
    // The datagram the error quotes: our segment (packetdrill icmp_packet.c
    // puts the quoted TCP header's sequence number relative to our ISN).
    const quoted = {
      srcPort: flow.localPort,
      dstPort: flow.remotePort,
      seq: seq((spec.quotedSeq + (flow.localIsn ?? 0)) >>> 0),
      ack: seq(0),
      flags: 0,
      window: 0,
      urgentPointer: 0,
      options: [],
      payload: new Uint8Array(spec.quotedLen),
    };
    const offending = buildIpv4({
      src: this.localIp,
      dst: this.remoteIp,
      protocol: IPPROTO_TCP,
      payload: buildTcp(quoted, tcpPseudoHeader(this.localIp, this.remoteIp, quoted)),
      dscp: 0,
      ecn: 0,
      id: 0,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      options: EMPTY_BYTES,
    });
    const icmp = buildIcmpUnreachable(offending, code, {
      src: this.remoteIp,
      id: 0,
      ...(spec.mtu !== undefined ? { info: spec.mtu } : {}),
    });
    if (!icmp.ok) this.fail(e, `cannot build the ICMP error: ${icmp.error.reason}`);
    this.tun.inject(icmp.value);
    this.#runTo(this.tun.now);
  }

  #outbound(e: Event, spec: TcpSpec, start: number, end: number, tolerance: number): void {
    const queue = this.tun.sniffed;
    const deadline = (end + tolerance) * NS_PER_US;
    const events = this.tun.net.events;
    while (queue.length === 0) {
      const next = events.nextTime();
      if (next === undefined || next > deadline) {
        if (Number.isFinite(deadline)) this.#runTo(deadline);
        const by = Number.isFinite(deadline) ? end + tolerance : this.#nowUsecs;
        this.fail(
          e,
          `timing error: expected outbound packet at ${secs(start)} sec but no packet was sent by ${secs(by)} sec\n  script packet: ${secs(start)} ${formatSpec(spec)}`,
        );
      }
      this.#checkOverdue(next);
      events.step();
      this.#checkBlocked();
    }
    // Whatever else goes out at the same instant may belong to the same (TSO) packet.
    this.#runTo(queue[0]!.time);
    const live = takeLive(queue, spec)!;
    const at = Math.floor(live.time / NS_PER_US);
    const tcpdump = live.parts.map((p) => tcpdumpLine(this.#printer, p.time, p.datagram));
    const describe = (flow: Flow | undefined): string =>
      `\n  script packet: ${secs(start)} ${formatSpec(spec)}\n  actual packet: ${secs(at)} ${formatLive(live.seg, flow)}\n  tcpdump: ${tcpdump.join('\n           ')}`;
    if (live.parts[0]!.tcp === undefined) {
      this.fail(e, `error handling packet: expected a TCP packet but the stack sent ${tcpdump[0]}`);
    }
    const flow = this.#flows.find(
      (f) => f.localPort === live.seg.srcPort && f.remotePort === live.seg.dstPort,
    );
    if (flow === undefined) {
      this.fail(
        e,
        `error handling packet: live packet for a connection the script does not know (${formatIpv4Address(this.localIp)}:${live.seg.srcPort} > ${formatIpv4Address(this.remoteIp)}:${live.seg.dstPort})${describe(undefined)}`,
      );
    }
    const mismatch = checkOutbound(spec, live.seg, flow, {
      tsTickUsecs: this.config.tsTickUsecs,
      toleranceUsecs: this.config.toleranceUsecs,
    });
    if (mismatch !== undefined) this.fail(e, `error handling packet: ${mismatch}${describe(flow)}`);
    if (at < start - tolerance || at > end + tolerance) {
      const expected =
        start === end ? `at ${secs(start)} sec` : `in time range ${secs(start)}~${secs(end)} sec`;
      this.fail(
        e,
        `timing error: expected outbound packet ${expected} but happened at ${secs(at)} sec; tolerance ${secs(tolerance)} sec${describe(flow)}`,
      );
    }
  }

  // ---- system calls --------------------------------------------------------

  opened(fd: number): void {
    this.#sut = { kind: 'socket', fd };
  }

  listened(_fd: number): void {
    // listen() does not change the socket under test; a later inbound SYN
    // finds it listening and opens a new connection.
  }

  connected(fd: number): void {
    const name = this.sockets.getsockname(fd);
    if (typeof name !== 'object' || name instanceof Error) return;
    let flow = this.#flows.find(
      (f) => f.localPort === name.port && f.remotePort === this.connectPort,
    );
    if (flow === undefined) {
      flow = new Flow(name.port, this.connectPort);
      this.#flows.push(flow);
    }
    flow.fd = fd;
    this.#sut = { kind: 'flow', flow };
  }

  accepted(fd: number, remotePort: number): void {
    const flow = this.#flows.find((f) => f.remotePort === remotePort);
    if (flow !== undefined) flow.fd = fd;
  }

  #syscall(
    e: Event,
    call: SyscallAction,
    start: number,
    blockingEnd: number | undefined,
    tolerance: number,
  ): void {
    const inv = invoke(this, call);
    if (inv.kind === 'error') this.fail(e, inv.error);
    if (inv.kind === 'now') {
      if (blockingEnd !== undefined && Math.abs(blockingEnd - start) > tolerance) {
        this.fail(
          e,
          `timing error: expected system call to block until ${secs(blockingEnd)} sec but it returned at once at ${secs(start)} sec`,
        );
      }
      this.#checkOutcome(e, call, inv.outcome);
      return;
    }
    const endUsecs = blockingEnd ?? start;
    const endTolerance = Math.max(
      this.config.toleranceUsecs,
      (this.config.tolerancePercent / 100) * (endUsecs - start),
    );
    const b: Blocked = {
      event: e,
      call,
      startUsecs: start,
      endUsecs,
      toleranceUsecs: endTolerance,
      result: undefined,
    };
    this.#blocked.push(b);
    watch(inv.pending, (outcome) => {
      b.result = { outcome, at: this.tun.now };
    });
    if (blockingEnd === undefined) {
      // Not written as blocking: packetdrill waits for the call before going on.
      const events = this.tun.net.events;
      const deadline = (endUsecs + endTolerance) * NS_PER_US;
      while (b.result === undefined) {
        const next = events.nextTime();
        if (next === undefined || next > deadline) {
          this.fail(
            e,
            `system call blocked: expected it to return at once (at ${secs(start)} sec), but it was still blocked at ${secs(Math.floor(deadline / NS_PER_US))} sec`,
          );
        }
        events.step();
      }
      this.#checkBlocked();
    }
  }

  #checkOutcome(e: Event, call: SyscallAction, o: Outcome): void {
    const expected = call.result;
    const show = (ret: number, errno: string | undefined): string =>
      errno !== undefined ? `${ret} ${errno} (${strerrorOf(errno)})` : String(ret);
    if (expected.kind === 'ellipsis') return;
    let want: number;
    if (expected.kind === 'int') want = expected.value;
    else this.fail(e, `expected result of ${call.name}() must be a number`);
    const wantErrno = call.errno;
    if (o.ret !== want || (wantErrno !== undefined && o.errno !== wantErrno)) {
      this.fail(
        e,
        `${call.name}(...): expected result ${show(want, wantErrno)} but got ${show(o.ret, o.errno)} at ${secs(this.#nowUsecs)} sec`,
      );
    }
    if (o.mismatch !== undefined) {
      this.fail(e, `${call.name}(...): ${o.mismatch} at ${secs(this.#nowUsecs)} sec`);
    }
  }

  // ---- code ----------------------------------------------------------------

  #code(e: Event, text: string): void {
    const fd = this.#codeFd();
    if (fd === undefined) this.fail(e, 'no socket for tcp_info');
    const info = this.sockets.tcpInfo(fd);
    if (info instanceof Error) this.fail(e, `getsockopt(TCP_INFO): ${info.code}`);
    const vars = (name: string): number | string => {
      const v = (info as unknown as Record<string, number>)[name];
      if (v !== undefined) return v;
      const s = TCP_STATE_SYMBOLS[name];
      if (s !== undefined) return s;
      if (name.startsWith('tcpi_')) return `tcp_info field ${name} is not modelled by tcplab`;
      return `name ${name} is not defined`;
    };
    const r = runCode(text, vars);
    if (!r.ok) this.fail(e, `assertion failed at ${secs(this.#nowUsecs)} sec: ${r.error}`);
  }

  /** The fd whose tcp_info a code event reads: the socket under test's. */
  #codeFd(): number | undefined {
    const sut = this.#sut;
    if (sut.kind === 'flow') return sut.flow.fd;
    if (sut.kind === 'socket') return sut.fd;
    return undefined;
  }
}

function watch(p: Pending<Outcome>, f: (o: Outcome) => void): void {
  p.onSettled((r) => f(r as Outcome));
}

function isInbound(e: Event): boolean {
  return e.action.kind === 'packet' && e.action.direction === 'inbound';
}

function strerrorOf(code: string): string {
  try {
    return strerror(code as Parameters<typeof strerror>[0]);
  } catch {
    return code;
  }
}

/** TCP_* of include/net/tcp_states.h, for `tcpi_state == TCP_CLOSING`. */
const TCP_STATE_SYMBOLS: Readonly<Record<string, number>> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
};

/** packetdrill icmp_packet.c: the names of ICMP destination-unreachable codes. */
const ICMP_UNREACH_CODES: Readonly<Record<string, number>> = {
  net_unreachable: 0,
  host_unreachable: 1,
  protocol_unreachable: 2,
  port_unreachable: 3,
  frag_needed: 4,
  source_route_failed: 5,
  net_unknown: 6,
  host_unknown: 7,
  source_host_isolated: 8,
  net_prohibited: 9,
  host_prohibited: 10,
  net_tos: 11,
  host_tos: 12,
  packet_filtered: 13,
  precedence_violation: 14,
  precedence_cutoff: 15,
};

/** Parses and runs one script's text: a syntax error is a failed run. */
export function runScriptText(text: string, path: string, options: RunOptions = {}): RunResult {
  const parsed = parseScript(text, path);
  if (!parsed.ok) {
    return { ok: false, error: formatSyntaxError(parsed.error), packets: [], ignoredSysctls: [] };
  }
  return runScript(parsed.script, options);
}
