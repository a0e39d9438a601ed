/**
 * Script packets against live ones: building the inbound packets a script
 * writes, and checking the outbound ones the stack sends against what the
 * script expects, with packetdrill's rules (run_packet.c):
 *
 * - sequence and acknowledgement numbers in scripts are relative: our side's
 *   to the ISN of the connection's first SYN we send (or 0 when we never sent
 *   one, as for a closed port), the remote side's to the sequence number of
 *   the first packet the script injects for the connection, which goes on the
 *   wire as written;
 * - the TS echo reply of an inbound packet is rebased from the script's TS
 *   values to ours (the first TS value we send maps onto the script's); our TS
 *   value is only checked with --tcp_ts_tick_usecs, by how far it moved;
 * - flags, sequence range and ack are always checked; the window only when
 *   the script writes one; options exactly, in order, unless written `<...>`;
 * - consecutive outbound segments sent together are aggregated to match one
 *   larger expected segment (the kernel's TSO hands packetdrill one big packet
 *   where tcplab's stack sends MSS-sized ones); the aggregate's PSH is its last
 *   segment's, as GSO puts a TSO packet's there.
 */

import { defaultTcpdumpOptions, TcpdumpPrinter } from '../capture/print/index.js';
import { LINKTYPE_RAW } from '../capture/record.js';
import { NS_PER_S, type Time } from '../sim/time.js';
import { IPPROTO_TCP } from '../wire/ipv4.js';
import { type Seq, seq, seqAdd } from '../wire/seq.js';
import {
  ACK,
  buildTcp,
  CWR,
  ECE,
  FIN,
  PSH,
  RST,
  SYN,
  type TcpSegment,
  tcpPseudoHeader,
  URG,
} from '../wire/tcp.js';
import type { TcpOption } from '../wire/tcp-options.js';
import type { OptionSpec, TcpSpec } from './ast.js';
import type { LivePacket, Tun } from './tun.js';

/** One connection the script follows (packetdrill struct socket: script vs live values). */
export class Flow {
  /** The fd the script knows it by, once connect() or accept() named it. */
  fd: number | undefined;
  readonly localPort: number;
  readonly remotePort: number;
  /** Our ISN (wire value of script seq 0), once our first SYN went out. */
  localIsn: number | undefined;
  /** The remote side's base: the sequence number of the first injected packet. */
  remoteIsn: number | undefined;
  /** The first TS value we sent, and the script's value for it. */
  tsLiveBase: number | undefined;
  tsScriptBase: number | undefined;

  constructor(localPort: number, remotePort: number) {
    this.localPort = localPort;
    this.remotePort = remotePort;
  }
}

const u32 = (n: number): number => n >>> 0;

/** The TCP segment of an inbound script packet, on the wire. */
export function inboundSegment(spec: TcpSpec, flow: Flow): TcpSegment {
  flow.remoteIsn ??= spec.seqStart;
  const localBase = flow.localIsn ?? 0;
  const options: TcpOption[] = [];
  if (spec.options !== 'any') {
    for (const o of spec.options ?? []) options.push(inboundOption(o, flow, localBase));
  }
  return {
    srcPort: flow.remotePort,
    dstPort: flow.localPort,
    seq: seq(spec.seqStart),
    ack: seq(spec.ack !== undefined ? u32(spec.ack + localBase) : 0),
    flags: spec.flags,
    // packetdrill's default for an inbound packet without `win`.
    window: spec.win ?? 65535,
    urgentPointer: 0,
    options,
    payload: new Uint8Array(spec.len),
  };
}

function inboundOption(o: OptionSpec, flow: Flow, localBase: number): TcpOption {
  switch (o.kind) {
    case 'nop':
      return { kind: 'nop' };
    case 'eol':
      return { kind: 'eol', padding: new Uint8Array(0) };
    case 'mss':
      return { kind: 'mss', mss: o.mss };
    case 'wscale':
      return { kind: 'wscale', shift: o.shift };
    case 'sackOK':
      return { kind: 'sackPermitted' };
    case 'sack':
      // SACK blocks of inbound packets are about our data: relative to our ISN.
      return {
        kind: 'sack',
        blocks: o.blocks.map(([l, r]) => ({
          left: seq(u32(l + localBase)),
          right: seq(u32(r + localBase)),
        })),
      };
    case 'ts': {
      // run_packet.c: the echo reply is rebased onto our TS clock.
      const ecr =
        o.ecr !== 0 && flow.tsLiveBase !== undefined && flow.tsScriptBase !== undefined
          ? u32(o.ecr - flow.tsScriptBase + flow.tsLiveBase)
          : o.ecr;
      return { kind: 'timestamps', tsVal: o.val, tsEcr: ecr };
    }
  }
}

/** The inbound datagram of a script packet. */
export function inboundDatagram(tun: Tun, seg: TcpSegment): Uint8Array {
  const payload = buildTcp(seg, tcpPseudoHeader(tun.remoteIp, tun.localIp, seg));
  return tun.datagram(IPPROTO_TCP, payload);
}

/** Several live segments sent together, seen as one (TSO), with what it is made of. */
export interface LiveTcp {
  readonly time: Time;
  readonly seg: TcpSegment;
  readonly parts: readonly LivePacket[];
}

/**
 * Takes from `queue` the live segment to compare with `spec`: the first one,
 * merged with the ones right after it that were sent at the same instant and
 * continue it, while the expected payload is longer (packetdrill sees the
 * kernel's TSO packet whole).
 */
export function takeLive(queue: LivePacket[], spec: TcpSpec): LiveTcp | undefined {
  const first = queue.shift();
  if (first === undefined) return undefined;
  if (first.tcp === undefined) return { time: first.time, seg: placeholder(), parts: [first] };
  let seg: TcpSegment = first.tcp;
  const parts = [first];
  while (seg.payload.length < spec.len) {
    const next = queue[0];
    const t = next?.tcp;
    if (next === undefined || t === undefined || next.time !== first.time) break;
    if (seqAdd(seg.seq, seg.payload.length) !== t.seq || t.ack !== seg.ack) break;
    if (t.srcPort !== seg.srcPort || t.dstPort !== seg.dstPort) break;
    if ((seg.flags & (FIN | SYN | RST)) !== 0) break;
    queue.shift();
    parts.push(next);
    const payload = new Uint8Array(seg.payload.length + t.payload.length);
    payload.set(seg.payload);
    payload.set(t.payload, seg.payload.length);
    // The last part's PSH is the packet's: tcplab's transmissions end with it
    // as GSO leaves it on a TSO packet's last segment.
    seg = { ...seg, flags: (seg.flags & ~PSH) | t.flags, window: t.window, payload };
  }
  return { time: first.time, seg, parts };
}

function placeholder(): TcpSegment {
  return {
    srcPort: 0,
    dstPort: 0,
    seq: seq(0),
    ack: seq(0),
    flags: 0,
    window: 0,
    urgentPointer: 0,
    options: [],
    payload: new Uint8Array(0),
  };
}

/** packetdrill's notation of flags: `S.`, `FP.`, `R`, `-`. */
export function formatFlags(flags: number): string {
  let s = '';
  if (flags & FIN) s += 'F';
  if (flags & SYN) s += 'S';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & URG) s += 'U';
  if (flags & ECE) s += 'E';
  if (flags & CWR) s += 'W';
  if (flags & ACK) s += '.';
  return s === '' ? '-' : s;
}

export function formatOptionSpecs(options: readonly OptionSpec[]): string {
  return options.map(formatOptionSpec).join(',');
}

function formatOptionSpec(o: OptionSpec): string {
  switch (o.kind) {
    case 'nop':
    case 'eol':
      return o.kind;
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackOK':
      return 'sackOK';
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
  }
}

/** A script packet as packetdrill prints it: `S. 0:0(0) ack 1 <mss 1460,nop>`. */
export function formatSpec(spec: TcpSpec): string {
  let s = `${spec.flagsText} ${spec.seqStart}:${spec.seqEnd}(${spec.len})`;
  if (spec.ack !== undefined) s += ` ack ${spec.ack}`;
  if (spec.win !== undefined) s += ` win ${spec.win}`;
  if (spec.options === 'any') s += ' <...>';
  else if (spec.options !== undefined) s += ` <${formatOptionSpecs(spec.options)}>`;
  return s;
}

/** A live segment in script notation, relative to the flow's ISNs. */
export function formatLive(seg: TcpSegment, flow: Flow | undefined): string {
  const lb = flow?.localIsn ?? 0;
  const rb = flow?.remoteIsn ?? 0;
  const start = u32(seg.seq - lb);
  const len = seg.payload.length;
  let s = `${formatFlags(seg.flags)} ${start}:${u32(start + len)}(${len})`;
  if (seg.flags & ACK) s += ` ack ${u32(seg.ack - rb)}`;
  s += ` win ${seg.window}`;
  if (seg.options.length > 0) s += ` <${formatOptionSpecs(liveOptions(seg.options, flow))}>`;
  return s;
}

/** Live options in script notation (SACK blocks relative, TS as sent). */
function liveOptions(options: readonly TcpOption[], flow: Flow | undefined): OptionSpec[] {
  const rb = flow?.remoteIsn ?? 0;
  const out: OptionSpec[] = [];
  for (const o of options) {
    switch (o.kind) {
      case 'nop':
        out.push({ kind: 'nop' });
        break;
      case 'eol':
        out.push({ kind: 'eol' });
        break;
      case 'mss':
        out.push({ kind: 'mss', mss: o.mss });
        break;
      case 'wscale':
        out.push({ kind: 'wscale', shift: o.shift });
        break;
      case 'sackPermitted':
        out.push({ kind: 'sackOK' });
        break;
      case 'sack':
        out.push({
          kind: 'sack',
          blocks: o.blocks.map((b) => [u32(b.left - rb), u32(b.right - rb)] as const),
        });
        break;
      case 'timestamps':
        out.push({ kind: 'ts', val: u32(o.tsVal), ecr: u32(o.tsEcr) });
        break;
      default:
        break;
    }
  }
  return out;
}

export interface MatchContext {
  /** --tcp_ts_tick_usecs (0: TS values are not checked). */
  readonly tsTickUsecs: number;
  readonly toleranceUsecs: number;
}

/**
 * Why the live segment is not the expected one, or undefined if it is. Learns
 * our ISN from our first SYN and the TS base from our first timestamp, as
 * packetdrill does while it checks.
 */
export function checkOutbound(
  spec: TcpSpec,
  live: TcpSegment,
  flow: Flow,
  ctx: MatchContext,
): string | undefined {
  if (flow.localIsn === undefined) {
    flow.localIsn = (live.flags & SYN) !== 0 ? u32(live.seq - spec.seqStart) : 0;
  }
  const rb = flow.remoteIsn ?? 0;
  if (live.flags !== spec.flags) {
    return `bad outbound TCP flags: expected ${spec.flagsText} but got ${formatFlags(live.flags)}`;
  }
  const start = u32(live.seq - flow.localIsn);
  if (start !== u32(spec.seqStart)) {
    return `bad outbound TCP sequence number: expected ${spec.seqStart} but got ${start}`;
  }
  if (live.payload.length !== spec.len) {
    return `bad outbound TCP payload length: expected ${spec.len} but got ${live.payload.length}`;
  }
  if (spec.ack !== undefined) {
    const ack = u32(live.ack - rb);
    if (ack !== u32(spec.ack))
      return `bad outbound TCP ack number: expected ${spec.ack} but got ${ack}`;
  }
  if (spec.win !== undefined && live.window !== spec.win) {
    return `bad outbound TCP window: expected ${spec.win} but got ${live.window}`;
  }
  if (spec.options === 'any') return undefined;
  return checkOptions(spec.options ?? [], live.options, flow, ctx);
}

function checkOptions(
  expected: readonly OptionSpec[],
  live: readonly TcpOption[],
  flow: Flow,
  ctx: MatchContext,
): string | undefined {
  const liveSpecs = liveOptions(live, flow);
  const bad = (): string =>
    `bad outbound TCP options: expected <${formatOptionSpecs(expected)}> but got <${formatOptionSpecs(liveSpecs)}>`;
  if (live.length !== expected.length || liveSpecs.length !== live.length) return bad();
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const l = liveSpecs[i]!;
    if (e.kind !== l.kind) return bad();
    switch (e.kind) {
      case 'mss':
        if (l.kind === 'mss' && l.mss !== e.mss) return bad();
        break;
      case 'wscale':
        if (l.kind === 'wscale' && l.shift !== e.shift) return bad();
        break;
      case 'sack':
        if (l.kind === 'sack' && JSON.stringify(l.blocks) !== JSON.stringify(e.blocks))
          return bad();
        break;
      case 'ts': {
        if (l.kind !== 'ts') return bad();
        if (flow.tsLiveBase === undefined || flow.tsScriptBase === undefined) {
          flow.tsLiveBase = l.val;
          flow.tsScriptBase = e.val;
        } else if (ctx.tsTickUsecs > 0) {
          // run_packet.c verify_outbound_tcp_ts_val: how far our clock moved
          // since the first TS value, within the timing tolerance.
          const liveTicks = u32(l.val - flow.tsLiveBase) | 0;
          const scriptTicks = u32(e.val - flow.tsScriptBase) | 0;
          const diffUsecs = Math.abs(liveTicks - scriptTicks) * ctx.tsTickUsecs;
          if (diffUsecs > ctx.toleranceUsecs) {
            const expectedVal = u32(flow.tsLiveBase + scriptTicks);
            return `bad outbound TCP timestamp value: expected ${e.val} (live ${expectedVal}) but got ${u32(l.val - flow.tsLiveBase + flow.tsScriptBase)} (live ${l.val})`;
          }
        }
        if (l.ecr !== e.ecr) {
          return `bad outbound TCP timestamp echo reply: expected ${e.ecr} but got ${l.ecr}`;
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** tcpdump's line for a datagram (`-n`, relative times given in seconds). */
export function tcpdumpLine(printer: TcpdumpPrinter, time: Time, datagram: Uint8Array): string {
  return printer
    .format({
      sec: Math.floor(time / NS_PER_S),
      frac: Math.floor((time % NS_PER_S) / 1000),
      precision: 'micro',
      origLen: datagram.length,
      data: datagram,
      linkType: LINKTYPE_RAW,
      ifIndex: 0,
    })
    .trimEnd();
}

/** A tcpdump printer for packetdrill's wire: `-n`, times as seconds since the start (`-tt`). */
export function newTcpdumpPrinter(): TcpdumpPrinter {
  return new TcpdumpPrinter(
    { ...defaultTcpdumpOptions(), numeric: 1, timestamps: 2 },
    LINKTYPE_RAW,
  );
}

export type { Seq };
